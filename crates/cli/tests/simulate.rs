//! `monban simulate` as a user runs it: the offline policy simulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn monban(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

const ROLE: &str = "arn:aws:iam::123456789012:role/app";
const BOUNDARY: &str = "iam:PermissionsBoundary=arn:aws:iam::123456789012:policy/DeveloperBoundary";

/// The developer may create roles only with the boundary (the README's walk-through): given the
/// key, allowed by the statement on line 4; without it, denied with the key named as missing.
#[test]
fn decisions_name_their_statements_and_the_keys_they_missed() {
    let policy = "examples/boundary/developer.json";
    let (code, out, err) = monban(&[
        "simulate",
        "--policy",
        policy,
        "--action",
        "iam:CreateRole",
        "--resource",
        ROLE,
        "--context",
        BOUNDARY,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("allowed") && out.contains("by developer.json:4:5"), "{out}");
    let (code, out, _) =
        monban(&["simulate", "--policy", policy, "--action", "iam:CreateRole", "--resource", ROLE, "--format", "csv"]);
    assert_eq!(code, 2);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("action,resource,decision,matched_statements,missing_context"));
    assert_eq!(lines.next(), Some(&*format!("iam:CreateRole,{ROLE},implicitDeny,,iam:PermissionsBoundary")));
}

/// Wildcards expand through the catalog; every action is answered for every resource.
#[test]
fn wildcards_expand_to_every_catalog_action() {
    let (_, out, err) = monban(&[
        "simulate",
        "--policy",
        "examples/boundary/developer.json",
        "--action",
        "iam:*Role",
        "--resource",
        ROLE,
        "--resource",
        "*",
        "--format",
        "json",
    ]);
    let results: Vec<serde_json::Value> = serde_json::from_str(&out).expect(&err);
    let actions: std::collections::BTreeSet<&str> = results.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains("iam:CreateRole") && actions.contains("iam:DeleteRole") && actions.len() > 5,
        "{actions:?}"
    );
    assert_eq!(results.len(), actions.len() * 2);
    let (code, _, err) =
        monban(&["simulate", "--policy", "examples/boundary/developer.json", "--action", "nosuchservice:*"]);
    assert_eq!(code, 1);
    assert!(err.contains("nosuchservice"), "{err}");
}
