//! Forwarding failures: a peer shut down mid-run, a peer that rejects, a
//! peer that cannot be reached. Every request gets exactly one answer.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use hyper::{Method, StatusCode};

fn slow_fn(service_s: f64, conc: u32, queue: u32, weights: &str) -> String {
    format!(
        "\n[[functions]]\nname = \"f\"\nbackend = {{ kind = \"synthetic\", warm_s = {service_s}, cold_s = {service_s}, idle_s = 60.0, max_instances = {conc} }}\nadmission = {{ max_concurrency = {conc}, queue = {queue} }}\nweights = {weights}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_shut_down_mid_run_falls_back_and_answers_everything() {
    let plans = vec![
        Plan {
            id: "a".into(),
            body: instant_fn("f", 64, 1000, "{ local = 1, peers = { b = 1 } }"),
            peers: vec!["b".into()],
        },
        Plan { id: "b".into(), body: instant_fn("f", 64, 1000, "{ local = 1 }"), peers: vec!["a".into()] },
    ];
    let mut cl = Cluster::start(plans).await;
    let b = Arc::new(Mutex::new(cl.nodes[1].take()));
    let c = client();
    let stopper = b.clone();
    let answers = tokio::time::timeout(
        Duration::from_secs(120),
        load(&c, cl.addrs[0], "/function/f", 2000, 16, move |i| {
            if let Some(node) = stopper.lock().unwrap().take_if(|_| i == 600) {
                tokio::spawn(node.shutdown());
            }
        }),
    )
    .await
    .expect("load finished in time");
    assert_eq!(answers.len(), 2000);
    let (mut served_by_b, mut lost) = (0, 0);
    for a in &answers {
        let a = a.as_ref().expect("every request answered");
        if a.status == StatusCode::GATEWAY_TIMEOUT {
            // Sent to b as it closed, unanswered: never run on a as well.
            assert_eq!(a.header("x-dfaas-reject-reason"), Some("peer-timeout"));
            lost += 1;
            continue;
        }
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        if a.header("x-dfaas-served-by") == Some("b") {
            served_by_b += 1;
        }
    }
    let out = cl.node(0).take_slot("f").unwrap();
    assert_eq!(out.input, 2000);
    assert_eq!(out.local + out.forwarded[0], 2000);
    assert_eq!(out.forward_rejects, vec![0]);
    assert_eq!(out.forward_lost, lost);
    let t = cl.node(0).totals("f").unwrap();
    let fell_back = t.peer(0, dfaas_runtime::counters::PeerCount::FallbackUnreachable)
        + t.peer(0, dfaas_runtime::counters::PeerCount::FallbackRejected);
    assert!((200..1000).contains(&served_by_b), "b served {served_by_b}");
    // b drains: it answers what it read (503 while closing, then the
    // connections close); at most the requests in flight then are lost.
    assert!(lost <= 16, "{lost} forwards lost while b shut down");
    assert_eq!(served_by_b + fell_back as usize + lost as usize, out.forwarded[0] as usize);
    assert_eq!(out.processed as usize, 2000 - served_by_b - lost as usize);
    println!("b served {served_by_b} before shutdown; {fell_back} forwards fell back to a; {lost} lost (504)");
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_rejects_then_fallback_then_peer_rejected() {
    let plans = vec![
        Plan { id: "a".into(), body: slow_fn(0.5, 1, 0, "{ peers = { b = 1 } }"), peers: vec!["b".into()] },
        Plan { id: "b".into(), body: slow_fn(0.5, 1, 0, "{ local = 1 }"), peers: vec!["a".into()] },
    ];
    let cl = Cluster::start(plans).await;
    let c = client();
    let a = cl.addrs[0];
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap() }));
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let mut seen = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        seen.push((
            r.status,
            r.header("x-dfaas-served-by").map(str::to_string),
            r.header("x-dfaas-reject-reason").map(str::to_string),
        ));
    }
    assert_eq!(seen[0], (StatusCode::OK, Some("b".into()), None), "{seen:?}");
    assert_eq!(seen[1], (StatusCode::OK, Some("a".into()), None), "{seen:?}");
    assert_eq!(seen[2], (StatusCode::SERVICE_UNAVAILABLE, None, Some("peer-rejected".into())), "{seen:?}");
    let out = cl.node(0).take_slot("f").unwrap();
    assert_eq!((out.input, out.local, out.forwarded.clone(), out.forward_rejects.clone()), (3, 0, vec![3], vec![1]));
    assert_eq!(out.processed, 1);
    let b = cl.node(1).take_slot("f").unwrap();
    assert_eq!((b.received, b.received_rejects, b.processed), (3, 2, 1));
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_peer_falls_back_or_rejects_with_reason() {
    let plans = vec![
        Plan { id: "a".into(), body: slow_fn(0.4, 1, 0, "{ peers = { b = 1 } }"), peers: vec!["b".into()] },
        Plan { id: "b".into(), body: slow_fn(0.0, 1, 0, "{ local = 1 }"), peers: vec!["a".into()] },
    ];
    let mut cl = Cluster::start(plans).await;
    cl.nodes[1].take().unwrap().shutdown().await;
    let c = client();
    let a = cl.addrs[0];
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap() }));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = tasks.remove(0).await.unwrap();
    let second = tasks.remove(0).await.unwrap();
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-dfaas-served-by"), Some("a"));
    assert_eq!(first.header("x-dfaas-forwarded"), Some("false"));
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.header("x-dfaas-reject-reason"), Some("peer-unreachable"));
    let out = cl.node(0).take_slot("f").unwrap();
    assert_eq!((out.forwarded.clone(), out.forward_rejects.clone(), out.processed), (vec![2], vec![1], 1));
    cl.shutdown().await;
}
