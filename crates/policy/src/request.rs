//! What is being asked: who, which action, on what, in which context.
//!
//! The engine takes a request as given and never fills anything in: the IAM server (or the user of
//! `monban eval`) supplies `aws:username`, `aws:CurrentTime` and every other key as AWS would.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::pattern::Lookup;

/// Who makes a request. The kind decides how resource-based policies, session policies and
/// `NotPrincipal` treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CallerKind {
    /// No credentials: only resource-based policies that allow everyone can grant access.
    Anonymous,
    /// The account root user: allowed everything its account's SCPs and resource policies allow.
    Root,
    /// An IAM user.
    User,
    /// An IAM role itself (rare as a caller; a role acts through sessions).
    Role,
    /// An assumed-role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    RoleSession,
    /// A federated user session from `GetFederationToken`.
    FederatedUser,
    /// An AWS service principal.
    Service,
    /// A web identity or SAML provider's user, before or without a role.
    WebIdentity,
}

/// Why an ARN does not name a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    /// Not an ARN at all.
    #[error("`{0}` is not an ARN")]
    NotAnArn(String),
    /// An ARN without an account.
    #[error("`{0}` is not an ARN with an account")]
    NoAccount(String),
    /// An ARN of something that cannot make requests.
    #[error("`{0}` is not a user, role, role session, federated user or root ARN")]
    NotAPrincipal(String),
    /// A role session ARN given without its role's ARN.
    #[error("role session `{0}` needs `role_arn`, the role behind it")]
    SessionWithoutRole(String),
}

/// The caller, with the identities resource-based policies can name it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// What kind of caller this is.
    pub kind: CallerKind,
    /// The caller's ARN, or the service or provider name for service and web-identity callers.
    pub arn: Option<Box<str>>,
    /// For role sessions: the role's ARN, with path.
    pub role_arn: Option<Box<str>>,
    /// The caller's account, from its ARN.
    pub account: Option<Box<str>>,
    /// The S3 canonical user id, if known.
    pub canonical_user: Option<Box<str>>,
}

impl Caller {
    /// An anonymous caller.
    pub fn anonymous() -> Caller {
        Caller { kind: CallerKind::Anonymous, arn: None, role_arn: None, account: None, canonical_user: None }
    }

    /// A caller identified by ARN: user, role, role session, federated user or root. The kind
    /// and account come from the ARN; `role_arn` is needed for role sessions.
    pub fn from_arn(arn: &str, role_arn: Option<&str>) -> Result<Caller, CallerError> {
        let Some(parsed) = crate::arn::Arn::parse(arn) else {
            return Err(CallerError::NotAnArn(arn.to_string()));
        };
        let account = parsed.account();
        if account.is_empty() {
            return Err(CallerError::NoAccount(arn.to_string()));
        }
        let kind = match (parsed.service(), parsed.resource()) {
            ("iam", "root") => CallerKind::Root,
            ("iam", r) if r.starts_with("user/") => CallerKind::User,
            ("iam", r) if r.starts_with("role/") => CallerKind::Role,
            ("sts", r) if r.starts_with("assumed-role/") => CallerKind::RoleSession,
            ("sts", r) if r.starts_with("federated-user/") => CallerKind::FederatedUser,
            _ => return Err(CallerError::NotAPrincipal(arn.to_string())),
        };
        if kind == CallerKind::RoleSession && role_arn.is_none() {
            return Err(CallerError::SessionWithoutRole(arn.to_string()));
        }
        Ok(Caller {
            kind,
            arn: Some(arn.into()),
            role_arn: role_arn.filter(|_| kind == CallerKind::RoleSession).map(Box::from),
            account: Some(account.into()),
            canonical_user: None,
        })
    }

    /// An AWS service principal such as `lambda.amazonaws.com`.
    pub fn service(name: &str) -> Caller {
        Caller { kind: CallerKind::Service, arn: Some(name.into()), ..Caller::anonymous() }
    }

