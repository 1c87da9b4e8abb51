//! Checkpoints: networks, optimiser states, observation statistics and
//! counters, so that `dfaas train --resume RUN_DIR` continues a run.
//!
//! Layout: `RUN_DIR/checkpoints/iter-NNNNNN/{actor-G.bin, critic-G.bin,
//! opt-actor-G.bin, opt-critic-G.bin, state.json}` and
//! `RUN_DIR/checkpoints/latest` naming the newest one.

use std::fs;
use std::path::{Path, PathBuf};

use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::nets::NetConfig;
use crate::obs_norm::RunningStats;
use crate::persist;
use crate::ppo::{Learner, adam};

/// Counters and statistics saved with the networks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Iterations completed.
    pub iteration: usize,
    pub agent_steps: u64,
    /// Wall time spent training so far, seconds.
    pub wall_seconds: f64,
    /// Observation statistics per network (all the samples seen so far: the
    /// next rollout normalises with them).
    pub obs_stats: Vec<RunningStats>,
    /// The statistics the current weights were trained with (those of the
    /// last rollout): exported with the weights. Empty before the first
    /// iteration and in checkpoints older than this field.
    #[serde(default)]
    pub trained_obs_stats: Vec<RunningStats>,
    /// The KL penalty coefficient per network, as adapted so far.
    #[serde(default)]
    pub kl_coeff: Vec<f32>,
    /// Mean episode processed ratio of the last iteration.
    pub last_processed_ratio: f64,
    pub last_reward: f64,
}

/// A checkpoint failure, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct CheckpointError {
    pub file: PathBuf,
    pub reason: String,
}

fn err(file: &Path, reason: impl ToString) -> CheckpointError {
    CheckpointError { file: file.to_path_buf(), reason: reason.to_string() }
}

/// Folder of checkpoints of a run.
pub fn dir(run: &Path) -> PathBuf {
    run.join("checkpoints")
}

/// Writes a checkpoint and points `latest` at it.
pub fn save(run: &Path, learners: &[Learner], state: &State) -> Result<PathBuf, CheckpointError> {
    let d = dir(run).join(format!("iter-{:06}", state.iteration));
    fs::create_dir_all(&d).map_err(|e| err(&d, e))?;
    for (g, l) in learners.iter().enumerate() {
        let write = |name: String, bytes: Vec<u8>| -> Result<(), CheckpointError> {
            let p = d.join(name);
            fs::write(&p, bytes).map_err(|e| err(&p, e))
        };
        write(format!("actor-{g}.bin"), persist::to_bytes(&l.actor).map_err(|e| err(&d, e))?)?;
        write(format!("critic-{g}.bin"), persist::to_bytes(&l.critic).map_err(|e| err(&d, e))?)?;
        write(format!("opt-actor-{g}.bin"), l.opt_actor.into_bytes().map_err(|e| err(&d, e))?.to_vec())?;
        write(format!("opt-critic-{g}.bin"), l.opt_critic.into_bytes().map_err(|e| err(&d, e))?.to_vec())?;
    }
    let p = d.join("state.json");
    fs::write(&p, serde_json::to_vec_pretty(state).expect("state serialises")).map_err(|e| err(&p, e))?;
    let latest = dir(run).join("latest");
    fs::write(&latest, d.file_name().unwrap().to_string_lossy().as_bytes()).map_err(|e| err(&latest, e))?;
    Ok(d)
}

/// The newest checkpoint folder of a run.
pub fn latest(run: &Path) -> Result<PathBuf, CheckpointError> {
    let l = dir(run).join("latest");
    let name = fs::read_to_string(&l).map_err(|e| err(&l, format!("no checkpoint to resume from ({e})")))?;
    Ok(dir(run).join(name.trim()))
}

/// Loads the learners and state of checkpoint folder `d`.
pub fn load(
    d: &Path,
    nets: &[NetConfig],
    compute: crate::compute::Compute,
) -> Result<(Vec<Learner>, State), CheckpointError> {
    let device = &compute.train();
    let read = |name: String| -> Result<Vec<u8>, CheckpointError> {
        let p = d.join(name);
        fs::read(&p).map_err(|e| err(&p, e))
    };
    let mut learners = Vec::new();
    for (g, cfg) in nets.iter().enumerate() {
        let actor = cfg.init_actor(device).map_err(|e| err(d, e))?;
        let critic = cfg.init_critic(device).map_err(|e| err(d, e))?;
        let actor = persist::load_bytes(actor, &read(format!("actor-{g}.bin"))?).map_err(|e| err(d, e))?;
        let critic = persist::load_bytes(critic, &read(format!("critic-{g}.bin"))?).map_err(|e| err(d, e))?;
        let opt_actor =
            adam().from_bytes(Bytes::from_bytes_vec(read(format!("opt-actor-{g}.bin"))?)).map_err(|e| err(d, e))?;
        let opt_critic =
            adam().from_bytes(Bytes::from_bytes_vec(read(format!("opt-critic-{g}.bin"))?)).map_err(|e| err(d, e))?;
        learners.push(Learner { actor, critic, opt_actor, opt_critic, device: device.clone(), plain: compute.plain() });
    }
    let p = d.join("state.json");
    let state: State = serde_json::from_slice(&read("state.json".into())?).map_err(|e| err(&p, e))?;
    Ok((learners, state))
}
