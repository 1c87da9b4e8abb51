//! The one observation builder: the simulator and the live agent both turn a
//! node's counters of the slot that just ended, its forecast and what its
//! neighbours advertised into a [`NodeObservation`] here, and both apply
//! [`keep_unheard_local`] to every decision.

use super::{Advert, NeighborObs, NodeObservation, SlotOutcome};

/// What a node knows of the input of the slot that starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Foresight {
    /// The true count (scenarios with `[observation] input = "true"`).
    Known(u32),
    /// A forecast (requests per slot): all a live node has.
    Predicted(f64),
}

/// A neighbour's advert as the node holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heard {
    /// The advert, in requests per slot.
    pub advert: Advert,
    /// The neighbour's number of neighbours.
    pub degree: u32,
    /// Seconds since the advert arrived.
    pub age_seconds: f64,
}

/// One neighbour, in the node's action order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeighborInput {
    /// Its agent index.
    pub node: usize,
    /// One-way network delay estimate to it, seconds.
    pub latency_s: f64,
    /// Its latest advert; `None` when never heard, or no longer available
    /// (stale or disconnected): then it is observed as unknown.
    pub heard: Option<Heard>,
}

/// The node's own side of an observation.
#[derive(Debug, Clone, Copy)]
pub struct NodeInput<'a> {
    /// Its agent index (topology order).
    pub node: usize,
    /// The slot that starts (0-based).
    pub slot: u32,
    pub slot_seconds: f64,
    /// Service capacity, requests per slot.
    pub capacity: f64,
    /// Requests waiting in its queue as the slot starts.
    pub queue_len: u32,
    /// Its counters of the slot that just ended (`None` before the first slot).
    pub prev: Option<&'a SlotOutcome>,
    pub foresight: Foresight,
    /// Several functions per node: the node's budget use and this function's
    /// request weight ([`NodeObservation::node_load`], [`NodeObservation::request_share`]).
    pub shared: Option<SharedNode>,
}

/// How a function's node is used by all its functions ([`NodeInput::shared`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SharedNode {
    /// Expected use of the node's budget by every function's forecast (1 = all of it).
    pub node_load: f64,
    /// Share of the node's budget per slot one request of this function uses.
    pub request_share: f64,
}

