//! marl-dfaas master: a `DFaaSConfig` YAML (`dfaas_env_config.py`) as a
//! serverless-model scenario.
//!
//! Build-time samples (service times, request sizes and memory) come from
//! numpy's generator seeded by `build_seed`; they are known here for the
//! default ranges and `build_seed` 42 (warm 137, cold 513, input 1943 B,
//! output 1131 B, memory 516 MB → 7 instances in 4 GB), or taken from the
//! config when it states them (an exported config does). Anything else
//! cannot be reproduced and is refused.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{adjacency, quote};

/// How upstream's service times are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Units {
    /// As milliseconds (the config's own comments): our `seconds` preset.
    #[default]
    Seconds,
    /// As upstream feeds them to its model (seconds): `master-as-is`.
    AsIs,
}

/// Options for master configs.
#[derive(Debug, Clone, Default)]
pub struct MasterOptions {
    pub units: Units,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    network: Option<Vec<String>>,
    max_steps: Option<usize>,
    input_rate_method: Option<String>,
    input_rate_same_method: Option<bool>,
    evaluation: Option<bool>,
    bandwidth_base_trace_path: Option<String>,
    network_links: Option<BTreeMap<String, BTreeMap<String, Link>>>,
    request_input_data_size_bytes_range: Option<[f64; 2]>,
    request_input_data_size_bytes_mean_std: Option<[f64; 2]>,
    request_input_data_size_bytes: Option<u64>,
    request_output_data_size_bytes_range: Option<[f64; 2]>,
    request_output_data_size_bytes_mean_std: Option<[f64; 2]>,
    request_output_data_size_bytes: Option<u64>,
    request_memory_mb_range: Option<[f64; 2]>,
    request_memory_mb: Option<u64>,
    warm_service_time_range: Option<[f64; 2]>,
    cold_service_time_range: Option<[f64; 2]>,
    warm_service_time: Option<f64>,
    cold_service_time: Option<f64>,
    node_ram_gb: Option<BTreeMap<String, f64>>,
    perfmodel_params: Option<BTreeMap<String, NodeParams>>,
    build_seed: Option<u64>,
    seed: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    access_delay_ms: Option<f64>,
    bandwidth_mbps_method: Option<String>,
    bandwidth_mbps_mean: Option<f64>,
    bandwidth_mbps_random_noise: Option<f64>,
    bandwidth_mbps: Option<Vec<f64>>,
}

/// Per-node model parameters; upstream overwrites the service times with
/// the shared sample, so they are read (known keys) and not used.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeParams {
    #[serde(rename = "warm_service_time")]
    _warm_service_time: Option<f64>,
    #[serde(rename = "cold_service_time")]
    _cold_service_time: Option<f64>,
    idle_time_before_kill: Option<f64>,
    maximum_concurrency: Option<u32>,
}

/// The value every entry agrees on, or an error naming the disagreement.
fn same<T: PartialEq + Copy + std::fmt::Debug>(
    what: &str,
    values: impl Iterator<Item = (String, T)>,
) -> Result<Option<T>, String> {
    let mut first: Option<(String, T)> = None;
    for (k, v) in values {
        match &first {
            None => first = Some((k, v)),
            Some((k0, v0)) if *v0 != v => {
                return Err(format!(
                    "{what} differs between {k0} ({v0:?}) and {k} ({v:?}): this simulator takes one value for every node or link"
                ));
            }
            _ => {}
        }
    }
    Ok(first.map(|(_, v)| v))
}

/// A sampling key, the range the config gives (if any) and upstream's default.
type SamplingKey<'a> = (&'a str, Option<[f64; 2]>, [f64; 2]);

