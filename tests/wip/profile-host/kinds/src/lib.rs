//! The two plugin kinds of the scratch host.

/// Kind `greeter`.
#[pegboard::kind]
pub trait Greeter {
    fn greet(&self, who: &str) -> String;
}

/// Kind `counter`.
#[pegboard::kind]
pub trait Counter {
    fn count(&self) -> u64;
}
