//! STS operations: GetCallerIdentity, AssumeRole, AssumeRoot, GetSessionToken,
//! GetFederationToken, GetAccessKeyInfo and DecodeAuthorizationMessage; the federation operations
//! are in [`federated`].
//!
//! AWS: "AWS Security Token Service API Reference" (AssumeRole, GetCallerIdentity) and
//! "Session policies", "Passing session tags in AWS STS".

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use monban_policy::arn::Arn;
use monban_store::{PrincipalKind, Session, SessionKind};
use serde_json::{json, Value};

use crate::auth::{Authorization, Identity};
use crate::error::ApiError;
use crate::handlers::iam::{self, text};
use crate::operation::{Handler, StsOperation};
use crate::{util, Call, State};

pub(crate) mod federated;
mod outbound;

/// The handler of each STS operation, or `None` for those monban does not implement (see
/// [`crate::handlers::iam::handler`]).
pub(crate) fn handler(op: StsOperation) -> Option<Handler<StsOperation>> {
    use StsOperation as Op;
    let handler: Handler<StsOperation> = match op {
        Op::AssumeRole => |_, c, i| Box::pin(assume_role(c, i)),
        Op::GetCallerIdentity => |_, c, _| Box::pin(get_caller_identity(c)),
        Op::GetAccessKeyInfo => |_, c, i| Box::pin(access_key_info(c, i)),
        Op::DecodeAuthorizationMessage => |_, c, i| Box::pin(decode_authorization_message(c, i)),
        Op::GetSessionToken => |_, c, i| Box::pin(get_session_token(c, i)),
        Op::GetFederationToken => |_, c, i| Box::pin(get_federation_token(c, i)),
        Op::AssumeRoot => |_, c, i| Box::pin(assume_root(c, i)),
        // Signed or not, the token is the credential (see `request::handle` for unsigned calls).
        Op::AssumeRoleWithWebIdentity => |_, c, i| {
            Box::pin(federated::assume_role_with_web_identity(c.state, i, c.context.now, &c.context.source_ip))
        },
        Op::AssumeRoleWithSAML => {
            |_, c, i| Box::pin(federated::assume_role_with_saml(c.state, i, c.context.now, &c.context.source_ip))
        }
        Op::GetWebIdentityToken => |_, c, i| Box::pin(outbound::get_web_identity_token(c, i)),
        Op::GetDelegatedAccessToken => return None,
    };
    Some(handler)
}

/// AWS: no permission is needed to call GetCallerIdentity, and an explicit deny does not stop it.
async fn get_caller_identity(call: &Call<'_>) -> Result<Value, ApiError> {
    let identity = call.identity();
    Ok(json!({"UserId": identity.user_id(), "Account": identity.account(), "Arn": identity.arn()}))
}

/// GetAccessKeyInfo: the account an access key (long-term or temporary) belongs to, whatever the
/// account (STS API Reference: "returns the account identifier for the specified access key ID").
async fn access_key_info(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("sts:GetAccessKeyInfo", "*")).await?;
    let key_id = text(input, "AccessKeyId");
    let account = match call.state.store.access_key(key_id).await? {
        Some(key) => Some(key.account_id),
        None => call.state.store.session(key_id).await?.map(|s| s.account_id),
    };
    let account = account
        .ok_or_else(|| ApiError::invalid_parameter_value(format!("The access key ID {key_id} does not exist.")))?;
    Ok(json!({"Account": account}))
}

/// DecodeAuthorizationMessage: monban's denials carry their explanation in the message itself and
/// never an encoded authorization message, so no message it is given can be one of its own.
async fn decode_authorization_message(call: &Call<'_>, _input: &Value) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("sts:DecodeAuthorizationMessage", "*")).await?;
    Err(ApiError::invalid_authorization_message(
        "The encoded authorization message is not one monban issued: monban's AccessDenied messages are not encoded.",
    ))
}

