//! What a plugin constructor can see: its own id and its declared dependencies.

use std::any::Any;
use std::sync::Arc;

use crate::model::descriptor::PluginDescriptor;
use crate::model::error::Error;
use crate::model::instance::Instance;
use crate::model::kind::Kind;

/// Handed to a plugin's constructor (`new = ...`): its identity and access to
/// the plugins it declared in `depends_on`.
///
/// Only declared dependencies can be reached, so the dependency graph that
/// pegboard orders, checks for cycles and shows in `plugins graph` is the
/// whole truth.
pub struct Context<'r> {
    host: &'r dyn Host,
    index: usize,
}

/// What a constructor reaches through its [`Context`]: the registry being
/// composed. Only `Registry` implements it; the trait lets this bottom
/// layer name the constructor's argument without naming the stage that
/// builds plugins.
pub(crate) trait Host: Sync {
    /// The descriptor of plugin `index`.
    fn descriptor(&self, index: usize) -> &'static PluginDescriptor;
    /// The id (`kind.name`) of plugin `index`.
    fn id(&self, index: usize) -> &str;
    /// The plugin `kind.name` with its index, built on first use; errors
    /// as `Registry::get`'s.
    fn instance_of(&self, kind: &'static str, name: &str) -> Result<(usize, Arc<Instance>), Error>;
    /// The host as `Any`, for [`Context::registry`].
    fn as_any(&self) -> &dyn Any;
}

impl<'r> Context<'r> {
    pub(crate) fn new(host: &'r dyn Host, index: usize) -> Self {
        Context { host, index }
    }

    /// The host, for the stage that implements it.
    pub(crate) fn host(&self) -> &'r dyn Host {
        self.host
    }

    /// The descriptor of the plugin being built.
    pub fn descriptor(&self) -> &'static PluginDescriptor {
        self.host.descriptor(self.index)
    }

    /// The id (`kind.name`) of the plugin being built.
    pub fn id(&self) -> &str {
        self.host.id(self.index)
    }

    /// A declared dependency of kind `K` named `name`, built on first use.
    ///
    /// Fails with [`Error::UndeclaredDependency`] for a plugin that is not in
    /// `depends_on`, and like [`Registry::get`](crate::Registry::get)
    /// otherwise (an optional dependency that is absent is
    /// [`Error::NotFound`]).
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
        let (index, instance) = self.host.instance_of(K::NAME, name)?;
        instance.get::<K>().ok_or_else(|| Error::KindMismatch {
            id: self.host.id(index).to_owned(),
            expected: std::any::type_name::<K>(),
        })
    }
}
