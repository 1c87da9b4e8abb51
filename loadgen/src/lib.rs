//! `dfaas-loadgen`: an open-loop HTTP load generator (`dfaas loadgen`, and
//! per-node load in `dfaas cluster`, `LiveEnv` and sim-to-real).
//!
//! Requests are sent on a fixed schedule — a constant rate or a rate per
//! slot — whether or not earlier ones have answered (open loop, so no
//! coordinated omission), over pooled HTTP/1.1 connections without TLS.
//! Each request runs in its own task under a timeout; the run ends at
//! `duration + timeout` at the latest. The [`Report`] gives Vegeta's
//! summary (requests, rate, throughput, latency percentiles, success ratio,
//! status codes, errors) plus the DFaaS headers (`X-Dfaas-Served-By`,
//! `X-Dfaas-Forwarded`, `X-Dfaas-Reject-Reason`) and, for per-slot runs,
//! per-slot aggregates.
//!
//! ```no_run
//! use std::time::Duration;
//! use dfaas_loadgen::{LoadSpec, run_blocking};
//! let spec = LoadSpec::constant("http://127.0.0.1:8080/function/echo", 50.0, Duration::from_secs(10));
//! let report = run_blocking(spec)?;
//! println!("{}", report.to_text());
//! # Ok::<(), dfaas_loadgen::LoadError>(())
//! ```

mod client;
mod error;
mod percentiles;
mod record;
mod report;
mod runner;
mod schedule;
mod slots;
mod spec;
mod text;

pub use client::{H_FORWARDED, H_REJECT_REASON, H_SERVED_BY};
pub use error::LoadError;
pub use percentiles::{LatencyStats, nearest_rank};
pub use record::{ErrorKind, Outcome, RequestRecord};
pub use report::{Report, SlotInfo};
pub use runner::{RunOutput, run, run_blocking, run_records};
pub use schedule::{Plan, PlannedSend, Schedule, Spacing};
pub use slots::SlotReport;
pub use spec::{DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_REQUESTS, DEFAULT_TIMEOUT, LoadSpec, Method};
