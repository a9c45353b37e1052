"""Validation and errors with AWS's codes and HTTP statuses, and nothing stored after a rejected
request.

Codes and statuses from the botocore IAM model (error shapes):
  NoSuchEntity 404, EntityAlreadyExists 409, MalformedPolicyDocument 400, LimitExceeded 409,
  DeleteConflict 409, InvalidInput 400; ValidationError 400 (IAM API reference, Common Errors).
Constraints from the model: userNameType [\\w+=,.@-]+ of 1..64, roleNameType 1..64,
groupNameType and policyNameType 1..128, pathType (/)|(/[!-~]+/).
"""

import json

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, allow, expect_error, policy_doc, trust_account, xml_error, signed_request

GOOD = policy_doc(allow("iam:ListUsers"))

MALFORMED = {
    "not json": "this is not json",
    "statement without resource": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers"}]}
    ),
    "unknown effect": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "iam:ListUsers", "Resource": "*"}]}
    ),
    "principal in an identity policy": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "iam:ListUsers", "Resource": "*"}],
        }
    ),
    "unknown version": json.dumps(
        {"Version": "2099-01-01", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
    ),
}


# Names -------------------------------------------------------------------------------------


def test_names_are_unique_without_regard_to_case(root):
    # IAM User Guide, IAM quotas/names: "Names of users, groups, roles, policies, instance
    # profiles ... must be unique within the account. They are not distinguished by case."
    root.iam.create_user(UserName="alice")
    expect_error("EntityAlreadyExists", root.iam.create_user, UserName="alice", status=409)
    expect_error("EntityAlreadyExists", root.iam.create_user, UserName="ALICE", status=409)
    root.iam.create_group(GroupName="Admins")
    expect_error("EntityAlreadyExists", root.iam.create_group, GroupName="admins", status=409)
    root.iam.create_role(RoleName="App", AssumeRolePolicyDocument=trust_account())
    expect_error("EntityAlreadyExists", root.iam.create_role, RoleName="app", AssumeRolePolicyDocument=trust_account())
    root.iam.create_policy(PolicyName="Pol", PolicyDocument=GOOD)
    expect_error("EntityAlreadyExists", root.iam.create_policy, PolicyName="POL", PolicyDocument=GOOD)
    root.iam.create_instance_profile(InstanceProfileName="Prof")
    expect_error("EntityAlreadyExists", root.iam.create_instance_profile, InstanceProfileName="prof")
    assert [u["UserName"] for u in root.iam.list_users()["Users"]] == ["alice"]
    assert [g["GroupName"] for g in root.iam.list_groups()["Groups"]] == ["Admins"]


def test_rename_onto_an_existing_name_is_entity_already_exists(root):
    root.iam.create_user(UserName="alice")
    root.iam.create_user(UserName="bob")
    expect_error("EntityAlreadyExists", root.iam.update_user, UserName="bob", NewUserName="Alice", status=409)
    assert root.iam.get_user(UserName="bob")["User"]["UserName"] == "bob"


@pytest.mark.parametrize(
    "name",
    ["has space", "slash/name", "x" * 65, "semi;colon", "star*"],
)
def test_invalid_user_names(root, name):
    expect_error("ValidationError", root.iam.create_user, UserName=name, status=400)
    assert root.iam.list_users()["Users"] == []


def test_longest_names_are_accepted(root):
    root.iam.create_user(UserName="u" * 64)
    root.iam.create_role(RoleName="r" * 64, AssumeRolePolicyDocument=trust_account())
    root.iam.create_group(GroupName="g" * 128)
    root.iam.create_policy(PolicyName="p" * 128, PolicyDocument=GOOD)
    root.iam.create_user(UserName="all+=,.@_-chars")
    expect_error("ValidationError", root.iam.create_role, RoleName="r" * 65, AssumeRolePolicyDocument=trust_account())
    expect_error("ValidationError", root.iam.create_group, GroupName="g" * 129)
    expect_error("ValidationError", root.iam.create_policy, PolicyName="p" * 129, PolicyDocument=GOOD)


@pytest.mark.parametrize("path", ["no-leading-slash/", "/no-trailing-slash", "/with space/"])
def test_invalid_paths(root, path):
    expect_error("ValidationError", root.iam.create_user, UserName="alice", Path=path, status=400)
    expect_error("NoSuchEntity", root.iam.get_user, UserName="alice")


