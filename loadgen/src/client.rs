//! The pooled HTTP/1.1 client and sending one request.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::HeaderName;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;

use super::record::{ErrorKind, Outcome, RequestRecord};
use super::schedule::PlannedSend;
use super::spec::Prepared;

/// The gateway's response headers, defined once (in the runtime).
pub use dfaas_runtime::response::{H_FORWARDED, H_REJECT as H_REJECT_REASON, H_SERVED_BY};

pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A client keeping up to `max_idle` idle connections to the target.
pub(crate) fn build(connect_timeout: Duration, max_idle: usize) -> HttpClient {
    let mut conn = HttpConnector::new();
    conn.set_nodelay(true);
    conn.set_connect_timeout(Some(connect_timeout));
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(max_idle).build(conn)
}

/// Sends one request now and reads the whole answer within `timeout`.
pub(crate) async fn send(
    client: &HttpClient,
    req: &Prepared,
    timeout: Duration,
    t0: Instant,
    planned: PlannedSend,
) -> RequestRecord {
    let start = Instant::now();
    let sent = start.saturating_duration_since(t0);
    let bytes_out = req.body.len() as u64;
    let result = tokio::time::timeout(timeout, exchange(client, req)).await;
    let latency = start.elapsed();
    let fail =
        |kind| RequestRecord { bytes_out, ..RequestRecord::failed(planned.slot, planned.at, sent, latency, kind) };
    match result {
        Err(_) => fail(ErrorKind::Timeout),
        Ok(Err(kind)) => fail(kind),
        Ok(Ok(a)) => RequestRecord {
            slot: planned.slot,
            scheduled: planned.at,
            sent,
            latency,
            outcome: Outcome::Status(a.status),
            served_by: a.served_by,
            forwarded: a.forwarded,
            reject_reason: a.reject_reason,
            bytes_in: a.bytes_in,
            bytes_out,
        },
    }
}

/// The parts of an answer that reports use.
struct Answer {
    status: u16,
    served_by: Option<String>,
    forwarded: bool,
    reject_reason: Option<String>,
    bytes_in: u64,
}

async fn exchange(client: &HttpClient, req: &Prepared) -> Result<Answer, ErrorKind> {
    let mut builder = Request::builder().method(req.method.clone()).uri(req.uri.clone());
    if let Some(h) = builder.headers_mut() {
        h.extend(req.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let request = builder.body(Full::new(req.body.clone())).map_err(|_| ErrorKind::Other)?;
    let resp = client
        .request(request)
        .await
        .map_err(|e| if e.is_connect() { ErrorKind::Connect } else { ErrorKind::Other })?;
    let header = |name: &HeaderName| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let served_by = header(&H_SERVED_BY);
    let forwarded = header(&H_FORWARDED).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let reject_reason = header(&H_REJECT_REASON);
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let mut bytes_in = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ErrorKind::Other)?;
        if let Some(data) = frame.data_ref() {
            bytes_in += data.len() as u64;
        }
    }
    Ok(Answer { status, served_by, forwarded, reject_reason, bytes_in })
}
