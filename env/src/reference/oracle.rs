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
//! At scale (from [`FLOW_FROM_NODES`] nodes, or [`Method::Flow`]) the same
//! optimum is reached by stages of maximum flow instead of unit by unit:
//! for a threshold λ, receiver `j` may take the units whose marginal cost is
//! at most λ; the greedy's solution holds, for every λ, a maximum flow under
//! those capacities (it processes units by marginal cost, and a polymatroid's
//! greedy is maximal at every threshold). Raising the capacities level by
//! level and augmenting from the previous flow (loads never decrease)
//! reproduces it: exactly, when each stage raises one distinct marginal
//! cost. Stages go bottom up over ranges of the distinct levels: a range's
//! "spread" (its width in marginal cost × the units its stage placed) is
//! what it may cost beyond the optimum; the tolerance per stage is 1/64 of
//! [`GAP_FRACTION`] of the slot's input, a stage over 4× that is undone and
//! tried narrower, the next range doubles after a stage within it. The
//! result is certified by [`Oracle::last_gap`]: its smooth loss minus a
//! lower bound on the optimum, `∫₀¹ (S − F(λ)) dλ` with `S` the input and
//! `F(λ)` the flow at threshold λ — exact below each stage's first level,
//! bounded by the stage's flow inside its range. Units whose marginal cost
//! reaches 1 are rejected on purpose (the same loss as placing them). The
//! same 1-unit exchanges then lower the rounded loss the simulator plays, in
//! sweeps over the nodes.
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

/// Nodes from which [`Method::Auto`] solves by stages of maximum flow.
pub const FLOW_FROM_NODES: usize = 32;

/// The flow method's tolerance scale as a fraction of the slot's input
/// (each stage's tolerance is 1/64 of it; module doc). The certified gap is
/// reported, not bounded by it. Measured at 1 000
/// serverless nodes: a certified gap of 0.14 % of the input in 44 ms a slot
/// (1e-3: 0.006 % in 70–80 ms).
pub const GAP_FRACTION: f64 = 1e-2;

/// A stage whose spread exceeds the tolerance by more than this factor is
/// undone and tried narrower; up to it, it is kept (and counted in the gap).
const UNDO_OVER: f64 = 4.0;

