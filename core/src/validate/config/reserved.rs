//! The reserved keys of a plugin section (`enabled`, `supervision`) and
//! their schemas.

use serde_json::{Map, Value};

use super::sections::SUPERVISION_DEF;

/// Keys every plugin section may hold besides the plugin's own fields.
///
/// They are stripped before the section is checked against the plugin's
/// schema and never appear in the effective config; a config type declaring
/// one of them as a field is refused (rule `schema`).
///
/// * `enabled` (boolean, default `true`): `enabled = false` disables the plugin.
/// * `supervision` (table, default: the global `[supervision]`): this
///   plugin's overrides of [`Supervision`](crate::validate::settings::Supervision), any
///   subset of its fields, laid over the global settings (`restart` merged
///   field by field). Errors there fail only this plugin.
///
/// ```toml
/// [plugins.store.memory]
/// enabled = true
/// supervision = { health_interval_ms = 0, restart = { max_restarts = 1 } }
/// ```
pub const RESERVED_KEYS: &[&str] = &["enabled", "supervision"];

/// The schema of a [reserved key](RESERVED_KEYS).
pub(crate) fn reserved_schema(key: &str) -> Value {
    match key {
        "enabled" => serde_json::json!({
            "type": "boolean",
            "default": true,
            "description": "Set to false to disable the plugin."
        }),
        "supervision" => serde_json::json!({
            "$ref": format!("#/$defs/{}", SUPERVISION_DEF),
            "description": "This plugin's overrides of [supervision] (any subset of its fields)."
        }),
        _ => Value::Bool(true),
    }
}

/// An object schema holding only the reserved keys.
pub(crate) fn reserved_only(strict: bool) -> Value {
    let props: Map<String, Value> = RESERVED_KEYS
        .iter()
        .map(|k| ((*k).to_owned(), reserved_schema(k)))
        .collect();
    let mut map = Map::new();
    map.insert("type".to_owned(), Value::String("object".to_owned()));
    map.insert("properties".to_owned(), Value::Object(props));
    if strict {
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    Value::Object(map)
}

/// Adds the reserved keys to a plugin's section schema, and drops from its
/// top-level `required` what the defaults provide (missing fields take
/// their defaults).
pub(crate) fn add_reserved(schema: Value, defaults: &Value) -> Value {
    let mut map = match schema {
        Value::Object(map) => map,
        Value::Bool(true) => {
            let mut map = Map::new();
            map.insert("type".to_owned(), Value::String("object".to_owned()));
            map
        }
        other => return other,
    };
    let props = map
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if !props.is_object() {
        *props = Value::Object(Map::new());
    }
    if let Value::Object(props) = props {
        for key in RESERVED_KEYS {
            props.insert((*key).to_owned(), reserved_schema(key));
        }
    }
    if let Some(Value::Array(required)) = map.get_mut("required") {
        if let Value::Object(d) = defaults {
            required.retain(|r| r.as_str().is_none_or(|r| !d.contains_key(r)));
        }
        if required.is_empty() {
            map.remove("required");
        }
    }
    Value::Object(map)
}
