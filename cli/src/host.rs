//! `[host]`: how `run` treats the config file, a section every host has.

/// `[host]` in the config file.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(super) struct HostSection {
    /// Refuse to run when any plugin's section is invalid or an override
    /// variable names no plugin kind, as `run --strict` does. Otherwise
    /// such a plugin fails alone (reason `invalid_config`) and the rest run.
    pub(super) strict: bool,
}

impl HostSection {
    /// The section's name.
    pub(super) const NAME: &'static str = "host";

    /// `[host] strict` of `document`; `false` when absent or not a boolean
    /// (the check that follows reports the latter).
    pub(super) fn strict(document: &pegboard_core::config::Document) -> bool {
        document
            .section(Self::NAME)
            .and_then(|host| host.get("strict"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }
}
