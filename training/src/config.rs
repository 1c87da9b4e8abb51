//! Training experiment files (TOML) and the hyperparameter presets.
//!
//! ```toml
//! scenario = "experiments/scenarios/marl-master-5.toml"  # relative to this file
//! preset = "default"        # "default" | "paper" | "master": base values
//! seed = 1
//! iterations = 200
//!
//! [ppo]                      # any field overrides the preset
//! gamma = 0.9
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::nets::Activation;

/// How agents map to networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// One network per node (as marl-dfaas trains), fidelity layouts allowed.
    Independent,
    /// One network for every node on the normalized encoding (any degree).
    Shared,
}

/// Observation encoding used for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingChoice {
    /// The model's marl-dfaas layout (queue or serverless); independent mode only.
    Fidelity,
    /// The normalized padded layout, current version (with the scenario's
    /// `observation.period_slots` phase, if declared).
    Normalized,
    /// The normalized layout of version 1 (no phase, neighbour capacity or
    /// degree): for ablations and for retraining old models.
    NormalizedV1,
}

/// What the critic sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CriticInput {
    /// The agent's own observation, as the actor (independent PPO).
    #[default]
    Local,
    /// Centralised training, decentralised execution (MAPPO): every agent's
    /// observation of the slot, in agent order, and a one-hot of the agent.
    /// The actor, the only network exported, still sees its own observation.
    Central,
}

impl CriticInput {
    /// Names accepted in files and on the command line.
    pub const NAMES: [&'static str; 2] = ["local", "central"];

    /// The choice called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "local" => Some(Self::Local),
            "central" => Some(Self::Central),
            _ => None,
        }
    }
}

pub use dfaas_env::reward::RewardChoice;

/// How advantages are standardised before the surrogate loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdvantageNorm {
    /// Left as they are.
    None,
    /// Per minibatch (CleanRL, Stable-Baselines3).
    #[default]
    Minibatch,
    /// Once over the whole iteration's batch (RLlib's `standardize_fields`).
    Batch,
}

/// What `vf_clip` clips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueClip {
    /// The squared error per sample, clamped to `[0, vf_clip]` (RLlib's
    /// `vf_clip_param`): samples whose error exceeds it get no gradient.
    #[default]
    Loss,
    /// The new value, kept within `vf_clip` of the value at collection, and
    /// the larger of the clipped and unclipped errors taken (PPO2, CleanRL's
    /// `clip_vloss`).
    Value,
}

/// PPO hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoConfig {
    /// Discount factor γ.
    pub gamma: f32,
    /// GAE λ.
    pub gae_lambda: f32,
    /// Adam learning rate (at the start, when annealed).
    pub lr: f64,
    /// Anneal the learning rate linearly to 0 over the run (CleanRL's `anneal_lr`).
    #[serde(default)]
    pub lr_anneal: bool,
    /// PPO clip ε on the probability ratio.
    pub clip: f32,
    /// Weight of the value loss. The actor and the critic are separate
    /// networks with separate Adam optimisers, and Adam is invariant to the
    /// scale of a loss, so this has no effect on training; it is kept so that
    /// RLlib- and CleanRL-shaped configurations load unchanged.
    pub vf_coef: f32,
    /// Value clipping threshold (see `vf_clip_kind`); none if absent.
    pub vf_clip: Option<f32>,
    /// What `vf_clip` clips: `loss` (RLlib) or `value` (PPO2).
    #[serde(default)]
    pub vf_clip_kind: ValueClip,
    /// Initial coefficient of the KL(old ‖ new) penalty (RLlib's `kl_coeff`;
    /// 0 = none), adapted after each iteration towards `kl_target`: × 1.5 when
    /// the iteration's KL exceeds 2 × target, × 0.5 when below target / 2.
    #[serde(default)]
    pub kl_coeff: f32,
    /// RLlib's `kl_target` for the adaptive penalty.
    #[serde(default = "default_kl_target")]
    pub kl_target: f32,
    /// Stop an iteration's epochs early once the approximate KL (k3) of an
    /// epoch exceeds this (CleanRL's `target_kl`); none if absent.
    #[serde(default)]
    pub target_kl: Option<f32>,
    /// Entropy coefficient at the start…
    pub entropy_start: f32,
    /// …decaying linearly to this value…
    pub entropy_end: f32,
    /// …over this fraction of the total agent steps.
    pub entropy_decay_fraction: f32,
    /// Gradient clipping: the global L2 norm over all of a network's
    /// parameters (actor and critic each) is scaled down to at most this; none if absent.
    pub max_grad_norm: Option<f32>,
    /// Passes over each iteration's samples.
    pub epochs: usize,
    /// Samples per minibatch.
    pub minibatch_size: usize,
    /// Episodes collected per iteration (over all environment copies).
    pub episodes_per_iteration: usize,
    /// Advantage standardisation: `none`, `minibatch` or `batch`.
    pub advantage_norm: AdvantageNorm,
}

