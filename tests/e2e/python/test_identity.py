"""sts:GetCallerIdentity for the account root, IAM users and assumed-role sessions.

AWS formats (IAM User Guide, "IAM identifiers" and the table of aws:userid values in
"IAM policy elements: Variables and tags"):
  root            Arn arn:aws:iam::ACCOUNT:root                          UserId ACCOUNT
  IAM user        Arn arn:aws:iam::ACCOUNT:user/PATH/NAME                UserId AIDA... (the user's id)
  role session    Arn arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION     UserId AROA...:SESSION
The assumed-role ARN does not include the role's path.
"""

import re

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, ROOT_ARN, allow, deny, signed_request, trust_account, xml_error


def test_root_is_the_account(root):
    identity = root.sts.get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == ROOT_ARN
    assert identity["UserId"] == ACCOUNT
    assert identity["ResponseMetadata"]["RequestId"]
    assert identity["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_user(root, make_user):
    alice = make_user("alice")
    user = root.iam.get_user(UserName="alice")["User"]
    identity = alice.sts.get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert identity["UserId"] == user["UserId"]
    assert re.fullmatch(r"AIDA[A-Z0-9]{16,}", user["UserId"]), user["UserId"]


def test_user_with_a_path(make_user):
    bob = make_user("bob", path="/engineering/backend/")
    identity = bob.sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/engineering/backend/bob"


def test_assumed_role_session(root, make_user, assume):
    created = root.iam.create_role(RoleName="reader", Path="/app/", AssumeRolePolicyDocument=trust_account())["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/reader"
    assert re.fullmatch(r"AROA[A-Z0-9]{16,}", created["RoleId"]), created["RoleId"]
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, response = assume(alice, created["Arn"], "my-session")
    assumed = response["AssumedRoleUser"]
    # The assumed-role ARN leaves the role's path out.
    assert assumed["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/my-session"
    assert assumed["AssumedRoleId"] == f"{created['RoleId']}:my-session"
    identity = session.sts.get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == assumed["Arn"]
    assert identity["UserId"] == assumed["AssumedRoleId"]


def test_root_cannot_assume_a_role(root):
    # STS API reference, AssumeRole (also the IAM User Guide's comparison of the STS APIs): the
    # caller must be an IAM user or a role session; "You cannot call AssumeRole by using AWS root
    # account credentials; access is denied." (AWS answers "Roles may not be assumed by root
    # accounts.")
    root.iam.create_role(RoleName="ops", AssumeRolePolicyDocument=trust_account())
    with pytest.raises(ClientError) as excinfo:
        root.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ops", RoleSessionName="root-session")
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"


def test_caller_identity_needs_no_permission_even_under_an_explicit_deny(make_user):
    # API reference, GetCallerIdentity: "No permissions are required to perform this operation.
    # If an administrator attaches a policy to your identity that explicitly denies access to the
    # sts:GetCallerIdentity action, you can still perform this operation."
    carol = make_user("carol", deny("*"))
    assert carol.sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/carol"


def test_any_region_is_accepted_in_signatures(server):
    for region in ("us-east-1", "eu-west-3", "ap-northeast-1"):
        clients = server.clients(server.root().key_id, server.root().secret, region=region)
        assert clients.sts.get_caller_identity()["Arn"] == ROOT_ARN
        clients.iam.list_users()


def test_unknown_action_is_invalid_action(server, root):
    status, body = signed_request(server.endpoint, root, {"Action": "NoSuchOperation", "Version": "2010-05-08"})
    assert status == 400, body
    kind, code, _ = xml_error(body)
    assert code == "InvalidAction", body
    assert kind == "Sender", body


def test_error_responses_carry_a_request_id(root):
    with pytest.raises(ClientError) as excinfo:
        root.iam.get_user(UserName="nobody")
    assert excinfo.value.response["ResponseMetadata"]["RequestId"]


def test_get_user_without_name_is_the_caller(root, make_user):
    alice = make_user("alice", allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/alice"))
    # API reference, GetUser: "If you do not specify a user name, IAM determines the user name
    # implicitly based on the Amazon Web Services access key ID used to sign the request."
    assert alice.iam.get_user()["User"]["UserName"] == "alice"
    assert root.iam.get_user(UserName="alice")["User"]["Arn"] == (f"arn:aws:iam::{ACCOUNT}:user/alice")
