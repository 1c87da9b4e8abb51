//! Load generator against a tiny hyper server on 127.0.0.1 (bounded runs).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use dfaas_loadgen::{
    ErrorKind, LoadError, LoadSpec, Method, Outcome, Report, Schedule, run, run_blocking, run_records,
};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// How the test server answers the n-th request (1-based, in arrival order).
#[derive(Clone, Copy, Default)]
struct Behaviour {
    /// Every k-th request gets 503 with `X-Dfaas-Reject-Reason: capacity`.
    reject_every: Option<u64>,
    /// Sleep before answering.
    delay: Duration,
}

/// Starts the server; returns its address and the count of requests seen.
async fn server(b: Behaviour) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let counter = counter.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |_req: Request<hyper::body::Incoming>| {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    async move {
                        tokio::time::sleep(b.delay).await;
                        let mut r = Response::builder();
                        if b.reject_every.is_some_and(|k| n.is_multiple_of(k)) {
                            r = r.status(503).header("X-Dfaas-Reject-Reason", "capacity");
                        } else if n % 2 == 1 {
                            r = r.header("X-Dfaas-Served-By", "node-a").header("X-Dfaas-Forwarded", "false");
                        } else {
                            r = r.header("X-Dfaas-Served-By", "node-b").header("X-Dfaas-Forwarded", "true");
                        }
                        Ok::<_, Infallible>(r.body(Full::new(Bytes::from_static(b"ok\n"))).unwrap())
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    (addr, seen)
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/function/echo")
}

fn secs(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constant_rate_sends_on_schedule() {
    let (addr, seen) = server(Behaviour::default()).await;
    let r = run(LoadSpec::constant(url(addr), 200.0, secs(1000))).await.unwrap();
    assert!(r.requests.abs_diff(200) <= 1, "requests {}", r.requests);
    assert!((r.rate - 200.0).abs() <= 10.0, "rate {}", r.rate);
    assert_eq!(seen.load(Ordering::SeqCst), r.requests);
    assert_eq!(r.success_ratio, 1.0);
    assert_eq!(r.status_codes, BTreeMap::from([(200, r.requests)]));
    assert!(r.errors.is_empty());
    assert!(r.throughput > 150.0 && r.throughput <= r.rate + 1.0, "throughput {}", r.throughput);
    let l = r.latency;
    assert!(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max);
    assert_eq!(r.bytes_in, 3 * r.requests);
    assert!(r.slots.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_does_not_wait_for_slow_answers() {
    let (addr, _) = server(Behaviour { delay: secs(300), ..Default::default() }).await;
    let started = std::time::Instant::now();
    let out = run_records(LoadSpec::constant(url(addr), 50.0, secs(1000))).await.unwrap();
    let wall = started.elapsed();
    assert_eq!(out.records.len(), 50);
    for rec in &out.records {
        let lag = rec.sent.saturating_sub(rec.scheduled);
        assert!(lag < secs(40), "send {:?} scheduled {:?}", rec.sent, rec.scheduled);
        assert!(rec.latency >= secs(300));
        assert_eq!(rec.outcome, Outcome::Status(200));
    }
    // Request 10 (due at 200 ms) went out before request 0 (300 ms) came back.
    assert!(out.records[10].sent < out.records[0].end());
    let last = out.records.last().unwrap();
    assert_eq!(last.scheduled, secs(980));
    assert!(wall < secs(1000 + 300 + 500), "wall {wall:?}");
    let r = out.report();
    assert!((r.rate - 50.0).abs() < 2.5, "rate {}", r.rate);
    assert!(r.latency.p50 >= 300.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_counted_and_bound_the_run() {
    let (addr, _) = server(Behaviour { delay: secs(5000), ..Default::default() }).await;
    let mut spec = LoadSpec::constant(url(addr), 20.0, secs(500));
    spec.timeout = secs(150);
    let started = std::time::Instant::now();
    let r = run(spec).await.unwrap();
    assert!(started.elapsed() < secs(500 + 150 + 500));
    assert_eq!(r.requests, 10);
    assert_eq!(r.error_count(ErrorKind::Timeout), 10);
    assert_eq!(r.successes, 0);
    assert_eq!(r.success_ratio, 0.0);
    assert!(r.status_codes.is_empty());
    assert_eq!(r.latency.count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reject_and_served_by_maps() {
    let (addr, _) = server(Behaviour { reject_every: Some(4), ..Default::default() }).await;
    let mut spec = LoadSpec::constant(url(addr), 100.0, secs(400));
    spec.method = Method::Post;
    spec.body = b"payload".to_vec();
    spec.headers.push(("X-Test".into(), "1".into()));
    let r = run(spec).await.unwrap();
    assert_eq!(r.requests, 40);
    assert_eq!(r.status_codes, BTreeMap::from([(200, 30), (503, 10)]));
    assert_eq!(r.by_reject_reason, BTreeMap::from([("capacity".to_string(), 10)]));
    assert_eq!(r.by_served_by, BTreeMap::from([("node-a".to_string(), 20), ("node-b".to_string(), 10)]));
    assert_eq!(r.forwarded, 10);
    assert_eq!(r.success_ratio, 0.75);
    assert_eq!(r.bytes_out, 40 * 7);
    assert_eq!(r.latency.count, 40);
    assert_eq!(r.success_latency.count, 30);
    let text = r.to_text();
    for needle in ["Requests", "Latencies", "200:30  503:10", "capacity:10", "node-a:20", "75.00%"] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_slot_schedule_sends_per_slot_counts() {
    let (addr, seen) = server(Behaviour { reject_every: Some(5), ..Default::default() }).await;
    let spec = LoadSpec::per_slot(url(addr), vec![40.0, 80.0, 0.0, 20.0], secs(250));
    let out = run_records(spec).await.unwrap();
    for rec in &out.records {
        let k = rec.slot.unwrap();
        assert!(rec.scheduled >= secs(250) * k && rec.scheduled < secs(250) * (k + 1));
        assert!(rec.sent.saturating_sub(rec.scheduled) < secs(40));
    }
    let r = out.report();
    assert_eq!(r.requests, 35);
    assert_eq!(seen.load(Ordering::SeqCst), 35);
    let arrivals: Vec<u64> = r.slots.iter().map(|s| s.arrivals).collect();
    assert_eq!(arrivals, [10, 20, 0, 5]);
    let rates: Vec<f64> = r.slots.iter().map(|s| s.target_rate).collect();
    assert_eq!(rates, [40.0, 80.0, 0.0, 20.0]);
    let rejects: u64 = r.slots.iter().flat_map(|s| s.rejects.values()).sum();
    let ok: u64 = r.slots.iter().map(|s| s.successes).sum();
    assert_eq!((ok, rejects), (28, 7));
    assert!(r.slots.iter().all(|s| s.failures == 0 && s.success_latency.count == s.successes));
    assert!(r.to_text().contains("slot"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_report_has_the_fields() {
    let (addr, _) = server(Behaviour { reject_every: Some(3), ..Default::default() }).await;
    let r = run(LoadSpec::per_slot(url(addr), vec![20.0, 20.0], secs(200))).await.unwrap();
    let json = serde_json::to_string_pretty(&r).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in [
        "requests",
        "rate",
        "throughput",
        "duration",
        "latency",
        "success_ratio",
        "status_codes",
        "errors",
        "by_served_by",
        "by_reject_reason",
        "slots",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {json}");
    }
    for key in ["min", "mean", "p50", "p90", "p95", "p99", "max"] {
        assert!(v["latency"][key].is_f64(), "latency.{key}");
    }
    assert_eq!(v["requests"], 8);
    assert_eq!(v["status_codes"]["503"], 2);
    for key in ["arrivals", "successes", "rejects", "success_latency"] {
        assert!(v["slots"][0].get(key).is_some(), "slots[0].{key}");
    }
    // Floats may differ in the last bit after a text round trip; the rest is exact.
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (back.requests, &back.status_codes, &back.by_reject_reason),
        (r.requests, &r.status_codes, &r.by_reject_reason)
    );
    assert_eq!(back.slots.len(), 2);
    assert_eq!(back.slots[1].arrivals, r.slots[1].arrivals);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_cap_drops_instead_of_waiting() {
    let (addr, seen) = server(Behaviour { delay: secs(800), ..Default::default() }).await;
    let mut spec = LoadSpec::constant(url(addr), 50.0, secs(400));
    spec.max_in_flight = 5;
    let r = run(spec).await.unwrap();
    assert_eq!(r.requests, 20);
    assert_eq!(r.error_count(ErrorKind::Dropped), 15);
    assert_eq!(r.successes, 5);
    assert_eq!(seen.load(Ordering::SeqCst), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_cap_and_refused_connections() {
    // Nothing listens on this port once the listener is dropped.
    let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let mut spec = LoadSpec::constant(url(addr), 1000.0, secs(1000));
    spec.max_requests = 10;
    let r = run(spec).await.unwrap();
    assert_eq!(r.requests, 10);
    assert!(r.capped);
    assert_eq!(r.error_count(ErrorKind::Connect), 10, "{:?}", r.errors);
    assert!(r.to_text().contains("connect:10"));
}

#[test]
fn bad_inputs_give_clear_errors() {
    for target in ["not a url", "https://127.0.0.1:1/f", "127.0.0.1:8080", "http://", ""] {
        let e = run_blocking(LoadSpec::constant(target, 10.0, secs(100))).unwrap_err();
        assert!(matches!(e, LoadError::BadTarget { .. }), "{target}: {e}");
        assert!(e.to_string().contains("bad target URL"));
    }
    let e = run_blocking(LoadSpec::constant("http://127.0.0.1:1/f", f64::NAN, secs(100))).unwrap_err();
    assert!(matches!(e, LoadError::BadSchedule(_)), "{e}");
    let spec = LoadSpec::new("http://127.0.0.1:1/f", Schedule::PerSlot { rates: vec![-1.0], slot: secs(10) }, secs(10));
    assert!(run_blocking(spec).is_err());
    let zero = run_blocking(LoadSpec::constant("http://127.0.0.1:1/f", 0.0, secs(100))).unwrap();
    assert_eq!((zero.requests, zero.rate, zero.success_ratio), (0, 0.0, 0.0));
    assert!(zero.to_text().contains("Requests"));
}

#[tokio::test]
async fn run_blocking_inside_a_runtime_is_an_error() {
    let e = run_blocking(LoadSpec::constant("http://127.0.0.1:1/f", 1.0, secs(10))).unwrap_err();
    assert!(matches!(e, LoadError::InsideRuntime));
}

/// Generator capacity check (not run by default): `cargo test -p dfaas-experiments
/// --test loadgen -- --ignored --nocapture high_rate_smoke`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn high_rate_smoke() {
    let (addr, _) = server(Behaviour::default()).await;
    let r = run(LoadSpec::constant(url(addr), 2000.0, secs(2000))).await.unwrap();
    println!("{}", r.to_text());
    assert_eq!(r.requests, 4000);
}
