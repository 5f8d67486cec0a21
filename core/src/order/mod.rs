//! Dependency ordering: decides which plugins start, in which order and at which level, and
//! explains why the others cannot.
//!
//! This is a pure graph algorithm over nodes `0..n`. The caller numbers the nodes so that
//! index order is the tie-break order it wants (plugins sorted by id), which makes every
//! result here deterministic without this module knowing anything about plugins.
//!
//! [`resolve`] classifies every node:
//!
//! * [`Status::Failed`]: the caller already knows it cannot start (the reason is carried
//!   through untouched). Such nodes are removed before looking for cycles, so a cycle that
//!   goes through a failed node is reported as a failure plus blocked dependents, not as a
//!   cycle.
//! * [`Status::Cycle`]: on a dependency cycle among the remaining nodes. Optional edges
//!   count, since they order the start just like required ones.
//! * [`Status::Blocked`]: a required dependency, directly or transitively, is not starting.
//! * [`Status::Start`]: everything else, with a level for concurrent start-up.
//!
//! Optional dependencies that do not start are ignored; optional dependencies that do start
//! still order the start and count for the level.
//!
//! [`blocked_by`] answers the run-time question "this node failed after ordering, who is now
//! stuck?".
//!
//! ```
//! # extern crate pegboard_core as pegboard;
//! use pegboard::order::{DepGraph, Status, resolve};
//!
//! // 1 and 2 need 0; 3 needs 1 and 2.
//! let mut graph = DepGraph::new(4);
//! graph.add_edge(1, 0, false);
//! graph.add_edge(2, 0, false);
//! graph.add_edge(3, 1, false);
//! graph.add_edge(3, 2, false);
//!
//! let plan = resolve::<String>(&graph, &[None, None, None, None]);
//! assert_eq!(plan.order, [0, 1, 2, 3]);
//! assert_eq!(plan.levels, [vec![0], vec![1, 2], vec![3]]);
//! assert_eq!(plan.status[3], Status::Start { level: 2 });
//!
//! let plan = resolve(&graph, &[None, Some("bad config"), None, None]);
//! assert_eq!(plan.order, [0, 2]);
//! assert_eq!(plan.status[3], Status::Blocked { chain: vec![3, 1] });
//! ```

// The submodules are layered so that none imports one that imports it back: `graph`,
// `plan` and `ready` need no sibling; `compact` builds on `plan`; the algorithms (`kahn`,
// `classify`, `cycle`, `blocked`) build on `graph` and `plan`, `kahn` also on `ready`. Only
// this module, which drives them, sees them all, so the entry points live here.
mod blocked;
mod classify;
mod compact;
mod cycle;
pub(crate) mod dependencies;
mod graph;
mod kahn;
mod plan;
mod ready;
#[cfg(test)]
mod tests;

pub use blocked::blocked_by;
pub(crate) use compact::{Compact, NOT_STARTED};
pub use graph::{DepGraph, MAX_NODES};
pub use plan::{Plan, Status};

use blocked::blocked_chain;
use classify::{Explain, classify};
use cycle::CycleFinder;
use kahn::{kahn, optimistic_indegrees};
use plan::Kind;

use crate::discover::catalog::Catalog;
use crate::model::state::Failure;
use crate::model::telemetry;
use crate::validate::initial::Initial;
use plan::Status as Planned;

