//! The gRPC [`Transport`]: `pegboard.v1.Plugin/Invoke` with tonic, made
//! synchronous for kind methods.

use std::time::Duration;

use crate::proto::v1::plugin_client::PluginClient;
use crate::proto::v1::{InvokeRequest, InvokeResponse};
use tokio::runtime::{Handle, RuntimeFlavor};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};

use super::kind::{Transport, TransportError};

/// How long a call may take unless [`GrpcTransport::timeout`] says
/// otherwise; a backstop, dispatch applies the kind's own timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Calls a plugin process's `pegboard.v1.Plugin` service with tonic.
///
/// Kind methods are synchronous and tonic is async, so each call runs on the
/// multi-thread tokio runtime whose [`Handle`] the transport holds (its IO
/// and time drivers must be enabled, e.g. `enable_all`). A call may be made:
///
/// * from a thread outside any runtime, such as dispatch's blocking pool:
///   it blocks that thread;
/// * from a task of a multi-thread runtime: it blocks the task's worker
///   through `tokio::task::block_in_place`, so the runtime's other tasks
///   move to other workers.
///
/// From a current-thread runtime the call fails with
/// [`TransportError::Runtime`]: blocking that runtime's only thread would
/// stall it (and deadlock it when it is the transport's own runtime), and
/// tokio cannot block from inside it without panicking. This includes the
/// blocking pool of a current-thread runtime, which tokio does not tell
/// apart from the runtime's own thread: hosts that call remote plugins run
/// a multi-thread runtime.
#[derive(Debug, Clone)]
pub struct GrpcTransport {
    client: PluginClient<Channel>,
    handle: Handle,
    timeout: Duration,
    /// `Bearer <token>` sent with every call, if set; `Err` if the token
    /// cannot be a header value.
    authorization: Option<Result<MetadataValue<Ascii>, ()>>,
}

impl GrpcTransport {
    /// A transport over `channel`, running calls on `handle`'s runtime.
    pub fn new(channel: Channel, handle: Handle) -> Self {
        GrpcTransport {
            client: PluginClient::new(channel),
            handle,
            timeout: DEFAULT_TIMEOUT,
            authorization: None,
        }
    }

    /// A transport to the plugin service at `address` (e.g.
    /// `http://127.0.0.1:50051`), connecting on the first call (and again
    /// after a broken connection).
    pub fn connect_lazy(address: &str, handle: Handle) -> Result<Self, tonic::transport::Error> {
        let endpoint = Endpoint::from_shared(address.to_owned())?;
        // The channel spawns its worker task on the current runtime.
        let channel = {
            let _entered = handle.enter();
            endpoint.connect_lazy()
        };
        Ok(Self::new(channel, handle))
    }

    /// A transport to the plugin service at the `https://` URI `address`
    /// over TLS with `tls`, connecting on the first call (and again after a
    /// broken connection). Feature `remote-tls`.
    #[cfg(feature = "tls")]
    pub fn connect_lazy_tls(
        address: &str,
        tls: &super::tls::ClientTls,
        handle: Handle,
    ) -> Result<Self, super::tls::TlsError> {
        let endpoint = tls.endpoint(address)?;
        let channel = {
            let _entered = handle.enter();
            endpoint.connect_lazy()
        };
        Ok(Self::new(channel, handle))
    }

    /// How long one call may take (default [`DEFAULT_TIMEOUT`]); a call that
    /// takes longer fails with [`TransportError::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends `authorization: Bearer <token>` with every call, for a plugin
    /// service that requires it ([`PluginServiceBuilder::token`](super::PluginServiceBuilder::token);
    /// the SDK's services require the token they announced with). A token
    /// that cannot be a header value fails every call.
    pub fn with_token(mut self, token: &str) -> Self {
        self.authorization = Some(
            format!("{}{token}", crate::proto::BEARER)
                .parse()
                .map_err(drop),
        );
        self
    }
}

impl Transport for GrpcTransport {
    fn invoke(&self, request: InvokeRequest) -> Result<InvokeResponse, TransportError> {
        if self.handle.runtime_flavor() != RuntimeFlavor::MultiThread {
            // Nothing would drive the IO driver while this thread waits.
            return Err(TransportError::Runtime(
                "the transport's tokio runtime is not a multi-thread runtime".to_owned(),
            ));
        }
        let mut request = tonic::Request::new(request);
        match &self.authorization {
            Some(Ok(value)) => {
                request
                    .metadata_mut()
                    .insert(crate::proto::AUTHORIZATION, value.clone());
            }
            Some(Err(())) => {
                return Err(TransportError::Runtime(
                    "the plugin's token is not valid in an HTTP header".to_owned(),
                ));
            }
            None => {}
        }
        let mut client = self.client.clone();
        let timeout = self.timeout;
        let call = async move {
            match tokio::time::timeout(timeout, client.invoke(request)).await {
                Ok(Ok(response)) => Ok(response.into_inner()),
                Ok(Err(status)) if status.code() == tonic::Code::DeadlineExceeded => {
                    Err(TransportError::Timeout(timeout))
                }
                Ok(Err(status)) => Err(TransportError::Status {
                    code: status.code(),
                    message: status.message().to_owned(),
                }),
                Err(_elapsed) => Err(TransportError::Timeout(timeout)),
            }
        };
        match Handle::try_current() {
            Err(_) => self.handle.block_on(call),
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| self.handle.block_on(call))
            }
            Ok(_) => Err(TransportError::Runtime(
                "a remote call blocks, and it was made inside a current-thread tokio runtime, \
                 which it would stall: call from a multi-thread runtime or a blocking thread \
                 (e.g. `tokio::task::spawn_blocking`, dispatch's `call_blocking`)"
                    .to_owned(),
            )),
        }
    }
}
