//! Network weights to and from bytes.
//!
//! Layout: the 8-byte magic [`MAGIC`], an FNV-1a-64 checksum of the payload
//! (little-endian u64), then the payload, which is burn's burnpack encoding of
//! the module's parameters (`Module::into_record` → `ModuleRecord::into_bytes`).
//!
//! burnpack itself validates its header, metadata and sizes, but carries no
//! checksum: a flipped bit in the tensor data would load silently as a
//! different weight. The checksum turns that into an error.
//!
//! The blob holds parameters only: layer sizes, activation and α floor come
//! from the [`NetConfig`] used to load it, and a shape mismatch is an error.

use crate::nets::{Actor, ConfigError, Critic, NetConfig};
use burn::module::Module;
use burn::store::{ModuleRecord, RecordError};
use burn::tensor::{Bytes, Device};

/// First bytes of every weights blob written by [`to_bytes`].
pub const MAGIC: &[u8; 8] = b"DFNNBP01";

const HEADER_LEN: usize = MAGIC.len() + 8;

/// Why weights could not be saved or loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PersistError {
    /// Fewer bytes than the fixed header.
    #[error("weights blob is {0} bytes, shorter than its {HEADER_LEN}-byte header")]
    TooShort(usize),
    /// The blob does not start with [`MAGIC`].
    #[error("not a DFaaS weights blob (bad magic bytes)")]
    BadMagic,
    /// The payload does not match its checksum: truncated or corrupted.
    #[error("weights blob is corrupt or truncated (checksum {found:#018x}, expected {expected:#018x})")]
    Checksum {
        /// Checksum stored in the header.
        expected: u64,
        /// Checksum of the payload as read.
        found: u64,
    },
    /// The network shape to load into is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// burn could not encode, decode or apply the burnpack payload (e.g. the
    /// weights were saved from a network of another shape).
    #[error("burnpack: {0}")]
    Burn(String),
}

impl From<RecordError> for PersistError {
    fn from(err: RecordError) -> Self {
        PersistError::Burn(err.to_string())
    }
}

/// Serialises a module's parameters.
pub fn to_bytes<M: Module>(module: &M) -> Result<Vec<u8>, PersistError> {
    let payload = module.clone().into_record().into_bytes()?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&fnv1a64(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Loads parameters written by [`to_bytes`] into `module`, which must have
/// the same structure (layer names and shapes) as the one saved.
pub fn load_bytes<M: Module>(module: M, bytes: &[u8]) -> Result<M, PersistError> {
    if bytes.len() < HEADER_LEN {
        return Err(PersistError::TooShort(bytes.len()));
    }
    if &bytes[..MAGIC.len()] != MAGIC {
        return Err(PersistError::BadMagic);
    }
    let expected = u64::from_le_bytes(bytes[MAGIC.len()..HEADER_LEN].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    let found = fnv1a64(payload);
    if found != expected {
        return Err(PersistError::Checksum { expected, found });
    }
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(payload.to_vec()))?;
    Ok(module.try_load_record(record)?)
}

impl NetConfig {
    /// An actor of this shape on `device` with the weights in `bytes`.
    pub fn load_actor(&self, bytes: &[u8], device: &Device) -> Result<Actor, PersistError> {
        load_bytes(self.init_actor(device)?, bytes)
    }

    /// A critic of this shape on `device` with the weights in `bytes`.
    pub fn load_critic(&self, bytes: &[u8], device: &Device) -> Result<Critic, PersistError> {
        load_bytes(self.init_critic(device)?, bytes)
    }
}

/// 64-bit FNV-1a.
fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tensor};

    fn setup() -> (Device, NetConfig, Actor, Tensor<2>) {
        let device = Device::flex();
        let cfg = NetConfig::new(6, 4).with_hidden([16, 16]);
        let actor = cfg.init_actor(&device).unwrap();
        let obs = Tensor::<2>::random([3, 6], Distribution::Uniform(-2.0, 2.0), &device);
        (device, cfg, actor, obs)
    }

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn actor_round_trip_gives_identical_outputs() {
        let (device, cfg, actor, obs) = setup();
        let bytes = to_bytes(&actor).unwrap();
        assert_eq!(&bytes[..8], MAGIC);
        let loaded = cfg.load_actor(&bytes, &device).unwrap();
        assert_eq!(values(actor.forward(obs.clone())), values(loaded.forward(obs)));
        // A fresh actor differs, so the equality above is not vacuous.
        let fresh = cfg.init_actor(&device).unwrap();
        let (_, _, _, obs) = setup();
        assert_ne!(values(actor.forward(obs.clone())), values(fresh.forward(obs)));
    }

    #[test]
    fn critic_round_trip_gives_identical_outputs() {
        let (device, cfg, _, obs) = setup();
        let critic = cfg.init_critic(&device).unwrap();
        let loaded = cfg.load_critic(&to_bytes(&critic).unwrap(), &device).unwrap();
        let v = |c: &Critic| c.forward(obs.clone()).into_data().try_into_vec::<f32>().unwrap();
        assert_eq!(v(&critic), v(&loaded));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let (device, cfg, actor, _) = setup();
        let bytes = to_bytes(&actor).unwrap();
        for len in 0..bytes.len() {
            let err = cfg.load_actor(&bytes[..len], &device).unwrap_err();
            assert!(matches!(err, PersistError::TooShort(_) | PersistError::Checksum { .. }), "{len}: {err}");
        }
    }

    #[test]
    fn corruption_is_an_error() {
        let (device, cfg, actor, _) = setup();
        let bytes = to_bytes(&actor).unwrap();
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(cfg.load_actor(&bad, &device).unwrap_err(), PersistError::BadMagic);
        // A flipped bit anywhere in the payload: header, metadata or weights.
        for pos in [HEADER_LEN, HEADER_LEN + 40, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[pos] ^= 0x10;
            let err = cfg.load_actor(&bad, &device).unwrap_err();
            assert!(matches!(err, PersistError::Checksum { .. }), "{pos}: {err}");
            assert!(err.to_string().contains("corrupt"), "{err}");
        }
    }

    #[test]
    fn burnpack_errors_come_back_as_errors_not_panics() {
        // Payloads with a valid envelope but bad burnpack content reach burn's own checks.
        let (device, cfg, actor, _) = setup();
        let payload = actor.clone().into_record().into_bytes().unwrap().to_vec();
        let wrap = |p: &[u8]| {
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&fnv1a64(p).to_le_bytes());
            out.extend_from_slice(p);
            out
        };
        for len in [0, 3, 10, 40, payload.len() / 2, payload.len() - 1] {
            let err = cfg.load_actor(&wrap(&payload[..len]), &device).unwrap_err();
            assert!(matches!(err, PersistError::Burn(_)), "{len}: {err}");
        }
        let mut garbled = payload.clone();
        garbled[..4].copy_from_slice(b"XXXX");
        assert!(matches!(cfg.load_actor(&wrap(&garbled), &device), Err(PersistError::Burn(_))));
    }

    #[test]
    fn loading_into_another_shape_is_an_error() {
        let (device, _, actor, _) = setup();
        let bytes = to_bytes(&actor).unwrap();
        for other in [NetConfig::new(6, 5).with_hidden([16, 16]), NetConfig::new(6, 4).with_hidden([16])] {
            let err = other.load_actor(&bytes, &device).unwrap_err();
            assert!(matches!(err, PersistError::Burn(_)), "{err}");
        }
    }
}
