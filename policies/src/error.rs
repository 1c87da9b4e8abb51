//! Errors from parsing policy specs and building policies.

/// Why a policy spec could not be parsed or built. Every message names the
/// offending policy, key or value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The spec string is not of the form `name` or `name:key=value,…`.
    #[error("malformed policy spec `{spec}`: {reason}")]
    Syntax { spec: String, reason: String },
    /// No policy has this name.
    #[error("unknown policy `{name}`; known policies: {known}")]
    UnknownPolicy { name: String, known: String },
    /// A centralised reference (`oracle`, `global-node`) computed by the
    /// simulator, not a per-node policy; callers dispatch on this variant.
    #[error("`{0}` is a centralised reference computed by the simulator, not a per-node policy")]
    Reference(String),
    /// The policy has no parameter with this key.
    #[error("policy `{policy}` has no parameter `{key}`; its parameters: {known}")]
    UnknownParam { policy: String, key: String, known: String },
    /// The parameter's value cannot be used.
    #[error("bad value `{value}` for parameter `{key}` of policy `{policy}`: {reason}")]
    BadValue { policy: String, key: String, value: String, reason: String },
    /// A learned-policy file cannot be read: missing, not a DFaaS policy
    /// file, truncated, corrupt, or internally inconsistent.
    #[error("policy file `{file}`: {reason}")]
    ModelFile { file: String, reason: String },
    /// A learned-policy file is valid but does not fit the node it is given to.
    #[error("policy file `{file}` does not fit this node: {what}: the file has {expected}, the node has {found}")]
    Incompatible { file: String, what: String, expected: String, found: String },
}
