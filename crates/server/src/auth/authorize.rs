//! Authorization of every operation by the policy engine, with the request context AWS fills
//! in (built by `monban_policy::context`, the one builder the analyzer uses too).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use monban_policy::eval::PolicySet;
use monban_policy::{authorize, context, Caller, ContextValue, Outcome, Policy, PolicyType, Request};
use monban_store::{Principal, PrincipalKind, SessionKind};

use crate::error::ApiError;
use crate::{managed, State};

use super::*;

/// The managed policy behind an ARN: customer managed (its default version) or AWS managed.
pub async fn managed_policy(state: &State, arn: &str) -> Result<Option<Arc<Policy>>, ApiError> {
    if let Some(aws) = managed::get(arn, state.config.partition) {
        return Ok(Some(aws.policy.clone()));
    }
    let Some(policy) = state.store.managed_policy(arn).await? else { return Ok(None) };
    let versions = state.store.policy_versions(arn).await?;
    let Some(default) = versions.iter().find(|v| v.is_default) else { return Ok(None) };
    Ok(Some(state.policies.compile(&policy.name, &default.document)?))
}

/// A user's, group's or role's inline and attached policies; what they were read from is added
/// to `read_from` (the principal, and each managed policy).
pub(crate) async fn principal_policies(
    state: &State,
    account: &str,
    kind: PrincipalKind,
    name: &str,
    into: &mut Vec<Arc<Policy>>,
    read_from: &mut Vec<Subject>,
) -> Result<(), ApiError> {
    read_from.push(Subject::principal(account, kind, name));
    for (policy_name, document) in state.store.inline_policies(account, kind, name).await? {
        into.push(state.policies.compile(&policy_name, &document)?);
    }
    for arn in state.store.attached_policies(account, kind, name).await? {
        read_from.push(Subject::managed_policy(&arn));
        if let Some(p) = managed_policy(state, &arn).await? {
            into.push(p);
        }
    }
    Ok(())
}

/// A user's identity policies: its own and its groups'.
async fn user_policies(
    state: &State,
    account: &str,
    user: &Principal,
    into: &mut Vec<Arc<Policy>>,
    read_from: &mut Vec<Subject>,
) -> Result<(), ApiError> {
    principal_policies(state, account, PrincipalKind::User, &user.name, into, read_from).await?;
    for group in state.store.groups_for_user(account, &user.name).await? {
        principal_policies(state, account, PrincipalKind::Group, &group.name, into, read_from).await?;
    }
    Ok(())
}

/// A role's trust policy as it applies now (principals it names that are gone match nobody; see
/// `auth/references.rs`), compiled. Cached by role id until the role changes, or a delete or a
/// rename (which moves the generation on) changes what the recorded ids resolve to.
pub async fn trust_policy(state: &State, role: &Principal) -> Result<Arc<Policy>, ApiError> {
    let at = state.policies.read_at();
    let cached = state.policies.trusts.get(at, &role.id);
    if let Some(trust) =
        cached.filter(|t| t.document == role.trust_policy && t.principal_ids == role.trust_principal_ids)
    {
        return Ok(trust.policy.clone());
    }
    let document = match role.trust_policy.as_deref() {
        Some(t) => crate::auth::references::resolve(state, t, role.trust_principal_ids.as_deref()).await?,
        None => r#"{"Statement": []}"#.to_string(),
    };
    let trust = state.policies.compile(&format!("trust policy of {}", role.name), &document)?;
    if let Some(arn) = monban_policy::arn::Arn::parse(&role.arn) {
        let read_from = [Subject::principal(arn.account(), PrincipalKind::Role, &role.name)];
        let compiled = Arc::new(CompiledTrust {
            document: role.trust_policy.clone(),
            principal_ids: role.trust_principal_ids.clone(),
            policy: trust.clone(),
        });
        state.policies.keep(&state.policies.trusts, at, role.id.clone(), compiled, &read_from);
    }
    Ok(trust)
}

