//! A federation written in code instead of a shipped file: a ring of `n`
//! nodes whose capacities alternate small and large, with loads to match,
//! built as scenario text (the same schema as `experiments/scenarios/*.toml`,
//! validated the same way), then stepped slot by slot through the
//! [`MultiAgentEnv`] trait with a built-in heuristic, printing what each node
//! saw and did.
//!
//! ```sh
//! cargo run --release --example scenario_in_code -- 6
//! ```

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use dfaas_env::{Decision, MultiAgentEnv, Scenario, Simulator};

/// A ring of `n` nodes (`n` ≥ 3): even nodes 10 req/s with 16 req/s of load,
/// odd nodes 30 req/s with 12 req/s, each a neighbour of the next.
fn ring(n: usize, slots: u32) -> Result<Scenario> {
    anyhow::ensure!(n >= 3, "a ring needs at least 3 nodes, got {n}");
    let names: Vec<String> = (0..n).map(|i| format!("node_{i}")).collect();
    let quoted = |v: &[String]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let edges: Vec<String> = (0..n).map(|i| format!("{} {}", names[i], names[(i + 1) % n])).collect();
    let capacity: Vec<String> = (0..n).map(|i| if i % 2 == 0 { "10.0" } else { "30.0" }.to_string()).collect();
    let load: Vec<String> = (0..n).map(|i| if i % 2 == 0 { "16.0" } else { "12.0" }.to_string()).collect();
    let mut t = String::new();
    writeln!(t, "name = \"ring-{n}\"\ndescription = \"a ring built in code\"")?;
    writeln!(t, "[episode]\nmax_steps = {slots}\nslot_seconds = 1.0")?;
    writeln!(t, "[seeds]\nmaster = 7\nbuild = 7\nevaluation_episodes = 3")?;
    writeln!(t, "[topology]\nnodes = [{}]\nadjacency = [{}]", quoted(&names), quoted(&edges))?;
    writeln!(t, "[model]\nkind = \"capacity\"\ncapacity_rps = [{}]", capacity.join(", "))?;
    writeln!(t, "overload = \"local-first\"\nservice_time_s = 0.1")?;
    writeln!(
        t,
        "[workload]\nkind = \"normal\"\nmean_rps = [{}]\nstd_rps = 4.0\nmin_rps = 0.0\nmax_rps = 40.0",
        load.join(", ")
    )?;
    // The path only names the scenario in errors and anchors relative files (none here).
    Ok(Scenario::from_toml_str(&t, Path::new("ring-in-code.toml"))?)
}

/// Plays one episode with `policy` on every node; returns (input, processed)
/// per slot, federation totals, and prints a line per slot when `verbose`.
fn episode(scenario: &Scenario, policy: &str, seed: u64, verbose: bool) -> Result<Vec<(u64, u64)>> {
    let mut env = Simulator::new(scenario)?;
    let spec = dfaas_policies::PolicySpec::parse(policy)?;
    let mut policies =
        (0..env.agents().len()).map(|i| dfaas_policies::build(&spec, i, seed)).collect::<Result<Vec<_>, _>>()?;
    let (mut obs, _) = env.reset(Some(seed))?;
    let mut slots = Vec::new();
    loop {
        let actions: Vec<Decision> = policies.iter_mut().zip(&obs).map(|(p, o)| p.decide(o)).collect();
        let step = env.step(&actions)?;
        let input: u64 = step.infos.iter().map(|o| u64::from(o.input)).sum();
        let processed: u64 = step.infos.iter().map(|o| u64::from(o.processed)).sum();
        if verbose {
            let forwarded: Vec<String> = step.infos.iter().map(|o| o.forwarded_total().to_string()).collect();
            println!(
                "slot {:>3}: input {input:>4}, processed {processed:>4}, forwarded per node [{}]",
                slots.len(),
                forwarded.join(" ")
            );
        }
        slots.push((input, processed));
        obs = step.observations;
        if step.truncations.iter().all(|&t| t) {
            return Ok(slots);
        }
    }
}

fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(6), |a| a.parse())?;
    let scenario = ring(n, 20)?;
    println!("{}: {} nodes, slack-proportional, episode 1", scenario.name, n);
    let slots = episode(&scenario, "slack-proportional", 1, true)?;
    let (input, processed) = slots.iter().fold((0, 0), |(a, b), (i, p)| (a + i, b + p));
    println!("processed {:.2} % of {input} requests", 100.0 * processed as f64 / input as f64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_built_in_code_plays_and_forwarding_helps() {
        let scenario = ring(6, 20).unwrap();
        let local = episode(&scenario, "all-local", 3, false).unwrap();
        let slack = episode(&scenario, "slack-proportional", 3, false).unwrap();
        assert_eq!((local.len(), slack.len()), (20, 20), "one entry per slot of max_steps");
        assert_eq!(
            local.iter().map(|s| s.0).collect::<Vec<_>>(),
            slack.iter().map(|s| s.0).collect::<Vec<_>>(),
            "same episode, same input"
        );
        let total = |v: &[(u64, u64)]| v.iter().map(|s| s.1).sum::<u64>();
        assert!(slack.iter().all(|(i, p)| p <= i));
        // Overloaded even nodes next to idle odd ones: forwarding serves more.
        assert!(total(&slack) > total(&local) + 100, "{} vs {}", total(&slack), total(&local));
        assert!(ring(2, 5).unwrap_err().to_string().contains("at least 3"));
    }
}
