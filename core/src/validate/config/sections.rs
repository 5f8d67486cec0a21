//! The top-level sections besides `plugins`: pegboard's own `[supervision]`
//! and `[dispatch]`, the per-plugin `supervision` key, and the host's
//! sections.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::document::Document;
use super::pointer::{escape_pointer, pointer};
use super::schema::{hoist, resolve_local, strictify};
use super::suggest::suggest;
use super::violations::{collect_errors, type_error};
use crate::model::config_error::ConfigError;
use crate::validate::settings::{KindDispatch, Supervision};

/// The top-level sections pegboard itself owns.
pub(crate) const OWN_SECTIONS: &[&str] = &["plugins", "supervision", "dispatch"];

/// The name of [`Supervision`]'s schema in the document schema's `$defs`.
pub(crate) const SUPERVISION_DEF: &str = "pegboard.Supervision";
/// The name of [`KindDispatch`]'s schema in the document schema's `$defs`.
const DISPATCH_DEF: &str = "pegboard.KindDispatch";

/// A JSON schema and its compiled validator (or why it does not compile).
#[derive(Debug)]
pub(crate) struct SectionSchema {
    pub(crate) schema: Value,
    compiled: Result<Box<jsonschema::Validator>, String>,
}

impl SectionSchema {
    pub(crate) fn new(schema: Value) -> Self {
        let compiled = jsonschema::options()
            .build(&schema)
            .map(Box::new)
            .map_err(|e| e.to_string());
        SectionSchema { schema, compiled }
    }

    /// Every violation of `value`, with paths under `base`.
    pub(crate) fn check(
        &self,
        value: &Value,
        base: &str,
        plugin: Option<&str>,
    ) -> Vec<ConfigError> {
        match &self.compiled {
            // Collecting errors costs far more than checking: only when invalid.
            Ok(validator) if validator.is_valid(value) => Vec::new(),
            Ok(validator) => collect_errors(validator, &self.schema, value, base, plugin, &[]),
            Err(message) => vec![
                ConfigError::new(
                    "schema",
                    base,
                    format!("the schema of `{base}` is unusable: {message}"),
                )
                .with_plugin(plugin),
            ],
        }
    }

    /// Checks `value`, then deserializes it; `None` (and errors) when either fails.
    fn read<T: DeserializeOwned>(
        &self,
        value: &Value,
        base: &str,
        plugin: Option<&str>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<T> {
        let mut found = self.check(value, base, plugin);
        if found.is_empty() {
            // JSON Schema counts `1.0` as an integer; the integer fields do not.
            let mut floats = Vec::new();
            integer_floats(
                &self.schema,
                &self.schema,
                value,
                base.to_owned(),
                &mut floats,
                0,
            );
            found.extend(
                floats
                    .into_iter()
                    .map(|(path, value)| type_error(&path, &value, "integer").with_plugin(plugin)),
            );
        }
        if !found.is_empty() {
            errors.extend(found);
            return None;
        }
        match serde_json::from_value(value.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                // What the schema lets through but serde refuses (should
                // not happen; reported rather than ignored).
                errors.push(
                    ConfigError::new("type", base, e.to_string())
                        .with_plugin(plugin)
                        .with_value(Some(value.clone())),
                );
                None
            }
        }
    }
}

