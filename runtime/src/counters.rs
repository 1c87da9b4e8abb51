//! Per-function counters: cumulative (for `/metrics`) and per slot (swapped
//! to zero by [`FunctionCounters::take_slot`], for the agent).

use std::sync::atomic::{AtomicU64, Ordering};

use dfaas_env::SlotOutcome;

/// Upper bounds of the latency histogram buckets, seconds.
pub const LATENCY_BUCKETS_S: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Scalar events of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// A request from this node's users.
    UserArrivals,
    /// A verified forwarded request from a peer.
    PeerArrivals,
    /// An own request the weights sent to local execution.
    Local,
    /// An own request rejected by the weights (`policy`).
    PolicyRejects,
    /// An own request (chosen local) rejected by admission (`capacity`).
    LocalCapacityRejects,
    /// A peer's request rejected by admission (`capacity`).
    ReceivedCapacityRejects,
    /// A run on this node that answered.
    Processed,
    /// A run on this node that failed (502), timeouts included.
    Failures,
    /// Runs stopped at the function timeout (also counted in `Failures`).
    FunctionTimeouts,
    /// Requests answered 504 at the gateway's request deadline.
    RequestTimeouts,
}

const N_COUNTS: usize = 10;

/// Per-peer events of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerCount {
    /// An own request the weights sent to this peer.
    Forwarded,
    /// The peer answered 503 and the request ran locally instead.
    FallbackRejected,
    /// The peer could not be reached and the request ran locally instead.
    FallbackUnreachable,
    /// The peer answered 503 and there was no local room (`peer-rejected`).
    RejectedByPeer,
    /// The peer could not be reached and there was no local room (`peer-unreachable`).
    Unreachable,
    /// Not sent: the peer's breaker was open or its in-flight cap full (then
    /// run locally or rejected, counted as after an unreachable peer).
    Shed,
    /// Sent, but no answer came in time: answered 504 `peer-timeout`, never
    /// run locally (the peer may have run it).
    TimedOut,
    /// The answer failed authentication: answered 502 `peer-unauthenticated`,
    /// never run locally.
    BadAnswer,
}

const N_PEER: usize = 8;

#[derive(Debug)]
struct Counts {
    scalar: [AtomicU64; N_COUNTS],
    /// `peer * N_PEER + kind`.
    peer: Vec<AtomicU64>,
    buckets: Vec<AtomicU64>,
    latency_count: AtomicU64,
    latency_sum_ns: AtomicU64,
}

impl Counts {
    fn new(peers: usize) -> Counts {
        Counts {
            scalar: std::array::from_fn(|_| AtomicU64::new(0)),
            peer: (0..peers * N_PEER).map(|_| AtomicU64::new(0)).collect(),
            buckets: (0..=LATENCY_BUCKETS_S.len()).map(|_| AtomicU64::new(0)).collect(),
            latency_count: AtomicU64::new(0),
            latency_sum_ns: AtomicU64::new(0),
        }
    }
}

/// A snapshot of counts (cumulative or one slot).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CountsSnapshot {
    scalar: [u64; N_COUNTS],
    peer: Vec<[u64; N_PEER]>,
    /// Non-cumulative bucket counts; the last is +Inf.
    pub buckets: Vec<u64>,
    /// Requests in the latency histogram.
    pub latency_count: u64,
    /// Their total latency, seconds.
    pub latency_sum_s: f64,
}

impl CountsSnapshot {
    /// One scalar count.
    pub fn get(&self, c: Count) -> u64 {
        self.scalar[c as usize]
    }

    /// One per-peer count.
    pub fn peer(&self, peer: usize, c: PeerCount) -> u64 {
        self.peer.get(peer).map_or(0, |p| p[c as usize])
    }

    /// Number of peers.
    pub fn peers(&self) -> usize {
        self.peer.len()
    }
}

/// The counters of one function.
#[derive(Debug)]
pub struct FunctionCounters {
    total: Counts,
    slot: Counts,
    peers: usize,
}

fn sat32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

impl FunctionCounters {
    /// Counters for a node with `peers` peers.
    pub fn new(peers: usize) -> FunctionCounters {
        FunctionCounters { total: Counts::new(peers), slot: Counts::new(peers), peers }
    }

