//! The JSON metadata of a policy file and its consistency checks.

use dfaas_env::encoding::{Encoding, normalized_sizes};
use serde::{Deserialize, Serialize};

/// Everything a loader needs to know about the networks in a policy file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyMeta {
    /// Equal to the header's format version ([`FORMAT_VERSION`](super::FORMAT_VERSION)).
    pub format_version: u32,
    /// The observation encoding the networks were trained on.
    pub encoding: Encoding,
    /// Version of that encoding: `NORMALIZED_VERSION` for `normalized`, 1 for
    /// the fidelity layouts.
    pub encoding_version: u32,
    /// One network for every node, or one per node.
    pub mode: Mode,
    /// What the network's output addresses.
    pub action_layout: ActionLayout,
    /// Largest degree the file serves (equal to the normalized encoding's).
    pub max_degree: usize,
    /// Independent mode: one entry per node. Shared mode: informational, may be empty.
    pub nodes: Vec<NodeEntry>,
    /// The networks; shared mode has exactly one.
    pub networks: Vec<NetworkMeta>,
    /// The scenario trained on (name or path).
    pub scenario: String,
    /// The training seed.
    pub seed: u64,
    /// Free-form training summary (iterations, agent steps, wall time, final metrics).
    pub training: serde_json::Value,
    /// Who wrote the file (program and version).
    pub created_by: String,
}

/// Whether nodes share one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Network 0 serves every node.
    Shared,
    /// One network per node, found by node name in `nodes`.
    Independent,
}

/// What the network's output means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionLayout {
    /// `[local, fwd_1 … fwd_k, reject]`, one forward per neighbour (padded to
    /// `max_degree` for a shared network).
    PerNeighbor,
    /// marl-dfaas paise2025: `[local, forward, reject]`, the forward share
    /// split evenly by the simulator (even-floor mode).
    ThreeWay,
}

/// What a network's output vector means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    /// Dirichlet concentrations (positive): the action is their mean,
    /// without the shares a sample would not send (every `.dfpolicy` network).
    Concentration,
    /// Fractions: non-negative weights, normalised over the node's real entries.
    Fractions,
    /// Logits: softmax over the node's real entries.
    Logits,
}

/// The network of one node (independent mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEntry {
    /// The node's name.
    pub name: String,
    /// Its neighbours' names, in action order.
    pub neighbors: Vec<String>,
    /// Its degree (`neighbors.len()`).
    pub degree: usize,
    /// Index into `networks`.
    pub network: usize,
}

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// tanh (RLlib's default; the marl-dfaas presets).
    Tanh,
    /// max(0, x) (the `default` training preset).
    Relu,
}

/// One MLP: shapes, normalisation statistics, and where its layers lie in the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkMeta {
    pub input_dim: usize,
    pub output_dim: usize,
    /// Hidden layer widths, input side first.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// Added to every concentration: `α = softplus(z) + alpha_floor`.
    pub alpha_floor: f32,
    /// Observation normalisation: `(x − mean) / std`, clipped to ±10.
    pub obs_mean: Vec<f32>,
    pub obs_std: Vec<f32>,
    /// `hidden.len() + 1` dense layers, input side first.
    pub layers: Vec<LayerMeta>,
}

/// A dense layer: `W` row-major `[out_dim][in_dim]` then bias `[out_dim]`,
/// starting `offset` f32 values into the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerMeta {
    pub in_dim: usize,
    pub out_dim: usize,
    pub offset: usize,
}

impl LayerMeta {
    /// Number of f32 values (`out·in + out`), `None` on overflow.
    pub fn len(&self) -> Option<usize> {
        self.out_dim.checked_mul(self.in_dim)?.checked_add(self.out_dim)
    }

    /// Whether the layer holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl NetworkMeta {
    /// Layer widths from input to output: `[input_dim, hidden…, output_dim]`.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = Vec::with_capacity(self.hidden.len() + 2);
        w.push(self.input_dim);
        w.extend_from_slice(&self.hidden);
        w.push(self.output_dim);
        w
    }

    /// Checks shapes and statistics (not the payload); the error says what is wrong.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.input_dim == 0 || self.output_dim == 0 || self.hidden.contains(&0) {
            return Err(format!("zero-width layer in {:?}", self.widths()));
        }
        for (name, v) in [("obs_mean", &self.obs_mean), ("obs_std", &self.obs_std)] {
            if v.len() != self.input_dim {
                return Err(format!("{name} has {} values, input_dim is {}", v.len(), self.input_dim));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(format!("{name}[{i}] is not finite"));
            }
        }
        if let Some(i) = self.obs_std.iter().position(|&s| s < 0.0) {
            return Err(format!("obs_std[{i}] is negative"));
        }
        if !self.alpha_floor.is_finite() || self.alpha_floor < 0.0 {
            return Err(format!("alpha_floor {} is not a finite non-negative number", self.alpha_floor));
        }
        let widths = self.widths();
        if self.layers.len() + 1 != widths.len() {
            return Err(format!("{} layers listed, widths {:?} need {}", self.layers.len(), widths, widths.len() - 1));
        }
        for (l, layer) in self.layers.iter().enumerate() {
            if (layer.in_dim, layer.out_dim) != (widths[l], widths[l + 1]) {
                return Err(format!(
                    "layer {l} is {}→{}, widths {:?} need {}→{}",
                    layer.in_dim,
                    layer.out_dim,
                    widths,
                    widths[l],
                    widths[l + 1]
                ));
            }
        }
        Ok(())
    }
}

