//! Authentication of forwarded requests and of their answers.
//!
//! The sender adds `X-Dfaas-From` (its node id), `X-Dfaas-Timestamp` (Unix
//! milliseconds), `X-Dfaas-Nonce` and one proof over [`signing_message`]
//! (sender and receiver ids, method, path with query, `Content-Type`,
//! timestamp, nonce and the SHA-256 of the body):
//!
//! - `X-Dfaas-Mac` (scheme `mac`, the default): base64 HMAC-SHA256 under the
//!   key the two members share ([`PairKey`], derived from their Ed25519 node
//!   keys), about a microsecond to make or check;
//! - `X-Dfaas-Signature` (scheme `signature`): base64 Ed25519 signature with
//!   the sender's node key, checkable by anyone with its public key, but
//!   some 70 µs of CPU per forward for signing and verifying.
//!
//! The receiver accepts either: it checks that the sender is a member, the
//! timestamp is within the freshness window, the proof is valid, and the
//! proof was not seen before (replay).
//!
//! Every answer to a request that carries the forwarding headers, refusals
//! included, is proven back ([`answer_message`]: responder, sender,
//! timestamp and nonce of the request, status, `Content-Type`,
//! `X-Dfaas-Served-By`, `X-Dfaas-Reject-Reason`, SHA-256 of the body) with
//! `X-Dfaas-Answer-Mac` (the request had a MAC) or `X-Dfaas-Answer-Signature`.
//! The sender relays only a proven answer: a relay between two members can
//! neither rewrite a request nor its answer.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use hyper::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::pair_key::PairKey;

/// Header naming the forwarding node.
pub const H_FROM: &str = "x-dfaas-from";
/// Header with the signing time, Unix milliseconds.
pub const H_TIMESTAMP: &str = "x-dfaas-timestamp";
/// Header with the base64 Ed25519 signature (scheme `signature`).
pub const H_SIGNATURE: &str = "x-dfaas-signature";
/// Header with the base64 HMAC-SHA256 tag under the pair key (scheme `mac`).
pub const H_MAC: &str = "x-dfaas-mac";
/// Header with a per-request number that makes equal requests made in the
/// same millisecond differ (both proofs are deterministic).
pub const H_NONCE: &str = "x-dfaas-nonce";

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Most remembered proofs (2²⁰: about 115 MiB with the set and the queue).
/// Memory stays bounded at any rate: when every remembered proof is still
/// within its horizon, a new forward is refused (403, `replay-cache-full`;
/// the sender runs it itself) rather than a proof forgotten early, so a
/// replay is never accepted whatever the rate. Proofs are kept two
/// freshness windows: at the default 10 s window that happens above about
/// 52 000 forwards/s to one receiver.
pub const REPLAY_CAPACITY: usize = 1 << 20;

/// How this node proves its forwards (`[auth] scheme` in the node config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// HMAC-SHA256 under the pair key.
    #[default]
    Mac,
    /// Ed25519 signature with the node key.
    Signature,
}

/// What a forward is proven with.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// The sender's node key.
    Signature(&'a SigningKey),
    /// The key shared with the receiver.
    Mac(&'a PairKey),
}

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
    /// Every remembered proof is within its horizon: nothing may be forgotten.
    #[error("replay cache full")]
    Saturated,
}

impl AuthFailure {
    /// Number of variants.
    pub const COUNT: usize = 6;
    /// All variants, in index order.
    pub const ALL: [AuthFailure; 6] = [
        AuthFailure::Malformed,
        AuthFailure::UnknownSender,
        AuthFailure::BadSignature,
        AuthFailure::Stale,
        AuthFailure::Replay,
        AuthFailure::Saturated,
    ];

    /// Metric label.
    pub fn label(self) -> &'static str {
        match self {
            AuthFailure::Malformed => "malformed",
            AuthFailure::UnknownSender => "unknown-sender",
            AuthFailure::BadSignature => "bad-signature",
            AuthFailure::Stale => "stale",
            AuthFailure::Replay => "replay",
            AuthFailure::Saturated => "replay-cache-full",
        }
    }
}

/// Current time, Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// What a forward's proof covers besides the body.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// Path with query.
    pub path: &'a str,
    /// The `Content-Type` the function will see (empty if none).
    pub content_type: &'a [u8],
}

