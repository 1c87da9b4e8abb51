//! Why a load run could not start.

/// A load specification that cannot be run, or a runtime that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The target is not an `http://host[:port]/path` URL.
    #[error("bad target URL {target:?}: {reason}")]
    BadTarget { target: String, reason: String },
    /// A rate or slot length that is negative, NaN, infinite or zero where it must not be.
    #[error("bad schedule: {0}")]
    BadSchedule(String),
    /// An HTTP method other than GET or POST.
    #[error("unsupported HTTP method {0:?} (expected GET or POST)")]
    BadMethod(String),
    /// A header name or value that HTTP does not allow.
    #[error("bad header {name:?}: {reason}")]
    BadHeader { name: String, reason: String },
    /// Another setting out of range (timeout, in-flight cap, total length).
    #[error("bad load spec: {0}")]
    BadSpec(String),
    /// `run_blocking` was called from inside a tokio runtime (use `run(..).await`).
    #[error("run_blocking called inside a tokio runtime; await loadgen::run instead")]
    InsideRuntime,
    /// The tokio runtime could not be built.
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(#[from] std::io::Error),
}
