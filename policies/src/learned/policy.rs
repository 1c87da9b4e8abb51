//! `LearnedPolicy`: a policy file's network serving one node.

use std::fmt;
use std::path::Path;

use dfaas_env::encoding::{Encoding, FUNCTIONS_VERSION};
use dfaas_env::{Decision, NodeObservation, Topology};

use super::encode::NodeEncoder;
use super::file::LearnedFile;
use super::format::{IN_MEMORY, PolicyFile};
use super::meta::{ActionLayout, Mode, NetworkMeta, OutputKind, PolicyMeta};
use super::mlp::{Mlp, MlpScratch};
use crate::{Policy, PolicyError};

/// The node a learned policy is loaded for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeContext {
    /// The node's name.
    pub name: String,
    /// Its neighbours' names, in action order.
    pub neighbors: Vec<String>,
    /// The workload period the node's observations are phased by
    /// (a scenario's `observation.period_slots`, an agent's
    /// `--period-slots`); must equal the file's.
    pub period_slots: Option<u32>,
}

impl NodeContext {
    /// Node `node` of `topology`, or `None` if there is no such node.
    pub fn from_topology(topology: &Topology, node: usize) -> Option<Self> {
        let names = topology.names();
        Some(Self {
            name: names.get(node)?.clone(),
            neighbors: topology.neighbors(node).iter().map(|&j| names[j].clone()).collect(),
            period_slots: None,
        })
    }
}

/// Why a decision fell back to all-local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The network produced a non-finite or all-zero concentration.
    NonFinite,
    /// The observation's degree is not one the policy was loaded for.
    DegreeMismatch { expected: usize, found: usize },
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fallback::NonFinite => f.write_str("the network output is not finite"),
            Fallback::DegreeMismatch { expected, found } => {
                write!(f, "the observation has {found} neighbours, the policy serves {expected}")
            }
        }
    }
}

/// A trained network acting for one node: encode → MLP → Dirichlet mean.
///
/// Decisions are deterministic: the Dirichlet mean `α / Σα`, without the
/// entries a sample would send less than one request of the predicted input
/// more often than not ([`drop_sub_request`]), so that the mass a Dirichlet
/// mean always leaves on every entry does not reject or forward requests the
/// policy does not mean to. With the three-way layout a
/// decision has 3 entries `[local, forward, reject]` (for the simulator's
/// even-floor mode); otherwise `degree + 2`. Never panics: a non-finite
/// output or an observation of the wrong degree gives all-local and is
/// counted ([`fallbacks`](Self::fallbacks)).
#[derive(Debug, Clone)]
pub struct LearnedPolicy {
    name: String,
    layout: ActionLayout,
    encoder: NodeEncoder,
    net: Net,
    output: OutputKind,
    /// ONNX metadata's normalisation `(mean, std)` applied before the network.
    normalise: Option<(Vec<f32>, Vec<f32>)>,
    obs_buf: Vec<f32>,
    out_buf: Vec<f32>,
    degree: usize,
    /// A shared normalized network padded to `max_degree` serves any degree up to it.
    any_degree_up_to: Option<usize>,
    fallbacks: u64,
    last_fallback: Option<Fallback>,
}

/// The network behind a learned policy.
#[derive(Debug, Clone)]
enum Net {
    /// A `.dfpolicy` network (pure-Rust forward pass).
    Mlp { mlp: Mlp, scratch: MlpScratch },
    /// An ONNX network run by tract.
    #[cfg(feature = "onnx")]
    Onnx(super::onnx::OnnxModel),
}

impl LearnedPolicy {
    /// A learned file of either format serving `node`, read from `path`.
    pub fn from_file(file: &LearnedFile, node: &NodeContext, path: &Path) -> Result<Self, PolicyError> {
        match file {
            LearnedFile::Native(f) => Self::with_origin(f, node, path),
            #[cfg(feature = "onnx")]
            LearnedFile::Onnx(m) => Self::from_onnx(m, node, path),
        }
    }

    /// Loads `file`'s network for `node`; named `learned:in-memory`.
    pub fn new(file: &PolicyFile, node: &NodeContext) -> Result<Self, PolicyError> {
        Self::build(file, node, IN_MEMORY, "in-memory".to_string())
    }

    /// As [`new`](Self::new), for a file read from `path` (named in errors;
    /// the policy is named `learned:<file stem>`).
    pub fn with_origin(file: &PolicyFile, node: &NodeContext, path: &Path) -> Result<Self, PolicyError> {
        let stem =
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        Self::build(file, node, &path.display().to_string(), stem)
    }

