use super::*;
use proptest::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// A nested struct, referenced through `$defs`.
#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
struct Inner {
    depth: u8,
    name: String,
}

/// An enum, referenced through `$defs`.
#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Fast,
    Slow,
}

/// In-memory store.
#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
struct MemoryConfig {
    capacity: u32,
    label: String,
    mode: Mode,
    inner: Inner,
    tags: Vec<String>,
    note: Option<String>,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            capacity: 100,
            label: "mem".into(),
            mode: Mode::Fast,
            inner: Inner {
                depth: 3,
                name: "root".into(),
            },
            tags: vec!["a".into()],
            note: None,
        }
    }
}

/// Detects the language.
#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
struct DetectConfig {
    #[schemars(range(min = 0, max = 1))]
    threshold: f64,
    languages: Vec<String>,
}

/// A recursive config (schemars refers to the root with `"$ref": "#"`).
#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
struct Tree {
    label: String,
    children: Vec<Tree>,
}

fn plugin_of<T: JsonSchema + Serialize + Default>(
    kind: &'static str,
    name: &'static str,
) -> PluginSchema {
    PluginSchema {
        kind: kind.into(),
        name: name.into(),
        schema: Some(Arc::new(
            serde_json::to_value(schemars::schema_for!(T)).unwrap(),
        )),
        defaults: serde_json::to_value(T::default()).unwrap(),
    }
}

fn plugin_without_config(kind: &'static str, name: &'static str) -> PluginSchema {
    PluginSchema {
        kind: kind.into(),
        name: name.into(),
        schema: None,
        defaults: json!({}),
    }
}

fn plugins() -> Vec<PluginSchema> {
    vec![
        plugin_of::<MemoryConfig>("store", "memory"),
        plugin_of::<DetectConfig>("classifier", "language-detect"),
        plugin_without_config("classifier", "keywords"),
        plugin_of::<Tree>("index", "tree"),
    ]
}

fn validator() -> ConfigValidator {
    ConfigValidator::new(plugins())
}

fn validate(text: &str) -> Validated {
    validator().validate(&Document::from_toml_str(text).unwrap())
}

fn plugin<'a>(v: &'a Validated, id: &str) -> &'a PluginConfig {
    v.plugins.iter().find(|p| p.id() == id).unwrap()
}

fn errors_of(v: &Validated, id: &str) -> Vec<ConfigError> {
    let mut errors = plugin(v, id).value.clone().err().unwrap_or_default();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors
}

fn memory_defaults() -> Value {
    serde_json::to_value(MemoryConfig::default()).unwrap()
}

#[test]
fn all_errors_of_one_section_are_collected() {
    let v = validate(
        r#"
[plugins.store.memory]
capacity = "lots"
mode = "medium"
capcity = 3
inner = { depth = 300, name = "x" }
"#,
    );
    let errors = errors_of(&v, "store.memory");
    let summary: Vec<(&str, &str, Option<&Value>, Option<&str>)> = errors
        .iter()
        .map(|e| {
            (
                e.path.as_str(),
                e.rule.as_str(),
                e.value.as_ref(),
                e.suggestion.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "/plugins/store/memory/capacity",
                "type",
                Some(&json!("lots")),
                None
            ),
            (
                "/plugins/store/memory/capcity",
                "additionalProperties",
                Some(&json!(3)),
                Some("capacity")
            ),
            (
                "/plugins/store/memory/inner/depth",
                "maximum",
                Some(&json!(300)),
                None
            ),
            (
                "/plugins/store/memory/mode",
                "enum",
                Some(&json!("medium")),
                None
            ),
        ]
    );
    assert!(
        errors
            .iter()
            .all(|e| e.plugin.as_deref() == Some("store.memory"))
    );
    assert_eq!(
        errors[0].to_string(),
        r#"store.memory: /plugins/store/memory/capacity: "lots" is not of type "integer" (rule: type)"#
    );
    assert_eq!(
        errors[1].to_string(),
        "store.memory: /plugins/store/memory/capcity: unknown field `capcity` (did you mean `capacity`?) (rule: additionalProperties)"
    );
    assert!(v.document_errors.is_empty());
    assert!(!v.is_ok());
    assert_eq!(v.errors().count(), 4);
    // The other plugins are unaffected.
    assert!(plugin(&v, "classifier.language-detect").value.is_ok());
}

#[test]
fn missing_fields_take_defaults() {
    let v = validate("");
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(plugin(&v, "store.memory").value, Ok(memory_defaults()));
    assert!(plugin(&v, "store.memory").enabled);

    let v = validate("[plugins.store.memory]\ncapacity = 5\nenabled = true\n");
    let mut expected = memory_defaults();
    expected["capacity"] = json!(5);
    assert_eq!(plugin(&v, "store.memory").value, Ok(expected));

    // The effective value deserializes into the config type.
    let config: MemoryConfig =
        serde_json::from_value(plugin(&v, "store.memory").value.clone().unwrap()).unwrap();
    assert_eq!(config.capacity, 5);
    assert_eq!(config.inner.name, "root");
}

#[test]
fn a_given_field_replaces_its_default_whole() {
    let v = validate("[plugins.store.memory.inner]\ndepth = 1\n");
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].rule, "required");
    assert_eq!(errors[0].path, "/plugins/store/memory/inner/name");
    assert_eq!(errors[0].value, None);
}

