//! Memoised model solutions keyed by the whole request count of a slot.

use std::sync::{Arc, OnceLock};

use super::perfmodel::{PerfParams, PerfResult, solve};

/// Counts below this are memoised in a table (at most 5 MiB per node, in
/// pages of [`PAGE`] allocated on first use); larger ones (not met in
/// practice) are solved on every call.
const MAX_MEMO: usize = PAGE * PAGE;
const PAGE: usize = 256;

/// A page of solutions, each written once.
type Page = [OnceLock<PerfResult>; PAGE];

/// Solutions of one node's model for every integer request count per slot:
/// `count` requests in a slot of `slot_seconds` mean `λ = count / slot_seconds`.
///
/// Clones share the table (written once per count, read without locks), so
/// many copies of a federation stepped in parallel solve each count once and
/// keep one table in memory.
#[derive(Debug, Clone)]
pub struct PerfCache {
    params: PerfParams,
    slot_seconds: f64,
    /// `pages[count / PAGE][count % PAGE]`.
    pages: Arc<[OnceLock<Box<Page>>]>,
}

impl PerfCache {
    /// A cache for `params` with slots of `slot_seconds` (a finite positive
    /// number; anything else makes every `λ` count as 0).
    pub fn new(params: PerfParams, slot_seconds: f64) -> Self {
        debug_assert!(slot_seconds.is_finite() && slot_seconds > 0.0, "slot_seconds = {slot_seconds}");
        Self { params, slot_seconds, pages: (0..PAGE).map(|_| OnceLock::new()).collect() }
    }

    /// The model's parameters.
    pub fn params(&self) -> &PerfParams {
        &self.params
    }

    /// The slot length, seconds.
    pub fn slot_seconds(&self) -> f64 {
        self.slot_seconds
    }

    /// The model's solution for `count` requests in one slot.
    pub fn get(&self, count: u32) -> PerfResult {
        let i = count as usize;
        let lambda = f64::from(count) / self.slot_seconds;
        if i >= MAX_MEMO {
            return solve(lambda, &self.params);
        }
        let page = self.pages[i / PAGE].get_or_init(|| Box::new(std::array::from_fn(|_| OnceLock::new())));
        *page[i % PAGE].get_or_init(|| solve(lambda, &self.params))
    }

    /// Counts solved so far (shared by every clone).
    pub fn solved(&self) -> usize {
        self.pages.iter().filter_map(OnceLock::get).map(|p| p.iter().filter(|s| s.get().is_some()).count()).sum()
    }

    /// Whole requests rejected in a slot carrying `count` requests:
    /// `round(rejection_rate · slot_seconds)`, at most `count`. Ties round to
    /// even, like Python's `round()` in marl-dfaas.
    pub fn rejected(&mut self, count: u32) -> u32 {
        let slot = self.slot_seconds;
        let r = (self.get(count).rejection_rate * slot).round_ties_even();
        if r > 0.0 { r.min(f64::from(count)) as u32 } else { 0 }
    }

    /// The largest count `≤ limit` whose slot rejects nothing: counts are tried
    /// upwards from 1 and the search stops at the first one with a rejection
    /// (0 if even one request is rejected).
    pub fn capacity_estimate(&mut self, limit: u32) -> u32 {
        for count in 1..=limit {
            if self.rejected(count) > 0 {
                return count - 1;
            }
        }
        limit
    }
}

impl crate::models::NodeModel for PerfCache {
    fn capacity_per_slot(&mut self) -> f64 {
        self.capacity_estimate(100_000) as f64
    }

    /// The whole slot's count decides the rejections, shared in proportion
    /// to the flows.
    fn resolve(
        &mut self,
        flows: &[u32],
        _rng: &mut crate::seeds::SimRng,
        rejects: &mut Vec<u32>,
    ) -> crate::models::Resolved {
        let total: u32 = flows.iter().sum();
        if total == 0 {
            rejects.clear();
            rejects.resize(flows.len(), 0);
            return crate::models::Resolved::default();
        }
        let rejected = self.rejected(total);
        let resp = self.get(total).avg_resp_time;
        crate::models::apportion::proportional(rejected, flows, rejects);
        crate::models::Resolved { processed: total - rejected, queue_len: None, response_time_s: Some(resp) }
    }

    fn slot_cost(&mut self, l: u32, slot_seconds: f64, exact: bool) -> f64 {
        if exact { self.rejected(l) as f64 } else { (self.get(l).rejection_rate * slot_seconds).min(l as f64) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::serverless::presets;

    #[test]
    fn hits_return_the_solution() {
        let mut c = PerfCache::new(presets::SECONDS, 1.0);
        let early = c.clone();
        let first = c.get(40);
        assert_eq!(first, solve(40.0, &presets::SECONDS));
        assert_eq!(c.get(40), first);
        // A clone made before the solve finds it in the shared table.
        assert_eq!(early.solved(), 1);
        assert_eq!(early.get(40), first);
        assert_eq!(c.solved(), 1);
        assert_eq!(c.rejected(40), 6); // 6.048…
        assert_eq!(c.rejected(0), 0);
    }

    #[test]
    fn large_counts_bypass_the_table() {
        let mut c = PerfCache::new(presets::SECONDS, 1.0);
        let n = MAX_MEMO as u32 + 5;
        assert_eq!(c.get(n), solve(f64::from(n), &presets::SECONDS));
        assert!(c.rejected(n) <= n);
        assert_eq!(c.solved(), 0);
    }
}
