//! Values computed from the IAM state and kept until a write could change them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use monban_policy::eval::PolicySet;
use monban_policy::Policy;

use monban_store::{Owner, Principal, PrincipalKind};
use serde_json::Value;

use crate::operation::{IamOperation, Operation};

use crate::error::ApiError;
use crate::State;

use super::*;

/// What a cached value was read from. A write that changes one of them removes exactly the values
/// read from it ([`PolicyCache::invalidate`] with [`Change::Exactly`]); any other write moves the
/// generation on, which empties every cache. Names, ARNs and key ids are kept folded to lower case
/// (names as the store folds them), so every spelling the store takes for one entity is one subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    /// A user, group or role ([`principal_key`]): its row, tags, inline and attached policies,
    /// boundary, groups and trust policy.
    Principal(String),
    /// A managed policy by ARN: its default version.
    ManagedPolicy(String),
    /// An access key by id: its status.
    AccessKey(String),
}

impl Subject {
    pub(crate) fn principal(account: &str, kind: PrincipalKind, name: &str) -> Subject {
        Subject::Principal(principal_key(account, kind, name))
    }

    pub(crate) fn managed_policy(arn: &str) -> Subject {
        Subject::ManagedPolicy(arn.to_lowercase())
    }

    pub(crate) fn access_key(id: &str) -> Subject {
        Subject::AccessKey(id.to_lowercase())
    }
}

/// What one write changed, as far as the caches go.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing cached: it only added sessions or an access key, under new key ids.
    Nothing,
    /// These subjects, and nothing else cached.
    Exactly(Vec<Subject>),
    /// Anything: a delete, a rename, an organization's change, or a write not classified here.
    Anything,
}

/// What `op` changed, from its input; the caller's account is the one it wrote in. A write not
/// listed here is [`Change::Anything`], so a new operation is safe before it is classified.
pub(crate) fn change_of(op: Operation, input: &Value, account: &str) -> Change {
    use IamOperation as Op;
    let named = |member: &str| input.get(member).and_then(Value::as_str);
    let principal = |kind: PrincipalKind, member: &str| named(member).map(|n| Subject::principal(account, kind, n));
    let subject = match op {
        // A new access key, or a new session (STS writes nothing else): a new key id.
        Operation::Iam(Op::CreateAccessKey) | Operation::Sts(_) => return Change::Nothing,
        // A new principal: what was read of its name while it did not exist (a value computed as
        // it was being deleted, such as an empty tag list) goes.
        Operation::Iam(Op::CreateUser) => principal(PrincipalKind::User, "UserName"),
        Operation::Iam(Op::CreateGroup) => principal(PrincipalKind::Group, "GroupName"),
        Operation::Iam(Op::CreateRole) => principal(PrincipalKind::Role, "RoleName"),
        Operation::Iam(
            Op::PutUserPolicy
            | Op::DeleteUserPolicy
            | Op::AttachUserPolicy
            | Op::DetachUserPolicy
            | Op::PutUserPermissionsBoundary
            | Op::DeleteUserPermissionsBoundary
            | Op::TagUser
            | Op::UntagUser
            | Op::AddUserToGroup
            | Op::RemoveUserFromGroup,
        ) => principal(PrincipalKind::User, "UserName"),
        Operation::Iam(Op::PutGroupPolicy | Op::DeleteGroupPolicy | Op::AttachGroupPolicy | Op::DetachGroupPolicy) => {
            principal(PrincipalKind::Group, "GroupName")
        }
        Operation::Iam(
            Op::PutRolePolicy
            | Op::DeleteRolePolicy
            | Op::AttachRolePolicy
            | Op::DetachRolePolicy
            | Op::PutRolePermissionsBoundary
            | Op::DeleteRolePermissionsBoundary
            | Op::TagRole
            | Op::UntagRole
            | Op::UpdateAssumeRolePolicy
            | Op::UpdateRole
            | Op::UpdateRoleDescription,
        ) => principal(PrincipalKind::Role, "RoleName"),
        Operation::Iam(
            Op::CreatePolicyVersion
            | Op::SetDefaultPolicyVersion
            | Op::DeletePolicyVersion
            | Op::TagPolicy
            | Op::UntagPolicy,
        ) => named("PolicyArn").map(Subject::managed_policy),
        Operation::Iam(Op::UpdateAccessKey | Op::DeleteAccessKey) => named("AccessKeyId").map(Subject::access_key),
        _ => None,
    };
    subject.map_or(Change::Anything, |s| Change::Exactly(vec![s]))
}

