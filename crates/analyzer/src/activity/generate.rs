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
use monban_policy::{authorize, Caller, Outcome, Policy, PolicySet, Request};
use serde_json::{json, Value};

use super::records::Event;
use crate::compare::{compare, Comparison};

/// The exceptions to "the service's prefix and the operation's name", each citing its page.
static EXCEPTIONS: &str = include_str!("../../data/activity-exceptions.json");

#[derive(serde::Deserialize)]
struct Exceptions {
    rules: Vec<Rule>,
    prefixes: Vec<Prefix>,
    #[serde(default)]
    pass_role: Vec<PassRole>,
    #[serde(default)]
    tag_on_create: Vec<TagOnCreate>,
    #[serde(default)]
    arn_variables: HashMap<String, Value>,
}

/// A call that hands a role to a service: the request parameters (paths, `*` for every item of
/// a list) that hold the role's ARN or name.
#[derive(serde::Deserialize)]
struct PassRole {
    source: String,
    event: String,
    parameters: Vec<String>,
}

/// A creation whose tags, given in `parameter`, need `action` on what it creates.
#[derive(serde::Deserialize)]
struct TagOnCreate {
    source: String,
    event: String,
    parameter: String,
    action: String,
}

#[derive(serde::Deserialize)]
struct Rule {
    source: String,
    event: String,
    #[serde(default)]
    actions: Option<Vec<String>>,
    #[serde(default)]
    strip_version: bool,
}

#[derive(serde::Deserialize)]
struct Prefix {
    source: String,
    prefix: String,
}

fn exceptions() -> &'static Exceptions {
    static PARSED: std::sync::OnceLock<Exceptions> = std::sync::OnceLock::new();
    // The file is part of the build and its tests parse it; an empty table is the fallback.
    PARSED.get_or_init(|| {
        serde_json::from_str(EXCEPTIONS).unwrap_or(Exceptions {
            rules: Vec::new(),
            prefixes: Vec::new(),
            pass_role: Vec::new(),
            tag_on_create: Vec::new(),
            arn_variables: HashMap::new(),
        })
    })
}

/// The actions a CloudTrail call needs: an exception's, or the service's prefix and the operation's
/// name confirmed in the catalog. `Some(empty)` for a call that needs no permission; `None` when
/// the catalog knows no such action.
fn actions_of(catalog: &Catalog, source: &str, event: &str) -> Option<Vec<String>> {
    let table = exceptions();
    if let Some(actions) = table
        .rules
        .iter()
        .filter(|r| r.source == source && (r.event == event || r.event == "*"))
        .find_map(|r| r.actions.as_ref())
    {
        return Some(actions.clone());
    }
    let name = operation(source, event);
    let prefix = table.prefixes.iter().find(|p| p.source == source).map_or(source, |p| p.prefix.as_str());
    Some(vec![catalog.find_action(&format!("{prefix}:{name}"))?.to_string()])
}

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

/// More resources than this under one prefix (up to a `/`) are granted as `prefix*`: object keys
/// of a bucket path, for instance. `monban generate --collapse N` changes it.
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

/// The operation's name as the exceptions name it: for services whose rule says so (Lambda), the
/// API version CloudTrail appends dropped — `CreateFunction20150331`,
/// `UpdateFunctionConfiguration20150331v2`: eight digits of a date, then perhaps `v` and a revision.
fn operation<'e>(source: &str, event: &'e str) -> &'e str {
    let strip = exceptions().rules.iter().any(|r| r.source == source && r.strip_version);
    if !strip {
        return event;
    }
    let revision = event.trim_end_matches(|c: char| c.is_ascii_digit());
    let dated = revision.strip_suffix('v').filter(|_| revision.len() < event.len()).unwrap_or(event);
    let undated = dated.trim_end_matches(|c: char| c.is_ascii_digit());
    if dated.len() - undated.len() == 8 {
        undated
    } else {
        event
    }
}

/// The values at `path` in a JSON object: keys separated by `/`, `*` for every item of a list.
fn values_at<'v>(value: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![value];
    for key in path.split('/') {
        current = current
            .into_iter()
            .flat_map(|v| match (key, v) {
                ("*", Value::Array(items)) => items.iter().collect::<Vec<_>>(),
                (_, Value::Object(map)) => map.get(key).into_iter().collect(),
                _ => Vec::new(),
            })
            .collect();
    }
    current
}

