//! Topology generators: `[topology] generator = { kind = …, nodes = N, … }`
//! expands to a [`Topology`] of nodes `node_0 … node_{N−1}` (and, for the
//! geometric graph, each node's position in the unit square). Every
//! generator is deterministic in its `seed`; `dfaas scenario expand` prints
//! the explicit adjacency a generator stands for.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::Topology;

/// The most nodes a generated topology may have.
pub const MAX_NODES: usize = 10_000;

/// The most links per node `k` and `m` may ask for, and the most links a
/// generated graph may have (a `radius` covering the square would link all
/// pairs).
pub const MAX_DEGREE: usize = 64;
pub const MAX_EDGES: usize = 200_000;

/// A generated graph family and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum GeneratorSpec {
    /// Random geometric graph: nodes uniform in the unit square, each linked
    /// to its `k` nearest nodes (symmetrised), or to every node within `radius`.
    /// With `join = true`, components are linked by their closest pairs (the
    /// smallest component first) until the graph is connected; otherwise a
    /// disconnected result is an error.
    Geometric {
        nodes: usize,
        k: Option<usize>,
        radius: Option<f64>,
        seed: u64,
        #[serde(default)]
        join: bool,
    },
    /// Barabási–Albert preferential attachment: each new node links to `m`
    /// distinct earlier nodes chosen with probability proportional to degree.
    BarabasiAlbert { nodes: usize, m: usize, seed: u64 },
    /// A `rows × cols` grid (4-neighbour); `torus = true` wraps both sides.
    Grid {
        rows: usize,
        cols: usize,
        #[serde(default)]
        torus: bool,
    },
    /// A cycle of `nodes` nodes.
    Ring { nodes: usize },
    /// Node 0 linked to every other node.
    Star { nodes: usize },
}

/// A bad generator parameter: the field under `topology.generator`, its
/// value, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorError {
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

fn bad(field: &'static str, value: impl ToString, reason: impl Into<String>) -> GeneratorError {
    GeneratorError { field, value: value.to_string(), reason: reason.into() }
}

/// A generated topology and, for geometric graphs, node positions.
#[derive(Debug, Clone)]
pub struct Generated {
    pub topology: Topology,
    /// Each node's `(x, y)` in the unit square (geometric graphs only).
    pub positions: Option<Vec<(f64, f64)>>,
}

impl GeneratorSpec {
    /// Number of nodes the generator makes.
    pub fn nodes(&self) -> usize {
        match *self {
            GeneratorSpec::Geometric { nodes, .. }
            | GeneratorSpec::BarabasiAlbert { nodes, .. }
            | GeneratorSpec::Ring { nodes }
            | GeneratorSpec::Star { nodes } => nodes,
            GeneratorSpec::Grid { rows, cols, .. } => rows.saturating_mul(cols),
        }
    }

    /// Builds the graph; refuses impossible parameters and disconnected results.
    pub fn generate(&self) -> Result<Generated, GeneratorError> {
        let n = self.nodes();
        if n < 2 {
            return Err(bad("nodes", n, "a federation needs at least 2 nodes"));
        }
        if n > MAX_NODES {
            return Err(bad("nodes", n, format!("at most {MAX_NODES} nodes are supported")));
        }
        let (edges, positions) = match *self {
            GeneratorSpec::Geometric { nodes, k, radius, seed, join } => {
                let pos = positions(nodes, seed);
                let mut edges = match (k, radius) {
                    (Some(k), None) => nearest(&pos, k)?,
                    (None, Some(r)) => within(&pos, r)?,
                    _ => return Err(bad("k", format!("{k:?}"), "give exactly one of `k` and `radius`")),
                };
                if join {
                    join_components(&pos, &mut edges);
                }
                (edges, Some(pos))
            }
            GeneratorSpec::BarabasiAlbert { nodes, m, seed } => (barabasi_albert(nodes, m, seed)?, None),
            GeneratorSpec::Grid { rows, cols, torus } => (grid(rows, cols, torus)?, None),
            GeneratorSpec::Ring { nodes } => ((0..nodes).map(|i| (i, (i + 1) % nodes)).collect(), None),
            GeneratorSpec::Star { nodes } => ((1..nodes).map(|i| (0, i)).collect(), None),
        };
        let names = (0..n).map(|i| format!("node_{i}")).collect();
        let topology = Topology::from_edges(names, &edges).map_err(|e| bad("kind", "", e.to_string()))?;
        let parts = components(&topology);
        if parts > 1 {
            return Err(bad(
                "seed",
                self.seed().map_or_else(|| "-".into(), |s| s.to_string()),
                format!(
                    "the generated graph is disconnected ({parts} components): raise `k` or `radius`, or set `join = true`"
                ),
            ));
        }
        Ok(Generated { topology, positions })
    }

