//! The agent's config file (TOML): the runtime's node config (a path to its
//! `node.toml`), overlay settings, slot length, the managed function, its
//! capacity, the predictor, the policy and the control API address.
//!
//! ```toml
//! runtime = "node.toml"              # relative to this file
//! function = "figlet"
//! capacity_rps = 10.0
//! slot_seconds = 1.0                 # default 1.0
//! policy = "slack-proportional"      # or: model = "models/x.dfpolicy"
//! control_listen = "127.0.0.1:9100"  # default 127.0.0.1:0
//! models_dir = "models"              # PUT /policy {"model"} loads only from here (default: model's folder)
//! clock = "timer"                    # or "external": slots end on `POST /tick`
//! predictor = { kind = "holt", alpha = 0.5, beta = 0.3 }  # default, as a scenario's
//!
//! [overlay]
//! listen = "/ip4/127.0.0.1/tcp/4001"
//! bootstrap = ["/ip4/127.0.0.1/tcp/4002/p2p/12D3Koo..."]
//! psk = "<64 hex digits>"            # or psk_file = "swarm.key"
//! allow = ["12D3Koo..."]        # or allow_file = "allow.txt": one peer id per line (# comments)
//! mdns = false
//! stale_after_slots = 3
//! ```
//!
//! Several functions (instead of `function`, `capacity_rps`, `node_index`):
//! one table each; their capacities come each slot from the runtime's
//! `budget_units`, shared as the simulator's `budget` model shares them.
//!
//! ```toml
//! [[functions]]
//! name = "image"
//! cost_units = 4            # units of the node's budget a call holds
//! service_time_s = 0.4      # for how long
//! node_index = 0            # this node-function pair's agent index
//! peers = ["node-2"]        # members hosting it (default: every member)
//! # share = 0.5             # guaranteed part of the budget
//! # max_concurrency = 2     # most calls at once
//! # cold_service_s = 2.0    # serverless: a cold start's service time (every
//! # idle_timeout_s = 60.0   # function or none), and instances' idle timeout
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use dfaas_policies::PolicySpec;
use dfaas_runtime::NodeConfig;
use libp2p::pnet::PreSharedKey;
use libp2p::{Multiaddr, PeerId};
use serde::Deserialize;

use dfaas_env::ConfigError;

use crate::predict::PredictorSpec;

/// A config that cannot be read, parsed or accepted; names file, field and value.
#[derive(Debug, thiserror::Error)]
pub enum AgentConfigError {
    /// The agent file itself (same error type as scenario files).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The runtime file it names.
    #[error(transparent)]
    Runtime(#[from] dfaas_runtime::ConfigError),
}

/// Which policy the slot loop calls.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyChoice {
    /// A heuristic by spec string (`slack-proportional`, `static-split:…`).
    Heuristic(PolicySpec),
    /// A learned policy file exported by `dfaas export`.
    Model(PathBuf),
}

/// What ends a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// The agent's own timer, every `slot_seconds` (the default).
    #[default]
    Timer,
    /// A caller (the live environment) through `POST /tick` on the control API,
    /// so that slots of several agents and of the load start and end together.
    External,
}

/// Overlay settings (resolved).
#[derive(Debug, Clone)]
pub struct OverlaySettings {
    pub listen: Multiaddr,
    pub bootstrap: Vec<Multiaddr>,
    pub psk: Option<PreSharedKey>,
    pub allow: Option<Vec<PeerId>>,
    pub mdns: bool,
    pub stale_after_slots: u32,
}

impl Default for OverlaySettings {
    fn default() -> Self {
        Self {
            listen: "/ip4/127.0.0.1/tcp/0".parse().expect("static multiaddr"),
            bootstrap: Vec::new(),
            psk: None,
            allow: None,
            mdns: false,
            stale_after_slots: 3,
        }
    }
}

