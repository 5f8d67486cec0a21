//! The registry as a tonic service: authentication, status codes and the
//! log events of SPEC R3.

use crate::proto::health::pb::health_server::{Health, HealthServer};
use crate::proto::v1::registry_server::{Registry, RegistryServer};
use crate::proto::v1::{
    AnnounceRequest, AnnounceResponse, HeartbeatRequest, HeartbeatResponse, WithdrawRequest,
    WithdrawResponse,
};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};
use tracing::Level;

use super::auth::{bearer, check_token};
use super::error::RemoteError;
use super::registry::RemoteRegistry;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::service";

/// The gRPC service `pegboard.v1.Registry` of a [`RemoteRegistry`]; made by
/// [`RemoteRegistry::service`].
#[derive(Debug, Clone)]
pub struct RegistryService {
    registry: RemoteRegistry,
}

impl RemoteRegistry {
    /// The gRPC service `pegboard.v1.Registry`, to add to a
    /// `tonic::transport::Server`.
    pub fn service(&self) -> RegistryServer<RegistryService> {
        RegistryServer::new(RegistryService {
            registry: self.clone(),
        })
    }

    /// The standard gRPC health service (`grpc.health.v1.Health`), reporting
    /// `SERVING` for `pegboard.v1.Registry` and for the server as a whole
    /// (the empty service name).
    pub async fn health_service(&self) -> HealthServer<impl Health + use<>> {
        let (reporter, service) = crate::proto::health::server::health_reporter();
        reporter
            .set_serving::<RegistryServer<RegistryService>>()
            .await;
        reporter
            .set_service_status("", crate::proto::health::ServingStatus::Serving)
            .await;
        service
    }
}

/// Who a call's token belongs to.
enum Caller {
    /// The host's shared token.
    Host,
    /// The token of the local plugin process running this plugin.
    Process(String),
}

/// Checks the call's bearer token against the host's token and, when
/// members are declared, the per-process tokens of local plugin processes.
fn authenticate(metadata: &MetadataMap, registry: &RemoteRegistry) -> Result<Caller, RemoteError> {
    let token = bearer(metadata)?;
    let host = check_token(token, registry.token());
    let process = registry
        .members()
        .and_then(|m| m.token_owner(token.as_bytes()))
        .map(str::to_owned);
    match (host, process) {
        (true, _) => Ok(Caller::Host),
        (false, Some(owner)) => Ok(Caller::Process(owner)),
        (false, None) => Err(RemoteError::WrongToken),
    }
}

/// `plugin.remote.rejected`, then the status to answer with.
fn rejected(err: RemoteError, plugin_id: &str, node: &str) -> Status {
    let plugin_id = err.plugin_id().unwrap_or(plugin_id);
    let (reason, error) = (err.reason(), err.to_string());
    tracing::event!(
        name: "plugin.remote.rejected",
        target: LOG_TARGET, Level::WARN,
        plugin_id,
        node,
        reason,
        error,
        "plugin.remote.rejected"
    );
    err.into()
}

