//! `lint`: is a policy written correctly and safely? Findings in IAM Access Analyzer's vocabulary
//! (ValidatePolicy: `finding_type` ERROR, SECURITY_WARNING, WARNING or SUGGESTION, an
//! `issue_code`, a message and a location), computed offline from the engine's parser and the
//! action catalog.
//!
//! AWS: "IAM Access Analyzer policy check reference"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html>).
//! Every check is listed with its issue code in `docs/lint-checks.md`.
//!
//! ```
//! use monban_analyzer::lint::{Linter, PolicyKind, FindingType};
//!
//! let linter = Linter::new(monban_catalog::Catalog::embedded()?);
//! let findings = linter.lint(r#"{"Version": "2012-10-17", "Statement": {
//!     "Effect": "Allow", "Action": "s3:GetObjct", "Resource": "*"}}"#, PolicyKind::Identity);
//! assert_eq!(findings[0].issue_code, "INVALID_ACTION");
//! assert_eq!(findings[0].finding_type, FindingType::Error);
//! assert_eq!(findings[0].location.path, "Statement.Action");
//! # Ok::<(), monban_catalog::CatalogError>(())
//! ```

mod document;
mod report;
mod rules;

use std::collections::HashMap;

use monban_catalog::Catalog;
use monban_policy::json;
use monban_policy::Policy;

pub use report::{to_json, to_sarif, to_text, LintedFile};

use document::Document;

/// How serious a finding is, in Access Analyzer's words. Ordered: a threshold (`--fail-on`)
/// includes everything more serious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingType {
    /// Better practice; the policy works as written.
    Suggestion,
    /// The policy may not do what its author meant.
    Warning,
    /// The policy grants more than it seems to, or more than is safe.
    SecurityWarning,
    /// The policy is invalid or part of it can never work.
    Error,
}

impl FindingType {
    /// `ERROR`, `SECURITY_WARNING`, `WARNING` or `SUGGESTION`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::Error => "ERROR",
            FindingType::SecurityWarning => "SECURITY_WARNING",
            FindingType::Warning => "WARNING",
            FindingType::Suggestion => "SUGGESTION",
        }
    }
}

impl std::str::FromStr for FindingType {
    type Err = String;

    fn from_str(text: &str) -> Result<FindingType, String> {
        match text.to_ascii_uppercase().replace('-', "_").as_str() {
            "ERROR" => Ok(FindingType::Error),
            "SECURITY_WARNING" => Ok(FindingType::SecurityWarning),
            "WARNING" => Ok(FindingType::Warning),
            "SUGGESTION" => Ok(FindingType::Suggestion),
            _ => Err(format!("unknown finding type `{text}` (ERROR, SECURITY_WARNING, WARNING, SUGGESTION)")),
        }
    }
}

/// Which kind of policy is linted: the checks and quotas differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Identity-based (attached to users, groups, roles).
    Identity,
    /// Resource-based (bucket, key, queue, topic, secret policies...).
    Resource,
    /// A role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// A permissions boundary.
    Boundary,
    /// An Organizations service control policy.
    Scp,
    /// An Organizations resource control policy.
    Rcp,
}

impl std::str::FromStr for PolicyKind {
    type Err = String;

    fn from_str(text: &str) -> Result<PolicyKind, String> {
        match text.to_ascii_lowercase().as_str() {
            "identity" => Ok(PolicyKind::Identity),
            "resource" => Ok(PolicyKind::Resource),
            "trust" => Ok(PolicyKind::Trust),
            "boundary" => Ok(PolicyKind::Boundary),
            "scp" => Ok(PolicyKind::Scp),
            "rcp" => Ok(PolicyKind::Rcp),
            _ => Err(format!("unknown policy type `{text}` (identity, resource, trust, boundary, scp, rcp)")),
        }
    }
}

/// A line and column (both 1-based, the column in characters) and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset in the text.
    pub offset: usize,
}

/// Where a finding is: a JSON path from the document root (`Statement[1].Condition.Bool`) and the
/// span of the value there.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Location {
    /// The JSON path; empty for the whole document.
    pub path: String,
    /// Where the value starts.
    pub start: Position,
    /// Where it ends (one past its last character).
    pub end: Position,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// How serious it is.
    pub finding_type: FindingType,
    /// What kind of problem, in Access Analyzer's style (`INVALID_ACTION`).
    pub issue_code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where.
    pub location: Location,
}

/// The lint engine: the catalog and the tables derived from it once, shared across documents.
pub struct Linter<'c> {
    catalog: &'c Catalog,
    /// Per ARN namespace (`s3`, `iam`): whether its formats leave region and account empty.
    namespaces: HashMap<&'static str, Namespace>,
}

/// What the ARN formats of one namespace say about its region and account fields.
#[derive(Debug, Clone, Copy, Default)]
struct Namespace {
    region_empty: bool,
    region_set: bool,
    account_empty: bool,
    account_set: bool,
}

impl<'c> Linter<'c> {
    /// Prepares the tables the checks need from the catalog.
    pub fn new(catalog: &'c Catalog) -> Linter<'c> {
        let mut namespaces: HashMap<&'static str, Namespace> = HashMap::new();
        for service in catalog.services() {
            for rt in service.resource_types() {
                for format in rt.arn_formats() {
                    let Some(arn) = monban_policy::arn::Arn::parse(format) else { continue };
                    if arn.service().contains(['$', '*']) {
                        continue;
                    }
                    let ns = namespaces.entry(arn.service()).or_default();
                    if arn.region().is_empty() {
                        ns.region_empty = true;
                    } else {
                        ns.region_set = true;
                    }
                    if arn.account().is_empty() {
                        ns.account_empty = true;
                    } else {
                        ns.account_set = true;
                    }
                }
            }
        }
        Linter { catalog, namespaces }
    }

    /// Every finding for one policy document, in document order.
    pub fn lint(&self, text: &str, kind: PolicyKind) -> Vec<Finding> {
        let node = match json::parse(text) {
            Ok(node) => node,
            Err(e) => {
                let at = position(text, e.offset);
                return vec![Finding {
                    finding_type: FindingType::Error,
                    issue_code: "JSON_SYNTAX_ERROR",
                    message: format!("fix the JSON syntax error: {}", e.message),
                    location: Location { path: String::new(), start: at, end: at },
                }];
            }
        };
        let document = Document::new(text, &node);
        let policy = match Policy::from_node(&node, text, "") {
            Ok(policy) => policy,
            Err(e) => return vec![rules::grammar_error(&document, &e)],
        };
        let mut findings = rules::Context { linter: self, doc: &document, policy: &policy, kind }.run();
        findings.sort_by_key(|f| (f.location.start.offset, std::cmp::Reverse(f.finding_type)));
        findings
    }
}

fn position(text: &str, offset: usize) -> Position {
    let (line, column) = json::line_column(text, offset);
    Position { line, column, offset }
}
