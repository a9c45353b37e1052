//! Managed policies (customer and AWS), their versions, attachments and permissions boundaries.

use monban_policy::arn::Partition;
use monban_store::{ManagedPolicy, Owner, PolicyUsage, PrincipalKind, Quota, Tag};
use serde_json::{json, Value};

use super::*;

/// The account of a managed policy ARN (`aws` for AWS managed policies), if it is one.
pub(crate) fn policy_account(policy_arn: &str) -> Option<&str> {
    let arn = Arn::parse(policy_arn)?;
    (arn.service() == "iam" && arn.region().is_empty() && arn.resource_type() == "policy").then(|| arn.account())
}

pub(super) async fn require_boundary_policy(call: &Call<'_>, boundary: &str) -> Result<(), ApiError> {
    if !policy_exists(call, boundary).await? {
        return Err(ApiError::no_such_entity(format!("Scope ARN: {boundary} does not exist or is not attachable.")));
    }
    Ok(())
}

/// Whether a managed policy ARN names something attachable: an AWS managed policy or a customer
/// managed policy of this account.
pub(super) async fn policy_exists(call: &Call<'_>, policy_arn: &str) -> Result<bool, ApiError> {
    Ok(managed::get(policy_arn, call.partition()).is_some()
        || (policy_account(policy_arn) == Some(call.account())
            && call.state.store.managed_policy(policy_arn).await?.is_some()))
}

pub(super) async fn attach(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
    attach: bool,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let policy_arn = text(input, "PolicyArn");
    check_policy_arn(policy_arn)?;
    let existing = on_principal(call, kind, owner, op.action(), |a| a.with("iam:PolicyARN", policy_arn)).await?;
    existing.ok_or_else(|| not_found(kind, owner))?;
    if attach {
        if !policy_exists(call, policy_arn).await? {
            return Err(ApiError::no_such_entity(format!("Policy {policy_arn} does not exist or is not attachable.")));
        }
        call.state.store.attach_policy(call.account(), kind, owner, policy_arn).await?;
    } else {
        call.state.store.detach_policy(call.account(), kind, owner, policy_arn).await?;
    }
    Ok(json!({}))
}

/// A managed policy ARN must look like one before anything is looked up: AWS answers
/// `InvalidInput` ("ARN ... is not valid.") otherwise.
pub(super) fn check_policy_arn(policy_arn: &str) -> Result<(), ApiError> {
    let valid = Arn::parse(policy_arn).is_some_and(|a| {
        a.partition().starts_with("aws")
            && a.service() == "iam"
            && a.region().is_empty()
            && (a.account() == "aws" || a.has_account_id())
            && a.resource().starts_with("policy/")
    });
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_input(format!("ARN {policy_arn} is not valid.")))
    }
}

pub(super) fn policy_name_of(policy_arn: &str) -> &str {
    Arn::parse(policy_arn).map_or(policy_arn, |a| a.resource_name())
}

pub(super) async fn list_attached(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let existing = on_principal(call, kind, owner, op.action(), |a| a).await?;
    existing.ok_or_else(|| not_found(kind, owner))?;
    let arns = call.state.store.attached_policies(call.account(), kind, owner).await?;
    let items = arns.iter().map(|a| json!({"PolicyName": policy_name_of(a), "PolicyArn": a})).collect();
    Ok(paginate(input, items, "AttachedPolicies"))
}

pub(super) async fn boundary(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
    put: bool,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let boundary_arn = optional(input, "PermissionsBoundary").filter(|_| put);
    let existing = on_principal(call, kind, owner, op.action(), |a| match boundary_arn {
        Some(b) => a.with("iam:PermissionsBoundary", b),
        None => a,
    })
    .await?;
    let p = existing.ok_or_else(|| not_found(kind, owner))?;
    if let Some(b) = boundary_arn {
        require_boundary_policy(call, b).await?;
    }
    let change = monban_store::PrincipalChange::Boundary(boundary_arn.map(String::from));
    call.state.store.change_principal(call.account(), &p, change).await?;
    Ok(json!({}))
}

pub(super) fn managed_json(p: &ManagedPolicy, boundary_usage: i64, tags: Option<&[Tag]>) -> Value {
    let mut v = json!({
        "PolicyName": p.name, "PolicyId": p.id, "Arn": p.arn, "Path": p.path,
        "DefaultVersionId": p.default_version, "AttachmentCount": p.attachment_count,
        "PermissionsBoundaryUsageCount": boundary_usage, "IsAttachable": true,
        "CreateDate": p.created, "UpdateDate": p.updated,
    });
    if let Some(d) = &p.description {
        v["Description"] = Value::String(d.clone());
    }
    if let Some(tags) = tags.filter(|t| !t.is_empty()) {
        v["Tags"] = tags_json(tags);
    }
    v
}

