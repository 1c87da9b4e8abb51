//! Seed handling: a master seed per environment, an episode seed per reset,
//! a build seed for node and link parameters, and fixed evaluation lists.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

/// The random generator used everywhere in the simulator (portable, seedable).
pub type SimRng = Pcg64;

/// A generator seeded from a `u64` seed.
pub fn rng(seed: u64) -> SimRng {
    Pcg64::seed_from_u64(seed)
}

/// A generator for a named sub-stream of a seed, so that adding draws in one
/// part of the simulator does not shift the numbers of another.
pub fn substream(seed: u64, stream: u64) -> SimRng {
    Pcg64::seed_from_u64(splitmix(seed ^ splitmix(stream.wrapping_add(0x9E37_79B9_7F4A_7C15))))
}

/// The SplitMix64 finaliser, used to decorrelate seeds.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Draws episode seeds (in `[0, 2^32 − 1)`, as marl-dfaas does) from a master seed.
#[derive(Debug, Clone)]
pub struct SeedSequence {
    rng: SimRng,
}

impl SeedSequence {
    /// A sequence rooted at `master`.
    pub fn new(master: u64) -> Self {
        Self { rng: substream(master, 1) }
    }

    /// The next episode seed.
    pub fn next_seed(&mut self) -> u64 {
        self.rng.random_range(0..u32::MAX as u64)
    }
}

/// The fixed list of `n` evaluation episode seeds derived from `master`:
/// every policy is judged on exactly these episodes.
pub fn evaluation_seeds(master: u64, n: usize) -> Vec<u64> {
    let mut s = SeedSequence { rng: substream(master, 2) };
    (0..n).map(|_| s.next_seed()).collect()
}

/// The ten evaluation episode seeds hard-coded in marl-dfaas (`baseline.py`).
pub const MARL_DFAAS_EVAL_SEEDS: [u64; 10] = [
    1114399290, 586248983, 1296339178, 980462265, 2807237418, 3153669498, 1573623524, 1657272726, 409898216, 2730495449,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_master_same_sequence() {
        let a: Vec<u64> = {
            let mut s = SeedSequence::new(42);
            (0..5).map(|_| s.next_seed()).collect()
        };
        let b: Vec<u64> = {
            let mut s = SeedSequence::new(42);
            (0..5).map(|_| s.next_seed()).collect()
        };
        assert_eq!(a, b);
        assert!(a.iter().all(|&x| x < u32::MAX as u64));
        assert_ne!(evaluation_seeds(42, 3), evaluation_seeds(43, 3));
        assert_eq!(evaluation_seeds(7, 4), evaluation_seeds(7, 4));
    }
}
