//! The classic fully connected GAN taught with this material.
//!
//! G: z → 256 → 512 → 1024 → 784, LeakyReLU(0.2) between layers, tanh at the end.
//! D: 784 → 512 → 256 → 1, LeakyReLU(0.2), a logit at the end (the sigmoid lives in the loss).

use candle_core::{Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder, linear};

use super::{Discriminator, Generator, IMAGE_SIDE};

/// Slope of the LeakyReLU used in both networks.
pub const LEAKY_SLOPE: f64 = 0.2;

/// LeakyReLU: x for x > 0, slope·x otherwise.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    x.maximum(&(x * slope)?)
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

impl Generator for MlpGenerator {
    fn forward_t(&self, z: &Tensor, _train: bool) -> Result<Tensor> {
        let h = leaky_relu(&self.fc1.forward(z)?, LEAKY_SLOPE)?;
        let h = leaky_relu(&self.fc2.forward(&h)?, LEAKY_SLOPE)?;
        let h = leaky_relu(&self.fc3.forward(&h)?, LEAKY_SLOPE)?;
        let x = self.fc4.forward(&h)?.tanh()?;
        x.reshape((z.dim(0)?, 1, IMAGE_SIDE, IMAGE_SIDE))
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

impl Discriminator for MlpDiscriminator {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Result<Tensor> {
        let x = x.flatten_from(1)?;
        let h = leaky_relu(&self.fc1.forward(&x)?, LEAKY_SLOPE)?;
        let h = leaky_relu(&self.fc2.forward(&h)?, LEAKY_SLOPE)?;
        self.fc3.forward(&h)?.squeeze(1)
    }
}
