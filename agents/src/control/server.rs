//! The control API server (HTTP/1.1 on 127.0.0.1): read the current observation,
//! last outcome, weights and neighbours; set an external decision for the next
//! slot; switch the policy. Every request gets one JSON answer. Every route
//! needs the node's control token (`Authorization: Bearer …`, 401 without)
//! and a loopback `Host` (403 otherwise); at most [`MAX_CONNECTIONS`] are
//! open, with the gateway's header, write and idle timeouts.
//!
//! | route | answer |
//! |---|---|
//! | `GET /observation` | the latest `NodeObservation` (`null` before the first slot) |
//! | `GET /outcome` | the latest `SlotOutcome` |
//! | `GET /history` | the [`TickReport`](crate::TickReport)s of the last [`HISTORY_SLOTS`](crate::slot_loop::HISTORY_SLOTS) slots, oldest first |
//! | `GET /weights` | `{function, peers, fractions, weights}` |
//! | `GET /neighbors` | per peer: connected, available, age, latest state |
//! | `PUT /decision` | `[local, fwd…, reject]` or `{"fractions": […]}`; 400 if invalid |
//! | `PUT /policy` | a spec string, `{"policy": "…"}` or `{"model": "path"}` (inside the agent's `models_dir`, else 403); 400 if unknown |
//! | `POST /tick` | externally clocked agents only (409 otherwise): ends the slot now and answers the [`TickReport`](crate::TickReport); an optional decision body (as for `PUT /decision`) applies to the slot that starts |
//!
//! An agent managing several functions answers about its first one; every
//! route but `/neighbors`, `/overlay` and `/tick` takes `?function=<name>`
//! for another (404 for a function it does not manage). `PUT /policy`
//! without it switches every function's policy.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dfaas_env::Decision;
use dfaas_policies::{NodeContext, Policy, PolicySpec};
use dfaas_runtime::Gateway;
use dfaas_runtime::response::{json_compact as reply, json_error as error};
use dfaas_runtime::serve::{Running, ServeLimits};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;

use super::api::{DecisionAccepted, PolicySet, WeightsView};
use crate::neighbors::NeighborConfig;
use crate::overlay::{OverlayHandle, lock};
use crate::slot_loop::{Shared, SlotLoop};

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// One function the agent manages, as the handlers see it.
pub struct ManagedView {
    pub function: String,
    pub shared: Arc<Shared>,
    /// Its agent's name and index (the node's own for a single function).
    pub agent: String,
    pub agent_index: usize,
    /// The members hosting it in action order, and their agents' names.
    pub peers: Vec<String>,
    pub peer_agents: Vec<String>,
}

/// What the handlers need.
pub struct ControlContext {
    /// The managed functions, the first answering requests that name none.
    pub functions: Vec<ManagedView>,
    pub gateway: Arc<Gateway>,
    pub overlay: Option<OverlayHandle>,
    pub neighbor_config: NeighborConfig,
    pub seed: u64,
    /// The agent's `period_slots` (checked against a model file's).
    pub period_slots: Option<u32>,
    /// Where `PUT /policy {"model": …}` may load from (`None`: nowhere).
    pub models_dir: Option<PathBuf>,
    /// The slot loop, when slots end on `POST /tick` (`clock = "external"`);
    /// `None` when the agent's timer ends them.
    pub ticker: Option<Arc<tokio::sync::Mutex<SlotLoop>>>,
}

/// A running control API.
pub struct ControlServer(Running);

