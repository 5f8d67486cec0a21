use super::*;
use crate::model::recorded::{BUCKET_NANOS, Durations};
use crate::model::state::PluginState;
use families::STATES;
use std::collections::BTreeMap;
use std::time::Duration;

#[pegboard::kind(name = "classifier")]
pub trait Classifier {
    fn classify(&self, text: &str) -> Result<Vec<String>, String>;
}

macro_rules! classifiers {
    ($($ty:ident $name:literal),*) => {$(
        #[derive(Default)]
        #[pegboard::plugin(name = $name, version = "0.1.0", api = "0.1", kind = Classifier)]
        struct $ty;
        impl Classifier for $ty {
            fn classify(&self, text: &str) -> Result<Vec<String>, String> {
                Ok(vec![text.to_owned()])
            }
        }
    )*};
}
classifiers!(A "a", B "b", C "c", D "d");

#[pegboard::kind(name = "store")]
pub trait Store {}

#[derive(Default)]
#[pegboard::plugin(name = "memory", version = "0.1.0", api = "0.1", kind = Store)]
struct Memory;
impl Store for Memory {}

#[pegboard::kind(name = "search")]
pub trait Search {}

#[derive(Default)]
#[pegboard::plugin(name = "naive", version = "0.1.0", api = "0.1", kind = Search)]
struct Naive;
impl Search for Naive {}

/// A registry of the compiled-in plugins of `kinds` (this test binary's
/// own, above).
fn registry(kinds: &[&str]) -> Registry {
    Registry::builder()
        .descriptors(crate::discover::compiled_in().filter(|d| kinds.contains(&d.kind())))
        .build()
        .unwrap()
}

fn classifiers() -> Registry {
    let r = registry(&["classifier"]);
    let ids: Vec<&str> = r.catalog().ids().collect();
    assert_eq!(
        ids,
        [
            "classifier.a",
            "classifier.b",
            "classifier.c",
            "classifier.d"
        ]
    );
    r
}

/// Records an invocation of plugin `id` the way dispatch does.
fn invoke(r: &Registry, id: &str, result: CallResult, duration: Duration) {
    let i = r.catalog().find_id(id).unwrap();
    r.recording_counters(i).record(result, duration, None);
}

fn set_state(r: &Registry, id: &str, state: PluginState) {
    r.set_state(r.catalog().find_id(id).unwrap(), state, None);
}

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

