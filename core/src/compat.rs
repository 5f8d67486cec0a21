//! Run-time checks of descriptor metadata: the same rules the macro checks at
//! compile time, again, for descriptors that did not come from this build's
//! macro (remote plugins, hand-written descriptors) and as defence in depth.

use crate::catalog::Catalog;
use crate::config::{ConfigValidator, Plugin};
use crate::descriptor::PluginDescriptor;
use crate::state::Failure;

/// Whether `name` is a valid kind or plugin name: `[a-z0-9][a-z0-9_-]*`.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Checks names, the plugin version and API compatibility (SPEC V2, V3).
pub(crate) fn check_descriptor(d: &PluginDescriptor) -> Result<(), Failure> {
    for (what, name) in [("kind", d.kind()), ("name", d.name())] {
        if !is_valid_name(name) {
            return Err(Failure::InvalidDescriptor {
                message: format!("{what} `{name}` must match [a-z0-9][a-z0-9_-]*"),
            });
        }
    }
    if let Err(e) = semver::Version::parse(d.version()) {
        return Err(Failure::InvalidDescriptor {
            message: format!("version `{}` is not valid semver: {e}", d.version()),
        });
    }
    let required =
        pegboard_api::parse_api_version(d.api()).map_err(|e| Failure::InvalidDescriptor {
            message: e.to_string(),
        })?;
    pegboard_api::check_compatible(&required, &pegboard_api::api_version()).map_err(|e| {
        Failure::IncompatibleApi {
            message: format!("plugin `{}` {e}", d.id()),
        }
    })
}

/// The config validator for a catalog, and per plugin a failure if its
/// config type cannot even produce its defaults.
///
/// A plugin without a config type costs no allocation here (its names are
/// borrowed from the descriptor, its empty defaults allocate nothing) and no
/// compilation. The schema of a config type is generated once however many
/// plugins use it, and the validator compiles it once.
pub(crate) fn config_validator(catalog: &Catalog) -> (ConfigValidator, Vec<Option<Failure>>) {
    let mut failures = vec![None; catalog.len()];
    // Schemas by generating function. Equal pointers mean the same code, so
    // the same schema; one type seen through two pointers just generates
    // its schema twice, and the validator still compiles it once.
    let mut schemas: std::collections::HashMap<usize, std::sync::Arc<serde_json::Value>> =
        Default::default();
    let plugins = catalog.descriptors().iter().enumerate().map(|(i, d)| {
        let config = d.config().map(|spec| {
            let defaults = (spec.defaults)().unwrap_or_else(|e| {
                failures[i] = Some(Failure::InvalidDescriptor {
                    message: format!(
                        "the default value of config type `{}` cannot be serialized: {e}",
                        (spec.type_name)()
                    ),
                });
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
