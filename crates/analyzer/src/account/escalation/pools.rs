//! Targets indexed by ARN, and partitioned into classes that every request treats alike.
//!
//! Two costs make escalation graphs quadratic when done pair by pair: matching every statement's
//! resource patterns against every principal, and asking the engine about every pair. A [`Pool`]
//! answers "which of these principals does this pattern match?" in the time of the matches found
//! (literal ARNs by lookup, other patterns by the literal prefix of their resource segment, a
//! pattern without variables once per run). Its classes group targets that differ only by ARN
//! (same account, same tags, same trust policy where the request reads it): for one caller, two
//! targets of a class that no statement names specifically get the same decision, so one
//! decision stands for the class. See `docs/escalation-methods.md`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use monban_policy::pattern::{ArnPattern, Piece, SplitArn};
use monban_policy::Context;

/// Which principals a pattern matches within a pool.
pub(super) enum Matched {
    /// Every member.
    All,
    /// These members (principal indices, sorted).
    Some(Rc<[usize]>),
}

/// A set of targets of one kind (the users of an account, the roles that trust an account, the
/// roles a service may assume, ...), indexed by ARN and split into classes.
pub(super) struct Pool {
    /// (resource segment, whole ARN, principal index), sorted by resource segment.
    entries: Vec<(Box<str>, Box<str>, usize)>,
    by_arn: HashMap<Box<str>, usize>,
    /// The classes' global ids, and the class of each member.
    pub(super) classes: Vec<ClassId>,
    class_of: HashMap<usize, ClassId>,
    /// Match sets of patterns without variables, by pattern text.
    memo: RefCell<HashMap<Box<str>, Rc<[usize]>>>,
}

/// A class of targets, global across pools (its index in [`Classes::members`]).
pub(super) type ClassId = usize;

/// Every class of every pool, and the classes each principal belongs to.
#[derive(Default)]
pub(super) struct Classes {
    /// The members of each class.
    pub(super) members: Vec<Vec<usize>>,
}

impl Pool {
    /// A pool of `members` (principal index and ARN), split by `key`: members with equal keys
    /// form one class.
    pub(super) fn new<K: std::hash::Hash + Eq>(
        members: impl IntoIterator<Item = (usize, String)>,
        key: impl Fn(usize) -> K,
        classes: &mut Classes,
    ) -> Pool {
        let mut entries: Vec<(Box<str>, Box<str>, usize)> = members
            .into_iter()
            .map(|(i, arn)| {
                let resource =
                    monban_policy::arn::Arn::parse(&arn).map(|a| a.resource().to_string()).unwrap_or_default();
                (resource.into(), arn.into(), i)
            })
            .collect();
        entries.sort();
        let by_arn = entries.iter().map(|(_, arn, i)| (arn.clone(), *i)).collect();
        let mut local: HashMap<K, ClassId> = HashMap::new();
        let mut ids = Vec::new();
        let mut class_of = HashMap::new();
        for (_, _, i) in &entries {
            let id = *local.entry(key(*i)).or_insert_with(|| {
                classes.members.push(Vec::new());
                ids.push(classes.members.len() - 1);
                classes.members.len() - 1
            });
            if let Some(members) = classes.members.get_mut(id) {
                members.push(*i);
            }
            class_of.insert(*i, id);
        }
        Pool { entries, by_arn, classes: ids, class_of, memo: RefCell::new(HashMap::new()) }
    }

    /// The number of members.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The class of member `i`.
    pub(super) fn class_of(&self, i: usize) -> Option<ClassId> {
        self.class_of.get(&i).copied()
    }