#[test]
fn metrics_expose_every_series_with_its_labels_and_values() {
    let r = classifiers();
    invoke(&r, "classifier.a", CallResult::Ok, Duration::from_millis(3));
    invoke(
        &r,
        "classifier.b",
        CallResult::Error,
        Duration::from_millis(20),
    );
    invoke(
        &r,
        "classifier.c",
        CallResult::Timeout,
        Duration::from_secs(2),
    );
    invoke(
        &r,
        "classifier.d",
        CallResult::Panic,
        Duration::from_micros(50),
    );
    set_state(&r, "classifier.d", PluginState::Failed);
    r.count_restart(r.catalog().find_id("classifier.d").unwrap());
    r.record_dispatch_failure("classifier");
    let text = r.metrics().render();

    let inv = |p: &str, r: &str| {
        format!(
            "pegboard_plugin_invocations_total{{plugin_id=\"classifier.{p}\",capability=\"classifier\",result=\"{r}\"}}"
        )
    };
    assert_eq!(value(&text, &inv("a", "ok")), 1.0);
    assert_eq!(value(&text, &inv("b", "error")), 1.0);
    assert_eq!(value(&text, &inv("c", "timeout")), 1.0);
    assert_eq!(value(&text, &inv("d", "panic")), 1.0);
    assert_eq!(value(&text, &inv("a", "error")), 0.0);
    assert_eq!(value(&text, &inv("d", "skipped")), 0.0);
    assert!(text.contains(
        "pegboard_plugin_invocations_total{plugin_id=\"classifier.a\",capability=\"classifier\",result=\"ok\"} 1\n"
    ));

    // The histogram: _count, _sum and cumulative _bucket lines.
    let h = "pegboard_plugin_invocation_duration_seconds";
    let a_ok = "plugin_id=\"classifier.a\",capability=\"classifier\",result=\"ok\"";
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
        .filter(|l| l.starts_with(&format!("{h}_bucket{{le=")) && l.contains(&format!(",{a_ok}}}")))
        .count();
    assert_eq!(buckets, DURATION_BUCKETS.len() + 1);
    let c_timeout = "plugin_id=\"classifier.c\",capability=\"classifier\",result=\"timeout\"";
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
            "pegboard_plugin_timeouts_total{{plugin_id=\"classifier.{p}\",capability=\"classifier\"}}"
        )
    };
    assert_eq!(value(&text, &timeouts("c")), 1.0);
    assert_eq!(value(&text, &timeouts("a")), 0.0);

    let state = |p: &str, s: &str| {
        format!("pegboard_plugin_state{{plugin_id=\"classifier.{p}\",state=\"{s}\"}}")
    };
    assert_eq!(value(&text, &state("d", "failed")), 1.0);
    assert_eq!(value(&text, &state("d", "configured")), 0.0);
    assert_eq!(value(&text, &state("a", "configured")), 1.0);
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
            "pegboard_plugin_restarts_total{plugin_id=\"classifier.d\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "pegboard_plugin_restarts_total{plugin_id=\"classifier.a\"}"
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
fn metrics_describe_each_family_and_expose_series_in_registry_order() {
    let text = registry(&["store"]).metrics().render();
    let comments: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        comments,
        [
            "# HELP pegboard_plugin_invocations Plugin invocations, by plugin, capability and result.",
            "# TYPE pegboard_plugin_invocations counter",
            "# HELP pegboard_plugin_invocation_duration_seconds Duration of plugin invocations, by plugin, capability and result.",
            "# TYPE pegboard_plugin_invocation_duration_seconds histogram",
            "# UNIT pegboard_plugin_invocation_duration_seconds seconds",
            "# HELP pegboard_plugin_timeouts Plugin invocations that timed out.",
            "# TYPE pegboard_plugin_timeouts counter",
            "# HELP pegboard_plugin_dispatch_failures Dispatches on a capability that reached no plugin successfully.",
            "# TYPE pegboard_plugin_dispatch_failures counter",
            "# HELP pegboard_plugin_state Lifecycle state of each plugin: 1 for the current state, 0 for the others.",
            "# TYPE pegboard_plugin_state gauge",
            "# HELP pegboard_plugin_restarts Plugin restarts by the supervisor.",
            "# TYPE pegboard_plugin_restarts counter",
            "# EOF",
        ]
    );
    // One plugin's series, in order (results, then per result _sum,
    // _count and the buckets, then states in lifecycle order).
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let m = "plugin_id=\"store.memory\",capability=\"store\"";
    let mut expected = Vec::new();
    for r in CallResult::ALL {
        expected.push(format!(
            "pegboard_plugin_invocations_total{{{m},result=\"{r}\"}} 0"
        ));
    }
    let h = "pegboard_plugin_invocation_duration_seconds";
    for r in CallResult::ALL {
        expected.push(format!("{h}_sum{{{m},result=\"{r}\"}} 0.0"));
        expected.push(format!("{h}_count{{{m},result=\"{r}\"}} 0"));
        for le in DURATION_BUCKETS.iter().map(|b| format!("{b:?}")) {
            expected.push(format!("{h}_bucket{{le=\"{le}\",{m},result=\"{r}\"}} 0"));
        }
        expected.push(format!("{h}_bucket{{le=\"+Inf\",{m},result=\"{r}\"}} 0"));
    }
    expected.push(format!("pegboard_plugin_timeouts_total{{{m}}} 0"));
    expected.push("pegboard_plugin_dispatch_failures_total{capability=\"store\"} 0".into());
    for s in STATES {
        let v = u8::from(s == PluginState::Configured);
        expected.push(format!(
            "pegboard_plugin_state{{plugin_id=\"store.memory\",state=\"{s}\"}} {v}"
        ));
    }
    expected.push("pegboard_plugin_restarts_total{plugin_id=\"store.memory\"} 0".into());
    assert_eq!(lines, expected);
}

