//! The serverless (PACS) model against the marl-dfaas reference vectors and
//! the values quoted in the design notes.

use dfaas_env::models::serverless::{PerfCache, PerfParams, PerfResult, StateCap, presets, solve};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/serverless-model.json");
    let text = std::fs::read_to_string(path).expect("read the vectors");
    let doc: Value = serde_json::from_str(&text).expect("parse the vectors");
    doc["cases"].as_array().expect("a `cases` array").clone()
}

fn num(case: &Value, key: &str) -> f64 {
    case[key].as_f64().unwrap_or_else(|| panic!("`{key}` in {case}"))
}

fn field(r: &PerfResult, key: &str) -> f64 {
    match key {
        "rejection_rate" => r.rejection_rate,
        "rejection_prob" => r.rejection_prob,
        "avg_resp_time" => r.avg_resp_time,
        "cold_prob" => r.cold_prob,
        "avg_server_count" => r.avg_server_count,
        "avg_running_count" => r.avg_running_count,
        "avg_utilization" => r.avg_utilization,
        _ => unreachable!("{key}"),
    }
}

const FIELDS: [&str; 7] = [
    "rejection_rate",
    "rejection_prob",
    "avg_resp_time",
    "cold_prob",
    "avg_server_count",
    "avg_running_count",
    "avg_utilization",
];

fn params(warm: f64, cold: f64, idle: f64, m: u32, cap: StateCap) -> PerfParams {
    PerfParams { warm_s: warm, cold_s: cold, idle_s: idle, max_concurrency: m, state_cap: cap }
}

