//! Configuration: one TOML file for the host, one section per plugin.
//!
//! Each plugin `<kind>.<name>` owns the section `[plugins.<kind>.<name>]`.
//! Its fields are checked against the JSON schema of the plugin's config type;
//! fields left out take the plugin's defaults. Every section may also hold the
//! [reserved keys](RESERVED_KEYS): `enabled` (a boolean) and `supervision`
//! (this plugin's overrides of `[supervision]`).
//!
//! pegboard also owns two top-level sections, the runtime
//! [settings](crate::validate::settings): `[supervision]` (hook timeouts, health
//! checks, restarts; see [`Supervision`](crate::validate::settings::Supervision)) and
//! `[dispatch.<kind>]` (per-kind call timeout and payload guards; see
//! [`KindDispatch`](crate::validate::settings::KindDispatch)). Any other top-level
//! section belongs to the host; a host that declares its sections
//! ([`ConfigValidator::with_host_sections`]) gets them checked too, and
//! unknown ones reported.
//!
//! ```toml
//! [server]            # the host's own settings, see Document::section
//! port = 8080
//!
//! [supervision]       # every plugin
//! start_timeout_ms = 10000
//! restart = { policy = "on-failure", max_restarts = 3 }
//!
//! [dispatch.store]    # calls to the plugins of kind `store`
//! timeout_ms = 250
//! max_input_bytes = 65536
//!
//! [plugins.store.memory]
//! capacity = 500
//! supervision = { start_timeout_ms = 2000, restart = { policy = "never" } }
//!
//! [plugins.classifier.language-detect]
//! enabled = false
//! ```
//!
//! The flow is: [`Document::from_toml_str`] → [`ConfigValidator::apply_env`]
//! → [`ConfigValidator::validate`], which returns a [`Validated`]: the
//! document-level errors, per plugin either its effective config or *every*
//! error found in its section (validation never stops at the first), and the
//! resolved [`Settings`](crate::validate::settings::Settings).
//!
//! Errors in `[supervision]` and `[dispatch]` (an unknown kind there
//! included) are document errors: a host refuses to start with them. Errors
//! in a plugin's `supervision` fail only that plugin.
//!
//! ```
//! # extern crate pegboard_core as pegboard;
//! use pegboard::config::{ConfigValidator, Document, PluginSchema};
//! use serde_json::json;
//! use std::sync::Arc;
//!
//! let validator = ConfigValidator::new([PluginSchema {
//!     kind: "store".into(),
//!     name: "memory".into(),
//!     schema: Some(Arc::new(json!({
//!         "type": "object",
//!         "properties": {
//!             "capacity": { "type": "integer", "minimum": 1 },
//!             "label": { "type": "string" }
//!         }
//!     }))),
//!     defaults: json!({ "capacity": 100, "label": "mem" }),
//! }]);
//!
//! let mut doc = Document::from_toml_str("[plugins.store.memory]\ncapacity = 5\n")?;
//! let env_errors = validator.apply_env(&mut doc, [("PEGBOARD__PLUGINS__STORE__MEMORY__LABEL", "ram")]);
//! assert!(env_errors.is_empty());
//!
//! let validated = validator.validate(&doc);
//! assert!(validated.is_ok());
//! assert_eq!(validated.plugins[0].value, Ok(json!({ "capacity": 5, "label": "ram" })));
//!
//! // A typo is reported with a suggestion.
//! let doc = Document::from_toml_str("[plugins.store.memory]\ncapacty = 5\n")?;
//! let validated = validator.validate(&doc);
//! let error = validated.errors().next().unwrap();
//! assert_eq!(error.path, "/plugins/store/memory/capacty");
//! assert_eq!(error.suggestion.as_deref(), Some("capacity"));
//! # Ok::<(), pegboard::config::ConfigError>(())
//! ```
//!
//! # Environment overrides
//!
//! Two kinds of variables override the file: `PEGBOARD__<SEG>__<SEG>...` for
//! any value, and `PEGBOARD_TIMEOUT_<KIND>_MS` for a kind's dispatch timeout.
//! [`ConfigValidator::apply_env`] applies the first kind, then the second
//! (which therefore wins when both set the same timeout).
//!
//! ## `PEGBOARD__<SEG>__<SEG>...`
//!
//! A variable named `PEGBOARD__<SEG>__<SEG>...` — the prefix `PEGBOARD`, then
//! path segments each introduced by a double underscore — sets the value at
//! that path of the document, replacing what the file says:
//!
//! ```text
//! PEGBOARD__PLUGINS__STORE__MEMORY__CAPACITY=500        plugins.store.memory.capacity = 500
//! PEGBOARD__PLUGINS__CLASSIFIER__LANGUAGE_DETECT__ENABLED=false
//!                                                       plugins.classifier.language-detect.enabled = false
//! PEGBOARD__SUPERVISION__START_TIMEOUT_MS=5000          supervision.start_timeout_ms = 5000
//! PEGBOARD__SUPERVISION__RESTART__POLICY=never          supervision.restart.policy = "never"
//! PEGBOARD__PLUGINS__STORE__MEMORY__SUPERVISION__RESTART__MAX_RESTARTS=1
//!                                                       plugins.store.memory.supervision.restart.max_restarts = 1
//! PEGBOARD__DISPATCH__STORE__MAX_INPUT_BYTES=65536      dispatch.store.max_input_bytes = 65536
//! PEGBOARD__SERVER__HOST=0.0.0.0                        server.host = "0.0.0.0"
//! PEGBOARD__SERVER__NAME='"42"'                         server.name = "42" (a string, not a number)
//! ```
//!
//! * Segments are matched case-insensitively against the keys already in the
//!   document and (with [`ConfigValidator::apply_env`]) the known plugin kinds,
//!   names and top-level config fields, the sections pegboard owns
//!   (`plugins`, `supervision`, `dispatch`) and their fields, the known kinds
//!   under `dispatch`, and the declared host sections; `_` in the variable
//!   also matches `-` in a key, so `LANGUAGE_DETECT` matches
//!   `language-detect`. When nothing matches, the lower-cased segment is used
//!   as the key.
//! * The value is parsed as a TOML value (`true`, `42`, `1.5`, `"text"`,
//!   `[1, 2]`, `{ a = 1 }`); if it does not parse it is taken as a plain
//!   string. Quote it to force a string (`'"42"'` in a shell).
//! * Missing tables on the way are created. A variable whose path would
//!   descend into a value that is not a table (an integer, an array, ...)
//!   is not applied and yields an error with rule `env`, as does a variable
//!   with an empty segment (`PEGBOARD__PLUGINS____X`).
//! * Variables not starting with exactly `PEGBOARD__` are ignored, so
//!   `PEGBOARD_ADMIN_TOKEN` (single underscore) is not an override.
//! * Variables are applied in the order of their names, so the result does
//!   not depend on the order the environment lists them in.
//! * An override for a plugin that does not exist creates an unknown section,
//!   which [`ConfigValidator::validate`] reports like any other.
//!
//! ## `PEGBOARD_TIMEOUT_<KIND>_MS`
//!
//! A variable named `PEGBOARD_TIMEOUT_<KIND>_MS` (single underscores) whose
//! value is an integer sets `dispatch.<kind>.timeout_ms`, the time allowed
//! for one call to a plugin of that kind, in milliseconds (SPEC X2):
//!
//! ```text
//! PEGBOARD_TIMEOUT_STORE_MS=250                         dispatch.store.timeout_ms = 250
//! PEGBOARD_TIMEOUT_HTTP_ROUTES_MS=1000                  dispatch.http_routes.timeout_ms = 1000
//! PEGBOARD_TIMEOUT_TEXT_FILTER_MS=1000                  dispatch.text-filter.timeout_ms = 1000
//! ```
//!
//! * `<KIND>` is matched case-insensitively against the known plugin kinds,
//!   `_` also matching `-` ([`timeout_variable`] gives the variable of a
//!   kind). Only [`ConfigValidator::apply_env`] applies these variables
//!   ([`Document::apply_env`] does not know the kinds and ignores them).
//! * The value is an integer (surrounding spaces allowed); its range is
//!   checked by [`ConfigValidator::validate`] like a value from the file
//!   (at least 1).
//! * A variable naming no known kind, not of the form
//!   `PEGBOARD_TIMEOUT_<KIND>_MS`, or whose value is not an integer is not
//!   applied and yields an error with rule `env` (for a near miss, the
//!   suggestion is the intended variable). So does one that cannot be
//!   applied because `dispatch` or `dispatch.<kind>` is not a table in the
//!   document.
//! * Variables are applied in the order of their names, after every
//!   `PEGBOARD__` variable.
//!
//! [`env_vars`] reads the process environment (the variables of both kinds)
//! without panicking on non-Unicode entries (unlike `std::env::vars`).

