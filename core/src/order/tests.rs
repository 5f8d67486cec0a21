use super::*;
use proptest::prelude::*;

fn graph(n: usize, edges: &[(usize, usize, bool)]) -> DepGraph {
    let mut g = DepGraph::new(n);
    for &(dependent, dependency, optional) in edges {
        g.add_edge(dependent, dependency, optional);
    }
    g
}

fn none(n: usize) -> Vec<Option<&'static str>> {
    vec![None; n]
}

fn start(level: usize) -> Status<&'static str> {
    Status::Start { level }
}

fn blocked(chain: &[usize]) -> Status<&'static str> {
    Status::Blocked {
        chain: chain.to_vec(),
    }
}

fn cycle(path: &[usize]) -> Status<&'static str> {
    Status::Cycle {
        path: path.to_vec(),
    }
}

#[test]
fn adjacency_keeps_insertion_order_and_duplicates() {
    let mut g = graph(3, &[(0, 2, false), (0, 1, true), (0, 2, false)]);
    assert_eq!(g.len(), 3);
    assert!(!g.is_empty());
    assert_eq!(g.edge_count(), 3);
    let deps: Vec<_> = g.dependencies(0).collect();
    assert_eq!(deps, [(2, false), (1, true), (2, false)]);
    assert_eq!(
        g.dependents(2).collect::<Vec<_>>(),
        [(0, false), (0, false)]
    );
    assert_eq!(g.dependents(1).collect::<Vec<_>>(), [(0, true)]);
    assert_eq!(g.dependencies(7).count(), 0);
    // Adding after a read must invalidate the cached adjacency.
    g.add_edge(1, 2, true);
    assert_eq!(
        g.dependents(2).collect::<Vec<_>>(),
        [(0, false), (0, false), (1, true)]
    );
    assert!(DepGraph::default().is_empty());
}

#[test]
fn simple_chain() {
    // 3 needs 2 needs 1 needs 0.
    let g = graph(4, &[(1, 0, false), (2, 1, false), (3, 2, false)]);
    let plan = resolve(&g, &none(4));
    assert_eq!(plan.order, [0, 1, 2, 3]);
    assert_eq!(plan.status, [start(0), start(1), start(2), start(3)]);
    assert_eq!(plan.levels, [vec![0], vec![1], vec![2], vec![3]]);

    // Reversed numbering: the order follows the edges, not the indices.
    let g = graph(3, &[(0, 1, false), (1, 2, false)]);
    let plan = resolve(&g, &none(3));
    assert_eq!(plan.order, [2, 1, 0]);
}

#[test]
fn diamond_order_and_levels() {
    // 3 needs 1 and 2, which both need 0; 4 needs 3 optionally.
    let g = graph(
        5,
        &[
            (3, 2, false),
            (3, 1, false),
            (1, 0, false),
            (2, 0, false),
            (4, 3, true),
        ],
    );
    let plan = resolve(&g, &none(5));
    assert_eq!(plan.order, [0, 1, 2, 3, 4]);
    assert_eq!(plan.levels, [vec![0], vec![1, 2], vec![3], vec![4]]);
    assert_eq!(plan.status[3], start(2));
    assert_eq!(plan.status[4], start(3));
}

#[test]
fn ties_are_broken_by_index() {
    let plan = resolve(&DepGraph::new(5), &none(5));
    assert_eq!(plan.order, [0, 1, 2, 3, 4]);
    assert_eq!(plan.levels, [vec![0, 1, 2, 3, 4]]);

    // 0 waits for 4; 1, 2, 3 are ready at once and go first by index.
    let g = graph(5, &[(0, 4, false)]);
    let plan = resolve(&g, &none(5));
    assert_eq!(plan.order, [1, 2, 3, 4, 0]);
    assert_eq!(plan.levels, [vec![1, 2, 3, 4], vec![0]]);
}

