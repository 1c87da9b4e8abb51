//! Authentication of forwarded requests.
//!
//! The sender adds `X-Dfaas-From` (its node id), `X-Dfaas-Timestamp` (Unix
//! milliseconds) and `X-Dfaas-Signature` (base64 Ed25519 signature over
//! [`signing_message`]: receiver id, method, path with query, timestamp and
//! the SHA-256 of the body). The receiver checks that the sender is a member,
//! the timestamp is within the freshness window, the signature verifies with
//! the sender's public key, and the signature was not seen before.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hyper::HeaderMap;
use sha2::{Digest, Sha256};

/// Header naming the forwarding node.
pub const H_FROM: &str = "x-dfaas-from";
/// Header with the signing time, Unix milliseconds.
pub const H_TIMESTAMP: &str = "x-dfaas-timestamp";
/// Header with the base64 Ed25519 signature.
pub const H_SIGNATURE: &str = "x-dfaas-signature";
/// Header with a per-request number that makes equal requests signed in the
/// same millisecond differ (Ed25519 signatures are deterministic).
pub const H_NONCE: &str = "x-dfaas-nonce";

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Most remembered signatures; past it the oldest are forgotten early.
const REPLAY_CAPACITY: usize = 1 << 20;

/// Why a forwarded request was refused (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// Missing or unparsable headers.
    #[error("malformed forwarding headers")]
    Malformed,
    /// The sender is not a federation member.
    #[error("unknown sender")]
    UnknownSender,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The timestamp is outside the freshness window.
    #[error("stale timestamp")]
    Stale,
    /// The same signature was seen before.
    #[error("replayed request")]
    Replay,
}

impl AuthFailure {
    /// Number of variants.
    pub const COUNT: usize = 5;
    /// All variants, in index order.
    pub const ALL: [AuthFailure; 5] = [
        AuthFailure::Malformed,
        AuthFailure::UnknownSender,
        AuthFailure::BadSignature,
        AuthFailure::Stale,
        AuthFailure::Replay,
    ];

    /// Metric label.
    pub fn label(self) -> &'static str {
        match self {
            AuthFailure::Malformed => "malformed",
            AuthFailure::UnknownSender => "unknown-sender",
            AuthFailure::BadSignature => "bad-signature",
            AuthFailure::Stale => "stale",
            AuthFailure::Replay => "replay",
        }
    }
}

/// Current time, Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The signed bytes.
pub fn signing_message(
    receiver: &str,
    method: &str,
    path: &str,
    timestamp_ms: u64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(128 + receiver.len() + path.len());
    m.extend_from_slice(b"dfaas-forward-v1\0");
    let ts = timestamp_ms.to_string();
    for part in [receiver.as_bytes(), method.as_bytes(), path.as_bytes(), ts.as_bytes(), nonce.as_bytes()] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m.extend_from_slice(&Sha256::digest(body));
    m
}

