//! The autoencoder families (`ae`, `conv-ae`): an encoder squeezes a digit into a small
//! code z, a decoder draws the digit back from it, and both learn to make the copy match
//! (binary cross-entropy or squared error per pixel). Nothing asks the codes to fill the
//! latent space, so decoding a random z shows the holes the VAE closes.
//!
//! Networks `enc` and `dec`, trained by one optimizer group (`ae`; Adam, lr 1e-3, β1 0.9);
//! one step kind; one metric, the reconstruction loss. Seams: decoder and encoder.
//!
//! The networks here are shared with the VAE ([`super::vae`]), whose encoder gives twice
//! as many outputs (μ and log σ²):
//! - MLP: encoder 784 → 512 → 256 → out, decoder z → 256 → 512 → 784, ReLU between layers;
//! - conv: encoder conv 4×4/2 1→32 (14×14) → conv 4×4/2 32→64 (7×7) → linear 3136 → out,
//!   decoder linear z → 64·7·7 → transposed conv 4×4/2 64→32 (14×14) → 1×28×28, ReLU between.
//!
//! The decoder's last layer gives one logit l per pixel: the pixel's probability of ink is
//! σ(l), shown on the [-1, 1] scale as 2σ(l) − 1 = tanh(l/2).

use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, ConvTranspose2d, Linear, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::{
    ChartDef, Declaration, Decoder, Encoder, Family, FamilyModel, ITERATION, MetricDef, OptGroupDef, Seams, StepCtx,
    StepKindDef, StepOutput, check_latent_dim, to_json,
};
use crate::nets::dcgan::{down_config, up_config};
use crate::nets::init::{InitScheme, init_vars};
use crate::nets::ops::Activation;
use crate::nets::ops::conv::{Io, conv_transpose2d_act_io, conv2d_act_io};
use crate::nets::ops::linear::{linear_act_channel_major, linear_act_into};
use crate::nets::ops::sink::ParamGrads;
use crate::nets::{IMAGE_SIDE, copy_vars, params};
use crate::rng::Rng;
use crate::train::{OptimizerConfig, TrainError};

/// Pixels of one image.
const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// Fully connected or convolutional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AeArch {
    /// Dense layers.
    Mlp,
    /// Strided convolutions in, transposed convolutions out.
    Conv,
}

/// How the copy is compared with the digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reconstruction {
    /// Binary cross-entropy per pixel (ink probability against the pixel's grey level),
    /// summed over the image: nats per image.
    #[default]
    Bce,
    /// Squared error per pixel on the 0–1 scale, summed over the image.
    Mse,
}

impl Reconstruction {
    /// Name on the command line and in files.
    pub fn id(self) -> &'static str {
        match self {
            Reconstruction::Bce => "bce",
            Reconstruction::Mse => "mse",
        }
    }
}

/// An autoencoder's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AeSettings {
    /// Size of the code z.
    pub latent_dim: usize,
    /// The reconstruction loss.
    pub recon: Reconstruction,
}

impl super::Settings for AeSettings {
    fn check(&self) -> Result<(), TrainError> {
        check_latent_dim(self.latent_dim)
    }
}

impl Default for AeSettings {
    fn default() -> Self {
        Self {
            latent_dim: 16,
            recon: Reconstruction::Bce,
        }
    }
}

/// Adam with lr 1e-3, β1 0.9, β2 0.999: the usual autoencoder and VAE settings
/// (pytorch/examples' `vae/main.py` uses Adam at 1e-3).
pub fn ae_optimizer() -> OptimizerConfig {
    OptimizerConfig {
        lr: 1e-3,
        beta1: 0.9,
        ..OptimizerConfig::default()
    }
}

// ---- the networks ------------------------------------------------------------------------------

const HIDDEN: [usize; 2] = [512, 256];
const C1: usize = 32;
const C2: usize = 64;
const SIDE_7: usize = IMAGE_SIDE / 4;

