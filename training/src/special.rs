//! Log-gamma and digamma, on burn tensors and on `f64` scalars.
//!
//! burn 0.22 has neither function, so the tensor versions are built from
//! elementwise primitives (add, mul, recip, log) and are therefore
//! differentiable through autodiff. Both use the same scheme: shift the argument
//! up by [`SHIFT`] with the recurrence Γ(x+1) = xΓ(x), then apply the
//! asymptotic (Stirling) series, which is accurate once the argument is ≥ 8.
//!
//! Domain: x > 0. The tensor versions are meant for f32 and stay accurate
//! (about 1e-6 absolute near 1, 1e-7 relative for large x) for 1e-7 ≤ x ≤ 1e9;
//! beyond 1e9 the shifted product overflows f32. Nothing is checked: x ≤ 0
//! gives NaN or garbage.

use burn::tensor::Tensor;

/// How far the tensor versions shift x before the asymptotic series.
pub const SHIFT: usize = 8;

/// ½·ln(2π).
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// ln Γ(x), elementwise, for x > 0.
///
/// ln Γ(x) = ln Γ(x+8) − ln[x(x+1)…(x+7)], with ln Γ(z) for z ≥ 8 from
/// Stirling's series to the z⁻⁵ term (truncation error < 3e-10). The product
/// is taken in two groups of four so that it cannot overflow below x ≈ 1e9.
pub fn lgamma<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let shifted = |k: f64| x.clone().add_scalar(k);
    let p1 = x.clone() * shifted(1.0) * shifted(2.0) * shifted(3.0);
    let p2 = shifted(4.0) * shifted(5.0) * shifted(6.0) * shifted(7.0);
    let z = shifted(SHIFT as f64);
    let zinv = z.clone().recip();
    let zinv2 = zinv.clone().square();
    // 1/(12z) − 1/(360z³) + 1/(1260z⁵), in Horner form.
    let series =
        zinv * zinv2.clone().mul_scalar(1.0 / 1260.0).sub_scalar(1.0 / 360.0).mul(zinv2).add_scalar(1.0 / 12.0);
    let stirling = z.clone().sub_scalar(0.5) * z.clone().log() - z + series;
    stirling.add_scalar(HALF_LN_2PI) - p1.log() - p2.log()
}

/// ψ(x) = d/dx ln Γ(x), elementwise, for x > 0.
///
/// ψ(x) = ψ(x+8) − Σ_{i<8} 1/(x+i), with ψ(z) for z ≥ 8 from the asymptotic
/// series to the z⁻⁶ term (truncation error < 3e-10).
pub fn digamma<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let mut recips = x.clone().recip();
    for i in 1..SHIFT {
        recips = recips + x.clone().add_scalar(i as f64).recip();
    }
    let z = x.add_scalar(SHIFT as f64);
    let zinv = z.clone().recip();
    let zinv2 = zinv.clone().square();
    // −1/(2z) − 1/(12z²) + 1/(120z⁴) − 1/(252z⁶), in Horner form.
    let poly = zinv2
        .clone()
        .mul_scalar(-1.0 / 252.0)
        .add_scalar(1.0 / 120.0)
        .mul(zinv2.clone())
        .sub_scalar(1.0 / 12.0)
        .mul(zinv2);
    z.log() - zinv.mul_scalar(0.5) + poly - recips
}