/// One write's invalidation, made once the write has run ([`PendingChange::ran`]). A call dropped
/// before (its client went away) leaves its write in the store's queue, where it still commits:
/// then every cache is emptied at once, and again once every write queued so far has committed,
/// so nothing read before that commit outlives it.
pub(crate) struct PendingChange {
    state: State,
    change: Option<Change>,
}

impl PendingChange {
    pub(crate) fn new(state: &State, change: Change) -> PendingChange {
        PendingChange { state: state.clone(), change: Some(change) }
    }

    /// The write has run (committed or failed): what it changed is dropped before it is answered.
    pub(crate) fn ran(mut self) {
        if let Some(change) = self.change.take() {
            self.state.policies.invalidate(change);
        }
    }
}

impl Drop for PendingChange {
    fn drop(&mut self) {
        if matches!(self.change.take(), None | Some(Change::Nothing)) {
            return;
        }
        self.state.policies.forget_everything();
        // Outside a runtime the server is stopping: nothing is served from the caches any more.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let state = self.state.clone();
            runtime.spawn(async move {
                let _ = state.store.settled().await;
                state.policies.forget_everything();
            });
        }
    }
}

/// When a value began to be read: the generation, and how many exact invalidations there had
/// been. Taken before the state is read, so that a write committing meanwhile is seen at
/// [`PolicyCache::keep`], which then does not keep the value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadAt {
    generation: u64,
    invalidations: u64,
}

/// Values computed from the IAM state, each with the subjects it was read from.
pub(crate) struct Cached<V> {
    entries: Mutex<Entries<V>>,
}

/// The caches' maps.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

struct Entries<V> {
    generation: u64,
    values: Map<String, V>,
    /// The keys of the values read from each subject (a key may be listed after its value went:
    /// invalidating it again only removes a value that would be read again).
    dependents: Map<Subject, Vec<String>>,
    /// Keys listed in `dependents`, to bound it.
    listed: usize,
}

impl<V> Entries<V> {
    fn new(generation: u64) -> Entries<V> {
        Entries { generation, values: Map::default(), dependents: Map::default(), listed: 0 }
    }
}

impl<V> Default for Cached<V> {
    fn default() -> Self {
        Cached { entries: Mutex::new(Entries::new(0)) }
    }
}

impl<V: Clone> Cached<V> {
    /// At most this many values (and four times as many dependents) per generation; more start
    /// the cache afresh.
    const CAPACITY: usize = 10_000;

    pub(crate) fn get(&self, at: ReadAt, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        (entries.generation == at.generation).then(|| entries.values.get(key).cloned()).flatten()
    }

    fn insert(&self, at: ReadAt, key: String, value: V, subjects: &[Subject]) {
        let Ok(mut entries) = self.entries.lock() else { return };
        let full = entries.values.len() >= Self::CAPACITY || entries.listed >= 4 * Self::CAPACITY;
        if entries.generation < at.generation || (entries.generation == at.generation && full) {
            *entries = Entries::new(at.generation);
        }
        if entries.generation != at.generation {
            return;
        }
        for subject in subjects {
            entries.dependents.entry(subject.clone()).or_default().push(key.clone());
        }
        entries.listed += subjects.len();
        entries.values.insert(key, value);
    }

    fn remove(&self, subjects: &[Subject]) {
        let Ok(mut entries) = self.entries.lock() else { return };
        for subject in subjects {
            for key in entries.dependents.remove(subject).unwrap_or_default() {
                entries.values.remove(&key);
                entries.listed -= 1;
            }
        }
    }
}

