//! The account: its alias, its summary and GetAccountAuthorizationDetails.

use monban_store::{Owner, Principal};
use serde_json::{json, Map, Value};

use super::*;

pub(super) async fn account_alias(call: &Call<'_>, op: IamOperation, input: &Value) -> Result<Value, ApiError> {
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

pub(super) async fn list_account_aliases(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:ListAccountAliases", "*")).await?;
    let aliases = call.state.store.account_alias(call.account()).await?.into_iter().map(Value::String).collect();
    Ok(paginate(input, aliases, "AccountAliases"))
}

pub(super) async fn account_summary(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetAccountSummary", "*")).await?;
    let mut map = Map::new();
    for (k, v) in call.state.store.summary(call.account()).await? {
        map.insert(k.into(), json!(v));
    }
    for quota in monban_store::Quota::ALL {
        if let Some(key) = quota.summary_key() {
            map.insert(key.into(), json!(quota.value()));
        }
    }
    // monban's root user signs in with access keys only: no MFA device, password or signing
    // certificate of its own.
    for key in ["AccountMFAEnabled", "AccountPasswordPresent", "AccountSigningCertificatesPresent"] {
        map.insert(key.into(), json!(0));
    }
    let version = call.state.store.global_endpoint_token_version(call.account()).await?;
    map.insert("GlobalEndpointTokenVersion".into(), json!(version));
    Ok(json!({"SummaryMap": map}))
}

/// One principal's inline and attached policies, as GetAccountAuthorizationDetails lists them.
pub(super) async fn principal_detail(call: &Call<'_>, p: &Principal) -> Result<Value, ApiError> {
    let account = call.account();
    let p = &current_trust(call, std::sync::Arc::new(p.clone())).await?;
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
pub(super) async fn authorization_details(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
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
    let usage = call.state.store.policy_usage(account).await?;
    let usage_of = |arn: &str| usage.get(arn).copied().unwrap_or_default();
    if wants("LocalManagedPolicy") {
        for p in call.state.store.list_managed_policies(account, "/").await? {
            let mut v = managed_json(&p, usage_of(&p.arn).boundaries, None);
            let versions = call.state.store.policy_versions(&p.arn).await?;
            v["PolicyVersionList"] = Value::Array(versions.iter().map(|version| version_json(version, true)).collect());
            policies.push(v);
        }
    }
    if wants("AWSManagedPolicy") {
        let mut aws: Vec<&managed::AwsPolicy> = managed::all().values().collect();
        aws.sort_by(|a, b| a.name.cmp(&b.name));
        let partition = call.partition();
        for p in aws.into_iter().filter(|p| usage_of(&p.arn_in(partition)).attachments > 0) {
            let mut v = aws_policy_json(p, partition, usage_of(&p.arn_in(partition)));
            v["PolicyVersionList"] = json!([{"Document": percent_encode(&p.document), "VersionId": p.version_id,
                "IsDefaultVersion": true, "CreateDate": p.updated}]);
            policies.push(v);
        }
    }
    out["Policies"] = Value::Array(policies);
    Ok(out)
}

/// SetSecurityTokenServicePreferences: which session tokens STS's global endpoint issues
/// (`v1Token`, valid only in Regions enabled by default, or `v2Token`, valid everywhere), as
/// GetAccountSummary's `GlobalEndpointTokenVersion` reports (IAM API Reference).
pub(super) async fn token_preferences(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:SetSecurityTokenServicePreferences", "*")).await?;
    let version = if text(input, "GlobalEndpointTokenVersion") == "v2Token" { 2 } else { 1 };
    call.state.store.set_global_endpoint_token_version(call.account(), version).await?;
    Ok(json!({}))
}
