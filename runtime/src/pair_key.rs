//! Per-pair forwarding keys: a symmetric key shared by two members, derived
//! without any exchange from their Ed25519 node keys.
//!
//! Each side converts its Ed25519 secret to an X25519 scalar and the peer's
//! Ed25519 public key to its Montgomery form, computes the X25519 shared
//! secret (equal on both sides), and expands it with HKDF-SHA256 bound to
//! both node ids and both public keys. Only the two holders of the secret
//! keys can compute it, so an HMAC under it authenticates the sender as
//! strongly as a signature does for the receiver, at a small fraction of the
//! cost of Ed25519 sign + verify. Using one key pair for signing and for
//! static Diffie–Hellman is analysed in Thormarker, "On using the same key
//! pair for Ed25519 and an X25519 based KEM" (ePrint 2021/509).

use ed25519_dalek::{SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::Sha256;

/// A 32-byte key shared by two members.
#[derive(Clone, PartialEq, Eq)]
pub struct PairKey([u8; 32]);

impl std::fmt::Debug for PairKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairKey(..)")
    }
}

impl PairKey {
    /// The key `me` shares with `peer`; both sides get the same bytes.
    /// `None` if the shared secret is degenerate (a low-order peer key).
    pub fn derive(me_id: &str, me: &SigningKey, peer_id: &str, peer: &VerifyingKey) -> Option<PairKey> {
        let shared = peer.to_montgomery().mul_clamped(me.to_scalar_bytes());
        if shared.as_bytes().iter().all(|&b| b == 0) {
            return None;
        }
        // Order the two parties so that both derive the same info string.
        let mine = (me_id.as_bytes(), me.verifying_key().to_bytes());
        let theirs = (peer_id.as_bytes(), peer.to_bytes());
        let (a, b) = if mine <= theirs { (mine, theirs) } else { (theirs, mine) };
        let mut info = Vec::with_capacity(96 + a.0.len() + b.0.len());
        for (id, key) in [a, b] {
            info.extend_from_slice(&(id.len() as u32).to_be_bytes());
            info.extend_from_slice(id);
            info.extend_from_slice(&key);
        }
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"dfaas-forward-pair-key-v1"), shared.as_bytes()).expand(&info, &mut out).ok()?;
        Some(PairKey(out))
    }

    /// The raw key bytes (the HMAC key).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_derive_the_same_key_and_others_differ() {
        let a = SigningKey::from_bytes(&[1; 32]);
        let b = SigningKey::from_bytes(&[2; 32]);
        let c = SigningKey::from_bytes(&[3; 32]);
        let ab = PairKey::derive("a", &a, "b", &b.verifying_key()).unwrap();
        let ba = PairKey::derive("b", &b, "a", &a.verifying_key()).unwrap();
        assert_eq!(ab, ba);
        let ac = PairKey::derive("a", &a, "c", &c.verifying_key()).unwrap();
        assert_ne!(ab, ac);
        // c claiming to be a cannot get a's key with b: it lacks a's secret.
        let cb = PairKey::derive("a", &c, "b", &b.verifying_key()).unwrap();
        assert_ne!(cb, ab);
        // Same keys, other ids: another key (ids are bound in).
        let ab2 = PairKey::derive("x", &a, "b", &b.verifying_key()).unwrap();
        assert_ne!(ab, ab2);
    }
}
