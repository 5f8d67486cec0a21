//! The JSON Schema of the whole config file.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::compiled::Compiled;
use super::pointer::escape_pointer;
use super::reserved::{add_reserved, reserved_only};
use super::schema::hoist;
use super::sections::{BUILTIN, OWN_SECTIONS};
use super::validator::ConfigValidator;

impl ConfigValidator {
    /// One JSON Schema (draft 2020-12) for the whole config file.
    ///
    /// `plugins.<kind>.<name>` are objects, each the plugin's strict schema
    /// plus the [reserved keys](super::RESERVED_KEYS), with top-level `required`
    /// dropped for fields the defaults provide; `additionalProperties: false`
    /// at the `plugins`, kind and name levels. Every plugin's `$defs` move to
    /// the root `$defs` as `<id>.<Name>` (e.g. `store.memory.Foo`), with all
    /// `$ref`s rewritten, so the result is self-contained.
    ///
    /// `supervision` is [`Supervision`](crate::validate::settings::Supervision)'s
    /// schema, as is every plugin's reserved `supervision` key (both refer
    /// to `$defs/pegboard.Supervision`); `dispatch` is an object whose
    /// properties are the known kinds (also listed in its `propertyNames`),
    /// each [`KindDispatch`](crate::validate::settings::KindDispatch)'s schema.
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
}
