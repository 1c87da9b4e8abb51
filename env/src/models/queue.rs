//! Model A: the published marl-dfaas (IPDPSW 2025, `paise2025`) environment:
//! CPU shares and RAM renewed each slot, a persistent FIFO queue, requests
//! drawn one by one from three classes.
//!
//! A request is drawn when it arrives: class uniform over {A, B, C}, then CPU
//! and RAM from a normal distribution (standard deviation 2.5) around the
//! class mean, clipped to the class range. Per slot a node first runs every
//! queued request that still fits (front to back, so a small request may
//! overtake a large one), then its own local requests, then each forwarded
//! flow in order: a request runs if the queue is empty and it fits, is queued
//! if the queue has room, and is rejected otherwise.

use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::seeds::SimRng;

/// Parameters of the queue model (defaults are the paper's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// CPU shares per node per slot.
    #[serde(default = "default_cpu")]
    pub cpu_shares: f64,
    /// RAM per node per slot, MB.
    #[serde(default = "default_ram")]
    pub ram_mb: f64,
    /// Queue capacity, requests.
    #[serde(default = "default_queue")]
    pub queue_capacity: u32,
    /// How a forwarded count is split among neighbours.
    #[serde(default)]
    pub forward_split: ForwardSplit,
}

impl QueueSpec {
    /// Checks the parameters (errors name `file` and the field).
    pub fn validate(&self, file: &std::path::Path) -> Result<(), ConfigError> {
        for (field, v) in [("model.cpu_shares", self.cpu_shares), ("model.ram_mb", self.ram_mb)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError::invalid(file, field, v, "must be positive"));
            }
        }
        Ok(())
    }
}

fn default_cpu() -> f64 {
    1000.0
}
fn default_ram() -> f64 {
    8000.0
}
fn default_queue() -> u32 {
    100
}

impl Default for QueueSpec {
    fn default() -> Self {
        Self {
            cpu_shares: default_cpu(),
            ram_mb: default_ram(),
            queue_capacity: default_queue(),
            forward_split: ForwardSplit::default(),
        }
    }
}

/// How the queue model turns an action into per-neighbour forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardSplit {
    /// Per-neighbour simplex `[local, fwd_1 … fwd_k, reject]`, no loss.
    #[default]
    PerNeighbor,
    /// The published behaviour: a 3-way simplex (local, forward, reject) with
    /// v1 rounding, the forward count split evenly by integer division, the
    /// remainder lost.
    EvenFloor,
}

/// Mean CPU shares of a request (the three classes' means averaged).
pub const MEAN_REQUEST_CPU: f64 = 15.5;

/// Standard deviation of a request's CPU and RAM around its class mean.
const REQUEST_STD: f64 = 2.5;

/// One request class: CPU range and mean, RAM range (MB) and mean.
#[derive(Debug, Clone, Copy)]
struct Class {
    cpu: (f64, f64, f64),
    ram: (f64, f64, f64),
}

/// The three request classes A, B, C as `(min, max, mean)`.
const CLASSES: [Class; 3] = [
    Class { cpu: (1.0, 10.0, 5.5), ram: (1.0, 25.0, 13.0) },
    Class { cpu: (11.0, 20.0, 15.5), ram: (26.0, 50.0, 38.0) },
    Class { cpu: (21.0, 30.0, 25.5), ram: (51.0, 75.0, 63.0) },
];

/// Requests per slot the CPU of one node allows on average:
/// `cpu_shares / MEAN_REQUEST_CPU` (about 64.5 with the paper's 1000 shares).
/// RAM (8000 MB against a mean of 38 MB) does not bind with the defaults.
pub fn capacity_estimate(spec: &QueueSpec) -> f64 {
    spec.cpu_shares / MEAN_REQUEST_CPU
}

/// One request: the CPU shares and RAM (MB) it needs to run.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Request {
    cpu: f64,
    ram: f64,
}

impl Request {
    /// Draws one request: the class (one uniform draw), then CPU, then RAM
    /// (one standard-normal draw each), always in this order.
    #[inline]
    fn draw(rng: &mut SimRng) -> Self {
        let class = &CLASSES[rng.random_range(0..3usize)];
        let zc: f64 = StandardNormal.sample(rng);
        let zr: f64 = StandardNormal.sample(rng);
        Self {
            cpu: (class.cpu.2 + REQUEST_STD * zc).clamp(class.cpu.0, class.cpu.1),
            ram: (class.ram.2 + REQUEST_STD * zr).clamp(class.ram.0, class.ram.1),
        }
    }
}

