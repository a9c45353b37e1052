"""Least privilege from activity, on the sandbox: a role with broad permissions is used through
boto3, then `monban generate` on the server's audit log gives a policy that allows exactly those
calls (every one re-decided by the engine) and is enough to make them again, while an unused
action is denied."""

import json
import subprocess

from helpers import ACCOUNT, Server, allow, expect_error, monban_bin, policy_doc, trust_account


def test_generated_policy_allows_exactly_the_calls_made(tmp_path):
    audit_log = tmp_path / "audit.log"
    server = Server.start(("--audit-log", str(audit_log)))
    try:
        root = server.root()
        role_arn = root.iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust_account())["Role"]["Arn"]
        root.iam.put_role_policy(RoleName="app", PolicyName="broad", PolicyDocument=policy_doc(allow("iam:*")))
        # Root cannot assume roles (IAM User Guide, "Switch to an IAM role"); a user of the account can.
        root.iam.create_user(UserName="dev")
        root.iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=policy_doc(allow("sts:AssumeRole")))
        key = root.iam.create_access_key(UserName="dev")["AccessKey"]
        dev = server.clients(key["AccessKeyId"], key["SecretAccessKey"])
        creds = dev.sts.assume_role(RoleArn=role_arn, RoleSessionName="script")["Credentials"]
        app = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])

        # The script: what the role is for.
        app.iam.create_group(GroupName="readers")
        app.iam.list_groups()
        app.iam.get_group(GroupName="readers")

        generated = subprocess.run(
            [str(monban_bin()), "generate", str(audit_log), "--principal", role_arn],
            capture_output=True, text=True, timeout=120,
        )
        assert generated.returncode == 0, generated.stderr
        policy = json.loads(generated.stdout)
        group = f"arn:aws:iam::{ACCOUNT}:group/readers"
        # One statement per set of resources, with the actions used on exactly those.
        assert policy["Statement"] == [
            {"Effect": "Allow", "Action": ["iam:CreateGroup", "iam:GetGroup"], "Resource": group},
            {"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*"},
        ], policy

        # The generated policy replaces the broad one: the script's reads still work, an unused
        # action does not.
        root.iam.put_role_policy(RoleName="app", PolicyName="broad", PolicyDocument=json.dumps(policy))
        creds = dev.sts.assume_role(RoleArn=role_arn, RoleSessionName="again")["Credentials"]
        app = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        app.iam.list_groups()
        app.iam.get_group(GroupName="readers")
        expect_error("AccessDenied", app.iam.delete_group, GroupName="readers", status=403)

        report = subprocess.run(
            [str(monban_bin()), "generate", str(audit_log), "--principal", role_arn, "--format", "report"],
            capture_output=True, text=True, timeout=120,
        )
        assert report.stdout.startswith(f"{role_arn}: 5 of 5 calls allowed by the generated policy"), report.stdout
        assert "needed but not granted (denied):\n  iam:DeleteGroup on " + group in report.stdout, report.stdout
    finally:
        server.stop()
