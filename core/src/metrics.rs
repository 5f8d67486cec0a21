//! Prometheus metrics for plugin dispatch and supervision (SPEC T1), served
//! at `/metrics`.
//!
//! # Series
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `pegboard_plugin_invocations_total` | counter | `plugin`, `capability`, `result` | invocations, by [`CallResult`] |
//! | `pegboard_plugin_invocation_duration_seconds` | histogram | `plugin`, `capability`, `result` | how long invocations took ([`DURATION_BUCKETS`]); exposed as `_bucket{le}`, `_sum`, `_count` |
//! | `pegboard_plugin_timeouts_total` | counter | `plugin`, `capability` | invocations that timed out (also counted with `result="timeout"` above) |
//! | `pegboard_plugin_dispatch_failures_total` | counter | `capability` | dispatches on a capability that reached no plugin successfully |
//! | `pegboard_plugin_state` | gauge | `plugin`, `state` | 1 for the plugin's current [`PluginState`], 0 for every other state |
//! | `pegboard_plugin_restarts_total` | counter | `plugin` | restarts by the supervisor |
//!
//! `plugin` is the plugin's id (`kind.name`), `capability` its kind's name,
//! `result` one of [`CallResult::ALL`] and `state` one of the
//! [`PluginState`] names. Every series is created by [`Metrics::new`] from
//! the registered plugins, so label values only ever come from that set
//! (bounded cardinality: per plugin 6 invocation counters, 6 histograms,
//! 1 timeout counter, 10 state gauges and 1 restart counter, plus one
//! dispatch-failure counter per capability), and a scraper sees every plugin
//! from the first scrape, with zeros. Nothing a caller passes at run time
//! creates a series.
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
//! Recording never allocates, formats or hashes: every series handle is
//! cloned into vectors at construction and [`Metrics::invocation`] indexes
//! them by plugin index and [`CallResult::index`] (one atomic add for the
//! counter, one uncontended-per-series mutex for the histogram observation).

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Registry, Unit};

use crate::{CallResult, PluginState};

/// The HTTP `Content-Type` of [`Metrics::render`]'s output: OpenMetrics text
/// 1.0.0, which Prometheus scrapes natively.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds (seconds) of `pegboard_plugin_invocation_duration_seconds`'s
/// buckets (plus `+Inf`): 100 µs to 30 s in 1-2.5-5 steps, ending at the
/// default start/stop timeout.
pub const DURATION_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// Every [`PluginState`], in the order their `state` series are exposed.
const STATES: [PluginState; 10] = PluginState::ALL;

/// `state`'s position in [`STATES`].
fn state_index(state: PluginState) -> usize {
    usize::from(state.index())
}

const RESULTS: usize = CallResult::ALL.len();

/// The series of one plugin, indexed by [`CallResult::index`] and
/// [`state_index`]; handles shared with the registry's families.
#[derive(Debug)]
struct PluginSeries {
    invocations: [Counter; RESULTS],
    durations: [Histogram; RESULTS],
    timeouts: Counter,
    restarts: Counter,
    states: [Gauge; STATES.len()],
    /// The state whose gauge is 1; the lock orders concurrent changes.
    current: Mutex<PluginState>,
}

/// The plugin metrics of one registry (see the [module docs](self) for the
/// series). `Send + Sync`; share it behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    plugins: Vec<PluginSeries>,
    /// Sorted by capability, for a binary search without hashing.
    dispatch_failures: Vec<(Arc<str>, Counter)>,
    /// The length of the last rendering, to size the next one's buffer.
    last_render_len: AtomicUsize,
}

impl Metrics {
    /// Creates every series.
    ///
    /// `plugins`: (plugin id, capability) for every registered plugin, in
    /// registry index order (the index later passed to
    /// [`invocation`](Self::invocation), [`state`](Self::state) and
    /// [`restart`](Self::restart)). The capability is the plugin's kind name.
    /// Ids are expected to be unique (the catalog de-duplicates them). Label
    /// values only ever come from this set.
    pub fn new<'a>(plugins: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut invocations = Vec::new();
        let mut durations = Vec::new();
        let mut timeouts = Vec::new();
        let mut states = Vec::new();
        let mut restarts = Vec::new();
        let mut capabilities: Vec<Arc<str>> = Vec::new();
        let mut series = Vec::new();

