//! From a [`Cli`]'s settings and a config file to what the commands work
//! on: the document, the catalog, the config validator and the registry.

use std::path::Path;

use pegboard_core::Catalog;
#[cfg(feature = "remote")]
use pegboard_core::PluginDescriptor;
use pegboard_core::Registry;
use pegboard_core::RegistryBuilder;
use pegboard_core::config::{self, ConfigValidator, Document, EnvPrefix};

use super::builder::Cli;
use super::failed::Failed;
#[cfg(feature = "remote")]
use super::remote;

impl Cli {
    pub(super) fn catalog(&self) -> Result<Catalog, Failed> {
        let catalog = match &self.descriptors {
            Some(d) => Catalog::new(d.iter().copied()),
            None => Catalog::compiled_in(),
        };
        catalog.map_err(|e| Failed::invalid(format!("the plugin composition is refused: {e}")))
    }

    /// The catalog `document` configures: with the plugins its `[remote]`
    /// section declares, which may have `[plugins.<kind>.<name>]` sections
    /// of their own (supervision, dispatch settings).
    #[cfg_attr(not(feature = "remote"), allow(unused_variables))]
    pub(super) fn catalog_for(&self, document: &Document) -> Result<Catalog, Failed> {
        #[cfg(feature = "remote")]
        if let Some(members) = self.declared_members(document)? {
            use pegboard_core::extend::Members;
            let mut all: Vec<&'static PluginDescriptor> = match &self.descriptors {
                Some(d) => d.clone(),
                None => pegboard_core::extend::compiled_in().collect(),
            };
            all.extend_from_slice(members.descriptors());
            return Catalog::new(all)
                .map_err(|e| Failed::invalid(format!("the plugin composition is refused: {e}")));
        }
        self.catalog()
    }

    /// The config validator of `catalog`, with the host's sections declared
    /// (so unknown top-level sections are errors), and the plugins whose
    /// config type cannot produce its defaults (by index), with why.
    pub(super) fn validator(
        &self,
        catalog: &Catalog,
    ) -> (ConfigValidator, Vec<(usize, pegboard_core::Failure)>) {
        let (validator, failures) = pegboard_core::extend::config_validator(catalog);
        let validator = validator
            .with_host_sections(self.sections.clone())
            .with_env_prefix(self.prefix());
        (validator, failures)
    }

    /// The host's variables' prefix. An invalid one never gets this far
    /// (every command refuses it first), so it reads as the default.
    pub(super) fn prefix(&self) -> EnvPrefix {
        self.env_prefix.clone().unwrap_or_default()
    }

    pub(super) fn env_vars(&self) -> Vec<(String, String)> {
        match &self.env {
            Some(env) => env.clone(),
            None => config::env_vars_of(&self.prefix()),
        }
    }

    /// The host's variable `<PREFIX>_<name>` and its value: from
    /// [`Cli::env`] when given, else from the process.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(super) fn host_var(&self, name: &str) -> (String, Option<String>) {
        let var = self.prefix().var(name);
        let value = match &self.env {
            Some(env) => env.iter().find(|(k, _)| *k == var).map(|(_, v)| v.clone()),
            None => std::env::var(&var).ok(),
        };
        (var, value)
    }

    pub(super) fn builder(&self) -> RegistryBuilder {
        let mut builder = Registry::builder()
            .env(self.env_vars())
            .env_prefix(self.prefix());
        if let Some(ns) = &self.metric_namespace {
            builder = builder.metric_namespace(ns.clone());
        }
        match &self.descriptors {
            Some(d) => builder.descriptors(d.iter().copied()),
            None => builder,
        }
    }

    pub(super) fn registry(&self, config: Option<&Path>) -> Result<Registry, Failed> {
        let document = match config {
            Some(path) => self.load(path)?,
            None => Document::empty(),
        };
        let builder = self.builder();
        #[cfg(feature = "remote")]
        let builder = match self.declared_members(&document)? {
            Some(members) => builder.remote(&members),
            None => builder,
        };
        builder
            .config(document)
            .build()
            .map_err(|e| Failed::invalid(e.to_string()))
    }

    /// The plugins `document`'s `[remote]` declares, to list or check, not
    /// run: they are given no address to announce to.
    #[cfg(feature = "remote")]
    fn declared_members(
        &self,
        document: &Document,
    ) -> Result<Option<pegboard_remote::RemoteMembers>, Failed> {
        self.remote_config(document)?
            .map(|config| config.members(&self.remote_kinds, "http://127.0.0.1:0"))
            .transpose()
            .map_err(|e| Failed::invalid(e.to_string()))
    }

    /// `[remote]`, if the host accepts remote kinds and the document has it.
    #[cfg(feature = "remote")]
    pub(super) fn remote_config(
        &self,
        document: &Document,
    ) -> Result<Option<remote::RemoteConfig>, Failed> {
        if self.remote_kinds.is_empty() {
            return Ok(None);
        }
        remote::RemoteConfig::of(document).map_err(|e| Failed::invalid(format!("[remote]: {e}")))
    }

    pub(super) fn load(&self, path: &Path) -> Result<Document, Failed> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failed::usage(format!("cannot read {}: {e}", path.display())))?;
        Document::from_toml_str(&text)
            .map_err(|e| Failed::invalid(format!("{}: {e}", path.display())))
    }
}