#[test]
fn unknown_nested_field_has_suggestion_and_escaped_path() {
    let v = validate(
        "[plugins.store.memory]\ninner = { depth = 1, nmae = \"x\", name = \"y\" }\n\"a/b~c\" = 1\n",
    );
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/store/memory/a~1b~0c");
    assert_eq!(errors[0].rule, "additionalProperties");
    assert_eq!(errors[0].suggestion, None);
    assert_eq!(errors[1].path, "/plugins/store/memory/inner/nmae");
    assert_eq!(errors[1].value, Some(json!("x")));
    assert_eq!(errors[1].suggestion.as_deref(), Some("name"));
}

#[test]
fn reserved_key_typo_is_suggested() {
    let v = validate("[plugins.store.memory]\nenabeld = false\n");
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].suggestion.as_deref(), Some("enabled"));
}

#[test]
fn unknown_sections_and_kinds_are_document_errors() {
    let v = validate(
        "[plugins.store.memroy]\ncapacity = 1\n\n[plugins.storr.memory]\n\n[plugins.zzz.qqq]\n",
    );
    assert_eq!(v.document_errors.len(), 3, "{:?}", v.document_errors);
    let section = &v.document_errors[0];
    assert_eq!(section.rule, "unknown_section");
    assert_eq!(section.path, "/plugins/store/memroy");
    assert_eq!(section.suggestion.as_deref(), Some("store.memory"));
    assert_eq!(section.value, Some(json!({ "capacity": 1 })));
    assert_eq!(section.plugin, None);
    assert_eq!(
        section.to_string(),
        "/plugins/store/memroy: unknown plugin section `store.memroy` (did you mean `store.memory`?) (rule: unknown_section)"
    );
    let kind = v
        .document_errors
        .iter()
        .find(|e| e.path == "/plugins/storr")
        .unwrap();
    assert_eq!(kind.rule, "unknown_section");
    assert_eq!(kind.suggestion.as_deref(), Some("store"));
    let far = v
        .document_errors
        .iter()
        .find(|e| e.path == "/plugins/zzz")
        .unwrap();
    assert_eq!(far.suggestion, None);
    // Plugin sections are still validated.
    assert!(plugin(&v, "store.memory").value.is_ok());
}

#[test]
fn plugins_and_kinds_must_be_tables() {
    let v = validate("plugins = 5\n");
    assert_eq!(v.document_errors.len(), 1);
    assert_eq!(v.document_errors[0].rule, "type");
    assert_eq!(v.document_errors[0].path, "/plugins");

    let v = validate("[plugins]\nstore = 1\n");
    assert_eq!(v.document_errors[0].path, "/plugins/store");
    assert_eq!(v.document_errors[0].rule, "type");

    let v = validate("[plugins.store]\nmemory = 1\n");
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors[0].path, "/plugins/store/memory");
    assert_eq!(errors[0].rule, "type");
}

#[test]
fn enabled_false_disables_but_still_validates() {
    let v = validate("[plugins.store.memory]\nenabled = false\n");
    let p = plugin(&v, "store.memory");
    assert!(!p.enabled);
    assert_eq!(p.value, Ok(memory_defaults()));

    let v = validate("[plugins.store.memory]\nenabled = false\ncapacity = -1\n");
    let p = plugin(&v, "store.memory");
    assert!(!p.enabled);
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].rule, "minimum");
}

#[test]
fn enabled_must_be_boolean() {
    let v = validate("[plugins.store.memory]\nenabled = \"no\"\n");
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].rule, "type");
    assert_eq!(errors[0].path, "/plugins/store/memory/enabled");
    assert_eq!(errors[0].value, Some(json!("no")));
    assert_eq!(
        errors[0].to_string(),
        r#"store.memory: /plugins/store/memory/enabled: "no" is not of type "boolean" (rule: type)"#
    );
}

#[test]
fn plugin_without_config_accepts_only_reserved_keys() {
    let v = validate("[plugins.classifier.keywords]\nenabled = false\n");
    assert!(v.is_ok());
    assert!(!plugin(&v, "classifier.keywords").enabled);

    let v = validate("[plugins.classifier.keywords]\nwords = [\"a\"]\nenable = true\n");
    let errors = errors_of(&v, "classifier.keywords");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].path, "/plugins/classifier/keywords/enable");
    assert_eq!(errors[0].rule, "additionalProperties");
    assert_eq!(errors[0].suggestion.as_deref(), Some("enabled"));
    assert_eq!(errors[1].path, "/plugins/classifier/keywords/words");
    assert_eq!(errors[1].value, Some(json!(["a"])));
}