    fn seed(&self) -> Option<u64> {
        match *self {
            GeneratorSpec::Geometric { seed, .. } | GeneratorSpec::BarabasiAlbert { seed, .. } => Some(seed),
            _ => None,
        }
    }
}

fn positions(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = crate::seeds::substream(seed, 0x7090);
    (0..n).map(|_| (rng.random::<f64>(), rng.random::<f64>())).collect()
}

fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

/// Each node to its `k` nearest others, nearest first (ties by index).
fn nearest(pos: &[(f64, f64)], k: usize) -> Result<Vec<(usize, usize)>, GeneratorError> {
    let n = pos.len();
    if k == 0 || k >= n || k > MAX_DEGREE {
        return Err(bad(
            "k",
            k,
            format!("must be between 1 and min(nodes − 1, {MAX_DEGREE}) = {}", (n - 1).min(MAX_DEGREE)),
        ));
    }
    let mut edges = Vec::with_capacity(n * k);
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for i in 0..n {
        order.clear();
        order.extend((0..n).filter(|&j| j != i));
        let by_dist = |a: &usize, b: &usize| dist2(pos[i], pos[*a]).total_cmp(&dist2(pos[i], pos[*b])).then(a.cmp(b));
        order.select_nth_unstable_by(k - 1, by_dist);
        order[..k].sort_by(by_dist);
        edges.extend(order[..k].iter().map(|&j| (i, j)));
    }
    Ok(edges)
}

/// Every pair within `r` of each other.
fn within(pos: &[(f64, f64)], r: f64) -> Result<Vec<(usize, usize)>, GeneratorError> {
    if !(r.is_finite() && r > 0.0) {
        return Err(bad("radius", r, "must be a positive distance in the unit square"));
    }
    let n = pos.len();
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if dist2(pos[i], pos[j]) <= r * r {
                if edges.len() == MAX_EDGES {
                    return Err(bad(
                        "radius",
                        r,
                        format!("links more than {MAX_EDGES} pairs: choose a smaller radius"),
                    ));
                }
                edges.push((i, j));
            }
        }
    }
    Ok(edges)
}

