//! IAM operations. Inputs arrive decoded and validated by the model ([`crate::model`]); each
//! handler authorizes the exact action and resource AWS would, then writes through the store.
//! Users, groups and roles share most operations, so those handlers take the principal kind.
//!
//! AWS: "AWS Identity and Access Management API Reference" and "IAM and AWS STS quotas".

use monban_policy::Policy;
use monban_store::{ManagedPolicy, Owner, Principal, PrincipalKind, Tag};
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::identity::{Authorization, Identity};
use crate::operation::{Handler, IamOperation};
use crate::{managed, mfa, util, Call};
use monban_policy::arn::Arn;
use monban_policy::input::percent_encode;

use PrincipalKind::{Group, Role, User};

/// A required string member (the model has already rejected requests without it).
pub(crate) fn text<'a>(input: &'a Value, key: &str) -> &'a str {
    input.get(key).and_then(Value::as_str).unwrap_or_default()
}

pub(crate) fn optional<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

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

fn tag_keys(input: &Value) -> Vec<String> {
    input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|k| k.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect())
}

fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// Which policy grammar a document must follow.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DocumentKind {
    /// Identity-based (inline or managed): no `Principal`.
    Identity,
    /// A role trust policy: `Principal` required.
    Trust,
}

/// Checks a policy document with the engine's parser and AWS's per-kind rules; returns the
/// compiled policy. AWS: "IAM JSON policy element reference", "IAM and AWS STS quotas".
fn validate_document(document: &str, kind: DocumentKind) -> Result<Policy, ApiError> {
    let policy =
        Policy::parse(document).map_err(|e| ApiError::malformed_policy(format!("Syntax errors in policy. {e}")))?;
    let mut sids: Vec<&str> = policy.statements.iter().filter_map(|s| s.sid.as_deref()).collect();
    if sids.iter().any(|sid| !sid.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err(ApiError::malformed_policy(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression \
             [0-9A-Za-z]*",
        ));
    }
    sids.sort_unstable();
    if sids.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(ApiError::malformed_policy("Statement IDs (SID) in a single policy must be unique."));
    }
    let resources = policy.statements.iter().filter_map(|s| s.resource.as_ref()).flat_map(|r| r.written.iter());
    for resource in resources {
        check_resource(resource)?;
    }
    for s in &policy.statements {
        match kind {
            DocumentKind::Identity if s.principal.is_some() => {
                return Err(ApiError::malformed_policy("Policy document should not specify a principal."));
            }
            DocumentKind::Identity if s.resource.is_none() => {
                return Err(ApiError::malformed_policy("Policy statement must contain resources."));
            }
            DocumentKind::Trust if s.principal.is_none() => {
                return Err(ApiError::malformed_policy("Missing required field Principal"));
            }
            DocumentKind::Trust if s.resource.is_some() => {
                return Err(ApiError::malformed_policy("Has prohibited field Resource"));
            }
            _ => {}
        }
    }
    Ok(policy)
}

/// A `Resource` or `NotResource` value is `*` or an ARN with all six parts (IAM JSON policy
/// element reference, "Resource": "you specify a resource using its ARN").
fn check_resource(resource: &str) -> Result<(), ApiError> {
    if resource == "*" {
        return Ok(());
    }
    if !resource.starts_with("arn:") {
        return Err(ApiError::malformed_policy(format!("Resource {resource} must be in ARN format or \"*\".")));
    }
    if Arn::parse(resource).is_none() {
        return Err(ApiError::malformed_policy("Resource vendor must be fully qualified and cannot contain regexes."));
    }
    Ok(())
}

/// The account of a managed policy ARN (`aws` for AWS managed policies), if it is one.
pub(crate) fn policy_account(policy_arn: &str) -> Option<&str> {
    let arn = Arn::parse(policy_arn)?;
    (arn.service() == "iam" && arn.region().is_empty() && arn.resource_type() == "policy").then(|| arn.account())
}

/// AWS counts policy size without white space.
fn check_size(document: &str, limit: usize, what: &str) -> Result<(), ApiError> {
    let size = document.chars().filter(|c| !c.is_whitespace()).count();
    if size > limit {
        return Err(ApiError::limit_exceeded(format!("Maximum policy size of {limit} bytes exceeded for {what}")));
    }
    Ok(())
}

/// Lists with `Marker`/`MaxItems`/`IsTruncated`: the marker is the index of the next item.
pub(crate) fn paginate(input: &Value, items: Vec<Value>, list: &str) -> Value {
    let start = optional(input, "Marker").and_then(|m| m.parse::<usize>().ok()).unwrap_or(0);
    let max = input.get("MaxItems").and_then(Value::as_i64).unwrap_or(100).clamp(1, 1000) as usize;
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(max).collect();
    let next = start + page.len();
    let mut out = Map::new();
    out.insert(list.into(), Value::Array(page));
    out.insert("IsTruncated".into(), Value::Bool(next < total));
    if next < total {
        out.insert("Marker".into(), Value::String(next.to_string()));
    }
    Value::Object(out)
}

pub(crate) fn principal_json(p: &Principal, tags: Option<&[Tag]>) -> Value {
    let name_key = match p.kind {
        User => "UserName",
        Group => "GroupName",
        Role => "RoleName",
    };
    let id_key = match p.kind {
        User => "UserId",
        Group => "GroupId",
        Role => "RoleId",
    };
    let mut v = json!({"Path": p.path, name_key: p.name, id_key: p.id, "Arn": p.arn, "CreateDate": p.created});
    if p.kind == Role {
        if let Some(trust) = &p.trust_policy {
            v["AssumeRolePolicyDocument"] = Value::String(trust.clone());
        }
        if let Some(d) = &p.description {
            v["Description"] = Value::String(d.clone());
        }
        v["MaxSessionDuration"] = json!(p.max_session_duration.unwrap_or(3600));
    }
    if let Some(b) = &p.permissions_boundary {
        v["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
    }
    if let Some(tags) = tags.filter(|t| !t.is_empty()) {
        v["Tags"] = tags_json(tags);
    }
    v
}

fn member_names(kind: PrincipalKind) -> (&'static str, &'static str) {
    match kind {
        User => ("UserName", "user"),
        Group => ("GroupName", "group"),
        Role => ("RoleName", "role"),
    }
}

/// The ARN an operation on a named principal is authorized against: the stored ARN (with its
/// path) when the principal exists, else the ARN the name would have at path `/`.
async fn target(call: &Call<'_>, kind: PrincipalKind, name: &str) -> Result<(Option<Principal>, String), ApiError> {
    let existing = call.state.store.principal(call.account(), kind, name).await?;
    let target = existing.as_ref().map_or_else(|| arn(call.account(), kind.as_str(), "/", name), |p| p.arn.clone());
    Ok((existing, target))
}

/// Whether the Service Authorization Reference lists `key` for `action`: AWS puts a condition key
/// into the request context only for the actions that support it.
fn supports_key(action: &str, key: &str) -> bool {
    monban_catalog::Catalog::embedded()
        .ok()
        .and_then(|c| c.find_action(action))
        .is_some_and(|a| a.condition_keys().any(|k| k.name().eq_ignore_ascii_case(key)))
}

/// Authorizes `action` on a named user, group or role with the context AWS adds for an existing
/// target: its tags as `aws:ResourceTag/*` and, where the action supports the key, its permissions
/// boundary as `iam:PermissionsBoundary` (what lets a policy allow `iam:PutRolePolicy` only on roles
/// that carry a given boundary). Returns the principal, if it exists.
pub(crate) async fn on_principal(
    call: &Call<'_>,
    kind: PrincipalKind,
    name: &str,
    action: &str,
    extra: impl for<'x> FnOnce(Authorization<'x>) -> Authorization<'x>,
) -> Result<Option<Principal>, ApiError> {
    let (existing, target) = target(call, kind, name).await?;
    let mut authz = extra(Authorization::new(action, &target));
    if let Some(p) = &existing {
        let tags = call.state.store.tags(call.account(), Owner::Principal(kind), &p.name).await?;
        authz = authz.with_resource_tags(&tags);
        let already = authz.context.iter().any(|(k, _)| k.eq_ignore_ascii_case("iam:PermissionsBoundary"));
        if let Some(boundary) = p.permissions_boundary.as_deref().filter(|_| !already) {
            if supports_key(action, "iam:PermissionsBoundary") {
                authz = authz.with("iam:PermissionsBoundary", boundary);
            }
        }
    }
    call.authorize(authz).await?;
    Ok(existing)
}

