//! The typed registry: a validated, ordered composition of plugins.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;

use crate::discover::catalog::Catalog;
use crate::model::counters::{CallCounters, CounterSnapshot};
use crate::model::error::Error;
use crate::model::instance::Instance;
use crate::model::kind::Kind;
use crate::model::lifecycle::Health;
use crate::model::location::{Members, Placement};
use crate::model::recorded::MetricsState;
use crate::model::state::{Failure, PluginState};
use crate::model::status::Status;
use crate::order::{self, DepGraph, Ordered};
use crate::supervise::composition_error::CompositionError;
use crate::supervise::current::{CurrentInstance, Instances};
use crate::validate::settings::Settings;
use once_cell::race::OnceBox;

/// A validated, ordered composition of plugins.
///
/// Built once from the compiled-in descriptors and one configuration
/// document; plugins are instantiated lazily, exactly once, on first access
/// ([`get`](Self::get), [`list`](Self::list)) or all at once with
/// [`instantiate_all`](Self::instantiate_all).
///
/// ```standalone_crate
/// # extern crate pegboard_core as pegboard;
/// #[pegboard::kind]
/// pub trait Greeter {
///     fn greet(&self, who: &str) -> String;
/// }
///
/// #[derive(Default)]
/// #[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
/// struct English;
///
/// impl Greeter for English {
///     fn greet(&self, who: &str) -> String {
///         format!("Hello, {who}!")
///     }
/// }
///
/// let registry = pegboard::Registry::builder().build().unwrap();
/// let greeter = registry.get::<dyn Greeter>("english").unwrap();
/// assert_eq!(greeter.greet("world"), "Hello, world!");
/// assert_eq!(registry.list::<dyn Greeter>().len(), 1);
/// ```
pub struct Registry {
    catalog: Catalog,
    graph: DepGraph,
    order: Vec<usize>,
    /// Derived from the slots' levels when first needed (a start).
    levels: OnceLock<Vec<Vec<usize>>>,
    slots: Vec<Slot>,
    /// The current instance of each plugin: read without locking on every
    /// lookup and call; replaced by a restart, cleared when the plugin fails
    /// or stops. Kept apart from the slots (8 bytes each, not a slot's few
    /// hundred) so that lookups across many plugins stay in cache.
    instances: Instances,
    settings: Settings,
    /// The validated configuration of each plugin that has one (a config
    /// type, or a section), by index, sorted; the others get the empty
    /// object.
    configs: Vec<(usize, serde_json::Value)>,
    /// Notes on plugins (absent optional dependencies), by index, sorted.
    notes: Vec<(usize, String)>,
    metrics: MetricsState,
    /// The plugins that failed, were disabled or blocked at build, by index:
    /// the first failure of their status, kept here until it is created.
    initial_failures: Vec<(usize, Failure)>,
    /// When the registry was built: the time of every first transition.
    built_at: SystemTime,
    /// The plugins that run outside this process, if any were declared.
    members: Option<Arc<dyn Members>>,
}

/// What the registry keeps for each plugin beside its descriptor: small,
/// since a build writes one for every plugin; what only some plugins have
/// (a config, notes, a failure) is kept apart, by index.
struct Slot {
    /// `status.state`, mirrored for the dispatch hot path (written under the
    /// status lock, read without it).
    state: AtomicU8,
    /// The start level, or [`NO_LEVEL`] for a plugin that does not start.
    level: u32,
    /// Created on first use (see [`Registry::status`]): most plugins of a
    /// large composition are never looked at individually, and a status is
    /// a few hundred bytes that a build would otherwise write for each.
    ///
    /// This and the other boxes are `OnceBox`es (one pointer; two threads
    /// may both create one, only one is kept): a slot is 24 bytes, and the
    /// memory a build touches is most of what it costs for thousands of
    /// plugins.
    status: OnceBox<Mutex<Status>>,
    /// Held while building, so an instance is built exactly once even when
    /// many threads ask for it at the same moment; created by the first
    /// build.
    build: OnceBox<Mutex<()>>,
    /// Created by the plugin's first recorded call (see
    /// [`Registry::slot_counters`]): ~100 bytes a build would otherwise
    /// write for every plugin, most of which a large composition never calls.
    counters: OnceBox<CallCounters>,
}

