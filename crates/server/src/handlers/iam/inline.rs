//! Inline policies of users, groups and roles.

use monban_store::{Limit, PrincipalKind, StoreError};
use serde_json::{json, Value};

use super::*;

pub(super) async fn put_inline(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, kind_name) = member_names(kind);
    let owner = text(input, name_key);
    let existing = on_principal(call, kind, owner, op.action(), |a| a).await?;
    existing.ok_or_else(|| not_found(kind, owner))?;
    let document = text(input, "PolicyDocument");
    let (policy_name, account) = (text(input, "PolicyName"), call.account());
    validate_document(call, document, DocumentKind::Inline)?;
    // The quota counts every inline policy of the owner together; the store checks it in the
    // write's transaction.
    match call.state.store.put_inline_policy(account, kind, owner, policy_name, document).await {
        Err(StoreError::LimitExceeded(Limit::InlinePolicySize(_, n))) => {
            return Err(ApiError::limit_exceeded(format!(
                "Maximum policy size of {n} bytes exceeded for {kind_name} {owner}"
            )));
        }
        other => other?,
    }
    Ok(json!({}))
}

pub(super) async fn get_inline(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let _ = on_principal(call, kind, owner, op.action(), |a| a).await?;
    let policy_name = text(input, "PolicyName");
    let document = call.state.store.inline_policy(call.account(), kind, owner, policy_name).await?;
    // The IAM API returns policy documents URL-encoded (RFC 3986).
    Ok(json!({ name_key: owner, "PolicyName": policy_name, "PolicyDocument": percent_encode(&document) }))
}

pub(super) async fn delete_inline(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let _ = on_principal(call, kind, owner, op.action(), |a| a).await?;
    call.state.store.delete_inline_policy(call.account(), kind, owner, text(input, "PolicyName")).await?;
    Ok(json!({}))
}

pub(super) async fn list_inline(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let existing = on_principal(call, kind, owner, op.action(), |a| a).await?;
    existing.ok_or_else(|| not_found(kind, owner))?;
    let names = call.state.store.inline_policies(call.account(), kind, owner).await?;
    Ok(paginate(input, names.into_iter().map(|(n, _)| Value::String(n)).collect(), "PolicyNames"))
}
