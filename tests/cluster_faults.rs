//! Fault tests on real `dfaas agent` processes (CloudNet 2021 configs, 1 s
//! slots, 127.0.0.1): a crashed agent and its restart, a peer with the wrong
//! pre-shared key, malformed gossip against running agents.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dfaas_agent::overlay::OverlayConfig;
use dfaas_agent::{AgentConfig, FunctionState, NeighborConfig, NodeIdentity, NodeState, Overlay, OverlayEvent};
use dfaas_live::cluster::{FUNCTION, NodePlan};
use dfaas_loadgen::{LoadSpec, Outcome, RequestRecord, run_records};

const SLOT: Duration = Duration::from_secs(1);
const READY: Duration = Duration::from_secs(30);

/// node_1's share of its load sent to `peer` in the weights it last pushed.
fn fraction_to(p: &NodePlan, peer: &str) -> Option<f64> {
    let w = get_json(p, "/weights")?;
    let i = w["peers"].as_array()?.iter().position(|p| p == peer)?;
    w["fractions"].as_array()?.get(1 + i)?.as_f64()
}

fn forwarded_total(gateway: std::net::SocketAddr, peer: &str) -> f64 {
    metric(gateway, &format!("dfaas_forwarded_total{{node=\"node_1\",function=\"{FUNCTION}\",peer=\"{peer}\"}}"))
        .unwrap_or_else(|| panic!("node_1 /metrics lacks dfaas_forwarded_total for {peer}"))
}

