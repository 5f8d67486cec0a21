//! What a plugin is announced with.

use pegboard_core::PluginDescriptor;

/// What a plugin is announced with, when it has no `#[pegboard::plugin]`
/// registration (or to announce something else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The plugin's own version, semver.
    pub version: String,
    /// The pegboard API it was built against (default
    /// [`API_VERSION`](pegboard_api::API_VERSION)).
    pub api: String,
    /// One line for operators.
    pub description: String,
    /// Capabilities, listed in reports.
    pub capabilities: Vec<String>,
    /// Dependencies, in the `depends_on` syntax.
    pub depends_on: Vec<String>,
}

impl Metadata {
    /// Version `version`, built against this pegboard's API, nothing else.
    pub fn new(version: impl Into<String>) -> Self {
        Metadata {
            version: version.into(),
            api: pegboard_api::API_VERSION.to_owned(),
            description: String::new(),
            capabilities: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    /// The metadata of a `#[pegboard::plugin]` registration.
    pub fn from_descriptor(d: &PluginDescriptor) -> Self {
        Metadata {
            version: d.version().to_owned(),
            api: d.api().to_owned(),
            description: d.description().to_owned(),
            capabilities: d.capabilities().iter().map(|c| (*c).to_owned()).collect(),
            depends_on: d.dependencies().iter().map(|d| d.spec()).collect(),
        }
    }

    /// The registration of (`kind`, `name`) compiled into this binary.
    pub(super) fn compiled_in(kind: &str, name: &str) -> Option<Self> {
        pegboard_core::extend::compiled_in()
            .find(|d| d.kind() == kind && d.name() == name)
            .map(Self::from_descriptor)
    }
}
