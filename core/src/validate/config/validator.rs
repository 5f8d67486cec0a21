//! Checking a document against the plugins' schemas.

use std::collections::BTreeMap;
#[cfg(test)]
use std::sync::Arc;
use std::sync::OnceLock;

use serde_json::Value;

#[cfg(test)]
use super::compiled::Compiled;
use super::compiled::SchemaCache;
use super::document::Document;
use super::entry::{Entry, EntryConfig, Plugin, SectionCursor};
use super::env::EnvPrefix;
use super::plugin_schema::PluginSchema;
use super::plugin_section::validate_plugin;
use super::pointer::pointer;
use super::sections::{self, BUILTIN, HostSection, OWN_SECTIONS, SectionSchema};
use super::suggest::suggest;
use super::validated::{PluginConfig, Validated};
use super::violations::type_error;
use crate::model::config_error::ConfigError;
use crate::validate::settings::Settings;

/// Checks config documents against a fixed set of plugins.
///
/// Each distinct plugin schema is made strict (unknown fields rejected, see
/// [`ConfigValidator::new`]) and compiled once, however many plugins use it.
#[derive(Debug)]
pub struct ConfigValidator {
    pub(super) entries: Vec<Entry>,
    /// Entry indices sorted by (kind, name), to find the plugins of a
    /// section; built the first time a document has plugin sections.
    order: OnceLock<Vec<usize>>,
    /// Known kinds, sorted.
    pub(super) kinds: Vec<String>,
    /// The host's own top-level sections, when declared with
    /// [`with_host_sections`](Self::with_host_sections).
    pub(super) host_sections: Option<Vec<HostSection>>,
    /// Whose variables [`apply_env`](Self::apply_env) reads.
    pub(super) env_prefix: EnvPrefix,
}

impl ConfigValidator {
    /// Prepares the validator: each plugin schema is made strict — every
    /// object schema with `properties` and neither `additionalProperties`
    /// nor `unevaluatedProperties` gets `additionalProperties: false` (or
    /// `unevaluatedProperties: false` when it also uses `allOf`/`anyOf`/
    /// `oneOf`/`$ref`), `$defs` included — and compiled once. Plugins whose
    /// schemas are equal (typically: of the same config type) share one
    /// compiled schema; a plugin without a schema costs no compilation.
    ///
    /// Never fails: a schema that does not compile, or that declares a
    /// [reserved key](super::RESERVED_KEYS) as a field, is reported per plugin by
    /// [`validate`](Self::validate) (rule `schema`).
    pub fn new(plugins: impl IntoIterator<Item = PluginSchema>) -> Self {
        Self::from_plugins(plugins.into_iter().map(|p| {
            let empty = matches!(&p.defaults, Value::Object(d) if d.is_empty());
            Plugin {
                kind: p.kind,
                name: p.name,
                config: (p.schema.is_some() || !empty).then_some((p.schema, p.defaults)),
            }
        }))
    }

    /// [`new`](Self::new), with plugins that take no config and default to
    /// the empty object given without a value.
    pub(crate) fn from_plugins(plugins: impl IntoIterator<Item = Plugin>) -> Self {
        let mut kinds: Vec<String> = Vec::new();
        let mut schemas = SchemaCache::default();
        let entries = plugins
            .into_iter()
            .map(|plugin| {
                // Plugins usually come sorted by kind: check the last one first.
                let known = kinds.last().is_some_and(|k| *k == *plugin.kind)
                    || kinds.iter().any(|k| *k == *plugin.kind);
                if !known {
                    kinds.push(plugin.kind.clone().into_owned());
                }
                Entry {
                    kind: plugin.kind.into(),
                    name: plugin.name.into(),
                    config: plugin.config.map(|(schema, defaults)| {
                        Box::new(EntryConfig {
                            compiled: schema.as_ref().map(|s| schemas.compiled(s)),
                            schema,
                            defaults,
                        })
                    }),
                }
            })
            .collect();
        kinds.sort();
        ConfigValidator {
            entries,
            order: OnceLock::new(),
            kinds,
            host_sections: None,
            env_prefix: EnvPrefix::PEGBOARD,
        }
    }

