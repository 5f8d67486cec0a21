//! Two plugins of two kinds, one depending on the other.

use kinds::{Counter, Greeter};

/// Greets tersely.
#[derive(Default)]
#[pegboard::plugin(name = "beta", version = "2.0.0", api = "0.1", kind = Greeter)]
pub struct Beta;

impl Greeter for Beta {
    fn greet(&self, who: &str) -> String {
        format!("hi {who}")
    }
}

/// Counts the beta greeter's words.
#[derive(Default)]
#[pegboard::plugin(name = "beta", version = "2.1.0", api = "0.1", kind = Counter, depends_on = ["greeter.beta"])]
pub struct BetaCounter;

impl Counter for BetaCounter {
    fn count(&self) -> u64 {
        2
    }
}