#[test]
fn cycle_blocks_only_its_dependents() {
    // a=0 -> b=1 -> c=2 -> a; d=3 needs a; e=4 is independent; f=5 optionally needs b.
    let g = graph(
        6,
        &[
            (0, 1, false),
            (1, 2, true),
            (2, 0, false),
            (3, 0, false),
            (5, 1, true),
        ],
    );
    let plan = resolve(&g, &none(6));
    assert_eq!(
        plan.status,
        [
            cycle(&[0, 1, 2, 0]),
            cycle(&[1, 2, 0, 1]),
            cycle(&[2, 0, 1, 2]),
            blocked(&[3, 0]),
            start(0),
            start(0),
        ]
    );
    assert_eq!(plan.order, [4, 5]);
    assert_eq!(plan.levels, [vec![4, 5]]);
}

#[test]
fn shortest_cycle_is_reported() {
    // 0 -> 1 -> 2 -> 3 -> 0 and the shortcut 0 -> 3.
    let g = graph(
        4,
        &[
            (0, 1, false),
            (1, 2, false),
            (2, 3, false),
            (3, 0, false),
            (0, 3, false),
        ],
    );
    let plan = resolve(&g, &none(4));
    assert_eq!(plan.status[0], cycle(&[0, 3, 0]));
    assert_eq!(plan.status[1], cycle(&[1, 2, 3, 0, 1]));
    assert_eq!(plan.status[3], cycle(&[3, 0, 3]));
}

#[test]
fn self_edge_is_a_cycle() {
    let g = graph(3, &[(0, 0, true), (1, 0, false), (2, 0, true)]);
    let plan = resolve(&g, &none(3));
    assert_eq!(plan.status, [cycle(&[0, 0]), blocked(&[1, 0]), start(0)]);
    assert_eq!(plan.order, [2]);
}

#[test]
fn initial_failure_blocks_required_dependents_only() {
    // 0 failed; 1 needs 0; 2 needs 1; 3 optionally needs 0; 4 needs 3;
    // 5 <-> 6 is a cycle through the failed 6, so it is no cycle at all.
    let g = graph(
        7,
        &[
            (1, 0, false),
            (2, 1, false),
            (3, 0, true),
            (4, 3, false),
            (5, 6, false),
            (6, 5, false),
        ],
    );
    let initial = [
        Some("bad config"),
        None,
        None,
        None,
        None,
        None,
        Some("disabled"),
    ];
    let plan = resolve(&g, &initial);
    assert_eq!(
        plan.status,
        [
            Status::Failed("bad config"),
            blocked(&[1, 0]),
            blocked(&[2, 1, 0]),
            start(0),
            start(1),
            blocked(&[5, 6]),
            Status::Failed("disabled"),
        ]
    );
    assert_eq!(plan.order, [3, 4]);
    assert_eq!(plan.levels, [vec![3], vec![4]]);
}

#[test]
fn blocked_chain_prefers_the_smallest_failing_dependency() {
    // 4 needs 3 and 2; 3 needs 0 (failed); 2 needs 1 (failed).
    let g = graph(
        5,
        &[(4, 3, false), (4, 2, false), (3, 0, false), (2, 1, false)],
    );
    let plan = resolve(&g, &[Some(()), Some(()), None, None, None]);
    assert_eq!(
        plan.status[4],
        Status::Blocked {
            chain: vec![4, 2, 1]
        }
    );
}

#[test]
fn initial_shorter_or_longer_than_the_graph() {
    let g = graph(3, &[(2, 0, false)]);
    let plan = resolve(&g, &[Some("x")]);
    assert_eq!(
        plan.status,
        [Status::Failed("x"), start(0), blocked(&[2, 0])]
    );
    let plan = resolve(&g, &[None, None, None, Some("ignored")]);
    assert_eq!(plan.order, [0, 1, 2]);
    let plan = resolve::<()>(&DepGraph::new(0), &[]);
    assert!(plan.status.is_empty() && plan.order.is_empty() && plan.levels.is_empty());
}

