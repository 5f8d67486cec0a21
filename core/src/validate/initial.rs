//! The failures decided before ordering, one per plugin at most.

use crate::model::state::Failure;

/// The failures decided before ordering (invalid descriptor, disabled,
/// config, dependency), at most one per plugin, kept apart from the plugins
/// that have none: nearly all of them.
#[derive(Debug)]
pub(crate) struct Initial {
    n: usize,
    /// Per plugin, the index of its failure in `failures`; empty until the
    /// first failure.
    index: Vec<Option<u32>>,
    pub(crate) failures: Vec<Failure>,
}

impl Initial {
    /// No failure yet among `n` plugins.
    pub(crate) fn new(n: usize) -> Self {
        Initial {
            n,
            index: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Per plugin, the index of its failure in `failures`, as
    /// [`order::resolve`](crate::order::resolve) reads it (where entries
    /// missing count as no failure: none at all when nothing failed).
    pub(crate) fn index(&self) -> &[Option<u32>] {
        &self.index
    }

    /// Records `failure` for plugin `i` unless it already has one.
    pub(crate) fn first(&mut self, i: usize, failure: Failure) {
        if self.index.get(i).is_none_or(Option::is_none) {
            self.set(i, failure);
        }
    }

    /// Records `failure` for plugin `i`, replacing any it had.
    pub(crate) fn set(&mut self, i: usize, failure: Failure) {
        assert!(i < self.n, "plugin {i} of {}", self.n);
        if self.index.is_empty() {
            self.index = vec![None; self.n];
        }
        match self.index[i] {
            Some(k) => self.failures[k as usize] = failure,
            None => {
                // Fits: a catalog holds at most `u32::MAX` plugins.
                self.index[i] = Some(self.failures.len() as u32);
                self.failures.push(failure);
            }
        }
    }
}
