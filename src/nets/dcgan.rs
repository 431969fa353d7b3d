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
//!
//! Layers run as fused ops ([`super::ops`]): convolutions and transposed convolutions
//! as im2col / col2im plus one matrix product with bias and activation, batch norm in
//! training mode with its activation; inference-mode batch norm uses candle's module.
//! In a training step (`forward_collecting`, `forward_frozen`) each batch norm runs as the
//! epilogue of the layer before it ([`super::ops::batchnorm::BnEpilogue`]): one op and one
//! candle node for dense + BN + ReLU, transposed convolution + BN + ReLU, convolution + BN +
//! LeakyReLU. `forward_t` keeps them as separate ops, the reference the fused path is tested
//! against.

use std::sync::Arc;

use candle_core::{DType, ModuleT, Result, Tensor};
use candle_nn::{
    BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, Linear, VarBuilder,
    batch_norm, conv_transpose2d, conv2d, linear,
};

use super::mlp::LEAKY_SLOPE;
use super::ops::Activation;
use super::ops::batchnorm::{BnEpilogue, batch_norm_act_train, update_running_stats};
use super::ops::conv::{conv_transpose2d_act, conv_transpose2d_bn_act, conv2d_act, conv2d_bn_act};
use super::ops::linear::{linear_act_into, linear_bn_act};
use super::ops::sink::ParamGrads;
use super::{Discriminator, Generator, IMAGE_SIDE, Weights, params};

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE as f32);

/// Batch norm then `act`: batch statistics (and a running-statistics update) when `train`,
/// running statistics otherwise; with `frozen` the scale and shift enter as constants.
pub(super) fn bn_act(bn: &BatchNorm, x: &Tensor, train: bool, frozen: bool, act: Activation) -> Result<Tensor> {
    if !train {
        return act.candle(&bn.forward_t(x, false)?);
    }
    let Some((w, b)) = bn.weight_and_bias() else {
        candle_core::bail!("batch norm without scale and shift");
    };
    let (w, b) = params(w, Some(b), frozen)?;
    let (y, stats) = batch_norm_act_train(x, &w, &b, bn_config().eps, act)?;
    update_running_stats(bn.running_mean(), bn.running_var(), &stats, bn.momentum())?;
    Ok(y)
}

/// Whether a layer and the batch norm after it run as one op ([`BnEpilogue`]): in training
/// mode on the CPU, in a training step (weights collected or constant). `forward_t` keeps
/// them apart, as the reference the tests hold the fused path to.
pub(super) fn fuse_bn(x: &Tensor, train: bool, weights: Weights) -> bool {
    train && !matches!(weights, Weights::Graph) && x.device().is_cpu() && x.dtype() == DType::F32
}

/// `bn`'s scale and shift as a layer's epilogue, then `act`; their gradients go to the
/// step's collector (none when the weights are constants).
fn epilogue(bn: &BatchNorm, weights: Weights, act: Activation) -> Result<BnEpilogue> {
    let Some((w, b)) = bn.weight_and_bias() else {
        candle_core::bail!("batch norm without scale and shift");
    };
    Ok(BnEpilogue::new(w, b, bn_config().eps, act, weights.sink()))
}

/// Runs `layer` (given its epilogue) and then updates `bn`'s running statistics from the batch.
fn with_bn(
    bn: &BatchNorm,
    weights: Weights,
    act: Activation,
    layer: impl FnOnce(BnEpilogue) -> Result<Tensor>,
) -> Result<Tensor> {
    let e = epilogue(bn, weights, act)?;
    let y = layer(e.clone())?;
    update_running_stats(bn.running_mean(), bn.running_var(), &e.stats()?, bn.momentum())?;
    Ok(y)
}

/// A dense layer from `x (B, …)` read flat to an output of shape `(B, out_tail…)` (or `(B, out)`).
pub(super) fn dense(layer: &Linear, x: &Tensor, weights: Weights, out_tail: Option<&[usize]>) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), weights.frozen())?;
    linear_act_into(x, &w, &b, Activation::Identity, out_tail, weights.sink())
}

fn up(layer: &ConvTranspose2d, x: &Tensor, frozen: bool, act: Activation) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), frozen)?;
    let c = up_config();
    conv_transpose2d_act(x, &w, &b, c.stride, c.padding, act)
}

pub(super) fn down(layer: &Conv2d, x: &Tensor, frozen: bool, act: Activation) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), frozen)?;
    let c = down_config();
    conv2d_act(x, &w, &b, c.stride, c.padding, act)
}

/// [`dense`] into feature maps `out_tail` with `bn` and `act` as its epilogue ([`with_bn`]).
fn dense_bn(
    layer: &Linear,
    bn: &BatchNorm,
    x: &Tensor,
    weights: Weights,
    out_tail: &[usize],
    act: Activation,
) -> Result<Tensor> {
    with_bn(bn, weights, act, |e| {
        let (w, b) = params(layer.weight(), layer.bias(), weights.frozen())?;
        linear_bn_act(x, &w, &b, out_tail, weights.sink(), e)
    })
}

