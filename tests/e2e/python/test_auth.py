"""Authentication: SigV4 signatures, unknown and inactive keys, clock skew, session tokens and
their expiry.

AWS's answers (IAM/STS API reference, Common Errors; SigV4 documentation):
  wrong secret or tampered request   SignatureDoesNotMatch  403
  unknown or inactive access key     InvalidClientTokenId   403 "The security token included in the request is invalid."
  more than 15 minutes of skew       SignatureDoesNotMatch  403 "Signature expired: ..." / "Signature not yet current: ..."
  no signature at all                MissingAuthenticationToken 403
  expired session token              ExpiredToken           403 (Common Errors) or 400 (botocore's STS model)
"""

import datetime
import time
import urllib.error
import urllib.request

import botocore.auth
import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, ROOT_ARN, ROOT_KEY_ID, allow, expect_error, trust_account, xml_error


def sign_at(monkeypatch, when: datetime.datetime):
    """Makes botocore's SigV4 signer use `when` (UTC) as the request time."""
    naive = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)

    def fixed(remove_tzinfo=True):
        return naive if remove_tzinfo else naive.replace(tzinfo=datetime.timezone.utc)

    monkeypatch.setattr(botocore.auth, "get_current_datetime", fixed)


def http_status_of(error) -> int:
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def test_wrong_secret_is_signature_does_not_match(server):
    wrong = server.clients(ROOT_KEY_ID, "x" * 40)
    expect_error("SignatureDoesNotMatch", wrong.sts.get_caller_identity, status=403)
    expect_error("SignatureDoesNotMatch", wrong.iam.list_users, status=403)


def test_unknown_access_key_is_invalid_client_token_id(server):
    stranger = server.clients("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    expect_error("InvalidClientTokenId", stranger.sts.get_caller_identity, status=403)
    expect_error("InvalidClientTokenId", stranger.iam.list_users, status=403)


def test_inactive_and_deleted_keys_are_invalid_client_token_id(server, root):
    root.iam.create_user(UserName="alice")
    key = root.iam.create_access_key(UserName="alice")["AccessKey"]
    alice = server.clients(key["AccessKeyId"], key["SecretAccessKey"])
    alice.sts.get_caller_identity()
    root.iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    expect_error("InvalidClientTokenId", alice.sts.get_caller_identity, status=403)
    expect_error("InvalidClientTokenId", alice.iam.get_user, UserName="alice", status=403)
    root.iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    expect_error("InvalidClientTokenId", alice.sts.get_caller_identity, status=403)


def test_deleted_user_key_no_longer_works(server, root):
    root.iam.create_user(UserName="alice")
    key = root.iam.create_access_key(UserName="alice")["AccessKey"]
    alice = server.clients(key["AccessKeyId"], key["SecretAccessKey"])
    root.iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    root.iam.delete_user(UserName="alice")
    expect_error("InvalidClientTokenId", alice.sts.get_caller_identity, status=403)


def test_signature_from_the_past_is_expired(server, monkeypatch):
    root = server.root()
    signed_at = now_utc() - datetime.timedelta(minutes=20)
    sign_at(monkeypatch, signed_at)
    error = expect_error("SignatureDoesNotMatch", root.sts.get_caller_identity, status=403)
    message = error.response["Error"]["Message"]
    assert message.startswith("Signature expired: " + signed_at.strftime("%Y%m%dT%H%M%SZ")), message
    assert "is now earlier than" in message, message
    expect_error("SignatureDoesNotMatch", root.iam.list_users, status=403)


def test_signature_from_the_future_is_not_yet_current(server, monkeypatch):
    root = server.root()
    signed_at = now_utc() + datetime.timedelta(minutes=20)
    sign_at(monkeypatch, signed_at)
    error = expect_error("SignatureDoesNotMatch", root.sts.get_caller_identity, status=403)
    message = error.response["Error"]["Message"]
    assert message.startswith("Signature not yet current: " + signed_at.strftime("%Y%m%dT%H%M%SZ")), message


@pytest.mark.parametrize("minutes", [-10, 10])
def test_skew_within_fifteen_minutes_is_accepted(server, monkeypatch, minutes):
    root = server.root()
    sign_at(monkeypatch, now_utc() + datetime.timedelta(minutes=minutes))
    assert root.sts.get_caller_identity()["Arn"] == ROOT_ARN


def test_unsigned_request_is_missing_authentication_token(server):
    request = urllib.request.Request(
        server.endpoint + "/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    assert status == 403, body
    _, code, _ = xml_error(body)
    assert code == "MissingAuthenticationToken", body


def test_tampered_body_is_signature_does_not_match(server, root):
    root.iam.create_user(UserName="alice")

    def tamper(request, **_):
        # After signing: the request now names another user than the one that was signed.
        request.body = (
            request.body.replace(b"UserName=alice", b"UserName=mallo")
            if isinstance(request.body, bytes)
            else request.body.replace("UserName=alice", "UserName=mallo")
        )

    root.iam.meta.events.register("before-send.iam.DeleteUser", tamper)
    expect_error("SignatureDoesNotMatch", root.iam.delete_user, UserName="alice", status=403)
    root.iam.meta.events.unregister("before-send.iam.DeleteUser", tamper)
    assert root.iam.get_user(UserName="alice")["User"]["UserName"] == "alice"


def test_presigned_get_caller_identity(server, root):
    # The query-string form of SigV4 (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature ...),
    # as used by tools that prove an identity with a presigned sts:GetCallerIdentity URL.
    url = root.sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    assert response.status == 200
    assert f"<Arn>{ROOT_ARN}</Arn>" in body
    assert f"<Account>{ACCOUNT}</Account>" in body
    # Changing the signed query breaks the signature.
    bad = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
    try:
        urllib.request.urlopen(bad, timeout=10)
        raise AssertionError("a modified presigned URL was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 403
        assert xml_error(error.read().decode())[1] == "SignatureDoesNotMatch"


def test_session_credentials_need_their_token(server, make_user, assume, root):
    root.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account())
    alice = make_user("alice", allow("sts:AssumeRole"))
    session, response = assume(alice, f"arn:aws:iam::{ACCOUNT}:role/r")
    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/session"
    # Without the session token, or with another token, the key is not valid.
    no_token = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"])
    expect_error("InvalidClientTokenId", no_token.sts.get_caller_identity, status=403)
    other = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], "X" * len(creds["SessionToken"]))
    with pytest.raises(ClientError) as excinfo:
        other.sts.get_caller_identity()
    assert excinfo.value.response["Error"]["Code"] in ("InvalidClientTokenId", "SignatureDoesNotMatch")


