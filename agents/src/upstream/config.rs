//! The federation `dfaas serve-policy` answers for: which upstream nodes may
//! ask, their capacities, the slot length and the policy.
//!
//! ```toml
//! slot_seconds = 60.0              # the slot the policy plans in: counts = rates × slot_seconds
//! interval_seconds = 120.0         # time between two decisions of a node (upstream: an
//!                                  # all-local minute, then the decision's minute)
//! policy = "slack-proportional"    # or: model = "models/marl-master-5.dfpolicy"
//! seed = 0
//! stale_after_intervals = 3        # a neighbour's report older than this is not used
//! # period_slots = 288             # workload period (learned policies of encoding v2)
//!
//! [[nodes]]                        # in topology order: the policies' node indices
//! id = "12D3KooWAbc…"              # the node's libp2p peer ID, without "node_"
//! name = "node_0"                  # its name in the policy's training scenario (default: the ID)
//! capacity_rps = 8.0               # its service capacity, requests per second
//! latency_ms = 2.0                 # one-way delay to it from the others (default 0)
//! ```

use std::path::Path;

use dfaas_env::ConfigError;
use dfaas_policies::PolicySpec;
use serde::Deserialize;

use super::protocol::NODE_PREFIX;
use crate::config::PolicyChoice;

/// One node of the served federation.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedNode {
    /// Its libp2p peer ID (the wire name is `node_<id>`).
    pub id: String,
    /// Its name in the policy's training scenario: a learned file of
    /// independent networks picks the node's by it, and encodings that order
    /// neighbours by name use it (default: the peer ID).
    pub name: String,
    /// Service capacity, requests per second.
    pub capacity_rps: f64,
    /// One-way network delay to it, seconds.
    pub latency_s: f64,
}

/// A validated `serve-policy` configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// The slot the policy plans in, seconds: observed counts are the
    /// reported rates × `slot_seconds` (a scenario's slot length for a policy
    /// trained on it).
    pub slot_seconds: f64,
    /// Real time between two decisions of one node, seconds (upstream: 120).
    pub interval_seconds: f64,
    pub policy: PolicyChoice,
    /// Seed of stochastic heuristics (combined with the node index).
    pub seed: u64,
    /// A neighbour's report older than this many intervals is not used (the
    /// neighbour is observed as unheard, its share stays local).
    pub stale_after_intervals: f64,
    /// Workload period in slots (learned policies of encoding version 2).
    pub period_slots: Option<u32>,
    /// The nodes, in topology order.
    pub nodes: Vec<ServedNode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    slot_seconds: f64,
    #[serde(default = "default_interval")]
    interval_seconds: f64,
    policy: Option<String>,
    model: Option<std::path::PathBuf>,
    #[serde(default)]
    seed: u64,
    #[serde(default = "default_stale")]
    stale_after_intervals: f64,
    period_slots: Option<u32>,
    nodes: Vec<RawNode>,
}

/// Upstream's time between two decisions of a node: an all-local minute, then the decision's.
pub const UPSTREAM_INTERVAL_SECONDS: f64 = 120.0;
/// Default `stale_after_intervals`.
pub const STALE_AFTER_INTERVALS: f64 = 3.0;

fn default_stale() -> f64 {
    STALE_AFTER_INTERVALS
}

fn default_interval() -> f64 {
    UPSTREAM_INTERVAL_SECONDS
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: String,
    name: Option<String>,
    capacity_rps: f64,
    #[serde(default)]
    latency_ms: f64,
}

