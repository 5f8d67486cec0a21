//! What an operator sees of plugins outside the host (issue 15, points 2
//! and 7; SPEC R2, R4, R7): a declared local process whose binary is
//! missing fails alone, with what was searched and found, and the rest
//! run; `<dir>/<name>/v<version>/` is found too; a remote plugin shows its
//! `api` as `MAJOR.MINOR` and, before it announces, its declared version
//! requirement; `[remote]` sets the heartbeat interval and the misses
//! before `unhealthy` and `unavailable`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::config::Document;
use pegboard::remote::proto::v1::registry_client::RegistryClient;
use pegboard::remote::proto::v1::{AnnounceRequest, PluginMeta};
use pegboard::remote::{HeartbeatSettings, RemoteMembers, RemoteRegistry};
use pegboard::{CallResult, Location, PluginState, Registry, Supervisor};

/// The compiled-in classifier that runs whatever happens to the others.
#[derive(Default)]
#[pegboard::plugin(name = "near", version = "1.0.0", api = "0.1", kind = Classifier)]
pub struct Near;
impl Classifier for Near {
    fn classify(&self, _: &str) -> Result<Vec<String>, ClassifyError> {
        Ok(vec!["near".into()])
    }
}

/// A plugin directory under the system's temp dir, removed when dropped.
struct PluginDir(PathBuf);

impl PluginDir {
    fn new(test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("pegboard-operator-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        PluginDir(path)
    }

    /// An executable `<rel>` (a script that is no plugin: these tests never
    /// start it).
    fn binary(&self, rel: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "#!/bin/sh\nexit 3\n").unwrap();
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).unwrap();
        path
    }

    fn dir(&self, rel: &str) {
        std::fs::create_dir_all(self.0.join(rel)).unwrap();
    }
}

impl Drop for PluginDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const NEVER_RESTART: &str = "[supervision]\nrestart = { policy = \"never\" }\n";