impl PolicyMeta {
    /// Checks the metadata against itself and a payload of `payload_len` f32
    /// values: shapes, encoding dimensions, node table, and that the layers
    /// tile the payload exactly.
    pub fn check(&self, payload_len: usize) -> Result<(), String> {
        if self.format_version != super::FORMAT_VERSION {
            return Err(format!(
                "metadata format_version {} differs from the header's {}",
                self.format_version,
                super::FORMAT_VERSION
            ));
        }
        if self.networks.is_empty() {
            return Err("no networks".into());
        }
        if self.mode == Mode::Shared && self.networks.len() != 1 {
            return Err(format!("shared mode needs exactly one network, found {}", self.networks.len()));
        }
        if let Encoding::Normalized { max_degree, version, period_slots } = self.encoding {
            if max_degree != self.max_degree {
                return Err(format!(
                    "max_degree {} differs from the normalized encoding's {max_degree}",
                    self.max_degree
                ));
            }
            if version != self.encoding_version {
                return Err(format!(
                    "encoding_version {} differs from the normalized encoding's version {version}",
                    self.encoding_version
                ));
            }
            if period_slots == Some(0) || (version < 2 && period_slots.is_some()) {
                return Err(format!(
                    "period_slots {period_slots:?}: needs a positive period and encoding version 2 or later"
                ));
            }
        }
        for (n, net) in self.networks.iter().enumerate() {
            net.check().map_err(|e| format!("network {n}: {e}"))?;
            let want_in = match self.encoding {
                Encoding::FidelityQueue => Some(6),
                // An unknown version is refused by the loader, naming it.
                Encoding::Normalized { max_degree, version, .. } => normalized_sizes(version)
                    .and_then(|(own, per)| max_degree.checked_mul(per).and_then(|x| x.checked_add(own))),
                Encoding::FidelityServerless => None, // depends on the node's degree
            };
            if let Some(want) = want_in
                && net.input_dim != want
            {
                return Err(format!("network {n}: input_dim {} but the encoding gives {want} values", net.input_dim));
            }
            if self.action_layout == ActionLayout::ThreeWay && net.output_dim != 3 {
                return Err(format!(
                    "network {n}: output_dim {} but the three-way layout has 3 outputs",
                    net.output_dim
                ));
            }
        }
        self.check_nodes()?;
        self.check_tiling(payload_len)
    }

    fn check_nodes(&self) -> Result<(), String> {
        if self.mode == Mode::Independent && self.nodes.is_empty() {
            return Err("independent mode but no node entries".into());
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if self.nodes[..i].iter().any(|o| o.name == node.name) {
                return Err(format!("node `{}` listed twice", node.name));
            }
            if node.neighbors.len() != node.degree {
                return Err(format!(
                    "node `{}`: degree {} but {} neighbour names",
                    node.name,
                    node.degree,
                    node.neighbors.len()
                ));
            }
            if node.degree > self.max_degree {
                return Err(format!(
                    "node `{}`: degree {} exceeds max_degree {}",
                    node.name, node.degree, self.max_degree
                ));
            }
            let Some(net) = self.networks.get(node.network) else {
                return Err(format!(
                    "node `{}`: network {} does not exist ({} networks)",
                    node.name,
                    node.network,
                    self.networks.len()
                ));
            };
            let serverless_dim = node.degree.saturating_mul(2).saturating_add(2);
            if self.encoding == Encoding::FidelityServerless && net.input_dim != serverless_dim {
                return Err(format!(
                    "node `{}`: degree {} gives {serverless_dim} fidelity-serverless values, network {} takes {}",
                    node.name, node.degree, node.network, net.input_dim
                ));
            }
        }
        Ok(())
    }

    /// The layers of all networks must cover `[0, payload_len)` exactly once.
    fn check_tiling(&self, payload_len: usize) -> Result<(), String> {
        let mut spans = Vec::new();
        for (n, net) in self.networks.iter().enumerate() {
            for (l, layer) in net.layers.iter().enumerate() {
                let end = layer
                    .len()
                    .and_then(|len| layer.offset.checked_add(len))
                    .ok_or_else(|| format!("network {n} layer {l}: size overflows"))?;
                if end > payload_len {
                    return Err(format!(
                        "network {n} layer {l} spans values {}..{end}, the payload has {payload_len}",
                        layer.offset
                    ));
                }
                spans.push((layer.offset, end, n, l));
            }
        }
        spans.sort_unstable();
        let mut at = 0;
        for &(start, end, n, l) in &spans {
            if start != at {
                return Err(format!(
                    "network {n} layer {l} starts at value {start}, expected {at} (layers must tile the payload without gaps or overlap)"
                ));
            }
            at = end;
        }
        if at != payload_len {
            return Err(format!("layers cover {at} values, the payload has {payload_len}"));
        }
        Ok(())
    }
}
