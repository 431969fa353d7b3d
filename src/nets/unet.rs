//! pix2pix's networks (Isola et al. 2017), sized for 28×28 digits.
//!
//! **U-Net generator** (`c` feature maps, 32 by default): an encoder down to 7×7, two 3×3
//! layers there, and a decoder back up whose every scale reads the encoder's maps of the same
//! scale (skip connections by concatenation along the channels), the last layer the input
//! image itself:
//!
//! ```text
//! x 1×28² ─ conv 4×4/2 → e1 c×14² ─ conv 4×4/2 → e2 2c×7² ─ conv 3×3 → m1 ─ conv 3×3 → m2 2c×7²
//!                          │                       └───────────── [m2 | e2] ─ conv⁻¹ 4×4/2 → d2 c×14²
//!                          └────────────────────────────────────── [d2 | e1] ─ conv⁻¹ 4×4/2 → d1 c×28²
//! [d1 | x] ─ conv 3×3 → 1×28², linear (clamped to [-1, 1] when shown)
//! ```
//! LeakyReLU(0.2) in the encoder, ReLU in the middle and the decoder; no noise input (as in
//! the paper, the randomness of pix2pix is negligible; here there is none). The output layer
//! is linear, not the paper's tanh: on digits, four pixels in five are background, so the
//! L1 term's first move is to push every pixel down, and a tanh output saturated at −1 within
//! 40 steps and never came back (its gradient vanishes there; measured: all-black outputs
//! after 3,000 steps). A linear output's L1 gradient does not vanish, and background pixels
//! settle at −1 as the term's median.
//!
//! **PatchGAN discriminator**: CycleGAN's reads one image ([`PatchGan::reading`]); pix2pix's
//! reads the input beside an output (real or generated), two
//! 2-channel images, and gives one logit per overlapping patch, a 7×7 map (each logit sees an
//! 18×18 window of the 28×28 image): conv 4×4/2 2→c → conv 4×4/2 c→2c → conv 3×3 2c→1,
//! LeakyReLU(0.2) between.
//!
//! No batch norm: each image's output depends on it alone, so training and inference agree
//! and the explorer's translation of one image equals the command line's, bit for bit.
//! Layers run as the fused convolutions of [`super::ops::conv`].

use candle_core::{Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig, VarBuilder, conv_transpose2d, conv2d};

use super::mlp::LEAKY_SLOPE;
use super::ops::Activation;
use super::ops::conv::{conv_transpose2d_cat_act, conv_transpose2d_reference, conv2d_act, conv2d_reference};
use super::params;

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE as f32);

/// Side of the PatchGAN's verdict map.
pub const PATCH_SIDE: usize = 7;
/// Side of the window each PatchGAN logit sees.
pub const PATCH_FIELD: usize = 18;

fn down_cfg() -> Conv2dConfig {
    Conv2dConfig {
        stride: 2,
        padding: 1,
        ..Default::default()
    }
}

fn same_cfg() -> Conv2dConfig {
    Conv2dConfig {
        padding: 1,
        ..Default::default()
    }
}

fn up_cfg() -> ConvTranspose2dConfig {
    ConvTranspose2dConfig {
        stride: 2,
        padding: 1,
        ..Default::default()
    }
}

fn conv(layer: &Conv2d, x: &Tensor, frozen: bool, act: Activation) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), frozen)?;
    let c = layer.config();
    conv2d_act(x, &w, &b, c.stride, c.padding, act)
}

/// An up step: the transposed convolution of the step below beside the skip connection
/// (their concatenation along the channels, without the concatenated tensor), then ReLU.
fn up(layer: &ConvTranspose2d, [x, skip]: [&Tensor; 2], frozen: bool) -> Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), frozen)?;
    let c = layer.config();
    conv_transpose2d_cat_act(x, skip, &w, &b, c.stride, c.padding, Activation::Relu)
}

/// The U-Net generator.
pub struct UNet {
    e1: Conv2d,
    e2: Conv2d,
    m1: Conv2d,
    m2: Conv2d,
    d2: ConvTranspose2d,
    d1: ConvTranspose2d,
    out: Conv2d,
}

