//! Regression tests for the defects an attacker found in `monban serve`, one test per defect,
//! each named after what broke. Every test drives the real server over HTTP with signed requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{allow, assume, root, user, Client, ACCOUNT};

fn arn(resource: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{resource}")
}

fn code(reply: &common::Reply) -> &str {
    reply.field("Code").unwrap_or("")
}

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// Defect 1. AWS authorizes a rename or move against the old and the new ARN (IAM API Reference,
/// UpdateUser: "the requester must have appropriate permissions on both the source object and the
/// target object").
#[test]
fn rename_escalates_unless_the_new_name_is_authorized_too() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let bob = user(&mut c, "bob", &allow("iam:UpdateUser", &arn("user/bob")));
    let reply =
        c.call(&bob, "UpdateUser", &[("UserName", "bob"), ("NewUserName", "carol"), ("NewPath", "/ops/")]).unwrap();
    assert_eq!(code(&reply), "AccessDenied", "{}", reply.body);
    assert!(reply.body.contains(&arn("user/ops/carol")), "{}", reply.body);
    // Allowed on both, it goes through.
    let both = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:UpdateUser","Resource":["{}","{}"]}}]}}"#,
        arn("user/bob"),
        arn("user/ops/carol")
    );
    let put = c.call(&root(), "PutUserPolicy", &[("UserName", "bob"), ("PolicyName", "p"), ("PolicyDocument", &both)]);
    assert_eq!(put.unwrap().status, 200);
    let reply =
        c.call(&bob, "UpdateUser", &[("UserName", "bob"), ("NewUserName", "carol"), ("NewPath", "/ops/")]).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    // UpdateGroup with NewPath only.
    assert_eq!(c.call(&root(), "CreateGroup", &[("GroupName", "devs")]).unwrap().status, 200);
    let dave = user(&mut c, "dave", &allow("iam:UpdateGroup", &arn("group/devs")));
    let reply = c.call(&dave, "UpdateGroup", &[("GroupName", "devs"), ("NewPath", "/admins/")]).unwrap();
    assert_eq!(code(&reply), "AccessDenied", "{}", reply.body);
    assert!(reply.body.contains(&arn("group/admins/devs")), "{}", reply.body);
}

/// Defect 2. "If your Principal element in a role trust policy contains an ARN that points to a
/// specific IAM role [or user], then that ARN transforms to the role's unique principal ID when you
/// save the policy ... if you delete the role, then you break the relationship" (IAM User Guide,
/// "IAM JSON policy elements: Principal", IAM role principals).
#[test]
fn trust_policies_name_principals_by_unique_id_not_by_arn() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let assume_any = allow("sts:AssumeRole", "*");
    let alice = user(&mut c, "alice", &assume_any);
    let alice_arn = arn("user/alice");
    let created = c
        .call(&root(), "CreateRole", &[("RoleName", "deployer"), ("AssumeRolePolicyDocument", &trust(&alice_arn))])
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    assume(&mut c, &alice, &arn("role/deployer"), "first").expect("the named user assumes the role");

    // alice goes; another user called alice comes.
    let keys = c.call(&root(), "ListAccessKeys", &[("UserName", "alice")]).unwrap();
    let key_id = keys.field("AccessKeyId").unwrap().to_string();
    for (action, params) in [
        ("DeleteAccessKey", vec![("UserName", "alice"), ("AccessKeyId", key_id.as_str())]),
        ("DeleteUserPolicy", vec![("UserName", "alice"), ("PolicyName", "p")]),
        ("DeleteUser", vec![("UserName", "alice")]),
    ] {
        let reply = c.call(&root(), action, &params).unwrap();
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
    }
    let impostor = user(&mut c, "alice", &assume_any);
    let refused = assume(&mut c, &impostor, &arn("role/deployer"), "second").expect_err("a new alice is not the old");
    assert_eq!(code(&refused), "AccessDenied", "{}", refused.body);

    // The trust policy now shows the deleted principal's unique id instead of its ARN.
    let role = c.call(&root(), "GetRole", &[("RoleName", "deployer")]).unwrap();
    let document = common::decode(role.field("AssumeRolePolicyDocument").unwrap());
    assert!(!document.contains(&alice_arn), "{document}");
    assert!(document.contains("AIDA"), "{document}");

    // A principal that does not exist cannot be named at all.
    let reply = c
        .call(
            &root(),
            "CreateRole",
            &[("RoleName", "later"), ("AssumeRolePolicyDocument", &trust(&arn("user/nobody")))],
        )
        .unwrap();
    assert_eq!(code(&reply), "MalformedPolicyDocument", "{}", reply.body);
    assert!(reply.body.contains("Invalid principal in policy"), "{}", reply.body);
}

