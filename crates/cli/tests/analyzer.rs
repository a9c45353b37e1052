//! `monban lint`, `monban compare` and `monban check` as a user runs them: output and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn monban(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = stdin.unwrap_or("").to_string();
    // A usage error exits before reading its input.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("monban-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().to_string()
}

const TYPO: &str =
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "*"}}"#;
const PASS_ROLE: &str =
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}"#;
const ADMIN: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#;
const POWER: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
  {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Resource": "*"}]}"#;

#[test]
fn lint_exit_codes_follow_fail_on() {
    let out = monban(&["lint", "-"], Some(TYPO));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ERROR INVALID_ACTION") && text.contains("did you mean `s3:GetObject`"), "{text}");

    let out = monban(&["lint", "-"], Some(PASS_ROLE));
    assert_eq!(out.status.code(), Some(0));
    let out = monban(&["lint", "--fail-on", "security_warning", "-"], Some(PASS_ROLE));
    assert_eq!(out.status.code(), Some(2));
    let out = monban(&["lint", "--policy-type", "nonsense", "-"], Some(PASS_ROLE));
    assert_eq!(out.status.code(), Some(64), "a usage error is not a pass, nor a finding");
}

#[test]
fn lint_json_and_sarif() {
    let out = monban(&["lint", "--format", "json", "-"], Some(TYPO));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v[0]["findings"][0];
    assert_eq!(f["finding_type"], "ERROR");
    assert_eq!(f["issue_code"], "INVALID_ACTION");
    assert_eq!(f["location"]["path"], "Statement.Action");
    assert_eq!(f["location"]["start"]["line"], 1);

    let out = monban(&["lint", "--format", "sarif", "-"], Some(TYPO));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "INVALID_ACTION");
    assert_eq!(result["level"], "error");
    assert!(result["locations"][0]["physicalLocation"]["region"]["startColumn"].as_u64().unwrap() > 1);
}

