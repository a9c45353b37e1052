"""Helpers shared by the end-to-end suites: the server process, clients, policy documents, errors.

The server is the binary named by $MONBAN_BIN (default: target/debug/monban of the repository),
started as

    monban serve --ephemeral --dev --listen 127.0.0.1:0 --account-id 123456789012 \
        --root-access-key-id AKIAROOTROOTROOT0001 --root-secret-access-key SECRET

It prints `listening on http://127.0.0.1:PORT` once bound. Before every test the suite sends
`POST /moto-api/reset`, which wipes all state and re-creates the account and its root key.

Clients are real ones: boto3 (botocore) and the AWS CLI, pointed at the server with
endpoint_url / --endpoint-url, signing with SigV4 as they would against AWS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "123456789012"
ROOT_KEY_ID = "AKIAROOTROOTROOT0001"
ROOT_SECRET = "monbanE2eRootSecret/AccessKey+0123456789"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
REGION = "us-east-1"

# Nothing from the developer's own AWS setup may leak into the clients.
for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

# One attempt per call: the suites look at the first answer the server gives.
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def monban_bin() -> Path:
    return Path(os.environ.get("MONBAN_BIN", REPO / "target" / "debug" / "monban"))


def serve_and_read_exports(args, stderr=subprocess.DEVNULL):
    """Starts `monban serve ARGS` without given root credentials, as a newcomer does, and returns
    (process, the variables of the `export` line it printed)."""
    process = subprocess.Popen(
        [str(monban_bin()), "serve", "--listen", "127.0.0.1:0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    first = process.stdout.readline()
    assert first.startswith("listening on http://127.0.0.1:"), first
    line = process.stdout.readline()
    assert line.startswith("export "), line
    exported = dict(re.findall(r"(\w+)=('[^']*'|\S+)", line[len("export "):]))
    return process, {k: v.strip("'") for k, v in exported.items()}


def policy_doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust_account(account: str = ACCOUNT, **extra) -> str:
    """A trust policy that delegates sts:AssumeRole to the account's own IAM policies."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole",
    }
    statement.update(extra)
    return policy_doc(statement)


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo) -> str:
    return excinfo.value.response["Error"].get("Message", "")


def http_status(excinfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def expect_error(code: str, fn, *args, status: int | None = None, **kwargs) -> ClientError:
    """Calls fn and asserts that it fails with the given AWS error code (and HTTP status)."""
    with pytest.raises(ClientError) as excinfo:
        fn(*args, **kwargs)
    assert error_code(excinfo) == code, excinfo.value.response
    if status is not None:
        assert http_status(excinfo) == status, excinfo.value.response
    return excinfo.value


class Server:
    def __init__(self, process: subprocess.Popen, endpoint: str):
        self.process = process
        self.endpoint = endpoint

    @classmethod
    def start(cls, extra_args: tuple[str, ...] = ()) -> "Server":
        binary = monban_bin()
        if not binary.is_file():
            pytest.fail(
                f"monban binary not found at {binary}: build it with `cargo build -p monban` or set MONBAN_BIN",
                pytrace=False,
            )
        log = None if os.environ.get("MONBAN_E2E_SERVER_LOG") else subprocess.DEVNULL
        process = subprocess.Popen(
            [
                str(binary),
                "serve",
                "--ephemeral",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--account-id",
                ACCOUNT,
                "--root-access-key-id",
                ROOT_KEY_ID,
                "--root-secret-access-key",
                ROOT_SECRET,
                *extra_args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(timeout=30)
        line = first_line[0] if first_line else ""
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\s*", line)
        if not match:
            process.kill()
            process.wait()
            pytest.fail(
                f"monban serve did not announce its address (first line {line!r}, exit status {process.returncode})",
                pytrace=False,
            )
        # Keep draining stdout so that the server never blocks on a full pipe.
        drain = threading.Thread(target=lambda: process.stdout.read())
        drain.daemon = True
        drain.start()
        return cls(process, match.group(1))

    def stop(self) -> None:
        """SIGTERM, as a person stopping the server: it finishes and removes its in-memory state."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()

    def reset(self) -> int:
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def alive(self) -> bool:
        return self.process.poll() is None

    # Clients -------------------------------------------------------------------------------

    def session(self, key_id: str, secret: str, token: str | None = None) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=REGION,
        )

    def clients(self, key_id: str, secret: str, token: str | None = None, region: str = REGION):
        session = self.session(key_id, secret, token)
        return Clients(
            iam=session.client("iam", endpoint_url=self.endpoint, region_name=region, config=CLIENT_CONFIG),
            sts=session.client("sts", endpoint_url=self.endpoint, region_name=region, config=CLIENT_CONFIG),
            # Organizations is global: its requests are signed for us-east-1 in the aws partition.
            org=session.client("organizations", endpoint_url=self.endpoint, region_name=REGION, config=CLIENT_CONFIG),
            key_id=key_id,
            secret=secret,
            token=token,
        )

    def root(self) -> "Clients":
        return self.clients(ROOT_KEY_ID, ROOT_SECRET)


@dataclass
class Clients:
    iam: object
    sts: object
    org: object
    key_id: str
    secret: str
    token: str | None = None


def signed_request(
    endpoint: str,
    creds: Clients,
    params: dict,
    service: str = "iam",
    region: str = REGION,
    method: str = "POST",
) -> tuple[int, str]:
    """Sends one Query-protocol request signed with SigV4 by botocore's signer, outside any
    service model (for actions a model does not have); returns (HTTP status, body)."""
    from urllib.parse import urlencode

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = urlencode(params)
    if method == "POST":
        request = AWSRequest(
            method="POST",
            url=endpoint + "/",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    else:
        request = AWSRequest(method="GET", url=endpoint + "/?" + body)
    SigV4Auth(Credentials(creds.key_id, creds.secret, creds.token), service, region).add_auth(request)
    prepared = request.prepare()
    http_request = urllib.request.Request(
        prepared.url,
        data=prepared.body.encode() if isinstance(prepared.body, str) else prepared.body,
        headers=dict(prepared.headers),
        method=method,
    )
    try:
        with urllib.request.urlopen(http_request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def xml_error(body: str) -> tuple[str, str, str]:
    """(Type, Code, Message) of an AWS Query-protocol error body."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(body)

    def find(tag):
        for element in root.iter():
            if element.tag.split("}")[-1] == tag:
                return element.text or ""
        return ""

    return find("Type"), find("Code"), find("Message")
