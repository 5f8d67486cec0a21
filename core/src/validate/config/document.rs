//! The parsed configuration document and environment overrides.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::env::{EnvPair, EnvPrefix};
use super::pointer::pointer;
use crate::model::config_error::ConfigError;

/// A parsed config document: the whole TOML file, held as the JSON object it
/// is validated in.
///
/// The TOML text (or table) is converted to JSON once, when the document is
/// made: TOML integers stay JSON integers and floats JSON floats, datetimes
/// become strings, non-finite floats the strings `"nan"`, `"inf"`, `"-inf"`.
/// Validation, environment overrides and every accessor work on that form;
/// [`as_json`](Self::as_json) borrows it.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// use pegboard::config::Document;
///
/// let doc = Document::from_toml_str("[server]\nport = 8080\n\n[plugins.store.memory]\ncapacity = 5\n")?;
/// assert_eq!(doc.section("server").and_then(|s| s.get("port")).and_then(|p| p.as_i64()), Some(8080));
/// assert!(doc.section("plugins").is_none()); // plugin sections belong to the validator
/// assert_eq!(doc.as_json()["plugins"]["store"]["memory"]["capacity"], 5);
///
/// let error = Document::from_toml_str("a = 1\nb = \n").unwrap_err();
/// assert_eq!((error.line, error.column), (Some(2), Some(5)));
/// assert_eq!(error.rule, "parse");
/// # Ok::<(), pegboard::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The whole document: always a JSON object.
    json: Value,
    /// The TOML types JSON does not tell apart from strings (`datetime`, and
    /// `float` for the non-finite ones), by key path, for the messages of the
    /// environment overrides that cannot descend into such a value. Usually
    /// empty.
    toml_types: TomlTypes,
}

/// Key path → TOML type name, for the values whose JSON form is a string
/// although their TOML type is not.
type TomlTypes = BTreeMap<Vec<String>, &'static str>;

impl Default for Document {
    fn default() -> Self {
        Document {
            json: Value::Object(Map::new()),
            toml_types: TomlTypes::new(),
        }
    }
}

impl From<toml::Table> for Document {
    /// Converts the table to JSON, once.
    fn from(table: toml::Table) -> Self {
        let mut toml_types = TomlTypes::new();
        let json = convert_table(&table, &mut Vec::new(), &mut toml_types);
        Document { json, toml_types }
    }
}

impl Document {
    /// An empty document: every plugin gets its defaults.
    pub fn empty() -> Self {
        Document::default()
    }

