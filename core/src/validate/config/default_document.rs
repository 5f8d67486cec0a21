//! The text of [`ConfigValidator::default_document`]:
//! TOML in which every key and table has the description its schema gives
//! it (the doc comment, for a schemars type) as comment lines above it.

use std::fmt;

use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::entry::Entry;
use super::reserved::RESERVED_KEYS;
use super::schema::resolve_local;
use super::sections::BUILTIN;
use super::validator::ConfigValidator;
use crate::validate::settings::{KindDispatch, Supervision};

impl ConfigValidator {
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
            host_section(&mut out, &host.name, &host.schema.schema);
        }
        settings(&mut out, &self.kinds);
        for (id, entry) in entries {
            let schema = entry.config.as_ref().and_then(|c| c.schema.as_deref());
            let heading = match (&entry.config, schema) {
                (Some(_), Some(schema)) => match first_line(Some(schema)) {
                    Some(d) => format!("{id}: {d}"),
                    None => id,
                },
                _ => format!("{id} (no configuration)"),
            };
            let defaults = entry.compiled().and(entry.defaults());
            plugin_section(
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

/// A TOML table whose keys keep the order they come in: a `toml::Table`
/// sorts them (unless toml's `preserve_order` is on), and `[supervision]`
/// reads best in the order of its fields.
#[derive(Debug, Default)]
pub(crate) struct Table(Vec<(String, Item)>);

#[derive(Debug)]
enum Item {
    Table(Table),
    Value(toml::Value),
}

impl Table {
    /// `value` as a table, in the order it serializes its fields; `None`
    /// unless it serializes as a map.
    fn of<T: Serialize>(value: &T) -> Option<Table> {
        // Through text: a `serde_json::Value` would sort the keys.
        let text = serde_json::to_string(value).ok()?;
        Table::from_slot(serde_json::from_str(&text).ok()?)
    }

    /// A JSON object as a table (nulls left out, as TOML cannot express them).
    pub(crate) fn from_json(value: &Value) -> Option<Table> {
        Table::from_slot(Slot::deserialize(value).ok()?)
    }

    fn from_slot(slot: Slot) -> Option<Table> {
        match slot.0 {
            Some(Item::Table(table)) => Some(table),
            _ => None,
        }
    }

    pub(crate) fn push(&mut self, key: &str, value: toml::Value) {
        self.0.push((key.to_owned(), Item::Value(value)));
    }

    pub(crate) fn append(&mut self, other: Table) {
        self.0.extend(other.0);
    }

    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.0.retain(|(key, _)| keep(key));
    }

    fn into_toml(self) -> toml::Value {
        toml::Value::Table(
            self.0
                .into_iter()
                .map(|(key, item)| (key, item.into_toml()))
                .collect(),
        )
    }
}

impl Item {
    fn into_toml(self) -> toml::Value {
        match self {
            Item::Table(table) => table.into_toml(),
            Item::Value(value) => value,
        }
    }
}

/// A value of any type, `None` for null.
struct Slot(Option<Item>);

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SlotVisitor)
    }
}

struct SlotVisitor;

impl SlotVisitor {
    fn value<E>(value: toml::Value) -> Result<Slot, E> {
        Ok(Slot(Some(Item::Value(value))))
    }
}

