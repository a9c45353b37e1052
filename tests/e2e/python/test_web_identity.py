"""AssumeRoleWithWebIdentity against an OpenID Connect issuer started by the test: HTTPS on
127.0.0.1 with its own self-signed certificate (so the provider's thumbprint is what vouches for
it), a discovery document and a key set that rotates (STS API Reference,
AssumeRoleWithWebIdentity; IAM User Guide, "Create an OpenID Connect (OIDC) identity provider in
IAM", "Available keys for AWS OIDC federation")."""

import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import ssl
import threading
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID

from helpers import ACCOUNT, REGION, expect_error, policy_doc

AUDIENCE = "monban-client"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def integer(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def cert_for(key, name, now):
    """A self-signed certificate for 127.0.0.1."""
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))


def jwk(kid, key) -> dict:
    numbers = key.public_key().public_numbers()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": integer(numbers.n), "e": integer(numbers.e)}


class Issuer:
    """An OIDC issuer: /.well-known/openid-configuration and /jwks over HTTPS."""

    def __init__(self, tmp_path, impostor=False):
        self.keys = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
                     "e1": ec.generate_private_key(ec.SECP256R1())}
        tls_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "monban test issuer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = cert_for(tls_key, name, now)
        self.thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        chain = cert.public_bytes(serialization.Encoding.PEM)
        if impostor:
            # The server holds another key and sends its own certificate, with the pinned one after
            # it: the pinned certificate is public, so sending it proves nothing.
            pinned = chain
            tls_key = ec.generate_private_key(ec.SECP256R1())
            other = cert_for(tls_key, name, now)
            chain = other.public_bytes(serialization.Encoding.PEM) + pinned
        (tmp_path / "cert.pem").write_bytes(chain)
        (tmp_path / "key.pem").write_bytes(tls_key.private_bytes(serialization.Encoding.PEM,
                                                                 serialization.PrivateFormat.PKCS8,
                                                                 serialization.NoEncryption()))
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": [jwk(kid, k) for kid, k in issuer.keys.items()]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.host = self.url.removeprefix("https://")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, kid="k1", key=None, alg="RS256", **claims) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}
        header = {"alg": alg, "typ": "JWT", "kid": kid}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}".encode()
        if alg == "none":
            return signing_input.decode() + "."
        key = key or self.keys[kid]
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = utils.decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + b64url(signature)


@pytest.fixture
def issuer(tmp_path):
    issuer = Issuer(tmp_path)
    yield issuer
    issuer.server.shutdown()


def sts_unsigned(server):
    """An STS client without credentials: boto3 sends AssumeRoleWithWebIdentity unsigned."""
    return boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))


def provider_and_role(root, issuer, thumbprint=None, sub="alice"):
    provider = root.iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=[AUDIENCE], ThumbprintList=[thumbprint or issuer.thumbprint])
    arn = provider["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer.host}"
    trust = policy_doc({"Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringEquals": {f"{issuer.host}:aud": AUDIENCE, f"{issuer.host}:sub": sub}}})
    root.iam.create_role(RoleName="web", AssumeRolePolicyDocument=trust)
    return f"arn:aws:iam::{ACCOUNT}:role/web"


def test_a_valid_token_gets_credentials_and_keys_rotate(server, root, issuer):
    role = provider_and_role(root, issuer)
    sts = sts_unsigned(server)
    answer = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=issuer.token())
    assert answer["SubjectFromWebIdentityToken"] == "alice"
    assert answer["Audience"] == AUDIENCE and answer["Provider"] == issuer.url
    creds = answer["Credentials"]
    session = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/web"
    # An ES256 key of the issuer's set signs as well; a token may not claim another algorithm for it.
    sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web",
                                      WebIdentityToken=issuer.token(kid="e1", alg="ES256"))
    expect_error("InvalidIdentityToken", sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="web",
                 WebIdentityToken=issuer.token(kid="k1", alg="PS256"))
    # The trust policy's conditions on the provider's keys decide: another subject is not let in.
    expect_error("AccessDenied", sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="web",
                 WebIdentityToken=issuer.token(sub="mallory"))
    # The issuer rotates its keys: a token signed by the new key is accepted once they are fetched again.
    issuer.keys["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    time.sleep(5.5)
    sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=issuer.token(kid="k2"))


def test_bad_tokens_are_refused_with_aws_codes(server, root, issuer):
    role = provider_and_role(root, issuer)
    sts = sts_unsigned(server)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    call = lambda token: sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)  # noqa: E731
    expect_error("InvalidIdentityToken", call, issuer.token(key=other))
    expect_error("InvalidIdentityToken", call, issuer.token(alg="none"))
    expect_error("InvalidIdentityToken", call, issuer.token(aud="someone-else"))
    expect_error("ExpiredTokenException", call, issuer.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200))
    expect_error("InvalidIdentityToken", call, issuer.token(iss="https://127.0.0.1:1"))
    # A token is no credential for anything else: other calls still need a signature.
    expect_error("MissingAuthenticationToken", sts.get_caller_identity)


def test_a_certificate_that_matches_no_thumbprint_is_refused(server, root, issuer):
    role = provider_and_role(root, issuer, thumbprint="0" * 40)
    sts = sts_unsigned(server)
    denied = expect_error("InvalidIdentityToken", sts.assume_role_with_web_identity, RoleArn=role,
                          RoleSessionName="web", WebIdentityToken=issuer.token())
    assert "thumbprint" in denied.response["Error"]["Message"]


def test_a_pinned_certificate_sent_beside_another_key_is_refused(server, root, tmp_path):
    impostor = Issuer(tmp_path, impostor=True)
    try:
        role = provider_and_role(root, impostor)
        denied = expect_error("InvalidIdentityToken", sts_unsigned(server).assume_role_with_web_identity, RoleArn=role,
                              RoleSessionName="web", WebIdentityToken=impostor.token())
        assert "thumbprint" in denied.response["Error"]["Message"]
    finally:
        impostor.server.shutdown()


def test_session_tags_from_the_token_are_conditions_of_the_trust_policy(server, root, issuer):
    provider = root.iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[AUDIENCE],
                                                       ThumbprintList=[issuer.thumbprint])["OpenIDConnectProviderArn"]
    trust = policy_doc({"Effect": "Allow", "Principal": {"Federated": provider},
                        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                                      "StringEquals": {"sts:RoleSessionName": "web"}}})
    root.iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust)
    role = f"arn:aws:iam::{ACCOUNT}:role/tagged"
    sts = sts_unsigned(server)
    tags = lambda **t: {"https://aws.amazon.com/tags": {"principal_tags": {k: [v] for k, v in t.items()}}}  # noqa: E731
    sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=issuer.token(**tags(team="red")))
    expect_error("AccessDenied", sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="web",
                 WebIdentityToken=issuer.token(**tags(admin="true")))
    expect_error("AccessDenied", sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="other",
                 WebIdentityToken=issuer.token(**tags(team="red")))
