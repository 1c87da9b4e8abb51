//! The node config file (TOML, explicit units, unknown fields refused).
//!
//! ```toml
//! node_id = "n1"
//! listen = "127.0.0.1:8081"
//! key_file = "n1.key"            # relative to this file; generated if missing
//! control_token_file = "n1.control.token"  # default <node_id>.control.token; generated if missing
//! max_body_bytes = 1048576       # larger request bodies get 413
//! max_connections = 1024         # open client connections (kept below ulimit -n)
//! budget_units = 4               # optional: units the node's synthetic functions share
//! budget_queue_s = 1.0           # waiting work allowed, seconds of the whole budget (default 0: none waits)
//!
//! [timeouts]                     # function < forward_s < request_s
//! connect_s = 1.0
//! forward_s = 10.0
//! request_s = 15.0
//! header_read_s = 10.0           # also the keep-alive idle limit
//! write_s = 10.0                 # no progress writing an answer
//! drain_notice_s = 0.5           # on shutdown: 503 shutting-down, then close
//!
//! [forwarding]                   # per peer
//! max_in_flight_per_peer = 64    # more forwards waiting at once are shed (run locally)
//! breaker_failures = 5           # consecutive failures that open the breaker
//! breaker_open_s = 2.0           # first open period (doubles on a failed probe)
//! timeout_margin_s = 1.0         # forward timeout: min(forward_s, longest run + margin)
//!
//! [auth]
//! freshness_window_s = 10.0
//! scheme = "mac"                 # or "signature" (Ed25519 per request)
//!
//! [[members]]                    # the other federation members, in peer order
//! id = "n2"
//! public_key = "base64 of the 32-byte Ed25519 public key"
//! address = "127.0.0.1:8082"      # or a DNS name: "dfaas-2.dfaas.edge.svc.cluster.local:8080"
//!
//! [[functions]]
//! name = "figlet"
//! backend = { kind = "process", command = "figlet", args = [], timeout_s = 2.0 }
//! admission = { max_concurrency = 4, queue = 16, max_rate_rps = 100.0 }
//! weights = { local = 80, reject = 0, peers = { n2 = 20 } }
//! ```

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::weights::Weights;

/// A config file that cannot be read, parsed or accepted.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or a field is unknown, missing or of the wrong type.
    #[error("{file}: field `{field}` = {value}: {message}")]
    Parse { file: PathBuf, field: String, value: String, message: String },
    /// A field has a value outside its domain.
    #[error("{file}: field `{field}` = {value}: {reason}")]
    Invalid { file: PathBuf, field: String, value: String, reason: String },
}

/// One node's whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's id (unique in the federation).
    pub node_id: String,
    /// Address the gateway listens on (port 0: any free port).
    pub listen: SocketAddr,
    /// Ed25519 node key file (see [`crate::keys`]); relative paths are
    /// resolved against the config file's folder.
    pub key_file: PathBuf,
    /// The bearer token of the node's control endpoints (the gateway's
    /// `/control/weights` and the agent's control API): a file holding it,
    /// generated (mode 0600) on first start. Default `<node_id>.control.token`
    /// beside this config; relative paths are resolved against its folder.
    #[serde(default)]
    pub control_token_file: Option<PathBuf>,
    /// Largest accepted request body, bytes (413 above it).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: u64,
    /// Open client connections at most (lowered to fit the descriptor limit);
    /// at the cap the least recently active idle connection is closed.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// Timeouts of outbound calls and of whole requests.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Forwarded-request authentication.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Per-peer in-flight cap, circuit breaker and forward timeout margin.
    #[serde(default)]
    pub forwarding: crate::peer_guard::ForwardingConfig,
    /// The other federation members; their order is the peer order of
    /// weights vectors and [`dfaas_env::SlotOutcome`] fields.
    #[serde(default)]
    pub members: Vec<Member>,
    /// The node's resource budget in units, shared by its synthetic
    /// functions (each call holds its function's `units`); none: no shared limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_units: Option<u32>,
    /// Work that may wait for the budget's units (first come, first served
    /// across functions), in seconds of the whole budget: a call waits while
    /// every waiting call's units × service time stays within
    /// `budget_units × budget_queue_s`; beyond, 503. Default 0: none wait.
    #[serde(default)]
    pub budget_queue_s: f64,
    /// The functions this node serves.
    pub functions: Vec<FunctionConfig>,
    /// The file this config was read from (for messages and relative paths).
    #[serde(skip)]
    pub source: PathBuf,
}