/// The authenticated bytes of a forwarded request.
pub fn signing_message(
    sender: &str,
    receiver: &str,
    req: RequestParts<'_>,
    timestamp_ms: u64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(160 + sender.len() + receiver.len() + req.path.len());
    m.extend_from_slice(b"dfaas-forward-v3\0");
    let ts = timestamp_ms.to_string();
    for part in [
        sender.as_bytes(),
        receiver.as_bytes(),
        req.method.as_bytes(),
        req.path.as_bytes(),
        req.content_type,
        ts.as_bytes(),
        nonce.as_bytes(),
    ] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m.extend_from_slice(&Sha256::digest(body));
    m
}

fn mac_tag(key: &PairKey, message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The four headers `(name, value)` that authenticate a forward, and the
/// [`Claim`] its answer must be bound to.
pub fn sign(
    credential: Credential<'_>,
    sender: &str,
    receiver: &str,
    req: RequestParts<'_>,
    body: &[u8],
) -> ([(&'static str, String); 4], Claim) {
    let ts = now_ms();
    let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
    let message = signing_message(sender, receiver, req, ts, &nonce, body);
    let (proof, mac) = match credential {
        Credential::Signature(key) => ((H_SIGNATURE, B64.encode(key.sign(&message).to_bytes())), false),
        Credential::Mac(key) => ((H_MAC, B64.encode(mac_tag(key, &message))), true),
    };
    let claim = Claim { from: sender.to_string(), timestamp_ms: ts, nonce: nonce.clone(), mac };
    ([(H_FROM, sender.to_string()), (H_TIMESTAMP, ts.to_string()), (H_NONCE, nonce), proof], claim)
}

/// Header with the base64 HMAC-SHA256 tag of an answer under the pair key.
pub const H_ANSWER_MAC: &str = "x-dfaas-answer-mac";
/// Header with the base64 Ed25519 signature of an answer by the responder.
pub const H_ANSWER_SIGNATURE: &str = "x-dfaas-answer-signature";

/// A forwarded request as its headers present it: what its answer is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The node that says it sent it.
    pub from: String,
    pub timestamp_ms: u64,
    pub nonce: String,
    /// Proven with a MAC (the answer then is too, when the pair key exists).
    pub mac: bool,
}

impl Claim {
    /// The claim of a request's forwarding headers, if it has them all.
    pub fn of(headers: &HeaderMap) -> Option<Claim> {
        let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
        Some(Claim {
            from: get(H_FROM)?.to_string(),
            timestamp_ms: get(H_TIMESTAMP)?.trim().parse().ok()?,
            nonce: get(H_NONCE)?.chars().take(64).collect(),
            mac: headers.contains_key(H_MAC),
        })
    }
}

/// What an answer's proof covers: the request it answers (sender, receiver,
/// timestamp, nonce), its status, the headers a user acts on and its body.
#[derive(Debug, Clone, Copy)]
pub struct AnswerParts<'a> {
    pub status: u16,
    pub content_type: &'a [u8],
    pub served_by: &'a [u8],
    pub reject_reason: &'a [u8],
    pub body: &'a [u8],
}

/// The authenticated bytes of an answer from `responder` to `claim`.
pub fn answer_message(responder: &str, claim: &Claim, a: AnswerParts<'_>) -> Vec<u8> {
    let mut m = Vec::with_capacity(192);
    m.extend_from_slice(b"dfaas-answer-v1\0");
    let (ts, status) = (claim.timestamp_ms.to_string(), a.status.to_string());
    for part in [
        responder.as_bytes(),
        claim.from.as_bytes(),
        ts.as_bytes(),
        claim.nonce.as_bytes(),
        status.as_bytes(),
        a.content_type,
        a.served_by,
        a.reject_reason,
    ] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m.extend_from_slice(&Sha256::digest(a.body));
    m
}

/// Why an answer from a peer was not believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnswerFailure {
    #[error("the answer carries no proof")]
    Missing,
    #[error("the answer's proof does not verify")]
    Bad,
}

/// Whether a request claims to be forwarded (carries any of the headers).
pub fn claims_forwarded(headers: &HeaderMap) -> bool {
    [H_FROM, H_TIMESTAMP, H_NONCE, H_SIGNATURE, H_MAC].iter().any(|h| headers.contains_key(*h))
}

/// What the verifier knows of a member.
#[derive(Debug)]
struct Known {
    public: VerifyingKey,
    pair: Option<PairKey>,
}

