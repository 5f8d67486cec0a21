//! The `routes` plugins' routers under `/api/<name>`, reached through the
//! surface's fallback and built the first time a request arrives while the
//! plugin is up. The surface can so be served before the plugins start
//! (the operator sees them starting), and a plugin that is not up answers
//! 503 naming itself and its state rather than vanishing into a 404.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use axum::Router;
use axum::body::HttpBody;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower::ServiceExt;
use tracing::Level;

use crate::model::kind::Kind;
use crate::report::http::routes::{Routes, base_path_of};
use crate::supervise::registry::Registry;

/// The `tracing` target of the surface's events.
const LOG_TARGET: &str = "pegboard::http";

/// Every `routes` plugin of a registry, by base path.
pub(super) struct Mounts {
    mounts: Vec<Mount>,
}

struct Mount {
    /// The plugin's index in the catalog.
    index: usize,
    /// `/api/<name>`.
    base: String,
    /// Its router nested at `base`, or why it has none; built once.
    router: OnceLock<Option<Router>>,
}

impl Mounts {
    /// The `routes` plugins of `registry` (whatever their state now), but
    /// those whose name is reserved, which are logged as skipped.
    pub(super) fn of(registry: &Registry) -> Self {
        let catalog = registry.catalog();
        let mounts = catalog
            .of_kind(<dyn Routes as Kind>::NAME)
            .filter_map(|index| {
                let name = catalog.descriptors()[index].name();
                let Some(base) = base_path_of(<dyn Routes as Kind>::NAME, name) else {
                    skipped(
                        catalog.id(index),
                        "the name is reserved by the operator routes under /api",
                    );
                    return None;
                };
                Some(Mount {
                    index,
                    base,
                    router: OnceLock::new(),
                })
            })
            .collect();
        Mounts { mounts }
    }

    /// Answers `request` if its path is under a `routes` plugin's base
    /// path: with the plugin's router when it is up, 503 when it is not;
    /// `None` if no plugin's base path holds it.
    pub(super) async fn answer(&self, registry: &Registry, request: Request) -> Option<Response> {
        let path = request.uri().path();
        let mount = self.mounts.iter().find(|m| {
            path.strip_prefix(m.base.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })?;
        let id = registry.catalog().id(mount.index);
        let state = registry.slot_state(mount.index);
        if !state.is_up() {
            let body = json!({
                "error": "plugin not running",
                "plugin_id": id,
                "state": state.as_str(),
            });
            return Some((StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response());
        }
        let router = mount
            .router
            .get_or_init(|| build(registry, id, &mount.base))
            .clone()?;
        let path = path.to_owned();
        // A router's error type is `Infallible`.
        let response = match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        // axum's own 404 (no route of the plugin's) is empty: make it the
        // surface's JSON one, as for any other path.
        if response.status() == StatusCode::NOT_FOUND
            && response.body().size_hint().exact() == Some(0)
        {
            return Some(not_found(&path));
        }
        Some(response)
    }
}

/// `id`'s router nested at `base`, or `None` (logged) if it cannot be had.
fn build(registry: &Registry, id: &str, base: &str) -> Option<Router> {
    let name = id.split_once('.').map_or(id, |(_, name)| name);
    let plugin = match registry.get::<dyn Routes>(name) {
        Ok(plugin) => plugin,
        Err(e) => {
            skipped(id, &e.to_string());
            return None;
        }
    };
    // The router comes from plugin code and axum panics on bad routes:
    // neither may take the surface down.
    match catch_unwind(AssertUnwindSafe(|| {
        Router::new().nest(base, plugin.router())
    })) {
        Ok(router) => Some(router),
        Err(payload) => {
            skipped(id, &crate::model::error::panic_message(&*payload));
            None
        }
    }
}

/// The surface's JSON 404 for `path`.
pub(super) fn not_found(path: &str) -> Response {
    let body = json!({"error": "not found", "path": path});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

fn skipped(id: &str, why: &str) {
    tracing::event!(
        name: "http.routes.skipped",
        target: LOG_TARGET, Level::WARN,
        plugin_id = id,
        error = why,
        "http.routes.skipped"
    );
}