/// A fully connected layer into `(B, units)` with batch norm and `act`, fused in a training
/// step as [`dense_bn`] (the units as 1×1 feature maps).
pub(super) fn hidden_bn(
    layer: &Linear,
    bn: &BatchNorm,
    x: &Tensor,
    train: bool,
    weights: Weights,
    act: Activation,
) -> Result<Tensor> {
    let units = layer.weight().dim(0)?;
    let maps = [units, 1, 1];
    let h = if fuse_bn(x, train, weights) {
        dense_bn(layer, bn, x, weights, &maps, act)?
    } else {
        let h = dense(layer, x, weights, Some(&maps))?;
        bn_act(bn, &h, train, weights.frozen(), act)?
    };
    h.flatten_from(1)
}

/// [`up`] with `bn` and `act` as its epilogue.
fn up_bn(layer: &ConvTranspose2d, bn: &BatchNorm, x: &Tensor, weights: Weights, act: Activation) -> Result<Tensor> {
    with_bn(bn, weights, act, |e| {
        let (w, b) = params(layer.weight(), layer.bias(), weights.frozen())?;
        let c = up_config();
        conv_transpose2d_bn_act(x, &w, &b, c.stride, c.padding, e)
    })
}

/// [`down`] with `bn` and `act` as its epilogue.
pub(super) fn down_bn(layer: &Conv2d, bn: &BatchNorm, x: &Tensor, weights: Weights, act: Activation) -> Result<Tensor> {
    with_bn(bn, weights, act, |e| {
        let (w, b) = params(layer.weight(), layer.bias(), weights.frozen())?;
        let c = down_config();
        conv2d_bn_act(x, &w, &b, c.stride, c.padding, e)
    })
}

pub(super) const G_CHANNELS: usize = 128;
pub(super) const G_MID: usize = 64;
pub(super) const SIDE_7: usize = IMAGE_SIDE / 4;

pub(super) fn bn_config() -> BatchNormConfig {
    BatchNormConfig {
        eps: 1e-5,
        remove_mean: true,
        affine: true,
        momentum: 0.1,
    }
}

/// A 4×4 transposed convolution that doubles the side (stride 2, padding 1).
pub(crate) fn up_config() -> ConvTranspose2dConfig {
    ConvTranspose2dConfig {
        padding: 1,
        output_padding: 0,
        stride: 2,
        dilation: 1,
    }
}

/// A 4×4 convolution that halves the side (stride 2, padding 1).
pub(crate) fn down_config() -> Conv2dConfig {
    Conv2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    }
}

/// An optional fully connected layer with batch norm (InfoGAN's MNIST networks have them).
pub(super) type Hidden = Option<(Linear, BatchNorm)>;

/// A layer of `units` from `inputs` under `name` and `bn_{name}` (0 units: none), and the
/// size of what comes out of it.
pub(super) fn hidden(inputs: usize, units: usize, vb: &VarBuilder, name: &str) -> Result<(Hidden, usize)> {
    if units == 0 {
        return Ok((None, inputs));
    }
    let layer = linear(inputs, units, vb.pp(name))?;
    let bn = batch_norm(units, bn_config(), vb.pp(format!("bn_{name}")))?;
    Ok((Some((layer, bn)), units))
}

/// `h` through `layer` (batch norm, then `act`), or as it is where there is none.
pub(super) fn run_hidden(h: Tensor, layer: &Hidden, train: bool, weights: Weights, act: Activation) -> Result<Tensor> {
    match layer {
        Some((layer, bn)) => hidden_bn(layer, bn, &h, train, weights, act),
        None => Ok(h),
    }
}

/// The DCGAN generator.
pub struct DcganGenerator {
    /// InfoGAN's MNIST generator (Chen et al. 2016, table 4) starts with a fully connected
    /// layer of its own: z → 1024 → BN → ReLU, before `fc`.
    hidden: Hidden,
    fc: Linear,
    bn0: BatchNorm,
    up1: ConvTranspose2d,
    bn1: BatchNorm,
    up2: ConvTranspose2d,
}

impl DcganGenerator {
    /// Builds the layers under `vb` (`fc`, `bn0`, `up1`, `bn1`, `up2`).
    pub fn new(latent_dim: usize, vb: VarBuilder) -> Result<Self> {
        Self::with_hidden(latent_dim, 0, vb)
    }

