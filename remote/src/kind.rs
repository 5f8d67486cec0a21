//! Remote kinds: the runtime behind `#[pegboard::kind(remote)]`. The macro
//! generates, for `dyn Trait`, a client stub that implements the trait by
//! calling a plugin over an [`Invoker`], and a server adapter that turns an
//! `Invoke` call back into a method call on a local plugin.
//!
//! The wire format of one call (the `request` and `response` bytes of
//! `pegboard.v1.Plugin/Invoke`):
//!
//! * request: the method's arguments as a JSON array, borrowed arguments in
//!   their owned form (`&str` as a string, `&[T]` as an array of `T`, `&T`
//!   as `T`); `null` for a method without arguments.
//! * response: the method's whole `Result<T, E>` as JSON, `{"Ok": ...}` or
//!   `{"Err": ...}`, so a plugin's own errors reach the host as `Err`
//!   values of the kind's error type. An `InvokeError` is only for what is
//!   not the plugin's answer: an unknown plugin or operation, undecodable
//!   arguments, an unencodable result, a panic.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::proto::v1::invoke_response::Outcome;
use crate::proto::v1::{InvokeError, InvokeErrorCode, InvokeRequest, InvokeResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

use pegboard_core::Kind;

/// Why a call to a remote plugin did not bring back the plugin's answer.
///
/// A remote kind's error type implements `From<RemoteCallError>`, so the
/// client stub returns these as `Err` values of the kind's own error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteCallError {
    /// The gRPC call failed: the plugin's service is unreachable, refused
    /// the call, or broke the connection.
    #[error(
        "calling {operation} on remote plugin `{plugin_id}` failed: gRPC status {code:?}: {message}"
    )]
    Transport {
        /// `<kind>.<name>` of the plugin.
        plugin_id: String,
        /// The operation called.
        operation: String,
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// The call did not complete within the transport's timeout.
    #[error("calling {operation} on remote plugin `{plugin_id}` timed out after {after:?}")]
    Timeout {
        /// `<kind>.<name>` of the plugin.
        plugin_id: String,
        /// The operation called.
        operation: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The arguments could not be serialized.
    #[error(
        "calling {operation} on remote plugin `{plugin_id}`: cannot encode the arguments: {message}"
    )]
    Encode {
        /// `<kind>.<name>` of the plugin.
        plugin_id: String,
        /// The operation called.
        operation: String,
        /// The serializer's error.
        message: String,
    },
    /// The plugin's response is malformed: no outcome, or bytes that are not
    /// the operation's `Result<T, E>` in JSON.
    #[error("calling {operation} on remote plugin `{plugin_id}`: malformed response: {message}")]
    Decode {
        /// `<kind>.<name>` of the plugin.
        plugin_id: String,
        /// The operation called.
        operation: String,
        /// What is wrong with the response.
        message: String,
    },
    /// The plugin's side reported an `InvokeError`: unknown plugin or
    /// operation, undecodable arguments, a panic, ...
    #[error("calling {operation} on remote plugin `{plugin_id}` failed on the plugin's side ({}): {message}", code.as_str_name())]
    Remote {
        /// `<kind>.<name>` of the plugin.
        plugin_id: String,
        /// The operation called.
        operation: String,
        /// What went wrong; [`InvokeErrorCode::Unspecified`] for a code this
        /// host does not know.
        code: InvokeErrorCode,
        /// The plugin side's message.
        message: String,
    },
    /// The call was made where it cannot block: remote calls are synchronous
    /// (kind methods are), and blocking a current-thread tokio runtime would
    /// deadlock it.
    #[error("calling {operation} on remote plugin `{plugin_id}`: {reason}")]
    Runtime {
        /// `<kind>.<name>` of the plugin.
        plugin_id: String,
        /// The operation called.
        operation: String,
        /// Why the call could not be made, and what to do instead.
        reason: String,
    },
}

impl RemoteCallError {
    /// `<kind>.<name>` of the plugin that was called.
    pub fn plugin_id(&self) -> &str {
        match self {
            RemoteCallError::Transport { plugin_id, .. }
            | RemoteCallError::Timeout { plugin_id, .. }
            | RemoteCallError::Encode { plugin_id, .. }
            | RemoteCallError::Decode { plugin_id, .. }
            | RemoteCallError::Remote { plugin_id, .. }
            | RemoteCallError::Runtime { plugin_id, .. } => plugin_id,
        }
    }
}