fn default_max_body() -> u64 {
    1 << 20
}

fn default_max_connections() -> u32 {
    1024
}

/// Timeouts, seconds. Each function's own timeout must be below `forward_s`,
/// which must be below `request_s`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// TCP connect to a peer or an OpenFaaS gateway.
    #[serde(default = "d_connect")]
    pub connect_s: f64,
    /// Whole forwarded call to a peer.
    #[serde(default = "d_forward")]
    pub forward_s: f64,
    /// Whole request at this gateway (answered 504 past it).
    #[serde(default = "d_request")]
    pub request_s: f64,
    /// Reading a request's headers (slow clients are cut off); also how
    /// long a kept-alive connection may sit idle.
    #[serde(default = "d_header")]
    pub header_read_s: f64,
    /// Writing an answer may make no progress for at most this long (a
    /// client that does not read is cut off).
    #[serde(default = "d_write")]
    pub write_s: f64,
    /// On shutdown, how long new requests are still answered (503
    /// `shutting-down`, `Connection: close`) before the listener closes, so
    /// peers learn it on their pooled connections instead of losing a request.
    #[serde(default = "d_notice")]
    pub drain_notice_s: f64,
}

fn d_connect() -> f64 {
    1.0
}
fn d_forward() -> f64 {
    10.0
}
fn d_request() -> f64 {
    15.0
}
fn d_header() -> f64 {
    10.0
}
fn d_write() -> f64 {
    10.0
}
fn d_notice() -> f64 {
    0.5
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_s: d_connect(),
            forward_s: d_forward(),
            request_s: d_request(),
            header_read_s: d_header(),
            write_s: d_write(),
            drain_notice_s: d_notice(),
        }
    }
}

/// Forwarded-request authentication settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Accepted clock difference between signer and verifier, seconds.
    #[serde(default = "d_window")]
    pub freshness_window_s: f64,
    /// How this node proves its forwards: `mac` (HMAC under the pair key,
    /// the default) or `signature` (Ed25519). Peers accept both.
    #[serde(default)]
    pub scheme: crate::auth::Scheme,
}

fn d_window() -> f64 {
    10.0
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig { freshness_window_s: d_window(), scheme: Default::default() }
    }
}

/// Another federation member.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Its node id.
    pub id: String,
    /// Its Ed25519 public key, base64 (standard alphabet) of 32 bytes.
    pub public_key: String,
    /// Its gateway's address: `ip:port` or `dns-name:port` (resolved at
    /// each new connection).
    pub address: crate::peer_address::PeerAddress,
}

/// One function served by the node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// Name in `/function/<name>`: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// What runs it.
    pub backend: BackendConfig,
    /// Local admission control.
    pub admission: AdmissionConfig,
    /// Initial weights (default: all local).
    #[serde(default = "Weights::all_local")]
    pub weights: Weights,
}

/// How a function runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendConfig {
    /// One process per request: body on stdin, stdout is the answer.
    Process {
        command: String,
        #[serde(default)]
        args: Vec<String>,
        timeout_s: f64,
        /// Names of the gateway's environment variables the function sees;
        /// nothing else of the gateway's environment reaches it (`PATH`
        /// always does; the `Http_*` request variables are set per call).
        #[serde(default)]
        env: Vec<String>,
    },
    /// Proxy to an OpenFaaS function URL (`http://host:port/function/f`).
    #[serde(rename = "openfaas")]
    OpenFaas { url: String, timeout_s: f64 },
    /// Built-in function with warm/cold instances (the simulator's
    /// `serverless` assumptions) and optional CPU work.
    Synthetic {
        warm_s: f64,
        cold_s: f64,
        idle_s: f64,
        max_instances: u32,
        #[serde(default)]
        cpu_work_us: Option<u64>,
        /// `fixed` (default): every call takes `warm_s` or `cold_s`;
        /// `exponential`: exponentially distributed with those means (what the
        /// serverless model assumes), truncated at [`EXP_TRUNCATION`] × the mean.
        #[serde(default)]
        service: ServiceTimes,
        /// Seed of the service-time draws (`exponential`).
        #[serde(default)]
        seed: u64,
        /// Units of the node's `budget_units` a call holds while it runs
        /// (default 1 where the node has a budget).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        units: Option<u32>,
    },
}

