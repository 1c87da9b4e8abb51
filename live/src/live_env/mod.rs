//! [`LiveEnv`]: the [`MultiAgentEnv`] over a running federation — agent
//! processes it starts for a capacity-model scenario ([`LiveEnv::start`]) or
//! agents already running at given addresses ([`LiveEnv::connect`]).
//!
//! **Slot alignment.** The agents run with `clock = "external"`: no timer,
//! a slot ends when the environment calls `POST /tick`. One
//! [`step`](MultiAgentEnv::step) is:
//! 1. `POST /tick` with its decision on every agent: the decision is in the
//!    gateway's weights before any request of the slot is sent;
//! 2. the slot's requests, sent open-loop by the environment (the count the
//!    scenario's workload gives that node for that slot, evenly spread over
//!    `slot_seconds`);
//! 3. once the sending window and a short settling time (2 % of the slot,
//!    20–200 ms) have passed, `POST /tick` on every agent: the arrival
//!    counts it returns (input, local, forwarded, rejected, platform
//!    rejects, received) are exactly the slot's requests.
//!
//! So the decision for slot `t` is applied to every request of slot `t` on
//! every node, whatever the agents' clocks and the HTTP latencies: the
//! environment's own sequence, not a timer, delimits slots. Slots follow each
//! other back to back, as in a running system: requests queued at a node
//! when a slot closes run in the next one (`processed` counts executions in
//! the slot, whatever their arrival slot, like the simulator's queue model);
//! after the last slot, the environment waits for every answer and adds the
//! late executions to the last slot. (Waiting for every answer before
//! closing each slot would hand each node a free drain of its queue per slot:
//! more capacity than it has.) No request is sent between a close and the
//! next open (the agents' own policy fills that short gap).
//!
//! **Observations and rewards.** The environment keeps a [`Simulator`] of the
//! same scenario (slot length and episode length replaced by the live ones)
//! as bookkeeper: the workload counts come from it (same seed ⇒ same counts
//! as a simulated episode), and [`Simulator::advance_measured`] scores the
//! measured outcomes with the simulator's reward for the scenario's model
//! and builds the next observations with the simulator's own code. (The
//! agents' observations differ: a live node plans with a predicted input and
//! gossiped states; the environment, like the simulator, knows the input it
//! is about to send.)
//!
//! **Failures.** Every call has a timeout. A node whose agent does not answer
//! is reported in [`dfaas_env::StepResult::issues`] (and
//! [`MultiAgentEnv::issues`]); its outcome is then estimated from what its
//! users saw. Requests that got no answer are reported in the step
//! during which their load finished. The step still returns.
//!
//! The environment runs its own async runtime: create, step and drop it
//! outside any tokio runtime. Dropping it stops every agent it started.

mod run;
mod sim2real;
mod slot;

pub use run::{LiveEpisode, LiveInfo, LiveReport, SlotIssue, live_result, run_live_episode};
pub use sim2real::{METRICS, Side, Sim2RealReport, metric, share_metrics};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use dfaas_agent::ControlClient;
use dfaas_env::{Decision, EnvError, MultiAgentEnv, NodeObservation, Scenario, Simulator, SlotOutcome, Space};

use crate::cluster::{Choice, FUNCTION, Federation, FederationOpts};
use slot::LiveNode;

/// How slots are played live.
#[derive(Debug, Clone)]
pub struct LiveOpts {
    /// Live slot length, seconds (replaces the scenario's).
    pub slot_seconds: f64,
    /// Slots per episode (replaces the scenario's `max_steps`).
    pub slots: usize,
    /// Timeout of one user request.
    pub request_timeout: Duration,
    /// Timeout of one control-API answer.
    pub answer_timeout: Duration,
    /// Longest wait for the federation to form.
    pub ready_timeout: Duration,
    /// Admission queue per function instance of the agents it starts
    /// (`None`: as `dfaas cluster`, 4 per instance).
    pub queue_per_instance: Option<u32>,
}