/// ln Γ(x), ψ(x) and ψ′(x) (trigamma) of one x > 0, in f64, fused: one
/// shift by [`SHIFT`] shared by the three recurrences, then the asymptotic
/// series (ln Γ to z⁻⁵, ψ to z⁻⁶, ψ′ to z⁻⁷; each truncation < 3e-10 at z ≥ 8).
#[inline]
pub fn lgamma_digamma_trigamma(x: f64) -> (f64, f64, f64) {
    let (mut prod, mut recips, mut recips2) = (1.0, 0.0, 0.0);
    for i in 0..SHIFT {
        let y = x + i as f64;
        prod *= y;
        let r = 1.0 / y;
        recips += r;
        recips2 += r * r;
    }
    let z = x + SHIFT as f64;
    let zinv = 1.0 / z;
    let zinv2 = zinv * zinv;
    let ln_z = z.ln();
    let lg =
        (z - 0.5) * ln_z - z + HALF_LN_2PI + zinv * (1.0 / 12.0 - zinv2 * (1.0 / 360.0 - zinv2 / 1260.0)) - prod.ln();
    let dg = ln_z - 0.5 * zinv - zinv2 * (1.0 / 12.0 - zinv2 * (1.0 / 120.0 - zinv2 / 252.0)) - recips;
    let tg = zinv + 0.5 * zinv2 + zinv * zinv2 * (1.0 / 6.0 - zinv2 * (1.0 / 30.0 - zinv2 / 42.0)) + recips2;
    (lg, dg, tg)
}

/// ln Γ(x) and ψ(x) elementwise, for x > 0, as the training loss uses them:
/// the values are computed in f64 on the host ([`lgamma_digamma_trigamma`])
/// and enter the graph as `f(x₀) + (x − x₀)·f′(x₀)` with `x₀ = x` detached,
/// which has the exact value and the exact first derivative (ψ and ψ′) in
/// 4 tensor operations instead of the ~30 of [`lgamma`] and [`digamma`].
/// Only first derivatives are right (the PPO losses need no more).
pub fn lgamma_digamma<const D: usize>(x: Tensor<D>) -> (Tensor<D>, Tensor<D>) {
    let device = x.device();
    let shape = x.shape();
    let data = x.clone().detach().into_data().convert::<f32>();
    let xs: Vec<f32> = data.try_into_vec::<f32>().unwrap_or_default();
    let n = xs.len();
    let (mut lg, mut dg, mut tg) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for &v in &xs {
        let (a, b, c) = lgamma_digamma_trigamma(v as f64);
        lg.push(a as f32);
        dg.push(b as f32);
        tg.push(c as f32);
    }
    let constant = |v: Vec<f32>| Tensor::<D>::from_data(burn::tensor::TensorData::new(v, shape.clone()), &device);
    let (lg, dg, tg) = (constant(lg), constant(dg), constant(tg));
    let delta = x.clone() - x.detach();
    (lg + delta.clone() * dg.clone(), dg + delta * tg)
}

/// The argument at which the scalar versions switch to the asymptotic series.
const SCALAR_ASYMPTOTIC_FROM: f64 = 10.0;

/// ln Γ(x) in f64 for x > 0 (NaN otherwise); absolute error ≈ 1e-14.
pub fn lgamma_f64(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let (mut z, mut log_prod) = (x, 0.0);
    while z < SCALAR_ASYMPTOTIC_FROM {
        log_prod += z.ln();
        z += 1.0;
    }
    let zinv = 1.0 / z;
    let zinv2 = zinv * zinv;
    // Bernoulli terms B₂ₙ / (2n(2n−1) z^(2n−1)), n = 1..5.
    let series = zinv
        * (1.0 / 12.0 + zinv2 * (-1.0 / 360.0 + zinv2 * (1.0 / 1260.0 + zinv2 * (-1.0 / 1680.0 + zinv2 / 1188.0))));
    (z - 0.5) * z.ln() - z + HALF_LN_2PI + series - log_prod
}

