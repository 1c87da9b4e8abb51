//! Actor and critic networks: separate MLPs, as RLlib's `FullyConnectedNetwork`
//! with `vf_share_layers = False`.
//!
//! The actor's head gives the Dirichlet concentration α = softplus(z) + floor.

use crate::dirichlet::Dirichlet;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{relu, softplus};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// The default lower bound added to softplus(z) in the actor head.
///
/// marl-dfaas master uses 1e-7 (α ∈ (0, ∞)); paise2025 effectively uses
/// α ≥ 1. 1e-3 keeps α in the range where ln Γ and ψ stay well conditioned in
/// f32 (ψ(1e-3) ≈ −1000) while still letting the policy put nearly all mass on
/// a corner of the simplex.
pub const DEFAULT_ALPHA_FLOOR: f64 = 1e-3;

/// Hidden-layer nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// tanh, RLlib's default for fully connected nets.
    #[default]
    Tanh,
    /// max(0, x).
    Relu,
}

impl Activation {
    fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => relu(x),
        }
    }
}

/// A configuration that cannot build a network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid network configuration: {0}")]
pub struct ConfigError(String);

/// Fully connected layers: hidden layers with an activation, then a linear output.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
    #[module(skip)]
    activation: Activation,
}

/// `(W, b)` of a linear layer: `W` row-major `[out][in]`, `b` of length `out`.
pub type LayerWeights = (Vec<f32>, Vec<f32>);

fn linear_weights(l: &Linear) -> LayerWeights {
    // burn stores W as [d_input, d_output]; transpose to [out][in].
    let w = l.weight.val();
    let [d_in, d_out] = w.dims();
    let data = w.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default();
    let mut t = vec![0.0f32; d_in * d_out];
    for i in 0..d_in {
        for o in 0..d_out {
            t[o * d_in + i] = data[i * d_out + o];
        }
    }
    let b = match &l.bias {
        Some(b) => b.val().into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default(),
        None => vec![0.0; d_out],
    };
    (t, b)
}

impl Mlp {
    /// Every layer's weights in order (hidden layers, then the output layer).
    pub fn export_layers(&self) -> Vec<LayerWeights> {
        self.hidden.iter().chain(std::iter::once(&self.output)).map(linear_weights).collect()
    }

    fn new(input: usize, hidden: &[usize], output: usize, activation: Activation, device: &Device) -> Self {
        let mut layers = Vec::with_capacity(hidden.len());
        let mut width = input;
        for &h in hidden {
            layers.push(LinearConfig::new(width, h).init(device));
            width = h;
        }
        let mlp = Self { hidden: layers, output: LinearConfig::new(width, output).init(device), activation };
        // burn initialises parameters lazily, on first use, from a process-wide
        // generator: draw them all now, in order, so a seed fixes the weights
        // whichever thread touches the network first.
        mlp.visit(&mut Materialize);
        mlp
    }

    /// `[batch, input]` → `[batch, output]`, no activation after the last layer.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.hidden.iter().fold(x, |x, layer| self.activation.apply(layer.forward(x)));
        self.output.forward(x)
    }
}

/// Forces every lazily initialised parameter to draw its values.
struct Materialize;

impl burn::module::ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
        let _ = param.val();
    }
}

/// Shape of an actor or critic network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Observation length.
    pub obs_dim: usize,
    /// Action length (simplex dimension; 1 + neighbours + 1 in DFaaS). Unused by the critic.
    pub action_dim: usize,
    /// Critic input length when it differs from the actor's (a central
    /// critic); 0: the critic sees the observation.
    #[serde(default)]
    pub critic_dim: usize,
    /// Hidden layer widths, e.g. `[256, 256]`.
    pub hidden: Vec<usize>,
    /// Hidden-layer nonlinearity.
    pub activation: Activation,
    /// α = softplus(z) + `alpha_floor` in the actor head; must be ≥ 0 and finite.
    pub alpha_floor: f64,
}

impl NetConfig {
    /// `[256, 256]` tanh, α floor [`DEFAULT_ALPHA_FLOOR`].
    pub fn new(obs_dim: usize, action_dim: usize) -> Self {
        Self {
            obs_dim,
            action_dim,
            critic_dim: 0,
            hidden: vec![256, 256],
            activation: Activation::Tanh,
            alpha_floor: DEFAULT_ALPHA_FLOOR,
        }
    }

    /// Replaces the hidden layer widths.
    pub fn with_hidden(mut self, hidden: impl Into<Vec<usize>>) -> Self {
        self.hidden = hidden.into();
        self
    }

    /// Replaces the hidden-layer nonlinearity.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Replaces the α floor.
    pub fn with_alpha_floor(mut self, alpha_floor: f64) -> Self {
        self.alpha_floor = alpha_floor;
        self
    }

