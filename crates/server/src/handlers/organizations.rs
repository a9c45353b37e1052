//! AWS Organizations (AWS Organizations API Reference): an organization of accounts in this
//! server, its organizational units, service and resource control policies and their attachments,
//! and member accounts created with their access role. Every change reads and writes the
//! organization's document in one transaction; the checks that decide an error are made again
//! inside it.
//!
//! Who may call: the management account, except DescribeOrganization, which members may call too;
//! an account outside any organization gets `AWSOrganizationsNotInUseException`. Every call is also
//! authorized by IAM (`organizations:*` actions).

use monban_store::{Changed, Principal, PrincipalKind};
use serde_json::{json, Value};

use crate::auth::Authorization;
use crate::error::ApiError;
use crate::handlers::iam::{optional, text};
use crate::operation::{Handler, OrganizationsOperation};
use crate::organizations::{
    new_id, CreateRequest, Member, OrgPolicy, Organization, Root, Unit, AWS_MANAGED, MAX_OU_DEPTH, RCP, SCP,
};
use crate::{util, Call};
use monban_policy::acceptance::{check_organization_policy, OrganizationPolicyKind, ORGANIZATIONS_MALFORMED};
use monban_policy::quotas::Quota;

/// The handler of each Organizations operation, or `None` for those monban does not implement.
pub(crate) fn handler(op: OrganizationsOperation) -> Option<Handler<OrganizationsOperation>> {
    use OrganizationsOperation as Op;
    let handler: Handler<OrganizationsOperation> = match op {
        Op::CreateOrganization => |_, c, i| Box::pin(create_organization(c, i)),
        Op::DescribeOrganization => |_, c, _| Box::pin(describe_organization(c)),
        Op::DeleteOrganization => |_, c, _| Box::pin(delete_organization(c)),
        Op::ListRoots => |_, c, _| Box::pin(list_roots(c)),
        Op::CreateOrganizationalUnit => |_, c, i| Box::pin(create_unit(c, i)),
        Op::DescribeOrganizationalUnit => |_, c, i| Box::pin(describe_unit(c, i)),
        Op::UpdateOrganizationalUnit => |_, c, i| Box::pin(update_unit(c, i)),
        Op::DeleteOrganizationalUnit => |_, c, i| Box::pin(delete_unit(c, i)),
        Op::ListOrganizationalUnitsForParent => |_, c, i| Box::pin(list_units(c, i)),
        Op::ListChildren => |_, c, i| Box::pin(list_children(c, i)),
        Op::ListParents => |_, c, i| Box::pin(list_parents(c, i)),
        Op::ListAccounts => |_, c, _| Box::pin(list_accounts(c, None)),
        Op::ListAccountsForParent => |_, c, i| Box::pin(list_accounts(c, Some(text(i, "ParentId")))),
        Op::DescribeAccount => |_, c, i| Box::pin(describe_account(c, i)),
        Op::MoveAccount => |_, c, i| Box::pin(move_account(c, i)),
        Op::CreateAccount => |_, c, i| Box::pin(create_account(c, i)),
        Op::DescribeCreateAccountStatus => |_, c, i| Box::pin(describe_create_account_status(c, i)),
        Op::ListCreateAccountStatus => |_, c, _| Box::pin(list_create_account_status(c)),
        Op::CreatePolicy => |_, c, i| Box::pin(create_policy(c, i)),
        Op::DescribePolicy => |_, c, i| Box::pin(describe_policy(c, i)),
        Op::UpdatePolicy => |_, c, i| Box::pin(update_policy(c, i)),
        Op::DeletePolicy => |_, c, i| Box::pin(delete_policy(c, i)),
        Op::ListPolicies => |_, c, i| Box::pin(list_policies(c, i)),
        Op::AttachPolicy => |_, c, i| Box::pin(attach_policy(c, i)),
        Op::DetachPolicy => |_, c, i| Box::pin(detach_policy(c, i)),
        Op::ListPoliciesForTarget => |_, c, i| Box::pin(list_policies_for_target(c, i)),
        Op::ListTargetsForPolicy => |_, c, i| Box::pin(list_targets_for_policy(c, i)),
        Op::EnablePolicyType => |_, c, i| Box::pin(enable_policy_type(c, i)),
        Op::DisablePolicyType => |_, c, i| Box::pin(disable_policy_type(c, i)),
        Op::EnableAWSServiceAccess => |_, c, i| Box::pin(service_access(c, i, true)),
        Op::DisableAWSServiceAccess => |_, c, i| Box::pin(service_access(c, i, false)),
        Op::ListAWSServiceAccessForOrganization => |_, c, _| Box::pin(list_service_access(c)),
        Op::TagResource => |_, c, i| Box::pin(tag_resource(c, i)),
        Op::UntagResource => |_, c, i| Box::pin(untag_resource(c, i)),
        Op::ListTagsForResource => |_, c, i| Box::pin(list_tags(c, i)),
        Op::RegisterDelegatedAdministrator => |_, c, i| Box::pin(delegate(c, i, true)),
        Op::DeregisterDelegatedAdministrator => |_, c, i| Box::pin(delegate(c, i, false)),
        Op::ListDelegatedAdministrators => |_, c, i| Box::pin(list_delegated_administrators(c, i)),
        Op::ListDelegatedServicesForAccount => |_, c, i| Box::pin(list_delegated_services(c, i)),
        Op::RemoveAccountFromOrganization => |_, c, i| Box::pin(remove_account(c, i)),
        Op::LeaveOrganization => |_, c, _| Box::pin(leave_organization(c)),
        Op::InviteAccountToOrganization => |_, c, i| Box::pin(invite_account(c, i)),
        Op::AcceptHandshake => |_, c, i| Box::pin(answer_handshake(c, i, Answer::Accept)),
        Op::DeclineHandshake => |_, c, i| Box::pin(answer_handshake(c, i, Answer::Decline)),
        Op::CancelHandshake => |_, c, i| Box::pin(answer_handshake(c, i, Answer::Cancel)),
        Op::DescribeHandshake => |_, c, i| Box::pin(describe_handshake(c, i)),
        Op::ListHandshakesForAccount => |_, c, _| Box::pin(list_handshakes_for_account(c)),
        Op::ListHandshakesForOrganization => |_, c, _| Box::pin(list_handshakes_for_organization(c)),
        _ => return None,
    };
    Some(handler)
}

fn not_in_use() -> ApiError {
    ApiError::organizations_not_in_use("Your account is not a member of an organization.")
}

/// Seconds since the epoch, as the JSON protocol writes timestamps.
fn epoch(call: &Call<'_>) -> f64 {
    call.context.now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64().floor()).unwrap_or_default()
}

/// The caller's organization, whatever its place in it.
async fn member_of(call: &Call<'_>) -> Result<Organization, ApiError> {
    let stored = call.state.store.organization_of(call.account()).await?.ok_or_else(not_in_use)?;
    Organization::parse(&stored.document)
}

/// The caller's organization, when the caller is its management account, after IAM authorizes
/// `action` on the resource `resource` names in it (`*` when `None`).
async fn managed(
    call: &Call<'_>,
    action: &str,
    resource: impl FnOnce(&Organization) -> Option<String>,
) -> Result<Organization, ApiError> {
    managed_with(call, action, |_| Vec::new(), resource).await
}