    /// Whether the document has no section at all.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(&self.json, Value::Object(root) if root.is_empty())
    }

    /// Parses a TOML document (and converts it to JSON, once).
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with rule `parse`, the 1-based `line` and `column`
    /// (in characters) where the parser stopped, and the parser's message.
    // The error type is the one every config check reports; parsing happens
    // once per run, so its size does not matter.
    #[allow(clippy::result_large_err)]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        match text.parse::<toml::Table>() {
            Ok(table) => Ok(Document::from(table)),
            Err(e) => {
                let mut error = ConfigError::new("parse", "", e.message().trim().to_owned());
                if let Some(span) = e.span() {
                    let (line, column) = line_column(text, span.start);
                    error.line = Some(line);
                    error.column = Some(column);
                }
                Err(error)
            }
        }
    }

    /// Applies the `PEGBOARD__<SEG>__...` environment overrides; see the
    /// [module docs](super) for the naming rule. Returns one error (rule
    /// `env`) per variable that cannot be applied; the others are applied
    /// regardless.
    ///
    /// Path segments are matched against the keys already in the document
    /// only. [`ConfigValidator::apply_env`](super::ConfigValidator::apply_env)
    /// also knows the plugin kinds, names and fields that are not in the file
    /// yet (e.g. `LANGUAGE_DETECT` → `language-detect`), and also applies the
    /// `PEGBOARD_TIMEOUT_<KIND>_MS` variables (which need the known kinds and
    /// are ignored here); it should be preferred when a validator is at hand.
    ///
    /// ```
    /// # extern crate pegboard_core as pegboard;
    /// use pegboard::config::Document;
    ///
    /// let mut doc = Document::empty();
    /// let errors = doc.apply_env([
    ///     ("PEGBOARD__SERVER__PORT", "8080"),
    ///     ("PEGBOARD__SERVER__HOST", "0.0.0.0"),   // not TOML: a plain string
    ///     ("PEGBOARD_ADMIN_TOKEN", "secret"),      // single underscore: ignored
    ///     ("PEGBOARD__SERVER__PORT__X", "1"),      // port is not a table
    /// ]);
    /// assert_eq!(errors.len(), 1);
    /// assert_eq!(errors[0].path, "/server/port");
    /// let server = doc.section("server").unwrap();
    /// assert_eq!(server.get("port").and_then(|v| v.as_i64()), Some(8080));
    /// assert_eq!(server.get("host").and_then(|v| v.as_str()), Some("0.0.0.0"));
    /// ```
    pub fn apply_env<I>(&mut self, vars: I) -> Vec<ConfigError>
    where
        I: IntoIterator,
        I::Item: EnvPair,
    {
        self.apply_env_with(&EnvPrefix::PEGBOARD, vars, &|_| Vec::new())
    }

    /// [`apply_env`](Self::apply_env) for the variables of `prefix`, with
    /// `known(path)` listing keys that may exist at `path` (resolved keys
    /// from the root) besides those already in the document.
    pub(crate) fn apply_env_with<I>(
        &mut self,
        prefix: &EnvPrefix,
        vars: I,
        known: &dyn Fn(&[String]) -> Vec<String>,
    ) -> Vec<ConfigError>
    where
        I: IntoIterator,
        I::Item: EnvPair,
    {
        let mut vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|v| v.name().starts_with(&prefix.overrides()))
            .map(|v| (v.name().to_owned(), v.value().to_owned()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let Document { json, toml_types } = self;
        let Value::Object(root) = json else {
            unreachable!("the document root is an object");
        };
        vars.into_iter()
            .filter_map(|(name, raw)| apply_one(root, toml_types, prefix, &name, &raw, known).err())
            .collect()
    }

    /// The whole document as JSON: always an object. Borrowed: the document
    /// holds this form.
    pub fn as_json(&self) -> &Value {
        &self.json
    }

    /// The top-level object (the same as [`as_json`](Self::as_json)).
    pub(crate) fn root(&self) -> &Map<String, Value> {
        match &self.json {
            Value::Object(root) => root,
            _ => unreachable!("the document root is an object"),
        }
    }

    /// The top-level object, to change; `forget(path)` must be called for
    /// every value replaced.
    pub(crate) fn root_mut(&mut self) -> &mut Map<String, Value> {
        match &mut self.json {
            Value::Object(root) => root,
            _ => unreachable!("the document root is an object"),
        }
    }

    /// Forgets the TOML types recorded at and under `path`, whose value was
    /// replaced through [`root_mut`](Self::root_mut).
    pub(crate) fn forget(&mut self, path: &[&str]) {
        if !self.toml_types.is_empty() {
            self.toml_types
                .retain(|k, _| !(k.len() >= path.len() && k.iter().zip(path).all(|(a, b)| a == b)));
        }
    }

    /// A top-level section other than `plugins`, for the host's own settings
    /// (e.g. `[server]`). `None` for `plugins`, whose sections belong to the
    /// plugins and are checked by the [`ConfigValidator`](super::ConfigValidator).
    pub fn section(&self, name: &str) -> Option<&Value> {
        if name == "plugins" {
            return None;
        }
        self.root().get(name)
    }

    /// The document as JSON (TOML datetimes become strings; non-finite floats
    /// become the strings `"nan"`, `"inf"`, `"-inf"`), e.g. to check it
    /// against [`ConfigValidator::document_schema`](super::ConfigValidator::document_schema).
    ///
    /// A copy of [`as_json`](Self::as_json), which borrows it instead.
    pub fn to_json(&self) -> Value {
        self.json.clone()
    }
}

/// The process environment's override variables (those starting with
/// [`ENV_PREFIX`](super::ENV_PREFIX) or
/// [`TIMEOUT_ENV_PREFIX`](super::TIMEOUT_ENV_PREFIX)), converted lossily
/// where they are not valid Unicode instead of panicking like
/// `std::env::vars`.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// let mut doc = pegboard::config::Document::empty();
/// let errors = doc.apply_env(pegboard::config::env_vars());
/// # let _ = errors;
/// ```
pub fn env_vars() -> Vec<(String, String)> {
    env_vars_of(&EnvPrefix::PEGBOARD)
}

