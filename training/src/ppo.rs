//! The PPO update of one network pair (actor and critic): clipped surrogate,
//! separate value network, entropy bonus, optional KL penalty (RLlib) and
//! target-KL early stop (CleanRL), Adam, global-norm gradient clipping,
//! minibatches and epochs.
//!
//! Data-parallel on the CPU: each minibatch is split into shards, one per
//! thread, whose gradients are summed before one Adam step per network.
//! The actor and the critic share no parameter and have their own Adam.
//!
//! The Dirichlet is masked: entries a node does not have (padding of the
//! shared network up to the maximum degree) get α := 1 and contribute nothing
//! to the log-density, the entropy or the KL, so a padded network is exactly
//! the Dirichlet over the node's real actions.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;

use crate::config::{AdvantageNorm, PpoConfig, ValueClip};
use crate::dirichlet::LOG_PROB_EPS;
use crate::nets::{Actor, Critic};
use crate::special::lgamma_digamma;

/// The samples of one network for one iteration (flat row-major buffers).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub obs_dim: usize,
    pub action_dim: usize,
    pub obs: Vec<f32>,
    /// Central critic: its input width (0: the critic reads `obs`).
    pub critic_dim: usize,
    /// Central critic: its inputs, `len × critic_dim`.
    pub critic_obs: Vec<f32>,
    pub actions: Vec<f32>,
    /// 1 for a real action entry, 0 for padding.
    pub masks: Vec<f32>,
    pub advantages: Vec<f32>,
    pub returns: Vec<f32>,
    /// Log-density of the action under the policy that sampled it.
    pub old_logp: Vec<f32>,
    /// Concentrations of the policy that sampled it (`len × action_dim`), for the KL penalty.
    pub old_alpha: Vec<f32>,
    /// Critic values at collection, for PPO2-style value clipping.
    pub old_values: Vec<f32>,
}

impl Batch {
    /// The critic's inputs and their width.
    pub fn critic_input(&self) -> (&[f32], usize) {
        if self.critic_dim > 0 { (&self.critic_obs, self.critic_dim) } else { (&self.obs, self.obs_dim) }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.advantages.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.advantages.is_empty()
    }
}

/// Means over the minibatches of one update (CleanRL's diagnostics).
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateStats {
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    /// KL(old ‖ new) by the k3 estimator `E[(r − 1) − ln r]` (CleanRL's `approx_kl`).
    pub approx_kl: f64,
    /// The k1 estimator `E[−ln r]` (CleanRL's `old_approx_kl`).
    pub old_approx_kl: f64,
    /// Mean analytic KL(old ‖ new) of the Dirichlets (what RLlib adapts `kl_coeff` on).
    pub kl: f64,
    /// Share of samples whose ratio left `[1 − ε, 1 + ε]`.
    pub clip_fraction: f64,
    /// Epochs run (fewer than configured after a target-KL stop).
    pub epochs: usize,
}

/// A masked Dirichlet batch with the special-function values every loss
/// term shares (computed once: [`lgamma_digamma`]). Entries a node does not
/// have are set to α = 1 and masked out of every sum.
pub struct MaskedDirichlet {
    /// α with padding set to 1, `[batch, k]`.
    pub a: Tensor<2>,
    /// Σ α over the real entries, `[batch, 1]`.
    pub a0: Tensor<2>,
    pub mask: Tensor<2>,
    lg_a: Tensor<2>,
    dg_a: Tensor<2>,
    lg_a0: Tensor<2>,
    dg_a0: Tensor<2>,
}

impl MaskedDirichlet {
    /// The distribution of each row of `alpha` over the entries `mask` marks.
    pub fn new(alpha: Tensor<2>, mask: Tensor<2>) -> Self {
        let inv = mask.clone().neg().add_scalar(1.0);
        let a = alpha * mask.clone() + inv;
        let a0 = (a.clone() * mask.clone()).sum_dim(1);
        let (lg_a, dg_a) = lgamma_digamma(a.clone());
        let (lg_a0, dg_a0) = lgamma_digamma(a0.clone());
        Self { a, a0, mask, lg_a, dg_a, lg_a0, dg_a0 }
    }

