//! [`PerNode`]: a scenario parameter given once for every node or once per
//! node, or drawn per node from a distribution (generated federations).
//! Models and workloads read their parameters through it.

use serde::{Deserialize, Serialize};

/// A parameter given once for every node, or once per node (agent order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PerNode<T> {
    /// One value for every node.
    One(T),
    /// One value per node.
    Each(Vec<T>),
    /// One value per node drawn from a distribution, deterministic in the
    /// draw's seed and the node's index (any number of nodes).
    Drawn(Draw),
}

/// `{ uniform = [low, high], seed = S }`: node `i`'s value is uniform on
/// `[low, high]`, drawn from `S` and `i` alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draw {
    pub uniform: [f64; 2],
    pub seed: u64,
}

impl Draw {
    /// Whether the range is ordered and finite (`None`), or why not.
    pub fn problem(&self) -> Option<String> {
        let [low, high] = self.uniform;
        (!(low.is_finite() && high.is_finite() && low <= high))
            .then(|| format!("uniform = [{low}, {high}]: low and high must be finite, low ≤ high"))
    }

    /// Node `i`'s value.
    pub fn value(&self, i: usize) -> f64 {
        let bits = crate::seeds::splitmix(self.seed ^ crate::seeds::splitmix(i as u64 ^ 0xD0A7));
        let u = (bits >> 11) as f64 / (1u64 << 53) as f64;
        let [low, high] = self.uniform;
        low + (high - low) * u
    }
}

impl<T: Copy + From<f64>> PerNode<T> {
    /// The value for node `i` (the last value if a list is too short; the
    /// scenario validation refuses lists of the wrong length).
    pub fn get(&self, i: usize) -> T {
        match self {
            PerNode::One(v) => *v,
            PerNode::Each(v) => v[i.min(v.len() - 1)],
            PerNode::Drawn(d) => T::from(d.value(i)),
        }
    }

    /// All values with their index (`n` nodes).
    pub fn values(&self, n: usize) -> Vec<T> {
        (0..n).map(|i| self.get(i)).collect()
    }

    /// Why a draw's range is unusable, if it is (validation names the field).
    pub fn draw_problem(&self) -> Option<String> {
        match self {
            PerNode::Drawn(d) => d.problem(),
            _ => None,
        }
    }

    /// The values for the nodes `names`, or an error naming `file` and
    /// `field` when a list has the wrong length or a draw an unusable range.
    pub fn checked_values(
        &self,
        file: &std::path::Path,
        field: &str,
        names: &[String],
    ) -> Result<Vec<T>, crate::error::ConfigError> {
        let n = names.len();
        if let Some(len) = self.explicit_len()
            && len != n
        {
            return Err(crate::error::ConfigError::invalid(
                file,
                field,
                format!("{len} values"),
                format!("need one per node ({n})"),
            ));
        }
        if let Some(why) = self.draw_problem() {
            return Err(crate::error::ConfigError::invalid(file, field, "a draw", why));
        }
        Ok(self.values(n))
    }

    /// Number of explicit values (`None` for a single shared value).
    pub fn explicit_len(&self) -> Option<usize> {
        match self {
            PerNode::One(_) | PerNode::Drawn(_) => None,
            PerNode::Each(v) => Some(v.len()),
        }
    }
}
