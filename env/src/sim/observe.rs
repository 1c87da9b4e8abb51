//! Building each node's observation from the previous slot's outcomes and
//! what its neighbours advertised (their state one slot ago).

use super::Simulator;

impl Simulator {
    /// Refreshes `self.obs` for slot `self.t` (after the last slot: the real
    /// final observation, with no further input).
    pub(super) fn observe(&mut self) {
        let t = self.t;
        let n = self.topology.len();
        let first = t == 0;
        for i in 0..n {
            let prev = &self.outcomes[i];
            let input = self.inputs[i].get(t).copied().unwrap_or(0);
            let o = &mut self.obs[i];
            o.node = i;
            o.slot = t as u32;
            o.slot_seconds = self.slot_seconds;
            // A predicting node knows only its forecast, as a live agent does.
            match self.predictors.get(i) {
                Some(p) => {
                    o.predicted_input = p.predict();
                    o.input = o.predicted_input.round().min(u32::MAX as f64) as u32;
                }
                None => {
                    o.input = input;
                    o.predicted_input = input as f64;
                }
            }
            o.prev_input = if first { 0 } else { prev.input };
            o.capacity = self.capacity[i];
            o.queue_len = self.models.queue_len(i);
            o.prev_local = prev.local;
            o.prev_local_rejects = prev.local_rejects;
            o.prev_rejected = prev.rejected;
            let nbs = self.topology.neighbors(i);
            o.neighbors.resize_with(nbs.len(), Default::default);
            for (k, &j) in nbs.iter().enumerate() {
                let pj = &self.outcomes[j];
                let cap = self.capacity[j];
                let nb = &mut o.neighbors[k];
                nb.node = j;
                nb.prev_forwarded = prev.forwarded.get(k).copied().unwrap_or(0);
                nb.prev_forward_rejects = prev.forward_rejects.get(k).copied().unwrap_or(0);
                nb.degree = self.topology.degree(j) as u32;
                nb.latency_s = self.links.forward_delay_s(i, j, t.min(self.max_steps - 1));
                if first {
                    nb.spare_capacity = 0.0;
                    nb.capacity = 0.0;
                    nb.load = 0.0;
                    nb.age_seconds = None;
                } else {
                    let a = crate::contract::Advert::of(pj, cap);
                    nb.spare_capacity = a.spare_capacity;
                    nb.capacity = a.capacity;
                    nb.load = a.load;
                    nb.age_seconds = Some(self.slot_seconds);
                }
            }
        }
    }
}
