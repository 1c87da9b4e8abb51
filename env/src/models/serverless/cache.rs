//! Memoised model solutions keyed by the whole request count of a slot.
//! PLACEHOLDER — being implemented.

use super::perfmodel::{PerfParams, PerfResult};

/// Solutions of one node's model for every integer request count per slot.
#[derive(Debug, Clone)]
pub struct PerfCache {
    params: PerfParams,
    slot_seconds: f64,
}

impl PerfCache {
    /// A cache for `params` with slots of `slot_seconds`.
    pub fn new(params: PerfParams, slot_seconds: f64) -> Self {
        Self {
            params,
            slot_seconds,
        }
    }

    /// The model's solution for `count` requests in one slot.
    pub fn get(&mut self, count: u32) -> &PerfResult {
        let _ = (count, self.params, self.slot_seconds);
        unimplemented!("cache")
    }

    /// Whole requests rejected in a slot carrying `count` requests
    /// (`round(rejection_rate · slot_seconds)`, at most `count`).
    pub fn rejected(&mut self, count: u32) -> u32 {
        let _ = count;
        unimplemented!("cache")
    }

    /// Largest count whose rejections round to zero.
    pub fn capacity_estimate(&mut self, limit: u32) -> u32 {
        let _ = limit;
        unimplemented!("cache")
    }
}
