//! Validating one plugin's section: its reserved keys, its effective config
//! (the defaults with the section laid over them) against its schema.

use std::iter::Peekable;

use serde_json::{Map, Value};

use super::compiled::Compiled;
use super::entry::Entry;
use super::pointer::escape_pointer;
use super::reserved::RESERVED_KEYS;
use super::sections::BUILTIN;
use super::suggest::suggest;
use super::validated::PluginConfig;
use super::violations::{collect_errors, type_error};
use crate::model::config_error::ConfigError;
use crate::validate::settings::Supervision;

/// Validates one plugin's section (`None`: absent); also returns its
/// supervision settings (`global` with the section's overrides laid over it).
///
/// Nothing is allocated for what is valid beyond the effective config: the
/// plugin's id and paths are built only for errors, and the schema's
/// violations are collected only when the config is invalid.
pub(super) fn validate_plugin(
    entry: &Entry,
    section: Option<&Value>,
    global: &Supervision,
) -> (PluginConfig, Supervision) {
    let mut errors = Vec::new();
    let mut enabled = true;
    let mut supervision = None;
    // The effective config, built while the section is read (a plugin with
    // a usable schema), or the fields of a plugin that takes no config.
    let compiled = entry.compiled();
    let mut effective = match (compiled, entry.defaults(), section) {
        (Some(Compiled::Ready { .. }), Some(defaults), Some(Value::Object(table))) => {
            Some(Effective::new(defaults, table.len()))
        }
        _ => None,
    };
    let mut unknown: Vec<(String, Value)> = Vec::new();
    match section {
        None => {}
        Some(Value::Object(table)) => {
            for (key, value) in table {
                if !RESERVED_KEYS.contains(&key.as_str()) {
                    if let Some(effective) = &mut effective {
                        effective.field(key, value.clone());
                    } else if compiled.is_none() {
                        unknown.push((key.clone(), value.clone()));
                    }
                    continue;
                }
                let path = || format!("{}/{}", entry.base(), escape_pointer(key));
                if key == "enabled" {
                    match value {
                        Value::Bool(b) => enabled = *b,
                        other => errors.push(
                            type_error(&path(), other, "boolean").with_plugin(Some(&entry.id())),
                        ),
                    }
                } else if key == "supervision" {
                    supervision = BUILTIN.plugin_supervision(
                        global,
                        value,
                        &path(),
                        &entry.id(),
                        &mut errors,
                    );
                }
            }
        }
        Some(other) => {
            errors.push(type_error(&entry.base(), other, "object").with_plugin(Some(&entry.id())))
        }
    }

    let value = match compiled {
        None => {
            if !unknown.is_empty() {
                let (id, base) = (entry.id(), entry.base());
                unknown.sort_by(|a, b| a.0.cmp(&b.0));
                for (key, value) in &unknown {
                    errors.push(
                        ConfigError::new(
                            "additionalProperties",
                            format!("{base}/{}", escape_pointer(key)),
                            format!("unknown field `{key}` (plugin `{id}` takes no configuration)"),
                        )
                        .with_plugin(Some(&id))
                        .with_value(Some(value.clone()))
                        .with_suggestion(suggest(key, RESERVED_KEYS.iter().copied())),
                    );
                }
            }
            entry.defaults_value()
        }
        Some(Compiled::Broken { message }) => {
            let id = entry.id();
            errors.push(
                ConfigError::new(
                    "schema",
                    entry.base(),
                    format!("the config schema of `{id}` is unusable: {message}"),
                )
                .with_plugin(Some(&id)),
            );
            Value::Null
        }
        Some(Compiled::Ready { schema, validator }) => {
            let merged = match effective {
                Some(effective) => effective.finish(),
                None => entry.defaults_value(),
            };
            if !validator.is_valid(&merged) {
                errors.extend(collect_errors(
                    validator,
                    schema,
                    &merged,
                    &entry.base(),
                    Some(&entry.id()),
                    RESERVED_KEYS,
                ));
            }
            merged
        }
    };
    let config = PluginConfig {
        kind: entry.kind.clone(),
        name: entry.name.clone(),
        enabled,
        value: if errors.is_empty() {
            Ok(value)
        } else {
            Err(errors)
        },
    };
    (config, supervision.unwrap_or_else(|| global.clone()))
}

/// The effective config of a plugin, built while its section is read: the
/// defaults with the section's top-level fields laid over them. Only the
/// defaults the section leaves out are copied.
struct Effective<'d> {
    /// All the defaults.
    all: &'d Value,
    /// The fields so far, in key order when the section comes in key order
    /// (as TOML tables do), so that the map is built without searching.
    pairs: Vec<(String, Value)>,
    /// The defaults not yet copied nor overridden, in key order (`None`
    /// when the defaults are not an object).
    defaults: Option<Peekable<serde_json::map::Iter<'d>>>,
}

impl<'d> Effective<'d> {
    /// For a section of at most `fields` fields.
    fn new(defaults: &'d Value, fields: usize) -> Self {
        Effective {
            all: defaults,
            pairs: Vec::with_capacity(fields + defaults.as_object().map_or(0, Map::len)),
            defaults: defaults.as_object().map(|d| d.iter().peekable()),
        }
    }

    /// Adds one field of the section. The defaults that sort before it are
    /// copied first, and the one it overrides is skipped. Any order of the
    /// fields gives the same result: a default copied early comes before
    /// the field that overrides it, which the map keeps, and none is copied
    /// after its field.
    fn field(&mut self, key: &str, value: Value) {
        if let Some(defaults) = &mut self.defaults {
            while let Some((k, v)) = defaults.next_if(|(k, _)| k.as_str() < key) {
                self.pairs.push((k.clone(), v.clone()));
            }
            defaults.next_if(|(k, _)| k.as_str() == key);
        }
        self.pairs.push((key.to_owned(), value));
    }

    /// The effective config: the defaults themselves when the section gave
    /// no field; only the section's fields when the defaults are not an
    /// object.
    fn finish(mut self) -> Value {
        if self.pairs.is_empty() {
            return self.all.clone();
        }
        for (k, v) in self.defaults.into_iter().flatten() {
            self.pairs.push((k.clone(), v.clone()));
        }
        // Sorted already (the usual case), the pairs make the map's nodes
        // directly; of equal keys, the map keeps the last.
        Value::Object(self.pairs.into_iter().collect())
    }
}
