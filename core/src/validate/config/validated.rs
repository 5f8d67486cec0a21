//! What validating a document gives: the document errors, per plugin its
//! effective config or its errors, and the settings.

use serde_json::Value;

use super::text::Text;
use crate::model::config_error::ConfigError;
use crate::validate::settings::Settings;

/// The outcome of [`ConfigValidator::validate`](super::ConfigValidator::validate).
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// Errors not attributable to one plugin: unknown `[plugins.x.y]`
    /// sections and kinds, `plugins` (or a kind) not being a table, any
    /// error in `[supervision]` or `[dispatch]` (an unknown kind there
    /// included), and, when the host declared its sections
    /// ([`ConfigValidator::with_host_sections`](super::ConfigValidator::with_host_sections)),
    /// unknown top-level sections and errors in the host's sections. A host
    /// refuses to start when this is non-empty.
    pub document_errors: Vec<ConfigError>,
    /// One per plugin, in the order given to
    /// [`ConfigValidator::new`](super::ConfigValidator::new).
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
    pub(super) kind: Text,
    pub(super) name: Text,
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