impl ControlServer {
    /// Binds `listen` and serves.
    pub async fn start(listen: SocketAddr, ctx: Arc<ControlContext>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let bound = listener.local_addr()?;
        let limits = ServeLimits {
            max_connections: MAX_CONNECTIONS,
            reserve_fds: 0,
            header_read: Duration::from_secs(10),
            write: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            drain_notice: Duration::ZERO,
            grace: Duration::from_secs(5),
        };
        let handler = move |req: Request<Incoming>, _remote| {
            let ctx = Arc::clone(&ctx);
            async move {
                match refuse(&ctx, &req, bound) {
                    Some(r) => r,
                    None => handle(&ctx, req).await,
                }
            }
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

/// Open connections at most on the control API.
pub const MAX_CONNECTIONS: usize = 64;

/// Who may use the control API: a request whose `Host` names this endpoint
/// (a loopback name or the IP it listens on: no DNS rebinding) and that carries the node's control token
/// as a bearer token (`Authorization: Bearer <token>`; the token is in the
/// node's `control_token_file`, mode 0600). `None`: go on.
fn refuse(ctx: &ControlContext, req: &Request<Incoming>, bound: SocketAddr) -> Option<Response<Full<Bytes>>> {
    let why = dfaas_runtime::keys::control_access(req.headers(), bound, ctx.gateway.control_token()).err()?;
    let mut r = error(why.status(), why);
    if why == dfaas_runtime::keys::ControlDenied::Token {
        r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, hyper::header::HeaderValue::from_static("Bearer"));
    }
    Some(r)
}

async fn handle(ctx: &ControlContext, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let known =
        ["/observation", "/outcome", "/history", "/weights", "/neighbors", "/overlay", "/decision", "/policy", "/tick"];
    if !known.contains(&path.as_str()) {
        return error(StatusCode::NOT_FOUND, format!("no route {path}; routes: {}", known.join(", ")));
    }
    let named = req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("function=")));
    let Some(f) = (match named {
        Some(name) => ctx.functions.iter().find(|f| f.function == name),
        None => ctx.functions.first(),
    }) else {
        let managed: Vec<&str> = ctx.functions.iter().map(|f| f.function.as_str()).collect();
        return error(
            StatusCode::NOT_FOUND,
            format!("function {:?} is not managed here (functions: {})", named.unwrap_or(""), managed.join(", ")),
        );
    };
    match (method, path.as_str()) {
        (Method::GET, "/observation") => reply(StatusCode::OK, &to_json(&*lock(&f.shared.observation))),
        (Method::GET, "/outcome") => reply(StatusCode::OK, &to_json(&*lock(&f.shared.outcome))),
        (Method::GET, "/history") => reply(StatusCode::OK, &to_json(&*lock(&f.shared.history))),
        (Method::GET, "/weights") => {
            let view = WeightsView {
                function: f.function.clone(),
                peers: f.peers.clone(),
                slot: *lock(&f.shared.slot),
                fractions: lock(&f.shared.fractions).clone(),
                weights: ctx.gateway.weights(&f.function),
            };
            reply(StatusCode::OK, &to_json(&view))
        }
        (Method::GET, "/neighbors") => {
            let views = SlotLoop::neighbor_views(ctx.overlay.as_ref(), &ctx.gateway.peer_ids(), &ctx.neighbor_config);
            reply(StatusCode::OK, &to_json(&views))
        }
        (Method::GET, "/overlay") => match &ctx.overlay {
            Some(o) => reply(StatusCode::OK, &to_json(&o.counters())),
            None => reply(StatusCode::OK, &Value::Null),
        },
        (Method::PUT, "/decision") => match read_body(req).await {
            Ok(b) => put_decision(f, &b),
            Err(r) => r,
        },
        (Method::PUT, "/policy") => {
            let which: Vec<&ManagedView> = if named.is_some() { vec![f] } else { ctx.functions.iter().collect() };
            match read_body(req).await {
                Ok(b) => put_policy(ctx, &which, &b).await,
                Err(r) => r,
            }
        }
        (Method::POST, "/tick") => match read_body(req).await {
            Ok(b) => post_tick(ctx, &b).await,
            Err(r) => r,
        },
        (m, p) => error(StatusCode::METHOD_NOT_ALLOWED, format!("{m} not allowed on {p}")),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, Response<Full<Bytes>>> {
    match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => Err(error(StatusCode::BAD_REQUEST, format!("cannot read the body (limit {MAX_BODY} bytes): {e}"))),
    }
}

/// Parses a decision body: `[local, fwd…, reject]` or `{"fractions": […]}`;
/// the error says what is expected.
fn parse_decision(f: &ManagedView, body: &[u8]) -> Result<Decision, String> {
    let degree = f.peers.len();
    let expected = format!("expected [local, {degree} forward fraction(s), reject] summing to 1");
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}; {expected}"))?;
    let list = match &value {
        Value::Array(_) => &value,
        Value::Object(o) if o.contains_key("fractions") => &o["fractions"],
        _ => return Err(format!("{expected}, or {{\"fractions\": [...]}}")),
    };
    let fractions: Vec<f64> =
        serde_json::from_value(list.clone()).map_err(|e| format!("fractions must be numbers: {e}; {expected}"))?;
    if fractions.len() != degree + 2 {
        return Err(format!("{} fractions given; {expected}", fractions.len()));
    }
    Decision::new(fractions).map_err(|e| format!("invalid decision: {e}; {expected}"))
}