#[test]
fn blocked_by_follows_required_edges() {
    // 3 needs 2 needs 1 needs 0; 4 optionally needs 0; 5 needs 4.
    let g = graph(
        6,
        &[
            (1, 0, false),
            (2, 1, false),
            (3, 2, false),
            (4, 0, true),
            (5, 4, false),
        ],
    );
    assert_eq!(
        blocked_by(&g, 0),
        [(1, vec![1, 0]), (2, vec![2, 1, 0]), (3, vec![3, 2, 1, 0])]
    );
    assert_eq!(blocked_by(&g, 2), [(3, vec![3, 2])]);
    assert_eq!(blocked_by(&g, 4), [(5, vec![5, 4])]);
    assert!(blocked_by(&g, 3).is_empty());
    assert!(blocked_by(&g, 99).is_empty());

    // Smallest affected dependency first, even when it is not the shortest way.
    let g = graph(
        5,
        &[
            (4, 1, false),
            (4, 3, false),
            (3, 0, false),
            (1, 2, false),
            (2, 0, false),
        ],
    );
    assert_eq!(blocked_by(&g, 0)[3], (4, vec![4, 1, 2, 0]));
}

#[test]
fn blocked_by_survives_required_cycles() {
    // 2 fails; 0 needs 1 and 2; 1 needs 0: the smallest-index rule would loop 0 <-> 1.
    let g = graph(3, &[(0, 1, false), (0, 2, false), (1, 0, false)]);
    assert_eq!(blocked_by(&g, 2), [(0, vec![0, 2]), (1, vec![1, 0, 2])]);
    // A failed node on a required cycle is not reported as blocked by itself.
    let g = graph(2, &[(0, 1, false), (1, 0, false)]);
    assert_eq!(blocked_by(&g, 0), [(1, vec![1, 0])]);
}

const BIG: usize = 10_000;

#[test]
fn long_chain_does_not_overflow_the_stack() {
    // Node i needs i + 1, so depth-first search from 0 goes 10,000 deep. The extra
    // 2-cycle at the end defeats the optimistic path and forces the SCC search.
    let mut g = DepGraph::with_capacity(BIG + 2, BIG + 1);
    for i in 0..BIG - 1 {
        g.add_edge(i, i + 1, false);
    }
    g.add_edge(BIG, BIG + 1, false);
    g.add_edge(BIG + 1, BIG, false);
    let plan = resolve(&g, &vec![None::<()>; BIG + 2]);
    let expected: Vec<usize> = (0..BIG).rev().collect();
    assert_eq!(plan.order, expected);
    assert_eq!(plan.levels.len(), BIG);
    assert_eq!(plan.status[0], Status::Start { level: BIG - 1 });
    assert_eq!(
        plan.status[BIG],
        Status::Cycle {
            path: vec![BIG, BIG + 1, BIG]
        }
    );

    // Same chain, all nodes starting: the optimistic path alone.
    let mut g = DepGraph::new(BIG);
    for i in 1..BIG {
        g.add_edge(i, i - 1, false);
    }
    let plan = resolve(&g, &vec![None::<()>; BIG]);
    assert_eq!(plan.order, (0..BIG).collect::<Vec<_>>());
    assert_eq!(
        blocked_by(&g, BIG - 3),
        [
            (BIG - 2, vec![BIG - 2, BIG - 3]),
            (BIG - 1, vec![BIG - 1, BIG - 2, BIG - 3])
        ]
    );
}

#[test]
fn long_cycle() {
    // Every node of a ring reports the whole ring, so the output is quadratic:
    // 2,000 nodes keep this test small while still far deeper than any stack.
    const RING: usize = 2_000;
    let mut g = DepGraph::new(RING);
    for i in 0..RING {
        g.add_edge(i, (i + 1) % RING, false);
    }
    let plan = resolve(&g, &vec![None::<()>; RING]);
    assert!(plan.order.is_empty() && plan.levels.is_empty());
    let mut expected: Vec<usize> = (0..RING).collect();
    expected.push(0);
    assert_eq!(plan.status[0], Status::Cycle { path: expected });
    for (v, status) in plan.status.iter().enumerate() {
        let Status::Cycle { path } = status else {
            panic!("{v} is not on the cycle: {status:?}");
        };
        assert_eq!(
            (path.len(), path[0], path[1]),
            (RING + 1, v, (v + 1) % RING)
        );
    }
}

