//! The node's Ed25519 key: a file holding base64 (standard alphabet) of the
//! 32-byte secret seed on one line, generated on first start and kept.
//! The same seed can build a libp2p Ed25519 keypair for the control plane.

use std::io::Write;
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
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                match opts.open(path) {
                    Ok(mut f) => {
                        writeln!(f, "{}", B64.encode(key.signing.to_bytes())).map_err(io)?;
                        Ok(key)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => NodeKey::load_or_generate(path),
                    Err(e) => Err(io(e)),
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
