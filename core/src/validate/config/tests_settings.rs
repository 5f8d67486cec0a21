//! The runtime settings sections: `[supervision]`, `[dispatch]`, a plugin's
//! `supervision`, the host sections and `PEGBOARD_TIMEOUT_<KIND>_MS`
//! (SPEC L1, L4, L5, X2, X4).

use super::*;
use crate::validate::settings::{KindDispatch, Restart, RestartPolicy, Settings, Supervision};
use proptest::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
struct MemoryConfig {
    capacity: u32,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig { capacity: 100 }
    }
}

fn plugin(kind: &str, name: &str, schema: Option<Value>, defaults: Value) -> PluginSchema {
    PluginSchema {
        kind: kind.to_owned().into(),
        name: name.to_owned().into(),
        schema: schema.map(Arc::new),
        defaults,
    }
}

/// Plugins: store.memory (with config), store.file, text-filter.profanity
/// (a kind with a dash), classifier.keywords.
fn validator() -> ConfigValidator {
    ConfigValidator::new(vec![
        plugin(
            "store",
            "memory",
            Some(schemars::schema_for!(MemoryConfig).to_value()),
            serde_json::to_value(MemoryConfig::default()).unwrap(),
        ),
        plugin("store", "file", None, json!({})),
        plugin("text-filter", "profanity", None, json!({})),
        plugin("classifier", "keywords", None, json!({})),
    ])
}

const MEMORY: usize = 0;
const FILE: usize = 1;

fn doc(text: &str) -> Document {
    Document::from_toml_str(text).unwrap()
}

fn validate(text: &str) -> Validated {
    validator().validate(&doc(text))
}

fn plugin_errors(v: &Validated, index: usize) -> Vec<ConfigError> {
    let mut errors = v.plugins[index].value.clone().err().unwrap_or_default();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors
}

fn sorted(mut errors: Vec<ConfigError>) -> Vec<ConfigError> {
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors
}

/// (path, rule, suggestion) of each error.
fn summary(errors: &[ConfigError]) -> Vec<(&str, &str, Option<&str>)> {
    errors
        .iter()
        .map(|e| (e.path.as_str(), e.rule.as_str(), e.suggestion.as_deref()))
        .collect()
}

// --- defaults -----------------------------------------------------------------

#[test]
fn defaults_when_no_section_is_given() {
    let v = validate("");
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    let s = &v.settings;
    let expected = Supervision {
        start_timeout_ms: 30_000,
        stop_timeout_ms: 30_000,
        health_timeout_ms: 5_000,
        health_interval_ms: 10_000,
        unhealthy_threshold: 3,
        restart: Restart {
            policy: RestartPolicy::OnFailure,
            max_restarts: 5,
            window_ms: 60_000,
            backoff_initial_ms: 100,
            backoff_max_ms: 30_000,
            backoff_multiplier: 2.0,
        },
    };
    assert_eq!(s.supervision, expected);
    assert_eq!(Supervision::default(), expected);
    for i in 0..4 {
        assert_eq!(s.plugin(i), &expected);
    }
    assert!(s.dispatch.is_empty(), "no section, nothing but defaults");
    let default_dispatch = KindDispatch {
        timeout_ms: 5_000,
        max_input_bytes: None,
        max_output_bytes: None,
    };
    assert!(s.dispatch.values().all(|d| *d == default_dispatch));
    assert_eq!(s.dispatch("store"), default_dispatch);
    assert_eq!(s.dispatch("no-such-kind"), default_dispatch);

    assert_eq!(expected.start_timeout(), Duration::from_secs(30));
    assert_eq!(expected.stop_timeout(), Duration::from_secs(30));
    assert_eq!(expected.health_timeout(), Duration::from_secs(5));
    assert_eq!(expected.health_interval(), Some(Duration::from_secs(10)));
    assert_eq!(default_dispatch.timeout(), Duration::from_secs(5));
    let no_checks = Supervision {
        health_interval_ms: 0,
        ..Supervision::default()
    };
    assert_eq!(no_checks.health_interval(), None);
}

#[test]
fn serde_forms_match_the_file_format() {
    let policy: RestartPolicy = serde_json::from_value(json!("on-failure")).unwrap();
    assert_eq!(policy, RestartPolicy::OnFailure);
    assert_eq!(
        serde_json::to_value(RestartPolicy::Never).unwrap(),
        json!("never")
    );
    // Every field optional, unknown ones refused.
    let s: Supervision =
        toml::from_str("stop_timeout_ms = 1\n[restart]\nmax_restarts = 0\n").unwrap();
    assert_eq!(s.stop_timeout_ms, 1);
    assert_eq!(s.restart.max_restarts, 0);
    assert_eq!(s.restart.window_ms, 60_000);
    assert!(toml::from_str::<Supervision>("stop_timeout = 1\n").is_err());
    assert!(toml::from_str::<KindDispatch>("timeout = 1\n").is_err());
}

