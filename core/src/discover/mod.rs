//! Stage 1, discover: the descriptors compiled into this binary.
//!
//! Registration happens at link time (a `linkme` distributed slice, or
//! `inventory` with the `inventory` feature). Neither backend keeps any order,
//! and `linkme`'s order even differs between debug and release builds, so the
//! [`Catalog`](crate::discover::catalog::Catalog) always sorts what it is given.

pub mod catalog;

use crate::model::descriptor::PluginDescriptor;

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
/// Nothing is collected or allocated: with `linkme` this walks the link-time
/// slice, with `inventory` its registration list. Collect it when you need
/// a `Vec`; [`Catalog`](crate::discover::catalog::Catalog) takes it as it is.
///
/// A plugin crate that the binary depends on but never names is not linked,
/// and its plugins are missing here: see [`link_plugins!`](crate::link_plugins).
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// let ids: Vec<String> = pegboard::discover::compiled_in().map(|d| d.id()).collect();
/// # let _ = ids;
/// ```
pub fn compiled_in() -> CompiledIn {
    CompiledIn {
        #[cfg(feature = "inventory")]
        inner: inventory::iter::<PluginRegistration>.into_iter(),
        #[cfg(all(feature = "linkme", not(feature = "inventory")))]
        inner: PEGBOARD_PLUGINS.iter(),
        #[cfg(not(any(feature = "linkme", feature = "inventory")))]
        inner: [].iter(),
    }
}

/// The iterator [`compiled_in`] returns.
#[derive(Clone)]
pub struct CompiledIn {
    #[cfg(feature = "inventory")]
    inner: <inventory::iter<PluginRegistration> as IntoIterator>::IntoIter,
    #[cfg(not(feature = "inventory"))]
    inner: std::slice::Iter<'static, PluginRegistration>,
}

impl Iterator for CompiledIn {
    type Item = &'static PluginDescriptor;

    #[inline]
    fn next(&mut self) -> Option<&'static PluginDescriptor> {
        self.inner.next().map(|r| r.0)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl std::fmt::Debug for CompiledIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledIn").finish_non_exhaustive()
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

/// Stage 1's entry: the catalog of `given` descriptors (every compiled-in
/// one when `None`) and the `extra` ones of plugins that run outside this
/// process.
pub(crate) fn catalog(
    given: Option<Vec<&'static PluginDescriptor>>,
    extra: &[&'static PluginDescriptor],
) -> Result<catalog::Catalog, catalog::CatalogError> {
    match (given, extra) {
        (Some(d), []) => catalog::Catalog::new(d),
        (None, []) => catalog::Catalog::compiled_in(),
        (d, extra) => {
            let mut all = d.unwrap_or_else(|| compiled_in().collect());
            all.extend_from_slice(extra);
            catalog::Catalog::new(all)
        }
    }
}
