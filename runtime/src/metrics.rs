//! `/metrics` in the Prometheus text exposition format (0.0.4).

use std::fmt::Write;
use std::sync::atomic::Ordering;

use crate::auth::AuthFailure;
use crate::counters::{Count, LATENCY_BUCKETS_S, PeerCount};
use crate::gateway::Gateway;

/// Each function with its counters' snapshot, taken once per page.
type Snapshots<'a> = Vec<(&'a crate::gateway::Function, crate::counters::CountsSnapshot)>;

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

impl Gateway {
    /// The metrics page.
    pub fn metrics_text(&self) -> String {
        let mut o = String::with_capacity(4096);
        let snaps: Snapshots<'_> = self.functions.iter().map(|f| (f.as_ref(), f.counters.totals())).collect();
        self.metrics_requests(&mut o, &snaps);
        self.metrics_rejects(&mut o, &snaps);
        self.metrics_latency(&mut o, &snaps);
        self.metrics_load(&mut o);
        self.metrics_node(&mut o);
        o
    }

    /// Requests received, kept local, forwarded, shed and fallen back, per function and peer; the peers' in-flight and breaker gauges.
    fn metrics_requests(&self, o: &mut String, snaps: &Snapshots<'_>) {
        let node = &self.node_id;
        header(o, "dfaas_requests_total", "counter", "Function requests received, by origin (user or peer).");
        for (f, s) in snaps {
            for (origin, c) in [("user", Count::UserArrivals), ("peer", Count::PeerArrivals)] {
                let _ = writeln!(
                    o,
                    "dfaas_requests_total{{node=\"{node}\",function=\"{}\",origin=\"{origin}\"}} {}",
                    f.name,
                    s.get(c)
                );
            }
        }
        header(o, "dfaas_local_total", "counter", "User requests the weights sent to local execution.");
        for (f, s) in snaps {
            let _ = writeln!(o, "dfaas_local_total{{node=\"{node}\",function=\"{}\"}} {}", f.name, s.get(Count::Local));
        }
        for (name, help, c) in [
            ("dfaas_forwarded_total", "User requests the weights sent to each peer.", PeerCount::Forwarded),
            (
                "dfaas_forwards_shed_total",
                "Forwards not sent because the peer's breaker was open or its in-flight cap full.",
                PeerCount::Shed,
            ),
        ] {
            header(o, name, "counter", help);
            for (f, s) in snaps {
                for (i, p) in self.peers.iter().enumerate() {
                    let _ = writeln!(
                        o,
                        "{name}{{node=\"{node}\",function=\"{}\",peer=\"{}\"}} {}",
                        f.name,
                        p.id,
                        s.peer(i, c)
                    );
                }
            }
        }
        header(
            o,
            "dfaas_forward_fallbacks_total",
            "counter",
            "Forwards that failed and ran locally instead, by cause.",
        );
        for (f, s) in snaps {
            for (i, p) in self.peers.iter().enumerate() {
                for (cause, c) in [
                    ("peer-rejected", PeerCount::FallbackRejected),
                    ("peer-unreachable", PeerCount::FallbackUnreachable),
                ] {
                    let _ = writeln!(
                        o,
                        "dfaas_forward_fallbacks_total{{node=\"{node}\",function=\"{}\",peer=\"{}\",cause=\"{cause}\"}} {}",
                        f.name,
                        p.id,
                        s.peer(i, c)
                    );
                }
            }
        }
        header(o, "dfaas_peer_in_flight", "gauge", "Forwards to each peer waiting for an answer.");
        for (p, g) in self.peers.iter().zip(&self.guards) {
            let _ = writeln!(o, "dfaas_peer_in_flight{{node=\"{node}\",peer=\"{}\"}} {}", p.id, g.in_flight());
        }
        header(o, "dfaas_peer_breaker", "gauge", "Each peer's circuit breaker: 0 closed, 1 open, 2 half-open.");
        for (p, g) in self.peers.iter().zip(&self.guards) {
            let state = match g.breaker() {
                crate::peer_guard::BreakerState::Closed => 0,
                crate::peer_guard::BreakerState::Open => 1,
                crate::peer_guard::BreakerState::HalfOpen => 2,
            };
            let _ = writeln!(o, "dfaas_peer_breaker{{node=\"{node}\",peer=\"{}\"}} {state}", p.id);
        }
    }