        for (id, capability) in plugins {
            let plugin: Arc<str> = Arc::from(id);
            let capability = match capabilities.iter().find(|c| ***c == *capability) {
                Some(c) => Arc::clone(c),
                None => {
                    let c: Arc<str> = Arc::from(capability);
                    capabilities.push(Arc::clone(&c));
                    c
                }
            };
            let s = PluginSeries {
                invocations: std::array::from_fn(|_| Counter::default()),
                durations: std::array::from_fn(|_| Histogram::new(DURATION_BUCKETS)),
                timeouts: Counter::default(),
                restarts: Counter::default(),
                states: std::array::from_fn(|_| Gauge::default()),
                current: Mutex::new(PluginState::Registered),
            };
            s.states[state_index(PluginState::Registered)].set(1);

            for result in CallResult::ALL {
                let labels = InvocationLabels {
                    plugin: Arc::clone(&plugin),
                    capability: Arc::clone(&capability),
                    result: result.as_str(),
                };
                invocations.push((labels.clone(), s.invocations[result.index()].clone()));
                durations.push((labels, s.durations[result.index()].clone()));
            }
            timeouts.push((
                PluginCapabilityLabels {
                    plugin: Arc::clone(&plugin),
                    capability,
                },
                s.timeouts.clone(),
            ));
            for state in STATES {
                states.push((
                    StateLabels {
                        plugin: Arc::clone(&plugin),
                        state: state.as_str(),
                    },
                    s.states[state_index(state)].clone(),
                ));
            }
            restarts.push((PluginLabels { plugin }, s.restarts.clone()));
            series.push(s);
        }

        let dispatch_failures: Vec<(CapabilityLabels, Counter)> = capabilities
            .iter()
            .map(|c| {
                let labels = CapabilityLabels {
                    capability: Arc::clone(c),
                };
                (labels, Counter::default())
            })
            .collect();
        let mut by_capability: Vec<(Arc<str>, Counter)> = dispatch_failures
            .iter()
            .map(|(labels, counter)| (Arc::clone(&labels.capability), counter.clone()))
            .collect();
        by_capability.sort_by(|a, b| a.0.cmp(&b.0));

        let mut registry = Registry::default();
        registry.register(
            "pegboard_plugin_invocations",
            "Plugin invocations, by plugin, capability and result",
            Fixed(invocations),
        );
        registry.register_with_unit(
            "pegboard_plugin_invocation_duration",
            "Duration of plugin invocations, by plugin, capability and result",
            Unit::Seconds,
            Fixed(durations),
        );
        registry.register(
            "pegboard_plugin_timeouts",
            "Plugin invocations that timed out",
            Fixed(timeouts),
        );
        registry.register(
            "pegboard_plugin_dispatch_failures",
            "Dispatches on a capability that reached no plugin successfully",
            Fixed(dispatch_failures),
        );
        registry.register(
            "pegboard_plugin_state",
            "Lifecycle state of each plugin: 1 for the current state, 0 for the others",
            Fixed(states),
        );
        registry.register(
            "pegboard_plugin_restarts",
            "Plugin restarts by the supervisor",
            Fixed(restarts),
        );

        Metrics {
            registry,
            plugins: series,
            dispatch_failures: by_capability,
            last_render_len: AtomicUsize::new(0),
        }
    }

    /// Records one invocation of plugin `index`: its invocation counter and
    /// duration histogram for `result`, and its timeout counter when
    /// `result` is [`CallResult::Timeout`]. An index outside the registered
    /// set is ignored.
    ///
    /// Never allocates, formats or hashes.
    #[inline]
    pub fn invocation(&self, index: usize, result: CallResult, duration: Duration) {
        let Some(plugin) = self.plugins.get(index) else {
            return;
        };
        let i = result.index();
        plugin.invocations[i].inc();
        plugin.durations[i].observe(duration.as_secs_f64());
        if result == CallResult::Timeout {
            plugin.timeouts.inc();
        }
    }

    /// Records a dispatch on `capability` that reached no plugin
    /// successfully: a call to a plugin that is not running or not found, or
    /// a fan-out in which no plugin succeeded. A capability no registered
    /// plugin has is ignored (caller data never creates a series).
    pub fn dispatch_failure(&self, capability: &str) {
        if let Ok(i) = self
            .dispatch_failures
            .binary_search_by(|(c, _)| (**c).cmp(capability))
        {
            self.dispatch_failures[i].1.inc();
        }
    }

    /// Records that plugin `index` is now in `state`: its gauge for `state`
    /// becomes 1 and the one for its previous state 0. An index outside the
    /// registered set is ignored.
    pub fn state(&self, index: usize, state: PluginState) {
        let Some(plugin) = self.plugins.get(index) else {
            return;
        };
        let mut current = plugin
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        plugin.states[state_index(*current)].set(0);
        plugin.states[state_index(state)].set(1);
        *current = state;
    }

    /// Records a restart of plugin `index`. An index outside the registered
    /// set is ignored.
    pub fn restart(&self, index: usize) {
        if let Some(plugin) = self.plugins.get(index) {
            plugin.restarts.inc();
        }
    }

    /// Every series in the OpenMetrics text format, ending with `# EOF`
    /// (what `/metrics` serves, with [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.last_render_len.load(Ordering::Relaxed) + 1024);
        self.encode(&mut out)
            .expect("encoding counters, gauges and classic histograms into a String cannot fail");
        self.last_render_len.store(out.len(), Ordering::Relaxed);
        out
    }

    /// Writes what [`render`](Self::render) returns into `writer`.
    pub fn encode(&self, writer: &mut impl fmt::Write) -> fmt::Result {
        prometheus_client::encoding::text::encode(writer, &self.registry)
    }
}

