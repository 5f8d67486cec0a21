//! The environment a plugin process reads its settings from (those not
//! given to [`PluginProcess`](crate::PluginProcess)).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

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