/// Checks forwarded requests addressed to this node.
#[derive(Debug)]
pub struct Verifier {
    me: String,
    members: HashMap<String, Known>,
    window_ms: u64,
    seen: Mutex<ReplayCache>,
}

/// Proofs seen within the horizon (HMAC tags, SHA-256 of signatures).
#[derive(Debug)]
struct ReplayCache {
    set: HashSet<[u8; 32]>,
    order: VecDeque<(u64, [u8; 32])>,
    capacity: usize,
}

impl Default for ReplayCache {
    fn default() -> Self {
        Self::with_capacity(REPLAY_CAPACITY)
    }
}

/// What the cache says of a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Fresh,
    Replay,
    /// Full of proofs within their horizon: refused, nothing forgotten.
    Full,
}

impl ReplayCache {
    fn with_capacity(capacity: usize) -> Self {
        Self { set: HashSet::new(), order: VecDeque::new(), capacity }
    }

    fn pop_expired(&mut self, now: u64, horizon: u64, mut budget: usize) {
        while budget > 0
            && let Some((t, s)) = self.order.front().copied()
            && now.saturating_sub(t) > horizon
        {
            budget -= 1;
            self.order.pop_front();
            self.set.remove(&s);
        }
    }

    /// Inserts unless present; forgets entries older than `horizon`, at
    /// most 64 per call so that no request pays for a long quiet period
    /// (an expired entry left a little longer is harmless: its timestamp
    /// is stale, so it cannot match a request that passed the freshness
    /// check). Full of unexpired proofs: [`Seen::Full`].
    fn insert(&mut self, proof: [u8; 32], now: u64, horizon: u64) -> Seen {
        self.pop_expired(now, horizon, 64);
        if self.set.contains(&proof) {
            return Seen::Replay;
        }
        if self.order.len() >= self.capacity {
            self.pop_expired(now, horizon, usize::MAX);
            if self.order.len() >= self.capacity {
                return Seen::Full;
            }
        }
        self.set.insert(proof);
        self.order.push_back((now, proof));
        Seen::Fresh
    }
}

impl Verifier {
    /// A verifier for node `me` (with its key, for the pair keys) and the
    /// members' public keys.
    pub fn new(me: String, key: &SigningKey, members: HashMap<String, VerifyingKey>, window_s: f64) -> Verifier {
        let members = members
            .into_iter()
            .map(|(id, public)| {
                let pair = PairKey::derive(&me, key, &id, &public);
                (id, Known { public, pair })
            })
            .collect();
        Verifier { me, members, window_ms: (window_s * 1000.0) as u64, seen: Mutex::new(ReplayCache::default()) }
    }

    /// The key shared with member `id`, for forwarding to it.
    pub fn pair_key(&self, id: &str) -> Option<&PairKey> {
        self.members.get(id).and_then(|k| k.pair.as_ref())
    }

    /// The header proving this node's answer to `claim`: a MAC when the
    /// request was proven with one and the sender is a member, else an
    /// Ed25519 signature with this node's key (also for refusals of
    /// requests that did not verify).
    pub fn answer_proof(&self, key: &SigningKey, claim: &Claim, a: AnswerParts<'_>) -> (&'static str, String) {
        let message = answer_message(&self.me, claim, a);
        match self.pair_key(&claim.from).filter(|_| claim.mac) {
            Some(k) => (H_ANSWER_MAC, B64.encode(mac_tag(k, &message))),
            None => (H_ANSWER_SIGNATURE, B64.encode(key.sign(&message).to_bytes())),
        }
    }

    /// Checks that `headers` prove an answer of member `peer` to `claim`.
    pub fn verify_answer(
        &self,
        peer: &str,
        claim: &Claim,
        headers: &HeaderMap,
        a: AnswerParts<'_>,
    ) -> Result<(), AnswerFailure> {
        let known = self.members.get(peer).ok_or(AnswerFailure::Bad)?;
        let decode = |h: &str| headers.get(h).and_then(|v| B64.decode(v.as_bytes()).ok());
        let message = answer_message(peer, claim, a);
        if let Some(tag) = decode(H_ANSWER_MAC) {
            let key = known.pair.as_ref().ok_or(AnswerFailure::Bad)?;
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
            mac.update(&message);
            return mac.verify_slice(&tag).map_err(|_| AnswerFailure::Bad);
        }
        if let Some(sig) = decode(H_ANSWER_SIGNATURE) {
            let sig: [u8; 64] = sig.try_into().map_err(|_| AnswerFailure::Bad)?;
            return known.public.verify_strict(&message, &Signature::from_bytes(&sig)).map_err(|_| AnswerFailure::Bad);
        }
        Err(AnswerFailure::Missing)
    }

