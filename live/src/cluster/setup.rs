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
    /// The name reports give it: the heuristic's spec, or `learned:<file
    /// stem>` as `compare` names a model (never the machine's path).
    pub fn label(&self) -> String {
        match self {
            Choice::Policy(p) => p.clone(),
            Choice::Model(m) => {
                format!(
                    "learned:{}",
                    m.file_stem().map_or_else(|| m.display().to_string(), |s| s.to_string_lossy().into_owned())
                )
            }
        }
    }
}

/// One node's files and addresses.
#[derive(Debug, Clone)]
pub struct NodePlan {
    pub id: String,
    pub capacity_rps: f64,
    pub instances: u32,
    /// Synthetic service time: `instances / capacity × SERVICE_HEADROOM`
    /// (capacity model), the warm service time (serverless model).
    pub service_s: f64,
    /// The function as the synthetic backend runs it.
    pub function: FunctionPlan,
    pub gateway: SocketAddr,
    pub control: SocketAddr,
    pub p2p_port: u16,
    pub peer_id: String,
    pub neighbors: Vec<String>,
    pub agent_toml: PathBuf,
    /// The node's control token file (written by the agent on its first start).
    pub control_token: PathBuf,
    /// Several functions sharing the node's budget (`budget` model): then
    /// `function` only sums their instances, and the agent manages them all.
    pub multi: Option<MultiPlan>,
}

/// A node hosting several functions that share its budget of units.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiPlan {
    pub budget_units: u32,
    pub functions: Vec<HostedFunction>,
    /// Calls of its cheapest function the budget serves in one slot (its
    /// functions' admission lets that many per slot of queue through).
    pub slot_calls: u32,
    /// Slot length, seconds, and the scenario's `queue_slots`: the runtime's
    /// budget queue holds that many slots of the whole budget's work.
    pub slot_seconds: f64,
    pub queue_slots: f64,
}

/// One function of a [`MultiPlan`], as the synthetic backend runs it and
/// the agent manages it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostedFunction {
    pub name: String,
    /// Units a call holds, for how long (seconds).
    pub cost_units: u32,
    pub service_time_s: f64,
    pub share: Option<f64>,
    pub max_concurrency: Option<u32>,
    /// A serverless function's cold start (then a call that finds no idle
    /// instance takes its cold time, and idle instances are reclaimed).
    pub cold: Option<dfaas_env::functions::ColdStart>,
    /// Most calls running at once: what the budget allows (and its own limit).
    pub instances: u32,
    /// Its agent (node-function pair) index in the federation.
    pub agent_index: usize,
    /// The neighbouring nodes that host it.
    pub peers: Vec<String>,
}

/// One agent of a live federation: a node's function (node-function pairs
/// where nodes host several), in the simulator's agent order.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveAgent {
    /// Its node (plan index).
    pub node: usize,
    /// The function its users call.
    pub function: String,
    /// Its name in the simulator (`node` or `node/function`).
    pub name: String,
}

/// The live agents of `s`: one per node with the synthetic function
/// [`FUNCTION`], or one per node and hosted function.
pub fn live_agents(s: &Scenario) -> Result<Vec<LiveAgent>> {
    Ok(match s.build_layout()? {
        Some(l) => (0..l.agents().len())
            .map(|a| LiveAgent {
                node: l.node_of(a),
                function: l.functions()[l.function_of(a)].name.clone(),
                name: l.agents().names()[a].clone(),
            })
            .collect(),
        None => (s.build_node_topology()?.names().iter().enumerate())
            .map(|(i, n)| LiveAgent { node: i, function: FUNCTION.to_string(), name: n.clone() })
            .collect(),
    })
}

/// Where agent `a`'s live requests fall within each slot: evenly spaced,
/// or, where the scenario's `episode.arrivals` is `poisson`, at random
/// times drawn from the workload episode `seed` and the agent.
pub fn arrival_spacing(arrivals: dfaas_env::scenario::Arrivals, seed: u64, a: usize) -> dfaas_loadgen::Spacing {
    match arrivals {
        dfaas_env::scenario::Arrivals::Even => dfaas_loadgen::Spacing::Even,
        dfaas_env::scenario::Arrivals::Poisson => {
            dfaas_loadgen::Spacing::Random(dfaas_env::seeds::splitmix(seed ^ dfaas_env::seeds::splitmix(a as u64 + 1)))
        }
    }
}

