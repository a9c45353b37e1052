//! Least privilege from activity: the policy that allows what a principal was seen doing and
//! nothing else, proven by the engine on every call it was generated from.
//!
//! Each successful call of the principal contributes what it needed: for monban's records, the
//! actions and resources the server authorized it for; for CloudTrail's, the action named by the
//! service's IAM prefix and the operation (confirmed in the catalog) on the resources the record
//! lists, or on `*` when it lists none (reported). Denied calls are listed as needed but not
//! granted, never granted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use monban_catalog::Catalog;
use monban_policy::arn::Arn;
use monban_policy::quotas::{policy_size, Quota};
use monban_policy::request::{Context, ContextValue};
use monban_policy::{authorize, Caller, Outcome, Policy, PolicySet, Request};
use serde_json::{json, Value};

use super::mapping::{inferred, needs, Need};
use super::records::Event;
use crate::compare::{compare, Comparison};

/// What `generate` found for one principal.
#[derive(Debug)]
pub struct Generated {
    /// The principal.
    pub principal: String,
    /// The generated policy document.
    pub document: Value,
    /// When the document is over IAM's quota for a managed policy: the same statements in several
    /// documents, each within it (empty otherwise).
    pub split: Vec<Value>,
    /// The principal's calls that were allowed (and so contributed to the policy).
    pub allowed_calls: usize,
    /// Of those, how many the generated policy allows, decided by the engine.
    pub verified_calls: usize,
    /// Needed but not granted: (action or operation, resource) and how many calls were denied.
    pub not_granted: BTreeMap<(String, String), usize>,
    /// Calls whose action the catalog does not know: `source:operation` and how many.
    pub unmapped: BTreeMap<String, usize>,
    /// Actions granted on `*` because their calls named no resource.
    pub on_any_resource: BTreeSet<String>,
    /// Resources granted as `prefix*` because more than the threshold of them share the prefix,
    /// with how many there were.
    pub collapsed: BTreeMap<String, usize>,
    /// Granted because a call needed it without the records saying so (`action on resource`),
    /// with why: a role handed to a service (`iam:PassRole`), tags given at creation.
    pub inferred: BTreeMap<String, String>,
}

/// More S3 objects than this under one prefix (up to a `/`) are granted as `prefix*`; other
/// resources are never collapsed. `monban generate --collapse N` changes it.
pub const COLLAPSE: usize = 10;

/// Whether `event` is a call of `principal`: a user or root by its ARN, a role by any of its
/// sessions, or one assumed-role session by its ARN.
pub fn is_of(principal: &str, event: &Event) -> bool {
    if event.caller == principal || event.session_issuer.as_deref() == Some(principal) {
        return true;
    }
    let (Some(role), Some(session)) = (Arn::parse(principal), Arn::parse(&event.caller)) else { return false };
    role.service() == "iam"
        && role.resource_type() == "role"
        && session.service() == "sts"
        && session.account() == role.account()
        && session.resource().strip_prefix("assumed-role/").and_then(|r| r.split('/').next())
            == Some(role.resource_name())
}

/// The principal whose permissions a call used: a session's role (its issuer, or the role its ARN
/// names), otherwise the caller; `None` for the root user, whom policies do not govern.
pub fn principal_of(event: &Event) -> Option<String> {
    if let Some(issuer) = &event.session_issuer {
        return Some(issuer.clone());
    }
    let arn = Arn::parse(&event.caller)?;
    match (arn.service(), arn.resource_type()) {
        (_, "root") => None,
        ("sts", "assumed-role") => {
            let role = arn.resource().strip_prefix("assumed-role/")?.split('/').next()?;
            Some(format!("arn:{}:iam::{}:role/{role}", arn.partition(), arn.account()))
        }
        _ => Some(event.caller.clone()),
    }
}

/// One distinct allowed call: the caller, its session's issuer, and what it needed.
type CallKey = (String, Option<String>, Vec<Need>);

/// Under what a resource is granted for an action: always, or only with one of the values a
/// condition key had on the calls (`iam:PassedToService`, `kms:ViaService`). A grant used both
/// ways is granted always.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    Always,
    Only(String, BTreeSet<String>),
}

impl Scope {
    fn of(need: &Need) -> Scope {
        match &need.condition {
            Some((key, value)) => Scope::Only(key.clone(), BTreeSet::from([value.clone()])),
            None => Scope::Always,
        }
    }

    fn widen(&mut self, other: Scope) {
        match (&mut *self, other) {
            (Scope::Only(key, values), Scope::Only(other_key, other_values)) if *key == other_key => {
                values.extend(other_values)
            }
            (Scope::Always, _) => {}
            (_, _) => *self = Scope::Always,
        }
    }
}

/// Each action's resources, each under its scope.
type Granted = BTreeMap<String, BTreeMap<String, Scope>>;

