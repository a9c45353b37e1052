//! `monban eval` as a user runs it: exit codes, text and JSON output, batch mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

fn monban(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from a thread: a large input and its answers would otherwise fill both pipes.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().to_string();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_readme_example_is_allowed_and_its_sibling_denied() {
    let (code, out, _) = monban(&["eval", "examples/create-role-with-boundary.json"], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("Allow: arn:aws:iam::111122223333:user/developer → iam:CreateRole"), "{out}");
    let (code, out, _) = monban(&["eval", "examples/create-role-without-boundary.json"], None);
    assert_eq!(code, 2);
    assert!(out.contains("because no identity-based policy allows iam:CreateRole"), "{out}");
    assert!(
        out.contains("condition failed: StringEquals on `iam:PermissionsBoundary` (key not in the context)"),
        "{out}"
    );
}

#[test]
fn json_output_names_the_decision_and_the_deciding_statement() {
    let (code, out, _) = monban(&["eval", "--format", "json", "examples/create-role-with-boundary.json"], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["deciding_statements"][0]["statement"], "CreateRolesOnlyWithTheBoundary");
    assert_eq!(v["deciding_statements"][0]["policy"], "DelegatedRoleCreation");
    // The keys docs/request-format.md documents, and no others.
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["decision", "missing_allow", "deciding_statements", "policies"]);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/request-format.md")).unwrap();
    let documented = &doc[doc.find("## Output of `monban eval --format json`").unwrap()..];
    for key in keys {
        assert!(documented.contains(&format!("\"{key}\"")), "{key} is not documented");
    }
}

#[test]
fn invalid_requests_exit_1_with_the_position() {
    let bad = r#"{"action": "s3:GetObject", "principal": {"arn": "arn:aws:iam::1:user/a", "identity_policies": [{"Statement": {"Effect": "Allw", "Action": "*"}}]}}"#;
    let (code, _, err) = monban(&["eval", "-"], Some(bad));
    assert_eq!(code, 1);
    assert!(err.contains("principal.identity_policies[0].Statement.Effect: line 1, column"), "{err}");
}

#[test]
fn batch_answers_every_line_in_order_and_reports_bad_lines() {
    let allow = r#"{"id": 1, "action": "s3:GetObject", "principal": {"arn": "arn:aws:iam::1:user/a", "identity_policies": [{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}]}}"#;
    let deny = r#"{"id": "two", "action": "s3:GetObject", "principal": {"arn": "arn:aws:iam::1:user/a"}}"#;
    let input = format!("{allow}\nnot json\n{deny}\n");
    let (code, out, _) = monban(&["eval", "--batch", "-"], Some(&input));
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!((lines[0]["id"].clone(), lines[0]["decision"].clone()), (1.into(), "Allow".into()));
    assert!(lines[1]["error"].as_str().unwrap().starts_with("line 2:"));
    assert_eq!((lines[2]["id"].clone(), lines[2]["decision"].clone()), ("two".into(), "ImplicitDeny".into()));
}

/// A batch larger than a chunk, decided on every core with shared policies compiled once per
/// worker, answers each line in input order.
#[test]
fn a_large_batch_sharing_policies_keeps_its_order() {
    let policy = r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#;
    let mut input = String::new();
    for i in 0..10_000 {
        let action = if i % 3 == 0 { "s3:PutObject" } else { "s3:GetObject" };
        input.push_str(&format!(
            r#"{{"id": {i}, "action": "{action}", "resource": {{"arn": "arn:aws:s3:::b/{i}"}}, "principal": {{"arn": "arn:aws:iam::1:user/a", "identity_policies": [{policy}]}}}}"#
        ));
        input.push('\n');
    }
    let (code, out, _) = monban(&["eval", "--batch", "-"], Some(&input));
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 10_000);
    for (i, line) in lines.iter().enumerate() {
        let expected = if i % 3 == 0 { "ImplicitDeny" } else { "Allow" };
        assert_eq!((line["id"].as_u64(), line["decision"].as_str()), (Some(i as u64), Some(expected)), "line {i}");
    }
}

/// Lines may name their policies (`{"ref": NAME}`) from a library given once; an unknown name
/// is that line's error, naming what the library defines. A line whose policy text differs from
/// every earlier one by a single character is read in full, so its own error is reported.
#[test]
fn batch_lines_refer_to_a_policy_library() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.json");
    std::fs::write(
        &library,
        r#"{"Read": {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}},
            "Fence": {"name": "Fence", "document": {"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}}}"#,
    )
    .unwrap();
    let line = |id: u32, action: &str, policy: &str| {
        format!(
            r#"{{"id": {id}, "action": "{action}", "principal": {{"arn": "arn:aws:iam::1:user/a", "identity_policies": [{policy}], "permissions_boundary": {{"ref": "Fence"}}}}}}"#
        )
    };
    let input = [
        line(1, "s3:GetObject", r#"{"ref": "Read"}"#),
        line(2, "s3:PutObject", r#"{"ref": "Read"}"#),
        line(3, "s3:GetObject", r#"{"ref": "Nope"}"#),
        line(4, "s3:GetObject", r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#),
        line(5, "s3:GetObject", r#"{"Statement": {"Effect": "Alow", "Action": "s3:GetObject", "Resource": "*"}}"#),
    ]
    .join("\n");
    let (code, out, err) =
        monban(&["eval", "--batch", "-", "--policies", library.to_str().unwrap()], Some(&format!("{input}\n")));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["decision"], "Allow");
    assert_eq!(lines[1]["decision"], "ImplicitDeny");
    let unknown = lines[2]["error"].as_str().unwrap();
    assert!(unknown.contains("unknown policy `Nope`: the library defines Fence, Read"), "{unknown}");
    assert_eq!(lines[3]["decision"], "Allow");
    assert!(lines[4]["error"].as_str().unwrap().contains("Effect"), "{}", lines[4]);
    // Without a library, a reference says so.
    let (_, out, _) =
        monban(&["eval", "--batch", "-"], Some(&format!("{}\n", line(1, "s3:GetObject", r#"{"ref": "Read"}"#))));
    assert!(out.contains("no policy library was given"), "{out}");
}

/// Usage errors exit 64 (sysexits' EX_USAGE), apart from 2 ("denied") and 1 ("could not run").
#[test]
fn usage_errors_have_their_own_exit_code() {
    for args in [
        &["eval"][..],
        &["check", "no-public-access", "examples/create-role-with-boundary.json"],
        &["no-such-command"],
        &["serve", "--ephemeral", "--account-id", "12"],
    ] {
        let (code, _, err) = monban(args, None);
        assert_eq!(code, 64, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    let (code, out, _) = monban(&["--help"], None);
    assert_eq!(code, 0, "help is not an error");
    assert!(out.contains("Usage: monban"), "{out}");
}