/// Every node's functions for a scenario with `[[functions]]` (`None`
/// without), in node order.
pub fn multi_plans(s: &Scenario) -> Result<Option<Vec<MultiPlan>>> {
    let Some(layout) = s.build_layout()? else { return Ok(None) };
    let ModelSpec::Budget(b) = &s.model else { bail!("scenario {}: [[functions]] need the budget model", s.name) };
    let nodes = layout.nodes();
    Ok(Some(
        (0..nodes.len())
            .map(|i| {
                let units = b.units(i);
                let functions = layout
                    .agents_at(i)
                    .iter()
                    .map(|&a| {
                        let f = &layout.functions()[layout.function_of(a)];
                        let by_budget = (units / f.cost_units).max(1);
                        HostedFunction {
                            name: f.name.clone(),
                            cost_units: f.cost_units,
                            service_time_s: f.service_time_s,
                            share: f.share,
                            max_concurrency: f.max_concurrency,
                            cold: f.cold_start(),
                            instances: f.max_concurrency.map_or(by_budget, |c| c.min(by_budget)),
                            agent_index: a,
                            peers: layout
                                .agents()
                                .neighbors(a)
                                .iter()
                                .map(|&j| nodes.names()[layout.node_of(j)].clone())
                                .collect(),
                        }
                    })
                    .collect();
                let cheapest = layout
                    .agents_at(i)
                    .iter()
                    .map(|&a| layout.functions()[layout.function_of(a)].unit_seconds())
                    .fold(f64::INFINITY, f64::min);
                let slot_calls = (f64::from(units) * s.episode.slot_seconds / cheapest).floor().clamp(1.0, 1e6) as u32;
                MultiPlan {
                    budget_units: units,
                    functions,
                    slot_calls,
                    slot_seconds: s.episode.slot_seconds,
                    queue_slots: b.queue_slots,
                }
            })
            .collect(),
    ))
}

impl NodePlan {
    /// A client of this node's control API with its token. Before the agent
    /// has written its token file the client has none, and its calls answer 401.
    pub fn control_client(
        &self,
        http: &dfaas_runtime::client::HttpClient,
        timeout: std::time::Duration,
    ) -> dfaas_agent::ControlClient {
        let c = dfaas_agent::ControlClient::with_http(http.clone(), self.control, timeout);
        c.clone().with_token_file(&self.control_token).unwrap_or(c)
    }

    /// [`NodePlan::control_client`] asking about `function` where the node
    /// manages several (`?function=`).
    pub fn function_client(
        &self,
        http: &dfaas_runtime::client::HttpClient,
        timeout: std::time::Duration,
        function: &str,
    ) -> dfaas_agent::ControlClient {
        let c = self.control_client(http, timeout);
        if self.multi.is_some() { c.for_function(function) } else { c }
    }

    /// The node's control token, once the agent has written it.
    pub fn token(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.control_token).ok()?;
        Some(text.lines().next()?.trim().to_string())
    }
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

/// Capacities of a live-runnable scenario (`capacity` or `serverless`
/// model), requests per second, and the capacity model's service time;
/// other models are refused.
pub fn capacities(s: &Scenario, n: usize) -> Result<(Vec<f64>, f64)> {
    let f = functions(s, n)?;
    let service = match &s.model {
        ModelSpec::Capacity(c) => c.service_time_s.unwrap_or(0.1),
        _ => f.first().map_or(0.1, |f| f.warm_s),
    };
    Ok((f.iter().map(|f| f.capacity_rps).collect(), service))
}

/// One node's function as the synthetic backend runs it live.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionPlan {
    /// The node's capacity estimate, requests per second (what its agent
    /// plans and gossips with; the simulator's for the same node).
    pub capacity_rps: f64,
    /// Most instances at once (and most requests in service).
    pub instances: u32,
    /// Service time with a warm instance, and of a cold start, seconds.
    pub warm_s: f64,
    pub cold_s: f64,
    /// Idle time before an instance is reclaimed, seconds.
    pub idle_s: f64,
    /// Admission queue (`None`: none, the serverless model rejects a request
    /// that finds every instance busy).
    pub queue: Option<u32>,
    /// Exponential service times with those means (the serverless model's
    /// assumption), else fixed ones.
    pub exponential: bool,
}

