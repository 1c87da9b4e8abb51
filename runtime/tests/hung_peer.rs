//! A peer that hangs and a peer that is slow (issue 11, findings 2 and 3):
//! the in-flight cap and the breaker bound what a hung peer costs, and a
//! forward that was sent but not answered is never run a second time here.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use dfaas_runtime::counters::PeerCount;
use hyper::StatusCode;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A "peer" that accepts every connection, reads what comes and never answers.
/// Returns its address and the number of connections it accepted.
async fn hung_peer() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            count.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_peer_costs_at_most_the_in_flight_cap() {
    let (hung, accepted) = hung_peer().await;
    // `h` is a real node that is then replaced by the hung listener's address.
    let limits = "\n[forwarding]\nmax_in_flight_per_peer = 8\nbreaker_failures = 3\nbreaker_open_s = 60.0\ntimeout_margin_s = 0.5\n";
    let plans = vec![
        Plan {
            id: "a".into(),
            body: limits.to_string() + &instant_fn("f", 64, 1000, "{ local = 1, peers = { h = 1 } }"),
            peers: vec!["h".into()],
        },
        Plan { id: "h".into(), body: instant_fn("f", 1, 0, "{ local = 1 }"), peers: vec![] },
    ];
    let cl = Cluster::start_with_addresses(plans, &[("h", hung)]).await;
    let c = client();
    let n = 400;
    let answers = load(&c, cl.addrs[0], "/function/f", n, 32, |_| {}).await;
    let mut timeouts = 0;
    for a in &answers {
        let a = a.as_ref().expect("every request answered");
        match a.status {
            StatusCode::OK => assert_eq!(a.header("x-dfaas-served-by"), Some("a")),
            StatusCode::GATEWAY_TIMEOUT => {
                assert_eq!(a.header("x-dfaas-reject-reason"), Some("peer-timeout"));
                timeouts += 1;
            }
            s => panic!("unexpected {s}: {}", a.text()),
        }
    }
    let t = cl.node(0).totals("f").unwrap();
    let shed = t.peer(0, PeerCount::Shed);
    let conns = accepted.load(Ordering::Relaxed);
    eprintln!(
        "hung peer: {n} requests, {timeouts} waited for it (504), {shed} shed and run locally, {conns} connections opened to it"
    );
    // At most the cap waits on the hung peer before the breaker opens (3
    // failures), and at most the cap again was already in flight then.
    assert!((1..=16).contains(&timeouts), "{timeouts} requests waited on the hung peer");
    assert!(conns <= 16, "{conns} connections to the hung peer");
    assert_eq!(t.peer(0, PeerCount::TimedOut), timeouts as u64);
    assert_eq!(t.peer(0, PeerCount::Forwarded), shed + timeouts as u64, "every other forward was shed");
    let metrics = get(&c, cl.addrs[0], "/metrics").await.text();
    assert!(metrics.contains("dfaas_peer_breaker{node=\"a\",peer=\"h\"} 1"), "breaker open: {metrics}");
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_that_times_out_is_not_run_twice() {
    // a's forwards to b wait 0.3 s (a's `f` is instant, margin 0.3 s); b runs
    // each for 1 s. Before the fix a ran each request itself as well.
    let plans = vec![
        Plan {
            id: "a".into(),
            body: "\n[forwarding]\ntimeout_margin_s = 0.3\n".to_string()
                + &instant_fn("f", 8, 8, "{ peers = { b = 1 } }"),
            peers: vec!["b".into()],
        },
        Plan {
            id: "b".into(),
            body: "\n[[functions]]\nname = \"f\"\nbackend = { kind = \"synthetic\", warm_s = 1.0, cold_s = 1.0, idle_s = 60.0, max_instances = 8 }\nadmission = { max_concurrency = 8, queue = 8 }\n".into(),
            peers: vec!["a".into()],
        },
    ];
    let cl = Cluster::start(plans).await;
    let c = client();
    // Fewer than the breaker's 5 failures: every one is a real forward.
    let answers = load(&c, cl.addrs[0], "/function/f", 4, 4, |_| {}).await;
    for a in &answers {
        let a = a.as_ref().expect("answered");
        assert_eq!(a.status, StatusCode::GATEWAY_TIMEOUT, "{}", a.text());
        assert_eq!(a.header("x-dfaas-reject-reason"), Some("peer-timeout"));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    use dfaas_runtime::counters::Count;
    let ran_a = cl.node(0).totals("f").unwrap().get(Count::Processed);
    let started_b = cl.node(1).totals("f").unwrap().get(Count::PeerArrivals);
    eprintln!("slow peer: 4 forwards timed out; runs on a {ran_a}, started on b {started_b}");
    assert_eq!((ran_a, started_b), (0, 4), "each request started once, on b, and never on a");
    let out = cl.node(0).take_slot("f").unwrap();
    assert_eq!((out.forwarded[0], out.forward_lost), (4, 4), "counted as lost forwards");
    cl.shutdown().await;
}
