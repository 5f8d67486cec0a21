//! The current instance of each plugin, read without locking on every
//! lookup.
//!
//! # Design
//!
//! Each plugin has one pointer ([`CurrentInstance`], 8 bytes, so that a
//! lookup across many plugins stays in cache) to an immutable *cell*
//! describing its current instance, or null. A cell holds:
//!
//! - the registry's strong reference to the [`Instance`] (which owns the
//!   plugin's `Arc<K>`): the only strong reference the registry keeps;
//! - a `Weak<K>` to the plugin and a `Weak<Instance>`, which readers
//!   upgrade: one compare-and-swap on the strong count that is also the
//!   clone handed out (an arc-swap guard costs two more locked
//!   instructions);
//! - the `TypeId` of `K`, so a typed read checks the kind without a
//!   virtual call.
//!
//! Replacing or clearing an instance swaps the pointer, then drops the old
//! cell's strong reference at once: a plugin that nobody else holds is
//! dropped as promptly as before. The old cell itself is *retired*, not
//! freed: a reader may have loaded its pointer just before the swap and not
//! yet upgraded. Retired cells are freed when the registry is dropped.
//!
//! # Memory kept per replacement
//!
//! Each replaced or cleared instance keeps, until the registry is dropped:
//! its cell (64 bytes), its entry in the retired list (8), the allocation
//! of its `Instance` (72 bytes on 64-bit targets), and the allocation of the plugin's `Arc` (16 bytes plus the
//! size of the plugin struct itself: 0 for a unit struct, a few words for a
//! struct of handles). Not what the plugin owns: its fields are
//! dropped with it, so files, sockets, buffers behind pointers and threads
//! are released promptly. Replacements happen on a restart, a failure or a
//! stop, so this grows with the number of restarts, not of calls.

use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

use crate::model::instance::{Header, Instance};

/// A plugin's current instance, if any: a pointer to its cell, or null.
///
/// The cells it points to are owned by the [`Instances`] it is part of.
#[derive(Default)]
pub(crate) struct CurrentInstance(AtomicPtr<Header>);

impl CurrentInstance {
    /// The current cell, if any.
    #[inline]
    fn header(&self) -> Option<&Header> {
        // Acquire: the cell was written before it was published (release).
        let header = self.0.load(Ordering::Acquire);
        // SAFETY: a non-null pointer here was published by
        // `Instances::store` and points to a live cell: cells are freed
        // only by `Instances`' `Drop`, which cannot run while `self` (a
        // part of it) is borrowed. Retired cells are not freed, so the
        // reference stays valid even if the cell is replaced meanwhile;
        // cells are never mutated except through their `Mutex` and atomics.
        unsafe { header.as_ref() }
    }

    /// The current plugin as `Arc<K>`: `None` if there is no instance, it
    /// is of another kind, or it was just replaced and already dropped (the
    /// caller then takes the slow path, which reads the new one).
    #[inline]
    pub(crate) fn get<K: ?Sized + 'static>(&self) -> Option<Arc<K>> {
        self.header()?.plugin::<K>()
    }

    /// The current instance, if any.
    pub(crate) fn load_full(&self) -> Option<Arc<Instance>> {
        loop {
            let header = self.header()?;
            match header.instance() {
                Some(instance) => return Some(instance),
                // Retired and dropped after this thread loaded it: the
                // pointer has moved on since (a cell's strong reference
                // is dropped only after it is swapped out), so read again.
                None => std::hint::spin_loop(),
            }
        }
    }

    pub(crate) fn is_some(&self) -> bool {
        self.header().is_some()
    }
}

/// The current instance of every plugin, indexed like the catalog, and the
/// cells they replaced (see the [module docs](self)).
///
/// `Send` and `Sync` because its raw pointers are: right only because what
/// they own (cells of `Weak<K>` for `K: Send + Sync`, and
/// `Arc<Instance>`) is both, which this checks for `Instance`.
pub(crate) struct Instances {
    current: Box<[CurrentInstance]>,
    /// Cells swapped out of `current`, not yet freed: only pushed to until
    /// `Drop` (by writers: restarts, failures, stops).
    retired: Mutex<Vec<AtomicPtr<Header>>>,
}

