//! IAM operations, one file per entity family. Inputs arrive decoded and validated by the model ([`crate::protocol::model`]); each
//! handler authorizes the exact action and resource AWS would, then writes through the store.
//! Users, groups and roles share most operations, so those handlers take the principal kind.
//!
//! AWS: "AWS Identity and Access Management API Reference" and "IAM and AWS STS quotas".

use std::sync::Arc;

use monban_policy::Policy;
use monban_store::UserCredentialKind::{ServiceSpecific, SigningCertificate, SshPublicKey};
use monban_store::{Owner, Principal, PrincipalKind, ProviderKind, Tag};
use serde_json::{json, Map, Value};

use crate::auth::{Authorization, Identity};
use crate::error::ApiError;
use crate::operation::{Handler, IamOperation};
use crate::{managed, util, Call};
use monban_policy::arn::Arn;
use monban_policy::input::percent_encode;

use PrincipalKind::{Group, Role, User};

mod account;
mod certificates;
pub(crate) mod credential_report;
mod credentials;
mod inline;
pub(crate) mod last_accessed;
pub(crate) mod mfa;
mod outbound;
mod passwords;
mod policies;
mod principals;
mod profiles;
mod providers;
mod service_roles;
mod simulate;
mod tags;
mod user_credentials;

use account::*;
use credentials::*;
use inline::*;
use passwords::*;
pub(crate) use policies::*;
use principals::*;
use profiles::*;
pub(crate) use tags::*;

/// A required string member (the model has already rejected requests without it).
pub(crate) fn text<'a>(input: &'a Value, key: &str) -> &'a str {
    input.get(key).and_then(Value::as_str).unwrap_or_default()
}

pub(crate) fn optional<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// The ARN of a named IAM entity of the caller's account: `user`, `/ops/`, `alice`.
fn arn(call: &Call<'_>, kind: &str, path: &str, name: &str) -> String {
    call.iam_arn(&format!("{kind}{path}{name}"))
}

/// Which policy grammar a document must follow: IAM's rules differ per kind.
pub(crate) use monban_policy::acceptance::PolicyKind as DocumentKind;

/// Checks a policy document as IAM does and answers IAM's `MalformedPolicyDocument` message when
/// IAM would refuse it; returns the compiled policy. A document IAM takes that the engine cannot
/// compile is refused with IAM's syntax message and the engine's reason, so that the difference
/// shows. AWS: "IAM JSON policy element reference"; the cases are in
/// crates/policy/tests/data/policy-acceptance.json.
pub(crate) fn validate_document(call: &Call<'_>, document: &str, kind: DocumentKind) -> Result<Policy, ApiError> {
    validate_document_in(call.partition(), document, kind)
}

/// [`validate_document`] for an account of `partition`, where no call is at hand.
pub(crate) fn validate_document_in(
    partition: monban_policy::arn::Partition,
    document: &str,
    kind: DocumentKind,
) -> Result<Policy, ApiError> {
    monban_policy::acceptance::check(document, kind, partition.as_str())
        .map_err(|why| ApiError::malformed_policy(why.0))?;
    Policy::parse(document).map_err(|e| ApiError::malformed_policy(format!("Syntax errors in policy. {e}")))
}

/// AWS counts policy size without white space. Managed and trust policies have account quotas
/// ("Cannot exceed quota for PolicySize: 6144"); inline policies count per principal.
fn check_size(document: &str, quota: monban_store::Quota, what: &str) -> Result<(), ApiError> {
    let limit = quota.value();
    if monban_store::policy_size(document) <= limit {
        return Ok(());
    }
    Err(ApiError::limit_exceeded(match quota {
        monban_store::Quota::PolicySize | monban_store::Quota::AssumeRolePolicySize => {
            format!("Cannot exceed quota for {}: {limit}", quota.name())
        }
        _ => format!("Maximum policy size of {limit} bytes exceeded for {what}"),
    }))
}

/// Lists with `Marker`/`MaxItems`/`IsTruncated`: the marker is the index of the next item.
pub(crate) fn paginate(input: &Value, items: Vec<Value>, list: &str) -> Value {
    paginate_with(input, items, list, |v| v)
}

/// [`paginate`] for items that become JSON only when they are on the page.
pub(crate) fn paginate_with<T>(input: &Value, items: Vec<T>, list: &str, to_json: impl FnMut(T) -> Value) -> Value {
    let (page, marker) = page(input, items);
    listing(list, page.into_iter().map(to_json).collect(), marker)
}

