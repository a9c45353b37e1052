"""AssumeRoleWithSAML with a SAML identity provider made by the test: its own key, certificate and
metadata, and responses signed with signxml (STS API Reference, AssumeRoleWithSAML; IAM User
Guide, "Configure SAML assertions for the authentication response", "Create a SAML identity
provider in IAM", "Available keys for SAML-based AWS STS federation", "Troubleshoot SAML 2.0
federation with AWS")."""

import base64
import copy
import datetime
import hashlib
import json
import uuid

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

from helpers import ACCOUNT, REGION, Server, expect_error, policy_doc, serve_and_read_exports

ENTITY = "https://idp.example.com/saml"
SIGN_IN = "https://signin.aws.amazon.com/saml"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/TestIdP"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/saml"


def instant(offset_seconds=0) -> str:
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


class IdentityProvider:
    """A SAML 2.0 IdP: a signing key and certificate, its metadata, and signed responses."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "monban test idp")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=365)).sign(self.key, hashes.SHA256()))

    def pem(self, which):
        if which == "key":
            return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def metadata(self) -> str:
        der = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="{DSIG}"><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{ENTITY}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

    def response(self, *, roles=None, session_name="alice", subject="alice@example.com",
                 recipient=SIGN_IN, audience="urn:amazon:webservices", not_on_or_after=300, issuer=ENTITY,
                 attributes=None, sign="assertion", key=None, cert=None, status="Success",
                 session_not_on_or_after=None):
        """A Response as an IdP posts it, its Assertion (or the Response) signed, as an lxml tree."""
        roles = roles if roles is not None else [f"{ROLE},{PROVIDER}"]
        attributes = dict(attributes or {})
        if roles:
            attributes[ROLE_ATTRIBUTE] = roles
        if session_name is not None:
            attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] = [session_name]
        statements = "".join(
            f'<saml:Attribute Name="{name}">'
            + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>" for name, values in attributes.items())
        response_id, assertion_id = "_" + uuid.uuid4().hex, "_" + uuid.uuid4().hex
        placeholder = f'<ds:Signature xmlns:ds="{DSIG}" Id="placeholder"/>'
        restriction = ("" if audience is None else
                       f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>")
        session_end = ("" if session_not_on_or_after is None else
                       f' SessionNotOnOrAfter="{instant(session_not_on_or_after)}"')
        xml = f"""<samlp:Response xmlns:samlp="{PROTOCOL}" xmlns:saml="{ASSERTION}" ID="{response_id}"
 Version="2.0" IssueInstant="{instant()}" Destination="{recipient}">