/// Every reference vector, every output field, to 1e-6 relative (with an
/// absolute floor of 1e-12 for values that are essentially 0).
#[test]
fn reference_vectors() {
    let cases = vectors();
    assert_eq!(cases.len(), 84);
    let mut failures = Vec::new();
    let mut worst = 0.0_f64;
    for case in &cases {
        let cap = if case["faster"].as_bool().expect("faster") { StateCap::Faster } else { StateCap::Full };
        let m = case["M"].as_u64().expect("M") as u32;
        let p = params(num(case, "warm"), num(case, "cold"), num(case, "idle"), m, cap);
        let lambda = num(case, "arrival_rate");
        let r = solve(lambda, &p);
        for key in FIELDS {
            let (want, got) = (num(case, key), field(&r, key));
            let err = (got - want).abs();
            if want.abs() > 1e-12 {
                worst = worst.max(err / want.abs());
            }
            if err > 1e-6 * want.abs() && err > 1e-12 {
                failures
                    .push(format!("{} faster={:?} λ={lambda} {key}: want {want:e}, got {got:e}", case["preset"], cap));
            }
        }
    }
    eprintln!("worst relative error over values above 1e-12: {worst:e}");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Rejected requests per second quoted for the presets (design notes and the
/// marl-dfaas digest), within 1 % or the quoted precision.
#[test]
fn quoted_rejection_rates() {
    let quoted: &[(&str, f64, f64, f64)] = &[
        // (preset, λ, quoted, half a unit of the last quoted digit)
        ("seconds", 10.0, 0.0016, 0.00005),
        ("seconds", 20.0, 0.30, 0.005),
        ("seconds", 40.0, 6.05, 0.005),
        ("seconds", 63.0, 21.6, 0.05),
        ("seconds", 100.0, 54.2, 0.05),
        ("seconds", 150.0, 102.1, 0.05),
        ("nov2025", 40.0, 0.34, 0.005),
        ("nov2025", 63.0, 10.0, 0.05),
        ("nov2025", 150.0, 91.3, 0.05),
        ("lmm", 60.0, 0.0, 0.00005),
        ("lmm", 62.0, 0.055, 0.0005),
        ("lmm", 63.0, 0.17, 0.005),
        ("lmm", 70.0, 4.2, 0.05),
        ("lmm", 100.0, 33.5, 0.05),
        ("lmm", 150.0, 83.4, 0.05),
    ];
    for &(name, lambda, want, half_unit) in quoted {
        let p = presets::preset(name).expect("preset");
        let got = solve(lambda, &p).rejection_rate;
        let tol = half_unit.max(0.01 * want);
        assert!((got - want).abs() <= tol, "{name} λ={lambda}: want {want}, got {got}");
    }
}

fn all_params() -> Vec<PerfParams> {
    let mut v = Vec::new();
    for name in presets::PRESET_NAMES {
        let p = presets::preset(name).expect("preset");
        v.push(p);
        v.push(PerfParams { state_cap: StateCap::Full, ..p });
    }
    v
}

/// λ = 0 (and λ that is not a finite positive number) gives finite outputs
/// with nothing rejected and the chain at rest with no warm instance.
#[test]
fn zero_arrivals() {
    for p in all_params() {
        for lambda in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let r = solve(lambda, &p);
            for key in FIELDS {
                assert!(field(&r, key).is_finite(), "{p:?} λ={lambda} {key} = {}", field(&r, key));
            }
            assert_eq!(r.rejection_rate, 0.0);
            assert_eq!(r.rejection_prob, 0.0);
            assert_eq!(r.avg_server_count, 0.0);
            assert_eq!(r.avg_running_count, 0.0);
            assert_eq!(r.avg_utilization, 0.0);
            assert_eq!(r.avg_resp_time, p.cold_s);
        }
    }
}

/// Tiny rates and degenerate parameters do not produce NaN either.
#[test]
fn no_nan_at_extremes() {
    let odd = [
        params(0.137, 0.513, 30.0, 1, StateCap::Faster),
        params(0.137, 0.513, 30.0, 0, StateCap::Faster),
        params(1e-9, 1e-9, 1e-9, 50, StateCap::Full),
        params(1e-9, 1.0, 1e6, 200, StateCap::Full),
        params(100.0, 100.0, 1e-6, 1000, StateCap::Faster),
    ];
    for p in odd.iter().copied().chain(all_params()) {
        for lambda in [1e-300, 1e-12, 1e-3, 0.5, 1.0, 1e3, 1e6] {
            let r = solve(lambda, &p);
            for key in FIELDS {
                assert!(field(&r, key).is_finite(), "{p:?} λ={lambda} {key} = {}", field(&r, key));
            }
            assert!(r.rejection_rate >= 0.0 && r.rejection_rate <= lambda * (1.0 + 1e-12), "{p:?} λ={lambda}");
        }
    }
    // No instance at all: everything is rejected.
    let r = solve(5.0, &params(0.137, 0.513, 30.0, 0, StateCap::Faster));
    assert_eq!((r.rejection_rate, r.rejection_prob), (5.0, 1.0));
}

/// The cache returns exactly what `solve` does, and `rejected` rounds half to
/// even and never exceeds the count.
#[test]
fn cache_matches_solve() {
    for slot in [1.0, 2.0, 0.5] {
        let mut cache = PerfCache::new(presets::SECONDS, slot);
        assert_eq!(cache.slot_seconds(), slot);
        assert_eq!(*cache.params(), presets::SECONDS);
        for count in (0..=300).rev().chain(0..=300) {
            let want = solve(f64::from(count) / slot, &presets::SECONDS);
            assert_eq!(cache.get(count), want);
            let exact = want.rejection_rate * slot;
            let rounded = exact.round_ties_even().min(f64::from(count)) as u32;
            assert_eq!(cache.rejected(count), rounded, "slot {slot} count {count}");
            assert!(cache.rejected(count) <= count);
        }
    }
    // 40 req/s: 6.048… rejected per second.
    let mut cache = PerfCache::new(presets::SECONDS, 1.0);
    assert_eq!(cache.rejected(40), 6);
    let mut cache = PerfCache::new(presets::SECONDS, 2.0);
    assert_eq!(cache.rejected(80), 12); // 2 s × 6.048…
}

/// The capacity estimate is the last count before the first rejection.
#[test]
fn capacity_estimate() {
    for name in presets::PRESET_NAMES {
        let p = presets::preset(name).expect("preset");
        let mut cache = PerfCache::new(p, 1.0);
        let c = cache.capacity_estimate(300);
        for count in 0..=c {
            assert_eq!(cache.rejected(count), 0, "{name} {count}");
        }
        if c < 300 {
            assert!(cache.rejected(c + 1) > 0, "{name}");
        }
        assert_eq!(cache.capacity_estimate(c.min(5)), c.min(5));
    }
    let mut lmm = PerfCache::new(presets::LMM, 1.0);
    let c = lmm.capacity_estimate(300);
    assert!((63..70).contains(&c), "lmm capacity {c}");
    assert_eq!(PerfCache::new(presets::MASTER_AS_IS, 1.0).capacity_estimate(300), 300);
}

/// The master preset as it runs upstream (milliseconds fed as seconds) never
/// rejects.
#[test]
fn master_as_is_never_rejects() {
    let mut cache = PerfCache::new(presets::MASTER_AS_IS, 1.0);
    for count in 1..=300 {
        assert!(cache.get(count).rejection_rate < 1e-8, "{count}");
        assert_eq!(cache.rejected(count), 0);
    }
}

/// The rejected rate never decreases with the arrival rate (integer λ).
#[test]
fn rejection_rate_is_monotone() {
    for p in all_params() {
        let mut prev = 0.0;
        for count in 0..=300 {
            let r = solve(f64::from(count), &p).rejection_rate;
            assert!(r >= prev, "{p:?}: r({count}) = {r} < r({}) = {prev}", count - 1);
            prev = r;
        }
    }
}

/// The rejected rate is convex over integer λ 0..=300 for the `seconds`,
/// `nov2025` and `lmm` presets (it holds exactly in floating point; the
/// tolerance only allows for last-digit noise). It does not hold for
/// `master-as-is`, whose rates (~1e-10) carry noise of order 1e-21.
#[test]
fn rejection_rate_is_convex() {
    for name in ["seconds", "nov2025", "lmm"] {
        for cap in [StateCap::Faster, StateCap::Full] {
            let p = PerfParams { state_cap: cap, ..presets::preset(name).expect("preset") };
            let r: Vec<f64> = (0..=300).map(|l| solve(f64::from(l), &p).rejection_rate).collect();
            for l in 1..300 {
                let second = r[l + 1] - 2.0 * r[l] + r[l - 1];
                assert!(second >= -1e-15 * r[l + 1], "{name} {cap:?}: second difference {second:e} at λ={l}");
            }
        }
    }
}
