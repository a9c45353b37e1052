//! `monban audit`, `monban escalation` and `monban effective` as a user runs them: the built
//! binary on a synthetic account written to files, its output and its exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use monban_analyzer::account::synthetic;
use serde_json::Value;

fn monban(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_monban")).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Writes a synthetic account (URL-encoded documents, as the raw API returns them) and its
/// credential report to a fresh directory.
fn files(name: &str) -> (PathBuf, PathBuf, synthetic::Synthetic) {
    let dir = std::env::temp_dir().join(format!("monban-account-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = synthetic::generate(60, 1);
    let details = dir.join("account.json");
    std::fs::write(&details, synthetic::url_encoded(&s.details).to_string()).unwrap();
    let report = dir.join("report.csv");
    std::fs::write(&report, &s.credential_report).unwrap();
    (details, report, s)
}

const NOW: &str = "2025-01-01T00:00:00Z";

#[test]
fn escalation_finds_the_planted_paths_and_exits_2() {
    let (details, _, s) = files("escalation");
    let out = monban(&["escalation", details.to_str().unwrap(), "--now", NOW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let principals = |json: &Value, conditional: bool| -> std::collections::BTreeSet<String> {
        json["paths"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p.get("requires").is_some() == conditional)
            .map(|p| p["principal"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(principals(&json, false), s.truth.escalations);
    // The MFA-conditioned CreateAccessKey is a path once MFA is supplied, and says so.
    assert_eq!(principals(&json, true), s.truth.conditional);
    assert!(json["paths"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["requires"].as_str().is_some_and(|r| r.contains("MFA"))));
    let text = stdout(&monban(&["escalation", details.to_str().unwrap(), "--now", NOW]));
    assert!(text.contains("--create-role-->"), "{text}");
    assert!(text.contains("allowed by"), "{text}");
    assert!(text.contains("given MFA (aws:MultiFactorAuthPresent)"), "{text}");
    let only =
        monban(&["escalation", details.to_str().unwrap(), "--now", NOW, "--format", "json", "--unconditional-only"]);
    let json: Value = serde_json::from_str(&stdout(&only)).unwrap();
    assert!(principals(&json, true).is_empty());
    assert_eq!(principals(&json, false), s.truth.escalations);
    let dot = stdout(&monban(&["escalation", details.to_str().unwrap(), "--now", NOW, "--format", "dot"]));
    assert!(dot.starts_with("digraph escalation {"), "{dot}");
    let mermaid = stdout(&monban(&["escalation", details.to_str().unwrap(), "--now", NOW, "--format", "mermaid"]));
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
}

#[test]
fn audit_formats_and_exit_codes() {
    let (details, report, s) = files("audit");
    let out = monban(&[
        "audit",
        details.to_str().unwrap(),
        "--credential-report",
        report.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), s.truth.findings.len());
    let sarif: Value = serde_json::from_str(&stdout(&monban(&[
        "audit",
        details.to_str().unwrap(),
        "--credential-report",
        report.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "sarif",
    ])))
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), s.truth.findings.len());
    // Without a credential report the credential checks are skipped, with a warning.
    let out = monban(&["audit", details.to_str().unwrap(), "--now", NOW]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no credential report"));
}

#[test]
fn effective_and_errors() {
    let (details, _, _) = files("effective");
    let user = format!("arn:aws:iam::{}:user/team-0-user-0", synthetic::ACCOUNT);
    let out = monban(&["effective", details.to_str().unwrap(), "--principal", &user, "--now", NOW]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("s3 (") && text.contains("Write ("), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100 || !l.contains(", ")), "{text}");
    let out = monban(&["effective", details.to_str().unwrap(), "--principal", "arn:aws:iam::1:user/nobody"]);
    assert_eq!(out.status.code(), Some(1));
    // Malformed input names the file and the element, and nothing panics.
    let bad = details.with_file_name("bad.json");
    std::fs::write(&bad, r#"{"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "AssumeRolePolicyDocument": "%7B%22Statement%22%3A5%7D"}]}"#).unwrap();
    let out = monban(&["escalation", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json: RoleDetailList[0].AssumeRolePolicyDocument.Statement"), "{err}");
    std::fs::write(&bad, r#"{"UserDetailList": [{"UserName": "#).unwrap();
    let out = monban(&["audit", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json: line 1"));
}
