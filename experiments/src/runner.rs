//! Playing one episode of a contender on a simulator.

use std::io::Write;
use std::time::{Duration, Instant};

use dfaas_env::metrics::{EpisodeSummary, SlotCsv, Totals};
use dfaas_env::models::ModelSpec;
use dfaas_env::reference::global_node::run_global_node;
use dfaas_env::reference::{Oracle, StaleOracle};
use dfaas_env::seeds::substream;
use dfaas_env::{Decision, MultiAgentEnv, Simulator, SlotOutcome};
use dfaas_policies::Policy;

use crate::contender::Contender;

/// One played episode: its totals, the per-slot federation totals, and the
/// wall time spent inside the simulator's `step` alone.
#[derive(Debug, Clone)]
pub struct EpisodeRun {
    pub summary: EpisodeSummary,
    pub slots: Vec<Totals>,
    pub step_time: Duration,
    pub agent_steps: u64,
    /// Per-agent totals over the slots after the first (once neighbours have
    /// advertised their state): the steady state of a constant workload.
    pub steady: Vec<Totals>,
    /// Per agent and neighbour: requests forwarded over the same slots.
    pub steady_forwarded_to: Vec<Vec<u64>>,
    /// The oracle's certified gap summed over the slots (expected requests;
    /// 0 unless its flow method spanned several cost levels in a stage).
    pub certified_gap: f64,
}

impl EpisodeRun {
    /// An empty run of episode `seed` over `sim`'s federation.
    pub fn empty(sim: &Simulator, seed: u64) -> Self {
        let n = sim.topology().len();
        Self {
            summary: EpisodeSummary::new(seed, n),
            slots: Vec::with_capacity(sim.max_steps()),
            step_time: Duration::ZERO,
            agent_steps: 0,
            steady: vec![Totals::default(); n],
            steady_forwarded_to: (0..n).map(|i| vec![0; sim.topology().degree(i)]).collect(),
            certified_gap: 0.0,
        }
    }

    /// Adds the agents' outcomes of slot `slot` (simulated or measured live).
    pub fn record(&mut self, slot: usize, outcomes: &[SlotOutcome]) {
        self.agent_steps += outcomes.len() as u64;
        self.summary.add_slot(outcomes);
        if slot >= 1 {
            for (i, o) in outcomes.iter().enumerate() {
                self.steady[i].add(o);
                for (acc, &f) in self.steady_forwarded_to[i].iter_mut().zip(&o.forwarded) {
                    *acc += f as u64;
                }
            }
        }
        let mut fed = Totals::default();
        for o in outcomes {
            fed.add(o);
        }
        fed.slots = 1;
        self.slots.push(fed);
    }
}