    /// Rejections by reason and origin; runs by result; timeouts.
    fn metrics_rejects(&self, o: &mut String, snaps: &Snapshots<'_>) {
        let node = &self.node_id;
        header(
            o,
            "dfaas_rejects_total",
            "counter",
            "Requests answered 503 (504 for peer-timeout), by reason and origin.",
        );
        for (f, s) in snaps {
            let sum = |c: PeerCount| (0..self.peers.len()).map(|i| s.peer(i, c)).sum::<u64>();
            for (reason, origin, v) in [
                ("policy", "user", s.get(Count::PolicyRejects)),
                ("capacity", "user", s.get(Count::LocalCapacityRejects)),
                ("capacity", "peer", s.get(Count::ReceivedCapacityRejects)),
                ("peer-rejected", "user", sum(PeerCount::RejectedByPeer)),
                ("peer-unreachable", "user", sum(PeerCount::Unreachable)),
                ("peer-timeout", "user", sum(PeerCount::TimedOut)),
                ("peer-unauthenticated", "user", sum(PeerCount::BadAnswer)),
            ] {
                let _ = writeln!(
                    o,
                    "dfaas_rejects_total{{node=\"{node}\",function=\"{}\",reason=\"{reason}\",origin=\"{origin}\"}} {v}",
                    f.name
                );
            }
        }
        header(o, "dfaas_runs_total", "counter", "Runs on this node, by result (ok, failed incl. timeouts).");
        for (f, s) in snaps {
            for (result, c) in [("ok", Count::Processed), ("failed", Count::Failures)] {
                let _ = writeln!(
                    o,
                    "dfaas_runs_total{{node=\"{node}\",function=\"{}\",result=\"{result}\"}} {}",
                    f.name,
                    s.get(c)
                );
            }
        }
        for (name, help, c) in [
            ("dfaas_function_timeouts_total", "Runs stopped at the function timeout.", Count::FunctionTimeouts),
            ("dfaas_request_timeouts_total", "Requests answered 504 at the gateway deadline.", Count::RequestTimeouts),
        ] {
            header(o, name, "counter", help);
            for (f, s) in snaps {
                let _ = writeln!(o, "{name}{{node=\"{node}\",function=\"{}\"}} {}", f.name, s.get(c));
            }
        }
    }

    /// The entry node's latency histogram per function.
    fn metrics_latency(&self, o: &mut String, snaps: &Snapshots<'_>) {
        let node = &self.node_id;
        header(o, "dfaas_latency_seconds", "histogram", "Latency of served user requests at the entry node.");
        for (f, s) in snaps {
            let mut cum = 0;
            for (i, ub) in LATENCY_BUCKETS_S.iter().enumerate() {
                cum += s.buckets.get(i).copied().unwrap_or(0);
                let _ = writeln!(
                    o,
                    "dfaas_latency_seconds_bucket{{node=\"{node}\",function=\"{}\",le=\"{ub}\"}} {cum}",
                    f.name
                );
            }
            let _ = writeln!(
                o,
                "dfaas_latency_seconds_bucket{{node=\"{node}\",function=\"{}\",le=\"+Inf\"}} {}",
                f.name, s.latency_count
            );
            let _ =
                writeln!(o, "dfaas_latency_seconds_sum{{node=\"{node}\",function=\"{}\"}} {}", f.name, s.latency_sum_s);
            let _ = writeln!(
                o,
                "dfaas_latency_seconds_count{{node=\"{node}\",function=\"{}\"}} {}",
                f.name, s.latency_count
            );
        }
    }

