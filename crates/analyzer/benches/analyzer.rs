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