/// How [`Oracle::solve`] finds the per-slot optimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Unit greedy below [`FLOW_FROM_NODES`] nodes, flow stages from there.
    #[default]
    Auto,
    /// Unit by unit along alternating paths, then 1-unit exchange polish.
    Greedy,
    /// Stages of maximum flow over marginal-cost levels.
    Flow,
}

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
    method: Method,
    /// Certified gap of the last solve (0 when exact).
    gap: f64,
    /// Skip the exchanges on the rounded loss after the solve.
    no_polish: bool,
    /// Several functions per node: their shared budgets (the slot is then a
    /// linear program, [`super::joint`]).
    joint: Option<crate::sim::SharedBudget>,
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
        Ok(Self { joint: sim.shared_budget().cloned(), ..Self::default() })
    }

    /// The same oracle solving by `method`.
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Without the exchanges on the rounded loss that follow either method:
    /// the smooth optimum (greedy), or the plan [`Oracle::last_gap`]
    /// certifies (flow).
    pub fn without_polish(mut self) -> Self {
        self.no_polish = true;
        self
    }

    /// The last solve's smooth (convex) loss minus a lower bound on its
    /// optimum, in requests: 0 when the solve was exact (the greedy, or flow
    /// stages each at one distinct marginal cost). With the flow method it
    /// certifies the stages' plan; the exchanges that follow lower the
    /// rounded loss the simulator plays.
    pub fn last_gap(&self) -> f64 {
        self.gap
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
        self.gap = 0.0;
        if let Some(shared) = &self.joint {
            // Every request kept local is the fallback should the solver fail.
            let plan = super::joint::solve(shared, topo, inputs).unwrap_or_else(|| super::joint::Plan {
                x: (0..topo.len())
                    .map(|a| std::iter::once(inputs[a]).chain((0..topo.degree(a)).map(|_| 0)).collect())
                    .collect(),
                left: vec![0; topo.len()],
            });
            self.load = vec![0; topo.len()];
            for a in 0..topo.len() {
                self.load[a] += plan.x[a][0];
                for (k, &b) in topo.neighbors(a).iter().enumerate() {
                    self.load[b] += plan.x[a][k + 1];
                }
            }
            (self.x, self.left) = (plan.x, plan.left);
            return;
        }
        let flow = match self.method {
            Method::Auto => topo.len() >= FLOW_FROM_NODES,
            Method::Greedy => false,
            Method::Flow => true,
        };
        if flow { self.solve_by_flow(topo, inputs, cost) } else { self.solve_greedy(topo, inputs, cost) }
    }

    fn solve_greedy(&mut self, topo: &Topology, inputs: &[u32], cost: &mut dyn FnMut(usize, u32, bool) -> f64) {
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
        if !self.no_polish {
            self.polish(topo, cost);
        }
    }

    /// The flow stages (module doc): marginal costs below 1 per receiver,
    /// levels, one maximum flow per level, then the plan and its gap.
    fn solve_by_flow(&mut self, topo: &Topology, inputs: &[u32], cost: &mut dyn FnMut(usize, u32, bool) -> f64) {
        let n = topo.len();
        // Marginal costs below 1 of each receiver, up to all it could receive.
        let marg: Vec<Vec<f64>> = (0..n)
            .map(|j| {
                let reach = std::iter::once(j)
                    .chain(topo.neighbors(j).iter().copied())
                    .fold(0u32, |acc, i| acc.saturating_add(inputs[i]));
                let mut m = Vec::new();
                let mut prev = cost(j, 0, false);
                for l in 1..=reach {
                    let c = cost(j, l, false);
                    if c - prev >= 1.0 - 1e-12 {
                        break;
                    }
                    m.push(c - prev);
                    prev = c;
                }
                m
            })
            .collect();
        let mut levels: Vec<f64> = marg.iter().flatten().copied().collect();
        levels.sort_by(f64::total_cmp);
        levels.dedup_by(|a, b| (*a - *b).abs() <= 1e-12);
        let mut g = super::flow::OneHop::new(topo, inputs);
        let caps_at = |g: &mut super::flow::OneHop, lam: f64| {
            for (j, m) in marg.iter().enumerate() {
                g.raise(j, m.partition_point(|&x| x <= lam + 1e-12) as u64);
            }
        };
        // Stages over ranges [a, b] of the distinct levels, bottom up (module
        // doc): kept unless the spread is over UNDO_OVER × the tolerance.
        let supply: f64 = inputs.iter().map(|&x| f64::from(x)).sum();
        let tolerance = GAP_FRACTION * supply / 64.0;
        let mut stages: Vec<(usize, usize, u64)> = Vec::new();
        let (mut a, mut width, mut total) = (0usize, 1usize, 0u64);
        while a < levels.len() {
            let b = (a + width - 1).min(levels.len() - 1);
            let saved = (b > a).then(|| g.snapshot());
            caps_at(&mut g, levels[b]);
            let added = g.augment();
            let spread = (levels[b] - levels[a]) * added as f64;
            match saved {
                // Well over: undone, and tried again narrower in proportion.
                Some(saved) if spread > UNDO_OVER * tolerance => {
                    g.restore(saved);
                    width = (((b - a + 1) as f64 * tolerance / spread) as usize).clamp(1, b - a);
                }
                _ => {
                    total += added;
                    stages.push((a, b, total));
                    width = if spread <= tolerance { (b - a + 1) * 2 } else { (b - a + 1).div_ceil(2) };
                    a = b + 1;
                }
            }
        }
        self.x = (0..n).map(|i| (0..=topo.degree(i)).map(|k| g.sent(i, k) as u32).collect()).collect();
        self.load = (0..n).map(|j| g.load(j) as u32).collect();
        self.left = (0..n).map(|i| inputs[i] - self.x[i].iter().sum::<u32>()).collect();
        // Lower bound ∫₀¹ (S − F(λ)) dλ: F is exact below a stage's first
        // level and at most the stage's flow up to its last.
        let (mut bound, mut below, mut before) = (0.0, 0.0, 0u64);
        for &(a, b, f) in &stages {
            bound += (levels[a] - below) * (supply - before as f64) + (levels[b] - levels[a]) * (supply - f as f64);
            (below, before) = (levels[b], f);
        }
        bound += (1.0 - below) * (supply - total as f64);
        let found: f64 = (0..n).map(|j| cost(j, self.load[j], false) - cost(j, 0, false)).sum::<f64>()
            + self.left.iter().map(|&x| f64::from(x)).sum::<f64>();
        self.gap = if stages.iter().all(|&(a, b, _)| a == b) { 0.0 } else { (found - bound).max(0.0) };
        // The simulated loss rounds; exchanges on it never make the plan worse.
        if !self.no_polish {
            self.polish_sweeps(topo, cost);
        }
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

    /// The exchanges of [`Oracle::polish`] in sweeps over the nodes (each
    /// node improved until it cannot be, then the next), until a sweep finds
    /// none: the same local optimum condition in O(n) per sweep at scale.
    fn polish_sweeps(&mut self, topo: &Topology, cost: &mut dyn FnMut(usize, u32, bool) -> f64) {
        for _sweep in 0..100 {
            let mut any = false;
            for a in 0..topo.len() {
                let mut guard = 0;
                while guard < 10_000 && self.improve_at(topo, a, cost) {
                    any = true;
                    guard += 1;
                }
            }
            if !any {
                return;
            }
        }
    }

    /// 1-unit exchanges on the exact cost until none improves (the first
    /// improvable node from node 0 again after each exchange).
    fn polish(&mut self, topo: &Topology, cost: &mut dyn FnMut(usize, u32, bool) -> f64) {
        for _round in 0..10_000 {
            if !(0..topo.len()).any(|a| self.improve_at(topo, a, cost)) {
                return;
            }
        }
    }

    /// One exchange that lowers the exact loss at receiver `a`, if any: a
    /// supplier sending to `a` sends one unit to another of its receivers
    /// instead, or the unit is rejected when `a` loses it anyway.
    fn improve_at(&mut self, topo: &Topology, a: usize, cost: &mut dyn FnMut(usize, u32, bool) -> f64) -> bool {
        if self.load[a] == 0 {
            return false;
        }
        let la = self.load[a];
        let gain_a = cost(a, la, true) - cost(a, la - 1, true);
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
                if cost(b, lb + 1, true) - cost(b, lb, true) - gain_a < -1e-9 {
                    let ka = Self::slot_of(topo, s, a);
                    self.x[s][ka] -= 1;
                    self.x[s][k] += 1;
                    self.load[a] -= 1;
                    self.load[b] += 1;
                    return true;
                }
            }
        }
        if gain_a > 1.0 + 1e-9 {
            for s in std::iter::once(a).chain(topo.neighbors(a).iter().copied()) {
                if self.sends(topo, s, a) > 0 {
                    let ka = Self::slot_of(topo, s, a);
                    self.x[s][ka] -= 1;
                    self.left[s] += 1;
                    self.load[a] -= 1;
                    return true;
                }
            }
        }
        false
    }
}
