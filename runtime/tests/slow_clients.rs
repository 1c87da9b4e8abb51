//! Clients that hold connections (issue 11, finding 4): slowloris senders
//! and a client that never reads its answer. The connection cap evicts the
//! least recently active idle connection, so well-behaved clients are still
//! answered; the write timeout frees a connection whose client stopped reading.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// One request on a fresh connection; whether a whole 200 came back within 2 s.
fn probe(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_beyond_the_cap_does_not_lock_out_other_clients() {
    let body = "max_connections = 32\n".to_string() + &instant_fn("f", 4, 4, "{ local = 1 }");
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let addr = cl.addrs[0];
    let (answered, held) = tokio::task::spawn_blocking(move || {
        // 100 connections that start a request and never finish its headers.
        let mut held = Vec::new();
        for _ in 0..100 {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: ").unwrap();
            held.push(s);
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(200));
        let answered = (0..18).filter(|_| probe(addr)).count();
        (answered, held)
    })
    .await
    .unwrap();
    let m = get(&client(), addr, "/metrics").await.text();
    let (open, evicted) = (metric(&m, "dfaas_connections_open"), metric(&m, "dfaas_connections_evicted_total"));
    eprintln!(
        "slowloris: 100 held, cap 32: {answered}/18 probes answered, {evicted} idle connections evicted, {open} open"
    );
    assert_eq!(answered, 18, "every probe answered");
    assert!(open <= 32, "{open} connections open over the cap");
    assert!(evicted >= 100 - 32, "only {evicted} evicted");
    drop(held);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_at_the_write_timeout() {
    // An 8 MB answer, far more than the socket buffers hold.
    let body = "[timeouts]\nwrite_s = 1.0\n\n[[functions]]\nname = \"big\"\nbackend = { kind = \"process\", command = \"head\", args = [\"-c\", \"8000000\", \"/dev/zero\"], timeout_s = 5.0 }\nadmission = { max_concurrency = 2, queue = 0 }\n";
    let cl = Cluster::start(vec![Plan { id: "a".into(), body: body.into(), peers: vec![] }]).await;
    let addr = cl.addrs[0];
    let c = client();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"POST /function/big HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").unwrap();
    // Not reading. The gateway gives up writing 1 s after the buffers fill.
    let t0 = Instant::now();
    let mut open = u64::MAX;
    while t0.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        // This probe's own connection is the only other one.
        open = metric(&get(&c, addr, "/metrics").await.text(), "dfaas_connections_open");
        if open <= 1 {
            break;
        }
    }
    let freed = t0.elapsed();
    let mut got = Vec::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.read_to_end(&mut got);
    eprintln!("stalled reader: connection closed after {freed:?}; it had received {} of ~8 MB", got.len());
    assert!(open <= 1, "the stalled connection is still open after 8 s");
    assert!(got.len() < 8_000_000, "the whole answer was written to a client that did not read");
    cl.shutdown().await;
}
