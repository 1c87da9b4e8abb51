//! How a federation's agents map onto networks, observation encodings and
//! action vectors (independent or shared mode).

use dfaas_env::encoding::{Encoder, Encoding};
use dfaas_env::models::ModelSpec;
use dfaas_env::{Decision, Simulator};

use crate::config::{EncodingChoice, Mode};

/// Input and output size of one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetShape {
    pub obs_dim: usize,
    pub action_dim: usize,
}

/// The agent → network mapping of a training run.
#[derive(Debug, Clone)]
pub struct Layout {
    pub mode: Mode,
    pub agents: Vec<String>,
    /// Neighbour names of each agent, in action order.
    pub neighbors: Vec<Vec<String>>,
    /// Network index of each agent.
    pub agent_net: Vec<usize>,
    pub nets: Vec<NetShape>,
    /// Per agent: which entries of its network's output are real actions.
    pub masks: Vec<Vec<bool>>,
    pub encoder: Encoder,
    /// The published 3-way action (queue model, even-floor split).
    pub three_way: bool,
    pub max_degree: usize,
    /// Input length of a central critic (every agent's observation and a
    /// one-hot of the agent); 0 when each critic sees its own observation.
    pub critic_dim: usize,
}

impl Layout {
    /// The layout for `sim` in `mode` with `encoding`.
    pub fn new(sim: &Simulator, mode: Mode, encoding: EncodingChoice) -> Result<Self, String> {
        Self::with_width(sim, mode, encoding, None)
    }

    /// [`Layout::new`] with `width` neighbour slots for a shared normalized
    /// network (at least the scenario's largest degree; `None`: that degree).
    pub fn with_width(
        sim: &Simulator,
        mode: Mode,
        encoding: EncodingChoice,
        width: Option<usize>,
    ) -> Result<Self, String> {
        let topo = sim.topology();
        let n = topo.len();
        let max_degree = match width {
            None => topo.max_degree(),
            Some(_) if mode != Mode::Shared || encoding == EncodingChoice::Fidelity => {
                return Err("max_degree widens a shared network with a normalized encoding only".into());
            }
            Some(w) if w < topo.max_degree() => {
                return Err(format!("max_degree = {w} is below the scenario's largest degree {}", topo.max_degree()));
            }
            Some(w) => w,
        };
        let three_way = sim.even_floor();
        let enc = match encoding {
            // Several functions per node: the function's features too.
            EncodingChoice::Normalized if sim.layout().is_some() => {
                Encoding::normalized_functions(max_degree, sim.observation_period_slots())
            }
            EncodingChoice::Normalized => Encoding::normalized(max_degree, sim.observation_period_slots()),
            EncodingChoice::NormalizedV1 => {
                if let Some(p) = sim.observation_period_slots() {
                    return Err(format!(
                        "encoding `normalized-v1` has no phase feature, but the scenario sets \
                         observation.period_slots = {p}: use `normalized` (version 2) or remove the field"
                    ));
                }
                Encoding::Normalized { max_degree, version: 1, period_slots: None }
            }
            EncodingChoice::Fidelity => match sim.scenario().model {
                ModelSpec::Queue(_) => Encoding::FidelityQueue,
                _ => Encoding::FidelityServerless,
            },
        };
        if mode == Mode::Shared && encoding == EncodingChoice::Fidelity {
            return Err("a shared network needs the normalized encoding".into());
        }
        let encoder = Encoder::new(enc, topo);
        let action_dim = |deg: usize| if three_way { 3 } else { deg + 2 };
        let (agent_net, nets, masks) = match mode {
            Mode::Independent => {
                let nets: Vec<NetShape> = (0..n)
                    .map(|i| NetShape { obs_dim: encoder.dim(topo.degree(i)), action_dim: action_dim(topo.degree(i)) })
                    .collect();
                let masks = nets.iter().map(|s| vec![true; s.action_dim]).collect();
                ((0..n).collect(), nets, masks)
            }
            Mode::Shared => {
                let dim = action_dim(max_degree);
                let masks = (0..n)
                    .map(|i| {
                        let mut m = vec![false; dim];
                        if three_way {
                            m.fill(true);
                        } else {
                            m[0] = true;
                            for k in 0..topo.degree(i) {
                                m[1 + k] = true;
                            }
                            m[dim - 1] = true;
                        }
                        m
                    })
                    .collect();
                (vec![0; n], vec![NetShape { obs_dim: encoder.dim(max_degree), action_dim: dim }], masks)
            }
        };
        Ok(Self {
            mode,
            agents: topo.names().to_vec(),
            neighbors: (0..n).map(|i| topo.neighbors(i).iter().map(|&j| topo.names()[j].clone()).collect()).collect(),
            agent_net,
            nets,
            masks,
            encoder,
            three_way,
            max_degree,
            critic_dim: 0,
        })
    }

    /// Gives every network a critic of `input`: a central one sees all
    /// agents' observations of the slot (each its network's width) and the
    /// agent's one-hot.
    pub fn with_critic(mut self, input: crate::config::CriticInput) -> Self {
        self.critic_dim = match input {
            crate::config::CriticInput::Local => 0,
            crate::config::CriticInput::Central => {
                self.agent_net.iter().map(|&g| self.nets[g].obs_dim).sum::<usize>() + self.agents.len()
            }
        };
        self
    }

    /// The central critic's input for agent `agent`, appended to `out`:
    /// `all`, every agent's normalised observation in agent order, then the
    /// agent's one-hot.
    pub fn central_row(&self, all: &[f32], agent: usize, out: &mut Vec<f32>) {
        out.extend_from_slice(all);
        out.extend((0..self.agents.len()).map(|i| if i == agent { 1.0 } else { 0.0 }));
    }

    /// Actor/critic shapes of every network, with the run's hidden layers.
    pub fn net_configs(&self, network: &crate::config::NetworkConfig) -> Vec<crate::nets::NetConfig> {
        self.nets
            .iter()
            .map(|s| crate::nets::NetConfig {
                obs_dim: s.obs_dim,
                action_dim: s.action_dim,
                critic_dim: self.critic_dim,
                hidden: network.hidden.clone(),
                activation: network.activation,
                alpha_floor: network.alpha_floor,
            })
            .collect()
    }

    /// The decision of agent `i` from its network's full action vector
    /// (masked entries dropped; the rest renormalised).
    pub fn to_decision(&self, i: usize, full: &[f64]) -> Decision {
        let valid: Vec<f64> = full.iter().zip(&self.masks[i]).filter(|(_, m)| **m).map(|(v, _)| v.max(0.0)).collect();
        let fallback = valid.len().saturating_sub(2);
        Decision::from_weights(valid).unwrap_or_else(|_| Decision::all_local(fallback))
    }
}
