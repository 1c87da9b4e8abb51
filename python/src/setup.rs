//! Building a simulator from what Python passes: a scenario (a shipped name
//! or a TOML path) and keyword overrides, checked with errors that name them.

use dfaas_env::encoding::{Encoder, Encoding};
use dfaas_env::reward::RewardChoice;
use dfaas_env::{Scenario, Simulator};
use pyo3::prelude::*;

use crate::actions::{ActionFormat, ActionLayout};
use crate::errors;

/// What every environment of the package is built from.
pub struct Built {
    pub sim: Simulator,
    pub encoder: Encoder,
    pub layout: ActionLayout,
    pub reward: RewardChoice,
    pub format: ActionFormat,
    /// The first seed of the episode-seed sequence (the scenario's master
    /// seed unless `seed` overrides it).
    pub master_seed: u64,
}

/// Loads `scenario` (a path, or the name of a shipped scenario such as
/// `marl-master-5`) and applies the overrides.
pub fn build(
    scenario: &str,
    max_steps: Option<usize>,
    seed: Option<u64>,
    reward: &str,
    action: &str,
) -> PyResult<Built> {
    let path = crate::shipped::resolve(scenario)?;
    let mut s = Scenario::load(&path).map_err(errors::scenario)?;
    if let Some(m) = max_steps {
        if m == 0 {
            return Err(errors::scenario(format!("max_steps = 0: an episode needs at least one slot ({scenario})")));
        }
        s.episode.max_steps = m;
    }
    let reward = RewardChoice::parse(reward).ok_or_else(|| {
        errors::scenario(format!("reward = {reward:?}: unknown; known: {}", RewardChoice::NAMES.join(", ")))
    })?;
    let format = ActionFormat::parse(action).ok_or_else(|| {
        errors::scenario(format!("action = {action:?}: unknown; known: {}", ActionFormat::NAMES.join(", ")))
    })?;
    let master_seed = seed.unwrap_or(s.seeds.master);
    let sim = Simulator::new(&s).map_err(errors::scenario)?;
    let topo = sim.topology();
    let encoder = Encoder::new(Encoding::normalized(topo.max_degree(), sim.observation_period_slots()), topo);
    let layout = ActionLayout::new(&sim);
    Ok(Built { sim, encoder, layout, reward, format, master_seed })
}
