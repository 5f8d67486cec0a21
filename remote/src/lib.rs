//! # pegboard-remote
//!
//! pegboard's out-of-process runtime: the gRPC protocol (package
//! `pegboard.v1`, [`proto`]), the registry service that plugins in other
//! processes or on other machines announce themselves to
//! ([`RemoteRegistry`]), their membership in a host's registry
//! ([`RemoteMembers`]), the plugin SDK ([`serve`], [`PluginProcess`]) and
//! spawned plugin processes ([`PluginChild`]).
//!
//! It is built on the engine's extension API (`pegboard_core::extend`) and
//! knows nothing the engine does not export. Use it through `pegboard`,
//! whose `remote` feature re-exports it as `pegboard::remote`, documented
//! there with examples (`#[pegboard::kind(remote)]` generates code that
//! names `pegboard::remote`); `remote-tls` turns on this crate's `tls`
//! feature.

#![warn(missing_docs)]

// The unit tests declare a remote kind with `#[pegboard::kind(remote)]`,
// whose expansion names `::pegboard::...`; under test this crate stands in
// for the `pegboard` facade (which depends on it, so it cannot be a
// dependency here).
#[cfg(test)]
extern crate self as pegboard;
#[cfg(test)]
use crate as remote;
#[cfg(test)]
#[allow(unused_imports)]
use pegboard_core::*;
#[cfg(test)]
mod __private {
    macro_rules! remote_kind {
        ($($generated:tt)*) => { $($generated)* };
    }
    pub(crate) use remote_kind;
}

mod auth;
mod error;
mod grpc;
mod heartbeat;
mod kind;
mod link;
mod members;
mod plugin_service;
mod process;
pub mod proto;
mod registry;
pub mod scan;
mod sdk;
mod service;
#[cfg(feature = "tls")]
mod tls;

pub use crate::proto::v1::{
    InvokeError, InvokeErrorCode, InvokeRequest, InvokeResponse, invoke_response,
};
pub use error::RemoteError;
pub use grpc::{DEFAULT_TIMEOUT, GrpcTransport};
pub use heartbeat::{HeartbeatSettings, RemoteState};
#[doc(hidden)]
pub use kind::{
    __assert_error, __assert_value, __decode_args, __encode_result, __unknown_operation,
    RemoteErrorValue, RemoteValue,
};
pub use kind::{Invoker, RemoteCallError, RemoteKind, Transport, TransportError, stub};
pub use members::{
    DEFAULT_NODE, DEFAULT_STOP_GRACE, MembersError, RemoteMembers, RemoteMembersBuilder,
};
pub use plugin_service::{PluginService, PluginServiceBuilder, PluginServiceError};
pub use process::{PluginChild, ProcessError, StopOutcome};
pub use registry::{RemotePlugin, RemoteRegistry, RemoteRegistryBuilder};
pub use sdk::{
    DEFAULT_LISTEN, ENV_ADVERTISE, ENV_HOST, ENV_LISTEN, ENV_NODE, ENV_TLS_CA, ENV_TLS_CERT,
    ENV_TLS_KEY, ENV_TLS_SERVE_CERT, ENV_TLS_SERVE_KEY, ENV_TOKEN, Metadata, PluginProcess,
    ServeError, serve,
};
pub use service::RegistryService;
#[cfg(feature = "tls")]
pub use tls::{ClientTls, ServerTls, TlsError};
