//! `dfaas train`: multi-agent PPO in the simulator.

use std::path::PathBuf;

use anyhow::{Result, bail};
use dfaas_training::TrainConfig;
use dfaas_training::compute::Compute;
use dfaas_training::trainer::Trainer;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML); or give `--config`.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Experiment file (TOML: scenario, preset, hyperparameters).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Hyperparameter preset: default, paper or master.
    #[arg(long)]
    preset: Option<String>,
    /// Algorithm (only `ppo`).
    #[arg(long, default_value = "ppo")]
    algo: String,
    /// Training iterations (overrides the preset/file).
    #[arg(long)]
    iterations: Option<usize>,
    /// Seed (overrides the preset/file).
    #[arg(long)]
    seed: Option<u64>,
    /// Reward maximised: `team` (the federation's processed share; the default
    /// preset's), `env` (the model's own) or `rejections` (1 − (2R + LR + FR)/I, per agent).
    #[arg(long)]
    reward: Option<String>,
    /// What the critic sees: `local` (the agent's own observation) or
    /// `central` (every agent's, MAPPO-style; the exported actor is unchanged).
    #[arg(long)]
    critic: Option<String>,
    /// Worker threads for rollouts.
    #[arg(long)]
    threads: Option<usize>,
    /// Run directory (default: `runs/<scenario>-<preset>-s<seed>`).
    #[arg(long)]
    run: Option<PathBuf>,
    /// Continue the run in this directory from its latest checkpoint.
    #[arg(long, conflicts_with_all = ["scenario", "config", "preset", "run"])]
    resume: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Where the PPO updates run: cpu; `cuda[:N]` in a build with `--features cuda`;
    /// wgpu with `--features wgpu` (rollouts stay on the CPU).
    #[arg(long, default_value = "cpu")]
    device: String,
}

pub fn run(a: Args) -> Result<()> {
    if a.algo != "ppo" {
        bail!("--algo {}: only `ppo` is implemented", a.algo);
    }
    let progress = !a.quiet && super::progress(false);
    let compute = Compute::parse(&a.device).map_err(anyhow::Error::msg)?;
    let mut trainer = match &a.resume {
        Some(dir) => Trainer::resume_on(dir, progress, compute)?,
        None => {
            let mut cfg = match (&a.config, &a.scenario) {
                (Some(c), _) => TrainConfig::load(c)?,
                (None, Some(s)) => {
                    let preset = a.preset.as_deref().unwrap_or("default");
                    TrainConfig::preset(preset, s.clone()).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--preset {preset}: unknown; known: {}",
                            dfaas_training::config::PRESETS.join(", ")
                        )
                    })?
                }
                (None, None) => bail!("give --scenario (with --preset) or --config, or --resume a run"),
            };
            if let (Some(p), Some(_)) = (&a.preset, &a.config) {
                bail!("--preset {p} with --config: put `preset = \"{p}\"` in the experiment file");
            }
            if let Some(i) = a.iterations {
                cfg.iterations = i;
            }
            if let Some(s) = a.seed {
                cfg.seed = s;
            }
            if let Some(r) = &a.reward {
                use dfaas_training::config::RewardChoice;
                cfg.reward = RewardChoice::parse(r).ok_or_else(|| {
                    anyhow::anyhow!("--reward {r}: unknown; known: {}", RewardChoice::NAMES.join(", "))
                })?;
            }
            if let Some(c) = &a.critic {
                use dfaas_training::config::CriticInput;
                cfg.critic = CriticInput::parse(c).ok_or_else(|| {
                    anyhow::anyhow!("--critic {c}: unknown; known: {}", CriticInput::NAMES.join(", "))
                })?;
            }
            if let Some(t) = a.threads {
                cfg.rollout.threads = t;
            }
            cfg.validate(a.config.as_deref().unwrap_or(std::path::Path::new("command line")))?;
            let stem = cfg.scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let dir =
                a.run.clone().unwrap_or_else(|| PathBuf::from(format!("runs/{stem}-{}-s{}", cfg.preset, cfg.seed)));
            Trainer::create_on(cfg, &dir, progress, compute)?
        }
    };
    let total = trainer.total_agent_steps();
    eprintln!(
        "training {} ({} preset, {:?} mode, updates on {compute}) in {}: {} iterations, {} agent steps",
        trainer.scenario.name,
        trainer.cfg.preset,
        trainer.cfg.mode,
        trainer.run_dir.display(),
        trainer.cfg.iterations,
        total
    );
    let reports = trainer.run()?;
    let dir = trainer.run_dir.clone();
    let state = trainer.finish()?;
    if let Some(last) = reports.last() {
        println!(
            "done: {} iterations, {} agent steps in {:.1} s ({:.0} agent-steps/s including updates); \
             last iteration: processed ratio {:.4}, mean episode reward {:.3}",
            state.iteration,
            state.agent_steps,
            state.wall_seconds,
            state.agent_steps as f64 / state.wall_seconds.max(1e-9),
            last.processed_ratio,
            last.reward_mean
        );
    }
    println!("run directory: {} (TensorBoard: {}/tensorboard)", dir.display(), dir.display());
    Ok(())
}