#[test]
fn broken_schemas_are_reported_not_panicked() {
    let mut list = plugins();
    list.push(PluginSchema {
        kind: "store".into(),
        name: "broken".into(),
        schema: Some(Arc::new(json!({ "type": 12 }))),
        defaults: json!({}),
    });
    list.push(PluginSchema {
        kind: "store".into(),
        name: "clash".into(),
        schema: Some(Arc::new(
            json!({ "type": "object", "properties": { "enabled": { "type": "string" } } }),
        )),
        defaults: json!({}),
    });
    let validator = ConfigValidator::new(list);
    let v = validator.validate(&Document::empty());
    for id in ["store.broken", "store.clash"] {
        let errors = errors_of(&v, id);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].rule, "schema");
        assert_eq!(errors[0].plugin.as_deref(), Some(id));
    }
    assert!(plugin(&v, "store.memory").value.is_ok());
    // The document schema still compiles.
    assert!(jsonschema::validator_for(&validator.document_schema(&[])).is_ok());
}

#[test]
fn in_place_combinators_get_unevaluated_properties() {
    let schema = json!({
        "type": "object",
        "properties": { "alpha": { "type": "integer" } },
        "allOf": [ { "properties": { "beta": { "type": "integer" } } } ]
    });
    let validator = ConfigValidator::new(vec![PluginSchema {
        kind: "x".into(),
        name: "y".into(),
        schema: Some(Arc::new(schema)),
        defaults: json!({ "alpha": 1, "beta": 2 }),
    }]);
    let v = validator
        .validate(&Document::from_toml_str("[plugins.x.y]\nbeta = 3\nbetta = 4\n").unwrap());
    let errors = errors_of(&v, "x.y");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/x/y/betta");
    assert_eq!(errors[0].rule, "unevaluatedProperties");
    assert_eq!(errors[0].suggestion.as_deref(), Some("beta"));
}

/// An internally tagged enum: `oneOf` branches declaring properties.
#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Backend {
    Memory { size: u32 },
    Disk { path: String },
}

impl Default for Backend {
    fn default() -> Self {
        Backend::Memory { size: 1 }
    }
}

#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
struct Common {
    retries: u32,
}

#[derive(Serialize, Deserialize, JsonSchema, Default, Debug, PartialEq)]
struct Shapes {
    extra: Option<Inner>,
    backend: Backend,
    #[serde(flatten)]
    common: Common,
}

#[test]
fn enums_options_and_flatten() {
    let validator = ConfigValidator::new(vec![plugin_of::<Shapes>("x", "shapes")]);
    let check = |text: &str| {
        let v = validator.validate(&Document::from_toml_str(text).unwrap());
        errors_of(&v, "x.shapes")
    };
    assert_eq!(
        check("[plugins.x.shapes]\nretries = 3\nbackend = { type = \"disk\", path = \"/x\" }\n"),
        vec![]
    );
    assert_eq!(
        check("[plugins.x.shapes]\nextra = { depth = 1, name = \"n\" }\n"),
        vec![]
    );

    let errors =
        check("[plugins.x.shapes]\nbackend = { type = \"disk\", path = \"/x\", sise = 1 }\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/x/shapes/backend/sise");
    assert_eq!(errors[0].rule, "unevaluatedProperties");
    assert_eq!(errors[0].suggestion.as_deref(), Some("size"));

    let errors = check("[plugins.x.shapes]\nbackend = { type = \"tape\" }\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/x/shapes/backend");
    assert_eq!(errors[0].rule, "oneOf");

    // `Option<Inner>`: the error inside the struct, not "not valid under anyOf".
    let errors = check("[plugins.x.shapes]\nextra = { depth = 1, name = \"n\", nmae = 2 }\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/x/shapes/extra/nmae");
    assert_eq!(errors[0].rule, "additionalProperties");
    assert_eq!(errors[0].suggestion.as_deref(), Some("name"));

    let errors = check("[plugins.x.shapes]\nextra = 5\nretrys = 1\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/x/shapes/extra");
    assert_eq!(errors[0].rule, "anyOf");
    assert_eq!(errors[1].path, "/plugins/x/shapes/retrys");
    assert_eq!(errors[1].suggestion.as_deref(), Some("retries"));

    // The document schema agrees.
    let schema = validator.document_schema(&[]);
    let compiled = jsonschema::validator_for(&schema).unwrap();
    assert!(compiled.is_valid(&toml_json(&validator.default_document())));
    assert!(compiled.is_valid(&toml_json(
        "[plugins.x.shapes]\nbackend = { type = \"disk\", path = \"/x\" }\n"
    )));
    assert!(!compiled.is_valid(&toml_json(
        "[plugins.x.shapes]\nbackend = { type = \"disk\", path = \"/x\", sise = 1 }\n"
    )));
    assert!(!compiled.is_valid(&toml_json("[plugins.x.shapes]\nretrys = 1\n")));
}

#[test]
fn parse_errors_carry_line_and_column() {
    let e = Document::from_toml_str("a = 1\nb = \n").unwrap_err();
    assert_eq!(e.rule, "parse");
    assert_eq!((e.line, e.column), (Some(2), Some(5)));
    assert!(!e.message.is_empty());
    assert!(e.to_string().starts_with("line 2, column 5: "), "{}", e);
    assert!(e.to_string().ends_with(" (rule: parse)"));

    // Columns count characters, not bytes.
    let e = Document::from_toml_str("[x]\nk = \"ééé\" @\n").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(11)));
}

