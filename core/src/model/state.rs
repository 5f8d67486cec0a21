//! Plugin states and the reasons a plugin is not usable.

use std::fmt;

use serde::Serialize;

use crate::model::config_error::ConfigError;

/// Where a plugin is in its life (SPEC L3).
///
/// A freshly built registry holds plugins in `Configured`, `Failed`,
/// `Disabled` or `Blocked`; the supervisor moves them on from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginState {
    /// Discovered, not yet configured.
    Registered,
    /// Configuration valid, dependencies resolved: ready to build and start.
    Configured,
    /// `start` is running.
    Starting,
    /// Started and healthy.
    Running,
    /// Started, but its health check reports degraded or unhealthy.
    Degraded,
    /// `stop` is running.
    Stopping,
    /// Stopped.
    Stopped,
    /// Failed on its own account; see its [`Failure`].
    Failed,
    /// Disabled by configuration.
    Disabled,
    /// Not started because a dependency is not available.
    Blocked,
}

impl PluginState {
    /// Every state, in lifecycle order.
    pub const ALL: [PluginState; 10] = [
        PluginState::Registered,
        PluginState::Configured,
        PluginState::Starting,
        PluginState::Running,
        PluginState::Degraded,
        PluginState::Stopping,
        PluginState::Stopped,
        PluginState::Failed,
        PluginState::Disabled,
        PluginState::Blocked,
    ];

    /// This state's position in [`ALL`](Self::ALL).
    pub fn index(self) -> u8 {
        self as u8
    }

    /// Whether the plugin is started and can be called (running or degraded).
    pub fn is_up(self) -> bool {
        matches!(self, PluginState::Running | PluginState::Degraded)
    }

    /// The state's name as in APIs and logs (`"running"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PluginState::Registered => "registered",
            PluginState::Configured => "configured",
            PluginState::Starting => "starting",
            PluginState::Running => "running",
            PluginState::Degraded => "degraded",
            PluginState::Stopping => "stopping",
            PluginState::Stopped => "stopped",
            PluginState::Failed => "failed",
            PluginState::Disabled => "disabled",
            PluginState::Blocked => "blocked",
        }
    }
}

impl fmt::Display for PluginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in a plugin's life something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Building the instance from its config.
    Construct,
    /// The `start` hook.
    Start,
    /// The `stop` hook.
    Stop,
    /// The `health` hook.
    Health,
}

impl Stage {
    /// The stage's name (`"start"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Construct => "construct",
            Stage::Start => "start",
            Stage::Stop => "stop",
            Stage::Health => "health",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a plugin is failed, disabled or blocked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Failure {
    /// Its configuration section is invalid.
    Config {
        /// Every error found in the section.
        errors: Vec<ConfigError>,
    },
    /// It was built against an incompatible API version (checked again at run time).
    IncompatibleApi {
        /// The message naming both versions.
        message: String,
    },
    /// Its own metadata is invalid (only possible for hand-written descriptors).
    InvalidDescriptor {
        /// What is wrong.
        message: String,
    },
    /// A required dependency is not compiled in.
    MissingDependency {
        /// The dependency as written (`store.memory@^1`).
        dependency: String,
    },
    /// A dependency is present but its version does not satisfy the requirement.
    DependencyVersion {
        /// The dependency as written.
        dependency: String,
        /// The id that was found.
        found: String,
        /// Its version.
        version: String,
    },
    /// A dependency written as a bare name matches plugins of several kinds.
    AmbiguousDependency {
        /// The dependency as written.
        dependency: String,
        /// Every id it could mean.
        candidates: Vec<String>,
    },
    /// It is on a dependency cycle.
    Cycle {
        /// The cycle, starting and ending with this plugin.
        path: Vec<String>,
    },
    /// Its constructor or a hook returned an error.
    Error {
        /// Where.
        stage: Stage,
        /// The error's message.
        message: String,
    },
    /// Its constructor or a hook panicked.
    Panic {
        /// Where.
        stage: Stage,
        /// The panic message.
        message: String,
    },
    /// Its constructor or a hook did not finish within its timeout.
    Timeout {
        /// Where.
        stage: Stage,
        /// What the limit was.
        message: String,
    },
    /// Its health checks reported unhealthy too many times in a row.
    Unhealthy {
        /// The last check's message.
        message: String,
    },
    /// `enabled = false` in its section.
    Disabled,
    /// A required dependency is not available.
    Blocked {
        /// This plugin, its dependency, ..., the plugin that failed.
        chain: Vec<String>,
        /// What happened to the last plugin of the chain.
        cause: String,
    },
}

impl Failure {
    /// The state a plugin with this failure is in.
    pub fn state(&self) -> PluginState {
        match self {
            Failure::Disabled => PluginState::Disabled,
            Failure::Blocked { .. } => PluginState::Blocked,
            _ => PluginState::Failed,
        }
    }

    /// A short machine-readable name (`"invalid_config"`, `"panic"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Config { .. } => "invalid_config",
            Failure::IncompatibleApi { .. } => "incompatible_api",
            Failure::InvalidDescriptor { .. } => "invalid_descriptor",
            Failure::MissingDependency { .. } => "missing_dependency",
            Failure::DependencyVersion { .. } => "dependency_version",
            Failure::AmbiguousDependency { .. } => "ambiguous_dependency",
            Failure::Cycle { .. } => "cycle",
            Failure::Error { .. } => "error",
            Failure::Panic { .. } => "panic",
            Failure::Timeout { .. } => "timeout",
            Failure::Unhealthy { .. } => "unhealthy",
            Failure::Disabled => "disabled",
            Failure::Blocked { .. } => "blocked",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config { errors } => {
                write!(f, "invalid configuration: ")?;
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Failure::IncompatibleApi { message } => write!(f, "incompatible API: {message}"),
            Failure::InvalidDescriptor { message } => write!(f, "invalid descriptor: {message}"),
            Failure::MissingDependency { dependency } => {
                write!(f, "missing dependency `{dependency}`")
            }
            Failure::DependencyVersion {
                dependency,
                found,
                version,
            } => write!(
                f,
                "dependency `{dependency}` is not satisfied: found {found} {version}"
            ),
            Failure::AmbiguousDependency {
                dependency,
                candidates,
            } => write!(
                f,
                "dependency `{dependency}` is ambiguous: it could be {}; write `kind.name`",
                candidates.join(" or ")
            ),
            Failure::Cycle { path } => write!(f, "dependency cycle: {}", path.join(" -> ")),
            Failure::Error { stage, message } => write!(f, "{stage} error: {message}"),
            Failure::Panic { stage, message } => write!(f, "{stage} panic: {message}"),
            Failure::Timeout { stage, message } => write!(f, "{stage} timeout: {message}"),
            Failure::Unhealthy { message } => write!(f, "unhealthy: {message}"),
            Failure::Disabled => write!(f, "disabled by configuration"),
            Failure::Blocked { chain, cause } => {
                write!(f, "blocked: {}", chain.join(" -> "))?;
                write!(f, " ({cause})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_indices_match_all() {
        for (i, state) in PluginState::ALL.iter().enumerate() {
            assert_eq!(usize::from(state.index()), i, "{state}");
        }
    }
}
