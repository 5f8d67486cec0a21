//! `classifier.chaos`: a fault-injection plugin, **for demos and tests only**.
//!
//! It lets an operator, a demo or an external test suite make one plugin
//! misbehave on purpose, at one chosen point of its life, and watch the host
//! cope: its supervisor time out a hook, mark the plugin failed, keep the
//! others running; its dispatcher catch a panic or abandon a call that hangs
//! while the other classifiers still answer.
//!
//! Its section `[plugins.classifier.chaos]` has exactly four keys, one per
//! point where it can misbehave; each takes one of the [`Behavior`]s `"ok"`,
//! `"error"`, `"panic"` or `"hang"`, and defaults to `"ok"`:
//!
//! | key | what it controls | `"error"` gives |
//! |---|---|---|
//! | `on_start` | the [`Lifecycle::start`] hook | `Err("chaos: injected start error")` |
//! | `on_health` | the [`Lifecycle::health`] hook | `Health::unhealthy("chaos: injected unhealthy")` |
//! | `on_classify` | [`Classifier::classify`] | `Err(ClassifyError("chaos: injected classify error"))` |
//! | `on_stop` | the [`Lifecycle::stop`] hook | `Err("chaos: injected stop error")` |
//!
//! `"ok"` behaves well (`classify` answers the tag `chaos`), `"panic"`
//! panics (`"chaos: injected <point> panic"`), and `"hang"` never returns:
//! the async hooks wait forever (the supervisor's timeout ends them) and
//! `classify` blocks its thread forever (the host abandons the call at its
//! dispatch timeout; the thread stays blocked).
//!
//! ```toml
//! [plugins.classifier.chaos]
//! on_start = "ok"
//! on_health = "ok"
//! on_classify = "hang"
//! on_stop = "ok"
//! ```
#![warn(missing_docs)]

use std::borrow::Cow;
use std::time::Duration;

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::{BoxError, Health, Lifecycle};

/// What the plugin does at one point of its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Behavior {
    /// Behave well (`"ok"`).
    #[default]
    Ok,
    /// Return an error, or report unhealthy for `on_health` (`"error"`).
    Error,
    /// Panic (`"panic"`).
    Panic,
    /// Never return (`"hang"`).
    Hang,
}

impl Behavior {
    /// Every behavior, in the order of the schema.
    pub const ALL: [Behavior; 4] = [
        Behavior::Ok,
        Behavior::Error,
        Behavior::Panic,
        Behavior::Hang,
    ];

    /// The behavior's name as written in the config (`"hang"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Behavior::Ok => "ok",
            Behavior::Error => "error",
            Behavior::Panic => "panic",
            Behavior::Hang => "hang",
        }
    }
}

/// A plain string enum of exactly the four names (the derive would describe
/// each variant in a `oneOf`, which gives operators vaguer errors).
impl schemars::JsonSchema for Behavior {
    fn schema_name() -> Cow<'static, str> {
        "Behavior".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "What the plugin does at this point: \"ok\" behaves well, \"error\" fails, \"panic\" panics, \"hang\" never returns.",
            "type": "string",
            "enum": Behavior::ALL.map(Behavior::as_str),
        })
    }
}

/// Configuration of `[plugins.classifier.chaos]`: what to do at each point.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(default)]
pub struct ChaosConfig {
    /// What the `start` hook does.
    pub on_start: Behavior,
    /// What the `health` hook does (`"error"` reports unhealthy).
    pub on_health: Behavior,
    /// What `classify` does (`"hang"` blocks the calling thread for good).
    pub on_classify: Behavior,
    /// What the `stop` hook does.
    pub on_stop: Behavior,
}

/// Misbehaves on demand, for demos and tests (see the crate docs).
#[pegboard::plugin(name = "chaos", version = "0.1.0", api = "0.1", kind = Classifier, config = ChaosConfig, lifecycle)]
pub struct Chaos {
    config: ChaosConfig,
}

impl From<ChaosConfig> for Chaos {
    fn from(config: ChaosConfig) -> Self {
        Chaos { config }
    }
}

/// An async hook's answer: `Ok(())`, the injected error, a panic, or never.
async fn hook(behavior: Behavior, point: &str) -> Result<(), BoxError> {
    match behavior {
        Behavior::Ok => Ok(()),
        Behavior::Error => Err(format!("chaos: injected {point} error").into()),
        Behavior::Panic => panic!("chaos: injected {point} panic"),
        Behavior::Hang => std::future::pending().await,
    }
}

impl Lifecycle for Chaos {
    async fn start(&self) -> Result<(), BoxError> {
        hook(self.config.on_start, "start").await
    }

    async fn stop(&self) -> Result<(), BoxError> {
        hook(self.config.on_stop, "stop").await
    }

    async fn health(&self) -> Health {
        match self.config.on_health {
            Behavior::Ok => Health::healthy(),
            Behavior::Error => Health::unhealthy("chaos: injected unhealthy"),
            Behavior::Panic => panic!("chaos: injected health panic"),
            Behavior::Hang => std::future::pending().await,
        }
    }
}

