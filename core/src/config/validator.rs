//! Checking a document against the plugins' schemas.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::iter::Peekable;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value};

use super::default_document;
use super::schema::{
    add_reserved, hoist, known_properties, parent_pointer, reserved_only, strictify,
};
use super::sections::{self, BUILTIN, HostSection, OWN_SECTIONS, SectionSchema, apply_timeout_env};
use super::{
    ConfigError, Document, EnvPair, PluginSchema, RESERVED_KEYS, escape_pointer, pointer, suggest,
};
use crate::settings::{Settings, Supervision};

/// Checks config documents against a fixed set of plugins.
///
/// Each distinct plugin schema is made strict (unknown fields rejected, see
/// [`ConfigValidator::new`]) and compiled once, however many plugins use it.
#[derive(Debug)]
pub struct ConfigValidator {
    entries: Vec<Entry>,
    /// Entry indices sorted by (kind, name), to find the plugins of a
    /// section; built the first time a document has plugin sections.
    order: OnceLock<Vec<usize>>,
    /// Known kinds, sorted.
    kinds: Vec<String>,
    /// The host's own top-level sections, when declared with
    /// [`with_host_sections`](Self::with_host_sections).
    host_sections: Option<Vec<HostSection>>,
}

#[derive(Debug)]
struct Entry {
    kind: Text,
    name: Text,
    /// `None` for a plugin without config type whose defaults are the empty
    /// object (what the registry gives such plugins): nothing to hold,
    /// check or drop.
    config: Option<Box<EntryConfig>>,
}

#[derive(Debug)]
struct EntryConfig {
    /// The schema as given (for its description).
    schema: Option<Arc<Value>>,
    defaults: Value,
    /// `None` when the plugin takes no config; shared by every plugin with
    /// an equal schema.
    compiled: Option<Arc<Compiled>>,
}

impl Entry {
    fn id(&self) -> String {
        format!("{}.{}", &*self.kind, &*self.name)
    }

    /// The JSON pointer of the plugin's section.
    fn base(&self) -> String {
        pointer(["plugins", &self.kind, &self.name])
    }

    fn compiled(&self) -> Option<&Compiled> {
        self.config.as_ref()?.compiled.as_deref()
    }

    /// The defaults; `None` for the empty object.
    fn defaults(&self) -> Option<&Value> {
        self.config.as_ref().map(|c| &c.defaults)
    }

    /// A copy of the defaults.
    fn defaults_value(&self) -> Value {
        self.defaults()
            .map_or_else(|| Value::Object(Map::new()), Value::clone)
    }
}

/// Finds the plugins of sections: the entry indices sorted by id, and where
/// the last search ended. The sections of a document come sorted too (TOML
/// tables are sorted maps), so the next one is usually found right there;
/// any other order works, with a binary search.
struct SectionCursor<'v> {
    entries: &'v [Entry],
    /// Entry indices sorted by (kind, name).
    order: &'v [usize],
    /// Where the last search ended: 0, or just past a run of equal ids.
    next: usize,
}

impl<'v> SectionCursor<'v> {
    fn key(&self, position: usize) -> (&'v str, &'v str) {
        let e = &self.entries[self.order[position]];
        (&e.kind, &e.name)
    }

    /// The indices of the plugins with id `<kind>.<name>`.
    fn find(&mut self, kind: &str, name: &str) -> impl Iterator<Item = usize> + use<'v> {
        let target = (kind, name);
        let len = self.order.len();
        let start = if self.next < len && self.key(self.next) == target {
            self.next
        } else {
            self.order
                .partition_point(|&i| (&*self.entries[i].kind, &*self.entries[i].name) < target)
        };
        let mut end = start;
        while end < len && self.key(end) == target {
            end += 1;
        }
        self.next = end;
        self.order[start..end].iter().copied()
    }
}

/// One plugin for [`ConfigValidator::from_plugins`].
pub(crate) struct Plugin {
    pub(crate) kind: Cow<'static, str>,
    pub(crate) name: Cow<'static, str>,
    /// The schema (`None`: no config type) and the defaults; `None` for a
    /// plugin without config type whose defaults are the empty object.
    pub(crate) config: Option<(Option<Arc<Value>>, Value)>,
}