/// The page `Marker`/`MaxItems` select of `items`, and the marker of the next page if any.
pub(crate) fn page<T>(input: &Value, items: Vec<T>) -> (Vec<T>, Option<String>) {
    let start = optional(input, "Marker").and_then(|m| m.parse::<usize>().ok()).unwrap_or(0);
    let max = input.get("MaxItems").and_then(Value::as_i64).unwrap_or(100).clamp(1, 1000) as usize;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(max).collect();
    let next = start + page.len();
    (page, (next < total).then(|| next.to_string()))
}

/// A listing's response: the page under `list`, `IsTruncated` and the next `Marker`.
pub(crate) fn listing(list: &str, page: Vec<Value>, marker: Option<String>) -> Value {
    let mut out = Map::new();
    out.insert(list.into(), Value::Array(page));
    out.insert("IsTruncated".into(), Value::Bool(marker.is_some()));
    if let Some(marker) = marker {
        out.insert("Marker".into(), Value::String(marker));
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
    // Made at its size (GetUser answers it on every call), not grown field by field.
    let mut v = Map::with_capacity(10);
    for (key, value) in
        [("Path", &p.path), (name_key, &p.name), (id_key, &p.id), ("Arn", &p.arn), ("CreateDate", &p.created)]
    {
        v.insert(key.into(), Value::from(value.as_str()));
    }
    if p.kind == Role {
        if let Some(trust) = &p.trust_policy {
            v.insert("AssumeRolePolicyDocument".into(), Value::from(trust.as_str()));
        }
        if let Some(d) = &p.description {
            v.insert("Description".into(), Value::from(d.as_str()));
        }
        v.insert("MaxSessionDuration".into(), Value::from(p.max_session_duration.unwrap_or(3600)));
    }
    // The only value of the model's enum (IAM API Reference, "AttachedPermissionsBoundary").
    if let Some(b) = &p.permissions_boundary {
        v.insert(
            "PermissionsBoundary".into(),
            json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": b}),
        );
    }
    if let Some(tags) = tags.filter(|t| !t.is_empty()) {
        v.insert("Tags".into(), tags_json(tags));
    }
    Value::Object(v)
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
async fn target(
    call: &Call<'_>,
    kind: PrincipalKind,
    name: &str,
) -> Result<(Option<Arc<Principal>>, String), ApiError> {
    let existing = crate::auth::principal(call.state, call.account(), kind, name).await?;
    let target = existing.as_ref().map_or_else(|| arn(call, kind.as_str(), "/", name), |p| p.arn.clone());
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
) -> Result<Option<Arc<Principal>>, ApiError> {
    let (existing, target) = target(call, kind, name).await?;
    let mut authz = extra(Authorization::new(action, &target));
    if let Some(p) = &existing {
        let tags = crate::auth::principal_tags(call.state, call.account(), kind, &p.name).await?;
        authz = authz.with_resource_tags(&tags);
        let already = authz.context.iter().any(|(k, _)| k.eq_ignore_ascii_case("iam:PermissionsBoundary"));
        if let Some(boundary) = p.permissions_boundary.as_deref().filter(|_| !already) {
            if supports_key(action, "iam:PermissionsBoundary") {
                authz = authz.with("iam:PermissionsBoundary", boundary);
            }
        }
    }
    call.authorize(authz).await?;
    if let Some(p) = &existing {
        service_roles::check_modifiable(p, action)?;
    }
    Ok(existing)
}

/// The user, group or role an ARN names: `None` when the ARN names no IAM principal at all;
/// otherwise its kind and name, with the principal if it exists in the caller's account at exactly
/// that ARN (another account's, or another path, is not it).
pub(crate) async fn principal_at(
    call: &Call<'_>,
    principal_arn: &str,
) -> Result<Option<(PrincipalKind, String, Option<Arc<Principal>>)>, ApiError> {
    let Some(parsed) = Arn::parse(principal_arn).filter(|a| a.service() == "iam") else { return Ok(None) };
    let kind = match parsed.resource_type() {
        "user" => User,
        "group" => Group,
        "role" => Role,
        _ => return Ok(None),
    };
    let name = parsed.resource_name().to_string();
    let found = match parsed.account() == call.account() {
        true => {
            crate::auth::principal(call.state, call.account(), kind, &name).await?.filter(|p| p.arn == principal_arn)
        }
        false => None,
    };
    Ok(Some((kind, name, found)))
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
        Op::GenerateServiceLastAccessedDetails => |_, c, i| Box::pin(last_accessed::generate(c, i)),
        Op::GetServiceLastAccessedDetails => |_, c, i| Box::pin(last_accessed::get(c, i)),
        Op::GetServiceLastAccessedDetailsWithEntities => |_, c, i| Box::pin(last_accessed::get_with_entities(c, i)),
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
        Op::AddClientIDToOpenIDConnectProvider => |op, c, i| Box::pin(providers::client_id(c, op, i)),
        Op::ChangePassword => |_, c, i| Box::pin(change_password(c, i)),
        Op::CreateOpenIDConnectProvider => |_, c, i| Box::pin(providers::create_oidc(c, i)),
        Op::CreateSAMLProvider => |_, c, i| Box::pin(providers::create_saml(c, i)),
        Op::CreateServiceSpecificCredential => {
            |_, c, i| Box::pin(user_credentials::create_service_specific_credential(c, i))
        }
        Op::DeleteAccountPasswordPolicy => |_, c, _| Box::pin(delete_password_policy(c)),
        Op::DeleteOpenIDConnectProvider => |op, c, i| Box::pin(providers::delete(c, op, Owner::OidcProvider, i)),
        Op::DeleteSAMLProvider => |op, c, i| Box::pin(providers::delete(c, op, Owner::SamlProvider, i)),
        Op::DeleteSSHPublicKey => |op, c, i| Box::pin(user_credentials::delete(c, op, SshPublicKey, i)),
        Op::DeleteServerCertificate => |_, c, i| Box::pin(certificates::delete(c, i)),
        Op::DeleteServiceSpecificCredential => |op, c, i| Box::pin(user_credentials::delete(c, op, ServiceSpecific, i)),
        Op::DeleteSigningCertificate => |op, c, i| Box::pin(user_credentials::delete(c, op, SigningCertificate, i)),
        Op::GenerateCredentialReport => |_, c, _| Box::pin(credential_report::generate(c)),
        Op::GetAccountPasswordPolicy => |_, c, _| Box::pin(get_password_policy(c)),
        Op::GetCredentialReport => |_, c, _| Box::pin(credential_report::get(c)),
        Op::GetMFADevice => |_, c, i| Box::pin(mfa::get(c, i)),
        Op::GetOpenIDConnectProvider => |_, c, i| Box::pin(providers::get_oidc(c, i)),
        Op::GetSAMLProvider => |_, c, i| Box::pin(providers::get_saml(c, i)),
        Op::GetSSHPublicKey => |_, c, i| Box::pin(user_credentials::get_ssh_public_key(c, i)),
        Op::GetServerCertificate => |_, c, i| Box::pin(certificates::get(c, i)),
        Op::ListInstanceProfileTags => |op, c, i| Box::pin(list_tags(c, op, Owner::InstanceProfile, i)),
        Op::ListMFADeviceTags => |op, c, i| Box::pin(list_tags(c, op, Owner::MfaDevice, i)),
        Op::ListOpenIDConnectProviderTags => |op, c, i| Box::pin(list_tags(c, op, Owner::OidcProvider, i)),
        Op::ListOpenIDConnectProviders => |op, c, _| Box::pin(providers::list(c, op, ProviderKind::Oidc)),
        Op::ListSAMLProviderTags => |op, c, i| Box::pin(list_tags(c, op, Owner::SamlProvider, i)),
        Op::ListSAMLProviders => |op, c, _| Box::pin(providers::list(c, op, ProviderKind::Saml)),
        Op::ListSSHPublicKeys => |op, c, i| Box::pin(user_credentials::list(c, op, SshPublicKey, i)),
        Op::ListServerCertificateTags => |op, c, i| Box::pin(list_tags(c, op, Owner::ServerCertificate, i)),
        Op::ListServerCertificates => |_, c, i| Box::pin(certificates::list(c, i)),
        Op::ListServiceSpecificCredentials => |op, c, i| Box::pin(user_credentials::list(c, op, ServiceSpecific, i)),
        Op::ListSigningCertificates => |op, c, i| Box::pin(user_credentials::list(c, op, SigningCertificate, i)),
        Op::RemoveClientIDFromOpenIDConnectProvider => |op, c, i| Box::pin(providers::client_id(c, op, i)),
        Op::ResetServiceSpecificCredential => {
            |_, c, i| Box::pin(user_credentials::reset_service_specific_credential(c, i))
        }
        Op::TagInstanceProfile => |op, c, i| Box::pin(tag(c, op, Owner::InstanceProfile, i)),
        Op::TagMFADevice => |op, c, i| Box::pin(tag(c, op, Owner::MfaDevice, i)),
        Op::TagOpenIDConnectProvider => |op, c, i| Box::pin(tag(c, op, Owner::OidcProvider, i)),
        Op::TagSAMLProvider => |op, c, i| Box::pin(tag(c, op, Owner::SamlProvider, i)),
        Op::TagServerCertificate => |op, c, i| Box::pin(tag(c, op, Owner::ServerCertificate, i)),
        Op::UntagInstanceProfile => |op, c, i| Box::pin(untag(c, op, Owner::InstanceProfile, i)),
        Op::UntagMFADevice => |op, c, i| Box::pin(untag(c, op, Owner::MfaDevice, i)),
        Op::UntagOpenIDConnectProvider => |op, c, i| Box::pin(untag(c, op, Owner::OidcProvider, i)),
        Op::UntagSAMLProvider => |op, c, i| Box::pin(untag(c, op, Owner::SamlProvider, i)),
        Op::UntagServerCertificate => |op, c, i| Box::pin(untag(c, op, Owner::ServerCertificate, i)),
        Op::UpdateAccountPasswordPolicy => |_, c, i| Box::pin(update_password_policy(c, i)),
        Op::UpdateOpenIDConnectProviderThumbprint => |_, c, i| Box::pin(providers::update_thumbprints(c, i)),
        Op::UpdateRoleDescription => |_, c, i| Box::pin(update_role_description(c, i)),
        Op::UpdateSAMLProvider => |_, c, i| Box::pin(providers::update_saml(c, i)),
        Op::UpdateSSHPublicKey => |op, c, i| Box::pin(user_credentials::update(c, op, SshPublicKey, i)),
        Op::UpdateServerCertificate => |_, c, i| Box::pin(certificates::update(c, i)),
        Op::UpdateServiceSpecificCredential => |op, c, i| Box::pin(user_credentials::update(c, op, ServiceSpecific, i)),
        Op::UpdateSigningCertificate => |op, c, i| Box::pin(user_credentials::update(c, op, SigningCertificate, i)),
        Op::UploadSSHPublicKey => |_, c, i| Box::pin(user_credentials::upload_ssh_public_key(c, i)),
        Op::UploadServerCertificate => |_, c, i| Box::pin(certificates::upload(c, i)),
        Op::UploadSigningCertificate => |_, c, i| Box::pin(user_credentials::upload_signing_certificate(c, i)),
        Op::GetContextKeysForCustomPolicy => |_, c, i| Box::pin(simulate::context_keys_for_custom(c, i)),
        Op::GetContextKeysForPrincipalPolicy => |_, c, i| Box::pin(simulate::context_keys_for_principal(c, i)),
        Op::SimulateCustomPolicy => |_, c, i| Box::pin(simulate::simulate_custom(c, i)),
        Op::SimulatePrincipalPolicy => |_, c, i| Box::pin(simulate::simulate_principal(c, i)),
        Op::SetSecurityTokenServicePreferences => |_, c, i| Box::pin(token_preferences(c, i)),
        Op::ResyncMFADevice => |_, c, i| Box::pin(mfa::resync(c, i)),
        Op::CreateServiceLinkedRole => |_, c, i| Box::pin(service_roles::create(c, i)),
        Op::DeleteServiceLinkedRole => |_, c, i| Box::pin(service_roles::delete(c, i)),
        Op::GetServiceLinkedRoleDeletionStatus => |_, c, i| Box::pin(service_roles::deletion_status(c, i)),
        Op::ListPoliciesGrantingServiceAccess => |_, c, i| Box::pin(policies_granting_service_access(c, i)),
        Op::EnableOrganizationsRootSessions
        | Op::DisableOrganizationsRootSessions
        | Op::EnableOrganizationsRootCredentialsManagement
        | Op::DisableOrganizationsRootCredentialsManagement
        | Op::ListOrganizationsFeatures => |op, c, _| Box::pin(crate::handlers::organizations::root_access(c, op)),
        Op::EnableOutboundWebIdentityFederation
        | Op::DisableOutboundWebIdentityFederation
        | Op::GetOutboundWebIdentityFederationInfo => |op, c, _| Box::pin(outbound::switch(c, op)),
        Op::AcceptDelegationRequest
        | Op::AcquireRole
        | Op::AssociateDelegationRequest
        | Op::CreateDelegationRequest
        | Op::GenerateOrganizationsAccessReport
        | Op::GetAccountProperties
        | Op::GetDelegationRequest
        | Op::GetHumanReadableSummary
        | Op::GetOrganizationsAccessReport
        | Op::GetRoleTemplateVersion
        | Op::ListDelegationRequests
        | Op::PutAccountProperties
        | Op::RejectDelegationRequest
        | Op::SendDelegationToken
        | Op::UpdateDelegationRequest => return None,
    };
    Some(handler)
}
