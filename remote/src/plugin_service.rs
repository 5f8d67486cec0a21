//! The plugin side: `pegboard.v1.Plugin` served from local plugins of remote
//! kinds.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::proto::v1::invoke_response::Outcome;
use crate::proto::v1::plugin_server::{Plugin, PluginServer};
use crate::proto::v1::{
    HealthRequest, HealthResponse, HealthStatus, InvokeError, InvokeErrorCode, InvokeRequest,
    InvokeResponse, LifecycleError, LifecycleErrorCode, StartRequest, StartResponse, StopRequest,
    StopResponse,
};
use tonic::{Request, Response, Status};

use super::kind::{RemoteKind, invoke_error};
use pegboard_core::extend::panic_message;
use pegboard_core::is_valid_name;

/// Calls one operation on one plugin.
type Call = dyn Fn(&str, &[u8]) -> Result<Vec<u8>, InvokeError> + Send + Sync;

/// One served plugin: its operations, and where they run.
#[derive(Clone)]
struct Handler {
    call: Arc<Call>,
    /// On the server's own task (see [`PluginServiceBuilder::add_inline`])
    /// rather than the blocking pool.
    inline: bool,
}

/// Why a [`PluginService`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PluginServiceError {
    /// A plugin name does not match `[a-z0-9][a-z0-9_-]*`.
    #[error("invalid plugin name `{name}` for kind `{kind}`: expected [a-z0-9][a-z0-9_-]*")]
    InvalidName {
        /// The kind it was added as.
        kind: String,
        /// The offending name.
        name: String,
    },
    /// The same (kind, name) was added twice.
    #[error("plugin `{plugin_id}` was added twice")]
    Duplicate {
        /// `<kind>.<name>`.
        plugin_id: String,
    },
}

/// The gRPC service `pegboard.v1.Plugin` of a plugin process: it serves
/// plugins of remote kinds ([`RemoteKind`]) that live in this process.
///
/// * `Invoke` finds the plugin by (kind, name) and calls the operation on
///   tokio's blocking pool (kind methods are synchronous and may block; see
///   [`add_inline`](PluginServiceBuilder::add_inline) for plugins that
///   never do), a panic caught: unknown plugin → `UNKNOWN_PLUGIN`, unknown operation →
///   `UNKNOWN_OPERATION`, undecodable arguments → `DECODE`, unencodable
///   result → `ENCODE`, panic → `PANIC`. The plugin's own `Err` is a
///   response, not an `InvokeError`.
/// * Plugins are added already built, so `Start` only checks that the
///   plugin is served here (`UNKNOWN_PLUGIN` otherwise; the configuration
///   is ignored for now), and `Stop` records that the host stopped it:
///   once every plugin served here is stopped,
///   [`all_stopped`](PluginService::all_stopped) resolves.
/// * `Health` answers `HEALTHY` for a plugin served here, and the status
///   `NOT_FOUND` for another.
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
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use pegboard::remote::PluginService;
///
/// let service = PluginService::builder()
///     .add::<dyn Shout>("loud", Arc::new(Loud))
///     .build()?;
/// tonic::transport::Server::builder()
///     .add_service(service.into_server())
///     .serve("127.0.0.1:50052".parse()?)
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PluginService {
    /// (kind, name) → the plugin's operations.
    plugins: Arc<HashMap<(String, String), Handler>>,
    /// The token every call must carry, if one was set.
    token: Option<Arc<str>>,
    /// The plugins the host has sent `Stop` to; once it holds every one,
    /// [`all_stopped`](Self::all_stopped) resolves.
    stopped: Arc<tokio::sync::watch::Sender<HashSet<(String, String)>>>,
}

impl fmt::Debug for PluginService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<_> = self
            .plugins
            .keys()
            .map(|(k, n)| format!("{k}.{n}"))
            .collect();
        ids.sort();
        f.debug_struct("PluginService")
            .field("plugins", &ids)
            .finish()
    }
}

/// Builds a [`PluginService`].
#[must_use]
#[derive(Default)]
pub struct PluginServiceBuilder {
    plugins: Vec<(String, String, Handler)>,
    token: Option<String>,
}

