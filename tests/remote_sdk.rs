//! The plugin SDK (issue 6, SPEC R1, R3, R4) on loopback: a host's
//! `RemoteRegistry` served by tonic on 127.0.0.1, and a plugin process run
//! with `PluginProcess::serve_until` in the same test. Nothing sleeps and
//! hopes: every wait polls a condition with a deadline, and the host's
//! clock is moved by hand where time matters.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::Catalog;
use pegboard::remote::proto::health::pb::health_check_response::ServingStatus;
use pegboard::remote::proto::health::pb::{HealthCheckRequest, health_client::HealthClient};
use pegboard::remote::proto::v1::WithdrawRequest;
use pegboard::remote::proto::v1::registry_client::RegistryClient;
use pegboard::remote::{
    GrpcTransport, HeartbeatSettings, Metadata, PluginProcess, RemotePlugin, RemoteRegistry,
    RemoteState, ServeError, stub,
};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request};

const TOKEN: &str = "sdk-s3cret";
const INTERVAL: Duration = Duration::from_millis(50);
const DEADLINE: Duration = Duration::from_secs(10);

/// Splits text into words.
///
/// The test plugin; its announcement comes from this registration.
#[derive(Default)]
#[pegboard::plugin(
    name = "words",
    version = "2.3.0",
    api = "0.1",
    kind = Classifier,
    capabilities = ["split"],
)]
pub struct Words;

impl Classifier for Words {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        Ok(text.split_whitespace().map(str::to_owned).collect())
    }
}

/// A host serving the registry on loopback, on a clock moved by hand.
struct Host {
    remote: RemoteRegistry,
    clock: Arc<Mutex<Instant>>,
    uri: String,
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Host {
    async fn start() -> Host {
        Host::start_at("127.0.0.1:0".parse().unwrap()).await
    }

    /// Stops this host's server, then starts a new registry, which knows
    /// no session, at the same address.
    async fn restart(self) -> Host {
        let addr = self.addr;
        self.stop.send(()).unwrap();
        self.server.await.unwrap().unwrap();
        Host::start_at(addr).await
    }

    async fn start_at(addr: SocketAddr) -> Host {
        let clock = Arc::new(Mutex::new(Instant::now()));
        let read = clock.clone();
        // No compiled-in plugins: `words` is registered in this binary, and
        // a host's own plugin ids are refused to remote plugins.
        let catalog = Catalog::new([]).unwrap();
        let remote = RemoteRegistry::builder(&catalog, TOKEN)
            .heartbeat(HeartbeatSettings {
                interval: INTERVAL,
                unavailable_after: 3,
                ..HeartbeatSettings::default()
            })
            .clock(move || *read.lock().unwrap())
            .build()
            .unwrap();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(
            Server::builder()
                .add_service(remote.service())
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                    let _ = stopped.await;
                }),
        );
        Host {
            remote,
            clock,
            uri: format!("http://{addr}"),
            addr,
            stop,
            server,
        }
    }

    fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    fn words(&self) -> Option<RemotePlugin> {
        self.remote
            .list()
            .into_iter()
            .find(|p| p.id == "classifier.words")
    }

    /// Polls until `words` is listed and `pred` holds for it.
    async fn wait_for(&self, what: &str, pred: impl Fn(&RemotePlugin) -> bool) -> RemotePlugin {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(p) = self.words().filter(|p| pred(p)) {
                return p;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; listing: {:?}",
                self.remote.list()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn client(&self) -> RegistryClient<Channel> {
        RegistryClient::connect(self.uri.clone()).await.unwrap()
    }

    fn process(&self) -> PluginProcess {
        PluginProcess::new()
            .plugin::<dyn Classifier>("words", Arc::new(Words))
            .host(&self.uri)
            .node("node-sdk")
            .token(TOKEN)
            .listen("127.0.0.1:0".parse().unwrap())
    }
}

/// A plugin process serving until `stop` is sent.
struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServeError>>,
}

fn spawn(process: PluginProcess) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(process.serve_until(async {
        let _ = stopped.await;
    }));
    Running { stop, task }
}

impl Running {
    async fn shut_down(self) -> Result<(), ServeError> {
        self.stop.send(()).unwrap();
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("serve_until did not return after the shutdown")
            .unwrap()
    }
}

