//! The binary policy file: magic, version, JSON metadata, f32 weights, CRC32.
//!
//! ```text
//! offset  size      content
//! 0       8         magic `DFAASPOL`
//! 8       4         format version, u32 little-endian (1)
//! 12      8         J = length of the metadata, u64 little-endian
//! 20      J         metadata, UTF-8 JSON (`PolicyMeta`)
//! 20+J    4·P       weights, f32 little-endian (layers as `LayerMeta` says)
//! end−4   4         CRC32 (IEEE) of every byte before it, u32 little-endian
//! ```

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use super::meta::{NetworkMeta, PolicyMeta};
use crate::PolicyError;

/// The first eight bytes of every policy file.
pub const MAGIC: &[u8; 8] = b"DFAASPOL";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest policy file read (shipped ones are tens of kB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Origin used in messages about a file that was never on disk.
pub const IN_MEMORY: &str = "<in-memory policy>";

const HEADER: usize = 20;
const CRC: usize = 4;

/// A policy file in memory: metadata and the flat weight payload.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    pub meta: PolicyMeta,
    /// Every network's layers, where their `LayerMeta::offset` says.
    pub weights: Vec<f32>,
}

fn model_error(origin: &str, reason: impl Into<String>) -> PolicyError {
    PolicyError::ModelFile { file: origin.to_string(), reason: reason.into() }
}

impl PolicyFile {
    /// Appends a network after the current payload and records its layer
    /// offsets. `net.layers` is ignored and rebuilt; `layers` gives, per
    /// dense layer from the input side, `W` row-major `[out][in]` (PyTorch's
    /// layout; transpose burn's `[in][out]`) and the bias `[out]`.
    /// Returns the network's index.
    pub fn push_network(
        &mut self,
        mut net: NetworkMeta,
        layers: &[(Vec<f32>, Vec<f32>)],
    ) -> Result<usize, PolicyError> {
        let widths = net.widths();
        if layers.len() + 1 != widths.len() {
            return Err(model_error(
                IN_MEMORY,
                format!("{} layers given, widths {widths:?} need {}", layers.len(), widths.len() - 1),
            ));
        }
        let mut offset = self.weights.len();
        net.layers.clear();
        for (l, (w, b)) in layers.iter().enumerate() {
            let (in_dim, out_dim) = (widths[l], widths[l + 1]);
            let w_len = in_dim.saturating_mul(out_dim);
            if w.len() != w_len || b.len() != out_dim {
                return Err(model_error(
                    IN_MEMORY,
                    format!(
                        "layer {l} ({in_dim}→{out_dim}): weight has {} values (need {}), bias {} (need {out_dim})",
                        w.len(),
                        w_len,
                        b.len()
                    ),
                ));
            }
            net.layers.push(super::meta::LayerMeta { in_dim, out_dim, offset });
            offset += w.len() + b.len();
        }
        for (w, b) in layers {
            self.weights.extend_from_slice(w);
            self.weights.extend_from_slice(b);
        }
        self.meta.networks.push(net);
        Ok(self.meta.networks.len() - 1)
    }

    /// The weight (row-major `[out][in]`) and bias of one layer.
    pub fn layer(&self, network: usize, layer: usize) -> Option<(&[f32], &[f32])> {
        let l = self.meta.networks.get(network)?.layers.get(layer)?;
        let w_end = l.offset.checked_add(l.in_dim.checked_mul(l.out_dim)?)?;
        let end = w_end.checked_add(l.out_dim)?;
        Some((self.weights.get(l.offset..w_end)?, self.weights.get(w_end..end)?))
    }

    /// Checks the metadata against itself and the payload, and that every
    /// weight is finite; `origin` names the file in the error.
    pub fn check(&self, origin: &str) -> Result<(), PolicyError> {
        self.meta.check(self.weights.len()).map_err(|e| model_error(origin, format!("inconsistent metadata: {e}")))?;
        if let Some(i) = self.weights.iter().position(|w| !w.is_finite()) {
            return Err(model_error(origin, format!("weight {i} is not finite ({})", self.weights[i])));
        }
        Ok(())
    }