// --- global and per-plugin supervision -----------------------------------------

#[test]
fn global_supervision_overrides_defaults_for_every_plugin() {
    let v = validate(
        r#"
[supervision]
start_timeout_ms = 1000
health_interval_ms = 0

[supervision.restart]
policy = "never"
backoff_multiplier = 3
"#,
    );
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    let global = &v.settings.supervision;
    assert_eq!(global.start_timeout_ms, 1000);
    assert_eq!(global.stop_timeout_ms, 30_000);
    assert_eq!(global.health_interval(), None);
    assert_eq!(global.restart.policy, RestartPolicy::Never);
    assert_eq!(global.restart.backoff_multiplier, 3.0);
    assert_eq!(global.restart.max_restarts, 5);
    assert!((0..4).all(|i| v.settings.plugin(i) == global));
}

#[test]
fn plugin_supervision_is_laid_over_the_global_one_field_by_field() {
    let v = validate(
        r#"
[supervision]
start_timeout_ms = 1000
restart = { max_restarts = 2, backoff_initial_ms = 50 }

[plugins.store.memory]
capacity = 7
supervision = { stop_timeout_ms = 7, restart = { max_restarts = 9 } }
"#,
    );
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    let memory = v.settings.plugin(MEMORY);
    assert_eq!(memory.stop_timeout_ms, 7, "from the plugin");
    assert_eq!(memory.start_timeout_ms, 1000, "from [supervision]");
    assert_eq!(memory.health_timeout_ms, 5_000, "default");
    assert_eq!(memory.restart.max_restarts, 9, "from the plugin");
    assert_eq!(memory.restart.backoff_initial_ms, 50, "from [supervision]");
    assert_eq!(memory.restart.policy, RestartPolicy::OnFailure, "default");
    // The other plugins have the global settings.
    assert_eq!(v.settings.plugin(FILE), &v.settings.supervision);
    assert_eq!(v.settings.supervision.restart.max_restarts, 2);
    // `supervision` is not part of the plugin's own config.
    assert_eq!(v.plugins[MEMORY].value, Ok(json!({ "capacity": 7 })));

    // A plugin without config accepts it too.
    let v = validate("[plugins.store.file]\nsupervision = { restart = { policy = \"never\" } }\n");
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(v.settings.plugin(FILE).restart.policy, RestartPolicy::Never);
    assert_eq!(v.plugins[FILE].value, Ok(json!({})));
}

#[test]
fn a_bad_plugin_supervision_fails_only_that_plugin() {
    let v = validate(
        r#"
[plugins.store.memory]
supervision = { start_timeout_ms = 0, helth_timeout_ms = 1, restart = { policy = "sometimes", backoff_multiplier = 0.5 } }
"#,
    );
    assert!(v.document_errors.is_empty(), "{:?}", v.document_errors);
    let errors = plugin_errors(&v, MEMORY);
    assert_eq!(
        summary(&errors),
        [
            (
                "/plugins/store/memory/supervision/helth_timeout_ms",
                "additionalProperties",
                Some("health_timeout_ms")
            ),
            (
                "/plugins/store/memory/supervision/restart/backoff_multiplier",
                "minimum",
                None
            ),
            (
                "/plugins/store/memory/supervision/restart/policy",
                "enum",
                None
            ),
            (
                "/plugins/store/memory/supervision/start_timeout_ms",
                "minimum",
                None
            ),
        ]
    );
    assert!(
        errors
            .iter()
            .all(|e| e.plugin.as_deref() == Some("store.memory"))
    );
    let policy = &errors[2];
    assert_eq!(policy.value, Some(json!("sometimes")));
    assert_eq!(
        policy.to_string(),
        r#"store.memory: /plugins/store/memory/supervision/restart/policy: "sometimes" is not one of "never" or "on-failure" (rule: enum)"#
    );
    // The other plugins are fine, and the failed one falls back to the
    // global settings.
    assert!(v.plugins[FILE].value.is_ok());
    assert_eq!(v.settings.plugin(MEMORY), &Supervision::default());

    // Not a table; a typo of the key itself.
    let v = validate("[plugins.store.memory]\nsupervision = 5\n");
    let errors = plugin_errors(&v, MEMORY);
    assert_eq!(
        summary(&errors),
        [("/plugins/store/memory/supervision", "type", None)]
    );
    let v = validate("[plugins.store.file]\nsupervison = {}\n");
    let errors = plugin_errors(&v, FILE);
    assert_eq!(
        summary(&errors),
        [(
            "/plugins/store/file/supervison",
            "additionalProperties",
            Some("supervision")
        )]
    );
    let v = validate("[plugins.store.memory]\nsupervison = {}\n");
    assert_eq!(
        summary(&plugin_errors(&v, MEMORY)),
        [(
            "/plugins/store/memory/supervison",
            "additionalProperties",
            Some("supervision")
        )]
    );
}

