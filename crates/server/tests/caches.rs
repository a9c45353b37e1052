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

/// The writes that change one principal, managed policy or key drop only what was read from it
/// (`auth::change_of`); each is followed here by the call that would be answered from a stale
/// value: through a group, a managed policy's new default version, a boundary, the caller's own
/// tags, a role's policy under a live session, and an access key's status. Names are written in
/// another case than they were created in, as IAM matches them.
#[test]
fn authorization_follows_groups_managed_versions_sessions_and_keys_as_they_change() {
    let (_runtime, addr) = common::start(None);
    let root = common::root();
    let mut client = Client::connect(addr).unwrap();
    let mut ok = |action: &str, params: &[(&str, &str)]| {
        let reply = client.call(&root, action, params).unwrap();
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        reply
    };
    ok("CreateUser", &[("UserName", "member")]);
    let key = ok("CreateAccessKey", &[("UserName", "member")]);
    let member = common::key(key.field("AccessKeyId").unwrap(), key.field("SecretAccessKey").unwrap());
    ok("CreateGroup", &[("GroupName", "readers")]);
    let mut client = Client::connect(addr).unwrap();
    let mut status = |key: &common::SigningKey, action: &str| client.call(key, action, &[]).unwrap().status;
    assert_eq!(status(&member, "ListUsers"), 403);

    let mut root_client = Client::connect(addr).unwrap();
    let mut ok = |action: &str, params: &[(&str, &str)]| {
        let reply = root_client.call(&root, action, params).unwrap();
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        reply
    };
    // Through a group: its inline policy, membership, and the group's attached managed policy.
    ok(
        "PutGroupPolicy",
        &[("GroupName", "READERS"), ("PolicyName", "p"), ("PolicyDocument", &common::allow("iam:ListUsers", "*"))],
    );
    assert_eq!(status(&member, "ListUsers"), 403, "not a member yet");
    ok("AddUserToGroup", &[("GroupName", "readers"), ("UserName", "MEMBER")]);
    assert_eq!(status(&member, "ListUsers"), 200);
    ok("DeleteGroupPolicy", &[("GroupName", "readers"), ("PolicyName", "p")]);
    assert_eq!(status(&member, "ListUsers"), 403);
    let created =
        ok("CreatePolicy", &[("PolicyName", "list"), ("PolicyDocument", &common::allow("iam:ListUsers", "*"))]);
    let arn = created.field("Arn").unwrap().to_string();
    ok("AttachGroupPolicy", &[("GroupName", "readers"), ("PolicyArn", &arn)]);
    assert_eq!(status(&member, "ListUsers"), 200);
    // A new default version of the managed policy applies at once, and so does the old one again.
    ok(
        "CreatePolicyVersion",
        &[("PolicyArn", &arn), ("PolicyDocument", &common::allow("iam:ListRoles", "*")), ("SetAsDefault", "true")],
    );
    assert_eq!(status(&member, "ListUsers"), 403);
    assert_eq!(status(&member, "ListRoles"), 200);
    ok("SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v1")]);
    assert_eq!(status(&member, "ListUsers"), 200);
    ok("RemoveUserFromGroup", &[("GroupName", "readers"), ("UserName", "member")]);
    assert_eq!(status(&member, "ListUsers"), 403);
    // The same managed policy as the member's boundary: its versions cap the member's own policy.
    ok(
        "PutUserPolicy",
        &[("UserName", "member"), ("PolicyName", "p"), ("PolicyDocument", &common::allow("iam:List*", "*"))],
    );
    ok("PutUserPermissionsBoundary", &[("UserName", "member"), ("PermissionsBoundary", &arn)]);
    assert_eq!((status(&member, "ListUsers"), status(&member, "ListRoles")), (200, 403));
    ok("SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v2")]);
    assert_eq!((status(&member, "ListUsers"), status(&member, "ListRoles")), (403, 200));
    ok("DeleteUserPermissionsBoundary", &[("UserName", "member")]);

    // The caller's own tags, read for aws:PrincipalTag.
    let tagged = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*",
        "Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}]}"#;
    ok("PutUserPolicy", &[("UserName", "member"), ("PolicyName", "p"), ("PolicyDocument", tagged)]);
    assert_eq!(status(&member, "ListGroups"), 403);
    ok("TagUser", &[("UserName", "Member"), ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "red")]);
    assert_eq!(status(&member, "ListGroups"), 200);
    ok("UntagUser", &[("UserName", "member"), ("TagKeys.member.1", "team")]);
    assert_eq!(status(&member, "ListGroups"), 403);

    // A role's policy changes under a session that is already open.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"sts:AssumeRole"}}]}}"#,
        common::ACCOUNT
    );
    ok("CreateRole", &[("RoleName", "worker"), ("AssumeRolePolicyDocument", &trust)]);
    let role = format!("arn:aws:iam::{}:role/worker", common::ACCOUNT);
    let session = {
        let mut c = Client::connect(addr).unwrap();
        let assumer = common::user(&mut c, "assumer", &common::allow("sts:AssumeRole", "*"));
        common::assume(&mut c, &assumer, &role, "session").unwrap()
    };
    assert_eq!(status(&session, "ListUsers"), 403);
    ok(
        "PutRolePolicy",
        &[("RoleName", "WORKER"), ("PolicyName", "p"), ("PolicyDocument", &common::allow("iam:ListUsers", "*"))],
    );
    assert_eq!(status(&session, "ListUsers"), 200);
    ok("DeleteRolePolicy", &[("RoleName", "worker"), ("PolicyName", "p")]);
    assert_eq!(status(&session, "ListUsers"), 403);

    // An access key made inactive is refused on its next call, and accepted again once active.
    assert_eq!(status(&member, "GetCallerIdentity"), 200);
    let id = member.access_key_id.clone();
    ok("UpdateAccessKey", &[("UserName", "member"), ("AccessKeyId", &id), ("Status", "Inactive")]);
    assert_eq!(status(&member, "GetCallerIdentity"), 403);
    ok("UpdateAccessKey", &[("UserName", "member"), ("AccessKeyId", &id), ("Status", "Active")]);
    assert_eq!(status(&member, "GetCallerIdentity"), 200);
    ok("DeleteAccessKey", &[("UserName", "member"), ("AccessKeyId", &id)]);
    assert_eq!(status(&member, "GetCallerIdentity"), 403);
}