/// Every node's function for a `capacity` scenario (fixed service time,
/// instances × 1/service time = capacity, never cold) or a `serverless` one
/// (the model's warm and cold service times, idle timeout and concurrency
/// limit, no queue); other models are refused naming the file.
pub fn functions(s: &Scenario, n: usize) -> Result<Vec<FunctionPlan>> {
    match &s.model {
        ModelSpec::Capacity(c) => {
            let service = c.service_time_s.unwrap_or(0.1);
            Ok((0..n)
                .map(|i| {
                    let cap = c.capacity_rps.get(i);
                    let instances = ((cap * service).ceil() as u32).max(1);
                    let s = if cap > 0.0 { f64::from(instances) / cap * SERVICE_HEADROOM } else { service };
                    FunctionPlan {
                        capacity_rps: cap,
                        instances,
                        warm_s: s,
                        cold_s: s,
                        idle_s: 600.0,
                        queue: Some(instances * 4),
                        exponential: false,
                    }
                })
                .collect())
        }
        ModelSpec::Serverless(spec) => {
            let p = spec.params(&s.path)?;
            // The simulator's capacity estimate of a node (requests per slot), as rates.
            let sim = dfaas_env::Simulator::new(s)?;
            Ok(sim
                .capacities()
                .iter()
                .map(|&c| FunctionPlan {
                    capacity_rps: c / s.episode.slot_seconds,
                    instances: p.max_concurrency,
                    warm_s: p.warm_s,
                    cold_s: p.cold_s,
                    idle_s: p.idle_s,
                    queue: None,
                    exponential: true,
                })
                .collect())
        }
        // Several functions per node: `multi_plans` describes them; this
        // only sums their instances (the admission queue a node may hold).
        ModelSpec::Budget(_) => Ok(multi_plans(s)?
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let service = m.functions.first().map_or(0.1, |f| f.service_time_s);
                FunctionPlan {
                    capacity_rps: 0.0,
                    instances: m.functions.iter().map(|f| f.instances).sum(),
                    warm_s: service,
                    cold_s: service,
                    idle_s: 600.0,
                    // The scenario's `queue_slots` sizes the budget queue.
                    queue: None,
                    exponential: false,
                }
            })
            .collect()),
        other => bail!(
            "scenario {} uses the `{}` model; only `capacity` and `serverless` scenarios run live",
            s.path.display(),
            other.kind()
        ),
    }
}

/// The predictor a live node of `s` runs: the scenario's; where the scenario
/// reveals the slot's input (`input = "true"`), the last slot's count, the
/// closest a live node comes.
pub fn live_predictor(s: &Scenario) -> dfaas_env::predict::PredictorSpec {
    s.observation.predictor().unwrap_or(dfaas_env::predict::PredictorSpec::LastValue)
}

/// Writes `text` to `path` readable and writable by its owner only (0600 on unix).
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).with_context(|| format!("writing {}", path.display()))?;
    // A file that existed keeps its mode through `open`: set it.
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("restricting {}", path.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// Writes every node's files into `dir` and returns the plans (in topology order).
pub fn write_configs(s: &Scenario, dir: &Path, slot_seconds: f64, choice: &Choice, seed: u64) -> Result<Vec<NodePlan>> {
    write_configs_on(s, dir, slot_seconds, choice, seed, None)
}

/// [`write_configs`] for agents at the addresses `ips` (one per node, each
/// in its own network namespace: fixed ports there), or on 127.0.0.1 with
/// free ports when `None`.
pub fn write_configs_on(
    s: &Scenario,
    dir: &Path,
    slot_seconds: f64,
    choice: &Choice,
    seed: u64,
    ips: Option<&[std::net::IpAddr]>,
) -> Result<Vec<NodePlan>> {
    let topo = s.build_node_topology()?;
    let funcs = functions(s, topo.len())?;
    let (mut plans, pubkeys) = plan_nodes(&topo, funcs, dir, ips)?;
    if let Some(multi) = multi_plans(s)? {
        plans.iter_mut().zip(multi).for_each(|(p, m)| p.multi = Some(m));
    }
    let psk: [u8; 32] = rand::random();
    let ctx = ConfigContext {
        scenario: s,
        topo: &topo,
        plans: &plans,
        pubkeys: &pubkeys,
        choice,
        slot_seconds,
        seed,
        endpoints: plans.iter().map(Endpoints::of).collect(),
        secrets: Secrets::Beside { psk_hex: hex(&psk) },
        allow_file: None,
        bootstrap_neighbors: false,
    };
    for (i, p) in plans.iter().enumerate() {
        let node_file = dir.join(format!("{}.node.toml", p.id));
        std::fs::write(&node_file, ctx.node_toml(i)).with_context(|| format!("writing {}", node_file.display()))?;
        // It holds the federation's pre-shared key: owner only.
        write_private(&p.agent_toml, &ctx.agent_toml(i))?;
    }
    Ok(plans)
}

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a node listens and how the others reach it, as its files say.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    /// The gateway's listen address.
    pub gateway_listen: SocketAddr,
    /// How members reach the gateway: `ip:port` or `dns-name:port`.
    pub gateway_public: String,
    /// The control API's listen address.
    pub control: SocketAddr,
    /// The overlay's listen multiaddr, and the one peers dial (without `/p2p`).
    pub p2p_listen: String,
    pub p2p_public: String,
}

