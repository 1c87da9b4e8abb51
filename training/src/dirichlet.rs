//! The Dirichlet distribution: batched log-density, entropy and mean on burn
//! tensors (differentiable in α), and sampling on the CPU.
//!
//! The policy's action is a point on the probability simplex
//! `[local, forward_1 … forward_k, reject]`; the actor outputs one
//! concentration vector α per row of a batch.

use crate::special::{digamma, digamma_f64, lgamma, lgamma_f64};
use burn::tensor::Tensor;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Gamma, Open01};

/// The smallest coordinate [`Dirichlet::log_prob`] lets through.
///
/// As RLlib's `TorchDirichlet.logp` does, x is clamped to ≥ 1e-7 and then
/// renormalised to sum to 1, so an action on (or rounded onto) the simplex
/// boundary has a finite log-density.
pub const LOG_PROB_EPS: f64 = 1e-7;

/// Why a concentration vector cannot be sampled from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DirichletError {
    /// A Dirichlet needs at least one component.
    #[error("Dirichlet concentration vector is empty")]
    Empty,
    /// Every αᵢ must be finite and > 0.
    #[error("Dirichlet concentration α[{index}] = {value} is not finite and > 0")]
    BadConcentration {
        /// Position of the offending component.
        index: usize,
        /// Its value.
        value: f64,
    },
}

/// A batch of Dirichlet distributions, one per row of α (`[batch, k]`, α > 0).
#[derive(Debug, Clone)]
pub struct Dirichlet {
    alpha: Tensor<2>,
}

impl Dirichlet {
    /// Wraps a `[batch, k]` concentration tensor; every entry must be > 0.
    pub fn new(alpha: Tensor<2>) -> Self {
        Self { alpha }
    }

    /// The concentration tensor, `[batch, k]`.
    pub fn alpha(&self) -> &Tensor<2> {
        &self.alpha
    }

    /// Log-density of each row of `x` (`[batch, k]`) under its row's α; `[batch]`.
    ///
    /// ln Γ(α₀) − Σ ln Γ(αᵢ) + Σ (αᵢ − 1) ln xᵢ, with α₀ = Σ αᵢ, after x is
    /// clamped to ≥ [`LOG_PROB_EPS`] and renormalised. `x` must live on α's
    /// device (on an autodiff device, create it there too; it needs no grad).
    pub fn log_prob(&self, x: Tensor<2>) -> Tensor<1> {
        let x = x.clamp_min(LOG_PROB_EPS);
        let x = x.clone() / x.sum_dim(1);
        let alpha = self.alpha.clone();
        let alpha0 = alpha.clone().sum_dim(1);
        let log_norm = lgamma(alpha0) - lgamma(alpha.clone()).sum_dim(1);
        let kernel = (alpha.sub_scalar(1.0) * x.log()).sum_dim(1);
        (log_norm + kernel).squeeze_dim(1)
    }

    /// Differential entropy of each row; `[batch]`.
    ///
    /// ln B(α) + (α₀ − k) ψ(α₀) − Σ (αᵢ − 1) ψ(αᵢ), with
    /// ln B(α) = Σ ln Γ(αᵢ) − ln Γ(α₀).
    pub fn entropy(&self) -> Tensor<1> {
        let k = self.alpha.dims()[1] as f64;
        let alpha = self.alpha.clone();
        let alpha0 = alpha.clone().sum_dim(1);
        let log_beta = lgamma(alpha.clone()).sum_dim(1) - lgamma(alpha0.clone());
        let total = alpha0.clone().sub_scalar(k) * digamma(alpha0);
        let parts = (alpha.clone().sub_scalar(1.0) * digamma(alpha)).sum_dim(1);
        (log_beta + total - parts).squeeze_dim(1)
    }

    /// Mean of each row, α / α₀; `[batch, k]`. The deterministic action.
    pub fn mean(&self) -> Tensor<2> {
        self.alpha.clone() / self.alpha.clone().sum_dim(1)
    }

    /// One sample per row, drawn on the CPU from α read back from the tensor.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Vec<Vec<f64>>, DirichletError> {
        let [_, k] = self.alpha.dims();
        let flat = self.alpha.to_data().try_into_vec_as::<f64>().expect("a float tensor converts to f64");
        flat.chunks(k.max(1)).map(|row| sample(row, rng)).collect()
    }
}

/// Draws one point of the simplex from Dirichlet(α).
///
/// xᵢ = Gᵢ / Σ G with Gᵢ ~ Gamma(αᵢ, 1), computed in log space so that small
/// αᵢ cannot underflow every draw to 0: for αᵢ < 1,
/// ln Gᵢ = ln G' + ln(U)/αᵢ with G' ~ Gamma(αᵢ + 1, 1), U ~ U(0, 1), and the
/// normalisation is a log-sum-exp. The result is always finite, ≥ 0 and sums
/// to 1 (up to rounding); tiny coordinates may be exactly 0.
pub fn sample<T, R>(alpha: &[T], rng: &mut R) -> Result<Vec<f64>, DirichletError>
where
    T: Copy + Into<f64>,
    R: Rng + ?Sized,
{
    if alpha.is_empty() {
        return Err(DirichletError::Empty);
    }
    let mut logs = Vec::with_capacity(alpha.len());
    for (index, &a) in alpha.iter().enumerate() {
        let a: f64 = a.into();
        if !(a.is_finite() && a > 0.0) {
            return Err(DirichletError::BadConcentration { index, value: a });
        }
        logs.push(log_gamma_draw(a, rng));
    }
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut x: Vec<f64> = logs.iter().map(|&l| (l - max).exp()).collect();
    let sum: f64 = x.iter().sum(); // ≥ 1: the largest term is exp(0)
    x.iter_mut().for_each(|v| *v /= sum);
    Ok(x)
}

