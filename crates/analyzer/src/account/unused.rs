//! Unused access, as IAM Access Analyzer's unused-access findings describe it
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html>): unused roles,
//! users, access keys and console passwords (the audit's checks, one implementation), and unused
//! permissions — the services and actions a principal is granted but did not use within the
//! window, with the narrowed policy that `monban generate` makes from what it did use.
//!
//! Activity overrides the authorization details' own last-used dates where it is newer: a role
//! the records show acting within the window is not unused. A principal with no activity at all
//! in the window gets the unused-identity findings, not an unused-permission one (AWS does the
//! same).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::audit::{self, AuditReport};
use super::credentials::CredentialReport;
use super::effective::effective;
use super::Directory;
use crate::activity::generate::Generated;

/// How many unused actions of partly used services a finding lists by name.
const LISTED: usize = 20;

/// The unused-access findings of the accounts in `dir`, given what each principal did in the
/// last `days` days (`usage`: one [`Generated`] per principal seen, from the activity of that
/// window) and, for users' credentials, their credential reports.
pub fn unused(dir: &Directory, reports: &[CredentialReport], usage: &[Generated], days: i64) -> AuditReport {
    let base = audit::audit(dir, reports, days);
    let seen: HashSet<&str> = usage.iter().map(|g| g.principal.as_str()).collect();
    // The audit's unused-identity checks, less what the activity shows in use.
    let mut findings: Vec<audit::Finding> = base
        .findings
        .into_iter()
        .filter(|f| f.id.starts_with("unused.") && f.id != "unused.policy")
        .filter(|f| !(matches!(f.id, "unused.role" | "unused.user") && seen.contains(f.principal.as_str())))
        .collect();
    let mut warnings = base.warnings;
    for generated in usage {
        let Some(i) = dir.principal(&generated.principal) else {
            warnings.push(format!(
                "{} acted in the activity but is not a user or role of the accounts read",
                generated.principal
            ));
            continue;
        };
        let p = &dir.principals[i];
        let granted = match effective(dir, &p.arn) {
            Ok(report) => report,
            Err(e) => {
                warnings.push(format!("{}: {e}", p.arn));
                continue;
            }
        };
        let used = actions_of(&generated.document);
        // Granted actions by service, and which of them went unused.
        let mut by_service: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
        for service in &granted.services {
            for action in service.levels.iter().flat_map(|l| l.actions.iter()) {
                let entry = by_service.entry(service.service).or_default();
                entry.0 += 1;
                if !used.contains(&action.action.to_ascii_lowercase()) {
                    entry.1.push(action.action.clone());
                }
            }
        }
        let unused_services: Vec<String> = by_service
            .iter()
            .filter(|(_, (granted, unused))| unused.len() == *granted)
            .map(|(service, (granted, _))| format!("{service} ({granted})"))
            .collect();
        let unused_actions: Vec<&String> = by_service
            .values()
            .filter(|(granted, unused)| !unused.is_empty() && unused.len() < *granted)
            .flat_map(|(_, unused)| unused.iter())
            .collect();
        if unused_services.is_empty() && unused_actions.is_empty() {
            continue;
        }
        let mut evidence = Vec::new();
        if !unused_services.is_empty() {
            evidence.push(format!(
                "services granted but not used in {days} days (actions granted): {}",
                unused_services.join(", ")
            ));
        }
        if !unused_actions.is_empty() {
            let shown: Vec<&str> = unused_actions.iter().take(LISTED).map(|a| a.as_str()).collect();
            let more = unused_actions.len().saturating_sub(LISTED);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            evidence.push(format!(
                "actions of used services granted but not used in {days} days: {}{more}",
                shown.join(", ")
            ));
        }
        evidence.push(format!(
            "used: {} allowed calls, of which the engine allows {} with the narrowed policy",
            generated.allowed_calls, generated.verified_calls
        ));
        evidence.push(format!("narrowed policy: {}", generated.document));
        let source = &dir.accounts[p.account].source;
        findings.extend(audit::finding("unused.permission", &p.arn, evidence, source));
    }
    audit::sort_findings(&mut findings);
    AuditReport { findings, warnings }
}

/// The actions (lower-cased) a generated policy allows.
fn actions_of(document: &Value) -> BTreeSet<String> {
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let mut out = BTreeSet::new();
    for st in statements {
        match st.get("Action") {
            Some(Value::String(a)) => {
                out.insert(a.to_ascii_lowercase());
            }
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_ascii_lowercase));
            }
            _ => {}
        }
    }
    out
}