/// Defect 3. A session belongs to the role it was issued for (its unique id), not to the name.
#[test]
fn sessions_of_a_deleted_role_do_not_revive_when_the_name_returns() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let alice = user(&mut c, "alice", &allow("sts:AssumeRole", "*"));
    let alice_trust = trust(&arn("user/alice"));
    let create = |c: &mut Client| {
        let reply =
            c.call(&root(), "CreateRole", &[("RoleName", "r"), ("AssumeRolePolicyDocument", &alice_trust)]).unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        let put = c
            .call(
                &root(),
                "PutRolePolicy",
                &[("RoleName", "r"), ("PolicyName", "p"), ("PolicyDocument", &allow("iam:*", "*"))],
            )
            .unwrap();
        assert_eq!(put.status, 200, "{}", put.body);
    };
    create(&mut c);
    let session = assume(&mut c, &alice, &arn("role/r"), "s1").unwrap();
    assert_eq!(c.call(&session, "ListUsers", &[]).unwrap().status, 200);
    assert_eq!(c.call(&root(), "DeleteRolePolicy", &[("RoleName", "r"), ("PolicyName", "p")]).unwrap().status, 200);
    assert_eq!(c.call(&root(), "DeleteRole", &[("RoleName", "r")]).unwrap().status, 200);
    assert_eq!(code(&c.call(&session, "ListUsers", &[]).unwrap()), "InvalidClientTokenId");
    create(&mut c);
    let reply = c.call(&session, "ListUsers", &[]).unwrap();
    assert_eq!(code(&reply), "InvalidClientTokenId", "{}", reply.body);
}

/// Defect 4. Decoding is linear and the model's list limits apply as the list is read: a caller
/// without permissions sending 19,500 tags (1 MB) gets its answer at once instead of holding a
/// core for over a minute. (The deadline is the client's 30 s read timeout, far above the few
/// milliseconds a linear decoder needs and far below the quadratic one's 80 s.)
#[test]
fn many_list_members_are_decoded_in_linear_time() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let nobody = user(&mut c, "nobody", "");
    let mut params: Vec<(String, String)> = vec![("UserName".into(), "x".into())];
    for i in 1..=19_500 {
        params.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        params.push((format!("Tags.member.{i}.Value"), "v".into()));
    }
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = c.call(&nobody, "CreateUser", &borrowed).unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("Member must have length less than or equal to 50"), "{}", reply.body);
}

/// Defect 4, second half: a body over the limit is answered in AWS's error XML.
#[test]
fn an_oversized_body_is_answered_in_aws_error_xml() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let body = format!("Action=ListUsers&Version=2010-05-08&Filler={}", "a".repeat(2 * 1024 * 1024));
    let reply = c.send("POST", "/", &[], body.as_bytes()).unwrap();
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert!(reply.body.starts_with("<ErrorResponse"), "{}", reply.body);
    assert!(reply.field("RequestId").is_some(), "{}", reply.body);
}

