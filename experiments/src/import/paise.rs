//! marl-dfaas paise2025 (IPDPSW 2025): a JSON env config as a queue-model scenario.

use serde::Deserialize;

use super::{adjacency, quote};

/// Options for paise2025 configs.
#[derive(Debug, Clone, Default)]
pub struct PaiseOptions {
    /// Our per-neighbour action instead of the published 3-way even-floor split.
    pub per_neighbor: bool,
}

/// The keys `dfaas_env.py` reads (upstream ignores any other; here it is an error).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    network: Option<Vec<String>>,
    queue_capacity: Option<u32>,
    max_steps: Option<usize>,
    input_requests_type: Option<String>,
    evaluation: Option<bool>,
}

pub(super) fn to_scenario(text: &str, name: &str, file: &str, opts: &PaiseOptions) -> Result<String, String> {
    let c: Config = serde_json::from_str(text).map_err(|e| format!("not a marl-dfaas paise2025 config: {e}"))?;
    let network = c.network.clone().unwrap_or_else(|| vec!["node_0 node_1".into()]);
    let mut notes = vec![format!("Imported from marl-dfaas paise2025 config {file} by `dfaas import marl-dfaas`.")];
    let workload = match c.input_requests_type.as_deref().unwrap_or("synthetic-sinusoidal") {
        "synthetic-sinusoidal" => "kind = \"sinusoidal-paper\"   # requests per slot".to_string(),
        "synthetic-normal" => {
            notes.push("synthetic-normal: N(61, 32) requests per 300 s slot clipped to [0, 150], as rates.".into());
            format!(
                "kind = \"normal\"\nmean_rps = {:?}\nstd_rps = {:?}\nmin_rps = 0.0\nmax_rps = {:?}",
                61.0 / 300.0,
                32.0 / 300.0,
                150.0 / 300.0
            )
        }
        "real" => {
            return Err("input_requests_type = \"real\": the Azure trace and its train/eval day split are not \
                        imported; write [workload] kind = \"azure\" with your file by hand"
                .into());
        }
        other => return Err(format!("input_requests_type = {other:?}: unknown to marl-dfaas paise2025")),
    };
    if c.evaluation == Some(true) {
        notes.push(
            "evaluation = true: evaluation is a command here (dfaas evaluate/compare), not a scenario field.".into(),
        );
    }
    let split = if opts.per_neighbor {
        "\"per-neighbor\"   # this simulator's per-neighbour action (published: even-floor)"
    } else {
        "\"even-floor\"   # published: 3-way simplex, forward count split evenly, remainder lost"
    };
    let comments: String = notes.iter().map(|n| format!("# {n}\n")).collect();
    Ok(format!(
        "{comments}name = {name}\ndescription = {desc}\n\n[episode]\nmax_steps = {max_steps}\n\
         slot_seconds = 300.0   # five-minute slots (counts are requests per slot)\n\n\
         [seeds]\nmaster = 42\nbuild = 42\nevaluation_episodes = 10\n\n\
         [topology]\nadjacency = {adj}\n\n\
         [model]\nkind = \"queue\"\ncpu_shares = 1000.0\nram_mb = 8000.0\nqueue_capacity = {q}\nforward_split = {split}\n\n\
         [workload]\n{workload}\n",
        name = quote(name),
        desc = quote(&format!("imported from marl-dfaas paise2025 ({file})")),
        max_steps = c.max_steps.unwrap_or(288),
        adj = adjacency(&network)?,
        q = c.queue_capacity.unwrap_or(100),
    ))
}
