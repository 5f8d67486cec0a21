//! Prometheus metrics for plugin dispatch and supervision (SPEC T1), served
//! at `/metrics`. The families' names start with `pegboard_plugin_`, or with
//! the namespace a host chooses
//! ([`RegistryBuilder::metric_namespace`](crate::supervise::build::RegistryBuilder::metric_namespace):
//! `sift_plugin_invocations_total`).
//!
//! # Series
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `pegboard_plugin_invocations_total` | counter | `plugin_id`, `capability`, `result` | invocations, by [`CallResult`] |
//! | `pegboard_plugin_invocation_duration_seconds` | histogram | `plugin_id`, `capability`, `result` | how long invocations took ([`DURATION_BUCKETS`]); exposed as `_bucket{le}`, `_sum`, `_count` |
//! | `pegboard_plugin_timeouts_total` | counter | `plugin_id`, `capability` | invocations that timed out (also counted with `result="timeout"` above) |
//! | `pegboard_plugin_dispatch_failures_total` | counter | `capability` | dispatches on a capability that reached no plugin successfully |
//! | `pegboard_plugin_state` | gauge | `plugin_id`, `state` | 1 for the plugin's current [`PluginState`], 0 for every other state |
//! | `pegboard_plugin_restarts_total` | counter | `plugin_id` | restarts by the supervisor |
//!
//! `plugin` is the plugin's id (`kind.name`), `capability` its kind's name,
//! `result` one of [`CallResult::ALL`] and `state` one of the
//! [`PluginState`] names. [`Metrics`] is a view of one [`Registry`]: every
//! series is rendered at scrape time from the registry's plugins, so label
//! values only ever come from that set (bounded cardinality: per plugin 6
//! invocation counters, 6 histograms, 1 timeout counter, 10 state gauges and
//! 1 restart counter, plus one dispatch-failure counter per capability), and
//! a scraper sees every plugin from the first scrape, with zeros. Nothing a
//! caller passes at run time creates a series.
//!
//! # Format
//!
//! [`Metrics::render`] writes the OpenMetrics 1.0 text format (what
//! `prometheus-client` encodes): counter families are described by their
//! name without `_total` in `# HELP`/`# TYPE` and exposed with it, the
//! duration family carries a `# UNIT` line, and the text ends with `# EOF`.
//! Prometheus scrapes it natively; serve it with [`CONTENT_TYPE`] (served as
//! the classic `text/plain; version=0.0.4` instead, Prometheus would not match
//! the counters' `_total` samples to their `# TYPE` lines).
//!
//! # Cost
//!
//! The metrics keep no state of their own but the duration histograms and
//! the dispatch-failure counters; everything else is read at render time
//! from what the registry keeps anyway:
//!
//! - invocations and timeouts: each plugin's [`CallCounters`] (one atomic
//!   count per [`CallResult`]),
//! - the state: the plugin's state, mirrored in an atomic for dispatch,
//! - restarts: the plugin's status,
//! - labels: the plugins' descriptors (`&'static` kind and name), written
//!   into the text as it is encoded, never copied.
//!
//! So building a registry allocates nothing per plugin for metrics: only the
//! dispatch-failure table, one atomic counter per kind (kinds are few),
//! sorted by kind name for a binary search without hashing.
//!
//! Each plugin's [`CallCounters`] also hold its duration histograms (for
//! each result, one atomic count per bucket and an atomic sum of
//! nanoseconds), allocated on the plugin's first recorded invocation (about
//! 1 KiB), so plugins that are never called cost nothing. The metrics' part
//! of recording an invocation ([`CallCounters::record`], called by dispatch)
//! is three relaxed atomic adds and a scan of the bucket bounds from the
//! shortest: it never locks, formats or hashes, nor allocates after that
//! first call. State changes and restarts record nothing beyond the
//! registry's own bookkeeping; a dispatch failure is one atomic add after a
//! binary search.
//!
//! Rendering copies the numbers into a snapshot (a few words per plugin plus
//! the histograms of the plugins called so far), reads each plugin's restart
//! count under its status lock, and encodes the snapshot with
//! `prometheus-client`. Bucket counts are kept per bucket and cumulated at
//! render, so `_count` always equals the `+Inf` bucket.
//!
//! [`CallCounters`]: crate::model::counters::CallCounters
//! [`CallCounters::record`]: crate::model::counters::CallCounters::record
//! [`PluginState`]: crate::model::state::PluginState

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::registry::Unit;

