//! One slot of the federation: decisions → counts → flows → model → outcomes.

use super::Simulator;
use crate::contract::{Decision, keep_unheard_local};
use crate::models::queue::reward_fw;
use crate::rounding::{largest_remainder, remainder_to_argmax};
use crate::topology::Topology;

/// Reusable per-slot buffers (no allocation in the steady state).
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    /// Per agent: `[local, fwd_1 … fwd_k, reject]` counts.
    counts: Vec<Vec<u32>>,
    /// Per receiving node: incoming flows, own local flow first.
    flows: Vec<Vec<u32>>,
    /// Per receiving node: for each forwarded flow, (sender, sender's neighbour slot).
    sources: Vec<Vec<(usize, usize)>>,
    rejects: Vec<u32>,
    tmp: Vec<u32>,
    /// Per agent: requests reaching it, the arrivals its part of a shared
    /// budget admits, and the requests it serves in the slot.
    offered: Vec<u32>,
    admitted: Vec<u32>,
    served: Vec<u32>,
    /// Per agent: a serverless function's mean call duration in the slot.
    hold_s: Vec<Option<f64>>,
    /// A decision's fractions after [`keep_unheard_local`].
    fractions: Vec<f64>,
}

impl Scratch {
    pub(super) fn new(t: &Topology) -> Self {
        let n = t.len();
        Self {
            counts: (0..n).map(|i| vec![0; t.degree(i) + 2]).collect(),
            flows: vec![Vec::new(); n],
            sources: vec![Vec::new(); n],
            rejects: Vec::new(),
            tmp: Vec::new(),
            offered: vec![0; n],
            admitted: vec![0; n],
            served: vec![0; n],
            hold_s: vec![None; n],
            fractions: Vec::new(),
        }
    }
}

/// The serverless/capacity reward: `1 − (2R + LR + FR)/I` (1 when `I = 0`).
pub fn reward_rejects(input: u32, rejected: u32, local_rejects: u32, forward_rejects: u32) -> f64 {
    if input == 0 {
        return 1.0;
    }
    1.0 - (2.0 * rejected as f64 + local_rejects as f64 + forward_rejects as f64) / input as f64
}

impl Simulator {
    /// Converts every decision into whole counts.
    fn counts_from(&mut self, actions: &[Decision]) {
        let s = &mut self.scratch;
        for (i, a) in actions.iter().enumerate() {
            let input = self.inputs[i][self.t];
            let deg = self.topology.degree(i);
            let out = &mut s.counts[i];
            // What a live node does: no share for a neighbour it has not heard from.
            s.fractions.clear();
            if self.even_floor {
                // Published v1: 3-way simplex, whole remainder to the argmax,
                // forward count split evenly by integer division (remainder lost).
                s.fractions.extend([a.local(), a.forwards().iter().sum::<f64>(), a.reject()]);
                keep_unheard_local(&mut s.fractions, &self.obs[i]);
                remainder_to_argmax(input, &s.fractions, &mut s.tmp);
                let (l, f, r) = (s.tmp[0], s.tmp[1], s.tmp[2]);
                out.clear();
                out.push(l);
                let each = if deg > 0 { f / deg as u32 } else { 0 };
                out.extend(std::iter::repeat_n(each, deg));
                out.push(r);
                self.outcomes[i].forward_lost = if deg > 0 { f - each * deg as u32 } else { f };
            } else {
                s.fractions.extend_from_slice(a.as_slice());
                keep_unheard_local(&mut s.fractions, &self.obs[i]);
                largest_remainder(input, &s.fractions, out);
                self.outcomes[i].forward_lost = 0;
            }
        }
    }

    /// Builds each node's incoming flow list: own local first, then forwards
    /// (receiver neighbour order for the queue model, else sender order).
    fn gather_flows(&mut self) {
        let s = &mut self.scratch;
        let n = self.topology.len();
        for r in 0..n {
            s.flows[r].clear();
            s.sources[r].clear();
            s.flows[r].push(s.counts[r][0]);
        }
        if self.models.receiver_order() {
            for r in 0..n {
                for &snd in self.topology.neighbors(r) {
                    let k = self.topology.neighbor_slot(snd, r).expect("undirected graph");
                    let c = s.counts[snd][1 + k];
                    if c > 0 {
                        s.flows[r].push(c);
                        s.sources[r].push((snd, k));
                    }
                }
            }
        } else {
            for snd in 0..n {
                for (k, &r) in self.topology.neighbors(snd).iter().enumerate() {
                    let c = s.counts[snd][1 + k];
                    if c > 0 {
                        s.flows[r].push(c);
                        s.sources[r].push((snd, k));
                    }
                }
            }
        }
    }

