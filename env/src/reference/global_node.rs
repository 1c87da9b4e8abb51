//! The "GlobalNode" upper bound of the published environment
//! (`dfaas_upperbound.py: SingleDFaaS`): one node with N times the CPU, RAM
//! and queue of one node receives the sum of all N agents' inputs and
//! processes everything locally.
//!
//! The original draws each agent's requests and interleaves them round-robin
//! (agent 0's first request, agent 1's first, …, then the second ones). All
//! requests are independent and identically distributed whoever sent them,
//! and a single node treats them alike, so the interleaved stream has the same
//! distribution as one local flow of the total count: this is what is run.

use crate::models::queue::{QueueNode, QueueSpec};
use crate::seeds::SimRng;

/// What the global node did in one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GlobalNodeSlot {
    /// Requests received (sum over agents).
    pub input: u32,
    /// Requests executed (queued ones included).
    pub processed: u32,
    /// Requests rejected because the queue was full.
    pub rejected: u32,
    /// Queue length at the end of the slot.
    pub queue_len: u32,
}

/// The spec of one node scaled `n` times (CPU, RAM and queue capacity).
pub fn scaled_spec(spec: &QueueSpec, n: usize) -> QueueSpec {
    let k = n as f64;
    QueueSpec {
        cpu_shares: spec.cpu_shares * k,
        ram_mb: spec.ram_mb * k,
        queue_capacity: spec.queue_capacity.saturating_mul(n.min(u32::MAX as usize) as u32),
        forward_split: spec.forward_split,
    }
}

/// Runs one episode of the global node. `inputs[agent][slot]` are the agents'
/// input counts; only the first `n_agents` agents are used, an agent missing
/// from `inputs` or a slot missing from a shorter trace counts as 0, and the
/// episode lasts as long as the longest trace. The queue starts empty.
pub fn run_global_node(
    spec: &QueueSpec,
    n_agents: usize,
    inputs: &[Vec<u32>],
    rng: &mut SimRng,
) -> Vec<GlobalNodeSlot> {
    let agents = &inputs[..n_agents.min(inputs.len())];
    let slots = agents.iter().map(Vec::len).max().unwrap_or(0);
    let mut node = QueueNode::new(&scaled_spec(spec, n_agents));
    let mut rejects = Vec::with_capacity(1);
    let mut out = Vec::with_capacity(slots);
    for t in 0..slots {
        let input = agents.iter().fold(0u32, |s, a| s.saturating_add(a.get(t).copied().unwrap_or(0)));
        let slot = node.process_slot(&[input], rng, &mut rejects);
        out.push(GlobalNodeSlot {
            input,
            processed: slot.processed,
            rejected: rejects.first().copied().unwrap_or(0),
            queue_len: slot.queue_len,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::rng;

    /// Sinusoidal traces, one phase per agent, clipped to [0, 150].
    fn traces(n: usize, slots: usize, seed: u64) -> Vec<Vec<u32>> {
        let mut r = rng(seed);
        (0..n)
            .map(|i| {
                let period: f64 = rand::RngExt::random_range(&mut r, 15.0..100.0);
                (0..slots)
                    .map(|t| {
                        let phase = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                        let v = 50.0 + 100.0 * (2.0 * std::f64::consts::PI * t as f64 / period + phase).sin();
                        v.clamp(0.0, 150.0) as u32
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn conserves_requests() {
        let inputs = traces(3, 288, 1);
        let out = run_global_node(&QueueSpec::default(), 3, &inputs, &mut rng(2));
        assert_eq!(out.len(), 288);
        let input: u64 = out.iter().map(|s| s.input as u64).sum();
        let expected: u64 = inputs.iter().flatten().map(|&v| v as u64).sum();
        assert_eq!(input, expected);
        let done: u64 = out.iter().map(|s| (s.processed + s.rejected) as u64).sum();
        assert_eq!(input, done + out.last().unwrap().queue_len as u64);
        assert!(out.iter().all(|s| s.queue_len <= 300));
    }

    #[test]
    fn ragged_and_missing_agents_count_as_zero() {
        let inputs = vec![vec![5, 5, 5], vec![1]];
        let out = run_global_node(&QueueSpec::default(), 3, &inputs, &mut rng(0));
        assert_eq!(out.iter().map(|s| s.input).collect::<Vec<_>>(), vec![6, 5, 5]);
        assert!(run_global_node(&QueueSpec::default(), 0, &inputs, &mut rng(0)).is_empty());
    }

    #[test]
    fn processes_at_least_as_much_as_separate_local_nodes() {
        let spec = QueueSpec::default();
        for (n, seed) in [(2usize, 7u64), (5, 8), (10, 9)] {
            let inputs = traces(n, 288, seed);
            let global: u64 =
                run_global_node(&spec, n, &inputs, &mut rng(seed + 100)).iter().map(|s| s.processed as u64).sum();
            let mut r = rng(seed + 200);
            let mut rej = Vec::new();
            let mut separate: u64 = 0;
            for trace in &inputs {
                let mut node = QueueNode::new(&spec);
                for &x in trace {
                    separate += node.process_slot(&[x], &mut r, &mut rej).processed as u64;
                }
            }
            assert!(global >= separate, "n={n}: global {global} < separate {separate}");
        }
    }
}
