//! The reference service end to end: the real `pegboard` binary on a free
//! loopback port, talked to over HTTP (issue 4's scenarios).
//!
//! Scenarios that need the fault-injection plugin build the binary once more
//! with the `chaos` feature (in target/nested, shared with tests/linking.rs, so the outer build's lock is
//! never waited for).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// A running `pegboard` process; killed when dropped.
struct Server {
    child: Option<Child>,
    base: String,
    /// Its stdout, line by line (the channel stays open for its life).
    lines: mpsc::Receiver<String>,
    /// What it printed before it served (warnings about the config).
    early: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// Starts the binary and returns once it serves and its plugins'
    /// start is over (the "N of M plugins running" line).
    fn start(binary: &Path, dir: &Path, config: Option<&str>, env: &[(&str, &str)]) -> Server {
        let server = Server::serving(binary, dir, config, env);
        server.wait_for("plugins running");
        server
    }

    /// Starts the binary and returns as soon as it serves: its plugins may
    /// still be starting.
    fn serving(binary: &Path, dir: &Path, config: Option<&str>, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(binary);
        cmd.current_dir(dir)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("PEGBOARD_ADMIN_TOKEN")
            .env_remove("PEGBOARD_DIAGNOSTICS_ENABLED")
            .env("PEGBOARD_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(config) = config {
            let path = dir.join("pegboard.toml");
            std::fs::write(&path, config).unwrap();
            cmd.arg("--config").arg(&path);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.arg("run");
        let mut child = cmd.spawn().expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut early = Vec::new();
        let base = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the server prints its address");
            if let Some(addr) = line.strip_prefix("listening on ") {
                break addr.to_owned();
            }
            early.push(line);
        };
        Server {
            child: Some(child),
            base,
            lines,
            early,
        }
    }

    /// Waits (at most a minute) for a line of stdout containing `needle`,
    /// which may have come before the address (the plugins' start and the
    /// serve hook run concurrently).
    fn wait_for(&self, needle: &str) -> String {
        if let Some(line) = self.early.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no line with `{needle}` on stdout: {e}"));
            if line.contains(needle) {
                return line;
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and returns the exit code.
    fn terminate(mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .ok()?
            .success();
        assert!(ok);
        child.wait().ok()?.code()
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pegboard-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn default_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pegboard"))
}

/// The binary with the `chaos` plugin compiled in.
fn chaos_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let target = workspace.join("target").join("nested");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(&workspace)
                .env("CARGO_TARGET_DIR", &target)
                .args([
                    "build",
                    "--quiet",
                    "--locked",
                    "-p",
                    "pegboard-app",
                    "--features",
                    "chaos",
                ])
                .status()
                .expect("cargo runs");
            assert!(
                status.success(),
                "building pegboard with --features chaos failed"
            );
            target.join("debug").join("pegboard")
        })
        .clone()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn get(url: String) -> (u16, Value) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(url: String, body: Value) -> (u16, Value) {
    let r = client().post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `GET /api/plugins` once `done` holds for it; panics after a bounded wait.
async fn plugins_once(server: &Server, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, list) = get(server.url("/api/plugins")).await;
        assert_eq!(status, 200, "{list}");
        if done(&list) {
            return list;
        }
        assert!(std::time::Instant::now() < deadline, "never {what}: {list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn plugin<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {list}"))
}

