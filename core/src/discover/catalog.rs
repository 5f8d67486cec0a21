//! The discovered descriptors, sorted, de-duplicated and indexed.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::sync::OnceLock;

use std::fmt;

use serde::Serialize;

use crate::model::descriptor::{Flags, PluginDescriptor};
use crate::model::names::name_hash;

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
    /// Every id, written the first time one is asked for: building a
    /// catalog reads no string it does not have to.
    ids: OnceLock<Ids>,
    /// Plugin name → the plugins of that name, in catalog order; hashed
    /// with [`name_hash`], which the descriptors carry.
    by_name: HashTable<NameEntry>,
    /// Per plugin, its kind and the next plugin of the same name.
    links: Vec<Link>,
    /// The distinct kinds, sorted.
    kinds: Vec<&'static str>,
    /// Every descriptor's flags, combined: all `names_valid` and `checked`,
    /// any `has_config` and `has_dependencies`.
    summary: Flags,
}

/// The plugins of one name: the first and the last of its `same_name`
/// chain (the last, to append while building).
#[derive(Debug, Clone, Copy)]
struct NameEntry {
    name: &'static str,
    first: u32,
    last: u32,
}

/// What a lookup reads of plugin `i` besides the name table: in a small
/// dense array, not in the descriptor.
#[derive(Debug, Clone, Copy)]
struct Link {
    /// The plugin's kind, as an index into `Catalog::kinds`.
    kind: u32,
    /// The next plugin with the same name (in another kind), or [`NONE`]:
    /// names are nearly always unique, so this chain is nearly always one
    /// long, and a lookup hashes only the name.
    same_name: u32,
}

/// Every id (`kind.name`) of a catalog, one after the other in one string.
#[derive(Debug, Clone)]
struct Ids {
    text: String,
    /// Where id `i` ends in `text` (it starts where id `i - 1` ends).
    ends: Vec<usize>,
}

