//! The gossip message a node publishes every slot, and its strict decoder.
//!
//! Encoding: JSON (compact, debuggable; a typical 3-function state is a few
//! hundred bytes). Decoding never panics: anything too large, unparsable, of
//! another version, out of range, or claiming another node's peer id is a
//! typed [`DecodeError`] whose [`DropReason`] the overlay counts.

use libp2p::PeerId;
use serde::{Deserialize, Serialize};

/// Version of [`NodeState`] this build writes. Version 2 added
/// `functions.capacity_rps`, version 3 `node_index`, version 4
/// `functions.agent_index`; states of earlier versions (without them) are
/// still read.
pub const STATE_VERSION: u32 = 4;
/// Oldest version of [`NodeState`] this build reads.
pub const MIN_STATE_VERSION: u32 = 1;
/// Largest encoded state accepted, bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Longest node id or function name.
pub const MAX_NAME_LEN: usize = 64;
/// Longest advertised HTTP address.
pub const MAX_ADDR_LEN: usize = 256;
/// Most functions in one state.
pub const MAX_FUNCTIONS: usize = 64;
/// Largest plausible degree.
pub const MAX_DEGREE: u32 = 10_000;
/// Largest plausible federation (bounds `node_index`).
pub const MAX_NODES: u32 = 1_000_000;

/// What one node tells the federation at the end of every slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeState {
    /// Message format version ([`STATE_VERSION`]).
    pub version: u32,
    /// Node id (the federation's name for the node, e.g. `node-1`).
    pub node: String,
    /// libp2p peer id of the author, as a string; must be the gossip source.
    pub peer_id: String,
    /// Slot that just ended.
    pub slot: u64,
    /// Author's wall-clock time at publication, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Where peers send forwarded requests (`host:port` or a URL).
    pub http_addr: String,
    /// Per-function state.
    pub functions: Vec<FunctionState>,
    /// Number of neighbours of the author (lets receivers split its spare capacity).
    pub degree: u32,
    /// The author's index in its federation's topology, when its config
    /// names one (what the simulator calls the agent index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_index: Option<u32>,
}

/// What a node advertises about one function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionState {
    pub name: String,
    /// Requests per second the node can take from others next slot.
    pub spare_capacity_rps: f64,
    /// Offered load / capacity (1.0 = fully used; may exceed 1).
    pub load: f64,
    /// The node's own service capacity, requests per second (0: not
    /// advertised, as in version 1 states).
    #[serde(default)]
    pub capacity_rps: f64,
    pub overloaded: bool,
    /// The index of this node-function pair among the federation's agents,
    /// where the node manages several functions (the simulator's agent index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_index: Option<u32>,
}

/// Why a received message was dropped (one counter each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    Oversized,
    Malformed,
    Version,
    Invalid,
    Unauthorised,
    /// A state naming a federation member, authored by another member's key.
    Impersonation,
}

impl DropReason {
    pub const ALL: [DropReason; 6] =
        [Self::Oversized, Self::Malformed, Self::Version, Self::Invalid, Self::Unauthorised, Self::Impersonation];
}

/// A rejected message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {len} bytes exceeds the limit of {max}")]
    Oversized { len: usize, max: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("message version {got}, this node speaks {want}")]
    Version { got: u32, want: u32 },
    #[error("invalid field {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("message claims peer {claimed} but was authored by {source_peer}")]
    Unauthorised { claimed: String, source_peer: String },
    #[error("state names member {node}, whose key is peer {expected}, but was authored by {source_peer}")]
    Impersonation { node: String, expected: String, source_peer: String },
}

impl DecodeError {
    pub fn reason(&self) -> DropReason {
        match self {
            Self::Oversized { .. } => DropReason::Oversized,
            Self::Malformed(_) => DropReason::Malformed,
            Self::Version { .. } => DropReason::Version,
            Self::Invalid { .. } => DropReason::Invalid,
            Self::Unauthorised { .. } => DropReason::Unauthorised,
            Self::Impersonation { .. } => DropReason::Impersonation,
        }
    }
}

#[derive(Deserialize)]
struct VersionProbe {
    version: u32,
}

impl NodeState {
    /// A state of the current version with no functions.
    pub fn new(node: impl Into<String>, peer_id: PeerId, slot: u64, http_addr: impl Into<String>) -> Self {
        Self {
            version: STATE_VERSION,
            node: node.into(),
            peer_id: peer_id.to_string(),
            slot,
            timestamp_ms: now_ms(),
            http_addr: http_addr.into(),
            functions: Vec::new(),
            degree: 0,
            node_index: None,
        }
    }

    /// Encodes as compact JSON.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising plain structs of strings and numbers to a Vec cannot fail,
        // except for non-finite floats, which JSON writes as null (and decode rejects).
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes and validates a message whose gossip author is `source`.
    pub fn decode(bytes: &[u8], source: &PeerId) -> Result<Self, DecodeError> {
        let state = Self::decode_unauthenticated(bytes)?;
        if state.peer_id != source.to_string() {
            return Err(DecodeError::Unauthorised {
                claimed: truncate(&state.peer_id),
                source_peer: source.to_string(),
            });
        }
        Ok(state)
    }