impl fmt::Debug for PluginServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.plugins.iter().map(|(k, n, _)| format!("{k}.{n}")))
            .finish()
    }
}

impl PluginServiceBuilder {
    /// Serves `plugin` as the plugin `name` of kind `K`.
    pub fn add<K: RemoteKind + ?Sized>(self, name: impl Into<String>, plugin: Arc<K>) -> Self {
        self.push::<K>(name.into(), plugin, false)
    }

    /// Like [`add`](Self::add), for a plugin whose operations never block
    /// (no I/O, no locks held long, no sleeping) and return quickly: each
    /// call runs on the server task that received it, panics still
    /// caught, instead of hopping to tokio's blocking pool. That hop is
    /// most of what a remote call costs on top of a bare gRPC call (see
    /// BENCHMARKS.md, P5). A plugin added this way that does block stalls
    /// one of the process's runtime threads, and with it the heartbeats
    /// that keep the plugin announced: when in doubt, use `add`.
    pub fn add_inline<K: RemoteKind + ?Sized>(
        self,
        name: impl Into<String>,
        plugin: Arc<K>,
    ) -> Self {
        self.push::<K>(name.into(), plugin, true)
    }

    fn push<K: RemoteKind + ?Sized>(mut self, name: String, plugin: Arc<K>, inline: bool) -> Self {
        let call: Arc<Call> =
            Arc::new(move |operation: &str, request: &[u8]| K::serve(&plugin, operation, request));
        self.plugins
            .push((K::NAME.to_owned(), name, Handler { call, inline }));
        self
    }

    /// Requires every call (`Start`, `Stop`, `Health`, `Invoke`) to carry
    /// `authorization: Bearer <token>`; others get `UNAUTHENTICATED`.
    /// Without it anyone who reaches the service can call its plugins.
    /// The SDK ([`PluginProcess`](super::PluginProcess)) sets the token it
    /// announces with, which the host sends back on its calls
    /// ([`GrpcTransport::with_token`](super::GrpcTransport::with_token)).
    /// `grpc.health.v1` stays open.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The service; fails on an invalid or repeated name.
    pub fn build(self) -> Result<PluginService, PluginServiceError> {
        let mut plugins = HashMap::with_capacity(self.plugins.len());
        for (kind, name, handler) in self.plugins {
            if !is_valid_name(&name) {
                return Err(PluginServiceError::InvalidName { kind, name });
            }
            let plugin_id = format!("{kind}.{name}");
            if plugins.insert((kind, name), handler).is_some() {
                return Err(PluginServiceError::Duplicate { plugin_id });
            }
        }
        Ok(PluginService {
            plugins: Arc::new(plugins),
            token: self.token.map(Arc::from),
            stopped: Arc::new(tokio::sync::watch::Sender::new(HashSet::new())),
        })
    }
}

impl PluginService {
    /// Starts building a service.
    pub fn builder() -> PluginServiceBuilder {
        PluginServiceBuilder::default()
    }

    /// The tonic server of this service, to add to a
    /// `tonic::transport::Server`.
    pub fn into_server(self) -> PluginServer<PluginService> {
        PluginServer::new(self)
    }

    /// Resolves once the host has sent `Stop` to every plugin served here
    /// (and not `Start` since):
    /// the plugin process has nothing left to do and may shut down (the
    /// SDK's [`PluginProcess`](super::PluginProcess) then withdraws and
    /// exits). Calls keep being served until then.
    pub async fn all_stopped(&self) {
        let mut stopped = self.stopped.subscribe();
        let all = self.plugins.len();
        // The sender lives in `self`, so the wait cannot fail.
        let _ = stopped.wait_for(|s| s.len() >= all).await;
    }