/// A small deterministic generator, to build large graphs without proptest shrinking.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A graph without edges takes a shortcut: the plan must be the one
/// Kahn's algorithm gives, which one edge into a node of its own forces.
#[test]
fn graphs_without_edges_resolve_like_any_other() {
    let n = 200;
    let initial: Vec<Option<&str>> = (0..n).map(|v| (v % 7 == 3).then_some("failed")).collect();
    let shortcut = resolve(&DepGraph::new(n), &initial);
    assert_eq!(shortcut.order.len(), n - (n - 3).div_ceil(7));
    assert_eq!(shortcut.levels, std::slice::from_ref(&shortcut.order));

    // One more node, with an optional edge to a failed one: it forces
    // the general path and orders nothing else.
    let mut g = DepGraph::new(n + 1);
    g.add_edge(n, 3, true);
    let mut with_edge_initial = initial.clone();
    with_edge_initial.push(None);
    let general = resolve(&g, &with_edge_initial);
    assert_eq!(&general.status[..n], &shortcut.status[..]);
    assert_eq!(general.order[..general.order.len() - 1], shortcut.order[..]);
    assert_eq!(
        general.levels[0][..shortcut.order.len()],
        shortcut.order[..]
    );

    let edgeless = DepGraph::new(3);
    assert_eq!(edgeless.dependencies(1).count(), 0);
    assert_eq!(edgeless.dependents(2).count(), 0);
    let none = resolve::<&str>(&DepGraph::new(0), &[]);
    assert!(none.order.is_empty() && none.levels.is_empty() && none.status.is_empty());
    let all_failed = resolve(&DepGraph::new(2), &[Some("x"), Some("y")]);
    assert!(all_failed.order.is_empty() && all_failed.levels.is_empty());
}

#[test]
fn large_graph_order_matches_a_binary_heap_kahn() {
    // Large enough for a three-tier ready set; checked against the textbook algorithm.
    let n = 5_000;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut g = DepGraph::new(n);
    for _ in 0..25_000 {
        let (a, b) = (rng.below(n), rng.below(n));
        if a != b {
            g.add_edge(a.max(b), a.min(b), rng.below(4) == 0);
        }
    }
    for _ in 0..3 {
        let (a, b) = (rng.below(n), rng.below(n));
        g.add_edge(a.min(b), a.max(b), false);
    }
    let mut initial = vec![None; n];
    for _ in 0..5 {
        initial[rng.below(n)] = Some(());
    }
    for initial in [vec![None; n], initial] {
        let plan = resolve(&g, &initial);
        let starts = |v: usize| plan.status[v].is_start();
        let mut indegree: Vec<usize> = (0..n)
            .map(|v| g.dependencies(v).filter(|&(w, _)| starts(w)).count())
            .collect();
        let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
            .filter(|&v| starts(v) && indegree[v] == 0)
            .map(std::cmp::Reverse)
            .collect();
        let mut expected = Vec::new();
        while let Some(std::cmp::Reverse(u)) = heap.pop() {
            expected.push(u);
            for (v, _) in g.dependents(u) {
                if starts(v) {
                    indegree[v] -= 1;
                    if indegree[v] == 0 {
                        heap.push(std::cmp::Reverse(v));
                    }
                }
            }
        }
        assert_eq!(plan.order, expected);
        assert!(
            plan.order.len() > n / 2,
            "too few nodes start to be a useful check"
        );
    }
}

// ---- property tests against a naive oracle ----

type Edge = (usize, usize, bool);

/// Random graphs biased towards acyclic ones (edges mostly point to smaller indices) so
/// that every status shows up often.
fn arb_case() -> impl Strategy<Value = (usize, Vec<Edge>, Vec<Option<u8>>)> {
    (1usize..40).prop_flat_map(|n| {
        let edge = (0..n, 0..n, any::<bool>(), prop::bool::weighted(0.06)).prop_map(
            |(a, b, optional, backwards)| {
                if backwards {
                    Some((a, b, optional))
                } else if a == b {
                    None
                } else {
                    Some((a.max(b), a.min(b), optional))
                }
            },
        );
        let edges = prop::collection::vec(edge, 0..n * 3)
            .prop_map(|edges| edges.into_iter().flatten().collect::<Vec<_>>());
        let failure = prop::bool::weighted(0.1).prop_flat_map(|fails| {
            if fails {
                any::<u8>().prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            }
        });
        (Just(n), edges, prop::collection::vec(failure, n))
    })
}

