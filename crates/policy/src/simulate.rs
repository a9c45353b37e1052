//! IAM's policy simulator on the engine that enforces: the decision for each action and resource,
//! the statements that decided it with their positions in their documents, the context keys the
//! policies needed and were not given, and what the permissions boundary alone would have allowed
//! (IAM API Reference, "SimulatePrincipalPolicy", "SimulateCustomPolicy", "EvaluationResult").
//! The server's Simulate* operations and offline simulation share it.
//!
//! ```
//! use monban_policy::simulate::{Simulation, Source, SourceType};
//! use monban_policy::{Caller, Context, Outcome};
//! let policy = r#"{"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
//!      "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}"#;
//! let simulation = Simulation {
//!     identity: vec![Source::parse("PolicyInputList.1", SourceType::None, policy).unwrap()],
//!     boundary: None,
//!     resource_policy: None,
//!     scps: Vec::new(),
//!     caller: Caller::from_arn("arn:aws:iam::123456789012:user/alice", None).unwrap(),
//!     context: Context::new(),
//! };
//! let result = simulation.run("s3:GetObject", &["*".to_string()]);
//! assert_eq!(result.decision, Outcome::ImplicitDeny);
//! assert_eq!(result.resources[0].missing_context, ["aws:SecureTransport"]);
//! ```

use std::sync::Arc;

use crate::json::{self, Value};
use crate::{authorize, explain, Caller, Context, DocumentError, Effect, Outcome, Policy, PolicySet, PolicyType};
use crate::{Request, StatementRef};

/// Where something is in a policy document: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// The line.
    pub line: usize,
    /// The column, in characters.
    pub column: usize,
}

/// Each statement's first character and the position just after its last, in document order; empty
/// when the text is not a policy.
pub fn statement_positions(text: &str) -> Vec<(Position, Position)> {
    let Ok(node) = json::parse(text) else { return Vec::new() };
    let Value::Object(members) = &node.value else { return Vec::new() };
    let Some(statement) = members.iter().find(|m| m.key == "Statement") else { return Vec::new() };
    let spans = match &statement.node.value {
        Value::Array(items) => items.iter().map(|n| n.span).collect(),
        _ => vec![statement.node.span],
    };
    // One pass over the text finds where each line starts; each position is then a search, so a
    // document of many statements costs its length once.
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let at = |offset: usize| {
        let offset = offset.min(text.len());
        let line = line_starts.partition_point(|start| *start <= offset).max(1);
        let start = line_starts[line - 1];
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        Position { line, column }
    };
    spans.into_iter().map(|s| (at(s.start), at(s.end))).collect()
}

/// What kind of policy a simulated statement came from, in the simulator's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    /// A user's inline policy.
    User,
    /// A group's inline policy.
    Group,
    /// A role's inline policy.
    Role,
    /// An AWS managed policy.
    AwsManaged,
    /// A customer managed policy.
    UserManaged,
    /// The resource-based policy given to the simulation.
    Resource,
    /// A policy given to the simulation as text.
    None,
}

impl SourceType {
    /// `user`, `group`, `role`, `aws-managed`, `user-managed`, `resource` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::User => "user",
            SourceType::Group => "group",
            SourceType::Role => "role",
            SourceType::AwsManaged => "aws-managed",
            SourceType::UserManaged => "user-managed",
            SourceType::Resource => "resource",
            SourceType::None => "none",
        }
    }
}

/// A policy in a simulation: the compiled policy, what to call it and where its statements are.
#[derive(Debug, Clone)]
pub struct Source {
    /// `SourcePolicyId`: a policy name, `role_NAME_POLICY` for inline policies, or
    /// `PolicyInputList.N` for policies given as text.
    pub id: String,
    /// `SourcePolicyType`.
    pub kind: SourceType,
    /// The compiled policy.
    pub policy: Arc<Policy>,
    /// Each statement's span ([`statement_positions`]).
    pub positions: Vec<(Position, Position)>,
}

impl Source {
    /// Parses `text` as the policy `id` of kind `kind`.
    pub fn parse(id: impl Into<String>, kind: SourceType, text: &str) -> Result<Source, DocumentError> {
        let id = id.into();
        let policy = Policy::parse(text)?.named(id.as_str());
        Ok(Source { id, kind, policy: Arc::new(policy), positions: statement_positions(text) })
    }
}

/// A statement that decided a result, by its policy and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The policy's `SourcePolicyId`.
    pub source_id: String,
    /// The policy's `SourcePolicyType`.
    pub source_type: SourceType,
    /// Where the statement starts.
    pub start: Position,
    /// Just after where it ends.
    pub end: Position,
}

/// The simulation of one action on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceResult {
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The decision.
    pub decision: Outcome,
    /// For an allow, the allow statements that applied; for an explicit deny, the deny statements;
    /// for an implicit deny, none.
    pub matched: Vec<MatchedStatement>,
    /// Context keys that conditions read and the simulation was not given.
    pub missing_context: Vec<String>,
    /// With a permissions boundary: whether the boundary alone allows the request.
    pub allowed_by_boundary: Option<bool>,
    /// With SCPs: whether they allow the request.
    pub allowed_by_organizations: Option<bool>,
}

