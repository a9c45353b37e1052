"""Every IAM call is authorized as AWS authorizes it, and a denial is worded as AWS words it.

Message forms (IAM User Guide, "Troubleshoot access denied error messages"):
  User: PRINCIPAL is not authorized to perform: ACTION on resource: RESOURCE because no identity-based policy allows the ACTION action
  User: PRINCIPAL is not authorized to perform: ACTION on resource: RESOURCE because no permissions boundary allows the ACTION action
  User: PRINCIPAL is not authorized to perform: ACTION on resource: RESOURCE with an explicit deny in an identity-based policy
"""

from helpers import ACCOUNT, allow, deny, expect_error, policy_doc, trust_account


def denied_message(principal, action, resource, reason):
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {reason}"


USER = f"arn:aws:iam::{ACCOUNT}:user"


def test_user_without_permissions_is_denied_in_aws_words(make_user):
    bob = make_user("bob")
    error = expect_error("AccessDenied", bob.iam.create_user, UserName="x", status=403)
    assert error.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/x because no identity-based policy allows the iam:CreateUser action"
    )
    assert error.response["Error"].get("Type", "Sender") == "Sender"


def test_denied_write_stores_nothing(root, make_user):
    bob = make_user("bob")
    expect_error("AccessDenied", bob.iam.create_user, UserName="x")
    expect_error(
        "AccessDenied", bob.iam.put_user_policy, UserName="bob", PolicyName="p", PolicyDocument=policy_doc(allow("*"))
    )
    expect_error("NoSuchEntity", root.iam.get_user, UserName="x")
    assert root.iam.list_user_policies(UserName="bob")["PolicyNames"] == []


def test_resource_in_the_message_includes_the_path(root, make_user):
    root.iam.create_user(UserName="target", Path="/eng/")
    bob = make_user("bob")
    error = expect_error("AccessDenied", bob.iam.get_user, UserName="target")
    assert error.response["Error"]["Message"] == denied_message(
        f"{USER}/bob",
        "iam:GetUser",
        f"{USER}/eng/target",
        "because no identity-based policy allows the iam:GetUser action",
    )


def test_explicit_deny_wins(root, make_user):
    carol = make_user("carol", allow("iam:*"), deny("iam:DeleteUser"))
    carol.iam.create_user(UserName="temp")
    error = expect_error("AccessDenied", carol.iam.delete_user, UserName="temp", status=403)
    assert error.response["Error"]["Message"] == denied_message(
        f"{USER}/carol", "iam:DeleteUser", f"{USER}/temp", "with an explicit deny in an identity-based policy"
    )
    root.iam.get_user(UserName="temp")


def test_explicit_deny_from_a_group_or_managed_policy(root, make_user):
    root.iam.create_group(GroupName="no-delete")
    root.iam.put_group_policy(GroupName="no-delete", PolicyName="d", PolicyDocument=policy_doc(deny("iam:DeleteUser")))
    arn = root.iam.create_policy(PolicyName="no-tags", PolicyDocument=policy_doc(deny("iam:TagUser")))["Policy"]["Arn"]
    dave = make_user("dave", allow("iam:*"), groups=["no-delete"], managed=[arn])
    dave.iam.create_user(UserName="temp")
    expect_error("AccessDenied", dave.iam.delete_user, UserName="temp")
    expect_error("AccessDenied", dave.iam.tag_user, UserName="temp", Tags=[{"Key": "a", "Value": "b"}])


def test_resource_scoped_permissions(make_user):
    alice = make_user("alice", allow(["iam:GetUser", "iam:ListAccessKeys"], f"{USER}/alice"))
    alice.iam.get_user(UserName="alice")
    alice.iam.list_access_keys(UserName="alice")
    expect_error("AccessDenied", alice.iam.get_user, UserName="root-like")
    expect_error("AccessDenied", alice.iam.list_users)


def test_policy_variables(make_user, root):
    root.iam.create_user(UserName="other")
    own = {"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::*:user/${aws:username}"}
    alice = make_user("alice", own)
    alice.iam.create_access_key(UserName="alice")
    expect_error("AccessDenied", alice.iam.create_access_key, UserName="other")


def test_action_names_are_case_insensitive(make_user):
    # IAM JSON policy elements, Action: "action names are not case-sensitive".
    alice = make_user("alice", allow("IAM:listusers"))
    alice.iam.list_users()


def test_not_action(make_user):
    alice = make_user("alice", {"Effect": "Allow", "NotAction": "iam:CreateUser", "Resource": "*"})
    alice.iam.list_users()
    alice.iam.create_group(GroupName="g")
    expect_error("AccessDenied", alice.iam.create_user, UserName="x")


def test_user_permissions_boundary_limits_the_user(root, make_user):
    boundary = root.iam.create_policy(
        PolicyName="boundary", PolicyDocument=policy_doc(allow(["iam:ListUsers", "iam:GetUser"]))
    )["Policy"]["Arn"]
    erin = make_user("erin", allow("iam:*"), boundary=boundary)
    erin.iam.list_users()
    error = expect_error("AccessDenied", erin.iam.create_user, UserName="x", status=403)
    assert error.response["Error"]["Message"] == denied_message(
        f"{USER}/erin",
        "iam:CreateUser",
        f"{USER}/x",
        "because no permissions boundary allows the iam:CreateUser action",
    )
    # The boundary alone grants nothing.
    frank = make_user("frank", boundary=boundary)
    expect_error("AccessDenied", frank.iam.list_users)
    # Removing the boundary lifts the limit.
    root.iam.delete_user_permissions_boundary(UserName="erin")
    erin.iam.create_user(UserName="x")