#[test]
fn lint_reads_directories() {
    let dir = std::env::temp_dir().join(format!("monban-lint-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    std::fs::write(dir.join("a.json"), PASS_ROLE).unwrap();
    std::fs::write(dir.join("nested/b.json"), TYPO).unwrap();
    std::fs::write(dir.join("ignored.txt"), "not json").unwrap();
    let out = monban(&["lint", "--format", "json", dir.to_str().unwrap()], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(out.status.code(), Some(2));
    let missing = monban(&["lint", "/nonexistent/policy.json"], None);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn compare_and_no_new_access() {
    let (admin, power) = (temp("admin.json", ADMIN), temp("power.json", POWER));
    let out = monban(&["compare", &admin, &power, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let services: Vec<&str> = v["new_access"][0]["actions"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(services, ["account", "iam", "organizations"]);
    // For people: grouped by access level, lists wrapped under 100 columns.
    let out = monban(&["compare", &admin, &power], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\n    Permissions management  "), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    let out = monban(&["compare", &power, &admin], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().contains("allows nothing"));

    let out = monban(&["check", "no-new-access", "--new", &admin, "--existing", &power], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("no-new-access: FAIL"));
    let out = monban(&["check", "no-new-access", "--new", &power, "--existing", &admin], None);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn access_not_granted_and_no_public_access() {
    let power = temp("power2.json", POWER);
    let out =
        monban(&["check", "access-not-granted", &power, "--action", "iam:CreateUser", "iam:AttachRolePolicy"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = monban(&["check", "access-not-granted", &power, "--action", "s3:DeleteBucket", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "FAIL");
    // The report names what grants it and a whole example resource; there is no EXISTING policy.
    let out = monban(
        &["check", "access-not-granted", &power, "--action", "s3:DeleteBucket", "--resource", "arn:aws:s3:::prod-*"],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("the policy grants s3:DeleteBucket on `arn:aws:s3:::prod-example`"), "{text}");
    assert!(!text.contains("EXISTING"), "{text}");

    let public = temp(
        "bucket.json",
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#,
    );
    let out = monban(&["check", "no-public-access", &public, "--resource-type", "AWS::S3::Bucket"], None);
    assert_eq!(out.status.code(), Some(2));
    let pinned = temp(
        "bucket-org.json",
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}}"#,
    );
    let out = monban(&["check", "no-public-access", &pinned, "--resource-type", "s3"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = monban(&["check", "no-public-access", &pinned, "--resource-type", "AWS::Nope::Thing"], None);
    assert_eq!(out.status.code(), Some(1));
}

/// `monban plan`: exit 2 with the overlap in table 3-2 when a needed permission carries an
/// impact, 0 when none does; `--unacceptable` takes a library of the same form, and a library
/// naming an unknown action is refused with where it is; `--list-risks` needs no policy.
#[test]
fn plan_reports_the_four_steps_tables() {
    let needed = temp(
        "plan-needed.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::app/*"}]}"#,
    );
    let out = monban(&["plan", "--needed", &needed, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["table_3_2_overlaps"][0]["risk"], "public-data-exposure");
    assert_eq!(report["table_3_2_overlaps"][0]["needed"][0]["actions"], serde_json::json!(["PutObjectAcl"]));

    let risks = temp(
        "plan-risks.yaml",
        "risks:\n  - name: reads\n    severity: local\n    impact: data read\n    actions: [\"s3:Get*\"]\n",
    );
    let out = monban(&["plan", "--needed", &needed, "--unacceptable", &risks, "--format", "markdown"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("| reads | local | s3:GetObject |"));

    let reads_only = temp(
        "plan-reads.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
    let emitted = std::env::temp_dir().join(format!("monban-cli-{}/plan-emit", std::process::id()));
    let out = monban(
        &["plan", "--needed", &reads_only, "--emit", "boundary", "scp", "policy", "--out", emitted.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PROVEN"));
    let scp: Value = serde_json::from_str(&std::fs::read_to_string(emitted.join("scp.json")).unwrap()).unwrap();
    assert_eq!(scp["Statement"][0]["Effect"], "Deny");
    // The narrowed policy: A's statements and B denied; the engine still allows A with it.
    let narrowed = std::fs::read_to_string(emitted.join("policy.json")).unwrap();
    let set = monban_policy::PolicySet {
        identity: vec![std::sync::Arc::new(monban_policy::Policy::parse(&narrowed).unwrap())],
        ..monban_policy::PolicySet::default()
    };
    let caller = monban_policy::Caller::from_arn("arn:aws:iam::111122223333:role/app", None).unwrap();
    let decide = |action: &str| {
        monban_policy::authorize(&monban_policy::Request::new(caller.clone(), action, "arn:aws:s3:::app/k"), &set)
            .outcome
    };
    assert_eq!(decide("s3:GetObject"), monban_policy::Outcome::Allow, "{narrowed}");
    assert!(narrowed.contains("UnacceptableImpacts"), "{narrowed}");
    // What the command emitted is what lint accepts as an SCP.
    let out = monban(&["lint", emitted.join("scp.json").to_str().unwrap(), "--policy-type", "scp"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let bad = temp(
        "plan-bad.json",
        r#"{"risks": [{"name": "x", "severity": "fatal", "impact": "y", "actions": ["s3:Nope"]}]}"#,
    );
    let out = monban(&["plan", "--needed", &needed, "--unacceptable", &bad], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`s3:Nope` matches no action"));

    // A from activity: what the principal was seen doing, through generate.
    let trail = temp(
        "plan-trail.json",
        r#"{"Records": [{"userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/app"},
            "eventSource": "s3.amazonaws.com", "eventName": "PutObjectAcl", "awsRegion": "us-east-1",
            "eventTime": "2026-12-01T00:00:00Z", "eventID": "e1",
            "resources": [{"ARN": "arn:aws:s3:::app/k"}, {"ARN": "arn:aws:s3:::app"}]}]}"#,
    );
    let out = monban(
        &["plan", "--activity", &trail, "--principal", "arn:aws:iam::111122223333:user/app", "--format", "json"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["table_1_needed"][0]["resources"], serde_json::json!(["arn:aws:s3:::app/k"]));
    assert_eq!(report["table_3_2_overlaps"][0]["risk"], "public-data-exposure");

    let out = monban(&["plan", "--list-risks"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("privilege-escalation (fatal)"));
}
