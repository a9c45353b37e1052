//! What a policy grants per action, Allow minus Deny, read through the action catalog: the one
//! place where `Action`/`NotAction` become sets of catalog actions.
//!
//! AWS: "IAM JSON policy elements: NotAction" (`NotAction` with `Allow` grants every action not
//! listed, including actions of every other service) and "Policy evaluation logic" (an explicit
//! deny overrides any allow).

use monban_catalog::{ActionSet, Catalog};
use monban_policy::{Effect, Policy, Statement};

/// The catalog actions a statement's `Action` or `NotAction` element covers. Patterns that name
/// no catalog action add nothing (see [`unknown_actions`]).
pub fn statement_actions(catalog: &Catalog, statement: &Statement) -> ActionSet {
    let listed = catalog.expand_all(statement.action.written.iter().map(|s| &**s));
    if statement.action.negated {
        listed.complement()
    } else {
        listed
    }
}

/// The `Action` entries of a policy that match no catalog action, with their statement index:
/// comparison through the catalog cannot see them, so callers report them.
pub fn unknown_actions(catalog: &Catalog, policy: &Policy) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, statement) in policy.statements.iter().enumerate() {
        for pattern in statement.action.written.iter() {
            if catalog.expand(pattern).is_empty() {
                out.push((i, pattern.to_string()));
            }
        }
    }
    out
}

/// Why an allowed action is not granted outright.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Only allowed by statements with a `Condition`.
    pub conditional: bool,
    /// Only allowed on some resources (`Resource` other than `*`, or `NotResource`).
    pub narrowed: bool,
    /// Some `Deny` statement with a condition or narrowed resources covers it.
    pub partly_denied: bool,
}

impl Limits {
    /// Whether the grant is limited in any way.
    pub fn any(self) -> bool {
        self.conditional || self.narrowed || self.partly_denied
    }
}

/// Whether a statement applies to some resources only: a `NotResource`, or a `Resource` without `*`.
fn narrowed(statement: &Statement) -> bool {
    statement.resource.as_ref().is_some_and(|r| r.negated || !r.written.iter().any(|w| &**w == "*"))
}

/// Allow minus Deny for every catalog action (indexed by [`monban_catalog::ActionId::index`]):
/// `None` when the policy does not allow it, else how its grant is limited. A deny without
/// condition on every resource removes an action; a narrower deny marks it `partly_denied`.
pub fn summarise(catalog: &Catalog, policy: &Policy) -> Vec<Option<Limits>> {
    let n = catalog.action_count();
    let mut full = ActionSet::empty(n);
    let mut denied = ActionSet::empty(n);
    let mut partly_denied = ActionSet::empty(n);
    let mut limited: Vec<Option<Limits>> = vec![None; n];
    for statement in &policy.statements {
        let actions = statement_actions(catalog, statement);
        let conditional = !statement.conditions.is_empty();
        let narrowed = narrowed(statement);
        let outright = !conditional && !narrowed;
        match (statement.effect, outright) {
            (Effect::Allow, true) => full.union_with(&actions),
            (Effect::Deny, true) => denied.union_with(&actions),
            (Effect::Deny, false) => partly_denied.union_with(&actions),
            (Effect::Allow, false) => {
                for id in actions.ids() {
                    if let Some(slot) = limited.get_mut(id.index()) {
                        let limits =
                            slot.get_or_insert(Limits { conditional: true, narrowed: true, partly_denied: false });
                        // Allowed by several limited statements: limited only in what they share.
                        limits.conditional &= conditional;
                        limits.narrowed &= narrowed;
                    }
                }
            }
        }
    }
    catalog
        .actions()
        .map(|action| {
            let id = action.id();
            if denied.contains(id) {
                return None;
            }
            let mut limits =
                if full.contains(id) { Limits::default() } else { limited.get(id.index()).copied().flatten()? };
            limits.partly_denied = partly_denied.contains(id);
            Some(limits)
        })
        .collect()
}
