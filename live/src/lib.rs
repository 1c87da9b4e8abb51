//! `dfaas-live`: federations of real `dfaas agent` processes on this
//! machine, and the environment and sim-to-real measurements over them.
//!
//! - [`cluster`]: `dfaas cluster` — start one agent process per scenario
//!   node on 127.0.0.1, drive each node's own users' load with the load
//!   generator, report per-node and per-slot counts;
//! - [`deployed`]: `dfaas sim2real` (the default path) — agents decide for
//!   themselves on their own timers, with the policy in-process, exactly as
//!   deployed; the simulator plays the same workload beside them;
//! - [`kubernetes`]: `dfaas deploy kubernetes` — the same federation as
//!   Kubernetes manifests (StatefulSet, headless Service, ConfigMap, Secret);
//! - [`live_env`]: [`live_env::LiveEnv`], the `MultiAgentEnv` over a running
//!   federation (slots driven from outside), and `dfaas evaluate --live`.
//!
//! Depends on `dfaas-experiments` (runners, comparison, tables) and
//! `dfaas-loadgen`; `dfaas-reports` reads its reports.

pub mod cluster;
pub mod deployed;
pub mod kubernetes;
pub mod live_env;
