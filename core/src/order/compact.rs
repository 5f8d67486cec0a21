//! The compact form of a plan that a registry keeps, and the conversions between it and
//! [`Plan`], including the direct plan of a graph without edges, which needs no graph
//! algorithm at all.

use super::plan::{Plan, Status};

/// What [`resolve`](super::resolve) decides, as a registry keeps it: per node only its
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

impl<F> Compact<F> {
    /// The plan of `n` nodes without edges.
    pub(super) fn edgeless(n: usize, initial: &[Option<F>]) -> Self
    where
        F: Clone,
    {
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
        Compact {
            order,
            level,
            not_started,
        }
    }

    /// Keeps of `plan` only what a registry needs.
    pub(super) fn from_plan(plan: Plan<F>) -> Self {
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

    /// The full [`Plan`] of an [`edgeless`](Compact::edgeless) compact plan, where
    /// everything that starts is at level 0.
    pub(super) fn into_edgeless_plan(self) -> Plan<F> {
        let mut not_started = self.not_started.into_iter().peekable();
        let status = (0..self.level.len())
            .map(|v| match not_started.next_if(|(u, _)| *u == v) {
                Some((_, status)) => status,
                None => Status::Start { level: 0 },
            })
            .collect();
        let levels = if self.order.is_empty() {
            Vec::new()
        } else {
            vec![self.order.clone()]
        };
        Plan {
            status,
            order: self.order,
            levels,
        }
    }
}
