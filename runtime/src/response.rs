//! Building answers and the `X-Dfaas-*` response headers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

/// Response body type of the gateway.
pub type Body = Full<Bytes>;

/// Node that received the user's request.
pub const H_ENTRY: HeaderName = HeaderName::from_static("x-dfaas-entry-node");
/// Node that ran the request.
pub const H_SERVED_BY: HeaderName = HeaderName::from_static("x-dfaas-served-by");
/// `true` when a peer ran the request.
pub const H_FORWARDED: HeaderName = HeaderName::from_static("x-dfaas-forwarded");
/// Why a request was rejected.
pub const H_REJECT: HeaderName = HeaderName::from_static("x-dfaas-reject-reason");

/// Why a request was not answered by a function (503; 504 `peer-timeout`; 502 `peer-unauthenticated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The weights chose `reject`.
    Policy,
    /// Admission (or the platform) had no room.
    Capacity,
    /// The peer answered 503 (or refused) and there was no local room.
    PeerRejected,
    /// The peer could not be reached and there was no local room.
    PeerUnreachable,
    /// The forward was sent but brought no answer in time; it is not run
    /// locally, since the peer may have run it (answered 504).
    PeerTimeout,
    /// The node is stopping and takes no new work.
    ShuttingDown,
    /// The peer's answer did not carry a valid proof (a relay tampered with
    /// it): not relayed, and not run here either (answered 502).
    PeerUnauthenticated,
}

impl RejectReason {
    /// Header value.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Policy => "policy",
            RejectReason::Capacity => "capacity",
            RejectReason::PeerRejected => "peer-rejected",
            RejectReason::PeerUnreachable => "peer-unreachable",
            RejectReason::PeerTimeout => "peer-timeout",
            RejectReason::ShuttingDown => "shutting-down",
            RejectReason::PeerUnauthenticated => "peer-unauthenticated",
        }
    }
}

/// A plain-text answer.
pub fn text(status: StatusCode, msg: impl Into<String>) -> Response<Body> {
    let mut msg = msg.into();
    if !msg.ends_with('\n') {
        msg.push('\n');
    }
    with_type(status, "text/plain; charset=utf-8", Bytes::from(msg))
}

/// A JSON answer.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
    body.push(b'\n');
    with_type(status, "application/json", Bytes::from(body))
}

/// A compact JSON answer (APIs read by programs: the control API, serve-policy).
pub fn json_compact(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    with_type(status, "application/json", Bytes::from(value.to_string()))
}

/// `{"error": message}` as a compact JSON answer.
pub fn json_error(status: StatusCode, message: impl std::fmt::Display) -> Response<Body> {
    json_compact(status, &serde_json::json!({ "error": message.to_string() }))
}

/// An answer with a given content type.
pub fn with_type(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Sets a header from a string, skipping values that are not valid.
pub fn set(r: &mut Response<Body>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// Adds the DFaaS headers.
pub fn stamp(
    r: &mut Response<Body>,
    entry: &str,
    served_by: Option<&str>,
    forwarded: bool,
    reject: Option<RejectReason>,
) {
    set(r, H_ENTRY, entry);
    if let Some(s) = served_by {
        set(r, H_SERVED_BY, s);
    } else {
        r.headers_mut().remove(H_SERVED_BY);
    }
    r.headers_mut().insert(H_FORWARDED, HeaderValue::from_static(if forwarded { "true" } else { "false" }));
    match reject {
        Some(why) => {
            r.headers_mut().insert(H_REJECT, HeaderValue::from_static(why.as_str()));
        }
        None => {
            r.headers_mut().remove(H_REJECT);
        }
    }
}

/// A reject with its reason: 503, 504 for `peer-timeout`, 502 for `peer-unauthenticated`.
pub fn reject(entry: &str, forwarded: bool, why: RejectReason) -> Response<Body> {
    let status = match why {
        RejectReason::PeerTimeout => StatusCode::GATEWAY_TIMEOUT,
        RejectReason::PeerUnauthenticated => StatusCode::BAD_GATEWAY,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut r = text(status, format!("rejected: {}", why.as_str()));
    stamp(&mut r, entry, None, forwarded, Some(why));
    r
}
