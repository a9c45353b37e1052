//! The server and the analyzer build the same request context for the same principal and
//! request: both fill it in through `monban_policy::context`. An IAM user with tags holds a policy
//! that allows `iam:GetUser` only when every global key AWS fills in has the value AWS gives it;
//! the server must allow the user's real call, and the analyzer, reading the same user as
//! `GetAccountAuthorizationDetails` describes it, must allow the same request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../server/tests/common/mod.rs"]
mod common;

use monban_analyzer::account::{Account, Directory, Options};
use monban_policy::{authorize, Outcome, Request};
use serde_json::json;

use common::{root, Client, ACCOUNT};

/// Every key the one builder sets for an IAM user calling IAM, with the value AWS gives it
/// ("AWS global condition context keys"); `aws:userid` is checked by prefix, and the MFA keys
/// must be absent for long-term access keys. `aws:SecureTransport` is the one fact the two requests
/// do not share: the server is reached over plain HTTP, AWS over TLS.
fn policy(arn: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
        "Condition": {
            "StringEquals": {
                "aws:PrincipalTag/team": "blue",
                "aws:username": "alice",
                "aws:PrincipalType": "User",
                "aws:PrincipalAccount": ACCOUNT,
                "aws:PrincipalArn": arn,
                "aws:RequestedRegion": "us-east-1",
            },
            "Bool": {"aws:ViaAWSService": "false", "aws:PrincipalIsAWSService": "false"},
            "ForAllValues:StringEquals": {"aws:PrincipalTagKeys": ["team"]},
            "StringLike": {"aws:userid": "AIDA*"},
            "Null": {"aws:PrincipalTagKeys": "false", "aws:MultiFactorAuthPresent": "true", "aws:CurrentTime": "false"},
        }
    }]})
    .to_string()
}

#[test]
fn the_server_and_the_analyzer_build_the_same_context() {
    let (_runtime, addr) = common::start(None);
    let mut c = Client::connect(addr).unwrap();
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/team/alice");
    let created = c
        .call(
            &root(),
            "CreateUser",
            &[
                ("UserName", "alice"),
                ("Path", "/team/"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "blue"),
            ],
        )
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    let user_id = created.field("UserId").unwrap().to_string();
    let document = policy(&arn);
    let put =
        c.call(&root(), "PutUserPolicy", &[("UserName", "alice"), ("PolicyName", "p"), ("PolicyDocument", &document)]);
    assert_eq!(put.unwrap().status, 200);
    let key = c.call(&root(), "CreateAccessKey", &[("UserName", "alice")]).unwrap();
    let alice = common::key(key.field("AccessKeyId").unwrap(), key.field("SecretAccessKey").unwrap());
    // Signed for another region: IAM's requests are made in us-east-1 all the same.
    let reply = c.call_scoped(&alice, "GetUser", &[], "eu-west-1", "iam", &[]).unwrap();
    assert_eq!(reply.status, 200, "the server's context differs: {}", reply.body);

    let details = json!({
        "UserDetailList": [{
            "Path": "/team/", "UserName": "alice", "UserId": user_id, "Arn": arn,
            "CreateDate": "2026-01-01T00:00:00Z", "GroupList": [], "AttachedManagedPolicies": [],
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": document}],
            "Tags": [{"Key": "team", "Value": "blue"}],
        }],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
    });
    let account = Account::from_value(&details, "details.json").unwrap();
    let directory = Directory::new(vec![account], Vec::new(), Options::default()).unwrap();
    let principal = &directory.principals[directory.principal(&arn).unwrap()];
    let request = Request::new(principal.caller.clone(), "iam:GetUser", &arn).with_context(principal.context.clone());
    let decision = authorize(&request, &principal.policy_set(None));
    assert_eq!(decision.outcome, Outcome::Allow, "the analyzer's context differs: {decision:?}");
}
