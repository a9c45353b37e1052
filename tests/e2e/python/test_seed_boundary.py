"""The permissions-boundary scenario, end to end.

A user allowed iam:CreateRole, iam:PutRolePolicy and sts:AssumeRole can create a role that
trusts its account, give it "*" on "*" and assume it: privilege escalation succeeds. Conditioning
CreateRole/PutRolePolicy on `iam:PermissionsBoundary` = a boundary policy stops it: CreateRole
without that boundary is denied, with it succeeds, and the assumed session cannot do what the
boundary does not allow (IAM User Guide, "Permissions boundaries for IAM entities" and its
delegation example; the iam:PermissionsBoundary condition key applies to CreateRole and
PutRolePolicy in the Service Authorization Reference).
"""

import json

from helpers import ACCOUNT, allow, expect_error, policy_doc, trust_account

BOUNDARY_NAME = "my-permissions-boundary"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARY_NAME}"
EVERYTHING = policy_doc(allow("*"))


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_escalation_through_a_new_role_succeeds(root, make_user, assume):
    developer = make_user(
        "developer",
        allow(["iam:CreateRole", "iam:PutRolePolicy"]),
        allow(["sts:AssumeRole"]),
    )
    # On its own the user cannot create users or attach policies.
    expect_error("AccessDenied", developer.iam.create_user, UserName="mallory")
    expect_error(
        "AccessDenied",
        developer.iam.attach_user_policy,
        UserName="developer",
        PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
    )

    developer.iam.create_role(RoleName="escalate", AssumeRolePolicyDocument=trust_account())
    developer.iam.put_role_policy(RoleName="escalate", PolicyName="everything", PolicyDocument=EVERYTHING)
    session, response = assume(developer, role_arn("escalate"), "escalated")
    assert response["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/escalate/escalated"

    # The session can do anything the user could not.
    session.iam.create_user(UserName="mallory")
    session.iam.attach_user_policy(UserName="developer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    developer.iam.create_user(UserName="now-possible")
    assert {u["UserName"] for u in root.iam.list_users()["Users"]} == {"developer", "mallory", "now-possible"}


def setup_boundary(root, make_user):
    root.iam.create_policy(
        PolicyName=BOUNDARY_NAME,
        PolicyDocument=policy_doc(allow(["iam:CreateRole", "iam:PutRolePolicy", "sts:AssumeRole"])),
    )
    developer = make_user(
        "developer",
        allow(
            ["iam:CreateRole", "iam:PutRolePolicy"],
            Condition={"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}},
        ),
        allow(["sts:AssumeRole"]),
    )
    root.iam.put_user_permissions_boundary(UserName="developer", PermissionsBoundary=BOUNDARY)
    return developer


def test_create_role_without_the_boundary_is_denied(root, make_user):
    developer = setup_boundary(root, make_user)
    error = expect_error(
        "AccessDenied",
        developer.iam.create_role,
        RoleName="app-role",
        AssumeRolePolicyDocument=trust_account(),
        status=403,
    )
    message = error.response["Error"]["Message"]
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/developer is not authorized to perform: iam:CreateRole on resource: "
        f"arn:aws:iam::{ACCOUNT}:role/app-role because no identity-based policy allows the iam:CreateRole action"
    )
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="app-role")

    # Another boundary does not satisfy the condition either.
    other = root.iam.create_policy(PolicyName="other", PolicyDocument=EVERYTHING)["Policy"]["Arn"]
    expect_error(
        "AccessDenied",
        developer.iam.create_role,
        RoleName="app-role",
        AssumeRolePolicyDocument=trust_account(),
        PermissionsBoundary=other,
    )
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="app-role")


def test_boundary_stops_the_escalation(root, make_user, assume):
    developer = setup_boundary(root, make_user)
    role = developer.iam.create_role(
        RoleName="app-role", AssumeRolePolicyDocument=trust_account(), PermissionsBoundary=BOUNDARY
    )["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    # PutRolePolicy on a role whose boundary is the required one is allowed.
    developer.iam.put_role_policy(RoleName="app-role", PolicyName="everything", PolicyDocument=EVERYTHING)
    assert root.iam.get_role_policy(RoleName="app-role", PolicyName="everything")["PolicyDocument"] == json.loads(
        EVERYTHING
    )

    session, _ = assume(developer, role_arn("app-role"), "s1")
    error = expect_error("AccessDenied", session.iam.create_user, UserName="mallory", status=403)
    assert error.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s1 is not authorized to perform: iam:CreateUser on "
        f"resource: arn:aws:iam::{ACCOUNT}:user/mallory because no permissions boundary allows the iam:CreateUser action"
    )
    expect_error(
        "AccessDenied",
        session.iam.attach_user_policy,
        UserName="developer",
        PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    expect_error("AccessDenied", session.iam.list_users)
    expect_error("NoSuchEntity", root.iam.get_user, UserName="mallory")
    assert root.iam.list_attached_user_policies(UserName="developer").get("AttachedPolicies", []) == []

    # What the boundary allows, the session can still do (both the role's "*" and the boundary
    # allow iam:CreateRole).
    session.iam.create_role(RoleName="inner", AssumeRolePolicyDocument=trust_account(), PermissionsBoundary=BOUNDARY)


def test_removing_the_boundary_from_the_role_is_denied_to_the_developer(root, make_user):
    developer = setup_boundary(root, make_user)
    developer.iam.create_role(
        RoleName="app-role", AssumeRolePolicyDocument=trust_account(), PermissionsBoundary=BOUNDARY
    )
    expect_error("AccessDenied", developer.iam.delete_role_permissions_boundary, RoleName="app-role")
    expect_error(
        "AccessDenied",
        developer.iam.put_role_permissions_boundary,
        RoleName="app-role",
        PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    assert root.iam.get_role(RoleName="app-role")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