    /// The generator with a fully connected layer of `hidden` units, batch norm and ReLU
    /// first (`hidden`, `bn_hidden`); 0: none, as [`DcganGenerator::new`].
    pub fn with_hidden(latent_dim: usize, hidden: usize, vb: VarBuilder) -> Result<Self> {
        let (hidden, fc_in) = self::hidden(latent_dim, hidden, &vb, "hidden")?;
        Ok(Self {
            hidden,
            fc: linear(fc_in, G_CHANNELS * SIDE_7 * SIDE_7, vb.pp("fc"))?,
            bn0: batch_norm(G_CHANNELS, bn_config(), vb.pp("bn0"))?,
            up1: conv_transpose2d(G_CHANNELS, G_MID, 4, up_config(), vb.pp("up1"))?,
            bn1: batch_norm(G_MID, bn_config(), vb.pp("bn1"))?,
            up2: conv_transpose2d(G_MID, 1, 4, up_config(), vb.pp("up2"))?,
        })
    }
}

impl DcganGenerator {
    fn run(&self, z: &Tensor, train: bool, weights: Weights) -> Result<Tensor> {
        let frozen = weights.frozen();
        let relu = Activation::Relu;
        let maps = [G_CHANNELS, SIDE_7, SIDE_7];
        let z = &run_hidden(z.clone(), &self.hidden, train, weights, relu)?;
        let h = if fuse_bn(z, train, weights) {
            let h = dense_bn(&self.fc, &self.bn0, z, weights, &maps, relu)?;
            up_bn(&self.up1, &self.bn1, &h, weights, relu)?
        } else {
            let h = dense(&self.fc, z, weights, Some(&maps))?;
            let h = bn_act(&self.bn0, &h, train, frozen, relu)?;
            let h = up(&self.up1, &h, frozen, Activation::Identity)?;
            bn_act(&self.bn1, &h, train, frozen, relu)?
        };
        up(&self.up2, &h, frozen, Activation::Tanh)
    }
}

impl Generator for DcganGenerator {
    fn forward_t(&self, z: &Tensor, train: bool) -> Result<Tensor> {
        self.run(z, train, Weights::Graph)
    }

    fn forward_frozen(&self, z: &Tensor, train: bool) -> Result<Tensor> {
        self.run(z, train, Weights::Frozen)
    }

    fn forward_collecting(&self, z: &Tensor, train: bool, grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.run(z, train, Weights::Collect(grads))
    }
}

/// The DCGAN discriminator.
pub struct DcganDiscriminator {
    conv1: Conv2d,
    conv2: Conv2d,
    bn2: BatchNorm,
    /// A fully connected layer (BN, LeakyReLU) ending the body, as InfoGAN's MNIST network.
    body_fc: Hidden,
    fc: Linear,
}

impl DcganDiscriminator {
    /// Builds the layers under `vb` (`conv1`, `conv2`, `bn2`, `fc`).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        Self::with_label_maps(0, vb)
    }

    /// The discriminator of a conditional DCGAN: `classes` constant maps beside the image.
    pub fn with_label_maps(classes: usize, vb: VarBuilder) -> Result<Self> {
        Self::with_layers(classes, 0, vb)
    }

    /// `classes` constant maps beside the image, and a fully connected layer of `hidden`
    /// units (BN, LeakyReLU; `body_fc`, `bn_body_fc`) between the convolutions and the logit
    /// (0: none, the DCGAN paper's).
    pub fn with_layers(classes: usize, hidden: usize, vb: VarBuilder) -> Result<Self> {
        let (body_fc, fc_in) = self::hidden(G_CHANNELS * SIDE_7 * SIDE_7, hidden, &vb, "body_fc")?;
        Ok(Self {
            conv1: conv2d(1 + classes, G_MID, 4, down_config(), vb.pp("conv1"))?,
            conv2: conv2d(G_MID, G_CHANNELS, 4, down_config(), vb.pp("conv2"))?,
            bn2: batch_norm(G_CHANNELS, bn_config(), vb.pp("bn2"))?,
            body_fc,
            fc: linear(fc_in, 1, vb.pp("fc"))?,
        })
    }
}

impl DcganDiscriminator {
    fn run(&self, x: &Tensor, train: bool, weights: Weights) -> Result<Tensor> {
        let frozen = weights.frozen();
        let h = down(&self.conv1, x, frozen, LEAKY)?;
        let h = if fuse_bn(x, train, weights) {
            down_bn(&self.conv2, &self.bn2, &h, weights, LEAKY)?
        } else {
            let h = down(&self.conv2, &h, frozen, Activation::Identity)?;
            bn_act(&self.bn2, &h, train, frozen, LEAKY)?
        };
        let h = run_hidden(h, &self.body_fc, train, weights, LEAKY)?;
        dense(&self.fc, &h, weights, None)?.squeeze(1)
    }
}

impl Discriminator for DcganDiscriminator {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.run(x, train, Weights::Graph)
    }

    fn forward_frozen(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.run(x, train, Weights::Frozen)
    }

    fn forward_collecting(&self, x: &Tensor, train: bool, grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.run(x, train, Weights::Collect(grads))
    }
}