    /// Decodes and validates everything except the author.
    pub fn decode_unauthenticated(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(DecodeError::Oversized { len: bytes.len(), max: MAX_MESSAGE_BYTES });
        }
        let probe: VersionProbe = serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if !(MIN_STATE_VERSION..=STATE_VERSION).contains(&probe.version) {
            return Err(DecodeError::Version { got: probe.version, want: STATE_VERSION });
        }
        let state: NodeState = serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        state.validate()?;
        Ok(state)
    }

    /// Checks ranges and lengths.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_name("node", &self.node)?;
        if self.peer_id.parse::<PeerId>().is_err() {
            return Err(invalid("peer_id", format!("not a peer id: {}", truncate(&self.peer_id))));
        }
        check_addr(&self.http_addr)?;
        if self.functions.len() > MAX_FUNCTIONS {
            return Err(invalid("functions", format!("{} entries, at most {MAX_FUNCTIONS}", self.functions.len())));
        }
        for (i, f) in self.functions.iter().enumerate() {
            check_name("functions.name", &f.name)?;
            check_rate("functions.spare_capacity_rps", f.spare_capacity_rps)?;
            check_rate("functions.load", f.load)?;
            check_rate("functions.capacity_rps", f.capacity_rps)?;
            if let Some(i) = f.agent_index
                && i >= MAX_NODES
            {
                return Err(invalid("functions.agent_index", format!("{i} exceeds {}", MAX_NODES - 1)));
            }
            if self.functions[..i].iter().any(|g| g.name == f.name) {
                return Err(invalid("functions.name", format!("duplicate {}", f.name)));
            }
        }
        if self.degree > MAX_DEGREE {
            return Err(invalid("degree", format!("{} exceeds {MAX_DEGREE}", self.degree)));
        }
        if let Some(i) = self.node_index
            && i >= MAX_NODES
        {
            return Err(invalid("node_index", format!("{i} exceeds {}", MAX_NODES - 1)));
        }
        Ok(())
    }

    /// The state of one function, if advertised.
    pub fn function(&self, name: &str) -> Option<&FunctionState> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn invalid(field: &'static str, reason: String) -> DecodeError {
    DecodeError::Invalid { field, reason }
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn check_name(field: &'static str, s: &str) -> Result<(), DecodeError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(invalid(field, format!("length {} not in 1..={MAX_NAME_LEN}", s.len())));
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(invalid(field, format!("{:?} has characters outside [A-Za-z0-9._-]", truncate(s))));
    }
    Ok(())
}

fn check_addr(s: &str) -> Result<(), DecodeError> {
    if s.is_empty() || s.len() > MAX_ADDR_LEN {
        return Err(invalid("http_addr", format!("length {} not in 1..={MAX_ADDR_LEN}", s.len())));
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("http_addr", "must be printable ASCII without spaces".into()));
    }
    Ok(())
}

