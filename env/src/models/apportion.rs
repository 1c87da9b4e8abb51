//! Sharing a whole number of rejections among incoming flows.

/// Splits `total` rejections among `flows` in proportion to their sizes:
/// floor first, then the leftover one at a time to the largest fractional
/// parts, ties to the lowest index (index 0 is the node's own local flow).
/// No flow gets more than its size; `out` is overwritten.
pub fn proportional(total: u32, flows: &[u32], out: &mut Vec<u32>) {
    out.clear();
    out.resize(flows.len(), 0);
    let sum: u64 = flows.iter().map(|&f| f as u64).sum();
    if sum == 0 || total == 0 {
        return;
    }
    let total = (total as u64).min(sum);
    let mut assigned = 0u64;
    // Fractional parts as exact rationals (numerator over `sum`).
    let mut rems: Vec<(u64, usize)> = Vec::with_capacity(flows.len());
    for (i, &f) in flows.iter().enumerate() {
        let num = total * f as u64;
        let q = num / sum;
        out[i] = q as u32;
        assigned += q;
        rems.push((num % sum, i));
    }
    let mut left = total - assigned;
    // Largest remainder first; ties keep the lower index (stable sort on the key).
    rems.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut k = 0;
    while left > 0 {
        let i = rems[k % rems.len()].1;
        if out[i] < flows[i] {
            out[i] += 1;
            left -= 1;
        }
        k += 1;
    }
}

/// Serves flows in order until `capacity` is used up; the rest of each flow
/// is rejected (`out[i]` = rejections of flow `i`).
pub fn in_order(capacity: u32, flows: &[u32], out: &mut Vec<u32>) {
    out.clear();
    let mut left = capacity;
    for &f in flows {
        let served = f.min(left);
        left -= served;
        out.push(f - served);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_floor_then_largest_remainder() {
        let mut v = Vec::new();
        proportional(5, &[10, 10, 10], &mut v);
        // 5/3 each = 1.67: floors (1,1,1), 2 left → indices 0 and 1 (ties low first).
        assert_eq!(v, vec![2, 2, 1]);
        proportional(3, &[1, 9], &mut v);
        // 0.3 and 2.7: floors (0,2), 1 left → index 1 (larger remainder).
        assert_eq!(v, vec![0, 3]);
        proportional(0, &[1, 2], &mut v);
        assert_eq!(v, vec![0, 0]);
        proportional(10, &[2, 3], &mut v);
        assert_eq!(v, vec![2, 3], "never more than the flows hold");
    }

    #[test]
    fn in_order_serves_first_flows_first() {
        let mut v = Vec::new();
        in_order(10, &[6, 6, 6], &mut v);
        assert_eq!(v, vec![0, 2, 6]);
    }
}
