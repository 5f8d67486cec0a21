//! The comments of `default_document`: each key and table under its
//! schema's description.

use super::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Retries of the fetcher.
#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
#[serde(default)]
struct Retry {
    /// Attempts before giving up.
    attempts: u32,
    backoff_ms: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            backoff_ms: 100,
        }
    }
}

/// How pages are fetched.
#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Polite,
    Eager,
}

/// Fetches pages.
///
/// More about it.
#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct FetchConfig {
    /// The user agent sent with every request.
    user_agent: String,
    /// Pages fetched at once.
    ///
    /// Keep it low: sites throttle eager crawlers.
    concurrency: u32,
    mode: Mode,
    /// Retries of a failed fetch.
    retry: Retry,
    /// Hosts by name.
    hosts: BTreeMap<String, Retry>,
    undocumented: bool,
    /// A proxy, if any (`None`: not written).
    proxy: Option<String>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: "fetch/1".into(),
            concurrency: 4,
            mode: Mode::Polite,
            retry: Retry::default(),
            hosts: BTreeMap::from([("example.org".to_owned(), Retry::default())]),
            undocumented: true,
            proxy: None,
        }
    }
}

/// `[server]` of the host.
#[derive(Serialize, Deserialize, JsonSchema, Debug)]
#[serde(default, deny_unknown_fields)]
struct Server {
    /// Where to listen.
    listen: String,
    /// The admin token, if any.
    token: Option<String>,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: "127.0.0.1:8080".into(),
            token: None,
        }
    }
}

fn fetch_plugin() -> PluginSchema {
    PluginSchema {
        kind: "fetcher".into(),
        name: "web".into(),
        schema: Some(Arc::new(schemars::schema_for!(FetchConfig).to_value())),
        defaults: serde_json::to_value(FetchConfig::default()).unwrap(),
    }
}

fn host_sections() -> Vec<(String, Value)> {
    vec![(
        "server".to_owned(),
        schemars::schema_for!(Server).to_value(),
    )]
}

fn assert_valid(validator: &ConfigValidator, text: &str) {
    let doc = Document::from_toml_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let v = validator.validate(&doc);
    assert!(v.is_ok(), "{text}\n{:?}", v.errors().collect::<Vec<_>>());
}

#[test]
fn field_doc_comments_sit_right_above_their_keys() {
    let validator = ConfigValidator::new(vec![fetch_plugin()]);
    let text = validator.default_document();
    for needle in [
        // The struct's doc, first line, above the section; then the fields.
        "\n# fetcher.web: Fetches pages.\n[plugins.fetcher.web]\nenabled = true\n",
        "\n# Pages fetched at once.\n#\n# Keep it low: sites throttle eager crawlers.\nconcurrency = 4\n",
        // A field without a doc of its own: its type's.
        "\n# How pages are fetched.\nmode = \"polite\"\n",
        "\n# The user agent sent with every request.\nuser_agent = \"fetch/1\"\n",
        // Nested tables: the field's doc above the header, theirs inside.
        "\n\n# Retries of a failed fetch.\n[plugins.fetcher.web.retry]\n# Attempts before giving up.\nattempts = 3\nbackoff_ms = 100\n",
        // A map: its doc above it, the value type's fields inside each entry.
        "\n\n# Hosts by name.\n[plugins.fetcher.web.hosts]\n\n[plugins.fetcher.web.hosts.\"example.org\"]\n# Attempts before giving up.\nattempts = 3\n",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(
        text.contains("\nenabled = true\n# The user agent")
            || text.contains("\nenabled = true\n# Pages fetched"),
        "{text}"
    );
    assert!(text.contains("\nundocumented = true\n"), "{text}");
    assert!(!text.contains("proxy"), "None is not written:\n{text}");
    assert_valid(&validator, &text);
}

#[test]
fn settings_fields_have_their_docs() {
    let validator = ConfigValidator::new(vec![fetch_plugin()]);
    let text = validator.default_document();
    for needle in [
        "\n[supervision]\n# Time allowed for a plugin's `start` hook, in milliseconds (default 30000).\nstart_timeout_ms = 30000\n",
        "\n# Consecutive unhealthy checks before the plugin counts as failed (and\n# is restarted according to the restart policy); default 3.\nunhealthy_threshold = 3\n",
        "\n# What happens when the plugin fails.\n[supervision.restart]\n",
        "\n[dispatch.fetcher]\n# Time allowed for one call, in milliseconds (default 5000).\ntimeout_ms = 5000\n# Payload guard: calls whose input is larger",
        "(default: no limit).\n# max_input_bytes = 1048576\n",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn host_sections_are_shown_commented_out_with_their_docs() {
    let validator = ConfigValidator::new(vec![fetch_plugin()]).with_host_sections(host_sections());
    let text = validator.default_document();
    assert!(
        text.contains(
            "\n# [server]: `[server]` of the host.\n\
             # Read by the host itself; commented out, with the defaults of its schema.\n\
             # [server]\n\
             # # Where to listen.\n\
             # listen = \"127.0.0.1:8080\"\n"
        ),
        "{text}"
    );
    assert!(!text.contains("\n[server]"), "{text}");
    assert_valid(&validator, &text);
    // Uncommented, the section is valid too.
    let uncommented = text.replace(
        "\n# [server]\n# # Where to listen.\n# listen",
        "\n[server]\nlisten",
    );
    assert!(uncommented.contains("\n[server]\nlisten"), "{uncommented}");
    assert_valid(&validator, &uncommented);
}

#[test]
fn odd_descriptions_and_keys_stay_valid_toml() {
    let schema = json!({
        "description": "first\r\nsecond\u{0}line\u{7f}\n\n\n",
        "type": "object",
        "properties": {
            "a.b": { "description": "dotted\rkey", "type": "integer" },
            "del\u{7f}": { "type": "string" },
            "nested": {
                "description": "multi\nline",
                "type": "object",
                "properties": { "": { "description": "\n\n  \n", "type": "string" } }
            }
        }
    });
    let plugin = PluginSchema {
        kind: "odd".into(),
        name: "one".into(),
        schema: Some(Arc::new(schema)),
        defaults: json!({
            "a.b": 1,
            "del\u{7f}": "x\u{7f}\"\n",
            "nested": { "": "" }
        }),
    };
    let validator = ConfigValidator::new(vec![plugin]);
    let text = validator.default_document();
    assert!(text.contains("\n# odd.one: first\n"), "{text}");
    assert!(text.contains("\n# dotted key\n\"a.b\" = 1\n"), "{text}");
    assert!(
        text.contains("\n# multi\n# line\n[plugins.odd.one.nested]\n"),
        "{text}"
    );
    assert_valid(&validator, &text);
}
