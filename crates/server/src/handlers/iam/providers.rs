//! OpenID Connect and SAML identity providers (IAM User Guide, "Create an OpenID Connect (OIDC)
//! identity provider in IAM" and "Create a SAML identity provider in IAM"). The providers are
//! stored and validated as IAM does; federation with them (AssumeRoleWithWebIdentity and
//! AssumeRoleWithSAML) is in `handlers::sts::federated`.

use monban_store::{IdentityProvider, Owner, ProviderKind};
use serde_json::{json, Value};

use super::*;

/// The SAML 2.0 metadata namespace.
const SAML_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// The request member that names a provider of this owner kind.
pub(super) fn arn_member(owner: Owner) -> &'static str {
    if owner == Owner::SamlProvider {
        "SAMLProviderArn"
    } else {
        "OpenIDConnectProviderArn"
    }
}

fn kind_of(owner: Owner) -> ProviderKind {
    if owner == Owner::SamlProvider {
        ProviderKind::Saml
    } else {
        ProviderKind::Oidc
    }
}

/// The provider `arn` names in the caller's account, or the error to answer for it.
pub(super) async fn existing(
    call: &Call<'_>,
    owner: Owner,
    arn: &str,
) -> Result<Result<IdentityProvider, ApiError>, ApiError> {
    let kind = kind_of(owner);
    let found = call.state.store.identity_provider(arn).await?;
    Ok(found
        .filter(|p| p.account_id == call.account() && p.kind == kind)
        .ok_or_else(|| monban_store::StoreError::NotFound(monban_store::Missing::IdentityProvider(arn.into())).into()))
}

/// Authorizes `action` on the provider named by the request and returns it.
async fn authorized(call: &Call<'_>, action: &str, owner: Owner, input: &Value) -> Result<IdentityProvider, ApiError> {
    let arn = text(input, arn_member(owner));
    let found = existing(call, owner, arn).await?;
    call.authorize(Authorization::new(action, arn)).await?;
    found
}

