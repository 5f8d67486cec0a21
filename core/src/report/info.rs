//! Serializable views of plugins for reports, the CLI and HTTP.

use serde::Serialize;

use std::time::SystemTime;

use crate::discover::catalog::Catalog;
use crate::model::counters::CounterSnapshot;
use crate::model::lifecycle::Health;
use crate::model::location::{Location, Placement, RemoteEndpoint};
use crate::model::state::{Failure, PluginState};
use crate::model::status::{Status, Transition};
use crate::order::dependencies::{self, Resolved};
use crate::supervise::registry::Registry;

/// Everything known about one plugin: its metadata (SPEC D5), where it is in
/// its life and, if it is not usable, why.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    /// `kind.name`.
    pub id: String,
    /// The kind.
    pub kind: &'static str,
    /// The name within the kind.
    pub name: &'static str,
    /// The plugin's version.
    pub version: &'static str,
    /// The API version it was built against.
    pub api: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// The crate that defines it.
    #[serde(rename = "crate")]
    pub crate_name: &'static str,
    /// That crate's version.
    pub crate_version: &'static str,
    /// Where the `#[pegboard::plugin]` attribute is.
    pub source: SourceLocation,
    /// Its declared dependencies and what they resolved to.
    pub dependencies: Vec<DependencyInfo>,
    /// Its declared capabilities.
    pub capabilities: &'static [&'static str],
    /// Whether it has a config type.
    pub has_config: bool,
    /// Where it runs: `in_process`, `local_process` or `remote` (SPEC R5).
    pub location: Location,
    /// The node it runs on, for plugins outside the host's process (as
    /// announced; `null` for compiled-in plugins).
    pub node: Option<String>,
    /// How the host reaches it, for plugins outside the host's process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteEndpoint>,
    /// Its state.
    pub state: PluginState,
    /// Why it is failed, disabled or blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Its start level (0 = no dependencies), if it can start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// Things worth knowing that are not failures (absent optional dependencies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether its instance has been built.
    pub instantiated: bool,
    /// The last health check's answer, once one has run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// When the last health check ran.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::model::status::rfc3339_opt"
    )]
    pub health_checked_at: Option<SystemTime>,
    /// The last error it had, kept after it recovers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How often it was restarted.
    pub restarts: u32,
    /// When its state last changed.
    #[serde(serialize_with = "crate::model::status::rfc3339")]
    pub updated_at: SystemTime,
    /// Its recent state changes, oldest first.
    pub transitions: Vec<Transition>,
    /// Its invocation counters.
    pub counters: CounterSnapshot,
}

/// A source position.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SourceLocation {
    /// The file, as `file!()` gives it.
    pub file: &'static str,
    /// The line.
    pub line: u32,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One declared dependency.
#[derive(Debug, Clone, Serialize)]
pub struct DependencyInfo {
    /// As written in `depends_on`.
    pub spec: String,
    /// The version requirement, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<&'static str>,
    /// Whether it is optional.
    pub optional: bool,
    /// The id it resolved to, if exactly one plugin matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
}

impl PluginInfo {
    pub(crate) fn new(
        catalog: &Catalog,
        i: usize,
        status: Status,
        level: Option<usize>,
        notes: Vec<String>,
        instantiated: bool,
        counters: CounterSnapshot,
    ) -> Self {
        let d = catalog.descriptors()[i];
        PluginInfo {
            id: catalog.id(i).to_owned(),
            kind: d.kind(),
            name: d.name(),
            version: d.version(),
            api: d.api(),
            description: d.description(),
            crate_name: d.crate_name(),
            crate_version: d.crate_version(),
            source: SourceLocation {
                file: d.file(),
                line: d.line(),
            },
            dependencies: d
                .dependencies()
                .iter()
                .map(|dep| DependencyInfo {
                    spec: dep.spec(),
                    requirement: (!dep.requirement.is_empty()).then_some(dep.requirement),
                    optional: dep.optional,
                    resolved: match dependencies::find(catalog, dep) {
                        Resolved::Found(j) => Some(catalog.id(j).to_owned()),
                        _ => None,
                    },
                })
                .collect(),
            capabilities: d.capabilities(),
            has_config: d.config().is_some(),
            location: Location::InProcess,
            node: None,
            remote: None,
            state: status.state,
            failure: status.failure,
            level,
            notes,
            instantiated,
            health: status.health,
            health_checked_at: status.health_checked_at,
            last_error: status.last_error,
            restarts: status.restarts,
            updated_at: status.updated_at,
            transitions: status.transitions.into(),
            counters,
        }
    }

    /// What the plugin offers, as `/api/plugins` and the admin status list
    /// it: its kind, then its declared
    /// [`capabilities`](Self::capabilities), without repeats (a `classifier`
    /// plugin that declares nothing lists `["classifier"]`).
    pub fn capability_list(&self) -> Vec<&'static str> {
        let mut list = vec![self.kind];
        for &c in self.capabilities {
            if !list.contains(&c) {
                list.push(c);
            }
        }
        list
    }

    /// Where the plugin runs, for one outside the host's process.
    pub(crate) fn placed(mut self, placement: Placement) -> Self {
        self.location = placement.location;
        self.node = placement.node;
        self.remote = placement.endpoint;
        self
    }
}

impl Registry {
    /// Metadata, state and failure of every plugin, in (kind, name) order.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        (0..self.catalog().len())
            .map(|i| plugin_info(self, i))
            .collect()
    }

    /// Metadata, state and failure of one plugin by id (`kind.name`).
    pub fn plugin(&self, id: &str) -> Option<PluginInfo> {
        self.catalog().find_id(id).map(|i| plugin_info(self, i))
    }
}

/// Plugin `i` of `registry` as reports show it.
fn plugin_info(registry: &Registry, i: usize) -> PluginInfo {
    let info = PluginInfo::new(
        registry.catalog(),
        i,
        registry.status_now(i),
        registry.level_of(i),
        registry.notes_of(i),
        registry.is_built(i),
        registry.slot_counters(i).snapshot(),
    );
    match registry.placement(i) {
        Some(placement) => info.placed(placement),
        None => info,
    }
}
