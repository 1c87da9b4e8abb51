//! `dfaas sim2real --scenario F (--policy P | --model M)`: one policy on the
//! same workload and slots in the simulator and on a live local cluster, side
//! by side with the gap per metric (JSON: see `Sim2RealReport`). By default
//! through the deployed path (agents on their own timers, deciding for
//! themselves; `dfaas_live::deployed`); `--driven` plays the live
//! environment's episodes instead (decisions from the simulator's
//! observations, slots ended by `POST /tick`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use dfaas_env::Scenario;
use dfaas_experiments::Contender;
use dfaas_live::deployed::{DeployedOpts, run_deployed};
use dfaas_live::live_env::{LiveEnv, LiveOpts, Sim2RealReport};
use dfaas_reports::Document;

/// Options of a live run (shared with `dfaas evaluate --live`).
#[derive(clap::Args, Debug, Clone)]
pub struct LiveArgs {
    /// Slots per episode (default: the scenario's max_steps, at most 60).
    #[arg(long)]
    pub slots: Option<usize>,
    /// Live slot length, seconds (the simulator side uses the same).
    #[arg(long, default_value_t = 1.0)]
    pub slot_seconds: f64,
    /// Folder for the agents' configs, keys and logs (kept); default a temporary one.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Longest wait for the federation to form, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub ready_timeout: f64,
    /// Admission queue per function instance on the live nodes. The default, 1,
    /// is the closest a live node gets to the simulator's capacity model (which
    /// carries nothing between slots); `dfaas cluster` configures 4.
    #[arg(long, default_value_t = 1)]
    pub queue_per_instance: u32,
}

impl LiveArgs {
    /// The live options for `scenario`.
    pub fn opts(&self, scenario: &Scenario) -> Result<LiveOpts> {
        if !(self.ready_timeout.is_finite() && self.ready_timeout > 0.0) {
            bail!("--ready-timeout must be > 0");
        }
        let slots = self.slots.unwrap_or(scenario.episode.max_steps.min(60));
        let mut o = LiveOpts::new(self.slot_seconds, slots);
        o.ready_timeout = Duration::from_secs_f64(self.ready_timeout);
        o.queue_per_instance = Some(self.queue_per_instance);
        Ok(o)
    }

    /// Starts a live local cluster for `scenario` (agents from this binary).
    pub fn start(&self, scenario: &Scenario) -> Result<LiveEnv> {
        let exe = std::env::current_exe().context("locating the dfaas binary")?;
        LiveEnv::start(scenario, self.opts(scenario)?, &exe, self.out.clone())
    }
}

/// `--policy P` or `--model M` as a contender (a per-node policy; not a reference).
pub fn contender(policy: Option<&str>, model: Option<&std::path::Path>) -> Result<Contender> {
    let c = match (policy, model) {
        (Some(_), Some(_)) => bail!("give --policy or --model, not both"),
        (None, Some(m)) => Contender::learned(m)?,
        (Some(p), None) => Contender::parse(p)?,
        (None, None) => bail!("give --policy NAME or --model FILE"),
    };
    if c.is_reference() {
        bail!("{} is a centralised reference and cannot run on live nodes; give a per-node policy", c.name());
    }
    Ok(c)
}

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (`capacity` or `serverless` model).
    #[arg(long)]
    scenario: PathBuf,
    /// Heuristic policy of every node.
    #[arg(long)]
    policy: Option<String>,
    /// Learned policy file exported by `dfaas export`.
    #[arg(long, conflicts_with = "policy")]
    model: Option<PathBuf>,
    /// Episodes (default 1), each with its own workload seed.
    #[arg(long, default_value_t = 1)]
    episodes: usize,
    /// Seed of the episode list (default: the scenario's evaluation seeds).
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    live: LiveArgs,
    /// Drive the agents through the live environment (`POST /tick`) instead
    /// of letting them run on their own timers.
    #[arg(long)]
    driven: bool,
    /// `--netns` runs the deployed path only (not with --driven).
    #[command(flatten)]
    net: super::NetnsArgs,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    if a.driven && a.net.netns {
        bail!("--netns runs the deployed path: give it without --driven");
    }
    let scenario = super::load(&a.scenario)?;
    let contender = contender(a.policy.as_deref(), a.model.as_deref())?;
    let seeds = super::evaluation_seeds(&scenario, a.seed, a.episodes)?;
    super::stop_agents_on_signal("dfaas sim2real")?;
    let reports = if a.driven {
        let mut env = a.live.start(&scenario)?;
        vec![Sim2RealReport::run(&scenario, &mut env, &contender, &seeds)?]
    } else {
        let o = a.live.opts(&scenario)?;
        let exe = std::env::current_exe().context("locating the dfaas binary")?;
        let mut out = Vec::new();
        for (k, &seed) in seeds.iter().enumerate() {
            let opts = DeployedOpts {
                slot_seconds: o.slot_seconds,
                slots: o.slots,
                seed,
                exe: exe.clone(),
                out: a
                    .live
                    .out
                    .as_ref()
                    .map(|d| if seeds.len() > 1 { d.join(format!("episode-{k}")) } else { d.clone() }),
                ready_timeout: o.ready_timeout,
                queue_per_instance: a.live.queue_per_instance,
                netns: a.net.netns,
                no_shaping: a.net.no_shaping,
            };
            out.push(run_deployed(&scenario, &contender, &opts)?);
        }
        out
    };
    if reports.len() == 1 {
        let report = reports.into_iter().next().expect("one report");
        super::print_report(report, a.json, |r| r.to_text())
    } else if a.json {
        // One tagged document per episode, as a JSON array.
        let docs: Vec<Document> = reports.into_iter().map(Document::from).collect();
        super::emit(&format!("{}\n", Document::list_to_json_pretty(&docs)))
    } else {
        super::emit(&reports.iter().map(|r| r.to_text()).collect::<String>())
    }
}
