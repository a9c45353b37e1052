//! Runs `tests/data/policy-acceptance.json`: each case's document is accepted or refused by
//! `monban_policy::acceptance` with IAM's message, as the source it cites recorded; and
//! `tests/data/organization-policy-acceptance.json`, Organizations' grammar of SCPs and RCPs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use monban_policy::acceptance::{check, check_organization_policy, OrganizationPolicyKind, PolicyKind};
use serde_json::Value;

#[test]
fn every_case_is_accepted_or_refused_in_iam_s_words() {
    let data: Value =
        serde_json::from_str(include_str!("data/policy-acceptance.json")).expect("policy-acceptance.json is JSON");
    let mut failures = Vec::new();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 70);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        assert!(case["source"].as_str().is_some_and(|s| !s.is_empty()), "{name}: no source");
        let kind = match case["kind"].as_str().unwrap() {
            "managed" => PolicyKind::Managed,
            "inline" => PolicyKind::Inline,
            "trust" => PolicyKind::Trust,
            "session" => PolicyKind::Session,
            other => panic!("{name}: unknown kind {other}"),
        };
        let text = match case.get("document_text") {
            Some(text) => text.as_str().unwrap().to_string(),
            None => case["document"].to_string(),
        };
        let got = check(&text, kind, "aws");
        let expected = match &case["expect"] {
            Value::String(s) if s == "accept" => None,
            other => Some(other["message"].as_str().unwrap().to_string()),
        };
        let got = got.err().map(|r| r.0);
        if got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_organization_policy_case_is_accepted_or_refused() {
    let data: Value = serde_json::from_str(include_str!("data/organization-policy-acceptance.json")).unwrap();
    let mut failures = Vec::new();
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        assert!(case["source"].as_str().is_some_and(|s| s.starts_with("https://docs.aws.amazon.com/")), "{name}");
        let kind = match case["kind"].as_str().unwrap() {
            "scp" => OrganizationPolicyKind::Scp,
            "rcp" => OrganizationPolicyKind::Rcp,
            other => panic!("{name}: unknown kind {other}"),
        };
        let got = check_organization_policy(&case["document"].to_string(), kind);
        let accept = case["expect"] == "accept";
        if got.is_ok() != accept {
            failures.push(format!("{name}: expected {}, got {got:?}", case["expect"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The partition is the account's: an ARN of another partition is refused
/// (terraform-aws-modules/terraform-aws-iam#39 shows IAM in aws-cn refusing `arn:aws:`).
#[test]
fn arns_must_be_of_the_account_s_partition() {
    let policy = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}}"#;
    assert!(check(policy, PolicyKind::Managed, "aws").is_ok());
    let refused = check(policy, PolicyKind::Managed, "aws-cn").unwrap_err();
    assert_eq!(refused.0, "Partition \"aws\" is not valid for resource \"arn:aws:s3:::b\".");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    /// Any text, and any mangling of a valid document, is answered without a panic, under every
    /// policy kind and partition.
    #[test]
    fn never_panics(text in "\\PC{0,200}", cut in 0usize..400, insert in "[\\[\\]{}:,\"*$?a-z0-9 -]{0,8}") {
        let valid = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Action": ["s3:Get*"], "Resource": "arn:aws:s3:::b/*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}"#;
        let cut = cut.min(valid.len());
        let cut = (0..=cut).rev().find(|i| valid.is_char_boundary(*i)).unwrap_or(0);
        let mangled = format!("{}{insert}{}", &valid[..cut], &valid[cut..]);
        for document in [text.as_str(), mangled.as_str()] {
            for kind in [PolicyKind::Managed, PolicyKind::Inline, PolicyKind::Trust, PolicyKind::Session] {
                for partition in ["aws", "aws-cn"] {
                    let _ = check(document, kind, partition);
                }
            }
            for kind in [OrganizationPolicyKind::Scp, OrganizationPolicyKind::Rcp] {
                let _ = check_organization_policy(document, kind);
            }
        }
    }
}
