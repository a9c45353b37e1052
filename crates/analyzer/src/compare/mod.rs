//! `compare`: what does NEW allow that EXISTING does not? Exact where it is decidable, sound
//! ("may allow", with the reason) where it is not.
//!
//! - Actions are compared exactly through the catalog: wildcards, `NotAction` and `Deny`
//!   statements become [`ActionSet`]s, and actions covered by the same statements are analysed
//!   together.
//! - Resources are compared as languages of IAM wildcard patterns ([`glob`]): inclusion and
//!   difference are decided exactly, ARN segments included.
//! - Conditions: an EXISTING statement counts as covering a NEW one only when NEW's conditions
//!   provably imply EXISTING's ([`conditions`]); a statement whose conditions cannot be proven is
//!   never silently taken as equal, it turns the answer into "may allow" with the reason.
//!
//! AWS: "Policy evaluation logic" (explicit deny overrides allow, no allow means implicit deny),
//! IAM Access Analyzer's CheckNoNewAccess ("Custom policy checks"), which answers the same question
//! online.

pub mod conditions;
pub mod glob;
pub mod grants;

use std::collections::{BTreeMap, HashMap};

use monban_catalog::{AccessLevel, ActionSet, Catalog};
use monban_policy::pattern::ArnPattern;
use monban_policy::policy::{Element, PrincipalElement, PrincipalMatcher};
use monban_policy::{Effect, Policy, Statement};
use serde_json::{json, Value};

use conditions::implies;
use glob::{witness, Glob, Undecided, Variables};
use grants::statement_actions;

/// One group of newly allowed (or possibly allowed) access: the actions of one NEW statement that
/// share the same answer.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The NEW statement that allows it (index in the policy).
    pub statement: usize,
    /// That statement's `Sid`.
    pub sid: Option<String>,
    /// The actions.
    pub actions: ActionSet,
    /// The statement's `Resource` (or `NotResource`) patterns as written; empty for none.
    pub resources: Vec<String>,
    /// Whether `resources` is a `NotResource` list.
    pub not_resource: bool,
    /// The statement's conditions, `Operator key values`.
    pub conditions: Vec<String>,
    /// A resource the answer holds for (a shortest text in the difference), if not empty.
    pub example_resource: Option<String>,
    /// Why this is new, or why it may be.
    pub reason: String,
}

/// The answer of [`compare`].
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Access NEW allows and EXISTING provably does not.
    pub new_access: Vec<Grant>,
    /// Access NEW allows that EXISTING may not: the analysis could not prove it either way.
    pub may_allow: Vec<Grant>,
    /// NEW's `Action` entries that name no catalog action (statement index, pattern): they cannot
    /// be compared through the catalog.
    pub unchecked_actions: Vec<(usize, String)>,
}

impl Comparison {
    /// Whether NEW provably allows nothing EXISTING does not.
    pub fn is_empty(&self) -> bool {
        self.new_access.is_empty() && self.may_allow.is_empty() && self.unchecked_actions.is_empty()
    }
}

/// Limits the comparison to some actions and resources (for `access-not-granted`).
#[derive(Debug, Clone)]
pub struct Scope {
    /// Only these actions.
    pub actions: ActionSet,
    /// Only resources in one of these patterns (`None`: every resource).
    pub resources: Option<Vec<Glob>>,
}

/// What NEW allows that EXISTING does not, for identity-style policies (principals are compared
/// only for equality).
pub fn compare(catalog: &Catalog, new: &Policy, existing: &Policy) -> Comparison {
    compare_within(catalog, new, existing, None)
}

