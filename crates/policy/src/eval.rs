//! `authorize`: AWS's policy evaluation logic, one step per paragraph of the documentation.
//!
//! AWS: "Policy evaluation logic" and "How AWS enforcement code logic evaluates requests to allow
//! or deny access" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html>),
//! "Cross-account policy evaluation logic", "Permissions boundaries for IAM entities", "Session
//! policies", "Service control policies" and "Resource control policies".
//!
//! 1. An explicit `Deny` in any applicable policy decides `ExplicitDeny`.
//! 2. RCPs (the resource's account) and SCPs (the caller's account): every level needs an `Allow`.
//! 3. Same account: a resource-based policy that names the caller's user, session or federated-user
//!    ARN (or `*`) allows on its own; one that names the role behind a session allows if the
//!    boundary and session policy do; otherwise identity policy, boundary and session policy must all
//!    allow. Role trust policies and KMS key policies must allow in every case.
//! 4. Cross account: the caller's side (identity, boundary, session policy) and the resource-based
//!    policy must both allow.

use std::sync::Arc;

use smallvec::SmallVec;

use crate::condition;
use crate::pattern::SplitArn;
use crate::policy::{Effect, Policy, PrincipalElement, PrincipalMatcher, Statement};
use crate::request::{Caller, CallerKind, Request};

/// The kinds of policy AWS evaluates, in the vocabulary of its access-denied messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyType {
    /// Identity-based policies: the user's, its groups', or the role's.
    Identity,
    /// The resource's own policy (bucket policy, key policy, trust policy...).
    ResourceBased,
    /// The permissions boundary of the user or role.
    PermissionsBoundary,
    /// Session policies passed when the session was created.
    Session,
    /// Organizations service control policies (the caller's account).
    Scp,
    /// Organizations resource control policies (the resource's account).
    Rcp,
}

impl PolicyType {
    /// The phrase AWS uses in AccessDenied messages ("no identity-based policy allows ...").
    pub fn phrase(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::ResourceBased => "resource-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
        }
    }
}

/// The outcome, in the vocabulary of IAM's policy simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// A `Deny` statement applied.
    ExplicitDeny,
    /// Nothing allowed it.
    ImplicitDeny,
}

impl Outcome {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// Points at one statement of one policy in a [`PolicySet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct StatementRef {
    /// Which kind of policy.
    pub policy_type: PolicyType,
    /// For SCPs and RCPs, the level (0 is the root); otherwise 0.
    pub level: u16,
    /// The policy's index within its type (and level).
    pub policy: u16,
    /// The statement's index within the policy.
    pub statement: u16,
}

/// What `authorize` decided and the statements that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The outcome.
    pub outcome: Outcome,
    /// For `ExplicitDeny`, the deny statement; for `Allow`, the allow statement of each policy type
    /// that had to allow; for `ImplicitDeny`, the allows that were found before one was missing.
    pub statements: SmallVec<[StatementRef; 8]>,
    /// For `ImplicitDeny`, the policy type whose missing `Allow` denied the request.
    pub missing_allow: Option<PolicyType>,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// Every policy that applies to one request, compiled. Policies are shared (`Arc`) so that a
/// server can cache a principal's set and reuse managed policies across principals.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Identity-based policies (any number).
    pub identity: Vec<Arc<Policy>>,
    /// The permissions boundary, if one is set.
    pub boundary: Option<Arc<Policy>>,
    /// Session policies, if the session was created with any (`None`: no session policy).
    pub session: Option<Vec<Arc<Policy>>>,
    /// SCP levels for the caller's account, root first.
    pub scps: Vec<Vec<Arc<Policy>>>,
    /// RCP levels for the resource's account, root first.
    pub rcps: Vec<Vec<Arc<Policy>>>,
    /// The resource-based policy, if the resource has one.
    pub resource: Option<Arc<Policy>>,
}

