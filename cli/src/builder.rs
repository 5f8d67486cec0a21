//! [`Cli`]: a host's command line, and the builder methods that say which
//! plugins, environment and config sections it works with.

use pegboard_core::Linked;
use pegboard_core::PluginDescriptor;
use pegboard_core::config::{EnvPrefix, InvalidEnvPrefix};

use super::host;
#[cfg(feature = "remote")]
use super::remote;
use super::run_context::{RunContext, ServeFn};

/// A host's command line: which plugins, which extra config sections.
pub struct Cli {
    pub(super) name: String,
    pub(super) serve: Option<ServeFn>,
    pub(super) descriptors: Option<Vec<&'static PluginDescriptor>>,
    pub(super) env: Option<Vec<(String, String)>>,
    pub(super) sections: Vec<(String, serde_json::Value)>,
    /// Whose variables it reads (`PEGBOARD` unless [`env_prefix`](Self::env_prefix)).
    pub(super) env_prefix: Result<EnvPrefix, InvalidEnvPrefix>,
    /// The Prometheus namespace, if not `pegboard_plugin`.
    pub(super) metric_namespace: Option<String>,
    /// What `link_plugins!()` linked, once `main` was given it.
    pub(super) linked: Option<Linked>,
    /// The kinds whose plugins may run outside the host (`[remote]`).
    #[cfg(feature = "remote")]
    pub(super) remote_kinds: Vec<(&'static str, remote::DeclareFn)>,
}

impl Cli {
    /// A command line for the host `name` (used in messages), over every
    /// compiled-in plugin and the process environment.
    pub fn new(name: impl Into<String>) -> Self {
        Cli {
            name: name.into(),
            serve: None,
            descriptors: None,
            env: None,
            sections: vec![(
                host::HostSection::NAME.to_owned(),
                schemars::schema_for!(host::HostSection).to_value(),
            )],
            linked: None,
            env_prefix: Ok(EnvPrefix::PEGBOARD),
            metric_namespace: None,
            #[cfg(feature = "remote")]
            remote_kinds: Vec::new(),
        }
    }

    /// Lets plugins of the remote kind `K` run outside the host, as
    /// declared in the config's `[remote]` section (see [`remote`]): `run`
    /// then serves the registry service they announce to, spawns the local
    /// ones from the plugin directory, and supervises, lists and calls
    /// them like the compiled-in plugins. Features `cli` and `remote`.
    #[cfg(feature = "remote")]
    pub fn remote_kind<K: pegboard_remote::RemoteKind + ?Sized>(mut self) -> Self {
        if self.remote_kinds.is_empty() {
            self = self.section::<remote::RemoteConfig>("remote");
        }
        self.remote_kinds.push((K::NAME, remote::declare::<K>));
        self
    }

    /// Uses these descriptors instead of the compiled-in ones (for tests).
    pub fn descriptors(mut self, d: impl IntoIterator<Item = &'static PluginDescriptor>) -> Self {
        self.descriptors = Some(d.into_iter().collect());
        self
    }

    /// Names the host's environment variables after it rather than
    /// pegboard: with `"SIFT_PLUGIN"`, `run` reads
    /// `SIFT_PLUGIN__<SEG>__...` overrides, `SIFT_PLUGIN_TIMEOUT_<KIND>_MS`,
    /// the log filter `SIFT_PLUGIN_LOG`, and gives the serve hook
    /// [`RunContext::var`] for the host's own (`SIFT_PLUGIN_ADMIN_TOKEN`); no
    /// `PEGBOARD_` variable is read. An invalid prefix (see
    /// [`EnvPrefix::new`]) is reported by every command, with exit code 2.
    ///
    /// ```
    /// # extern crate pegboard_core as pegboard;
    /// let cli = pegboard_cli::Cli::new("sift")
    ///     .env_prefix("SIFT_PLUGIN")
    ///     .metric_namespace("sift_plugin");
    /// # let _ = cli;
    /// ```
    pub fn env_prefix(mut self, prefix: &str) -> Self {
        self.env_prefix = EnvPrefix::new(prefix);
        self
    }

    /// Names the Prometheus families `<namespace>_invocations_total`, ...
    /// (see `RegistryBuilder::metric_namespace`), e.g. `"sift_plugin"`.
    pub fn metric_namespace(mut self, namespace: &str) -> Self {
        self.metric_namespace = Some(namespace.to_owned());
        self
    }

    /// Uses these environment variables instead of the process's (for tests).
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Declares a top-level config section the host reads itself (e.g.
    /// `[server]`), so `config schema` includes it and `config check`
    /// checks it against `T`'s schema. `config check` rejects top-level
    /// sections that are neither declared nor pegboard's own (`plugins`,
    /// `supervision`, `dispatch`); see
    /// [`ConfigValidator::with_host_sections`](pegboard_core::config::ConfigValidator::with_host_sections).
    pub fn section<T: schemars::JsonSchema>(mut self, name: &str) -> Self {
        self.sections
            .push((name.to_owned(), schemars::schema_for!(T).to_value()));
        self
    }

    /// What `run` serves: typically bind a listener and serve until
    /// [`RunContext::shutdown`] is requested. It is called before the
    /// plugins start and runs while they do, so the surface answers during
    /// start-up (see [`RunContext`]). Once it has returned and the plugins'
    /// start is over, they are stopped (reverse order) and the process exits
    /// (non-zero if it returned an error). Without it, `run` waits for
    /// SIGINT/SIGTERM.
    pub fn serve<F, Fut>(mut self, serve: F) -> Self
    where
        F: Fn(RunContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), pegboard_core::BoxError>> + Send + 'static,
    {
        self.serve = Some(Box::new(move |ctx| Box::pin(serve(ctx))));
        self
    }
}
