//! SPEC P4: dependency resolution and config validation, each beside its
//! baseline.
//!
//! * `p4a_resolve`: `pegboard::order::resolve` of a random acyclic graph of
//!   10,000 nodes and 50,000 distinct edges (fixed seed; every edge goes from
//!   a higher to a lower index, so there is no cycle and petgraph's
//!   `toposort` succeeds) against `petgraph::algo::toposort` on the same
//!   edges, inserted in the same order.
//!   - `pegboard` / `petgraph`: the graph is built before the clock starts.
//!     Each iteration gets a fresh copy of a graph that was never resolved,
//!     so pegboard's `resolve` pays for the adjacency index `DepGraph` builds
//!     lazily on first use (petgraph's graph keeps its adjacency up to date
//!     while edges are added, so the copy it gets already has it).
//!   - `pegboard_with_build` / `petgraph_with_build`: building the graph from
//!     the edge list is measured too.
//! * `p4b_config_validation`: `ConfigValidator::validate` of a document with
//!   1,000 plugin sections (1,000 plugins of config type `ServiceConfig`,
//!   whose schema, `schemars::schema_for!(ServiceConfig)`, is compiled before
//!   the clock starts, once, as the plugins share it) against plain
//!   `serde` deserialization of the same 1,000 sections into `ServiceConfig`
//!   (from the document's JSON form, borrowed, so no copy is measured).

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pegboard::config::{ConfigValidator, Document, PluginSchema};
use pegboard::order::{DepGraph, resolve};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Deserialize;

#[path = "../shared/p4b_config.rs"]
mod p4b_config;
use p4b_config::{KIND, SECTIONS, ServiceConfig, config_document, section_name};

const NODES: usize = 10_000;
const EDGES: usize = 50_000;

/// A small deterministic generator (xorshift64).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `EDGES` distinct `(dependent, dependency)` pairs with `dependent >
/// dependency`, in random order.
fn random_dag() -> Vec<(usize, usize)> {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut seen = HashSet::with_capacity(EDGES);
    let mut edges = Vec::with_capacity(EDGES);
    while edges.len() < EDGES {
        let (a, b) = (rng.below(NODES), rng.below(NODES));
        if a != b && seen.insert((a.max(b), a.min(b))) {
            edges.push((a.max(b), a.min(b)));
        }
    }
    edges
}

fn pegboard_graph(edges: &[(usize, usize)]) -> DepGraph {
    let mut graph = DepGraph::with_capacity(NODES, edges.len());
    for &(dependent, dependency) in edges {
        graph.add_edge(dependent, dependency, false);
    }
    graph
}

/// Edges point from the dependency to the dependent, so that a topological
/// order is a start order, like pegboard's.
fn petgraph_graph(edges: &[(usize, usize)]) -> DiGraph<(), ()> {
    let mut graph = DiGraph::with_capacity(NODES, edges.len());
    for _ in 0..NODES {
        graph.add_node(());
    }
    for &(dependent, dependency) in edges {
        graph.add_edge(NodeIndex::new(dependency), NodeIndex::new(dependent), ());
    }
    graph
}

/// Whether `order` holds every node once, each after its dependencies.
fn is_start_order(order: &[usize], edges: &[(usize, usize)]) -> bool {
    let mut position = vec![usize::MAX; NODES];
    for (i, &v) in order.iter().enumerate() {
        position[v] = i;
    }
    order.len() == NODES
        && !position.contains(&usize::MAX)
        && edges.iter().all(|&(a, b)| position[b] < position[a])
}

fn p4a_resolve(c: &mut Criterion) {
    let edges = random_dag();
    let initial = vec![None::<()>; NODES];
    let graph = pegboard_graph(&edges);
    let petgraph = petgraph_graph(&edges);

    // Both answer the same question on the same graph.
    let plan = resolve(&graph.clone(), &initial);
    assert!(plan.status.iter().all(|s| s.is_start()));
    assert!(is_start_order(&plan.order, &edges));
    let sorted = petgraph::algo::toposort(&petgraph, None).expect("the graph is acyclic");
    let sorted: Vec<usize> = sorted.into_iter().map(NodeIndex::index).collect();
    assert!(is_start_order(&sorted, &edges));

    let mut group = c.benchmark_group("p4a_resolve");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("pegboard", |b| {
        b.iter_batched_ref(
            || graph.clone(),
            |graph| resolve(graph, &initial),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("petgraph", |b| {
        b.iter_batched_ref(
            || petgraph.clone(),
            |graph| petgraph::algo::toposort(&*graph, None),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("pegboard_with_build", |b| {
        b.iter(|| resolve(&pegboard_graph(black_box(&edges)), &initial))
    });
    group.bench_function("petgraph_with_build", |b| {
        b.iter(|| petgraph::algo::toposort(&petgraph_graph(black_box(&edges)), None))
    });
    group.finish();
}

fn p4b_config_validation(c: &mut Criterion) {
    let schema = Arc::new(schemars::schema_for!(ServiceConfig).to_value());
    let defaults = serde_json::to_value(ServiceConfig::default()).expect("defaults serialize");
    let validator = ConfigValidator::new((0..SECTIONS).map(|i| {
        PluginSchema::new(
            KIND,
            section_name(i),
            Some(Arc::clone(&schema)),
            defaults.clone(),
        )
    }));
    let doc = Document::from_toml_str(&config_document()).expect("the document parses");
    let json = doc.to_json();
    let sections: Vec<&serde_json::Value> = json["plugins"][KIND]
        .as_object()
        .expect("the service sections")
        .values()
        .collect();
    assert_eq!(sections.len(), SECTIONS);

    let deserialize = |sections: &[&serde_json::Value]| {
        sections
            .iter()
            .map(|&section| ServiceConfig::deserialize(section))
            .collect::<Result<Vec<_>, _>>()
    };

    // Both accept every section and agree on the result.
    let validated = validator.validate(&doc);
    assert!(validated.is_ok(), "{:?}", validated.errors().next());
    assert_eq!(validated.plugins.len(), SECTIONS);
    let parsed = deserialize(&sections).expect("every section deserializes");
    for (plugin, parsed) in validated.plugins.iter().zip(&parsed) {
        let effective = plugin.value.clone().expect("valid");
        let effective: ServiceConfig = serde_json::from_value(effective).expect("deserializes");
        assert_eq!(&effective, parsed, "{}", plugin.id());
    }
    // Out-of-range values are errors (serde only checks what the types check).
    let bad = Document::from_toml_str(&format!(
        "[plugins.{KIND}.s0000]\nport = 70000\n[plugins.{KIND}.s0001]\nretry = {{ max_attempts = 11 }}\n"
    ))
    .expect("parses");
    assert_eq!(validator.validate(&bad).errors().count(), 2);

    let mut group = c.benchmark_group("p4b_config_validation");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("pegboard", |b| {
        b.iter(|| validator.validate(black_box(&doc)))
    });
    group.bench_function("serde", |b| b.iter(|| deserialize(black_box(&sections))));
    group.finish();
}

criterion_group!(benches, p4a_resolve, p4b_config_validation);
criterion_main!(benches);
