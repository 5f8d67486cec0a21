//! Remote plugins on loopback (SPEC R3, R4, V3): a real tonic server on
//! 127.0.0.1 serving the registry, called with the generated client. Time
//! is the registry's clock, moved by hand: nothing sleeps and hopes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pegboard::Catalog;
use pegboard::remote::proto::health::pb::health_check_response::ServingStatus;
use pegboard::remote::proto::health::pb::{HealthCheckRequest, health_client::HealthClient};
use pegboard::remote::proto::v1::registry_client::RegistryClient;
use pegboard::remote::proto::v1::{AnnounceRequest, HeartbeatRequest, PluginMeta, WithdrawRequest};
use pegboard::remote::{HeartbeatSettings, RemoteRegistry, RemoteState};
use pegboard_tests::capture::Capture;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request};
use tracing_subscriber::layer::SubscriberExt;

const TOKEN: &str = "loopback-s3cret";
const INTERVAL: Duration = Duration::from_millis(50);

/// A compiled-in plugin, whose id a remote plugin may not take.
#[pegboard::kind]
pub trait Store {
    fn size(&self) -> usize;
}

#[derive(Default)]
#[pegboard::plugin(name = "memory", version = "1.0.0", api = "0.1", kind = Store)]
pub struct Memory;
impl Store for Memory {
    fn size(&self) -> usize {
        0
    }
}

/// A host serving the registry on loopback, with a clock moved by hand.
struct Host {
    remote: RemoteRegistry,
    clock: Arc<Mutex<Instant>>,
    channel: Channel,
    logs: Capture,
    // Dropping the guard would stop capturing this test's events; the
    // tests run on a current-thread runtime, so the server's tasks log on
    // this thread too.
    _logs: tracing::subscriber::DefaultGuard,
}

impl Host {
    async fn start() -> Host {
        let logs = Capture::default();
        let guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(logs.clone()));
        let clock = Arc::new(Mutex::new(Instant::now()));
        let read = clock.clone();
        let catalog = Catalog::compiled_in().unwrap();
        let remote = RemoteRegistry::builder(&catalog, TOKEN)
            .heartbeat(HeartbeatSettings {
                interval: INTERVAL,
                unavailable_after: 3,
                ..HeartbeatSettings::default()
            })
            .clock(move || *read.lock().unwrap())
            .build()
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let server = Server::builder()
            .add_service(remote.health_service().await)
            .add_service(remote.service())
            .serve_with_incoming(TcpListenerStream::new(listener));
        tokio::spawn(server);
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap();
        Host {
            remote,
            clock,
            channel,
            logs,
            _logs: guard,
        }
    }

    fn client(&self) -> RegistryClient<Channel> {
        RegistryClient::new(self.channel.clone())
    }

    fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    /// (id, node, state) of every remote plugin, now.
    fn listing(&self) -> Vec<(String, String, RemoteState)> {
        self.remote
            .list()
            .into_iter()
            .map(|p| (p.id, p.node, p.state))
            .collect()
    }
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut req = Request::new(message);
    let value = format!("Bearer {token}").parse().unwrap();
    req.metadata_mut()
        .insert(pegboard::remote::proto::AUTHORIZATION, value);
    req
}

fn plugin(kind: &str, name: &str, api: &str) -> PluginMeta {
    PluginMeta {
        kind: kind.into(),
        name: name.into(),
        version: "2.1.0".into(),
        api: api.into(),
        description: "Classifies by dice roll.".into(),
        capabilities: vec!["classify".into()],
        depends_on: vec!["store.memory@^1".into()],
    }
}

fn announcement(node: &str, plugins: Vec<PluginMeta>) -> AnnounceRequest {
    AnnounceRequest {
        node: node.into(),
        address: format!("http://{node}.invalid:50051"),
        plugins,
    }
}

fn dice() -> AnnounceRequest {
    announcement(
        "node-a",
        vec![plugin("classifier", "dice", pegboard::API_VERSION)],
    )
}

#[tokio::test]
async fn missing_and_wrong_tokens_are_unauthenticated() {
    let host = Host::start().await;
    let mut client = host.client();

    let missing = client.announce(dice()).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated, "{missing:?}");
    let wrong = client
        .announce(with_token(dice(), "not-the-token"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated, "{wrong:?}");
    let heartbeat = client
        .heartbeat(with_token(
            HeartbeatRequest {
                session: "any".into(),
            },
            "nope",
        ))
        .await
        .unwrap_err();
    assert_eq!(heartbeat.code(), Code::Unauthenticated);

    assert!(host.listing().is_empty());
    let rejected = host.logs.named("plugin.remote.rejected");
    let reasons: Vec<&str> = rejected.iter().map(|f| f["reason"].as_str()).collect();
    assert_eq!(reasons, ["missing_token", "wrong_token", "wrong_token"]);
    assert_eq!(rejected[0]["plugin_id"], "classifier.dice");
    assert_eq!(rejected[0]["node"], "node-a");
}