/// How long a synthetic call takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceTimes {
    #[default]
    Fixed,
    Exponential,
}

/// Longest exponential service time, in means (P(exceeding) = e⁻¹⁰ ≈ 4.5·10⁻⁵).
pub const EXP_TRUNCATION: f64 = 10.0;

impl BackendConfig {
    /// The longest a single call may take, seconds.
    pub fn max_duration_s(&self) -> f64 {
        match self {
            BackendConfig::Process { timeout_s, .. } | BackendConfig::OpenFaas { timeout_s, .. } => *timeout_s,
            BackendConfig::Synthetic { cold_s, warm_s, cpu_work_us, service, .. } => {
                let longest = match service {
                    ServiceTimes::Fixed => 1.0,
                    ServiceTimes::Exponential => EXP_TRUNCATION,
                };
                cold_s.max(*warm_s) * longest + cpu_work_us.unwrap_or(0) as f64 * 1e-6
            }
        }
    }

    /// Short name: `process`, `openfaas` or `synthetic`.
    pub fn kind(&self) -> &'static str {
        match self {
            BackendConfig::Process { .. } => "process",
            BackendConfig::OpenFaas { .. } => "openfaas",
            BackendConfig::Synthetic { .. } => "synthetic",
        }
    }
}

/// Admission control of one function.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionConfig {
    /// Requests running at once.
    pub max_concurrency: u32,
    /// Requests waiting for a slot; more are rejected at once (503 capacity).
    pub queue: u32,
    /// Token-bucket rate limit, requests per second (burst: one second's worth).
    #[serde(default)]
    pub max_rate_rps: Option<f64>,
}