/// [`Slot::level`] of a plugin that does not start.
const NO_LEVEL: u32 = order::NOT_STARTED;

/// What the counters of a plugin that was never called read as. Only ever
/// read: recording goes through [`Registry::recording_counters`].
static NEVER_CALLED: CallCounters = CallCounters::new();

impl Slot {
    /// The state mirror, decoded.
    fn state(&self) -> PluginState {
        let index = self.state.load(Ordering::Acquire);
        PluginState::ALL
            .get(usize::from(index))
            .copied()
            .unwrap_or(PluginState::Failed)
    }
}

impl Registry {
    /// Stage 4's entry: the registry of `catalog`'s plugins, with the
    /// settings and configs validation gave and the order (and failures)
    /// ordering gave, stamped `built_at`; nothing is built yet.
    pub(crate) fn assemble(
        catalog: Catalog,
        settings: Settings,
        configs: Vec<(usize, serde_json::Value)>,
        ordered: Ordered,
        members: Option<Arc<dyn Members>>,
        built_at: SystemTime,
    ) -> Registry {
        let mut failures = ordered.failures.iter().peekable();
        let slots: Vec<Slot> = ordered
            .level
            .iter()
            .enumerate()
            .map(|(i, &level)| {
                let failure = failures.next_if(|(j, _)| *j == i).map(|(_, f)| f);
                let state = failure.map_or(PluginState::Configured, Failure::state);
                crate::model::telemetry::lifecycle_lazy(|| catalog.id(i), state, failure);
                Slot {
                    state: AtomicU8::new(state.index()),
                    level,
                    status: OnceBox::new(),
                    build: OnceBox::new(),
                    counters: OnceBox::new(),
                }
            })
            .collect();
        let instances = (0..catalog.len())
            .map(|_| CurrentInstance::default())
            .collect();
        Registry {
            catalog,
            instances,
            graph: ordered.graph,
            order: ordered.order,
            levels: OnceLock::new(),
            slots,
            settings,
            configs,
            notes: ordered.notes,
            metrics: MetricsState::new(),
            initial_failures: ordered.failures,
            built_at,
            members,
        }
    }