/// Writes the observation of `node` with `neighbors` into `out`, reusing its
/// neighbour vector. An unheard neighbour has every advertised field 0 and
/// `age_seconds = None`.
pub fn build_observation<I>(node: &NodeInput<'_>, neighbors: I, out: &mut NodeObservation)
where
    I: ExactSizeIterator<Item = NeighborInput>,
{
    let none = SlotOutcome::default();
    let prev = node.prev.unwrap_or(&none);
    out.node = node.node;
    out.slot = node.slot;
    out.slot_seconds = node.slot_seconds;
    (out.input, out.predicted_input) = match node.foresight {
        Foresight::Known(n) => (n, f64::from(n)),
        Foresight::Predicted(p) => {
            let p = if p.is_finite() { p.max(0.0) } else { 0.0 };
            (p.round().min(f64::from(u32::MAX)) as u32, p)
        }
    };
    out.prev_input = prev.input;
    out.capacity = node.capacity;
    out.queue_len = node.queue_len;
    out.prev_local = prev.local;
    out.prev_local_rejects = prev.local_rejects;
    out.prev_rejected = prev.rejected;
    let shared = node.shared.unwrap_or_default();
    (out.node_load, out.request_share) = (shared.node_load, shared.request_share);
    out.neighbors.resize_with(neighbors.len(), Default::default);
    for (k, (nb, input)) in out.neighbors.iter_mut().zip(neighbors).enumerate() {
        let heard = input.heard;
        *nb = NeighborObs {
            node: input.node,
            prev_forwarded: prev.forwarded.get(k).copied().unwrap_or(0),
            prev_forward_rejects: prev.forward_rejects.get(k).copied().unwrap_or(0),
            spare_capacity: heard.map_or(0.0, |h| h.advert.spare_capacity),
            load: heard.map_or(0.0, |h| h.advert.load),
            degree: heard.map_or(0, |h| h.degree),
            capacity: heard.map_or(0.0, |h| h.advert.capacity),
            latency_s: input.latency_s,
            age_seconds: heard.map(|h| h.age_seconds),
        };
    }
}

/// The availability rule of both worlds: the share of a decision
/// (`[local, fwd…, reject]`) planned for a neighbour the node has not heard
/// from (`age_seconds = None`) stays local. In the simulator that is slot 0
/// only; a live node also meets it when a peer goes stale or disconnects.
/// A three-way `[local, forward, reject]` split (the even-floor action) keeps
/// its forward share local when no neighbour is heard.
pub fn keep_unheard_local(fractions: &mut [f64], obs: &NodeObservation) {
    let deg = obs.neighbors.len();
    if fractions.len() == deg + 2 {
        for (k, nb) in obs.neighbors.iter().enumerate() {
            if !nb.is_known() && fractions[k + 1] > 0.0 {
                fractions[0] += fractions[k + 1];
                fractions[k + 1] = 0.0;
            }
        }
    } else if fractions.len() == 3 && !obs.neighbors.iter().any(NeighborObs::is_known) {
        fractions[0] += fractions[1];
        fractions[1] = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_by_hand() {
        let prev = SlotOutcome {
            input: 9,
            local: 4,
            forwarded: vec![3, 1],
            rejected: 1,
            local_rejects: 2,
            forward_rejects: vec![1, 0],
            ..Default::default()
        };
        let node = NodeInput {
            node: 3,
            slot: 7,
            slot_seconds: 2.0,
            capacity: 10.0,
            queue_len: 5,
            prev: Some(&prev),
            foresight: Foresight::Predicted(6.6),
            shared: None,
        };
        let heard =
            Heard { advert: Advert { spare_capacity: 4.0, load: 0.5, capacity: 8.0 }, degree: 3, age_seconds: 2.0 };
        let nbs = [
            NeighborInput { node: 1, latency_s: 0.01, heard: Some(heard) },
            NeighborInput { node: 5, latency_s: 0.02, heard: None },
        ];
        let mut o = NodeObservation::default();
        build_observation(&node, nbs.into_iter(), &mut o);
        assert_eq!((o.node, o.slot, o.input, o.predicted_input), (3, 7, 7, 6.6));
        assert_eq!((o.prev_input, o.prev_local, o.prev_rejected, o.prev_local_rejects, o.queue_len), (9, 4, 1, 2, 5));
        assert_eq!(o.neighbors.len(), 2);
        let (a, b) = (&o.neighbors[0], &o.neighbors[1]);
        assert_eq!((a.node, a.prev_forwarded, a.prev_forward_rejects, a.degree), (1, 3, 1, 3));
        assert_eq!((a.spare_capacity, a.load, a.capacity, a.age_seconds), (4.0, 0.5, 8.0, Some(2.0)));
        assert_eq!((b.node, b.prev_forwarded, b.degree, b.spare_capacity, b.age_seconds), (5, 1, 0, 0.0, None));
        assert_eq!(b.latency_s, 0.02);

        // Known input; no previous slot; a bad forecast never leaks.
        let first = NodeInput { prev: None, foresight: Foresight::Known(12), ..node };
        build_observation(&first, std::iter::empty(), &mut o);
        assert_eq!((o.input, o.predicted_input, o.prev_input, o.prev_local), (12, 12.0, 0, 0));
        assert!(o.neighbors.is_empty());
        build_observation(&NodeInput { foresight: Foresight::Predicted(f64::NAN), ..node }, std::iter::empty(), &mut o);
        assert_eq!((o.input, o.predicted_input), (0, 0.0));
    }

    #[test]
    fn unheard_share_stays_local() {
        let known = NeighborObs { age_seconds: Some(1.0), ..Default::default() };
        let obs = NodeObservation { neighbors: vec![known.clone(), NeighborObs::default()], ..Default::default() };
        let mut f = vec![0.2, 0.3, 0.4, 0.1];
        keep_unheard_local(&mut f, &obs);
        assert_eq!(f, vec![0.6000000000000001, 0.3, 0.0, 0.1]);
        let mut three = vec![0.2, 0.7, 0.1];
        keep_unheard_local(&mut three, &obs);
        assert_eq!(three, vec![0.2, 0.7, 0.1], "one neighbour heard: the even split stands");
        let none = NodeObservation { neighbors: vec![NeighborObs::default(); 2], ..Default::default() };
        keep_unheard_local(&mut three, &none);
        assert_eq!(three, vec![0.8999999999999999, 0.0, 0.1]);
    }
}
