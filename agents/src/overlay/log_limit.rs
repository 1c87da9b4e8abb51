//! Rate-limited warnings: a peer that keeps failing (a denied dialer, a
//! sender of malformed gossip) gets one log line per window, with the count
//! of what was suppressed, instead of one per attempt.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Most keys remembered; beyond, the oldest windows are forgotten (memory
/// stays bounded whatever the number of distinct sources).
pub const MAX_KEYS: usize = 1024;

/// One window per key.
#[derive(Debug)]
pub struct LogLimiter {
    every: Duration,
    /// Per key: when its window opened and how many lines it suppressed since.
    windows: HashMap<String, (Instant, u64)>,
}

impl LogLimiter {
    pub fn new(every: Duration) -> Self {
        Self { every, windows: HashMap::new() }
    }

    /// Whether to log now for `key`: `Some(n)` with the `n` lines suppressed
    /// since the last one logged, or `None` to stay quiet.
    pub fn allow(&mut self, key: &str, now: Instant) -> Option<u64> {
        if let Some((opened, suppressed)) = self.windows.get_mut(key) {
            if now.saturating_duration_since(*opened) < self.every {
                *suppressed += 1;
                return None;
            }
            let n = *suppressed;
            *opened = now;
            *suppressed = 0;
            return Some(n);
        }
        if self.windows.len() >= MAX_KEYS {
            let every = self.every;
            self.windows.retain(|_, (opened, _)| now.saturating_duration_since(*opened) < every);
            if self.windows.len() >= MAX_KEYS {
                self.windows.clear();
            }
        }
        self.windows.insert(key.to_string(), (now, 0));
        Some(0)
    }

    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_window_with_the_suppressed_count() {
        let mut l = LogLimiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(l.allow("a", t0), Some(0));
        for k in 1..=16 {
            assert_eq!(l.allow("a", t0 + Duration::from_millis(600 * k)), None, "attempt {k}: within the window");
        }
        assert_eq!(l.allow("b", t0), Some(0), "another source has its own window");
        assert_eq!(l.allow("a", t0 + Duration::from_secs(10)), Some(16));
        assert_eq!(l.allow("a", t0 + Duration::from_secs(11)), None);
    }

    #[test]
    fn memory_is_bounded_by_the_key_count() {
        let mut l = LogLimiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..10 * MAX_KEYS {
            assert_eq!(l.allow(&format!("10.0.{}.{}:4001", i / 256, i % 256), t0), Some(0));
            assert!(l.len() <= MAX_KEYS);
        }
    }
}