/// [`managed`], with the condition keys the action carries (`organizations:PolicyType`,
/// `organizations:ServicePrincipal`: Service Authorization Reference, AWS Organizations).
async fn managed_with(
    call: &Call<'_>,
    action: &str,
    keys: impl FnOnce(&Organization) -> Vec<(&'static str, String)>,
    resource: impl FnOnce(&Organization) -> Option<String>,
) -> Result<Organization, ApiError> {
    let organization = member_of(call).await?;
    let arn = resource(&organization).unwrap_or_else(|| "*".to_string());
    let mut authz = Authorization::new(action, &arn);
    for (key, value) in keys(&organization) {
        authz = authz.with(key, value);
    }
    call.authorize(authz).await?;
    if organization.management_account != call.account() {
        return Err(ApiError::access_denied("You don't have permissions to access this resource."));
    }
    Ok(organization)
}

/// Changes the organization in one transaction: `change` sees the document as committed and
/// decides again what the checks before it decided.
async fn change<T: Send + 'static>(
    call: &Call<'_>,
    organization: &Organization,
    change: impl FnOnce(&mut Organization) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let changed = call
        .state
        .store
        .change_organization(&organization.id, move |document| {
            let mut organization = Organization::parse(document)?;
            let answer = change(&mut organization)?;
            Ok(Changed { document: Some(organization.document()), members: organization.member_ids(), answer })
        })
        .await?;
    changed.ok_or_else(not_in_use)?
}

fn organization_json(call: &Call<'_>, o: &Organization) -> Value {
    let partition = call.partition();
    json!({
        "Id": o.id,
        "Arn": o.arn(partition),
        "FeatureSet": o.feature_set,
        "MasterAccountArn": o.account_arn(partition, &o.management_account),
        "MasterAccountId": o.management_account,
        "MasterAccountEmail": o.management_email,
        "AvailablePolicyTypes": policy_types(&o.root),
    })
}

fn policy_types(root: &Root) -> Value {
    Value::Array(root.policy_types.iter().map(|t| json!({"Type": t, "Status": "ENABLED"})).collect())
}

fn root_json(call: &Call<'_>, o: &Organization) -> Value {
    json!({"Id": o.root.id, "Arn": o.root_arn(call.partition()), "Name": "Root", "PolicyTypes": policy_types(&o.root)})
}

fn unit_json(call: &Call<'_>, o: &Organization, u: &Unit) -> Value {
    json!({"Id": u.id, "Arn": o.unit_arn(call.partition(), &u.id), "Name": u.name})
}

fn account_json(call: &Call<'_>, o: &Organization, a: &Member) -> Value {
    json!({
        "Id": a.id,
        "Arn": o.account_arn(call.partition(), &a.id),
        "Email": a.email,
        "Name": a.name,
        "Status": "ACTIVE",
        "State": "ACTIVE",
        "JoinedMethod": a.joined_method,
        "JoinedTimestamp": a.joined,
    })
}

fn create_status_json(r: &CreateRequest) -> Value {
    let mut out =
        json!({"Id": r.id, "AccountName": r.account_name, "State": r.state, "RequestedTimestamp": r.requested});
    if let Some(completed) = r.completed {
        out["CompletedTimestamp"] = json!(completed);
    }
    if let Some(account) = &r.account_id {
        out["AccountId"] = json!(account);
    }
    if let Some(reason) = &r.failure_reason {
        out["FailureReason"] = json!(reason);
    }
    out
}

fn policy_summary(call: &Call<'_>, o: &Organization, id: &str) -> Option<Value> {
    let (name, description, kind, _) = o.policy(id)?;
    Some(json!({
        "Id": id,
        "Arn": o.policy_arn(call.partition(), id, &kind),
        "Name": name,
        "Description": description,
        "Type": kind,
        "AwsManaged": AWS_MANAGED.iter().any(|(p, ..)| *p == id),
    }))
}

fn policy_json(call: &Call<'_>, o: &Organization, id: &str) -> Option<Value> {
    let content = o.policy(id)?.3;
    Some(json!({"Policy": {"PolicySummary": policy_summary(call, o, id)?, "Content": content}}))
}

/// `organizations:PolicyType` for an action on a policy of `kind`.
fn policy_type(kind: &str) -> Vec<(&'static str, String)> {
    vec![("organizations:PolicyType", kind.to_string())]
}

/// `organizations:PolicyType` for an action on the policy `id`, when it exists.
fn type_of(o: &Organization, id: &str) -> Vec<(&'static str, String)> {
    o.policy(id).map(|p| policy_type(&p.2)).unwrap_or_default()
}

/// `organizations:ServicePrincipal`.
fn service_principal(principal: &str) -> Vec<(&'static str, String)> {
    vec![("organizations:ServicePrincipal", principal.to_string())]
}

/// Authorizes `action` on a root, unit or account too, when it exists (one that does not is
/// answered inside the change, after the caller was authorized on the action's main resource).
async fn authorize_target(
    call: &Call<'_>,
    organization: &Organization,
    action: &str,
    target: &str,
    keys: Vec<(&'static str, String)>,
) -> Result<(), ApiError> {
    if !organization.is_target(target) {
        return Ok(());
    }
    let arn = organization.target_arn(call.partition(), target);
    let mut authz = Authorization::new(action, &arn);
    for (key, value) in keys {
        authz = authz.with(key, value);
    }
    call.authorize(authz).await
}

fn parent_not_found() -> ApiError {
    ApiError::parent_not_found("We can't find a root or OU with the ParentId that you specified.")
}

fn unit_not_found() -> ApiError {
    ApiError::organizational_unit_not_found("We can't find an OU with the OrganizationalUnitId that you specified.")
}

fn account_not_found() -> ApiError {
    ApiError::account_not_found("You specified an account that doesn't exist.")
}

fn policy_not_found() -> ApiError {
    ApiError::policy_not_found("We can't find a policy with the PolicyId that you specified.")
}

fn target_not_found() -> ApiError {
    ApiError::target_not_found(
        "We can't find a root, OU, account, or email target with the TargetId that you specified.",
    )
}

/// The policy types monban enforces; the others Organizations has (tag, backup, ... policies)
/// govern services monban does not serve.
fn supported_type(kind: &str) -> Result<(), ApiError> {
    match kind {
        SCP | RCP => Ok(()),
        other => Err(ApiError::invalid_input_exception(format!(
            "monban supports the policy types {SCP} and {RCP}, not {other}."
        ))),
    }
}

async fn create_organization(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("organizations:CreateOrganization", "*")).await?;
    let account = call.account().to_string();
    let feature_set = optional(input, "FeatureSet").unwrap_or("ALL").to_string();
    let organization = Organization {
        id: new_id("o-", 10)?,
        management_account: account.clone(),
        management_email: format!("{account}@example.com"),
        feature_set: feature_set.clone(),
        // "By default (or if you set the FeatureSet parameter to ALL), the new organization is
        // created with all features enabled and service control policies automatically enabled in
        // the root" (AWS Organizations API Reference, CreateOrganization).
        root: Root {
            id: new_id("r-", 4)?,
            policy_types: if feature_set == "ALL" { vec![SCP.to_string()] } else { Vec::new() },
        },
        units: Vec::new(),
        accounts: vec![Member {
            id: account.clone(),
            name: account.clone(),
            email: format!("{account}@example.com"),
            parent: String::new(),
            joined_method: "CREATED".into(),
            joined: epoch(call),
        }],
        policies: Vec::new(),
        attachments: Vec::new(),
        create_requests: Vec::new(),
        service_access: Vec::new(),
        root_features: Vec::new(),
        tags: Default::default(),
        delegated: Vec::new(),
        handshakes: Vec::new(),
    };
    let mut organization = organization;
    organization.accounts[0].parent = organization.root.id.clone();
    if organization.root.policy_types.iter().any(|t| t == SCP) {
        for target in [organization.root.id.clone(), account.clone()] {
            organization.attachments.push(("p-FullAWSAccess".to_string(), target));
        }
    }
    let stored = monban_store::StoredOrganization {
        id: organization.id.clone(),
        management_account: account,
        document: organization.document(),
    };
    if !call.state.store.create_organization(&stored).await? {
        return Err(ApiError::already_in_organization("The AWS account is already a member of an organization."));
    }
    Ok(json!({"Organization": organization_json(call, &organization)}))
}

