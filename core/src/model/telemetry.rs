//! Structured `tracing` events (SPEC T2). Every event has a stable name
//! (`plugin.dispatch.complete`, ...), which is also its message (so it shows
//! in human and JSON output alike), and the fields `plugin_id`,
//! `capability`, `result`, `duration_ms`, `error_type` where they apply, so
//! log pipelines can match on them whether the host prints human or JSON
//! logs.
//!
//! | event | level | fields |
//! |---|---|---|
//! | `plugin.dispatch.start` | TRACE | `plugin_id`, `capability` |
//! | `plugin.dispatch.complete` | DEBUG | `plugin_id`, `capability`, `result`, `duration_ms` |
//! | `plugin.dispatch.error` | WARN | the same, `error_type` (`error`, `panic`, `rejected`, `skipped`), `error` |
//! | `plugin.dispatch.timeout` | WARN | the same, `error_type` = `timeout` |
//! | `plugin.registry.validation_error` | WARN | `plugin_id` (absent for document errors), `error_type`, `error` |
//! | `plugin.lifecycle.<state>` | INFO (WARN for `failed` and `blocked`) | `plugin_id`, `state`, `error_type`, `error` |

use std::time::Duration;

use tracing::Level;

use crate::model::call_result::CallResult;
use crate::model::state::{Failure, PluginState};

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::telemetry";

/// `plugin.dispatch.start`.
#[inline]
pub(crate) fn dispatch_start(plugin_id: &str, capability: &str) {
    tracing::event!(name: "plugin.dispatch.start", target: LOG_TARGET, Level::TRACE, plugin_id, capability, "plugin.dispatch.start");
}

/// `plugin.dispatch.complete|error|timeout`.
#[inline]
pub(crate) fn dispatch_end(
    plugin_id: &str,
    capability: &str,
    result: CallResult,
    duration: Duration,
    error: Option<&str>,
) {
    let duration_ms = duration.as_secs_f64() * 1000.0;
    let result_name = result.as_str();
    match result {
        CallResult::Ok => tracing::event!(
            name: "plugin.dispatch.complete",
            target: LOG_TARGET, Level::DEBUG,
            plugin_id,
            capability,
            result = result_name,
            duration_ms,
            "plugin.dispatch.complete"
        ),
        CallResult::Timeout => tracing::event!(
            name: "plugin.dispatch.timeout",
            target: LOG_TARGET, Level::WARN,
            plugin_id,
            capability,
            result = result_name,
            duration_ms,
            error_type = result_name,
            error = error.unwrap_or_default(),
            "plugin.dispatch.timeout"
        ),
        _ => tracing::event!(
            name: "plugin.dispatch.error",
            target: LOG_TARGET, Level::WARN,
            plugin_id,
            capability,
            result = result_name,
            duration_ms,
            error_type = result_name,
            error = error.unwrap_or_default(),
            "plugin.dispatch.error"
        ),
    }
}

/// `plugin.registry.validation_error`.
pub(crate) fn validation_error(plugin_id: Option<&str>, error_type: &str, error: &str) {
    match plugin_id {
        Some(plugin_id) => tracing::event!(
            name: "plugin.registry.validation_error",
            target: LOG_TARGET, Level::WARN,
            plugin_id,
            error_type,
            error,
            "plugin.registry.validation_error"
        ),
        None => tracing::event!(
            name: "plugin.registry.validation_error",
            target: LOG_TARGET, Level::WARN,
            error_type,
            error,
            "plugin.registry.validation_error"
        ),
    }
}

/// `plugin.registry.validation_warning`: a lenient config error (see
/// [`ConfigError::is_lenient`](crate::model::config_error::ConfigError::is_lenient)),
/// with its did-you-mean.
pub(crate) fn validation_warning(error_type: &str, error: &str, suggestion: Option<&str>) {
    tracing::event!(
        name: "plugin.registry.validation_warning",
        target: LOG_TARGET, Level::WARN,
        error_type,
        error,
        suggestion,
        "plugin.registry.validation_warning"
    );
}

/// [`lifecycle`], computing the plugin id only when the event's level is
/// enabled: a registry build emits one event per plugin, mostly at `DEBUG`,
/// which most hosts do not record.
pub(crate) fn lifecycle_lazy<'a>(
    plugin_id: impl FnOnce() -> &'a str,
    state: PluginState,
    failure: Option<&Failure>,
) {
    let level = match state {
        PluginState::Registered | PluginState::Configured => Level::DEBUG,
        PluginState::Degraded | PluginState::Failed | PluginState::Blocked => Level::WARN,
        _ => Level::INFO,
    };
    if level <= tracing::level_filters::STATIC_MAX_LEVEL
        && level <= tracing::level_filters::LevelFilter::current()
    {
        lifecycle(plugin_id(), state, failure);
    }
}

/// `plugin.lifecycle.<state>`.
pub(crate) fn lifecycle(plugin_id: &str, state: PluginState, failure: Option<&Failure>) {
    let state_name = state.as_str();
    let error_type = failure.map(Failure::kind).unwrap_or_default();
    let error = failure.map(ToString::to_string).unwrap_or_default();
    macro_rules! emit {
        ($name:literal, $level:expr) => {
            tracing::event!(name: $name, target: LOG_TARGET, $level, plugin_id, state = state_name, error_type, error = error.as_str(), $name)
        };
    }
    match state {
        PluginState::Registered => emit!("plugin.lifecycle.registered", Level::DEBUG),
        PluginState::Configured => emit!("plugin.lifecycle.configured", Level::DEBUG),
        PluginState::Starting => emit!("plugin.lifecycle.starting", Level::INFO),
        PluginState::Running => emit!("plugin.lifecycle.running", Level::INFO),
        PluginState::Degraded => emit!("plugin.lifecycle.degraded", Level::WARN),
        PluginState::Stopping => emit!("plugin.lifecycle.stopping", Level::INFO),
        PluginState::Stopped => emit!("plugin.lifecycle.stopped", Level::INFO),
        PluginState::Failed => emit!("plugin.lifecycle.failed", Level::WARN),
        PluginState::Disabled => emit!("plugin.lifecycle.disabled", Level::INFO),
        PluginState::Blocked => emit!("plugin.lifecycle.blocked", Level::WARN),
    }
}
