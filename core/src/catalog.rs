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
#[derive(Debug, Clone)]
pub struct Catalog {
    descriptors: Vec<&'static PluginDescriptor>,
    ids: Vec<String>,
    index: HashMap<(&'static str, &'static str), usize>,
}

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
}

fn join(d: &[Duplicate]) -> String {
    d.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
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
        let mut descriptors: Vec<&'static PluginDescriptor> = descriptors.into_iter().collect();
        descriptors.sort_by(|a, b| {
            (a.kind(), a.name(), a.file(), a.line()).cmp(&(b.kind(), b.name(), b.file(), b.line()))
        });
        descriptors.dedup_by(|a, b| std::ptr::eq(*a, *b));

        let mut duplicates = Vec::new();
        let mut kinds: HashMap<&'static str, &'static PluginDescriptor> = HashMap::new();
        let mut index = HashMap::with_capacity(descriptors.len());
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
            match kinds.get(d.kind()) {
                Some(other) if other.kind_type_id() != d.kind_type_id() => {
                    return Err(CatalogError::KindCollision {
                        kind: d.kind().to_owned(),
                        first: format!("{} at {}", other.id(), other.source()),
                        second: format!("{} at {}", d.id(), d.source()),
                    });
                }
                Some(_) => {}
                None => {
                    kinds.insert(d.kind(), d);
                }
            }
            i = j;
        }
        if !duplicates.is_empty() {
            return Err(CatalogError::Duplicates(duplicates));
        }
        for (i, d) in descriptors.iter().enumerate() {
            index.insert((d.kind(), d.name()), i);
        }
        let ids = descriptors.iter().map(|d| d.id()).collect();
        Ok(Catalog {
            descriptors,
            ids,
            index,
        })
    }

    /// The descriptors, sorted by (kind, name).
    pub fn descriptors(&self) -> &[&'static PluginDescriptor] {
        &self.descriptors
    }

    /// The ids, in the same order.
    pub fn ids(&self) -> &[String] {
        &self.ids
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
    pub fn find(&self, kind: &str, name: &str) -> Option<usize> {
        self.index.get(&(kind, name)).copied()
    }

    /// The index of a plugin given by id (`kind.name`).
    pub fn find_id(&self, id: &str) -> Option<usize> {
        let (kind, name) = id.split_once('.')?;
        self.find(kind, name)
    }

    /// Indices of every plugin named `name`, in any kind.
    pub fn find_name<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.descriptors
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.name() == name)
            .map(|(i, _)| i)
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
