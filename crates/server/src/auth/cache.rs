//! Values computed from the IAM state and kept until a write could change them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use monban_policy::eval::PolicySet;
use monban_policy::Policy;

use crate::error::ApiError;

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

    pub(super) fn get(&self, generation: u64, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        (entries.0 == generation).then(|| entries.1.get(key).cloned()).flatten()
    }

    pub(super) fn put(&self, generation: u64, key: String, value: V) {
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
    pub(super) keys: Generational<Arc<KeyRecord>>,
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