impl NodeConfig {
    /// Reads, parses and validates a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<NodeConfig, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.into(), source })?;
        NodeConfig::from_toml_str(&text, path)
    }

    /// Parses and validates config text; `file` names it in errors and
    /// anchors a relative `key_file`.
    pub fn from_toml_str(text: &str, file: impl AsRef<Path>) -> Result<NodeConfig, ConfigError> {
        let file = file.as_ref();
        let parse_err = |field: String, e: &toml::de::Error| {
            let value = e
                .span()
                .and_then(|s| text.get(s))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "(missing)".into());
            let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let message = match line {
                Some(l) => format!("{} (line {l})", e.message().trim()),
                None => e.message().trim().to_string(),
            };
            ConfigError::Parse { file: file.into(), field, value, message }
        };
        let de = toml::Deserializer::parse(text).map_err(|e| parse_err("(syntax)".into(), &e))?;
        let mut cfg: NodeConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut field = e.path().to_string();
            // serde reports a missing field at its parent: name the field itself.
            if let Some(name) = e.inner().message().strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
                field = if field == "." { name.to_string() } else { format!("{field}.{name}") };
            }
            parse_err(if field == "." { "(top level)".into() } else { field }, e.inner())
        })?;
        cfg.source = file.to_path_buf();
        if let Some(dir) = file.parent().filter(|_| cfg.key_file.is_relative()) {
            cfg.key_file = dir.join(&cfg.key_file);
        }
        let token = cfg.control_token_path();
        cfg.control_token_file = Some(match file.parent() {
            Some(dir) if token.is_relative() => dir.join(token),
            _ => token,
        });
        cfg.validate()?;
        Ok(cfg)
    }

    /// The control token file: `control_token_file`, or `<node_id>.control.token`.
    pub fn control_token_path(&self) -> PathBuf {
        self.control_token_file.clone().unwrap_or_else(|| format!("{}.control.token", self.node_id).into())
    }

    /// The peer ids in configured order.
    pub fn peer_ids(&self) -> Vec<String> {
        self.members.iter().map(|m| m.id.clone()).collect()
    }

    /// Checks every value's domain and the cross-field rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: String, value: &dyn std::fmt::Display, reason: &str| ConfigError::Invalid {
            file: self.source.clone(),
            field,
            value: value.to_string(),
            reason: reason.into(),
        };
        if !valid_name(&self.node_id) {
            return Err(bad("node_id".into(), &format!("{:?}", self.node_id), "use letters, digits, '-', '_', '.'"));
        }
        if self.max_body_bytes == 0 {
            return Err(bad("max_body_bytes".into(), &0, "must be at least 1"));
        }
        self.validate_limits(&bad)?;
        self.validate_members(&bad)?;
        self.validate_functions(&bad)
    }

    /// Timeouts, forwarding limits and the connection cap.
    fn validate_limits(&self, bad: &BadFn<'_>) -> Result<(), ConfigError> {
        let t = &self.timeouts;
        for (name, v) in [
            ("timeouts.connect_s", t.connect_s),
            ("timeouts.forward_s", t.forward_s),
            ("timeouts.request_s", t.request_s),
            ("timeouts.header_read_s", t.header_read_s),
            ("timeouts.write_s", t.write_s),
            ("auth.freshness_window_s", self.auth.freshness_window_s),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
                return Err(bad(name.into(), &v, "must be a number of seconds in (0, 86400]"));
            }
        }
        let fw = &self.forwarding;
        if fw.max_in_flight_per_peer == 0 {
            return Err(bad("forwarding.max_in_flight_per_peer".into(), &0, "must be at least 1"));
        }
        if fw.breaker_failures == 0 {
            return Err(bad("forwarding.breaker_failures".into(), &0, "must be at least 1"));
        }
        if !(fw.breaker_open_s.is_finite() && fw.breaker_open_s > 0.0 && fw.breaker_open_s <= 3600.0) {
            return Err(bad("forwarding.breaker_open_s".into(), &fw.breaker_open_s, "must be seconds in (0, 3600]"));
        }
        if !(fw.timeout_margin_s.is_finite() && (0.0..=86_400.0).contains(&fw.timeout_margin_s)) {
            return Err(bad(
                "forwarding.timeout_margin_s".into(),
                &fw.timeout_margin_s,
                "must be seconds in [0, 86400]",
            ));
        }
        if !(t.drain_notice_s.is_finite() && (0.0..=60.0).contains(&t.drain_notice_s)) {
            return Err(bad("timeouts.drain_notice_s".into(), &t.drain_notice_s, "must be seconds in [0, 60]"));
        }
        if self.max_connections == 0 {
            return Err(bad("max_connections".into(), &0, "must be at least 1"));
        }
        if t.forward_s >= t.request_s {
            return Err(bad("timeouts.forward_s".into(), &t.forward_s, "must be below timeouts.request_s"));
        }
        Ok(())
    }

    /// Members: valid, unique ids other than this node's, Ed25519 public keys.
    fn validate_members(&self, bad: &BadFn<'_>) -> Result<(), ConfigError> {
        let mut ids = HashSet::new();
        for (i, m) in self.members.iter().enumerate() {
            if !valid_name(&m.id) || m.id == self.node_id || !ids.insert(m.id.as_str()) {
                return Err(bad(
                    format!("members[{i}].id"),
                    &format!("{:?}", m.id),
                    "must be a valid, unique id other than node_id",
                ));
            }
            if crate::keys::decode_public_key(&m.public_key).is_none() {
                return Err(bad(
                    format!("members[{i}].public_key"),
                    &format!("{:?}", m.public_key),
                    "not base64 of a 32-byte Ed25519 public key",
                ));
            }
        }
        Ok(())
    }

    /// Functions: at least one, unique names, backends, admission, weights.
    fn validate_functions(&self, bad: &BadFn<'_>) -> Result<(), ConfigError> {
        let t = &self.timeouts;
        if self.functions.is_empty() {
            return Err(bad("functions".into(), &"[]", "at least one function is needed"));
        }
        let peers = self.peer_ids();
        let mut names = HashSet::new();
        for (i, f) in self.functions.iter().enumerate() {
            let p = format!("functions[{i}]");
            if !valid_name(&f.name) || !names.insert(f.name.as_str()) {
                return Err(bad(
                    format!("{p}.name"),
                    &format!("{:?}", f.name),
                    "must be unique; letters, digits, '-', '_', '.'",
                ));
            }
            validate_backend(&f.backend, &p, t.forward_s, bad)?;
            self.validate_units(&f.backend, &p, bad)?;
            let a = &f.admission;
            if a.max_concurrency == 0 {
                return Err(bad(format!("{p}.admission.max_concurrency"), &0, "must be at least 1"));
            }
            if let Some(r) = a.max_rate_rps.filter(|r| !(r.is_finite() && *r > 0.0)) {
                return Err(bad(format!("{p}.admission.max_rate_rps"), &r, "must be a positive number"));
            }
            if let Err(e) = f.weights.to_vector(&peers) {
                return Err(bad(format!("{p}.weights"), &format!("{:?}", f.weights), &e.to_string()));
            }
        }
        Ok(())
    }
}