fn default_kl_target() -> f32 {
    0.01
}

/// Network shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Hidden layer widths (actor and critic each).
    pub hidden: Vec<usize>,
    /// Floor added to softplus in the Dirichlet head.
    pub alpha_floor: f64,
    /// Hidden-layer nonlinearity: `relu` or `tanh`.
    #[serde(default)]
    pub activation: Activation,
}

/// Rollout parallelism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutConfig {
    /// Environment copies stepped in lock-step (episodes per iteration must be a multiple).
    pub envs: usize,
    /// Worker threads for rollouts and for the update's minibatch shards
    /// (results depend on the seed and this count only).
    pub threads: usize,
}

/// Training on a new federation every episode, drawn from the scenario's
/// generator ([`dfaas_env::scenario::Family`]): ranges of node counts and of
/// the generator's degree parameter (`k` or `m`), both inclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<[usize; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degree: Option<[usize; 2]>,
}

/// A whole training experiment, after the preset is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Scenario file.
    pub scenario: PathBuf,
    /// Name of the preset the values started from.
    pub preset: String,
    pub mode: Mode,
    pub encoding: EncodingChoice,
    /// The reward maximised.
    #[serde(default)]
    pub reward: RewardChoice,
    /// What the critic sees.
    #[serde(default)]
    pub critic: CriticInput,
    pub seed: u64,
    /// Training iterations.
    pub iterations: usize,
    /// Checkpoint every N iterations (and at the end).
    pub checkpoint_every: usize,
    /// Neighbour slots of a shared normalized network (default: the
    /// scenario's largest degree). Wider, the policy also acts on nodes of
    /// higher degree than any in the training scenario (other federations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_degree: Option<usize>,
    /// A new federation every episode (`[family]`); needs `max_degree`, the
    /// shared mode and a local critic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<FamilyConfig>,
    pub ppo: PpoConfig,
    pub network: NetworkConfig,
    pub rollout: RolloutConfig,
}

/// The file as written: everything optional but the scenario.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    scenario: Option<PathBuf>,
    preset: Option<String>,
    mode: Option<Mode>,
    encoding: Option<EncodingChoice>,
    reward: Option<RewardChoice>,
    critic: Option<CriticInput>,
    seed: Option<u64>,
    iterations: Option<usize>,
    checkpoint_every: Option<usize>,
    max_degree: Option<usize>,
    family: Option<FamilyConfig>,
    ppo: Option<toml::Table>,
    network: Option<toml::Table>,
    rollout: Option<toml::Table>,
}

/// A bad experiment file or value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}: {message}")]
    Parse { file: PathBuf, message: String },
    #[error("{file}: field `{field}` = {value}: {reason}")]
    Invalid { file: PathBuf, field: String, value: String, reason: String },
    /// The scenario, or the family drawn from it, is unusable.
    #[error(transparent)]
    Scenario(#[from] dfaas_env::ConfigError),
}

/// Names of the presets.
pub const PRESETS: &[&str] = &["default", "paper", "master"];

