//! Sets of actions as bitsets over the catalog's action numbering: expansion of `*` touches no
//! strings, and `NotAction` is a complement.

/// The number of an action within one catalog (its position in service-then-name order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId(pub(crate) u32);

impl ActionId {
    /// The position of the action in the catalog, for callers that keep per-action tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A set of actions of one catalog: the result of expanding patterns. Sets from different catalogs
/// must not be mixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSet {
    words: Vec<u64>,
    universe: usize,
}

impl ActionSet {
    /// The empty set over a catalog of `universe` actions.
    pub fn empty(universe: usize) -> ActionSet {
        ActionSet { words: vec![0; universe.div_ceil(64)], universe }
    }

    /// Every action of a catalog of `universe` actions: what `*` means.
    pub fn full(universe: usize) -> ActionSet {
        let mut set = ActionSet { words: vec![u64::MAX; universe.div_ceil(64)], universe };
        set.clear_tail();
        set
    }

    fn clear_tail(&mut self) {
        let rem = self.universe % 64;
        if rem != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << rem) - 1;
            }
        }
    }

    /// The number of actions in the catalog the set belongs to.
    pub fn universe(&self) -> usize {
        self.universe
    }

    /// Adds an action.
    pub fn insert(&mut self, id: ActionId) {
        if let Some(word) = self.words.get_mut(id.index() / 64) {
            *word |= 1 << (id.index() % 64);
        }
    }

    /// Adds the actions numbered `start..end`, a whole service at once.
    pub(crate) fn insert_range(&mut self, start: usize, end: usize) {
        for i in start..end.min(self.universe) {
            if let Some(word) = self.words.get_mut(i / 64) {
                *word |= 1 << (i % 64);
            }
        }
    }

    /// Whether the action is in the set.
    pub fn contains(&self, id: ActionId) -> bool {
        self.words.get(id.index() / 64).is_some_and(|w| w & (1 << (id.index() % 64)) != 0)
    }

    /// The number of actions in the set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set has no action.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// Adds every action of `other`.
    pub fn union_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// Removes every action of `other`: Allow minus Deny.
    pub fn subtract(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// Keeps only the actions also in `other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    /// Every action of the catalog not in this set: what `NotAction` grants.
    pub fn complement(&self) -> ActionSet {
        let mut set = ActionSet { words: self.words.iter().map(|w| !w).collect(), universe: self.universe };
        set.clear_tail();
        set
    }

    /// The actions in the set, in catalog order.
    pub fn ids(&self) -> impl Iterator<Item = ActionId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros();
                w &= w - 1;
                Some(ActionId((i * 64) as u32 + bit))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let mut a = ActionSet::empty(130);
        a.insert_range(60, 70);
        assert_eq!(a.len(), 10);
        assert!(a.contains(ActionId(64)));
        let full = ActionSet::full(130);
        assert_eq!(full.len(), 130);
        let c = a.complement();
        assert_eq!(c.len(), 120);
        let mut u = c.clone();
        u.union_with(&a);
        assert_eq!(u, full);
        u.subtract(&a);
        assert_eq!(u, c);
        u.intersect_with(&a);
        assert!(u.is_empty());
        assert_eq!(a.ids().map(ActionId::index).collect::<Vec<_>>(), (60..70).collect::<Vec<_>>());
    }
}