/// The simulation of one action on every resource asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The action.
    pub action: String,
    /// The most restrictive decision over the resources (an explicit deny over an implicit deny
    /// over an allow), as the simulator reports it.
    pub decision: Outcome,
    /// One result per resource, in the order asked.
    pub resources: Vec<ResourceResult>,
}

/// Everything a simulation evaluates: the caller's identity policies, its boundary, the resource's
/// policy, who calls and the context the caller supplies.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Identity-based policies.
    pub identity: Vec<Source>,
    /// The permissions boundary, if any.
    pub boundary: Option<Source>,
    /// The resource-based policy, if any.
    pub resource_policy: Option<Source>,
    /// Organizations SCPs, one list per level from the root down (empty: not in an organization).
    pub scps: Vec<Vec<Source>>,
    /// The simulated caller.
    pub caller: Caller,
    /// The context keys given to the simulation (the simulator fills in nothing else).
    pub context: Context,
}

/// An identity policy that allows everything, compiled once: SCPs evaluated against it alone say
/// whether the organization allows a request.
fn allow_everything() -> Vec<Arc<Policy>> {
    static EVERYTHING: std::sync::OnceLock<Option<Arc<Policy>>> = std::sync::OnceLock::new();
    let policy = EVERYTHING.get_or_init(|| {
        Policy::parse(r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#).ok().map(Arc::new)
    });
    policy.iter().cloned().collect()
}

fn restrictiveness(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Allow => 0,
        Outcome::ImplicitDeny => 1,
        Outcome::ExplicitDeny => 2,
    }
}

impl Simulation {
    fn policy_set(&self) -> PolicySet {
        PolicySet {
            identity: self.identity.iter().map(|s| s.policy.clone()).collect(),
            boundary: self.boundary.as_ref().map(|s| s.policy.clone()),
            resource: self.resource_policy.as_ref().map(|s| s.policy.clone()),
            scps: self.scps.iter().map(|level| level.iter().map(|s| s.policy.clone()).collect()).collect(),
            ..PolicySet::default()
        }
    }

    fn source(&self, policy_type: PolicyType, level: Option<usize>, index: usize) -> Option<&Source> {
        match policy_type {
            PolicyType::Identity => self.identity.get(index),
            PolicyType::PermissionsBoundary => self.boundary.as_ref(),
            PolicyType::ResourceBased => self.resource_policy.as_ref(),
            PolicyType::Scp => self.scps.get(level?)?.get(index),
            PolicyType::Session | PolicyType::Rcp => None,
        }
    }

    fn matched(&self, at: StatementRef) -> Option<MatchedStatement> {
        let level = (at.policy_type == PolicyType::Scp).then_some(usize::from(at.level));
        let source = self.source(at.policy_type, level, usize::from(at.policy))?;
        let (start, end) = source.positions.get(usize::from(at.statement)).copied().unwrap_or_default();
        Some(MatchedStatement { source_id: source.id.clone(), source_type: source.kind, start, end })
    }

    /// Simulates `action` on each of `resources` (`*` when there are none).
    pub fn run(&self, action: &str, resources: &[String]) -> ActionResult {
        let star = ["*".to_string()];
        let resources = if resources.is_empty() { &star[..] } else { resources };
        let set = self.policy_set();
        let results: Vec<ResourceResult> = resources.iter().map(|r| self.run_one(&set, action, r)).collect();
        let decision =
            results.iter().map(|r| r.decision).max_by_key(|d| restrictiveness(*d)).unwrap_or(Outcome::ImplicitDeny);
        ActionResult { action: action.to_string(), decision, resources: results }
    }

    fn run_one(&self, set: &PolicySet, action: &str, resource: &str) -> ResourceResult {
        let request = Request::new(self.caller.clone(), action, resource).with_context(self.context.clone());
        let explanation = explain(&request, set);
        let wanted = match explanation.decision {
            Outcome::Allow => Some(Effect::Allow),
            Outcome::ExplicitDeny => Some(Effect::Deny),
            Outcome::ImplicitDeny => None,
        };
        let mut matched = Vec::new();
        let mut missing_context: Vec<String> = Vec::new();
        for policy in &explanation.policies {
            for (s, note) in policy.statements.iter().enumerate() {
                let counts = match policy.policy_type {
                    // Boundaries and SCPs are reported on their own, not as matched allows.
                    PolicyType::PermissionsBoundary | PolicyType::Scp => wanted == Some(Effect::Deny),
                    _ => true,
                };
                if note.result == "applies" && Some(note.effect) == wanted && counts {
                    let at = StatementRef {
                        policy_type: policy.policy_type,
                        level: policy.level.map_or(0, |l| u16::try_from(l).unwrap_or(u16::MAX)),
                        policy: u16::try_from(policy.index).unwrap_or(u16::MAX),
                        statement: u16::try_from(s).unwrap_or(u16::MAX),
                    };
                    matched.extend(self.matched(at));
                }
                if note.key_missing == Some(true) {
                    if let Some(key) = &note.key {
                        if !missing_context.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                            missing_context.push(key.clone());
                        }
                    }
                }
            }
        }
        let allowed_by_boundary = self.boundary.as_ref().map(|b| {
            let alone = PolicySet { identity: vec![b.policy.clone()], ..PolicySet::default() };
            authorize(&request, &alone).is_allowed()
        });
        let allowed_by_organizations = (!self.scps.is_empty()).then(|| {
            let alone = PolicySet { identity: allow_everything(), scps: set.scps.clone(), ..PolicySet::default() };
            authorize(&request, &alone).is_allowed()
        });
        ResourceResult {
            resource: resource.to_string(),
            decision: explanation.decision,
            matched,
            missing_context,
            allowed_by_boundary,
            allowed_by_organizations,
        }
    }
}

