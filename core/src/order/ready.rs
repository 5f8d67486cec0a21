//! The ready set of Kahn's algorithm, apart because it is a data structure of its own with
//! its own test against a model.

/// The set of ready nodes, as a min-priority queue over `0..n`: a 64-ary tree of bitsets
/// where a bit is set when its word below is non-zero. Insert and pop-min take one step per
/// tree level (3 for 10,000 nodes) instead of the `log2 n` unpredictable comparisons of a
/// binary heap's sift, which dominated Kahn's algorithm. Pops come out exactly as from a
/// `BinaryHeap<Reverse<_>>`.
pub(super) struct ReadySet {
    /// `tiers[0]` has one bit per node, each next tier one bit per word of the previous one;
    /// the last tier is a single word.
    tiers: Vec<Vec<u64>>,
}

impl ReadySet {
    pub(super) fn new(n: usize) -> Self {
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

    pub(super) fn insert(&mut self, v: usize) {
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

    pub(super) fn pop_min(&mut self) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

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
    }
}
