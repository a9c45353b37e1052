//! `monban lint --policy-type scp|rcp` agrees with what Organizations accepts: on every case of
//! `crates/policy/tests/data/organization-policy-acceptance.json` (each citing its AWS page), lint
//! reports an ERROR exactly when the document is refused (`monban_policy::acceptance`, which the
//! server's CreatePolicy and UpdatePolicy apply).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use monban_analyzer::lint::{FindingType, Linter, PolicyKind};
use monban_catalog::Catalog;
use serde_json::Value;

#[test]
fn lint_errors_exactly_where_organizations_refuses() {
    let linter = Linter::new(Catalog::embedded().unwrap());
    let data: Value =
        serde_json::from_str(include_str!("../../policy/tests/data/organization-policy-acceptance.json")).unwrap();
    let mut failures = Vec::new();
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let kind = match case["kind"].as_str().unwrap() {
            "scp" => PolicyKind::Scp,
            _ => PolicyKind::Rcp,
        };
        let text = serde_json::to_string_pretty(&case["document"]).unwrap();
        let errors: Vec<&str> = linter
            .lint(&text, kind)
            .into_iter()
            .filter(|f| f.finding_type == FindingType::Error)
            .map(|f| f.issue_code)
            .collect();
        let refused = case["expect"] != "accept";
        if refused == errors.is_empty() {
            failures.push(format!("{name}: refused={refused}, lint errors {errors:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
