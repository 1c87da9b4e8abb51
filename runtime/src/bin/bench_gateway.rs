//! Gateways and an open-loop load generator for `scripts/bench_gateway.sh`.
//!
//! ```text
//! dfaas-gateway-bench serve PORT_A PORT_B [mac|signature]
//!     a: 127.0.0.1:PORT_A serves `noop` (synthetic, zero work) locally;
//!     b: 127.0.0.1:PORT_B forwards every `noop` call to a (one hop, proven
//!     with the given scheme, default mac).
//!     Runs until killed.
//! dfaas-gateway-bench load URL RATE_RPS DURATION_S
//!     Fixed-rate GETs, each sent on time by its own task whatever the
//!     others do (open loop); latency from send to full answer. Prints one
//!     line: sent ok errors rps p50_ms p90_ms p99_ms p999_ms max_ms
//! dfaas-gateway-bench crypto
//!     Cost of proving and checking one forward, per scheme.
//! ```

use std::time::{Duration, Instant};

use dfaas_runtime::{NodeConfig, NodeKey, serve};
use http_body_util::{BodyExt, Full};

fn usage() -> ! {
    eprintln!("usage: dfaas-gateway-bench serve PORT_A PORT_B [mac|signature] | load URL RATE_RPS DURATION_S | crypto");
    std::process::exit(2)
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| usage())
}

const NOOP_REQ: dfaas_runtime::auth::RequestParts<'static> =
    dfaas_runtime::auth::RequestParts { method: "GET", path: "/function/noop", content_type: b"" };

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => {
            let scheme = match args.get(4).map(String::as_str) {
                None | Some("mac") => "mac",
                Some("signature") => "signature",
                Some(_) => usage(),
            };
            serve_pair(arg(&args, 2), arg(&args, 3), scheme).await
        }
        Some("load") => load(arg(&args, 2), arg(&args, 3), arg(&args, 4)).await,
        Some("crypto") => crypto(),
        _ => usage(),
    }
}

const NOOP: &str = "\n[[functions]]\nname = \"noop\"\nbackend = { kind = \"synthetic\", warm_s = 0.0, cold_s = 0.0, idle_s = 600.0, max_instances = 100000 }\nadmission = { max_concurrency = 100000, queue = 0 }\n";

async fn serve_pair(port_a: u16, port_b: u16, scheme: &str) {
    let dir = std::env::temp_dir().join(format!("dfaas-bench-{}", std::process::id()));
    let (ka, kb) = (dir.join("a.key"), dir.join("b.key"));
    let (key_a, key_b) = match (NodeKey::load_or_generate(&ka), NodeKey::load_or_generate(&kb)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => fail(&e.to_string()),
    };
    let member = |id: &str, key: &NodeKey, port: u16| {
        format!("\n[[members]]\nid = \"{id}\"\npublic_key = \"{}\"\naddress = \"127.0.0.1:{port}\"\n", key.public_b64())
    };
    let text_a = format!(
        "node_id = \"a\"\nlisten = \"127.0.0.1:{port_a}\"\nkey_file = \"a.key\"\n{NOOP}{}",
        member("b", &key_b, port_b)
    );
    let text_b = format!(
        "node_id = \"b\"\nlisten = \"127.0.0.1:{port_b}\"\nkey_file = \"b.key\"\n[auth]\nscheme = \"{scheme}\"\n{NOOP}weights = {{ peers = {{ a = 1 }} }}\n{}",
        member("a", &key_a, port_a)
    );
    let start = |text: String, name: &str| {
        let cfg = NodeConfig::from_toml_str(&text, dir.join(name)).unwrap_or_else(|e| fail(&e.to_string()));
        async move { serve(cfg).await.unwrap_or_else(|e| fail(&e.to_string())) }
    };
    let a = start(text_a, "a.toml").await;
    let b = start(text_b, "b.toml").await;
    println!("a on {} (local noop), b on {} (forwards noop to a)", a.local_addr(), b.local_addr());
    std::future::pending::<()>().await;
}

fn fail(msg: &str) -> ! {
    eprintln!("dfaas-gateway-bench: {msg}");
    std::process::exit(1)
}

async fn load(url: String, rate: f64, duration_s: f64) {
    if !(rate > 0.0 && duration_s > 0.0 && rate * duration_s <= 1e7) {
        usage();
    }
    let uri: hyper::Uri = url.parse().unwrap_or_else(|_| usage());
    let client = dfaas_runtime::client::build(Duration::from_secs(1));
    let n = (rate * duration_s).round() as u64;
    let t0 = Instant::now() + Duration::from_millis(100);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let at = t0 + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at.into()).await;
        let (client, uri) = (client.clone(), uri.clone());
        tasks.spawn(async move {
            let req = hyper::Request::get(uri).body(Full::new(bytes::Bytes::new())).ok()?;
            let sent = Instant::now();
            let call = async {
                let resp = client.request(req).await.ok()?;
                let ok = resp.status().is_success();
                resp.into_body().collect().await.ok()?;
                ok.then_some(())
            };
            tokio::time::timeout(Duration::from_secs(5), call).await.ok()??;
            Some(sent.elapsed().as_secs_f64() * 1e3)
        });
    }
    let mut lat = Vec::with_capacity(n as usize);
    let mut errors = 0u64;
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Some(ms)) => lat.push(ms),
            _ => errors += 1,
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(f64::NAN);
    println!(
        "sent={n} ok={} errors={errors} rps={:.1} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} p999_ms={:.3} max_ms={:.3}",
        lat.len(),
        lat.len() as f64 / elapsed,
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999),
        lat.last().copied().unwrap_or(f64::NAN)
    );
}

/// Cost of proving and checking one forward (µs each), per scheme, for the notes.
fn crypto() {
    use dfaas_runtime::auth::{self, Credential};
    let a = NodeKey::generate().unwrap_or_else(|e| fail(&e.to_string()));
    let b = NodeKey::generate().unwrap_or_else(|e| fail(&e.to_string()));
    let v = auth::Verifier::new("b".into(), b.signing(), [("a".to_string(), a.public())].into(), 10.0);
    let pair = auth::PairKey::derive("a", a.signing(), "b", &b.public()).unwrap_or_else(|| fail("pair key"));
    let n = 5000;
    for (name, credential) in [("signature", Credential::Signature(a.signing())), ("mac", Credential::Mac(&pair))] {
        let t = Instant::now();
        let signed: Vec<_> = (0..n).map(|_| auth::sign(credential, "a", "b", NOOP_REQ, b"").0).collect();
        let sign_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let t = Instant::now();
        for h in signed {
            let mut m = hyper::HeaderMap::new();
            for (k, val) in h {
                m.insert(k, val.parse().unwrap_or_else(|_| fail("header")));
            }
            if v.verify(&m, NOOP_REQ, b"").is_err() {
                fail("verification failed");
            }
        }
        let verify_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("scheme={name} sign_us={sign_us:.1} verify_us={verify_us:.1}");
    }
}