#[tokio::test]
async fn default_run_serves_and_round_trips_a_document() {
    let dir = temp_dir("default");
    let server = Server::start(&default_binary(), &dir, None, &[]);

    assert_eq!(get(server.url("/healthz")).await.0, 200);
    let (status, ready) = get(server.url("/readyz")).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "ready");

    let (status, list) = get(server.url("/api/plugins")).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "classifier.keywords",
            "classifier.language",
            "routes.stats",
            "store.file",
            "store.memory"
        ]
    );
    assert_eq!(list["count"], 5);

    let text = "The Rust server sent an invoice for the new database, and we would like to know \
                whether the payment is still scheduled for tomorrow morning.";
    let (status, created) = post(server.url("/api/v1/documents"), json!({ "text": text })).await;
    assert_eq!(status, 201, "{created}");
    let tags: Vec<&str> = created["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tags, ["finance", "lang:eng", "tech"]);
    assert_eq!(
        created["classifiers"]["classifier.keywords"]["result"],
        "ok"
    );
    assert_eq!(
        created["classifiers"]["classifier.language"]["result"],
        "ok"
    );

    let id = created["id"].as_str().unwrap();
    let (status, read) = get(server.url(&format!("/api/v1/documents/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(read, created);
    assert_eq!(get(server.url("/api/v1/documents/nope")).await.0, 404);

    let (status, stats) = get(server.url("/api/stats")).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["tags"]["finance"], 1);

    // Bad requests are 400 with a message.
    let r = client()
        .post(server.url("/api/v1/documents"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let (status, body) = post(server.url("/api/v1/documents"), json!({ "txt": "x" })).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("text"), "{body}");

    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test]
async fn a_plugin_panicking_at_start_leaves_the_rest_serving() {
    let dir = temp_dir("start-panic");
    let config = "[plugins.classifier.chaos]\non_start = \"panic\"\n[plugins.classifier.chaos.supervision]\nrestart = { policy = \"never\" }\n";
    let server = Server::start(&chaos_binary(), &dir, Some(config), &[]);
    let (status, ready) = get(server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(ready["status"], "not_ready");
    assert_eq!(ready["plugins"]["classifier.chaos"], false);
    assert_eq!(ready["plugins"]["classifier.keywords"], true);

    let (_, list) = get(server.url("/api/plugins")).await;
    let chaos = plugin(&list, "classifier.chaos");
    assert_eq!(chaos["state"], "failed");
    assert_eq!(chaos["reason"], "panic");

    let (status, created) = post(
        server.url("/api/v1/documents"),
        json!({ "text": "rain and snow in the forecast" }),
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        created["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("weather"))
    );
    assert_eq!(
        created["classifiers"]["classifier.chaos"]["result"],
        "skipped"
    );
}

#[tokio::test]
async fn a_hanging_or_panicking_classifier_is_cut_off_and_counted() {
    let dir = temp_dir("classify-hang");
    let config = "[plugins.classifier.chaos]\non_classify = \"hang\"\n";
    let server = Server::start(
        &chaos_binary(),
        &dir,
        Some(config),
        &[("PEGBOARD_TIMEOUT_CLASSIFIER_MS", "300")],
    );
    let (status, created) = post(
        server.url("/api/v1/documents"),
        json!({ "text": "the bank sent money" }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["classifiers"]["classifier.chaos"]["result"],
        "timeout"
    );
    assert_eq!(
        created["classifiers"]["classifier.keywords"]["result"],
        "ok"
    );
    assert!(
        created["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("finance"))
    );
    let metrics = client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l == r#"pegboard_plugin_timeouts_total{plugin_id="classifier.chaos",capability="classifier"} 1"#),
        "{metrics}"
    );
    drop(server);

    let dir = temp_dir("classify-panic");
    let config = "[plugins.classifier.chaos]\non_classify = \"panic\"\n";
    let server = Server::start(&chaos_binary(), &dir, Some(config), &[]);
    for _ in 0..2 {
        let (status, created) = post(
            server.url("/api/v1/documents"),
            json!({ "text": "rust plugin" }),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(
            created["classifiers"]["classifier.chaos"]["result"],
            "panic"
        );
        assert_eq!(created["tags"], json!(["tech"]));
    }
    assert_eq!(get(server.url("/healthz")).await.0, 200);
}

#[tokio::test]
async fn the_admin_endpoint_needs_the_token() {
    let dir = temp_dir("admin");
    let server = Server::start(
        &default_binary(),
        &dir,
        None,
        &[("PEGBOARD_ADMIN_TOKEN", "s3cret")],
    );
    let url = server.url("/api/v1/plugins/status");
    let c = client();
    for request in [
        c.get(&url),
        c.get(&url).header("authorization", "Bearer wrong"),
        c.get(&url).header("authorization", "Basic s3cret"),
        c.get(&url).header("x-admin-token", "s3cret"),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert!(r.headers().contains_key("www-authenticate"));
    }
    post(server.url("/api/v1/documents"), json!({ "text": "one" })).await;
    post(server.url("/api/v1/documents"), json!({ "text": "two" })).await;
    let r = c
        .get(&url)
        .header("authorization", "Bearer s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let status: Value = r.json().await.unwrap();
    let keywords = plugin(&status, "classifier.keywords");
    assert_eq!(keywords["counters"]["classifier"]["successes"], 2);
    assert_eq!(keywords["enabled"], true);
    drop(server);

    let server = Server::start(&default_binary(), &temp_dir("no-admin"), None, &[]);
    let r = client()
        .get(server.url("/api/v1/plugins/status"))
        .header("authorization", "Bearer anything")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "never open by default");
}

#[tokio::test]
async fn sigterm_exits_zero_within_the_stop_timeouts() {
    let dir = temp_dir("sigterm");
    let config =
        "[plugins.classifier.chaos]\non_stop = \"hang\"\nsupervision = { stop_timeout_ms = 200 }\n";
    let server = Server::start(&chaos_binary(), &dir, Some(config), &[]);
    assert_eq!(get(server.url("/healthz")).await.0, 200);
    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test]
async fn the_file_store_keeps_documents_across_a_restart() {
    let dir = temp_dir("file-store");
    let config = "[server]\nstore = \"file\"\n[plugins.store.file]\npath = \"docs.jsonl\"\n[plugins.routes.stats]\nstore = \"file\"\n";
    let server = Server::start(&default_binary(), &dir, Some(config), &[]);
    let (status, created) = post(
        server.url("/api/v1/documents"),
        json!({ "text": "sun and rain" }),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(server.terminate(), Some(0));

    let server = Server::start(&default_binary(), &dir, Some(config), &[]);
    let (status, read) = get(server.url(&format!("/api/v1/documents/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(read, created);
    let (_, stats) = get(server.url("/api/stats")).await;
    assert_eq!(stats["documents"], 1);
}

#[test]
fn an_invalid_config_file_exits_before_serving_with_every_error() {
    let dir = temp_dir("invalid");
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[server]\nlisten = 8080\n[plugins.store.memory]\ncapacity = 0\n[plugins.classifier.keywords]\nmax_tags = \"all\"\n",
    )
    .unwrap();
    let out = Command::new(default_binary())
        .current_dir(&dir)
        .args(["--config", path.to_str().unwrap(), "run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    let err = String::from_utf8_lossy(&out.stderr);
    for path in [
        "/server/listen",
        "/plugins/store/memory/capacity",
        "/plugins/classifier/keywords/max_tags",
    ] {
        assert!(err.contains(path), "{path} in\n{err}");
    }
}

/// Seed 000: the operator surface answers while a plugin's start hangs,
/// and says which plugin is not up; what depends on it answers 503 naming
/// it. SIGTERM during the hang stops the host without waiting out the start
/// timeout (set to ten minutes here, so a pass cannot be its expiry).
#[tokio::test]
async fn the_surface_answers_while_a_start_hangs() {
    let dir = temp_dir("start-hang");
    let config = "[server]\nstore = \"file\"\n\n[plugins.store.file]\nenabled = false\n\n\
                  [plugins.classifier.chaos]\non_start = \"hang\"\n\
                  supervision = { start_timeout_ms = 600000 }\n";
    let server = Server::serving(&chaos_binary(), &dir, Some(config), &[]);

    assert_eq!(
        get(server.url("/healthz")).await,
        (200, json!({"status": "ok"}))
    );
    // The hanging start holds its level; `routes.stats` (the next level,
    // it depends on the stores) waits behind it. The level's other plugins
    // are running once chaos's start has begun.
    poll(&server, "/api/plugins", |(_, list)| {
        plugin(list, "classifier.chaos")["state"] == "starting"
            && plugin(list, "classifier.keywords")["state"] == "running"
    })
    .await;
    let (status, ready) = get(server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(ready["status"], "not_ready");
    assert_eq!(ready["plugins"]["classifier.chaos"], false);
    assert_eq!(ready["plugins"]["routes.stats"], false);

    let (status, list) = get(server.url("/api/plugins")).await;
    assert_eq!(status, 200);
    assert_eq!(plugin(&list, "classifier.chaos")["state"], "starting");
    assert_eq!(plugin(&list, "routes.stats")["state"], "configured");
    assert_eq!(plugin(&list, "store.file")["state"], "disabled");

    // A `routes` plugin that is not up: 503 naming it, not a 404.
    let (status, stats) = get(server.url("/api/stats")).await;
    assert_eq!(status, 503);
    assert_eq!(
        stats,
        json!({"error": "plugin not running", "plugin_id": "routes.stats", "state": "configured"})
    );
    // The configured store is not running: 503 naming it.
    let (status, created) = post(server.url("/api/v1/documents"), json!({"text": "hi"})).await;
    assert_eq!(status, 503);
    assert_eq!(created["plugin_id"], "store.file");
    assert_eq!(created["state"], "disabled");
    assert!(
        created["error"].as_str().unwrap().contains("store.file"),
        "{created}"
    );

    assert_eq!(server.terminate(), Some(0));
}

/// Polls `path` until `done` holds of its answer (at most 60 s).
async fn poll(server: &Server, path: &str, done: impl Fn(&(u16, Value)) -> bool) -> (u16, Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let answer = get(server.url(path)).await;
        if done(&answer) || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Issue 15: a plugin's invalid section fails that plugin alone (reason
/// `invalid_config`, every error listed), and the rest run; an override
/// variable for a kind that does not exist is a warning with a did-you-mean.
#[tokio::test]
async fn a_bad_plugin_section_fails_only_that_plugin() {
    let dir = temp_dir("bad-section");
    let config = "[plugins.store.memory]\ncapacity = \"lots\"\n";
    let env = [("PEGBOARD_TIMEOUT_CLASIFIER_MS", "500")];
    let server = Server::start(&default_binary(), &dir, Some(config), &env);
    let warnings = server.early.join("\n");
    assert!(
        warnings.contains("warning:") && warnings.contains("/plugins/store/memory/capacity"),
        "{warnings}"
    );
    assert!(
        warnings.contains("PEGBOARD_TIMEOUT_CLASSIFIER_MS"),
        "the did-you-mean: {warnings}"
    );

    let (_, list) = get(server.url("/api/plugins")).await;
    let memory = plugin(&list, "store.memory");
    assert_eq!(memory["state"], "failed");
    assert_eq!(memory["reason"], "invalid_config");
    assert!(
        memory["failure"].to_string().contains("capacity"),
        "{memory}"
    );
    assert_eq!(plugin(&list, "classifier.keywords")["state"], "running");
    let (status, ready) = get(server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(ready["plugins"]["store.memory"], false);
    // The app's store is the failed one: its API says so.
    let (status, answer) = post(server.url("/api/v1/documents"), json!({"text": "hi"})).await;
    assert_eq!(
        (status, &answer["plugin_id"], &answer["state"]),
        (503, &json!("store.memory"), &json!("failed"))
    );
    assert_eq!(server.terminate(), Some(0));
}

/// `run --strict`, or `[host] strict = true`, refuses what plain `run`
/// tolerates: a plugin's bad section, an override for an unknown kind.
#[test]
fn run_strict_refuses_a_bad_plugin_section_or_an_unknown_kind() {
    let dir = temp_dir("strict");
    /// The config file, the arguments, the environment, what stderr names.
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        (
            "[plugins.store.memory]\ncapacity = \"lots\"\n",
            &["run", "--strict"],
            &[],
            "/plugins/store/memory/capacity",
        ),
        (
            "[host]\nstrict = true\n[plugins.store.memory]\ncapacity = \"lots\"\n",
            &["run"],
            &[],
            "/plugins/store/memory/capacity",
        ),
        (
            "",
            &["run", "--strict"],
            &[("PEGBOARD_TIMEOUT_CLASIFIER_MS", "500")],
            "PEGBOARD_TIMEOUT_CLASSIFIER_MS",
        ),
    ];
    for (config, args, env, needle) in cases {
        let path = dir.join("strict.toml");
        std::fs::write(&path, config).unwrap();
        let out = Command::new(default_binary())
            .current_dir(&dir)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--config",
                path.to_str().unwrap(),
            ])
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} {config}: {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
        assert!(err.contains(needle), "{needle} in\n{err}");
    }
}

/// With `--log-format json`, a plugin's panic (caught and isolated by the
/// supervisor) is a `plugin.panic` event, not the default hook's text: every
/// line on stderr is JSON.
#[test]
fn in_json_mode_a_caught_panic_is_an_event() {
    let dir = temp_dir("json-panic");
    let path = dir.join("panic.toml");
    std::fs::write(
        &path,
        "[plugins.classifier.chaos]\non_start = \"panic\"\nsupervision = { restart = { policy = \"never\" } }\n",
    )
    .unwrap();
    let mut child = Command::new(chaos_binary())
        .current_dir(&dir)
        .args(["--log-format=json", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .arg("run")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the host reports its start");
        let done = line.contains("\"host.started\"");
        lines.push(line);
        if done {
            break;
        }
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    lines.extend(rx.iter());
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect();
    let panic = events
        .iter()
        .find(|e| e["fields"]["message"] == "plugin.panic")
        .unwrap_or_else(|| panic!("no plugin.panic in {lines:#?}"));
    assert_eq!(panic["level"], "ERROR");
    assert!(
        panic["fields"]["location"]
            .as_str()
            .unwrap()
            .contains("classifier-chaos"),
        "{panic}"
    );
}

/// Health checks every hour: within the test only the first one, right
/// after each start, can run.
const HOURLY_CHECKS: &str = "[supervision]\nhealth_interval_ms = 3600000\n";

#[tokio::test]
async fn api_plugins_entries_say_how_each_plugin_is_and_where_its_routes_are() {
    let dir = temp_dir("api-plugins");
    let server = Server::start(
        &default_binary(),
        &dir,
        Some(HOURLY_CHECKS),
        &[("PEGBOARD_ADMIN_TOKEN", "s3cret")],
    );
    // Every plugin that is up gets its first health check right after its
    // start, not an interval (an hour) later.
    let list = plugins_once(&server, "health checked right after start", |list| {
        list["plugins"].as_array().is_some_and(|plugins| {
            plugins.iter().all(|p| {
                p["status"]["serving"] == false && p["health"]["status"] == "unknown"
                    || p["status"]["serving"] == true && p["health"]["status"] == "healthy"
            }) && plugins.iter().any(|p| p["status"]["serving"] == true)
        })
    })
    .await;

    let keywords = plugin(&list, "classifier.keywords");
    assert_eq!(keywords["healthy"], true);
    assert_eq!(
        keywords["status"],
        json!({"enabled": true, "initialized": true, "serving": true, "last_error": null})
    );
    assert_eq!(keywords["capabilities"], json!(["classifier"]));
    assert_eq!(keywords["base_path"], Value::Null);

    let stats = plugin(&list, "routes.stats");
    assert_eq!(stats["base_path"], "/api/stats");
    let (status, _) = get(server.url("/api/stats")).await;
    assert_eq!(status, 200);

    // The same capabilities as the admin status, plugin by plugin.
    let r = client()
        .get(server.url("/api/v1/plugins/status"))
        .header("authorization", "Bearer s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let admin: Value = r.json().await.unwrap();
    for p in list["plugins"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        assert_eq!(
            p["capabilities"],
            plugin(&admin, id)["capabilities"],
            "{id}"
        );
        assert_eq!(p["capabilities"][0], p["kind"], "{id}");
    }
}

#[tokio::test]
async fn a_degraded_plugin_is_not_ready_unless_the_server_says_so() {
    let chaos = "[plugins.classifier.chaos]\non_health = \"error\"\n\
                 supervision = { health_interval_ms = 3600000, unhealthy_threshold = 1000 }\n";
    for (server_section, ready) in [
        ("", false),
        ("[server]\nready_when_degraded = true\n", true),
    ] {
        let dir = temp_dir(&format!("degraded-{ready}"));
        let config = format!("{server_section}{chaos}");
        let server = Server::start(&chaos_binary(), &dir, Some(&config), &[]);
        // Unhealthy once (of 1000 allowed in a row): degraded, still serving.
        let list = plugins_once(&server, "classifier.chaos degraded", |list| {
            list["plugins"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["id"] == "classifier.chaos"))
                .is_some_and(|p| p["state"] == "degraded")
        })
        .await;
        let chaos_entry = plugin(&list, "classifier.chaos");
        assert_eq!(chaos_entry["healthy"], false);
        assert_eq!(chaos_entry["status"]["serving"], true);
        assert_eq!(chaos_entry["health"]["status"], "unhealthy");

        let (status, body) = get(server.url("/readyz")).await;
        assert_eq!(body["plugins"]["classifier.chaos"], ready, "{body}");
        assert_eq!(body["plugins"]["classifier.keywords"], true, "{body}");
        if ready {
            assert_eq!((status, &body["status"]), (200, &json!("ready")), "{body}");
        } else {
            assert_eq!(
                (status, &body["status"]),
                (503, &json!("not_ready")),
                "{body}"
            );
        }
    }
}

/// Seed 000: `PEGBOARD_DIAGNOSTICS_ENABLED=false` turns the admin endpoint
/// off even with a token; a value that is not a switch keeps it off too.
#[tokio::test]
async fn diagnostics_disabled_in_the_environment_hide_the_admin_endpoint() {
    for (value, status) in [("false", 404), ("nope", 404), ("true", 200)] {
        let dir = temp_dir(&format!("diagnostics-{value}"));
        let env = [
            ("PEGBOARD_ADMIN_TOKEN", "s3cret"),
            ("PEGBOARD_DIAGNOSTICS_ENABLED", value),
        ];
        let server = Server::start(&default_binary(), &dir, None, &env);
        let r = client()
            .get(server.url("/api/v1/plugins/status"))
            .header("authorization", "Bearer s3cret")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            status,
            "PEGBOARD_DIAGNOSTICS_ENABLED={value}"
        );
        assert_eq!(get(server.url("/healthz")).await.0, 200);
    }
}