    fn build(file: &PolicyFile, node: &NodeContext, origin: &str, stem: String) -> Result<Self, PolicyError> {
        file.check(origin)?;
        let meta = &file.meta;
        let degree = node.neighbors.len();
        encoding_fits(meta.encoding, meta.encoding_version, node, origin)?;
        let net = network_for(meta, node, origin)?;
        let encoder = NodeEncoder::new(meta.encoding, &node.neighbors);
        check_shapes(meta, net, &encoder, degree, origin)?;
        let mlp = Mlp::new(net, &file.weights)
            .map_err(|reason| PolicyError::ModelFile { file: origin.to_string(), reason })?;
        let padded =
            meta.action_layout == ActionLayout::ThreeWay || net.output_dim == meta.max_degree.saturating_add(2);
        let any_degree_up_to = match meta.encoding {
            Encoding::Normalized { max_degree, .. } if meta.mode == Mode::Shared && padded => Some(max_degree),
            _ => None,
        };
        Ok(Self {
            name: format!("learned:{stem}"),
            layout: meta.action_layout,
            net: Net::Mlp { scratch: mlp.scratch(), mlp },
            output: OutputKind::Concentration,
            normalise: None,
            obs_buf: Vec::with_capacity(net.input_dim),
            out_buf: Vec::with_capacity(net.output_dim),
            encoder,
            degree,
            any_degree_up_to,
            fallbacks: 0,
            last_fallback: None,
        })
    }

    /// An ONNX policy serving `node`, read from `path`: its metadata must
    /// fit the node (encoding version, period, degree), or the error names
    /// what differs.
    #[cfg(feature = "onnx")]
    pub fn from_onnx(model: &super::onnx::OnnxModel, node: &NodeContext, path: &Path) -> Result<Self, PolicyError> {
        let origin = path.display().to_string();
        let stem =
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        let meta = &model.meta;
        let incompatible = |what: String, expected: String, found: String| PolicyError::Incompatible {
            file: origin.clone(),
            what,
            expected,
            found,
        };
        encoding_fits(meta.encoding, meta.encoding_version, node, &origin)?;
        let (enc_name, _) = encoding_name_version(meta.encoding);
        let degree = node.neighbors.len();
        if degree > meta.max_degree {
            return Err(incompatible(
                "degree (the metadata's max_degree)".into(),
                format!("at most {}", meta.max_degree),
                degree.to_string(),
            ));
        }
        let encoder = NodeEncoder::new(meta.encoding, &node.neighbors);
        if encoder.dim(degree) != meta.input_dim() {
            return Err(incompatible(
                format!("observation size of the `{enc_name}` encoding"),
                meta.input_dim().to_string(),
                encoder.dim(degree).to_string(),
            ));
        }
        let normalise = meta.obs_mean.clone().zip(meta.obs_std.clone());
        Ok(Self {
            name: format!("learned:{stem}"),
            layout: meta.action_layout,
            net: Net::Onnx(model.clone()),
            output: meta.output,
            normalise,
            obs_buf: Vec::with_capacity(meta.input_dim()),
            out_buf: Vec::with_capacity(meta.output_dim()),
            encoder,
            degree,
            any_degree_up_to: Some(meta.max_degree),
            fallbacks: 0,
            last_fallback: None,
        })
    }

    /// The file's action layout (a three-way policy needs a simulator in even-floor mode).
    pub fn action_layout(&self) -> ActionLayout {
        self.layout
    }

    /// The observation encoding the network expects.
    pub fn encoding(&self) -> Encoding {
        self.encoder.encoding()
    }

    /// How many decisions fell back to all-local.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks
    }

    /// Why the latest fallback happened, if any did.
    pub fn last_fallback(&self) -> Option<Fallback> {
        self.last_fallback
    }

    fn fall_back(&mut self, why: Fallback, degree: usize) -> Decision {
        self.fallbacks += 1;
        self.last_fallback = Some(why);
        match self.layout {
            ActionLayout::ThreeWay => Decision::all_local(1),
            ActionLayout::PerNeighbor => Decision::all_local(degree),
        }
    }

    fn degree_ok(&self, d: usize) -> bool {
        match self.any_degree_up_to {
            Some(max) => d <= max,
            None => d == self.degree,
        }
    }
}

