"""Service-linked roles (IAM User Guide, "Using service-linked roles"; IAM API Reference:
CreateServiceLinkedRole, DeleteServiceLinkedRole, GetServiceLinkedRoleDeletionStatus): owned by
their service, so nobody else edits their trust or permissions."""

from helpers import ACCOUNT, allow, expect_error, policy_doc, trust_account


def test_a_service_linked_role_carries_its_service_s_trust_and_policy(root):
    role = root.iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", Description="ECS")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForECS" and role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    trust = root.iam.get_role(RoleName="AWSServiceRoleForECS")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": ["ecs.amazonaws.com"]}
    attached = root.iam.list_attached_role_policies(RoleName="AWSServiceRoleForECS")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"]
    err = expect_error("InvalidInput", root.iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com")
    assert err.response["Error"]["Message"] == (
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.")
    err = expect_error("InvalidInput", root.iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com",
                       CustomSuffix="x")
    assert err.response["Error"]["Message"] == "Custom suffix is not allowed for ecs.amazonaws.com"
    suffixed = root.iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web")
    assert suffixed["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling_web"


def test_only_the_service_changes_its_role(root):
    root.iam.create_service_linked_role(AWSServiceName="spot.amazonaws.com")
    name = "AWSServiceRoleForEC2Spot"
    for call, kwargs in [
        (root.iam.delete_role, {}),
        (root.iam.put_role_policy, {"PolicyName": "x", "PolicyDocument": policy_doc(allow("s3:*"))}),
        (root.iam.attach_role_policy, {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        (root.iam.update_assume_role_policy, {"PolicyDocument": trust_account()}),
    ]:
        err = expect_error("UnmodifiableEntity", call, RoleName=name, **kwargs)
        assert err.response["Error"]["Message"] == (
            f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS")
    # Its description and tags are the customer's.
    root.iam.update_role_description(RoleName=name, Description="spot")
    root.iam.tag_role(RoleName=name, Tags=[{"Key": "k", "Value": "v"}])
    err = expect_error("InvalidInput", root.iam.create_role, RoleName="fake", Path="/aws-service-role/x/",
                       AssumeRolePolicyDocument=trust_account())
    assert "can only be used for AWS Service linked Roles" in err.response["Error"]["Message"]
    task = root.iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/spot.amazonaws.com/{name}/")
    assert root.iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    expect_error("NoSuchEntity", root.iam.get_role, RoleName=name)
    expect_error("NoSuchEntity", root.iam.get_service_linked_role_deletion_status,
                 DeletionTaskId=f"task/aws-service-role/spot.amazonaws.com/{name}/00000000-0000-0000-0000-000000000000")


def test_creating_one_is_authorized_with_the_service_name(root, make_user):
    alice = make_user("alice", allow("iam:CreateServiceLinkedRole",
                                     Condition={"StringEquals": {"iam:AWSServiceName": "rds.amazonaws.com"}}))
    alice.iam.create_service_linked_role(AWSServiceName="rds.amazonaws.com")
    expect_error("AccessDenied", alice.iam.create_service_linked_role, AWSServiceName="eks.amazonaws.com")
    root.iam.create_role(RoleName="plain", AssumeRolePolicyDocument=trust_account())
    expect_error("InvalidInput", root.iam.delete_service_linked_role, RoleName="plain")