/// Why an episode could not be played.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Policy(#[from] dfaas_policies::PolicyError),
    #[error(transparent)]
    Env(#[from] dfaas_env::EnvError),
    #[error("{0}")]
    Unsupported(String),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Plays one episode of `contender` with episode seed `seed`. With `csv`,
/// writes every slot's rows (episode number `episode`).
pub fn run_episode<W: Write>(
    sim: &mut Simulator,
    contender: &Contender,
    seed: u64,
    episode: usize,
    mut csv: Option<&mut SlotCsv<W>>,
) -> Result<EpisodeRun, RunError> {
    let mut run = EpisodeRun::empty(sim, seed);
    match contender {
        Contender::GlobalNode => return global_node_episode(sim, seed, run),
        Contender::Oracle | Contender::StaleOracle => {
            let unsupported = |e: dfaas_env::reference::oracle::OracleUnsupported| RunError::Unsupported(e.to_string());
            // Each slot's decisions and the plan's certified gap.
            type Plan = Box<dyn FnMut(&mut Simulator) -> (Vec<Decision>, f64)>;
            let mut plan: Plan = if matches!(contender, Contender::Oracle) {
                let mut o = Oracle::new(sim).map_err(unsupported)?;
                Box::new(move |s| (o.decide_all(s), o.last_gap()))
            } else {
                let mut o = StaleOracle::new(sim).map_err(unsupported)?;
                Box::new(move |s| (o.decide_all(s), o.last_gap()))
            };
            sim.reset_episode(Some(seed));
            while !sim.is_done() {
                let (actions, gap) = plan(sim);
                run.certified_gap += gap;
                step(sim, &actions, &mut run, episode, seed, csv.as_deref_mut())?;
            }
        }
        Contender::Policy(_) | Contender::Learned { .. } | Contender::BestFixed(_) => {
            let mut policies = contender.policies(sim, seed)?;
            play_policies(sim, &mut policies, seed, &mut run, |sim, slot| {
                if let (Some(w), Some(slot)) = (csv.as_deref_mut(), slot) {
                    w.write_slot(episode, seed, slot, sim.outcomes())?;
                }
                Ok(())
            })?;
        }
    }
    run.summary.finish();
    Ok(run)
}

/// Seeds one policy per node for episode `seed` (node `i` gets its own
/// stream), as every runner (simulated or live) seeds them.
pub fn seed_policies(policies: &mut [Box<dyn Policy>], seed: u64) {
    for (i, p) in policies.iter_mut().enumerate() {
        p.reset(dfaas_env::seeds::splitmix(seed ^ (i as u64).wrapping_mul(0x9E37_79B9)));
    }
}

/// Plays episode `seed` on any [`MultiAgentEnv`] with one policy per node,
/// each deciding on its own observation; every slot's outcomes go into
/// `run` (the time inside [`MultiAgentEnv::advance`] into its step time).
/// `after(env, slot)` runs after the reset (`None`) and after each slot
/// (`Some(slot)`). The simulator and the live environment play their
/// episodes through this one loop.
pub fn play_policies<E: MultiAgentEnv + ?Sized>(
    env: &mut E,
    policies: &mut [Box<dyn Policy>],
    seed: u64,
    run: &mut EpisodeRun,
    mut after: impl FnMut(&E, Option<usize>) -> Result<(), RunError>,
) -> Result<(), RunError> {
    seed_policies(policies, seed);
    env.reset(Some(seed))?;
    after(env, None)?;
    let mut actions = Vec::with_capacity(policies.len());
    let mut slot = 0;
    while !env.is_done() {
        actions.clear();
        for (p, o) in policies.iter_mut().zip(env.observations()) {
            actions.push(p.decide(o));
        }
        let t0 = Instant::now();
        env.advance(&actions)?;
        run.step_time += t0.elapsed();
        run.record(slot, env.outcomes());
        after(env, Some(slot))?;
        slot += 1;
    }
    Ok(())
}

fn step<W: Write>(
    sim: &mut Simulator,
    actions: &[Decision],
    run: &mut EpisodeRun,
    episode: usize,
    seed: u64,
    csv: Option<&mut SlotCsv<W>>,
) -> Result<(), RunError> {
    let slot = sim.slot();
    let t0 = Instant::now();
    sim.advance(actions)?;
    run.step_time += t0.elapsed();
    let outcomes = sim.outcomes();
    run.record(slot, outcomes);
    if let Some(w) = csv {
        w.write_slot(episode, seed, slot, outcomes)?;
    }
    Ok(())
}

/// The global node: one node with N× the resources receives every input.
fn global_node_episode(sim: &mut Simulator, seed: u64, mut run: EpisodeRun) -> Result<EpisodeRun, RunError> {
    let ModelSpec::Queue(spec) = &sim.scenario().model else {
        return Err(RunError::Unsupported(format!(
            "the global node is the queue model's reference; this scenario uses `{}`: use the oracle",
            sim.scenario().model.kind()
        )));
    };
    let spec = spec.clone();
    sim.reset_episode(Some(seed));
    let inputs = sim.inputs().to_vec();
    let n = inputs.len();
    let mut rng = substream(seed, 1);
    let t0 = Instant::now();
    let slots = run_global_node(&spec, n, &inputs, &mut rng);
    run.step_time = t0.elapsed();
    run.agent_steps = (slots.len() * n) as u64;
    let mut fed = Totals::default();
    for s in &slots {
        let t = Totals {
            slots: 1,
            input: s.input as u64,
            local: s.input as u64,
            local_rejects: s.rejected as u64,
            processed: s.processed as u64,
            queue_len: s.queue_len as u64,
            reward: 1.0,
            ..Totals::default()
        };
        fed.merge(&t);
        run.slots.push(t);
    }
    fed.slots = slots.len() as u64;
    run.summary.federation = fed;
    Ok(run)
}
