//! Who is calling, and whether they may: SigV4 authentication against stored keys, then
//! authorization of every operation by the policy engine, with the request context AWS fills in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use monban_policy::eval::PolicySet;
use monban_policy::{authorize, context, Caller, ContextValue, Outcome, Policy, PolicyType, Request};
use monban_store::{AccessKey, Owner, Principal, PrincipalKind, Session};

use crate::error::ApiError;
use crate::operation::{Service, StsOperation};
use crate::{managed, util, State};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Identity {
    /// The account root user.
    Root {
        /// The account.
        account: String,
        /// The key used.
        access_key_id: String,
    },
    /// An IAM user with a long-term key.
    User {
        /// The account.
        account: String,
        /// The user.
        user: Box<Principal>,
        /// The key used.
        access_key_id: String,
    },
    /// An assumed-role session.
    Session {
        /// The account.
        account: String,
        /// The role.
        role: Box<Principal>,
        /// The session.
        session: Box<Session>,
    },
}

impl Identity {
    /// The caller's account.
    pub fn account(&self) -> &str {
        match self {
            Identity::Root { account, .. } | Identity::User { account, .. } | Identity::Session { account, .. } => {
                account
            }
        }
    }

    /// The caller's ARN, as GetCallerIdentity and AccessDenied messages show it.
    pub fn arn(&self) -> String {
        match self {
            Identity::Root { account, .. } => format!("arn:aws:iam::{account}:root"),
            Identity::User { user, .. } => user.arn.clone(),
            Identity::Session { account, role, session } => {
                format!("arn:aws:sts::{account}:assumed-role/{}/{}", role.name, session.session_name)
            }
        }
    }

    /// `aws:userid`: the account id for root, the user's id, or `ROLEID:session`.
    pub fn user_id(&self) -> String {
        match self {
            Identity::Root { account, .. } => account.clone(),
            Identity::User { user, .. } => user.id.clone(),
            Identity::Session { role, session, .. } => format!("{}:{}", role.id, session.session_name),
        }
    }

    /// The access key that signed the request.
    pub fn access_key_id(&self) -> &str {
        match self {
            Identity::Root { access_key_id, .. } | Identity::User { access_key_id, .. } => access_key_id,
            Identity::Session { session, .. } => &session.access_key_id,
        }
    }

    /// `aws:PrincipalType` and CloudTrail's `userIdentity.type`.
    pub fn principal_type(&self) -> &'static str {
        match self {
            Identity::Root { .. } => "Root",
            Identity::User { .. } => "IAMUser",
            Identity::Session { .. } => "AssumedRole",
        }
    }

    /// What the caller's policy set is cached under: a session's own key, since sessions of one
    /// role and name can carry different session policies.
    fn cache_key(&self) -> String {
        match self {
            Identity::Session { session, .. } => format!("{}|{}", self.account(), session.access_key_id),
            _ => format!("{}|{}", self.account(), self.arn()),
        }
    }

    fn caller(&self) -> Result<Caller, ApiError> {
        let role_arn = match self {
            Identity::Session { role, .. } => Some(role.arn.clone()),
            _ => None,
        };
        Caller::from_arn(&self.arn(), role_arn.as_deref()).map_err(ApiError::internal)
    }
}

/// What authentication reads for one access key: the key's owner and its still-sealed secret.
enum KeyRecord {
    /// A long-term key: root's, or an IAM user's (`None` if the user is gone).
    LongTerm { key: AccessKey, user: Option<Box<Principal>> },
    /// Temporary credentials and the role they are a session of (`None` if the role is gone).
    Session { session: Session, role: Option<Box<Principal>> },
}

/// Reads the records behind an access key id; `None` when there is no such key.
async fn key_record(state: &State, key_id: &str) -> Result<Option<KeyRecord>, ApiError> {
    if key_id.starts_with("ASIA") {
        let Some(session) = state.store.session(key_id).await? else { return Ok(None) };
        // The session belongs to the role it was issued for, by unique id: a role created later
        // under the same name is another role.
        let role = state.store.principal_by_id(&session.role_id).await?.filter(|r| r.kind == PrincipalKind::Role);
        return Ok(Some(KeyRecord::Session { session, role: role.map(Box::new) }));
    }
    let Some(key) = state.store.access_key(key_id).await? else { return Ok(None) };
    let user = match &key.user_name {
        None => None,
        Some(name) => state.store.principal(&key.account_id, PrincipalKind::User, name).await?.map(Box::new),
    };
    Ok(Some(KeyRecord::LongTerm { key, user }))
}

