//! The plugin SDK (SPEC R1): a plugin process serves its plugins over
//! `pegboard.v1.Plugin`, announces them to the host's registry, keeps them
//! alive with heartbeats and withdraws them when it stops.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{Fuse, FusedFuture};
use pegboard_proto::health::pb::HealthCheckRequest;
use pegboard_proto::health::pb::health_check_response::ServingStatus;
use pegboard_proto::health::pb::health_client::HealthClient;
use pegboard_proto::v1::plugin_server::PluginServer;
use pegboard_proto::v1::registry_client::RegistryClient;
use pegboard_proto::v1::{AnnounceRequest, HeartbeatRequest, PluginMeta, WithdrawRequest};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Request, Status};
use tracing::Level;

use super::kind::RemoteKind;
use super::plugin_service::{PluginService, PluginServiceBuilder, PluginServiceError};
use crate::descriptor::PluginDescriptor;

/// The host's registry service, as a URI (`http://10.0.0.1:50051`).
pub const ENV_HOST: &str = "PEGBOARD_HOST";
/// The node label the plugins are announced from (a host name or any stable
/// label).
pub const ENV_NODE: &str = "PEGBOARD_NODE";
/// The host's token, sent as `authorization: Bearer <token>`.
pub const ENV_TOKEN: &str = "PEGBOARD_TOKEN";
/// Where the plugin service listens, a socket address (default
/// `127.0.0.1:0`: loopback, a free port).
pub const ENV_LISTEN: &str = "PEGBOARD_LISTEN";
/// The address announced to the host, a URI (default `http://<the bound
/// address>`); needed when listening on `0.0.0.0` or behind a proxy.
pub const ENV_ADVERTISE: &str = "PEGBOARD_ADVERTISE";

/// The CA certificate (a PEM file) that signed the host's certificate,
/// trusted when `PEGBOARD_HOST` is `https://` (and only then); required
/// for `https://`. Feature `remote-tls`.
pub const ENV_TLS_CA: &str = "PEGBOARD_TLS_CA";
/// The plugin's certificate chain (a PEM file, leaf first), presented to a
/// host that requires mutual TLS; with `PEGBOARD_TLS_KEY`. Feature
/// `remote-tls`.
pub const ENV_TLS_CERT: &str = "PEGBOARD_TLS_CERT";
/// The private key (a PEM file) of `PEGBOARD_TLS_CERT`. Feature
/// `remote-tls`.
pub const ENV_TLS_KEY: &str = "PEGBOARD_TLS_KEY";

/// The plugin service's own certificate chain (a PEM file, leaf first):
/// with `PEGBOARD_TLS_SERVE_KEY`, the plugin serves `pegboard.v1.Plugin`
/// over TLS and advertises `https://` by default. Feature `remote-tls`.
pub const ENV_TLS_SERVE_CERT: &str = "PEGBOARD_TLS_SERVE_CERT";
/// The private key (a PEM file) of `PEGBOARD_TLS_SERVE_CERT`. Feature
/// `remote-tls`.
pub const ENV_TLS_SERVE_KEY: &str = "PEGBOARD_TLS_SERVE_KEY";

