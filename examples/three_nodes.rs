//! Three live nodes in one process, on 127.0.0.1 (mDNS off): each runs the
//! HTTP gateway with a synthetic function (capacities 10, 20 and 30 req/s),
//! the libp2p overlay gossiping its state, the slot loop and the control API.
//! Load goes to n1 only, first with the `slack-proportional` heuristic, then
//! with the learned `models/dfaas-cloudnet21.dfpolicy`, switched at run time
//! through each agent's control API (`PUT /policy`). Every request gets an
//! answer; the table shows where n1's requests were served.
//!
//! ```sh
//! cargo run --release --example three_nodes
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use dfaas_agent::control::api::PolicyBody;
use dfaas_agent::{AgentConfig, AgentHandle, PredictorSpec, run_agent_on};
use dfaas_runtime::counters::{Count, CountsSnapshot, PeerCount};
use dfaas_runtime::{NodeConfig, NodeKey};
use http_body_util::Full;
use hyper::{Method, Request};
use tokio::net::TcpListener;

const IDS: [&str; 3] = ["n1", "n2", "n3"];
/// Instances of 0.1 s each: capacities 10, 20, 30 req/s.
const INSTANCES: [u32; 3] = [1, 2, 3];

/// Starts the three agents, everyone a member of everyone.
async fn start(dir: &Path, models: &Path) -> Result<Vec<AgentHandle>> {
    let mut listeners = Vec::new();
    let mut keys = Vec::new();
    for id in IDS {
        listeners.push(TcpListener::bind("127.0.0.1:0").await?);
        keys.push(NodeKey::load_or_generate(dir.join(format!("{id}.key")))?);
    }
    let addrs: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr()).collect::<Result<_, _>>()?;
    let mut agents: Vec<AgentHandle> = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let (id, n) = (IDS[i], INSTANCES[i]);
        let mut text = format!("node_id = \"{id}\"\nlisten = \"{}\"\nkey_file = \"{id}.key\"\n", addrs[i]);
        text += &format!(
            "[[functions]]\nname = \"f\"\nbackend = {{ kind = \"synthetic\", warm_s = 0.1, cold_s = 0.1, idle_s = 60.0, max_instances = {n} }}\nadmission = {{ max_concurrency = {n}, queue = {} }}\n",
            4 * n
        );
        for j in (0..IDS.len()).filter(|&j| j != i) {
            text += &format!(
                "[[members]]\nid = \"{}\"\npublic_key = \"{}\"\naddress = \"{}\"\n",
                IDS[j],
                keys[j].public_b64(),
                addrs[j]
            );
        }
        let runtime = NodeConfig::from_toml_str(&text, dir.join(format!("{id}.toml")))?;
        let mut cfg = AgentConfig::new(runtime, "f", 10.0 * f64::from(n));
        cfg.overlay.bootstrap = agents.iter().flat_map(|a| a.overlay().dial_addrs()).collect();
        cfg.predictor = PredictorSpec::LastValue;
        cfg.models_dir = Some(models.to_path_buf());
        agents.push(run_agent_on(cfg, listener).await.with_context(|| format!("starting {id}"))?);
    }
    Ok(agents)
}

/// Waits until every agent sees both neighbours available.
async fn formed(agents: &[AgentHandle], within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let mut ok = true;
        for a in agents {
            ok &= a.control_client(Duration::from_secs(2)).neighbors().await?.iter().all(|n| n.available);
        }
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the federation did not form in {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What one phase of load did at n1.
#[derive(Debug)]
struct Phase {
    sent: usize,
    ok: usize,
    /// Answered 503 (rejected with a reason).
    rejected: usize,
    /// Any other answer (504 `peer-timeout` for a forward that came back too late).
    other: usize,
    served_locally: u64,
    forwarded_to: [u64; 2],
}

/// Sends `rps` requests per second to n1 for `seconds`, on schedule.
async fn load(agents: &[AgentHandle], rps: u32, seconds: u32) -> Result<Phase> {
    let client = dfaas_runtime::client::build(Duration::from_secs(5));
    let url = format!("http://{}/function/f", agents[0].runtime_addr());
    let before: CountsSnapshot = agents[0].gateway().totals("f").context("n1 runs f")?;
    let mut timer = tokio::time::interval(Duration::from_secs(1) / rps);
    let mut sent = Vec::new();
    for _ in 0..rps * seconds {
        timer.tick().await;
        let (client, url) = (client.clone(), url.clone());
        sent.push(tokio::spawn(async move {
            let req = Request::builder().method(Method::POST).uri(url).body(Full::new(Bytes::new()))?;
            anyhow::Ok(client.request(req).await?.status().as_u16())
        }));
    }
    let mut phase = Phase { sent: sent.len(), ok: 0, rejected: 0, other: 0, served_locally: 0, forwarded_to: [0; 2] };
    for s in sent {
        match s.await?? {
            200 => phase.ok += 1,
            503 => phase.rejected += 1,
            _ => phase.other += 1,
        }
    }
    let after = agents[0].gateway().totals("f").context("n1 runs f")?;
    phase.served_locally = after.get(Count::Local) - before.get(Count::Local);
    for (p, f) in phase.forwarded_to.iter_mut().enumerate() {
        *f = after.peer(p, PeerCount::Forwarded) - before.peer(p, PeerCount::Forwarded);
    }
    Ok(phase)
}

/// The whole walk-through: (heuristic phase, learned phase).
async fn run(seconds: u32) -> Result<(Phase, Phase)> {
    let dir = tempfile::tempdir()?;
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let agents = start(dir.path(), &models).await?;
    formed(&agents, Duration::from_secs(20)).await?;
    let heuristic = load(&agents, 40, seconds).await?;
    let model = PolicyBody { policy: None, model: Some(models.join("dfaas-cloudnet21.dfpolicy")) };
    for a in &agents {
        a.control_client(Duration::from_secs(5)).set_policy(&model).await?;
    }
    let learned = load(&agents, 40, seconds).await?;
    for a in agents {
        a.shutdown().await;
    }
    Ok((heuristic, learned))
}

#[tokio::main]
async fn main() -> Result<()> {
    let (heuristic, learned) = run(5).await?;
    println!("40 req/s into n1 (capacity 10) for 5 s, neighbours n2 (20) and n3 (30)");
    println!(
        "{:<20} {:>5} {:>5} {:>9} {:>6} {:>9} {:>9} {:>9}",
        "policy", "sent", "ok", "rejected", "other", "at n1", "to n2", "to n3"
    );
    for (name, p) in [("slack-proportional", heuristic), ("dfaas-cloudnet21", learned)] {
        println!(
            "{name:<20} {:>5} {:>5} {:>9} {:>6} {:>9} {:>9} {:>9}",
            p.sent, p.ok, p.rejected, p.other, p.served_locally, p.forwarded_to[0], p.forwarded_to[1]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn both_policies_answer_every_request_and_forward_the_excess() {
        let (heuristic, learned) = super::run(3).await.unwrap();
        for p in [&heuristic, &learned] {
            assert_eq!(p.ok + p.rejected + p.other, p.sent, "every request answered: {p:?}");
            assert!(p.other <= p.sent / 20, "{p:?}");
            // Four times its capacity: after the first slot n1 forwards.
            assert!(p.forwarded_to.iter().sum::<u64>() > 20, "{p:?}");
            assert!(p.ok > p.sent / 2, "{p:?}");
        }
    }
}