impl UNet {
    /// A U-Net with `c` feature maps at full resolution (variables under `vb`).
    pub fn new(c: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            e1: conv2d(1, c, 4, down_cfg(), vb.pp("e1"))?,
            e2: conv2d(c, 2 * c, 4, down_cfg(), vb.pp("e2"))?,
            m1: conv2d(2 * c, 2 * c, 3, same_cfg(), vb.pp("m1"))?,
            m2: conv2d(2 * c, 2 * c, 3, same_cfg(), vb.pp("m2"))?,
            d2: conv_transpose2d(4 * c, c, 4, up_cfg(), vb.pp("d2"))?,
            d1: conv_transpose2d(2 * c, c, 4, up_cfg(), vb.pp("d1"))?,
            out: conv2d(c + 1, 1, 3, same_cfg(), vb.pp("out"))?,
        })
    }

    /// `x (B, 1, 28, 28)` in [-1, 1] → the translation (about [-1, 1]; clamp to show it); with `frozen` the weights
    /// enter as constants (no gradient reaches them).
    pub fn forward(&self, x: &Tensor, frozen: bool) -> Result<Tensor> {
        let e1 = conv(&self.e1, x, frozen, LEAKY)?;
        let e2 = conv(&self.e2, &e1, frozen, LEAKY)?;
        let m = conv(&self.m1, &e2, frozen, Activation::Relu)?;
        let m = conv(&self.m2, &m, frozen, Activation::Relu)?;
        let d2 = up(&self.d2, [&m, &e2], frozen)?;
        let d1 = up(&self.d1, [&d2, &e1], frozen)?;
        self.output(&d1, x, frozen)
    }

    /// The same function with candle's own ops (concatenations, `conv2d`, `conv_transpose2d`):
    /// the reference the tests hold [`UNet::forward`] to.
    pub fn forward_reference(&self, x: &Tensor) -> Result<Tensor> {
        let conv = |l: &Conv2d, x: &Tensor, act: Activation| {
            let (w, b) = params(l.weight(), l.bias(), false)?;
            conv2d_reference(x, &w, &b, l.config().stride, l.config().padding, act)
        };
        let up = |l: &ConvTranspose2d, x: &Tensor| {
            let (w, b) = params(l.weight(), l.bias(), false)?;
            conv_transpose2d_reference(x, &w, &b, l.config().stride, l.config().padding, Activation::Relu)
        };
        let e1 = conv(&self.e1, x, LEAKY)?;
        let e2 = conv(&self.e2, &e1, LEAKY)?;
        let m = conv(&self.m1, &e2, Activation::Relu)?;
        let m = conv(&self.m2, &m, Activation::Relu)?;
        let d2 = up(&self.d2, &Tensor::cat(&[&m, &e2], 1)?)?;
        let d1 = up(&self.d1, &Tensor::cat(&[&d2, &e1], 1)?)?;
        conv(&self.out, &Tensor::cat(&[&d1, x], 1)?, Activation::Identity)
    }

    /// The last layer, a linear 3×3 convolution of `[d1 | x]`, as the sum of its two parts:
    /// `conv(d1, W[:, ..c]) + b + conv(x, W[:, c..])`. The same function as convolving the
    /// concatenation, without it: concatenating `d1` (B×32×28×28) with the input copied 6.6 MB at
    /// batch 64, and its gradient cost candle a zero-filled tensor of that size, a sum into it and
    /// a strided sum of `d1`'s share out of it; the sum here is of two one-map outputs.
    fn output(&self, d1: &Tensor, x: &Tensor, frozen: bool) -> Result<Tensor> {
        let (w, b) = params(self.out.weight(), self.out.bias(), frozen)?;
        let c = d1.dim(1)?;
        let from_d1 = conv2d_act(d1, &w.narrow(1, 0, c)?, &b, 1, 1, Activation::Identity)?;
        let no_bias = Tensor::zeros(1, w.dtype(), w.device())?;
        let from_x = conv2d_act(x, &w.narrow(1, c, x.dim(1)?)?, &no_bias, 1, 1, Activation::Identity)?;
        from_d1 + from_x
    }
}

/// The PatchGAN discriminator, conditioned on the input.
pub struct PatchGan {
    h1: Conv2d,
    h2: Conv2d,
    out: Conv2d,
}

impl PatchGan {
    /// A conditional PatchGAN (input beside output) with `c` feature maps in its first layer.
    pub fn new(c: usize, vb: VarBuilder) -> Result<Self> {
        Self::reading(2, c, vb)
    }

    /// A PatchGAN reading `images` stacked images (1 for CycleGAN's unconditional D).
    pub fn reading(images: usize, c: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            h1: conv2d(images, c, 4, down_cfg(), vb.pp("h1"))?,
            h2: conv2d(c, 2 * c, 4, down_cfg(), vb.pp("h2"))?,
            out: conv2d(2 * c, 1, 3, same_cfg(), vb.pp("out"))?,
        })
    }

    /// Logits `(B, 1, 7, 7)` ("this patch is a real pair") for `input` beside `output`, both
    /// `(B, 1, 28, 28)`.
    pub fn forward(&self, input: &Tensor, output: &Tensor, frozen: bool) -> Result<Tensor> {
        self.score(&Tensor::cat(&[input, output], 1)?, frozen)
    }

    /// Logits `(B, 1, 7, 7)` for images `x (B, images, 28, 28)`.
    pub fn score(&self, x: &Tensor, frozen: bool) -> Result<Tensor> {
        let h = conv(&self.h1, x, frozen, LEAKY)?;
        let h = conv(&self.h2, &h, frozen, LEAKY)?;
        conv(&self.out, &h, frozen, Activation::Identity)
    }
}

/// The window of the 28×28 image that logit `(py, px)` of the 7×7 map reads, as
/// `(top, left, height, width)` clipped to the image: rows `4·py − 7 ..= 4·py + 10` (each
/// 4×4/2 layer doubles the position and widens the window by 3 steps, the 3×3 layer by one
/// step each side).
pub fn patch_window(py: usize, px: usize) -> (usize, usize, usize, usize) {
    let lo = |p: usize| (4 * p).saturating_sub(7);
    let hi = |p: usize| (4 * p + 11).min(28);
    (lo(py), lo(px), hi(py) - lo(py), hi(px) - lo(px))
}
