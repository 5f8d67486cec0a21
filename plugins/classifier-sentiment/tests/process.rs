//! The sentiment classifier as a local plugin process (issue 6; SPEC R2,
//! R5, L5): a host finds `sentiment-plugin` in a temporary plugin
//! directory, spawns it, and the process announces itself over gRPC on
//! loopback; it is then dispatched to like a compiled-in plugin. Killed
//! with SIGKILL, it is marked failed and restarted within its restart
//! policy; with a budget of 0 it stays failed; and a host that shuts down
//! leaves no process behind.
//!
//! Waits poll the registry (or the captured logs) with a generous bound;
//! nothing asserts on how long anything took.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingest_kinds::Classifier;
use pegboard::config::Document;
use pegboard::remote::{RemoteMembers, RemoteRegistry};
use pegboard::{CallResult, Connection, Location, PluginInfo, PluginState, Registry, Supervisor};
use pegboard_tests::capture::Capture;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

const BINARY: &str = env!("CARGO_BIN_EXE_sentiment-plugin");
/// The same plugin as "0.2.0", built against an API the host refuses.
const NEXT: &str = env!("CARGO_BIN_EXE_sentiment-next");
const TOKEN: &str = "process-s3cret";

/// Every event of this test binary.
fn logs() -> &'static Capture {
    pegboard_tests::capture::global()
}

/// A plugin directory holding this crate's binary as
/// `sentiment/0.1.0/sentiment-plugin`, removed when dropped.
struct PluginDir(PathBuf);

impl PluginDir {
    fn new(test: &str) -> PluginDir {
        let dir = std::env::temp_dir().join(format!("pegboard-{test}-{}", std::process::id()));
        let dir = PluginDir(dir);
        dir.add("0.1.0", BINARY);
        dir
    }

    /// Puts `binary` in the directory as version `version`.
    fn add(&self, version: &str, binary: &str) {
        let version = self.0.join("sentiment").join(version);
        std::fs::create_dir_all(&version).unwrap();
        std::os::unix::fs::symlink(binary, version.join("sentiment-plugin")).unwrap();
    }
}

impl Drop for PluginDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Host {
    registry: Arc<Registry>,
    supervisor: Supervisor,
    _dir: PluginDir,
}

impl Host {
    /// A host whose plugin directory holds the sentiment binary, with
    /// `restart` as its restart settings.
    async fn start(test: &str, restart: &str) -> Host {
        Self::start_with(PluginDir::new(test), "^0.1", restart).await
    }

    /// A host whose plugin directory is `dir`, declaring the sentiment
    /// plugin with the version requirement `requirement`.
    async fn start_with(dir: PluginDir, requirement: &str, restart: &str) -> Host {
        logs();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let members = RemoteMembers::builder()
            .host(format!("http://{addr}"))
            .stop_grace(Duration::from_secs(5))
            .process_from_dir::<dyn Classifier>("sentiment", &dir.0, requirement)
            .unwrap()
            .build()
            .unwrap();
        let config = format!(
            r#"
[supervision]
start_timeout_ms = 30000
stop_timeout_ms = 10000
# Periodic checks far apart: a process that exits is checked at once.
health_interval_ms = 600000
health_timeout_ms = 5000
unhealthy_threshold = 1
restart = {restart}

[dispatch.classifier]
timeout_ms = 10000
"#
        );
        let registry = Registry::builder()
            .remote(&members)
            .config(Document::from_toml_str(&config).unwrap())
            .build()
            .unwrap();
        let remote = RemoteRegistry::builder(registry.catalog(), TOKEN)
            .members(&members)
            .build()
            .unwrap();
        tokio::spawn(
            Server::builder()
                .add_service(remote.service())
                .serve_with_incoming(TcpListenerStream::new(listener)),
        );
        let registry = Arc::new(registry);
        Host {
            supervisor: Supervisor::new(registry.clone()),
            registry,
            _dir: dir,
        }
    }

    fn info(&self) -> PluginInfo {
        self.registry.plugin("classifier.sentiment").unwrap()
    }

