//! Stage 1, discover: the descriptors compiled into this binary.
//!
//! Registration happens at link time (a `linkme` distributed slice, or
//! `inventory` with the `inventory` feature). Neither backend keeps any order,
//! and `linkme`'s order even differs between debug and release builds, so the
//! [`Catalog`](crate::Catalog) always sorts what it is given.

use crate::descriptor::PluginDescriptor;

/// One registration, as stored by the backend.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct PluginRegistration(pub &'static PluginDescriptor);

#[cfg(all(feature = "linkme", not(feature = "inventory")))]
#[doc(hidden)]
#[linkme::distributed_slice]
pub static PEGBOARD_PLUGINS: [PluginRegistration];

#[cfg(feature = "inventory")]
inventory::collect!(PluginRegistration);

/// Every plugin descriptor compiled into this binary, in no particular order.
///
/// A plugin crate that the binary depends on but never names is not linked,
/// and its plugins are missing here: see [`link_plugins!`](crate::link_plugins).
pub fn compiled_in() -> Vec<&'static PluginDescriptor> {
    #[cfg(feature = "inventory")]
    {
        inventory::iter::<PluginRegistration>
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
    #[cfg(all(feature = "linkme", not(feature = "inventory")))]
    {
        PEGBOARD_PLUGINS.iter().map(|r| r.0).collect()
    }
    #[cfg(not(any(feature = "linkme", feature = "inventory")))]
    {
        Vec::new()
    }
}

/// The name of the registration backend this build uses.
pub const BACKEND: &str = if cfg!(feature = "inventory") {
    "inventory"
} else if cfg!(feature = "linkme") {
    "linkme"
} else {
    "none"
};
