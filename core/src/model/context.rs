//! What a plugin constructor can see: its own id and its declared dependencies.

use std::sync::Arc;

use crate::descriptor::PluginDescriptor;
use crate::error::Error;
use crate::kind::Kind;
use crate::registry::Registry;

/// Handed to a plugin's constructor (`new = ...`): its identity and access to
/// the plugins it declared in `depends_on`.
///
/// Only declared dependencies can be reached, so the dependency graph that
/// pegboard orders, checks for cycles and shows in `plugins graph` is the
/// whole truth.
pub struct Context<'r> {
    registry: &'r Registry,
    index: usize,
}

impl<'r> Context<'r> {
    pub(crate) fn new(registry: &'r Registry, index: usize) -> Self {
        Context { registry, index }
    }

    /// The descriptor of the plugin being built.
    pub fn descriptor(&self) -> &'static PluginDescriptor {
        self.registry.catalog().descriptors()[self.index]
    }

    /// The id (`kind.name`) of the plugin being built.
    pub fn id(&self) -> &str {
        self.registry.catalog().id(self.index)
    }

    /// A declared dependency of kind `K` named `name`, built on first use.
    ///
    /// Fails with [`Error::UndeclaredDependency`] for a plugin that is not in
    /// `depends_on`, and like [`Registry::get`] otherwise (an optional
    /// dependency that is absent is [`Error::NotFound`]).
    pub fn dependency<K: Kind + ?Sized>(&self, name: &str) -> Result<Arc<K>, Error> {
        let declared = self
            .descriptor()
            .dependencies()
            .iter()
            .any(|d| d.name == name && d.kind.is_none_or(|kind| kind == K::NAME));
        if !declared {
            return Err(Error::UndeclaredDependency {
                plugin: self.id().to_owned(),
                dependency: format!("{}.{}", K::NAME, name),
            });
        }
        self.registry.get::<K>(name)
    }

    /// The registry being composed (read-only metadata; use
    /// [`dependency`](Self::dependency) to reach other plugins).
    pub fn registry(&self) -> &'r Registry {
        self.registry
    }
}