/// New temporary credentials of `kind` in `account` for the principal with unique id
/// `principal_id`, lasting `duration` seconds: the session to store (its secret sealed, its token kept only as a digest)
/// and the `Credentials` to answer with, the only place the secret and token are ever shown.
fn issue(
    state: &State,
    now: SystemTime,
    account: &str,
    kind: SessionKind,
    (principal_id, principal_name): (String, String),
    session_name: &str,
    duration: i64,
) -> Result<(Session, Value), ApiError> {
    let secret = util::random_secret()?;
    let token = util::random_token()?;
    let expires = util::iso8601(now + Duration::from_secs(duration.max(0) as u64));
    let session = Session {
        kind,
        access_key_id: util::random_id("ASIA", 20)?,
        account_id: account.into(),
        secret: state.secrets.seal(&secret)?,
        session_token_sha256: util::sha256_hex(&token),
        role_id: principal_id,
        role_name: principal_name,
        session_name: session_name.into(),
        session_policy: None,
        session_tags: None,
        source_identity: None,
        mfa_authenticated: None,
        expires: expires.clone(),
        created: util::iso8601(now),
    };
    let credentials = json!({"AccessKeyId": session.access_key_id, "SecretAccessKey": secret, "SessionToken": token,
        "Expiration": expires});
    Ok((session, credentials))
}

/// GetSessionToken: an IAM user's (or the root user's) own temporary credentials, with the same
/// permissions, proving MFA when a device's code is given (STS API Reference, GetSessionToken).
/// No policy governs it ("You cannot use policies to control authentication operations"); it
/// takes long-term credentials only. Users' sessions last 900 s to 36 h (12 h by default); root's
/// at most an hour.
async fn get_session_token(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let identity = call.identity();
    if identity.session().is_some() {
        return Err(ApiError::access_denied("Cannot call GetSessionToken with session credentials"));
    }
    let (kind, principal_id, name) = match identity {
        Identity::User { user, .. } => (SessionKind::User, user.id.clone(), user.name.clone()),
        Identity::Root { account, .. } => (SessionKind::Root, account.clone(), String::new()),
        Identity::Session { .. } | Identity::Federated { .. } => {
            return Err(ApiError::access_denied("Cannot call GetSessionToken with session credentials"))
        }
    };
    let requested = input.get("DurationSeconds").and_then(Value::as_i64);
    let duration = match kind {
        // "If you specify a duration longer than one hour, the session for AWS account owners
        // defaults to one hour."
        SessionKind::Root => requested.unwrap_or(3600).min(3600),
        _ => requested.unwrap_or(43_200),
    };
    let mfa = match (input.get("SerialNumber").and_then(Value::as_str), input.get("TokenCode").and_then(Value::as_str))
    {
        (Some(serial), Some(token)) => {
            crate::handlers::iam::mfa::authenticate(call, serial, token).await?;
            Some(call.now())
        }
        (None, None) => None,
        _ => {
            return Err(ApiError::access_denied(
                "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
            ))
        }
    };
    let (mut session, credentials) =
        issue(call.state, call.context.now, call.account(), kind, (principal_id, name), "", duration)?;
    session.mfa_authenticated = mfa;
    call.state.store.create_session(&session).await?;
    Ok(json!({"Credentials": credentials}))
}