/// Every policy that applies to the caller: a user's own and its groups' policies and its
/// boundary; a session's role policies, the role's boundary and the session policies.
pub async fn policy_set(state: &State, identity: &Identity) -> Result<Arc<PolicySet>, ApiError> {
    let at = state.policies.read_at();
    let key = identity.cache_key();
    let boundary_of_caller = match identity {
        Identity::User { user, .. } | Identity::Federated { user: Some(user), .. } => {
            user.permissions_boundary.as_deref()
        }
        Identity::Session { role, .. } => role.permissions_boundary.as_deref(),
        Identity::Root { .. } | Identity::Federated { user: None, .. } => None,
    };
    if let Some(cached) = state.policies.sets.get(at, &key).filter(|c| c.boundary.as_deref() == boundary_of_caller) {
        return Ok(cached.set.clone());
    }
    let mut set = PolicySet::default();
    let mut read_from = Vec::new();
    let account = identity.account();
    // A session's policies, when it has any; a federated user always has a list (empty when it was
    // made without a policy, which leaves it no permissions: STS API Reference, GetFederationToken).
    let session_policies = |session: &monban_store::Session| -> Result<Option<Vec<Arc<Policy>>>, ApiError> {
        let Some(documents) = &session.session_policy else { return Ok(None) };
        let documents: Vec<String> = serde_json::from_str(documents).unwrap_or_default();
        let mut policies = Vec::with_capacity(documents.len());
        for (i, d) in documents.iter().enumerate() {
            policies.push(state.policies.compile(&format!("session policy {i}"), d)?);
        }
        Ok(Some(policies))
    };
    let boundary_arn = match identity {
        // Root has every permission in its account; only SCPs limit it, and a root session's task
        // policy (AssumeRoot), whose denies apply as an identity policy's would: the task policies
        // are deny-only (IAM User Guide, "Perform a privileged task on an AWS Organizations member
        // account").
        Identity::Root { session, .. } => {
            set.identity.push(Arc::new(
                Policy::parse(r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)
                    .map_err(|e| ApiError::internal(e.to_string()))?,
            ));
            if let Some(session) = session.as_deref().filter(|s| s.kind == SessionKind::RootTask) {
                let task = session_policies(session)?.unwrap_or_default();
                // A root session without its task policy can do nothing, never everything.
                if task.is_empty() {
                    set.identity.clear();
                }
                set.identity.extend(task);
            }
            None
        }
        Identity::User { user, .. } => {
            user_policies(state, account, user, &mut set.identity, &mut read_from).await?;
            user.permissions_boundary.clone()
        }
        Identity::Federated { user, session, .. } => {
            set.session = Some(session_policies(session)?.unwrap_or_default());
            match user {
                Some(user) => {
                    user_policies(state, account, user, &mut set.identity, &mut read_from).await?;
                    user.permissions_boundary.clone()
                }
                // Root's federated users are capped by their session policies alone.
                None => {
                    set.identity.push(Arc::new(
                        Policy::parse(r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)
                            .map_err(|e| ApiError::internal(e.to_string()))?,
                    ));
                    None
                }
            }
        }
        Identity::Session { role, session, .. } => {
            let role_policies = &mut set.identity;
            principal_policies(state, account, PrincipalKind::Role, &role.name, role_policies, &mut read_from).await?;
            set.session = session_policies(session)?;
            role.permissions_boundary.clone()
        }
    };
    if let Some(arn) = boundary_arn {
        read_from.push(Subject::managed_policy(&arn));
        set.boundary = managed_policy(state, &arn).await?;
        if set.boundary.is_none() {
            // A boundary whose policy is gone allows nothing (an empty policy).
            set.boundary =
                Some(Arc::new(Policy::parse(r#"{"Statement": []}"#).map_err(|e| ApiError::internal(e.to_string()))?));
        }
    }
    // SCPs limit every principal of a member account but the service-linked roles (AWS
    // Organizations User Guide, "Service control policies (SCPs)").
    let service_linked =
        matches!(identity, Identity::Session { role, .. } if role.path.starts_with("/aws-service-role/"));
    if !service_linked {
        set.scps = crate::organizations::facts(state, account).await?.scps.clone();
    }
    let set = Arc::new(set);
    let cached = Arc::new(BoundedSet { boundary: boundary_of_caller.map(str::to_string), set: set.clone() });
    state.policies.keep(&state.policies.sets, at, key, cached, &read_from);
    Ok(set)
}

/// The caller's effective tags, for `aws:PrincipalTag/*`: a user's or role's own tags, with a
/// session's tags overriding its role's of the same key ("Passing session tags in AWS STS").
pub(crate) async fn effective_tags(state: &State, identity: &Identity) -> Result<Arc<Vec<(String, String)>>, ApiError> {
    let (kind, name) = match identity {
        Identity::Root { .. } => return Ok(Arc::default()),
        Identity::User { user, .. } => (PrincipalKind::User, &user.name),
        Identity::Session { role, .. } => (PrincipalKind::Role, &role.name),
        // A federated user has the tags it was given, not its maker's.
        Identity::Federated { session, .. } => {
            let given: HashMap<String, String> =
                session.session_tags.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
            return Ok(Arc::new(given.into_iter().collect()));
        }
    };
    let own = cache::principal_tags(state, identity.account(), kind, name).await?;
    let session_tags: HashMap<String, String> = match identity {
        Identity::Session { session, .. } => {
            session.session_tags.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
        }
        _ => HashMap::new(),
    };
    if session_tags.is_empty() {
        return Ok(own);
    }
    let mut merged: Vec<(String, String)> =
        own.iter().filter(|(k, _)| !session_tags.keys().any(|s| s.eq_ignore_ascii_case(k))).cloned().collect();
    merged.extend(session_tags);
    Ok(Arc::new(merged))
}

/// A tag as the store lists it, or as the cache keeps it (a key and a value).
pub trait TagPair {
    /// The tag's key.
    fn key(&self) -> &str;
    /// The tag's value.
    fn value(&self) -> &str;
}

impl TagPair for monban_store::Tag {
    fn key(&self) -> &str {
        &self.key
    }
    fn value(&self) -> &str {
        &self.value
    }
}

impl TagPair for (String, String) {
    fn key(&self) -> &str {
        &self.0
    }
    fn value(&self) -> &str {
        &self.1
    }
}

/// The organization policy type whose explicit deny refused a call, if that is what refused it:
/// what a handler that words its own denial (AssumeRole) still tells.
pub(crate) fn organization_deny(error: &ApiError) -> Option<&'static str> {
    [PolicyType::Scp, PolicyType::Rcp].into_iter().map(PolicyType::phrase).find(|phrase| {
        error.code == "AccessDenied" && error.message.ends_with(&format!("with an explicit deny in a {phrase}"))
    })
}

/// What one API call asks the engine: the action, the resource and the keys beyond the defaults.
pub struct Authorization<'a> {
    /// `iam:CreateUser`.
    pub action: &'a str,
    /// The target's ARN (`*` for actions without one).
    pub resource: &'a str,
    /// Extra context: `aws:RequestTag/*`, `aws:ResourceTag/*`, `iam:PermissionsBoundary`...
    pub context: Vec<(String, ContextValue)>,
    /// The resource's own policy (a role's trust policy for `sts:AssumeRole`).
    pub resource_policy: Option<Arc<Policy>>,
    /// Whose the resource is, when not the account its ARN names: AssumeRoot names a member
    /// account's root, which the management account's identity policies alone authorize (the
    /// organization, not a resource policy, is what lets them).
    pub resource_account: Option<&'a str>,
}

impl<'a> Authorization<'a> {
    /// An action on a resource with only the default context.
    pub fn new(action: &'a str, resource: &'a str) -> Authorization<'a> {
        Authorization { action, resource, context: Vec::new(), resource_policy: None, resource_account: None }
    }

    /// Adds a single-valued key.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context.push((key.to_string(), ContextValue::single(value.into())));
        self
    }

    /// Adds `aws:RequestTag/*` and `aws:TagKeys` for tags in the request.
    pub fn with_request_tags(mut self, tags: &[monban_store::Tag]) -> Self {
        if !tags.is_empty() {
            for t in tags {
                self.context.push((format!("aws:RequestTag/{}", t.key), ContextValue::single(t.value.clone())));
            }
            self.context.push(("aws:TagKeys".into(), ContextValue::multi(tags.iter().map(|t| t.key.clone()))));
        }
        self
    }

    /// Adds an existing IAM resource's tags (`aws:ResourceTag/*` and `iam:ResourceTag/*`).
    pub fn with_resource_tags(mut self, tags: &[impl TagPair]) -> Self {
        let pairs: Vec<(String, String)> = tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        for (key, value) in context::resource_tag_keys(&pairs, true) {
            self.context.push((key, ContextValue::single(value)));
        }
        self
    }
}