/// A dense layer with its activation as one fused op; in a training step (`sink`) its weight
/// gradients go to the step's collector instead of through candle's backward
/// ([`crate::nets::ops::sink`]).
fn dense(
    layer: &Linear,
    x: &Tensor,
    act: Activation,
    out_tail: Option<&[usize]>,
    sink: Sink<'_>,
) -> candle_core::Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), false)?;
    linear_act_into(x, &w, &b, act, out_tail, sink)
}

/// Where a training step's dense-layer weight gradients go (`None`: candle's graph).
pub type Sink<'a> = Option<&'a Arc<ParamGrads>>;

/// A strided convolution; the activation between the two of the encoder passes channel-major
/// (`io`), never rearranged to NCHW and back.
fn down(layer: &Conv2d, x: &Tensor, act: Activation, io: Io) -> candle_core::Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), false)?;
    conv2d_act_io(x, &w, &b, 2, 1, act, io)
}

/// A transposed convolution, the decoder's two passing their activation on channel-major.
fn up(layer: &ConvTranspose2d, x: &Tensor, act: Activation, io: Io) -> candle_core::Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), false)?;
    conv_transpose2d_act_io(x, &w, &b, 2, 1, act, io)
}

/// An encoder: image `(B, 1, 28, 28)` in [-1, 1] → `(B, out)`.
pub enum EncoderNet {
    /// 784 → 512 → 256 → out.
    Mlp([Linear; 3]),
    /// conv, conv, linear.
    Conv(Conv2d, Conv2d, Linear),
}

impl EncoderNet {
    /// Builds the layers under `vb`, with `out` outputs.
    pub fn new(arch: AeArch, out: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(match arch {
            AeArch::Mlp => EncoderNet::Mlp([
                candle_nn::linear(PIXELS, HIDDEN[0], vb.pp("fc1"))?,
                candle_nn::linear(HIDDEN[0], HIDDEN[1], vb.pp("fc2"))?,
                candle_nn::linear(HIDDEN[1], out, vb.pp("fc3"))?,
            ]),
            AeArch::Conv => EncoderNet::Conv(
                candle_nn::conv2d(1, C1, 4, down_config(), vb.pp("conv1"))?,
                candle_nn::conv2d(C1, C2, 4, down_config(), vb.pp("conv2"))?,
                candle_nn::linear(C2 * SIDE_7 * SIDE_7, out, vb.pp("fc"))?,
            ),
        })
    }

    /// `(B, 1, 28, 28)` → `(B, out)`; `sink` collects the dense layers' weight gradients.
    pub fn forward(&self, x: &Tensor, sink: Sink<'_>) -> candle_core::Result<Tensor> {
        match self {
            EncoderNet::Mlp([a, b, c]) => {
                let h = dense(a, x, Activation::Relu, None, sink)?;
                let h = dense(b, &h, Activation::Relu, None, sink)?;
                dense(c, &h, Activation::Identity, None, sink)
            }
            EncoderNet::Conv(c1, c2, fc) => {
                let h = down(c1, x, Activation::Relu, Io::TO_CHANNEL_MAJOR)?;
                let h = down(c2, &h, Activation::Relu, Io::FROM_CHANNEL_MAJOR)?;
                dense(fc, &h, Activation::Identity, None, sink)
            }
        }
    }
}

/// A decoder: z `(B, latent)` → one logit per pixel `(B, 1, 28, 28)`.
pub enum DecoderNet {
    /// z → 256 → 512 → 784.
    Mlp([Linear; 3]),
    /// linear, transposed conv, transposed conv.
    Conv(Linear, ConvTranspose2d, ConvTranspose2d),
}

