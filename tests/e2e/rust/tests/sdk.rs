//! `monban serve` driven by the AWS SDK for Rust (aws-sdk-iam, aws-sdk-sts): caller identity,
//! users and access keys, AccessDenied as AWS words it, signature failures, and the
//! permissions-boundary scenario (escalation through a role, then stopped by a boundary), and
//! outbound identity federation (EnableOutboundWebIdentityFederation, GetWebIdentityToken).

mod common;

use aws_sdk_iam::error::SdkError;
use common::{error_of, policy, Server, ACCOUNT, ROOT_SECRET};

fn status_of<E>(e: &SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test]
async fn caller_identity_of_root_is_the_account() {
    let server = Server::start();
    let root = server.root().await;
    let id = root.sts.get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(id.account(), Some(ACCOUNT));
    assert_eq!(id.arn(), Some("arn:aws:iam::123456789012:root"));
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
    // aws:userid of the account root is the account ID.
    assert_eq!(id.user_id(), Some(ACCOUNT));
}

#[tokio::test]
async fn requests_signed_for_any_region_are_accepted() {
    let server = Server::start();
    let root = server.clients_in(common::ROOT_KEY_ID, ROOT_SECRET, None, "eu-west-3").await;
    let id = root.sts.get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(id.account(), Some(ACCOUNT));
    let users = root.iam.list_users().send().await.expect("ListUsers");
    assert!(users.users().is_empty());
}

#[tokio::test]
async fn created_user_signs_with_its_new_access_key() {
    let server = Server::start();
    let root = server.root().await;
    let created = root.iam.create_user().user_name("alice").send().await.expect("CreateUser");
    let user = created.user().expect("User");
    assert_eq!(user.user_name(), "alice");
    assert_eq!(user.path(), "/");
    assert_eq!(user.arn(), "arn:aws:iam::123456789012:user/alice");
    assert!(user.user_id().starts_with("AIDA"), "UserId {}", user.user_id());

    let key = root.iam.create_access_key().user_name("alice").send().await.expect("CreateAccessKey");
    let key = key.access_key().expect("AccessKey");
    assert_eq!(key.user_name(), "alice");
    assert!(key.access_key_id().starts_with("AKIA"), "{}", key.access_key_id());
    assert_eq!(key.access_key_id().len(), 20);
    assert_eq!(key.secret_access_key().len(), 40);
    assert_eq!(key.status().as_str(), "Active");

    let listed = root.iam.list_access_keys().user_name("alice").send().await.expect("ListAccessKeys");
    let ids: Vec<&str> = listed.access_key_metadata().iter().filter_map(|k| k.access_key_id()).collect();
    assert_eq!(ids, vec![key.access_key_id()]);

    let alice = server.clients(key.access_key_id(), key.secret_access_key(), None).await;
    let id = alice.sts.get_caller_identity().send().await.expect("GetCallerIdentity as alice");
    assert_eq!(id.arn(), Some("arn:aws:iam::123456789012:user/alice"));
    assert_eq!(id.user_id(), Some(user.user_id()));
    assert_eq!(id.account(), Some(ACCOUNT));
}

#[tokio::test]
async fn user_without_permissions_gets_access_denied_in_aws_words() {
    let server = Server::start();
    let bob = server.user_with_policy("bob", None).await;
    let result = bob.iam.create_user().user_name("x").send().await;
    let status = result.as_ref().err().and_then(status_of);
    let (code, message) = error_of(result);
    assert_eq!(code, "AccessDenied");
    assert_eq!(status, Some(403));
    assert_eq!(
        message,
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateUser \
         on resource: arn:aws:iam::123456789012:user/x because no identity-based policy allows \
         the iam:CreateUser action"
    );
    // Nothing was created.
    let root = server.root().await;
    let (code, _) = error_of(root.iam.get_user().user_name("x").send().await);
    assert_eq!(code, "NoSuchEntity");
}