async fn describe_organization(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = member_of(call).await?;
    call.authorize(Authorization::new("organizations:DescribeOrganization", "*")).await?;
    Ok(json!({"Organization": organization_json(call, &organization)}))
}

async fn delete_organization(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:DeleteOrganization", |_| None).await?;
    let changed = call
        .state
        .store
        .change_organization(&organization.id, |document| {
            let organization = Organization::parse(document)?;
            if organization.accounts.len() > 1 {
                return Err(ApiError::organization_not_empty(
                    "To delete an organization you must first remove all member accounts (except the management account).",
                ));
            }
            Ok(Changed { document: None, members: Vec::new(), answer: () })
        })
        .await?;
    changed.ok_or_else(not_in_use)??;
    Ok(json!({}))
}

async fn list_roots(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:ListRoots", |_| None).await?;
    Ok(json!({"Roots": [root_json(call, &organization)]}))
}

async fn create_unit(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let parent = text(input, "ParentId").to_string();
    let name = text(input, "Name").to_string();
    let organization = managed(call, "organizations:CreateOrganizationalUnit", |o| {
        o.is_parent(&parent).then(|| o.target_arn(call.partition(), &parent))
    })
    .await?;
    let id = format!("ou-{}-{}", organization.root.id.trim_start_matches("r-"), new_id("", 8)?);
    let unit = change(call, &organization, move |o| {
        if !o.is_parent(&parent) {
            return Err(parent_not_found());
        }
        if o.units.iter().any(|u| u.parent == parent && u.name == name) {
            return Err(ApiError::duplicate_organizational_unit("An OU with the same name already exists."));
        }
        // The path from the root to the new unit: the root, then at most MAX_OU_DEPTH units.
        if o.path_to(&parent).len() > MAX_OU_DEPTH {
            return Err(ApiError::constraint_violation(
                "You attempted to create an OU tree that is too many levels deep (OU_DEPTH_LIMIT_EXCEEDED).",
            ));
        }
        let unit = Unit { id, name, parent };
        o.units.push(unit.clone());
        o.attach_defaults(&unit.id);
        Ok(unit)
    })
    .await?;
    Ok(json!({"OrganizationalUnit": unit_json(call, &organization, &unit)}))
}

async fn describe_unit(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "OrganizationalUnitId");
    let organization =
        managed(call, "organizations:DescribeOrganizationalUnit", |o| Some(o.unit_arn(call.partition(), id))).await?;
    let unit = organization.unit(id).ok_or_else(unit_not_found)?;
    Ok(json!({"OrganizationalUnit": unit_json(call, &organization, unit)}))
}

async fn update_unit(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "OrganizationalUnitId").to_string();
    let name = optional(input, "Name").map(str::to_string);
    let organization =
        managed(call, "organizations:UpdateOrganizationalUnit", |o| Some(o.unit_arn(call.partition(), &id))).await?;
    let unit = change(call, &organization, move |o| {
        let parent = o.unit(&id).ok_or_else(unit_not_found)?.parent.clone();
        if let Some(name) = name {
            if o.units.iter().any(|u| u.parent == parent && u.name == name && u.id != id) {
                return Err(ApiError::duplicate_organizational_unit("An OU with the same name already exists."));
            }
            if let Some(unit) = o.units.iter_mut().find(|u| u.id == id) {
                unit.name = name;
            }
        }
        o.unit(&id).cloned().ok_or_else(unit_not_found)
    })
    .await?;
    Ok(json!({"OrganizationalUnit": unit_json(call, &organization, &unit)}))
}

