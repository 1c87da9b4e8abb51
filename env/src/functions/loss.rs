//! Serverless functions sharing a node's budget with no queue: a multi-rate
//! loss system (the stochastic knapsack of Kaufman and Roberts).
//!
//! A node has `C` units; a call of function `f` holds `b_f` of them while it
//! runs and needs one of the function's at most `M_f` instances; a call that
//! finds fewer than `b_f` units free, or every instance busy, is rejected —
//! what the live runtime's synthetic backend does under `budget_units` with
//! no budget queue. With Poisson arrivals of `a_f` erlangs (`λ_f` calls per
//! second × mean holding time `h_f`) the occupancy has the product form
//! `π(n) ∝ Π_f a_f^{n_f} / n_f!` over `{Σ_f b_f n_f ≤ C, n_f ≤ M_f}`,
//! whatever the holding-time distribution (insensitivity), so the warm and
//! cold service times enter through their mean only. A call of `f` is
//! rejected with probability `B_f`, the mass of the states where one more
//! does not fit; `B_f` is computed by convolving the other functions'
//! occupancy, in units, with `f`'s own.
//!
//! The holding time mixes warm and cold starts: `h_f = Tw + P_cold·(Tc − Tw)`,
//! with `P_cold` the cold-start probability of the PACS steady-state model
//! ([`crate::models::serverless`]) for the function's instances (`M_f`, idle
//! timeout `Ti`) at its arrival rate. As with the single-function serverless
//! model, each slot is taken at its steady state.

use crate::models::serverless::{PerfCache, PerfParams, StateCap};

/// A serverless function's cold start: service time of a call that starts
/// a new instance, and idle time before an instance is reclaimed, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColdStart {
    pub cold_service_s: f64,
    pub idle_timeout_s: f64,
}

/// One function of a [`LossNode`].
#[derive(Debug, Clone)]
struct Class {
    /// Units a call holds.
    units: u32,
    /// Most calls at once: its instance limit, and what the budget allows
    /// (never more than `units` of the node fit).
    limit: u32,
    warm_s: f64,
    cold_s: f64,
    /// The PACS model of its instances, for the cold-start probability.
    pacs: PerfCache,
}

/// A node's serverless functions sharing its `units` with no queue.
#[derive(Debug, Clone)]
pub struct LossNode {
    units: u32,
    slot_seconds: f64,
    classes: Vec<Class>,
}

impl LossNode {
    /// A node of `units` (≥ 1) with slots of `slot_seconds` hosting functions
    /// given as `(units per call ≥ 1, warm service s, cold start, instance limit)`.
    pub fn new(
        units: u32,
        slot_seconds: f64,
        functions: impl IntoIterator<Item = (u32, f64, ColdStart, Option<u32>)>,
    ) -> Self {
        let classes = functions
            .into_iter()
            .map(|(b, warm_s, cold, max)| {
                let by_budget = units / b.max(1);
                let limit = max.map_or(by_budget, |m| m.min(by_budget));
                let params = PerfParams {
                    warm_s,
                    cold_s: cold.cold_service_s,
                    idle_s: cold.idle_timeout_s,
                    max_concurrency: limit.max(1),
                    state_cap: StateCap::Faster,
                };
                Class {
                    units: b.max(1),
                    limit,
                    warm_s,
                    cold_s: cold.cold_service_s,
                    pacs: PerfCache::new(params, slot_seconds),
                }
            })
            .collect();
        Self { units, slot_seconds, classes }
    }

    /// Mean time a call of function `k` holds its units when `count` of its
    /// calls arrive in a slot, seconds.
    pub fn hold_s(&self, k: usize, count: f64) -> f64 {
        let c = &self.classes[k];
        let n = count.max(0.0).round().min(f64::from(u32::MAX)) as u32;
        let cold = if n == 0 { 1.0 } else { c.pacs.get(n).cold_prob };
        c.warm_s + cold * (c.cold_s - c.warm_s)
    }

    /// Each function's rejection probability when `counts` of its calls
    /// arrive in a slot.
    pub fn blocking(&self, counts: &[f64]) -> Vec<f64> {
        let terms = self.terms(counts);
        (0..self.classes.len()).map(|k| self.blocked_fraction(k, &terms[k], &self.others(&terms, k))).collect()
    }