    /// Verifies a forwarded request; returns the sender's id.
    pub fn verify(&self, headers: &HeaderMap, req: RequestParts<'_>, body: &[u8]) -> Result<String, AuthFailure> {
        let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).ok_or(AuthFailure::Malformed);
        let from = get(H_FROM)?;
        let ts: u64 = get(H_TIMESTAMP)?.trim().parse().map_err(|_| AuthFailure::Malformed)?;
        let nonce = get(H_NONCE)?;
        if nonce.len() > 64 {
            return Err(AuthFailure::Malformed);
        }
        let decode = |h: &str| B64.decode(get(h)?.trim()).map_err(|_| AuthFailure::Malformed);
        let proof = match (headers.contains_key(H_MAC), headers.contains_key(H_SIGNATURE)) {
            (true, false) => Proof::Mac(decode(H_MAC)?.try_into().map_err(|_| AuthFailure::Malformed)?),
            (false, true) => Proof::Signature(decode(H_SIGNATURE)?.try_into().map_err(|_| AuthFailure::Malformed)?),
            _ => return Err(AuthFailure::Malformed),
        };
        let known = self.members.get(from).ok_or(AuthFailure::UnknownSender)?;
        let now = now_ms();
        if now.abs_diff(ts) > self.window_ms {
            return Err(AuthFailure::Stale);
        }
        let message = signing_message(from, &self.me, req, ts, nonce, body);
        let seen_key = match proof {
            Proof::Mac(tag) => {
                let key = known.pair.as_ref().ok_or(AuthFailure::BadSignature)?;
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
                mac.update(&message);
                // Constant-time comparison.
                mac.verify_slice(&tag).map_err(|_| AuthFailure::BadSignature)?;
                tag
            }
            Proof::Signature(bytes) => {
                known
                    .public
                    .verify_strict(&message, &Signature::from_bytes(&bytes))
                    .map_err(|_| AuthFailure::BadSignature)?;
                Sha256::digest(bytes).into()
            }
        };
        // Remember for two windows: a timestamp may be up to one window ahead.
        match self.seen.lock().unwrap_or_else(|p| p.into_inner()).insert(seen_key, now, 2 * self.window_ms) {
            Seen::Fresh => Ok(from.to_string()),
            Seen::Replay => Err(AuthFailure::Replay),
            Seen::Full => Err(AuthFailure::Saturated),
        }
    }
}

