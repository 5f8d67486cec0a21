//! JSON-schema surgery: strict objects, `$defs` hoisting, property lookup.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::pointer::escape_pointer;

/// How deep the schema walkers go; schemas come from code, this only guards
/// against pathological ones.
const MAX_DEPTH: usize = 128;

/// Keywords whose value is one subschema.
const SINGLE: &[&str] = &[
    "additionalProperties",
    "unevaluatedProperties",
    "items",
    "additionalItems",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
/// Keywords whose value is an array of subschemas.
const ARRAYS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value is a map of subschemas.
const MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
];

/// Calls `f` on `schema` and every subschema in it (pre-order), following
/// the applicator keywords only (never `enum`, `const`, `default`, ...).
fn visit_mut(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>), depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Value::Object(map) = schema else {
        return;
    };
    f(map);
    for kw in SINGLE {
        if let Some(s) = map.get_mut(*kw) {
            visit_mut(s, f, depth + 1);
        }
    }
    for kw in ARRAYS {
        if let Some(Value::Array(items)) = map.get_mut(*kw) {
            for s in items {
                visit_mut(s, f, depth + 1);
            }
        }
    }
    for kw in MAPS {
        if let Some(Value::Object(m)) = map.get_mut(*kw) {
            for s in m.values_mut() {
                visit_mut(s, f, depth + 1);
            }
        }
    }
}

/// Keywords whose subschemas apply in place to the same instance.
const IN_PLACE: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "if",
    "then",
    "else",
    "dependentSchemas",
];

/// The in-place subschemas of a schema node.
fn in_place_children(map: &Map<String, Value>) -> Vec<&Value> {
    let mut out = Vec::new();
    for kw in IN_PLACE {
        match map.get(*kw) {
            Some(Value::Array(items)) => out.extend(items),
            Some(Value::Object(m)) if *kw == "dependentSchemas" => out.extend(m.values()),
            Some(s @ Value::Object(_)) => out.push(s),
            _ => {}
        }
    }
    out
}

/// Rejects unknown fields. Every object schema with `properties` and
/// neither `additionalProperties` nor `unevaluatedProperties` gets
/// `additionalProperties: false`, `$defs` included. A schema that combines
/// property-declaring schemas in place (`allOf`/`anyOf`/`oneOf`/`if`, as
/// `#[serde(flatten)]` and internally tagged enums produce) gets
/// `unevaluatedProperties: false` instead, and the combined schemas are left
/// open, so that properties declared by any of them count as known.
pub(crate) fn strictify(schema: &mut Value) {
    strictify_node(schema, false, 0);
}

fn strictify_node(schema: &mut Value, partial: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Value::Object(map) = schema else {
        return;
    };
    let has_properties = map.contains_key("properties");
    let combined = in_place_children(map)
        .iter()
        .any(|c| c.get("properties").is_some())
        || (has_properties && (map.contains_key("$ref") || !in_place_children(map).is_empty()));
    let open =
        !map.contains_key("additionalProperties") && !map.contains_key("unevaluatedProperties");
    if !partial && open {
        if combined {
            map.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
        } else if has_properties {
            map.insert("additionalProperties".to_owned(), Value::Bool(false));
        }
    }
    let children_partial = partial || combined;
    for kw in SINGLE {
        if let Some(s) = map.get_mut(*kw) {
            let in_place = IN_PLACE.contains(kw);
            strictify_node(s, in_place && children_partial, depth + 1);
        }
    }
    for kw in ARRAYS {
        if let Some(Value::Array(items)) = map.get_mut(*kw) {
            let in_place = IN_PLACE.contains(kw);
            for s in items {
                strictify_node(s, in_place && children_partial, depth + 1);
            }
        }
    }
    for kw in MAPS {
        if let Some(Value::Object(m)) = map.get_mut(*kw) {
            let in_place = IN_PLACE.contains(kw);
            for s in m.values_mut() {
                strictify_node(s, in_place && children_partial, depth + 1);
            }
        }
    }
}

