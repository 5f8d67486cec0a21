//! The dependency graph: edges stored flat as they are added, and adjacency lists in both
//! directions built lazily from them. Every other part of ordering reads the graph through
//! the packed `u32` entries defined here.

use std::ops::Range;
use std::sync::OnceLock;

/// Flag bit marking an optional edge inside a packed adjacency entry. Keeping the flag in
/// the node word halves the adjacency size compared to `(u32, bool)` pairs, and the hot
/// loops are bound by memory traffic.
pub(super) const OPTIONAL: u32 = 1 << 31;
/// Extracts the node index from a packed adjacency entry.
pub(super) const NODE: u32 = !OPTIONAL;

/// Largest number of nodes a [`DepGraph`] can hold (indices must leave the flag bit free).
pub const MAX_NODES: usize = OPTIONAL as usize;

/// Sentinel for "not visited yet" (or "no node") in the per-node `u32` arrays of the
/// searches; no node index reaches it, as they stay below [`MAX_NODES`].
pub(super) const UNVISITED: u32 = u32::MAX;

/// A dependency graph over nodes `0..n`.
///
/// Edges are stored flat in insertion order. Each direction's adjacency lists are built in
/// one pass the first time they are needed and kept until the next [`DepGraph::add_edge`],
/// so building a graph edge by edge costs no per-node allocation, and resolving a graph
/// where everything starts never needs the dependency direction at all.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    n: usize,
    /// `(dependent, packed dependency)` in insertion order.
    edges: Vec<(u32, u32)>,
    /// Number of dependencies per node, kept up to date so that the optimistic path of
    /// [`resolve`](super::resolve) and the dependency lists skip a counting pass over the
    /// edges. Empty until the first edge: most plugins of a large composition depend on
    /// nothing.
    pub(super) out_degree: Vec<u32>,
    /// Dependencies per node (packed).
    forward: OnceLock<Csr>,
    /// Dependents per node (packed, with the flag of the edge).
    reverse: OnceLock<Csr>,
}

/// One direction of the graph in compressed sparse row form, each list in insertion order.
/// Offsets are `u32` to keep the counting sort's scattered increments in cache.
#[derive(Debug, Clone)]
pub(super) struct Csr {
    /// The list of `v` is `entries[start[v]..start[v + 1]]`.
    pub(super) start: Vec<u32>,
    pub(super) entries: Vec<u32>,
}

impl Csr {
    /// Counting sort of `edges` by `key`, storing `value`. Walking the edges in insertion
    /// order makes the sort stable, which is what keeps every list in insertion order.
    /// `counts`, when known, spares the counting pass.
    fn build(
        n: usize,
        edges: &[(u32, u32)],
        counts: Option<&[u32]>,
        key: impl Fn(u32, u32) -> u32,
        value: impl Fn(u32, u32) -> u32,
    ) -> Self {
        // Counts go two slots to the right so that, after the prefix sum, `start[v + 1]`
        // is where `v`'s list begins; filling advances it to where `v`'s list ends, which
        // is `v + 1`'s beginning, leaving the final offsets without a second array.
        let mut start = vec![0u32; n + 2];
        match counts {
            Some(counts) => start[2..].copy_from_slice(&counts[..n]),
            None => {
                for &(dependent, dependency) in edges {
                    start[key(dependent, dependency) as usize + 2] += 1;
                }
            }
        }
        for v in 2..n + 2 {
            start[v] += start[v - 1];
        }
        let mut entries = vec![0u32; edges.len()];
        for &(dependent, dependency) in edges {
            let slot = &mut start[key(dependent, dependency) as usize + 1];
            entries[*slot as usize] = value(dependent, dependency);
            *slot += 1;
        }
        start.truncate(n + 1);
        Self { start, entries }
    }

    fn range(&self, v: usize) -> Range<usize> {
        self.start[v] as usize..self.start[v + 1] as usize
    }

