//! The HTTP service upstream DFaaS agents query (`AGENT_RLMODEL_HOST`/`_PORT`).
//!
//! | route | answer |
//! |---|---|
//! | `POST /action` | 200 with the action (see [`protocol`](super::protocol)); 400 for a body that does not follow the protocol, 422 for an undeclared asking node or a layout the policy refuses, each with `{"error": "…"}` naming the key, value or node (an undeclared neighbour gets a share of 0 and a warning) |
//! | `GET /health` | `{"policy": …, "nodes": [...], "answered": n}` |
//!
//! Upstream's client gives up after 900 ms and stops its strategy on any
//! answer but 200, so every well-formed request from a declared node is
//! answered 200 within microseconds. There is no authentication (upstream
//! sends none): bind it where only the nodes reach it (default 127.0.0.1).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dfaas_runtime::response::{json_compact as reply, json_error as error};
use dfaas_runtime::serve::{Running, ServeLimits};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use super::broker::Broker;
use super::protocol::{ActionRequest, action_body};
use crate::config::PolicyChoice;

/// Largest request body accepted (an upstream body is about 1 KiB).
pub const MAX_BODY: usize = 64 * 1024;
/// Open connections at most.
pub const MAX_CONNECTIONS: usize = 256;

/// Seconds on a monotonic clock (the broker's time of a request).
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

struct State {
    broker: Mutex<Broker>,
    clock: Clock,
    answered: std::sync::atomic::AtomicU64,
}

/// A running `serve-policy` service.
pub struct PolicyService(Running);

impl PolicyService {
    /// Binds `listen` and answers for `broker`'s federation.
    pub async fn start(listen: SocketAddr, broker: Broker) -> std::io::Result<Self> {
        let epoch = Instant::now();
        Self::start_with_clock(listen, broker, Arc::new(move || epoch.elapsed().as_secs_f64())).await
    }

    /// As [`start`](Self::start), timing requests by `clock` (tests replay
    /// upstream's two-minute rounds without waiting for them).
    pub async fn start_with_clock(listen: SocketAddr, broker: Broker, clock: Clock) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let state = Arc::new(State { broker: Mutex::new(broker), clock, answered: Default::default() });
        let limits = ServeLimits {
            max_connections: MAX_CONNECTIONS,
            reserve_fds: 0,
            header_read: Duration::from_secs(5),
            write: Duration::from_secs(5),
            idle: Duration::from_secs(60),
            drain_notice: Duration::ZERO,
            grace: Duration::from_secs(2),
        };
        let handler = move |req: Request<Incoming>, _remote| {
            let state = Arc::clone(&state);
            async move { handle(&state, req).await }
        };
        Ok(Self(Running::spawn(listener, limits, handler)?))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    /// Stops accepting, lets open requests finish, and waits.
    pub async fn shutdown(self) {
        self.0.shutdown().await;
    }
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    match (&method, path.as_str()) {
        (&Method::POST, "/action") => {
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(c) => c.to_bytes(),
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!("cannot read the body (limit {MAX_BODY} bytes): {e}"),
                    );
                }
            };
            act(state, &body)
        }
        (&Method::GET, "/health") => {
            let broker = state.broker.lock().unwrap_or_else(|p| p.into_inner());
            let cfg = broker.config();
            let policy = match &cfg.policy {
                PolicyChoice::Heuristic(spec) => spec.to_string(),
                PolicyChoice::Model(path) => path.display().to_string(),
            };
            let nodes: Vec<String> = cfg.nodes.iter().map(|n| n.id.clone()).collect();
            let answered = state.answered.load(std::sync::atomic::Ordering::Relaxed);
            reply(StatusCode::OK, &json!({ "policy": policy, "nodes": nodes, "answered": answered }))
        }
        (_, "/action" | "/health") => error(StatusCode::METHOD_NOT_ALLOWED, format!("{method} not allowed on {path}")),
        (_, path) => error(StatusCode::NOT_FOUND, format!("no route {path}; routes: POST /action, GET /health")),
    }
}

fn act(state: &State, body: &[u8]) -> Response<Full<Bytes>> {
    let request = match ActionRequest::parse(body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let now_s = (state.clock)();
    let answer = state.broker.lock().unwrap_or_else(|p| p.into_inner()).decide(&request, now_s);
    match answer {
        Ok(a) => {
            state.answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if !a.ignored.is_empty() {
                tracing::warn!(node = %a.node, peers = ?a.ignored, "neighbours not declared in the config get a share of 0");
            }
            tracing::debug!(node = %a.node, fractions = ?a.fractions, slot = a.observation.slot, "action");
            reply(StatusCode::OK, &action_body(&a.node, &a.peers, &a.fractions, &a.ignored))
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}