/// Defect 5. DeleteUser and PutUserPolicy racing: the existence check and the write are one
/// transaction, so a policy is never stored for a user that is gone (and inherited by the next
/// user of that name).
#[test]
fn check_then_write_races_leave_no_orphan_policy() {
    let (_rt, addr) = common::start(None);
    let mut setup = Client::connect(addr).unwrap();
    let document = allow("iam:GetUser", "*");
    for round in 0..40 {
        let name = format!("racer{}", round % 4);
        assert_eq!(setup.call(&root(), "CreateUser", &[("UserName", &name)]).unwrap().status, 200);
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let (n1, n2, d, b1, b2) = (name.clone(), name.clone(), document.clone(), barrier.clone(), barrier);
        let put = std::thread::spawn(move || {
            let mut c = Client::connect(addr).unwrap();
            b1.wait();
            c.call(&root(), "PutUserPolicy", &[("UserName", &n1), ("PolicyName", "p"), ("PolicyDocument", &d)]).unwrap()
        });
        let delete = std::thread::spawn(move || {
            let mut c = Client::connect(addr).unwrap();
            b2.wait();
            c.call(&root(), "DeleteUser", &[("UserName", &n2)]).unwrap()
        });
        let (put, delete) = (put.join().unwrap(), delete.join().unwrap());
        assert!(
            !(put.status == 200 && delete.status == 200),
            "round {round}: both PutUserPolicy and DeleteUser succeeded"
        );
        if delete.status != 200 {
            // The policy won: clean up for the next round.
            setup.call(&root(), "DeleteUserPolicy", &[("UserName", &name), ("PolicyName", "p")]).unwrap();
            assert_eq!(setup.call(&root(), "DeleteUser", &[("UserName", &name)]).unwrap().status, 200);
        }
    }
    assert_eq!(setup.call(&root(), "CreateUser", &[("UserName", "racer0")]).unwrap().status, 200);
    let listed = setup.call(&root(), "ListUserPolicies", &[("UserName", "racer0")]).unwrap();
    assert!(!listed.body.contains("<member>"), "a new user inherited a policy: {}", listed.body);
}

/// Defect 5, quotas: 32 concurrent AttachUserPolicy calls cannot exceed the 10-policy quota
/// ("IAM and AWS STS quotas": managed policies attached to an IAM user).
#[test]
fn concurrent_attachments_respect_the_quota() {
    let (_rt, addr) = common::start(None);
    let mut setup = Client::connect(addr).unwrap();
    assert_eq!(setup.call(&root(), "CreateUser", &[("UserName", "u")]).unwrap().status, 200);
    for i in 0..32 {
        let reply = setup
            .call(
                &root(),
                "CreatePolicy",
                &[("PolicyName", &format!("p{i}")), ("PolicyDocument", &allow("iam:GetUser", "*"))],
            )
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr).unwrap();
                barrier.wait();
                let policy = format!("arn:aws:iam::{ACCOUNT}:policy/p{i}");
                c.call(&root(), "AttachUserPolicy", &[("UserName", "u"), ("PolicyArn", &policy)]).unwrap().status
            })
        })
        .collect();
    let ok = threads.into_iter().map(|t| t.join().unwrap()).filter(|s| *s == 200).count();
    assert_eq!(ok, 10);
    let attached = setup.call(&root(), "ListAttachedUserPolicies", &[("UserName", "u")]).unwrap();
    assert_eq!(attached.body.matches("<PolicyArn>").count(), 10, "{}", attached.body);
}

/// The inline policy size quota counts every inline policy of the owner together ("IAM and AWS
/// STS quotas": 2,048 characters for a user's), so concurrent puts of different policies must not
/// pass it by each checking before the others are written: the check and the write are one
/// transaction.
#[test]
fn concurrent_inline_policies_respect_the_size_quota() {
    let (_rt, addr) = common::start(None);
    let mut setup = Client::connect(addr).unwrap();
    assert_eq!(setup.call(&root(), "CreateUser", &[("UserName", "u")]).unwrap().status, 200);
    // Each document is 200 characters without whitespace: ten fit in 2,048, eleven do not.
    let document = |i: usize| {
        let action = format!("iam:GetUser{}", "x".repeat(200 - 82 - i.to_string().len()));
        let doc = format!(r#"{{"Statement":[{{"Sid":"S{i}","Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#);
        assert_eq!(doc.len(), 200, "{doc}");
        doc
    };
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|i| {
            let barrier = barrier.clone();
            let doc = document(i);
            std::thread::spawn(move || {
                let mut c = Client::connect(addr).unwrap();
                barrier.wait();
                let params = [("UserName", "u"), ("PolicyName", &format!("p{i}")), ("PolicyDocument", &doc)];
                c.call(&root(), "PutUserPolicy", &params).unwrap().status
            })
        })
        .collect();
    let ok = threads.into_iter().map(|t| t.join().unwrap()).filter(|s| *s == 200).count();
    assert_eq!(ok, 10);
    let listed = setup.call(&root(), "ListUserPolicies", &[("UserName", "u")]).unwrap();
    assert_eq!(listed.body.matches("<member>").count(), 10, "{}", listed.body);
}