impl LiveOpts {
    /// `slots` slots of `slot_seconds`; 5 s request, 2 s answer and 30 s ready timeouts.
    pub fn new(slot_seconds: f64, slots: usize) -> Self {
        Self {
            slot_seconds,
            slots,
            request_timeout: Duration::from_secs(5),
            answer_timeout: Duration::from_secs(2),
            ready_timeout: Duration::from_secs(30),
            queue_per_instance: None,
        }
    }
}

/// Addresses of one running agent (externally clocked).
#[derive(Debug, Clone)]
pub struct AgentAddr {
    /// Its control API.
    pub control: SocketAddr,
    /// Its gateway (users' requests go there).
    pub gateway: SocketAddr,
    /// Its node's control token (`control_token_file`).
    pub token: String,
}

/// The scenario as played live: slot length and episode length replaced.
pub fn live_scenario(scenario: &Scenario, opts: &LiveOpts) -> Result<Scenario> {
    if !(opts.slot_seconds.is_finite() && (0.05..=3600.0).contains(&opts.slot_seconds)) {
        bail!("slot length {} s must be within 0.05..=3600", opts.slot_seconds);
    }
    if opts.slots == 0 {
        bail!("slots must be >= 1");
    }
    let mut s = scenario.clone();
    s.episode.slot_seconds = opts.slot_seconds;
    s.episode.max_steps = opts.slots;
    Ok(s)
}

/// A federation stepped slot by slot with decisions from outside.
pub struct LiveEnv {
    sim: Simulator,
    nodes: Vec<LiveNode>,
    opts: LiveOpts,
    issues: Vec<Option<String>>,
    /// Loads of played slots still running: (slot, node, task).
    pending: Vec<(usize, usize, slot::LoadTask)>,
    stray_input: u64,
    ready_s: f64,
    /// How a slot's requests arrive over it (the scenario's `episode.arrivals`).
    arrivals: dfaas_env::scenario::Arrivals,
    federation: Option<Federation>,
    // Last: dropped after the federation is stopped.
    rt: tokio::runtime::Runtime,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the live environment's async runtime")
}

impl LiveEnv {
    /// Starts one `exe agent` process per node of the capacity-, serverless-
    /// or budget-model `scenario` on 127.0.0.1 (externally clocked; configs,
    /// keys and logs in `out`, default a temporary folder removed on drop) and
    /// waits until they see each other. Where nodes host several functions
    /// the agents are node-function pairs, as in the simulator.
    pub fn start(scenario: &Scenario, opts: LiveOpts, exe: &Path, out: Option<PathBuf>) -> Result<Self> {
        use dfaas_env::models::ModelSpec;
        if !matches!(scenario.model, ModelSpec::Capacity(_) | ModelSpec::Serverless(_) | ModelSpec::Budget(_)) {
            bail!(
                "scenario {} uses the `{}` model; only `capacity`, `serverless` and `budget` scenarios can be started \
                 live (each node runs synthetic functions emulating the model)",
                scenario.path.display(),
                scenario.model.kind()
            );
        }
        let s = live_scenario(scenario, &opts)?;
        let sim = Simulator::new(&s)?;
        let rt = runtime()?;
        let fed_opts = FederationOpts {
            slot_seconds: opts.slot_seconds,
            choice: Choice::Policy("all-local".into()),
            out,
            exe: exe.to_path_buf(),
            seed: s.seeds.master,
            external_clock: true,
            queue_per_instance: opts.queue_per_instance,
            netns: false,
            no_shaping: false,
        };
        let mut fed = Federation::start(&s, &fed_opts)?;
        let client = dfaas_runtime::client::build(Duration::from_secs(1));
        let ready_s = rt.block_on(fed.wait_ready(&client, opts.ready_timeout, true))?;
        let topo = sim.topology();
        let agents = crate::cluster::live_agents(&s)?;
        let mut issues = vec![None; topo.len()];
        let mut nodes = Vec::with_capacity(agents.len());
        for (a, la) in agents.iter().enumerate() {
            let p = &fed.plans[la.node];
            let mut node = LiveNode {
                name: p.id.clone(),
                control: p.control,
                ctl: p.function_client(&client, opts.answer_timeout, &la.function),
                gateway: p.gateway,
                function: la.function.clone(),
                perm: (0..topo.degree(a)).collect(),
                neighbors: topo.neighbors(a).iter().map(|&b| fed.plans[agents[b].node].id.clone()).collect(),
                host: la.node,
            };
            if p.multi.is_some() {
                // The function's peers are the members hosting it, in runtime order.
                match rt.block_on(node.ctl.weights()) {
                    Ok(w) => node.perm = peer_order(&node, &w.peers)?,
                    Err(e) => issues[a] = Some(format!("{}: {e}", la.name)),
                }
            }
            nodes.push(node);
        }
        let mut env = Self::assemble(sim, nodes, opts, issues, rt, Some(fed));
        env.ready_s = ready_s;
        Ok(env)
    }

