//! The four steps as a tool ("acceptable maximum permissions"): the permissions a system needs
//! (A, step 1), the impacts that cannot be accepted (step 2), the permissions that can cause them
//! (B, step 3, table 3-1) and where A and B overlap (table 3-2: each needed permission that could,
//! if abused, cause an unacceptable impact), read through the action catalog.
//!
//! Impacts are data: a built-in library (`data/risks.json`, each row citing its AWS page) or a
//! file of the same form. Each names the actions that can cause it and the controls that keep a
//! needed permission while removing the impact (step 4).

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use monban_catalog::{AccessLevel, ActionSet, Catalog};
use monban_policy::request::{Context, ContextValue};
use monban_policy::{authorize, Caller, Effect, Outcome, Policy, PolicySet, Request};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::compare::grants::{statement_actions, summarise};

/// The built-in library of unacceptable impacts.
static BUILTIN: &str = include_str!("../data/risks.json");

/// How bad an impact is, as the four steps' table 2 grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Cannot happen at all.
    Fatal,
    /// Tolerable within limits.
    Local,
    /// Accepted.
    Acceptable,
}

impl Severity {
    /// The word in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fatal => "fatal",
            Severity::Local => "local",
            Severity::Acceptable => "acceptable",
        }
    }
}

/// One unacceptable impact and the permissions that can cause it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Risk {
    /// A short name, such as `public-data-exposure`.
    pub name: String,
    /// How bad it is.
    pub severity: Severity,
    /// What happens, in words.
    pub impact: String,
    /// The actions that can cause it; wildcards are expanded through the catalog.
    pub actions: Vec<String>,
    /// What keeps a needed permission while removing the impact.
    #[serde(default)]
    pub controls: Vec<String>,
    /// What must hold outside IAM for a needed action of this impact to be safe, when no IAM
    /// condition can keep it (a bucket policy's content): the row is then NOT PROVABLE within IAM.
    #[serde(default)]
    pub assumption: String,
    /// Actions that cause the impact only under a condition the request carries (an `s3:PutObject`
    /// whose `s3:x-amz-acl` is `public-read`): needed, they can be kept with that condition denied.
    #[serde(default)]
    pub when: Vec<When>,
    /// The AWS page it comes from.
    #[serde(default)]
    pub page: String,
}

/// Actions that cause an impact when a request's condition key matches one of `patterns`
/// (`StringLike`); `examples` are requests' values that do (the patterns themselves when absent),
/// which the proof asks the engine about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct When {
    /// The actions.
    pub actions: Vec<String>,
    /// The condition key, such as `s3:x-amz-acl`.
    pub key: String,
    /// `StringLike` patterns of the values that cause the impact.
    pub patterns: Vec<String>,
    /// Values a request could carry that match them.
    #[serde(default)]
    pub examples: Vec<String>,
}

impl When {
    fn examples(&self) -> &[String] {
        if self.examples.is_empty() {
            &self.patterns
        } else {
            &self.examples
        }
    }

    /// The boundary's statement that denies the actions under the condition.
    fn deny(&self, sid: String) -> Value {
        json!({"Sid": sid, "Effect": "Deny", "Action": self.actions, "Resource": "*",
               "Condition": {"StringLike": {self.key.as_str(): self.patterns}}})
    }
}

/// A set of impacts: the built-in library, or a file of the same form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Risks {
    /// The impacts.
    pub risks: Vec<Risk>,
}

/// Why a file of impacts cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file is not the library's form.
    #[error("{source_name}:{line}:{column}: {message}")]
    Format {
        /// The file.
        source_name: String,
        /// Where.
        line: usize,
        /// Where.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An impact names actions that match nothing in the catalog.
    #[error("{source_name}: risk `{risk}`: `{action}` matches no action in the catalog")]
    UnknownAction {
        /// The file.
        source_name: String,
        /// The impact.
        risk: String,
        /// The pattern.
        action: String,
    },
}

impl Risks {
    /// The built-in library.
    pub fn builtin(catalog: &Catalog) -> Risks {
        // The library is part of the build and its test reads it; an empty one is the fallback.
        Risks::from_json(catalog, BUILTIN, "built-in risks").unwrap_or(Risks { risks: Vec::new() })
    }

