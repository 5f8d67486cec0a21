//! Talking to the host's registry: announcing once the plugin's own server
//! answers, heartbeats, announcing again, withdrawing.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use crate::proto::health::pb::HealthCheckRequest;
use crate::proto::health::pb::health_check_response::ServingStatus;
use crate::proto::health::pb::health_client::HealthClient;
use crate::proto::v1::plugin_server::PluginServer;
use crate::proto::v1::registry_client::RegistryClient;
use crate::proto::v1::{AnnounceRequest, HeartbeatRequest, WithdrawRequest};
use futures_util::FutureExt;
use futures_util::future::{Fuse, FusedFuture};
use tokio::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
use tracing::Level;

use super::error::ServeError;
use crate::plugin_service::PluginService;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::sdk";

/// A session the host opened.
struct Session {
    id: String,
    interval: Duration,
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
pub(super) struct Agent {
    pub(super) client: RegistryClient<Channel>,
    pub(super) token: MetadataValue<tonic::metadata::Ascii>,
    pub(super) host: String,
    pub(super) request: AnnounceRequest,
}

impl Agent {
    fn authorized<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request
            .metadata_mut()
            .insert(crate::proto::AUTHORIZATION, self.token.clone());
        request
    }

    /// Announces once the plugin's own server answers, then keeps the
    /// session alive until `shutdown`, and withdraws it.
    ///
    /// `shutdown` interrupts waits and heartbeats, never an announcement
    /// in flight: the host may have accepted it, and the session it opened
    /// must be withdrawn.
    pub(super) async fn run(
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
                        target: LOG_TARGET, Level::INFO,
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
                        target: LOG_TARGET, Level::WARN,
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
                        target: LOG_TARGET, Level::INFO,
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
                target: LOG_TARGET, Level::INFO,
                session,
                "plugin.sdk.withdrawn"
            ),
            Err(status) => tracing::event!(
                name: "plugin.sdk.withdraw_failed",
                target: LOG_TARGET, Level::WARN,
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
