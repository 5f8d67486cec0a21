//! Schema violations as config errors: paths from the document root, one
//! error per unknown key, suggestions.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::pointer::escape_pointer;
use super::schema::{known_properties, parent_pointer};
use super::suggest::suggest;
use crate::model::config_error::ConfigError;

/// A short JSON rendering of a value for messages.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let mut cut: String = text.chars().take(57).collect();
    cut.push_str("...");
    cut
}

/// A `type` error for a value that should be of `expected` type.
pub(crate) fn type_error(path: &str, value: &Value, expected: &str) -> ConfigError {
    ConfigError::new(
        "type",
        path,
        format!("{} is not of type \"{expected}\"", short(value)),
    )
    .with_value(Some(value.clone()))
}

/// Every violation of `instance` (placed at JSON pointer `base` of the
/// document) against `schema`, compiled as `validator`. `root_keys` are
/// extra candidates for suggestions on unknown top-level fields.
pub(crate) fn collect_errors(
    validator: &jsonschema::Validator,
    schema: &Value,
    instance: &Value,
    base: &str,
    plugin: Option<&str>,
    root_keys: &[&str],
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let raw: Vec<_> = validator.iter_errors(instance).collect();
    // When a oneOf/anyOf fails, the properties its branches declare
    // count as unevaluated too: do not also report them as unknown.
    let failed_branches: Vec<&str> = raw
        .iter()
        .filter(|e| {
            matches!(
                e.kind(),
                ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
            )
        })
        .map(|e| e.instance_path().as_str())
        .collect();
    for e in &raw {
        if matches!(e.kind(), ValidationErrorKind::UnevaluatedProperties { .. })
            && failed_branches.contains(&e.instance_path().as_str())
        {
            continue;
        }
        convert(e, base, plugin, schema, root_keys, &mut errors);
    }
    errors
}

/// Turns one schema violation into config errors (one per unknown key).
fn convert(
    e: &jsonschema::ValidationError<'_>,
    base: &str,
    plugin: Option<&str>,
    schema: &Value,
    root_keys: &[&str],
    out: &mut Vec<ConfigError>,
) {
    let instance_path = e.instance_path().as_str();
    let path = format!("{base}{instance_path}");
    let keyword = e.kind().keyword().to_owned();
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let mut candidates = schema
                .pointer(parent_pointer(e.schema_path().as_str()))
                .map(|node| known_properties(schema, node))
                .unwrap_or_default();
            if instance_path.is_empty() {
                candidates.extend(root_keys.iter().map(|k| (*k).to_owned()));
            }
            for key in unexpected {
                out.push(
                    ConfigError::new(
                        keyword.clone(),
                        format!("{path}/{}", escape_pointer(key)),
                        format!("unknown field `{key}`"),
                    )
                    .with_plugin(plugin)
                    .with_value(e.instance().get(key).cloned())
                    .with_suggestion(suggest(key, candidates.iter().map(String::as_str))),
                );
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            out.push(
                ConfigError::new(
                    keyword,
                    format!("{path}/{}", escape_pointer(&name)),
                    format!("missing required field `{name}`"),
                )
                .with_plugin(plugin),
            );
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Branches that fail only because the value has another type
            // (`null` for an `Option`, a string for a unit variant) are noise:
            // when a single branch is left, report its errors instead.
            let relevant: Vec<_> = context
                .iter()
                .filter(|branch| {
                    !branch.iter().all(|c| {
                        matches!(c.kind(), ValidationErrorKind::Type { .. })
                            && c.instance_path().as_str() == instance_path
                    })
                })
                .collect();
            if let [branch] = relevant.as_slice()
                && !branch.is_empty()
            {
                for c in branch.iter() {
                    convert(c, base, plugin, schema, root_keys, out);
                }
            } else {
                out.push(
                    ConfigError::new(keyword, path, e.to_string())
                        .with_plugin(plugin)
                        .with_value(Some(e.instance().as_ref().clone())),
                );
            }
        }
        _ => {
            out.push(
                ConfigError::new(keyword, path, e.to_string())
                    .with_plugin(plugin)
                    .with_value(Some(e.instance().as_ref().clone())),
            );
        }
    }
}
