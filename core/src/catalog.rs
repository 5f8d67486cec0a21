//! The discovered descriptors, sorted, de-duplicated and indexed.

use std::collections::HashMap;

use std::fmt;

use serde::Serialize;

use crate::descriptor::PluginDescriptor;

/// Every plugin descriptor of one composition, sorted by (kind, name) and
/// indexed; duplicate ids are refused.
///
/// Plugin index `i` is the same everywhere a composition is described
/// (config, dependency graph, registry), so ties are always broken by id.
///
/// Building one allocates a fixed number of times, whatever the number of
/// plugins: the ids live in one string, and the index is one hash table from
/// plugin name to the plugins of that name (with `foldhash`: the keys are
/// compiled-in names; a query can look them up but never add one).
#[derive(Debug, Clone)]
pub struct Catalog {
    descriptors: Vec<&'static PluginDescriptor>,
    /// Every id (`kind.name`), one after the other.
    ids: String,
    /// Where id `i` ends in `ids` (it starts where id `i - 1` ends).
    id_ends: Vec<usize>,
    /// Plugin name → the first plugin of that name, in catalog order.
    by_name: HashMap<&'static str, u32, foldhash::fast::FixedState>,
    /// The next plugin with the same name as plugin `i` (in another kind),
    /// or [`NONE`]: names are nearly always unique, so this chain is
    /// nearly always one long, and a lookup hashes only the name.
    same_name: Vec<u32>,
    /// The distinct kinds, sorted.
    kinds: Vec<&'static str>,
    /// Plugin `i`'s kind, as an index into `kinds`: a lookup checks the kind
    /// here, in a small dense array, instead of in the descriptor.
    kind_of: Vec<u32>,
}

/// The end of a `same_name` chain.
const NONE: u32 = u32::MAX;

/// Two registrations of one `kind.name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// The id registered twice.
    pub id: String,
    /// `crate file:line` of every registration of it, sorted.
    pub sources: Vec<String>,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin `{}` is registered more than once: {}",
            self.id,
            self.sources.join(" and ")
        )
    }
}

/// Why a set of descriptors cannot form a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The same `kind.name` is registered more than once.
    #[error("{}", join(.0))]
    Duplicates(Vec<Duplicate>),
    /// Two different traits claim the same kind name.
    #[error(
        "kind name `{kind}` is used by two different traits (plugins {first} and {second}); give one of them another name with #[pegboard::kind(name = \"...\")]"
    )]
    KindCollision {
        /// The kind name.
        kind: String,
        /// A plugin of the first trait (`id` at `crate file:line`).
        first: String,
        /// A plugin of the second trait.
        second: String,
    },
    /// More plugins than a catalog indexes (`u32::MAX`).
    #[error("{count} plugins are more than a catalog can index ({})", u32::MAX)]
    TooMany {
        /// How many were given.
        count: usize,
    },
}