/// The service a request is for, from its credential scope: IAM and STS are the services this
/// endpoint serves, and the scope must name a region of the partition. A request signed for
/// another service or a region that does not exist is refused with AWS's words before its key is
/// looked up.
fn scoped_service(scope: &monban_sigv4::CredentialScope, action: &str) -> Result<Service, ApiError> {
    let service = match Service::from_signing_name(&scope.service) {
        Some(service) => service,
        None => {
            let other = scope.service.as_str();
            let expected = if StsOperation::from_wire(action).is_some() { "sts" } else { "iam" };
            return Err(monban_sigv4::Sigv4Error::Scope(monban_sigv4::ScopeMismatch::Service {
                expected: expected.into(),
                found: other.chars().take(64).collect(),
            })
            .into());
        }
    };
    if !crate::model::is_region(&scope.region) {
        return Err(monban_sigv4::Sigv4Error::Scope(monban_sigv4::ScopeMismatch::Region(
            scope.region.chars().take(64).collect(),
        ))
        .into());
    }
    Ok(service)
}

/// Looks the access key up, checks the signature, and returns the caller.
///
/// A Query request's body is the request itself, so the signature must cover it:
/// `UNSIGNED-PAYLOAD` is refused.
pub async fn authenticate(
    state: &State,
    request: &monban_sigv4::Request<'_>,
    action: &str,
    now: SystemTime,
) -> Result<(Identity, monban_sigv4::CredentialScope, Service), ApiError> {
    let options = monban_sigv4::Options::new().allow_unsigned_payload(false);
    let claim = monban_sigv4::parse(request, now, &options)?;
    let service = scoped_service(claim.scope(), action)?;
    let key_id = claim.access_key_id().to_string();
    let invalid = || ApiError::invalid_client_token("The security token included in the request is invalid.");
    let generation = state.generation();
    let record = match state.policies.keys.get(generation, &key_id) {
        Some(record) => record,
        None => {
            let record = Arc::new(key_record(state, &key_id).await?.ok_or_else(invalid)?);
            // A record whose user or role is gone is not kept: creating one of that name does not
            // invalidate the cache.
            if matches!(&*record, KeyRecord::LongTerm { user: Some(_), .. } | KeyRecord::Session { role: Some(_), .. })
                || matches!(&*record, KeyRecord::LongTerm { key, .. } if key.user_name.is_none())
            {
                state.policies.keys.put(generation, key_id.clone(), record.clone());
            }
            record
        }
    };
    match &*record {
        KeyRecord::Session { session, role } => {
            if claim.session_token().map(util::sha256_hex).as_deref() != Some(session.session_token_sha256.as_str()) {
                return Err(invalid());
            }
            if session.expires.as_str() <= util::iso8601(now).as_str() {
                return Err(ApiError::expired_token("The security token included in the request is expired"));
            }
            let secret = state.secrets.open(&session.secret)?;
            let role = role.clone().ok_or_else(invalid)?;
            let verified = claim.verify(Some(monban_sigv4::SigningSecret::new(secret, ())))?;
            let account = session.account_id.clone();
            Ok((Identity::Session { account, role, session: Box::new(session.clone()) }, verified.scope, service))
        }
        KeyRecord::LongTerm { key, user } => {
            if key.status != "Active" {
                return Err(invalid());
            }
            let secret = state.secrets.open(&key.secret)?;
            let verified = claim.verify(Some(monban_sigv4::SigningSecret::new(secret, ())))?;
            let account = key.account_id.clone();
            let identity = match (&key.user_name, user) {
                (None, _) => Identity::Root { account, access_key_id: key_id.clone() },
                (Some(_), Some(user)) => Identity::User { account, user: user.clone(), access_key_id: key_id.clone() },
                (Some(_), None) => return Err(invalid()),
            };
            state.note_key_use(&key_id, now, &verified.scope).await;
            Ok((identity, verified.scope, service))
        }
    }
}

/// Values computed from the IAM state, valid for one generation (see `StateInner::bump`): a value
/// read under generation `g` is only ever returned while the generation is still `g`. The
/// generation is read before the state, so a write that commits meanwhile bumps it past `g`.
pub(crate) struct Generational<V> {
    entries: Mutex<(u64, HashMap<String, V>)>,
}

impl<V> Default for Generational<V> {
    fn default() -> Self {
        Generational { entries: Mutex::new((0, HashMap::new())) }
    }
}

impl<V: Clone> Generational<V> {
    /// At most this many entries per generation; more start the map afresh.
    const CAPACITY: usize = 10_000;

    fn get(&self, generation: u64, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        (entries.0 == generation).then(|| entries.1.get(key).cloned()).flatten()
    }

