//! Stage 4, supervise: start plugins in dependency order, watch their
//! health, restart the ones that fail, and stop everything in reverse order.
//!
//! ```standalone_crate
//! # extern crate pegboard_core as pegboard;
//! use std::sync::Arc;
//!
//! #[pegboard::kind]
//! pub trait Job {}
//!
//! #[derive(Default)]
//! #[pegboard::plugin(name = "tick", version = "0.1.0", api = "0.1", kind = Job)]
//! pub struct Tick;
//! impl Job for Tick {}
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let registry = Arc::new(pegboard::Registry::builder().build().unwrap());
//! let supervisor = pegboard::Supervisor::new(registry.clone());
//! let report = supervisor.start().await;
//! assert_eq!(report.running, ["job.tick"]);
//! supervisor.shutdown().await;
//! assert_eq!(registry.state("job.tick"), Some(pegboard::PluginState::Stopped));
//! # }
//! ```

mod hook;
mod signal;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use signal::{Shutdown, shutdown_signal};

use crate::model::lifecycle::{Health, HealthStatus};
use crate::model::state::{Failure, PluginState, Stage};
use crate::order;
use crate::supervise::registry::Registry;
use crate::validate::settings::RestartPolicy;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::supervisor";

/// Drives the plugins of a [`Registry`] through their lifecycle (SPEC L1-L6,
/// O4, O5).
///
/// Every hook runs as its own task under its timeout: one that errors,
/// panics or hangs fails only its plugin, whose dependents are then
/// `blocked`; everything else goes on. Must be used inside a tokio runtime.
pub struct Supervisor {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    shutdown: watch::Sender<bool>,
    /// Serializes whole-composition changes (start, restart sequences,
    /// shutdown) so they never interleave.
    topology: tokio::sync::Mutex<()>,
    /// Health loops and restart loops, aborted at shutdown.
    tasks: Mutex<JoinSet<()>>,
    /// Per plugin: when it was restarted (for the budget window), and
    /// whether a restart loop or health loop is already running for it.
    plugins: Vec<Mutex<PluginRuntime>>,
}

#[derive(Default)]
struct PluginRuntime {
    restarts: VecDeque<Instant>,
    restarting: bool,
    watching: bool,
}

/// What [`Supervisor::start`] achieved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StartReport {
    /// Plugins running, in start order.
    pub running: Vec<String>,
    /// Plugins that failed or are blocked, with why.
    pub failed: Vec<(String, Failure)>,
}

impl Supervisor {
    /// A supervisor for `registry`; nothing starts until [`start`](Self::start).
    pub fn new(registry: Arc<Registry>) -> Self {
        let n = registry.catalog().len();
        Supervisor {
            inner: Arc::new(Inner {
                registry,
                shutdown: watch::Sender::new(false),
                topology: tokio::sync::Mutex::new(()),
                tasks: Mutex::new(JoinSet::new()),
                plugins: (0..n).map(|_| Mutex::default()).collect(),
            }),
        }
    }

    /// The registry being supervised.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// Starts every startable plugin, level by level (the plugins of one
    /// level concurrently), each within its start timeout; then watches
    /// their health. Failures are recorded, not returned: the report and
    /// [`Registry::plugins`] say what happened.
    pub async fn start(&self) -> StartReport {
        let inner = &self.inner;
        {
            let _topology = inner.topology.lock().await;
            for level in inner.registry.level_indices() {
                let mut starting = JoinSet::new();
                for &i in level {
                    if inner.startable(i) {
                        let inner = inner.clone();
                        starting.spawn(async move { inner.start_one(i).await });
                    }
                }
                while starting.join_next().await.is_some() {}
            }
        }
        let registry = &inner.registry;
        let running = registry
            .order_indices()
            .iter()
            .filter(|&&i| registry.slot_state(i).is_up())
            .map(|&i| registry.catalog().id(i).to_owned())
            .collect();
        StartReport {
            running,
            failed: registry.failures(),
        }
    }