#[tokio::test]
async fn an_incompatible_api_is_refused_naming_both_versions() {
    let host = Host::start().await;
    let far = announcement("node-a", vec![plugin("classifier", "future", "7.3")]);
    let err = host
        .client()
        .announce(with_token(far, TOKEN))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert!(
        err.message().contains("classifier.future"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("7.3.0"), "{}", err.message());
    assert!(
        err.message().contains(pegboard::API_VERSION),
        "{}",
        err.message()
    );
    assert!(host.listing().is_empty());
    let rejected = host.logs.named("plugin.remote.rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "incompatible_api");
    assert_eq!(rejected[0]["plugin_id"], "classifier.future");
}

#[tokio::test]
async fn a_compiled_in_id_cannot_be_announced() {
    let host = Host::start().await;
    let clash = announcement("node-a", vec![plugin("store", "memory", "0.1")]);
    let err = host
        .client()
        .announce(with_token(clash, TOKEN))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert!(err.message().contains("store.memory"), "{}", err.message());
    // Same name, another kind: a different id, accepted (SPEC D4).
    let other_kind = announcement("node-a", vec![plugin("cache", "memory", "0.1")]);
    host.client()
        .announce(with_token(other_kind, TOKEN))
        .await
        .unwrap();
    let rejected = host.logs.named("plugin.remote.rejected");
    assert_eq!(rejected[0]["reason"], "duplicate_compiled_in");
    assert_eq!(rejected[0]["plugin_id"], "store.memory");
}

#[tokio::test]
async fn invalid_names_are_invalid_arguments() {
    let host = Host::start().await;
    for (kind, name) in [
        ("Classifier", "dice"),
        ("classifier", "-dice"),
        ("", "dice"),
    ] {
        let bad = announcement("node-a", vec![plugin(kind, name, "0.1")]);
        let err = host
            .client()
            .announce(with_token(bad, TOKEN))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{kind}.{name}: {err:?}");
    }
    assert!(host.listing().is_empty());
}

#[tokio::test]
async fn an_accepted_plugin_lives_by_its_heartbeats() {
    let host = Host::start().await;
    let mut client = host.client();

    // Accepted: listed with its node, address and version.
    let session = client
        .announce(with_token(dice(), TOKEN))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(session.heartbeat_interval_ms, 50);
    let listed = host.remote.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "classifier.dice");
    assert_eq!(listed[0].node, "node-a");
    assert_eq!(listed[0].address, "http://node-a.invalid:50051");
    assert_eq!(listed[0].version, "2.1.0");
    assert_eq!(listed[0].state, RemoteState::Healthy);
    let accepted = host.logs.named("plugin.remote.accepted");
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["plugin_id"], "classifier.dice");
    assert_eq!(accepted[0]["node"], "node-a");

    // Heartbeats just inside the interval keep it healthy.
    let beat = || {
        with_token(
            HeartbeatRequest {
                session: session.session.clone(),
            },
            TOKEN,
        )
    };
    for _ in 0..5 {
        host.advance(INTERVAL - Duration::from_millis(1));
        let answer = client.heartbeat(beat()).await.unwrap().into_inner();
        assert_eq!(answer.heartbeat_interval_ms, 50);
        assert_eq!(host.listing()[0].2, RemoteState::Healthy);
    }

    // Heartbeats stop: unhealthy after one interval, unavailable after three.
    host.advance(INTERVAL);
    assert_eq!(host.listing()[0].2, RemoteState::Unhealthy);
    host.advance(INTERVAL);
    assert_eq!(host.listing()[0].2, RemoteState::Unhealthy);
    host.advance(INTERVAL);
    assert_eq!(
        host.listing(),
        [(
            "classifier.dice".into(),
            "node-a".into(),
            RemoteState::Unavailable
        )]
    );

    // A late heartbeat is told to announce again.
    let late = client.heartbeat(beat()).await.unwrap_err();
    assert_eq!(late.code(), Code::NotFound, "{late:?}");

    // Announcing again brings it back, under a new session.
    let again = client
        .announce(with_token(dice(), TOKEN))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(again.session, session.session);
    assert_eq!(
        host.listing(),
        [(
            "classifier.dice".into(),
            "node-a".into(),
            RemoteState::Healthy
        )]
    );

    // Withdrawn: gone at once, and the session is unknown afterwards.
    client
        .withdraw(with_token(
            WithdrawRequest {
                session: again.session.clone(),
            },
            TOKEN,
        ))
        .await
        .unwrap();
    assert!(host.listing().is_empty());
    assert_eq!(host.logs.named("plugin.remote.withdrawn").len(), 1);
    let gone = client
        .heartbeat(with_token(
            HeartbeatRequest {
                session: again.session,
            },
            TOKEN,
        ))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
}

#[tokio::test]
async fn a_live_remote_plugin_keeps_its_id_against_another_node() {
    let host = Host::start().await;
    let mut client = host.client();
    client.announce(with_token(dice(), TOKEN)).await.unwrap();
    let other = announcement("node-b", vec![plugin("classifier", "dice", "0.1")]);
    let err = client
        .announce(with_token(other.clone(), TOKEN))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert!(err.message().contains("node-a"), "{}", err.message());

    // Once node-a is unavailable, node-b may take the id over.
    host.advance(3 * INTERVAL);
    client.announce(with_token(other, TOKEN)).await.unwrap();
    assert_eq!(
        host.listing(),
        [(
            "classifier.dice".into(),
            "node-b".into(),
            RemoteState::Healthy
        )]
    );
}

#[tokio::test]
async fn grpc_health_reports_the_registry_serving() {
    let host = Host::start().await;
    let mut health = HealthClient::new(host.channel.clone());
    for service in ["pegboard.v1.Registry", ""] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "`{service}`");
    }
}
