//! The PACS steady-state model of a serverless platform with warm instances.
//! PLACEHOLDER — being implemented.

use serde::{Deserialize, Serialize};

/// How many warm-instance states the chain explores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateCap {
    /// marl-dfaas default: cap 30, grown by 30 while the blocked rate exceeds the kill rate.
    #[default]
    Faster,
    /// Explore every state up to the maximum concurrency.
    Full,
}

/// Model parameters, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PerfParams {
    pub warm_s: f64,
    pub cold_s: f64,
    pub idle_s: f64,
    pub max_concurrency: u32,
    pub state_cap: StateCap,
}

/// Steady-state outputs for one arrival rate.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PerfResult {
    /// Rejected requests per second.
    pub rejection_rate: f64,
    /// Probability that a request is rejected.
    pub rejection_prob: f64,
    /// Mean response time, seconds.
    pub avg_resp_time: f64,
    /// Probability of a cold start.
    pub cold_prob: f64,
    /// Mean number of instances.
    pub avg_server_count: f64,
    /// Mean number of running instances.
    pub avg_running_count: f64,
    /// Mean utilisation of instances.
    pub avg_utilization: f64,
}

/// Solves the model for arrival rate `lambda` (requests per second).
pub fn solve(lambda: f64, p: &PerfParams) -> PerfResult {
    let _ = (lambda, p);
    unimplemented!("perfmodel")
}
