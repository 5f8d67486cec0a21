//! Plugin schemas made strict and compiled, once per distinct schema.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;

use super::reserved::RESERVED_KEYS;
use super::schema::{known_properties, strictify};

/// A plugin schema made strict and compiled.
#[derive(Debug)]
pub(super) enum Compiled {
    /// The strict schema and its validator.
    Ready {
        schema: Value,
        validator: jsonschema::Validator,
    },
    /// The schema is unusable; reported by `validate`.
    Broken { message: String },
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

/// The schemas compiled by [`ConfigValidator::new`](super::ConfigValidator::new):
/// one per distinct schema value, however many plugins (or `Arc`s) carry it.
#[derive(Default)]
pub(super) struct SchemaCache {
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
    pub(super) fn compiled(&mut self, schema: &Arc<Value>) -> Arc<Compiled> {
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