impl Endpoints {
    /// A node on one machine: everything at its plan's own address.
    fn of(p: &NodePlan) -> Self {
        let overlay = format!("/ip4/{}/tcp/{}", p.gateway.ip(), p.p2p_port);
        Endpoints {
            gateway_listen: p.gateway,
            gateway_public: p.gateway.to_string(),
            control: p.control,
            p2p_listen: overlay.clone(),
            p2p_public: overlay,
        }
    }
}

/// Where a node's secrets (member key, pre-shared key, control token) are.
#[derive(Debug, Clone)]
pub(crate) enum Secrets {
    /// Beside its config files: `<id>.key`, the pre-shared key inline in the
    /// agent file (written 0600), the control token generated on first start.
    Beside { psk_hex: String },
    /// In a mounted folder (a Kubernetes Secret): `<dir>/<id>.key`,
    /// `<dir>/psk`, `<dir>/<id>.control.token`.
    Mounted { dir: String },
}

impl Secrets {
    fn key_file(&self, id: &str) -> String {
        match self {
            Secrets::Beside { .. } => format!("{id}.key"),
            Secrets::Mounted { dir } => format!("{dir}/{id}.key"),
        }
    }

    /// The runtime file's line naming the control token, if not the default.
    fn token_line(&self, id: &str) -> String {
        match self {
            Secrets::Beside { .. } => String::new(),
            Secrets::Mounted { dir } => format!("control_token_file = \"{dir}/{id}.control.token\"\n"),
        }
    }

    /// The agent file's `[overlay]` line giving the pre-shared key.
    fn psk_line(&self) -> String {
        match self {
            Secrets::Beside { psk_hex } => format!("psk = \"{psk_hex}\""),
            Secrets::Mounted { dir } => format!("psk_file = \"{dir}/psk\""),
        }
    }
}

/// One plan per node (its key generated in `dir`; free loopback ports, or
/// fixed ports at its own address in `ips`) and the nodes' public keys, in
/// the topology's order.
pub(crate) fn plan_nodes(
    topo: &dfaas_env::Topology,
    funcs: Vec<FunctionPlan>,
    dir: &Path,
    ips: Option<&[std::net::IpAddr]>,
) -> Result<(Vec<NodePlan>, Vec<String>)> {
    let mut plans = Vec::new();
    let mut pubkeys = Vec::new();
    let mut ports = Ports::default();
    for ((i, id), f) in topo.names().iter().enumerate().zip(funcs) {
        let key = dfaas_runtime::NodeKey::load_or_generate(dir.join(format!("{id}.key")))
            .with_context(|| format!("generating the node key of {id}"))?;
        pubkeys.push(key.public_b64());
        // The overlay speaks with the member key.
        let ident = dfaas_agent::NodeIdentity::from_member_key(&key);
        let (gateway, control, p2p_port) = match ips {
            Some(ips) => (SocketAddr::new(ips[i], 8080), SocketAddr::new(ips[i], 9100), 4001),
            None => (
                SocketAddr::from(([127, 0, 0, 1], ports.pick()?)),
                SocketAddr::from(([127, 0, 0, 1], ports.pick()?)),
                ports.pick()?,
            ),
        };
        plans.push(NodePlan {
            id: id.clone(),
            capacity_rps: f.capacity_rps,
            instances: f.instances,
            service_s: f.warm_s,
            function: f,
            gateway,
            control,
            p2p_port,
            peer_id: ident.peer_id.to_string(),
            neighbors: topo.neighbors(i).iter().map(|&j| topo.names()[j].clone()).collect(),
            agent_toml: dir.join(format!("{id}.agent.toml")),
            control_token: dir.join(format!("{id}.control.token")),
            multi: None,
        });
    }
    Ok((plans, pubkeys))
}