/// An instance profile holds at most one role ("IAM and AWS STS quotas"): of concurrent
/// AddRoleToInstanceProfile calls with different roles, one succeeds and the others are refused,
/// and the profile holds the role of the one that succeeded (no success is silently overwritten).
#[test]
fn concurrent_roles_for_one_instance_profile_leave_exactly_one() {
    let (_rt, addr) = common::start(None);
    let mut setup = Client::connect(addr).unwrap();
    let ok = |reply: common::Reply| assert_eq!(reply.status, 200, "{}", reply.body);
    ok(setup.call(&root(), "CreateInstanceProfile", &[("InstanceProfileName", "web")]).unwrap());
    let trust = trust(&arn("root"));
    for i in 0..16 {
        let role = format!("r{i}");
        ok(setup.call(&root(), "CreateRole", &[("RoleName", &role), ("AssumeRolePolicyDocument", &trust)]).unwrap());
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr).unwrap();
                barrier.wait();
                let role = format!("r{i}");
                let params = [("InstanceProfileName", "web"), ("RoleName", role.as_str())];
                (role.clone(), c.call(&root(), "AddRoleToInstanceProfile", &params).unwrap().status)
            })
        })
        .collect();
    let results: Vec<(String, u16)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<&String> = results.iter().filter(|(_, s)| *s == 200).map(|(r, _)| r).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let profile = setup.call(&root(), "GetInstanceProfile", &[("InstanceProfileName", "web")]).unwrap();
    assert_eq!(profile.body.matches("<RoleName>").count(), 1, "{}", profile.body);
    assert!(profile.body.contains(&format!("<RoleName>{}</RoleName>", winners[0])), "{}", profile.body);
}

/// Defect 6. The credential scope routes the request: IAM needs scope service `iam`, a region must
/// exist, and IAM's `aws:RequestedRegion` is `us-east-1` whatever region signed the request (IAM
/// User Guide, "AWS global condition context keys": aws:RequestedRegion, global services).
#[test]
fn the_credential_scope_routes_and_cannot_bypass_a_region_condition() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let r = root();
    for service in ["s3", "ec2"] {
        let reply = c.call_scoped(&r, "ListUsers", &[], "us-east-1", service, &[]).unwrap();
        assert_eq!(code(&reply), "SignatureDoesNotMatch", "{service}: {}", reply.body);
        assert!(reply.body.contains("Credential should be scoped to correct service"), "{}", reply.body);
    }
    // Signed for STS, an IAM action is not an STS operation.
    let reply = c.call_scoped(&r, "ListUsers", &[], "us-east-1", "sts", &[]).unwrap();
    assert_eq!(code(&reply), "InvalidAction", "{}", reply.body);
    let reply = c.call_scoped(&r, "ListUsers", &[], "xx-nowhere-1", "iam", &[]).unwrap();
    assert_eq!(code(&reply), "SignatureDoesNotMatch", "{}", reply.body);
    assert!(reply.body.contains("Credential should be scoped to a valid region"), "{}", reply.body);
    // boto3 and the CLI sign IAM with the configured region.
    assert_eq!(c.call_scoped(&r, "ListUsers", &[], "eu-west-1", "iam", &[]).unwrap().status, 200);

    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}"#;
    let eve = user(&mut c, "eve", policy);
    let reply = c.call_scoped(&eve, "ListUsers", &[], "eu-west-1", "iam", &[]).unwrap();
    assert_eq!(code(&reply), "AccessDenied", "{}", reply.body);
}

