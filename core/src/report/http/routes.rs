//! [`Routes`]: the plugin kind whose plugins add HTTP routes.

use axum::Router;

use crate::model::kind::Kind;
use crate::report::info::PluginInfo;

/// A plugin kind for HTTP routes (SPEC H5), named `routes`: the router of
/// each `routes` plugin that is up is mounted (nested) under
/// `/api/<name>/`, so plugin `routes.stats` serving `/tags` answers
/// `GET /api/stats/tags`. While the plugin is not up (starting, failed,
/// stopped), requests under its base path get
/// `503 {"error":"plugin not running","plugin_id":"routes.stats","state":"starting"}`.
///
/// The names `plugins` and `v1` are reserved (they would shadow
/// `/api/plugins` and `/api/v1/...`): plugins with those names are not
/// mounted, and neither is a router whose `router()` panics; both are logged
/// as `http.routes.skipped`, and requests for them get the JSON 404.
/// Handlers get the body limit and panic catching of the whole surface.
///
/// ```standalone_crate
/// # extern crate pegboard_core as pegboard;
/// use axum::Router;
/// use axum::routing::get;
/// use pegboard::http::Routes;
///
/// /// Counts by tag, under `/api/stats/`.
/// #[derive(Default)]
/// #[pegboard::plugin(name = "stats", version = "0.1.0", api = "0.1", kind = Routes)]
/// pub struct Stats;
///
/// impl Routes for Stats {
///     fn router(&self) -> Router {
///         Router::new().route("/tags", get(|| async { "{}" }))
///     }
/// }
///
/// assert_eq!(<dyn Routes as pegboard::Kind>::NAME, "routes");
/// ```
#[pegboard::kind]
pub trait Routes {
    /// The plugin's routes, relative to its base path `/api/<name>`.
    /// Called once per [`router`](super::router) call, when the first
    /// request for the base path arrives while the plugin is up.
    fn router(&self) -> Router;
}

/// Plugin names that would shadow the surface's own `/api/...` routes.
const RESERVED_NAMES: [&str; 2] = ["plugins", "v1"];

/// Where the routes of the plugin `kind.name` are mounted: `/api/<name>`
/// for a [`Routes`] plugin whose name is not reserved, else `None`.
pub(super) fn base_path_of(kind: &str, name: &str) -> Option<String> {
    (kind == <dyn Routes as Kind>::NAME && !RESERVED_NAMES.contains(&name))
        .then(|| format!("/api/{name}"))
}

/// [`base_path_of`] a plugin.
pub(super) fn base_path(plugin: &PluginInfo) -> Option<String> {
    base_path_of(plugin.kind, plugin.name)
}
