//! A multi-function federation's budgets: each slot, what every agent
//! (node-function pair) expects to be able to serve, and what it serves.

use crate::functions::{FunctionLayout, estimate, water_fill};
use crate::models::ModelSpec;
use crate::scenario::Scenario;

/// The layout and each node's budget per slot, in unit-seconds.
#[derive(Debug, Clone)]
pub struct SharedBudget {
    layout: FunctionLayout,
    /// Per node: `budget_units · slot_seconds`.
    budget: Vec<f64>,
    /// Per agent: unit-seconds one request uses.
    cost: Vec<f64>,
    /// Per agent: most requests per slot its concurrency limit allows.
    limit: Vec<f64>,
    // Scratch, per node.
    demand: Vec<f64>,
    weight: Vec<f64>,
    spare_weight: Vec<f64>,
}

impl SharedBudget {
    /// The budgets of a validated scenario with `[[functions]]` (`None` without).
    pub fn of(s: &Scenario) -> Option<Self> {
        let layout = s.build_layout().ok()??;
        let ModelSpec::Budget(b) = &s.model else { return None };
        let slot = s.episode.slot_seconds;
        let budget = (0..layout.nodes().len()).map(|i| f64::from(b.units(i)) * slot).collect();
        let per_agent = |g: &dyn Fn(&crate::functions::FunctionSpec) -> f64| {
            (0..layout.agents().len()).map(|a| g(&layout.functions()[layout.function_of(a)])).collect::<Vec<f64>>()
        };
        let cost = per_agent(&|f| f.unit_seconds());
        let limit = per_agent(&|f| f.per_slot_limit(slot));
        Some(Self { layout, budget, cost, limit, demand: Vec::new(), weight: Vec::new(), spare_weight: Vec::new() })
    }

    /// The layout.
    pub fn layout(&self) -> &FunctionLayout {
        &self.layout
    }

    /// Node `i`'s budget per slot, unit-seconds.
    pub fn budget(&self, i: usize) -> f64 {
        self.budget[i]
    }

    /// Unit-seconds one request of agent `a` uses.
    pub fn cost(&self, a: usize) -> f64 {
        self.cost[a]
    }

    /// Most requests per slot agent `a` serves (its function's concurrency limit).
    pub fn limit(&self, a: usize) -> f64 {
        self.limit[a]
    }

    /// Every agent's capacity estimate for a slot in which agent `a` expects
    /// `expected[a]` requests of its own: its part of its node's budget
    /// ([`estimate`]), in requests per slot, capped by its concurrency limit.
    pub fn capacities(&mut self, expected: &[f64], out: &mut Vec<f64>) {
        out.resize(expected.len(), 0.0);
        for i in 0..self.budget.len() {
            self.fill(i, |a| expected[a].max(0.0));
            for (&a, units) in self.layout.agents_at(i).iter().zip(estimate(
                self.budget[i],
                &self.demand,
                &self.weight,
                &self.spare_weight,
            )) {
                out[a] = (units / self.cost[a]).min(self.limit[a]);
            }
        }
    }

    /// Requests each agent serves in a slot where `offered[a]` reach it (own
    /// local and forwarded): its water-filled part of the node's budget, in
    /// whole requests.
    pub fn admit(&mut self, offered: &[u32], out: &mut [u32]) {
        for i in 0..self.budget.len() {
            self.fill(i, |a| f64::from(offered[a]));
            for (&a, units) in
                self.layout.agents_at(i).iter().zip(water_fill(self.budget[i], &self.demand, &self.weight))
            {
                out[a] = ((units / self.cost[a] + 1e-9).floor().min(self.limit[a])) as u32;
            }
        }
    }

    /// Fills the scratch demands (unit-seconds, within each agent's limit)
    /// and weights of the agents of node `i`: their shares where the node
    /// guarantees shares, else their demands (proportional sharing, as first
    /// come, first served on the node's units); what nobody expects to use
    /// is promised by share (equal parts by default).
    fn fill(&mut self, i: usize, requests: impl Fn(usize) -> f64) {
        self.demand.clear();
        self.weight.clear();
        self.spare_weight.clear();
        let guaranteed = self.layout.guarantees_shares(i);
        for &a in self.layout.agents_at(i) {
            let d = requests(a).min(self.limit[a]) * self.cost[a];
            self.demand.push(d);
            self.weight.push(if guaranteed { self.layout.weight(a) } else { d });
            self.spare_weight.push(self.layout.weight(a));
        }
    }
}