/// How precisely a resource-based policy named the caller; it decides which implicit denies the
/// policy's `Allow` overrides in the same account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalMatch {
    /// Not named.
    None,
    /// Named through its account: identity policies must also allow.
    Account,
    /// Named through the role behind the session: boundary and session policy must also allow.
    Role,
    /// Named directly (user, session or federated-user ARN, service, `*`): enough on its own.
    Direct,
}

/// Why a statement did or did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementOutcome {
    /// It applies; for resource-based policies, with how the caller was named.
    Applies(PrincipalMatch),
    /// The action is not covered.
    ActionNotMatched,
    /// The resource is not covered.
    ResourceNotMatched,
    /// The caller is not named.
    PrincipalNotMatched,
    /// Condition number `index` (in the statement's `conditions`) did not hold.
    ConditionFailed {
        /// Index into [`Statement::conditions`].
        index: usize,
        /// Whether the condition's key was absent from the context.
        key_missing: bool,
    },
}

/// What one request needs while statements are matched: the split resource ARN, and whether the
/// caller has a permissions boundary.
struct Matcher<'r> {
    request: &'r Request,
    resource: SplitArn<'r>,
    has_boundary: bool,
}

impl<'r> Matcher<'r> {
    fn new(request: &'r Request, policies: &PolicySet) -> Matcher<'r> {
        Matcher { request, resource: SplitArn::new(&request.resource), has_boundary: policies.boundary.is_some() }
    }

    /// Matches one statement. `principal` is whether the policy type names principals
    /// (resource-based policies and RCPs).
    fn statement(&self, statement: &Statement, principal: bool) -> StatementOutcome {
        let request = self.request;
        let context = &request.context;
        let action = request.action_lowercase();
        let in_action = statement.action.patterns.iter().any(|p| p.matches_prepared(action, context));
        if in_action == statement.action.negated {
            return StatementOutcome::ActionNotMatched;
        }
        if let Some(resource) = &statement.resource {
            let in_resource = resource.patterns.iter().any(|p| p.matches(&self.resource, context));
            if in_resource == resource.negated {
                return StatementOutcome::ResourceNotMatched;
            }
        }
        let mut named = PrincipalMatch::None;
        if principal {
            named = match &statement.principal {
                // AWS ("Permissions boundaries for IAM entities"): "The NotPrincipal element with a
                // Deny effect will always deny any IAM principal that has a permissions boundary
                // policy attached, regardless of the values specified in the NotPrincipal element."
                Some(element) if element.negated && statement.effect == Effect::Deny && self.has_boundary => {
                    PrincipalMatch::Direct
                }
                Some(element) => principal_match(element, &request.caller),
                None => PrincipalMatch::None,
            };
            if named == PrincipalMatch::None {
                return StatementOutcome::PrincipalNotMatched;
            }
        }
        for (index, c) in statement.conditions.iter().enumerate() {
            let values = context.get(&c.key_lowercase).map(|v| v.values());
            if !condition::evaluate(&c.operator, &c.values, values, context) {
                return StatementOutcome::ConditionFailed { index, key_missing: values.is_none_or(<[_]>::is_empty) };
            }
        }
        StatementOutcome::Applies(named)
    }
}

/// How a `Principal` or `NotPrincipal` element names the caller.
///
/// AWS ("AWS JSON policy elements: Principal" and "NotPrincipal"): a role ARN names the role's
/// sessions; an account names every principal in it. `NotPrincipal` excludes only the exact
/// identities it lists: the caller is excluded when its ARN, the role behind its session and its
/// account are all listed, which is why AWS asks for the account ARN (and, for sessions, both the
/// role and session ARNs) to be listed.
fn principal_match(element: &PrincipalElement, caller: &Caller) -> PrincipalMatch {
    if element.negated {
        let listed = |m: &PrincipalMatcher, id: &str| match m {
            PrincipalMatcher::Everyone => true,
            PrincipalMatcher::Account(a) | PrincipalMatcher::Role(a) | PrincipalMatcher::Exact(a) => **a == *id,
            PrincipalMatcher::Service(s) | PrincipalMatcher::Federated(s) | PrincipalMatcher::CanonicalUser(s) => {
                **s == *id
            }
        };
        let identities = [caller.account.as_deref(), caller.role_arn.as_deref(), caller.arn.as_deref()];
        let excluded = identities.iter().flatten().all(|id| element.matchers.iter().any(|m| listed(m, id)))
            && identities.iter().any(Option::is_some);
        return if excluded { PrincipalMatch::None } else { PrincipalMatch::Direct };
    }
    let mut best = PrincipalMatch::None;
    for m in &element.matchers {
        let found = match m {
            PrincipalMatcher::Everyone => PrincipalMatch::Direct,
            PrincipalMatcher::Account(a) if caller.account.as_deref() == Some(&**a) => {
                if caller.kind == CallerKind::Root {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::Account
                }
            }
            PrincipalMatcher::Role(r) if caller.role_arn.as_deref() == Some(&**r) => PrincipalMatch::Role,
            PrincipalMatcher::Role(a) | PrincipalMatcher::Exact(a)
                if caller.arn.as_deref() == Some(&**a)
                    && !matches!(caller.kind, CallerKind::Service | CallerKind::WebIdentity) =>
            {
                PrincipalMatch::Direct
            }
            PrincipalMatcher::Service(s)
                if caller.kind == CallerKind::Service && caller.arn.as_deref() == Some(&**s) =>
            {
                PrincipalMatch::Direct
            }
            PrincipalMatcher::Federated(f)
                if caller.kind == CallerKind::WebIdentity && caller.arn.as_deref() == Some(&**f) =>
            {
                PrincipalMatch::Direct
            }
            PrincipalMatcher::CanonicalUser(c) if caller.canonical_user.as_deref() == Some(&**c) => {
                PrincipalMatch::Direct
            }
            _ => PrincipalMatch::None,
        };
        best = best.max(found);
        if best == PrincipalMatch::Direct {
            break;
        }
    }
    best
}

/// The result of scanning one policy type (or one SCP/RCP level).
#[derive(Default)]
struct Scan {
    deny: Option<StatementRef>,
    allow: Option<StatementRef>,
    named: Option<PrincipalMatch>,
}

fn scan(
    matcher: &Matcher<'_>,
    policies: &[Arc<Policy>],
    policy_type: PolicyType,
    level: usize,
    names_principals: bool,
) -> Scan {
    let mut result = Scan::default();
    for (p, policy) in policies.iter().enumerate() {
        for (s, statement) in policy.statements.iter().enumerate() {
            // Once an allow is found, only deny statements can change the outcome.
            if statement.effect == Effect::Allow && result.allow.is_some() && !names_principals {
                continue;
            }
            if let StatementOutcome::Applies(named) = matcher.statement(statement, names_principals) {
                let at = StatementRef { policy_type, level: level as u16, policy: p as u16, statement: s as u16 };
                match statement.effect {
                    Effect::Deny => {
                        result.deny = Some(at);
                        return result;
                    }
                    Effect::Allow => {
                        if result.named.is_none_or(|best| named > best) {
                            result.named = Some(named);
                            result.allow = Some(at);
                        }
                    }
                }
            }
        }
    }
    result
}

/// Actions whose resource-based policy must allow even within one account: role trust policies
/// and KMS key policies ("Policy evaluation logic": "IAM role trust policies and KMS key policies
/// are exceptions to this logic, because they must explicitly allow access for principals").
fn resource_policy_required(action_lowercase: &str) -> bool {
    action_lowercase.starts_with("kms:")
        || matches!(
            action_lowercase,
            "sts:assumerole"
                | "sts:assumerolewithsaml"
                | "sts:assumerolewithwebidentity"
                | "sts:tagsession"
                | "sts:setsourceidentity"
                | "sts:setcontext"
        )
}

/// Decides a request exactly as AWS does. Never fails: every policy was validated when it was
/// compiled, and every missing context key has a defined meaning.
pub fn authorize(request: &Request, policies: &PolicySet) -> Decision {
    let matcher = Matcher::new(request, policies);
    let caller = &request.caller;
    let mut statements: SmallVec<[StatementRef; 8]> = SmallVec::new();
    let deny = |at: StatementRef| Decision {
        outcome: Outcome::ExplicitDeny,
        statements: SmallVec::from_slice(&[at]),
        missing_allow: None,
    };

    // SCPs govern principals of member accounts; RCPs govern resources, whoever the caller, except
    // AWS service principals (AWS: "Resource control policies (RCPs)").
    let scps_apply = caller.account.is_some() && !policies.scps.is_empty();
    let rcps_apply = caller.kind != CallerKind::Service && !policies.rcps.is_empty();
    let is_root = caller.kind == CallerKind::Root;

    // Step 1 and the allow scans in one pass: each statement is matched at most once.
    let mut rcp_missing = false;
    if rcps_apply {
        for (level, level_policies) in policies.rcps.iter().enumerate() {
            let s = scan(&matcher, level_policies, PolicyType::Rcp, level, true);
            if let Some(at) = s.deny {
                return deny(at);
            }
            match s.allow {
                Some(at) => statements.push(at),
                None => rcp_missing = true,
            }
        }
    }
    let mut scp_missing = false;
    if scps_apply {
        for (level, level_policies) in policies.scps.iter().enumerate() {
            let s = scan(&matcher, level_policies, PolicyType::Scp, level, false);
            if let Some(at) = s.deny {
                return deny(at);
            }
            match s.allow {
                Some(at) => statements.push(at),
                None => scp_missing = true,
            }
        }
    }
    let resource = match &policies.resource {
        Some(policy) => scan(&matcher, std::slice::from_ref(policy), PolicyType::ResourceBased, 0, true),
        None => Scan::default(),
    };
    if let Some(at) = resource.deny {
        return deny(at);
    }
    let identity = scan(&matcher, &policies.identity, PolicyType::Identity, 0, false);
    if let Some(at) = identity.deny {
        return deny(at);
    }
    let boundary = policies
        .boundary
        .as_ref()
        .map(|policy| scan(&matcher, std::slice::from_ref(policy), PolicyType::PermissionsBoundary, 0, false));
    if let Some(at) = boundary.as_ref().and_then(|b| b.deny) {
        return deny(at);
    }
    let session = policies.session.as_ref().map(|p| scan(&matcher, p, PolicyType::Session, 0, false));
    if let Some(at) = session.as_ref().and_then(|s| s.deny) {
        return deny(at);
    }

    let implicit = |statements: SmallVec<[StatementRef; 8]>, missing: PolicyType| Decision {
        outcome: Outcome::ImplicitDeny,
        statements,
        missing_allow: Some(missing),
    };
    if rcp_missing {
        return implicit(statements, PolicyType::Rcp);
    }
    if scp_missing {
        return implicit(statements, PolicyType::Scp);
    }

    // The caller's side: identity policies, then the boundary, then session policies. The root
    // user is allowed by default; a federated-user session without a session policy has nothing.
    let identity_allow = if is_root { Some(None) } else { identity.allow.map(Some) };
    let boundary_allow = match &boundary {
        None => Some(None),
        Some(b) => b.allow.map(Some),
    };
    let session_allow = match &session {
        Some(s) => s.allow.map(Some),
        None if caller.kind == CallerKind::FederatedUser => None,
        None => Some(None),
    };
    let caller_side_gap = if identity_allow.is_none() {
        Some(PolicyType::Identity)
    } else if boundary_allow.is_none() {
        Some(PolicyType::PermissionsBoundary)
    } else if session_allow.is_none() && caller.is_session() {
        Some(PolicyType::Session)
    } else {
        None
    };
    let push_caller_side = |statements: &mut SmallVec<[StatementRef; 8]>| {
        for at in [identity_allow, boundary_allow, session_allow].into_iter().flatten().flatten() {
            statements.push(at);
        }
    };
    let named = resource.named.unwrap_or(PrincipalMatch::None);
    let has_account = caller.account.is_some();

    if has_account && request.is_same_account() {
        let required = policies.resource.is_some() && resource_policy_required(request.action_lowercase());
        if let Some(at) = resource.allow {
            let limits_hold = boundary_allow.is_some() && session_allow.is_some();
            if named == PrincipalMatch::Direct || (named == PrincipalMatch::Role && limits_hold) {
                statements.push(at);
                if named == PrincipalMatch::Role {
                    push_caller_side(&mut statements);
                }
                return Decision { outcome: Outcome::Allow, statements, missing_allow: None };
            }
        }
        if required && resource.allow.is_none() {
            return implicit(statements, PolicyType::ResourceBased);
        }
        return match caller_side_gap {
            None => {
                statements.extend(resource.allow);
                push_caller_side(&mut statements);
                Decision { outcome: Outcome::Allow, statements, missing_allow: None }
            }
            Some(gap) => implicit(statements, gap),
        };
    }

    // Cross-account, or a caller with no account (service, web identity, anonymous): the
    // resource-based policy must allow, and an account's principal needs its own side to allow.
    let Some(at) = resource.allow else {
        return implicit(statements, PolicyType::ResourceBased);
    };
    statements.push(at);
    if !has_account {
        return Decision { outcome: Outcome::Allow, statements, missing_allow: None };
    }
    match caller_side_gap {
        None => {
            push_caller_side(&mut statements);
            Decision { outcome: Outcome::Allow, statements, missing_allow: None }
        }
        Some(gap) => implicit(statements, gap),
    }
}

/// Every statement's result, for explanations: what matched, and for statements that failed only
/// on a condition, which operator and key.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    /// The decision.
    pub decision: Outcome,
    /// For `ImplicitDeny`, the policy type whose missing `Allow` denied the request.
    pub missing_allow: Option<PolicyType>,
    /// The statements that decided.
    pub deciding_statements: Vec<StatementNote>,
    /// Every policy, with each statement's result.
    pub policies: Vec<PolicyNote>,
}