#[test]
fn host_sections() {
    let doc = Document::from_toml_str("[server]\nport = 8080\n[plugins.store.memory]\n").unwrap();
    assert_eq!(
        doc.section("server")
            .and_then(|s| s.get("port"))
            .and_then(Value::as_i64),
        Some(8080)
    );
    assert!(doc.section("plugins").is_none());
    assert!(doc.as_json().get("plugins").is_some());
    assert!(validator().validate(&doc).is_ok());
}

#[test]
fn validate_reads_the_json_the_document_holds() {
    // The document is converted from TOML once, when it is made: `as_json`
    // borrows that form, and `validate` reads it (no TOML left to convert
    // on every call), so a change made to it is what `validate` sees.
    let mut doc = Document::from_toml_str("[plugins.store.memory]\ncapacity = 5\n").unwrap();
    assert!(std::ptr::eq(doc.as_json().as_object().unwrap(), doc.root()));
    assert_eq!(doc.to_json(), *doc.as_json());
    assert!(validator().validate(&doc).is_ok());
    doc.root_mut()["plugins"]["store"]["memory"]["capacity"] = json!("lots");
    let v = validator().validate(&doc);
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "/plugins/store/memory/capacity");
    assert_eq!(errors[0].value, Some(json!("lots")));
    assert_eq!(
        doc.as_json()["plugins"]["store"]["memory"]["capacity"],
        json!("lots")
    );
}

// --- environment overrides ---------------------------------------------------

fn env(doc: &str, vars: &[(&str, &str)]) -> (Document, Vec<ConfigError>) {
    let mut doc = Document::from_toml_str(doc).unwrap();
    let errors = validator().apply_env(&mut doc, vars.iter().copied());
    (doc, errors)
}

