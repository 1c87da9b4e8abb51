//! The `oracle`: a centralised per-slot optimum with full knowledge of every
//! node's input and model (simulator only). For the stateless models
//! (`serverless`, `capacity`) slots are independent, so the per-slot optimum
//! is the episode optimum.
//!
//! Method. A slot is a transportation problem: node `i` sends `x_ij` of its
//! input to itself or a neighbour `j` (one hop), the rest is rejected; a node
//! with load `ℓ` loses `g(ℓ)` requests. Re-routing along an alternating path
//! (supplier → receiver ← supplier → …) leaves every intermediate load
//! unchanged, so adding one unit of load to a receiver costs exactly its
//! marginal `g(ℓ+1) − g(ℓ)`. Units are added one at a time to the reachable
//! receiver of least marginal cost: for convex `g` (capacity model; the
//! serverless model's expected rejections) this greedy is exact on the
//! polymatroid of feasible loads. The serverless model then rounds
//! rejections to whole requests, which is not convex; a 1-unit exchange
//! search on the rounded cost polishes the greedy solution (never worse).
//!
//! Queue model (per-neighbour actions). Queues persist, so the per-slot
//! optimum is a myopic plan, not an episode bound: node `j` with `q` queued
//! requests and a mean CPU capacity of `c` requests per slot serves
//! `min(q + ℓ, c)`, queues the excess up to its queue capacity `Q` and
//! rejects the rest, so its cost is `max(0, q + ℓ − c − Q)` plus
//! [`QUEUE_WAIT_COST`] per request left queued (convex: slopes 0, ε, 1).
//! It respects every node's own CPU and queue and the one-hop topology, so
//! it is tighter than the pooled global node; with random request sizes a
//! policy may beat it on some slots.

use crate::contract::Decision;
use crate::sim::Simulator;
use crate::topology::Topology;

/// Predecessors of a BFS over the residual graph.
struct Reach {
    rpred: Vec<Option<(usize, usize)>>,
    spred: Vec<Option<usize>>,
}

/// Per-slot optimum for the `serverless` and `capacity` models.
#[derive(Debug, Clone, Default)]
pub struct Oracle {
    x: Vec<Vec<u32>>, // x[i][k]: k = 0 own node, k ≥ 1 neighbour k−1
    load: Vec<u32>,
    left: Vec<u32>,
}

