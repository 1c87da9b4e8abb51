//! The DFaaS CloudNet 2021 scenario in the capacity model, stepped by hand.

use dfaas_env::{Decision, MultiAgentEnv, Scenario, Simulator};

fn scenario() -> Scenario {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../experiments/scenarios/dfaas-cloudnet21.toml");
    Scenario::load(p).expect("shipped scenario loads")
}

#[test]
fn forwarding_by_hand_resolves_as_expected() {
    let mut sim = Simulator::new(&scenario()).unwrap();
    let obs = sim.reset_episode(Some(7)).to_vec();
    assert_eq!(obs[0].input, 0, "slot 0: a forecast from nothing");
    assert_eq!(obs[0].capacity, 600.0);
    assert!(obs[0].neighbors.iter().all(|n| n.age_seconds.is_none()), "nothing advertised at slot 0");
    // node_1 keeps 10 req/s, forwards 16 and 24 req/s …
    let d = vec![Decision::new(vec![0.2, 0.32, 0.48, 0.0]).unwrap(), Decision::all_local(2), Decision::all_local(2)];
    // … but at slot 0 it has heard from no neighbour: their shares stay local.
    let r = sim.step(&d).unwrap();
    assert_eq!((r.infos[0].local, r.infos[0].forwarded.clone()), (3000, vec![0, 0]));
    assert_eq!(r.infos[0].local_rejects, 2400);
    assert!(r.observations[0].neighbors.iter().all(|n| n.age_seconds == Some(60.0)), "heard after slot 0");
    assert_eq!(r.observations[0].input, 3000, "the last slot's 50 req/s × 60 s");
    let r = sim.step(&d).unwrap();
    let o = &r.infos[0];
    assert_eq!((o.local, o.forwarded.clone(), o.rejected), (600, vec![960, 1440], 0));
    assert_eq!(o.local_rejects + o.forward_rejects_total(), 0);
    assert_eq!(r.infos[1].received, 960);
    assert_eq!(r.infos[2].received, 1440);
    assert_eq!(r.infos.iter().map(|o| o.processed).sum::<u32>(), 3000);
    assert_eq!(r.rewards[0], 1.0);
    // The neighbours now advertise their spare capacity (capacity − own input).
    let next = &r.observations[0];
    assert_eq!(next.neighbors[0].spare_capacity, 1200.0);
    assert_eq!(next.neighbors[1].spare_capacity, 1800.0);
    assert_eq!(next.neighbors[0].prev_forwarded, 960);
}

#[test]
fn overload_rejects_local_first_and_charges_sender() {
    let mut sim = Simulator::new(&scenario()).unwrap();
    sim.reset_episode(Some(1));
    let local: Vec<Decision> = (0..3).map(|_| Decision::all_local(2)).collect();
    sim.step(&local).unwrap(); // slot 0: the neighbours are heard from afterwards
    // node_1 sends everything to node_2 (capacity 1200 per slot).
    let d = vec![Decision::new(vec![0.0, 1.0, 0.0, 0.0]).unwrap(), Decision::all_local(2), Decision::all_local(2)];
    let r = sim.step(&d).unwrap();
    assert_eq!(r.infos[0].forward_rejects, vec![1800, 0]);
    assert_eq!(r.infos[1].received_rejects, 1800);
    assert_eq!(r.infos[1].processed, 1200);
    // reward = 1 − FR/I = 1 − 1800/3000.
    assert!((r.rewards[0] - 0.4).abs() < 1e-12);
}

#[test]
fn gym_semantics_terminate_at_max_steps_with_real_final_observation() {
    let mut sim = Simulator::new(&scenario()).unwrap();
    let (obs, _) = sim.reset(Some(3)).unwrap();
    assert_eq!(obs.len(), 3);
    let d: Vec<Decision> = (0..3).map(|i| Decision::all_local(sim.topology().degree(i))).collect();
    let mut last = None;
    for t in 0..sim.max_steps() {
        let r = sim.step(&d).unwrap();
        let done = t + 1 == sim.max_steps();
        assert!(r.truncations.iter().all(|&x| x == done), "slot {t}: the time limit is a truncation");
        assert!(r.terminations.iter().all(|&x| !x), "no terminal state");
        last = Some(r);
    }
    let last = last.unwrap();
    // The final observation is real: it carries the last slot's counters.
    assert_eq!(last.observations[0].prev_input, 3000);
    assert_eq!(last.observations[0].prev_local, 3000);
    assert_eq!(last.observations[0].prev_local_rejects, 2400);
    assert_eq!(last.observations[0].slot as usize, sim.max_steps());
    assert!(sim.step(&d).is_err(), "stepping past the end is an error");
}

#[test]
fn bad_actions_are_errors_naming_the_agent() {
    let mut sim = Simulator::new(&scenario()).unwrap();
    sim.reset_episode(Some(1));
    let e = sim.decisions_from(vec![vec![0.5, 0.6, 0.0, 0.0], vec![1.0, 0.0, 0.0, 0.0], vec![1.0, 0.0, 0.0, 0.0]]);
    let msg = e.unwrap_err().to_string();
    assert!(msg.contains("node_1") && msg.contains("1.1"), "{msg}");
    let wrong_len = vec![Decision::all_local(1), Decision::all_local(2), Decision::all_local(2)];
    let msg = sim.step(&wrong_len).unwrap_err().to_string();
    assert!(msg.contains("node_1") && msg.contains("fwd:node_2"), "{msg}");
    assert!(sim.step(&wrong_len[..2]).is_err());
}

#[test]
fn per_agent_dict_view() {
    let mut sim = Simulator::new(&scenario()).unwrap();
    let obs = sim.reset_dict(Some(1)).unwrap();
    assert_eq!(obs.keys().cloned().collect::<Vec<_>>(), vec!["node_1", "node_2", "node_3"]);
    let mut actions = std::collections::BTreeMap::new();
    for (i, a) in sim.agents().to_vec().iter().enumerate() {
        actions.insert(a.clone(), Decision::all_local(sim.topology().degree(i)));
    }
    let r = sim.step_dict(&actions).unwrap();
    assert_eq!(r.infos["node_1"].local_rejects, 2400);
    actions.insert("node_9".into(), Decision::all_local(0));
    assert!(sim.step_dict(&actions).unwrap_err().to_string().contains("node_9"));
}
