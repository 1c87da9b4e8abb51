//! Export of a trained run as a self-describing policy file that
//! `dfaas-policies` loads for inference (simulator and live agent).

use std::path::{Path, PathBuf};

use dfaas_env::{Scenario, Simulator};
use dfaas_policies::PolicyFile;
use dfaas_policies::learned::{ActionLayout, Activation, Mode as FileMode, NetworkMeta, NodeEntry, PolicyMeta};

use crate::checkpoint;
use crate::config::{Mode, TrainConfig};
use crate::layout::Layout;
use crate::nets::NetConfig;
use crate::obs_norm::RunningStats;
use crate::ppo::Learner;
use crate::trainer::{CONFIG_FILE, TrainError};

/// Extension of exported policy files.
pub const EXTENSION: &str = "dfpolicy";

/// Builds the policy file of trained networks.
pub fn policy_file(
    cfg: &TrainConfig,
    scenario: &Scenario,
    layout: &Layout,
    learners: &[Learner],
    stats: &[RunningStats],
    training: serde_json::Value,
) -> Result<PolicyFile, TrainError> {
    let encoding = layout.encoder.encoding();
    let meta = PolicyMeta {
        format_version: dfaas_policies::learned::FORMAT_VERSION,
        encoding,
        encoding_version: encoding.version(),
        mode: match cfg.mode {
            Mode::Shared => FileMode::Shared,
            Mode::Independent => FileMode::Independent,
        },
        action_layout: if layout.three_way { ActionLayout::ThreeWay } else { ActionLayout::PerNeighbor },
        max_degree: layout.max_degree,
        nodes: match cfg.mode {
            Mode::Shared => Vec::new(),
            Mode::Independent => layout
                .agents
                .iter()
                .enumerate()
                .map(|(i, name)| NodeEntry {
                    name: name.clone(),
                    neighbors: layout.neighbors[i].clone(),
                    degree: layout.neighbors[i].len(),
                    network: layout.agent_net[i],
                })
                .collect(),
        },
        networks: Vec::new(),
        scenario: scenario.name.clone(),
        seed: cfg.seed,
        training,
        created_by: format!("dfaas {}", env!("CARGO_PKG_VERSION")),
    };
    let mut file = PolicyFile { meta, weights: Vec::new() };
    for (g, l) in learners.iter().enumerate() {
        let (mean, std) = stats[g].frozen();
        let shape = layout.nets[g];
        let net = NetworkMeta {
            input_dim: shape.obs_dim,
            output_dim: shape.action_dim,
            hidden: cfg.network.hidden.clone(),
            activation: match cfg.network.activation {
                crate::nets::Activation::Tanh => Activation::Tanh,
                crate::nets::Activation::Relu => Activation::Relu,
            },
            alpha_floor: l.actor.alpha_floor() as f32,
            obs_mean: mean,
            obs_std: std,
            layers: Vec::new(),
        };
        file.push_network(net, &l.actor.export_layers()).map_err(|e| TrainError::Other(e.to_string()))?;
    }
    Ok(file)
}

/// `out` with the policy extension if it has none.
pub fn output_path(out: &Path) -> PathBuf {
    if out.extension().is_some() { out.to_path_buf() } else { out.with_extension(EXTENSION) }
}

/// Exports the latest checkpoint of `run_dir` to `out`; returns the file written.
pub fn export_run(run_dir: &Path, out: &Path) -> Result<PathBuf, TrainError> {
    let file = run_policy_file(run_dir)?;
    let out = output_path(out);
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| TrainError::Io { path: parent.to_path_buf(), source })?;
    }
    file.write(&out).map_err(|source| TrainError::Io { path: out.clone(), source })?;
    Ok(out)
}

/// The policy file of the latest checkpoint of `run_dir`, in memory.
pub fn run_policy_file(run_dir: &Path) -> Result<PolicyFile, TrainError> {
    let p = run_dir.join(CONFIG_FILE);
    let text = std::fs::read(&p).map_err(|source| TrainError::Io { path: p.clone(), source })?;
    let cfg: TrainConfig =
        serde_json::from_slice(&text).map_err(|e| TrainError::Other(format!("{}: {e}", p.display())))?;
    let scenario = Scenario::load(&cfg.scenario)?;
    let sim = Simulator::new(&scenario)?;
    let layout = Layout::with_width(&sim, cfg.mode, cfg.encoding, cfg.max_degree)
        .map_err(TrainError::Other)?
        .with_critic(cfg.critic);
    let nets: Vec<NetConfig> = layout.net_configs(&cfg.network);
    let ck = checkpoint::latest(run_dir)?;
    let (learners, state) = checkpoint::load(&ck, &nets, crate::compute::Compute::Cpu)?;
    let training = serde_json::json!({
        "preset": cfg.preset,
        "iterations": state.iteration,
        "agent_steps": state.agent_steps,
        "wall_seconds": state.wall_seconds,
        "last_processed_ratio": state.last_processed_ratio,
        "last_reward_mean": state.last_reward,
        "config": cfg,
        "checkpoint": ck.file_name().map(|n| n.to_string_lossy().into_owned()),
    });
    // The statistics the weights were trained with (older checkpoints: the latest).
    let stats =
        if state.trained_obs_stats.len() == learners.len() { &state.trained_obs_stats } else { &state.obs_stats };
    policy_file(&cfg, &scenario, &layout, &learners, stats, training)
}