    /// Waits (bounded) until the plugin satisfies `done`.
    async fn until(&self, what: &str, done: impl Fn(&PluginInfo) -> bool) -> PluginInfo {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let info = self.info();
            if done(&info) {
                return info;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {info:#?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn classify(&self, text: &'static str) -> (CallResult, Option<Vec<String>>) {
        let out = self
            .registry
            .dispatch::<dyn Classifier>()
            .fan_out_blocking(move |c| c.classify(text))
            .await;
        let o = out.get("classifier.sentiment").unwrap();
        (o.result, o.value.clone())
    }
}

fn pid_of(info: &PluginInfo) -> u32 {
    info.remote
        .as_ref()
        .and_then(|r| r.pid)
        .expect("a running process has a pid")
}

fn kill_9(pid: u32) {
    // The shell's builtin `kill`: a clean machine may have no kill binary.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -9 {pid}")])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Whether `pid` is still a process (a zombie counts: it was not reaped).
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits (bounded) until the process `pid` is gone and reaped.
async fn gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while exists(pid) {
        assert!(Instant::now() < deadline, "process {pid} is still there");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_plugin_is_dispatched_to_killed_restarted_and_stopped() {
    let host = Host::start(
        "restart",
        r#"{ policy = "on-failure", max_restarts = 3, window_ms = 60000, backoff_initial_ms = 1, backoff_max_ms = 10 }"#,
    )
    .await;
    let report = host.supervisor.start().await;
    assert_eq!(report.running, ["classifier.sentiment"], "{report:?}");

    let info = host.info();
    assert_eq!(info.location, Location::LocalProcess);
    assert_eq!(info.node.as_deref(), Some("local"));
    assert_eq!(info.version, "0.1.0");
    let remote = info.remote.clone().unwrap();
    assert_eq!(remote.connection, Connection::Healthy);
    assert!(
        remote
            .binary
            .unwrap()
            .ends_with("sentiment/0.1.0/sentiment-plugin")
    );
    let first = pid_of(&info);

    assert_eq!(
        host.classify("what a great day").await,
        (CallResult::Ok, Some(vec!["positive".to_owned()]))
    );
    // Its output reaches the host's logs, tagged with its id (the SDK logs
    // its announcement).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !logs().named("plugin.process.output").iter().any(|e| {
        e["plugin_id"] == "classifier.sentiment" && e["line"].contains("plugin.sdk.announced")
    }) {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            logs().named("plugin.process.output")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    kill_9(first);
    let info = host
        .until("a restart", |i| {
            i.restarts == 1 && i.state == PluginState::Running
        })
        .await;
    assert!(
        info.transitions.iter().any(|t| t.to == PluginState::Failed),
        "marked failed before the restart: {:#?}",
        info.transitions
    );
    let second = pid_of(&info);
    assert_ne!(first, second);
    gone(first).await;
    assert_eq!(
        host.classify("a terrible, awful day").await,
        (CallResult::Ok, Some(vec!["negative".to_owned()]))
    );

    host.supervisor.shutdown().await;
    assert_eq!(host.info().state, PluginState::Stopped);
    gone(second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_restart_budget_of_zero_a_killed_plugin_stays_failed() {
    let host = Host::start(
        "budget",
        r#"{ policy = "on-failure", max_restarts = 0, window_ms = 60000, backoff_initial_ms = 1, backoff_max_ms = 10 }"#,
    )
    .await;
    host.supervisor.start().await;
    let pid = pid_of(&host.info());
    kill_9(pid);

    // The supervisor gives up (it logs so), and the plugin stays failed.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spent = logs().0.lock().unwrap().iter().any(|e| {
            e.fields.get("plugin_id").map(String::as_str) == Some("classifier.sentiment")
                && e.fields
                    .get("message")
                    .is_some_and(|m| m.contains("restart budget spent"))
        });
        if spent {
            break;
        }
        assert!(Instant::now() < deadline, "the supervisor never gave up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let info = host.info();
    assert_eq!(info.state, PluginState::Failed);
    assert_eq!(info.restarts, 0);
    assert!(
        info.failure
            .unwrap()
            .to_string()
            .contains("killed by signal 9")
    );
    gone(pid).await;
    assert_ne!(host.classify("great").await.0, CallResult::Ok);
    host.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_shuts_down_leaves_no_process_behind() {
    let host = Host::start("shutdown", r#"{ policy = "never" }"#).await;
    host.supervisor.start().await;
    let pid = pid_of(&host.info());
    assert!(exists(pid));
    host.supervisor.shutdown().await;
    // Stopped with SIGTERM, and reaped: no zombie either.
    gone(pid).await;
    let stopped = logs().named("plugin.process.exited");
    assert!(
        stopped
            .iter()
            .any(|e| e["plugin_id"] == "classifier.sentiment" && e["pid"] == pid.to_string()),
        "{stopped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_whose_api_is_refused_gives_way_to_the_next_version() {
    let dir = PluginDir::new("fallback");
    dir.add("0.2.0", NEXT);
    let host = Host::start_with(dir, "*", r#"{ policy = "never" }"#).await;
    let report = host.supervisor.start().await;
    assert_eq!(report.running, ["classifier.sentiment"], "{report:?}");

    // 0.2.0 was tried first and refused (its API is 99.0); 0.1.0 runs.
    let fallback: Vec<_> = logs()
        .named("plugin.process.fallback")
        .into_iter()
        .filter(|e| e["plugin_id"] == "classifier.sentiment")
        .collect();
    assert_eq!(fallback.len(), 1, "{fallback:?}");
    assert_eq!(
        (
            fallback[0]["refused"].as_str(),
            fallback[0]["next"].as_str()
        ),
        ("0.2.0", "0.1.0")
    );
    assert!(fallback[0]["reason"].contains("99.0"), "{fallback:?}");
    let info = host.info();
    let remote = info.remote.unwrap();
    assert_eq!(remote.version.as_deref(), Some("0.1.0"));
    assert!(
        remote
            .binary
            .unwrap()
            .ends_with("sentiment/0.1.0/sentiment-plugin")
    );
    assert_eq!(
        host.classify("good").await,
        (CallResult::Ok, Some(vec!["positive".to_owned()]))
    );
    host.supervisor.shutdown().await;
}
