//! Stage 5, dispatch: typed, isolated calls to plugins (SPEC X1-X5).
//!
//! [`Registry::dispatch`] gives a [`Dispatch`] for one kind. It calls one
//! plugin by name or fans out to every plugin of the kind, in name order;
//! every invocation is isolated (panics caught, errors captured, the kind's
//! timeout applied), counted (per-plugin counters, Prometheus metrics) and
//! logged (`plugin.dispatch.*` events). Callers pass a closure over
//! `Arc<dyn Kind>`, not JSON.
//!
//! ```standalone_crate
//! # extern crate pegboard_core as pegboard;
//! #[pegboard::kind]
//! pub trait Shout {
//!     fn shout(&self, text: &str) -> Result<String, String>;
//! }
//!
//! #[derive(Default)]
//! #[pegboard::plugin(name = "loud", version = "0.1.0", api = "0.1", kind = Shout)]
//! pub struct Loud;
//! impl Shout for Loud {
//!     fn shout(&self, text: &str) -> Result<String, String> {
//!         Ok(text.to_uppercase())
//!     }
//! }
//!
//! #[derive(Default)]
//! #[pegboard::plugin(name = "mute", version = "0.1.0", api = "0.1", kind = Shout)]
//! pub struct Mute;
//! impl Shout for Mute {
//!     fn shout(&self, _: &str) -> Result<String, String> {
//!         Err("lost my voice".into())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let registry = pegboard::Registry::builder().build().unwrap();
//! let all = registry
//!     .dispatch::<dyn Shout>()
//!     .fan_out(|p| async move { p.shout("hi") })
//!     .await;
//! let ok: Vec<_> = all.successes().collect();
//! assert_eq!(ok, [("shout.loud", &"HI".to_string())]);
//! assert_eq!(all.get("shout.mute").unwrap().error.as_deref(), Some("lost my voice"));
//! assert_eq!(registry.counters("shout.mute").unwrap().errors, 1);
//! # }
//! ```
//!
//! A closure that blocks without ever yielding cannot be interrupted by a
//! timeout on the async path; for synchronous plugin methods that may hang,
//! use [`Dispatch::call_blocking`] / [`Dispatch::fan_out_blocking`], which run
//! each call on tokio's blocking pool and abandon it at the timeout.

mod outcome;

use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

pub use outcome::{CallError, FanOut, Outcome};

use crate::model::call_result::CallResult;
use crate::model::error::panic_message;
use crate::model::kind::Kind;
use crate::model::state::PluginState;
use crate::supervise::registry::Registry;

type Measure = Arc<dyn Fn(&dyn Any) -> Option<usize> + Send + Sync>;

/// Calls to the plugins of kind `K`; see the [module docs](self).
#[must_use]
pub struct Dispatch<'r, K: ?Sized> {
    registry: &'r Registry,
    timeout: Duration,
    max_input: Option<u64>,
    max_output: Option<u64>,
    input_size: Option<usize>,
    measure_output: Option<Measure>,
    kind: PhantomData<fn() -> Arc<K>>,
}

impl Registry {
    /// Calls to the plugins of kind `K`, with the kind's timeout and payload
    /// guards from `[dispatch.<kind>]` (and `PEGBOARD_TIMEOUT_<KIND>_MS`).
    pub fn dispatch<K: Kind + ?Sized>(&self) -> Dispatch<'_, K> {
        let settings = self.settings().dispatch(K::NAME);
        Dispatch {
            registry: self,
            timeout: settings.timeout(),
            max_input: settings.max_input_bytes,
            max_output: settings.max_output_bytes,
            input_size: None,
            measure_output: None,
            kind: PhantomData,
        }
    }
}

impl<'r, K: Kind + ?Sized> Dispatch<'r, K> {
    /// Overrides the kind's timeout for these calls.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The size of this call's input, checked against the kind's
    /// `max_input_bytes` (X4): over it, every plugin's result is `rejected`
    /// and none is called.
    pub fn input_size(mut self, bytes: usize) -> Self {
        self.input_size = Some(bytes);
        self
    }

