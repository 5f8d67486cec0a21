//! Turning `depends_on` entries into edges between catalog entries.

use semver::{Version, VersionReq};

use crate::catalog::Catalog;
use crate::descriptor::Dependency;
use crate::order::DepGraph;
use crate::state::Failure;

/// What one `depends_on` entry resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The catalog index it names.
    Found(usize),
    /// Nothing matches.
    Missing,
    /// A bare name that matches several kinds.
    Ambiguous(Vec<usize>),
}

/// Finds the plugin a dependency entry names.
pub(crate) fn find(catalog: &Catalog, dep: &Dependency) -> Resolved {
    match dep.kind {
        Some(kind) => catalog
            .find(kind, dep.name)
            .map_or(Resolved::Missing, Resolved::Found),
        None => {
            let found: Vec<usize> = catalog.find_name(dep.name).collect();
            match found.as_slice() {
                [] => Resolved::Missing,
                [one] => Resolved::Found(*one),
                _ => Resolved::Ambiguous(found),
            }
        }
    }
}

/// The failures decided before ordering (invalid descriptor, disabled,
/// config, dependency), at most one per plugin, kept apart from the plugins
/// that have none: nearly all of them.
#[derive(Debug)]
pub(crate) struct Initial {
    n: usize,
    /// Per plugin, the index of its failure in `failures`; empty until the
    /// first failure.
    index: Vec<Option<u32>>,
    pub(crate) failures: Vec<Failure>,
}

impl Initial {
    /// No failure yet among `n` plugins.
    pub(crate) fn new(n: usize) -> Self {
        Initial {
            n,
            index: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Per plugin, the index of its failure in `failures`, as
    /// [`order::resolve`](crate::order::resolve) reads it (where entries
    /// missing count as no failure: none at all when nothing failed).
    pub(crate) fn index(&self) -> &[Option<u32>] {
        &self.index
    }

    /// Records `failure` for plugin `i` unless it already has one.
    pub(crate) fn first(&mut self, i: usize, failure: Failure) {
        if self.index.get(i).is_none_or(Option::is_none) {
            self.set(i, failure);
        }
    }

    /// Records `failure` for plugin `i`, replacing any it had.
    pub(crate) fn set(&mut self, i: usize, failure: Failure) {
        assert!(i < self.n, "plugin {i} of {}", self.n);
        if self.index.is_empty() {
            self.index = vec![None; self.n];
        }
        match self.index[i] {
            Some(k) => self.failures[k as usize] = failure,
            None => {
                // Fits: a catalog holds at most `u32::MAX` plugins.
                self.index[i] = Some(self.failures.len() as u32);
                self.failures.push(failure);
            }
        }
    }
}

/// Builds the dependency graph, recording in `initial` the plugins whose
/// required dependencies are missing, ambiguous or of the wrong version, and
/// in `notes` the optional dependencies that are absent (by plugin, in
/// plugin order).
pub(crate) fn dependency_graph(
    catalog: &Catalog,
    initial: &mut Initial,
    notes: &mut Vec<(usize, String)>,
) -> DepGraph {
    let mut graph = DepGraph::new(catalog.len());
    if !catalog.summary().has_dependencies {
        return graph;
    }
    for (i, d) in catalog.descriptors().iter().enumerate() {
        for dep in d.dependencies() {
            let failure = match find(catalog, dep) {
                Resolved::Found(j) => {
                    graph.add_edge(i, j, dep.optional);
                    version_mismatch(catalog, dep, j)
                }
                Resolved::Missing if dep.optional => {
                    notes.push((
                        i,
                        format!("optional dependency `{}` is not compiled in", dep.target()),
                    ));
                    None
                }
                Resolved::Missing => Some(Failure::MissingDependency {
                    dependency: dep.spec(),
                }),
                Resolved::Ambiguous(candidates) => Some(Failure::AmbiguousDependency {
                    dependency: dep.spec(),
                    candidates: candidates
                        .iter()
                        .map(|&c| catalog.id(c).to_owned())
                        .collect(),
                }),
            };
            if let Some(f) = failure {
                if dep.optional {
                    notes.push((i, f.to_string()));
                } else {
                    initial.first(i, f);
                }
            }
        }
    }
    graph
}

fn version_mismatch(catalog: &Catalog, dep: &Dependency, target: usize) -> Option<Failure> {
    if dep.requirement.is_empty() {
        return None;
    }
    let found = catalog.descriptors()[target];
    let ok = match (
        VersionReq::parse(dep.requirement),
        Version::parse(found.version()),
    ) {
        (Ok(req), Ok(v)) => req.matches(&v),
        _ => false,
    };
    (!ok).then(|| Failure::DependencyVersion {
        dependency: dep.spec(),
        found: catalog.id(target).to_owned(),
        version: found.version().to_owned(),
    })
}