/// Defect 7. Presigned requests' signature, credential and token never reach the audit log; the
/// session token is stored only as a hash; files are private to their owner.
#[test]
fn secrets_stay_out_of_the_audit_log_and_the_database() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("state");
    let (_rt, addr) = common::start(Some(&dir));
    let mut c = Client::connect(addr).unwrap();
    let alice = user(&mut c, "alice", &allow("*", "*"));
    let role = c
        .call(&root(), "CreateRole", &[("RoleName", "r"), ("AssumeRolePolicyDocument", &trust(&arn("user/alice")))])
        .unwrap();
    assert_eq!(role.status, 200, "{}", role.body);
    let all = allow("*", "*");
    let put = c.call(&root(), "PutRolePolicy", &[("RoleName", "r"), ("PolicyName", "p"), ("PolicyDocument", &all)]);
    assert_eq!(put.unwrap().status, 200);
    let session = assume(&mut c, &alice, &arn("role/r"), "s1").unwrap();
    let before = std::fs::read_to_string(dir.join("audit.log")).unwrap().lines().count();
    let reply = c.presigned_get(&session, "GetUser", &[("UserName", "alice")]).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    let log = common::audit_log(&dir.join("audit.log"), before + 1);
    assert!(log.lines().last().unwrap().contains(r#""eventName":"GetUser""#), "{log}");
    let token = session.session_token.clone().unwrap();
    assert!(!log.contains("X-Amz-Signature") && !log.contains("x-Amz-Signature"), "signature logged");
    assert!(!log.contains("X-Amz-Credential") && !log.contains("x-Amz-Credential"), "credential logged");
    assert!(!log.contains(&token) && !log.contains(&common::encode(&token)), "session token logged");
    for file in ["monban.db", "monban.db-wal"] {
        let bytes = std::fs::read(dir.join(file)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&token), "the session token is stored in plaintext in {file}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "data directory");
        for file in ["monban.db", "audit.log", "secret.key"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
    }
}

/// Defect 8. A Query request's body is the request: `UNSIGNED-PAYLOAD` is refused.
#[test]
fn unsigned_payload_is_refused_on_query_requests() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let reply = c
        .call_scoped(&root(), "ListUsers", &[], "us-east-1", "iam", &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")])
        .unwrap();
    assert_ne!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.starts_with("<ErrorResponse"), "{}", reply.body);
}

/// Defect 9. Two accounts in one database: one account's root cannot touch, attach or use as a
/// boundary the other's policies.
#[test]
fn accounts_in_one_data_directory_are_isolated() {
    let data = tempfile::tempdir().unwrap();
    let other_account = "210987654321";
    let other_policy = format!("arn:aws:iam::{other_account}:policy/theirs");
    {
        // Another account's policy, in the same database (as Organizations' member accounts will be).
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let store = monban_store::Store::open(&data.path().join("monban.db")).await.unwrap();
            store.ensure_account(ACCOUNT, "2026-01-01T00:00:00Z", "aws").await.unwrap();
            store.ensure_account(other_account, "2026-01-01T00:00:00Z", "aws").await.unwrap();
            let policy = monban_store::ManagedPolicy {
                arn: other_policy.clone(),
                name: "theirs".into(),
                id: "ANPAOTHERACCOUNTPOLICY".into(),
                path: "/".into(),
                description: None,
                default_version: "v1".into(),
                created: "2026-01-01T00:00:00Z".into(),
                updated: "2026-01-01T00:00:00Z".into(),
                attachment_count: 0,
            };
            store.create_managed_policy(other_account, &policy, &allow("s3:*", "*"), &[]).await.unwrap();
        });
    }
    let (_rt, addr) = common::start(Some(data.path()));
    let mut c = Client::connect(addr).unwrap();
    assert_eq!(c.call(&root(), "CreateUser", &[("UserName", "u")]).unwrap().status, 200);
    for (action, params) in [
        ("GetPolicy", vec![("PolicyArn", other_policy.as_str())]),
        ("DeletePolicy", vec![("PolicyArn", other_policy.as_str())]),
        (
            "CreatePolicyVersion",
            vec![
                ("PolicyArn", other_policy.as_str()),
                (
                    "PolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                ),
            ],
        ),
        (
            "TagPolicy",
            vec![("PolicyArn", other_policy.as_str()), ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v")],
        ),
        ("AttachUserPolicy", vec![("UserName", "u"), ("PolicyArn", other_policy.as_str())]),
        ("PutUserPermissionsBoundary", vec![("UserName", "u"), ("PermissionsBoundary", other_policy.as_str())]),
        ("GenerateServiceLastAccessedDetails", vec![("Arn", other_policy.as_str())]),
    ] {
        let reply = c.call(&root(), action, &params).unwrap();
        assert_ne!(reply.status, 200, "{action} on another account's policy: {}", reply.body);
    }
    let attached = c.call(&root(), "ListAttachedUserPolicies", &[("UserName", "u")]).unwrap();
    assert!(!attached.body.contains("theirs"), "{}", attached.body);
}

/// Defect 10. A policy in use as a permissions boundary cannot be deleted (IAM API Reference,
/// DeletePolicy: DeleteConflict).
#[test]
fn a_policy_in_use_as_a_boundary_cannot_be_deleted() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let reply =
        c.call(&root(), "CreatePolicy", &[("PolicyName", "b"), ("PolicyDocument", &allow("s3:*", "*"))]).unwrap();
    assert_eq!(reply.status, 200);
    let boundary = arn("policy/b");
    let reply = c.call(&root(), "CreateUser", &[("UserName", "u"), ("PermissionsBoundary", &boundary)]).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = c.call(&root(), "DeletePolicy", &[("PolicyArn", &boundary)]).unwrap();
    assert_eq!(code(&reply), "DeleteConflict", "{}", reply.body);
}