def test_condition_on_request_tags(make_user):
    # aws:RequestTag/* and aws:TagKeys on CreateUser with tags.
    statement = allow(
        ["iam:CreateUser", "iam:TagUser"],
        Condition={
            "StringEquals": {"aws:RequestTag/team": "blue"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
        },
    )
    alice = make_user("alice", statement)
    alice.iam.create_user(UserName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
    expect_error("AccessDenied", alice.iam.create_user, UserName="red", Tags=[{"Key": "team", "Value": "red"}])
    expect_error("AccessDenied", alice.iam.create_user, UserName="untagged")
    expect_error(
        "AccessDenied",
        alice.iam.create_user,
        UserName="extra",
        Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}],
    )


def test_condition_on_resource_tags(root, make_user):
    root.iam.create_role(
        RoleName="mine", AssumeRolePolicyDocument=trust_account(), Tags=[{"Key": "owner", "Value": "alice"}]
    )
    root.iam.create_role(
        RoleName="theirs", AssumeRolePolicyDocument=trust_account(), Tags=[{"Key": "owner", "Value": "bob"}]
    )
    alice = make_user(
        "alice", allow("iam:DeleteRole", Condition={"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}})
    )
    alice.iam.delete_role(RoleName="mine")
    expect_error("AccessDenied", alice.iam.delete_role, RoleName="theirs")


def test_condition_on_a_managed_policys_tags(root, make_user):
    # Service Authorization Reference, IAM: the `policy` resource type supports aws:ResourceTag/${TagKey}.
    tagged = root.iam.create_policy(
        PolicyName="team-a", PolicyDocument=policy_doc(allow("s3:GetObject")), Tags=[{"Key": "team", "Value": "a"}]
    )["Policy"]["Arn"]
    other = root.iam.create_policy(PolicyName="team-b", PolicyDocument=policy_doc(allow("s3:GetObject")))["Policy"]["Arn"]
    alice = make_user("alice", allow("iam:GetPolicy", Condition={"StringEquals": {"aws:ResourceTag/team": "a"}}))
    assert alice.iam.get_policy(PolicyArn=tagged)["Policy"]["Arn"] == tagged
    expect_error("AccessDenied", alice.iam.get_policy, PolicyArn=other)


def test_condition_on_principal_tags(root, make_user):
    alice = make_user("alice", allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/dept": "it"}}))
    expect_error("AccessDenied", alice.iam.list_users)
    root.iam.tag_user(UserName="alice", Tags=[{"Key": "dept", "Value": "it"}])
    alice.iam.list_users()


def test_condition_on_policy_arn(root, make_user):
    allowed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    root.iam.create_user(UserName="target")
    alice = make_user("alice", allow("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": allowed}}))
    alice.iam.attach_user_policy(UserName="target", PolicyArn=allowed)
    expect_error(
        "AccessDenied",
        alice.iam.attach_user_policy,
        UserName="target",
        PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
    )


def test_condition_on_source_ip_and_secure_transport(make_user):
    loopback = make_user("loop", allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    loopback.iam.list_users()
    elsewhere = make_user("far", allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    expect_error("AccessDenied", elsewhere.iam.list_users)
    # The suite talks plain HTTP, so aws:SecureTransport is false.
    tls_only = make_user("tls", allow("iam:ListUsers"), deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    expect_error("AccessDenied", tls_only.iam.list_users)


def test_principal_context_keys(root, make_user):
    alice = make_user(
        "alice",
        allow(
            "iam:ListUsers",
            Condition={
                "StringEquals": {
                    "aws:PrincipalType": "User",
                    "aws:PrincipalAccount": ACCOUNT,
                    "aws:username": "alice",
                },
                "ArnEquals": {"aws:PrincipalArn": f"{USER}/alice"},
            },
        ),
    )
    alice.iam.list_users()
    user_id = root.iam.get_user(UserName="alice")["User"]["UserId"]
    root.iam.put_user_policy(
        UserName="alice",
        PolicyName="inline",
        PolicyDocument=policy_doc(allow("iam:ListUsers", Condition={"StringEquals": {"aws:userid": user_id}})),
    )
    alice.iam.list_users()


def test_root_may_do_everything(root):
    # Even an account-wide set of explicit denies on users does not bind the root user.
    root.iam.create_user(UserName="a")
    root.iam.create_group(GroupName="g")
    root.iam.add_user_to_group(GroupName="g", UserName="a")
    root.iam.put_group_policy(GroupName="g", PolicyName="deny", PolicyDocument=policy_doc(deny("*")))
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account())
    root.iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    root.iam.create_account_alias(AccountAlias="root-can")
    root.iam.get_account_summary()
    root.iam.detach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    root.iam.delete_role(RoleName="r")
