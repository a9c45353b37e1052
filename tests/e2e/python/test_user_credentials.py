"""A user's SSH public keys, signing certificates and service-specific credentials, and the
account's server certificates (IAM API Reference: UploadSSHPublicKey, UploadSigningCertificate,
CreateServiceSpecificCredential, UploadServerCertificate and their Get/List/Update/Delete). The key
material is real, made with OpenSSL and OpenSSH (crates/server/tests/data/README.md)."""

from pathlib import Path

from helpers import ACCOUNT, allow, expect_error

DATA = Path(__file__).resolve().parents[3] / "crates" / "server" / "tests" / "data"


def data(name: str) -> str:
    return (DATA / name).read_text()


def test_ssh_public_keys_round_trip_in_both_encodings_with_their_md5_fingerprint(root):
    root.iam.create_user(UserName="alice")
    key = root.iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=data("ssh-rsa.pub"))["SSHPublicKey"]
    assert key["SSHPublicKeyId"].startswith("APKA") and key["Status"] == "Active"
    assert key["Fingerprint"] == data("ssh-rsa.md5").strip()
    key_id = key["SSHPublicKeyId"]
    pem = root.iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert pem["SSHPublicKeyBody"].strip() == data("ssh-rsa.pem").strip()
    ssh = root.iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert data("ssh-rsa.pub").startswith(ssh["SSHPublicKeyBody"])
    expect_error("DuplicateSSHPublicKey", root.iam.upload_ssh_public_key, UserName="alice",
                 SSHPublicKeyBody=data("ssh-rsa.pem"))
    expect_error("UnrecognizedPublicKeyEncoding", root.iam.upload_ssh_public_key, UserName="alice",
                 SSHPublicKeyBody="not a key")
    root.iam.update_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id, Status="Inactive")
    listed = root.iam.list_ssh_public_keys(UserName="alice")["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in listed] == [(key_id, "Inactive")]
    # DeleteUser refuses while the user has keys (IAM API Reference, DeleteUser).
    err = expect_error("DeleteConflict", root.iam.delete_user, UserName="alice")
    assert "SSH public keys" in err.response["Error"]["Message"]
    root.iam.delete_ssh_public_key(UserName="alice", SSHPublicKeyId=key_id)
    err = expect_error("NoSuchEntity", root.iam.get_ssh_public_key, UserName="alice", SSHPublicKeyId=key_id,
                       Encoding="SSH")
    assert err.response["Error"]["Message"] == f"The Public Key with id {key_id} cannot be found."
    root.iam.delete_user(UserName="alice")


def test_signing_certificates_are_x509_two_per_user_and_unique_in_the_account(root, make_user):
    alice = make_user("alice", allow("iam:*SigningCertificate*", f"arn:aws:iam::{ACCOUNT}:user/alice"))
    root.iam.create_user(UserName="bob")
    # Without UserName, the caller's own (IAM API Reference, UploadSigningCertificate).
    cert = alice.iam.upload_signing_certificate(CertificateBody=data("rsa-cert.pem"))["Certificate"]
    assert cert["UserName"] == "alice" and cert["Status"] == "Active"
    expect_error("DuplicateCertificate", root.iam.upload_signing_certificate, UserName="bob",
                 CertificateBody=data("rsa-cert.pem"), status=409)
    err = expect_error("MalformedCertificate", root.iam.upload_signing_certificate, UserName="bob",
                       CertificateBody="invalid-certificate-body")
    assert err.response["Error"]["Message"] == "Certificate invalid-certificate-body is malformed."
    # A private key pasted with the certificate is refused, and not echoed back.
    err = expect_error("MalformedCertificate", root.iam.upload_signing_certificate, UserName="bob",
                       CertificateBody=data("ec-cert.pem") + data("ec-key.pem"))
    assert "PRIVATE KEY" not in err.response["Error"]["Message"]
    alice.iam.upload_signing_certificate(CertificateBody=data("ec-cert.pem"))
    assert len(alice.iam.list_signing_certificates()["Certificates"]) == 2
    # Bob's certificate is not alice's to manage.
    expect_error("AccessDenied", alice.iam.list_signing_certificates, UserName="bob")
    alice.iam.update_signing_certificate(CertificateId=cert["CertificateId"], Status="Inactive")
    alice.iam.delete_signing_certificate(CertificateId=cert["CertificateId"])
    assert len(alice.iam.list_signing_certificates()["Certificates"]) == 1


def test_service_specific_credentials_show_the_password_once(root):
    root.iam.create_user(UserName="anika")
    first = root.iam.create_service_specific_credential(UserName="anika", ServiceName="codecommit.amazonaws.com")
    first = first["ServiceSpecificCredential"]
    assert first["ServiceUserName"] == f"anika-at-{ACCOUNT}" and first["ServicePassword"]
    second = root.iam.create_service_specific_credential(UserName="anika", ServiceName="codecommit.amazonaws.com")
    assert second["ServiceSpecificCredential"]["ServiceUserName"] == f"anika+1-at-{ACCOUNT}"
    expect_error("LimitExceeded", root.iam.create_service_specific_credential, UserName="anika",
                 ServiceName="codecommit.amazonaws.com")
    expect_error("NotSupportedService", root.iam.create_service_specific_credential, UserName="anika",
                 ServiceName="s3.amazonaws.com", status=404)
    listed = root.iam.list_service_specific_credentials(UserName="anika")["ServiceSpecificCredentials"]
    assert len(listed) == 2 and all("ServicePassword" not in c for c in listed)
    # A deleted credential's sign-in name is free again; no two credentials share one.
    root.iam.delete_service_specific_credential(UserName="anika",
                                                ServiceSpecificCredentialId=first["ServiceSpecificCredentialId"])
    again = root.iam.create_service_specific_credential(UserName="anika", ServiceName="codecommit.amazonaws.com")
    assert again["ServiceSpecificCredential"]["ServiceUserName"] == f"anika-at-{ACCOUNT}"
    first = again["ServiceSpecificCredential"]
    credential_id = first["ServiceSpecificCredentialId"]
    reset = root.iam.reset_service_specific_credential(UserName="anika", ServiceSpecificCredentialId=credential_id)
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != first["ServicePassword"]
    expect_error("InvalidInput", root.iam.update_service_specific_credential, UserName="anika",
                 ServiceSpecificCredentialId=credential_id, Status="Expired")
    root.iam.update_service_specific_credential(UserName="anika", ServiceSpecificCredentialId=credential_id,
                                                Status="Inactive")
    everyone = root.iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert {c["Status"] for c in everyone} == {"Active", "Inactive"}
    root.iam.delete_service_specific_credential(UserName="anika", ServiceSpecificCredentialId=credential_id)


def test_server_certificates_check_the_private_key_and_never_return_it(root):
    metadata = root.iam.upload_server_certificate(
        ServerCertificateName="web", Path="/cloudfront/", CertificateBody=data("rsa-cert.pem"),
        PrivateKey=data("rsa-key.pem"), Tags=[{"Key": "team", "Value": "web"}])["ServerCertificateMetadata"]
    assert metadata["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/web"
    assert metadata["ServerCertificateId"].startswith("ASCA") and metadata["Expiration"].year >= 2100
    expect_error("KeyPairMismatch", root.iam.upload_server_certificate, ServerCertificateName="other",
                 CertificateBody=data("rsa-cert.pem"), PrivateKey=data("ec-key.pem"))
    expect_error("MalformedCertificate", root.iam.upload_server_certificate, ServerCertificateName="other",
                 CertificateBody="garbage", PrivateKey=data("ec-key.pem"))
    root.iam.upload_server_certificate(ServerCertificateName="ec", CertificateBody=data("ec-cert.pem"),
                                       PrivateKey=data("ec-key.pem"), CertificateChain=data("rsa-cert.pem"))
    err = expect_error("EntityAlreadyExists", root.iam.upload_server_certificate, ServerCertificateName="EC",
                       CertificateBody=data("ec-cert.pem"), PrivateKey=data("ec-key.pem"))
    assert err.response["Error"]["Message"] == "The Server Certificate with name EC already exists."
    got = root.iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == data("rsa-cert.pem") and "PrivateKey" not in got
    assert got["Tags"] == [{"Key": "team", "Value": "web"}]
    assert [c["ServerCertificateName"] for c in root.iam.list_server_certificates(PathPrefix="/cloudfront/")[
        "ServerCertificateMetadataList"]] == ["web"]
    root.iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="www", NewPath="/")
    assert root.iam.list_server_certificate_tags(ServerCertificateName="www")["Tags"] == [
        {"Key": "team", "Value": "web"}]
    assert root.iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 2
    root.iam.delete_server_certificate(ServerCertificateName="www")
    err = expect_error("NoSuchEntity", root.iam.get_server_certificate, ServerCertificateName="www")
    assert err.response["Error"]["Message"] == "The Server Certificate with name www cannot be found."