/// What one principal's calls add up to, kept as the events stream by: memory grows with the
/// distinct actions, resources and calls, not with the number of events.
#[derive(Debug, Default)]
struct Accumulator {
    granted: Granted,
    /// Each distinct allowed call (caller, session issuer, needs) and how many times it was made:
    /// what the engine re-decides with the generated policy.
    calls: HashMap<CallKey, usize>,
    not_granted: BTreeMap<(String, String), usize>,
    unmapped: BTreeMap<String, usize>,
    on_any_resource: BTreeSet<String>,
    inferred: BTreeMap<String, String>,
}

/// Activity being read: one accumulator per principal, fed one event at a time.
pub struct Activity<'c> {
    catalog: &'c Catalog,
    principals: BTreeMap<String, Accumulator>,
    collapse: usize,
}

impl<'c> Activity<'c> {
    /// No activity yet.
    pub fn new(catalog: &'c Catalog) -> Activity<'c> {
        Activity { catalog, principals: BTreeMap::new(), collapse: COLLAPSE }
    }

    /// Grants more than `threshold` resources under one prefix as `prefix*`.
    pub fn collapse_over(mut self, threshold: usize) -> Activity<'c> {
        self.collapse = threshold;
        self
    }

    /// Adds one call of `principal` (see [`is_of`] and [`principal_of`]).
    pub fn add(&mut self, principal: &str, event: &Event) {
        let acc = match self.principals.get_mut(principal) {
            Some(acc) => acc,
            None => self.principals.entry(principal.to_string()).or_default(),
        };
        let Some(mut needed) = needs(self.catalog, event) else {
            *acc.unmapped.entry(format!("{}:{}", event.source, event.name)).or_default() += 1;
            return;
        };
        if event.is_denied() {
            // Of a denied call, the last authorization is the one refused; the earlier ones passed.
            if let Some(refused) = needed.pop() {
                *acc.not_granted.entry((refused.action, refused.resource)).or_default() += 1;
            }
            return;
        }
        // monban's records list every authorization; CloudTrail's leave some to be inferred.
        if event.authorizations.is_none() {
            for (need, reason) in inferred(event, &needed) {
                acc.inferred.entry(format!("{} on {}", need.action, need.resource)).or_insert(reason);
                if !needed.contains(&need) {
                    needed.push(need);
                }
            }
        }
        for need in &needed {
            if need.resource == "*" && event.authorizations.is_none() {
                acc.on_any_resource.insert(need.action.clone());
            }
            let resources = match acc.granted.get_mut(&need.action) {
                Some(resources) => resources,
                None => acc.granted.entry(need.action.clone()).or_default(),
            };
            let resource = escape(&need.resource);
            match resources.get_mut(&resource) {
                Some(scope) if *scope == Scope::Always => {}
                Some(scope) => scope.widen(Scope::of(need)),
                None => {
                    resources.insert(resource, Scope::of(need));
                }
            }
        }
        *acc.calls.entry((event.caller.clone(), event.session_issuer.clone(), needed)).or_default() += 1;
    }

    /// Each principal's policy, proven: every distinct allowed call is decided again by the engine
    /// with the generated policy.
    pub fn finish(self) -> Vec<Generated> {
        let collapse = self.collapse;
        self.principals.into_iter().map(|(principal, acc)| prove(principal, acc, collapse)).collect()
    }
}

fn prove(principal: String, mut acc: Accumulator, collapse: usize) -> Generated {
    let collapsed = collapse_prefixes(&mut acc.granted, collapse);
    let document = document(&acc.granted);
    let policy = Policy::parse(&document.to_string()).ok().map(Arc::new);
    let set = PolicySet { identity: policy.into_iter().collect(), ..PolicySet::default() };
    let role = Arn::parse(&principal).filter(|a| a.resource_type() == "role").map(|_| principal.clone());
    let (mut allowed_calls, mut verified_calls) = (0, 0);
    for ((caller, issuer, needed), count) in &acc.calls {
        allowed_calls += count;
        let Ok(caller) = Caller::from_arn(caller, role.as_deref().or(issuer.as_deref())) else { continue };
        let allowed = needed.iter().all(|need| {
            let mut request = Request::new(caller.clone(), &need.action, &need.resource);
            if let Some((key, value)) = &need.condition {
                let mut context = Context::with_capacity(1);
                context.insert(key, ContextValue::single(value.as_str()));
                request = request.with_context(context);
            }
            authorize(&request, &set).outcome == Outcome::Allow
        });
        if allowed {
            verified_calls += count;
        }
    }
    let split = split(&document, Quota::PolicySize.value());
    Generated {
        principal,
        document,
        split,
        allowed_calls,
        verified_calls,
        not_granted: acc.not_granted,
        unmapped: acc.unmapped,
        on_any_resource: acc.on_any_resource,
        collapsed,
        inferred: acc.inferred,
    }
}

