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
        for i in 0..self.topology.len() {
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
            };
            let (topology, links, outcomes, capacity) = (&self.topology, &self.links, &self.outcomes, &self.capacity);
            let delay_slot = t.min(self.max_steps - 1);
            let slot_seconds = self.slot_seconds;
            let neighbors = topology.neighbors(i).iter().map(|&j| NeighborInput {
                node: j,
                latency_s: links.forward_delay_s(i, j, delay_slot),
                // Every neighbour advertised the slot that just ended (none before slot 0).
                heard: (!first).then(|| Heard {
                    advert: Advert::of(&outcomes[j], capacity[j]),
                    degree: topology.degree(j) as u32,
                    age_seconds: slot_seconds,
                }),
            });
            build_observation(&node, neighbors, &mut self.obs[i]);
        }
    }
}
