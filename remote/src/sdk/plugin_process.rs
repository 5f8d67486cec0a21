//! A plugin process: its plugins, its settings, and serving them until it
//! shuts down.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::proto::v1::plugin_server::PluginServer;
use crate::proto::v1::registry_client::RegistryClient;
use crate::proto::v1::{AnnounceRequest, PluginMeta};
use tokio::sync::oneshot;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use super::agent::Agent;
use super::error::ServeError;
use super::metadata::Metadata;
use super::settings::{Given, Settings};
use super::shutdown::shutdown_signal;
use crate::kind::RemoteKind;
use crate::plugin_service::{PluginService, PluginServiceBuilder};

/// A plugin process: its plugins and how it reaches the host. Settings not
/// given here are read from the environment when it starts serving:
///
/// | variable | setting | default |
/// |---|---|---|
/// | `PEGBOARD_HOST` | [`host`](Self::host) | required |
/// | `PEGBOARD_NODE` | [`node`](Self::node) | required |
/// | `PEGBOARD_TOKEN` | [`token`](Self::token) | required |
/// | `PEGBOARD_LISTEN` | [`listen`](Self::listen) | `127.0.0.1:0` |
/// | `PEGBOARD_ADVERTISE` | [`advertise`](Self::advertise) | `http://<bound address>` |
/// | `PEGBOARD_TLS_CA` | `host_tls` | required when `PEGBOARD_HOST` is `https://` |
/// | `PEGBOARD_TLS_CERT`, `PEGBOARD_TLS_KEY` | `host_tls` | no client certificate |
/// | `PEGBOARD_TLS_SERVE_CERT`, `PEGBOARD_TLS_SERVE_KEY` | `serve_tls` | plaintext plugin service |
///
/// An `https://` host is reached over TLS (feature `remote-tls`), trusting
/// the CA of `PEGBOARD_TLS_CA` and, when the host requires mutual TLS,
/// presenting the certificate of `PEGBOARD_TLS_CERT` and `PEGBOARD_TLS_KEY`
/// (PEM files); `host_tls` gives the same settings in code. TLS settings
/// with an `http://` host are refused rather than ignored. With
/// `PEGBOARD_TLS_SERVE_CERT` and `PEGBOARD_TLS_SERVE_KEY` (or `serve_tls`)
/// the plugin's own service is served over TLS too, advertised as
/// `https://<bound address>` by default; the host then needs the CA of that
/// certificate (`RemoteMembersBuilder::plugin_tls`). A TLS plugin service is
/// announced as soon as its server runs (its listener is already bound),
/// without the health check a plaintext one gets first: the plugin cannot
/// check its own certificate.
///
/// Serving: binds, starts `pegboard.v1.Plugin` and `grpc.health.v1.Health`,
/// waits until its own health check answers, then announces the plugins
/// with the address it really listens on, sends heartbeats at half the
/// interval the host answers with, announces again when a heartbeat gets
/// `NOT_FOUND` (the host restarted, expired or withdrew the session), and
/// on shutdown (or once the host has sent `Stop` to every plugin it
/// serves) withdraws and stops the server. Unreachable-host failures
/// (`UNAVAILABLE`, `DEADLINE_EXCEEDED`) are retried with backoff (the first
/// announcement until [`announce_timeout`](Self::announce_timeout)); any
/// other refusal ends serving with [`ServeError::Refused`].
///
/// ```no_run
/// # use std::sync::Arc;
/// # #[pegboard::kind(remote)]
/// # pub trait Shout { fn shout(&self, text: &str) -> Result<String, Oops>; }
/// # #[derive(serde::Serialize, serde::Deserialize)] pub struct Oops(String);
/// # impl From<pegboard::remote::RemoteCallError> for Oops {
/// #     fn from(e: pegboard::remote::RemoteCallError) -> Self { Oops(e.to_string()) }
/// # }
/// # struct Loud;
/// # impl Shout for Loud { fn shout(&self, t: &str) -> Result<String, Oops> { Ok(t.to_uppercase()) } }
/// use pegboard::remote::{Metadata, PluginProcess};
///
/// fn main() -> Result<(), pegboard::remote::ServeError> {
///     PluginProcess::new()
///         .plugin_with::<dyn Shout>("loud", Arc::new(Loud), Metadata::new("1.0.0"))
///         .node("edge-1")
///         .run()
/// }
/// ```
#[must_use]
pub struct PluginProcess {
    service: PluginServiceBuilder,
    plugins: Vec<(String, String, Option<Metadata>)>,
    given: Given,
    announce_timeout: Duration,
    call_timeout: Duration,
}

impl Default for PluginProcess {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PluginProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token.
        f.debug_struct("PluginProcess")
            .field("service", &self.service)
            .field("host", &self.given.host)
            .field("node", &self.given.node)
            .field("listen", &self.given.listen)
            .field("advertise", &self.given.advertise)
            .field("tls", &self.tls_debug())
            .finish_non_exhaustive()
    }
}