#[test]
fn env_overrides_typed_values() {
    let (doc, errors) = env(
        "[plugins.store.memory]\ncapacity = 5\n",
        &[
            ("PEGBOARD__PLUGINS__STORE__MEMORY__CAPACITY", "500"),
            ("PEGBOARD__PLUGINS__STORE__MEMORY__ENABLED", "false"),
            ("PEGBOARD__PLUGINS__STORE__MEMORY__LABEL", "hello world"),
            ("PEGBOARD__PLUGINS__STORE__MEMORY__NOTE", "\"42\""),
            ("PEGBOARD__PLUGINS__STORE__MEMORY__TAGS", "[\"x\", \"y\"]"),
            (
                "PEGBOARD__PLUGINS__STORE__MEMORY__INNER",
                "{ depth = 1, name = \"n\" }",
            ),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
    let v = validator().validate(&doc);
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    let p = plugin(&v, "store.memory");
    assert!(!p.enabled);
    let value = p.value.clone().unwrap();
    assert_eq!(value["capacity"], json!(500));
    assert_eq!(value["label"], json!("hello world"));
    assert_eq!(value["note"], json!("42"));
    assert_eq!(value["tags"], json!(["x", "y"]));
    assert_eq!(value["inner"], json!({ "depth": 1, "name": "n" }));
}

#[test]
fn env_unquoted_number_for_string_field_is_a_type_error() {
    let (doc, errors) = env("", &[("PEGBOARD__PLUGINS__STORE__MEMORY__LABEL", "42")]);
    assert!(errors.is_empty());
    let v = validator().validate(&doc);
    let errors = errors_of(&v, "store.memory");
    assert_eq!(errors[0].rule, "type");
    assert_eq!(errors[0].value, Some(json!(42)));
}

#[test]
fn env_segments_match_case_insensitively_and_dash() {
    // Known plugin, no section in the file: the validator knows the name.
    let (doc, errors) = env(
        "",
        &[
            (
                "PEGBOARD__PLUGINS__CLASSIFIER__LANGUAGE_DETECT__THRESHOLD",
                "0.5",
            ),
            ("PEGBOARD__Plugins__store__MEMORY__capacity", "7"),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
    let v = validator().validate(&doc);
    assert!(v.is_ok(), "{:?}", v.errors().collect::<Vec<_>>());
    assert_eq!(
        plugin(&v, "classifier.language-detect")
            .value
            .as_ref()
            .unwrap()["threshold"],
        json!(0.5)
    );
    assert_eq!(
        plugin(&v, "store.memory").value.as_ref().unwrap()["capacity"],
        json!(7)
    );

    // Without the validator, existing keys are matched.
    let mut doc = Document::from_toml_str(
        "[plugins.classifier.language-detect]\nthreshold = 0.1\n[Server]\nPort = 1\n",
    )
    .unwrap();
    let errors = doc.apply_env([
        (
            "PEGBOARD__PLUGINS__CLASSIFIER__LANGUAGE_DETECT__THRESHOLD",
            "0.25",
        ),
        ("PEGBOARD__SERVER__PORT", "2"),
    ]);
    assert!(errors.is_empty());
    let json = doc.to_json();
    assert_eq!(
        json["plugins"]["classifier"]["language-detect"]["threshold"],
        json!(0.25)
    );
    assert_eq!(json["Server"]["Port"], json!(2));
    assert!(json.get("server").is_none());
}

#[test]
fn env_override_for_unknown_plugin_is_reported_by_validate() {
    let (doc, errors) = env("", &[("PEGBOARD__PLUGINS__STORE__MEMROY__CAPACITY", "1")]);
    assert!(errors.is_empty());
    let v = validator().validate(&doc);
    assert_eq!(v.document_errors.len(), 1);
    assert_eq!(v.document_errors[0].rule, "unknown_section");
    assert_eq!(v.document_errors[0].path, "/plugins/store/memroy");
    assert_eq!(
        v.document_errors[0].suggestion.as_deref(),
        Some("store.memory")
    );
}

#[test]
fn env_cannot_descend_into_non_tables() {
    let (doc, errors) = env(
        "[plugins.store.memory]\ncapacity = 5\n",
        &[
            ("PEGBOARD__PLUGINS__STORE__MEMORY__CAPACITY__X", "1"),
            ("PEGBOARD__PLUGINS__STORE__MEMORY__LABEL", "still applied"),
            ("PEGBOARD__PLUGINS____X", "1"),
        ],
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    let descend = errors
        .iter()
        .find(|e| e.path == "/plugins/store/memory/capacity")
        .unwrap();
    assert_eq!(descend.rule, "env");
    assert_eq!(descend.plugin.as_deref(), Some("store.memory"));
    assert_eq!(descend.value, Some(json!("1")));
    assert!(
        descend
            .message
            .contains("PEGBOARD__PLUGINS__STORE__MEMORY__CAPACITY__X")
    );
    let empty = errors.iter().find(|e| e.path.is_empty()).unwrap();
    assert_eq!(empty.rule, "env");
    let json = doc.to_json();
    assert_eq!(json["plugins"]["store"]["memory"]["capacity"], json!(5));
    assert_eq!(
        json["plugins"]["store"]["memory"]["label"],
        json!("still applied")
    );
}

#[test]
fn env_ignores_other_variables() {
    let vars: Vec<(String, String)> = vec![
        ("PEGBOARD_ADMIN_TOKEN".into(), "secret".into()),
        ("HOME".into(), "/root".into()),
        ("pegboard__plugins__x".into(), "1".into()),
        ("PEGBOARD".into(), "1".into()),
    ];
    let mut doc = Document::empty();
    // A borrowed Vec of pairs is accepted too.
    let errors = validator().apply_env(&mut doc, &vars);
    assert!(errors.is_empty());
    assert_eq!(doc, Document::empty());
    assert!(doc.apply_env(&vars).is_empty());
    assert_eq!(doc, Document::empty());
}

#[test]
fn env_variables_apply_in_name_order() {
    let a = [("PEGBOARD__X__Y__Z", "1"), ("PEGBOARD__X__Y", "2")];
    let mut b = a;
    b.reverse();
    let (mut d1, mut d2) = (Document::empty(), Document::empty());
    let e1 = d1.apply_env(a);
    let e2 = d2.apply_env(b);
    assert_eq!(d1, d2);
    assert_eq!(e1, e2);
    assert_eq!(d1.to_json(), json!({ "x": { "y": 2 } }));
    assert_eq!(e1.len(), 1);
}

#[test]
fn env_messages_name_the_toml_type_of_what_cannot_be_descended_into() {
    // Datetimes and non-finite floats are strings in the JSON the document
    // holds; the messages still name their TOML types.
    let mut doc = Document::from_toml_str(
        "[x]\nd = 1979-05-27T07:32:00Z\nn = nan\ni = -inf\ns = \"a\"\nf = 1.0\nk = 1\na = [1979-05-27]\nb = true\n\
         [dispatch.store]\ntimeout_ms = 07:32:00\n",
    )
    .unwrap();
    let errors = doc.apply_env([
        ("PEGBOARD__X__A__Y", "1"),
        ("PEGBOARD__X__B__Y", "1"),
        ("PEGBOARD__X__D__Y", "1"),
        ("PEGBOARD__X__F__Y", "1"),
        ("PEGBOARD__X__I__Y", "1"),
        ("PEGBOARD__X__K__Y", "1"),
        ("PEGBOARD__X__N__Y", "1"),
        ("PEGBOARD__X__S__Y", "1"),
        ("PEGBOARD__DISPATCH__STORE__TIMEOUT_MS__Y", "1"),
    ]);
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "environment variable `PEGBOARD__DISPATCH__STORE__TIMEOUT_MS__Y` cannot set \
             `dispatch.store.timeout_ms.y`: `dispatch.store.timeout_ms` is a datetime, not a table",
            "environment variable `PEGBOARD__X__A__Y` cannot set `x.a.y`: `x.a` is an array, not a table",
            "environment variable `PEGBOARD__X__B__Y` cannot set `x.b.y`: `x.b` is a boolean, not a table",
            "environment variable `PEGBOARD__X__D__Y` cannot set `x.d.y`: `x.d` is a datetime, not a table",
            "environment variable `PEGBOARD__X__F__Y` cannot set `x.f.y`: `x.f` is a float, not a table",
            "environment variable `PEGBOARD__X__I__Y` cannot set `x.i.y`: `x.i` is a float, not a table",
            "environment variable `PEGBOARD__X__K__Y` cannot set `x.k.y`: `x.k` is an integer, not a table",
            "environment variable `PEGBOARD__X__N__Y` cannot set `x.n.y`: `x.n` is a float, not a table",
            "environment variable `PEGBOARD__X__S__Y` cannot set `x.s.y`: `x.s` is a string, not a table",
        ]
    );
    let json = doc.to_json();
    assert_eq!(json["x"]["d"], json!("1979-05-27T07:32:00Z"));
    assert_eq!(json["x"]["n"], json!("nan"));
    assert_eq!(json["x"]["i"], json!("-inf"));
    assert_eq!(json["x"]["a"], json!(["1979-05-27"]));

    // A value set by a variable has the type of what the variable says
    // (variables apply in name order: `D` before `D__Y`).
    let errors = doc.apply_env([
        ("PEGBOARD__X__D", "5"),
        ("PEGBOARD__X__D__Y", "1"),
        ("PEGBOARD__X__S", "2000-01-01"),
        ("PEGBOARD__X__S__Y", "1"),
        ("PEGBOARD__X__T", "{ u = 2000-01-01 }"),
        ("PEGBOARD__X__T__U__Y", "1"),
    ]);
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "environment variable `PEGBOARD__X__D__Y` cannot set `x.d.y`: `x.d` is an integer, not a table",
            "environment variable `PEGBOARD__X__S__Y` cannot set `x.s.y`: `x.s` is a datetime, not a table",
            "environment variable `PEGBOARD__X__T__U__Y` cannot set `x.t.u.y`: `x.t.u` is a datetime, not a table",
        ]
    );
}

// --- document schema and default document ----------------------------------

fn server_schema() -> Value {
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    struct Server {
        port: u16,
        tls: Option<Tls>,
    }
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    struct Tls {
        cert: String,
    }
    let mut schema = serde_json::to_value(schemars::schema_for!(Server)).unwrap();
    crate::validate::config::schema::strictify(&mut schema);
    schema
}

fn toml_json(text: &str) -> Value {
    Document::from_toml_str(text).unwrap().to_json()
}

#[test]
fn default_document_is_valid() {
    let validator = validator();
    let text = validator.default_document();
    let doc = Document::from_toml_str(&text).unwrap();
    let v = validator.validate(&doc);
    assert!(v.is_ok(), "{text}\n{:?}", v.errors().collect::<Vec<_>>());
    for p in &v.plugins {
        assert!(p.enabled);
    }
    assert_eq!(plugin(&v, "store.memory").value, Ok(memory_defaults()));
    assert!(
        text.contains("# store.memory: In-memory store.\n[plugins.store.memory]\n"),
        "{text}"
    );
    assert!(
        text.contains("# classifier.keywords (no configuration)\n"),
        "{text}"
    );
    assert!(!text.contains("note"), "null values are omitted:\n{text}");
    // Sorted by id.
    let order: Vec<usize> = [
        "classifier.keywords",
        "classifier.language-detect",
        "index.tree",
        "store.memory",
    ]
    .iter()
    .map(|id| text.find(&format!("# {id}")).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn document_schema_accepts_default_document_and_rejects_broken_ones() {
    let validator = validator();
    let schema = validator.document_schema(&[("server", server_schema())]);
    let compiled = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap();

    let defaults = toml_json(&validator.default_document());
    let errors: Vec<String> = compiled
        .iter_errors(&defaults)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    let good = [
        "",
        "[server]\nport = 80\n[server.tls]\ncert = \"c\"\n",
        "[plugins.store.memory]\ncapacity = 5\n",
        "[plugins.store.memory]\nmode = \"slow\"\ninner = { depth = 1, name = \"n\" }\n",
        "[plugins.classifier.keywords]\nenabled = false\n",
        "[plugins.index.tree]\nchildren = [{ label = \"a\", children = [{ label = \"b\", children = [] }] }]\n",
    ];
    for text in good {
        let errors: Vec<String> = compiled
            .iter_errors(&toml_json(text))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{text}: {errors:?}");
    }

    let bad = [
        "[plugins.store.memroy]\n",
        "[plugins.storr.memory]\n",
        "[plugins.store.memory]\ncapcity = 5\n",
        "[plugins.store.memory]\ncapacity = \"lots\"\n",
        "[plugins.store.memory]\nenabled = \"no\"\n",
        "[plugins.store.memory]\nmode = \"medium\"\n",
        "[plugins.store.memory]\ninner = { depth = 1, name = \"n\", extra = 1 }\n",
        "[plugins.store.memory]\ninner = { depth = \"deep\", name = \"n\" }\n",
        "[plugins.classifier.keywords]\nwords = 1\n",
        "[plugins.index.tree]\nchildren = [{ label = \"a\", children = [{ label = 1, children = [] }] }]\n",
        "[plugins.index.tree]\nchildren = [{ label = \"a\", children = [], extra = 1 }]\n",
        "[server]\nport = \"http\"\n",
        "[server.tls]\ncert = 1\n",
        "[other]\nx = 1\n",
        "plugins = 1\n",
    ];
    for text in bad {
        assert!(!compiled.is_valid(&toml_json(text)), "accepted: {text}");
    }
}

#[test]
fn document_schema_hoists_defs_and_rewrites_refs() {
    let schema = validator().document_schema(&[("server", server_schema())]);
    let defs = schema["$defs"].as_object().unwrap();
    let mut names: Vec<&str> = defs.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "pegboard.KindDispatch",
            "pegboard.Restart",
            "pegboard.RestartPolicy",
            "pegboard.Supervision",
            "server.Tls",
            "store.memory.Inner",
            "store.memory.Mode"
        ]
    );
    let memory = &schema["properties"]["plugins"]["properties"]["store"]["properties"]["memory"];
    assert_eq!(
        memory["properties"]["inner"]["$ref"],
        json!("#/$defs/store.memory.Inner")
    );
    assert_eq!(memory["properties"]["enabled"]["type"], json!("boolean"));
    assert_eq!(memory["additionalProperties"], json!(false));
    assert!(memory.get("$defs").is_none());
    assert!(memory.get("$schema").is_none());
    assert!(
        memory.get("required").is_none(),
        "defaults provide every field"
    );
    assert_eq!(
        defs["store.memory.Inner"]["additionalProperties"],
        json!(false)
    );
    let tree = &schema["properties"]["plugins"]["properties"]["index"]["properties"]["tree"];
    assert_eq!(
        tree["properties"]["children"]["items"]["$ref"],
        json!("#/properties/plugins/properties/index/properties/tree")
    );
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(
        schema["properties"]["plugins"]["properties"]["store"]["additionalProperties"],
        json!(false)
    );
    // No reference is left pointing at a plugin-local definition.
    let text = schema.to_string();
    assert!(!text.contains("\"#/$defs/Inner\""));
    assert!(!text.contains("\"#/$defs/Mode\""));
}

#[test]
fn plugins_with_equal_schemas_share_one_compiled_schema() {
    let shared = Arc::new(serde_json::to_value(schemars::schema_for!(MemoryConfig)).unwrap());
    let defaults = serde_json::to_value(MemoryConfig::default()).unwrap();
    let validator = ConfigValidator::new([
        // The same `Arc`, an equal value in another `Arc`, another schema,
        // no schema.
        PluginSchema::new("store", "a", Some(Arc::clone(&shared)), defaults.clone()),
        PluginSchema::new("store", "b", Some(Arc::clone(&shared)), defaults.clone()),
        plugin_of::<MemoryConfig>("store", "c"),
        plugin_of::<DetectConfig>("classifier", "d"),
        plugin_without_config("classifier", "e"),
    ]);
    assert!(validator.shares_compiled(0, 1));
    assert!(validator.shares_compiled(0, 2));
    assert!(!validator.shares_compiled(0, 3));
    assert!(!validator.has_compiled(4));
    assert_eq!(validator.compiled_count(), 2);

    // Sharing the schema shares nothing else: each section is checked and
    // reported on its own.
    let v = validator.validate(
        &Document::from_toml_str(
            "[plugins.store.a]\ncapacity = \"lots\"\n[plugins.store.b]\ncapacity = 7\n\
             [plugins.store.c]\ncapacty = 7\n",
        )
        .unwrap(),
    );
    let a = errors_of(&v, "store.a");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].path, "/plugins/store/a/capacity");
    assert_eq!(a[0].plugin.as_deref(), Some("store.a"));
    assert_eq!(a[0].rule, "type");
    let b = plugin(&v, "store.b").value.clone().unwrap();
    assert_eq!(
        (b["capacity"].clone(), b["label"].clone()),
        (json!(7), json!("mem"))
    );
    let c = errors_of(&v, "store.c");
    assert_eq!(c[0].path, "/plugins/store/c/capacty");
    assert_eq!(c[0].suggestion.as_deref(), Some("capacity"));
}