impl DecoderNet {
    /// Builds the layers under `vb`.
    pub fn new(arch: AeArch, latent_dim: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(match arch {
            AeArch::Mlp => DecoderNet::Mlp([
                candle_nn::linear(latent_dim, HIDDEN[1], vb.pp("fc1"))?,
                candle_nn::linear(HIDDEN[1], HIDDEN[0], vb.pp("fc2"))?,
                candle_nn::linear(HIDDEN[0], PIXELS, vb.pp("fc3"))?,
            ]),
            AeArch::Conv => DecoderNet::Conv(
                candle_nn::linear(latent_dim, C2 * SIDE_7 * SIDE_7, vb.pp("fc"))?,
                candle_nn::conv_transpose2d(C2, C1, 4, up_config(), vb.pp("up1"))?,
                candle_nn::conv_transpose2d(C1, 1, 4, up_config(), vb.pp("up2"))?,
            ),
        })
    }

    /// `(B, latent)` → logits `(B, 1, 28, 28)`; `sink` collects the dense layers' weight gradients.
    pub fn logits(&self, z: &Tensor, sink: Sink<'_>) -> candle_core::Result<Tensor> {
        match self {
            DecoderNet::Mlp([a, b, c]) => {
                let h = dense(a, z, Activation::Relu, None, sink)?;
                let h = dense(b, &h, Activation::Relu, None, sink)?;
                dense(c, &h, Activation::Identity, Some(&[1, IMAGE_SIDE, IMAGE_SIDE]), sink)
            }
            DecoderNet::Conv(fc, u1, u2) => {
                let (w, b) = params(fc.weight(), fc.bias(), false)?;
                let h = linear_act_channel_major(z, &w, &b, Activation::Relu, [C2, SIDE_7, SIDE_7], sink)?;
                let h = up(u1, &h, Activation::Relu, Io::CHANNEL_MAJOR)?;
                up(u2, &h, Activation::Identity, Io::FROM_CHANNEL_MAJOR)
            }
        }
    }

    /// `(B, latent)` → images in [-1, 1]: tanh(l/2) = 2σ(l) − 1.
    pub fn images(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        (self.logits(z, None)? * 0.5)?.tanh()
    }
}

/// The reconstruction loss of logits `l` against images `x` in [-1, 1], summed over each
/// image's pixels and averaged over the batch (nats per image for BCE). Returns the loss
/// tensor (for backward).
pub fn reconstruction_loss(logits: &Tensor, x: &Tensor, how: Reconstruction) -> candle_core::Result<Tensor> {
    match how {
        // softplus(l) − t·l per pixel, one fused op.
        Reconstruction::Bce => crate::nets::ops::loss::bce_per_image(logits, x),
        Reconstruction::Mse => {
            let b = x.dim(0)? as f64;
            let target = ((x + 1.0)? * 0.5)?;
            let p = ((logits * 0.5)?.tanh()? * 0.5)? + 0.5;
            (p? - &target)?.sqr()?.sum_all()? / b
        }
    }
}

/// A frozen decoder (its own variables), for the explorer.
pub struct DecoderSnapshot {
    net: DecoderNet,
    latent_dim: usize,
    _vars: VarMap,
    device: Device,
}

impl DecoderSnapshot {
    /// Deep-copies `vars` into a new decoder.
    pub fn copy_from(arch: AeArch, latent_dim: usize, vars: &VarMap, device: &Device) -> candle_core::Result<Self> {
        let own = VarMap::new();
        let net = DecoderNet::new(arch, latent_dim, VarBuilder::from_varmap(&own, DType::F32, device))?;
        copy_vars(vars, &own)?;
        Ok(Self {
            net,
            latent_dim,
            _vars: own,
            device: device.clone(),
        })
    }
}

impl Decoder for DecoderSnapshot {
    fn latent_dim(&self) -> usize {
        self.latent_dim
    }
    fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        self.net.images(&z.detach())
    }
    fn device(&self) -> &Device {
        &self.device
    }
}

/// A frozen encoder; `take` outputs are the code (all for an AE, the first half — μ — for a VAE).
pub struct EncoderSnapshot {
    net: EncoderNet,
    take: usize,
    _vars: VarMap,
}