/// The floats (`1.0`) in `instance` where `node` (a part of `root`) expects
/// an integer, with their paths (`path` being that of `instance`).
fn integer_floats(
    root: &Value,
    node: &Value,
    instance: &Value,
    path: String,
    out: &mut Vec<(String, Value)>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let node = match node.get("$ref").and_then(Value::as_str) {
        Some(r) => match resolve_local(root, r) {
            Some(target) => target,
            None => return,
        },
        None => node,
    };
    let integer = match node.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(types)) => {
            types.iter().any(|t| t == "integer") && !types.iter().any(|t| t == "number")
        }
        _ => false,
    };
    match instance {
        Value::Number(n) if integer && n.is_f64() => out.push((path, instance.clone())),
        Value::Object(fields) => {
            let Some(Value::Object(properties)) = node.get("properties") else {
                return;
            };
            for (key, value) in fields {
                if let Some(sub) = properties.get(key) {
                    let path = format!("{path}/{}", escape_pointer(key));
                    integer_floats(root, sub, value, path, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// The schemas of pegboard's own sections, compiled once.
#[derive(Debug)]
pub(crate) struct Builtin {
    pub(crate) supervision: SectionSchema,
    pub(crate) dispatch: SectionSchema,
    /// Field names, for environment variable matching.
    supervision_fields: Vec<String>,
    restart_fields: Vec<String>,
    dispatch_fields: Vec<String>,
}

pub(crate) static BUILTIN: LazyLock<Builtin> = LazyLock::new(|| {
    let schema_of = |mut schema: Value| {
        strictify(&mut schema);
        SectionSchema::new(schema)
    };
    let keys = |v: Value| match v {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let supervision = Supervision::default();
    Builtin {
        supervision: schema_of(schemars::schema_for!(Supervision).to_value()),
        dispatch: schema_of(schemars::schema_for!(KindDispatch).to_value()),
        supervision_fields: keys(serde_json::to_value(&supervision).unwrap_or_default()),
        restart_fields: keys(serde_json::to_value(&supervision.restart).unwrap_or_default()),
        dispatch_fields: keys(serde_json::to_value(KindDispatch::default()).unwrap_or_default()),
    }
});

impl Builtin {
    /// `[supervision]`: the global settings (the defaults when absent or
    /// invalid) and its errors.
    pub(crate) fn global_supervision(
        &self,
        section: Option<&Value>,
        errors: &mut Vec<ConfigError>,
    ) -> Supervision {
        let Some(section) = section else {
            return Supervision::default();
        };
        self.supervision
            .read(section, "/supervision", None, errors)
            .unwrap_or_default()
    }

    /// A plugin's `supervision = { ... }` laid over the global settings;
    /// `None` (and errors, attributed to the plugin) when it is invalid.
    pub(crate) fn plugin_supervision(
        &self,
        global: &Supervision,
        value: &Value,
        base: &str,
        plugin: &str,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Supervision> {
        let overrides = value.clone();
        let found = self.supervision.check(&overrides, base, Some(plugin));
        if !found.is_empty() {
            errors.extend(found);
            return None;
        }
        let mut merged = serde_json::to_value(global).unwrap_or_default();
        overlay(&mut merged, overrides);
        self.supervision.read(&merged, base, Some(plugin), errors)
    }

    /// `[dispatch]`: the settings of every known kind (the defaults where
    /// absent or invalid) and its errors.
    pub(crate) fn dispatch(
        &self,
        section: Option<&Value>,
        kinds: &[String],
        errors: &mut Vec<ConfigError>,
    ) -> BTreeMap<String, KindDispatch> {
        let mut out = BTreeMap::new();
        match section {
            None => {}
            Some(Value::Object(table)) => {
                for (kind, value) in table {
                    let path = pointer(["dispatch", kind.as_str()]);
                    if kinds.binary_search(kind).is_err() {
                        errors.push(
                            ConfigError::new(
                                "unknown_section",
                                path,
                                format!("unknown plugin kind `{kind}` in `[dispatch]`"),
                            )
                            .with_value(Some(value.clone()))
                            .with_suggestion(suggest(kind, kinds.iter().map(String::as_str))),
                        );
                        continue;
                    }
                    match self.dispatch.read(value, &path, None, errors) {
                        Some(settings) if settings != KindDispatch::default() => {
                            out.insert(kind.clone(), settings);
                        }
                        // Invalid (reported) or the defaults: nothing to keep.
                        _ => {}
                    }
                }
            }
            Some(other) => errors.push(type_error("/dispatch", other, "object")),
        }
        out
    }

    /// The keys known under `path` inside pegboard's own sections, for
    /// environment variable matching (`path` starts at `supervision`,
    /// `dispatch`, or a plugin's `supervision`).
    pub(crate) fn known_keys(&self, path: &[String], kinds: &[String]) -> Vec<String> {
        let is = |s: &String, name: &str| s == name;
        match path {
            [s] if is(s, "supervision") => self.supervision_fields.clone(),
            [s, r] if is(s, "supervision") && is(r, "restart") => self.restart_fields.clone(),
            [d] if is(d, "dispatch") => kinds.to_vec(),
            [d, _] if is(d, "dispatch") => self.dispatch_fields.clone(),
            _ => Vec::new(),
        }
    }

    /// Adds the schemas of `[supervision]` and `[dispatch]` to a document
    /// schema: their definitions to `defs` (first, so their names are
    /// stable), their properties to `properties`.
    pub(crate) fn document_schema(
        &self,
        kinds: &[String],
        properties: &mut Map<String, Value>,
        defs: &mut Map<String, Value>,
    ) {
        let base = format!("/$defs/{SUPERVISION_DEF}");
        let supervision = hoist(&self.supervision.schema, "pegboard", &base, defs);
        defs.insert(SUPERVISION_DEF.to_owned(), supervision);
        let base = format!("/$defs/{DISPATCH_DEF}");
        let dispatch = hoist(&self.dispatch.schema, "pegboard", &base, defs);
        defs.insert(DISPATCH_DEF.to_owned(), dispatch);

        properties.insert("supervision".to_owned(), reference(SUPERVISION_DEF));
        let per_kind: Map<String, Value> = kinds
            .iter()
            .map(|k| (k.clone(), reference(DISPATCH_DEF)))
            .collect();
        let mut dispatch = Map::new();
        dispatch.insert(
            "description".to_owned(),
            Value::String("Dispatch settings per plugin kind.".to_owned()),
        );
        dispatch.insert("type".to_owned(), Value::String("object".to_owned()));
        if !kinds.is_empty() {
            dispatch.insert(
                "propertyNames".to_owned(),
                serde_json::json!({ "enum": kinds }),
            );
        }
        dispatch.insert("properties".to_owned(), Value::Object(per_kind));
        dispatch.insert("additionalProperties".to_owned(), Value::Bool(false));
        properties.insert("dispatch".to_owned(), Value::Object(dispatch));
    }
}

/// A `$ref` to a definition of the document schema.
pub(crate) fn reference(def: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/$defs/{def}") })
}

/// Lays `over` onto `base`: objects merged key by key (recursively), any
/// other value replaced.
fn overlay(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) => overlay(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, over) => *slot = over,
    }
}

/// A top-level section the host reads itself, with its schema.
#[derive(Debug)]
pub(crate) struct HostSection {
    pub(crate) name: String,
    pub(crate) schema: SectionSchema,
}

/// Unknown top-level keys (when the host declared its sections) and the
/// violations of each host section present in `doc`.
pub(crate) fn host_section_errors(doc: &Document, hosts: &[HostSection]) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let known: Vec<&str> = OWN_SECTIONS
        .iter()
        .copied()
        .chain(hosts.iter().map(|h| h.name.as_str()))
        .collect();
    for (key, value) in doc.root() {
        if known.contains(&key.as_str()) {
            continue;
        }
        errors.push(
            ConfigError::new(
                "unknown_section",
                pointer([key.as_str()]),
                format!("unknown section `{key}`"),
            )
            .with_value(Some(value.clone()))
            .with_suggestion(suggest(key, known.iter().copied())),
        );
    }
    for host in hosts {
        if let Some(value) = doc.root().get(&host.name) {
            let base = pointer([host.name.as_str()]);
            errors.extend(host.schema.check(value, &base, None));
        }
    }
    errors
}
