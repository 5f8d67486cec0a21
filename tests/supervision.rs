//! Supervision (SPEC L1-L6, O4, O5): hooks with timeouts, isolation of
//! errors, panics and hangs, concurrency by level, health, restarts with a
//! budget, and shutdown in reverse order.
//!
//! Each test composes only the plugins it names, with small configured
//! timeouts; waits poll the registry for a state with a generous bound and
//! never assert on elapsed time.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pegboard::config::Document;
use pegboard::{BoxError, Failure, Health, Lifecycle, PluginState, Registry, Stage, Supervisor};

#[pegboard::kind]
pub trait Service {
    fn name(&self) -> &'static str;
}

/// Start and stop events, in order, per test (tests filter by their own ids).
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn log(event: String) {
    LOG.lock().unwrap().push(event);
}

fn logged(prefix: &str) -> Vec<String> {
    LOG.lock()
        .unwrap()
        .iter()
        .filter(|e| e.contains(prefix))
        .cloned()
        .collect()
}

macro_rules! service {
    ($ty:ident, $name:literal $(, $key:ident = $value:tt)*) => {
        #[derive(Default)]
        #[pegboard::plugin(name = $name, version = "0.1.0", api = "0.1", kind = Service, lifecycle $(, $key = $value)*)]
        pub struct $ty;
        impl Service for $ty {
            fn name(&self) -> &'static str {
                $name
            }
        }
    };
}

fn registry(names: &[&str], config: &str) -> Arc<Registry> {
    let descriptors = pegboard::discover::compiled_in().filter(|d| names.contains(&d.name()));
    Arc::new(
        Registry::builder()
            .descriptors(descriptors)
            .config(Document::from_toml_str(config).unwrap())
            .build()
            .unwrap(),
    )
}

fn state(registry: &Registry, id: &str) -> PluginState {
    registry.state(id).unwrap()
}

fn failure(registry: &Registry, id: &str) -> Failure {
    registry.plugin(id).unwrap().failure.unwrap()
}

/// Polls until `cond` holds (the bound only guards against a hung test).
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..2_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {what}");
}

// ---- concurrency by level (O5) ---------------------------------------------

static A_BEGUN: AtomicBool = AtomicBool::new(false);
static B_BEGUN: AtomicBool = AtomicBool::new(false);

