//! The JSON documents the CLI writes (`--json`), one schema for all: each
//! is an object tagged with its `kind` and the `schema_version`, produced
//! and read back by the same types, so `dfaas report` (and any reader)
//! dispatches on the tag instead of guessing from a document's shape.
//!
//! | `kind` | written by | type |
//! |---|---|---|
//! | `compare` | `dfaas compare`, `dfaas evaluate` | [`CompareReport`] |
//! | `simulate` | `dfaas simulate` | [`SimulateReport`] |
//! | `cluster` | `dfaas cluster` | [`ClusterReport`] |
//! | `sim2real` | `dfaas sim2real` (an array of them for several policies) | [`Sim2RealReport`] |
//! | `live-evaluate` | `dfaas evaluate --live` | [`LiveReport`] |
//! | `loadgen` | `dfaas loadgen` | [`LoadReport`] |
//!
//! Documents written before the tag existed (version 0, untagged) are still
//! read by `dfaas report`, which recognises them by their fields.

use serde::Serialize;

pub use dfaas_experiments::compare::CompareReport;
pub use dfaas_experiments::simulate::SimulateReport;
pub use dfaas_live::cluster::ClusterReport;
pub use dfaas_live::live_env::{LiveReport, Sim2RealReport};
pub use dfaas_loadgen::Report as LoadReport;

/// The version of the documents' schema this build writes. Bump it when a
/// field is renamed, removed or changes meaning (adding a field does not).
pub const SCHEMA_VERSION: u32 = 1;

/// One report document, tagged by its kind. Written through serde's
/// internal tag; read by [`Document::from_value`], which dispatches on the
/// tag to the type's own deserialiser.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[allow(clippy::large_enum_variant)]
pub enum Document {
    Compare(CompareReport),
    Simulate(SimulateReport),
    Cluster(ClusterReport),
    #[serde(rename = "sim2real")]
    Sim2Real(Sim2RealReport),
    LiveEvaluate(LiveReport),
    Loadgen(LoadReport),
}

/// A document with its schema version, as written: `{"schema_version": 1,
/// "kind": "compare", …the report's fields}`.
#[derive(Debug, Clone, Serialize)]
pub struct Versioned<D> {
    pub schema_version: u32,
    #[serde(flatten)]
    pub document: D,
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("schema_version {found} is newer than this build reads ({SCHEMA_VERSION}): update dfaas")]
    Newer { found: u64 },
    #[error("not a valid `{kind}` document: {message}")]
    Invalid { kind: String, message: String },
    #[error("unknown kind {0:?}: expected compare, simulate, cluster, sim2real, live-evaluate or loadgen")]
    UnknownKind(String),
}

impl Document {
    /// The document's `kind` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Document::Compare(_) => "compare",
            Document::Simulate(_) => "simulate",
            Document::Cluster(_) => "cluster",
            Document::Sim2Real(_) => "sim2real",
            Document::LiveEvaluate(_) => "live-evaluate",
            Document::Loadgen(_) => "loadgen",
        }
    }

    /// The document as written (tagged, versioned), pretty-printed.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&Versioned { schema_version: SCHEMA_VERSION, document: self })
            .expect("reports serialise")
    }

    /// Several documents as one JSON array of tagged documents.
    pub fn list_to_json_pretty(docs: &[Document]) -> String {
        let list: Vec<Versioned<&Document>> =
            docs.iter().map(|d| Versioned { schema_version: SCHEMA_VERSION, document: d }).collect();
        serde_json::to_string_pretty(&list).expect("reports serialise")
    }

    /// Reads a tagged document: `Ok(None)` when `v` carries no `kind` (an
    /// untagged document of schema version 0).
    pub fn from_value(v: serde_json::Value) -> Result<Option<Self>, DocumentError> {
        let kind = match v.get("kind") {
            None => return Ok(None),
            Some(serde_json::Value::String(k)) => k.clone(),
            Some(other) => return Err(DocumentError::UnknownKind(other.to_string())),
        };
        let version = match v.get("schema_version") {
            None => 0,
            Some(x) => x.as_u64().ok_or_else(|| DocumentError::Invalid {
                kind: kind.clone(),
                message: format!("schema_version {x} is not a whole number"),
            })?,
        };
        if version > u64::from(SCHEMA_VERSION) {
            return Err(DocumentError::Newer { found: version });
        }
        fn read<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }
        let doc = match kind.as_str() {
            "compare" => read(v).map(Document::Compare),
            "simulate" => read(v).map(Document::Simulate),
            "cluster" => read(v).map(Document::Cluster),
            "sim2real" => read(v).map(Document::Sim2Real),
            "live-evaluate" => read(v).map(Document::LiveEvaluate),
            "loadgen" => read(v).map(Document::Loadgen),
            _ => return Err(DocumentError::UnknownKind(kind)),
        };
        doc.map(Some).map_err(|message| DocumentError::Invalid { kind, message })
    }

    /// Parses a tagged document from text.
    pub fn parse(text: &str) -> Result<Option<Self>, DocumentError> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| DocumentError::Json(e.to_string()))?;
        Self::from_value(v)
    }
}

macro_rules! document_from {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl From<$t> for Document {
            fn from(r: $t) -> Self {
                Document::$v(r)
            }
        }
    )*};
}

document_from!(
    CompareReport => Compare,
    SimulateReport => Simulate,
    ClusterReport => Cluster,
    Sim2RealReport => Sim2Real,
    LiveReport => LiveEvaluate,
    LoadReport => Loadgen,
);