/// Whether a network trained on `encoding` of `version` can read `node`'s
/// observations (this build's encoder version, the same workload period).
fn encoding_fits(encoding: Encoding, version: u32, node: &NodeContext, origin: &str) -> Result<(), PolicyError> {
    let incompatible = |what: String, expected: String, found: String| PolicyError::Incompatible {
        file: origin.to_string(),
        what,
        expected,
        found,
    };
    let (enc_name, enc_version) = encoding_name_version(encoding);
    if version > enc_version || version == 0 {
        return Err(incompatible(
            format!("version of the `{enc_name}` encoding (the node runs this build's)"),
            version.to_string(),
            format!("versions 1 to {enc_version}"),
        ));
    }
    let file_period = encoding.period_slots();
    if file_period != node.period_slots {
        let show = |p: Option<u32>| p.map_or_else(|| "none".to_string(), |p| format!("{p} slots"));
        let what = if version < 2 && node.period_slots.is_some() {
            format!(
                "observation.period_slots (the `{enc_name}` encoding of version {version} has no phase; version 2 has)"
            )
        } else {
            "observation.period_slots (the workload period the network was trained to read the phase of)".into()
        };
        return Err(incompatible(what, show(file_period), show(node.period_slots)));
    }
    Ok(())
}

/// Display name and current version of an encoding.
fn encoding_name_version(e: Encoding) -> (&'static str, u32) {
    match e {
        Encoding::FidelityQueue => ("fidelity-queue", 1),
        Encoding::FidelityServerless => ("fidelity-serverless", 1),
        Encoding::Normalized { .. } => ("normalized", FUNCTIONS_VERSION),
    }
}

impl Policy for LearnedPolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let d = obs.degree();
        if !self.degree_ok(d) {
            let expected = self.degree;
            return self.fall_back(Fallback::DegreeMismatch { expected, found: d }, d);
        }
        self.encoder.encode(obs, &mut self.obs_buf);
        if let Some((mean, std)) = &self.normalise {
            for ((x, m), s) in self.obs_buf.iter_mut().zip(mean).zip(std) {
                *x = ((*x - m) / s.max(super::mlp::STD_FLOOR)).clamp(-super::mlp::OBS_CLIP, super::mlp::OBS_CLIP);
            }
        }
        let ran = match &mut self.net {
            Net::Mlp { mlp, scratch } => mlp.forward(&self.obs_buf, scratch).map(|a| {
                self.out_buf.clear();
                self.out_buf.extend_from_slice(a);
            }),
            #[cfg(feature = "onnx")]
            Net::Onnx(m) => m.run(&self.obs_buf).ok().map(|a| self.out_buf = a),
        };
        if ran.is_none() || self.out_buf.iter().any(|v| !v.is_finite()) {
            return self.fall_back(Fallback::NonFinite, d);
        }
        let alpha = &self.out_buf;
        let mut weights: Vec<f64> = match self.layout {
            ActionLayout::ThreeWay => alpha.iter().map(|&a| a as f64).collect(),
            ActionLayout::PerNeighbor => {
                // [local, fwd_1 … fwd_d, reject]; a padded output drops the
                // forwards past this node's degree.
                let n = alpha.len();
                let mut w = Vec::with_capacity(d + 2);
                w.push(alpha[0] as f64);
                w.extend(alpha[1..=d].iter().map(|&a| a as f64));
                w.push(alpha[n - 1] as f64);
                w
            }
        };
        match self.output {
            // The Dirichlet mean α / Σα, without the entries a sample would not send.
            OutputKind::Concentration => drop_sub_request(&mut weights, obs.predicted_input),
            OutputKind::Fractions => {}
            OutputKind::Logits => {
                let m = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                weights.iter_mut().for_each(|w| *w = (*w - m).exp());
            }
        }
        match Decision::from_weights(weights) {
            Ok(decision) => decision,
            Err(_) => self.fall_back(Fallback::NonFinite, d),
        }
    }
}

/// Turns Dirichlet concentrations `alpha` into a deterministic action: every
/// entry whose share the policy itself would make worth less than one of
/// `requests` requests more often than not is set to 0 — its marginal
/// `Beta(αᵢ, α₀ − αᵢ)` puts at least half its mass below `1 / requests` —
/// and the rest keep their mean shares `αᵢ / α₀` (renormalised by
/// [`Decision::from_weights`]). The largest entry always stays. For large
/// concentrations this is "drop the shares worth less than a request"; for
/// small ones (α < 1, mass piled at 0) it also drops a share whose mean is a
/// few requests but that a sample would almost never send. Nothing changes
/// when `requests` < 2 or any concentration is not finite and > 0.
pub fn drop_sub_request(alpha: &mut [f64], requests: f64) {
    let total: f64 = alpha.iter().sum();
    // NaN counts as not positive.
    let positive = |v: f64| v.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater);
    if alpha.len() < 2 || !(requests >= 2.0 && total.is_finite()) || !alpha.iter().all(|&a| positive(a)) {
        return;
    }
    let largest = alpha.iter().enumerate().fold(0, |best, (i, &w)| if w > alpha[best] { i } else { best });
    let x = 1.0 / requests;
    let keep: Vec<bool> = alpha
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let b = total - a;
            i == largest || !positive(b) || median_at_least(a, b, x)
        })
        .collect();
    for (w, k) in alpha.iter_mut().zip(keep) {
        if !k {
            *w = 0.0;
        }
    }
}

