"""Last-accessed data (IAM User Guide, "Refining permissions in AWS using last accessed
information"; IAM API reference, GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails,
GetRole's RoleLastUsed): every attempt counts, allowed or denied; the report lists every service the
entity's policies allow, with when it was last used, if it was."""

import time

from helpers import ACCOUNT, allow, expect_error, policy_doc, trust_account


def report(root, arn, granularity="SERVICE_LEVEL", wait_for=None):
    """The report of `arn`, asked again until `wait_for(services)` holds: attempts are recorded off
    the calls' path, a moment later."""
    for _ in range(100):
        job = root.iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
        details = root.iam.get_service_last_accessed_details(JobId=job)
        services = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
        if wait_for is None or wait_for(services):
            return details, services
        time.sleep(0.1)
    raise AssertionError(f"the report never showed what was expected: {services}")


def test_services_last_accessed_of_users_groups_and_roles(root, make_user, assume):
    alice = make_user("alice", allow(["iam:GetUser", "s3:GetObject"]), groups=())
    alice_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    alice.iam.get_user(UserName="alice")
    expect_error("AccessDenied", alice.iam.list_users, status=403)

    details, services = report(root, alice_arn, wait_for=lambda s: "LastAuthenticated" in s.get("iam", {}))
    assert details["JobStatus"] == "COMPLETED" and details["JobType"] == "SERVICE_LEVEL"
    assert services["iam"]["LastAuthenticatedEntity"] == alice_arn
    assert services["iam"]["LastAuthenticatedRegion"] == "us-east-1"
    assert services["iam"]["TotalAuthenticatedEntities"] == 1
    # Allowed by the policy and never used: listed, without a date.
    assert "LastAuthenticated" not in services["s3"] and services["s3"]["TotalAuthenticatedEntities"] == 0

    _, services = report(root, alice_arn, "ACTION_LEVEL", wait_for=lambda s: len(
        s.get("iam", {}).get("TrackedActionsLastAccessed", [])) == 2)
    actions = {a["ActionName"]: a for a in services["iam"]["TrackedActionsLastAccessed"]}
    assert set(actions) == {"GetUser", "ListUsers"}, "a denied attempt counts too"
    assert actions["GetUser"]["LastAccessedEntity"] == alice_arn

    root.iam.create_group(GroupName="readers")
    root.iam.add_user_to_group(GroupName="readers", UserName="alice")
    _, services = report(root, f"arn:aws:iam::{ACCOUNT}:group/readers")
    assert services["iam"]["LastAuthenticatedEntity"] == alice_arn, "a group's report is its members' use"
    # IAM API reference, GetServiceLastAccessedDetailsWithEntities: the group's members, each with
    # when it last attempted the service.
    job = root.iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT}:group/readers")["JobId"]
    make_user("carol")  # a member who never used IAM
    root.iam.add_user_to_group(GroupName="readers", UserName="carol")
    entities = root.iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")
    assert entities["JobStatus"] == "COMPLETED"
    by_name = {e["EntityInfo"]["Name"]: e for e in entities["EntityDetailsList"]}
    assert set(by_name) == {"alice", "carol"}, by_name
    assert by_name["alice"]["EntityInfo"]["Type"] == "USER" and "LastAuthenticated" in by_name["alice"]
    assert "LastAuthenticated" not in by_name["carol"]

    root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())
    assert "RoleLastUsed" not in root.iam.get_role(RoleName="app")["Role"] or \
        "LastUsedDate" not in root.iam.get_role(RoleName="app")["Role"]["RoleLastUsed"]
    root.iam.put_role_policy(RoleName="app", PolicyName="p", PolicyDocument=policy_doc(allow("iam:ListRoles")))
    bob = make_user("bob", allow("sts:AssumeRole"))
    session, _ = assume(bob, f"arn:aws:iam::{ACCOUNT}:role/app")
    session.iam.list_roles()
    for _ in range(100):
        last_used = root.iam.get_role(RoleName="app")["Role"].get("RoleLastUsed", {})
        if "LastUsedDate" in last_used:
            break
        time.sleep(0.1)
    assert last_used["Region"] == "us-east-1", last_used

    expect_error("NoSuchEntity", root.iam.get_service_last_accessed_details, JobId="00000000-0000-0000-0000-000000000000", status=404)
    expect_error("NoSuchEntity", root.iam.generate_service_last_accessed_details,
                 Arn=f"arn:aws:iam::{ACCOUNT}:user/nobody", status=404)
