//! Stepping with outcomes measured outside the simulator (a live federation):
//! the simulator keeps the workload, scores the slot with its own reward and
//! builds the next observations exactly as for a simulated slot.

use super::Simulator;
use crate::contract::SlotOutcome;
use crate::error::EnvError;

impl Simulator {
    /// Ends slot [`Simulator::slot`] with `outcomes` measured elsewhere (one per
    /// agent, forwards in action order) instead of the node models: rewards and
    /// forward delays are computed as for a simulated slot (any given `reward`
    /// is replaced), then the next observations are built from them.
    pub fn advance_measured(&mut self, outcomes: Vec<SlotOutcome>) -> Result<(), EnvError> {
        if self.episode_seed.is_none() {
            return Err(EnvError::State("step called before reset".into()));
        }
        if self.is_done() {
            return Err(EnvError::State(format!("the episode ended after {} slots; call reset", self.max_steps)));
        }
        let n = self.topology.len();
        if outcomes.len() != n {
            return Err(EnvError::State(format!("{} measured outcomes given for {n} agents", outcomes.len())));
        }
        for (i, o) in outcomes.iter().enumerate() {
            let deg = self.topology.degree(i);
            if o.forwarded.len() != deg || o.forward_rejects.len() != deg {
                return Err(EnvError::State(format!(
                    "measured outcome of {}: {} forwarded and {} forward-reject counts for {deg} neighbours",
                    self.topology.names()[i],
                    o.forwarded.len(),
                    o.forward_rejects.len()
                )));
            }
        }
        // Predictors learn from what the nodes measured, as live agents do.
        for (p, o) in self.predictors.iter_mut().zip(&outcomes) {
            p.observe(o.input as f64);
        }
        self.outcomes = outcomes;
        self.finish_outcomes();
        self.t += 1;
        self.observe();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::contract::{Decision, SlotOutcome};
    use crate::scenario::Scenario;
    use crate::sim::Simulator;

    fn sim() -> Simulator {
        let text = "name = \"t\"\n[episode]\nmax_steps = 3\nslot_seconds = 1.0\n[topology]\nnodes = [\"a\", \"b\"]\n\
                    adjacency = [\"a b\"]\n[model]\nkind = \"capacity\"\ncapacity_rps = [10.0, 20.0]\n\
                    [workload]\nkind = \"constant\"\nrate_rps = [30.0, 0.0]\n";
        Simulator::new(&Scenario::from_toml_str(text, std::path::Path::new("t.toml")).unwrap()).unwrap()
    }

    #[test]
    fn measured_outcomes_score_and_observe_like_simulated_ones() {
        let mut played = sim();
        let mut measured = sim();
        played.reset_episode(Some(7));
        measured.reset_episode(Some(7));
        let d = vec![Decision::new(vec![0.5, 0.5, 0.0]).unwrap(), Decision::new(vec![1.0, 0.0, 0.0]).unwrap()];
        let copy_of = |played: &Simulator| -> Vec<SlotOutcome> {
            played.outcomes().iter().map(|o| SlotOutcome { reward: 0.0, ..o.clone() }).collect()
        };
        played.advance(&d).unwrap();
        measured.advance_measured(copy_of(&played)).unwrap();
        assert_eq!(measured.outcomes(), played.outcomes());
        assert_eq!(measured.observations(), played.observations());
        assert_eq!(measured.slot(), 1);
        // Slot 0: `b` was not heard yet, so `a`'s forward share stayed local:
        // 30 local of capacity 10, 20 platform rejects → reward 1 − 20/30.
        assert_eq!(played.outcomes()[0].local, 30);
        assert!((measured.outcomes()[0].reward - (1.0 - 20.0 / 30.0)).abs() < 1e-12);
        // Slot 1: 15 local of capacity 10, 5 platform rejects → reward 1 − 5/30.
        played.advance(&d).unwrap();
        measured.advance_measured(copy_of(&played)).unwrap();
        assert_eq!(measured.observations(), played.observations());
        assert_eq!((played.outcomes()[0].local, played.outcomes()[0].forwarded[0]), (15, 15));
        assert!((measured.outcomes()[0].reward - (1.0 - 5.0 / 30.0)).abs() < 1e-12);

        assert!(measured.advance_measured(vec![SlotOutcome::default()]).is_err());
        let wrong = vec![SlotOutcome::default(), SlotOutcome { forwarded: vec![1], ..SlotOutcome::default() }];
        let e = measured.advance_measured(wrong).unwrap_err().to_string();
        assert!(e.contains('a'), "{e}");
    }
}