    /// Makes `self` the process-wide registry returned by [`Registry::global`].
    pub fn install(self) -> Result<&'static Registry, CompositionError> {
        GLOBAL
            .set(self)
            .map_err(|_| CompositionError::AlreadyInstalled)?;
        GLOBAL.get().ok_or(CompositionError::AlreadyInstalled)
    }

    /// The process-wide registry, once [`install`](Self::install)ed.
    pub fn global() -> Option<&'static Registry> {
        GLOBAL.get()
    }

    /// The plugin `name` of kind `K` (`registry.get::<dyn Store>("memory")`),
    /// built on first access; see the [type docs](Self) for an example.
    #[inline]
    pub fn get<K: Kind + ?Sized>(&self, name: &str) -> Result<Arc<K>, Error> {
        let index = self.catalog.find(K::NAME, name);
        if let Some(plugin) = index.and_then(|i| self.instances[i].get::<K>()) {
            return Ok(plugin);
        }
        self.get_slow(index, name)
    }

    /// [`get`](Self::get) of a plugin that is unknown or not built yet:
    /// kept out of line, so the lookup of a built one stays small enough to
    /// inline.
    #[cold]
    #[inline(never)]
    fn get_slow<K: Kind + ?Sized>(
        &self,
        index: Option<usize>,
        name: &str,
    ) -> Result<Arc<K>, Error> {
        let (index, instance) = self.instance_at(index, K::NAME, name)?;
        instance.get::<K>().ok_or_else(|| Error::KindMismatch {
            id: self.catalog.id(index).to_owned(),
            expected: std::any::type_name::<K>(),
        })
    }

    /// The instance of plugin `index` (found for `kind.name`), or
    /// [`Error::NotFound`] with the closest id when there is none.
    fn instance_at(
        &self,
        index: Option<usize>,
        kind: &str,
        name: &str,
    ) -> Result<(usize, Arc<Instance>), Error> {
        let Some(index) = index else {
            return Err(Error::NotFound {
                kind: kind.to_owned(),
                name: name.to_owned(),
                suggestion: crate::model::suggest::closest(
                    &format!("{kind}.{name}"),
                    self.catalog.ids(),
                ),
            });
        };
        Ok((index, self.instance(index)?))
    }

    /// Every usable plugin of kind `K`, by name, in name order; builds them
    /// if needed. Failed, disabled and blocked plugins are left out (see
    /// [`plugins`](Self::plugins) for why).
    pub fn list<K: Kind + ?Sized>(&self) -> Vec<(&'static str, Arc<K>)> {
        self.catalog
            .of_kind(K::NAME)
            .filter_map(|i| {
                let plugin = self.instance(i).ok()?.get::<K>()?;
                Some((self.catalog.descriptors()[i].name(), plugin))
            })
            .collect()
    }

    /// Builds every plugin that can be built, in start order. Constructor
    /// errors and panics fail only their plugin (and block its dependents).
    /// Returns how many plugins are usable afterwards.
    pub fn instantiate_all(&self) -> usize {
        self.order
            .iter()
            .filter(|&&i| self.instance(i).is_ok())
            .count()
    }

    /// The plugins that can start, in start order (dependencies first, ties
    /// by id).
    pub fn start_order(&self) -> impl Iterator<Item = &str> + '_ {
        self.order.iter().map(|&i| self.catalog.id(i))
    }

    /// The start order grouped into levels; the plugins of one level do not
    /// depend on each other and may start concurrently.
    pub fn levels(&self) -> Vec<Vec<&str>> {
        self.level_indices()
            .iter()
            .map(|l| l.iter().map(|&i| self.catalog.id(i)).collect())
            .collect()
    }

    /// The catalog this registry was built from.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The dependency graph, indexed like [`catalog`](Self::catalog).
    pub fn graph(&self) -> &DepGraph {
        &self.graph
    }

    /// The validated configuration of a plugin (defaults filled in), unless
    /// it failed before configuration.
    pub fn config(&self, id: &str) -> Option<&serde_json::Value> {
        self.config_of(self.catalog.find_id(id)?)
    }

    /// Every plugin that is failed or blocked (not disabled), with why.
    pub fn failures(&self) -> Vec<(String, Failure)> {
        (0..self.slots.len())
            .filter_map(|i| {
                let failure = self.status(i).failure.clone();
                match failure {
                    Some(Failure::Disabled) | None => None,
                    Some(f) => Some((self.catalog.id(i).to_owned(), f)),
                }
            })
            .collect()
    }

    /// The state of a plugin by id.
    pub fn state(&self, id: &str) -> Option<PluginState> {
        Some(self.status(self.catalog.find_id(id)?).state)
    }

    /// Invocation counters of a plugin by id (SPEC X5).
    pub fn counters(&self, id: &str) -> Option<CounterSnapshot> {
        Some(self.slot_counters(self.catalog.find_id(id)?).snapshot())
    }

    /// The supervision and dispatch settings of this composition.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// What this registry recorded for its metrics (rendered by
    /// [`Registry::metrics`]).
    pub(crate) fn set_metric_namespace(&mut self, namespace: String) {
        self.metrics.namespace = namespace.into();
    }

    pub(crate) fn metrics_state(&self) -> &MetricsState {
        &self.metrics
    }

    /// Records a dispatch on `capability` that reached no plugin
    /// successfully: a call to a plugin that is not running or not found, or
    /// a fan-out in which no plugin succeeded. A capability no registered
    /// plugin has is ignored (caller data never creates a series).
    pub(crate) fn record_dispatch_failure(&self, capability: &str) {
        self.metrics
            .dispatch_failure(self.catalog.kinds(), capability);
    }

    pub(crate) fn level_indices(&self) -> &[Vec<usize>] {
        self.levels.get_or_init(|| {
            let mut levels: Vec<Vec<usize>> = Vec::new();
            for (i, slot) in self.slots.iter().enumerate() {
                if slot.level == NO_LEVEL {
                    continue;
                }
                let k = slot.level as usize;
                if levels.len() <= k {
                    levels.resize_with(k + 1, Vec::new);
                }
                levels[k].push(i);
            }
            levels
        })
    }

    /// The plugins declared to run outside this process (see
    /// [`RegistryBuilder::members`](crate::RegistryBuilder::members)).
    pub fn members(&self) -> Option<&Arc<dyn Members>> {
        self.members.as_ref()
    }

    pub(crate) fn order_indices(&self) -> &[usize] {
        &self.order
    }

    /// Plugin `i`'s counters, to read (all zero if it was never called).
    pub(crate) fn slot_counters(&self, i: usize) -> &CallCounters {
        self.slots[i].counters.get().map_or(&NEVER_CALLED, |c| c)
    }

    /// Plugin `i`'s counters, to record into (created on first use).
    pub(crate) fn recording_counters(&self, i: usize) -> &CallCounters {
        self.slots[i]
            .counters
            .get_or_init(|| Box::new(CallCounters::new()))
    }

    pub(crate) fn slot_state(&self, i: usize) -> PluginState {
        self.slots[i].state()
    }

    pub(crate) fn slot_failure(&self, i: usize) -> Option<Failure> {
        self.status(i).failure.clone()
    }

    /// The current instance, if built (no building, no locking).
    pub(crate) fn loaded(&self, i: usize) -> Option<Arc<Instance>> {
        self.instances[i].load_full()
    }

    /// Moves plugin `i` to `state` (clearing or setting its failure),
    /// recording the transition (which the state metric reads) and a
    /// `plugin.lifecycle.*` event.
    pub(crate) fn set_state(&self, i: usize, state: PluginState, failure: Option<Failure>) {
        let changed = {
            let mut status = self.status(i);
            self.slots[i].state.store(state.index(), Ordering::Release);
            status.set(state, failure.clone())
        };
        if changed {
            crate::model::telemetry::lifecycle(self.catalog.id(i), state, failure.as_ref());
        }
    }

    pub(crate) fn record_health(&self, i: usize, health: Health) {
        let mut status = self.status(i);
        status.health = Some(health);
        status.health_checked_at = Some(std::time::SystemTime::now());
    }

    pub(crate) fn count_restart(&self, i: usize) -> u32 {
        let mut status = self.status(i);
        status.restarts += 1;
        status.restarts
    }

    pub(crate) fn slot_restarts(&self, i: usize) -> u32 {
        self.status(i).restarts
    }

    fn status(&self, i: usize) -> MutexGuard<'_, Status> {
        let status = self.slots[i].status.get_or_init(|| {
            // Every change of state goes through here first, so until now
            // the plugin is still in the state the build gave it.
            let state = self.slot_state(i);
            let failure = self
                .initial_failures
                .binary_search_by_key(&i, |(j, _)| *j)
                .ok()
                .map(|k| self.initial_failures[k].1.clone());
            Box::new(Mutex::new(Status::new(state, failure, self.built_at)))
        });
        // A poisoned lock only means a panic happened while it was held;
        // the status it guards is always written whole, so it is still valid.
        status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Plugin `i`'s validated configuration, if it has one.
    fn config_of(&self, i: usize) -> Option<&serde_json::Value> {
        let k = self.configs.binary_search_by_key(&i, |(j, _)| *j).ok()?;
        Some(&self.configs[k].1)
    }

    /// Plugin `i`'s status now (state, health, transitions, restarts).
    pub(crate) fn status_now(&self, i: usize) -> Status {
        self.status(i).clone()
    }

    /// Plugin `i`'s start level, if it starts.
    pub(crate) fn level_of(&self, i: usize) -> Option<usize> {
        let level = self.slots[i].level;
        (level != NO_LEVEL).then_some(level as usize)
    }

    /// What the build noted about plugin `i` (e.g. an optional dependency
    /// that is absent).
    pub(crate) fn notes_of(&self, i: usize) -> Vec<String> {
        let first = self.notes.partition_point(|(j, _)| *j < i);
        self.notes[first..]
            .iter()
            .take_while(|(j, _)| *j == i)
            .map(|(_, note)| note.clone())
            .collect()
    }

    /// Whether plugin `i` has an instance now.
    pub(crate) fn is_built(&self, i: usize) -> bool {
        self.instances[i].is_some()
    }

    /// Where plugin `i` runs, if it is a member outside this process.
    pub(crate) fn placement(&self, i: usize) -> Option<Placement> {
        self.members
            .as_ref()
            .and_then(|m| m.placement(self.catalog.id(i)))
    }
}

static GLOBAL: OnceLock<Registry> = OnceLock::new();

mod construct;

#[cfg(test)]
mod tests;