/// Serves one plugin of kind `K` until SIGTERM or ctrl-c, every setting
/// from the environment (see [`PluginProcess`]), its metadata from its
/// `#[pegboard::plugin]` registration. Builds its own tokio runtime: the
/// whole `main` of a plugin binary.
///
/// ```no_run
/// # use std::sync::Arc;
/// # #[pegboard::kind(remote)]
/// # pub trait Shout { fn shout(&self, text: &str) -> Result<String, Oops>; }
/// # #[derive(serde::Serialize, serde::Deserialize)] pub struct Oops(String);
/// # impl From<pegboard::remote::RemoteCallError> for Oops {
/// #     fn from(e: pegboard::remote::RemoteCallError) -> Self { Oops(e.to_string()) }
/// # }
/// #[derive(Default)]
/// #[pegboard::plugin(name = "loud", version = "1.0.0", api = "0.1", kind = Shout)]
/// pub struct Loud;
/// # impl Shout for Loud { fn shout(&self, t: &str) -> Result<String, Oops> { Ok(t.to_uppercase()) } }
///
/// fn main() -> Result<(), pegboard::remote::ServeError> {
///     pegboard::remote::serve::<dyn Shout>("loud", Arc::new(Loud))
/// }
/// ```
pub fn serve<K: RemoteKind + ?Sized>(
    name: impl Into<String>,
    plugin: Arc<K>,
) -> Result<(), ServeError> {
    PluginProcess::new().plugin::<K>(name, plugin).run()
}

impl PluginProcess {
    /// No plugins; every setting from the environment.
    pub fn new() -> Self {
        PluginProcess {
            service: PluginService::builder(),
            plugins: Vec::new(),
            given: Given::default(),
            announce_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(10),
        }
    }

    /// Serves `plugin` as `name` of kind `K`, announced with the metadata of
    /// its `#[pegboard::plugin]` registration (the one of kind `K` and this
    /// name compiled into the binary); serving fails with
    /// [`ServeError::NoMetadata`] without one.
    pub fn plugin<K: RemoteKind + ?Sized>(self, name: impl Into<String>, plugin: Arc<K>) -> Self {
        self.add::<K>(name.into(), plugin, None)
    }

    /// Serves `plugin` as `name` of kind `K`, announced with `metadata`.
    pub fn plugin_with<K: RemoteKind + ?Sized>(
        self,
        name: impl Into<String>,
        plugin: Arc<K>,
        metadata: Metadata,
    ) -> Self {
        self.add::<K>(name.into(), plugin, Some(metadata))
    }

    fn add<K: RemoteKind + ?Sized>(
        mut self,
        name: String,
        plugin: Arc<K>,
        metadata: Option<Metadata>,
    ) -> Self {
        self.service = self.service.add::<K>(name.clone(), plugin);
        self.plugins.push((K::NAME.to_owned(), name, metadata));
        self
    }

    /// The host's registry URI (else `PEGBOARD_HOST`).
    pub fn host(mut self, uri: impl Into<String>) -> Self {
        self.given.host = Some(uri.into());
        self
    }

    /// The node label (else `PEGBOARD_NODE`).
    pub fn node(mut self, node: impl Into<String>) -> Self {
        self.given.node = Some(node.into());
        self
    }

