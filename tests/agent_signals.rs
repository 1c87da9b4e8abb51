//! `dfaas agent` drains the requests in flight on SIGTERM as on SIGINT: each
//! gets its function's answer, then the process exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.1 request on a fresh connection: the status code, or why not.
fn get(port: u16, path: &str) -> Result<u16, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut text = String::new();
    s.read_to_string(&mut text).map_err(|e| e.to_string())?;
    text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("no status in {text:?}"))
}

fn drains_on(sig: &str) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        format!(
            "node_id = \"n1\"\nlisten = \"127.0.0.1:{port}\"\nkey_file = \"n1.key\"\n\n[[functions]]\nname = \"slow\"\n\
             backend = {{ kind = \"synthetic\", warm_s = 1.5, cold_s = 1.5, idle_s = 60.0, max_instances = 4 }}\n\
             admission = {{ max_concurrency = 4, queue = 4 }}\n"
        ),
    )
    .unwrap();
    let mut agent = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["agent", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dfaas agent starts");
    let t0 = Instant::now();
    while get(port, "/healthz") != Ok(200) {
        assert!(t0.elapsed() < Duration::from_secs(20), "the gateway did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let calls: Vec<_> = (0..3).map(|_| std::thread::spawn(move || get(port, "/function/slow"))).collect();
    std::thread::sleep(Duration::from_millis(400)); // all three running (1.5 s each)
    let st = Command::new("kill").args([sig, &agent.id().to_string()]).status().unwrap();
    assert!(st.success());
    let answers: Vec<_> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(answers, vec![Ok(200); 3], "{sig}: every request in flight answered by its function");
    let t1 = Instant::now();
    let status = loop {
        if let Some(s) = agent.try_wait().unwrap() {
            break s;
        }
        assert!(t1.elapsed() < Duration::from_secs(10), "{sig}: the agent did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    agent.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "{sig}: {status}: {err}");
    assert!(err.contains("shutting down"), "{err}");
}

#[test]
fn sigterm_drains_in_flight_requests() {
    drains_on("-TERM");
}

#[test]
fn sigint_drains_in_flight_requests() {
    drains_on("-INT");
}
