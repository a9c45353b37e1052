//! The analyzer's performance targets: lint all AWS managed policies (≤ 1 s in total) and compare
//! AdministratorAccess with PowerUserAccess (≤ 50 ms). Workloads come from the managed-policy data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use divan::{black_box, Bencher};
use monban_analyzer::compare::compare;
use monban_analyzer::lint::{Linter, PolicyKind};
use monban_catalog::Catalog;
use monban_policy::Policy;
use serde_json::Value;

const DATA: &str = include_str!("../../../data/aws-managed-policies.jsonl");

fn main() {
    divan::main();
}

fn managed() -> Vec<(String, String)> {
    DATA.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            (v["name"].as_str().unwrap().to_string(), serde_json::to_string_pretty(&v["document"]).unwrap())
        })
        .collect()
}

/// Every one of the 1,594 managed policies, linted as an identity policy.
#[divan::bench(sample_count = 10)]
fn lint_all_managed_policies(bencher: Bencher) {
    let policies = managed();
    let linter = Linter::new(Catalog::embedded().unwrap());
    bencher.bench(|| {
        policies.iter().map(|(_, text)| linter.lint(black_box(text), PolicyKind::Identity).len()).sum::<usize>()
    });
}

/// AdministratorAccess compared with PowerUserAccess.
#[divan::bench]
fn compare_administrator_with_power_user(bencher: Bencher) {
    let policies = managed();
    let find = |name: &str| Policy::parse(&policies.iter().find(|(n, _)| n == name).unwrap().1).unwrap();
    let (admin, power) = (find("AdministratorAccess"), find("PowerUserAccess"));
    let catalog = Catalog::embedded().unwrap();
    bencher.bench(|| compare(catalog, black_box(&admin), black_box(&power)).new_access.len());
}

/// `monban plan` for an A spanning 50 services (each `service:*`) against the whole built-in risk
/// library, the proof of its guardrails included (target ≤ 1 s).
#[divan::bench(sample_count = 10)]
fn plan_fifty_services_against_the_risk_library(bencher: Bencher) {
    use monban_analyzer::plan::{plan, Risks};
    let catalog = Catalog::embedded().unwrap();
    let services: Vec<String> = catalog.services().take(50).map(|s| format!("{}:*", s.prefix())).collect();
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": services, "Resource": ["arn:aws:s3:::app/*", "*"]}]});
    let needed = Policy::parse(&document.to_string()).unwrap();
    let risks = Risks::builtin(catalog);
    bencher.bench(|| plan(catalog, black_box(&needed), &risks).controls.decisions);
}
