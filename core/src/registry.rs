//! The typed registry: a validated, ordered composition of plugins.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::catalog::Catalog;
use crate::config::Document;
use crate::context::Context;
use crate::descriptor::PluginDescriptor;
use crate::error::{CompositionError, Error};
use crate::info::PluginInfo;
use crate::instance::Instance;
use crate::kind::Kind;
use crate::order::{self, DepGraph, Status};
use crate::state::{Failure, PluginState};

/// A validated, ordered composition of plugins.
///
/// Built once from the compiled-in descriptors and one configuration
/// document; plugins are instantiated lazily, exactly once, on first access
/// ([`get`](Self::get), [`list`](Self::list)) or all at once with
/// [`instantiate_all`](Self::instantiate_all).
///
/// ```standalone_crate
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
    levels: Vec<Vec<usize>>,
    slots: Vec<Slot>,
}

struct Slot {
    config: Option<serde_json::Value>,
    level: Option<usize>,
    notes: Vec<String>,
    status: Mutex<SlotStatus>,
    instance: OnceLock<Result<Instance, Failure>>,
}

#[derive(Clone)]
struct SlotStatus {
    state: PluginState,
    failure: Option<Failure>,
}

/// Builds a [`Registry`]: which descriptors, which configuration.
#[must_use]
pub struct RegistryBuilder {
    descriptors: Option<Vec<&'static PluginDescriptor>>,
    document: Document,
    env: Vec<(String, String)>,
}

impl Registry {
    /// A builder over every compiled-in plugin, with an empty configuration.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder {
            descriptors: None,
            document: Document::empty(),
            env: Vec::new(),
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
    pub fn get<K: Kind + ?Sized>(&self, name: &str) -> Result<Arc<K>, Error> {
        let Some(index) = self.catalog.find(K::NAME, name) else {
            return Err(Error::NotFound {
                kind: K::NAME.to_owned(),
                name: name.to_owned(),
                suggestion: crate::suggest::closest(
                    &format!("{}.{name}", K::NAME),
                    self.catalog.ids().iter().map(String::as_str),
                ),
            });
        };
        let instance = self.instance(index)?;
        instance.get::<K>().ok_or_else(|| Error::KindMismatch {
            id: self.catalog.ids()[index].clone(),
            expected: std::any::type_name::<K>(),
        })
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

    /// Metadata, state and failure of every plugin, in (kind, name) order.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        (0..self.catalog.len()).map(|i| self.info(i)).collect()
    }

    /// Metadata, state and failure of one plugin by id (`kind.name`).
    pub fn plugin(&self, id: &str) -> Option<PluginInfo> {
        self.catalog.find_id(id).map(|i| self.info(i))
    }

    /// The plugins that can start, in start order (dependencies first, ties
    /// by id).
    pub fn start_order(&self) -> impl Iterator<Item = &str> + '_ {
        self.order.iter().map(|&i| self.catalog.ids()[i].as_str())
    }

    /// The start order grouped into levels; the plugins of one level do not
    /// depend on each other and may start concurrently.
    pub fn levels(&self) -> Vec<Vec<&str>> {
        self.levels
            .iter()
            .map(|l| l.iter().map(|&i| self.catalog.ids()[i].as_str()).collect())
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
        self.slots[self.catalog.find_id(id)?].config.as_ref()
    }

    /// Every plugin that is failed or blocked (not disabled), with why.
    pub fn failures(&self) -> Vec<(String, Failure)> {
        (0..self.slots.len())
            .filter_map(|i| {
                let status = self.status(i).clone();
                match status.failure {
                    Some(Failure::Disabled) | None => None,
                    Some(f) => Some((self.catalog.ids()[i].clone(), f)),
                }
            })
            .collect()
    }

    fn status(&self, i: usize) -> MutexGuard<'_, SlotStatus> {
        // A poisoned lock only means a panic happened while it was held;
        // the status it guards is always written whole, so it is still valid.
        self.slots[i]
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn info(&self, i: usize) -> PluginInfo {
        let status = self.status(i).clone();
        let slot = &self.slots[i];
        PluginInfo::new(
            &self.catalog,
            i,
            status.state,
            status.failure,
            slot.level,
            slot.notes.clone(),
            matches!(slot.instance.get(), Some(Ok(_))),
        )
    }

    fn instance(&self, i: usize) -> Result<&Instance, Error> {
        let slot = &self.slots[i];
        if let Some(Ok(instance)) = slot.instance.get() {
            return Ok(instance);
        }
        {
            let status = self.status(i);
            if let Some(failure) = &status.failure {
                return Err(Error::Unavailable {
                    id: self.catalog.ids()[i].clone(),
                    state: status.state,
                    failure: failure.clone(),
                });
            }
        }
        let built = slot.instance.get_or_init(|| self.construct(i));
        built.as_ref().map_err(|failure| Error::Unavailable {
            id: self.catalog.ids()[i].clone(),
            state: failure.state(),
            failure: failure.clone(),
        })
    }

    fn construct(&self, i: usize) -> Result<Instance, Failure> {
        let descriptor = self.catalog.descriptors()[i];
        let config = self.slots[i]
            .config
            .clone()
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let context = Context::new(self, i);
        let result = catch_unwind(AssertUnwindSafe(|| {
            (descriptor.factory())(&context, config)
        }));
        let failure = match result {
            Ok(Ok(instance)) => return Ok(instance),
            Ok(Err(e)) => Failure::Error {
                message: error_chain(&*e),
            },
            Err(payload) => Failure::Panic {
                message: panic_message(&*payload),
            },
        };
        self.fail(i, failure.clone());
        Err(failure)
    }

    /// Marks `i` failed and its required dependents blocked.
    fn fail(&self, i: usize, failure: Failure) {
        let cause = format!("{} {}", self.catalog.ids()[i], failure);
        {
            let mut status = self.status(i);
            status.state = failure.state();
            status.failure = Some(failure);
        }
        for (dependent, chain) in order::blocked_by(&self.graph, i) {
            let mut status = self.status(dependent);
            if status.failure.is_none() {
                status.state = PluginState::Blocked;
                status.failure = Some(Failure::Blocked {
                    chain: chain
                        .iter()
                        .map(|&c| self.catalog.ids()[c].clone())
                        .collect(),
                    cause: cause.clone(),
                });
            }
        }
    }
}

