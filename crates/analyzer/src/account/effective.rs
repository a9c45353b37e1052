//! Effective permissions of one principal: what it may do after its groups, its permissions
//! boundary and the SCPs, by service and access level, with the statements responsible and the
//! conditions and resource limits that still apply.
//!
//! AWS: "Policy evaluation logic" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>)
//! and "Permissions boundaries for IAM entities". A single request is the engine's question; "every
//! action" is a question over the whole action catalog, so here each statement's `Action` is
//! expanded with [`Catalog::expand`] (the same wildcard rules the engine applies), then intersected
//! with the boundary and every SCP level, and unconditional `Deny` statements on `*` are removed.
//! What cannot be settled without a request (conditions, resource patterns, narrower denies) is
//! reported with the action rather than guessed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use monban_catalog::{ActionSet, Catalog};
use monban_policy::{Effect, Policy, Statement};
use serde::Serialize;
use serde_json::Value;

use super::Directory;

/// Why effective permissions could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EffectiveError {
    /// The principal is not a user or role of the accounts read.
    #[error("`{0}` is not a user or role of the accounts read")]
    UnknownPrincipal(String),
    /// The embedded action catalog could not be read.
    #[error("the action catalog could not be read: {0}")]
    Catalog(String),
}

/// One action the principal may perform, and under what limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveAction {
    /// `service:Action`.
    pub action: String,
    /// The identity statements that allow it.
    pub statements: Vec<String>,
    /// The resources those statements name (`Resource`/`NotResource` as written).
    pub resources: Vec<String>,
    /// Conditions that still apply: of the allowing statements, of the boundary and SCP
    /// statements that let it through, and of `Deny` statements that may still deny it.
    pub conditions: Vec<String>,
}

/// One access level's actions within a service.
#[derive(Debug, Clone, Serialize)]
pub struct LevelSummary {
    /// `List`, `Read`, `Write`, `Permissions management` or `Tagging`.
    pub level: &'static str,
    /// The actions, in catalog order.
    pub actions: Vec<EffectiveAction>,
}

/// One service's actions by access level.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    /// The service prefix.
    pub service: &'static str,
    /// The service's name.
    pub name: &'static str,
    /// Levels with at least one action, in AWS's order.
    pub levels: Vec<LevelSummary>,
}

/// The result of [`effective`].
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveReport {
    /// The principal.
    pub principal: String,
    /// The permissions boundary, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
    /// The number of actions allowed at all.
    pub total_actions: usize,
    /// Services with at least one action, sorted by prefix.
    pub services: Vec<ServiceSummary>,
}

/// A statement as JSON, for printing its elements as written.
fn statement_json(policy: &Policy, k: usize) -> Value {
    let doc = policy.to_json();
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.get(k).cloned().unwrap_or(Value::Null),
        Some(one) if k == 0 => one.clone(),
        _ => Value::Null,
    }
}

fn label(policy: &Policy, k: usize, statement: &Statement) -> String {
    let name = policy.name.as_deref().unwrap_or("(policy)");
    match &statement.sid {
        Some(sid) => format!("{name} statement `{sid}`"),
        None => format!("{name} statement #{k}"),
    }
}

fn expand(catalog: &Catalog, statement: &Statement) -> ActionSet {
    let written = statement.action.written.iter().map(|a| &**a);
    if statement.action.negated {
        catalog.expand_not(written)
    } else {
        catalog.expand_all(written)
    }
}

fn is_unlimited(statement: &Statement) -> bool {
    statement.conditions.is_empty()
        && statement.resource.as_ref().is_none_or(|r| !r.negated && r.written.iter().any(|w| &**w == "*"))
}

/// The limits a statement puts on an action, as text: its resources (unless `*`) and conditions.
fn limits(json: &Value, what: &str) -> Option<String> {
    let mut parts = Vec::new();
    for key in ["Resource", "NotResource"] {
        if let Some(r) = json.get(key) {
            if r != &Value::String("*".into()) {
                parts.push(format!("{key} {r}"));
            }
        }
    }
    if let Some(c) = json.get("Condition") {
        parts.push(format!("Condition {c}"));
    }
    (!parts.is_empty()).then(|| format!("{what}: {}", parts.join(", ")))
}

/// A policy level that must allow (the boundary, or one SCP level): which actions it lets
/// through, and with which limits.
struct Gate {
    allowed: ActionSet,
    /// Per allowing statement: its actions and its limits (if any).
    limited: Vec<(ActionSet, String)>,
}

fn gate(catalog: &Catalog, policies: &[Arc<Policy>], what: &str) -> Gate {
    let mut allowed = ActionSet::empty(catalog.action_count());
    let mut limited = Vec::new();
    for policy in policies {
        for (k, st) in policy.statements.iter().enumerate() {
            if st.effect != Effect::Allow {
                continue;
            }
            let set = expand(catalog, st);
            allowed.union_with(&set);
            if !is_unlimited(st) {
                if let Some(text) = limits(&statement_json(policy, k), &format!("{what} {}", label(policy, k, st))) {
                    limited.push((set, text));
                }
            }
        }
    }
    Gate { allowed, limited }
}

