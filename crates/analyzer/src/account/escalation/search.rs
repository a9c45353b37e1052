//! The shortest paths: a search backwards from the targets (admin-equivalent principals and
//! final steps, or the named principal) over explicit edges and class edges, each principal
//! settled once. A class edge is followed the first time one of its members is reached, so its
//! cost is paid once, not once per member.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use super::steps::{Analysis, Final, Graph, Hop, Made, Targets};
use super::{EscalationPath, EscalationReport, Step};
use crate::account::Directory;

/// How a principal reaches the target in the shortest-path tree.
#[derive(Clone, Copy)]
enum Next {
    /// It is the target (admin-equivalent, or the named principal).
    Target,
    /// One hop to a principal that is closer.
    Hop(Hop, usize),
    /// Its own final steps (index into the finals).
    Final(usize),
}

/// Finds every principal that can reach admin-equivalent permissions (or the principal `to`,
/// an ARN), with its shortest path.
pub fn analyze(dir: &Directory, to: Option<&str>) -> EscalationReport {
    analyze_with_progress(dir, to, &mut |_, _| {})
}

/// [`analyze`], telling `progress` how many of the principals have been examined (done, total)
/// as the graph is built, so that a terminal can show a long analysis moving.
pub fn analyze_with_progress(
    dir: &Directory,
    to: Option<&str>,
    progress: &mut dyn FnMut(usize, usize),
) -> EscalationReport {
    let analysis = Analysis::new(dir);
    let target = to.and_then(|arn| dir.principal(arn));
    let mut warnings = dir.warnings.clone();
    if let (Some(arn), None) = (to, target) {
        warnings.push(format!("`{arn}` is not a user or role of the accounts read"));
    }
    let mut graph = analysis.build(target, progress);
    let n = dir.principals.len();
    // "X can make Y admin" is a final step of X once X can reach Y.
    let makes_admin = std::mem::take(&mut graph.makes_admin);
    let mut by_actor: HashMap<usize, Vec<(usize, Step, Made)>> = HashMap::new();
    for (x, y, step, made) in makes_admin {
        by_actor.entry(x).or_default().push((y, step, made));
    }
    let mut actors: Vec<usize> = by_actor.keys().copied().collect();
    actors.sort_unstable();
    for x in actors {
        let list = by_actor.remove(&x).unwrap_or_default();
        let parents = forward(&analysis, &graph, x);
        for (y, step, made) in list {
            let Some(hops) = hops_to(&parents, x, y) else { continue };
            let mut steps = vec![step];
            let Some(rest) = redo(&analysis, &hops, &mut warnings) else { continue };
            steps.extend(rest);
            let reaches = format!("administrator ({} modified)", dir.principals[y].arn);
            graph.finals.push(Final { actor: x, steps, reaches, made });
        }
    }
    // With a named target, a principal made admin goes on to take it over: one step more.
    if let Some(t) = target {
        let finals = std::mem::take(&mut graph.finals);
        for mut fin in finals {
            if let Some(step) = analysis.take_over(&fin.made, t) {
                fin.steps.push(step);
                fin.reaches = dir.principals[t].arn.clone();
                graph.finals.push(fin);
            }
        }
    }
    let next = backward(&analysis, &graph, dir, to.map(|_| target));
    let mut paths = Vec::new();
    let mut steps_redecided = 0;
    for (i, p) in dir.principals.iter().enumerate() {
        let Some(first) = next[i] else { continue };
        if matches!(first, Next::Target) {
            continue;
        }
        let mut hops = Vec::new();
        let mut at = i;
        let mut finals: Option<usize> = None;
        for _ in 0..=n {
            match next[at] {
                Some(Next::Hop(hop, to)) => {
                    hops.push((hop, at, to));
                    at = to;
                }
                Some(Next::Final(f)) => {
                    finals = Some(f);
                    break;
                }
                Some(Next::Target) | None => break,
            }
        }
        let Some(mut steps) = redo(&analysis, &hops, &mut warnings) else { continue };
        steps_redecided += steps.len();
        let reaches = match finals {
            Some(f) => {
                let fin = &graph.finals[f];
                steps.extend(fin.steps.iter().cloned());
                fin.reaches.clone()
            }
            None => dir.principals[at].arn.clone(),
        };
        paths.push(EscalationPath { principal: p.arn.clone(), kind: p.kind, reaches, steps, requires: None });
    }
    paths.sort_by(|a, b| a.principal.cmp(&b.principal));
    let mut admins: Vec<String> = (0..n).filter(|&i| dir.is_admin(i)).map(|i| dir.principals[i].arn.clone()).collect();
    admins.sort();
    EscalationReport {
        target: to.map(str::to_string),
        admins,
        paths,
        decisions: analysis.decisions.get(),
        steps_redecided,
        warnings,
    }
}