    /// Reads impacts in the library's form (`{"risks": [...]}`) as JSON, each action checked
    /// against the catalog.
    pub fn from_json(catalog: &Catalog, text: &str, source_name: &str) -> Result<Risks, PlanError> {
        let risks: Risks = serde_json::from_str(text).map_err(|e| PlanError::Format {
            source_name: source_name.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        risks.checked(catalog, source_name)
    }

    /// The same form written in YAML (`risks:` and a list), as people write such tables.
    pub fn from_yaml(catalog: &Catalog, text: &str, source_name: &str) -> Result<Risks, PlanError> {
        let risks: Risks = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            PlanError::Format { source_name: source_name.to_string(), line, column, message: e.to_string() }
        })?;
        risks.checked(catalog, source_name)
    }

    /// The impacts, if every action they name matches catalog actions.
    fn checked(self, catalog: &Catalog, source_name: &str) -> Result<Risks, PlanError> {
        for risk in &self.risks {
            let conditional = risk.when.iter().flat_map(|w| w.actions.iter());
            if let Some(action) = risk.actions.iter().chain(conditional).find(|a| catalog.expand(a).is_empty()) {
                return Err(PlanError::UnknownAction {
                    source_name: source_name.to_string(),
                    risk: risk.name.clone(),
                    action: action.clone(),
                });
            }
        }
        Ok(self)
    }

    /// The library as text, for `--list-risks`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for risk in &self.risks {
            s.push_str(&format!("{} ({}): {}\n", risk.name, risk.severity.as_str(), risk.impact));
            s.push_str(&format!("  actions: {}\n", crate::text::wrap(&risk.actions, 60, 4)));
            for control in &risk.controls {
                s.push_str(&format!("  control: {control}\n"));
            }
            if !risk.page.is_empty() {
                s.push_str(&format!("  source: {}\n", risk.page));
            }
        }
        s
    }
}

/// One row of a table by service and access level: the actions, and the resources they are
/// allowed on (for table 1 and 3-2; none for 3-1, which is about actions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The service prefix.
    pub service: &'static str,
    /// The access level.
    pub level: &'static str,
    /// The actions, sorted.
    pub actions: Vec<&'static str>,
    /// The `Resource` patterns of the statements that allow them (`NotResource` ones marked so).
    pub resources: Vec<String>,
}

/// A row of table 3-2: an impact that needed permissions can cause.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    /// The impact's name.
    pub risk: String,
    /// Its severity.
    pub severity: Severity,
    /// What happens.
    pub impact: String,
    /// The needed permissions that can cause it, by service and access level.
    pub needed: Vec<Row>,
    /// Needed requests that cause it under a condition the boundary then denies
    /// (`s3:PutObject on arn:aws:s3:::app/* with s3:x-amz-acl = public-read`).
    pub conditional: Vec<String>,
    /// What keeps the needed permissions while removing the impact.
    pub controls: Vec<String>,
    /// For needs that carry the impact unconditionally: NOT PROVABLE within IAM, and the assumption
    /// outside it that would cover them.
    pub not_provable: Option<String>,
}

impl Overlap {
    /// Whether the guardrails keep every need of this row: it is conditional only.
    pub fn kept_by_condition(&self) -> bool {
        self.needed.is_empty()
    }
}

/// The tables of the four steps for one set of needed permissions.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Table 1: the needed permissions (A), by service and access level.
    pub needed: Vec<Row>,
    /// Table 3-1: for each impact, the permissions that can cause it (B).
    pub dangerous: Vec<(String, Vec<Row>)>,
    /// Table 3-2: A ∩ B, worst impacts first.
    pub overlaps: Vec<Overlap>,
    /// Step 4's guardrails: the "acceptable maximum permissions" as a permissions boundary (the
    /// services A uses, minus every action of B) and as an SCP (B denied), with their proof.
    pub controls: Controls,
}

/// A table for a document: its title, header, and rows of cells, each cell a list of lines.
type Table = (&'static str, Vec<&'static str>, Vec<Vec<Vec<String>>>);

