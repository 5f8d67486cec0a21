//! Remote plugins as registry members (issue 6; SPEC R3-R5, S5): a host
//! declares a remote classifier; a plugin service on 127.0.0.1 serves it
//! and announces it to the host's registry service over real gRPC. It is
//! then a plugin like the compiled-in one: listed with its location and
//! node, started, health-checked from its heartbeats, and reached by
//! fan-out dispatch with the kind's timeout and isolation.
//!
//! Heartbeat time is the remote registry's clock, moved by hand; waits for
//! the supervisor's health checks poll with a generous bound.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::config::Document;
use pegboard::remote::proto::v1::plugin_server::{Plugin, PluginServer};
use pegboard::remote::proto::v1::registry_client::RegistryClient;
use pegboard::remote::proto::v1::{
    AnnounceRequest, HealthRequest, HealthResponse, InvokeRequest, InvokeResponse, PluginMeta,
    StartRequest, StartResponse, StopRequest, StopResponse, invoke_response::Outcome,
};
use pegboard::remote::{HeartbeatSettings, PluginService, RemoteMembers, RemoteRegistry};
use pegboard::{CallResult, Connection, HealthStatus, Location, PluginState, Registry, Supervisor};
use pegboard_tests::capture::Capture;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::Routes;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};

const TOKEN: &str = "members-s3cret";
const INTERVAL: Duration = Duration::from_millis(100);

/// The compiled-in classifier beside the remote one.
#[derive(Default)]
#[pegboard::plugin(name = "local", version = "1.0.0", api = "0.1", kind = Classifier)]
pub struct Local;
impl Classifier for Local {
    fn classify(&self, _: &str) -> Result<Vec<String>, ClassifyError> {
        Ok(vec!["local".into()])
    }
}

/// A compiled-in plugin that depends on the remote `classifier.far`: the
/// dependency resolves like any other (where `far` is not declared, it is
/// missing and only this plugin fails).
#[pegboard::kind]
pub trait Digest {}

#[derive(Default)]
#[pegboard::plugin(name = "daily", version = "1.0.0", api = "0.1", kind = Digest, depends_on = ["classifier.far"])]
pub struct Daily;
impl Digest for Daily {}

/// What the remote plugin does when called.
#[derive(Clone, Copy)]
enum Behaviour {
    Answer,
    /// Blocks until the test releases it.
    Hang,
}

struct Far {
    behaviour: Behaviour,
    release: Arc<AtomicBool>,
}

impl Classifier for Far {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        if let Behaviour::Hang = self.behaviour {
            while !self.release.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Ok(vec![format!("far:{text}")])
    }
}

/// Every event of this test binary.
fn logs() -> &'static Capture {
    pegboard_tests::capture::global()
}

/// A host: the registry with the declared members, its supervisor, and the
/// remote registry served on loopback with a clock moved by hand.
struct Host {
    registry: Arc<Registry>,
    supervisor: Supervisor,
    clock: Arc<Mutex<Instant>>,
    channel: Channel,
}

impl Host {
    async fn start(members: RemoteMembers, config: &str) -> Host {
        logs();
        let registry = Registry::builder()
            .remote(&members)
            .config(Document::from_toml_str(config).unwrap())
            .build()
            .unwrap();
        let clock = Arc::new(Mutex::new(Instant::now()));
        let read = clock.clone();
        let remote = RemoteRegistry::builder(registry.catalog(), TOKEN)
            .members(&members)
            .heartbeat(HeartbeatSettings {
                interval: INTERVAL,
                unavailable_after: 3,
                ..HeartbeatSettings::default()
            })
            .clock(move || *read.lock().unwrap())
            .build()
            .unwrap();
        let addr = serve(Routes::new(remote.service())).await;
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let registry = Arc::new(registry);
        Host {
            supervisor: Supervisor::new(registry.clone()),
            registry,
            clock,
            channel,
        }
    }

    fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    async fn announce(
        &self,
        token: &str,
        meta: PluginMeta,
        address: SocketAddr,
    ) -> Result<(), Status> {
        let mut req = Request::new(AnnounceRequest {
            node: "node-b".into(),
            address: format!("http://{address}"),
            plugins: vec![meta],
        });
        req.metadata_mut().insert(
            pegboard::remote::proto::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        RegistryClient::new(self.channel.clone())
            .announce(req)
            .await
            .map(drop)
    }

    /// Waits (bounded) until the plugin `id` satisfies `done`.
    async fn until(
        &self,
        id: &str,
        done: impl Fn(&pegboard::PluginInfo) -> bool,
    ) -> pegboard::PluginInfo {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let info = self.registry.plugin(id).unwrap();
            if done(&info) {
                return info;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {id}: {info:#?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Serves a tonic router on a free loopback port.
async fn serve(router: Routes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_routes(router)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    addr
}

/// Serves the remote classifier `name`.
async fn serve_far(name: &str, behaviour: Behaviour, release: Arc<AtomicBool>) -> SocketAddr {
    let service = PluginService::builder()
        .add::<dyn Classifier>(name, Arc::new(Far { behaviour, release }))
        .build()
        .unwrap();
    serve(Routes::new(service.into_server())).await
}

fn meta(name: &str, version: &str, api: &str) -> PluginMeta {
    PluginMeta {
        kind: "classifier".into(),
        name: name.into(),
        version: version.into(),
        api: api.into(),
        description: "Classifies far away.".into(),
        capabilities: vec![],
        depends_on: vec![],
    }
}

fn members(name: &str) -> RemoteMembers {
    RemoteMembers::builder()
        .remote::<dyn Classifier>(name, "^1")
        .unwrap()
        .build()
        .unwrap()
}

const CONFIG: &str = r#"
[supervision]
health_interval_ms = 5
health_timeout_ms = 2000
unhealthy_threshold = 1
restart = { policy = "never" }

[dispatch.classifier]
timeout_ms = 300
"#;

fn results<'a>(out: &'a pegboard::FanOut<'_, Vec<String>>) -> Vec<(&'a str, CallResult)> {
    out.outcomes.iter().map(|o| (o.plugin, o.result)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_remote_plugin_is_checked_listed_started_and_dispatched_to() {
    let host = Host::start(members("far"), CONFIG).await;
    let far = serve_far("far", Behaviour::Answer, Arc::default()).await;

    // Declared, not announced yet: a plugin of the registry all the same.
    let info = host.registry.plugin("classifier.far").unwrap();
    assert_eq!(info.location, Location::Remote);
    assert_eq!(info.node, None);
    assert_eq!(
        info.remote.as_ref().unwrap().connection,
        Connection::NotAnnounced
    );
    assert_eq!(info.state, PluginState::Configured);
    let local = host.registry.plugin("classifier.local").unwrap();
    assert_eq!((local.location, local.remote), (Location::InProcess, None));

    // Refused: wrong token, incompatible API, a version the host does not expect.
    let wrong = host
        .announce("nope", meta("far", "1.2.0", pegboard::API_VERSION), far)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated, "{wrong:?}");
    let api = host
        .announce(TOKEN, meta("far", "1.2.0", "7.3"), far)
        .await
        .unwrap_err();
    assert_eq!(api.code(), Code::FailedPrecondition, "{api:?}");
    assert!(
        api.message().contains("7.3.0") && api.message().contains(pegboard::API_VERSION),
        "{api:?}"
    );
    let version = host
        .announce(TOKEN, meta("far", "2.0.0", pegboard::API_VERSION), far)
        .await
        .unwrap_err();
    assert_eq!(version.code(), Code::FailedPrecondition, "{version:?}");
    assert!(
        version.message().contains("2.0.0") && version.message().contains("^1"),
        "{version:?}"
    );
    assert_eq!(
        host.registry
            .plugin("classifier.far")
            .unwrap()
            .remote
            .unwrap()
            .connection,
        Connection::NotAnnounced
    );

    host.announce(TOKEN, meta("far", "1.2.0", pegboard::API_VERSION), far)
        .await
        .unwrap();
    let report = host.supervisor.start().await;
    assert_eq!(
        report.running,
        ["classifier.far", "classifier.local", "digest.daily"],
        "{report:?}"
    );
    let order: Vec<&str> = host.registry.start_order().collect();
    let position = |id| order.iter().position(|o| *o == id).unwrap();
    assert!(
        position("classifier.far") < position("digest.daily"),
        "{order:?}"
    );
    let daily = host.registry.plugin("digest.daily").unwrap();
    assert_eq!(
        daily.dependencies[0].resolved.as_deref(),
        Some("classifier.far")
    );

    let info = host.until("classifier.far", |i| i.health.is_some()).await;
    assert_eq!(info.state, PluginState::Running);
    assert_eq!(info.node.as_deref(), Some("node-b"));
    let remote = info.remote.unwrap();
    assert_eq!(remote.connection, Connection::Healthy);
    assert_eq!(remote.address, Some(format!("http://{far}")));
    assert_eq!(remote.version.as_deref(), Some("1.2.0"));

    // `/api/plugins` shows the same: location and node.
    let json = serde_json::to_value(host.registry.plugins()).unwrap();
    let far_json = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "classifier.far")
        .unwrap();
    assert_eq!(far_json["location"], "remote");
    assert_eq!(far_json["node"], "node-b");
    assert_eq!(far_json["remote"]["connection"], "healthy");

    let out = host
        .registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("news"))
        .await;
    assert_eq!(
        results(&out),
        [
            ("classifier.far", CallResult::Ok),
            ("classifier.local", CallResult::Ok)
        ]
    );
    assert_eq!(
        out.get("classifier.far").unwrap().value,
        Some(vec!["far:news".to_owned()])
    );
    let counters = host.registry.counters("classifier.far").unwrap();
    assert_eq!((counters.successes, counters.failures), (1, 0));

    host.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_heartbeats_make_it_unhealthy_then_unavailable_and_fan_out_goes_on() {
    let host = Host::start(members("quiet"), CONFIG).await;
    let far = serve_far("quiet", Behaviour::Answer, Arc::default()).await;
    host.announce(TOKEN, meta("quiet", "1.0.0", pegboard::API_VERSION), far)
        .await
        .unwrap();
    host.supervisor.start().await;
    host.until("classifier.quiet", |i| {
        i.health
            .as_ref()
            .is_some_and(|h| h.status == HealthStatus::Healthy)
    })
    .await;

    // One interval and a half without a heartbeat: unhealthy (degraded).
    host.advance(INTERVAL * 3 / 2);
    let info = host
        .until("classifier.quiet", |i| i.state == PluginState::Degraded)
        .await;
    assert_eq!(info.remote.unwrap().connection, Connection::Unhealthy);
    assert!(
        info.health
            .unwrap()
            .message
            .unwrap()
            .contains("missed heartbeats"),
    );
    let out = host
        .registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("still there?"))
        .await;
    assert_eq!(
        results(&out),
        [
            ("classifier.local", CallResult::Ok),
            ("classifier.quiet", CallResult::Ok)
        ]
    );

    // Past three intervals: unavailable, failed (restarts are off here).
    host.advance(INTERVAL * 2);
    let info = host
        .until("classifier.quiet", |i| i.state == PluginState::Failed)
        .await;
    assert_eq!(info.remote.unwrap().connection, Connection::Unavailable);
    assert!(info.failure.unwrap().to_string().contains("unavailable"));
    let out = host
        .registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("anyone?"))
        .await;
    assert_eq!(out.get("classifier.local").unwrap().result, CallResult::Ok);
    assert_ne!(
        out.get("classifier.quiet").map(|o| o.result),
        Some(CallResult::Ok),
        "a failed remote plugin is not called"
    );

    // Each change was logged once.
    let changes: Vec<String> = logs()
        .named("plugin.remote.connection")
        .into_iter()
        .filter(|e| e["plugin_id"] == "classifier.quiet")
        .map(|e| e["state"].clone())
        .collect();
    assert_eq!(changes, ["healthy", "unhealthy", "unavailable"]);
    host.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_plugin_that_hangs_is_cut_off_at_the_kind_timeout() {
    let host = Host::start(members("stuck"), CONFIG).await;
    let release = Arc::new(AtomicBool::new(false));
    let far = serve_far("stuck", Behaviour::Hang, release.clone()).await;
    host.announce(TOKEN, meta("stuck", "1.0.0", pegboard::API_VERSION), far)
        .await
        .unwrap();
    host.supervisor.start().await;

    // The plugin is released only after the fan-out returned: had the
    // fan-out waited for it, this would never return (the outer bound
    // turns that into a failure).
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        host.registry
            .dispatch::<dyn Classifier>()
            .fan_out_blocking(|c| c.classify("hello")),
    )
    .await
    .expect("the fan-out returns at the kind's timeout");
    release.store(true, Ordering::SeqCst);
    assert_eq!(
        results(&out),
        [
            ("classifier.local", CallResult::Ok),
            ("classifier.stuck", CallResult::Timeout)
        ]
    );
    assert_eq!(
        out.get("classifier.stuck").unwrap().error.as_deref(),
        Some("no answer within 300ms")
    );
    assert_eq!(
        host.registry.counters("classifier.stuck").unwrap().timeouts,
        1
    );
    host.supervisor.shutdown().await;
}

/// A plugin service that answers every call with bytes that are not the
/// operation's result.
struct Garbage;

#[tonic::async_trait]
impl Plugin for Garbage {
    async fn start(&self, _: Request<StartRequest>) -> Result<Response<StartResponse>, Status> {
        Ok(Response::new(StartResponse::default()))
    }
    async fn stop(&self, _: Request<StopRequest>) -> Result<Response<StopResponse>, Status> {
        Ok(Response::new(StopResponse::default()))
    }
    async fn health(&self, _: Request<HealthRequest>) -> Result<Response<HealthResponse>, Status> {
        Ok(Response::new(HealthResponse::default()))
    }
    async fn invoke(&self, _: Request<InvokeRequest>) -> Result<Response<InvokeResponse>, Status> {
        Ok(Response::new(InvokeResponse {
            outcome: Some(Outcome::Response(b"{ not json".to_vec())),
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_response_is_an_error_result_not_a_panic() {
    let host = Host::start(members("garbled"), CONFIG).await;
    let far = serve(Routes::new(PluginServer::new(Garbage))).await;
    host.announce(TOKEN, meta("garbled", "1.0.0", pegboard::API_VERSION), far)
        .await
        .unwrap();
    host.supervisor.start().await;
    let out = host
        .registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("hello"))
        .await;
    assert_eq!(
        results(&out),
        [
            ("classifier.garbled", CallResult::Error),
            ("classifier.local", CallResult::Ok)
        ]
    );
    let error = out
        .get("classifier.garbled")
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        error.contains("classifier.garbled") && error.contains("JSON"),
        "{error}"
    );
    assert_eq!(
        host.registry.counters("classifier.garbled").unwrap().panics,
        0
    );
    host.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_plugin_that_announces_again_is_restarted_and_called_again() {
    let config = r#"
[supervision]
health_interval_ms = 5
health_timeout_ms = 2000
unhealthy_threshold = 1
start_timeout_ms = 20000
restart = { policy = "on-failure", max_restarts = 5, window_ms = 60000, backoff_initial_ms = 1, backoff_max_ms = 5 }
"#;
    let host = Host::start(members("back"), config).await;
    let far = serve_far("back", Behaviour::Answer, Arc::default()).await;
    let announce = || host.announce(TOKEN, meta("back", "1.0.0", pegboard::API_VERSION), far);
    announce().await.unwrap();
    host.supervisor.start().await;

    host.advance(INTERVAL * 4);
    // Failed once, then restarted: the restart waits for an announcement
    // instead of starting it unreachable.
    let info = host
        .until("classifier.back", |i| {
            i.restarts == 1 && i.state == PluginState::Starting
        })
        .await;
    assert_eq!(info.remote.unwrap().connection, Connection::Unavailable);

    announce().await.unwrap();
    let info = host
        .until("classifier.back", |i| i.state == PluginState::Running)
        .await;
    assert_eq!(
        (info.restarts, info.remote.unwrap().connection),
        (1, Connection::Healthy)
    );
    let out = host
        .registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("again"))
        .await;
    assert_eq!(out.get("classifier.back").unwrap().result, CallResult::Ok);
    host.supervisor.shutdown().await;
}

#[test]
fn declarations_are_checked_when_they_are_built() {
    use pegboard::remote::MembersError;
    let invalid = RemoteMembers::builder().remote::<dyn Classifier>("Not Valid", "^1");
    assert!(
        matches!(invalid, Err(MembersError::InvalidName { ref id }) if id == "classifier.Not Valid")
    );
    let requirement = RemoteMembers::builder().remote::<dyn Classifier>("far", "one");
    assert!(
        matches!(requirement, Err(MembersError::InvalidRequirement { ref id, .. }) if id == "classifier.far")
    );
    let twice = RemoteMembers::builder()
        .remote::<dyn Classifier>("far", "^1")
        .unwrap()
        .remote::<dyn Classifier>("far", "^2");
    assert!(matches!(twice, Err(MembersError::Repeated { .. })));

    // A local process whose binary is not in the plugin directory in a
    // version that fits is declared all the same (it fails alone when
    // built: tests/remote_operator.rs); the host must say where it
    // announces.
    let dir = std::env::temp_dir().join(format!("pegboard-members-{}", std::process::id()));
    let version = dir.join("near").join("0.3.0");
    std::fs::create_dir_all(&version).unwrap();
    let binary = version.join("near-plugin");
    std::fs::write(&binary, "#!/bin/sh\n").unwrap();
    let mut permissions = std::fs::metadata(&binary).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&binary, permissions).unwrap();
    let missing = RemoteMembers::builder()
        .host("http://127.0.0.1:1")
        .process_from_dir::<dyn Classifier>("near", &dir, "^1")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(missing.ids().collect::<Vec<_>>(), ["classifier.near"]);
    let no_host = RemoteMembers::builder()
        .process_from_dir::<dyn Classifier>("near", &dir, "^0.3")
        .unwrap()
        .build();
    assert!(matches!(no_host, Err(MembersError::NoHost)));
    std::fs::remove_dir_all(&dir).unwrap();
}
