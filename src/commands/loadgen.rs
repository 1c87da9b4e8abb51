//! `dfaas loadgen`: open-loop constant-rate load with a Vegeta-like report.

use std::time::Duration;

use anyhow::{Result, bail};
use dfaas_loadgen::{LoadSpec, Method, run_blocking};

#[derive(clap::Args)]
pub struct Args {
    /// URL to call (only 127.0.0.1/localhost targets are sensible in tests).
    #[arg(long)]
    target: String,
    /// Requests per second, sent on schedule whether or not earlier ones returned.
    #[arg(long)]
    rate: f64,
    /// Duration in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// HTTP method (GET or POST).
    #[arg(long, default_value = "POST")]
    method: String,
    /// Request body.
    #[arg(long, default_value = "")]
    body: String,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Print one JSON document instead of the text report.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    if !(a.duration.is_finite() && a.duration > 0.0) {
        bail!("--duration {}: must be a positive number of seconds", a.duration);
    }
    if !(a.timeout.is_finite() && a.timeout > 0.0) {
        bail!("--timeout {}: must be a positive number of seconds", a.timeout);
    }
    let mut spec = LoadSpec::constant(a.target, a.rate, Duration::from_secs_f64(a.duration));
    spec.method = a.method.parse::<Method>().map_err(|e| anyhow::anyhow!("--method {}: {e}", a.method))?;
    spec.body = a.body.into_bytes();
    spec.timeout = Duration::from_secs_f64(a.timeout);
    let report = run_blocking(spec)?;
    super::print_report(report, a.json, |r| r.to_text())
}
