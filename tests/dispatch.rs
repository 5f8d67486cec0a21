//! Isolated dispatch (SPEC X1-X5) and its metrics (T1): one plugin by name
//! or fan-out to a kind, every failure mode isolated and counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pegboard::config::Document;
use pegboard::{BoxFuture, CallResult, Registry};

#[pegboard::kind]
pub trait Tagger {
    fn tag<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<Vec<String>, String>>;
}

macro_rules! tagger {
    ($ty:ident, $name:literal, |$text:ident| $body:expr) => {
        #[derive(Default)]
        #[pegboard::plugin(name = $name, version = "0.1.0", api = "0.1", kind = Tagger)]
        pub struct $ty;
        impl Tagger for $ty {
            fn tag<'a>(&'a self, $text: &'a str) -> BoxFuture<'a, Result<Vec<String>, String>> {
                Box::pin(async move { $body })
            }
        }
    };
}

tagger!(Good, "a-good", |text| Ok(vec![format!(
    "len{}",
    text.len()
)]));
tagger!(Bad, "b-bad", |_text| Err("model not loaded".to_string()));
tagger!(Slow, "c-slow", |_text| std::future::pending().await);
tagger!(Crashy, "d-crashy", |_text| panic!("index out of bounds"));

/// Its constructor fails, so it is never running: `skipped`.
#[pegboard::plugin(name = "e-broken", version = "0.1.0", api = "0.1", kind = Tagger, new = Broken::new)]
pub struct Broken;
impl Broken {
    fn new(_: &pegboard::Context<'_>) -> Result<Self, std::io::Error> {
        Err(std::io::Error::other("no model file"))
    }
}
impl Tagger for Broken {
    fn tag<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Vec<String>, String>> {
        unreachable!("never built")
    }
}

#[derive(Default)]
#[pegboard::plugin(name = "f-off", version = "0.1.0", api = "0.1", kind = Tagger)]
pub struct Off;
impl Tagger for Off {
    fn tag<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Vec<String>, String>> {
        unreachable!("disabled")
    }
}

const CONFIG: &str = r#"
[dispatch.tagger]
timeout_ms = 50

[plugins.tagger.f-off]
enabled = false
"#;

