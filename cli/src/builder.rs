//! [`Cli`]: a host's command line, and the builder methods that say which
//! plugins, environment and config sections it works with.

use pegboard_core::Linked;
use pegboard_core::PluginDescriptor;

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
