//! Named parameter sets of the serverless model. Times are in seconds and the
//! model's arrival rates in requests per second.

use super::perfmodel::{PerfParams, StateCap};

/// The corrected marl-dfaas master defaults (the default preset): warm
/// service 0.137 s, cold start 0.513 s, idle timeout 30 s, at most 7
/// instances, `faster` state cap.
pub const SECONDS: PerfParams =
    PerfParams { warm_s: 0.137, cold_s: 0.513, idle_s: 30.0, max_concurrency: 7, state_cap: StateCap::Faster };

/// marl-dfaas master as it runs upstream, for reproduction only: the service
/// times are sampled in milliseconds (137 ms warm, 513 ms cold) but fed to the
/// model as seconds (137 s, 513 s; idle timeout 30 s, at most 7 instances,
/// `faster`). The chain then rests with no warm instance and the model never
/// rejects (below 1e-9 requests per second for 1 to 300 requests per second).
pub const MASTER_AS_IS: PerfParams =
    PerfParams { warm_s: 137.0, cold_s: 513.0, idle_s: 30.0, max_concurrency: 7, state_cap: StateCap::Faster };

/// marl-dfaas master defaults of November 2025: warm service 0.5 s, cold start
/// 1.25 s, idle timeout 60 s, at most 30 instances, `faster`.
pub const NOV2025: PerfParams =
    PerfParams { warm_s: 0.5, cold_s: 1.25, idle_s: 60.0, max_concurrency: 30, state_cap: StateCap::Faster };

/// The older marl-dfaas notebook defaults (origin of the "63 requests per node
/// per step" capacity): warm service 15 s, cold start 30 s, idle timeout
/// 600 s, at most 1000 instances, `faster`.
pub const LMM: PerfParams =
    PerfParams { warm_s: 15.0, cold_s: 30.0, idle_s: 600.0, max_concurrency: 1000, state_cap: StateCap::Faster };

/// Names of every preset, the default (`seconds`) first.
pub const PRESET_NAMES: &[&str] = &["seconds", "master-as-is", "nov2025", "lmm"];

/// The parameters of a preset, or `None` for an unknown name.
pub fn preset(name: &str) -> Option<PerfParams> {
    match name {
        "seconds" => Some(SECONDS),
        "master-as-is" => Some(MASTER_AS_IS),
        "nov2025" => Some(NOV2025),
        "lmm" => Some(LMM),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves() {
        for name in PRESET_NAMES {
            assert!(preset(name).is_some(), "{name}");
        }
        assert!(preset("unknown").is_none());
    }
}