/// A hand-written descriptor of kind `store` (the registry's view of a plugin).
const fn descriptor(
    name: &'static str,
    config: Option<crate::model::descriptor::ConfigSpec>,
) -> crate::model::descriptor::PluginDescriptor {
    trait Store {}
    crate::model::descriptor::PluginDescriptor::from_parts(crate::__private::DescriptorParts {
        name,
        kind: "store",
        kind_type: crate::__private::type_id_of::<dyn Store>,
        version: "1.0.0",
        api: "0.1",
        description: "",
        crate_name: "tests",
        crate_version: "1.0.0",
        file: "tests.rs",
        line: 1,
        dependencies: &[],
        capabilities: &[],
        config,
        factory: |_, _| Err("not built".into()),
    })
}

#[test]
fn the_registry_compiles_one_schema_per_config_type() {
    use crate::__private::config_spec;
    static PLUGINS: [crate::model::descriptor::PluginDescriptor; 5] = [
        descriptor("a", Some(config_spec::<MemoryConfig>())),
        descriptor("b", Some(config_spec::<MemoryConfig>())),
        descriptor("c", Some(config_spec::<DetectConfig>())),
        descriptor("d", None),
        descriptor("e", Some(config_spec::<MemoryConfig>())),
    ];
    let catalog = crate::discover::catalog::Catalog::new(PLUGINS.iter()).unwrap();
    let (validator, failures) = crate::validate::compat::config_validator(&catalog);
    assert!(failures.is_empty());
    // The catalog keeps the order here (sorted by id already).
    assert!(validator.shares_compiled(0, 1));
    assert!(validator.shares_compiled(0, 4));
    assert!(!validator.shares_compiled(0, 2));
    assert!(!validator.has_compiled(3));
    assert_eq!(validator.compiled_count(), 2);

    let v = validator.validate(&Document::empty());
    assert!(v.is_ok());
    assert_eq!(v.plugins[0].value, Ok(memory_defaults()));
    assert_eq!(v.plugins[3].id(), "store.d");
    assert_eq!(v.plugins[3].value, Ok(json!({})));
}

