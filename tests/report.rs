//! `dfaas report` end to end: a training run folder, a compare JSON, and a
//! clear error on malformed input.

use std::path::Path;
use std::process::Command;

fn dfaas(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run dfaas");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[test]
fn report_on_a_training_run_folder() {
    let run = tempfile::tempdir().unwrap();
    let mut csv = String::from("step,wall_time_s,tag,value\n");
    for i in 0..3 {
        for (tag, v) in [("episode/reward_mean", i as f64), ("loss/value", 1.0 / (i + 1) as f64)] {
            csv += &format!("{i},1700000000.5,{tag},{v}\n");
        }
    }
    std::fs::write(run.path().join("scalars.csv"), csv).unwrap();
    let (ok, out, err) = dfaas(&["report", run.path().to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("training run"), "{out}");
    assert!(is_png(&run.path().join("training.png")));
    assert!(std::fs::read_to_string(run.path().join("training.svg")).unwrap().contains("value loss"));
    let md = std::fs::read_to_string(run.path().join("REPORT.md")).unwrap();
    assert!(md.contains("![training](training.png)"), "{md}");
}

#[test]
fn report_on_a_compare_json() {
    let (ok, json, err) = dfaas(&[
        "compare",
        "--scenario",
        "experiments/scenarios/dfaas-cloudnet21.toml",
        "--policies",
        "all-local,slack-proportional",
        "--episodes",
        "2",
        "--json",
    ]);
    assert!(ok, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cmp.json");
    std::fs::write(&file, json).unwrap();
    let out_dir = dir.path().join("figs");
    let (ok, _, err) = dfaas(&["report", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(is_png(&out_dir.join("cmp-shares.png")));
    assert!(std::fs::read_to_string(out_dir.join("cmp-shares.svg")).unwrap().contains("slack-proportional"));
    let md = std::fs::read_to_string(out_dir.join("REPORT.md")).unwrap();
    assert!(md.contains("| all-local |") && md.contains("| slack-proportional |"), "{md}");
}

#[test]
fn report_on_malformed_input_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("odd.json");
    std::fs::write(&file, "[1, 2, 3]").unwrap();
    let (ok, _, err) = dfaas(&["report", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("odd.json") && err.contains("unknown JSON shape"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.path().join("REPORT.md").exists());
}