pub(crate) fn not_found(kind: PrincipalKind, name: &str) -> ApiError {
    ApiError::no_such_entity(format!("The {} with name {name} cannot be found.", kind.as_str()))
}

/// The `UserName` parameter, or the calling user's name when it is left out, as the operations on
/// a user's own credentials allow.
pub(crate) fn user_name_or_caller(call: &Call<'_>, input: &Value) -> Result<String, ApiError> {
    match (optional(input, "UserName"), call.identity()) {
        (Some(n), _) => Ok(n.to_string()),
        (None, Identity::User { user, .. }) => Ok(user.name.clone()),
        _ => Err(ApiError::validation("Must specify userName when calling with non-User credentials")),
    }
}

/// The handler of each IAM operation, or `None` for the operations monban does not implement
/// (answered NotImplemented and listed in docs/compatibility.md). The match names every operation
/// of the model, so a new one cannot be missed.
pub(crate) fn handler(op: IamOperation) -> Option<Handler<IamOperation>> {
    use IamOperation as Op;
    let handler: Handler<IamOperation> = match op {
        Op::AddRoleToInstanceProfile => |op, c, i| Box::pin(instance_profile_role(c, op, i)),
        Op::AddUserToGroup => |op, c, i| Box::pin(group_membership(c, op, i)),
        Op::AttachGroupPolicy => |op, c, i| Box::pin(attach(c, op, Group, i, true)),
        Op::AttachRolePolicy => |op, c, i| Box::pin(attach(c, op, Role, i, true)),
        Op::AttachUserPolicy => |op, c, i| Box::pin(attach(c, op, User, i, true)),
        Op::CreateAccessKey => |_, c, i| Box::pin(create_access_key(c, i)),
        Op::CreateAccountAlias => |op, c, i| Box::pin(account_alias(c, op, i)),
        Op::CreateGroup => |op, c, i| Box::pin(create_principal(c, op, Group, i)),
        Op::CreateInstanceProfile => |_, c, i| Box::pin(create_instance_profile(c, i)),
        Op::CreateLoginProfile => |op, c, i| Box::pin(login_profile(c, op, i)),
        Op::CreatePolicy => |_, c, i| Box::pin(create_policy(c, i)),
        Op::CreatePolicyVersion => |_, c, i| Box::pin(create_policy_version(c, i)),
        Op::CreateRole => |op, c, i| Box::pin(create_principal(c, op, Role, i)),
        Op::CreateUser => |op, c, i| Box::pin(create_principal(c, op, User, i)),
        Op::CreateVirtualMFADevice => |_, c, i| Box::pin(mfa::create(c, i)),
        Op::DeactivateMFADevice => |_, c, i| Box::pin(mfa::deactivate(c, i)),
        Op::DeleteAccessKey => |_, c, i| Box::pin(delete_access_key(c, i)),
        Op::DeleteAccountAlias => |op, c, i| Box::pin(account_alias(c, op, i)),
        Op::DeleteGroup => |op, c, i| Box::pin(delete_principal(c, op, Group, i)),
        Op::DeleteGroupPolicy => |op, c, i| Box::pin(delete_inline(c, op, Group, i)),
        Op::DeleteInstanceProfile => |_, c, i| Box::pin(delete_instance_profile(c, i)),
        Op::DeleteLoginProfile => |op, c, i| Box::pin(login_profile(c, op, i)),
        Op::DeletePolicy => |_, c, i| Box::pin(delete_policy(c, i)),
        Op::DeletePolicyVersion => |_, c, i| Box::pin(delete_policy_version(c, i)),
        Op::DeleteRole => |op, c, i| Box::pin(delete_principal(c, op, Role, i)),
        Op::DeleteRolePermissionsBoundary => |op, c, i| Box::pin(boundary(c, op, Role, i, false)),
        Op::DeleteRolePolicy => |op, c, i| Box::pin(delete_inline(c, op, Role, i)),
        Op::DeleteUser => |op, c, i| Box::pin(delete_principal(c, op, User, i)),
        Op::DeleteUserPermissionsBoundary => |op, c, i| Box::pin(boundary(c, op, User, i, false)),
        Op::DeleteUserPolicy => |op, c, i| Box::pin(delete_inline(c, op, User, i)),
        Op::DeleteVirtualMFADevice => |_, c, i| Box::pin(mfa::delete(c, i)),
        Op::DetachGroupPolicy => |op, c, i| Box::pin(attach(c, op, Group, i, false)),
        Op::DetachRolePolicy => |op, c, i| Box::pin(attach(c, op, Role, i, false)),
        Op::DetachUserPolicy => |op, c, i| Box::pin(attach(c, op, User, i, false)),
        Op::EnableMFADevice => |_, c, i| Box::pin(mfa::enable(c, i)),
        Op::GetAccessKeyLastUsed => |_, c, i| Box::pin(access_key_last_used(c, i)),
        Op::GetAccountAuthorizationDetails => |_, c, i| Box::pin(authorization_details(c, i)),
        Op::GetAccountSummary => |_, c, _| Box::pin(account_summary(c)),
        Op::GetGroup => |_, c, i| Box::pin(get_group(c, i)),
        Op::GetGroupPolicy => |op, c, i| Box::pin(get_inline(c, op, Group, i)),
        Op::GetInstanceProfile => |_, c, i| Box::pin(get_instance_profile(c, i)),
        Op::GetLoginProfile => |op, c, i| Box::pin(login_profile(c, op, i)),
        Op::GetPolicy => |_, c, i| Box::pin(get_policy(c, i)),
        Op::GetPolicyVersion => |_, c, i| Box::pin(get_policy_version(c, i)),
        Op::GetRole => |op, c, i| Box::pin(get_principal(c, op, Role, i)),
        Op::GetRolePolicy => |op, c, i| Box::pin(get_inline(c, op, Role, i)),
        Op::GetUser => |_, c, i| Box::pin(get_user(c, i)),
        Op::GetUserPolicy => |op, c, i| Box::pin(get_inline(c, op, User, i)),
        Op::ListAccessKeys => |_, c, i| Box::pin(list_access_keys(c, i)),
        Op::ListAccountAliases => |_, c, i| Box::pin(list_account_aliases(c, i)),
        Op::ListAttachedGroupPolicies => |op, c, i| Box::pin(list_attached(c, op, Group, i)),
        Op::ListAttachedRolePolicies => |op, c, i| Box::pin(list_attached(c, op, Role, i)),
        Op::ListAttachedUserPolicies => |op, c, i| Box::pin(list_attached(c, op, User, i)),
        Op::ListEntitiesForPolicy => |_, c, i| Box::pin(list_entities_for_policy(c, i)),
        Op::ListGroupPolicies => |op, c, i| Box::pin(list_inline(c, op, Group, i)),
        Op::ListGroups => |op, c, i| Box::pin(list_principals(c, op, Group, i)),
        Op::ListGroupsForUser => |_, c, i| Box::pin(list_groups_for_user(c, i)),
        Op::ListInstanceProfiles => |op, c, i| Box::pin(list_instance_profiles(c, op, i)),
        Op::ListInstanceProfilesForRole => |op, c, i| Box::pin(list_instance_profiles(c, op, i)),
        Op::ListMFADevices => |_, c, i| Box::pin(mfa::list_for_user(c, i)),
        Op::ListPolicies => |_, c, i| Box::pin(list_policies(c, i)),
        Op::ListPolicyTags => |op, c, i| Box::pin(list_tags(c, op, Owner::Policy, i)),
        Op::ListPolicyVersions => |_, c, i| Box::pin(list_policy_versions(c, i)),
        Op::ListRolePolicies => |op, c, i| Box::pin(list_inline(c, op, Role, i)),
        Op::ListRoleTags => |op, c, i| Box::pin(list_tags(c, op, Owner::Principal(Role), i)),
        Op::ListRoles => |op, c, i| Box::pin(list_principals(c, op, Role, i)),
        Op::ListUserPolicies => |op, c, i| Box::pin(list_inline(c, op, User, i)),
        Op::ListUserTags => |op, c, i| Box::pin(list_tags(c, op, Owner::Principal(User), i)),
        Op::ListUsers => |op, c, i| Box::pin(list_principals(c, op, User, i)),
        Op::ListVirtualMFADevices => |_, c, i| Box::pin(mfa::list_virtual(c, i)),
        Op::PutGroupPolicy => |op, c, i| Box::pin(put_inline(c, op, Group, i)),
        Op::PutRolePermissionsBoundary => |op, c, i| Box::pin(boundary(c, op, Role, i, true)),
        Op::PutRolePolicy => |op, c, i| Box::pin(put_inline(c, op, Role, i)),
        Op::PutUserPermissionsBoundary => |op, c, i| Box::pin(boundary(c, op, User, i, true)),
        Op::PutUserPolicy => |op, c, i| Box::pin(put_inline(c, op, User, i)),
        Op::RemoveRoleFromInstanceProfile => |op, c, i| Box::pin(instance_profile_role(c, op, i)),
        Op::RemoveUserFromGroup => |op, c, i| Box::pin(group_membership(c, op, i)),
        Op::SetDefaultPolicyVersion => |_, c, i| Box::pin(set_default_policy_version(c, i)),
        Op::TagPolicy => |op, c, i| Box::pin(tag(c, op, Owner::Policy, i)),
        Op::TagRole => |op, c, i| Box::pin(tag(c, op, Owner::Principal(Role), i)),
        Op::TagUser => |op, c, i| Box::pin(tag(c, op, Owner::Principal(User), i)),
        Op::UntagPolicy => |op, c, i| Box::pin(untag(c, op, Owner::Policy, i)),
        Op::UntagRole => |op, c, i| Box::pin(untag(c, op, Owner::Principal(Role), i)),
        Op::UntagUser => |op, c, i| Box::pin(untag(c, op, Owner::Principal(User), i)),
        Op::UpdateAccessKey => |_, c, i| Box::pin(update_access_key(c, i)),
        Op::UpdateAssumeRolePolicy => |_, c, i| Box::pin(update_assume_role_policy(c, i)),
        Op::UpdateGroup => |op, c, i| Box::pin(rename_principal(c, op, Group, i)),
        Op::UpdateLoginProfile => |op, c, i| Box::pin(login_profile(c, op, i)),
        Op::UpdateRole => |_, c, i| Box::pin(update_role(c, i)),
        Op::UpdateUser => |op, c, i| Box::pin(rename_principal(c, op, User, i)),
        Op::AcceptDelegationRequest
        | Op::AcquireRole
        | Op::AddClientIDToOpenIDConnectProvider
        | Op::AssociateDelegationRequest
        | Op::ChangePassword
        | Op::CreateDelegationRequest
        | Op::CreateOpenIDConnectProvider
        | Op::CreateSAMLProvider
        | Op::CreateServiceLinkedRole
        | Op::CreateServiceSpecificCredential
        | Op::DeleteAccountPasswordPolicy
        | Op::DeleteOpenIDConnectProvider
        | Op::DeleteSAMLProvider
        | Op::DeleteSSHPublicKey
        | Op::DeleteServerCertificate
        | Op::DeleteServiceLinkedRole
        | Op::DeleteServiceSpecificCredential
        | Op::DeleteSigningCertificate
        | Op::DisableOrganizationsRootCredentialsManagement
        | Op::DisableOrganizationsRootSessions
        | Op::DisableOutboundWebIdentityFederation
        | Op::EnableOrganizationsRootCredentialsManagement
        | Op::EnableOrganizationsRootSessions
        | Op::EnableOutboundWebIdentityFederation
        | Op::GenerateCredentialReport
        | Op::GenerateOrganizationsAccessReport
        | Op::GenerateServiceLastAccessedDetails
        | Op::GetAccountPasswordPolicy
        | Op::GetAccountProperties
        | Op::GetContextKeysForCustomPolicy
        | Op::GetContextKeysForPrincipalPolicy
        | Op::GetCredentialReport
        | Op::GetDelegationRequest
        | Op::GetHumanReadableSummary
        | Op::GetMFADevice
        | Op::GetOpenIDConnectProvider
        | Op::GetOrganizationsAccessReport
        | Op::GetOutboundWebIdentityFederationInfo
        | Op::GetRoleTemplateVersion
        | Op::GetSAMLProvider
        | Op::GetSSHPublicKey
        | Op::GetServerCertificate
        | Op::GetServiceLastAccessedDetails
        | Op::GetServiceLastAccessedDetailsWithEntities
        | Op::GetServiceLinkedRoleDeletionStatus
        | Op::ListDelegationRequests
        | Op::ListInstanceProfileTags
        | Op::ListMFADeviceTags
        | Op::ListOpenIDConnectProviderTags
        | Op::ListOpenIDConnectProviders
        | Op::ListOrganizationsFeatures
        | Op::ListPoliciesGrantingServiceAccess
        | Op::ListSAMLProviderTags
        | Op::ListSAMLProviders
        | Op::ListSSHPublicKeys
        | Op::ListServerCertificateTags
        | Op::ListServerCertificates
        | Op::ListServiceSpecificCredentials
        | Op::ListSigningCertificates
        | Op::PutAccountProperties
        | Op::RejectDelegationRequest
        | Op::RemoveClientIDFromOpenIDConnectProvider
        | Op::ResetServiceSpecificCredential
        | Op::ResyncMFADevice
        | Op::SendDelegationToken
        | Op::SetSecurityTokenServicePreferences
        | Op::SimulateCustomPolicy
        | Op::SimulatePrincipalPolicy
        | Op::TagInstanceProfile
        | Op::TagMFADevice
        | Op::TagOpenIDConnectProvider
        | Op::TagSAMLProvider
        | Op::TagServerCertificate
        | Op::UntagInstanceProfile
        | Op::UntagMFADevice
        | Op::UntagOpenIDConnectProvider
        | Op::UntagSAMLProvider
        | Op::UntagServerCertificate
        | Op::UpdateAccountPasswordPolicy
        | Op::UpdateDelegationRequest
        | Op::UpdateOpenIDConnectProviderThumbprint
        | Op::UpdateRoleDescription
        | Op::UpdateSAMLProvider
        | Op::UpdateSSHPublicKey
        | Op::UpdateServerCertificate
        | Op::UpdateServiceSpecificCredential
        | Op::UpdateSigningCertificate
        | Op::UploadSSHPublicKey
        | Op::UploadServerCertificate
        | Op::UploadSigningCertificate => return None,
    };
    Some(handler)
}

