//! What ordering decides for each node: the public [`Status`] and [`Plan`], and [`Kind`],
//! the status without its explanation that the algorithms work on, so that paths and
//! chains are only built for the nodes that end up needing them.

/// What [`resolve`](super::resolve) decided for one node.
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

/// The outcome of [`resolve`](super::resolve).
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

/// Classification of a node while resolving; `Unknown` only until the node is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Unknown,
    Failed,
    Cycle,
    Blocked,
    Start,
}
