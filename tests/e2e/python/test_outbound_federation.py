"""Outbound identity federation: IAM's switch, STS GetWebIdentityToken, and the issuer's published
keys verifying the tokens it vends (STS API Reference, GetWebIdentityToken; IAM API Reference,
EnableOutboundWebIdentityFederation; IAM User Guide, "IAM outbound identity federation", "Token
claims", "Policies for outbound identity federation")."""

import base64
import json
import re
import urllib.request

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from helpers import ACCOUNT, expect_error, policy_doc, trust_account

AUDIENCE = "https://api.example.com"


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def integer(text: str) -> int:
    return int.from_bytes(b64decode(text), "big")


def published(server, issuer):
    """The issuer's discovery document and key set, as monban publishes them."""
    uuid = re.fullmatch(r"https://([0-9a-f-]{36})\.tokens\.sts\.global\.api\.aws", issuer).group(1)
    base = f"{server.endpoint}/outbound-federation/{uuid}/.well-known"
    with urllib.request.urlopen(f"{base}/openid-configuration") as r:
        discovery = json.load(r)
    # As AWS publishes it: the key set under the issuer, which monban serves under its endpoint.
    assert discovery["issuer"] == issuer and discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    with urllib.request.urlopen(f"{base}/jwks.json") as r:
        return json.load(r)["keys"]


def verified_claims(token: str, keys: list) -> dict:
    """The token's claims, once its signature verifies with the key its header names."""
    header, payload, signature = token.split(".")
    head = json.loads(b64decode(header))
    key = next(k for k in keys if k["kid"] == head["kid"])
    signed, raw = f"{header}.{payload}".encode(), b64decode(signature)
    if head["alg"] == "RS256":
        public = rsa.RSAPublicNumbers(integer(key["e"]), integer(key["n"])).public_key()
        public.verify(raw, signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert head["alg"] == "ES384" and key["crv"] == "P-384"
        public = ec.EllipticCurvePublicNumbers(integer(key["x"]), integer(key["y"]), ec.SECP384R1()).public_key()
        der = utils.encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
        public.verify(der, signed, ec.ECDSA(hashes.SHA384()))
    return json.loads(b64decode(payload))


@pytest.fixture
def vendor(root, make_user):
    """A user allowed tokens for AUDIENCE only, lasting at most ten minutes."""
    statement = {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
                 "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": [AUDIENCE]},
                               "NumericLessThanEquals": {"sts:DurationSeconds": "600"}}}
    return make_user("vendor", statement)


def test_the_switch_and_tokens_that_verify_with_the_published_keys(server, root, vendor):
    expect_error("OutboundWebIdentityFederationDisabledException", vendor.sts.get_web_identity_token,
                 Audience=[AUDIENCE], SigningAlgorithm="RS256", status=403)
    expect_error("FeatureDisabled", root.iam.get_outbound_web_identity_federation_info, status=404)
    issuer = root.iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    expect_error("FeatureEnabled", root.iam.enable_outbound_web_identity_federation, status=409)
    info = root.iam.get_outbound_web_identity_federation_info()
    assert info["IssuerIdentifier"] == issuer and info["JwtVendingEnabled"] is True
    keys = published(server, issuer)

    for algorithm in ("RS256", "ES384"):
        answer = vendor.sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm=algorithm,
                                                   DurationSeconds=600)
        claims = verified_claims(answer["WebIdentityToken"], keys)
        assert claims["iss"] == issuer and claims["aud"] == AUDIENCE
        assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:user/vendor"
        assert claims["exp"] - claims["iat"] == 600
        assert claims["https://sts.amazonaws.com/"]["aws_account"] == ACCOUNT
    # The policy's conditions decide: another audience, a longer token.
    expect_error("AccessDenied", vendor.sts.get_web_identity_token, Audience=["https://other.example.com"],
                 SigningAlgorithm="RS256")
    expect_error("AccessDenied", vendor.sts.get_web_identity_token, Audience=[AUDIENCE], SigningAlgorithm="RS256",
                 DurationSeconds=900)

    # Disabled: no more tokens, but the keys stay published; enabled again, the same issuer.
    root.iam.disable_outbound_web_identity_federation()
    expect_error("FeatureDisabled", root.iam.disable_outbound_web_identity_federation, status=404)
    assert root.iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is False
    expect_error("OutboundWebIdentityFederationDisabledException", vendor.sts.get_web_identity_token,
                 Audience=[AUDIENCE], SigningAlgorithm="RS256")
    assert published(server, issuer) == keys
    assert root.iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def test_a_role_session_token_names_the_role_and_cannot_outlive_the_session(server, root, make_user):
    root.iam.enable_outbound_web_identity_federation()
    organization = root.org.create_organization()["Organization"]
    role = root.iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust_account())["Role"]
    root.iam.put_role_policy(RoleName="worker", PolicyName="tokens", PolicyDocument=policy_doc(
        {"Effect": "Allow", "Action": ["sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken"], "Resource": "*"}))
    root.iam.tag_role(RoleName="worker", Tags=[{"Key": "team", "Value": "blue"}])
    caller = make_user("caller", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    creds = caller.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="job", DurationSeconds=900)["Credentials"]
    session = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    answer = session.sts.get_web_identity_token(Audience=[AUDIENCE, "second"], SigningAlgorithm="ES384",
                                                Tags=[{"Key": "job", "Value": "nightly"}])
    issuer = root.iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"]
    claims = verified_claims(answer["WebIdentityToken"], published(server, issuer))
    assert claims["sub"] == role["Arn"] and claims["aud"] == [AUDIENCE, "second"]
    aws = claims["https://sts.amazonaws.com/"]
    assert aws["principal_tags"] == {"team": "blue"} and aws["request_tags"] == {"job": "nightly"}
    # The organization and the account's path in it, as AWS's sample token writes them.
    root_id = root.org.list_roots()["Roots"][0]["Id"]
    assert aws["org_id"] == organization["Id"] and aws["ou_path"] == f"{organization['Id']}/{root_id}/"
    # The session lasts 900 s: a token of an hour would outlive it.
    expect_error("SessionDurationEscalationException", session.sts.get_web_identity_token, Audience=[AUDIENCE],
                 SigningAlgorithm="RS256", DurationSeconds=3600, status=403)


def test_an_unknown_algorithm_is_refused_before_anything_is_decided(server, root, make_user):
    root.iam.enable_outbound_web_identity_federation()
    nobody = make_user("nobody")
    expect_error("ValidationError", nobody.sts.get_web_identity_token, Audience=[AUDIENCE],
                 SigningAlgorithm="HS256")
    expect_error("AccessDenied", nobody.sts.get_web_identity_token, Audience=[AUDIENCE], SigningAlgorithm="RS256")


def test_tags_need_their_own_permission(server, root, vendor):
    root.iam.enable_outbound_web_identity_federation()
    expect_error("AccessDenied", vendor.sts.get_web_identity_token, Audience=[AUDIENCE], SigningAlgorithm="RS256",
                 Tags=[{"Key": "job", "Value": "nightly"}])
    vendor.sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")


def test_unknown_issuers_publish_nothing(server):
    for path in ("00000000-0000-0000-0000-000000000000/.well-known/jwks.json", "x/.well-known/jwks.json",
                 "00000000-0000-0000-0000-000000000000/.well-known/other"):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(f"{server.endpoint}/outbound-federation/{path}")
        assert excinfo.value.code == 404
