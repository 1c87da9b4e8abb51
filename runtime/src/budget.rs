//! A node's resource budget shared by its synthetic functions: a call holds
//! its function's `units` while it runs. A call that finds too few units
//! free waits its turn, first come, first served across the node's
//! functions, when fewer than `budget_queue` calls already wait; otherwise
//! (and always with no queue) it is answered as saturated (503), as a full
//! instance pool answers. Functions of different cost (an image classifier
//! holding 4 units, a text function holding 1) so compete for the same node,
//! as on a real one; the simulator's `budget` model shares units the same
//! way (proportionally to what reaches each function).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Units in use out of a limit, and the calls waiting for some.
#[derive(Debug)]
pub struct NodeBudget {
    limit: u32,
    units: Arc<Semaphore>,
    queue: u32,
    waiting: AtomicU32,
}

/// Units held by one call; given back on drop.
#[derive(Debug)]
pub struct Held {
    _permit: OwnedSemaphorePermit,
}

/// Counts a waiting call until its wait ends (done or cancelled).
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl NodeBudget {
    /// A budget of `limit` units, none in use, no waiting.
    pub fn new(limit: u32) -> Arc<NodeBudget> {
        Self::with_queue(limit, 0)
    }

    /// A budget of `limit` units where at most `queue` calls wait for units.
    pub fn with_queue(limit: u32, queue: u32) -> Arc<NodeBudget> {
        Arc::new(NodeBudget {
            limit,
            units: Arc::new(Semaphore::new(limit as usize)),
            queue,
            waiting: AtomicU32::new(0),
        })
    }

    /// Takes `units` if that many are free now (and nobody waits before).
    pub fn try_hold(&self, units: u32) -> Option<Held> {
        Arc::clone(&self.units).try_acquire_many_owned(units).ok().map(|p| Held { _permit: p })
    }

    /// Takes `units`, waiting first come, first served when they are busy
    /// and the queue has room; `None`: saturated.
    pub async fn hold(&self, units: u32) -> Option<Held> {
        if let Some(h) = self.try_hold(units) {
            return Some(h);
        }
        let n = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if n >= self.queue {
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
        self.waiting.load(Ordering::Acquire).min(self.queue)
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

    #[tokio::test]
    async fn waiting_is_first_come_first_served_and_bounded() {
        let b = NodeBudget::with_queue(4, 2);
        let first = b.hold(3).await.unwrap();
        // A 4-unit call waits at the head; a 1-unit call behind it does not overtake.
        let (b1, b2) = (Arc::clone(&b), Arc::clone(&b));
        let big = tokio::spawn(async move { b1.hold(4).await.map(|h| (h, std::time::Instant::now())) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let small = tokio::spawn(async move { b2.hold(1).await.map(|h| (h, std::time::Instant::now())) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(b.waiting(), 2);
        assert!(b.hold(1).await.is_none(), "a third waiting call finds the queue full");
        drop(first);
        let (big_held, big_at) = big.await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!small.is_finished(), "the 1-unit call waits behind the 4-unit one");
        drop(big_held);
        let (_small_held, small_at) = small.await.unwrap().unwrap();
        assert!(small_at > big_at);
        assert_eq!(b.in_use(), 1);
        assert_eq!(b.waiting(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_the_queue() {
        let b = NodeBudget::with_queue(1, 1);
        let _h = b.hold(1).await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(20), b.hold(1)).await;
        assert!(waited.is_err(), "still waiting when cancelled");
        assert_eq!(b.waiting(), 0, "the cancelled call no longer counts");
        assert!(tokio::time::timeout(Duration::from_millis(20), b.hold(1)).await.is_err(), "it may wait again");
    }
}