    /// The file's bytes (not checked: see [`check`](Self::check), which
    /// [`write`](Self::write) runs first).
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = serde_json::to_vec_pretty(&self.meta).expect("PolicyMeta always serialises");
        let mut out = Vec::with_capacity(HEADER + json.len() + 4 * self.weights.len() + CRC);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Checks, then writes atomically (a temporary file in the same folder,
    /// synced, then renamed over `path`).
    pub fn write(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.check(&path.display().to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("`{}` is not a file path", path.display()))
        })?;
        let tmp = path.with_file_name(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&self.to_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Reads and fully checks a policy file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let err = |reason: String| model_error(&origin, reason);
        // Checked before opening: opening a FIFO or a device would block or never end.
        let meta = fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
        if !meta.is_file() {
            return Err(err("not a regular file".into()));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(err(format!("{} bytes, more than the {MAX_FILE_BYTES} a policy file may have", meta.len())));
        }
        let mut bytes = Vec::new();
        let file = fs::File::open(path).map_err(|e| err(format!("cannot read: {e}")))?;
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_FILE_BYTES + 1), &mut bytes)
            .map_err(|e| err(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(err(format!("more than the {MAX_FILE_BYTES} bytes a policy file may have")));
        }
        Self::from_bytes(&bytes, &origin)
    }

    /// Parses and fully checks a policy file's bytes; `origin` names the
    /// file in errors. Never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, PolicyError> {
        let err = |reason: String| model_error(origin, reason);
        let total = bytes.len();
        let magic_len = total.min(MAGIC.len());
        if bytes[..magic_len] != MAGIC[..magic_len] {
            // Never echo the bytes: the path may name any file, a secret included.
            return Err(err("not a DFaaS policy file (it does not start with `DFAASPOL`)".into()));
        }
        if total < 12 {
            return Err(err(format!("truncated: expected at least {} bytes, got {total}", HEADER + CRC)));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(err(format!(
                "unsupported format version {version} (this build reads version {FORMAT_VERSION})"
            )));
        }
        if total < HEADER + CRC {
            return Err(err(format!("truncated: expected at least {} bytes, got {total}", HEADER + CRC)));
        }
        let json_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let json_end = usize::try_from(json_len)
            .ok()
            .and_then(|j| j.checked_add(HEADER))
            .filter(|&end| end.checked_add(CRC).is_some_and(|n| n <= total))
            .ok_or_else(|| {
                err(format!(
                    "truncated: the metadata alone needs {} bytes, got {total}",
                    json_len as u128 + (HEADER + CRC) as u128
                ))
            })?;
        let meta: Result<PolicyMeta, _> = serde_json::from_slice(&bytes[HEADER..json_end]);
        let stored = u32::from_le_bytes(bytes[total - CRC..].try_into().expect("4 bytes"));
        let computed = crc32fast::hash(&bytes[..total - CRC]);
        if stored != computed {
            // Say "truncated" when the metadata tells how long the file should be.
            if let Ok(meta) = &meta
                && let Some(expected) = expected_len(meta, json_end)
                && expected != total
            {
                return Err(err(if expected > total {
                    format!("truncated: expected {expected} bytes, got {total}")
                } else {
                    format!("{} unexpected trailing bytes: expected {expected} bytes, got {total}", total - expected)
                }));
            }
            return Err(err(format!(
                "checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file is corrupt"
            )));
        }
        let meta = meta.map_err(|e| err(format!("invalid JSON metadata: {e}")))?;
        let payload = &bytes[json_end..total - CRC];
        if !payload.len().is_multiple_of(4) {
            return Err(err(format!(
                "the weight payload has {} bytes, not a whole number of f32 values",
                payload.len()
            )));
        }
        let weights = payload.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect();
        let file = Self { meta, weights };
        file.check(origin)?;
        Ok(file)
    }
}

/// File length implied by the metadata: header, JSON, every layer, CRC.
fn expected_len(meta: &PolicyMeta, json_end: usize) -> Option<usize> {
    let mut values = 0usize;
    for net in &meta.networks {
        for layer in &net.layers {
            values = values.checked_add(layer.len()?)?;
        }
    }
    values.checked_mul(4)?.checked_add(json_end)?.checked_add(CRC)
}