    /// Log-density of rows `x` (clamped to ≥ [`LOG_PROB_EPS`] and renormalised over the real entries).
    pub fn log_prob(&self, x: Tensor<2>) -> Tensor<1> {
        let inv = self.mask.clone().neg().add_scalar(1.0);
        let xc = x.clamp_min(LOG_PROB_EPS) * self.mask.clone();
        let xn = xc.clone() / xc.sum_dim(1);
        let lnx = (xn + inv).log();
        let body = ((self.a.clone().sub_scalar(1.0) * lnx - self.lg_a.clone()) * self.mask.clone()).sum_dim(1);
        (self.lg_a0.clone() + body).squeeze_dim(1)
    }

    /// Differential entropy per row.
    pub fn entropy(&self) -> Tensor<1> {
        let k = self.mask.clone().sum_dim(1);
        let ln_b = (self.lg_a.clone() * self.mask.clone()).sum_dim(1) - self.lg_a0.clone();
        let middle = (self.a0.clone() - k) * self.dg_a0.clone();
        let last = ((self.a.clone().sub_scalar(1.0) * self.dg_a.clone()) * self.mask.clone()).sum_dim(1);
        (ln_b + middle - last).squeeze_dim(1)
    }

    /// KL(self ‖ other) per row (same mask):
    /// `ln Γ(p₀) − Σ ln Γ(pᵢ) − ln Γ(q₀) + Σ ln Γ(qᵢ) + Σ (pᵢ − qᵢ)(ψ(pᵢ) − ψ(p₀))`.
    pub fn kl(&self, other: &MaskedDirichlet) -> Tensor<1> {
        let m = self.mask.clone();
        let lg = ((other.lg_a.clone() - self.lg_a.clone()) * m.clone()).sum_dim(1);
        let cross = ((self.a.clone() - other.a.clone()) * (self.dg_a.clone() - self.dg_a0.clone()) * m).sum_dim(1);
        (self.lg_a0.clone() - other.lg_a0.clone() + lg + cross).squeeze_dim(1)
    }
}

/// Masked Dirichlet log-density of rows `x` under concentrations `alpha`.
pub fn masked_log_prob(alpha: Tensor<2>, x: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    MaskedDirichlet::new(alpha, mask).log_prob(x)
}

/// Masked Dirichlet differential entropy per row.
pub fn masked_entropy(alpha: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    MaskedDirichlet::new(alpha, mask).entropy()
}

/// Masked analytic KL(Dir(p) ‖ Dir(q)) per row.
pub fn masked_kl(p: Tensor<2>, q: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    MaskedDirichlet::new(p, mask.clone()).kl(&MaskedDirichlet::new(q, mask))
}

/// Actor, critic and their optimisers for one network.
pub struct Learner {
    pub actor: Actor,
    pub critic: Critic,
    pub opt_actor: ModuleOptimizer,
    pub opt_critic: ModuleOptimizer,
    /// The networks' device, with autodiff.
    pub device: Device,
    /// The same device without autodiff, for evaluation passes.
    pub plain: Device,
}

/// A fresh Adam (gradient clipping is applied by [`clip_global_norm`], not by the optimiser).
pub fn adam() -> ModuleOptimizer {
    AdamConfig::new().init()
}

fn tensor2(v: &[f32], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [rows, cols]), device)
}

fn tensor1(v: &[f32], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Scales the gradients of `module` so that their global L2 norm (over every
/// parameter together, as `torch.nn.utils.clip_grad_norm_`) is at most
/// `max_norm`; returns the norm before clipping.
pub fn clip_global_norm<M: Module>(module: &M, grads: &mut GradientsParams, max_norm: f32) -> f64 {
    struct SumSquares<'a>(&'a GradientsParams, f64);
    impl ModuleVisitor for SumSquares<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.get::<D>(param.id) {
                self.1 += g.square().sum().into_scalar::<f32>() as f64;
            }
        }
    }
    struct Scale<'a>(&'a mut GradientsParams, f32);
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.remove::<D>(param.id) {
                self.0.register::<D>(param.id, g.mul_scalar(self.1));
            }
        }
    }
    let mut s = SumSquares(grads, 0.0);
    module.visit(&mut s);
    let norm = s.1.sqrt();
    let coef = max_norm as f64 / (norm + 1e-6);
    if coef < 1.0 {
        module.visit(&mut Scale(grads, coef as f32));
    }
    norm
}

