//! The node's Ed25519 key: a file holding base64 (standard alphabet) of the
//! 32-byte secret seed on one line, generated on first start and kept.
//! The same seed can build a libp2p Ed25519 keypair for the control plane.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{SigningKey, VerifyingKey};

/// A key file that cannot be read, parsed or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing failed.
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The content is not base64 of 32 bytes.
    #[error("{file}: not a key file (expected base64 of a 32-byte Ed25519 seed)")]
    Malformed { file: PathBuf },
    /// No randomness available.
    #[error("cannot generate a key: {0}")]
    Random(String),
}

/// The node's signing key.
#[derive(Clone)]
pub struct NodeKey {
    signing: SigningKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeKey({})", self.public_b64())
    }
}

impl NodeKey {
    /// A fresh random key.
    pub fn generate() -> Result<NodeKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(NodeKey { signing: SigningKey::from_bytes(&seed) })
    }

    /// Reads the key file, or creates it (mode 0600) with a new key if missing.
    pub fn load_or_generate(path: impl AsRef<Path>) -> Result<NodeKey, KeyError> {
        let path = path.as_ref();
        let io = |source| KeyError::Io { file: path.into(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => NodeKey::from_b64(text.trim()).ok_or(KeyError::Malformed { file: path.into() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = NodeKey::generate()?;
                if create_secret(path, &B64.encode(key.signing.to_bytes())).map_err(io)? {
                    Ok(key)
                } else {
                    // Another process created it first: use theirs.
                    NodeKey::load_or_generate(path)
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_b64(text: &str) -> Option<NodeKey> {
        let bytes: [u8; 32] = B64.decode(text).ok()?.try_into().ok()?;
        Some(NodeKey { signing: SigningKey::from_bytes(&bytes) })
    }

    /// The signing key.
    pub fn signing(&self) -> &SigningKey {
        &self.signing
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public key as written in other nodes' `members[].public_key`.
    pub fn public_b64(&self) -> String {
        B64.encode(self.public().to_bytes())
    }
}

/// Reads the control token from `path`, or creates the file (mode 0600)
/// with 32 random bytes in hex. The token is the file's first line, trimmed;
/// an empty or shorter-than-16-character token is refused.
pub fn load_or_generate_token(path: &Path) -> Result<String, KeyError> {
    let io = |source| KeyError::Io { file: path.into(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let token = text.lines().next().unwrap_or("").trim().to_string();
            if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(KeyError::Malformed { file: path.into() });
            }
            Ok(token)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if create_secret(path, &token).map_err(io)? { Ok(token) } else { load_or_generate_token(path) }
        }
        Err(e) => Err(io(e)),
    }
}

/// Creates `path` (and its folder) holding `line`, readable by its owner
/// only; `Ok(false)` when another process created it first.
fn create_secret(path: &Path, line: &str) -> std::io::Result<bool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(mut f) => writeln!(f, "{line}").map(|()| true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Why a control endpoint refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ControlDenied {
    /// The `Host` names neither a loopback name nor the address this
    /// endpoint listens on, with its port (403).
    #[error("the Host header must name this endpoint: a loopback name or the address it listens on")]
    Host,
    /// No or a wrong bearer token (401, with `WWW-Authenticate: Bearer`).
    #[error("a bearer token is required: Authorization: Bearer <the node's control_token_file>")]
    Token,
}

impl ControlDenied {
    /// The HTTP status to answer.
    pub fn status(self) -> hyper::StatusCode {
        match self {
            ControlDenied::Host => hyper::StatusCode::FORBIDDEN,
            ControlDenied::Token => hyper::StatusCode::UNAUTHORIZED,
        }
    }
}

/// The rule of both control surfaces (the gateway's `/control/weights` and
/// the agent's control API, listening on `listen`): a `Host` that names the
/// endpoint — a loopback name, or the IP literal it listens on (an agent in
/// its own network namespace), with its port — so no DNS name rebound to it
/// gets through, and the node's `token` as the bearer token.
pub fn control_access(headers: &hyper::HeaderMap, listen: SocketAddr, token: &str) -> Result<(), ControlDenied> {
    let host = headers.get(hyper::header::HOST);
    if !(loopback_host(host, listen.port()) || names_listen_ip(host, listen)) {
        return Err(ControlDenied::Host);
    }
    if !bearer_matches(headers.get(hyper::header::AUTHORIZATION), token) {
        return Err(ControlDenied::Token);
    }
    Ok(())
}

/// Whether `presented` (an `Authorization` header value) carries `token` as
/// a bearer token, compared in constant time.
pub fn bearer_matches(presented: Option<&hyper::header::HeaderValue>, token: &str) -> bool {
    let Some(given) = presented.and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    !b.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a request's `Host` names this control endpoint on loopback
/// (`localhost`, `127.x.y.z` or `[::1]`, with the listening port), so a web
/// page that rebinds a DNS name to 127.0.0.1 cannot reach it.
pub fn loopback_host(host: Option<&hyper::header::HeaderValue>, port: u16) -> bool {
    let Some(name) = host_name(host, port) else { return false };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a request's `Host` is the IP literal `listen` binds (not an
/// unspecified address), with its port.
fn names_listen_ip(host: Option<&hyper::header::HeaderValue>, listen: SocketAddr) -> bool {
    let Some(name) = host_name(host, listen.port()) else { return false };
    !listen.ip().is_unspecified() && name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip == listen.ip())
}

/// The name part of a `Host` header whose port, if given, is `port`.
fn host_name(host: Option<&hyper::header::HeaderValue>, port: u16) -> Option<&str> {
    let host = host.and_then(|h| h.to_str().ok())?;
    let (name, port_part) = match host.strip_prefix('[') {
        Some(rest) => {
            let (n, tail) = rest.split_once(']')?;
            (n, tail.strip_prefix(':'))
        }
        None => match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        },
    };
    if port_part.is_some_and(|p| p.parse::<u16>() != Ok(port)) {
        return None;
    }
    Some(name)
}

/// Why a secret's file is exposed, if it is: group or others may read or
/// write it (unix modes; always `None` elsewhere). The message names the
/// file and its mode and says how to fix it.
pub fn exposure(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds a secret but has mode {mode:03o} (group or others may access it): chmod 600 it",
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Parses a member's `public_key` (base64 of 32 bytes, a valid curve point).
pub fn decode_public_key(b64: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = B64.decode(b64.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_generated_private_reused_and_compared_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n1.control.token");
        let t = load_or_generate_token(&p).unwrap();
        assert_eq!(t.len(), 64);
        assert_eq!(exposure(&p), None, "generated 0600");
        assert_eq!(load_or_generate_token(&p).unwrap(), t);
        let hv = |s: &str| hyper::header::HeaderValue::from_str(s).unwrap();
        assert!(bearer_matches(Some(&hv(&format!("Bearer {t}"))), &t));
        assert!(!bearer_matches(Some(&hv(&format!("Bearer {}", &t[..63]))), &t));
        assert!(!bearer_matches(Some(&hv(&t)), &t), "scheme required");
        assert!(!bearer_matches(None, &t));
        std::fs::write(&p, "short\n").unwrap();
        assert!(matches!(load_or_generate_token(&p), Err(KeyError::Malformed { .. })));
    }

    #[test]
    fn only_loopback_hosts_on_our_port_pass() {
        let hv = |s: &str| hyper::header::HeaderValue::from_str(s).unwrap();
        for ok in ["127.0.0.1:9100", "localhost:9100", "LOCALHOST", "[::1]:9100", "[::1]", "127.1.2.3:9100"] {
            assert!(loopback_host(Some(&hv(ok)), 9100), "{ok}");
        }
        for bad in ["evil.example:9100", "127.0.0.1:9101", "10.0.0.1:9100", "[::2]:9100", "127.0.0.1.nip.io:9100"] {
            assert!(!loopback_host(Some(&hv(bad)), 9100), "{bad}");
        }
        assert!(!loopback_host(None, 9100));
        // An agent in its own network namespace listens on its own address:
        // that IP literal (and its port) is the endpoint's name too.
        let at = |listen: &str, host: &str| {
            let mut h = hyper::HeaderMap::new();
            h.insert(hyper::header::HOST, hv(host));
            h.insert(hyper::header::AUTHORIZATION, hv("Bearer t0k"));
            control_access(&h, listen.parse().unwrap(), "t0k")
        };
        assert_eq!(at("10.77.0.3:9100", "10.77.0.3:9100"), Ok(()));
        assert_eq!(at("10.77.0.3:9100", "localhost:9100"), Ok(()));
        for bad in ["10.77.0.4:9100", "10.77.0.3:9101", "evil.example:9100", "0.0.0.0:9100"] {
            assert_eq!(at("10.77.0.3:9100", bad), Err(ControlDenied::Host), "{bad}");
        }
        // A wildcard listener names no address of its own.
        assert_eq!(at("0.0.0.0:9100", "0.0.0.0:9100"), Err(ControlDenied::Host));
    }

    #[cfg(unix)]
    #[test]
    fn exposed_secrets_are_named_with_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        NodeKey::load_or_generate(&p).unwrap();
        assert_eq!(exposure(&p), None, "generated 0600");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = exposure(&p).unwrap();
        assert!(e.contains("k.key") && e.contains("644") && e.contains("chmod 600"), "{e}");
        assert_eq!(exposure(&dir.path().join("missing")), None);
    }
}