/// [`compare`], limited to a [`Scope`].
pub fn compare_within(catalog: &Catalog, new: &Policy, existing: &Policy, scope: Option<&Scope>) -> Comparison {
    let new_sets: Vec<ActionSet> = new.statements.iter().map(|s| statement_actions(catalog, s)).collect();
    let existing_sets: Vec<ActionSet> = existing.statements.iter().map(|s| statement_actions(catalog, s)).collect();
    let mut candidates = ActionSet::empty(catalog.action_count());
    for (s, set) in new.statements.iter().zip(&new_sets) {
        if s.effect == Effect::Allow {
            candidates.union_with(set);
        }
    }
    if let Some(scope) = scope {
        candidates.intersect_with(&scope.actions);
    }

    // Actions covered by the same statements get the same answer: group them.
    let all_sets: Vec<&ActionSet> = new_sets.iter().chain(&existing_sets).collect();
    let mut classes: HashMap<Vec<u64>, ActionSet> = HashMap::new();
    for id in candidates.ids() {
        let mut signature = vec![0u64; all_sets.len().div_ceil(64)];
        for (i, set) in all_sets.iter().enumerate() {
            if set.contains(id) {
                signature[i / 64] |= 1 << (i % 64);
            }
        }
        classes.entry(signature).or_insert_with(|| ActionSet::empty(catalog.action_count())).insert(id);
    }

    let in_class = |signature: &[u64], i: usize| signature.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0);
    let mut merged: BTreeMap<(bool, usize, String), (ActionSet, Option<String>)> = BTreeMap::new();
    for (signature, actions) in &classes {
        let pick = |policy: &Policy, offset: usize, effect: Effect| -> Vec<usize> {
            (0..policy.statements.len())
                .filter(|&i| in_class(signature, offset + i) && policy.statements[i].effect == effect)
                .collect()
        };
        let view = ClassView {
            new,
            existing,
            new_denies: pick(new, 0, Effect::Deny),
            existing_allows: pick(existing, new.statements.len(), Effect::Allow),
            existing_denies: pick(existing, new.statements.len(), Effect::Deny),
            scope: scope.and_then(|s| s.resources.as_deref()),
        };
        for s in pick(new, 0, Effect::Allow) {
            let (definite, example, reason) = match view.analyse(s) {
                Answer::Covered => continue,
                Answer::New { example, reason } => (true, example, reason),
                Answer::Maybe { example, reason } => (false, example, reason),
            };
            let entry = merged
                .entry((definite, s, reason))
                .or_insert_with(|| (ActionSet::empty(catalog.action_count()), example));
            entry.0.union_with(actions);
        }
    }

    let mut out = Comparison::default();
    for ((definite, s, reason), (actions, example)) in merged {
        let statement = &new.statements[s];
        let (resources, not_resource) = match &statement.resource {
            Some(r) => (r.written.iter().map(|w| w.to_string()).collect(), r.negated),
            None => (Vec::new(), false),
        };
        let grant = Grant {
            statement: s,
            sid: statement.sid.as_deref().map(str::to_string),
            actions,
            resources,
            not_resource,
            conditions: describe_conditions(statement),
            example_resource: example.filter(|e| !e.is_empty()),
            reason,
        };
        if definite {
            out.new_access.push(grant);
        } else {
            out.may_allow.push(grant);
        }
    }
    let existing_written: Vec<&str> =
        existing.statements.iter().flat_map(|s| s.action.written.iter().map(|w| &**w)).collect();
    out.unchecked_actions = grants::unknown_actions(catalog, new)
        .into_iter()
        .filter(|(s, pattern)| {
            new.statements[*s].effect == Effect::Allow
                && !existing_written.iter().any(|w| w.eq_ignore_ascii_case(pattern))
        })
        .collect();
    out
}

/// The conditions of a statement, one line each: `Operator key value` or `Operator key [values]`.
pub fn describe_conditions(statement: &Statement) -> Vec<String> {
    statement
        .conditions
        .iter()
        .map(|c| {
            let values = match c.written_values() {
                [one] => one.to_string(),
                many => Value::Array(many.to_vec()).to_string(),
            };
            format!("{} {} {values}", c.operator.name(), c.key)
        })
        .collect()
}

enum Answer {
    Covered,
    New { example: Option<String>, reason: String },
    Maybe { example: Option<String>, reason: String },
}

