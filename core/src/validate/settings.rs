//! Runtime settings: how plugins are supervised and how calls to them are
//! dispatched.
//!
//! They live in the same TOML file as the plugins' own configuration, in
//! sections pegboard owns, and are resolved by
//! [`ConfigValidator::validate`](crate::validate::config::ConfigValidator::validate)
//! into [`Settings`] (in [`Validated::settings`](crate::validate::config::Validated::settings)):
//!
//! ```toml
//! # Every plugin (all fields optional; these are the defaults).
//! [supervision]
//! start_timeout_ms = 30000
//! stop_timeout_ms = 30000
//! health_timeout_ms = 5000
//! health_interval_ms = 10000    # 0: no periodic health checks
//! unhealthy_threshold = 3
//!
//! [supervision.restart]
//! policy = "on-failure"         # or "never"
//! max_restarts = 5
//! window_ms = 60000
//! backoff_initial_ms = 100
//! backoff_max_ms = 30000
//! backoff_multiplier = 2.0
//!
//! # One plugin: any subset, laid over [supervision] field by field.
//! [plugins.store.memory]
//! supervision = { start_timeout_ms = 2000, restart = { max_restarts = 1 } }
//!
//! # Calls to the plugins of one kind.
//! [dispatch.store]
//! timeout_ms = 5000
//! max_input_bytes = 1048576     # optional payload guards
//! max_output_bytes = 1048576
//! ```
//!
//! The dispatch timeout of a kind can also be set with the environment
//! variable `PEGBOARD_TIMEOUT_<KIND>_MS` (see [`config`](crate::validate::config)).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How plugins are supervised: hook timeouts, periodic health checks and
/// the restart policy.
///
/// Globally in `[supervision]`, and per plugin with `supervision = { ... }`
/// inside the plugin's section: any subset of the fields, laid over the
/// global settings (the nested `restart` table merged field by field).
///
/// ```toml
/// [supervision]
/// start_timeout_ms = 30000
/// stop_timeout_ms = 30000
/// health_timeout_ms = 5000
/// health_interval_ms = 10000
/// unhealthy_threshold = 3
///
/// [supervision.restart]
/// policy = "on-failure"
///
/// [plugins.store.memory]
/// supervision = { health_interval_ms = 0, restart = { policy = "never" } }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Supervision {
    /// Time allowed for a plugin's `start` hook, in milliseconds (default 30000).
    #[schemars(range(min = 1))]
    pub start_timeout_ms: u64,
    /// Time allowed for a plugin's `stop` hook, in milliseconds (default 30000).
    #[schemars(range(min = 1))]
    pub stop_timeout_ms: u64,
    /// Time allowed for one health check, in milliseconds (default 5000); a
    /// check that takes longer counts as unhealthy.
    #[schemars(range(min = 1))]
    pub health_timeout_ms: u64,
    /// Time between periodic health checks, in milliseconds (default 10000);
    /// the first check runs right after the plugin's start succeeds. 0
    /// disables health checks (the first one too).
    pub health_interval_ms: u64,
    /// Consecutive unhealthy checks before the plugin counts as failed (and
    /// is restarted according to the restart policy); default 3.
    #[schemars(range(min = 1, max = u32::MAX))]
    pub unhealthy_threshold: u32,
    /// What happens when the plugin fails.
    pub restart: Restart,
}

impl Default for Supervision {
    fn default() -> Self {
        Supervision {
            start_timeout_ms: 30_000,
            stop_timeout_ms: 30_000,
            health_timeout_ms: 5_000,
            health_interval_ms: 10_000,
            unhealthy_threshold: 3,
            restart: Restart::default(),
        }
    }
}

impl Supervision {
    /// `start_timeout_ms` as a [`Duration`].
    pub fn start_timeout(&self) -> Duration {
        Duration::from_millis(self.start_timeout_ms)
    }

    /// `stop_timeout_ms` as a [`Duration`].
    pub fn stop_timeout(&self) -> Duration {
        Duration::from_millis(self.stop_timeout_ms)
    }

    /// `health_timeout_ms` as a [`Duration`].
    pub fn health_timeout(&self) -> Duration {
        Duration::from_millis(self.health_timeout_ms)
    }

