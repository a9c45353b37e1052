//! Service-linked roles (IAM User Guide, "Using service-linked roles"): roles that a service owns,
//! under `/aws-service-role/SERVICE/`, with a trust policy naming the service and the AWS managed
//! policy it attaches. Only CreateServiceLinkedRole and DeleteServiceLinkedRole change them; the
//! operations that would edit their trust or permissions answer UnmodifiableEntity.

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::*;

/// The path prefix of every service-linked role.
pub(super) const SERVICE_ROLE_PATH: &str = "/aws-service-role/";

/// What no caller may do to a service-linked role: only its service changes its trust and
/// permissions ("Service-linked role permissions").
const SERVICE_OWNED_ACTIONS: [&str; 8] = [
    "iam:DeleteRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
];

/// One row of `data/service-linked-roles.tsv`.
struct ServiceRole {
    service: &'static str,
    role: &'static str,
    policy: &'static str,
    custom_suffix: bool,
}

fn services() -> &'static [ServiceRole] {
    static TABLE: OnceLock<Vec<ServiceRole>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../../data/service-linked-roles.tsv")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut cells = line.split('\t');
                Some(ServiceRole {
                    service: cells.next()?,
                    role: cells.next()?,
                    policy: cells.next()?,
                    custom_suffix: cells.next()? == "yes",
                })
            })
            .collect()
    })
}

/// `UnmodifiableEntity` when `action` would change a service-linked role (checked after the
/// caller is authorized, so that a denied caller learns nothing more).
pub(super) fn check_modifiable(p: &Principal, action: &str) -> Result<(), ApiError> {
    if p.kind == Role && p.path.starts_with(SERVICE_ROLE_PATH) && SERVICE_OWNED_ACTIONS.contains(&action) {
        return Err(ApiError::unmodifiable_entity(format!(
            "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
            p.name
        )));
    }
    Ok(())
}

pub(super) async fn create(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let service_name = text(input, "AWSServiceName");
    let suffix = optional(input, "CustomSuffix");
    let known = services().iter().find(|s| s.service == service_name);
    let role_name = match (known, suffix) {
        (Some(s), Some(suffix)) => format!("{}_{suffix}", s.role),
        (Some(s), None) => s.role.to_string(),
        (None, _) => format!("AWSServiceRoleFor{service_name}"),
    };
    // IAM role names are at most 64 characters (IAM API Reference, Role: RoleName).
    if role_name.chars().count() > 64 {
        return Err(ApiError::invalid_input(format!(
            "The role name {role_name} would be longer than 64 characters: use a shorter CustomSuffix."
        )));
    }
    let path = format!("{SERVICE_ROLE_PATH}{service_name}/");
    let role_arn = arn(call, "role", &path, &role_name);
    call.authorize(
        Authorization::new("iam:CreateServiceLinkedRole", &role_arn).with("iam:AWSServiceName", service_name),
    )
    .await?;
    let Some(service) = known else {
        return Err(ApiError::invalid_input(format!(
            "Service {service_name} is not supported for service-linked roles (docs/compatibility.md lists those \
             monban knows)."
        )));
    };
    if suffix.is_some() && !service.custom_suffix {
        return Err(ApiError::invalid_input(format!("Custom suffix is not allowed for {service_name}")));
    }
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": [service_name]}, "Action": "sts:AssumeRole"}]});
    let mut role = Principal::new(Role, &role_name, &util::random_id("AROA", 21)?, &path, &role_arn, &call.now());
    role.trust_policy = Some(trust.to_string());
    role.description = optional(input, "Description").map(String::from);
    role.max_session_duration = Some(3600);
    let policy_arn = format!("arn:{}:iam::aws:policy/aws-service-role/{}", call.partition(), service.policy);
    call.state.store.create_role_with_policy(call.account(), &role, &policy_arn).await.map_err(|e| match e {
        monban_store::StoreError::AlreadyExists(_) => ApiError::invalid_input(format!(
            "Service role name {role_name} has been taken in this account, please try a different suffix."
        )),
        other => other.into(),
    })?;
    Ok(json!({"Role": principal_json(&role, None)}))
}

/// DeleteServiceLinkedRole: the service deletes its role; the task id names the role and a UUID
/// (`task/aws-service-role/SERVICE/ROLE/UUID`). monban deletes at once, so every task has
/// SUCCEEDED by the time its id is known.
pub(super) async fn delete(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "RoleName");
    let role = existing_role(call, "iam:DeleteServiceLinkedRole", name).await?;
    let Some(service) = role.path.strip_prefix(SERVICE_ROLE_PATH) else {
        return Err(ApiError::invalid_input(format!("Role {} is not a service-linked role.", role.name)));
    };
    call.state.store.delete_service_linked_role(call.account(), &role.name).await?;
    let uuid = util::uuid()?;
    let task = format!("task{SERVICE_ROLE_PATH}{service}{}/{uuid}", role.name);
    call.state.note_deletion_task(call.account(), &task);
    Ok(json!({"DeletionTaskId": task}))
}

pub(super) async fn deletion_status(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let task = text(input, "DeletionTaskId");
    let role_path = task
        .strip_prefix("task/")
        .and_then(|rest| rest.rsplit_once('/'))
        .map(|(role, _uuid)| role)
        .filter(|role| role.starts_with(&SERVICE_ROLE_PATH[1..]))
        .ok_or_else(|| ApiError::invalid_input(format!("Invalid deletion task id: {task}")))?;
    let role_arn = call.iam_arn(&format!("role/{role_path}"));
    call.authorize(Authorization::new("iam:GetServiceLinkedRoleDeletionStatus", &role_arn)).await?;
    if !call.state.has_deletion_task(call.account(), task) {
        return Err(ApiError::no_such_entity(format!("Deletion task {task} cannot be found.")));
    }
    Ok(json!({"Status": "SUCCEEDED"}))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row names an AWS managed policy that monban has (data/aws-managed-policies.jsonl).
    #[test]
    fn every_service_role_policy_is_an_aws_managed_policy() {
        assert!(services().len() >= 20);
        for s in services() {
            let arn = format!("arn:aws:iam::aws:policy/aws-service-role/{}", s.policy);
            assert!(managed::all().contains_key(&arn), "{} for {}", arn, s.service);
            assert!(s.role.starts_with("AWSServiceRoleFor"), "{}", s.role);
        }
    }
}
