//! The PPO update of one network (actor and critic): clipped surrogate,
//! separate value network, entropy bonus, Adam, gradient clipping,
//! minibatches and epochs, advantage normalisation.
//!
//! The Dirichlet is masked: entries a node does not have (padding of the
//! shared network up to the maximum degree) get α := 1 and contribute nothing
//! to the log-density or the entropy, so a padded network is exactly the
//! Dirichlet over the node's real actions.

use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;

use crate::config::PpoConfig;
use crate::dirichlet::LOG_PROB_EPS;
use crate::nets::{Actor, Critic};
use crate::special::{digamma, lgamma};

/// The samples of one network for one iteration (flat row-major buffers).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub obs_dim: usize,
    pub action_dim: usize,
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
    /// 1 for a real action entry, 0 for padding.
    pub masks: Vec<f32>,
    pub advantages: Vec<f32>,
    pub returns: Vec<f32>,
    /// Log-density of the action under the policy that sampled it.
    pub old_logp: Vec<f32>,
}

impl Batch {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.advantages.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.advantages.is_empty()
    }
}

/// Means over the minibatches of one update.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateStats {
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    /// Approximate KL(old ‖ new) = E[old_logp − logp].
    pub kl: f64,
    pub clip_fraction: f64,
}

/// Masked Dirichlet log-density of rows `x` under concentrations `alpha`.
pub fn masked_log_prob(alpha: Tensor<2>, x: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    let inv = mask.clone().neg().add_scalar(1.0);
    let a = alpha * mask.clone() + inv.clone();
    let a0 = (a.clone() * mask.clone()).sum_dim(1);
    let xc = x.clamp_min(LOG_PROB_EPS) * mask.clone();
    let xn = xc.clone() / xc.sum_dim(1);
    let lnx = (xn + inv).log();
    let body = ((a.clone().sub_scalar(1.0) * lnx - lgamma(a)) * mask).sum_dim(1);
    (lgamma(a0) + body).squeeze_dim(1)
}