    /// A web identity or SAML provider's user.
    pub fn web_identity(provider: &str) -> Caller {
        Caller { kind: CallerKind::WebIdentity, arn: Some(provider.into()), ..Caller::anonymous() }
    }

    /// Whether this caller is a session (role or federated user), to which session policies apply.
    pub fn is_session(&self) -> bool {
        matches!(self.kind, CallerKind::RoleSession | CallerKind::FederatedUser)
    }
}

/// FxHash: condition keys are short and trusted-length, so a fast non-cryptographic hash is right.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
    }
}

/// One context key's values. A list is a multivalued key even when it holds one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextValue(Values);

/// A single value is kept without a list around it: every request builds a dozen of them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Values {
    Single(Box<str>),
    Multi(Box<[Box<str>]>),
}

impl ContextValue {
    /// A single-valued key.
    pub fn single(value: impl Into<Box<str>>) -> ContextValue {
        ContextValue(Values::Single(value.into()))
    }

    /// A multivalued key such as `aws:TagKeys`.
    pub fn multi<I: IntoIterator<Item = S>, S: Into<Box<str>>>(values: I) -> ContextValue {
        ContextValue(Values::Multi(values.into_iter().map(Into::into).collect()))
    }

    /// The values.
    pub fn values(&self) -> &[Box<str>] {
        match &self.0 {
            Values::Single(value) => std::slice::from_ref(value),
            Values::Multi(values) => values,
        }
    }

    /// Whether the key is multivalued.
    pub fn is_multivalued(&self) -> bool {
        matches!(self.0, Values::Multi(_))
    }
}

/// The request context: condition keys (case-insensitive) and their values, over an optional
/// shared base whose keys apply unless set here (see [`Context::over`]).
#[derive(Debug, Clone, Default)]
pub struct Context {
    entries: HashMap<Cow<'static, str>, ContextValue, BuildHasherDefault<KeyHasher>>,
    base: Option<Arc<Context>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// An empty context with room for `n` keys.
    pub fn with_capacity(n: usize) -> Context {
        Context { entries: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()), base: None }
    }

    /// An empty context over `base`: every key of `base` applies unless it is set here. A
    /// principal's keys are the same on each of its requests; a server builds them once and lays
    /// each request's few own keys (time, region, source) over them instead of copying them.
    pub fn over(base: Arc<Context>) -> Context {
        // One level at most: a base over a base is flattened, so that lookups stay two probes.
        let base = match &base.base {
            None => base,
            Some(_) => {
                let mut flat = Context::with_capacity(base.entries.len());
                for (key, value) in base.iter() {
                    flat.entries.insert(Cow::Owned(key.to_string()), value.clone());
                }
                Arc::new(flat)
            }
        };
        Context { entries: HashMap::with_capacity_and_hasher(8, BuildHasherDefault::default()), base: Some(base) }
    }

    /// Sets a key (replacing any earlier value).
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        // Condition keys are nearly always ASCII, whose lower case needs no Unicode tables.
        let key = if key.is_ascii() { key.to_ascii_lowercase() } else { key.to_lowercase() };
        self.entries.insert(Cow::Owned(key), value);
    }

    /// Sets a key named by a constant already in lower case (`aws:epochtime`): the keys every
    /// request carries cost no allocation for their names.
    pub(crate) fn insert_static(&mut self, key_lowercase: &'static str, value: ContextValue) {
        debug_assert!(!key_lowercase.chars().any(char::is_uppercase), "{key_lowercase} is not lower case");
        self.entries.insert(Cow::Borrowed(key_lowercase), value);
    }

    /// Looks a key up by its lower-cased name.
    pub fn get(&self, key_lowercase: &str) -> Option<&ContextValue> {
        self.entries.get(key_lowercase).or_else(|| self.base.as_deref()?.entries.get(key_lowercase))
    }

    /// Every key (lower-cased) and value, in no particular order; a key set here hides the base's.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        let own = self.entries.iter().map(|(k, v)| (&**k, v));
        let base = self.base.iter().flat_map(|base| base.entries.iter());
        own.chain(base.filter(|(k, _)| !self.entries.contains_key(&**k)).map(|(k, v)| (&**k, v)))
    }
}

