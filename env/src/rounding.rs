//! Turning fractions of a whole number of requests into integer counts.

/// Largest-remainder rounding: `n_i = floor(p_i·total)`, then the leftover
/// units go one each to the largest fractional parts (ties: lower index first,
/// cycling if needed). The result always sums to `total`. `out` is overwritten.
///
/// `fractions` must be finite and non-negative (a [`crate::Decision`] is).
pub fn largest_remainder(total: u32, fractions: &[f64], out: &mut Vec<u32>) {
    out.clear();
    let t = total as f64;
    let mut assigned: u64 = 0;
    for &p in fractions {
        let n = (p * t).floor().max(0.0) as u64;
        let n = n.min(total as u64);
        out.push(n as u32);
        assigned += n;
    }
    if out.is_empty() {
        return;
    }
    if assigned > total as u64 {
        // Only possible if the fractions sum above one beyond tolerance; take
        // the excess back from the largest counts so the sum stays `total`.
        let mut excess = assigned - total as u64;
        while excess > 0 {
            let i = (0..out.len()).max_by_key(|&i| (out[i], std::cmp::Reverse(i))).unwrap();
            out[i] -= 1;
            excess -= 1;
        }
        return;
    }
    let mut rem = total as u64 - assigned;
    if rem == 0 {
        return;
    }
    // Order indices by fractional part, descending; stable so ties keep the lower index first.
    let mut order: Vec<usize> = (0..fractions.len()).collect();
    let frac = |i: usize| fractions[i] * t - (fractions[i] * t).floor();
    order.sort_by(|&a, &b| frac(b).partial_cmp(&frac(a)).unwrap_or(std::cmp::Ordering::Equal));
    let mut k = 0;
    while rem > 0 {
        out[order[k % order.len()]] += 1;
        rem -= 1;
        k += 1;
    }
}

/// The paise2025 (v1) rounding: floor every part, then give the whole
/// remainder to the single part with the largest fractional part (first on ties).
pub fn remainder_to_argmax(total: u32, fractions: &[f64], out: &mut Vec<u32>) {
    out.clear();
    let t = total as f64;
    let mut assigned: u64 = 0;
    let mut best = 0;
    let mut best_frac = f64::NEG_INFINITY;
    for (i, &p) in fractions.iter().enumerate() {
        let x = p * t;
        let n = x.floor().max(0.0) as u64;
        out.push(n as u32);
        assigned += n;
        let f = x - x.floor();
        if f > best_frac {
            best_frac = f;
            best = i;
        }
    }
    if !out.is_empty() && assigned < total as u64 {
        out[best] += (total as u64 - assigned) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lr(total: u32, p: &[f64]) -> Vec<u32> {
        let mut v = Vec::new();
        largest_remainder(total, p, &mut v);
        v
    }

    #[test]
    fn marl_dfaas_examples() {
        assert_eq!(lr(10, &[0.33, 0.33, 0.34]), vec![3, 3, 4]);
        assert_eq!(lr(7, &[0.5, 0.5, 0.0]), vec![4, 3, 0]);
    }

    #[test]
    fn ties_go_to_lower_index_and_sum_is_exact() {
        assert_eq!(lr(2, &[1.0 / 3.0; 3]), vec![1, 1, 0]);
        assert_eq!(lr(1, &[0.25; 4]), vec![1, 0, 0, 0]);
        assert_eq!(lr(0, &[0.5, 0.5]), vec![0, 0]);
        for total in [0u32, 1, 7, 63, 150, 1000] {
            let p = [0.123, 0.456, 0.0, 0.421];
            assert_eq!(lr(total, &p).iter().sum::<u32>(), total);
        }
    }

    #[test]
    fn largest_fraction_wins() {
        // 10·(0.14, 0.26, 0.6) = (1.4, 2.6, 6.0): one leftover unit → index 1.
        assert_eq!(lr(10, &[0.14, 0.26, 0.6]), vec![1, 3, 6]);
    }

    #[test]
    fn v1_gives_whole_remainder_to_one() {
        let mut v = Vec::new();
        remainder_to_argmax(10, &[0.35, 0.35, 0.3], &mut v);
        // floors (3,3,3), remainder 1 → first largest fraction (index 0).
        assert_eq!(v, vec![4, 3, 3]);
        remainder_to_argmax(11, &[0.39, 0.39, 0.22], &mut v);
        // 4.29, 4.29, 2.42 → floors (4,4,2), remainder 1 → index 2 (0.42).
        assert_eq!(v, vec![4, 4, 3]);
    }
}
