//! Helpers for process-level tests of live agents on 127.0.0.1: a federation
//! from a scenario's configs, a blocking HTTP GET, bounded polling.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dfaas_live::cluster::{Children, Choice, NodePlan, write_configs};
use serde_json::Value;

pub const CLOUDNET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/dfaas-cloudnet21.toml");

/// `GET path` on `addr` (HTTP/1.1, `Connection: close`, 3 s timeouts):
/// status and body, or `None` on any transport error.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    get_with(addr, path, "")
}

fn get_with(addr: SocketAddr, path: &str, extra_headers: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra_headers}Connection: close\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// `GET path` on a node's control API with its token, as JSON (200 only).
pub fn get_json(p: &NodePlan, path: &str) -> Option<Value> {
    let auth = format!("Authorization: Bearer {}\r\n", p.token()?);
    match get_with(p.control, path, &auth) {
        Some((200, body)) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

/// The entry of `node` in an agent's `/neighbors`.
pub fn neighbor(p: &NodePlan, node: &str) -> Option<Value> {
    get_json(p, "/neighbors")?.as_array()?.iter().find(|n| n["node"] == node).cloned()
}

/// Whether the agent of `p` sees `node` as available.
pub fn sees_available(p: &NodePlan, node: &str) -> bool {
    neighbor(p, node).is_some_and(|n| n["available"] == true)
}

/// Neighbours the agent of `p` sees as available.
pub fn available_count(p: &NodePlan) -> usize {
    get_json(p, "/neighbors")
        .and_then(|v| v.as_array().map(|a| a.iter().filter(|n| n["available"] == true).count()))
        .unwrap_or(0)
}

/// A counter of a gateway's `/metrics` (the sample whose line starts with `prefix`).
pub fn metric(gateway: SocketAddr, prefix: &str) -> Option<f64> {
    let (_, text) = http_get(gateway, "/metrics")?;
    text.lines().find(|l| l.starts_with(prefix))?.rsplit(' ').next()?.parse().ok()
}

/// Polls `cond` every 100 ms until it holds or `timeout` passes; returns
/// the time it took, or `None`.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    loop {
        if cond() {
            return Some(t0.elapsed());
        }
        if t0.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last lines of an agent's log (for failure messages).
pub fn log_tail(dir: &Path, node: &str) -> String {
    let text = std::fs::read_to_string(dir.join(format!("{node}.log"))).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The CloudNet 2021 scenario's configs in a fresh temporary folder.
pub struct Federation {
    pub dir: tempfile::TempDir,
    pub plans: Vec<NodePlan>,
    pub children: Children,
}

impl Federation {
    /// Writes the configs (fresh keys, PSK, allow-list) with `slot_seconds`
    /// slots and `policy`; starts no agent.
    pub fn configure(slot_seconds: f64, policy: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let scenario = dfaas_env::Scenario::load(CLOUDNET).expect("scenario loads");
        let plans =
            write_configs(&scenario, dir.path(), slot_seconds, &Choice::Policy(policy.into()), 7).expect("configs");
        Self { dir, plans, children: Children::default() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn plan(&self, node: &str) -> &NodePlan {
        self.plans.iter().find(|p| p.id == node).unwrap_or_else(|| panic!("no node {node}"))
    }

    /// Starts `dfaas agent` for `node` with its own config.
    pub fn spawn(&mut self, node: &str) -> u32 {
        let cfg = self.plan(node).agent_toml.clone();
        self.spawn_with(node, &cfg)
    }

    /// Starts `dfaas agent` for `node` with the config file `cfg`.
    pub fn spawn_with(&mut self, node: &str, cfg: &Path) -> u32 {
        let log = self.dir.path().join(format!("{node}.log"));
        self.children.spawn(node, Path::new(env!("CARGO_BIN_EXE_dfaas")), cfg, &log).expect("agent starts")
    }

    /// Waits until each of `nodes` answers `/healthz` and sees `expect`
    /// neighbours available; panics with the logs after `timeout`.
    pub fn wait_ready(&mut self, nodes: &[&str], expect: usize, timeout: Duration) -> Duration {
        let plans: Vec<NodePlan> = nodes.iter().map(|n| self.plan(n).clone()).collect();
        let took = wait_for(timeout, || {
            if let Some((name, st)) = self.children.exited() {
                panic!("agent {name} exited ({st}):\n{}", log_tail(self.dir.path(), &name));
            }
            plans
                .iter()
                .all(|p| matches!(http_get(p.gateway, "/healthz"), Some((200, _))) && available_count(p) >= expect)
        });
        took.unwrap_or_else(|| {
            let logs: Vec<String> =
                nodes.iter().map(|n| format!("--- {n}:\n{}", log_tail(self.dir.path(), n))).collect();
            panic!("agents {nodes:?} not ready within {timeout:?}\n{}", logs.join("\n"))
        })
    }
}
