//! The operator surface over HTTP (SPEC H1-H5, S3), driven through
//! `tower::ServiceExt::oneshot` on the router: no network.
//!
//! Every test composes the plugins it names, starts them with a
//! [`Supervisor`] (restarts off, so a failed start stays failed) and asks
//! the router built afterwards, as a host would.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::{get, post};
use pegboard::config::Document;
use pegboard::http::{HttpOptions, Routes};
use pegboard::{BoxError, Lifecycle, Registry, Supervisor};
use serde_json::{Value, json};
use tower::ServiceExt;

#[pegboard::kind]
pub trait Probe {
    fn ping(&self) -> Result<&'static str, String>;
}

/// Always answers.
#[derive(Default)]
#[pegboard::plugin(name = "steady", version = "1.2.3", api = "0.1", kind = Probe, capabilities = ["ping", "probe"])]
pub struct Steady;
impl Probe for Steady {
    fn ping(&self) -> Result<&'static str, String> {
        Ok("pong")
    }
}

/// Its start fails.
#[derive(Default)]
#[pegboard::plugin(name = "failing", version = "0.1.0", api = "0.1", kind = Probe, lifecycle)]
pub struct Failing;
impl Probe for Failing {
    fn ping(&self) -> Result<&'static str, String> {
        Ok("never called")
    }
}
impl Lifecycle for Failing {
    async fn start(&self) -> Result<(), BoxError> {
        Err("database unreachable".into())
    }
}

/// Disabled by the configuration.
#[derive(Default)]
#[pegboard::plugin(name = "off", version = "0.1.0", api = "0.1", kind = Probe)]
pub struct Off;
impl Probe for Off {
    fn ping(&self) -> Result<&'static str, String> {
        Ok("never called")
    }
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
pub struct StrictConfig {
    /// How many pings to allow.
    pub limit: u32,
}

/// Its configuration section is invalid: fails validation.
#[pegboard::plugin(name = "strict", version = "0.1.0", api = "0.1", kind = Probe, config = StrictConfig)]
pub struct Strict;
impl From<StrictConfig> for Strict {
    fn from(_: StrictConfig) -> Self {
        Strict
    }
}
impl Probe for Strict {
    fn ping(&self) -> Result<&'static str, String> {
        Ok("never called")
    }
}

/// Routes under `/api/echo/`: a greeting, an upload and a handler that panics.
#[derive(Default)]
#[pegboard::plugin(name = "echo", version = "0.1.0", api = "0.1", kind = Routes)]
pub struct Echo;
impl Routes for Echo {
    fn router(&self) -> Router {
        Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route(
                "/upload",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .route("/panic", get(panicking))
    }
}

async fn panicking() -> &'static str {
    let items: Vec<&str> = Vec::new();
    items[3]
}

/// A `routes` plugin with a reserved name: must not shadow `/api/plugins`.
#[derive(Default)]
#[pegboard::plugin(name = "plugins", version = "0.1.0", api = "0.1", kind = Routes)]
pub struct Shadow;
impl Routes for Shadow {
    fn router(&self) -> Router {
        Router::new().route("/", get(|| async { "shadowed" }))
    }
}

/// A `routes` plugin whose `router()` panics: skipped, the rest mounted.
#[derive(Default)]
#[pegboard::plugin(name = "broken", version = "0.1.0", api = "0.1", kind = Routes)]
pub struct Broken;
impl Routes for Broken {
    fn router(&self) -> Router {
        panic!("cannot build my routes")
    }
}

const ALL: [&str; 6] = [
    "probe.steady",
    "probe.failing",
    "probe.off",
    "probe.strict",
    "routes.echo",
    "routes.plugins",
];

const CONFIG: &str = r#"
[supervision]
health_interval_ms = 0

[supervision.restart]
policy = "never"

[plugins.probe.off]
enabled = false

[plugins.probe.strict]
limit = "lots"
"#;

const TOKEN: &str = "correct-horse-battery-staple";

