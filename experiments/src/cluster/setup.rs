//! Writes one runtime `node.toml` and one `agent.toml` per scenario node.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dfaas_env::Scenario;
use dfaas_env::models::ModelSpec;

/// Name of the synthetic function every node serves.
pub const FUNCTION: &str = "f";

/// Share of the service time `instances / capacity` the synthetic function
/// really sleeps: timers fire late (tokio rounds up to the next millisecond,
/// more on a loaded machine), so a function sleeping exactly `1 / capacity`
/// serves slightly less than `capacity` and a node fed exactly its capacity
/// (as slack-proportional feeds node_1 of CloudNet 2021) queues without end
/// and rejects now and then. 3 % headroom makes the node sustain its capacity.
pub const SERVICE_HEADROOM: f64 = 0.97;

/// How the agents choose their weights.
#[derive(Debug, Clone)]
pub enum Choice {
    Policy(String),
    Model(PathBuf),
}

impl Choice {
    pub fn label(&self) -> String {
        match self {
            Choice::Policy(p) => p.clone(),
            Choice::Model(m) => m.display().to_string(),
        }
    }
}

/// One node's files and addresses.
#[derive(Debug, Clone)]
pub struct NodePlan {
    pub id: String,
    pub capacity_rps: f64,
    pub instances: u32,
    /// Synthetic service time: `instances / capacity × SERVICE_HEADROOM`.
    pub service_s: f64,
    pub gateway: SocketAddr,
    pub control: SocketAddr,
    pub p2p_port: u16,
    pub peer_id: String,
    pub neighbors: Vec<String>,
    pub agent_toml: PathBuf,
}

/// Lowest port of the kernel's ephemeral range (Linux; 32768 elsewhere).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

/// Picks distinct free ports on 127.0.0.1 for the agents to bind later.
/// Ports below the ephemeral range are preferred: an outgoing connection
/// (the load, a poll) can take a free ephemeral port before the agent binds
/// it, never one below the range. Falls back to a kernel-chosen port.
#[derive(Default)]
struct Ports {
    taken: std::collections::HashSet<u16>,
}

impl Ports {
    const LOW: u16 = 10_000;

    fn pick(&mut self) -> Result<u16> {
        let high = ephemeral_low();
        if high > Self::LOW + 1000 {
            for _ in 0..200 {
                let p = Self::LOW + (rand::random::<u16>() % (high - Self::LOW));
                if !self.taken.contains(&p) && TcpListener::bind(("127.0.0.1", p)).is_ok() {
                    self.taken.insert(p);
                    return Ok(p);
                }
            }
        }
        for _ in 0..20 {
            let l = TcpListener::bind("127.0.0.1:0").context("binding a free port on 127.0.0.1")?;
            let p = l.local_addr()?.port();
            if self.taken.insert(p) {
                return Ok(p);
            }
        }
        bail!("no free port on 127.0.0.1")
    }
}

/// Capacities of a `capacity`-model scenario; other models are refused.
pub fn capacities(s: &Scenario, n: usize) -> Result<(Vec<f64>, f64)> {
    match &s.model {
        ModelSpec::Capacity(c) => {
            let caps: Vec<f64> = (0..n).map(|i| c.capacity_rps.get(i)).collect();
            Ok((caps, c.service_time_s.unwrap_or(0.1)))
        }
        other => bail!(
            "dfaas cluster: scenario {} uses the `{}` model; only `capacity`-model scenarios can be run live for now",
            s.path.display(),
            other.kind()
        ),
    }
}