/// The oracle's cost of leaving one request queued at the end of a slot (a
/// loss costs 1): small, so the plan queues rather than rejects, and queues
/// where CPU is free before queueing behind a backlog.
pub const QUEUE_WAIT_COST: f64 = 0.01;

impl super::NodeModel for QueueNode {
    fn capacity_per_slot(&mut self) -> f64 {
        capacity_estimate(&self.spec)
    }

    fn reset(&mut self) {
        QueueNode::reset(self);
    }

    fn queue_len(&self) -> u32 {
        QueueNode::queue_len(self)
    }

    fn resolve(&mut self, flows: &[u32], rng: &mut SimRng, rejects: &mut Vec<u32>) -> super::Resolved {
        let r = self.process_slot(flows, rng, rejects);
        super::Resolved { processed: r.processed, queue_len: Some(r.queue_len), response_time_s: None }
    }

    /// Requests over the estimated capacity are queued up to the queue's
    /// room ([`QUEUE_WAIT_COST`] each) and lost beyond it (1 each).
    fn slot_cost(&mut self, l: u32, _slot_seconds: f64, _exact: bool) -> f64 {
        let c = capacity_estimate(&self.spec);
        let over = (QueueNode::queue_len(self) as f64 + l as f64 - c).max(0.0);
        let room = self.spec.queue_capacity as f64;
        (over - room).max(0.0) + QUEUE_WAIT_COST * over.min(room)
    }
}

/// One node of the queue model.
///
/// The queue persists across slots (until [`QueueNode::reset`]); CPU and RAM
/// are renewed at the start of every slot.
#[derive(Debug, Clone)]
pub struct QueueNode {
    spec: QueueSpec,
    queue: VecDeque<Request>,
    cpu_left: f64,
    ram_left: f64,
}

/// What one slot did at a queue node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueSlot {
    /// Requests executed in the slot (queued ones included).
    pub processed: u32,
    /// Queue length at the end of the slot.
    pub queue_len: u32,
}

impl QueueNode {
    /// A node with an empty queue.
    pub fn new(spec: &QueueSpec) -> Self {
        // Reserve up front (bounded, in case of a huge capacity) so that the
        // usual sizes never reallocate during a run.
        let reserve = spec.queue_capacity.min(4096) as usize;
        Self { spec: spec.clone(), queue: VecDeque::with_capacity(reserve), cpu_left: 0.0, ram_left: 0.0 }
    }

    /// The node's parameters.
    pub fn spec(&self) -> &QueueSpec {
        &self.spec
    }

    /// Empties the queue (start of an episode).
    pub fn reset(&mut self) {
        self.queue.clear();
    }

    /// Current queue length.
    pub fn queue_len(&self) -> u32 {
        self.queue.len().min(u32::MAX as usize) as u32
    }

    /// Plays one slot. `flows[0]` is the node's own local count, `flows[1..]`
    /// the forwarded counts from each sender, in the order they are processed.
    /// Writes the rejections of each flow into `rejects` (resized to
    /// `flows.len()`); a queued request counts as accepted.
    ///
    /// Requests are drawn from `rng` in arrival order, so the same generator
    /// state gives the same slot. A request that arrives while the queue is
    /// full (and non-empty) is rejected without a draw, since its size cannot
    /// change its fate.
    pub fn process_slot(&mut self, flows: &[u32], rng: &mut SimRng, rejects: &mut Vec<u32>) -> QueueSlot {
        self.cpu_left = self.spec.cpu_shares;
        self.ram_left = self.spec.ram_mb;
        let mut processed: u32 = 0;

        // (1) Queued requests, front to back; one that does not fit stays.
        {
            let (cpu_left, ram_left) = (&mut self.cpu_left, &mut self.ram_left);
            self.queue.retain(|r| {
                if r.cpu <= *cpu_left && r.ram <= *ram_left {
                    *cpu_left -= r.cpu;
                    *ram_left -= r.ram;
                    processed = processed.saturating_add(1);
                    false
                } else {
                    true
                }
            });
        }

        // (2) Local requests, then (3) each forwarded flow, same rule.
        rejects.clear();
        rejects.resize(flows.len(), 0);
        for (flow, rej) in flows.iter().zip(rejects.iter_mut()) {
            let (ran, rejected) = self.arrive(*flow, rng);
            processed = processed.saturating_add(ran);
            *rej = rejected;
        }
        QueueSlot { processed, queue_len: self.queue_len() }
    }