/// An AWS managed policy as IAM lists it, with how this account uses it.
pub(super) fn aws_policy_json(p: &managed::AwsPolicy, partition: Partition, usage: PolicyUsage) -> Value {
    // Listed a hundred at a time: the object is made at its size, not grown field by field.
    Value::Object(Map::from_iter([
        ("PolicyName".into(), Value::from(p.name.as_str())),
        ("PolicyId".into(), Value::from(p.id.as_str())),
        ("Arn".into(), Value::from(p.arn_in(partition).into_owned())),
        ("Path".into(), Value::from(p.path.as_str())),
        ("DefaultVersionId".into(), Value::from(p.version_id.as_str())),
        ("AttachmentCount".into(), Value::from(usage.attachments)),
        ("PermissionsBoundaryUsageCount".into(), Value::from(usage.boundaries)),
        ("IsAttachable".into(), Value::Bool(true)),
        ("CreateDate".into(), Value::from(p.updated.as_str())),
        ("UpdateDate".into(), Value::from(p.updated.as_str())),
    ]))
}

pub(super) async fn create_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "PolicyName");
    let path = optional(input, "Path").unwrap_or("/");
    let policy_arn = arn(call, "policy", path, name);
    let tags = tags(input);
    check_tags(&tags)?;
    call.authorize(Authorization::new("iam:CreatePolicy", &policy_arn).with_request_tags(&tags)).await?;
    let document = text(input, "PolicyDocument");
    check_size(document, Quota::PolicySize, &format!("policy {policy_arn}"))?;
    validate_document(call, document, DocumentKind::Managed)?;
    let now = call.now();
    let policy = ManagedPolicy {
        arn: policy_arn,
        name: name.into(),
        id: util::random_id("ANPA", 21)?,
        path: path.into(),
        description: optional(input, "Description").map(String::from),
        default_version: "v1".into(),
        created: now.clone(),
        updated: now,
        attachment_count: 0,
    };
    call.state.store.create_managed_policy(call.account(), &policy, document, &tags).await?;
    Ok(json!({"Policy": managed_json(&policy, 0, Some(&tags))}))
}

/// Authorizes an action on a customer managed policy, with its tags as `aws:ResourceTag/*`.
pub(super) async fn customer_policy(
    call: &Call<'_>,
    action: &str,
    policy_arn: &str,
) -> Result<ManagedPolicy, ApiError> {
    let tags = call.state.store.tags(call.account(), Owner::Policy, policy_arn).await?;
    call.authorize(Authorization::new(action, policy_arn).with_resource_tags(&tags)).await?;
    let policy = match policy_account(policy_arn) == Some(call.account()) {
        true => call.state.store.managed_policy(policy_arn).await?,
        // Another account's policy is not this caller's to see or change.
        false => None,
    };
    policy.ok_or_else(|| ApiError::no_such_entity(format!("Policy {policy_arn} does not exist or is not attachable.")))
}

pub(super) async fn get_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    if let Some(aws) = managed::get(policy_arn, call.partition()) {
        call.authorize(Authorization::new("iam:GetPolicy", policy_arn)).await?;
        let usage = call.state.store.policy_usage(call.account()).await?;
        let usage = usage.get(policy_arn).copied().unwrap_or_default();
        return Ok(json!({"Policy": aws_policy_json(aws, call.partition(), usage)}));
    }
    let policy = customer_policy(call, "iam:GetPolicy", policy_arn).await?;
    let tags = call.state.store.tags(call.account(), Owner::Policy, policy_arn).await?;
    let usage = call.state.store.boundary_usage_count(call.account(), policy_arn).await?;
    Ok(json!({"Policy": managed_json(&policy, usage, Some(&tags))}))
}

pub(super) async fn delete_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:DeletePolicy", policy_arn).await?;
    call.state.store.delete_managed_policy(policy_arn).await?;
    Ok(json!({}))
}