/// A metric family whose series are fixed at construction and exposed in
/// that order (unlike `prometheus_client`'s `Family`, which is a hash map
/// behind a lock, grows on lookup and encodes in hash order).
#[derive(Debug)]
struct Fixed<L, M>(Vec<(L, M)>);

impl<L, M> EncodeMetric for Fixed<L, M>
where
    L: EncodeLabelSet,
    M: EncodeMetric + TypedMetric,
{
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        for (labels, metric) in &self.0 {
            metric.encode(encoder.encode_family(labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, EncodeLabelSet)]
struct InvocationLabels {
    plugin: Arc<str>,
    capability: Arc<str>,
    result: &'static str,
}

#[derive(Debug, EncodeLabelSet)]
struct PluginCapabilityLabels {
    plugin: Arc<str>,
    capability: Arc<str>,
}

#[derive(Debug, EncodeLabelSet)]
struct CapabilityLabels {
    capability: Arc<str>,
}

#[derive(Debug, EncodeLabelSet)]
struct StateLabels {
    plugin: Arc<str>,
    state: &'static str,
}

#[derive(Debug, EncodeLabelSet)]
struct PluginLabels {
    plugin: Arc<str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// `series → value` for every sample line of `text` (comments skipped).
    fn samples(text: &str) -> BTreeMap<&str, &str> {
        let mut map = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            assert!(
                map.insert(series, value).is_none(),
                "duplicate series {series}"
            );
        }
        map
    }

    fn value(text: &str, series: &str) -> f64 {
        samples(text)
            .get(series)
            .unwrap_or_else(|| panic!("no series {series} in\n{text}"))
            .parse()
            .unwrap()
    }

    fn classifiers() -> Metrics {
        Metrics::new([
            ("classifier.a", "classifier"),
            ("classifier.b", "classifier"),
            ("classifier.c", "classifier"),
            ("classifier.d", "classifier"),
        ])
    }

    #[test]
    fn metrics_expose_every_series_with_its_labels_and_values() {
        let m = classifiers();
        m.invocation(0, CallResult::Ok, Duration::from_millis(3));
        m.invocation(1, CallResult::Error, Duration::from_millis(20));
        m.invocation(2, CallResult::Timeout, Duration::from_secs(2));
        m.invocation(3, CallResult::Panic, Duration::from_micros(50));
        m.state(3, PluginState::Failed);
        m.restart(3);
        m.dispatch_failure("classifier");
        let text = m.render();

        let inv = |p: &str, r: &str| {
            format!(
                "pegboard_plugin_invocations_total{{plugin=\"classifier.{p}\",capability=\"classifier\",result=\"{r}\"}}"
            )
        };
        assert_eq!(value(&text, &inv("a", "ok")), 1.0);
        assert_eq!(value(&text, &inv("b", "error")), 1.0);
        assert_eq!(value(&text, &inv("c", "timeout")), 1.0);
        assert_eq!(value(&text, &inv("d", "panic")), 1.0);
        assert_eq!(value(&text, &inv("a", "error")), 0.0);
        assert_eq!(value(&text, &inv("d", "skipped")), 0.0);
        assert!(text.contains(
            "pegboard_plugin_invocations_total{plugin=\"classifier.a\",capability=\"classifier\",result=\"ok\"} 1\n"
        ));

        // The histogram: _count, _sum and cumulative _bucket lines.
        let h = "pegboard_plugin_invocation_duration_seconds";
        let a_ok = "plugin=\"classifier.a\",capability=\"classifier\",result=\"ok\"";
        assert_eq!(value(&text, &format!("{h}_count{{{a_ok}}}")), 1.0);
        assert_eq!(value(&text, &format!("{h}_sum{{{a_ok}}}")), 0.003);
        assert_eq!(
            value(&text, &format!("{h}_bucket{{le=\"0.0025\",{a_ok}}}")),
            0.0
        );
        assert_eq!(
            value(&text, &format!("{h}_bucket{{le=\"0.005\",{a_ok}}}")),
            1.0
        );
        assert_eq!(
            value(&text, &format!("{h}_bucket{{le=\"30.0\",{a_ok}}}")),
            1.0
        );
        assert_eq!(
            value(&text, &format!("{h}_bucket{{le=\"+Inf\",{a_ok}}}")),
            1.0
        );
        let buckets = text
            .lines()
            .filter(|l| {
                l.starts_with(&format!("{h}_bucket{{le=")) && l.contains(&format!(",{a_ok}}}"))
            })
            .count();
        assert_eq!(buckets, DURATION_BUCKETS.len() + 1);
        let c_timeout = "plugin=\"classifier.c\",capability=\"classifier\",result=\"timeout\"";
        assert_eq!(value(&text, &format!("{h}_sum{{{c_timeout}}}")), 2.0);
        assert_eq!(
            value(&text, &format!("{h}_bucket{{le=\"1.0\",{c_timeout}}}")),
            0.0
        );
        assert_eq!(
            value(&text, &format!("{h}_bucket{{le=\"2.5\",{c_timeout}}}")),
            1.0
        );

        let timeouts = |p: &str| {
            format!(
                "pegboard_plugin_timeouts_total{{plugin=\"classifier.{p}\",capability=\"classifier\"}}"
            )
        };
        assert_eq!(value(&text, &timeouts("c")), 1.0);
        assert_eq!(value(&text, &timeouts("a")), 0.0);

        let state = |p: &str, s: &str| {
            format!("pegboard_plugin_state{{plugin=\"classifier.{p}\",state=\"{s}\"}}")
        };
        assert_eq!(value(&text, &state("d", "failed")), 1.0);
        assert_eq!(value(&text, &state("d", "registered")), 0.0);
        assert_eq!(value(&text, &state("a", "registered")), 1.0);
        assert_eq!(value(&text, &state("a", "failed")), 0.0);
        for p in ["a", "b", "c", "d"] {
            let ones: f64 = STATES
                .iter()
                .map(|s| value(&text, &state(p, s.as_str())))
                .sum();
            assert_eq!(ones, 1.0, "exactly one current state for {p}");
        }

        assert_eq!(
            value(
                &text,
                "pegboard_plugin_restarts_total{plugin=\"classifier.d\"}"
            ),
            1.0
        );
        assert_eq!(
            value(
                &text,
                "pegboard_plugin_restarts_total{plugin=\"classifier.a\"}"
            ),
            0.0
        );
        assert_eq!(
            value(
                &text,
                "pegboard_plugin_dispatch_failures_total{capability=\"classifier\"}"
            ),
            1.0
        );

        // Exactly these families, with these types.
        let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
        assert_eq!(
            types,
            [
                "# TYPE pegboard_plugin_invocations counter",
                "# TYPE pegboard_plugin_invocation_duration_seconds histogram",
                "# TYPE pegboard_plugin_timeouts counter",
                "# TYPE pegboard_plugin_dispatch_failures counter",
                "# TYPE pegboard_plugin_state gauge",
                "# TYPE pegboard_plugin_restarts counter",
            ]
        );
        let names: std::collections::BTreeSet<&str> = samples(&text)
            .keys()
            .map(|s| s.split('{').next().unwrap())
            .collect();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            [
                "pegboard_plugin_dispatch_failures_total",
                "pegboard_plugin_invocation_duration_seconds_bucket",
                "pegboard_plugin_invocation_duration_seconds_count",
                "pegboard_plugin_invocation_duration_seconds_sum",
                "pegboard_plugin_invocations_total",
                "pegboard_plugin_restarts_total",
                "pegboard_plugin_state",
                "pegboard_plugin_timeouts_total",
            ]
        );
        // Bounded: per plugin 6 counters, 6 × (17 + 1 + 2) histogram lines,
        // 1 timeout, 10 states, 1 restart; plus 1 capability.
        assert_eq!(samples(&text).len(), 4 * (6 + 6 * 20 + 1 + 10 + 1) + 1);
    }

    #[test]
    fn metrics_ignore_unknown_capabilities_and_indices() {
        let m = classifiers();
        let before = m.render();
        m.dispatch_failure("translator");
        m.dispatch_failure("");
        m.dispatch_failure("classifier\"} 1\nevil{x=\"");
        m.invocation(4, CallResult::Ok, Duration::from_millis(1));
        m.state(99, PluginState::Running);
        m.restart(usize::MAX);
        let after = m.render();
        assert_eq!(before, after);
        assert!(!after.contains("translator"));
        assert!(!after.contains("evil"));
    }

    #[test]
    fn metrics_render_openmetrics_text_ending_with_eof() {
        let m = Metrics::new([("store.memory", "store"), ("search.naive", "search")]);
        let text = m.render();
        assert!(text.ends_with("\n# EOF\n"), "{text}");
        assert_eq!(text.matches("# EOF").count(), 1);
        assert!(CONTENT_TYPE.starts_with("application/openmetrics-text; version=1.0.0"));
        assert!(text.contains("# UNIT pegboard_plugin_invocation_duration_seconds seconds\n"));
        // Every line is a comment or `name{labels} value` with a numeric value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(series.starts_with("pegboard_plugin_"), "{line}");
            assert!(series.ends_with('}'), "{line}");
            value.parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
        }
        // Two capabilities, each with its own dispatch-failure series.
        assert_eq!(
            value(
                &text,
                "pegboard_plugin_dispatch_failures_total{capability=\"store\"}"
            ),
            0.0
        );
        m.dispatch_failure("search");
        m.dispatch_failure("search");
        let text = m.render();
        assert_eq!(
            value(
                &text,
                "pegboard_plugin_dispatch_failures_total{capability=\"search\"}"
            ),
            2.0
        );
        assert_eq!(
            value(
                &text,
                "pegboard_plugin_dispatch_failures_total{capability=\"store\"}"
            ),
            0.0
        );
    }

    #[test]
    fn metrics_state_gauge_follows_every_transition() {
        let m = Metrics::new([("store.memory", "store")]);
        let state = |s: PluginState| {
            format!("pegboard_plugin_state{{plugin=\"store.memory\",state=\"{s}\"}}")
        };
        assert_eq!(value(&m.render(), &state(PluginState::Registered)), 1.0);
        for s in STATES
            .into_iter()
            .chain([PluginState::Running, PluginState::Running])
        {
            m.state(0, s);
            let text = m.render();
            for other in STATES {
                let expected = if other == s { 1.0 } else { 0.0 };
                assert_eq!(value(&text, &state(other)), expected, "after {s}, {other}");
            }
        }
    }

    #[test]
    fn metrics_states_cover_every_variant_in_order() {
        for (i, s) in STATES.into_iter().enumerate() {
            assert_eq!(state_index(s), i);
        }
    }

    #[test]
    fn metrics_record_concurrently() {
        let m = Arc::new(classifiers());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        m.invocation(t % 4, CallResult::Timeout, Duration::from_micros(10));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = m.render();
        for p in ["a", "b", "c", "d"] {
            let labels = format!("plugin=\"classifier.{p}\",capability=\"classifier\"");
            assert_eq!(
                value(
                    &text,
                    &format!("pegboard_plugin_invocations_total{{{labels},result=\"timeout\"}}")
                ),
                2_000.0
            );
            assert_eq!(
                value(
                    &text,
                    &format!("pegboard_plugin_timeouts_total{{{labels}}}")
                ),
                2_000.0
            );
            assert_eq!(
                value(
                    &text,
                    &format!(
                        "pegboard_plugin_invocation_duration_seconds_count{{{labels},result=\"timeout\"}}"
                    )
                ),
                2_000.0
            );
        }
    }

    #[test]
    fn metrics_with_no_plugins_render_only_eof() {
        assert_eq!(Metrics::new([]).render(), "# EOF\n");
    }

    #[test]
    fn metrics_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Metrics>();
    }
}