impl TrainConfig {
    /// The preset `name` for `scenario` (`None` for an unknown name).
    ///
    /// * `paper`: marl-dfaas paise2025 (IPDPSW 2025) — RLlib 2.40 PPO defaults:
    ///   γ 0.99, λ 1.0, lr 5e-5, 30 epochs, minibatch 128, 4320 env steps per
    ///   iteration (15 episodes), [256, 256] tanh, clip 0.3, value loss clamped
    ///   at 10 (`vf_clip_param`), KL penalty 0.2 adapted towards 0.01, advantages
    ///   standardised over the batch, no entropy bonus, no gradient clipping,
    ///   independent policies on the fidelity layout, the model's own reward,
    ///   300 iterations.
    /// * `master`: marl-dfaas master — γ 0.7, λ 0.3, entropy 0.02 → 1e-6 over
    ///   70 % of the steps, 4×256 tanh, 30 epochs, minibatch 144, one episode per
    ///   iteration, the RLlib defaults above otherwise, 2000 iterations,
    ///   independent, fidelity.
    /// * `default`: ours — one shared network on the normalized encoding, [64, 64]
    ///   ReLU, the federation (team) reward, γ 0 and λ 0 where the model carries
    ///   no state between slots (serverless, capacity: each slot is a contextual
    ///   bandit) and γ 0.9, λ 0.9 for the queue model, a central critic on the
    ///   capacity model (local elsewhere), lr 1e-3, 2 epochs,
    ///   minibatch 2048, 16 episodes per iteration, 300 iterations, entropy 0.01 → 0 over 80 %,
    ///   global gradient norm 0.5, clip 0.2, advantages standardised per
    ///   minibatch.
    pub fn preset(name: &str, scenario: PathBuf) -> Option<Self> {
        let base =
            |preset: &str, mode, encoding, reward, iterations, ppo, hidden: Vec<usize>, activation, envs| TrainConfig {
                scenario: scenario.clone(),
                preset: preset.to_string(),
                mode,
                encoding,
                reward,
                critic: CriticInput::Local,
                seed: 1,
                iterations,
                checkpoint_every: 25,
                max_degree: None,
                family: None,
                ppo,
                network: NetworkConfig { hidden, alpha_floor: 1e-3, activation },
                rollout: RolloutConfig { envs, threads: 2 },
            };
        // RLlib 2.40's PPO defaults, as both marl-dfaas versions ran them.
        let rllib = PpoConfig {
            gamma: 0.99,
            gae_lambda: 1.0,
            lr: 5e-5,
            lr_anneal: false,
            clip: 0.3,
            vf_coef: 1.0,
            vf_clip: Some(10.0),
            vf_clip_kind: ValueClip::Loss,
            kl_coeff: 0.2,
            kl_target: 0.01,
            target_kl: None,
            entropy_start: 0.0,
            entropy_end: 0.0,
            entropy_decay_fraction: 1.0,
            max_grad_norm: None,
            epochs: 30,
            minibatch_size: 128,
            episodes_per_iteration: 15,
            advantage_norm: AdvantageNorm::Batch,
        };
        Some(match name {
            "paper" => base(
                "paper",
                Mode::Independent,
                EncodingChoice::Fidelity,
                RewardChoice::Env,
                300,
                rllib,
                vec![256, 256],
                Activation::Tanh,
                15,
            ),
            "master" => base(
                "master",
                Mode::Independent,
                EncodingChoice::Fidelity,
                RewardChoice::Env,
                2000,
                PpoConfig {
                    gamma: 0.7,
                    gae_lambda: 0.3,
                    entropy_start: 0.02,
                    entropy_end: 1e-6,
                    entropy_decay_fraction: 0.7,
                    minibatch_size: 144,
                    episodes_per_iteration: 1,
                    ..rllib
                },
                vec![256, 256, 256, 256],
                Activation::Tanh,
                1,
            ),
            "default" => {
                let kind = model_kind(&scenario);
                let stateless = kind.is_some_and(|k| k != "queue");
                let (gamma, gae_lambda) = if stateless { (0.0, 0.0) } else { (0.9, 0.9) };
                // Measured (README): the central critic helps the capacity
                // model, changes nothing on the serverless one at a third
                // less throughput, and loses on the queue model; beyond
                // CENTRAL_CRITIC_MAX_NODES it does not scale.
                let central = kind == Some("capacity") && node_count(&scenario) <= CENTRAL_CRITIC_MAX_NODES;
                let critic = if central { CriticInput::Central } else { CriticInput::Local };
                let mut cfg = base(
                    "default",
                    Mode::Shared,
                    EncodingChoice::Normalized,
                    RewardChoice::Team,
                    300,
                    PpoConfig {
                        gamma,
                        gae_lambda,
                        lr: 1e-3,
                        lr_anneal: false,
                        clip: 0.2,
                        vf_coef: 0.5,
                        vf_clip: None,
                        vf_clip_kind: ValueClip::Loss,
                        kl_coeff: 0.0,
                        kl_target: 0.01,
                        target_kl: None,
                        entropy_start: 0.01,
                        entropy_end: 0.0,
                        entropy_decay_fraction: 0.8,
                        max_grad_norm: Some(0.5),
                        epochs: 2,
                        minibatch_size: 2048,
                        episodes_per_iteration: 16,
                        advantage_norm: AdvantageNorm::Minibatch,
                    },
                    vec![64, 64],
                    Activation::Relu,
                    16,
                );
                cfg.critic = critic;
                cfg
            }
            _ => return None,
        })
    }