/// [`analyze_with_progress`], and once more for each requirement the account's conditions name
/// that an attacker may be able to meet ([`Directory::fact_sets`]: MFA, a source address, a VPC,
/// a tag it may put on itself), on the other cores: principals with no path of their own but one
/// under a requirement are added, with the first such requirement (in the order the sets are
/// listed) stated.
pub fn analyze_conditional(
    dir: &Directory,
    to: Option<&str>,
    progress: &mut dyn FnMut(usize, usize),
) -> EscalationReport {
    let fact_sets = dir.fact_sets();
    // The searches under requirements run beside the plain one, on the other cores, in order.
    let helpers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).saturating_sub(1).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (mut report, mut under) = std::thread::scope(|scope| {
        let running: Vec<_> = (0..helpers.min(fact_sets.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(facts) = fact_sets.get(k) else { return done };
                        let report = analyze_with_progress(&dir.with_facts(facts), to, &mut |_, _| {});
                        done.push((k, report));
                    }
                })
            })
            .collect();
        let report = analyze_with_progress(dir, to, progress);
        let under: Vec<(usize, EscalationReport)> =
            running.into_iter().filter_map(|h| h.join().ok()).flatten().collect();
        (report, under)
    });
    under.sort_by_key(|(k, _)| *k);
    let mut covered: std::collections::HashSet<String> =
        report.paths.iter().map(|p| p.principal.clone()).chain(report.admins.iter().cloned()).collect();
    for (k, more) in under {
        report.decisions += more.decisions;
        report.steps_redecided += more.steps_redecided;
        for mut path in more.paths {
            if covered.insert(path.principal.clone()) {
                path.requires = Some(fact_sets[k].label.clone());
                report.paths.push(path);
            }
        }
    }
    report.paths.sort_by(|a, b| (a.requires.is_some(), &a.principal).cmp(&(b.requires.is_some(), &b.principal)));
    report
}

/// Each hop decided again on its concrete pair; `None` (with a warning) if the engine refuses
/// one, which would mean a class decided differently from one of its members.
fn redo(analysis: &Analysis<'_>, hops: &[(Hop, usize, usize)], warnings: &mut Vec<String>) -> Option<Vec<Step>> {
    let mut steps = Vec::with_capacity(hops.len());
    for &(hop, from, to) in hops {
        match analysis.attempt(hop, from, to) {
            Some(step) => steps.push(step),
            None => {
                warnings.push(format!(
                    "internal: the step {} -> {} ({hop:?}) was found for its class but refused on re-decision; path dropped",
                    analysis.p(from).arn,
                    analysis.p(to).arn
                ));
                return None;
            }
        }
    }
    Some(steps)
}

/// Class edges (indices) that except the same members (an interned list).
type Bucket = (std::rc::Rc<[usize]>, Vec<usize>);

