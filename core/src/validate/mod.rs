//! Stage 2, validate: the descriptors' names, versions and API against this
//! build ([`compat`]), and the configuration document against each plugin's
//! schema ([`config`](crate::validate::config)), giving the [`Settings`](settings::Settings)
//! and each plugin's validated config.
//!
//! Takes the [`Catalog`] of stage 1 and gives a [`Validated`]: what the
//! next stage orders. A problem of one plugin fails that plugin (recorded
//! in [`Validated::initial`]); only a document that is unusable as a whole
//! is an error.

pub mod compat;
pub mod config;
pub mod initial;
pub mod settings;

use crate::discover::catalog::Catalog;
use crate::model::state::Failure;
use crate::model::telemetry;
use crate::validate::config::{ConfigError, Document, EnvPrefix};
use initial::Initial;
use settings::Settings;

/// The validated configuration of each plugin that has one, by index,
/// sorted.
pub(crate) type Configs = Vec<(usize, serde_json::Value)>;

/// What validation gives the next stage.
#[derive(Debug)]
pub(crate) struct Validated {
    /// The supervision and dispatch settings of the composition.
    pub(crate) settings: Settings,
    /// The validated configuration of each plugin that has one.
    pub(crate) configs: Configs,
    /// The plugins that failed validation or are disabled.
    pub(crate) initial: Initial,
}

/// Checks `catalog`'s descriptors and validates the configuration of its
/// plugins against `document` with the environment overrides `env` (the
/// variables of `prefix`).
///
/// Fails only for a document that is unusable as a whole (every error
/// listed, each also logged as a `plugin.registry.validation_error` event).
pub(crate) fn validate(
    catalog: &Catalog,
    document: Document,
    env: &[(String, String)],
    prefix: &EnvPrefix,
) -> Result<Validated, Vec<ConfigError>> {
    let mut initial = Initial::new(catalog.len());
    let summary = catalog.summary();
    if !(summary.names_valid && summary.checked) {
        let mut checker = compat::DescriptorChecker::default();
        for (i, d) in catalog.descriptors().iter().enumerate() {
            if let Err(f) = checker.check(d) {
                initial.set(i, f);
            }
        }
    }
    let (settings, configs) = validate_config(catalog, document, env, prefix, &mut initial)?;
    Ok(Validated {
        settings,
        configs,
        initial,
    })
}

/// Validates the configuration of `catalog`'s plugins: their settings and
/// the configs of those that have one (by index, sorted), recording in
/// `initial` the plugins that are disabled or whose config is invalid.
///
/// Builds no validator when there is nothing to validate (no plugin takes a
/// config, no section, no override variable): the common case of a large
/// composition, where building one was most of the build.
fn validate_config(
    catalog: &Catalog,
    mut document: Document,
    env: &[(String, String)],
    prefix: &EnvPrefix,
    initial: &mut Initial,
) -> Result<(Settings, Configs), Vec<ConfigError>> {
    if document.is_empty()
        && !env.iter().any(|(k, _)| prefix.is_override_variable(k))
        && !catalog.summary().has_config
    {
        let settings = crate::validate::config::ConfigValidator::empty_document_settings();
        return Ok((settings, Vec::new()));
    }
    let (validator, schema_failures) = compat::config_validator(catalog);
    let validator = validator.with_env_prefix(prefix.clone());
    let mut document_errors = validator.apply_env(&mut document, env);
    // An override for a kind that does not exist changes nothing: a
    // warning, not a reason to refuse the whole composition.
    document_errors.retain(|e| {
        if e.is_lenient() {
            telemetry::validation_warning(&e.rule, &e.to_string(), e.suggestion.as_deref());
        }
        !e.is_lenient()
    });
    let mut configs = Vec::new();
    let mut config_failures = Vec::new();
    let (errors, settings) = validator.validate_sections(&document, |i, plugin| {
        if !plugin.enabled {
            config_failures.push((i, Failure::Disabled));
            return;
        }
        if schema_failures
            .binary_search_by_key(&i, |(j, _)| *j)
            .is_ok()
        {
            // Failed already: no config to keep, nor errors to report.
            return;
        }
        match plugin.value {
            Ok(v) => configs.push((i, v)),
            Err(errors) => {
                // One event per error (the failure's kind, each error's
                // path and message), as the document's are logged.
                let failure = Failure::Config { errors };
                if let Failure::Config { errors } = &failure {
                    for e in errors {
                        telemetry::validation_error(
                            e.plugin.as_deref(),
                            failure.kind(),
                            &e.to_string(),
                        );
                    }
                }
                config_failures.push((i, failure));
            }
        }
    });
    document_errors.extend(errors);
    if !document_errors.is_empty() {
        for e in &document_errors {
            telemetry::validation_error(e.plugin.as_deref(), &e.rule, &e.to_string());
        }
        return Err(document_errors);
    }
    // A disabled plugin is disabled whatever else is wrong with it.
    for (i, f) in config_failures {
        match f {
            Failure::Disabled => initial.set(i, f),
            f => initial.first(i, f),
        }
    }
    for (i, f) in schema_failures {
        initial.first(i, f);
    }
    Ok((settings, configs))
}
