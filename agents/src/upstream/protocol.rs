//! The wire format of upstream DFaaS's RL-model service, as its Go agent
//! (`rlagentstrategy.go`) speaks it: `POST /action` with
//!
//! ```json
//! {"agent_parameters": {"explore": false},
//!  "observation": {"node_<self>": {"input_rate": 23.4, "previous_input_rate": 0,
//!    "previous_fwd_to_node_<peer>": 0, "previous_fwd_to_node_<peer>_rejected": 0,
//!    "previous_avg_resp_time_fwd_to_node_<peer>": 0, "reject_rate": 0.1, …}}}
//! ```
//!
//! answered `{"node_<self>": {"local": p, "reject": p, "node_<peer>": p, …}}`
//! with proportions summing to 1. Rates are requests per second, response
//! times milliseconds, `reject_rate` and `cpu_utilization` shares in [0, 1].
//! Go writes whole numbers without a decimal point (`0`, `2`), so every
//! number may be an integer.

use serde_json::{Map, Value};

/// Prefix of node names on the wire (`node_<libp2p peer ID>`).
pub const NODE_PREFIX: &str = "node_";

/// One `POST /action` body, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// The asking node's peer ID (without [`NODE_PREFIX`]).
    pub node: String,
    /// `agent_parameters.explore`: upstream asks the model to sample. Our
    /// served policies act deterministically either way.
    pub explore: bool,
    pub report: NodeReport,
}

/// What the upstream agent measured. "This phase" is the all-local minute that
/// precedes the decision (same rate as the minute the decision applies to);
/// "previous" is the previous decision's minute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeReport {
    /// Requests per second of this phase.
    pub input_rate: f64,
    /// Requests per second of the previous phase.
    pub previous_input_rate: f64,
    /// Share of the local server's requests not answered 2xx, this phase.
    pub reject_rate: f64,
    /// The same, previous phase.
    pub previous_reject_rate: f64,
    /// Mean local response time, milliseconds.
    pub avg_resp_time_loc_ms: f64,
    /// Function CPU use as a share of the machine, [0, 1].
    pub cpu_utilization: f64,
    /// Function replicas.
    pub n_replicas: f64,
    /// Every neighbour the node names, sorted by peer ID.
    pub peers: Vec<PeerReport>,
    /// Every `previous_*` value is upstream's first-phase default (0, and 1
    /// replica): the node has just started (or restarted) its strategy.
    pub first_phase: bool,
}

/// What the node measured towards one neighbour in the previous phase.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeerReport {
    /// The neighbour's peer ID (without [`NODE_PREFIX`]).
    pub id: String,
    /// Requests per second forwarded to it.
    pub previous_fwd_rate: f64,
    /// Of those, requests per second not answered 2xx.
    pub previous_fwd_rejected_rate: f64,
    /// Mean response time of forwarded requests, milliseconds.
    pub previous_avg_resp_time_fwd_ms: f64,
}

/// A body that does not follow the protocol; the text names the key and value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

fn bad(text: impl Into<String>) -> ProtocolError {
    ProtocolError(text.into())
}

/// Keys naming a neighbour, in the order they are tried (the longest first).
const PEER_KEYS: [(&str, &str); 3] = [
    ("previous_avg_resp_time_fwd_to_node_", ""),
    ("previous_fwd_to_node_", "_rejected"),
    ("previous_fwd_to_node_", ""),
];

impl ActionRequest {
    /// Parses a request body.
    pub fn parse(body: &[u8]) -> Result<Self, ProtocolError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
        let Value::Object(top) = value else {
            return Err(bad(format!("the body must be a JSON object, got {}", kind(&value))));
        };
        let explore = match top.get("agent_parameters") {
            None | Some(Value::Null) => false,
            Some(Value::Object(p)) => match p.get("explore") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(bad(format!("`agent_parameters.explore` must be true or false, got {other}")));
                }
            },
            Some(other) => return Err(bad(format!("`agent_parameters` must be an object, got {}", kind(other)))),
        };
        let obs = match top.get("observation") {
            Some(Value::Object(o)) => o,
            Some(other) => return Err(bad(format!("`observation` must be an object, got {}", kind(other)))),
            None => return Err(bad("the body has no `observation`")),
        };
        if obs.len() != 1 {
            let keys: Vec<&String> = obs.keys().collect();
            return Err(bad(format!("`observation` must hold exactly one node, got {}: {keys:?}", obs.len())));
        }
        let (key, fields) = obs.iter().next().expect("one entry");
        let node =
            node_id(key).ok_or_else(|| bad(format!("observation key `{key}` is not of the form node_<peer ID>")))?;
        let Value::Object(fields) = fields else {
            return Err(bad(format!("`observation.{key}` must be an object, got {}", kind(fields))));
        };
        let report = NodeReport::parse(fields, key)?;
        Ok(Self { node: node.to_string(), explore, report })
    }
}

