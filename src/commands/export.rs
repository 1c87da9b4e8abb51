//! `dfaas export`: a training run's latest checkpoint (or an existing
//! `.dfpolicy` file) as a policy file, in the native format or as ONNX.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dfaas_policies::PolicyFile;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The native policy file (weights + JSON metadata).
    Dfpolicy,
    /// ONNX (opset 13) with the DFaaS metadata in `metadata_props`.
    Onnx,
}

#[derive(clap::Args)]
pub struct Args {
    /// Training run directory.
    #[arg(long, required_unless_present = "model", conflicts_with = "model")]
    run: Option<PathBuf>,
    /// An existing `.dfpolicy` file to convert (with `--format onnx`).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output file (`.dfpolicy` or `.onnx` is added when it has no extension).
    #[arg(long)]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "dfpolicy")]
    format: Format,
}

pub fn run(a: Args) -> Result<()> {
    match (a.format, &a.run, &a.model) {
        (Format::Dfpolicy, Some(run), _) => {
            let out = dfaas_training::export::export_run(run, &a.out)?;
            let file = PolicyFile::read(&out)?;
            println!(
                "wrote {} ({} bytes): {:?} encoding, {} network(s), scenario {}",
                out.display(),
                std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0),
                file.meta.encoding,
                file.meta.networks.len(),
                file.meta.scenario
            );
            Ok(())
        }
        (Format::Dfpolicy, None, Some(_)) => {
            bail!("--model is converted with --format onnx (it already is a .dfpolicy)")
        }
        (Format::Onnx, run, model) => {
            let (file, origin) = match (run, model) {
                (Some(r), _) => (dfaas_training::export::run_policy_file(r)?, r.display().to_string()),
                (None, Some(m)) => (PolicyFile::read(m)?, m.display().to_string()),
                (None, None) => bail!("give --run DIR or --model FILE"),
            };
            let bytes = dfaas_policies::learned::onnx::to_onnx(&file, &origin)?;
            let out = if a.out.extension().is_some() { a.out.clone() } else { a.out.with_extension("onnx") };
            write_atomically(&out, &bytes)?;
            let model = dfaas_policies::learned::onnx::OnnxModel::read(&out)?;
            println!(
                "wrote {} ({} bytes): ONNX, {:?} encoding, output {:?} of {} values, scenario {}",
                out.display(),
                bytes.len(),
                model.meta.encoding,
                model.meta.output,
                model.meta.output_dim(),
                model.meta.scenario
            );
            Ok(())
        }
        (Format::Dfpolicy, None, None) => bail!("give --run DIR"),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let name = path.file_name().with_context(|| format!("`{}` is not a file path", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming onto {}", path.display()))
}
