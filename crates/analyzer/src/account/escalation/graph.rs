//! Building the graph without visiting pairs: for each acting principal and method, the targets
//! its statements name are grouped by class and by the statements naming them, and each group,
//! like each class of the remaining targets, is decided once on one member (an [`Implicit`]
//! edge). The work grows with principals × (classes + groups), not with principals × targets.

use super::methods::{EXISTING_COMPUTE, NEW_COMPUTE};
use super::pools::Pool;
use super::steps::{lower, Analysis, Graph, Hop, Implicit, Targets, CREDENTIAL_ACTIONS};
use crate::account::PrincipalKind;

/// Which targets `from` reaches by one method: some one by one, classes but exceptions.
#[derive(Default)]
struct Reached {
    explicit: Vec<usize>,
    implicit: Vec<usize>,
}

impl Analysis<'_> {
    /// Every edge and final step. Without a target, admins need no path and do not act; with one,
    /// they may be on a path, so they act too. Final steps are found either way: with a target,
    /// the principal made admin then takes it over (see `search`).
    pub(super) fn build(&self, target: Option<usize>, progress: &mut dyn FnMut(usize, usize)) -> Graph {
        let mut graph = Graph::default();
        let acts = |i: usize| target.is_some() || !self.dir.is_admin(i);
        // Trust policies that name a principal: decided pair by pair (the trust alone may allow).
        for &(c, r) in &self.named_in_trust {
            if acts(c) && c != r && self.attempt(Hop::Assume, c, r).is_some() {
                graph.explicit.push((c, r, Hop::Assume));
            }
        }
        let total = self.dir.principals.len();
        for i in (0..total).filter(|&i| acts(i)) {
            if i % 512 == 0 {
                progress(i, total);
            }
            let p = self.p(i);
            let account = p.account_id.as_str();
            let assume = lower("sts:AssumeRole");
            if self.may(i, &assume) {
                if let Some(pool) = self.trusting.get(account) {
                    self.reach(&mut graph, i, Hop::Assume, &[&assume], pool, false);
                }
            }
            // A trust policy open to everyone needs nothing on the caller's side.
            self.reach(&mut graph, i, Hop::Assume, &[&assume], &self.open, true);
            let mut taken = Reached::default();
            if CREDENTIAL_ACTIONS.iter().any(|a| self.may(i, a)) {
                if let Some(pool) = self.users.get(account) {
                    taken = self.reach(&mut graph, i, Hop::Credentials, &CREDENTIAL_ACTIONS, pool, false);
                }
            }
            let rewrite = lower("iam:UpdateAssumeRolePolicy");
            if self.may(i, &rewrite) {
                if let Some(pool) = self.roles.get(account) {
                    self.reach(&mut graph, i, Hop::RewriteTrust, &[&rewrite, &assume], pool, false);
                }
            }
            self.compute_edges(&mut graph, i);
            if !self.dir.is_admin(i) {
                let taken = || self.expand(&graph, &taken, i);
                let mut finals = Graph::default();
                self.manipulation(&mut finals, i, &taken);
                self.create_principal(&mut finals, i, PrincipalKind::Role);
                self.create_principal(&mut finals, i, PrincipalKind::User);
                graph.finals.append(&mut finals.finals);
                graph.makes_admin.append(&mut finals.makes_admin);
            }
        }
        progress(total, total);
        graph
    }

    /// The edges of one method from `i` into `pool`: each group of named targets decided once on
    /// one of them, and each class decided once on a member nobody names (always for `open` pools, whose trust policy
    /// may allow without the caller's statements; otherwise only when some identity statement
    /// covers the whole pool). Returns what was reached.
    fn reach(&self, graph: &mut Graph, i: usize, hop: Hop, actions: &[&str], pool: &Pool, open: bool) -> Reached {
        let mut reached = Reached::default();
        if pool.len() == 0 {
            return reached;
        }
        let scope = self.scope(i, actions, pool);
        for group in &scope.groups {
            let Some(representative) = group.iter().copied().find(|&m| m != i) else { continue };
            if self.attempt(hop, i, representative).is_none() {
                continue;
            }
            if group.len() == 1 {
                graph.explicit.push((i, representative, hop));
                reached.explicit.push(representative);
            } else {
                reached.implicit.push(graph.implicit.len());
                graph.implicit.push(Implicit { from: i, targets: Targets::Group(group.clone()), hop });
            }
        }
        if !(scope.universal || open) {
            return reached;
        }
        for &class in &pool.classes {
            let members = &self.classes.members[class];
            let representative = members.iter().copied().find(|&m| m != i && scope.named.binary_search(&m).is_err());
            let Some(representative) = representative else { continue };
            if self.attempt(hop, i, representative).is_some() {
                reached.implicit.push(graph.implicit.len());
                let targets = Targets::Class { class, except: self.intern(scope.named.clone()) };
                graph.implicit.push(Implicit { from: i, targets, hop });
            }
        }
        reached
    }

    /// The principals an outcome of [`Analysis::reach`] covers.
    fn expand(&self, graph: &Graph, reached: &Reached, i: usize) -> Vec<usize> {
        let mut out = reached.explicit.clone();
        for &k in &reached.implicit {
            match &graph.implicit[k].targets {
                Targets::Class { class, except } => out.extend(
                    self.classes.members[*class]
                        .iter()
                        .copied()
                        .filter(|&m| m != i && except.binary_search(&m).is_err()),
                ),
                Targets::Group(members) => out.extend(members.iter().copied().filter(|&m| m != i)),
            }
        }
        out
    }

    /// `iam:PassRole` to new compute, and edits of existing compute that runs as a role: the
    /// compute requests are decided once per caller, the roles through [`Analysis::reach`].
    fn compute_edges(&self, graph: &mut Graph, i: usize) {
        let p = self.p(i);
        let pass = lower("iam:PassRole");
        let can_pass = self.may(i, &pass);
        for (existing, table) in [(false, NEW_COMPUTE), (true, EXISTING_COMPUTE)] {
            if !existing && !can_pass {
                continue;
            }
            for (entry, compute) in table.iter().enumerate() {
                let Some(pool) = self.served.get(&(p.account_id.as_str(), compute.service)) else { continue };
                if pool.len() == 0 || self.compute_requests(i, compute).is_none() {
                    continue;
                }
                let hop = Hop::Compute { existing, entry };
                // Existing compute needs nothing of the role's ARN: every class is decided once.
                let actions: &[&str] = if existing { &[] } else { &[&pass] };
                self.reach(graph, i, hop, actions, pool, existing);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::account::escalation::steps::Targets;
    use crate::account::synthetic::{generate_shaped, Trust};
    use crate::account::{details, Directory, Options};

    /// The targets the graph gives `from` by `hop`, class and group edges expanded.
    fn graph_targets(analysis: &Analysis<'_>, graph: &Graph, from: usize, hop: Hop) -> BTreeSet<usize> {
        let mut out: BTreeSet<usize> =
            graph.explicit.iter().filter(|(f, _, h)| *f == from && *h == hop).map(|(_, t, _)| *t).collect();
        for edge in graph.implicit.iter().filter(|e| e.from == from && e.hop == hop) {
            match &edge.targets {
                Targets::Class { class, except } => out.extend(
                    analysis.classes.members[*class].iter().copied().filter(|m| except.binary_search(m).is_err()),
                ),
                Targets::Group(members) => out.extend(members.iter().copied()),
            }
        }
        out.remove(&from);
        out
    }

    /// Class and group edges stand for exactly the pairs the engine allows one by one: every
    /// principal against every principal, for each hop, in both generated shapes.
    #[test]
    fn class_edges_cover_exactly_the_pairs_the_engine_allows() {
        for shape in [Trust::Dense, Trust::Teams] {
            let synthetic = generate_shaped(120, 1, shape);
            let account = details::Account::from_json(&synthetic.details.to_string(), "synthetic.json").unwrap();
            let dir = Directory::new(vec![account], Vec::new(), Options::default()).unwrap();
            let analysis = Analysis::new(&dir);
            let graph = analysis.build(None, &mut |_, _| {});
            let n = dir.principals.len();
            let mut pairs = 0;
            for from in (0..n).filter(|&i| !dir.is_admin(i)) {
                let computes = (0..NEW_COMPUTE.len())
                    .map(|entry| Hop::Compute { existing: false, entry })
                    .chain((0..EXISTING_COMPUTE.len()).map(|entry| Hop::Compute { existing: true, entry }));
                for hop in [Hop::Assume, Hop::Credentials, Hop::RewriteTrust].into_iter().chain(computes) {
                    let one_by_one: BTreeSet<usize> =
                        (0..n).filter(|&to| analysis.attempt(hop, from, to).is_some()).collect();
                    pairs += one_by_one.len();
                    assert_eq!(
                        graph_targets(&analysis, &graph, from, hop),
                        one_by_one,
                        "{shape:?}: {} by {hop:?}",
                        dir.principals[from].arn
                    );
                }
            }
            assert!(pairs > 500, "{shape:?}: the account has many allowed pairs ({pairs})");
        }
    }
}