/// Everything about the call that AWS puts in the request context.
pub struct CallContext<'a> {
    /// The caller.
    pub identity: &'a Identity,
    /// When.
    pub now: SystemTime,
    /// From where.
    pub source_ip: String,
    /// `aws:RequestedRegion`: where AWS considers the request made.
    pub region: String,
}

pub(super) fn article(phrase: &str) -> &'static str {
    if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Decides one operation; `AccessDenied` in AWS's message form when it is not allowed.
pub async fn check(state: &State, call: &CallContext<'_>, what: Authorization<'_>) -> Result<(), ApiError> {
    let identity = call.identity;
    own_session_limits(identity, &what)?;
    let organization = crate::organizations::facts(state, identity.account()).await?;
    let task = matches!(identity, Identity::Root { session: Some(s), .. } if s.kind == SessionKind::RootTask);
    if matches!(identity, Identity::Root { .. }) && organization.scps.is_empty() && !task {
        // AWS: the root user has full access to its account; in a member account, SCPs limit it.
        return Ok(());
    }
    let policies = policy_set(state, identity).await?;
    let now_secs = call.now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let now_secs = i64::try_from(now_secs).unwrap_or(i64::MAX);
    let caller = caller_context(state, identity).await?;
    let facts =
        // monban serves plain HTTP.
        context::RequestFacts {
            epoch_seconds: now_secs,
            source_ip: Some(&call.source_ip),
            region: &call.region,
            secure_transport: false,
        };
    let mut context = context::request_context_over(&caller.keys, &facts);
    for (k, v) in what.context {
        context.insert(&k, v);
    }
    // The resource's organization: `aws:ResourceOrgID`/`aws:ResourceOrgPaths`, and the RCPs that
    // apply to it when the action's service is one RCPs cover.
    let resource_account = monban_policy::arn::Arn::parse(what.resource).map(|arn| arn.account().to_string());
    let resource_org = match resource_account.as_deref().filter(|a| !a.is_empty()) {
        Some(account) if account == identity.account() => Some(organization.clone()),
        Some(account) => Some(crate::organizations::facts(state, account).await?),
        None => None,
    };
    let mut rcps = Vec::new();
    if let Some(facts) = &resource_org {
        if let Some(id) = &facts.id {
            context.insert("aws:ResourceOrgID", ContextValue::single(id.clone()));
            if let Some(path) = &facts.path {
                context.insert("aws:ResourceOrgPaths", ContextValue::single(path.clone()));
            }
        }
        if crate::organizations::rcp_covers(what.action) {
            rcps = facts.rcps.clone();
        }
    }
    let mut request = Request::new(caller.caller.clone(), what.action, what.resource).with_context(context);
    if let Some(account) = what.resource_account {
        request = request.with_resource_account(account);
    }
    let mut with_extra;
    let policies = if what.resource_policy.is_some() || !rcps.is_empty() {
        with_extra = (*policies).clone();
        with_extra.resource = what.resource_policy;
        with_extra.rcps = rcps;
        &with_extra
    } else {
        &*policies
    };
    let decision = authorize(&request, policies);
    let principal_id = match identity {
        Identity::User { user, .. } => Some(&user.id),
        Identity::Session { role, .. } => Some(&role.id),
        Identity::Root { .. } | Identity::Federated { .. } => None,
    };
    if let Some(id) = principal_id {
        state.note_access(id, what.action, call.now, &call.region);
    }
    let arn = identity.arn();
    let message = match decision.outcome {
        Outcome::Allow => return Ok(()),
        Outcome::ExplicitDeny => {
            let by = decision.statements.first().map_or(PolicyType::Identity, |s| s.policy_type);
            format!(
                "User: {arn} is not authorized to perform: {} on resource: {} with an explicit deny in {} {}",
                what.action,
                what.resource,
                article(by.phrase()),
                by.phrase()
            )
        }
        Outcome::ImplicitDeny => {
            let by = decision.missing_allow.unwrap_or(PolicyType::Identity);
            format!(
                "User: {arn} is not authorized to perform: {} on resource: {} because no {} allows the {} action",
                what.action,
                what.resource,
                by.phrase(),
                what.action
            )
        }
    };
    // Only the request log reads what decided, so a denial costs an explanation only when someone
    // looks: a caller cannot make the server explain on demand.
    let decided_by = (state.config.request_log != crate::RequestLog::Off).then(|| {
        let decided_by = deciding_statement(&decision, policies);
        match near_miss(&request, policies, decision.missing_allow) {
            Some(near) => format!("{decided_by}; {near}").into(),
            None => decided_by.into(),
        }
    });
    Err(ApiError { decided_by, ..ApiError::access_denied(message) })
}

