//! `check`: IAM Access Analyzer's custom policy checks, offline, with the same names and meanings
//! ("IAM Access Analyzer custom policy checks": CheckNoNewAccess, CheckAccessNotGranted,
//! CheckNoPublicAccess). A check says PASS only when no request can be allowed that it forbids;
//! where the analysis cannot decide, it says FAIL and "cannot prove", with why.

use monban_catalog::{ActionSet, Catalog};
use monban_policy::condition::{Family, SetQualifier, Values};
use monban_policy::pattern::{ArnPattern, Piece, Syntax};
use monban_policy::policy::{Condition, PrincipalMatcher};
use monban_policy::{Effect, Policy, Statement};
use serde_json::{json, Value};

use crate::compare::glob::{Glob, Variables};
use crate::compare::grants::statement_actions;
use crate::compare::{compare, compare_within, Comparison, Grant, Scope};

/// Why a check could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// An `--action` that names no known action.
    #[error("`{0}` matches no known action")]
    UnknownAction(String),
    /// A `--resource-type` the check does not know.
    #[error("unknown resource type `{0}` (use one of {list})", list = ResourceKind::NAMES.join(", "))]
    UnknownResourceType(String),
}

/// PASS or FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// Provably nothing the check forbids is allowed.
    Pass,
    /// Something the check forbids is (or may be) allowed.
    Fail,
}

/// One reason for a FAIL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    /// What is allowed, or why it cannot be proven that it is not.
    pub message: String,
    /// The statements responsible (indexes in the checked policy).
    pub statements: Vec<usize>,
    /// True for "cannot prove" rather than "is allowed".
    pub cannot_prove: bool,
}

/// The answer of a check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckResult {
    /// The check's name (`no-new-access`, ...).
    pub check: &'static str,
    /// PASS or FAIL.
    pub result: Verdict,
    /// Why it failed (empty on PASS).
    pub reasons: Vec<Reason>,
}

impl CheckResult {
    fn new(check: &'static str, reasons: Vec<Reason>) -> CheckResult {
        let result = if reasons.is_empty() { Verdict::Pass } else { Verdict::Fail };
        CheckResult { check, result, reasons }
    }

    /// The result as JSON.
    pub fn to_json(&self) -> Value {
        json!(self)
    }

    /// The result as text: `PASS` or `FAIL` and one line per reason.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}: {}\n", self.check, if self.result == Verdict::Pass { "PASS" } else { "FAIL" });
        for r in &self.reasons {
            let statements = if r.statements.is_empty() {
                String::new()
            } else {
                format!(" (statement {})", r.statements.iter().map(usize::to_string).collect::<Vec<_>>().join(", "))
            };
            let lead = if r.cannot_prove { "cannot prove: " } else { "" };
            out.push_str(&format!("  - {lead}{}{statements}\n", r.message));
        }
        out
    }
}

fn grant_reason(catalog: &Catalog, g: &Grant, what: &str, cannot_prove: bool) -> Reason {
    let names: Vec<String> = catalog.actions_in(&g.actions).take(5).map(|a| a.to_string()).collect();
    let more = g.actions.len().saturating_sub(names.len());
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    let on = g.example_resource.as_deref().map(|r| format!(" on `{r}`")).unwrap_or_default();
    Reason {
        message: match g.reason.as_str() {
            "" => format!("{what} {}{more}{on}", names.join(", ")),
            reason => format!("{what} {}{more}{on}: {reason}", names.join(", ")),
        },
        statements: vec![g.statement],
        cannot_prove,
    }
}

fn comparison_reasons(catalog: &Catalog, c: &Comparison, what: &str) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = c.new_access.iter().map(|g| grant_reason(catalog, g, what, false)).collect();
    reasons.extend(c.may_allow.iter().map(|g| grant_reason(catalog, g, &format!("{what} perhaps"), true)));
    reasons.extend(c.unchecked_actions.iter().map(|(s, a)| Reason {
        message: format!("`{a}` names no action the catalog knows, so its access cannot be compared"),
        statements: vec![*s],
        cannot_prove: true,
    }));
    reasons
}

/// CheckNoNewAccess: PASS when NEW allows nothing that EXISTING does not.
pub fn no_new_access(catalog: &Catalog, new: &Policy, existing: &Policy) -> CheckResult {
    let c = compare(catalog, new, existing);
    CheckResult::new("no-new-access", comparison_reasons(catalog, &c, "NEW allows"))
}

