//! No policy — heuristic, shipped learned model or the stale oracle — ever
//! beats the upper reference on the same episode, on every shipped scenario:
//! the oracle on the stateless models, the pooled global node on the queue
//! model (where the per-slot oracle is a myopic plan, not a bound); and the
//! reference is the right one for each scenario.

use std::path::Path;

use dfaas_env::{Scenario, Simulator};
use dfaas_experiments::Contender;
use dfaas_experiments::compare::run_many;
use indicatif::ProgressBar;

fn scenario(name: &str) -> Scenario {
    Scenario::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"))).unwrap()
}

fn check(name: &str, episodes: usize) {
    let sim = Simulator::new(&scenario(name)).unwrap();
    check_against(name, episodes, Contender::upper_reference(&sim));
}

fn check_against(name: &str, episodes: usize, upper: Contender) {
    let s = scenario(name);
    let sim = Simulator::new(&s).unwrap();
    let seeds: Vec<u64> = s.evaluation_seeds().into_iter().take(episodes).collect();
    let bar = ProgressBar::hidden();
    let reference = run_many(&sim, &upper, &seeds, &bar).unwrap();
    let mut contenders: Vec<Contender> =
        dfaas_policies::heuristic_names().iter().map(|p| Contender::parse(p).unwrap()).collect();
    // The stale oracle plans on less information than the oracle; under the
    // global node, both oracles are bounded too.
    if upper.name() == "oracle" {
        contenders.push(Contender::StaleOracle);
    } else if !sim.even_floor() {
        contenders.extend([Contender::StaleOracle, Contender::Oracle]);
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
    check("capacity-5-bursty", 3);
    check("trace-5", 3);
}

#[test]
fn marl_master_oracle_is_never_beaten() {
    check("marl-master-2", 2);
    check("marl-master-5", 2);
}

#[test]
fn marl_paper_global_node_is_never_beaten() {
    check_against("marl-paper-2", 2, Contender::GlobalNode);
    check_against("marl-paper-5", 2, Contender::GlobalNode);
    check("marl-paper-5-fidelity", 1);
}

/// On the queue model the per-slot oracle is tighter than the pooled global
/// node and above every heuristic, on every episode tried.
#[test]
fn queue_oracle_lies_between_the_heuristics_and_the_global_node() {
    let s = scenario("marl-paper-5");
    let sim = Simulator::new(&s).unwrap();
    let seeds: Vec<u64> = s.evaluation_seeds().into_iter().take(3).collect();
    let bar = ProgressBar::hidden();
    let processed = |c: &Contender| -> Vec<u64> {
        run_many(&sim, c, &seeds, &bar).unwrap().iter().map(|r| r.summary.federation.processed).collect()
    };
    let oracle = processed(&Contender::Oracle);
    let global = processed(&Contender::GlobalNode);
    for (o, g) in oracle.iter().zip(&global) {
        assert!(o < g, "oracle {o} vs global node {g}: the pooled node is looser");
    }
    for name in dfaas_policies::heuristic_names() {
        let h = processed(&Contender::parse(name).unwrap());
        for (k, (o, h)) in oracle.iter().zip(&h).enumerate() {
            assert!(o > h, "oracle {o} vs {name} {h} on episode {k}");
        }
    }
}

#[test]
fn references_match_models() {
    let q = Simulator::new(&scenario("marl-paper-5")).unwrap();
    assert_eq!(Contender::upper_reference(&q).name(), "oracle");
    let names: Vec<String> = Contender::references(&q).iter().map(Contender::name).collect();
    assert_eq!(names, ["stale-oracle", "oracle", "global-node"]);
    let s = Simulator::new(&scenario("marl-master-5")).unwrap();
    assert_eq!(Contender::upper_reference(&s).name(), "oracle");
    let f = Simulator::new(&scenario("marl-paper-5-fidelity")).unwrap();
    assert_eq!(Contender::upper_reference(&f).name(), "global-node");
    // The oracle refuses the 3-way even-floor action with a message that says why.
    let err = run_many(&f, &Contender::Oracle, &[1], &ProgressBar::hidden()).unwrap_err().to_string();
    assert!(err.contains("even-floor") && err.contains("global-node"), "{err}");
}