/// One policy's part in an explanation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyNote {
    /// Its type.
    pub policy_type: PolicyType,
    /// For SCPs and RCPs, the level (0 is the root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// Its index within its type (and level).
    pub index: usize,
    /// Its name, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether this policy type applies to the request at all (SCPs do not apply to service
    /// principals, for instance).
    pub applies: bool,
    /// Each statement's result.
    pub statements: Vec<StatementNote>,
}

/// One statement's part in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementNote {
    /// The policy type.
    pub policy_type: PolicyType,
    /// The policy's name, or its index as text.
    pub policy: String,
    /// The statement's `Sid`, or its index as text.
    pub statement: String,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// `applies`, `action_not_matched`, `resource_not_matched`, `principal_not_matched` or
    /// `condition_failed`.
    pub result: &'static str,
    /// For resource-based policies: how the caller was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalMatch>,
    /// For `condition_failed`: the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// For `condition_failed`: the condition key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For `condition_failed`: whether the key was absent from the context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_missing: Option<bool>,
}

fn policy_label(policy: &Policy, index: usize) -> String {
    policy.name.as_deref().map_or_else(|| index.to_string(), str::to_string)
}

fn note(policy_type: PolicyType, policy: &Policy, index: usize, s: usize, outcome: StatementOutcome) -> StatementNote {
    let statement = &policy.statements[s];
    let mut n = StatementNote {
        policy_type,
        policy: policy_label(policy, index),
        statement: statement.sid.as_deref().map_or_else(|| s.to_string(), str::to_string),
        effect: statement.effect,
        result: "applies",
        principal: None,
        operator: None,
        key: None,
        key_missing: None,
    };
    match outcome {
        StatementOutcome::Applies(named) => {
            n.principal = (named != PrincipalMatch::None).then_some(named);
        }
        StatementOutcome::ActionNotMatched => n.result = "action_not_matched",
        StatementOutcome::ResourceNotMatched => n.result = "resource_not_matched",
        StatementOutcome::PrincipalNotMatched => n.result = "principal_not_matched",
        StatementOutcome::ConditionFailed { index, key_missing } => {
            n.result = "condition_failed";
            if let Some(c) = statement.conditions.get(index) {
                n.operator = Some(c.operator.name());
                n.key = Some(c.key.to_string());
            }
            n.key_missing = Some(key_missing);
        }
    }
    n
}

