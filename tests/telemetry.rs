//! Structured logs (SPEC T2): event names and fields of dispatch,
//! validation and lifecycle, captured with a real subscriber.

use std::sync::Arc;

use pegboard::config::Document;
use pegboard::{BoxError, BoxFuture, Lifecycle, Registry, Supervisor};
use pegboard_tests::capture::Capture;
use tracing_subscriber::layer::SubscriberExt;

#[pegboard::kind]
pub trait Echo {
    fn echo<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<String, String>>;
}

#[derive(Default)]
#[pegboard::plugin(name = "fine", version = "0.1.0", api = "0.1", kind = Echo, lifecycle)]
pub struct Fine;
impl Echo for Fine {
    fn echo<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move { Ok(text.to_owned()) })
    }
}
impl Lifecycle for Fine {}

#[derive(Default)]
#[pegboard::plugin(name = "grumpy", version = "0.1.0", api = "0.1", kind = Echo, lifecycle)]
pub struct Grumpy;
impl Echo for Grumpy {
    fn echo<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move { Err("no".to_owned()) })
    }
}
impl Lifecycle for Grumpy {}

#[derive(Default)]
#[pegboard::plugin(name = "sleepy", version = "0.1.0", api = "0.1", kind = Echo, lifecycle)]
pub struct Sleepy;
impl Echo for Sleepy {
    fn echo<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(std::future::pending())
    }
}
impl Lifecycle for Sleepy {
    async fn start(&self) -> Result<(), BoxError> {
        Ok(())
    }
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
pub struct StrictConfig {
    level: u8,
    volume: u8,
}

#[pegboard::plugin(name = "strict", version = "0.1.0", api = "0.1", kind = Echo, config = StrictConfig)]
pub struct Strict;
impl From<StrictConfig> for Strict {
    fn from(_: StrictConfig) -> Self {
        Strict
    }
}
impl Echo for Strict {
    fn echo<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<String, String>> {
        unreachable!("invalid config")
    }
}

#[tokio::test]
async fn events_have_stable_names_and_fields() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let config =
        "[dispatch.echo]\ntimeout_ms = 20\n[plugins.echo.strict]\nlevel = \"high\"\nvolume = -1\n";
    // An override for a kind that does not exist is a warning, not a
    // refusal of the composition.
    let registry = Arc::new(
        Registry::builder()
            .config(Document::from_toml_str(config).unwrap())
            .env([("PEGBOARD_TIMEOUT_ECHOO_MS", "5")])
            .build()
            .unwrap(),
    );
    let supervisor = Supervisor::new(registry.clone());
    supervisor.start().await;
    registry
        .dispatch::<dyn Echo>()
        .fan_out(|e| async move { e.echo("hi").await })
        .await;
    supervisor.shutdown().await;

    let events = capture.0.lock().unwrap().clone();
    let find = |name: &str, plugin: &str| {
        events
            .iter()
            .find(|e| {
                e.name == name && e.fields.get("plugin_id").map(String::as_str) == Some(plugin)
            })
            .unwrap_or_else(|| panic!("no {name} for {plugin} in {events:#?}"))
            .fields
            .clone()
    };

    // One event per error of the plugin's section.
    let strict: Vec<_> = events
        .iter()
        .filter(|e| {
            e.name == "plugin.registry.validation_error"
                && e.fields.get("plugin_id").map(String::as_str) == Some("echo.strict")
        })
        .collect();
    assert_eq!(strict.len(), 2, "{strict:#?}");
    for (e, path) in strict
        .iter()
        .zip(["/plugins/echo/strict/level", "/plugins/echo/strict/volume"])
    {
        assert_eq!(e.fields["error_type"], "invalid_config");
        assert!(e.fields["error"].contains(path), "{path}: {e:?}");
    }
    let warning = events
        .iter()
        .find(|e| e.name == "plugin.registry.validation_warning")
        .unwrap_or_else(|| panic!("no validation_warning in {events:#?}"));
    assert_eq!(warning.fields["error_type"], "unknown_kind");
    assert_eq!(warning.fields["suggestion"], "PEGBOARD_TIMEOUT_ECHO_MS");

    for plugin in ["echo.fine", "echo.grumpy", "echo.sleepy"] {
        let start = find("plugin.dispatch.start", plugin);
        assert_eq!(start["capability"], "echo");
    }
    let done = find("plugin.dispatch.complete", "echo.fine");
    assert_eq!(
        done["message"], "plugin.dispatch.complete",
        "the name is the message too"
    );
    assert_eq!(done["result"], "ok");
    assert_eq!(done["capability"], "echo");
    assert!(done["duration_ms"].parse::<f64>().is_ok(), "{done:?}");
    let err = find("plugin.dispatch.error", "echo.grumpy");
    assert_eq!(
        (err["result"].as_str(), err["error_type"].as_str()),
        ("error", "error")
    );
    assert_eq!(err["error"], "no");
    let timeout = find("plugin.dispatch.timeout", "echo.sleepy");
    assert_eq!(
        (timeout["result"].as_str(), timeout["error_type"].as_str()),
        ("timeout", "timeout")
    );

    for name in [
        "plugin.lifecycle.starting",
        "plugin.lifecycle.running",
        "plugin.lifecycle.stopping",
        "plugin.lifecycle.stopped",
    ] {
        let e = find(name, "echo.fine");
        assert_eq!(e["state"], name.trim_start_matches("plugin.lifecycle."));
    }
    let failed = find("plugin.lifecycle.failed", "echo.strict");
    assert_eq!(failed["error_type"], "invalid_config");

    // Log filters name the target (`RUST_LOG=pegboard::telemetry=debug`), so
    // it stays what it was when the events were first documented, wherever
    // the code that emits them lives.
    for e in events.iter().filter(|e| {
        e.name.starts_with("plugin.dispatch.")
            || e.name.starts_with("plugin.lifecycle.")
            || e.name == "plugin.registry.validation_error"
    }) {
        assert_eq!(e.target, "pegboard::telemetry", "{e:?}");
    }
}