#[test]
fn killed_agent_is_routed_around_and_rejoins_after_restart() {
    let mut fed = Federation::configure(SLOT.as_secs_f64(), "slack-proportional");
    for n in ["node_1", "node_2", "node_3"] {
        fed.spawn(n);
    }
    fed.wait_ready(&["node_1", "node_2", "node_3"], 2, READY);
    let n1 = fed.plan("node_1").clone();

    // 50 req/s into node_1 (capacity 10): it forwards to node_2 and node_3.
    let load_s = 27.0;
    let url = format!("http://{}/function/{FUNCTION}", n1.gateway);
    let mut spec = LoadSpec::constant(url, 50.0, Duration::from_secs_f64(load_s));
    spec.timeout = Duration::from_secs(5);
    let t0 = Instant::now();
    let load = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run_records(spec))
    });

    // node_1 forwards to node_3 before the crash.
    let forwarding = wait_for(Duration::from_secs(8), || fraction_to(&n1, "node_3").is_some_and(|f| f > 0.0));
    assert!(forwarding.is_some(), "node_1 never forwarded to node_3: {:?}", get_json(&n1, "/weights"));
    // Late enough that the agents' slot counters are well past what a restarted
    // node counts in its first slots.
    std::thread::sleep(Duration::from_secs(8).saturating_sub(t0.elapsed()));

    // Crash node_3 (SIGKILL).
    fed.children.kill("node_3").unwrap();
    let killed = t0.elapsed();
    let unavailable = wait_for(3 * SLOT, || !sees_available(&n1, "node_3"));
    let weight_zero = wait_for(3 * SLOT, || fraction_to(&n1, "node_3") == Some(0.0));
    eprintln!(
        "node_3 killed at {killed:?}: unavailable at node_1 after {unavailable:?}, weight 0 after {weight_zero:?}"
    );
    assert!(unavailable.is_some(), "node_1 still sees node_3 available 3 slots after the crash");
    assert!(weight_zero.is_some(), "node_1 still forwards to node_3 3 slots after the crash");
    // From 3 slots after the crash until the restart, nothing more is sent to node_3.
    std::thread::sleep((killed + 3 * SLOT).saturating_sub(t0.elapsed()));
    let sent_after_3_slots = forwarded_total(n1.gateway, "node_3");
    std::thread::sleep(Duration::from_secs(15).saturating_sub(t0.elapsed()));
    assert_eq!(
        forwarded_total(n1.gateway, "node_3"),
        sent_after_3_slots,
        "node_1 forwarded to the dead node_3 more than 3 slots after the crash"
    );
    assert!(sees_available(&n1, "node_2"), "node_2 lost meanwhile");

    // Restart node_3: same config, so same keys and ports.
    fed.children.restart("node_3").unwrap();
    let restarted = t0.elapsed();
    let n3 = fed.plan("node_3").clone();
    let healthy = wait_for(Duration::from_secs(10), || matches!(http_get(n3.gateway, "/healthz"), Some((200, _))));
    let sees_peers = wait_for(Duration::from_secs(10), || available_count(&n3) == 2);
    let rejoined = wait_for(Duration::from_secs(10), || sees_available(&n1, "node_3"));
    let rejoin_took = t0.elapsed() - restarted;
    eprintln!("node_3 restarted: healthy after {healthy:?}, sees both peers after a further {sees_peers:?}");
    let forwards_again = wait_for(Duration::from_secs(10), || fraction_to(&n1, "node_3").is_some_and(|f| f > 0.0));
    eprintln!(
        "node_3 restarted at {restarted:?}: available at node_1 after {rejoined:?}, weight > 0 after {forwards_again:?}"
    );
    assert!(rejoined.is_some(), "node_3 did not rejoin within 10 s:\n{}", log_tail(&fed.path(), "node_3"));
    // A few slots: start, connect, publish after its first slot.
    assert!(rejoin_took <= 5 * SLOT, "node_1 saw the restarted node_3 only after {rejoin_took:?}");
    assert!(forwards_again.is_some(), "node_1 does not forward to node_3 again");
    assert!(sees_available(fed.plan("node_2"), "node_3"), "node_2 does not see node_3 again");

    let out = load.join().expect("load thread").expect("load runs");
    assert!(fed.children.exited().is_none(), "an agent exited by itself");
    let records: &[RequestRecord] = &out.records;
    assert!(records.len() as f64 >= 50.0 * load_s * 0.95, "only {} requests sent", records.len());

    // Every request got an answer: a success, a 503 that says why, or, for a
    // forward node_3 had taken when it died, a 504 `peer-timeout` (never run
    // again on node_1: it may have run on node_3).
    let lost =
        |r: &&RequestRecord| r.outcome == Outcome::Status(504) && r.reject_reason.as_deref() == Some("peer-timeout");
    let bad: Vec<&RequestRecord> = records
        .iter()
        .filter(|r| {
            !(r.outcome.is_success() || (r.outcome == Outcome::Status(503) && r.reject_reason.is_some()) || lost(r))
        })
        .collect();
    assert!(bad.is_empty(), "{} requests without a proper answer, e.g. {:?}", bad.len(), &bad[..bad.len().min(3)]);
    let lost: Vec<Duration> = records.iter().filter(lost).map(|r| r.sent).collect();
    eprintln!("forwards in flight to node_3 when it died, answered 504 peer-timeout: {}", lost.len());
    assert!(lost.len() <= 64, "more than the in-flight cap lost: {}", lost.len());
    assert!(
        lost.iter().all(|&t| t + Duration::from_secs(3) >= killed && t <= killed + SLOT),
        "lost away from the crash: {lost:?}"
    );

    // Nothing served by node_3 while it was down; served by it again after the restart.
    let served_by_3 = |from: Duration, to: Duration| {
        records.iter().filter(|r| r.sent >= from && r.sent < to && r.served_by.as_deref() == Some("node_3")).count()
    };
    assert!(served_by_3(Duration::ZERO, killed) > 0, "node_3 served nothing before the crash");
    assert_eq!(served_by_3(killed + Duration::from_millis(100), restarted), 0, "a dead node served requests");
    let after = served_by_3(restarted, Duration::from_secs_f64(load_s));
    assert!(after > 0, "node_3 served nothing after its restart");
    let unreachable = |from: Duration, to: Duration| {
        records
            .iter()
            .filter(|r| r.sent >= from && r.sent < to && r.reject_reason.as_deref() == Some("peer-unreachable"))
            .count()
    };
    let unreachable_late = unreachable(killed + 3 * SLOT, restarted);
    assert_eq!(unreachable_late, 0, "requests rejected as peer-unreachable more than 3 slots after the crash");
    // After the restart node_1's breaker for node_3 lets one probe through
    // before closing: forwards arriving meanwhile are shed (run locally, or
    // rejected when node_1 is full).
    eprintln!(
        "rejected peer-unreachable after the restart (shed while the breaker probed): {}",
        unreachable(restarted, Duration::from_secs_f64(load_s) + SLOT)
    );
    eprintln!(
        "{} requests: {} ok, {} rejected, served by node_3 after its restart: {after}",
        records.len(),
        records.iter().filter(|r| r.outcome.is_success()).count(),
        records.iter().filter(|r| r.reject_reason.is_some()).count()
    );
}

