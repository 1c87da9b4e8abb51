//! Generalised advantage estimation (Schulman et al. 2016), with episodes
//! that end by termination (no bootstrap) or by truncation at the time limit
//! (bootstrapped from the value of the real final observation).

/// How a step ends its trajectory segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepEnd {
    /// The episode goes on: the next step's value bootstraps this one.
    Continue,
    /// A terminal state: nothing follows (V(s_{t+1}) = 0).
    Terminated,
    /// Cut at the time limit: `final_value` = V(s_{t+1}) of the real final
    /// observation bootstraps the step; nothing carries across the boundary.
    Truncated { final_value: f32 },
}

/// Advantages and returns of one trajectory of one agent.
///
/// `rewards[t]`, `values[t]` = V(s_t), `ends[t]` says how step t ends,
/// `last_value` = V(s_T) after the last step if the trajectory was cut with
/// `Continue` (a rollout that stopped mid-episode).
/// `A_t = δ_t + γλ·c_t·A_{t+1}` and `δ_t = r_t + γ·V'_{t+1} − V(s_t)`, where
/// `V'_{t+1}` is the next value (0 at a termination, the final observation's
/// value at a truncation) and `c_t` is 0 at any episode end. Returns
/// `R_t = A_t + V(s_t)`.
#[allow(clippy::too_many_arguments)]
pub fn gae(
    rewards: &[f32],
    values: &[f32],
    ends: &[StepEnd],
    last_value: f32,
    gamma: f32,
    lambda: f32,
    advantages: &mut Vec<f32>,
    returns: &mut Vec<f32>,
) {
    let n = rewards.len();
    advantages.clear();
    advantages.resize(n, 0.0);
    returns.clear();
    returns.resize(n, 0.0);
    let mut next_adv = 0.0f32;
    let mut next_value = last_value;
    for t in (0..n).rev() {
        let (bootstrap, carry) = match ends[t] {
            StepEnd::Continue => (next_value, 1.0),
            StepEnd::Terminated => (0.0, 0.0),
            StepEnd::Truncated { final_value } => (final_value, 0.0),
        };
        let delta = rewards[t] + gamma * bootstrap - values[t];
        let a = delta + gamma * lambda * carry * next_adv;
        advantages[t] = a;
        returns[t] = a + values[t];
        next_adv = a;
        next_value = values[t];
    }
}

/// Normalises advantages to zero mean and unit standard deviation (in place).
pub fn normalize(advantages: &mut [f32]) {
    let n = advantages.len();
    if n < 2 {
        return;
    }
    let mean = advantages.iter().map(|&a| a as f64).sum::<f64>() / n as f64;
    let var = advantages.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    let std = var.sqrt().max(1e-8);
    for a in advantages {
        *a = ((*a as f64 - mean) / std) as f32;
    }
}

/// Explained variance `1 − Var[R − V] / Var[R]` of value predictions (as
/// CleanRL logs it); NaN when the returns do not vary.
pub fn explained_variance(values: &[f32], returns: &[f32]) -> f64 {
    let n = returns.len().min(values.len());
    if n == 0 {
        return f64::NAN;
    }
    let var = |f: &dyn Fn(usize) -> f64| {
        let m = (0..n).map(f).sum::<f64>() / n as f64;
        (0..n).map(|i| (f(i) - m).powi(2)).sum::<f64>() / n as f64
    };
    let vr = var(&|i| returns[i] as f64);
    if vr == 0.0 {
        return f64::NAN;
    }
    1.0 - var(&|i| returns[i] as f64 - values[i] as f64) / vr
}

#[cfg(test)]
mod tests {
    use super::*;
    use StepEnd::*;

