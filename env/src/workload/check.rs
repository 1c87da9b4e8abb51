//! Parameter checks shared by the generators: every failure names the file,
//! the field (`workload.<name>`) and the value.

use std::path::Path;

use crate::error::ConfigError;
use crate::per_node::PerNode;

/// Checks a per-node parameter (length, finite, `>= lo`) and expands it to
/// one value per agent.
pub(super) fn per_node(
    file: &Path,
    field: &str,
    v: &PerNode<f64>,
    n: usize,
    lo: f64,
    unit: &str,
) -> Result<Vec<f64>, ConfigError> {
    if let Some(len) = v.explicit_len()
        && len != n
    {
        return Err(ConfigError::invalid(
            file,
            format!("workload.{field}"),
            format!("{len} values"),
            format!("need one value, or one per node ({n})"),
        ));
    }
    if let Some(why) = v.draw_problem() {
        return Err(ConfigError::invalid(file, format!("workload.{field}"), "a draw", why));
    }
    let values: Vec<f64> = v.values(n);
    for (i, &x) in values.iter().enumerate() {
        let name = match v {
            PerNode::One(_) => format!("workload.{field}"),
            PerNode::Each(_) => format!("workload.{field}[{i}]"),
            PerNode::Drawn(_) => format!("workload.{field} (drawn for node {i})"),
        };
        at_least(file, &name, x, lo, unit)?;
    }
    Ok(values)
}

/// `x` must be finite and at least `lo`.
pub(super) fn at_least(file: &Path, field: &str, x: f64, lo: f64, unit: &str) -> Result<(), ConfigError> {
    if !(x.is_finite() && x >= lo) {
        let what = if lo == 0.0 { "non-negative".to_string() } else { format!("at least {lo}") };
        return Err(ConfigError::invalid(file, field, x, format!("must be a finite, {what} {unit}")));
    }
    Ok(())
}

/// `lo <= hi`, naming `hi_field` in the error.
pub(super) fn ordered(file: &Path, lo_field: &str, lo: f64, hi_field: &str, hi: f64) -> Result<(), ConfigError> {
    if lo > hi {
        return Err(ConfigError::invalid(file, hi_field, hi, format!("must not be below `{lo_field}` ({lo})")));
    }
    Ok(())
}

/// The value for agent `i` of an expanded per-node list (the last one if the
/// list is shorter, 0 if it is empty).
pub(super) fn at(v: &[f64], i: usize) -> f64 {
    v.get(i).or(v.last()).copied().unwrap_or(0.0)
}

/// Counts per slot from expected (fractional) counts per slot, by rounding
/// the running total: `c_k = round(S_{k+1}) − round(S_k)`. Integer inputs are
/// kept exactly; fractional ones keep their total (0.3 requests per slot
/// gives 0, 1, 0, 0, 1, … rather than always 0).
pub(super) fn cumulative_round(expected: impl IntoIterator<Item = f64>) -> Vec<u32> {
    let mut sum = 0.0f64;
    let mut prev = 0.0f64;
    expected
        .into_iter()
        .map(|e| {
            sum += if e.is_finite() && e > 0.0 { e } else { 0.0 };
            let r = (sum + 0.5).floor();
            let c = r - prev;
            prev = r;
            sat_u32(c)
        })
        .collect()
}

/// A non-negative float as `u32` (NaN and negatives give 0, saturating above).
pub(super) fn sat_u32(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 { 0 } else { x as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_round_keeps_totals() {
        assert_eq!(cumulative_round([5.0; 4]), vec![5, 5, 5, 5]);
        let c = cumulative_round([0.3; 10]);
        assert_eq!(c.iter().sum::<u32>(), 3);
        assert!(c.iter().all(|&x| x <= 1));
        assert_eq!(cumulative_round([2.5; 4]).iter().sum::<u32>(), 10);
        assert_eq!(cumulative_round([f64::NAN, -1.0, 1.0]), vec![0, 0, 1]);
    }

    #[test]
    fn per_node_errors_name_field_and_value() {
        let f = Path::new("s.toml");
        let e = per_node(f, "rate_rps", &PerNode::Each(vec![1.0, 2.0]), 3, 0.0, "rps").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("workload.rate_rps") && msg.contains("2 values"), "{msg}");
        let e = per_node(f, "rate_rps", &PerNode::Each(vec![1.0, -2.0]), 2, 0.0, "rps").unwrap_err();
        assert!(e.to_string().contains("workload.rate_rps[1]") && e.to_string().contains("-2"));
        let e = per_node(f, "rate_rps", &PerNode::One(f64::NAN), 2, 0.0, "rps").unwrap_err();
        assert!(e.to_string().contains("NaN"));
        assert_eq!(per_node(f, "x", &PerNode::One(2.0), 3, 0.0, "").unwrap(), vec![2.0; 3]);
    }
}
