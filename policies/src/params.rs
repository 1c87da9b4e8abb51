//! Typed access to a spec's parameters, with errors naming key and value.

use crate::heuristics::Overflow;
use crate::{PolicyError, PolicySpec};

/// A spec's parameters, read on behalf of one policy.
pub(crate) struct Params<'a> {
    spec: &'a PolicySpec,
}

impl<'a> Params<'a> {
    /// Checks that every given key is one of `allowed`.
    pub(crate) fn new(spec: &'a PolicySpec, allowed: &[&str]) -> Result<Self, PolicyError> {
        if let Some((key, _)) = spec.params().iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(PolicyError::UnknownParam {
                policy: spec.name().to_string(),
                key: key.clone(),
                known: if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") },
            });
        }
        Ok(Self { spec })
    }

    fn bad(&self, key: &str, value: &str, reason: &str) -> PolicyError {
        PolicyError::BadValue {
            policy: self.spec.name().to_string(),
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A finite number in `[min, max]`, or `default` when absent.
    pub(crate) fn number(&self, key: &str, default: f64, min: f64, max: f64) -> Result<f64, PolicyError> {
        let Some(text) = self.spec.get(key) else {
            return Ok(default);
        };
        let value: f64 = text.parse().map_err(|_| self.bad(key, text, "not a number"))?;
        if !value.is_finite() || value < min || value > max {
            return Err(self.bad(key, text, &format!("must be a finite number in [{min}, {max}]")));
        }
        Ok(value)
    }

    /// A number strictly above `min` and at most `max`, or `default` when absent.
    pub(crate) fn positive(&self, key: &str, default: f64, min: f64, max: f64) -> Result<f64, PolicyError> {
        let value = self.number(key, default, min, max)?;
        match self.spec.get(key) {
            Some(text) if value <= min => Err(self.bad(key, text, &format!("must be in ({min}, {max}]"))),
            _ => Ok(value),
        }
    }

    /// An integer at least `min`, or `default` when absent.
    pub(crate) fn integer(&self, key: &str, default: usize, min: usize) -> Result<usize, PolicyError> {
        let Some(text) = self.spec.get(key) else {
            return Ok(default);
        };
        let value: usize = text.parse().map_err(|_| self.bad(key, text, "not a non-negative integer"))?;
        if value < min {
            return Err(self.bad(key, text, &format!("must be at least {min}")));
        }
        Ok(value)
    }

    /// The `overflow` parameter: `local` (default) or `reject`.
    pub(crate) fn overflow(&self) -> Result<Overflow, PolicyError> {
        match self.spec.get("overflow") {
            None | Some("local") => Ok(Overflow::Local),
            Some("reject") => Ok(Overflow::Reject),
            Some(other) => Err(self.bad("overflow", other, "expected `local` or `reject`")),
        }
    }
}
