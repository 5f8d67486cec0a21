//! A built plugin, type-erased until a typed lookup takes it out again.

use std::any::Any;
use std::sync::Arc;

use crate::kind::Kind;
use crate::lifecycle::DynLifecycle;

/// A built plugin: an `Arc<dyn SomeKind>` behind a type-erased box, and its
/// lifecycle hooks if it has any.
///
/// Constructed by the code `#[pegboard::plugin]` generates; the registry
/// hands it back typed through [`Registry::get`](crate::Registry::get).
pub struct Instance {
    inner: Box<dyn Any + Send + Sync>,
    lifecycle: Option<Arc<dyn DynLifecycle>>,
}

impl Instance {
    /// Wraps a plugin of kind `K` (`K` is `dyn SomeKind`; it is not bound
    /// by [`Kind`] here so that naming a trait that is not a kind is
    /// reported once, where the plugin's descriptor names it).
    pub fn new<K: ?Sized + Send + Sync + 'static>(plugin: Arc<K>) -> Self {
        Instance {
            inner: Box::new(plugin),
            lifecycle: None,
        }
    }

    /// Adds lifecycle hooks (the macro does this for plugins declared with
    /// `lifecycle`).
    #[doc(hidden)]
    pub fn with_lifecycle(mut self, lifecycle: Arc<dyn DynLifecycle>) -> Self {
        self.lifecycle = Some(lifecycle);
        self
    }

    /// The plugin as `Arc<K>`, or `None` if it is of another kind.
    pub fn get<K: Kind + ?Sized>(&self) -> Option<Arc<K>> {
        self.inner.downcast_ref::<Arc<K>>().cloned()
    }

    pub(crate) fn lifecycle(&self) -> Option<&Arc<dyn DynLifecycle>> {
        self.lifecycle.as_ref()
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("lifecycle", &self.lifecycle.is_some())
            .finish_non_exhaustive()
    }
}
