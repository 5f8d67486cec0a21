//! `run`: start the plugins, hand them to the host's serve hook, and
//! supervise them until the host is asked to stop.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use pegboard_core::Registry;
use pegboard_core::config::Document;
use pegboard_core::supervisor::Supervisor;

use super::builder::Cli;
use super::failed::{Failed, written};
use super::host::HostSection;
use super::list;
use super::logging::{LOG_TARGET, LogFormat, init_logging};
use super::run_context::RunContext;

impl Cli {
    /// `run`, with the config file `config`; `listen` goes to the serve hook.
    pub(super) fn run_plugins(
        &self,
        config: Option<&Path>,
        strict: bool,
        listen: Option<String>,
        log_format: LogFormat,
        out: &mut dyn Write,
    ) -> Result<(), Failed> {
        // A config file that cannot be read as a whole fails before
        // anything starts, with every error. A plugin's bad section fails
        // just that plugin, unless the host is strict.
        let (path, document) = match config {
            Some(path) => (path, self.load(path)?),
            None => (Path::new("(no config file)"), Document::empty()),
        };
        let strict = strict || HostSection::strict(&document);
        let checked = self.checked(path, document.clone(), strict)?;
        // In JSON mode every line is JSON: what `run` says in human mode on
        // stdout is said by its events only (`host.*`; the warnings are
        // the registry's `plugin.registry.validation_*` events).
        let mut sink = std::io::sink();
        let out: &mut dyn Write = match log_format {
            LogFormat::Human => out,
            LogFormat::Json => &mut sink,
        };
        for warning in &checked.warnings {
            written(writeln!(out, "warning: {warning}"))?;
        }
        let prefix = self.prefix();
        init_logging(log_format, &prefix.var("LOG"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failed::usage(format!("cannot start the async runtime: {e}")))?;
        let result = runtime.block_on(async {
            // Before any plugin starts: a signal during start-up
            // then stops the host in order.
            let shutdown = pegboard_core::supervisor::Shutdown::listen();
            let registry = Arc::new(self.running_registry(&document, out).await?);
            let supervisor = Supervisor::new(registry.clone());
            // The host serves before the plugins start, so that its
            // operator surface answers while they do: a start hook that
            // hangs until its timeout must not leave it dark.
            let serving = self.serve.as_ref().map(|serve| {
                tokio::spawn(serve(RunContext {
                    registry: registry.clone(),
                    document,
                    listen,
                    shutdown: shutdown.clone(),
                    json: log_format == LogFormat::Json,
                    env_prefix: prefix.clone(),
                }))
            });
            // A stop requested while a start hook hangs ends the start
            // (its hooks are cancelled) rather than waiting out its timeout.
            let started = tokio::select! {
                report = supervisor.start() => Some(report),
                () = shutdown.clone().requested() => None,
            };
            match started {
                Some(report) => {
                    tracing::info!(
                        name: "host.started",
                        target: LOG_TARGET,
                        running = report.running.len(),
                        total = registry.catalog().len(),
                        backend = pegboard_core::discover::BACKEND,
                        "host.started"
                    );
                    written(list::table(&registry, self.linked.as_ref(), out))?;
                    written(writeln!(
                        out,
                        "\n{} of {} plugins running (backend: {}); Ctrl-C or SIGTERM stops them",
                        report.running.len(),
                        registry.catalog().len(),
                        pegboard_core::discover::BACKEND
                    ))?;
                }
                None => {
                    tracing::info!(name: "host.start_cancelled", target: LOG_TARGET, "host.start_cancelled");
                    written(writeln!(
                    out,
                    "stop requested while the plugins were starting"
                    ))?
                }
            }
            written(out.flush())?;
            let served = match serving {
                Some(serving) => serving
                    .await
                    .unwrap_or_else(|e| Err(format!("the serve hook panicked: {e}").into())),
                None => {
                    shutdown.requested().await;
                    Ok(())
                }
            };
            supervisor.shutdown().await;
            tracing::info!(name: "host.stopped", target: LOG_TARGET, "host.stopped");
            written(writeln!(out, "stopped"))?;
            served.map_err(|e| Failed::invalid(format!("serving failed: {e}")))
        });
        // Calls abandoned at their timeout may still occupy blocking
        // threads; do not wait for them on the way out.
        runtime.shutdown_background();
        result
    }

    /// The registry `run` supervises; with `[remote]`, the registry
    /// service its remote and local-process plugins announce to is bound
    /// and served first.
    async fn running_registry(
        &self,
        document: &Document,
        #[allow(unused_variables)] out: &mut dyn Write,
    ) -> Result<Registry, Failed> {
        let invalid = |e: &dyn std::fmt::Display| Failed::invalid(e.to_string());
        #[cfg(feature = "remote")]
        if let Some(config) = self.remote_config(document)? {
            let tls = config.server_tls().map_err(|e| invalid(&e))?;
            #[cfg(feature = "tls")]
            let mut server = match &tls {
                Some(tls) => tls
                    .server()
                    .map_err(|e| invalid(&format!("[remote.tls]: {e}")))?,
                None => tonic::transport::Server::builder(),
            };
            #[cfg(not(feature = "tls"))]
            let mut server = tonic::transport::Server::builder();
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .map_err(|e| {
                    Failed::usage(format!("[remote] cannot listen on {}: {e}", config.listen))
                })?;
            let addr = listener
                .local_addr()
                .map_err(|e| Failed::usage(format!("[remote] {e}")))?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            // Local processes are told where to announce: on this machine,
            // loopback reaches an address bound to every interface.
            let mut reach = addr;
            if reach.ip().is_unspecified() {
                reach.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let host = format!("{scheme}://{reach}");
            let members = config
                .members(&self.remote_kinds, &host)
                .map_err(|e| invalid(&e))?;
            let var = self.host_var("REMOTE_TOKEN");
            let token = config
                .token((var.0.as_str(), var.1))
                .map_err(|e| invalid(&e))?;
            let registry = self
                .builder()
                .remote(&members)
                .config(document.clone())
                .build()
                .map_err(|e| invalid(&e))?;
            let service = pegboard_remote::RemoteRegistry::builder(registry.catalog(), token)
                .members(&members)
                .build()
                .map_err(|e| invalid(&e))?;
            // Served until the runtime ends, after the plugins stopped:
            // their processes withdraw on the way out.
            let serving = server
                .add_service(service.health_service().await)
                .add_service(service.service())
                .serve_with_incoming(
                    // Not set by `serve_with_incoming`: see the SDK.
                    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
                );
            tokio::spawn(async move {
                if let Err(e) = serving.await {
                    tracing::error!(target: LOG_TARGET, error = %e, "the remote registry service stopped: remote and local-process plugins can no longer announce");
                }
            });
            tracing::info!(name: "host.remote.listening", target: LOG_TARGET, address = host.as_str(), "host.remote.listening");
            written(writeln!(out, "remote plugins announce to {host}"))?;
            return Ok(registry);
        }
        self.builder()
            .config(document.clone())
            .build()
            .map_err(|e| invalid(&e))
    }
}
