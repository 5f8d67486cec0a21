//! Serializable views of plugins for reports, the CLI and HTTP.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::resolve::{self, Resolved};
use crate::state::{Failure, PluginState};

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
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        catalog: &Catalog,
        i: usize,
        state: PluginState,
        failure: Option<Failure>,
        level: Option<usize>,
        notes: Vec<String>,
        instantiated: bool,
    ) -> Self {
        let d = catalog.descriptors()[i];
        PluginInfo {
            id: catalog.ids()[i].clone(),
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
                    resolved: match resolve::find(catalog, dep) {
                        Resolved::Found(j) => Some(catalog.ids()[j].clone()),
                        _ => None,
                    },
                })
                .collect(),
            capabilities: d.capabilities(),
            has_config: d.config().is_some(),
            state,
            failure,
            level,
            notes,
            instantiated,
        }
    }
}
