//! `LiveEnv` over three externally clocked agents on 127.0.0.1 (in this
//! process, mDNS off): fixed decisions are measured as sent, slot by slot;
//! an agent that stops, or never answers, is reported and the step returns.

use std::path::Path;
use std::time::{Duration, Instant};

use dfaas_agent::{AgentConfig, AgentHandle, run_agent};
use dfaas_env::sim::reward_rejects;
use dfaas_env::{Decision, MultiAgentEnv, Scenario};
use dfaas_live::cluster::{Choice, set_external_clock, write_configs};
use dfaas_live::live_env::{AgentAddr, LiveEnv, LiveOpts};

/// Three nodes, everyone a neighbour of everyone; 20 req/s into node_1 and
/// 10 req/s into node_3, well within every capacity.
const SCENARIO: &str = r#"
name = "live-three"
[episode]
max_steps = 10
slot_seconds = 1.0
[seeds]
master = 5
[topology]
nodes = ["node_1", "node_2", "node_3"]
adjacency = ["node_1 node_2 node_3", "node_2 node_3"]
[model]
kind = "capacity"
capacity_rps = [30.0, 20.0, 30.0]
service_time_s = 0.1
[workload]
kind = "constant"
rate_rps = [20.0, 0.0, 10.0]
"#;

const SLOT_S: f64 = 0.5;

fn scenario(dir: &Path) -> Scenario {
    let path = dir.join("live-three.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    Scenario::load(&path).unwrap()
}

/// Starts the scenario's agents in `rt` (externally clocked); returns them
/// with their addresses, in topology order.
fn agents(rt: &tokio::runtime::Runtime, s: &Scenario, dir: &Path) -> (Vec<Option<AgentHandle>>, Vec<AgentAddr>) {
    let plans = write_configs(s, dir, SLOT_S, &Choice::Policy("all-local".into()), 1).unwrap();
    let mut handles = Vec::new();
    let mut addrs = Vec::new();
    for p in &plans {
        set_external_clock(&p.agent_toml).unwrap();
        let cfg = AgentConfig::load(&p.agent_toml).unwrap();
        let h = rt.block_on(run_agent(cfg)).unwrap();
        addrs.push(AgentAddr { control: h.control_addr(), gateway: h.runtime_addr(), token: h.control_token() });
        handles.push(Some(h));
    }
    (handles, addrs)
}

fn opts() -> LiveOpts {
    let mut o = LiveOpts::new(SLOT_S, 4);
    o.request_timeout = Duration::from_secs(2);
    o.answer_timeout = Duration::from_secs(1);
    o.ready_timeout = Duration::from_secs(20);
    o
}

fn near(got: u32, want: u32, tol: u32, what: &str) {
    assert!(got.abs_diff(want) <= tol, "{what}: measured {got}, sent {want} (tolerance {tol})");
}

#[test]
fn fixed_decisions_are_measured_as_sent_and_a_stopped_agent_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (mut handles, addrs) = agents(&rt, &s, dir.path());
    let mut o = opts();
    o.slots = 5;
    let mut env = LiveEnv::connect(&s, &addrs, o).unwrap();
    assert!(env.issues().iter().all(Option::is_none), "{:?}", env.issues());
    let (obs, _) = env.reset(Some(11)).unwrap();
    // 20 req/s × 0.5 s into node_1, 5 into node_3: the environment knows what it will send.
    assert_eq!(obs.iter().map(|o| o.input).collect::<Vec<_>>(), vec![10, 0, 5]);

    // node_1: half local, half to node_2. node_3 (neighbours node_1, node_2):
    // 40 % local, 40 % to node_1, 0 to node_2, 20 % rejected.
    let d = vec![
        Decision::new(vec![0.5, 0.5, 0.0, 0.0]).unwrap(),
        Decision::new(vec![1.0, 0.0, 0.0, 0.0]).unwrap(),
        Decision::new(vec![0.4, 0.4, 0.0, 0.2]).unwrap(),
    ];
    // Per node: Σ processed and Σ (local + received) over the episode.
    let mut ran = [0u32; 3];
    let mut admitted = [0u32; 3];
    for t in 0..4 {
        let r = env.step(&d).unwrap();
        assert!(r.issues.iter().all(Option::is_none), "slot {t}: {:?}", r.issues);
        let [n1, n2, n3] = [&r.infos[0], &r.infos[1], &r.infos[2]];
        eprintln!("slot {t}: {n1:?}\n        {n2:?}\n        {n3:?}");
        // Every request of the slot, and only those, in the slot's counters.
        assert_eq!((n1.input, n2.input, n3.input), (10, 0, 5), "slot {t}: arrivals");
        near(n1.local, 5, 1, "node_1 local");
        near(n1.forwarded[0], 5, 1, "node_1 → node_2");
        assert_eq!(n1.forwarded[1], 0, "node_1 → node_3");
        near(n3.local, 2, 1, "node_3 local");
        near(n3.forwarded[0], 2, 1, "node_3 → node_1");
        assert_eq!(n3.forwarded[1], 0, "node_3 → node_2");
        near(n3.rejected, 1, 1, "node_3 rejected on purpose");
        near(n2.received, n1.forwarded[0], 0, "node_2 received what node_1 forwarded");
        near(n1.received, n3.forwarded[0], 0, "node_1 received what node_3 forwarded");
        for (i, o) in r.infos.iter().enumerate() {
            assert_eq!(o.local_rejects + o.forward_rejects.iter().sum::<u32>(), 0, "node {i}: nothing lost: {o:?}");
            ran[i] += o.processed;
            admitted[i] += o.local + o.received;
            let want = reward_rejects(o.input, o.rejected, o.local_rejects, o.forward_rejects.iter().sum());
            assert!((r.rewards[i] - want).abs() < 1e-12, "node {i}: the simulator's reward");
        }
        // Next observations, built as the simulator does from what was measured.
        let o1 = &r.observations[0];
        assert_eq!((o1.slot, o1.input, o1.prev_input, o1.prev_local), (t + 1, 10, n1.input, n1.local));
        assert_eq!(o1.neighbors[0].prev_forwarded, n1.forwarded[0]);
        assert_eq!(o1.neighbors[0].age_seconds, Some(SLOT_S));
        // node_2's advertised spare: capacity 10 per slot − its own input 0.
        assert!((o1.neighbors[0].spare_capacity - 10.0).abs() < 1e-9, "{:?}", o1.neighbors[0]);
    }
    assert_eq!(env.stray_input(), 0, "no request arrived between slots");

    // node_3's agent stops: reported, estimated from its users' view, no hang.
    let h3 = handles[2].take().unwrap();
    rt.block_on(h3.shutdown());
    let t0 = Instant::now();
    let d2 = vec![
        Decision::new(vec![0.5, 0.5, 0.0, 0.0]).unwrap(),
        Decision::new(vec![1.0, 0.0, 0.0, 0.0]).unwrap(),
        Decision::new(vec![1.0, 0.0, 0.0, 0.0]).unwrap(),
    ];
    let r = env.step(&d2).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(20), "the step took {:?}", t0.elapsed());
    for i in 0..2 {
        ran[i] += r.infos[i].processed;
        admitted[i] += r.infos[i].local + r.infos[i].received;
        // Queued requests may run in the next slot; after the last one, all have run.
        assert_eq!(ran[i], admitted[i], "node {i}: every admitted request ran by the episode's end");
    }
    let issue = r.issues[2].as_deref().expect("node_3 is reported");
    assert!(issue.contains("node_3") && issue.contains("estimated"), "{issue}");
    assert_eq!(r.infos[2].input, 5, "node_3's scheduled arrivals");
    assert_eq!(r.infos[2].processed, 0, "nothing ran at node_3");
    assert!(r.issues[1].is_none(), "node_2 still measured: {:?}", r.issues[1]);
    near(r.infos[1].received, 5, 1, "node_2 received");
    assert!(r.truncations.iter().all(|&x| x), "5 slots played: the time limit");
    assert!(r.terminations.iter().all(|&x| !x));
    assert!(env.step(&d2).is_err(), "a step after the last slot is refused");
    drop(env);
    for h in handles.into_iter().flatten() {
        rt.block_on(h.shutdown());
    }
}

