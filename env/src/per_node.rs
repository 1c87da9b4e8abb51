//! [`PerNode`]: a scenario parameter given once for every node or once per
//! node. Models and workloads read their parameters through it.

use serde::{Deserialize, Serialize};

/// A parameter given once for every node, or once per node (agent order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PerNode<T> {
    /// One value for every node.
    One(T),
    /// One value per node.
    Each(Vec<T>),
}

impl<T: Copy> PerNode<T> {
    /// The value for node `i` (the last value if a list is too short; the
    /// scenario validation refuses lists of the wrong length).
    pub fn get(&self, i: usize) -> T {
        match self {
            PerNode::One(v) => *v,
            PerNode::Each(v) => v[i.min(v.len() - 1)],
        }
    }

    /// All values with their index (`n` nodes).
    pub fn values(&self, n: usize) -> Vec<T> {
        (0..n).map(|i| self.get(i)).collect()
    }

    /// Number of explicit values (`None` for a single shared value).
    pub fn explicit_len(&self) -> Option<usize> {
        match self {
            PerNode::One(_) => None,
            PerNode::Each(v) => Some(v.len()),
        }
    }
}
