//! What the server keeps in memory between calls (principals, their tags, compiled policies, trust
//! policies) is never older than the last answered write: each read below follows the write that
//! changes what it reads, and would see the cached value if the write left it in place.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Client;

#[test]
fn reads_after_writes_see_the_writes() {
    let (_runtime, addr) = common::start(None);
    let root = common::root();
    let mut client = Client::connect(addr).unwrap();
    let mut call = |action: &str, params: &[(&str, &str)]| client.call(&root, action, params).unwrap();

    // A user read (and cached) is seen renamed, retagged, deleted and created again.
    assert_eq!(call("CreateUser", &[("UserName", "alice"), ("Path", "/one/")]).status, 200);
    assert_eq!(call("GetUser", &[("UserName", "alice")]).field("Path"), Some("/one/"));
    assert_eq!(
        call("TagUser", &[("UserName", "alice"), ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "red")]).status,
        200
    );
    assert_eq!(call("GetUser", &[("UserName", "ALICE")]).field("Value"), Some("red"));
    assert_eq!(call("UpdateUser", &[("UserName", "alice"), ("NewUserName", "bob")]).status, 200);
    assert_eq!(call("GetUser", &[("UserName", "alice")]).status, 404);
    assert_eq!(call("GetUser", &[("UserName", "bob")]).field("UserName"), Some("bob"));
    assert_eq!(call("UntagUser", &[("UserName", "bob"), ("TagKeys.member.1", "team")]).status, 200);
    assert_eq!(call("DeleteUser", &[("UserName", "bob")]).status, 200);
    assert_eq!(call("GetUser", &[("UserName", "bob")]).status, 404);
    // Creating is one of the writes that keep the caches: a name looked up while absent is not kept.
    let created = call(
        "CreateUser",
        &[("UserName", "bob"), ("Path", "/two/"), ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "blue")],
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let bob = call("GetUser", &[("UserName", "bob")]);
    assert_eq!((bob.field("Path"), bob.field("Value")), (Some("/two/"), Some("blue")), "{}", bob.body);
}

#[test]
fn authorization_follows_tags_boundaries_and_trust_as_they_change() {
    let (_runtime, addr) = common::start(None);
    let root = common::root();
    let mut client = Client::connect(addr).unwrap();
    // The caller may read users tagged team=red only.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","sts:AssumeRole"],
        "Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}}]}"#;
    let caller = common::user(&mut client, "caller", policy);
    let ok = |client: &mut Client, action: &str, params: &[(&str, &str)]| {
        let reply = client.call(&root, action, params).unwrap();
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
    };
    ok(
        &mut client,
        "CreateUser",
        &[("UserName", "target"), ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "red")],
    );
    assert_eq!(client.call(&caller, "GetUser", &[("UserName", "target")]).unwrap().status, 200);
    ok(
        &mut client,
        "TagUser",
        &[("UserName", "target"), ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "blue")],
    );
    assert_eq!(client.call(&caller, "GetUser", &[("UserName", "target")]).unwrap().status, 403);

    // The caller's own policy, cached compiled, is replaced.
    ok(
        &mut client,
        "PutUserPolicy",
        &[("UserName", "caller"), ("PolicyName", "p"), ("PolicyDocument", &common::allow("iam:GetUser", "*"))],
    );
    assert_eq!(client.call(&caller, "GetUser", &[("UserName", "target")]).unwrap().status, 200);
    // A boundary put on the caller applies to its next call.
    ok(
        &mut client,
        "PutUserPermissionsBoundary",
        &[("UserName", "caller"), ("PermissionsBoundary", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")],
    );
    assert_eq!(client.call(&caller, "GetUser", &[("UserName", "target")]).unwrap().status, 200);
    ok(
        &mut client,
        "PutUserPermissionsBoundary",
        &[("UserName", "caller"), ("PermissionsBoundary", "arn:aws:iam::aws:policy/AWSDenyAll")],
    );
    assert_eq!(client.call(&caller, "GetUser", &[("UserName", "target")]).unwrap().status, 403);
    ok(&mut client, "DeleteUserPermissionsBoundary", &[("UserName", "caller")]);

    // A role assumed once (its trust policy cached) is not assumable once the trust is changed.
    let trust = |who: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/{who}"}},"Action":"sts:AssumeRole"}}]}}"#,
            common::ACCOUNT
        )
    };
    ok(
        &mut client,
        "PutUserPolicy",
        &[("UserName", "caller"), ("PolicyName", "p"), ("PolicyDocument", &common::allow("sts:AssumeRole", "*"))],
    );
    ok(&mut client, "CreateRole", &[("RoleName", "deploy"), ("AssumeRolePolicyDocument", &trust("caller"))]);
    let role = format!("arn:aws:iam::{}:role/deploy", common::ACCOUNT);
    assert!(common::assume(&mut client, &caller, &role, "one").is_ok());
    ok(&mut client, "UpdateAssumeRolePolicy", &[("RoleName", "deploy"), ("PolicyDocument", &trust("target"))]);
    assert_eq!(common::assume(&mut client, &caller, &role, "two").unwrap_err().status, 403);
    // Deleted and created again under the same name, it is a new role that trusts the caller again.
    ok(&mut client, "DeleteRole", &[("RoleName", "deploy")]);
    ok(&mut client, "CreateRole", &[("RoleName", "deploy"), ("AssumeRolePolicyDocument", &trust("caller"))]);
    assert!(common::assume(&mut client, &caller, &role, "three").is_ok());
}
