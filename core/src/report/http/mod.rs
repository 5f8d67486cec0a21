//! The operator surface over HTTP (SPEC H1-H5), as an [`axum::Router`] any
//! host mounts in one line (feature `http`).
//!
//! | route | answer |
//! |---|---|
//! | `GET /healthz` | `200 {"status":"ok"}` while the process runs |
//! | `GET /readyz` | `200 {"status":"ready","plugins":{"<id>":true,...}}` when every enabled plugin is running (or degraded, with [`HttpOptions::ready_when_degraded`]), else `503 {"status":"not_ready","plugins":{"<id>":false,...}}`; disabled plugins are left out |
//! | `GET /api/plugins` | `200 {"count":N,"plugins":[...]}`: every plugin (running, failed, disabled, blocked), each with every [`PluginInfo`](crate::report::info::PluginInfo) field (`capabilities` being [`capability_list`](crate::report::info::PluginInfo::capability_list), the admin status's list), plus `reason` (the failure's [`kind`](crate::model::state::Failure::kind), or `null`), `health` (`{"status":"unknown"}` until the first check), `healthy`, `status` (`{"enabled","initialized","serving","last_error"}`) and `base_path` (`"/api/<name>"` for a [`Routes`] plugin, else `null`) |
//! | `GET /api/v1/plugins/status` | admin diagnostics, only with `Authorization: Bearer <token>` (see below) |
//! | `GET /metrics` | the Prometheus text of [`Registry::metrics`], with [`metrics::CONTENT_TYPE`](crate::report::metrics::CONTENT_TYPE) |
//! | `/api/<name>/...` | the router of the [`Routes`] plugin `<name>` while it is up; `503 {"error":"plugin not running","plugin_id":"routes.<name>","state":"starting"}` while it is not |
//!
//! Errors are JSON too: an unknown route is `404 {"error":"not found","path":"/x"}`,
//! a wrong method `405 {"error":"method not allowed","method":"DELETE","path":"/healthz"}`
//! (with `Allow`), a body over the [limit](HttpOptions::body_limit)
//! `413 {"error":"payload too large","limit_bytes":1048576}`, and a handler
//! that panics (a [`Routes`] plugin's, say) `500 {"error":"internal error"}`;
//! the panic is logged as `http.panic` and the server keeps serving.
//!
//! # The admin route
//!
//! `GET /api/v1/plugins/status` exists only when an
//! [admin token](HttpOptions::admin_token) is configured; without one it
//! answers 404 like any unknown route: it is never open by default. With
//! one, the request needs exactly one `Authorization: Bearer <token>` header
//! (the scheme in any case; the token compared in constant time); anything
//! else (no header, another scheme such as `Basic`, a wrong token, the token
//! in another header) gets `401 {"error":"unauthorized"}` with
//! `WWW-Authenticate: Bearer realm="pegboard"`. The answer:
//!
//! ```json
//! {"count": 1, "plugins": [{
//!   "id": "classifier.chaos", "enabled": true, "loaded": false, "state": "failed",
//!   "capabilities": ["classifier"],
//!   "validation": {"status": "ok", "reason": null, "message": null},
//!   "last_error": "start panic: boom",
//!   "unavailable_reason": "start panic: boom",
//!   "counters": {"classifier": {"successes": 0, "failures": 0, "errors": 0, "timeouts": 0,
//!     "panics": 0, "rejected": 0, "skipped": 3, "last_error": null,
//!     "last_duration_ms": 0.0, "last_result": "skipped"}},
//!   "restarts": 0, "last_updated_at": "2025-01-01T12:00:00.000Z"}]}
//! ```
//!
//! `validation.status` is `ok`, `failed` (metadata, API version,
//! configuration or dependencies were refused when the registry was built;
//! `reason` is the failure's kind) or `skipped` (a disabled plugin is not
//! validated). `loaded` means the instance is built and the plugin is up;
//! `unavailable_reason` is `null` exactly when the plugin is up.
//!
//! # Mounting it
//!
//! [`router`] gives the operator routes with the body limit, panic catching
//! and JSON errors applied; merge the host's own routes into it, passing
//! them through [`guard`] to give them the same protection:
//!
//! ```standalone_crate
//! # extern crate pegboard_core as pegboard;
//! use std::sync::Arc;
//!
//! use axum::Router;
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use axum::routing::get;
//! use pegboard::http::{HttpOptions, Routes};
//! use tower::ServiceExt;
//!
//! /// Says hello under `/api/hello/`.
//! #[derive(Default)]
//! #[pegboard::plugin(name = "hello", version = "0.1.0", api = "0.1", kind = Routes)]
//! pub struct Hello;
//!
//! impl Routes for Hello {
//!     fn router(&self) -> Router {
//!         Router::new().route("/greet", get(|| async { "hello" }))
//!     }
//! }
//!
//! /// Serves `app` until SIGINT/SIGTERM, then stops the plugins.
//! async fn serve(app: Router, supervisor: pegboard::Supervisor) -> std::io::Result<()> {
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     println!("listening on http://{}", listener.local_addr()?);
//!     axum::serve(listener, app)
//!         .with_graceful_shutdown(pegboard::supervisor::shutdown_signal())
//!         .await?;
//!     supervisor.shutdown().await;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Arc::new(pegboard::Registry::builder().build()?);
//! let supervisor = pegboard::Supervisor::new(registry.clone());
//! supervisor.start().await;
//!
//! // The token from PEGBOARD_ADMIN_TOKEN, else the one from the config file.
//! let options = HttpOptions::new().admin_token_from_env(None);
//! let mine = Router::new().route("/", get(|| async { "my service" }));
//! let app = pegboard::http::router(registry.clone(), options.clone())
//!     .merge(pegboard::http::guard(mine, &options));
//!
//! let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
//! let response = app.clone().oneshot(get("/api/hello/greet")).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! let response = app.clone().oneshot(get("/readyz")).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! let response = app.clone().oneshot(get("/")).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! // A real host would now serve it:
//! if false {
//!     serve(app, supervisor).await?;
//! }
//! # Ok(())
//! # }
//! ```