/// What every request of one caller shares: the engine's [`Caller`] and the caller's half of the
/// request context (its ARN, ids, tags, organization and session keys), built once per identity
/// and kept, by access key, until a write changes the principal or the organization.
pub(crate) struct CallerContext {
    /// The identity it was built for: authentication reads a changed principal or session into
    /// new records, which a kept context is then not used for.
    identity: Identity,
    caller: Caller,
    keys: context::PrincipalContext,
}

/// The caller's [`CallerContext`], through the cache.
async fn caller_context(state: &State, identity: &Identity) -> Result<Arc<CallerContext>, ApiError> {
    let at = state.policies.read_at();
    let key = identity.access_key_id();
    if let Some(kept) = state.policies.callers.get(at, key).filter(|c| c.identity.is_same(identity)) {
        return Ok(kept);
    }
    let organization = crate::organizations::facts(state, identity.account()).await?;
    let tags = effective_tags(state, identity).await?;
    let mfa_at = |session: &monban_store::Session| {
        let at = session.mfa_authenticated.as_deref().and_then(monban_policy::condition::parse_date)?;
        i64::try_from(at / 1_000_000_000).ok()
    };
    let kind = match identity {
        Identity::Root { .. } => context::PrincipalKind::Root,
        Identity::User { user, session: None, .. } => context::PrincipalKind::User { name: &user.name, id: &user.id },
        Identity::User { user, session: Some(session), .. } => context::PrincipalKind::UserSession {
            name: &user.name,
            id: &user.id,
            token_issued: &session.created,
            mfa_authenticated_at: mfa_at(session),
        },
        Identity::Session { role, session, .. } => context::PrincipalKind::AssumedRole {
            role_id: &role.id,
            session_name: &session.session_name,
            token_issued: &session.created,
            mfa_authenticated_at: mfa_at(session),
        },
        Identity::Federated { session, .. } => {
            context::PrincipalKind::FederatedUser { name: &session.session_name, token_issued: &session.created }
        }
    };
    let arn = identity.arn();
    let principal_arn = match identity {
        Identity::Session { role, .. } => &role.arn,
        _ => &arn,
    };
    let org = organization.id.as_deref().map(|id| context::Organization { id, path: organization.path.as_deref() });
    let principal =
        context::Principal { kind, account: identity.account(), arn: principal_arn, tags: &tags, organization: org };
    let built = Arc::new(CallerContext {
        identity: identity.clone(),
        caller: identity.caller()?,
        keys: context::principal_context(&principal),
    });
    // Its tags are its user's or role's (a federated user's and root's change with nothing but
    // the organization, whose every write empties the caches).
    let read_from: Vec<Subject> = match identity {
        Identity::User { user, .. } => vec![Subject::principal(identity.account(), PrincipalKind::User, &user.name)],
        Identity::Session { role, .. } => vec![Subject::principal(identity.account(), PrincipalKind::Role, &role.name)],
        Identity::Root { .. } | Identity::Federated { .. } => Vec::new(),
    };
    state.policies.keep(&state.policies.callers, at, key.to_string(), built.clone(), &read_from);
    Ok(built)
}

