"""Roles, managed policies and their versions, inline policies, attachments, permissions
boundaries, instance profiles, account aliases, GetAccountSummary and AWS managed policies
(IAM API reference; quotas from "IAM and AWS STS quotas")."""

import json
import re

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, allow, expect_error, policy_doc, trust_account

LIST_USERS = policy_doc(allow("iam:ListUsers"))
GET_USER = policy_doc(allow("iam:GetUser"))


def policy_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


# Roles -------------------------------------------------------------------------------------


def test_create_get_update_delete_role(root):
    trust = trust_account()
    role = root.iam.create_role(RoleName="app", Path="/svc/", AssumeRolePolicyDocument=trust, Description="the app")[
        "Role"
    ]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/app"
    assert re.fullmatch(r"AROA[A-Z0-9]{16,}", role["RoleId"])
    assert role["Path"] == "/svc/"

    got = root.iam.get_role(RoleName="app")["Role"]
    # botocore decodes the URL-encoded policy document of the response into a dict.
    assert got["AssumeRolePolicyDocument"] == json.loads(trust)
    # API reference, CreateRole, MaxSessionDuration: "the default value of one hour is applied".
    assert got["MaxSessionDuration"] == 3600
    assert got["Description"] == "the app"

    root.iam.update_role(RoleName="app", MaxSessionDuration=43200, Description="changed")
    got = root.iam.get_role(RoleName="app")["Role"]
    assert got["MaxSessionDuration"] == 43200
    assert got["Description"] == "changed"
    # API reference, UpdateRoleDescription: the older form, which answers with the role.
    described = root.iam.update_role_description(RoleName="app", Description="described")["Role"]
    assert (described["RoleName"], described["Description"]) == ("app", "described")
    assert root.iam.get_role(RoleName="app")["Role"]["Description"] == "described"

    new_trust = policy_doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    root.iam.update_assume_role_policy(RoleName="app", PolicyDocument=new_trust)
    assert root.iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)

    assert [r["RoleName"] for r in root.iam.list_roles()["Roles"]] == ["app"]
    assert root.iam.list_roles(PathPrefix="/other/")["Roles"] == []
    root.iam.delete_role(RoleName="app")
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="app", status=404)


def test_role_max_session_duration_bounds(root):
    # Model: roleMaxSessionDurationType is an integer from 3600 to 43200.
    expect_error(
        "ValidationError",
        root.iam.create_role,
        RoleName="too-long",
        AssumeRolePolicyDocument=trust_account(),
        MaxSessionDuration=43201,
        status=400,
    )
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="too-long")
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account(), MaxSessionDuration=7200)
    assert root.iam.get_role(RoleName="r")["Role"]["MaxSessionDuration"] == 7200
    expect_error("ValidationError", root.iam.update_role, RoleName="r", MaxSessionDuration=50000)
    assert root.iam.get_role(RoleName="r")["Role"]["MaxSessionDuration"] == 7200


def test_role_tags(root):
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account(), Tags=[{"Key": "env", "Value": "prod"}])
    root.iam.tag_role(RoleName="r", Tags=[{"Key": "owner", "Value": "alice"}])
    tags = {t["Key"]: t["Value"] for t in root.iam.list_role_tags(RoleName="r")["Tags"]}
    assert tags == {"env": "prod", "owner": "alice"}
    root.iam.untag_role(RoleName="r", TagKeys=["env"])
    assert root.iam.list_role_tags(RoleName="r")["Tags"] == [{"Key": "owner", "Value": "alice"}]
    assert root.iam.get_role(RoleName="r")["Role"]["Tags"] == [{"Key": "owner", "Value": "alice"}]


# Managed policies and versions --------------------------------------------------------------


def test_create_policy(root):
    policy = root.iam.create_policy(
        PolicyName="list-users", Path="/team/", PolicyDocument=LIST_USERS, Description="lists"
    )["Policy"]
    assert policy["Arn"] == policy_arn("list-users", "/team/")
    assert re.fullmatch(r"ANPA[A-Z0-9]{16,}", policy["PolicyId"])
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0
    assert policy["PermissionsBoundaryUsageCount"] == 0
    assert policy["IsAttachable"] is True

    got = root.iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
    assert got["PolicyName"] == "list-users"
    assert got["Description"] == "lists"
    version = root.iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(LIST_USERS)
    assert version["IsDefaultVersion"] is True
    assert version["VersionId"] == "v1"
    local = root.iam.list_policies(Scope="Local")["Policies"]
    assert [p["Arn"] for p in local] == [policy["Arn"]]