    /// An environment over `nodes` (one per agent of `sim`), no slot played.
    fn assemble(
        sim: Simulator,
        nodes: Vec<LiveNode>,
        opts: LiveOpts,
        issues: Vec<Option<String>>,
        rt: tokio::runtime::Runtime,
        federation: Option<Federation>,
    ) -> Self {
        let arrivals = sim.scenario().episode.arrivals;
        Self { sim, nodes, opts, issues, pending: Vec::new(), stray_input: 0, ready_s: 0.0, arrivals, federation, rt }
    }

    /// Connects to running, externally clocked agents, one per node of
    /// `scenario` in topology order. Each agent's peer order is read from its
    /// `GET /weights`; an agent that does not answer is assumed to follow the
    /// topology's order and is reported in [`LiveEnv::issues`].
    pub fn connect(scenario: &Scenario, agents: &[AgentAddr], opts: LiveOpts) -> Result<Self> {
        let s = live_scenario(scenario, &opts)?;
        if !s.functions.is_empty() {
            bail!(
                "scenario {} hosts several functions per node; connecting to running agents takes one function \
                 per node (start the federation instead)",
                s.path.display()
            );
        }
        let sim = Simulator::new(&s)?;
        let topo = sim.topology().clone();
        if agents.len() != topo.len() {
            bail!("{} agent addresses given for the {} nodes of scenario {}", agents.len(), topo.len(), s.name);
        }
        let rt = runtime()?;
        let client = dfaas_runtime::client::build(Duration::from_secs(1));
        let mut issues = vec![None; topo.len()];
        let mut nodes = Vec::new();
        for (i, a) in agents.iter().enumerate() {
            let name = topo.names()[i].clone();
            let neighbors: Vec<String> = topo.neighbors(i).iter().map(|&j| topo.names()[j].clone()).collect();
            let ctl = ControlClient::with_http(client.clone(), a.control, opts.answer_timeout).with_token(&a.token);
            let mut node = LiveNode {
                name,
                control: a.control,
                ctl,
                gateway: a.gateway,
                function: FUNCTION.to_string(),
                perm: (0..neighbors.len()).collect(),
                neighbors,
                host: i,
            };
            match rt.block_on(node.ctl.weights()) {
                Ok(w) => {
                    node.function = w.function;
                    node.perm = peer_order(&node, &w.peers)?;
                }
                Err(e) => issues[i] = Some(e.to_string()),
            }
            nodes.push(node);
        }
        let mut env = Self::assemble(sim, nodes, opts, issues, rt, None);
        env.ready_s = env.await_neighbors();
        Ok(env)
    }