/// Defect 11. A request that fails authentication is recorded compactly: who it claimed to be and
/// why it failed, not its parameters.
#[test]
fn failed_authentication_is_logged_without_its_parameters() {
    let data = tempfile::tempdir().unwrap();
    let (_rt, addr) = common::start(Some(data.path()));
    let mut c = Client::connect(addr).unwrap();
    let filler = "f".repeat(100_000);
    let wrong = common::key(common::ROOT_ID, "not-the-secret");
    let reply = c.call(&wrong, "CreateUser", &[("UserName", "x"), ("Path", &filler)]).unwrap();
    assert_eq!(code(&reply), "SignatureDoesNotMatch", "{}", reply.body);
    let body = format!("Action=CreateUser&Version=2010-05-08&UserName=x&Path={filler}");
    let reply = c.send("POST", "/", &[], body.as_bytes()).unwrap();
    assert_eq!(reply.status, 403, "{}", reply.body);
    let log = common::audit_log(&data.path().join("audit.log"), 2);
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.len() < 4_000, "failed authentication logged {} bytes", log.len());
    assert!(log.contains("SignatureDoesNotMatch") && log.contains("MissingAuthenticationToken"), "{log}");
}

/// Defect 12. What IAM rejects, monban rejects with IAM's words.
#[test]
fn documents_and_tags_iam_rejects_are_rejected() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    assert_eq!(c.call(&root(), "CreateUser", &[("UserName", "u")]).unwrap().status, 200);
    let statement = |sid: &str, resource: &str| {
        format!(r#"{{"Sid":"{sid}","Effect":"Allow","Action":"s3:GetObject","Resource":"{resource}"}}"#)
    };
    let documents = [
        // Duplicate Sids (IAM JSON policy element reference: Sid "must be unique within a policy").
        format!(r#"{{"Version":"2012-10-17","Statement":[{},{}]}}"#, statement("A", "*"), statement("A", "*")),
        // A Sid supports ASCII upper- and lower-case letters and digits only.
        format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statement("has-dash", "*")),
        // A resource is an ARN or `*`.
        format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statement("A", "not-an-arn")),
    ];
    for document in &documents {
        let reply = c
            .call(&root(), "PutUserPolicy", &[("UserName", "u"), ("PolicyName", "p"), ("PolicyDocument", document)])
            .unwrap();
        assert_eq!(code(&reply), "MalformedPolicyDocument", "{document}: {}", reply.body);
    }
    // Tag keys are unique regardless of case ("Tagging IAM resources": tag naming rules).
    let reply = c
        .call(
            &root(),
            "CreateUser",
            &[
                ("UserName", "t"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "a"),
                ("Tags.member.2.Key", "Team"),
                ("Tags.member.2.Value", "b"),
            ],
        )
        .unwrap();
    assert_eq!(code(&reply), "InvalidInput", "{}", reply.body);

    // AssumeRole with SourceIdentity needs sts:SetSourceIdentity (IAM User Guide, "Monitor and
    // control actions taken with assumed roles": permissions required to set source identity).
    let alice = user(&mut c, "alice", &allow("sts:AssumeRole", "*"));
    let role = c
        .call(&root(), "CreateRole", &[("RoleName", "r"), ("AssumeRolePolicyDocument", &trust(&arn("user/alice")))])
        .unwrap();
    assert_eq!(role.status, 200, "{}", role.body);
    let role_arn = arn("role/r");
    let reply = c
        .call(&alice, "AssumeRole", &[("RoleArn", &role_arn), ("RoleSessionName", "s1"), ("SourceIdentity", "alice")])
        .unwrap();
    assert_eq!(code(&reply), "AccessDenied", "{}", reply.body);

    // An inline session policy longer than 2,048 characters (STS API Reference, AssumeRole:
    // Policy). AWS's packed-size limit on policies and tags together is not documented and is not
    // modelled.
    let filler = "x".repeat(2100);
    let long = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{filler}","Effect":"Allow","Action":"*","Resource":"*"}}]}}"#
    );
    let reply =
        c.call(&alice, "AssumeRole", &[("RoleArn", &role_arn), ("RoleSessionName", "s1"), ("Policy", &long)]).unwrap();
    assert_eq!(code(&reply), "ValidationError", "{}", reply.body);
    assert!(reply.body.contains("less than or equal to 2048"), "{}", reply.body);
}

