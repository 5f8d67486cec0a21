//! Sorting descriptors by (kind, name) fast for thousands of plugins: by a
//! key of the kind's rank and an 8-byte name prefix, with a radix sort for
//! large catalogs.

use crate::model::descriptor::PluginDescriptor;
use crate::model::names::same_str;

/// What a lookup reads of plugin `i` besides the name table: in a small
/// dense array, not in the descriptor.
#[derive(Debug, Clone, Copy)]
pub(super) struct Link {
    /// The plugin's kind, as an index into `Catalog::kinds`.
    pub(super) kind: u32,
    /// The next plugin with the same name (in another kind), or [`NONE`]:
    /// names are nearly always unique, so this chain is nearly always one
    /// long, and a lookup hashes only the name.
    pub(super) same_name: u32,
}

/// The end of a `same_name` chain.
pub(super) const NONE: u32 = u32::MAX;

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
pub(super) fn sorted(mut descriptors: Vec<&'static PluginDescriptor>) -> Sorted {
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
pub(super) struct Sorted {
    pub(super) descriptors: Vec<&'static PluginDescriptor>,
    /// Per descriptor, its kind's index in `kinds` (`same_name` unset).
    pub(super) links: Vec<Link>,
    /// The distinct kinds, sorted.
    pub(super) kinds: Vec<&'static str>,
}

/// Up to this many kinds, [`sorted`] finds a kind's rank by a scan.
const FEW_KINDS: usize = 16;

/// From this many plugins on, [`sorted`] uses a radix sort: below, its
/// passes' fixed cost (a 256-entry histogram each) exceeds a comparison sort.
pub(super) const RADIX_MIN: usize = 256;

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