impl EncoderSnapshot {
    /// Deep-copies `vars` into a new encoder with `out` outputs of which the first `take` are z.
    pub fn copy_from(
        arch: AeArch,
        out: usize,
        take: usize,
        vars: &VarMap,
        device: &Device,
    ) -> candle_core::Result<Self> {
        let own = VarMap::new();
        let net = EncoderNet::new(arch, out, VarBuilder::from_varmap(&own, DType::F32, device))?;
        copy_vars(vars, &own)?;
        Ok(Self { net, take, _vars: own })
    }
}

impl Encoder for EncoderSnapshot {
    fn encode(&self, images: &Tensor) -> candle_core::Result<Tensor> {
        self.net.forward(&images.detach(), None)?.narrow(1, 0, self.take)
    }
}

/// The encoder and decoder of one run, each with its own variables.
pub struct AePair {
    /// The architecture.
    pub arch: AeArch,
    /// Size of z.
    pub latent_dim: usize,
    /// Encoder outputs (z, or 2z for a VAE).
    pub enc_out: usize,
    /// The encoder.
    pub enc: EncoderNet,
    /// The decoder.
    pub dec: DecoderNet,
    /// The encoder's variables.
    pub enc_vars: VarMap,
    /// The decoder's variables.
    pub dec_vars: VarMap,
    device: Device,
}

impl AePair {
    /// Builds both networks with placeholder weights.
    pub fn new(arch: AeArch, latent_dim: usize, enc_out: usize, device: &Device) -> Result<Self, TrainError> {
        check_latent_dim(latent_dim)?;
        let enc_vars = VarMap::new();
        let dec_vars = VarMap::new();
        let enc = EncoderNet::new(arch, enc_out, VarBuilder::from_varmap(&enc_vars, DType::F32, device))?;
        let dec = DecoderNet::new(arch, latent_dim, VarBuilder::from_varmap(&dec_vars, DType::F32, device))?;
        Ok(Self {
            arch,
            latent_dim,
            enc_out,
            enc,
            dec,
            enc_vars,
            dec_vars,
            device: device.clone(),
        })
    }

    /// The networks by name.
    pub fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        vec![("enc", &self.enc_vars), ("dec", &self.dec_vars)]
    }

    /// PyTorch's default initialisation from `seed`.
    pub fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        init_vars(&self.enc_vars, InitScheme::Torch, &mut Rng::derive(seed, "init.enc"))?;
        init_vars(&self.dec_vars, InitScheme::Torch, &mut Rng::derive(seed, "init.dec"))?;
        Ok(())
    }

    /// Frozen copies: the decoder and the encoder (its first `take` outputs).
    pub fn seams(&self, take: usize) -> candle_core::Result<Seams> {
        Ok(Seams {
            decoder: Some(Arc::new(DecoderSnapshot::copy_from(
                self.arch,
                self.latent_dim,
                &self.dec_vars,
                &self.device,
            )?)),
            encoder: Some(Arc::new(EncoderSnapshot::copy_from(
                self.arch,
                self.enc_out,
                take,
                &self.enc_vars,
                &self.device,
            )?)),
            scorer: None,
            classifier: None,
            pixels: None,
            translator: None,
        })
    }
}

// ---- the family --------------------------------------------------------------------------------

/// An autoencoder family: one architecture.
pub struct AeFamily {
    arch: AeArch,
    declaration: &'static Declaration,
}

/// The MLP autoencoder.
pub const AE: AeFamily = AeFamily {
    arch: AeArch::Mlp,
    declaration: &Declaration {
        id: "ae",
        label: "Autoencoder",
        summary: "an encoder and a decoder that learn to copy digits through a small code",
        ..AUTOENCODER
    },
};
/// The convolutional autoencoder.
pub const CONV_AE: AeFamily = AeFamily {
    arch: AeArch::Conv,
    declaration: &Declaration {
        id: "conv-ae",
        label: "Conv autoencoder",
        summary: "the autoencoder with convolutions",
        ..AUTOENCODER
    },
};

