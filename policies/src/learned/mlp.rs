//! The policy network's forward pass: normalise, dense + tanh layers, then
//! Dirichlet concentrations `α = softplus(z) + alpha_floor`.

use super::meta::NetworkMeta;

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
            let w_len = layer
                .in_dim
                .checked_mul(layer.out_dim)
                .ok_or("layer size overflows")?;
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
        MlpScratch {
            a: vec![0.0; self.max_width],
            b: vec![0.0; self.max_width],
        }
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
                out.iter_mut().for_each(|v| *v = v.tanh());
            } else {
                out.iter_mut()
                    .for_each(|v| *v = softplus(*v) + self.alpha_floor);
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
