//! Members named by DNS, as a Kubernetes deployment names them: every
//! member's gateway is `localhost:PORT` and every bootstrap peer
//! `/dns4/localhost/tcp/PORT/p2p/…` (127.0.0.1 through `/etc/hosts`), and
//! the federation still forms, gossips and forwards on real `dfaas agent`
//! processes. Nothing in the agent needs an IP literal for a peer.

mod common;

use std::time::Duration;

use common::*;
use dfaas_live::cluster::FUNCTION;
use dfaas_loadgen::{LoadSpec, run_records};

/// Replaces `from` by `to` in `path`, and says how many it replaced.
fn rewrite(path: &std::path::Path, from: &str, to: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let n = text.matches(from).count();
    // Writing an existing file keeps its mode (0600 for the agent file).
    std::fs::write(path, text.replace(from, to)).unwrap();
    n
}

#[test]
fn members_and_bootstrap_peers_named_by_dns_form_and_forward() {
    let mut fed = Federation::configure(1.0, "slack-proportional");
    let dir = fed.path();
    for p in fed.plans.clone() {
        let node = dir.join(format!("{}.node.toml", p.id));
        assert_eq!(rewrite(&node, "address = \"127.0.0.1:", "address = \"localhost:"), 2, "{} members", p.id);
        // Only the bootstrap peers: each agent still listens on 127.0.0.1.
        let text = std::fs::read_to_string(&p.agent_toml).unwrap();
        let (head, tail) = text.split_once("bootstrap = [").unwrap();
        let (boot, rest) = tail.split_once(']').unwrap();
        assert_eq!(boot.matches("/ip4/127.0.0.1/").count(), 2);
        let boot = boot.replace("/ip4/127.0.0.1/", "/dns4/localhost/");
        std::fs::write(&p.agent_toml, format!("{head}bootstrap = [{boot}]{rest}")).unwrap();
        let cfg = dfaas_agent::AgentConfig::load(&p.agent_toml).unwrap();
        assert!(cfg.overlay.bootstrap.iter().all(|a| a.to_string().starts_with("/dns4/localhost/tcp/")));
        assert!(cfg.runtime.members.iter().all(|m| m.address.to_string().starts_with("localhost:")));
    }
    for n in ["node_1", "node_2", "node_3"] {
        fed.spawn(n);
    }
    fed.wait_ready(&["node_1", "node_2", "node_3"], 2, Duration::from_secs(30));

    // 40 req/s into node_1 (capacity 10) for 6 s: it forwards to both peers,
    // which it reaches only through their names.
    let n1 = fed.plan("node_1").clone();
    let mut spec =
        LoadSpec::constant(format!("http://{}/function/{FUNCTION}", n1.gateway), 40.0, Duration::from_secs(6));
    spec.timeout = Duration::from_secs(5);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let out = rt.block_on(run_records(spec)).expect("load runs");
    assert!(out.records.len() >= 220, "only {} requests sent", out.records.len());
    let unanswered = out.records.iter().filter(|r| !r.outcome.is_success() && r.reject_reason.is_none()).count();
    assert_eq!(unanswered, 0, "requests without a proper answer");
    for peer in ["node_2", "node_3"] {
        let served = out.records.iter().filter(|r| r.served_by.as_deref() == Some(peer)).count();
        let forwarded = metric(
            n1.gateway,
            &format!("dfaas_forwarded_total{{node=\"node_1\",function=\"{FUNCTION}\",peer=\"{peer}\"}}"),
        )
        .unwrap_or(0.0);
        eprintln!("node_1 → {peer}: {forwarded} forwarded, {served} served there");
        assert!(served > 0 && forwarded > 0.0, "nothing forwarded to {peer} by name:\n{}", log_tail(&dir, "node_1"));
    }
    assert!(fed.children.exited().is_none(), "an agent exited by itself");
}