/// The document's statements in as few documents as fit `limit` each, in order; empty when the
/// document fits as it is. A statement larger than the limit on its own gets a document of its own.
fn split(document: &Value, limit: i64) -> Vec<Value> {
    if policy_size(&document.to_string()) <= limit {
        return Vec::new();
    }
    let wrap = |statements: &[Value]| json!({"Version": "2012-10-17", "Statement": statements});
    let mut out = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    for statement in document["Statement"].as_array().into_iter().flatten() {
        current.push(statement.clone());
        if current.len() > 1 && policy_size(&wrap(&current).to_string()) > limit {
            let last = current.pop();
            out.push(wrap(&current));
            current = last.into_iter().collect();
        }
    }
    if !current.is_empty() {
        out.push(wrap(&current));
    }
    out
}

/// Replaces, for each action, more than `threshold` resources that share a prefix up to a `/` by
/// `prefix*`; returns each prefix collapsed and how many resources it stood for.
fn collapse_prefixes(granted: &mut Granted, threshold: usize) -> BTreeMap<String, usize> {
    let mut collapsed = BTreeMap::new();
    for resources in granted.values_mut() {
        let mut by_prefix: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for resource in resources.keys() {
            // Only S3 object keys: other paths name distinct things (`role/*` would be every role).
            if !Arn::parse(resource).is_some_and(|a| a.service() == "s3" && a.account().is_empty()) {
                continue;
            }
            // Only the resource part of an ARN has paths: `arn:aws:s3:::bucket/logs/a.gz`.
            let resource_part = resource.splitn(6, ':').nth(5).map_or(0, |r| resource.len() - r.len());
            if let Some(slash) = resource[resource_part..].rfind('/') {
                by_prefix.entry(resource[..resource_part + slash + 1].to_string()).or_default().push(resource.clone());
            }
        }
        for (prefix, members) in by_prefix.into_iter().filter(|(_, m)| m.len() > threshold) {
            let mut scope: Option<Scope> = None;
            for member in &members {
                if let Some(of_member) = resources.remove(member) {
                    match &mut scope {
                        Some(scope) => scope.widen(of_member),
                        None => scope = Some(of_member),
                    }
                }
            }
            let wildcard = format!("{prefix}*");
            *collapsed.entry(wildcard.clone()).or_default() += members.len();
            resources.insert(wildcard, scope.unwrap_or(Scope::Always));
        }
    }
    collapsed
}

/// Generates the policy for `principal` from `events` (others' events are skipped).
pub fn generate(catalog: &Catalog, principal: &str, events: &[Event]) -> Generated {
    let mut activity = Activity::new(catalog);
    for event in events.iter().filter(|e| is_of(principal, e)) {
        activity.add(principal, event);
    }
    // A principal with no calls gets the policy that allows nothing.
    activity.finish().pop().unwrap_or_else(|| prove(principal.to_string(), Accumulator::default(), COLLAPSE))
}