async fn connect(uri: &str) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(uri.to_owned())
        .unwrap()
        .connect()
        .await
}

fn with_token<T>(message: T) -> Request<T> {
    let mut req = Request::new(message);
    let value = format!("Bearer {TOKEN}").parse().unwrap();
    req.metadata_mut()
        .insert(pegboard::remote::proto::AUTHORIZATION, value);
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_announces_once_it_answers_and_withdraws_on_shutdown() {
    let host = Host::start().await;
    let running = spawn(host.process());

    let listed = host.wait_for("the announcement", |_| true).await;
    // Its metadata comes from its `#[pegboard::plugin]` registration.
    assert_eq!(listed.kind, "classifier");
    assert_eq!(listed.name, "words");
    assert_eq!(listed.version, "2.3.0");
    assert_eq!(listed.api, "0.1");
    assert_eq!(listed.description, "Splits text into words.");
    assert_eq!(listed.capabilities, ["split"]);
    assert_eq!(listed.node, "node-sdk");
    assert_eq!(listed.state, RemoteState::Healthy);
    // The address announced is the one it really listens on, and it
    // already answers there.
    assert!(
        listed.address.starts_with("http://127.0.0.1:"),
        "{}",
        listed.address
    );
    assert!(!listed.address.ends_with(":0"), "{}", listed.address);
    let health = HealthClient::new(connect(&listed.address).await.unwrap())
        .check(HealthCheckRequest {
            service: "pegboard.v1.Plugin".into(),
        })
        .await
        .unwrap();
    assert_eq!(health.get_ref().status(), ServingStatus::Serving);

    // The host's stub reaches it through `Invoke`.
    // Its service wants the token it announced with; without it, refused.
    let bare = GrpcTransport::connect_lazy(&listed.address, Handle::current()).unwrap();
    let anonymous = stub::<dyn Classifier>("words", Arc::new(bare));
    let refused = tokio::task::spawn_blocking(move || anonymous.classify("who?"))
        .await
        .unwrap()
        .unwrap_err();
    assert!(refused.0.contains("Unauthenticated"), "{refused}");
    let transport = GrpcTransport::connect_lazy(&listed.address, Handle::current())
        .unwrap()
        .with_token(TOKEN);
    let words: Arc<dyn Classifier> = stub::<dyn Classifier>("words", Arc::new(transport));
    assert_eq!(
        words.classify("over the wire").unwrap(),
        ["over", "the", "wire"]
    );

    // Shutdown: the withdrawal reached the host before `serve_until`
    // returned, and the server is gone.
    running.shut_down().await.unwrap();
    assert!(host.remote.list().is_empty(), "{:?}", host.remote.list());
    let deadline = Instant::now() + DEADLINE;
    while connect(&listed.address).await.is_ok() {
        assert!(Instant::now() < deadline, "the plugin server still answers");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_it_healthy_past_the_unavailable_threshold() {
    let host = Host::start().await;
    let running = spawn(host.process());
    let first = host.wait_for("the announcement", |_| true).await;

    // Ten times an interval's worth (three make it unavailable without
    // heartbeats): after each step, a heartbeat on the moved clock resets
    // the time since it was last seen.
    for step in 0..10 {
        host.advance(INTERVAL * 4 / 5);
        let p = host
            .wait_for(&format!("a heartbeat after step {step}"), |p| {
                p.since_last_seen.is_zero()
            })
            .await;
        assert_eq!(p.state, RemoteState::Healthy);
        assert_eq!(p.session, first.session, "step {step}: no re-announcement");
    }
    running.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_forgets_the_session_gets_a_new_announcement() {
    let host = Host::start().await;
    let running = spawn(host.process());
    let first = host.wait_for("the announcement", |_| true).await;

    // The host side ends the session: the next heartbeat is NOT_FOUND.
    host.client()
        .await
        .withdraw(with_token(WithdrawRequest {
            session: first.session.clone(),
        }))
        .await
        .unwrap();
    let second = host
        .wait_for("a re-announcement after the withdrawal", |p| {
            p.session != first.session
        })
        .await;
    assert_eq!(second.address, first.address);
    assert_eq!(second.state, RemoteState::Healthy);

    // The session expires on the host's clock: the next heartbeat is
    // NOT_FOUND (expired), and the announcement replaces the old session.
    host.advance(INTERVAL * 10);
    assert_eq!(host.words().unwrap().state, RemoteState::Unavailable);
    let third = host
        .wait_for("a re-announcement after expiry", |p| {
            p.session != second.session
        })
        .await;
    assert_eq!(third.state, RemoteState::Healthy);
    assert_eq!(host.remote.list().len(), 1);

    running.shut_down().await.unwrap();
    assert!(host.remote.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_host_gets_a_new_announcement() {
    let host = Host::start().await;
    let running = spawn(host.process());
    let first = host.wait_for("the announcement", |_| true).await;

    // While the host is down, heartbeats fail to connect (retried); the
    // new registry answers them NOT_FOUND, and the plugin announces again.
    let host = host.restart().await;
    let again = host.wait_for("a re-announcement", |_| true).await;
    assert_ne!(again.session, first.session);
    assert_eq!(again.address, first.address);
    assert_eq!(again.state, RemoteState::Healthy);

    running.shut_down().await.unwrap();
    assert!(
        host.remote.list().is_empty(),
        "{again:?} {:?}",
        host.remote.list()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_the_hosts_refusal() {
    let host = Host::start().await;
    let err = tokio::time::timeout(
        DEADLINE,
        host.process()
            .token("not-the-token")
            .serve_until(std::future::pending()),
    )
    .await
    .expect("a refused announcement must end serving")
    .unwrap_err();
    match &err {
        ServeError::Refused {
            call,
            code,
            message,
        } => {
            assert_eq!(*call, "Announce");
            assert_eq!(*code, Code::Unauthenticated);
            assert_eq!(message, "wrong token");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(err.to_string().contains("wrong token"), "{err}");
    assert!(host.remote.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_metadata_serves_an_unregistered_plugin() {
    let host = Host::start().await;
    // No registration for `classifier.plain`: without metadata it is an
    // error naming the plugin, before anything is bound.
    let err = host
        .process()
        .plugin::<dyn Classifier>("plain", Arc::new(Words))
        .serve_until(std::future::pending())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServeError::NoMetadata { plugin_id } if plugin_id == "classifier.plain"),
        "{err:?}"
    );

    let mut meta = Metadata::new("0.9.1");
    meta.capabilities = vec!["plain".into()];
    let running = spawn(host.process().plugin_with::<dyn Classifier>(
        "plain",
        Arc::new(Words),
        meta,
    ));
    let deadline = Instant::now() + DEADLINE;
    let plain = loop {
        let list = host.remote.list();
        if let Some(p) = list.into_iter().find(|p| p.id == "classifier.plain") {
            break p;
        }
        assert!(Instant::now() < deadline, "plain was never announced");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert_eq!(plain.version, "0.9.1");
    assert_eq!(plain.api, pegboard::API_VERSION);
    assert_eq!(plain.capabilities, ["plain"]);
    // One announcement, both plugins, one session.
    assert_eq!(host.words().unwrap().session, plain.session);
    running.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_is_an_error_after_the_announce_timeout() {
    // A port nothing listens on any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = PluginProcess::new()
        .plugin::<dyn Classifier>("words", Arc::new(Words))
        .host(format!("http://{addr}"))
        .node("n")
        .token(TOKEN)
        .listen("127.0.0.1:0".parse().unwrap())
        .announce_timeout(Duration::from_millis(200))
        .serve_until(std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(err, ServeError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_of_every_plugin_ends_serving_like_sigterm() {
    use pegboard::remote::proto::v1::StopRequest;
    use pegboard::remote::proto::v1::plugin_client::PluginClient;
    let host = Host::start().await;
    let running = spawn(host.process());
    let listed = host.wait_for("the announcement", |_| true).await;

    let mut plugin = PluginClient::new(connect(&listed.address).await.unwrap());
    let answer = plugin
        .stop(with_token(StopRequest {
            kind: "classifier".into(),
            plugin: "words".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(answer.error.is_none(), "{answer:?}");

    // `serve_until` returns by itself, having withdrawn.
    let served = tokio::time::timeout(DEADLINE, running.task)
        .await
        .expect("serving ends after the plugin was stopped")
        .unwrap();
    assert!(served.is_ok(), "{served:?}");
    assert!(host.remote.list().is_empty(), "{:?}", host.remote.list());
}