/// Whether the median of Beta(a, b) is at least `x` (a, b > 0, x ≤ ½):
/// for a ≥ b the median is ≥ ½; for a, b > 1 Kerman's approximation
/// (a − ⅓)/(a + b − ⅔) (relative error < 4 % there, exact at the mode–mean
/// ordering that matters here); for a ≤ 1 (mass piled at 0) the CDF at `x`
/// by [`beta_cdf_small_a`].
fn median_at_least(a: f64, b: f64, x: f64) -> bool {
    if a >= b {
        return true;
    }
    if a > 1.0 {
        return (a - 1.0 / 3.0) / (a + b - 2.0 / 3.0) >= x;
    }
    // a ≤ 1 < b or a < b ≤ 1: right-skewed, the median is below the mean.
    if a / (a + b) < x {
        return false;
    }
    beta_cdf_small_a(a, b, x) < 0.5
}

/// P(X < x) for X ~ Beta(a, b) with 0 < a ≤ 1 and 0 < x ≤ ½: with u = tᵃ the
/// integrand (1 − u^{1/a})^{b−1} is smooth and bounded on [0, xᵃ], so
/// Simpson's rule on 32 intervals is accurate to ~1e-5 for any b.
fn beta_cdf_small_a(a: f64, b: f64, x: f64) -> f64 {
    const N: usize = 32;
    let top = x.powf(a);
    let h = top / N as f64;
    let f = |u: f64| (1.0 - u.powf(1.0 / a)).powf(b - 1.0);
    let mut sum = f(0.0) + f(top);
    for k in 1..N {
        sum += f(k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
    }
    let integral = sum * h / 3.0;
    let ln_beta = puruspe::ln_gamma(a) + puruspe::ln_gamma(b) - puruspe::ln_gamma(a + b);
    (integral / a / ln_beta.exp()).clamp(0.0, 1.0)
}

/// Reads the learned policy at `path` (a `.dfpolicy` file or, with the
/// `onnx` feature, an ONNX policy) and loads its network for `node`.
pub fn load_learned(path: &Path, node: &NodeContext) -> Result<Box<dyn Policy>, PolicyError> {
    let file = LearnedFile::read(path)?;
    Ok(Box::new(LearnedPolicy::from_file(&file, node, path)?))
}

/// A file's incompatibility with the node, naming what differs.
fn incompatible(origin: &str, what: String, expected: String, found: String) -> PolicyError {
    PolicyError::Incompatible { file: origin.to_string(), what, expected, found }
}

/// The network serving `node`: the shared one, or (independent networks)
/// the node's own, whose degree and neighbour order must match.
fn network_for<'a>(meta: &'a PolicyMeta, node: &NodeContext, origin: &str) -> Result<&'a NetworkMeta, PolicyError> {
    let degree = node.neighbors.len();
    let index = match meta.mode {
        Mode::Shared => 0,
        Mode::Independent => {
            let Some(entry) = meta.nodes.iter().find(|e| e.name == node.name) else {
                let names: Vec<&str> = meta.nodes.iter().map(|e| e.name.as_str()).collect();
                return Err(incompatible(
                    origin,
                    "node name (independent networks)".into(),
                    format!("networks for [{}]", names.join(", ")),
                    format!("`{}`", node.name),
                ));
            };
            if entry.degree != degree {
                return Err(incompatible(
                    origin,
                    format!("degree of node `{}`", node.name),
                    entry.degree.to_string(),
                    degree.to_string(),
                ));
            }
            if entry.neighbors != node.neighbors {
                return Err(incompatible(
                    origin,
                    format!("neighbours of node `{}` (action order)", node.name),
                    format!("[{}]", entry.neighbors.join(", ")),
                    format!("[{}]", node.neighbors.join(", ")),
                ));
            }
            entry.network
        }
    };
    Ok(&meta.networks[index])
}

