//! No policy — heuristic, shipped learned model or the stale oracle — ever
//! beats the upper reference on the same episode, on every shipped scenario;
//! and the reference is the right one for each model.

use std::path::Path;

use dfaas_env::{Scenario, Simulator};
use dfaas_experiments::Contender;
use dfaas_experiments::compare::run_many;
use indicatif::ProgressBar;

fn scenario(name: &str) -> Scenario {
    Scenario::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"))).unwrap()
}

fn check(name: &str, episodes: usize) {
    let s = scenario(name);
    let sim = Simulator::new(&s).unwrap();
    let seeds: Vec<u64> = s.evaluation_seeds().into_iter().take(episodes).collect();
    let upper = Contender::upper_reference(&sim);
    let bar = ProgressBar::hidden();
    let reference = run_many(&sim, &upper, &seeds, &bar).unwrap();
    let mut contenders: Vec<Contender> =
        dfaas_policies::heuristic_names().iter().map(|p| Contender::parse(p).unwrap()).collect();
    // The stale oracle plans on less information than the oracle.
    if upper.name() == "oracle" {
        contenders.push(Contender::StaleOracle);
    }
    // The shipped model trained on this scenario, if there is one.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(format!("{name}.dfpolicy"));
    if model.exists() {
        contenders.push(Contender::learned(&model).unwrap());
    }
    for c in &contenders {
        let policy = c.name();
        let runs = run_many(&sim, c, &seeds, &bar).unwrap();
        for (r, u) in runs.iter().zip(&reference) {
            assert_eq!(r.summary.federation.input, u.summary.federation.input, "{name}: same episode, same input");
            let (p, q) = (r.summary.federation.processed, u.summary.federation.processed);
            assert!(p <= q, "{name}: {policy} processed {p} > {} {q} on seed {}", upper.name(), r.summary.seed);
        }
    }
}

#[test]
fn cloudnet21_oracle_is_never_beaten() {
    check("dfaas-cloudnet21", 2);
}

#[test]
fn capacity5_oracle_is_never_beaten() {
    check("capacity-5", 3);
}

#[test]
fn marl_master_oracle_is_never_beaten() {
    check("marl-master-2", 2);
    check("marl-master-5", 2);
}

#[test]
fn marl_paper_global_node_is_never_beaten() {
    check("marl-paper-2", 2);
    check("marl-paper-5", 2);
    check("marl-paper-5-fidelity", 1);
}

#[test]
fn references_match_models() {
    let q = Simulator::new(&scenario("marl-paper-5")).unwrap();
    assert_eq!(Contender::upper_reference(&q).name(), "global-node");
    let s = Simulator::new(&scenario("marl-master-5")).unwrap();
    assert_eq!(Contender::upper_reference(&s).name(), "oracle");
    // The oracle refuses the queue model with a message that says why.
    let err = run_many(&q, &Contender::Oracle, &[1], &ProgressBar::hidden()).unwrap_err().to_string();
    assert!(err.contains("global-node"), "{err}");
}