    /// Handles `count` arriving requests; returns (run, rejected).
    fn arrive(&mut self, count: u32, rng: &mut SimRng) -> (u32, u32) {
        let cap = self.spec.queue_capacity as usize;
        let mut ran: u32 = 0;
        let mut left = count;
        while left > 0 {
            if self.queue.is_empty() {
                // Run it if it fits, else queue it if there is room, else reject.
                let r = Request::draw(rng);
                left -= 1;
                if r.cpu <= self.cpu_left && r.ram <= self.ram_left {
                    self.cpu_left -= r.cpu;
                    self.ram_left -= r.ram;
                    ran += 1;
                } else if cap > 0 {
                    self.queue.push_back(r);
                } else {
                    return (ran, left + 1);
                }
            } else {
                // A non-empty queue only grows during arrivals: every request
                // is queued until it is full, the rest are rejected.
                let room = cap.saturating_sub(self.queue.len());
                let n = (left as usize).min(room) as u32;
                for _ in 0..n {
                    let r = Request::draw(rng);
                    self.queue.push_back(r);
                }
                return (ran, left - n);
            }
        }
        (ran, 0)
    }

    /// Test helper: appends a request of the given size to the queue.
    #[cfg(test)]
    pub(crate) fn push_request(&mut self, cpu: f64, ram: f64) {
        self.queue.push_back(Request { cpu, ram });
    }
}