impl Ids {
    fn new(descriptors: &[&'static PluginDescriptor]) -> Ids {
        let length = descriptors
            .iter()
            .map(|d| d.kind().len() + 1 + d.name().len())
            .sum();
        let mut text = String::with_capacity(length);
        let mut ends = Vec::with_capacity(descriptors.len());
        for d in descriptors {
            text.push_str(d.kind());
            text.push('.');
            text.push_str(d.name());
            ends.push(text.len());
        }
        Ids { text, ends }
    }
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

impl Duplicate {
    /// The duplicate that `registrations` (of one id) are.
    fn of(registrations: &[&PluginDescriptor]) -> Duplicate {
        Duplicate {
            id: registrations[0].id(),
            sources: registrations.iter().map(|d| d.source()).collect(),
        }
    }
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
/// Sorts by a 16-byte integer key: the kind's rank among the kinds (which
/// are few), then the 8-byte prefix of the name that each descriptor
/// carries (computed at compile time); compares whole strings only where
/// keys tie: comparing the strings themselves (two `memcmp` calls
/// per comparison) was the largest single cost of building a catalog. From
/// [`RADIX_MIN`] plugins on, a radix sort over the key bytes that vary keeps
/// the cost per plugin flat as the catalog grows (a comparison sort's grows
/// with `log n`).
fn sorted(mut descriptors: Vec<&'static PluginDescriptor>) -> Sorted {
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
    let kinds = distinct_kinds(&descriptors);
    // A kind's index in `kinds`: plugins of one kind usually come together,
    // so the last one is tried first.
    let mut last = 0;
    let mut rank = |d: &PluginDescriptor| {
        if !same_str(kinds[last], d.kind()) {
            // Present: `kinds` holds every kind.
            last = kinds.binary_search(&d.kind()).unwrap_or(0);
        }
        last
    };
    if kinds.len() == 1 && descriptors.len() < RADIX_MIN {
        // One kind, few plugins: sorted where they are, without a keyed copy.
        descriptors
            .sort_unstable_by(|&a, &b| a.name_key().cmp(&b.name_key()).then_with(|| full(a, b)));
    } else {
        let mut keyed: Vec<Keyed> = descriptors
            .iter()
            .map(|&d| Keyed {
                key: [rank(d) as u64, d.name_key()],
                d,
            })
            .collect();
        if keyed.len() >= RADIX_MIN {
            radix_sort(&mut keyed);
        } else {
            // As one integer: one comparison, no branch on the first word.
            keyed.sort_unstable_by_key(|k| u128::from(k.key[0]) << 64 | u128::from(k.key[1]));
        }
        // Runs of equal keys: names of one kind that share their first 8
        // bytes (or the same plugin registered twice).
        let mut i = 0;
        while i < keyed.len() {
            let mut j = i + 1;
            while j < keyed.len() && keyed[j].key == keyed[i].key {
                j += 1;
            }
            if j - i > 1 {
                keyed[i..j].sort_unstable_by(|a, b| full(a.d, b.d));
            }
            i = j;
        }
        descriptors.clear();
        descriptors.extend(keyed.iter().map(|k| k.d));
    }
    // The same descriptor given twice counts once (it sorts adjacent).
    descriptors.dedup_by(|a, b| std::ptr::eq(*a, *b));
    let mut k = 0;
    let links = descriptors
        .iter()
        .map(|d| {
            if !same_str(kinds[k], d.kind()) {
                k += 1;
            }
            Link {
                // Fits: there are no more kinds than plugins, at most
                // u32::MAX of them (checked by the caller before using these).
                kind: k as u32,
                same_name: NONE,
            }
        })
        .collect();
    Sorted {
        descriptors,
        links,
        kinds,
    }
}

/// The distinct kinds of `descriptors`, sorted. Kinds are few: a table only
/// once there are more than a few.
fn distinct_kinds(descriptors: &[&'static PluginDescriptor]) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = Vec::new();
    let mut table: std::collections::HashSet<&'static str, foldhash::fast::FixedState> =
        Default::default();
    for d in descriptors {
        if kinds.last().is_some_and(|k| same_str(k, d.kind())) {
            continue;
        }
        let known = if kinds.len() <= FEW_KINDS {
            kinds.iter().any(|k| same_str(k, d.kind()))
        } else {
            if table.is_empty() {
                table.extend(kinds.iter().copied());
            }
            !table.insert(d.kind())
        };
        if !known {
            kinds.push(d.kind());
        }
    }
    kinds.sort_unstable();
    kinds
}

/// What [`sorted`] returns.
struct Sorted {
    descriptors: Vec<&'static PluginDescriptor>,
    /// Per descriptor, its kind's index in `kinds` (`same_name` unset).
    links: Vec<Link>,
    /// The distinct kinds, sorted.
    kinds: Vec<&'static str>,
}

/// Up to this many kinds, [`sorted`] finds a kind's rank by a scan.
const FEW_KINDS: usize = 16;

/// From this many plugins on, [`sorted`] uses a radix sort: below, its
/// passes' fixed cost (a 256-entry histogram each) exceeds a comparison sort.
const RADIX_MIN: usize = 256;

/// A descriptor and its sort key, high word first.
#[derive(Clone, Copy)]
struct Keyed {
    key: [u64; 2],
    d: &'static PluginDescriptor,
}

/// A stable least-significant-digit radix sort of `v` by `key`, one pass
/// per key byte that is not the same in every key (for typical catalogs,
/// a few name bytes: kinds are few and names share their first letters).
fn radix_sort(v: &mut Vec<Keyed>) {
    let (mut any, mut all) = ([0u64; 2], [u64::MAX; 2]);
    for k in v.iter() {
        for w in 0..2 {
            any[w] |= k.key[w];
            all[w] &= k.key[w];
        }
    }
    let mut out = v.clone();
    let mut counts = [0usize; 256];
    // Least significant first: the low word's bytes, then the high word's.
    for (w, shift) in (0..2)
        .rev()
        .flat_map(|w| (0..64).step_by(8).map(move |s| (w, s)))
    {
        if ((any[w] ^ all[w]) >> shift) & 0xff == 0 {
            continue;
        }
        let byte = |k: &Keyed| ((k.key[w] >> shift) & 0xff) as usize;
        counts.fill(0);
        for k in v.iter() {
            counts[byte(k)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for k in v.iter() {
            let b = byte(k);
            out[counts[b]] = *k;
            counts[b] += 1;
        }
        std::mem::swap(v, &mut out);
    }
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
        let Sorted {
            descriptors,
            mut links,
            kinds,
        } = sorted(descriptors.into_iter().collect());

        if u32::try_from(descriptors.len()).is_err() {
            return Err(CatalogError::TooMany {
                count: descriptors.len(),
            });
        }
        // One pass, reading each descriptor once (they are spread over
        // memory in no useful order): duplicates, kind collisions, the name
        // index and what the registry build needs to know of them all.
        let mut duplicates = Vec::new();
        // The first of a run of equal ids, while in one.
        let mut duplicate_run: Option<usize> = None;
        // The first plugin of the current kind.
        let mut head = 0;
        let mut summary = Flags {
            names_valid: true,
            checked: true,
            has_config: false,
            has_dependencies: false,
        };
        let mut by_name: HashTable<NameEntry> = HashTable::with_capacity(descriptors.len());
        for (i, &d) in descriptors.iter().enumerate() {
            let flags = d.flags();
            summary.names_valid &= flags.names_valid;
            summary.checked &= flags.checked;
            summary.has_config |= flags.has_config;
            summary.has_dependencies |= flags.has_dependencies;

            let same_kind = i > 0 && links[i - 1].kind == links[i].kind;
            // Sorted by kind, so each kind is one run: every plugin of a run
            // must name the same trait as the run's first.
            if !same_kind {
                head = i;
            } else if !descriptors[head].same_kind_type(d) {
                let head = descriptors[head];
                return Err(CatalogError::KindCollision {
                    kind: d.kind().to_owned(),
                    first: format!("{} at {}", head.id(), head.source()),
                    second: format!("{} at {}", d.id(), d.source()),
                });
            }
            let previous = i.checked_sub(1).map(|p| descriptors[p]);
            let same_id = same_kind
                && previous.is_some_and(|p| p.name_key() == d.name_key() && p.name() == d.name());
            match (same_id, duplicate_run) {
                (true, None) => duplicate_run = Some(i - 1),
                (false, Some(first)) => {
                    duplicates.push(Duplicate::of(&descriptors[first..i]));
                    duplicate_run = None;
                }
                _ => {}
            }

            // Fits: the length was checked above.
            let index = i as u32;
            let same = |e: &NameEntry| e.name == d.name();
            match by_name.entry(d.name_hash(), same, |e| name_hash(e.name)) {
                Entry::Occupied(mut entry) => {
                    // Catalog order along the chain: append.
                    let entry = entry.get_mut();
                    links[entry.last as usize].same_name = index;
                    entry.last = index;
                }
                Entry::Vacant(slot) => {
                    slot.insert(NameEntry {
                        name: d.name(),
                        first: index,
                        last: index,
                    });
                }
            }
        }
        if let Some(first) = duplicate_run {
            duplicates.push(Duplicate::of(&descriptors[first..]));
        }
        if !duplicates.is_empty() {
            return Err(CatalogError::Duplicates(duplicates));
        }
        Ok(Catalog {
            descriptors,
            ids: OnceLock::new(),
            by_name,
            links,
            kinds,
            summary,
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
        let ids = self.ids.get_or_init(|| Ids::new(&self.descriptors));
        let start = if i == 0 { 0 } else { ids.ends[i - 1] };
        &ids.text[start..ids.ends[i]]
    }

    /// The ids, in the same order as [`descriptors`](Self::descriptors).
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.len()).map(|i| self.id(i))
    }

    /// What the registry build needs to know of all descriptors at once
    /// (see the field).
    pub(crate) fn summary(&self) -> Flags {
        self.summary
    }

    /// The distinct kinds, sorted.
    pub fn kinds(&self) -> &[&'static str] {
        &self.kinds
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
            .find(|&i| same_str(self.kinds[self.links[i].kind as usize], kind))
    }

    /// The index of a plugin given by id (`kind.name`).
    pub fn find_id(&self, id: &str) -> Option<usize> {
        let (kind, name) = id.split_once('.')?;
        self.find(kind, name)
    }

    /// Indices of every plugin named `name`, in any kind, in catalog order.
    #[inline]
    pub fn find_name(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let mut next = self
            .by_name
            .find(name_hash(name), |e| e.name == name)
            .map_or(NONE, |e| e.first);
        std::iter::from_fn(move || {
            let i = (next != NONE).then_some(next as usize)?;
            next = self.links[i].same_name;
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

    /// Enough plugins for the radix sort, with names and kinds that share
    /// 8-byte prefixes, differ only past them, and come in no order; the
    /// catalog must end up in plain string order either way.
    #[test]
    fn large_catalogs_sort_like_strings() {
        fn leak(s: String) -> &'static str {
            Box::leak(s.into_boxed_str())
        }
        let kinds = [
            "classifiers",
            "classifier",
            "store",
            "a",
            "classifiers-extra",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut descriptors: Vec<&'static PluginDescriptor> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while descriptors.len() < 3 * RADIX_MIN {
            let kind = kinds[(next() % kinds.len() as u64) as usize];
            let name = match next() % 4 {
                0 => format!("p{}", next() % 100_000),
                1 => format!("keywords-{}", next() % 1000),
                2 => format!("{:x}", next() % 1_000_000),
                _ => format!("x{}-{}", next() % 10, next() % 10),
            };
            if !seen.insert((kind, name.clone())) {
                continue;
            }
            descriptors.push(Box::leak(Box::new(PluginDescriptor::for_tests(
                kind,
                leak(name),
                crate::__private::type_id_of::<dyn Gamma>,
                "1.0.0",
                "0.1",
            ))));
        }
        let mut expected: Vec<(&str, &str)> =
            descriptors.iter().map(|d| (d.kind(), d.name())).collect();
        expected.sort();
        for n in [RADIX_MIN - 1, descriptors.len()] {
            let mut expected: Vec<(&str, &str)> = descriptors[..n]
                .iter()
                .map(|d| (d.kind(), d.name()))
                .collect();
            expected.sort();
            let c = Catalog::new(descriptors[..n].iter().copied()).unwrap();
            let got: Vec<(&str, &str)> = c
                .descriptors()
                .iter()
                .map(|d| (d.kind(), d.name()))
                .collect();
            assert_eq!(got, expected, "{n} plugins");
            for (i, (kind, name)) in expected.iter().enumerate() {
                assert_eq!(c.find(kind, name), Some(i));
                assert_eq!(c.id(i), format!("{kind}.{name}"));
            }
        }
    }

    /// The index's hash spreads similar names (the usual `p00001`,
    /// `p00002`, ...) over buckets and tags alike.
    #[test]
    fn name_hashes_spread_over_low_and_high_bits() {
        let names: Vec<String> = (0..20_000).map(|i| format!("p{i:05}")).collect();
        let hashes: std::collections::HashSet<u64> = names.iter().map(|n| name_hash(n)).collect();
        assert_eq!(hashes.len(), names.len(), "no collisions");
        let low: fn(u64) -> u64 = |h| h & 0xff;
        let high: fn(u64) -> u64 = |h| h >> 57;
        for (what, bits) in [("low", low), ("high", high)] {
            let mut counts = std::collections::HashMap::new();
            for &h in &hashes {
                *counts.entry(bits(h)).or_insert(0usize) += 1;
            }
            let buckets = if what == "low" { 256 } else { 128 };
            let mean = hashes.len() / buckets;
            assert_eq!(counts.len(), buckets, "{what} bits: every value used");
            assert!(
                counts.values().all(|&c| c < 2 * mean),
                "{what} bits: no value twice as frequent as the mean"
            );
        }
        // Computed at compile time for a descriptor, at run time for a query.
        const AT_COMPILE_TIME: u64 = name_hash("keywords");
        assert_eq!(AT_COMPILE_TIME, name_hash(&String::from("keywords")));
        assert_ne!(name_hash("ab"), name_hash("ab\0"));
    }
}