/// GetFederationToken: temporary credentials for a federated user named by the caller, an IAM user
/// (or root) with long-term credentials. Its permissions are the intersection of the maker's and
/// the session policies passed; without one it has none. It calls neither IAM nor STS besides
/// GetCallerIdentity (STS API Reference, GetFederationToken).
async fn get_federation_token(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let identity = call.identity();
    let name = text(input, "Name");
    let account = call.account().to_string();
    let arn = format!("arn:{}:sts::{account}:federated-user/{name}", call.partition());
    let (maker_id, user) = match identity {
        Identity::User { user, session: None, .. } => (user.id.clone(), Some(user)),
        Identity::Root { session: None, .. } => (account.clone(), None),
        _ => {
            return Err(ApiError::access_denied("Cannot call GetFederationToken with session credentials"));
        }
    };
    let tags = iam::tags(input);
    iam::check_tags(&tags)?;
    call.authorize(Authorization::new("sts:GetFederationToken", &arn).with_request_tags(&tags)).await?;
    if !tags.is_empty() {
        call.authorize(Authorization::new("sts:TagSession", &arn).with_request_tags(&tags)).await?;
    }
    let requested = input.get("DurationSeconds").and_then(Value::as_i64);
    let duration = match user {
        Some(_) => requested.unwrap_or(43_200),
        // Root's federated users last at most an hour.
        None => requested.unwrap_or(3600).min(3600),
    };
    let documents = session_policies(call.state, input, &account).await?;
    let session_tags: BTreeMap<&str, &str> = tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
    let maker_name = user.map(|u| u.name.clone()).unwrap_or_default();
    let (mut session, credentials) = issue(
        call.state,
        call.context.now,
        &account,
        SessionKind::FederatedUser,
        (maker_id, maker_name),
        name,
        duration,
    )?;
    // Always a list: an empty one leaves the federated user no permissions.
    session.session_policy = Some(json!(documents).to_string());
    session.session_tags = (!session_tags.is_empty()).then(|| json!(session_tags).to_string());
    call.state.store.create_session(&session).await?;
    let packed: usize = documents.iter().map(|d| monban_store::policy_size(d) as usize).sum();
    let limit = monban_store::Quota::SessionPolicySize.value() as usize;
    Ok(json!({
        "Credentials": credentials,
        "FederatedUser": {"FederatedUserId": format!("{account}:{name}"), "Arn": arn},
        "PackedPolicySize": packed * 100 / limit,
    }))
}

/// The session policies a request passes (`Policy` and `PolicyArns`), as documents: what caps the
/// session's permissions (IAM User Guide, "Session policies"). Managed ones must be AWS's or in
/// `account`.
async fn session_policies(state: &State, input: &Value, account: &str) -> Result<Vec<String>, ApiError> {
    let mut session_documents = Vec::new();
    if let Some(policy) = input.get("Policy").and_then(Value::as_str) {
        // "The plaintext that you use for both inline and managed session policies can't exceed
        // 2,048 characters" (STS API Reference, AssumeRole: Policy); checked before parsing.
        let limit = monban_store::Quota::SessionPolicySize.value();
        if i64::try_from(policy.chars().count()).unwrap_or(i64::MAX) > limit {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have \
                 length less than or equal to {limit}"
            )));
        }
        let partition = state.config.partition;
        crate::handlers::iam::validate_document_in(partition, policy, crate::handlers::iam::DocumentKind::Session)?;
        session_documents.push(policy.to_string());
    }
    for arn in input.get("PolicyArns").and_then(Value::as_array).into_iter().flatten() {
        let arn = text(arn, "arn");
        let document = match crate::managed::get(arn, state.config.partition) {
            Some(aws) => aws.document.clone(),
            // Managed session policies must be in the role's account (STS API Reference,
            // AssumeRole: PolicyArns).
            None if crate::handlers::iam::policy_account(arn) != Some(account) => {
                return Err(ApiError::invalid_input(format!("Policy {arn} does not exist or is not attachable.")));
            }
            None => {
                let versions = state.store.policy_versions(arn).await.map_err(|_| {
                    ApiError::invalid_input(format!("Policy {arn} does not exist or is not attachable."))
                })?;
                versions.into_iter().find(|v| v.is_default).map(|v| v.document).unwrap_or_default()
            }
        };
        session_documents.push(document);
    }
    Ok(session_documents)
}

