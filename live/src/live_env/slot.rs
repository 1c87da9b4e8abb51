//! The I/O of one live slot: open it on every agent with its decision
//! (`POST /tick` with the fractions), send the slot's requests open-loop,
//! wait for every answer, close it on every agent (`POST /tick`) and read the
//! measured outcomes. Every call has a timeout; a node that fails is reported,
//! never waited on forever.

use std::net::SocketAddr;
use std::time::Duration;

use dfaas_agent::{ControlClient, TickReport};
use dfaas_env::SlotOutcome;

use dfaas_loadgen::{LoadSpec, Report};

/// One agent as the live environment sees it: a node, or a node's
/// function where nodes host several (a node-function pair).
#[derive(Debug, Clone)]
pub(crate) struct LiveNode {
    /// Its node's name (what `X-DFaaS-Served-By` says).
    pub name: String,
    pub control: SocketAddr,
    /// Its control API.
    pub ctl: ControlClient,
    pub gateway: SocketAddr,
    pub function: String,
    /// Topology neighbour `k` is the agent's peer `perm[k]`.
    pub perm: Vec<usize>,
    /// Names of the topology neighbours' nodes, in action order.
    pub neighbors: Vec<String>,
    /// Its node's index: the agents of one node share its slot, which the
    /// node's first function's `POST /tick` ends for all of them.
    pub host: usize,
}

impl LiveNode {
    /// Fractions in topology order → the agent's peer order.
    fn fractions_to_agent(&self, fractions: &[f64]) -> Vec<f64> {
        let deg = self.perm.len();
        let mut out = vec![0.0; deg + 2];
        out[0] = fractions[0];
        out[deg + 1] = fractions[deg + 1];
        for (k, &p) in self.perm.iter().enumerate() {
            out[1 + p] = fractions[1 + k];
        }
        out
    }

    /// An outcome in the agent's peer order → topology order.
    fn outcome_from_agent(&self, mut o: SlotOutcome) -> SlotOutcome {
        let pick = |v: &[u32]| self.perm.iter().map(|&p| v.get(p).copied().unwrap_or(0)).collect::<Vec<u32>>();
        o.forwarded = pick(&o.forwarded);
        o.forward_rejects = pick(&o.forward_rejects);
        o
    }
}

/// `POST /tick` on one agent (with an optional decision in topology
/// order): the tick report, or why not.
pub(crate) async fn tick(node: &LiveNode, decision: Option<&[f64]>) -> Result<TickReport, String> {
    let fractions = decision.map(|d| node.fractions_to_agent(d));
    node.ctl.tick(fractions.as_deref()).await.map_err(|e| match e.status() {
        Some(409) => format!(
            "agent {} at {} runs on its own timer; the live environment needs clock = \"external\" ({e})",
            node.name, node.control
        ),
        _ => e.to_string(),
    })
}

/// What one node did in a slot.
#[derive(Debug, Default)]
pub(crate) struct NodeSlot {
    /// Measured by the agent (topology order), if it answered the closing tick.
    pub outcome: Option<SlotOutcome>,
    /// Its users' requests of the slot (still running when the slot closes:
    /// queued requests finish in later slots, as in a continuous system).
    pub load: Option<LoadTask>,
    /// What went wrong, if anything.
    pub issues: Vec<String>,
    /// Arrivals (own and received) counted between the previous slot's end
    /// and this slot's start.
    pub stray: u32,
    /// Executions between the previous slot's end and this slot's start
    /// (queued requests): counted in this slot.
    pub gap_processed: u32,
}

/// A slot's load, still running.
pub(crate) type LoadTask = tokio::task::JoinHandle<Result<Report, dfaas_loadgen::LoadError>>;

/// Time left after a slot's sending window for its last requests (and their
/// forwards) to arrive before the slot closes.
pub(crate) fn settle(slot: Duration) -> Duration {
    (slot / 50).clamp(Duration::from_millis(20), Duration::from_millis(200))
}

/// Ticks every node (with `fractions[i]` for agent `i` when given); results
/// in agent order. A node hosting several functions is ticked once: the
/// decisions of its other functions first (`PUT /decision?function=`), then
/// its first function's tick, whose report carries every function's.
pub(crate) async fn tick_all(nodes: &[LiveNode], fractions: Option<&[Vec<f64>]>) -> Vec<Result<TickReport, String>> {
    let mut hosts: Vec<Vec<usize>> = Vec::new();
    for (a, n) in nodes.iter().enumerate() {
        match hosts.iter_mut().find(|h| nodes[h[0]].host == n.host) {
            Some(h) => h.push(a),
            None => hosts.push(vec![a]),
        }
    }
    let per_host = futures_join(hosts.iter().map(|h| {
        let agents: Vec<(LiveNode, Option<Vec<f64>>)> =
            h.iter().map(|&a| (nodes[a].clone(), fractions.map(|f| f[a].clone()))).collect();
        async move { tick_node(&agents).await }
    }))
    .await;
    let mut out: Vec<Result<TickReport, String>> = (0..nodes.len()).map(|_| Err(String::new())).collect();
    for (h, results) in hosts.iter().zip(per_host) {
        for (&a, r) in h.iter().zip(results) {
            out[a] = r;
        }
    }
    out
}

