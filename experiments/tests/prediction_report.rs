//! `simulate` and `compare` report each node's one-step prediction error when
//! a scenario's policies plan with predicted input, and nothing otherwise.

use std::path::Path;

use dfaas_env::predict::{PredictorSpec, trace_errors};
use dfaas_env::{Scenario, Simulator};
use dfaas_experiments::Contender;

fn capacity5(extra: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/capacity-5.toml");
    let shipped = std::fs::read_to_string(&path).unwrap();
    // The shipped `[observation]` table (the file's last) is replaced by `extra`.
    let base = shipped.split("\n[observation]").next().unwrap();
    Scenario::from_toml_str(&format!("{base}\n{extra}"), &path).unwrap()
}

#[test]
fn prediction_error_is_reported_where_policies_predict() {
    let s = capacity5("[observation]\ninput = \"predicted\"\npredictor = { kind = \"last_value\" }\n");
    let seeds = [1, 2, 3];
    let c = Contender::parse("slack-proportional").unwrap();
    let sim = dfaas_experiments::simulate::simulate(&s, &c, &seeds, None, false).unwrap();
    let cmp = dfaas_experiments::compare(&s, &[c], &seeds, false).unwrap();
    assert_eq!(sim.prediction, cmp.prediction);
    assert_eq!(sim.prediction.len(), 5);
    // The same sums by hand from the episodes' traces.
    let mut base = Simulator::new(&s).unwrap();
    let (mut acc, mut inputs) = (Vec::new(), Vec::new());
    for seed in seeds {
        base.reset_episode(Some(seed));
        trace_errors(&PredictorSpec::LastValue, base.inputs(), &mut acc, &mut inputs);
    }
    for (row, e) in sim.prediction.iter().zip(&acc) {
        assert!((row.mae - e.mae()).abs() < 1e-12 && (row.bias - e.bias()).abs() < 1e-12, "{row:?}");
        assert_eq!(row.slots, 3 * 30);
        assert!(row.mae > 1.0, "inputs drawn anew each slot are not predictable: {row:?}");
    }
    assert!(sim.to_text().contains("one-step prediction error"));
    assert!(dfaas_experiments::table::compare_table(&cmp).contains("MAE"));

    let plain = capacity5("");
    let c = Contender::parse("slack-proportional").unwrap();
    assert!(dfaas_experiments::simulate::simulate(&plain, &c, &seeds, None, false).unwrap().prediction.is_empty());
}
