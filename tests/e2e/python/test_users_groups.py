"""Users, groups and membership, access keys, tags on users, pagination (IAM API reference)."""

import re
import time

import pytest

from helpers import ACCOUNT, expect_error


def test_create_get_list_delete_user(root):
    created = root.iam.create_user(UserName="alice", Path="/team/")["User"]
    assert created["UserName"] == "alice"
    assert created["Path"] == "/team/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/alice"
    assert re.fullmatch(r"AIDA[A-Z0-9]{16,}", created["UserId"])
    assert created["CreateDate"] is not None

    got = root.iam.get_user(UserName="alice")["User"]
    assert {k: got[k] for k in ("UserName", "Path", "Arn", "UserId")} == {
        k: created[k] for k in ("UserName", "Path", "Arn", "UserId")
    }
    names = [u["UserName"] for u in root.iam.list_users()["Users"]]
    assert names == ["alice"]
    assert [u["UserName"] for u in root.iam.list_users(PathPrefix="/team/")["Users"]] == ["alice"]
    assert root.iam.list_users(PathPrefix="/other/")["Users"] == []

    root.iam.delete_user(UserName="alice")
    expect_error("NoSuchEntity", root.iam.get_user, UserName="alice", status=404)
    expect_error("NoSuchEntity", root.iam.delete_user, UserName="alice", status=404)


def test_update_user_renames_and_moves(root):
    root.iam.create_user(UserName="alice")
    root.iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/moved/")
    expect_error("NoSuchEntity", root.iam.get_user, UserName="alice")
    user = root.iam.get_user(UserName="alicia")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/moved/alicia"


def test_user_tags(root):
    root.iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
    root.iam.tag_user(UserName="alice", Tags=[{"Key": "cost", "Value": "42"}, {"Key": "team", "Value": "blue"}])
    tags = {t["Key"]: t["Value"] for t in root.iam.list_user_tags(UserName="alice")["Tags"]}
    assert tags == {"team": "blue", "cost": "42"}
    assert {t["Key"] for t in root.iam.get_user(UserName="alice")["User"]["Tags"]} == {"team", "cost"}
    root.iam.untag_user(UserName="alice", TagKeys=["team"])
    assert root.iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "cost", "Value": "42"}]
    expect_error("NoSuchEntity", root.iam.tag_user, UserName="nobody", Tags=[{"Key": "a", "Value": "b"}])


def test_groups_and_membership(root):
    group = root.iam.create_group(GroupName="devs", Path="/eng/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/eng/devs"
    assert re.fullmatch(r"AGPA[A-Z0-9]{16,}", group["GroupId"]), group["GroupId"]
    root.iam.create_user(UserName="alice")
    root.iam.create_user(UserName="bob")
    root.iam.add_user_to_group(GroupName="devs", UserName="alice")
    root.iam.add_user_to_group(GroupName="devs", UserName="bob")

    got = root.iam.get_group(GroupName="devs")
    assert got["Group"]["GroupName"] == "devs"
    assert sorted(u["UserName"] for u in got["Users"]) == ["alice", "bob"]
    assert [g["GroupName"] for g in root.iam.list_groups_for_user(UserName="alice")["Groups"]] == ["devs"]
    assert [g["GroupName"] for g in root.iam.list_groups()["Groups"]] == ["devs"]

    root.iam.remove_user_from_group(GroupName="devs", UserName="alice")
    assert [u["UserName"] for u in root.iam.get_group(GroupName="devs")["Users"]] == ["bob"]
    assert root.iam.list_groups_for_user(UserName="alice")["Groups"] == []

    expect_error("NoSuchEntity", root.iam.add_user_to_group, GroupName="nope", UserName="bob")
    expect_error("NoSuchEntity", root.iam.add_user_to_group, GroupName="devs", UserName="nobody")
    expect_error("NoSuchEntity", root.iam.get_group, GroupName="nope")


def test_group_policies_apply_to_members(server, root, make_user):
    root.iam.create_group(GroupName="listers")
    root.iam.put_group_policy(
        GroupName="listers",
        PolicyName="list",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}',
    )
    alice = make_user("alice", groups=["listers"])
    assert [u["UserName"] for u in alice.iam.list_users()["Users"]] == ["alice"]
    root.iam.remove_user_from_group(GroupName="listers", UserName="alice")
    expect_error("AccessDenied", alice.iam.list_users, status=403)