    /// Reads an experiment file: the preset, then every field given in the
    /// file. The scenario path resolves relative to the file's folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.into(), source })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses experiment TOML (`path` for messages and relative paths).
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let parse =
            |e: toml::de::Error| ConfigError::Parse { file: path.into(), message: e.to_string().trim_end().into() };
        let raw: RawConfig = toml::from_str(text).map_err(parse)?;
        let scenario = raw.scenario.clone().ok_or_else(|| ConfigError::Invalid {
            file: path.into(),
            field: "scenario".into(),
            value: "missing".into(),
            reason: "name the scenario file".into(),
        })?;
        let scenario = if scenario.is_relative() {
            path.parent().map(|d| d.join(&scenario)).unwrap_or(scenario)
        } else {
            scenario
        };
        let preset = raw.preset.clone().unwrap_or_else(|| "default".into());
        let mut cfg = Self::preset(&preset, scenario).ok_or_else(|| ConfigError::Invalid {
            file: path.into(),
            field: "preset".into(),
            value: preset.clone(),
            reason: format!("unknown preset; known: {}", PRESETS.join(", ")),
        })?;
        cfg.apply(raw, path)?;
        cfg.validate(path)?;
        if let Some(f) = &cfg.family {
            // Checked here, where errors can name this file and `family.*`.
            let s = dfaas_env::Scenario::load(&cfg.scenario)?;
            dfaas_env::scenario::Family::new(s, f.nodes, f.degree, path)?;
        }
        Ok(cfg)
    }

    fn apply(&mut self, raw: RawConfig, path: &Path) -> Result<(), ConfigError> {
        if let Some(m) = raw.mode {
            self.mode = m;
        }
        if let Some(e) = raw.encoding {
            self.encoding = e;
        }
        if let Some(r) = raw.reward {
            self.reward = r;
        }
        if let Some(c) = raw.critic {
            self.critic = c;
        }
        if let Some(s) = raw.seed {
            self.seed = s;
        }
        if let Some(i) = raw.iterations {
            self.iterations = i;
        }
        if let Some(c) = raw.checkpoint_every {
            self.checkpoint_every = c;
        }
        if let Some(d) = raw.max_degree {
            self.max_degree = Some(d);
        }
        if let Some(f) = raw.family {
            self.family = Some(f);
            // One critic input per federation size is impossible: local.
            if raw.critic.is_none() {
                self.critic = CriticInput::Local;
            }
        }
        self.ppo = overlay(&self.ppo, raw.ppo, "ppo", path)?;
        self.network = overlay(&self.network, raw.network, "network", path)?;
        self.rollout = overlay(&self.rollout, raw.rollout, "rollout", path)?;
        Ok(())
    }

    /// Checks every value; errors name the field and value.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |field: &str, value: String, reason: &str| {
            Err(ConfigError::Invalid { file: path.into(), field: field.into(), value, reason: reason.into() })
        };
        let p = &self.ppo;
        if !(0.0..=1.0).contains(&p.gamma) {
            return bad("ppo.gamma", p.gamma.to_string(), "must be in [0, 1]");
        }
        if !(0.0..=1.0).contains(&p.gae_lambda) {
            return bad("ppo.gae_lambda", p.gae_lambda.to_string(), "must be in [0, 1]");
        }
        if !(p.lr.is_finite() && p.lr > 0.0) {
            return bad("ppo.lr", p.lr.to_string(), "must be positive");
        }
        if !(p.clip.is_finite() && p.clip > 0.0) {
            return bad("ppo.clip", p.clip.to_string(), "must be positive");
        }
        if p.epochs == 0 {
            return bad("ppo.epochs", "0".into(), "must be at least 1");
        }
        if p.minibatch_size == 0 {
            return bad("ppo.minibatch_size", "0".into(), "must be at least 1");
        }
        if p.episodes_per_iteration == 0 {
            return bad("ppo.episodes_per_iteration", "0".into(), "must be at least 1");
        }
        if let Some(c) = p.vf_clip
            && !(c.is_finite() && c > 0.0)
        {
            return bad("ppo.vf_clip", c.to_string(), "must be positive");
        }
        if !(p.kl_coeff.is_finite() && p.kl_coeff >= 0.0) {
            return bad("ppo.kl_coeff", p.kl_coeff.to_string(), "must be ≥ 0");
        }
        if !(p.kl_target.is_finite() && p.kl_target > 0.0) {
            return bad("ppo.kl_target", p.kl_target.to_string(), "must be positive");
        }
        if let Some(t) = p.target_kl
            && !(t.is_finite() && t > 0.0)
        {
            return bad("ppo.target_kl", t.to_string(), "must be positive");
        }
        if let Some(g) = p.max_grad_norm
            && !(g.is_finite() && g > 0.0)
        {
            return bad("ppo.max_grad_norm", g.to_string(), "must be positive");
        }
        if !(0.0..=1.0).contains(&p.entropy_decay_fraction) {
            return bad("ppo.entropy_decay_fraction", p.entropy_decay_fraction.to_string(), "must be in [0, 1]");
        }
        if self.rollout.envs == 0 || !p.episodes_per_iteration.is_multiple_of(self.rollout.envs) {
            return bad(
                "rollout.envs",
                self.rollout.envs.to_string(),
                &format!("must divide ppo.episodes_per_iteration ({})", p.episodes_per_iteration),
            );
        }
        if self.rollout.threads == 0 {
            return bad("rollout.threads", "0".into(), "must be at least 1");
        }
        if self.network.hidden.contains(&0) {
            return bad("network.hidden", format!("{:?}", self.network.hidden), "widths must be positive");
        }
        if self.iterations == 0 {
            return bad("iterations", "0".into(), "must be at least 1");
        }
        if let Some(f) = &self.family {
            let shown = format!("{f:?}");
            if self.max_degree.is_none() {
                return bad("family", shown, "needs max_degree: one network width for every federation drawn");
            }
            if self.mode != Mode::Shared || self.critic != CriticInput::Local {
                return bad(
                    "family",
                    shown,
                    "needs mode = \"shared\" and critic = \"local\" (agents vary per episode)",
                );
            }
        }
        if self.mode == Mode::Shared && self.encoding == EncodingChoice::Fidelity {
            return bad("encoding", "fidelity".into(), "a shared network needs the normalized encoding");
        }
        Ok(())
    }

    /// Entropy coefficient after `agent_steps` of `total` agent steps.
    pub fn entropy_coef(&self, agent_steps: u64, total: u64) -> f32 {
        let p = &self.ppo;
        let horizon = p.entropy_decay_fraction as f64 * total as f64;
        if horizon <= 0.0 {
            return p.entropy_end;
        }
        let f = (agent_steps as f64 / horizon).min(1.0) as f32;
        p.entropy_start + (p.entropy_end - p.entropy_start) * f
    }
}