pub(super) async fn list_policies(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:ListPolicies", "*")).await?;
    let scope = optional(input, "Scope").unwrap_or("All");
    let prefix = optional(input, "PathPrefix").unwrap_or("/");
    let only_attached = input.get("OnlyAttached").and_then(Value::as_bool).unwrap_or(false);
    let usage = call.state.store.policy_usage(call.account()).await?;
    let usage_of = |arn: &str| usage.get(arn).copied().unwrap_or_default();
    let wanted = |arn: &str| !only_attached || usage_of(arn).attachments > 0;
    // The listing is decided first and only its page is turned into JSON.
    // Small entries (a reference, or an index into `local`): the listing holds every AWS managed
    // policy and is copied as it grows.
    enum Listed<'a> {
        Aws(&'a managed::AwsPolicy),
        Local(usize),
    }
    let local = match scope {
        "AWS" => Vec::new(),
        _ => call.state.store.list_managed_policies(call.account(), prefix).await?,
    };
    let mut items = Vec::with_capacity(local.len() + if scope == "Local" { 0 } else { managed::by_name().len() });
    if scope != "Local" {
        let aws = managed::by_name().iter().filter(|p| {
            // The ARN is made only when attachments are asked about.
            p.path.starts_with(prefix) && (!only_attached || wanted(&p.arn_in(call.partition())))
        });
        items.extend(aws.map(|p| Listed::Aws(p)));
    }
    items.extend(local.iter().enumerate().filter(|(_, p)| wanted(&p.arn)).map(|(i, _)| Listed::Local(i)));
    Ok(paginate_with(input, items, "Policies", |item| match item {
        Listed::Aws(p) => aws_policy_json(p, call.partition(), usage_of(&p.arn_in(call.partition()))),
        Listed::Local(i) => managed_json(&local[i], usage_of(&local[i].arn).boundaries, None),
    }))
}

pub(super) fn version_json(v: &monban_store::PolicyVersion, with_document: bool) -> Value {
    let mut out = json!({"VersionId": v.version_id, "IsDefaultVersion": v.is_default, "CreateDate": v.created});
    if with_document {
        out["Document"] = Value::String(percent_encode(&v.document));
    }
    out
}

pub(super) async fn create_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:CreatePolicyVersion", policy_arn).await?;
    let document = text(input, "PolicyDocument");
    check_size(document, Quota::PolicySize, &format!("policy {policy_arn}"))?;
    validate_document(call, document, DocumentKind::Managed)?;
    let set_default = input.get("SetAsDefault").and_then(Value::as_bool).unwrap_or(false);
    let v = call.state.store.create_policy_version(policy_arn, document, set_default, &call.now()).await?;
    Ok(json!({"PolicyVersion": version_json(&v, false)}))
}

pub(super) async fn get_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (policy_arn, version_id) = (text(input, "PolicyArn"), text(input, "VersionId"));
    call.authorize(Authorization::new("iam:GetPolicyVersion", policy_arn)).await?;
    let missing = || {
        ApiError::no_such_entity(format!(
            "Policy {policy_arn} version {version_id} does not exist or is not attachable."
        ))
    };
    if let Some(aws) = managed::get(policy_arn, call.partition()) {
        if aws.version_id != version_id {
            return Err(missing());
        }
        return Ok(json!({"PolicyVersion": {"Document": percent_encode(&aws.document), "VersionId": aws.version_id,
            "IsDefaultVersion": true, "CreateDate": aws.updated}}));
    }
    let versions = own_policy_versions(call, policy_arn).await?;
    let v = versions.iter().find(|v| v.version_id == version_id).ok_or_else(missing)?;
    Ok(json!({"PolicyVersion": version_json(v, true)}))
}

pub(super) async fn list_policy_versions(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    call.authorize(Authorization::new("iam:ListPolicyVersions", policy_arn)).await?;
    if let Some(aws) = managed::get(policy_arn, call.partition()) {
        let item = json!({"VersionId": aws.version_id, "IsDefaultVersion": true, "CreateDate": aws.updated});
        return Ok(paginate(input, vec![item], "Versions"));
    }
    let versions = own_policy_versions(call, policy_arn).await?;
    Ok(paginate(input, versions.iter().map(|v| version_json(v, false)).collect(), "Versions"))
}

/// The versions of a customer managed policy of the caller's account (none for another's).
pub(super) async fn own_policy_versions(
    call: &Call<'_>,
    policy_arn: &str,
) -> Result<Vec<monban_store::PolicyVersion>, ApiError> {
    if policy_account(policy_arn) != Some(call.account()) {
        return Ok(Vec::new());
    }
    Ok(call.state.store.policy_versions(policy_arn).await?)
}

pub(super) async fn delete_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:DeletePolicyVersion", policy_arn).await?;
    call.state.store.delete_policy_version(policy_arn, text(input, "VersionId")).await?;
    Ok(json!({}))
}