impl Classifier for Chaos {
    /// With `on_classify = "hang"` this blocks the calling thread forever:
    /// the host runs `classify` on tokio's blocking pool under a timeout,
    /// abandons the call when it expires, and the thread stays asleep.
    fn classify(&self, _text: &str) -> Result<Vec<String>, ClassifyError> {
        match self.config.on_classify {
            Behavior::Ok => Ok(vec!["chaos".into()]),
            Behavior::Error => Err(ClassifyError("chaos: injected classify error".into())),
            Behavior::Panic => panic!("chaos: injected classify panic"),
            Behavior::Hang => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn chaos(config: ChaosConfig) -> Arc<Chaos> {
        Arc::new(Chaos::from(config))
    }

    fn all(behavior: Behavior) -> ChaosConfig {
        ChaosConfig {
            on_start: behavior,
            on_health: behavior,
            on_classify: behavior,
            on_stop: behavior,
        }
    }

    fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    }

    /// Runs a hook on its own task and returns its panic message.
    async fn panics<F, T>(hook: F) -> String
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let err = tokio::spawn(hook).await.err().expect("the hook panics");
        assert!(err.is_panic());
        panic_message(&*err.into_panic())
    }

    #[test]
    fn defaults_are_ok_everywhere() {
        assert_eq!(ChaosConfig::default(), all(Behavior::Ok));
        assert_eq!(
            serde_json::to_value(ChaosConfig::default()).unwrap(),
            serde_json::json!({
                "on_start": "ok", "on_health": "ok", "on_classify": "ok", "on_stop": "ok"
            })
        );
        assert_eq!(
            toml::from_str::<ChaosConfig>("").unwrap(),
            ChaosConfig::default()
        );
    }

    #[test]
    fn toml_parses_every_behavior_for_every_key() {
        for behavior in Behavior::ALL {
            let name = behavior.as_str();
            let text = format!(
                "on_start = \"{name}\"\non_health = \"{name}\"\non_classify = \"{name}\"\non_stop = \"{name}\"\n"
            );
            assert_eq!(toml::from_str::<ChaosConfig>(&text).unwrap(), all(behavior));
        }
        let one: ChaosConfig = toml::from_str("on_classify = \"hang\"").unwrap();
        assert_eq!(
            one,
            ChaosConfig {
                on_classify: Behavior::Hang,
                ..ChaosConfig::default()
            }
        );
        assert!(toml::from_str::<ChaosConfig>("on_start = \"Panic\"").is_err());
        assert!(toml::from_str::<ChaosConfig>("on_start = \"explode\"").is_err());
    }

