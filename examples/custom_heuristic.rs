//! A heuristic of your own, implementing [`Policy`], played through the
//! [`MultiAgentEnv`] trait on the episodes `dfaas compare` uses, and put
//! beside the built-in heuristics and the oracle.
//!
//! `SpillToMostSpare` keeps what the node can serve, sends the excess to the
//! neighbour that advertised the most spare capacity (up to that spare), then
//! to the next, and keeps the rest local (the platform rejects what it cannot
//! serve). It sees exactly what a live node sees: its forecast, its capacity,
//! its neighbours' one-slot-old adverts.
//!
//! ```sh
//! cargo run --release --example custom_heuristic -- experiments/scenarios/capacity-5.toml 20
//! ```

use std::path::Path;

use anyhow::Result;
use dfaas_env::{Decision, MultiAgentEnv, NodeObservation, Scenario, Simulator};
use dfaas_experiments::Contender;
use dfaas_policies::Policy;

/// Excess over capacity to the neighbours with the most advertised spare first.
struct SpillToMostSpare;

impl Policy for SpillToMostSpare {
    fn name(&self) -> &str {
        "spill-to-most-spare"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let degree = obs.degree();
        let demand = obs.predicted_input;
        let mut excess = demand - obs.capacity;
        if demand <= 0.0 || excess <= 0.0 {
            return Decision::all_local(degree);
        }
        // Neighbours heard from, most spare first (an unheard one advertises nothing).
        let mut order: Vec<usize> = (0..degree).filter(|&k| obs.neighbors[k].is_known()).collect();
        order.sort_by(|&a, &b| obs.neighbors[b].spare_capacity.total_cmp(&obs.neighbors[a].spare_capacity));
        let mut counts = vec![0.0; degree + 2];
        for k in order {
            let give = excess.min(obs.neighbors[k].spare_capacity.max(0.0));
            counts[k + 1] = give;
            excess -= give;
        }
        counts[0] = demand - counts[1..=degree].iter().sum::<f64>();
        Decision::from_weights(counts).unwrap_or_else(|_| Decision::all_local(degree))
    }
}

/// The federation's processed ratio of each episode of `seeds`, playing
/// `make(node)` on every node through the environment trait.
fn play(scenario: &Scenario, seeds: &[u64], make: impl Fn(usize) -> Box<dyn Policy>) -> Result<Vec<f64>> {
    let mut env = Simulator::new(scenario)?;
    let n = env.agents().len();
    let mut ratios = Vec::with_capacity(seeds.len());
    for &seed in seeds {
        let mut policies: Vec<Box<dyn Policy>> = (0..n).map(&make).collect();
        let (mut obs, _) = env.reset(Some(seed))?;
        let (mut input, mut processed) = (0u64, 0u64);
        loop {
            let actions: Vec<Decision> = policies.iter_mut().zip(&obs).map(|(p, o)| p.decide(o)).collect();
            let step = env.step(&actions)?;
            input += step.infos.iter().map(|o| u64::from(o.input)).sum::<u64>();
            processed += step.infos.iter().map(|o| u64::from(o.processed)).sum::<u64>();
            obs = step.observations;
            if step.truncations.iter().all(|&t| t) {
                break;
            }
        }
        ratios.push(if input == 0 { 1.0 } else { processed as f64 / input as f64 });
    }
    Ok(ratios)
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Plays the custom policy and `slack-proportional` through the trait, and
/// every built-in with the references through `compare`, on the same episodes.
fn run(scenario_path: &Path, episodes: usize) -> Result<(Vec<f64>, Vec<f64>, dfaas_experiments::CompareReport)> {
    let scenario = Scenario::load(scenario_path)?;
    let seeds = dfaas_experiments::evaluation::evaluation_seeds(&scenario, None, episodes)?;
    let custom = play(&scenario, &seeds, |_| Box::new(SpillToMostSpare))?;
    let spec = dfaas_policies::PolicySpec::parse("slack-proportional")?;
    let slack = play(&scenario, &seeds, |i| dfaas_policies::build(&spec, i, 0).expect("a built-in heuristic"))?;
    let mut contenders = dfaas_experiments::evaluation::compare_contenders::<&Path>(&[], None)?;
    contenders.push(Contender::Oracle);
    let report = dfaas_experiments::compare(&scenario, &contenders, &seeds, false)?;
    Ok((custom, slack, report))
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "experiments/scenarios/capacity-5.toml".into());
    let episodes: usize = args.next().map_or(Ok(20), |e| e.parse())?;
    let (custom, _, report) = run(Path::new(&path), episodes)?;
    println!("{} — {} evaluation episodes, processed %", report.scenario, report.episodes);
    println!("{:<24} {:>6.2}", "spill-to-most-spare", 100.0 * mean(&custom));
    for r in &report.results {
        println!("{:<24} {:>6.2}", r.policy, 100.0 * r.processed_ratio);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_custom_policy_plays_the_episodes_compare_plays() {
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/scenarios/capacity-5.toml");
        let (custom, slack, report) = run(&scenario, 3).unwrap();
        let of = |name: &str| report.results.iter().find(|r| r.policy == name).unwrap();
        // Our loop over MultiAgentEnv is compare's episode, to the request.
        assert_eq!(slack, of("slack-proportional").episode_processed_ratios);
        // Spilling the excess to spare capacity beats keeping it, and no
        // decentralised policy beats the oracle.
        let all_local = &of("all-local").episode_processed_ratios;
        let oracle = &of("oracle").episode_processed_ratios;
        for e in 0..3 {
            assert!(custom[e] > all_local[e], "episode {e}: {} vs all-local {}", custom[e], all_local[e]);
            assert!(custom[e] <= oracle[e] + 1e-12, "episode {e}: {} vs oracle {}", custom[e], oracle[e]);
        }
    }
}