    /// Whole calls of each function rejected when `offered` arrive in a
    /// slot: `round(B_f · offered_f)`, ties to even, at most `offered_f`.
    pub fn rejected(&self, offered: &[u32]) -> Vec<u32> {
        let counts: Vec<f64> = offered.iter().map(|&o| f64::from(o)).collect();
        self.blocking(&counts).iter().zip(offered).map(|(b, &o)| reject_count(*b, o)).collect()
    }

    /// Each function's capacity when the others receive `expected`: the
    /// most calls per slot it can take with no rejection expected
    /// (`round(B_f · count) = 0`), found by bisection (rejections grow with
    /// the count).
    pub fn capacities(&self, expected: &[f64]) -> Vec<f64> {
        let terms = self.terms(expected);
        (0..self.classes.len())
            .map(|k| {
                let others = self.others(&terms, k);
                let rejects = |count: u32| {
                    let own = self.class_terms(k, f64::from(count));
                    reject_count(self.blocked_fraction(k, &own, &others), count)
                };
                let c = &self.classes[k];
                // No more than its instances can serve warm, plus one.
                let mut hi = (f64::from(c.limit) * self.slot_seconds / c.warm_s).ceil().min(1e7) as u32 + 1;
                if rejects(hi) == 0 {
                    return f64::from(hi);
                }
                let mut lo = 0u32;
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if rejects(mid) == 0 { lo = mid } else { hi = mid }
                }
                f64::from(lo)
            })
            .collect()
    }

    /// Unnormalised occupancy terms of every function at `counts` per slot.
    fn terms(&self, counts: &[f64]) -> Vec<Vec<f64>> {
        (0..self.classes.len()).map(|k| self.class_terms(k, counts[k])).collect()
    }

    /// Function `k`'s occupancy in units: `p[b·n] ∝ a^n / n!`, `n ≤ limit`,
    /// scaled so its largest term is 1 (the scale cancels in every ratio).
    fn class_terms(&self, k: usize, count: f64) -> Vec<f64> {
        let c = &self.classes[k];
        let mut p = vec![0.0; self.units as usize + 1];
        let a = count.max(0.0) / self.slot_seconds * self.hold_s(k, count);
        if a <= 0.0 {
            p[0] = 1.0;
            return p;
        }
        let ln_a = a.ln();
        let mut logs = Vec::with_capacity(c.limit as usize + 1);
        let mut l = 0.0;
        logs.push(l);
        for n in 1..=c.limit {
            l += ln_a - f64::from(n).ln();
            logs.push(l);
        }
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for (n, l) in logs.iter().enumerate() {
            p[n * c.units as usize] = (l - max).exp();
        }
        p
    }

    /// Cumulative occupancy of every function but `k`: `out[j]` = mass with
    /// at most `j` units in use.
    fn others(&self, terms: &[Vec<f64>], k: usize) -> Vec<f64> {
        let c = self.units as usize;
        let mut q = vec![0.0; c + 1];
        q[0] = 1.0;
        for (g, t) in terms.iter().enumerate() {
            if g == k {
                continue;
            }
            let mut next = vec![0.0; c + 1];
            for (i, &x) in q.iter().enumerate().filter(|(_, x)| **x > 0.0) {
                for (j, &y) in t[..=c - i].iter().enumerate().filter(|(_, y)| **y > 0.0) {
                    next[i + j] += x * y;
                }
            }
            // Rescale: a product of many terms stays in range.
            let top = next.iter().copied().fold(0.0, f64::max);
            q = next.into_iter().map(|v| v / top).collect();
        }
        let mut acc = 0.0;
        q.iter_mut().for_each(|v| {
            acc += *v;
            *v = acc;
        });
        q
    }

    /// The probability that a call of `k` finds no room, from its own terms
    /// and the others' cumulative occupancy.
    fn blocked_fraction(&self, k: usize, own: &[f64], others: &[f64]) -> f64 {
        let c = &self.classes[k];
        let (b, cap) = (c.units as usize, self.units as usize);
        let (mut total, mut blocked) = (0.0, 0.0);
        for n in 0..=c.limit as usize {
            let w = own[n * b];
            if w == 0.0 {
                continue;
            }
            // `limit ≤ units / b`: below the limit one more call's units fit the node.
            let room = cap - n * b;
            total += w * others[room];
            blocked += w * if n == c.limit as usize { others[room] } else { others[room] - others[room - b] };
        }
        if total > 0.0 { (blocked / total).clamp(0.0, 1.0) } else { 1.0 }
    }
}

