//! The PACS steady-state model of a serverless platform with warm instances
//! (Mahmoudi and Khazaei), as adapted by marl-dfaas (`get_sls_warm_count_dist`).
//!
//! The state `k` of a birth–death chain is the number of warm instances,
//! `k = 0..=K` with `K ≤ M` (the maximum concurrency):
//!
//! * with `k` warm instances a request finds them all busy (and cold-starts a
//!   new one) with the Erlang-B probability `B_k = ErlangB(ρ, k)`, `ρ = λ·Tw`;
//! * the `k`-th instance serves `L = λ(B_{k−1} − B_k)` requests per second and
//!   is reclaimed after `Ti` idle seconds; the reciprocals of the instances'
//!   mean lifetimes add up to the down-rate of state `k` (a cumulative sum);
//! * the up-rate of state `k` is `λB_k·μc/(λB_k + μc)`, `μc = 1/Tc`.
//!
//! The stationary distribution of a birth–death chain satisfies detailed
//! balance, `π_k·up_k = π_{k+1}·down_{k+1}`, so it is computed in one forward
//! pass as a running product (rescaled so it never overflows) while every
//! output is accumulated as a weighted sum: no matrix, no allocation. The
//! product form is never negative, so the reference's clipping of negative
//! linear-solve noise has nothing to do; it matches the reference's
//! linear-solve outputs to about 1e-13 relative on the test vectors.
//!
//! Faithfulness details of the reference kept on purpose:
//! * `ρ = λ/(1/Tw)`, `μc = 1/Tc` and the Erlang-B recursion
//!   `1/B_k = 1 + (1/B_{k−1})·(k/ρ)` are evaluated in the same order;
//! * the chance that the `k`-th instance is reclaimed between two requests is
//!   SciPy's `1 − expon.cdf(Ti, scale=1/L)`, i.e. `1 + expm1(−Ti/(1/L))`,
//!   which is exactly 0 once `L·Ti ≳ 37` (plain `exp(−L·Ti)` would not be);
//! * a rejection is reported only if the chain reached `M`, and then the last
//!   state's blocked requests count as rejections, not cold starts.
//!
//! Guards the reference lacks (it would divide by zero): an instance that
//! receives no traffic (`L ≤ 0`, e.g. at `λ = 0`) is reclaimed after exactly
//! `Ti` (the `L → 0` limit); states below the last one whose down-rate is 0
//! are transient (probability 0), and states above the first one whose
//! up-rate is 0 are unreachable (probability 0).

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

/// Model parameters, in seconds. Times must be finite and positive (as
/// [`super::ServerlessSpec::params`] checks).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PerfParams {
    /// Warm service time `Tw`, seconds.
    pub warm_s: f64,
    /// Cold-start service time `Tc`, seconds.
    pub cold_s: f64,
    /// Idle time `Ti` before a warm instance is reclaimed, seconds.
    pub idle_s: f64,
    /// Maximum number of concurrent instances `M`.
    pub max_concurrency: u32,
    /// How many states the chain explores.
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
    /// Mean number of running instances (warm plus cold-starting):
    /// `Σ π_k·(λ(1−B_k)Tw + λB_kTc)`, without the cold term at `k = M`.
    pub avg_running_count: f64,
    /// Mean utilisation of instances: mean warm running count
    /// `Σ π_k·λ(1−B_k)Tw` over the mean instance count (0 when that is 0).
    pub avg_utilization: f64,
}

/// Initial state cap of [`StateCap::Faster`], and its growth step.
const FASTER_STEP: u32 = 30;

/// Running weights above this are rescaled by [`RESCALE`] to avoid overflow
/// (leaving ample headroom for one more step's ratio `up/down`).
const HUGE: f64 = 1e200;
const RESCALE: f64 = 1e-200;

