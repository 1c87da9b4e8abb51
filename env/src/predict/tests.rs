use super::*;

fn feed(p: &mut dyn Predictor, xs: &[f64]) {
    for &x in xs {
        p.observe(x);
    }
}

fn all() -> Vec<Box<dyn Predictor>> {
    vec![
        PredictorSpec::LastValue.build(),
        PredictorSpec::Ewma { alpha: 0.3 }.build(),
        PredictorSpec::Holt { alpha: 0.3, beta: 0.2 }.build(),
        PredictorSpec::Seasonal { period_slots: 6, alpha: 0.3, beta: 0.1, gamma: 0.3 }.build(),
    ]
}

#[test]
fn nothing_observed_predicts_zero_and_a_constant_is_exact() {
    for mut p in all() {
        assert_eq!(p.predict(), 0.0, "{p:?}");
        feed(p.as_mut(), &[40.0; 30]);
        assert!((p.predict() - 40.0).abs() < 1e-9, "{p:?}: {}", p.predict());
    }
}

#[test]
fn ewma_step_response_by_hand() {
    // alpha 0.5: 0, then 10s: 5, 7.5, 8.75, 9.375
    let mut p = Ewma::new(0.5);
    p.observe(0.0);
    let mut got = Vec::new();
    for _ in 0..4 {
        p.observe(10.0);
        got.push(p.predict());
    }
    assert_eq!(got, vec![5.0, 7.5, 8.75, 9.375]);
}

#[test]
fn holt_by_hand_and_ramp() {
    // x = 10, 12, 13 with alpha = beta = 0.5:
    // after 10: l=10 b=0; after 12: l=12 b=2; after 13: l=.5*13+.5*14=13.5, b=.5*1.5+.5*2=1.75
    let mut p = Holt::new(0.5, 0.5);
    feed(&mut p, &[10.0]);
    assert_eq!(p.predict(), 10.0);
    feed(&mut p, &[12.0]);
    assert_eq!(p.predict(), 14.0);
    feed(&mut p, &[13.0]);
    assert_eq!(p.predict(), 15.25);
    // A perfect ramp is tracked exactly once the trend is initialised.
    let mut p = Holt::new(0.3, 0.1);
    let ramp: Vec<f64> = (0..20).map(|t| 5.0 + 3.0 * t as f64).collect();
    feed(&mut p, &ramp);
    assert!((p.predict() - (5.0 + 3.0 * 20.0)).abs() < 1e-9, "{}", p.predict());
}

#[test]
fn last_value_is_the_last_value() {
    let mut p = LastValue::default();
    feed(&mut p, &[3.0, 9.0, f64::NAN]);
    assert_eq!(p.predict(), 9.0);
}

/// A daily shape (period 24) the seasonal predictor learns and Holt cannot.
#[test]
fn seasonal_learns_a_periodic_shape() {
    let x = |t: usize| 50.0 + 30.0 * (2.0 * std::f64::consts::PI * t as f64 / 24.0).sin();
    let mut s = Seasonal::new(24, 0.2, 0.05, 0.3);
    let mut h = Holt::new(0.5, 0.3);
    let (mut es, mut eh) = (0.0, 0.0);
    for t in 0..24 * 30 {
        if t >= 24 * 28 {
            es += (s.predict() - x(t)).abs();
            eh += (h.predict() - x(t)).abs();
        }
        s.observe(x(t));
        h.observe(x(t));
    }
    let (es, eh) = (es / 48.0, eh / 48.0);
    assert!(es < 0.5, "seasonal mean abs error {es}");
    assert!(es < eh / 5.0, "seasonal {es} vs holt {eh}");
}

#[test]
fn bad_values_ignored_and_predictions_clamped() {
    for mut p in all() {
        feed(p.as_mut(), &[f64::NAN, 10.0, f64::INFINITY, 0.0, 0.0, 0.0, 0.0]);
        assert!(p.predict() >= 0.0 && p.predict().is_finite(), "{p:?}");
    }
    let mut e = Ewma::new(f64::NAN);
    feed(&mut e, &[3.0, f64::NAN]);
    assert_eq!(e.predict(), 3.0);
}

#[test]
fn clones_are_independent() {
    let mut a = PredictorSpec::default().build();
    feed(a.as_mut(), &[10.0, 20.0]);
    let mut b = a.clone();
    b.observe(100.0);
    assert_ne!(a.predict(), b.predict());
}

#[test]
fn trace_errors_by_hand() {
    // Last value on [10, 14, 11]: forecasts 0, 10, 14 → errors −10, −4, +3.
    let (mut acc, mut inputs) = (Vec::new(), Vec::new());
    trace_errors(&PredictorSpec::LastValue, &[vec![10, 14, 11]], &mut acc, &mut inputs);
    assert_eq!(acc[0].slots, 3);
    assert!((acc[0].mae() - 17.0 / 3.0).abs() < 1e-12);
    assert!((acc[0].bias() - (-11.0 / 3.0)).abs() < 1e-12);
    let r = report(&["a".to_string()], &acc, &inputs);
    assert!((r[0].mean_input - 35.0 / 3.0).abs() < 1e-12);
}

#[test]
fn validation_names_the_parameter() {
    assert!(PredictorSpec::default().validate().is_ok());
    assert_eq!(PredictorSpec::Ewma { alpha: 0.0 }.validate().unwrap_err().0, "alpha");
    assert_eq!(PredictorSpec::Holt { alpha: 0.5, beta: 1.5 }.validate().unwrap_err().0, "beta");
    let e = PredictorSpec::Seasonal { period_slots: 1, alpha: 0.5, beta: 0.5, gamma: 0.5 }.validate().unwrap_err();
    assert_eq!((e.0, e.1.as_str()), ("period_slots", "1"));
    let e = PredictorSpec::Seasonal { period_slots: 24, alpha: 0.5, beta: 0.5, gamma: f64::NAN }.validate();
    assert_eq!(e.unwrap_err().0, "gamma");
}

#[test]
fn specs_parse_from_toml() {
    #[derive(serde::Deserialize)]
    struct W {
        p: PredictorSpec,
    }
    let w: W = toml::from_str("p = { kind = \"seasonal\", period_slots = 288, alpha = 0.2, beta = 0.05, gamma = 0.3 }")
        .unwrap();
    assert_eq!(w.p, PredictorSpec::Seasonal { period_slots: 288, alpha: 0.2, beta: 0.05, gamma: 0.3 });
    let w: W = toml::from_str("p = { kind = \"last_value\" }").unwrap();
    assert_eq!(w.p, PredictorSpec::LastValue);
    for spec in [
        PredictorSpec::LastValue,
        PredictorSpec::Ewma { alpha: 0.8 },
        PredictorSpec::Holt { alpha: 0.5, beta: 0.3 },
        PredictorSpec::Seasonal { period_slots: 24, alpha: 0.2, beta: 0.05, gamma: 0.3 },
    ] {
        let w: W = toml::from_str(&format!("p = {}", spec.to_toml_inline())).unwrap();
        assert_eq!(w.p, spec, "round trip through the inline table");
    }
    assert!(toml::from_str::<W>("p = { kind = \"arima\" }").is_err());
    assert!(toml::from_str::<W>("p = { kind = \"ewma\", alpha = 0.5, beta = 0.1 }").is_err());
}
