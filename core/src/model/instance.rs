//! A built plugin, type-erased until a typed lookup takes it out again.

use std::any::{Any, TypeId};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, Weak};

use crate::model::kind::Kind;
use crate::model::lifecycle::DynLifecycle;

/// A built plugin: an `Arc<dyn SomeKind>` behind a type-erased box, and its
/// lifecycle hooks if it has any.
///
/// Constructed by the code `#[pegboard::plugin]` generates; the registry
/// hands it back typed through [`Registry::get`](crate::supervise::registry::Registry::get).
pub struct Instance {
    /// `TypeId::of::<K>()`: checked here, a typed read needs no virtual
    /// call to `Any::type_id`.
    type_id: TypeId,
    /// The plugin, an `Arc<K>`.
    plugin: Box<dyn Any + Send + Sync>,
    /// [`new_cell_of`] for `K`, which only `new` knows.
    new_cell: fn(&Arc<Instance>) -> NonNull<Header>,
    lifecycle: Option<Arc<dyn DynLifecycle>>,
}

impl Instance {
    /// Wraps a plugin of kind `K` (`K` is `dyn SomeKind`; it is not bound
    /// by [`Kind`] here so that naming a trait that is not a kind is
    /// reported once, where the plugin's descriptor names it).
    pub fn new<K: ?Sized + Send + Sync + 'static>(plugin: Arc<K>) -> Self {
        Instance {
            type_id: TypeId::of::<K>(),
            plugin: Box::new(plugin),
            new_cell: new_cell::<K>,
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

    /// Adds lifecycle hooks when there are any (the macro's form for plugins
    /// whose `Lifecycle` impl it detected rather than was told of).
    #[doc(hidden)]
    pub fn with_hooks(mut self, lifecycle: Option<Arc<dyn DynLifecycle>>) -> Self {
        self.lifecycle = lifecycle;
        self
    }

    /// The plugin as `Arc<K>`, or `None` if it is of another kind.
    #[inline]
    pub fn get<K: Kind + ?Sized>(&self) -> Option<Arc<K>> {
        self.plugin::<K>().cloned()
    }

    #[inline]
    fn plugin<K: ?Sized + 'static>(&self) -> Option<&Arc<K>> {
        if self.type_id != TypeId::of::<K>() {
            return None;
        }
        let plugin: *const (dyn Any + Send + Sync) = &*self.plugin;
        // SAFETY: `new::<K>` is the only writer of both fields: `plugin`
        // holds an `Arc<K>` for the `K` whose id `type_id` is, and that `K`
        // is this one. (What `downcast_ref` does, after its virtual call.)
        Some(unsafe { &*plugin.cast::<Arc<K>>() })
    }

    /// A new registry cell for `instance` (see `supervise::current`).
    pub(crate) fn new_cell(instance: &Arc<Instance>) -> NonNull<Header> {
        (instance.new_cell)(instance)
    }

    pub(crate) fn lifecycle(&self) -> Option<&Arc<dyn DynLifecycle>> {
        self.lifecycle.as_ref()
    }
}

/// [`new_cell_of`] for an instance made by `Instance::new::<K>`.
fn new_cell<K: ?Sized + Send + Sync + 'static>(instance: &Arc<Instance>) -> NonNull<Header> {
    match instance.plugin::<K>() {
        Some(plugin) => new_cell_of::<K>(instance, plugin),
        // `new::<K>` pairs this function with an `Arc<K>`.
        None => unreachable!("an instance's cell is made for its own kind"),
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("lifecycle", &self.lifecycle.is_some())
            .finish_non_exhaustive()
    }
}

/// The part of a cell that does not depend on the plugin's kind.
///
/// First field of every [`Cell<K>`] (`repr(C)`), so a pointer to one is a
/// pointer to the other.
///
/// What a typed lookup reads, `type_id` and the cell's `plugin`, comes
/// last, and a cell is one cache line (64 bytes, aligned): a lookup reads
/// one line of it, wherever the allocator put it.
#[repr(C)]
pub(crate) struct Header {
    /// Frees the [`Cell<K>`] this header starts.
    free: unsafe fn(NonNull<Header>),
    /// The registry's strong reference; taken (and dropped) when the cell
    /// is retired. Only writers touch it.
    strong: Mutex<Option<Arc<Instance>>>,
    instance: Weak<Instance>,
    /// `TypeId::of::<K>()` of the [`Cell<K>`] this header starts.
    type_id: TypeId,
}