fn registry(config: &str) -> Registry {
    Registry::builder()
        .config(Document::from_toml_str(config).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn fan_out_returns_partial_success_with_every_failure_isolated() {
    let registry = registry(CONFIG);
    registry.instantiate_all();
    let out = registry
        .dispatch::<dyn Tagger>()
        .fan_out(|t| async move { t.tag("hello").await })
        .await;

    let results: Vec<(&str, CallResult)> =
        out.outcomes.iter().map(|o| (o.plugin, o.result)).collect();
    assert_eq!(
        results,
        [
            ("tagger.a-good", CallResult::Ok),
            ("tagger.b-bad", CallResult::Error),
            ("tagger.c-slow", CallResult::Timeout),
            ("tagger.d-crashy", CallResult::Panic),
            ("tagger.e-broken", CallResult::Skipped),
        ],
        "in name order, disabled plugins left out"
    );
    assert_eq!(
        out.successes().collect::<Vec<_>>(),
        [("tagger.a-good", &vec!["len5".to_string()])]
    );
    assert_eq!(
        out.get("tagger.b-bad").unwrap().error.as_deref(),
        Some("model not loaded")
    );
    assert_eq!(
        out.get("tagger.c-slow").unwrap().error.as_deref(),
        Some("no answer within 50ms")
    );
    assert_eq!(
        out.get("tagger.d-crashy").unwrap().error.as_deref(),
        Some("index out of bounds")
    );
    assert!(
        out.get("tagger.e-broken")
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("no model file")
    );
    assert!(!out.is_complete());
    assert_eq!(out.failures().count(), 4);

    // Counters per plugin (X5).
    let good = registry.counters("tagger.a-good").unwrap();
    assert_eq!((good.successes, good.failures), (1, 0));
    assert!(good.last_duration_ms.is_some());
    let slow = registry.counters("tagger.c-slow").unwrap();
    assert_eq!((slow.timeouts, slow.failures), (1, 1));
    assert_eq!(slow.last_error.as_deref(), Some("no answer within 50ms"));
    let crashy = registry.counters("tagger.d-crashy").unwrap();
    assert_eq!(crashy.panics, 1);
    assert_eq!(registry.counters("tagger.e-broken").unwrap().skipped, 1);

    // Prometheus series (T1), labels only from registered ids.
    let text = registry.metrics().render();
    for line in [
        r#"pegboard_plugin_invocations_total{plugin_id="tagger.a-good",capability="tagger",result="ok"} 1"#,
        r#"pegboard_plugin_invocations_total{plugin_id="tagger.b-bad",capability="tagger",result="error"} 1"#,
        r#"pegboard_plugin_invocations_total{plugin_id="tagger.c-slow",capability="tagger",result="timeout"} 1"#,
        r#"pegboard_plugin_invocations_total{plugin_id="tagger.d-crashy",capability="tagger",result="panic"} 1"#,
        r#"pegboard_plugin_timeouts_total{plugin_id="tagger.c-slow",capability="tagger"} 1"#,
        r#"pegboard_plugin_invocation_duration_seconds_count{plugin_id="tagger.a-good",capability="tagger",result="ok"} 1"#,
        r#"pegboard_plugin_state{plugin_id="tagger.e-broken",state="failed"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    assert!(!text.contains("hello"), "no label values from call data");
}

#[tokio::test]
async fn one_plugin_by_name_and_the_timeout_from_the_environment() {
    let registry = Registry::builder()
        .config(Document::from_toml_str(CONFIG).unwrap())
        .env([("PEGBOARD_TIMEOUT_TAGGER_MS", "20")])
        .build()
        .unwrap();
    let tagger = registry.dispatch::<dyn Tagger>();
    let ok = tagger
        .call("a-good", |t| async move { t.tag("abc").await })
        .await;
    assert_eq!(ok.into_result().unwrap(), ["len3"]);
    let slow = tagger
        .call("c-slow", |t| async move { t.tag("abc").await })
        .await;
    assert_eq!(slow.result, CallResult::Timeout);
    assert_eq!(slow.error.as_deref(), Some("no answer within 20ms"));
    let missing = tagger
        .call("zzz", |t| async move { t.tag("abc").await })
        .await;
    assert_eq!(missing.result, CallResult::Skipped);
    let text = registry.metrics().render();
    assert!(
        text.contains(r#"pegboard_plugin_dispatch_failures_total{capability="tagger"} 2"#),
        "{text}"
    );
}

#[tokio::test]
async fn payload_guards_reject_oversized_inputs_and_outputs() {
    let registry = registry(
        r#"
[dispatch.tagger]
timeout_ms = 50
max_input_bytes = 8
max_output_bytes = 1
"#,
    );
    let big = "far too long for the guard";
    let out = registry
        .dispatch::<dyn Tagger>()
        .input_size(big.len())
        .fan_out(|t| async move { t.tag(big).await })
        .await;
    assert!(
        out.outcomes
            .iter()
            .all(|o| o.result == CallResult::Rejected)
    );

    let out = registry
        .dispatch::<dyn Tagger>()
        .output_size(|tags: &Vec<String>| tags.iter().map(String::len).sum())
        .call("a-good", |t| async move { t.tag("hi").await })
        .await;
    assert_eq!(out.result, CallResult::Rejected);
    assert_eq!(
        out.error.as_deref(),
        Some("output of 4 bytes is over the limit of 1 bytes")
    );
}

// ---- synchronous methods that may block ------------------------------------------

#[pegboard::kind]
pub trait Counter {
    fn count(&self, text: &str) -> Result<usize, String>;
}

static RELEASE: AtomicBool = AtomicBool::new(false);

#[derive(Default)]
#[pegboard::plugin(name = "words", version = "0.1.0", api = "0.1", kind = Counter)]
pub struct Words;
impl Counter for Words {
    fn count(&self, text: &str) -> Result<usize, String> {
        Ok(text.split_whitespace().count())
    }
}

/// Blocks its thread until the test releases it.
#[derive(Default)]
#[pegboard::plugin(name = "stuck", version = "0.1.0", api = "0.1", kind = Counter)]
pub struct Stuck;
impl Counter for Stuck {
    fn count(&self, _: &str) -> Result<usize, String> {
        while !RELEASE.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(0)
    }
}

#[derive(Default)]
#[pegboard::plugin(name = "zany", version = "0.1.0", api = "0.1", kind = Counter)]
pub struct Zany;
impl Counter for Zany {
    fn count(&self, _: &str) -> Result<usize, String> {
        panic!("zany")
    }
}

/// Lets the stuck plugin's thread go when the test ends, even if it fails
/// (the runtime waits for blocking threads when it shuts down).
struct Release;
impl Drop for Release {
    fn drop(&mut self) {
        RELEASE.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_calls_that_hang_are_abandoned_at_the_timeout() {
    let _release = Release;
    let registry = Arc::new(registry("[dispatch.counter]\ntimeout_ms = 250\n"));
    let out = registry
        .dispatch::<dyn Counter>()
        .fan_out_blocking(|c| c.count("one two three"))
        .await;
    let results: Vec<(&str, CallResult)> =
        out.outcomes.iter().map(|o| (o.plugin, o.result)).collect();
    assert_eq!(
        results,
        [
            ("counter.stuck", CallResult::Timeout),
            ("counter.words", CallResult::Ok),
            ("counter.zany", CallResult::Panic),
        ]
    );
    assert_eq!(out.get("counter.words").unwrap().value, Some(3));
}

// ---- async kind methods (SPEC D10) -------------------------------------------------

#[pegboard::kind]
pub trait Notifier {
    async fn notify(&self, message: &str) -> String;

    /// A default body: plugins may leave it out.
    async fn channel(&self) -> String {
        "default".to_string()
    }

    fn sync_name(&self) -> &'static str;
}

#[derive(Default)]
#[pegboard::plugin(name = "email", version = "0.1.0", api = "0.1", kind = Notifier)]
pub struct Email;
impl Notifier for Email {
    async fn notify(&self, message: &str) -> String {
        // A real await point, so the future is not ready at once.
        tokio::task::yield_now().await;
        format!("mailed {message}")
    }
    async fn channel(&self) -> String {
        "smtp".to_string()
    }
    fn sync_name(&self) -> &'static str {
        "email"
    }
}

/// Its async method never completes.
#[derive(Default)]
#[pegboard::plugin(name = "pager", version = "0.1.0", api = "0.1", kind = Notifier)]
pub struct Pager;
impl Notifier for Pager {
    async fn notify(&self, _: &str) -> String {
        std::future::pending().await
    }
    fn sync_name(&self) -> &'static str {
        "pager"
    }
}

#[tokio::test]
async fn async_kind_methods_are_awaited_under_the_kind_timeout() {
    let registry = registry("[dispatch.notifier]\ntimeout_ms = 30\n");
    let out = registry
        .dispatch::<dyn Notifier>()
        .fan_out(|n| async move { Ok::<_, String>(n.notify("hi").await) })
        .await;
    let results: Vec<(&str, CallResult)> =
        out.outcomes.iter().map(|o| (o.plugin, o.result)).collect();
    assert_eq!(
        results,
        [
            ("notifier.email", CallResult::Ok),
            ("notifier.pager", CallResult::Timeout),
        ]
    );
    assert_eq!(
        out.get("notifier.email").unwrap().value.as_deref(),
        Some("mailed hi")
    );
    assert_eq!(
        out.get("notifier.pager").unwrap().error.as_deref(),
        Some("no answer within 30ms")
    );

    let notifier = registry.dispatch::<dyn Notifier>();
    let one = notifier
        .call("email", |n| async move {
            Ok::<_, String>(format!("{} via {}", n.notify("x").await, n.channel().await))
        })
        .await;
    assert_eq!(one.into_result().unwrap(), "mailed x via smtp");
    let hung = notifier
        .call(
            "pager",
            |n| async move { Ok::<_, String>(n.notify("x").await) },
        )
        .await;
    assert_eq!(hung.result, CallResult::Timeout);
}

#[tokio::test]
async fn async_kind_methods_through_get_and_a_default_body() {
    let registry = registry("");
    let email = registry.get::<dyn Notifier>("email").unwrap();
    assert_eq!(email.notify("x").await, "mailed x");
    assert_eq!(email.sync_name(), "email");
    let pager = registry.get::<dyn Notifier>("pager").unwrap();
    assert_eq!(pager.channel().await, "default", "the trait's default body");
    // The plugin's own type still has the trait's method.
    assert_eq!(Email.notify("y").await, "mailed y");
}
