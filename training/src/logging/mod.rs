//! Training logger: TensorBoard event files, a long-format CSV and a progress bar.
//!
//! [`RunLogger`] writes, for one run directory `<run>`:
//!
//! - `<run>/tensorboard/events.out.tfevents.*`: scalars written with tensorboard-rs
//!   (`SummaryWriter::add_scalar`, the only writer method used here: many others are left
//!   unwritten in that crate and panic). Point TensorBoard at it with
//!   `tensorboard --logdir <run>/tensorboard` (or at a folder of runs). The files are proven readable
//!   by TensorBoard's own `EventAccumulator` in `training/tests/tensorboard_readable.rs`, through
//!   `scripts/check_tensorboard.py`.
//! - `<run>/scalars.csv`: columns `step,wall_time_s,tag,value`, one row per scalar (long format, so
//!   any set of tags fits). `wall_time_s` is seconds since the Unix epoch, like TensorBoard's
//!   `wall_time`. The file is flushed at every [`RunLogger::log_scalars`] call, so a crash loses at
//!   most the iteration being logged.
//! - an optional [indicatif] progress bar on stderr, hidden when disabled or when stderr is not a
//!   terminal; [`progress_message`] formats the key scalars for it.
//!
//! [`read_scalars`] reads event files back in pure Rust (TFRecord framing with both CRC32C checks,
//! hand-rolled protobuf decoding): for tests and for reports.
//!
//! # Tags
//!
//! The trainer logs these tags (`<agent>` is an agent/node id):
//!
//! | tag | meaning |
//! |---|---|
//! | `episode/reward/<agent>` | mean episode reward of one agent over the iteration |
//! | `episode/reward_mean` | mean of the per-agent episode rewards |
//! | `episode/processed_ratio` | processed requests / incoming requests over the iteration's episodes |
//! | `losses/policy_loss` | PPO clipped surrogate loss |
//! | `losses/value_loss` | value-function loss |
//! | `losses/entropy` | mean policy entropy |
//! | `losses/approx_kl`, `losses/old_approx_kl` | KL between the old and the new policy (k3 and k1 estimators) |
//! | `losses/clipfrac` | fraction of samples whose probability ratio was clipped |
//! | `losses/explained_variance` | the critic's explained variance of the returns |
//! | `losses/kl_dirichlet` | exact KL of the Dirichlets (the adaptive penalty's measure) |
//! | `charts/learning_rate`, `charts/entropy_coef`, `charts/kl_coeff`, `charts/epochs` | schedule values in use |
//! | `perf/agent_steps_per_second` | agent steps (one agent, one env step) per wall-clock second |
//! | `perf/rollout_seconds`, `perf/update_seconds`, `perf/advantage_seconds` | where the iteration's time went |
//!
//! The names follow CleanRL's. The step of every scalar is the number of agent steps trained on so far.
//!
//! # Non-finite values
//!
//! NaN and ±infinity are written to `scalars.csv` as `NaN`, `inf` and `-inf` (pandas reads them back as
//! floats) but are **skipped** for TensorBoard, whose charts cope badly with them. TensorBoard stores
//! `f32`: finite `f64` values beyond the `f32` range are also skipped there (they would become infinite).
//!
//! # Resuming
//!
//! [`RunLogger::create`] on a directory that already has a `scalars.csv` appends to it without
//! writing the header again (the header must match). TensorBoard gets a new event file in the same
//! `tensorboard/` folder and merges the files of one folder into one run.
//!
//! # Errors
//!
//! Everything returns [`std::io::Result`]. tensorboard-rs itself panics on I/O errors (it `expect`s
//! in a background thread); [`RunLogger`] checks the folder up front and turns a later failure of
//! that writer into an error (its own panic message still goes to stderr) instead of a panic.

mod event_reader;
mod run_logger;

pub use event_reader::{EventScalar, read_scalars};
pub use run_logger::{CSV_HEADER, RunLogger};

/// Tag of the mean episode reward of one agent: `episode/reward/<agent>`.
pub fn agent_reward_tag(agent: &str) -> String {
    format!("episode/reward/{agent}")
}

/// The progress-bar message for the key scalars found in `scalars`, e.g.
/// `reward 12.35 | processed 0.871 | 15.2k steps/s` (missing tags are left out).
pub fn progress_message(scalars: &[(&str, f64)]) -> String {
    let get = |tag: &str| scalars.iter().rev().find(|(t, _)| *t == tag).map(|&(_, v)| v);
    let mut parts = Vec::new();
    if let Some(r) = get("episode/reward_mean") {
        parts.push(format!("reward {r:.2}"));
    }
    if let Some(p) = get("episode/processed_ratio") {
        parts.push(format!("processed {p:.3}"));
    }
    if let Some(s) = get("perf/agent_steps_per_second") {
        parts.push(if s >= 1e4 { format!("{:.1}k steps/s", s / 1e3) } else { format!("{s:.0} steps/s") });
    }
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_shows_key_scalars_in_order() {
        let m = progress_message(&[
            ("perf/agent_steps_per_second", 15_234.0),
            ("loss/value", 3.0),
            ("episode/processed_ratio", 0.8714),
            ("episode/reward_mean", 12.345_6),
        ]);
        assert_eq!(m, "reward 12.35 | processed 0.871 | 15.2k steps/s");
        assert_eq!(progress_message(&[("perf/agent_steps_per_second", 950.4)]), "950 steps/s");
        assert_eq!(progress_message(&[]), "");
        assert_eq!(agent_reward_tag("node_0"), "episode/reward/node_0");
    }
}
