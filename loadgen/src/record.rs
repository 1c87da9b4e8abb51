//! What happened to one request.

use std::time::Duration;

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// No complete answer within the timeout (or by the end of the run).
    Timeout,
    /// The connection could not be opened.
    Connect,
    /// Not sent: too many requests in flight.
    Dropped,
    /// Any other transport or protocol error.
    Other,
}

impl ErrorKind {
    /// Name used in reports: `timeout`, `connect`, `dropped`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Dropped => "dropped",
            ErrorKind::Other => "other",
        }
    }
}

/// An HTTP status, or why there was none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Status(u16),
    Error(ErrorKind),
}

impl Outcome {
    /// A 2xx answer.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Status(s) if (200..300).contains(&s))
    }
}

/// One request of a run. Offsets are from the start of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Slot of a per-slot schedule.
    pub slot: Option<u32>,
    /// When the schedule said to send it.
    pub scheduled: Duration,
    /// When it was actually sent (or dropped).
    pub sent: Duration,
    /// From `sent` to the end of the response body, or to the error.
    pub latency: Duration,
    pub outcome: Outcome,
    /// `X-Dfaas-Served-By`: the node that ran it.
    pub served_by: Option<String>,
    /// `X-Dfaas-Forwarded: true`: a peer ran it.
    pub forwarded: bool,
    /// `X-Dfaas-Reject-Reason`: why it was rejected.
    pub reject_reason: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl RequestRecord {
    /// A request without an HTTP answer.
    pub fn failed(slot: Option<u32>, scheduled: Duration, sent: Duration, latency: Duration, kind: ErrorKind) -> Self {
        Self {
            slot,
            scheduled,
            sent,
            latency,
            outcome: Outcome::Error(kind),
            served_by: None,
            forwarded: false,
            reject_reason: None,
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// Offset at which the answer (or error) came.
    pub fn end(&self) -> Duration {
        self.sent.saturating_add(self.latency)
    }
}