fn check_rate(field: &'static str, v: f64) -> Result<(), DecodeError> {
    if !v.is_finite() || v < 0.0 {
        return Err(invalid(field, format!("{v} is not a finite non-negative number")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(peer: PeerId) -> NodeState {
        let mut s = NodeState::new("node-1", peer, 7, "127.0.0.1:8081");
        s.degree = 2;
        s.functions.push(FunctionState {
            name: "figlet".into(),
            spare_capacity_rps: 12.5,
            load: 0.4,
            capacity_rps: 30.0,
            overloaded: false,
            agent_index: None,
        });
        s.functions.push(FunctionState {
            name: "shasum".into(),
            spare_capacity_rps: 0.0,
            load: 1.3,
            capacity_rps: 20.0,
            overloaded: true,
            agent_index: None,
        });
        s
    }

    fn reason(bytes: &[u8], peer: &PeerId) -> DropReason {
        NodeState::decode(bytes, peer).unwrap_err().reason()
    }

    #[test]
    fn round_trip() {
        let peer = PeerId::random();
        let s = sample(peer);
        let bytes = s.encode();
        assert!(bytes.len() < 400, "{} bytes", bytes.len());
        assert_eq!(NodeState::decode(&bytes, &peer).unwrap(), s);
    }

    #[test]
    fn wrong_author_is_unauthorised() {
        let s = sample(PeerId::random());
        assert_eq!(reason(&s.encode(), &PeerId::random()), DropReason::Unauthorised);
    }

    #[test]
    fn oversized_malformed_and_version() {
        let peer = PeerId::random();
        assert_eq!(reason(&vec![b' '; MAX_MESSAGE_BYTES + 1], &peer), DropReason::Oversized);
        assert_eq!(reason(b"", &peer), DropReason::Malformed);
        assert_eq!(reason(b"\xff\xfe garbage", &peer), DropReason::Malformed);
        assert_eq!(reason(b"{\"version\":1}", &peer), DropReason::Malformed);
        assert_eq!(reason(b"[1,2,3]", &peer), DropReason::Malformed);
        let mut v = serde_json::to_value(sample(peer)).unwrap();
        v["version"] = (STATE_VERSION + 1).into();
        assert_eq!(reason(v.to_string().as_bytes(), &peer), DropReason::Version);
        v["version"] = 0.into();
        assert_eq!(reason(v.to_string().as_bytes(), &peer), DropReason::Version);
        v["version"] = (-1).into();
        assert_eq!(reason(v.to_string().as_bytes(), &peer), DropReason::Malformed);
        let mut v = serde_json::to_value(sample(peer)).unwrap();
        v["extra"] = 1.into();
        assert_eq!(reason(v.to_string().as_bytes(), &peer), DropReason::Malformed);
        let mut v = serde_json::to_value(sample(peer)).unwrap();
        v["functions"][0]["spare_capacity_rps"] = "12".into();
        assert_eq!(reason(v.to_string().as_bytes(), &peer), DropReason::Malformed);
        // Deeply nested input must not overflow the stack.
        let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        assert_eq!(reason(deep.as_bytes(), &peer), DropReason::Malformed);
    }

    #[test]
    fn version_one_states_are_read_without_capacity() {
        let peer = PeerId::random();
        let mut v = serde_json::to_value(sample(peer)).unwrap();
        v["version"] = 1.into();
        for f in v["functions"].as_array_mut().unwrap() {
            f.as_object_mut().unwrap().remove("capacity_rps");
        }
        let s = NodeState::decode(v.to_string().as_bytes(), &peer).unwrap();
        assert_eq!(s.version, 1);
        assert_eq!(s.functions[0].capacity_rps, 0.0);
        assert_eq!(s.functions[0].spare_capacity_rps, 12.5);
        let mut bad = serde_json::to_value(sample(peer)).unwrap();
        bad["functions"][0]["capacity_rps"] = (-3.0).into();
        assert_eq!(reason(bad.to_string().as_bytes(), &peer), DropReason::Invalid);
    }

    #[test]
    fn node_index_travels_and_is_bounded() {
        let peer = PeerId::random();
        let mut s = sample(peer);
        assert!(!String::from_utf8(s.encode()).unwrap().contains("node_index"), "omitted when unknown");
        s.node_index = Some(4);
        assert_eq!(NodeState::decode(&s.encode(), &peer).unwrap().node_index, Some(4));
        let mut v2 = serde_json::to_value(sample(peer)).unwrap();
        v2["version"] = 2.into();
        assert_eq!(NodeState::decode(v2.to_string().as_bytes(), &peer).unwrap().node_index, None);
        s.node_index = Some(MAX_NODES);
        assert_eq!(reason(&s.encode(), &peer), DropReason::Invalid);
    }

    #[test]
    fn random_mutations_never_panic() {
        // Deterministic xorshift so the test needs no extra crate.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let peer = PeerId::random();
        let good = sample(peer).encode();
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut bytes = good.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[i] = next() as u8,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => {
                        let alphabet = b"{}[]\",:0e-9\\u";
                        bytes.insert(i, alphabet[(next() as usize) % alphabet.len()]);
                    }
                }
            }
            if let Ok(s) = NodeState::decode(&bytes, &peer) {
                s.validate().unwrap();
                accepted += 1;
            }
        }
        assert!(accepted < 20_000);
    }

    #[test]
    fn out_of_range_fields_are_invalid() {
        let peer = PeerId::random();
        type Mutation = Box<dyn Fn(&mut NodeState)>;
        let cases: Vec<Mutation> = vec![
            Box::new(|s| s.functions[0].spare_capacity_rps = -1.0),
            Box::new(|s| s.functions[0].load = f64::NAN),
            Box::new(|s| s.functions[0].load = f64::INFINITY),
            Box::new(|s| s.node = String::new()),
            Box::new(|s| s.node = "x".repeat(MAX_NAME_LEN + 1)),
            Box::new(|s| s.node = "node 1".into()),
            Box::new(|s| s.functions[1].name = "figlet".into()),
            Box::new(|s| s.functions[0].name = "a/b".into()),
            Box::new(|s| s.http_addr = "127.0.0.1:80\n".into()),
            Box::new(|s| s.http_addr = "h".repeat(MAX_ADDR_LEN + 1)),
            Box::new(|s| s.degree = MAX_DEGREE + 1),
            Box::new(|s| {
                let f = s.functions[0].clone();
                s.functions =
                    (0..=MAX_FUNCTIONS).map(|i| FunctionState { name: format!("f{i}"), ..f.clone() }).collect();
            }),
        ];
        for (i, mutate) in cases.iter().enumerate() {
            let mut s = sample(peer);
            mutate(&mut s);
            let bytes = s.encode();
            let got = NodeState::decode(&bytes, &peer).map_err(|e| e.reason());
            // Non-finite floats serialise as null, which is malformed rather than invalid.
            assert!(matches!(got, Err(DropReason::Invalid) | Err(DropReason::Malformed)), "case {i}: {got:?}");
        }
        let mut s = sample(peer);
        s.peer_id = "not-a-peer".into();
        assert_eq!(NodeState::decode_unauthenticated(&s.encode()).unwrap_err().reason(), DropReason::Invalid);
    }
}
