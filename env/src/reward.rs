//! Which reward a learner maximises: the scenario model's own, the
//! rejection penalty of marl-dfaas master, or the federation ("team")
//! reward whose episode sum is the processed ratio every table reports.
//! Shared by `dfaas train` and the Python environments.

use serde::{Deserialize, Serialize};

use crate::contract::SlotOutcome;
use crate::sim::{Simulator, reward_rejects};

/// The reward the learner maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RewardChoice {
    /// The scenario model's own reward (marl-dfaas fidelity formulas).
    #[default]
    Env,
    /// `1 − (2R + LR + FR)/I` for every model: the marl-dfaas master reward,
    /// per agent (selfish: a forward that overloads a neighbour is charged
    /// partly to the neighbour's own requests).
    Rejections,
    /// The federation ("team") reward, the same for every agent: requests
    /// processed in the slot by the whole federation ÷ the episode's mean
    /// federation input per slot. An episode's rewards sum to `T ×` its
    /// processed ratio, the metric every table reports.
    Team,
}

impl RewardChoice {
    /// Names accepted on the command line, in experiment files and from Python.
    pub const NAMES: &'static [&'static str] = &["env", "rejections", "team"];

    /// The choice named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "env" => Some(Self::Env),
            "rejections" => Some(Self::Rejections),
            "team" => Some(Self::Team),
            _ => None,
        }
    }

    /// The name `parse` reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Env => "env",
            Self::Rejections => "rejections",
            Self::Team => "team",
        }
    }

    /// The rewards of the slot `sim` just played, one per agent, into `out`
    /// (cleared first). `team_scale` is [`mean_federation_input`] of the
    /// episode (used by [`RewardChoice::Team`] only).
    pub fn rewards(self, outcomes: &[SlotOutcome], team_scale: f64, out: &mut Vec<f64>) {
        out.clear();
        match self {
            Self::Env => out.extend(outcomes.iter().map(|o| o.reward)),
            Self::Rejections => out.extend(outcomes.iter().map(|o| {
                reward_rejects(o.input, o.rejected, o.local_rejects, o.forward_rejects_total() + o.forward_lost)
            })),
            Self::Team => {
                let team = outcomes.iter().map(|o| o.processed as f64).sum::<f64>() / team_scale;
                out.extend(std::iter::repeat_n(team, outcomes.len()));
            }
        }
    }
}

/// The team reward's scale: the episode's mean federation input per slot
/// (at least 1), known once the episode is reset.
pub fn mean_federation_input(sim: &Simulator) -> f64 {
    let total: u64 = sim.inputs().iter().flat_map(|v| v.iter()).map(|&x| x as u64).sum();
    (total as f64 / sim.max_steps().max(1) as f64).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_team_sums_to_processed() {
        for n in RewardChoice::NAMES {
            assert_eq!(RewardChoice::parse(n).unwrap().name(), *n);
        }
        assert!(RewardChoice::parse("selfish").is_none());
        let o = |input, processed, rejected| SlotOutcome {
            input,
            local: processed,
            processed,
            rejected,
            reward: 0.25,
            ..SlotOutcome::default()
        };
        let outs = [o(10, 8, 2), o(10, 10, 0)];
        let mut r = Vec::new();
        RewardChoice::Team.rewards(&outs, 20.0, &mut r);
        assert_eq!(r, vec![0.9, 0.9]);
        RewardChoice::Env.rewards(&outs, 20.0, &mut r);
        assert_eq!(r, vec![0.25, 0.25]);
        RewardChoice::Rejections.rewards(&outs, 20.0, &mut r);
        assert_eq!(r, vec![1.0 - 4.0 / 10.0, 1.0]);
    }
}
