//! Forwarded requests that fail authentication get 403 and are counted.

mod common;

use common::*;
use dfaas_runtime::NodeKey;
use dfaas_runtime::auth::{self, AuthFailure, Credential, PairKey, Scheme};
use hyper::{Method, StatusCode};

fn pair() -> Vec<Plan> {
    vec![
        Plan { id: "a".into(), body: instant_fn("f", 8, 8, "{ local = 1 }"), peers: vec!["b".into()] },
        Plan { id: "b".into(), body: instant_fn("f", 8, 8, "{ local = 1 }"), peers: vec!["a".into()] },
    ]
}

fn post(path: &str) -> auth::RequestParts<'_> {
    auth::RequestParts { method: "POST", path, content_type: b"" }
}

/// Forwarding headers made with `key` claiming to come from `from`, with the
/// scheme under test (for `mac`, the key `key` would share with node b).
struct Signer {
    scheme: Scheme,
    b_public: ed25519_dalek::VerifyingKey,
}

impl Signer {
    fn signed(&self, key: &NodeKey, from: &str, to: &str, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        match self.scheme {
            Scheme::Signature => {
                auth::sign(Credential::Signature(key.signing()), from, to, post(path), body).0.to_vec()
            }
            Scheme::Mac => {
                let pair = PairKey::derive(from, key.signing(), "b", &self.b_public).unwrap();
                auth::sign(Credential::Mac(&pair), from, to, post(path), body).0.to_vec()
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_replayed_signatures_get_403_and_are_counted() {
    refusals(Scheme::Signature).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_replayed_pair_key_macs_get_403_and_are_counted() {
    refusals(Scheme::Mac).await;
}

async fn refusals(scheme: Scheme) {
    let cl = Cluster::start(pair()).await;
    let c = client();
    let b = cl.addrs[1];
    let key_a = &cl.keys[0];
    let s = Signer { scheme, b_public: cl.keys[1].public() };
    let signed = |key: &NodeKey, from: &str, to: &str, path: &str, body: &[u8]| s.signed(key, from, to, path, body);

    // A good forward from a runs at b, never forwarded again.
    let h = signed(key_a, "a", "b", "/function/f", b"hi");
    let r = call(&c, b, Method::POST, "/function/f", "hi", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("x-dfaas-served-by"), Some("b"));
    assert_eq!(r.header("x-dfaas-entry-node"), Some("a"));
    assert_eq!(r.header("x-dfaas-forwarded"), Some("true"));

    // The same request again: replay.
    let r = call(&c, b, Method::POST, "/function/f", "hi", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(cl.node(1).auth_rejects(AuthFailure::Replay), 1);

    // Body changed after signing.
    let h = signed(key_a, "a", "b", "/function/f", b"hi");
    let r = call(&c, b, Method::POST, "/function/f", "evil", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signed for another receiver.
    let h = signed(key_a, "a", "c", "/function/f", b"hi");
    let r = call(&c, b, Method::POST, "/function/f", "hi", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A member's id with someone else's key.
    let stranger = NodeKey::generate().unwrap();
    let h = signed(&stranger, "a", "b", "/function/f", b"hi");
    let r = call(&c, b, Method::POST, "/function/f", "hi", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(cl.node(1).auth_rejects(AuthFailure::BadSignature), 3);

    // Not a member.
    let h = signed(&stranger, "mallory", "b", "/function/f", b"hi");
    let r = call(&c, b, Method::POST, "/function/f", "hi", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(cl.node(1).auth_rejects(AuthFailure::UnknownSender), 1);

    // The old DFaaS spoof: a bare node-id header.
    let r = call(&c, b, Method::POST, "/function/f", "hi", &[("x-dfaas-from", "a".into())]).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(cl.node(1).auth_rejects(AuthFailure::Malformed), 1);

    // Stale timestamp (re-signed honestly, but 60 s old).
    let mut h = signed(key_a, "a", "b", "/function/f", b"hi");
    for (n, v) in h.iter_mut() {
        if *n == auth::H_TIMESTAMP {
            *v = (auth::now_ms() - 60_000).to_string();
        }
    }
    let r = call(&c, b, Method::POST, "/function/f", "hi", &h).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(cl.node(1).auth_rejects(AuthFailure::Stale), 1);

    // Counted in /metrics; refused requests are not peer arrivals.
    let m = get(&c, b, "/metrics").await.text();
    assert!(m.contains("dfaas_auth_rejects_total{node=\"b\",reason=\"bad-signature\"} 3"), "{m}");
    assert!(m.contains("dfaas_auth_rejects_total{node=\"b\",reason=\"replay\"} 1"), "{m}");
    let out = cl.node(1).take_slot("f").unwrap();
    assert_eq!((out.received, out.processed), (1, 1));
    cl.shutdown().await;
}