/// What a successful CloudTrail call needed besides its own action, from its parameters:
/// `iam:PassRole` on each role it handed to a service, the tagging action on what it created
/// with tags. Each with the reason, for the report.
fn inferred(event: &Event, pairs: &[(String, String)]) -> Vec<(String, String, String)> {
    let Some(parameters) = &event.parameters else { return Vec::new() };
    let table = exceptions();
    let name = operation(&event.source, &event.name);
    let mut out = Vec::new();
    let caller = Arn::parse(&event.caller);
    for rule in table.pass_role.iter().filter(|r| r.source == event.source && r.event == name) {
        for path in &rule.parameters {
            for role in values_at(parameters, path).into_iter().filter_map(Value::as_str) {
                // A bare name is a role of the caller's account.
                let arn = if role.starts_with("arn:") {
                    role.to_string()
                } else if let Some(caller) = &caller {
                    format!("arn:{}:iam::{}:role/{role}", caller.partition(), caller.account())
                } else {
                    continue;
                };
                let reason = format!("{}:{} hands it to the service ({path})", event.source, name);
                out.push(("iam:PassRole".to_string(), arn, reason));
            }
        }
    }
    for rule in table.tag_on_create.iter().filter(|r| r.source == event.source && r.event == name) {
        let tagged = values_at(parameters, &rule.parameter)
            .into_iter()
            .any(|v| v.as_array().is_some_and(|a| !a.is_empty()) || v.get("items").is_some() || v.is_object());
        if !tagged {
            continue;
        }
        let mut created: Vec<&str> = pairs.iter().map(|(_, r)| r.as_str()).collect();
        created.dedup();
        for resource in created {
            let reason = format!("{}:{} tags what it creates ({})", event.source, name, rule.parameter);
            out.push((rule.action.clone(), resource.to_string(), reason));
        }
    }
    out
}

/// The (action, resource) pairs a call needed; `None` when its action is not in the catalog.
fn needs(catalog: &Catalog, event: &Event) -> Option<Vec<(String, String)>> {
    // monban's records say exactly what a call needed, nothing included (a call refused before
    // authorization, such as an unimplemented operation, needed nothing).
    if let Some(authorizations) = &event.authorizations {
        return Some(authorizations.clone());
    }
    let actions = actions_of(catalog, &event.source, &event.name)?;
    if !event.resources.is_empty() {
        let resources = &event.resources;
        return Some(actions.iter().flat_map(|a| resources.iter().map(move |r| (a.clone(), r.clone()))).collect());
    }
    // No resources listed: built from the request's parameters where the action's ARN format
    // allows it, otherwise `*` (reported).
    Some(
        actions
            .iter()
            .map(|a| (a.clone(), arn_from_parameters(catalog, a, event).unwrap_or_else(|| "*".to_string())))
            .collect(),
    )
}

/// The ARN of the resource a call acted on, built from the action's ARN format (its required
/// resource type) and the request parameters named in the exceptions table's `arn_variables`; or
/// a parameter that holds such an ARN whole. `None` when a variable cannot be filled.
fn arn_from_parameters(catalog: &Catalog, action: &str, event: &Event) -> Option<String> {
    let parameters = event.parameters.as_ref()?;
    let caller = Arn::parse(&event.caller)?;
    let action = catalog.find_action(action)?;
    let mut types = action.resource_types().filter(|r| r.required()).map(|r| r.resource_type());
    let (Some(resource_type), None) = (types.next(), types.next()) else { return None };
    // A parameter holding the ARN itself (a topic ARN, a function ARN).
    if let Some(map) = parameters.as_object() {
        if let Some(arn) =
            map.values().filter_map(Value::as_str).find(|v| v.starts_with("arn:") && resource_type.matches_arn(v))
        {
            return Some(arn.to_string());
        }
    }
    let table = &exceptions().arn_variables;
    let text = |key: &str| parameters.get(key).and_then(Value::as_str);
    let fill = |variable: &str| -> Option<String> {
        match variable {
            "Partition" => Some(caller.partition().to_string()),
            "Account" => Some(caller.account().to_string()),
            "Region" => event.region.clone(),
            _ => table.get(variable)?.as_array()?.iter().filter_map(Value::as_str).find_map(|source| {
                match source.split_once('+') {
                    // An IAM path and a name: `/service/` + `app` is `service/app`.
                    Some((path, name)) => {
                        let path = text(path).unwrap_or("/").trim_start_matches('/');
                        Some(format!("{path}{}", text(name)?))
                    }
                    None => text(source).map(str::to_string),
                }
            }),
        }
    };
    resource_type.arn_formats().iter().find_map(|format| {
        let mut arn = String::new();
        let mut rest = *format;
        while let Some(start) = rest.find("${") {
            arn.push_str(&rest[..start]);
            let end = rest[start..].find('}')? + start;
            let value = fill(&rest[start + 2..end])?;
            // A value must not reach into another segment or be a pattern.
            if value.is_empty() || value.contains(['*', '?']) {
                return None;
            }
            arn.push_str(&value);
            rest = &rest[end + 1..];
        }
        arn.push_str(rest);
        resource_type.matches_arn(&arn).then_some(arn)
    })
}