/// CheckAccessNotGranted: PASS when the policy allows none of `actions` (patterns allowed) on any
/// of `resources` (every resource when empty).
pub fn access_not_granted(
    catalog: &Catalog,
    policy: &Policy,
    actions: &[String],
    resources: &[String],
) -> Result<CheckResult, CheckError> {
    let mut set = ActionSet::empty(catalog.action_count());
    for a in actions {
        let found = catalog.expand(a);
        if found.is_empty() {
            return Err(CheckError::UnknownAction(a.clone()));
        }
        set.union_with(&found);
    }
    let syntax = Syntax { wildcards: true, variables: false, ignore_case: false };
    let globs: Vec<Glob> =
        resources.iter().filter_map(|r| Glob::from_arn(&ArnPattern::new(r, syntax), Variables::Widen)).collect();
    let scope = Scope { actions: set, resources: (!resources.is_empty()).then_some(globs) };
    let nothing = Policy::parse(r#"{"Version": "2012-10-17", "Statement": []}"#)
        .unwrap_or_else(|_| Policy::parse("{\"Statement\": []}").unwrap_or_else(|_| policy.clone()));
    let mut c = compare_within(catalog, policy, &nothing, Some(&scope));
    // Unknown actions in the policy matter only if they could be one of the checked ones.
    let checked: Vec<Glob> = actions.iter().map(|a| Glob::wildcard(&a.to_lowercase(), true)).collect();
    c.unchecked_actions.retain(|(_, a)| {
        let g = Glob::wildcard(&a.to_lowercase(), true);
        checked.iter().any(|k| k.overlaps(&g).unwrap_or(true))
    });
    // The comparison was against an empty policy: the statement that grants it is the whole
    // reason (the report names it), not what EXISTING lacks.
    for g in &mut c.new_access {
        g.reason.clear();
    }
    for g in &mut c.may_allow {
        g.reason = g.reason.replace("NEW's", "the policy's");
    }
    Ok(CheckResult::new("access-not-granted", comparison_reasons(catalog, &c, "the policy grants")))
}

/// The resource types `no-public-access` knows, with Access Analyzer's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `AWS::S3::Bucket`.
    S3Bucket,
    /// `AWS::KMS::Key`.
    KmsKey,
    /// `AWS::SQS::Queue`.
    SqsQueue,
    /// `AWS::SNS::Topic`.
    SnsTopic,
    /// `AWS::SecretsManager::Secret`.
    SecretsManagerSecret,
    /// `AWS::IAM::AssumeRolePolicyDocument`: a role trust policy.
    RoleTrustPolicy,
    /// `AWS::Lambda::Function`.
    LambdaFunction,
    /// `AWS::ECR::Repository`.
    EcrRepository,
    /// `AWS::DynamoDB::Table`.
    DynamoDbTable,
}

impl ResourceKind {
    /// Accepted names.
    pub const NAMES: &'static [&'static str] = &[
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::SecretsManager::Secret",
        "AWS::IAM::AssumeRolePolicyDocument",
        "AWS::Lambda::Function",
        "AWS::ECR::Repository",
        "AWS::DynamoDB::Table",
    ];

    /// Reads Access Analyzer's name (case-insensitive) or a short one (`s3`, `kms`, `sqs`, `sns`,
    /// `secretsmanager`, `role`, `lambda`, `ecr`, `dynamodb`).
    pub fn parse(text: &str) -> Result<ResourceKind, CheckError> {
        let t = text.to_ascii_lowercase();
        Ok(match t.as_str() {
            "aws::s3::bucket" | "s3" | "s3-bucket" => ResourceKind::S3Bucket,
            "aws::kms::key" | "kms" | "kms-key" => ResourceKind::KmsKey,
            "aws::sqs::queue" | "sqs" | "sqs-queue" => ResourceKind::SqsQueue,
            "aws::sns::topic" | "sns" | "sns-topic" => ResourceKind::SnsTopic,
            "aws::secretsmanager::secret" | "secretsmanager" | "secret" => ResourceKind::SecretsManagerSecret,
            "aws::iam::assumerolepolicydocument" | "role" | "iam-role" | "trust" => ResourceKind::RoleTrustPolicy,
            "aws::lambda::function" | "lambda" => ResourceKind::LambdaFunction,
            "aws::ecr::repository" | "ecr" => ResourceKind::EcrRepository,
            "aws::dynamodb::table" | "dynamodb" => ResourceKind::DynamoDbTable,
            _ => return Err(CheckError::UnknownResourceType(text.to_string())),
        })
    }

    /// The service prefix whose actions reach the resource.
    fn service(self) -> &'static str {
        match self {
            ResourceKind::S3Bucket => "s3",
            ResourceKind::KmsKey => "kms",
            ResourceKind::SqsQueue => "sqs",
            ResourceKind::SnsTopic => "sns",
            ResourceKind::SecretsManagerSecret => "secretsmanager",
            ResourceKind::RoleTrustPolicy => "sts",
            ResourceKind::LambdaFunction => "lambda",
            ResourceKind::EcrRepository => "ecr",
            ResourceKind::DynamoDbTable => "dynamodb",
        }
    }
}

