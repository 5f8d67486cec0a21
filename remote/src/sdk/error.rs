//! Why a plugin process could not serve, or stopped serving.

use std::net::SocketAddr;

use tonic::Code;

use super::env::ENV_ADVERTISE;
use crate::plugin_service::PluginServiceError;

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
    #[cfg(feature = "tls")]
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
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
