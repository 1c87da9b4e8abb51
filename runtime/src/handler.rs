//! Request routing and the life of one function call: target choice, local
//! run under admission, forwarding with fallback. Every path returns exactly
//! one response.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

use crate::admission::Ticket;
use crate::auth;
use crate::backends::{BackendError, Invocation};
use crate::body::{BodyError, read_limited};
use crate::counters::{Count, PeerCount};
use crate::forward::{self, ForwardError, PeerAnswer, Route};
use crate::gateway::{Function, Gateway};
use crate::response::{self, Body, RejectReason, stamp};
use crate::swrr::Target;
use crate::weights::{Weights, WeightsError};

/// How a local run ended without an answer.
enum LocalFail {
    Capacity,
    Failed(String),
}

impl Gateway {
    /// Answers one HTTP request. While the server stops, every answer says
    /// `Connection: close` and new function calls are refused before running
    /// (503 `shutting-down`: a peer runs its forward itself).
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        let mut resp = self.route(req, remote).await;
        if self.shutting_down.load(Ordering::Relaxed) {
            resp.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
        }
        resp
    }

    async fn route(&self, req: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        let path = req.uri().path().to_string();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method(), segments.as_slice()) {
            (&Method::GET, ["healthz"]) => self.healthz(),
            (&Method::GET, ["metrics"]) => response::with_type(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(self.metrics_text()),
            ),
            (&Method::GET, ["system", "functions"]) => self.list_functions(),
            (_, ["control", "weights", name]) => {
                let name = name.to_string();
                self.control_weights(req, remote, &name).await
            }
            (_, ["function", name, ..]) if !name.is_empty() => {
                let name = name.to_string();
                // Every answer to a forwarded request is proven to its sender.
                match auth::Claim::of(req.headers()) {
                    Some(claim) => {
                        let resp = self.function_call(req, &name).await;
                        self.prove_answer(&claim, resp).await
                    }
                    None => self.function_call(req, &name).await,
                }
            }
            _ => self.not_found(format!("no route for {path}")),
        }
    }

    fn not_found(&self, msg: String) -> Response<Body> {
        self.node_counters.not_found.fetch_add(1, Ordering::Relaxed);
        response::text(StatusCode::NOT_FOUND, msg)
    }

    fn bad_request(&self, msg: String) -> Response<Body> {
        self.node_counters.bad_requests.fetch_add(1, Ordering::Relaxed);
        response::text(StatusCode::BAD_REQUEST, msg)
    }

    fn too_large(&self) -> Response<Body> {
        self.node_counters.too_large.fetch_add(1, Ordering::Relaxed);
        response::text(StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than {} bytes", self.max_body))
    }

    /// Reads the body within the limit, or the error answer.
    async fn read_body(&self, req: Request<Incoming>) -> Result<(hyper::http::request::Parts, Bytes), Response<Body>> {
        let declared =
            req.headers().get(CONTENT_LENGTH).map(|v| v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()));
        match declared {
            Some(None) => return Err(self.bad_request("invalid Content-Length".into())),
            Some(Some(n)) if n > self.max_body => return Err(self.too_large()),
            _ => {}
        }
        let (parts, body) = req.into_parts();
        // A client trickling its body is cut off at the request deadline.
        match tokio::time::timeout(self.request_timeout, read_limited(body, self.max_body)).await {
            Ok(Ok(b)) => Ok((parts, b)),
            Ok(Err(BodyError::TooLarge(_))) => Err(self.too_large()),
            Ok(Err(BodyError::Broken(e))) => Err(self.bad_request(e)),
            Err(_) => Err(response::text(StatusCode::REQUEST_TIMEOUT, "request body not received in time")),
        }
    }

    fn healthz(&self) -> Response<Body> {
        let functions: serde_json::Map<String, serde_json::Value> = self
            .functions
            .iter()
            .map(|f| {
                let ready = f.backend.healthy() && f.admission.has_room();
                (
                    f.name.clone(),
                    json!({"ready": ready, "running": f.admission.running(), "occupied": f.admission.occupied()}),
                )
            })
            .collect();
        let ready = self.is_ready();
        let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
        response::json(status, &json!({"node": self.node_id, "ready": ready, "functions": functions}))
    }

    fn list_functions(&self) -> Response<Body> {
        let list: Vec<serde_json::Value> = self
            .functions
            .iter()
            .map(|f| {
                let t = f.counters.totals();
                json!({
                    "name": f.name,
                    "backend": f.kind,
                    "invocationCount": t.get(Count::Processed) + t.get(Count::Failures),
                    "replicas": f.admission.max_concurrency(),
                    "availableReplicas": f.admission.max_concurrency() - f.admission.running(),
                    "weights": f.picker.current().weights,
                })
            })
            .collect();
        response::json(StatusCode::OK, &serde_json::Value::Array(list))
    }

    async fn control_weights(&self, req: Request<Incoming>, remote: SocketAddr, name: &str) -> Response<Body> {
        if !remote.ip().is_loopback() || auth::claims_forwarded(req.headers()) {
            return response::text(StatusCode::FORBIDDEN, "the control endpoint is local only");
        }
        if let Err(why) = crate::keys::control_access(
            req.headers(),
            SocketAddr::from(([127, 0, 0, 1], self.listen_port)),
            &self.control_token,
        ) {
            let mut r = response::text(why.status(), why.to_string());
            if why == crate::keys::ControlDenied::Token {
                r.headers_mut()
                    .insert(hyper::header::WWW_AUTHENTICATE, hyper::header::HeaderValue::from_static("Bearer"));
            }
            return r;
        }
        let Some(f) = self.function(name).cloned() else {
            return self.not_found(format!("unknown function `{name}`"));
        };
        match *req.method() {
            Method::GET => response::json(StatusCode::OK, &json!(f.picker.current().weights)),
            Method::PUT => {
                let body = match self.read_body(req).await {
                    Ok((_, b)) => b,
                    Err(r) => return r,
                };
                let w: Weights = match serde_json::from_slice(&body) {
                    Ok(w) => w,
                    Err(e) => return self.bad_request(format!("weights JSON: {e}")),
                };
                match self.set_weights(name, w.clone()) {
                    Ok(()) => response::json(StatusCode::OK, &json!(w)),
                    Err(e @ WeightsError::UnknownFunction(_)) => self.not_found(e.to_string()),
                    Err(e) => self.bad_request(e.to_string()),
                }
            }
            _ => response::text(StatusCode::METHOD_NOT_ALLOWED, "use GET or PUT"),
        }
    }

    /// Adds this node's proof of `resp` as the answer to `claim` (see
    /// [`auth::Verifier::answer_proof`]).
    async fn prove_answer(&self, claim: &auth::Claim, resp: Response<Body>) -> Response<Body> {
        use http_body_util::BodyExt;
        let (mut parts, body) = resp.into_parts();
        // A `Full` body is one frame already in memory.
        let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        let h = |name: &str| parts.headers.get(name).map_or(&b""[..], |v| v.as_bytes());
        let answer = auth::AnswerParts {
            status: parts.status.as_u16(),
            content_type: h("content-type"),
            served_by: h(response::H_SERVED_BY.as_str()),
            reject_reason: h(response::H_REJECT.as_str()),
            body: &body,
        };
        let (name, value) = self.verifier.answer_proof(self.key.signing(), claim, answer);
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            parts.headers.insert(name, v);
        }
        Response::from_parts(parts, http_body_util::Full::new(body))
    }

    async fn function_call(&self, req: Request<Incoming>, name: &str) -> Response<Body> {
        if self.shutting_down.load(Ordering::Relaxed) {
            return response::reject(&self.node_id, auth::claims_forwarded(req.headers()), RejectReason::ShuttingDown);
        }
        let start = Instant::now();
        if !matches!(*req.method(), Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
            return response::text(StatusCode::METHOD_NOT_ALLOWED, "use GET, POST, PUT, PATCH or DELETE");
        }
        let Some(f) = self.function(name).cloned() else {
            return self.not_found(format!("unknown function `{name}`"));
        };
        let (parts, body) = match self.read_body(req).await {
            Ok(x) => x,
            Err(r) => return r,
        };
        let path_q =
            parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| parts.uri.path().to_string());
        let inv = Invocation {
            method: parts.method.clone(),
            query: parts.uri.query().map(str::to_string),
            content_type: parts.headers.get(CONTENT_TYPE).cloned(),
            body,
        };
        if auth::claims_forwarded(&parts.headers) {
            let content_type = inv.content_type.as_ref().map_or(&b""[..], |v| v.as_bytes());
            let req = auth::RequestParts { method: parts.method.as_str(), path: &path_q, content_type };
            let sender = match self.verifier.verify(&parts.headers, req, &inv.body) {
                Ok(s) => s,
                Err(why) => {
                    self.node_counters.auth_rejects[why as usize].fetch_add(1, Ordering::Relaxed);
                    return response::text(StatusCode::FORBIDDEN, format!("forwarded request refused: {why}"));
                }
            };
            f.counters.add(Count::PeerArrivals);
            let run = self.run_local(&f, inv, None);
            return match tokio::time::timeout(self.request_timeout, run).await {
                Ok(r) => self.local_answer(&f, r, &sender, None),
                Err(_) => self.request_timed_out(&f, &sender),
            };
        }
        f.counters.add(Count::UserArrivals);
        let flow = self.user_call(&f, &parts, &path_q, inv);
        let resp = match tokio::time::timeout(self.request_timeout, flow).await {
            Ok(r) => r,
            Err(_) => self.request_timed_out(&f, &self.node_id),
        };
        if resp.status().is_success() {
            f.counters.observe_latency(start.elapsed().as_secs_f64());
        }
        resp
    }

    fn request_timed_out(&self, f: &Function, entry: &str) -> Response<Body> {
        f.counters.add(Count::RequestTimeouts);
        let mut r = response::text(StatusCode::GATEWAY_TIMEOUT, "request timed out at the gateway");
        stamp(&mut r, entry, None, false, None);
        r
    }

    /// A user request: weights choose local, a peer, or reject.
    async fn user_call(
        &self,
        f: &Arc<Function>,
        parts: &hyper::http::request::Parts,
        path_q: &str,
        inv: Invocation,
    ) -> Response<Body> {
        let me = self.node_id.as_str();
        match f.picker.pick() {
            Target::Reject => {
                f.counters.add(Count::PolicyRejects);
                response::reject(me, false, RejectReason::Policy)
            }
            Target::Local => {
                f.counters.add(Count::Local);
                let r = self.run_local(f, inv, None).await;
                self.local_answer(f, r, me, None)
            }
            Target::Peer(i) => self.forward_call(f, i, parts, path_q, inv).await,
        }
    }

    /// Forwards a user call to peer `i`. When the peer refused it or it
    /// never reached the peer (never when the peer may have run it), it
    /// runs here if admission has room, else is rejected with that cause.
    async fn forward_call(
        &self,
        f: &Arc<Function>,
        i: usize,
        parts: &hyper::http::request::Parts,
        path_q: &str,
        inv: Invocation,
    ) -> Response<Body> {
        let me = self.node_id.as_str();
        f.counters.add_peer(i, PeerCount::Forwarded);
        let (Some(_), Some(guard)) = (self.peers.get(i), self.guards.get(i)) else {
            return response::reject(me, false, RejectReason::PeerUnreachable);
        };
        let cause = match guard.admit(Instant::now()) {
            // Not sent (breaker open or in-flight cap full): the peer
            // cannot have run it.
            Err(_) => {
                f.counters.add_peer(i, PeerCount::Shed);
                RejectReason::PeerUnreachable
            }
            Ok(pass) => match self.send_to_peer(f, i, pass, parts, path_q, &inv).await {
                Ok(answer) => return answer,
                Err(cause) => cause,
            },
        };
        // Fall back to local execution if admission has room.
        let (fallback, final_count) = match cause {
            RejectReason::PeerRejected => (PeerCount::FallbackRejected, PeerCount::RejectedByPeer),
            _ => (PeerCount::FallbackUnreachable, PeerCount::Unreachable),
        };
        match f.admission.try_enter() {
            Some(ticket) => {
                f.counters.add_peer(i, fallback);
                let r = self.run_local(f, inv, Some(ticket)).await;
                self.local_answer(f, r, me, Some((i, final_count, cause)))
            }
            None => {
                f.counters.add_peer(i, final_count);
                response::reject(me, false, cause)
            }
        }
    }

    /// Sends the call to peer `i` (checked to exist by the caller) under its
    /// guard's `pass`. `Ok` is the call's final answer (the peer's, relayed,
    /// or a reject when the peer may have run it); `Err` is a cause after
    /// which it may still run here.
    async fn send_to_peer(
        &self,
        f: &Function,
        i: usize,
        pass: crate::peer_guard::Pass,
        parts: &hyper::http::request::Parts,
        path_q: &str,
        inv: &Invocation,
    ) -> Result<Response<Body>, RejectReason> {
        let me = self.node_id.as_str();
        let peer = &self.peers[i];
        let credential = match (self.scheme, self.verifier.pair_key(&peer.id)) {
            (crate::auth::Scheme::Mac, Some(k)) => crate::auth::Credential::Mac(k),
            _ => crate::auth::Credential::Signature(self.key.signing()),
        };
        let route = Route { sender: me, credential, receiver: &peer.id, address: &peer.address };
        let result = forward::forward(
            &self.client,
            route,
            &parts.method,
            path_q,
            &parts.headers,
            inv.body.clone(),
            f.forward_timeout,
        )
        .await;
        // An answer counts only if the peer proves it: a relay that tampers
        // with it gets neither relayed nor a local run (the peer may have
        // run the request).
        let result = result.map(|a| {
            let proven = self.verifier.verify_answer(&peer.id, &a.claim, &a.headers, a.parts());
            (a, proven)
        });
        pass.finish(matches!(result, Ok((_, Ok(())))));
        match result {
            Ok((_, Err(_))) => {
                f.counters.add_peer(i, PeerCount::BadAnswer);
                Ok(response::reject(me, false, RejectReason::PeerUnauthenticated))
            }
            Ok((a, Ok(()))) if !peer_refused(a.status) => Ok(relay(a, me, &peer.id)),
            Ok(_) => Err(RejectReason::PeerRejected),
            Err(ForwardError::NotSent(_)) => Err(RejectReason::PeerUnreachable),
            // Sent and unanswered: the peer may be running it, so it is
            // never run here as well.
            Err(ForwardError::NoAnswer(_)) => {
                f.counters.add_peer(i, PeerCount::TimedOut);
                Ok(response::reject(me, false, RejectReason::PeerTimeout))
            }
        }
    }

    /// Runs on this node under admission (a ticket already held for fallbacks).
    async fn run_local(
        &self,
        f: &Function,
        inv: Invocation,
        ticket: Option<Ticket>,
    ) -> Result<crate::backends::Output, LocalFail> {
        let ticket = match ticket.or_else(|| f.admission.try_enter()) {
            Some(t) => t,
            None => return Err(LocalFail::Capacity),
        };
        let _running = ticket.wait().await;
        match f.backend.invoke(inv).await {
            Ok(out) => {
                f.counters.add(Count::Processed);
                Ok(out)
            }
            Err(BackendError::Saturated) => Err(LocalFail::Capacity),
            Err(e @ BackendError::Timeout(_)) => {
                f.counters.add(Count::Failures);
                f.counters.add(Count::FunctionTimeouts);
                Err(LocalFail::Failed(e.to_string()))
            }
            Err(e @ BackendError::Failed(_)) => {
                f.counters.add(Count::Failures);
                Err(LocalFail::Failed(e.to_string()))
            }
        }
    }

    /// The answer to a local run. `entry` is the node the user called;
    /// `fallback` says the run replaced a failed forward (whose reject reason
    /// and count apply if there was no capacity after all).
    fn local_answer(
        &self,
        f: &Function,
        r: Result<crate::backends::Output, LocalFail>,
        entry: &str,
        fallback: Option<(usize, PeerCount, RejectReason)>,
    ) -> Response<Body> {
        let me = self.node_id.as_str();
        let forwarded = entry != me;
        match r {
            Ok(out) => {
                let mut resp = Response::new(http_body_util::Full::new(out.body));
                *resp.status_mut() = out.status;
                if let Some(ct) = out.content_type {
                    resp.headers_mut().insert(CONTENT_TYPE, ct);
                }
                stamp(&mut resp, entry, Some(me), forwarded, None);
                resp
            }
            Err(LocalFail::Capacity) => match fallback {
                Some((peer, count, why)) => {
                    f.counters.add_peer(peer, count);
                    response::reject(entry, forwarded, why)
                }
                None => {
                    f.counters.add(if forwarded {
                        Count::ReceivedCapacityRejects
                    } else {
                        Count::LocalCapacityRejects
                    });
                    response::reject(entry, forwarded, RejectReason::Capacity)
                }
            },
            Err(LocalFail::Failed(msg)) => {
                let mut resp = response::text(StatusCode::BAD_GATEWAY, msg);
                stamp(&mut resp, entry, Some(me), forwarded, None);
                resp
            }
        }
    }
}

/// Peer answers that mean "not run there" (refused before running: admission,
/// authentication, unknown function, body too large): fall back or reject.
fn peer_refused(s: StatusCode) -> bool {
    matches!(
        s,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::PAYLOAD_TOO_LARGE
    )
}

/// Passes a peer's answer to the user with this node's headers.
fn relay(a: PeerAnswer, me: &str, peer: &str) -> Response<Body> {
    let served_by = a
        .headers
        .get(response::H_SERVED_BY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| peer.to_string());
    let mut resp = Response::new(http_body_util::Full::new(a.body));
    *resp.status_mut() = a.status;
    for (name, value) in &a.headers {
        if !forward::is_hop_by_hop(name) {
            resp.headers_mut().append(name.clone(), value.clone());
        }
    }
    stamp(&mut resp, me, Some(&served_by), true, None);
    resp
}