fn join(d: &[Duplicate]) -> String {
    d.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The descriptors by (kind, name), then source location; the same
/// descriptor twice ends up adjacent.
///
/// Sorts 8-byte big-endian prefixes of kind and name as integers and
/// compares whole strings only where prefixes tie: comparing the strings
/// themselves (two `memcmp` calls per comparison) was the largest single
/// cost of building a catalog.
fn sorted(descriptors: Vec<&'static PluginDescriptor>) -> Vec<&'static PluginDescriptor> {
    fn full(a: &PluginDescriptor, b: &PluginDescriptor) -> std::cmp::Ordering {
        (
            a.kind(),
            a.name(),
            a.file(),
            a.line(),
            std::ptr::from_ref(a),
        )
            .cmp(&(
                b.kind(),
                b.name(),
                b.file(),
                b.line(),
                std::ptr::from_ref(b),
            ))
    }
    // Lexicographic order of the padded prefixes is that of the strings,
    // except that a string and itself followed by NULs tie: `full` decides.
    fn prefix(s: &str) -> u64 {
        let mut bytes = [0u8; 8];
        let n = s.len().min(8);
        bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
        u64::from_be_bytes(bytes)
    }
    let mut keyed: Vec<(u64, u64, &'static PluginDescriptor)> = descriptors
        .into_iter()
        .map(|d| (prefix(d.kind()), prefix(d.name()), d))
        .collect();
    keyed.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| full(a.2, b.2)));
    keyed.into_iter().map(|(_, _, d)| d).collect()
}

/// String equality that first tries the pointer: a kind's name is one
/// constant, so a lookup usually passes the very `&'static str` the
/// descriptor holds.
#[inline]
pub(crate) fn same_str(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

impl Catalog {
    /// Every plugin compiled into this binary.
    pub fn compiled_in() -> Result<Catalog, CatalogError> {
        Catalog::new(crate::discover::compiled_in())
    }

    /// A catalog of the given descriptors (for tests, tools and benchmarks).
    /// The same descriptor given twice counts once.
    pub fn new(
        descriptors: impl IntoIterator<Item = &'static PluginDescriptor>,
    ) -> Result<Catalog, CatalogError> {
        let mut descriptors = sorted(descriptors.into_iter().collect());
        descriptors.dedup_by(|a, b| std::ptr::eq(*a, *b));

        let mut duplicates = Vec::new();
        let mut i = 0;
        while i < descriptors.len() {
            let d = descriptors[i];
            let mut j = i + 1;
            while j < descriptors.len()
                && (descriptors[j].kind(), descriptors[j].name()) == (d.kind(), d.name())
            {
                j += 1;
            }
            if j - i > 1 {
                duplicates.push(Duplicate {
                    id: d.id(),
                    sources: descriptors[i..j].iter().map(|d| d.source()).collect(),
                });
            }
            i = j;
        }
        // Sorted by kind, so each kind is one run: every plugin of a run
        // must name the same trait as the run's first.
        let mut first = 0;
        for (i, d) in descriptors.iter().enumerate() {
            let head = descriptors[first];
            if head.kind() != d.kind() {
                first = i;
            } else if head.kind_type_id() != d.kind_type_id() {
                return Err(CatalogError::KindCollision {
                    kind: d.kind().to_owned(),
                    first: format!("{} at {}", head.id(), head.source()),
                    second: format!("{} at {}", d.id(), d.source()),
                });
            }
        }
        if !duplicates.is_empty() {
            return Err(CatalogError::Duplicates(duplicates));
        }

        if u32::try_from(descriptors.len()).is_err() {
            return Err(CatalogError::TooMany {
                count: descriptors.len(),
            });
        }

        let length: usize = descriptors
            .iter()
            .map(|d| d.kind().len() + 1 + d.name().len())
            .sum();
        let mut ids = String::with_capacity(length);
        let mut id_ends = Vec::with_capacity(descriptors.len());
        let mut kinds: Vec<&'static str> = Vec::new();
        let mut kind_of = Vec::with_capacity(descriptors.len());
        for d in &descriptors {
            if kinds.last() != Some(&d.kind()) {
                kinds.push(d.kind());
            }
            // Fits: there are no more kinds than plugins, checked above.
            kind_of.push((kinds.len() - 1) as u32);
            ids.push_str(d.kind());
            ids.push('.');
            ids.push_str(d.name());
            id_ends.push(ids.len());
        }
        let mut by_name = HashMap::with_capacity_and_hasher(
            descriptors.len(),
            foldhash::fast::FixedState::default(),
        );
        let mut same_name = vec![NONE; descriptors.len()];
        // Backwards, so that each chain runs in catalog order.
        for (i, d) in descriptors.iter().enumerate().rev() {
            // Fits: the length was checked above.
            let i = i as u32;
            if let Some(next) = by_name.insert(d.name(), i) {
                same_name[i as usize] = next;
            }
        }
        Ok(Catalog {
            descriptors,
            ids,
            id_ends,
            by_name,
            same_name,
            kinds,
            kind_of,
        })
    }

    /// The descriptors, sorted by (kind, name).
    pub fn descriptors(&self) -> &[&'static PluginDescriptor] {
        &self.descriptors
    }

    /// The id (`kind.name`) of plugin `i`.
    ///
    /// # Panics
    ///
    /// If `i` is not below [`len`](Self::len), like indexing a slice.
    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] };
        &self.ids[start..self.id_ends[i]]
    }

    /// The ids, in the same order as [`descriptors`](Self::descriptors).
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.len()).map(|i| self.id(i))
    }

    /// The number of plugins.
    pub fn len(&self) -> usize {
        self.descriptors.len()
    }

    /// Whether there are no plugins.
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }

    /// The index of `kind.name`.
    #[inline]
    pub fn find(&self, kind: &str, name: &str) -> Option<usize> {
        self.find_name(name)
            .find(|&i| same_str(self.kinds[self.kind_of[i] as usize], kind))
    }

    /// The index of a plugin given by id (`kind.name`).
    pub fn find_id(&self, id: &str) -> Option<usize> {
        let (kind, name) = id.split_once('.')?;
        self.find(kind, name)
    }

    /// Indices of every plugin named `name`, in any kind, in catalog order.
    #[inline]
    pub fn find_name(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let mut next = self.by_name.get(name).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let i = (next != NONE).then_some(next as usize)?;
            next = self.same_name[i];
            Some(i)
        })
    }

    /// Indices of every plugin of `kind`, in name order.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = usize> + 'a {
        let start = self.descriptors.partition_point(|d| d.kind() < kind);
        self.descriptors[start..]
            .iter()
            .take_while(move |d| d.kind() == kind)
            .enumerate()
            .map(move |(i, _)| start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Alpha {}
    trait Beta {}

    macro_rules! descriptor {
        ($kind:literal, $name:literal, $trait:ty) => {
            PluginDescriptor::for_tests(
                $kind,
                $name,
                crate::__private::type_id_of::<$trait>,
                "1.0.0",
                "0.1",
            )
        };
    }

    static ALPHA_X: PluginDescriptor = descriptor!("alpha", "x", dyn Alpha);
    static ALPHA_Y: PluginDescriptor = descriptor!("alpha", "y", dyn Alpha);
    static BETA_X: PluginDescriptor = descriptor!("beta", "x", dyn Beta);
    static BETA_Z: PluginDescriptor = descriptor!("beta", "z", dyn Beta);

    trait Gamma {}
    static LONG_A: PluginDescriptor = descriptor!("classifiers", "keywords-english", dyn Gamma);
    static LONG_B: PluginDescriptor = descriptor!("classifiers", "keywords-enGlish", dyn Gamma);
    static LONG_C: PluginDescriptor = descriptor!("classifiers", "keywords", dyn Gamma);
    static LONG_D: PluginDescriptor = descriptor!("classifiers", "keywords-e", dyn Gamma);
    static LONG_E: PluginDescriptor = descriptor!("classifiers", "a", dyn Gamma);
    static NUL: PluginDescriptor = descriptor!("classifiers", "keywords\0", dyn Gamma);

    #[test]
    fn the_order_is_that_of_the_strings_whatever_the_prefixes() {
        let all = [
            &LONG_A, &LONG_B, &LONG_C, &LONG_D, &LONG_E, &NUL, &ALPHA_X, &ALPHA_Y, &BETA_X, &BETA_Z,
        ];
        let mut expected: Vec<String> = all.iter().map(|d| d.id()).collect();
        expected.sort_by(|a, b| a.split_once('.').cmp(&b.split_once('.')));
        // Every rotation and its reverse: the input order never matters.
        for r in 0..all.len() {
            let mut input = all.to_vec();
            input.rotate_left(r);
            for input in [input.clone(), input.into_iter().rev().collect()] {
                let c = Catalog::new(input).unwrap();
                assert_eq!(c.ids().collect::<Vec<_>>(), expected);
            }
        }
    }

    fn catalog() -> Catalog {
        // Given out of order and with a repeat: sorted, and counted once.
        Catalog::new([&BETA_Z, &ALPHA_Y, &BETA_X, &ALPHA_X, &BETA_Z]).unwrap()
    }

    #[test]
    fn ids_are_sorted_by_kind_then_name() {
        let c = catalog();
        assert_eq!(c.len(), 4);
        assert_eq!(
            c.ids().collect::<Vec<_>>(),
            ["alpha.x", "alpha.y", "beta.x", "beta.z"]
        );
        assert_eq!(c.id(0), "alpha.x");
        assert_eq!(c.id(3), "beta.z");
        assert_eq!(c.ids().len(), 4);
    }

    #[test]
    fn lookups_by_kind_and_name_by_name_and_by_id() {
        let c = catalog();
        assert_eq!(c.find("alpha", "x"), Some(0));
        assert_eq!(c.find("beta", "x"), Some(2));
        assert_eq!(c.find(&String::from("beta"), &String::from("z")), Some(3));
        assert_eq!(c.find("alpha", "z"), None);
        assert_eq!(c.find("gamma", "x"), None);
        assert_eq!(c.find_name("x").collect::<Vec<_>>(), [0, 2]);
        assert_eq!(c.find_name("y").collect::<Vec<_>>(), [1]);
        assert_eq!(c.find_name("w").count(), 0);
        assert_eq!(c.find_id("beta.z"), Some(3));
        assert_eq!(c.find_id("betaz"), None);
        assert_eq!(c.of_kind("beta").collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn an_empty_catalog_finds_nothing() {
        let c = Catalog::new([]).unwrap();
        assert!(c.is_empty());
        assert_eq!(c.find("alpha", "x"), None);
        assert_eq!(c.ids().count(), 0);
    }
}
