//! Admission control of one function: a concurrency limit, a bounded queue
//! and an optional token-bucket rate. Full means rejected at once.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::AdmissionConfig;

/// Admission state of one function.
#[derive(Debug)]
pub struct Admission {
    running: Arc<Semaphore>,
    max_concurrency: u32,
    /// Running plus queued.
    occupied: AtomicU32,
    capacity: u32,
    bucket: Option<Mutex<Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn refill(&mut self) {
        let now = Instant::now();
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        // Burst: one second's worth, at least one request.
        self.tokens = (self.tokens + dt * self.rate).min(self.rate.max(1.0));
    }
}

/// A place held in the queue; [`Ticket::wait`] turns it into a [`Running`] run.
/// Dropping it gives the place back.
#[derive(Debug)]
pub struct Ticket {
    adm: Arc<Admission>,
}

/// Leave to run (one of `max_concurrency`); dropping it lets the next one run.
/// (Not a time slot: those are the agent's.)
#[derive(Debug)]
pub struct Running {
    _permit: Option<OwnedSemaphorePermit>,
    _ticket: Ticket,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.adm.occupied.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    /// From the function's config.
    pub fn new(cfg: &AdmissionConfig) -> Arc<Admission> {
        let max = cfg.max_concurrency.max(1);
        Arc::new(Admission {
            running: Arc::new(Semaphore::new(max as usize)),
            max_concurrency: max,
            occupied: AtomicU32::new(0),
            capacity: max.saturating_add(cfg.queue),
            bucket: cfg
                .max_rate_rps
                .map(|rate| Mutex::new(Bucket { rate, tokens: rate.max(1.0), last: Instant::now() })),
        })
    }

    /// Takes a place if there is one (never waits); `None` means reject.
    pub fn try_enter(self: &Arc<Self>) -> Option<Ticket> {
        self.occupied
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.capacity).then_some(n + 1))
            .ok()?;
        let ticket = Ticket { adm: Arc::clone(self) };
        if let Some(b) = &self.bucket {
            let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
            b.refill();
            if b.tokens < 1.0 {
                return None; // the ticket's drop gives the place back
            }
            b.tokens -= 1.0;
        }
        Some(ticket)
    }

    /// Whether a request arriving now would be admitted (for health checks).
    pub fn has_room(&self) -> bool {
        if self.occupied.load(Ordering::Acquire) >= self.capacity {
            return false;
        }
        match &self.bucket {
            Some(b) => {
                let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
                b.refill();
                b.tokens >= 1.0
            }
            None => true,
        }
    }

    /// Requests running now.
    pub fn running(&self) -> u32 {
        self.max_concurrency - (self.running.available_permits() as u32).min(self.max_concurrency)
    }

    /// Requests running or queued now.
    pub fn occupied(&self) -> u32 {
        self.occupied.load(Ordering::Acquire)
    }

    /// The concurrency limit.
    pub fn max_concurrency(&self) -> u32 {
        self.max_concurrency
    }
}

impl Ticket {
    /// Waits in the queue until it may run.
    pub async fn wait(self) -> Running {
        let sem = Arc::clone(&self.adm.running);
        // The semaphore is never closed, so acquisition cannot fail; if it
        // ever did, run anyway rather than lose the request.
        Running { _permit: sem.acquire_owned().await.ok(), _ticket: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrency_plus_queue_then_reject() {
        let a = Admission::new(&AdmissionConfig { max_concurrency: 2, queue: 1, max_rate_rps: None });
        let t1 = a.try_enter().unwrap();
        let t2 = a.try_enter().unwrap();
        let t3 = a.try_enter().unwrap();
        assert!(a.try_enter().is_none());
        let _s1 = t1.wait().await;
        let _s2 = t2.wait().await;
        assert_eq!(a.running(), 2);
        drop(t3);
        assert!(a.try_enter().is_some());
    }

    #[tokio::test]
    async fn rate_limit_rejects_past_burst() {
        let a = Admission::new(&AdmissionConfig { max_concurrency: 100, queue: 0, max_rate_rps: Some(5.0) });
        let ok = (0..20).filter_map(|_| a.try_enter()).count();
        assert!((5..=6).contains(&ok), "{ok}");
    }
}
