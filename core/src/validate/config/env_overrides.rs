//! Environment overrides with what the validator knows: the segments of
//! `PEGBOARD__<SEG>__...` matched against the known plugins and sections,
//! and the `PEGBOARD_TIMEOUT_<KIND>_MS` variables matched against the known
//! kinds.

use serde_json::{Map, Value};

use super::compiled::Compiled;
use super::document::{Document, match_segment};
use super::env::{EnvPair, EnvPrefix};
use super::pointer::pointer;
use super::reserved::RESERVED_KEYS;
use super::schema::known_properties;
use super::sections::{BUILTIN, OWN_SECTIONS};
use super::suggest::suggest;
use super::validator::ConfigValidator;
use crate::model::config_error::ConfigError;

impl ConfigValidator {
    /// Applies environment overrides to `doc`; see the
    /// [module docs](super) for the naming rules. First the
    /// `PEGBOARD__<SEG>__...` variables: segments are matched against the
    /// document's keys and against the known plugin kinds, names and
    /// top-level config fields, pegboard's own sections and their fields, and
    /// the declared host sections, so
    /// `PEGBOARD__PLUGINS__CLASSIFIER__LANGUAGE_DETECT__ENABLED` reaches
    /// `[plugins.classifier.language-detect]` even when the file has no such
    /// section. Then the `PEGBOARD_TIMEOUT_<KIND>_MS` variables, which thus
    /// win over `PEGBOARD__DISPATCH__<KIND>__TIMEOUT_MS`. Returns one error
    /// (rule `env`) per variable that cannot be applied.
    ///
    /// Accepts `std::env::vars()`, [`env_vars()`](super::env_vars), arrays of
    /// `(&str, &str)` or a `&Vec<(String, String)>`.
    pub fn apply_env<I>(&self, doc: &mut Document, vars: I) -> Vec<ConfigError>
    where
        I: IntoIterator,
        I::Item: EnvPair,
    {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|v| (v.name().to_owned(), v.value().to_owned()))
            .collect();
        let prefix = &self.env_prefix;
        let mut errors = doc.apply_env_with(prefix, &vars, &|path| self.known_keys(path));
        errors.extend(apply_timeout_env(doc, prefix, &vars, &self.kinds));
        errors
    }

    /// Keys that may exist at `path` (resolved keys from the root).
    fn known_keys(&self, path: &[String]) -> Vec<String> {
        match path {
            [] => {
                let mut keys: Vec<String> = OWN_SECTIONS.iter().map(|s| (*s).to_owned()).collect();
                if let Some(hosts) = &self.host_sections {
                    keys.extend(hosts.iter().map(|h| h.name.clone()));
                }
                keys
            }
            [s, ..] if s == "supervision" || s == "dispatch" => {
                BUILTIN.known_keys(path, &self.kinds)
            }
            [p, _, _, rest @ ..]
                if p == "plugins" && !rest.is_empty() && rest[0] == "supervision" =>
            {
                BUILTIN.known_keys(rest, &self.kinds)
            }
            [p] if p == "plugins" => self.kinds.clone(),
            [p, kind] if p == "plugins" => self
                .entries
                .iter()
                .filter(|e| *e.kind == **kind)
                .map(|e| e.name.to_string())
                .collect(),
            [p, kind, name] if p == "plugins" => {
                let mut keys: Vec<String> = RESERVED_KEYS.iter().map(|k| (*k).to_owned()).collect();
                for i in self.find(kind, name) {
                    let e = &self.entries[i];
                    if let Some(Compiled::Ready { schema, .. }) = e.compiled() {
                        keys.extend(known_properties(schema, schema));
                    }
                    if let Some(Value::Object(d)) = e.defaults() {
                        keys.extend(d.keys().cloned());
                    }
                }
                keys
            }
            _ => Vec::new(),
        }
    }
}

/// Applies the `PEGBOARD_TIMEOUT_<KIND>_MS` variables (in name order):
/// each sets `dispatch.<kind>.timeout_ms`. Returns one error (rule `env`)
/// per variable that cannot be applied.
fn apply_timeout_env(
    doc: &mut Document,
    prefix: &EnvPrefix,
    vars: &[(String, String)],
    kinds: &[String],
) -> Vec<ConfigError> {
    let mut vars: Vec<&(String, String)> = vars
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix.timeouts()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars.into_iter()
        .filter_map(|(name, raw)| apply_timeout(doc, prefix, name, raw, kinds).err())
        .collect()
}

#[allow(clippy::result_large_err)]
fn apply_timeout(
    doc: &mut Document,
    prefix: &EnvPrefix,
    name: &str,
    raw: &str,
    kinds: &[String],
) -> Result<(), ConfigError> {
    let raw_json = Some(Value::String(raw.to_owned()));
    let env_error = |path: String, message: String| {
        ConfigError::new("env", path, message).with_value(raw_json.clone())
    };
    let wanted = name
        .strip_prefix(&prefix.timeouts())
        .and_then(|rest| rest.strip_suffix("_MS"))
        .filter(|kind| !kind.is_empty());
    let Some(wanted) = wanted else {
        return Err(env_error(
            String::new(),
            format!(
                "environment variable `{name}` is not of the form \
                 `{}<KIND>_MS`",
                prefix.timeouts()
            ),
        ));
    };
    let Some(kind) = match_segment(wanted, kinds) else {
        let known = if kinds.is_empty() {
            "there are no plugin kinds".to_owned()
        } else {
            format!(
                "known kinds: {}",
                kinds
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let suggestion = suggest(&wanted.to_lowercase(), kinds.iter().map(String::as_str))
            .map(|k| prefix.timeout_variable(&k));
        let mut error = env_error(
            String::new(),
            format!(
                "environment variable `{name}` names no known plugin kind \
                 `{}` ({known})",
                wanted.to_lowercase()
            ),
        )
        .with_suggestion(suggestion);
        error.rule = ConfigError::UNKNOWN_KIND.to_owned();
        return Err(error);
    };
    let path = pointer(["dispatch", kind.as_str(), "timeout_ms"]);
    let Ok(millis) = raw.trim().parse::<i64>() else {
        return Err(env_error(
            path,
            format!(
                "environment variable `{name}` must be an integer number of \
                 milliseconds, not {raw:?}"
            ),
        ));
    };
    let table = doc.root_mut();
    let dispatch = table
        .entry("dispatch")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(dispatch) = dispatch else {
        return Err(env_error(
            "/dispatch".to_owned(),
            format!(
                "environment variable `{name}` cannot set `dispatch.{kind}.timeout_ms`: \
                 `dispatch` is not a table"
            ),
        ));
    };
    let section = dispatch
        .entry(kind.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(section) = section else {
        return Err(env_error(
            pointer(["dispatch", kind.as_str()]),
            format!(
                "environment variable `{name}` cannot set `dispatch.{kind}.timeout_ms`: \
                 `dispatch.{kind}` is not a table"
            ),
        ));
    };
    section.insert("timeout_ms".to_owned(), Value::from(millis));
    doc.forget(&["dispatch", kind.as_str(), "timeout_ms"]);
    Ok(())
}
