//! The checks an announcement must pass before anything is recorded.

use crate::proto::v1::PluginMeta;

use crate::error::RemoteError;

pub(super) fn check_node(node: &str) -> Result<(), RemoteError> {
    if node.is_empty() || node.chars().any(char::is_control) {
        return Err(RemoteError::InvalidNode {
            node: format!("{node:?}"),
        });
    }
    Ok(())
}

pub(super) fn check_address(address: &str) -> Result<(), RemoteError> {
    let invalid = |reason: &str| RemoteError::InvalidAddress {
        address: address.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: tonic::codegen::http::Uri = address
        .parse()
        .map_err(|e: tonic::codegen::http::uri::InvalidUri| invalid(&e.to_string()))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid("expected an http:// or https:// URI"));
    }
    if uri.authority().is_none() {
        return Err(invalid("expected a host and port"));
    }
    Ok(())
}

/// Checks one plugin's metadata; returns its id.
pub(super) fn check_plugin(
    meta: &PluginMeta,
    provided: &semver::Version,
) -> Result<String, RemoteError> {
    let id = format!("{}.{}", meta.kind, meta.name);
    for (what, name) in [("kind", &meta.kind), ("plugin", &meta.name)] {
        if !pegboard_core::is_valid_name(name) {
            return Err(RemoteError::InvalidName {
                plugin_id: id,
                what,
                name: name.clone(),
            });
        }
    }
    if let Err(e) = semver::Version::parse(&meta.version) {
        return Err(RemoteError::InvalidVersion {
            plugin_id: id,
            version: meta.version.clone(),
            reason: e.to_string(),
        });
    }
    let required = match pegboard_api::parse_api_version(&meta.api) {
        Ok(v) => v,
        Err(source) => {
            return Err(RemoteError::InvalidApi {
                plugin_id: id,
                source,
            });
        }
    };
    if let Err(source) = pegboard_api::check_compatible(&required, provided) {
        return Err(RemoteError::Incompatible {
            plugin_id: id,
            source,
        });
    }
    Ok(id)
}
