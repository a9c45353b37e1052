//! Admin-equivalence proved over every action of the catalog, with the engine deciding.
//!
//! A principal is admin-equivalent when, on `*`, it is allowed every catalog action that the
//! account's guardrails (its SCPs) allow anyone, with its boundary and SCPs applied. Asking the
//! engine about 20,000 actions per principal would be slow, and most of those questions have the
//! same answer: with the resource and the context fixed, a statement applies to an action or not
//! by its `Action`/`NotAction` patterns alone. So the catalog is split into the classes of actions
//! that every statement of the policy set matches alike ([`Prover::representatives`]), and the
//! engine decides one action of each class. A policy that allows everything but
//! `cloudtrail:DeleteTrail` is not admin-equivalent (it is one step from it, which the escalation
//! search finds).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use monban_catalog::{ActionSet, Catalog, CatalogError};
use monban_policy::{Policy, PolicySet};

/// Splits the catalog by the action patterns of policy sets, remembering what it has seen: the
/// same patterns recur across principals (a shared managed policy, documents that differ only by
/// their `Sid`).
pub(crate) struct Prover {
    catalog: &'static Catalog,
    expanded: Mutex<HashMap<Box<str>, Arc<ActionSet>>>,
    elements: Mutex<Elements>,
    split: Mutex<HashMap<Vec<u32>, Arc<[String]>>>,
}

/// `Action`/`NotAction` elements numbered by content, and each policy's numbers (the policy
/// kept alive, so that its address stays its own).
#[derive(Default)]
struct Elements {
    ids: HashMap<(bool, Vec<Box<str>>), u32>,
    list: Vec<(bool, Vec<Box<str>>)>,
    of_policy: HashMap<usize, (Arc<Policy>, Vec<u32>)>,
}

impl Elements {
    fn of(&mut self, policy: &Arc<Policy>) -> Vec<u32> {
        let address = Arc::as_ptr(policy) as usize;
        if let Some((_, ids)) = self.of_policy.get(&address) {
            return ids.clone();
        }
        let mut ids = Vec::with_capacity(policy.statements.len());
        for st in &policy.statements {
            let element = (st.action.negated, st.action.written.clone());
            let next = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
            let id = *self.ids.entry(element.clone()).or_insert_with(|| {
                self.list.push(element);
                next
            });
            ids.push(id);
        }
        self.of_policy.insert(address, (policy.clone(), ids.clone()));
        ids
    }
}

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prover").field("actions", &self.catalog.action_count()).finish()
    }
}

impl Prover {
    /// A prover over the embedded catalog.
    pub(crate) fn new() -> Result<Prover, CatalogError> {
        Ok(Prover {
            catalog: Catalog::embedded()?,
            expanded: Mutex::new(HashMap::new()),
            elements: Mutex::new(Elements::default()),
            split: Mutex::new(HashMap::new()),
        })
    }

    /// The catalog actions one statement's `Action` (or `NotAction`) element matches.
    fn actions_of(&self, negated: bool, written: &[Box<str>]) -> ActionSet {
        let mut set = ActionSet::empty(self.catalog.action_count());
        for pattern in written {
            let known = self.expanded.lock().ok().and_then(|m| m.get(pattern).cloned());
            let one = match known {
                Some(one) => one,
                None => {
                    let one = Arc::new(self.catalog.expand(pattern));
                    if let Ok(mut m) = self.expanded.lock() {
                        m.insert(pattern.clone(), one.clone());
                    }
                    one
                }
            };
            set.union_with(&one);
        }
        if negated {
            set.complement()
        } else {
            set
        }
    }

    /// One action (`service:Name`) of each class of catalog actions that every statement of
    /// the set matches alike: with the resource and the context fixed, the engine decides every
    /// action of a class as it decides this one.
    pub(crate) fn representatives(&self, set: &PolicySet) -> Arc<[String]> {
        let policies = set.identity.iter().chain(&set.boundary).chain(set.scps.iter().flatten());
        let (key, elements) = {
            let mut known = self.elements.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut key: Vec<u32> = policies.flat_map(|p| known.of(p)).collect();
            key.sort_unstable();
            key.dedup();
            if let Some(done) = self.split.lock().ok().and_then(|m| m.get(&key).cloned()) {
                return done;
            }
            let elements: Vec<(bool, Vec<Box<str>>)> =
                key.iter().filter_map(|&id| known.list.get(id as usize).cloned()).collect();
            (key, elements)
        };
        let mut parts = vec![ActionSet::full(self.catalog.action_count())];
        for (negated, written) in &elements {
            let matched = self.actions_of(*negated, written);
            let mut next = Vec::with_capacity(parts.len() * 2);
            for part in parts {
                let mut inside = part.clone();
                inside.intersect_with(&matched);
                let mut outside = part;
                outside.subtract(&matched);
                next.extend([inside, outside].into_iter().filter(|p| !p.is_empty()));
            }
            parts = next;
        }
        let names: Arc<[String]> = parts
            .iter()
            .filter_map(|part| part.ids().next())
            .filter_map(|id| self.catalog.get(id))
            .map(|action| format!("{}:{}", action.prefix(), action.name()))
            .collect();
        if let Ok(mut m) = self.split.lock() {
            m.insert(key, names.clone());
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monban_policy::Policy;

    fn set(documents: &[&str]) -> PolicySet {
        let identity = documents.iter().map(|d| Arc::new(Policy::parse(d).unwrap())).collect();
        PolicySet { identity, ..PolicySet::default() }
    }

    #[test]
    fn classes_follow_the_patterns() {
        let prover = Prover::new().unwrap();
        // `*` alone: one class, the whole catalog.
        let all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert_eq!(prover.representatives(&set(&[all])).len(), 1);
        // Everything but one action: that action, and the rest.
        let but_one = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"cloudtrail:DeleteTrail","Resource":"*"}]}"#;
        let reps = prover.representatives(&set(&[but_one]));
        assert_eq!(reps.len(), 2);
        assert!(reps.iter().any(|r| r == "cloudtrail:DeleteTrail"), "{reps:?}");
        // s3:Get* and a deny on s3:GetObject: GetObject, the other Gets, everything else.
        let s3 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert_eq!(prover.representatives(&set(&[s3])).len(), 3);
    }
}