    fn put(&self, generation: u64, key: String, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.0 < generation || (entries.0 == generation && entries.1.len() >= Self::CAPACITY) {
                *entries = (generation, HashMap::new());
            }
            if entries.0 == generation {
                entries.1.insert(key, value);
            }
        }
    }
}

/// Compiled policies and what authentication and authorization read for a caller, cached until
/// the next write that could change them.
#[derive(Default)]
pub struct PolicyCache {
    sets: Generational<Arc<PolicySet>>,
    keys: Generational<Arc<KeyRecord>>,
    tags: Generational<Arc<Vec<(String, String)>>>,
    documents: Mutex<HashMap<String, Arc<Policy>>>,
}

impl PolicyCache {
    /// Parses a stored document once; stored documents were validated when they were written.
    pub fn compile(&self, name: &str, document: &str) -> Result<Arc<Policy>, ApiError> {
        let cache_key = format!("{name}\u{0}{document}");
        if let Some(p) = self.documents.lock().ok().and_then(|d| d.get(&cache_key).cloned()) {
            return Ok(p);
        }
        let policy = Arc::new(
            Policy::parse(document)
                .map_err(|e| ApiError::internal(format!("stored policy `{name}` does not parse: {e}")))?
                .named(name),
        );
        if let Ok(mut d) = self.documents.lock() {
            if d.len() > 10_000 {
                d.clear();
            }
            d.insert(cache_key, policy.clone());
        }
        Ok(policy)
    }
}

/// The managed policy behind an ARN: customer managed (its default version) or AWS managed.
pub async fn managed_policy(state: &State, arn: &str) -> Result<Option<Arc<Policy>>, ApiError> {
    if let Some(aws) = managed::all().get(arn) {
        return Ok(Some(aws.policy.clone()));
    }
    let Some(policy) = state.store.managed_policy(arn).await? else { return Ok(None) };
    let versions = state.store.policy_versions(arn).await?;
    let Some(default) = versions.iter().find(|v| v.is_default) else { return Ok(None) };
    Ok(Some(state.policies.compile(&policy.name, &default.document)?))
}

async fn principal_policies(
    state: &State,
    account: &str,
    kind: PrincipalKind,
    name: &str,
    into: &mut Vec<Arc<Policy>>,
) -> Result<(), ApiError> {
    for (policy_name, document) in state.store.inline_policies(account, kind, name).await? {
        into.push(state.policies.compile(&policy_name, &document)?);
    }
    for arn in state.store.attached_policies(account, kind, name).await? {
        if let Some(p) = managed_policy(state, &arn).await? {
            into.push(p);
        }
    }
    Ok(())
}

