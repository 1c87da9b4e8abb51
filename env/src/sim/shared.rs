//! A multi-function federation's budgets: each slot, what every agent
//! (node-function pair) expects to be able to serve, and what it serves.

use crate::functions::{FunctionCost, FunctionLayout, NodeShare};
use crate::models::ModelSpec;
use crate::scenario::Scenario;

/// The layout and each node's [`NodeShare`].
#[derive(Debug, Clone)]
pub struct SharedBudget {
    layout: FunctionLayout,
    nodes: Vec<NodeShare>,
    /// Per agent: its position among its node's functions.
    position: Vec<usize>,
    /// Per node: requests of each of its functions waiting (node order).
    backlog: Vec<Vec<u32>>,
}

impl SharedBudget {
    /// The budgets of a validated scenario with `[[functions]]` (`None` without).
    pub fn of(s: &Scenario) -> Option<Self> {
        let layout = s.build_layout().ok()??;
        let ModelSpec::Budget(b) = &s.model else { return None };
        let slot = s.episode.slot_seconds;
        let mut position = vec![0; layout.agents().len()];
        let nodes = (0..layout.nodes().len())
            .map(|i| {
                layout.agents_at(i).iter().enumerate().for_each(|(k, &a)| position[a] = k);
                let fs =
                    layout.agents_at(i).iter().map(|&a| FunctionCost::from(&layout.functions()[layout.function_of(a)]));
                NodeShare::of_functions(b.units(i), slot, b.queue_slots, fs)
            })
            .collect();
        let backlog = (0..layout.nodes().len()).map(|i| vec![0; layout.agents_at(i).len()]).collect();
        Some(Self { layout, nodes, position, backlog })
    }

    /// The layout.
    pub fn layout(&self) -> &FunctionLayout {
        &self.layout
    }

    /// Node `i`'s budget per slot, unit-seconds.
    pub fn budget(&self, i: usize) -> f64 {
        self.nodes[i].budget
    }

    /// Unit-seconds one request of agent `a` uses.
    pub fn cost(&self, a: usize) -> f64 {
        self.nodes[self.layout.node_of(a)].cost[self.position[a]]
    }

    /// Most requests per slot agent `a` serves (its function's concurrency limit).
    pub fn limit(&self, a: usize) -> f64 {
        self.nodes[self.layout.node_of(a)].limit[self.position[a]]
    }

    /// Every agent's capacity estimate for a slot in which agent `a` expects
    /// `expected[a]` requests of its own ([`NodeShare::capacities`]).
    pub fn capacities(&self, expected: &[f64], out: &mut Vec<f64>) {
        out.resize(expected.len(), 0.0);
        for (i, node) in self.nodes.iter().enumerate() {
            let agents = self.layout.agents_at(i);
            let mine: Vec<f64> = agents.iter().map(|&a| expected[a]).collect();
            for (&a, c) in agents.iter().zip(node.capacities(&mine)) {
                out[a] = c;
            }
        }
    }

    /// Every agent's view of its node ([`NodeShare::shared_node`]) for a
    /// slot in which agent `a` expects `expected[a]` requests of its own.
    pub fn node_views(&self, expected: &[f64], out: &mut Vec<crate::contract::SharedNode>) {
        out.resize(expected.len(), Default::default());
        for (i, node) in self.nodes.iter().enumerate() {
            let agents = self.layout.agents_at(i);
            let mine: Vec<f64> = agents.iter().map(|&a| expected[a]).collect();
            for (k, &a) in agents.iter().enumerate() {
                out[a] = node.shared_node(&mine, k);
            }
        }
    }

    /// Whether the functions are serverless, sharing each node's units as a
    /// loss system ([`crate::functions::LossNode`]).
    pub fn serverless(&self) -> bool {
        self.nodes.iter().any(|n| n.loss.is_some())
    }

    /// Requests served in a slot where `load[a]` reach agent `a`, queues
    /// aside (what [`NodeShare::admit`] admits at every node).
    pub fn served_at(&self, load: &[u32]) -> u64 {
        (0..self.nodes.len())
            .map(|i| {
                let mine: Vec<u32> = self.layout.agents_at(i).iter().map(|&a| load[a]).collect();
                self.nodes[i].admit(&mine).iter().map(|&x| u64::from(x)).sum::<u64>()
            })
            .sum()
    }

    /// Empties every queue (a new episode).
    pub fn reset(&mut self) {
        self.backlog.iter_mut().for_each(|b| b.iter_mut().for_each(|x| *x = 0));
    }

    /// One slot where `offered[a]` reach agent `a` (own local and
    /// forwarded) ([`NodeShare::slot`]): the arrivals each admits (served or
    /// queued), the requests each serves and, for serverless functions, the
    /// mean time their calls ran (`hold_s`, seconds; `None` otherwise).
    pub fn play(&mut self, offered: &[u32], admitted: &mut [u32], served: &mut [u32], hold_s: &mut [Option<f64>]) {
        for (i, node) in self.nodes.iter().enumerate() {
            let agents = self.layout.agents_at(i);
            let mine: Vec<u32> = agents.iter().map(|&a| offered[a]).collect();
            let s = node.slot(&mut self.backlog[i], &mine);
            for (k, &a) in agents.iter().enumerate() {
                admitted[a] = s.admitted[k];
                served[a] = s.served[k];
                hold_s[a] = s.hold_s.as_ref().map(|h| h[k]);
            }
        }
    }
}