    /// The members a resource pattern matches, with `lookup` for its variables.
    pub(super) fn matching(&self, pattern: &ArnPattern, written: &str, lookup: &Context) -> Matched {
        if pattern.is_everything() {
            return Matched::All;
        }
        let literal = !written.contains(['*', '?', '$']);
        if literal {
            let found: Rc<[usize]> = self.by_arn.get(written).map(|&i| vec![i]).unwrap_or_default().into();
            return self.whole_or(found);
        }
        let variables = pattern.has_variables();
        // AWS: a variable whose key is absent (and has no default) makes the value match nothing.
        if variables && !resolvable(pattern, lookup) {
            return Matched::Some(Rc::from(Vec::new()));
        }
        if !variables {
            if let Some(found) = self.memo.borrow().get(written) {
                return self.whole_or(found.clone());
            }
        }
        let range = match pattern {
            ArnPattern::Segments(segments) => {
                let prefix = literal_prefix(&segments[5], lookup);
                let start = self.entries.partition_point(|(r, _, _)| **r < *prefix);
                let end = self.entries[start..].partition_point(|(r, _, _)| r.starts_with(&prefix)) + start;
                start..end
            }
            ArnPattern::Whole(_) => 0..self.entries.len(),
        };
        let mut found: Vec<usize> = self.entries[range]
            .iter()
            .filter(|(_, arn, _)| pattern.matches(&SplitArn::new(arn), lookup))
            .map(|(_, _, i)| *i)
            .collect();
        found.sort_unstable();
        let found: Rc<[usize]> = found.into();
        if !variables {
            self.memo.borrow_mut().insert(written.into(), found.clone());
        }
        self.whole_or(found)
    }

    fn whole_or(&self, found: Rc<[usize]>) -> Matched {
        if !self.entries.is_empty() && found.len() == self.entries.len() {
            Matched::All
        } else {
            Matched::Some(found)
        }
    }
}

/// Whether every variable of the pattern has a value (or a default) for this caller.
fn resolvable(pattern: &ArnPattern, lookup: &Context) -> bool {
    let segments: &[monban_policy::pattern::Pattern] = match pattern {
        ArnPattern::Whole(p) => std::slice::from_ref(p),
        ArnPattern::Segments(segments) => &segments[..],
    };
    segments
        .iter()
        .flat_map(|p| p.variables())
        .all(|v| v.default.is_some() || monban_policy::pattern::Lookup::single(lookup, &v.key).is_some())
}

/// The literal text a resource segment pattern starts with, variables resolved: every match
/// starts with it, so it bounds the range of the sorted pool to test.
fn literal_prefix(pattern: &monban_policy::pattern::Pattern, lookup: &Context) -> String {
    let mut prefix = String::new();
    for piece in pattern.pieces() {
        match piece {
            Piece::Literal(text) => prefix.push_str(&text),
            Piece::Variable(v) => match monban_policy::pattern::Lookup::single(lookup, &v.key).or(v.default.as_deref())
            {
                Some(value) => prefix.push_str(value),
                None => break,
            },
            Piece::Star | Piece::AnyChar => break,
        }
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;
    use monban_policy::pattern::Syntax;

    fn pool(classes: &mut Classes) -> Pool {
        let arns = ["role/app-1", "role/app-2", "role/admin", "role/ops/deploy"];
        Pool::new(
            arns.iter().enumerate().map(|(i, r)| (i, format!("arn:aws:iam::111122223333:{r}"))),
            |i| i == 2,
            classes,
        )
    }

    fn matched(p: &Pool, text: &str) -> Option<Vec<usize>> {
        let syntax = Syntax { wildcards: true, variables: true, ignore_case: false };
        match p.matching(&ArnPattern::new(text, syntax), text, &Context::default()) {
            Matched::All => None,
            Matched::Some(found) => Some(found.to_vec()),
        }
    }

    #[test]
    fn patterns_match_through_the_index_as_they_match_one_by_one() {
        let mut classes = Classes::default();
        let p = pool(&mut classes);
        assert_eq!(p.len(), 4);
        assert_eq!(classes.members.len(), 2);
        assert_eq!(matched(&p, "*"), None);
        assert_eq!(matched(&p, "arn:aws:iam::111122223333:role/*"), None);
        assert_eq!(matched(&p, "arn:aws:iam::*:role/app-*"), Some(vec![0, 1]));
        assert_eq!(matched(&p, "arn:aws:iam::111122223333:role/admin"), Some(vec![2]));
        assert_eq!(matched(&p, "arn:aws:iam::111122223333:role/*admin*"), Some(vec![2]));
        assert_eq!(matched(&p, "arn:aws:iam::111122223333:role/ops/*"), Some(vec![3]));
        assert_eq!(matched(&p, "arn:aws:iam::444455556666:role/*"), Some(vec![]));
        // Memoized: the same text again gives the same answer.
        assert_eq!(matched(&p, "arn:aws:iam::*:role/app-*"), Some(vec![0, 1]));
        assert_eq!(matched(&p, "arn:aws:iam::111122223333:role/nobody"), Some(vec![]));
    }
}
