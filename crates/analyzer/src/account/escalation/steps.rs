//! One step decided on a concrete principal and target: every request a method makes, asked of
//! the engine with the context AWS would fill in, and the statements that allowed it.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use monban_policy::pattern::SplitArn;
use monban_policy::policy::PrincipalMatcher;
use monban_policy::{authorize, Caller, ContextValue, Effect, Policy, PolicySet, Request, Statement};

use super::methods::{Compute, EXISTING_COMPUTE, NEW_COMPUTE};
use super::pools::{Classes, Matched, Pool};
use super::{Method, Step};
use crate::account::{add_resource_tags, Directory, Principal, PrincipalKind, ADMINISTRATOR_ACCESS};

/// How one principal gains another's permissions: the kinds of edge, each redone on demand by
/// [`Analysis::attempt`] so that a reported step is always decided on its concrete pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hop {
    /// `sts:AssumeRole` under the role's trust policy.
    Assume,
    /// Taking over a user's credentials (access key, login profile).
    Credentials,
    /// Rewriting a role's trust policy, then assuming it.
    RewriteTrust,
    /// Handing the role to new compute (`existing: false`, an entry of [`NEW_COMPUTE`]) or editing
    /// compute that runs as it (`existing: true`, an entry of [`EXISTING_COMPUTE`]).
    Compute { existing: bool, entry: usize },
}

/// The graph: edges between existing principals, and final steps that make one admin.
#[derive(Default)]
pub(super) struct Graph {
    /// `from` gains `to`'s permissions.
    pub(super) explicit: Vec<(usize, usize, Hop)>,
    /// `from` gains the permissions of every member of a class but the exceptions.
    pub(super) implicit: Vec<Implicit>,
    /// A principal's final steps to administrator permissions (its own, or a reachable principal's).
    pub(super) finals: Vec<Final>,
    /// "X can make Y admin" for Y ≠ X; final once X can reach Y.
    pub(super) makes_admin: Vec<(usize, usize, Step, Made)>,
}

/// Steps that end with some principal admin-equivalent.
pub(super) struct Final {
    /// Who takes the steps.
    pub(super) actor: usize,
    pub(super) steps: Vec<Step>,
    /// What is reached, for the report.
    pub(super) reaches: String,
    /// The principal made admin, as it is afterwards.
    pub(super) made: Made,
}

/// A principal as an escalation leaves it: an existing one with its policies changed, or one
/// created. From here it can take over any principal its new permissions reach.
#[derive(Clone)]
pub(super) struct Made {
    pub(super) principal: Principal,
    pub(super) identity: Vec<Arc<Policy>>,
    pub(super) boundary: Option<Arc<Policy>>,
}

/// An edge from one principal to many targets, decided once on one of them.
pub(super) struct Implicit {
    pub(super) from: usize,
    pub(super) targets: Targets,
    pub(super) hop: Hop,
}

/// The targets of an [`Implicit`] edge.
pub(super) enum Targets {
    /// The members of a class but the exceptions (sorted principal indices): the members the
    /// caller's statements name specifically, decided in their own groups.
    Class { class: usize, except: Rc<[usize]> },
    /// Members of one class that the same statements name.
    Group(Rc<[usize]>),
}

/// Which members of a pool a caller's statements for some actions treat specially.
pub(super) struct Scope {
    /// Some identity `Allow` statement covers every member not named below.
    pub(super) universal: bool,
    /// Members some statement (identity, boundary or SCP; Allow or Deny) names by a pattern that
    /// does not match the whole pool, sorted.
    pub(super) named: Rc<[usize]>,
    /// The named members grouped by class and by the statements that name them: members of a
    /// group decide alike.
    pub(super) groups: Vec<Rc<[usize]>>,
}

pub(super) struct Analysis<'d> {
    pub(super) dir: &'d Directory,
    sets: Vec<PolicySet>,
    allow_all: Arc<Policy>,
    /// Requests decided by the engine so far.
    pub(super) decisions: Cell<usize>,
    /// Exception lists by content, so that edges with equal exceptions share one (the search
    /// handles them together).
    interned: RefCell<HashSet<Rc<[usize]>>>,
    /// Whether a principal would be admin-equivalent given everything (`true`: an allow-all
    /// policy added) and without its boundary (`true`): a property of the principal alone.
    admin_after: RefCell<HashMap<(usize, bool, bool), bool>>,
    /// Every class of every pool.
    pub(super) classes: Classes,
    /// Per account id: its users, classed by tags and permissions boundary.
    pub(super) users: HashMap<&'d str, Pool>,
    /// Per account id: its roles, classed by tags and permissions boundary.
    pub(super) roles: HashMap<&'d str, Pool>,
    /// Per account id: the roles whose trust policies name that account (or everyone), classed
    /// by account, trust policy and tags.
    pub(super) trusting: HashMap<&'d str, Pool>,
    /// Roles whose trust policy lets anyone in (`"AWS": "*"` or `NotPrincipal`), same classes.
    pub(super) open: Pool,
    /// Per account id and compute service: the roles of the account that the service may assume,
    /// classed by whether they have an instance profile.
    pub(super) served: HashMap<(&'d str, &'static str), Pool>,
    /// (principal, role) pairs where the role's trust policy names the principal itself.
    pub(super) named_in_trust: Vec<(usize, usize)>,
    /// Per account id: its groups' ARNs and, per group, its members.
    groups: HashMap<&'d str, Vec<&'d str>>,
    members: HashMap<&'d str, Vec<usize>>,
    /// Per account id: its customer managed policies' ARNs and, per policy, who has it.
    policies: HashMap<&'d str, Vec<&'d str>>,
    holders: HashMap<&'d str, Vec<usize>>,
    /// Per account id: customer managed policies that, as a boundary, leave an admin policy
    /// admin (boundaries an attacker creating a principal would choose).
    permissive: HashMap<&'d str, Vec<&'d str>>,
}

/// One allowed request: action, resource, the statements that allowed it.
type Request3 = (String, String, Vec<String>);