/// Where the plugin service listens unless told otherwise.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// Why a plugin process could not serve, or stopped serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A required setting was neither set on the builder nor in the
    /// environment.
    #[error("{what} is not set: set the environment variable {var}")]
    MissingEnv {
        /// The environment variable.
        var: &'static str,
        /// What it configures.
        what: &'static str,
    },
    /// A setting (from the builder or the environment) is invalid.
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        /// What it configures, with the environment variable.
        what: &'static str,
        /// The value (never the token's).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No plugin was added.
    #[error("no plugin to serve: add at least one")]
    NoPlugins,
    /// A plugin has no `#[pegboard::plugin]` registration to take its
    /// metadata from, and none was given.
    #[error(
        "plugin `{plugin_id}` has no `#[pegboard::plugin]` registration in this binary: \
         give its metadata with `PluginProcess::plugin_with`"
    )]
    NoMetadata {
        /// `<kind>.<name>`.
        plugin_id: String,
    },
    /// The plugin service could not be built (invalid or repeated name).
    #[error(transparent)]
    Service(#[from] PluginServiceError),
    /// The listening address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The service listens on an unspecified address (`0.0.0.0`), which
    /// the host cannot reach.
    #[error(
        "listening on {bound}, which the host cannot call: set {ENV_ADVERTISE} (or `advertise`) to the address the host reaches"
    )]
    Unadvertisable {
        /// The bound address.
        bound: SocketAddr,
    },
    /// The plugin's own server did not answer its health check in time.
    #[error("the plugin service at {address} did not become ready: {reason}")]
    NotReady {
        /// The bound address.
        address: SocketAddr,
        /// The last failure.
        reason: String,
    },
    /// The host's registry could not be reached before the announcement
    /// deadline.
    #[error("the host's registry at {host} is unreachable: {message}")]
    Unreachable {
        /// The host URI.
        host: String,
        /// The last failure.
        message: String,
    },
    /// The host refused a call (`Announce`, or a `Heartbeat` otherwise than
    /// with `NOT_FOUND`), with its status.
    #[error("the host refused {call}: {code:?}: {message}")]
    Refused {
        /// `Announce` or `Heartbeat`.
        call: &'static str,
        /// The status code.
        code: Code,
        /// The host's message.
        message: String,
    },
    /// The TLS settings (to the host, or of the plugin service) could not
    /// be built: a file that cannot be read or holds no certificate or
    /// key, or a key that does not match its certificate.
    #[cfg(feature = "remote-tls")]
    #[error("TLS: {0}")]
    Tls(#[from] super::tls::TlsError),
    /// The gRPC server failed.
    #[error("the plugin service failed: {0}")]
    Server(#[source] tonic::transport::Error),
    /// The tokio runtime could not be built, or the shutdown signals could
    /// not be installed.
    #[error("{what}: {source}")]
    Runtime {
        /// What failed.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

/// What a plugin is announced with, when it has no `#[pegboard::plugin]`
/// registration (or to announce something else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The plugin's own version, semver.
    pub version: String,
    /// The pegboard API it was built against (default
    /// [`API_VERSION`](crate::API_VERSION)).
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
            api: crate::API_VERSION.to_owned(),
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
    fn compiled_in(kind: &str, name: &str) -> Option<Self> {
        crate::discover::compiled_in()
            .find(|d| d.kind() == kind && d.name() == name)
            .map(Self::from_descriptor)
    }
}

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
    host: Option<String>,
    node: Option<String>,
    token: Option<String>,
    listen: Option<SocketAddr>,
    advertise: Option<String>,
    #[cfg(feature = "remote-tls")]
    host_tls: Option<super::tls::ClientTls>,
    #[cfg(feature = "remote-tls")]
    serve_tls: Option<super::tls::ServerTls>,
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
            .field("host", &self.host)
            .field("node", &self.node)
            .field("listen", &self.listen)
            .field("advertise", &self.advertise)
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

/// A session the host opened.
struct Session {
    id: String,
    interval: Duration,
}

impl PluginProcess {
    /// No plugins; every setting from the environment.
    pub fn new() -> Self {
        PluginProcess {
            service: PluginService::builder(),
            plugins: Vec::new(),
            host: None,
            node: None,
            token: None,
            listen: None,
            advertise: None,
            #[cfg(feature = "remote-tls")]
            host_tls: None,
            #[cfg(feature = "remote-tls")]
            serve_tls: None,
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
        self.host = Some(uri.into());
        self
    }

    /// The node label (else `PEGBOARD_NODE`).
    pub fn node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }

    /// The host's token (else `PEGBOARD_TOKEN`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Where to listen (else `PEGBOARD_LISTEN`, else `127.0.0.1:0`).
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = Some(address);
        self
    }

    /// The URI announced to the host (else `PEGBOARD_ADVERTISE`, else
    /// `http://<bound address>`).
    pub fn advertise(mut self, uri: impl Into<String>) -> Self {
        self.advertise = Some(uri.into());
        self
    }

    /// Reaches the host over TLS with these settings (else from
    /// `PEGBOARD_TLS_CA`, `PEGBOARD_TLS_CERT` and `PEGBOARD_TLS_KEY`); the
    /// host's URI must be `https://`. Feature `remote-tls`.
    #[cfg(feature = "remote-tls")]
    pub fn host_tls(mut self, tls: super::tls::ClientTls) -> Self {
        self.host_tls = Some(tls);
        self
    }

    /// Serves the plugin service over TLS with these settings (else from
    /// `PEGBOARD_TLS_SERVE_CERT` and `PEGBOARD_TLS_SERVE_KEY`); the default
    /// advertised address becomes `https://<bound address>`. Feature
    /// `remote-tls`.
    #[cfg(feature = "remote-tls")]
    pub fn serve_tls(mut self, tls: super::tls::ServerTls) -> Self {
        self.serve_tls = Some(tls);
        self
    }

    #[cfg(feature = "remote-tls")]
    fn tls_debug(&self) -> Option<&super::tls::ClientTls> {
        self.host_tls.as_ref()
    }

    #[cfg(not(feature = "remote-tls"))]
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

        #[cfg(feature = "remote-tls")]
        let (mut server, scheme) = match &settings.serve_tls {
            Some(tls) => (tls.server()?, "https"),
            None => (Server::builder(), "http"),
        };
        #[cfg(not(feature = "remote-tls"))]
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

        let (reporter, health) = pegboard_proto::health::server::health_reporter();
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
    fn resolve(
        &self,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Settings, ServeError> {
        let read = |var: &'static str, what: &'static str| -> Result<Option<String>, ServeError> {
            match env(var) {
                None => Ok(None),
                Some(v) => v.into_string().map(Some).map_err(|v| ServeError::Invalid {
                    what,
                    value: v.to_string_lossy().into_owned(),
                    reason: format!("{var} is not valid UTF-8"),
                }),
            }
        };
        let required = |given: &Option<String>, var: &'static str, what: &'static str| match given {
            Some(v) => Ok(v.clone()),
            None => read(var, what)?.ok_or(ServeError::MissingEnv { var, what }),
        };
        let host = required(&self.host, ENV_HOST, "the host's registry address")?;
        let node = required(&self.node, ENV_NODE, "the node name")?;
        let token = required(&self.token, ENV_TOKEN, "the host's token")?;
        if token.is_empty() {
            return Err(ServeError::Invalid {
                what: "token (PEGBOARD_TOKEN)",
                value: String::new(),
                reason: "the token is empty".to_owned(),
            });
        }
        let listen = match self.listen {
            Some(a) => a,
            None => match read(ENV_LISTEN, "listening address (PEGBOARD_LISTEN)")? {
                None => DEFAULT_LISTEN,
                Some(v) => {
                    v.parse()
                        .map_err(|e: std::net::AddrParseError| ServeError::Invalid {
                            what: "listening address (PEGBOARD_LISTEN)",
                            value: v.clone(),
                            reason: format!("{e}; expected e.g. 127.0.0.1:0"),
                        })?
                }
            },
        };
        let advertise = match &self.advertise {
            Some(a) => Some(a.clone()),
            None => read(ENV_ADVERTISE, "advertised address (PEGBOARD_ADVERTISE)")?,
        };
        let https = host
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
        let tls_env = [ENV_TLS_CA, ENV_TLS_CERT, ENV_TLS_KEY]
            .into_iter()
            .find(|var| env(var).is_some());
        let serve_cert = read(
            ENV_TLS_SERVE_CERT,
            "the plugin service's certificate (PEGBOARD_TLS_SERVE_CERT)",
        )?;
        let serve_key = read(
            ENV_TLS_SERVE_KEY,
            "the plugin service's private key (PEGBOARD_TLS_SERVE_KEY)",
        )?;
        #[cfg(not(feature = "remote-tls"))]
        if serve_cert.is_some() || serve_key.is_some() {
            return Err(ServeError::Invalid {
                what: "plugin service's certificate (PEGBOARD_TLS_SERVE_CERT)",
                value: serve_cert.or(serve_key).unwrap_or_default(),
                reason: "TLS needs pegboard's `remote-tls` feature".to_owned(),
            });
        }
        #[cfg(feature = "remote-tls")]
        let serve_tls = match (&self.serve_tls, serve_cert, serve_key) {
            (Some(tls), _, _) => Some(tls.clone()),
            (None, Some(cert), Some(key)) => Some(super::tls::ServerTls::from_files(cert, key)?),
            (None, None, None) => None,
            (None, Some(_), None) => {
                return Err(ServeError::MissingEnv {
                    var: ENV_TLS_SERVE_KEY,
                    what: "the private key of PEGBOARD_TLS_SERVE_CERT",
                });
            }
            (None, None, Some(_)) => {
                return Err(ServeError::MissingEnv {
                    var: ENV_TLS_SERVE_CERT,
                    what: "the certificate of PEGBOARD_TLS_SERVE_KEY",
                });
            }
        };
        #[cfg(not(feature = "remote-tls"))]
        if https || tls_env.is_some() {
            return Err(ServeError::Invalid {
                what: "host's registry address (PEGBOARD_HOST)",
                value: host,
                reason: "TLS (https://, PEGBOARD_TLS_*) needs pegboard's `remote-tls` feature"
                    .to_owned(),
            });
        }
        #[cfg(feature = "remote-tls")]
        let tls = match (&self.host_tls, https) {
            (Some(tls), true) => Some(tls.clone()),
            (None, false) => {
                if let Some(var) = tls_env {
                    return Err(not_https(host, &format!("{var} is set")));
                }
                None
            }
            (Some(_), false) => return Err(not_https(host, "TLS settings were given")),
            (None, true) => {
                let what = "the CA certificate of the host's https:// address (PEGBOARD_TLS_CA)";
                let ca = read(ENV_TLS_CA, what)?.ok_or(ServeError::MissingEnv {
                    var: ENV_TLS_CA,
                    what,
                })?;
                let mut tls = super::tls::ClientTls::from_ca_file(ca)?;
                let cert = read(ENV_TLS_CERT, "the plugin's certificate (PEGBOARD_TLS_CERT)")?;
                let key = read(ENV_TLS_KEY, "the plugin's private key (PEGBOARD_TLS_KEY)")?;
                match (cert, key) {
                    (Some(cert), Some(key)) => tls = tls.identity_files(cert, key)?,
                    (None, None) => {}
                    (Some(_), None) => {
                        return Err(ServeError::MissingEnv {
                            var: ENV_TLS_KEY,
                            what: "the private key of PEGBOARD_TLS_CERT",
                        });
                    }
                    (None, Some(_)) => {
                        return Err(ServeError::MissingEnv {
                            var: ENV_TLS_CERT,
                            what: "the certificate of PEGBOARD_TLS_KEY",
                        });
                    }
                }
                Some(tls)
            }
        };
        Ok(Settings {
            host,
            node,
            token,
            listen,
            advertise,
            #[cfg(feature = "remote-tls")]
            tls,
            #[cfg(feature = "remote-tls")]
            serve_tls,
        })
    }
}

/// TLS settings with a host address that is not `https://`.
#[cfg(feature = "remote-tls")]
fn not_https(host: String, why: &str) -> ServeError {
    ServeError::Invalid {
        what: "host's registry address (PEGBOARD_HOST)",
        value: host,
        reason: format!("{why}, but TLS needs an https:// address"),
    }
}

/// The resolved settings.
struct Settings {
    host: String,
    node: String,
    token: String,
    listen: SocketAddr,
    advertise: Option<String>,
    /// With an `https://` host.
    #[cfg(feature = "remote-tls")]
    tls: Option<super::tls::ClientTls>,
    /// The plugin service's own TLS.
    #[cfg(feature = "remote-tls")]
    serve_tls: Option<super::tls::ServerTls>,
}

impl Settings {
    fn channel(&self, timeout: Duration) -> Result<Channel, ServeError> {
        #[cfg(feature = "remote-tls")]
        let endpoint = match &self.tls {
            Some(tls) => Some(tls.endpoint(&self.host)?),
            None => None,
        };
        #[cfg(not(feature = "remote-tls"))]
        let endpoint = None;
        let endpoint = match endpoint {
            Some(endpoint) => endpoint,
            None => Endpoint::from_shared(self.host.clone()).map_err(|e| ServeError::Invalid {
                what: "host's registry address (PEGBOARD_HOST)",
                value: self.host.clone(),
                reason: e.to_string(),
            })?,
        };
        Ok(endpoint
            .connect_timeout(timeout)
            .timeout(timeout)
            .connect_lazy())
    }

    fn token_value(&self) -> Result<MetadataValue<tonic::metadata::Ascii>, ServeError> {
        format!("{}{}", pegboard_proto::BEARER, self.token)
            .parse()
            .map_err(|_| ServeError::Invalid {
                what: "token (PEGBOARD_TOKEN)",
                value: "<hidden>".to_owned(),
                reason: "it is not valid in an HTTP header (printable ASCII only)".to_owned(),
            })
    }
}

/// Statuses that say the host could not be reached, rather than that it
/// refused: retried.
fn transient(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown
    )
}

/// Talks to the host's registry.
struct Agent {
    client: RegistryClient<Channel>,
    token: MetadataValue<tonic::metadata::Ascii>,
    host: String,
    request: AnnounceRequest,
}

impl Agent {
    fn authorized<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request
            .metadata_mut()
            .insert(pegboard_proto::AUTHORIZATION, self.token.clone());
        request
    }

    /// Announces once the plugin's own server answers, then keeps the
    /// session alive until `shutdown`, and withdraws it.
    ///
    /// `shutdown` interrupts waits and heartbeats, never an announcement
    /// in flight: the host may have accepted it, and the session it opened
    /// must be withdrawn.
    async fn run(
        mut self,
        probe: Option<SocketAddr>,
        announce_timeout: Duration,
        ready_timeout: Duration,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServeError> {
        let mut shutdown = std::pin::pin!(shutdown.fuse());
        if let Some(bound) = probe {
            tokio::select! {
                r = wait_ready(bound, ready_timeout) => r?,
                () = &mut shutdown => return Ok(()),
            }
        }
        let deadline = Instant::now() + announce_timeout;
        let Some(mut session) = self
            .announce(Some(deadline), Duration::from_secs(2), shutdown.as_mut())
            .await?
        else {
            return Ok(());
        };
        loop {
            if shutdown.is_terminated() {
                self.withdraw(&session.id).await;
                return Ok(());
            }
            let period = (session.interval / 2).max(Duration::from_millis(1));
            let heartbeat = self.authorized(HeartbeatRequest {
                session: session.id.clone(),
            });
            let mut client = self.client.clone();
            let answer = tokio::select! {
                answer = async {
                    tokio::time::sleep(period).await;
                    client.heartbeat(heartbeat).await
                } => answer,
                () = &mut shutdown => continue,
            };
            match answer {
                Ok(r) => {
                    session.interval = interval(r.into_inner().heartbeat_interval_ms);
                }
                Err(status) if status.code() == Code::NotFound => {
                    tracing::event!(
                        name: "plugin.sdk.reannounce",
                        Level::INFO,
                        session = session.id.as_str(),
                        reason = status.message(),
                        "plugin.sdk.reannounce"
                    );
                    let cap = session.interval;
                    match self.announce(None, cap, shutdown.as_mut()).await? {
                        Some(s) => session = s,
                        None => return Ok(()),
                    }
                }
                Err(status) if transient(status.code()) => {
                    tracing::event!(
                        name: "plugin.sdk.heartbeat_failed",
                        Level::WARN,
                        host = self.host.as_str(),
                        error = status.message(),
                        "plugin.sdk.heartbeat_failed"
                    );
                }
                Err(status) => return Err(refused("Heartbeat", &status)),
            }
        }
    }

    /// Announces, retrying while the host is unreachable (until `deadline`,
    /// if any, with backoff up to `max_backoff`); `None` when `shutdown`
    /// came before an announcement was sent.
    async fn announce<F: Future<Output = ()>>(
        &mut self,
        deadline: Option<Instant>,
        max_backoff: Duration,
        mut shutdown: Pin<&mut Fuse<F>>,
    ) -> Result<Option<Session>, ServeError> {
        let max_backoff = max_backoff.max(Duration::from_millis(1));
        let mut backoff = Duration::from_millis(20).min(max_backoff);
        loop {
            if shutdown.is_terminated() {
                return Ok(None);
            }
            let request = self.authorized(self.request.clone());
            match self.client.announce(request).await {
                Ok(r) => {
                    let r = r.into_inner();
                    tracing::event!(
                        name: "plugin.sdk.announced",
                        Level::INFO,
                        host = self.host.as_str(),
                        address = self.request.address.as_str(),
                        session = r.session.as_str(),
                        "plugin.sdk.announced"
                    );
                    return Ok(Some(Session {
                        id: r.session,
                        interval: interval(r.heartbeat_interval_ms),
                    }));
                }
                Err(status) if transient(status.code()) => {
                    if deadline.is_some_and(|d| Instant::now() + backoff > d) {
                        return Err(ServeError::Unreachable {
                            host: self.host.clone(),
                            message: status.message().to_owned(),
                        });
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = &mut shutdown => return Ok(None),
                    }
                    backoff = (backoff * 2).min(max_backoff);
                }
                Err(status) => return Err(refused("Announce", &status)),
            }
        }
    }

    /// Withdraws the session; a failure is logged, not fatal (the host
    /// expires the session anyway).
    async fn withdraw(&mut self, session: &str) {
        let request = self.authorized(WithdrawRequest {
            session: session.to_owned(),
        });
        match self.client.withdraw(request).await {
            Ok(_) => tracing::event!(
                name: "plugin.sdk.withdrawn",
                Level::INFO,
                session,
                "plugin.sdk.withdrawn"
            ),
            Err(status) => tracing::event!(
                name: "plugin.sdk.withdraw_failed",
                Level::WARN,
                session,
                error = status.message(),
                "plugin.sdk.withdraw_failed"
            ),
        }
    }
}

fn refused(call: &'static str, status: &Status) -> ServeError {
    ServeError::Refused {
        call,
        code: status.code(),
        message: status.message().to_owned(),
    }
}

/// The interval the host asked for; zero read as one millisecond.
fn interval(ms: u64) -> Duration {
    Duration::from_millis(ms.max(1))
}

/// Waits until the plugin's own server answers its health check as
/// serving `pegboard.v1.Plugin`.
async fn wait_ready(bound: SocketAddr, timeout: Duration) -> Result<(), ServeError> {
    let mut probe = bound;
    if probe.ip().is_unspecified() {
        probe.set_ip(match probe.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        });
    }
    let not_ready = |reason: String| ServeError::NotReady {
        address: bound,
        reason,
    };
    let endpoint =
        Endpoint::from_shared(format!("http://{probe}")).map_err(|e| not_ready(e.to_string()))?;
    let service = <PluginServer<PluginService> as tonic::server::NamedService>::NAME;
    let deadline = Instant::now() + timeout;
    let mut last = String::from("no answer");
    while Instant::now() < deadline {
        match endpoint.connect().await {
            Ok(channel) => {
                let check = HealthClient::new(channel)
                    .check(HealthCheckRequest {
                        service: service.to_owned(),
                    })
                    .await;
                match check {
                    Ok(r) if r.get_ref().status() == ServingStatus::Serving => return Ok(()),
                    Ok(r) => last = format!("health status {:?}", r.get_ref().status()),
                    Err(status) => last = status.to_string(),
                }
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(not_ready(last))
}

/// SIGTERM (on Unix) or ctrl-c.
fn shutdown_signal() -> Result<impl Future<Output = ()> + Send, ServeError> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|source| ServeError::Runtime {
            what: "cannot listen for SIGTERM",
            source,
        })?;
    Ok(async move {
        #[cfg(unix)]
        let term = async move {
            term.recv().await;
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        let mut term = std::pin::pin!(term);
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if r.is_err() {
                    // No ctrl-c handler: wait for SIGTERM alone.
                    term.as_mut().await;
                }
            }
            () = term.as_mut() => {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| vars.get(k).map(OsString::from)
    }

    #[test]
    fn settings_come_from_the_environment() {
        let s = PluginProcess::new()
            .resolve(env(&[
                (ENV_HOST, "http://host:1"),
                (ENV_NODE, "n1"),
                (ENV_TOKEN, "t"),
                (ENV_LISTEN, "0.0.0.0:7000"),
                (ENV_ADVERTISE, "http://me:7000"),
            ]))
            .unwrap();
        assert_eq!(s.host, "http://host:1");
        assert_eq!(s.node, "n1");
        assert_eq!(s.token, "t");
        assert_eq!(s.listen, "0.0.0.0:7000".parse().unwrap());
        assert_eq!(s.advertise.as_deref(), Some("http://me:7000"));
    }

    #[test]
    fn the_builder_wins_and_listen_defaults_to_loopback() {
        let s = PluginProcess::new()
            .host("http://explicit:2")
            .node("n2")
            .token("t2")
            .resolve(env(&[(ENV_HOST, "http://env:1"), (ENV_NODE, "env")]))
            .unwrap();
        assert_eq!(s.host, "http://explicit:2");
        assert_eq!(s.node, "n2");
        assert_eq!(s.listen, DEFAULT_LISTEN);
        assert_eq!(s.advertise, None);
    }

    #[test]
    fn missing_and_invalid_settings_are_named() {
        let err = PluginProcess::new()
            .resolve(env(&[(ENV_NODE, "n"), (ENV_TOKEN, "t")]))
            .err()
            .unwrap();
        assert!(
            matches!(err, ServeError::MissingEnv { var: ENV_HOST, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("PEGBOARD_HOST"), "{err}");
        let err = PluginProcess::new()
            .resolve(env(&[(ENV_HOST, "http://h:1"), (ENV_NODE, "n")]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("PEGBOARD_TOKEN"), "{err}");
        let err = PluginProcess::new()
            .resolve(env(&[
                (ENV_HOST, "http://h:1"),
                (ENV_NODE, "n"),
                (ENV_TOKEN, "t"),
                (ENV_LISTEN, "port 80"),
            ]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("PEGBOARD_LISTEN"), "{err}");
        assert!(err.to_string().contains("port 80"), "{err}");
        let err = PluginProcess::new()
            .resolve(env(&[(ENV_HOST, "h"), (ENV_NODE, "n"), (ENV_TOKEN, "")]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn a_token_unfit_for_a_header_is_refused_without_showing_it() {
        let s = PluginProcess::new()
            .host("http://h:1")
            .node("n")
            .token("s3cret\nline")
            .resolve(env(&[]))
            .unwrap();
        let err = s.token_value().unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[cfg(feature = "remote-tls")]
    #[test]
    fn an_https_host_takes_its_tls_settings_from_the_environment() {
        let dir = std::env::temp_dir().join(format!("pegboard-sdk-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = |name: &str, label: &str| {
            let path = dir.join(name);
            std::fs::write(
                &path,
                format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n"),
            )
            .unwrap();
            path.display().to_string()
        };
        let ca = pem("ca.pem", "CERTIFICATE");
        let cert = pem("plugin.pem", "CERTIFICATE");
        let key = pem("plugin.key", "PRIVATE KEY");
        let base = [
            (ENV_HOST, "https://host:1"),
            (ENV_NODE, "n"),
            (ENV_TOKEN, "t"),
        ];
        let with = |more: &[(&'static str, &str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(more);
            PluginProcess::new().resolve(env(&vars))
        };

        let err = with(&[]).err().unwrap();
        assert!(
            matches!(
                err,
                ServeError::MissingEnv {
                    var: ENV_TLS_CA,
                    ..
                }
            ),
            "{err}"
        );
        let s = with(&[(ENV_TLS_CA, &ca)]).unwrap();
        assert!(!s.tls.as_ref().unwrap().has_identity());
        let s = with(&[
            (ENV_TLS_CA, &ca),
            (ENV_TLS_CERT, &cert),
            (ENV_TLS_KEY, &key),
        ])
        .unwrap();
        assert!(s.tls.as_ref().unwrap().has_identity());
        let err = with(&[(ENV_TLS_CA, &ca), (ENV_TLS_CERT, &cert)])
            .err()
            .unwrap();
        assert!(
            matches!(
                err,
                ServeError::MissingEnv {
                    var: ENV_TLS_KEY,
                    ..
                }
            ),
            "{err}"
        );
        // A file that is not there is named.
        let err = with(&[(ENV_TLS_CA, "/nonexistent/ca.pem")]).err().unwrap();
        assert!(matches!(err, ServeError::Tls(_)), "{err}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        // The key given as the CA.
        let err = with(&[(ENV_TLS_CA, &key)]).err().unwrap();
        assert!(err.to_string().contains(&key), "{err}");

        // TLS settings with an http:// host are refused, not ignored.
        let err = PluginProcess::new()
            .resolve(env(&[
                (ENV_HOST, "http://host:1"),
                (ENV_NODE, "n"),
                (ENV_TOKEN, "t"),
                (ENV_TLS_CA, &ca),
            ]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("PEGBOARD_TLS_CA"), "{err}");
        let tls = super::super::tls::ClientTls::from_ca_file(&ca).unwrap();
        let err = PluginProcess::new()
            .host("http://host:1")
            .node("n")
            .token("t")
            .host_tls(tls.clone())
            .resolve(env(&[]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("https://"), "{err}");
        // The builder's settings win over the environment's.
        let s = PluginProcess::new()
            .host("https://host:1")
            .node("n")
            .token("t")
            .host_tls(tls)
            .resolve(env(&[(ENV_TLS_CA, "/nonexistent/ca.pem")]))
            .unwrap();
        assert!(s.tls.is_some());
        // The plugin's own service: both files or neither.
        let s = with(&[
            (ENV_TLS_CA, &ca),
            (ENV_TLS_SERVE_CERT, &cert),
            (ENV_TLS_SERVE_KEY, &key),
        ])
        .unwrap();
        assert!(s.serve_tls.is_some());
        let err = with(&[(ENV_TLS_CA, &ca), (ENV_TLS_SERVE_CERT, &cert)])
            .err()
            .unwrap();
        assert!(
            matches!(
                err,
                ServeError::MissingEnv {
                    var: ENV_TLS_SERVE_KEY,
                    ..
                }
            ),
            "{err}"
        );
        let err = with(&[
            (ENV_TLS_CA, &ca),
            (ENV_TLS_SERVE_CERT, &cert),
            (ENV_TLS_SERVE_KEY, &cert),
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("no private key"), "{err}");
        // A plaintext host without TLS settings stays plaintext.
        let s = PluginProcess::new()
            .resolve(env(&[
                (ENV_HOST, "http://host:1"),
                (ENV_NODE, "n"),
                (ENV_TOKEN, "t"),
            ]))
            .unwrap();
        assert!(s.tls.is_none());
        assert!(s.serve_tls.is_none());
    }
}