/// The fidelity reward of the published environment (`_reward_fw`), in [0, 1].
///
/// With action counts `(local, forward, reject)`, queue-full local rejects
/// `local_excess`, rejected forwards `forward_reject` and
/// `free = queue_capacity − queue_len_after`: `f' = forward − forward_reject`,
/// `fe = min(f', free)` (forwards that could have been queued at home),
/// `free2 = free − fe`, `re = min(reject, free2)`, `vr = reject − re`; if
/// `forward_reject = 0` and `vr > 0` then `re += vr`;
/// reward `= 1 − (local_excess + forward_reject + fe + re)/(local + forward + reject)`,
/// 1 when the input is 0. Subtractions saturate at 0 and the result is
/// clamped to [0, 1], so inconsistent inputs never panic.
pub fn reward_fw(
    local: u32,
    forward: u32,
    reject: u32,
    local_excess: u32,
    forward_reject: u32,
    queue_len_after: u32,
    queue_capacity: u32,
) -> f64 {
    let total = local as u64 + forward as u64 + reject as u64;
    if total == 0 {
        return 1.0;
    }
    let free = queue_capacity.saturating_sub(queue_len_after) as u64;
    let f_ok = forward.saturating_sub(forward_reject) as u64;
    let fe = f_ok.min(free);
    let free2 = free - fe;
    let mut re = (reject as u64).min(free2);
    let vr = reject as u64 - re;
    if forward_reject == 0 && vr > 0 {
        re += vr;
    }
    let penalty = local_excess as u64 + forward_reject as u64 + fe + re;
    (1.0 - penalty as f64 / total as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::rng;

    fn spec(cpu: f64, ram: f64, cap: u32) -> QueueSpec {
        QueueSpec { cpu_shares: cpu, ram_mb: ram, queue_capacity: cap, ..QueueSpec::default() }
    }

    #[test]
    fn requests_stay_in_their_class_ranges() {
        let mut r = rng(1);
        let (mut sum_cpu, n) = (0.0, 100_000);
        for _ in 0..n {
            let q = Request::draw(&mut r);
            let c = CLASSES.iter().find(|c| q.cpu >= c.cpu.0 && q.cpu <= c.cpu.1).expect("cpu in a class");
            assert!(q.ram >= c.ram.0 && q.ram <= c.ram.1, "{q:?}");
            sum_cpu += q.cpu;
        }
        let mean = sum_cpu / n as f64;
        assert!((mean - MEAN_REQUEST_CPU).abs() < 0.1, "mean cpu {mean}");
    }

    #[test]
    fn capacity_estimate_is_cpu_over_mean() {
        assert!((capacity_estimate(&QueueSpec::default()) - 1000.0 / 15.5).abs() < 1e-12);
    }

    #[test]
    fn small_queued_request_overtakes_one_that_does_not_fit() {
        // CPU 10: the 6 runs (4 left), the 7 does not fit and stays, the 3
        // behind it overtakes (1 left). Then the 2 local arrivals find a
        // non-empty queue and are queued behind the 7.
        let mut node = QueueNode::new(&spec(10.0, 1000.0, 10));
        node.push_request(6.0, 1.0);
        node.push_request(7.0, 1.0);
        node.push_request(3.0, 1.0);
        let mut rej = Vec::new();
        let s = node.process_slot(&[2], &mut rng(0), &mut rej);
        assert_eq!(s, QueueSlot { processed: 2, queue_len: 3 });
        assert_eq!(rej, vec![0]);
        assert_eq!(node.queue[0], Request { cpu: 7.0, ram: 1.0 });
        // Next slot, the 7 now runs first (3 CPU left).
        let s = node.process_slot(&[], &mut rng(0), &mut rej);
        assert!(s.processed >= 1);
        assert!(rej.is_empty());
    }

    #[test]
    fn ram_also_binds() {
        // Plenty of CPU but 50 MB of RAM: the 40 MB request runs, the second
        // 40 MB one stays, the 5 MB one overtakes.
        let mut node = QueueNode::new(&spec(1000.0, 50.0, 10));
        node.push_request(1.0, 40.0);
        node.push_request(1.0, 40.0);
        node.push_request(1.0, 5.0);
        let s = node.process_slot(&[], &mut rng(0), &mut Vec::new());
        assert_eq!(s, QueueSlot { processed: 2, queue_len: 1 });
    }

    #[test]
    fn empty_queue_runs_local_requests_that_fit() {
        // 10 requests need at most 300 CPU and 750 MB.
        let mut node = QueueNode::new(&QueueSpec::default());
        let mut rej = Vec::new();
        let s = node.process_slot(&[10, 0], &mut rng(3), &mut rej);
        assert_eq!(s, QueueSlot { processed: 10, queue_len: 0 });
        assert_eq!(rej, vec![0, 0]);
    }

    #[test]
    fn full_queue_rejects_local_then_forwarded() {
        // Nothing fits (0 CPU): the queue of 5 takes the 3 local requests and
        // 2 of the first forwarded flow; the rest is rejected.
        let mut node = QueueNode::new(&spec(0.0, 8000.0, 5));
        let mut rej = vec![9; 7];
        let s = node.process_slot(&[3, 4, 2], &mut rng(0), &mut rej);
        assert_eq!(s, QueueSlot { processed: 0, queue_len: 5 });
        assert_eq!(rej, vec![0, 2, 2]);
        // The queue persists: next slot everything is rejected.
        let s = node.process_slot(&[1, 1], &mut rng(0), &mut rej);
        assert_eq!(s, QueueSlot { processed: 0, queue_len: 5 });
        assert_eq!(rej, vec![1, 1]);
        assert_eq!(node.queue_len(), 5);
        node.reset();
        assert_eq!(node.queue_len(), 0);
        let s = node.process_slot(&[2], &mut rng(0), &mut rej);
        assert_eq!(s, QueueSlot { processed: 0, queue_len: 2 });
        assert_eq!(rej, vec![0]);
    }

    #[test]
    fn queue_carries_requests_to_the_next_slot() {
        let mut node = QueueNode::new(&QueueSpec::default());
        let mut r = rng(5);
        let mut rej = Vec::new();
        let first = node.process_slot(&[150], &mut r, &mut rej);
        assert!(first.queue_len > 0 && first.processed > 0);
        assert_eq!(first.processed + first.queue_len + rej[0], 150);
        // No input: the queued requests run (≤ 100 of them, some may not fit).
        let second = node.process_slot(&[0], &mut r, &mut rej);
        assert!(second.processed > 0);
        assert_eq!(second.processed + second.queue_len, first.queue_len);
    }

    #[test]
    fn zero_capacity_queue_rejects_what_does_not_fit() {
        let mut node = QueueNode::new(&spec(0.0, 0.0, 0));
        let mut rej = Vec::new();
        let s = node.process_slot(&[4, 3], &mut rng(0), &mut rej);
        assert_eq!(s, QueueSlot { processed: 0, queue_len: 0 });
        assert_eq!(rej, vec![4, 3]);
    }

    #[test]
    fn saturated_node_runs_about_64_per_slot() {
        let mut node = QueueNode::new(&QueueSpec::default());
        let mut r = rng(11);
        let mut rej = Vec::new();
        let slots = 200;
        let total: u64 = (0..slots).map(|_| node.process_slot(&[200], &mut r, &mut rej).processed as u64).sum();
        let mean = total as f64 / slots as f64;
        assert!((mean - 64.0).abs() <= 3.0, "mean processed per slot {mean}");
    }

    #[test]
    fn same_seed_same_result() {
        let run = |seed| {
            let mut node = QueueNode::new(&QueueSpec::default());
            let mut r = rng(seed);
            let mut rej = Vec::new();
            let mut out = Vec::new();
            for t in 0..100u32 {
                let flows = [(t * 37) % 151, (t * 13) % 40, (t * 7) % 25];
                let s = node.process_slot(&flows, &mut r, &mut rej);
                out.push((s, rej.clone()));
            }
            out
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        for s in [spec(f64::NAN, f64::NAN, 3), spec(-1.0, f64::INFINITY, 0), spec(f64::INFINITY, 1e9, 2)] {
            let mut node = QueueNode::new(&s);
            let mut rej = Vec::new();
            for _ in 0..3 {
                let out = node.process_slot(&[1000, 0, 1000], &mut rng(0), &mut rej);
                assert!(out.queue_len <= s.queue_capacity);
                assert_eq!(rej.len(), 3);
            }
        }
        let _ = reward_fw(u32::MAX, u32::MAX, u32::MAX, u32::MAX, u32::MAX, u32::MAX, 0);
    }

    // --- reward_fw, hand-worked ---------------------------------------------

    #[test]
    fn reward_is_one_without_input() {
        assert_eq!(reward_fw(0, 0, 0, 0, 0, 0, 100), 1.0);
        assert_eq!(reward_fw(0, 0, 0, 5, 3, 100, 100), 1.0);
    }

    #[test]
    fn reward_vr_branch_penalises_all_rejects_when_forwards_were_accepted() {
        // l=10 f=5 r=10, le=0, fr=0, queue 95/100: free=5, f'=5, fe=min(5,5)=5,
        // free2=0, re=min(10,0)=0, vr=10; fr=0 and vr>0 → re=10.
        // reward = 1 − (0+0+5+10)/25 = 0.4
        assert!((reward_fw(10, 5, 10, 0, 0, 95, 100) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn reward_forward_rejects_keep_valid_rejects_unpenalised() {
        // l=10 f=10 r=10, le=2, fr=4, queue 90/100: free=10, f'=6, fe=6,
        // free2=4, re=min(10,4)=4, vr=6 but fr>0 → re stays 4.
        // reward = 1 − (2+4+6+4)/30 = 14/30
        assert!((reward_fw(10, 10, 10, 2, 4, 90, 100) - 14.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn reward_rejects_that_fit_the_queue_are_penalised() {
        // l=10 f=0 r=5, le=0, fr=0, queue 50/100: free=50, f'=0, fe=0,
        // free2=50, re=min(5,50)=5, vr=0 (no extra).
        // reward = 1 − 5/15 = 2/3
        assert!((reward_fw(10, 0, 5, 0, 0, 50, 100) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn reward_full_queue_only_local_excess_counts() {
        // l=20 f=0 r=0, le=5, queue 100/100: free=0, fe=0, re=0, vr=0.
        // reward = 1 − 5/20 = 0.75
        assert!((reward_fw(20, 0, 0, 5, 0, 100, 100) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn reward_saturates_and_clamps() {
        // queue longer than capacity → free=0; fr > f → f'=0; penalty
        // (le=9 + fr=8) = 17 > total 5 → clamped to 0.
        assert_eq!(reward_fw(3, 2, 0, 9, 8, 120, 100), 0.0);
    }

    /// Throughput check (`cargo test -p dfaas-env -- --ignored --nocapture throughput`).
    #[test]
    #[ignore]
    fn throughput() {
        let mut node = QueueNode::new(&QueueSpec::default());
        let mut r = rng(1);
        let mut rej = Vec::new();
        let start = std::time::Instant::now();
        let mut n = 0u64;
        for s in 0..200_000u32 {
            let x = (s * 37) % 151;
            n += x as u64;
            node.process_slot(&[x / 2, x / 4, x / 4], &mut r, &mut rej);
        }
        let secs = start.elapsed().as_secs_f64();
        println!("{n} requests in {secs:.3} s: {:.2} M requests/s", n as f64 / secs / 1e6);
    }
}
