//! Why a catalog cannot be made: the same plugin registered twice, or two
//! kind traits with one name.

use std::fmt;

use serde::Serialize;

use crate::model::descriptor::PluginDescriptor;

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
    pub(super) fn of(registrations: &[&PluginDescriptor]) -> Duplicate {
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
