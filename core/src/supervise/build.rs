//! Building a [`Registry`]: the pipeline's stages called in order.

use std::sync::Arc;
use std::time::SystemTime;

use crate::discover;
use crate::model::descriptor::PluginDescriptor;
use crate::model::location::Members;
use crate::model::recorded::MetricsState;
use crate::supervise::composition_error::CompositionError;
use crate::supervise::registry::Registry;
use crate::validate;
use crate::validate::config::{Document, EnvPrefix};

/// Builds a [`Registry`]: which descriptors, which configuration.
#[must_use]
pub struct RegistryBuilder {
    descriptors: Option<Vec<&'static PluginDescriptor>>,
    document: Document,
    env: Vec<(String, String)>,
    env_prefix: EnvPrefix,
    metric_namespace: Option<String>,
    members: Option<Arc<dyn Members>>,
}

impl Registry {
    /// A builder over every compiled-in plugin, with an empty configuration.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder {
            descriptors: None,
            document: Document::empty(),
            env: Vec::new(),
            env_prefix: EnvPrefix::PEGBOARD,
            metric_namespace: None,
            members: None,
        }
    }
}

impl RegistryBuilder {
    /// Uses exactly these descriptors instead of every compiled-in plugin
    /// (for tests and tools).
    pub fn descriptors(mut self, d: impl IntoIterator<Item = &'static PluginDescriptor>) -> Self {
        self.descriptors = Some(d.into_iter().collect());
        self
    }

    /// The configuration document.
    pub fn config(mut self, document: Document) -> Self {
        self.document = document;
        self
    }

    /// Environment overrides (usually `std::env::vars()`); see
    /// [`config`](crate::validate::config) for the naming rule.
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Reads the environment overrides of `prefix` (`<PREFIX>__...`,
    /// `<PREFIX>_TIMEOUT_<KIND>_MS`) in [`env`](Self::env) instead of
    /// `PEGBOARD`'s, whose variables are then ignored.
    pub fn env_prefix(mut self, prefix: EnvPrefix) -> Self {
        self.env_prefix = prefix;
        self
    }

    /// Names the Prometheus families `<namespace>_invocations_total`, ... (see
    /// [`metrics`](crate::report::metrics)) instead of
    /// `pegboard_plugin_invocations_total`, ...: `"sift_plugin"` gives
    /// `sift_plugin_invocations_total`. A namespace that is not a valid
    /// metric name prefix (`[a-zA-Z_][a-zA-Z0-9_]*`) is an error of
    /// [`build`](Self::build).
    pub fn metric_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.metric_namespace = Some(namespace.into());
        self
    }

    /// Adds plugins that run outside this process, declared by a
    /// [`Members`] source (see [`extend`](crate::extend)); the registry
    /// validates, orders, builds and reports them like compiled-in ones.
    pub fn members(mut self, members: Arc<dyn Members>) -> Self {
        self.members = Some(members);
        self
    }

    /// Adds the plugins declared in `members`, which run outside this
    /// process: `pegboard::remote::RemoteMembers` (feature `remote`).
    pub fn remote<M: Members + Clone>(self, members: &M) -> Self {
        self.members(Arc::new(members.clone()))
    }

    /// Discovers, validates and orders the plugins: one call per stage of
    /// the pipeline, each taking what the previous one gave.
    ///
    /// Fails only for what no single plugin can be blamed for: duplicate
    /// registrations, and a configuration document that cannot be read or
    /// names plugins that do not exist. Everything else fails just the plugin
    /// concerned, which [`Registry::plugins`] reports.
    pub fn build(self) -> Result<Registry, CompositionError> {
        if let Some(ns) = &self.metric_namespace
            && !MetricsState::is_valid_namespace(ns)
        {
            return Err(CompositionError::MetricNamespace(ns.clone()));
        }
        let extra = self.members.as_ref().map_or(&[][..], |m| m.descriptors());
        let catalog = discover::catalog(self.descriptors, extra)?;
        let validated = validate::validate(&catalog, self.document, &self.env, &self.env_prefix)
            .map_err(CompositionError::Config)?;
        // The time of every plugin's first transition: taken before
        // ordering, whose failures are the first of those transitions.
        let built_at = SystemTime::now();
        let ordered = crate::order::order(&catalog, validated.initial);
        let mut registry = Registry::assemble(
            catalog,
            validated.settings,
            validated.configs,
            ordered,
            self.members,
            built_at,
        );
        if let Some(ns) = self.metric_namespace {
            registry.set_metric_namespace(ns);
        }
        Ok(registry)
    }
}
