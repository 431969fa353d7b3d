//! The classic fully connected GAN taught with this material.
//!
//! G: z → 256 → 512 → 1024 → 784, LeakyReLU(0.2) between layers, tanh at the end.
//! D: 784 → 512 → 256 → 1, LeakyReLU(0.2), a logit at the end (the sigmoid lives in the loss).
//!
//! Each layer runs as one fused op (matmul, bias and activation, forward and
//! backward: [`super::ops::linear`]).

use std::sync::Arc;

use candle_core::{Result, Tensor};
use candle_nn::{Linear, VarBuilder, linear};

use super::ops::Activation;
use super::ops::linear::linear_act_into;
use super::ops::sink::ParamGrads;
use super::{Discriminator, Generator, IMAGE_SIDE, Weights, params};

/// Slope of the LeakyReLU used in both networks.
pub const LEAKY_SLOPE: f64 = 0.2;

/// LeakyReLU: x for x > 0, slope·x otherwise.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    x.maximum(&(x * slope)?)
}

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE as f32);

/// `act(layer(x))` as one fused op, the weights treated as `weights` says.
fn dense(layer: &Linear, x: &Tensor, act: Activation, weights: Weights) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), weights.frozen())?;
    linear_act_into(x, &w, &b, act, None, weights.sink())
}

/// The MLP generator.
pub struct MlpGenerator {
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
    fc4: Linear,
}

impl MlpGenerator {
    /// Builds the layers `fc1`..`fc4` under `vb`.
    pub fn new(latent_dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: linear(latent_dim, 256, vb.pp("fc1"))?,
            fc2: linear(256, 512, vb.pp("fc2"))?,
            fc3: linear(512, 1024, vb.pp("fc3"))?,
            fc4: linear(1024, IMAGE_SIDE * IMAGE_SIDE, vb.pp("fc4"))?,
        })
    }
}

impl MlpGenerator {
    fn run(&self, z: &Tensor, weights: Weights) -> Result<Tensor> {
        let h = dense(&self.fc1, z, LEAKY, weights)?;
        let h = dense(&self.fc2, &h, LEAKY, weights)?;
        let h = dense(&self.fc3, &h, LEAKY, weights)?;
        let x = dense(&self.fc4, &h, Activation::Tanh, weights)?;
        x.reshape((z.dim(0)?, 1, IMAGE_SIDE, IMAGE_SIDE))
    }
}

impl Generator for MlpGenerator {
    fn forward_t(&self, z: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(z, Weights::Graph)
    }

    fn forward_frozen(&self, z: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(z, Weights::Frozen)
    }

    fn forward_collecting(&self, z: &Tensor, _train: bool, grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.run(z, Weights::Collect(grads))
    }
}

/// The MLP discriminator.
pub struct MlpDiscriminator {
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl MlpDiscriminator {
    /// Builds the layers `fc1`..`fc3` under `vb`.
    pub fn new(vb: VarBuilder) -> Result<Self> {
        Self::with_label_inputs(0, vb)
    }

    /// The discriminator of a conditional GAN: `classes` one-hot inputs after the pixels.
    pub fn with_label_inputs(classes: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: linear(IMAGE_SIDE * IMAGE_SIDE + classes, 512, vb.pp("fc1"))?,
            fc2: linear(512, 256, vb.pp("fc2"))?,
            fc3: linear(256, 1, vb.pp("fc3"))?,
        })
    }
}

impl MlpDiscriminator {
    fn run(&self, x: &Tensor, weights: Weights) -> Result<Tensor> {
        let x = x.flatten_from(1)?;
        let h = dense(&self.fc1, &x, LEAKY, weights)?;
        let h = dense(&self.fc2, &h, LEAKY, weights)?;
        dense(&self.fc3, &h, Activation::Identity, weights)?.squeeze(1)
    }
}

impl Discriminator for MlpDiscriminator {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(x, Weights::Graph)
    }

    fn forward_frozen(&self, x: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(x, Weights::Frozen)
    }

    fn forward_collecting(&self, x: &Tensor, _train: bool, grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.run(x, Weights::Collect(grads))
    }

    fn batch_independent(&self) -> bool {
        true
    }
}
