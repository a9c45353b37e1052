//! SSH public keys, signing certificates and service-specific credentials: the credentials a user
//! has besides access keys and a password (IAM User Guide, "Use IAM with CodeCommit", "Manage
//! signing certificates", "Service-specific credentials for IAM users").

use monban_store::{UserCredential, UserCredentialKind};
use serde_json::{json, Value};

use super::*;
use crate::key_material::{Certificate, KeyError, SshPublicKey};

use UserCredentialKind::{ServiceSpecific, SigningCertificate, SshPublicKey as Ssh};

/// The services that issue service-specific user names and passwords.
const SERVICES: [&str; 2] = ["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

/// The member naming a credential's id in requests and responses.
fn id_member(kind: UserCredentialKind) -> &'static str {
    match kind {
        Ssh => "SSHPublicKeyId",
        SigningCertificate => "CertificateId",
        ServiceSpecific => "ServiceSpecificCredentialId",
    }
}

/// The user a request is about (the caller, where the operation allows leaving it out) after
/// authorizing `action` on that user; `NoSuchEntity` if the user does not exist.
async fn owner(call: &Call<'_>, action: &str, input: &Value) -> Result<String, ApiError> {
    let name = user_name_or_caller(call, input)?;
    let existing = on_principal(call, User, &name, action, |a| a).await?;
    Ok(existing.ok_or_else(|| not_found(User, &name))?.name.clone())
}

/// A new, active credential of the user, without kind-specific parts.
fn new_credential(call: &Call<'_>, kind: UserCredentialKind, id: String, user: String) -> UserCredential {
    UserCredential {
        id,
        account_id: call.account().into(),
        user_name: user,
        kind,
        status: "Active".into(),
        body: None,
        fingerprint: None,
        service_name: None,
        service_user_name: None,
        secret_hash: None,
        created: call.now(),
    }
}

fn json_of(c: &UserCredential, with_secret_parts: bool) -> Value {
    match c.kind {
        Ssh => {
            let mut v =
                json!({"UserName": c.user_name, "SSHPublicKeyId": c.id, "Status": c.status, "UploadDate": c.created});
            if with_secret_parts {
                v["Fingerprint"] = json!(c.fingerprint);
                v["SSHPublicKeyBody"] = json!(c.body);
            }
            v
        }
        SigningCertificate => json!({"UserName": c.user_name, "CertificateId": c.id, "CertificateBody": c.body,
            "Status": c.status, "UploadDate": c.created}),
        ServiceSpecific => json!({"UserName": c.user_name, "Status": c.status, "ServiceUserName": c.service_user_name,
            "CreateDate": c.created, "ServiceSpecificCredentialId": c.id, "ServiceName": c.service_name}),
    }
}

pub(super) async fn upload_ssh_public_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = owner(call, "iam:UploadSSHPublicKey", input).await?;
    let body = text(input, "SSHPublicKeyBody");
    let key = SshPublicKey::parse(body).map_err(|e| match e {
        KeyError::Malformed => ApiError::unrecognized_public_key_encoding(
            "The request was rejected because the public key encoding format is unsupported or unrecognized.",
        ),
        KeyError::Unsupported => ApiError::invalid_public_key(
            "The request was rejected because the public key is malformed or otherwise invalid: an SSH-RSA key of \
             at least 2048 bits is required.",
        ),
    })?;
    let credential = UserCredential {
        body: Some(body.trim().to_string()),
        fingerprint: Some(key.fingerprint()),
        ..new_credential(call, Ssh, util::random_id("APKA", 21)?, user)
    };
    call.state.store.add_user_credential(&credential).await?;
    Ok(json!({"SSHPublicKey": json_of(&credential, true)}))
}

pub(super) async fn get_ssh_public_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = owner(call, "iam:GetSSHPublicKey", input).await?;
    let id = text(input, "SSHPublicKeyId");
    let mut credential = find(call, &user, Ssh, id).await?;
    let key = SshPublicKey::parse(credential.body.as_deref().unwrap_or_default())
        .map_err(|_| ApiError::internal("a stored SSH public key does not parse"))?;
    let body = if text(input, "Encoding") == "PEM" {
        key.pem().map_err(|_| ApiError::internal("an SSH public key cannot be written as PEM"))?
    } else {
        key.ssh()
    };
    credential.body = Some(body);
    Ok(json!({"SSHPublicKey": json_of(&credential, true)}))
}