impl ServeConfig {
    /// Reads and validates a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.into(), source })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses config text; `file` names it in errors and anchors a relative `model`.
    pub fn from_toml_str(text: &str, file: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let file = file.as_ref();
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse { file: file.into(), message: e.to_string() })?;
        let policy = match (raw.policy, raw.model) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(file, "model", "(set)", "give either `policy` or `model`, not both"));
            }
            (None, Some(m)) => {
                let dir = file.parent().unwrap_or(Path::new("."));
                PolicyChoice::Model(if m.is_relative() { dir.join(m) } else { m })
            }
            (p, None) => {
                let text = p.unwrap_or_else(|| "slack-proportional".into());
                let spec =
                    PolicySpec::parse(&text).map_err(|e| ConfigError::invalid(file, "policy", &text, e.to_string()))?;
                PolicyChoice::Heuristic(spec)
            }
        };
        let nodes = raw
            .nodes
            .into_iter()
            .map(|n| ServedNode {
                name: n.name.unwrap_or_else(|| n.id.clone()),
                id: n.id,
                capacity_rps: n.capacity_rps,
                latency_s: n.latency_ms / 1000.0,
            })
            .collect();
        let config = Self {
            slot_seconds: raw.slot_seconds,
            interval_seconds: raw.interval_seconds,
            policy,
            seed: raw.seed,
            stale_after_intervals: raw.stale_after_intervals,
            period_slots: raw.period_slots,
            nodes,
        };
        config.validate().map_err(|(field, value, reason)| ConfigError::invalid(file, field, value, reason))?;
        Ok(config)
    }

    /// Checks every field: `(field, value, reason)` of the first that is wrong.
    pub fn validate(&self) -> Result<(), (String, String, String)> {
        let wrong = |f: &str, v: &dyn std::fmt::Display, r: &str| Err((f.to_string(), v.to_string(), r.to_string()));
        if !(self.slot_seconds.is_finite() && (0.01..=3600.0).contains(&self.slot_seconds)) {
            return wrong("slot_seconds", &self.slot_seconds, "must be within 0.01..=3600");
        }
        if !(self.interval_seconds.is_finite() && (0.01..=86400.0).contains(&self.interval_seconds)) {
            return wrong("interval_seconds", &self.interval_seconds, "must be within 0.01..=86400");
        }
        if !(self.stale_after_intervals.is_finite() && self.stale_after_intervals > 0.0) {
            return wrong("stale_after_intervals", &self.stale_after_intervals, "must be a number > 0");
        }
        if let PolicyChoice::Heuristic(spec) = &self.policy
            && let Err(e) = dfaas_policies::build(spec, 0, 0)
        {
            return wrong("policy", spec, &e.to_string());
        }
        if self.nodes.is_empty() {
            return wrong("nodes", &"[]", "declare at least one node");
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let at = |f: &str| format!("nodes[{i}].{f}");
            if n.id.is_empty() || n.id.starts_with(NODE_PREFIX) || n.id.contains(char::is_whitespace) {
                return wrong(&at("id"), &n.id, "give the libp2p peer ID itself, non-empty, without `node_`");
            }
            if self.nodes[..i].iter().any(|m| m.id == n.id) {
                return wrong(&at("id"), &n.id, "declared twice");
            }
            if n.name.is_empty() || self.nodes[..i].iter().any(|m| m.name == n.name) {
                return wrong(&at("name"), &n.name, "must be non-empty and name one node only");
            }
            if !(n.capacity_rps.is_finite() && n.capacity_rps >= 0.0) {
                return wrong(&at("capacity_rps"), &n.capacity_rps, "must be a finite number >= 0");
            }
            if !(n.latency_s.is_finite() && n.latency_s >= 0.0) {
                return wrong(&at("latency_ms"), &(n.latency_s * 1000.0), "must be a finite number >= 0");
            }
        }
        Ok(())
    }

    /// Index of the node with peer ID `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
slot_seconds = 60
policy = "slack-proportional"
[[nodes]]
id = "A"
capacity_rps = 10
[[nodes]]
id = "B"
capacity_rps = 5.5
latency_ms = 2
"#;

    #[test]
    fn reads_a_config() {
        let c = ServeConfig::from_toml_str(OK, "serve.toml").unwrap();
        assert_eq!(c.slot_seconds, 60.0);
        assert_eq!((c.interval_seconds, c.stale_after_intervals), (120.0, 3.0));
        assert_eq!(c.nodes[1], ServedNode { id: "B".into(), name: "B".into(), capacity_rps: 5.5, latency_s: 0.002 });
        assert_eq!(c.index_of("B"), Some(1));
    }

    #[test]
    fn errors_name_file_field_and_value() {
        let err = |text: &str| ServeConfig::from_toml_str(text, "serve.toml").unwrap_err().to_string();
        let e = err(&OK.replace("id = \"B\"", "id = \"node_B\""));
        assert!(e.contains("serve.toml") && e.contains("nodes[1].id") && e.contains("node_B"), "{e}");
        let e = err(&OK.replace("id = \"B\"", "id = \"A\""));
        assert!(e.contains("nodes[1].id") && e.contains("declared twice"), "{e}");
        let e = err(&OK.replace("capacity_rps = 10", "capacity_rps = -1"));
        assert!(e.contains("nodes[0].capacity_rps") && e.contains("-1"), "{e}");
        let e = err(&OK.replace("slack-proportional", "no-such-policy"));
        assert!(e.contains("policy") && e.contains("no-such-policy"), "{e}");
        let e = err(&OK.replace("slot_seconds = 60", "slot_seconds = 0"));
        assert!(e.contains("slot_seconds"), "{e}");
        let e = err(&OK.replace("id = \"B\"", "id = \"B\"\nname = \"A\""));
        assert!(e.contains("nodes[1].name"), "{e}");
        let e = err(&OK.replace("latency_ms = 2", "latency_ms = 2\nlatency_s = 1"));
        assert!(e.contains("latency_s"), "{e}");
    }
}
