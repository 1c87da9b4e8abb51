//! `openfaas` backend: proxies to an OpenFaaS (or faasd) function URL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, StatusCode};

use super::{BackendError, Invocation, Output};
use crate::body::read_limited;
use crate::client::{HttpClient, MAX_RESPONSE_BYTES};

/// Proxies each call to a fixed URL.
#[derive(Debug)]
pub struct OpenFaasBackend {
    url: String,
    timeout: Duration,
    timeout_s: f64,
    client: HttpClient,
    reachable: AtomicBool,
}

impl OpenFaasBackend {
    /// A backend calling `url` (e.g. `http://127.0.0.1:8080/function/figlet`).
    pub fn new(url: String, timeout_s: f64, client: HttpClient) -> OpenFaasBackend {
        OpenFaasBackend {
            url,
            timeout: crate::config::secs(timeout_s),
            timeout_s,
            client,
            reachable: AtomicBool::new(true),
        }
    }

    /// One proxied call. 429/503 from OpenFaaS are capacity rejects; other
    /// 5xx are failures; anything else is passed through.
    pub async fn invoke(&self, inv: Invocation) -> Result<Output, BackendError> {
        let uri = match &inv.query {
            Some(q) => format!("{}?{q}", self.url),
            None => self.url.clone(),
        };
        let mut req = Request::builder().method(inv.method).uri(uri);
        if let Some(ct) = inv.content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let req = req.body(Full::new(inv.body)).map_err(|e| BackendError::Failed(format!("bad request: {e}")))?;
        let call = async {
            let resp = self.client.request(req).await.map_err(|e| {
                self.reachable.store(false, Ordering::Relaxed);
                BackendError::Failed(format!("OpenFaaS unreachable: {e}"))
            })?;
            self.reachable.store(true, Ordering::Relaxed);
            let (parts, body) = resp.into_parts();
            let body = read_limited(body, MAX_RESPONSE_BYTES).await.map_err(|e| BackendError::Failed(e.to_string()))?;
            Ok::<_, BackendError>((parts, body))
        };
        let (parts, body) =
            tokio::time::timeout(self.timeout, call).await.map_err(|_| BackendError::Timeout(self.timeout_s))??;
        match parts.status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => Err(BackendError::Saturated),
            s if s.is_server_error() => Err(BackendError::Failed(format!(
                "OpenFaaS answered {s}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))),
            s => Ok(Output { status: s, content_type: parts.headers.get(CONTENT_TYPE).cloned(), body }),
        }
    }

    /// False after a call that could not reach the gateway, until one does.
    pub fn healthy(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }
}
