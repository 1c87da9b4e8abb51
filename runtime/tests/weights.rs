//! Weighted target choice over real HTTP: shares follow the weights, and a
//! weight swap in the middle of a run fails nothing.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use dfaas_runtime::Weights;
use hyper::{Method, StatusCode};

fn three_nodes(weights_a: &str) -> Vec<Plan> {
    vec![
        Plan { id: "a".into(), body: instant_fn("f", 64, 1000, weights_a), peers: vec!["b".into(), "c".into()] },
        Plan { id: "b".into(), body: instant_fn("f", 64, 1000, "{ local = 1 }"), peers: vec!["a".into(), "c".into()] },
        Plan { id: "c".into(), body: instant_fn("f", 64, 1000, "{ local = 1 }"), peers: vec!["a".into(), "b".into()] },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_are_honoured_within_5_percent_over_1000_requests() {
    let cl = Cluster::start(three_nodes("{ local = 40, peers = { b = 30, c = 20 }, reject = 10 }")).await;
    let client = client();
    let answers =
        tokio::time::timeout(Duration::from_secs(60), load(&client, cl.addrs[0], "/function/f", 1000, 8, |_| {}))
            .await
            .expect("load finished in time");
    let mut by_target: HashMap<String, usize> = HashMap::new();
    for a in &answers {
        let a = a.as_ref().expect("every request answered");
        let key = match a.status {
            StatusCode::OK => {
                assert_eq!(a.header("x-dfaas-entry-node"), Some("a"));
                let served = a.header("x-dfaas-served-by").unwrap().to_string();
                assert_eq!(a.header("x-dfaas-forwarded"), Some(if served == "a" { "false" } else { "true" }));
                served
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(a.header("x-dfaas-reject-reason"), Some("policy"));
                "reject".into()
            }
            s => panic!("unexpected status {s}: {}", a.text()),
        };
        *by_target.entry(key).or_default() += 1;
    }
    for (target, expected) in [("a", 400.0), ("b", 300.0), ("c", 200.0), ("reject", 100.0)] {
        let got = by_target.get(target).copied().unwrap_or(0) as f64;
        assert!((got - expected).abs() <= 0.05 * expected, "{target}: {got} vs {expected} ({by_target:?})");
    }
    let a = cl.node(0).take_slot("f").unwrap();
    assert_eq!((a.input, a.local, a.rejected), (1000, 400, 100));
    assert_eq!(a.forwarded, vec![300, 200]);
    assert_eq!(a.forward_rejects, vec![0, 0]);
    assert_eq!(a.processed, 400);
    assert!(a.response_time_s.is_some());
    let b = cl.node(1).take_slot("f").unwrap();
    assert_eq!((b.input, b.received, b.processed), (0, 300, 300));
    let c = cl.node(2).take_slot("f").unwrap();
    assert_eq!((c.received, c.processed), (200, 200));
    // The slot counters restart from zero.
    assert_eq!(cl.node(0).take_slot("f").unwrap().input, 0);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weight_swaps_during_5000_requests_fail_nothing() {
    let plans = vec![
        Plan {
            id: "a".into(),
            body: instant_fn("f", 64, 1000, "{ local = 1, peers = { b = 1 } }"),
            peers: vec!["b".into()],
        },
        Plan { id: "b".into(), body: instant_fn("f", 64, 1000, "{ local = 1 }"), peers: vec!["a".into()] },
    ];
    let cl = Cluster::start(plans).await;
    let client = client();
    let gw = cl.node(0).gateway();
    let addr = cl.addrs[0];
    let swapper = client.clone();
    let auth = cl.auth(0);
    let answers = tokio::time::timeout(
        Duration::from_secs(120),
        load(&client, addr, "/function/f", 5000, 32, |i| {
            if i == 1500 {
                // Rust API: mostly forward.
                let w = Weights { local: 1, peers: [("b".to_string(), 3)].into(), reject: 0 };
                gw.set_weights("f", w).unwrap();
            }
            if i == 3500 {
                // Control endpoint: all local.
                let c = swapper.clone();
                let auth = auth.clone();
                tokio::spawn(async move {
                    let r = call(&c, addr, Method::PUT, "/control/weights/f", r#"{"local": 1}"#, &auth).await.unwrap();
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
                });
            }
        }),
    )
    .await
    .expect("load finished in time");
    assert_eq!(answers.len(), 5000);
    let mut ok = 0;
    for a in &answers {
        let a = a.as_ref().expect("every request answered");
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        ok += 1;
    }
    assert_eq!(ok, 5000);
    let out = cl.node(0).take_slot("f").unwrap();
    assert_eq!(out.input, 5000);
    assert_eq!(out.local + out.forwarded[0], 5000);
    assert_eq!(out.rejected + out.local_rejects + out.forward_rejects[0], 0);
    // 750 + ~1500 forwarded before the last swap: far more than the 1:1 share.
    assert!(out.forwarded[0] > 1900, "{out:?}");
    assert_eq!(cl.node(0).weights("f").unwrap(), Weights::all_local());
    let got = call(&client, addr, Method::GET, "/control/weights/f", "", &cl.auth(0)).await.unwrap();
    assert_eq!(got.status, StatusCode::OK);
    cl.shutdown().await;
}
