//! SPEC P1 (registry build) and P2 (typed lookup), each beside its baseline
//! in the same run.
//!
//! - `p1_registry_build/<backend>/<N>`: discover every compiled-in plugin
//!   with the build's backend (`linkme`, or `inventory` with
//!   `--features inventory`), take N of kind `bench`, and build a registry
//!   of them (index + validate metadata; no config).
//!   `p1_registry_build/baseline/<N>`: index the same N plugins of the
//!   hand-written static array the same way.
//! - `p1_discover/<backend>`: context for P1, the discovery alone.
//! - `p2_lookup/pegboard`: `registry.get::<dyn Bench>(name)` of an
//!   already-built plugin, cycling over 1,000 names;
//!   `p2_lookup/hashmap`: `HashMap<&str, Arc<dyn Bench>>::get(name).cloned()`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pegboard::Registry;
use pegboard::discover::{BACKEND, compiled_in};
use pegboard_benches::{BASELINE, Bench, KIND, PLUGINS, baseline_index, first_n};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
const LOOKUP_N: usize = 1_000;

fn p1_registry_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("p1_registry_build");
    group.warm_up_time(Duration::from_secs(1));
    for n in SIZES {
        if n > PLUGINS {
            // BENCHMARKS.md shows the size as missing.
            eprintln!(
                "p1_registry_build/{n} skipped: built with {PLUGINS} generated plugins (PEGBOARD_BENCH_PLUGINS)"
            );
            continue;
        }
        group.throughput(Throughput::Elements(n as u64));
        if n >= 10_000 {
            // About 0.15 s an iteration: 30 of them need more than 3 s.
            group
                .sample_size(30)
                .measurement_time(Duration::from_secs(5));
        } else if n >= 1_000 {
            group
                .sample_size(30)
                .measurement_time(Duration::from_secs(3));
        } else {
            group
                .sample_size(50)
                .measurement_time(Duration::from_secs(2));
        }

        // The discovery is measured too: the backend's cost is part of P1.
        // The first N found are taken as found (the catalog sorts them).
        group.bench_with_input(BenchmarkId::new(BACKEND, n), &n, |b, &n| {
            b.iter(|| {
                let discovered: Vec<_> =
                    compiled_in().filter(|d| d.kind() == KIND).take(n).collect();
                Registry::builder()
                    .descriptors(discovered)
                    .build()
                    .expect("the generated plugins form a valid registry")
            });
        });

        group.bench_with_input(BenchmarkId::new("baseline", n), &n, |b, &n| {
            b.iter(|| baseline_index(black_box(&BASELINE[..n])).expect("valid baseline"));
        });
    }
    group.finish();
}

fn p2_lookup(c: &mut Criterion) {
    let registry = Registry::builder()
        .descriptors(first_n(LOOKUP_N))
        .build()
        .expect("the generated plugins form a valid registry");
    assert_eq!(registry.instantiate_all(), LOOKUP_N);

    let names: Vec<&'static str> = registry
        .catalog()
        .descriptors()
        .iter()
        .map(|d| d.name())
        .collect();
    // The same instances, in a plain map.
    let map: HashMap<&'static str, Arc<dyn Bench>> = names
        .iter()
        .map(|&name| (name, registry.get::<dyn Bench>(name).unwrap()))
        .collect();

    let mut group = c.benchmark_group("p2_lookup");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("pegboard", |b| {
        let mut i = 0;
        b.iter(|| {
            let name = names[i];
            i = if i + 1 == names.len() { 0 } else { i + 1 };
            registry.get::<dyn Bench>(black_box(name)).unwrap()
        });
    });
    group.bench_function("hashmap", |b| {
        let mut i = 0;
        b.iter(|| {
            let name = names[i];
            i = if i + 1 == names.len() { 0 } else { i + 1 };
            map.get(black_box(name)).cloned().unwrap()
        });
    });
    group.finish();
}

/// Context for P1: the discovery alone, every compiled-in descriptor (the
/// generated plugins and the crate's other dependencies' plugins).
fn p1_discover(c: &mut Criterion) {
    let mut group = c.benchmark_group("p1_discover");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    group.throughput(Throughput::Elements(compiled_in().count() as u64));
    // `compiled_in()` is lazy: walk it, reading every descriptor's kind as
    // P1 does, or this would time the creation of an iterator.
    group.bench_function(BACKEND, |b| {
        b.iter(|| {
            compiled_in()
                .filter(|d| black_box(d.kind()) == KIND)
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, p1_registry_build, p1_discover, p2_lookup);
criterion_main!(benches);