    /// The host's token (else `PEGBOARD_TOKEN`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.given.token = Some(token.into());
        self
    }

    /// Where to listen (else `PEGBOARD_LISTEN`, else `127.0.0.1:0`).
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.given.listen = Some(address);
        self
    }

    /// The URI announced to the host (else `PEGBOARD_ADVERTISE`, else
    /// `http://<bound address>`).
    pub fn advertise(mut self, uri: impl Into<String>) -> Self {
        self.given.advertise = Some(uri.into());
        self
    }

    /// Reaches the host over TLS with these settings (else from
    /// `PEGBOARD_TLS_CA`, `PEGBOARD_TLS_CERT` and `PEGBOARD_TLS_KEY`); the
    /// host's URI must be `https://`. Feature `remote-tls`.
    #[cfg(feature = "tls")]
    pub fn host_tls(mut self, tls: crate::tls::ClientTls) -> Self {
        self.given.host_tls = Some(tls);
        self
    }

    /// Serves the plugin service over TLS with these settings (else from
    /// `PEGBOARD_TLS_SERVE_CERT` and `PEGBOARD_TLS_SERVE_KEY`); the default
    /// advertised address becomes `https://<bound address>`. Feature
    /// `remote-tls`.
    #[cfg(feature = "tls")]
    pub fn serve_tls(mut self, tls: crate::tls::ServerTls) -> Self {
        self.given.serve_tls = Some(tls);
        self
    }

    #[cfg(feature = "tls")]
    fn tls_debug(&self) -> Option<&crate::tls::ClientTls> {
        self.given.host_tls.as_ref()
    }

    #[cfg(not(feature = "tls"))]
    fn tls_debug(&self) -> Option<()> {
        None
    }

    /// How long the first announcement is retried while the host is
    /// unreachable (default 30 s).
    pub fn announce_timeout(mut self, timeout: Duration) -> Self {
        self.announce_timeout = timeout;
        self
    }

    /// How long one call to the host may take (default 10 s).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// [`serve`](Self::serve) on a multi-thread tokio runtime of its own.
    pub fn run(self) -> Result<(), ServeError> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|source| ServeError::Runtime {
                what: "cannot build the tokio runtime",
                source,
            })?
            .block_on(self.serve())
    }

    /// Serves until SIGTERM (on Unix), ctrl-c, or a `Stop` of every plugin,
    /// then withdraws and stops.
    pub async fn serve(self) -> Result<(), ServeError> {
        let signal = shutdown_signal()?;
        self.serve_until(signal).await
    }

    /// Serves until `shutdown` completes (or the host has sent `Stop` to
    /// every plugin served here), then withdraws and stops. Returns
    /// `Ok` after a shutdown, the error that ended serving otherwise (a
    /// failed server is withdrawn first, then reported as
    /// [`ServeError::Server`]).
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServeError> {
        let settings = self.resolve(|var| std::env::var_os(var))?;
        let plugins = self.announced()?;
        // Its service takes calls only with the token it announces with,
        // which the host sends back.
        let service = self.service.token(settings.token.clone()).build()?;
        let client = RegistryClient::new(settings.channel(self.call_timeout)?);
        let token = settings.token_value()?;

        #[cfg(feature = "tls")]
        let (mut server, scheme) = match &settings.serve_tls {
            Some(tls) => (tls.server()?, "https"),
            None => (Server::builder(), "http"),
        };
        #[cfg(not(feature = "tls"))]
        let (mut server, scheme) = (Server::builder(), "http");
        // `serve_with_incoming` ignores the builder's `tcp_nodelay`: without
        // it, Nagle's algorithm and delayed ACKs hold each answer ~40 ms.
        let incoming = TcpIncoming::bind(settings.listen)
            .map_err(|source| ServeError::Bind {
                address: settings.listen,
                source,
            })?
            .with_nodelay(Some(true));
        let bound = incoming.local_addr().map_err(|source| ServeError::Bind {
            address: settings.listen,
            source,
        })?;
        let address = match settings.advertise.clone() {
            Some(uri) => uri,
            None if bound.ip().is_unspecified() => {
                return Err(ServeError::Unadvertisable { bound });
            }
            None => format!("{scheme}://{bound}"),
        };

        let (reporter, health) = crate::proto::health::server::health_reporter();
        reporter.set_serving::<PluginServer<PluginService>>().await;
        let (stop, stopped) = oneshot::channel::<()>();
        let (ended, server_ended) = oneshot::channel::<()>();
        let plugin_service = service.clone();
        let server = server
            .add_service(health)
            .add_service(service.into_server())
            .serve_with_incoming_shutdown(incoming, async {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            });
        let server = tokio::spawn(async move {
            let result = server.await;
            // Serving ends with the server, withdrawing first.
            let _ = ended.send(());
            result
        });

        let agent = Agent {
            client,
            token,
            host: settings.host.clone(),
            request: AnnounceRequest {
                node: settings.node.clone(),
                address,
                plugins,
            },
        };
        // A `Stop` of every plugin served here ends serving like SIGTERM.
        let shutdown = async {
            tokio::select! {
                () = shutdown => {}
                () = plugin_service.all_stopped() => {}
                _ = server_ended => {}
            }
        };
        // A TLS service is not probed: see the type's docs.
        let probe = (scheme == "http").then_some(bound);
        let outcome = agent
            .run(probe, self.announce_timeout, self.call_timeout, shutdown)
            .await;

        reporter
            .set_not_serving::<PluginServer<PluginService>>()
            .await;
        let _ = stop.send(());
        let served = match server.await {
            Ok(result) => result.map_err(ServeError::Server),
            // The server task does not panic; a join error is the runtime
            // going away, which stops the server anyway.
            Err(_) => Ok(()),
        };
        outcome.and(served)
    }

    /// The plugins' metadata, as announced.
    fn announced(&self) -> Result<Vec<PluginMeta>, ServeError> {
        if self.plugins.is_empty() {
            return Err(ServeError::NoPlugins);
        }
        self.plugins
            .iter()
            .map(|(kind, name, given)| {
                let meta = match given {
                    Some(m) => m.clone(),
                    None => {
                        Metadata::compiled_in(kind, name).ok_or_else(|| ServeError::NoMetadata {
                            plugin_id: format!("{kind}.{name}"),
                        })?
                    }
                };
                Ok(PluginMeta {
                    kind: kind.clone(),
                    name: name.clone(),
                    version: meta.version,
                    api: meta.api,
                    description: meta.description,
                    capabilities: meta.capabilities,
                    depends_on: meta.depends_on,
                })
            })
            .collect()
    }

    /// The settings, those not set on the builder read with `env`.
    pub(super) fn resolve(
        &self,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Settings, ServeError> {
        self.given.resolve(env)
    }
}