    #[test]
    fn schema_lists_exactly_the_four_keys_and_behaviors() {
        let schema = serde_json::to_value(schemars::schema_for!(ChaosConfig)).unwrap();
        let mut keys: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["on_classify", "on_health", "on_start", "on_stop"]);
        let behavior = &schema["$defs"]["Behavior"];
        assert_eq!(behavior["type"], "string");
        assert_eq!(
            behavior["enum"],
            serde_json::json!(["ok", "error", "panic", "hang"])
        );
    }

    #[test]
    fn classify_ok_and_error() {
        assert_eq!(
            chaos(all(Behavior::Ok)).classify("anything").unwrap(),
            ["chaos"]
        );
        let err = chaos(all(Behavior::Error))
            .classify("anything")
            .unwrap_err();
        assert_eq!(err.to_string(), "chaos: injected classify error");
    }

    #[test]
    fn classify_panic() {
        let plugin = chaos(all(Behavior::Panic));
        let payload = std::panic::catch_unwind(|| plugin.classify("anything")).unwrap_err();
        assert_eq!(panic_message(&*payload), "chaos: injected classify panic");
    }

    #[tokio::test]
    async fn hooks_ok() {
        let plugin = chaos(all(Behavior::Ok));
        plugin.start().await.unwrap();
        assert_eq!(plugin.health().await, Health::healthy());
        plugin.stop().await.unwrap();
    }

    #[tokio::test]
    async fn hooks_error() {
        let plugin = chaos(all(Behavior::Error));
        let err = plugin.start().await.unwrap_err();
        assert_eq!(err.to_string(), "chaos: injected start error");
        assert_eq!(
            plugin.health().await,
            Health::unhealthy("chaos: injected unhealthy")
        );
        let err = plugin.stop().await.unwrap_err();
        assert_eq!(err.to_string(), "chaos: injected stop error");
    }

    #[tokio::test]
    async fn hooks_panic() {
        let plugin = chaos(all(Behavior::Panic));
        let p = plugin.clone();
        assert_eq!(
            panics(async move { p.start().await }).await,
            "chaos: injected start panic"
        );
        let p = plugin.clone();
        assert_eq!(
            panics(async move { p.health().await }).await,
            "chaos: injected health panic"
        );
        let p = plugin.clone();
        assert_eq!(
            panics(async move { p.stop().await }).await,
            "chaos: injected stop panic"
        );
    }

    #[tokio::test]
    async fn hooks_hang() {
        let plugin = chaos(all(Behavior::Hang));
        let limit = Duration::from_millis(20);
        assert!(tokio::time::timeout(limit, plugin.start()).await.is_err());
        assert!(tokio::time::timeout(limit, plugin.health()).await.is_err());
        assert!(tokio::time::timeout(limit, plugin.stop()).await.is_err());
    }

    #[tokio::test]
    async fn each_key_controls_only_its_point() {
        let plugin = chaos(ChaosConfig {
            on_start: Behavior::Error,
            ..ChaosConfig::default()
        });
        assert!(plugin.start().await.is_err());
        assert_eq!(plugin.health().await, Health::healthy());
        assert_eq!(plugin.classify("x").unwrap(), ["chaos"]);
        plugin.stop().await.unwrap();
    }

    /// Through the real framework: validator, supervisor and dispatcher.
    mod in_a_registry {
        use std::sync::Arc;

        use pegboard::config::Document;
        use pegboard::{CallResult, Failure, PluginState, Registry, Stage, Supervisor};

        use super::*;

        const ID: &str = "classifier.chaos";

        fn registry(section: &str) -> Arc<Registry> {
            let text = format!(
                "[supervision]\nstart_timeout_ms = 50\nstop_timeout_ms = 50\n\n\
                 [supervision.restart]\npolicy = \"never\"\n\n\
                 [plugins.classifier.chaos]\n{section}\n"
            );
            let document = Document::from_toml_str(&text).unwrap();
            Arc::new(Registry::builder().config(document).build().unwrap())
        }

        fn config_errors(section: &str) -> Vec<String> {
            match registry(section).plugin(ID).unwrap().failure {
                Some(Failure::Config { errors }) => errors.iter().map(|e| e.to_string()).collect(),
                other => panic!("expected a config failure, got {other:?}"),
            }
        }

        #[test]
        fn the_validator_accepts_the_four_behaviors_only() {
            for behavior in Behavior::ALL {
                let r = registry(&format!("on_start = \"{}\"", behavior.as_str()));
                assert_eq!(r.state(ID), Some(PluginState::Configured), "{behavior:?}");
            }
            let errors = config_errors("on_start = \"explode\"");
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].contains("/plugins/classifier/chaos/on_start"),
                "{errors:?}"
            );
            let errors = config_errors("on_boot = \"ok\"");
            assert!(errors[0].contains("on_boot"), "{errors:?}");
        }

        async fn start_failure(behavior: Behavior) -> Failure {
            let r = registry(&format!("on_start = \"{}\"", behavior.as_str()));
            let supervisor = Supervisor::new(r.clone());
            let report = supervisor.start().await;
            supervisor.shutdown().await;
            assert!(report.running.is_empty());
            r.plugin(ID).unwrap().failure.expect("start fails")
        }

        #[tokio::test]
        async fn the_supervisor_records_injected_start_failures() {
            assert_eq!(
                start_failure(Behavior::Error).await,
                Failure::Error {
                    stage: Stage::Start,
                    message: "chaos: injected start error".into()
                }
            );
            assert_eq!(
                start_failure(Behavior::Panic).await,
                Failure::Panic {
                    stage: Stage::Start,
                    message: "chaos: injected start panic".into()
                }
            );
            let hang = start_failure(Behavior::Hang).await;
            assert_eq!(hang.kind(), "timeout", "{hang:?}");
        }

        #[tokio::test]
        async fn a_hanging_stop_is_bounded_by_its_timeout() {
            let r = registry("on_stop = \"hang\"");
            let supervisor = Supervisor::new(r.clone());
            assert_eq!(supervisor.start().await.running, [ID]);
            tokio::time::timeout(Duration::from_secs(5), supervisor.shutdown())
                .await
                .expect("shutdown ends at the stop timeout");
        }

        #[tokio::test]
        async fn the_dispatcher_reports_classify_errors_and_panics() {
            for (behavior, result, message) in [
                (Behavior::Ok, CallResult::Ok, None),
                (
                    Behavior::Error,
                    CallResult::Error,
                    Some("chaos: injected classify error"),
                ),
                (
                    Behavior::Panic,
                    CallResult::Panic,
                    Some("chaos: injected classify panic"),
                ),
            ] {
                let r = registry(&format!("on_classify = \"{}\"", behavior.as_str()));
                let supervisor = Supervisor::new(r.clone());
                supervisor.start().await;
                let outcome = r
                    .dispatch::<dyn Classifier>()
                    .fan_out_blocking(|c| c.classify("text"))
                    .await;
                let mine = &outcome.outcomes[0];
                assert_eq!((mine.plugin, mine.result), (ID, result), "{behavior:?}");
                if let Some(message) = message {
                    assert!(mine.error.as_deref().unwrap().contains(message), "{mine:?}");
                } else {
                    assert_eq!(mine.value.as_deref(), Some(&["chaos".to_owned()][..]));
                }
                supervisor.shutdown().await;
            }
        }
    }
}
