//! The document API: `POST /api/v1/documents` classifies a text with every
//! running classifier (fan-out, partial success) and stores it;
//! `GET /api/v1/documents/{id}` reads it back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ingest_kinds::{Classifier, ClassifierOutcome, Document, Store};
use pegboard::Registry;

#[derive(Clone)]
struct Api {
    registry: Arc<Registry>,
    store: String,
}

/// The document routes, reading and writing the store named `store`.
pub fn router(registry: Arc<Registry>, store: String) -> axum::Router {
    axum::Router::new()
        .route("/api/v1/documents", post(create))
        .route("/api/v1/documents/{id}", get(read))
        .with_state(Api { registry, store })
}

#[derive(serde::Deserialize)]
struct NewDocument {
    text: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// The 503 of a request that needs the store while it is not up: names
/// the plugin and its state (`starting` while the host starts, `failed`,
/// `disabled`, ...).
struct StoreUnavailable {
    plugin_id: String,
    state: &'static str,
    error: String,
}

impl IntoResponse for StoreUnavailable {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "plugin_id": self.plugin_id,
            "state": self.state,
        });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

impl Api {
    /// The store, if it is up.
    fn store(&self) -> Result<Arc<dyn Store>, StoreUnavailable> {
        let plugin_id = format!("{}.{}", <dyn Store as pegboard::Kind>::NAME, self.store);
        let (state, error) = match self.registry.state(&plugin_id) {
            Some(state) if state.is_up() => match self.registry.get::<dyn Store>(&self.store) {
                Ok(store) => return Ok(store),
                Err(e) => ("failed", format!("store unavailable: {e}")),
            },
            Some(state) => (
                state.as_str(),
                format!(
                    "store unavailable: plugin `{plugin_id}` is {}",
                    state.as_str()
                ),
            ),
            None => (
                "absent",
                format!("store unavailable: no plugin `{plugin_id}` in this build"),
            ),
        };
        Err(StoreUnavailable {
            plugin_id,
            state,
            error,
        })
    }
}

async fn create(
    State(api): State<Api>,
    body: Result<Json<NewDocument>, JsonRejection>,
) -> Response {
    let Json(new) = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = match rejection {
                JsonRejection::BytesRejection(_) => rejection.status(),
                _ => StatusCode::BAD_REQUEST,
            };
            return error(
                status,
                format!(
                    "expected a JSON body {{\"text\": \"...\"}}: {}",
                    rejection.body_text()
                ),
            );
        }
    };
    let store = match api.store() {
        Ok(store) => store,
        Err(unavailable) => return unavailable.into_response(),
    };
    let text: Arc<str> = Arc::from(new.text.as_str());
    let outcome = {
        let text = text.clone();
        api.registry
            .dispatch::<dyn Classifier>()
            .input_size(text.len())
            .fan_out_blocking(move |c| c.classify(&text))
            .await
    };
    let mut tags = BTreeSet::new();
    let mut classifiers = BTreeMap::new();
    for o in &outcome.outcomes {
        if let Some(found) = &o.value {
            tags.extend(found.iter().cloned());
        }
        classifiers.insert(
            o.plugin.to_owned(),
            ClassifierOutcome {
                result: o.result.as_str().to_owned(),
                error: o.error.clone(),
            },
        );
    }
    let document = Document {
        id: uuid::Uuid::new_v4().to_string(),
        text: new.text,
        tags: tags.into_iter().collect(),
        classifiers,
    };
    if let Err(e) = store.put(document.clone()) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot store the document: {e}"),
        );
    }
    (StatusCode::CREATED, Json(document)).into_response()
}

async fn read(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let store = match api.store() {
        Ok(store) => store,
        Err(unavailable) => return unavailable.into_response(),
    };
    match store.get(&id) {
        Ok(Some(document)) => (StatusCode::OK, Json(document)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no document {id}")),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot read the store: {e}"),
        ),
    }
}