#[test]
fn a_bad_global_supervision_is_a_document_error() {
    let v = validate(
        r#"
[supervision]
start_timeout_ms = "soon"
health_interval_ms = -1

[supervision.restart]
polcy = "never"
backoff_max_ms = 0
"#,
    );
    let errors = sorted(v.document_errors.clone());
    assert_eq!(
        summary(&errors),
        [
            ("/supervision/health_interval_ms", "minimum", None),
            ("/supervision/restart/backoff_max_ms", "minimum", None),
            (
                "/supervision/restart/polcy",
                "additionalProperties",
                Some("policy")
            ),
            ("/supervision/start_timeout_ms", "type", None),
        ]
    );
    assert!(errors.iter().all(|e| e.plugin.is_none()));
    assert_eq!(errors[3].value, Some(json!("soon")));
    assert_eq!(
        errors[2].to_string(),
        "/supervision/restart/polcy: unknown field `polcy` (did you mean `policy`?) (rule: additionalProperties)"
    );
    // The plugins are still validated; the settings are the defaults.
    assert!(v.plugins.iter().all(|p| p.value.is_ok()));
    assert_eq!(v.settings.supervision, Supervision::default());

    let v = validate("supervision = 3\n");
    assert_eq!(
        summary(&v.document_errors),
        [("/supervision", "type", None)]
    );
    let v = validate("[supervision]\nstart_timout_ms = 3\n");
    assert_eq!(
        summary(&v.document_errors),
        [(
            "/supervision/start_timout_ms",
            "additionalProperties",
            Some("start_timeout_ms")
        )]
    );
    // JSON Schema counts `1.0` as an integer; the fields do not.
    let v = validate(
        "[supervision]\nstart_timeout_ms = 1.0\nrestart = { max_restarts = 2.0, backoff_multiplier = 2 }\n",
    );
    assert_eq!(
        summary(&sorted(v.document_errors.clone())),
        [
            ("/supervision/restart/max_restarts", "type", None),
            ("/supervision/start_timeout_ms", "type", None),
        ]
    );
    assert_eq!(
        sorted(v.document_errors.clone())[1].to_string(),
        r#"/supervision/start_timeout_ms: 1.0 is not of type "integer" (rule: type)"#
    );
    let v = validate(
        "[plugins.store.memory]\nsupervision = { stop_timeout_ms = 2.0 }\n[dispatch.store]\nmax_input_bytes = 3.0\n",
    );
    assert_eq!(
        summary(&plugin_errors(&v, MEMORY)),
        [(
            "/plugins/store/memory/supervision/stop_timeout_ms",
            "type",
            None
        )]
    );
    assert_eq!(
        summary(&v.document_errors),
        [("/dispatch/store/max_input_bytes", "type", None)]
    );
}

#[test]
fn unhealthy_threshold_and_window_must_be_positive() {
    let v = validate(
        "[supervision]\nunhealthy_threshold = 0\nrestart = { window_ms = 0, max_restarts = 0 }\n",
    );
    assert_eq!(
        summary(&sorted(v.document_errors.clone())),
        [
            ("/supervision/restart/window_ms", "minimum", None),
            ("/supervision/unhealthy_threshold", "minimum", None),
        ]
    );
    let v = validate("[supervision]\nunhealthy_threshold = 4294967296\n");
    assert_eq!(
        summary(&v.document_errors),
        [("/supervision/unhealthy_threshold", "maximum", None)]
    );
}

// --- dispatch ---------------------------------------------------------------------

