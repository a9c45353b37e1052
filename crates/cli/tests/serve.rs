//! `monban serve` as a process: what it prints must not be able to stop it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Client;

/// A harness that reads the address line and closes the pipe (or never reads it) must not kill
/// the server with a broken pipe: it keeps answering.
#[test]
fn a_closed_stdout_does_not_stop_the_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["serve", "--ephemeral", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--root-access-key-id", common::ROOT_ID, "--root-secret-access-key", common::ROOT_SECRET])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the read end closes before the server writes its first line
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let reply = loop {
        if let Ok(mut client) = Client::connect(addr) {
            if let Ok(reply) = client.call(&common::root(), "GetCallerIdentity", &[]) {
                break reply;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "monban serve exited");
        assert!(Instant::now() < deadline, "monban serve never answered");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(300));
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(alive, "monban serve exited after writing to a closed stdout");
}

/// Starts `monban serve --ephemeral ARGS` on a free port with stderr captured; returns the child and
/// its address once it answers.
fn serve_with_stderr(args: &[&str]) -> (std::process::Child, std::net::SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["serve", "--ephemeral", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--root-access-key-id", common::ROOT_ID, "--root-secret-access-key", common::ROOT_SECRET])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "monban serve exited");
        assert!(Instant::now() < deadline, "monban serve never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, addr)
}

/// Every call gets one line on stderr, a denial with AWS's words for why; `--log-format json`
/// writes the same as JSON, `--quiet` nothing; `--audit-log` keeps the audit log of an ephemeral
/// server.
#[test]
fn each_call_is_reported_on_stderr() {
    use std::io::Read as _;
    let audit = tempfile::tempdir().unwrap();
    let audit_log = audit.path().join("audit.log");
    for (format, quiet) in [("text", false), ("json", false), ("text", true)] {
        let mut args = vec!["--log-format", format, "--audit-log", audit_log.to_str().unwrap()];
        if quiet {
            args.push("--quiet");
        }
        let (mut child, addr) = serve_with_stderr(&args);
        let mut c = Client::connect(addr).unwrap();
        assert_eq!(c.call(&common::root(), "CreateUser", &[("UserName", "alice")]).unwrap().status, 200);
        let key = c.call(&common::root(), "CreateAccessKey", &[("UserName", "alice")]).unwrap();
        let alice = common::key(key.field("AccessKeyId").unwrap(), key.field("SecretAccessKey").unwrap());
        let guard = r#"{"Statement": [{"Sid": "NoListing", "Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"},
            {"Sid": "GroupsWithMfa", "Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}"#;
        let put = [("UserName", "alice"), ("PolicyName", "guard"), ("PolicyDocument", guard)];
        assert_eq!(c.call(&common::root(), "PutUserPolicy", &put).unwrap().status, 200);
        assert_eq!(c.call(&alice, "ListUsers", &[]).unwrap().status, 403);
        assert_eq!(c.call(&alice, "ListRoles", &[]).unwrap().status, 403);
        assert_eq!(c.call(&alice, "ListGroups", &[]).unwrap().status, 403);
        std::thread::sleep(Duration::from_millis(200));
        let _ = child.kill();
        let _ = child.wait();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let lines: Vec<&str> = stderr.lines().collect();
        if quiet {
            assert!(lines.is_empty(), "{stderr}");
            continue;
        }
        assert_eq!(lines.len(), 6, "{stderr}");
        if format == "json" {
            let denied: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
            assert_eq!(denied["action"], "iam:ListUsers");
            assert_eq!(denied["result"], "AccessDenied");
            assert_eq!(denied["caller"], format!("arn:aws:iam::{}:user/alice", common::ACCOUNT));
            assert!(denied["message"].as_str().unwrap().contains("explicit deny in an identity-based policy"));
            assert_eq!(denied["decided_by"], "statement `NoListing` of the identity-based policy `guard`");
            let denied: serde_json::Value = serde_json::from_str(lines[4]).unwrap();
            assert!(denied["message"].as_str().unwrap().contains("no identity-based policy allows"), "{stderr}");
            assert_eq!(denied["decided_by"], "a missing allow in the identity-based policies");
            let allowed: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
            assert_eq!(allowed["decided_by"], serde_json::Value::Null);
        } else {
            assert!(
                lines[0].ends_with(&format!("arn:aws:iam::{}:root iam:CreateUser OK", common::ACCOUNT)),
                "{stderr}"
            );
            assert!(lines[3].contains("iam:ListUsers AccessDenied: User: arn:aws:iam::"), "{stderr}");
            assert!(
                lines[3].ends_with("[decided by statement `NoListing` of the identity-based policy `guard`]"),
                "{stderr}"
            );
            assert!(lines[4].ends_with("[decided by a missing allow in the identity-based policies]"), "{stderr}");
            // The near miss: the allow that matched but whose condition failed.
            assert!(
                lines[5].ends_with(
                    "[decided by a missing allow in the identity-based policies; statement `GroupsWithMfa` of `guard` \
                     matched but its condition Bool on `aws:MultiFactorAuthPresent` failed (the key is not in the request)]"
                ),
                "{stderr}"
            );
        }
    }
    let records = std::fs::read_to_string(&audit_log).unwrap();
    assert_eq!(records.lines().count(), 18, "{records}");
}