/// The property names an object schema declares, including those of the
/// schemas it combines in place (`allOf`/`anyOf`/`oneOf`, local `$ref`).
pub(crate) fn known_properties(root: &Value, node: &Value) -> Vec<String> {
    fn collect(root: &Value, node: &Value, out: &mut Vec<String>, depth: usize) {
        if depth > 8 {
            return;
        }
        let Some(map) = node.as_object() else {
            return;
        };
        if let Some(Value::Object(props)) = map.get("properties") {
            for k in props.keys() {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        }
        for kw in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(items)) = map.get(kw) {
                for s in items {
                    collect(root, s, out, depth + 1);
                }
            }
        }
        if let Some(Value::String(r)) = map.get("$ref")
            && let Some(target) = resolve_local(root, r)
        {
            collect(root, target, out, depth + 1);
        }
    }
    let mut out = Vec::new();
    collect(root, node, &mut out, 0);
    out
}

/// Resolves a local reference (`#/...`) in `root`.
pub(crate) fn resolve_local<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = reference.strip_prefix('#')?;
    root.pointer(&percent_decode(fragment))
}

/// The JSON pointer of the schema node holding the keyword a schema path
/// ends with (`/$defs/Inner/additionalProperties` → `/$defs/Inner`).
pub(crate) fn parent_pointer(schema_path: &str) -> &str {
    schema_path
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent)
}

/// Moves the `$defs` (and `definitions`) of `schema` into `defs` under
/// `<prefix>.<name>` and rewrites every local `$ref`, for `schema` placed at
/// JSON pointer `base` of the combined document: refs to the moved
/// definitions follow them, other local refs (`#`, `#/properties/...`) get
/// `base` in front. Also drops `$schema` and `$id` from the root.
pub(crate) fn hoist(
    schema: &Value,
    prefix: &str,
    base: &str,
    defs: &mut Map<String, Value>,
) -> Value {
    let mut schema = schema.clone();
    let mut mapping: HashMap<(&'static str, String), String> = HashMap::new();
    let mut moved: Vec<(String, Value)> = Vec::new();
    if let Value::Object(root) = &mut schema {
        root.remove("$schema");
        root.remove("$id");
        for kw in ["$defs", "definitions"] {
            if let Some(Value::Object(d)) = root.remove(kw) {
                for (name, def) in d {
                    let mut new = format!("{prefix}.{name}");
                    while defs.contains_key(&new) || moved.iter().any(|(n, _)| *n == new) {
                        new.push('_');
                    }
                    mapping.insert((kw, name), new.clone());
                    moved.push((new, def));
                }
            }
        }
    }
    let rewrite = |node: &mut Map<String, Value>| {
        if let Some(Value::String(r)) = node.get_mut("$ref")
            && let Some(new) = rewrite_ref(r, &mapping, base)
        {
            *r = new;
        }
    };
    let mut rewrite = rewrite;
    visit_mut(&mut schema, &mut rewrite, 0);
    for (name, mut def) in moved {
        visit_mut(&mut def, &mut rewrite, 0);
        defs.insert(name, def);
    }
    schema
}

/// The rewritten form of a local reference, or `None` to keep it.
fn rewrite_ref(
    reference: &str,
    mapping: &HashMap<(&'static str, String), String>,
    base: &str,
) -> Option<String> {
    if reference == "#" {
        return Some(format!("#{}", encode_fragment(base)));
    }
    let rest = reference.strip_prefix("#/")?;
    let (first, tail) = match rest.split_once('/') {
        Some((first, tail)) => (first, Some(tail)),
        None => (rest, None),
    };
    for kw in ["$defs", "definitions"] {
        if first == kw
            && let Some(tail) = tail
        {
            let (name, after) = match tail.split_once('/') {
                Some((name, after)) => (name, Some(after)),
                None => (tail, None),
            };
            let name = percent_decode(name).replace("~1", "/").replace("~0", "~");
            if let Some(new) = mapping.get(&(kw, name)) {
                let mut out = format!("#/$defs/{}", encode_fragment(&escape_pointer(new)));
                if let Some(after) = after {
                    out.push('/');
                    out.push_str(after);
                }
                return Some(out);
            }
        }
    }
    Some(format!("#{}/{rest}", encode_fragment(base)))
}

/// Percent-encodes what may not appear in a URI fragment.
pub(crate) fn encode_fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for b in pointer.bytes() {
        let safe = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if safe {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; malformed or non-UTF-8 input is returned as is.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}
