//! Lifecycle hooks: what a plugin may do when it starts, stops and is asked
//! how it is.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::model::error::BoxError;

/// Async lifecycle hooks of a plugin (SPEC L1). Every hook has a default
/// (start and stop do nothing, health is healthy), so a plugin implements
/// only what it needs, and a plugin without hooks needs no impl at all.
///
/// `#[pegboard::plugin]` finds the impl by itself: implementing the trait is
/// the only step, so hooks cannot be forgotten. The `lifecycle` key is
/// optional; given, it asserts the impl exists (a compile error at the key
/// otherwise).
///
/// Each hook runs under a timeout (start/stop 30 s, health 5 s by default;
/// `[supervision]` in the config file, globally or per plugin). A hook that
/// returns an error, panics or times out fails only its plugin.
///
/// Hooks run on the tokio runtime: blocking work belongs in
/// [`tokio::task::spawn_blocking`], or it holds up a runtime thread and
/// cannot be interrupted by the timeout.
///
/// ```standalone_crate
/// # extern crate pegboard_core as pegboard;
/// use pegboard::{BoxError, Health, Lifecycle};
///
/// #[pegboard::kind]
/// pub trait Cache {
///     fn get(&self, key: &str) -> Option<String>;
/// }
///
/// #[derive(Default)]
/// #[pegboard::plugin(name = "warm", version = "0.1.0", api = "0.1", kind = Cache)]
/// pub struct Warm {
///     loaded: std::sync::atomic::AtomicBool,
/// }
///
/// impl Cache for Warm {
///     fn get(&self, _: &str) -> Option<String> {
///         None
///     }
/// }
///
/// impl Lifecycle for Warm {
///     async fn start(&self) -> Result<(), BoxError> {
///         // Load the cache; a blocking load would go in `spawn_blocking`.
///         self.loaded.store(true, std::sync::atomic::Ordering::SeqCst);
///         Ok(())
///     }
///
///     async fn health(&self) -> Health {
///         if self.loaded.load(std::sync::atomic::Ordering::SeqCst) {
///             Health::healthy()
///         } else {
///             Health::degraded("cold cache")
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "plugin `{Self}` is declared with `lifecycle` but does not implement `pegboard::Lifecycle`",
    label = "no `Lifecycle` impl",
    note = "add `impl pegboard::Lifecycle for {Self} {{}}` and override the hooks you need (each has a default), or drop `lifecycle`"
)]
pub trait Lifecycle: Send + Sync + 'static {
    /// Called once the plugin is built, in dependency order.
    fn start(&self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }

    /// Called at shutdown (reverse dependency order) and before a restart.
    fn stop(&self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }

    /// Called periodically while the plugin runs.
    fn health(&self) -> impl Future<Output = Health> + Send {
        async { Health::healthy() }
    }
}

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Lifecycle`] in a form that can be called through `dyn`.
#[doc(hidden)]
pub trait DynLifecycle: Send + Sync + 'static {
    fn start(&self) -> BoxFuture<'_, Result<(), BoxError>>;
    fn stop(&self) -> BoxFuture<'_, Result<(), BoxError>>;
    fn health(&self) -> BoxFuture<'_, Health>;
    /// Resolves when the plugin knows its health has changed (a plugin
    /// process exited), so that the supervisor checks it at once rather
    /// than at the next interval. Plugins written with [`Lifecycle`] never
    /// resolve it: they are checked periodically.
    fn changed(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::pending())
    }
}

impl<T: Lifecycle> DynLifecycle for T {
    fn start(&self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(Lifecycle::start(self))
    }
    fn stop(&self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(Lifecycle::stop(self))
    }
    fn health(&self) -> BoxFuture<'_, Health> {
        Box::pin(Lifecycle::health(self))
    }
}

/// Finds a plugin type's [`Lifecycle`] impl, if it has one, by autoref
/// specialisation: `(&LifecycleProbe::<P>::new()).hooks(plugin)` resolves to
/// [`HasLifecycle::hooks`] when `P: Lifecycle` and to [`NoLifecycle::hooks`]
/// otherwise. It works because the macro calls it on a concrete type.
#[doc(hidden)]
pub struct LifecycleProbe<P>(std::marker::PhantomData<fn() -> P>);

impl<P> LifecycleProbe<P> {
    /// The probe for `P`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        LifecycleProbe(std::marker::PhantomData)
    }
}

/// The probe's method when the plugin implements [`Lifecycle`].
#[doc(hidden)]
pub trait HasLifecycle<P> {
    /// The plugin's hooks.
    fn hooks(&self, plugin: Arc<P>) -> Option<Arc<dyn DynLifecycle>>;
}

impl<P: Lifecycle> HasLifecycle<P> for LifecycleProbe<P> {
    fn hooks(&self, plugin: Arc<P>) -> Option<Arc<dyn DynLifecycle>> {
        Some(plugin)
    }
}

/// The probe's method when the plugin does not implement [`Lifecycle`].
#[doc(hidden)]
pub trait NoLifecycle<P> {
    /// No hooks.
    fn hooks(&self, plugin: Arc<P>) -> Option<Arc<dyn DynLifecycle>>;
}

impl<P> NoLifecycle<P> for &LifecycleProbe<P> {
    fn hooks(&self, _: Arc<P>) -> Option<Arc<dyn DynLifecycle>> {
        None
    }
}

/// The hooks of a plugin that implements [`Lifecycle`], type-erased.
#[doc(hidden)]
pub fn lifecycle_of<P: Lifecycle>(plugin: Arc<P>) -> Arc<dyn DynLifecycle> {
    plugin
}

/// What a health check reports (SPEC L4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// Healthy, degraded or unhealthy.
    pub status: HealthStatus,
    /// Why, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Anything else worth showing (queue depth, lag, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
}

/// The three health levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Working normally.
    Healthy,
    /// Working, but not fully (the plugin's state becomes `degraded`).
    Degraded,
    /// Not working; after `unhealthy_threshold` checks in a row the plugin
    /// fails and is restarted according to its policy.
    Unhealthy,
}

impl Health {
    /// Healthy, with nothing to add.
    pub fn healthy() -> Self {
        Health {
            status: HealthStatus::Healthy,
            message: None,
            details: BTreeMap::new(),
        }
    }

    /// Degraded, with a reason.
    pub fn degraded(message: impl Into<String>) -> Self {
        Health {
            status: HealthStatus::Degraded,
            message: Some(message.into()),
            details: BTreeMap::new(),
        }
    }

    /// Unhealthy, with a reason.
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Health {
            status: HealthStatus::Unhealthy,
            message: Some(message.into()),
            details: BTreeMap::new(),
        }
    }

    /// Adds a detail.
    pub fn with_detail(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}
