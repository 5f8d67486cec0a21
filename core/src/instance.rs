//! A built plugin, type-erased until a typed lookup takes it out again.

use std::any::Any;
use std::sync::Arc;

use crate::kind::Kind;

/// A built plugin: an `Arc<dyn SomeKind>` behind a type-erased box.
///
/// Constructed by the code `#[pegboard::plugin]` generates; the registry
/// hands it back typed through [`Registry::get`](crate::Registry::get).
pub struct Instance {
    inner: Box<dyn Any + Send + Sync>,
}

impl Instance {
    /// Wraps a plugin of kind `K` (`K` is `dyn SomeKind`; it is not bound
    /// by [`Kind`] here so that naming a trait that is not a kind is
    /// reported once, where the plugin's descriptor names it).
    pub fn new<K: ?Sized + Send + Sync + 'static>(plugin: Arc<K>) -> Self {
        Instance {
            inner: Box::new(plugin),
        }
    }

    /// The plugin as `Arc<K>`, or `None` if it is of another kind.
    pub fn get<K: Kind + ?Sized>(&self) -> Option<Arc<K>> {
        self.inner.downcast_ref::<Arc<K>>().cloned()
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").finish_non_exhaustive()
    }
}