def test_policy_versions(root):
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    v2 = root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER)["PolicyVersion"]
    assert v2["VersionId"] == "v2"
    assert v2["IsDefaultVersion"] is False
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"

    v3 = root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER, SetAsDefault=True)
    assert v3["PolicyVersion"]["VersionId"] == "v3"
    assert v3["PolicyVersion"]["IsDefaultVersion"] is True
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"

    root.iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    versions = root.iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted((v["VersionId"], v["IsDefaultVersion"]) for v in versions) == [
        ("v1", True),
        ("v2", False),
        ("v3", False),
    ]
    expect_error("NoSuchEntity", root.iam.set_default_policy_version, PolicyArn=arn, VersionId="v9")

    # At most five versions: "A managed policy can have up to five versions" (IAM quotas).
    root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER)
    root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER)
    expect_error("LimitExceeded", root.iam.create_policy_version, PolicyArn=arn, PolicyDocument=GET_USER, status=409)
    assert len(root.iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5

    # The default version cannot be deleted; others can, and then a new version fits again.
    expect_error("DeleteConflict", root.iam.delete_policy_version, PolicyArn=arn, VersionId="v1", status=409)
    root.iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    v6 = root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER)["PolicyVersion"]
    assert v6["VersionId"] == "v6"
    expect_error("NoSuchEntity", root.iam.get_policy_version, PolicyArn=arn, VersionId="v2")


def test_delete_policy_conflicts(root):
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER)
    # API reference, DeletePolicy: detach it from every user, group and role and delete every
    # non-default version first.
    expect_error("DeleteConflict", root.iam.delete_policy, PolicyArn=arn, status=409)
    root.iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    root.iam.create_user(UserName="alice")
    root.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    expect_error("DeleteConflict", root.iam.delete_policy, PolicyArn=arn, status=409)
    root.iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    root.iam.delete_policy(PolicyArn=arn)
    expect_error("NoSuchEntity", root.iam.get_policy, PolicyArn=arn, status=404)


# Attachments --------------------------------------------------------------------------------


def test_attach_detach_and_list_entities_for_policy(root):
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_user(UserName="alice")
    root.iam.create_group(GroupName="devs")
    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    root.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    root.iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    root.iam.attach_role_policy(RoleName="app", PolicyArn=arn)

    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    for listed in (
        root.iam.list_attached_user_policies(UserName="alice"),
        root.iam.list_attached_group_policies(GroupName="devs"),
        root.iam.list_attached_role_policies(RoleName="app"),
    ):
        assert listed["AttachedPolicies"] == [{"PolicyName": "p", "PolicyArn": arn}]

    entities = root.iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["alice"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["devs"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["app"]
    assert entities["PolicyUsers"][0]["UserId"] == root.iam.get_user(UserName="alice")["User"]["UserId"]
    only_roles = root.iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert only_roles.get("PolicyUsers", []) == [] and only_roles.get("PolicyGroups", []) == []
    assert [r["RoleName"] for r in only_roles["PolicyRoles"]] == ["app"]

    attached_only = root.iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in attached_only] == [arn]

    root.iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    root.iam.detach_group_policy(GroupName="devs", PolicyArn=arn)
    root.iam.detach_role_policy(RoleName="app", PolicyArn=arn)
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    entities = root.iam.list_entities_for_policy(PolicyArn=arn)
    for kind in ("PolicyUsers", "PolicyGroups", "PolicyRoles"):
        assert entities.get(kind, []) == [], entities
    expect_error("NoSuchEntity", root.iam.detach_user_policy, UserName="alice", PolicyArn=arn)


def test_attach_errors(root):
    root.iam.create_user(UserName="alice")
    expect_error("NoSuchEntity", root.iam.attach_user_policy, UserName="alice", PolicyArn=policy_arn("missing"))
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    expect_error("NoSuchEntity", root.iam.attach_user_policy, UserName="nobody", PolicyArn=arn)
    # A malformed ARN is InvalidInput ("ARN ... is not valid.").
    expect_error(
        "InvalidInput", root.iam.attach_user_policy, UserName="alice", PolicyArn="not-an-arn-at-all-xyz", status=400
    )


def test_attached_policies_per_user_quota(root):
    # IAM quotas: managed policies attached to an IAM user, default 10.
    root.iam.create_user(UserName="alice")
    arns = [root.iam.create_policy(PolicyName=f"p{i}", PolicyDocument=LIST_USERS)["Policy"]["Arn"] for i in range(11)]
    for arn in arns[:10]:
        root.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    expect_error("LimitExceeded", root.iam.attach_user_policy, UserName="alice", PolicyArn=arns[10], status=409)
    assert len(root.iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]) == 10