#[tokio::test]
async fn explicit_deny_wins_over_allow() {
    let server = Server::start();
    let doc = policy(
        r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"},
           {"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}"#,
    );
    let carol = server.user_with_policy("carol", Some(&doc)).await;
    carol.iam.create_user().user_name("temp").send().await.expect("allowed CreateUser");
    let (code, message) = error_of(carol.iam.delete_user().user_name("temp").send().await);
    assert_eq!(code, "AccessDenied");
    assert_eq!(
        message,
        "User: arn:aws:iam::123456789012:user/carol is not authorized to perform: iam:DeleteUser \
         on resource: arn:aws:iam::123456789012:user/temp with an explicit deny in an \
         identity-based policy"
    );
}

#[tokio::test]
async fn unknown_access_key_is_invalid_client_token_id() {
    let server = Server::start();
    let stranger = server.clients("AKIAUNKNOWNUNKNOWN00", ROOT_SECRET, None).await;
    let result = stranger.sts.get_caller_identity().send().await;
    let status = result.as_ref().err().and_then(status_of);
    let (code, _) = error_of(result);
    assert_eq!(code, "InvalidClientTokenId");
    assert_eq!(status, Some(403));
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let server = Server::start();
    let wrong = server.clients(common::ROOT_KEY_ID, "wrongWrongWrongWrongWrongWrongWrongWrong", None).await;
    let result = wrong.iam.list_users().send().await;
    let status = result.as_ref().err().and_then(status_of);
    let (code, _) = error_of(result);
    assert_eq!(code, "SignatureDoesNotMatch");
    assert_eq!(status, Some(403));
}

/// The seed scenario, first half: `iam:CreateRole` + `iam:PutRolePolicy` + `sts:AssumeRole` is
/// enough to reach `*:*` through a new role.
#[tokio::test]
async fn seed_escalation_through_a_new_role_succeeds() {
    let server = Server::start();
    let doc = policy(
        r#"{"Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePolicy"],"Resource":"*"},
           {"Effect":"Allow","Action":["sts:AssumeRole"],"Resource":"*"}"#,
    );
    let dev = server.user_with_policy("developer", Some(&doc)).await;

    // The user alone cannot create users.
    let (code, _) = error_of(dev.iam.create_user().user_name("mallory").send().await);
    assert_eq!(code, "AccessDenied");

    dev.iam
        .create_role()
        .role_name("escalate")
        .assume_role_policy_document(TRUST_ACCOUNT)
        .send()
        .await
        .expect("CreateRole");
    dev.iam
        .put_role_policy()
        .role_name("escalate")
        .policy_name("everything")
        .policy_document(policy(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#))
        .send()
        .await
        .expect("PutRolePolicy");
    let assumed = dev
        .sts
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/escalate")
        .role_session_name("s1")
        .send()
        .await
        .expect("AssumeRole");
    let user = assumed.assumed_role_user().expect("AssumedRoleUser");
    assert_eq!(user.arn(), "arn:aws:sts::123456789012:assumed-role/escalate/s1");
    assert!(user.assumed_role_id().starts_with("AROA"), "{}", user.assumed_role_id());
    assert!(user.assumed_role_id().ends_with(":s1"), "{}", user.assumed_role_id());
    let creds = assumed.credentials().expect("Credentials");
    assert!(creds.access_key_id().starts_with("ASIA"), "{}", creds.access_key_id());

    let session = server.clients(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token())).await;
    let id = session.sts.get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(id.arn(), Some("arn:aws:sts::123456789012:assumed-role/escalate/s1"));
    assert_eq!(id.user_id(), Some(user.assumed_role_id()));
    session.iam.create_user().user_name("mallory").send().await.expect("the escalated session may create users");
}

/// The seed scenario, second half: conditioning CreateRole/PutRolePolicy on
/// `iam:PermissionsBoundary` stops the escalation.
#[tokio::test]
async fn seed_permissions_boundary_stops_the_escalation() {
    let server = Server::start();
    let root = server.root().await;
    let boundary_arn = "arn:aws:iam::123456789012:policy/my-permissions-boundary";
    root.iam
        .create_policy()
        .policy_name("my-permissions-boundary")
        .policy_document(policy(
            r#"{"Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePolicy","sts:AssumeRole"],"Resource":"*"}"#,
        ))
        .send()
        .await
        .expect("CreatePolicy");
    let doc = policy(&format!(
        r#"{{"Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePolicy"],"Resource":"*",
             "Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary_arn}"}}}}}},
           {{"Effect":"Allow","Action":["sts:AssumeRole"],"Resource":"*"}}"#
    ));
    let dev = server.user_with_policy("developer", Some(&doc)).await;
    root.iam
        .put_user_permissions_boundary()
        .user_name("developer")
        .permissions_boundary(boundary_arn)
        .send()
        .await
        .expect("PutUserPermissionsBoundary");

    let (code, message) =
        error_of(dev.iam.create_role().role_name("app-role").assume_role_policy_document(TRUST_ACCOUNT).send().await);
    assert_eq!(code, "AccessDenied");
    assert!(
        message.starts_with(
            "User: arn:aws:iam::123456789012:user/developer is not authorized to perform: \
             iam:CreateRole on resource: arn:aws:iam::123456789012:role/app-role"
        ),
        "{message}"
    );

    let created = dev
        .iam
        .create_role()
        .role_name("app-role")
        .assume_role_policy_document(TRUST_ACCOUNT)
        .permissions_boundary(boundary_arn)
        .send()
        .await
        .expect("CreateRole with the boundary");
    let role = created.role().expect("Role");
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/app-role");
    assert_eq!(role.permissions_boundary().and_then(|b| b.permissions_boundary_arn()), Some(boundary_arn));
    dev.iam
        .put_role_policy()
        .role_name("app-role")
        .policy_name("everything")
        .policy_document(policy(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#))
        .send()
        .await
        .expect("PutRolePolicy on a role that has the boundary");

    let assumed = dev
        .sts
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/app-role")
        .role_session_name("s1")
        .send()
        .await
        .expect("AssumeRole");
    let creds = assumed.credentials().expect("Credentials");
    let session = server.clients(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token())).await;
    let (code, message) = error_of(session.iam.create_user().user_name("mallory").send().await);
    assert_eq!(code, "AccessDenied");
    assert_eq!(
        message,
        "User: arn:aws:sts::123456789012:assumed-role/app-role/s1 is not authorized to perform: \
         iam:CreateUser on resource: arn:aws:iam::123456789012:user/mallory because no \
         permissions boundary allows the iam:CreateUser action"
    );
    let (code, _) = error_of(root.iam.get_user().user_name("mallory").send().await);
    assert_eq!(code, "NoSuchEntity");
}