/// One minibatch's rows, gathered.
struct Rows<'a> {
    idx: &'a [usize],
}

impl Rows<'_> {
    fn gather(&self, src: &[f32], w: usize) -> Vec<f32> {
        let mut v = Vec::with_capacity(self.idx.len() * w);
        for &i in self.idx {
            v.extend_from_slice(&src[i * w..(i + 1) * w]);
        }
        v
    }

    fn column(&self, src: &[f32]) -> Vec<f32> {
        self.idx.iter().map(|&i| src[i]).collect()
    }
}

/// Minibatch index lists of every epoch, shuffled per epoch.
fn minibatch_orders(n: usize, cfg: &PpoConfig, rng: &mut impl rand::Rng) -> Vec<Vec<Vec<usize>>> {
    let mb = cfg.minibatch_size.min(n).max(1);
    let mut idx: Vec<usize> = (0..n).collect();
    (0..cfg.epochs)
        .map(|_| {
            idx.shuffle(rng);
            idx.chunks(mb).filter(|c| c.len() >= 2 || n == 1).map(<[usize]>::to_vec).collect()
        })
        .collect()
}

/// Diagnostics of one update (weighted sums over minibatches).
#[derive(Default, Clone, Copy)]
struct Sums {
    policy_loss: f64,
    value_loss: f64,
    entropy: f64,
    approx_kl: f64,
    old_approx_kl: f64,
    kl: f64,
    clip_fraction: f64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.policy_loss += o.policy_loss;
        self.value_loss += o.value_loss;
        self.entropy += o.entropy;
        self.approx_kl += o.approx_kl;
        self.old_approx_kl += o.old_approx_kl;
        self.kl += o.kl;
        self.clip_fraction += o.clip_fraction;
    }
}

/// What one shard of a minibatch contributes: the gradients of its share of
/// the loss (weighted by its share of the rows) and its diagnostics (same weight).
struct Shard {
    actor: GradientsParams,
    critic: GradientsParams,
    sums: Sums,
}

/// Hyperparameters of one update step.
#[derive(Clone, Copy)]
struct Step<'a> {
    cfg: &'a PpoConfig,
    entropy_coef: f32,
    kl_coeff: f32,
}