async fn assume_role(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let role_arn = text(input, "RoleArn");
    let session_name = text(input, "RoleSessionName");
    let identity = call.identity();
    let denied = || {
        ApiError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            identity.arn()
        ))
    };
    if matches!(identity, Identity::Root { .. }) {
        // AWS: the root user cannot assume roles.
        return Err(denied());
    }
    let arn = Arn::parse(role_arn).filter(|a| a.service() == "iam" && a.region().is_empty());
    let Some(arn) = arn.filter(|a| a.resource_type() == "role") else {
        return Err(ApiError::validation(format!("{role_arn} is invalid")));
    };
    let (account, role_name) = (arn.account(), arn.resource_name());
    let role = crate::auth::principal(call.state, account, PrincipalKind::Role, role_name)
        .await?
        .filter(|r| r.arn == role_arn);
    let Some(role) = role else { return Err(denied()) };
    // The trust policy as it applies now: principals it named that are gone match nobody.
    let trust = crate::auth::trust_policy(call.state, &role).await?;

    let tags = iam::tags(input);
    let mut authz = Authorization::new("sts:AssumeRole", role_arn)
        .with_request_tags(&tags)
        .with("sts:RoleSessionName", session_name);
    if let Some(external_id) = input.get("ExternalId").and_then(Value::as_str) {
        authz = authz.with("sts:ExternalId", external_id);
    }
    if let Some(source) = input.get("SourceIdentity").and_then(Value::as_str) {
        authz = authz.with("sts:SourceIdentity", source);
    }
    // MFA-protected role assumption (IAM User Guide, "Configuring MFA-protected API access"): a
    // valid code of the caller's device makes aws:MultiFactorAuthPresent true, here and in the session.
    let mfa = match (input.get("SerialNumber").and_then(Value::as_str), input.get("TokenCode").and_then(Value::as_str))
    {
        (Some(serial), Some(token)) => {
            crate::handlers::iam::mfa::authenticate(call, serial, token).await?;
            authz = authz.with("aws:MultiFactorAuthPresent", "true").with("aws:MultiFactorAuthAge", "0");
            Some(call.now())
        }
        (None, None) => None,
        _ => {
            return Err(ApiError::access_denied(
                "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
            ))
        }
    };
    authz.resource_policy = Some(trust.clone());
    // The role's existence is not told, but an organization's policy that denies is, as AWS
    // does ("with an explicit deny in a resource control policy").
    call.authorize(authz).await.map_err(|e| match e.code {
        "AccessDenied" => match crate::auth::organization_deny(&e) {
            Some(by) => ApiError::access_denied(format!("{} with an explicit deny in a {by}", denied().message)),
            None => denied(),
        },
        _ => e,
    })?;
    // Session tags need `sts:TagSession` ("Passing session tags in AWS STS"), and a source identity
    // `sts:SetSourceIdentity` ("Monitor and control actions taken with assumed roles"), each allowed
    // by the caller's policies and by the role's trust policy.
    let source_identity = input.get("SourceIdentity").and_then(Value::as_str);
    let companions = [(!tags.is_empty(), "sts:TagSession"), (source_identity.is_some(), "sts:SetSourceIdentity")];
    for (_, companion) in companions.into_iter().filter(|(needed, _)| *needed) {
        let mut authz = Authorization::new(companion, role_arn).with_request_tags(&tags);
        if let Some(source) = source_identity {
            authz = authz.with("sts:SourceIdentity", source);
        }
        authz.resource_policy = Some(trust.clone());
        call.authorize(authz).await.map_err(|e| {
            if e.code == "AccessDenied" {
                ApiError::access_denied(format!(
                    "User: {} is not authorized to perform: {companion} on resource: {role_arn}",
                    identity.arn()
                ))
            } else {
                e
            }
        })?;
    }

    // AWS: DurationSeconds may not exceed the role's maximum, and role chaining caps it at an hour.
    let duration = input.get("DurationSeconds").and_then(Value::as_i64).unwrap_or(3600);
    let max =
        if matches!(identity, Identity::Session { .. }) { 3600 } else { role.max_session_duration.unwrap_or(3600) };
    if duration > max {
        return Err(ApiError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }

    let session_documents = session_policies(call.state, input, account).await?;
    let session_tags: BTreeMap<&str, &str> = tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();

    let (mut session, credentials) = issue(
        call.state,
        call.context.now,
        account,
        SessionKind::Role,
        (role.id.clone(), role.name.clone()),
        session_name,
        duration,
    )?;
    session.session_policy = (!session_documents.is_empty()).then(|| json!(session_documents).to_string());
    session.session_tags = (!session_tags.is_empty()).then(|| json!(session_tags).to_string());
    session.source_identity = input.get("SourceIdentity").and_then(Value::as_str).map(String::from);
    session.mfa_authenticated = mfa;
    call.state.store.create_session(&session).await?;
    let mut out = json!({
        "Credentials": credentials,
        "AssumedRoleUser": {"AssumedRoleId": format!("{}:{session_name}", role.id),
            "Arn": format!("arn:{}:sts::{account}:assumed-role/{}/{session_name}", call.partition(), role.name)},
    });
    if let Some(source) = &session.source_identity {
        out["SourceIdentity"] = Value::String(source.clone());
    }
    Ok(out)
}