#[test]
fn broken_schemas_are_shared_and_reported_per_plugin() {
    let broken = || Some(Arc::new(json!({ "type": 12 })));
    let validator = ConfigValidator::new([
        PluginSchema::new("store", "x", broken(), json!({})),
        PluginSchema::new("store", "y", broken(), json!({})),
    ]);
    assert!(validator.shares_compiled(0, 1));
    let v = validator.validate(&Document::empty());
    for id in ["store.x", "store.y"] {
        let errors = errors_of(&v, id);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].rule, "schema");
        assert_eq!(errors[0].plugin.as_deref(), Some(id));
        assert!(
            errors[0].message.contains(&format!("`{id}`")),
            "{}",
            errors[0]
        );
    }
}

#[test]
fn plugins_given_in_any_order_find_their_sections() {
    // Not sorted by id, a name shared by two kinds, and an id given twice
    // (both get the section).
    let validator = ConfigValidator::new([
        plugin_of::<MemoryConfig>("store", "zeta"),
        plugin_without_config("classifier", "memory"),
        plugin_of::<MemoryConfig>("store", "memory"),
        plugin_of::<MemoryConfig>("index", "memory"),
        plugin_of::<MemoryConfig>("store", "alpha"),
        plugin_of::<MemoryConfig>("store", "memory"),
    ]);
    let v = validator.validate(
        &Document::from_toml_str(
            "[plugins.store.memory]\ncapacity = 3\n[plugins.store.zeta]\ncapacity = 4\n\
             [plugins.index.memory]\nenabled = false\n[plugins.store.beta]\n",
        )
        .unwrap(),
    );
    let values: Vec<(String, bool, Option<Value>)> = v
        .plugins
        .iter()
        .map(|p| {
            let value = p.value.clone().unwrap();
            (p.id(), p.enabled, value.get("capacity").cloned())
        })
        .collect();
    assert_eq!(
        values,
        [
            ("store.zeta".to_owned(), true, Some(json!(4))),
            ("classifier.memory".to_owned(), true, None),
            ("store.memory".to_owned(), true, Some(json!(3))),
            ("index.memory".to_owned(), false, Some(json!(100))),
            ("store.alpha".to_owned(), true, Some(json!(100))),
            ("store.memory".to_owned(), true, Some(json!(3))),
        ]
    );
    let errors: Vec<&str> = v.document_errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(errors, ["/plugins/store/beta"]);
    assert_eq!(v.plugins[2].kind(), "store");
    assert_eq!(v.plugins[2].name(), "memory");
}