/// Every policy that applies to the caller: a user's own and its groups' policies and its
/// boundary; a session's role policies, the role's boundary and the session policies.
pub async fn policy_set(state: &State, identity: &Identity) -> Result<Arc<PolicySet>, ApiError> {
    let generation = state.generation();
    let key = identity.cache_key();
    if let Some(set) = state.policies.sets.get(generation, &key) {
        return Ok(set);
    }
    let mut set = PolicySet::default();
    let account = identity.account();
    let boundary_arn = match identity {
        Identity::Root { .. } => None,
        Identity::User { user, .. } => {
            principal_policies(state, account, PrincipalKind::User, &user.name, &mut set.identity).await?;
            for group in state.store.groups_for_user(account, &user.name).await? {
                principal_policies(state, account, PrincipalKind::Group, &group.name, &mut set.identity).await?;
            }
            user.permissions_boundary.clone()
        }
        Identity::Session { role, session, .. } => {
            principal_policies(state, account, PrincipalKind::Role, &role.name, &mut set.identity).await?;
            if let Some(documents) = &session.session_policy {
                let documents: Vec<String> = serde_json::from_str(documents).unwrap_or_default();
                let mut policies = Vec::with_capacity(documents.len());
                for (i, d) in documents.iter().enumerate() {
                    policies.push(state.policies.compile(&format!("session policy {i}"), d)?);
                }
                set.session = Some(policies);
            }
            role.permissions_boundary.clone()
        }
    };
    if let Some(arn) = boundary_arn {
        set.boundary = managed_policy(state, &arn).await?;
        if set.boundary.is_none() {
            // A boundary whose policy is gone allows nothing (an empty policy).
            set.boundary =
                Some(Arc::new(Policy::parse(r#"{"Statement": []}"#).map_err(|e| ApiError::internal(e.to_string()))?));
        }
    }
    let set = Arc::new(set);
    state.policies.sets.put(generation, key, set.clone());
    Ok(set)
}

/// The caller's effective tags, for `aws:PrincipalTag/*`: a user's or role's own tags, with a
/// session's tags overriding its role's of the same key ("Passing session tags in AWS STS").
async fn effective_tags(state: &State, identity: &Identity) -> Result<Arc<Vec<(String, String)>>, ApiError> {
    let (kind, name) = match identity {
        Identity::Root { .. } => return Ok(Arc::default()),
        Identity::User { user, .. } => (PrincipalKind::User, &user.name),
        Identity::Session { role, .. } => (PrincipalKind::Role, &role.name),
    };
    let generation = state.generation();
    let key = format!("{}|{}|{name}", identity.account(), kind.as_str());
    let own = match state.policies.tags.get(generation, &key) {
        Some(tags) => tags,
        None => {
            let tags = state.store.tags(identity.account(), Owner::Principal(kind), name).await?;
            let tags: Arc<Vec<(String, String)>> = Arc::new(tags.into_iter().map(|t| (t.key, t.value)).collect());
            state.policies.tags.put(generation, key, tags.clone());
            tags
        }
    };
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
}

impl<'a> Authorization<'a> {
    /// An action on a resource with only the default context.
    pub fn new(action: &'a str, resource: &'a str) -> Authorization<'a> {
        Authorization { action, resource, context: Vec::new(), resource_policy: None }
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
    pub fn with_resource_tags(mut self, tags: &[monban_store::Tag]) -> Self {
        let pairs: Vec<(String, String)> = tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
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

fn article(phrase: &str) -> &'static str {
    if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Decides one operation; `AccessDenied` in AWS's message form when it is not allowed.
pub async fn check(state: &State, call: &CallContext<'_>, what: Authorization<'_>) -> Result<(), ApiError> {
    let identity = call.identity;
    if matches!(identity, Identity::Root { .. }) {
        // AWS: the root user has full access to its account (SCPs aside, which monban's server
        // does not model yet).
        return Ok(());
    }
    let policies = policy_set(state, identity).await?;
    let now_secs = call.now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let now_secs = i64::try_from(now_secs).unwrap_or(i64::MAX);
    let arn = identity.arn();
    let tags = effective_tags(state, identity).await?;
    let kind = match identity {
        Identity::Root { .. } => context::PrincipalKind::Root,
        Identity::User { user, .. } => context::PrincipalKind::User { name: &user.name, id: &user.id },
        Identity::Session { role, session, .. } => context::PrincipalKind::AssumedRole {
            role_id: &role.id,
            session_name: &session.session_name,
            token_issued: &session.created,
            mfa_age_seconds: session
                .mfa_authenticated
                .as_deref()
                .and_then(monban_policy::condition::parse_date)
                .map(|when| i64::try_from(i128::from(now_secs) - when / 1_000_000_000).unwrap_or(0)),
        },
    };
    let principal_arn = match identity {
        Identity::Session { role, .. } => role.arn.clone(),
        _ => arn.clone(),
    };
    let principal = context::Principal { kind, account: identity.account(), arn: &principal_arn, tags: &tags };
    let facts =
        // monban serves plain HTTP.
        context::RequestFacts {
            epoch_seconds: now_secs,
            source_ip: Some(&call.source_ip),
            region: &call.region,
            secure_transport: false,
        };
    let mut context = context::request_context(&principal, &facts);
    for (k, v) in what.context {
        context.insert(&k, v);
    }
    let request = Request::new(identity.caller()?, what.action, what.resource).with_context(context);
    let decision = match what.resource_policy {
        Some(resource_policy) => {
            let mut with_resource = (*policies).clone();
            with_resource.resource = Some(resource_policy);
            authorize(&request, &with_resource)
        }
        None => authorize(&request, &policies),
    };
    match decision.outcome {
        Outcome::Allow => Ok(()),
        Outcome::ExplicitDeny => {
            let by = decision.statements.first().map_or(PolicyType::Identity, |s| s.policy_type);
            Err(ApiError::access_denied(format!(
                "User: {arn} is not authorized to perform: {} on resource: {} with an explicit deny in {} {}",
                what.action,
                what.resource,
                article(by.phrase()),
                by.phrase()
            )))
        }
        Outcome::ImplicitDeny => {
            let by = decision.missing_allow.unwrap_or(PolicyType::Identity);
            Err(ApiError::access_denied(format!(
                "User: {arn} is not authorized to perform: {} on resource: {} because no {} allows the {} action",
                what.action,
                what.resource,
                by.phrase(),
                what.action
            )))
        }
    }
}
