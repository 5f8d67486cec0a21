//! Turning `depends_on` entries into edges between catalog entries.

use semver::{Version, VersionReq};

use super::graph::DepGraph;
use crate::discover::catalog::Catalog;
use crate::model::descriptor::Dependency;
use crate::model::state::Failure;
use crate::validate::initial::Initial;

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
