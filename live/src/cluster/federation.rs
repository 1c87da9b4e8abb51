//! A federation of `dfaas agent` processes on 127.0.0.1 for a capacity-model
//! scenario: configs written, processes started, readiness awaited, and
//! everything stopped on [`Federation::stop`] or drop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use dfaas_env::Scenario;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};

use super::{Children, Choice, NodePlan, write_configs_on};

/// The netns links' shaping from the scenario: its access delay, and its
/// constant bandwidth (a bandwidth trace cannot be replayed by netem here).
fn shaping(s: &Scenario) -> Result<super::netns::Shaping> {
    match s.links.bandwidth {
        dfaas_env::links::BandwidthSpec::Constant { mbps } => {
            Ok(super::netns::Shaping { delay_s: s.links.access_delay_s, mbps })
        }
        _ => bail!("--netns shapes links with a constant bandwidth; scenario {} sets a bandwidth trace", s.name),
    }
}

type Client = dfaas_runtime::client::HttpClient;

/// How to start a federation.
#[derive(Debug, Clone)]
pub struct FederationOpts {
    /// Agents' slot length, seconds.
    pub slot_seconds: f64,
    /// The agents' own policy.
    pub choice: Choice,
    /// Folder for configs, keys and logs (default: a temporary one, removed by `stop`).
    pub out: Option<PathBuf>,
    /// The `dfaas` binary to start agents with.
    pub exe: PathBuf,
    /// Seed written into the agents' configs.
    pub seed: u64,
    /// Agents whose slots end on `POST /tick` (`clock = "external"`) rather than on their timer.
    pub external_clock: bool,
    /// Admission queue per function instance (`None`: as written by
    /// [`write_configs`](super::write_configs), 4 per instance).
    pub queue_per_instance: Option<u32>,
    /// Each agent in its own network namespace on a bridge, links shaped
    /// with the scenario's access delay and bandwidth ([`super::netns`]).
    pub netns: bool,
    /// With `netns`: leave the links unshaped (a kernel without netem).
    pub no_shaping: bool,
}

/// Running agent processes; killed (and a temporary folder removed) on
/// [`Federation::stop`] or drop.
pub struct Federation {
    /// One plan per node, in topology order.
    pub plans: Vec<NodePlan>,
    /// Configs, keys and agent logs.
    pub dir: PathBuf,
    temp: bool,
    children: Children,
    /// Dropped after the children are stopped (fields drop in order).
    netns: Option<super::netns::NetNs>,
}

/// One control-API or gateway call with a 2 s answer timeout: `(status, body)`.
pub async fn call(c: &Client, method: Method, url: String, body: &str) -> Option<(u16, String)> {
    let req = Request::builder().method(method).uri(url).body(Full::new(Bytes::from(body.to_string()))).ok()?;
    let fut = async {
        let r = c.request(req).await.ok()?;
        let st = r.status().as_u16();
        let b = r.into_body().collect().await.ok()?.to_bytes();
        Some((st, String::from_utf8_lossy(&b).into_owned()))
    };
    tokio::time::timeout(Duration::from_secs(2), fut).await.ok().flatten()
}

/// The last 15 lines of a log file.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Makes the agent config at `agent_toml` (as written by
/// [`write_configs`](super::write_configs)) externally clocked.
pub fn set_external_clock(agent_toml: &Path) -> Result<()> {
    let text = std::fs::read_to_string(agent_toml).with_context(|| format!("reading {}", agent_toml.display()))?;
    // Top-level keys must come before the `[overlay]` table.
    std::fs::write(agent_toml, format!("clock = \"external\"\n{text}"))
        .with_context(|| format!("writing {}", agent_toml.display()))
}

/// Sets the admission queue length in a node config written by [`write_configs`](super::write_configs).
pub fn set_queue(node_toml: &Path, queue: u32) -> Result<()> {
    let text = std::fs::read_to_string(node_toml).with_context(|| format!("reading {}", node_toml.display()))?;
    let key = "queue = ";
    let Some(at) = text.find(key) else {
        bail!("{}: no `{key}` to set", node_toml.display());
    };
    let digits = text[at + key.len()..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        bail!("{}: `{key}` is not followed by a number", node_toml.display());
    }
    let new = format!("{}{key}{queue}{}", &text[..at], &text[at + key.len() + digits..]);
    std::fs::write(node_toml, new).with_context(|| format!("writing {}", node_toml.display()))
}

