//! A small DCGAN (Radford et al. 2015) for 28×28 images.
//!
//! G: z → linear 128·7·7 → BN → ReLU → transposed conv 4×4/2 → 64×14×14 → BN → ReLU
//!    → transposed conv 4×4/2 → 1×28×28 → tanh.
//! D: conv 4×4/2 1→64 → LeakyReLU(0.2) → conv 4×4/2 64→128 → BN → LeakyReLU(0.2)
//!    → linear 128·7·7 → 1 (a logit).
//!
//! Batch norm sits where the DCGAN paper puts it: everywhere except the
//! generator's output layer and the discriminator's input layer. candle's
//! `BatchNorm` trains with batch statistics (`forward_t(x, true)`) and keeps
//! running statistics for inference, which is what sampling and the latent
//! explorer use, so decoding one z never depends on the rest of a batch.

use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::{
    BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, Linear, VarBuilder,
    batch_norm, conv_transpose2d, conv2d, linear,
};

use super::mlp::{LEAKY_SLOPE, leaky_relu};
use super::{Discriminator, Generator, IMAGE_SIDE};

const G_CHANNELS: usize = 128;
const G_MID: usize = 64;
const SIDE_7: usize = IMAGE_SIDE / 4;

fn bn_config() -> BatchNormConfig {
    BatchNormConfig {
        eps: 1e-5,
        remove_mean: true,
        affine: true,
        momentum: 0.1,
    }
}

fn up_config() -> ConvTranspose2dConfig {
    ConvTranspose2dConfig {
        padding: 1,
        output_padding: 0,
        stride: 2,
        dilation: 1,
    }
}

fn down_config() -> Conv2dConfig {
    Conv2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    }
}

/// The DCGAN generator.
pub struct DcganGenerator {
    fc: Linear,
    bn0: BatchNorm,
    up1: ConvTranspose2d,
    bn1: BatchNorm,
    up2: ConvTranspose2d,
}

impl DcganGenerator {
    /// Builds the layers under `vb` (`fc`, `bn0`, `up1`, `bn1`, `up2`).
    pub fn new(latent_dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc: linear(latent_dim, G_CHANNELS * SIDE_7 * SIDE_7, vb.pp("fc"))?,
            bn0: batch_norm(G_CHANNELS, bn_config(), vb.pp("bn0"))?,
            up1: conv_transpose2d(G_CHANNELS, G_MID, 4, up_config(), vb.pp("up1"))?,
            bn1: batch_norm(G_MID, bn_config(), vb.pp("bn1"))?,
            up2: conv_transpose2d(G_MID, 1, 4, up_config(), vb.pp("up2"))?,
        })
    }
}

impl Generator for DcganGenerator {
    fn forward_t(&self, z: &Tensor, train: bool) -> Result<Tensor> {
        let b = z.dim(0)?;
        let h = self.fc.forward(z)?.reshape((b, G_CHANNELS, SIDE_7, SIDE_7))?;
        let h = self.bn0.forward_t(&h, train)?.relu()?;
        let h = self.up1.forward(&h)?;
        let h = self.bn1.forward_t(&h, train)?.relu()?;
        self.up2.forward(&h)?.tanh()
    }
}

/// The DCGAN discriminator.
pub struct DcganDiscriminator {
    conv1: Conv2d,
    conv2: Conv2d,
    bn2: BatchNorm,
    fc: Linear,
}

impl DcganDiscriminator {
    /// Builds the layers under `vb` (`conv1`, `conv2`, `bn2`, `fc`).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            conv1: conv2d(1, G_MID, 4, down_config(), vb.pp("conv1"))?,
            conv2: conv2d(G_MID, G_CHANNELS, 4, down_config(), vb.pp("conv2"))?,
            bn2: batch_norm(G_CHANNELS, bn_config(), vb.pp("bn2"))?,
            fc: linear(G_CHANNELS * SIDE_7 * SIDE_7, 1, vb.pp("fc"))?,
        })
    }
}

impl Discriminator for DcganDiscriminator {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let h = leaky_relu(&self.conv1.forward(x)?, LEAKY_SLOPE)?;
        let h = self.conv2.forward(&h)?;
        let h = leaky_relu(&self.bn2.forward_t(&h, train)?, LEAKY_SLOPE)?;
        self.fc.forward(&h.flatten_from(1)?)?.squeeze(1)
    }
}