/// Breadth-first distances from `from` along dependency edges allowed by `keep`.
fn distances(
    n: usize,
    edges: &[Edge],
    from: usize,
    keep: impl Fn(&Edge) -> bool,
) -> Vec<Option<usize>> {
    let mut dist = vec![None; n];
    dist[from] = Some(0);
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(u) = queue.pop_front() {
        for e in edges.iter().filter(|e| e.0 == u && keep(e)) {
            if dist[e.1].is_none() {
                dist[e.1] = dist[u].map(|d| d + 1);
                queue.push_back(e.1);
            }
        }
    }
    dist
}

/// Length (in edges) of the shortest cycle through `v` using edges allowed by `keep`.
fn shortest_cycle_len(
    n: usize,
    edges: &[Edge],
    v: usize,
    keep: impl Fn(&Edge) -> bool + Copy,
) -> Option<usize> {
    let dist = distances(n, edges, v, keep);
    edges
        .iter()
        .filter(|e| e.1 == v && keep(e))
        .filter_map(|e| dist[e.0].map(|d| d + 1))
        .min()
}

fn check_resolve(n: usize, edges: &[Edge], initial: &[Option<u8>]) -> Result<(), TestCaseError> {
    let g = graph(n, edges);
    let plan = resolve(&g, initial);
    prop_assert_eq!(plan.status.len(), n);
    for v in 0..n {
        let mut deps: Vec<Edge> = edges.iter().filter(|e| e.0 == v).copied().collect();
        prop_assert_eq!(
            g.dependencies(v).collect::<Vec<_>>(),
            deps.iter().map(|e| (e.1, e.2)).collect::<Vec<_>>()
        );
        deps = edges.iter().filter(|e| e.1 == v).copied().collect();
        prop_assert_eq!(
            g.dependents(v).collect::<Vec<_>>(),
            deps.iter().map(|e| (e.0, e.2)).collect::<Vec<_>>()
        );
    }

    // Oracle: cycles by plain reachability among the nodes that did not fail.
    let alive = |v: usize| initial[v].is_none();
    let keep = |e: &Edge| alive(e.0) && alive(e.1);
    let cycle_len: Vec<Option<usize>> = (0..n)
        .map(|v| {
            if alive(v) {
                shortest_cycle_len(n, edges, v, keep)
            } else {
                None
            }
        })
        .collect();
    // Oracle: blocking by fixpoint (non-cyclic nodes form a DAG, so it is unique).
    let mut starts: Vec<bool> = (0..n).map(|v| alive(v) && cycle_len[v].is_none()).collect();
    loop {
        let stuck: Vec<usize> = (0..n)
            .filter(|&v| starts[v] && edges.iter().any(|e| e.0 == v && !e.2 && !starts[e.1]))
            .collect();
        if stuck.is_empty() {
            break;
        }
        for v in stuck {
            starts[v] = false;
        }
    }

    let level = |v: usize| plan.status[v].level();
    for v in 0..n {
        match &plan.status[v] {
            Status::Failed(reason) => prop_assert_eq!(Some(reason), initial[v].as_ref()),
            Status::Cycle { path } => {
                prop_assert!(alive(v));
                let len = cycle_len[v];
                prop_assert_eq!(
                    Some(path.len() - 1),
                    len,
                    "not a shortest cycle: {:?}",
                    path
                );
                prop_assert_eq!((path[0], path[path.len() - 1]), (v, v));
                for pair in path.windows(2) {
                    prop_assert!(alive(pair[0]) && alive(pair[1]));
                    prop_assert!(edges.iter().any(|e| (e.0, e.1) == (pair[0], pair[1])));
                }
            }
            Status::Blocked { chain } => {
                prop_assert!(alive(v) && cycle_len[v].is_none() && !starts[v]);
                prop_assert_eq!(chain[0], v);
                prop_assert!(chain.len() >= 2);
                for pair in chain.windows(2) {
                    let smallest = edges
                        .iter()
                        .filter(|e| e.0 == pair[0] && !e.2 && !starts[e.1])
                        .map(|e| e.1)
                        .min();
                    prop_assert_eq!(Some(pair[1]), smallest);
                }
                for &w in &chain[1..chain.len() - 1] {
                    prop_assert!(
                        matches!(plan.status[w], Status::Blocked { .. }),
                        "{} is not blocked",
                        w
                    );
                }
                let root = &plan.status[chain[chain.len() - 1]];
                prop_assert!(
                    matches!(root, Status::Failed(_) | Status::Cycle { .. }),
                    "chain root {:?}",
                    root
                );
            }
            Status::Start { level: l } => {
                prop_assert!(starts[v]);
                let expected = edges
                    .iter()
                    .filter(|e| e.0 == v)
                    .filter_map(|e| level(e.1))
                    .map(|dl| dl + 1)
                    .max()
                    .unwrap_or(0);
                prop_assert_eq!(*l, expected);
            }
        }
        prop_assert_eq!(
            cycle_len[v].is_some(),
            matches!(plan.status[v], Status::Cycle { .. })
        );
        prop_assert_eq!(starts[v], plan.status[v].is_start());
    }

    // The order is exactly the Kahn order with smallest-index-first, re-simulated.
    let mut sorted = plan.order.clone();
    sorted.sort_unstable();
    let started: Vec<usize> = (0..n).filter(|&v| starts[v]).collect();
    prop_assert_eq!(&sorted, &started);
    let mut placed = vec![false; n];
    for &v in &plan.order {
        let ready = |u: usize| {
            starts[u]
                && !placed[u]
                && edges
                    .iter()
                    .all(|e| e.0 != u || !starts[e.1] || placed[e.1])
        };
        prop_assert!(ready(v), "{} placed before its dependencies", v);
        prop_assert_eq!((0..n).find(|&u| ready(u)), Some(v));
        placed[v] = true;
    }

    let max_level = started.iter().filter_map(|&v| level(v)).max();
    prop_assert_eq!(plan.levels.len(), max_level.map_or(0, |m| m + 1));
    for (k, group) in plan.levels.iter().enumerate() {
        let expected: Vec<usize> = started
            .iter()
            .copied()
            .filter(|&v| level(v) == Some(k))
            .collect();
        prop_assert_eq!(group, &expected);
    }
    Ok(())
}