# Inline policies ---------------------------------------------------------------------------


def test_inline_policies_for_users_groups_and_roles(root):
    root.iam.create_user(UserName="alice")
    root.iam.create_group(GroupName="devs")
    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    root.iam.put_user_policy(UserName="alice", PolicyName="u", PolicyDocument=LIST_USERS)
    root.iam.put_group_policy(GroupName="devs", PolicyName="g", PolicyDocument=LIST_USERS)
    root.iam.put_role_policy(RoleName="app", PolicyName="r", PolicyDocument=LIST_USERS)

    got = root.iam.get_user_policy(UserName="alice", PolicyName="u")
    assert (got["UserName"], got["PolicyName"], got["PolicyDocument"]) == ("alice", "u", json.loads(LIST_USERS))
    got = root.iam.get_group_policy(GroupName="devs", PolicyName="g")
    assert (got["GroupName"], got["PolicyName"], got["PolicyDocument"]) == ("devs", "g", json.loads(LIST_USERS))
    got = root.iam.get_role_policy(RoleName="app", PolicyName="r")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("app", "r", json.loads(LIST_USERS))
    assert root.iam.list_user_policies(UserName="alice")["PolicyNames"] == ["u"]
    assert root.iam.list_group_policies(GroupName="devs")["PolicyNames"] == ["g"]
    assert root.iam.list_role_policies(RoleName="app")["PolicyNames"] == ["r"]

    # Putting a policy under an existing name replaces it.
    root.iam.put_user_policy(UserName="alice", PolicyName="u", PolicyDocument=GET_USER)
    assert root.iam.get_user_policy(UserName="alice", PolicyName="u")["PolicyDocument"] == json.loads(GET_USER)
    assert root.iam.list_user_policies(UserName="alice")["PolicyNames"] == ["u"]

    root.iam.delete_user_policy(UserName="alice", PolicyName="u")
    root.iam.delete_group_policy(GroupName="devs", PolicyName="g")
    root.iam.delete_role_policy(RoleName="app", PolicyName="r")
    assert root.iam.list_user_policies(UserName="alice")["PolicyNames"] == []
    expect_error("NoSuchEntity", root.iam.get_user_policy, UserName="alice", PolicyName="u", status=404)
    expect_error("NoSuchEntity", root.iam.delete_role_policy, RoleName="app", PolicyName="r", status=404)


# Delete conflicts ---------------------------------------------------------------------------


def test_delete_user_conflicts(root):
    # API reference, DeleteUser: delete the user's access keys, inline policies, attached managed
    # policies and group memberships first.
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_group(GroupName="devs")
    root.iam.create_user(UserName="alice")
    key = root.iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    root.iam.put_user_policy(UserName="alice", PolicyName="u", PolicyDocument=LIST_USERS)
    root.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    root.iam.add_user_to_group(GroupName="devs", UserName="alice")

    expect_error("DeleteConflict", root.iam.delete_user, UserName="alice", status=409)
    root.iam.delete_access_key(UserName="alice", AccessKeyId=key)
    expect_error("DeleteConflict", root.iam.delete_user, UserName="alice")
    root.iam.delete_user_policy(UserName="alice", PolicyName="u")
    expect_error("DeleteConflict", root.iam.delete_user, UserName="alice")
    root.iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    expect_error("DeleteConflict", root.iam.delete_user, UserName="alice")
    root.iam.remove_user_from_group(GroupName="devs", UserName="alice")
    root.iam.delete_user(UserName="alice")
    expect_error("NoSuchEntity", root.iam.get_user, UserName="alice")