#[test]
fn metrics_ignore_unknown_capabilities() {
    let r = classifiers();
    let before = r.metrics().render();
    r.record_dispatch_failure("translator");
    r.record_dispatch_failure("");
    r.record_dispatch_failure("classifier\"} 1\nevil{x=\"");
    let after = r.metrics().render();
    assert_eq!(before, after);
    assert!(!after.contains("translator"));
    assert!(!after.contains("evil"));
}

#[test]
fn metrics_render_openmetrics_text_ending_with_eof() {
    let r = registry(&["store", "search"]);
    let text = r.metrics().render();
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
    // Two capabilities, each with its own dispatch-failure series, in
    // name order.
    let failures: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("pegboard_plugin_dispatch_failures_total"))
        .collect();
    assert_eq!(
        failures,
        [
            "pegboard_plugin_dispatch_failures_total{capability=\"search\"} 0",
            "pegboard_plugin_dispatch_failures_total{capability=\"store\"} 0",
        ]
    );
    r.record_dispatch_failure("search");
    r.record_dispatch_failure("search");
    let text = r.metrics().render();
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
fn metrics_plugin_label_is_the_catalog_id() {
    let r = registry(&["store", "search", "classifier"]);
    let text = r.metrics().render();
    for id in r.catalog().ids() {
        let series = format!("pegboard_plugin_restarts_total{{plugin_id=\"{id}\"}}");
        assert_eq!(value(&text, &series), 0.0);
    }
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("pegboard_plugin_restarts_total"))
            .count(),
        r.catalog().len()
    );
}

#[test]
fn metrics_state_gauge_follows_every_transition() {
    let r = registry(&["store"]);
    let state = |s: PluginState| {
        format!("pegboard_plugin_state{{plugin_id=\"store.memory\",state=\"{s}\"}}")
    };
    let text = r.metrics().render();
    assert_eq!(value(&text, &state(PluginState::Configured)), 1.0);
    for s in STATES
        .into_iter()
        .chain([PluginState::Running, PluginState::Running])
    {
        set_state(&r, "store.memory", s);
        let text = r.metrics().render();
        for other in STATES {
            let expected = if other == s { 1.0 } else { 0.0 };
            assert_eq!(value(&text, &state(other)), expected, "after {s}, {other}");
        }
    }
}

#[test]
fn metrics_restarts_are_the_status_restarts() {
    let r = registry(&["store"]);
    for _ in 0..3 {
        r.count_restart(0);
    }
    let text = r.metrics().render();
    assert_eq!(
        value(
            &text,
            "pegboard_plugin_restarts_total{plugin_id=\"store.memory\"}"
        ),
        3.0
    );
    assert_eq!(r.plugin("store.memory").unwrap().restarts, 3);
}