    /// Checks that every size is positive and the floor is finite and ≥ 0.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |msg: String| Err(ConfigError(msg));
        if self.obs_dim == 0 {
            return bad("obs_dim is 0".into());
        }
        if self.action_dim == 0 {
            return bad("action_dim is 0".into());
        }
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return bad(format!("hidden layer {i} has width 0"));
        }
        if !(self.alpha_floor.is_finite() && self.alpha_floor >= 0.0) {
            return bad(format!("alpha_floor {} is not finite and ≥ 0", self.alpha_floor));
        }
        Ok(())
    }

    /// A freshly initialised actor on `device`.
    pub fn init_actor(&self, device: &Device) -> Result<Actor, ConfigError> {
        self.validate()?;
        Ok(Actor {
            mlp: Mlp::new(self.obs_dim, &self.hidden, self.action_dim, self.activation, device),
            alpha_floor: self.alpha_floor,
        })
    }

    /// A freshly initialised critic on `device`.
    pub fn init_critic(&self, device: &Device) -> Result<Critic, ConfigError> {
        self.validate()?;
        let input = if self.critic_dim > 0 { self.critic_dim } else { self.obs_dim };
        Ok(Critic { mlp: Mlp::new(input, &self.hidden, 1, self.activation, device) })
    }
}

/// Policy network: observation → Dirichlet concentration α.
#[derive(Module, Debug)]
pub struct Actor {
    mlp: Mlp,
    alpha_floor: f64,
}

impl Actor {
    /// Layer weights for export (see [`Mlp::export_layers`]).
    pub fn export_layers(&self) -> Vec<LayerWeights> {
        self.mlp.export_layers()
    }

    /// The α floor of the head.
    pub fn alpha_floor(&self) -> f64 {
        self.alpha_floor
    }

    /// `[batch, obs_dim]` → α, `[batch, action_dim]`, every entry ≥ the floor (> 0 when floor > 0).
    pub fn forward(&self, obs: Tensor<2>) -> Tensor<2> {
        softplus(self.mlp.forward(obs), 1.0).add_scalar(self.alpha_floor)
    }

    /// The action distribution for each observation row.
    pub fn distribution(&self, obs: Tensor<2>) -> Dirichlet {
        Dirichlet::new(self.forward(obs))
    }
}

/// Value network: observation → state value.
#[derive(Module, Debug)]
pub struct Critic {
    mlp: Mlp,
}

impl Critic {
    /// `[batch, obs_dim]` → `[batch]`.
    pub fn forward(&self, obs: Tensor<2>) -> Tensor<1> {
        self.mlp.forward(obs).squeeze_dim(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, TensorData};

    /// Counts parameters still waiting for their lazy initialisation.
    struct CountLazy(usize, usize);
    impl burn::module::ModuleVisitor for CountLazy {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            self.0 += 1;
            self.1 += usize::from(!param.is_initialized());
        }
    }

    #[test]
    fn parameters_are_drawn_at_creation_not_on_first_use() {
        let cfg = NetConfig::new(6, 4).with_hidden([8, 8]);
        let mut c = CountLazy(0, 0);
        cfg.init_actor(&Device::flex()).unwrap().visit(&mut c);
        cfg.init_critic(&Device::flex()).unwrap().visit(&mut c);
        assert_eq!(c.0, 12, "3 layers × (weight, bias) × 2 networks");
        assert_eq!(c.1, 0, "lazy parameters would draw from the global generator later, in any order");
    }

    #[test]
    fn shapes_are_right_and_alpha_is_positive() {
        let device = Device::flex();
        let cfg = NetConfig::new(6, 4).with_hidden([32, 16]);
        let actor = cfg.init_actor(&device).unwrap();
        let critic = cfg.init_critic(&device).unwrap();
        // Raw counts up to 150, as marl-dfaas feeds them, plus a zero row.
        let obs = Tensor::<2>::random([5, 6], Distribution::Uniform(0.0, 150.0), &device);
        let obs = Tensor::cat(vec![obs, Tensor::zeros([1, 6], &device)], 0);
        let alpha = actor.forward(obs.clone());
        assert_eq!(alpha.dims(), [6, 4]);
        let a = alpha.into_data().try_into_vec::<f32>().unwrap();
        assert!(a.iter().all(|&v| v.is_finite() && v >= 1e-3), "{a:?}");
        assert_eq!(critic.forward(obs.clone()).dims(), [6]);
        assert_eq!(actor.distribution(obs).entropy().dims(), [6]);
    }

    #[test]
    fn floor_is_reached_for_very_negative_logits() {
        let device = Device::flex();
        let actor = NetConfig::new(1, 2).with_hidden([]).with_alpha_floor(0.25).init_actor(&device).unwrap();
        // With no hidden layer the head is linear: a huge input saturates softplus at 0 on one side.
        let obs = Tensor::<2>::from_data(TensorData::new(vec![1e6f32, -1e6], [2, 1]), &device);
        let a = actor.forward(obs).into_data().try_into_vec::<f32>().unwrap();
        assert!(a.iter().all(|&v| v >= 0.25) && a.contains(&0.25), "{a:?}");
    }

    #[test]
    fn invalid_configs_are_rejected() {
        let device = Device::flex();
        assert!(NetConfig::new(0, 3).init_actor(&device).is_err());
        assert!(NetConfig::new(3, 0).init_critic(&device).is_err());
        assert!(NetConfig::new(3, 3).with_hidden([8, 0]).init_actor(&device).is_err());
        let err = NetConfig::new(3, 3).with_alpha_floor(f64::NAN).init_actor(&device).unwrap_err();
        assert!(err.to_string().contains("alpha_floor"), "{err}");
    }

    #[test]
    fn config_round_trips_through_json() {
        let cfg = NetConfig::new(8, 5).with_activation(Activation::Relu);
        let json = serde_json::to_string(&cfg).unwrap();
        assert!(json.contains("\"relu\""), "{json}");
        assert_eq!(serde_json::from_str::<NetConfig>(&json).unwrap(), cfg);
    }
}