/// The statements of both policies that cover one class of actions.
struct ClassView<'p> {
    new: &'p Policy,
    existing: &'p Policy,
    new_denies: Vec<usize>,
    existing_allows: Vec<usize>,
    existing_denies: Vec<usize>,
    scope: Option<&'p [Glob]>,
}

/// A resource element as languages: `Some(globs)` for `Resource`, with `NotResource` as `Not`.
enum Resources {
    All,
    Only(Vec<Glob>),
    AllBut(Vec<Glob>),
}

fn resources(element: Option<&Element<ArnPattern>>, variables: Variables) -> Resources {
    let Some(element) = element else { return Resources::All };
    let widen_other = match variables {
        Variables::Widen => Variables::Drop,
        Variables::Drop => Variables::Widen,
    };
    if element.negated {
        // The complement of an upper bound is a lower bound and vice versa.
        Resources::AllBut(element.patterns.iter().filter_map(|p| Glob::from_arn(p, widen_other)).collect())
    } else {
        let globs: Vec<Glob> = element.patterns.iter().filter_map(|p| Glob::from_arn(p, variables)).collect();
        if globs.iter().any(Glob::is_everything) {
            Resources::All
        } else {
            Resources::Only(globs)
        }
    }
}

/// Whether statement `other`'s principal element applies to every principal `s`'s applies to.
fn principal_covers(other: Option<&PrincipalElement>, s: Option<&PrincipalElement>) -> bool {
    match other {
        None => true,
        Some(o) if !o.negated && o.matchers.contains(&PrincipalMatcher::Everyone) => true,
        Some(o) => Some(o) == s,
    }
}

/// The text/automaton question being built: a resource in every `all_of` union and in no
/// `none_of` pattern.
#[derive(Clone, Default)]
struct Question {
    all_of: Vec<Vec<Glob>>,
    none_of: Vec<Glob>,
    /// Nothing can satisfy it (a `Deny` or an `Allow` on every resource).
    impossible: bool,
}

impl Question {
    /// Requests in the region a statement's resources cover.
    fn within(&mut self, r: Resources) {
        match r {
            Resources::All => {}
            Resources::Only(globs) => self.all_of.push(globs),
            Resources::AllBut(globs) => self.none_of.extend(globs),
        }
    }

    /// Requests outside the region a statement's resources cover.
    fn outside(&mut self, r: Resources) {
        match r {
            Resources::All => self.impossible = true,
            Resources::Only(globs) => self.none_of.extend(globs),
            Resources::AllBut(globs) => self.all_of.push(globs),
        }
    }

    fn solve(&self) -> Result<Option<String>, Undecided> {
        if self.impossible {
            return Ok(None);
        }
        let unions: Vec<&[Glob]> = self.all_of.iter().map(Vec::as_slice).collect();
        witness(&unions, &self.none_of)
    }
}

