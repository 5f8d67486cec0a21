//! What a registry records for its metrics as calls happen: per-plugin
//! duration histograms and per-kind dispatch failures. Recording is a few
//! relaxed atomic adds; reading and rendering belong to the report stage
//! (`pegboard::metrics`).

use std::borrow::Cow;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::model::call_result::CallResult;

/// Upper bounds (seconds) of `pegboard_plugin_invocation_duration_seconds`'s
/// buckets (plus `+Inf`): 100 µs to 30 s in 1-2.5-5 steps, ending at the
/// default start/stop timeout.
pub const DURATION_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// [`DURATION_BUCKETS`] in nanoseconds, for recording without floats.
pub(crate) const BUCKET_NANOS: [u64; 17] = [
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
    30_000_000_000,
];

/// Buckets per histogram: [`DURATION_BUCKETS`] and `+Inf`.
pub(crate) const BUCKETS: usize = DURATION_BUCKETS.len() + 1;

pub(crate) const RESULTS: usize = CallResult::ALL.len();

/// One duration histogram: how many observations fell in each bucket (not
/// cumulated: bucket `i` counts durations in `(bound[i-1], bound[i]]`, the
/// last one those over 30 s) and their sum.
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    /// Wraps after 584 years of total duration.
    sum_nanos: AtomicU64,
}

impl Histogram {
    #[inline]
    fn observe(&self, nanos: u64) {
        // The first bucket whose bound is >= nanos: a linear scan from the
        // shortest, so the fast calls whose overhead matters stop at once.
        let bucket = BUCKET_NANOS
            .iter()
            .position(|&b| nanos <= b)
            .unwrap_or(BUCKET_NANOS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            sum_nanos: self.sum_nanos.load(Ordering::Relaxed),
        }
    }
}

/// The duration histograms of one plugin, one per [`CallResult`] (indexed by
/// [`CallResult::index`]). Kept in its [`CallCounters`](crate::model::counters::CallCounters),
/// allocated on its first recorded invocation.
#[derive(Debug, Default)]
pub(crate) struct Durations([Histogram; RESULTS]);

impl Durations {
    /// Records one invocation that ended with `result` after `nanos`.
    /// Lock-free and allocation-free: two relaxed atomic adds.
    #[inline]
    pub(crate) fn observe(&self, result: CallResult, nanos: u64) {
        self.0[result.index()].observe(nanos);
    }

    /// The histograms, by [`CallResult::index`].
    pub(crate) fn histograms(&self) -> &[Histogram; RESULTS] {
        &self.0
    }
}

/// The metric state a registry keeps beside its plugins (the rest is read
/// from them at render time; see [`pegboard::metrics`](crate::report::metrics#cost)).
#[derive(Debug)]
pub(crate) struct MetricsState {
    /// One counter per kind, indexed like the catalog's (sorted) kinds;
    /// created by the first dispatch failure.
    dispatch_failures: OnceLock<Box<[AtomicU64]>>,
    /// The length of the last rendering, to size the next one's buffer.
    pub(crate) last_render_len: AtomicUsize,
    /// What the family names start with: `pegboard_plugin`, or the host's
    /// own (`RegistryBuilder::metric_namespace`).
    pub(crate) namespace: Cow<'static, str>,
}

impl MetricsState {
    /// The namespace of the families unless the host chooses one.
    pub(crate) const DEFAULT_NAMESPACE: &'static str = "pegboard_plugin";

    /// The state of a registry that has recorded nothing yet.
    pub(crate) fn new() -> Self {
        MetricsState {
            dispatch_failures: OnceLock::new(),
            last_render_len: AtomicUsize::new(0),
            namespace: Cow::Borrowed(Self::DEFAULT_NAMESPACE),
        }
    }

    /// Whether `namespace` can start a metric name: `[a-zA-Z_][a-zA-Z0-9_]*`.
    pub(crate) fn is_valid_namespace(namespace: &str) -> bool {
        namespace.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    /// Counts a dispatch failure on `capability`, one of `kinds` (the
    /// catalog's, sorted); any other is ignored.
    pub(crate) fn dispatch_failure(&self, kinds: &[&'static str], capability: &str) {
        if let Ok(i) = kinds.binary_search(&capability) {
            let counters = self
                .dispatch_failures
                .get_or_init(|| kinds.iter().map(|_| AtomicU64::new(0)).collect());
            counters[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The dispatch failures of each of `kinds` (the catalog's).
    pub(crate) fn dispatch_failures<'k>(
        &'k self,
        kinds: &'k [&'static str],
    ) -> impl Iterator<Item = (&'static str, u64)> + 'k {
        let counters = self.dispatch_failures.get();
        kinds.iter().enumerate().map(move |(i, &kind)| {
            let n = counters.map_or(0, |c| c[i].load(Ordering::Relaxed));
            (kind, n)
        })
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HistogramSnapshot {
    pub(crate) buckets: [u64; BUCKETS],
    pub(crate) sum_nanos: u64,
}

pub(crate) const EMPTY_HISTOGRAM: HistogramSnapshot = HistogramSnapshot {
    buckets: [0; BUCKETS],
    sum_nanos: 0,
};
