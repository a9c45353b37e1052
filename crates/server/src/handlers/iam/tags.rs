//! Tags on every taggable IAM resource ("Tagging IAM resources").

use monban_store::{Owner, Tag};
use serde_json::{json, Value};

use super::*;

/// The `Tags` member of a request (IAM's and STS's share the shape).
pub(crate) fn tags(input: &Value) -> Vec<Tag> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(|t| Tag { key: text(t, "Key").into(), value: text(t, "Value").into() }).collect())
        .unwrap_or_default()
}

/// AWS reserves the `aws:` prefix for its own tags, and tag keys are unique regardless of case
/// ("Tagging IAM resources": tag naming rules).
pub(crate) fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    if let Some(t) = tags.iter().find(|t| t.key.to_lowercase().starts_with("aws:")) {
        return Err(ApiError::invalid_input(format!("User-defined tag keys can't start with 'aws:' (`{}`).", t.key)));
    }
    let mut keys: Vec<String> = tags.iter().map(|t| t.key.to_lowercase()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(ApiError::invalid_input(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    Ok(())
}

pub(super) fn tag_keys(input: &Value) -> Vec<String> {
    input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|k| k.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

pub(super) fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect())
}

/// What a tagging operation works on: the ARN it is authorized against, the key its tags are
/// stored under, its current tags, and the error to answer if it does not exist (told only after
/// authorization).
pub(super) struct TagTarget {
    pub(super) arn: String,
    pub(super) key: String,
    pub(super) tags: Vec<Tag>,
    pub(super) missing: Option<ApiError>,
}

impl TagTarget {
    pub(super) async fn read(call: &Call<'_>, owner: Owner, input: &Value) -> Result<TagTarget, ApiError> {
        let store = &call.state.store;
        let account = call.account();
        let (arn, key, missing) = match owner {
            Owner::Policy => {
                let arn = text(input, "PolicyArn").to_string();
                let exists = policy_account(&arn) == Some(account) && store.managed_policy(&arn).await?.is_some();
                let missing = (!exists).then(|| ApiError::no_such_entity(format!("Policy {arn} was not found.")));
                (arn.clone(), arn, missing)
            }
            Owner::Principal(kind) => {
                let (name_key, _) = member_names(kind);
                let name = text(input, name_key);
                let (existing, arn) = target(call, kind, name).await?;
                (arn, name.to_string(), existing.is_none().then(|| not_found(kind, name)))
            }
            Owner::InstanceProfile => {
                let name = text(input, "InstanceProfileName");
                let existing = store.instance_profile(account, name).await?;
                let arn = existing.as_ref().map_or_else(|| instance_profile_arn(call, "/", name), |p| p.arn.clone());
                let missing = existing.is_none().then(|| instance_profile_not_found(name));
                (arn, name.to_string(), missing)
            }
            Owner::MfaDevice => {
                let serial = text(input, "SerialNumber");
                let missing = mfa::device(call, serial).await.err();
                (serial.to_string(), serial.to_string(), missing)
            }
            Owner::OidcProvider | Owner::SamlProvider => {
                let arn = text(input, providers::arn_member(owner)).to_string();
                let missing = providers::existing(call, owner, &arn).await?.err();
                (arn.clone(), arn, missing)
            }
            Owner::ServerCertificate => {
                let name = text(input, "ServerCertificateName");
                let (arn, missing) = certificates::server_certificate_target(call, name).await?;
                (arn, name.to_string(), missing)
            }
        };
        let tags = store.tags(account, owner, &key).await?;
        Ok(TagTarget { arn, key, tags, missing })
    }

    /// After authorization: `NoSuchEntity` when the target does not exist.
    pub(super) fn require(&self) -> Result<(), ApiError> {
        self.missing.clone().map_or(Ok(()), Err)
    }
}

pub(super) async fn tag(call: &Call<'_>, op: IamOperation, owner: Owner, input: &Value) -> Result<Value, ApiError> {
    let target = TagTarget::read(call, owner, input).await?;
    let new_tags = tags(input);
    check_tags(&new_tags)?;
    call.authorize(
        Authorization::new(op.action(), &target.arn).with_request_tags(&new_tags).with_resource_tags(&target.tags),
    )
    .await?;
    target.require()?;
    call.state.store.tag(call.account(), owner, &target.key, &new_tags).await?;
    Ok(json!({}))
}

pub(super) async fn untag(call: &Call<'_>, op: IamOperation, owner: Owner, input: &Value) -> Result<Value, ApiError> {
    let target = TagTarget::read(call, owner, input).await?;
    let keys = tag_keys(input);
    let mut authz = Authorization::new(op.action(), &target.arn).with_resource_tags(&target.tags);
    authz.context.push(("aws:TagKeys".into(), monban_policy::ContextValue::multi(keys.clone())));
    call.authorize(authz).await?;
    target.require()?;
    call.state.store.untag(call.account(), owner, &target.key, &keys).await?;
    Ok(json!({}))
}

pub(super) async fn list_tags(
    call: &Call<'_>,
    op: IamOperation,
    owner: Owner,
    input: &Value,
) -> Result<Value, ApiError> {
    let target = TagTarget::read(call, owner, input).await?;
    call.authorize(Authorization::new(op.action(), &target.arn)).await?;
    target.require()?;
    Ok(paginate(input, target.tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect(), "Tags"))
}
