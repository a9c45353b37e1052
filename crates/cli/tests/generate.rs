//! `monban generate` on the sandbox's own audit log: a user with broad permissions makes calls
//! through the server, and the generated policy allows exactly those calls, proven by the engine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::{Client, ACCOUNT};

fn monban(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_monban")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_generated_policy_allows_the_calls_made_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let audit_log = dir.path().join("audit.log");
    let (_runtime, addr) = common::start_with(monban_server::Config {
        root_access_key_id: Some(common::ROOT_ID.into()),
        root_secret_access_key: Some(common::ROOT_SECRET.into()),
        audit_log: Some(audit_log.clone()),
        ..monban_server::Config::ephemeral(ACCOUNT)
    });
    let mut c = Client::connect(addr).unwrap();
    let broad = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}"#;
    let dev = common::user(&mut c, "dev", broad);
    let call = |c: &mut Client, action: &str, params: &[(&str, &str)]| c.call(&dev, action, params).unwrap().status;
    assert_eq!(call(&mut c, "CreateUser", &[("UserName", "app-a")]), 200);
    assert_eq!(call(&mut c, "CreateUser", &[("UserName", "app-b")]), 200);
    assert_eq!(call(&mut c, "ListUsers", &[]), 200);
    assert_eq!(call(&mut c, "GetUser", &[("UserName", "nobody")]), 404, "authorized, then not found");
    assert_eq!(call(&mut c, "DeleteUser", &[("UserName", "app-a")]), 403);
    // Root's calls are not the developer's.
    assert_eq!(c.call(&common::root(), "ListRoles", &[]).unwrap().status, 200);
    // Three calls of root to set the developer up, five of the developer, one more of root.
    let log = common::audit_log(&audit_log, 9);
    assert_eq!(log.lines().count(), 9, "{log}");

    let user = format!("arn:aws:iam::{ACCOUNT}:user/dev");
    let log = audit_log.to_str().unwrap();
    let (code, out, err) = monban(&["generate", log, "--principal", &user]);
    assert_eq!(code, 0, "{err}");
    let policy: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        policy,
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:CreateUser",
             "Resource": [format!("arn:aws:iam::{ACCOUNT}:user/app-a"), format!("arn:aws:iam::{ACCOUNT}:user/app-b")]},
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": format!("arn:aws:iam::{ACCOUNT}:user/nobody")},
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
    );

    let existing = dir.path().join("broad.json");
    std::fs::write(&existing, broad).unwrap();
    let (code, out, _) = monban(&[
        "generate",
        log,
        "--principal",
        &user,
        "--format",
        "report",
        "--existing",
        existing.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with(&format!("{user}: 4 of 4 calls allowed by the generated policy")), "{out}");
    assert!(
        out.contains(&format!(
            "needed but not granted (denied):\n  iam:DeleteUser on arn:aws:iam::{ACCOUNT}:user/app-a (1 call)"
        )),
        "{out}"
    );
    assert!(out.contains("granted by") && out.contains("but never used:") && out.contains("DeleteRole"), "{out}");

    // Without --principal, one policy for each principal the log shows (root is governed by none).
    let (code, out, _) = monban(&["generate", log]);
    assert_eq!(code, 0);
    let all: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(all.as_object().unwrap().keys().collect::<Vec<_>>(), [&user]);
    assert_eq!(all[&user], policy);

    // A record delivered twice counts once; a window without calls grants nothing.
    let twice = dir.path().join("twice");
    std::fs::create_dir(&twice).unwrap();
    std::fs::copy(&audit_log, twice.join("a.log")).unwrap();
    std::fs::copy(&audit_log, twice.join("b.log")).unwrap();
    let (_, out, _) = monban(&["generate", twice.to_str().unwrap(), "--principal", &user, "--format", "report"]);
    assert!(out.starts_with(&format!("{user}: 4 of 4 calls")), "{out}");
    let (_, out, _) = monban(&["generate", log, "--principal", &user, "--until", "2000-01-01"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["Statement"], serde_json::json!([]));
    let (code, _, err) = monban(&["generate", log, "--principal", &user, "--since", "yesterday"]);
    assert_eq!(code, 64, "{err}");

    let (code, _, err) = monban(&["generate", "/nonexistent/trail", "--principal", &user]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/trail"), "{err}");
}

/// `monban generate` on a CloudTrail tree as CloudTrail writes it (the workload generator's: S3
/// data events, copies, KMS through S3, DynamoDB without listed resources, PassRole, tags at
/// creation, API Gateway, a denied call, another role's calls, records delivered twice, a digest
/// file), checked against the ground truth written with the workload: every request the role's
/// successful calls needed is allowed by the engine under the generated policy, every sensitive
/// request it never made is denied, and each call is counted once.
#[test]
fn a_cloudtrail_workload_gives_the_policy_its_ground_truth_expects() {
    use monban_analyzer::activity::workload;
    use monban_policy::request::{Context, ContextValue};
    use monban_policy::{authorize, Caller, Outcome, Policy, PolicySet, Request};

    let dir = tempfile::tempdir().unwrap();
    let truth = workload::write(dir.path(), 5_000).unwrap();
    let trail = dir.path().to_str().unwrap();
    let (code, out, err) = monban(&["generate", trail, "--principal", &truth.role, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let report = report.as_array().and_then(|a| a.first()).unwrap_or(&report);
    assert_eq!(report["allowed_calls"], truth.successful_calls, "{report}");
    assert_eq!(report["verified_calls"], truth.successful_calls, "{report}");
    assert_eq!(report["not_granted"][0]["action"], "s3:DeleteObject", "{report}");

    let policy = Policy::parse(&report["policy"].to_string()).unwrap();
    let set = PolicySet { identity: vec![std::sync::Arc::new(policy)], ..PolicySet::default() };
    let caller = Caller::from_arn(&truth.session, Some(&truth.role)).unwrap();
    let decide = |e: &workload::Expected| {
        let mut context = Context::new();
        if let Some((key, value)) = &e.context {
            context.insert(key, ContextValue::single(value.as_str()));
        }
        authorize(&Request::new(caller.clone(), &e.action, &e.resource).with_context(context), &set).outcome
    };
    for e in &truth.allowed {
        assert_eq!(decide(e), Outcome::Allow, "{e:?} must be allowed: {}", report["policy"]);
    }
    for e in &truth.denied {
        assert_eq!(decide(e), Outcome::ImplicitDeny, "{e:?} must be denied: {}", report["policy"]);
    }
    // Nothing granted on any resource, and no action the truth does not expect.
    assert_eq!(report["on_any_resource"], serde_json::json!([]), "{report}");
    let expected: std::collections::BTreeSet<&str> = truth.allowed.iter().map(|e| e.action.as_str()).collect();
    let mut granted = std::collections::BTreeSet::new();
    for statement in report["policy"]["Statement"].as_array().unwrap() {
        match &statement["Action"] {
            serde_json::Value::String(a) => granted.insert(a.as_str()),
            other => other.as_array().unwrap().iter().all(|a| granted.insert(a.as_str().unwrap())),
        };
    }
    assert_eq!(granted, expected);
}

/// The four steps on a generated account's activity: A is what the workload's role did; of it,
/// only `iam:PassRole` carries an impact no IAM condition removes (privilege escalation), its
/// `s3:PutObject` is kept with public ACLs denied, and the guardrails keep every other need.
#[test]
fn plan_on_a_generated_accounts_activity() {
    use monban_analyzer::activity::workload;

    let dir = tempfile::tempdir().unwrap();
    let truth = workload::write(dir.path(), 2_000).unwrap();
    let trail = dir.path().to_str().unwrap();
    let (code, out, err) = monban(&["plan", "--activity", trail, "--principal", &truth.role, "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let overlaps = report["table_3_2_overlaps"].as_array().unwrap();
    let unconditional: Vec<&str> = overlaps
        .iter()
        .filter(|o| !o["needed"].as_array().unwrap().is_empty())
        .map(|o| o["risk"].as_str().unwrap())
        .collect();
    assert_eq!(unconditional, ["privilege-escalation"], "{report:#}");
    let exposure = overlaps.iter().find(|o| o["risk"] == "public-data-exposure").unwrap();
    assert!(exposure["conditional"].to_string().contains("s3:PutObject"), "{exposure:#}");
    let broken: Vec<&str> =
        report["controls"]["a_broken"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    assert!(!broken.is_empty() && broken.iter().all(|b| b.starts_with("iam:PassRole on ")), "{broken:?}");
    assert_eq!(report["controls"]["b_allowed"], serde_json::json!([]));
}