    #[test]
    fn hand_worked_trajectory() {
        // γ = 0.5, λ = 0.5, three steps, terminated at the end.
        // V = (1, 2, 3), r = (1, 1, 1).
        // δ2 = 1 + 0 − 3 = −2                       A2 = −2
        // δ1 = 1 + 0.5·3 − 2 = 0.5                  A1 = 0.5 + 0.25·(−2) = 0
        // δ0 = 1 + 0.5·2 − 1 = 1                    A0 = 1 + 0.25·0 = 1
        let (mut a, mut r) = (Vec::new(), Vec::new());
        gae(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], &[Continue, Continue, Terminated], 99.0, 0.5, 0.5, &mut a, &mut r);
        assert_eq!(a, vec![1.0, 0.0, -2.0]);
        assert_eq!(r, vec![2.0, 2.0, 1.0]);
    }

    #[test]
    fn truncation_bootstraps_from_the_final_observation() {
        // The same three steps cut by the time limit, V(s_3) = 4 (the final
        // observation), γ = 0.5, λ = 0.5:
        // δ2 = 1 + 0.5·4 − 3 = 0                    A2 = 0
        // δ1 = 1 + 0.5·3 − 2 = 0.5                  A1 = 0.5 + 0.25·0 = 0.5
        // δ0 = 1 + 0.5·2 − 1 = 1                    A0 = 1 + 0.25·0.5 = 1.125
        let (mut a, mut r) = (Vec::new(), Vec::new());
        let ends = [Continue, Continue, Truncated { final_value: 4.0 }];
        gae(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], &ends, 99.0, 0.5, 0.5, &mut a, &mut r);
        assert_eq!(a, vec![1.125, 0.5, 0.0]);
        assert_eq!(r, vec![2.125, 2.5, 3.0]);
        // Treated as a termination instead, the last step would lose γ·V(s_3) = 2.
        gae(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], &[Continue, Continue, Terminated], 99.0, 0.5, 0.5, &mut a, &mut r);
        assert_eq!(a[2], -2.0);
    }

    #[test]
    fn nothing_carries_across_episode_boundaries() {
        // Two episodes back to back: the first truncated at t=0 with V = 2, the
        // second cut mid-episode (last_value 10). γ = 0.9, λ = 1, V = 0.
        let (mut a, mut r) = (Vec::new(), Vec::new());
        gae(&[1.0, 0.0], &[0.0, 0.0], &[Truncated { final_value: 2.0 }, Continue], 10.0, 0.9, 1.0, &mut a, &mut r);
        // t=1: δ = 0 + 0.9·10 = 9; t=0: δ = 1 + 0.9·2 = 2.8, no carry of A1.
        assert_eq!(a, vec![2.8, 9.0]);
        // λ = 1, V = 0, terminated: advantages are discounted returns.
        gae(&[1.0, 1.0, 1.0], &[0.0; 3], &[Continue, Continue, Terminated], 0.0, 0.5, 1.0, &mut a, &mut r);
        assert_eq!(a, vec![1.75, 1.5, 1.0]);
    }

    #[test]
    fn gamma_zero_is_a_bandit() {
        // γ = 0: A_t = r_t − V(s_t) whatever follows.
        let (mut a, mut r) = (Vec::new(), Vec::new());
        gae(&[1.0, 2.0], &[0.5, 0.5], &[Continue, Truncated { final_value: 7.0 }], 3.0, 0.0, 0.9, &mut a, &mut r);
        assert_eq!(a, vec![0.5, 1.5]);
        assert_eq!(r, vec![1.0, 2.0]);
    }

    #[test]
    fn normalisation_and_explained_variance() {
        let mut a = vec![1.0, 2.0, 3.0];
        normalize(&mut a);
        assert!((a.iter().sum::<f32>()).abs() < 1e-6);
        assert!((a[2] - 1.224_744_9).abs() < 1e-5);
        assert_eq!(explained_variance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 1.0);
        // V constant: explains nothing.
        assert_eq!(explained_variance(&[5.0, 5.0, 5.0], &[1.0, 2.0, 3.0]), 0.0);
        assert!(explained_variance(&[1.0, 2.0], &[1.0, 1.0]).is_nan());
    }
}