/// Applies the fields of `table` over `base` (unknown keys are errors).
fn overlay<T: Serialize + for<'de> Deserialize<'de>>(
    base: &T,
    table: Option<toml::Table>,
    section: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    let Some(table) = table else {
        return Ok(serde_json_roundtrip(base));
    };
    let mut merged =
        toml::Table::try_from(base).map_err(|e| ConfigError::Parse { file: path.into(), message: e.to_string() })?;
    let base_table = merged.clone();
    for (k, v) in table {
        if !merged.contains_key(&k) && !optional_key(section, &k) {
            return Err(ConfigError::Invalid {
                file: path.into(),
                field: format!("{section}.{k}"),
                value: v.to_string(),
                reason: "unknown field".into(),
            });
        }
        // Each field alone over the preset, so that a bad value (a wrong type,
        // an unknown name) is reported with its field and value.
        let mut one = base_table.clone();
        one.insert(k.clone(), v.clone());
        if let Err(e) = one.try_into::<T>() {
            let reason = e.to_string();
            let reason = reason.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
            return Err(ConfigError::Invalid {
                file: path.into(),
                field: format!("{section}.{k}"),
                value: v.to_string(),
                reason,
            });
        }
        merged.insert(k, v);
    }
    merged.try_into().map_err(|e: toml::de::Error| ConfigError::Parse {
        file: path.into(),
        message: format!("[{section}] {}", e.to_string().trim_end()),
    })
}