mod auth;
mod mounts;
mod options;
mod routes;
mod views;

use std::any::Any;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{DefaultBodyLimit, OriginalUri, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Level;

use mounts::{Mounts, not_found};
pub use options::{ADMIN_TOKEN_VAR, DEFAULT_BODY_LIMIT, HttpOptions};
pub use routes::Routes;
use routes::base_path;

use crate::supervise::registry::Registry;
use views::{PluginList, Readiness, StatusList};

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::http";

/// What the operator handlers share.
struct Shared {
    registry: Arc<Registry>,
    admin_token: Option<String>,
    mounts: Mounts,
    /// [`HttpOptions::ready_when_degraded`].
    degraded_is_ready: bool,
}

type AppState = Arc<Shared>;

/// The operator router of `registry` (see the [module docs](self) for the
/// routes and an example), with the body limit, panic catching and JSON
/// errors of [`guard`] applied. Merge the host's routes into it:
/// `pegboard::http::router(registry.clone(), HttpOptions::new()).merge(my_routes)`.
///
/// Every route reads the registry on every request, so build and serve
/// the router before the
/// [`Supervisor`](crate::supervise::supervisor::Supervisor) starts the
/// plugins: `/healthz` answers at once, `/readyz` says 503 and which
/// plugins are not up yet, `/api/plugins` shows them `starting`. A
/// [`Routes`] plugin's routes answer while it is up, and 503 naming it while
/// it is not (its router is built at the first request it can answer).
///
/// The router has a fallback (the JSON 404, and the `routes` plugins'
/// routes), so merge only routers without one; routes merged in must not overlap the ones here (axum panics on
/// overlapping routes).
pub fn router(registry: Arc<Registry>, options: HttpOptions) -> Router {
    let shared = Arc::new(Shared {
        mounts: Mounts::of(&registry),
        registry,
        admin_token: options.token().map(str::to_owned),
        degraded_is_ready: options.is_ready_when_degraded(),
    });
    let mut operator: Router<AppState> = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/plugins", get(plugins))
        .route("/metrics", get(metrics));
    if shared.admin_token.is_some() {
        operator = operator.route("/api/v1/plugins/status", get(status));
    }
    let app = operator.fallback(fallback).with_state(shared);
    guard(app, &options)
}

/// Applies the surface's protections to `router`: request bodies over
/// [`HttpOptions::body_limit`] get 413 (by `Content-Length` before the
/// handler runs, or when an extractor reads past the limit), a panicking
/// handler gets a JSON 500 and is logged (`http.panic`), and axum's empty
/// 405 and plain-text 413 answers become JSON. [`router`] applies it to its
/// own routes; apply it to a host's routes before merging them (applying it
/// twice is harmless).
pub fn guard<S>(router: Router<S>, options: &HttpOptions) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let limit = options.max_body_bytes();
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::from_fn_with_state(limit, json_errors))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// A `routes` plugin's route (see [`Routes`]), or the JSON 404.
async fn fallback(
    State(shared): State<AppState>,
    OriginalUri(uri): OriginalUri,
    request: Request,
) -> Response {
    match shared.mounts.answer(&shared.registry, request).await {
        Some(response) => response,
        None => not_found(uri.path()),
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(shared): State<AppState>) -> Response {
    let readiness = Readiness::of(&shared.registry, shared.degraded_is_ready);
    let status = if readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness)).into_response()
}

async fn plugins(State(shared): State<AppState>) -> Json<PluginList> {
    Json(PluginList::of(&shared.registry, base_path))
}

async fn status(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    let authorized = shared
        .admin_token
        .as_deref()
        .is_some_and(|token| auth::authorized(&headers, token));
    if !authorized {
        let mut response = error(StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"}));
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pegboard\""),
        );
        return response;
    }
    let mut response = Json(StatusList::of(&shared.registry)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn metrics(State(shared): State<AppState>) -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(crate::report::metrics::CONTENT_TYPE),
        )],
        shared.registry.metrics().render(),
    )
        .into_response()
}

