//! Bad input: malformed HTTP, huge bodies, unknown functions and routes, bad
//! control requests. Nothing panics, everything is answered, serving goes on.

mod common;

use std::time::Duration;

use common::*;
use hyper::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn node() -> Vec<Plan> {
    let mut body = "max_body_bytes = 1024\n".to_string();
    body.push_str(&instant_fn("f", 8, 8, "{ local = 1 }"));
    vec![Plan { id: "a".into(), body, peers: vec![] }]
}

/// Sends raw bytes, returns what the server answered before closing (or 2 s).
async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http_gets_400_and_serving_goes_on() {
    let cl = Cluster::start(node()).await;
    let a = cl.addrs[0];
    let c = client();
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
        b"GET /function/f HTTP/9.9\r\n\r\n",
        b"POST /function/f HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /function/f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    ] {
        let answer = raw(a, garbage).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{garbage:?} -> {answer:?}");
    }
    // A client that sends half a request and hangs up.
    let mut s = TcpStream::connect(a).await.unwrap();
    s.write_all(b"POST /function/f HTTP/1.1\r\nContent-Le").await.unwrap();
    drop(s);
    // Still serving.
    let r = call(&c, a, Method::POST, "/function/f", "x", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_bodies_get_413() {
    let cl = Cluster::start(node()).await;
    let a = cl.addrs[0];
    let c = client();
    let r = call(&c, a, Method::POST, "/function/f", vec![b'x'; 4096], &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = call(&c, a, Method::POST, "/function/f", vec![b'x'; 1024], &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    // Chunked, no declared length: cut at the limit.
    let mut req = b"POST /function/f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        req.extend_from_slice(b"200\r\n");
        req.extend_from_slice(&[b'y'; 0x200]);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(a, &req).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    // A declared 1 GB body is refused without reading it.
    let answer = raw(a, b"POST /function/f HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nxx").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    let m = get(&c, a, "/metrics").await.text();
    assert!(m.contains("dfaas_http_errors_total{node=\"a\",code=\"413\"} 3"), "{m}");
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_functions_routes_and_methods() {
    let cl = Cluster::start(node()).await;
    let a = cl.addrs[0];
    let c = client();
    assert_eq!(get(&c, a, "/function/nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&c, a, "/function/").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&c, a, "/nothing/here").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&c, a, "/").await.status, StatusCode::NOT_FOUND);
    let r = call(&c, a, Method::OPTIONS, "/function/f", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    // OpenFaaS-style GET works too.
    assert_eq!(get(&c, a, "/function/f?q=1").await.status, StatusCode::OK);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_health_metrics_and_control_errors() {
    let cl = Cluster::start(node()).await;
    let a = cl.addrs[0];
    let c = client();
    let list: serde_json::Value = serde_json::from_slice(&get(&c, a, "/system/functions").await.body).unwrap();
    assert_eq!(list[0]["name"], "f");
    assert_eq!(list[0]["backend"], "synthetic");
    assert_eq!(list[0]["replicas"], 8);
    let h = get(&c, a, "/healthz").await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text());
    let m = get(&c, a, "/metrics").await;
    assert!(m.header("content-type").unwrap().starts_with("text/plain"));
    assert!(m.text().contains("# TYPE dfaas_latency_seconds histogram"));
    // Each metric family is one block right after its TYPE line (the text
    // format; OpenMetrics parsers refuse interleaved families).
    let mut seen = std::collections::HashSet::new();
    let mut current = String::new();
    for line in m.text().lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            current = rest.split(' ').next().unwrap().to_string();
            assert!(seen.insert(current.clone()), "family {current} declared twice");
        } else if !line.starts_with('#') && !line.is_empty() {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| *f == current))
                .unwrap_or(name);
            assert_eq!(family, current, "sample {line} outside its family's block");
        }
    }

    let auth = cl.auth(0);
    let put = |body: &'static str| {
        let (c, auth) = (c.clone(), auth.clone());
        async move { call(&c, a, Method::PUT, "/control/weights/f", body, &auth).await.unwrap() }
    };
    assert_eq!(put("{not json").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(put(r#"{"local": 0, "reject": 0}"#).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(put(r#"{"local": 1, "peers": {"ghost": 1}}"#).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(put(r#"{"local": 1, "bogus": 1}"#).await.status, StatusCode::BAD_REQUEST);
    let r = call(&c, a, Method::PUT, "/control/weights/zzz", r#"{"local": 1}"#, &auth).await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // All reject: 503 policy.
    assert_eq!(put(r#"{"reject": 1}"#).await.status, StatusCode::OK);
    let r = call(&c, a, Method::POST, "/function/f", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("x-dfaas-reject-reason"), Some("policy"));
    assert!(m.text().contains("dfaas_weight{node=\"a\",function=\"f\",target=\"local\"} 1"));
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openfaas_backend_proxies_and_reports_unreachable() {
    // b plays the OpenFaaS gateway.
    let of = Cluster::start(vec![Plan { id: "b".into(), body: instant_fn("f", 8, 8, "{ local = 1 }"), peers: vec![] }])
        .await;
    let body = format!(
        "\n[[functions]]\nname = \"proxied\"\nbackend = {{ kind = \"openfaas\", url = \"http://{}/function/f\", timeout_s = 2.0 }}\nadmission = {{ max_concurrency = 4, queue = 4 }}\n\n[[functions]]\nname = \"gone\"\nbackend = {{ kind = \"openfaas\", url = \"http://127.0.0.1:1/function/f\", timeout_s = 2.0 }}\nadmission = {{ max_concurrency = 4, queue = 4 }}\n",
        of.addrs[0]
    );
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let c = client();
    let r = call(&c, cl.addrs[0], Method::POST, "/function/proxied", "x", &[]).await.unwrap();
    assert_eq!((r.status, r.text().as_str()), (StatusCode::OK, "cold\n"));
    assert_eq!(r.header("x-dfaas-served-by"), Some("a"));
    let r = call(&c, cl.addrs[0], Method::POST, "/function/gone", "x", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    // One function still works: healthy.
    assert_eq!(get(&c, cl.addrs[0], "/healthz").await.status, StatusCode::OK);
    of.shutdown().await;
    let r = call(&c, cl.addrs[0], Method::POST, "/function/proxied", "x", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    // Now no function can serve: unhealthy.
    assert_eq!(get(&c, cl.addrs[0], "/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_cut_off_at_the_deadline() {
    let mut body = "\n[timeouts]\nforward_s = 0.5\nrequest_s = 0.8\n".to_string();
    body.push_str(&instant_fn("f", 8, 8, "{ local = 1 }"));
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let t = std::time::Instant::now();
    let answer = raw(cl.addrs[0], b"POST /function/f HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(t.elapsed() < Duration::from_millis(1900), "{:?}", t.elapsed());
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_never_stop_the_server() {
    let cl = Cluster::start(node()).await;
    let a = cl.addrs[0];
    let c = client();
    let seeds: [&[u8]; 4] = [
        b"POST /function/f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /control/weights/f HTTP/1.1\r\nHost: x\r\n\r\n",
        b"PUT /control/weights/f HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{\"local\": 1}",
        b"POST /function/f HTTP/1.1\r\nX-Dfaas-From: a\r\nX-Dfaas-Timestamp: 1\r\nX-Dfaas-Nonce: 1\r\nX-Dfaas-Signature: AAAA\r\n\r\n",
    ];
    let mut state: u64 = 0x9E3779B97F4A7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..200 {
        let mut m = seeds[k % seeds.len()].to_vec();
        for _ in 0..(1 + next() % 6) {
            let i = (next() as usize) % m.len();
            m[i] = next() as u8;
        }
        tasks.spawn(async move {
            let mut s = TcpStream::connect(a).await.unwrap();
            let _ = s.write_all(&m).await;
            let _ = s.shutdown().await;
            let mut out = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut out)).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    let r = call(&c, a, Method::POST, "/function/f", "x", &[]).await.unwrap();
    assert!(r.status == StatusCode::OK || r.status == StatusCode::SERVICE_UNAVAILABLE, "{}", r.status);
    assert_eq!(get(&c, a, "/healthz").await.status, StatusCode::OK);
    cl.shutdown().await;
}
