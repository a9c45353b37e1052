//! Instance profiles.

use serde_json::{json, Value};

use super::*;

pub(super) async fn instance_profile_json(
    call: &Call<'_>,
    p: &monban_store::InstanceProfile,
) -> Result<Value, ApiError> {
    let mut roles = Vec::new();
    if let Some(role) = &p.role_name {
        let role = call.state.store.require_principal(call.account(), Role, role).await?;
        roles.push(principal_json(&role, None));
    }
    Ok(json!({"Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.id, "Arn": p.arn,
        "CreateDate": p.created, "Roles": roles}))
}

pub(super) fn instance_profile_arn(call: &Call<'_>, path: &str, name: &str) -> String {
    arn(call, "instance-profile", path, name)
}

pub(super) fn instance_profile_not_found(name: &str) -> ApiError {
    ApiError::no_such_entity(format!("Instance Profile {name} cannot be found."))
}

pub(super) async fn create_instance_profile(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "InstanceProfileName");
    let path = optional(input, "Path").unwrap_or("/");
    let target = instance_profile_arn(call, path, name);
    let tags = super::tags(input);
    check_tags(&tags)?;
    call.authorize(Authorization::new("iam:CreateInstanceProfile", &target).with_request_tags(&tags)).await?;
    let profile = monban_store::InstanceProfile {
        name: name.into(),
        id: util::random_id("AIPA", 21)?,
        path: path.into(),
        arn: target,
        created: call.now(),
        role_name: None,
    };
    call.state.store.create_instance_profile(call.account(), &profile, &tags).await?;
    let mut out = instance_profile_json(call, &profile).await?;
    if !tags.is_empty() {
        out["Tags"] = tags_json(&tags);
    }
    Ok(json!({"InstanceProfile": out}))
}

pub(super) async fn existing_instance_profile(
    call: &Call<'_>,
    action: &str,
    name: &str,
) -> Result<monban_store::InstanceProfile, ApiError> {
    let existing = call.state.store.instance_profile(call.account(), name).await?;
    let target = existing.as_ref().map_or_else(|| instance_profile_arn(call, "/", name), |p| p.arn.clone());
    call.authorize(Authorization::new(action, &target)).await?;
    existing.ok_or_else(|| instance_profile_not_found(name))
}

pub(super) async fn get_instance_profile(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let profile = existing_instance_profile(call, "iam:GetInstanceProfile", text(input, "InstanceProfileName")).await?;
    let mut out = instance_profile_json(call, &profile).await?;
    let tags = call.state.store.tags(call.account(), monban_store::Owner::InstanceProfile, &profile.name).await?;
    if !tags.is_empty() {
        out["Tags"] = tags_json(&tags);
    }
    Ok(json!({"InstanceProfile": out}))
}

pub(super) async fn delete_instance_profile(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "InstanceProfileName");
    existing_instance_profile(call, "iam:DeleteInstanceProfile", name).await?;
    call.state.store.delete_instance_profile(call.account(), name).await?;
    Ok(json!({}))
}

pub(super) async fn list_instance_profiles(
    call: &Call<'_>,
    op: IamOperation,
    input: &Value,
) -> Result<Value, ApiError> {
    let role = optional(input, "RoleName");
    let resource = match role {
        Some(name) => {
            let existing = on_principal(call, Role, name, op.action(), |a| a).await?;
            existing.ok_or_else(|| not_found(Role, name))?;
            None
        }
        None => Some("*"),
    };
    if let Some(resource) = resource {
        call.authorize(Authorization::new(op.action(), resource)).await?;
    }
    let prefix = optional(input, "PathPrefix").unwrap_or("/");
    let mut items = Vec::new();
    for p in call.state.store.list_instance_profiles(call.account(), prefix, role).await? {
        items.push(instance_profile_json(call, &p).await?);
    }
    Ok(paginate(input, items, "InstanceProfiles"))
}

pub(super) async fn instance_profile_role(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    let (name, role) = (text(input, "InstanceProfileName"), text(input, "RoleName"));
    existing_instance_profile(call, op.action(), name).await?;
    let add = op == IamOperation::AddRoleToInstanceProfile;
    // Putting a role in an instance profile passes it to EC2 (AWS: "iam:PassRole").
    if add {
        let (_, role_arn) = target(call, Role, role).await?;
        call.authorize(Authorization::new("iam:PassRole", &role_arn).with("iam:PassedToService", "ec2.amazonaws.com"))
            .await?;
    }
    call.state.store.set_instance_profile_role(call.account(), name, role, add).await?;
    Ok(json!({}))
}