/// Defect 13. Authorization comes before lookups: a caller without permissions cannot tell which
/// entities exist.
#[test]
fn a_caller_without_permissions_cannot_probe_for_existence() {
    let (_rt, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let nobody = user(&mut c, "nobody", "");
    let real_key = c.call(&root(), "ListAccessKeys", &[("UserName", "nobody")]).unwrap();
    let real_key = real_key.field("AccessKeyId").unwrap().to_string();
    let reply =
        c.call(&root(), "CreatePolicy", &[("PolicyName", "real"), ("PolicyDocument", &allow("s3:*", "*"))]).unwrap();
    assert_eq!(reply.status, 200);
    let (real_policy, fake_policy) = (arn("policy/real"), arn("policy/fake"));
    let probes: [(&str, &str, &str, &str); 5] = [
        ("GetAccessKeyLastUsed", "AccessKeyId", &real_key, "AKIAAAAAAAAAAAAAAAAA"),
        ("ListPolicyTags", "PolicyArn", &real_policy, &fake_policy),
        ("GetPolicy", "PolicyArn", &real_policy, &fake_policy),
        ("GetUser", "UserName", "nobody", "ghost"),
        ("ListEntitiesForPolicy", "PolicyArn", &real_policy, &fake_policy),
    ];
    for (action, member, real, fake) in probes {
        let existing = c.call(&nobody, action, &[(member, real)]).unwrap();
        let missing = c.call(&nobody, action, &[(member, fake)]).unwrap();
        assert_eq!(code(&existing), "AccessDenied", "{action} {real}: {}", existing.body);
        assert_eq!(code(&missing), "AccessDenied", "{action} {fake}: {}", missing.body);
    }
}

/// Defect 14. A data directory opened with another encryption key is refused at start, with a
/// message saying so, instead of a server that fails every call.
#[test]
fn a_wrong_secret_key_is_refused_at_start() {
    let data = tempfile::tempdir().unwrap();
    drop(common::start(Some(data.path())));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = runtime.block_on(monban_server::Server::start(monban_server::Config {
        data_dir: Some(data.path().to_path_buf()),
        secret_key: Some([9; 32]),
        ..monban_server::Config::ephemeral(ACCOUNT)
    }));
    let error = started.err().expect("a wrong key must not start").to_string();
    assert!(error.contains("secret key"), "{error}");
}

/// A data directory is used by one server at a time and holds one standalone account: a second
/// server, or a restart with another `--account-id`, is refused instead of silently creating a
/// second account.
#[test]
fn a_data_directory_is_locked_and_keeps_its_account() {
    let data = tempfile::tempdir().unwrap();
    let (_running, _) = common::start(Some(data.path()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let start = |account: &str| {
        runtime.block_on(monban_server::Server::start(monban_server::Config {
            data_dir: Some(data.path().to_path_buf()),
            ..monban_server::Config::ephemeral(account)
        }))
    };
    let error = start(ACCOUNT).err().expect("a second server must not start").to_string();
    assert!(error.contains("in use by another monban server"), "{error}");
    drop(_running);
    let error = start("210987654321").err().expect("another account must not start").to_string();
    assert!(error.contains(&format!("holds account {ACCOUNT}")), "{error}");
    // An account never changes partition.
    let in_china = runtime.block_on(monban_server::Server::start(monban_server::Config {
        data_dir: Some(data.path().to_path_buf()),
        partition: monban_server::Partition::AwsCn,
        ..monban_server::Config::ephemeral(ACCOUNT)
    }));
    let error = in_china.err().expect("another partition must not start").to_string();
    assert!(error.contains("in partition aws, not aws-cn"), "{error}");
    assert!(start(ACCOUNT).is_ok());
}
