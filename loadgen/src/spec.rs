//! What to send, where, how fast and for how long.

use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use hyper::Uri;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};

use super::error::LoadError;
use super::schedule::Schedule;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on requests in flight at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;
/// Default cap on the number of requests of one run.
pub const DEFAULT_MAX_REQUESTS: usize = 1_000_000;

/// HTTP method of the generated requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    #[default]
    Get,
    Post,
}

impl FromStr for Method {
    type Err = LoadError;

    /// `GET` or `POST`, any case.
    fn from_str(s: &str) -> Result<Self, LoadError> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Ok(Method::Get),
            "POST" => Ok(Method::Post),
            _ => Err(LoadError::BadMethod(s.to_string())),
        }
    }
}

/// One load run: every request goes to `target` with the same method,
/// headers and body, on the times given by `rate` within `duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    /// `http://host:port/path`, e.g. `http://127.0.0.1:8080/function/echo` (no TLS).
    pub target: String,
    pub method: Method,
    pub body: Vec<u8>,
    /// Extra request headers (name, value).
    pub headers: Vec<(String, String)>,
    /// When requests are sent.
    pub rate: Schedule,
    /// Sending window; no request is sent at or after it.
    pub duration: Duration,
    /// Per-request timeout (connect to end of body). The run ends at
    /// `duration + timeout` at the latest.
    pub timeout: Duration,
    /// Safety cap: a request due while this many are in flight is not sent
    /// and is counted as dropped (the schedule never waits).
    pub max_in_flight: usize,
    /// Cap on the number of requests of the run (the schedule is cut there).
    pub max_requests: usize,
    /// Where each slot's sends fall within it (per-slot schedules).
    pub spacing: super::schedule::Spacing,
}

impl LoadSpec {
    /// GET `target` at `rate` requests per second for `duration`, with default limits.
    pub fn constant(target: impl Into<String>, rate: f64, duration: Duration) -> Self {
        Self::new(target, Schedule::Constant(rate), duration)
    }

    /// GET `target` at `rates[k]` requests per second in slot `k`; the
    /// duration covers all slots.
    pub fn per_slot(target: impl Into<String>, rates: Vec<f64>, slot: Duration) -> Self {
        let n = u32::try_from(rates.len()).unwrap_or(u32::MAX);
        let duration = slot.saturating_mul(n);
        Self::new(target, Schedule::PerSlot { rates, slot }, duration)
    }

    /// A spec with default method (GET), no body or headers, and default limits.
    pub fn new(target: impl Into<String>, rate: Schedule, duration: Duration) -> Self {
        Self {
            target: target.into(),
            method: Method::Get,
            body: Vec::new(),
            headers: Vec::new(),
            rate,
            duration,
            timeout: DEFAULT_TIMEOUT,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_requests: DEFAULT_MAX_REQUESTS,
            spacing: super::schedule::Spacing::Even,
        }
    }

    /// Checks the spec and builds what every request shares.
    pub(crate) fn prepare(&self) -> Result<Prepared, LoadError> {
        self.rate.validate()?;
        if self.timeout.is_zero() {
            return Err(LoadError::BadSpec("timeout must be > 0".into()));
        }
        if self.max_in_flight == 0 {
            return Err(LoadError::BadSpec("max_in_flight must be >= 1".into()));
        }
        if self.duration.checked_add(self.timeout).is_none() {
            return Err(LoadError::BadSpec("duration + timeout is too long".into()));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let bad = |reason: String| LoadError::BadHeader { name: name.clone(), reason };
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
            let v = HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
            headers.append(n, v);
        }
        let method = match self.method {
            Method::Get => hyper::Method::GET,
            Method::Post => hyper::Method::POST,
        };
        Ok(Prepared { uri: parse_target(&self.target)?, method, headers, body: Bytes::from(self.body.clone()) })
    }
}

/// The parts every request of a run shares.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub uri: Uri,
    pub method: hyper::Method,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Parses an `http://host[:port][/path]` URL.
pub(crate) fn parse_target(target: &str) -> Result<Uri, LoadError> {
    let bad = |reason: &str| LoadError::BadTarget { target: target.to_string(), reason: reason.to_string() };
    let uri: Uri = target.trim().parse().map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(bad("https is not supported (no TLS); use http://")),
        Some(_) => return Err(bad("scheme must be http://")),
        None => return Err(bad("missing scheme; expected http://host:port/path")),
    }
    match uri.host() {
        Some(h) if !h.is_empty() => Ok(uri),
        _ => Err(bad("missing host")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert!(parse_target("http://127.0.0.1:8080/function/echo").is_ok());
        assert!(parse_target("http://localhost").is_ok());
        for t in ["", "not a url", "127.0.0.1:80/x", "https://a/b", "ftp://a/b", "http://", "http://:80/x", "/path"] {
            let e = parse_target(t).expect_err(t);
            assert!(e.to_string().contains("bad target URL"), "{e}");
        }
    }

    #[test]
    fn methods_and_spec_checks() {
        assert_eq!("post".parse::<Method>().unwrap(), Method::Post);
        assert!("DELETE".parse::<Method>().is_err());
        let ok = LoadSpec::constant("http://127.0.0.1:1/f", 1.0, Duration::from_secs(1));
        assert!(ok.prepare().is_ok());
        let mut s = ok.clone();
        s.timeout = Duration::ZERO;
        assert!(s.prepare().is_err());
        let mut s = ok.clone();
        s.max_in_flight = 0;
        assert!(s.prepare().is_err());
        let mut s = ok.clone();
        s.headers.push(("bad name".into(), "v".into()));
        assert!(matches!(s.prepare(), Err(LoadError::BadHeader { .. })));
        let mut s = ok.clone();
        s.duration = Duration::MAX;
        assert!(s.prepare().is_err());
        let s = LoadSpec::per_slot("http://a/b", vec![1.0; 4], Duration::from_millis(500));
        assert_eq!(s.duration, Duration::from_secs(2));
    }
}
