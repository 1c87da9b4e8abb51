//! What stands between this node and one peer: a cap on forwards in flight
//! and a circuit breaker, so a peer that hangs or fails costs at most
//! `max_in_flight` waiting requests and then none.
//!
//! The breaker opens after `failures` consecutive failed forwards (no
//! answer, connection lost, connect refused) and sheds every forward while
//! open. After the cool-down one probe goes through (half-open): its success
//! closes the breaker, its failure opens it again for twice as long (at most
//! [`MAX_COOLDOWN`]). A shed forward never reaches the peer, so the caller may
//! run it locally without risk of running it twice.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Longest time the breaker stays open between probes.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(30);

/// Limits on forwarding to each peer (`[forwarding]` in the node config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardingConfig {
    /// Forwards to one peer waiting for an answer at once; more are shed.
    #[serde(default = "d_in_flight")]
    pub max_in_flight_per_peer: u32,
    /// Consecutive failed forwards that open the breaker.
    #[serde(default = "d_failures")]
    pub breaker_failures: u32,
    /// First open period of the breaker, seconds (doubles on a failed probe).
    #[serde(default = "d_open")]
    pub breaker_open_s: f64,
    /// Added to a function's longest run to bound a forward's wait, seconds
    /// (the peer's queue wait and the network): the forward timeout is
    /// `min(timeouts.forward_s, longest run + margin_s)`.
    #[serde(default = "d_margin")]
    pub timeout_margin_s: f64,
}

fn d_in_flight() -> u32 {
    64
}
fn d_failures() -> u32 {
    5
}
fn d_open() -> f64 {
    2.0
}
fn d_margin() -> f64 {
    1.0
}

impl Default for ForwardingConfig {
    fn default() -> Self {
        ForwardingConfig {
            max_in_flight_per_peer: d_in_flight(),
            breaker_failures: d_failures(),
            breaker_open_s: d_open(),
            timeout_margin_s: d_margin(),
        }
    }
}

/// Why a forward was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// `max_in_flight_per_peer` forwards are already waiting.
    Busy,
    /// The breaker is open (or its one probe is under way).
    Open,
}

/// The breaker's state, as `/metrics` reports it (0 closed, 1 open, 2 half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant, cooldown: Duration },
    HalfOpen { probing: bool, cooldown: Duration },
}

/// The in-flight cap and breaker of one peer.
#[derive(Debug)]
pub struct PeerGuard {
    slots: Arc<Semaphore>,
    cap: usize,
    threshold: u32,
    base: Duration,
    state: Mutex<State>,
}

/// Leave to forward once; report how it went with [`Pass::finish`]. Dropped
/// unfinished (the request was cancelled), it counts as a failure.
#[derive(Debug)]
pub struct Pass {
    guard: Arc<PeerGuard>,
    _slot: OwnedSemaphorePermit,
    probe: bool,
    finished: bool,
}

impl Pass {
    /// Records the forward's result: `ok` when the peer answered.
    pub fn finish(mut self, ok: bool) {
        self.finished = true;
        self.guard.record(self.probe, ok, Instant::now());
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        if !self.finished {
            self.guard.record(self.probe, false, Instant::now());
        }
    }
}

impl PeerGuard {
    /// A closed breaker with room for `config.max_in_flight_per_peer` forwards.
    pub fn new(config: &ForwardingConfig) -> Arc<PeerGuard> {
        let cap = config.max_in_flight_per_peer.max(1) as usize;
        Arc::new(PeerGuard {
            slots: Arc::new(Semaphore::new(cap)),
            cap,
            threshold: config.breaker_failures.max(1),
            base: Duration::from_secs_f64(config.breaker_open_s.max(0.001)),
            state: Mutex::new(State::Closed { failures: 0 }),
        })
    }

