//! Users, groups and roles: creation, lookup, listing, updates, renames, deletion and group membership.

use monban_store::{Owner, Principal, PrincipalChange, PrincipalKind};
use serde_json::{json, Value};

use super::*;

pub(super) async fn create_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, kind_name) = member_names(kind);
    let name = text(input, name_key);
    let path = optional(input, "Path").unwrap_or("/");
    let account = call.account();
    let principal_arn = arn(call, kind_name, path, name);
    let tags = tags(input);
    check_tags(&tags)?;
    let boundary = optional(input, "PermissionsBoundary");
    let mut authz = Authorization::new(op.action(), &principal_arn).with_request_tags(&tags);
    if let Some(b) = boundary {
        authz = authz.with("iam:PermissionsBoundary", b);
    }
    call.authorize(authz).await?;
    if kind == Role && path.starts_with(service_roles::SERVICE_ROLE_PATH) {
        return Err(ApiError::invalid_input(
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
        ));
    }
    if let Some(b) = boundary {
        require_boundary_policy(call, b).await?;
    }
    let prefix = match kind {
        User => "AIDA",
        Group => "AGPA",
        Role => "AROA",
    };
    let mut p = Principal::new(kind, name, &util::random_id(prefix, 21)?, path, &principal_arn, &call.now());
    p.permissions_boundary = boundary.map(String::from);
    if kind == Role {
        let trust = text(input, "AssumeRolePolicyDocument");
        check_size(trust, monban_store::Quota::AssumeRolePolicySize, &format!("role {name}"))?;
        let policy = validate_document(call, trust, DocumentKind::Trust)?;
        p.trust_principal_ids = crate::auth::references::record(call.state, &policy).await?;
        p.trust_policy = Some(trust.to_string());
        p.description = optional(input, "Description").map(String::from);
        p.max_session_duration = Some(input.get("MaxSessionDuration").and_then(Value::as_i64).unwrap_or(3600));
    }
    call.state.store.create_principal_with_tags(account, &p, &tags).await?;
    Ok(titled(kind, principal_json(&p, Some(&tags))))
}

pub(super) async fn get_user(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = match (optional(input, "UserName"), call.identity()) {
        (Some(name), _) => name,
        (None, Identity::User { user, .. }) => user.name.as_str(),
        (None, Identity::Root { account, .. }) => {
            // GetUser without a name, called by root, describes the root user.
            return Ok(json!({"User": {"Path": "/", "UserName": account, "UserId": account,
                "Arn": call.iam_arn("root"), "CreateDate": call.now()}}));
        }
        (None, Identity::Session { .. } | Identity::Federated { .. }) => {
            return Err(ApiError::validation("Must specify userName when calling with non-User credentials"));
        }
    };
    describe_principal(call, IamOperation::GetUser, User, name).await
}

pub(super) async fn get_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    describe_principal(call, op, kind, text(input, name_key)).await
}

/// GetUser's and GetRole's answer: the principal with its tags (and a role's last use).
async fn describe_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    name: &str,
) -> Result<Value, ApiError> {
    let existing = on_principal(call, kind, name, op.action(), |a| a).await?;
    let p = current_trust(call, existing.ok_or_else(|| not_found(kind, name))?).await?;
    let tags: Vec<Tag> = crate::auth::principal_tags(call.state, call.account(), kind, name)
        .await?
        .iter()
        .map(|(key, value)| Tag { key: key.clone(), value: value.clone() })
        .collect();
    let mut out = principal_json(&p, Some(&tags));
    if kind == Role {
        if let Some(last_used) = super::last_accessed::role_last_used(call, &p.id).await? {
            out["RoleLastUsed"] = last_used;
        }
    }
    Ok(titled(kind, out))
}

/// `{"User": ...}`: a principal under its kind's title, moved in (`json!` would copy it whole).
fn titled(kind: PrincipalKind, principal: Value) -> Value {
    Value::Object(serde_json::Map::from_iter([(kind.title().to_string(), principal)]))
}

pub(super) async fn get_group(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "GroupName");
    let existing = on_principal(call, Group, name, "iam:GetGroup", |a| a).await?;
    let group = existing.ok_or_else(|| not_found(Group, name))?;
    let users = call.state.store.users_in_group(call.account(), name).await?;
    let mut out = paginate(input, users.iter().map(|u| principal_json(u, None)).collect(), "Users");
    out["Group"] = principal_json(&group, None);
    Ok(out)
}

pub(super) async fn list_principals(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    call.authorize(Authorization::new(op.action(), "*")).await?;
    let prefix = optional(input, "PathPrefix").unwrap_or("/");
    let (principals, marker) = page(input, call.state.store.list_principals(call.account(), kind, prefix).await?);
    let mut items = Vec::with_capacity(principals.len());
    for p in principals {
        items.push(principal_json(&*current_trust(call, Arc::new(p)).await?, None));
    }
    let list = match kind {
        User => "Users",
        Group => "Groups",
        Role => "Roles",
    };
    Ok(listing(list, items, marker))
}

