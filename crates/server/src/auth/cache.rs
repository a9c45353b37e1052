//! Values computed from the IAM state and kept until a write could change them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use monban_policy::eval::PolicySet;
use monban_policy::Policy;

use monban_store::{Owner, Principal, PrincipalKind};

use crate::error::ApiError;
use crate::State;

use super::*;

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

    pub(crate) fn get(&self, generation: u64, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        (entries.0 == generation).then(|| entries.1.get(key).cloned()).flatten()
    }

    pub(crate) fn put(&self, generation: u64, key: String, value: V) {
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
    pub(super) sets: Generational<Arc<PolicySet>>,
    pub(super) keys: Generational<Arc<CachedKey>>,
    pub(super) principals: Generational<Arc<Principal>>,
    pub(crate) organizations: Generational<Arc<crate::organizations::OrganizationFacts>>,
    pub(super) tags: Generational<Arc<Vec<(String, String)>>>,
    pub(super) trusts: Generational<Arc<Policy>>,
    pub(super) documents: Mutex<HashMap<String, Arc<Policy>>>,
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

/// A user, group or role by name, read through the cache. Only a principal that exists is kept:
/// the writes that leave the cache valid (`request::adds_only`) may create one of a name looked up
/// before, and every write that changes or removes one moves the generation on.
pub(crate) async fn principal(
    state: &State,
    account: &str,
    kind: PrincipalKind,
    name: &str,
) -> Result<Option<Principal>, ApiError> {
    let generation = state.generation();
    let key = principal_key(account, kind, name);
    if let Some(p) = state.policies.principals.get(generation, &key) {
        return Ok(Some(Principal::clone(&p)));
    }
    let found = state.store.principal(account, kind, name).await?;
    if let Some(p) = &found {
        state.policies.principals.put(generation, key, Arc::new(p.clone()));
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
    let generation = state.generation();
    let key = principal_key(account, kind, name);
    if let Some(tags) = state.policies.tags.get(generation, &key) {
        return Ok(tags);
    }
    let tags = state.store.tags(account, Owner::Principal(kind), name).await?;
    let tags: Arc<Vec<(String, String)>> = Arc::new(tags.into_iter().map(|t| (t.key, t.value)).collect());
    state.policies.tags.put(generation, key, tags.clone());
    Ok(tags)
}

/// IAM names are unique case-insensitively within an account and kind.
fn principal_key(account: &str, kind: PrincipalKind, name: &str) -> String {
    let kind = kind.as_str();
    let mut key = String::with_capacity(account.len() + kind.len() + name.len() + 2);
    key.push_str(account);
    key.push('|');
    key.push_str(kind);
    key.push('|');
    key.extend(name.chars().map(|c| c.to_ascii_lowercase()));
    key
}