/// Computes what principal `arn` may do.
pub fn effective(dir: &Directory, arn: &str) -> Result<EffectiveReport, EffectiveError> {
    let i = dir.principal(arn).ok_or_else(|| EffectiveError::UnknownPrincipal(arn.to_string()))?;
    let catalog = Catalog::embedded().map_err(|e| EffectiveError::Catalog(e.to_string()))?;
    let p = &dir.principals[i];
    let n = catalog.action_count();
    // Identity allows, per action: statements, resources, conditions.
    let mut grants: BTreeMap<usize, EffectiveAction> = BTreeMap::new();
    let mut allowed = ActionSet::empty(n);
    let mut denies: Vec<&Arc<Policy>> = Vec::new();
    for policy in &p.identity {
        denies.push(policy);
        for (k, st) in policy.statements.iter().enumerate() {
            if st.effect != Effect::Allow {
                continue;
            }
            let set = expand(catalog, st);
            allowed.union_with(&set);
            let json = statement_json(policy, k);
            let resource = json
                .get("Resource")
                .map(|r| format!("Resource {r}"))
                .or_else(|| json.get("NotResource").map(|r| format!("NotResource {r}")));
            let condition = json.get("Condition").map(|c| format!("{}: Condition {c}", label(policy, k, st)));
            for action in catalog.actions_in(&set) {
                let entry = grants.entry(action.id().index()).or_insert_with(|| EffectiveAction {
                    action: action.to_string(),
                    statements: Vec::new(),
                    resources: Vec::new(),
                    conditions: Vec::new(),
                });
                entry.statements.push(label(policy, k, st));
                if let Some(r) = &resource {
                    if !entry.resources.contains(r) {
                        entry.resources.push(r.clone());
                    }
                }
                if let Some(c) = &condition {
                    entry.conditions.push(c.clone());
                }
            }
        }
    }
    // The boundary and every SCP level must allow too.
    let mut gates = Vec::new();
    if let Some(boundary) = &p.boundary {
        gates.push(gate(catalog, std::slice::from_ref(boundary), "boundary"));
        denies.push(boundary);
    }
    for (level, policies) in p.scps.iter().enumerate() {
        gates.push(gate(catalog, policies, &format!("SCP level {level}")));
        denies.extend(policies.iter());
    }
    for g in &gates {
        allowed.intersect_with(&g.allowed);
    }
    // Deny statements: unconditional ones on `*` remove the action; the others still apply.
    let mut deny_notes: Vec<(ActionSet, String)> = Vec::new();
    for policy in denies {
        for (k, st) in policy.statements.iter().enumerate() {
            if st.effect != Effect::Deny {
                continue;
            }
            let set = expand(catalog, st);
            if is_unlimited(st) {
                allowed.subtract(&set);
            } else if let Some(text) =
                limits(&statement_json(policy, k), &format!("may be denied by {}", label(policy, k, st)))
            {
                deny_notes.push((set, text));
            }
        }
    }
    let mut services: BTreeMap<&'static str, ServiceSummary> = BTreeMap::new();
    let mut total = 0;
    for action in catalog.actions_in(&allowed) {
        let Some(mut grant) = grants.remove(&action.id().index()) else { continue };
        for g in &gates {
            for (set, text) in &g.limited {
                if set.contains(action.id()) && !grant.conditions.contains(text) {
                    grant.conditions.push(text.clone());
                }
            }
        }
        for (set, text) in &deny_notes {
            if set.contains(action.id()) {
                grant.conditions.push(text.clone());
            }
        }
        total += 1;
        let service = services.entry(action.prefix()).or_insert_with(|| ServiceSummary {
            service: action.prefix(),
            name: action.service().name(),
            levels: Vec::new(),
        });
        let level = action.access_level().as_str();
        match service.levels.iter_mut().find(|l| l.level == level) {
            Some(l) => l.actions.push(grant),
            None => service.levels.push(LevelSummary { level, actions: vec![grant] }),
        }
    }
    let order =
        |level: &str| monban_catalog::AccessLevel::ALL.iter().position(|l| l.as_str() == level).unwrap_or(usize::MAX);
    let mut services: Vec<ServiceSummary> = services.into_values().collect();
    for s in &mut services {
        s.levels.sort_by_key(|l| order(l.level));
    }
    Ok(EffectiveReport { principal: p.arn.clone(), boundary: p.boundary_arn.clone(), total_actions: total, services })
}

impl EffectiveReport {
    /// The report for people: per service and level, actions grouped by the statements,
    /// resources and conditions they share.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let actions = crate::text::counted(self.total_actions, "action", "actions");
        let services = crate::text::counted(self.services.len(), "service", "services");
        let _ = writeln!(s, "{}: {actions} in {services}", self.principal);
        if let Some(b) = &self.boundary {
            let _ = writeln!(s, "permissions boundary: {b}");
        }
        for service in &self.services {
            let _ = writeln!(s, "\n{} ({})", service.service, service.name);
            for level in &service.levels {
                let _ = writeln!(s, "  {} ({}):", level.level, level.actions.len());
                let mut groups: Vec<(Vec<&str>, &EffectiveAction)> = Vec::new();
                for a in &level.actions {
                    let name = a.action.split_once(':').map_or(a.action.as_str(), |(_, n)| n);
                    match groups.iter_mut().find(|(_, g)| {
                        g.statements == a.statements && g.resources == a.resources && g.conditions == a.conditions
                    }) {
                        Some((names, _)) => names.push(name),
                        None => groups.push((vec![name], a)),
                    }
                }
                for (names, a) in groups {
                    let _ = writeln!(s, "    {}", crate::text::wrap(&names, 4, 4));
                    let _ = writeln!(s, "      by {}", a.statements.join("; "));
                    for r in &a.resources {
                        let _ = writeln!(s, "      on {r}");
                    }
                    for c in &a.conditions {
                        let _ = writeln!(s, "      if {c}");
                    }
                }
            }
        }
        s
    }
}