pub(super) async fn upload_signing_certificate(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = owner(call, "iam:UploadSigningCertificate", input).await?;
    let body = text(input, "CertificateBody");
    let certificate = Certificate::parse(body).map_err(|_| {
        // IAM echoes the body; one holding a private key is not echoed into the answer and the
        // audit log.
        let shown = if body.contains("PRIVATE KEY") { "body" } else { body };
        ApiError::malformed_certificate(format!("Certificate {shown} is malformed."))
    })?;
    let now = call.context.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    if certificate.not_after < now || certificate.not_before > now {
        return Err(ApiError::invalid_certificate(
            "The request was rejected because the certificate is invalid: it is not valid at this time.",
        ));
    }
    let credential = UserCredential {
        body: Some(body.to_string()),
        fingerprint: Some(certificate.sha256),
        ..new_credential(call, SigningCertificate, util::random_id("", 28)?, user)
    };
    call.state.store.add_user_credential(&credential).await?;
    Ok(json!({"Certificate": json_of(&credential, true)}))
}

pub(super) async fn create_service_specific_credential(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = owner(call, "iam:CreateServiceSpecificCredential", input).await?;
    let service = text(input, "ServiceName");
    if !SERVICES.contains(&service) {
        return Err(unsupported_service(service));
    }
    let password = util::random_secret()?;
    // The store names it (anika-at-1234..., then anika+1-at-1234... as AWS numbers a second one).
    let credential = UserCredential {
        service_name: Some(service.into()),
        secret_hash: Some(util::hash_password(&password).await?),
        ..new_credential(call, ServiceSpecific, util::random_id("ACCA", 21)?, user)
    };
    let mut credential = call.state.store.add_user_credential(&credential).await?;
    credential.secret_hash = None;
    let mut out = json_of(&credential, true);
    out["ServicePassword"] = json!(password);
    Ok(json!({"ServiceSpecificCredential": out}))
}

pub(super) async fn reset_service_specific_credential(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let user = owner(call, "iam:ResetServiceSpecificCredential", input).await?;
    let id = text(input, "ServiceSpecificCredentialId");
    let credential = find(call, &user, ServiceSpecific, id).await?;
    let password = util::random_secret()?;
    let hash = util::hash_password(&password).await?;
    call.state.store.update_user_credential(call.account(), &user, ServiceSpecific, id, None, Some(&hash)).await?;
    let mut out = json_of(&credential, true);
    out["ServicePassword"] = json!(password);
    Ok(json!({"ServiceSpecificCredential": out}))
}

fn unsupported_service(service: &str) -> ApiError {
    ApiError::not_supported_service(format!("No such service {service} is supported for Service-Specific Credentials"))
}

/// One of the user's credentials, after authorization.
async fn find(call: &Call<'_>, user: &str, kind: UserCredentialKind, id: &str) -> Result<UserCredential, ApiError> {
    call.state.store.user_credential(call.account(), user, kind, id).await?.ok_or_else(|| {
        monban_store::StoreError::NotFound(monban_store::Missing::UserCredential(kind, id.into())).into()
    })
}

/// ListSSHPublicKeys, ListSigningCertificates and ListServiceSpecificCredentials.
pub(super) async fn list(
    call: &Call<'_>,
    op: IamOperation,
    kind: UserCredentialKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let all_users = kind == ServiceSpecific && input.get("AllUsers").and_then(Value::as_bool) == Some(true);
    let user = if all_users {
        call.authorize(Authorization::new(op.action(), &call.iam_arn("user/*"))).await?;
        None
    } else {
        Some(owner(call, op.action(), input).await?)
    };
    let service = optional(input, "ServiceName");
    if let Some(service) = service.filter(|s| !SERVICES.contains(s)) {
        return Err(unsupported_service(service));
    }
    let items: Vec<UserCredential> = call
        .state
        .store
        .user_credentials(call.account(), user.as_deref(), kind)
        .await?
        .into_iter()
        .filter(|c| service.is_none() || c.service_name.as_deref() == service)
        .collect();
    let list = match kind {
        Ssh => "SSHPublicKeys",
        SigningCertificate => "Certificates",
        ServiceSpecific => "ServiceSpecificCredentials",
    };
    Ok(paginate_with(input, items, list, |c| json_of(&c, false)))
}

/// UpdateSSHPublicKey, UpdateSigningCertificate and UpdateServiceSpecificCredential: the status.
pub(super) async fn update(
    call: &Call<'_>,
    op: IamOperation,
    kind: UserCredentialKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let user = owner(call, op.action(), input).await?;
    let (id, status) = (text(input, id_member(kind)), text(input, "Status"));
    // Only a service-specific credential expires, and only by its age; no one sets a key
    // `Expired`.
    if status == "Expired" {
        return Err(ApiError::invalid_input("Status Expired cannot be set; use Active or Inactive."));
    }
    call.state.store.update_user_credential(call.account(), &user, kind, id, Some(status), None).await?;
    Ok(json!({}))
}

/// DeleteSSHPublicKey, DeleteSigningCertificate and DeleteServiceSpecificCredential.
pub(super) async fn delete(
    call: &Call<'_>,
    op: IamOperation,
    kind: UserCredentialKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let user = owner(call, op.action(), input).await?;
    call.state.store.delete_user_credential(call.account(), &user, kind, text(input, id_member(kind))).await?;
    Ok(json!({}))
}
