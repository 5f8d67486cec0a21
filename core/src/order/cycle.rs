//! The explanation of a node on a cycle: a shortest cycle through it.

use super::graph::{DepGraph, NODE};
use super::plan::Kind;

/// Shortest cycles through cyclic nodes, searched breadth-first inside each node's strongly
/// connected component with neighbours in index order so that ties are deterministic.
/// Everything is allocated once (and only if some node is on a cycle).
pub(super) struct CycleFinder {
    /// Intra-component dependencies, sorted: `next[start[v]..start[v + 1]]`.
    start: Vec<usize>,
    next: Vec<u32>,
    /// `seen[w] == stamp` marks `w` as visited by the current search, sparing a clear.
    seen: Vec<u32>,
    stamp: u32,
    parent: Vec<u32>,
    queue: Vec<u32>,
}

impl CycleFinder {
    pub(super) fn new(graph: &DepGraph, kind: &[Kind], component: &[u32]) -> Self {
        let n = kind.len();
        if !kind.contains(&Kind::Cycle) {
            return Self {
                start: Vec::new(),
                next: Vec::new(),
                seen: Vec::new(),
                stamp: 0,
                parent: Vec::new(),
                queue: Vec::new(),
            };
        }
        let forward = graph.forward();
        let same_cycle = |v: usize, entry: u32| {
            let w = (entry & NODE) as usize;
            kind[w] == Kind::Cycle && component[w] == component[v]
        };
        let mut start = vec![0usize; n + 1];
        for v in 0..n {
            let inside = if kind[v] == Kind::Cycle {
                forward
                    .list(v)
                    .iter()
                    .filter(|&&e| same_cycle(v, e))
                    .count()
            } else {
                0
            };
            start[v + 1] = start[v] + inside;
        }
        let mut next = Vec::with_capacity(start[n]);
        for v in 0..n {
            if kind[v] == Kind::Cycle {
                next.extend(
                    forward
                        .list(v)
                        .iter()
                        .filter(|&&e| same_cycle(v, e))
                        .map(|&e| e & NODE),
                );
                next[start[v]..].sort_unstable();
            }
        }
        Self {
            start,
            next,
            seen: vec![0; n],
            stamp: 0,
            parent: vec![0; n],
            queue: Vec::new(),
        }
    }

    pub(super) fn shortest_cycle(&mut self, source: usize) -> Vec<usize> {
        self.stamp += 1;
        let stamp = self.stamp;
        self.seen[source] = stamp;
        self.queue.clear();
        self.queue.push(source as u32);
        let mut head = 0;
        while head < self.queue.len() {
            let u = self.queue[head] as usize;
            head += 1;
            for &w in &self.next[self.start[u]..self.start[u + 1]] {
                let w = w as usize;
                if w == source {
                    let mut back = vec![source];
                    let mut at = u;
                    while at != source {
                        back.push(at);
                        at = self.parent[at] as usize;
                    }
                    back.push(source);
                    back.reverse();
                    return back;
                }
                if self.seen[w] != stamp {
                    self.seen[w] = stamp;
                    self.parent[w] = u as u32;
                    self.queue.push(w as u32);
                }
            }
        }
        // Unreachable: a `Cycle` node has a self-edge or shares a non-trivial strongly
        // connected component, so the search always comes back. A one-node path keeps
        // this panic-free.
        vec![source]
    }
}