/// A registry of the plugins `ids`, configured with [`CONFIG`] minus the
/// sections of plugins left out, started.
async fn start(ids: &[&str]) -> (Arc<Registry>, Supervisor) {
    let descriptors = pegboard::discover::compiled_in()
        .filter(|d| ids.contains(&format!("{}.{}", d.kind(), d.name()).as_str()));
    let mut config = String::from(CONFIG);
    if !ids.contains(&"probe.strict") {
        config = config.replace("[plugins.probe.strict]\nlimit = \"lots\"\n", "");
    }
    if !ids.contains(&"probe.off") {
        config = config.replace("[plugins.probe.off]\nenabled = false\n", "");
    }
    let registry = Arc::new(
        Registry::builder()
            .descriptors(descriptors)
            .config(Document::from_toml_str(&config).unwrap())
            .build()
            .unwrap(),
    );
    assert_eq!(registry.catalog().len(), ids.len());
    let supervisor = Supervisor::new(registry.clone());
    supervisor.start().await;
    (registry, supervisor)
}

fn admin() -> HttpOptions {
    HttpOptions::new().admin_token(Some(TOKEN.to_owned()))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    Answer {
        status: parts.status,
        headers: parts.headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn get_(app: &Router, uri: &str) -> Answer {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn status_with(app: &Router, header: Option<(&str, &str)>) -> Answer {
    let mut request = Request::get("/api/v1/plugins/status");
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

fn plugin<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

fn assert_json_content_type(answer: &Answer) {
    assert_eq!(answer.headers[CONTENT_TYPE], "application/json");
}

#[tokio::test]
async fn http_healthz_answers_and_readyz_names_what_is_not_up() {
    let (registry, supervisor) = start(&ALL).await;
    let app = pegboard::http::router(registry.clone(), HttpOptions::new());

    let health = get_(&app, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json(), json!({"status": "ok"}));

    let ready = get_(&app, "/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_json_content_type(&ready);
    assert_eq!(
        ready.json(),
        json!({
            "status": "not_ready",
            "plugins": {
                "probe.failing": false,
                "probe.steady": true,
                "probe.strict": false,
                "routes.echo": true,
                "routes.plugins": true,
            }
        }),
        "disabled probe.off does not count"
    );

    // After shutdown nothing is up any more: not ready, still alive.
    supervisor.shutdown().await;
    let ready = get_(&app, "/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["plugins"]["probe.steady"], false);
    assert_eq!(get_(&app, "/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn http_readyz_is_ready_when_every_enabled_plugin_runs() {
    let (registry, _supervisor) = start(&["probe.steady", "probe.off", "routes.echo"]).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    let ready = get_(&app, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(
        ready.json(),
        json!({"status": "ready", "plugins": {"probe.steady": true, "routes.echo": true}})
    );
}

#[tokio::test]
async fn http_api_plugins_lists_every_plugin_with_its_metadata_and_reason() {
    let (registry, _supervisor) = start(&ALL).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    let answer = get_(&app, "/api/plugins").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_json_content_type(&answer);
    let list = answer.json();
    assert_eq!(list["count"], 6);
    let ids: Vec<&str> = list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "probe.failing",
            "probe.off",
            "probe.steady",
            "probe.strict",
            "routes.echo",
            "routes.plugins"
        ]
    );

    let steady = plugin(&list, "probe.steady");
    assert_eq!(steady["kind"], "probe");
    assert_eq!(steady["name"], "steady");
    assert_eq!(steady["version"], "1.2.3");
    assert_eq!(steady["api"], "0.1");
    assert_eq!(steady["description"], "Always answers.");
    assert_eq!(steady["crate"], "pegboard-tests");
    // Its kind, then its declared capabilities: as the admin status lists them.
    assert_eq!(steady["capabilities"], json!(["probe", "ping"]));
    assert_eq!(steady["dependencies"], json!([]));
    assert_eq!(steady["state"], "running");
    assert_eq!(steady["reason"], Value::Null);
    assert_eq!(steady["location"], "in_process");
    assert_eq!(steady["restarts"], 0);
    assert!(steady.get("failure").is_none());
    assert!(steady["updated_at"].is_string());
    assert!(steady["counters"].is_object());

    let failing = plugin(&list, "probe.failing");
    assert_eq!(failing["state"], "failed");
    assert_eq!(failing["reason"], "error");
    assert_eq!(failing["location"], "in_process");
    assert_eq!(failing["failure"]["reason"], "error");
    assert_eq!(failing["failure"]["stage"], "start");
    assert_eq!(failing["failure"]["message"], "database unreachable");
    assert_eq!(failing["last_error"], "start error: database unreachable");

    let off = plugin(&list, "probe.off");
    assert_eq!(off["state"], "disabled");
    assert_eq!(off["reason"], "disabled");

    let strict = plugin(&list, "probe.strict");
    assert_eq!(strict["state"], "failed");
    assert_eq!(strict["reason"], "invalid_config");

    for p in list["plugins"].as_array().unwrap() {
        for field in [
            "id",
            "kind",
            "name",
            "version",
            "api",
            "description",
            "crate",
            "capabilities",
            "dependencies",
            "state",
            "restarts",
            "reason",
            "location",
            "healthy",
            "status",
            "base_path",
            "health",
        ] {
            assert!(p.get(field).is_some(), "{field} missing in {p}");
        }
    }
}

#[tokio::test]
async fn http_admin_status_refuses_anything_but_the_bearer_token() {
    let (registry, _supervisor) = start(&ALL).await;
    let app = pegboard::http::router(registry, admin());
    let wrong = format!("Bearer {TOKEN}x");
    let truncated = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    let basic = format!("Basic {TOKEN}");
    let bare = TOKEN.to_owned();
    let refused: [(&str, Option<(&str, &str)>); 7] = [
        ("no header", None),
        ("wrong token", Some(("authorization", wrong.as_str()))),
        (
            "truncated token",
            Some(("authorization", truncated.as_str())),
        ),
        ("Basic scheme", Some(("authorization", basic.as_str()))),
        ("no scheme", Some(("authorization", bare.as_str()))),
        ("X-Admin-Token header", Some(("x-admin-token", TOKEN))),
        ("empty bearer", Some(("authorization", "Bearer "))),
    ];
    for (case, header) in refused {
        let answer = status_with(&app, header).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(
            answer.headers[WWW_AUTHENTICATE], "Bearer realm=\"pegboard\"",
            "{case}"
        );
        assert_json_content_type(&answer);
        assert_eq!(answer.json(), json!({"error": "unauthorized"}), "{case}");
        assert!(!answer.text.contains("probe."), "{case}: leaked data");
    }
}

#[tokio::test]
async fn http_admin_status_reports_every_plugin_with_counters() {
    let (registry, _supervisor) = start(&ALL).await;
    let out = registry
        .dispatch::<dyn Probe>()
        .fan_out(|p| async move { p.ping() })
        .await;
    assert_eq!(out.successes().count(), 1);
    registry
        .dispatch::<dyn Probe>()
        .call("steady", |p| async move { p.ping() })
        .await;
    let app = pegboard::http::router(registry, admin());

    for scheme in ["Bearer", "bearer"] {
        let header = format!("{scheme} {TOKEN}");
        let answer = status_with(&app, Some(("authorization", &header))).await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}");
    }
    let header = format!("Bearer {TOKEN}");
    let answer = status_with(&app, Some((AUTHORIZATION.as_str(), &header))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_json_content_type(&answer);
    let list = answer.json();
    assert_eq!(list["count"], 6);

    let steady = plugin(&list, "probe.steady");
    assert_eq!(steady["enabled"], true);
    assert_eq!(steady["loaded"], true);
    assert_eq!(steady["state"], "running");
    assert_eq!(steady["capabilities"], json!(["probe", "ping"]));
    assert_eq!(
        steady["validation"],
        json!({"status": "ok", "reason": null, "message": null})
    );
    assert_eq!(steady["last_error"], Value::Null);
    assert_eq!(steady["unavailable_reason"], Value::Null);
    assert_eq!(steady["restarts"], 0);
    let counters = &steady["counters"]["probe"];
    assert_eq!(counters["successes"], 2);
    assert_eq!(counters["failures"], 0);
    assert_eq!(counters["last_result"], "ok");
    let updated = steady["last_updated_at"].as_str().unwrap();
    assert!(
        updated.len() == "2025-01-01T00:00:00.000Z".len()
            && updated.as_bytes()[10] == b'T'
            && updated.ends_with('Z'),
        "{updated}"
    );

    let failing = plugin(&list, "probe.failing");
    assert_eq!(failing["enabled"], true);
    assert_eq!(failing["loaded"], false);
    assert_eq!(failing["state"], "failed");
    assert_eq!(failing["validation"]["status"], "ok");
    assert_eq!(failing["last_error"], "start error: database unreachable");
    assert_eq!(
        failing["unavailable_reason"],
        "start error: database unreachable"
    );
    assert_eq!(failing["counters"]["probe"]["skipped"], 1);
    assert_eq!(failing["counters"]["probe"]["successes"], 0);

    let off = plugin(&list, "probe.off");
    assert_eq!(off["enabled"], false);
    assert_eq!(off["loaded"], false);
    assert_eq!(off["state"], "disabled");
    assert_eq!(off["validation"]["status"], "skipped");
    assert_eq!(off["unavailable_reason"], "disabled by configuration");
    assert_eq!(
        off["counters"]["probe"]["skipped"], 0,
        "disabled: not a target"
    );

    let strict = plugin(&list, "probe.strict");
    assert_eq!(strict["enabled"], true);
    assert_eq!(strict["validation"]["status"], "failed");
    assert_eq!(strict["validation"]["reason"], "invalid_config");
    let message = strict["validation"]["message"].as_str().unwrap();
    assert!(message.contains("/limit"), "{message}");
    assert!(
        strict["unavailable_reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid configuration")
    );

    let echo = plugin(&list, "routes.echo");
    assert_eq!(echo["loaded"], true);
    assert_eq!(echo["capabilities"], json!(["routes"]));
    assert!(echo["counters"]["routes"].is_object());
}

#[tokio::test]
async fn http_admin_status_is_off_without_a_token() {
    let (registry, _supervisor) = start(&["probe.steady"]).await;
    let header = format!("Bearer {TOKEN}");
    for options in [
        HttpOptions::new(),
        HttpOptions::new().admin_token(None),
        HttpOptions::new().admin_token(Some(String::new())),
    ] {
        let app = pegboard::http::router(registry.clone(), options);
        for h in [None, Some(("authorization", header.as_str()))] {
            let answer = status_with(&app, h).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND);
            assert!(answer.headers.get(WWW_AUTHENTICATE).is_none());
            assert_eq!(
                answer.json(),
                json!({"error": "not found", "path": "/api/v1/plugins/status"})
            );
        }
    }
}

#[tokio::test]
async fn http_metrics_serve_prometheus_text_with_dispatch_counts() {
    let (registry, _supervisor) = start(&["probe.steady", "probe.failing"]).await;
    registry
        .dispatch::<dyn Probe>()
        .fan_out(|p| async move { p.ping() })
        .await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    let answer = get_(&app, "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.headers[CONTENT_TYPE],
        pegboard::metrics::CONTENT_TYPE
    );
    let lines: Vec<&str> = answer.text.lines().collect();
    assert!(
        lines.contains(
            &r#"pegboard_plugin_invocations_total{plugin_id="probe.steady",capability="probe",result="ok"} 1"#
        ),
        "{}",
        answer.text
    );
    assert!(
        lines.contains(
            &r#"pegboard_plugin_invocations_total{plugin_id="probe.failing",capability="probe",result="skipped"} 1"#
        ),
        "{}",
        answer.text
    );
    assert!(answer.text.ends_with("# EOF\n"));
}

#[tokio::test]
async fn http_routes_plugins_are_mounted_under_their_name() {
    let (registry, _supervisor) = start(&ALL).await;
    let app = pegboard::http::router(registry, HttpOptions::new());

    let hello = get_(&app, "/api/echo/hello").await;
    assert_eq!(
        (hello.status, hello.text.as_str()),
        (StatusCode::OK, "hello")
    );

    // A reserved name is not mounted; the operator route still answers.
    let list = get_(&app, "/api/plugins").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["count"], 6);

    // Host routes merge in next to it.
    let host = Router::new().route("/", get(|| async { "host" }));
    let app = app.merge(host);
    assert_eq!(get_(&app, "/").await.text, "host");
    assert_eq!(get_(&app, "/api/echo/hello").await.text, "hello");
}

#[tokio::test]
async fn http_a_routes_plugin_whose_router_panics_is_skipped() {
    let (registry, _supervisor) = start(&["routes.broken", "routes.echo"]).await;
    assert_eq!(registry.state("routes.broken").unwrap().as_str(), "running");
    let app = pegboard::http::router(registry, HttpOptions::new());
    assert_eq!(get_(&app, "/api/echo/hello").await.text, "hello");
    let broken = get_(&app, "/api/broken/anything").await;
    assert_eq!(broken.status, StatusCode::NOT_FOUND);
    assert_eq!(get_(&app, "/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn http_routes_of_a_plugin_that_is_not_up_answer_503_naming_it() {
    let (registry, supervisor) = start(&["routes.echo"]).await;
    supervisor.shutdown().await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    for path in ["/api/echo/hello", "/api/echo"] {
        let answer = get_(&app, path).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_json_content_type(&answer);
        assert_eq!(
            answer.json(),
            json!({"error": "plugin not running", "plugin_id": "routes.echo", "state": "stopped"})
        );
    }
    // A path that only starts like the base path is not the plugin's.
    assert_eq!(
        get_(&app, "/api/echoes").await.status,
        StatusCode::NOT_FOUND
    );
}

/// The router is built before the plugins start (a host serves during
/// start-up): a `routes` plugin's routes answer 503 until it is up, then
/// its own answers, with no new router.
#[tokio::test]
async fn http_a_router_built_before_start_serves_the_routes_once_up() {
    let descriptors =
        pegboard::discover::compiled_in().filter(|d| d.kind() == "routes" && d.name() == "echo");
    let registry = Arc::new(
        Registry::builder()
            .descriptors(descriptors)
            .build()
            .unwrap(),
    );
    let app = pegboard::http::router(registry.clone(), HttpOptions::new());
    let before = get_(&app, "/api/echo/hello").await;
    assert_eq!(before.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(before.json()["state"], "configured");
    assert_eq!(
        get_(&app, "/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    let supervisor = Supervisor::new(registry);
    supervisor.start().await;
    let after = get_(&app, "/api/echo/hello").await;
    assert_eq!(
        (after.status, after.text.as_str()),
        (StatusCode::OK, "hello")
    );
    assert_eq!(get_(&app, "/readyz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn http_unknown_routes_and_methods_get_json_errors() {
    let (registry, _supervisor) = start(&["routes.echo"]).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    for path in ["/x", "/api/nothing/here", "/api/echo/missing", "/api"] {
        let answer = get_(&app, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_json_content_type(&answer);
        assert_eq!(answer.json(), json!({"error": "not found", "path": path}));
    }
    for (method, path) in [("DELETE", "/healthz"), ("GET", "/api/echo/upload")] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let answer = send(&app, request).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert!(answer.headers.contains_key(ALLOW), "{path}");
        assert_json_content_type(&answer);
        assert_eq!(
            answer.json(),
            json!({"error": "method not allowed", "method": method, "path": path})
        );
    }
}

#[tokio::test]
async fn http_bodies_over_the_limit_get_413() {
    let (registry, _supervisor) = start(&["routes.echo"]).await;
    let app = pegboard::http::router(registry, HttpOptions::new().body_limit(1024));
    let upload = |size: usize, declare: bool| {
        let mut request = Request::post("/api/echo/upload");
        if declare {
            request = request.header(CONTENT_LENGTH, size);
        }
        request.body(Body::from(vec![b'x'; size])).unwrap()
    };

    let small = send(&app, upload(1024, true)).await;
    assert_eq!(
        (small.status, small.text.as_str()),
        (StatusCode::OK, "1024")
    );
    let small = send(&app, upload(10, false)).await;
    assert_eq!((small.status, small.text.as_str()), (StatusCode::OK, "10"));

    // Refused up front by Content-Length, or while the body is read.
    for declare in [true, false] {
        let big = send(&app, upload(4096, declare)).await;
        assert_eq!(
            big.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "declared: {declare}"
        );
        assert_json_content_type(&big);
        assert_eq!(
            big.json(),
            json!({"error": "payload too large", "limit_bytes": 1024})
        );
    }

    // The default limit is 1 MiB.
    let (registry, _supervisor) = start(&["routes.echo"]).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    let at_limit = send(&app, upload(1024 * 1024, true)).await;
    assert_eq!(at_limit.status, StatusCode::OK);
    let over = send(&app, upload(1024 * 1024 + 1, true)).await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn http_a_panicking_handler_gets_500_and_the_server_keeps_serving() {
    let (registry, _supervisor) = start(&["routes.echo", "probe.steady"]).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    for _ in 0..3 {
        let answer = get_(&app, "/api/echo/panic").await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_json_content_type(&answer);
        assert_eq!(answer.json(), json!({"error": "internal error"}));
        assert!(
            !answer.text.contains("index out of bounds"),
            "no details leak"
        );

        let next = get_(&app, "/api/echo/hello").await;
        assert_eq!(next.status, StatusCode::OK);
        assert_eq!(get_(&app, "/readyz").await.status, StatusCode::OK);
    }
}
