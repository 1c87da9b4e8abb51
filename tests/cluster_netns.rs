//! `dfaas cluster --netns`: every agent in its own network namespace (links
//! shaped by tc netem where the kernel has it, else in user space), the CloudNet
//! 2021 experiment across them, and nothing left behind. Without root the
//! command refuses with what it needs.

use std::process::Command;

const CLOUDNET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/dfaas-cloudnet21.toml");

fn cluster(extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["cluster", "--scenario", CLOUDNET, "--slots", "5", "--json", "--netns"])
        .args(extra)
        .output()
        .expect("dfaas cluster runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One `--netns` run at a time (the subnet is fixed): the tests take turns.
static NETNS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Namespaces and bridges of dfaas clusters still present.
fn leftovers() -> String {
    let ns = Command::new("ip").args(["netns", "list"]).output().map(|o| o.stdout).unwrap_or_default();
    let links = Command::new("ip").args(["-o", "link", "show"]).output().map(|o| o.stdout).unwrap_or_default();
    let text = format!("{}{}", String::from_utf8_lossy(&ns), String::from_utf8_lossy(&links));
    text.lines()
        .filter(|l| l.contains("dfaas-") || l.contains(": dfb") || l.contains(": dfv") || l.contains(": dft"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn cloudnet21_runs_across_network_namespaces_and_cleans_up() {
    let _turn = NETNS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !is_root() {
        let (ok, _, err) = cluster(&[]);
        assert!(!ok && err.contains("needs root") && err.contains("CAP_NET_ADMIN"), "{err}");
        eprintln!("not root: --netns refused as it should; the namespace run is skipped");
        return;
    }
    // Shaped by netem, or by the user-space shaper where the kernel has none;
    // a machine with neither says so and points at --no-shaping.
    let (mut ok, mut out, mut err) = cluster(&[]);
    if !ok && err.contains("--no-shaping") {
        eprintln!("no link shaping on this machine: {err}");
        (ok, out, err) = cluster(&["--no-shaping"]);
    }
    assert!(ok, "dfaas cluster --netns failed: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let n1 = v["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "node_1").expect("node_1").clone();
    let slots = n1["load"]["slots"].as_array().expect("node_1 has load");
    assert_eq!(slots.len(), 5);
    // After the first slot node_1 keeps 10 req/s and forwards 16 and 24
    // to node_2 and node_3 across the bridge (±3 for slot-edge jitter).
    let served = |s: &serde_json::Value, node: &str| s["by_served_by"][node].as_u64().unwrap_or(0) as i64;
    for s in &slots[2..] {
        assert!((served(s, "node_2") - 16).abs() <= 3 && (served(s, "node_3") - 24).abs() <= 3, "{s}");
    }
    assert_eq!(leftovers(), "", "namespaces or links left behind");
}

/// The links are shaped: from one namespace to another a TCP handshake
/// pays each side's 20 ms egress delay (one round trip ≈ 40 ms), from the
/// root namespace (unshaped, where the load generator stays) only the
/// node's (≈ 20 ms) — with netem where the kernel has it, else the
/// user-space TUN shaper.
#[test]
fn netns_links_delay_what_each_node_sends() {
    let _turn = NETNS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !is_root() {
        eprintln!("not root: skipped");
        return;
    }
    use dfaas_live::cluster::netns::{NetNs, Shaping};
    let ns = match NetNs::create(2, Some(Shaping { delay_s: 0.02, mbps: 100.0 })) {
        Ok(ns) => ns,
        Err(e) if e.to_string().contains("--no-shaping") => {
            eprintln!("skipped: no way to shape links here: {e:#}");
            return;
        }
        Err(e) => panic!("namespaces: {e:#}"),
    };
    eprintln!("shaper: {}", ns.shaper());
    let mut server = Command::new("ip")
        .args(["netns", "exec", ns.name(1), "python3", "-m", "http.server", "--bind", "0.0.0.0", "18080"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("a server in namespace 1");
    let url = format!("http://{}:18080/", ns.ip(1));
    let connect = |netns: Option<&str>| -> Option<f64> {
        let mut c = match netns {
            Some(n) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", n, "curl"]);
                c
            }
            None => Command::new("curl"),
        };
        let out = c.args(["-s", "-o", "/dev/null", "-m", "5", "-w", "%{time_connect}", &url]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok().filter(|&t: &f64| t > 0.0)
    };
    let mut from_peer = None;
    for _ in 0..50 {
        from_peer = connect(Some(ns.name(0)));
        if from_peer.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let from_root = connect(None);
    let _ = server.kill();
    let _ = server.wait();
    let (peer, root) = (from_peer.expect("namespace 0 reaches namespace 1"), from_root.expect("root reaches it"));
    eprintln!("TCP connect: namespace → namespace {:.1} ms, root → namespace {:.1} ms", peer * 1e3, root * 1e3);
    assert!((0.039..0.2).contains(&peer), "namespace → namespace {peer} s, want ≈ 0.040");
    assert!((0.019..0.1).contains(&root) && root < peer, "root → namespace {root} s, want ≈ 0.020");
    drop(ns);
    assert_eq!(leftovers(), "", "namespaces or links left behind");
}
