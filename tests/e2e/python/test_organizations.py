"""AWS Organizations through boto3 and the AWS CLI: an organization with units, member accounts
created with their access role, service control policies attached at each level and enforced on
every call of a member account but not of the management account (AWS Organizations API
Reference; AWS Organizations User Guide, "Service control policies (SCPs)", "SCP evaluation",
"Accessing member accounts in your organization")."""

import configparser
import subprocess

import boto3

from helpers import (ACCOUNT, CLIENT_CONFIG, REGION, Clients, allow, deny, expect_error, monban_bin, policy_doc,
                     serve_and_read_exports)

SCP = "SERVICE_CONTROL_POLICY"


def create_member(root, name):
    status = root.org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    assert status["State"] == "IN_PROGRESS"
    done = root.org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED", done
    return done["AccountId"]


def admin_of(server, assume, root, account):
    """The member account's access role, assumed from the management account's root user's admin."""
    root.iam.create_user(UserName="operator")
    root.iam.put_user_policy(UserName="operator", PolicyName="p", PolicyDocument=policy_doc(allow("*")))
    key = root.iam.create_access_key(UserName="operator")["AccessKey"]
    operator = server.clients(key["AccessKeyId"], key["SecretAccessKey"])
    session, _ = assume(operator, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", "admin")
    return operator, session


def test_organization_units_and_accounts(root):
    expect_error("AWSOrganizationsNotInUseException", root.org.describe_organization)
    organization = root.org.create_organization(FeatureSet="ALL")["Organization"]
    assert organization["Id"].startswith("o-") and organization["MasterAccountId"] == ACCOUNT
    assert organization["Arn"] == f"arn:aws:organizations::{ACCOUNT}:organization/{organization['Id']}"
    expect_error("AlreadyInOrganizationException", root.org.create_organization)
    [root_unit] = root.org.list_roots()["Roots"]
    # With all features, SCPs are enabled on the root at creation (API Reference, CreateOrganization).
    assert root_unit["Id"].startswith("r-")
    assert root_unit["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]

    prod = root.org.create_organizational_unit(ParentId=root_unit["Id"], Name="prod")["OrganizationalUnit"]
    web = root.org.create_organizational_unit(ParentId=prod["Id"], Name="web")["OrganizationalUnit"]
    assert web["Id"].startswith("ou-" + root_unit["Id"][2:] + "-")
    expect_error("DuplicateOrganizationalUnitException", root.org.create_organizational_unit, ParentId=prod["Id"], Name="web")
    expect_error("ParentNotFoundException", root.org.create_organizational_unit, ParentId="ou-abcd-12345678", Name="x")
    # Units nest at most five deep.
    parent = web["Id"]
    for depth in range(3, 6):
        parent = root.org.create_organizational_unit(ParentId=parent, Name=f"level{depth}")["OrganizationalUnit"]["Id"]
    expect_error("ConstraintViolationException", root.org.create_organizational_unit, ParentId=parent, Name="too-deep")

    member = create_member(root, "web-prod")
    assert {a["Id"] for a in root.org.list_accounts()["Accounts"]} == {ACCOUNT, member}
    root.org.move_account(AccountId=member, SourceParentId=root_unit["Id"], DestinationParentId=web["Id"])
    assert root.org.list_parents(ChildId=member)["Parents"] == [{"Id": web["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert [c["Id"] for c in root.org.list_children(ParentId=web["Id"], ChildType="ACCOUNT")["Children"]] == [member]
    expect_error("DuplicateAccountException", root.org.move_account, AccountId=member,
                 SourceParentId=web["Id"], DestinationParentId=web["Id"])
    expect_error("OrganizationalUnitNotEmptyException", root.org.delete_organizational_unit, OrganizationalUnitId=web["Id"])
    expect_error("OrganizationNotEmptyException", root.org.delete_organization)
    described = root.org.describe_account(AccountId=member)["Account"]
    assert described["Name"] == "web-prod" and described["JoinedMethod"] == "CREATED"


def test_scps_apply_at_every_level_of_member_accounts_only(server, root, assume, aws):
    root.org.create_organization()
    root_id = root.org.list_roots()["Roots"][0]["Id"]
    unit = root.org.create_organizational_unit(ParentId=root_id, Name="sandbox")["OrganizationalUnit"]["Id"]
    member = create_member(root, "sandbox-1")
    root.org.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=unit)
    operator, admin = admin_of(server, assume, root, member)
    # The access role administers the new account; it has no SCP yet.
    admin.iam.create_user(UserName="dev")
    assert admin.sts.get_caller_identity()["Account"] == member

    no_users = policy_doc(deny("iam:CreateUser"))
    policy = root.org.create_policy(Content=no_users, Description="no new users", Name="no-users", Type=SCP)["Policy"]
    policy_id = policy["PolicySummary"]["Id"]
    assert policy["PolicySummary"]["Arn"].startswith(f"arn:aws:organizations::{ACCOUNT}:policy/o-")
    expect_error("PolicyTypeAlreadyEnabledException", root.org.enable_policy_type, RootId=root_id, PolicyType=SCP)
    # FullAWSAccess is on every level, so nothing changes yet.
    on_account = root.org.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]
    assert [p["Name"] for p in on_account] == ["FullAWSAccess"] and on_account[0]["AwsManaged"]
    admin.iam.create_user(UserName="dev2")

    root.org.attach_policy(PolicyId=policy_id, TargetId=unit)
    denied = expect_error("AccessDenied", admin.iam.create_user, UserName="dev3")
    assert "with an explicit deny in a service control policy" in denied.response["Error"]["Message"]
    admin.iam.get_user(UserName="dev")  # what the SCP does not deny is still allowed
    # The management account is not affected, by this SCP or any other.
    root.org.attach_policy(PolicyId=policy_id, TargetId=root_id)
    operator.iam.create_user(UserName="still-allowed")
    root.iam.create_user(UserName="root-too")
    # The AWS CLI sees the same denial.
    code, _, stderr = aws(admin, "iam", "create-user", "--user-name", "dev4")
    assert code != 0 and "service control policy" in stderr

    # An allow-list SCP: removing FullAWSAccess from the account leaves only what the list allows.
    read_only = root.org.create_policy(Content=policy_doc(allow(["iam:Get*", "iam:List*", "sts:*"])),
                                       Description="reads", Name="reads", Type=SCP)["Policy"]["PolicySummary"]["Id"]
    root.org.attach_policy(PolicyId=read_only, TargetId=member)
    root.org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    expect_error("ConstraintViolationException", root.org.detach_policy, PolicyId=read_only, TargetId=member)
    denied = expect_error("AccessDenied", admin.iam.create_group, GroupName="g")
    assert "because no service control policy allows the iam:CreateGroup action" in denied.response["Error"]["Message"]
    admin.iam.list_users()

    # Detaching restores access; disabling the type removes every SCP.
    root.org.detach_policy(PolicyId=policy_id, TargetId=unit)
    root.org.detach_policy(PolicyId=policy_id, TargetId=root_id)
    expect_error("PolicyInUseException", root.org.delete_policy, PolicyId=read_only)
    disabled = root.org.disable_policy_type(RootId=root_id, PolicyType=SCP)["Root"]
    assert disabled["PolicyTypes"] == []
    admin.iam.create_group(GroupName="g")
    admin.iam.create_user(UserName="dev5")
    expect_error("PolicyTypeNotEnabledException", root.org.attach_policy, PolicyId=policy_id, TargetId=unit)
    root.org.delete_policy(PolicyId=read_only)
    expect_error("PolicyNotFoundException", root.org.describe_policy, PolicyId=read_only)
    # Enabled again, the type's default policy is on every level again.
    root.org.enable_policy_type(RootId=root_id, PolicyType=SCP)
    assert [p["Name"] for p in root.org.list_policies_for_target(TargetId=unit, Filter=SCP)["Policies"]] == ["FullAWSAccess"]
    admin.iam.create_user(UserName="dev6")


def test_member_accounts_cannot_manage_and_principal_org_id_is_filled(server, root, assume):
    organization = root.org.create_organization()["Organization"]
    member = create_member(root, "team")
    _, admin = admin_of(server, assume, root, member)
    # A member may describe its organization, nothing more.
    assert admin.org.describe_organization()["Organization"]["Id"] == organization["Id"]
    expect_error("AccessDeniedException", admin.org.list_accounts)
    # aws:PrincipalOrgID is the organization's id in every call of a member.
    admin.iam.put_role_policy(
        RoleName="OrganizationAccountAccessRole", PolicyName="org-only",
        PolicyDocument=policy_doc(deny("iam:ListRoles", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-other0000"}})),
    )
    expect_error("AccessDenied", admin.iam.list_roles)
    admin.iam.put_role_policy(
        RoleName="OrganizationAccountAccessRole", PolicyName="org-only",
        PolicyDocument=policy_doc(deny("iam:ListRoles", Condition={"StringNotEquals": {"aws:PrincipalOrgID": organization["Id"]}})),
    )
    admin.iam.list_roles()


def test_the_root_user_of_a_member_account_is_limited_by_scps(server, root, assume, aws):
    root.org.create_organization()
    root_id = root.org.list_roots()["Roots"][0]["Id"]
    member = create_member(root, "locked")
    _, admin = admin_of(server, assume, root, member)
    deny_all = root.org.create_policy(Content=policy_doc(deny("iam:*")), Description="", Name="deny-iam",
                                      Type=SCP)["Policy"]["PolicySummary"]["Id"]
    root.org.attach_policy(PolicyId=deny_all, TargetId=member)
    expect_error("AccessDenied", admin.iam.list_users)
    # The management account's root user is never limited, whatever is attached to the root.
    root.org.attach_policy(PolicyId=deny_all, TargetId=root_id)
    root.iam.list_users()
    # With the AWS CLI, through the JSON protocol.
    code, listed, stderr = aws(root, "organizations", "list-accounts")
    assert code == 0, stderr
    assert {a["Id"] for a in listed["Accounts"]} == {ACCOUNT, member}
    code, _, stderr = aws(root, "organizations", "describe-policy", "--policy-id", "p-0000000000")
    assert code != 0 and "PolicyNotFoundException" in stderr


def credentials_of(path):
    parser = configparser.ConfigParser()
    parser.read(path)
    return parser["default"]["aws_access_key_id"], parser["default"]["aws_secret_access_key"]


def clients_of(endpoint, key_id, secret, token=None):
    session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                            region_name=REGION)
    make = lambda service: session.client(service, endpoint_url=endpoint, config=CLIENT_CONFIG)  # noqa: E731
    return Clients(iam=make("iam"), sts=make("sts"), org=make("organizations"), key_id=key_id, secret=secret,
                   token=token)


def assumed(endpoint, clients, role_arn, name):
    creds = clients.sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return clients_of(endpoint, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def test_a_standalone_account_and_an_rcp_that_keeps_it_out(tmp_path):
    """`monban account create` makes an account outside the organization; an RCP on a member
    account denies role assumption from outside the organization, and detaching it lets it in."""
    data = tmp_path / "data"
    process, _ = serve_and_read_exports(("--data-dir", str(data), "--quiet"))
    process.terminate()
    process.wait(timeout=10)
    outsider_id = "444455556666"
    made = subprocess.run([str(monban_bin()), "account", "create", "--data-dir", str(data), "--account-id", outsider_id],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and made.stdout.strip() == outsider_id, made.stderr
    assert oct((data / f"root-credentials.{outsider_id}").stat().st_mode & 0o777) == "0o600"
    process, exported = serve_and_read_exports(("--data-dir", str(data), "--quiet"))
    try:
        endpoint = exported["AWS_ENDPOINT_URL"]
        management = clients_of(endpoint, *credentials_of(data / "root-credentials"))
        outsider = clients_of(endpoint, *credentials_of(data / f"root-credentials.{outsider_id}"))
        assert outsider.sts.get_caller_identity()["Account"] == outsider_id

        organization = management.org.create_organization()["Organization"]
        root_id = management.org.list_roots()["Roots"][0]["Id"]
        member = create_member(management, "shared")
        management.iam.create_user(UserName="operator")
        management.iam.put_user_policy(UserName="operator", PolicyName="p", PolicyDocument=policy_doc(allow("*")))
        key = management.iam.create_access_key(UserName="operator")["AccessKey"]
        operator = clients_of(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        admin = assumed(endpoint, operator, f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", "admin")

        # A role in the member account that trusts the organization's management account and the outsider.
        trust = policy_doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": [
            f"arn:aws:iam::{account_of(management)}:root", f"arn:aws:iam::{outsider_id}:root"]}})
        admin.iam.create_role(RoleName="shared", AssumeRolePolicyDocument=trust)
        shared = f"arn:aws:iam::{member}:role/shared"
        # Across accounts both sides must allow: the outsider's user needs its own policy too.
        outsider.iam.create_user(UserName="visitor")
        key = outsider.iam.create_access_key(UserName="visitor")["AccessKey"]
        visitor = clients_of(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        expect_error("AccessDenied", visitor.sts.assume_role, RoleArn=shared, RoleSessionName="visitor")
        outsider.iam.put_user_policy(UserName="visitor", PolicyName="p", PolicyDocument=policy_doc(allow("sts:AssumeRole")))
        assumed(endpoint, visitor, shared, "before")

        management.org.enable_policy_type(RootId=root_id, PolicyType="RESOURCE_CONTROL_POLICY")
        expect_error("MalformedPolicyDocumentException", management.org.create_policy, Name="bad", Description="",
                     Type="RESOURCE_CONTROL_POLICY", Content=policy_doc(allow("sts:AssumeRole", Principal="*")))
        keep_in = policy_doc({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
                              "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": organization["Id"]}}})
        rcp = management.org.create_policy(Name="org-only", Description="", Type="RESOURCE_CONTROL_POLICY",
                                           Content=keep_in)["Policy"]["PolicySummary"]["Id"]
        management.org.attach_policy(PolicyId=rcp, TargetId=member)
        denied = expect_error("AccessDenied", visitor.sts.assume_role, RoleArn=shared, RoleSessionName="after")
        assert "with an explicit deny in a resource control policy" in denied.response["Error"]["Message"]
        assumed(endpoint, operator, shared, "insider")  # a principal of the organization still gets in
        expect_error("InvalidInputException", management.org.detach_policy, PolicyId="p-RCPFullAWSAccess", TargetId=member)
        management.org.detach_policy(PolicyId=rcp, TargetId=member)
        assumed(endpoint, visitor, shared, "again")

        # Invited, the standalone account joins; then the organization's SCPs apply to it.
        expect_error("AccountNotFoundException", management.org.invite_account_to_organization,
                     Target={"Id": "999999999999", "Type": "ACCOUNT"})
        invitation = management.org.invite_account_to_organization(Target={"Id": outsider_id, "Type": "ACCOUNT"},
                                                                   Notes="join us")["Handshake"]
        assert invitation["State"] == "OPEN" and invitation["Action"] == "INVITE"
        expect_error("DuplicateHandshakeException", management.org.invite_account_to_organization,
                     Target={"Id": outsider_id, "Type": "ACCOUNT"})
        [pending] = outsider.org.list_handshakes_for_account()["Handshakes"]
        assert pending["Id"] == invitation["Id"]
        expect_error("HandshakeNotFoundException", admin.org.accept_handshake, HandshakeId=invitation["Id"])
        accepted = outsider.org.accept_handshake(HandshakeId=invitation["Id"])["Handshake"]
        assert accepted["State"] == "ACCEPTED"
        expect_error("InvalidHandshakeTransitionException", outsider.org.decline_handshake, HandshakeId=invitation["Id"])
        assert outsider.org.describe_organization()["Organization"]["Id"] == organization["Id"]
        joined = management.org.describe_account(AccountId=outsider_id)["Account"]
        assert joined["JoinedMethod"] == "INVITED"
        no_users = management.org.create_policy(Name="no-users", Description="", Type="SERVICE_CONTROL_POLICY",
                                                Content=policy_doc(deny("iam:CreateUser")))["Policy"]["PolicySummary"]["Id"]
        management.org.attach_policy(PolicyId=no_users, TargetId=outsider_id)
        expect_error("AccessDenied", outsider.iam.create_user, UserName="after-joining")
    finally:
        process.terminate()
        process.wait(timeout=10)


def account_of(clients):
    return clients.sts.get_caller_identity()["Account"]


def test_assume_root_opens_a_task_limited_root_session_in_a_member_account(server, root, make_user):
    """Centralized root access (IAM User Guide, "Centrally manage root access for member accounts";
    STS API Reference, AssumeRoot): trusted access for IAM, root sessions enabled, then a short
    root session in a member account that can do only what its task policy leaves."""
    root.org.create_organization()
    member = create_member(root, "audited")
    expect_error("ServiceAccessNotEnabledException", root.iam.enable_organizations_root_sessions)
    root.org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    assert root.org.list_aws_service_access_for_organization()["EnabledServicePrincipals"][0]["ServicePrincipal"] == "iam.amazonaws.com"
    auditor = make_user("auditor", allow("sts:AssumeRoot", f"arn:aws:iam::{member}:root"))
    task = {"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}
    expect_error("AccessDenied", auditor.sts.assume_root, TargetPrincipal=member, TaskPolicyArn=task)
    enabled = root.iam.enable_organizations_root_sessions()
    assert enabled["EnabledFeatures"] == ["RootSessions"]
    assert root.iam.list_organizations_features()["EnabledFeatures"] == ["RootSessions"]

    credentials = auditor.sts.assume_root(TargetPrincipal=member, TaskPolicyArn=task, DurationSeconds=900)["Credentials"]
    session = server.clients(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{member}:root"
    session.iam.list_access_keys()  # auditing root's credentials is the task
    session.iam.get_account_summary()
    expect_error("AccessDenied", session.iam.create_user, UserName="not-the-task")
    # Only member accounts, only task policies, only for callers allowed sts:AssumeRoot on that root.
    expect_error("AccessDenied", auditor.sts.assume_root, TargetPrincipal=ACCOUNT, TaskPolicyArn=task)
    expect_error("InvalidParameterValue", auditor.sts.assume_root, TargetPrincipal=member,
                 TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    other = make_user("other", allow("sts:AssumeRole"))
    expect_error("AccessDenied", other.sts.assume_root, TargetPrincipal=member, TaskPolicyArn=task)
    root.iam.disable_organizations_root_sessions()
    expect_error("AccessDenied", auditor.sts.assume_root, TargetPrincipal=member, TaskPolicyArn=task)


def test_tags_delegated_administrators_and_leaving(server, root, assume):
    root.org.create_organization()
    root_id = root.org.list_roots()["Roots"][0]["Id"]
    member = create_member(root, "leaver")
    root.org.tag_resource(ResourceId=member, Tags=[{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "dev"}])
    root.org.tag_resource(ResourceId=member, Tags=[{"Key": "team", "Value": "blue"}])
    root.org.untag_resource(ResourceId=member, TagKeys=["env"])
    assert root.org.list_tags_for_resource(ResourceId=member)["Tags"] == [{"Key": "team", "Value": "blue"}]
    root.org.tag_resource(ResourceId=root_id, Tags=[{"Key": "k", "Value": "v"}])
    expect_error("TargetNotFoundException", root.org.tag_resource, ResourceId="111122223333", Tags=[{"Key": "k", "Value": "v"}])

    root.org.register_delegated_administrator(AccountId=member, ServicePrincipal="securityhub.amazonaws.com")
    expect_error("AccountAlreadyRegisteredException", root.org.register_delegated_administrator, AccountId=member,
                 ServicePrincipal="securityhub.amazonaws.com")
    [admin] = root.org.list_delegated_administrators()["DelegatedAdministrators"]
    assert admin["Id"] == member
    assert [s["ServicePrincipal"] for s in root.org.list_delegated_services_for_account(AccountId=member)["DelegatedServices"]] == ["securityhub.amazonaws.com"]
    expect_error("ConstraintViolationException", root.org.register_delegated_administrator, AccountId=ACCOUNT,
                 ServicePrincipal="securityhub.amazonaws.com")

    # An SCP stops the member's admin until the account leaves the organization.
    scp = root.org.create_policy(Content=policy_doc(deny("iam:CreateUser")), Description="", Name="no-users",
                                 Type=SCP)["Policy"]["PolicySummary"]["Id"]
    root.org.attach_policy(PolicyId=scp, TargetId=member)
    _, admin_session = admin_of(server, assume, root, member)
    expect_error("AccessDenied", admin_session.iam.create_user, UserName="blocked")
    expect_error("MasterCannotLeaveOrganizationException", root.org.remove_account_from_organization, AccountId=ACCOUNT)
    admin_session.org.leave_organization()
    expect_error("AWSOrganizationsNotInUseException", admin_session.org.describe_organization)
    admin_session.iam.create_user(UserName="free")
    assert {a["Id"] for a in root.org.list_accounts()["Accounts"]} == {ACCOUNT}
    expect_error("AccountNotFoundException", root.org.remove_account_from_organization, AccountId=member)


def test_conditions_and_targets_of_organization_actions_are_authorized(root, make_user):
    """MoveAccount is authorized on the account and on both parents, and the policy actions carry
    organizations:PolicyType, the service-access actions organizations:ServicePrincipal (Service
    Authorization Reference, AWS Organizations), so a deny on either holds."""
    root.org.create_organization()
    root_id = root.org.list_roots()["Roots"][0]["Id"]
    quarantine = root.org.create_organizational_unit(ParentId=root_id, Name="quarantine")["OrganizationalUnit"]
    member = create_member(root, "suspect")
    root.org.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=quarantine["Id"])
    operator = make_user(
        "operator",
        allow("organizations:*"),
        deny("organizations:MoveAccount", quarantine["Arn"]),
        deny(["organizations:DetachPolicy", "organizations:DisablePolicyType"],
             Condition={"StringEquals": {"organizations:PolicyType": SCP}}),
        deny("organizations:EnableAWSServiceAccess",
             Condition={"StringEquals": {"organizations:ServicePrincipal": "iam.amazonaws.com"}}),
    )
    expect_error("AccessDeniedException", operator.org.move_account, AccountId=member,
                 SourceParentId=quarantine["Id"], DestinationParentId=root_id)
    expect_error("AccessDeniedException", operator.org.disable_policy_type, RootId=root_id, PolicyType=SCP)
    expect_error("AccessDeniedException", operator.org.detach_policy, PolicyId="p-FullAWSAccess", TargetId=root_id)
    expect_error("AccessDeniedException", operator.org.enable_aws_service_access, ServicePrincipal="iam.amazonaws.com")
    operator.org.enable_aws_service_access(ServicePrincipal="securityhub.amazonaws.com")
    operator.org.enable_policy_type(RootId=root_id, PolicyType="RESOURCE_CONTROL_POLICY")


def test_the_operation_a_json_request_names_is_signed(server, root):
    """X-Amz-Target names the operation of a JSON request: a signature that does not cover it
    could be replayed as another operation, so the server refuses it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    import urllib.error
    import urllib.request

    request = AWSRequest(method="POST", url=server.endpoint + "/", data=b"{}",
                         headers={"Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(root.key_id, root.secret), "organizations", REGION).add_auth(request)
    headers = dict(request.headers.items())
    headers["X-Amz-Target"] = "AWSOrganizationsV20161128.CreateOrganization"
    sent = urllib.request.Request(server.endpoint + "/", data=b"{}", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=10) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    assert status == 403 and "X-Amz-Target" in body, (status, body)
    expect_error("AWSOrganizationsNotInUseException", root.org.describe_organization)


def test_consolidated_billing_has_no_policy_types(root):
    root.org.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    [root_unit] = root.org.list_roots()["Roots"]
    assert root_unit["PolicyTypes"] == []
    expect_error("PolicyTypeNotAvailableForOrganizationException", root.org.enable_policy_type,
                 RootId=root_unit["Id"], PolicyType=SCP)


def test_account_create_opens_the_data_directory_as_an_account_with_a_root_key(tmp_path):
    """A member account Organizations created has no root key. `monban account create` must not
    open the data directory as that account: it would make it a root key that nobody knows. The
    management account's id is the largest, so that the member's comes first."""
    data = tmp_path / "data"
    process, exported = serve_and_read_exports(("--data-dir", str(data), "--quiet", "--account-id", "999999999999"))
    try:
        management = clients_of(exported["AWS_ENDPOINT_URL"], *credentials_of(data / "root-credentials"))
        management.org.create_organization()
        member = create_member(management, "keyless")
        assert member < "999999999999"
    finally:
        process.terminate()
        process.wait(timeout=10)
    before = (data / "root-credentials").read_text()
    made = subprocess.run([str(monban_bin()), "account", "create", "--data-dir", str(data)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert (data / "root-credentials").read_text() == before
    process, exported = serve_and_read_exports(("--data-dir", str(data), "--quiet", "--account-id", "999999999999"))
    try:
        endpoint = exported["AWS_ENDPOINT_URL"]
        management = clients_of(endpoint, *credentials_of(data / "root-credentials"))
        assert management.sts.get_caller_identity()["Account"] == "999999999999"
        # The member account still has no root key.
        management.iam.create_user(UserName="operator")
        management.iam.put_user_policy(UserName="operator", PolicyName="p", PolicyDocument=policy_doc(allow("*")))
        key = management.iam.create_access_key(UserName="operator")["AccessKey"]
        operator = clients_of(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        admin = assumed(endpoint, operator, f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", "check")
        assert admin.iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)
