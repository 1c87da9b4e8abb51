//! `best-fixed`: the best split each node keeps fixed for a whole episode
//! (its own fractions to keep, forward to each neighbour and reject), found
//! by search on training episodes and evaluated like any policy.
//!
//! It is the strongest static baseline, and on a scenario whose inputs are
//! drawn independently every slot it also bounds every decentralised policy:
//! what a node observes (its forecast, its neighbours' state one slot old)
//! is then independent of the slot's inputs, so its decision is too, and the
//! expected processed requests of decisions independent of the inputs are at
//! most those of the best fixed decisions. A learned policy on such a
//! scenario can only approach it; the oracle, which sees the slot's inputs,
//! can exceed it.
//!
//! Search: start from the oracle's average split on the training episodes,
//! then move mass between two actions of one node in steps of 0.05, 0.02,
//! 0.01 and 0.005 while the training episodes' processed ratio improves.

use dfaas_env::reference::Oracle;
use dfaas_env::{Decision, NodeObservation, Scenario, Simulator};
use dfaas_policies::Policy;

use crate::runner::RunError;

/// Training episodes the search plays (seeds ≥ 2³², never evaluation seeds).
pub const SEARCH_EPISODES: usize = 24;

/// The training seeds of the search.
pub fn search_seeds() -> Vec<u64> {
    (0..SEARCH_EPISODES as u64).map(|k| (1 << 32) + 0x9E37 * k + 11).collect()
}

/// Processed share of the inputs over `seeds` with every node keeping `split`.
fn score(sim: &mut Simulator, split: &[Vec<f64>], seeds: &[u64]) -> Result<f64, RunError> {
    let decisions: Vec<Decision> = split
        .iter()
        .map(|w| Decision::from_weights(w.clone()).map_err(|e| RunError::Unsupported(e.to_string())))
        .collect::<Result<_, _>>()?;
    let (mut processed, mut input) = (0u64, 0u64);
    for &seed in seeds {
        sim.reset_episode(Some(seed));
        while !sim.is_done() {
            sim.advance(&decisions)?;
            for o in sim.outcomes() {
                processed += o.processed as u64;
                input += o.input as u64;
            }
        }
    }
    Ok(if input == 0 { 1.0 } else { processed as f64 / input as f64 })
}

/// The oracle's average split per node on `seeds` (`[local, fwd…, reject]`).
fn oracle_split(sim: &mut Simulator, seeds: &[u64]) -> Result<Vec<Vec<f64>>, RunError> {
    let mut oracle = Oracle::new(sim).map_err(|e| RunError::Unsupported(e.to_string()))?;
    let topo = sim.topology().clone();
    let mut sums: Vec<Vec<f64>> = (0..topo.len()).map(|i| vec![0.0; topo.degree(i) + 2]).collect();
    for &seed in seeds {
        sim.reset_episode(Some(seed));
        while !sim.is_done() {
            let d = oracle.decide_all(sim);
            sim.advance(&d)?;
            for (s, o) in sums.iter_mut().zip(sim.outcomes()) {
                s[0] += o.local as f64;
                for (k, f) in o.forwarded.iter().enumerate() {
                    s[1 + k] += *f as f64;
                }
                let last = s.len() - 1;
                s[last] += o.rejected as f64;
            }
        }
    }
    Ok(sums
        .into_iter()
        .map(|s| {
            let total: f64 = s.iter().sum();
            if total > 0.0 { s.iter().map(|x| x / total).collect() } else { local_only(s.len()) }
        })
        .collect())
}

fn local_only(len: usize) -> Vec<f64> {
    let mut v = vec![0.0; len];
    v[0] = 1.0;
    v
}

/// The best fixed split per node for `scenario` (see the module docs), and
/// its processed share on the search's training episodes.
pub fn search(scenario: &Scenario) -> Result<(Vec<Vec<f64>>, f64), RunError> {
    let mut sim = Simulator::new(scenario).map_err(|e| RunError::Unsupported(e.to_string()))?;
    let seeds = search_seeds();
    let mut split = oracle_split(&mut sim, &seeds)?;
    let mut best = score(&mut sim, &split, &seeds)?;
    for step in [0.05, 0.02, 0.01, 0.005] {
        let mut improved = true;
        let mut sweeps = 0;
        while improved && sweeps < 50 {
            improved = false;
            sweeps += 1;
            for i in 0..split.len() {
                let k = split[i].len();
                for from in 0..k {
                    for to in 0..k {
                        if from == to || split[i][from] < step {
                            continue;
                        }
                        split[i][from] -= step;
                        split[i][to] += step;
                        let s = score(&mut sim, &split, &seeds)?;
                        if s > best + 1e-12 {
                            best = s;
                            improved = true;
                        } else {
                            split[i][from] += step;
                            split[i][to] -= step;
                        }
                    }
                }
            }
        }
    }
    Ok((split, best))
}

/// One node's fixed split as a per-node policy.
#[derive(Debug, Clone)]
pub struct FixedSplit(pub Decision);

impl Policy for FixedSplit {
    fn name(&self) -> &str {
        "best-fixed"
    }

    fn decide(&mut self, _obs: &NodeObservation) -> Decision {
        self.0.clone()
    }

    /// Found with the scenario's workload in hand, not deployable as is.
    fn simulator_only(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On capacity-5 (inputs drawn anew each slot) the searched split is a
    /// valid split per node and no uniform static split does better on the
    /// search's episodes.
    #[test]
    fn the_search_beats_every_uniform_static_split_on_its_episodes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/capacity-5.toml");
        let scenario = Scenario::load(&path).unwrap();
        let (split, best) = search(&scenario).unwrap();
        let mut sim = Simulator::new(&scenario).unwrap();
        assert_eq!(split.len(), sim.topology().len());
        for (i, w) in split.iter().enumerate() {
            assert_eq!(w.len(), sim.topology().degree(i) + 2);
            assert!(w.iter().all(|x| *x >= -1e-9) && (w.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{w:?}");
        }
        let seeds = search_seeds();
        assert!((score(&mut sim, &split, &seeds).unwrap() - best).abs() < 1e-12, "same seeds, same score");
        for local in [0.2, 0.4, 0.6, 0.8, 1.0] {
            let uniform: Vec<Vec<f64>> = (0..split.len())
                .map(|i| {
                    let k = sim.topology().degree(i);
                    let mut w = vec![(1.0 - local) / k as f64; k + 2];
                    w[0] = local;
                    w[k + 1] = 0.0;
                    w
                })
                .collect();
            let s = score(&mut sim, &uniform, &seeds).unwrap();
            assert!(best >= s, "static:local={local} {s} beats the search's {best}");
        }
    }
}