/// One distinct allowed call: the caller, its session's issuer, and the (action, resource) pairs
/// it needed.
type CallKey = (String, Option<String>, Vec<(String, String)>);

/// What one principal's calls add up to, kept as the events stream by: memory grows with the
/// distinct actions, resources and calls, not with the number of events.
#[derive(Debug, Default)]
struct Accumulator {
    granted: BTreeMap<String, BTreeSet<String>>,
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
        let Some(mut pairs) = needs(self.catalog, event) else {
            *acc.unmapped.entry(format!("{}:{}", event.source, event.name)).or_default() += 1;
            return;
        };
        if event.is_denied() {
            // Of a denied call, the last authorization is the one refused; the earlier ones passed.
            if let Some(refused) = pairs.last() {
                *acc.not_granted.entry(refused.clone()).or_default() += 1;
            }
            return;
        }
        // monban's records list every authorization; CloudTrail's leave some to be inferred.
        if event.authorizations.is_none() {
            for (action, resource, reason) in inferred(event, &pairs) {
                acc.inferred.entry(format!("{action} on {resource}")).or_insert(reason);
                if !pairs.contains(&(action.clone(), resource.clone())) {
                    pairs.push((action, resource));
                }
            }
        }
        for (action, resource) in &pairs {
            if resource == "*" && event.authorizations.is_none() {
                acc.on_any_resource.insert(action.clone());
            }
            let resource = escape(resource);
            if !acc.granted.get(action).is_some_and(|r| r.contains(&resource)) {
                acc.granted.entry(action.clone()).or_default().insert(resource);
            }
        }
        *acc.calls.entry((event.caller.clone(), event.session_issuer.clone(), pairs)).or_default() += 1;
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
    for ((caller, issuer, pairs), count) in &acc.calls {
        allowed_calls += count;
        let Ok(caller) = Caller::from_arn(caller, role.as_deref().or(issuer.as_deref())) else { continue };
        let allowed = pairs.iter().all(|(action, resource)| {
            authorize(&Request::new(caller.clone(), action, resource), &set).outcome == Outcome::Allow
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
fn collapse_prefixes(granted: &mut BTreeMap<String, BTreeSet<String>>, threshold: usize) -> BTreeMap<String, usize> {
    let mut collapsed = BTreeMap::new();
    for resources in granted.values_mut() {
        let mut by_prefix: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for resource in resources.iter() {
            // Only the resource part of an ARN has paths: `arn:aws:s3:::bucket/logs/a.gz`.
            let resource_part = resource.splitn(6, ':').nth(5).map_or(0, |r| resource.len() - r.len());
            if let Some(slash) = resource[resource_part..].rfind('/') {
                by_prefix.entry(resource[..resource_part + slash + 1].to_string()).or_default().push(resource.clone());
            }
        }
        for (prefix, members) in by_prefix.into_iter().filter(|(_, m)| m.len() > threshold) {
            for member in &members {
                resources.remove(member);
            }
            let wildcard = format!("{prefix}*");
            *collapsed.entry(wildcard.clone()).or_default() += members.len();
            resources.insert(wildcard);
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
fn document(granted: &BTreeMap<String, BTreeSet<String>>) -> Value {
    let mut by_resources: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (action, resources) in granted {
        let resources =
            if resources.contains("*") { vec!["*".to_string()] } else { resources.iter().cloned().collect() };
        by_resources.entry(resources).or_default().push(action.clone());
    }
    let one_or_many = |items: Vec<String>| match <[String; 1]>::try_from(items) {
        Ok([one]) => Value::String(one),
        Err(many) => json!(many),
    };
    let mut statements: Vec<(String, Value)> = by_resources
        .into_iter()
        .map(|(resources, actions)| {
            let first = actions.first().cloned().unwrap_or_default();
            (first, json!({"Effect": "Allow", "Action": one_or_many(actions), "Resource": one_or_many(resources)}))
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
        let set = PolicySet {
            identity: vec![Arc::new(Policy::parse(&g.document.to_string()).unwrap())],
            ..PolicySet::default()
        };
        authorize(&Request::new(Caller::from_arn(caller, None).unwrap(), action, resource), &set).outcome
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
        assert_eq!(decide(&g, dev, "iam:PassRole", role), Outcome::Allow);
        assert_eq!(decide(&g, dev, "iam:PassRole", "arn:aws:iam::111122223333:role/etl"), Outcome::Allow);
        assert_eq!(decide(&g, dev, "iam:PassRole", "arn:aws:iam::111122223333:role/bus"), Outcome::Allow);
        assert_eq!(decide(&g, dev, "iam:PassRole", "arn:aws:iam::111122223333:role/other"), Outcome::ImplicitDeny);
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

    /// Every action the exceptions table names is one the catalog knows, and the table parses.
    #[test]
    fn the_exceptions_name_known_actions() {
        let catalog = Catalog::embedded().unwrap();
        let table: Exceptions = serde_json::from_str(EXCEPTIONS).unwrap();
        assert!(table.rules.len() > 10);
        for rule in &table.rules {
            for action in rule.actions.iter().flatten() {
                assert!(catalog.find_action(action).is_some(), "{}:{} names unknown {action}", rule.source, rule.event);
            }
        }
        for prefix in &table.prefixes {
            assert!(catalog.service(&prefix.prefix).is_some(), "{}", prefix.prefix);
        }
        // What is inferred names known actions and operations too.
        for rule in &table.tag_on_create {
            assert!(
                catalog.find_action(&rule.action).is_some(),
                "{}:{} names unknown {}",
                rule.source,
                rule.event,
                rule.action
            );
            assert!(actions_of(catalog, &rule.source, &rule.event).is_some(), "{}:{}", rule.source, rule.event);
        }
        for rule in &table.pass_role {
            assert!(actions_of(catalog, &rule.source, &rule.event).is_some(), "{}:{}", rule.source, rule.event);
        }
        let actions = |source: &str, event: &str| actions_of(catalog, source, event);
        assert_eq!(actions("s3", "ListObjectsV2").unwrap(), ["s3:ListBucket"]);
        assert_eq!(actions("s3", "CopyObject").unwrap(), ["s3:GetObject", "s3:PutObject"]);
        assert_eq!(actions("s3", "GetObject").unwrap(), ["s3:GetObject"]);
        assert_eq!(actions("lambda", "CreateFunction20150331").unwrap(), ["lambda:CreateFunction"]);
        assert_eq!(
            actions("lambda", "UpdateFunctionConfiguration20150331v2").unwrap(),
            ["lambda:UpdateFunctionConfiguration"]
        );
        assert_eq!(actions("lambda", "Invoke").unwrap(), ["lambda:InvokeFunction"]);
        assert_eq!(actions("monitoring", "PutMetricData").unwrap(), ["cloudwatch:PutMetricData"]);
        assert_eq!(actions("sts", "GetCallerIdentity").unwrap(), Vec::<String>::new());
        assert_eq!(actions("s3", "FrobnicateBucket"), None);
        assert_eq!(actions("lambda", "GetFunction20150331v2").unwrap(), ["lambda:GetFunction"]);
        assert_eq!(actions("lambda", "ListFunctions").unwrap(), ["lambda:ListFunctions"]);
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

    /// How many operations of the 40 most used services (botocore's models, as CloudTrail names
    /// their calls: `tools/regen-activity-operations`) map to actions the catalog knows. The figure
    /// is printed (`cargo test -p monban-analyzer coverage -- --nocapture`); it must not fall.
    #[test]
    fn coverage_over_the_most_used_services() {
        let catalog = Catalog::embedded().unwrap();
        let data = include_str!("../../data/activity-operations.tsv");
        let mut per_service: BTreeMap<&str, (usize, usize, Vec<&str>)> = BTreeMap::new();
        for line in data.lines().filter(|l| !l.starts_with('#')) {
            let [model, source, operation] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("{line}") };
            let entry = per_service.entry(model).or_default();
            entry.1 += 1;
            if actions_of(catalog, source, operation).is_some() {
                entry.0 += 1;
            } else {
                entry.2.push(operation);
            }
        }
        let (mapped, total) = per_service.values().fold((0, 0), |(m, t), (sm, st, _)| (m + sm, t + st));
        println!("{mapped} of {total} operations of {} services map to catalog actions", per_service.len());
        for (model, (m, t, missing)) in &per_service {
            if m < t {
                println!("  {model}: {m} of {t}; not mapped: {}", missing.join(", "));
            }
        }
        assert_eq!(per_service.len(), 40);
        // 4,238 of 4,583 (92.5 %) with the catalog and table of this commit. API Gateway's
        // management actions are HTTP verbs on resources (`apigateway:GET`), not operation names, and
        // are left unmapped rather than guessed.
        assert!(mapped * 1000 >= total * 920, "{mapped} of {total}");
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