async fn delete_unit(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "OrganizationalUnitId").to_string();
    let organization =
        managed(call, "organizations:DeleteOrganizationalUnit", |o| Some(o.unit_arn(call.partition(), &id))).await?;
    change(call, &organization, move |o| {
        o.unit(&id).ok_or_else(unit_not_found)?;
        if o.units.iter().any(|u| u.parent == id) || o.accounts.iter().any(|a| a.parent == id) {
            return Err(ApiError::organizational_unit_not_empty(
                "You attempted to delete an OU that still contains OUs or accounts.",
            ));
        }
        o.units.retain(|u| u.id != id);
        o.attachments.retain(|(_, target)| *target != id);
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

async fn list_units(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let parent = text(input, "ParentId");
    let organization = managed(call, "organizations:ListOrganizationalUnitsForParent", |o| {
        o.is_parent(parent).then(|| o.target_arn(call.partition(), parent))
    })
    .await?;
    if !organization.is_parent(parent) {
        return Err(parent_not_found());
    }
    let units: Vec<Value> =
        organization.units.iter().filter(|u| u.parent == parent).map(|u| unit_json(call, &organization, u)).collect();
    Ok(json!({"OrganizationalUnits": units}))
}

async fn list_children(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let parent = text(input, "ParentId");
    let kind = text(input, "ChildType");
    let organization = managed(call, "organizations:ListChildren", |o| {
        o.is_parent(parent).then(|| o.target_arn(call.partition(), parent))
    })
    .await?;
    if !organization.is_parent(parent) {
        return Err(parent_not_found());
    }
    let children: Vec<Value> = match kind {
        "ORGANIZATIONAL_UNIT" => organization
            .units
            .iter()
            .filter(|u| u.parent == parent)
            .map(|u| json!({"Id": u.id, "Type": kind}))
            .collect(),
        _ => organization
            .accounts
            .iter()
            .filter(|a| a.parent == parent)
            .map(|a| json!({"Id": a.id, "Type": kind}))
            .collect(),
    };
    Ok(json!({"Children": children}))
}

async fn list_parents(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let child = text(input, "ChildId");
    let organization = managed(call, "organizations:ListParents", |o| {
        o.parent_of(child).map(|_| o.target_arn(call.partition(), child))
    })
    .await?;
    let parent = organization.parent_of(child).ok_or_else(|| {
        ApiError::child_not_found(
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
        )
    })?;
    let kind = if parent == organization.root.id { "ROOT" } else { "ORGANIZATIONAL_UNIT" };
    Ok(json!({"Parents": [{"Id": parent, "Type": kind}]}))
}

async fn list_accounts(call: &Call<'_>, parent: Option<&str>) -> Result<Value, ApiError> {
    let action = if parent.is_some() { "organizations:ListAccountsForParent" } else { "organizations:ListAccounts" };
    let organization =
        managed(call, action, |o| parent.filter(|p| o.is_parent(p)).map(|p| o.target_arn(call.partition(), p))).await?;
    if parent.is_some_and(|p| !organization.is_parent(p)) {
        return Err(parent_not_found());
    }
    let accounts: Vec<Value> = organization
        .accounts
        .iter()
        .filter(|a| parent.is_none_or(|p| a.parent == p))
        .map(|a| account_json(call, &organization, a))
        .collect();
    Ok(json!({"Accounts": accounts}))
}

async fn describe_account(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "AccountId");
    let organization =
        managed(call, "organizations:DescribeAccount", |o| Some(o.account_arn(call.partition(), id))).await?;
    let account = organization.account(id).ok_or_else(account_not_found)?;
    Ok(json!({"Account": account_json(call, &organization, account)}))
}

async fn move_account(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let account = text(input, "AccountId").to_string();
    let source = text(input, "SourceParentId").to_string();
    let destination = text(input, "DestinationParentId").to_string();
    let organization =
        managed(call, "organizations:MoveAccount", |o| Some(o.account_arn(call.partition(), &account))).await?;
    // AWS authorizes MoveAccount on the account and on both parents: a deny on a unit holds.
    for parent in [&source, &destination] {
        authorize_target(call, &organization, "organizations:MoveAccount", parent, Vec::new()).await?;
    }
    change(call, &organization, move |o| {
        if !o.is_parent(&source) {
            return Err(ApiError::source_parent_not_found(
                "We can't find a source root or OU with the ParentId that you specified.",
            ));
        }
        if !o.is_parent(&destination) {
            return Err(ApiError::destination_parent_not_found(
                "We can't find a destination root or OU with the ParentId that you specified.",
            ));
        }
        let member = o.accounts.iter_mut().find(|a| a.id == account).ok_or_else(account_not_found)?;
        if member.parent == destination {
            return Err(ApiError::duplicate_account("That account is already present in the specified destination."));
        }
        if member.parent != source {
            return Err(ApiError::source_parent_not_found(
                "We can't find a source root or OU with the ParentId that you specified.",
            ));
        }
        member.parent = destination;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

/// The role CreateAccount makes in the new account when none is named (AWS Organizations User
/// Guide, "Accessing member accounts in your organization").
const ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

async fn create_account(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:CreateAccount", |_| None).await?;
    let name = text(input, "AccountName").to_string();
    let email = text(input, "Email").to_string();
    let role_name = optional(input, "RoleName").unwrap_or(ACCESS_ROLE).to_string();
    let requested = epoch(call);
    // A new account id that no account of this server has.
    let account = crate::new_account_id(&call.state.store.accounts().await?)?;
    let now = call.now();
    call.state.store.ensure_account(&account, &now, call.partition().as_str()).await?;
    // The access role: AdministratorAccess, trusted by the management account.
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:{}:iam::{}:root", call.partition(), organization.management_account)},
        "Action": "sts:AssumeRole"}]});
    let role_arn = format!("arn:{}:iam::{account}:role/{role_name}", call.partition());
    let mut role = Principal::new(PrincipalKind::Role, &role_name, &util::random_id("AROA", 21)?, "/", &role_arn, &now);
    role.trust_policy = Some(trust.to_string());
    role.max_session_duration = Some(3600);
    let administrator = format!("arn:{}:iam::aws:policy/AdministratorAccess", call.partition());
    call.state.store.create_role_with_policy(&account, &role, &administrator).await?;
    let request = CreateRequest {
        id: new_id("car-", 12)?,
        account_name: name.clone(),
        state: "SUCCEEDED".into(),
        requested,
        completed: Some(requested),
        account_id: Some(account.clone()),
        failure_reason: None,
    };
    let answer = CreateRequest { state: "IN_PROGRESS".into(), completed: None, account_id: None, ..request.clone() };
    change(call, &organization, move |o| {
        let root = o.root.id.clone();
        o.accounts.push(Member {
            id: account.clone(),
            name,
            email,
            parent: root,
            joined_method: "CREATED".into(),
            joined: requested,
        });
        o.attach_defaults(&account);
        o.create_requests.push(request);
        Ok(())
    })
    .await?;
    // As AWS answers: the request is in progress; DescribeCreateAccountStatus tells how it ended.
    Ok(json!({"CreateAccountStatus": create_status_json(&answer)}))
}

async fn describe_create_account_status(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "CreateAccountRequestId");
    let organization = managed(call, "organizations:DescribeCreateAccountStatus", |_| None).await?;
    let request = organization.create_requests.iter().find(|r| r.id == id).ok_or_else(|| {
        ApiError::create_account_status_not_found(
            "We can't find an create account request with the CreateAccountRequestId that you specified.",
        )
    })?;
    Ok(json!({"CreateAccountStatus": create_status_json(request)}))
}

async fn list_create_account_status(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:ListCreateAccountStatus", |_| None).await?;
    let statuses: Vec<Value> = organization.create_requests.iter().map(create_status_json).collect();
    Ok(json!({"CreateAccountStatuses": statuses}))
}

/// Checks a policy's content as Organizations does before storing it: its type's grammar
/// (`monban_policy::acceptance`, which `monban lint --policy-type scp|rcp` agrees with), within its
/// type's size ("Quotas and service limits for AWS Organizations"; through an
/// SDK the content is kept exactly as given, so every character counts).
fn check_content(kind: &str, content: &str) -> Result<(), ApiError> {
    let quota = if kind == RCP { Quota::RcpSize } else { Quota::ScpSize };
    if content.chars().count() as i64 > quota.value() {
        return Err(ApiError::constraint_violation(format!(
            "The provided policy document exceeds the maximum size limit of {} characters (POLICY_CONTENT_LIMIT_EXCEEDED).",
            quota.value()
        )));
    }
    let grammar = if kind == RCP { OrganizationPolicyKind::Rcp } else { OrganizationPolicyKind::Scp };
    check_organization_policy(content, grammar).map_err(|why| ApiError::malformed_policy_document_exception(why.0))?;
    // What Organizations accepts, the engine must be able to enforce.
    monban_policy::Policy::parse(content)
        .map(|_| ())
        .map_err(|e| ApiError::malformed_policy_document_exception(format!("{ORGANIZATIONS_MALFORMED} {e}")))
}

/// How many policies of `kind` one target may have attached.
fn per_target(kind: &str) -> usize {
    let quota = if kind == RCP { Quota::RcpsPerTarget } else { Quota::ScpsPerTarget };
    usize::try_from(quota.value()).unwrap_or(usize::MAX)
}

async fn create_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let kind = text(input, "Type").to_string();
    let organization = managed_with(call, "organizations:CreatePolicy", |_| policy_type(&kind), |_| None).await?;
    let policy = OrgPolicy {
        id: new_id("p-", 8)?,
        name: text(input, "Name").to_string(),
        description: text(input, "Description").to_string(),
        kind: text(input, "Type").to_string(),
        content: text(input, "Content").to_string(),
    };
    supported_type(&policy.kind)?;
    check_content(&policy.kind, &policy.content)?;
    let id = policy.id.clone();
    let organization = change(call, &organization, move |o| {
        if o.policies.iter().any(|p| p.name == policy.name && p.kind == policy.kind) {
            return Err(ApiError::duplicate_policy("A policy with the same name already exists."));
        }
        o.policies.push(policy);
        Ok(o.clone())
    })
    .await?;
    policy_json(call, &organization, &id).ok_or_else(policy_not_found)
}