    /// How to measure a result for the kind's `max_output_bytes` guard (X4):
    /// a result over it is `rejected`. Without it, outputs are not checked.
    pub fn output_size<T: 'static>(mut self, measure: fn(&T) -> usize) -> Self {
        self.measure_output = Some(Arc::new(move |v: &dyn Any| {
            v.downcast_ref::<T>().map(measure)
        }));
        self
    }

    /// Calls the plugin `name` of kind `K` (X1).
    pub async fn call<T, E, F, Fut>(&self, name: &str, f: F) -> Outcome<'r, T>
    where
        T: 'static,
        E: Display,
        F: FnOnce(Arc<K>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let outcome = match self.registry.catalog().find(K::NAME, name) {
            Some(i) => self.invoke(i, f).await,
            None => Outcome {
                plugin: "",
                result: CallResult::Skipped,
                value: None,
                error: Some(format!("no plugin `{}.{name}` is compiled in", K::NAME)),
                duration: Duration::ZERO,
            },
        };
        if !outcome.is_ok() {
            self.registry.record_dispatch_failure(K::NAME);
        }
        outcome
    }

    /// Calls every plugin of kind `K` (but disabled ones) concurrently and
    /// returns each one's outcome, in name order (X1, X3).
    pub async fn fan_out<T, E, F, Fut>(&self, f: F) -> FanOut<'r, T>
    where
        T: 'static,
        E: Display,
        F: Fn(Arc<K>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let calls = self.targets().map(|i| self.invoke(i, &f));
        let outcomes = futures_util::future::join_all(calls).await;
        self.finish(outcomes)
    }

    /// [`call`](Self::call) for a synchronous method that might block or
    /// hang: the call runs on tokio's blocking pool, and at the timeout it is
    /// abandoned (its thread runs on until the method returns).
    pub async fn call_blocking<T, E, F>(&self, name: &str, f: F) -> Outcome<'r, T>
    where
        T: Send + 'static,
        E: Display + Send + 'static,
        F: FnOnce(Arc<K>) -> Result<T, E> + Send + 'static,
    {
        self.call(name, move |plugin| blocking(move || f(plugin)))
            .await
    }

    /// [`fan_out`](Self::fan_out) for a synchronous method that might block
    /// or hang; see [`call_blocking`](Self::call_blocking).
    pub async fn fan_out_blocking<T, E, F>(&self, f: F) -> FanOut<'r, T>
    where
        T: Send + 'static,
        E: Display + Send + 'static,
        F: Fn(Arc<K>) -> Result<T, E> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        self.fan_out(move |plugin| {
            let f = f.clone();
            blocking(move || f(plugin))
        })
        .await
    }

    fn targets(&self) -> impl Iterator<Item = usize> + '_ {
        self.registry
            .catalog()
            .of_kind(K::NAME)
            .filter(|&i| self.registry.slot_state(i) != PluginState::Disabled)
    }

    fn finish<T>(&self, outcomes: Vec<Outcome<'r, T>>) -> FanOut<'r, T> {
        if !outcomes.iter().any(Outcome::is_ok) {
            self.registry.record_dispatch_failure(K::NAME);
        }
        FanOut {
            kind: K::NAME,
            outcomes,
        }
    }

    /// One isolated, timed, counted invocation of plugin `i`.
    async fn invoke<T, E, F, Fut>(&self, i: usize, f: F) -> Outcome<'r, T>
    where
        T: 'static,
        E: Display,
        F: FnOnce(Arc<K>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let registry = self.registry;
        let id = registry.catalog().id(i);
        crate::model::telemetry::dispatch_start(id, K::NAME);
        let started = Instant::now();
        let (result, value, error) = match self.prepare(i) {
            Err((result, error)) => (result, None, Some(error)),
            Ok(plugin) => self.run(plugin, f).await,
        };
        let duration = started.elapsed();
        registry
            .recording_counters(i)
            .record(result, duration, error.as_deref());
        crate::model::telemetry::dispatch_end(id, K::NAME, result, duration, error.as_deref());
        Outcome {
            plugin: id,
            result,
            value,
            error,
            duration,
        }
    }

    /// The plugin to call, or why it is not called.
    fn prepare(&self, i: usize) -> Result<Arc<K>, (CallResult, String)> {
        if let (Some(size), Some(max)) = (self.input_size, self.max_input) {
            if size as u64 > max {
                return Err((
                    CallResult::Rejected,
                    format!("input of {size} bytes is over the limit of {max} bytes"),
                ));
            }
        }
        let registry = self.registry;
        let state = registry.slot_state(i);
        // A registry without a supervisor builds plugins on first call.
        if !(state.is_up() || state == PluginState::Configured) {
            let why = match registry.slot_failure(i) {
                Some(failure) => format!("plugin is {state}: {failure}"),
                None => format!("plugin is {state}"),
            };
            return Err((CallResult::Skipped, why));
        }
        let instance = match registry.loaded(i) {
            Some(instance) => instance,
            None => registry
                .instance(i)
                .map_err(|e| (CallResult::Skipped, e.to_string()))?,
        };
        instance.get::<K>().ok_or_else(|| {
            (
                CallResult::Error,
                format!(
                    "plugin is not of kind type `{}`",
                    std::any::type_name::<K>()
                ),
            )
        })
    }

    async fn run<T, E, F, Fut>(
        &self,
        plugin: Arc<K>,
        f: F,
    ) -> (CallResult, Option<T>, Option<String>)
    where
        T: 'static,
        E: Display,
        F: FnOnce(Arc<K>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        // Making the future can panic too (the closure runs synchronously first).
        let future = match std::panic::catch_unwind(AssertUnwindSafe(|| f(plugin))) {
            Ok(future) => future,
            Err(payload) => return (CallResult::Panic, None, Some(panic_message(&*payload))),
        };
        let guarded = AssertUnwindSafe(future).catch_unwind();
        match tokio::time::timeout(self.timeout, guarded).await {
            Ok(Ok(Ok(value))) => match self.oversized(&value) {
                Some(error) => (CallResult::Rejected, None, Some(error)),
                None => (CallResult::Ok, Some(value), None),
            },
            Ok(Ok(Err(e))) => (CallResult::Error, None, Some(e.to_string())),
            Ok(Err(payload)) => (CallResult::Panic, None, Some(panic_message(&*payload))),
            Err(_) => (
                CallResult::Timeout,
                None,
                Some(format!(
                    "no answer within {}",
                    humantime::format_duration(self.timeout)
                )),
            ),
        }
    }

    fn oversized<T: 'static>(&self, value: &T) -> Option<String> {
        let max = self.max_output?;
        let size = (self.measure_output.as_ref()?)(value)?;
        (size as u64 > max)
            .then(|| format!("output of {size} bytes is over the limit of {max} bytes"))
    }
}

/// Runs a synchronous call on the blocking pool; a panic in it comes back
/// as a panic of the awaiting future, so `run` reports it as one.
async fn blocking<T, E, F>(f: F) -> Result<T, BlockingError<E>>
where
    T: Send + 'static,
    E: Display + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(BlockingError::Call),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => Err(BlockingError::Cancelled),
    }
}

/// The error of a blocking call: the plugin's own, or the task was cancelled.
#[doc(hidden)]
pub enum BlockingError<E> {
    Call(E),
    Cancelled,
}

impl<E: Display> Display for BlockingError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockingError::Call(e) => e.fmt(f),
            BlockingError::Cancelled => f.write_str("the blocking call was cancelled"),
        }
    }
}