    /// Running and queued requests and the current target weights.
    fn metrics_load(&self, o: &mut String) {
        let node = &self.node_id;
        header(o, "dfaas_running", "gauge", "Requests running now.");
        for f in &self.functions {
            let _ = writeln!(o, "dfaas_running{{node=\"{node}\",function=\"{}\"}} {}", f.name, f.admission.running());
        }
        header(o, "dfaas_queued", "gauge", "Requests waiting in the admission queue now.");
        for f in &self.functions {
            let queued = f.admission.occupied().saturating_sub(f.admission.running());
            let _ = writeln!(o, "dfaas_queued{{node=\"{node}\",function=\"{}\"}} {queued}", f.name);
        }
        if let Some(b) = &self.budget {
            header(o, "dfaas_budget_units", "gauge", "The node's budget shared by its synthetic functions, units.");
            let _ = writeln!(o, "dfaas_budget_units{{node=\"{node}\"}} {}", b.limit());
            header(o, "dfaas_budget_units_in_use", "gauge", "Units of the node's budget held by running calls now.");
            let _ = writeln!(o, "dfaas_budget_units_in_use{{node=\"{node}\"}} {}", b.in_use());
            header(o, "dfaas_budget_waiting", "gauge", "Calls waiting for units of the node's budget now.");
            let _ = writeln!(o, "dfaas_budget_waiting{{node=\"{node}\"}} {}", b.waiting());
        }
        header(o, "dfaas_weight", "gauge", "Current target weights.");
        for f in &self.functions {
            let w = f.picker.current();
            let k = self.peers.len();
            for (i, v) in w.vector.iter().enumerate() {
                let target = match i {
                    0 => "local".to_string(),
                    i if i == k + 1 => "reject".to_string(),
                    i => format!("peer:{}", self.peers[i - 1].id),
                };
                let _ = writeln!(o, "dfaas_weight{{node=\"{node}\",function=\"{}\",target=\"{target}\"}} {v}", f.name);
            }
        }
    }

    /// Node-wide counters: authentication refusals, HTTP errors, connections, readiness.
    fn metrics_node(&self, o: &mut String) {
        let node = &self.node_id;
        header(o, "dfaas_auth_rejects_total", "counter", "Forwarded requests refused with 403, by reason.");
        for why in AuthFailure::ALL {
            let _ = writeln!(
                o,
                "dfaas_auth_rejects_total{{node=\"{node}\",reason=\"{}\"}} {}",
                why.label(),
                self.auth_rejects(why)
            );
        }
        header(o, "dfaas_http_errors_total", "counter", "Requests answered 400, 404 or 413.");
        let c = &self.node_counters;
        for (code, v) in [("400", &c.bad_requests), ("404", &c.not_found), ("413", &c.too_large)] {
            let _ =
                writeln!(o, "dfaas_http_errors_total{{node=\"{node}\",code=\"{code}\"}} {}", v.load(Ordering::Relaxed));
        }
        let cs = &self.conn_stats;
        for (name, kind, help, v) in [
            ("dfaas_connections_open", "gauge", "Client connections open now.", cs.open.load(Ordering::Relaxed) as u64),
            (
                "dfaas_connections_cap",
                "gauge",
                "Open connections allowed (after ulimit -n).",
                cs.cap.load(Ordering::Relaxed) as u64,
            ),
            (
                "dfaas_connections_accepted_total",
                "counter",
                "Client connections accepted.",
                cs.accepted.load(Ordering::Relaxed),
            ),
            (
                "dfaas_connections_evicted_total",
                "counter",
                "Idle connections closed at the cap to make room for a new one.",
                cs.evicted.load(Ordering::Relaxed),
            ),
            (
                "dfaas_connections_refused_total",
                "counter",
                "New connections closed at the cap because every open one was busy.",
                cs.refused.load(Ordering::Relaxed),
            ),
        ] {
            header(o, name, kind, help);
            let _ = writeln!(o, "{name}{{node=\"{node}\"}} {v}");
        }
        header(o, "dfaas_ready", "gauge", "1 when at least one function can accept work.");
        let _ = writeln!(o, "dfaas_ready{{node=\"{node}\"}} {}", u8::from(self.is_ready()));
    }
}
