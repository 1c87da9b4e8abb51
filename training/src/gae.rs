//! Generalised advantage estimation (Schulman et al. 2016).

/// Advantages and returns of one trajectory of one agent.
///
/// `rewards[t]`, `values[t]` = V(s_t), `dones[t]` = the episode ended after
/// step t (terminated: no bootstrap), `last_value` = V(s_T) after the last
/// step (used only if the trajectory was cut without termination).
/// `A_t = δ_t + γλ(1 − done_t)A_{t+1}`, `δ_t = r_t + γ(1 − done_t)V(s_{t+1}) − V(s_t)`,
/// returns `R_t = A_t + V(s_t)`.
#[allow(clippy::too_many_arguments)]
pub fn gae(
    rewards: &[f32],
    values: &[f32],
    dones: &[bool],
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
        let not_done = if dones[t] { 0.0 } else { 1.0 };
        let delta = rewards[t] + gamma * not_done * next_value - values[t];
        let a = delta + gamma * lambda * not_done * next_adv;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_trajectory() {
        // γ = 0.5, λ = 0.5, three steps, terminated at the end.
        // V = (1, 2, 3), r = (1, 1, 1).
        // δ2 = 1 + 0 − 3 = −2                       A2 = −2
        // δ1 = 1 + 0.5·3 − 2 = 0.5                  A1 = 0.5 + 0.25·(−2) = 0
        // δ0 = 1 + 0.5·2 − 1 = 1                    A0 = 1 + 0.25·0 = 1
        let (mut a, mut r) = (Vec::new(), Vec::new());
        gae(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], &[false, false, true], 99.0, 0.5, 0.5, &mut a, &mut r);
        assert_eq!(a, vec![1.0, 0.0, -2.0]);
        assert_eq!(r, vec![2.0, 2.0, 1.0]);
    }

    #[test]
    fn bootstraps_when_not_done_and_resets_at_episode_boundaries() {
        // Two episodes back to back: the first ends at t=0.
        let (mut a, mut r) = (Vec::new(), Vec::new());
        gae(&[1.0, 0.0], &[0.0, 0.0], &[true, false], 10.0, 0.9, 1.0, &mut a, &mut r);
        // t=1: δ = 0 + 0.9·10 − 0 = 9; t=0: δ = 1 (done), no carry.
        assert_eq!(a, vec![1.0, 9.0]);
        // λ = 1, V = 0: advantages are discounted returns.
        gae(&[1.0, 1.0, 1.0], &[0.0; 3], &[false, false, true], 0.0, 0.5, 1.0, &mut a, &mut r);
        assert_eq!(a, vec![1.75, 1.5, 1.0]);
    }

    #[test]
    fn normalisation() {
        let mut a = vec![1.0, 2.0, 3.0];
        normalize(&mut a);
        assert!((a.iter().sum::<f32>()).abs() < 1e-6);
        assert!((a[2] - 1.224_744_9).abs() < 1e-5);
    }
}
