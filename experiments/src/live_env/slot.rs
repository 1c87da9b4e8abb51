//! The I/O of one live slot: open it on every agent with its decision
//! (`POST /tick` with the fractions), send the slot's requests open-loop,
//! wait for every answer, close it on every agent (`POST /tick`) and read the
//! measured outcomes. Every call has a timeout; a node that fails is reported,
//! never waited on forever.

use std::net::SocketAddr;
use std::time::Duration;

use dfaas_env::SlotOutcome;
use hyper::Method;
use serde_json::Value;

use crate::cluster::call;
use crate::loadgen::{LoadSpec, Report};

pub(crate) type Client = dfaas_runtime::client::HttpClient;

/// One agent as the live environment sees it.
#[derive(Debug, Clone)]
pub(crate) struct LiveNode {
    pub name: String,
    pub control: SocketAddr,
    pub gateway: SocketAddr,
    pub function: String,
    /// Topology neighbour `k` is the agent's peer `perm[k]`.
    pub perm: Vec<usize>,
    /// Names of the topology neighbours, in action order.
    pub neighbors: Vec<String>,
}

impl LiveNode {
    /// Fractions in topology order → the agent's peer order.
    fn to_agent(&self, fractions: &[f64]) -> Vec<f64> {
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
    fn from_agent(&self, mut o: SlotOutcome) -> SlotOutcome {
        let pick = |v: &[u32]| self.perm.iter().map(|&p| v.get(p).copied().unwrap_or(0)).collect::<Vec<u32>>();
        o.forwarded = pick(&o.forwarded);
        o.forward_rejects = pick(&o.forward_rejects);
        o
    }
}

/// `POST /tick` on one agent (with an optional decision): the tick report, or why not.
pub(crate) async fn tick(
    c: &Client,
    node: &LiveNode,
    decision: Option<&[f64]>,
    wait: Duration,
) -> Result<Value, String> {
    let body = decision.map(|d| serde_json::to_string(&node.to_agent(d)).unwrap_or_default()).unwrap_or_default();
    let url = format!("http://{}/tick", node.control);
    match tokio::time::timeout(wait, call(c, Method::POST, url, &body)).await {
        Err(_) | Ok(None) => Err(format!("control API {} did not answer POST /tick within {wait:?}", node.control)),
        Ok(Some((200, text))) => {
            serde_json::from_str(&text).map_err(|e| format!("POST /tick: bad answer ({e}): {text}"))
        }
        Ok(Some((409, text))) => Err(format!(
            "agent {} at {} runs on its own timer; the live environment needs clock = \"external\" ({text})",
            node.name, node.control
        )),
        Ok(Some((st, text))) => Err(format!("POST /tick answered {st}: {text}")),
    }
}

/// What one node did in a slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeSlot {
    /// Measured by the agent (topology order), if it answered the closing tick.
    pub outcome: Option<SlotOutcome>,
    /// What its users saw (the load generator's report), if it had load.
    pub load: Option<Report>,
    /// What went wrong, if anything.
    pub issues: Vec<String>,
    /// Arrivals counted between the previous slot's end and this slot's start.
    pub stray_input: u32,
}

/// Plays one slot on every node: `fractions[i]` in topology order, `counts[i]`
/// requests to node `i` spread evenly over `slot`.
pub(crate) async fn play(
    c: &Client,
    nodes: &[LiveNode],
    fractions: &[Vec<f64>],
    counts: &[u32],
    slot: Duration,
    request_timeout: Duration,
    answer_timeout: Duration,
) -> Vec<NodeSlot> {
    let mut out: Vec<NodeSlot> = vec![NodeSlot::default(); nodes.len()];
    // 1. Open the slot everywhere before any request of it is sent.
    let opens = futures_join(nodes.iter().zip(fractions).map(|(n, f)| {
        let (c, n, f) = (c.clone(), n.clone(), f.clone());
        async move { tick(&c, &n, Some(f.as_slice()), answer_timeout).await }
    }))
    .await;
    for ((res, n), (o, f)) in opens.into_iter().zip(nodes).zip(out.iter_mut().zip(fractions)) {
        match res {
            Ok(r) => {
                o.stray_input = r["outcome"]["input"].as_u64().unwrap_or(0) as u32;
                let applied: Option<Vec<f64>> = serde_json::from_value(r["fractions"].clone()).ok();
                let wanted = n.to_agent(f);
                let same = applied.as_ref().is_some_and(|a| {
                    a.len() == wanted.len() && a.iter().zip(&wanted).all(|(x, y)| (x - y).abs() < 1e-6)
                });
                if !same {
                    o.issues.push(format!(
                        "applied fractions {applied:?} instead of {wanted:?} (a neighbour it has not heard from gets 0)"
                    ));
                }
            }
            Err(e) => o.issues.push(format!("slot start: {e}")),
        }
    }
    // 2. The slot's requests, open loop; every answer (or timeout) is awaited.
    let mut loads = Vec::new();
    for (n, &count) in nodes.iter().zip(counts) {
        if count == 0 {
            loads.push(None);
            continue;
        }
        let rate = f64::from(count) / slot.as_secs_f64();
        let mut spec = LoadSpec::per_slot(format!("http://{}/function/{}", n.gateway, n.function), vec![rate], slot);
        spec.timeout = request_timeout;
        loads.push(Some(tokio::spawn(crate::loadgen::run(spec))));
    }
    for ((n, o), l) in nodes.iter().zip(out.iter_mut()).zip(loads) {
        let Some(handle) = l else { continue };
        match handle.await {
            Ok(Ok(report)) => {
                let failed: u64 = report.errors.values().sum();
                if failed > 0 {
                    o.issues.push(format!("{failed} of {} requests to {} got no answer", report.requests, n.gateway));
                }
                o.load = Some(report);
            }
            Ok(Err(e)) => o.issues.push(format!("load: {e}")),
            Err(e) => o.issues.push(format!("load task: {e}")),
        }
    }
    // 3. Close the slot everywhere and read what was measured.
    let closes = futures_join(nodes.iter().map(|n| {
        let (c, n) = (c.clone(), n.clone());
        async move { tick(&c, &n, None, answer_timeout).await }
    }))
    .await;
    for ((res, n), o) in closes.into_iter().zip(nodes).zip(out.iter_mut()) {
        match res.and_then(|r| {
            serde_json::from_value::<SlotOutcome>(r["outcome"].clone()).map_err(|e| format!("bad outcome: {e}"))
        }) {
            Ok(m) => o.outcome = Some(n.from_agent(m)),
            Err(e) => o.issues.push(format!("slot end: {e}")),
        }
    }
    out
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
