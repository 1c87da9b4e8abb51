//! How far a predictor's one-step forecasts land from the inputs that came.

use serde::{Deserialize, Serialize};

use super::PredictorSpec;

/// Summed one-step errors of one node's predictions (predicted − actual).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PredictionError {
    /// Σ |predicted − actual|, requests.
    pub abs_sum: f64,
    /// Σ (predicted − actual), requests.
    pub sum: f64,
    /// Slots predicted.
    pub slots: u64,
}

impl PredictionError {
    /// Records one slot's forecast and the input that came.
    pub fn add(&mut self, predicted: f64, actual: f64) {
        self.abs_sum += (predicted - actual).abs();
        self.sum += predicted - actual;
        self.slots += 1;
    }

    /// Adds another node's or episode's sums.
    pub fn merge(&mut self, o: &PredictionError) {
        self.abs_sum += o.abs_sum;
        self.sum += o.sum;
        self.slots += o.slots;
    }

    /// Mean absolute error, requests per slot (0 without slots).
    pub fn mae(&self) -> f64 {
        if self.slots == 0 { 0.0 } else { self.abs_sum / self.slots as f64 }
    }

    /// Mean signed error (positive: over-prediction), requests per slot.
    pub fn bias(&self) -> f64 {
        if self.slots == 0 { 0.0 } else { self.sum / self.slots as f64 }
    }
}

/// One node's prediction error, for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodePredictionError {
    pub node: String,
    /// Mean absolute error, requests per slot.
    pub mae: f64,
    /// Mean signed error (predicted − actual), requests per slot.
    pub bias: f64,
    /// Mean input, requests per slot (to read the error against).
    pub mean_input: f64,
    pub slots: u64,
}

/// Per-node errors of `spec` on `traces[node][slot]`, predicting each slot
/// from the slots before it (the first slot from nothing: 0), as the
/// simulator's observations do. Added to `acc` (resized to the node count);
/// the second vector sums the inputs.
pub fn trace_errors(spec: &PredictorSpec, traces: &[Vec<u32>], acc: &mut Vec<PredictionError>, inputs: &mut Vec<f64>) {
    trace_errors_after_idle(spec, traces, &[], acc, inputs);
}

/// [`trace_errors`] where trace `i`'s predictor first saw `idle[i]` slots of
/// input 0 (none where `idle` is shorter), as a live node that waited for its load.
pub fn trace_errors_after_idle(
    spec: &PredictorSpec,
    traces: &[Vec<u32>],
    idle: &[usize],
    acc: &mut Vec<PredictionError>,
    inputs: &mut Vec<f64>,
) {
    acc.resize(traces.len(), PredictionError::default());
    inputs.resize(traces.len(), 0.0);
    for (i, trace) in traces.iter().enumerate() {
        let mut p = spec.build();
        (0..idle.get(i).copied().unwrap_or(0)).for_each(|_| p.observe(0.0));
        for &x in trace {
            acc[i].add(p.predict(), x as f64);
            inputs[i] += x as f64;
            p.observe(x as f64);
        }
    }
}

/// Report rows for `names` from summed errors and inputs.
pub fn report(names: &[String], acc: &[PredictionError], inputs: &[f64]) -> Vec<NodePredictionError> {
    names
        .iter()
        .zip(acc)
        .zip(inputs)
        .map(|((n, e), &x)| NodePredictionError {
            node: n.clone(),
            mae: e.mae(),
            bias: e.bias(),
            mean_input: if e.slots == 0 { 0.0 } else { x / e.slots as f64 },
            slots: e.slots,
        })
        .collect()
}