impl PolicySet {
    fn each_policy(&self) -> Vec<(PolicyType, Option<usize>, usize, &Arc<Policy>)> {
        let mut all = Vec::new();
        for (l, level) in self.rcps.iter().enumerate() {
            all.extend(level.iter().enumerate().map(|(i, p)| (PolicyType::Rcp, Some(l), i, p)));
        }
        for (l, level) in self.scps.iter().enumerate() {
            all.extend(level.iter().enumerate().map(|(i, p)| (PolicyType::Scp, Some(l), i, p)));
        }
        all.extend(self.resource.iter().map(|p| (PolicyType::ResourceBased, None, 0, p)));
        all.extend(self.identity.iter().enumerate().map(|(i, p)| (PolicyType::Identity, None, i, p)));
        all.extend(self.boundary.iter().map(|p| (PolicyType::PermissionsBoundary, None, 0, p)));
        if let Some(session) = &self.session {
            all.extend(session.iter().enumerate().map(|(i, p)| (PolicyType::Session, None, i, p)));
        }
        all
    }

    /// The policy a [`StatementRef`] points at, so that callers can name the statements that decided.
    pub fn policy_at(&self, at: &StatementRef) -> Option<&Arc<Policy>> {
        let (level, policy) = (usize::from(at.level), usize::from(at.policy));
        match at.policy_type {
            PolicyType::Identity => self.identity.get(policy),
            PolicyType::ResourceBased => self.resource.as_ref(),
            PolicyType::PermissionsBoundary => self.boundary.as_ref(),
            PolicyType::Session => self.session.as_ref()?.get(policy),
            PolicyType::Scp => self.scps.get(level)?.get(policy),
            PolicyType::Rcp => self.rcps.get(level)?.get(policy),
        }
    }
}

