//! A relay between two members that rewrites what passes (issue 11,
//! finding 7). Forwarded requests and their answers are both proven: a
//! rewritten answer is refused (502 `peer-unauthenticated`, not run again
//! locally), a rewritten request is refused by the peer before running.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use common::*;
use dfaas_runtime::counters::{Count, PeerCount};
use hyper::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PASS: u8 = 0;
const ANSWERS: u8 = 1;
const REQUESTS: u8 = 2;

/// Copies `from` to `to`, replacing `pat` by `with` (same length) when `on`.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    pat: &[u8],
    with: &[u8],
    on: impl Fn() -> bool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let chunk = &mut buf[..n];
        if on() {
            let mut i = 0;
            while i + pat.len() <= chunk.len() {
                if &chunk[i..i + pat.len()] == pat {
                    chunk[i..i + pat.len()].copy_from_slice(with);
                }
                i += 1;
            }
        }
        if to.write_all(chunk).await.is_err() {
            break;
        }
    }
}

/// A TCP relay to `upstream`; `mode` says what it rewrites.
async fn relay(upstream: SocketAddr, mode: Arc<AtomicU8>) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((down, _)) = l.accept().await {
            let Ok(up) = TcpStream::connect(upstream).await else { continue };
            let (dr, dw) = down.into_split();
            let (ur, uw) = up.into_split();
            let (m1, m2) = (Arc::clone(&mode), Arc::clone(&mode));
            tokio::spawn(pump(dr, uw, b"text/plain", b"image/jpeg", move || m1.load(Ordering::Relaxed) == REQUESTS));
            tokio::spawn(pump(ur, dw, b"hello", b"PWNED", move || m2.load(Ordering::Relaxed) == ANSWERS));
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_rewrites_answers_or_requests_is_refused() {
    // b echoes the body; a forwards everything to b through the relay.
    let echo = "\n[[functions]]\nname = \"f\"\nbackend = { kind = \"process\", command = \"cat\", timeout_s = 5.0 }\nadmission = { max_concurrency = 4, queue = 4 }\n";
    let plans = vec![
        Plan { id: "a".into(), body: format!("{echo}weights = {{ peers = {{ b = 1 }} }}\n"), peers: vec!["b".into()] },
        Plan { id: "b".into(), body: echo.into(), peers: vec!["a".into()] },
    ];
    // Start once to learn b's address, then again with a pointing at the relay.
    let probe = Cluster::start(plans_clone(&plans)).await;
    let b_addr = probe.addrs[1];
    probe.shutdown().await;
    let mode = Arc::new(AtomicU8::new(PASS));
    let relay_addr = relay(b_addr, Arc::clone(&mode)).await;
    let cl = Cluster::start_full_at(plans, &[("b", relay_addr)], &[0, b_addr.port()]).await;
    let c = client();
    let hello = |c: &dfaas_runtime::client::HttpClient| {
        let c = c.clone();
        let a = cl.addrs[0];
        async move {
            call(&c, a, Method::POST, "/function/f", "hello", &[("content-type", "text/plain".into())]).await.unwrap()
        }
    };

    // An honest relay: b's answer comes back.
    let r = hello(&c).await;
    assert_eq!((r.status, r.text().as_str(), r.header("x-dfaas-served-by")), (StatusCode::OK, "hello", Some("b")));

    // The relay rewrites b's answer: refused, and not run again on a.
    mode.store(ANSWERS, Ordering::Relaxed);
    let r = hello(&c).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.text());
    assert_eq!(r.header("x-dfaas-reject-reason"), Some("peer-unauthenticated"));
    assert!(!r.text().contains("PWNED"), "the rewritten answer reached the user");
    let ta = cl.node(0).totals("f").unwrap();
    assert_eq!((ta.peer(0, PeerCount::BadAnswer), ta.get(Count::Processed)), (1, 0), "a did not run it");
    assert_eq!(cl.node(1).totals("f").unwrap().get(Count::Processed), 2, "b ran both");

    // The relay rewrites the request's Content-Type: b refuses it before
    // running (its refusal is proven), so a runs it itself.
    mode.store(REQUESTS, Ordering::Relaxed);
    let r = hello(&c).await;
    assert_eq!((r.status, r.header("x-dfaas-served-by")), (StatusCode::OK, Some("a")), "{}", r.text());
    assert_eq!(cl.node(1).auth_rejects(dfaas_runtime::auth::AuthFailure::BadSignature), 1);
    assert_eq!(cl.node(1).totals("f").unwrap().get(Count::Processed), 2, "b did not run the rewritten request");
    eprintln!(
        "tampering relay: rewritten answer -> 502 peer-unauthenticated (run once, on b); rewritten Content-Type -> 403 at b, run on a"
    );
    cl.shutdown().await;
}

fn plans_clone(p: &[Plan]) -> Vec<Plan> {
    p.iter().map(|p| Plan { id: p.id.clone(), body: p.body.clone(), peers: p.peers.clone() }).collect()
}
