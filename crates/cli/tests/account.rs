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

/// `monban unused`: a role that used part of what it is granted gets an unused-permission finding
/// with its narrowed policy; a role idle for the window is unused, one whose last-used date is old
/// but that the activity shows acting is not; activity older than the window does not count.
#[test]
fn unused_access_from_activity() {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("account.json");
    let role = |name: &str, last_used: &str, policy: &str| {
        format!(
            r#"{{"RoleName": "{name}", "RoleId": "AROA{name}", "Arn": "arn:aws:iam::111122223333:role/{name}", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z", "RoleLastUsed": {{"LastUsedDate": "{last_used}", "Region": "us-east-1"}},
            "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "ec2.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}},
            "RolePolicyList": [{{"PolicyName": "p", "PolicyDocument": {policy}}}], "AttachedManagedPolicies": []}}"#
        )
    };
    let app_policy = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"},
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}"#;
    let small =
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
    let details = format!(
        r#"{{"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [{}, {}, {}]}}"#,
        role("app", "2024-12-30T00:00:00Z", app_policy),
        role("old", "2024-01-02T00:00:00Z", small),
        role("busy", "2024-01-02T00:00:00Z", small),
    );
    std::fs::write(&account, details).unwrap();
    let event = |id: &str, role: &str, time: &str, key: &str| {
        format!(
            r#"{{"eventID": "{id}", "eventTime": "{time}", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "userIdentity": {{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/{role}/i-1",
              "sessionContext": {{"sessionIssuer": {{"type": "Role", "arn": "arn:aws:iam::111122223333:role/{role}"}}}}}},
            "requestParameters": {{"bucketName": "data", "key": "{key}"}},
            "resources": [{{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data/{key}"}}]}}"#
        )
    };
    let trail = dir.path().join("trail.json");
    let records = [
        event("e1", "app", "2024-12-20T10:00:00Z", "a.csv"),
        event("e2", "busy", "2024-12-21T10:00:00Z", "b.csv"),
        // Before the 90-day window: does not count.
        event("e3", "old", "2024-06-01T10:00:00Z", "c.csv"),
    ];
    std::fs::write(&trail, format!(r#"{{"Records": [{}]}}"#, records.join(","))).unwrap();
    let out = monban(&[
        "unused",
        account.to_str().unwrap(),
        "--activity",
        trail.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let of = |id: &str| -> Vec<&str> {
        findings.iter().filter(|f| f["id"] == id).map(|f| f["principal"].as_str().unwrap()).collect()
    };
    assert_eq!(of("unused.role"), ["arn:aws:iam::111122223333:role/old"]);
    assert_eq!(of("unused.permission"), ["arn:aws:iam::111122223333:role/app"]);
    let evidence: Vec<&str> = findings.iter().find(|f| f["id"] == "unused.permission").unwrap()["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence[0].contains("services granted but not used in 90 days") && evidence[0].contains("dynamodb (1)"),
        "{evidence:?}"
    );
    assert!(evidence[1].contains("s3:PutObject") && !evidence[1].contains("s3:GetObject"), "{evidence:?}");
    assert!(
        evidence.iter().any(|e| e.starts_with("narrowed policy: ")
            && e.contains("s3:GetObject")
            && e.contains("arn:aws:s3:::data/a.csv")),
        "{evidence:?}"
    );
}
