//! Lint and compare over every AWS managed policy (`data/aws-managed-policies.jsonl`): no crash, no
//! false ERROR, and AdministratorAccess compared with PowerUserAccess gives exactly IAM,
//! Organizations and Account management actions minus PowerUserAccess's own exceptions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use monban_analyzer::compare::compare;
use monban_analyzer::lint::{FindingType, Linter, PolicyKind};
use monban_catalog::Catalog;
use monban_policy::Policy;
use serde_json::Value;

const DATA: &str = include_str!("../../../data/aws-managed-policies.jsonl");

fn managed() -> Vec<(String, String)> {
    DATA.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            (v["name"].as_str().unwrap().to_string(), serde_json::to_string_pretty(&v["document"]).unwrap())
        })
        .collect()
}

fn document(name: &str) -> Policy {
    let (_, text) = managed().into_iter().find(|(n, _)| n == name).unwrap();
    Policy::parse(&text).unwrap()
}

#[test]
fn every_managed_policy_lints_without_a_false_error() {
    let linter = Linter::new(Catalog::embedded().unwrap());
    let policies = managed();
    assert_eq!(policies.len(), 1594);
    let mut counts: BTreeMap<(FindingType, &str), usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, text) in &policies {
        for f in linter.lint(text, PolicyKind::Identity) {
            *counts.entry((f.finding_type, f.issue_code)).or_default() += 1;
            if f.finding_type == FindingType::Error {
                errors.push(format!("{name}: {} {} at {}", f.issue_code, f.message, f.location.path));
            }
        }
    }
    for ((t, code), n) in &counts {
        println!("{:<17} {code:<48} {n}", t.as_str());
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn administrator_access_over_power_user_access_is_iam_organizations_and_account() {
    let catalog = Catalog::embedded().unwrap();
    let admin = document("AdministratorAccess");
    let power = document("PowerUserAccess");
    let c = compare(catalog, &admin, &power);
    assert!(c.may_allow.is_empty(), "{:?}", c.may_allow);
    let mut services: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &c.new_access {
        for a in catalog.actions_in(&g.actions) {
            *services.entry(a.prefix()).or_default() += 1;
        }
    }
    let keys: Vec<&str> = services.keys().copied().collect();
    assert_eq!(keys, ["account", "iam", "organizations"]);
    let expected =
        catalog.expand("iam:*").len() + catalog.expand("organizations:*").len() + catalog.expand("account:*").len() - 9;
    assert_eq!(services.values().sum::<usize>(), expected);
    for g in &c.new_access {
        for exception in [
            "iam:CreateServiceLinkedRole",
            "iam:ListRoles",
            "organizations:DescribeOrganization",
            "account:ListRegions",
        ] {
            assert!(!g.actions.contains(catalog.find_action(exception).unwrap().id()), "{exception}");
        }
    }
    assert!(compare(catalog, &power, &admin).is_empty());
    assert!(compare(catalog, &admin, &admin).is_empty());
    assert!(compare(catalog, &power, &power).is_empty());
}
