//! Building each node's observation from the previous slot's outcomes and
//! what its neighbours advertised (their state one slot ago), with the one
//! builder the live agent uses ([`crate::contract::build_observation`]).

use super::Simulator;
use crate::contract::{Advert, Foresight, Heard, NeighborInput, NodeInput, build_observation};

impl Simulator {
    /// Refreshes `self.obs` for slot `self.t` (after the last slot: the real
    /// final observation, with no further input).
    pub(super) fn observe(&mut self) {
        let t = self.t;
        let first = t == 0;
        self.share_budgets();
        for i in 0..self.topology.len() {
            let mut obs = std::mem::take(&mut self.obs[i]);
            // A predicting node knows only its forecast, as a live agent does.
            let foresight = match self.predictors.get(i) {
                Some(p) => Foresight::Predicted(p.predict()),
                None => Foresight::Known(self.inputs[i].get(t).copied().unwrap_or(0)),
            };
            let node = NodeInput {
                node: i,
                slot: t as u32,
                slot_seconds: self.slot_seconds,
                capacity: self.capacity[i],
                queue_len: self.models.queue_len(i),
                prev: (!first).then_some(&self.outcomes[i]),
                foresight,
                shared: self.node_views.get(i).copied(),
            };
            let (topology, outcomes, capacity) = (&self.topology, &self.outcomes, &self.advert_capacity);
            let delay_slot = t.min(self.max_steps - 1);
            let slot_seconds = self.slot_seconds;
            let this = &*self;
            let neighbors = topology.neighbors(i).iter().map(|&j| NeighborInput {
                node: j,
                latency_s: this.forward_delay_s(i, j, delay_slot),
                // Every neighbour advertised the slot that just ended (none before slot 0).
                heard: (!first).then(|| Heard {
                    advert: Advert::of(&outcomes[j], capacity[j]),
                    degree: topology.degree(j) as u32,
                    age_seconds: slot_seconds,
                }),
            });
            build_observation(&node, neighbors, &mut obs);
            self.obs[i] = obs;
        }
    }

    /// Several functions per node: the estimates of the slot that ended
    /// become what neighbours advertise, and each agent's part of its node's
    /// budget for the coming slot is shared out by what every function of
    /// the node expects (its forecast, or the true input where revealed).
    fn share_budgets(&mut self) {
        let Some(shared) = &mut self.shared else { return };
        let t = self.t;
        let expected: Vec<f64> = (0..self.inputs.len())
            .map(|a| match self.predictors.get(a) {
                Some(p) => p.predict(),
                None => self.inputs[a].get(t).copied().unwrap_or(0) as f64,
            })
            .collect();
        std::mem::swap(&mut self.advert_capacity, &mut self.capacity);
        shared.capacities(&expected, &mut self.capacity);
        shared.node_views(&expected, &mut self.node_views);
    }
}
