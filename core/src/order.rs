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

use std::ops::Range;
use std::sync::OnceLock;

/// Flag bit marking an optional edge inside a packed adjacency entry. Keeping the flag in
/// the node word halves the adjacency size compared to `(u32, bool)` pairs, and the hot
/// loops are bound by memory traffic.
const OPTIONAL: u32 = 1 << 31;
/// Extracts the node index from a packed adjacency entry.
const NODE: u32 = !OPTIONAL;

/// Largest number of nodes a [`DepGraph`] can hold (indices must leave the flag bit free).
pub const MAX_NODES: usize = OPTIONAL as usize;

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
    /// [`resolve`] and the dependency lists skip a counting pass over the edges. Empty
    /// until the first edge: most plugins of a large composition depend on nothing.
    out_degree: Vec<u32>,
    /// Dependencies per node (packed).
    forward: OnceLock<Csr>,
    /// Dependents per node (packed, with the flag of the edge).
    reverse: OnceLock<Csr>,
}

/// One direction of the graph in compressed sparse row form, each list in insertion order.
/// Offsets are `u32` to keep the counting sort's scattered increments in cache.
#[derive(Debug, Clone)]
struct Csr {
    /// The list of `v` is `entries[start[v]..start[v + 1]]`.
    start: Vec<u32>,
    entries: Vec<u32>,
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

