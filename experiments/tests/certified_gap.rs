//! At scale the oracle plans by flow stages; where a stage spans several
//! marginal-cost levels (the serverless model) its certified gap is reported
//! beside its row, and exact plans (the capacity model) report none.

use std::path::Path;

use dfaas_env::Scenario;
use dfaas_experiments::{Contender, compare};

fn federation(model: &str) -> Scenario {
    let model = match model {
        "serverless" => {
            "kind = \"serverless\"\nwarm_service_s = 0.1\ncold_service_s = 0.4\nidle_timeout_s = 5.0\nmax_concurrency = 6"
        }
        _ => "kind = \"capacity\"\ncapacity_rps = { uniform = [20.0, 60.0], seed = 2 }",
    };
    let text = format!(
        "name = \"g40\"\n[episode]\nmax_steps = 8\nslot_seconds = 1.0\n[seeds]\nevaluation_episodes = 1\n\
         [topology]\ngenerator = {{ kind = \"geometric\", nodes = 40, k = 3, seed = 5, join = true }}\n\
         [model]\n{model}\n[workload]\nkind = \"normal\"\nmean_rps = {{ uniform = [10.0, 80.0], seed = 3 }}\n\
         std_rps = 8.0\nmin_rps = 0.0\nmax_rps = 120.0\n"
    );
    Scenario::from_toml_str(&text, Path::new("g40.toml")).unwrap()
}

#[test]
fn the_oracles_gap_is_reported_where_it_is_not_exact() {
    let oracle = [Contender::Oracle, Contender::StaleOracle];
    let s = federation("serverless");
    let report = compare(&s, &oracle, &s.evaluation_seeds(), false).unwrap();
    for r in &report.results {
        let gap =
            r.certified_gap_ratio.unwrap_or_else(|| panic!("{}: no certified gap at 40 serverless nodes", r.policy));
        assert!(gap > 0.0 && gap < 0.01, "{}: gap {gap} of the input", r.policy);
    }
    let text = dfaas_experiments::table::compare_table(&report);
    assert!(text.contains("oracle: planned by flow stages, certified within"), "{text}");

    let s = federation("capacity");
    let report = compare(&s, &oracle, &s.evaluation_seeds(), false).unwrap();
    assert!(report.results.iter().all(|r| r.certified_gap_ratio.is_none()), "the capacity model is solved exactly");
}
