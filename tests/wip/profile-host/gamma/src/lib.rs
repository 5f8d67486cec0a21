//! One plugin, in a crate the host links only under its feature `extra`.

use kinds::Counter;

/// Always three.
#[derive(Default)]
#[pegboard::plugin(name = "gamma", version = "3.0.0", api = "0.1", kind = Counter, capabilities = ["constant"])]
pub struct Gamma;

impl Counter for Gamma {
    fn count(&self) -> u64 {
        3
    }
}
