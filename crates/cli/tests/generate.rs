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