/// The network's input and output sizes fit a node of `degree`.
fn check_shapes(
    meta: &PolicyMeta,
    net: &NetworkMeta,
    encoder: &NodeEncoder,
    degree: usize,
    origin: &str,
) -> Result<(), PolicyError> {
    if let Encoding::Normalized { max_degree, .. } = meta.encoding
        && degree > max_degree
    {
        return Err(incompatible(
            origin,
            "degree (the normalized encoding's max_degree)".into(),
            format!("at most {max_degree}"),
            degree.to_string(),
        ));
    }
    let obs_dim = encoder.dim(degree);
    if obs_dim != net.input_dim {
        let (enc_name, _) = encoding_name_version(meta.encoding);
        return Err(if meta.encoding == Encoding::FidelityServerless {
            incompatible(
                origin,
                "degree (a fidelity-serverless network takes 2 + 2·degree inputs)".into(),
                format!("{} ({} inputs)", net.input_dim.saturating_sub(2) / 2, net.input_dim),
                format!("{degree} ({obs_dim} inputs)"),
            )
        } else {
            incompatible(
                origin,
                format!("observation size of the `{enc_name}` encoding"),
                net.input_dim.to_string(),
                obs_dim.to_string(),
            )
        });
    }
    if meta.action_layout == ActionLayout::PerNeighbor && net.output_dim < degree + 2 {
        return Err(incompatible(
            origin,
            "action size [local, fwd…, reject]".into(),
            net.output_dim.to_string(),
            format!("{} (degree {degree})", degree + 2),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{drop_sub_request, median_at_least};

    #[test]
    fn shares_a_sample_would_not_send_go_to_zero() {
        // CloudNet 2021's node_1: 3000 requests per 60 s slot. A reject entry
        // with α = 0.01 has a mean share of 0.33 % (10 requests), but a
        // sample sends it less than one request with probability ≈ 0.92.
        let mut a = vec![0.6, 0.9, 1.5, 0.01];
        drop_sub_request(&mut a, 3000.0);
        assert_eq!(a, vec![0.6, 0.9, 1.5, 0.0]);
        // Large concentrations: the median is about the mean, so the rule is
        // "a share worth less than one request": 0.4 % of 50 is 0.2 of one.
        let mut a = vec![196.0, 320.0, 480.0, 4.0];
        drop_sub_request(&mut a, 50.0);
        assert_eq!(a, vec![196.0, 320.0, 480.0, 0.0]);
        // …while 4 % of 50 (2 requests) stays.
        let mut a = vec![196.0, 320.0, 440.0, 40.0];
        drop_sub_request(&mut a, 50.0);
        assert_eq!(a, vec![196.0, 320.0, 440.0, 40.0]);
        // The largest entry stays even when every share is below one request.
        let mut a = vec![0.3, 0.3, 0.4];
        drop_sub_request(&mut a, 2.5);
        assert_eq!(a, vec![0.0, 0.0, 0.4]);
        // The CDF for a ≤ 1 against closed forms: Beta(1, b) has CDF
        // 1 − (1 − x)^b, Beta(½, ½) has (2/π)·asin(√x).
        for (b, x) in [(1.0, 0.3), (3.0, 0.01), (2000.0, 1e-4), (0.5, 0.2)] {
            let want = 1.0 - (1.0f64 - x).powf(b);
            assert!((super::beta_cdf_small_a(1.0, b, x) - want).abs() < 1e-5, "Beta(1, {b}) at {x}");
        }
        let want = 2.0 / std::f64::consts::PI * 0.3f64.sqrt().asin();
        assert!((super::beta_cdf_small_a(0.5, 0.5, 0.3) - want).abs() < 1e-4);
        // Medians of large-parameter marginals: Beta(300, 2000) has mean 0.130, sd 0.007.
        assert!(median_at_least(300.0, 2000.0, 0.12) && !median_at_least(300.0, 2000.0, 0.14));
        assert!(median_at_least(5.0, 5.0, 0.5) && median_at_least(0.3, 0.2, 0.4));
        // Fewer than one request, one entry, or unusable concentrations: unchanged.
        for (mut a, r) in
            [(vec![0.5, 0.5], 0.5), (vec![2.0], 10.0), (vec![0.0, 1.0], 10.0), (vec![f64::NAN, 1.0], 10.0)]
        {
            let before = a.clone();
            drop_sub_request(&mut a, r);
            assert!(a.iter().zip(&before).all(|(x, y)| x == y || (x.is_nan() && y.is_nan())));
        }
    }
}