/// One function a several-function agent manages (`[[functions]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedFunction {
    pub name: String,
    /// Units of the node's budget a call holds, and for how long (seconds).
    pub cost_units: u32,
    pub service_time_s: f64,
    /// Guaranteed part of the node's budget, if any.
    pub share: Option<f64>,
    /// Most calls at once, if limited.
    pub max_concurrency: Option<u32>,
    /// A serverless function's cold start (`service_time_s` is its warm time).
    pub cold: Option<dfaas_env::functions::ColdStart>,
    /// This node-function pair's agent index in the federation.
    pub node_index: Option<usize>,
    /// The members hosting it, in runtime peer order (`None`: every member).
    pub peers: Option<Vec<String>>,
}

/// A whole, validated agent config.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub runtime: NodeConfig,
    pub overlay: OverlaySettings,
    pub slot_seconds: f64,
    pub function: String,
    /// This node's own capacity estimate for `function`, requests per second.
    pub capacity_rps: f64,
    pub predictor: PredictorSpec,
    pub policy: PolicyChoice,
    pub control_listen: SocketAddr,
    /// Seed for stochastic policies.
    pub seed: u64,
    /// This node's index in its federation's topology (what the simulator
    /// calls the agent index); `None`: its position among the sorted names
    /// of itself and its peers.
    pub node_index: Option<usize>,
    /// Workload period in slots whose phase a learned policy of encoding
    /// version 2 reads (must equal the model file's; `None`: no phase).
    pub period_slots: Option<u32>,
    /// What ends a slot (default: the agent's timer).
    pub clock: Clock,
    /// The only folder `PUT /policy {"model": …}` loads from (default: the
    /// folder of `model`; `None` without either: no model loads at run time).
    pub models_dir: Option<PathBuf>,
    /// Several functions sharing the runtime's `budget_units` (empty: the
    /// one `function` with its fixed `capacity_rps`). `function` is then the
    /// first one's and `node_index` none (each function has its own).
    pub functions: Vec<ManagedFunction>,
}

impl AgentConfig {
    /// Defaults around a runtime config: 1 s slots, the scenarios' default predictor, slack-proportional.
    pub fn new(runtime: NodeConfig, function: impl Into<String>, capacity_rps: f64) -> Self {
        Self {
            runtime,
            overlay: OverlaySettings::default(),
            slot_seconds: 1.0,
            function: function.into(),
            capacity_rps,
            predictor: PredictorSpec::default(),
            policy: PolicyChoice::Heuristic(PolicySpec::parse("slack-proportional").expect("known policy")),
            control_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 0,
            node_index: None,
            period_slots: None,
            clock: Clock::Timer,
            models_dir: None,
            functions: Vec::new(),
        }
    }

    /// Reads and validates an agent config file (and the runtime's file it names).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, AgentConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.into(), source })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses config text; `file` names it in errors and anchors relative paths.
    pub fn from_toml_str(text: &str, file: impl AsRef<Path>) -> Result<Self, AgentConfigError> {
        let file = file.as_ref();
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse { file: file.into(), message: e.to_string() })?;
        let at = At { file, dir: file.parent().unwrap_or(Path::new(".")) };
        let runtime = NodeConfig::load(at.rel(&raw.runtime))?;
        let functions = at.functions(&raw.functions, &runtime)?;
        let (function, capacity_rps, node_index) = match (&raw.function, raw.capacity_rps, functions.first()) {
            (Some(f), Some(c), None) => (f.clone(), c, raw.node_index),
            // Each function names its own agent index; the node names none.
            (None, None, Some(first)) if raw.node_index.is_none() => (first.name.clone(), 0.0, None),
            (_, _, Some(_)) => {
                return Err(at.invalid(
                    "functions",
                    &format!("{} tables", functions.len()),
                    "give either [[functions]] or function, capacity_rps and node_index",
                ));
            }
            (None, _, None) => return Err(at.invalid("function", &"(missing)", "give function (or [[functions]])")),
            (Some(_), None, None) => {
                return Err(at.invalid("capacity_rps", &"(missing)", "the function's capacity, requests per second"));
            }
        };
        if !runtime.functions.iter().any(|f| f.name == function) {
            return Err(at.invalid("function", &function, "not a function of the runtime config"));
        }
        if !(capacity_rps.is_finite() && capacity_rps >= 0.0) {
            return Err(at.invalid("capacity_rps", &capacity_rps, "must be a finite number >= 0"));
        }
        if !(raw.slot_seconds.is_finite() && (0.01..=3600.0).contains(&raw.slot_seconds)) {
            return Err(at.invalid("slot_seconds", &raw.slot_seconds, "must be within 0.01..=3600"));
        }
        if let Err((param, value, why)) = raw.predictor.validate() {
            return Err(at.invalid(&format!("predictor.{param}"), &value, why));
        }
        if raw.period_slots == Some(0) {
            return Err(at.invalid("period_slots", &0, "must be a positive number of slots"));
        }
        let policy = at.policy(raw.policy, raw.model)?;
        let models_dir = match (&raw.models_dir, &policy) {
            (Some(d), _) => Some(at.rel(d)),
            (None, PolicyChoice::Model(m)) => m.parent().map(Path::to_path_buf),
            (None, _) => None,
        };
        let control_listen: SocketAddr = raw
            .control_listen
            .parse()
            .map_err(|e: std::net::AddrParseError| at.invalid("control_listen", &raw.control_listen, &e.to_string()))?;
        Ok(Self {
            runtime,
            overlay: at.overlay(raw.overlay)?,
            slot_seconds: raw.slot_seconds,
            function,
            capacity_rps,
            predictor: raw.predictor,
            policy,
            control_listen,
            seed: raw.seed,
            node_index,
            period_slots: raw.period_slots,
            clock: raw.clock,
            models_dir,
            functions,
        })
    }
}

