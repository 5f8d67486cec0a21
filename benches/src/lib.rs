//! Support for pegboard's benchmarks (SPEC P, issue 5).
//!
//! `build.rs` generates [`PLUGINS`] plugins of kind [`Bench`] (10,000 unless
//! `PEGBOARD_BENCH_PLUGINS` says otherwise at build time), each through the
//! real `#[pegboard::plugin]` macro and so registered with the real backend
//! (`linkme`, or `inventory` with this crate's `inventory` feature), plus
//! [`BASELINE`]: the same plugins as a hand-written static array, with no
//! macro and no registry.
//!
//! Every bench binary of this crate links this library, so every one of
//! them has all the generated plugins compiled in.

use std::collections::HashMap;
use std::sync::Arc;

use pegboard::PluginDescriptor;

/// The kind of the generated plugins.
#[pegboard::kind]
pub trait Bench {
    /// The plugin's number (`p00042` returns 42).
    fn value(&self) -> u64;
}

/// The kind's name, `bench`.
pub const KIND: &str = <dyn Bench as pegboard::Kind>::NAME;

/// One plugin of the hand-written baseline.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The kind's name.
    pub kind: &'static str,
    /// The plugin's name.
    pub name: &'static str,
    /// Builds the plugin.
    pub make: fn() -> Arc<dyn Bench>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

fn make<T: Bench + Default + 'static>() -> Arc<dyn Bench> {
    Arc::new(T::default())
}

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

/// The compiled-in descriptors of kind `bench`, in the backend's order
/// (none in particular).
pub fn bench_descriptors() -> Vec<&'static PluginDescriptor> {
    pegboard::discover::compiled_in()
        .filter(|d| d.kind() == KIND)
        .collect()
}

/// The first `n` generated plugins by name (`p00001`, `p00002`, ...).
pub fn first_n(n: usize) -> Vec<&'static PluginDescriptor> {
    let mut d = bench_descriptors();
    d.sort_unstable_by_key(|d| d.name());
    d.truncate(n);
    d
}

/// The baseline's "catalog": what pegboard's catalog does, by hand.
#[derive(Debug)]
pub struct BaselineIndex {
    /// The entries, sorted by (kind, name).
    pub entries: Vec<&'static Entry>,
    /// (kind, name) → position in `entries`.
    pub index: HashMap<(&'static str, &'static str), usize>,
}

/// Why the baseline refused its entries.
#[derive(Debug, PartialEq, Eq)]
pub enum BaselineError {
    /// A kind or plugin name outside `[a-z0-9][a-z0-9_-]*`.
    InvalidName(&'static str),
    /// The same (kind, name) twice.
    Duplicate(&'static str, &'static str),
}

/// Whether `name` matches `[a-z0-9][a-z0-9_-]*` (written here, not taken
/// from pegboard, so the baseline owes pegboard nothing).
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Indexes `entries` the way the catalog does, minus pegboard: sort by
/// (kind, name), check every name, index by (kind, name), refuse duplicates.
pub fn baseline_index(entries: &'static [Entry]) -> Result<BaselineIndex, BaselineError> {
    let mut sorted: Vec<&'static Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| (a.kind, a.name).cmp(&(b.kind, b.name)));
    let mut index = HashMap::with_capacity(sorted.len());
    for (i, e) in sorted.iter().enumerate() {
        for name in [e.kind, e.name] {
            if !valid_name(name) {
                return Err(BaselineError::InvalidName(name));
            }
        }
        if index.insert((e.kind, e.name), i).is_some() {
            return Err(BaselineError::Duplicate(e.kind, e.name));
        }
    }
    Ok(BaselineIndex {
        entries: sorted,
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_plugin_is_discovered() {
        assert_eq!(bench_descriptors().len(), PLUGINS);
        let first = first_n(3);
        let names: Vec<&str> = first.iter().map(|d| d.name()).collect();
        assert_eq!(names.len(), 3.min(PLUGINS));
        assert_eq!(names[0], BASELINE[0].name);
    }

    #[test]
    fn registry_and_baseline_agree() {
        let n = 100.min(PLUGINS);
        let registry = pegboard::Registry::builder()
            .descriptors(first_n(n))
            .build()
            .unwrap();
        assert_eq!(registry.instantiate_all(), n);
        let baseline = baseline_index(&BASELINE[..n]).unwrap();
        for e in &baseline.entries {
            let plugin = registry.get::<dyn Bench>(e.name).unwrap();
            assert_eq!(plugin.value(), (e.make)().value());
        }
    }
}