/// What a user's or root's own temporary credentials (GetSessionToken) may not do, whatever the
/// policies say (STS API Reference, GetSessionToken): call IAM unless they were issued with MFA,
/// or call STS beyond AssumeRole (GetCallerIdentity needs no authorization).
fn own_session_limits(identity: &Identity, what: &Authorization<'_>) -> Result<(), ApiError> {
    let action = what.action.to_ascii_lowercase();
    // A federated user calls neither IAM nor STS, GetCallerIdentity aside (which needs no
    // authorization) (STS API Reference, GetFederationToken).
    if matches!(identity, Identity::Federated { .. }) && (action.starts_with("iam:") || action.starts_with("sts:")) {
        return Err(ApiError::access_denied(format!(
            "User: {} is not authorized to perform: {} on resource: {}: a federated user calls neither IAM nor \
             STS",
            identity.arn(),
            what.action,
            what.resource
        )));
    }
    let (Identity::User { session: Some(session), .. } | Identity::Root { session: Some(session), .. }) = identity
    else {
        return Ok(());
    };
    // The limits below are GetSessionToken's; an AssumeRoot session has its task policy instead.
    if session.kind == SessionKind::RootTask {
        return Ok(());
    }
    let refused = if action.starts_with("iam:") && session.mfa_authenticated.is_none() {
        "temporary credentials from GetSessionToken call IAM only when they were issued with MFA"
    } else if action.starts_with("sts:")
        && !matches!(action.as_str(), "sts:assumerole" | "sts:tagsession" | "sts:setsourceidentity")
    {
        "temporary credentials from GetSessionToken call only AssumeRole and GetCallerIdentity in STS"
    } else {
        return Ok(());
    };
    Err(ApiError::access_denied(format!(
        "User: {} is not authorized to perform: {} on resource: {}: {refused}",
        identity.arn(),
        what.action,
        what.resource
    )))
}