/// Condition keys that tie a request to an account, organization, principal or network source
/// ("AWS global condition context keys"; KMS `kms:CallerAccount`).
const PINNING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalarn",
    "aws:principalservicename",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:vpcsourceip",
    "aws:userid",
    "kms:calleraccount",
];

/// Whether the values of a condition are all specific: no value is a bare wildcard, a variable, or
/// an ARN whose account is a wildcard; no CIDR is `/0`.
fn specific_values(c: &Condition) -> bool {
    match &c.values {
        Values::Strings(patterns) => patterns.iter().all(|p| {
            let pieces = p.pieces();
            let literal = pieces.iter().filter(|x| matches!(x, Piece::Literal(_))).count();
            literal > 0 && !pieces.iter().any(|x| matches!(x, Piece::Variable(_)))
        }),
        Values::Arns(patterns) => patterns.iter().zip(c.written_values()).all(|(p, w)| {
            let text = w.as_str().unwrap_or_default();
            let pinned_account = monban_policy::arn::Arn::parse(text).is_some_and(|a| a.has_account_id());
            !p.has_variables() && (!text.contains(['*', '?']) || pinned_account)
        }),
        Values::Cidrs(cidrs) => cidrs.iter().all(|c| c.prefix() > 0),
        _ => false,
    }
}

/// Whether a condition, when true, ties the caller to named accounts, organizations, principals or
/// network sources: a positive string, ARN or IP operator without `IfExists` or `ForAllValues`
/// (both true when the key is absent) on a pinning key, with specific values.
pub fn pins_caller(c: &Condition) -> bool {
    PINNING_KEYS.contains(&c.key_lowercase.as_ref())
        && !c.operator.is_negated()
        && !c.operator.if_exists
        && c.operator.qualifier != Some(SetQualifier::ForAllValues)
        && matches!(c.operator.family(), Family::String | Family::Arn | Family::Ip)
        && specific_values(c)
}

/// Whether a `Deny` condition is true for every caller outside the pinned accounts: a negated
/// operator (true when the key is absent too) without `IfExists` on a pinning key.
fn denies_outsiders(c: &Condition) -> bool {
    PINNING_KEYS.contains(&c.key_lowercase.as_ref())
        && c.operator.is_negated()
        && !c.operator.if_exists
        && c.operator.qualifier.is_none()
        && specific_values(c)
}

fn names_everyone(s: &Statement) -> bool {
    s.principal.as_ref().is_some_and(|p| p.negated || p.matchers.contains(&PrincipalMatcher::Everyone))
}

