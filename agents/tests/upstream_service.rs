//! `serve-policy` as upstream DFaaS agents meet it: bodies in the shape the Go
//! agent marshals (keys sorted, whole numbers without a point, first-phase
//! defaults), answers checked as the Go agent reads them, bad bodies and a
//! hanging client.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dfaas_agent::upstream::{Broker, Clock, PolicyService, ServeConfig};
use serde_json::{Value, json};

const IDS: [&str; 5] = [
    "12D3KooWAhTzVjdFr8yDr1S1QH6oH2VYcfgkX5q2W5wZL3Eu6q2b",
    "12D3KooWBv5zjLRLaYxzdq1gWcrLzsj1oH5kPHk2nXgXiWzDrqVu",
    "12D3KooWCq2oNwdLt5GcF3kS7R6ZpUrJh3e5uGQJxz7W1mYB3kTd",
    "12D3KooWDk8mX7oWnU5y4sQwE9t2kLJcY6bV1hR3fG8zP2nA4sMe",
    "12D3KooWEr3tY9uI5oP7aS1dF4gH6jK8lZ2xC5vB9nM3qW7eR1tY",
];

/// A clock the test sets: upstream's two-minute rounds without the wait.
fn manual_clock() -> (Arc<AtomicU64>, Clock) {
    let t = Arc::new(AtomicU64::new(0f64.to_bits()));
    let read = Arc::clone(&t);
    (t, Arc::new(move || f64::from_bits(read.load(Ordering::SeqCst))))
}

fn set(t: &AtomicU64, seconds: f64) {
    t.store(seconds.to_bits(), Ordering::SeqCst);
}

/// A service answering for `policy_line`'s policy, with upstream's 120 s
/// between rounds, timed by the returned clock.
async fn service(policy_line: &str) -> (PolicyService, Arc<AtomicU64>) {
    let (t, clock) = manual_clock();
    let broker = Broker::new(config(policy_line)).unwrap();
    (PolicyService::start_with_clock("127.0.0.1:0".parse().unwrap(), broker, clock).await.unwrap(), t)
}

fn config(policy_line: &str) -> ServeConfig {
    let mut text = format!("slot_seconds = 60\ninterval_seconds = 120\n{policy_line}\n");
    for id in IDS {
        text += &format!("[[nodes]]\nid = \"{id}\"\ncapacity_rps = 10\n");
    }
    ServeConfig::from_toml_str(&text, concat!(env!("CARGO_MANIFEST_DIR"), "/tests/serve.toml")).unwrap()
}

/// A number as Go's `encoding/json` writes it (whole numbers without a point).
fn go_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 { json!(x as i64) } else { json!(x) }
}

/// The body node `me` sends: first phase (`prev = None`, upstream's defaults)
/// or a later one with the previous phase's input and per-peer forwards.
fn body(me: usize, input_rate: f64, prev: Option<(f64, &[f64])>) -> String {
    let all: Vec<usize> = (0..IDS.len()).filter(|&k| k != me).collect();
    body_with(me, &all, input_rate, prev)
}

/// The same for a node connected to `peers` only.
fn body_with(me: usize, peers: &[usize], input_rate: f64, prev: Option<(f64, &[f64])>) -> String {
    let mut o = BTreeMap::new();
    o.insert("input_rate".to_string(), go_number(input_rate));
    o.insert("reject_rate".into(), go_number(if input_rate > 10.0 { 0.31 } else { 0.0 }));
    o.insert("avg_resp_time_loc".into(), go_number(153.25));
    o.insert("cpu_utilization".into(), go_number(0.5));
    o.insert("n_replicas".into(), go_number(2.0));
    o.insert("previous_input_rate".into(), go_number(prev.map_or(0.0, |p| p.0)));
    o.insert("previous_reject_rate".into(), go_number(0.0));
    o.insert("previous_avg_resp_time_loc".into(), go_number(0.0));
    o.insert("previous_cpu_utilization".into(), go_number(0.0));
    o.insert("previous_n_replicas".into(), go_number(1.0));
    for (k, peer) in IDS.iter().enumerate().filter(|(k, _)| peers.contains(k)) {
        let fwd = prev.map_or(0.0, |p| p.1[k]);
        o.insert(format!("previous_fwd_to_node_{peer}"), go_number(fwd));
        o.insert(format!("previous_fwd_to_node_{peer}_rejected"), go_number(0.0));
        o.insert(format!("previous_avg_resp_time_fwd_to_node_{peer}"), go_number(0.0));
    }
    json!({"agent_parameters": {"explore": false}, "observation": {format!("node_{}", IDS[me]): o}}).to_string()
}

