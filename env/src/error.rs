//! Error types. Every error names what was wrong: file, field, value.

use std::path::PathBuf;

/// An action that is not a valid point of the simplex.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecisionError {
    /// Fewer than two entries (`[local, reject]` is the minimum).
    #[error("a decision needs at least [local, reject], got {len} entries")]
    TooShort { len: usize },
    /// NaN or infinite entry.
    #[error("decision entry {index} is not finite ({value})")]
    NotFinite { index: usize, value: f64 },
    /// Negative entry.
    #[error("decision entry {index} is negative ({value})")]
    Negative { index: usize, value: f64 },
    /// The entries do not sum to one.
    #[error("decision fractions sum to {sum}, not 1 (tolerance 1e-6)")]
    BadSum { sum: f64 },
}

/// A malformed scenario or input file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML/CSV/YAML, or a field is missing or mistyped.
    #[error("{file}: {message}")]
    Parse { file: PathBuf, message: String },
    /// A field has a value outside its domain.
    #[error("{file}: field `{field}` = {value}: {reason}")]
    Invalid { file: PathBuf, field: String, value: String, reason: String },
}

impl ConfigError {
    /// Shorthand for [`ConfigError::Invalid`].
    pub fn invalid(
        file: impl Into<PathBuf>,
        field: impl Into<String>,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid { file: file.into(), field: field.into(), value: value.to_string(), reason: reason.into() }
    }
}

/// An error raised while stepping an environment.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// `step` before `reset`, or after the episode ended.
    #[error("{0}")]
    State(String),
    /// Wrong number of actions.
    #[error("expected {expected} actions (one per agent), got {got}")]
    ActionCount { expected: usize, got: usize },
    /// An action with the wrong layout for its agent.
    #[error("agent {agent}: action has {got} entries, expected {expected} ({layout})")]
    ActionShape { agent: String, expected: usize, got: usize, layout: String },
    /// An action off the simplex.
    #[error("agent {agent}: {source}")]
    Decision {
        agent: String,
        #[source]
        source: DecisionError,
    },
    /// An unknown agent id.
    #[error("unknown agent `{0}`")]
    UnknownAgent(String),
    /// A live backend failed.
    #[error("{0}")]
    Backend(String),
}