pub(super) async fn set_default_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:SetDefaultPolicyVersion", policy_arn).await?;
    call.state.store.set_default_policy_version(policy_arn, text(input, "VersionId"), &call.now()).await?;
    Ok(json!({}))
}

pub(super) async fn list_entities_for_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    call.authorize(Authorization::new("iam:ListEntitiesForPolicy", policy_arn)).await?;
    if !policy_exists(call, policy_arn).await? {
        return Err(ApiError::no_such_entity(format!("Policy {policy_arn} was not found.")));
    }
    let filter = optional(input, "EntityFilter");
    let entities = call.state.store.entities_for_policy(call.account(), policy_arn).await?;
    let mut out = json!({"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], "IsTruncated": false});
    for (kind, name) in entities {
        let wanted = filter.is_none_or(|f| f == kind.title() || f == "LocalManagedPolicy" || f == "AWSManagedPolicy");
        if !wanted {
            continue;
        }
        let p = call.state.store.require_principal(call.account(), kind, &name).await?;
        let (list, name_key, id_key) = match kind {
            User => ("PolicyUsers", "UserName", "UserId"),
            Group => ("PolicyGroups", "GroupName", "GroupId"),
            Role => ("PolicyRoles", "RoleName", "RoleId"),
        };
        if let Some(items) = out[list].as_array_mut() {
            items.push(json!({ name_key: p.name, id_key: p.id }));
        }
    }
    Ok(out)
}

/// ListPoliciesGrantingServiceAccess: the identity policies of a user (with its groups'), group or
/// role that allow at least one action of each service, whatever their resources and conditions
/// (IAM API Reference: "It only applies permissions policy logic"; boundaries, resource policies
/// and SCPs are not consulted).
pub(super) async fn policies_granting_service_access(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let entity = text(input, "Arn");
    call.authorize(Authorization::new("iam:ListPoliciesGrantingServiceAccess", entity)).await?;
    let invalid =
        || ApiError::invalid_input(format!("ARN {entity} is not valid: it names no IAM user, group or role."));
    let (kind, name, found) = principal_at(call, entity).await?.ok_or_else(invalid)?;
    let principal = found.ok_or_else(|| not_found(kind, &name))?;
    let mut owners = vec![monban_store::Principal::clone(&principal)];
    if kind == User {
        owners.extend(call.state.store.groups_for_user(call.account(), &principal.name).await?);
    }
    // (policy name, ARN for managed policies, owner, compiled policy)
    let mut policies = Vec::new();
    for owner in &owners {
        for (policy_name, document) in call.state.store.inline_policies(call.account(), owner.kind, &owner.name).await?
        {
            let compiled = call.state.policies.compile(&policy_name, &document)?;
            policies.push((policy_name, None, owner, compiled));
        }
        for arn in call.state.store.attached_policies(call.account(), owner.kind, &owner.name).await? {
            if let Some(compiled) = crate::auth::managed_policy(call.state, &arn).await? {
                policies.push((policy_name_of(&arn).to_string(), Some(arn.clone()), owner, compiled));
            }
        }
    }
    let catalog = monban_catalog::Catalog::embedded().map_err(|e| ApiError::internal(e.to_string()))?;
    let mut entries = Vec::new();
    for namespace in input.get("ServiceNamespaces").and_then(Value::as_array).into_iter().flatten() {
        let namespace = namespace.as_str().unwrap_or_default();
        let actions: Vec<String> = catalog
            .service(namespace)
            .map(|s| s.actions().map(|a| format!("{namespace}:{}", a.name()).to_lowercase()).collect())
            .unwrap_or_default();
        let granting = policies.iter().filter(|(_, _, _, policy)| {
            policy
                .statements
                .iter()
                .any(|s| s.effect == monban_policy::Effect::Allow && actions.iter().any(|a| s.matches_action(a)))
        });
        let listed: Vec<Value> = granting
            .map(|(policy_name, arn, owner, _)| {
                let mut item = json!({"PolicyName": policy_name,
                    "PolicyType": if arn.is_some() { "MANAGED" } else { "INLINE" }});
                match arn {
                    Some(arn) => item["PolicyArn"] = json!(arn),
                    None => {
                        item["EntityType"] = json!(owner.kind.as_str().to_uppercase());
                        item["EntityName"] = json!(owner.name);
                    }
                }
                item
            })
            .collect();
        entries.push(json!({"ServiceNamespace": namespace, "Policies": listed}));
    }
    Ok(json!({"PoliciesGrantingServiceAccess": entries, "IsTruncated": false}))
}