static GLOBAL: OnceLock<Registry> = OnceLock::new();

/// `e`, then each `source()`, joined by `: `.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

impl RegistryBuilder {
    /// Uses exactly these descriptors instead of every compiled-in plugin
    /// (for tests and tools).
    pub fn descriptors(mut self, d: impl IntoIterator<Item = &'static PluginDescriptor>) -> Self {
        self.descriptors = Some(d.into_iter().collect());
        self
    }

    /// The configuration document.
    pub fn config(mut self, document: Document) -> Self {
        self.document = document;
        self
    }

    /// Environment overrides (usually `std::env::vars()`); see
    /// [`config`](crate::config) for the naming rule.
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Discovers, validates and orders the plugins.
    ///
    /// Fails only for what no single plugin can be blamed for: duplicate
    /// registrations, and a configuration document that cannot be read or
    /// names plugins that do not exist. Everything else fails just the plugin
    /// concerned, which [`Registry::plugins`] reports.
    pub fn build(self) -> Result<Registry, CompositionError> {
        let catalog = match self.descriptors {
            Some(d) => Catalog::new(d)?,
            None => Catalog::compiled_in()?,
        };
        let n = catalog.len();
        let mut initial: Vec<Option<Failure>> = vec![None; n];
        let mut notes: Vec<Vec<String>> = vec![Vec::new(); n];

        for (i, d) in catalog.descriptors().iter().enumerate() {
            initial[i] = crate::compat::check_descriptor(d).err();
        }

        let (validator, schema_failures) = crate::compat::config_validator(&catalog);
        let mut document = self.document;
        let env_errors = validator.apply_env(&mut document, &self.env);
        let validated = validator.validate(&document);
        let mut document_errors = env_errors;
        document_errors.extend(validated.document_errors);
        if !document_errors.is_empty() {
            return Err(CompositionError::Config(document_errors));
        }
        let mut configs: Vec<Option<serde_json::Value>> = vec![None; n];
        for (i, plugin) in validated.plugins.into_iter().enumerate() {
            if !plugin.enabled {
                initial[i] = Some(Failure::Disabled);
                continue;
            }
            if let Some(f) = &schema_failures[i] {
                initial[i].get_or_insert_with(|| f.clone());
                continue;
            }
            match plugin.value {
                Ok(v) => configs[i] = Some(v),
                Err(errors) => {
                    initial[i].get_or_insert(Failure::Config { errors });
                }
            }
        }

        let graph = crate::resolve::dependency_graph(&catalog, &mut initial, &mut notes);
        let plan = order::resolve(&graph, &initial);

        let slots = plan
            .status
            .iter()
            .zip(configs)
            .zip(notes)
            .map(|((status, config), notes)| {
                let (state, failure, level) = match status {
                    Status::Start { level } => (PluginState::Configured, None, Some(*level)),
                    Status::Failed(f) => (f.state(), Some(f.clone()), None),
                    Status::Cycle { path } => (
                        PluginState::Failed,
                        Some(Failure::Cycle {
                            path: path.iter().map(|&c| catalog.ids()[c].clone()).collect(),
                        }),
                        None,
                    ),
                    Status::Blocked { chain } => {
                        let root = chain.last().copied().unwrap_or(0);
                        let cause = match &plan.status[root] {
                            Status::Failed(f) => format!("{} {}", catalog.ids()[root], f),
                            Status::Cycle { .. } => {
                                format!("{} is on a dependency cycle", catalog.ids()[root])
                            }
                            _ => format!("{} is not available", catalog.ids()[root]),
                        };
                        (
                            PluginState::Blocked,
                            Some(Failure::Blocked {
                                chain: chain.iter().map(|&c| catalog.ids()[c].clone()).collect(),
                                cause,
                            }),
                            None,
                        )
                    }
                };
                Slot {
                    config,
                    level,
                    notes,
                    status: Mutex::new(SlotStatus { state, failure }),
                    instance: OnceLock::new(),
                }
            })
            .collect();

        Ok(Registry {
            catalog,
            graph,
            order: plan.order,
            levels: plan.levels,
            slots,
        })
    }
}