/// Where a config is read from: errors name the file, relative paths are
/// relative to its folder.
struct At<'a> {
    file: &'a Path,
    dir: &'a Path,
}

impl At<'_> {
    fn rel(&self, p: &Path) -> PathBuf {
        if p.is_relative() { self.dir.join(p) } else { p.to_path_buf() }
    }

    fn invalid(&self, field: &str, value: &dyn std::fmt::Display, reason: &str) -> AgentConfigError {
        AgentConfigError::Config(ConfigError::invalid(self.file, field, value, reason))
    }

    /// `policy` (a heuristic spec, checked by building it) or `model` (a file).
    fn policy(&self, policy: Option<String>, model: Option<PathBuf>) -> Result<PolicyChoice, AgentConfigError> {
        Ok(match (policy, model) {
            (Some(_), Some(_)) => {
                return Err(self.invalid("model", &"(set)", "give either `policy` or `model`, not both"));
            }
            (None, Some(m)) => PolicyChoice::Model(self.rel(&m)),
            (p, None) => {
                let text = p.unwrap_or_else(|| "slack-proportional".into());
                let spec = PolicySpec::parse(&text).map_err(|e| self.invalid("policy", &text, &e.to_string()))?;
                dfaas_policies::build(&spec, 0, 0).map_err(|e| self.invalid("policy", &text, &e.to_string()))?;
                PolicyChoice::Heuristic(spec)
            }
        })
    }

    /// The `[[functions]]` tables: functions of the runtime, whose node has
    /// a budget; costs, shares and peers checked.
    fn functions(&self, raw: &[RawFunction], runtime: &NodeConfig) -> Result<Vec<ManagedFunction>, AgentConfigError> {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        if runtime.budget_units.is_none() {
            return Err(self.invalid(
                "functions",
                &format!("{} tables", raw.len()),
                "several functions share the runtime's budget_units, which its config does not set",
            ));
        }
        let members: Vec<&str> = runtime.members.iter().map(|m| m.id.as_str()).collect();
        let mut out = Vec::new();
        for (k, f) in raw.iter().enumerate() {
            let field = |x: &str| format!("functions[{k}].{x}");
            if !runtime.functions.iter().any(|r| r.name == f.name) {
                return Err(self.invalid(&field("name"), &f.name, "not a function of the runtime config"));
            }
            if raw[..k].iter().any(|g| g.name == f.name) {
                return Err(self.invalid(&field("name"), &f.name, "listed twice"));
            }
            if f.cost_units == 0 {
                return Err(self.invalid(&field("cost_units"), &0, "must be at least 1 unit"));
            }
            if !(f.service_time_s.is_finite() && f.service_time_s > 0.0) {
                return Err(self.invalid(&field("service_time_s"), &f.service_time_s, "must be positive seconds"));
            }
            if let Some(s) = f.share
                && !(s.is_finite() && (0.0..=1.0).contains(&s))
            {
                return Err(self.invalid(&field("share"), &s, "must be a fraction in [0, 1]"));
            }
            if f.max_concurrency == Some(0) {
                return Err(self.invalid(&field("max_concurrency"), &0, "must be at least 1 (or absent)"));
            }
            if let Some((name, value, reason)) =
                dfaas_env::functions::serverless_problem(f.service_time_s, f.cold_service_s, f.idle_timeout_s, f.share)
            {
                return Err(self.invalid(&field(name), &value, &reason));
            }
            if let Some(p) = f.peers.iter().flatten().find(|p| !members.contains(&p.as_str())) {
                return Err(self.invalid(&field("peers"), p, "not a member of the runtime config"));
            }
            // Runtime peer order, whatever order the file gives.
            let peers = f
                .peers
                .as_ref()
                .map(|p| members.iter().filter(|m| p.iter().any(|x| x == *m)).map(|m| m.to_string()).collect());
            out.push(ManagedFunction {
                name: f.name.clone(),
                cost_units: f.cost_units,
                service_time_s: f.service_time_s,
                share: f.share,
                max_concurrency: f.max_concurrency,
                cold: f
                    .cold_service_s
                    .zip(f.idle_timeout_s)
                    .map(|(c, i)| dfaas_env::functions::ColdStart { cold_service_s: c, idle_timeout_s: i }),
                node_index: f.node_index,
                peers,
            });
        }
        if let Some((plain, serverless)) =
            dfaas_env::functions::serverless_mix(raw.iter().map(|f| f.cold_service_s.is_some()))
        {
            return Err(self.invalid(
                &format!("functions[{plain}].cold_service_s"),
                &"missing",
                &format!("functions[{serverless}] is serverless (cold_service_s): every function of the node must be, or none"),
            ));
        }
        let shares: f64 = out.iter().filter_map(|f| f.share).sum();
        if shares > 1.0 + 1e-9 {
            let parts: Vec<String> = out.iter().filter_map(|f| f.share.map(|s| format!("{} {s}", f.name))).collect();
            let value = format!("{} = {}", parts.join(" + "), (shares * 1e9).round() / 1e9);
            return Err(self.invalid("functions.share", &value, "the shares sum to more than the whole budget (1)"));
        }
        Ok(out)
    }

    /// The `[overlay]` table: addresses, the pre-shared key, the allow list.
    fn overlay(&self, o: RawOverlay) -> Result<OverlaySettings, AgentConfigError> {
        let listen: Multiaddr = o
            .listen
            .parse()
            .map_err(|e: libp2p::multiaddr::Error| self.invalid("overlay.listen", &o.listen, &e.to_string()))?;
        let mut bootstrap = Vec::new();
        for (i, b) in o.bootstrap.iter().enumerate() {
            let a: Multiaddr = b.parse().map_err(|e: libp2p::multiaddr::Error| {
                self.invalid(&format!("overlay.bootstrap[{i}]"), b, &e.to_string())
            })?;
            if crate::overlay::peer_of(&a).is_none() {
                return Err(self.invalid(&format!("overlay.bootstrap[{i}]"), b, "must end in /p2p/<peer id>"));
            }
            bootstrap.push(a);
        }
        let allow = match (&o.allow, &o.allow_file) {
            (Some(_), Some(_)) => {
                return Err(self.invalid("overlay.allow_file", &"(set)", "give either allow or allow_file"));
            }
            (None, None) => None,
            (Some(list), None) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, p)| {
                        p.parse::<PeerId>().map_err(|e| self.invalid(&format!("overlay.allow[{i}]"), p, &e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            (None, Some(f)) => Some(self.allow_file(f)?),
        };
        if let Some(k) = &o.key_file {
            // One key per member: peers derive its overlay peer id from its
            // `members[].public_key`, so a second key would get its gossip refused.
            return Err(self.invalid(
                "overlay.key_file",
                &k.display(),
                "no longer used: the overlay identity is the runtime's member key (node.toml `key_file`); remove this line",
            ));
        }
        if o.stale_after_slots == 0 {
            return Err(self.invalid("overlay.stale_after_slots", &0, "must be >= 1"));
        }
        Ok(OverlaySettings {
            listen,
            bootstrap,
            psk: self.psk(o.psk, o.psk_file)?,
            allow,
            mdns: o.mdns,
            stale_after_slots: o.stale_after_slots,
        })
    }

    /// The peer ids of an allow-list file: one per line, blank lines and
    /// `#` comments skipped; a bad line is named by file and line.
    fn allow_file(&self, f: &Path) -> Result<Vec<PeerId>, AgentConfigError> {
        let f = self.rel(f);
        let text = std::fs::read_to_string(&f)
            .map_err(|e| self.invalid("overlay.allow_file", &f.display(), &e.to_string()))?;
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let id = line.parse::<PeerId>().map_err(|e| {
                AgentConfigError::Config(ConfigError::invalid(&f, format!("line {}", n + 1), line, e.to_string()))
            })?;
            out.push(id);
        }
        Ok(out)
    }

    /// The overlay's pre-shared key, given inline (hex) or in a file.
    fn psk(&self, hex: Option<String>, file: Option<PathBuf>) -> Result<Option<PreSharedKey>, AgentConfigError> {
        match (hex, file) {
            (Some(_), Some(_)) => Err(self.invalid("overlay.psk_file", &"(set)", "give either psk or psk_file")),
            (Some(hex), None) => {
                Ok(Some(crate::overlay::parse_psk(&hex).map_err(|e| self.invalid("overlay.psk", &"(hidden)", &e))?))
            }
            (None, Some(f)) => {
                let f = self.rel(&f);
                if let Some(w) = dfaas_runtime::keys::exposure(&f) {
                    tracing::warn!("{w}");
                }
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| self.invalid("overlay.psk_file", &f.display(), &e.to_string()))?;
                Ok(Some(
                    crate::overlay::parse_psk(&text).map_err(|e| self.invalid("overlay.psk_file", &f.display(), &e))?,
                ))
            }
            (None, None) => Ok(None),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    runtime: PathBuf,
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    capacity_rps: Option<f64>,
    #[serde(default)]
    functions: Vec<RawFunction>,
    #[serde(default = "one")]
    slot_seconds: f64,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    model: Option<PathBuf>,
    #[serde(default)]
    models_dir: Option<PathBuf>,
    #[serde(default = "default_control")]
    control_listen: String,
    #[serde(default = "default_predictor")]
    predictor: PredictorSpec,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    period_slots: Option<u32>,
    #[serde(default)]
    node_index: Option<usize>,
    #[serde(default)]
    clock: Clock,
    #[serde(default)]
    overlay: RawOverlay,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: String,
    cost_units: u32,
    service_time_s: f64,
    #[serde(default)]
    share: Option<f64>,
    #[serde(default)]
    max_concurrency: Option<u32>,
    #[serde(default)]
    cold_service_s: Option<f64>,
    #[serde(default)]
    idle_timeout_s: Option<f64>,
    #[serde(default)]
    node_index: Option<usize>,
    #[serde(default)]
    peers: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    #[serde(default = "default_listen")]
    listen: String,
    #[serde(default)]
    bootstrap: Vec<String>,
    #[serde(default)]
    key_file: Option<PathBuf>,
    #[serde(default)]
    psk: Option<String>,
    #[serde(default)]
    psk_file: Option<PathBuf>,
    #[serde(default)]
    allow: Option<Vec<String>>,
    #[serde(default)]
    allow_file: Option<PathBuf>,
    #[serde(default)]
    mdns: bool,
    #[serde(default = "three")]
    stale_after_slots: u32,
}

impl Default for RawOverlay {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            bootstrap: Vec::new(),
            key_file: None,
            psk: None,
            psk_file: None,
            allow: None,
            allow_file: None,
            mdns: false,
            stale_after_slots: 3,
        }
    }
}

fn one() -> f64 {
    1.0
}
fn three() -> u32 {
    3
}
fn default_control() -> String {
    "127.0.0.1:0".into()
}
fn default_listen() -> String {
    "/ip4/127.0.0.1/tcp/0".into()
}
fn default_predictor() -> PredictorSpec {
    PredictorSpec::default()
}