fn optional_key(section: &str, key: &str) -> bool {
    matches!((section, key), ("ppo", "vf_clip") | ("ppo", "max_grad_norm") | ("ppo", "target_kl"))
}

/// Whether the scenario at `path` uses a model with no state carried between
/// slots (serverless, capacity); `None` if it cannot be read (the trainer
/// reports that error when it loads the scenario).
/// The scenario's model kind (`queue`, `serverless`, `capacity`), if it loads.
fn model_kind(path: &Path) -> Option<&'static str> {
    let s = dfaas_env::Scenario::load(path).ok()?;
    Some(s.model.kind())
}

/// Nodes of the scenario (0 when it cannot be read here; the trainer then
/// reports the file's own error).
fn node_count(path: &Path) -> usize {
    dfaas_env::Scenario::load(path).ok().and_then(|s| s.build_topology().ok()).map_or(0, |t| t.len())
}

/// Up to this many nodes the default preset gives the capacity model a
/// central critic; its input is every agent's observation, so its memory and
/// time grow with the square of the node count (100 nodes: 5.0 GB peak and
/// 10.4 k agent-steps/s, against 176 MB and 81 k with the local critic).
pub const CENTRAL_CRITIC_MAX_NODES: usize = 16;

fn serde_json_roundtrip<T: Serialize + for<'de> Deserialize<'de>>(v: &T) -> T {
    toml::Table::try_from(v).ok().and_then(|t| t.try_into().ok()).expect("config round-trips through TOML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_overrides() {
        let p = Path::new("/x/exp.toml");
        let c =
            TrainConfig::from_toml_str("scenario = \"s.toml\"\npreset = \"paper\"\n[ppo]\ngamma = 0.5\n", p).unwrap();
        assert_eq!(c.scenario, PathBuf::from("/x/s.toml"));
        assert_eq!(c.ppo.gamma, 0.5);
        assert_eq!(c.ppo.gae_lambda, 1.0);
        assert_eq!(c.ppo.lr, 5e-5);
        assert_eq!((c.ppo.epochs, c.ppo.minibatch_size, c.ppo.episodes_per_iteration), (30, 128, 15));
        assert_eq!(c.network.hidden, vec![256, 256]);
        assert_eq!(c.network.activation, Activation::Tanh);
        assert_eq!((c.ppo.kl_coeff, c.ppo.kl_target, c.ppo.advantage_norm), (0.2, 0.01, AdvantageNorm::Batch));
        assert_eq!((c.ppo.vf_clip, c.ppo.vf_clip_kind), (Some(10.0), ValueClip::Loss));
        let c = TrainConfig::from_toml_str("scenario = \"s.toml\"\n[network]\nactivation = \"tanh\"\n", p).unwrap();
        assert_eq!((c.network.activation, c.reward), (Activation::Tanh, RewardChoice::Team));
        let m = TrainConfig::preset("master", "s".into()).unwrap();
        assert_eq!((m.ppo.gamma, m.ppo.gae_lambda, m.ppo.entropy_start), (0.7, 0.3, 0.02));
        assert_eq!(m.network.hidden, vec![256; 4]);
        // Entropy decays linearly over 70 % of the steps, then stays.
        assert!((m.entropy_coef(0, 100) - 0.02).abs() < 1e-9);
        assert!((m.entropy_coef(35, 100) - 0.0100005).abs() < 1e-6);
        assert!((m.entropy_coef(90, 100) - 1e-6).abs() < 1e-9);
    }

    #[test]
    fn default_preset_discounts_only_where_state_carries_over() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios");
        for (name, gamma, critic) in [
            ("marl-master-5", 0.0, CriticInput::Local),
            ("dfaas-cloudnet21", 0.0, CriticInput::Central),
            ("capacity-5", 0.0, CriticInput::Central),
            ("marl-paper-5", 0.9, CriticInput::Local),
            // A capacity federation beyond CENTRAL_CRITIC_MAX_NODES: local.
            ("scale/capacity-geo-100", 0.0, CriticInput::Local),
        ] {
            let c = TrainConfig::preset("default", dir.join(format!("{name}.toml"))).unwrap();
            assert_eq!((c.ppo.gamma, c.ppo.gae_lambda), (gamma, gamma), "{name}");
            assert_eq!(c.critic, critic, "{name}");
            assert_eq!((c.reward, c.network.activation), (RewardChoice::Team, Activation::Relu));
        }
        // A file's own γ wins over the preset's choice.
        let p = dir.join("exp.toml");
        let c = TrainConfig::from_toml_str("scenario = \"marl-master-5.toml\"\n[ppo]\ngamma = 0.5\n", &p).unwrap();
        assert_eq!(c.ppo.gamma, 0.5);
    }

    #[test]
    fn errors_name_field_and_value() {
        let p = Path::new("exp.toml");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\n[ppo]\ngamma = 1.5\n", p).unwrap_err().to_string();
        assert!(e.contains("exp.toml") && e.contains("ppo.gamma") && e.contains("1.5"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\n[ppo]\ngama = 0.5\n", p).unwrap_err().to_string();
        assert!(e.contains("ppo.gama"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\ncritic = \"global\"\n", p).unwrap_err().to_string();
        assert!(e.contains("exp.toml") && e.contains("critic") && e.contains("global"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\nencoding = \"normalised\"\n", p).unwrap_err().to_string();
        assert!(e.contains("exp.toml") && e.contains("encoding") && e.contains("normalised"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\npreset = \"fast\"\n", p).unwrap_err().to_string();
        assert!(e.contains("preset") && e.contains("fast"), "{e}");
        let e = TrainConfig::from_toml_str("preset = \"paper\"\n", p).unwrap_err().to_string();
        assert!(e.contains("scenario"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\n[rollout]\nenvs = 5\n", p).unwrap_err().to_string();
        assert!(e.contains("rollout.envs") && e.contains('5'), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\n[network]\nactivation = \"sigmoid\"\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("exp.toml") && e.contains("network.activation") && e.contains("sigmoid"), "{e}");
        assert!(e.contains("relu") && e.contains("tanh"), "the known names are listed: {e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\nreward = \"selfless\"\n", p).unwrap_err().to_string();
        assert!(e.contains("exp.toml") && e.contains("reward") && e.contains("selfless"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\n[ppo]\ngamma = -0.1\n", p).unwrap_err().to_string();
        assert!(e.contains("ppo.gamma") && e.contains("-0.1"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\n[ppo]\nadvantage_norm = \"global\"\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ppo.advantage_norm") && e.contains("global"), "{e}");
        let e = TrainConfig::from_toml_str("scenario = \"s\"\nmode = \"shared\"\nencoding = \"fidelity\"\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("encoding"), "{e}");
    }
}