async fn require_boundary_policy(call: &Call<'_>, boundary: &str) -> Result<(), ApiError> {
    if !policy_exists(call, boundary).await? {
        return Err(ApiError::no_such_entity(format!("Scope ARN: {boundary} does not exist or is not attachable.")));
    }
    Ok(())
}

async fn create_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, kind_name) = member_names(kind);
    let name = text(input, name_key);
    let path = optional(input, "Path").unwrap_or("/");
    let account = call.account();
    let principal_arn = arn(account, kind_name, path, name);
    let tags = tags(input);
    check_tags(&tags)?;
    let boundary = optional(input, "PermissionsBoundary");
    let mut authz = Authorization::new(op.action(), &principal_arn).with_request_tags(&tags);
    if let Some(b) = boundary {
        authz = authz.with("iam:PermissionsBoundary", b);
    }
    call.authorize(authz).await?;
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
        check_size(trust, 2048, &format!("role {name}"))?;
        let policy = validate_document(trust, DocumentKind::Trust)?;
        p.trust_principal_ids = crate::references::record(call.state, &policy).await?;
        p.trust_policy = Some(trust.to_string());
        p.description = optional(input, "Description").map(String::from);
        p.max_session_duration = Some(input.get("MaxSessionDuration").and_then(Value::as_i64).unwrap_or(3600));
    }
    call.state.store.create_principal_with_tags(account, &p, &tags).await?;
    Ok(json!({ kind.title(): principal_json(&p, Some(&tags)) }))
}

