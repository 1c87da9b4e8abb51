//! marl-dfaas's `scale_down`: caps the federation's total input per slot.

/// For every slot whose total over agents exceeds `per_agent·N`, rescales
/// the agents' counts proportionally (`clip(round(r·cap/Σ), min, max)`, ties
/// to even as numpy) and then adds or removes one request per agent, in
/// agent order, pass after pass, until the total is exactly `per_agent·N`.
///
/// `traces` is `[agent][slot]`. Returns the number of slots rescaled. The
/// exact total is reachable when `min <= per_agent <= max`; otherwise the
/// corrections stop once no agent can move.
pub fn scale_down(traces: &mut [Vec<u32>], per_agent: u32, min: u32, max: u32) -> usize {
    let n = traces.len();
    let steps = traces.iter().map(Vec::len).min().unwrap_or(0);
    let cap = per_agent as u64 * n as u64;
    let mut rescaled = 0;
    for t in 0..steps {
        let total: u64 = traces.iter().map(|tr| tr[t] as u64).sum();
        if total <= cap {
            continue;
        }
        rescaled += 1;
        let ratio = cap as f64 / total as f64;
        for tr in traces.iter_mut() {
            let v = (tr[t] as f64 * ratio).round_ties_even();
            tr[t] = (v.max(0.0) as u32).clamp(min, max.max(min));
        }
        let mut diff: i64 = cap as i64 - traces.iter().map(|tr| tr[t] as i64).sum::<i64>();
        while diff != 0 {
            let mut moved = false;
            for tr in traces.iter_mut() {
                if diff == 0 {
                    break;
                }
                if diff > 0 && tr[t] < max {
                    tr[t] += 1;
                    diff -= 1;
                    moved = true;
                } else if diff < 0 && tr[t] > min {
                    tr[t] -= 1;
                    diff += 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
    }
    rescaled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_total_exactly_and_keeps_small_slots() {
        let mut tr = vec![vec![150, 10], vec![150, 10], vec![1, 10]];
        let n = scale_down(&mut tr, 63, 1, 150);
        assert_eq!(n, 1);
        assert_eq!(tr[0][0] + tr[1][0] + tr[2][0], 189);
        assert_eq!((tr[0][1], tr[1][1], tr[2][1]), (10, 10, 10));
        assert!(tr.iter().all(|a| a.iter().all(|&v| (1..=150).contains(&v))));
    }

    #[test]
    fn unreachable_cap_terminates() {
        let mut tr = vec![vec![200], vec![200]];
        scale_down(&mut tr, 100, 1, 50);
        assert_eq!((tr[0][0], tr[1][0]), (50, 50));
        let mut empty: Vec<Vec<u32>> = vec![];
        assert_eq!(scale_down(&mut empty, 63, 1, 150), 0);
    }
}
