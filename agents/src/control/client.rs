//! [`ControlClient`]: the control API from the caller's side, typed with
//! the server's own bodies ([`super::api`]). Every call has a timeout; a
//! status other than 200, or an answer that does not parse as the route's
//! type (a field missing or renamed), is a [`ControlError`] naming the
//! agent's address, the route and the problem.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use dfaas_env::{NodeObservation, SlotOutcome};
use dfaas_runtime::client::HttpClient;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request};
use serde::de::DeserializeOwned;

use super::api::{DecisionAccepted, DecisionBody, ErrorBody, PolicyBody, PolicySet, WeightsView};
use crate::slot_loop::{NeighborView, TickReport};

/// Largest answer read (a full history of 1024 slots is a few MB at most).
const MAX_ANSWER: usize = 32 << 20;

/// Why a control call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    #[error("{route} on the control API at {addr}: did not answer within {timeout:?}")]
    Timeout { addr: SocketAddr, route: String, timeout: Duration },
    #[error("{route} on the control API at {addr}: {message}")]
    Transport { addr: SocketAddr, route: String, message: String },
    #[error("{route} on the control API at {addr} answered {status}: {message}")]
    Status { addr: SocketAddr, route: String, status: u16, message: String },
    #[error("{route} on the control API at {addr}: unexpected answer ({message}): {body}")]
    Body { addr: SocketAddr, route: String, message: String, body: String },
}

impl ControlError {
    /// The HTTP status, for an answer other than 200.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A typed client of one agent's control API.
#[derive(Clone)]
pub struct ControlClient {
    http: HttpClient,
    addr: SocketAddr,
    timeout: Duration,
    token: Option<String>,
    /// The managed function asked about (`None`: the agent's first).
    function: Option<String>,
}

impl std::fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlClient").field("addr", &self.addr).field("timeout", &self.timeout).finish()
    }
}

impl ControlClient {
    /// A client of the control API at `addr`, each call limited to `timeout`.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self::with_http(dfaas_runtime::client::build(timeout), addr, timeout)
    }

    /// The same over a shared HTTP client (connection pool).
    pub fn with_http(http: HttpClient, addr: SocketAddr, timeout: Duration) -> Self {
        Self { http, addr, timeout, token: None, function: None }
    }

    /// Sends `token` as the bearer token (the node's control token; every
    /// route needs it).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Asks about `function` (`?function=`) where the agent manages several.
    pub fn for_function(mut self, function: impl Into<String>) -> Self {
        self.function = Some(function.into());
        self
    }

    /// Reads the bearer token from a node's `control_token_file`.
    pub fn with_token_file(self, path: &std::path::Path) -> Result<Self, ControlError> {
        let addr = self.addr;
        let token = std::fs::read_to_string(path).map_err(|e| ControlError::Transport {
            addr,
            route: "(token)".into(),
            message: format!("cannot read the control token file {}: {e}", path.display()),
        })?;
        Ok(self.with_token(token.lines().next().unwrap_or("").trim()))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The latest observation (`None` before the first slot).
    pub async fn observation(&self) -> Result<Option<NodeObservation>, ControlError> {
        self.call(Method::GET, "/observation", None).await
    }

    /// The latest slot outcome (`None` before the first slot).
    pub async fn outcome(&self) -> Result<Option<SlotOutcome>, ControlError> {
        self.call(Method::GET, "/outcome", None).await
    }

    /// The latest iterations, oldest first.
    pub async fn history(&self) -> Result<Vec<TickReport>, ControlError> {
        self.call(Method::GET, "/history", None).await
    }

    pub async fn weights(&self) -> Result<WeightsView, ControlError> {
        self.call(Method::GET, "/weights", None).await
    }

    /// The neighbours, in the runtime's peer order.
    pub async fn neighbors(&self) -> Result<Vec<NeighborView>, ControlError> {
        self.call(Method::GET, "/neighbors", None).await
    }

    /// Sets `[local, fwd…, reject]` for the next slot only.
    pub async fn set_decision(&self, fractions: &[f64]) -> Result<DecisionAccepted, ControlError> {
        self.call(Method::PUT, "/decision", Some(body(&DecisionBody { fractions: fractions.to_vec() }))).await
    }

    /// Switches the policy.
    pub async fn set_policy(&self, policy: &PolicyBody) -> Result<PolicySet, ControlError> {
        self.call(Method::PUT, "/policy", Some(body(policy))).await
    }

    /// Ends the slot now (externally clocked agents), with an optional
    /// decision for the slot that starts.
    pub async fn tick(&self, decision: Option<&[f64]>) -> Result<TickReport, ControlError> {
        let b = decision.map(|d| body(&DecisionBody { fractions: d.to_vec() }));
        self.call(Method::POST, "/tick", b).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        payload: Option<String>,
    ) -> Result<T, ControlError> {
        let route_name = format!("{method} {route}");
        let (addr, timeout) = (self.addr, self.timeout);
        let transport = |message: String| ControlError::Transport { addr, route: route_name.clone(), message };
        let mut req = Request::builder()
            .method(method)
            .uri(match &self.function {
                Some(f) if !matches!(route, "/tick" | "/neighbors" | "/overlay") => {
                    format!("http://{addr}{route}?function={f}")
                }
                _ => format!("http://{addr}{route}"),
            })
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some(t) = &self.token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req =
            req.body(Full::new(Bytes::from(payload.unwrap_or_default()))).map_err(|e| transport(e.to_string()))?;
        let exchange = async {
            let resp = self.http.request(req).await.map_err(|e| transport(e.to_string()))?;
            let status = resp.status().as_u16();
            let bytes = Limited::new(resp.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| transport(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok::<_, ControlError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(timeout, exchange).await.map_err(|_| ControlError::Timeout {
            addr,
            route: route_name.clone(),
            timeout,
        })??;
        let text = String::from_utf8_lossy(&bytes);
        if status != 200 {
            let message = serde_json::from_slice::<ErrorBody>(&bytes).map(|e| e.error).unwrap_or_else(|_| clip(&text));
            return Err(ControlError::Status { addr, route: route_name, status, message });
        }
        serde_json::from_slice(&bytes).map_err(|e| ControlError::Body {
            addr,
            route: route_name,
            message: e.to_string(),
            body: clip(&text),
        })
    }
}

fn body<T: serde::Serialize>(v: &T) -> String {
    // Plain structs of strings and finite numbers: serialising cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(300).collect();
    if s.chars().count() > 300 {
        out.push('…');
    }
    out
}