impl NodeReport {
    fn parse(f: &Map<String, Value>, at: &str) -> Result<Self, ProtocolError> {
        let num = |name: &str, default: Option<f64>, max: f64| -> Result<f64, ProtocolError> {
            match f.get(name) {
                None | Some(Value::Null) => default.ok_or_else(|| bad(format!("`observation.{at}` has no `{name}`"))),
                Some(v) => number(v, &format!("observation.{at}.{name}"), max),
            }
        };
        let mut report = Self {
            input_rate: num("input_rate", None, f64::INFINITY)?,
            previous_input_rate: num("previous_input_rate", Some(0.0), f64::INFINITY)?,
            reject_rate: num("reject_rate", Some(0.0), 1.0)?,
            previous_reject_rate: num("previous_reject_rate", Some(0.0), 1.0)?,
            avg_resp_time_loc_ms: num("avg_resp_time_loc", Some(0.0), f64::INFINITY)?,
            cpu_utilization: num("cpu_utilization", Some(0.0), 1.0)?,
            n_replicas: num("n_replicas", Some(0.0), f64::INFINITY)?,
            peers: Vec::new(),
            first_phase: false,
        };
        let previous_defaults = num("previous_avg_resp_time_loc", Some(0.0), f64::INFINITY)? == 0.0
            && num("previous_cpu_utilization", Some(0.0), 1.0)? == 0.0
            && num("previous_n_replicas", Some(1.0), f64::INFINITY)? == 1.0;
        for (name, v) in f {
            let Some((id, which)) = peer_key(name) else { continue };
            if id.is_empty() {
                return Err(bad(format!("`observation.{at}.{name}` names no peer")));
            }
            let rate = number(v, &format!("observation.{at}.{name}"), f64::INFINITY)?;
            let peer = match report.peers.iter().position(|p| p.id == id) {
                Some(i) => &mut report.peers[i],
                None => {
                    report.peers.push(PeerReport { id: id.to_string(), ..Default::default() });
                    report.peers.last_mut().expect("pushed")
                }
            };
            match which {
                0 => peer.previous_avg_resp_time_fwd_ms = rate,
                1 => peer.previous_fwd_rejected_rate = rate,
                _ => peer.previous_fwd_rate = rate,
            }
        }
        report.peers.sort_by(|a, b| a.id.cmp(&b.id));
        report.first_phase = previous_defaults
            && report.previous_input_rate == 0.0
            && report.previous_reject_rate == 0.0
            && report.peers.iter().all(|p| {
                p.previous_fwd_rate == 0.0
                    && p.previous_fwd_rejected_rate == 0.0
                    && p.previous_avg_resp_time_fwd_ms == 0.0
            });
        Ok(report)
    }
}

/// `node_<id>` → `id` (non-empty).
pub fn node_id(key: &str) -> Option<&str> {
    key.strip_prefix(NODE_PREFIX).filter(|id| !id.is_empty())
}

/// A per-neighbour key: its peer ID and which of [`PEER_KEYS`] it is.
fn peer_key(name: &str) -> Option<(&str, usize)> {
    PEER_KEYS.iter().enumerate().find_map(|(i, (prefix, suffix))| {
        name.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(suffix)).map(|id| (id, i))
    })
}