/// Two contexts are equal when they give the same keys the same values, however they are layered.
impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.iter().count() == other.iter().count() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for Context {}

impl Lookup for Context {
    fn single(&self, key_lowercase: &str) -> Option<&str> {
        match self.get(key_lowercase) {
            Some(ContextValue(Values::Single(value))) => Some(value),
            _ => None,
        }
    }
}

/// One authorization question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Who asks.
    pub caller: Caller,
    action: Box<str>,
    action_lowercase: Box<str>,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: Box<str>,
    /// The account that owns the resource, when known.
    pub resource_account: Option<Box<str>>,
    /// Condition keys and values.
    pub context: Context,
}

impl Request {
    /// A request for `action` on `resource`. The resource's account defaults to the one in its
    /// ARN and, for ARNs without one (S3 buckets), to the caller's.
    pub fn new(caller: Caller, action: &str, resource: &str) -> Request {
        let from_arn = crate::arn::Arn::parse(resource).map(|a| a.account()).filter(|a| !a.is_empty());
        let resource_account = from_arn.map(Box::from).or_else(|| caller.account.clone());
        Request {
            caller,
            action: action.into(),
            action_lowercase: if action.is_ascii() { action.to_ascii_lowercase() } else { action.to_lowercase() }
                .into(),
            resource: resource.into(),
            resource_account,
            context: Context::new(),
        }
    }

    /// Sets the account that owns the resource.
    pub fn with_resource_account(mut self, account: &str) -> Request {
        self.resource_account = Some(account.into());
        self
    }

    /// Sets the context.
    pub fn with_context(mut self, context: Context) -> Request {
        self.context = context;
        self
    }

    /// The action as given.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The action lower-cased, which is how action patterns are compiled.
    pub fn action_lowercase(&self) -> &str {
        &self.action_lowercase
    }

    /// Whether caller and resource are in the same account.
    pub fn is_same_account(&self) -> bool {
        matches!((&self.caller.account, &self.resource_account), (Some(a), Some(b)) if a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(context: &Context, key: &str) -> Option<String> {
        context.get(key).map(|v| v.values().join(","))
    }

    #[test]
    fn a_context_over_a_base_sees_the_base_unless_it_sets_the_key_itself() {
        let mut base = Context::new();
        base.insert("aws:PrincipalArn", ContextValue::single("arn:aws:iam::123456789012:user/alice"));
        base.insert("aws:SourceIp", ContextValue::single("192.0.2.1"));
        let base = Arc::new(base);
        let mut request = Context::over(base.clone());
        request.insert("aws:SourceIp", ContextValue::single("198.51.100.7"));
        request.insert("aws:RequestedRegion", ContextValue::single("eu-west-1"));

        assert_eq!(single(&request, "aws:principalarn").as_deref(), Some("arn:aws:iam::123456789012:user/alice"));
        assert_eq!(single(&request, "aws:sourceip").as_deref(), Some("198.51.100.7"));
        assert_eq!(request.single("aws:sourceip"), Some("198.51.100.7"));
        assert_eq!(single(&base, "aws:sourceip").as_deref(), Some("192.0.2.1"), "the base is not changed");
        let mut keys: Vec<&str> = request.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["aws:principalarn", "aws:requestedregion", "aws:sourceip"], "each key once");

        // Equality is by keys and values, not by layering; a base over a base is flattened.
        let mut flat = Context::new();
        for (key, value) in request.iter() {
            flat.insert(key, value.clone());
        }
        assert_eq!(flat, request);
        let deeper = Context::over(Arc::new(request.clone()));
        assert_eq!(deeper, request);
        flat.insert("aws:SourceIp", ContextValue::single("192.0.2.1"));
        assert_ne!(flat, request);
    }
}