#[test]
fn agent_with_wrong_preshared_key_cannot_join() {
    let mut fed = Federation::configure(SLOT.as_secs_f64(), "slack-proportional");
    fed.spawn("node_1");
    fed.spawn("node_2");
    fed.wait_ready(&["node_1", "node_2"], 1, READY);

    // node_3 with its own key, ports and allow-list entry, but another PSK.
    let good = fed.plan("node_3").agent_toml.clone();
    let text = std::fs::read_to_string(&good).unwrap();
    let line = text.lines().find(|l| l.starts_with("psk = ")).expect("psk line").to_string();
    let wrong_psk = format!("psk = \"{}\"", "5a".repeat(32));
    assert_ne!(line, wrong_psk);
    let wrong = fed.path().join("node_3.wrong-psk.agent.toml");
    std::fs::write(&wrong, text.replace(&line, &wrong_psk)).unwrap();
    fed.spawn_with("node_3", &wrong);
    let n3 = fed.plan("node_3").clone();
    assert!(wait_for(READY, || matches!(http_get(n3.gateway, "/healthz"), Some((200, _)))).is_some());

    // For 6 slots: the members never see node_3, node_3 sees nobody.
    let (c1, c2) = (fed.plan("node_1").clone(), fed.plan("node_2").clone());
    let t0 = Instant::now();
    while t0.elapsed() < 6 * SLOT {
        for (c, who) in [(&c1, "node_1"), (&c2, "node_2")] {
            let n = neighbor(c, "node_3").expect("node_3 listed");
            assert!(n["available"] == false && n["connected"] == false, "{who} sees the outsider: {n}");
        }
        let seen = get_json(&n3, "/neighbors").expect("outsider's /neighbors");
        for n in seen.as_array().unwrap() {
            assert!(n["available"] == false && n["connected"] == false && n["state"].is_null(), "outsider sees {n}");
        }
        assert!(sees_available(&c1, "node_2") && sees_available(&c2, "node_1"), "members lost each other");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(fed.children.exited().is_none(), "an agent exited");

    // The same node with the right key joins: the test above was not vacuous.
    fed.children.kill("node_3").unwrap();
    fed.spawn_with("node_3", &good);
    let joined = wait_for(Duration::from_secs(15), || sees_available(&c1, "node_3") && available_count(&n3) == 2);
    assert!(joined.is_some(), "node_3 with the right key did not join:\n{}", log_tail(&fed.path(), "node_3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_gossip_is_dropped_and_agents_keep_running() {
    let mut fed = Federation::configure(SLOT.as_secs_f64(), "slack-proportional");
    fed.spawn("node_1");
    fed.spawn("node_2");
    let mut fed = tokio::task::spawn_blocking(move || {
        fed.wait_ready(&["node_1", "node_2"], 1, READY);
        fed
    })
    .await
    .unwrap();
    let (p1, p2, p3) = (fed.plan("node_1").clone(), fed.plan("node_2").clone(), fed.plan("node_3").clone());

    // The test joins as node_3 (its key, port, PSK; on the allow-list).
    let cfg = AgentConfig::load(&p3.agent_toml).expect("node_3 config");
    let member_key = |id: &str| dfaas_runtime::NodeKey::load_or_generate(fed.path().join(format!("{id}.key"))).unwrap();
    let mut oc = OverlayConfig::new(NodeIdentity::from_member_key(&member_key("node_3")));
    oc.listen = vec![cfg.overlay.listen.clone()];
    oc.bootstrap = cfg.overlay.bootstrap.clone();
    oc.psk = cfg.overlay.psk;
    oc.allow_list = cfg.overlay.allow.as_ref().map(|a| a.iter().copied().collect());
    oc.gossip_heartbeat = Duration::from_millis(100);
    oc.redial_interval = Duration::from_millis(200);
    oc.neighbors = NeighborConfig { slot: SLOT, stale_after_slots: 3 };
    let (me, mut events) = Overlay::start(oc).await.expect("test overlay starts");
    let poll = |c: NodePlan, f: fn(&NodePlan) -> bool| async move {
        tokio::task::spawn_blocking(move || f(&c)).await.unwrap()
    };

    let state = |v: serde_json::Value| v.to_string().into_bytes();
    let mut valid = NodeState::new("node_3", me.local_peer_id(), 1, p3.gateway.to_string());
    valid.degree = 2;
    valid.functions.push(FunctionState {
        name: FUNCTION.into(),
        spare_capacity_rps: 30.0,
        load: 0.0,
        capacity_rps: 30.0,
        overloaded: false,
        agent_index: None,
    });
    let base = serde_json::to_value(&valid).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        state(v)
    };
    let node1_peer = NodeIdentity::from_member_key(&member_key("node_1")).peer_id;
    let node2_peer = NodeIdentity::from_member_key(&member_key("node_2")).peer_id;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"\x00\x01 not json {".to_vec()),
        ("oversized", vec![b' '; dfaas_agent::messages::MAX_MESSAGE_BYTES + 100]),
        ("version 7", with(&|v| v["version"] = 7.into())),
        ("negative load", with(&|v| v["functions"][0]["load"] = (-3.0).into())),
        ("unknown field", with(&|v| v["extra"] = true.into())),
        ("claims node_1", with(&|v| v["peer_id"] = node1_peer.to_string().into())),
    ];
    let deadline = Instant::now() + Duration::from_secs(15);
    for (what, bytes) in &cases {
        // Retry while no agent has subscribed to us yet.
        loop {
            match me.publish_raw(bytes.clone()).await {
                Ok(_) => break,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("cannot publish {what}: {e}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // For 3 slots after: no agent took any of them as node_3's state, both are
    // healthy, still see each other (gossip goes on) and we hear both.
    let t0 = Instant::now();
    while t0.elapsed() < 3 * SLOT {
        for p in [&p1, &p2] {
            let n = neighbor(p, "node_3");
            assert!(n.as_ref().is_none_or(|n| n["available"] == false && n["state"].is_null()), "{}: {n:?}", p.id);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for p in [&p1, &p2] {
        assert!(matches!(http_get(p.gateway, "/healthz"), Some((200, _))), "{} unhealthy", p.id);
    }
    assert!(poll(p1.clone(), |c| sees_available(c, "node_2")).await, "node_1 lost node_2");
    assert!(poll(p2.clone(), |c| sees_available(c, "node_1")).await, "node_2 lost node_1");
    assert!(fed.children.exited().is_none(), "an agent exited");
    while events.try_recv().is_ok() {}
    let mut heard = std::collections::HashSet::new();
    let listen = tokio::time::timeout(Duration::from_secs(5), async {
        while heard.len() < 2 {
            match events.recv().await {
                Some(OverlayEvent::State { state, .. }) => {
                    heard.insert(state.node);
                }
                Some(_) => {}
                None => break,
            }
        }
    })
    .await;
    assert!(listen.is_ok(), "still gossiping: heard only {heard:?} within 5 s");

    // A valid state from the same sender is accepted: the path was open.
    me.publish(valid.clone()).await.expect("valid state published");
    let (q1, q2) = (p1.clone(), p2.clone());
    let accepted = tokio::task::spawn_blocking(move || {
        wait_for(Duration::from_secs(5), || sees_available(&q1, "node_3") && sees_available(&q2, "node_3"))
    })
    .await
    .unwrap();
    assert!(accepted.is_some(), "the agents never accepted the valid state");

    // Impersonation (issue 11, finding 1): node_3, a member with its own valid
    // key on the allow-list, speaks for node_2 with a huge spare capacity.
    // node_1 refuses it (node_2's key is not node_3's) and keeps node_2's own
    // state; node_2 refuses a state naming itself.
    let before: Vec<u64> = [&p1, &p2].iter().map(|p| impersonations(p)).collect();
    let mut forged = valid.clone();
    forged.node = "node_2".into();
    forged.slot = 1_000_000;
    forged.functions[0].spare_capacity_rps = 1000.0;
    forged.functions[0].capacity_rps = 1000.0;
    me.publish(forged).await.expect("forged state published");
    let (q1, q2) = (p1.clone(), p2.clone());
    let refused = tokio::task::spawn_blocking(move || {
        wait_for(Duration::from_secs(5), || impersonations(&q1) > before[0] && impersonations(&q2) > before[1])
    })
    .await
    .unwrap();
    assert!(refused.is_some(), "both agents count the impersonation as refused");
    let seen = neighbor(&p1, "node_2").expect("node_1 lists node_2");
    assert_eq!(seen["peer_id"], node2_peer.to_string(), "node_1's node_2 is node_2's key: {seen}");
    let spare = seen["state"]["functions"][0]["spare_capacity_rps"].as_f64().unwrap_or(f64::NAN);
    assert!(spare < 1000.0, "node_1 took the forged spare capacity: {seen}");
    me.shutdown().await;
}

/// States naming a member that came from another member's key, refused by the agent at `control`.
fn impersonations(p: &NodePlan) -> u64 {
    get_json(p, "/overlay").and_then(|c| c["dropped_impersonation"].as_u64()).expect("GET /overlay counters")
}
