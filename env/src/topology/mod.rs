//! The federation graph: named nodes, undirected edges, neighbour order.

use serde::{Deserialize, Serialize};

pub mod generate;
pub use generate::{Generated, GeneratorSpec};

/// An undirected graph of named nodes. Each node's neighbour order is the
/// order in which its edges were first given; it fixes the action layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    names: Vec<String>,
    neighbors: Vec<Vec<usize>>,
}

/// Why a topology could not be built (the caller adds file and field).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TopologyError {
    #[error("unknown node `{0}` (not in the node list)")]
    UnknownNode(String),
    #[error("self-loop on node `{0}`")]
    SelfLoop(String),
    #[error("duplicate node name `{0}`")]
    Duplicate(String),
    #[error("empty adjacency line")]
    EmptyLine,
    #[error("the topology has no nodes")]
    Empty,
}

impl Topology {
    /// Builds a topology from node names and edges given by index.
    pub fn from_edges(names: Vec<String>, edges: &[(usize, usize)]) -> Result<Self, TopologyError> {
        if names.is_empty() {
            return Err(TopologyError::Empty);
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(TopologyError::Duplicate(n.clone()));
            }
        }
        let mut neighbors = vec![Vec::new(); names.len()];
        for &(a, b) in edges {
            for x in [a, b] {
                if x >= names.len() {
                    return Err(TopologyError::UnknownNode(format!("#{x}")));
                }
            }
            if a == b {
                return Err(TopologyError::SelfLoop(names[a].clone()));
            }
            if !neighbors[a].contains(&b) {
                neighbors[a].push(b);
                neighbors[b].push(a);
            }
        }
        Ok(Self { names, neighbors })
    }

    /// Parses marl-dfaas adjacency lines (`"node_0 node_1 node_2"` means
    /// node_0–node_1 and node_0–node_2). With `nodes = None`, nodes are taken
    /// in order of first appearance (NetworkX insertion order); otherwise
    /// every name must be in `nodes`.
    pub fn from_adjacency(nodes: Option<&[String]>, lines: &[String]) -> Result<Self, TopologyError> {
        let mut names: Vec<String> = nodes.map(|n| n.to_vec()).unwrap_or_default();
        let fixed = nodes.is_some();
        let mut edges = Vec::new();
        let index = |name: &str, names: &mut Vec<String>| -> Result<usize, TopologyError> {
            if let Some(i) = names.iter().position(|n| n == name) {
                Ok(i)
            } else if fixed {
                Err(TopologyError::UnknownNode(name.to_string()))
            } else {
                names.push(name.to_string());
                Ok(names.len() - 1)
            }
        };
        for line in lines {
            let mut parts = line.split_whitespace();
            let src = parts.next().ok_or(TopologyError::EmptyLine)?;
            let s = index(src, &mut names)?;
            for nb in parts {
                let n = index(nb, &mut names)?;
                edges.push((s, n));
            }
        }
        Self::from_edges(names, &edges)
    }

    /// The graph of `keep`-ed nodes of `self` (in their order, named by
    /// `name`), each keeping its neighbour order among the kept ones: a
    /// function's layer of the federation, one node per hosting node.
    pub fn restricted(&self, keep: &[usize], name: impl Fn(usize) -> String) -> Self {
        let mut index = vec![usize::MAX; self.len()];
        keep.iter().enumerate().for_each(|(k, &i)| index[i] = k);
        let neighbors = keep
            .iter()
            .map(|&i| self.neighbors[i].iter().filter(|&&j| index[j] != usize::MAX).map(|&j| index[j]).collect())
            .collect();
        Self { names: keep.iter().map(|&i| name(i)).collect(), neighbors }
    }

    /// Disjoint union of graphs, relabelled by `order`: `order[a] = (g, k)`
    /// puts node `k` of `parts[g]` at index `a` (every node once).
    pub fn union(parts: &[Topology], order: &[(usize, usize)]) -> Self {
        let mut at = parts.iter().map(|p| vec![0; p.len()]).collect::<Vec<_>>();
        order.iter().enumerate().for_each(|(a, &(g, k))| at[g][k] = a);
        let neighbors = order.iter().map(|&(g, k)| parts[g].neighbors[k].iter().map(|&m| at[g][m]).collect()).collect();
        Self { names: order.iter().map(|&(g, k)| parts[g].names[k].clone()).collect(), neighbors }
    }

    /// A line of `n` nodes named `node_0 … node_{n-1}` (node_i – node_{i+1}).
    pub fn line(n: usize) -> Self {
        let names = (0..n).map(|i| format!("node_{i}")).collect();
        let edges: Vec<_> = (1..n).map(|i| (i - 1, i)).collect();
        Self::from_edges(names, &edges).expect("valid line topology")
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the graph has no nodes (never true once built).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Node names in index order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Neighbours of node `i`, in action order.
    pub fn neighbors(&self, i: usize) -> &[usize] {
        &self.neighbors[i]
    }

    /// Degree of node `i`.
    pub fn degree(&self, i: usize) -> usize {
        self.neighbors[i].len()
    }

    /// Largest degree in the graph.
    pub fn max_degree(&self) -> usize {
        self.neighbors.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Position of `j` in `i`'s neighbour list.
    pub fn neighbor_slot(&self, i: usize, j: usize) -> Option<usize> {
        self.neighbors[i].iter().position(|&n| n == j)
    }

    /// Undirected edges `(a, b)` with `a < b`, in first-seen order.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (a, nbs) in self.neighbors.iter().enumerate() {
            for &b in nbs {
                if a < b {
                    out.push((a, b));
                }
            }
        }
        out
    }

    /// Adjacency lines (`"a b"`, one per edge) that [`Topology::from_adjacency`]
    /// with [`Topology::names`] turns back into this topology, every node's
    /// neighbour order included: the edges in an order consistent with each
    /// node's list (a topological order of the lists' succession constraints).
    pub fn adjacency_lines(&self) -> Vec<String> {
        let edges = self.edges();
        let id: std::collections::HashMap<(usize, usize), usize> =
            edges.iter().enumerate().map(|(k, &e)| (e, k)).collect();
        let key = |a: usize, b: usize| id[&(a.min(b), a.max(b))];
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
        let mut before = vec![0usize; edges.len()];
        for (a, nbs) in self.neighbors.iter().enumerate() {
            for w in nbs.windows(2) {
                next[key(a, w[0])].push(key(a, w[1]));
                before[key(a, w[1])] += 1;
            }
        }
        // Kahn's algorithm, lowest edge first among the ready ones.
        let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> =
            (0..edges.len()).filter(|&e| before[e] == 0).map(std::cmp::Reverse).collect();
        let mut lines = Vec::with_capacity(edges.len());
        while let Some(std::cmp::Reverse(e)) = ready.pop() {
            let (a, b) = edges[e];
            lines.push(format!("{} {}", self.names[a], self.names[b]));
            for &f in &next[e] {
                before[f] -= 1;
                if before[f] == 0 {
                    ready.push(std::cmp::Reverse(f));
                }
            }
        }
        lines
    }

    /// Index of a node by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn marl_five_agent_neighbour_order() {
        let t = Topology::from_adjacency(None, &s(&["node_0 node_1 node_2", "node_3 node_2 node_0", "node_1 node_4"]))
            .unwrap();
        assert_eq!(t.names(), &s(&["node_0", "node_1", "node_2", "node_3", "node_4"]));
        assert_eq!(t.neighbors(0), &[1, 2, 3]);
        assert_eq!(t.neighbors(1), &[0, 4]);
        assert_eq!(t.neighbors(2), &[0, 3]);
        assert_eq!(t.neighbors(3), &[2, 0]);
        assert_eq!(t.neighbors(4), &[1]);
        assert_eq!(t.edges().len(), 5);
    }

    #[test]
    fn unknown_node_is_named() {
        let e = Topology::from_adjacency(Some(&s(&["a", "b"])), &s(&["a c"])).unwrap_err();
        assert_eq!(e, TopologyError::UnknownNode("c".into()));
        assert!(e.to_string().contains("`c`"));
        assert_eq!(Topology::from_adjacency(None, &s(&["a a"])).unwrap_err(), TopologyError::SelfLoop("a".into()));
    }
}