/// A caller's policy set with the boundary it was computed for. The boundary's ARN comes from
/// the caller's user or role as authentication read it, before the set's [`ReadAt`]: a set is
/// only used for a caller whose row names the same boundary, so a boundary put while the set was
/// being computed is never missed.
pub(crate) struct BoundedSet {
    pub(super) boundary: Option<String>,
    pub(super) set: Arc<PolicySet>,
}

/// A role's compiled trust policy with the stored document and principal ids it was compiled
/// from, which the caller read before the trust's [`ReadAt`]: it is only used for a role row
/// that holds the same.
pub(crate) struct CompiledTrust {
    pub(super) document: Option<String>,
    pub(super) principal_ids: Option<String>,
    pub(super) policy: Arc<Policy>,
}

/// Compiled policies and what authentication and authorization read for a caller, cached until
/// a write changes what they were read from.
#[derive(Default)]
pub struct PolicyCache {
    pub(super) sets: Cached<Arc<BoundedSet>>,
    pub(super) keys: Cached<Arc<CachedKey>>,
    pub(super) principals: Cached<Arc<Principal>>,
    /// Read under the generation alone: every change to an organization is [`Change::Anything`].
    pub(crate) organizations: Cached<Arc<crate::organizations::OrganizationFacts>>,
    pub(super) tags: Cached<Arc<Vec<(String, String)>>>,
    pub(super) trusts: Cached<Arc<CompiledTrust>>,
    /// By access key id.
    pub(super) callers: Cached<Arc<super::authorize::CallerContext>>,
    pub(super) documents: Mutex<HashMap<String, Arc<Policy>>>,
    generation: AtomicU64,
    invalidations: AtomicU64,
    /// The invalidation that last changed each subject, since the generation last moved.
    changed: Mutex<Map<Subject, u64>>,
}

impl PolicyCache {
    /// At most this many subjects remembered as changed; more move the generation on.
    const CHANGED: usize = 10_000;

    /// Taken before reading what a value is computed from.
    pub(crate) fn read_at(&self) -> ReadAt {
        ReadAt {
            generation: self.generation.load(Ordering::Acquire),
            invalidations: self.invalidations.load(Ordering::Acquire),
        }
    }

    /// Keeps a value read since `at` from `subjects`, unless a write changed one of them since.
    pub(crate) fn keep<V: Clone>(&self, cache: &Cached<V>, at: ReadAt, key: String, value: V, subjects: &[Subject]) {
        let Ok(changed) = self.changed.lock() else { return };
        if subjects.iter().any(|s| changed.get(s).is_some_and(|&when| when > at.invalidations)) {
            return;
        }
        cache.insert(at, key, value, subjects);
    }

    /// Called after every write has committed, with what it changed.
    pub(crate) fn invalidate(&self, change: Change) {
        let subjects = match change {
            Change::Nothing => return,
            Change::Anything => return self.forget_everything(),
            Change::Exactly(subjects) => subjects,
        };
        let Ok(mut changed) = self.changed.lock() else { return self.forget_everything() };
        if changed.len() + subjects.len() > Self::CHANGED {
            changed.clear();
            drop(changed);
            return self.forget_everything();
        }
        let now = self.invalidations.fetch_add(1, Ordering::AcqRel) + 1;
        for subject in &subjects {
            changed.insert(subject.clone(), now);
        }
        self.sets.remove(&subjects);
        self.keys.remove(&subjects);
        self.principals.remove(&subjects);
        self.organizations.remove(&subjects);
        self.tags.remove(&subjects);
        self.trusts.remove(&subjects);
        self.callers.remove(&subjects);
    }

