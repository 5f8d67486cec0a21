//! `[server]`: where and how the app serves.

use std::sync::Arc;

use pegboard::BoxError;
use pegboard::cli::RunContext;
use pegboard::http::HttpOptions;

/// `[server]` in the config file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`--listen` overrides it); port 0 picks a free one.
    pub listen: String,
    /// Which `store` plugin keeps the documents (`memory` or `file`).
    pub store: String,
    /// Bearer token of `GET /api/v1/plugins/status`; `PEGBOARD_ADMIN_TOKEN`
    /// overrides it. Without one, that endpoint does not exist, and
    /// `PEGBOARD_DIAGNOSTICS_ENABLED=false` turns it off even with one.
    pub admin_token: Option<String>,
    /// Largest request body accepted; larger ones get 413.
    #[schemars(range(min = 1))]
    pub body_limit_bytes: usize,
    /// Whether `GET /readyz` counts a degraded plugin (up, but its health
    /// check says degraded) as ready; by default it answers 503.
    pub ready_when_degraded: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".to_owned(),
            store: "memory".to_owned(),
            admin_token: None,
            body_limit_bytes: 1024 * 1024,
            ready_when_degraded: false,
        }
    }
}

impl ServerConfig {
    /// `[server]` of the document, defaults where absent. The CLI has
    /// already validated it against this type's schema.
    fn from_document(document: &pegboard::config::Document) -> Result<Self, BoxError> {
        match document.section("server") {
            Some(section) => Ok(<ServerConfig as serde::Deserialize>::deserialize(section)?),
            None => Ok(ServerConfig::default()),
        }
    }
}

/// Serves the operator surface and the document API until SIGINT/SIGTERM.
pub async fn serve(ctx: RunContext) -> Result<(), BoxError> {
    let config = ServerConfig::from_document(&ctx.document)?;
    let listen = ctx.listen.clone().unwrap_or_else(|| config.listen.clone());
    let options = HttpOptions::new()
        .admin_token_from_env_of(ctx.env_prefix(), config.admin_token.clone())
        .body_limit(config.body_limit_bytes)
        .ready_when_degraded(config.ready_when_degraded);
    let registry: Arc<pegboard::Registry> = ctx.registry.clone();
    // The document API gets the same body limit and panic isolation as the
    // operator routes.
    let api = pegboard::http::guard(
        crate::api::router(registry.clone(), config.store.clone()),
        &options,
    );
    let app = api.merge(pegboard::http::router(registry, options));
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    ctx.listening(listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(ctx.shutdown.clone().requested())
        .await?;
    Ok(())
}