impl Learner {
    /// Log-densities of `actions`, the concentrations and the values of `obs`
    /// under the current networks (no gradients), in chunks spread over
    /// `threads` threads.
    pub fn evaluate(&self, batch: &Batch, threads: usize) -> Evaluation {
        let (obs, actions, masks) = (&batch.obs[..], &batch.actions[..], &batch.masks[..]);
        let (obs_dim, action_dim) = (batch.obs_dim, batch.action_dim);
        let (cobs, cdim) = batch.critic_input();
        let n = obs.len().checked_div(obs_dim).unwrap_or(0);
        let per = n.div_ceil(threads.max(1)).max(1);
        let parts: Vec<Evaluation> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .step_by(per)
                .map(|start| {
                    let end = (start + per).min(n);
                    let (o, a, m, c) = (
                        &obs[start * obs_dim..end * obs_dim],
                        &actions[start * action_dim..end * action_dim],
                        &masks[start * action_dim..end * action_dim],
                        &cobs[start * cdim..end * cdim],
                    );
                    s.spawn(move || {
                        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a rayon pool");
                        pool.install(|| self.evaluate_chunk(o, a, m, (c, cdim), obs_dim, action_dim))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("evaluation panicked")).collect()
        });
        let mut out = Evaluation::default();
        for p in parts {
            out.logp.extend(p.logp);
            out.alpha.extend(p.alpha);
            out.values.extend(p.values);
        }
        out
    }

    fn evaluate_chunk(
        &self,
        obs: &[f32],
        actions: &[f32],
        masks: &[f32],
        (cobs, cdim): (&[f32], usize),
        obs_dim: usize,
        action_dim: usize,
    ) -> Evaluation {
        let actor = Module::valid(&self.actor);
        let critic = Module::valid(&self.critic);
        let plain = &self.plain;
        let n = obs.len().checked_div(obs_dim).unwrap_or(0);
        let mut out = Evaluation::default();
        let chunk = 4096;
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let rows = end - start;
            let o = tensor2(&obs[start * obs_dim..end * obs_dim], rows, obs_dim, plain);
            let a = tensor2(&actions[start * action_dim..end * action_dim], rows, action_dim, plain);
            let m = tensor2(&masks[start * action_dim..end * action_dim], rows, action_dim, plain);
            let c = tensor2(&cobs[start * cdim..end * cdim], rows, cdim, plain);
            let alpha = actor.forward(o);
            out.alpha.extend(to_vec(alpha.clone()));
            out.logp.extend(to_vec(masked_log_prob(alpha, a, m)));
            out.values.extend(to_vec(critic.forward(c)));
            start = end;
        }
        out
    }

    /// Values of critic inputs `obs` (rows of `obs_dim`) under the current critic.
    pub fn values(&self, obs: &[f32], obs_dim: usize) -> Vec<f32> {
        let critic = Module::valid(&self.critic);
        let plain = &self.plain;
        let n = obs.len().checked_div(obs_dim).unwrap_or(0);
        let mut out = Vec::with_capacity(n);
        for start in (0..n).step_by(4096) {
            let end = (start + 4096).min(n);
            out.extend(to_vec(critic.forward(tensor2(
                &obs[start * obs_dim..end * obs_dim],
                end - start,
                obs_dim,
                plain,
            ))));
        }
        out
    }

