//! Per-function target weights: `[local, peer_1..peer_k, reject]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Largest accepted single weight (keeps SWRR sums far from overflow).
pub const MAX_WEIGHT: u32 = 1_000_000;

/// Integer weights of one function's targets, as in the config file and the
/// `PUT /control/weights/<function>` body. Peers not listed get 0.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Run on this node.
    #[serde(default)]
    pub local: u32,
    /// Forward to each peer, by node id.
    #[serde(default)]
    pub peers: BTreeMap<String, u32>,
    /// Reject on purpose (`X-Dfaas-Reject-Reason: policy`).
    #[serde(default)]
    pub reject: u32,
}

/// Why a set of weights cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// A peer id that is not a configured member.
    #[error("unknown peer `{0}` in weights")]
    UnknownPeer(String),
    /// Every weight is zero.
    #[error("weights sum to zero")]
    AllZero,
    /// A weight above [`MAX_WEIGHT`].
    #[error("weight {0} above the maximum {MAX_WEIGHT}")]
    TooLarge(u32),
    /// A fraction that is negative or not finite.
    #[error("fraction {0} is not a finite non-negative number")]
    BadFraction(f64),
    /// A fractions vector that is not `[local, peers.., reject]`.
    #[error("expected {expected} fractions ([local, peers.., reject]), got {got}")]
    WrongLength { expected: usize, got: usize },
    /// No function of that name.
    #[error("unknown function `{0}`")]
    UnknownFunction(String),
}

impl Weights {
    /// All traffic local.
    pub fn all_local() -> Self {
        Weights { local: 1, peers: BTreeMap::new(), reject: 0 }
    }

    /// Weights from decision fractions `[local, peers.., reject]` (peers in
    /// `peer_ids` order), scaled to integers out of `scale` (e.g. 1000).
    pub fn from_fractions(fractions: &[f64], peer_ids: &[String], scale: u32) -> Result<Self, WeightsError> {
        let scale = scale.clamp(1, MAX_WEIGHT);
        let to_int = |f: f64| -> Result<u32, WeightsError> {
            if !f.is_finite() || f < 0.0 {
                return Err(WeightsError::BadFraction(f));
            }
            Ok((f * f64::from(scale)).round().min(f64::from(MAX_WEIGHT)) as u32)
        };
        let k = peer_ids.len();
        if fractions.len() != k + 2 {
            return Err(WeightsError::WrongLength { expected: k + 2, got: fractions.len() });
        }
        let mut peers = BTreeMap::new();
        for (id, f) in peer_ids.iter().zip(&fractions[1..=k]) {
            peers.insert(id.clone(), to_int(*f)?);
        }
        let w = Weights { local: to_int(fractions[0])?, peers, reject: to_int(fractions[k + 1])? };
        if w.local == 0 && w.reject == 0 && w.peers.values().all(|v| *v == 0) {
            return Err(WeightsError::AllZero);
        }
        Ok(w)
    }

    /// The vector `[local, peer_1..peer_k, reject]` in `peer_ids` order,
    /// validated (known peers, not all zero, each at most [`MAX_WEIGHT`]).
    pub fn to_vector(&self, peer_ids: &[String]) -> Result<Vec<u32>, WeightsError> {
        if let Some(unknown) = self.peers.keys().find(|id| !peer_ids.contains(id)) {
            return Err(WeightsError::UnknownPeer(unknown.clone()));
        }
        let mut v = Vec::with_capacity(peer_ids.len() + 2);
        v.push(self.local);
        v.extend(peer_ids.iter().map(|id| self.peers.get(id).copied().unwrap_or(0)));
        v.push(self.reject);
        if let Some(big) = v.iter().find(|w| **w > MAX_WEIGHT) {
            return Err(WeightsError::TooLarge(*big));
        }
        if v.iter().all(|w| *w == 0) {
            return Err(WeightsError::AllZero);
        }
        Ok(v)
    }
}