fn check_blocked_by(n: usize, edges: &[Edge], failed: usize) -> Result<(), TestCaseError> {
    let g = graph(n, edges);
    let result = blocked_by(&g, failed);
    // Oracle: v is affected iff it reaches `failed` through required edges.
    let required = |e: &Edge| !e.2;
    let reaches: Vec<Option<usize>> = (0..n)
        .map(|v| distances(n, edges, v, required)[failed])
        .collect();
    let affected: Vec<usize> = (0..n)
        .filter(|&v| v != failed && reaches[v].is_some())
        .collect();
    prop_assert_eq!(
        result.iter().map(|r| r.0).collect::<Vec<_>>(),
        affected.clone()
    );

    let failing = |v: usize| v == failed || reaches[v].is_some();
    let literal = |v: usize| {
        edges
            .iter()
            .filter(|e| e.0 == v && !e.2 && failing(e.1))
            .map(|e| e.1)
            .min()
    };
    let shortest = |v: usize| {
        edges
            .iter()
            .filter(|e| e.0 == v && !e.2 && reaches[e.1].map(|d| d + 1) == reaches[v])
            .map(|e| e.1)
            .min()
    };
    let literal_loops = affected.iter().any(|&v| {
        let mut at = v;
        for _ in 0..=n {
            if at == failed {
                return false;
            }
            at = literal(at).unwrap_or(failed);
        }
        true
    });
    for (v, chain) in &result {
        prop_assert_eq!(chain[0], *v);
        prop_assert_eq!(chain[chain.len() - 1], failed);
        for pair in chain.windows(2) {
            let step = if literal_loops {
                shortest(pair[0])
            } else {
                literal(pair[0])
            };
            prop_assert_eq!(Some(pair[1]), step);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resolve_matches_oracle((n, edges, initial) in arb_case()) {
        check_resolve(n, &edges, &initial)?;
    }

    #[test]
    fn blocked_by_matches_oracle((n, edges, _initial) in arb_case(), pick in any::<prop::sample::Index>()) {
        check_blocked_by(n, &edges, pick.index(n))?;
    }
}
