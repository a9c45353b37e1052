//! Server certificates (IAM User Guide, "Manage server certificates in IAM"). The certificate and
//! chain are parsed as X.509 and the private key is checked against the certificate; the key is
//! then dropped, never stored or returned.

use monban_store::{Owner, ServerCertificate};
use serde_json::{json, Value};

use super::*;
use crate::key_material::{Certificate, KeyError};

fn certificate_arn(call: &Call<'_>, path: &str, name: &str) -> String {
    arn(call, "server-certificate", path, name)
}

/// The certificate `name` names, if it exists, and the ARN an operation on it is authorized
/// against: the stored one, with its path, or the one it would have at `/`.
async fn lookup(call: &Call<'_>, name: &str) -> Result<(Option<ServerCertificate>, String), ApiError> {
    let existing = call.state.store.server_certificate(call.account(), name).await?;
    let target = existing.as_ref().map_or_else(|| certificate_arn(call, "/", name), |c| c.arn.clone());
    Ok((existing, target))
}

fn not_found(name: &str) -> ApiError {
    monban_store::StoreError::NotFound(monban_store::Missing::ServerCertificate(name.into())).into()
}

/// For tagging: the ARN to authorize, and the error to answer after authorization if the
/// certificate does not exist.
pub(super) async fn server_certificate_target(
    call: &Call<'_>,
    name: &str,
) -> Result<(String, Option<ApiError>), ApiError> {
    let (existing, target) = lookup(call, name).await?;
    Ok((target, existing.is_none().then(|| not_found(name))))
}

/// Authorizes `action` on the certificate, then answers it or NoSuchEntity.
async fn existing(call: &Call<'_>, action: &str, name: &str) -> Result<ServerCertificate, ApiError> {
    let (certificate, target) = lookup(call, name).await?;
    call.authorize(Authorization::new(action, &target)).await?;
    certificate.ok_or_else(|| not_found(name))
}

fn metadata(c: &ServerCertificate) -> Value {
    json!({"Path": c.path, "ServerCertificateName": c.name, "ServerCertificateId": c.id, "Arn": c.arn,
        "UploadDate": c.uploaded, "Expiration": c.expiration})
}

fn malformed(_: KeyError) -> ApiError {
    ApiError::malformed_certificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
}

pub(super) async fn upload(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "ServerCertificateName");
    let path = optional(input, "Path").unwrap_or("/");
    let target = certificate_arn(call, path, name);
    let tags = super::tags(input);
    check_tags(&tags)?;
    call.authorize(Authorization::new("iam:UploadServerCertificate", &target).with_request_tags(&tags)).await?;
    let body = text(input, "CertificateBody");
    let certificate = Certificate::parse(body).map_err(malformed)?;
    let chain = optional(input, "CertificateChain");
    if let Some(chain) = chain {
        Certificate::parse_chain(chain).map_err(|_| {
            ApiError::malformed_certificate(
                "Unable to validate certificate chain. The certificate chain must start with the immediate signing \
                 certificate, followed by any intermediaries in order.",
            )
        })?;
    }
    let key_matches = certificate.matches_private_key(text(input, "PrivateKey")).map_err(|_| {
        ApiError::malformed_certificate("Unable to parse private key. Please ensure the key is in PEM format.")
    })?;
    if !key_matches {
        return Err(ApiError::key_pair_mismatch("The private key does not match the public key in the certificate."));
    }
    let stored = ServerCertificate {
        name: name.into(),
        id: util::random_id("ASCA", 21)?,
        path: path.into(),
        arn: target,
        body: body.to_string(),
        chain: chain.map(String::from),
        expiration: monban_policy::condition::format_date(certificate.not_after),
        uploaded: call.now(),
    };
    call.state.store.add_server_certificate(call.account(), &stored, &tags).await?;
    let mut out = json!({"ServerCertificateMetadata": metadata(&stored)});
    if !tags.is_empty() {
        out["Tags"] = tags_json(&tags);
    }
    Ok(out)
}

pub(super) async fn get(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let c = existing(call, "iam:GetServerCertificate", text(input, "ServerCertificateName")).await?;
    let tags = call.state.store.tags(call.account(), Owner::ServerCertificate, &c.name).await?;
    let mut out =
        json!({"ServerCertificateMetadata": metadata(&c), "CertificateBody": c.body, "Tags": tags_json(&tags)});
    if let Some(chain) = &c.chain {
        out["CertificateChain"] = json!(chain);
    }
    Ok(json!({"ServerCertificate": out}))
}

pub(super) async fn list(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:ListServerCertificates", "*")).await?;
    let prefix = optional(input, "PathPrefix").unwrap_or("/");
    let items = call.state.store.server_certificates(call.account(), prefix).await?;
    Ok(paginate_with(input, items, "ServerCertificateMetadataList", |c| metadata(&c)))
}

/// UpdateServerCertificate: a new name or path. As with users and groups, the caller needs the
/// action on the certificate as it is and as it will be (IAM API Reference,
/// "UpdateServerCertificate").
pub(super) async fn update(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "ServerCertificateName");
    let current = existing(call, "iam:UpdateServerCertificate", name).await?;
    let new_name = optional(input, "NewServerCertificateName").unwrap_or(&current.name);
    let new_path = optional(input, "NewPath").unwrap_or(&current.path);
    let new_arn = certificate_arn(call, new_path, new_name);
    call.authorize(Authorization::new("iam:UpdateServerCertificate", &new_arn)).await?;
    call.state.store.update_server_certificate(call.account(), &current.name, new_name, new_path, &new_arn).await?;
    Ok(json!({}))
}

pub(super) async fn delete(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let c = existing(call, "iam:DeleteServerCertificate", text(input, "ServerCertificateName")).await?;
    call.state.store.delete_server_certificate(call.account(), &c.name).await?;
    Ok(json!({}))
}
