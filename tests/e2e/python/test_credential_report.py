"""GenerateCredentialReport and GetCredentialReport (IAM User Guide, "Generate credential reports
for your AWS account"): AWS's columns, base64 in the response, and the same file that
`monban audit --credential-report` reads."""

import base64
import csv
import io
import json
import subprocess

from helpers import ACCOUNT, expect_error, monban_bin

COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


def test_the_report_lists_root_and_every_user_with_their_credentials(root, make_user, tmp_path):
    expect_error("ReportNotPresent", root.iam.get_credential_report, status=410)
    make_user("alice")
    root.iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    root.iam.create_user(UserName="bob")
    # IAM user names may hold commas: the field is quoted, and the columns stay put.
    root.iam.create_user(UserName="eve,true")
    assert root.iam.generate_credential_report()["State"] == "STARTED"
    assert root.iam.generate_credential_report()["State"] == "COMPLETE"
    report = root.iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    text = report["Content"].decode()
    assert text.splitlines()[0] == COLUMNS
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"<root_account>", "alice", "bob", "eve,true"}
    assert rows["eve,true"]["mfa_active"] == "false" and rows["eve,true"]["password_enabled"] == "false"
    assert rows["<root_account>"]["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert rows["<root_account>"]["password_enabled"] == "not_supported"
    alice = rows["alice"]
    assert alice["password_enabled"] == "true" and alice["password_last_used"] == "no_information"
    assert alice["access_key_1_active"] == "true" and alice["access_key_1_last_rotated"].endswith("+00:00")
    assert alice["access_key_2_active"] == "false" and alice["cert_1_active"] == "false"
    assert rows["bob"]["password_enabled"] == "false" and rows["bob"]["password_last_used"] == "N/A"

    # The analyzer reads it as it reads AWS's: bob and alice have no MFA, alice has a password.
    path = tmp_path / "report.csv"
    path.write_text(text)
    details = tmp_path / "details.json"
    details.write_text(_json(root.iam.get_account_authorization_details()))
    audit = subprocess.run([str(monban_bin()), "audit", str(details), "--credential-report", str(path)],
                           capture_output=True, text=True)
    assert audit.returncode in (0, 2), audit.stderr
    assert "alice" in audit.stdout


def _json(response):
    response.pop("ResponseMetadata", None)
    return json.dumps(response, default=str)
