"""sts:AssumeRole: the trust policy decided by the policy engine, sts:ExternalId,
DurationSeconds within the role's maximum, session policies (Policy, PolicyArns), session tags,
and the credentials it returns (STS API reference, AssumeRole; IAM User Guide, "Session
policies", "Passing session tags in AWS STS")."""

import datetime

from helpers import ACCOUNT, allow, deny, expect_error, policy_doc, trust_account

ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"


def make_role(root, trust=None, *statements, **kwargs):
    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust or trust_account(), **kwargs)
    if statements:
        root.iam.put_role_policy(RoleName="app", PolicyName="perms", PolicyDocument=policy_doc(*statements))


def seconds_from_now(when: datetime.datetime) -> float:
    return (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def test_returned_credentials(root, make_user, assume):
    make_role(root, None, allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole", ROLE))
    session, response = assume(alice, ROLE, "alice-session")
    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert len(creds["SecretAccessKey"]) == 40
    assert creds["SessionToken"]
    # DurationSeconds defaults to 3600.
    assert 3600 - 120 < seconds_from_now(creds["Expiration"]) <= 3600 + 5
    assert response["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app/alice-session"
    assert [u["UserName"] for u in session.iam.list_users()["Users"]] == ["alice"]


def test_trust_policy_naming_a_user(root, make_user, assume):
    trust = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
            "Action": "sts:AssumeRole",
        }
    )
    # The user must exist when the trust policy is saved: IAM turns the ARN into the user's unique id.
    alice = make_user("alice", allow("sts:AssumeRole"))
    bob = make_user("bob", allow("sts:AssumeRole"))
    make_role(root, trust, allow("iam:ListUsers"))
    assume(alice, ROLE)
    error = expect_error("AccessDenied", bob.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", status=403)
    message = error.response["Error"]["Message"]
    assert message.startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
    ), message


def test_trust_in_the_account_still_needs_an_identity_policy(root, make_user, assume):
    # A trust policy naming the account (arn:aws:iam::ACCOUNT:root) delegates the decision to
    # the account's identity-based policies.
    make_role(root, None, allow("iam:ListUsers"))
    allowed = make_user("allowed", allow("sts:AssumeRole", ROLE))
    nothing = make_user("nothing")
    denied = make_user("denied", allow("sts:AssumeRole"), deny("sts:AssumeRole", ROLE))
    assume(allowed, ROLE)
    expect_error("AccessDenied", nothing.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", status=403)
    expect_error("AccessDenied", denied.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", status=403)


def test_trust_policy_of_another_account_denies(root, make_user):
    make_role(root, trust_account("210987654321"), allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole"))
    expect_error("AccessDenied", alice.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", status=403)


def test_unknown_role_is_access_denied(make_user):
    alice = make_user("alice", allow("sts:AssumeRole"))
    expect_error(
        "AccessDenied",
        alice.sts.assume_role,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/does-not-exist",
        RoleSessionName="session",
        status=403,
    )


def test_external_id(root, make_user, assume):
    trust = trust_account(Condition={"StringEquals": {"sts:ExternalId": "Unique-1234"}})
    make_role(root, trust, allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole"))
    expect_error("AccessDenied", alice.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", status=403)
    expect_error(
        "AccessDenied", alice.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", ExternalId="Unique-9999"
    )
    session, _ = assume(alice, ROLE, ExternalId="Unique-1234")
    session.iam.list_users()


def test_duration_within_and_above_the_role_maximum(root, make_user, assume):
    make_role(root, None, allow("iam:ListUsers"), MaxSessionDuration=7200)
    alice = make_user("alice", allow("sts:AssumeRole"))
    _, response = assume(alice, ROLE, DurationSeconds=7200)
    assert 7200 - 120 < seconds_from_now(response["Credentials"]["Expiration"]) <= 7200 + 5
    _, response = assume(alice, ROLE, DurationSeconds=900)
    assert 900 - 120 < seconds_from_now(response["Credentials"]["Expiration"]) <= 900 + 5
    # AssumeRole, DurationSeconds: "If you specify a value higher than this setting ..., the
    # operation fails."
    expect_error(
        "ValidationError",
        alice.sts.assume_role,
        RoleArn=ROLE,
        RoleSessionName="session",
        DurationSeconds=7201,
        status=400,
    )
    # roleDurationSecondsType: at most 43200.
    expect_error(
        "ValidationError", alice.sts.assume_role, RoleArn=ROLE, RoleSessionName="session", DurationSeconds=43201
    )


def test_role_chaining_is_limited_to_one_hour(root, make_user, assume):
    make_role(root, None, allow("sts:AssumeRole"), MaxSessionDuration=43200)
    alice = make_user("alice", allow("sts:AssumeRole"))
    first, _ = assume(alice, ROLE, "first")
    # AssumeRole, DurationSeconds: "if you assume a role using role chaining and provide a
    # DurationSeconds parameter value greater than one hour, the operation fails."
    expect_error("ValidationError", first.sts.assume_role, RoleArn=ROLE, RoleSessionName="second", DurationSeconds=7200)
    second, response = assume(first, ROLE, "second", DurationSeconds=3600)
    assert second.sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app/second"


def test_invalid_session_name(make_user, root):
    make_role(root)
    alice = make_user("alice", allow("sts:AssumeRole"))
    # roleSessionNameType: [\w+=,.@-]* of 2..64.
    expect_error("ValidationError", alice.sts.assume_role, RoleArn=ROLE, RoleSessionName="has space", status=400)
    expect_error("ValidationError", alice.sts.assume_role, RoleArn=ROLE, RoleSessionName="x" * 65, status=400)


def test_inline_session_policy_limits_the_session(root, make_user, assume):
    make_role(root, None, allow(["iam:ListUsers", "iam:ListRoles"]))
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, _ = assume(alice, ROLE, "limited", Policy=policy_doc(allow("iam:ListUsers"), allow("iam:CreateUser")))
    session.iam.list_users()
    error = expect_error("AccessDenied", session.iam.list_roles, status=403)
    message = error.response["Error"]["Message"]
    assert message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app/limited is not authorized to perform: "
        "iam:ListRoles on resource: "
    ), message
    assert message.endswith(" because no session policy allows the iam:ListRoles action"), message
    # A session policy cannot grant more than the role has.
    expect_error("AccessDenied", session.iam.create_user, UserName="x", status=403)
    # Without a session policy the same role can do both.
    full, _ = assume(alice, ROLE, "full")
    full.iam.list_roles()


def test_managed_session_policies_limit_the_session(root, make_user, assume):
    make_role(root, None, allow(["iam:ListUsers", "iam:ListRoles"]))
    arn = root.iam.create_policy(PolicyName="only-roles", PolicyDocument=policy_doc(allow("iam:ListRoles")))["Policy"][
        "Arn"
    ]
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, _ = assume(alice, ROLE, PolicyArns=[{"arn": arn}])
    session.iam.list_roles()
    expect_error("AccessDenied", session.iam.list_users, status=403)


def test_aws_managed_policy_as_session_policy(root, make_user, assume):
    make_role(root, None, allow(["iam:ListUsers", "iam:CreateUser"]))
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, _ = assume(alice, ROLE, PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
    # ReadOnlyAccess allows iam:List*, not iam:CreateUser.
    session.iam.list_users()
    expect_error("AccessDenied", session.iam.create_user, UserName="x", status=403)


def test_malformed_session_policy(root, make_user):
    make_role(root, None, allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole"))
    expect_error(
        "MalformedPolicyDocument",
        alice.sts.assume_role,
        RoleArn=ROLE,
        RoleSessionName="session",
        Policy="{",
        status=400,
    )


def test_session_tags(root, make_user, assume):
    # Passing session tags needs sts:TagSession in the trust policy (IAM User Guide, "Passing
    # session tags in AWS STS"); the tags become aws:PrincipalTag/* of the session.
    trust = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    )
    make_role(
        root,
        trust,
        allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/project": "blue"}}),
    )
    alice = make_user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    blue, _ = assume(alice, ROLE, "blue", Tags=[{"Key": "project", "Value": "blue"}])
    blue.iam.list_users()
    red, _ = assume(alice, ROLE, "red", Tags=[{"Key": "project", "Value": "red"}])
    expect_error("AccessDenied", red.iam.list_users, status=403)
    untagged, _ = assume(alice, ROLE, "untagged")
    expect_error("AccessDenied", untagged.iam.list_users)


def test_session_tags_need_tag_session_in_the_trust_policy(root, make_user):
    make_role(root, None, allow("iam:ListUsers"))
    alice = make_user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    expect_error(
        "AccessDenied",
        alice.sts.assume_role,
        RoleArn=ROLE,
        RoleSessionName="session",
        Tags=[{"Key": "project", "Value": "blue"}],
        status=403,
    )


def test_role_tags_are_principal_tags_of_the_session(root, make_user, assume):
    make_role(
        root,
        None,
        allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "platform"}}),
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, _ = assume(alice, ROLE)
    session.iam.list_users()


def test_role_policy_changes_apply_to_existing_sessions(root, make_user, assume):
    make_role(root, None, allow("iam:ListUsers"))
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, _ = assume(alice, ROLE)
    session.iam.list_users()
    root.iam.put_role_policy(RoleName="app", PolicyName="perms", PolicyDocument=policy_doc(allow("iam:ListRoles")))
    expect_error("AccessDenied", session.iam.list_users, status=403)
    session.iam.list_roles()


def test_sessions_with_the_same_name_keep_their_own_session_policies(root, make_user, assume):
    # Every AssumeRole call returns new credentials whose permissions are the intersection of the
    # role's policies and the session policies passed in that call; a session name is only a label.
    make_role(root, None, allow(["iam:ListUsers", "iam:ListRoles"]))
    alice = make_user("alice", allow("sts:AssumeRole"))
    broad, _ = assume(alice, ROLE, "same-name", Policy=policy_doc(allow(["iam:ListUsers", "iam:ListRoles"])))
    narrow, _ = assume(alice, ROLE, "same-name", Policy=policy_doc(allow("iam:ListRoles")))
    broad.iam.list_users()
    narrow.iam.list_roles()
    expect_error("AccessDenied", narrow.iam.list_users, status=403)
    broad.iam.list_users()


def test_access_key_info_names_the_account_of_any_key(root, make_user, assume):
    """STS API Reference, GetAccessKeyInfo: the account of a long-term or temporary key."""
    alice = make_user("alice", allow("sts:GetAccessKeyInfo"), allow("sts:AssumeRole"))
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account())
    session, _ = assume(alice, f"arn:aws:iam::{ACCOUNT}:role/r")
    for key in (alice.key_id, session.key_id, root.key_id):
        assert alice.sts.get_access_key_info(AccessKeyId=key)["Account"] == ACCOUNT
    expect_error("InvalidParameterValue", alice.sts.get_access_key_info, AccessKeyId="AKIAEXAMPLEUNKNOWN01")
    bob = make_user("bob")
    expect_error("AccessDenied", bob.sts.get_access_key_info, AccessKeyId=alice.key_id)


def test_monban_issues_no_encoded_authorization_messages(root):
    """STS API Reference, DecodeAuthorizationMessage: monban's denials are not encoded, so nothing
    decodes."""
    expect_error("InvalidAuthorizationMessageException", root.sts.decode_authorization_message,
                 EncodedMessage="not-an-encoded-message")


def test_a_user_s_own_session_ends_with_the_user(root, make_user, server):
    """A GetSessionToken session belongs to the user's unique id: deleting the user ends it, and a
    new user of the same name does not revive it."""
    bob = make_user("bob")
    creds = bob.sts.get_session_token(DurationSeconds=900)["Credentials"]
    session = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    root.iam.delete_access_key(UserName="bob", AccessKeyId=bob.key_id)
    root.iam.delete_user(UserName="bob")
    expect_error("InvalidClientTokenId", session.sts.get_caller_identity)
    root.iam.create_user(UserName="bob")
    expect_error("InvalidClientTokenId", session.sts.get_caller_identity)


def test_federated_users_are_named_by_their_maker_and_call_only_get_caller_identity(root, make_user, server):
    """STS API Reference, GetFederationToken: an IAM user makes temporary credentials for a named
    federated user (`arn:aws:sts::ACCOUNT:federated-user/NAME`, id `ACCOUNT:NAME`); they call no
    IAM or STS operation besides GetCallerIdentity, and end with their maker."""
    fed_arn = f"arn:aws:sts::{ACCOUNT}:federated-user/partner"
    alice = make_user("alice", allow("sts:GetFederationToken", fed_arn), allow("iam:*"), allow("sts:AssumeRole"))
    made = alice.sts.get_federation_token(Name="partner", Policy=policy_doc(allow("s3:GetObject")))
    assert made["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:partner", "Arn": fed_arn}
    assert 0 < made["PackedPolicySize"] < 100
    creds = made["Credentials"]
    partner = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = partner.sts.get_caller_identity()
    assert (identity["Arn"], identity["UserId"]) == (fed_arn, f"{ACCOUNT}:partner")
    expect_error("AccessDenied", partner.iam.list_users)
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account())
    expect_error("AccessDenied", partner.sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="x1")
    expect_error("AccessDenied", partner.sts.get_federation_token, Name="again")
    # Only the names the maker's policy allows.
    expect_error("AccessDenied", alice.sts.get_federation_token, Name="someone-else")
    # A federated user ends with the user who made it.
    root.iam.delete_user_policy(UserName="alice", PolicyName="inline")
    root.iam.delete_access_key(UserName="alice", AccessKeyId=alice.key_id)
    root.iam.delete_user(UserName="alice")
    expect_error("InvalidClientTokenId", partner.sts.get_caller_identity)