enum Proof {
    Mac([u8; 32]),
    Signature([u8; 64]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    struct Setup {
        a: SigningKey,
        pair: PairKey,
        v: Verifier,
    }

    fn setup() -> Setup {
        let a = SigningKey::from_bytes(&[7; 32]);
        let b = SigningKey::from_bytes(&[8; 32]);
        let v = Verifier::new("b".into(), &b, HashMap::from([("a".to_string(), a.verifying_key())]), 10.0);
        let pair = PairKey::derive("a", &a, "b", &b.verifying_key()).unwrap();
        assert_eq!(v.pair_key("a"), Some(&pair));
        Setup { a, pair, v }
    }

    fn headers(h: [(&'static str, String); 4]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in h {
            m.insert(n, HeaderValue::from_str(&v).unwrap());
        }
        m
    }

    fn req<'a>(method: &'a str, path: &'a str) -> RequestParts<'a> {
        RequestParts { method, path, content_type: b"" }
    }

    fn both(s: &Setup) -> [Credential<'_>; 2] {
        [Credential::Signature(&s.a), Credential::Mac(&s.pair)]
    }

    #[test]
    fn good_then_replay() {
        let s = setup();
        for c in both(&s) {
            let h = headers(sign(c, "a", "b", req("POST", "/function/f"), b"x").0);
            assert_eq!(s.v.verify(&h, req("POST", "/function/f"), b"x"), Ok("a".into()), "{c:?}");
            assert_eq!(s.v.verify(&h, req("POST", "/function/f"), b"x"), Err(AuthFailure::Replay), "{c:?}");
        }
    }

    #[test]
    fn replay_cache_forgets_old_entries_a_bounded_number_at_a_time() {
        let mut c = ReplayCache::default();
        for i in 0..200u8 {
            let mut s = [0u8; 32];
            s[0] = i;
            assert_eq!(c.insert(s, 0, 10), Seen::Fresh);
        }
        assert_eq!(c.insert([0u8; 32], 5, 10), Seen::Replay, "seen within the horizon");
        assert_eq!(c.insert([255u8; 32], 100, 10), Seen::Fresh);
        assert_eq!(c.order.len(), 200 - 64 + 1);
        for k in 0..3u8 {
            assert_eq!(c.insert([k; 32].map(|b| b ^ 0xAA), 100, 10), Seen::Fresh);
        }
        assert_eq!(c.order.len(), 4);
    }

    /// Full of proofs within their horizon, the cache refuses new ones
    /// rather than forgetting one a replay could then reuse; once the
    /// oldest expire, it accepts again. Memory never exceeds the capacity.
    #[test]
    fn a_full_cache_refuses_instead_of_forgetting() {
        let mut c = ReplayCache::with_capacity(4);
        let p = |i: u8| [i; 32];
        for i in 0..4 {
            assert_eq!(c.insert(p(i), i as u64, 10), Seen::Fresh);
        }
        assert_eq!(c.insert(p(9), 5, 10), Seen::Full);
        assert_eq!(c.insert(p(0), 5, 10), Seen::Replay, "the oldest proof is still remembered");
        assert_eq!(c.order.len(), 4);
        assert_eq!(c.insert(p(9), 11, 10), Seen::Fresh, "proof 0 expired at 11");
        assert_eq!(c.insert(p(0), 11, 10), Seen::Full, "proofs 1–3 and 9 are all within the horizon");
        assert_eq!(
            c.insert(p(0), 12, 10),
            Seen::Fresh,
            "proof 1 expired: an expired proof's timestamp is stale anyway"
        );
        assert!(c.order.len() <= 4 && c.set.len() <= 4);
    }

    #[test]
    fn tampering_and_strangers_fail() {
        let s = setup();
        for c in both(&s) {
            let h = headers(sign(c, "a", "b", req("POST", "/function/f"), b"x").0);
            assert_eq!(s.v.verify(&h, req("POST", "/function/f"), b"y"), Err(AuthFailure::BadSignature));
            assert_eq!(s.v.verify(&h, req("POST", "/function/g"), b"x"), Err(AuthFailure::BadSignature));
            let other = headers(sign(c, "a", "c", req("POST", "/function/f"), b"x").0);
            assert_eq!(s.v.verify(&other, req("POST", "/function/f"), b"x"), Err(AuthFailure::BadSignature));
            let stranger = headers(sign(c, "z", "b", req("POST", "/function/f"), b"x").0);
            assert_eq!(s.v.verify(&stranger, req("POST", "/function/f"), b"x"), Err(AuthFailure::UnknownSender));
            let mut stale = h.clone();
            stale.insert(H_TIMESTAMP, HeaderValue::from_static("1000"));
            assert_eq!(s.v.verify(&stale, req("POST", "/function/f"), b"x"), Err(AuthFailure::Stale));
            let mut junk = h.clone();
            for p in [H_SIGNATURE, H_MAC] {
                if junk.contains_key(p) {
                    junk.insert(p, HeaderValue::from_static("!!"));
                }
            }
            assert_eq!(s.v.verify(&junk, req("POST", "/function/f"), b"x"), Err(AuthFailure::Malformed));
        }
    }

    #[test]
    fn a_mac_from_a_non_holder_of_the_pair_key_fails() {
        let s = setup();
        // An impostor claiming to be `a`, with its own key: it derives another pair key.
        let z = SigningKey::from_bytes(&[9; 32]);
        let b_public = SigningKey::from_bytes(&[8; 32]).verifying_key();
        let forged = PairKey::derive("a", &z, "b", &b_public).unwrap();
        let h = headers(sign(Credential::Mac(&forged), "a", "b", req("POST", "/function/f"), b"x").0);
        assert_eq!(s.v.verify(&h, req("POST", "/function/f"), b"x"), Err(AuthFailure::BadSignature));
        // Both proofs at once is ambiguous: refused.
        let mut h = headers(sign(Credential::Mac(&s.pair), "a", "b", req("POST", "/function/f"), b"x").0);
        h.insert(H_SIGNATURE, HeaderValue::from_static("AAAA"));
        assert_eq!(s.v.verify(&h, req("POST", "/function/f"), b"x"), Err(AuthFailure::Malformed));
    }
}