async fn get_user(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = match (optional(input, "UserName"), call.identity()) {
        (Some(name), _) => name.to_string(),
        (None, Identity::User { user, .. }) => user.name.clone(),
        (None, Identity::Root { account, .. }) => {
            // GetUser without a name, called by root, describes the root user.
            return Ok(json!({"User": {"Path": "/", "UserName": account, "UserId": account,
                "Arn": format!("arn:aws:iam::{account}:root"), "CreateDate": call.now()}}));
        }
        (None, Identity::Session { .. }) => {
            return Err(ApiError::validation("Must specify userName when calling with non-User credentials"));
        }
    };
    get_principal(call, IamOperation::GetUser, User, &json!({"UserName": name})).await
}

async fn get_principal(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let name = text(input, name_key);
    let existing = on_principal(call, kind, name, op.action(), |a| a).await?;
    let p = current_trust(call, existing.ok_or_else(|| not_found(kind, name))?).await?;
    let tags = call.state.store.tags(call.account(), Owner::Principal(kind), name).await?;
    Ok(json!({ kind.title(): principal_json(&p, Some(&tags)) }))
}

async fn get_group(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "GroupName");
    let existing = on_principal(call, Group, name, "iam:GetGroup", |a| a).await?;
    let group = existing.ok_or_else(|| not_found(Group, name))?;
    let users = call.state.store.users_in_group(call.account(), name).await?;
    let mut out = paginate(input, users.iter().map(|u| principal_json(u, None)).collect(), "Users");
    out["Group"] = principal_json(&group, None);
    Ok(out)
}

async fn list_principals(
    call: &Call<'_>,
    op: IamOperation,
    kind: PrincipalKind,
    input: &Value,
) -> Result<Value, ApiError> {
    call.authorize(Authorization::new(op.action(), "*")).await?;
    let prefix = optional(input, "PathPrefix").unwrap_or("/");
    let mut items = Vec::new();
    for p in call.state.store.list_principals(call.account(), kind, prefix).await? {
        items.push(principal_json(&current_trust(call, p).await?, None));
    }
    let list = match kind {
        User => "Users",
        Group => "Groups",
        Role => "Roles",
    };
    Ok(paginate(input, items, list))
}

/// A role with its trust policy as it applies now (see [`crate::references`]).
async fn current_trust(call: &Call<'_>, mut p: Principal) -> Result<Principal, ApiError> {
    if let Some(trust) = &p.trust_policy {
        p.trust_policy = Some(crate::references::resolve(call.state, trust, p.trust_principal_ids.as_deref()).await?);
    }
    Ok(p)
}

