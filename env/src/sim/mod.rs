//! The federation simulator: a [`MultiAgentEnv`] over modelled nodes.
//!
//! Fast path: [`Simulator::reset_episode`], [`Simulator::advance`], then read
//! [`Simulator::observations`] and [`Simulator::outcomes`] without copies.
//! The trait methods wrap these and clone.

mod measured;
mod nodes;
mod observe;
mod shared;
mod step;

pub use nodes::NodeModels;
pub use shared::SharedBudget;
pub use step::reward_rejects;

use crate::contract::{Decision, NodeObservation, SlotOutcome};
use crate::error::{ConfigError, EnvError};
use crate::links::Links;
use crate::models::ModelSpec;
use crate::models::queue::ForwardSplit;
use crate::multi_agent::MultiAgentEnv;
use crate::scenario::Scenario;
use crate::seeds::{SeedSequence, SimRng, substream};
use crate::spaces::Space;
use crate::topology::Topology;
use crate::workload::Workload;

/// A simulated federation built from a scenario.
#[derive(Debug, Clone)]
pub struct Simulator {
    scenario: Scenario,
    topology: Topology,
    max_steps: usize,
    slot_seconds: f64,
    models: NodeModels,
    workload: Workload,
    links: Links,
    /// Every agent's capacity estimate for the coming slot, requests per slot.
    capacity: Vec<f64>,
    /// The estimates of the slot that just ended (what neighbours advertised).
    advert_capacity: Vec<f64>,
    /// Several functions per node: the budgets they share (`None`: one function).
    shared: Option<SharedBudget>,
    /// Several functions per node: each agent's view of its node this slot.
    node_views: Vec<crate::contract::SharedNode>,
    seeds: SeedSequence,
    even_floor: bool,
    /// The predictor policies plan with (`None`: they see the true input).
    predictor: Option<crate::predict::PredictorSpec>,
    // Episode state.
    /// One predictor per node, fed each played slot's true input.
    predictors: Vec<Box<dyn crate::predict::Predictor>>,
    /// Per agent, idle slots (input 0) its predictor sees before slot 0.
    predictor_warmup: Vec<usize>,
    episode_seed: Option<u64>,
    request_rng: SimRng,
    inputs: Vec<Vec<u32>>,
    t: usize,
    obs: Vec<NodeObservation>,
    outcomes: Vec<SlotOutcome>,
    scratch: step::Scratch,
}

impl Simulator {
    /// Builds the federation of a validated scenario (node and link
    /// parameters from its build seed; episode seeds from its master seed).
    pub fn new(scenario: &Scenario) -> Result<Self, ConfigError> {
        let topology = scenario.build_topology()?;
        let n = topology.len();
        let workload = scenario.load_workload()?;
        let links = scenario.build_links(&scenario.build_node_topology()?)?;
        let mut models = NodeModels::build(scenario, n);
        let shared = SharedBudget::of(scenario);
        let mut capacity = models.capacity_estimates();
        if let Some(sh) = &shared {
            sh.capacities(&vec![0.0; n], &mut capacity);
        }
        let even_floor = matches!(&scenario.model, ModelSpec::Queue(q) if q.forward_split == ForwardSplit::EvenFloor);
        Ok(Self {
            scenario: scenario.clone(),
            max_steps: scenario.episode.max_steps,
            slot_seconds: scenario.episode.slot_seconds,
            models,
            workload,
            links,
            advert_capacity: capacity.clone(),
            capacity,
            shared,
            node_views: Vec::new(),
            seeds: SeedSequence::new(scenario.seeds.master),
            even_floor,
            predictor: scenario.observation.predictor(),
            predictors: Vec::new(),
            predictor_warmup: Vec::new(),
            episode_seed: None,
            request_rng: substream(0, 0),
            inputs: Vec::new(),
            t: 0,
            obs: Vec::new(),
            outcomes: Vec::new(),
            scratch: step::Scratch::new(&topology),
            topology,
        })
    }

    /// The predictor policies plan with, `None` when observations carry the
    /// slot's true input.
    pub fn predictor(&self) -> Option<crate::predict::PredictorSpec> {
        self.predictor
    }

