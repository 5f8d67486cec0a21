//! Run-time checks of descriptor metadata: the same rules the macro checks at
//! compile time, again, for descriptors that did not come from this build's
//! macro (remote plugins, hand-written descriptors) and as defence in depth.

use std::collections::HashMap;

use crate::discover::catalog::Catalog;
use crate::model::descriptor::PluginDescriptor;
use crate::model::names::is_valid_name;
use crate::model::names::same_str;
use crate::model::state::Failure;
use crate::validate::config::{ConfigValidator, Plugin};

/// Checks names, the plugin version and API compatibility (SPEC V2, V3) of
/// many descriptors, parsing each distinct version and API string once: the plugins of one build nearly all share a few of
/// them, and parsing semver for every plugin was most of the check's cost.
#[derive(Default)]
pub(crate) struct DescriptorChecker {
    versions: HashMap<&'static str, Result<(), String>, foldhash::fast::FixedState>,
    apis: HashMap<&'static str, Result<(), ApiProblem>, foldhash::fast::FixedState>,
    /// The (version, API) of the last descriptor that passed.
    last_good: Option<(&'static str, &'static str)>,
}

/// Why an API requirement is refused, before the plugin's id is attached.
#[derive(Clone)]
enum ApiProblem {
    Invalid(String),
    Incompatible(String),
}

impl DescriptorChecker {
    /// Checks one descriptor.
    pub(crate) fn check(&mut self, d: &PluginDescriptor) -> Result<(), Failure> {
        let flags = d.flags();
        if !flags.names_valid {
            for (what, name) in [("kind", d.kind()), ("name", d.name())] {
                if !is_valid_name(name) {
                    return Err(Failure::InvalidDescriptor {
                        message: format!("{what} `{name}` must match [a-z0-9][a-z0-9_-]*"),
                    });
                }
            }
        }
        if flags.checked {
            // By `#[pegboard::plugin]`, at compile time: the same parsers,
            // against the same `pegboard_api::api_version()`.
            return Ok(());
        }
        // The plugins of one build nearly always share their strings (one
        // literal, often one pointer): the last good pair skips the maps.
        if let Some((version, api)) = self.last_good {
            if same_str(version, d.version()) && same_str(api, d.api()) {
                return Ok(());
            }
        }
        // And so do the builds of one process: a pair that passed once
        // passes again (the strings are `'static`), without parsing.
        if known_good(d.version(), d.api()) {
            self.last_good = Some((d.version(), d.api()));
            return Ok(());
        }
        let version = self.versions.entry(d.version()).or_insert_with(|| {
            semver::Version::parse(d.version())
                .map(drop)
                .map_err(|e| format!("version `{}` is not valid semver: {e}", d.version()))
        });
        if let Err(message) = version {
            return Err(Failure::InvalidDescriptor {
                message: message.clone(),
            });
        }
        let api = self.apis.entry(d.api()).or_insert_with(|| {
            let required = pegboard_api::parse_api_version(d.api())
                .map_err(|e| ApiProblem::Invalid(e.to_string()))?;
            pegboard_api::check_compatible(&required, &pegboard_api::api_version())
                .map_err(|e| ApiProblem::Incompatible(e.to_string()))
        });
        match api {
            Ok(()) => {
                self.last_good = Some((d.version(), d.api()));
                remember_good(d.version(), d.api());
                Ok(())
            }
            Err(ApiProblem::Invalid(message)) => Err(Failure::InvalidDescriptor {
                message: message.clone(),
            }),
            Err(ApiProblem::Incompatible(e)) => Err(Failure::IncompatibleApi {
                message: format!("plugin `{}` {e}", d.id()),
            }),
        }
    }
}

/// The (version, API) pairs that passed [`DescriptorChecker::check`] in
/// this process, up to [`KNOWN_GOOD_MAX`]: the strings of compiled-in
/// plugins, so few and fixed.
static KNOWN_GOOD: std::sync::RwLock<Vec<(&'static str, &'static str)>> =
    std::sync::RwLock::new(Vec::new());

/// Enough for every distinct pair of any real build; the bound only keeps
/// descriptors made at run time from growing the list.
const KNOWN_GOOD_MAX: usize = 64;

fn known_good(version: &str, api: &str) -> bool {
    // A poisoned lock only means a panic elsewhere while it was held; the
    // list is only ever pushed to whole.
    let known = KNOWN_GOOD.read().unwrap_or_else(|e| e.into_inner());
    known
        .iter()
        .any(|&(v, a)| same_str(v, version) && same_str(a, api))
}

