"""The policy simulator API on the engine that enforces: SimulatePrincipalPolicy,
SimulateCustomPolicy, GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy (IAM API
Reference; "EvaluationResult": one result per action, per-resource results under
ResourceSpecificResults)."""

import json

from helpers import ACCOUNT, allow, deny, expect_error, policy_doc

S3_READ = policy_doc(allow("s3:GetObject", "arn:aws:s3:::photos/*"))
MFA_ONLY = policy_doc(allow("ec2:StopInstances", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))


def test_a_user_s_own_group_s_and_managed_policies_decide_with_their_sources(root):
    root.iam.create_user(UserName="alice")
    root.iam.create_group(GroupName="readers")
    root.iam.add_user_to_group(GroupName="readers", UserName="alice")
    root.iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=S3_READ)
    root.iam.put_user_policy(UserName="alice", PolicyName="no-delete",
                             PolicyDocument=policy_doc(deny("s3:DeleteObject")))
    root.iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    results = root.iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:DeleteObject", "iam:CreateUser"],
        ResourceArns=["arn:aws:s3:::photos/cat.jpg"])["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    get = by_action["s3:GetObject"]
    assert get["EvalDecision"] == "allowed"
    sources = {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in get["MatchedStatements"]}
    assert sources == {("group_readers_read", "group"), ("AmazonS3FullAccess", "aws-managed")}
    assert get["ResourceSpecificResults"][0]["EvalResourceName"] == "arn:aws:s3:::photos/cat.jpg"
    delete = by_action["s3:DeleteObject"]
    assert delete["EvalDecision"] == "explicitDeny"
    [denied_by] = delete["MatchedStatements"]
    assert denied_by["SourcePolicyId"] == "user_alice_no-delete"
    # policy_doc writes {"Version": "2012-10-17", "Statement": [{...: the statement starts at column 41.
    assert denied_by["StartPosition"] == {"Line": 1, "Column": 41}
    assert by_action["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert by_action["iam:CreateUser"]["MatchedStatements"] == []

    # PolicyExclusionList leaves a policy out; PolicyInputList adds one as text.
    results = root.iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:DeleteObject"],
        PolicyExclusionList=[{"InlinePolicyIdentifier": {
            "PolicyName": "no-delete", "AttachmentType": "user", "AttachmentName": "alice"}}],
        PolicyInputList=[policy_doc(allow("iam:CreateUser"))])["EvaluationResults"]
    assert results[0]["EvalDecision"] == "allowed"
    results = root.iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:ListAllMyBuckets"],
        PolicyExclusionList=[{"PolicyType": "aws-managed"}])["EvaluationResults"]
    assert results[0]["EvalDecision"] == "implicitDeny"


def test_missing_context_values_and_the_boundary_detail(root):
    boundary = root.iam.create_policy(PolicyName="ec2-only", PolicyDocument=policy_doc(allow("ec2:*")))["Policy"]
    root.iam.create_role(RoleName="ops", AssumeRolePolicyDocument=policy_doc(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}),
        PermissionsBoundary=boundary["Arn"])
    root.iam.put_role_policy(RoleName="ops", PolicyName="stop", PolicyDocument=MFA_ONLY)
    arn = f"arn:aws:iam::{ACCOUNT}:role/ops"
    [result] = root.iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["ec2:StopInstances"])[
        "EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny" and result["EvalResourceName"] == "*"
    assert result["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert "EvalDecisionDetails" not in result
    [result] = root.iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["ec2:StopInstances"],
        ContextEntries=[{"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"],
                         "ContextKeyType": "boolean"}])["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "role_ops_stop"
    keys = root.iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == ["aws:MultiFactorAuthPresent"]


def test_custom_policies_with_a_resource_policy_boundary_and_scps(root):
    bucket_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]})
    results = root.iam.simulate_custom_policy(
        PolicyInputList=[policy_doc(allow("s3:PutObject", "arn:aws:s3:::shared/*"))],
        ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=["arn:aws:s3:::shared/a"],
        ResourcePolicy=bucket_policy, CallerArn=f"arn:aws:iam::{ACCOUNT}:user/bob")["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    assert by_action["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by_action["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    assert by_action["s3:PutObject"]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    expect_error("InvalidInput", root.iam.simulate_custom_policy, PolicyInputList=[S3_READ],
                 ActionNames=["s3:GetObject"], ResourcePolicy=bucket_policy)
    [capped] = root.iam.simulate_custom_policy(
        PolicyInputList=[policy_doc(allow("*"))], ActionNames=["iam:CreateUser"],
        OrderedOrganizationPolicyInputList=[{"ServiceControlPolicyInputList": [policy_doc(allow("s3:*"))]}])[
        "EvaluationResults"]
    assert capped["EvalDecision"] == "implicitDeny"
    assert capped["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    expect_error("InvalidInput", root.iam.simulate_custom_policy, PolicyInputList=["{not json"],
                 ActionNames=["s3:GetObject"])
    keys = root.iam.get_context_keys_for_custom_policy(PolicyInputList=[
        policy_doc(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*",
                         Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))])["ContextKeyNames"]
    assert keys == ["aws:SourceIp", "aws:username"]


def test_the_simulator_is_authorized_and_finds_only_this_account_s_principals(root, make_user):
    alice = make_user("alice", allow("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:user/alice"))
    alice.iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/alice", ActionNames=["s3:*"])
    root.iam.create_user(UserName="bob")
    expect_error("AccessDenied", alice.iam.simulate_principal_policy,
                 PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/bob", ActionNames=["s3:*"])
    expect_error("NoSuchEntity", root.iam.simulate_principal_policy,
                 PolicySourceArn="arn:aws:iam::210987654321:user/bob", ActionNames=["s3:*"])
    err = expect_error("InvalidInput", root.iam.simulate_principal_policy,
                       PolicySourceArn=f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", ActionNames=["s3:*"])
    assert err.response["Error"]["Message"].startswith("Invalid Entity Arn")


def test_the_simulation_s_work_is_bounded_and_paged(root):
    """Only the page of actions asked for (MaxItems, 100 by default) is simulated, and a page times
    the resources is at most 100,000 evaluations."""
    actions = [f"s3:Action{i}" for i in range(150)]
    first = root.iam.simulate_custom_policy(PolicyInputList=[S3_READ], ActionNames=actions)
    assert len(first["EvaluationResults"]) == 100 and first["IsTruncated"]
    rest = root.iam.simulate_custom_policy(PolicyInputList=[S3_READ], ActionNames=actions, Marker=first["Marker"])
    assert len(rest["EvaluationResults"]) == 50 and not rest["IsTruncated"]
    expect_error("InvalidInput", root.iam.simulate_custom_policy, PolicyInputList=[S3_READ],
                 ActionNames=[f"s3:A{i}" for i in range(1000)], MaxItems=1000,
                 ResourceArns=[f"arn:aws:s3:::b/{i}" for i in range(101)])