/// What every node's two config files are written from.
pub(crate) struct ConfigContext<'a> {
    pub scenario: &'a Scenario,
    pub topo: &'a dfaas_env::Topology,
    pub plans: &'a [NodePlan],
    pub pubkeys: &'a [String],
    pub choice: &'a Choice,
    pub slot_seconds: f64,
    pub seed: u64,
    pub endpoints: Vec<Endpoints>,
    pub secrets: Secrets,
    /// Where the agents read the federation's allow-list (`None`: inline in
    /// each agent file); at scale one shared file keeps the files O(N).
    pub allow_file: Option<String>,
    /// Bootstrap each agent with its topology neighbours only (else every
    /// other member): O(degree) per file.
    pub bootstrap_neighbors: bool,
}

impl ConfigContext<'_> {
    /// The agent file's allow-list line: every member's libp2p peer id,
    /// inline, or the shared file's name.
    fn allow_line(&self) -> String {
        match &self.allow_file {
            Some(f) => format!("allow_file = {f:?}"),
            None => {
                let ids: Vec<String> = self.plans.iter().map(|p| format!("{:?}", p.peer_id)).collect();
                format!("allow = [{}]", ids.join(", "))
            }
        }
    }

    /// The shared allow-list file's text: one peer id per line.
    pub(crate) fn allow_text(&self) -> String {
        let mut s = String::from("# The federation's members, one libp2p peer id per line.\n");
        for p in self.plans {
            s.push_str(&format!("{}  # {}\n", p.peer_id, p.id));
        }
        s
    }

    /// Node `i`'s runtime config: gateway, the synthetic function, members.
    pub(crate) fn node_toml(&self, i: usize) -> String {
        let p = &self.plans[i];
        let mut node = format!(
            "node_id = \"{}\"\nlisten = \"{}\"\nkey_file = \"{}\"\n{}",
            p.id,
            self.endpoints[i].gateway_listen,
            self.secrets.key_file(&p.id),
            self.secrets.token_line(&p.id)
        );
        if let Some(m) = &p.multi {
            node.push_str(&multi_functions_toml(m));
        } else {
            node.push_str(&self.single_function_toml(i));
        }
        for &j in self.topo.neighbors(i) {
            node.push_str(&format!(
                "\n[[members]]\nid = \"{}\"\npublic_key = \"{}\"\naddress = \"{}\"\n",
                self.plans[j].id, self.pubkeys[j], self.endpoints[j].gateway_public
            ));
        }
        node
    }

    /// The one synthetic function of node `i` (capacity and serverless models).
    fn single_function_toml(&self, i: usize) -> String {
        let p = &self.plans[i];
        format!(
            "\n[[functions]]\nname = \"{FUNCTION}\"\nbackend = {{ kind = \"synthetic\", warm_s = {w:?}, cold_s = {c:?}, idle_s = {i:?}, max_instances = {m}{e} }}\nadmission = {{ max_concurrency = {m}, queue = {q} }}\n",
            e = if p.function.exponential {
                format!(", service = \"exponential\", seed = {}", dfaas_env::seeds::splitmix(self.seed ^ i as u64) >> 1)
            } else {
                String::new()
            },
            w = p.function.warm_s,
            c = p.function.cold_s,
            i = p.function.idle_s,
            m = p.function.instances,
            q = p.function.queue.unwrap_or(0)
        )
    }

    /// Node `i`'s agent config: policy, observation, control API, overlay.
    pub(crate) fn agent_toml(&self, i: usize) -> String {
        let p = &self.plans[i];
        let others: Vec<usize> = if self.bootstrap_neighbors {
            self.topo.neighbors(i).to_vec()
        } else {
            (0..self.plans.len()).filter(|&o| o != i).collect()
        };
        let bootstrap: Vec<String> = others
            .into_iter()
            .map(|o| format!("\"{}/p2p/{}\"", self.endpoints[o].p2p_public, self.plans[o].peer_id))
            .collect();
        let policy_line = match self.choice {
            Choice::Policy(x) => format!("policy = {x:?}\n"),
            Choice::Model(m) => format!("model = {:?}\n", m.display().to_string()),
        };
        let mut observation_lines = if p.multi.is_some() { String::new() } else { format!("node_index = {i}\n") };
        if let Some(p) = self.scenario.observation.period_slots {
            observation_lines.push_str(&format!("period_slots = {p}\n"));
        }
        let predictor = live_predictor(self.scenario);
        observation_lines.push_str(&format!("predictor = {}\n", predictor.to_toml_inline()));
        let text = format!(
            "runtime = \"{id}.node.toml\"\n{function_lines}slot_seconds = {slot_seconds:?}\n{policy_line}{observation_lines}control_listen = \"{ctl}\"\nseed = {agent_seed}\n\n[overlay]\nlisten = \"{listen}\"\nbootstrap = [{boot}]\n{psk}\n{allow}\n",
            id = p.id,
            function_lines = match &p.multi {
                Some(_) => String::new(),
                None => format!("function = \"{FUNCTION}\"\ncapacity_rps = {:?}\n", p.capacity_rps),
            },
            slot_seconds = self.slot_seconds,
            ctl = self.endpoints[i].control,
            listen = self.endpoints[i].p2p_listen,
            boot = bootstrap.join(", "),
            psk = self.secrets.psk_line(),
            allow = self.allow_line(),
            agent_seed = self.seed & 0x7fff_ffff_ffff_ffff,
        );
        match &p.multi {
            Some(m) => text + &managed_functions_toml(m),
            None => text,
        }
    }
}