/// The four headers `(name, value)` that authenticate a forward.
pub fn sign(
    key: &SigningKey,
    sender: &str,
    receiver: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> [(&'static str, String); 4] {
    let ts = now_ms();
    let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
    let sig = key.sign(&signing_message(receiver, method, path, ts, &nonce, body));
    [
        (H_FROM, sender.to_string()),
        (H_TIMESTAMP, ts.to_string()),
        (H_NONCE, nonce),
        (H_SIGNATURE, B64.encode(sig.to_bytes())),
    ]
}

/// Whether a request claims to be forwarded (carries any of the headers).
pub fn claims_forwarded(headers: &HeaderMap) -> bool {
    [H_FROM, H_TIMESTAMP, H_NONCE, H_SIGNATURE].iter().any(|h| headers.contains_key(*h))
}

/// Checks forwarded requests addressed to this node.
#[derive(Debug)]
pub struct Verifier {
    me: String,
    members: HashMap<String, VerifyingKey>,
    window_ms: u64,
    seen: Mutex<ReplayCache>,
}

#[derive(Debug, Default)]
struct ReplayCache {
    set: HashSet<[u8; 64]>,
    order: VecDeque<(u64, [u8; 64])>,
}

impl ReplayCache {
    /// Inserts unless present; forgets entries older than `horizon`, at
    /// most 64 per call so that no request pays for a long quiet period
    /// (an expired entry left a little longer is harmless: its timestamp
    /// is stale, so it cannot match a request that passed the freshness check).
    fn insert(&mut self, sig: [u8; 64], now: u64, horizon: u64) -> bool {
        let mut budget = 64;
        while let Some((t, s)) = self.order.front().copied() {
            let expired = now.saturating_sub(t) > horizon && budget > 0;
            if expired || self.order.len() >= REPLAY_CAPACITY {
                budget -= usize::from(expired);
                self.order.pop_front();
                self.set.remove(&s);
            } else {
                break;
            }
        }
        if !self.set.insert(sig) {
            return false;
        }
        self.order.push_back((now, sig));
        true
    }
}

impl Verifier {
    /// A verifier for node `me` with the members' public keys.
    pub fn new(me: String, members: HashMap<String, VerifyingKey>, window_s: f64) -> Verifier {
        Verifier { me, members, window_ms: (window_s * 1000.0) as u64, seen: Mutex::new(ReplayCache::default()) }
    }

    /// Verifies a forwarded request; returns the sender's id.
    pub fn verify(&self, headers: &HeaderMap, method: &str, path: &str, body: &[u8]) -> Result<String, AuthFailure> {
        let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).ok_or(AuthFailure::Malformed);
        let from = get(H_FROM)?;
        let ts: u64 = get(H_TIMESTAMP)?.trim().parse().map_err(|_| AuthFailure::Malformed)?;
        let nonce = get(H_NONCE)?;
        if nonce.len() > 64 {
            return Err(AuthFailure::Malformed);
        }
        let sig_bytes: [u8; 64] =
            B64.decode(get(H_SIGNATURE)?.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(AuthFailure::Malformed)?;
        let key = self.members.get(from).ok_or(AuthFailure::UnknownSender)?;
        let now = now_ms();
        if now.abs_diff(ts) > self.window_ms {
            return Err(AuthFailure::Stale);
        }
        let sig = Signature::from_bytes(&sig_bytes);
        key.verify_strict(&signing_message(&self.me, method, path, ts, nonce, body), &sig)
            .map_err(|_| AuthFailure::BadSignature)?;
        // Remember for two windows: a timestamp may be up to one window ahead.
        let fresh = self.seen.lock().unwrap_or_else(|p| p.into_inner()).insert(sig_bytes, now, 2 * self.window_ms);
        if !fresh {
            return Err(AuthFailure::Replay);
        }
        Ok(from.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn setup() -> (SigningKey, Verifier) {
        let k = SigningKey::from_bytes(&[7; 32]);
        let v = Verifier::new("b".into(), HashMap::from([("a".to_string(), k.verifying_key())]), 10.0);
        (k, v)
    }

    fn headers(h: [(&'static str, String); 4]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in h {
            m.insert(n, HeaderValue::from_str(&v).unwrap());
        }
        m
    }

    #[test]
    fn good_then_replay() {
        let (k, v) = setup();
        let h = headers(sign(&k, "a", "b", "POST", "/function/f", b"x"));
        assert_eq!(v.verify(&h, "POST", "/function/f", b"x"), Ok("a".into()));
        assert_eq!(v.verify(&h, "POST", "/function/f", b"x"), Err(AuthFailure::Replay));
    }

    #[test]
    fn replay_cache_forgets_old_entries_a_bounded_number_at_a_time() {
        let mut c = ReplayCache::default();
        for i in 0..200u8 {
            let mut s = [0u8; 64];
            s[0] = i;
            assert!(c.insert(s, 0, 10));
        }
        assert!(!c.insert([0u8; 64], 5, 10), "seen within the horizon");
        assert!(c.insert([255u8; 64], 100, 10));
        assert_eq!(c.order.len(), 200 - 64 + 1);
        for k in 0..3u8 {
            assert!(c.insert([k; 64].map(|b| b ^ 0xAA), 100, 10));
        }
        assert_eq!(c.order.len(), 4);
    }

    #[test]
    fn tampering_and_strangers_fail() {
        let (k, v) = setup();
        let h = headers(sign(&k, "a", "b", "POST", "/function/f", b"x"));
        assert_eq!(v.verify(&h, "POST", "/function/f", b"y"), Err(AuthFailure::BadSignature));
        assert_eq!(v.verify(&h, "POST", "/function/g", b"x"), Err(AuthFailure::BadSignature));
        let other = headers(sign(&k, "a", "c", "POST", "/function/f", b"x"));
        assert_eq!(v.verify(&other, "POST", "/function/f", b"x"), Err(AuthFailure::BadSignature));
        let stranger = headers(sign(&k, "z", "b", "POST", "/function/f", b"x"));
        assert_eq!(v.verify(&stranger, "POST", "/function/f", b"x"), Err(AuthFailure::UnknownSender));
        let mut stale = h.clone();
        stale.insert(H_TIMESTAMP, HeaderValue::from_static("1000"));
        assert_eq!(v.verify(&stale, "POST", "/function/f", b"x"), Err(AuthFailure::Stale));
        let mut junk = h;
        junk.insert(H_SIGNATURE, HeaderValue::from_static("!!"));
        assert_eq!(v.verify(&junk, "POST", "/function/f", b"x"), Err(AuthFailure::Malformed));
    }
}