fn barabasi_albert(n: usize, m: usize, seed: u64) -> Result<Vec<(usize, usize)>, GeneratorError> {
    if m == 0 || m >= n || m > MAX_DEGREE {
        return Err(bad(
            "m",
            m,
            format!("must be between 1 and min(nodes − 1, {MAX_DEGREE}) = {}", (n - 1).min(MAX_DEGREE)),
        ));
    }
    let mut rng = crate::seeds::substream(seed, 0xBA);
    // The first m + 1 nodes form a star around node 0; then every endpoint
    // of every edge is one ticket, so a draw is proportional to degree.
    let mut edges: Vec<(usize, usize)> = (1..=m).map(|i| (0, i)).collect();
    let mut tickets: Vec<usize> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
    for v in m + 1..n {
        let mut chosen: Vec<usize> = Vec::with_capacity(m);
        while chosen.len() < m {
            let t = tickets[rng.random_range(0..tickets.len())];
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for &u in &chosen {
            edges.push((v, u));
            tickets.extend([v, u]);
        }
    }
    Ok(edges)
}

fn grid(rows: usize, cols: usize, torus: bool) -> Result<Vec<(usize, usize)>, GeneratorError> {
    if torus && (rows < 3 || cols < 3) {
        return Err(bad("rows", format!("{rows}×{cols}"), "a torus needs at least 3 rows and 3 columns"));
    }
    if rows == 0 || cols == 0 {
        return Err(bad("rows", format!("{rows}×{cols}"), "rows and cols must be positive"));
    }
    let id = |r: usize, c: usize| r * cols + c;
    let mut edges = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            if c + 1 < cols || torus {
                edges.push((id(r, c), id(r, (c + 1) % cols)));
            }
            if r + 1 < rows || torus {
                edges.push((id(r, c), id((r + 1) % rows, c)));
            }
        }
    }
    Ok(edges)
}

/// Links components by their closest pairs, the smallest component first,
/// until one is left.
fn join_components(pos: &[(f64, f64)], edges: &mut Vec<(usize, usize)>) {
    let n = pos.len();
    loop {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges.iter() {
            adj[a].push(b);
            adj[b].push(a);
        }
        let label = labels(&adj);
        let parts = label.iter().max().map_or(0, |m| m + 1);
        if parts <= 1 {
            return;
        }
        let mut size = vec![0usize; parts];
        label.iter().for_each(|&c| size[c] += 1);
        let small = (0..parts).min_by_key(|&c| (size[c], c)).unwrap_or(0);
        let mut best: Option<(f64, usize, usize)> = None;
        for a in (0..n).filter(|&a| label[a] == small) {
            for b in (0..n).filter(|&b| label[b] != small) {
                let d = dist2(pos[a], pos[b]);
                if best.is_none_or(|(bd, _, _)| d < bd) {
                    best = Some((d, a, b));
                }
            }
        }
        let Some((_, a, b)) = best else { return };
        edges.push((a, b));
    }
}

/// Component label of each node (0, 1, … in order of the lowest node).
fn labels(adj: &[Vec<usize>]) -> Vec<usize> {
    let mut label = vec![usize::MAX; adj.len()];
    let mut next = 0;
    for s in 0..adj.len() {
        if label[s] != usize::MAX {
            continue;
        }
        label[s] = next;
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            for &w in &adj[v] {
                if label[w] == usize::MAX {
                    label[w] = next;
                    stack.push(w);
                }
            }
        }
        next += 1;
    }
    label
}

