//! Stage 3's entry: `depends_on` entries become edges between catalog
//! entries, the graph is ordered, and each plugin that does not start is
//! given the reason why.

use semver::{Version, VersionReq};

use crate::catalog::Catalog;
use crate::descriptor::Dependency;
use crate::model::telemetry;
use crate::order::{self, DepGraph, Status as Planned};
use crate::state::Failure;
use crate::validate::initial::Initial;

/// What ordering gives the registry.
#[derive(Debug)]
pub(crate) struct Ordered {
    /// The dependency graph.
    pub(crate) graph: DepGraph,
    /// The plugins that start, in start order.
    pub(crate) order: Vec<usize>,
    /// Per plugin, its start level, or [`order::NOT_STARTED`].
    pub(crate) level: Vec<u32>,
    /// Notes on plugins (absent optional dependencies), by index, sorted.
    pub(crate) notes: Vec<(usize, String)>,
    /// The plugins that do not start, by index, with their first failure.
    pub(crate) failures: Vec<(usize, Failure)>,
}

/// Orders `catalog`'s plugins by their dependencies, given the failures
/// validation found (`initial`): a plugin that failed, is on a cycle or
/// depends on one that does not start does not start, and says why. Each
/// failure other than disabled and blocked is logged as a
/// `plugin.registry.validation_error` event.
pub(crate) fn order(catalog: &Catalog, mut initial: Initial) -> Ordered {
    let mut notes = Vec::new();
    let graph = dependency_graph(catalog, &mut initial, &mut notes);
    let plan = order::resolve_compact(&graph, initial.index());

    // Why each plugin that does not start does not: its first failure.
    let status_of = |v: usize| {
        plan.not_started
            .binary_search_by_key(&v, |(u, _)| *u)
            .ok()
            .map(|k| &plan.not_started[k].1)
    };
    let mut failures = Vec::with_capacity(plan.not_started.len());
    for (i, status) in &plan.not_started {
        let i = *i;
        let failure = match status {
            Planned::Start { .. } => continue,
            Planned::Failed(k) => initial.failures[*k as usize].clone(),
            Planned::Cycle { path } => Failure::Cycle {
                path: path.iter().map(|&c| catalog.id(c).to_owned()).collect(),
            },
            Planned::Blocked { chain } => {
                let root = chain.last().copied().unwrap_or(0);
                let cause = match status_of(root) {
                    Some(Planned::Failed(k)) => {
                        format!("{} {}", catalog.id(root), initial.failures[*k as usize])
                    }
                    Some(Planned::Cycle { .. }) => {
                        format!("{} is on a dependency cycle", catalog.id(root))
                    }
                    _ => format!("{} is not available", catalog.id(root)),
                };
                Failure::Blocked {
                    chain: chain.iter().map(|&c| catalog.id(c).to_owned()).collect(),
                    cause,
                }
            }
        };
        match &failure {
            Failure::Disabled | Failure::Blocked { .. } => {}
            f => telemetry::validation_error(Some(catalog.id(i)), f.kind(), &f.to_string()),
        }
        failures.push((i, failure));
    }
    Ordered {
        graph,
        order: plan.order,
        level: plan.level,
        notes,
        failures,
    }
}

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
fn dependency_graph(
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
