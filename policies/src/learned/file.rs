//! A learned policy on disk, whatever its format: a `.dfpolicy` file or
//! (feature `onnx`) an ONNX model with DFaaS metadata. The format is told by
//! the first bytes, not the name.

use std::io::Read;
use std::path::Path;

use dfaas_env::encoding::Encoding;

use super::format::{MAGIC, PolicyFile};
use super::meta::ActionLayout;
use crate::PolicyError;

/// A learned policy read from a file.
#[derive(Debug, Clone)]
pub enum LearnedFile {
    /// A policy file written by `dfaas export`.
    Native(PolicyFile),
    /// An ONNX model (`dfaas export --format onnx`, or any framework's
    /// export annotated with DFaaS metadata).
    #[cfg(feature = "onnx")]
    Onnx(super::onnx::OnnxModel),
}

impl LearnedFile {
    /// Reads `path`: a `.dfpolicy` file if it starts with the policy magic,
    /// else an ONNX model. Only regular files are opened.
    pub fn read(path: &Path) -> Result<Self, PolicyError> {
        let origin = path.display().to_string();
        let err = |reason: String| PolicyError::ModelFile { file: origin.clone(), reason };
        let md = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
        if !md.is_file() {
            return Err(err("not a regular file".into()));
        }
        let mut head = [0u8; 8];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| err(format!("cannot read: {e}")))?;
        if n == head.len() && &head == MAGIC {
            return PolicyFile::read(path).map(Self::Native);
        }
        #[cfg(feature = "onnx")]
        {
            super::onnx::OnnxModel::read(path).map(Self::Onnx).map_err(|e| match e {
                PolicyError::ModelFile { file, reason } if reason.starts_with(super::onnx::NOT_ONNX) => {
                    PolicyError::ModelFile {
                        file,
                        reason: format!(
                            "neither a DFaaS policy file (no `DFAASPOL` magic) nor {}",
                            reason.replacen("not ", "", 1)
                        ),
                    }
                }
                other => other,
            })
        }
        #[cfg(not(feature = "onnx"))]
        PolicyFile::read(path).map(Self::Native)
    }

    /// What the network's output addresses.
    pub fn action_layout(&self) -> ActionLayout {
        match self {
            Self::Native(f) => f.meta.action_layout,
            #[cfg(feature = "onnx")]
            Self::Onnx(m) => m.meta.action_layout,
        }
    }

    /// The observation encoding the network reads.
    pub fn encoding(&self) -> Encoding {
        match self {
            Self::Native(f) => f.meta.encoding,
            #[cfg(feature = "onnx")]
            Self::Onnx(m) => m.meta.encoding,
        }
    }

    /// The format, in words.
    pub fn format(&self) -> &'static str {
        match self {
            Self::Native(_) => "dfpolicy",
            #[cfg(feature = "onnx")]
            Self::Onnx(_) => "onnx",
        }
    }
}
