//! The shipped learned policies act deterministically without leaking mass:
//! where nothing needs rejecting (CloudNet 2021: the oracle rejects nothing),
//! the learned policy rejects nothing on purpose, on any slot of any
//! evaluation episode once it has a forecast and has heard from its
//! neighbours; at slot 0 (no forecast, nobody heard: everything beyond the
//! node's own capacity is lost whatever it does) it processes as much as
//! the oracle.

use std::path::Path;

use dfaas_env::{Scenario, Simulator};
use dfaas_experiments::Contender;
use dfaas_experiments::compare::run_many;
use indicatif::ProgressBar;

#[test]
fn cloudnet21_learned_policy_rejects_nothing_on_purpose() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = Scenario::load(root.join("scenarios/dfaas-cloudnet21.toml")).unwrap();
    let sim = Simulator::new(&s).unwrap();
    let seeds = s.evaluation_seeds();
    let bar = ProgressBar::hidden();
    let oracle = run_many(&sim, &Contender::Oracle, &seeds, &bar).unwrap();
    assert!(oracle.iter().all(|r| r.summary.federation.rejected == 0), "nothing needs rejecting");
    let learned = Contender::learned(&root.join("../models/dfaas-cloudnet21.dfpolicy")).unwrap();
    for (run, best) in run_many(&sim, &learned, &seeds, &bar).unwrap().iter().zip(&oracle) {
        assert_eq!(run.slots[0].processed, best.slots[0].processed, "seed {}: slot 0", run.summary.seed);
        for (t, slot) in run.slots.iter().enumerate().skip(1) {
            assert_eq!(slot.rejected, 0, "seed {}: slot {t} rejected on purpose", run.summary.seed);
        }
        assert!(run.summary.federation.processed > 0);
    }
}