    /// Moves the generation on: nothing read before is returned again.
    pub(crate) fn forget_everything(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
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

/// A user, group or role by name, read through the cache. Only a principal that exists is kept
/// (an absence would be kept too long if anything failed to invalidate the new name).
pub(crate) async fn principal(
    state: &State,
    account: &str,
    kind: PrincipalKind,
    name: &str,
) -> Result<Option<Arc<Principal>>, ApiError> {
    let at = state.policies.read_at();
    let key = principal_key(account, kind, name);
    if let Some(p) = state.policies.principals.get(at, &key) {
        return Ok(Some(p));
    }
    let found = state.store.principal(account, kind, name).await?.map(Arc::new);
    if let Some(p) = &found {
        let subject = Subject::Principal(key.clone());
        state.policies.keep(&state.policies.principals, at, key, p.clone(), &[subject]);
    }
    Ok(found)
}

/// A user's, group's or role's own tags, read through the cache; asked only of a principal that
/// exists (of one that does not, an empty list would be kept while a create adds its tags).
pub(crate) async fn principal_tags(
    state: &State,
    account: &str,
    kind: PrincipalKind,
    name: &str,
) -> Result<Arc<Vec<(String, String)>>, ApiError> {
    let at = state.policies.read_at();
    let key = principal_key(account, kind, name);
    if let Some(tags) = state.policies.tags.get(at, &key) {
        return Ok(tags);
    }
    let tags = state.store.tags(account, Owner::Principal(kind), name).await?;
    let tags: Arc<Vec<(String, String)>> = Arc::new(tags.into_iter().map(|t| (t.key, t.value)).collect());
    let subject = Subject::Principal(key.clone());
    state.policies.keep(&state.policies.tags, at, key, tags.clone(), &[subject]);
    Ok(tags)
}

/// IAM names are unique case-insensitively within an account and kind: the name is folded as the
/// store folds it ([`monban_store::name_key`]), so every spelling the store finds one principal
/// by is one key here.
fn principal_key(account: &str, kind: PrincipalKind, name: &str) -> String {
    let kind = kind.as_str();
    let mut key = String::with_capacity(account.len() + kind.len() + name.len() + 2);
    key.push_str(account);
    key.push('|');
    key.push_str(kind);
    key.push('|');
    // Built on every authorization: an ASCII name (nearly all) folds without a second string.
    match name.is_ascii() {
        true => key.extend(name.chars().map(|c| c.to_ascii_lowercase())),
        false => key.push_str(&monban_store::name_key(name)),
    }
    key
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user(name: &str) -> Subject {
        Subject::principal("123456789012", PrincipalKind::User, name)
    }

    /// A write to one user drops what was read from that user, and nothing else; a write not
    /// classified drops everything.
    #[test]
    fn an_exact_change_drops_only_what_was_read_from_it() {
        let cache = PolicyCache::default();
        let at = cache.read_at();
        cache.keep(&cache.tags, at, "alice".into(), Arc::new(vec![]), &[user("alice")]);
        cache.keep(&cache.tags, at, "bob".into(), Arc::new(vec![]), &[user("bob"), Subject::managed_policy("arn:P")]);
        cache.invalidate(Change::Exactly(vec![user("ALICE")]));
        let now = cache.read_at();
        assert!(cache.tags.get(now, "alice").is_none());
        assert!(cache.tags.get(now, "bob").is_some());
        cache.invalidate(Change::Exactly(vec![Subject::managed_policy("ARN:p")]));
        assert!(cache.tags.get(cache.read_at(), "bob").is_none());
        cache.keep(&cache.tags, cache.read_at(), "carol".into(), Arc::new(vec![]), &[user("carol")]);
        cache.invalidate(Change::Anything);
        assert!(cache.tags.get(cache.read_at(), "carol").is_none());
    }

    /// A value read before a write committed is not kept after the write's invalidation, even
    /// though nothing was cached for the invalidation to remove.
    #[test]
    fn a_value_read_before_a_write_is_not_kept_after_it() {
        let cache = PolicyCache::default();
        let before = cache.read_at();
        cache.invalidate(Change::Exactly(vec![user("alice")]));
        cache.keep(&cache.tags, before, "alice".into(), Arc::new(vec![]), &[user("alice")]);
        assert!(cache.tags.get(cache.read_at(), "alice").is_none());
        // One read of another subject is kept.
        cache.keep(&cache.tags, before, "bob".into(), Arc::new(vec![]), &[user("bob")]);
        assert!(cache.tags.get(cache.read_at(), "bob").is_some());
        // Across a generation, nothing read before is kept.
        let before = cache.read_at();
        cache.invalidate(Change::Anything);
        cache.keep(&cache.tags, before, "carol".into(), Arc::new(vec![]), &[user("carol")]);
        assert!(cache.tags.get(cache.read_at(), "carol").is_none());
    }

    /// Every spelling the store finds a principal by is one cache key and one subject: a write
    /// naming `JOSÉ` (or `K` for the Kelvin sign) drops what was read for `josé` (or `k`).
    #[test]
    fn names_are_folded_as_the_store_folds_them() {
        let account = "123456789012";
        for (a, b) in [("JOSÉ", "josé"), ("\u{212A}im", "kim"), ("Alice", "alice")] {
            assert_eq!(principal_key(account, PrincipalKind::User, a), principal_key(account, PrincipalKind::User, b));
            assert_eq!(Subject::principal(account, PrincipalKind::User, a), user(b));
        }
    }

    /// A write whose call is dropped before it ran may still commit from the store's queue: the
    /// caches are emptied at once, and again once the queue has drained.
    #[tokio::test]
    async fn a_dropped_write_empties_the_caches_now_and_after_the_queue_drains() {
        let server = crate::Server::start(crate::Config::ephemeral("123456789012")).await.unwrap();
        let state = server.state().clone();
        let before = state.policies.read_at().generation;
        drop(PendingChange::new(&state, Change::Exactly(vec![user("alice")])));
        assert_eq!(state.policies.read_at().generation, before + 1);
        for _ in 0..100 {
            if state.policies.read_at().generation == before + 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(state.policies.read_at().generation, before + 2);
        // A write that ran invalidates exactly, once.
        PendingChange::new(&state, Change::Exactly(vec![user("alice")])).ran();
        assert_eq!(state.policies.read_at().generation, before + 2);
    }

    #[test]
    fn writes_are_classified_by_what_they_change() {
        let account = "123456789012";
        let iam = Operation::Iam;
        let input = json!({"UserName": "Alice", "GroupName": "G", "PolicyArn": "arn:aws:iam::123456789012:policy/P",
            "AccessKeyId": "AKIAEXAMPLE", "RoleName": "R"});
        assert_eq!(change_of(iam(IamOperation::CreateUser), &input, account), Change::Exactly(vec![user("alice")]));
        assert_eq!(change_of(iam(IamOperation::CreateAccessKey), &input, account), Change::Nothing);
        let sts = crate::operation::StsOperation::GetSessionToken;
        assert_eq!(change_of(Operation::Sts(sts), &input, account), Change::Nothing);
        assert_eq!(change_of(iam(IamOperation::AddUserToGroup), &input, account), Change::Exactly(vec![user("alice")]));
        assert_eq!(
            change_of(iam(IamOperation::AttachGroupPolicy), &input, account),
            Change::Exactly(vec![Subject::principal(account, PrincipalKind::Group, "g")])
        );
        assert_eq!(
            change_of(iam(IamOperation::SetDefaultPolicyVersion), &input, account),
            Change::Exactly(vec![Subject::managed_policy("arn:aws:iam::123456789012:policy/p")])
        );
        assert_eq!(
            change_of(iam(IamOperation::UpdateAccessKey), &input, account),
            Change::Exactly(vec![Subject::access_key("akiaexample")])
        );
        // Deletes and renames change what names resolve to: everything goes.
        for op in [IamOperation::DeleteUser, IamOperation::UpdateUser, IamOperation::DeletePolicy] {
            assert_eq!(change_of(iam(op), &input, account), Change::Anything, "{op:?}");
        }
        // A write whose subject is missing from its input cannot be classified.
        assert_eq!(change_of(iam(IamOperation::PutUserPolicy), &json!({}), account), Change::Anything);
    }
}
