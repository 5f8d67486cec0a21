use super::*;
use crate::model::descriptor::PluginDescriptor;
use crate::supervise::composition_error::CompositionError;
use crate::validate::config::Document;

trait Thing {}

static GOOD: PluginDescriptor = PluginDescriptor::for_tests(
    "thing",
    "good",
    crate::__private::type_id_of::<dyn Thing>,
    "1.0.0",
    "0.1",
);
static BAD: PluginDescriptor = PluginDescriptor::for_tests(
    "thing",
    "bad",
    crate::__private::type_id_of::<dyn Thing>,
    "1.0",
    "0.1",
);

/// `thing.bad` (index 0, an invalid version) and `thing.good` (1).
fn registry() -> Registry {
    Registry::builder()
        .descriptors([&GOOD, &BAD])
        .build()
        .unwrap()
}

#[test]
fn without_config_the_build_gets_what_validating_an_empty_document_gives() {
    let registry = registry();
    let (validator, failures) = crate::validate::compat::config_validator(registry.catalog());
    assert!(failures.is_empty());
    let validated = validator.validate(&Document::empty());
    assert!(validated.is_ok());
    assert_eq!(registry.settings(), &validated.settings);
    assert!(registry.configs.is_empty());
    assert!(registry.settings().dispatch.is_empty());
    assert_eq!(registry.settings().dispatch("thing"), Default::default());

    // An override variable is configuration: validated, not skipped.
    let registry = Registry::builder()
        .descriptors([&GOOD, &BAD])
        .env([("PEGBOARD__SUPERVISION__START_TIMEOUT_MS", "7")])
        .build()
        .unwrap();
    assert_eq!(registry.settings().supervision.start_timeout_ms, 7);
    assert_eq!(registry.settings().plugin(1).start_timeout_ms, 7);
}

#[test]
fn a_host_prefix_reads_its_own_variables_and_no_pegboard_ones() {
    let sift = crate::validate::config::EnvPrefix::new("SIFT_PLUGIN").unwrap();
    let registry = Registry::builder()
        .descriptors([&GOOD, &BAD])
        .env_prefix(sift)
        .env([
            ("PEGBOARD__SUPERVISION__START_TIMEOUT_MS", "7"),
            ("SIFT_PLUGIN__SUPERVISION__START_TIMEOUT_MS", "9"),
            // Not even looked at: a malformed PEGBOARD_ variable is no error.
            ("PEGBOARD_TIMEOUT_MS", "x"),
        ])
        .build()
        .unwrap();
    assert_eq!(registry.settings().supervision.start_timeout_ms, 9);
    let err = Registry::builder()
        .descriptors([&GOOD, &BAD])
        .env_prefix(crate::validate::config::EnvPrefix::new("SIFT_PLUGIN").unwrap())
        .env([("SIFT_PLUGIN__SUPERVISION__START_TIMEOUT_MS", "soon")])
        .build()
        .map(|_| ())
        .unwrap_err();
    assert!(
        err.to_string().contains("/supervision/start_timeout_ms"),
        "{err}"
    );
}

#[test]
fn a_metric_namespace_names_the_families_and_an_invalid_one_is_refused() {
    let registry = Registry::builder()
        .descriptors([&GOOD])
        .metric_namespace("sift_plugin")
        .build()
        .unwrap();
    let text = registry.metrics().render();
    assert!(text.contains("\nsift_plugin_restarts_total{"), "{text}");
    assert!(
        text.contains("# TYPE sift_plugin_invocations counter"),
        "{text}"
    );
    assert!(!text.contains("pegboard_plugin"), "{text}");
    for bad in ["", "9lives", "sift-plugin"] {
        let err = Registry::builder()
            .descriptors([&GOOD])
            .metric_namespace(bad)
            .build()
            .map(|_| ())
            .unwrap_err();
        assert!(
            matches!(&err, CompositionError::MetricNamespace(ns) if ns == bad),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_slot_is_four_words() {
    // What a build writes for every plugin: state, level and three
    // pointers to what is created on first use.
    assert_eq!(size_of::<Slot>(), 32);
}

#[test]
fn instance_cells_are_created_by_the_first_instance_stored() {
    let registry = registry();
    assert!(registry.instances.iter().all(|c| !c.is_some()));
    // Clearing what was never built creates nothing.
    registry.discard(1);
    assert!(!registry.instances[1].is_some());
    // GOOD's factory fails: still nothing stored.
    assert!(registry.instance(1).is_err());
    assert!(!registry.instances[1].is_some());
    assert!(registry.instances[1].load_full().is_none());
}

#[test]
fn counters_are_created_by_the_first_recorded_call_and_read_as_zero_before() {
    let registry = registry();
    assert!(registry.slots.iter().all(|s| s.counters.get().is_none()));
    assert_eq!(registry.counters("thing.good").unwrap().successes, 0);
    assert!(
        registry.slots[1].counters.get().is_none(),
        "reading creates nothing"
    );

    let d = std::time::Duration::from_millis(1);
    registry
        .recording_counters(1)
        .record(crate::model::call_result::CallResult::Ok, d, None);
    registry
        .recording_counters(1)
        .record(crate::model::call_result::CallResult::Ok, d, None);
    assert_eq!(registry.counters("thing.good").unwrap().successes, 2);
    assert_eq!(registry.counters("thing.bad").unwrap().successes, 0);
    assert_eq!(
        NEVER_CALLED.snapshot().successes,
        0,
        "the shared zeros stay zero"
    );
}

#[test]
fn statuses_are_created_on_first_use_with_the_state_the_build_gave() {
    let registry = registry();
    let (bad, good) = (0, 1);
    assert!(
        registry.slots.iter().all(|s| s.status.get().is_none()),
        "a build creates no status"
    );
    assert_eq!(registry.slot_state(good), PluginState::Configured);
    assert_eq!(registry.slot_state(bad), PluginState::Failed);

    let info = registry.plugin("thing.bad").unwrap();
    assert_eq!(info.state, PluginState::Failed);
    assert!(matches!(
        info.failure,
        Some(Failure::InvalidDescriptor { .. })
    ));
    assert_eq!(info.transitions.len(), 1);
    assert_eq!(info.transitions[0].from, PluginState::Registered);
    assert_eq!(info.transitions[0].to, PluginState::Failed);
    assert_eq!(info.transitions[0].at, registry.built_at);
    assert!(
        info.transitions[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("`1.0`")
    );
    assert!(registry.slots[bad].status.get().is_some());
    assert!(registry.slots[good].status.get().is_none());

    registry.set_state(good, PluginState::Running, None);
    let info = registry.plugin("thing.good").unwrap();
    let path: Vec<_> = info.transitions.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        path,
        [
            (PluginState::Registered, PluginState::Configured),
            (PluginState::Configured, PluginState::Running)
        ]
    );
    assert_eq!(info.transitions[0].at, registry.built_at);
}