/// Decides a request and explains the decision statement by statement. Slower than
/// [`authorize`] (it matches every statement and allocates); for people, not hot paths.
pub fn explain(request: &Request, policies: &PolicySet) -> Explanation {
    let decision = authorize(request, policies);
    let matcher = Matcher::new(request, policies);
    let caller = &request.caller;
    let mut notes = Vec::new();
    for (policy_type, level, index, policy) in policies.each_policy() {
        let names_principals = matches!(policy_type, PolicyType::ResourceBased | PolicyType::Rcp);
        let applies = match policy_type {
            PolicyType::Scp => caller.account.is_some(),
            PolicyType::Rcp => caller.kind != CallerKind::Service,
            _ => true,
        };
        let statements = (0..policy.statements.len())
            .map(|s| note(policy_type, policy, index, s, matcher.statement(&policy.statements[s], names_principals)))
            .collect();
        notes.push(PolicyNote {
            policy_type,
            level,
            index,
            name: policy.name.as_deref().map(str::to_string),
            applies,
            statements,
        });
    }
    let deciding_statements = decision
        .statements
        .iter()
        .filter_map(|at| {
            let policy = policies.policy_at(at)?;
            let names_principals = matches!(at.policy_type, PolicyType::ResourceBased | PolicyType::Rcp);
            let s = usize::from(at.statement);
            let outcome = matcher.statement(policy.statements.get(s)?, names_principals);
            Some(note(at.policy_type, policy, usize::from(at.policy), s, outcome))
        })
        .collect();
    Explanation {
        decision: decision.outcome,
        missing_allow: decision.missing_allow,
        deciding_statements,
        policies: notes,
    }
}