/// Solves the model for arrival rate `lambda` (requests per second).
///
/// A `lambda` that is not a finite positive number is treated as 0 (nothing
/// arrives: no rejections, the chain rests with no warm instance).
pub fn solve(lambda: f64, p: &PerfParams) -> PerfResult {
    let lambda = if lambda.is_finite() && lambda > 0.0 { lambda } else { 0.0 };
    let m = p.max_concurrency;
    let (tw, tc, ti) = (p.warm_s, p.cold_s, p.idle_s);
    let mu_c = 1.0 / tc;
    let rho = lambda / (1.0 / tw);

    let mut cap = match p.state_cap {
        StateCap::Faster => m.min(FASTER_STEP),
        StateCap::Full => m,
    };

    // State 0: every request cold-starts.
    let mut acc = Sums::default();
    let mut w = 1.0;
    acc.add(w, 0.0, tc, lambda * tc, 0.0);
    let mut last_b = 1.0; // B_k of the last state seen (B_0 = 1)
    let mut last_block = lambda; // λB_k of the last state seen
    let mut last_w = w;
    let mut up = up_rate(last_block, mu_c);

    let mut inv_b = 1.0;
    let mut kill = 0.0;
    let mut k: u32 = 0;
    while k < cap {
        k += 1;
        let kf = f64::from(k);
        inv_b = 1.0 + inv_b * (kf / rho);
        let b = 1.0 / inv_b;
        let block = b * lambda;
        let served = lambda * (last_b - b);
        kill += kill_increment(served, ti, tw);

        let warm_run = lambda * (1.0 - b) * tw;
        let (resp, cold_run) = if k == m {
            (tw, 0.0) // no cold starts at maximum concurrency
        } else {
            (b * tc + (1.0 - b) * tw, lambda * b * tc)
        };

        // State k−1 is not the last state: its blocked requests are cold starts.
        acc.cold += last_b * last_w;
        if kill == 0.0 {
            // State k cannot go down: every state below it is transient.
            acc = Sums::default();
            w = 1.0;
        } else {
            w *= up / kill;
        }
        if w > HUGE {
            acc.scale(RESCALE);
            w *= RESCALE;
        }
        acc.add(w, kf, resp, warm_run + cold_run, warm_run);

        last_b = b;
        last_block = block;
        last_w = w;
        up = up_rate(block, mu_c);
        if p.state_cap == StateCap::Faster && block > kill {
            cap = k.saturating_add(FASTER_STEP).min(m);
        }
    }

    let total = acc.w;
    let (rejection_prob, rejection_rate) = if k == m {
        (last_b * last_w / total, last_block * last_w / total)
    } else {
        acc.cold += last_b * last_w;
        (0.0, 0.0)
    };
    let avg_server_count = acc.k / total;
    let avg_running_warm = acc.warm / total;
    PerfResult {
        rejection_rate,
        rejection_prob,
        avg_resp_time: acc.resp / total,
        cold_prob: acc.cold / total,
        avg_server_count,
        avg_running_count: acc.run / total,
        avg_utilization: if avg_server_count > 0.0 { avg_running_warm / avg_server_count } else { 0.0 },
    }
}

/// Unnormalised weighted sums over the states seen so far.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    w: f64,
    k: f64,
    resp: f64,
    run: f64,
    warm: f64,
    cold: f64,
}

impl Sums {
    fn add(&mut self, w: f64, k: f64, resp: f64, run: f64, warm: f64) {
        self.w += w;
        self.k += k * w;
        self.resp += resp * w;
        self.run += run * w;
        self.warm += warm * w;
    }

    fn scale(&mut self, f: f64) {
        self.w *= f;
        self.k *= f;
        self.resp *= f;
        self.run *= f;
        self.warm *= f;
        self.cold *= f;
    }
}

/// Up-rate of a state whose blocked (cold-starting) rate is `block`: a new
/// instance appears once the cold start completes.
fn up_rate(block: f64, mu_c: f64) -> f64 {
    (block * mu_c) / (block + mu_c)
}

/// Reciprocal of the mean lifetime of an instance that serves `l` requests per
/// second and is reclaimed after `ti` idle seconds (0 if it is never reclaimed).
fn kill_increment(l: f64, ti: f64, tw: f64) -> f64 {
    if l.is_nan() || l <= 0.0 {
        // No traffic (the reference divides by zero here): the L → 0 limit.
        return 1.0 / ti;
    }
    // SciPy: 1 − expon.cdf(ti, scale = 1/l) = 1 − (−expm1(−ti/scale)).
    let scale = 1.0 / l;
    let p_kill = 1.0 - (-(-(ti / scale)).exp_m1());
    if p_kill.is_nan() || p_kill <= 0.0 {
        return 0.0;
    }
    let n = 1.0 / p_kill; // expected requests up to and including the last one
    let t = ti + tw;
    let e = (-l * t).exp();
    let avg_gap = -t * e + (1.0 - e) / l; // mean gap between requests short of a kill
    1.0 / (ti + (n - 1.0) * avg_gap)
}