#[tokio::test]
async fn reset_wipes_state_and_keeps_root() {
    let server = Server::start();
    let root = server.root().await;
    root.iam.create_user().user_name("alice").send().await.expect("CreateUser");
    assert_eq!(server.reset().await, 200);
    let (code, _) = error_of(root.iam.get_user().user_name("alice").send().await);
    assert_eq!(code, "NoSuchEntity");
    let id = root.sts.get_caller_identity().send().await.expect("root still works");
    assert_eq!(id.arn(), Some("arn:aws:iam::123456789012:root"));
}

/// STS API Reference, GetWebIdentityToken: refused until the account enables outbound federation
/// (IAM API Reference, EnableOutboundWebIdentityFederation), then a token whose issuer is the
/// account's and whose audience is the one asked for.
#[tokio::test]
async fn web_identity_tokens_once_outbound_federation_is_enabled() {
    let server = Server::start();
    let root = server.root().await;
    let allowed = policy(r#"{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}"#);
    let user = server.user_with_policy("vendor", Some(&allowed)).await;
    let ask = || user.sts.get_web_identity_token().audience("https://api.example.com").signing_algorithm("ES384");
    assert_eq!(error_of(ask().send().await).0, "OutboundWebIdentityFederationDisabledException");
    let enabled = root.iam.enable_outbound_web_identity_federation().send().await.expect("Enable");
    let issuer = enabled.issuer_identifier().expect("IssuerIdentifier").to_string();
    assert!(issuer.ends_with(".tokens.sts.global.api.aws"), "{issuer}");
    let info = root.iam.get_outbound_web_identity_federation_info().send().await.expect("GetInfo");
    assert_eq!(info.issuer_identifier(), Some(issuer.as_str()));
    assert!(info.jwt_vending_enabled());
    let token = ask().duration_seconds(120).send().await.expect("GetWebIdentityToken");
    // A compact JWS: header, claims and signature, each base64url (the Python suite verifies it).
    let jwt = token.web_identity_token().expect("WebIdentityToken");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    assert!(parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')));
    assert!(token.expiration().is_some());
}