fn number(v: &Value, at: &str, max: f64) -> Result<f64, ProtocolError> {
    let x = v.as_f64().ok_or_else(|| bad(format!("`{at}` must be a number, got {v}")))?;
    if !(x.is_finite() && x >= 0.0) {
        return Err(bad(format!("`{at}` = {x}: must be >= 0")));
    }
    if x > max {
        return Err(bad(format!("`{at}` = {x}: must be a share within 0..=1")));
    }
    Ok(x)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The answer body: `{"node_<node>": {"local": …, "reject": …, "node_<peer>": …}}`
/// for `fractions` laid out `[local, peers…, reject]`, and a share of 0 for
/// each of `zero` (neighbours upstream has that get nothing: it wants a share
/// for every neighbour).
pub fn action_body(node: &str, peers: &[String], fractions: &[f64], zero: &[String]) -> Value {
    debug_assert_eq!(fractions.len(), peers.len() + 2);
    let mut inner = Map::new();
    inner.insert("local".into(), Value::from(fractions[0]));
    for (k, p) in peers.iter().enumerate() {
        inner.insert(format!("{NODE_PREFIX}{p}"), Value::from(fractions[k + 1]));
    }
    inner.insert("reject".into(), Value::from(fractions[fractions.len() - 1]));
    for p in zero {
        inner.insert(format!("{NODE_PREFIX}{p}"), Value::from(0.0));
    }
    let mut outer = Map::new();
    outer.insert(format!("{NODE_PREFIX}{node}"), Value::Object(inner));
    Value::Object(outer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first-phase body as the Go agent marshals it (keys sorted, whole
    /// numbers without a point).
    const FIRST: &str = r#"{"agent_parameters":{"explore":false},"observation":{"node_A":{"avg_resp_time_loc":153.2,"cpu_utilization":0.41,"input_rate":23,"n_replicas":2,"previous_avg_resp_time_fwd_to_node_B":0,"previous_avg_resp_time_loc":0,"previous_cpu_utilization":0,"previous_fwd_to_node_B":0,"previous_fwd_to_node_B_rejected":0,"previous_input_rate":0,"previous_n_replicas":1,"previous_reject_rate":0,"reject_rate":0.25}}}"#;

    #[test]
    fn parses_a_first_phase_body() {
        let r = ActionRequest::parse(FIRST.as_bytes()).unwrap();
        assert_eq!(r.node, "A");
        assert!(!r.explore);
        assert_eq!(r.report.input_rate, 23.0);
        assert_eq!(r.report.reject_rate, 0.25);
        assert_eq!(r.report.n_replicas, 2.0);
        assert_eq!(r.report.peers, vec![PeerReport { id: "B".into(), ..Default::default() }]);
        assert!(r.report.first_phase);
        let later = FIRST.replace("\"previous_input_rate\":0", "\"previous_input_rate\":3.5");
        assert!(!ActionRequest::parse(later.as_bytes()).unwrap().report.first_phase);
    }

    #[test]
    fn peer_keys_are_told_apart() {
        let body = r#"{"observation":{"node_A":{"input_rate":1.5,
            "previous_fwd_to_node_B":4,"previous_fwd_to_node_B_rejected":1.5,
            "previous_avg_resp_time_fwd_to_node_B":80,"previous_fwd_to_node_C":2}}}"#;
        let r = ActionRequest::parse(body.as_bytes()).unwrap();
        assert_eq!(r.report.peers.len(), 2);
        let b = &r.report.peers[0];
        assert_eq!((b.id.as_str(), b.previous_fwd_rate, b.previous_fwd_rejected_rate), ("B", 4.0, 1.5));
        assert_eq!(b.previous_avg_resp_time_fwd_ms, 80.0);
        assert_eq!((r.report.peers[1].id.as_str(), r.report.peers[1].previous_fwd_rate), ("C", 2.0));
    }

    #[test]
    fn errors_name_the_key_and_value() {
        let err = |b: &str| ActionRequest::parse(b.as_bytes()).unwrap_err().0;
        assert!(err("{").contains("not JSON"));
        assert!(err("[]").contains("must be a JSON object"));
        assert!(err(r#"{"observation":{}}"#).contains("exactly one node"));
        assert!(err(r#"{"observation":{"A":{"input_rate":1}}}"#).contains("`A` is not of the form node_"));
        assert!(err(r#"{"observation":{"node_A":{}}}"#).contains("has no `input_rate`"));
        let e = err(r#"{"observation":{"node_A":{"input_rate":-2}}}"#);
        assert!(e.contains("observation.node_A.input_rate") && e.contains("-2"), "{e}");
        let e = err(r#"{"observation":{"node_A":{"input_rate":1,"reject_rate":1.5}}}"#);
        assert!(e.contains("reject_rate") && e.contains("0..=1"), "{e}");
        let e = err(r#"{"observation":{"node_A":{"input_rate":"3"}}}"#);
        assert!(e.contains("must be a number"), "{e}");
        let e = err(r#"{"observation":{"node_A":{"input_rate":1,"previous_fwd_to_node_":1}}}"#);
        assert!(e.contains("names no peer"), "{e}");
        let e = err(r#"{"agent_parameters":{"explore":"yes"},"observation":{"node_A":{"input_rate":1}}}"#);
        assert!(e.contains("explore"), "{e}");
    }

    #[test]
    fn the_answer_has_one_node_and_every_peer() {
        let v = action_body("A", &["B".into(), "C".into()], &[0.5, 0.2, 0.1, 0.2], &[]);
        let inner = v["node_A"].as_object().unwrap();
        assert_eq!(v.as_object().unwrap().len(), 1);
        assert_eq!(inner.len(), 4);
        assert_eq!((inner["local"].as_f64(), inner["reject"].as_f64()), (Some(0.5), Some(0.2)));
        assert_eq!((inner["node_B"].as_f64(), inner["node_C"].as_f64()), (Some(0.2), Some(0.1)));
    }
}