impl NodeConfig {
    /// A function's `units` against the node's `budget_units`: units need a
    /// budget, and no call may need more than the whole budget.
    fn validate_units(&self, b: &BackendConfig, p: &str, bad: &BadFn<'_>) -> Result<(), ConfigError> {
        if self.budget_units == Some(0) {
            return Err(bad("budget_units".into(), &0, "must be at least 1 (or absent: no shared budget)"));
        }
        if !(self.budget_queue_s.is_finite() && (0.0..=3600.0).contains(&self.budget_queue_s)) {
            return Err(bad("budget_queue_s".into(), &self.budget_queue_s, "must be seconds within 0..=3600"));
        }
        if self.budget_units.is_none() && self.budget_queue_s > 0.0 {
            return Err(bad("budget_queue_s".into(), &self.budget_queue_s, "needs the node's budget_units"));
        }
        let BackendConfig::Synthetic { units: Some(u), .. } = b else { return Ok(()) };
        match self.budget_units {
            None => Err(bad(format!("{p}.backend.units"), u, "needs the node's budget_units")),
            Some(_) if *u == 0 => Err(bad(format!("{p}.backend.units"), &0, "must be at least 1")),
            Some(limit) if *u > limit => Err(bad(
                format!("{p}.backend.units"),
                u,
                &format!("more than the node's whole budget_units ({limit}): no call could run"),
            )),
            Some(_) => Ok(()),
        }
    }
}

type BadFn<'a> = dyn Fn(String, &dyn std::fmt::Display, &str) -> ConfigError + 'a;

fn validate_backend(b: &BackendConfig, p: &str, forward_s: f64, bad: &BadFn<'_>) -> Result<(), ConfigError> {
    let secs = |field: &str, v: f64, allow_zero: bool| {
        let ok = v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0)) && v <= 86_400.0;
        if ok {
            Ok(())
        } else {
            Err(bad(format!("{p}.backend.{field}"), &v, "must be a number of seconds in [0, 86400]"))
        }
    };
    match b {
        BackendConfig::Process { command, timeout_s, .. } => {
            if command.trim().is_empty() {
                return Err(bad(format!("{p}.backend.command"), &"\"\"", "must not be empty"));
            }
            secs("timeout_s", *timeout_s, false)?;
        }
        BackendConfig::OpenFaas { url, timeout_s } => {
            let ok = url
                .parse::<hyper::Uri>()
                .ok()
                .is_some_and(|u| u.scheme_str() == Some("http") && u.authority().is_some());
            if !ok {
                return Err(bad(format!("{p}.backend.url"), &format!("{url:?}"), "must be an http:// URL with a host"));
            }
            secs("timeout_s", *timeout_s, false)?;
        }
        BackendConfig::Synthetic { warm_s, cold_s, idle_s, max_instances, cpu_work_us, .. } => {
            secs("warm_s", *warm_s, true)?;
            secs("cold_s", *cold_s, true)?;
            secs("idle_s", *idle_s, true)?;
            if *max_instances == 0 {
                return Err(bad(format!("{p}.backend.max_instances"), &0, "must be at least 1"));
            }
            if cpu_work_us.is_some_and(|c| c > 60_000_000) {
                return Err(bad(format!("{p}.backend.cpu_work_us"), &cpu_work_us.unwrap_or(0), "at most 60 s of work"));
            }
        }
    }
    if b.max_duration_s() >= forward_s {
        return Err(bad(
            format!("{p}.backend"),
            &b.max_duration_s(),
            "the function's longest run must be below timeouts.forward_s",
        ));
    }
    Ok(())
}

/// Node and function names: non-empty, at most 64 of `[A-Za-z0-9._-]`.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Seconds to a `Duration`, never panicking: negative or NaN → zero,
/// too large → `Duration::MAX` (validated configs never reach either).
pub fn secs(s: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(if s.is_nan() {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::MAX
    })
}