fn remember_good(version: &'static str, api: &'static str) {
    let mut known = KNOWN_GOOD.write().unwrap_or_else(|e| e.into_inner());
    if known.len() < KNOWN_GOOD_MAX
        && !known
            .iter()
            .any(|&(v, a)| same_str(v, version) && same_str(a, api))
    {
        known.push((version, api));
    }
}

/// The config validator for a catalog, and the plugins whose config type
/// cannot even produce its defaults (by index, in order), with why.
///
/// A plugin without a config type costs no allocation here (its names are
/// borrowed from the descriptor, its empty defaults allocate nothing) and no
/// compilation. The schema of a config type is generated once however many
/// plugins use it, and the validator compiles it once.
pub fn config_validator(catalog: &Catalog) -> (ConfigValidator, Vec<(usize, Failure)>) {
    let mut failures = Vec::new();
    // Schemas by generating function. Equal pointers mean the same code, so
    // the same schema; one type seen through two pointers just generates
    // its schema twice, and the validator still compiles it once.
    let mut schemas: HashMap<usize, std::sync::Arc<serde_json::Value>> = Default::default();
    let plugins = catalog.descriptors().iter().enumerate().map(|(i, d)| {
        let config = d.config().map(|spec| {
            let defaults = (spec.defaults)().unwrap_or_else(|e| {
                failures.push((
                    i,
                    Failure::InvalidDescriptor {
                        message: format!(
                            "the default value of config type `{}` cannot be serialized: {e}",
                            (spec.type_name)()
                        ),
                    },
                ));
                serde_json::Value::Object(Default::default())
            });
            let schema = schemas
                .entry(spec.schema as usize)
                .or_insert_with(|| std::sync::Arc::new((spec.schema)()));
            (Some(std::sync::Arc::clone(schema)), defaults)
        });
        Plugin {
            kind: d.kind().into(),
            name: d.name().into(),
            // `None`: no config type, the empty object as defaults.
            config,
        }
    });
    let validator = ConfigValidator::from_plugins(plugins);
    (validator, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Nothing {}

    const fn descriptor(
        name: &'static str,
        version: &'static str,
        api: &'static str,
    ) -> PluginDescriptor {
        PluginDescriptor::for_tests(
            "thing",
            name,
            crate::__private::type_id_of::<dyn Nothing>,
            version,
            api,
        )
    }

    /// Used by no other test: the process-wide memo must not know it yet.
    const V: &str = "1.0.0-compat-test";
    static OK_A: PluginDescriptor = descriptor("a", V, "0.1");
    static OK_B: PluginDescriptor = descriptor("b", V, "0.1");
    static FUTURE_C: PluginDescriptor = descriptor("c", V, "9.0");
    static FUTURE_D: PluginDescriptor = descriptor("d", V, "9.0");
    static BAD_VERSION: PluginDescriptor = descriptor("e", "1.0", "0.1");
    static BAD_API: PluginDescriptor = descriptor("f", V, "one");
    static BAD_NAME: PluginDescriptor = descriptor("G", V, "0.1");

    #[test]
    fn each_distinct_string_is_parsed_once_and_failures_name_their_plugin() {
        let mut checker = DescriptorChecker::default();
        assert_eq!(checker.check(&OK_A), Ok(()));
        assert_eq!(checker.check(&OK_B), Ok(()));
        for (d, id) in [(&FUTURE_C, "thing.c"), (&FUTURE_D, "thing.d")] {
            let Err(Failure::IncompatibleApi { message }) = checker.check(d) else {
                panic!("{id} is incompatible");
            };
            assert!(
                message.starts_with(&format!("plugin `{id}` requires pegboard API 9.0.0")),
                "{message}"
            );
        }
        assert_eq!(checker.versions.len(), 1, "one distinct version string");
        assert_eq!(checker.apis.len(), 2, "two distinct API strings");

        let Err(Failure::InvalidDescriptor { message }) = checker.check(&BAD_VERSION) else {
            panic!("bad version");
        };
        assert!(
            message.starts_with("version `1.0` is not valid semver"),
            "{message}"
        );
        assert!(matches!(
            checker.check(&BAD_API),
            Err(Failure::InvalidDescriptor { .. })
        ));
        let Err(Failure::InvalidDescriptor { message }) = checker.check(&BAD_NAME) else {
            panic!("bad name");
        };
        assert_eq!(message, "name `G` must match [a-z0-9][a-z0-9_-]*");

        // The next build's checker knows the good pair without parsing it;
        // failures are not remembered.
        let mut next = DescriptorChecker::default();
        assert_eq!(next.check(&OK_B), Ok(()));
        assert!(next.versions.is_empty() && next.apis.is_empty());
        assert!(next.check(&FUTURE_D).is_err());
        assert_eq!(next.apis.len(), 1);
    }
}