    /// Feeds agent `a`'s predictor `idle[a]` slots of input 0 before slot 0
    /// of every episode from now on: the forecasts a live node that idled
    /// that long before its load starts plans with (sim-to-real runs match
    /// the live nodes' warm-up this way). Empty: none.
    pub fn set_predictor_warmup(&mut self, idle: Vec<usize>) {
        self.predictor_warmup = idle;
    }

    /// The idle slots each agent's predictor sees before slot 0 ([`Simulator::set_predictor_warmup`]).
    pub fn predictor_warmup(&self) -> &[usize] {
        &self.predictor_warmup
    }

    /// The workload period the scenario declares for observations
    /// (`observation.period_slots`), if any.
    pub fn observation_period_slots(&self) -> Option<u32> {
        self.scenario.observation.period_slots
    }

    /// The scenario this federation was built from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The federation graph.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The node models (for references that need model internals).
    pub fn models(&self) -> &NodeModels {
        &self.models
    }

    /// Mutable node models (memoised solutions fill in as they are used).
    pub fn models_mut(&mut self) -> &mut NodeModels {
        &mut self.models
    }

    /// Capacity estimate of every agent for the coming slot, requests per
    /// slot (fixed per node, or each function's part of its node's budget).
    pub fn capacities(&self) -> &[f64] {
        &self.capacity
    }

    /// The functions laid over the nodes, where the scenario has several
    /// (agents are then node-function pairs).
    pub fn layout(&self) -> Option<&crate::functions::FunctionLayout> {
        self.shared.as_ref().map(SharedBudget::layout)
    }

    /// The budgets several functions per node share (`None`: one function).
    pub fn shared_budget(&self) -> Option<&SharedBudget> {
        self.shared.as_ref()
    }

    /// One-way delay of a forward from agent `i` to agent `j` in slot `t`,
    /// seconds (the link between their nodes).
    pub fn forward_delay_s(&self, i: usize, j: usize, t: usize) -> f64 {
        match self.layout() {
            Some(l) => self.links.forward_delay_s(l.node_of(i), l.node_of(j), t),
            None => self.links.forward_delay_s(i, j, t),
        }
    }

    /// Slots per episode.
    pub fn max_steps(&self) -> usize {
        self.max_steps
    }

    /// Slot length, seconds.
    pub fn slot_seconds(&self) -> f64 {
        self.slot_seconds
    }

    /// Slot index of the next step.
    pub fn slot(&self) -> usize {
        self.t
    }

    /// The seed of the current episode.
    pub fn episode_seed(&self) -> Option<u64> {
        self.episode_seed
    }

    /// The current episode's inputs `[agent][slot]`.
    pub fn inputs(&self) -> &[Vec<u32>] {
        &self.inputs
    }

    /// Whether the published 3-way action with even-floor split is in force.
    pub fn even_floor(&self) -> bool {
        self.even_floor
    }

    /// Current observations, one per agent.
    pub fn observations(&self) -> &[NodeObservation] {
        &self.obs
    }

    /// Outcomes of the last slot played, one per agent.
    pub fn outcomes(&self) -> &[SlotOutcome] {
        &self.outcomes
    }

    /// Whether the episode has reached `max_steps`.
    pub fn is_done(&self) -> bool {
        self.t >= self.max_steps
    }

    /// Starts an episode; `seed` forces the episode seed, else the next seed
    /// of the master sequence is drawn.
    pub fn reset_episode(&mut self, seed: Option<u64>) -> &[NodeObservation] {
        let seed = seed.unwrap_or_else(|| self.seeds.next_seed());
        self.episode_seed = Some(seed);
        let mut input_rng = substream(seed, 0);
        self.inputs = self.workload.generate(self.topology.len(), self.max_steps, self.slot_seconds, &mut input_rng);
        self.request_rng = substream(seed, 1);
        self.models.reset();
        if let Some(s) = &mut self.shared {
            s.reset();
        }
        self.predictors = match &self.predictor {
            Some(p) => (0..self.topology.len()).map(|_| p.build()).collect(),
            None => Vec::new(),
        };
        for (p, &idle) in self.predictors.iter_mut().zip(&self.predictor_warmup) {
            (0..idle).for_each(|_| p.observe(0.0));
        }
        self.t = 0;
        self.outcomes = (0..self.topology.len())
            .map(|i| SlotOutcome {
                forwarded: vec![0; self.topology.degree(i)],
                forward_rejects: vec![0; self.topology.degree(i)],
                ..SlotOutcome::default()
            })
            .collect();
        self.obs = vec![NodeObservation::default(); self.topology.len()];
        self.observe();
        &self.obs
    }