/// A plugin schema made strict and compiled.
#[derive(Debug)]
enum Compiled {
    /// The strict schema and its validator.
    Ready {
        schema: Value,
        validator: jsonschema::Validator,
    },
    /// The schema is unusable; reported by `validate`.
    Broken { message: String },
}

/// A plugin kind or name: borrowed when `'static` (the descriptors' names),
/// shared otherwise, so that every [`PluginConfig`] can hold one without
/// allocating.
#[derive(Clone)]
enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl From<Cow<'static, str>> for Text {
    #[inline]
    fn from(text: Cow<'static, str>) -> Self {
        match text {
            Cow::Borrowed(s) => Text::Static(s),
            Cow::Owned(s) => Text::Shared(s.into()),
        }
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The outcome of [`ConfigValidator::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// Errors not attributable to one plugin: unknown `[plugins.x.y]`
    /// sections and kinds, `plugins` (or a kind) not being a table, any
    /// error in `[supervision]` or `[dispatch]` (an unknown kind there
    /// included), and, when the host declared its sections
    /// ([`ConfigValidator::with_host_sections`]), unknown top-level sections
    /// and errors in the host's sections. A host refuses to start when this
    /// is non-empty.
    pub document_errors: Vec<ConfigError>,
    /// One per plugin, in the order given to [`ConfigValidator::new`].
    pub plugins: Vec<PluginConfig>,
    /// The supervision and dispatch settings, always filled: the defaults
    /// wherever a section is absent or invalid (a plugin whose
    /// `supervision` is invalid gets the global settings).
    pub settings: Settings,
}

impl Validated {
    /// No errors at all, neither document-level nor in any plugin section
    /// (disabled plugins included).
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }

    /// Every error: the document errors, then each plugin's, in plugin order.
    pub fn errors(&self) -> impl Iterator<Item = &ConfigError> {
        self.document_errors.iter().chain(
            self.plugins
                .iter()
                .flat_map(|p| p.value.as_ref().err().into_iter().flatten()),
        )
    }
}

/// The validated configuration of one plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    kind: Text,
    name: Text,
    /// `false` when the section says `enabled = false`.
    pub enabled: bool,
    /// The effective config (the defaults with the section's fields laid
    /// over them, reserved keys removed), or every error found in the
    /// section. A disabled plugin is still validated. For a plugin without a
    /// config type this is its `defaults` as given.
    pub value: Result<Value, Vec<ConfigError>>,
}

impl PluginConfig {
    /// The plugin id, `<kind>.<name>`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.kind(), self.name())
    }

    /// The plugin kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The plugin name.
    pub fn name(&self) -> &str {
        &self.name
    }
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
    /// [reserved key](RESERVED_KEYS) as a field, is reported per plugin by
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
    fn find(&self, kind: &str, name: &str) -> impl Iterator<Item = usize> + use<'_> {
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
        self
    }

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
        let mut errors = doc.apply_env_with(&vars, &|path| self.known_keys(path));
        errors.extend(apply_timeout_env(doc, &vars, &self.kinds));
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

    /// One JSON Schema (draft 2020-12) for the whole config file.
    ///
    /// `plugins.<kind>.<name>` are objects, each the plugin's strict schema
    /// plus the [reserved keys](RESERVED_KEYS), with top-level `required`
    /// dropped for fields the defaults provide; `additionalProperties: false`
    /// at the `plugins`, kind and name levels. Every plugin's `$defs` move to
    /// the root `$defs` as `<id>.<Name>` (e.g. `store.memory.Foo`), with all
    /// `$ref`s rewritten, so the result is self-contained.
    ///
    /// `supervision` is [`Supervision`](crate::settings::Supervision)'s
    /// schema, as is every plugin's reserved `supervision` key (both refer
    /// to `$defs/pegboard.Supervision`); `dispatch` is an object whose
    /// properties are the known kinds (also listed in its `propertyNames`),
    /// each [`KindDispatch`](crate::settings::KindDispatch)'s schema.
    ///
    /// `host_sections` are the other top-level sections the host accepts
    /// (name → schema; their `$defs` are hoisted as `<section>.<Name>`),
    /// followed by those declared with
    /// [`with_host_sections`](Self::with_host_sections) under names not given
    /// here; any other top-level key is rejected. Host sections named
    /// `plugins`, `supervision` or `dispatch` are ignored. A plugin whose
    /// schema does not compile is described by a permissive object schema.
    pub fn document_schema(&self, host_sections: &[(&str, Value)]) -> Value {
        let mut defs = Map::new();
        let mut properties = Map::new();
        BUILTIN.document_schema(&self.kinds, &mut properties, &mut defs);
        let mut kinds: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        for entry in &self.entries {
            let base = format!(
                "/properties/plugins/properties/{}/properties/{}",
                escape_pointer(&entry.kind),
                escape_pointer(&entry.name)
            );
            let section = match (entry.compiled(), entry.defaults()) {
                (None, _) => reserved_only(true),
                (Some(Compiled::Broken { .. }), _) => reserved_only(false),
                (Some(Compiled::Ready { schema, .. }), defaults) => {
                    let schema = hoist(schema, &entry.id(), &base, &mut defs);
                    add_reserved(schema, defaults.unwrap_or(&Value::Null))
                }
            };
            kinds
                .entry(&entry.kind)
                .or_default()
                .entry(entry.name.to_string())
                .or_insert(section);
        }
        let kinds: Map<String, Value> = kinds
            .into_iter()
            .map(|(kind, names)| {
                (
                    kind.to_owned(),
                    serde_json::json!({
                        "type": "object",
                        "properties": names,
                        "additionalProperties": false
                    }),
                )
            })
            .collect();
        properties.insert(
            "plugins".to_owned(),
            serde_json::json!({
                "type": "object",
                "properties": kinds,
                "additionalProperties": false
            }),
        );
        let declared = self
            .host_sections
            .iter()
            .flatten()
            .filter(|h| !host_sections.iter().any(|(n, _)| *n == h.name))
            .map(|h| (h.name.as_str(), &h.schema.schema));
        let given = host_sections.iter().map(|(n, s)| (*n, s));
        for (name, schema) in given.chain(declared) {
            if OWN_SECTIONS.contains(&name) || properties.contains_key(name) {
                continue;
            }
            let base = format!("/properties/{}", escape_pointer(name));
            properties.insert(name.to_owned(), hoist(schema, name, &base, &mut defs));
        }
        let mut root = Map::new();
        root.insert(
            "$schema".to_owned(),
            Value::String("https://json-schema.org/draft/2020-12/schema".to_owned()),
        );
        root.insert("type".to_owned(), Value::String("object".to_owned()));
        root.insert("properties".to_owned(), Value::Object(properties));
        root.insert("additionalProperties".to_owned(), Value::Bool(false));
        if !defs.is_empty() {
            root.insert("$defs".to_owned(), Value::Object(defs));
        }
        Value::Object(root)
    }

    /// A TOML document showing every setting with its default: first the
    /// host sections declared with
    /// [`with_host_sections`](Self::with_host_sections), commented out (the
    /// `default` of each property of their schemas: what their presence
    /// means is the host's business), then `[supervision]` and
    /// `[supervision.restart]`, then `[dispatch.<kind>]` for every known kind
    /// (the optional payload guards, which have no default, as comments),
    /// then every plugin's section filled with its defaults and
    /// `enabled = true`, sorted by id, each preceded by a comment line (the
    /// id and the first line of the schema's description). Every key and
    /// table the schema describes has that description (a doc comment, for
    /// a schemars type) as comment lines above it. `null` values (`None`)
    /// are omitted, as TOML cannot express them.
    ///
    /// It passes [`validate`](Self::validate) without errors (unless a
    /// plugin's schema is broken or its defaults violate it).
    pub fn default_document(&self) -> String {
        let mut entries: Vec<(String, &Entry)> = self.entries.iter().map(|e| (e.id(), e)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        let mut out = String::from("# Configuration: every plugin with its default settings.\n");
        for host in self.host_sections.iter().flatten() {
            default_document::host_section(&mut out, &host.name, &host.schema.schema);
        }
        default_document::settings(&mut out, &self.kinds);
        for (id, entry) in entries {
            let schema = entry.config.as_ref().and_then(|c| c.schema.as_deref());
            let heading = match (&entry.config, schema) {
                (Some(_), Some(schema)) => match default_document::first_line(Some(schema)) {
                    Some(d) => format!("{id}: {d}"),
                    None => id,
                },
                _ => format!("{id} (no configuration)"),
            };
            let defaults = entry.compiled().and(entry.defaults());
            default_document::plugin_section(
                &mut out,
                &heading,
                [&entry.kind, &entry.name],
                schema,
                defaults,
            );
        }
        out
    }
}

/// Makes `schema` strict and compiles it.
fn compile(schema: &Value) -> Compiled {
    let mut schema = schema.clone();
    strictify(&mut schema);
    let declared = known_properties(&schema, &schema);
    if let Some(key) = RESERVED_KEYS
        .iter()
        .find(|k| declared.iter().any(|d| d == *k))
    {
        return Compiled::Broken {
            message: format!("it declares the reserved key `{key}` as a field"),
        };
    }
    match jsonschema::options().build(&schema) {
        Ok(validator) => Compiled::Ready { schema, validator },
        Err(e) => Compiled::Broken {
            message: e.to_string(),
        },
    }
}

/// The schemas compiled by [`ConfigValidator::new`]: one per distinct
/// schema value, however many plugins (or `Arc`s) carry it.
#[derive(Default)]
struct SchemaCache {
    /// By structural hash, each distinct schema and its compiled form.
    seen: HashMap<u64, Vec<SharedSchema>>,
    /// The last schema looked up: plugins of one config type usually come
    /// together and share the same `Arc`.
    last: Option<SharedSchema>,
}

/// A schema as given and its compiled form.
type SharedSchema = (Arc<Value>, Arc<Compiled>);

impl SchemaCache {
    /// The compiled form of `schema`, compiling it if no equal schema was
    /// compiled before.
    fn compiled(&mut self, schema: &Arc<Value>) -> Arc<Compiled> {
        if let Some((last, compiled)) = &self.last
            && Arc::ptr_eq(last, schema)
        {
            return Arc::clone(compiled);
        }
        let mut hasher = std::hash::DefaultHasher::new();
        hash_value(schema, &mut hasher);
        let candidates = self.seen.entry(hasher.finish()).or_default();
        let found = candidates
            .iter()
            .find(|(seen, _)| Arc::ptr_eq(seen, schema) || **seen == **schema)
            .map(|(_, compiled)| Arc::clone(compiled));
        let compiled = found.unwrap_or_else(|| {
            let compiled = Arc::new(compile(schema));
            candidates.push((Arc::clone(schema), Arc::clone(&compiled)));
            compiled
        });
        self.last = Some((Arc::clone(schema), Arc::clone(&compiled)));
        compiled
    }
}

/// Feeds `value` to `hasher`; equal values (as `serde_json` compares them)
/// hash alike.
fn hash_value(value: &Value, hasher: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(hasher),
        Value::Bool(b) => (1u8, b).hash(hasher),
        Value::Number(n) => {
            2u8.hash(hasher);
            if let Some(i) = n.as_i64() {
                (0u8, i).hash(hasher);
            } else if let Some(u) = n.as_u64() {
                (1u8, u).hash(hasher);
            } else if let Some(f) = n.as_f64() {
                (2u8, f.to_bits()).hash(hasher);
            }
        }
        Value::String(s) => (3u8, s).hash(hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(hasher);
            for item in items {
                hash_value(item, hasher);
            }
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(hasher);
            for (key, item) in map {
                key.hash(hasher);
                hash_value(item, hasher);
            }
        }
    }
}

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

/// Validates one plugin's section (`None`: absent); also returns its
/// supervision settings (`global` with the section's overrides laid over it).
///
/// Nothing is allocated for what is valid beyond the effective config: the
/// plugin's id and paths are built only for errors, and the schema's
/// violations are collected only when the config is invalid.
fn validate_plugin(
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