impl ClassView<'_> {
    fn analyse(&self, s: usize) -> Answer {
        let statement = &self.new.statements[s];
        let given: Vec<&monban_policy::policy::Condition> = statement.conditions.iter().collect();
        let own = resources(statement.resource.as_ref(), Variables::Widen);
        let widened = matches!(&own, Resources::Only(g) if g.iter().any(Glob::is_widened));

        // NEW's requests minus NEW's own denies that provably apply whenever the statement does.
        let mut base = Question::default();
        if let Some(scope) = self.scope {
            base.all_of.push(scope.to_vec());
        }
        self.subtract_new_denies(&mut base, &given, statement);

        // Part 1: requests no EXISTING allow covers. A pattern written identically in a covering
        // EXISTING statement covers itself, policy variables included.
        let mut uncovered = base.clone();
        let mut own_written: Vec<(&str, &ArnPattern)> = statement
            .resource
            .as_ref()
            .filter(|r| !r.negated)
            .map(|r| r.written.iter().map(|w| &**w).zip(r.patterns.iter()).collect())
            .unwrap_or_default();
        let mut maybe: Vec<usize> = Vec::new();
        for &e in &self.existing_allows {
            let other = &self.existing.statements[e];
            if principal_covers(other.principal.as_ref(), statement.principal.as_ref())
                && implies(&given, &other.conditions)
            {
                if let Some(r) = other.resource.as_ref().filter(|r| !r.negated) {
                    own_written.retain(|(w, _)| !r.written.iter().any(|x| &**x == *w));
                }
                uncovered.outside(resources(other.resource.as_ref(), Variables::Drop));
            } else {
                maybe.push(e);
            }
        }
        let own_for_deny = resources(statement.resource.as_ref(), Variables::Widen);
        match own {
            Resources::Only(_) => {
                let globs: Vec<Glob> =
                    own_written.iter().filter_map(|(_, p)| Glob::from_arn(p, Variables::Widen)).collect();
                uncovered.within(Resources::Only(globs));
            }
            other => uncovered.within(other),
        }
        match uncovered.solve() {
            Err(Undecided) => return maybe_answer(None, Undecided.to_string()),
            Ok(None) => {}
            Ok(Some(example)) => {
                let mut strict = uncovered.clone();
                for &e in &maybe {
                    strict.outside(resources(self.existing.statements[e].resource.as_ref(), Variables::Drop));
                }
                return match strict.solve() {
                    Err(Undecided) => maybe_answer(Some(example), Undecided.to_string()),
                    Ok(Some(example)) if widened => maybe_answer(
                        Some(example),
                        "NEW's resources use policy variables, which are compared only as written".to_string(),
                    ),
                    Ok(Some(example)) => Answer::New {
                        example: Some(example),
                        reason: if maybe.is_empty() {
                            "no EXISTING statement allows it".to_string()
                        } else {
                            format!(
                                "no EXISTING statement allows it (statement {} only under other conditions or principals)",
                                list(&maybe)
                            )
                        },
                    },
                    Ok(None) => maybe_answer(
                        Some(example),
                        format!(
                            "EXISTING statement {} allows it only under conditions or principals that NEW's statement \
                             does not provably meet",
                            list(&maybe)
                        ),
                    ),
                };
            }
        }

        // Part 2: requests EXISTING allows but also denies.
        let mut pending: Option<Answer> = None;
        for &d in &self.existing_denies {
            let deny = &self.existing.statements[d];
            let mut both: Vec<&monban_policy::policy::Condition> = given.clone();
            both.extend(deny.conditions.iter());
            let mut q = Question::default();
            if let Some(scope) = self.scope {
                q.all_of.push(scope.to_vec());
            }
            self.subtract_new_denies(&mut q, &both, statement);
            q.within(match &own_for_deny {
                Resources::All => Resources::All,
                Resources::Only(g) => Resources::Only(g.clone()),
                Resources::AllBut(g) => Resources::AllBut(g.clone()),
            });
            q.within(resources(deny.resource.as_ref(), Variables::Drop));
            match q.solve() {
                Err(Undecided) => return maybe_answer(None, Undecided.to_string()),
                Ok(None) => {}
                Ok(Some(example)) => {
                    let certain = principal_covers(deny.principal.as_ref(), statement.principal.as_ref())
                        && implies(&given, &deny.conditions)
                        && !widened;
                    if certain {
                        return Answer::New {
                            example: Some(example),
                            reason: format!("EXISTING statement {d} denies it"),
                        };
                    }
                    pending.get_or_insert(Answer::Maybe {
                        example: Some(example),
                        reason: format!("EXISTING statement {d} denies it when its conditions hold"),
                    });
                }
            }
        }
        pending.unwrap_or(Answer::Covered)
    }

    /// Removes the requests that a NEW deny takes away whenever `given` holds.
    fn subtract_new_denies(&self, q: &mut Question, given: &[&monban_policy::policy::Condition], s: &Statement) {
        for &d in &self.new_denies {
            let deny = &self.new.statements[d];
            if principal_covers(deny.principal.as_ref(), s.principal.as_ref()) && implies(given, &deny.conditions) {
                q.outside(resources(deny.resource.as_ref(), Variables::Drop));
            }
        }
    }
}

fn maybe_answer(example: Option<String>, reason: String) -> Answer {
    Answer::Maybe { example, reason }
}