fn put_decision(f: &ManagedView, body: &[u8]) -> Response<Full<Bytes>> {
    match parse_decision(f, body) {
        Ok(d) => {
            let slot = *lock(&f.shared.slot);
            let fr = d.as_slice().to_vec();
            *lock(&f.shared.external) = Some(d);
            reply(StatusCode::OK, &to_json(&DecisionAccepted { accepted: fr, for_slot: slot }))
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

/// Ends the slot now (external clock): an optional decision for the next slot,
/// then one slot-loop iteration.
async fn post_tick(ctx: &ControlContext, body: &[u8]) -> Response<Full<Bytes>> {
    let Some(ticker) = &ctx.ticker else {
        return error(
            StatusCode::CONFLICT,
            "this agent's timer ends its slots (clock = \"timer\"); POST /tick needs clock = \"external\"",
        );
    };
    let Some(first) = ctx.functions.first() else { return error(StatusCode::NOT_FOUND, "no function managed") };
    let decision = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match parse_decision(first, body) {
            Ok(d) => Some(d),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        }
    };
    let mut slot_loop = ticker.lock().await;
    if let Some(d) = decision {
        *lock(&first.shared.external) = Some(d);
    }
    match slot_loop.tick(std::time::Instant::now()).await {
        Ok(report) => reply(StatusCode::OK, &to_json(&report)),
        Err(e) => {
            first.shared.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            error(StatusCode::INTERNAL_SERVER_ERROR, format!("slot iteration failed: {e}"))
        }
    }
}

async fn put_policy(ctx: &ControlContext, which: &[&ManagedView], body: &[u8]) -> Response<Full<Bytes>> {
    let Ok(text) = std::str::from_utf8(body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not UTF-8");
    };
    let (spec, model) = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => match (o.get("policy").and_then(Value::as_str), o.get("model").and_then(Value::as_str))
        {
            (Some(p), None) => (Some(p.to_string()), None),
            (None, Some(m)) => (None, Some(PathBuf::from(m))),
            _ => return error(StatusCode::BAD_REQUEST, "give {\"policy\": \"spec\"} or {\"model\": \"path\"}"),
        },
        Ok(Value::String(s)) => (Some(s), None),
        _ => (Some(text.trim().to_string()), None),
    };
    let model = match model.map(|m| super::models_dir::resolve_model(ctx.models_dir.as_deref(), &m)).transpose() {
        Ok(m) => m,
        Err(e) => return error(StatusCode::FORBIDDEN, e),
    };
    // Every function's policy is built before any is switched: all or none.
    let mut built = Vec::with_capacity(which.len());
    for f in which {
        let p: Result<Box<dyn Policy>, String> = match (&spec, &model) {
            (Some(s), _) => PolicySpec::parse(s)
                .and_then(|spec| dfaas_policies::build(&spec, f.agent_index, ctx.seed))
                .map_err(|e| format!("policy `{s}`: {e}")),
            (None, Some(m)) => {
                let node = NodeContext {
                    name: f.agent.clone(),
                    neighbors: f.peer_agents.clone(),
                    period_slots: ctx.period_slots,
                };
                // File I/O off the async runtime: a slow or huge file never stalls the node.
                let (m, shown) = (m.clone(), m.display().to_string());
                tokio::task::spawn_blocking(move || {
                    dfaas_policies::load_learned(&m, &node).map_err(|e| format!("model {}: {e}", m.display()))
                })
                .await
                .unwrap_or_else(|e| Err(format!("model {shown}: loading failed: {e}")))
            }
            (None, None) => Err("no policy given".into()),
        };
        match p {
            Ok(p) => built.push(p),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        }
    }
    let name = built.first().map(|p| p.name().to_string()).unwrap_or_default();
    for (f, p) in which.iter().zip(built) {
        *lock(&f.shared.policy) = p;
    }
    reply(StatusCode::OK, &to_json(&PolicySet { policy: name }))
}