#[test]
fn dispatch_sections_per_kind() {
    let v = validate(
        r#"
[dispatch.store]
timeout_ms = 250
max_input_bytes = 1024

[dispatch.text-filter]
max_output_bytes = 0
"#,
    );
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(
        v.settings.dispatch("store"),
        KindDispatch {
            timeout_ms: 250,
            max_input_bytes: Some(1024),
            max_output_bytes: None,
        }
    );
    assert_eq!(
        v.settings.dispatch("store").timeout(),
        Duration::from_millis(250)
    );
    assert_eq!(v.settings.dispatch("text-filter").max_output_bytes, Some(0));
    assert_eq!(v.settings.dispatch("text-filter").timeout_ms, 5_000);
    assert_eq!(v.settings.dispatch("classifier"), KindDispatch::default());
}

#[test]
fn unknown_dispatch_kind_is_a_document_error_with_suggestion() {
    let v = validate("[dispatch.stor]\ntimeout_ms = 1\n\n[dispatch.zzz]\n");
    let errors = sorted(v.document_errors.clone());
    assert_eq!(
        summary(&errors),
        [
            ("/dispatch/stor", "unknown_section", Some("store")),
            ("/dispatch/zzz", "unknown_section", None),
        ]
    );
    assert_eq!(errors[0].value, Some(json!({ "timeout_ms": 1 })));
    assert_eq!(
        errors[0].to_string(),
        "/dispatch/stor: unknown plugin kind `stor` in `[dispatch]` (did you mean `store`?) (rule: unknown_section)"
    );
    assert!(v.plugins.iter().all(|p| p.value.is_ok()));
    assert!(!v.settings.dispatch.contains_key("stor"));
}

#[test]
fn bad_dispatch_values_are_document_errors() {
    let v = validate(
        "[dispatch.store]\ntimeout_ms = 0\ntimout_ms = 5\nmax_input_bytes = \"1MB\"\n\n[dispatch]\nclassifier = 3\n",
    );
    let errors = sorted(v.document_errors.clone());
    assert_eq!(
        summary(&errors),
        [
            ("/dispatch/classifier", "type", None),
            ("/dispatch/store/max_input_bytes", "type", None),
            ("/dispatch/store/timeout_ms", "minimum", None),
            (
                "/dispatch/store/timout_ms",
                "additionalProperties",
                Some("timeout_ms")
            ),
        ]
    );
    assert!(errors.iter().all(|e| e.plugin.is_none()));
    assert_eq!(v.settings.dispatch("store"), KindDispatch::default());

    let v = validate("dispatch = []\n");
    assert_eq!(summary(&v.document_errors), [("/dispatch", "type", None)]);
}

// --- environment ----------------------------------------------------------------------

fn env(text: &str, vars: &[(&str, &str)]) -> (Document, Vec<ConfigError>) {
    let mut doc = doc(text);
    let errors = validator().apply_env(&mut doc, vars.iter().copied());
    (doc, errors)
}