/// A JSON error answer.
fn error(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// Turns axum's empty 405 and tower-http's or an extractor's plain-text 413
/// into JSON, keeping the other headers (`Allow`).
async fn json_errors(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    match response.status() {
        StatusCode::METHOD_NOT_ALLOWED if response.body().size_hint().exact() == Some(0) => {
            with_json_body(
                response,
                json!({"error": "method not allowed", "method": method.as_str(), "path": uri.path()}),
            )
        }
        StatusCode::PAYLOAD_TOO_LARGE if !is_json(&response) => with_json_body(
            response,
            json!({"error": "payload too large", "limit_bytes": limit}),
        ),
        _ => response,
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or_default().trim();
            essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
        })
}

fn with_json_body(response: Response, body: serde_json::Value) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// The answer to a handler that panicked.
fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = crate::model::error::panic_message(&*payload);
    tracing::event!(
        name: "http.panic",
        target: LOG_TARGET, Level::ERROR,
        error_type = "panic",
        error = message.as_str(),
        "http.panic"
    );
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"error": "internal error"}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    fn empty() -> Arc<Registry> {
        Arc::new(Registry::builder().descriptors([]).build().unwrap())
    }

    async fn call(app: &Router, request: Request) -> (StatusCode, HeaderMap, String) {
        let response = app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    fn get_(uri: &str) -> Request {
        Request::get(uri).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn http_empty_registry_is_ready_and_alive() {
        let app = router(empty(), HttpOptions::new());
        let (status, _, body) = call(&app, get_("/healthz")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"status":"ok"}"#)
        );
        let (status, _, body) = call(&app, get_("/readyz")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"status":"ready","plugins":{}}"#)
        );
        let (status, _, body) = call(&app, get_("/api/plugins")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"count":0,"plugins":[]}"#)
        );
    }

    #[tokio::test]
    async fn http_admin_route_is_absent_without_a_token() {
        let app = router(empty(), HttpOptions::new().admin_token(Some(String::new())));
        let (status, headers, body) = call(&app, get_("/api/v1/plugins/status")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(headers.get(WWW_AUTHENTICATE).is_none());
        assert_eq!(
            body,
            r#"{"error":"not found","path":"/api/v1/plugins/status"}"#
        );
    }

    #[tokio::test]
    async fn http_admin_route_needs_the_bearer_token() {
        let app = router(empty(), HttpOptions::new().admin_token(Some("t0k".into())));
        let (status, headers, body) = call(&app, get_("/api/v1/plugins/status")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[WWW_AUTHENTICATE], "Bearer realm=\"pegboard\"");
        assert_eq!(body, r#"{"error":"unauthorized"}"#);
        let request = Request::get("/api/v1/plugins/status")
            .header("authorization", "Bearer t0k")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = call(&app, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[CACHE_CONTROL], "no-store");
        assert_eq!(body, r#"{"count":0,"plugins":[]}"#);
    }

    #[tokio::test]
    async fn http_errors_are_json() {
        let app = router(empty(), HttpOptions::new());
        let (status, headers, body) = call(&app, get_("/nope?x=1")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert_eq!(body, r#"{"error":"not found","path":"/nope"}"#);

        let request = Request::delete("/healthz").body(Body::empty()).unwrap();
        let (status, headers, body) = call(&app, request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert!(headers["allow"].to_str().unwrap().contains("GET"));
        assert_eq!(
            body,
            r#"{"error":"method not allowed","method":"DELETE","path":"/healthz"}"#
        );
    }

    #[tokio::test]
    async fn http_guard_limits_bodies_and_catches_panics_on_host_routes() {
        let options = HttpOptions::new().body_limit(8);
        let host: Router = Router::new()
            .route("/echo", axum::routing::post(|body: String| async { body }))
            .route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("boom");
                    }
                    "unreachable"
                }),
            );
        let app = guard(host, &options);
        let post = |body: &'static str, length: bool| {
            let mut request = Request::post("/echo");
            if length {
                request = request.header(CONTENT_LENGTH, body.len());
            }
            request.body(Body::from(body)).unwrap()
        };
        let (status, _, body) = call(&app, post("12345678", true)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "12345678"));
        for length in [true, false] {
            let (status, headers, body) = call(&app, post("123456789", length)).await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "length: {length}");
            assert_eq!(headers[CONTENT_TYPE], "application/json");
            assert_eq!(body, r#"{"error":"payload too large","limit_bytes":8}"#);
        }
        let (status, _, body) = call(&app, get_("/boom")).await;
        assert_eq!(
            (status, body.as_str()),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":"internal error"}"#
            )
        );
    }

    #[tokio::test]
    async fn http_metrics_have_the_openmetrics_content_type() {
        let app = router(empty(), HttpOptions::new());
        let (status, headers, body) = call(&app, get_("/metrics")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[CONTENT_TYPE], crate::report::metrics::CONTENT_TYPE);
        assert_eq!(body, "# EOF\n");
    }
}