async fn wait_for_other(mine: &AtomicBool, other: &AtomicBool) -> Result<(), BoxError> {
    mine.store(true, Ordering::SeqCst);
    // Succeeds only if the other plugin's start runs at the same time.
    tokio::time::timeout(Duration::from_secs(5), async {
        while !other.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .map_err(|_| "the other plugin did not start concurrently".into())
}

service!(PairA, "pair-a");
impl Lifecycle for PairA {
    async fn start(&self) -> Result<(), BoxError> {
        wait_for_other(&A_BEGUN, &B_BEGUN).await
    }
}
service!(PairB, "pair-b");
impl Lifecycle for PairB {
    async fn start(&self) -> Result<(), BoxError> {
        wait_for_other(&B_BEGUN, &A_BEGUN).await
    }
}

#[tokio::test]
async fn independent_plugins_start_concurrently() {
    let registry = registry(&["pair-a", "pair-b"], "");
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    assert_eq!(report.running, ["service.pair-a", "service.pair-b"]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    supervisor.shutdown().await;
}

// ---- order, isolation and shutdown (O4, L2, L3, L6) --------------------------

service!(Base, "base");
impl Lifecycle for Base {
    async fn start(&self) -> Result<(), BoxError> {
        log("start base".into());
        Ok(())
    }
    async fn stop(&self) -> Result<(), BoxError> {
        log("stop base".into());
        Ok(())
    }
}
service!(Middle, "middle", depends_on = ["base"]);
impl Lifecycle for Middle {
    async fn start(&self) -> Result<(), BoxError> {
        log("start middle".into());
        Ok(())
    }
    async fn stop(&self) -> Result<(), BoxError> {
        log("stop middle".into());
        Ok(())
    }
}
service!(Top, "top", depends_on = ["middle"]);
impl Lifecycle for Top {
    async fn start(&self) -> Result<(), BoxError> {
        log("start top".into());
        Ok(())
    }
    async fn stop(&self) -> Result<(), BoxError> {
        log("stop top".into());
        Ok(())
    }
}

#[tokio::test]
async fn start_in_dependency_order_and_stop_in_reverse() {
    let registry = registry(&["base", "middle", "top"], "");
    let supervisor = Supervisor::new(registry.clone());
    supervisor.start().await;
    for id in ["service.base", "service.middle", "service.top"] {
        assert_eq!(state(&registry, id), PluginState::Running);
    }
    supervisor.shutdown().await;
    for id in ["service.base", "service.middle", "service.top"] {
        assert_eq!(state(&registry, id), PluginState::Stopped);
    }
    let events: Vec<String> = logged("")
        .into_iter()
        .filter(|e| e.ends_with("base") || e.ends_with("middle") || e.ends_with("top"))
        .collect();
    assert_eq!(
        events,
        [
            "start base",
            "start middle",
            "start top",
            "stop top",
            "stop middle",
            "stop base"
        ]
    );
    // Every transition is recorded, with a timestamp.
    let info = registry.plugin("service.top").unwrap();
    let path: Vec<PluginState> = info.transitions.iter().map(|t| t.to).collect();
    assert_eq!(
        path,
        [
            PluginState::Configured,
            PluginState::Starting,
            PluginState::Running,
            PluginState::Stopping,
            PluginState::Stopped
        ]
    );
}

service!(StartError, "start-error");
impl Lifecycle for StartError {
    async fn start(&self) -> Result<(), BoxError> {
        Err("port 80 is taken".into())
    }
}
service!(StartPanic, "start-panic");
impl Lifecycle for StartPanic {
    async fn start(&self) -> Result<(), BoxError> {
        panic!("start exploded")
    }
}
service!(StartHang, "start-hang");
impl Lifecycle for StartHang {
    async fn start(&self) -> Result<(), BoxError> {
        std::future::pending().await
    }
}
service!(AfterError, "after-error", depends_on = ["start-error"]);
impl Lifecycle for AfterError {}
service!(Bystander, "bystander");
impl Lifecycle for Bystander {}
service!(StopHang, "stop-hang");
impl Lifecycle for StopHang {
    async fn stop(&self) -> Result<(), BoxError> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_failing_hook_fails_only_its_plugin() {
    let registry = registry(
        &[
            "start-error",
            "start-panic",
            "start-hang",
            "after-error",
            "stop-hang",
            "bystander",
        ],
        r#"
[supervision]
restart = { policy = "never" }

[plugins.service.start-hang]
supervision = { start_timeout_ms = 50 }

[plugins.service.stop-hang]
supervision = { stop_timeout_ms = 50 }
"#,
    );
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    assert_eq!(report.running, ["service.bystander", "service.stop-hang"]);

    assert_eq!(
        failure(&registry, "service.start-error"),
        Failure::Error {
            stage: Stage::Start,
            message: "port 80 is taken".into()
        }
    );
    assert_eq!(
        failure(&registry, "service.start-panic"),
        Failure::Panic {
            stage: Stage::Start,
            message: "start exploded".into()
        }
    );
    assert_eq!(
        failure(&registry, "service.start-hang"),
        Failure::Timeout {
            stage: Stage::Start,
            message: "did not finish within 50ms".into()
        }
    );
    assert_eq!(
        state(&registry, "service.after-error"),
        PluginState::Blocked
    );
    assert_eq!(
        failure(&registry, "service.after-error").to_string(),
        "blocked: service.after-error -> service.start-error (service.start-error start error: port 80 is taken)"
    );
    let info = registry.plugin("service.start-error").unwrap();
    assert_eq!(
        info.last_error.as_deref(),
        Some("start error: port 80 is taken")
    );

    // A hanging stop delays shutdown only by its timeout, and fails only itself.
    supervisor.shutdown().await;
    assert_eq!(state(&registry, "service.bystander"), PluginState::Stopped);
    assert_eq!(
        failure(&registry, "service.stop-hang"),
        Failure::Timeout {
            stage: Stage::Stop,
            message: "did not finish within 50ms".into()
        }
    );
}

// ---- health (L4) -------------------------------------------------------------

/// 0 healthy, 1 degraded, 2 unhealthy, 3 panic, 4 hang.
static MOOD: AtomicU8 = AtomicU8::new(0);

service!(Moody, "moody");
impl Lifecycle for Moody {
    async fn health(&self) -> Health {
        match MOOD.load(Ordering::SeqCst) {
            0 => Health::healthy(),
            1 => Health::degraded("slow disk").with_detail("latency_ms", 250),
            2 => Health::unhealthy("disk gone"),
            3 => panic!("health exploded"),
            _ => std::future::pending().await,
        }
    }
}

#[tokio::test]
async fn health_checks_move_a_plugin_between_running_and_degraded() {
    let registry = registry(
        &["moody"],
        r#"
[supervision]
health_interval_ms = 5
health_timeout_ms = 50
unhealthy_threshold = 1000
"#,
    );
    let supervisor = Supervisor::new(registry.clone());
    supervisor.start().await;
    let id = "service.moody";
    until("a first health check", || {
        registry.plugin(id).unwrap().health.is_some()
    })
    .await;
    assert_eq!(state(&registry, id), PluginState::Running);

    MOOD.store(1, Ordering::SeqCst);
    until("degraded", || state(&registry, id) == PluginState::Degraded).await;
    let health = registry.plugin(id).unwrap().health.unwrap();
    assert_eq!(health.message.as_deref(), Some("slow disk"));
    assert_eq!(health.details["latency_ms"], 250);

    MOOD.store(0, Ordering::SeqCst);
    until("running again", || {
        state(&registry, id) == PluginState::Running
    })
    .await;

    // A check that panics, or hangs past its timeout, counts as unhealthy.
    MOOD.store(3, Ordering::SeqCst);
    until("a panicking check", || {
        registry
            .plugin(id)
            .unwrap()
            .health
            .and_then(|h| h.message)
            .is_some_and(|m| m.contains("health exploded"))
    })
    .await;
    assert_eq!(state(&registry, id), PluginState::Degraded);
    MOOD.store(4, Ordering::SeqCst);
    until("a hanging check", || {
        registry
            .plugin(id)
            .unwrap()
            .health
            .and_then(|h| h.message)
            .is_some_and(|m| m.contains("timeout"))
    })
    .await;
    MOOD.store(0, Ordering::SeqCst);
    supervisor.shutdown().await;
}

// ---- restarts (L5) -------------------------------------------------------------

static FLAKY_STARTS: AtomicU32 = AtomicU32::new(0);
static FLAKY_BUILT: AtomicU32 = AtomicU32::new(0);

/// Fails its first two starts, then works.
#[pegboard::plugin(name = "flaky", version = "0.1.0", api = "0.1", kind = Service, lifecycle, new = Flaky::new)]
pub struct Flaky;
impl Flaky {
    fn new(_: &pegboard::Context<'_>) -> Result<Self, std::convert::Infallible> {
        FLAKY_BUILT.fetch_add(1, Ordering::SeqCst);
        Ok(Flaky)
    }
}
impl Service for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }
}
impl Lifecycle for Flaky {
    async fn start(&self) -> Result<(), BoxError> {
        let n = FLAKY_STARTS.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= 2 {
            return Err(format!("attempt {n} failed").into());
        }
        Ok(())
    }
}
service!(OnFlaky, "on-flaky", depends_on = ["flaky"]);
impl Lifecycle for OnFlaky {}

service!(Hopeless, "hopeless");
impl Lifecycle for Hopeless {
    async fn start(&self) -> Result<(), BoxError> {
        Err("never works".into())
    }
}

#[tokio::test]
async fn a_plugin_that_fails_its_first_starts_is_restarted_and_its_dependents_come_back() {
    let registry = registry(
        &["flaky", "on-flaky", "hopeless"],
        r#"
[supervision.restart]
policy = "on-failure"
max_restarts = 3
window_ms = 60000
backoff_initial_ms = 1
backoff_max_ms = 5

[plugins.service.hopeless]
supervision = { restart = { max_restarts = 2 } }
"#,
    );
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    assert!(report.running.is_empty(), "{report:?}");
    assert_eq!(state(&registry, "service.on-flaky"), PluginState::Blocked);

    until("flaky running", || {
        state(&registry, "service.flaky") == PluginState::Running
    })
    .await;
    until("its dependent running", || {
        state(&registry, "service.on-flaky") == PluginState::Running
    })
    .await;
    let flaky = registry.plugin("service.flaky").unwrap();
    assert_eq!(flaky.restarts, 2);
    assert_eq!(
        FLAKY_BUILT.load(Ordering::SeqCst),
        3,
        "a fresh instance for every start"
    );
    assert_eq!(
        flaky.last_error.as_deref(),
        Some("start error: attempt 2 failed")
    );
    assert!(flaky.failure.is_none());

    // The hopeless one spends its budget and stays failed, with the count.
    until("hopeless gives up", || {
        let p = registry.plugin("service.hopeless").unwrap();
        p.restarts == 2 && p.state == PluginState::Failed
    })
    .await;
    supervisor.shutdown().await;
    let hopeless = registry.plugin("service.hopeless").unwrap();
    assert_eq!(hopeless.restarts, 2);
    assert_eq!(
        hopeless.failure,
        Some(Failure::Error {
            stage: Stage::Start,
            message: "never works".into()
        })
    );
}

static SICK_BUILT: AtomicU32 = AtomicU32::new(0);
static SICK: AtomicBool = AtomicBool::new(true);

/// Unhealthy until restarted once.
#[pegboard::plugin(name = "sick", version = "0.1.0", api = "0.1", kind = Service, lifecycle, new = Sick::new)]
pub struct Sick {
    generation: u32,
}
impl Sick {
    fn new(_: &pegboard::Context<'_>) -> Result<Self, std::convert::Infallible> {
        Ok(Sick {
            generation: SICK_BUILT.fetch_add(1, Ordering::SeqCst) + 1,
        })
    }
}
impl Service for Sick {
    fn name(&self) -> &'static str {
        "sick"
    }
}
impl Lifecycle for Sick {
    async fn health(&self) -> Health {
        if self.generation == 1 && SICK.load(Ordering::SeqCst) {
            Health::unhealthy("leaking memory")
        } else {
            Health::healthy()
        }
    }
}
service!(OnSick, "on-sick", depends_on = ["sick"]);
impl Lifecycle for OnSick {
    async fn stop(&self) -> Result<(), BoxError> {
        log("stop on-sick".into());
        Ok(())
    }
}

#[tokio::test]
async fn a_plugin_unhealthy_past_its_threshold_is_restarted_with_its_dependents() {
    let registry = registry(
        &["sick", "on-sick"],
        r#"
[supervision]
health_interval_ms = 5
unhealthy_threshold = 2
restart = { backoff_initial_ms = 1 }
"#,
    );
    let supervisor = Supervisor::new(registry.clone());
    supervisor.start().await;
    until("a restart", || {
        registry.plugin("service.sick").unwrap().restarts == 1
    })
    .await;
    until("sick running", || {
        state(&registry, "service.sick") == PluginState::Running
    })
    .await;
    until("on-sick running", || {
        state(&registry, "service.on-sick") == PluginState::Running
    })
    .await;
    assert_eq!(SICK_BUILT.load(Ordering::SeqCst), 2);
    let sick = registry.plugin("service.sick").unwrap();
    assert!(
        sick.last_error
            .unwrap()
            .starts_with("unhealthy: leaking memory")
    );
    // The dependent was stopped before its dependency went down.
    assert_eq!(logged("on-sick"), ["stop on-sick"]);
    supervisor.shutdown().await;
}

// ---- hooks found without the `lifecycle` key (issue 13, point 5) -------------

static UNDECLARED_STARTED: AtomicBool = AtomicBool::new(false);

/// Implements `Lifecycle` but does not say `lifecycle`: the macro finds the impl.
#[derive(Default)]
#[pegboard::plugin(name = "undeclared-hooks", version = "0.1.0", api = "0.1", kind = Service)]
pub struct UndeclaredHooks;

impl Service for UndeclaredHooks {
    fn name(&self) -> &'static str {
        "undeclared-hooks"
    }
}

