//! Typed lookups of already-built plugins (P2's pegboard side), for a
//! profiler: `valgrind --tool=callgrind target/release/examples/profile_lookup 1000000`.

use std::hint::black_box;

use pegboard::Registry;
use pegboard_benches::{Bench, first_n};

fn main() {
    let lookups: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let descriptors = first_n(1000);
    let names: Vec<&str> = descriptors.iter().map(|d| d.name()).collect();
    let registry = Registry::builder()
        .descriptors(descriptors)
        .build()
        .expect("the generated plugins form a valid registry");
    registry.instantiate_all();
    let mut sum = 0u64;
    for i in 0..lookups {
        let plugin = registry
            .get::<dyn Bench>(black_box(names[i % names.len()]))
            .expect("built");
        sum = sum.wrapping_add(plugin.value());
    }
    black_box(sum);
}
