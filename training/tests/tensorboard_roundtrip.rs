//! RunLogger writes; the pure-Rust reader and the CSV give back the same tags, steps and values.

use std::fs;
use std::path::Path;

use dfaas_training::logging::{RunLogger, read_scalars};

/// Scalars of iteration `it`, with the trainer's tags.
fn iteration_scalars(it: u64) -> Vec<(&'static str, f64)> {
    let x = it as f64;
    vec![
        ("episode/reward/node_0", 10.0 + x),
        ("episode/reward/node_1", -2.5 * x),
        ("episode/reward_mean", 3.75 - 0.125 * x),
        ("episode/processed_ratio", 0.5 + x / 100.0),
        ("loss/policy", 0.1 / (x + 1.0)),
        ("loss/value", 0.0),
        ("policy/entropy", 1.386),
        ("policy/kl", 1e-3 * x),
        ("policy/clip_fraction", 0.2),
        ("train/learning_rate", 3e-4),
        ("train/entropy_coef", 0.01),
        ("perf/agent_steps_per_second", 12_345.6 * x),
    ]
}

fn write_run(dir: &Path, steps: std::ops::Range<u64>) {
    let mut log = RunLogger::create(dir, 10, false).unwrap();
    for it in steps {
        log.log_scalars(it, &iteration_scalars(it)).unwrap();
        log.set_progress(it + 1, "msg");
    }
    log.finish().unwrap();
}

fn expected(steps: std::ops::Range<u64>) -> Vec<(String, i64, f32)> {
    steps
        .flat_map(|it| iteration_scalars(it).into_iter().map(move |(t, v)| (t.to_string(), it as i64, v as f32)))
        .collect()
}

/// (step, tag, value) rows of scalars.csv, after checking the header and the wall time.
fn csv_rows(run: &Path) -> Vec<(u64, String, String)> {
    let text = fs::read_to_string(run.join("scalars.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("step,wall_time_s,tag,value"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            let wall: f64 = f[1].parse().unwrap();
            assert!(wall > 1.6e9, "wall_time_s is Unix seconds: {wall}");
            (f[0].parse().unwrap(), f[2].to_string(), f[3].to_string())
        })
        .collect()
}

#[test]
fn read_back_same_tags_steps_values() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(&run, 0..5);
    let files: Vec<_> = fs::read_dir(run.join("tensorboard")).unwrap().collect();
    assert_eq!(files.len(), 1, "one event file");
    assert_eq!(read_scalars(&run.join("tensorboard")).unwrap(), expected(0..5));

    let rows = csv_rows(&run);
    assert_eq!(rows.len(), 5 * 12);
    for (row, (tag, step, _)) in rows.iter().zip(expected(0..5)) {
        assert_eq!((row.0 as i64, &row.1), (step, &tag));
    }
    // Full f64 precision in the CSV.
    assert!(rows.iter().any(|r| r.1 == "train/learning_rate" && r.2 == "0.0003"));
    assert!(rows.iter().any(|r| r.1 == "perf/agent_steps_per_second" && r.2 == "49382.4"));
}

#[test]
fn resume_appends_csv_and_adds_an_event_file() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path();
    write_run(run, 0..3);
    // Same process, same second: the second event file must not overwrite the first.
    write_run(run, 3..6);
    assert_eq!(fs::read_dir(run.join("tensorboard")).unwrap().count(), 2, "two event files");
    assert_eq!(read_scalars(&run.join("tensorboard")).unwrap(), expected(0..6));
    let rows = csv_rows(run);
    assert_eq!(rows.len(), 6 * 12, "header written once, all rows kept");
    assert_eq!(rows.iter().map(|r| r.0).max(), Some(5));
}

#[test]
fn resume_after_a_torn_csv_row_starts_on_a_new_line() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("scalars.csv"), "step,wall_time_s,tag,value\n0,1700000000.000,loss/va").unwrap();
    let mut log = RunLogger::create(tmp.path(), 1, false).unwrap();
    log.log_scalars(1, &[("loss/value", 2.0)]).unwrap();
    drop(log); // without finish: the CSV row is already flushed
    let text = fs::read_to_string(tmp.path().join("scalars.csv")).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("1,") && last.ends_with(",loss/value,2.0"), "{text}");
}

#[test]
fn foreign_csv_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("scalars.csv"), "a,b\n1,2\n").unwrap();
    let err = RunLogger::create(tmp.path(), 1, false).err().expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

#[test]
fn unwritable_run_dir_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a_file");
    fs::write(&file, "x").unwrap();
    assert!(RunLogger::create(&file.join("run"), 1, false).is_err());
}

#[test]
fn non_finite_values_go_to_csv_only() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = RunLogger::create(tmp.path(), 1, false).unwrap();
    let scalars =
        [("a", f64::NAN), ("b", f64::INFINITY), ("c", f64::NEG_INFINITY), ("d", 1e300), ("e", -0.5), ("f", 0.0)];
    log.log_scalars(0, &scalars).unwrap();
    log.finish().unwrap();
    let tb = read_scalars(&tmp.path().join("tensorboard")).unwrap();
    assert_eq!(tb, vec![("e".to_string(), 0, -0.5), ("f".to_string(), 0, 0.0)]);
    let values: Vec<String> = csv_rows(tmp.path()).into_iter().map(|r| r.2).collect();
    assert_eq!(values, ["NaN", "inf", "-inf", "1e300", "-0.5", "0.0"]);
}

#[test]
fn tags_with_commas_and_quotes_are_quoted_in_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = RunLogger::create(tmp.path(), 1, false).unwrap();
    log.log_scalars(2, &[("episode/reward/\"n,1\"", 1.0)]).unwrap();
    log.finish().unwrap();
    let text = fs::read_to_string(tmp.path().join("scalars.csv")).unwrap();
    assert!(text.lines().last().unwrap().ends_with(",\"episode/reward/\"\"n,1\"\"\",1.0"), "{text}");
    assert_eq!(read_scalars(&tmp.path().join("tensorboard")).unwrap()[0].0, "episode/reward/\"n,1\"");
}
