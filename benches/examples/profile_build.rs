//! Builds (and drops) a registry of N generated plugins R times, for a
//! profiler: `valgrind --tool=callgrind target/release/examples/profile_build 1000 20`.
//!
//! Criterion's harness would drown the registry in its own instructions;
//! this is P1's pegboard side and nothing else.

use std::hint::black_box;

use pegboard::Registry;
use pegboard::discover::compiled_in;
use pegboard_benches::KIND;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    for _ in 0..rounds {
        let discovered: Vec<_> = compiled_in().filter(|d| d.kind() == KIND).take(n).collect();
        let registry = Registry::builder()
            .descriptors(discovered)
            .build()
            .expect("the generated plugins form a valid registry");
        black_box(&registry);
    }
}