#[test]
fn timeout_variable_sets_the_dispatch_timeout() {
    let (doc, errors) = env(
        "[dispatch.store]\ntimeout_ms = 10\nmax_input_bytes = 5\n",
        &[
            ("PEGBOARD_TIMEOUT_STORE_MS", "250"),
            // Applied before the timeout variables, so it loses.
            ("PEGBOARD__DISPATCH__STORE__TIMEOUT_MS", "99"),
            // `_` matches `-`, case does not matter.
            ("PEGBOARD_TIMEOUT_Text_Filter_MS", " 7 "),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
    let v = validator().validate(&doc);
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(v.settings.dispatch("store").timeout_ms, 250);
    assert_eq!(v.settings.dispatch("store").max_input_bytes, Some(5));
    assert_eq!(v.settings.dispatch("text-filter").timeout_ms, 7);
    assert_eq!(v.settings.dispatch("classifier").timeout_ms, 5_000);
    assert_eq!(
        timeout_variable("text-filter"),
        "PEGBOARD_TIMEOUT_TEXT_FILTER_MS"
    );

    // Without a [dispatch] section in the file.
    let (doc, errors) = env("", &[("PEGBOARD_TIMEOUT_STORE_MS", "250")]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        doc.to_json(),
        json!({ "dispatch": { "store": { "timeout_ms": 250 } } })
    );

    // A value out of range is applied, then reported by validate.
    let (doc, errors) = env("", &[("PEGBOARD_TIMEOUT_STORE_MS", "0")]);
    assert!(errors.is_empty(), "{errors:?}");
    let v = validator().validate(&doc);
    assert_eq!(
        summary(&v.document_errors),
        [("/dispatch/store/timeout_ms", "minimum", None)]
    );
}

#[test]
fn bad_timeout_variables_are_reported_and_not_applied() {
    let (doc, errors) = env(
        "",
        &[
            ("PEGBOARD_TIMEOUT_NOPE_MS", "1"),
            ("PEGBOARD_TIMEOUT_STORE_MS", "abc"),
            ("PEGBOARD_TIMEOUT_STOR_MS", "1"),
            ("PEGBOARD_TIMEOUT_MS", "1"),
            ("PEGBOARD_TIMEOUT_STORE", "1"),
            ("PEGBOARD_TIMEOUT_CLASSIFIER_MS", "1.5"),
        ],
    );
    assert_eq!(doc, Document::empty(), "nothing applied");
    assert_eq!(errors.len(), 6, "{errors:?}");
    assert!(errors.iter().all(|e| e.plugin.is_none()));
    // Naming no kind (NOPE, STOR) is the lenient rule; the rest are `env`.
    for e in &errors {
        let unknown = e.message.contains("names no known plugin kind");
        assert_eq!(e.rule, if unknown { "unknown_kind" } else { "env" }, "{e}");
        assert_eq!(e.is_lenient(), unknown, "{e}");
    }
    assert_eq!(errors.iter().filter(|e| e.is_lenient()).count(), 2);
    let by_name = |name: &str| {
        errors
            .iter()
            .find(|e| e.message.contains(&format!("`{name}`")))
            .unwrap_or_else(|| panic!("{name} in {errors:?}"))
    };
    let nope = by_name("PEGBOARD_TIMEOUT_NOPE_MS");
    assert_eq!(nope.path, "");
    assert_eq!(nope.suggestion, None);
    assert_eq!(nope.value, Some(json!("1")));
    assert!(
        nope.message
            .contains("`classifier`, `store`, `text-filter`"),
        "{nope}"
    );
    let abc = by_name("PEGBOARD_TIMEOUT_STORE_MS");
    assert_eq!(abc.path, "/dispatch/store/timeout_ms");
    assert_eq!(abc.value, Some(json!("abc")));
    assert_eq!(
        abc.to_string(),
        "/dispatch/store/timeout_ms: environment variable `PEGBOARD_TIMEOUT_STORE_MS` must be an integer number of milliseconds, not \"abc\" (rule: env)"
    );
    let stor = by_name("PEGBOARD_TIMEOUT_STOR_MS");
    assert_eq!(
        stor.suggestion.as_deref(),
        Some("PEGBOARD_TIMEOUT_STORE_MS")
    );
    by_name("PEGBOARD_TIMEOUT_MS");
    by_name("PEGBOARD_TIMEOUT_STORE");
    assert_eq!(
        by_name("PEGBOARD_TIMEOUT_CLASSIFIER_MS").path,
        "/dispatch/classifier/timeout_ms"
    );

    // `dispatch` (or its kind) is not a table in the file.
    let (doc, errors) = env("dispatch = 1\n", &[("PEGBOARD_TIMEOUT_STORE_MS", "5")]);
    assert_eq!(summary(&errors), [("/dispatch", "env", None)]);
    assert_eq!(doc.to_json(), json!({ "dispatch": 1 }));
    let (_, errors) = env(
        "[dispatch]\nstore = 1\n",
        &[("PEGBOARD_TIMEOUT_STORE_MS", "5")],
    );
    assert_eq!(summary(&errors), [("/dispatch/store", "env", None)]);

    // Only the validator applies them.
    let mut doc = Document::empty();
    assert!(
        doc.apply_env([("PEGBOARD_TIMEOUT_STORE_MS", "5")])
            .is_empty()
    );
    assert_eq!(doc, Document::empty());
}

#[test]
fn double_underscore_variables_reach_the_settings() {
    let (doc, errors) = env(
        "",
        &[
            ("PEGBOARD__SUPERVISION__START_TIMEOUT_MS", "1234"),
            ("PEGBOARD__SUPERVISION__RESTART__POLICY", "never"),
            (
                "PEGBOARD__PLUGINS__TEXT_FILTER__PROFANITY__SUPERVISION__RESTART__MAX_RESTARTS",
                "1",
            ),
            ("PEGBOARD__DISPATCH__TEXT_FILTER__MAX_INPUT_BYTES", "64"),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
    let v = validator().validate(&doc);
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(v.settings.supervision.start_timeout_ms, 1234);
    assert_eq!(v.settings.supervision.restart.policy, RestartPolicy::Never);
    let profanity = v.settings.plugin(2);
    assert_eq!(profanity.restart.max_restarts, 1);
    assert_eq!(profanity.restart.policy, RestartPolicy::Never);
    assert_eq!(profanity.start_timeout_ms, 1234);
    assert_eq!(v.settings.dispatch("text-filter").max_input_bytes, Some(64));
}

// --- backoff ----------------------------------------------------------------------------

#[test]
fn backoff_doubles_from_the_initial_wait_up_to_the_cap() {
    let restart = Restart::default();
    let waits: Vec<u64> = (1..=12)
        .map(|n| restart.backoff(n).as_millis() as u64)
        .collect();
    assert_eq!(
        waits,
        [
            100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000
        ]
    );
    assert_eq!(
        restart.backoff(0),
        Duration::from_millis(100),
        "0 counts as 1"
    );
    assert_eq!(restart.backoff(u32::MAX), Duration::from_secs(30));

    let constant = Restart {
        backoff_multiplier: 1.0,
        ..Restart::default()
    };
    assert!((1..50).all(|n| constant.backoff(n) == Duration::from_millis(100)));
    let fractional = Restart {
        backoff_multiplier: 1.5,
        ..Restart::default()
    };
    let waits: Vec<u128> = (1..=4).map(|n| fractional.backoff(n).as_millis()).collect();
    assert_eq!(waits, [100, 150, 225, 337], "rounded down");
    let initial_above_cap = Restart {
        backoff_initial_ms: 5_000,
        backoff_max_ms: 1_000,
        ..Restart::default()
    };
    assert_eq!(initial_above_cap.backoff(1), Duration::from_secs(1));
    let none = Restart {
        backoff_initial_ms: 0,
        ..Restart::default()
    };
    assert_eq!(none.backoff(10), Duration::ZERO);
}

proptest! {
    #[test]
    fn backoff_is_monotonic_and_capped(
        initial in 0u64..100_000,
        max in 1u64..10_000_000,
        multiplier in 1.0f64..10.0,
        n in 1u32..200,
    ) {
        let r = Restart {
            backoff_initial_ms: initial,
            backoff_max_ms: max,
            backoff_multiplier: multiplier,
            ..Restart::default()
        };
        prop_assert!(r.backoff(n) <= Duration::from_millis(max));
        prop_assert!(r.backoff(n) <= r.backoff(n + 1));
    }
}

// --- host sections ----------------------------------------------------------------------

fn server_schema() -> Value {
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    #[serde(deny_unknown_fields)]
    struct Server {
        port: u16,
    }
    schemars::schema_for!(Server).to_value()
}

const WITH_HOST_SECTIONS: &str =
    "[server]\nport = \"http\"\n\n[sevrer]\nport = 1\n\n[supervison]\n";

#[test]
fn undeclared_host_sections_are_left_alone() {
    let v = validate(WITH_HOST_SECTIONS);
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
}

#[test]
fn declared_host_sections_are_checked() {
    let validator = validator().with_host_sections(vec![
        ("server".to_owned(), server_schema()),
        // pegboard's own sections cannot be taken over.
        ("supervision".to_owned(), json!(false)),
    ]);
    let v = validator.validate(&doc(WITH_HOST_SECTIONS));
    let errors = sorted(v.document_errors.clone());
    assert_eq!(
        summary(&errors),
        [
            ("/server/port", "type", None),
            ("/sevrer", "unknown_section", Some("server")),
            ("/supervison", "unknown_section", Some("supervision")),
        ]
    );
    assert_eq!(errors[1].value, Some(json!({ "port": 1 })));
    assert_eq!(
        errors[1].to_string(),
        "/sevrer: unknown section `sevrer` (did you mean `server`?) (rule: unknown_section)"
    );
    assert!(v.plugins.iter().all(|p| p.value.is_ok()));

    let v = validator.validate(&doc(
        "[server]\nport = 80\n[supervision]\n[dispatch.store]\n[plugins.store.memory]\n",
    ));
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    let v = validator.validate(&doc("[server]\nprot = 80\n"));
    assert_eq!(
        summary(&sorted(v.document_errors.clone())),
        [
            ("/server/port", "required", None),
            ("/server/prot", "additionalProperties", Some("port")),
        ]
    );

    // Declared as an empty list: every other top-level key is unknown.
    let v = self::validator()
        .with_host_sections(Vec::new())
        .validate(&doc("[server]\nport = 80\n[supervision]\n"));
    assert_eq!(
        summary(&v.document_errors),
        [("/server", "unknown_section", None)]
    );

    // A host schema that does not compile is reported, not panicked on.
    let v = self::validator()
        .with_host_sections(vec![("server".to_owned(), json!({ "type": 12 }))])
        .validate(&doc("[server]\nport = 80\n"));
    assert_eq!(summary(&v.document_errors), [("/server", "schema", None)]);
}

// --- document schema and default document -------------------------------------------------

fn compiled_document_schema(validator: &ConfigValidator) -> jsonschema::Validator {
    let schema = validator.document_schema(&[]);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap()
}

#[test]
fn default_document_shows_every_setting_and_validates() {
    let validator = validator();
    let text = validator.default_document();
    // The descriptions above the keys are tests_default_document's business.
    let keys: String = text
        .lines()
        .filter(|l| !l.starts_with("# ") || l.starts_with("# max_"))
        .map(|l| format!("{l}\n"))
        .collect();
    for needle in [
        "\n[supervision]\nstart_timeout_ms = 30000\nstop_timeout_ms = 30000\nhealth_timeout_ms = 5000\nhealth_interval_ms = 10000\nunhealthy_threshold = 3\n",
        "\n[supervision.restart]\npolicy = \"on-failure\"\nmax_restarts = 5\nwindow_ms = 60000\nbackoff_initial_ms = 100\nbackoff_max_ms = 30000\nbackoff_multiplier = 2.0\n",
        "\n[dispatch.classifier]\ntimeout_ms = 5000\n# max_input_bytes = ",
        "\n[dispatch.store]\ntimeout_ms = 5000\n",
        "\n[dispatch.text-filter]\ntimeout_ms = 5000\n",
        "# max_output_bytes = ",
        "[plugins.store.memory]\n",
    ] {
        assert!(keys.contains(needle), "{needle:?} missing from:\n{keys}");
    }
    assert!(text.contains("PEGBOARD_TIMEOUT_<KIND>_MS"), "{text}");
    let v = validator.validate(&doc(&text));
    assert!(v.is_ok(), "{text}\n{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(
        v.settings,
        validator.validate(&Document::empty()).settings,
        "the defaults, spelled out"
    );
    // With host sections declared too.
    let v = validator
        .with_host_sections(Vec::new())
        .validate(&doc(&text));
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());

    // No kinds, no [dispatch].
    let empty = ConfigValidator::new(Vec::new());
    let text = empty.default_document();
    assert!(!text.contains("dispatch."), "{text}");
    assert!(empty.validate(&doc(&text)).is_ok());
}

#[test]
fn document_schema_covers_the_settings() {
    let validator = validator();
    let schema = validator.document_schema(&[]);
    let compiled = compiled_document_schema(&validator);
    let defaults = doc(&validator.default_document()).to_json();
    let errors: Vec<String> = compiled
        .iter_errors(&defaults)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    assert_eq!(
        schema["properties"]["supervision"]["$ref"],
        json!("#/$defs/pegboard.Supervision")
    );
    let memory = &schema["properties"]["plugins"]["properties"]["store"]["properties"]["memory"];
    assert_eq!(
        memory["properties"]["supervision"]["$ref"],
        json!("#/$defs/pegboard.Supervision")
    );
    assert_eq!(
        schema["properties"]["dispatch"]["propertyNames"],
        json!({ "enum": ["classifier", "store", "text-filter"] })
    );
    assert_eq!(
        schema["properties"]["dispatch"]["properties"]["store"]["$ref"],
        json!("#/$defs/pegboard.KindDispatch")
    );

    let good = [
        "[supervision]\nstart_timeout_ms = 1\nrestart = { policy = \"never\" }\n",
        "[supervision.restart]\nbackoff_multiplier = 1.5\n",
        "[dispatch.store]\nmax_input_bytes = 10\n",
        "[plugins.store.memory]\nsupervision = { restart = { max_restarts = 0 } }\n",
        "[plugins.store.file]\nsupervision = {}\n",
    ];
    for text in good {
        let errors: Vec<String> = compiled
            .iter_errors(&doc(text).to_json())
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{text}: {errors:?}");
        assert!(validator.validate(&doc(text)).is_ok(), "{text}");
    }
    let bad = [
        "supervision = 1\n",
        "[supervision]\nstart_timeout_ms = 0\n",
        "[supervision]\nstart_timeout_ms = \"soon\"\n",
        "[supervision]\nstrat_timeout_ms = 1\n",
        "[supervision.restart]\npolicy = \"sometimes\"\n",
        "[supervision.restart]\nbackoff_multiplier = 0.5\n",
        "[supervision.restart]\nbackoff_max_ms = 0\n",
        "[dispatch.stor]\n",
        "[dispatch.store]\ntimeout_ms = 0\n",
        "[dispatch.store]\nextra = 1\n",
        "[plugins.store.memory]\nsupervision = { restart = { policy = \"always\" } }\n",
        "[plugins.store.file]\nsupervision = { nope = 1 }\n",
    ];
    for text in bad {
        assert!(!compiled.is_valid(&doc(text).to_json()), "accepted: {text}");
        assert!(
            !validator.validate(&doc(text)).is_ok(),
            "validate accepted: {text}"
        );
    }
}

#[test]
fn document_schema_includes_declared_host_sections() {
    let validator = validator().with_host_sections(vec![("server".to_owned(), server_schema())]);
    let compiled = compiled_document_schema(&validator);
    assert!(compiled.is_valid(&doc("[server]\nport = 80\n").to_json()));
    assert!(!compiled.is_valid(&doc("[server]\nport = \"http\"\n").to_json()));
    assert!(!compiled.is_valid(&doc("[sevrer]\n").to_json()));
    // Given sections come first; declared ones fill in the rest.
    let schema = validator.document_schema(&[("admin", json!({ "type": "object" }))]);
    assert!(schema["properties"]["server"].is_object());
    assert!(schema["properties"]["admin"].is_object());
}

#[test]
fn a_config_field_named_supervision_is_refused() {
    let validator = ConfigValidator::new(vec![plugin(
        "x",
        "y",
        Some(json!({ "type": "object", "properties": { "supervision": { "type": "string" } } })),
        json!({}),
    )]);
    let v = validator.validate(&Document::empty());
    let errors = plugin_errors(&v, 0);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].rule, "schema");
    assert!(errors[0].message.contains("`supervision`"), "{}", errors[0]);
}

// --- robustness ---------------------------------------------------------------------------

fn settings_toml() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(vec![
        "start_timeout_ms",
        "health_interval_ms",
        "unhealthy_threshold",
        "restart",
        "policy",
        "backoff_multiplier",
        "timeout_ms",
        "max_input_bytes",
        "nope",
    ]);
    let value = proptest::sample::select(vec![
        "0",
        "1",
        "-1",
        "1.5",
        "1.0",
        "9223372036854775807",
        "\"never\"",
        "\"x\"",
        "{}",
        "{ policy = \"never\", max_restarts = 1 }",
        "[]",
        "true",
    ]);
    let header = proptest::sample::select(vec![
        "[supervision]",
        "[supervision.restart]",
        "[dispatch.store]",
        "[dispatch.stor]",
        "[dispatch]",
        "[plugins.store.memory.supervision]",
        "[plugins.store.file.supervision.restart]",
        "[plugins.store.file]",
    ]);
    proptest::collection::vec((header, key, value), 0..6).prop_map(|items| {
        let mut seen = std::collections::HashSet::new();
        items
            .into_iter()
            .filter(|(h, k, _)| seen.insert((*h, *k)))
            .map(|(h, k, v)| format!("{h}\n{k} = {v}\n"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

proptest! {
    #[test]
    fn settings_never_panic(
        text in settings_toml(),
        vars in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "PEGBOARD_TIMEOUT_STORE_MS",
                    "PEGBOARD_TIMEOUT_TEXT_FILTER_MS",
                    "PEGBOARD_TIMEOUT__MS",
                    "PEGBOARD_TIMEOUT_",
                    "PEGBOARD__DISPATCH__STORE",
                    "PEGBOARD__SUPERVISION__RESTART",
                ]),
                "[ -~]{0,8}",
            ),
            0..4,
        ),
    ) {
        let validator = validator().with_host_sections(Vec::new());
        let mut doc = match Document::from_toml_str(&text) {
            Ok(doc) => doc,
            // Some generated combinations redefine a table; not our concern.
            Err(_) => Document::empty(),
        };
        for e in validator.apply_env(&mut doc, &vars) {
            prop_assert_eq!(e.rule.as_str(), "env");
        }
        let v = validator.validate(&doc);
        prop_assert!(v.settings.dispatch.len() <= 3);
        for e in v.errors() {
            let _ = e.to_string();
            prop_assert!(e.path.is_empty() || e.path.starts_with('/'));
        }
        if v.is_ok() {
            let compiled = compiled_document_schema(&validator);
            prop_assert!(compiled.is_valid(&doc.to_json()), "{}", text);
        }
        let _: &Settings = &v.settings;
    }
}
