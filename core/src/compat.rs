//! Run-time checks of descriptor metadata: the same rules the macro checks at
//! compile time, again, for descriptors that did not come from this build's
//! macro (remote plugins, hand-written descriptors) and as defence in depth.

use crate::catalog::Catalog;
use crate::config::{ConfigValidator, PluginSchema};
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
pub(crate) fn config_validator(catalog: &Catalog) -> (ConfigValidator, Vec<Option<Failure>>) {
    let mut failures = vec![None; catalog.len()];
    let schemas = catalog
        .descriptors()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (schema, defaults) = match d.config() {
                Some(spec) => {
                    let defaults = (spec.defaults)().unwrap_or_else(|e| {
                        failures[i] = Some(Failure::InvalidDescriptor {
                            message: format!(
                                "the default value of config type `{}` cannot be serialized: {e}",
                                (spec.type_name)()
                            ),
                        });
                        serde_json::Value::Object(Default::default())
                    });
                    (Some((spec.schema)()), defaults)
                }
                None => (None, serde_json::Value::Object(Default::default())),
            };
            PluginSchema {
                id: catalog.ids()[i].clone(),
                kind: d.kind().to_owned(),
                name: d.name().to_owned(),
                schema,
                defaults,
            }
        })
        .collect();
    (ConfigValidator::new(schemas), failures)
}
