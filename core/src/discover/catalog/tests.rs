use super::*;
use sort::RADIX_MIN;

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