    /// `health_interval_ms` as a [`Duration`]; `None` when it is 0 (no
    /// periodic health checks).
    pub fn health_interval(&self) -> Option<Duration> {
        (self.health_interval_ms > 0).then(|| Duration::from_millis(self.health_interval_ms))
    }
}

/// The restart policy of a plugin that failed (its start hook failed,
/// or its health checks crossed the unhealthy threshold): the
/// `[supervision.restart]` table, or `restart = { ... }` inside a plugin's
/// `supervision`.
///
/// ```toml
/// [supervision.restart]
/// policy = "on-failure"      # or "never"
/// max_restarts = 5           # at most 5 restarts...
/// window_ms = 60000          # ...within any 60 s; then the plugin stays failed
/// backoff_initial_ms = 100   # wait before the first restart
/// backoff_max_ms = 30000     # the wait never exceeds this
/// backoff_multiplier = 2.0   # each further restart waits this much longer
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Restart {
    /// Whether a failed plugin is restarted (default `on-failure`).
    pub policy: RestartPolicy,
    /// The restart budget: at most this many restarts within `window_ms`
    /// (default 5); once it is spent the plugin stays failed.
    #[schemars(range(max = u32::MAX))]
    pub max_restarts: u32,
    /// The window of the restart budget, in milliseconds (default 60000).
    #[schemars(range(min = 1))]
    pub window_ms: u64,
    /// Wait before the first restart, in milliseconds (default 100).
    pub backoff_initial_ms: u64,
    /// Upper bound of the wait before a restart, in milliseconds (default 30000).
    #[schemars(range(min = 1))]
    pub backoff_max_ms: u64,
    /// Factor between the waits of consecutive restarts (default 2.0, at least 1.0).
    #[schemars(range(min = 1.0))]
    pub backoff_multiplier: f64,
}

impl Default for Restart {
    fn default() -> Self {
        Restart {
            policy: RestartPolicy::OnFailure,
            max_restarts: 5,
            window_ms: 60_000,
            backoff_initial_ms: 100,
            backoff_max_ms: 30_000,
            backoff_multiplier: 2.0,
        }
    }
}

impl Restart {
    /// The wait before restart number `n` (1-based; 0 counts as 1):
    /// `backoff_initial_ms * backoff_multiplier^(n-1)` milliseconds, rounded
    /// down to a whole millisecond and capped at `backoff_max_ms`.
    ///
    /// ```
    /// # extern crate pegboard_core as pegboard;
    /// use pegboard::settings::Restart;
    /// use std::time::Duration;
    ///
    /// let restart = Restart { backoff_max_ms: 1_000, ..Restart::default() };
    /// let waits: Vec<u128> = (1..=6).map(|n| restart.backoff(n).as_millis()).collect();
    /// assert_eq!(waits, [100, 200, 400, 800, 1_000, 1_000]);
    /// assert_eq!(restart.backoff(u32::MAX), Duration::from_secs(1));
    /// ```
    pub fn backoff(&self, n: u32) -> Duration {
        let max = self.backoff_max_ms;
        let exponent = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX);
        let millis = self.backoff_initial_ms as f64 * self.backoff_multiplier.powi(exponent);
        let millis = if millis.is_nan() || millis >= max as f64 {
            max
        } else if millis <= 0.0 {
            0
        } else {
            // Below `max`, so it fits in a u64.
            (millis as u64).min(max)
        };
        Duration::from_millis(millis)
    }
}

/// Whether a failed plugin is restarted.
///
/// ```toml
/// [supervision.restart]
/// policy = "never"
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// `"never"`: a failed plugin stays failed.
    Never,
    /// `"on-failure"`: a failed plugin is restarted (a fresh instance) with
    /// exponential backoff, within the restart budget.
    #[default]
    OnFailure,
}

// Written by hand so the schema is a plain `enum` of strings (a typo is then
// reported as "not one of ...", rather than "not valid under any of the
// schemas listed in the 'oneOf' keyword", which the derive's documented
// variants would give).
impl JsonSchema for RestartPolicy {
    fn schema_name() -> Cow<'static, str> {
        "RestartPolicy".into()
    }

    fn schema_id() -> Cow<'static, str> {
        concat!(module_path!(), "::RestartPolicy").into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Whether a failed plugin is restarted: \"never\", or \"on-failure\" (with exponential backoff, within the restart budget).",
            "type": "string",
            "enum": ["never", "on-failure"]
        })
    }
}