/// Why a [`Transport`] could not bring back an `InvokeResponse`; the
/// [`Invoker`] adds the plugin and operation to make a [`RemoteCallError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The gRPC call failed with this status.
    #[error("gRPC status {code:?}: {message}")]
    Status {
        /// The status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// The call did not complete in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The call cannot be made from where it was made (see
    /// [`RemoteCallError::Runtime`]).
    #[error("{0}")]
    Runtime(String),
}

/// Carries one `Invoke` call to a plugin and brings back its response,
/// synchronously. [`GrpcTransport`](super::GrpcTransport) is the real one;
/// tests may use their own (any `Fn(InvokeRequest) -> Result<InvokeResponse,
/// TransportError>` is a transport).
pub trait Transport: Send + Sync + 'static {
    /// Makes the call; blocks until it completes or fails.
    fn invoke(&self, request: InvokeRequest) -> Result<InvokeResponse, TransportError>;
}

impl<F> Transport for F
where
    F: Fn(InvokeRequest) -> Result<InvokeResponse, TransportError> + Send + Sync + 'static,
{
    fn invoke(&self, request: InvokeRequest) -> Result<InvokeResponse, TransportError> {
        self(request)
    }
}

/// One remote plugin, as the client stub of its kind sees it: its kind,
/// its name and the transport that reaches it. Cloning is cheap.
#[derive(Clone)]
pub struct Invoker {
    kind: String,
    plugin: String,
    plugin_id: String,
    transport: Arc<dyn Transport>,
}

impl fmt::Debug for Invoker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invoker")
            .field("plugin_id", &self.plugin_id)
            .finish_non_exhaustive()
    }
}

impl Invoker {
    /// An invoker for the plugin `plugin` of kind `kind` (both as announced),
    /// reached through `transport`. [`stub`] makes one for a kind's type.
    pub fn new(
        kind: impl Into<String>,
        plugin: impl Into<String>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        let (kind, plugin) = (kind.into(), plugin.into());
        Invoker {
            plugin_id: format!("{kind}.{plugin}"),
            kind,
            plugin,
            transport,
        }
    }

    /// `<kind>.<name>` of the plugin.
    pub fn plugin_id(&self) -> &str {
        &self.plugin_id
    }

    /// Calls `operation` with `args` (the arguments as a tuple) and decodes
    /// the plugin's `Result<T, E>`; a failure of the call itself becomes an
    /// `E` through `From<RemoteCallError>`. The client stubs generated by
    /// `#[pegboard::kind(remote)]` call this.
    pub fn call<A, T, E>(&self, operation: &str, args: &A) -> Result<T, E>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
        E: DeserializeOwned + From<RemoteCallError>,
    {
        self.try_call(operation, args).map_err(E::from)?
    }

    fn try_call<A, T, E>(&self, operation: &str, args: &A) -> Result<Result<T, E>, RemoteCallError>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let plugin_id = || self.plugin_id.clone();
        let request = serde_json::to_vec(args).map_err(|e| RemoteCallError::Encode {
            plugin_id: plugin_id(),
            operation: operation.to_owned(),
            message: e.to_string(),
        })?;
        let response = self
            .transport
            .invoke(InvokeRequest {
                plugin: self.plugin.clone(),
                kind: self.kind.clone(),
                operation: operation.to_owned(),
                request,
            })
            .map_err(|e| match e {
                TransportError::Status { code, message } => RemoteCallError::Transport {
                    plugin_id: plugin_id(),
                    operation: operation.to_owned(),
                    code,
                    message,
                },
                TransportError::Timeout(after) => RemoteCallError::Timeout {
                    plugin_id: plugin_id(),
                    operation: operation.to_owned(),
                    after,
                },
                TransportError::Runtime(reason) => RemoteCallError::Runtime {
                    plugin_id: plugin_id(),
                    operation: operation.to_owned(),
                    reason,
                },
            })?;
        let malformed = |message: String| RemoteCallError::Decode {
            plugin_id: plugin_id(),
            operation: operation.to_owned(),
            message,
        };
        match response.outcome {
            Some(Outcome::Response(bytes)) => serde_json::from_slice::<Result<T, E>>(&bytes)
                .map_err(|e| malformed(format!("not the operation's result as JSON: {e}"))),
            Some(Outcome::Error(err)) => Err(RemoteCallError::Remote {
                plugin_id: plugin_id(),
                operation: operation.to_owned(),
                code: err.code(),
                message: err.message,
            }),
            None => Err(malformed("neither a response nor an error".to_owned())),
        }
    }
}

