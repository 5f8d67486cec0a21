//! Building a plugin: exactly once, on first access or on a restart, with
//! its constructor's errors and panics caught and its dependents blocked
//! when it fails; and the [`Context`] a constructor reaches the registry by.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard};

use super::Registry;
use crate::model::descriptor::{Context, Host, PluginDescriptor};
use crate::model::error::{Error, error_chain, panic_message};
use crate::model::instance::Instance;
use crate::model::state::{Failure, PluginState, Stage};
use crate::model::status::Status;

impl Registry {
    /// Drops the current instance (after a failure or a stop), so the next
    /// build is a fresh one.
    pub(crate) fn discard(&self, i: usize) {
        let _build = self.build_lock(i);
        self.instances.store(i, None);
    }

    /// Builds a fresh instance of `i` from its descriptor and validated
    /// config, replacing any current one. Does not change states.
    pub(crate) fn rebuild(&self, i: usize) -> Result<Arc<Instance>, Failure> {
        let _build = self.build_lock(i);
        self.instances.store(i, None);
        let instance = Arc::new(self.construct(i)?);
        self.instances.store(i, Some(instance.clone()));
        Ok(instance)
    }

    /// Plugin `i`'s build lock, held.
    fn build_lock(&self, i: usize) -> MutexGuard<'_, ()> {
        self.slots[i]
            .build
            .get_or_init(|| Box::new(Mutex::new(())))
            .lock()
            // Guards nothing but the exclusion itself.
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The instance of `i`, built on first access (exactly once).
    pub(crate) fn instance(&self, i: usize) -> Result<Arc<Instance>, Error> {
        if let Some(instance) = self.instances[i].load_full() {
            return Ok(instance);
        }
        let unavailable = |status: &Status, failure: &Failure| Error::Unavailable {
            id: self.catalog.id(i).to_owned(),
            state: status.state,
            failure: failure.clone(),
        };
        {
            let status = self.status(i);
            if let Some(failure) = &status.failure {
                return Err(unavailable(&status, failure));
            }
        }
        let _build = self.build_lock(i);
        if let Some(instance) = self.instances[i].load_full() {
            return Ok(instance);
        }
        {
            // Another thread may have failed it while this one waited.
            let status = self.status(i);
            if let Some(failure) = &status.failure {
                return Err(unavailable(&status, failure));
            }
        }
        match self.construct(i) {
            Ok(instance) => {
                let status = self.status(i);
                if let Some(failure) = &status.failure {
                    // It failed (e.g. timed out) while its constructor ran.
                    return Err(unavailable(&status, failure));
                }
                let instance = Arc::new(instance);
                self.instances.store(i, Some(instance.clone()));
                Ok(instance)
            }
            Err(failure) => {
                self.fail(i, failure.clone());
                let status = self.status(i);
                Err(unavailable(&status, &failure))
            }
        }
    }

    fn construct(&self, i: usize) -> Result<Instance, Failure> {
        let descriptor = self.catalog.descriptors()[i];
        let config = self
            .config_of(i)
            .cloned()
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let context = Context::new(self, i);
        let result = catch_unwind(AssertUnwindSafe(|| {
            (descriptor.factory())(&context, config)
        }));
        let failure = match result {
            Ok(Ok(instance)) => return Ok(instance),
            Ok(Err(e)) => Failure::Error {
                stage: Stage::Construct,
                message: error_chain(&*e),
            },
            Err(payload) => Failure::Panic {
                stage: Stage::Construct,
                message: panic_message(&*payload),
            },
        };
        Err(failure)
    }

    /// Marks `i` failed (dropping its instance) and its required dependents
    /// blocked. Returns the dependents that became blocked.
    pub(crate) fn fail(&self, i: usize, failure: Failure) -> Vec<usize> {
        let cause = format!("{} {}", self.catalog.id(i), failure);
        self.instances.store(i, None);
        self.set_state(i, failure.state(), Some(failure));
        let mut blocked = Vec::new();
        for (dependent, chain) in crate::order::blocked_by(&self.graph, i) {
            let already = self.status(dependent).failure.is_some();
            if !already {
                let failure = Failure::Blocked {
                    chain: chain
                        .iter()
                        .map(|&c| self.catalog.id(c).to_owned())
                        .collect(),
                    cause: cause.clone(),
                };
                self.instances.store(dependent, None);
                self.set_state(dependent, PluginState::Blocked, Some(failure));
                blocked.push(dependent);
            }
        }
        blocked
    }
}

impl Host for Registry {
    fn descriptor(&self, index: usize) -> &'static PluginDescriptor {
        self.catalog.descriptors()[index]
    }

    fn id(&self, index: usize) -> &str {
        self.catalog.id(index)
    }

    fn instance_of(&self, kind: &'static str, name: &str) -> Result<(usize, Arc<Instance>), Error> {
        self.instance_at(self.catalog.find(kind, name), kind, name)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<'r> Context<'r> {
    /// The registry being composed (read-only metadata; use
    /// [`dependency`](Self::dependency) to reach other plugins).
    pub fn registry(&self) -> &'r Registry {
        match self.host().as_any().downcast_ref::<Registry>() {
            Some(registry) => registry,
            // `Host` is crate-private and `Registry` its only implementor.
            None => unreachable!("a Context's host is always a Registry"),
        }
    }
}