async fn delete_principal(
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

async fn existing_role(call: &Call<'_>, action: &str, name: &str) -> Result<Principal, ApiError> {
    let existing = on_principal(call, Role, name, action, |a| a).await?;
    existing.ok_or_else(|| not_found(Role, name))
}

async fn update_assume_role_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "RoleName");
    let mut role = existing_role(call, "iam:UpdateAssumeRolePolicy", name).await?;
    let document = text(input, "PolicyDocument");
    check_size(document, 2048, &format!("role {name}"))?;
    let policy = validate_document(document, DocumentKind::Trust)?;
    role.trust_principal_ids = crate::references::record(call.state, &policy).await?;
    role.trust_policy = Some(document.to_string());
    call.state.store.update_principal(call.account(), &role).await?;
    Ok(json!({}))
}

async fn update_role(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let mut role = existing_role(call, "iam:UpdateRole", text(input, "RoleName")).await?;
    if let Some(d) = optional(input, "Description") {
        role.description = Some(d.to_string());
    }
    if let Some(m) = input.get("MaxSessionDuration").and_then(Value::as_i64) {
        role.max_session_duration = Some(m);
    }
    call.state.store.update_principal(call.account(), &role).await?;
    Ok(json!({}))
}

/// UpdateUser and UpdateGroup: a new name and/or path, with everything attached to the principal.
async fn rename_principal(
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
    let new_arn = arn(call.account(), kind_name, new_path, new_name);
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

async fn group_membership(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    let (group, user) = (text(input, "GroupName"), text(input, "UserName"));
    let _ = on_principal(call, Group, group, op.action(), |a| a).await?;
    if op == IamOperation::AddUserToGroup {
        call.state.store.add_user_to_group(call.account(), group, user).await?;
    } else {
        call.state.store.remove_user_from_group(call.account(), group, user).await?;
    }
    Ok(json!({}))
}

async fn list_groups_for_user(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "UserName");
    let existing = on_principal(call, User, name, "iam:ListGroupsForUser", |a| a).await?;
    existing.ok_or_else(|| not_found(User, name))?;
    let groups = call.state.store.groups_for_user(call.account(), name).await?;
    Ok(paginate(input, groups.iter().map(|g| principal_json(g, None)).collect(), "Groups"))
}

/// AWS's inline policy size quotas by owner kind ("IAM and AWS STS quotas").
fn inline_quota(kind: PrincipalKind) -> usize {
    match kind {
        User => 2048,
        Group => 5120,
        Role => 10240,
    }
}

async fn put_inline(call: &Call<'_>, op: IamOperation, kind: PrincipalKind, input: &Value) -> Result<Value, ApiError> {
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
    if others + size > inline_quota(kind) {
        return Err(ApiError::limit_exceeded(format!(
            "Maximum policy size of {} bytes exceeded for {kind_name} {owner}",
            inline_quota(kind)
        )));
    }
    validate_document(document, DocumentKind::Identity)?;
    call.state.store.put_inline_policy(account, kind, owner, policy_name, document).await?;
    Ok(json!({}))
}

async fn get_inline(call: &Call<'_>, op: IamOperation, kind: PrincipalKind, input: &Value) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let _ = on_principal(call, kind, owner, op.action(), |a| a).await?;
    let policy_name = text(input, "PolicyName");
    let document = call.state.store.inline_policy(call.account(), kind, owner, policy_name).await?;
    // The IAM API returns policy documents URL-encoded (RFC 3986).
    Ok(json!({ name_key: owner, "PolicyName": policy_name, "PolicyDocument": percent_encode(&document) }))
}