def test_delete_group_conflicts(root):
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_group(GroupName="devs")
    root.iam.create_user(UserName="alice")
    root.iam.add_user_to_group(GroupName="devs", UserName="alice")
    root.iam.put_group_policy(GroupName="devs", PolicyName="g", PolicyDocument=LIST_USERS)
    root.iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    expect_error("DeleteConflict", root.iam.delete_group, GroupName="devs", status=409)
    root.iam.remove_user_from_group(GroupName="devs", UserName="alice")
    expect_error("DeleteConflict", root.iam.delete_group, GroupName="devs")
    root.iam.delete_group_policy(GroupName="devs", PolicyName="g")
    expect_error("DeleteConflict", root.iam.delete_group, GroupName="devs")
    root.iam.detach_group_policy(GroupName="devs", PolicyArn=arn)
    root.iam.delete_group(GroupName="devs")
    expect_error("NoSuchEntity", root.iam.get_group, GroupName="devs")


def test_delete_role_conflicts(root):
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    root.iam.put_role_policy(RoleName="app", PolicyName="r", PolicyDocument=LIST_USERS)
    root.iam.attach_role_policy(RoleName="app", PolicyArn=arn)
    root.iam.create_instance_profile(InstanceProfileName="ip")
    root.iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="app")
    # API reference, DeleteRole: remove the role from instance profiles, delete its inline
    # policies and detach its managed policies first.
    expect_error("DeleteConflict", root.iam.delete_role, RoleName="app", status=409)
    root.iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="app")
    expect_error("DeleteConflict", root.iam.delete_role, RoleName="app")
    root.iam.delete_role_policy(RoleName="app", PolicyName="r")
    expect_error("DeleteConflict", root.iam.delete_role, RoleName="app")
    root.iam.detach_role_policy(RoleName="app", PolicyArn=arn)
    root.iam.delete_role(RoleName="app")
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="app")


# Permissions boundaries ----------------------------------------------------------------------


def test_user_permissions_boundary(root):
    arn = root.iam.create_policy(PolicyName="boundary", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_user(UserName="alice")
    root.iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=arn)
    user = root.iam.get_user(UserName="alice")["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    # A boundary is not an attachment.
    assert root.iam.list_attached_user_policies(UserName="alice").get("AttachedPolicies", []) == []
    root.iam.delete_user_permissions_boundary(UserName="alice")
    assert "PermissionsBoundary" not in root.iam.get_user(UserName="alice")["User"]
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    expect_error(
        "NoSuchEntity", root.iam.put_user_permissions_boundary, UserName="alice", PermissionsBoundary=policy_arn("x")
    )


def test_role_permissions_boundary(root):
    arn = root.iam.create_policy(PolicyName="boundary", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    role = root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account(), PermissionsBoundary=arn)[
        "Role"
    ]
    assert role["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    root.iam.delete_role_permissions_boundary(RoleName="app")
    assert "PermissionsBoundary" not in root.iam.get_role(RoleName="app")["Role"]
    root.iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    got = root.iam.get_role(RoleName="app")["Role"]["PermissionsBoundary"]
    assert got["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"


# Instance profiles ---------------------------------------------------------------------------


def test_instance_profiles(root):
    profile = root.iam.create_instance_profile(InstanceProfileName="web", Path="/ec2/")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/ec2/web"
    assert re.fullmatch(r"AIPA[A-Z0-9]{16,}", profile["InstanceProfileId"])
    assert profile["Roles"] == []
    root.iam.create_role(RoleName="a", AssumeRolePolicyDocument=trust_account())
    root.iam.create_role(RoleName="b", AssumeRolePolicyDocument=trust_account())
    root.iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="a")
    got = root.iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["a"]
    # IAM quotas: roles in an instance profile, 1.
    expect_error(
        "LimitExceeded", root.iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="b", status=409
    )
    listed = root.iam.list_instance_profiles_for_role(RoleName="a")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web"]
    assert [p["InstanceProfileName"] for p in root.iam.list_instance_profiles()["InstanceProfiles"]] == ["web"]
    expect_error("DeleteConflict", root.iam.delete_instance_profile, InstanceProfileName="web", status=409)
    root.iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="a")
    root.iam.delete_instance_profile(InstanceProfileName="web")
    expect_error("NoSuchEntity", root.iam.get_instance_profile, InstanceProfileName="web", status=404)
    expect_error("EntityAlreadyExists", root.iam.create_role, RoleName="a", AssumeRolePolicyDocument=trust_account())


def test_instance_profile_tags(root):
    """API reference, CreateInstanceProfile (Tags), TagInstanceProfile, ListInstanceProfileTags."""
    created = root.iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": "env", "Value": "prod"}])
    assert created["InstanceProfile"]["Tags"] == [{"Key": "env", "Value": "prod"}]
    root.iam.tag_instance_profile(InstanceProfileName="WEB", Tags=[{"Key": "team", "Value": "a"}])
    got = root.iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}]
    root.iam.untag_instance_profile(InstanceProfileName="web", TagKeys=["env"])
    assert root.iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == [{"Key": "team", "Value": "a"}]
    root.iam.delete_instance_profile(InstanceProfileName="web")
    expect_error("NoSuchEntity", root.iam.list_instance_profile_tags, InstanceProfileName="web", status=404)
    root.iam.create_instance_profile(InstanceProfileName="web")
    assert root.iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == []


# Account -------------------------------------------------------------------------------------


def test_account_alias(root):
    assert root.iam.list_account_aliases()["AccountAliases"] == []
    root.iam.create_account_alias(AccountAlias="my-company")
    assert root.iam.list_account_aliases()["AccountAliases"] == ["my-company"]
    root.iam.delete_account_alias(AccountAlias="my-company")
    assert root.iam.list_account_aliases()["AccountAliases"] == []
    # Model: accountAliasType ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$
    expect_error("ValidationError", root.iam.create_account_alias, AccountAlias="Bad_Alias", status=400)
    expect_error("ValidationError", root.iam.create_account_alias, AccountAlias="double--dash")
    expect_error("NoSuchEntity", root.iam.delete_account_alias, AccountAlias="not-there")


def test_account_summary(root):
    root.iam.create_user(UserName="alice")
    root.iam.create_user(UserName="bob")
    root.iam.create_group(GroupName="devs")
    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=GET_USER)
    root.iam.create_instance_profile(InstanceProfileName="ip")
    summary = root.iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 2
    assert summary["Groups"] == 1
    assert summary["Roles"] == 1
    assert summary["Policies"] == 1
    assert summary["InstanceProfiles"] == 1
    # Default quotas (IAM and AWS STS quotas).
    assert summary["AccessKeysPerUserQuota"] == 2
    assert summary["VersionsPerPolicyQuota"] == 5
    assert summary["GroupsPerUserQuota"] == 10
    assert summary["AttachedPoliciesPerUserQuota"] == 10
    assert summary["AccountMFAEnabled"] == 0
    # Every key of the API reference's GetAccountSummary example is there.
    assert {
        "GroupPolicySizeQuota", "InstanceProfilesQuota", "Policies", "GroupsPerUserQuota", "InstanceProfiles",
        "AttachedPoliciesPerUserQuota", "Users", "PoliciesQuota", "Providers", "AccountMFAEnabled",
        "AccessKeysPerUserQuota", "AssumeRolePolicySizeQuota", "PolicyVersionsInUseQuota", "GlobalEndpointTokenVersion",
        "VersionsPerPolicyQuota", "AttachedPoliciesPerGroupQuota", "PolicySizeQuota", "Groups",
        "AccountSigningCertificatesPresent", "UsersQuota", "ServerCertificatesQuota", "MFADevices",
        "UserPolicySizeQuota", "PolicyVersionsInUse", "ServerCertificates", "Roles", "RolesQuota",
        "SigningCertificatesPerUserQuota", "MFADevicesInUse", "RolePolicySizeQuota", "AttachedPoliciesPerRoleQuota",
        "AccountAccessKeysPresent", "AccountPasswordPresent", "GroupsQuota",
    } <= set(summary)
    root.iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert root.iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


# AWS managed policies ------------------------------------------------------------------------