/// One HTTP/1.1 exchange on a fresh connection: (status, body).
fn exchange(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

async fn post(addr: SocketAddr, body: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || exchange(addr, "POST", "/action", &body)).await.unwrap()
}

/// The answer as the Go agent reads it (`map[string]map[string]float64`,
/// exactly the own node, local, reject and every neighbour), as fractions in
/// our order `[local, peers in IDS order…, reject]`.
fn go_reads(me: usize, status: u16, text: &str) -> Vec<f64> {
    let all: Vec<usize> = (0..IDS.len()).filter(|&k| k != me).collect();
    go_reads_with(me, &all, status, text)
}

fn go_reads_with(me: usize, peers: &[usize], status: u16, text: &str) -> Vec<f64> {
    assert_eq!(status, 200, "{text}");
    let v: BTreeMap<String, BTreeMap<String, f64>> = serde_json::from_str(text).expect("map of maps of numbers");
    assert_eq!(v.len(), 1, "{text}");
    let inner = &v[&format!("node_{}", IDS[me])];
    assert_eq!(inner.len(), 2 + peers.len(), "{text}");
    let mut f = vec![inner["local"]];
    f.extend(peers.iter().map(|&k| inner[&format!("node_{}", IDS[k])]));
    f.push(inner["reject"]);
    assert!(f.iter().all(|x| (0.0..=1.0).contains(x)), "{f:?}");
    assert!((f.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{f:?}");
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_agents_get_their_actions_and_see_each_other_one_phase_late() {
    let (service, clock) = service("policy = \"slack-proportional\"").await;
    let addr = service.local_addr();
    // Phase 0: node 0 is overloaded (30 req/s for 10), 1 and 2 nearly idle,
    // 3 and 4 overloaded too. Nobody has been heard: nothing is forwarded.
    let rates = [30.0, 2.0, 2.0, 15.0, 16.0];
    for (me, &r) in rates.iter().enumerate() {
        set(&clock, me as f64);
        let (st, text) = post(addr, body(me, r, None)).await;
        let f = go_reads(me, st, &text);
        assert!(f[1..5].iter().all(|&x| x == 0.0), "node {me}: {f:?}");
    }
    set(&clock, 120.0);
    // Phase 1: node 0 forwards its excess to 1 and 2, in proportion to
    // their spare capacity (8 req/s each), nothing to the overloaded 3 and 4.
    let (st, text) = post(addr, body(0, 30.0, Some((30.0, &[0.0; 5])))).await;
    let f = go_reads(0, st, &text);
    let (to1, to2, to3, to4) = (f[1], f[2], f[3], f[4]);
    assert!((to1 - 8.0 / 30.0).abs() < 1e-9 && (to2 - 8.0 / 30.0).abs() < 1e-9, "{f:?}");
    assert_eq!((to3, to4), (0.0, 0.0), "{f:?}");
    // The other nodes' phase-1 answers too; the health route counts them all.
    for (me, &rate) in rates.iter().enumerate().skip(1) {
        let (st, text) = post(addr, body(me, rate, Some((rate, &[0.0; 5])))).await;
        go_reads(me, st, &text);
    }
    let (st, text) = tokio::task::spawn_blocking(move || exchange(addr, "GET", "/health", "")).await.unwrap();
    assert_eq!(st, 200);
    let health: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((health["answered"].as_u64(), health["nodes"].as_array().map(Vec::len)), (Some(10), Some(5)));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learned_model_answers_upstream_too() {
    let model = format!("model = \"{}/../models/marl-master-5.dfpolicy\"", env!("CARGO_MANIFEST_DIR"));
    let (service, clock) = service(&model).await;
    let addr = service.local_addr();
    // The model was trained on marl-master-5's topology (degrees 1 to 3):
    // upstream nodes connected the same way get its actions.
    let neighbours: [&[usize]; 5] = [&[1, 2, 3], &[0, 4], &[0, 3], &[0, 2], &[1]];
    let mut forwarded = 0.0;
    for round in 0..3 {
        set(&clock, 120.0 * f64::from(round));
        for (me, peers) in neighbours.iter().enumerate() {
            let rate = if me == 0 { 25.0 } else { 3.0 };
            let prev = (round > 0).then_some((rate, &[0.0; 5][..]));
            let (st, text) = post(addr, body_with(me, peers, rate, prev)).await;
            let f = go_reads_with(me, peers, st, &text);
            if me == 0 && round == 0 {
                assert_eq!(f[1..4], [0.0; 3], "nobody heard yet: nothing forwarded");
            }
            if me == 0 && round > 0 {
                forwarded += f[1..4].iter().sum::<f64>();
            }
        }
    }
    assert!(forwarded > 0.1, "the overloaded node (25 req/s for 10) forwards once its neighbours are heard");
    // A full mesh of five gives a node four neighbours: more than the model
    // takes, refused with what differs.
    let (st, text) = post(addr, body(0, 25.0, None)).await;
    assert_eq!(st, 422, "{text}");
    assert!(text.contains("max_degree") && text.contains("the file has at most 3, the node has 4"), "{text}");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_named_and_a_hanging_client_blocks_no_one() {
    let (service, _clock) = service("").await;
    let addr = service.local_addr();
    // A client that sends half a request and then nothing.
    let mut hanging = TcpStream::connect(addr).unwrap();
    hanging.write_all(b"POST /action HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{\"observ").unwrap();

    let cases: Vec<(String, u16, Vec<&str>)> = vec![
        ("{not json".into(), 400, vec!["not JSON"]),
        (r#"{"observation":{"node_X":{}}}"#.into(), 400, vec!["observation.node_X", "input_rate"]),
        (body(0, 5.0, None).replace("\"input_rate\":5", "\"input_rate\":-5"), 400, vec!["input_rate", "-5"]),
        (
            body(0, 5.0, None).replace("\"cpu_utilization\":0.5", "\"cpu_utilization\":\"high\""),
            400,
            vec!["cpu_utilization", "number"],
        ),
        (body(0, 5.0, None).replace(IDS[0], "12D3KooWStranger"), 422, vec!["node_12D3KooWStranger", "not declared"]),
    ];
    for (text, want, needles) in cases {
        let (st, answer) = post(addr, text).await;
        assert_eq!(st, want, "{answer}");
        let err: Value = serde_json::from_str(&answer).unwrap();
        let msg = err["error"].as_str().unwrap();
        for n in needles {
            assert!(msg.contains(n), "{msg} lacks {n}");
        }
    }
    let (st, _) = tokio::task::spawn_blocking(move || exchange(addr, "GET", "/action", "")).await.unwrap();
    assert_eq!(st, 405);
    let (st, _) = tokio::task::spawn_blocking(move || exchange(addr, "POST", "/nope", "{}")).await.unwrap();
    assert_eq!(st, 404);
    // After all that (and with the hanging client still open) a good request is answered.
    let (st, text) = post(addr, body(2, 4.0, None)).await;
    go_reads(2, st, &text);
    // A neighbour upstream is connected to but the config does not declare
    // gets a share of 0 (upstream wants one for every neighbour it has).
    let (st, text) = post(addr, body(0, 5.0, None).replace(IDS[1], "12D3KooWStranger")).await;
    assert_eq!(st, 200, "{text}");
    let v: BTreeMap<String, BTreeMap<String, f64>> = serde_json::from_str(&text).unwrap();
    let inner = &v[&format!("node_{}", IDS[0])];
    assert_eq!((inner.len(), inner["node_12D3KooWStranger"]), (6, 0.0), "{text}");
    drop(hanging);
    service.shutdown().await;
}
