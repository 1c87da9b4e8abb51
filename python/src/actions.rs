//! Turning the numbers Python sends into decisions.
//!
//! Per agent, an action is `[local, fwd to each neighbour…, reject]`
//! (`[local, forward, reject]` under the published 3-way even-floor action).
//! With `action="simplex"` the entries are non-negative weights the
//! environment divides by their sum; with `action="logits"` it takes their
//! softmax. The vector environment pads every agent to the widest layout
//! `[local, fwd_1 … fwd_max_degree, reject]`; padded entries are ignored
//! (the action mask says which are real).

use dfaas_env::{Decision, Simulator};

/// How action values become fractions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionFormat {
    /// Non-negative weights, normalised by their sum.
    Simplex,
    /// Real numbers, turned into fractions by a softmax.
    Logits,
}

impl ActionFormat {
    /// Names accepted from Python.
    pub const NAMES: &'static [&'static str] = &["simplex", "logits"];

    /// The format called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "simplex" => Some(Self::Simplex),
            "logits" => Some(Self::Logits),
            _ => None,
        }
    }

    /// Bounds of the `Box` each action entry lives in.
    pub fn bounds(self) -> (f32, f32) {
        match self {
            Self::Simplex => (0.0, 1.0),
            Self::Logits => (-10.0, 10.0),
        }
    }
}

/// The action layout of a federation.
#[derive(Debug, Clone)]
pub struct ActionLayout {
    /// Agent names, in index order.
    pub names: Vec<String>,
    /// Length of each agent's own action.
    pub lens: Vec<usize>,
    /// Width of the padded layout.
    pub width: usize,
    /// Each agent's layout in words, e.g. `[local, fwd:node_1, reject]`.
    pub described: Vec<String>,
}

impl ActionLayout {
    /// The layout of `sim`'s agents.
    pub fn new(sim: &Simulator) -> Self {
        let topo = sim.topology();
        let three_way = sim.even_floor();
        let lens: Vec<usize> = (0..topo.len()).map(|i| if three_way { 3 } else { topo.degree(i) + 2 }).collect();
        let width = lens.iter().copied().max().unwrap_or(2);
        let described = (0..topo.len())
            .map(|i| {
                if three_way {
                    "[local, forward (split evenly over the neighbours), reject]".to_string()
                } else {
                    sim.action_layout(i)
                }
            })
            .collect();
        Self { names: topo.names().to_vec(), lens, width, described }
    }

    /// Whether entry `k` of agent `i`'s padded row is a real action.
    pub fn real(&self, i: usize, k: usize) -> bool {
        let len = self.lens[i];
        k + 1 < len || k + 1 == self.width
    }

    /// The padded row's entry that holds entry `j` of agent `i`'s own action.
    fn padded_index(&self, i: usize, j: usize) -> usize {
        if j + 1 == self.lens[i] { self.width - 1 } else { j }
    }

    /// The mask of real entries, `[agents × width]`, row-major.
    pub fn mask(&self) -> Vec<bool> {
        (0..self.lens.len()).flat_map(|i| (0..self.width).map(move |k| self.real(i, k))).collect()
    }

    /// A decision from agent `i`'s own action (exactly its length).
    pub fn decide(&self, i: usize, v: &[f64], format: ActionFormat) -> Result<Decision, String> {
        let len = self.lens[i];
        if v.len() != len {
            return Err(format!(
                "agent {}: action has {} entries, expected {len}: {}",
                self.names[i],
                v.len(),
                self.described[i]
            ));
        }
        fractions(v.iter().copied(), format).map_err(|e| format!("agent {}: {e}", self.names[i]))
    }

    /// A decision from agent `i`'s padded row (`width` entries).
    pub fn decide_padded(&self, i: usize, row: &[f32], format: ActionFormat) -> Result<Decision, String> {
        let len = self.lens[i];
        let values = (0..len).map(|j| row[self.padded_index(i, j)] as f64);
        fractions(values, format).map_err(|e| format!("agent {}: {e}", self.names[i]))
    }

    /// Writes `d` into agent `i`'s padded row (padding left at zero).
    pub fn pad(&self, i: usize, d: &Decision, row: &mut [f32]) {
        row.fill(0.0);
        for (j, &f) in d.as_slice().iter().enumerate().take(self.lens[i]) {
            row[self.padded_index(i, j)] = f as f32;
        }
    }
}

/// Fractions from action values, checked.
fn fractions(values: impl Iterator<Item = f64>, format: ActionFormat) -> Result<Decision, String> {
    let v: Vec<f64> = values.collect();
    if let Some((j, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(format!("action entry {j} is not finite ({x})"));
    }
    let weights = match format {
        ActionFormat::Simplex => {
            if let Some((j, x)) = v.iter().enumerate().find(|(_, x)| **x < 0.0) {
                return Err(format!(
                    "action entry {j} is negative ({x}); action=\"simplex\" takes non-negative weights \
                     (use action=\"logits\" for unbounded outputs)"
                ));
            }
            if v.iter().sum::<f64>() <= 0.0 {
                return Err("action entries are all zero: no split to normalise".into());
            }
            v
        }
        ActionFormat::Logits => {
            let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            v.iter().map(|x| (x - m).exp()).collect()
        }
    };
    Decision::from_weights(weights).map_err(|e| e.to_string())
}
