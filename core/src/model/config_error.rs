//! The error every configuration check reports: which plugin, where in the
//! document, which rule. A model type because a plugin's failure
//! ([`Failure::Config`](crate::model::state::Failure::Config)) carries them.

use std::fmt;

/// One problem found in the configuration.
///
/// Displayed on one line:
///
/// ```text
/// store.memory: /plugins/store/memory/capacity: "lots" is not of type "integer" (rule: type)
/// /plugins/store/memroy: unknown plugin section `store.memroy` (did you mean `store.memory`?) (rule: unknown_section)
/// line 3, column 7: <toml message> (rule: parse)
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[error("{}", render(self))]
pub struct ConfigError {
    /// The plugin id, when the error is in a plugin's section.
    pub plugin: Option<String>,
    /// JSON pointer from the document root, e.g.
    /// `/plugins/store/memory/capacity` (empty for the root and for parse
    /// errors). For a missing required field, it points at the missing key.
    pub path: String,
    /// The failed JSON-schema keyword (`type`, `minimum`, `required`,
    /// `additionalProperties`, `enum`, ...) or one of ours: `parse`,
    /// `unknown_section`, `env`, `schema`, [`UNKNOWN_KIND`](Self::UNKNOWN_KIND).
    pub rule: String,
    /// The offending value (for an unknown field: that field's value; for an
    /// environment override: the variable's raw value).
    pub value: Option<serde_json::Value>,
    /// Human-readable description.
    pub message: String,
    /// The likely intended key or section ("did you mean ...?").
    pub suggestion: Option<String>,
    /// 1-based line, for parse errors.
    pub line: Option<usize>,
    /// 1-based column (in characters), for parse errors.
    pub column: Option<usize>,
}

impl ConfigError {
    /// The rule of a `PEGBOARD_TIMEOUT_<KIND>_MS` variable naming no kind
    /// of the composition: a [lenient](Self::is_lenient) error.
    pub const UNKNOWN_KIND: &'static str = "unknown_kind";

    /// Whether this error is only a warning unless the host is strict: a
    /// registry build logs it (`plugin.registry.validation_warning`, with its
    /// did-you-mean) and goes on, and so does `run` without `--strict`;
    /// `config check` and `run --strict` refuse it. Only an override
    /// variable for a kind that does not exist is lenient: it changes
    /// nothing that exists.
    pub fn is_lenient(&self) -> bool {
        self.rule == Self::UNKNOWN_KIND
    }

    /// An error with the given rule, path and message, everything else empty.
    pub(crate) fn new(
        rule: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            plugin: None,
            path: path.into(),
            rule: rule.into(),
            value: None,
            message: message.into(),
            suggestion: None,
            line: None,
            column: None,
        }
    }

    pub(crate) fn with_plugin(mut self, plugin: Option<&str>) -> Self {
        self.plugin = plugin.map(str::to_owned);
        self
    }

    pub(crate) fn with_value(mut self, value: Option<serde_json::Value>) -> Self {
        self.value = value;
        self
    }

    pub(crate) fn with_suggestion(mut self, suggestion: Option<String>) -> Self {
        self.suggestion = suggestion;
        self
    }
}

fn render(e: &ConfigError) -> String {
    use fmt::Write as _;
    let mut out = String::new();
    if let Some(plugin) = &e.plugin {
        let _ = write!(out, "{plugin}: ");
    }
    match (e.line, e.column) {
        (Some(line), Some(column)) => {
            let _ = write!(out, "line {line}, column {column}: ");
        }
        (Some(line), None) => {
            let _ = write!(out, "line {line}: ");
        }
        _ => {}
    }
    if !e.path.is_empty() {
        let _ = write!(out, "{}: ", e.path);
    }
    // Keep the error on one line whatever the message holds.
    let mut message = e.message.lines().map(str::trim_end).collect::<Vec<_>>();
    message.retain(|l| !l.is_empty());
    out.push_str(&message.join(" "));
    if let Some(s) = &e.suggestion {
        let _ = write!(out, " (did you mean `{s}`?)");
    }
    let _ = write!(out, " (rule: {})", e.rule);
    out
}