def test_access_keys_lifecycle(server, root):
    root.iam.create_user(UserName="alice")
    key = root.iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["UserName"] == "alice"
    assert key["Status"] == "Active"
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key["AccessKeyId"]), key["AccessKeyId"]
    assert len(key["SecretAccessKey"]) == 40

    listed = root.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [(key["AccessKeyId"], "Active", "alice")]
    # The secret is returned once, at creation.
    assert "SecretAccessKey" not in listed[0]

    alice = server.clients(key["AccessKeyId"], key["SecretAccessKey"])
    assert alice.sts.get_caller_identity()["Arn"].endswith(":user/alice")

    # Last use is recorded off the call's path, a moment later (AWS's is eventually consistent too).
    for _ in range(100):
        last = root.iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        if "LastUsedDate" in last["AccessKeyLastUsed"]:
            break
        time.sleep(0.02)
    assert last["UserName"] == "alice"
    assert last["AccessKeyLastUsed"]["ServiceName"] in ("sts", "iam")
    assert "LastUsedDate" in last["AccessKeyLastUsed"]

    root.iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    listed = root.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert listed[0]["Status"] == "Inactive"
    expect_error("InvalidClientTokenId", alice.sts.get_caller_identity, status=403)

    root.iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert alice.sts.get_caller_identity()["Arn"].endswith(":user/alice")

    root.iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    assert root.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    expect_error("InvalidClientTokenId", alice.sts.get_caller_identity, status=403)
    expect_error("NoSuchEntity", root.iam.delete_access_key, UserName="alice", AccessKeyId=key["AccessKeyId"])


def test_unused_access_key_has_no_last_used_date(root):
    root.iam.create_user(UserName="alice")
    key = root.iam.create_access_key(UserName="alice")["AccessKey"]
    # Last use is recorded off the call's path, a moment later (AWS's is eventually consistent too).
    for _ in range(100):
        last = root.iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        if "LastUsedDate" in last["AccessKeyLastUsed"]:
            break
        time.sleep(0.02)
    assert last["UserName"] == "alice"
    # API reference, AccessKeyLastUsed: ServiceName and Region are "N/A" when the key was never used.
    assert last["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert last["AccessKeyLastUsed"]["Region"] == "N/A"
    assert "LastUsedDate" not in last["AccessKeyLastUsed"]


def test_user_manages_own_keys_without_user_name(make_user):
    alice = make_user(
        "alice",
        {
            "Effect": "Allow",
            "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
    )
    # API reference, CreateAccessKey: "If you do not specify a user name, IAM determines the user
    # name implicitly based on the Amazon Web Services access key ID signing the request."
    key = alice.iam.create_access_key()["AccessKey"]
    assert key["UserName"] == "alice"
    assert len(alice.iam.list_access_keys()["AccessKeyMetadata"]) == 2


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_list_users_pagination(root, page_size):
    names = [f"user{i:02d}" for i in range(7)]
    for name in names:
        root.iam.create_user(UserName=name)
    seen = []
    kwargs = {"MaxItems": page_size}
    for _ in range(20):
        page = root.iam.list_users(**kwargs)
        assert len(page["Users"]) <= page_size
        seen.extend(u["UserName"] for u in page["Users"])
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        assert page["Marker"]
        kwargs = {"MaxItems": page_size, "Marker": page["Marker"]}
    assert sorted(seen) == names  # every user exactly once across the pages
    assert len(seen) == len(names)


def test_paginator_lists_everything(root):
    for i in range(5):
        root.iam.create_group(GroupName=f"g{i}")
    paginator = root.iam.get_paginator("list_groups")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert sorted(g["GroupName"] for p in pages for g in p["Groups"]) == [f"g{i}" for i in range(5)]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]


def test_not_truncated_when_everything_fits(root):
    root.iam.create_user(UserName="alice")
    page = root.iam.list_users(MaxItems=100)
    assert page["IsTruncated"] is False
    assert "Marker" not in page