/// A plugin kind that can be called across processes: implemented for
/// `dyn Trait` by `#[pegboard::kind(remote)]`.
///
/// The host keeps calling `Arc<dyn Trait>`: [`stub`](Self::stub) makes one
/// whose methods call a remote plugin. The plugin's side keeps implementing
/// `Trait`: [`serve`](Self::serve) turns an `Invoke` call into a method call
/// on it ([`PluginService`](super::PluginService) does this for a gRPC
/// server).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a remote plugin kind",
    label = "not a remote kind",
    note = "declare the trait with `#[pegboard::kind(remote)]` to call its plugins across processes"
)]
pub trait RemoteKind: Kind {
    /// The operations (method names), in declaration order.
    const OPERATIONS: &'static [&'static str];

    /// A client stub: an implementation of the kind whose methods call the
    /// plugin behind `invoker`.
    fn stub(invoker: Invoker) -> Arc<Self>;

    /// Calls `operation` on `plugin` with the JSON-encoded `request`
    /// arguments and returns its JSON-encoded `Result<T, E>`. Panics of the
    /// plugin are not caught here; the caller isolates the call.
    fn serve(plugin: &Self, operation: &str, request: &[u8]) -> Result<Vec<u8>, InvokeError>;
}

/// A client stub of kind `K` for the plugin `plugin`, reached through
/// `transport`: `stub::<dyn Classifier>("keywords", transport)`.
pub fn stub<K: RemoteKind + ?Sized>(
    plugin: impl Into<String>,
    transport: Arc<dyn Transport>,
) -> Arc<K> {
    K::stub(Invoker::new(K::NAME, plugin, transport))
}

/// An `InvokeError` with this code and message.
pub(crate) fn invoke_error(code: InvokeErrorCode, message: impl Into<String>) -> InvokeError {
    InvokeError {
        code: code.into(),
        message: message.into(),
    }
}

/// Decodes an operation's arguments. For generated code.
#[doc(hidden)]
pub fn __decode_args<A: DeserializeOwned>(
    kind: &str,
    operation: &str,
    request: &[u8],
) -> Result<A, InvokeError> {
    serde_json::from_slice(request).map_err(|e| {
        invoke_error(
            InvokeErrorCode::Decode,
            format!("the arguments of {kind}.{operation} are not valid: {e}"),
        )
    })
}

/// Encodes an operation's result. For generated code.
#[doc(hidden)]
pub fn __encode_result<R: Serialize>(
    kind: &str,
    operation: &str,
    result: &R,
) -> Result<Vec<u8>, InvokeError> {
    serde_json::to_vec(result).map_err(|e| {
        invoke_error(
            InvokeErrorCode::Encode,
            format!("the result of {kind}.{operation} cannot be encoded: {e}"),
        )
    })
}

/// The answer to an operation the kind does not have. For generated code.
#[doc(hidden)]
pub fn __unknown_operation(
    kind: &str,
    operation: &str,
    known: &[&str],
) -> Result<Vec<u8>, InvokeError> {
    Err(invoke_error(
        InvokeErrorCode::UnknownOperation,
        format!(
            "kind `{kind}` has no operation `{operation}` (it has: {})",
            known.join(", ")
        ),
    ))
}

/// What a remote kind's arguments and results must be. For the checks
/// generated by `#[pegboard::kind(remote)]`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross a remote call",
    label = "must implement `serde::Serialize` and `serde::Deserialize`",
    note = "arguments and results of a remote kind's methods travel as JSON: derive `Serialize` and `Deserialize` for `{Self}`"
)]
pub trait RemoteValue: Serialize + DeserializeOwned {}
impl<T: Serialize + DeserializeOwned> RemoteValue for T {}

/// What a remote kind's error types must be. For the checks generated by
/// `#[pegboard::kind(remote)]`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error type of a remote kind's method",
    label = "must implement `serde::Serialize`, `serde::Deserialize` and `From<pegboard::remote::RemoteCallError>`",
    note = "a failed remote call is returned as this error type: implement `From<pegboard::remote::RemoteCallError>` for `{Self}`, and derive `Serialize` and `Deserialize`"
)]
pub trait RemoteErrorValue: RemoteValue + From<RemoteCallError> {}
impl<E: RemoteValue + From<RemoteCallError>> RemoteErrorValue for E {}

/// Compile-time check that `T` is a [`RemoteValue`]. For generated code.
#[doc(hidden)]
pub const fn __assert_value<T: RemoteValue>() {}

/// Compile-time check that `E` is a [`RemoteErrorValue`]. For generated code.
#[doc(hidden)]
pub const fn __assert_error<E: RemoteErrorValue>() {}
