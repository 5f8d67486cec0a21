//! What `GET /api/plugins` says about each plugin (SPEC H7) and how
//! `GET /readyz` counts degraded plugins (issue 15, points 4 and 5), driven
//! through the router as in `tests/http.rs`.
//!
//! Health checks run every hour here: within a test only the first one
//! runs, the one right after a plugin's start succeeded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use pegboard::config::Document;
use pegboard::http::{HttpOptions, Routes};
use pegboard::{BoxError, Health, Lifecycle, PluginState, Registry, Supervisor};
use serde_json::{Value, json};
use tower::ServiceExt;

#[pegboard::kind]
pub trait Gauge {
    fn read(&self) -> u32;
}

/// Healthy, with a declared capability.
#[derive(Default)]
#[pegboard::plugin(name = "fine", version = "0.1.0", api = "0.1", kind = Gauge, capabilities = ["read"])]
pub struct Fine;
impl Gauge for Fine {
    fn read(&self) -> u32 {
        1
    }
}

/// Its health check says degraded.
#[derive(Default)]
#[pegboard::plugin(name = "shaky", version = "0.1.0", api = "0.1", kind = Gauge, lifecycle)]
pub struct Shaky;
impl Gauge for Shaky {
    fn read(&self) -> u32 {
        2
    }
}
impl Lifecycle for Shaky {
    async fn health(&self) -> Health {
        Health::degraded("lagging")
    }
}

/// Its start fails.
#[derive(Default)]
#[pegboard::plugin(name = "broken", version = "0.1.0", api = "0.1", kind = Gauge, lifecycle)]
pub struct Broken;
impl Gauge for Broken {
    fn read(&self) -> u32 {
        0
    }
}
impl Lifecycle for Broken {
    async fn start(&self) -> Result<(), BoxError> {
        Err("no sensor".into())
    }
}

/// Disabled by the configuration.
#[derive(Default)]
#[pegboard::plugin(name = "off", version = "0.1.0", api = "0.1", kind = Gauge)]
pub struct Off;
impl Gauge for Off {
    fn read(&self) -> u32 {
        0
    }
}

/// Routes under `/api/board/`.
#[derive(Default)]
#[pegboard::plugin(name = "board", version = "0.1.0", api = "0.1", kind = Routes)]
pub struct Board;
impl Routes for Board {
    fn router(&self) -> Router {
        Router::new().route("/top", get(|| async { "top" }))
    }
}

const TOKEN: &str = "t0ken";

