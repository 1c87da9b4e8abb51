//! An overlay identity: an Ed25519 keypair and its peer id.
//!
//! A `dfaas agent` speaks in the overlay with its runtime member key
//! ([`NodeIdentity::from_member_key`]), so its peer id is the one the other
//! members derive from its `members[].public_key` ([`member_peer_id`]). A
//! bare overlay (tests, other tools) may keep its own key in a file:
//!
//! File format: the libp2p keypair protobuf encoding (the format of
//! `Keypair::to_protobuf_encoding`, 68 bytes for Ed25519, readable by other
//! libp2p implementations). A file holding exactly 32 raw bytes is also
//! accepted and read as an Ed25519 secret key. Only Ed25519 keys are accepted:
//! peers authenticate forwarded requests with the public key embedded in an
//! Ed25519 peer id.
//!
//! A missing file is generated on first start (mode 0600 on Unix, created
//! exclusively so two starts cannot race) and kept; later starts reuse it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use libp2p::PeerId;
use libp2p::identity::{Keypair, ed25519};

/// Why the node key could not be loaded or created. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("node key file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("node key file {path}: not a libp2p Ed25519 keypair nor a 32-byte Ed25519 secret ({reason})")]
    Decode { path: PathBuf, reason: String },
    #[error("node key file {path}: key type {key_type} is not Ed25519")]
    NotEd25519 { path: PathBuf, key_type: String },
}

/// The node's keypair and the peer id derived from it.
#[derive(Clone)]
pub struct NodeIdentity {
    pub keypair: Keypair,
    pub peer_id: PeerId,
    /// Whether this start generated the key file.
    pub generated: bool,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("peer_id", &self.peer_id)
            .field("generated", &self.generated)
            .finish_non_exhaustive()
    }
}

impl NodeIdentity {
    /// Wraps an existing keypair (e.g. a fresh one in tests).
    pub fn from_keypair(keypair: Keypair) -> Self {
        let peer_id = keypair.public().to_peer_id();
        Self { keypair, peer_id, generated: false }
    }

    /// The overlay identity of a federation member: the libp2p keypair of its
    /// runtime key, so the peer id others see in gossip is the one they derive
    /// from its `members[].public_key`.
    pub fn from_member_key(key: &dfaas_runtime::NodeKey) -> Self {
        let mut secret = key.signing().to_bytes();
        let secret = ed25519::SecretKey::try_from_bytes(&mut secret).expect("32 bytes are an Ed25519 secret");
        Self::from_keypair(Keypair::from(ed25519::Keypair::from(secret)))
    }

    /// A fresh random Ed25519 identity that is not stored anywhere.
    pub fn ephemeral() -> Self {
        Self::from_keypair(Keypair::generate_ed25519())
    }

    /// Loads the key from `path`, generating and storing a new one if the file
    /// does not exist.
    pub fn load_or_generate(path: &Path) -> Result<Self, IdentityError> {
        match fs::read(path) {
            Ok(bytes) => Self::decode(path, &bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match Self::generate(path) {
                Ok(id) => Ok(id),
                // Another process created it between our read and create: use theirs.
                Err(IdentityError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
                    let bytes = fs::read(path).map_err(|source| io_err(path, source))?;
                    Self::decode(path, &bytes)
                }
                Err(e) => Err(e),
            },
            Err(source) => Err(io_err(path, source)),
        }
    }

    /// Loads an existing key file; a missing file is an error.
    pub fn load(path: &Path) -> Result<Self, IdentityError> {
        let bytes = fs::read(path).map_err(|source| io_err(path, source))?;
        Self::decode(path, &bytes)
    }

    fn decode(path: &Path, bytes: &[u8]) -> Result<Self, IdentityError> {
        let keypair = if bytes.len() == 32 {
            let mut secret = [0u8; 32];
            secret.copy_from_slice(bytes);
            let secret =
                ed25519::SecretKey::try_from_bytes(&mut secret).map_err(|e| decode_err(path, e.to_string()))?;
            Keypair::from(ed25519::Keypair::from(secret))
        } else {
            Keypair::from_protobuf_encoding(bytes).map_err(|e| decode_err(path, e.to_string()))?
        };
        if keypair.key_type() != libp2p::identity::KeyType::Ed25519 {
            return Err(IdentityError::NotEd25519 {
                path: path.to_path_buf(),
                key_type: format!("{:?}", keypair.key_type()),
            });
        }
        Ok(Self::from_keypair(keypair))
    }

    fn generate(path: &Path) -> Result<Self, IdentityError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| io_err(path, source))?;
        }
        let keypair = Keypair::generate_ed25519();
        let bytes = keypair.to_protobuf_encoding().map_err(|e| decode_err(path, e.to_string()))?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|source| io_err(path, source))?;
        let written = file.write_all(&bytes).and_then(|()| file.sync_all());
        if let Err(source) = written {
            // Do not leave a truncated key behind for the next start to choke on.
            let _ = fs::remove_file(path);
            return Err(io_err(path, source));
        }
        let mut id = Self::from_keypair(keypair);
        id.generated = true;
        Ok(id)
    }
}

/// The peer id a member with this Ed25519 public key (32 bytes) has in the
/// overlay; `None` if the bytes are not a valid key.
pub fn member_peer_id(public: &[u8; 32]) -> Option<PeerId> {
    let public = ed25519::PublicKey::try_from_bytes(public).ok()?;
    Some(libp2p::identity::PublicKey::from(public).to_peer_id())
}

fn io_err(path: &Path, source: io::Error) -> IdentityError {
    IdentityError::Io { path: path.to_path_buf(), source }
}

fn decode_err(path: &Path, reason: String) -> IdentityError {
    IdentityError::Decode { path: path.to_path_buf(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/node.key");
        let first = NodeIdentity::load_or_generate(&path).unwrap();
        assert!(first.generated);
        let second = NodeIdentity::load_or_generate(&path).unwrap();
        assert!(!second.generated);
        assert_eq!(first.peer_id, second.peer_id);
        assert_eq!(NodeIdentity::load(&path).unwrap().peer_id, first.peer_id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn member_key_and_its_public_key_give_one_peer_id() {
        let dir = tempfile::tempdir().unwrap();
        let key = dfaas_runtime::NodeKey::load_or_generate(dir.path().join("n1.key")).unwrap();
        let id = NodeIdentity::from_member_key(&key);
        assert_eq!(Some(id.peer_id), member_peer_id(key.public().as_bytes()));
        let other = dfaas_runtime::NodeKey::generate().unwrap();
        assert_ne!(Some(id.peer_id), member_peer_id(other.public().as_bytes()));
    }

    #[test]
    fn raw_secret_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raw.key");
        fs::write(&path, [7u8; 32]).unwrap();
        let a = NodeIdentity::load(&path).unwrap();
        let b = NodeIdentity::load_or_generate(&path).unwrap();
        assert_eq!(a.peer_id, b.peer_id);
    }

    #[test]
    fn garbage_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        fs::write(&path, b"not a key").unwrap();
        let err = NodeIdentity::load_or_generate(&path).unwrap_err();
        assert!(matches!(err, IdentityError::Decode { .. }));
        assert!(err.to_string().contains("bad.key"), "{err}");
        let missing = NodeIdentity::load(&dir.path().join("missing.key")).unwrap_err();
        assert!(missing.to_string().contains("missing.key"));
    }
}