    /// Epochs of minibatch updates on `batch` at learning rate `lr`, with KL
    /// penalty coefficient `kl_coeff` (0 for none). Advantages are expected
    /// already standardised over the batch when the configuration says so.
    ///
    /// Each minibatch is split into `threads` shards whose gradients are
    /// computed in parallel and summed (data parallelism: the same step as
    /// on the whole minibatch, up to floating-point summation order).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        batch: &Batch,
        cfg: &PpoConfig,
        lr: f64,
        entropy_coef: f32,
        kl_coeff: f32,
        threads: usize,
        rng: &mut impl rand::Rng,
    ) -> UpdateStats {
        let n = batch.len();
        if n == 0 {
            return UpdateStats::default();
        }
        let orders = minibatch_orders(n, cfg, rng);
        let step = Step { cfg, entropy_coef, kl_coeff };
        // One single-thread rayon pool per shard thread: burn's CPU kernels
        // would otherwise all share (and spin on) the global pool.
        let pools: Vec<rayon::ThreadPool> = (0..threads.max(1))
            .map(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a rayon pool"))
            .collect();
        let (mut sums, mut count, mut epochs) = (Sums::default(), 0.0, 0);
        for epoch in &orders {
            let mut epoch_kl = (0.0, 0.0);
            for idx in epoch {
                let s = self.minibatch_step(batch, idx, step, lr, &pools);
                sums.add(&s);
                epoch_kl.0 += s.approx_kl;
                epoch_kl.1 += 1.0;
                count += 1.0;
            }
            epochs += 1;
            if let Some(target) = cfg.target_kl
                && epoch_kl.1 > 0.0
                && epoch_kl.0 / epoch_kl.1 > target as f64
            {
                break;
            }
        }
        let m: f64 = if count > 0.0 { count } else { 1.0 };
        UpdateStats {
            policy_loss: sums.policy_loss / m,
            value_loss: sums.value_loss / m,
            entropy: sums.entropy / m,
            approx_kl: sums.approx_kl / m,
            old_approx_kl: sums.old_approx_kl / m,
            kl: sums.kl / m,
            clip_fraction: sums.clip_fraction / m,
            epochs,
        }
    }

    /// One optimiser step of the actor and the critic on the rows `idx`.
    fn minibatch_step(
        &mut self,
        batch: &Batch,
        idx: &[usize],
        step: Step<'_>,
        lr: f64,
        pools: &[rayon::ThreadPool],
    ) -> Sums {
        let mut adv: Vec<f32> = idx.iter().map(|&i| batch.advantages[i]).collect();
        if step.cfg.advantage_norm == AdvantageNorm::Minibatch {
            crate::gae::normalize(&mut adv);
        }
        let k = pools.len().clamp(1, idx.len().max(1));
        let size = idx.len().div_ceil(k);
        let total = idx.len() as f32;
        let (actor, critic, device) = (&self.actor, &self.critic, &self.device);
        let shards: Vec<Shard> = std::thread::scope(|s| {
            let handles: Vec<_> = idx
                .chunks(size)
                .zip(adv.chunks(size))
                .zip(pools)
                .map(|((rows, adv), pool)| {
                    let weight = rows.len() as f32 / total;
                    s.spawn(move || {
                        pool.install(|| {
                            // Each shard on its own autodiff graph (same parameter
                            // ids): backward passes over one shared graph from
                            // several threads would contend on (and deadlock in)
                            // burn's autodiff server.
                            let a = actor.clone().fork(device);
                            let c = critic.clone().fork(device);
                            shard(&a, &c, batch, rows, adv, weight, step, device)
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("update shard panicked")).collect()
        });
        let mut it = shards.into_iter();
        let first = it.next().expect("at least one shard");
        let (mut ga, mut gc, mut sums) = (first.actor, first.critic, first.sums);
        for sh in it {
            add_grads(actor, &mut ga, sh.actor);
            add_grads(critic, &mut gc, sh.critic);
            sums.add(&sh.sums);
        }
        if let Some(max) = step.cfg.max_grad_norm {
            clip_global_norm(actor, &mut ga, max);
            clip_global_norm(critic, &mut gc, max);
        }
        self.actor = self.opt_actor.step(lr, self.actor.clone(), ga);
        self.critic = self.opt_critic.step(lr, self.critic.clone(), gc);
        sums
    }
}

/// Adds the gradients `b` into `a`, parameter by parameter.
fn add_grads<M: Module>(module: &M, a: &mut GradientsParams, mut b: GradientsParams) {
    struct Add<'a>(&'a mut GradientsParams, &'a mut GradientsParams);
    impl ModuleVisitor for Add<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            match (self.0.remove::<D>(param.id), self.1.remove::<D>(param.id)) {
                (Some(x), Some(y)) => self.0.register::<D>(param.id, x + y),
                (Some(x), None) | (None, Some(x)) => self.0.register::<D>(param.id, x),
                (None, None) => {}
            }
        }
    }
    module.visit(&mut Add(a, &mut b));
}

/// The weighted loss of one shard of a minibatch: clipped surrogate −
/// entropy bonus + KL penalty for the actor, the (clipped) squared error for
/// the critic; backward once, gradients split by network.
#[allow(clippy::too_many_arguments)]
fn shard(
    actor: &Actor,
    critic: &Critic,
    batch: &Batch,
    idx: &[usize],
    adv: &[f32],
    weight: f32,
    step: Step<'_>,
    d: &Device,
) -> Shard {
    let cfg = step.cfg;
    let (od, ad) = (batch.obs_dim, batch.action_dim);
    let rows = Rows { idx };
    let k = idx.len();
    let obs = tensor2(&rows.gather(&batch.obs, od), k, od, d);
    let act = tensor2(&rows.gather(&batch.actions, ad), k, ad, d);
    let mask = tensor2(&rows.gather(&batch.masks, ad), k, ad, d);
    let adv = tensor1(adv, d);
    let old = tensor1(&rows.column(&batch.old_logp), d);

    let dist = MaskedDirichlet::new(actor.forward(obs.clone()), mask.clone());
    let logp = dist.log_prob(act);
    let entropy = dist.entropy().mean();
    let log_ratio = logp - old;
    let ratio = log_ratio.clone().exp();
    let surr1 = ratio.clone() * adv.clone();
    let surr2 = ratio.clone().clamp(1.0 - cfg.clip, 1.0 + cfg.clip) * adv;
    let policy_loss = surr1.min_pair(surr2).mean().neg();
    let mut loss = policy_loss.clone() - entropy.clone().mul_scalar(step.entropy_coef);
    let kl = if step.kl_coeff > 0.0 {
        let old_alpha = tensor2(&rows.gather(&batch.old_alpha, ad), k, ad, d);
        let kl = MaskedDirichlet::new(old_alpha, mask).kl(&dist).mean();
        loss = loss + kl.clone().mul_scalar(step.kl_coeff);
        scalar(kl.detach())
    } else {
        0.0
    };

    let ret = tensor1(&rows.column(&batch.returns), d);
    let v = match batch.critic_dim {
        0 => critic.forward(obs),
        cd => critic.forward(tensor2(&rows.gather(&batch.critic_obs, cd), k, cd, d)),
    };
    let sq = (v.clone() - ret.clone()).square();
    let value_loss = match (cfg.vf_clip, cfg.vf_clip_kind) {
        (None, _) => sq.mean(),
        (Some(c), ValueClip::Loss) => sq.clamp(0.0, c).mean(),
        (Some(c), ValueClip::Value) => {
            let old_v = tensor1(&rows.column(&batch.old_values), d);
            let clipped = old_v.clone() + (v - old_v).clamp(-c, c);
            sq.max_pair((clipped - ret).square()).mean().mul_scalar(0.5)
        }
    };

    // Diagnostics (no gradient needed), weighted like the loss.
    let w = weight as f64;
    let lr_ = log_ratio.detach();
    let r = ratio.detach();
    let sums = Sums {
        policy_loss: w * scalar(policy_loss.detach()),
        value_loss: w * scalar(value_loss.clone().detach()),
        entropy: w * scalar(entropy.detach()),
        approx_kl: w * scalar((r.clone().sub_scalar(1.0) - lr_.clone()).mean()),
        old_approx_kl: w * scalar(lr_.neg().mean()),
        kl: w * kl,
        clip_fraction: w * scalar(r.sub_scalar(1.0).abs().greater_elem(cfg.clip).float().mean()),
    };

    let total = (loss + value_loss).mul_scalar(weight);
    let mut grads = total.backward();
    Shard {
        actor: GradientsParams::from_module(&mut grads, actor),
        critic: GradientsParams::from_module(&mut grads, critic),
        sums,
    }
}

/// What [`Learner::evaluate`] computes per sample.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub logp: Vec<f32>,
    /// `len × action_dim`.
    pub alpha: Vec<f32>,
    pub values: Vec<f32>,
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dirichlet::{entropy_f64, log_prob_f64};
    use crate::special::{digamma_f64, lgamma_f64};

    fn t2(v: &[f32], rows: usize) -> Tensor<2> {
        tensor2(v, rows, v.len() / rows, &Device::flex())
    }

    /// KL(Dir(p) ‖ Dir(q)) in f64, by the textbook formula.
    fn kl_f64(p: &[f64], q: &[f64]) -> f64 {
        let (p0, q0) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
        lgamma_f64(p0) - lgamma_f64(q0)
            + p.iter()
                .zip(q)
                .map(|(&a, &b)| lgamma_f64(b) - lgamma_f64(a) + (a - b) * (digamma_f64(a) - digamma_f64(p0)))
                .sum::<f64>()
    }

    #[test]
    fn masked_formulas_equal_the_reduced_dimension_dirichlet() {
        // Row 0: a node of degree 1 in a network padded to degree 2:
        // [local, fwd_1, (fwd_2 padding), reject]. Row 1: every entry real.
        let alpha = [0.7f32, 2.5, 9.0, 1.3, 0.4, 3.0, 1.1, 0.02];
        let q = [1.1f32, 0.3, 5.0, 2.0, 0.9, 0.9, 2.2, 0.5];
        let x = [0.2f32, 0.5, 0.0, 0.3, 0.1, 0.6, 0.25, 0.05];
        let mask = [1.0f32, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let logp = to_vec(masked_log_prob(t2(&alpha, 2), t2(&x, 2), t2(&mask, 2)));
        let ent = to_vec(masked_entropy(t2(&alpha, 2), t2(&mask, 2)));
        let kl = to_vec(masked_kl(t2(&alpha, 2), t2(&q, 2), t2(&mask, 2)));
        let pick = |v: &[f32], row: usize| -> Vec<f64> {
            (0..4).filter(|&k| mask[row * 4 + k] > 0.0).map(|k| v[row * 4 + k] as f64).collect()
        };
        for row in 0..2 {
            let (a, b, xs) = (pick(&alpha, row), pick(&q, row), pick(&x, row));
            let want_logp = log_prob_f64(&a, &xs);
            let want_ent = entropy_f64(&a);
            let want_kl = kl_f64(&a, &b);
            assert!(
                (logp[row] as f64 - want_logp).abs() < 2e-4 * want_logp.abs().max(1.0),
                "row {row}: {logp:?} vs {want_logp}"
            );
            assert!(
                (ent[row] as f64 - want_ent).abs() < 2e-4 * want_ent.abs().max(1.0),
                "row {row}: {ent:?} vs {want_ent}"
            );
            assert!((kl[row] as f64 - want_kl).abs() < 2e-4 * want_kl.abs().max(1.0), "row {row}: {kl:?} vs {want_kl}");
        }
        // KL of a distribution with itself is 0; KL is positive otherwise.
        let same = to_vec(masked_kl(t2(&alpha, 2), t2(&alpha, 2), t2(&mask, 2)));
        assert!(same.iter().all(|v| v.abs() < 1e-4), "{same:?}");
        assert!(kl.iter().all(|&v| v > 0.0), "{kl:?}");
    }

    #[test]
    fn global_norm_clipping_scales_every_parameter_together() {
        use crate::nets::NetConfig;
        let device = Device::flex().autodiff();
        let critic = NetConfig::new(3, 2).with_hidden([4]).init_critic(&device).unwrap();
        let obs = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, -2.0, 3.0, 0.5, 0.1, -0.3], [2, 3]), &device);
        let loss = critic.forward(obs).mul_scalar(100.0).sum();
        let mut grads = loss.backward();
        let mut g = GradientsParams::from_module(&mut grads, &critic);
        let norm = |g: &GradientsParams| {
            struct Norm<'a>(&'a GradientsParams, f64, Vec<f64>);
            impl ModuleVisitor for Norm<'_> {
                fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                    if let Some(t) = self.0.get::<D>(param.id) {
                        let s = t.square().sum().into_scalar::<f32>() as f64;
                        self.1 += s;
                        self.2.push(s.sqrt());
                    }
                }
            }
            let mut n = Norm(g, 0.0, Vec::new());
            critic.visit(&mut n);
            (n.1.sqrt(), n.2)
        };
        let (before, parts_before) = norm(&g);
        assert!(before > 1.0, "{before}");
        let reported = clip_global_norm(&critic, &mut g, 0.5);
        assert!((reported - before).abs() < 1e-3 * before);
        let (after, parts_after) = norm(&g);
        assert!((after - 0.5).abs() < 1e-4, "global norm {after}");
        // Every tensor shrinks by the same factor (a per-tensor clip would not).
        for (a, b) in parts_after.iter().zip(&parts_before) {
            assert!((a / b - 0.5 / before).abs() < 1e-4, "{parts_after:?} vs {parts_before:?}");
        }
        // Under the threshold nothing changes.
        let (n0, _) = norm(&g);
        clip_global_norm(&critic, &mut g, 10.0);
        assert!((norm(&g).0 - n0).abs() < 1e-9);
    }
}
