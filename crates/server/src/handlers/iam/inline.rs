//! Inline policies of users, groups and roles.

use monban_store::{PrincipalKind, Quota};
use serde_json::{json, Value};

use super::*;

/// The inline policy size quota of an owner kind.
pub(super) fn inline_quota(kind: PrincipalKind) -> i64 {
    match kind {
        User => Quota::UserPolicySize,
        Group => Quota::GroupPolicySize,
        Role => Quota::RolePolicySize,
    }
    .value()
}

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
    // The quota counts every inline policy of the owner together.
    let others: usize = call
        .state
        .store
        .inline_policies(account, kind, owner)
        .await?
        .iter()
        .filter(|(n, _)| n != policy_name)
        .map(|(_, d)| d.chars().filter(|c| !c.is_whitespace()).count())
        .sum();
    let size = document.chars().filter(|c| !c.is_whitespace()).count();
    if i64::try_from(others + size).unwrap_or(i64::MAX) > inline_quota(kind) {
        return Err(ApiError::limit_exceeded(format!(
            "Maximum policy size of {} bytes exceeded for {kind_name} {owner}",
            inline_quota(kind)
        )));
    }
    validate_document(document, DocumentKind::Identity)?;
    call.state.store.put_inline_policy(account, kind, owner, policy_name, document).await?;
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
