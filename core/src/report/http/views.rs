//! The JSON bodies of the read-only routes, built from [`Registry`] views.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Value, json};

use crate::model::counters::CounterSnapshot;
use crate::model::lifecycle::HealthStatus;
use crate::model::location::{Location, RemoteEndpoint};
use crate::model::state::{Failure, PluginState};
use crate::report::info::PluginInfo;
use crate::supervise::registry::Registry;

/// `GET /readyz`.
#[derive(Debug, Serialize)]
pub(super) struct Readiness {
    pub status: &'static str,
    /// Every enabled plugin: whether it counts as ready.
    pub plugins: BTreeMap<String, bool>,
}

impl Readiness {
    /// Ready when every enabled plugin is running, or degraded if
    /// `degraded_is_ready` ([`HttpOptions::ready_when_degraded`](super::HttpOptions::ready_when_degraded)).
    pub fn of(registry: &Registry, degraded_is_ready: bool) -> Self {
        let plugins: BTreeMap<String, bool> = registry
            .catalog()
            .ids()
            .filter_map(|id| {
                let state = registry.state(id)?;
                (state != PluginState::Disabled)
                    .then(|| (id.to_owned(), is_ready(state, degraded_is_ready)))
            })
            .collect();
        let ready = plugins.values().all(|&up| up);
        Readiness {
            status: if ready { "ready" } else { "not_ready" },
            plugins,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

/// Whether a plugin in `state` counts as ready.
fn is_ready(state: PluginState, degraded_is_ready: bool) -> bool {
    match state {
        PluginState::Running => true,
        PluginState::Degraded => degraded_is_ready,
        _ => false,
    }
}

/// `GET /api/plugins`.
#[derive(Debug, Serialize)]
pub(super) struct PluginList {
    pub count: usize,
    pub plugins: Vec<PluginView>,
}

/// One plugin of `GET /api/plugins`: every [`PluginInfo`] field at the top
/// level (with `location`, `node` and, outside the host's process,
/// `remote`), except that `capabilities` is the
/// [same list as the admin status](PluginInfo::capability_list) and
/// `health` is always there; plus `reason`, `healthy`, `status` and
/// `base_path`.
#[derive(Debug, Serialize)]
pub(super) struct PluginView {
    /// The [`PluginInfo`] fields but `capabilities` and `health`.
    #[serde(flatten)]
    pub info: serde_json::Map<String, Value>,
    /// Its kind, then its declared capabilities.
    pub capabilities: Vec<&'static str>,
    /// The last health check's answer; `{"status":"unknown"}` until the
    /// first check.
    pub health: Value,
    /// Running (not degraded) and its last health check, if any, healthy.
    pub healthy: bool,
    pub status: ServingStatus,
    /// Where a `routes` plugin's routes are mounted (`/api/<name>`); `null`
    /// for other kinds and for reserved names, which are not mounted.
    pub base_path: Option<String>,
    /// The failure's [`kind`](Failure::kind) (`"panic"`), `null` when none.
    pub reason: Option<&'static str>,
}

/// `status` of a `GET /api/plugins` entry.
#[derive(Debug, Serialize)]
pub(super) struct ServingStatus {
    /// Not disabled by configuration.
    pub enabled: bool,
    /// Its instance is built.
    pub initialized: bool,
    /// It is up (running or degraded): it can be called.
    pub serving: bool,
    /// The last error it had, kept after it recovers; `null` if none.
    pub last_error: Option<String>,
}

impl PluginList {
    /// Every plugin of `registry`; `base_path` says where a plugin's routes
    /// are mounted (`None`: it has none).
    pub fn of(registry: &Registry, base_path: impl Fn(&PluginInfo) -> Option<String>) -> Self {
        let plugins: Vec<PluginView> = registry
            .plugins()
            .into_iter()
            .map(|info| PluginView::of(base_path(&info), info))
            .collect();
        PluginList {
            count: plugins.len(),
            plugins,
        }
    }
}

impl PluginView {
    fn of(base_path: Option<String>, info: PluginInfo) -> Self {
        let healthy = info.state == PluginState::Running
            && info
                .health
                .as_ref()
                .is_none_or(|h| h.status == HealthStatus::Healthy);
        let health = match &info.health {
            Some(h) => serde_json::to_value(h)
                .unwrap_or_else(|e| json!({"status": "unknown", "message": e.to_string()})),
            None => json!({"status": "unknown"}),
        };
        let mut fields = match serde_json::to_value(&info) {
            Ok(Value::Object(map)) => map,
            // Not expected (every field serializes to JSON); keep the id.
            Ok(_) | Err(_) => serde_json::Map::from_iter([("id".to_owned(), json!(info.id))]),
        };
        fields.remove("capabilities");
        fields.remove("health");
        PluginView {
            info: fields,
            capabilities: info.capability_list(),
            health,
            healthy,
            status: ServingStatus {
                enabled: info.state != PluginState::Disabled,
                initialized: info.instantiated,
                serving: info.state.is_up(),
                last_error: info.last_error.clone(),
            },
            base_path,
            reason: info.failure.as_ref().map(Failure::kind),
        }
    }
}

/// `GET /api/v1/plugins/status`.
#[derive(Debug, Serialize)]
pub(super) struct StatusList {
    pub count: usize,
    pub plugins: Vec<StatusView>,
}

/// One plugin's admin diagnostics (SPEC H3).
#[derive(Debug, Serialize)]
pub(super) struct StatusView {
    pub id: String,
    /// `in_process`, `local_process` or `remote`.
    pub location: Location,
    /// The node it runs on (outside the host's process).
    pub node: Option<String>,
    /// How the host reaches it (outside the host's process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteEndpoint>,
    /// Not disabled by configuration.
    pub enabled: bool,
    /// Its instance is built and it is up (running or degraded).
    pub loaded: bool,
    pub state: PluginState,
    /// Its kind, then its declared capabilities.
    pub capabilities: Vec<&'static str>,
    pub validation: Validation,
    pub last_error: Option<String>,
    /// Why it cannot be called; `null` when it is up.
    pub unavailable_reason: Option<String>,
    /// Invocation counters by capability (the plugin's kind).
    pub counters: BTreeMap<&'static str, CounterSnapshot>,
    pub restarts: u32,
    #[serde(serialize_with = "crate::model::status::rfc3339")]
    pub last_updated_at: SystemTime,
}

/// The outcome of startup validation (metadata, API version, configuration,
/// dependencies), as opposed to what happened when it ran.
#[derive(Debug, Serialize)]
pub(super) struct Validation {
    /// `ok`, `failed`, or `skipped` (disabled plugins are not validated).
    pub status: &'static str,
    /// The failure's kind (`"invalid_config"`), `null` unless failed.
    pub reason: Option<&'static str>,
    /// The failure's message, `null` unless failed.
    pub message: Option<String>,
}

impl StatusList {
    pub fn of(registry: &Registry) -> Self {
        let plugins: Vec<StatusView> = registry.plugins().into_iter().map(StatusView::of).collect();
        StatusList {
            count: plugins.len(),
            plugins,
        }
    }
}

impl StatusView {
    fn of(info: PluginInfo) -> Self {
        let up = info.state.is_up();
        let capabilities = info.capability_list();
        let validation = match &info.failure {
            Some(Failure::Disabled) => Validation {
                status: "skipped",
                reason: None,
                message: None,
            },
            Some(f) if is_validation_failure(f) => Validation {
                status: "failed",
                reason: Some(f.kind()),
                message: Some(f.to_string()),
            },
            _ => Validation {
                status: "ok",
                reason: None,
                message: None,
            },
        };
        let unavailable_reason = match (&info.failure, up) {
            (_, true) => None,
            (Some(f), false) => Some(f.to_string()),
            (None, false) => Some(format!("not running (state {})", info.state)),
        };
        StatusView {
            enabled: info.state != PluginState::Disabled,
            loaded: info.instantiated && up,
            state: info.state,
            capabilities,
            validation,
            last_error: info.last_error,
            unavailable_reason,
            counters: BTreeMap::from([(info.kind, info.counters)]),
            restarts: info.restarts,
            last_updated_at: info.updated_at,
            location: info.location,
            node: info.node,
            remote: info.remote,
            id: info.id,
        }
    }
}

/// Failures found while the registry was built, before anything ran.
fn is_validation_failure(f: &Failure) -> bool {
    match f {
        Failure::Config { .. }
        | Failure::IncompatibleApi { .. }
        | Failure::InvalidDescriptor { .. }
        | Failure::MissingDependency { .. }
        | Failure::DependencyVersion { .. }
        | Failure::AmbiguousDependency { .. }
        | Failure::Cycle { .. } => true,
        Failure::Error { .. }
        | Failure::Panic { .. }
        | Failure::Timeout { .. }
        | Failure::Unhealthy { .. }
        | Failure::Disabled
        | Failure::Blocked { .. } => false,
    }
}