#[test]
fn an_agent_that_never_answers_is_reported_and_steps_return() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (mut handles, mut addrs) = agents(&rt, &s, dir.path());
    rt.block_on(handles[2].take().unwrap().shutdown());
    // node_3's control API and gateway accept connections and never answer.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    addrs[2] = AgentAddr { control: addr, gateway: addr, token: "unused-token-0123456789".into() };
    let mut o = opts();
    o.ready_timeout = Duration::from_secs(2);
    let t0 = Instant::now();
    let mut env = LiveEnv::connect(&s, &addrs, o).unwrap();
    assert!(env.issues()[2].is_some(), "{:?}", env.issues());
    env.reset(Some(3)).unwrap();
    assert!(env.issues()[2].as_deref().unwrap().contains("did not answer"), "{:?}", env.issues());
    let d = vec![
        Decision::new(vec![0.5, 0.5, 0.0, 0.0]).unwrap(),
        Decision::new(vec![1.0, 0.0, 0.0, 0.0]).unwrap(),
        Decision::new(vec![1.0, 0.0, 0.0, 0.0]).unwrap(),
    ];
    let r = env.step(&d).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(45), "connect + reset + step took {:?}", t0.elapsed());
    assert!(r.issues[2].as_deref().unwrap().contains("did not answer"), "{:?}", r.issues[2]);
    assert!(r.issues[0].is_none(), "{:?}", r.issues[0]);
    assert_eq!((r.infos[0].input, r.infos[2].input), (10, 5));
    near(r.infos[0].forwarded[0], 5, 1, "node_1 → node_2");
    drop(env);
    drop(silent);
    for h in handles.into_iter().flatten() {
        rt.block_on(h.shutdown());
    }
}

#[test]
fn timer_clocked_agents_are_refused_at_reset() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let plans = write_configs(&s, dir.path(), SLOT_S, &Choice::Policy("all-local".into()), 1).unwrap();
    let mut handles = Vec::new();
    let mut addrs = Vec::new();
    for p in &plans {
        let h = rt.block_on(run_agent(AgentConfig::load(&p.agent_toml).unwrap())).unwrap();
        addrs.push(AgentAddr { control: h.control_addr(), gateway: h.runtime_addr(), token: h.control_token() });
        handles.push(h);
    }
    let mut o = opts();
    o.ready_timeout = Duration::from_secs(5);
    let mut env = LiveEnv::connect(&s, &addrs, o).unwrap();
    let e = env.reset(Some(1)).unwrap_err().to_string();
    assert!(e.contains("clock = \"external\""), "{e}");
    drop(env);
    for h in handles {
        rt.block_on(h.shutdown());
    }
}