def test_unknown_entities(root):
    expect_error("NoSuchEntity", root.iam.get_user, UserName="nobody", status=404)
    expect_error("NoSuchEntity", root.iam.get_group, GroupName="nothing", status=404)
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="nothing", status=404)
    expect_error("NoSuchEntity", root.iam.get_policy, PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/nothing", status=404)
    expect_error("NoSuchEntity", root.iam.get_instance_profile, InstanceProfileName="nothing", status=404)
    expect_error("NoSuchEntity", root.iam.list_access_keys, UserName="nobody", status=404)
    expect_error("NoSuchEntity", root.iam.create_access_key, UserName="nobody", status=404)
    expect_error("NoSuchEntity", root.iam.put_user_policy, UserName="nobody", PolicyName="p", PolicyDocument=GOOD)
    expect_error("NoSuchEntity", root.iam.list_user_tags, UserName="nobody")


def test_invalid_enum_and_range_values(root):
    root.iam.create_user(UserName="alice")
    key = root.iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    # statusType is an enum of Active | Inactive | Expired; botocore does not check enums.
    expect_error("ValidationError", root.iam.update_access_key, UserName="alice", AccessKeyId=key, Status="Paused")
    # policyScopeType: All | AWS | Local.
    expect_error("ValidationError", root.iam.list_policies, Scope="Everything", status=400)
    # maxItemsType: 1..1000.
    expect_error("ValidationError", root.iam.list_users, MaxItems=1001, status=400)


# Policy documents ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_inline_policy_is_rejected_and_nothing_changes(root, case):
    root.iam.create_user(UserName="alice")
    root.iam.put_user_policy(UserName="alice", PolicyName="kept", PolicyDocument=GOOD)
    expect_error(
        "MalformedPolicyDocument",
        root.iam.put_user_policy,
        UserName="alice",
        PolicyName="new",
        PolicyDocument=MALFORMED[case],
        status=400,
    )
    expect_error(
        "MalformedPolicyDocument",
        root.iam.put_user_policy,
        UserName="alice",
        PolicyName="kept",
        PolicyDocument=MALFORMED[case],
    )
    assert root.iam.list_user_policies(UserName="alice")["PolicyNames"] == ["kept"]
    assert root.iam.get_user_policy(UserName="alice", PolicyName="kept")["PolicyDocument"] == json.loads(GOOD)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_managed_policy_is_rejected_and_nothing_changes(root, case):
    expect_error("MalformedPolicyDocument", root.iam.create_policy, PolicyName="p", PolicyDocument=MALFORMED[case])
    expect_error("NoSuchEntity", root.iam.get_policy, PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/p")
    assert root.iam.list_policies(Scope="Local")["Policies"] == []

    arn = root.iam.create_policy(PolicyName="p", PolicyDocument=GOOD)["Policy"]["Arn"]
    expect_error(
        "MalformedPolicyDocument",
        root.iam.create_policy_version,
        PolicyArn=arn,
        PolicyDocument=MALFORMED[case],
        SetAsDefault=True,
    )
    versions = root.iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v1"]
    assert root.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"


def test_malformed_trust_policy_is_rejected_and_nothing_changes(root):
    # A trust policy names a Principal; without one it is malformed.
    no_principal = policy_doc({"Effect": "Allow", "Action": "sts:AssumeRole"})
    expect_error(
        "MalformedPolicyDocument",
        root.iam.create_role,
        RoleName="app",
        AssumeRolePolicyDocument=no_principal,
        status=400,
    )
    expect_error("MalformedPolicyDocument", root.iam.create_role, RoleName="app", AssumeRolePolicyDocument="{")
    expect_error("NoSuchEntity", root.iam.get_role, RoleName="app")

    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    expect_error("MalformedPolicyDocument", root.iam.update_assume_role_policy, RoleName="app", PolicyDocument="{")
    assert root.iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == json.loads(trust_account())


def test_malformed_role_and_group_policies(root):
    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    root.iam.create_group(GroupName="devs")
    bad = MALFORMED["statement without resource"]
    expect_error(
        "MalformedPolicyDocument", root.iam.put_role_policy, RoleName="app", PolicyName="p", PolicyDocument=bad
    )
    expect_error(
        "MalformedPolicyDocument", root.iam.put_group_policy, GroupName="devs", PolicyName="p", PolicyDocument=bad
    )
    assert root.iam.list_role_policies(RoleName="app")["PolicyNames"] == []
    assert root.iam.list_group_policies(GroupName="devs")["PolicyNames"] == []


# Quotas --------------------------------------------------------------------------------------


def test_two_access_keys_per_user(root):
    # IAM quotas: access keys assigned to an IAM user, 2.
    root.iam.create_user(UserName="alice")
    root.iam.create_access_key(UserName="alice")
    root.iam.create_access_key(UserName="alice")
    expect_error("LimitExceeded", root.iam.create_access_key, UserName="alice", status=409)
    assert len(root.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 2


def test_ten_groups_per_user(root):
    # IAM quotas: groups an IAM user can be a member of, 10.
    root.iam.create_user(UserName="alice")
    for i in range(11):
        root.iam.create_group(GroupName=f"g{i:02d}")
    for i in range(10):
        root.iam.add_user_to_group(GroupName=f"g{i:02d}", UserName="alice")
    expect_error("LimitExceeded", root.iam.add_user_to_group, GroupName="g10", UserName="alice", status=409)
    assert len(root.iam.list_groups_for_user(UserName="alice")["Groups"]) == 10


# Tags ----------------------------------------------------------------------------------------


def test_reserved_tag_prefix_is_rejected(root):
    # IAM User Guide, tagging rules: "You can't create tag keys or values that begin with the
    # text aws:. This prefix is reserved for AWS internal use."
    root.iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as excinfo:
        root.iam.tag_user(UserName="alice", Tags=[{"Key": "aws:owner", "Value": "me"}])
    assert excinfo.value.response["Error"]["Code"] in ("InvalidInput", "ValidationError")
    assert root.iam.list_user_tags(UserName="alice")["Tags"] == []


# Protocol ------------------------------------------------------------------------------------


def test_missing_required_parameter_is_a_sender_error(server, root):
    # CreateUser without UserName, sent around botocore's own check.
    status, body = signed_request(server.endpoint, root, {"Action": "CreateUser", "Version": "2010-05-08"})
    assert status == 400, body
    kind, code, _ = xml_error(body)
    assert kind == "Sender"
    assert code in ("ValidationError", "MissingParameter"), body