/// How calls to the plugins of one kind are dispatched: the
/// `[dispatch.<kind>]` section.
///
/// ```toml
/// [dispatch.store]
/// timeout_ms = 5000             # per call; PEGBOARD_TIMEOUT_STORE_MS overrides it
/// max_input_bytes = 1048576     # optional: larger inputs are rejected
/// max_output_bytes = 1048576    # optional: larger outputs are rejected
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KindDispatch {
    /// Time allowed for one call, in milliseconds (default 5000).
    #[schemars(range(min = 1))]
    pub timeout_ms: u64,
    /// Payload guard: calls whose input is larger than this many bytes are
    /// rejected without reaching the plugin (default: no limit).
    pub max_input_bytes: Option<u64>,
    /// Payload guard: results larger than this many bytes are rejected
    /// (default: no limit).
    pub max_output_bytes: Option<u64>,
}

impl Default for KindDispatch {
    fn default() -> Self {
        KindDispatch {
            timeout_ms: 5_000,
            max_input_bytes: None,
            max_output_bytes: None,
        }
    }
}

impl KindDispatch {
    /// `timeout_ms` as a [`Duration`].
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Everything resolved from one document: [`Validated::settings`](crate::validate::config::Validated::settings).
///
/// Defaults fill in wherever a section is absent or invalid (an invalid
/// section is also reported as an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Global supervision (from `[supervision]`).
    pub supervision: Supervision,
    /// The plugins whose settings differ from the global ones, by plugin
    /// index (in the validator's plugin order), sorted: most plugins of a
    /// composition have none, and a copy of the global settings for each
    /// was most of what validating their (absent) sections wrote.
    overrides: Vec<(usize, Supervision)>,
    /// The kinds whose `[dispatch.<kind>]` section is valid and sets
    /// something other than the defaults; every other kind has the
    /// defaults, which [`dispatch`](Self::dispatch) fills in.
    pub dispatch: BTreeMap<String, KindDispatch>,
}

impl Settings {
    /// Settings with these global supervision and dispatch settings and no
    /// per-plugin overrides yet.
    pub(crate) fn new(supervision: Supervision, dispatch: BTreeMap<String, KindDispatch>) -> Self {
        Settings {
            supervision,
            overrides: Vec::new(),
            dispatch,
        }
    }

    /// Records plugin `i`'s settings, after those of every plugin before it.
    pub(crate) fn set_plugin(&mut self, i: usize, supervision: Supervision) {
        debug_assert!(self.overrides.last().is_none_or(|(j, _)| *j < i));
        if supervision != self.supervision {
            self.overrides.push((i, supervision));
        }
    }

    /// The supervision settings of plugin `i` (in the validator's plugin
    /// order): the global settings with that plugin's `supervision`
    /// overrides laid over them.
    ///
    /// ```
    /// # extern crate pegboard_core as pegboard;
    /// use pegboard::config::{ConfigValidator, Document, PluginSchema};
    ///
    /// let empty = || serde_json::json!({});
    /// let validator = ConfigValidator::new([
    ///     PluginSchema::new("store", "file", None, empty()),
    ///     PluginSchema::new("store", "memory", None, empty()),
    /// ]);
    /// let doc = Document::from_toml_str(
    ///     "[supervision]\nstart_timeout_ms = 500\n\
    ///      [plugins.store.file.supervision]\nstart_timeout_ms = 100\n",
    /// )
    /// .unwrap();
    /// let settings = validator.validate(&doc).settings;
    /// assert_eq!(settings.plugin(0).start_timeout_ms, 100);
    /// assert_eq!(settings.plugin(1).start_timeout_ms, 500);
    /// ```
    pub fn plugin(&self, i: usize) -> &Supervision {
        match self.overrides.binary_search_by_key(&i, |(j, _)| *j) {
            Ok(k) => &self.overrides[k].1,
            Err(_) => &self.supervision,
        }
    }

    /// The dispatch settings of `kind`; the defaults for an unknown kind.
    pub fn dispatch(&self, kind: &str) -> KindDispatch {
        self.dispatch.get(kind).cloned().unwrap_or_default()
    }
}
