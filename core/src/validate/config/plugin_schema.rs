//! A plugin as given to the validator.

use std::borrow::Cow;
use std::sync::Arc;

/// One plugin as the validator sees it.
///
/// The names are [`Cow`]s so that plugins known at compile time (the
/// registry's descriptors) cost no allocation: `"store".into()` borrows,
/// `format!(..).into()` owns. The schema is shared: plugins given the same
/// schema (the same [`Arc`], or equal values) share one compiled validator.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// use pegboard::config::PluginSchema;
///
/// let plugin = PluginSchema::new("store", "memory", None, serde_json::json!({}));
/// assert_eq!(plugin.id(), "store.memory");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSchema {
    /// The plugin kind (first half of the id).
    pub kind: Cow<'static, str>,
    /// The plugin name (second half of the id).
    pub name: Cow<'static, str>,
    /// The JSON schema of the plugin's config type (as produced by
    /// `schemars::schema_for!`), or `None` when the plugin takes no config:
    /// its section may then only hold the [reserved keys](super::RESERVED_KEYS).
    pub schema: Option<Arc<serde_json::Value>>,
    /// The default config, serialized (`serde_json::to_value(T::default())`).
    pub defaults: serde_json::Value,
}

impl PluginSchema {
    /// A plugin with the given kind, name, schema and defaults.
    pub fn new(
        kind: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
        schema: Option<Arc<serde_json::Value>>,
        defaults: serde_json::Value,
    ) -> Self {
        PluginSchema {
            kind: kind.into(),
            name: name.into(),
            schema,
            defaults,
        }
    }

    /// The plugin id, `<kind>.<name>`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }
}