fn registry(members: &RemoteMembers) -> Arc<Registry> {
    Arc::new(
        Registry::builder()
            .remote(members)
            .config(Document::from_toml_str(NEVER_RESTART).unwrap())
            .build()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_process_without_its_binary_fails_alone_saying_what_was_searched() {
    let dir = PluginDir::new("missing");
    dir.binary("absent/0.0.9/absent-plugin"); // too old for ^0.1
    dir.dir("absent/0.2.0"); // no binary in it
    let nowhere = dir.0.join("not-there");
    let members = RemoteMembers::builder()
        .host("http://127.0.0.1:1")
        .process_from_dir::<dyn Classifier>("absent", &dir.0, "^0.1")
        .unwrap()
        .process_from_dir::<dyn Classifier>("lost", &nowhere, "*")
        .unwrap()
        .build()
        .unwrap();
    let registry = registry(&members);
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    assert_eq!(report.running, ["classifier.near"], "{report:?}");

    let absent = registry.plugin("classifier.absent").unwrap();
    assert_eq!(absent.state, PluginState::Failed);
    assert_eq!(absent.location, Location::LocalProcess);
    assert_eq!((absent.version, absent.api), ("^0.1", "0.1"));
    assert_eq!(absent.source.file, "(no binary)");
    let why = absent.failure.unwrap().to_string();
    let searched = dir.0.join("absent");
    for needle in [
        "local plugin `classifier.absent`: no binary matching ^0.1".to_owned(),
        format!("{}/<version>/absent-plugin", searched.display()),
        format!("{}/v<version>/absent-plugin", searched.display()),
        "versions found: 0.0.9".to_owned(),
        format!(
            "{}: no `<name>-plugin` binary in it",
            searched.join("0.2.0").display()
        ),
        "install the binary there or change the declared version requirement".to_owned(),
    ] {
        assert!(why.contains(&needle), "`{needle}` not in: {why}");
    }
    let lost = registry.plugin("classifier.lost").unwrap();
    assert_eq!(lost.state, PluginState::Failed);
    let why = lost.failure.unwrap().to_string();
    assert!(
        why.contains("cannot read plugin directory") && why.contains(&*nowhere.to_string_lossy()),
        "{why}"
    );

    // The rest is served.
    let out = registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("x"))
        .await;
    assert_eq!(out.get("classifier.near").unwrap().result, CallResult::Ok);
    supervisor.shutdown().await;
}

#[test]
fn a_v_version_directory_is_found_and_versions_show_what_is_known() {
    let dir = PluginDir::new("v-dir");
    let binary = dir.binary("vee/v0.1.2/vee-plugin");
    dir.binary("vee/0.0.1/vee-plugin");
    let members = RemoteMembers::builder()
        .host("http://127.0.0.1:1")
        .process_from_dir::<dyn Classifier>("vee", &dir.0, "^0.1")
        .unwrap()
        .remote::<dyn Classifier>("far", "^1.2")
        .unwrap()
        .build()
        .unwrap();
    let registry = registry(&members);
    let vee = registry.plugin("classifier.vee").unwrap();
    assert_eq!((vee.version, vee.api), ("0.1.2", "0.1"));
    assert_eq!(
        vee.remote.unwrap().binary.as_deref(),
        Some(&*binary.to_string_lossy())
    );
    // Before it announces, a remote plugin shows the version it is
    // declared with; its API as compiled-in plugins show theirs.
    let far = registry.plugin("classifier.far").unwrap();
    assert_eq!((far.version, far.api), ("^1.2", "0.1"));
    let near = registry.plugin("classifier.near").unwrap();
    assert_eq!(near.api, far.api);
}

#[test]
fn the_members_heartbeat_is_the_registry_services_unless_it_has_its_own() {
    let settings = HeartbeatSettings {
        interval: Duration::from_millis(40),
        unhealthy_after: 2,
        unavailable_after: 5,
    };
    let members = || {
        RemoteMembers::builder()
            .heartbeat(settings)
            .remote::<dyn Classifier>("far", "^1")
            .unwrap()
            .build()
            .unwrap()
    };
    let host = registry(&members());
    let catalog = host.catalog();
    let remote = RemoteRegistry::builder(catalog, "t")
        .members(&members())
        .build()
        .unwrap();
    assert_eq!(remote.settings(), settings);
    // The registry's own, set before or after the members, wins.
    let own = HeartbeatSettings::default();
    for remote in [
        RemoteRegistry::builder(catalog, "t")
            .heartbeat(own)
            .members(&members()),
        RemoteRegistry::builder(catalog, "t")
            .members(&members())
            .heartbeat(own),
    ] {
        assert_eq!(remote.build().unwrap().settings(), own);
    }
}

/// What `run` prints, a line at a time.
struct Lines {
    tx: mpsc::Sender<String>,
    partial: Vec<u8>,
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let _ = self
                .tx
                .send(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the serve hook saw of the running host.
#[derive(Debug, Default)]
struct Seen {
    heartbeat_interval_ms: Option<u64>,
    absent: Option<(PluginState, String)>,
    near: Option<PluginState>,
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("pegboard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_goes_on_without_a_missing_binary_and_serves_the_configured_heartbeat() {
    let dir = PluginDir::new("run");
    let config = write_config(
        &dir.0,
        &format!(
            r#"
[remote]
token = "operator-s3cret"
plugin_dir = "{}"
heartbeat_interval_ms = 40
unhealthy_after_missed = 2
unavailable_after_missed = 5

[remote.plugins."classifier.absent"]
location = "local_process"
version = "^0.1"

{NEVER_RESTART}"#,
            dir.0.join("bin").display()
        ),
    );
    let (tx, rx) = mpsc::channel::<String>();
    let rx = Arc::new(Mutex::new(rx));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (lines, saw) = (rx.clone(), seen.clone());
    let cli = pegboard::cli::Cli::new("host")
        .env(Vec::<(String, String)>::new())
        .remote_kind::<dyn Classifier>()
        .serve(move |ctx| {
            let (lines, saw) = (lines.clone(), saw.clone());
            async move {
                // Printed before the hook is called.
                let host = loop {
                    let line = lines
                        .lock()
                        .unwrap()
                        .recv_timeout(Duration::from_secs(10))?;
                    if let Some(host) = line.strip_prefix("remote plugins announce to ") {
                        break host.to_owned();
                    }
                };
                let mut request = tonic::Request::new(AnnounceRequest {
                    node: "probe-node".into(),
                    address: "http://127.0.0.1:9".into(),
                    plugins: vec![PluginMeta {
                        kind: "classifier".into(),
                        name: "probe".into(),
                        version: "1.0.0".into(),
                        api: pegboard::API_VERSION.into(),
                        description: "Announces, nothing more.".into(),
                        capabilities: vec![],
                        depends_on: vec![],
                    }],
                });
                request.metadata_mut().insert(
                    pegboard::remote::proto::AUTHORIZATION,
                    "Bearer operator-s3cret".parse()?,
                );
                let answer = RegistryClient::connect(host)
                    .await?
                    .announce(request)
                    .await?;
                // The host serves while its plugins start: wait (bounded)
                // until their start is over before reading their states.
                let deadline = std::time::Instant::now() + Duration::from_secs(30);
                let starting = |id: &str| {
                    ctx.registry.plugin(id).is_some_and(|p| {
                        matches!(p.state, PluginState::Configured | PluginState::Starting)
                    })
                };
                while (starting("classifier.near") || starting("classifier.absent"))
                    && std::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let mut saw = saw.lock().unwrap();
                saw.heartbeat_interval_ms = Some(answer.into_inner().heartbeat_interval_ms);
                saw.absent = ctx.registry.plugin("classifier.absent").map(|p| {
                    (
                        p.state,
                        p.failure.map(|f| f.to_string()).unwrap_or_default(),
                    )
                });
                saw.near = ctx.registry.plugin("classifier.near").map(|p| p.state);
                Ok(())
            }
        });
    let (mut out, mut err) = (
        Lines {
            tx,
            partial: Vec::new(),
        },
        Vec::new(),
    );
    let code = cli.run(
        ["host", "--config", config.to_str().unwrap(), "run"],
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.heartbeat_interval_ms, Some(40), "{seen:?}");
    assert_eq!(seen.near, Some(PluginState::Running), "{seen:?}");
    let (state, why) = seen.absent.clone().unwrap();
    assert_eq!(state, PluginState::Failed, "{why}");
    assert!(why.contains("cannot read plugin directory"), "{why}");
    // What `run` printed after the plugins started.
    let printed: Vec<String> = rx.lock().unwrap().try_iter().collect();
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("1 of 2 plugins running")),
        "{printed:#?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("classifier.absent: ") && l.contains("plugin directory")),
        "{printed:#?}"
    );
}

#[test]
fn heartbeat_keys_below_one_are_refused_by_config_check() {
    let dir = PluginDir::new("check");
    let config = write_config(
        &dir.0,
        "[remote]\nheartbeat_interval_ms = 0\nunhealthy_after_missed = 0\nunavailable_after_missed = 0\n",
    );
    let cli = pegboard::cli::Cli::new("host")
        .env(Vec::<(String, String)>::new())
        .remote_kind::<dyn Classifier>();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli.run(
        ["host", "config", "check", config.to_str().unwrap()],
        &mut out,
        &mut err,
    );
    let err = String::from_utf8_lossy(&err);
    assert_ne!(code, 0, "{err}");
    for key in [
        "heartbeat_interval_ms",
        "unhealthy_after_missed",
        "unavailable_after_missed",
    ] {
        assert!(
            err.contains(&format!("/remote/{key}: 0 is less than the minimum of 1")),
            "{key}: {err}"
        );
    }
}