/// What both autoencoders declare.
const AUTOENCODER: Declaration = Declaration {
    id: "",
    label: "",
    summary: "",
    option_keys: &[("latent", "latent_dim"), ("recon", "recon")],
    optimizer_groups: AE_GROUPS,
    step_kinds: ONE_STEP,
    metrics: METRICS,
    vectors: &[],
    charts: CHARTS,
    min_batch: (1, ""),
    has_encoder: true,
    input: super::Input::Images,
    conditioning: super::Conditioning::NONE,
};

/// One step kind: an update of encoder and decoder together.
pub const ONE_STEP: &[StepKindDef] = &[StepKindDef {
    id: ITERATION,
    label: "Step",
    help: "One update of encoder and decoder on a batch",
    iteration: true,
}];

/// One optimizer group over both networks.
pub const AE_GROUPS: &[OptGroupDef] = &[OptGroupDef {
    id: "ae",
    label: "encoder and decoder",
    short: "AE",
    networks: &["enc", "dec"],
}];

const METRICS: &[MetricDef] = &[MetricDef {
    key: "recon",
    label: "reconstruction loss",
    chart: "losses",
    color: [30, 160, 120],
}];

const CHARTS: &[ChartDef] = &[ChartDef {
    id: "losses",
    title: "Reconstruction loss",
    note: Some("(per image)"),
    y_range: None,
    reference: None,
}];

impl Family for AeFamily {
    fn declaration(&self) -> &'static Declaration {
        self.declaration
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&AeSettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<AeSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        ae_optimizer()
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: AeSettings = super::checked(self.id(), config)?;
        let pair = AePair::new(self.arch, settings.latent_dim, settings.latent_dim, device)?;
        let family: &'static dyn Family = match self.arch {
            AeArch::Mlp => &AE,
            AeArch::Conv => &CONV_AE,
        };
        Ok(Box::new(AeModel { family, pair, settings }))
    }
}

/// An autoencoder being trained.
pub struct AeModel {
    family: &'static dyn Family,
    pair: AePair,
    settings: AeSettings,
}

impl FamilyModel for AeModel {
    fn family(&self) -> &'static dyn Family {
        self.family
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: AeSettings = super::checked(self.family.id(), config)?;
        super::keep_latent_dim(self.settings.latent_dim, s.latent_dim)?;
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        self.pair.networks()
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        self.pair.init_weights(seed)
    }
    fn step(&mut self, _kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let x = ctx.real_batch()?;
        let collected = ParamGrads::new();
        let z = self.pair.enc.forward(&x, Some(&collected))?;
        let logits = self.pair.dec.logits(&z, Some(&collected))?;
        let loss = reconstruction_loss(&logits, &x, self.settings.recon)?;
        let value = ctx.update(0, "reconstruction loss", &loss, &collected)?;
        Ok(StepOutput {
            values: vec![value],
            vectors: Vec::new(),
        })
    }
    fn latent_dim(&self) -> Option<usize> {
        Some(self.settings.latent_dim)
    }
    fn decode(&self, z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        Some(self.pair.dec.images(&z.detach()))
    }
    fn evaluate(&self, x: &Tensor, _rng: &mut Rng) -> Option<candle_core::Result<StepOutput>> {
        Some((|| {
            let x = x.detach();
            let logits = self.pair.dec.logits(&self.pair.enc.forward(&x, None)?, None)?;
            let loss = reconstruction_loss(&logits, &x, self.settings.recon)?.to_scalar::<f32>()?;
            Ok(StepOutput {
                values: vec![loss],
                vectors: Vec::new(),
            })
        })())
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        self.pair.seams(self.settings.latent_dim)
    }
}