impl Instances {
    /// Makes `instance` the current instance of plugin `i`, or clears it,
    /// and drops the registry's reference to the one it replaces.
    pub(crate) fn store(&self, i: usize, instance: Option<Arc<Instance>>) {
        let cell = match instance {
            Some(instance) => Instance::new_cell(&instance).as_ptr(),
            None if !self.current[i].is_some() => return,
            None => ptr::null_mut(),
        };
        // Release publishes the new cell; acquire makes the old one's
        // fields (written by another writer) visible to this one.
        let old = self.current[i].0.swap(cell, Ordering::AcqRel);
        if let Some(old) = NonNull::new(old) {
            self.retire(old);
        }
    }

    /// Drops the registry's reference to the instance of a cell that was
    /// just swapped out, and keeps the cell until `Drop`.
    fn retire(&self, old: NonNull<Header>) {
        // SAFETY: `old` was just swapped out of a `CurrentInstance` by this
        // thread, so it is a live cell (see `CurrentInstance::header`) that
        // only this thread retires.
        let header = unsafe { old.as_ref() };
        let strong = header.take_strong();
        self.retired
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(AtomicPtr::new(old.as_ptr()));
        // Last, so a plugin's `Drop` runs with the registry consistent.
        drop(strong);
    }
}

const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Instance>();
};

impl FromIterator<CurrentInstance> for Instances {
    fn from_iter<T: IntoIterator<Item = CurrentInstance>>(iter: T) -> Self {
        Instances {
            current: iter.into_iter().collect(),
            retired: Mutex::new(Vec::new()),
        }
    }
}

impl std::ops::Deref for Instances {
    type Target = [CurrentInstance];

