//! The plugins as the validator holds them, and how the sections of a
//! document find theirs.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::compiled::Compiled;
use super::pointer::pointer;
use super::text::Text;

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) kind: Text,
    pub(super) name: Text,
    /// `None` for a plugin without config type whose defaults are the empty
    /// object (what the registry gives such plugins): nothing to hold,
    /// check or drop.
    pub(super) config: Option<Box<EntryConfig>>,
}

#[derive(Debug)]
pub(super) struct EntryConfig {
    /// The schema as given (for its description).
    pub(super) schema: Option<Arc<Value>>,
    pub(super) defaults: Value,
    /// `None` when the plugin takes no config; shared by every plugin with
    /// an equal schema.
    pub(super) compiled: Option<Arc<Compiled>>,
}

impl Entry {
    pub(super) fn id(&self) -> String {
        format!("{}.{}", &*self.kind, &*self.name)
    }

    /// The JSON pointer of the plugin's section.
    pub(super) fn base(&self) -> String {
        pointer(["plugins", &self.kind, &self.name])
    }

    pub(super) fn compiled(&self) -> Option<&Compiled> {
        self.config.as_ref()?.compiled.as_deref()
    }

    /// The defaults; `None` for the empty object.
    pub(super) fn defaults(&self) -> Option<&Value> {
        self.config.as_ref().map(|c| &c.defaults)
    }

    /// A copy of the defaults.
    pub(super) fn defaults_value(&self) -> Value {
        self.defaults()
            .map_or_else(|| Value::Object(Map::new()), Value::clone)
    }
}

/// Finds the plugins of sections: the entry indices sorted by id, and where
/// the last search ended. The sections of a document come sorted too (TOML
/// tables are sorted maps), so the next one is usually found right there;
/// any other order works, with a binary search.
pub(super) struct SectionCursor<'v> {
    pub(super) entries: &'v [Entry],
    /// Entry indices sorted by (kind, name).
    pub(super) order: &'v [usize],
    /// Where the last search ended: 0, or just past a run of equal ids.
    pub(super) next: usize,
}

impl<'v> SectionCursor<'v> {
    fn key(&self, position: usize) -> (&'v str, &'v str) {
        let e = &self.entries[self.order[position]];
        (&e.kind, &e.name)
    }

    /// The indices of the plugins with id `<kind>.<name>`.
    pub(super) fn find(&mut self, kind: &str, name: &str) -> impl Iterator<Item = usize> + use<'v> {
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

/// One plugin for [`ConfigValidator::from_plugins`](super::ConfigValidator::from_plugins).
pub(crate) struct Plugin {
    pub(crate) kind: Cow<'static, str>,
    pub(crate) name: Cow<'static, str>,
    /// The schema (`None`: no config type) and the defaults; `None` for a
    /// plugin without config type whose defaults are the empty object.
    pub(crate) config: Option<(Option<Arc<Value>>, Value)>,
}