#[tonic::async_trait]
impl Registry for RegistryService {
    async fn announce(
        &self,
        request: Request<AnnounceRequest>,
    ) -> Result<Response<AnnounceResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        // Before the announcement is checked, its plugins are named as sent,
        // so an operator sees what was attempted.
        let claimed = req
            .plugins
            .iter()
            .map(|p| format!("{}.{}", p.kind, p.name))
            .collect::<Vec<_>>()
            .join(",");
        let node = req.node.clone();
        let address = req.address.clone();
        let caller = match authenticate(&metadata, &self.registry) {
            Ok(caller) => caller,
            Err(e) => return Err(rejected(e, &claimed, &node)),
        };
        // Authenticated above, so present: the host sends it back on its
        // calls to the plugin, whose service checks it.
        let token = bearer(&metadata).unwrap_or_default();
        let owner = match &caller {
            Caller::Host => None,
            Caller::Process(owner) => Some(owner.as_str()),
        };
        let accepted = self
            .registry
            .announce_with(req, owner, token)
            .map_err(|e| rejected(e, &claimed, &node))?;
        for plugin_id in &accepted.ids {
            tracing::event!(
                name: "plugin.remote.accepted",
                target: LOG_TARGET, Level::INFO,
                plugin_id = plugin_id.as_str(),
                node = node.as_str(),
                address = address.as_str(),
                session = accepted.session.as_str(),
                "plugin.remote.accepted"
            );
        }
        for session in &accepted.replaced {
            tracing::event!(
                name: "plugin.remote.replaced",
                target: LOG_TARGET, Level::INFO,
                node = node.as_str(),
                session = session.as_str(),
                by = accepted.session.as_str(),
                "plugin.remote.replaced"
            );
        }
        Ok(Response::new(AnnounceResponse {
            session: accepted.session,
            heartbeat_interval_ms: self.registry.settings().interval_ms(),
        }))
    }

    async fn heartbeat(
        &self,
        request: Request<HeartbeatRequest>,
    ) -> Result<Response<HeartbeatResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        if let Err(e) = authenticate(&metadata, &self.registry) {
            let node = self.registry.node_of(&req.session).unwrap_or_default();
            return Err(rejected(e, "", &node));
        }
        match self.registry.heartbeat(&req.session) {
            Ok(()) => Ok(Response::new(HeartbeatResponse {
                heartbeat_interval_ms: self.registry.settings().interval_ms(),
            })),
            Err(e) => {
                // Routine after a host restart; the plugin announces again.
                tracing::event!(
                    name: "plugin.remote.unknown_session",
                    target: LOG_TARGET, Level::DEBUG,
                    session = req.session.as_str(),
                    reason = e.reason(),
                    "plugin.remote.unknown_session"
                );
                Err(e.into())
            }
        }
    }

    async fn withdraw(
        &self,
        request: Request<WithdrawRequest>,
    ) -> Result<Response<WithdrawResponse>, Status> {
        let (metadata, _, req) = request.into_parts();
        if let Err(e) = authenticate(&metadata, &self.registry) {
            let node = self.registry.node_of(&req.session).unwrap_or_default();
            return Err(rejected(e, "", &node));
        }
        let (node, ids) = self.registry.withdraw(&req.session)?;
        for plugin_id in &ids {
            tracing::event!(
                name: "plugin.remote.withdrawn",
                target: LOG_TARGET, Level::INFO,
                plugin_id = plugin_id.as_str(),
                node = node.as_str(),
                session = req.session.as_str(),
                "plugin.remote.withdrawn"
            );
        }
        Ok(Response::new(WithdrawResponse {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataValue;

    fn with(values: &[&'static str]) -> MetadataMap {
        let mut m = MetadataMap::new();
        for v in values {
            m.append(crate::proto::AUTHORIZATION, MetadataValue::from_static(v));
        }
        m
    }

    /// `authenticate` against a registry whose token is `expected`, with
    /// no members.
    fn check(metadata: &MetadataMap, expected: &str) -> Result<(), RemoteError> {
        let token = bearer(metadata)?;
        if check_token(token, expected) {
            Ok(())
        } else {
            Err(RemoteError::WrongToken)
        }
    }

    #[test]
    fn the_right_token_in_any_scheme_case_passes() {
        for h in ["Bearer s3cret", "bearer s3cret", "BEARER  s3cret "] {
            assert_eq!(check(&with(&[h]), "s3cret"), Ok(()), "{h}");
        }
    }

    #[test]
    fn missing_malformed_or_wrong_tokens_are_refused() {
        let missing = [
            &[][..],
            &["s3cret"],
            &["Basic s3cret"],
            &["Bearer "],
            &["Bearer s3cret", "Bearer s3cret"],
        ];
        for h in missing {
            assert_eq!(
                check(&with(h), "s3cret"),
                Err(RemoteError::MissingToken),
                "{h:?}"
            );
        }
        for h in ["Bearer s3cre", "Bearer s3cret!", "Bearer S3CRET"] {
            assert_eq!(
                check(&with(&[h]), "s3cret"),
                Err(RemoteError::WrongToken),
                "{h}"
            );
        }
    }
}