    /// Ticks every agent until each sees its neighbours (or the ready timeout
    /// passes: the nodes that do not are reported); returns the seconds waited.
    fn await_neighbors(&mut self) -> f64 {
        let started = std::time::Instant::now();
        let deadline = started + self.opts.ready_timeout;
        loop {
            let mut missing = Vec::new();
            let _ = self.rt.block_on(slot::tick_all(&self.nodes, None));
            for (i, n) in self.nodes.iter().enumerate() {
                let seen = self
                    .rt
                    .block_on(n.ctl.neighbors())
                    .map_or(0, |v| v.iter().filter(|x| x.available && n.neighbors.contains(&x.node)).count());
                if seen < n.neighbors.len() {
                    missing.push(i);
                }
            }
            if missing.is_empty() || std::time::Instant::now() >= deadline {
                for i in missing {
                    if self.issues[i].is_none() {
                        self.issues[i] = Some(format!("{} does not see its neighbours", self.nodes[i].name));
                    }
                }
                return started.elapsed().as_secs_f64();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The bookkeeping simulator (workload, observations, scored outcomes).
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// The live options.
    pub fn opts(&self) -> &LiveOpts {
        &self.opts
    }

    /// Arrivals (own and received) counted outside any slot since the last
    /// reset (0 when every request arrived within its slot).
    pub fn stray_input(&self) -> u64 {
        self.stray_input
    }

    /// Seconds the federation took to form.
    pub fn ready_seconds(&self) -> f64 {
        self.ready_s
    }

    /// Process ids of the agents it started (empty when connected).
    pub fn pids(&self) -> Vec<u32> {
        self.federation.as_ref().map(Federation::pids).unwrap_or_default()
    }

    /// Folder of the started federation's configs and logs.
    pub fn dir(&self) -> Option<&Path> {
        self.federation.as_ref().map(|f| f.dir.as_path())
    }

    /// Collects the loads of earlier slots that have finished (all of them,
    /// waiting up to the request timeout each, with `wait`): their issues.
    fn harvest(&mut self, wait: bool) -> Vec<(usize, String)> {
        let mut issues = Vec::new();
        let limit = self.opts.request_timeout + Duration::from_secs_f64(self.opts.slot_seconds);
        let mut keep = Vec::new();
        for (t, i, task) in std::mem::take(&mut self.pending) {
            if !wait && !task.is_finished() {
                keep.push((t, i, task));
                continue;
            }
            match self.rt.block_on(slot::finish(task, limit)) {
                Ok(r) => issues.extend(slot::unanswered(&r, &self.nodes[i], t).map(|x| (i, x))),
                Err(e) => issues.push((i, format!("slot {t}: {e}"))),
            }
        }
        self.pending = keep;
        issues
    }

    /// Waits for every running load; their issues.
    fn drain(&mut self) -> Vec<(usize, String)> {
        self.harvest(true)
    }

    fn check_actions(&self, actions: &[Decision]) -> Result<(), EnvError> {
        let topo = self.sim.topology();
        if actions.len() != topo.len() {
            return Err(EnvError::ActionCount { expected: topo.len(), got: actions.len() });
        }
        for (i, a) in actions.iter().enumerate() {
            if a.degree() != topo.degree(i) {
                return Err(EnvError::ActionShape {
                    agent: topo.names()[i].clone(),
                    expected: topo.degree(i) + 2,
                    got: a.as_slice().len(),
                    layout: self.sim.action_layout(i),
                });
            }
        }
        Ok(())
    }
}

/// Where each topology neighbour of `node` sits among its agent's `peers`
/// (the order of its fractions), checked to be the same set.
fn peer_order(node: &LiveNode, peers: &[String]) -> Result<Vec<usize>> {
    let mut perm = Vec::with_capacity(node.neighbors.len());
    for nb in &node.neighbors {
        match peers.iter().position(|p| p == nb) {
            Some(k) => perm.push(k),
            None => bail!(
                "agent {} ({}) at {}: peers {peers:?} lack neighbour {nb}",
                node.name,
                node.function,
                node.control
            ),
        }
    }
    if peers.len() != node.neighbors.len() {
        bail!(
            "agent {} ({}) at {}: peers {peers:?}, the scenario says {:?}",
            node.name,
            node.function,
            node.control,
            node.neighbors
        );
    }
    Ok(perm)
}

impl MultiAgentEnv for LiveEnv {
    fn agents(&self) -> &[String] {
        self.sim.agents()
    }

    fn observation_space(&self, agent: usize) -> Space {
        self.sim.observation_space(agent)
    }

    fn action_space(&self, agent: usize) -> Space {
        Space::Simplex { n: self.sim.topology().degree(agent) + 2 }
    }

    /// Starts an episode: the workload of episode `seed`, every agent's
    /// counters cleared (a slot ended). Fails if an agent runs on its own timer.
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<NodeObservation>, Vec<SlotOutcome>), EnvError> {
        let obs = self.sim.reset_episode(seed).to_vec();
        self.stray_input = 0;
        let _ = self.drain();
        let results = self.rt.block_on(slot::tick_all(&self.nodes, None));
        for (i, r) in results.into_iter().enumerate() {
            self.issues[i] = match r {
                Ok(_) => None,
                Err(e) if e.contains("clock = \"external\"") => return Err(EnvError::State(e)),
                Err(e) => Some(format!("reset: {e}")),
            };
        }
        Ok((obs, self.sim.outcomes().to_vec()))
    }

    /// Plays one live slot (see the module docs).
    fn advance(&mut self, actions: &[Decision]) -> Result<(), EnvError> {
        if self.sim.episode_seed().is_none() {
            return Err(EnvError::State("step called before reset".into()));
        }
        if self.sim.is_done() {
            return Err(EnvError::State(format!("the episode ended after {} slots; call reset", self.opts.slots)));
        }
        self.check_actions(actions)?;
        let t = self.sim.slot();
        let counts: Vec<u32> = self.sim.inputs().iter().map(|row| row[t]).collect();
        let fractions: Vec<Vec<f64>> = actions.iter().map(|a| a.as_slice().to_vec()).collect();
        let slot = Duration::from_secs_f64(self.opts.slot_seconds);
        let req = self.opts.request_timeout;
        let seed = self.sim.episode_seed().unwrap_or(0) ^ dfaas_env::seeds::splitmix(t as u64);
        let spacing: Vec<_> =
            (0..counts.len()).map(|a| crate::cluster::arrival_spacing(self.arrivals, seed, a)).collect();
        let played = self.rt.block_on(slot::play(&self.nodes, &fractions, &counts, &spacing, slot, req));
        let limit = req + slot;
        let mut outcomes = Vec::with_capacity(played.len());
        let mut issues: Vec<Vec<String>> = vec![Vec::new(); played.len()];
        for (i, p) in played.into_iter().enumerate() {
            self.stray_input += u64::from(p.stray);
            issues[i].extend(p.issues);
            match (p.outcome, p.load) {
                (Some(o), load) => {
                    outcomes.push(o);
                    if let Some(task) = load {
                        self.pending.push((t, i, task));
                    }
                }
                (None, load) => {
                    // Its users' view is all there is: wait for it.
                    let report = match load {
                        Some(task) => match self.rt.block_on(slot::finish(task, limit)) {
                            Ok(r) => Some(r),
                            Err(e) => {
                                issues[i].push(e);
                                None
                            }
                        },
                        None => None,
                    };
                    outcomes.push(slot::estimate(&self.nodes[i], counts[i], report.as_ref()));
                    issues[i].push("outcome estimated from its users' answers".into());
                }
            }
        }
        for (i, issue) in self.harvest(false) {
            issues[i].push(issue);
        }
        if t + 1 == self.opts.slots {
            // The last slot: requests still queued run to completion and count.
            for (i, issue) in self.drain() {
                issues[i].push(issue);
            }
            let ends = self.rt.block_on(slot::tick_all(&self.nodes, None));
            for (i, r) in ends.into_iter().enumerate() {
                match r {
                    Ok(v) => {
                        outcomes[i].processed += v.outcome.processed;
                        self.stray_input += u64::from(v.outcome.input + v.outcome.received);
                    }
                    Err(e) => issues[i].push(format!("after the last slot: {e}")),
                }
            }
        }
        for (i, list) in issues.iter().enumerate() {
            self.issues[i] = (!list.is_empty()).then(|| format!("{}: {}", self.sim.agents()[i], list.join("; ")));
        }
        self.sim.advance_measured(outcomes)
    }

    fn observations(&self) -> &[NodeObservation] {
        self.sim.observations()
    }

    fn outcomes(&self) -> &[SlotOutcome] {
        self.sim.outcomes()
    }

    fn is_done(&self) -> bool {
        self.sim.is_done()
    }

    /// Per node: what went wrong in the latest reset or step (`None`: nothing).
    fn issues(&self) -> &[Option<String>] {
        &self.issues
    }

    fn mean_federation_input(&self) -> Option<f64> {
        self.sim.mean_federation_input()
    }
}

impl Drop for LiveEnv {
    fn drop(&mut self) {
        if let Some(mut f) = self.federation.take() {
            f.stop(true);
        }
    }
}
