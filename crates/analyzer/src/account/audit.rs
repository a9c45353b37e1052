//! The six IAM anti-patterns as checks.
//!
//! AWS: "Security best practices in IAM" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html>),
//! grouped into six anti-patterns: (1) long-term credentials, (2) console users without MFA, (3)
//! an exposed root user, (4) over-broad permissions, (5) unused identities and policies, (6) trust
//! that lets in more than intended. Each finding has a stable id, a severity, the principal (or
//! policy) it is about, the evidence and a concrete fix.
//!
//! Admin-equivalence is decided by the engine ([`Directory::admin_decision`]), not by matching
//! `"*"`; access levels come from the action catalog. Credential checks need the credential report
//! (authorization details carry no credential data); without one they are skipped.

use std::fmt::Write as _;

use monban_catalog::{AccessLevel, Catalog};
use monban_policy::policy::PrincipalMatcher;
use monban_policy::{Effect, Policy};
use serde::Serialize;

use super::credentials::CredentialReport;
use super::details::account_of;
use super::{days_since, Directory, PrincipalKind};

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Hygiene.
    Low,
    /// Fix soon.
    Medium,
    /// A likely path to compromise.
    High,
    /// Fix now.
    Critical,
}

impl Severity {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One check: its id, anti-pattern number (1–6), severity, what it means and the fix.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Check {
    /// Stable id, `family.name`.
    pub id: &'static str,
    /// Which of the six anti-patterns.
    pub anti_pattern: u8,
    /// Severity of its findings.
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: &'static str,
    /// What to do.
    pub fix: &'static str,
    /// The AWS page behind it.
    pub help: &'static str,
}

const BEST_PRACTICES: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html";

/// Every check, in anti-pattern order.
pub const CHECKS: &[Check] = &[
    Check { id: "credentials.old-access-key", anti_pattern: 1, severity: Severity::High, title: "active access key not rotated for more than 90 days", fix: "rotate the key (create a new one, switch, deactivate and delete the old one), or replace the user with a role", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console" },
    Check { id: "credentials.two-active-keys", anti_pattern: 1, severity: Severity::Medium, title: "two active access keys", fix: "keep one active key; deactivate and delete the other once rotation is done", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html" },
    Check { id: "credentials.workload-user", anti_pattern: 1, severity: Severity::Low, title: "programmatic-only user with long-term access keys where a role would serve", fix: "run the workload under an IAM role (instance profile, task role, IAM Roles Anywhere or OIDC federation) and delete the user's keys", help: BEST_PRACTICES },
    Check { id: "mfa.console-without-mfa", anti_pattern: 2, severity: Severity::High, title: "console password without MFA", fix: "enable an MFA device for the user, and deny actions without `aws:MultiFactorAuthPresent`", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html" },
    Check { id: "root.access-key", anti_pattern: 3, severity: Severity::Critical, title: "the root user has an active access key", fix: "delete the root user's access keys; use roles for automation", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html" },
    Check { id: "root.no-mfa", anti_pattern: 3, severity: Severity::Critical, title: "the root user has no MFA", fix: "enable MFA (preferably a hardware key) on the root user", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html" },
    Check { id: "root.recent-use", anti_pattern: 3, severity: Severity::Medium, title: "the root user was used in the last 30 days", fix: "use the root user only for the tasks that require it; give administrators roles", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html" },
    Check { id: "permissions.admin-equivalent", anti_pattern: 4, severity: Severity::High, title: "admin-equivalent permissions", fix: "replace with least-privilege policies (IAM Access Analyzer policy generation), or keep as a break-glass role with MFA-conditioned trust", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege" },
    Check { id: "permissions.service-wildcard", anti_pattern: 4, severity: Severity::Medium, title: "allows whole services (`*`, `service:*` or `NotAction`)", fix: "list the actions the workload uses (`monban actions` shows each service's actions by access level)", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege" },
    Check { id: "permissions.write-on-star", anti_pattern: 4, severity: Severity::Medium, title: "Write or Permissions management actions on `Resource: *` without conditions", fix: "name the resources (ARNs) or add conditions such as `aws:ResourceTag`", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html" },
    Check { id: "permissions.inline-only", anti_pattern: 4, severity: Severity::Low, title: "permissions only through inline policies", fix: "move the inline policies to customer managed policies, attached through groups", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html" },
    Check { id: "permissions.aws-managed-only", anti_pattern: 4, severity: Severity::Low, title: "permissions only through AWS managed policies", fix: "replace the AWS managed policies with customer managed policies scoped to the workload", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-use-aws-defined-policies" },
    Check { id: "unused.user", anti_pattern: 5, severity: Severity::Medium, title: "user unused (no password or key use) for the period", fix: "delete the user, or disable its password and keys", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html" },
    Check { id: "unused.password", anti_pattern: 5, severity: Severity::Low, title: "console password unused for the period", fix: "delete the user's login profile", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html" },
    Check { id: "unused.access-key", anti_pattern: 5, severity: Severity::Medium, title: "active access key unused for the period", fix: "deactivate, then delete the key", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html" },
    Check { id: "unused.role", anti_pattern: 5, severity: Severity::Low, title: "role unused for the period", fix: "delete the role (check its last-accessed information first)", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html" },
    Check { id: "unused.permission", anti_pattern: 5, severity: Severity::Medium, title: "permissions granted but not used for the period (needs activity: `monban unused`)", fix: "replace the principal's policies with the narrowed policy in the evidence (`monban generate`), or remove the services it never uses", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html" },
    Check { id: "unused.policy", anti_pattern: 5, severity: Severity::Low, title: "customer managed policy attached to nothing", fix: "delete the policy", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-delete.html" },
    Check { id: "trust.everyone", anti_pattern: 6, severity: Severity::Critical, title: "role assumable by any AWS principal", fix: "name the principals that may assume the role, or add `aws:PrincipalOrgID`", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html" },
    Check { id: "trust.cross-account", anti_pattern: 6, severity: Severity::High, title: "role assumable by another account without `sts:ExternalId` or an organization condition", fix: "add `sts:ExternalId` (third parties) or `aws:PrincipalOrgID` (own organization) to the trust policy", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html" },
    Check { id: "trust.federated", anti_pattern: 6, severity: Severity::High, title: "role assumable through a federated provider without a subject (OIDC `sub`) or audience (`SAML:aud`) condition", fix: "add a condition on the token's `sub` (for GitHub: `repo:OWNER/REPO:ref:refs/heads/BRANCH`) or on `SAML:aud`", help: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html" },
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's id.
    pub id: &'static str,
    /// Which anti-pattern (1–6).
    pub anti_pattern: u8,
    /// Severity.
    pub severity: Severity,
    /// The principal or policy concerned (ARN; the root user is `arn:aws:iam::ACCOUNT:root`).
    pub principal: String,
    /// What was seen.
    pub evidence: Vec<String>,
    /// What to do.
    pub fix: &'static str,
    /// The input file it came from.
    pub source: String,
}

/// The result of [`audit`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// Findings, by severity (highest first), then id, then principal.
    pub findings: Vec<Finding>,
    /// Checks that could not run (no credential report) and unresolved inputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

struct Sink<'a> {
    findings: Vec<Finding>,
    source: &'a str,
}

impl Sink<'_> {
    fn add(&mut self, id: &str, principal: &str, evidence: Vec<String>) {
        if let Some(c) = check(id) {
            self.findings.push(Finding {
                id: c.id,
                anti_pattern: c.anti_pattern,
                severity: c.severity,
                principal: principal.to_string(),
                evidence,
                fix: c.fix,
                source: self.source.to_string(),
            });
        }
    }
}

/// Condition keys that narrow a trust in another account or in everyone to known callers.
const NARROWING: [&str; 8] = [
    "sts:externalid",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
];

/// Runs every check. `reports` are credential reports (matched to accounts by ARN);
/// `unused_days` is the period for the unused checks (90 by default on the command line).
pub fn audit(dir: &Directory, reports: &[CredentialReport], unused_days: i64) -> AuditReport {
    let now = dir.options.now;
    let mut warnings = dir.warnings.clone();
    let catalog = Catalog::embedded().ok();
    if catalog.is_none() {
        warnings.push("the action catalog could not be read; `permissions.write-on-star` was skipped".into());
    }
    let mut all = Vec::new();
    for (a, account) in dir.accounts.iter().enumerate() {
        let mut sink = Sink { findings: Vec::new(), source: &account.source };
        let rows: Vec<_> = reports
            .iter()
            .flat_map(|r| r.rows.iter())
            .filter(|row| account_of(&row.arn) == Some(account.id.as_str()))
            .collect();
        if rows.is_empty() {
            warnings.push(format!(
                "{}: no credential report for account {}; credential, MFA, root and unused-user checks were skipped",
                account.source, account.id
            ));
        }
        // 1–3 and 5 (users): the credential report.
        for row in &rows {
            let older = |d: &Option<String>, days: i64| {
                d.as_deref().and_then(|d| days_since(d, now)).is_none_or(|age| age > days)
            };
            if row.is_root() {
                let keys = row.active_keys().count();
                if keys > 0 {
                    sink.add(
                        "root.access-key",
                        &row.arn,
                        vec![format!("{} active", crate::text::counted(keys, "access key", "access keys"))],
                    );
                }
                if !row.mfa_active {
                    sink.add("root.no-mfa", &row.arn, vec!["mfa_active is false".into()]);
                }
                let recent = [&row.password_last_used, &row.keys[0].last_used, &row.keys[1].last_used]
                    .into_iter()
                    .filter_map(|d| d.as_deref())
                    .filter(|d| days_since(d, now).is_some_and(|age| age <= 30))
                    .map(|d| format!("used {d}"))
                    .collect::<Vec<_>>();
                if !recent.is_empty() {
                    sink.add("root.recent-use", &row.arn, recent);
                }
                continue;
            }
            let active: Vec<_> = row.active_keys().collect();
            for (k, key) in row.keys.iter().enumerate().filter(|(_, k)| k.active) {
                if let Some(age) = key.last_rotated.as_deref().and_then(|d| days_since(d, now)).filter(|age| *age > 90)
                {
                    sink.add(
                        "credentials.old-access-key",
                        &row.arn,
                        vec![format!("access key {} last rotated {age} days ago", k + 1)],
                    );
                }
            }
            if active.len() == 2 {
                sink.add(
                    "credentials.two-active-keys",
                    &row.arn,
                    vec!["access_key_1_active and access_key_2_active are true".into()],
                );
            }
            if !active.is_empty() && !row.password_enabled {
                sink.add(
                    "credentials.workload-user",
                    &row.arn,
                    vec![format!(
                        "{} active, no console password",
                        crate::text::counted(active.len(), "access key", "access keys")
                    )],
                );
            }
            if row.password_enabled && !row.mfa_active {
                sink.add(
                    "mfa.console-without-mfa",
                    &row.arn,
                    vec!["password_enabled is true, mfa_active is false".into()],
                );
            }
            // Unused: only for users older than the period.
            if !older(&row.created, unused_days) {
                continue;
            }
            let password_unused = row.password_enabled && older(&row.password_last_used, unused_days);
            let keys_unused: Vec<usize> = row
                .keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.active && older(&k.last_used, unused_days) && older(&k.last_rotated, unused_days))
                .map(|(k, _)| k + 1)
                .collect();
            let any_credential = row.password_enabled || !active.is_empty();
            let all_unused =
                any_credential && (!row.password_enabled || password_unused) && keys_unused.len() == active.len();
            if all_unused {
                let last = [&row.password_last_used, &row.keys[0].last_used, &row.keys[1].last_used]
                    .into_iter()
                    .flatten()
                    .max()
                    .map_or_else(|| "never used".to_string(), |d| format!("last used {d}"));
                sink.add("unused.user", &row.arn, vec![format!("{last}; more than {unused_days} days")]);
            } else {
                if password_unused {
                    sink.add(
                        "unused.password",
                        &row.arn,
                        vec![format!("password not used for more than {unused_days} days")],
                    );
                }
                for k in keys_unused {
                    sink.add(
                        "unused.access-key",
                        &row.arn,
                        vec![format!("access key {k} not used for more than {unused_days} days")],
                    );
                }
            }
        }
        // 4: principals.
        for (i, p) in dir.principals.iter().enumerate().filter(|(_, p)| p.account == a) {
            let role = (p.kind == PrincipalKind::Role).then(|| &account.roles[p.index]);
            let reserved =
                role.is_some_and(|r| r.path.starts_with("/aws-service-role/") || r.path.starts_with("/aws-reserved/"));
            if let Some(decision) = dir.admin_evidence(i) {
                let set = p.policy_set(None);
                sink.add(
                    "permissions.admin-equivalent",
                    &p.arn,
                    Directory::statement_labels(&set, decision)
                        .into_iter()
                        .map(|s| format!("allowed by {s}"))
                        .collect(),
                );
            }
            if reserved || p.identity.is_empty() {
                continue;
            }
            let inline = p.inline.iter().filter(|x| **x).count();
            let managed: Vec<&String> = p.managed.iter().flatten().collect();
            if inline > 0 && managed.is_empty() {
                sink.add(
                    "permissions.inline-only",
                    &p.arn,
                    vec![format!(
                        "{}, no managed policy",
                        crate::text::counted(inline, "inline policy", "inline policies")
                    )],
                );
            }
            if inline == 0
                && !managed.is_empty()
                && managed.iter().all(|m| dir.managed.get(*m).is_some_and(|x| x.aws_managed))
            {
                sink.add(
                    "permissions.aws-managed-only",
                    &p.arn,
                    managed.iter().map(|m| format!("attached {m}")).collect(),
                );
            }
        }
        // 4: policies as written (customer managed and inline).
        let mut written: Vec<(&str, &Policy)> = Vec::new();
        for p in account.policies.iter().filter(|p| !p.is_aws_managed()) {
            if let Some(v) = p
                .versions
                .iter()
                .find(|v| v.is_default)
                .or_else(|| p.versions.iter().find(|v| v.id == p.default_version))
            {
                written.push((&p.arn, &v.policy));
            }
        }
        for u in &account.users {
            written.extend(u.inline.iter().map(|x| (u.arn.as_str(), &*x.policy)));
        }
        for g in &account.groups {
            written.extend(g.inline.iter().map(|x| (g.arn.as_str(), &*x.policy)));
        }
        for r in &account.roles {
            written.extend(r.inline.iter().map(|x| (r.arn.as_str(), &*x.policy)));
        }
        for (subject, policy) in written {
            policy_checks(&mut sink, subject, policy, catalog);
        }
        // 5: roles and policies.
        for role in &account.roles {
            if role.path.starts_with("/aws-service-role/") || role.path.starts_with("/aws-reserved/") {
                continue;
            }
            let old_enough =
                role.created.as_deref().and_then(|d| days_since(d, now)).is_none_or(|age| age > unused_days);
            let unused = match role.last_used.as_deref() {
                Some(d) => days_since(d, now).is_some_and(|age| age > unused_days),
                None => old_enough,
            };
            if unused && old_enough {
                let last =
                    role.last_used.as_deref().map_or_else(|| "never used".to_string(), |d| format!("last used {d}"));
                sink.add("unused.role", &role.arn, vec![format!("{last}; more than {unused_days} days")]);
            }
        }
        for p in account.policies.iter().filter(|p| !p.is_aws_managed()) {
            if p.attachment_count == 0 && p.boundary_usage_count == 0 {
                sink.add("unused.policy", &p.arn, vec!["AttachmentCount 0, PermissionsBoundaryUsageCount 0".into()]);
            }
        }
        // 6: trust policies.
        for role in &account.roles {
            if let Some(trust) = &role.trust {
                trust_checks(&mut sink, &role.arn, &account.id, trust);
            }
        }
        all.extend(sink.findings);
    }
    sort_findings(&mut all);
    AuditReport { findings: all, warnings }
}

/// Findings in report order: by severity (highest first), then id, then principal; no repeats.
pub(crate) fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)).then(a.principal.cmp(&b.principal)));
    findings.dedup();
}

/// A finding of check `id` (which must be in [`CHECKS`]).
pub(crate) fn finding(id: &str, principal: &str, evidence: Vec<String>, source: &str) -> Option<Finding> {
    let mut sink = Sink { findings: Vec::new(), source };
    sink.add(id, principal, evidence);
    sink.findings.pop()
}

fn statement_label(policy: &Policy, k: usize) -> String {
    let name = policy.name.as_deref().unwrap_or("(policy)");
    match policy.statements.get(k).and_then(|s| s.sid.as_deref()) {
        Some(sid) => format!("{name} statement `{sid}`"),
        None => format!("{name} statement #{k}"),
    }
}

fn policy_checks(sink: &mut Sink<'_>, subject: &str, policy: &Policy, catalog: Option<&Catalog>) {
    let mut wildcard = Vec::new();
    let mut write = Vec::new();
    for (k, st) in policy.statements.iter().enumerate() {
        if st.effect != Effect::Allow {
            continue;
        }
        let whole = st.action.negated || st.action.written.iter().any(|a| &**a == "*" || a.ends_with(":*"));
        if whole {
            let what = if st.action.negated {
                format!("NotAction {:?}", st.action.written)
            } else {
                format!("Action {:?}", st.action.written)
            };
            wildcard.push(format!("{}: {what}", statement_label(policy, k)));
            continue;
        }
        let on_star = st.resource.as_ref().is_some_and(|r| r.negated || r.written.iter().any(|w| &**w == "*"));
        let (Some(catalog), true, true) = (catalog, on_star, st.conditions.is_empty()) else { continue };
        let set = catalog.expand_all(st.action.written.iter().map(|a| &**a));
        let risky: Vec<String> = catalog
            .actions_in(&set)
            .filter(|a| {
                matches!(a.access_level(), AccessLevel::Write | AccessLevel::PermissionsManagement)
                    && !a.takes_only_wildcard()
            })
            .map(|a| format!("{a} ({})", a.access_level().as_str()))
            .collect();
        if !risky.is_empty() {
            let shown = risky.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            let more = if risky.len() > 5 { format!(" and {} more", risky.len() - 5) } else { String::new() };
            write.push(format!("{}: {shown}{more} on `*`", statement_label(policy, k)));
        }
    }
    if !wildcard.is_empty() {
        sink.add("permissions.service-wildcard", subject, wildcard);
    }
    if !write.is_empty() {
        sink.add("permissions.write-on-star", subject, write);
    }
}

fn trust_checks(sink: &mut Sink<'_>, role: &str, account: &str, trust: &Policy) {
    for (k, st) in trust.statements.iter().enumerate() {
        if st.effect != Effect::Allow {
            continue;
        }
        let keys: Vec<&str> = st.conditions.iter().map(|c| &*c.key_lowercase).collect();
        let narrowed = keys.iter().any(|k| NARROWING.contains(k));
        let Some(element) = &st.principal else { continue };
        let label = statement_label(trust, k);
        if element.negated {
            if !narrowed {
                sink.add("trust.everyone", role, vec![format!("{label}: NotPrincipal allows everyone else")]);
            }
            continue;
        }
        for m in &element.matchers {
            match m {
                PrincipalMatcher::Everyone if !narrowed => {
                    sink.add(
                        "trust.everyone",
                        role,
                        vec![format!("{label}: Principal `*` without a narrowing condition")],
                    );
                }
                PrincipalMatcher::Account(a) | PrincipalMatcher::Role(a) | PrincipalMatcher::Exact(a) => {
                    let other =
                        if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) { Some(&**a) } else { account_of(a) };
                    if let Some(other) = other.filter(|o| *o != account) {
                        if !narrowed {
                            sink.add("trust.cross-account", role, vec![format!("{label}: trusts `{a}` (account {other}) without sts:ExternalId or an organization condition")]);
                        }
                    }
                }
                PrincipalMatcher::Federated(provider) => {
                    let saml = provider.contains(":saml-provider/");
                    let ok = if saml {
                        keys.contains(&"saml:aud")
                    } else if provider.starts_with("cognito-identity.amazonaws.com") {
                        keys.iter().any(|k| k.ends_with(":aud"))
                    } else {
                        keys.iter().any(|k| k.ends_with(":sub"))
                    };
                    if !ok {
                        let needs = if saml { "SAML:aud" } else { "a `:sub` (subject)" };
                        sink.add(
                            "trust.federated",
                            role,
                            vec![format!("{label}: federated `{provider}` without a condition on {needs}")],
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

impl AuditReport {
    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.findings.is_empty() {
            s.push_str("no findings\n");
        }
        for f in &self.findings {
            let title = check(f.id).map_or("", |c| c.title);
            let _ = writeln!(
                s,
                "[{}] {} (anti-pattern {}): {}\n  {}",
                f.severity.as_str(),
                f.id,
                f.anti_pattern,
                title,
                f.principal
            );
            for e in &f.evidence {
                let _ = writeln!(s, "    - {e}");
            }
            let _ = writeln!(s, "  fix: {}", f.fix);
        }
        let _ = writeln!(s, "\n{}", crate::text::counted(self.findings.len(), "finding", "findings"));
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }

    /// SARIF 2.1.0, for code-scanning dashboards (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>).
    pub fn to_sarif(&self) -> serde_json::Value {
        let rules: Vec<serde_json::Value> = CHECKS
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "name": c.id, "shortDescription": {"text": c.title}, "help": {"text": c.fix},
                    "helpUri": c.help, "properties": {"anti-pattern": c.anti_pattern, "severity": c.severity.as_str()}
                })
            })
            .collect();
        let results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                let level = match f.severity {
                    Severity::Critical | Severity::High => "error",
                    Severity::Medium => "warning",
                    Severity::Low => "note",
                };
                let text = format!("{}: {}. {}", f.principal, f.evidence.join("; "), f.fix);
                serde_json::json!({
                    "ruleId": f.id, "level": level, "message": {"text": text},
                    "locations": [{
                        "physicalLocation": {"artifactLocation": {"uri": f.source.split(", ").next().unwrap_or_default()}},
                        "logicalLocations": [{"fullyQualifiedName": f.principal, "kind": "resource"}]
                    }]
                })
            })
            .collect();
        serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "monban", "informationUri": "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html", "rules": rules}}, "results": results}]
        })
    }
}