/// Writes every node's files into `dir` and returns the plans (in topology order).
pub fn write_configs(s: &Scenario, dir: &Path, slot_seconds: f64, choice: &Choice, seed: u64) -> Result<Vec<NodePlan>> {
    let topo = s.build_topology()?;
    let n = topo.len();
    let (caps, service) = capacities(s, n)?;
    let psk: [u8; 32] = rand::random();
    let psk_hex: String = psk.iter().map(|b| format!("{b:02x}")).collect();

    let mut plans = Vec::new();
    let mut pubkeys = Vec::new();
    let mut ports = Ports::default();
    for (i, id) in topo.names().iter().enumerate() {
        let key = dfaas_runtime::NodeKey::load_or_generate(dir.join(format!("{id}.key")))
            .with_context(|| format!("generating the node key of {id}"))?;
        pubkeys.push(key.public_b64());
        let ident = dfaas_agent::NodeIdentity::load_or_generate(&dir.join(format!("{id}.p2p.key")))
            .with_context(|| format!("generating the overlay key of {id}"))?;
        let cap = caps[i];
        let instances = ((cap * service).ceil() as u32).max(1);
        let service_s = if cap > 0.0 { f64::from(instances) / cap * SERVICE_HEADROOM } else { service };
        plans.push(NodePlan {
            id: id.clone(),
            capacity_rps: cap,
            instances,
            service_s,
            gateway: SocketAddr::from(([127, 0, 0, 1], ports.pick()?)),
            control: SocketAddr::from(([127, 0, 0, 1], ports.pick()?)),
            p2p_port: ports.pick()?,
            peer_id: ident.peer_id.to_string(),
            neighbors: topo.neighbors(i).iter().map(|&j| topo.names()[j].clone()).collect(),
            agent_toml: dir.join(format!("{id}.agent.toml")),
        });
    }
    let allow: Vec<String> = plans.iter().map(|p| format!("{:?}", p.peer_id)).collect();
    for (i, p) in plans.iter().enumerate() {
        let mut node = format!("node_id = \"{}\"\nlisten = \"{}\"\nkey_file = \"{}.key\"\n", p.id, p.gateway, p.id);
        node.push_str(&format!(
            "\n[[functions]]\nname = \"{FUNCTION}\"\nbackend = {{ kind = \"synthetic\", warm_s = {s}, cold_s = {s}, idle_s = 600.0, max_instances = {c} }}\nadmission = {{ max_concurrency = {c}, queue = {q} }}\n",
            s = p.service_s,
            c = p.instances,
            q = p.instances * 4
        ));
        for &j in topo.neighbors(i) {
            let m = &plans[j];
            node.push_str(&format!(
                "\n[[members]]\nid = \"{}\"\npublic_key = \"{}\"\naddress = \"{}\"\n",
                m.id, pubkeys[j], m.gateway
            ));
        }
        let node_file = dir.join(format!("{}.node.toml", p.id));
        std::fs::write(&node_file, node).with_context(|| format!("writing {}", node_file.display()))?;

        let bootstrap: Vec<String> = plans
            .iter()
            .filter(|o| o.id != p.id)
            .map(|o| format!("\"/ip4/127.0.0.1/tcp/{}/p2p/{}\"", o.p2p_port, o.peer_id))
            .collect();
        let policy_line = match choice {
            Choice::Policy(x) => format!("policy = {x:?}\n"),
            Choice::Model(m) => format!("model = {:?}\n", m.display().to_string()),
        };
        let mut observation_lines = format!("node_index = {i}\n");
        if let Some(p) = s.observation.period_slots {
            observation_lines.push_str(&format!("period_slots = {p}\n"));
        }
        // Agents predict as the scenario's simulated nodes do; where the
        // scenario reveals the slot's input (`input = "true"`), a live node
        // comes closest with the last slot's count.
        let predictor = s.observation.predictor().unwrap_or(dfaas_env::predict::PredictorSpec::LastValue);
        observation_lines.push_str(&format!("predictor = {}\n", predictor.to_toml_inline()));
        let agent = format!(
            "runtime = \"{id}.node.toml\"\nfunction = \"{FUNCTION}\"\ncapacity_rps = {cap:?}\nslot_seconds = {slot_seconds:?}\n{policy_line}{observation_lines}control_listen = \"{ctl}\"\nseed = {agent_seed}\n\n[overlay]\nlisten = \"/ip4/127.0.0.1/tcp/{port}\"\nbootstrap = [{boot}]\nkey_file = \"{id}.p2p.key\"\npsk = \"{psk_hex}\"\nallow = [{allow}]\n",
            id = p.id,
            cap = p.capacity_rps,
            ctl = p.control,
            port = p.p2p_port,
            boot = bootstrap.join(", "),
            allow = allow.join(", "),
            agent_seed = seed & 0x7fff_ffff_ffff_ffff,
        );
        std::fs::write(&p.agent_toml, agent).with_context(|| format!("writing {}", p.agent_toml.display()))?;
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agents of a predicting scenario predict with the scenario's predictor.
    #[test]
    fn agents_get_the_scenarios_predictor() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dfaas-cloudnet21.toml");
        let shipped = std::fs::read_to_string(&root).unwrap();
        // Without the shipped `[observation]` table (the file's last).
        let base = shipped.split("\n[observation]").next().unwrap();
        let text =
            format!("{base}\n[observation]\ninput = \"predicted\"\npredictor = {{ kind = \"ewma\", alpha = 0.25 }}\n");
        let s = Scenario::from_toml_str(&text, &root).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let plans = write_configs(&s, dir.path(), 1.0, &Choice::Policy("slack-proportional".into()), 7).unwrap();
        for (i, p) in plans.iter().enumerate() {
            let cfg = dfaas_agent::AgentConfig::load(&p.agent_toml).unwrap();
            assert_eq!(cfg.predictor, dfaas_env::predict::PredictorSpec::Ewma { alpha: 0.25 });
            assert_eq!(cfg.node_index, Some(i), "the scenario's topology index");
        }
        // A scenario that reveals the input: the agents use the last value.
        let s = Scenario::from_toml_str(base, &root).unwrap();
        let plans = write_configs(&s, dir.path(), 1.0, &Choice::Policy("slack-proportional".into()), 7).unwrap();
        let cfg = dfaas_agent::AgentConfig::load(&plans[0].agent_toml).unwrap();
        assert_eq!(cfg.predictor, dfaas_env::predict::PredictorSpec::LastValue);
    }

    #[test]
    fn ports_are_distinct_bindable_and_below_the_ephemeral_range() {
        let mut ports = Ports::default();
        let picked: Vec<u16> = (0..30).map(|_| ports.pick().unwrap()).collect();
        let distinct: std::collections::HashSet<_> = picked.iter().collect();
        assert_eq!(distinct.len(), picked.len());
        let high = ephemeral_low();
        for p in picked {
            if high > Ports::LOW + 1000 {
                assert!((Ports::LOW..high).contains(&p), "{p}");
            }
        }
    }
}