/// ψ(x) in f64 for x > 0 (NaN otherwise); absolute error ≈ 1e-14.
pub fn digamma_f64(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let (mut z, mut recips) = (x, 0.0);
    while z < SCALAR_ASYMPTOTIC_FROM {
        recips += 1.0 / z;
        z += 1.0;
    }
    let zinv2 = 1.0 / (z * z);
    // Bernoulli terms B₂ₙ / (2n z^(2n)), n = 1..6.
    let poly = zinv2
        * (-1.0 / 12.0
            + zinv2
                * (1.0 / 120.0
                    + zinv2
                        * (-1.0 / 252.0 + zinv2 * (1.0 / 240.0 + zinv2 * (-1.0 / 132.0 + zinv2 * 691.0 / 32760.0)))));
    z.ln() - 0.5 / z + poly - recips
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    /// (x, ln Γ(x), ψ(x)) from mpmath at 25 digits.
    const TABLE: &[(f64, f64, f64)] = &[
        (1e-7, 16.118_095_593_236_76, -10_000_000.577_215_5),
        (0.001, 6.907_178_885_383_854, -1_000.575_571_931_810_3),
        (0.01, 4.599_479_878_042_022, -100.560_885_457_868_67),
        (0.5, 0.572_364_942_924_700_1, -1.963_510_026_021_423_5),
        (1.0, 0.0, -0.577_215_664_901_532_9),
        (2.0, 0.0, 0.422_784_335_098_467_1),
        (3.0, std::f64::consts::LN_2, 0.922_784_335_098_467_1),
        (10.0, 12.801_827_480_081_47, 2.251_752_589_066_721),
        (100.0, 359.134_205_369_575_4, 4.600_161_852_738_087),
    ];

    fn close(got: f64, want: f64, abs: f64, rel: f64) -> bool {
        (got - want).abs() <= abs + rel * want.abs()
    }

    #[test]
    fn fused_values_and_gradients_match() {
        for &(x, lg, dg) in TABLE {
            let (a, b, c) = lgamma_digamma_trigamma(x);
            assert!(close(a, lg, 1e-9, 1e-9), "lgamma({x}) = {a}");
            assert!(close(b, dg, 1e-9, 1e-9), "digamma({x}) = {b}");
            // ψ′ against a central difference of ψ.
            let h = 1e-4 * x;
            let fd = (digamma_f64(x + h) - digamma_f64(x - h)) / (2.0 * h);
            assert!(close(c, fd, 1e-6, 1e-5), "trigamma({x}) = {c} vs {fd}");
        }
        // ψ′(1) = π²/6.
        assert!((lgamma_digamma_trigamma(1.0).2 - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-9);
        // On tensors: same values as the pure-tensor versions, and the
        // gradient of Σ(lnΓ(x) + ψ(x)) is ψ(x) + ψ′(x).
        let device = Device::flex().autodiff();
        let xs = vec![0.001f32, 0.3, 1.0, 2.5, 40.0, 1e4];
        let x = Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device).require_grad();
        let (l, d) = lgamma_digamma(x.clone());
        let lv = l.clone().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        let dv = d.clone().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        let grads = (l + d).sum().backward();
        let g = x.grad(&grads).unwrap().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        for (i, &v) in xs.iter().enumerate() {
            let (a, b, c) = lgamma_digamma_trigamma(v as f64);
            assert!(close(lv[i] as f64, a, 1e-5, 1e-6) && close(dv[i] as f64, b, 1e-5, 1e-6), "x = {v}");
            assert!(close(g[i] as f64, b + c, 1e-4, 1e-5), "x = {v}: grad {} vs {}", g[i], b + c);
        }
    }

    #[test]
    fn scalar_versions_match_reference_values() {
        for &(x, lg, dg) in TABLE {
            assert!(close(lgamma_f64(x), lg, 1e-12, 1e-12), "lgamma({x}) = {}", lgamma_f64(x));
            assert!(close(digamma_f64(x), dg, 1e-12, 1e-12), "digamma({x}) = {}", digamma_f64(x));
        }
        assert!(lgamma_f64(0.0).is_nan() && digamma_f64(-1.0).is_nan());
    }

    #[test]
    fn scalar_versions_satisfy_recurrences_across_the_switch() {
        for i in 1..400 {
            let x = i as f64 * 0.037;
            assert!(close(lgamma_f64(x + 1.0) - lgamma_f64(x), x.ln(), 1e-13, 1e-13));
            assert!(close(digamma_f64(x + 1.0) - digamma_f64(x), 1.0 / x, 1e-12, 1e-13));
        }
    }

    fn eval(f: fn(Tensor<1>) -> Tensor<1>, xs: &[f64]) -> Vec<f32> {
        let device = Device::flex();
        let data: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        let t = Tensor::<1>::from_data(TensorData::new(data, [xs.len()]), &device);
        f(t).into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn tensor_versions_match_reference_values_in_f32() {
        let xs: Vec<f64> = TABLE.iter().map(|r| r.0).collect();
        let lg = eval(lgamma, &xs);
        let dg = eval(digamma, &xs);
        for (i, &(x, want_lg, want_dg)) in TABLE.iter().enumerate() {
            // The f32 input itself is rounded: compare with the exact value at
            // that input, then against the table with f32-sized tolerances.
            let xf = x as f32 as f64;
            assert!(close(lg[i] as f64, lgamma_f64(xf), 2e-6, 2e-6), "lgamma({x}) = {}", lg[i]);
            assert!(close(dg[i] as f64, digamma_f64(xf), 2e-6, 2e-6), "digamma({x}) = {}", dg[i]);
            assert!(close(lg[i] as f64, want_lg, 1e-5, 1e-5));
            assert!(close(dg[i] as f64, want_dg, 1e-5, 1e-5));
        }
    }

    #[test]
    fn tensor_versions_hold_over_a_wide_range() {
        let xs: Vec<f64> = (0..60).map(|i| 1e-6 * 1.5f64.powi(i)).collect(); // 1e-6 … ~2.5e4
        let lg = eval(lgamma, &xs);
        let dg = eval(digamma, &xs);
        for (i, &x) in xs.iter().enumerate() {
            let xf = x as f32 as f64;
            assert!(close(lg[i] as f64, lgamma_f64(xf), 5e-6, 2e-6), "lgamma({x}) = {}", lg[i]);
            assert!(close(dg[i] as f64, digamma_f64(xf), 5e-6, 2e-6), "digamma({x}) = {}", dg[i]);
        }
        let big = eval(lgamma, &[1e8]);
        assert!(close(big[0] as f64, lgamma_f64(1e8), 0.0, 1e-6));
    }

    #[test]
    fn autodiff_gradient_of_lgamma_is_digamma() {
        let device = Device::flex().autodiff();
        let xs = [0.003f32, 0.2, 0.5, 1.0, 2.5, 7.9, 40.0, 1234.5];
        let x = Tensor::<1>::from_data(TensorData::new(xs.to_vec(), [xs.len()]), &device).require_grad();
        let grads = lgamma(x.clone()).sum().backward();
        let g = x.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
        for (i, &xi) in xs.iter().enumerate() {
            let want = digamma_f64(xi as f64);
            assert!(close(g[i] as f64, want, 1e-5, 1e-5), "d lgamma({xi}) = {}, ψ = {want}", g[i]);
        }
    }

    #[test]
    fn autodiff_gradient_of_digamma_matches_finite_differences() {
        let device = Device::flex().autodiff();
        let xs = [0.05f32, 0.7, 3.0, 25.0];
        let x = Tensor::<1>::from_data(TensorData::new(xs.to_vec(), [xs.len()]), &device).require_grad();
        let grads = digamma(x.clone()).sum().backward();
        let g = x.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
        for (i, &xi) in xs.iter().enumerate() {
            let (x, h) = (xi as f64, 1e-5 * xi as f64);
            let trigamma = (digamma_f64(x + h) - digamma_f64(x - h)) / (2.0 * h);
            assert!(close(g[i] as f64, trigamma, 1e-4, 1e-4), "ψ'({xi}) = {}, fd = {trigamma}", g[i]);
        }
    }
}