    /// A cursor to find the plugins of sections.
    fn sections(&self) -> SectionCursor<'_> {
        let order = self.order.get_or_init(|| {
            let key = |&i: &usize| (&*self.entries[i].kind, &*self.entries[i].name);
            let mut order: Vec<usize> = (0..self.entries.len()).collect();
            if !order.is_sorted_by_key(key) {
                // Stable: of equal ids, the first given comes first.
                order.sort_by(|a, b| key(a).cmp(&key(b)));
            }
            order
        });
        SectionCursor {
            entries: &self.entries,
            order,
            next: 0,
        }
    }

    /// The indices of the plugins with id `<kind>.<name>` (several only when
    /// the same id was given more than once).
    pub(super) fn find(&self, kind: &str, name: &str) -> impl Iterator<Item = usize> + use<'_> {
        self.sections().find(kind, name)
    }

    /// Whether the plugins `a` and `b` share one compiled schema.
    #[cfg(test)]
    pub(crate) fn shares_compiled(&self, a: usize, b: usize) -> bool {
        let compiled = |i: usize| self.entries[i].config.as_ref()?.compiled.as_ref();
        match (compiled(a), compiled(b)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Whether plugin `i` holds a compiled schema.
    #[cfg(test)]
    pub(crate) fn has_compiled(&self, i: usize) -> bool {
        self.entries[i].compiled().is_some()
    }

    /// How many distinct compiled schemas the validator holds.
    #[cfg(test)]
    pub(crate) fn compiled_count(&self) -> usize {
        let mut seen: Vec<*const Compiled> = self
            .entries
            .iter()
            .filter_map(|e| e.config.as_ref()?.compiled.as_ref().map(Arc::as_ptr))
            .collect();
        seen.sort();
        seen.dedup();
        seen.len()
    }

    /// Declares the top-level sections the host reads itself (name → JSON
    /// schema, e.g. `schemars::schema_for!(Server).to_value()`).
    ///
    /// Once declared (even as an empty list), [`validate`](Self::validate)
    /// also reports, as document errors, every top-level key that is neither
    /// one of pegboard's (`plugins`, `supervision`, `dispatch`) nor a host
    /// section (rule `unknown_section`, with a suggestion), and every
    /// violation of a host section's schema (paths like `/server/port`). The
    /// schemas are used as given (not made strict: a host type without
    /// `#[serde(deny_unknown_fields)]` accepts unknown fields).
    /// [`document_schema`](Self::document_schema) includes them.
    ///
    /// Without it, unknown top-level keys are left alone: the host reads
    /// them. Sections named `plugins`, `supervision` or `dispatch` are
    /// ignored, and of two sections with the same name the first is kept.
    ///
    /// ```
    /// # extern crate pegboard_core as pegboard;
    /// use pegboard::config::{ConfigValidator, Document};
    /// use serde_json::json;
    ///
    /// let validator = ConfigValidator::new(vec![]).with_host_sections(vec![(
    ///     "server".to_owned(),
    ///     json!({ "type": "object", "properties": { "port": { "type": "integer" } } }),
    /// )]);
    /// let doc = Document::from_toml_str("[server]\nport = \"http\"\n\n[sevrer]\n")?;
    /// let validated = validator.validate(&doc);
    /// let errors: Vec<String> = validated.document_errors.iter().map(ToString::to_string).collect();
    /// assert_eq!(errors, [
    ///     "/sevrer: unknown section `sevrer` (did you mean `server`?) (rule: unknown_section)",
    ///     r#"/server/port: "http" is not of type "integer" (rule: type)"#,
    /// ]);
    /// # Ok::<(), pegboard::config::ConfigError>(())
    /// ```
    pub fn with_host_sections(mut self, sections: Vec<(String, Value)>) -> Self {
        self.host_sections_from(sections);
        self
    }

    /// Reads the variables of `prefix` in [`apply_env`](Self::apply_env)
    /// (`<PREFIX>__...`, `<PREFIX>_TIMEOUT_<KIND>_MS`) rather than
    /// `PEGBOARD`'s.
    pub fn with_env_prefix(mut self, prefix: EnvPrefix) -> Self {
        self.env_prefix = prefix;
        self
    }

    fn host_sections_from(&mut self, sections: Vec<(String, Value)>) {
        let mut hosts: Vec<HostSection> = Vec::new();
        for (name, schema) in sections {
            if OWN_SECTIONS.contains(&name.as_str()) || hosts.iter().any(|h| h.name == name) {
                continue;
            }
            hosts.push(HostSection {
                name,
                schema: SectionSchema::new(schema),
            });
        }
        self.host_sections = Some(hosts);
    }

    /// Validates `doc`, collecting every error of every section.
    pub fn validate(&self, doc: &Document) -> Validated {
        let mut plugins = Vec::with_capacity(self.entries.len());
        let (document_errors, settings) = self.validate_sections(doc, |i, config| {
            while plugins.len() < i {
                plugins.push(self.untouched(plugins.len()));
            }
            plugins.push(config);
        });
        while plugins.len() < self.entries.len() {
            plugins.push(self.untouched(plugins.len()));
        }
        Validated {
            document_errors,
            plugins,
            settings,
        }
    }

    /// The validated config of plugin `i` when it takes no config and the
    /// document has no section for it: enabled, its defaults.
    fn untouched(&self, i: usize) -> PluginConfig {
        let entry = &self.entries[i];
        PluginConfig {
            kind: entry.kind.clone(),
            name: entry.name.clone(),
            enabled: true,
            value: Ok(entry.defaults_value()),
        }
    }

    /// [`validate`](Self::validate), giving only the plugins that take a
    /// config or have a section to `each` (in plugin order): the others are
    /// [`untouched`](Self::untouched), and settings hold their supervision
    /// only where it is not the global one. Returns the document errors and
    /// the settings.
    ///
    /// The registry builds from this: a copy of the same untouched config
    /// for each of thousands of plugins was most of what validating wrote.
    pub(crate) fn validate_sections(
        &self,
        doc: &Document,
        mut each: impl FnMut(usize, PluginConfig),
    ) -> (Vec<ConfigError>, Settings) {
        let mut document_errors = Vec::new();
        if let Some(hosts) = &self.host_sections {
            document_errors.extend(sections::host_section_errors(doc, hosts));
        }
        // Each plugin's section, by plugin index; left empty when the
        // document has no plugin sections.
        let mut sections: Vec<Option<&Value>> = Vec::new();
        match doc.root().get("plugins") {
            None => {}
            Some(Value::Object(plugins)) => {
                let mut cursor = self.sections();
                for (kind, kind_value) in plugins {
                    let kind_path = || pointer(["plugins", kind.as_str()]);
                    if !self.kinds.contains(kind) {
                        document_errors.push(
                            ConfigError::new(
                                "unknown_section",
                                kind_path(),
                                format!("unknown plugin kind `{kind}`"),
                            )
                            .with_value(Some(kind_value.clone()))
                            .with_suggestion(suggest(kind, self.kinds.iter().map(String::as_str))),
                        );
                        continue;
                    }
                    let Value::Object(names) = kind_value else {
                        document_errors.push(type_error(&kind_path(), kind_value, "object"));
                        continue;
                    };
                    for (name, section) in names {
                        let mut found = cursor.find(kind, name).peekable();
                        if found.peek().is_some() {
                            if sections.is_empty() {
                                sections = vec![None; self.entries.len()];
                            }
                            for i in found {
                                sections[i] = Some(section);
                            }
                            continue;
                        }
                        let id = format!("{kind}.{name}");
                        let ids: Vec<String> = self.entries.iter().map(Entry::id).collect();
                        document_errors.push(
                            ConfigError::new(
                                "unknown_section",
                                pointer(["plugins", kind.as_str(), name.as_str()]),
                                format!("unknown plugin section `{id}`"),
                            )
                            .with_value(Some(section.clone()))
                            .with_suggestion(suggest(&id, ids.iter().map(String::as_str))),
                        );
                    }
                }
            }
            Some(other) => document_errors.push(type_error("/plugins", other, "object")),
        }
        let table = doc.root();
        let supervision =
            BUILTIN.global_supervision(table.get("supervision"), &mut document_errors);
        let dispatch = BUILTIN.dispatch(table.get("dispatch"), &self.kinds, &mut document_errors);
        let mut settings = Settings::new(supervision, dispatch);
        for (i, &section) in sections.iter().enumerate() {
            let entry = &self.entries[i];
            if section.is_none() && entry.compiled().is_none() {
                continue;
            }
            let (config, supervision) = validate_plugin(entry, section, &settings.supervision);
            settings.set_plugin(i, supervision);
            each(i, config);
        }
        if sections.is_empty() {
            // No plugin sections: only the plugins with a config type.
            for (i, entry) in self.entries.iter().enumerate() {
                if entry.compiled().is_some() {
                    let (config, supervision) = validate_plugin(entry, None, &settings.supervision);
                    settings.set_plugin(i, supervision);
                    each(i, config);
                }
            }
        }
        (document_errors, settings)
    }

    /// What [`validate_sections`](Self::validate_sections) gives for an
    /// empty document when no plugin takes a config: nothing for any
    /// plugin, and these settings. Needs no validator, so a registry of
    /// such plugins builds none.
    pub(crate) fn empty_document_settings() -> Settings {
        let supervision = BUILTIN.global_supervision(None, &mut Vec::new());
        Settings::new(supervision, BTreeMap::new())
    }
}