def test_list_aws_managed_policies(root):
    seen = []
    kwargs = {"Scope": "AWS", "MaxItems": 500}
    while True:
        page = root.iam.list_policies(**kwargs)
        seen.extend(page["Policies"])
        if not page["IsTruncated"]:
            break
        kwargs["Marker"] = page["Marker"]
    arns = [p["Arn"] for p in seen]
    assert len(arns) == len(set(arns))
    assert len(arns) > 1000
    assert all(a.startswith("arn:aws:iam::aws:policy/") for a in arns)
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in arns
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in arns
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in arns
    read_only = next(p for p in seen if p["Arn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert read_only["PolicyName"] == "ReadOnlyAccess"
    assert read_only["Path"] == "/"
    assert read_only["IsAttachable"] is True
    # A customer policy is in Local and All, never in AWS.
    mine = root.iam.create_policy(PolicyName="mine", PolicyDocument=LIST_USERS)["Policy"]["Arn"]
    assert mine not in [p["Arn"] for p in root.iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]]
    assert [p["Arn"] for p in root.iam.list_policies(Scope="Local")["Policies"]] == [mine]


def test_default_list_policies_page_is_100(root):
    # API reference, MaxItems: "If you do not include this parameter, the number of items
    # defaults to 100."
    page = root.iam.list_policies()
    assert len(page["Policies"]) == 100
    assert page["IsTruncated"] is True


def test_aws_managed_policy_can_be_read_and_attached(server, root, make_user):
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    policy = root.iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"
    version = root.iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    assert isinstance(version["Document"], dict) and version["Document"]["Statement"]

    reader = make_user("reader", managed=[arn])
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    entities = root.iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["reader"]
    # ReadOnlyAccess allows iam:List* and iam:Get*, not iam:CreateUser.
    assert [u["UserName"] for u in reader.iam.list_users()["Users"]] == ["reader"]
    reader.iam.get_user(UserName="reader")
    expect_error("AccessDenied", reader.iam.create_user, UserName="x", status=403)
    attached = root.iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in attached] == [arn]


def test_aws_managed_policies_are_not_customer_editable(root):
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with pytest.raises(ClientError):
        root.iam.create_policy_version(PolicyArn=arn, PolicyDocument=LIST_USERS)
    with pytest.raises(ClientError):
        root.iam.delete_policy(PolicyArn=arn)
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "ReadOnlyAccess"


def test_policies_granting_service_access(root):
    """API reference, ListPoliciesGrantingServiceAccess: a user's own and its groups' policies that
    allow some action of each service, inline ones named with their entity."""
    root.iam.create_user(UserName="alice")
    root.iam.create_group(GroupName="devs")
    root.iam.add_user_to_group(GroupName="devs", UserName="alice")
    root.iam.put_user_policy(UserName="alice", PolicyName="s3-read",
                             PolicyDocument=policy_doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}))
    root.iam.put_group_policy(GroupName="devs", PolicyName="not-iam",
                              PolicyDocument=policy_doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    root.iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    entries = root.iam.list_policies_granting_service_access(
        Arn=f"arn:aws:iam::{ACCOUNT}:user/alice", ServiceNamespaces=["s3", "iam", "ec2"])["PoliciesGrantingServiceAccess"]
    by_service = {e["ServiceNamespace"]: sorted(p["PolicyName"] for p in e["Policies"]) for e in entries}
    assert by_service == {"s3": ["not-iam", "s3-read"], "iam": ["IAMReadOnlyAccess"], "ec2": ["not-iam"]}
    [iam] = [e for e in entries if e["ServiceNamespace"] == "iam"]
    assert iam["Policies"][0] == {"PolicyName": "IAMReadOnlyAccess", "PolicyType": "MANAGED",
                                  "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}
    [s3] = [e for e in entries if e["ServiceNamespace"] == "s3"]
    assert {"PolicyName": "not-iam", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": "devs"} in s3["Policies"]
    expect_error("NoSuchEntity", root.iam.list_policies_granting_service_access,
                 Arn=f"arn:aws:iam::{ACCOUNT}:user/nobody", ServiceNamespaces=["s3"])


def test_a_policy_arn_of_this_account_named_like_an_aws_policy_is_not_aws_s(root, make_user):
    """Only `arn:aws:iam::aws:policy/...` names an AWS managed policy: a caller allowed to attach only
    its account's policies cannot attach AdministratorAccess by writing its account id in the ARN."""
    alice = make_user("alice", allow("iam:AttachUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/alice",
                                     Condition={"ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/*"}}))
    fake = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
    expect_error("NoSuchEntity", alice.iam.attach_user_policy, UserName="alice", PolicyArn=fake)
    expect_error("NoSuchEntity", root.iam.get_policy, PolicyArn=fake)
    expect_error("AccessDenied", alice.iam.create_user, UserName="mallory")
