//! `[observation] input = "predicted"`: policies plan with a one-step
//! forecast of their input, built by the same predictors the live agent
//! runs, while the federation still receives the true input.

use std::path::Path;

use dfaas_env::predict::{PredictorSpec, trace_errors};
use dfaas_env::{Decision, Scenario, Simulator};

fn capacity5(extra: &str) -> Result<Scenario, dfaas_env::ConfigError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/capacity-5.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // The shipped file's own `[observation]` table (its last) is replaced by `extra`.
    let base = text.split("\n[observation]").next().unwrap();
    Scenario::from_toml_str(&format!("{base}\n{extra}"), Path::new("capacity-5-test.toml"))
}

fn all_local(sim: &Simulator) -> Vec<Decision> {
    (0..sim.topology().len()).map(|i| Decision::all_local(sim.topology().degree(i))).collect()
}

#[test]
fn observations_carry_the_forecast_and_outcomes_the_truth() {
    let predicted = capacity5("[observation]\ninput = \"predicted\"\npredictor = { kind = \"last_value\" }\n").unwrap();
    let truth = capacity5("").unwrap();
    let (mut p, mut t) = (Simulator::new(&predicted).unwrap(), Simulator::new(&truth).unwrap());
    assert_eq!(p.predictor(), Some(PredictorSpec::LastValue));
    assert_eq!(t.predictor(), None);
    p.reset_episode(Some(3));
    t.reset_episode(Some(3));
    assert_eq!(p.inputs(), t.inputs(), "same workload");
    for slot in 0..p.max_steps() {
        for i in 0..p.topology().len() {
            let (po, to) = (&p.observations()[i], &t.observations()[i]);
            let want = if slot == 0 { 0.0 } else { p.inputs()[i][slot - 1] as f64 };
            assert_eq!(po.predicted_input, want, "slot {slot} node {i}: last value");
            assert_eq!(po.input, want as u32, "a predicting node knows only its forecast");
            assert_eq!(to.predicted_input, p.inputs()[i][slot] as f64, "true input");
        }
        let d = all_local(&p);
        p.advance(&d).unwrap();
        t.advance(&d).unwrap();
        assert_eq!(p.outcomes(), t.outcomes(), "the federation receives the true input either way");
    }
}

#[test]
fn the_default_predictor_is_the_agents_holt() {
    let s = capacity5("[observation]\ninput = \"predicted\"\n").unwrap();
    assert_eq!(Simulator::new(&s).unwrap().predictor(), Some(PredictorSpec::Holt { alpha: 0.5, beta: 0.3 }));
    let mut sim = Simulator::new(&s).unwrap();
    sim.reset_episode(Some(9));
    let trace = sim.inputs()[0].clone();
    let mut holt = PredictorSpec::default().build();
    for (slot, &x) in trace.iter().enumerate().take(10) {
        assert_eq!(sim.observations()[0].predicted_input, holt.predict(), "slot {slot}");
        holt.observe(x as f64);
        let d = all_local(&sim);
        sim.advance(&d).unwrap();
    }
    // The error helper replays the same forecasts.
    let (mut acc, mut inputs) = (Vec::new(), Vec::new());
    trace_errors(&PredictorSpec::default(), &[trace], &mut acc, &mut inputs);
    assert!(acc[0].mae() > 0.0 && acc[0].slots == sim.max_steps() as u64);
}

#[test]
fn bad_observation_settings_name_file_field_and_value() {
    let err = |extra: &str| capacity5(extra).unwrap_err().to_string();
    let e = err("[observation]\ninput = \"predicted\"\npredictor = { kind = \"arima\" }\n");
    assert!(e.contains("capacity-5-test.toml") && e.contains("arima"), "{e}");
    let e = err("[observation]\ninput = \"predicted\"\npredictor = { kind = \"ewma\", alpha = 1.5 }\n");
    assert!(
        e.contains("capacity-5-test.toml") && e.contains("observation.predictor.alpha") && e.contains("1.5"),
        "{e}"
    );
    let e = err(
        "[observation]\ninput = \"predicted\"\npredictor = { kind = \"seasonal\", period_slots = 1, alpha = 0.5, beta = 0.1, gamma = 0.2 }\n",
    );
    assert!(e.contains("observation.predictor.period_slots") && e.contains('1'), "{e}");
    let e = err("[observation]\npredictor = { kind = \"last_value\" }\n");
    assert!(e.contains("observation.predictor") && e.contains("predicted"), "{e}");
    let e = err("[observation]\ninput = \"foresight\"\n");
    assert!(e.contains("capacity-5-test.toml") && e.contains("foresight"), "{e}");
}

/// Idle slots before slot 0 (as a live node that waited for its load) pull
/// the first forecasts down, and only for the agents given some.
#[test]
fn predictor_warmup_feeds_idle_slots_before_slot_zero() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/capacity-5.toml");
    let s = dfaas_env::Scenario::load(path).unwrap();
    let forecasts = |warmup: Vec<usize>| {
        let mut sim = dfaas_env::Simulator::new(&s).unwrap();
        sim.set_predictor_warmup(warmup);
        sim.reset_episode(Some(3));
        let d: Vec<dfaas_env::Decision> =
            (0..5).map(|i| dfaas_env::Decision::all_local(sim.topology().degree(i))).collect();
        sim.advance(&d).unwrap();
        sim.observations().iter().map(|o| o.predicted_input).collect::<Vec<f64>>()
    };
    let (fresh, warmed) = (forecasts(Vec::new()), forecasts(vec![10, 0, 0, 0, 0]));
    assert!(warmed[0] < 0.5 * fresh[0], "ten zeros weigh on node_1's EWMA: {} vs {}", warmed[0], fresh[0]);
    assert_eq!(&warmed[1..], &fresh[1..], "the others are as before");
    // Forecast errors scored with the same idle slots: node_1's bias drops.
    let spec = s.observation.predictor().unwrap();
    let trace = vec![vec![30u32; 20]];
    let (mut a, mut x, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    dfaas_env::predict::trace_errors(&spec, &trace, &mut a, &mut x);
    dfaas_env::predict::trace_errors_after_idle(&spec, &trace, &[10], &mut b, &mut y);
    let (plain, idle) =
        (dfaas_env::predict::report(&["n".into()], &a, &x), dfaas_env::predict::report(&["n".into()], &b, &y));
    assert!(idle[0].bias < plain[0].bias - 1.0, "{} vs {}", idle[0].bias, plain[0].bias);
}