    /// Counts one event.
    pub fn add(&self, c: Count) {
        self.total.scalar[c as usize].fetch_add(1, Ordering::Relaxed);
        self.slot.scalar[c as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one per-peer event.
    pub fn add_peer(&self, peer: usize, c: PeerCount) {
        if peer < self.peers {
            let i = peer * N_PEER + c as usize;
            self.total.peer[i].fetch_add(1, Ordering::Relaxed);
            self.slot.peer[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records the latency of a served user request.
    pub fn observe_latency(&self, seconds: f64) {
        let b = LATENCY_BUCKETS_S.iter().position(|ub| seconds <= *ub).unwrap_or(LATENCY_BUCKETS_S.len());
        let ns = (seconds.max(0.0) * 1e9) as u64;
        for c in [&self.total, &self.slot] {
            c.buckets[b].fetch_add(1, Ordering::Relaxed);
            c.latency_count.fetch_add(1, Ordering::Relaxed);
            c.latency_sum_ns.fetch_add(ns, Ordering::Relaxed);
        }
    }

    /// The cumulative counts.
    pub fn totals(&self) -> CountsSnapshot {
        snapshot(&self.total, self.peers, |a| a.load(Ordering::Relaxed))
    }

    /// The counts since the last call (each counter swapped to zero, so no
    /// event is lost or counted twice).
    pub fn take_slot_counts(&self) -> CountsSnapshot {
        snapshot(&self.slot, self.peers, |a| a.swap(0, Ordering::AcqRel))
    }

    /// The slot that ended as a [`SlotOutcome`] (peers in configured order).
    ///
    /// `input = local + Σ forwarded + rejected`; a forward that fell back to
    /// local execution stays counted as forwarded; `forward_rejects` are
    /// forwards answered `peer-rejected` or `peer-unreachable`; `forward_lost`
    /// forwards that brought no (authentic) answer (`peer-timeout`,
    /// `peer-unauthenticated`); `processed`
    /// counts runs on this node that answered (own, fallback and received);
    /// `response_time_s` is the mean latency of served user requests.
    pub fn take_slot(&self) -> SlotOutcome {
        let s = self.take_slot_counts();
        let per_peer = |f: &dyn Fn(usize) -> u64| (0..self.peers).map(|p| sat32(f(p))).collect::<Vec<u32>>();
        SlotOutcome {
            input: sat32(s.get(Count::UserArrivals)),
            local: sat32(s.get(Count::Local)),
            forwarded: per_peer(&|p| s.peer(p, PeerCount::Forwarded)),
            rejected: sat32(s.get(Count::PolicyRejects)),
            local_rejects: sat32(s.get(Count::LocalCapacityRejects)),
            forward_rejects: per_peer(&|p| s.peer(p, PeerCount::RejectedByPeer) + s.peer(p, PeerCount::Unreachable)),
            forward_lost: sat32(
                (0..self.peers).map(|p| s.peer(p, PeerCount::TimedOut) + s.peer(p, PeerCount::BadAnswer)).sum(),
            ),
            received: sat32(s.get(Count::PeerArrivals)),
            received_rejects: sat32(s.get(Count::ReceivedCapacityRejects)),
            processed: sat32(s.get(Count::Processed)),
            queue_len: None,
            response_time_s: (s.latency_count > 0).then(|| s.latency_sum_s / s.latency_count as f64),
            network_delay_s: None,
            reward: 0.0,
        }
    }
}

fn snapshot(c: &Counts, peers: usize, read: impl Fn(&AtomicU64) -> u64) -> CountsSnapshot {
    let scalar: [u64; N_COUNTS] = std::array::from_fn(|i| read(&c.scalar[i]));
    let peer = (0..peers).map(|p| std::array::from_fn(|k| read(&c.peer[p * N_PEER + k]))).collect();
    CountsSnapshot {
        scalar,
        peer,
        buckets: c.buckets.iter().map(&read).collect(),
        latency_count: read(&c.latency_count),
        latency_sum_s: read(&c.latency_sum_ns) as f64 * 1e-9,
    }
}

/// Gateway-wide counters (not tied to one function).
#[derive(Debug, Default)]
pub struct NodeCounters {
    /// Forwarded requests refused, by [`crate::auth::AuthFailure`] index.
    pub auth_rejects: [AtomicU64; crate::auth::AuthFailure::COUNT],
    /// 400 answers (malformed paths, bodies, JSON).
    pub bad_requests: AtomicU64,
    /// 404 answers.
    pub not_found: AtomicU64,
    /// 413 answers.
    pub too_large: AtomicU64,
}
