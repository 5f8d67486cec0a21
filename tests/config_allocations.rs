//! Plugins without a config type cost the config validator no allocation of
//! their own: building the validator and validating a document without
//! their sections allocates as much for 1,000 such plugins as for 10 (what
//! a registry build does for every plugin, SPEC P1).
//!
//! Its own test binary, as it counts allocations with a global allocator
//! (per thread, so the test harness does not disturb the count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;

use pegboard::config::{ConfigValidator, Document, PluginSchema};
use serde_json::{Map, Value};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the counter is a const-initialized
// thread-local without destructor, so touching it never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by building a validator for `names` (plugins of kind
/// `bench` without config, as the registry describes them) and validating
/// an empty document with it, as a registry build does.
fn allocations(names: &[&'static str]) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    let validator = ConfigValidator::new(names.iter().map(|&name| {
        PluginSchema::new(
            Cow::Borrowed("bench"),
            Cow::Borrowed(name),
            None,
            Value::Object(Map::new()),
        )
    }));
    let mut document = Document::empty();
    let env_errors = validator.apply_env(&mut document, Vec::<(String, String)>::new());
    let validated = validator.validate(&document);
    assert!(env_errors.is_empty());
    assert!(validated.is_ok());
    assert_eq!(validated.plugins.len(), names.len());
    assert!(validated.plugins.iter().all(|p| p.enabled));
    drop((validated, validator));
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn plugins_without_config_allocate_nothing_per_plugin() {
    let names: Vec<&'static str> = (0..1000)
        .map(|i| &*Box::leak(format!("p{i:04}").into_boxed_str()))
        .collect();
    // Once for what is built on first use (pegboard's own section schemas).
    allocations(&names[..1]);
    let few = allocations(&names[..10]);
    let many = allocations(&names);
    assert_eq!(
        many, few,
        "1,000 plugins without config allocate {many} times, 10 allocate {few} times"
    );
}
