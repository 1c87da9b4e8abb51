//! Smooth weighted round-robin (nginx's algorithm) over a function's targets
//! `[local, peer_1..peer_k, reject]`, with weights swapped atomically.
//!
//! Each pick adds every target's weight to its running score, chooses the
//! highest score and subtracts the total from it: over any window the counts
//! differ from the weights' shares by less than one request per target.

use std::sync::Arc;
use std::sync::Mutex;

use arc_swap::ArcSwap;

use crate::weights::Weights;

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Run on this node.
    Local,
    /// Forward to the peer at this index (configured member order).
    Peer(usize),
    /// Reject on purpose.
    Reject,
}

/// A published set of weights.
#[derive(Debug)]
pub struct WeightSet {
    /// As given (by peer id).
    pub weights: Weights,
    /// `[local, peers.., reject]`.
    pub vector: Vec<u32>,
    generation: u64,
}

/// The per-function chooser.
#[derive(Debug)]
pub struct Picker {
    published: ArcSwap<WeightSet>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    generation: u64,
    scores: Vec<i64>,
}

impl Picker {
    /// A picker with initial weights (`vector` already validated).
    pub fn new(weights: Weights, vector: Vec<u32>) -> Picker {
        Picker {
            published: ArcSwap::from_pointee(WeightSet { weights, vector, generation: 1 }),
            state: Mutex::new(State::default()),
        }
    }

    /// Replaces the weights; later picks use them, picks under way finish
    /// with the old ones.
    pub fn set(&self, weights: Weights, vector: Vec<u32>) {
        let generation = self.published.load().generation + 1;
        self.published.store(Arc::new(WeightSet { weights, vector, generation }));
    }

    /// The weights now in force.
    pub fn current(&self) -> Arc<WeightSet> {
        self.published.load_full()
    }

    /// Chooses the next target.
    pub fn pick(&self) -> Target {
        let set = self.published.load();
        let w = &set.vector;
        if w.is_empty() {
            return Target::Local;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.generation != set.generation || st.scores.len() != w.len() {
            st.generation = set.generation;
            st.scores = vec![0; w.len()];
        }
        let total: i64 = w.iter().map(|&x| i64::from(x)).sum();
        let mut best = 0;
        for (s, &x) in st.scores.iter_mut().zip(w.iter()) {
            *s += i64::from(x);
        }
        for i in 1..w.len() {
            if st.scores[i] > st.scores[best] {
                best = i;
            }
        }
        st.scores[best] -= total;
        let last = w.len().saturating_sub(1);
        match best {
            0 => Target::Local,
            i if i == last => Target::Reject,
            i => Target::Peer(i - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_weights_smoothly() {
        let p = Picker::new(Weights::default(), vec![5, 1, 1, 0]);
        let picks: Vec<Target> = (0..7).map(|_| p.pick()).collect();
        assert_eq!(picks.iter().filter(|t| **t == Target::Local).count(), 5);
        assert_eq!(picks.iter().filter(|t| **t == Target::Peer(0)).count(), 1);
        assert_eq!(picks.iter().filter(|t| **t == Target::Peer(1)).count(), 1);
        // nginx's sequence for {5,1,1}: a a b a c a a
        assert_eq!(picks[0], Target::Local);
        assert_eq!(picks[2], Target::Peer(0));
    }

    #[test]
    fn swap_applies_to_next_pick() {
        let p = Picker::new(Weights::default(), vec![1, 0, 0]);
        assert_eq!(p.pick(), Target::Local);
        p.set(Weights::default(), vec![0, 0, 3]);
        for _ in 0..10 {
            assert_eq!(p.pick(), Target::Reject);
        }
    }
}
