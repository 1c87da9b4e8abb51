//! `dfaas cluster` stops every agent it started on SIGINT, on SIGTERM and
//! when it is killed outright (the agents die with their parent).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CLOUDNET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/dfaas-cloudnet21.toml");

/// Pids of the `dfaas agent` processes whose command line names `dir`.
fn agents_in(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(" agent --config ") && cmd.contains(&needle) {
                found.push(pid);
            }
        }
    }
    found
}

fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

/// Starts a long `dfaas cluster` run and waits until its 3 agents run.
fn start_cluster(dir: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["cluster", "--scenario", CLOUDNET, "--slots", "60", "--slot-seconds", "1", "--out"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dfaas cluster starts");
    let up = wait_until(Duration::from_secs(30), || agents_in(dir).len() == 3);
    if !up {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!("3 agents did not start: {:?}; dfaas cluster: {}", agents_in(dir), String::from_utf8_lossy(&out.stderr));
    }
    // Let it reach the load phase (the federation forms within a few seconds).
    std::thread::sleep(Duration::from_secs(3));
    assert!(child.try_wait().unwrap().is_none(), "dfaas cluster ended early");
    child
}

fn signal(pid: u32, sig: &str) {
    let st = Command::new("kill").args([sig, &pid.to_string()]).status().expect("kill runs");
    assert!(st.success(), "kill {sig} {pid}");
}

fn stops_on(sig: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    let mut cluster = start_cluster(&dir);
    signal(cluster.id(), sig);
    let t0 = Instant::now();
    let gone = wait_until(Duration::from_secs(5), || agents_in(&dir).is_empty());
    let exited = wait_until(Duration::from_secs(5), || cluster.try_wait().unwrap().is_some());
    if !exited {
        let _ = cluster.kill();
    }
    let out = cluster.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(gone, "agents still running {:?} after {sig}: {:?}", t0.elapsed(), agents_in(&dir));
    assert!(exited, "dfaas cluster did not exit on {sig}");
    assert_eq!(out.status.code(), Some(code), "exit status on {sig}: {stderr}");
    assert!(stderr.contains("interrupted; stopped 3 agent(s)"), "{stderr}");
}

#[test]
fn sigint_stops_every_agent() {
    stops_on("-INT", 130);
}

#[test]
fn sigterm_stops_every_agent() {
    stops_on("-TERM", 143);
}

#[test]
fn agents_die_with_a_killed_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    let mut cluster = start_cluster(&dir);
    cluster.kill().unwrap(); // SIGKILL: no handler runs
    cluster.wait().unwrap();
    let gone = wait_until(Duration::from_secs(5), || agents_in(&dir).is_empty());
    assert!(gone, "agents outlived their parent: {:?}", agents_in(&dir));
}
