//! Sharing a node's budget among its functions in a slot: weighted max-min
//! fairness (water-filling), work-conserving. Each function is guaranteed
//! its weight's part of the budget when it has the load for it; what a
//! function leaves unused goes to the others in proportion to their weights.
//! With weights equal to the demands it is proportional sharing: every
//! function keeps the same fraction of its demand, as calls queued first
//! come, first served on the node's units get. All amounts are unit-seconds
//! of the node's budget.

/// Smallest weight: a function with share 0 is served only from what the
/// others leave.
const MIN_WEIGHT: f64 = 1e-12;

/// What each function receives of `budget` when it asks for `demand`,
/// weighted by `weight` (same length): `min(demand, weight·λ)` with the
/// level `λ` that spends the budget, or every demand when it fits.
pub fn water_fill(budget: f64, demand: &[f64], weight: &[f64]) -> Vec<f64> {
    let total: f64 = demand.iter().sum();
    // Within round-off of the budget (a plan that spends it exactly) fits.
    if total <= budget * (1.0 + 1e-12) + 1e-9 {
        return demand.to_vec();
    }
    let w = |k: usize| weight[k].max(MIN_WEIGHT);
    let mut order: Vec<usize> = (0..demand.len()).collect();
    order.sort_by(|&a, &b| (demand[a] / w(a)).total_cmp(&(demand[b] / w(b))));
    let mut left = budget.max(0.0);
    let mut weights: f64 = order.iter().map(|&k| w(k)).sum();
    let mut out = vec![0.0; demand.len()];
    for (pos, &k) in order.iter().enumerate() {
        let fair = w(k) * left / weights;
        if demand[k] <= fair {
            out[k] = demand[k];
            left -= demand[k];
            weights -= w(k);
        } else {
            // The rest share what is left by weight (summed afresh: no drift).
            let rest: f64 = order[pos..].iter().map(|&r| w(r)).sum();
            for &r in &order[pos..] {
                out[r] = w(r) * left / rest;
            }
            break;
        }
    }
    out
}

/// What each function can count on in a slot where the functions expect
/// `demand`: its water-filled part (by `weight`) plus its `spare_weight`'s
/// part of what nobody expects to use (so the node never promises the same
/// units twice).
pub fn estimate(budget: f64, demand: &[f64], weight: &[f64], spare_weight: &[f64]) -> Vec<f64> {
    let mut a = water_fill(budget, demand, weight);
    let left = (budget - a.iter().sum::<f64>()).max(0.0);
    let weights: f64 = spare_weight.iter().map(|w| w.max(MIN_WEIGHT)).sum();
    for (x, w) in a.iter_mut().zip(spare_weight) {
        *x += left * w.max(MIN_WEIGHT) / weights;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn demands_that_fit_are_served_whole() {
        assert!(close(&water_fill(10.0, &[3.0, 4.0], &[0.5, 0.5]), &[3.0, 4.0]));
    }

    #[test]
    fn overload_is_shared_max_min_by_weight() {
        // Equal weights: the small demand is served, the rest split.
        assert!(close(&water_fill(10.0, &[2.0, 20.0, 20.0], &[1.0, 1.0, 1.0]), &[2.0, 4.0, 4.0]));
        // Weights 3:1, both over: 7.5 / 2.5.
        assert!(close(&water_fill(10.0, &[20.0, 20.0], &[0.75, 0.25]), &[7.5, 2.5]));
        // The heavy-weight function needs only 5: the other takes the rest.
        assert!(close(&water_fill(10.0, &[5.0, 20.0], &[0.75, 0.25]), &[5.0, 5.0]));
        // Proportional: weights equal to demands keep the same fraction of each.
        assert!(close(&water_fill(10.0, &[30.0, 10.0], &[30.0, 10.0]), &[7.5, 2.5]));
        // Share 0: served only from what the others leave.
        assert!(close(&water_fill(10.0, &[20.0, 20.0], &[1.0, 0.0]), &[10.0, 0.0]));
        assert!(close(&water_fill(10.0, &[4.0, 20.0], &[1.0, 0.0]), &[4.0, 6.0]));
    }

    #[test]
    fn estimates_split_the_unused_budget_by_weight() {
        // 10 units, 2 + 4 expected: 4 left, split 1:1 → 4 and 6.
        assert!(close(&estimate(10.0, &[2.0, 4.0], &[1.0, 1.0], &[1.0, 1.0]), &[4.0, 6.0]));
        // Overloaded: the estimate is the water-filled part, nothing left.
        assert!(close(&estimate(10.0, &[20.0, 20.0], &[0.75, 0.25], &[1.0, 1.0]), &[7.5, 2.5]));
        // Proportional sharing (weights = demands): the same fraction for each.
        assert!(close(&estimate(10.0, &[30.0, 10.0], &[30.0, 10.0], &[1.0, 1.0]), &[7.5, 2.5]));
        // Idle node: the whole budget by spare weight.
        assert!(close(&estimate(8.0, &[0.0, 0.0], &[0.0, 0.0], &[0.75, 0.25]), &[6.0, 2.0]));
        let e = estimate(9.0, &[1.0, 30.0, 0.5], &[1.0, 2.0, 1.0], &[1.0, 1.0, 1.0]);
        assert!((e.iter().sum::<f64>() - 9.0).abs() < 1e-9, "never promises more than the budget");
    }
}
