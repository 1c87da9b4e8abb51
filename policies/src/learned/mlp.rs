//! The policy network's forward pass: normalise, dense + tanh (or ReLU) layers, then
//! Dirichlet concentrations `α = softplus(z) + alpha_floor`.

use super::meta::{Activation, NetworkMeta};

/// Standard deviations below this are treated as this (constant features).
pub const STD_FLOOR: f32 = 1e-6;
/// Normalised observations are clipped to `±OBS_CLIP`.
pub const OBS_CLIP: f32 = 10.0;

/// One dense layer, `W` row-major `[out][in]`.
#[derive(Debug, Clone)]
struct Dense {
    in_dim: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

/// A feed-forward policy network with its normalisation statistics.
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Dense>,
    mean: Vec<f32>,
    std: Vec<f32>,
    alpha_floor: f32,
    max_width: usize,
    activation: Activation,
}

/// Reusable buffers for [`Mlp::forward`] (no allocation per call once sized).
#[derive(Debug, Clone, Default)]
pub struct MlpScratch {
    a: Vec<f32>,
    b: Vec<f32>,
}

impl Mlp {
    /// Builds the network `net` describes from the file's whole payload.
    pub fn new(net: &NetworkMeta, payload: &[f32]) -> Result<Self, String> {
        net.check()?;
        let mut layers = Vec::with_capacity(net.layers.len());
        for (l, layer) in net.layers.iter().enumerate() {
            let w_len = layer.in_dim.checked_mul(layer.out_dim).ok_or("layer size overflows")?;
            let w_end = layer.offset.checked_add(w_len);
            let end = w_end.and_then(|e| e.checked_add(layer.out_dim));
            let (Some(w_end), Some(end)) = (w_end, end) else {
                return Err(format!("layer {l} offset overflows"));
            };
            if end > payload.len() {
                return Err(format!(
                    "layer {l} spans values {}..{end}, the payload has {}",
                    layer.offset,
                    payload.len()
                ));
            }
            layers.push(Dense {
                in_dim: layer.in_dim,
                w: payload[layer.offset..w_end].to_vec(),
                b: payload[w_end..end].to_vec(),
            });
        }
        Ok(Self {
            layers,
            mean: net.obs_mean.clone(),
            std: net.obs_std.iter().map(|s| s.max(STD_FLOOR)).collect(),
            alpha_floor: net.alpha_floor,
            max_width: net.widths().into_iter().max().unwrap_or(0),
            activation: net.activation,
        })
    }

    /// Length of the observation vector.
    pub fn input_dim(&self) -> usize {
        self.mean.len()
    }

    /// Number of concentrations produced.
    pub fn output_dim(&self) -> usize {
        self.layers.last().map_or(0, |l| l.b.len())
    }

    /// Buffers sized for this network.
    pub fn scratch(&self) -> MlpScratch {
        MlpScratch { a: vec![0.0; self.max_width], b: vec![0.0; self.max_width] }
    }

    /// The Dirichlet concentrations for `obs`, or `None` if `obs` does not
    /// have [`input_dim`](Self::input_dim) values. Allocates only if `scratch`
    /// is smaller than the network's widest layer.
    pub fn forward<'s>(&self, obs: &[f32], scratch: &'s mut MlpScratch) -> Option<&'s [f32]> {
        if obs.len() != self.input_dim() {
            return None;
        }
        for buf in [&mut scratch.a, &mut scratch.b] {
            if buf.len() < self.max_width {
                buf.resize(self.max_width, 0.0);
            }
        }
        let (mut x, mut y) = (&mut scratch.a, &mut scratch.b);
        for (((xi, &o), &m), &s) in x.iter_mut().zip(obs).zip(&self.mean).zip(&self.std) {
            *xi = ((o - m) / s).clamp(-OBS_CLIP, OBS_CLIP);
        }
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let out = &mut y[..layer.b.len()];
            dense(layer, &x[..layer.in_dim], out);
            if l < last {
                match self.activation {
                    Activation::Tanh => out.iter_mut().for_each(|v| *v = v.tanh()),
                    Activation::Relu => out.iter_mut().for_each(|v| *v = v.max(0.0)),
                }
            } else {
                out.iter_mut().for_each(|v| *v = softplus(*v) + self.alpha_floor);
            }
            std::mem::swap(&mut x, &mut y);
        }
        Some(&x[..self.output_dim()])
    }
}

/// `ln(1 + eᶻ)`, stable: `z` itself above 20.
pub fn softplus(z: f32) -> f32 {
    if z > 20.0 { z } else { z.exp().ln_1p() }
}

/// `y = W x + b`, one contiguous row of `W` per output.
fn dense(layer: &Dense, x: &[f32], y: &mut [f32]) {
    for ((row, &b), out) in layer.w.chunks_exact(layer.in_dim).zip(&layer.b).zip(y) {
        *out = b + dot(row, x);
    }
}