/// Masked Dirichlet differential entropy per row.
pub fn masked_entropy(alpha: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    let inv = mask.clone().neg().add_scalar(1.0);
    let a = alpha * mask.clone() + inv;
    let a0 = (a.clone() * mask.clone()).sum_dim(1);
    let k = mask.clone().sum_dim(1);
    let ln_b = (lgamma(a.clone()) * mask.clone()).sum_dim(1) - lgamma(a0.clone());
    let middle = (a0.clone() - k) * digamma(a0);
    let last = ((a.clone().sub_scalar(1.0) * digamma(a)) * mask).sum_dim(1);
    (ln_b + middle - last).squeeze_dim(1)
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

/// A fresh Adam with the configured gradient clipping.
pub fn adam(cfg: &PpoConfig) -> ModuleOptimizer {
    AdamConfig::new().with_grad_clipping(cfg.max_grad_norm.map(GradientClippingConfig::Norm)).init()
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

impl Learner {
    /// Log-densities of `batch.actions` and values of `batch.obs` under the
    /// current networks (no gradients), in chunks.
    pub fn evaluate(
        &self,
        obs: &[f32],
        actions: &[f32],
        masks: &[f32],
        obs_dim: usize,
        action_dim: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let actor = burn::module::Module::valid(&self.actor);
        let critic = burn::module::Module::valid(&self.critic);
        let plain = &self.plain;
        let n = obs.len().checked_div(obs_dim).unwrap_or(0);
        let (mut logp, mut values) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let chunk = 4096;
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let rows = end - start;
            let o = tensor2(&obs[start * obs_dim..end * obs_dim], rows, obs_dim, plain);
            let a = tensor2(&actions[start * action_dim..end * action_dim], rows, action_dim, plain);
            let m = tensor2(&masks[start * action_dim..end * action_dim], rows, action_dim, plain);
            logp.extend(to_vec(masked_log_prob(actor.forward(o.clone()), a, m)));
            values.extend(to_vec(critic.forward(o)));
            start = end;
        }
        (logp, values)
    }

    /// Values of `obs` under the current critic.
    pub fn values(&self, obs: &[f32], obs_dim: usize) -> Vec<f32> {
        let critic = burn::module::Module::valid(&self.critic);
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

    /// Epochs of minibatch updates on `batch`.
    pub fn update(
        &mut self,
        batch: &Batch,
        cfg: &PpoConfig,
        entropy_coef: f32,
        rng: &mut impl rand::Rng,
    ) -> UpdateStats {
        let n = batch.len();
        let mut stats = UpdateStats::default();
        if n == 0 {
            return stats;
        }
        let (od, ad) = (batch.obs_dim, batch.action_dim);
        let mut idx: Vec<usize> = (0..n).collect();
        let mut count = 0.0;
        let mb = cfg.minibatch_size.min(n);
        for _ in 0..cfg.epochs {
            idx.shuffle(rng);
            for chunk in idx.chunks(mb) {
                if chunk.len() < 2 && n > 1 {
                    continue;
                }
                let rows = chunk.len();
                let gather = |src: &[f32], w: usize| -> Vec<f32> {
                    let mut v = Vec::with_capacity(rows * w);
                    for &i in chunk {
                        v.extend_from_slice(&src[i * w..(i + 1) * w]);
                    }
                    v
                };
                let mut adv: Vec<f32> = chunk.iter().map(|&i| batch.advantages[i]).collect();
                if cfg.normalize_advantages {
                    crate::gae::normalize(&mut adv);
                }
                let d = &self.device;
                let obs = tensor2(&gather(&batch.obs, od), rows, od, d);
                let act = tensor2(&gather(&batch.actions, ad), rows, ad, d);
                let mask = tensor2(&gather(&batch.masks, ad), rows, ad, d);
                let adv = tensor1(&adv, d);
                let ret = tensor1(&chunk.iter().map(|&i| batch.returns[i]).collect::<Vec<_>>(), d);
                let old = tensor1(&chunk.iter().map(|&i| batch.old_logp[i]).collect::<Vec<_>>(), d);

                let alpha = self.actor.forward(obs.clone());
                let logp = masked_log_prob(alpha.clone(), act, mask.clone());
                let entropy = masked_entropy(alpha, mask);
                let log_ratio = logp.clone() - old.clone();
                let ratio = log_ratio.clone().exp();
                let surr1 = ratio.clone() * adv.clone();
                let surr2 = ratio.clone().clamp(1.0 - cfg.clip, 1.0 + cfg.clip) * adv;
                let policy_loss = surr1.min_pair(surr2).mean().neg();
                let entropy_mean = entropy.mean();
                let v = self.critic.forward(obs);
                let sq = (v - ret).square();
                let value_loss = match cfg.vf_clip {
                    Some(c) => sq.clamp(0.0, c).mean(),
                    None => sq.mean(),
                };
                let loss = policy_loss.clone() - entropy_mean.clone().mul_scalar(entropy_coef)
                    + value_loss.clone().mul_scalar(cfg.vf_coef);

                // Diagnostics (no gradient needed).
                let kl = scalar((old - logp).mean().detach());
                let clipped = ratio.detach().sub_scalar(1.0).abs().greater_elem(cfg.clip).float().mean();
                stats.policy_loss += scalar(policy_loss.detach());
                stats.value_loss += scalar(value_loss.detach());
                stats.entropy += scalar(entropy_mean.detach());
                stats.kl += kl;
                stats.clip_fraction += scalar(clipped);
                count += 1.0;

                let mut grads = loss.backward();
                let ga = GradientsParams::from_module(&mut grads, &self.actor);
                let gc = GradientsParams::from_module(&mut grads, &self.critic);
                self.actor = self.opt_actor.step(cfg.lr, self.actor.clone(), ga);
                self.critic = self.opt_critic.step(cfg.lr, self.critic.clone(), gc);
            }
        }
        if count > 0.0 {
            stats.policy_loss /= count;
            stats.value_loss /= count;
            stats.entropy /= count;
            stats.kl /= count;
            stats.clip_fraction /= count;
        }
        stats
    }
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
}