/// ln G for G ~ Gamma(a, 1), finite for every finite a > 0.
fn log_gamma_draw<R: Rng + ?Sized>(a: f64, rng: &mut R) -> f64 {
    let (shape, boost) = if a < 1.0 { (a + 1.0, true) } else { (a, false) };
    let g: f64 = Gamma::new(shape, 1.0).expect("shape ≥ 1 is valid").sample(rng);
    let mut log_g = g.max(f64::MIN_POSITIVE).ln();
    if boost {
        let u: f64 = rng.sample(Open01);
        log_g += u.ln() / a;
    }
    // ln(U)/a ≥ ln(2⁻⁵³)/a; only a < ~1e-306 could reach −∞.
    log_g.max(f64::MIN)
}

/// Log-density of `x` under Dirichlet(α) in f64, with the same clamp and
/// renormalisation as [`Dirichlet::log_prob`]. For reference and tests.
pub fn log_prob_f64(alpha: &[f64], x: &[f64]) -> f64 {
    let x: Vec<f64> = x.iter().map(|&v| v.max(LOG_PROB_EPS)).collect();
    let sum: f64 = x.iter().sum();
    let alpha0: f64 = alpha.iter().sum();
    lgamma_f64(alpha0) - alpha.iter().map(|&a| lgamma_f64(a)).sum::<f64>()
        + alpha.iter().zip(&x).map(|(&a, &v)| (a - 1.0) * (v / sum).ln()).sum::<f64>()
}

