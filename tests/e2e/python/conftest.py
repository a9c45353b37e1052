"""Fixtures for the end-to-end suites: one `monban serve` per test session, reset before each test
(see helpers.py for how the server is started)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from helpers import ACCOUNT, REGION, Clients, Server, allow, monban_bin, policy_doc, trust_account


@pytest.fixture(scope="session")
def server():
    srv = Server.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Every test starts from a fresh account (POST /moto-api/reset)."""
    if "server" not in request.fixturenames and "root" not in request.fixturenames:
        yield
        return
    srv = request.getfixturevalue("server")
    assert srv.alive(), "monban serve has exited"
    assert srv.reset() == 200
    yield


@pytest.fixture
def root(server) -> Clients:
    return server.root()


@pytest.fixture
def make_user(server, root):
    """make_user(name, *statements, managed=(), groups=(), path='/') -> Clients of a new user with
    an access key; statements become its inline policy `inline`."""

    def make(name, *statements, managed=(), groups=(), path="/", boundary=None):
        kwargs = {"UserName": name, "Path": path}
        if boundary:
            kwargs["PermissionsBoundary"] = boundary
        root.iam.create_user(**kwargs)
        if statements:
            root.iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy_doc(*statements))
        for arn in managed:
            root.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        for group in groups:
            root.iam.add_user_to_group(GroupName=group, UserName=name)
        key = root.iam.create_access_key(UserName=name)["AccessKey"]
        return server.clients(key["AccessKeyId"], key["SecretAccessKey"])

    return make


@pytest.fixture
def assume(server):
    """assume(clients, role_arn, session_name="session", **kwargs) -> (Clients of the session, response)."""

    def do(clients, role_arn, session_name="session", **kwargs):
        response = clients.sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, **kwargs)
        creds = response["Credentials"]
        return (
            server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]),
            response,
        )

    return do


@pytest.fixture
def aws(server):
    """aws(creds, 'iam', 'get-user', ...) runs the AWS CLI against the server; returns
    (exit code, parsed JSON output or None, stderr)."""

    def run(creds: Clients, *args: str):
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ACCESS_KEY_ID": creds.key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if creds.token:
            env["AWS_SESSION_TOKEN"] = creds.token
        proc = subprocess.run(
            [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        out = proc.stdout.strip()
        return proc.returncode, (json.loads(out) if out else None), proc.stderr

    return run


def pytest_collection_modifyitems(config, items):
    """Tests marked `last` (they wait for credentials to expire) run after all others."""
    items.sort(key=lambda item: 1 if item.get_closest_marker("last") else 0)


@pytest.fixture(scope="session", autouse=True)
def expiring_session():
    """Temporary credentials of the shortest lifetime AssumeRole allows (900 s), taken when the
    test session starts from a second server that no reset touches, so that a test run last can
    see them expire. MONBAN_E2E_SKIP_EXPIRY=1 leaves this out (for quick local runs)."""
    if os.environ.get("MONBAN_E2E_SKIP_EXPIRY") or not monban_bin().is_file():
        yield None
        return
    srv = Server.start()
    try:
        root = srv.root()
        root.iam.create_role(RoleName="short", AssumeRolePolicyDocument=trust_account())
        root.iam.put_role_policy(RoleName="short", PolicyName="list", PolicyDocument=policy_doc(allow("iam:ListUsers")))
        root.iam.create_user(UserName="starter")
        root.iam.put_user_policy(
            UserName="starter", PolicyName="assume", PolicyDocument=policy_doc(allow("sts:AssumeRole"))
        )
        key = root.iam.create_access_key(UserName="starter")["AccessKey"]
        starter = srv.clients(key["AccessKeyId"], key["SecretAccessKey"])
        issued = time.time()
        response = starter.sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/short", RoleSessionName="short", DurationSeconds=900
        )
        creds = response["Credentials"]
        session = srv.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        yield {"server": srv, "session": session, "issued": issued, "expiration": creds["Expiration"]}
    finally:
        srv.stop()
