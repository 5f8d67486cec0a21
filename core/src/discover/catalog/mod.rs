//! The discovered descriptors, sorted, de-duplicated and indexed.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::sync::OnceLock;

use crate::model::descriptor::{Flags, PluginDescriptor};
use crate::model::names::{name_hash, same_str};
pub use error::{CatalogError, Duplicate};
use sort::{Link, NONE, Sorted, sorted};

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

mod error;
mod sort;

#[cfg(test)]
mod tests;