/// Dot product with independent lane accumulators, so it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 16;
    let (ac, ar) = a.as_chunks::<LANES>();
    let (bc, br) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        sum += x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learned::meta::{Activation, LayerMeta};

    /// A network of the given widths with weights `sin(k)` (k = position in the payload).
    fn network(widths: &[usize]) -> (NetworkMeta, Vec<f32>) {
        let mut layers = Vec::new();
        let mut offset = 0;
        for p in widths.windows(2) {
            layers.push(LayerMeta { in_dim: p[0], out_dim: p[1], offset });
            offset += p[0] * p[1] + p[1];
        }
        let payload = (0..offset).map(|k| (k as f32).sin() * 0.3).collect();
        let net = NetworkMeta {
            input_dim: widths[0],
            output_dim: widths[widths.len() - 1],
            hidden: widths[1..widths.len() - 1].to_vec(),
            activation: Activation::Tanh,
            alpha_floor: 0.01,
            obs_mean: (0..widths[0]).map(|i| i as f32 * 0.1).collect(),
            obs_std: (0..widths[0]).map(|i| if i == 3 { 0.0 } else { 1.5 }).collect(),
            layers,
        };
        (net, payload)
    }

    /// The textbook forward pass, in f64.
    fn reference(net: &NetworkMeta, payload: &[f32], obs: &[f32]) -> Vec<f64> {
        let mut x: Vec<f64> = obs
            .iter()
            .zip(&net.obs_mean)
            .zip(&net.obs_std)
            .map(|((&o, &m), &s)| ((o - m) as f64 / s.max(STD_FLOOR) as f64).clamp(-10.0, 10.0))
            .collect();
        for (l, layer) in net.layers.iter().enumerate() {
            let w = &payload[layer.offset..];
            let b = &w[layer.in_dim * layer.out_dim..];
            x = (0..layer.out_dim)
                .map(|o| {
                    let z = b[o] as f64 + (0..layer.in_dim).map(|i| w[o * layer.in_dim + i] as f64 * x[i]).sum::<f64>();
                    if l + 1 == net.layers.len() {
                        z.exp().ln_1p() + net.alpha_floor as f64
                    } else if net.activation == Activation::Relu {
                        z.max(0.0)
                    } else {
                        z.tanh()
                    }
                })
                .collect();
        }
        x
    }

    #[test]
    fn matches_the_textbook_forward_pass() {
        let cases = [&[24, 64, 64, 5][..], &[7, 33, 3], &[24, 256, 256, 5], &[1, 1]];
        for (widths, activation) in cases.into_iter().flat_map(|w| [(w, Activation::Tanh), (w, Activation::Relu)]) {
            let (mut net, payload) = network(widths);
            net.activation = activation;
            let mlp = Mlp::new(&net, &payload).unwrap();
            let mut scratch = mlp.scratch();
            let obs: Vec<f32> = (0..widths[0]).map(|i| (i as f32 * 0.7).cos() * 3.0).collect();
            let got = mlp.forward(&obs, &mut scratch).unwrap();
            let want = reference(&net, &payload, &obs);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert!((*g as f64 - w).abs() < 1e-4 * w.abs().max(1.0), "{widths:?}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn forward_reuses_its_buffers() {
        let (net, payload) = network(&[24, 64, 64, 5]);
        let mlp = Mlp::new(&net, &payload).unwrap();
        let mut scratch = mlp.scratch();
        let ptrs = (scratch.a.as_ptr(), scratch.b.as_ptr());
        for k in 0..10 {
            let obs = vec![k as f32; 24];
            mlp.forward(&obs, &mut scratch).unwrap();
        }
        assert_eq!(ptrs, (scratch.a.as_ptr(), scratch.b.as_ptr()));
    }

    #[test]
    fn softplus_is_stable() {
        assert_eq!(softplus(100.0), 100.0);
        assert_eq!(softplus(20.5), 20.5);
        assert!((softplus(20.0) - 20.0).abs() < 1e-6, "continuous at the switch");
        let tiny = softplus(-100.0);
        assert!((0.0..1e-40).contains(&tiny));
        assert!((softplus(0.0) - std::f32::consts::LN_2).abs() < 1e-7);
        assert_eq!(softplus(f32::INFINITY), f32::INFINITY);
        assert!(softplus(f32::NAN).is_nan());
    }

    #[test]
    fn new_rejects_a_payload_too_short() {
        let (net, payload) = network(&[4, 3, 2]);
        let e = Mlp::new(&net, &payload[..payload.len() - 1]).unwrap_err();
        assert!(e.contains("layer 1 spans values"), "{e}");
    }
}