/// For a missing allow: the first allow statement of that policy type that matched the action and
/// resource but whose condition failed, the near miss a person trying policies wants to see.
/// Only denied calls pay for it.
fn near_miss(request: &Request, policies: &PolicySet, missing: Option<PolicyType>) -> Option<String> {
    let missing = missing?;
    let explanation = monban_policy::explain(request, policies);
    let s = explanation
        .policies
        .iter()
        .filter(|p| p.policy_type == missing)
        .flat_map(|p| &p.statements)
        .find(|s| s.effect == monban_policy::Effect::Allow && s.result == "condition_failed")?;
    let (operator, key) = (s.operator.as_deref().unwrap_or("?"), s.key.as_deref().unwrap_or("?"));
    let absent = if s.key_missing == Some(true) { " (the key is not in the request)" } else { "" };
    Some(format!(
        "statement `{}` of `{}` matched but its condition {operator} on `{key}` failed{absent}",
        s.statement, s.policy
    ))
}

/// Names what decided a denial, for the request log: the deny statement (its `Sid` or position
/// and its policy), or the policy type that had no allow and, where there is one, its policy.
fn deciding_statement(decision: &monban_policy::eval::Decision, policies: &PolicySet) -> String {
    let name = |policy: Option<&Arc<Policy>>| policy.and_then(|p| p.name.as_deref()).map(|n| format!(" `{n}`"));
    match (decision.outcome, decision.statements.first(), decision.missing_allow) {
        (Outcome::ExplicitDeny, Some(at), _) => {
            let policy = policies.policy_at(at);
            let statement = policy.and_then(|p| p.statements.get(usize::from(at.statement)));
            let sid = match statement.and_then(|s| s.sid.as_deref()) {
                Some(sid) => format!("statement `{sid}`"),
                None => format!("statement {}", at.statement + 1),
            };
            format!("{sid} of the {}{}", at.policy_type.phrase(), name(policy).unwrap_or_default())
        }
        (_, _, Some(PolicyType::PermissionsBoundary)) => {
            let boundary = name(policies.boundary.as_ref()).unwrap_or_default();
            format!("a missing allow in the permissions boundary{boundary}")
        }
        (_, _, missing) => {
            let phrase = missing.unwrap_or(PolicyType::Identity).phrase();
            let plural = phrase.strip_suffix("policy").map_or(phrase.to_owned(), |stem| format!("{stem}policies"));
            format!("a missing allow in the {plural}")
        }
    }
}

#[cfg(test)]
mod tests {
    use monban_store::PrincipalChange;

    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn caller(user: &Principal) -> Identity {
        Identity::User {
            account: ACCOUNT.into(),
            user: Arc::new(user.clone()),
            access_key_id: "AKIAALICEEXAMPLE0001".into(),
            session: None,
        }
    }