async fn delete_inline(
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

async fn list_inline(call: &Call<'_>, op: IamOperation, kind: PrincipalKind, input: &Value) -> Result<Value, ApiError> {
    let (name_key, _) = member_names(kind);
    let owner = text(input, name_key);
    let existing = on_principal(call, kind, owner, op.action(), |a| a).await?;
    existing.ok_or_else(|| not_found(kind, owner))?;
    let names = call.state.store.inline_policies(call.account(), kind, owner).await?;
    Ok(paginate(input, names.into_iter().map(|(n, _)| Value::String(n)).collect(), "PolicyNames"))
}

/// Whether a managed policy ARN names something attachable: an AWS managed policy or a customer
/// managed policy of this account.
async fn policy_exists(call: &Call<'_>, policy_arn: &str) -> Result<bool, ApiError> {
    Ok(managed::all().contains_key(policy_arn)
        || (policy_account(policy_arn) == Some(call.account())
            && call.state.store.managed_policy(policy_arn).await?.is_some()))
}

async fn attach(
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
fn check_policy_arn(policy_arn: &str) -> Result<(), ApiError> {
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

fn policy_name_of(policy_arn: &str) -> &str {
    Arn::parse(policy_arn).map_or(policy_arn, |a| a.resource_name())
}

async fn list_attached(
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

async fn boundary(
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
    let mut p = existing.ok_or_else(|| not_found(kind, owner))?;
    if let Some(b) = boundary_arn {
        require_boundary_policy(call, b).await?;
    }
    p.permissions_boundary = boundary_arn.map(String::from);
    call.state.store.update_principal(call.account(), &p).await?;
    Ok(json!({}))
}

fn managed_json(p: &ManagedPolicy, boundary_usage: i64, tags: Option<&[Tag]>) -> Value {
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

async fn aws_policy_json(call: &Call<'_>, p: &managed::AwsPolicy) -> Result<Value, ApiError> {
    let count = call.state.store.attachment_count(call.account(), &p.arn).await?;
    let boundary_usage = call.state.store.boundary_usage_count(call.account(), &p.arn).await?;
    Ok(json!({
        "PolicyName": p.name, "PolicyId": p.id, "Arn": p.arn, "Path": p.path,
        "DefaultVersionId": p.version_id, "AttachmentCount": count, "PermissionsBoundaryUsageCount": boundary_usage,
        "IsAttachable": true, "CreateDate": p.updated, "UpdateDate": p.updated,
    }))
}

async fn create_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "PolicyName");
    let path = optional(input, "Path").unwrap_or("/");
    let policy_arn = arn(call.account(), "policy", path, name);
    let tags = tags(input);
    check_tags(&tags)?;
    call.authorize(Authorization::new("iam:CreatePolicy", &policy_arn).with_request_tags(&tags)).await?;
    let document = text(input, "PolicyDocument");
    check_size(document, 6144, &format!("policy {policy_arn}"))?;
    validate_document(document, DocumentKind::Identity)?;
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
async fn customer_policy(call: &Call<'_>, action: &str, policy_arn: &str) -> Result<ManagedPolicy, ApiError> {
    let tags = call.state.store.tags(call.account(), Owner::Policy, policy_arn).await?;
    call.authorize(Authorization::new(action, policy_arn).with_resource_tags(&tags)).await?;
    let policy = match policy_account(policy_arn) == Some(call.account()) {
        true => call.state.store.managed_policy(policy_arn).await?,
        // Another account's policy is not this caller's to see or change.
        false => None,
    };
    policy.ok_or_else(|| ApiError::no_such_entity(format!("Policy {policy_arn} does not exist or is not attachable.")))
}

async fn get_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    if let Some(aws) = managed::all().get(policy_arn) {
        call.authorize(Authorization::new("iam:GetPolicy", policy_arn)).await?;
        return Ok(json!({"Policy": aws_policy_json(call, aws).await?}));
    }
    let policy = customer_policy(call, "iam:GetPolicy", policy_arn).await?;
    let tags = call.state.store.tags(call.account(), Owner::Policy, policy_arn).await?;
    let usage = call.state.store.boundary_usage_count(call.account(), policy_arn).await?;
    Ok(json!({"Policy": managed_json(&policy, usage, Some(&tags))}))
}

async fn delete_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:DeletePolicy", policy_arn).await?;
    call.state.store.delete_managed_policy(policy_arn).await?;
    Ok(json!({}))
}

async fn list_policies(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:ListPolicies", "*")).await?;
    let scope = optional(input, "Scope").unwrap_or("All");
    let prefix = optional(input, "PathPrefix").unwrap_or("/");
    let only_attached = input.get("OnlyAttached").and_then(Value::as_bool).unwrap_or(false);
    let mut items = Vec::new();
    if scope != "Local" {
        let mut aws: Vec<&managed::AwsPolicy> =
            managed::all().values().filter(|p| p.path.starts_with(prefix)).collect();
        aws.sort_by(|a, b| a.name.cmp(&b.name));
        for p in aws {
            let v = aws_policy_json(call, p).await?;
            if !only_attached || v["AttachmentCount"].as_i64().unwrap_or(0) > 0 {
                items.push(v);
            }
        }
    }
    if scope != "AWS" {
        for p in call.state.store.list_managed_policies(call.account(), prefix).await? {
            if !only_attached || p.attachment_count > 0 {
                let usage = call.state.store.boundary_usage_count(call.account(), &p.arn).await?;
                items.push(managed_json(&p, usage, None));
            }
        }
    }
    Ok(paginate(input, items, "Policies"))
}

fn version_json(v: &monban_store::PolicyVersion, with_document: bool) -> Value {
    let mut out = json!({"VersionId": v.version_id, "IsDefaultVersion": v.is_default, "CreateDate": v.created});
    if with_document {
        out["Document"] = Value::String(percent_encode(&v.document));
    }
    out
}

async fn create_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:CreatePolicyVersion", policy_arn).await?;
    let document = text(input, "PolicyDocument");
    check_size(document, 6144, &format!("policy {policy_arn}"))?;
    validate_document(document, DocumentKind::Identity)?;
    let set_default = input.get("SetAsDefault").and_then(Value::as_bool).unwrap_or(false);
    let v = call.state.store.create_policy_version(policy_arn, document, set_default, &call.now()).await?;
    Ok(json!({"PolicyVersion": version_json(&v, false)}))
}

async fn get_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (policy_arn, version_id) = (text(input, "PolicyArn"), text(input, "VersionId"));
    call.authorize(Authorization::new("iam:GetPolicyVersion", policy_arn)).await?;
    let missing = || {
        ApiError::no_such_entity(format!(
            "Policy {policy_arn} version {version_id} does not exist or is not attachable."
        ))
    };
    if let Some(aws) = managed::all().get(policy_arn) {
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

async fn list_policy_versions(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    call.authorize(Authorization::new("iam:ListPolicyVersions", policy_arn)).await?;
    if let Some(aws) = managed::all().get(policy_arn) {
        let item = json!({"VersionId": aws.version_id, "IsDefaultVersion": true, "CreateDate": aws.updated});
        return Ok(paginate(input, vec![item], "Versions"));
    }
    let versions = own_policy_versions(call, policy_arn).await?;
    Ok(paginate(input, versions.iter().map(|v| version_json(v, false)).collect(), "Versions"))
}

/// The versions of a customer managed policy of the caller's account (none for another's).
async fn own_policy_versions(call: &Call<'_>, policy_arn: &str) -> Result<Vec<monban_store::PolicyVersion>, ApiError> {
    if policy_account(policy_arn) != Some(call.account()) {
        return Ok(Vec::new());
    }
    Ok(call.state.store.policy_versions(policy_arn).await?)
}

async fn delete_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:DeletePolicyVersion", policy_arn).await?;
    call.state.store.delete_policy_version(policy_arn, text(input, "VersionId")).await?;
    Ok(json!({}))
}

async fn set_default_policy_version(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy_arn = text(input, "PolicyArn");
    customer_policy(call, "iam:SetDefaultPolicyVersion", policy_arn).await?;
    call.state.store.set_default_policy_version(policy_arn, text(input, "VersionId"), &call.now()).await?;
    Ok(json!({}))
}

async fn list_entities_for_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
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

/// What a tagging operation works on: the ARN it is authorized against, the key its tags are
/// stored under, its current tags, and whether it exists (checked only after authorization).
struct TagTarget {
    arn: String,
    key: String,
    tags: Vec<Tag>,
    exists: bool,
}

impl TagTarget {
    async fn read(call: &Call<'_>, owner: Owner, input: &Value) -> Result<TagTarget, ApiError> {
        match owner {
            Owner::Policy => {
                let arn = text(input, "PolicyArn").to_string();
                let exists = policy_account(&arn) == Some(call.account())
                    && call.state.store.managed_policy(&arn).await?.is_some();
                let tags = call.state.store.tags(call.account(), owner, &arn).await?;
                Ok(TagTarget { key: arn.clone(), arn, tags, exists })
            }
            Owner::Principal(kind) => {
                let (name_key, _) = member_names(kind);
                let name = text(input, name_key);
                let (existing, arn) = target(call, kind, name).await?;
                let tags = call.state.store.tags(call.account(), owner, name).await?;
                Ok(TagTarget { arn, key: name.to_string(), tags, exists: existing.is_some() })
            }
        }
    }

    /// After authorization: `NoSuchEntity` when the target does not exist.
    fn require(&self, owner: Owner) -> Result<(), ApiError> {
        match (self.exists, owner) {
            (true, _) => Ok(()),
            (false, Owner::Policy) => Err(ApiError::no_such_entity(format!("Policy {} was not found.", self.arn))),
            (false, Owner::Principal(kind)) => Err(not_found(kind, &self.key)),
        }
    }
}

async fn tag(call: &Call<'_>, op: IamOperation, owner: Owner, input: &Value) -> Result<Value, ApiError> {
    let target = TagTarget::read(call, owner, input).await?;
    let new_tags = tags(input);
    check_tags(&new_tags)?;
    call.authorize(
        Authorization::new(op.action(), &target.arn).with_request_tags(&new_tags).with_resource_tags(&target.tags),
    )
    .await?;
    target.require(owner)?;
    call.state.store.tag(call.account(), owner, &target.key, &new_tags).await?;
    Ok(json!({}))
}

async fn untag(call: &Call<'_>, op: IamOperation, owner: Owner, input: &Value) -> Result<Value, ApiError> {
    let target = TagTarget::read(call, owner, input).await?;
    let keys = tag_keys(input);
    let mut authz = Authorization::new(op.action(), &target.arn).with_resource_tags(&target.tags);
    authz.context.push(("aws:TagKeys".into(), monban_policy::ContextValue::multi(keys.clone())));
    call.authorize(authz).await?;
    target.require(owner)?;
    call.state.store.untag(call.account(), owner, &target.key, &keys).await?;
    Ok(json!({}))
}

async fn list_tags(call: &Call<'_>, op: IamOperation, owner: Owner, input: &Value) -> Result<Value, ApiError> {
    let target = TagTarget::read(call, owner, input).await?;
    call.authorize(Authorization::new(op.action(), &target.arn)).await?;
    target.require(owner)?;
    Ok(paginate(input, target.tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect(), "Tags"))
}

/// The user an access-key operation concerns: the named one, or the caller itself (`None` for root).
fn key_owner<'a>(call: &'a Call<'_>, input: &'a Value) -> Result<Option<String>, ApiError> {
    match (optional(input, "UserName"), call.identity()) {
        (Some(name), _) => Ok(Some(name.to_string())),
        (None, Identity::User { user, .. }) => Ok(Some(user.name.clone())),
        (None, Identity::Root { .. }) => Ok(None),
        (None, Identity::Session { .. }) => {
            Err(ApiError::validation("Must specify userName when calling with non-User credentials"))
        }
    }
}