impl Federation {
    /// Writes the configs for `scenario` and starts one agent process per node.
    pub fn start(scenario: &Scenario, opts: &FederationOpts) -> Result<Self> {
        let (dir, temp) = match &opts.out {
            Some(d) => (d.clone(), false),
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                (std::env::temp_dir().join(format!("dfaas-cluster-{}-{nanos}", std::process::id())), true)
            }
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let netns = if opts.netns {
            let shaping = if opts.no_shaping { None } else { Some(shaping(scenario)?) };
            let ns = super::netns::NetNs::create(scenario.build_topology()?.len(), shaping)?;
            eprintln!("netns: {} namespaces, links shaped by {}", ns.ips().len(), ns.shaper());
            Some(ns)
        } else {
            None
        };
        let mut fed = Self { plans: Vec::new(), dir, temp, children: Children::default(), netns };
        let choice = match &opts.choice {
            Choice::Model(m) => Choice::Model(m.canonicalize().with_context(|| format!("model {}", m.display()))?),
            c => c.clone(),
        };
        let ips = fed.netns.as_ref().map(|n| n.ips().to_vec());
        fed.plans = write_configs_on(scenario, &fed.dir, opts.slot_seconds, &choice, opts.seed, ips.as_deref())?;
        for p in &fed.plans {
            if opts.external_clock {
                set_external_clock(&p.agent_toml)?;
            }
            // The serverless model has no queue: only capacity-model nodes get
            // one (several-function nodes have the scenario's budget queue).
            if let (Some(k), Some(_)) = (opts.queue_per_instance, p.function.queue) {
                set_queue(&fed.dir.join(format!("{}.node.toml", p.id)), p.instances.saturating_mul(k))?;
            }
        }
        for (i, p) in fed.plans.iter().enumerate() {
            let ns = fed.netns.as_ref().map(|n| n.name(i));
            fed.children.spawn_in(&p.id, &opts.exe, &p.agent_toml, &fed.log(&p.id), ns)?;
        }
        Ok(fed)
    }

    /// Log file of node `id`.
    pub fn log(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.log"))
    }

    /// Process ids of the agents.
    pub fn pids(&self) -> Vec<u32> {
        self.children.pids()
    }

    /// Waits until every gateway answers `/healthz` and every control API
    /// lists its neighbours as available; returns the seconds waited. With
    /// `tick`, ends a slot of every (externally clocked) agent on each poll so
    /// that they publish their state. Fails with the agents' log tails when an
    /// agent exits or `timeout` passes.
    pub async fn wait_ready(&mut self, client: &Client, timeout: Duration, tick: bool) -> Result<f64> {
        let started = Instant::now();
        let deadline = started + timeout;
        loop {
            if let Some((name, st)) = self.children.exited() {
                bail!("agent {name} exited ({st}) before the federation formed:\n{}", log_tail(&self.log(&name)));
            }
            let mut ready = true;
            for p in &self.plans {
                let ctl = p.control_client(client, Duration::from_secs(2));
                if tick {
                    let _ = ctl.tick(None).await;
                }
                let healthy = matches!(
                    call(client, Method::GET, format!("http://{}/healthz", p.gateway), "").await,
                    Some((200, _))
                );
                let seen = ctl.neighbors().await.map_or(0, |v| v.iter().filter(|n| n.available).count());
                ready &= healthy && seen >= p.neighbors.len();
            }
            if ready {
                return Ok(started.elapsed().as_secs_f64());
            }
            if Instant::now() >= deadline {
                let logs: Vec<String> =
                    self.plans.iter().map(|p| format!("--- {}:\n{}", p.id, log_tail(&self.log(&p.id)))).collect();
                bail!("the federation did not form within {timeout:?}\n{}", logs.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Kills every agent; removes a temporary folder when `clean` is set.
    pub fn stop(&mut self, clean: bool) {
        self.children.stop_all();
        if clean && self.temp {
            let _ = std::fs::remove_dir_all(&self.dir);
            self.temp = false;
        }
    }

    /// Whether the folder is a temporary one.
    pub fn is_temporary(&self) -> bool {
        self.temp
    }
}

impl Drop for Federation {
    fn drop(&mut self) {
        self.children.stop_all();
    }
}