/// The task policies AssumeRoot takes: AWS managed policies under `root-task/` (IAM User Guide,
/// "Perform a privileged task on an AWS Organizations member account").
const ROOT_TASK_POLICIES: &str = ":iam::aws:policy/root-task/";

/// AssumeRoot: a short root session (at most 15 minutes) in a member account, opened from the
/// management account of an organization whose centralized root access has root sessions enabled
/// (IAM's EnableOrganizationsRootSessions), limited by its task policy (STS API Reference,
/// AssumeRoot). The caller needs `sts:AssumeRoot` on the member account's root
/// (`arn:aws:iam::TARGET:root`, with `sts:TaskPolicyArn`).
async fn assume_root(call: &Call<'_>, input: &Value) -> Result<Value, ApiError> {
    let target = text(input, "TargetPrincipal").to_string();
    let task_arn = input.pointer("/TaskPolicyArn/arn").and_then(Value::as_str).unwrap_or_default().to_string();
    let root_arn = format!("arn:{}:iam::{target}:root", call.partition());
    let mut authz = Authorization::new("sts:AssumeRoot", &root_arn).with("sts:TaskPolicyArn", task_arn.as_str());
    authz.resource_account = Some(call.account());
    call.authorize(authz).await?;
    let refused = |why: &str| {
        ApiError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRoot on resource: {root_arn}: {why}",
            call.identity().arn()
        ))
    };
    if matches!(call.identity(), Identity::Root { .. }) {
        return Err(refused("the root user cannot call AssumeRoot"));
    }
    let organization = match call.state.store.organization_of(call.account()).await? {
        Some(stored) => crate::organizations::Organization::parse(&stored.document)?,
        None => return Err(refused("the account is in no organization")),
    };
    if organization.management_account != call.account() {
        return Err(refused("only the management account opens root sessions"));
    }
    let trusted = organization.service_access.iter().any(|p| p == "iam.amazonaws.com");
    if !trusted || !organization.root_features.iter().any(|f| f == "RootSessions") {
        return Err(refused("root sessions are not enabled for the organization (EnableOrganizationsRootSessions)"));
    }
    if target == organization.management_account || organization.account(&target).is_none() {
        return Err(refused("the target is not a member account of the organization"));
    }
    let task = match task_arn.contains(ROOT_TASK_POLICIES) {
        true => crate::managed::get(&task_arn, call.partition()),
        false => None,
    };
    let Some(task) = task else {
        return Err(ApiError::invalid_parameter_value(format!("{task_arn} is not a root task policy")));
    };
    let duration = input.get("DurationSeconds").and_then(Value::as_i64).unwrap_or(900).min(900);
    let (mut session, credentials) = issue(
        call.state,
        call.context.now,
        &target,
        SessionKind::RootTask,
        (target.clone(), String::new()),
        "",
        duration,
    )?;
    session.session_policy = Some(json!([task.document]).to_string());
    call.state.store.create_session(&session).await?;
    Ok(json!({"Credentials": credentials}))
}