    /// Leave to forward now, or why not.
    pub fn admit(self: &Arc<Self>, now: Instant) -> Result<Pass, Shed> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let probe = match &mut *state {
            State::Closed { .. } => false,
            State::Open { until, .. } if now < *until => return Err(Shed::Open),
            State::Open { cooldown, .. } => {
                *state = State::HalfOpen { probing: false, cooldown: *cooldown };
                true
            }
            State::HalfOpen { probing: true, .. } => return Err(Shed::Open),
            State::HalfOpen { .. } => true,
        };
        let slot = Arc::clone(&self.slots).try_acquire_owned().map_err(|_| Shed::Busy)?;
        if let State::HalfOpen { probing, .. } = &mut *state {
            *probing = true;
        }
        Ok(Pass { guard: Arc::clone(self), _slot: slot, probe, finished: false })
    }

    fn record(&self, probe: bool, ok: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *state {
            State::Closed { failures } if ok => *failures = 0,
            State::Closed { failures } => {
                *failures += 1;
                if *failures >= self.threshold {
                    *state = State::Open { until: now + self.base, cooldown: self.base };
                }
            }
            State::HalfOpen { cooldown, .. } if probe => {
                *state = if ok {
                    State::Closed { failures: 0 }
                } else {
                    let next = (*cooldown * 2).min(MAX_COOLDOWN);
                    State::Open { until: now + next, cooldown: next }
                };
            }
            // Forwards admitted before the breaker opened say nothing new.
            State::HalfOpen { .. } | State::Open { .. } => {}
        }
    }

    /// The breaker's state now.
    pub fn breaker(&self) -> BreakerState {
        match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Forwards waiting for an answer now.
    pub fn in_flight(&self) -> usize {
        self.cap - self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(cap: u32, failures: u32) -> Arc<PeerGuard> {
        PeerGuard::new(&ForwardingConfig {
            max_in_flight_per_peer: cap,
            breaker_failures: failures,
            breaker_open_s: 10.0,
            timeout_margin_s: 1.0,
        })
    }

    #[test]
    fn the_cap_sheds_beyond_max_in_flight_and_frees_on_finish() {
        let g = guard(2, 100);
        let now = Instant::now();
        let a = g.admit(now).unwrap();
        let b = g.admit(now).unwrap();
        assert_eq!(g.admit(now).unwrap_err(), Shed::Busy);
        assert_eq!(g.in_flight(), 2);
        a.finish(true);
        drop(b);
        assert_eq!(g.in_flight(), 0);
        assert!(g.admit(now).is_ok());
    }

    #[test]
    fn opens_after_consecutive_failures_probes_once_then_closes_or_backs_off() {
        let g = guard(10, 3);
        let t0 = Instant::now();
        for _ in 0..2 {
            g.admit(t0).unwrap().finish(false);
        }
        g.admit(t0).unwrap().finish(true);
        assert_eq!(g.breaker(), BreakerState::Closed, "a success resets the count");
        for _ in 0..3 {
            g.admit(t0).unwrap().finish(false);
        }
        assert_eq!(g.breaker(), BreakerState::Open);
        // (Results are recorded at the real time; the checks leave seconds of slack.)
        let opened = Instant::now();
        assert_eq!(g.admit(opened + Duration::from_secs(5)).unwrap_err(), Shed::Open);
        // Cool-down (10 s) over: one probe, and only one.
        let t1 = opened + Duration::from_millis(10_500);
        let probe = g.admit(t1).unwrap();
        assert_eq!(g.breaker(), BreakerState::HalfOpen);
        assert_eq!(g.admit(t1).unwrap_err(), Shed::Open);
        drop(probe); // cancelled: a failure, open twice as long (20 s)
        assert_eq!(g.breaker(), BreakerState::Open);
        let now = Instant::now();
        assert_eq!(g.admit(now + Duration::from_secs(15)).unwrap_err(), Shed::Open);
        let probe = g.admit(now + Duration::from_secs(21)).unwrap();
        probe.finish(true);
        assert_eq!(g.breaker(), BreakerState::Closed);
        assert!(g.admit(now + Duration::from_secs(21)).is_ok());
    }
}