/// `round(p · offered)`, ties to even, within `0..=offered`.
fn reject_count(p: f64, offered: u32) -> u32 {
    ((p * f64::from(offered)).round_ties_even().max(0.0) as u32).min(offered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_COLD: ColdStart = ColdStart { cold_service_s: 1.0, idle_timeout_s: 1e9 };

    /// Erlang B by its recursion.
    fn erlang_b(a: f64, m: u32) -> f64 {
        (1..=m).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
    }

    /// One function with cold start = warm: Erlang B over its instances.
    #[test]
    fn one_function_is_erlang_b() {
        let cold = ColdStart { cold_service_s: 0.5, idle_timeout_s: 60.0 };
        // 8 units, 2 per call: 4 calls at once; 60 calls in 10 s of 0.5 s: 3 erlangs.
        let node = LossNode::new(8, 10.0, [(2, 0.5, cold, None)]);
        let b = node.blocking(&[60.0])[0];
        assert!((b - erlang_b(3.0, 4)).abs() < 1e-12, "{b} vs {}", erlang_b(3.0, 4));
        // An instance limit below the budget's binds.
        let node = LossNode::new(8, 10.0, [(2, 0.5, cold, Some(3))]);
        assert!((node.blocking(&[60.0])[0] - erlang_b(3.0, 3)).abs() < 1e-12);
        assert_eq!(node.rejected(&[60]), vec![(erlang_b(3.0, 3) * 60.0).round() as u32]);
    }

    /// Two functions against the product form summed state by state.
    #[test]
    fn two_functions_match_enumeration() {
        let node = LossNode::new(10, 1.0, [(3, 1.0, NO_COLD, None), (1, 1.0, NO_COLD, Some(6))]);
        // A cold start as long as a warm call: every call holds its units 1 s.
        let (h0, h1) = (node.hold_s(0, 2.0), node.hold_s(1, 5.0));
        assert!((h0 - 1.0).abs() < 1e-6 && (h1 - 1.0).abs() < 1e-6, "{h0} {h1}");
        let (a0, a1) = (2.0 * h0, 5.0 * h1);
        let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
        let (mut total, mut blocked) = (0.0, [0.0, 0.0]);
        for n0 in 0..=3u32 {
            for n1 in 0..=6u32 {
                if 3 * n0 + n1 > 10 {
                    continue;
                }
                let p = a0.powi(n0 as i32) / fact(n0) * a1.powi(n1 as i32) / fact(n1);
                total += p;
                if 3 * (n0 + 1) + n1 > 10 {
                    blocked[0] += p;
                }
                if n1 == 6 || 3 * n0 + n1 + 1 > 10 {
                    blocked[1] += p;
                }
            }
        }
        let b = node.blocking(&[2.0, 5.0]);
        assert!((b[0] - blocked[0] / total).abs() < 1e-12, "{b:?}");
        assert!((b[1] - blocked[1] / total).abs() < 1e-12, "{b:?}");
        assert!(b[0] > b[1], "the expensive function is blocked more");
    }

    /// Cold starts lengthen the holding time, and capacities are the
    /// largest counts with no rejection expected.
    #[test]
    fn cold_starts_and_capacities() {
        let cold = ColdStart { cold_service_s: 2.0, idle_timeout_s: 5.0 };
        let node = LossNode::new(8, 10.0, [(4, 0.4, cold, None), (1, 0.02, cold, None)]);
        assert!(node.hold_s(0, 1.0) > 1.0, "a rare call mostly cold-starts");
        assert!(node.hold_s(0, 50.0) < node.hold_s(0, 1.0));
        let caps = node.capacities(&[5.0, 100.0]);
        for (k, &cap) in caps.iter().enumerate() {
            let mut at = [5.0, 100.0];
            at[k] = cap;
            let mut above = at;
            above[k] = cap + 1.0;
            let r = |c: [f64; 2]| reject_count(node.blocking(&c)[k], c[k] as u32);
            assert_eq!(r(at), 0, "function {k} at its capacity {cap}");
            assert!(r(above) > 0, "function {k} above its capacity {cap}");
        }
        // Large budgets keep the terms in range.
        let big = LossNode::new(4000, 60.0, [(1, 0.05, cold, None), (2, 0.5, cold, None)]);
        let b = big.blocking(&[2_000_000.0, 200_000.0]);
        assert!(b.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)), "{b:?}");
    }
}