/// A role with its trust policy as it applies now (see [`crate::references`]).
pub(super) async fn current_trust(call: &Call<'_>, p: Arc<Principal>) -> Result<Arc<Principal>, ApiError> {
    let Some(trust) = &p.trust_policy else { return Ok(p) };
    let resolved = crate::auth::references::resolve(call.state, trust, p.trust_principal_ids.as_deref()).await?;
    let mut p = Arc::unwrap_or_clone(p);
    p.trust_policy = Some(resolved);
    Ok(Arc::new(p))
}

pub(super) async fn delete_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let name = text(input, name_key);
    let existing = on_principal(call, kind, name, op.action(), |a| a).await?;
    existing.ok_or_else(|| not_found(kind, name))?;
    call.state.store.delete_principal(call.account(), kind, name).await?;
    Ok(json!({}))
}

pub(super) async fn existing_role(call: &Call<'_>, action: &str, name: &str) -> Result<Principal, ApiError> {
    let existing = on_principal(call, Role, name, action, |a| a).await?;
    existing.map(Arc::unwrap_or_clone).ok_or_else(|| not_found(Role, name))
}

pub(super) async fn update_assume_role_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "RoleName");
    let role = existing_role(call, "iam:UpdateAssumeRolePolicy", name).await?;
    let document = text(input, "PolicyDocument");
    check_size(document, monban_store::Quota::AssumeRolePolicySize, &format!("role {name}"))?;
    let policy = validate_document(call, document, DocumentKind::Trust)?;
    let principal_ids = crate::auth::references::record(call.state, &policy).await?;
    let change = PrincipalChange::Trust { policy: document.to_string(), principal_ids };
    call.state.store.change_principal(call.account(), &role, change).await?;
    Ok(json!({}))
}

pub(super) async fn update_role(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let role = existing_role(call, "iam:UpdateRole", text(input, "RoleName")).await?;
    let store = &call.state.store;
    if let Some(d) = optional(input, "Description") {
        store.change_principal(call.account(), &role, PrincipalChange::Description(d.to_string())).await?;
    }
    if let Some(m) = input.get("MaxSessionDuration").and_then(Value::as_i64) {
        store.change_principal(call.account(), &role, PrincipalChange::MaxSessionDuration(m)).await?;
    }
    Ok(json!({}))
}

/// UpdateRoleDescription: UpdateRole's older form, which answers with the role.
pub(super) async fn update_role_description(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let mut role = existing_role(call, "iam:UpdateRoleDescription", text(input, "RoleName")).await?;
    let description = text(input, "Description");
    let change = PrincipalChange::Description(description.to_string());
    call.state.store.change_principal(call.account(), &role, change).await?;
    role.description = Some(description.to_string());
    let tags = call.state.store.tags(call.account(), Owner::Principal(Role), &role.name).await?;
    Ok(json!({"Role": principal_json(&role, Some(&tags))}))
}

/// UpdateUser and UpdateGroup: a new name and/or path, with everything attached to the principal.
pub(super) async fn rename_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, kind_name) = member_names(kind);
    let name = text(input, name_key);
    let existing = on_principal(call, kind, name, op.action(), |a| a).await?;
    let current = existing.ok_or_else(|| not_found(kind, name))?;
    let new_name = optional(input, &format!("New{name_key}")).unwrap_or(&current.name);
    let new_path = optional(input, "NewPath").unwrap_or(&current.path);
    let new_arn = arn(call, kind_name, new_path, new_name);
    // A rename or move is authorized against the new ARN too: otherwise a principal allowed to
    // update only itself could take any name and path (IAM API Reference, UpdateUser and
    // UpdateGroup: "the requester must have appropriate permissions on both the source object and
    // the target object").
    if new_arn != current.arn {
        call.authorize(Authorization::new(op.action(), &new_arn)).await?;
    }
    call.state.store.rename_principal(call.account(), kind, &current.name, new_name, new_path, &new_arn).await?;
    Ok(json!({}))
}

pub(super) async fn group_membership(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    let (group, user) = (text(input, "GroupName"), text(input, "UserName"));
    let _ = on_principal(call, Group, group, op.action(), |a| a).await?;
    if op == IamOperation::AddUserToGroup {
        call.state.store.add_user_to_group(call.account(), group, user).await?;
    } else {
        call.state.store.remove_user_from_group(call.account(), group, user).await?;
    }
    Ok(json!({}))
}

pub(super) async fn list_groups_for_user(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "UserName");
    let existing = on_principal(call, User, name, "iam:ListGroupsForUser", |a| a).await?;
    existing.ok_or_else(|| not_found(User, name))?;
    let groups = call.state.store.groups_for_user(call.account(), name).await?;
    Ok(paginate(input, groups.iter().map(|g| principal_json(g, None)).collect(), "Groups"))
}