/// A row's actions and resources while it is gathered.
type RowParts = (Vec<&'static str>, BTreeSet<String>);

/// The four steps' tables for the permissions `needed` allows (Allow minus unconditional Deny,
/// through the catalog) and the impacts `risks`.
pub fn plan(catalog: &Catalog, needed: &Policy, risks: &Risks) -> Plan {
    let granted = summarise(catalog, needed);
    let mut a = ActionSet::empty(catalog.action_count());
    for action in catalog.actions() {
        if granted.get(action.id().index()).is_some_and(Option::is_some) {
            a.insert(action.id());
        }
    }
    // The resources each allowing statement names, for the rows.
    let allowing: Vec<(ActionSet, Vec<String>)> = needed
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .map(|s| {
            let resources = match &s.resource {
                Some(r) if r.negated => r.written.iter().map(|w| format!("NotResource {w}")).collect(),
                Some(r) => r.written.iter().map(|w| w.to_string()).collect(),
                None => vec!["*".to_string()],
            };
            (statement_actions(catalog, s), resources)
        })
        .collect();
    let rows = |set: &ActionSet, with_resources: bool| -> Vec<Row> {
        let mut by: BTreeMap<(&'static str, AccessLevel), RowParts> = BTreeMap::new();
        for action in catalog.actions_in(set) {
            let entry = by.entry((action.prefix(), action.access_level())).or_default();
            entry.0.push(action.name());
            if with_resources {
                for (_, resources) in allowing.iter().filter(|(actions, _)| actions.contains(action.id())) {
                    entry.1.extend(resources.iter().cloned());
                }
            }
        }
        by.into_iter()
            .map(|((service, level), (mut actions, resources))| {
                actions.sort_unstable();
                Row { service, level: level.as_str(), actions, resources: resources.into_iter().collect() }
            })
            .collect()
    };
    let mut dangerous = Vec::new();
    let mut overlaps = Vec::new();
    let needed_rows = rows(&a, true);
    // A alone, compiled once for every decision that asks what A allows.
    let alone = PolicySet { identity: vec![Arc::new(needed.clone())], ..PolicySet::default() };
    for risk in &risks.risks {
        let b = catalog.expand_all(risk.actions.iter().map(String::as_str));
        let mut table = rows(&b, false);
        let mut conditional = Vec::new();
        for when in &risk.when {
            let actions = catalog.expand_all(when.actions.iter().map(String::as_str));
            table.extend(rows(&actions, false).into_iter().map(|mut r| {
                r.resources = vec![format!("with {} like {}", when.key, when.patterns.join(" or "))];
                r
            }));
            // A needed action that A allows with the condition's value: the need carries the impact.
            for row in needed_rows.iter() {
                for action in row.actions.iter().filter(|a| actions_contain(catalog, &actions, row.service, a)) {
                    let action = format!("{}:{action}", row.service);
                    for resource in row.resources.iter().filter(|r| !r.starts_with("NotResource ")) {
                        if let Some(example) = when.examples().iter().find(|example| {
                            allowed_with(&alone, &action, resource, Some((&when.key, example.as_str())))
                        }) {
                            conditional.push(format!("{action} on {resource} with {} = {example}", when.key));
                        }
                    }
                }
            }
        }
        dangerous.push((risk.name.clone(), table));
        let mut both = b;
        both.intersect_with(&a);
        if !both.is_empty() || !conditional.is_empty() {
            overlaps.push(Overlap {
                risk: risk.name.clone(),
                severity: risk.severity,
                impact: risk.impact.clone(),
                not_provable: (!both.is_empty()).then(|| {
                    if risk.assumption.is_empty() {
                        "no IAM condition keeps these needs safe: review them".to_string()
                    } else {
                        format!("only with {}", risk.assumption)
                    }
                }),
                needed: rows(&both, true),
                conditional,
                controls: risk.controls.clone(),
            });
        }
    }
    overlaps.sort_by_key(|o| o.severity);
    let controls = controls(catalog, (needed, &alone), &needed_rows, &b_all(catalog, risks), risks);
    Plan { controls, needed: needed_rows, dangerous, overlaps }
}

/// Whether `service:action` is in `set`.
fn actions_contain(catalog: &Catalog, set: &ActionSet, service: &str, action: &str) -> bool {
    catalog.find_action(&format!("{service}:{action}")).is_some_and(|a| set.contains(a.id()))
}

/// The caller the proofs ask about: any principal of an account; only its policies matter.
fn system_caller() -> Option<Caller> {
    Caller::from_arn("arn:aws:iam::111122223333:role/system", None).ok()
}

/// Whether `set` allows `action` on `resource`, with one condition key in the request.
fn allowed_with(set: &PolicySet, action: &str, resource: &str, key: Option<(&str, &str)>) -> bool {
    let Some(caller) = system_caller() else { return false };
    let mut context = Context::new();
    if let Some((key, value)) = key {
        context.insert(key, ContextValue::single(value));
    }
    authorize(&Request::new(caller, action, resource).with_context(context), set).outcome == Outcome::Allow
}

/// Every action of every impact.
fn b_all(catalog: &Catalog, risks: &Risks) -> ActionSet {
    catalog.expand_all(risks.risks.iter().flat_map(|r| r.actions.iter().map(String::as_str)))
}

/// The guardrails of step 4 and what the engine says of them.
#[derive(Debug, Clone, Serialize)]
pub struct Controls {
    /// A permissions boundary: the services of A allowed, every action of B denied.
    pub boundary: Value,
    /// A service control policy denying every action of B.
    pub scp: Value,
    /// Actions of B the boundary was found to allow on some resource of A or on `*` (none when
    /// it holds).
    pub b_allowed: Vec<String>,
    /// Needed requests (an action of A on a resource A names) the boundary denies: the needs
    /// that carry an impact and must be reviewed or kept by a condition.
    pub a_broken: Vec<String>,
    /// How many needed requests and dangerous requests were decided.
    pub decisions: usize,
}

impl Controls {
    /// The needed policy narrowed: its statements, and the SCP's denials of B (those under a
    /// condition included), so that the identity policy alone grants nothing in B.
    pub fn narrowed(&self, needed: &Value) -> Value {
        let mut statements = match &needed["Statement"] {
            Value::Array(statements) => statements.clone(),
            Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        statements.extend(self.scp["Statement"].as_array().into_iter().flatten().cloned());
        let version = needed.get("Version").cloned().unwrap_or_else(|| json!("2012-10-17"));
        json!({"Version": version, "Statement": statements})
    }

    /// Both halves hold: nothing in B is allowed, everything in A still is.
    pub fn proven(&self) -> bool {
        self.b_allowed.is_empty() && self.a_broken.is_empty()
    }
}

/// The boundary and SCP for `needed` and the actions `b`, proven by the engine: every action of B
/// on `*` and on each resource pattern A names is denied by the boundary, and every action of A on
/// each of its resource patterns is still allowed by A within it.
fn controls(
    catalog: &Catalog,
    (needed, alone): (&Policy, &PolicySet),
    rows: &[Row],
    b: &ActionSet,
    risks: &Risks,
) -> Controls {
    let mut services: Vec<String> = rows.iter().map(|r| format!("{}:*", r.service)).collect();
    services.dedup();
    let denied: Vec<String> = catalog.actions_in(b).map(|a| format!("{}:{}", a.prefix(), a.name())).collect();
    let deny = json!({"Sid": "UnacceptableImpacts", "Effect": "Deny", "Action": denied, "Resource": "*"});
    let whens: Vec<&When> = risks.risks.iter().flat_map(|r| r.when.iter()).collect();
    let conditional: Vec<Value> =
        whens.iter().enumerate().map(|(i, w)| w.deny(format!("UnacceptableImpactsWhen{}", i + 1))).collect();
    let mut statements =
        vec![json!({"Sid": "NeededServices", "Effect": "Allow", "Action": services, "Resource": "*"}), deny.clone()];
    statements.extend(conditional.iter().cloned());
    let boundary = json!({"Version": "2012-10-17", "Statement": statements});
    let mut scp_statements = vec![deny];
    scp_statements.extend(conditional);
    let scp = json!({"Version": "2012-10-17", "Statement": scp_statements});
    let mut out = Controls { boundary, scp, b_allowed: Vec::new(), a_broken: Vec::new(), decisions: 0 };
    let (Ok(boundary), Some(caller)) = (Policy::parse(&out.boundary.to_string()), system_caller()) else {
        return out;
    };
    let boundary = Arc::new(boundary);
    let within = PolicySet { boundary: Some(boundary.clone()), ..alone.clone() };
    let boundary_alone = PolicySet { identity: vec![boundary], ..PolicySet::default() };
    let mut resources: BTreeSet<&str> = rows.iter().flat_map(|r| r.resources.iter().map(String::as_str)).collect();
    resources.retain(|r| !r.starts_with("NotResource "));
    resources.insert("*");
    for action in &denied {
        for resource in &resources {
            out.decisions += 1;
            if authorize(&Request::new(caller.clone(), action, resource), &boundary_alone).outcome == Outcome::Allow {
                out.b_allowed.push(format!("{action} on {resource}"));
            }
        }
    }
    for when in &whens {
        for action in catalog.actions_in(&catalog.expand_all(when.actions.iter().map(String::as_str))) {
            let action = format!("{}:{}", action.prefix(), action.name());
            for resource in &resources {
                for example in when.examples() {
                    out.decisions += 1;
                    if allowed_with(&boundary_alone, &action, resource, Some((&when.key, example))) {
                        out.b_allowed.push(format!("{action} on {resource} with {} = {example}", when.key));
                    }
                }
            }
        }
    }
    // Each need as its statement grants it: its actions on its resources, with the values its
    // conditions ask for; a need is broken when A allows it and A within the boundary does not.
    let mut broken = BTreeSet::new();
    for statement in needed.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let resources: Vec<&str> = match &statement.resource {
            Some(r) if r.negated => continue,
            Some(r) => r.written.iter().map(|w| &**w).collect(),
            None => vec!["*"],
        };
        let mut context = Context::new();
        for condition in statement.conditions.iter().filter(|c| !c.operator.is_negated()) {
            let value =
                condition.written_values().first().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
            if let Some(value) = value {
                context.insert(&condition.key, ContextValue::single(value));
            }
        }
        for action in catalog.actions_in(&statement_actions(catalog, statement)) {
            let action = format!("{}:{}", action.prefix(), action.name());
            for resource in &resources {
                let request = Request::new(caller.clone(), &action, resource).with_context(context.clone());
                out.decisions += 1;
                if authorize(&request, alone).outcome == Outcome::Allow
                    && authorize(&request, &within).outcome != Outcome::Allow
                {
                    broken.insert(format!("{action} on {resource}"));
                }
            }
        }
    }
    out.a_broken = broken.into_iter().collect();
    out
}

impl Plan {
    /// The report for programs.
    pub fn to_json(&self) -> Value {
        json!({
            "table_1_needed": self.needed,
            "table_3_1_dangerous": self.dangerous.iter().map(|(risk, rows)| json!({"risk": risk, "rows": rows})).collect::<Vec<_>>(),
            "table_3_2_overlaps": self.overlaps,
            "controls": self.controls,
            "proven": self.controls.proven(),
        })
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut s = String::from("Table 1: needed permissions (A)\n");
        for row in &self.needed {
            s.push_str(&row_text(row));
        }
        s.push_str("\nTable 3-1: permissions that can cause an unacceptable impact (B)\n");
        for (risk, rows) in &self.dangerous {
            let actions: usize = rows.iter().map(|r| r.actions.len()).sum();
            s.push_str(&format!("  {risk}: {}\n", crate::text::counted(actions, "action", "actions")));
        }
        s.push_str("\nTable 3-2: needed permissions that carry an unacceptable impact (A ∩ B)\n");
        if self.overlaps.is_empty() {
            s.push_str("  none: no needed permission can cause an impact listed\n");
        }
        for o in &self.overlaps {
            s.push_str(&format!("  {} ({}): {}\n", o.risk, o.severity.as_str(), o.impact));
            for row in &o.needed {
                s.push_str(&format!("  {}", row_text(row)));
            }
            if let Some(why) = &o.not_provable {
                s.push_str(&format!("    NOT PROVABLE within IAM: {why}\n"));
            }
            for request in &o.conditional {
                s.push_str(&format!("    {request}: kept, with that condition denied by the boundary\n"));
            }
            for control in &o.controls {
                s.push_str(&format!("    control: {control}\n"));
            }
        }
        s.push_str(&self.controls.to_text());
        s
    }

    /// The tables as cells: each a title, its header and its rows, each cell a list of lines.
    fn tables(&self) -> Vec<Table> {
        let line = |text: &str| vec![text.to_string()];
        let actions = |row: &Row| row.actions.iter().map(|a| format!("{}:{a}", row.service)).collect::<Vec<_>>();
        let needed = self
            .needed
            .iter()
            .map(|row| vec![line(row.service), line(row.level), actions(row), row.resources.clone()])
            .collect();
        let dangerous = self
            .dangerous
            .iter()
            .flat_map(|(risk, rows)| {
                rows.iter().map(move |row| vec![line(risk), line(row.level), actions(row), row.resources.clone()])
            })
            .collect();
        let overlaps = self
            .overlaps
            .iter()
            .map(|o| {
                let mut needs: Vec<String> = o.needed.iter().flat_map(actions).collect();
                needs.extend(o.conditional.iter().map(|c| format!("{c} (kept: denied by the boundary)")));
                let resources: BTreeSet<String> = o.needed.iter().flat_map(|r| r.resources.iter().cloned()).collect();
                let verdict = o.not_provable.as_ref().map_or_else(
                    || "kept by the guardrails' conditions".to_string(),
                    |why| format!("NOT PROVABLE within IAM: {why}"),
                );
                vec![
                    line(&o.risk),
                    line(o.severity.as_str()),
                    needs,
                    resources.into_iter().collect(),
                    o.controls.clone(),
                    vec![verdict],
                ]
            })
            .collect();
        vec![
            ("Table 1: needed permissions (A)", vec!["Service", "Access level", "Actions", "Resources"], needed),
            (
                "Table 3-1: permissions that can cause an unacceptable impact (B)",
                vec!["Impact", "Access level", "Actions", "Resources or condition"],
                dangerous,
            ),
            (
                "Table 3-2: needed permissions that carry an unacceptable impact (A ∩ B)",
                vec!["Impact", "Severity", "Needed", "Resources", "Controls", "Verdict"],
                overlaps,
            ),
        ]
    }

    /// The tables as Markdown, for a design review.
    pub fn to_markdown(&self) -> String {
        let cell = |lines: &Vec<String>| lines.join("<br>").replace('|', "\\|");
        let mut s = String::new();
        for (title, header, rows) in self.tables() {
            s.push_str(&format!("## {title}\n\n| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len())));
            for row in rows {
                s.push_str(&format!("| {} |\n", row.iter().map(cell).collect::<Vec<_>>().join(" | ")));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "## Step 4: acceptable maximum permissions\n\n```\n{}\n```\n",
            self.controls.to_text().trim()
        ));
        s
    }

    /// The tables as a standalone HTML document, for a design review.
    pub fn to_html(&self) -> String {
        let escape =
            |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        let mut s = String::from(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>monban plan</title>\n<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}</style></head><body>\n",
        );
        for (title, header, rows) in self.tables() {
            s.push_str(&format!("<h2>{}</h2>\n<table><tr>", escape(title)));
            for h in header {
                s.push_str(&format!("<th>{}</th>", escape(h)));
            }
            s.push_str("</tr>\n");
            for row in rows {
                s.push_str("<tr>");
                for cell in row {
                    let lines: Vec<String> = cell.iter().map(|l| escape(l)).collect();
                    s.push_str(&format!("<td>{}</td>", lines.join("<br>")));
                }
                s.push_str("</tr>\n");
            }
            s.push_str("</table>\n");
        }
        s.push_str(&format!(
            "<h2>Step 4: acceptable maximum permissions</h2>\n<pre>{}</pre>\n</body></html>\n",
            escape(self.controls.to_text().trim())
        ));
        s
    }
}

impl Controls {
    /// The proof, for people.
    pub fn to_text(&self) -> String {
        let mut s = String::from(
            "\nStep 4: acceptable maximum permissions (a boundary: A's services minus B; an SCP denying B)\n",
        );
        let verdict = if self.proven() { "PROVEN" } else { "NOT PROVEN" };
        s.push_str(&format!(
            "  {verdict}, {} decided by the engine\n",
            crate::text::counted(self.decisions, "request", "requests")
        ));
        s.push_str(&format!(
            "  nothing in B allowed by the boundary: {}\n",
            if self.b_allowed.is_empty() { "holds".to_string() } else { self.b_allowed.join(", ") }
        ));
        if self.a_broken.is_empty() {
            s.push_str("  everything in A still allowed within it: holds\n");
        } else {
            s.push_str("  needed requests the boundary denies (needs that carry an impact: review them, or keep them with a condition):\n");
            for broken in &self.a_broken {
                s.push_str(&format!("    {broken}\n"));
            }
        }
        s
    }
}

fn row_text(row: &Row) -> String {
    let actions: Vec<String> = row.actions.iter().map(|a| format!("{}:{a}", row.service)).collect();
    let mut s = format!("  {} / {}: {}\n", row.service, row.level, crate::text::wrap(&actions, 60, 4));
    if !row.resources.is_empty() {
        s.push_str(&format!("    on {}\n", row.resources.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action of the built-in library is one the catalog knows, and each impact cites its
    /// page.
    #[test]
    fn the_library_names_known_actions_and_its_sources() {
        let catalog = Catalog::embedded().unwrap();
        let risks = Risks::from_json(catalog, BUILTIN, "built-in").unwrap();
        assert!(risks.risks.len() >= 8);
        for risk in &risks.risks {
            assert!(risk.page.starts_with("https://docs.aws.amazon.com/"), "{}", risk.name);
            assert!(!risk.controls.is_empty(), "{}", risk.name);
        }
        let bad = r#"{"risks": [{"name": "x", "severity": "fatal", "impact": "y", "actions": ["s3:Frobnicate"]}]}"#;
        assert!(matches!(Risks::from_json(catalog, bad, "f.json"), Err(PlanError::UnknownAction { .. })));
        let error = Risks::from_json(catalog, "{\"risks\": [\n{\"name\": 1}]}", "f.json").unwrap_err().to_string();
        assert!(error.starts_with("f.json:2:"), "{error}");
        // The same form in YAML, with its errors placed too.
        let yaml = "risks:\n  - name: reads\n    severity: local\n    impact: data read\n    actions: [s3:GetObject]\n";
        assert_eq!(Risks::from_yaml(catalog, yaml, "r.yaml").unwrap().risks[0].severity, Severity::Local);
        let error = Risks::from_yaml(catalog, "risks:\n  - name: x\n    severity: dreadful\n", "r.yaml").unwrap_err();
        assert!(error.to_string().starts_with("r.yaml:3:"), "{error}");
    }

    /// The seed's example (AWS's four steps): a system that needs S3 reads and writes on its
    /// buckets, and whose data must never be made public. The needed writes include ACL changes
    /// through `s3:*Object*` wildcards, which table 3-2 flags with the public-exposure impact and
    /// its controls; reading and writing objects alone carries none of the impacts listed but
    /// deletion.
    #[test]
    fn the_seeds_s3_example_flags_the_needed_permissions_that_can_make_data_public() {
        let catalog = Catalog::embedded().unwrap();
        let needed = Policy::parse(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject*", "s3:ListBucket", "s3:DeleteObject"],
                 "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"]}]}"#,
        )
        .unwrap();
        let p = plan(catalog, &needed, &Risks::builtin(catalog));
        let s3_write = p.needed.iter().find(|r| r.service == "s3" && r.level == "Write").unwrap();
        assert!(s3_write.actions.contains(&"PutObject"), "{:?}", s3_write);
        assert_eq!(s3_write.resources, ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"]);
        let exposure = p.overlaps.iter().find(|o| o.risk == "public-data-exposure").unwrap();
        let flagged: Vec<&str> = exposure.needed.iter().flat_map(|r| r.actions.iter().copied()).collect();
        assert_eq!(flagged, ["PutObjectAcl", "PutObjectVersionAcl"]);
        assert_eq!(exposure.severity, Severity::Fatal);
        assert!(p.overlaps.iter().any(|o| o.risk == "data-deletion"));
        assert!(!p.overlaps.iter().any(|o| o.risk == "privilege-escalation"));
        // Narrowed to reads and plain writes, only deletion stays.
        let narrowed = Policy::parse(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": "*"}]}"#,
        )
        .unwrap();
        let kept = plan(catalog, &narrowed, &Risks::builtin(catalog));
        // s3:PutObject can make an object public through its ACL headers: flagged, and kept by the
        // boundary's condition (S3 User Guide, "Access control list (ACL) overview").
        let [exposure] = &kept.overlaps[..] else { panic!("{}", kept.to_text()) };
        assert!(exposure.kept_by_condition());
        assert!(exposure.conditional.contains(&"s3:PutObject on * with s3:x-amz-acl = public-read".to_string()));
        assert!(!allowed_with(&kept_set(&narrowed, &kept), "s3:PutObject", "*", Some(("s3:x-amz-acl", "public-read"))));
        assert!(!allowed_with(
            &kept_set(&narrowed, &kept),
            "s3:PutObject",
            "*",
            Some(("s3:x-amz-grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers"))
        ));
        assert!(allowed_with(&kept_set(&narrowed, &kept), "s3:PutObject", "*", Some(("s3:x-amz-acl", "private"))));
        // Step 4: the boundary (S3 minus B) keeps every need and allows nothing in B, by the engine.
        assert!(kept.controls.proven(), "{}", kept.controls.to_text());
        assert!(kept.controls.decisions > 70);
        assert_eq!(kept.controls.boundary["Statement"][0]["Action"], json!(["s3:*"]));
        // With the ACL writes needed, the boundary would break them: not proven, and said which.
        assert!(!p.controls.proven());
        assert!(p.controls.b_allowed.is_empty());
        assert!(
            p.controls.a_broken.contains(&"s3:PutObjectAcl on arn:aws:s3:::app-data/*".to_string()),
            "{:?}",
            p.controls.a_broken
        );
        assert!(p.controls.to_text().contains("NOT PROVEN"));
        let text = p.to_text();
        assert!(text.contains("public-data-exposure (fatal)"), "{text}");
        assert!(p.to_markdown().contains("| public-data-exposure | fatal |"), "{}", p.to_markdown());
    }

    /// The needed policy within the plan's boundary.
    fn kept_set(needed: &Policy, p: &Plan) -> PolicySet {
        PolicySet {
            identity: vec![Arc::new(needed.clone())],
            boundary: Some(Arc::new(Policy::parse(&p.controls.boundary.to_string()).unwrap())),
            ..PolicySet::default()
        }
    }

    /// Each impact of the library, needed alone: its first action makes it an overlap (and
    /// NOT PROVABLE within IAM, with its assumption named); an action outside every impact makes none.
    #[test]
    fn each_risk_has_a_positive_and_a_negative_case() {
        let catalog = Catalog::embedded().unwrap();
        let risks = Risks::builtin(catalog);
        let policy = |action: &str| {
            Policy::parse(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}).to_string())
                .unwrap()
        };
        for risk in &risks.risks {
            let p = plan(catalog, &policy(&risk.actions[0]), &risks);
            let o = p
                .overlaps
                .iter()
                .find(|o| o.risk == risk.name)
                .unwrap_or_else(|| panic!("{}: {}", risk.name, p.to_text()));
            assert!(o.not_provable.as_ref().is_some_and(|why| why.contains(&risk.assumption)), "{}", risk.name);
            assert!(!p.controls.proven(), "{}: the boundary must break a need that carries an impact", risk.name);
        }
        let p = plan(catalog, &policy("cloudwatch:GetMetricData"), &risks);
        assert!(p.overlaps.is_empty() && p.controls.proven(), "{}", p.to_text());
    }

    /// The SCP `plan` emits is one Organizations accepts: no lint ERROR as an SCP, within the SCP
    /// size quota (5,120 characters, whitespace not counted as the console minifies it).
    #[test]
    fn the_emitted_scp_is_a_valid_scp_within_its_quota() {
        let catalog = Catalog::embedded().unwrap();
        let needed = Policy::parse(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
        )
        .unwrap();
        let p = plan(catalog, &needed, &Risks::builtin(catalog));
        let scp = p.controls.scp.to_string();
        assert!(scp.len() <= 5_120, "{} characters", scp.len());
        let findings = crate::lint::Linter::new(catalog).lint(&scp, crate::lint::PolicyKind::Scp);
        assert!(!findings.iter().any(|f| f.finding_type == crate::lint::FindingType::Error), "{findings:?}");
        assert!(p.to_html().contains("<h2>Table 3-2"), "{}", p.to_html());
    }

    /// An unconditional Deny removes what it covers from A, and with it the overlap.
    #[test]
    fn denied_permissions_are_not_needed() {
        let catalog = Catalog::embedded().unwrap();
        let needed = Policy::parse(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["iam:Put*", "iam:Attach*", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                    "iam:UpdateAssumeRolePolicy", "iam:AddUserToGroup", "iam:*LoginProfile", "iam:PassRole", "iam:Delete*PermissionsBoundary"],
                 "Resource": "*"}]}"#,
        )
        .unwrap();
        let p = plan(catalog, &needed, &Risks::builtin(catalog));
        assert!(!p.overlaps.iter().any(|o| o.risk == "privilege-escalation"), "{}", p.to_text());
        assert!(p.overlaps.iter().any(|o| o.risk == "credential-exposure"), "iam:CreateAccessKey stays");
    }
}