/// CheckNoPublicAccess for a resource policy: PASS when no statement lets a principal outside
/// every account in without a condition pinning account, organization or source.
pub fn no_public_access(catalog: &Catalog, policy: &Policy, kind: ResourceKind) -> CheckResult {
    let service = catalog.expand(&format!("{}:*", kind.service()));
    let mut reasons = Vec::new();
    for (i, s) in policy.statements.iter().enumerate() {
        if s.effect != Effect::Allow {
            continue;
        }
        let mut actions = statement_actions(catalog, s);
        actions.intersect_with(&service);
        if actions.is_empty() {
            continue;
        }
        let Some(principal) = &s.principal else {
            reasons.push(Reason {
                message: "the statement has no Principal, so who it applies to depends on where the policy is attached"
                    .into(),
                statements: vec![i],
                cannot_prove: true,
            });
            continue;
        };
        let mut public: Option<String> = None;
        if principal.negated {
            public = Some("Allow with NotPrincipal lets every principal not listed in, anonymous ones included".into());
        } else if principal.matchers.contains(&PrincipalMatcher::Everyone) {
            public = Some("the principal is `*`: every principal in every account, and anonymous callers".into());
        } else if kind == ResourceKind::RoleTrustPolicy {
            for m in &principal.matchers {
                if let PrincipalMatcher::Federated(provider) = m {
                    if !provider.contains(":saml-provider/") {
                        let host =
                            provider.split_once(":oidc-provider/").map_or(&**provider, |(_, h)| h).to_ascii_lowercase();
                        let pinned = s.conditions.iter().any(|c| {
                            c.key_lowercase.starts_with(&format!("{host}:"))
                                && !c.operator.is_negated()
                                && !c.operator.if_exists
                                && c.operator.qualifier != Some(SetQualifier::ForAllValues)
                                && specific_values(c)
                        });
                        if !pinned {
                            public = Some(format!("any holder of a `{host}` token can assume the role: no condition on its `aud` or `sub` claim"));
                        }
                    }
                }
            }
        }
        let Some(why) = public else { continue };
        if s.conditions.iter().any(pins_caller) {
            continue;
        }
        if guarded(catalog, policy, s, &actions) {
            continue;
        }
        let others: Vec<&str> = s.conditions.iter().map(|c| &*c.key).collect();
        let (message, cannot_prove) = if others.is_empty() {
            (format!("{why}, with no condition"), false)
        } else {
            (
                format!(
                    "{why}; its conditions ({}) do not pin an account, organization or source",
                    others.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
                true,
            )
        };
        reasons.push(Reason { message, statements: vec![i], cannot_prove });
    }
    CheckResult::new("no-public-access", reasons)
}

/// Whether a `Deny` for everyone, on all the statement's actions and resources, applies to every
/// caller outside the pinned accounts (the usual `StringNotEquals aws:PrincipalOrgID` guard).
fn guarded(catalog: &Catalog, policy: &Policy, s: &Statement, actions: &ActionSet) -> bool {
    policy.statements.iter().any(|d| {
        if d.effect != Effect::Deny || !names_everyone(d) || d.conditions.is_empty() {
            return false;
        }
        if !d.conditions.iter().all(denies_outsiders) {
            return false;
        }
        let mut uncovered = actions.clone();
        uncovered.subtract(&statement_actions(catalog, d));
        if !uncovered.is_empty() {
            return false;
        }
        match (&d.resource, &s.resource) {
            (None, _) => true,
            (Some(dr), _) if !dr.negated && dr.patterns.iter().any(ArnPattern::is_everything) => true,
            (Some(dr), Some(sr)) if !dr.negated && !sr.negated => {
                let deny: Vec<Glob> = dr.patterns.iter().filter_map(|p| Glob::from_arn(p, Variables::Drop)).collect();
                sr.patterns.iter().all(|p| {
                    Glob::from_arn(p, Variables::Widen).is_none_or(|g| {
                        crate::compare::glob::shortest_witness(&[std::slice::from_ref(&g)], &deny)
                            .is_ok_and(|w| w.is_none())
                    })
                })
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: &str, kind: ResourceKind) -> CheckResult {
        no_public_access(Catalog::embedded().unwrap(), &Policy::parse(policy).unwrap(), kind)
    }

    #[test]
    fn public_access_needs_a_pinning_condition_or_a_guard() {
        let open = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:SendMessage","Resource":"*"}}"#;
        assert_eq!(check(open, ResourceKind::SqsQueue).result, Verdict::Fail);
        // Actions of another service do not reach the resource.
        assert_eq!(check(open, ResourceKind::KmsKey).result, Verdict::Pass);
        let source = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}}"#;
        assert_eq!(check(source, ResourceKind::SqsQueue).result, Verdict::Pass);
        let wildcard = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"aws:PrincipalAccount":"*"}}}}"#;
        let r = check(wildcard, ResourceKind::KmsKey);
        assert_eq!(r.result, Verdict::Fail);
        assert!(r.reasons[0].cannot_prove);
        let guarded = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}"#;
        assert_eq!(check(guarded, ResourceKind::S3Bucket).result, Verdict::Pass);
        let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}"#;
        assert_eq!(check(trust, ResourceKind::RoleTrustPolicy).result, Verdict::Fail);
    }
}