#[test]
fn metrics_histogram_count_is_the_inf_bucket_and_the_invocations() {
    let r = classifiers();
    let ns = Duration::from_nanos;
    // On each bound, just over it, zero and beyond the last bound.
    let mut durations = vec![ns(0), ns(1), ns(31_000_000_000), Duration::MAX];
    for b in BUCKET_NANOS {
        durations.extend([ns(b), ns(b + 1)]);
    }
    for (i, &d) in durations.iter().enumerate() {
        let result = CallResult::ALL[i % 2];
        invoke(&r, "classifier.b", result, d);
    }
    let text = r.metrics().render();
    let h = "pegboard_plugin_invocation_duration_seconds";
    for (n, result) in CallResult::ALL.into_iter().enumerate() {
        let labels =
            format!("plugin_id=\"classifier.b\",capability=\"classifier\",result=\"{result}\"");
        let mine: Vec<Duration> = durations
            .iter()
            .enumerate()
            .filter(|(i, _)| n < 2 && i % 2 == n)
            .map(|(_, &d)| d)
            .collect();
        let invocations = value(
            &text,
            &format!("pegboard_plugin_invocations_total{{{labels}}}"),
        );
        let count = value(&text, &format!("{h}_count{{{labels}}}"));
        let inf = value(&text, &format!("{h}_bucket{{le=\"+Inf\",{labels}}}"));
        assert_eq!(invocations, mine.len() as f64, "{result}");
        assert_eq!(count, invocations, "{result}");
        assert_eq!(inf, invocations, "{result}");
        // Each bucket counts the durations at or below its bound.
        let mut previous = 0.0;
        for (bound, nanos) in DURATION_BUCKETS.iter().zip(BUCKET_NANOS) {
            let expected = mine.iter().filter(|d| d.as_nanos() <= nanos.into()).count();
            let got = value(&text, &format!("{h}_bucket{{le=\"{bound:?}\",{labels}}}"));
            assert_eq!(got, expected as f64, "{result} le={bound}");
            assert!(got >= previous);
            previous = got;
        }
    }
    // The sum, in seconds, kept in whole nanoseconds (no float drift).
    invoke(
        &r,
        "classifier.a",
        CallResult::Ok,
        Duration::from_micros(1500),
    );
    invoke(
        &r,
        "classifier.a",
        CallResult::Ok,
        Duration::from_micros(1600),
    );
    invoke(
        &r,
        "classifier.d",
        CallResult::Panic,
        Duration::from_micros(50),
    );
    invoke(
        &r,
        "classifier.d",
        CallResult::Panic,
        Duration::from_micros(100),
    );
    let text = r.metrics().render();
    assert!(text.contains(&format!(
        "{h}_sum{{plugin_id=\"classifier.a\",capability=\"classifier\",result=\"ok\"}} 0.0031\n"
    )));
    assert!(text.contains(&format!(
        "{h}_sum{{plugin_id=\"classifier.d\",capability=\"classifier\",result=\"panic\"}} 0.00015\n"
    )));
}

#[test]
fn metrics_bucket_bounds_in_nanoseconds_match_the_seconds() {
    for (seconds, nanos) in DURATION_BUCKETS.iter().zip(BUCKET_NANOS) {
        assert_eq!(nanos as f64 / 1e9, *seconds);
        assert_eq!(
            Duration::from_secs_f64(*seconds).as_nanos(),
            u128::from(nanos)
        );
    }
    assert!(BUCKET_NANOS.is_sorted());
}

#[test]
fn metrics_allocate_no_histograms_until_the_first_invocation() {
    let r = classifiers();
    let allocated = |r: &Registry| -> Vec<bool> {
        (0..r.catalog().len())
            .map(|i| r.slot_counters(i).durations().is_some())
            .collect()
    };
    assert_eq!(allocated(&r), [false; 4]);
    // Rendering shows empty histograms without creating them.
    let text = r.metrics().render();
    let h = "pegboard_plugin_invocation_duration_seconds";
    assert_eq!(
        value(
            &text,
            &format!(
                "{h}_count{{plugin_id=\"classifier.c\",capability=\"classifier\",result=\"ok\"}}"
            )
        ),
        0.0
    );
    r.set_state(2, PluginState::Running, None);
    r.count_restart(2);
    r.record_dispatch_failure("classifier");
    assert_eq!(allocated(&r), [false; 4]);

    invoke(&r, "classifier.c", CallResult::Ok, Duration::from_millis(1));
    assert_eq!(allocated(&r), [false, false, true, false]);
    let first = r.slot_counters(2).durations().unwrap() as *const Durations;
    invoke(
        &r,
        "classifier.c",
        CallResult::Error,
        Duration::from_millis(1),
    );
    let again = r.slot_counters(2).durations().unwrap() as *const Durations;
    assert_eq!(first, again, "allocated once");
}