/// Dijkstra from the targets over reversed edges: unit weights, final steps weigh their length.
/// `to` is `None` for admin-equivalence, `Some(target)` for a named principal (`Some(None)` when
/// the name is not a principal: nothing is reached).
fn backward(analysis: &Analysis<'_>, graph: &Graph, dir: &Directory, to: Option<Option<usize>>) -> Vec<Option<Next>> {
    let n = dir.principals.len();
    let mut dist = vec![usize::MAX; n];
    let mut next: Vec<Option<Next>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    let targets: Vec<usize> = match to {
        Some(Some(t)) => vec![t],
        Some(None) => return next,
        None => (0..n).filter(|&i| dir.is_admin(i)).collect(),
    };
    for t in targets {
        dist[t] = 0;
        next[t] = Some(Next::Target);
        heap.push(Reverse((0, t)));
    }
    for (f, fin) in graph.finals.iter().enumerate() {
        let x = fin.actor;
        if fin.steps.len() < dist[x] {
            dist[x] = fin.steps.len();
            next[x] = Some(Next::Final(f));
            heap.push(Reverse((fin.steps.len(), x)));
        }
    }
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, (_, to, _)) in graph.explicit.iter().enumerate() {
        incoming[*to].push(e);
    }
    // Class edges still waiting, per class, in buckets of equal exceptions (interned, so compared
    // by address); and group edges by member.
    let mut pending: Vec<Vec<Bucket>> = vec![Vec::new(); analysis.classes.members.len()];
    let mut into_group: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut bucket_of: HashMap<(usize, *const usize), usize> = HashMap::new();
    for (k, edge) in graph.implicit.iter().enumerate() {
        match &edge.targets {
            Targets::Class { class, except } => {
                let buckets = &mut pending[*class];
                let at = *bucket_of.entry((*class, except.as_ptr())).or_insert_with(|| {
                    buckets.push((except.clone(), Vec::new()));
                    buckets.len() - 1
                });
                buckets[at].1.push(k);
            }
            Targets::Group(members) => members.iter().for_each(|&m| into_group[m].push(k)),
        }
    }
    let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (c, members) in analysis.classes.members.iter().enumerate() {
        if !pending[c].is_empty() {
            for &m in members {
                member_of[m].push(c);
            }
        }
    }
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v] {
            continue;
        }
        let mut relax = |u: usize, hop: Hop, heap: &mut BinaryHeap<Reverse<(usize, usize)>>| {
            if d + 1 < dist[u] {
                dist[u] = d + 1;
                next[u] = Some(Next::Hop(hop, v));
                heap.push(Reverse((d + 1, u)));
            }
        };
        for &e in &incoming[v] {
            let (u, _, hop) = graph.explicit[e];
            relax(u, hop, &mut heap);
        }
        for &k in &into_group[v] {
            let edge = &graph.implicit[k];
            if edge.from != v {
                relax(edge.from, edge.hop, &mut heap);
            }
        }
        for &c in &member_of[v] {
            // Settled in order of distance: the first member a bucket does not except gives every
            // edge in it its shortest hop, and the bucket leaves the search.
            let mut buckets = std::mem::take(&mut pending[c]);
            buckets.retain(|(except, edges)| {
                if except.binary_search(&v).is_ok() {
                    return true;
                }
                for &k in edges {
                    let edge = &graph.implicit[k];
                    if edge.from != v {
                        relax(edge.from, edge.hop, &mut heap);
                    }
                }
                false
            });
            pending[c] = buckets;
        }
    }
    next
}

/// Breadth-first from `x` over explicit and class edges: each principal's parent and hop. A class
/// is walked once (members that an edge excepts stay for the next edge into the class).
fn forward(analysis: &Analysis<'_>, graph: &Graph, x: usize) -> HashMap<usize, (usize, Hop)> {
    let mut explicit_out: HashMap<usize, Vec<usize>> = HashMap::new();
    for (e, (from, _, _)) in graph.explicit.iter().enumerate() {
        explicit_out.entry(*from).or_default().push(e);
    }
    let mut implicit_out: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, edge) in graph.implicit.iter().enumerate() {
        implicit_out.entry(edge.from).or_default().push(k);
    }
    let mut parents: HashMap<usize, (usize, Hop)> = HashMap::new();
    let mut remaining: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut queue = VecDeque::from([x]);
    let mut seen = std::collections::HashSet::from([x]);
    while let Some(v) = queue.pop_front() {
        for &e in explicit_out.get(&v).into_iter().flatten() {
            let (_, to, hop) = graph.explicit[e];
            if seen.insert(to) {
                parents.insert(to, (v, hop));
                queue.push_back(to);
            }
        }
        for &k in implicit_out.get(&v).into_iter().flatten() {
            let edge = &graph.implicit[k];
            match &edge.targets {
                Targets::Class { class, except } => {
                    let left = remaining.entry(*class).or_insert_with(|| analysis.classes.members[*class].clone());
                    left.retain(|&m| {
                        if seen.contains(&m) {
                            return false;
                        }
                        if m == v || except.binary_search(&m).is_ok() {
                            return true;
                        }
                        seen.insert(m);
                        parents.insert(m, (v, edge.hop));
                        queue.push_back(m);
                        false
                    });
                }
                Targets::Group(members) => {
                    for &m in members.iter() {
                        if seen.insert(m) {
                            parents.insert(m, (v, edge.hop));
                            queue.push_back(m);
                        }
                    }
                }
            }
        }
    }
    parents
}

/// The hops from `x` to `y` in a breadth-first tree, in order.
fn hops_to(parents: &HashMap<usize, (usize, Hop)>, x: usize, y: usize) -> Option<Vec<(Hop, usize, usize)>> {
    let mut hops = Vec::new();
    let mut at = y;
    while at != x {
        let &(from, hop) = parents.get(&at)?;
        hops.push((hop, from, at));
        at = from;
    }
    hops.reverse();
    Some(hops)
}