/// The context keys a policy reads: its condition keys and the policy variables in its `Resource`,
/// `Action` and condition values, as written, each once regardless of case
/// (GetContextKeysForCustomPolicy).
pub fn context_keys(policy: &Policy, into: &mut Vec<String>) {
    let mut add = |key: &str| {
        if !into.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            into.push(key.to_string());
        }
    };
    let variables = |text: &str, add: &mut dyn FnMut(&str)| {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let key = after[..end].split(',').next().unwrap_or_default().trim();
            if !matches!(key, "*" | "?" | "$") && !key.is_empty() {
                add(key);
            }
            rest = &after[end + 1..];
        }
    };
    for s in &policy.statements {
        for c in &s.conditions {
            add(&c.key);
            for v in c.written_values() {
                if let Some(text) = v.as_str() {
                    variables(text, &mut add);
                }
            }
        }
        for text in s.resource.iter().flat_map(|r| r.written.iter()).chain(s.action.written.iter()) {
            variables(text, &mut add);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:DeleteObject\", \"Resource\": \"arn:aws:s3:::${aws:username}/*\"}\n  ]\n}";

    fn simulation(boundary: Option<&str>) -> Simulation {
        Simulation {
            identity: vec![Source::parse("user_alice_inline", SourceType::User, TWO).unwrap()],
            boundary: boundary
                .map(|b| Source::parse("PermissionsBoundaryPolicyInputList.1", SourceType::None, b).unwrap()),
            resource_policy: None,
            scps: Vec::new(),
            caller: Caller::from_arn("arn:aws:iam::123456789012:user/alice", None).unwrap(),
            context: {
                let mut c = Context::new();
                c.insert("aws:username", crate::ContextValue::single("alice"));
                c
            },
        }
    }

    #[test]
    fn statements_are_located_by_line_and_column() {
        let positions = statement_positions(TWO);
        assert_eq!(positions.len(), 2);
        assert_eq!(positions[0].0, Position { line: 4, column: 5 });
        assert_eq!(positions[1].0.line, 5);
        assert_eq!(positions[0].1, Position { line: 4, column: 59 });
    }

    #[test]
    fn the_decision_names_the_statements_that_made_it_and_the_most_restrictive_wins() {
        let result = simulation(None)
            .run("s3:DeleteObject", &["arn:aws:s3:::alice/a".to_string(), "arn:aws:s3:::bob/b".to_string()]);
        assert_eq!(result.decision, Outcome::ExplicitDeny);
        let [denied, allowed] = &result.resources[..] else { panic!("two results") };
        assert_eq!(denied.decision, Outcome::ExplicitDeny);
        assert_eq!(denied.matched.len(), 1);
        assert_eq!(denied.matched[0].start.line, 5);
        assert_eq!(allowed.decision, Outcome::Allow);
        assert_eq!((allowed.matched[0].source_id.as_str(), allowed.matched[0].start.line), ("user_alice_inline", 4));
    }

    #[test]
    fn a_boundary_caps_the_decision_and_reports_what_it_alone_allows() {
        let boundary =
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#;
        let result = simulation(Some(boundary)).run("s3:PutObject", &[]);
        assert_eq!(result.decision, Outcome::ImplicitDeny);
        assert_eq!(result.resources[0].allowed_by_boundary, Some(false));
        let result = simulation(Some(boundary)).run("s3:GetObject", &[]);
        assert_eq!((result.decision, result.resources[0].allowed_by_boundary), (Outcome::Allow, Some(true)));
    }

    #[test]
    fn context_keys_come_from_conditions_and_variables_as_written() {
        let policy = Policy::parse(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*",
                "Resource": "arn:aws:s3:::${aws:username}/${*}",
                "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                              "StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}", "AWS:SourceIP": "x"}}}}"#,
        )
        .unwrap();
        let mut keys = Vec::new();
        context_keys(&policy, &mut keys);
        assert_eq!(keys, ["aws:SourceIp", "s3:prefix", "aws:PrincipalTag/team", "aws:username"]);
    }
}
