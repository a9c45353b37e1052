//! Access keys.

use monban_store::Principal;
use serde_json::{json, Value};

use super::*;

/// The user an access-key operation concerns: the named one, or the caller itself (`None` for root).
pub(super) fn key_owner<'a>(call: &'a Call<'_>, input: &'a Value) -> Result<Option<String>, ApiError> {
    match (optional(input, "UserName"), call.identity()) {
        (Some(name), _) => Ok(Some(name.to_string())),
        (None, Identity::User { user, .. }) => Ok(Some(user.name.clone())),
        (None, Identity::Root { .. }) => Ok(None),
        (None, Identity::Session { .. } | Identity::Federated { .. }) => {
            Err(ApiError::validation("Must specify userName when calling with non-User credentials"))
        }
    }
}

pub(super) async fn key_target(
    call: &Call<'_>,
    owner: &Option<String>,
) -> Result<(Option<std::sync::Arc<Principal>>, String), ApiError> {
    match owner {
        Some(name) => target(call, User, name).await,
        None => Ok((None, call.iam_arn("root"))),
    }
}

pub(super) async fn create_access_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (existing, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:CreateAccessKey", &target)).await?;
    let user_name = match (&owner, existing) {
        (Some(name), None) => return Err(not_found(User, name)),
        (Some(_), Some(user)) => Some(user.name.clone()),
        (None, _) => None,
    };
    let secret = util::random_secret()?;
    let key = monban_store::AccessKey {
        access_key_id: util::random_id("AKIA", 20)?,
        account_id: call.account().into(),
        user_name: user_name.clone(),
        secret: call.state.secrets.seal(&secret)?,
        status: "Active".into(),
        created: call.now(),
        last_used: None,
        last_used_service: None,
        last_used_region: None,
    };
    call.state.store.create_access_key(&key).await?;
    let mut out = json!({"AccessKeyId": key.access_key_id, "Status": "Active", "SecretAccessKey": secret, "CreateDate": key.created});
    out["UserName"] = Value::String(user_name.unwrap_or_else(|| call.account().to_string()));
    Ok(json!({"AccessKey": out}))
}

pub(super) async fn list_access_keys(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (existing, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:ListAccessKeys", &target)).await?;
    if let (Some(name), None) = (&owner, &existing) {
        return Err(not_found(User, name));
    }
    let keys = call.state.store.access_keys(call.account(), owner.as_deref()).await?;
    let items = keys
        .iter()
        .map(|k| {
            let user = k.user_name.clone().unwrap_or_else(|| call.account().to_string());
            json!({"UserName": user, "AccessKeyId": k.access_key_id, "Status": k.status, "CreateDate": k.created})
        })
        .collect();
    Ok(paginate(input, items, "AccessKeyMetadata"))
}

pub(super) async fn update_access_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (_, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:UpdateAccessKey", &target)).await?;
    call.state
        .store
        .update_access_key(call.account(), owner.as_deref(), text(input, "AccessKeyId"), text(input, "Status"))
        .await?;
    Ok(json!({}))
}

pub(super) async fn delete_access_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (_, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:DeleteAccessKey", &target)).await?;
    call.state.store.delete_access_key(call.account(), owner.as_deref(), text(input, "AccessKeyId")).await?;
    Ok(json!({}))
}

pub(super) async fn access_key_last_used(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let key_id = text(input, "AccessKeyId");
    let key = call.state.store.access_key(key_id).await?.filter(|k| k.account_id == call.account());
    // Authorized against the key's owner; a key that does not exist is authorized against every
    // user of the account, so that only a caller allowed on all of them learns it is missing.
    let target = match key.as_ref().map(|k| &k.user_name) {
        Some(Some(u)) => target(call, User, u).await?.1,
        Some(None) => call.iam_arn("root"),
        None => call.iam_arn("user/*"),
    };
    call.authorize(Authorization::new("iam:GetAccessKeyLastUsed", &target)).await?;
    let key =
        key.ok_or_else(|| ApiError::no_such_entity(format!("The Access Key with id {key_id} cannot be found.")))?;
    let last_used = match &key.last_used {
        Some(date) => {
            json!({"LastUsedDate": date, "ServiceName": key.last_used_service, "Region": key.last_used_region})
        }
        None => json!({"ServiceName": "N/A", "Region": "N/A"}),
    };
    Ok(json!({"UserName": key.user_name.unwrap_or_else(|| call.account().to_string()), "AccessKeyLastUsed": last_used}))
}