<saml:Issuer>{issuer}</saml:Issuer>{placeholder if sign == "response" else ""}
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:{status}"/></samlp:Status>
<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{instant()}">
<saml:Issuer>{issuer}</saml:Issuer>{placeholder if sign == "assertion" else ""}
<saml:Subject>
<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{instant(not_on_or_after)}" Recipient="{recipient}"/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{instant(-60)}" NotOnOrAfter="{instant(not_on_or_after)}">{restriction}</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{instant()}"{session_end}><saml:AuthnContext>
<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
</saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement>{statements}</saml:AttributeStatement>
</saml:Assertion>
</samlp:Response>"""
        root = etree.fromstring(xml.encode())
        if sign is None:
            return root
        signer = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                           c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        if sign == "assertion":
            assertion = root.find(f"{{{ASSERTION}}}Assertion")
            signed = signer.sign(assertion, key=key or self.pem("key"), cert=cert or self.pem("cert"),
                                 reference_uri=assertion_id)
            root.replace(assertion, signed)
            return root
        return signer.sign(root, key=key or self.pem("key"), cert=cert or self.pem("cert"),
                           reference_uri=response_id)


def encoded(root) -> str:
    return base64.b64encode(etree.tostring(root)).decode()


@pytest.fixture
def idp():
    return IdentityProvider()


def sts_unsigned(server):
    """An STS client without credentials: boto3 sends AssumeRoleWithSAML unsigned."""
    return boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))


def provider_and_role(root, idp, **condition):
    arn = root.iam.create_saml_provider(Name="TestIdP", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    assert arn == PROVIDER
    statement = {"Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithSAML",
                 "Condition": {"StringEquals": {"SAML:aud": SIGN_IN, **condition}}}
    root.iam.create_role(RoleName="saml", AssumeRolePolicyDocument=policy_doc(statement))
    return arn


def test_a_signed_assertion_gets_credentials(server, root, idp):
    provider_and_role(root, idp)
    sts = sts_unsigned(server)
    answer = sts.assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=encoded(idp.response()))
    assert answer["Subject"] == "alice@example.com" and answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == ENTITY and answer["Audience"] == SIGN_IN
    # NameQualifier: Base64(SHA1(issuer + account + "/" + provider name)) (STS API Reference).
    expected = base64.b64encode(hashlib.sha1(f"{ENTITY}{ACCOUNT}/TestIdP".encode()).digest()).decode()
    assert answer["NameQualifier"] == expected
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml/alice"
    creds = answer["Credentials"]
    session = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert session.sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml/alice"
    # A signed Response (its assertion inside the signature) is accepted as well.
    sts.assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER,
                              SAMLAssertion=encoded(idp.response(sign="response")))


def test_the_aws_cli_assumes_a_role_with_saml(server, root, idp, aws):
    provider_and_role(root, idp)
    code, out, stderr = aws(root, "sts", "assume-role-with-saml", "--role-arn", ROLE, "--principal-arn", PROVIDER,
                            "--saml-assertion", encoded(idp.response()), "--no-sign-request")
    assert code == 0, stderr
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml/alice"


def test_unsigned_resigned_wrapped_and_expired_responses_are_refused(server, root, idp):
    provider_and_role(root, idp)
    sts = sts_unsigned(server)
    call = lambda response: sts.assume_role_with_saml(  # noqa: E731
        RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=encoded(response))
    expect_error("InvalidIdentityToken", call, idp.response(sign=None))
    # Signed by another key, which the response's own KeyInfo carries: only the metadata's count.
    other = IdentityProvider()
    expect_error("InvalidIdentityToken", call, idp.response(key=other.pem("key"), cert=other.pem("cert")))
    # A signed assertion altered after signing.
    tampered = idp.response()
    tampered.find(f".//{{{ASSERTION}}}NameID").text = "mallory@example.com"
    expect_error("InvalidIdentityToken", call, tampered)
    # Signature wrapping: the signed assertion is kept (so its signature still verifies), and an
    # assertion of the attacker's stands where the assertion is read.
    genuine = idp.response()
    evil = copy.deepcopy(genuine.find(f"{{{ASSERTION}}}Assertion"))
    evil.remove(evil.find(f"{{{DSIG}}}Signature"))
    evil.find(f".//{{{ASSERTION}}}NameID").text = "mallory@example.com"
    original = genuine.find(f"{{{ASSERTION}}}Assertion")
    genuine.replace(original, evil)
    # ... the signed one hidden inside the attacker's, under the same ID ...
    evil.find(f"{{{ASSERTION}}}Subject").append(copy.deepcopy(original))
    refused = expect_error("InvalidIdentityToken", call, genuine)
    assert "ID is not unique" in refused.response["Error"]["Message"]
    # ... or beside it, with a new ID for the attacker's.
    evil.find(f"{{{ASSERTION}}}Subject").remove(evil.find(f".//{{{ASSERTION}}}Assertion"))
    evil.set("ID", "_evil")
    genuine.append(original)
    refused = expect_error("InvalidIdentityToken", call, genuine)
    assert "exactly one Assertion" in refused.response["Error"]["Message"]
    # ... or the attacker's assertion keeps the signature, which still points at the genuine one,
    # now hidden in the response's Extensions: the signature must be over the element it sits in.
    wrapped = idp.response()
    original = wrapped.find(f"{{{ASSERTION}}}Assertion")
    evil = copy.deepcopy(original)
    evil.set("ID", "_evil")
    evil.find(f".//{{{ASSERTION}}}NameID").text = "mallory@example.com"
    original.remove(original.find(f"{{{DSIG}}}Signature"))
    wrapped.replace(original, evil)
    extensions = etree.Element(f"{{{PROTOCOL}}}Extensions")
    extensions.append(original)
    wrapped.insert(1, extensions)
    refused = expect_error("InvalidIdentityToken", call, wrapped)
    assert "enclosing element" in refused.response["Error"]["Message"]
    # Expired, addressed elsewhere, for another audience, from another issuer.
    expect_error("ExpiredTokenException", call, idp.response(not_on_or_after=-600))
    expect_error("InvalidIdentityToken", call, idp.response(recipient="https://sp.example.com/acs"))
    expect_error("InvalidIdentityToken", call, idp.response(audience="https://sp.example.com"))
    expect_error("InvalidIdentityToken", call, idp.response(audience=None))
    expect_error("ExpiredTokenException", call, idp.response(session_not_on_or_after=-1))
    expect_error("InvalidIdentityToken", call, idp.response(issuer="https://other.example.com/saml"))
    # The provider's own failure.
    expect_error("IDPRejectedClaim", call, idp.response(status="Responder"))
    # A response is no credential for anything else: other calls still need a signature.
    expect_error("MissingAuthenticationToken", sts.get_caller_identity)


def test_the_trust_policy_and_the_role_attribute_decide(server, root, idp):
    provider_and_role(root, idp, **{"saml:sub": "alice@example.com"})
    sts = sts_unsigned(server)
    call = lambda response, role=ROLE: sts.assume_role_with_saml(  # noqa: E731
        RoleArn=role, PrincipalArn=PROVIDER, SAMLAssertion=encoded(response))
    call(idp.response())
    # The Role attribute pairs roles and providers, in either order.
    call(idp.response(roles=[f"{PROVIDER},{ROLE}"]))
    expect_error("AccessDenied", call, idp.response(subject="mallory@example.com"))
    expect_error("AccessDenied", call, idp.response(roles=[f"arn:aws:iam::{ACCOUNT}:role/other,{PROVIDER}"]))
    expect_error("AccessDenied", call, idp.response(), role=f"arn:aws:iam::{ACCOUNT}:role/missing")
    expect_error("InvalidIdentityToken", call, idp.response(session_name=None))
    expect_error("InvalidIdentityToken", call, idp.response(session_name="a b"))


def test_session_tags_duration_and_source_identity(server, root, idp):
    provider_and_role(root, idp)
    sts = sts_unsigned(server)
    tagged = idp.response(attributes={"https://aws.amazon.com/SAML/Attributes/PrincipalTag:team": ["blue"]})
    call = lambda response, **kw: sts.assume_role_with_saml(  # noqa: E731
        RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=encoded(response), **kw)
    # Session tags need sts:TagSession in the trust policy ("Passing session tags in AWS STS").
    expect_error("AccessDenied", call, tagged)
    trust = policy_doc({"Effect": "Allow", "Principal": {"Federated": PROVIDER},
                        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
                        "Condition": {"StringEquals": {"SAML:aud": SIGN_IN}}})
    root.iam.update_assume_role_policy(RoleName="saml", PolicyDocument=trust)
    root.iam.put_role_policy(RoleName="saml", PolicyName="own-team", PolicyDocument=policy_doc(
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
    creds = call(tagged)["Credentials"]
    session = server.clients(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    session.iam.get_role(RoleName="saml")
    # SessionDuration shortens the session; it never lengthens it past DurationSeconds.
    short = idp.response(attributes={"https://aws.amazon.com/SAML/Attributes/SessionDuration": ["900"]})
    expires = call(short)["Credentials"]["Expiration"]
    remaining = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 800 < remaining <= 900
    source = idp.response(attributes={"https://aws.amazon.com/SAML/Attributes/SourceIdentity": ["alice"]})
    assert call(source)["SourceIdentity"] == "alice"


def test_the_audit_log_and_request_log_record_the_saml_user_without_the_assertion(tmp_path, idp):
    audit_log, stderr = tmp_path / "audit.log", tmp_path / "stderr.log"
    with stderr.open("w") as err:
        process, exported = serve_and_read_exports(
            ("--ephemeral", "--log-format", "json", "--audit-log", str(audit_log)), stderr=err)
    try:
        server = Server(process, exported["AWS_ENDPOINT_URL"])
        root = server.clients(exported["AWS_ACCESS_KEY_ID"], exported["AWS_SECRET_ACCESS_KEY"])
        provider_and_role(root, idp)
        assertion = encoded(idp.response())
        sts_unsigned(server).assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=assertion)
        expect_error("InvalidIdentityToken", sts_unsigned(server).assume_role_with_saml, RoleArn=ROLE,
                     PrincipalArn=PROVIDER, SAMLAssertion=encoded(idp.response(sign=None)))
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = audit_log.read_text()
    assert assertion not in text
    records = [r for r in map(json.loads, text.splitlines()) if r["eventName"] == "AssumeRoleWithSAML"]
    assert len(records) == 2 and records[0]["userIdentity"]["type"] == "SAMLUser", records
    assert records[0]["userIdentity"]["userName"] == "alice@example.com"
    # A refused call is recorded without its parameters, and names no provider it did not verify.
    assert records[1]["errorCode"] == "InvalidIdentityToken" and records[1]["requestParameters"] is None
    assert records[1]["userIdentity"]["identityProvider"] is None
    # One request-log line per call, naming the provider the caller presented.
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if '"AssumeRoleWithSAML"' in line]
    assert [(line["caller"], line["result"]) for line in lines] == [
        (PROVIDER, "OK"), ("anonymous", "InvalidIdentityToken")], lines


def test_a_text_request_log_line_cannot_be_split_by_the_caller(tmp_path, idp):
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        process, exported = serve_and_read_exports(("--ephemeral",), stderr=err)
    try:
        server = Server(process, exported["AWS_ENDPOINT_URL"])
        forged = f"arn:aws:iam::{ACCOUNT}:saml-provider/x\n2026-01-01T00:00:00Z arn:aws:iam::{ACCOUNT}:root DeleteRole OK"
        sts = sts_unsigned(server)
        expect_error("InvalidIdentityToken", sts.assume_role_with_saml, RoleArn=ROLE, PrincipalArn=forged,
                     SAMLAssertion=encoded(idp.response()))
        # A message that quotes the caller's input: RoleArn is not a role's ARN.
        expect_error("ValidationError", sts.assume_role_with_saml, RoleArn=forged.replace("saml-provider", "user"),
                     PrincipalArn=PROVIDER, SAMLAssertion=encoded(idp.response()))
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = stderr.read_text().splitlines()
    assert [line for line in lines if "AssumeRoleWithSAML" in line], lines
    assert not [line for line in lines if "DeleteRole" in line and "AssumeRoleWithSAML" not in line], lines
