//! What the host's serve hook is given once the plugins run.

use std::sync::Arc;

use pegboard_core::Registry;
use pegboard_core::config::{Document, EnvPrefix};

/// What a host's [`Cli::serve`](crate::Cli::serve) function gets: the
/// composition, the whole config document (for the host's own sections)
/// and `--listen`.
///
/// The hook is called **before** the plugins start, and runs while they
/// do, so that the host's operator surface answers at once (`/healthz`
/// 200, `/readyz` 503 listing the plugins still `starting`): serve at once,
/// read the registry on every request, and answer 503 for what needs a
/// plugin that is not up yet.
pub struct RunContext {
    /// The registry; its plugins are starting, or running once started.
    pub registry: Arc<Registry>,
    /// The configuration document (`[server]` and other host sections).
    pub document: Document,
    /// `--listen ADDR`, if given.
    pub listen: Option<String>,
    /// Resolves when the host is asked to stop (SIGINT, SIGTERM), listened
    /// to since before the plugins started: serve until
    /// `shutdown.clone().requested()` (e.g. axum's `with_graceful_shutdown`).
    pub shutdown: pegboard_core::supervisor::Shutdown,
    /// `--log-format json`: what the host says goes out as events only.
    pub(super) json: bool,
    /// The host's variables' prefix ([`Cli::env_prefix`](crate::Cli::env_prefix)).
    pub(super) env_prefix: EnvPrefix,
}

impl RunContext {
    /// The host's environment variable `<PREFIX>_<name>`
    /// (`PEGBOARD_ADMIN_TOKEN` for `"ADMIN_TOKEN"`, or `SIFT_PLUGIN_ADMIN_TOKEN`
    /// with [`Cli::env_prefix`](crate::Cli::env_prefix)`("SIFT_PLUGIN")`), if
    /// set and valid Unicode.
    pub fn var(&self, name: &str) -> Option<String> {
        std::env::var(self.env_prefix.var(name)).ok()
    }

    /// The host's variables' prefix, e.g. for
    /// `HttpOptions::admin_token_from_env_of`.
    pub fn env_prefix(&self) -> &EnvPrefix {
        &self.env_prefix
    }

    /// The name of the variable [`var`](Self::var) reads, for messages.
    pub fn var_name(&self, name: &str) -> String {
        self.env_prefix.var(name)
    }

    /// Says where the host serves: `listening on http://ADDR` on stdout, or,
    /// with `--log-format json` (where every line is JSON), the event
    /// `host.listening` with `address`.
    pub fn listening(&self, addr: impl std::fmt::Display) {
        if self.json {
            tracing::info!(
                name: "host.listening",
                target: super::logging::LOG_TARGET,
                address = %format_args!("http://{addr}"),
                "host.listening"
            );
        } else {
            println!("listening on http://{addr}");
        }
    }
}

pub(super) type ServeFn = Box<
    dyn Fn(RunContext) -> pegboard_core::BoxFuture<'static, Result<(), pegboard_core::BoxError>>
        + Send
        + Sync,
>;
