//! Proof that training works end to end: autodiff through ln Γ / ψ, Adam, and
//! parameter updates on the actor and critic.

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use dfaas_training::NetConfig;

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

#[test]
fn actor_learns_to_concentrate_on_a_target_action() {
    let device = Device::flex().autodiff();
    device.seed(1);
    let cfg = NetConfig::new(4, 3).with_hidden([32, 32]);
    let mut actor = cfg.init_actor(&device).unwrap();
    let mut optim = AdamConfig::new().init();

    let batch = 16;
    let obs = Tensor::<2>::random([batch, 4], Distribution::Uniform(-1.0, 1.0), &device);
    let target: Vec<f32> = [0.6f32, 0.3, 0.1].repeat(batch);
    let target = Tensor::<2>::from_data(TensorData::new(target, [batch, 3]), &device);

    let mut losses = Vec::new();
    for _ in 0..100 {
        let dist = actor.distribution(obs.clone());
        // Maximise log-density of the target, with a small entropy bonus so
        // the gradient also flows through ψ.
        let loss = dist.log_prob(target.clone()).mean().neg() - dist.entropy().mean().mul_scalar(0.01);
        losses.push(scalar(loss.clone()));
        let grads = GradientsParams::from_grads(loss.backward(), &actor);
        actor = optim.step(1e-2, actor, grads);
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(last < first - 2.0, "loss {first} → {last}");

    let mean = actor.distribution(obs).mean().into_data().try_into_vec::<f32>().unwrap();
    for row in mean.chunks(3) {
        for (m, t) in row.iter().zip([0.6, 0.3, 0.1]) {
            assert!((m - t).abs() < 0.05, "mean {row:?}");
        }
    }
}

#[test]
fn critic_fits_a_regression_target() {
    let device = Device::flex().autodiff();
    device.seed(2);
    let cfg = NetConfig::new(2, 1).with_hidden([32]);
    let mut critic = cfg.init_critic(&device).unwrap();
    let mut optim = AdamConfig::new().init();

    let obs = Tensor::<2>::random([32, 2], Distribution::Uniform(-1.0, 1.0), &device);
    // v(s) = s₀ − 2 s₁ + 0.5
    let w = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, -2.0], [2, 1]), &device);
    let target = obs.clone().matmul(w).squeeze_dim::<1>(1).add_scalar(0.5);

    let mse = |critic: &dfaas_training::Critic| (critic.forward(obs.clone()) - target.clone()).square().mean();
    let first = scalar(mse(&critic));
    for _ in 0..100 {
        let loss = mse(&critic);
        let grads = GradientsParams::from_grads(loss.backward(), &critic);
        critic = optim.step(1e-2, critic, grads);
    }
    let last = scalar(mse(&critic));
    assert!(last < 0.05 * first, "mse {first} → {last}");
}