/// Why the oracle cannot serve a scenario.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the oracle cannot plan for {0}: use the global-node reference")]
pub struct OracleUnsupported(pub &'static str);

pub use crate::models::queue::QUEUE_WAIT_COST;

impl Oracle {
    /// Checks the simulator's model is supported.
    pub fn new(sim: &Simulator) -> Result<Self, OracleUnsupported> {
        if sim.even_floor() {
            return Err(OracleUnsupported("the 3-way even-floor action (it plans per-neighbour forwards)"));
        }
        Ok(Self::default())
    }

    /// Load placed on each node by the last [`Oracle::solve`].
    pub fn loads(&self) -> &[u32] {
        &self.load
    }

    /// Decisions for every node for the simulator's current slot.
    pub fn decide_all(&mut self, sim: &mut Simulator) -> Vec<Decision> {
        let t = sim.slot();
        let inputs: Vec<u32> = sim.inputs().iter().map(|v| v.get(t).copied().unwrap_or(0)).collect();
        let topo = sim.topology().clone();
        let slot = sim.slot_seconds();
        let models = sim.models_mut();
        self.solve(&topo, &inputs, &mut |n, l, exact| models.slot_cost(n, l, slot, exact));
        (0..topo.len())
            .map(|i| {
                let deg = topo.degree(i);
                if inputs[i] == 0 {
                    return Decision::all_local(deg);
                }
                self.row(i, inputs[i]).unwrap_or_else(|| Decision::all_local(deg))
            })
            .collect()
    }

    /// Node `i`'s share of the last [`Oracle::solve`] as fractions of its
    /// `total` input `[local, fwd…, reject]`; `None` if there is none.
    pub fn row(&self, i: usize, total: u32) -> Option<Decision> {
        let x = self.x.get(i)?;
        if total == 0 {
            return None;
        }
        let mut f: Vec<f64> = x.iter().map(|&c| c as f64 / total as f64).collect();
        f.push(self.left[i] as f64 / total as f64);
        Decision::from_weights(f).ok()
    }

    /// Solves one slot: fills `x`, `load` and `left` (rejected on purpose).
    /// `cost(n, ℓ, exact)` is node `n`'s loss at load `ℓ`: the smooth
    /// (convex) version when `exact` is false, the simulated one when true.
    pub fn solve(&mut self, topo: &Topology, inputs: &[u32], cost: &mut dyn FnMut(usize, u32, bool) -> f64) {
        let n = topo.len();
        self.x = (0..n).map(|i| vec![0; topo.degree(i) + 1]).collect();
        self.load = vec![0; n];
        self.left = inputs.to_vec();
        let mut marg: Vec<f64> = (0..n).map(|r| cost(r, 1, false) - cost(r, 0, false)).collect();
        loop {
            let reach = self.reachable_from_supply(topo);
            let best = (0..n)
                .filter(|&r| reach.rpred[r].is_some())
                .min_by(|&a, &b| marg[a].partial_cmp(&marg[b]).unwrap_or(std::cmp::Ordering::Equal));
            let Some(r) = best else { break };
            if marg[r] > 1.0 + 1e-12 {
                break; // rejecting is cheaper than any placement
            }
            self.augment(topo, &reach, r);
            self.load[r] += 1;
            let l = self.load[r];
            marg[r] = cost(r, l + 1, false) - cost(r, l, false);
        }
        self.polish(topo, cost);
    }

    /// BFS over the residual graph from every supplier with input left.
    /// Receivers are reached by forward edges (`rpred[r] = (supplier, slot)`),
    /// suppliers by backward edges from a receiver they send to (`spred[s] = r`).
    fn reachable_from_supply(&self, topo: &Topology) -> Reach {
        let n = topo.len();
        let mut rpred: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut spred: Vec<Option<usize>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue: Vec<usize> = (0..n).filter(|&i| self.left[i] > 0).collect();
        for &i in &queue {
            seen[i] = true;
        }
        let mut head = 0;
        while head < queue.len() {
            let s = queue[head];
            head += 1;
            for k in 0..=topo.degree(s) {
                let r = if k == 0 { s } else { topo.neighbors(s)[k - 1] };
                if rpred[r].is_some() {
                    continue;
                }
                rpred[r] = Some((s, k));
                for s2 in std::iter::once(r).chain(topo.neighbors(r).iter().copied()) {
                    if !seen[s2] && self.sends(topo, s2, r) > 0 {
                        seen[s2] = true;
                        spred[s2] = Some(r);
                        queue.push(s2);
                    }
                }
            }
        }
        Reach { rpred, spred }
    }

    fn slot_of(topo: &Topology, s: usize, r: usize) -> usize {
        if s == r { 0 } else { 1 + topo.neighbor_slot(s, r).expect("neighbours") }
    }

    fn sends(&self, topo: &Topology, s: usize, r: usize) -> u32 {
        self.x[s][Self::slot_of(topo, s, r)]
    }

    /// Moves one unit along the alternating path ending at receiver `r`:
    /// every intermediate receiver keeps its load, `r` gains one.
    fn augment(&mut self, topo: &Topology, reach: &Reach, mut r: usize) {
        loop {
            let (s, k) = reach.rpred[r].expect("reachable receiver");
            self.x[s][k] += 1;
            match reach.spred[s] {
                None => {
                    self.left[s] -= 1; // a root: it had input left
                    return;
                }
                Some(r_prev) => {
                    let kp = Self::slot_of(topo, s, r_prev);
                    self.x[s][kp] -= 1;
                    r = r_prev;
                }
            }
        }
    }

    /// 1-unit exchanges on the exact cost until none improves.
    fn polish(&mut self, topo: &Topology, cost: &mut dyn FnMut(usize, u32, bool) -> f64) {
        let n = topo.len();
        for _round in 0..10_000 {
            let mut improved = false;
            for a in 0..n {
                if self.load[a] == 0 {
                    continue;
                }
                let la = self.load[a];
                let gain_a = cost(a, la, true) - cost(a, la - 1, true);
                // Direct moves: a supplier s sending to a can send to b instead.
                for s in std::iter::once(a).chain(topo.neighbors(a).iter().copied()) {
                    if self.sends(topo, s, a) == 0 {
                        continue;
                    }
                    for k in 0..=topo.degree(s) {
                        let b = if k == 0 { s } else { topo.neighbors(s)[k - 1] };
                        if b == a {
                            continue;
                        }
                        let lb = self.load[b];
                        let delta = cost(b, lb + 1, true) - cost(b, lb, true) - gain_a;
                        if delta < -1e-9 {
                            let ka = Self::slot_of(topo, s, a);
                            self.x[s][ka] -= 1;
                            self.x[s][k] += 1;
                            self.load[a] -= 1;
                            self.load[b] += 1;
                            improved = true;
                            break;
                        }
                    }
                    if improved {
                        break;
                    }
                }
                if improved {
                    break;
                }
                // Shedding a unit to a reject when the node loses it anyway.
                if gain_a > 1.0 + 1e-9 {
                    for s in std::iter::once(a).chain(topo.neighbors(a).iter().copied()) {
                        if self.sends(topo, s, a) > 0 {
                            let ka = Self::slot_of(topo, s, a);
                            self.x[s][ka] -= 1;
                            self.left[s] += 1;
                            self.load[a] -= 1;
                            improved = true;
                            break;
                        }
                    }
                }
                if improved {
                    break;
                }
            }
            if !improved {
                return;
            }
        }
    }
}