/// Decides the [`Status`] of every node and the start order.
///
/// `initial[v]` is `Some(reason)` when node `v` is known not to be startable before
/// ordering. Entries missing from `initial` count as `None`; extra entries are ignored.
///
/// Runs in `O(n + e)` (times a `log64 n` factor for the ready set) plus the cost of the
/// explanations, which are only computed for the nodes that need them: a breadth-first
/// search inside its strongly connected component per cyclic node, and the chain length
/// per blocked node. Those explanations are quadratic in the worst case (every node of a
/// 10,000-node cycle gets a 10,001-entry path), which only affects broken configurations.
pub fn resolve<F: Clone>(graph: &DepGraph, initial: &[Option<F>]) -> Plan<F> {
    let n = graph.len();
    if graph.edge_count() == 0 {
        return Compact::edgeless(n, initial).into_edgeless_plan();
    }
    let reverse = graph.reverse();
    let mut kind: Vec<Kind> = (0..n)
        .map(|v| match initial.get(v) {
            Some(Some(_)) => Kind::Failed,
            _ => Kind::Unknown,
        })
        .collect();
    let mut indegree = vec![0u32; n];

    // The common case (everything that did not fail starts) needs nothing but Kahn's
    // algorithm; the SCC pass only runs when that optimistic attempt is disproved.
    let mut resolved = None;
    if optimistic_indegrees(&graph.out_degree, reverse, &mut kind, &mut indegree) {
        let started = kind.iter().filter(|&&k| k == Kind::Start).count();
        let (order, level) = kahn(reverse, &kind, &mut indegree);
        if order.len() == started {
            resolved = Some((order, level, Explain::default()));
        } else {
            for k in &mut kind {
                if *k == Kind::Start {
                    *k = Kind::Unknown;
                }
            }
        }
    }
    let (order, level, explain) = match resolved {
        Some(resolved) => resolved,
        None => {
            let explain = classify(graph.forward(), &mut kind, &mut indegree);
            let (order, level) = kahn(reverse, &kind, &mut indegree);
            (order, level, explain)
        }
    };

    let mut level_sizes = Vec::new();
    for &v in &order {
        let k = level[v] as usize;
        if level_sizes.len() <= k {
            level_sizes.resize(k + 1, 0usize);
        }
        level_sizes[k] += 1;
    }
    let mut levels: Vec<Vec<usize>> = level_sizes.iter().map(|&c| Vec::with_capacity(c)).collect();
    let mut cycles = CycleFinder::new(graph, &kind, &explain.component);
    let status = (0..n)
        .map(|v| {
            if let Some(Some(reason)) = initial.get(v) {
                return Status::Failed(reason.clone());
            }
            match kind[v] {
                Kind::Cycle => Status::Cycle {
                    path: cycles.shortest_cycle(v),
                },
                Kind::Blocked => Status::Blocked {
                    chain: blocked_chain(v, &kind, &explain.blocked_next),
                },
                // Every node without an initial failure has been classified by now, so
                // this arm only ever sees `Start`.
                _ => {
                    let k = level[v] as usize;
                    levels[k].push(v);
                    Status::Start { level: k }
                }
            }
        })
        .collect();
    Plan {
        status,
        order,
        levels,
    }
}

/// [`resolve`], compact.
pub(crate) fn resolve_compact<F: Clone>(graph: &DepGraph, initial: &[Option<F>]) -> Compact<F> {
    if graph.edge_count() == 0 {
        return Compact::edgeless(graph.len(), initial);
    }
    Compact::from_plan(resolve(graph, initial))
}

/// What ordering gives the registry.
#[derive(Debug)]
pub(crate) struct Ordered {
    /// The dependency graph.
    pub(crate) graph: DepGraph,
    /// The plugins that start, in start order.
    pub(crate) order: Vec<usize>,
    /// Per plugin, its start level, or [`NOT_STARTED`].
    pub(crate) level: Vec<u32>,
    /// Notes on plugins (absent optional dependencies), by index, sorted.
    pub(crate) notes: Vec<(usize, String)>,
    /// The plugins that do not start, by index, with their first failure.
    pub(crate) failures: Vec<(usize, Failure)>,
}

/// Orders `catalog`'s plugins by their dependencies, given the failures
/// validation found (`initial`): a plugin that failed, is on a cycle or
/// depends on one that does not start does not start, and says why. Each
/// failure other than disabled and blocked is logged as a
/// `plugin.registry.validation_error` event.
pub(crate) fn order(catalog: &Catalog, mut initial: Initial) -> Ordered {
    let mut notes = Vec::new();
    let graph = dependencies::dependency_graph(catalog, &mut initial, &mut notes);
    let plan = resolve_compact(&graph, initial.index());

    // Why each plugin that does not start does not: its first failure.
    let status_of = |v: usize| {
        plan.not_started
            .binary_search_by_key(&v, |(u, _)| *u)
            .ok()
            .map(|k| &plan.not_started[k].1)
    };
    let mut failures = Vec::with_capacity(plan.not_started.len());
    for (i, status) in &plan.not_started {
        let i = *i;
        let failure = match status {
            Planned::Start { .. } => continue,
            Planned::Failed(k) => initial.failures[*k as usize].clone(),
            Planned::Cycle { path } => Failure::Cycle {
                path: path.iter().map(|&c| catalog.id(c).to_owned()).collect(),
            },
            Planned::Blocked { chain } => {
                let root = chain.last().copied().unwrap_or(0);
                let cause = match status_of(root) {
                    Some(Planned::Failed(k)) => {
                        format!("{} {}", catalog.id(root), initial.failures[*k as usize])
                    }
                    Some(Planned::Cycle { .. }) => {
                        format!("{} is on a dependency cycle", catalog.id(root))
                    }
                    _ => format!("{} is not available", catalog.id(root)),
                };
                Failure::Blocked {
                    chain: chain.iter().map(|&c| catalog.id(c).to_owned()).collect(),
                    cause,
                }
            }
        };
        match &failure {
            // A config failure was logged error by error when validated.
            Failure::Disabled | Failure::Blocked { .. } | Failure::Config { .. } => {}
            f => telemetry::validation_error(Some(catalog.id(i)), f.kind(), &f.to_string()),
        }
        failures.push((i, failure));
    }
    Ordered {
        graph,
        order: plan.order,
        level: plan.level,
        notes,
        failures,
    }
}