impl Lifecycle for UndeclaredHooks {
    async fn start(&self) -> Result<(), BoxError> {
        UNDECLARED_STARTED.store(true, Ordering::SeqCst);
        Ok(())
    }
    async fn health(&self) -> Health {
        Health::degraded("found without the key")
    }
}

/// No `Lifecycle` impl and no key: no hooks, and it runs.
#[derive(Default)]
#[pegboard::plugin(name = "no-hooks", version = "0.1.0", api = "0.1", kind = Service)]
pub struct NoHooks;

impl Service for NoHooks {
    fn name(&self) -> &'static str {
        "no-hooks"
    }
}

#[tokio::test]
async fn lifecycle_impl_without_the_key_is_found_and_runs() {
    let registry = registry(
        &["undeclared-hooks", "no-hooks"],
        "[supervision]\nhealth_interval_ms = 5\n",
    );
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    assert_eq!(
        report.running,
        ["service.no-hooks", "service.undeclared-hooks"]
    );
    assert!(
        UNDECLARED_STARTED.load(Ordering::SeqCst),
        "the start hook of a plugin without the `lifecycle` key did not run"
    );
    until("the health hook of a plugin without the key", || {
        state(&registry, "service.undeclared-hooks") == PluginState::Degraded
    })
    .await;
    assert_eq!(state(&registry, "service.no-hooks"), PluginState::Running);
    supervisor.shutdown().await;
}