/// Differential entropy of Dirichlet(α) in f64. For reference and tests.
pub fn entropy_f64(alpha: &[f64]) -> f64 {
    let alpha0: f64 = alpha.iter().sum();
    let k = alpha.len() as f64;
    let log_beta = alpha.iter().map(|&a| lgamma_f64(a)).sum::<f64>() - lgamma_f64(alpha0);
    log_beta + (alpha0 - k) * digamma_f64(alpha0) - alpha.iter().map(|&a| (a - 1.0) * digamma_f64(a)).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    fn tensor2(rows: &[&[f64]], device: &Device) -> Tensor<2> {
        let k = rows[0].len();
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().map(|&v| v as f32)).collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), k]), device)
    }

    fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f64> {
        t.into_data().try_into_vec::<f32>().unwrap().into_iter().map(f64::from).collect()
    }

    // (α, x, ln p(x), H) from mpmath at 25 digits.
    const CASES: &[(&[f64], &[f64], f64, f64)] = &[
        (&[1.0, 1.0, 1.0], &[0.2, 0.3, 0.5], std::f64::consts::LN_2, -std::f64::consts::LN_2),
        (&[2.0, 3.0, 4.0], &[0.2, 0.3, 0.5], 2.022_871_190_191_441_6, -1.312_553_395_814_393),
        (&[0.5, 0.5], &[0.1, 0.9], 0.059_242_918_476_535_82, -0.241_564_475_270_490_44),
        (&[0.1, 0.1, 0.1, 0.1], &[0.7, 0.1, 0.1, 0.1], -1.676_185_588_606_257_5, -20.090_360_635_738_417),
        (&[50.0, 30.0, 20.0], &[0.5, 0.3, 0.2], 4.512_794_759_725_639, -3.541_994_251_716_303),
    ];

    #[test]
    fn scalar_log_prob_and_entropy_match_reference_values() {
        for &(alpha, x, lp, h) in CASES {
            assert!((log_prob_f64(alpha, x) - lp).abs() < 1e-11, "log_prob {alpha:?}");
            assert!((entropy_f64(alpha) - h).abs() < 1e-11, "entropy {alpha:?}");
        }
    }

    #[test]
    fn tensor_log_prob_and_entropy_match_reference_values() {
        let device = Device::flex();
        for &(alpha, x, lp, h) in CASES {
            let dist = Dirichlet::new(tensor2(&[alpha, alpha], &device));
            let got_lp = to_vec(dist.log_prob(tensor2(&[x, x], &device)));
            let got_h = to_vec(dist.entropy());
            assert_eq!((got_lp.len(), got_h.len()), (2, 2));
            for i in 0..2 {
                assert!((got_lp[i] - lp).abs() < 1e-4 * (1.0 + lp.abs()), "{alpha:?}: {got_lp:?} vs {lp}");
                assert!((got_h[i] - h).abs() < 1e-4 * (1.0 + h.abs()), "{alpha:?}: {got_h:?} vs {h}");
            }
        }
    }

    #[test]
    fn rows_are_independent_and_uniform_density_is_ln2_everywhere() {
        let device = Device::flex();
        let alpha = tensor2(&[&[1.0, 1.0, 1.0], &[2.0, 3.0, 4.0], &[1.0, 1.0, 1.0]], &device);
        let x = tensor2(&[&[0.01, 0.01, 0.98], &[0.2, 0.3, 0.5], &[0.6, 0.3, 0.1]], &device);
        let lp = to_vec(Dirichlet::new(alpha).log_prob(x));
        let ln2 = std::f64::consts::LN_2;
        assert!((lp[0] - ln2).abs() < 1e-5 && (lp[2] - ln2).abs() < 1e-5, "{lp:?}");
        assert!((lp[1] - 2.022_871_19).abs() < 1e-4, "{lp:?}");
    }

    #[test]
    fn log_prob_clamps_boundary_points_like_rllib() {
        let device = Device::flex();
        let alpha: &[f64] = &[0.5, 2.0, 1.0];
        let x: &[f64] = &[0.0, 0.4, 0.6];
        let lp = to_vec(Dirichlet::new(tensor2(&[alpha], &device)).log_prob(tensor2(&[x], &device)));
        let want = log_prob_f64(alpha, x);
        assert!(want.is_finite() && want > 5.0, "x₀ = 0 is clamped to 1e-7: {want}");
        assert!((lp[0] - want).abs() < 1e-4 * want.abs(), "{} vs {want}", lp[0]);
    }

    #[test]
    fn mean_is_alpha_over_its_sum() {
        let device = Device::flex();
        let mean = to_vec(Dirichlet::new(tensor2(&[&[2.0, 3.0, 5.0]], &device)).mean());
        for (m, want) in mean.iter().zip([0.2, 0.3, 0.5]) {
            assert!((m - want).abs() < 1e-6);
        }
    }

    #[test]
    fn entropy_gradient_matches_finite_differences() {
        let device = Device::flex().autodiff();
        let alpha: [f64; 3] = [0.7, 2.0, 5.0];
        let a = tensor2(&[&alpha], &device).require_grad();
        let grads = Dirichlet::new(a.clone()).entropy().sum().backward();
        let g = to_vec(a.grad(&grads).unwrap());
        for i in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (alpha, alpha);
            up[i] += h;
            down[i] -= h;
            let fd = (entropy_f64(&up) - entropy_f64(&down)) / (2.0 * h);
            assert!((g[i] - fd).abs() < 1e-3 * (1.0 + fd.abs()), "∂H/∂α{i} = {}, fd = {fd}", g[i]);
        }
    }

    #[test]
    fn sample_mean_converges_to_alpha_over_sum() {
        let mut rng = Pcg64::seed_from_u64(7);
        let alpha = [2.0f32, 3.0, 4.0];
        let n = 20_000;
        let mut acc = [0.0f64; 3];
        for _ in 0..n {
            let x = sample(&alpha, &mut rng).unwrap();
            assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            acc.iter_mut().zip(&x).for_each(|(s, v)| *s += v);
        }
        for (i, want) in [2.0 / 9.0, 3.0 / 9.0, 4.0 / 9.0].iter().enumerate() {
            let got = acc[i] / n as f64;
            assert!((got - want).abs() < 0.01 * want, "mean[{i}] = {got}, want {want}");
        }
    }

    #[test]
    fn small_concentrations_still_give_valid_simplex_points() {
        let mut rng = Pcg64::seed_from_u64(11);
        for alpha in [[1e-3f64; 4], [1e-7, 1e-7, 5.0, 1e-7], [1e-30, 1e-30, 1e-30, 1e-30]] {
            for _ in 0..2_000 {
                let x = sample(&alpha, &mut rng).unwrap();
                assert!(x.iter().all(|v| v.is_finite() && *v >= 0.0), "{x:?}");
                assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{x:?}");
            }
        }
        let big = sample(&[1e12f64, 1e12], &mut rng).unwrap();
        assert!((big[0] - 0.5).abs() < 1e-4);
    }

    #[test]
    fn invalid_concentrations_are_errors() {
        let mut rng = Pcg64::seed_from_u64(1);
        assert_eq!(sample::<f64, _>(&[], &mut rng), Err(DirichletError::Empty));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = sample(&[1.0, bad], &mut rng).unwrap_err();
            assert!(matches!(err, DirichletError::BadConcentration { index: 1, .. }), "{err}");
        }
    }

    #[test]
    fn batched_sample_reads_rows_from_the_tensor() {
        let device = Device::flex();
        let dist = Dirichlet::new(tensor2(&[&[1.0, 1.0], &[5.0, 1.0], &[0.01, 0.01]], &device));
        let xs = dist.sample(&mut Pcg64::seed_from_u64(3)).unwrap();
        assert_eq!(xs.len(), 3);
        assert!(xs.iter().all(|x| x.len() == 2 && (x.iter().sum::<f64>() - 1.0).abs() < 1e-12));
    }
}
