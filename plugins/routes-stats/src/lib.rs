//! `routes.stats`: `GET /api/stats` answers how many stored documents
//! carry each tag. A `routes` plugin (pegboard's HTTP kind): the host mounts
//! its router under `/api/stats`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use ingest_kinds::Store;
use pegboard::http::Routes;

/// Configuration of `[plugins.routes.stats]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct StatsConfig {
    /// Which store to count (the name of a `store` plugin).
    pub store: String,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            store: "memory".to_owned(),
        }
    }
}

/// Serves document counts by tag.
#[pegboard::plugin(
    name = "stats",
    version = "0.1.0",
    api = "0.1",
    kind = Routes,
    config = StatsConfig,
    depends_on = ["store.memory@^0.1?", "store.file@^0.1?"],
    new = TagStats::new,
)]
pub struct TagStats {
    store: Arc<dyn Store>,
}

impl TagStats {
    fn new(config: StatsConfig, ctx: &pegboard::Context<'_>) -> Result<Self, pegboard::Error> {
        Ok(TagStats {
            store: ctx.dependency::<dyn Store>(&config.store)?,
        })
    }
}

impl Routes for TagStats {
    fn router(&self) -> axum::Router {
        axum::Router::new()
            .route("/", get(counts))
            .with_state(self.store.clone())
    }
}

async fn counts(State(store): State<Arc<dyn Store>>) -> (StatusCode, Json<serde_json::Value>) {
    let docs = match store.all() {
        Ok(docs) => docs,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "error": e.to_string() })),
            );
        }
    };
    let mut tags: BTreeMap<String, usize> = BTreeMap::new();
    for doc in &docs {
        for tag in &doc.tags {
            *tags.entry(tag.clone()).or_insert(0) += 1;
        }
    }
    (
        StatusCode::OK,
        Json(serde_json::json!({ "documents": docs.len(), "tags": tags })),
    )
}