use crate::model::call_result::CallResult;
pub use crate::model::recorded::DURATION_BUCKETS;
use crate::model::recorded::{Histogram, MetricsState};
use crate::supervise::registry::Registry;
use families::{Family, PluginSnapshot, Series, Snapshot};

/// The HTTP `Content-Type` of [`Metrics::render`]'s output: OpenMetrics text
/// 1.0.0, which Prometheus scrapes natively.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The plugin metrics of one registry, rendered on demand (see the
/// [module docs](self) for the series); from [`Registry::metrics`].
#[derive(Clone, Copy)]
pub struct Metrics<'r> {
    registry: &'r Registry,
    state: &'r MetricsState,
}

impl fmt::Debug for Metrics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("plugins", &self.registry.catalog().len())
            .field("state", self.state)
            .finish()
    }
}

impl Registry {
    /// The Prometheus metrics of this composition (SPEC T1): a view that
    /// renders them from the plugins' counters and states.
    pub fn metrics(&self) -> Metrics<'_> {
        Metrics::new(self, self.metrics_state())
    }
}

impl<'r> Metrics<'r> {
    pub(crate) fn new(registry: &'r Registry, state: &'r MetricsState) -> Self {
        Metrics { registry, state }
    }

    /// Every series in the OpenMetrics text format, ending with `# EOF`
    /// (what `/metrics` serves, with [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let hint = self.state.last_render_len.load(Ordering::Relaxed);
        let mut out = String::with_capacity(hint + 1024);
        self.encode(&mut out)
            .expect("encoding counters, gauges and classic histograms into a String cannot fail");
        self.state
            .last_render_len
            .store(out.len(), Ordering::Relaxed);
        out
    }

    /// Writes what [`render`](Self::render) returns into `writer`.
    pub fn encode(&self, writer: &mut impl fmt::Write) -> fmt::Result {
        let snapshot = Arc::new(self.snapshot());
        let family = |series| Family {
            snapshot: Arc::clone(&snapshot),
            series,
        };
        let ns = &self.state.namespace;
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register(
            format!("{ns}_invocations"),
            "Plugin invocations, by plugin, capability and result",
            family(Series::Invocations),
        );
        registry.register_with_unit(
            format!("{ns}_invocation_duration"),
            "Duration of plugin invocations, by plugin, capability and result",
            Unit::Seconds,
            family(Series::Durations),
        );
        registry.register(
            format!("{ns}_timeouts"),
            "Plugin invocations that timed out",
            family(Series::Timeouts),
        );
        registry.register(
            format!("{ns}_dispatch_failures"),
            "Dispatches on a capability that reached no plugin successfully",
            family(Series::DispatchFailures),
        );
        registry.register(
            format!("{ns}_state"),
            "Lifecycle state of each plugin: 1 for the current state, 0 for the others",
            family(Series::States),
        );
        registry.register(
            format!("{ns}_restarts"),
            "Plugin restarts by the supervisor",
            family(Series::Restarts),
        );
        prometheus_client::encoding::text::encode(writer, &registry)
    }

    /// Every number the series show, read now.
    fn snapshot(&self) -> Snapshot {
        let registry = self.registry;
        let descriptors = registry.catalog().descriptors();
        let mut plugins = Vec::with_capacity(descriptors.len());
        let mut histograms = Vec::new();
        for (i, &descriptor) in descriptors.iter().enumerate() {
            let counters = registry.slot_counters(i);
            let durations = counters.durations().map(|d| {
                let first = histograms.len();
                histograms.extend(d.histograms().iter().map(Histogram::snapshot));
                first
            });
            plugins.push(PluginSnapshot {
                descriptor,
                invocations: CallResult::ALL.map(|r| counters.count(r)),
                durations,
                state: registry.slot_state(i),
                restarts: registry.slot_restarts(i),
            });
        }
        let dispatch_failures = self
            .state
            .dispatch_failures(self.registry.catalog().kinds())
            .collect();
        Snapshot {
            plugins,
            histograms,
            dispatch_failures,
        }
    }
}

mod families;

#[cfg(test)]
mod tests;