fn list(items: &[usize]) -> String {
    items.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
}

/// Actions grouped by service prefix and access level, names without prefix.
pub fn group_actions(
    catalog: &Catalog,
    actions: &ActionSet,
) -> BTreeMap<&'static str, BTreeMap<AccessLevel, Vec<&'static str>>> {
    let mut groups: BTreeMap<&'static str, BTreeMap<AccessLevel, Vec<&'static str>>> = BTreeMap::new();
    for action in catalog.actions_in(actions) {
        groups.entry(action.prefix()).or_default().entry(action.access_level()).or_default().push(action.name());
    }
    groups
}

fn grant_json(catalog: &Catalog, grant: &Grant) -> Value {
    let services: serde_json::Map<String, Value> = group_actions(catalog, &grant.actions)
        .into_iter()
        .map(|(prefix, levels)| {
            let levels: serde_json::Map<String, Value> = levels
                .into_iter()
                .map(|(level, names)| {
                    (
                        level.as_str().to_string(),
                        Value::Array(names.into_iter().map(|n| json!(format!("{prefix}:{n}"))).collect()),
                    )
                })
                .collect();
            (prefix.to_string(), Value::Object(levels))
        })
        .collect();
    json!({
        "statement": grant.statement,
        "sid": grant.sid,
        "action_count": grant.actions.len(),
        "actions": services,
        (if grant.not_resource { "not_resources" } else { "resources" }): grant.resources,
        "conditions": grant.conditions,
        "example_resource": grant.example_resource,
        "reason": grant.reason,
    })
}

impl Comparison {
    /// The answer as JSON: `new_access`, `may_allow` (each a list of grants with their actions by
    /// service and access level) and `unchecked_actions`.
    pub fn to_json(&self, catalog: &Catalog) -> Value {
        json!({
            "new_access": self.new_access.iter().map(|g| grant_json(catalog, g)).collect::<Vec<_>>(),
            "may_allow": self.may_allow.iter().map(|g| grant_json(catalog, g)).collect::<Vec<_>>(),
            "unchecked_actions": self.unchecked_actions.iter().map(|(s, a)| json!({"statement": s, "action": a})).collect::<Vec<_>>(),
        })
    }

    /// The answer as a readable summary.
    pub fn to_text(&self, catalog: &Catalog) -> String {
        let mut out = String::new();
        let count = |grants: &[Grant]| {
            let mut all = ActionSet::empty(catalog.action_count());
            for g in grants {
                all.union_with(&g.actions);
            }
            all.len()
        };
        if self.is_empty() {
            out.push_str("NEW allows nothing that EXISTING does not\n");
            return out;
        }
        out.push_str(&format!(
            "NEW allows {} that EXISTING does not; {} more may be allowed\n",
            crate::text::counted(count(&self.new_access), "action", "actions"),
            count(&self.may_allow)
        ));
        for (title, grants) in [("newly allowed", &self.new_access), ("may allow", &self.may_allow)] {
            for g in grants {
                let sid = g.sid.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
                out.push_str(&format!("\n{title}: statement {}{sid}: {}\n", g.statement, g.reason));
                if !g.resources.is_empty() {
                    let key = if g.not_resource { "not resources" } else { "resources" };
                    out.push_str(&format!("  {key}: {}\n", g.resources.join(", ")));
                }
                if let Some(example) = &g.example_resource {
                    out.push_str(&format!("  for example on: {example}\n"));
                }
                for c in &g.conditions {
                    out.push_str(&format!("  when: {c}\n"));
                }
                for (prefix, levels) in group_actions(catalog, &g.actions) {
                    out.push_str(&format!("  {prefix}\n"));
                    for (level, names) in levels {
                        let names = crate::text::wrap(&names, 28, 28);
                        out.push_str(&format!("    {:<24}{names}\n", level.as_str()));
                    }
                }
            }
        }
        for (s, a) in &self.unchecked_actions {
            out.push_str(&format!("\nunchecked: statement {s}: `{a}` names no known action\n"));
        }
        out
    }
}