async fn describe_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "PolicyId");
    let organization = managed_with(
        call,
        "organizations:DescribePolicy",
        |o| type_of(o, id),
        |o| o.policy(id).map(|p| o.policy_arn(call.partition(), id, &p.2)),
    )
    .await?;
    policy_json(call, &organization, id).ok_or_else(policy_not_found)
}

async fn update_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "PolicyId").to_string();
    let (name, description, content) = (
        optional(input, "Name").map(str::to_string),
        optional(input, "Description").map(str::to_string),
        optional(input, "Content").map(str::to_string),
    );
    let organization = managed_with(
        call,
        "organizations:UpdatePolicy",
        |o| type_of(o, &id),
        |o| o.policy(&id).map(|p| o.policy_arn(call.partition(), &id, &p.2)),
    )
    .await?;
    if let Some(content) = &content {
        let kind = organization.policy(&id).map(|p| p.2).ok_or_else(policy_not_found)?;
        check_content(&kind, content)?;
    }
    let updated_id = id.clone();
    let organization = change(call, &organization, move |o| {
        if AWS_MANAGED.iter().any(|(p, ..)| *p == id) {
            return Err(ApiError::access_denied("You can't change an AWS managed policy."));
        }
        let kind = o.policies.iter().find(|p| p.id == id).ok_or_else(policy_not_found)?.kind.clone();
        if let Some(name) = &name {
            if o.policies.iter().any(|p| p.name == *name && p.kind == kind && p.id != id) {
                return Err(ApiError::duplicate_policy("A policy with the same name already exists."));
            }
        }
        let policy = o.policies.iter_mut().find(|p| p.id == id).ok_or_else(policy_not_found)?;
        if let Some(name) = name {
            policy.name = name;
        }
        if let Some(description) = description {
            policy.description = description;
        }
        if let Some(content) = content {
            policy.content = content;
        }
        Ok(o.clone())
    })
    .await?;
    policy_json(call, &organization, &updated_id).ok_or_else(policy_not_found)
}