    fn deref(&self) -> &[CurrentInstance] {
        &self.current
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        for current in &mut self.current {
            if let Some(header) = NonNull::new(*current.0.get_mut()) {
                // SAFETY: `&mut self`: no reader or writer is left, and a
                // current cell is in no other slot nor retired.
                unsafe { Header::free(header) };
            }
        }
        let retired = self.retired.get_mut().unwrap_or_else(|e| e.into_inner());
        for cell in retired.iter_mut() {
            if let Some(header) = NonNull::new(*cell.get_mut()) {
                // SAFETY: as above; each cell is retired once.
                unsafe { Header::free(header) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    use std::thread;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::model::descriptor::PluginDescriptor;
    use crate::model::kind::Kind;
    use crate::model::state::{Failure, PluginState, Stage};
    use crate::supervise::registry::Registry;

    trait Probe: Send + Sync {
        /// False once dropped: a reader that sees false used a dropped
        /// plugin.
        fn alive(&self) -> bool;
    }
    impl Kind for dyn Probe {
        const NAME: &'static str = "probe";
    }
    trait Other: Send + Sync {}
    impl Kind for dyn Other {
        const NAME: &'static str = "other";
    }

    /// Counts creations and drops; `alive` is cleared by `Drop`.
    struct Plugin {
        alive: AtomicBool,
        counts: &'static Counts,
    }
    struct Counts {
        created: AtomicUsize,
        dropped: AtomicUsize,
    }
    impl Counts {
        const fn new() -> Self {
            Counts {
                created: AtomicUsize::new(0),
                dropped: AtomicUsize::new(0),
            }
        }
        fn live(&self) -> usize {
            self.created.load(Ordering::SeqCst) - self.dropped.load(Ordering::SeqCst)
        }
    }
    impl Plugin {
        fn shared(counts: &'static Counts) -> Arc<dyn Probe> {
            counts.created.fetch_add(1, Ordering::SeqCst);
            Arc::new(Plugin {
                alive: AtomicBool::new(true),
                counts,
            })
        }
    }
    impl Probe for Plugin {
        fn alive(&self) -> bool {
            self.alive.load(Ordering::SeqCst)
        }
    }
    impl Drop for Plugin {
        fn drop(&mut self) {
            self.alive.store(false, Ordering::SeqCst);
            self.counts.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_current_instance_is_one_pointer_to_one_cache_line() {
        // What keeps lookups across many plugins in cache.
        assert_eq!(size_of::<CurrentInstance>(), size_of::<usize>());
        // What a lookup reads of a cell is in its one line: tested with
        // the cell, in model/instance.rs.
    }

    fn instances(n: usize) -> Instances {
        (0..n).map(|_| CurrentInstance::default()).collect()
    }

    #[test]
    fn reads_the_current_plugin_by_kind_and_drops_replaced_ones_at_once() {
        static COUNTS: Counts = Counts::new();
        let cells = instances(2);
        assert!(cells[0].get::<dyn Probe>().is_none());
        cells.store(0, Some(Arc::new(Instance::new(Plugin::shared(&COUNTS)))));
        let first = cells[0].get::<dyn Probe>().unwrap();
        assert!(cells[0].get::<dyn Other>().is_none(), "another kind");
        assert!(cells[1].get::<dyn Probe>().is_none(), "another slot");
        assert!(cells[0].is_some() && !cells[1].is_some());

        cells.store(0, Some(Arc::new(Instance::new(Plugin::shared(&COUNTS)))));
        let second = cells[0].get::<dyn Probe>().unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(COUNTS.live(), 2, "`first` is still held");
        drop(first);
        assert_eq!(COUNTS.live(), 1, "dropped with its last holder");

        let instance = cells[0].load_full().unwrap();
        drop(second);
        cells.store(0, None);
        assert_eq!(COUNTS.live(), 1, "the instance is still held");
        assert!(cells[0].get::<dyn Probe>().is_none());
        assert!(cells[0].load_full().is_none());
        drop(instance);
        assert_eq!(COUNTS.live(), 0, "dropped as soon as nobody holds it");

        cells.store(1, Some(Arc::new(Instance::new(Plugin::shared(&COUNTS)))));
        drop(cells);
        assert_eq!(COUNTS.live(), 0, "current instances drop with the cells");
    }

    static STRESS: Counts = Counts::new();

    static STRESSED: PluginDescriptor = PluginDescriptor::for_tests_built_by(
        "probe",
        "stressed",
        crate::__private::type_id_of::<dyn Probe>,
        "1.0.0",
        "0.1",
        |_, _| Ok(Instance::new(Plugin::shared(&STRESS))),
    );

    /// Readers look the plugin up and use it while another thread restarts,
    /// clears and fails it as fast as it can: no reader may ever see a
    /// dropped plugin, and every plugin is dropped exactly once, as soon as
    /// the last reader lets go.
    #[test]
    fn lookups_never_see_a_dropped_plugin_while_it_is_restarted() {
        let registry = Registry::builder()
            .descriptors([&STRESSED])
            .build()
            .unwrap();
        let i = 0;
        let stop = AtomicBool::new(false);
        let deadline = Instant::now() + Duration::from_millis(1500);
        let (seen, gone) = (AtomicUsize::new(0), AtomicUsize::new(0));
        thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        match registry.get::<dyn Probe>("stressed") {
                            Ok(plugin) => {
                                assert!(plugin.alive(), "a dropped plugin was handed out");
                                seen.fetch_add(1, Ordering::Relaxed);
                                thread::yield_now();
                                assert!(plugin.alive(), "a held plugin was dropped");
                            }
                            Err(_) => {
                                gone.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        if let Some(instance) = registry.loaded(i) {
                            assert!(instance.get::<dyn Probe>().unwrap().alive());
                        }
                    }
                });
            }
            let mut round = 0u32;
            while Instant::now() < deadline {
                round += 1;
                match round % 4 {
                    0 => registry.discard(i),
                    1 => {
                        registry.fail(
                            i,
                            Failure::Error {
                                stage: Stage::Start,
                                message: "stress".into(),
                            },
                        );
                        registry.set_state(i, PluginState::Configured, None);
                    }
                    _ => {
                        assert!(registry.rebuild(i).is_ok());
                    }
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(seen.load(Ordering::Relaxed) > 0);
        // Only the current instance (if any) is still alive.
        assert!(STRESS.live() <= 1, "{} alive", STRESS.live());
        drop(registry);
        assert_eq!(STRESS.live(), 0);
    }
}
