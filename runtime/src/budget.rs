//! A node's resource budget shared by its synthetic functions: a call holds
//! its function's `units` while it runs, and a call that finds too few units
//! free is answered as saturated (503), as a full instance pool answers.
//! Functions of different cost (an image classifier holding 4 units, a text
//! function holding 1) so compete for the same node, as on a real one.

use std::sync::{Arc, Mutex, PoisonError};

/// Units in use out of a limit.
#[derive(Debug)]
pub struct NodeBudget {
    limit: u32,
    used: Mutex<u32>,
}

/// Units held by one call; given back on drop.
#[derive(Debug)]
pub struct Held {
    budget: Arc<NodeBudget>,
    units: u32,
}

impl NodeBudget {
    /// A budget of `limit` units, none in use.
    pub fn new(limit: u32) -> Arc<NodeBudget> {
        Arc::new(NodeBudget { limit, used: Mutex::new(0) })
    }

    /// Takes `units` if that many are free.
    pub fn try_hold(self: &Arc<Self>, units: u32) -> Option<Held> {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        (used.saturating_add(units) <= self.limit).then(|| {
            *used += units;
            Held { budget: Arc::clone(self), units }
        })
    }

    /// Whether `units` are free now.
    pub fn has(&self, units: u32) -> bool {
        self.in_use().saturating_add(units) <= self.limit
    }

    /// Units in use now.
    pub fn in_use(&self) -> u32 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(self.units);
    }
}

#[cfg(test)]
mod tests {
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
}