async fn delete_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "PolicyId").to_string();
    let organization = managed_with(
        call,
        "organizations:DeletePolicy",
        |o| type_of(o, &id),
        |o| o.policy(&id).map(|p| o.policy_arn(call.partition(), &id, &p.2)),
    )
    .await?;
    change(call, &organization, move |o| {
        if AWS_MANAGED.iter().any(|(p, ..)| *p == id) {
            return Err(ApiError::access_denied("You can't delete an AWS managed policy."));
        }
        if !o.policies.iter().any(|p| p.id == id) {
            return Err(policy_not_found());
        }
        if o.attachments.iter().any(|(p, _)| *p == id) {
            return Err(ApiError::policy_in_use("The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation."));
        }
        o.policies.retain(|p| p.id != id);
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

async fn list_policies(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let kind = text(input, "Filter");
    let organization = managed_with(call, "organizations:ListPolicies", |_| policy_type(kind), |_| None).await?;
    let ids = AWS_MANAGED
        .iter()
        .filter(|(_, _, k, _)| *k == kind)
        .map(|(id, ..)| id.to_string())
        .chain(organization.policies.iter().filter(|p| p.kind == kind).map(|p| p.id.clone()));
    let policies: Vec<Value> = ids.filter_map(|id| policy_summary(call, &organization, &id)).collect();
    Ok(json!({"Policies": policies}))
}

/// AttachPolicy's and DetachPolicy's caller's organization, policy id and target id, once the
/// caller is authorized on the policy and on the target.
async fn policy_and_target(
    call: &Call<'_>,
    input: &Value,
    action: &str,
) -> Result<(Organization, String, String), ApiError> {
    let (policy, target) = (text(input, "PolicyId").to_string(), text(input, "TargetId").to_string());
    let organization = managed_with(
        call,
        action,
        |o| type_of(o, &policy),
        |o| o.policy(&policy).map(|p| o.policy_arn(call.partition(), &policy, &p.2)),
    )
    .await?;
    authorize_target(call, &organization, action, &target, type_of(&organization, &policy)).await?;
    Ok((organization, policy, target))
}

async fn attach_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (organization, policy, target) = policy_and_target(call, input, "organizations:AttachPolicy").await?;
    change(call, &organization, move |o| {
        let kind = o.policy(&policy).ok_or_else(policy_not_found)?.2;
        if !o.is_target(&target) {
            return Err(target_not_found());
        }
        if !o.root.policy_types.contains(&kind) {
            return Err(ApiError::policy_type_not_enabled("This operation can be performed only for enabled policy types."));
        }
        if o.attachments.iter().any(|(p, t)| *p == policy && *t == target) {
            return Err(ApiError::duplicate_policy_attachment("The selected policy is already attached to the specified target."));
        }
        if o.attached(&target, &kind).len() >= per_target(&kind) {
            return Err(ApiError::constraint_violation(
                "You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED).",
            ));
        }
        o.attachments.push((policy, target));
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

async fn detach_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (organization, policy, target) = policy_and_target(call, input, "organizations:DetachPolicy").await?;
    change(call, &organization, move |o| {
        let kind = o.policy(&policy).ok_or_else(policy_not_found)?.2;
        if !o.is_target(&target) {
            return Err(target_not_found());
        }
        if policy == "p-RCPFullAWSAccess" {
            return Err(ApiError::invalid_input_exception("You can't detach this Amazon Web Services Managed Policy."));
        }
        if !o.attachments.iter().any(|(p, t)| *p == policy && *t == target) {
            return Err(ApiError::policy_not_attached("The policy isn't attached to the specified target in the specified root."));
        }
        // Every root, unit and account keeps at least one SCP while SCPs are enabled.
        if kind == SCP && o.attached(&target, SCP).len() <= 1 {
            return Err(ApiError::constraint_violation(
                "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required (MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED).",
            ));
        }
        o.attachments.retain(|(p, t)| !(*p == policy && *t == target));
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

async fn list_policies_for_target(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (target, kind) = (text(input, "TargetId"), text(input, "Filter"));
    let organization = managed_with(
        call,
        "organizations:ListPoliciesForTarget",
        |_| policy_type(kind),
        |o| o.is_target(target).then(|| o.target_arn(call.partition(), target)),
    )
    .await?;
    if !organization.is_target(target) {
        return Err(target_not_found());
    }
    let policies: Vec<Value> =
        organization.attached(target, kind).iter().filter_map(|id| policy_summary(call, &organization, id)).collect();
    Ok(json!({"Policies": policies}))
}

async fn list_targets_for_policy(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let policy = text(input, "PolicyId");
    let organization = managed_with(
        call,
        "organizations:ListTargetsForPolicy",
        |o| type_of(o, policy),
        |o| o.policy(policy).map(|p| o.policy_arn(call.partition(), policy, &p.2)),
    )
    .await?;
    organization.policy(policy).ok_or_else(policy_not_found)?;
    let targets: Vec<Value> = organization
        .attachments
        .iter()
        .filter(|(p, _)| p == policy)
        .map(|(_, target)| {
            let (kind, name) = if *target == organization.root.id {
                ("ROOT", "Root".to_string())
            } else if let Some(unit) = organization.unit(target) {
                ("ORGANIZATIONAL_UNIT", unit.name.clone())
            } else {
                ("ACCOUNT", organization.account(target).map(|a| a.name.clone()).unwrap_or_default())
            };
            json!({"TargetId": target, "Arn": organization.target_arn(call.partition(), target), "Name": name, "Type": kind})
        })
        .collect();
    Ok(json!({"Targets": targets}))
}

fn root_not_found() -> ApiError {
    ApiError::root_not_found("We can't find a root with the RootId that you specified.")
}

async fn enable_policy_type(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (root, kind) = (text(input, "RootId").to_string(), text(input, "PolicyType").to_string());
    supported_type(&kind)?;
    let organization = managed_with(
        call,
        "organizations:EnablePolicyType",
        |_| policy_type(&kind),
        |o| (o.root.id == root).then(|| o.root_arn(call.partition())),
    )
    .await?;
    let organization = change(call, &organization, move |o| {
        if o.root.id != root {
            return Err(root_not_found());
        }
        // "If you instead choose ... CONSOLIDATED_BILLING, ... you can't use organization policies"
        // (API Reference, CreateOrganization).
        if o.feature_set != "ALL" {
            return Err(ApiError::policy_type_not_available(
                "You can't use policy types in an organization that has only consolidated billing features.",
            ));
        }
        if o.root.policy_types.contains(&kind) {
            return Err(ApiError::policy_type_already_enabled("The specified policy type is already enabled."));
        }
        o.root.policy_types.push(kind.clone());
        // The type's AWS managed policy goes on every root, unit and account.
        let default = AWS_MANAGED.iter().find(|(_, _, k, _)| *k == kind).map(|(id, ..)| id.to_string());
        if let Some(default) = default {
            let targets: Vec<String> = std::iter::once(o.root.id.clone())
                .chain(o.units.iter().map(|u| u.id.clone()))
                .chain(o.accounts.iter().map(|a| a.id.clone()))
                .collect();
            for target in targets {
                o.attachments.push((default.clone(), target));
            }
        }
        Ok(o.clone())
    })
    .await?;
    Ok(json!({"Root": root_json(call, &organization)}))
}

async fn disable_policy_type(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let (root, kind) = (text(input, "RootId").to_string(), text(input, "PolicyType").to_string());
    let organization = managed_with(
        call,
        "organizations:DisablePolicyType",
        |_| policy_type(&kind),
        |o| (o.root.id == root).then(|| o.root_arn(call.partition())),
    )
    .await?;
    let organization = change(call, &organization, move |o| {
        if o.root.id != root {
            return Err(root_not_found());
        }
        if !o.root.policy_types.contains(&kind) {
            return Err(ApiError::policy_type_not_enabled(
                "This operation can be performed only for enabled policy types.",
            ));
        }
        o.root.policy_types.retain(|t| *t != kind);
        // Disabling a type detaches every policy of it.
        let of_kind: Vec<String> = o
            .attachments
            .iter()
            .filter(|(p, _)| o.policy(p).is_some_and(|p| p.2 == kind))
            .map(|(p, _)| p.clone())
            .collect();
        o.attachments.retain(|(p, _)| !of_kind.contains(p));
        Ok(o.clone())
    })
    .await?;
    Ok(json!({"Root": root_json(call, &organization)}))
}

/// EnableAWSServiceAccess / DisableAWSServiceAccess: trusted access for a service principal
/// (what IAM's centralized root access needs of `iam.amazonaws.com`).
async fn service_access(call: &Call<'_>, input: &Value, enable: bool) -> Result<Value, ApiError> {
    let principal = text(input, "ServicePrincipal").to_string();
    let action = if enable { "organizations:EnableAWSServiceAccess" } else { "organizations:DisableAWSServiceAccess" };
    let organization = managed_with(call, action, |_| service_principal(&principal), |_| None).await?;
    change(call, &organization, move |o| {
        o.service_access.retain(|p| *p != principal);
        if enable {
            o.service_access.push(principal);
        } else if principal == IAM_SERVICE {
            // Without trusted access IAM's centralized root access is off.
            o.root_features.clear();
        }
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

async fn list_service_access(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:ListAWSServiceAccessForOrganization", |_| None).await?;
    let enabled: Vec<Value> = organization
        .service_access
        .iter()
        .map(|p| json!({"ServicePrincipal": p, "DateEnabled": organization.accounts.first().map_or(0.0, |a| a.joined)}))
        .collect();
    Ok(json!({"EnabledServicePrincipals": enabled}))
}

/// IAM's service principal, which centralized root access needs trusted access for.
const IAM_SERVICE: &str = "iam.amazonaws.com";

/// IAM's centralized root access for member accounts (IAM User Guide, "Centrally manage root
/// access for member accounts"): EnableOrganizationsRootSessions and
/// EnableOrganizationsRootCredentialsManagement (with their Disable and ListOrganizationsFeatures),
/// called from the management account of an organization with all features and trusted access for
/// IAM. `RootSessions` is what lets AssumeRoot open a root session in a member account.
pub(crate) async fn root_access(call: &Call<'_>, op: crate::operation::IamOperation) -> Result<Value, ApiError> {
    use crate::operation::IamOperation as Op;
    call.authorize(Authorization::new(op.action(), "*")).await?;
    let stored = call.state.store.organization_of(call.account()).await?.ok_or_else(|| {
        ApiError::organization_not_found(
            "The request was rejected because no organization is associated with your account.",
        )
    })?;
    let organization = Organization::parse(&stored.document)?;
    if organization.management_account != call.account() {
        return Err(ApiError::account_not_management_or_delegated_administrator(
            "The request was rejected because the account making the request is not the management account or delegated administrator account for centralized root access.",
        ));
    }
    if organization.feature_set != "ALL" {
        return Err(ApiError::organization_not_in_all_features_mode(
            "The request was rejected because your organization does not have All features enabled.",
        ));
    }
    if !organization.service_access.iter().any(|p| p == IAM_SERVICE) {
        return Err(ApiError::service_access_not_enabled(
            "The request was rejected because trusted access is not enabled for IAM in AWS Organizations.",
        ));
    }
    let change_to = match op {
        Op::EnableOrganizationsRootSessions => Some(("RootSessions", true)),
        Op::DisableOrganizationsRootSessions => Some(("RootSessions", false)),
        Op::EnableOrganizationsRootCredentialsManagement => Some(("RootCredentialsManagement", true)),
        Op::DisableOrganizationsRootCredentialsManagement => Some(("RootCredentialsManagement", false)),
        _ => None,
    };
    let features = match change_to {
        None => organization.root_features.clone(),
        Some((feature, enable)) => {
            change(call, &organization, move |o| {
                // Decided again on the document as committed: trusted access may have gone meanwhile.
                if enable && !o.service_access.iter().any(|p| p == IAM_SERVICE) {
                    return Err(ApiError::service_access_not_enabled(
                        "The request was rejected because trusted access is not enabled for IAM in AWS Organizations.",
                    ));
                }
                o.root_features.retain(|f| f != feature);
                if enable {
                    o.root_features.push(feature.to_string());
                    o.root_features.sort();
                }
                Ok(o.root_features.clone())
            })
            .await?
        }
    };
    Ok(json!({"OrganizationId": organization.id, "EnabledFeatures": features}))
}

/// The ARN of a taggable resource: a root, unit, account or customer managed policy.
fn resource_arn(call: &Call<'_>, o: &Organization, id: &str) -> Option<String> {
    if o.is_target(id) {
        return Some(o.target_arn(call.partition(), id));
    }
    o.policies.iter().find(|p| p.id == id).map(|p| o.policy_arn(call.partition(), id, &p.kind))
}

fn resource_not_found() -> ApiError {
    ApiError::target_not_found("We can't find a root, OU, account, or policy with the ResourceId that you specified.")
}

/// The `Tags` of a request as (key, value) pairs.
fn tag_pairs(input: &Value) -> Vec<(String, String)> {
    input["Tags"]
        .as_array()
        .map(|tags| tags.iter().map(|t| (text(t, "Key").to_string(), text(t, "Value").to_string())).collect())
        .unwrap_or_default()
}

async fn tag_resource(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "ResourceId").to_string();
    let tags = tag_pairs(input);
    let organization = managed(call, "organizations:TagResource", |o| resource_arn(call, o, &id)).await?;
    change(call, &organization, move |o| {
        if resource_arn_exists(o, &id) {
            let existing = o.tags.entry(id).or_default();
            for (key, value) in tags {
                existing.retain(|(k, _)| *k != key);
                existing.push((key, value));
            }
            // "Quotas and service limits for AWS Organizations": 50 tags per resource.
            if existing.len() > 50 {
                return Err(ApiError::constraint_violation(
                    "You have exceeded the maximum number of tags allowed on this resource: 50.",
                ));
            }
            Ok(())
        } else {
            Err(resource_not_found())
        }
    })
    .await?;
    Ok(json!({}))
}

fn resource_arn_exists(o: &Organization, id: &str) -> bool {
    o.is_target(id) || o.policies.iter().any(|p| p.id == id)
}

async fn untag_resource(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "ResourceId").to_string();
    let keys: Vec<String> = input["TagKeys"]
        .as_array()
        .map(|k| k.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let organization = managed(call, "organizations:UntagResource", |o| resource_arn(call, o, &id)).await?;
    change(call, &organization, move |o| {
        if !resource_arn_exists(o, &id) {
            return Err(resource_not_found());
        }
        if let Some(existing) = o.tags.get_mut(&id) {
            existing.retain(|(k, _)| !keys.contains(k));
        }
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

async fn list_tags(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "ResourceId");
    let organization = managed(call, "organizations:ListTagsForResource", |o| resource_arn(call, o, id)).await?;
    if !resource_arn_exists(&organization, id) {
        return Err(resource_not_found());
    }
    let tags: Vec<Value> = organization
        .tags
        .get(id)
        .map(|tags| tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
        .unwrap_or_default();
    Ok(json!({"Tags": tags}))
}

/// RegisterDelegatedAdministrator / DeregisterDelegatedAdministrator: a member account named as
/// a service's delegated administrator. monban records the delegation; what it lets the account do
/// in the service is the service's (centralized root access keeps to the management account).
async fn delegate(call: &Call<'_>, input: &Value, register: bool) -> Result<Value, ApiError> {
    let account = text(input, "AccountId").to_string();
    let service = text(input, "ServicePrincipal").to_string();
    let action = if register {
        "organizations:RegisterDelegatedAdministrator"
    } else {
        "organizations:DeregisterDelegatedAdministrator"
    };
    let organization = managed_with(
        call,
        action,
        |_| service_principal(&service),
        |o| Some(o.account_arn(call.partition(), &account)),
    )
    .await?;
    let now = epoch(call);
    change(call, &organization, move |o| {
        if o.account(&account).is_none() {
            return Err(account_not_found());
        }
        if account == o.management_account {
            return Err(ApiError::constraint_violation(
                "You cannot register the management account as a delegated administrator (CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR).",
            ));
        }
        let registered = o.delegated.iter().any(|(a, s, _)| *a == account && *s == service);
        match (register, registered) {
            (true, true) => Err(ApiError::account_already_registered(
                "The provided account is already a delegated administrator for your organization.",
            )),
            (false, false) => Err(ApiError::account_not_registered(
                "The provided account is not a registered delegated administrator for your organization.",
            )),
            (true, false) => {
                o.delegated.push((account, service, now));
                Ok(())
            }
            (false, true) => {
                o.delegated.retain(|(a, s, _)| !(*a == account && *s == service));
                Ok(())
            }
        }
    })
    .await?;
    Ok(json!({}))
}

async fn list_delegated_administrators(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let service = optional(input, "ServicePrincipal");
    let organization = managed(call, "organizations:ListDelegatedAdministrators", |_| None).await?;
    let mut accounts: Vec<(&str, f64)> = organization
        .delegated
        .iter()
        .filter(|(_, s, _)| service.is_none_or(|service| service == s))
        .map(|(a, _, when)| (a.as_str(), *when))
        .collect();
    accounts.dedup_by_key(|(a, _)| *a);
    let listed: Vec<Value> = accounts
        .into_iter()
        .filter_map(|(id, when)| {
            let mut out = account_json(call, &organization, organization.account(id)?);
            out["DelegationEnabledDate"] = json!(when);
            Some(out)
        })
        .collect();
    Ok(json!({"DelegatedAdministrators": listed}))
}

async fn list_delegated_services(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let account = text(input, "AccountId");
    let organization = managed(call, "organizations:ListDelegatedServicesForAccount", |o| {
        Some(o.account_arn(call.partition(), account))
    })
    .await?;
    let services: Vec<Value> = organization
        .delegated
        .iter()
        .filter(|(a, _, _)| a == account)
        .map(|(_, s, when)| json!({"ServicePrincipal": s, "DelegationEnabledDate": when}))
        .collect();
    if services.is_empty() {
        return Err(ApiError::account_not_registered(
            "The provided account is not a registered delegated administrator for your organization.",
        ));
    }
    Ok(json!({"DelegatedServices": services}))
}

/// Takes a member account out of the organization: it becomes a standalone account again, with
/// its IAM entities, and no SCP or RCP applies to it any more.
fn remove_member(o: &mut Organization, account: &str) -> Result<(), ApiError> {
    if account == o.management_account {
        return Err(ApiError::master_cannot_leave_organization(
            "You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization.",
        ));
    }
    if o.account(account).is_none() {
        return Err(account_not_found());
    }
    o.accounts.retain(|a| a.id != account);
    o.attachments.retain(|(_, target)| target != account);
    o.tags.remove(account);
    o.delegated.retain(|(a, _, _)| a != account);
    Ok(())
}

async fn remove_account(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let account = text(input, "AccountId").to_string();
    let organization = managed(call, "organizations:RemoveAccountFromOrganization", |o| {
        Some(o.account_arn(call.partition(), &account))
    })
    .await?;
    change(call, &organization, move |o| remove_member(o, &account)).await?;
    Ok(json!({}))
}

/// LeaveOrganization: a member account leaves on its own.
async fn leave_organization(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = member_of(call).await?;
    call.authorize(Authorization::new("organizations:LeaveOrganization", "*")).await?;
    let account = call.account().to_string();
    change(call, &organization, move |o| remove_member(o, &account)).await?;
    Ok(json!({}))
}

/// How long an invitation stays open ("InviteAccountToOrganization": 15 days).
const HANDSHAKE_DAYS: f64 = 15.0;

fn handshake_not_found() -> ApiError {
    ApiError::handshake_not_found("We can't find a handshake with the HandshakeId that you specified.")
}

fn handshake_json(call: &Call<'_>, o: &Organization, h: &crate::organizations::Handshake) -> Value {
    let partition = call.partition();
    let state = if h.state == "OPEN" && h.expires < epoch(call) { "EXPIRED" } else { h.state.as_str() };
    let mut resources = vec![
        json!({"Type": "MASTER_EMAIL", "Value": o.management_email}),
        json!({"Type": "MASTER_NAME", "Value": o.management_account}),
        json!({"Type": "ORGANIZATION_FEATURE_SET", "Value": o.feature_set}),
    ];
    if let Some(notes) = &h.notes {
        resources.push(json!({"Type": "NOTES", "Value": notes}));
    }
    json!({
        "Id": h.id,
        "Arn": format!("arn:{partition}:organizations::{}:handshake/{}/invite/{}", o.management_account, o.id, h.id),
        "Parties": [{"Id": o.id, "Type": "ORGANIZATION"}, {"Id": h.account, "Type": "ACCOUNT"}],
        "State": state,
        "RequestedTimestamp": h.requested,
        "ExpirationTimestamp": h.expires,
        "Action": "INVITE",
        "Resources": [
            {"Type": "ORGANIZATION", "Value": o.id, "Resources": resources},
            {"Type": "ACCOUNT", "Value": h.account},
        ],
    })
}

/// InviteAccountToOrganization: an invitation to a standalone account of this server (an email
/// address names no account here). The account accepts it with AcceptHandshake.
async fn invite_account(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:InviteAccountToOrganization", |_| None).await?;
    let (party, kind) = (text(&input["Target"], "Id").to_string(), text(&input["Target"], "Type"));
    if kind != "ACCOUNT" {
        return Err(ApiError::invalid_input_exception(
            "monban invites accounts by id: an email address names no account of this server.",
        ));
    }
    if !call.state.store.accounts().await?.contains(&party) {
        return Err(account_not_found());
    }
    if call.state.store.organization_of(&party).await?.is_some() {
        return Err(ApiError::handshake_constraint_violation(
            "The account is already a member of an organization (ALREADY_IN_AN_ORGANIZATION).",
        ));
    }
    let now = epoch(call);
    let handshake = crate::organizations::Handshake {
        id: new_id("h-", 10)?,
        account: party.clone(),
        state: "OPEN".into(),
        requested: now,
        expires: now + HANDSHAKE_DAYS * 86_400.0,
        notes: optional(input, "Notes").map(str::to_string),
    };
    let organization = change(call, &organization, move |o| {
        if o.handshakes.iter().any(|h| h.account == party && h.state == "OPEN" && h.expires >= now) {
            return Err(ApiError::duplicate_handshake("An open invitation to that account exists already."));
        }
        o.handshakes.push(handshake);
        Ok(o.clone())
    })
    .await?;
    let handshake = organization.handshakes.last().ok_or_else(handshake_not_found)?;
    Ok(json!({"Handshake": handshake_json(call, &organization, handshake)}))
}

/// What the invited account or the organization does with an invitation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Decline,
    Cancel,
}

/// The organization that holds invitation `id`, whoever asks.
async fn holding(call: &Call<'_>, id: &str) -> Result<Organization, ApiError> {
    for stored in call.state.store.organizations().await? {
        let organization = Organization::parse(&stored.document)?;
        if organization.handshakes.iter().any(|h| h.id == id) {
            return Ok(organization);
        }
    }
    Err(handshake_not_found())
}

/// AcceptHandshake and DeclineHandshake by the invited account; CancelHandshake by the
/// organization's management account. Accepting makes the account a member under the root, with
/// the default policies of the enabled types.
async fn answer_handshake(call: &Call<'_>, input: &Value, answer: Answer) -> Result<Value, ApiError> {
    let id = text(input, "HandshakeId").to_string();
    let action = match answer {
        Answer::Accept => "organizations:AcceptHandshake",
        Answer::Decline => "organizations:DeclineHandshake",
        Answer::Cancel => "organizations:CancelHandshake",
    };
    call.authorize(Authorization::new(action, "*")).await?;
    let organization = holding(call, &id).await?;
    let caller = call.account().to_string();
    let allowed = match answer {
        Answer::Cancel => organization.management_account == caller,
        _ => organization.handshakes.iter().any(|h| h.id == id && h.account == caller),
    };
    if !allowed {
        return Err(handshake_not_found());
    }
    if answer == Answer::Accept && call.state.store.organization_of(&caller).await?.is_some() {
        return Err(ApiError::handshake_constraint_violation(
            "The account is already a member of an organization (ALREADY_IN_AN_ORGANIZATION).",
        ));
    }
    let now = epoch(call);
    let organization = change(call, &organization, move |o| {
        let handshake = o.handshakes.iter_mut().find(|h| h.id == id).ok_or_else(handshake_not_found)?;
        if handshake.state != "OPEN" || handshake.expires < now {
            return Err(ApiError::invalid_handshake_transition(
                "You can't perform the operation on the handshake in its current state.",
            ));
        }
        handshake.state = match answer {
            Answer::Accept => "ACCEPTED",
            Answer::Decline => "DECLINED",
            Answer::Cancel => "CANCELED",
        }
        .to_string();
        if answer == Answer::Accept {
            let account = handshake.account.clone();
            let root = o.root.id.clone();
            o.accounts.push(Member {
                id: account.clone(),
                name: account.clone(),
                email: format!("{account}@example.com"),
                parent: root,
                joined_method: "INVITED".into(),
                joined: now,
            });
            o.attach_defaults(&account);
        }
        Ok(o.clone())
    })
    .await?;
    let id = text(input, "HandshakeId");
    let handshake = organization.handshakes.iter().find(|h| h.id == id).ok_or_else(handshake_not_found)?;
    Ok(json!({"Handshake": handshake_json(call, &organization, handshake)}))
}

async fn describe_handshake(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let id = text(input, "HandshakeId");
    call.authorize(Authorization::new("organizations:DescribeHandshake", "*")).await?;
    let organization = holding(call, id).await?;
    let handshake = organization.handshakes.iter().find(|h| h.id == id).ok_or_else(handshake_not_found)?;
    // The invited account and the organization's management account see it; nobody else.
    if handshake.account != call.account() && organization.management_account != call.account() {
        return Err(handshake_not_found());
    }
    Ok(json!({"Handshake": handshake_json(call, &organization, handshake)}))
}

async fn list_handshakes_for_account(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("organizations:ListHandshakesForAccount", "*")).await?;
    let mut listed = Vec::new();
    for stored in call.state.store.organizations().await? {
        let organization = Organization::parse(&stored.document)?;
        for handshake in organization.handshakes.iter().filter(|h| h.account == call.account()) {
            listed.push(handshake_json(call, &organization, handshake));
        }
    }
    Ok(json!({"Handshakes": listed}))
}

async fn list_handshakes_for_organization(call: &Call<'_>) -> Result<Value, ApiError> {
    let organization = managed(call, "organizations:ListHandshakesForOrganization", |_| None).await?;
    let listed: Vec<Value> = organization.handshakes.iter().map(|h| handshake_json(call, &organization, h)).collect();
    Ok(json!({"Handshakes": listed}))
}