/// A several-function node's runtime part: its budget, the work that may
/// wait for units (the scenario's `queue_slots` slots of the whole budget,
/// `budget_queue_s`), and one synthetic function per hosted function (its
/// service time, never cold, as many instances as the budget runs at once,
/// its units per call). Admission lets every call through to the budget's
/// first-come, first-served queue, where functions share units as the
/// simulator's `budget` model shares them. Serverless functions keep their
/// warm and cold times (fixed: the simulator's loss model depends on their
/// means only) and idle timeout; they have no queue.
fn multi_functions_toml(m: &MultiPlan) -> String {
    let queue_s = m.queue_slots * m.slot_seconds;
    let mut t = format!("budget_units = {}\nbudget_queue_s = {queue_s:?}\n", m.budget_units);
    for f in &m.functions {
        let (cold, idle) = f.cold.map_or((f.service_time_s, 600.0), |c| (c.cold_service_s, c.idle_timeout_s));
        t.push_str(&format!(
            "\n[[functions]]\nname = \"{n}\"\nbackend = {{ kind = \"synthetic\", warm_s = {s:?}, cold_s = {cold:?}, idle_s = {idle:?}, max_instances = {i}, units = {u} }}\nadmission = {{ max_concurrency = {c}, queue = 0 }}\n",
            n = f.name,
            s = f.service_time_s,
            i = f.instances,
            u = f.cost_units,
            c = f.instances.saturating_add(m.slot_calls.saturating_mul(64)),
        ));
    }
    t
}