    /// Plays one slot (fast path). Observations and outcomes are updated in place.
    pub fn advance(&mut self, actions: &[Decision]) -> Result<(), EnvError> {
        if self.episode_seed.is_none() {
            return Err(EnvError::State("step called before reset".into()));
        }
        if self.is_done() {
            return Err(EnvError::State(format!("the episode ended after {} slots; call reset", self.max_steps)));
        }
        self.check_actions(actions)?;
        self.play_slot(actions);
        for (p, trace) in self.predictors.iter_mut().zip(&self.inputs) {
            p.observe(trace.get(self.t).copied().unwrap_or(0) as f64);
        }
        self.t += 1;
        self.observe();
        Ok(())
    }

    fn check_actions(&self, actions: &[Decision]) -> Result<(), EnvError> {
        let n = self.topology.len();
        if actions.len() != n {
            return Err(EnvError::ActionCount { expected: n, got: actions.len() });
        }
        for (i, a) in actions.iter().enumerate() {
            let deg = self.topology.degree(i);
            let ok = a.degree() == deg || (self.even_floor && a.as_slice().len() == 3);
            if !ok {
                return Err(EnvError::ActionShape {
                    agent: self.topology.names()[i].clone(),
                    expected: deg + 2,
                    got: a.as_slice().len(),
                    layout: self.action_layout(i),
                });
            }
        }
        Ok(())
    }

    /// Human-readable action layout of agent `i`.
    pub fn action_layout(&self, i: usize) -> String {
        let mut parts = vec!["local".to_string()];
        for &j in self.topology.neighbors(i) {
            parts.push(format!("fwd:{}", self.topology.names()[j]));
        }
        parts.push("reject".into());
        format!("[{}]", parts.join(", "))
    }

    /// Checks raw action vectors (e.g. from a network or a file) and turns them
    /// into decisions, naming the agent on error.
    pub fn decisions_from(&self, raw: Vec<Vec<f64>>) -> Result<Vec<Decision>, EnvError> {
        let d = raw
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                Decision::new(v)
                    .map_err(|source| EnvError::Decision { agent: self.topology.names()[i].clone(), source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.check_actions(&d)?;
        Ok(d)
    }
}

impl MultiAgentEnv for Simulator {
    fn agents(&self) -> &[String] {
        self.topology.names()
    }

    fn observation_space(&self, agent: usize) -> Space {
        let (k, p) = (self.topology.max_degree(), self.observation_period_slots());
        let encoding = match self.layout() {
            Some(_) => crate::encoding::Encoding::normalized_functions(k, p),
            None => crate::encoding::Encoding::normalized(k, p),
        };
        crate::encoding::Encoder::new(encoding, &self.topology).space(self.topology.degree(agent))
    }

    fn action_space(&self, agent: usize) -> Space {
        let n = if self.even_floor { 3 } else { self.topology.degree(agent) + 2 };
        Space::Simplex { n }
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<NodeObservation>, Vec<SlotOutcome>), EnvError> {
        let obs = self.reset_episode(seed).to_vec();
        Ok((obs, self.outcomes.clone()))
    }

    fn advance(&mut self, actions: &[Decision]) -> Result<(), EnvError> {
        Simulator::advance(self, actions)
    }

    fn observations(&self) -> &[NodeObservation] {
        &self.obs
    }

    fn outcomes(&self) -> &[SlotOutcome] {
        &self.outcomes
    }

    fn is_done(&self) -> bool {
        Simulator::is_done(self)
    }

    fn mean_federation_input(&self) -> Option<f64> {
        Some(crate::reward::mean_federation_input(self))
    }
}
