//! The `process` backend over HTTP: figlet (the reference function), stdin →
//! stdout, non-zero exit → 502, timeout → 502 with the process killed.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dfaas_runtime::backends::process::find_executable;
use hyper::{Method, StatusCode};

fn process_fn(name: &str, command: &str, args: &str, timeout_s: f64) -> String {
    format!(
        "\n[[functions]]\nname = \"{name}\"\nbackend = {{ kind = \"process\", command = \"{command}\", args = {args}, timeout_s = {timeout_s} }}\nadmission = {{ max_concurrency = 4, queue = 8 }}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figlet_runs_as_a_process_function() {
    assert!(
        find_executable("figlet"),
        "FAILING: `figlet` is not installed; run scripts/setup.sh (it installs the Debian package figlet), then rerun the tests"
    );
    let cl =
        Cluster::start(vec![Plan { id: "a".into(), body: process_fn("figlet", "figlet", "[]", 5.0), peers: vec![] }])
            .await;
    let c = client();
    let r = call(&c, cl.addrs[0], Method::POST, "/function/figlet", "DFaaS", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("x-dfaas-served-by"), Some("a"));
    let art = r.text();
    assert!(art.lines().count() >= 4 && art.contains('|'), "not figlet output:\n{art}");
    let want = std::process::Command::new("figlet").arg("DFaaS").output().unwrap().stdout;
    assert_eq!(art.as_bytes(), &want[..]);
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_to_stdout_failures_and_timeouts() {
    let body = [
        process_fn("cat", "cat", "[]", 2.0),
        process_fn("fail", "sh", "[\"-c\", \"echo oops >&2; exit 3\"]", 2.0),
        process_fn("slow", "sleep", "[\"7.4321\"]", 0.3),
        process_fn("missing", "/nonexistent/dfaas-fn", "[]", 1.0),
    ]
    .concat();
    let cl = Cluster::start(vec![Plan { id: "a".into(), body, peers: vec![] }]).await;
    let c = client();
    let a = cl.addrs[0];

    let r = call(&c, a, Method::POST, "/function/cat?x=1", "hello\n", &[]).await.unwrap();
    assert_eq!((r.status, r.text().as_str()), (StatusCode::OK, "hello\n"));

    let r = call(&c, a, Method::POST, "/function/fail", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    // The caller learns the exit status, not what the function printed on stderr.
    assert!(r.text().contains("exit status: 3") && !r.text().contains("oops"), "{}", r.text());
    assert!(r.header("x-dfaas-reject-reason").is_none());

    let t = Instant::now();
    let r = call(&c, a, Method::POST, "/function/slow", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(r.text().contains("timed out"), "{}", r.text());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!process_running("7.4321"), "the timed-out process was not killed");

    let r = call(&c, a, Method::POST, "/function/missing", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);

    let totals = cl.node(0).totals("slow").unwrap();
    assert_eq!(totals.get(dfaas_runtime::counters::Count::FunctionTimeouts), 1);
    let m = get(&c, a, "/metrics").await.text();
    assert!(m.contains("dfaas_runs_total{node=\"a\",function=\"fail\",result=\"failed\"} 1"), "{m}");
    cl.shutdown().await;
}

fn process_running(arg: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else { return false };
    dir.flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .map(|c| c.split(|b| *b == 0).any(|part| part == arg.as_bytes()))
            .unwrap_or(false)
    })
}