#[test]
fn validator_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ConfigValidator>();
    check::<Validated>();
}

// --- robustness -------------------------------------------------------------

fn toml_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z\\[\\]=\"'.{}, \n0-9_#-]{0,120}",
        proptest::collection::vec(any::<u8>(), 0..120)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        (
            proptest::sample::select(vec!["store", "storr", "classifier", "index", "x"]),
            proptest::sample::select(vec![
                "memory",
                "memroy",
                "language-detect",
                "keywords",
                "tree"
            ]),
            "[a-z_]{1,8}",
            "[0-9a-z\"\\[\\]{}=., ]{0,20}",
        )
            .prop_map(|(k, n, key, v)| format!("[plugins.{k}.{n}]\n{key} = {v}\n")),
    ]
}

fn env_name() -> impl Strategy<Value = String> {
    let segment = proptest::sample::select(vec![
        "PLUGINS",
        "STORE",
        "MEMORY",
        "MEMROY",
        "CAPACITY",
        "INNER",
        "DEPTH",
        "ENABLED",
        "CLASSIFIER",
        "LANGUAGE_DETECT",
        "KEYWORDS",
        "",
        "_",
        "X",
        "Tags",
        "é",
    ]);
    proptest::collection::vec(segment, 0..7).prop_map(|s| format!("PEGBOARD__{}", s.join("__")))
}

proptest! {
    #[test]
    fn never_panics(
        text in toml_ish(),
        vars in proptest::collection::vec((env_name(), "[ -~]{0,16}"), 0..6),
    ) {
        let validator = validator();
        let mut doc = match Document::from_toml_str(&text) {
            Ok(doc) => doc,
            Err(e) => {
                prop_assert_eq!(e.rule.as_str(), "parse");
                let _ = e.to_string();
                Document::empty()
            }
        };
        let mut plain = doc.clone();
        for e in plain.apply_env(&vars) {
            prop_assert_eq!(e.rule.as_str(), "env");
        }
        for e in validator.apply_env(&mut doc, &vars) {
            prop_assert_eq!(e.rule.as_str(), "env");
        }
        for d in [&doc, &plain] {
            let v = validator.validate(d);
            prop_assert_eq!(v.plugins.len(), 4);
            for e in v.errors() {
                let _ = e.to_string();
                prop_assert!(e.path.is_empty() || e.path.starts_with('/'));
            }
            let _ = d.to_json();
        }
    }
}
