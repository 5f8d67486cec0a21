//! Why a node does not start because of another one: the chain of required dependencies
//! from a blocked node down to the root cause, both for the blocking that
//! [`resolve`](super::resolve) decides and for a node that fails at run time
//! ([`blocked_by`]).

use super::graph::{DepGraph, NODE, OPTIONAL, UNVISITED};
use super::plan::Kind;

/// Follows `blocked_next` from the blocked node `v` down to the root cause. Terminates
/// because each step goes to a node classified strictly earlier.
pub(super) fn blocked_chain(v: usize, kind: &[Kind], blocked_next: &[u32]) -> Vec<usize> {
    let mut chain = vec![v];
    let mut at = v;
    while kind[at] == Kind::Blocked {
        at = blocked_next[at] as usize;
        chain.push(at);
    }
    chain
}

/// Which nodes become blocked when `failed` fails at run time (for example its constructor
/// panicked): every node other than `failed` that transitively depends on it through
/// required edges, in index order, each with its chain in the format of
/// [`Status::Blocked`](super::plan::Status::Blocked) (`[node, dependency, ..., failed]`).
///
/// At each step the chain follows the smallest-index required dependency that is itself
/// affected, as [`resolve`](super::resolve) does. That rule can only loop if the affected
/// nodes contain a cycle of required edges (which never happens among started nodes); in
/// that case every chain is instead a shortest one, taking the smallest index among the
/// equally short choices, so the result stays deterministic and finite.
///
/// Returns nothing if `failed` is out of range.
pub fn blocked_by(graph: &DepGraph, failed: usize) -> Vec<(usize, Vec<usize>)> {
    let n = graph.len();
    if failed >= n {
        return Vec::new();
    }
    let (forward, reverse) = (graph.forward(), graph.reverse());

    // Breadth-first over required dependents: `distance` marks the affected nodes and gives
    // the fallback rule a strictly decreasing measure.
    let mut distance = vec![UNVISITED; n];
    distance[failed] = 0;
    let mut queue = vec![failed as u32];
    let mut head = 0;
    while head < queue.len() {
        let u = queue[head] as usize;
        head += 1;
        for &entry in reverse.list(u) {
            let v = (entry & NODE) as usize;
            if entry & OPTIONAL == 0 && distance[v] == UNVISITED {
                distance[v] = distance[u] + 1;
                queue.push(v as u32);
            }
        }
    }
    let affected = |v: usize| v != failed && distance[v] != UNVISITED;

    let mut next = vec![UNVISITED; n];
    for v in (0..n).filter(|&v| affected(v)) {
        next[v] = forward
            .list(v)
            .iter()
            .filter(|&&e| e & OPTIONAL == 0 && distance[(e & NODE) as usize] != UNVISITED)
            .map(|&e| e & NODE)
            .min()
            .unwrap_or(UNVISITED);
    }
    if has_loop(&next, failed, &affected) {
        for v in (0..n).filter(|&v| affected(v)) {
            next[v] = forward
                .list(v)
                .iter()
                .filter(|&&e| {
                    let w = (e & NODE) as usize;
                    e & OPTIONAL == 0 && distance[w] != UNVISITED && distance[w] + 1 == distance[v]
                })
                .map(|&e| e & NODE)
                .min()
                .unwrap_or(UNVISITED);
        }
    }

    (0..n)
        .filter(|&v| affected(v))
        .map(|v| {
            let mut chain = vec![v];
            let mut at = v;
            // `next` ends at `failed` for every affected node; the range check only guards
            // against an impossible `UNVISITED`.
            while at != failed && (next[at] as usize) < n {
                at = next[at] as usize;
                chain.push(at);
            }
            (v, chain)
        })
        .collect()
}

/// Whether following `next` from some affected node revisits a node before reaching
/// `failed`. Each node is walked once (colouring: 1 = on the current walk, 2 = done).
fn has_loop(next: &[u32], failed: usize, affected: &dyn Fn(usize) -> bool) -> bool {
    let n = next.len();
    let mut state = vec![0u8; n];
    let mut walk = Vec::new();
    for v in 0..n {
        if !affected(v) {
            continue;
        }
        let mut at = v;
        while at != failed && at < n && state[at] == 0 {
            state[at] = 1;
            walk.push(at);
            at = next[at] as usize;
        }
        if at != failed && at < n && state[at] == 1 {
            return true;
        }
        for &w in &walk {
            state[w] = 2;
        }
        walk.clear();
    }
    false
}
