"""The AWS CLI (`aws iam ...`, `aws sts ...`) against the server, output parsed as JSON."""

import json

from helpers import ACCOUNT, ROOT_ARN, allow, policy_doc, serve_and_read_exports, trust_account


def test_get_caller_identity(aws, root):
    rc, out, err = aws(root, "sts", "get-caller-identity")
    assert rc == 0, err
    assert out == {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": ROOT_ARN}


def test_users_keys_and_access_denied(aws, root, server):
    rc, out, err = aws(root, "iam", "create-user", "--user-name", "cli-user", "--path", "/cli/")
    assert rc == 0, err
    assert out["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli/cli-user"
    rc, out, err = aws(root, "iam", "create-access-key", "--user-name", "cli-user")
    assert rc == 0, err
    key = out["AccessKey"]
    user = server.clients(key["AccessKeyId"], key["SecretAccessKey"])

    rc, out, err = aws(user, "sts", "get-caller-identity")
    assert rc == 0, err
    assert out["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli/cli-user"

    rc, out, err = aws(user, "iam", "create-user", "--user-name", "x")
    assert rc != 0
    # The CLI prints "An error occurred (CODE) when calling the OPERATION operation[ (retries)]: MESSAGE".
    assert "An error occurred (AccessDenied) when calling the CreateUser operation" in err, err
    assert (
        f"User: arn:aws:iam::{ACCOUNT}:user/cli/cli-user is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/x because no identity-based policy allows the iam:CreateUser action"
    ) in err, err


def test_error_codes_reach_the_cli(aws, root):
    rc, _, err = aws(root, "iam", "get-user", "--user-name", "nobody")
    assert rc != 0
    assert "An error occurred (NoSuchEntity) when calling the GetUser operation" in err, err
    aws(root, "iam", "create-group", "--group-name", "devs")
    rc, _, err = aws(root, "iam", "create-group", "--group-name", "DEVS")
    assert rc != 0
    assert "(EntityAlreadyExists)" in err, err
    rc, _, err = aws(
        root, "iam", "create-policy", "--policy-name", "bad", "--policy-document", '{"Version":"2012-10-17"}'
    )
    assert rc != 0
    assert "(MalformedPolicyDocument)" in err, err


def test_policies_and_pagination(aws, root, tmp_path):
    document = tmp_path / "policy.json"
    document.write_text(policy_doc(allow("iam:ListUsers")))
    rc, out, err = aws(
        root, "iam", "create-policy", "--policy-name", "lister", "--policy-document", f"file://{document}"
    )
    assert rc == 0, err
    arn = out["Policy"]["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/lister"

    rc, out, err = aws(root, "iam", "list-policies", "--scope", "AWS", "--max-items", "5")
    assert rc == 0, err
    assert len(out["Policies"]) == 5
    assert out.get("NextToken")
    rc, out2, err = aws(
        root, "iam", "list-policies", "--scope", "AWS", "--max-items", "5", "--starting-token", out["NextToken"]
    )
    assert rc == 0, err
    first = {p["Arn"] for p in out["Policies"]}
    second = {p["Arn"] for p in out2["Policies"]}
    assert len(second) == 5 and not (first & second)

    for i in range(12):
        rc, _, err = aws(root, "iam", "create-user", "--user-name", f"u{i:02d}")
        assert rc == 0, err
    # The CLI follows Marker/IsTruncated by itself.
    rc, out, err = aws(root, "iam", "list-users", "--page-size", "5")
    assert rc == 0, err
    assert sorted(u["UserName"] for u in out["Users"]) == [f"u{i:02d}" for i in range(12)]

    rc, out, err = aws(root, "iam", "attach-user-policy", "--user-name", "u00", "--policy-arn", arn)
    assert rc == 0, err
    rc, out, err = aws(root, "iam", "list-entities-for-policy", "--policy-arn", arn)
    assert rc == 0, err
    assert [u["UserName"] for u in out["PolicyUsers"]] == ["u00"]


def test_assume_role(aws, root, server, make_user, tmp_path):
    rc, _, err = aws(
        root, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trust_account()
    )
    assert rc == 0, err
    rc, _, err = aws(
        root,
        "iam",
        "put-role-policy",
        "--role-name",
        "cli-role",
        "--policy-name",
        "list",
        "--policy-document",
        policy_doc(allow("iam:ListRoles")),
    )
    assert rc == 0, err
    rc, out, err = aws(root, "iam", "get-role", "--role-name", "cli-role")
    assert rc == 0, err
    assert out["Role"]["AssumeRolePolicyDocument"] == json.loads(trust_account())
    assert out["Role"]["MaxSessionDuration"] == 3600

    alice = make_user("alice", allow("sts:AssumeRole"))
    rc, out, err = aws(
        alice,
        "sts",
        "assume-role",
        "--role-arn",
        f"arn:aws:iam::{ACCOUNT}:role/cli-role",
        "--role-session-name",
        "cli-session",
        "--duration-seconds",
        "900",
    )
    assert rc == 0, err
    creds = out["Credentials"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/cli-role/cli-session"
    session = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    rc, out, err = aws(session, "sts", "get-caller-identity")
    assert rc == 0, err
    assert out["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/cli-role/cli-session"
    rc, out, err = aws(session, "iam", "list-roles")
    assert rc == 0, err
    assert [r["RoleName"] for r in out["Roles"]] == ["cli-role"]
    rc, _, err = aws(session, "iam", "list-users")
    assert rc != 0 and "(AccessDenied)" in err, err


def test_account_summary_and_alias(aws, root):
    rc, _, err = aws(root, "iam", "create-account-alias", "--account-alias", "cli-company")
    assert rc == 0, err
    rc, out, err = aws(root, "iam", "list-account-aliases")
    assert rc == 0, err
    assert out["AccountAliases"] == ["cli-company"]
    rc, out, err = aws(root, "iam", "get-account-summary")
    assert rc == 0, err
    assert out["SummaryMap"]["Users"] == 0
    assert out["SummaryMap"]["AccessKeysPerUserQuota"] == 2


def _cli_with(exported):
    import os
    import subprocess
    import sys

    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "AWS_CONFIG_FILE": os.devnull,
           "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true", **exported}
    proc = subprocess.run([sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_the_printed_export_line_works_with_the_cli(tmp_path):
    """`monban serve` prints one line to paste into a shell: endpoint, region and credentials (in
    memory) or the credentials file (on disk, never the secret itself)."""
    for args, secret_shown in ((["--ephemeral"], True), (["--data-dir", str(tmp_path / "state")], False)):
        process, exported = serve_and_read_exports(args)
        try:
            assert exported["AWS_DEFAULT_REGION"] == "us-east-1"
            assert ("AWS_SECRET_ACCESS_KEY" in exported) == secret_shown, exported
            if not secret_shown:
                assert exported["AWS_PROFILE"] == "default"
                assert exported["AWS_SHARED_CREDENTIALS_FILE"].endswith("root-credentials")
            rc, out, err = _cli_with(exported)
            assert rc == 0, err
            assert json.loads(out)["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        finally:
            process.kill()
            process.wait()
