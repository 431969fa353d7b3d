//! The classic fully connected GAN taught with this material.
//!
//! G: z → 256 → 512 → 1024 → 784, LeakyReLU(0.2) between layers, tanh at the end.
//! D: 784 → 512 → 256 → 1, LeakyReLU(0.2), a logit at the end (the sigmoid lives in the loss).
//!
//! Each layer runs as one fused op (matmul, bias and activation, forward and
//! backward: [`super::ops::linear`]).

use candle_core::{Result, Tensor};
use candle_nn::{Linear, VarBuilder, linear};

use super::ops::Activation;
use super::ops::linear::linear_act;
use super::{Discriminator, Generator, IMAGE_SIDE, params};

/// Slope of the LeakyReLU used in both networks.
pub const LEAKY_SLOPE: f64 = 0.2;

/// LeakyReLU: x for x > 0, slope·x otherwise.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    x.maximum(&(x * slope)?)
}

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE as f32);

/// `act(layer(x))` as one fused op; with `frozen` the layer's weights enter as constants.
fn dense(layer: &Linear, x: &Tensor, act: Activation, frozen: bool) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), frozen)?;
    linear_act(x, &w, &b, act)
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
    fn run(&self, z: &Tensor, frozen: bool) -> Result<Tensor> {
        let h = dense(&self.fc1, z, LEAKY, frozen)?;
        let h = dense(&self.fc2, &h, LEAKY, frozen)?;
        let h = dense(&self.fc3, &h, LEAKY, frozen)?;
        let x = dense(&self.fc4, &h, Activation::Tanh, frozen)?;
        x.reshape((z.dim(0)?, 1, IMAGE_SIDE, IMAGE_SIDE))
    }
}

impl Generator for MlpGenerator {
    fn forward_t(&self, z: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(z, false)
    }

    fn forward_frozen(&self, z: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(z, true)
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
        Ok(Self {
            fc1: linear(IMAGE_SIDE * IMAGE_SIDE, 512, vb.pp("fc1"))?,
            fc2: linear(512, 256, vb.pp("fc2"))?,
            fc3: linear(256, 1, vb.pp("fc3"))?,
        })
    }
}

impl MlpDiscriminator {
    fn run(&self, x: &Tensor, frozen: bool) -> Result<Tensor> {
        let x = x.flatten_from(1)?;
        let h = dense(&self.fc1, &x, LEAKY, frozen)?;
        let h = dense(&self.fc2, &h, LEAKY, frozen)?;
        dense(&self.fc3, &h, Activation::Identity, frozen)?.squeeze(1)
    }
}

impl Discriminator for MlpDiscriminator {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(x, false)
    }

    fn forward_frozen(&self, x: &Tensor, _train: bool) -> Result<Tensor> {
        self.run(x, true)
    }

    fn batch_independent(&self) -> bool {
        true
    }
}