    pub(super) fn list(&self, v: usize) -> &[u32] {
        &self.entries[self.range(v)]
    }
}

/// Splits a packed adjacency entry into `(node, optional)`.
fn unpack(entry: u32) -> (usize, bool) {
    ((entry & NODE) as usize, entry & OPTIONAL != 0)
}

impl DepGraph {
    /// An empty graph over nodes `0..n`.
    ///
    /// # Panics
    ///
    /// If `n` exceeds [`MAX_NODES`].
    pub fn new(n: usize) -> Self {
        Self::with_capacity(n, 0)
    }

    /// Like [`DepGraph::new`], reserving room for `edges` edges.
    ///
    /// # Panics
    ///
    /// If `n` exceeds [`MAX_NODES`].
    pub fn with_capacity(n: usize, edges: usize) -> Self {
        assert!(
            n <= MAX_NODES,
            "DepGraph supports at most {MAX_NODES} nodes, got {n}"
        );
        Self {
            n,
            edges: Vec::with_capacity(edges),
            out_degree: Vec::new(),
            forward: OnceLock::new(),
            reverse: OnceLock::new(),
        }
    }

    /// Records that `dependent` needs `dependency` started first.
    ///
    /// With `optional`, a dependency that fails or is blocked does not block `dependent`;
    /// it still orders the start when both start. Duplicate edges are allowed and harmless
    /// (a required duplicate of an optional edge makes the dependency required). A self-edge
    /// is a cycle of length 1.
    ///
    /// # Panics
    ///
    /// If either node is out of range, like slice indexing, or if the graph already holds
    /// `u32::MAX` edges.
    pub fn add_edge(&mut self, dependent: usize, dependency: usize, optional: bool) {
        assert!(
            dependent < self.n && dependency < self.n,
            "edge {dependent} -> {dependency} out of range for a graph of {} nodes",
            self.n
        );
        assert!(
            self.edges.len() < u32::MAX as usize,
            "DepGraph supports at most {} edges",
            u32::MAX
        );
        let flag = if optional { OPTIONAL } else { 0 };
        // Both fit in 31 bits: they are below `n`, which `with_capacity` bounds.
        self.edges
            .push((dependent as u32, dependency as u32 | flag));
        if self.out_degree.is_empty() {
            self.out_degree = vec![0; self.n];
        }
        self.out_degree[dependent] += 1;
        self.forward.take();
        self.reverse.take();
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Number of edges added, duplicates included.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Direct dependencies of `node` as `(dependency, optional)`, in insertion order
    /// (duplicates included). Empty if `node` is out of range.
    pub fn dependencies(&self, node: usize) -> impl Iterator<Item = (usize, bool)> + '_ {
        let list = if node < self.n {
            self.forward().list(node)
        } else {
            &[]
        };
        list.iter().map(|&entry| unpack(entry))
    }

    /// Nodes that directly depend on `node`, as `(dependent, optional)`, in insertion order
    /// (duplicates included). Empty if `node` is out of range.
    pub fn dependents(&self, node: usize) -> impl Iterator<Item = (usize, bool)> + '_ {
        let list = if node < self.n {
            self.reverse().list(node)
        } else {
            &[]
        };
        list.iter().map(|&entry| unpack(entry))
    }

    pub(super) fn forward(&self) -> &Csr {
        self.forward.get_or_init(|| {
            Csr::build(
                self.n,
                &self.edges,
                // No edges: no counts, and a counting pass over nothing.
                (!self.out_degree.is_empty()).then_some(&self.out_degree[..]),
                |dependent, _| dependent,
                |_, dependency| dependency,
            )
        })
    }

    pub(super) fn reverse(&self) -> &Csr {
        self.reverse.get_or_init(|| {
            Csr::build(
                self.n,
                &self.edges,
                None,
                |_, dependency| dependency & NODE,
                |dependent, dependency| dependent | (dependency & OPTIONAL),
            )
        })
    }
}
