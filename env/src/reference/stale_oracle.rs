//! The `stale-oracle`: the oracle's optimum planned with what a node can
//! know when it decides (simulator only; per-neighbour actions).
//!
//! Each node plans the whole federation's slot with [`Oracle::solve`] on its
//! own view: its own input of the slot (what its observation carries) and
//! every other node's input one slot old (the state its neighbours gossiped),
//! then applies its own row of that plan — the fractions to keep, to forward
//! to each neighbour and to reject — to its real input. Nodes plan alike but
//! apart, so their plans need not agree; the simulator plays what they send.
//! It bounds what a decentralised node acting on one-slot-old information
//! can reach by planning, not by learning the scenario's regularities: the
//! first slot, where no state is one slot old yet, is planned on the slot's
//! inputs, as the oracle does, so a policy that learned the first slot does
//! not beat the reference there. With the queue model, the queue lengths it
//! plans with are those at the end of the previous slot, which is what the
//! neighbours gossiped then.
//!
//! At scale (from [`FLOW_FROM_NODES`] nodes) one plan per node is n solves
//! a slot, so every node applies its row of one plan made on the shared
//! one-slot-old view of all inputs to its real input (one solve a slot): a
//! node plans with last slot's input of its own too, except a node idle
//! last slot, which the shared view gives its current input.

use crate::contract::Decision;
use crate::sim::Simulator;

use super::oracle::{FLOW_FROM_NODES, Oracle, OracleUnsupported};

/// Per-node optimum on one-slot-old information about the other nodes.
#[derive(Debug, Clone, Default)]
pub struct StaleOracle {
    oracle: Oracle,
    /// Inputs of the previous slot (`None` at the first slot).
    previous: Option<Vec<u32>>,
}

impl StaleOracle {
    /// Checks the oracle can plan for the simulator (per-neighbour actions).
    pub fn new(sim: &Simulator) -> Result<Self, OracleUnsupported> {
        Ok(Self { oracle: Oracle::new(sim)?, previous: None })
    }

    /// The certified gap of the last plan made on the shared view (at
    /// scale; 0 for the per-node plans, solved exactly).
    pub fn last_gap(&self) -> f64 {
        self.oracle.last_gap()
    }

    /// Decisions for every node for the simulator's current slot.
    pub fn decide_all(&mut self, sim: &mut Simulator) -> Vec<Decision> {
        let t = sim.slot();
        let inputs: Vec<u32> = sim.inputs().iter().map(|v| v.get(t).copied().unwrap_or(0)).collect();
        if t == 0 {
            self.previous = None;
        }
        let Some(previous) = self.previous.replace(inputs.clone()) else {
            return self.oracle.decide_all(sim);
        };
        let topo = sim.topology().clone();
        let slot = sim.slot_seconds();
        let models = sim.models_mut();
        if topo.len() >= FLOW_FROM_NODES {
            let view: Vec<u32> = previous.iter().zip(&inputs).map(|(&p, &x)| if p == 0 { x } else { p }).collect();
            self.oracle.solve(&topo, &view, &mut |n, l, exact| models.slot_cost(n, l, slot, exact));
            return (0..topo.len())
                .map(|i| {
                    let row = self.oracle.row(i, view[i]).filter(|_| inputs[i] > 0);
                    row.unwrap_or_else(|| Decision::all_local(topo.degree(i)))
                })
                .collect();
        }
        (0..topo.len())
            .map(|i| {
                let own = inputs[i];
                if own == 0 {
                    return Decision::all_local(topo.degree(i));
                }
                let mut view = previous.clone();
                view[i] = own;
                self.oracle.solve(&topo, &view, &mut |n, l, exact| models.slot_cost(n, l, slot, exact));
                self.oracle.row(i, own).unwrap_or_else(|| Decision::all_local(topo.degree(i)))
            })
            .collect()
    }
}