/// Lower-cased action, for statement prefilters.
pub(super) fn lower(action: &str) -> String {
    action.to_ascii_lowercase()
}

/// What a trust policy lets in as callers: accounts, everyone, named principals.
#[derive(Default)]
struct Trusted<'p> {
    accounts: Vec<&'p str>,
    everyone: bool,
    named: Vec<&'p str>,
    services: Vec<&'p str>,
}

fn trusted<'p>(trust: &'p Policy, role: &'p Principal) -> Trusted<'p> {
    let mut out = Trusted::default();
    for st in trust_statements(trust, role) {
        let Some(element) = &st.principal else { continue };
        if element.negated {
            out.everyone = true;
            continue;
        }
        for m in &element.matchers {
            match m {
                PrincipalMatcher::Everyone => out.everyone = true,
                PrincipalMatcher::Account(a) if !out.accounts.contains(&&**a) => out.accounts.push(a),
                PrincipalMatcher::Role(arn) | PrincipalMatcher::Exact(arn) => out.named.push(arn),
                PrincipalMatcher::Service(service) => out.services.push(service),
                _ => {}
            }
        }
    }
    out
}

impl<'d> Analysis<'d> {
    pub(super) fn new(dir: &'d Directory) -> Analysis<'d> {
        let sets = dir.principals.iter().map(|p| p.policy_set(None)).collect();
        let mut classes = Classes::default();
        let arn_of = |i: usize| (i, dir.principals[i].arn.clone());
        let mut users: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut roles: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut trusting: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut open: Vec<usize> = Vec::new();
        let mut named_in_trust = Vec::new();
        let mut by_service: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in dir.principals.iter().enumerate() {
            match p.kind {
                PrincipalKind::User => users.entry(&p.account_id).or_default().push(i),
                PrincipalKind::Role => roles.entry(&p.account_id).or_default().push(i),
            }
            let Some(trust) = &p.trust else { continue };
            let who = trusted(trust, p);
            for a in who.accounts {
                trusting.entry(a).or_default().push(i);
            }
            if who.everyone {
                open.push(i);
            }
            for arn in who.named {
                if let Some(c) = dir.principal(arn) {
                    named_in_trust.push((c, i));
                }
            }
            for service in who.services {
                let list = by_service.entry(service).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        named_in_trust.sort_unstable();
        named_in_trust.dedup();
        // A trust policy's text, for classes: roles whose policies read alike decide alike.
        let trust_text: Vec<String> = dir
            .principals
            .iter()
            .map(|p| p.trust.as_ref().map(|t| t.to_json().to_string()).unwrap_or_default())
            .collect();
        let by_trust =
            |i: usize| (dir.principals[i].account_id.clone(), trust_text[i].clone(), dir.principals[i].tags.clone());
        let by_tags = |i: usize| (dir.principals[i].tags.clone(), dir.principals[i].boundary_arn.clone());
        let pools = |lists: HashMap<&'d str, Vec<usize>>, classes: &mut Classes, trust: bool| {
            lists
                .into_iter()
                .map(|(account, members)| {
                    let members = members.into_iter().map(arn_of);
                    let pool = if trust {
                        Pool::new(members, by_trust, classes)
                    } else {
                        Pool::new(members, by_tags, classes)
                    };
                    (account, pool)
                })
                .collect::<HashMap<&'d str, Pool>>()
        };
        let users = pools(users, &mut classes, false);
        let trusting = pools(trusting, &mut classes, true);
        let open_roles = open.clone();
        let open = Pool::new(open.into_iter().map(arn_of), by_trust, &mut classes);
        let mut served = HashMap::new();
        for account in roles.keys() {
            for compute in NEW_COMPUTE.iter().chain(EXISTING_COMPUTE) {
                if served.contains_key(&(*account, compute.service)) {
                    continue;
                }
                // Roles whose trust policies name the service or anyone, then decided by the engine.
                let members: Vec<usize> = by_service
                    .get(compute.service)
                    .into_iter()
                    .flatten()
                    .chain(&open_roles)
                    .copied()
                    .filter(|&r| dir.principals[r].account_id == *account)
                    .filter(|&r| service_trusted(&dir.principals[r], compute.service))
                    .collect::<std::collections::BTreeSet<usize>>()
                    .into_iter()
                    .collect();
                let has_profile = |r: usize| {
                    let role = &dir.principals[r];
                    !dir.accounts[role.account].roles[role.index].instance_profiles.is_empty()
                };
                served.insert(
                    (*account, compute.service),
                    Pool::new(members.into_iter().map(arn_of), has_profile, &mut classes),
                );
            }
        }
        let roles = pools(roles, &mut classes, false);
        let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut policies: HashMap<&str, Vec<&str>> = HashMap::new();
        for account in &dir.accounts {
            groups.insert(&account.id, account.groups.iter().map(|g| g.arn.as_str()).collect());
            policies.insert(
                &account.id,
                account.policies.iter().filter(|p| !p.is_aws_managed()).map(|p| p.arn.as_str()).collect(),
            );
        }
        let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut holders: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in dir.principals.iter().enumerate() {
            for g in &p.groups {
                members.entry(g.as_str()).or_default().push(i);
            }
            for m in p.managed.iter().flatten() {
                let list = holders.entry(m.as_str()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let mut permissive: HashMap<&str, Vec<&str>> = HashMap::new();
        for account in &dir.accounts {
            let probe = dir.new_principal(
                PrincipalKind::Role,
                &account.id,
                &format!("arn:aws:iam::{}:role/monban-probe", account.id),
            );
            let Some(probe) = probe else { continue };
            for arn in policies.get(account.id.as_str()).into_iter().flatten() {
                let Some(policy) = dir.managed.get(*arn) else { continue };
                if dir.admin_decision(&probe, std::slice::from_ref(&dir.allow_all), Some(&policy.default)).is_some() {
                    permissive.entry(&account.id).or_default().push(arn);
                }
            }
        }
        Analysis {
            dir,
            sets,
            allow_all: dir.allow_all.clone(),
            decisions: Cell::new(0),
            interned: RefCell::new(HashSet::new()),
            admin_after: RefCell::new(HashMap::new()),
            classes,
            users,
            roles,
            trusting,
            open,
            served,
            named_in_trust,
            groups,
            members,
            policies,
            holders,
            permissive,
        }
    }

    /// The shared copy of an exception list.
    pub(super) fn intern(&self, list: Rc<[usize]>) -> Rc<[usize]> {
        let mut interned = self.interned.borrow_mut();
        if let Some(known) = interned.get(&list) {
            return known.clone();
        }
        interned.insert(list.clone());
        list
    }

    pub(super) fn p(&self, i: usize) -> &'d Principal {
        &self.dir.principals[i]
    }

    fn resource(&self, template: &str, p: &Principal) -> String {
        template.replace("{account}", &p.account_id).replace("{region}", &self.dir.options.region)
    }

    /// Whether an identity `Allow` statement of `i` names the action, and so does its boundary
    /// and every SCP level (resources and conditions aside): the cheap test that keeps the engine
    /// from being asked about principals that cannot possibly do something.
    pub(super) fn may(&self, i: usize, action_lower: &str) -> bool {
        let p = self.p(i);
        let names = |policies: &mut dyn Iterator<Item = &Arc<Policy>>| {
            policies.flat_map(|pol| pol.statements.iter()).any(|st| {
                st.effect == Effect::Allow
                    && st.action.patterns.iter().any(|pat| pat.matches_prepared(action_lower, &p.context))
                        != st.action.negated
            })
        };
        names(&mut p.identity.iter())
            && p.boundary.as_ref().is_none_or(|b| names(&mut std::iter::once(b)))
            && p.scps.iter().all(|level| names(&mut level.iter()))
    }

    /// Which members of `pool` the statements of `i` that cover any of `actions` (lower-cased)
    /// treat specially: for one caller, two members of a class that no statement names get the
    /// same decision, whatever their ARNs (see [`Pool`]).
    pub(super) fn scope(&self, i: usize, actions: &[&str], pool: &Pool) -> Scope {
        let p = self.p(i);
        let covers = |st: &Statement| {
            actions.iter().any(|a| st.action.patterns.iter().any(|pat| pat.matches_prepared(a, &p.context)))
                != st.action.negated
        };
        let mut universal = false;
        // (member, statement ordinal) for each statement whose resource treats the member
        // differently from the rest of the pool.
        let mut hits: Vec<(usize, usize)> = Vec::new();
        let identity = p.identity.iter().map(|policy| (policy, true));
        let limits = p.boundary.iter().chain(p.scps.iter().flatten()).map(|policy| (policy, false));
        let statements = identity
            .chain(limits)
            .flat_map(|(policy, is_identity)| policy.statements.iter().map(move |st| (st, is_identity)));
        for (ordinal, (st, is_identity)) in statements.enumerate() {
            if !covers(st) {
                continue;
            }
            let everything = match &st.resource {
                None => true,
                Some(resource) => {
                    let mut all = false;
                    let mut found_here: Vec<usize> = Vec::new();
                    for (pattern, written) in resource.patterns.iter().zip(&resource.written) {
                        match pool.matching(pattern, written, &p.context) {
                            Matched::All => all = true,
                            Matched::Some(found) => found_here.extend(found.iter().copied()),
                        }
                    }
                    if !all {
                        hits.extend(found_here.into_iter().map(|m| (m, ordinal)));
                    }
                    // `NotResource` applies alike to every member its patterns miss.
                    all != resource.negated
                }
            };
            if everything && is_identity && st.effect == Effect::Allow {
                universal = true;
            }
        }
        hits.sort_unstable();
        hits.dedup();
        let mut named = Vec::new();
        let mut groups: HashMap<(Option<usize>, Vec<usize>), Vec<usize>> = HashMap::new();
        for run in hits.chunk_by(|a, b| a.0 == b.0) {
            let member = run[0].0;
            named.push(member);
            let signature = run.iter().map(|(_, k)| *k).collect();
            groups.entry((pool.class_of(member), signature)).or_default().push(member);
        }
        let mut groups: Vec<Rc<[usize]>> = groups.into_values().map(Rc::from).collect();
        groups.sort_unstable();
        Scope { universal, named: named.into(), groups }
    }

    /// The positions in `arns` that some resource pattern of `i`'s statements allowing the action
    /// matches (all of them for `*`, `NotResource` or no `Resource`).
    fn matching(&self, i: usize, action_lower: &str, arns: &[&str]) -> Vec<usize> {
        let p = self.p(i);
        let everything = || (0..arns.len()).collect();
        let mut out: Vec<usize> = Vec::new();
        let mut seen = vec![false; arns.len()];
        for st in p.identity.iter().flat_map(|pol| pol.statements.iter()) {
            if st.effect != Effect::Allow
                || st.action.patterns.iter().any(|pat| pat.matches_prepared(action_lower, &p.context))
                    == st.action.negated
            {
                continue;
            }
            let Some(resource) = &st.resource else { return everything() };
            if resource.negated || resource.patterns.iter().any(|r| r.is_everything()) {
                return everything();
            }
            for (pattern, written) in resource.patterns.iter().zip(&resource.written) {
                let literal = !written.contains(['*', '?', '$']);
                for (k, arn) in arns.iter().enumerate() {
                    let hit =
                        if literal { **written == **arn } else { pattern.matches(&SplitArn::new(arn), &p.context) };
                    if hit && !seen[k] {
                        seen[k] = true;
                        out.push(k);
                    }
                }
            }
        }
        out
    }

    /// Asks the engine whether principal `i` may do `action` on `resource` with extra context
    /// keys, the target's tags and, for trust policies, a resource-based policy. Returns the
    /// deciding statements when allowed.
    fn allowed(
        &self,
        i: usize,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
        tags: &[(String, String)],
        resource_policy: Option<&Arc<Policy>>,
    ) -> Option<Vec<String>> {
        self.allowed_as(self.p(i), &self.sets[i], action, resource, extra, tags, resource_policy)
    }

    /// [`Analysis::allowed`] for any principal and policy set (one made admin, or created).
    #[allow(clippy::too_many_arguments)]
    fn allowed_as(
        &self,
        p: &Principal,
        set: &PolicySet,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
        tags: &[(String, String)],
        resource_policy: Option<&Arc<Policy>>,
    ) -> Option<Vec<String>> {
        self.decisions.set(self.decisions.get() + 1);
        let mut context = p.context.clone();
        for (k, v) in extra {
            context.insert(k, ContextValue::single(*v));
        }
        add_resource_tags(&mut context, tags);
        let request = Request::new(p.caller.clone(), action, resource).with_context(context);
        let decision = match resource_policy {
            None => authorize(&request, set),
            Some(policy) => {
                // A role's trust policy is a resource-based policy: the RCPs of the role's
                // account govern assuming it (AWS STS is among the services RCPs cover).
                let mut set = set.clone();
                set.resource = Some(policy.clone());
                let account = monban_policy::arn::Arn::parse(resource).map(|a| a.account().to_string());
                set.rcps = account.map(|a| self.dir.rcps_of(&a)).unwrap_or_default();
                let decision = authorize(&request, &set);
                return decision.is_allowed().then(|| Directory::statement_labels(&set, &decision));
            }
        };
        decision.is_allowed().then(|| Directory::statement_labels(set, &decision))
    }

    /// The step by which a principal made admin takes over principal `t`: rewriting a role's
    /// trust policy and assuming it, or taking over a user's credentials, decided on the made
    /// principal's new policies.
    pub(super) fn take_over(&self, made: &Made, t: usize) -> Option<Step> {
        let target = self.p(t);
        let p = &made.principal;
        if p.arn == target.arn {
            return None;
        }
        let set = PolicySet {
            identity: made.identity.clone(),
            boundary: made.boundary.clone(),
            scps: p.scps.clone(),
            ..PolicySet::default()
        };
        let new_step = |method| Step {
            from: p.arn.clone(),
            to: target.arn.clone(),
            method,
            actions: Vec::new(),
            statements: Vec::new(),
            assumes_existing_resource: false,
        };
        match target.kind {
            PrincipalKind::Role => {
                let rewritten = trust_naming(&p.arn)?;
                let s1 =
                    self.allowed_as(p, &set, "iam:UpdateAssumeRolePolicy", &target.arn, &[], &target.tags, None)?;
                let s2 =
                    self.allowed_as(p, &set, "sts:AssumeRole", &target.arn, &[], &target.tags, Some(&rewritten))?;
                let mut step = new_step(Method::UpdateAssumeRolePolicy);
                Self::add(&mut step, "iam:UpdateAssumeRolePolicy", &target.arn, s1);
                Self::add(&mut step, "sts:AssumeRole", &target.arn, s2);
                Some(step)
            }
            PrincipalKind::User => CREDENTIAL_METHODS.iter().find_map(|(action, method)| {
                let statements = self.allowed_as(p, &set, action, &target.arn, &[], &target.tags, None)?;
                let mut step = new_step(*method);
                Self::add(&mut step, action, &target.arn, statements);
                Some(step)
            }),
        }
    }

    fn step(&self, from: usize, to: &str, method: Method) -> Step {
        Step {
            from: self.p(from).arn.clone(),
            to: to.to_string(),
            method,
            actions: Vec::new(),
            statements: Vec::new(),
            assumes_existing_resource: false,
        }
    }

    /// Records one allowed request in a step.
    fn add(step: &mut Step, action: &str, resource: &str, statements: Vec<String>) {
        step.actions.push(format!("{action} on {resource}"));
        for s in statements {
            if !step.statements.contains(&s) {
                step.statements.push(s);
            }
        }
    }

    /// A trust policy that names principal `i` directly, as an attacker who may rewrite or write
    /// a trust policy would.
    fn trust_naming(&self, i: usize) -> Option<Arc<Policy>> {
        trust_naming(&self.p(i).arn)
    }

    /// Redoes one edge on a concrete pair: the step with the statements that allowed each
    /// request, or `None` when the engine does not allow it.
    pub(super) fn attempt(&self, hop: Hop, from: usize, to: usize) -> Option<Step> {
        if from == to {
            return None;
        }
        match hop {
            Hop::Assume => self.assume(from, to),
            Hop::Credentials => self.take_credentials(from, to),
            Hop::RewriteTrust => self.rewrite_trust(from, to),
            Hop::Compute { existing: false, entry } => self.run_as(from, NEW_COMPUTE.get(entry)?, false, to),
            Hop::Compute { existing: true, entry } => self.run_as(from, EXISTING_COMPUTE.get(entry)?, true, to),
        }
    }

    /// `sts:AssumeRole` on role `r` under its trust policy.
    fn assume(&self, c: usize, r: usize) -> Option<Step> {
        let role = self.p(r);
        let trust = role.trust.as_ref()?;
        let statements = self.allowed(c, "sts:AssumeRole", &role.arn, &[], &role.tags, Some(trust))?;
        let mut step = self.step(c, &role.arn, Method::AssumeRole);
        Self::add(&mut step, "sts:AssumeRole", &role.arn, statements);
        Some(step)
    }

    /// `iam:CreateAccessKey`, `iam:CreateLoginProfile` or `iam:UpdateLoginProfile` on user `u`,
    /// the first the engine allows.
    fn take_credentials(&self, i: usize, u: usize) -> Option<Step> {
        let user = self.p(u);
        if user.kind != PrincipalKind::User {
            return None;
        }
        CREDENTIAL_METHODS.iter().find_map(|(action, method)| {
            let statements = self.allowed(i, action, &user.arn, &[], &user.tags, None)?;
            let mut step = self.step(i, &user.arn, *method);
            Self::add(&mut step, action, &user.arn, statements);
            Some(step)
        })
    }

    /// `iam:UpdateAssumeRolePolicy` on role `r`, then `sts:AssumeRole` under the rewritten trust.
    fn rewrite_trust(&self, i: usize, r: usize) -> Option<Step> {
        let role = self.p(r);
        if role.kind != PrincipalKind::Role {
            return None;
        }
        let rewritten = self.trust_naming(i)?;
        let s1 = self.allowed(i, "iam:UpdateAssumeRolePolicy", &role.arn, &[], &role.tags, None)?;
        let s2 = self.allowed(i, "sts:AssumeRole", &role.arn, &[], &role.tags, Some(&rewritten))?;
        let mut step = self.step(i, &role.arn, Method::UpdateAssumeRolePolicy);
        Self::add(&mut step, "iam:UpdateAssumeRolePolicy", &role.arn, s1);
        Self::add(&mut step, "sts:AssumeRole", &role.arn, s2);
        Some(step)
    }

    /// Role `r` handed to new compute (`iam:PassRole` with `iam:PassedToService`) or reached
    /// through compute that already runs as it, and the requests that create or edit it.
    fn run_as(&self, i: usize, compute: &Compute, existing: bool, r: usize) -> Option<Step> {
        let role = self.p(r);
        if role.kind != PrincipalKind::Role || !service_trusted(role, compute.service) {
            return None;
        }
        let requests = self.compute_requests(i, compute)?;
        let mut step = self.step(i, &role.arn, compute.method);
        step.assumes_existing_resource = existing;
        if !existing {
            let passed = [("iam:PassedToService", compute.service)];
            let statements = self.allowed(i, "iam:PassRole", &role.arn, &passed, &[], None)?;
            Self::add(&mut step, "iam:PassRole", &role.arn, statements);
        }
        if compute.needs_instance_profile
            && self.dir.accounts[role.account].roles[role.index].instance_profiles.is_empty()
        {
            if existing {
                return None;
            }
            for (action, resource, statements) in self.instance_profile(i)? {
                Self::add(&mut step, &action, &resource, statements);
            }
        }
        for (action, resource, statements) in requests {
            Self::add(&mut step, &action, &resource, statements);
        }
        Some(step)
    }

    /// The requests of one alternative of a compute entry, all allowed, or `None`.
    pub(super) fn compute_requests(&self, i: usize, compute: &Compute) -> Option<Vec<Request3>> {
        let p = self.p(i);
        'alternatives: for alternative in compute.alternatives {
            let mut done = Vec::new();
            for (action, template) in alternative.iter() {
                if !self.may(i, &lower(action)) {
                    continue 'alternatives;
                }
                let resource = self.resource(template, p);
                match self.allowed(i, action, &resource, &[], &[], None) {
                    Some(statements) => done.push((action.to_string(), resource, statements)),
                    None => continue 'alternatives,
                }
            }
            return Some(done);
        }
        None
    }

    /// `iam:CreateInstanceProfile` + `iam:AddRoleToInstanceProfile`, for EC2 when the role has
    /// no instance profile yet.
    fn instance_profile(&self, i: usize) -> Option<Vec<Request3>> {
        let p = self.p(i);
        let arn = format!("arn:aws:iam::{}:instance-profile/monban-probe", p.account_id);
        let mut out = Vec::new();
        for action in ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"] {
            let statements = self.allowed(i, action, &arn, &[], &[], None)?;
            out.push((action.to_string(), arn.clone(), statements));
        }
        Some(out)
    }

    /// Policy manipulation: can `i` make some principal `y` of its account admin-equivalent by
    /// writing or attaching a policy (on `y`, its groups or its customer managed policies),
    /// switching a policy's default version, removing or replacing `y`'s boundary, or adding
    /// `y` to a group?
    pub(super) fn manipulation(&self, graph: &mut Graph, i: usize, taken: &dyn Fn() -> Vec<usize>) {
        const ACTIONS: [&str; 14] = [
            "iam:PutUserPolicy",
            "iam:AttachUserPolicy",
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:PutGroupPolicy",
            "iam:AttachGroupPolicy",
            "iam:CreatePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:DeleteUserPermissionsBoundary",
            "iam:PutUserPermissionsBoundary",
            "iam:DeleteRolePermissionsBoundary",
            "iam:PutRolePermissionsBoundary",
            "iam:AddUserToGroup",
            "iam:CreateAccessKey",
        ];
        let may: Vec<bool> = ACTIONS.iter().map(|a| self.may(i, &lower(a))).collect();
        if !may.iter().take(13).any(|m| *m) {
            return;
        }
        let p = self.p(i);
        let mut targets: Vec<usize> = Vec::new();
        let pool_users = self.users.get(p.account_id.as_str());
        let pool_roles = self.roles.get(p.account_id.as_str());
        let mut seen = HashSet::new();
        let mut add_targets = |list: Vec<usize>, targets: &mut Vec<usize>| {
            for t in list {
                if seen.insert(t) {
                    targets.push(t);
                }
            }
        };
        for (k, action) in ACTIONS.iter().enumerate().take(12) {
            if !may[k] {
                continue;
            }
            let a = lower(action);
            match *action {
                "iam:PutUserPolicy"
                | "iam:AttachUserPolicy"
                | "iam:DeleteUserPermissionsBoundary"
                | "iam:PutUserPermissionsBoundary" => {
                    if let Some(pool) = pool_users {
                        add_targets(self.allowed_members(i, action, pool), &mut targets);
                    }
                }
                "iam:PutRolePolicy"
                | "iam:AttachRolePolicy"
                | "iam:DeleteRolePermissionsBoundary"
                | "iam:PutRolePermissionsBoundary" => {
                    if let Some(pool) = pool_roles {
                        add_targets(self.allowed_members(i, action, pool), &mut targets);
                    }
                }
                // Through a group: its members; through a policy: who has it attached.
                "iam:PutGroupPolicy" | "iam:AttachGroupPolicy" => {
                    let arns = self.groups.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                    for k in self.matching(i, &a, arns) {
                        add_targets(self.members.get(arns[k]).cloned().unwrap_or_default(), &mut targets);
                    }
                }
                _ => {
                    let arns = self.policies.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                    for k in self.matching(i, &a, arns) {
                        add_targets(self.holders.get(arns[k]).cloned().unwrap_or_default(), &mut targets);
                    }
                }
            }
        }
        // Joining a group: oneself, or a user whose credentials one can take over.
        let mut joiners: Vec<usize> = Vec::new();
        if may[12] {
            joiners = taken();
            if p.kind == PrincipalKind::User {
                joiners.push(i);
            }
            add_targets(joiners.clone(), &mut targets);
        }
        let joiners: HashSet<usize> = joiners.into_iter().collect();
        let joinable: Vec<&str> = if may[12] {
            let arns = self.groups.get(p.account_id.as_str()).map(Vec::as_slice).unwrap_or_default();
            self.matching(i, &lower("iam:AddUserToGroup"), arns).into_iter().map(|k| arns[k]).collect()
        } else {
            Vec::new()
        };
        // Making oneself admin is one step: nothing through another principal is shorter.
        if let Some(k) = targets.iter().position(|&y| y == i) {
            targets.swap(0, k);
        }
        for y in targets {
            if self.dir.is_admin(y) {
                continue;
            }
            let groups = if joiners.contains(&y) { joinable.as_slice() } else { &[] };
            if let Some((step, made)) = self.make_admin(i, y, &may, groups) {
                if y == i {
                    let reaches = format!("administrator ({} modified)", p.arn);
                    graph.finals.push(Final { actor: i, steps: vec![step], reaches, made });
                    return;
                } else {
                    graph.makes_admin.push((i, y, step, made));
                }
            }
        }
    }

    /// The extra context keys of a policy-manipulation request on target `y`'s own ARN: its
    /// boundary as `iam:PermissionsBoundary` (the one to set, for `Put...PermissionsBoundary`),
    /// and `iam:PolicyARN` for attachments.
    fn manipulation_keys(action: &str, y: &Principal) -> Vec<(&'static str, String)> {
        let mut keys = Vec::new();
        if action.ends_with("PermissionsBoundary") && action.contains("Put") {
            keys.push(("iam:PermissionsBoundary", ADMINISTRATOR_ACCESS.to_string()));
        } else if let Some(b) = &y.boundary_arn {
            keys.push(("iam:PermissionsBoundary", b.clone()));
        }
        if action.starts_with("iam:Attach") {
            keys.push(("iam:PolicyARN", ADMINISTRATOR_ACCESS.to_string()));
        }
        keys
    }

    /// A policy-manipulation request of `i` on target `y`'s own ARN.
    fn allowed_on(&self, i: usize, action: &str, y: usize) -> Option<Vec<String>> {
        let target = self.p(y);
        let keys = Self::manipulation_keys(action, target);
        let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.allowed(i, action, &target.arn, &keys, &target.tags, None)
    }

    /// The members of `pool` that `i` may make a policy-manipulation request on: each group of
    /// named members and each class of the others decided once, on one member (the keys of
    /// [`Analysis::manipulation_keys`] are alike within a class).
    fn allowed_members(&self, i: usize, action: &str, pool: &Pool) -> Vec<usize> {
        let scope = self.scope(i, &[&lower(action)], pool);
        let mut out = Vec::new();
        for group in &scope.groups {
            if self.allowed_on(i, action, group[0]).is_some() {
                out.extend(group.iter().copied());
            }
        }
        if scope.universal {
            for &class in &pool.classes {
                let members = &self.classes.members[class];
                let mut others = members.iter().copied().filter(|m| scope.named.binary_search(m).is_err()).peekable();
                let Some(&representative) = others.peek() else { continue };
                if self.allowed_on(i, action, representative).is_some() {
                    out.extend(others);
                }
            }
        }
        out
    }

    /// Whether `y` would be admin-equivalent with an allow-all policy added (`add`) and without
    /// its boundary (`unbound`); remembered, as it depends on `y` alone.
    fn admin_after(&self, y: usize, add: bool, unbound: bool) -> bool {
        if let Some(&known) = self.admin_after.borrow().get(&(y, add, unbound)) {
            return known;
        }
        let target = self.p(y);
        let mut identity = target.identity.clone();
        if add {
            identity.push(self.allow_all.clone());
        }
        let boundary = if unbound { None } else { target.boundary.as_ref() };
        let admin = self.dir.admin_decision(target, &identity, boundary).is_some();
        self.admin_after.borrow_mut().insert((y, add, unbound), admin);
        admin
    }

    /// Whether `i` can make `y` admin-equivalent, and the step that does.
    fn make_admin(&self, i: usize, y: usize, may: &[bool], joinable: &[&str]) -> Option<(Step, Made)> {
        let target = self.p(y);
        let is_user = target.kind == PrincipalKind::User;
        // 1. Can `i` add an allow-everything policy to `y`?
        let mut add: Option<(String, String, Vec<String>)> = None;
        let (put, attach) = if is_user {
            (("iam:PutUserPolicy", 0), ("iam:AttachUserPolicy", 1))
        } else {
            (("iam:PutRolePolicy", 2), ("iam:AttachRolePolicy", 3))
        };
        for (action, k) in [put, attach] {
            if add.is_none() && may[k] {
                if let Some(s) = self.allowed_on(i, action, y) {
                    add = Some((action.to_string(), target.arn.clone(), s));
                }
            }
        }
        let account = &self.dir.accounts[target.account];
        for g in &target.groups {
            for (action, k, keys) in [
                ("iam:PutGroupPolicy", 4, &[][..]),
                ("iam:AttachGroupPolicy", 5, &[("iam:PolicyARN", ADMINISTRATOR_ACCESS)][..]),
            ] {
                if add.is_none() && may[k] {
                    if let Some(s) = self.allowed(i, action, g, keys, &[], None) {
                        add = Some((action.to_string(), g.clone(), s));
                    }
                }
            }
        }
        if add.is_none() && may[6] {
            for arn in target.managed.iter().flatten() {
                let customer = self.dir.managed.get(arn).is_some_and(|m| !m.aws_managed);
                if customer {
                    if let Some(s) = self.allowed(i, "iam:CreatePolicyVersion", arn, &[], &[], None) {
                        add = Some(("iam:CreatePolicyVersion".into(), arn.clone(), s));
                        break;
                    }
                }
            }
        }
        // 2. Can `i` remove `y`'s boundary or replace it with AdministratorAccess?
        let mut unbound: Option<(String, String, Vec<String>)> = None;
        if target.boundary_arn.is_some() {
            let (delete, put) = if is_user {
                (("iam:DeleteUserPermissionsBoundary", 8), ("iam:PutUserPermissionsBoundary", 9))
            } else {
                (("iam:DeleteRolePermissionsBoundary", 10), ("iam:PutRolePermissionsBoundary", 11))
            };
            if may[delete.1] {
                unbound = self.allowed_on(i, delete.0, y).map(|s| (delete.0.to_string(), target.arn.clone(), s));
            }
            if unbound.is_none() && may[put.1] {
                unbound = self.allowed_on(i, put.0, y).map(|s| (put.0.to_string(), target.arn.clone(), s));
            }
        }
        if (add.is_some() || unbound.is_some()) && self.admin_after(y, add.is_some(), unbound.is_some()) {
            let mut identity = target.identity.clone();
            if add.is_some() {
                identity.push(self.allow_all.clone());
            }
            let boundary = if unbound.is_some() { None } else { target.boundary.clone() };
            let made = Made { principal: target.clone(), identity, boundary };
            let mut step = self.step(i, &target.arn, Method::PolicyManipulation);
            for (action, resource, s) in add.into_iter().chain(unbound) {
                Self::add(&mut step, &action, &resource, s);
            }
            return Some((step, made));
        }
        // 3. A non-default version of one of `y`'s policies that would make it admin.
        if may[7] {
            for (k, arn) in target.managed.iter().enumerate() {
                let Some(arn) = arn else { continue };
                let Some(policy) = self.dir.managed.get(arn) else { continue };
                for (version, document) in &policy.other_versions {
                    let mut identity = target.identity.clone();
                    identity[k] = document.clone();
                    if self.dir.admin_decision(target, &identity, target.boundary.as_ref()).is_none() {
                        continue;
                    }
                    if let Some(s) = self.allowed(i, "iam:SetDefaultPolicyVersion", arn, &[], &[], None) {
                        let mut step = self.step(i, &target.arn, Method::PolicyManipulation);
                        Self::add(&mut step, "iam:SetDefaultPolicyVersion", &format!("{arn} (to {version})"), s);
                        let made = Made { principal: target.clone(), identity, boundary: target.boundary.clone() };
                        return Some((step, made));
                    }
                }
            }
        }
        // 4. A group whose policies would make `y` (a user) admin.
        if is_user {
            for group in account.groups.iter().filter(|g| joinable.contains(&g.arn.as_str())) {
                if target.groups.contains(&group.arn) {
                    continue;
                }
                let mut identity = target.identity.clone();
                identity.extend(group.inline.iter().map(|p| p.policy.clone()));
                identity
                    .extend(group.attached.iter().filter_map(|a| self.dir.managed.get(a)).map(|m| m.default.clone()));
                if self.dir.admin_decision(target, &identity, target.boundary.as_ref()).is_none() {
                    continue;
                }
                if let Some(s) = self.allowed(i, "iam:AddUserToGroup", &group.arn, &[], &[], None) {
                    let mut step = self.step(i, &target.arn, Method::AddUserToGroup);
                    Self::add(&mut step, "iam:AddUserToGroup", &format!("{} (user {})", group.arn, target.name), s);
                    let made = Made { principal: target.clone(), identity, boundary: target.boundary.clone() };
                    return Some((step, made));
                }
            }
        }
        None
    }

    /// `iam:CreateRole` + write/attach policy + `sts:AssumeRole`, or `iam:CreateUser` + write/attach
    /// policy + `iam:CreateAccessKey`: a new principal with an admin policy, under whatever
    /// permissions boundary the caller's conditions force on it.
    pub(super) fn create_principal(&self, graph: &mut Graph, i: usize, kind: PrincipalKind) {
        let (create, put, attach, use_it, noun, method) = match kind {
            PrincipalKind::Role => (
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
                "sts:AssumeRole",
                "role",
                Method::CreateRole,
            ),
            PrincipalKind::User => (
                "iam:CreateUser",
                "iam:PutUserPolicy",
                "iam:AttachUserPolicy",
                "iam:CreateAccessKey",
                "user",
                Method::CreateUser,
            ),
        };
        let create_l = lower(create);
        if !self.may(i, &create_l) || !(self.may(i, &lower(put)) || self.may(i, &lower(attach))) {
            return;
        }
        let p = self.p(i);
        // Names the attacker may choose: what the resource patterns allow, wildcards filled in.
        let mut names = vec![format!("arn:aws:iam::{}:{noun}/monban-escalation-probe", p.account_id)];
        let mut boundaries: Vec<Option<String>> = vec![None, Some(ADMINISTRATOR_ACCESS.to_string())];
        for policy in &p.identity {
            for st in &policy.statements {
                let covers = st.effect == Effect::Allow
                    && st.action.patterns.iter().any(|pat| pat.matches_prepared(&create_l, &p.context))
                        != st.action.negated;
                if !covers {
                    continue;
                }
                for written in st.resource.iter().filter(|r| !r.negated).flat_map(|r| r.written.iter()) {
                    if let Some(arn) = fill_pattern(written, &p.account_id, noun) {
                        if !names.contains(&arn) {
                            names.push(arn);
                        }
                    }
                }
            }
            collect_boundary_values(&policy.to_json(), &mut boundaries);
        }
        names.truncate(6);
        for arn in self.permissive.get(p.account_id.as_str()).into_iter().flatten() {
            if !boundaries.iter().any(|b| b.as_deref() == Some(*arn)) {
                boundaries.push(Some(arn.to_string()));
            }
        }
        for name in &names {
            for boundary in &boundaries {
                let keys: Vec<(&str, &str)> =
                    boundary.as_deref().map(|b| vec![("iam:PermissionsBoundary", b)]).unwrap_or_default();
                let Some(s_create) = self.allowed(i, create, name, &keys, &[], None) else { continue };
                let mut attach_keys = keys.clone();
                attach_keys.push(("iam:PolicyARN", ADMINISTRATOR_ACCESS));
                let written = self
                    .allowed(i, put, name, &keys, &[], None)
                    .map(|s| (put, s))
                    .or_else(|| self.allowed(i, attach, name, &attach_keys, &[], None).map(|s| (attach, s)));
                let Some((write_action, s_write)) = written else { continue };
                // The new principal: the admin policy, and the boundary it was created with.
                let boundary_policy = match boundary {
                    None => None,
                    Some(b) => match self
                        .dir
                        .managed
                        .get(b)
                        .map(|m| m.default.clone())
                        .or_else(|| crate::account::managed::aws_managed(b).map(|m| m.default))
                    {
                        Some(policy) => Some(policy),
                        None => continue,
                    },
                };
                let Some(mut new) = self.dir.new_principal(kind, &p.account_id, name) else { continue };
                new.identity = vec![self.allow_all.clone()];
                new.boundary.clone_from(&boundary_policy);
                if self
                    .dir
                    .admin_decision(&new, std::slice::from_ref(&self.allow_all), boundary_policy.as_ref())
                    .is_none()
                {
                    continue;
                }
                let s_use = match kind {
                    PrincipalKind::Role => {
                        let Some(trust) = self.trust_naming(i) else { continue };
                        self.allowed(i, use_it, name, &[], &[], Some(&trust))
                    }
                    PrincipalKind::User => self.allowed(i, use_it, name, &[], &[], None),
                };
                let Some(s_use) = s_use else { continue };
                let mut step = self.step(i, name, method);
                let create_desc = match boundary {
                    Some(b) => format!("{name} (boundary {b})"),
                    None => name.clone(),
                };
                Self::add(&mut step, create, &create_desc, s_create);
                Self::add(&mut step, write_action, name, s_write);
                Self::add(&mut step, use_it, name, s_use);
                let reaches = format!("administrator ({name} created)");
                let made = Made { identity: new.identity.clone(), boundary: boundary_policy, principal: new };
                graph.finals.push(Final { actor: i, steps: vec![step], reaches, made });
                return;
            }
        }
    }
}

/// The `Allow` statements of a trust policy that cover `sts:AssumeRole`.
fn trust_statements<'a>(
    trust: &'a Policy,
    role: &'a Principal,
) -> impl Iterator<Item = &'a monban_policy::Statement> + 'a {
    trust.statements.iter().filter(move |st| {
        st.effect == Effect::Allow
            && st.action.patterns.iter().any(|p| p.matches_prepared("sts:assumerole", &role.context))
                != st.action.negated
    })
}

/// A concrete IAM ARN that a resource pattern of `CreateRole`/`CreateUser` allows: wildcards filled
/// with `x`, the account set. `None` for patterns with variables or of another resource type.
fn fill_pattern(pattern: &str, account: &str, noun: &str) -> Option<String> {
    if pattern == "*" || pattern.contains('$') {
        return None;
    }
    let arn = monban_policy::arn::Arn::parse(pattern)?;
    let (service, resource) = (arn.service(), arn.resource());
    if !(service == "iam" || service.contains('*')) {
        return None;
    }
    let resource = resource.replace(['*', '?'], "x");
    let resource = if resource.starts_with(&format!("{noun}/")) {
        resource
    } else if resource.chars().all(|c| c == 'x') {
        format!("{noun}/x")
    } else {
        return None;
    };
    Some(format!("arn:aws:iam::{account}:{resource}"))
}

/// Every literal value given to `iam:PermissionsBoundary` in a policy's conditions: the
/// boundaries an attacker can be forced to (or may) set on what it creates.
fn collect_boundary_values(json: &serde_json::Value, out: &mut Vec<Option<String>>) {
    match json {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k.eq_ignore_ascii_case("iam:PermissionsBoundary") {
                    let values: Vec<&serde_json::Value> = match v {
                        serde_json::Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for value in values.into_iter().filter_map(serde_json::Value::as_str) {
                        if !value.contains(['*', '?', '$']) && !out.iter().any(|o| o.as_deref() == Some(value)) {
                            out.push(Some(value.to_string()));
                        }
                    }
                } else {
                    collect_boundary_values(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_boundary_values(v, out)),
        _ => {}
    }
}
/// The ways to take over a user's credentials, in the order they are tried.
const CREDENTIAL_METHODS: [(&str, Method); 3] = [
    ("iam:CreateAccessKey", Method::CreateAccessKey),
    ("iam:CreateLoginProfile", Method::CreateLoginProfile),
    ("iam:UpdateLoginProfile", Method::UpdateLoginProfile),
];

/// The actions of [`CREDENTIAL_METHODS`], lower-cased.
pub(super) const CREDENTIAL_ACTIONS: [&str; 3] =
    ["iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile"];

/// Whether the service may assume the role under its trust policy.
fn service_trusted(role: &Principal, service: &str) -> bool {
    let Some(trust) = &role.trust else { return false };
    let request = Request::new(Caller::service(service), "sts:AssumeRole", &role.arn);
    let set = PolicySet { resource: Some(trust.clone()), ..PolicySet::default() };
    authorize(&request, &set).is_allowed()
}

/// A trust policy that names one principal (by ARN), as an attacker writes it.
fn trust_naming(arn: &str) -> Option<Arc<Policy>> {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{arn}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    Policy::parse(&text).ok().map(|p| Arc::new(p.named("(trust policy written by the attacker)")))
}