impl<'de> Visitor<'de> for SlotVisitor {
    type Value = Slot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Slot, E> {
        Self::value(toml::Value::Boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Slot, E> {
        Self::value(toml::Value::Integer(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Slot, E> {
        // TOML integers are i64: a larger one can only be a float.
        Self::value(match i64::try_from(v) {
            Ok(i) => toml::Value::Integer(i),
            Err(_) => toml::Value::Float(v as f64),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Slot, E> {
        Self::value(toml::Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Slot, E> {
        Self::value(toml::Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Slot, E> {
        Self::value(toml::Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Slot, E> {
        Ok(Slot(None))
    }

    fn visit_none<E>(self) -> Result<Slot, E> {
        Ok(Slot(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Slot, D::Error> {
        Slot::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slot, A::Error> {
        let mut items = Vec::new();
        while let Some(Slot(item)) = seq.next_element()? {
            items.extend(item.map(Item::into_toml));
        }
        Self::value(toml::Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slot, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, Slot(item))) = map.next_entry::<String, Slot>()? {
            if let Some(item) = item {
                entries.push((key, item));
            }
        }
        Ok(Slot(Some(Item::Table(Table(entries)))))
    }
}

/// Where a schema describes a table: the schema's root (for local `$ref`s)
/// and the node of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Described<'s> {
    root: &'s Value,
    node: &'s Value,
}

/// How long a `$ref` chain is followed (schemas may refer to themselves).
const MAX_REFS: usize = 16;
/// How deep `allOf`/`anyOf`/`oneOf` are searched: each level may branch, and
/// a schema may refer to itself in several branches.
const MAX_NESTING: usize = 6;

impl<'s> Described<'s> {
    pub(crate) fn root(schema: &'s Value) -> Self {
        Described {
            root: schema,
            node: schema,
        }
    }

    /// `node` with its `$ref`s followed.
    fn resolved(self, mut node: &'s Value) -> &'s Value {
        for _ in 0..MAX_REFS {
            match node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| resolve_local(self.root, r))
            {
                Some(target) => node = target,
                None => break,
            }
        }
        node
    }

    /// The schema of `key`'s value, and whether it is a named property
    /// (rather than any key of a map, whose description would be the
    /// value type's, repeated over every key).
    fn property(self, key: &str) -> Option<(Described<'s>, bool)> {
        self.find(self.node, key, 0).map(|(node, named)| {
            let described = Described {
                root: self.root,
                node,
            };
            (described, named)
        })
    }

    fn find(self, node: &'s Value, key: &str, depth: usize) -> Option<(&'s Value, bool)> {
        if depth > MAX_NESTING {
            return None;
        }
        let node = self.resolved(node);
        if let Some(property) = node.get("properties").and_then(|p| p.get(key)) {
            return Some((property, true));
        }
        // Flattened fields and `Option`s of structs live in subschemas.
        let subschemas = ["allOf", "anyOf", "oneOf"]
            .iter()
            .filter_map(|kw| node.get(*kw).and_then(Value::as_array))
            .flatten();
        for sub in subschemas {
            if let Some(found) = self.find(sub, key, depth + 1) {
                return Some(found);
            }
        }
        match node.get("additionalProperties") {
            Some(values @ Value::Object(_)) => Some((values, false)),
            _ => None,
        }
    }

    /// The node's title and description, else those of what it refers to.
    fn text(self) -> Option<String> {
        text_of(self.node).or_else(|| text_of(self.resolved(self.node)))
    }

    /// The description to write above `key`, and the schema of its value.
    fn text_of_key(schema: Option<Self>, key: &str) -> (Option<String>, Option<Self>) {
        match schema.and_then(|s| s.property(key)) {
            Some((inner, true)) => (inner.text(), Some(inner)),
            Some((inner, false)) => (None, Some(inner)),
            None => (None, None),
        }
    }
}

/// A schema node's `title` and `description`, one after the other.
fn text_of(node: &Value) -> Option<String> {
    let parts: Vec<&str> = ["title", "description"]
        .iter()
        .filter_map(|kw| node.get(*kw).and_then(Value::as_str))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// `text` as comment lines, one per line of it.
pub(crate) fn comment(out: &mut String, text: &str) {
    for line in text.trim().lines() {
        comment_line(out, line);
    }
}

fn comment_line(out: &mut String, line: &str) {
    // A TOML comment may hold no control character but tab.
    let line: String = line
        .trim_end()
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect();
    if line.is_empty() {
        out.push_str("#\n");
    } else {
        out.push_str("# ");
        out.push_str(&line);
        out.push('\n');
    }
}

/// Writes `[path]` and `table` under it: first its values, each under its
/// description, then its tables (`[path.key]`), each under its own.
pub(crate) fn write_table(
    out: &mut String,
    path: &mut Vec<String>,
    table: &Table,
    schema: Option<Described<'_>>,
) {
    let header: Vec<String> = path.iter().map(|k| toml_key(k)).collect();
    out.push_str(&format!("[{}]\n", header.join(".")));
    for (key, item) in &table.0 {
        let Item::Value(value) = item else { continue };
        if let (Some(text), _) = Described::text_of_key(schema, key) {
            comment(out, &text);
        }
        let mut text = String::new();
        match value.serialize(toml::ser::ValueSerializer::new(&mut text)) {
            Ok(text) => out.push_str(&format!("{} = {text}\n", toml_key(key))),
            Err(e) => comment(out, &format!("{key}: the default cannot be written: {e}")),
        }
    }
    for (key, item) in &table.0 {
        let Item::Table(inner) = item else { continue };
        out.push('\n');
        let (text, inner_schema) = Described::text_of_key(schema, key);
        if let Some(text) = text {
            comment(out, &text);
        }
        path.push(key.clone());
        write_table(out, path, inner, inner_schema);
        path.pop();
    }
}

/// A TOML key, quoted unless bare.
pub(crate) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        return key.to_owned();
    }
    // JSON's escapes are TOML's too, except that TOML also wants DEL escaped.
    serde_json::to_string(key)
        .unwrap_or_else(|_| format!("\"{key}\""))
        .replace('\u{7f}', "\\u007F")
}

/// The first line of a schema's `description`, if any.
pub(crate) fn first_line(schema: Option<&Value>) -> Option<String> {
    let text = schema?.get("description")?.as_str()?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.to_owned())
}

/// The `[supervision]` and `[dispatch.<kind>]` part of the default document.
pub(crate) fn settings(out: &mut String, kinds: &[String]) {
    out.push_str(
        "\n# Supervision of every plugin: hook timeouts, health checks, restarts.\n\
         # A plugin section may override any of it: supervision = { ... }.\n",
    );
    let supervision_schema = Described::root(&BUILTIN.supervision.schema);
    match Table::of(&Supervision::default()) {
        Some(table) => write_table(
            out,
            &mut vec!["supervision".to_owned()],
            &table,
            Some(supervision_schema),
        ),
        // Cannot happen (plain numbers and strings); stay valid regardless.
        None => out.push_str("[supervision]\n"),
    }
    if kinds.is_empty() {
        return;
    }
    out.push_str(
        "\n# Calls to the plugins of each kind. The timeout can also be set with\n\
         # PEGBOARD_TIMEOUT_<KIND>_MS.\n",
    );
    let schema = Described::root(&BUILTIN.dispatch.schema);
    let defaults = Table::of(&KindDispatch::default()).unwrap_or_default();
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_table(
            out,
            &mut vec!["dispatch".to_owned(), kind.clone()],
            &defaults,
            Some(schema),
        );
        // The payload guards have no default: shown as examples.
        for guard in ["max_input_bytes", "max_output_bytes"] {
            if let (Some(text), _) = Described::text_of_key(Some(schema), guard) {
                comment(out, &text);
            }
            out.push_str(&format!("# {guard} = 1048576\n"));
        }
    }
}

/// A host's own section, commented out (pegboard cannot know what its mere
/// presence means to the host, e.g. `[remote]` serves plugins): the
/// `default` of each of its schema's properties, under its description.
pub(crate) fn host_section(out: &mut String, name: &str, schema: &Value) {
    let described = Described::root(schema);
    let root = described.resolved(schema);
    let mut table = Table::default();
    if let Some(Value::Object(properties)) = root.get("properties") {
        for (key, property) in properties {
            let Some(default) = property.get("default") else {
                continue;
            };
            let mut one = serde_json::Map::new();
            one.insert(key.clone(), default.clone());
            if let Some(entry) = Table::from_json(&Value::Object(one)) {
                table.append(entry);
            }
        }
    }
    out.push('\n');
    let about = first_line(Some(root)).unwrap_or_else(|| "a section of the host".to_owned());
    comment(out, &format!("[{name}]: {about}"));
    comment(
        out,
        "Read by the host itself; commented out, with the defaults of its schema.",
    );
    let mut section = String::new();
    write_table(
        &mut section,
        &mut vec![name.to_owned()],
        &table,
        Some(described),
    );
    for line in section.lines() {
        comment_line(out, line);
    }
}

/// A plugin's section: `enabled = true` and its defaults (`None` when
/// they are not shown), under `heading`.
pub(crate) fn plugin_section(
    out: &mut String,
    heading: &str,
    [kind, name]: [&str; 2],
    schema: Option<&Value>,
    defaults: Option<&Value>,
) {
    out.push('\n');
    comment(out, heading);
    let mut table = Table::default();
    table.push("enabled", toml::Value::Boolean(true));
    if let Some(mut defaults) = defaults.and_then(Table::from_json) {
        defaults.retain(|key| !RESERVED_KEYS.contains(&key));
        table.append(defaults);
    }
    let mut path = vec!["plugins".to_owned(), kind.to_owned(), name.to_owned()];
    write_table(out, &mut path, &table, schema.map(Described::root));
}
