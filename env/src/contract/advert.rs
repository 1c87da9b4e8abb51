//! What a node advertises to its neighbours at the end of a slot: one rule
//! for the simulator's neighbour view and the live agent's gossip.

use super::SlotOutcome;

/// A node's advertised state, in requests per slot.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Advert {
    /// Capacity its own input and queue of the slot left: `max(0, capacity − input − queue)`.
    pub spare_capacity: f64,
    /// Offered load `(local + received + queue) / capacity` (10⁶ for a node
    /// of capacity 0 that was offered anything).
    pub load: f64,
    /// Its service capacity.
    pub capacity: f64,
}

impl Advert {
    /// The advert of a node of `capacity` (requests per slot) whose slot
    /// ended with `outcome`.
    pub fn of(outcome: &SlotOutcome, capacity: f64) -> Self {
        let queue = outcome.queue_len.unwrap_or(0) as f64;
        let own = outcome.input as f64 + queue;
        let offered = (outcome.local + outcome.received) as f64 + queue;
        let load = if capacity > 0.0 {
            offered / capacity
        } else if offered > 0.0 {
            1e6
        } else {
            0.0
        };
        Self { spare_capacity: (capacity - own).max(0.0), load, capacity }
    }

    /// Whether the node's own input and queue exceeded its capacity.
    pub fn overloaded(outcome: &SlotOutcome, capacity: f64) -> bool {
        outcome.input as f64 + outcome.queue_len.unwrap_or(0) as f64 > capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let o = SlotOutcome { input: 30, local: 12, received: 9, queue_len: Some(4), ..Default::default() };
        let a = Advert::of(&o, 40.0);
        assert_eq!(a, Advert { spare_capacity: 6.0, load: 25.0 / 40.0, capacity: 40.0 });
        assert!(!Advert::overloaded(&o, 40.0));
        assert_eq!(Advert::of(&o, 20.0).spare_capacity, 0.0);
        assert!(Advert::overloaded(&o, 20.0));
        assert_eq!(Advert::of(&o, 0.0).load, 1e6);
        assert_eq!(Advert::of(&SlotOutcome::default(), 0.0).load, 0.0);
    }
}
