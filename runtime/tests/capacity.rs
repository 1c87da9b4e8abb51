//! Admission: overflow is answered 503 `capacity` at once; rate limits; the
//! health check reflects whether work can be accepted.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hyper::{Method, StatusCode};

fn slow_fn(name: &str, service_s: f64, conc: u32, queue: u32, extra: &str) -> String {
    format!(
        "\n[[functions]]\nname = \"{name}\"\nbackend = {{ kind = \"synthetic\", warm_s = {service_s}, cold_s = {service_s}, idle_s = 60.0, max_instances = {conc} }}\nadmission = {{ max_concurrency = {conc}, queue = {queue}{extra} }}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflow_is_rejected_immediately_with_capacity() {
    let cl = Cluster::start(vec![Plan { id: "a".into(), body: slow_fn("f", 0.6, 2, 1, ""), peers: vec![] }]).await;
    let c = client();
    let a = cl.addrs[0];
    let mut held = Vec::new();
    for _ in 0..3 {
        let c = c.clone();
        held.push(tokio::spawn(async move { call(&c, a, Method::POST, "/function/f", "", &[]).await }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let h = get(&c, a, "/healthz").await;
    assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE, "full node must not look healthy: {}", h.text());

    let t = Instant::now();
    let r = call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap();
    let took = t.elapsed();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("x-dfaas-reject-reason"), Some("capacity"));
    assert_eq!(r.header("x-dfaas-entry-node"), Some("a"));
    assert!(took < Duration::from_millis(100), "reject took {took:?}");
    println!("capacity reject answered in {took:?}");
    // Two run, one waits: a slot ending now reports the waiting one.
    let mid = cl.node(0).take_slot("f").unwrap();
    assert_eq!(mid.queue_len, Some(1), "one request waits for a run slot");

    for h in held {
        let r = h.await.unwrap().unwrap();
        assert_eq!(r.status, StatusCode::OK, "queued requests still run");
    }
    assert_eq!(get(&c, a, "/healthz").await.status, StatusCode::OK);
    let out = cl.node(0).take_slot("f").unwrap();
    assert_eq!(out.queue_len, Some(0), "nothing waits once they ran");
    let sum = |f: fn(&dfaas_env::SlotOutcome) -> u32| f(&mid) + f(&out);
    assert_eq!((sum(|o| o.input), sum(|o| o.local), sum(|o| o.local_rejects), sum(|o| o.processed)), (4, 4, 1, 3));
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_rate_rejects_the_excess() {
    let body = slow_fn("f", 0.0, 8, 8, ", max_rate_rps = 5.0");
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let c = client();
    let mut ok = 0;
    let mut capacity = 0;
    let t = Instant::now();
    for _ in 0..20 {
        let r = call(&c, cl.addrs[0], Method::POST, "/function/f", "", &[]).await.unwrap();
        match r.status {
            StatusCode::OK => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.header("x-dfaas-reject-reason"), Some("capacity"));
                capacity += 1
            }
            s => panic!("{s}"),
        }
    }
    // Burst of 5, plus what refilled meanwhile (slow machines take longer).
    let refilled = (t.elapsed().as_secs_f64() * 5.0).ceil() as usize;
    assert!(ok >= 5 && ok <= 6 + refilled, "ok = {ok}, refilled {refilled}");
    assert_eq!(ok + capacity, 20);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthetic_instances_cap_is_a_capacity_reject() {
    // Admission allows 4 at once but the platform has 1 instance.
    let body = "\n[[functions]]\nname = \"f\"\nbackend = { kind = \"synthetic\", warm_s = 0.3, cold_s = 0.5, idle_s = 60.0, max_instances = 1 }\nadmission = { max_concurrency = 4, queue = 0 }\n";
    let cl = Cluster::start(vec![Plan { id: "a".into(), body: body.into(), peers: vec![] }]).await;
    let c = client();
    let a = cl.addrs[0];
    let c2 = c.clone();
    let first = tokio::spawn(async move { call(&c2, a, Method::POST, "/function/f", "", &[]).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("x-dfaas-reject-reason"), Some("capacity"));
    let first = first.await.unwrap();
    assert_eq!((first.status, first.text().as_str()), (StatusCode::OK, "cold\n"));
    let r = call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap();
    assert_eq!(r.text(), "warm\n");
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_past_the_request_deadline_gets_504() {
    let body = format!("\n[timeouts]\nforward_s = 0.5\nrequest_s = 0.7\n{}", slow_fn("f", 0.4, 1, 10, ""));
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let c = client();
    let a = cl.addrs[0];
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap() }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().status);
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert_eq!(statuses[2], StatusCode::GATEWAY_TIMEOUT, "{statuses:?}");
    let t = cl.node(0).totals("f").unwrap();
    assert!(t.get(dfaas_runtime::counters::Count::RequestTimeouts) >= 1);
    cl.shutdown().await;
}

/// Two synthetic functions of different cost share the node's budget
/// (`budget_units = 3`): an `image` call holds 2 units, a `text` call 1.
/// While one image call runs, a second is answered 503 `capacity` at once
/// and a text call still runs; once the image call ends, image runs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_of_different_cost_share_the_node_budget() {
    let f = |name: &str, s: f64, units: u32| {
        format!(
            "\n[[functions]]\nname = \"{name}\"\nbackend = {{ kind = \"synthetic\", warm_s = {s}, cold_s = {s}, idle_s = 60.0, max_instances = 4, units = {units} }}\nadmission = {{ max_concurrency = 4, queue = 0 }}\n"
        )
    };
    let body = format!("budget_units = 3\n{}{}", f("image", 0.5, 2), f("text", 0.0, 1));
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let (c, a) = (client(), cl.addrs[0]);
    let c2 = c.clone();
    let first = tokio::spawn(async move { call(&c2, a, Method::POST, "/function/image", "", &[]).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let metrics = get(&c, a, "/metrics").await.text();
    assert!(metrics.contains("dfaas_budget_units{node=\"a\"} 3"), "{metrics}");
    assert!(metrics.contains("dfaas_budget_units_in_use{node=\"a\"} 2"), "one image call holds 2 units");
    let second = call(&c, a, Method::POST, "/function/image", "", &[]).await.unwrap();
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE, "2 + 2 units > 3: {}", second.text());
    assert_eq!(second.header("x-dfaas-reject-reason"), Some("capacity"));
    let text = call(&c, a, Method::POST, "/function/text", "", &[]).await.unwrap();
    assert_eq!(text.status, StatusCode::OK, "2 + 1 units fit: {}", text.text());
    assert_eq!(first.await.unwrap().unwrap().status, StatusCode::OK);
    let again = call(&c, a, Method::POST, "/function/image", "", &[]).await.unwrap();
    assert_eq!(again.status, StatusCode::OK, "the units came back");
    cl.shutdown().await;
}

/// With `budget_queue_s`, a call that finds too few units waits its turn
/// instead of a 503 while the waiting work fits: the second image call
/// (2 units × 0.4 s) waits within 0.3 s × 3 units, a third would not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_wait_their_turn_for_the_budget_when_it_has_a_queue() {
    let f = |name: &str, s: f64, units: u32| {
        format!(
            "\n[[functions]]\nname = \"{name}\"\nbackend = {{ kind = \"synthetic\", warm_s = {s}, cold_s = {s}, idle_s = 60.0, max_instances = 4, units = {units} }}\nadmission = {{ max_concurrency = 4, queue = 0 }}\n"
        )
    };
    let body = format!("budget_units = 3\nbudget_queue_s = 0.3\n{}", f("image", 0.4, 2));
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let (c, a) = (client(), cl.addrs[0]);
    let t0 = std::time::Instant::now();
    let c2 = c.clone();
    let first = tokio::spawn(async move { call(&c2, a, Method::POST, "/function/image", "", &[]).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let c3 = c.clone();
    let second = tokio::spawn(async move { call(&c3, a, Method::POST, "/function/image", "", &[]).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let metrics = get(&c, a, "/metrics").await.text();
    assert!(metrics.contains("dfaas_budget_waiting{node=\"a\"} 1"), "{metrics}");
    let third = call(&c, a, Method::POST, "/function/image", "", &[]).await.unwrap();
    assert_eq!(third.status, StatusCode::SERVICE_UNAVAILABLE, "the queue holds one call's work: {}", third.text());
    assert_eq!(first.await.unwrap().unwrap().status, StatusCode::OK);
    assert_eq!(second.await.unwrap().unwrap().status, StatusCode::OK, "it waited, then ran");
    assert!(t0.elapsed() >= Duration::from_millis(800), "one after the other: {:?}", t0.elapsed());
    cl.shutdown().await;
}