    fn list(&self, v: usize) -> &[u32] {
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

    fn forward(&self) -> &Csr {
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

    fn reverse(&self) -> &Csr {
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

/// What [`resolve`] decided for one node.
///
/// `F` is the caller's reason for a failure decided before ordering (invalid config,
/// incompatible API, missing dependency, disabled...); it is opaque here and carried through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<F> {
    /// Will start, at this level.
    Start {
        /// 0 when no dependency of the node starts, otherwise 1 + the maximum level of the
        /// dependencies that start. Nodes of one level can start concurrently.
        level: usize,
    },
    /// Failed before ordering, with the caller's reason (copied from `initial`).
    Failed(F),
    /// On a dependency cycle.
    Cycle {
        /// A shortest cycle through this node, starting and ending with it, in dependency
        /// direction: `path[i]` depends on `path[i + 1]`. For `a -> b -> c -> a` seen from
        /// `b`: `[b, c, a, b]`; for a self-edge: `[a, a]`.
        path: Vec<usize>,
    },
    /// A required dependency, directly or transitively, failed, is on a cycle or is blocked.
    Blocked {
        /// `[this node, its dependency, ..., the root that failed or is on a cycle]`, each
        /// step a required edge; at each step the smallest-index dependency that does not
        /// start is followed.
        chain: Vec<usize>,
    },
}

impl<F> Status<F> {
    /// Whether the node starts.
    pub fn is_start(&self) -> bool {
        matches!(self, Status::Start { .. })
    }

    /// The start level, if the node starts.
    pub fn level(&self) -> Option<usize> {
        match self {
            Status::Start { level } => Some(*level),
            _ => None,
        }
    }
}

/// The outcome of [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<F> {
    /// Per node, indexed like the graph.
    pub status: Vec<Status<F>>,
    /// Every starting node, in start order: each node comes after all its dependencies that
    /// also start, and among the nodes ready at any point the smallest index goes first.
    pub order: Vec<usize>,
    /// `order` grouped by level: `levels[k]` holds the starting nodes of level `k`, in index
    /// order. Nodes of one level can start concurrently. Empty when nothing starts.
    pub levels: Vec<Vec<usize>>,
}

/// What [`resolve`] decides, as a registry keeps it: per node only its
/// level, with the statuses of the nodes that do not start (usually few)
/// apart. [`Plan`] writes a status for every node.
#[derive(Debug)]
pub(crate) struct Compact<F> {
    /// As [`Plan::order`].
    pub(crate) order: Vec<usize>,
    /// Per node, its start level, or [`NOT_STARTED`].
    pub(crate) level: Vec<u32>,
    /// The nodes that do not start, by index, with their status.
    pub(crate) not_started: Vec<(usize, Status<F>)>,
}

/// [`Compact::level`] of a node that does not start.
pub(crate) const NOT_STARTED: u32 = u32::MAX;

/// [`resolve`], compact.
pub(crate) fn resolve_compact<F: Clone>(graph: &DepGraph, initial: &[Option<F>]) -> Compact<F> {
    let n = graph.len();
    if graph.edge_count() == 0 {
        // Nothing orders anything: what Kahn's algorithm would find, directly
        // (every node that did not fail, by index, all at level 0). The
        // common case of a large composition of independent plugins.
        let mut order = Vec::with_capacity(n);
        let mut not_started = Vec::new();
        let level = (0..n)
            .map(|v| match initial.get(v) {
                Some(Some(reason)) => {
                    not_started.push((v, Status::Failed(reason.clone())));
                    NOT_STARTED
                }
                _ => {
                    order.push(v);
                    0
                }
            })
            .collect();
        return Compact {
            order,
            level,
            not_started,
        };
    }
    let plan = resolve(graph, initial);
    let mut not_started = Vec::new();
    let level = plan
        .status
        .into_iter()
        .enumerate()
        .map(|(v, status)| match status {
            // Fits: a graph has fewer than `u32::MAX` nodes.
            Status::Start { level } => level as u32,
            status => {
                not_started.push((v, status));
                NOT_STARTED
            }
        })
        .collect();
    Compact {
        order: plan.order,
        level,
        not_started,
    }
}

/// Classification of a node while resolving; `Unknown` only until the node is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unknown,
    Failed,
    Cycle,
    Blocked,
    Start,
}

/// Sentinel for "not visited yet" in the SCC search.
const UNVISITED: u32 = u32::MAX;

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
        let compact = resolve_compact(graph, initial);
        let mut not_started = compact.not_started.into_iter().peekable();
        let status = (0..n)
            .map(|v| match not_started.next_if(|(u, _)| *u == v) {
                Some((_, status)) => status,
                None => Status::Start { level: 0 },
            })
            .collect();
        let levels = if compact.order.is_empty() {
            Vec::new()
        } else {
            vec![compact.order.clone()]
        };
        return Plan {
            status,
            order: compact.order,
            levels,
        };
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

/// Prepares the optimistic attempt: every node that did not fail is tentatively `Start`,
/// with its in-degree counted over the dependencies that did not fail. Returns `false`
/// (leaving `kind` untouched) if some node requires a failed node, because then not
/// everything can start and the tentative order could wait on nodes that end up blocked.
///
/// Only the edges of failed nodes are looked at, so with no failure this is `O(n)`.
fn optimistic_indegrees(
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
fn kahn(reverse: &Csr, kind: &[Kind], indegree: &mut [u32]) -> (Vec<usize>, Vec<u32>) {
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

/// The set of ready nodes, as a min-priority queue over `0..n`: a 64-ary tree of bitsets
/// where a bit is set when its word below is non-zero. Insert and pop-min take one step per
/// tree level (3 for 10,000 nodes) instead of the `log2 n` unpredictable comparisons of a
/// binary heap's sift, which dominated Kahn's algorithm. Pops come out exactly as from a
/// `BinaryHeap<Reverse<_>>`.
struct ReadySet {
    /// `tiers[0]` has one bit per node, each next tier one bit per word of the previous one;
    /// the last tier is a single word.
    tiers: Vec<Vec<u64>>,
}

impl ReadySet {
    fn new(n: usize) -> Self {
        let mut tiers = Vec::new();
        let mut bits = n.max(1);
        loop {
            let words = bits.div_ceil(64);
            tiers.push(vec![0u64; words]);
            if words == 1 {
                break;
            }
            bits = words;
        }
        Self { tiers }
    }

    fn insert(&mut self, v: usize) {
        let mut at = v;
        for tier in &mut self.tiers {
            let word = &mut tier[at / 64];
            let was_empty = *word == 0;
            *word |= 1 << (at % 64);
            if !was_empty {
                // Tiers above already know this word is non-empty.
                break;
            }
            at /= 64;
        }
    }

    fn pop_min(&mut self) -> Option<usize> {
        let mut at = 0;
        for tier in self.tiers.iter().rev() {
            let word = tier[at];
            if word == 0 {
                return None;
            }
            at = at * 64 + word.trailing_zeros() as usize;
        }
        let found = at;
        for tier in &mut self.tiers {
            let word = &mut tier[at / 64];
            *word &= !(1 << (at % 64));
            if *word != 0 {
                break;
            }
            at /= 64;
        }
        Some(found)
    }
}

/// What the slow path keeps to explain non-starting nodes afterwards.
#[derive(Default)]
struct Explain {
    /// Per node, its strongly connected component (meaningful for `Cycle` nodes).
    component: Vec<u32>,
    /// Per `Blocked` node, the dependency its chain goes through.
    blocked_next: Vec<u32>,
}

/// Classifies every non-failed node as `Cycle`, `Blocked` or `Start` with an iterative
/// Tarjan SCC search over dependency edges (failed nodes removed), and counts the in-degrees
/// for [`kahn`].
///
/// Tarjan emits a component only after every component it depends on, so when a singleton
/// component is emitted all its dependencies are already classified: blocking and counting
/// happen in the same pass, with no separate topological sort.
fn classify(forward: &Csr, kind: &mut [Kind], indegree: &mut [u32]) -> Explain {
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

/// Follows `blocked_next` from the blocked node `v` down to the root cause. Terminates
/// because each step goes to a node classified strictly earlier.
fn blocked_chain(v: usize, kind: &[Kind], blocked_next: &[u32]) -> Vec<usize> {
    let mut chain = vec![v];
    let mut at = v;
    while kind[at] == Kind::Blocked {
        at = blocked_next[at] as usize;
        chain.push(at);
    }
    chain
}

/// Shortest cycles through cyclic nodes, searched breadth-first inside each node's strongly
/// connected component with neighbours in index order so that ties are deterministic.
/// Everything is allocated once (and only if some node is on a cycle).
struct CycleFinder {
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
    fn new(graph: &DepGraph, kind: &[Kind], component: &[u32]) -> Self {
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

    fn shortest_cycle(&mut self, source: usize) -> Vec<usize> {
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

/// Which nodes become blocked when `failed` fails at run time (for example its constructor
/// panicked): every node other than `failed` that transitively depends on it through
/// required edges, in index order, each with its chain in the format of
/// [`Status::Blocked`] (`[node, dependency, ..., failed]`).
///
/// At each step the chain follows the smallest-index required dependency that is itself
/// affected, as [`resolve`] does. That rule can only loop if the affected nodes contain a
/// cycle of required edges (which never happens among started nodes); in that case every
/// chain is instead a shortest one, taking the smallest index among the equally short
/// choices, so the result stays deterministic and finite.
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn graph(n: usize, edges: &[(usize, usize, bool)]) -> DepGraph {
        let mut g = DepGraph::new(n);
        for &(dependent, dependency, optional) in edges {
            g.add_edge(dependent, dependency, optional);
        }
        g
    }

    fn none(n: usize) -> Vec<Option<&'static str>> {
        vec![None; n]
    }

    fn start(level: usize) -> Status<&'static str> {
        Status::Start { level }
    }

    fn blocked(chain: &[usize]) -> Status<&'static str> {
        Status::Blocked {
            chain: chain.to_vec(),
        }
    }

    fn cycle(path: &[usize]) -> Status<&'static str> {
        Status::Cycle {
            path: path.to_vec(),
        }
    }

    #[test]
    fn adjacency_keeps_insertion_order_and_duplicates() {
        let mut g = graph(3, &[(0, 2, false), (0, 1, true), (0, 2, false)]);
        assert_eq!(g.len(), 3);
        assert!(!g.is_empty());
        assert_eq!(g.edge_count(), 3);
        let deps: Vec<_> = g.dependencies(0).collect();
        assert_eq!(deps, [(2, false), (1, true), (2, false)]);
        assert_eq!(
            g.dependents(2).collect::<Vec<_>>(),
            [(0, false), (0, false)]
        );
        assert_eq!(g.dependents(1).collect::<Vec<_>>(), [(0, true)]);
        assert_eq!(g.dependencies(7).count(), 0);
        // Adding after a read must invalidate the cached adjacency.
        g.add_edge(1, 2, true);
        assert_eq!(
            g.dependents(2).collect::<Vec<_>>(),
            [(0, false), (0, false), (1, true)]
        );
        assert!(DepGraph::default().is_empty());
    }

    #[test]
    fn simple_chain() {
        // 3 needs 2 needs 1 needs 0.
        let g = graph(4, &[(1, 0, false), (2, 1, false), (3, 2, false)]);
        let plan = resolve(&g, &none(4));
        assert_eq!(plan.order, [0, 1, 2, 3]);
        assert_eq!(plan.status, [start(0), start(1), start(2), start(3)]);
        assert_eq!(plan.levels, [vec![0], vec![1], vec![2], vec![3]]);

        // Reversed numbering: the order follows the edges, not the indices.
        let g = graph(3, &[(0, 1, false), (1, 2, false)]);
        let plan = resolve(&g, &none(3));
        assert_eq!(plan.order, [2, 1, 0]);
    }

    #[test]
    fn diamond_order_and_levels() {
        // 3 needs 1 and 2, which both need 0; 4 needs 3 optionally.
        let g = graph(
            5,
            &[
                (3, 2, false),
                (3, 1, false),
                (1, 0, false),
                (2, 0, false),
                (4, 3, true),
            ],
        );
        let plan = resolve(&g, &none(5));
        assert_eq!(plan.order, [0, 1, 2, 3, 4]);
        assert_eq!(plan.levels, [vec![0], vec![1, 2], vec![3], vec![4]]);
        assert_eq!(plan.status[3], start(2));
        assert_eq!(plan.status[4], start(3));
    }

    #[test]
    fn ties_are_broken_by_index() {
        let plan = resolve(&DepGraph::new(5), &none(5));
        assert_eq!(plan.order, [0, 1, 2, 3, 4]);
        assert_eq!(plan.levels, [vec![0, 1, 2, 3, 4]]);

        // 0 waits for 4; 1, 2, 3 are ready at once and go first by index.
        let g = graph(5, &[(0, 4, false)]);
        let plan = resolve(&g, &none(5));
        assert_eq!(plan.order, [1, 2, 3, 4, 0]);
        assert_eq!(plan.levels, [vec![1, 2, 3, 4], vec![0]]);
    }

    #[test]
    fn cycle_blocks_only_its_dependents() {
        // a=0 -> b=1 -> c=2 -> a; d=3 needs a; e=4 is independent; f=5 optionally needs b.
        let g = graph(
            6,
            &[
                (0, 1, false),
                (1, 2, true),
                (2, 0, false),
                (3, 0, false),
                (5, 1, true),
            ],
        );
        let plan = resolve(&g, &none(6));
        assert_eq!(
            plan.status,
            [
                cycle(&[0, 1, 2, 0]),
                cycle(&[1, 2, 0, 1]),
                cycle(&[2, 0, 1, 2]),
                blocked(&[3, 0]),
                start(0),
                start(0),
            ]
        );
        assert_eq!(plan.order, [4, 5]);
        assert_eq!(plan.levels, [vec![4, 5]]);
    }

    #[test]
    fn shortest_cycle_is_reported() {
        // 0 -> 1 -> 2 -> 3 -> 0 and the shortcut 0 -> 3.
        let g = graph(
            4,
            &[
                (0, 1, false),
                (1, 2, false),
                (2, 3, false),
                (3, 0, false),
                (0, 3, false),
            ],
        );
        let plan = resolve(&g, &none(4));
        assert_eq!(plan.status[0], cycle(&[0, 3, 0]));
        assert_eq!(plan.status[1], cycle(&[1, 2, 3, 0, 1]));
        assert_eq!(plan.status[3], cycle(&[3, 0, 3]));
    }

    #[test]
    fn self_edge_is_a_cycle() {
        let g = graph(3, &[(0, 0, true), (1, 0, false), (2, 0, true)]);
        let plan = resolve(&g, &none(3));
        assert_eq!(plan.status, [cycle(&[0, 0]), blocked(&[1, 0]), start(0)]);
        assert_eq!(plan.order, [2]);
    }

    #[test]
    fn initial_failure_blocks_required_dependents_only() {
        // 0 failed; 1 needs 0; 2 needs 1; 3 optionally needs 0; 4 needs 3;
        // 5 <-> 6 is a cycle through the failed 6, so it is no cycle at all.
        let g = graph(
            7,
            &[
                (1, 0, false),
                (2, 1, false),
                (3, 0, true),
                (4, 3, false),
                (5, 6, false),
                (6, 5, false),
            ],
        );
        let initial = [
            Some("bad config"),
            None,
            None,
            None,
            None,
            None,
            Some("disabled"),
        ];
        let plan = resolve(&g, &initial);
        assert_eq!(
            plan.status,
            [
                Status::Failed("bad config"),
                blocked(&[1, 0]),
                blocked(&[2, 1, 0]),
                start(0),
                start(1),
                blocked(&[5, 6]),
                Status::Failed("disabled"),
            ]
        );
        assert_eq!(plan.order, [3, 4]);
        assert_eq!(plan.levels, [vec![3], vec![4]]);
    }

    #[test]
    fn blocked_chain_prefers_the_smallest_failing_dependency() {
        // 4 needs 3 and 2; 3 needs 0 (failed); 2 needs 1 (failed).
        let g = graph(
            5,
            &[(4, 3, false), (4, 2, false), (3, 0, false), (2, 1, false)],
        );
        let plan = resolve(&g, &[Some(()), Some(()), None, None, None]);
        assert_eq!(
            plan.status[4],
            Status::Blocked {
                chain: vec![4, 2, 1]
            }
        );
    }

    #[test]
    fn initial_shorter_or_longer_than_the_graph() {
        let g = graph(3, &[(2, 0, false)]);
        let plan = resolve(&g, &[Some("x")]);
        assert_eq!(
            plan.status,
            [Status::Failed("x"), start(0), blocked(&[2, 0])]
        );
        let plan = resolve(&g, &[None, None, None, Some("ignored")]);
        assert_eq!(plan.order, [0, 1, 2]);
        let plan = resolve::<()>(&DepGraph::new(0), &[]);
        assert!(plan.status.is_empty() && plan.order.is_empty() && plan.levels.is_empty());
    }

    #[test]
    fn blocked_by_follows_required_edges() {
        // 3 needs 2 needs 1 needs 0; 4 optionally needs 0; 5 needs 4.
        let g = graph(
            6,
            &[
                (1, 0, false),
                (2, 1, false),
                (3, 2, false),
                (4, 0, true),
                (5, 4, false),
            ],
        );
        assert_eq!(
            blocked_by(&g, 0),
            [(1, vec![1, 0]), (2, vec![2, 1, 0]), (3, vec![3, 2, 1, 0])]
        );
        assert_eq!(blocked_by(&g, 2), [(3, vec![3, 2])]);
        assert_eq!(blocked_by(&g, 4), [(5, vec![5, 4])]);
        assert!(blocked_by(&g, 3).is_empty());
        assert!(blocked_by(&g, 99).is_empty());

        // Smallest affected dependency first, even when it is not the shortest way.
        let g = graph(
            5,
            &[
                (4, 1, false),
                (4, 3, false),
                (3, 0, false),
                (1, 2, false),
                (2, 0, false),
            ],
        );
        assert_eq!(blocked_by(&g, 0)[3], (4, vec![4, 1, 2, 0]));
    }

    #[test]
    fn blocked_by_survives_required_cycles() {
        // 2 fails; 0 needs 1 and 2; 1 needs 0: the smallest-index rule would loop 0 <-> 1.
        let g = graph(3, &[(0, 1, false), (0, 2, false), (1, 0, false)]);
        assert_eq!(blocked_by(&g, 2), [(0, vec![0, 2]), (1, vec![1, 0, 2])]);
        // A failed node on a required cycle is not reported as blocked by itself.
        let g = graph(2, &[(0, 1, false), (1, 0, false)]);
        assert_eq!(blocked_by(&g, 0), [(1, vec![1, 0])]);
    }

    const BIG: usize = 10_000;

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        // Node i needs i + 1, so depth-first search from 0 goes 10,000 deep. The extra
        // 2-cycle at the end defeats the optimistic path and forces the SCC search.
        let mut g = DepGraph::with_capacity(BIG + 2, BIG + 1);
        for i in 0..BIG - 1 {
            g.add_edge(i, i + 1, false);
        }
        g.add_edge(BIG, BIG + 1, false);
        g.add_edge(BIG + 1, BIG, false);
        let plan = resolve(&g, &vec![None::<()>; BIG + 2]);
        let expected: Vec<usize> = (0..BIG).rev().collect();
        assert_eq!(plan.order, expected);
        assert_eq!(plan.levels.len(), BIG);
        assert_eq!(plan.status[0], Status::Start { level: BIG - 1 });
        assert_eq!(
            plan.status[BIG],
            Status::Cycle {
                path: vec![BIG, BIG + 1, BIG]
            }
        );

        // Same chain, all nodes starting: the optimistic path alone.
        let mut g = DepGraph::new(BIG);
        for i in 1..BIG {
            g.add_edge(i, i - 1, false);
        }
        let plan = resolve(&g, &vec![None::<()>; BIG]);
        assert_eq!(plan.order, (0..BIG).collect::<Vec<_>>());
        assert_eq!(
            blocked_by(&g, BIG - 3),
            [
                (BIG - 2, vec![BIG - 2, BIG - 3]),
                (BIG - 1, vec![BIG - 1, BIG - 2, BIG - 3])
            ]
        );
    }

    #[test]
    fn long_cycle() {
        // Every node of a ring reports the whole ring, so the output is quadratic:
        // 2,000 nodes keep this test small while still far deeper than any stack.
        const RING: usize = 2_000;
        let mut g = DepGraph::new(RING);
        for i in 0..RING {
            g.add_edge(i, (i + 1) % RING, false);
        }
        let plan = resolve(&g, &vec![None::<()>; RING]);
        assert!(plan.order.is_empty() && plan.levels.is_empty());
        let mut expected: Vec<usize> = (0..RING).collect();
        expected.push(0);
        assert_eq!(plan.status[0], Status::Cycle { path: expected });
        for (v, status) in plan.status.iter().enumerate() {
            let Status::Cycle { path } = status else {
                panic!("{v} is not on the cycle: {status:?}");
            };
            assert_eq!(
                (path.len(), path[0], path[1]),
                (RING + 1, v, (v + 1) % RING)
            );
        }
    }

    /// A small deterministic generator, to build large graphs without proptest shrinking.
    struct XorShift(u64);

    impl XorShift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// A graph without edges takes a shortcut: the plan must be the one
    /// Kahn's algorithm gives, which one edge into a node of its own forces.
    #[test]
    fn graphs_without_edges_resolve_like_any_other() {
        let n = 200;
        let initial: Vec<Option<&str>> = (0..n).map(|v| (v % 7 == 3).then_some("failed")).collect();
        let shortcut = resolve(&DepGraph::new(n), &initial);
        assert_eq!(shortcut.order.len(), n - (n - 3).div_ceil(7));
        assert_eq!(shortcut.levels, std::slice::from_ref(&shortcut.order));

        // One more node, with an optional edge to a failed one: it forces
        // the general path and orders nothing else.
        let mut g = DepGraph::new(n + 1);
        g.add_edge(n, 3, true);
        let mut with_edge_initial = initial.clone();
        with_edge_initial.push(None);
        let general = resolve(&g, &with_edge_initial);
        assert_eq!(&general.status[..n], &shortcut.status[..]);
        assert_eq!(general.order[..general.order.len() - 1], shortcut.order[..]);
        assert_eq!(
            general.levels[0][..shortcut.order.len()],
            shortcut.order[..]
        );

        let edgeless = DepGraph::new(3);
        assert_eq!(edgeless.dependencies(1).count(), 0);
        assert_eq!(edgeless.dependents(2).count(), 0);
        let none = resolve::<&str>(&DepGraph::new(0), &[]);
        assert!(none.order.is_empty() && none.levels.is_empty() && none.status.is_empty());
        let all_failed = resolve(&DepGraph::new(2), &[Some("x"), Some("y")]);
        assert!(all_failed.order.is_empty() && all_failed.levels.is_empty());
    }

    #[test]
    fn large_graph_order_matches_a_binary_heap_kahn() {
        // Large enough for a three-tier ready set; checked against the textbook algorithm.
        let n = 5_000;
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut g = DepGraph::new(n);
        for _ in 0..25_000 {
            let (a, b) = (rng.below(n), rng.below(n));
            if a != b {
                g.add_edge(a.max(b), a.min(b), rng.below(4) == 0);
            }
        }
        for _ in 0..3 {
            let (a, b) = (rng.below(n), rng.below(n));
            g.add_edge(a.min(b), a.max(b), false);
        }
        let mut initial = vec![None; n];
        for _ in 0..5 {
            initial[rng.below(n)] = Some(());
        }
        for initial in [vec![None; n], initial] {
            let plan = resolve(&g, &initial);
            let starts = |v: usize| plan.status[v].is_start();
            let mut indegree: Vec<usize> = (0..n)
                .map(|v| g.dependencies(v).filter(|&(w, _)| starts(w)).count())
                .collect();
            let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
                .filter(|&v| starts(v) && indegree[v] == 0)
                .map(std::cmp::Reverse)
                .collect();
            let mut expected = Vec::new();
            while let Some(std::cmp::Reverse(u)) = heap.pop() {
                expected.push(u);
                for (v, _) in g.dependents(u) {
                    if starts(v) {
                        indegree[v] -= 1;
                        if indegree[v] == 0 {
                            heap.push(std::cmp::Reverse(v));
                        }
                    }
                }
            }
            assert_eq!(plan.order, expected);
            assert!(
                plan.order.len() > n / 2,
                "too few nodes start to be a useful check"
            );
        }
    }

    // ---- property tests against a naive oracle ----

    type Edge = (usize, usize, bool);

    /// Random graphs biased towards acyclic ones (edges mostly point to smaller indices) so
    /// that every status shows up often.
    fn arb_case() -> impl Strategy<Value = (usize, Vec<Edge>, Vec<Option<u8>>)> {
        (1usize..40).prop_flat_map(|n| {
            let edge = (0..n, 0..n, any::<bool>(), prop::bool::weighted(0.06)).prop_map(
                |(a, b, optional, backwards)| {
                    if backwards {
                        Some((a, b, optional))
                    } else if a == b {
                        None
                    } else {
                        Some((a.max(b), a.min(b), optional))
                    }
                },
            );
            let edges = prop::collection::vec(edge, 0..n * 3)
                .prop_map(|edges| edges.into_iter().flatten().collect::<Vec<_>>());
            let failure = prop::bool::weighted(0.1).prop_flat_map(|fails| {
                if fails {
                    any::<u8>().prop_map(Some).boxed()
                } else {
                    Just(None).boxed()
                }
            });
            (Just(n), edges, prop::collection::vec(failure, n))
        })
    }

    /// Breadth-first distances from `from` along dependency edges allowed by `keep`.
    fn distances(
        n: usize,
        edges: &[Edge],
        from: usize,
        keep: impl Fn(&Edge) -> bool,
    ) -> Vec<Option<usize>> {
        let mut dist = vec![None; n];
        dist[from] = Some(0);
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(u) = queue.pop_front() {
            for e in edges.iter().filter(|e| e.0 == u && keep(e)) {
                if dist[e.1].is_none() {
                    dist[e.1] = dist[u].map(|d| d + 1);
                    queue.push_back(e.1);
                }
            }
        }
        dist
    }

    /// Length (in edges) of the shortest cycle through `v` using edges allowed by `keep`.
    fn shortest_cycle_len(
        n: usize,
        edges: &[Edge],
        v: usize,
        keep: impl Fn(&Edge) -> bool + Copy,
    ) -> Option<usize> {
        let dist = distances(n, edges, v, keep);
        edges
            .iter()
            .filter(|e| e.1 == v && keep(e))
            .filter_map(|e| dist[e.0].map(|d| d + 1))
            .min()
    }

    fn check_resolve(
        n: usize,
        edges: &[Edge],
        initial: &[Option<u8>],
    ) -> Result<(), TestCaseError> {
        let g = graph(n, edges);
        let plan = resolve(&g, initial);
        prop_assert_eq!(plan.status.len(), n);
        for v in 0..n {
            let mut deps: Vec<Edge> = edges.iter().filter(|e| e.0 == v).copied().collect();
            prop_assert_eq!(
                g.dependencies(v).collect::<Vec<_>>(),
                deps.iter().map(|e| (e.1, e.2)).collect::<Vec<_>>()
            );
            deps = edges.iter().filter(|e| e.1 == v).copied().collect();
            prop_assert_eq!(
                g.dependents(v).collect::<Vec<_>>(),
                deps.iter().map(|e| (e.0, e.2)).collect::<Vec<_>>()
            );
        }

        // Oracle: cycles by plain reachability among the nodes that did not fail.
        let alive = |v: usize| initial[v].is_none();
        let keep = |e: &Edge| alive(e.0) && alive(e.1);
        let cycle_len: Vec<Option<usize>> = (0..n)
            .map(|v| {
                if alive(v) {
                    shortest_cycle_len(n, edges, v, keep)
                } else {
                    None
                }
            })
            .collect();
        // Oracle: blocking by fixpoint (non-cyclic nodes form a DAG, so it is unique).
        let mut starts: Vec<bool> = (0..n).map(|v| alive(v) && cycle_len[v].is_none()).collect();
        loop {
            let stuck: Vec<usize> = (0..n)
                .filter(|&v| starts[v] && edges.iter().any(|e| e.0 == v && !e.2 && !starts[e.1]))
                .collect();
            if stuck.is_empty() {
                break;
            }
            for v in stuck {
                starts[v] = false;
            }
        }

        let level = |v: usize| plan.status[v].level();
        for v in 0..n {
            match &plan.status[v] {
                Status::Failed(reason) => prop_assert_eq!(Some(reason), initial[v].as_ref()),
                Status::Cycle { path } => {
                    prop_assert!(alive(v));
                    let len = cycle_len[v];
                    prop_assert_eq!(
                        Some(path.len() - 1),
                        len,
                        "not a shortest cycle: {:?}",
                        path
                    );
                    prop_assert_eq!((path[0], path[path.len() - 1]), (v, v));
                    for pair in path.windows(2) {
                        prop_assert!(alive(pair[0]) && alive(pair[1]));
                        prop_assert!(edges.iter().any(|e| (e.0, e.1) == (pair[0], pair[1])));
                    }
                }
                Status::Blocked { chain } => {
                    prop_assert!(alive(v) && cycle_len[v].is_none() && !starts[v]);
                    prop_assert_eq!(chain[0], v);
                    prop_assert!(chain.len() >= 2);
                    for pair in chain.windows(2) {
                        let smallest = edges
                            .iter()
                            .filter(|e| e.0 == pair[0] && !e.2 && !starts[e.1])
                            .map(|e| e.1)
                            .min();
                        prop_assert_eq!(Some(pair[1]), smallest);
                    }
                    for &w in &chain[1..chain.len() - 1] {
                        prop_assert!(
                            matches!(plan.status[w], Status::Blocked { .. }),
                            "{} is not blocked",
                            w
                        );
                    }
                    let root = &plan.status[chain[chain.len() - 1]];
                    prop_assert!(
                        matches!(root, Status::Failed(_) | Status::Cycle { .. }),
                        "chain root {:?}",
                        root
                    );
                }
                Status::Start { level: l } => {
                    prop_assert!(starts[v]);
                    let expected = edges
                        .iter()
                        .filter(|e| e.0 == v)
                        .filter_map(|e| level(e.1))
                        .map(|dl| dl + 1)
                        .max()
                        .unwrap_or(0);
                    prop_assert_eq!(*l, expected);
                }
            }
            prop_assert_eq!(
                cycle_len[v].is_some(),
                matches!(plan.status[v], Status::Cycle { .. })
            );
            prop_assert_eq!(starts[v], plan.status[v].is_start());
        }

        // The order is exactly the Kahn order with smallest-index-first, re-simulated.
        let mut sorted = plan.order.clone();
        sorted.sort_unstable();
        let started: Vec<usize> = (0..n).filter(|&v| starts[v]).collect();
        prop_assert_eq!(&sorted, &started);
        let mut placed = vec![false; n];
        for &v in &plan.order {
            let ready = |u: usize| {
                starts[u]
                    && !placed[u]
                    && edges
                        .iter()
                        .all(|e| e.0 != u || !starts[e.1] || placed[e.1])
            };
            prop_assert!(ready(v), "{} placed before its dependencies", v);
            prop_assert_eq!((0..n).find(|&u| ready(u)), Some(v));
            placed[v] = true;
        }

        let max_level = started.iter().filter_map(|&v| level(v)).max();
        prop_assert_eq!(plan.levels.len(), max_level.map_or(0, |m| m + 1));
        for (k, group) in plan.levels.iter().enumerate() {
            let expected: Vec<usize> = started
                .iter()
                .copied()
                .filter(|&v| level(v) == Some(k))
                .collect();
            prop_assert_eq!(group, &expected);
        }
        Ok(())
    }

    fn check_blocked_by(n: usize, edges: &[Edge], failed: usize) -> Result<(), TestCaseError> {
        let g = graph(n, edges);
        let result = blocked_by(&g, failed);
        // Oracle: v is affected iff it reaches `failed` through required edges.
        let required = |e: &Edge| !e.2;
        let reaches: Vec<Option<usize>> = (0..n)
            .map(|v| distances(n, edges, v, required)[failed])
            .collect();
        let affected: Vec<usize> = (0..n)
            .filter(|&v| v != failed && reaches[v].is_some())
            .collect();
        prop_assert_eq!(
            result.iter().map(|r| r.0).collect::<Vec<_>>(),
            affected.clone()
        );

        let failing = |v: usize| v == failed || reaches[v].is_some();
        let literal = |v: usize| {
            edges
                .iter()
                .filter(|e| e.0 == v && !e.2 && failing(e.1))
                .map(|e| e.1)
                .min()
        };
        let shortest = |v: usize| {
            edges
                .iter()
                .filter(|e| e.0 == v && !e.2 && reaches[e.1].map(|d| d + 1) == reaches[v])
                .map(|e| e.1)
                .min()
        };
        let literal_loops = affected.iter().any(|&v| {
            let mut at = v;
            for _ in 0..=n {
                if at == failed {
                    return false;
                }
                at = literal(at).unwrap_or(failed);
            }
            true
        });
        for (v, chain) in &result {
            prop_assert_eq!(chain[0], *v);
            prop_assert_eq!(chain[chain.len() - 1], failed);
            for pair in chain.windows(2) {
                let step = if literal_loops {
                    shortest(pair[0])
                } else {
                    literal(pair[0])
                };
                prop_assert_eq!(Some(pair[1]), step);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn resolve_matches_oracle((n, edges, initial) in arb_case()) {
            check_resolve(n, &edges, &initial)?;
        }

        #[test]
        fn ready_set_pops_the_minimum(
            (n, ops) in (1usize..5_000).prop_flat_map(|n| {
                (Just(n), prop::collection::vec(prop::option::weighted(0.6, 0..n), 0..400))
            })
        ) {
            // `Some(v)` inserts `v` (if absent, as Kahn never inserts twice), `None` pops.
            let mut ready = ReadySet::new(n);
            let mut model = std::collections::BTreeSet::new();
            for op in ops {
                match op {
                    Some(v) => {
                        if model.insert(v) {
                            ready.insert(v);
                        }
                    }
                    None => prop_assert_eq!(ready.pop_min(), model.pop_first()),
                }
            }
            while let Some(v) = model.pop_first() {
                prop_assert_eq!(ready.pop_min(), Some(v));
            }
            prop_assert_eq!(ready.pop_min(), None);
        }

        #[test]
        fn blocked_by_matches_oracle((n, edges, _initial) in arb_case(), pick in any::<prop::sample::Index>()) {
            check_blocked_by(n, &edges, pick.index(n))?;
        }
    }
}
