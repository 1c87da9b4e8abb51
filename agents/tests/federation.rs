//! Live control plane on 127.0.0.1 (mDNS off): a 3-node federation running
//! slack-proportional (the DFaaS CloudNet 2021 setting), the control API, and
//! agent config parsing.

mod common;

use common::{Ctl, Endpoint};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dfaas_agent::{AgentConfig, AgentHandle, run_agent_on};
use dfaas_runtime::counters::{Count, PeerCount};
use dfaas_runtime::{NodeConfig, NodeKey};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use tokio::net::TcpListener;

type Client = dfaas_runtime::client::HttpClient;

fn client() -> Client {
    dfaas_runtime::client::build(Duration::from_secs(2))
}

async fn call(
    c: &Client,
    to: impl Endpoint,
    method: Method,
    path: &str,
    body: &str,
) -> Result<(StatusCode, String), String> {
    let mut req = Request::builder().method(method).uri(format!("http://{}{path}", to.addr()));
    if let Some(t) = to.token() {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.body(Full::new(Bytes::from(body.to_string()))).map_err(|e| e.to_string())?;
    let fut = async {
        let resp = c.request(req).await.map_err(|e| format!("{e:?}"))?;
        let status = resp.status();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(Duration::from_secs(10), fut).await.map_err(|_| "no answer in 10 s".to_string())?
}

/// A synthetic function with `conc` instances of 0.1 s: capacity 10·conc rps.
fn function(conc: u32) -> String {
    format!(
        "\n[[functions]]\nname = \"f\"\nbackend = {{ kind = \"synthetic\", warm_s = 0.1, cold_s = 0.1, idle_s = 60.0, max_instances = {conc} }}\nadmission = {{ max_concurrency = {conc}, queue = {} }}\n",
        conc * 4
    )
}

/// Runtime configs for `ids` (everyone a member of everyone, in `ids` order),
/// with listeners bound first so that addresses are known.
async fn runtime_configs(dir: &std::path::Path, ids: &[&str], concs: &[u32]) -> Vec<(NodeConfig, TcpListener)> {
    let mut listeners = Vec::new();
    let mut keys = Vec::new();
    for id in ids {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
        keys.push(NodeKey::load_or_generate(dir.join(format!("{id}.key"))).unwrap());
    }
    let addrs: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    let mut out = Vec::new();
    for (i, l) in listeners.into_iter().enumerate() {
        let id = ids[i];
        let mut text = format!("node_id = \"{id}\"\nlisten = \"{}\"\nkey_file = \"{id}.key\"\n", addrs[i]);
        text.push_str(&function(concs[i]));
        for (j, peer) in ids.iter().enumerate().filter(|(j, _)| *j != i) {
            text.push_str(&format!(
                "\n[[members]]\nid = \"{peer}\"\npublic_key = \"{}\"\naddress = \"{}\"\n",
                keys[j].public_b64(),
                addrs[j]
            ));
        }
        let cfg = NodeConfig::from_toml_str(&text, dir.join(format!("{id}.toml"))).unwrap();
        out.push((cfg, l));
    }
    out
}

fn fractions(a: &AgentHandle) -> (u64, Option<Vec<f64>>) {
    let s = a.shared();
    let slot = *s.slot.lock().unwrap();
    (slot, s.fractions.lock().unwrap().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_slack_proportional_forwards_the_excess() {
    let dir = tempfile::tempdir().unwrap();
    let ids = ["n1", "n2", "n3"];
    let caps = [10.0, 20.0, 30.0];
    let mut agents: Vec<AgentHandle> = Vec::new();
    for (i, (rt, listener)) in runtime_configs(dir.path(), &ids, &[1, 2, 3]).await.into_iter().enumerate() {
        let mut cfg = AgentConfig::new(rt, "f", caps[i]);
        cfg.overlay.bootstrap = agents.iter().flat_map(|a| a.overlay().dial_addrs()).collect();
        // A constant load: the last value is the forecast (the default Holt overshoots a step).
        cfg.predictor = dfaas_agent::PredictorSpec::LastValue;
        agents.push(run_agent_on(cfg, listener).await.expect("agent starts"));
    }
    let c = client();

    // Wait until every node sees both neighbours available.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut ok = true;
        for a in &agents {
            let (st, body) = call(&c, &Ctl::of(a), Method::GET, "/neighbors", "").await.unwrap();
            assert_eq!(st, StatusCode::OK);
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            ok &= v.as_array().unwrap().iter().all(|n| n["available"] == true);
        }
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "the federation did not form in 15 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Open-loop 50 rps into n1 for 7 s, sent on schedule.
    let n1 = agents[0].runtime_addr();
    let gw1 = agents[0].gateway();
    let (start_slot, _) = fractions(&agents[0]);
    let load = {
        let c = c.clone();
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(Duration::from_millis(20));
            let mut sent = Vec::new();
            for _ in 0..350 {
                timer.tick().await;
                let c = c.clone();
                sent.push(tokio::spawn(async move { call(&c, n1, Method::POST, "/function/f", "").await }));
            }
            let mut answers = Vec::new();
            for s in sent {
                answers.push(s.await.unwrap());
            }
            answers
        })
    };

    // Record n1's fractions per slot; snapshot counters once converged.
    let mut seen: Vec<(u64, Vec<f64>)> = Vec::new();
    let mut steady_from = None;
    let until = Instant::now() + Duration::from_secs(7);
    while Instant::now() < until {
        if let (slot, Some(f)) = fractions(&agents[0]) {
            if seen.last().is_none_or(|(s, _)| *s != slot) {
                seen.push((slot, f));
            }
            if steady_from.is_none() && slot >= start_slot + 3 {
                steady_from = Some(gw1.totals("f").unwrap());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let end = gw1.totals("f").unwrap();
    let answers = load.await.unwrap();
    eprintln!("n1 fractions per slot (load from slot {start_slot}): {seen:?}");

    // After the first two slots of load: 0.2 local, 0.32 to n2, 0.48 to n3.
    let steady: Vec<_> = seen.iter().filter(|(s, _)| *s >= start_slot + 3).collect();
    assert!(steady.len() >= 3, "too few slots observed: {seen:?}");
    for (s, f) in &steady {
        assert_eq!(f.len(), 4);
        assert!((f[1] - 0.32).abs() <= 0.05 && (f[2] - 0.48).abs() <= 0.05, "slot {s}: {f:?}");
    }
    let w = gw1.weights("f").unwrap();
    let total = f64::from(w.local + w.reject + w.peers.values().sum::<u32>());
    assert!((f64::from(w.peers["n2"]) / total - 0.32).abs() <= 0.05, "{w:?}");
    assert!((f64::from(w.peers["n3"]) / total - 0.48).abs() <= 0.05, "{w:?}");

    // The runtime followed the weights.
    let start = steady_from.expect("converged");
    let arrivals = (end.get(Count::UserArrivals) - start.get(Count::UserArrivals)) as f64;
    let to2 = (end.peer(0, PeerCount::Forwarded) - start.peer(0, PeerCount::Forwarded)) as f64;
    let to3 = (end.peer(1, PeerCount::Forwarded) - start.peer(1, PeerCount::Forwarded)) as f64;
    eprintln!("steady phase: arrivals {arrivals}, to n2 {to2}, to n3 {to3}");
    assert!(arrivals >= 50.0, "arrivals {arrivals}");
    assert!((to2 / arrivals - 0.32).abs() <= 0.05, "to n2: {to2}/{arrivals}");
    assert!((to3 / arrivals - 0.48).abs() <= 0.05, "to n3: {to3}/{arrivals}");
    let d = |c: Count| end.get(c) - start.get(c);
    let dp = |p: usize, c: PeerCount| end.peer(p, c) - start.peer(p, c);
    let rejects = d(Count::LocalCapacityRejects)
        + d(Count::PolicyRejects)
        + (0..2).map(|p| dp(p, PeerCount::RejectedByPeer) + dp(p, PeerCount::Unreachable)).sum::<u64>();
    eprintln!("steady phase rejects: {rejects}");
    assert!(rejects as f64 <= 0.03 * arrivals, "{rejects} rejects of {arrivals} after the first slots");

    // Every request answered; few rejects overall.
    let mut ok = 0;
    for a in &answers {
        let (st, body) = a.as_ref().expect("every request is answered");
        if *st == StatusCode::OK {
            ok += 1;
        } else {
            assert_eq!(*st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        }
    }
    eprintln!("answers: {} ok of {}", ok, answers.len());
    assert!(ok as f64 >= 0.8 * answers.len() as f64, "{ok} ok of {}", answers.len());

    for a in agents {
        a.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_answers_every_route_and_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, listener) = runtime_configs(dir.path(), &["solo"], &[1]).await.pop().unwrap();
    let mut cfg = AgentConfig::new(rt, "f", 10.0);
    cfg.slot_seconds = 0.2;
    let agent = run_agent_on(cfg, listener).await.unwrap();
    let c = client();
    let ctl = Ctl::of(&agent);
    // Wait for the first slot.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fractions(&agent).0 < 1 {
        assert!(Instant::now() < deadline, "no slot in 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Without the node's token nothing is read or changed; nor with it from a
    // page whose DNS name was rebound to 127.0.0.1 (its Host is not loopback).
    for (m, route, body) in
        [(Method::GET, "/weights", ""), (Method::PUT, "/decision", "[0.0, 1.0]"), (Method::PUT, "/policy", "all-local")]
    {
        let (st, _) = call(&c, ctl.addr, m, route, body).await.unwrap();
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{route} without the token");
    }
    let rebound = tokio::task::spawn_blocking({
        let (addr, token) = (ctl.addr, ctl.token.clone());
        move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(s, "GET /weights HTTP/1.1\r\nHost: attacker.example:{}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n", addr.port()).unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        }
    })
    .await
    .unwrap();
    assert!(rebound.starts_with("HTTP/1.1 403"), "{rebound}");
    for route in ["/observation", "/outcome", "/weights", "/neighbors", "/overlay"] {
        let (st, body) = call(&c, &ctl, Method::GET, route, "").await.unwrap();
        assert_eq!(st, StatusCode::OK, "{route}: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap_or_else(|e| panic!("{route}: {e}: {body}"));
    }
    let (_, obs) = call(&c, &ctl, Method::GET, "/observation", "").await.unwrap();
    let obs: serde_json::Value = serde_json::from_str(&obs).unwrap();
    assert_eq!(obs["capacity"], 2.0, "{obs}"); // 10 rps × 0.2 s

    for bad in ["{not json", "[0.5, 0.6]", "[1.0]", "[-0.5, 1.5]", "{\"x\": 1}", "[\"a\", 0]", "[1.0, 0.0, 0.0]"] {
        let (st, body) = call(&c, &ctl, Method::PUT, "/decision", bad).await.unwrap();
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body.contains("error"), "{body}");
    }
    for bad in ["no-such-policy", "{\"policy\": \"oracle\"}", ""] {
        let (st, body) = call(&c, &ctl, Method::PUT, "/policy", bad).await.unwrap();
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // No models_dir configured: no model is loaded at run time.
    let (st, body) = call(&c, &ctl, Method::PUT, "/policy", "{\"model\": \"/nonexistent.dfpolicy\"}").await.unwrap();
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, _) = call(&c, &ctl, Method::GET, "/nope", "").await.unwrap();
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(&c, &ctl, Method::DELETE, "/weights", "").await.unwrap();
    assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED);

    // An external decision applies to the next slot only.
    let (st, body) = call(&c, &ctl, Method::PUT, "/decision", "{\"fractions\": [0.25, 0.75]}").await.unwrap();
    assert_eq!(st, StatusCode::OK, "{body}");
    let slot = fractions(&agent).0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while fractions(&agent).0 < slot + 1 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fractions(&agent).1.unwrap(), vec![0.25, 0.75]);
    let w = agent.gateway().weights("f").unwrap();
    assert_eq!((w.local, w.reject), (250, 750));
    while fractions(&agent).0 < slot + 2 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fractions(&agent).1.unwrap(), vec![1.0, 0.0], "back to the policy");

    let (st, body) = call(&c, &ctl, Method::PUT, "/policy", "all-local").await.unwrap();
    assert_eq!((st, body.contains("all-local")), (StatusCode::OK, true), "{body}");
    let (st, _) = call(&c, &ctl, Method::PUT, "/policy", "{\"policy\": \"slack-proportional\"}").await.unwrap();
    assert_eq!(st, StatusCode::OK);
    agent.shutdown().await;
}

#[test]
fn agent_config_parses_and_names_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let node = "node_id = \"n1\"\nlisten = \"127.0.0.1:0\"\nkey_file = \"n1.key\"\n".to_string() + &function(1);
    std::fs::write(dir.path().join("node.toml"), node).unwrap();
    let file = dir.path().join("agent.toml");
    let good = "runtime = \"node.toml\"\nfunction = \"f\"\ncapacity_rps = 10.0\npolicy = \"slack-proportional\"\n\
                predictor = { kind = \"holt\", alpha = 0.5, beta = 0.3 }\n[overlay]\npsk = \""
        .to_string()
        + &"ab".repeat(32)
        + "\"\n";
    let c = AgentConfig::from_toml_str(&good, &file).unwrap();
    assert_eq!(c.slot_seconds, 1.0);
    assert!(!c.overlay.mdns);
    assert!(c.overlay.psk.is_some());

    let err = |text: &str| AgentConfig::from_toml_str(text, &file).unwrap_err().to_string();
    let base = "runtime = \"node.toml\"\nfunction = \"f\"\ncapacity_rps = 10.0\n";
    let e = err(&format!("{base}policy = \"nope\"\n"));
    assert!(e.contains("agent.toml") && e.contains("`policy`") && e.contains("nope"), "{e}");
    let e = err(&format!("{base}slot_seconds = -1.0\n"));
    assert!(e.contains("slot_seconds") && e.contains("-1"), "{e}");
    let e = err(&format!("{base}colour = 1\n"));
    assert!(e.contains("colour"), "{e}");
    let e = err("runtime = \"node.toml\"\nfunction = \"g\"\ncapacity_rps = 1.0\n");
    assert!(e.contains("`function`") && e.contains("g"), "{e}");
    let e = err(&format!("{base}[overlay]\nbootstrap = [\"/ip4/127.0.0.1/tcp/1\"]\n"));
    assert!(e.contains("overlay.bootstrap[0]"), "{e}");
    // One key per member: a separate overlay key is refused with the reason.
    let e = err(&format!("{base}[overlay]\nkey_file = \"p2p.key\"\n"));
    assert!(e.contains("overlay.key_file") && e.contains("member key"), "{e}");
    let e = err(&format!("{base}control_listen = \"nowhere\"\n"));
    assert!(e.contains("control_listen") && e.contains("nowhere"), "{e}");

    // The allow-list in a file: one peer id per line, comments skipped; a bad
    // line named by file and line; not both forms.
    let id = "12D3KooWE9eUWgHn1VTCiVpWLvMeAviqQbUgyFdvowtXnaaTpd9L";
    std::fs::write(dir.path().join("allow.txt"), format!("# members\n{id}  # node_1\n\n")).unwrap();
    let c = AgentConfig::from_toml_str(&format!("{base}[overlay]\nallow_file = \"allow.txt\"\n"), &file).unwrap();
    assert_eq!(c.overlay.allow.unwrap().iter().map(|p| p.to_string()).collect::<Vec<_>>(), [id]);
    std::fs::write(dir.path().join("bad.txt"), format!("{id}\nnot-a-peer\n")).unwrap();
    let e = err(&format!("{base}[overlay]\nallow_file = \"bad.txt\"\n"));
    assert!(e.contains("bad.txt") && e.contains("line 2") && e.contains("not-a-peer"), "{e}");
    let e = err(&format!("{base}[overlay]\nallow = []\nallow_file = \"allow.txt\"\n"));
    assert!(e.contains("overlay.allow_file") && e.contains("either"), "{e}");
    let e = err(&format!("{base}[overlay]\nallow_file = \"missing.txt\"\n"));
    assert!(e.contains("overlay.allow_file") && e.contains("missing.txt"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_without_neighbour_states_never_forwards() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfgs = runtime_configs(dir.path(), &["a", "b", "c"], &[1, 1, 1]).await;
    let (rt, listener) = cfgs.remove(0);
    drop(cfgs);
    let runtime = dfaas_runtime::serve_on(rt, listener).await.unwrap();
    let policy = dfaas_policies::build(&"slack-proportional".parse().unwrap(), 0, 0).unwrap();
    let shared = dfaas_agent::Shared::new(policy);
    let mut lp = dfaas_agent::SlotLoop::new(
        runtime.gateway(),
        None,
        shared.clone(),
        dfaas_agent::SlotLoopParams {
            function: "f".into(),
            capacity_rps: 1.0,
            slot_seconds: 1.0,
            stale_after_slots: 3,
            predictor: dfaas_agent::PredictorSpec::Ewma { alpha: 1.0 }.build(),
            http_addr: runtime.local_addr().to_string(),
            node_index: Some(7),
        },
    );
    let c = client();
    for _ in 0..5 {
        let (st, _) = call(&c, runtime.local_addr(), Method::POST, "/function/f", "").await.unwrap();
        assert_eq!(st, StatusCode::OK);
    }
    let r = lp.tick(Instant::now()).await.unwrap();
    assert_eq!((r.outcome.input, r.observation.input, r.observation.capacity), (5, 5, 1.0));
    assert_eq!(r.observation.node, 7, "the configured topology index");
    assert_eq!((r.outcome.queue_len, r.observation.queue_len), (Some(0), 0), "nothing waits");
    assert_eq!(r.observation.neighbors.len(), 2);
    assert!(r.observation.neighbors.iter().all(|n| n.age_seconds.is_none() && n.spare_capacity == 0.0));
    assert_eq!(r.fractions, vec![1.0, 0.0, 0.0, 0.0], "nothing forwarded to unknown neighbours");
    // An external decision forwarding to an unknown neighbour is kept local.
    *shared.external.lock().unwrap() = Some(dfaas_env::Decision::new(vec![0.5, 0.5, 0.0, 0.0]).unwrap());
    let r = lp.tick(Instant::now()).await.unwrap();
    assert!(r.external);
    assert_eq!(r.fractions, vec![1.0, 0.0, 0.0, 0.0]);
    assert_eq!((r.slot, r.observation.slot), (1, 2), "slot 1 ended; the observation is for slot 2, as the simulator's");
    runtime.shutdown().await;
}
