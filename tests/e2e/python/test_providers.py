"""OpenID Connect and SAML identity providers (IAM API Reference: CreateOpenIDConnectProvider,
CreateSAMLProvider and their Get/List/Update/Delete/Tag operations; IAM User Guide, "Create an
OpenID Connect (OIDC) identity provider in IAM" and "Create a SAML identity provider in IAM")."""

from pathlib import Path

from helpers import ACCOUNT, allow, expect_error

THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
CERT = (Path(__file__).resolve().parents[3] / "crates" / "server" / "tests" / "data" / "rsa-cert.pem").read_text()
CERT_BASE64 = "".join(line for line in CERT.splitlines() if not line.startswith("-----"))
METADATA = f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"
    validUntil="2099-01-01T00:00:00Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{CERT_BASE64}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.com/saml/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def test_oidc_providers_keep_their_audiences_thumbprints_and_tags(root):
    arn = root.iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[THUMBPRINT], Tags=[{"Key": "ci", "Value": "github"}])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    err = expect_error("EntityAlreadyExists", root.iam.create_open_id_connect_provider,
                       Url="https://token.actions.githubusercontent.com", ThumbprintList=[THUMBPRINT], status=409)
    assert err.response["Error"]["Message"] == (
        "Provider with url https://token.actions.githubusercontent.com already exists.")
    err = expect_error("ValidationError", root.iam.create_open_id_connect_provider, Url="http://insecure.example.com")
    assert err.response["Error"]["Message"] == "Invalid Open ID Connect Provider URL"
    err = expect_error("InvalidInput", root.iam.create_open_id_connect_provider, Url="https://six.example.com",
                       ThumbprintList=[THUMBPRINT] * 6)
    assert err.response["Error"]["Message"] == "Thumbprint list must contain fewer than 5 entries."
    root.iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    root.iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    root.iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40])
    got = root.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.actions.githubusercontent.com"
    assert got["ClientIDList"] == ["my-app"] and got["ThumbprintList"] == ["a" * 40]
    assert got["Tags"] == [{"Key": "ci", "Value": "github"}]
    root.iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["ci"])
    assert root.iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == []
    assert root.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": arn}]
    assert root.iam.get_account_summary()["SummaryMap"]["Providers"] == 1
    root.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    err = expect_error("NoSuchEntity", root.iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert err.response["Error"]["Message"] == f"OpenIDConnect Provider not found for arn {arn}"
    err = expect_error("NoSuchEntity", root.iam.delete_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert err.response["Error"]["Message"] == f"OpenId connect Provider {arn} cannot be found."


def test_saml_providers_take_valid_metadata_only(root):
    arn = root.iam.create_saml_provider(Name="corp", SAMLMetadataDocument=METADATA)["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
    got = root.iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == METADATA and got["ValidUntil"].year == 2099
    assert len(got["SAMLProviderUUID"]) >= 22
    not_saml = "<notmetadata>" + " " * 1000 + "</notmetadata>"
    err = expect_error("InvalidInput", root.iam.create_saml_provider, Name="bad", SAMLMetadataDocument=not_saml)
    assert err.response["Error"]["Message"] == "Could not parse metadata"
    expect_error("InvalidInput", root.iam.update_saml_provider, SAMLProviderArn=arn, SAMLMetadataDocument=not_saml)
    updated = METADATA.replace("2099-01-01", "2098-06-01")
    assert root.iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=updated)["SAMLProviderArn"] == arn
    [listed] = root.iam.list_saml_providers()["SAMLProviderList"]
    assert listed["Arn"] == arn and listed["ValidUntil"].year == 2098
    root.iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "idp", "Value": "okta"}])
    assert root.iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "idp", "Value": "okta"}]
    root.iam.delete_saml_provider(SAMLProviderArn=arn)
    err = expect_error("NoSuchEntity", root.iam.get_saml_provider, SAMLProviderArn=arn)
    assert err.response["Error"]["Message"] == f"Manifest not found for arn {arn}"


def test_a_provider_is_authorized_on_its_arn(root, make_user):
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/allowed.example.com"
    alice = make_user("alice", allow("iam:CreateOpenIDConnectProvider", arn), allow("iam:GetOpenIDConnectProvider", arn))
    alice.iam.create_open_id_connect_provider(Url="https://allowed.example.com", ThumbprintList=[THUMBPRINT])
    alice.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    expect_error("AccessDenied", alice.iam.create_open_id_connect_provider, Url="https://other.example.com",
                 ThumbprintList=[THUMBPRINT])
    # Another account's provider does not exist here.
    other = f"arn:aws:iam::210987654321:oidc-provider/allowed.example.com"
    expect_error("NoSuchEntity", root.iam.get_open_id_connect_provider, OpenIDConnectProviderArn=other)
