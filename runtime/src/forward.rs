//! One-hop forwarding of a user request to a peer, authenticated (see [`crate::auth`]).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};

use crate::auth::{self, Credential};
use crate::body::read_limited;
use crate::client::{HttpClient, MAX_RESPONSE_BYTES};

/// A peer's answer.
#[derive(Debug)]
pub struct PeerAnswer {
    /// Its status.
    pub status: StatusCode,
    /// Its end-to-end headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
    /// The request it answers, as signed (its answer's proof is bound to it).
    pub claim: auth::Claim,
}

impl PeerAnswer {
    /// What the peer's proof of this answer covers.
    pub fn parts(&self) -> auth::AnswerParts<'_> {
        let h = |name: &str| self.headers.get(name).map_or(&b""[..], |v| v.as_bytes());
        auth::AnswerParts {
            status: self.status.as_u16(),
            content_type: h("content-type"),
            served_by: h(crate::response::H_SERVED_BY.as_str()),
            reject_reason: h(crate::response::H_REJECT.as_str()),
            body: &self.body,
        }
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and others never passed on.
pub fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    ) || name.as_str().starts_with("x-dfaas-")
}

/// Where and as whom to forward.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    /// This node's id.
    pub sender: &'a str,
    /// What the forward is proven with.
    pub credential: Credential<'a>,
    /// The peer's id.
    pub receiver: &'a str,
    /// The peer's gateway.
    pub address: &'a crate::peer_address::PeerAddress,
}

/// A forward that brought no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// The request never left this node (no connection to the peer): the
    /// peer cannot have run it.
    #[error("not sent: {0}")]
    NotSent(String),
    /// The request was sent but no whole answer came (timeout, connection
    /// lost): the peer may have run it.
    #[error("no answer: {0}")]
    NoAnswer(String),
}

/// Sends the request to the peer and reads its whole answer.
pub async fn forward(
    client: &HttpClient,
    route: Route<'_>,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Bytes,
    timeout: Duration,
) -> Result<PeerAnswer, ForwardError> {
    let uri = format!("http://{}{}", route.address, path_and_query);
    let content_type = headers.get(hyper::header::CONTENT_TYPE).map_or(&b""[..], |v| v.as_bytes());
    let parts = auth::RequestParts { method: method.as_str(), path: path_and_query, content_type };
    let (proof, claim) = auth::sign(route.credential, route.sender, route.receiver, parts, &body);
    let mut req = Request::builder().method(method.clone()).uri(uri);
    if let Some(h) = req.headers_mut() {
        for (name, value) in headers {
            if !is_hop_by_hop(name) {
                h.append(name.clone(), value.clone());
            }
        }
        for (name, value) in proof {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
    }
    let req = req.body(Full::new(body)).map_err(|e| ForwardError::NotSent(format!("cannot build request: {e}")))?;
    let call = async {
        // Only a failed connect proves the request never reached the peer
        // (the pooled client itself retries a request whose idle connection
        // closed before it was written).
        let resp = client.request(req).await.map_err(|e| {
            if e.is_connect() { ForwardError::NotSent(e.to_string()) } else { ForwardError::NoAnswer(e.to_string()) }
        })?;
        let (parts, body) = resp.into_parts();
        let body = read_limited(body, MAX_RESPONSE_BYTES).await.map_err(|e| ForwardError::NoAnswer(e.to_string()))?;
        Ok(PeerAnswer { status: parts.status, headers: parts.headers, body, claim })
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(r) => r,
        Err(_) => Err(ForwardError::NoAnswer(format!("no answer within {} s", timeout.as_secs_f64()))),
    }
}