def test_reset_invalidates_everything_but_root(server, root, make_user):
    alice = make_user("alice")
    alice.sts.get_caller_identity()
    assert server.reset() == 200
    expect_error("InvalidClientTokenId", alice.sts.get_caller_identity, status=403)
    assert root.sts.get_caller_identity()["Arn"] == ROOT_ARN
    assert root.iam.list_users()["Users"] == []


@pytest.mark.last
def test_session_credentials_work_until_they_expire(expiring_session):
    """Credentials from AssumeRole with DurationSeconds=900 (taken when the test session
    started) work until their Expiration and are then rejected with ExpiredToken."""
    if expiring_session is None:
        pytest.skip("MONBAN_E2E_SKIP_EXPIRY is set")
    session = expiring_session["session"]
    expiration = expiring_session["expiration"]
    issued = expiring_session["issued"]
    assert abs(expiration.timestamp() - (issued + 900)) < 120, expiration
    remaining = expiration.timestamp() - time.time()
    if remaining > 5:
        session.iam.list_users()
        session.sts.get_caller_identity()
    time.sleep(max(0.0, expiration.timestamp() - time.time()) + 3)
    # The HTTP status is documented both ways: 403 in the IAM/STS "Common Errors" pages, 400 for
    # ExpiredTokenException in botocore's STS model; the code is ExpiredToken either way.
    error = expect_error("ExpiredToken", session.sts.get_caller_identity)
    assert http_status_of(error) in (400, 403), error.response
    assert "expired" in error.response["Error"]["Message"]
    error = expect_error("ExpiredToken", session.iam.list_users)
    assert http_status_of(error) in (400, 403), error.response
