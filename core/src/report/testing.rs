//! Helpers for an application's own tests.

use crate::supervise::registry::Registry;

/// Asserts that the plugins compiled into this test binary form a sound
/// composition: no duplicate ids, every plugin API-compatible, every default
/// configuration valid, no dependency cycles and no missing required
/// dependencies. Panics with every problem listed otherwise.
///
/// Plugins are not instantiated (their constructors may need resources a
/// test does not have). Call it from a test in the application crate, after
/// [`link_plugins!`](crate::link_plugins) so the test binary links the same
/// plugin crates as the application:
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// // tests/composition.rs of the application, under `#[test]`:
/// fn composition_is_sound() {
///     pegboard::testing::assert_composition_sound();
/// }
/// # composition_is_sound();
/// ```
#[track_caller]
pub fn assert_composition_sound() {
    if let Err(report) = check_composition(Registry::builder()) {
        panic!("{report}");
    }
}

/// The check behind [`assert_composition_sound`], on any builder, returning
/// the report instead of panicking.
pub fn check_composition(builder: crate::supervise::build::RegistryBuilder) -> Result<(), String> {
    let registry = builder
        .build()
        .map_err(|e| format!("the plugin composition is refused: {e}"))?;
    let failures = registry.failures();
    if failures.is_empty() {
        return Ok(());
    }
    let mut report = format!(
        "the plugin composition is not sound ({} of {} plugins unusable):",
        failures.len(),
        registry.catalog().len()
    );
    for (id, failure) in failures {
        report.push_str(&format!("\n  - {id}: {failure}"));
    }
    Err(report)
}
