//! The start order and levels: Kahn's algorithm over the nodes classified `Start`, and the
//! optimistic attempt that classifies every node `Start` without looking for cycles, since
//! Kahn's algorithm alone proves it right in the common case.

use super::graph::{Csr, NODE, OPTIONAL};
use super::plan::Kind;
use super::ready::ReadySet;

/// Prepares the optimistic attempt: every node that did not fail is tentatively `Start`,
/// with its in-degree counted over the dependencies that did not fail. Returns `false`
/// (leaving `kind` untouched) if some node requires a failed node, because then not
/// everything can start and the tentative order could wait on nodes that end up blocked.
///
/// Only the edges of failed nodes are looked at, so with no failure this is `O(n)`.
pub(super) fn optimistic_indegrees(
    out_degree: &[u32],
    reverse: &Csr,
    kind: &mut [Kind],
    indegree: &mut [u32],
) -> bool {
    indegree.copy_from_slice(out_degree);
    for f in 0..kind.len() {
        if kind[f] != Kind::Failed {
            continue;
        }
        for &entry in reverse.list(f) {
            let v = (entry & NODE) as usize;
            if entry & OPTIONAL == 0 && kind[v] != Kind::Failed {
                return false;
            }
            indegree[v] -= 1;
        }
    }
    for k in kind.iter_mut() {
        if *k == Kind::Unknown {
            *k = Kind::Start;
        }
    }
    true
}

/// Kahn's algorithm over the `Start` nodes, always taking the smallest ready index.
/// `indegree[v]` must count the edges from `v` to `Start` dependencies; it is consumed.
/// Returns the order and every node's level (meaningful for `Start` nodes). Nodes left out
/// of the order are on a cycle, which the caller detects by the length.
pub(super) fn kahn(reverse: &Csr, kind: &[Kind], indegree: &mut [u32]) -> (Vec<usize>, Vec<u32>) {
    let n = kind.len();
    let mut level = vec![0u32; n];
    let mut order = Vec::with_capacity(n);
    let mut ready = ReadySet::new(n);
    for v in 0..n {
        if kind[v] == Kind::Start && indegree[v] == 0 {
            ready.insert(v);
        }
    }
    while let Some(u) = ready.pop_min() {
        order.push(u);
        let next_level = level[u] + 1;
        for &entry in reverse.list(u) {
            let v = (entry & NODE) as usize;
            if kind[v] != Kind::Start {
                continue;
            }
            // Dependencies are all placed before `v` is, so the level is final by then.
            level[v] = level[v].max(next_level);
            indegree[v] -= 1;
            if indegree[v] == 0 {
                ready.insert(v);
            }
        }
    }
    (order, level)
}
