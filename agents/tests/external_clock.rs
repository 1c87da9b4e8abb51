//! `clock = "external"`: slots end on `POST /tick`, never on a timer; a
//! timer-clocked agent refuses `POST /tick`.

mod common;
use common::{Ctl, Endpoint, solo};

use std::time::Duration;

use bytes::Bytes;
use dfaas_agent::{AgentConfig, Clock, run_agent_on};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};

type Client = dfaas_runtime::client::HttpClient;

async fn call(c: &Client, to: impl Endpoint, method: Method, path: &str, body: &str) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(format!("http://{}{path}", to.addr()));
    if let Some(t) = to.token() {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
    let fut = async {
        let resp = c.request(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), fut).await.expect("an answer within 10 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_clock_ends_slots_on_tick_only() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, listener) = solo(dir.path()).await;
    let mut cfg = AgentConfig::new(rt, "f", 10.0);
    cfg.slot_seconds = 0.1;
    cfg.clock = Clock::External;
    let agent = run_agent_on(cfg, listener).await.unwrap();
    let (c, ctl, gw) = (dfaas_runtime::client::build(Duration::from_secs(2)), Ctl::of(&agent), agent.runtime_addr());

    // No timer: after several slot lengths, still no slot ended.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(*agent.shared().slot.lock().unwrap(), 0, "an external clock never ticks on its own");

    let (st, body) = call(&c, &ctl, Method::POST, "/tick", "").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (r["slot"].as_u64(), r["outcome"]["input"].as_u64(), r["external"].as_bool()),
        (Some(0), Some(0), Some(false))
    );

    for _ in 0..3 {
        let (st, _) = call(&c, gw, Method::GET, "/function/f", "").await;
        assert_eq!(st, StatusCode::OK);
    }
    // The decision in the body applies to the slot that starts now.
    let (st, body) = call(&c, &ctl, Method::POST, "/tick", "[0.25, 0.75]").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(r["slot"], 1);
    assert_eq!((r["outcome"]["input"].as_u64(), r["outcome"]["local"].as_u64()), (Some(3), Some(3)), "{r}");
    assert_eq!((r["external"].as_bool(), r["fractions"].clone()), (Some(true), serde_json::json!([0.25, 0.75])));
    let w = agent.gateway().weights("f").unwrap();
    assert_eq!((w.local, w.reject), (250, 750));
    assert_eq!(*agent.shared().slot.lock().unwrap(), 2);

    for bad in ["{not json", "[0.5, 0.6]", "[1.0]"] {
        let (st, body) = call(&c, &ctl, Method::POST, "/tick", bad).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    assert_eq!(*agent.shared().slot.lock().unwrap(), 2, "a rejected tick ends no slot");
    // Without a decision the policy decides again (all-local for a lone node).
    let (_, body) = call(&c, &ctl, Method::POST, "/tick", "").await;
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((r["external"].as_bool(), r["fractions"].clone()), (Some(false), serde_json::json!([1.0, 0.0])));
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_clock_refuses_tick() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, listener) = solo(dir.path()).await;
    let mut cfg = AgentConfig::new(rt, "f", 10.0);
    cfg.slot_seconds = 0.1;
    assert_eq!(cfg.clock, Clock::Timer, "the timer stays the default");
    let agent = run_agent_on(cfg, listener).await.unwrap();
    let c = dfaas_runtime::client::build(Duration::from_secs(2));
    let (st, body) = call(&c, &Ctl::of(&agent), Method::POST, "/tick", "").await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("external"), "{body}");
    // The timer still ends slots by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while *agent.shared().slot.lock().unwrap() < 2 {
        assert!(std::time::Instant::now() < deadline, "the timer ended no slot in 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    agent.shutdown().await;
}

#[test]
fn clock_parses_and_names_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("node.toml"),
        "node_id = \"n1\"\nlisten = \"127.0.0.1:0\"\nkey_file = \"n1.key\"\n[[functions]]\nname = \"f\"\n\
         backend = { kind = \"synthetic\", warm_s = 0.1, cold_s = 0.1, idle_s = 60.0, max_instances = 1 }\n\
         admission = { max_concurrency = 1, queue = 4 }\n",
    )
    .unwrap();
    let file = dir.path().join("agent.toml");
    let base = "runtime = \"node.toml\"\nfunction = \"f\"\ncapacity_rps = 10.0\n";
    assert_eq!(AgentConfig::from_toml_str(base, &file).unwrap().clock, Clock::Timer);
    let ext = AgentConfig::from_toml_str(&format!("{base}clock = \"external\"\n"), &file).unwrap();
    assert_eq!(ext.clock, Clock::External);
    let e = AgentConfig::from_toml_str(&format!("{base}clock = \"sundial\"\n"), &file).unwrap_err().to_string();
    assert!(e.contains("agent.toml") && e.contains("sundial"), "{e}");
}