async fn key_target(call: &Call<'_>, owner: &Option<String>) -> Result<(Option<Principal>, String), ApiError> {
    match owner {
        Some(name) => target(call, User, name).await,
        None => Ok((None, format!("arn:aws:iam::{}:root", call.account()))),
    }
}

async fn create_access_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (existing, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:CreateAccessKey", &target)).await?;
    let user_name = match (&owner, existing) {
        (Some(name), None) => return Err(not_found(User, name)),
        (Some(_), Some(user)) => Some(user.name),
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

async fn list_access_keys(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
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

async fn update_access_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (_, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:UpdateAccessKey", &target)).await?;
    call.state
        .store
        .update_access_key(call.account(), owner.as_deref(), text(input, "AccessKeyId"), text(input, "Status"))
        .await?;
    Ok(json!({}))
}

async fn delete_access_key(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let owner = key_owner(call, input)?;
    let (_, target) = key_target(call, &owner).await?;
    call.authorize(Authorization::new("iam:DeleteAccessKey", &target)).await?;
    call.state.store.delete_access_key(call.account(), owner.as_deref(), text(input, "AccessKeyId")).await?;
    Ok(json!({}))
}

async fn access_key_last_used(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let key_id = text(input, "AccessKeyId");
    let key = call.state.store.access_key(key_id).await?.filter(|k| k.account_id == call.account());
    // Authorized against the key's owner; a key that does not exist is authorized against every
    // user of the account, so that only a caller allowed on all of them learns it is missing.
    let target = match key.as_ref().map(|k| &k.user_name) {
        Some(Some(u)) => target(call, User, u).await?.1,
        Some(None) => format!("arn:aws:iam::{}:root", call.account()),
        None => format!("arn:aws:iam::{}:user/*", call.account()),
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

async fn account_alias(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new(op.action(), "*")).await?;
    let alias = text(input, "AccountAlias");
    let current = call.state.store.account_alias(call.account()).await?;
    if op == IamOperation::CreateAccountAlias {
        if current.as_deref() == Some(alias) {
            return Err(ApiError::already_exists(format!("The account alias {alias} already exists.")));
        }
        call.state.store.set_account_alias(call.account(), Some(alias)).await?;
    } else {
        if current.as_deref() != Some(alias) {
            return Err(ApiError::no_such_entity(format!("The account alias {alias} cannot be found.")));
        }
        call.state.store.set_account_alias(call.account(), None).await?;
    }
    Ok(json!({}))
}

async fn list_account_aliases(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:ListAccountAliases", "*")).await?;
    let aliases = call.state.store.account_alias(call.account()).await?.into_iter().map(Value::String).collect();
    Ok(paginate(input, aliases, "AccountAliases"))
}

/// AWS's default quotas, as GetAccountSummary reports them ("IAM and AWS STS quotas").
const QUOTAS: &[(&str, i64)] = &[
    ("AccessKeysPerUserQuota", 2),
    ("AssumeRolePolicySizeQuota", 2048),
    ("AttachedPoliciesPerGroupQuota", 10),
    ("AttachedPoliciesPerRoleQuota", 10),
    ("AttachedPoliciesPerUserQuota", 10),
    ("GroupPolicySizeQuota", 5120),
    ("GroupsPerUserQuota", 10),
    ("GroupsQuota", 300),
    ("InstanceProfilesQuota", 1000),
    ("PoliciesQuota", 1500),
    ("PolicySizeQuota", 6144),
    ("PolicyVersionsInUseQuota", 10000),
    ("RolePolicySizeQuota", 10240),
    ("RolesQuota", 1000),
    ("UserPolicySizeQuota", 2048),
    ("UsersQuota", 5000),
    ("VersionsPerPolicyQuota", 5),
];

async fn account_summary(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetAccountSummary", "*")).await?;
    let mut map = Map::new();
    for (k, v) in call.state.store.summary(call.account()).await? {
        map.insert(k.into(), json!(v));
    }
    for (k, v) in QUOTAS {
        map.insert((*k).into(), json!(v));
    }
    // Entities monban cannot hold yet (MFA devices, identity providers, server certificates):
    // their counts are truly zero.
    for k in ["AccountMFAEnabled", "MFADevices", "MFADevicesInUse", "Providers", "ServerCertificates"] {
        map.insert(k.into(), json!(0));
    }
    Ok(json!({"SummaryMap": map}))
}

async fn instance_profile_json(call: &Call<'_>, p: &monban_store::InstanceProfile) -> Result<Value, ApiError> {
    let mut roles = Vec::new();
    if let Some(role) = &p.role_name {
        let role = call.state.store.require_principal(call.account(), Role, role).await?;
        roles.push(principal_json(&role, None));
    }
    Ok(json!({"Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.id, "Arn": p.arn,
        "CreateDate": p.created, "Roles": roles}))
}

fn instance_profile_arn(call: &Call<'_>, path: &str, name: &str) -> String {
    arn(call.account(), "instance-profile", path, name)
}

async fn create_instance_profile(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "InstanceProfileName");
    let path = optional(input, "Path").unwrap_or("/");
    let target = instance_profile_arn(call, path, name);
    call.authorize(Authorization::new("iam:CreateInstanceProfile", &target)).await?;
    let profile = monban_store::InstanceProfile {
        name: name.into(),
        id: util::random_id("AIPA", 21)?,
        path: path.into(),
        arn: target,
        created: call.now(),
        role_name: None,
    };
    call.state.store.create_instance_profile(call.account(), &profile).await?;
    Ok(json!({"InstanceProfile": instance_profile_json(call, &profile).await?}))
}

async fn existing_instance_profile(
    call: &Call<'_>,
    action: &str,
    name: &str,
) -> Result<monban_store::InstanceProfile, ApiError> {
    let existing = call.state.store.instance_profile(call.account(), name).await?;
    let target = existing.as_ref().map_or_else(|| instance_profile_arn(call, "/", name), |p| p.arn.clone());
    call.authorize(Authorization::new(action, &target)).await?;
    existing.ok_or_else(|| ApiError::no_such_entity(format!("Instance Profile {name} cannot be found.")))
}

async fn get_instance_profile(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let profile = existing_instance_profile(call, "iam:GetInstanceProfile", text(input, "InstanceProfileName")).await?;
    Ok(json!({"InstanceProfile": instance_profile_json(call, &profile).await?}))
}

async fn delete_instance_profile(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let name = text(input, "InstanceProfileName");
    existing_instance_profile(call, "iam:DeleteInstanceProfile", name).await?;
    call.state.store.delete_instance_profile(call.account(), name).await?;
    Ok(json!({}))
}

async fn list_instance_profiles(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
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

async fn instance_profile_role(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
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

/// One principal's inline and attached policies, as GetAccountAuthorizationDetails lists them.
async fn principal_detail(call: &Call<'_>, p: &Principal) -> Result<Value, ApiError> {
    let account = call.account();
    let p = &current_trust(call, p.clone()).await?;
    let mut v = principal_json(p, None);
    if let Value::Object(fields) = &mut v {
        // RoleDetail has no Description or MaxSessionDuration.
        fields.remove("Description");
        fields.remove("MaxSessionDuration");
    }
    if let Some(trust) = &p.trust_policy {
        v["AssumeRolePolicyDocument"] = Value::String(percent_encode(trust));
    }
    let inline: Vec<Value> = call
        .state
        .store
        .inline_policies(account, p.kind, &p.name)
        .await?
        .into_iter()
        .map(|(name, document)| json!({"PolicyName": name, "PolicyDocument": percent_encode(&document)}))
        .collect();
    let attached: Vec<Value> = call
        .state
        .store
        .attached_policies(account, p.kind, &p.name)
        .await?
        .iter()
        .map(|a| json!({"PolicyName": policy_name_of(a), "PolicyArn": a}))
        .collect();
    let inline_key = match p.kind {
        User => "UserPolicyList",
        Group => "GroupPolicyList",
        Role => "RolePolicyList",
    };
    v[inline_key] = Value::Array(inline);
    v["AttachedManagedPolicies"] = Value::Array(attached);
    if p.kind != Group {
        let tags = call.state.store.tags(account, Owner::Principal(p.kind), &p.name).await?;
        v["Tags"] = tags_json(&tags);
    }
    match p.kind {
        User => {
            let groups = call.state.store.groups_for_user(account, &p.name).await?;
            v["GroupList"] = Value::Array(groups.into_iter().map(|g| Value::String(g.name)).collect());
        }
        Role => {
            let mut profiles = Vec::new();
            for ip in call.state.store.list_instance_profiles(account, "/", Some(&p.name)).await? {
                profiles.push(instance_profile_json(call, &ip).await?);
            }
            v["InstanceProfileList"] = Value::Array(profiles);
        }
        Group => {}
    }
    Ok(v)
}

/// GetAccountAuthorizationDetails: every user, group, role and managed policy in use, with their
/// policy documents (URL-encoded, as the API returns them), so the account can be analyzed offline.
async fn authorization_details(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetAccountAuthorizationDetails", "*")).await?;
    let filter: Vec<&str> = input
        .get("Filter")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let wants = |what: &str| filter.is_empty() || filter.contains(&what);
    let account = call.account();
    let mut out = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [], "IsTruncated": false});
    for (kind, list, filter_name) in
        [(User, "UserDetailList", "User"), (Group, "GroupDetailList", "Group"), (Role, "RoleDetailList", "Role")]
    {
        if !wants(filter_name) {
            continue;
        }
        let mut details = Vec::new();
        for p in call.state.store.list_principals(account, kind, "/").await? {
            details.push(principal_detail(call, &p).await?);
        }
        out[list] = Value::Array(details);
    }
    let mut policies = Vec::new();
    if wants("LocalManagedPolicy") {
        for p in call.state.store.list_managed_policies(account, "/").await? {
            let usage = call.state.store.boundary_usage_count(account, &p.arn).await?;
            let mut v = managed_json(&p, usage, None);
            let versions = call.state.store.policy_versions(&p.arn).await?;
            v["PolicyVersionList"] = Value::Array(versions.iter().map(|version| version_json(version, true)).collect());
            policies.push(v);
        }
    }
    if wants("AWSManagedPolicy") {
        let mut aws: Vec<&managed::AwsPolicy> = managed::all().values().collect();
        aws.sort_by(|a, b| a.name.cmp(&b.name));
        for p in aws {
            let mut v = aws_policy_json(call, p).await?;
            if v["AttachmentCount"].as_i64().unwrap_or(0) == 0 {
                continue;
            }
            v["PolicyVersionList"] = json!([{"Document": percent_encode(&p.document), "VersionId": p.version_id,
                "IsDefaultVersion": true, "CreateDate": p.updated}]);
            policies.push(v);
        }
    }
    out["Policies"] = Value::Array(policies);
    Ok(out)
}

/// Login profiles (console passwords). monban has no console, so the password is checked for
/// presence only and never stored; the profile's existence matters to policies and audits.
async fn login_profile(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
    let name = user_name_or_caller(call, input)?;
    let existing = on_principal(call, User, &name, op.action(), |a| a).await?;
    existing.ok_or_else(|| not_found(User, &name))?;
    let (store, account) = (&call.state.store, call.account());
    let reset = input.get("PasswordResetRequired").and_then(Value::as_bool).unwrap_or(false);
    match op {
        IamOperation::CreateLoginProfile => {
            if optional(input, "Password").is_none() {
                return Err(ApiError::validation("Password is required"));
            }
            store.put_login_profile(account, &name, &call.now(), reset, true).await?;
        }
        IamOperation::UpdateLoginProfile => store.put_login_profile(account, &name, &call.now(), reset, false).await?,
        IamOperation::DeleteLoginProfile => {
            store.delete_login_profile(account, &name).await?;
            return Ok(json!({}));
        }
        _ => {}
    }
    if op == IamOperation::UpdateLoginProfile {
        return Ok(json!({}));
    }
    let (created, reset_required) = store
        .login_profile(account, &name)
        .await?
        .ok_or_else(|| ApiError::no_such_entity(format!("Login Profile for User {name} cannot be found.")))?;
    Ok(json!({"LoginProfile": {"UserName": name, "CreateDate": created, "PasswordResetRequired": reset_required}}))
}
