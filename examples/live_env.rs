//! A live federation as a `MultiAgentEnv`: `LiveEnv` starts one `dfaas
//! agent` process per node of the DFaaS CloudNet 2021 scenario on 127.0.0.1
//! (capacities 10, 20 and 30 req/s, 50 req/s into node_1; mDNS off), ends
//! each slot itself (`POST /tick`) and sends each slot's load. The same
//! function plays an episode on it and on the simulator — one loop over the
//! trait (`reset`, `observations`, `advance`, `outcomes`, `issues`) — and
//! the table puts the two worlds side by side, slot by slot.
//!
//! The agents are started from the `dfaas` binary next to this example's
//! (`target/<profile>/dfaas`), or from `$DFAAS_EXE`:
//!
//! ```sh
//! cargo build --release && cargo run --release --example live_env -- 6
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dfaas_env::{MultiAgentEnv, Scenario};
use dfaas_experiments::Contender;
use dfaas_live::live_env::{LiveEnv, LiveOpts};

/// One slot of the federation: requests that arrived and that were processed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    input: u32,
    processed: u32,
    forwarded: u32,
}

/// Plays one episode of `policy` on any environment: one decision per node
/// per slot from its own observation. Returns the federation's slots and
/// every issue the environment reported (live: a node that did not answer).
fn play<E: MultiAgentEnv>(
    env: &mut E,
    policy: &Contender,
    sim: &dfaas_env::Simulator,
    seed: u64,
) -> Result<(Vec<Slot>, Vec<String>)> {
    let mut nodes = policy.policies(sim, seed)?;
    dfaas_experiments::runner::seed_policies(&mut nodes, seed);
    env.reset(Some(seed))?;
    let (mut slots, mut issues) = (Vec::new(), Vec::new());
    issues.extend(env.issues().iter().flatten().cloned());
    while !env.is_done() {
        let actions: Vec<_> = nodes.iter_mut().zip(env.observations()).map(|(p, o)| p.decide(o)).collect();
        env.advance(&actions)?;
        let o = env.outcomes();
        slots.push(Slot {
            input: o.iter().map(|x| x.input).sum(),
            processed: o.iter().map(|x| x.processed).sum(),
            forwarded: o.iter().map(|x| x.forwarded.iter().sum::<u32>()).sum(),
        });
        issues.extend(env.issues().iter().flatten().cloned());
    }
    Ok((slots, issues))
}

/// The `dfaas` binary that runs the agents.
fn dfaas_exe() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("DFAAS_EXE") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe()?;
    // target/<profile>/examples/live_env[-hash] → target/<profile>/dfaas
    let exe = me.parent().and_then(Path::parent).context("locating target/<profile>")?.join("dfaas");
    if !exe.is_file() {
        bail!("{} is not built: run `cargo build` (same profile) first, or set DFAAS_EXE", exe.display());
    }
    Ok(exe)
}

/// Starts the live federation, plays `slots` slots of `slot_seconds` on it
/// and on the simulator (same workload seed). Returns (live, simulated, live issues).
fn run(slots: usize, slot_seconds: f64) -> Result<(Vec<Slot>, Vec<Slot>, Vec<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/scenarios/dfaas-cloudnet21.toml");
    let scenario = Scenario::load(&path)?;
    let policy = Contender::parse("slack-proportional")?;
    let mut live = LiveEnv::start(&scenario, LiveOpts::new(slot_seconds, slots), &dfaas_exe()?, None)?;
    // The simulator of the live scenario (its slot length and slot count).
    let base = live.simulator().clone();
    let seed = scenario.evaluation_seeds()[0];
    let (live_slots, issues) = play(&mut live, &policy, &base, seed)?;
    drop(live); // stops the agents
    let (sim_slots, _) = play(&mut base.clone(), &policy, &base, seed)?;
    Ok((live_slots, sim_slots, issues))
}

fn main() -> Result<()> {
    let slots: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(6);
    let (live, sim, issues) = run(slots, 1.0)?;
    println!("DFaaS CloudNet 2021, slack-proportional, {slots} slots of 1 s: requests per slot");
    println!("{:>4} {:>9} {:>9} {:>9} {:>9} {:>9}", "slot", "input", "live ok", "sim ok", "live fwd", "sim fwd");
    for (t, (l, s)) in live.iter().zip(&sim).enumerate() {
        println!("{t:>4} {:>9} {:>9} {:>9} {:>9} {:>9}", l.input, l.processed, s.processed, l.forwarded, s.forwarded);
    }
    for i in &issues {
        println!("live issue: {i}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn live_and_simulated_slots_agree() {
        let (live, sim, issues) = super::run(4, 1.0).unwrap();
        assert_eq!((live.len(), sim.len()), (4, 4));
        // A node late to answer on a busy machine is reported, not fatal.
        eprintln!("live issues: {issues:?}");
        for (t, (l, s)) in live.iter().zip(&sim).enumerate() {
            // The same workload: 50 + 0 + 0 requests per 1 s slot.
            assert_eq!(l.input, s.input, "slot {t}");
            assert_eq!(l.input, 50, "slot {t}");
        }
        // Once the neighbours' state is known, node_1 forwards 40 of its 50
        // requests in both worlds.
        for (t, (l, s)) in live.iter().zip(&sim).enumerate().skip(1) {
            assert_eq!((s.forwarded, s.processed), (40, 50), "slot {t} simulated");
            assert!(l.forwarded.abs_diff(40) <= 4, "slot {t} live: {l:?}");
        }
        // Over the slots after the first, the federation serves all of them
        // live too (a request queued across a slot boundary counts in the
        // next slot; the last slot counts what was still queued).
        let served: u32 = live[1..].iter().map(|s| s.processed).sum();
        let arrived: u32 = sim[1..].iter().map(|s| s.input).sum();
        assert!(served.abs_diff(arrived) <= arrived / 20, "live: {served} of {arrived} served: {live:?}");
    }
}