/// [`env_vars`] for a host whose variables start with `prefix`
/// (`SIFT_PLUGIN__...`, `SIFT_PLUGIN_TIMEOUT_<KIND>_MS`).
pub fn env_vars_of(prefix: &EnvPrefix) -> Vec<(String, String)> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter(|(k, _)| prefix.is_override_variable(k))
        .collect()
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Applies one override variable to the document's `root` (and its
/// recorded `toml_types`).
#[allow(clippy::result_large_err)]
fn apply_one(
    root: &mut Map<String, Value>,
    toml_types: &mut TomlTypes,
    prefix: &EnvPrefix,
    name: &str,
    raw: &str,
    known: &dyn Fn(&[String]) -> Vec<String>,
) -> Result<(), ConfigError> {
    let raw_json = Some(Value::String(raw.to_owned()));
    let Some(rest) = name.strip_prefix(&prefix.overrides()) else {
        return Ok(());
    };
    let segments: Vec<&str> = rest.split("__").collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(ConfigError::new(
            "env",
            "",
            format!(
                "environment variable `{name}` has an empty path segment \
                 (segments are separated by exactly two underscores)"
            ),
        )
        .with_value(raw_json));
    }
    let value = raw
        .parse::<toml::Value>()
        .unwrap_or_else(|_| toml::Value::String(raw.to_owned()));

    let mut keys: Vec<String> = Vec::with_capacity(segments.len());
    let mut current = root;
    for (i, segment) in segments.iter().enumerate() {
        let mut candidates: Vec<String> = current.keys().cloned().collect();
        candidates.extend(known(&keys));
        let key = match_segment(segment, &candidates).unwrap_or_else(|| segment.to_lowercase());
        keys.push(key.clone());
        if i + 1 == segments.len() {
            // The value there (and everything under it) is replaced.
            if !toml_types.is_empty() {
                toml_types.retain(|k, _| !k.starts_with(&keys));
            }
            let json = convert_value(&value, &mut keys, toml_types);
            current.insert(key, json);
            return Ok(());
        }
        current = match current
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()))
        {
            Value::Object(t) => t,
            other => {
                let kind = toml_types
                    .get(&keys)
                    .copied()
                    .unwrap_or_else(|| toml_type(other));
                let target = keys
                    .iter()
                    .cloned()
                    .chain(segments[i + 1..].iter().map(|s| s.to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(".");
                let plugin = match keys.as_slice() {
                    [p, kind, name, ..] if p == "plugins" => Some(format!("{kind}.{name}")),
                    _ => None,
                };
                let mut error = ConfigError::new(
                    "env",
                    pointer(keys.iter().map(String::as_str)),
                    format!(
                        "environment variable `{name}` cannot set `{target}`: `{}` is {} {kind}, not a table",
                        keys.join("."),
                        if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" },
                    ),
                )
                .with_value(raw_json);
                error.plugin = plugin;
                return Err(error);
            }
        };
    }
    Ok(())
}

/// The TOML type name of a value converted from TOML (strings from datetimes
/// and non-finite floats aside, which are recorded in the document's
/// `toml_types`).
fn toml_type(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "table",
        // TOML has no null; nothing converted from TOML is one.
        Value::Null => "null",
    }
}

/// The candidate a variable segment designates: case-insensitive, `_` also
/// matching `-`; an exact (case-insensitive) match wins.
pub(crate) fn match_segment(segment: &str, candidates: &[String]) -> Option<String> {
    let lower = segment.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some(c.clone());
    }
    let normalize = |s: &str| s.to_lowercase().replace('-', "_");
    let wanted = normalize(segment);
    candidates.iter().find(|c| normalize(c) == wanted).cloned()
}

/// A TOML table as a JSON object, recording in `types` the key paths (from
/// `path`, the table's own) of the values whose TOML type JSON does not keep.
fn convert_table(table: &toml::Table, path: &mut Vec<String>, types: &mut TomlTypes) -> Value {
    Value::Object(
        table
            .iter()
            .map(|(k, v)| {
                path.push(k.clone());
                let json = convert_value(v, path, types);
                path.pop();
                (k.clone(), json)
            })
            .collect(),
    )
}

/// A TOML value (at key `path`) as JSON, datetimes and non-finite floats as
/// strings (recorded in `types`: tables can be descended into by key, so
/// their values' types matter; array elements cannot).
fn convert_value(value: &toml::Value, path: &mut Vec<String>, types: &mut TomlTypes) -> Value {
    match value {
        toml::Value::Table(t) => convert_table(t, path, types),
        toml::Value::Datetime(_) => {
            types.insert(path.clone(), "datetime");
            toml_to_json(value)
        }
        toml::Value::Float(f) if !f.is_finite() => {
            types.insert(path.clone(), "float");
            toml_to_json(value)
        }
        _ => toml_to_json(value),
    }
}

/// A TOML value as JSON (datetimes as strings, non-finite floats as strings).
fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or_else(
            || {
                Value::String(if f.is_nan() {
                    "nan".to_owned()
                } else if *f > 0.0 {
                    "inf".to_owned()
                } else {
                    "-inf".to_owned()
                })
            },
            Value::Number,
        ),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}
