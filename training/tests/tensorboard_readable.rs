//! Proof that TensorBoard itself reads the event files that RunLogger writes: runs
//! scripts/check_tensorboard.py (TensorBoard's EventAccumulator) on a run written here.
//!
//! Needs the Python `tensorboard` package: scripts/setup.sh installs it into `.venv` at the
//! workspace root (used when present, else `python3`). Without it this test fails, unless
//! DFAAS_SKIP_PYTHON_TESTS=1 is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use dfaas_training::logging::RunLogger;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn python() -> PathBuf {
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() { venv } else { PathBuf::from("python3") }
}

/// Runs check_tensorboard.py; returns its (step, value) lines.
fn tensorboard_scalars(tb_dir: &Path, tag: &str, n: usize) -> Vec<(i64, f64)> {
    let py = python();
    let script = workspace_root().join("scripts/check_tensorboard.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(tb_dir)
        .arg(tag)
        .arg(n.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run scripts/setup.sh", py.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(3) => panic!(
            "the Python `tensorboard` package is not importable by {}: run scripts/setup.sh \
             (or set DFAAS_SKIP_PYTHON_TESTS=1 to skip this test)\n{stderr}",
            py.display()
        ),
        _ => panic!("check_tensorboard.py {tag} {n} failed ({}):\n{stderr}", out.status),
    }
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (s, v) = l.split_once('\t').expect("step<TAB>value");
            (s.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

fn reward(it: u64) -> f64 {
    -1.0 + 0.37 * it as f64
}

fn write(run: &Path, steps: std::ops::Range<u64>) {
    let mut log = RunLogger::create(run, 6, false).unwrap();
    for it in steps {
        let sps = if it == 4 { f64::NAN } else { 1000.0 * it as f64 }; // NaN: not for TensorBoard
        log.log_scalars(it, &[("episode/reward_mean", reward(it)), ("perf/agent_steps_per_second", sps)]).unwrap();
    }
    log.finish().unwrap();
}

#[test]
fn tensorboard_reads_a_resumed_run() {
    if std::env::var("DFAAS_SKIP_PYTHON_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: DFAAS_SKIP_PYTHON_TESTS=1 (needs the Python tensorboard package)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), 0..3);
    write(tmp.path(), 3..6); // resume: a second event file in the same folder
    let tb = tmp.path().join("tensorboard");

    let got = tensorboard_scalars(&tb, "episode/reward_mean", 6);
    let want: Vec<(i64, f64)> = (0..6).map(|it| (it as i64, f64::from(reward(it) as f32))).collect();
    assert_eq!(got, want);

    let got = tensorboard_scalars(&tb, "perf/agent_steps_per_second", 5);
    assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 2, 3, 5], "NaN at step 4 skipped");
    assert_eq!(got[4].1, 5000.0);
}