/// A build-time sample: stated, or known for the default range and build seed 42.
fn sample(
    key: &str,
    stated: Option<f64>,
    ranges: &[SamplingKey<'_>],
    build_seed: u64,
    known: f64,
) -> Result<f64, String> {
    if let Some(v) = stated {
        return Ok(v);
    }
    for (name, given, default) in ranges {
        if let Some(g) = given
            && g != default
        {
            return Err(format!(
                "{name} = {g:?} (default {default:?}) without `{key}`: its value is drawn by numpy's generator, \
                 which this importer cannot reproduce; state `{key}` in the config"
            ));
        }
    }
    if build_seed != 42 {
        return Err(format!(
            "build_seed = {build_seed} without `{key}`: the sample is known only for build_seed 42; state `{key}`"
        ));
    }
    Ok(known)
}

pub(super) fn to_scenario(text: &str, name: &str, file: &str, opts: &MasterOptions) -> Result<String, String> {
    let c: Config = serde_saphyr::from_str(text).map_err(|e| format!("not a marl-dfaas master config: {e}"))?;
    let network = c.network.clone().unwrap_or_else(|| vec!["node_0 node_1".into()]);
    let max_steps = c.max_steps.unwrap_or(288);
    let build_seed = c.build_seed.unwrap_or(42);
    let mut notes = vec![format!("Imported from marl-dfaas master config {file} by `dfaas import marl-dfaas`.")];
    let workload = workload_table(&c, &mut notes)?;
    if c.input_rate_same_method.is_some() {
        notes.push("input_rate_same_method only selects a callback's bookkeeping upstream: not imported.".into());
    }
    if c.evaluation == Some(true) {
        notes.push(
            "evaluation = true: evaluation is a command here (dfaas evaluate/compare), not a scenario field.".into(),
        );
    }
    let ModelParams { warm_s, cold_s, idle, max_concurrency } = model_params(&c, opts, build_seed, &mut notes)?;
    let LinkParams { delay_ms, mean_mbps, request_bytes, response_bytes } = link_params(&c, build_seed, &mut notes)?;
    let comments: String = notes.iter().map(|n| format!("# {n}\n")).collect();
    Ok(format!(
        "{comments}name = {name}\ndescription = {desc}\n\n[episode]\nmax_steps = {max_steps}\n\
         slot_seconds = 1.0   # upstream feeds each step's count to its model as a rate in req/s\n\n\
         [seeds]\nmaster = {master}\nbuild = {build_seed}\nevaluation_episodes = 10\n\n\
         [topology]\nadjacency = {adj}\n\n\
         [model]\nkind = \"serverless\"\nwarm_service_s = {warm_s:?}\ncold_service_s = {cold_s:?}\n\
         idle_timeout_s = {idle:?}\nmax_concurrency = {max_concurrency}\nstate_cap = \"faster\"\n\n\
         [workload]\n{workload}\n\n\
         [links]\naccess_delay_s = {delay_s:?}\nrequest_bytes = {request_bytes}\nresponse_bytes = {response_bytes}\n\
         bandwidth = {{ kind = \"constant\", mbps = {mean_mbps:?} }}\n",
        name = quote(name),
        desc = quote(&format!("imported from marl-dfaas master ({file})")),
        master = c.seed.unwrap_or(42),
        adj = adjacency(&network)?,
        delay_s = delay_ms / 1000.0,
        request_bytes = request_bytes as u64,
        response_bytes = response_bytes as u64,
    ))
}

/// The `[workload]` table for upstream's `input_rate_method`.
fn workload_table(c: &Config, notes: &mut Vec<String>) -> Result<String, String> {
    Ok(match c.input_rate_method.as_deref().unwrap_or("synthetic-sinusoidal") {
        "synthetic-sinusoidal" => {
            "kind = \"sinusoidal-master\"   # requests per slot\nscale_down_per_agent = 63".to_string()
        }
        "synthetic-normal" => {
            notes.push(
                "synthetic-normal: N(61, 32) req/s clipped to [1, 150]; upstream's scale_down has no equivalent."
                    .into(),
            );
            "kind = \"normal\"\nmean_rps = 61.0\nstd_rps = 32.0\nmin_rps = 1.0\nmax_rps = 150.0".to_string()
        }
        "synthetic-constant" => "kind = \"constant\"\nrate_rps = [5.0, 100.0]".to_string(),
        "synthetic-linear-growth" => "kind = \"linear\"\nfrom_rps = [5.0, 1.0]\nto_rps = [5.0, 150.0]".to_string(),
        "synthetic-step-change" => "kind = \"step\"\nbefore_rps = [5.0, 100.0]\nafter_rps = [70.0, 30.0]".to_string(),
        other @ ("synthetic-double-linear-growth" | "real") => {
            return Err(format!(
                "input_rate_method = {other:?}: no equivalent here (random endpoints / the train-eval day split of \
                 the Azure trace); write the scenario's [workload] by hand"
            ));
        }
        other => return Err(format!("input_rate_method = {other:?}: unknown to marl-dfaas master")),
    })
}

/// The serverless model's parameters.
struct ModelParams {
    warm_s: f64,
    cold_s: f64,
    idle: f64,
    max_concurrency: u32,
}

/// Service times, idle timeout and concurrency, drawn as upstream draws them.
fn model_params(
    c: &Config,
    opts: &MasterOptions,
    build_seed: u64,
    notes: &mut Vec<String>,
) -> Result<ModelParams, String> {
    // Service times (ms in the config's comments; fed to the model as seconds),
    // drawn together upstream: either range changes both samples.
    let service_ranges = [
        ("warm_service_time_range", c.warm_service_time_range, [100.0, 500.0]),
        ("cold_service_time_range", c.cold_service_time_range, [250.0, 750.0]),
    ];
    let warm = sample("warm_service_time", c.warm_service_time, &service_ranges, build_seed, 137.0)?;
    let cold = sample("cold_service_time", c.cold_service_time, &service_ranges, build_seed, 513.0)?;
    let to_s = |v: f64| match opts.units {
        Units::Seconds => v / 1000.0,
        Units::AsIs => v,
    };
    let params = c.perfmodel_params.as_ref();
    let idle = same(
        "perfmodel_params.*.idle_time_before_kill",
        params.into_iter().flatten().filter_map(|(n, p)| p.idle_time_before_kill.map(|v| (n.clone(), v))),
    )?
    .unwrap_or(30.0);
    if idle <= 0.0 {
        return Err(format!(
            "perfmodel_params.*.idle_time_before_kill = {idle}: the idle timeout must be positive here"
        ));
    }
    let stated_m = same(
        "perfmodel_params.*.maximum_concurrency",
        params.into_iter().flatten().filter_map(|(n, p)| p.maximum_concurrency.map(|v| (n.clone(), v))),
    )?;
    let memory = sample(
        "request_memory_mb",
        c.request_memory_mb.map(|v| v as f64),
        &[("request_memory_mb_range", c.request_memory_mb_range, [128.0, 1024.0])],
        build_seed,
        516.0,
    )?;
    if c.node_ram_gb.is_some() && c.network.is_some() {
        notes.push("node_ram_gb is discarded upstream when `network` is given (4 GB per node): so here too.".into());
    } else if let Some(ram) = &c.node_ram_gb
        && ram.values().any(|&g| g != 4.0)
    {
        return Err(format!("node_ram_gb = {ram:?}: only 4 GB per node (upstream's default) is supported"));
    }
    let max_concurrency = stated_m.unwrap_or_else(|| ((4.0 * 1024.0) / memory).floor() as u32);
    if max_concurrency == 0 {
        return Err(format!("request_memory_mb = {memory}: no instance fits in 4 GB"));
    }

    Ok(ModelParams { warm_s: to_s(warm), cold_s: to_s(cold), idle, max_concurrency })
}

/// The `[links]` parameters.
struct LinkParams {
    delay_ms: f64,
    mean_mbps: f64,
    request_bytes: f64,
    response_bytes: f64,
}

/// Link delay, bandwidth and request sizes (one model for every link).
fn link_params(c: &Config, build_seed: u64, notes: &mut Vec<String>) -> Result<LinkParams, String> {
    // Links and request sizes.
    let links = c.network_links.as_ref();
    let each = || links.into_iter().flatten().flat_map(|(u, m)| m.iter().map(move |(v, l)| (format!("{u}–{v}"), l)));
    let delay_ms =
        same("network_links.*.access_delay_ms", each().filter_map(|(k, l)| l.access_delay_ms.map(|v| (k, v))))?
            .unwrap_or(5.0);
    let method = {
        let methods: Vec<(String, &str)> =
            each().filter_map(|(k, l)| l.bandwidth_mbps_method.as_deref().map(|m| (k, m))).collect();
        same("network_links.*.bandwidth_mbps_method", methods.into_iter())?.unwrap_or("generated").to_string()
    };
    let mean_mbps =
        same("network_links.*.bandwidth_mbps_mean", each().filter_map(|(k, l)| l.bandwidth_mbps_mean.map(|v| (k, v))))?
            .unwrap_or(100.0);
    let _ = same(
        "network_links.*.bandwidth_mbps_random_noise",
        each().filter_map(|(k, l)| l.bandwidth_mbps_random_noise.map(|v| (k, v))),
    )?;
    match method.as_str() {
        "generated" => notes.push(format!(
            "links: upstream generates each link's bandwidth from its 5G trace (mean {mean_mbps} Mbps); \
             here a constant {mean_mbps} Mbps, as the shipped marl-master scenarios (delays feed metrics only)"
        )),
        "static-single" => {}
        "static-trace" => {
            if each().any(|(_, l)| l.bandwidth_mbps.is_some()) {
                return Err(
                    "network_links.*.bandwidth_mbps_method = \"static-trace\": per-link, per-step bandwidth lists \
                            have no equivalent (one bandwidth model for every link)"
                        .into(),
                );
            }
        }
        other => {
            return Err(format!("network_links.*.bandwidth_mbps_method = {other:?}: unknown to marl-dfaas master"));
        }
    }
    if let Some(p) = &c.bandwidth_base_trace_path {
        notes.push(format!("bandwidth_base_trace_path {p:?}: not read (constant bandwidth)."));
    }
    let request_bytes = sample(
        "request_input_data_size_bytes",
        c.request_input_data_size_bytes.map(|v| v as f64),
        &[
            ("request_input_data_size_bytes_range", c.request_input_data_size_bytes_range, [100.0, 5242880.0]),
            ("request_input_data_size_bytes_mean_std", c.request_input_data_size_bytes_mean_std, [1024.0, 1024.0]),
        ],
        build_seed,
        1943.0,
    )?;
    let response_bytes = sample(
        "request_output_data_size_bytes",
        c.request_output_data_size_bytes.map(|v| v as f64),
        &[
            ("request_output_data_size_bytes_range", c.request_output_data_size_bytes_range, [100.0, 5242880.0]),
            ("request_output_data_size_bytes_mean_std", c.request_output_data_size_bytes_mean_std, [1024.0, 1024.0]),
        ],
        build_seed,
        1131.0,
    )?;

    Ok(LinkParams { delay_ms, mean_mbps, request_bytes, response_bytes })
}