/// Number of connected components.
fn components(t: &Topology) -> usize {
    let adj: Vec<Vec<usize>> = (0..t.len()).map(|i| t.neighbors(i).to_vec()).collect();
    labels(&adj).into_iter().max().map_or(0, |m| m + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(t: &Topology) -> usize {
        (0..t.len()).map(|i| t.degree(i)).sum::<usize>() / 2
    }

    #[test]
    fn families_have_their_shapes() {
        let ring = GeneratorSpec::Ring { nodes: 6 }.generate().unwrap().topology;
        assert!((0..6).all(|i| ring.degree(i) == 2));
        let star = GeneratorSpec::Star { nodes: 5 }.generate().unwrap().topology;
        assert_eq!((star.degree(0), star.degree(3), edges(&star)), (4, 1, 4));
        let g = GeneratorSpec::Grid { rows: 3, cols: 4, torus: false }.generate().unwrap().topology;
        assert_eq!((g.len(), edges(&g), g.degree(0), g.degree(5)), (12, 17, 2, 4));
        let t = GeneratorSpec::Grid { rows: 3, cols: 4, torus: true }.generate().unwrap().topology;
        assert!((0..12).all(|i| t.degree(i) == 4));
        let ba = GeneratorSpec::BarabasiAlbert { nodes: 200, m: 2, seed: 1 }.generate().unwrap().topology;
        assert_eq!(edges(&ba), 2 + 2 * (200 - 3));
        assert!(ba.max_degree() > 10, "preferential attachment makes hubs: max degree {}", ba.max_degree());
        let geo =
            GeneratorSpec::Geometric { nodes: 300, k: Some(3), radius: None, seed: 4, join: true }.generate().unwrap();
        assert!((0..300).all(|i| geo.topology.degree(i) >= 3));
        assert_eq!(geo.positions.as_ref().map(Vec::len), Some(300));
        // Without joining, 3 nearest leave this one in pieces.
        let e = GeneratorSpec::Geometric { nodes: 300, k: Some(3), radius: None, seed: 4, join: false }.generate();
        assert!(e.unwrap_err().reason.contains("join = true"));
    }

    #[test]
    fn nearest_neighbours_are_the_nearest() {
        let spec = GeneratorSpec::Geometric { nodes: 50, k: Some(3), radius: None, seed: 9, join: true };
        let g = spec.generate().unwrap();
        let p = g.positions.unwrap();
        for i in 0..50 {
            let mut d: Vec<f64> = (0..50).filter(|&j| j != i).map(|j| dist2(p[i], p[j])).collect();
            d.sort_by(f64::total_cmp);
            let linked: Vec<f64> = g.topology.neighbors(i).iter().map(|&j| dist2(p[i], p[j])).collect();
            // Its 3 nearest are all linked; anything else linked chose it.
            assert!(d[..3].iter().all(|x| linked.contains(x)), "node {i}");
        }
    }

    #[test]
    fn same_seed_same_graph_other_seed_other_graph() {
        let a = GeneratorSpec::BarabasiAlbert { nodes: 100, m: 3, seed: 5 }.generate().unwrap().topology;
        let b = GeneratorSpec::BarabasiAlbert { nodes: 100, m: 3, seed: 5 }.generate().unwrap().topology;
        let c = GeneratorSpec::BarabasiAlbert { nodes: 100, m: 3, seed: 6 }.generate().unwrap().topology;
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn impossible_parameters_name_the_field() {
        let e = GeneratorSpec::Geometric { nodes: 10, k: Some(10), radius: None, seed: 1, join: false }
            .generate()
            .unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("k", "10"));
        let e = GeneratorSpec::Geometric { nodes: 10, k: Some(2), radius: Some(0.1), seed: 1, join: false }
            .generate()
            .unwrap_err();
        assert!(e.reason.contains("exactly one"), "{e:?}");
        let e = GeneratorSpec::Geometric { nodes: 200, k: None, radius: Some(0.01), seed: 1, join: false }
            .generate()
            .unwrap_err();
        assert!(e.reason.contains("disconnected"), "{e:?}");
        let e = GeneratorSpec::BarabasiAlbert { nodes: 5, m: 5, seed: 1 }.generate().unwrap_err();
        assert_eq!(e.field, "m");
        let e = GeneratorSpec::BarabasiAlbert { nodes: 10_000, m: 5_000, seed: 1 }.generate().unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("m", "5000"));
        let e = GeneratorSpec::Geometric { nodes: 10_000, k: Some(9_999), radius: None, seed: 1, join: false };
        assert_eq!(e.generate().unwrap_err().field, "k");
        let e = GeneratorSpec::Geometric { nodes: 2_000, k: None, radius: Some(2.0), seed: 1, join: false };
        let e = e.generate().unwrap_err();
        assert!(e.field == "radius" && e.reason.contains("200000"), "{e:?}");
        let e = GeneratorSpec::Ring { nodes: MAX_NODES + 1 }.generate().unwrap_err();
        assert_eq!(e.field, "nodes");
        let e = GeneratorSpec::Grid { rows: 2, cols: 5, torus: true }.generate().unwrap_err();
        assert_eq!(e.field, "rows");
    }
}
