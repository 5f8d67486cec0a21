//! Classification of the nodes when not everything can start: a strongly connected
//! component search that tells the nodes on a cycle, the blocked ones and the ones that
//! start apart, and keeps what is needed to explain the first two afterwards.

use super::graph::{Csr, NODE, OPTIONAL, UNVISITED};
use super::plan::Kind;

/// What the slow path keeps to explain non-starting nodes afterwards.
#[derive(Default)]
pub(super) struct Explain {
    /// Per node, its strongly connected component (meaningful for `Cycle` nodes).
    pub(super) component: Vec<u32>,
    /// Per `Blocked` node, the dependency its chain goes through.
    pub(super) blocked_next: Vec<u32>,
}

/// Classifies every non-failed node as `Cycle`, `Blocked` or `Start` with an iterative
/// Tarjan SCC search over dependency edges (failed nodes removed), and counts the in-degrees
/// for [`kahn`](super::kahn::kahn).
///
/// Tarjan emits a component only after every component it depends on, so when a singleton
/// component is emitted all its dependencies are already classified: blocking and counting
/// happen in the same pass, with no separate topological sort.
pub(super) fn classify(forward: &Csr, kind: &mut [Kind], indegree: &mut [u32]) -> Explain {
    let n = kind.len();
    let mut search = Tarjan {
        index: vec![UNVISITED; n],
        low: vec![0; n],
        stack: Vec::new(),
        calls: Vec::new(),
        next_index: 0,
    };
    let mut component = vec![0u32; n];
    let mut blocked_next = vec![0u32; n];
    let mut next_component = 0u32;

    for root in 0..n {
        if kind[root] != Kind::Unknown || search.index[root] != UNVISITED {
            continue;
        }
        search.enter(root, forward);
        while let Some(&mut (v, ref mut position)) = search.calls.last_mut() {
            let v = v as usize;
            if *position < forward.start[v + 1] {
                let w = (forward.entries[*position as usize] & NODE) as usize;
                *position += 1;
                if kind[w] == Kind::Failed {
                    continue;
                }
                if search.index[w] == UNVISITED {
                    search.enter(w, forward);
                } else if kind[w] == Kind::Unknown {
                    // Visited but not yet in a component: still on Tarjan's stack.
                    search.low[v] = search.low[v].min(search.index[w]);
                }
                continue;
            }
            search.calls.pop();
            if search.low[v] != search.index[v] {
                if let Some(&(parent, _)) = search.calls.last() {
                    let parent = parent as usize;
                    search.low[parent] = search.low[parent].min(search.low[v]);
                }
                continue;
            }

            let id = next_component;
            next_component += 1;
            let stack = &mut search.stack;
            let mut first = stack.len();
            while first > 0 {
                first -= 1;
                if stack[first] as usize == v {
                    break;
                }
            }
            if stack.len() - first > 1 {
                for &w in &stack[first..] {
                    kind[w as usize] = Kind::Cycle;
                    component[w as usize] = id;
                }
            } else {
                component[v] = id;
                let mut count = 0u32;
                let mut first_bad = UNVISITED;
                let mut self_edge = false;
                for &entry in forward.list(v) {
                    let w = entry & NODE;
                    if w as usize == v {
                        self_edge = true;
                        break;
                    }
                    if kind[w as usize] == Kind::Start {
                        count += 1;
                    } else if entry & OPTIONAL == 0 && w < first_bad {
                        first_bad = w;
                    }
                }
                if self_edge {
                    kind[v] = Kind::Cycle;
                } else if first_bad != UNVISITED {
                    kind[v] = Kind::Blocked;
                    blocked_next[v] = first_bad;
                } else {
                    kind[v] = Kind::Start;
                    indegree[v] = count;
                }
            }
            stack.truncate(first);
        }
    }
    Explain {
        component,
        blocked_next,
    }
}

/// State of the iterative Tarjan search in [`classify`].
struct Tarjan {
    /// Discovery index per node, [`UNVISITED`] before.
    index: Vec<u32>,
    low: Vec<u32>,
    /// Nodes whose component is not emitted yet.
    stack: Vec<u32>,
    /// The explicit call stack, as (node, next dependency position), so that 10,000-deep
    /// chains do not overflow the thread stack.
    calls: Vec<(u32, u32)>,
    next_index: u32,
}

impl Tarjan {
    fn enter(&mut self, v: usize, forward: &Csr) {
        self.index[v] = self.next_index;
        self.low[v] = self.next_index;
        self.next_index += 1;
        self.stack.push(v as u32);
        self.calls.push((v as u32, forward.start[v]));
    }
}
