//! InfoGAN's networks (Chen et al., 2016) on the DCGAN body: G is the DCGAN generator
//! reading `[z | c₁ one-hot | c₂, c₃]`; D is the DCGAN discriminator's body (conv 4×4/2
//! 1→64, LeakyReLU, conv 4×4/2 64→128, BN, LeakyReLU) shared by D's logit and a Q head that
//! guesses c₁ (10 logits) and c₂, c₃ (2 means) back. Three variants ([`InfoNet`]):
//!
//! - [`InfoNet::Paper`], the paper's MNIST network (appendix C.1, as in the authors' code):
//!   G starts with a fully connected layer of 1,024 units (BN, ReLU) before the DCGAN
//!   generator's; D's body ends in one too (6,272 → 1,024, BN, LeakyReLU); D's logit reads
//!   those features, and Q has a hidden layer of its own (→ 128, BN, LeakyReLU) before its
//!   12 outputs.
//! - [`InfoNet::Narrow`], new runs' default: the same with 256 units where it has 1,024.
//! - [`InfoNet::Dcgan`]: no fully connected layers; D's logit and Q are each one linear
//!   layer on the 6,272 conv features, as PyTorch-GAN's `infogan.py` shares them.

use std::sync::Arc;

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{BatchNorm, Conv2d, Linear, VarBuilder, VarMap, batch_norm, conv2d, linear};

use serde::{Deserialize, Serialize};

use super::dcgan::{
    G_CHANNELS, G_MID, Hidden, SIDE_7, bn_act, bn_config, dense, down, down_bn, down_config, fuse_bn, hidden,
    run_hidden,
};
use super::mlp::LEAKY_SLOPE;
use super::ops::Activation;
use super::ops::sink::ParamGrads;
use super::{Weights, copy_vars};

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE as f32);

/// Which networks an InfoGAN has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InfoNet {
    /// The DCGAN's generator and discriminator body, Q one linear layer on D's conv
    /// features (PyTorch-GAN's `infogan.py`).
    #[default]
    Dcgan,
    /// The paper's MNIST network: a 1,024-unit fully connected layer in G and at the end of
    /// D's body, and a 128-unit hidden layer in Q.
    Paper,
    /// The paper's network with fully connected layers of 256 units instead of 1,024 (new
    /// runs' default: 1.6× faster, and its c₁ finds the digits as well).
    Narrow,
}

impl InfoNet {
    /// Its name on the command line and in files.
    pub fn id(self) -> &'static str {
        match self {
            InfoNet::Dcgan => "dcgan",
            InfoNet::Paper => "paper",
            InfoNet::Narrow => "narrow",
        }
    }

    /// Units of G's first fully connected layer (0: none).
    pub fn g_hidden(self) -> usize {
        match self {
            InfoNet::Dcgan => 0,
            InfoNet::Paper => 1024,
            InfoNet::Narrow => 256,
        }
    }

    /// Units of the fully connected layer that ends D's body (0: none).
    fn d_hidden(self) -> usize {
        self.g_hidden()
    }

    /// Units of Q's hidden layer (0: none).
    fn q_hidden(self) -> usize {
        match self {
            InfoNet::Dcgan => 0,
            InfoNet::Paper | InfoNet::Narrow => 128,
        }
    }
}

/// D with its Q head.
pub struct InfoDiscriminator {
    conv1: Conv2d,
    conv2: Conv2d,
    bn2: BatchNorm,
    /// The paper's fully connected layer at the end of D's body.
    body_fc: Hidden,
    fc: Linear,
    /// The paper's hidden layer in Q.
    q_hidden: Hidden,
    q: Linear,
    q_outputs: usize,
}

impl InfoDiscriminator {
    /// Builds the layers of `net` under `vb` (`conv1`, `conv2`, `bn2`, `fc`, `q`; the paper's
    /// net adds `body_fc`, `bn_body_fc`, `q_hidden`, `bn_q_hidden`); Q gives `q_outputs`
    /// values (c₁'s logits, then the continuous codes' means).
    pub fn new(q_outputs: usize, net: InfoNet, vb: VarBuilder) -> Result<Self> {
        let (body_fc, features) = hidden(G_CHANNELS * SIDE_7 * SIDE_7, net.d_hidden(), &vb, "body_fc")?;
        let (q_hidden, q_in) = hidden(features, net.q_hidden(), &vb, "q_hidden")?;
        Ok(Self {
            conv1: conv2d(1, G_MID, 4, down_config(), vb.pp("conv1"))?,
            conv2: conv2d(G_MID, G_CHANNELS, 4, down_config(), vb.pp("conv2"))?,
            bn2: batch_norm(G_CHANNELS, bn_config(), vb.pp("bn2"))?,
            body_fc,
            fc: linear(features, 1, vb.pp("fc"))?,
            q_hidden,
            q: linear(q_in, q_outputs, vb.pp("q"))?,
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
        let h = if fuse_bn(x, train, weights) {
            down_bn(&self.conv2, &self.bn2, &h, weights, LEAKY)?
        } else {
            let h = down(&self.conv2, &h, frozen, Activation::Identity)?;
            bn_act(&self.bn2, &h, train, frozen, LEAKY)?
        };
        run_hidden(h, &self.body_fc, train, weights, LEAKY)
    }

    fn run(&self, x: &Tensor, train: bool, weights: Weights, with_q: bool) -> Result<(Tensor, Option<Tensor>)> {
        let h = self.body(x, train, weights)?;
        let logits = dense(&self.fc, &h, weights, None)?.squeeze(1)?;
        let q = if with_q {
            let h = run_hidden(h, &self.q_hidden, train, weights, LEAKY)?;
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
    /// Deep-copies `d_vars` (a D of `net`) into a new network.
    pub fn copy_from(q_outputs: usize, net: InfoNet, d_vars: &VarMap, device: &Device) -> Result<Self> {
        let vars = VarMap::new();
        let d = InfoDiscriminator::new(q_outputs, net, VarBuilder::from_varmap(&vars, DType::F32, device))?;
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