#[tokio::test]
async fn metrics_count_what_dispatch_records() {
    let r = classifiers();
    let out = r
        .dispatch::<dyn Classifier>()
        .fan_out(|c| async move { c.classify("hi") })
        .await;
    assert!(out.is_complete());
    set_state(&r, "classifier.d", PluginState::Disabled);
    let skipped = r
        .dispatch::<dyn Classifier>()
        .call("d", |c| async move { c.classify("hi") })
        .await;
    assert_eq!(skipped.result, CallResult::Skipped);
    let text = r.metrics().render();
    for (p, result) in [
        ("a", "ok"),
        ("b", "ok"),
        ("c", "ok"),
        ("d", "ok"),
        ("d", "skipped"),
    ] {
        let labels =
            format!("plugin_id=\"classifier.{p}\",capability=\"classifier\",result=\"{result}\"");
        for series in [
            format!("pegboard_plugin_invocations_total{{{labels}}}"),
            format!("pegboard_plugin_invocation_duration_seconds_count{{{labels}}}"),
            format!("pegboard_plugin_invocation_duration_seconds_bucket{{le=\"+Inf\",{labels}}}"),
        ] {
            assert_eq!(value(&text, &series), 1.0, "{series}");
        }
    }
    assert_eq!(
        value(
            &text,
            "pegboard_plugin_dispatch_failures_total{capability=\"classifier\"}"
        ),
        1.0
    );
    assert!(!text.contains("hi\""), "no label values from call data");
}

#[test]
fn metrics_record_concurrently() {
    let r = Arc::new(classifiers());
    // Thread t records 1,000 timeouts of plugin t % 4 lasting
    // (t + 1) × 100 µs: 2 threads per plugin, on two bucket bounds.
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let r = Arc::clone(&r);
            std::thread::spawn(move || {
                let d = Duration::from_micros(100 * (t as u64 + 1));
                for _ in 0..1_000 {
                    r.recording_counters(t % 4)
                        .record(CallResult::Timeout, d, None);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = r.metrics().render();
    let h = "pegboard_plugin_invocation_duration_seconds";
    for (i, p) in ["a", "b", "c", "d"].into_iter().enumerate() {
        let labels = format!("plugin_id=\"classifier.{p}\",capability=\"classifier\"");
        let timeout = format!("{labels},result=\"timeout\"");
        for series in [
            format!("pegboard_plugin_invocations_total{{{timeout}}}"),
            format!("pegboard_plugin_timeouts_total{{{labels}}}"),
            format!("{h}_count{{{timeout}}}"),
            format!("{h}_bucket{{le=\"+Inf\",{timeout}}}"),
        ] {
            assert_eq!(value(&text, &series), 2_000.0, "{series}");
        }
        // Threads i and i + 4: 1,000 × (i + 1) and 1,000 × (i + 5)
        // hundreds of µs.
        let sum = value(&text, &format!("{h}_sum{{{timeout}}}"));
        let expected = 1_000.0 * (2 * i + 6) as f64 * 0.0001;
        assert!((sum - expected).abs() < 1e-9, "{sum} vs {expected}");
        // The cumulative buckets up to 1 ms: a's threads recorded 100 and
        // 500 µs, b's 200 and 600, c's 300 and 700, d's 400 and 800.
        let expected = [
            [1_000.0, 1_000.0, 2_000.0, 2_000.0],
            [0.0, 1_000.0, 1_000.0, 2_000.0],
            [0.0, 0.0, 1_000.0, 2_000.0],
            [0.0, 0.0, 1_000.0, 2_000.0],
        ][i];
        for (bound, expected) in ["0.0001", "0.00025", "0.0005", "0.001"]
            .into_iter()
            .zip(expected)
        {
            let series = format!("{h}_bucket{{le=\"{bound}\",{timeout}}}");
            assert_eq!(value(&text, &series), expected, "{series}");
        }
    }
}

#[test]
fn metrics_with_no_plugins_render_only_eof() {
    let r = Registry::builder().descriptors([]).build().unwrap();
    assert_eq!(r.metrics().render(), "# EOF\n");
}

#[test]
fn metrics_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Metrics<'static>>();
    check::<MetricsState>();
}