    /// Stops every running plugin in reverse dependency order (each level
    /// concurrently), each within its stop timeout, after ending health
    /// checks and pending restarts. A hanging `stop` delays shutdown by at
    /// most its timeout.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.shutdown.send_replace(true);
        let mut tasks = std::mem::take(&mut *lock(&inner.tasks));
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}

        let _topology = inner.topology.lock().await;
        for level in inner.registry.level_indices().iter().rev() {
            let mut stopping = JoinSet::new();
            for &i in level {
                if inner.registry.slot_state(i).is_up() {
                    let inner = inner.clone();
                    stopping.spawn(async move { inner.stop_one(i).await });
                }
            }
            while stopping.join_next().await.is_some() {}
        }
    }

    /// Waits for SIGINT or SIGTERM, then [`shutdown`](Self::shutdown).
    pub async fn run_until_signal(&self) {
        shutdown_signal().await;
        tracing::info!(target: LOG_TARGET, "shutdown signal received");
        self.shutdown().await;
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // Background loops hold the inner state; end them with the supervisor.
        self.inner.shutdown.send_replace(true);
        lock(&self.inner.tasks).abort_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section here leaves the data consistent, so a poisoned
    // lock (a panic elsewhere while held) is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    fn id(&self, i: usize) -> &str {
        self.registry.catalog().id(i)
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Configured or stopped, not failed, and every required dependency up.
    fn startable(&self, i: usize) -> bool {
        let r = &self.registry;
        matches!(
            r.slot_state(i),
            PluginState::Configured | PluginState::Stopped
        ) && r.slot_failure(i).is_none()
            && r.graph()
                .dependencies(i)
                .all(|(d, optional)| optional || r.slot_state(d).is_up())
    }

    fn spawn(self: &Arc<Self>, task: impl std::future::Future<Output = ()> + Send + 'static) {
        if !self.stopping() {
            lock(&self.tasks).spawn(task);
        }
    }

    /// Builds (if needed) and starts plugin `i`; on success watches its
    /// health, on failure fails it and schedules a restart per its policy.
    async fn start_one(self: &Arc<Self>, i: usize) -> bool {
        self.start(i, false).await
    }

    /// Starts `i`; `fresh`: build a new instance even if one exists (restarts).
    async fn start(self: &Arc<Self>, i: usize, fresh: bool) -> bool {
        let registry = &self.registry;
        registry.set_state(i, PluginState::Starting, None);
        let settings = &registry.settings().plugin(i);
        let timeout = settings.start_timeout();
        let reg = registry.clone();
        let result = hook::run(Stage::Start, timeout, async move {
            // Constructors are synchronous and may block: keep them off the runtime.
            let built = tokio::task::spawn_blocking({
                let reg = reg.clone();
                move || {
                    if fresh {
                        reg.rebuild(i)
                    } else {
                        reg.instance(i).map_err(|e| match e {
                            crate::model::error::Error::Unavailable { failure, .. } => failure,
                            other => Failure::Error {
                                stage: Stage::Construct,
                                message: other.to_string(),
                            },
                        })
                    }
                }
            })
            .await;
            let instance = match built {
                Ok(Ok(instance)) => instance,
                Ok(Err(failure)) => return Ok(Err(failure)),
                Err(join) => {
                    return Ok(Err(Failure::Panic {
                        stage: Stage::Construct,
                        message: crate::model::error::panic_message(&*join.into_panic()),
                    }));
                }
            };
            if let Some(lifecycle) = instance.lifecycle() {
                lifecycle.start().await?;
            }
            Ok(Ok(()))
        })
        .await;
        let failure = match result {
            Ok(Ok(())) => None,
            Ok(Err(failure)) | Err(failure) => Some(failure),
        };
        match failure {
            None => {
                registry.set_state(i, PluginState::Running, None);
                self.watch_health(i);
                true
            }
            Some(failure) => {
                registry.fail(i, failure);
                self.schedule_restart(i);
                false
            }
        }
    }

    /// Runs the stop hook of `i` within its timeout; `Stopped`, or `Failed`
    /// if the hook failed.
    async fn stop_one(self: &Arc<Self>, i: usize) {
        let registry = &self.registry;
        registry.set_state(i, PluginState::Stopping, None);
        let timeout = registry.settings().plugin(i).stop_timeout();
        let instance = registry.loaded(i);
        let result = hook::run(Stage::Stop, timeout, async move {
            if let Some(lifecycle) = instance.as_ref().and_then(|inst| inst.lifecycle()) {
                lifecycle.stop().await?;
            }
            Ok(())
        })
        .await;
        registry.discard(i);
        match result {
            Ok(()) => registry.set_state(i, PluginState::Stopped, None),
            Err(failure) => registry.set_state(i, PluginState::Failed, Some(failure)),
        }
    }

    /// Starts the health checks of `i` (the first one at once, then one per
    /// `health_interval_ms`), unless they already run.
    fn watch_health(self: &Arc<Self>, i: usize) {
        let settings = &self.registry.settings().plugin(i);
        let Some(interval) = settings.health_interval() else {
            return;
        };
        {
            let mut rt = lock(&self.plugins[i]);
            if rt.watching {
                return;
            }
            rt.watching = true;
        }
        let inner = self.clone();
        self.spawn(async move {
            inner.health_loop(i, interval).await;
            lock(&inner.plugins[i]).watching = false;
        });
    }

    async fn health_loop(self: &Arc<Self>, i: usize, interval: std::time::Duration) {
        let registry = &self.registry;
        let settings = &registry.settings().plugin(i);
        let mut shutdown = self.shutdown.subscribe();
        let mut unhealthy_in_a_row = 0u32;
        // The first check runs right after the start succeeded, so health is
        // known from the start rather than one interval later; then one
        // check per interval or per change the plugin reports.
        let mut first = true;
        loop {
            if !std::mem::take(&mut first) {
                let instance = registry.loaded(i);
                let changed = async {
                    match instance.as_ref().and_then(|x| x.lifecycle()) {
                        Some(lifecycle) => lifecycle.changed().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    () = changed => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
            }
            if self.stopping() || !registry.slot_state(i).is_up() {
                return;
            }
            let health = self.check_health(i).await;
            registry.record_health(i, health.clone());
            match health.status {
                HealthStatus::Healthy => {
                    unhealthy_in_a_row = 0;
                    if registry.slot_state(i) == PluginState::Degraded {
                        registry.set_state(i, PluginState::Running, None);
                    }
                }
                HealthStatus::Degraded => {
                    unhealthy_in_a_row = 0;
                    registry.set_state(i, PluginState::Degraded, None);
                }
                HealthStatus::Unhealthy => {
                    unhealthy_in_a_row += 1;
                    if unhealthy_in_a_row < settings.unhealthy_threshold.max(1) {
                        registry.set_state(i, PluginState::Degraded, None);
                        continue;
                    }
                    let message = health.message.unwrap_or_else(|| "unhealthy".to_owned());
                    let failure = Failure::Unhealthy {
                        message: format!("{message} ({unhealthy_in_a_row} checks in a row)"),
                    };
                    self.fail_running(i, failure).await;
                    self.schedule_restart(i);
                    return;
                }
            }
        }
    }

    /// One health check of `i`: a check that panics or times out is unhealthy.
    async fn check_health(&self, i: usize) -> Health {
        let registry = &self.registry;
        let timeout = registry.settings().plugin(i).health_timeout();
        let Some(instance) = registry.loaded(i) else {
            return Health::unhealthy("no instance");
        };
        let result = hook::run(Stage::Health, timeout, async move {
            Ok(match instance.lifecycle() {
                Some(lifecycle) => lifecycle.health().await,
                None => Health::healthy(),
            })
        })
        .await;
        result.unwrap_or_else(|failure| Health::unhealthy(failure.to_string()))
    }

    /// Fails a plugin that is up: its dependents that are up are stopped
    /// first (reverse start order), then it is stopped, then marked failed
    /// (its dependents blocked).
    async fn fail_running(self: &Arc<Self>, i: usize, failure: Failure) {
        let _topology = self.topology.lock().await;
        let dependents: Vec<usize> = order::blocked_by(self.registry.graph(), i)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        let order = self.registry.order_indices();
        for &d in order.iter().rev() {
            if dependents.contains(&d) && self.registry.slot_state(d).is_up() {
                self.stop_one(d).await;
            }
        }
        if self.registry.slot_state(i).is_up() {
            self.stop_one(i).await;
        }
        self.registry.fail(i, failure);
    }

    /// Restarts `i` per its policy in a background task (one per plugin).
    fn schedule_restart(self: &Arc<Self>, i: usize) {
        let restart = &self.registry.settings().plugin(i).restart;
        if restart.policy == RestartPolicy::Never || self.stopping() {
            return;
        }
        {
            let mut rt = lock(&self.plugins[i]);
            if rt.restarting {
                return;
            }
            rt.restarting = true;
        }
        let inner = self.clone();
        self.spawn(async move {
            inner.restart_loop(i).await;
            lock(&inner.plugins[i]).restarting = false;
        });
    }

    async fn restart_loop(self: &Arc<Self>, i: usize) {
        let registry = &self.registry;
        let restart = &registry.settings().plugin(i).restart;
        let mut shutdown = self.shutdown.subscribe();
        loop {
            let attempt = {
                let mut rt = lock(&self.plugins[i]);
                let window = std::time::Duration::from_millis(restart.window_ms);
                let now = Instant::now();
                while rt
                    .restarts
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > window)
                {
                    rt.restarts.pop_front();
                }
                if rt.restarts.len() >= restart.max_restarts as usize {
                    None
                } else {
                    Some(rt.restarts.len() as u32 + 1)
                }
            };
            let Some(attempt) = attempt else {
                tracing::warn!(
                    target: LOG_TARGET, plugin_id = self.id(i),
                    restarts = registry.plugin(self.id(i)).map(|p| p.restarts).unwrap_or(0),
                    "restart budget spent: the plugin stays failed"
                );
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep(restart.backoff(attempt)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            let _topology = self.topology.lock().await;
            if self.stopping() {
                return;
            }
            lock(&self.plugins[i]).restarts.push_back(Instant::now());
            let count = registry.count_restart(i);
            tracing::info!(target: LOG_TARGET, plugin_id = self.id(i), restart = count, "restarting plugin");
            if self.start_one_again(i).await {
                self.start_blocked_dependents(i).await;
                return;
            }
        }
    }

    /// Like `start_one`, without scheduling another restart (the loop does).
    async fn start_one_again(self: &Arc<Self>, i: usize) -> bool {
        // Leave `Failed` through `Configured` so the transition history reads
        // failed -> configured -> starting -> running.
        self.registry.set_state(i, PluginState::Configured, None);
        self.start(i, true).await
    }

    /// After `i` recovered, starts its blocked dependents whose required
    /// dependencies are all up again, in start order.
    async fn start_blocked_dependents(self: &Arc<Self>, i: usize) {
        let dependents: Vec<usize> = order::blocked_by(self.registry.graph(), i)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        let order: Vec<usize> = self.registry.order_indices().to_vec();
        for d in order {
            if !dependents.contains(&d) || self.registry.slot_state(d) != PluginState::Blocked {
                continue;
            }
            let deps_up = self
                .registry
                .graph()
                .dependencies(d)
                .all(|(dep, optional)| optional || self.registry.slot_state(dep).is_up());
            if deps_up {
                self.registry.set_state(d, PluginState::Configured, None);
                self.start_one(d).await;
            }
        }
    }
}
