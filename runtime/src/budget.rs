//! A node's resource budget shared by its synthetic functions: a call holds
//! its function's `units` while it runs. A call that finds too few units
//! free waits its turn, first come, first served across the node's
//! functions, while the work waiting (units × service time of every waiting
//! call, its own included) stays within `budget_queue_s` seconds of the
//! whole budget; otherwise (and always with no queue) it is answered as
//! saturated (503), as a full instance pool answers. Bounding the waiting
//! work, not the calls, treats a 4-unit, 0.4 s call as the 80 calls of a
//! 1-unit, 0.02 s function it displaces. Functions of different cost (an image classifier
//! holding 4 units, a text function holding 1) so compete for the same node,
//! as on a real one; the simulator's `budget` model shares units the same
//! way (proportionally to what reaches each function).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Units in use out of a limit, and the calls waiting for some.
#[derive(Debug)]
pub struct NodeBudget {
    limit: u32,
    units: Arc<Semaphore>,
    /// Most waiting work, unit-microseconds.
    queue_work: u64,
    /// Waiting work now, unit-microseconds, and waiting calls.
    waiting_work: AtomicU64,
    waiting: AtomicU32,
}

/// Units held by one call; given back on drop.
#[derive(Debug)]
pub struct Held {
    _permit: OwnedSemaphorePermit,
}

/// Counts a waiting call and its work until its wait ends (done or cancelled).
struct Waiting<'a> {
    budget: &'a NodeBudget,
    work: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.budget.waiting.fetch_sub(1, Ordering::AcqRel);
        self.budget.waiting_work.fetch_sub(self.work, Ordering::AcqRel);
    }
}

impl NodeBudget {
    /// A budget of `limit` units, none in use, no waiting.
    pub fn new(limit: u32) -> Arc<NodeBudget> {
        Self::with_queue(limit, Duration::ZERO)
    }

    /// A budget of `limit` units where calls wait for units while the
    /// waiting work stays within `queue` of the whole budget's time
    /// (`limit × queue` unit-seconds).
    pub fn with_queue(limit: u32, queue: Duration) -> Arc<NodeBudget> {
        Arc::new(NodeBudget {
            limit,
            units: Arc::new(Semaphore::new(limit as usize)),
            queue_work: u64::try_from(queue.as_micros()).unwrap_or(u64::MAX).saturating_mul(u64::from(limit)),
            waiting_work: AtomicU64::new(0),
            waiting: AtomicU32::new(0),
        })
    }

    /// Takes `units` if that many are free now (and nobody waits before).
    pub fn try_hold(&self, units: u32) -> Option<Held> {
        Arc::clone(&self.units).try_acquire_many_owned(units).ok().map(|p| Held { _permit: p })
    }

    /// Takes `units` for a call of `service` time, waiting first come,
    /// first served when they are busy and the queue has room for its work;
    /// `None`: saturated.
    pub async fn hold(&self, units: u32, service: Duration) -> Option<Held> {
        if let Some(h) = self.try_hold(units) {
            return Some(h);
        }
        let work = u64::try_from(service.as_micros()).unwrap_or(u64::MAX).saturating_mul(u64::from(units)).max(1);
        let before = self.waiting_work.fetch_add(work, Ordering::AcqRel);
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting { budget: self, work };
        if before.saturating_add(work) > self.queue_work {
            return None;
        }
        let permit = Arc::clone(&self.units).acquire_many_owned(units).await.ok()?;
        Some(Held { _permit: permit })
    }

    /// Whether `units` are free now.
    pub fn has(&self, units: u32) -> bool {
        self.units.available_permits() >= units as usize
    }

    /// Units in use now (held, or set aside for the first waiting call).
    pub fn in_use(&self) -> u32 {
        self.limit.saturating_sub(self.units.available_permits() as u32)
    }

    /// Calls waiting for units now.
    pub fn waiting(&self) -> u32 {
        self.waiting.load(Ordering::Acquire)
    }

    /// The limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn units_are_held_until_dropped_and_never_exceed_the_limit() {
        let b = NodeBudget::new(5);
        let big = b.try_hold(4).unwrap();
        assert!(b.try_hold(2).is_none(), "4 + 2 > 5");
        let small = b.try_hold(1).unwrap();
        assert_eq!(b.in_use(), 5);
        assert!(!b.has(1));
        drop(big);
        assert_eq!(b.in_use(), 1);
        assert!(b.try_hold(4).is_some());
        drop(small);
        assert_eq!(b.in_use(), 0, "the temporary hold above was given back too");
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[tokio::test]
    async fn waiting_is_first_come_first_served_and_bounded_by_work() {
        // 4 units, 0.5 s of the whole budget may wait: 2 000 unit-ms.
        let b = NodeBudget::with_queue(4, MS(500));
        let first = b.hold(3, MS(100)).await.unwrap();
        // A 4-unit call waits at the head; a 1-unit call behind it does not overtake.
        let (b1, b2) = (Arc::clone(&b), Arc::clone(&b));
        let big = tokio::spawn(async move { b1.hold(4, MS(400)).await.map(|h| (h, std::time::Instant::now())) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let small = tokio::spawn(async move { b2.hold(1, MS(100)).await.map(|h| (h, std::time::Instant::now())) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(b.waiting(), 2, "1 600 + 100 unit-ms wait");
        assert!(b.hold(1, MS(400)).await.is_none(), "400 more unit-ms would exceed 2 000");
        assert_eq!(b.waiting(), 2, "the refused call left no trace");
        let third = {
            let b3 = Arc::clone(&b);
            tokio::spawn(async move { b3.hold(1, MS(300)).await.is_some() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(b.waiting(), 3, "300 unit-ms still fit");
        drop(first);
        let (big_held, big_at) = big.await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!small.is_finished(), "the 1-unit call waits behind the 4-unit one");
        drop(big_held);
        let (_small_held, small_at) = small.await.unwrap().unwrap();
        assert!(small_at > big_at);
        assert!(third.await.unwrap());
        assert_eq!(b.waiting(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_the_queue() {
        let b = NodeBudget::with_queue(1, MS(100));
        let _h = b.hold(1, MS(100)).await.unwrap();
        let waited = tokio::time::timeout(MS(20), b.hold(1, MS(100))).await;
        assert!(waited.is_err(), "still waiting when cancelled");
        assert_eq!(b.waiting(), 0, "the cancelled call no longer counts");
        assert!(tokio::time::timeout(MS(20), b.hold(1, MS(100))).await.is_err(), "its work fits again: it waits");
    }
}