/// A resource as a policy must write it to mean exactly it: `*`, `?` and `$` in a name (an S3
/// key may hold them) are written `${*}`, `${?}`, `${$}` (IAM User Guide, "IAM policy elements:
/// Variables and tags", special characters), so that they do not widen the grant. `*` alone, the
/// resource of actions that take none, stays.
fn escape(resource: &str) -> String {
    if resource == "*" || !resource.contains(['*', '?', '$']) {
        return resource.to_string();
    }
    let mut out = String::with_capacity(resource.len() + 8);
    for c in resource.chars() {
        match c {
            '*' | '?' | '$' => {
                out.push_str("${");
                out.push(c);
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out
}

/// The policy document: one statement per set of resources, with the actions granted on exactly
/// those, sorted; a resource `*` stands for every resource of its actions.
fn document(granted: &Granted) -> Value {
    let mut statements_by: BTreeMap<(Vec<String>, &Scope), Vec<String>> = BTreeMap::new();
    for (action, resources) in granted {
        let mut by_scope: BTreeMap<&Scope, Vec<String>> = BTreeMap::new();
        for (resource, scope) in resources {
            by_scope.entry(scope).or_default().push(resource.clone());
        }
        for (scope, mut resources) in by_scope {
            if resources.iter().any(|r| r == "*") {
                resources = vec!["*".to_string()];
            }
            statements_by.entry((resources, scope)).or_default().push(action.clone());
        }
    }
    let one_or_many = |items: Vec<String>| match <[String; 1]>::try_from(items) {
        Ok([one]) => Value::String(one),
        Err(many) => json!(many),
    };
    let mut statements: Vec<(String, Value)> = statements_by
        .into_iter()
        .map(|((resources, scope), actions)| {
            let first = actions.first().cloned().unwrap_or_default();
            let mut statement =
                json!({"Effect": "Allow", "Action": one_or_many(actions), "Resource": one_or_many(resources)});
            if let Scope::Only(key, values) = scope {
                statement["Condition"] = json!({"StringEquals": {key: one_or_many(values.iter().cloned().collect())}});
            }
            (first, statement)
        })
        .collect();
    statements.sort_by(|a, b| a.0.cmp(&b.0));
    json!({"Version": "2012-10-17", "Statement": statements.into_iter().map(|(_, s)| s).collect::<Vec<_>>()})
}

impl Generated {
    /// What `existing` grants that the principal never used: `existing` compared with the
    /// generated policy.
    pub fn unused(&self, catalog: &Catalog, existing: &Policy) -> Option<Comparison> {
        let generated = Policy::parse(&self.document.to_string()).ok()?;
        Some(compare(catalog, existing, &generated))
    }

    /// The report for people: the evidence, the proof, and what was not granted.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}: {} allowed by the generated policy, decided by the engine\n",
            self.principal,
            proof(self.verified_calls, self.allowed_calls)
        );
        let statements = self.document["Statement"].as_array().map_or(0, Vec::len);
        s.push_str(&format!("{}\n", crate::text::counted(statements, "statement", "statements")));
        if !self.split.is_empty() {
            s.push_str(&format!(
                "over IAM's {}-character quota for a managed policy: split into {} policies\n",
                Quota::PolicySize.value(),
                self.split.len()
            ));
        }
        if !self.on_any_resource.is_empty() {
            let actions: Vec<&String> = self.on_any_resource.iter().collect();
            s.push_str(&format!(
                "granted on any resource (the records name none): {}\n",
                crate::text::wrap(&actions, 50, 2)
            ));
        }
        for (prefix, n) in &self.collapsed {
            s.push_str(&format!(
                "granted as {prefix}: {} under that prefix\n",
                crate::text::counted(*n, "resource", "resources")
            ));
        }
        if !self.inferred.is_empty() {
            s.push_str("inferred rather than observed:\n");
            for (grant, reason) in &self.inferred {
                s.push_str(&format!("  {grant}: {reason}\n"));
            }
        }
        if !self.not_granted.is_empty() {
            s.push_str("needed but not granted (denied):\n");
            for ((action, resource), n) in &self.not_granted {
                s.push_str(&format!("  {action} on {resource} ({})\n", crate::text::counted(*n, "call", "calls")));
            }
        }
        if !self.unmapped.is_empty() {
            s.push_str("calls whose action the catalog does not know (not granted):\n");
            for (call, n) in &self.unmapped {
                s.push_str(&format!("  {call} ({})\n", crate::text::counted(*n, "call", "calls")));
            }
        }
        s
    }

    /// The report for programs.
    pub fn to_json(&self) -> Value {
        json!({
            "principal": self.principal,
            "policy": self.document,
            "split": self.split,
            "allowed_calls": self.allowed_calls,
            "verified_calls": self.verified_calls,
            "not_granted": self.not_granted.iter().map(|((a, r), n)| json!({"action": a, "resource": r, "calls": n})).collect::<Vec<_>>(),
            "unmapped": self.unmapped.iter().map(|(c, n)| json!({"call": c, "calls": n})).collect::<Vec<_>>(),
            "on_any_resource": self.on_any_resource,
            "collapsed": self.collapsed,
            "inferred": self.inferred.iter().map(|(g, why)| json!({"grant": g, "why": why})).collect::<Vec<_>>(),
        })
    }
}

fn proof(verified: usize, of: usize) -> String {
    format!("{verified} of {}", crate::text::counted(of, "call", "calls"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the engine decides for `caller` under the generated policy alone.
    fn decide(g: &Generated, caller: &str, action: &str, resource: &str) -> Outcome {
        decide_with(g, caller, action, resource, None)
    }

    /// The same, with one condition key in the request's context.
    fn decide_with(g: &Generated, caller: &str, action: &str, resource: &str, key: Option<(&str, &str)>) -> Outcome {
        let set = PolicySet {
            identity: vec![Arc::new(Policy::parse(&g.document.to_string()).unwrap())],
            ..PolicySet::default()
        };
        let mut context = Context::new();
        if let Some((key, value)) = key {
            context.insert(key, ContextValue::single(value));
        }
        let request = Request::new(Caller::from_arn(caller, None).unwrap(), action, resource).with_context(context);
        authorize(&request, &set).outcome
    }

    fn event(caller: &str, name: &str, error: Option<&str>, authorizations: &[(&str, &str)]) -> Event {
        Event {
            caller: caller.into(),
            session_issuer: None,
            source: "iam".into(),
            name: name.into(),
            error: error.map(Into::into),
            resources: Vec::new(),
            authorizations: (!authorizations.is_empty())
                .then(|| authorizations.iter().map(|(a, r)| (a.to_string(), r.to_string())).collect()),
            time: String::new(),
            id: String::new(),
            parameters: None,
            region: None,
            invoked_by: None,
        }
    }

    /// A record that lists no resources gets them from its parameters where the action's ARN
    /// format and the table allow; otherwise `*`, reported. Names with random suffixes are never
    /// built (a Secrets Manager name is not its ARN).
    #[test]
    fn resource_arns_are_built_from_parameters() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let call = |source: &str, name: &str, parameters: serde_json::Value| Event {
            source: source.into(),
            parameters: Some(parameters),
            region: Some("eu-west-1".into()),
            ..event(dev, name, None, &[])
        };
        let events = [
            call("dynamodb", "GetItem", json!({"tableName": "orders", "key": {"id": {"S": "1"}}})),
            call("iam", "CreateRole", json!({"path": "/service/", "roleName": "app"})),
            call("sns", "Publish", json!({"topicArn": "arn:aws:sns:eu-west-1:111122223333:alerts", "message": "hi"})),
            call("lambda", "Invoke", json!({"functionName": "resize"})),
            call("secretsmanager", "GetSecretValue", json!({"secretId": "db"})),
        ];
        let g = generate(catalog, dev, &events);
        assert_eq!((g.verified_calls, g.allowed_calls), (5, 5), "{}", g.to_text());
        let allowed = |action: &str, resource: &str| decide(&g, dev, action, resource) == Outcome::Allow;
        assert!(allowed("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"));
        assert!(!allowed("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/other"));
        assert!(allowed("iam:CreateRole", "arn:aws:iam::111122223333:role/service/app"));
        assert!(allowed("sns:Publish", "arn:aws:sns:eu-west-1:111122223333:alerts"));
        assert!(allowed("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:resize"));
        assert!(!allowed("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:other"));
        assert_eq!(g.on_any_resource.iter().collect::<Vec<_>>(), ["secretsmanager:GetSecretValue"]);
    }

    /// A role handed to a service needs `iam:PassRole` on it (Lambda's versioned event names
    /// included; a bare role name is a role of the caller's account), tags given at creation need
    /// the tagging action on what was created; both are reported as inferred, proven like the
    /// rest, and absent when the parameters are.
    #[test]
    fn pass_role_and_tags_on_creation_are_inferred() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let cloudtrail = |source: &str, name: &str, resources: &[&str], parameters: serde_json::Value| Event {
            source: source.into(),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            parameters: Some(parameters),
            ..event(dev, name, None, &[])
        };
        let function = "arn:aws:lambda:us-east-1:111122223333:function:f";
        let role = "arn:aws:iam::111122223333:role/app";
        let events = [
            cloudtrail("lambda", "CreateFunction20150331", &[function], json!({"functionName": "f", "role": role})),
            cloudtrail("glue", "CreateJob", &[], json!({"name": "j", "role": "etl"})),
            cloudtrail(
                "events",
                "PutTargets",
                &[],
                json!({"targets": [{"id": "1", "roleArn": "arn:aws:iam::111122223333:role/bus"}]}),
            ),
            cloudtrail(
                "iam",
                "CreateRole",
                &["arn:aws:iam::111122223333:role/new"],
                json!({"roleName": "new", "tags": [{"key": "team", "value": "a"}]}),
            ),
            cloudtrail("iam", "CreateUser", &["arn:aws:iam::111122223333:user/plain"], json!({"userName": "plain"})),
        ];
        let g = generate(catalog, dev, &events);
        assert_eq!((g.verified_calls, g.allowed_calls), (5, 5), "{}", g.to_text());
        // Each role only to the service it was handed to (`iam:PassedToService`).
        let pass = |role: &str, to: &str| decide_with(&g, dev, "iam:PassRole", role, Some(("iam:PassedToService", to)));
        assert_eq!(pass(role, "lambda.amazonaws.com"), Outcome::Allow);
        assert_eq!(pass(role, "ec2.amazonaws.com"), Outcome::ImplicitDeny);
        assert_eq!(decide(&g, dev, "iam:PassRole", role), Outcome::ImplicitDeny);
        assert_eq!(pass("arn:aws:iam::111122223333:role/etl", "glue.amazonaws.com"), Outcome::Allow);
        assert_eq!(pass("arn:aws:iam::111122223333:role/bus", "events.amazonaws.com"), Outcome::Allow);
        assert_eq!(pass("arn:aws:iam::111122223333:role/other", "glue.amazonaws.com"), Outcome::ImplicitDeny);
        assert_eq!(decide(&g, dev, "iam:TagRole", "arn:aws:iam::111122223333:role/new"), Outcome::Allow);
        assert_eq!(decide(&g, dev, "iam:TagUser", "arn:aws:iam::111122223333:user/plain"), Outcome::ImplicitDeny);
        assert!(g
            .inferred
            .get(&format!("iam:PassRole on {role}"))
            .is_some_and(|why| why.contains("lambda:CreateFunction")));
        assert!(g.to_text().contains("inferred rather than observed:"), "{}", g.to_text());
    }

    #[test]
    fn the_policy_allows_what_was_used_and_nothing_else() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let events = [
            event(dev, "CreateUser", None, &[("iam:CreateUser", "arn:aws:iam::111122223333:user/a")]),
            event(dev, "CreateUser", None, &[("iam:CreateUser", "arn:aws:iam::111122223333:user/b")]),
            event(dev, "ListUsers", None, &[("iam:ListUsers", "*")]),
            event(dev, "GetUser", Some("NoSuchEntity"), &[("iam:GetUser", "arn:aws:iam::111122223333:user/c")]),
            event(dev, "DeleteUser", Some("AccessDenied"), &[("iam:DeleteUser", "arn:aws:iam::111122223333:user/a")]),
            event("arn:aws:iam::111122223333:user/other", "DeleteRole", None, &[("iam:DeleteRole", "*")]),
            event(dev, "GetAccountSummary", None, &[]),
            Event { source: "s3".into(), ..event(dev, "FrobnicateBucket", None, &[]) },
            // monban's record of a call refused before authorization: it needed nothing.
            Event {
                authorizations: Some(Vec::new()),
                ..event(dev, "GetAccountPasswordPolicy", Some("NotImplemented"), &[])
            },
        ];
        let g = generate(catalog, dev, &events);
        assert_eq!((g.verified_calls, g.allowed_calls), (6, 6), "{}", g.to_text());
        assert!(!g.document.to_string().contains("GetAccountPasswordPolicy"), "{}", g.document);
        let statements = g.document["Statement"].as_array().unwrap();
        assert_eq!(
            statements[0],
            json!({"Effect": "Allow", "Action": "iam:CreateUser", "Resource": ["arn:aws:iam::111122223333:user/a", "arn:aws:iam::111122223333:user/b"]})
        );
        assert!(g.document.to_string().contains("iam:GetAccountSummary"), "{}", g.document);
        assert!(!g.document.to_string().contains("iam:DeleteUser"), "a denied call is not granted");
        assert!(!g.document.to_string().contains("iam:DeleteRole"), "another principal's call is not granted");
        assert_eq!(g.not_granted.len(), 1);
        assert_eq!(g.unmapped.get("s3:FrobnicateBucket"), Some(&1));
        assert!(g.on_any_resource.contains("iam:GetAccountSummary"));
        // The engine agrees with the construction: an unused action on a used resource is denied.
        assert_eq!(decide(&g, dev, "iam:DeleteUser", "arn:aws:iam::111122223333:user/a"), Outcome::ImplicitDeny);
    }

    /// A KMS call S3 made for the caller (SSE-KMS: `invokedBy` s3.amazonaws.com) is granted only
    /// through S3 in that region (`kms:ViaService`, AWS KMS Developer Guide, "kms:ViaService"); the
    /// same key used directly as well is granted without the condition.
    #[test]
    fn kms_calls_made_by_a_service_are_granted_through_it_only() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let key = |k: &str| format!("arn:aws:kms:eu-west-1:111122223333:key/{k}");
        let kms = |name: &str, k: &str, via: Option<&str>| Event {
            source: "kms".into(),
            resources: vec![key(k)],
            region: Some("eu-west-1".into()),
            invoked_by: via.map(Into::into),
            ..event(dev, name, None, &[])
        };
        let events = [
            kms("Decrypt", "data", Some("s3.amazonaws.com")),
            kms("GenerateDataKey", "data", Some("s3.amazonaws.com")),
            kms("Decrypt", "app", Some("s3.amazonaws.com")),
            kms("Decrypt", "app", None),
        ];
        let g = generate(catalog, dev, &events);
        assert_eq!((g.verified_calls, g.allowed_calls), (4, 4), "{}", g.to_text());
        let via = |action: &str, k: &str, service: Option<&str>| {
            decide_with(&g, dev, action, &key(k), service.map(|s| ("kms:ViaService", s)))
        };
        assert_eq!(via("kms:Decrypt", "data", Some("s3.eu-west-1.amazonaws.com")), Outcome::Allow);
        assert_eq!(via("kms:GenerateDataKey", "data", Some("s3.eu-west-1.amazonaws.com")), Outcome::Allow);
        assert_eq!(via("kms:Decrypt", "data", None), Outcome::ImplicitDeny, "not directly");
        assert_eq!(via("kms:Decrypt", "data", Some("ec2.eu-west-1.amazonaws.com")), Outcome::ImplicitDeny);
        assert_eq!(via("kms:Decrypt", "app", None), Outcome::Allow, "used directly too");
        assert!(g.document.to_string().contains(r#""kms:ViaService":"s3.eu-west-1.amazonaws.com""#), "{}", g.document);
    }

    /// API Gateway's management calls need the HTTP verb of their route on its path ("Control
    /// access for managing an API with IAM permissions", API Gateway Developer Guide).
    #[test]
    fn api_gateway_calls_need_their_verb_on_their_path() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let call = |name: &str, parameters: serde_json::Value| Event {
            source: "apigateway".into(),
            parameters: Some(parameters),
            region: Some("us-east-1".into()),
            ..event(dev, name, None, &[])
        };
        let events = [
            call("GetRestApis", json!({"limit": 25})),
            call("GetResource", json!({"restApiId": "a1b2c3", "resourceId": "r9", "template": false})),
            call("CreateDeployment", json!({"restApiId": "a1b2c3", "stageName": "prod"})),
            // The HTTP API's CreateDeployment: same event name, its own path.
            call("CreateDeployment", json!({"apiId": "h7", "description": "x"})),
            call("DeleteStage", json!({"apiId": "h7", "stageName": "dev"})),
        ];
        let g = generate(catalog, dev, &events);
        assert_eq!((g.verified_calls, g.allowed_calls), (5, 5), "{}", g.to_text());
        let allowed = |action: &str, path: &str| {
            decide(&g, dev, action, &format!("arn:aws:apigateway:us-east-1::{path}")) == Outcome::Allow
        };
        assert!(allowed("apigateway:GET", "/restapis"));
        assert!(allowed("apigateway:GET", "/restapis/a1b2c3/resources/r9"));
        assert!(!allowed("apigateway:GET", "/restapis/a1b2c3"));
        assert!(allowed("apigateway:POST", "/restapis/a1b2c3/deployments"));
        assert!(allowed("apigateway:POST", "/apis/h7/deployments"));
        assert!(allowed("apigateway:DELETE", "/apis/h7/stages/dev"));
        assert!(!allowed("apigateway:DELETE", "/restapis/a1b2c3/deployments"));
        assert!(g.on_any_resource.is_empty(), "{:?}", g.on_any_resource);
    }

    /// What cannot be pinned to a resource is not widened to `*` where `*` would be far more:
    /// an API Gateway path the parameters cannot fill is not granted (reported); a tag call's
    /// resource ARN is URL-encoded into its path, under both models' verbs when both fit; a KMS
    /// call made by a service the table does not list is granted without `kms:ViaService`; an
    /// `invokedBy` in a China region names `.amazonaws.com.cn`; API Gateway's caller-credential
    /// pass-through (`arn:aws:iam::*:user/*`) is not a role to pass.
    #[test]
    fn unresolved_resources_and_conditions_are_not_guessed() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let call = |source: &str, name: &str, region: &str, parameters: serde_json::Value| Event {
            source: source.into(),
            parameters: Some(parameters),
            region: Some(region.into()),
            ..event(dev, name, None, &[])
        };
        let api = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3";
        let key = "arn:aws:kms:cn-north-1:111122223333:key/k";
        let events = [
            call("apigateway", "GetResource", "us-east-1", json!({"restApiId": "a1b2c3"})),
            call("apigateway", "TagResource", "us-east-1", json!({"resourceArn": api, "tags": {"team": "a"}})),
            call(
                "apigateway",
                "PutIntegration",
                "us-east-1",
                json!({"restApiId": "a1b2c3", "resourceId": "r9", "httpMethod": "GET", "credentials": "arn:aws:iam::*:user/*"}),
            ),
            Event {
                resources: vec![key.into()],
                invoked_by: Some("backup.amazonaws.com".into()),
                ..call("kms", "Decrypt", "cn-north-1", json!({}))
            },
            Event {
                resources: vec![key.into()],
                invoked_by: Some("s3.amazonaws.com".into()),
                ..call("kms", "GenerateDataKey", "cn-north-1", json!({}))
            },
        ];
        let g = generate(catalog, dev, &events);
        assert_eq!((g.verified_calls, g.allowed_calls), (4, 4), "{}", g.to_text());
        assert_eq!(g.unmapped.get("apigateway:GetResource"), Some(&1), "{}", g.to_text());
        let tags =
            "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus%2Deast%2D1%3A%3A%2Frestapis%2Fa1b2c3";
        assert_eq!(decide(&g, dev, "apigateway:PUT", tags), Outcome::Allow, "{}", g.document);
        assert_eq!(decide(&g, dev, "apigateway:POST", tags), Outcome::Allow, "{}", g.document);
        assert!(!g.document.to_string().contains("iam:PassRole"), "{}", g.document);
        assert_eq!(decide(&g, dev, "kms:Decrypt", key), Outcome::Allow, "not a service the table knows");
        let via = Some(("kms:ViaService", "s3.cn-north-1.amazonaws.com.cn"));
        assert_eq!(decide_with(&g, dev, "kms:GenerateDataKey", key, via), Outcome::Allow, "{}", g.document);
        assert_eq!(decide(&g, dev, "kms:GenerateDataKey", key), Outcome::ImplicitDeny);
    }

    /// Object actions on a bucket the record alone lists are not granted on the bucket (which
    /// would allow nothing): the object cannot be named, so `*`, reported.
    #[test]
    fn an_action_gets_only_resources_of_its_types() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let s3 = |name: &str, resources: &[&str]| Event {
            source: "s3".into(),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            parameters: Some(json!({"bucketName": "b"})),
            ..event(dev, name, None, &[])
        };
        let events = [
            s3("DeleteObjects", &["arn:aws:s3:::b"]),
            s3("ListObjectsV2", &["arn:aws:s3:::b"]),
            s3("GetObject", &["arn:aws:s3:::b/k", "arn:aws:s3:::b"]),
        ];
        let g = generate(catalog, dev, &events);
        assert!(g.on_any_resource.contains("s3:DeleteObject"), "{}", g.to_text());
        assert_eq!(decide(&g, dev, "s3:GetObject", "arn:aws:s3:::b"), Outcome::ImplicitDeny, "{}", g.document);
        assert_eq!(decide(&g, dev, "s3:ListBucket", "arn:aws:s3:::b/k"), Outcome::ImplicitDeny, "{}", g.document);
        assert_eq!(decide(&g, dev, "s3:ListBucket", "arn:aws:s3:::b"), Outcome::Allow);
    }

    #[test]
    fn many_keys_under_one_prefix_become_the_prefix() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let mut events: Vec<Event> = (0..12)
            .map(|i| Event {
                source: "s3".into(),
                resources: vec![format!("arn:aws:s3:::logs/2026/12/{i}.gz")],
                ..event(dev, "GetObject", None, &[])
            })
            .collect();
        events.push(Event {
            source: "s3".into(),
            resources: vec!["arn:aws:s3:::logs/other.gz".into()],
            ..event(dev, "GetObject", None, &[])
        });
        let g = generate(catalog, dev, &events);
        assert_eq!(
            g.document["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::logs/2026/12/*", "arn:aws:s3:::logs/other.gz"])
        );
        assert_eq!(g.collapsed.get("arn:aws:s3:::logs/2026/12/*"), Some(&12));
        assert_eq!((g.verified_calls, g.allowed_calls), (13, 13));
        // A bucket's own ARN has no path: buckets are never collapsed into `arn:aws:s3:::*`.
        let buckets: Vec<Event> = (0..12)
            .map(|i| Event {
                source: "s3".into(),
                resources: vec![format!("arn:aws:s3:::b{i}")],
                ..event(dev, "ListObjectsV2", None, &[])
            })
            .collect();
        assert!(generate(catalog, dev, &buckets).collapsed.is_empty());
    }

    #[test]
    fn a_policy_over_the_size_quota_is_split_into_policies_that_fit() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let actions =
            ["GetUser", "ListUserTags", "GetLoginProfile", "ListAccessKeys", "ListGroupsForUser", "ListUserPolicies"];
        let events: Vec<Event> = actions
            .iter()
            .flat_map(|action| {
                // A path of its own for each, so that none is collapsed into `path/*`.
                (0..15).map(move |i| {
                    let user = format!("arn:aws:iam::111122223333:user/team-{i}/a-rather-long-user-name-{action}");
                    event(dev, action, None, &[(&format!("iam:{action}"), &user)])
                })
            })
            .collect();
        let g = generate(catalog, dev, &events);
        assert!(policy_size(&g.document.to_string()) > Quota::PolicySize.value());
        assert!(g.split.len() > 1, "{}", g.to_text());
        let mut statements = Vec::new();
        for part in &g.split {
            assert!(policy_size(&part.to_string()) <= Quota::PolicySize.value());
            statements.extend(part["Statement"].as_array().unwrap().iter().cloned());
        }
        assert_eq!(&statements, g.document["Statement"].as_array().unwrap());
        assert!(g.to_text().contains("split into"), "{}", g.to_text());
    }

    #[test]
    fn each_call_belongs_to_a_principal() {
        let session = event("arn:aws:sts::111122223333:assumed-role/app/s1", "GetUser", None, &[]);
        assert_eq!(principal_of(&session).as_deref(), Some("arn:aws:iam::111122223333:role/app"));
        let issued = Event { session_issuer: Some("arn:aws:iam::111122223333:role/team/app".into()), ..session };
        assert_eq!(principal_of(&issued).as_deref(), Some("arn:aws:iam::111122223333:role/team/app"));
        assert_eq!(principal_of(&event("arn:aws:iam::111122223333:root", "GetUser", None, &[])), None);
        let user = event("arn:aws:iam::111122223333:user/dev", "GetUser", None, &[]);
        assert_eq!(principal_of(&user).as_deref(), Some("arn:aws:iam::111122223333:user/dev"));
    }

    #[test]
    fn wildcard_characters_in_names_grant_only_themselves() {
        let catalog = Catalog::embedded().unwrap();
        let dev = "arn:aws:iam::111122223333:user/dev";
        let key = "arn:aws:s3:::b/odd*name?$";
        let events = [Event { source: "s3".into(), resources: vec![key.into()], ..event(dev, "GetObject", None, &[]) }];
        let g = generate(catalog, dev, &events);
        assert_eq!(g.document["Statement"][0]["Resource"], json!("arn:aws:s3:::b/odd${*}name${?}${$}"));
        assert_eq!((g.verified_calls, g.allowed_calls), (1, 1));
        assert_eq!(decide(&g, dev, "s3:GetObject", "arn:aws:s3:::b/oddXXnameY$"), Outcome::ImplicitDeny);
    }

    #[test]
    fn a_role_is_every_one_of_its_sessions() {
        let role = "arn:aws:iam::111122223333:role/app";
        let session = event("arn:aws:sts::111122223333:assumed-role/app/s1", "GetUser", None, &[]);
        assert!(is_of(role, &session));
        assert!(!is_of("arn:aws:iam::111122223333:role/ap", &session));
        assert!(!is_of("arn:aws:iam::444455556666:role/app", &session));
        assert!(is_of("arn:aws:sts::111122223333:assumed-role/app/s1", &session));
    }
}