/// A registry of the plugins `ids` (`gauge.off` disabled), health checks
/// every `interval_ms` (0: none), no restarts, started.
async fn start(ids: &[&str], interval_ms: u64) -> (Arc<Registry>, Supervisor) {
    let descriptors = pegboard::discover::compiled_in()
        .filter(|d| ids.contains(&format!("{}.{}", d.kind(), d.name()).as_str()));
    let mut config = format!(
        "[supervision]\nhealth_interval_ms = {interval_ms}\nunhealthy_threshold = 1000\n\
         [supervision.restart]\npolicy = \"never\"\n"
    );
    if ids.contains(&"gauge.off") {
        config.push_str("[plugins.gauge.off]\nenabled = false\n");
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

/// Polls until every plugin in `ids` has had a health check; panics after
/// a bounded wait (an hour would pass before the second check).
async fn first_checks(registry: &Registry, ids: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ids
        .iter()
        .all(|id| registry.plugin(id).is_some_and(|p| p.health.is_some()))
    {
        assert!(
            Instant::now() < deadline,
            "no first health check right after start: {:?}",
            registry.plugins()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn get_(app: &Router, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn plugin<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

const ALL: [&str; 5] = [
    "gauge.fine",
    "gauge.shaky",
    "gauge.broken",
    "gauge.off",
    "routes.board",
];

#[tokio::test]
async fn api_plugins_entries_carry_healthy_status_base_path_and_health() {
    let (registry, _supervisor) = start(&ALL, 3_600_000).await;
    first_checks(&registry, &["gauge.fine", "gauge.shaky", "routes.board"]).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    let (status, list) = get_(&app, "/api/plugins", None).await;
    assert_eq!(status, StatusCode::OK);

    let fine = plugin(&list, "gauge.fine");
    assert_eq!(fine["state"], "running");
    assert_eq!(fine["healthy"], true);
    assert_eq!(
        fine["status"],
        json!({"enabled": true, "initialized": true, "serving": true, "last_error": null})
    );
    assert_eq!(fine["health"]["status"], "healthy");
    assert_eq!(fine["capabilities"], json!(["gauge", "read"]));
    assert_eq!(fine["base_path"], Value::Null);

    let shaky = plugin(&list, "gauge.shaky");
    assert_eq!(shaky["state"], "degraded");
    assert_eq!(shaky["healthy"], false);
    assert_eq!(shaky["status"]["serving"], true);
    assert_eq!(
        shaky["health"],
        json!({"status": "degraded", "message": "lagging"})
    );

    let broken = plugin(&list, "gauge.broken");
    assert_eq!(broken["state"], "failed");
    assert_eq!(broken["healthy"], false);
    assert_eq!(broken["status"]["enabled"], true);
    assert_eq!(broken["status"]["serving"], false);
    assert_eq!(broken["status"]["last_error"], "start error: no sensor");
    assert_eq!(broken["health"], json!({"status": "unknown"}));

    let off = plugin(&list, "gauge.off");
    assert_eq!(
        off["status"],
        json!({"enabled": false, "initialized": false, "serving": false, "last_error": null})
    );
    assert_eq!(off["healthy"], false);
    assert_eq!(off["health"], json!({"status": "unknown"}));

    let board = plugin(&list, "routes.board");
    assert_eq!(board["base_path"], "/api/board");
    assert_eq!(board["capabilities"], json!(["routes"]));
    assert_eq!(board["healthy"], true);
    // Where its routes are.
    assert_eq!(
        get_text(&app, "/api/board/top").await,
        (StatusCode::OK, "top".to_owned())
    );

    // Each field once, whatever the flattening.
    for p in list["plugins"].as_array().unwrap() {
        let text = p.to_string();
        for key in ["\"capabilities\":", "\"health\":", "\"status\":{"] {
            assert_eq!(text.matches(key).count(), 1, "{key} in {text}");
        }
    }
}

async fn get_text(app: &Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn api_plugins_and_the_admin_status_list_the_same_capabilities() {
    let (registry, _supervisor) = start(&ALL, 0).await;
    let options = HttpOptions::new().admin_token(Some(TOKEN.to_owned()));
    let app = pegboard::http::router(registry, options);
    let (_, list) = get_(&app, "/api/plugins", None).await;
    let (status, admin) = get_(&app, "/api/v1/plugins/status", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    for id in ALL {
        let listed = &plugin(&list, id)["capabilities"];
        assert_eq!(listed, &plugin(&admin, id)["capabilities"], "{id}");
        assert_eq!(listed[0], id.split('.').next().unwrap(), "{id}: kind first");
    }
}

#[tokio::test]
async fn health_is_unknown_until_the_first_check() {
    // No health checks at all: every entry still has `health`.
    let (registry, _supervisor) = start(&ALL, 0).await;
    let app = pegboard::http::router(registry, HttpOptions::new());
    let (_, list) = get_(&app, "/api/plugins", None).await;
    for p in list["plugins"].as_array().unwrap() {
        assert_eq!(p["health"], json!({"status": "unknown"}), "{p}");
    }
    // Unchecked but running counts as healthy.
    assert_eq!(plugin(&list, "gauge.fine")["healthy"], true);
    assert_eq!(plugin(&list, "gauge.shaky")["state"], "running");
}

#[tokio::test]
async fn readyz_counts_degraded_plugins_as_not_ready_unless_configured() {
    let (registry, _supervisor) = start(&["gauge.fine", "gauge.shaky"], 3_600_000).await;
    first_checks(&registry, &["gauge.shaky"]).await;
    assert_eq!(registry.state("gauge.shaky"), Some(PluginState::Degraded));

    let app = pegboard::http::router(registry.clone(), HttpOptions::new());
    let (status, ready) = get_(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready,
        json!({"status": "not_ready", "plugins": {"gauge.fine": true, "gauge.shaky": false}})
    );

    let options = HttpOptions::new().ready_when_degraded(true);
    let app = pegboard::http::router(registry, options);
    let (status, ready) = get_(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ready,
        json!({"status": "ready", "plugins": {"gauge.fine": true, "gauge.shaky": true}})
    );
}

/// Issue 15, point 6: the names are the application's. Its prefix's timeout
/// variable reaches the dispatch settings (pegboard's is not read), and
/// `/metrics` names the families in its namespace, labelled `plugin_id`.
#[tokio::test]
async fn an_application_names_its_variables_and_metric_families() {
    let descriptors = pegboard::discover::compiled_in().filter(|d| d.id().starts_with("gauge."));
    let registry = Arc::new(
        Registry::builder()
            .descriptors(descriptors)
            .env_prefix(pegboard::config::EnvPrefix::new("SIFT_PLUGIN").unwrap())
            .env([
                ("SIFT_PLUGIN_TIMEOUT_GAUGE_MS", "1234"),
                ("PEGBOARD_TIMEOUT_GAUGE_MS", "99"),
            ])
            .metric_namespace("sift_plugin")
            .build()
            .unwrap(),
    );
    assert_eq!(registry.settings().dispatch("gauge").timeout_ms, 1234);
    let read = registry
        .dispatch::<dyn Gauge>()
        .call_blocking("fine", |g| Ok::<_, String>(g.read()))
        .await;
    assert_eq!(read.value, Some(1));
    let app = pegboard::http::router(registry, HttpOptions::new());
    let (status, text) = get_text(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.lines().any(|l| l
            == r#"sift_plugin_invocations_total{plugin_id="gauge.fine",capability="gauge",result="ok"} 1"#),
        "{text}"
    );
    assert!(!text.contains("pegboard_plugin"), "{text}");
}
