//! SPEC S1: half of the plugins broken in every way at once (invalid config,
//! missing dependency, cycle, start error, start panic, start hang, health
//! panic). The host starts within the configured timeouts, the healthy half
//! runs and serves dispatch, every broken plugin reports its state and
//! reason, and shutdown completes.

use std::sync::Arc;

use pegboard::config::Document;
use pegboard::{BoxError, CallResult, Health, Lifecycle, PluginState, Registry, Supervisor};

#[pegboard::kind]
pub trait Worker {
    fn work(&self, n: u32) -> Result<u32, String>;
}

macro_rules! worker {
    ($ty:ident, $name:literal $(, $key:ident = $value:tt)*) => {
        #[derive(Default)]
        #[pegboard::plugin(name = $name, version = "0.1.0", api = "0.1", kind = Worker, lifecycle $(, $key = $value)*)]
        pub struct $ty;
        impl Worker for $ty {
            fn work(&self, n: u32) -> Result<u32, String> {
                Ok(n + 1)
            }
        }
    };
}

// The healthy half.
worker!(Alpha, "alpha");
impl Lifecycle for Alpha {}
worker!(Beta, "beta", depends_on = ["alpha"]);
impl Lifecycle for Beta {}
worker!(Gamma, "gamma");
impl Lifecycle for Gamma {}
worker!(Delta, "delta", depends_on = ["optional-absent?"]);
impl Lifecycle for Delta {}

// The broken half.
#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Limits {
    max: u32,
}
impl Default for Limits {
    fn default() -> Self {
        Limits { max: 1 }
    }
}
#[pegboard::plugin(name = "bad-config", version = "0.1.0", api = "0.1", kind = Worker, config = Limits)]
pub struct BadConfig;
impl From<Limits> for BadConfig {
    fn from(_: Limits) -> Self {
        BadConfig
    }
}
impl Worker for BadConfig {
    fn work(&self, _: u32) -> Result<u32, String> {
        unreachable!()
    }
}
worker!(Orphan, "orphan", depends_on = ["nowhere"]);
impl Lifecycle for Orphan {}
worker!(Ping, "ping", depends_on = ["pong"]);
impl Lifecycle for Ping {}
worker!(Pong, "pong", depends_on = ["ping"]);
impl Lifecycle for Pong {}
worker!(Erring, "erring");
impl Lifecycle for Erring {
    async fn start(&self) -> Result<(), BoxError> {
        Err("cannot bind".into())
    }
}
worker!(Panicking, "panicking");
impl Lifecycle for Panicking {
    async fn start(&self) -> Result<(), BoxError> {
        panic!("boom at start")
    }
}
worker!(Hanging, "hanging");
impl Lifecycle for Hanging {
    async fn start(&self) -> Result<(), BoxError> {
        std::future::pending().await
    }
}
worker!(Sickly, "sickly");
impl Lifecycle for Sickly {
    async fn health(&self) -> Health {
        panic!("health check exploded")
    }
}
worker!(OnErring, "on-erring", depends_on = ["erring"]);
impl Lifecycle for OnErring {}

const CONFIG: &str = r#"
[supervision]
restart = { policy = "never" }

[dispatch.worker]
timeout_ms = 1000

[plugins.worker.hanging]
supervision = { start_timeout_ms = 100 }

[plugins.worker.sickly]
supervision = { health_interval_ms = 5, unhealthy_threshold = 2 }

[plugins.worker.bad-config]
max = "lots"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_broken_in_every_way_the_rest_runs() {
    let registry = Arc::new(
        Registry::builder()
            .config(Document::from_toml_str(CONFIG).unwrap())
            .build()
            .expect("broken plugins do not refuse the composition"),
    );
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    // (sickly may already have failed its health checks by now.)
    let running: Vec<&str> = report
        .running
        .iter()
        .map(String::as_str)
        .filter(|id| *id != "worker.sickly")
        .collect();
    assert_eq!(
        running,
        [
            "worker.alpha",
            "worker.beta",
            "worker.delta",
            "worker.gamma"
        ]
    );

    // The health check that panics takes sickly down after two checks.
    for _ in 0..2_000 {
        if registry.state("worker.sickly") == Some(PluginState::Failed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let expect = [
        ("worker.bad-config", PluginState::Failed, "invalid_config"),
        ("worker.orphan", PluginState::Failed, "missing_dependency"),
        ("worker.ping", PluginState::Failed, "cycle"),
        ("worker.pong", PluginState::Failed, "cycle"),
        ("worker.erring", PluginState::Failed, "error"),
        ("worker.panicking", PluginState::Failed, "panic"),
        ("worker.hanging", PluginState::Failed, "timeout"),
        ("worker.sickly", PluginState::Failed, "unhealthy"),
        ("worker.on-erring", PluginState::Blocked, "blocked"),
    ];
    for (id, state, reason) in expect {
        let info = registry.plugin(id).unwrap();
        assert_eq!(info.state, state, "{id}");
        let failure = info.failure.unwrap_or_else(|| panic!("{id} has a reason"));
        assert_eq!(failure.kind(), reason, "{id}: {failure}");
    }
    assert!(
        registry
            .plugin("worker.sickly")
            .unwrap()
            .failure
            .unwrap()
            .to_string()
            .contains("health check exploded")
    );

    // The healthy half serves dispatch; the broken half is skipped.
    let out = registry
        .dispatch::<dyn Worker>()
        .fan_out(|w| async move { w.work(41) })
        .await;
    let ok: Vec<&str> = out
        .successes()
        .map(|(id, v)| {
            assert_eq!(*v, 42);
            id
        })
        .collect();
    assert_eq!(
        ok,
        [
            "worker.alpha",
            "worker.beta",
            "worker.delta",
            "worker.gamma"
        ]
    );
    assert!(out.failures().all(|o| o.result == CallResult::Skipped));

    supervisor.shutdown().await;
    for id in [
        "worker.alpha",
        "worker.beta",
        "worker.gamma",
        "worker.delta",
    ] {
        assert_eq!(registry.state(id), Some(PluginState::Stopped), "{id}");
    }
}
