//! The error of a composition that a host must refuse to run.

use crate::discover::catalog::CatalogError;
use crate::model::config_error::ConfigError;

/// A composition that a host must refuse to run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CompositionError {
    /// Duplicate registrations or clashing kind names.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The configuration document as a whole is unusable (parse error, unknown
    /// plugin sections, bad environment overrides). Errors inside one
    /// plugin's section fail only that plugin instead.
    #[error("invalid configuration:\n{}", list(.0))]
    Config(Vec<ConfigError>),
    /// [`RegistryBuilder::metric_namespace`](crate::supervise::build::RegistryBuilder::metric_namespace)
    /// was given something that cannot start a metric name.
    #[error(
        "metric namespace `{0}` is not a metric name prefix: use letters, digits and underscores, \
         not starting with a digit (e.g. `sift_plugin`)"
    )]
    MetricNamespace(String),
    /// [`Registry::install`](crate::supervise::registry::Registry::install) was called twice.
    #[error("a process-wide registry is already installed")]
    AlreadyInstalled,
}

fn list(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}