    /// Plays the slot `self.t` and fills `self.outcomes`.
    pub(super) fn play_slot(&mut self, actions: &[Decision]) {
        let n = self.topology.len();
        let t = self.t;
        self.counts_from(actions);
        self.gather_flows();
        if let Some(shared) = &mut self.shared {
            let s = &mut self.scratch;
            for (o, f) in s.offered.iter_mut().zip(&s.flows) {
                *o = f.iter().sum();
            }
            shared.play(&s.offered, &mut s.admitted, &mut s.served, &mut s.hold_s);
            for (a, &c) in s.admitted.iter().enumerate() {
                self.models.set_slot_capacity(a, c);
            }
        }
        for i in 0..n {
            let c = &self.scratch.counts[i];
            let deg = c.len() - 2;
            let o = &mut self.outcomes[i];
            o.input = self.inputs[i][t];
            o.local = c[0];
            o.forwarded.clear();
            o.forwarded.extend_from_slice(&c[1..1 + deg]);
            o.rejected = c[1 + deg];
            o.forward_rejects.clear();
            o.forward_rejects.resize(deg, 0);
            o.received = 0;
            o.received_rejects = 0;
        }
        for r in 0..n {
            let res = self.models.resolve(r, &self.scratch.flows[r], &mut self.request_rng, &mut self.scratch.rejects);
            let rejects = &self.scratch.rejects;
            let o = &mut self.outcomes[r];
            o.local_rejects = rejects[0];
            o.processed = res.processed;
            o.queue_len = res.queue_len;
            o.response_time_s = res.response_time_s;
            o.received = self.scratch.flows[r][1..].iter().sum();
            o.received_rejects = rejects[1..].iter().sum();
            for (idx, &(snd, k)) in self.scratch.sources[r].iter().enumerate() {
                self.outcomes[snd].forward_rejects[k] += rejects[1 + idx];
            }
        }
        // A shared budget (with a queue, what ran in the slot differs from
        // what was admitted): what ran.
        if self.shared.is_some() {
            for (a, o) in self.outcomes.iter_mut().enumerate() {
                o.processed = self.scratch.served[a];
                if let Some(h) = self.scratch.hold_s[a] {
                    o.response_time_s = (o.processed > 0).then_some(h);
                }
            }
        }
        self.finish_outcomes();
    }

    /// Rewards and network delays, once every node has resolved.
    pub(super) fn finish_outcomes(&mut self) {
        let t = self.t;
        let queue_cap = self.models.reward_queue_capacity();
        for i in 0..self.topology.len() {
            let o = &self.outcomes[i];
            let total_fwd = o.forwarded_total();
            let delay = (total_fwd > 0).then(|| {
                let acc: f64 = (self.topology.neighbors(i).iter().enumerate())
                    .map(|(k, &j)| o.forwarded[k] as f64 * self.forward_delay_s(i, j, t))
                    .sum();
                acc / total_fwd as f64
            });
            let o = &mut self.outcomes[i];
            let fr = o.forward_rejects_total();
            o.reward = match queue_cap {
                Some(cap) => {
                    let f = o.forwarded_total() + o.forward_lost;
                    reward_fw(o.local, f, o.rejected, o.local_rejects, fr, o.queue_len.unwrap_or(0), cap)
                }
                None => reward_rejects(o.input, o.rejected, o.local_rejects, fr),
            };
            o.network_delay_s = delay;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reward_rejects;

    #[test]
    fn reject_reward_hand_worked() {
        // marl-dfaas logged step: L=37, F=15, R=10, I=62, no capacity rejects → 1 − 20/62.
        assert!((reward_rejects(62, 10, 0, 0) - 0.677_419_354_8).abs() < 1e-9);
        // I=50, R=5, LR=3, FR=2 → 1 − (10+3+2)/50 = 0.7.
        assert!((reward_rejects(50, 5, 3, 2) - 0.7).abs() < 1e-12);
        // Everything rejected on purpose → −1.
        assert_eq!(reward_rejects(10, 10, 0, 0), -1.0);
        assert_eq!(reward_rejects(0, 0, 0, 0), 1.0);
    }
}