/// Ticks one node whose agents are `agents` (its first function first),
/// each with its optional decision: one report per agent.
async fn tick_node(agents: &[(LiveNode, Option<Vec<f64>>)]) -> Vec<Result<TickReport, String>> {
    let mut failed: Vec<Option<String>> = vec![None; agents.len()];
    for (k, (n, f)) in agents.iter().enumerate().skip(1) {
        if let Some(f) = f
            && let Err(e) = n.ctl.set_decision(&n.fractions_to_agent(f)).await
        {
            failed[k] = Some(format!("decision for {}: {e}", n.function));
        }
    }
    let (lead, f) = &agents[0];
    let report = match tick(lead, f.as_deref()).await {
        Ok(r) => r,
        Err(e) => return agents.iter().map(|_| Err(e.clone())).collect(),
    };
    agents
        .iter()
        .enumerate()
        .map(|(k, (n, _))| {
            if let Some(e) = failed[k].take() {
                return Err(e);
            }
            if k == 0 {
                return Ok(TickReport { functions: Vec::new(), ..report.clone() });
            }
            report.functions.iter().find(|r| r.function == n.function).cloned().ok_or_else(|| {
                format!("the tick report of {} at {} lacks function {}", lead.name, lead.control, n.function)
            })
        })
        .collect()
}

/// Plays one slot on every node: `fractions[i]` in topology order, `counts[i]`
/// requests to node `i` spread over `slot` as `spacing[i]` says. The slot closes once the
/// sending window and [`settle`] have passed, not when every request has
/// been answered: requests queued at a node run in the following slots.
pub(crate) async fn play(
    nodes: &[LiveNode],
    fractions: &[Vec<f64>],
    counts: &[u32],
    spacing: &[dfaas_loadgen::Spacing],
    slot: Duration,
    request_timeout: Duration,
) -> Vec<NodeSlot> {
    let mut out: Vec<NodeSlot> = (0..nodes.len()).map(|_| NodeSlot::default()).collect();
    // 1. Open the slot everywhere before any request of it is sent.
    let opens = tick_all(nodes, Some(fractions)).await;
    for ((res, n), (o, f)) in opens.into_iter().zip(nodes).zip(out.iter_mut().zip(fractions)) {
        match res {
            Ok(r) => {
                o.stray = r.outcome.input + r.outcome.received;
                o.gap_processed = r.outcome.processed;
                let applied = r.fractions;
                let wanted = n.fractions_to_agent(f);
                let same =
                    applied.len() == wanted.len() && applied.iter().zip(&wanted).all(|(x, y)| (x - y).abs() < 1e-6);
                if !same {
                    o.issues.push(format!(
                        "applied fractions {applied:?} instead of {wanted:?} (a neighbour it has not heard from gets 0)"
                    ));
                }
            }
            Err(e) => o.issues.push(format!("slot start: {e}")),
        }
    }
    // 2. The slot's requests, open loop, in the background.
    let started = tokio::time::Instant::now();
    for (((n, &count), o), &spacing) in nodes.iter().zip(counts).zip(out.iter_mut()).zip(spacing) {
        if count == 0 {
            continue;
        }
        let rate = f64::from(count) / slot.as_secs_f64();
        let mut spec = LoadSpec::per_slot(format!("http://{}/function/{}", n.gateway, n.function), vec![rate], slot);
        spec.timeout = request_timeout;
        spec.spacing = spacing;
        o.load = Some(tokio::spawn(dfaas_loadgen::run(spec)));
    }
    // 3. Close the slot everywhere once its last requests have arrived.
    tokio::time::sleep_until(started + slot + settle(slot)).await;
    let closes = tick_all(nodes, None).await;
    for ((res, n), o) in closes.into_iter().zip(nodes).zip(out.iter_mut()) {
        match res.map(|r| r.outcome) {
            Ok(mut m) => {
                m.processed += o.gap_processed;
                o.outcome = Some(n.outcome_from_agent(m));
            }
            Err(e) => o.issues.push(format!("slot end: {e}")),
        }
    }
    out
}

/// Waits for a slot's load (at most `limit`): its report, or why not.
pub(crate) async fn finish(task: LoadTask, limit: Duration) -> Result<Report, String> {
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(Ok(r))) => Ok(r),
        Ok(Ok(Err(e))) => Err(format!("load: {e}")),
        Ok(Err(e)) => Err(format!("load task: {e}")),
        Err(_) => Err(format!("load still running after {limit:?}")),
    }
}

/// Requests of a report that got no answer, as an issue.
pub(crate) fn unanswered(r: &Report, node: &LiveNode, slot: usize) -> Option<String> {
    let failed: u64 = r.errors.values().sum();
    (failed > 0).then(|| format!("slot {slot}: {failed} of {} requests to {} got no answer", r.requests, node.gateway))
}

/// Runs the futures concurrently and returns their outputs in order.
pub(crate) async fn futures_join<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("live-environment task panicked"));
    }
    out
}

/// An outcome for a node whose agent did not report: estimated from what
/// its users saw. Served here → local (and processed); served by neighbour
/// `k` → forwarded to `k`; rejected by policy → rejected; anything else
/// (capacity and peer rejects, failures, no answer) → platform rejects.
pub(crate) fn estimate(node: &LiveNode, count: u32, load: Option<&Report>) -> SlotOutcome {
    let deg = node.neighbors.len();
    let mut o =
        SlotOutcome { input: count, forwarded: vec![0; deg], forward_rejects: vec![0; deg], ..Default::default() };
    let Some(r) = load else {
        o.local_rejects = count;
        return o;
    };
    let sat = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
    o.local = sat(r.by_served_by.get(&node.name).copied().unwrap_or(0));
    o.processed = o.local;
    for (k, nb) in node.neighbors.iter().enumerate() {
        o.forwarded[k] = sat(r.by_served_by.get(nb).copied().unwrap_or(0));
    }
    o.rejected = sat(r.by_reject_reason.get("policy").copied().unwrap_or(0));
    let accounted = o.local + o.forwarded_total() + o.rejected;
    o.local_rejects = count.saturating_sub(accounted);
    o
}