    /// A running server's state (the server is returned to keep it running) with user `alice`.
    async fn server_with_alice() -> (crate::Server, State, Principal) {
        let server = crate::Server::start(crate::Config::ephemeral(ACCOUNT)).await.unwrap();
        let state = server.state().clone();
        let arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
        let alice =
            Principal::new(PrincipalKind::User, "alice", "AIDAALICEEXAMPLE00001", "/", &arn, "2026-12-08T00:00:00Z");
        state.store.create_principal(ACCOUNT, &alice).await.unwrap();
        (server, state, alice)
    }

    /// The commit race, replayed step by step: a boundary is put and committed while the policy
    /// set computed without it is still cached (the write's invalidation has not run yet), and a
    /// caller whose row authentication read after the commit names the boundary. The kept set
    /// must not serve that caller.
    #[tokio::test]
    async fn a_kept_policy_set_is_not_used_for_a_caller_whose_row_names_another_boundary() {
        let (_server, state, alice) = server_with_alice().await;
        assert!(policy_set(&state, &caller(&alice)).await.unwrap().boundary.is_none());

        let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        state.store.change_principal(ACCOUNT, &alice, PrincipalChange::Boundary(Some(boundary.into()))).await.unwrap();
        let mut bounded = alice.clone();
        bounded.permissions_boundary = Some(boundary.into());
        let set = policy_set(&state, &caller(&bounded)).await.unwrap();
        assert!(set.boundary.is_some(), "the set kept without the boundary served a caller that has one");
    }

    /// The same race for a role's trust policy: a trust compiled from the old document is not
    /// used for a role row that holds the new one.
    #[tokio::test]
    async fn a_kept_trust_policy_is_not_used_for_a_role_row_with_another_document() {
        let server = crate::Server::start(crate::Config::ephemeral(ACCOUNT)).await.unwrap();
        let state = server.state().clone();
        let document = |sid: &str| {
            format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{sid}", "Effect": "Allow",
                "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:root"}}, "Action": "sts:AssumeRole"}}]}}"#
            )
        };
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/deployer");
        let mut role =
            Principal::new(PrincipalKind::Role, "deployer", "AROADEPLOYEREXAMPLE01", "/", &arn, "2026-12-08T00:00:00Z");
        role.trust_policy = Some(document("Old"));
        state.store.create_principal(ACCOUNT, &role).await.unwrap();
        let sid = |policy: &Policy| policy.statements.first().and_then(|s| s.sid.clone());
        assert_eq!(sid(&trust_policy(&state, &Arc::new(role.clone())).await.unwrap()).as_deref(), Some("Old"));

        let change = PrincipalChange::Trust { policy: document("New"), principal_ids: None };
        state.store.change_principal(ACCOUNT, &role, change).await.unwrap();
        role.trust_policy = Some(document("New"));
        assert_eq!(sid(&trust_policy(&state, &Arc::new(role)).await.unwrap()).as_deref(), Some("New"));
    }

    /// A caller's context is kept by access key, and used only for the identity records it was
    /// built from: a caller read again (here, a renamed user signing with the same key) gets its
    /// own.
    #[tokio::test]
    async fn a_kept_caller_context_serves_only_the_identity_it_was_built_from() {
        let (_server, state, alice) = server_with_alice().await;
        let facts =
            context::RequestFacts { epoch_seconds: 0, source_ip: None, region: "us-east-1", secure_transport: false };
        let username = |caller: &CallerContext| {
            let context = context::request_context_over(&caller.keys, &facts);
            context.get("aws:username").map(|v| v.values().join(","))
        };
        let first = caller(&alice);
        let kept = caller_context(&state, &first).await.unwrap();
        assert_eq!(username(&kept).as_deref(), Some("alice"));
        assert!(Arc::ptr_eq(&kept, &caller_context(&state, &first).await.unwrap()), "kept for the same identity");

        let mut renamed = alice.clone();
        renamed.name = "alicia".into();
        renamed.arn = format!("arn:aws:iam::{ACCOUNT}:user/alicia");
        let second = caller_context(&state, &caller(&renamed)).await.unwrap();
        assert_eq!(username(&second).as_deref(), Some("alicia"));
    }
}