    /// Checks a call's token, when the service requires one.
    fn authorize(&self, metadata: &tonic::metadata::MetadataMap) -> Result<(), Status> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let token = super::auth::bearer(metadata).map_err(Status::from)?;
        if super::auth::check_token(token, expected) {
            Ok(())
        } else {
            Err(super::error::RemoteError::WrongToken.into())
        }
    }

    fn find(&self, kind: &str, plugin: &str) -> Option<&Handler> {
        self.plugins.get(&(kind.to_owned(), plugin.to_owned()))
    }

    /// Calls the operation on the blocking pool, isolated.
    async fn invoke_isolated(&self, req: InvokeRequest) -> Result<Vec<u8>, InvokeError> {
        let handler = self
            .find(&req.kind, &req.plugin)
            .ok_or_else(|| {
                invoke_error(
                    InvokeErrorCode::UnknownPlugin,
                    format!("no plugin `{}.{}` is served here", req.kind, req.plugin),
                )
            })?
            .clone();
        let InvokeRequest {
            operation, request, ..
        } = req;
        // A panicking plugin must not take the service down; it only fails
        // this call.
        let run = move || {
            std::panic::catch_unwind(AssertUnwindSafe(|| (handler.call)(&operation, &request)))
                .map_err(|payload| {
                    invoke_error(
                        InvokeErrorCode::Panic,
                        format!("the plugin panicked: {}", panic_message(&*payload)),
                    )
                })
        };
        if handler.inline {
            return run()?;
        }
        match tokio::task::spawn_blocking(run).await {
            Ok(result) => result?,
            // The closure catches panics, and the task is never aborted; a
            // join error can only be the runtime shutting down.
            Err(e) => Err(invoke_error(
                InvokeErrorCode::Panic,
                format!("the call did not complete: {e}"),
            )),
        }
    }
}

fn unknown_plugin(kind: &str, plugin: &str) -> LifecycleError {
    LifecycleError {
        code: LifecycleErrorCode::UnknownPlugin.into(),
        message: format!("no plugin `{kind}.{plugin}` is served here"),
    }
}

#[tonic::async_trait]
impl Plugin for PluginService {
    async fn start(
        &self,
        request: Request<StartRequest>,
    ) -> Result<Response<StartResponse>, Status> {
        self.authorize(request.metadata())?;
        let req = request.into_inner();
        if self.find(&req.kind, &req.plugin).is_none() {
            let error = Some(unknown_plugin(&req.kind, &req.plugin));
            return Ok(Response::new(StartResponse { error }));
        }
        // Started again after a stop (a restart): no longer stopped.
        self.stopped
            .send_if_modified(|stopped| stopped.remove(&(req.kind, req.plugin)));
        Ok(Response::new(StartResponse { error: None }))
    }

    async fn stop(&self, request: Request<StopRequest>) -> Result<Response<StopResponse>, Status> {
        self.authorize(request.metadata())?;
        let req = request.into_inner();
        if self.find(&req.kind, &req.plugin).is_none() {
            let error = Some(unknown_plugin(&req.kind, &req.plugin));
            return Ok(Response::new(StopResponse { error }));
        }
        self.stopped.send_modify(|stopped| {
            stopped.insert((req.kind, req.plugin));
        });
        Ok(Response::new(StopResponse { error: None }))
    }

    async fn health(
        &self,
        request: Request<HealthRequest>,
    ) -> Result<Response<HealthResponse>, Status> {
        self.authorize(request.metadata())?;
        let req = request.into_inner();
        if self.find(&req.kind, &req.plugin).is_none() {
            return Err(Status::not_found(format!(
                "no plugin `{}.{}` is served here",
                req.kind, req.plugin
            )));
        }
        Ok(Response::new(HealthResponse {
            status: HealthStatus::Healthy.into(),
            message: String::new(),
        }))
    }

    async fn invoke(
        &self,
        request: Request<InvokeRequest>,
    ) -> Result<Response<InvokeResponse>, Status> {
        self.authorize(request.metadata())?;
        let outcome = match self.invoke_isolated(request.into_inner()).await {
            Ok(bytes) => Outcome::Response(bytes),
            Err(err) => Outcome::Error(err),
        };
        Ok(Response::new(InvokeResponse {
            outcome: Some(outcome),
        }))
    }
}