fn strings(input: &Value, key: &str) -> Vec<String> {
    input
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// At most five thumbprints, each the 40 hex digits of a SHA-1 digest.
fn check_thumbprints(thumbprints: &[String]) -> Result<(), ApiError> {
    if thumbprints.len() > monban_store::Quota::ThumbprintsPerOpenIdConnectProvider.value() as usize {
        return Err(ApiError::invalid_input("Thumbprint list must contain fewer than 5 entries."));
    }
    if let Some(bad) = thumbprints.iter().find(|t| t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(ApiError::invalid_input(format!("Thumbprint {bad} is not 40 hexadecimal characters.")));
    }
    Ok(())
}

pub(super) async fn create_oidc(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let url = text(input, "Url");
    let host = url.strip_prefix("https://").filter(|rest| !rest.is_empty() && !rest.contains(['?', '#', ' ']));
    let Some(host) = host else {
        return Err(ApiError::validation("Invalid Open ID Connect Provider URL"));
    };
    let host = host.trim_end_matches('/');
    let arn = call.iam_arn(&format!("oidc-provider/{host}"));
    let tags = super::tags(input);
    check_tags(&tags)?;
    call.authorize(Authorization::new("iam:CreateOpenIDConnectProvider", &arn).with_request_tags(&tags)).await?;
    let thumbprints = strings(input, "ThumbprintList");
    check_thumbprints(&thumbprints)?;
    // Each client id once, in the order given; the quota counts distinct ones.
    let mut unique: Vec<String> = Vec::new();
    for id in strings(input, "ClientIDList") {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let quota = monban_store::Quota::ClientIdsPerOpenIdConnectProvider;
    if unique.len() as i64 > quota.value() {
        return Err(monban_store::StoreError::LimitExceeded(monban_store::Limit::Reached(quota)).into());
    }
    let provider = IdentityProvider {
        arn: arn.clone(),
        account_id: call.account().into(),
        kind: ProviderKind::Oidc,
        url: Some(host.into()),
        client_ids: unique,
        thumbprints,
        metadata: None,
        valid_until: None,
        uuid: None,
        created: call.now(),
    };
    call.state.store.create_identity_provider(&provider, &tags).await.map_err(|e| match e {
        monban_store::StoreError::AlreadyExists(_) => {
            ApiError::already_exists(format!("Provider with url {url} already exists."))
        }
        other => other.into(),
    })?;
    let mut out = json!({"OpenIDConnectProviderArn": arn});
    if !tags.is_empty() {
        out["Tags"] = tags_json(&tags);
    }
    Ok(out)
}

pub(super) async fn get_oidc(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let p = authorized(call, "iam:GetOpenIDConnectProvider", Owner::OidcProvider, input).await?;
    let tags = call.state.store.tags(call.account(), Owner::OidcProvider, &p.arn).await?;
    Ok(json!({"Url": p.url, "ClientIDList": p.client_ids, "ThumbprintList": p.thumbprints, "CreateDate": p.created,
        "Tags": tags_json(&tags)}))
}

pub(super) async fn list(call: &Call<'_>, op: IamOperation, kind: ProviderKind) -> Result<Value, ApiError> {
    call.authorize(Authorization::new(op.action(), "*")).await?;
    let providers = call.state.store.identity_providers(call.account(), kind).await?;
    Ok(match kind {
        ProviderKind::Oidc => {
            json!({"OpenIDConnectProviderList": providers.iter().map(|p| json!({"Arn": p.arn})).collect::<Vec<_>>()})
        }
        ProviderKind::Saml => json!({"SAMLProviderList": providers
            .iter()
            .map(|p| json!({"Arn": p.arn, "ValidUntil": p.valid_until, "CreateDate": p.created}))
            .collect::<Vec<_>>()}),
    })
}

pub(super) async fn delete(call: &Call<'_>, op: IamOperation, owner: Owner, input: &Value) -> Result<Value, ApiError> {
    let arn = text(input, arn_member(owner));
    let found = existing(call, owner, arn).await?;
    call.authorize(Authorization::new(op.action(), arn)).await?;
    if found.is_err() && owner == Owner::OidcProvider {
        return Err(ApiError::no_such_entity(format!("OpenId connect Provider {arn} cannot be found.")));
    }
    let p = found?;
    call.state.store.delete_identity_provider(call.account(), p.kind, &p.arn).await?;
    Ok(json!({}))
}

/// AddClientIDToOpenIDConnectProvider and RemoveClientIDFromOpenIDConnectProvider.
pub(super) async fn client_id(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    let p = authorized(call, op.action(), Owner::OidcProvider, input).await?;
    let add = op == IamOperation::AddClientIDToOpenIDConnectProvider;
    call.state.store.edit_client_ids(&p.arn, text(input, "ClientID"), add).await?;
    Ok(json!({}))
}

pub(super) async fn update_thumbprints(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let p = authorized(call, "iam:UpdateOpenIDConnectProviderThumbprint", Owner::OidcProvider, input).await?;
    let thumbprints = strings(input, "ThumbprintList");
    check_thumbprints(&thumbprints)?;
    call.state.store.update_identity_provider(&p.arn, Some(&thumbprints), None).await?;
    Ok(json!({}))
}

/// What IAM keeps of a SAML metadata document: its `validUntil`, if it has one. The document must
/// be XML whose root is a SAML 2.0 `EntityDescriptor` with an `IDPSSODescriptor` (SAML 2.0
/// Metadata, section 2.3).
fn parse_metadata(document: &str) -> Result<Option<String>, ApiError> {
    let invalid = || ApiError::invalid_input("Could not parse metadata");
    let xml = roxmltree::Document::parse(document).map_err(|_| invalid())?;
    let root = xml.root_element();
    if root.tag_name().namespace() != Some(SAML_METADATA) || root.tag_name().name() != "EntityDescriptor" {
        return Err(invalid());
    }
    let idp = root
        .children()
        .any(|n| n.tag_name().namespace() == Some(SAML_METADATA) && n.tag_name().name() == "IDPSSODescriptor");
    if !idp {
        return Err(invalid());
    }
    match root.attribute("validUntil") {
        None => Ok(None),
        Some(text) => {
            let nanos = monban_policy::condition::parse_date(text).ok_or_else(invalid)?;
            Ok(Some(monban_policy::condition::format_date((nanos / 1_000_000_000) as i64)))
        }
    }
}

fn refuse_private_keys(input: &Value) -> Result<(), ApiError> {
    if optional(input, "AddPrivateKey").is_some() || optional(input, "RemovePrivateKey").is_some() {
        return Err(ApiError::invalid_input(
            "monban does not keep SAML assertion decryption keys yet (docs/compatibility.md).",
        ));
    }
    Ok(())
}

pub(super) async fn create_saml(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "Name");
    let arn = call.iam_arn(&format!("saml-provider/{name}"));
    let tags = super::tags(input);
    check_tags(&tags)?;
    call.authorize(Authorization::new("iam:CreateSAMLProvider", &arn).with_request_tags(&tags)).await?;
    refuse_private_keys(input)?;
    let metadata = text(input, "SAMLMetadataDocument");
    let valid_until = parse_metadata(metadata)?;
    let provider = IdentityProvider {
        arn: arn.clone(),
        account_id: call.account().into(),
        kind: ProviderKind::Saml,
        url: None,
        client_ids: Vec::new(),
        thumbprints: Vec::new(),
        metadata: Some(metadata.into()),
        valid_until,
        uuid: Some(util::random_id("", 26)?),
        created: call.now(),
    };
    call.state.store.create_identity_provider(&provider, &tags).await?;
    let mut out = json!({"SAMLProviderArn": arn});
    if !tags.is_empty() {
        out["Tags"] = tags_json(&tags);
    }
    Ok(out)
}

pub(super) async fn get_saml(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let p = authorized(call, "iam:GetSAMLProvider", Owner::SamlProvider, input).await?;
    let tags = call.state.store.tags(call.account(), Owner::SamlProvider, &p.arn).await?;
    Ok(json!({"SAMLProviderUUID": p.uuid, "SAMLMetadataDocument": p.metadata, "CreateDate": p.created,
        "ValidUntil": p.valid_until, "Tags": tags_json(&tags), "AssertionEncryptionMode": "Allowed",
        "PrivateKeyList": []}))
}

pub(super) async fn update_saml(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let p = authorized(call, "iam:UpdateSAMLProvider", Owner::SamlProvider, input).await?;
    refuse_private_keys(input)?;
    if let Some(metadata) = optional(input, "SAMLMetadataDocument") {
        let valid_until = parse_metadata(metadata)?;
        call.state.store.update_identity_provider(&p.arn, None, Some((metadata, valid_until.as_deref()))).await?;
    }
    Ok(json!({"SAMLProviderArn": p.arn}))
}