/// A cell: the header, then a `Weak<K>` to the plugin. Its fields are
/// private to this file, so [`new_cell_of`] is the only code that makes a
/// header, and a header's `type_id` always names the `K` of the cell it
/// starts: what [`Header::plugin`]'s cast relies on.
#[repr(C, align(64))]
struct Cell<K: ?Sized> {
    header: Header,
    plugin: Weak<K>,
}

impl Header {
    /// The plugin as `Arc<K>`: `None` if the cell is of another kind, or
    /// its plugin was already dropped.
    #[inline]
    pub(crate) fn plugin<K: ?Sized + 'static>(&self) -> Option<Arc<K>> {
        if self.type_id != TypeId::of::<K>() {
            return None;
        }
        // SAFETY: only `new_cell_of::<K>` makes a header (see `Cell`), and
        // it writes `TypeId::of::<K>()` and allocates the header as the
        // first field (`repr(C)`) of a `Cell<K>`; so this header starts a
        // `Cell<K>`, which lives as long as the header does.
        let cell = unsafe { &*std::ptr::from_ref(self).cast::<Cell<K>>() };
        // The weak reference keeps the plugin's allocation (not the plugin)
        // alive: upgrading a plugin that was dropped gives `None`.
        cell.plugin.upgrade()
    }

    /// The cell's instance, if it is still alive.
    pub(crate) fn instance(&self) -> Option<Arc<Instance>> {
        self.instance.upgrade()
    }

    /// Takes the registry's strong reference (when the cell is retired).
    pub(crate) fn take_strong(&self) -> Option<Arc<Instance>> {
        // Only whole values are written under this lock.
        self.strong.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Frees the cell `header` starts.
    ///
    /// # Safety
    ///
    /// `header` was returned by [`Instance::new_cell`], is freed only once,
    /// and nothing reads it any more.
    pub(crate) unsafe fn free(header: NonNull<Header>) {
        // SAFETY: the header is live (the caller's guarantee).
        let free = unsafe { header.as_ref() }.free;
        // SAFETY: the caller's guarantee, which `free` requires.
        unsafe { free(header) }
    }
}

/// Allocates the cell of an instance whose plugin is `plugin` (of kind
/// `K`); see [`Instance::new`], which keeps this function for the
/// registry's table of current instances (`supervise::current`).
fn new_cell_of<K: ?Sized + Send + Sync + 'static>(
    instance: &Arc<Instance>,
    plugin: &Arc<K>,
) -> NonNull<Header> {
    /// # Safety
    ///
    /// `header` was returned by `new_cell_of::<K>` and is freed only once,
    /// with no reader left that could dereference it.
    unsafe fn free<K: ?Sized>(header: NonNull<Header>) {
        // SAFETY: `new_cell_of::<K>` allocated it as a `Box<Cell<K>>`, whose
        // first field (`repr(C)`) is the header; the caller guarantees it
        // is freed once and no longer read.
        drop(unsafe { Box::from_raw(header.as_ptr().cast::<Cell<K>>()) });
    }
    let cell = Box::new(Cell {
        header: Header {
            type_id: TypeId::of::<K>(),
            free: free::<K>,
            instance: Arc::downgrade(instance),
            strong: Mutex::new(Some(Arc::clone(instance))),
        },
        plugin: Arc::downgrade(plugin),
    });
    NonNull::from(Box::leak(cell)).cast::<Header>()
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Probe {}

    #[test]
    fn a_cell_is_one_cache_line_with_what_a_lookup_reads_in_it() {
        assert_eq!(size_of::<Cell<dyn Probe>>(), 64);
        assert_eq!(align_of::<Cell<dyn Probe>>(), 64);
        assert_eq!(std::mem::offset_of!(Cell<dyn Probe>, plugin), 48);
    }
}