/// A several-function node's agent part: one `[[functions]]` table each.
fn managed_functions_toml(m: &MultiPlan) -> String {
    let mut t = String::new();
    for f in &m.functions {
        let peers: Vec<String> = f.peers.iter().map(|p| format!("{p:?}")).collect();
        t.push_str(&format!(
            "\n[[functions]]\nname = \"{}\"\ncost_units = {}\nservice_time_s = {:?}\nnode_index = {}\npeers = [{}]\n",
            f.name,
            f.cost_units,
            f.service_time_s,
            f.agent_index,
            peers.join(", ")
        ));
        if let Some(s) = f.share {
            t.push_str(&format!("share = {s:?}\n"));
        }
        if let Some(c) = f.max_concurrency {
            t.push_str(&format!("max_concurrency = {c}\n"));
        }
        if let Some(c) = f.cold {
            t.push_str(&format!("cold_service_s = {:?}\nidle_timeout_s = {:?}\n", c.cold_service_s, c.idle_timeout_s));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agents of a predicting scenario predict with the scenario's predictor.
    #[test]
    fn agents_get_the_scenarios_predictor() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/dfaas-cloudnet21.toml");
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

    /// Serverless several-function nodes run live: each function's synthetic
    /// backend has its warm and cold times, idle timeout,
    /// instance limit and units, the node's budget has no queue, and each
    /// agent manages the functions with their cold starts, so it plans with
    /// the simulator's loss-model capacities.
    #[test]
    fn serverless_function_nodes_get_each_functions_instances() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../experiments/scenarios/functions/serverless-image-text.toml");
        let s = Scenario::load(&root).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let plans = write_configs(&s, dir.path(), 1.0, &Choice::Policy("slack-proportional".into()), 7).unwrap();
        for p in &plans {
            let node = std::fs::read_to_string(dir.path().join(format!("{}.node.toml", p.id))).unwrap();
            assert!(node.contains("budget_units = 8\nbudget_queue_s = 0.0"), "{node}");
            assert!(
                node.contains("warm_s = 0.4, cold_s = 1.5, idle_s = 30.0, max_instances = 2, units = 4 }"),
                "{node}"
            );
            assert!(
                node.contains("warm_s = 0.02, cold_s = 0.3, idle_s = 30.0, max_instances = 8, units = 1"),
                "{node}"
            );
            dfaas_runtime::NodeConfig::load(dir.path().join(format!("{}.node.toml", p.id))).unwrap();
            let cfg = dfaas_agent::AgentConfig::load(&p.agent_toml).unwrap();
            let colds: Vec<_> =
                cfg.functions.iter().map(|f| f.cold.map(|c| (c.cold_service_s, c.idle_timeout_s))).collect();
            assert_eq!(colds, [Some((1.5, 30.0)), Some((0.3, 30.0))]);
        }
    }

    /// A serverless scenario runs live: each node's synthetic function has
    /// the model's warm and cold service times, idle timeout and concurrency
    /// limit, no queue, and the agent plans with the simulator's capacity.
    #[test]
    fn serverless_nodes_get_the_models_function() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/serverless-3.toml");
        let s = Scenario::load(&root).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let plans = write_configs(&s, dir.path(), 1.0, &Choice::Policy("slack-proportional".into()), 7).unwrap();
        let sim = dfaas_env::Simulator::new(&s).unwrap();
        for (i, p) in plans.iter().enumerate() {
            let f = &p.function;
            assert_eq!(
                (f.warm_s, f.cold_s, f.idle_s, f.instances, f.queue, f.exponential),
                (0.1, 0.4, 5.0, 6, None, true)
            );
            assert_eq!(f.capacity_rps, sim.capacities()[i]);
            let node = std::fs::read_to_string(dir.path().join(format!("{}.node.toml", p.id))).unwrap();
            assert!(
                node.contains("warm_s = 0.1, cold_s = 0.4, idle_s = 5.0, max_instances = 6, service = \"exponential\""),
                "{node}"
            );
            let rt = dfaas_runtime::NodeConfig::load(dir.path().join(format!("{}.node.toml", p.id))).unwrap();
            assert!(matches!(
                rt.functions[0].backend,
                dfaas_runtime::config::BackendConfig::Synthetic {
                    service: dfaas_runtime::config::ServiceTimes::Exponential,
                    ..
                }
            ));
            assert!(node.contains("max_concurrency = 6, queue = 0"), "{node}");
            let cfg = dfaas_agent::AgentConfig::load(&p.agent_toml).unwrap();
            assert_eq!(cfg.capacity_rps, f.capacity_rps);
            // The agent file holds the pre-shared key, the key file the member key: owner only.
            for secret in [p.agent_toml.clone(), dir.path().join(format!("{}.key", p.id))] {
                assert_eq!(dfaas_runtime::keys::exposure(&secret), None, "{}", secret.display());
                assert!(secret.exists());
            }
        }
        // A queue-model scenario is refused, naming the file and the model.
        let q = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/marl-paper-5.toml");
        let e = write_configs(&Scenario::load(&q).unwrap(), dir.path(), 1.0, &Choice::Policy("static".into()), 7)
            .unwrap_err()
            .to_string();
        assert!(e.contains("marl-paper-5.toml") && e.contains("queue"), "{e}");
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