// The files form layers: each imports only from the layers above it, so no
// two files import each other, directly or not. mod.rs only re-exports.
// `ConfigValidator`'s methods are spread over the last layers by concept.

// 1. Imports nothing from config.
mod env;
mod plugin_schema;
mod pointer;
mod suggest;
mod text;

// 2. JSON-schema surgery, the parsed document, schema violations as errors.
mod document;
mod schema;
mod violations;

// 3. pegboard's own sections and the host's.
mod sections;

// 4. A plugin section's reserved keys (`supervision` refers to the schema of
//    `[supervision]`).
mod reserved;

// 5. The compiled plugin schemas.
mod compiled;

// 6. The plugins as the validator holds them, what validating gives.
mod entry;
mod validated;

// 7. Validating one plugin's section.
mod plugin_section;

// 8. `ConfigValidator`: building it, validating documents.
mod validator;

// 9. `ConfigValidator`'s other methods.
mod default_document;
mod document_schema;
mod env_overrides;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_default_document;
#[cfg(test)]
mod tests_settings;

pub use crate::model::config_error::ConfigError;
pub use document::{Document, env_vars, env_vars_of};
pub(crate) use entry::Plugin;
pub use env::{
    ENV_PREFIX, EnvPair, EnvPrefix, InvalidEnvPrefix, TIMEOUT_ENV_PREFIX, timeout_variable,
};
pub use plugin_schema::PluginSchema;
pub use reserved::RESERVED_KEYS;
pub use validated::{PluginConfig, Validated};
pub use validator::ConfigValidator;
