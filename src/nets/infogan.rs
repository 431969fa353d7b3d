//! InfoGAN's networks (Chen et al., 2016) on the DCGAN body: G is the DCGAN generator
//! reading `[z | c₁ one-hot | c₂, c₃]`; D is the DCGAN discriminator's body (conv 4×4/2
//! 1→64, LeakyReLU, conv 4×4/2 64→128, BN, LeakyReLU) with two heads on its 6,272 features:
//! D's logit (linear → 1) and Q (linear → 10 logits for c₁ and 2 means for c₂, c₃), as the
//! public reference implementations (PyTorch-GAN's `infogan.py`) share them.

use std::sync::Arc;

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{BatchNorm, Conv2d, Linear, VarBuilder, VarMap, batch_norm, conv2d, linear};

use super::dcgan::{G_CHANNELS, G_MID, SIDE_7, bn_act, bn_config, dense, down, down_bn, down_config, fuse_bn};
use super::mlp::LEAKY_SLOPE;
use super::ops::Activation;
use super::ops::sink::ParamGrads;
use super::{Weights, copy_vars};

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE as f32);

/// D with its Q head.
pub struct InfoDiscriminator {
    conv1: Conv2d,
    conv2: Conv2d,
    bn2: BatchNorm,
    fc: Linear,
    q: Linear,
    q_outputs: usize,
}

impl InfoDiscriminator {
    /// Builds the layers under `vb` (`conv1`, `conv2`, `bn2`, `fc`, `q`); Q gives
    /// `q_outputs` values (c₁'s logits, then the continuous codes' means).
    pub fn new(q_outputs: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            conv1: conv2d(1, G_MID, 4, down_config(), vb.pp("conv1"))?,
            conv2: conv2d(G_MID, G_CHANNELS, 4, down_config(), vb.pp("conv2"))?,
            bn2: batch_norm(G_CHANNELS, bn_config(), vb.pp("bn2"))?,
            fc: linear(G_CHANNELS * SIDE_7 * SIDE_7, 1, vb.pp("fc"))?,
            q: linear(G_CHANNELS * SIDE_7 * SIDE_7, q_outputs, vb.pp("q"))?,
            q_outputs,
        })
    }

    /// Outputs of Q per image.
    pub fn q_outputs(&self) -> usize {
        self.q_outputs
    }

    fn body(&self, x: &Tensor, train: bool, weights: Weights) -> Result<Tensor> {
        let frozen = weights.frozen();
        let h = down(&self.conv1, x, frozen, LEAKY)?;
        if fuse_bn(x, train, weights) {
            down_bn(&self.conv2, &self.bn2, &h, weights, LEAKY)
        } else {
            let h = down(&self.conv2, &h, frozen, Activation::Identity)?;
            bn_act(&self.bn2, &h, train, frozen, LEAKY)
        }
    }

    fn run(&self, x: &Tensor, train: bool, weights: Weights, with_q: bool) -> Result<(Tensor, Option<Tensor>)> {
        let h = self.body(x, train, weights)?;
        let logits = dense(&self.fc, &h, weights, None)?.squeeze(1)?;
        let q = if with_q {
            Some(dense(&self.q, &h, weights, None)?)
        } else {
            None
        };
        Ok((logits, q))
    }

    /// D's logits `(B,)` (graph weights: the reference path).
    pub fn logits(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.run(x, train, Weights::Graph, false)?.0)
    }

    /// D's logits for a training step, weight gradients handed to `grads`.
    pub fn logits_collecting(&self, x: &Tensor, grads: &Arc<ParamGrads>) -> Result<Tensor> {
        Ok(self.run(x, true, Weights::Collect(grads), false)?.0)
    }

    /// D's logits with its weights as constants (the generator step).
    pub fn logits_frozen(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.run(x, true, Weights::Frozen, false)?.0)
    }

    /// Q's outputs `(B, q_outputs)` for a training step (body and Q trained together),
    /// weight gradients handed to `grads`.
    pub fn q_collecting(&self, x: &Tensor, grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.run(x, true, Weights::Collect(grads), true)?
            .1
            .ok_or_else(|| candle_core::Error::Msg("Q gave no output".into()))
    }

    /// Q's outputs in inference mode (graph weights).
    pub fn q(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.run(x, train, Weights::Graph, true)?
            .1
            .ok_or_else(|| candle_core::Error::Msg("Q gave no output".into()))
    }
}

/// A frozen copy of InfoGAN's D: scores images without touching the training run.
pub struct InfoScorer {
    d: InfoDiscriminator,
    _vars: VarMap,
}

impl InfoScorer {
    /// Deep-copies `d_vars` into a new network.
    pub fn copy_from(q_outputs: usize, d_vars: &VarMap, device: &Device) -> Result<Self> {
        let vars = VarMap::new();
        let d = InfoDiscriminator::new(q_outputs, VarBuilder::from_varmap(&vars, DType::F32, device))?;
        copy_vars(d_vars, &vars)?;
        Ok(Self { d, _vars: vars })
    }
}

impl crate::family::Scorer for InfoScorer {
    fn probabilities(&self, images: &Tensor) -> Result<Vec<f32>> {
        let logits: Vec<f32> = self.d.logits(images, false)?.to_vec1()?;
        Ok(logits.into_iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect())
    }
}
