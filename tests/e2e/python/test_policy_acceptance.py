"""Every case of crates/policy/tests/data/policy-acceptance.json, sent to the server: a document IAM
accepts is stored; one it refuses is refused with IAM's code and message and leaves nothing
behind. Managed policies go through CreatePolicy, inline ones through PutUserPolicy, trust policies
through CreateRole and session policies through AssumeRole."""

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, allow, trust_account

DATA = Path(__file__).resolve().parents[3] / "crates" / "policy" / "tests" / "data" / "policy-acceptance.json"
CASES = json.loads(DATA.read_text())["cases"]


def document(case) -> str:
    return case["document_text"] if "document_text" in case else json.dumps(case["document"])


def send(root, make_user, assume, case):
    """Sends the case's document; returns what the server then holds of it (to check that a refusal
    left nothing behind)."""
    text = document(case)
    kind = case["kind"]
    if kind == "managed":
        stored = lambda: root.iam.list_policies(Scope="Local")["Policies"]  # noqa: E731
        return stored, lambda: root.iam.create_policy(PolicyName="p", PolicyDocument=text)
    if kind == "inline":
        root.iam.create_user(UserName="alice")
        stored = lambda: root.iam.list_user_policies(UserName="alice")["PolicyNames"]  # noqa: E731
        return stored, lambda: root.iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=text)
    if kind == "trust":
        stored = lambda: root.iam.list_roles()["Roles"]  # noqa: E731
        return stored, lambda: root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=text)
    # The root user cannot assume roles; a user allowed to can.
    caller = make_user("caller", allow("sts:AssumeRole"))
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account())
    return (lambda: []), lambda: assume(caller, f"arn:aws:iam::{ACCOUNT}:role/r", Policy=text)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_server_accepts_and_refuses_as_iam(root, make_user, assume, case):
    stored, call = send(root, make_user, assume, case)
    if case["expect"] == "accept":
        call()
        return
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (case["expect"]["code"], case["expect"]["message"]), case["source"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert stored() == []
