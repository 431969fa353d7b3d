//! PixelCNN (van den Oord et al., 2016): an autoregressive model of digits. The image is
//! read in raster order (row by row, left to right) and the network gives, at every pixel
//! i, the distribution of that pixel given the pixels before it: p(x) = Π p(xᵢ | x₁ … xᵢ₋₁),
//! exactly.
//!
//! Causality comes from masked convolutions: a kernel's taps below the centre row, and
//! right of the centre in the centre row, are zero. The first layer's mask is type A (the
//! centre tap is zero too: a pixel never sees itself); every later layer's is type B (the
//! centre tap is kept: a feature at i may read the features at i, which saw only pixels
//! before i).
//!
//! Layers (single grey channel, so the masks have no colour part):
//! - masked conv 7×7, type A, 1 → C, ReLU;
//! - `layers` × masked conv 3×3, type B, C → C, ReLU, added to its input (a residual
//!   connection, so deeper stacks train);
//! - conv 1×1, C → C, ReLU;
//! - conv 1×1, C → outputs: one logit per pixel for 2 levels (Bernoulli), K logits for K
//!   grey levels (softmax).
//!
//! Defaults: C = 32, 5 middle layers, 2 levels. The output at row r reads input rows
//! r − [`PixelCnn::reach`] … r and columns c − reach … c + reach, which is what sampling
//! crops to (see [`PixelCnn::conditionals`]).

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{Conv2d, VarBuilder, conv2d};

use super::IMAGE_SIDE;
use super::ops::Activation;
use super::ops::conv::conv2d_act;

/// Pixels of one image.
pub const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// The first layer's kernel side.
pub const FIRST_KERNEL: usize = 7;
/// The middle layers' kernel side.
pub const KERNEL: usize = 3;
/// Most grey levels a model may have.
pub const MAX_LEVELS: usize = 16;

/// Which taps a mask keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskType {
    /// Rows above the centre, and the centre row left of the centre.
    A,
    /// As A, and the centre tap.
    B,
}

/// The mask of a `k × k` kernel as `k·k` values in row-major order (1 kept, 0 cut).
pub fn mask_values(k: usize, kind: MaskType) -> Vec<f32> {
    let mid = k / 2;
    let mut m = vec![0f32; k * k];
    for ky in 0..k {
        for kx in 0..k {
            let keep = ky < mid || (ky == mid && (kx < mid || (kx == mid && kind == MaskType::B)));
            m[ky * k + kx] = if keep { 1.0 } else { 0.0 };
        }
    }
    m
}

/// A PixelCNN's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelCnnShape {
    /// Feature maps per layer.
    pub channels: usize,
    /// Masked 3×3 layers after the first.
    pub layers: usize,
    /// Grey levels of a pixel (2: black or white).
    pub levels: usize,
}

impl PixelCnnShape {
    /// Output maps: one logit for 2 levels, K otherwise.
    pub fn outputs(&self) -> usize {
        if self.levels == 2 { 1 } else { self.levels }
    }
}

/// The network.
pub struct PixelCnn {
    shape: PixelCnnShape,
    first: Conv2d,
    middle: Vec<Conv2d>,
    head: Conv2d,
    out: Conv2d,
    mask_a: Tensor,
    mask_b: Tensor,
}

fn masked(layer: &Conv2d, mask: &Tensor, frozen: bool) -> Result<(Tensor, Tensor)> {
    let w = layer.weight().broadcast_mul(mask)?;
    let b = match layer.bias() {
        Some(b) => b.clone(),
        None => Tensor::zeros(w.dim(0)?, DType::F32, w.device())?,
    };
    Ok(if frozen { (w.detach(), b.detach()) } else { (w, b) })
}

fn plain(layer: &Conv2d, frozen: bool) -> Result<(Tensor, Tensor)> {
    let w = layer.weight().clone();
    let b = match layer.bias() {
        Some(b) => b.clone(),
        None => Tensor::zeros(w.dim(0)?, DType::F32, w.device())?,
    };
    Ok(if frozen { (w.detach(), b.detach()) } else { (w, b) })
}

impl PixelCnn {
    /// Builds the layers under `vb` (`first`, `mid<i>`, `head`, `out`).
    pub fn new(shape: PixelCnnShape, vb: VarBuilder) -> Result<Self> {
        let c = shape.channels;
        let cfg = |k: usize| candle_nn::Conv2dConfig {
            padding: k / 2,
            ..Default::default()
        };
        let device = vb.device().clone();
        let mask = |k: usize, kind| Tensor::from_vec(mask_values(k, kind), (1, 1, k, k), &device);
        Ok(Self {
            shape,
            first: conv2d(1, c, FIRST_KERNEL, cfg(FIRST_KERNEL), vb.pp("first"))?,
            middle: (0..shape.layers)
                .map(|i| conv2d(c, c, KERNEL, cfg(KERNEL), vb.pp(format!("mid{i}"))))
                .collect::<Result<_>>()?,
            head: conv2d(c, c, 1, cfg(1), vb.pp("head"))?,
            out: conv2d(c, shape.outputs(), 1, cfg(1), vb.pp("out"))?,
            mask_a: mask(FIRST_KERNEL, MaskType::A)?,
            mask_b: mask(KERNEL, MaskType::B)?,
        })
    }

    /// The shape.
    pub fn shape(&self) -> PixelCnnShape {
        self.shape
    }

    /// How far up (and left or right) the output at a pixel reads: 3 for the 7×7 layer and
    /// 1 for each 3×3 one.
    pub fn reach(&self) -> usize {
        FIRST_KERNEL / 2 + self.shape.layers * (KERNEL / 2)
    }

    /// Logits `(B, outputs, H, W)` for inputs `x (B, 1, H, W)` on the [-1, 1] scale
    /// ([`level_value`]); `frozen` keeps the weights out of the graph.
    pub fn logits(&self, x: &Tensor, frozen: bool) -> Result<Tensor> {
        let (w, b) = masked(&self.first, &self.mask_a, frozen)?;
        let mut h = conv2d_act(x, &w, &b, 1, FIRST_KERNEL / 2, Activation::Relu)?;
        for layer in &self.middle {
            let (w, b) = masked(layer, &self.mask_b, frozen)?;
            h = (&h + conv2d_act(&h, &w, &b, 1, KERNEL / 2, Activation::Relu)?)?;
        }
        let (w, b) = plain(&self.head, frozen)?;
        let h = conv2d_act(&h, &w, &b, 1, 0, Activation::Relu)?;
        let (w, b) = plain(&self.out, frozen)?;
        conv2d_act(&h, &w, &b, 1, 0, Activation::Identity)
    }

    /// The negative log-likelihood of each image, in nats, and of each pixel
    /// (`(B,)` and `(B, H·W)`), for images given as levels (`(B, 1, H, W)`, u8 values
    /// below `levels`), with the weights frozen.
    pub fn nll(&self, levels: &Tensor) -> Result<(Tensor, Tensor)> {
        let x = levels_to_input(levels, self.shape.levels)?;
        let logits = self.logits(&x, true)?;
        let per_pixel = pixel_nll(&logits, levels, self.shape.levels)?;
        let b = per_pixel.dim(0)?;
        let per_pixel = per_pixel.reshape((b, ()))?;
        Ok((per_pixel.sum(1)?, per_pixel))
    }

    /// The distribution of pixel `i` (raster order) of each of `b` images given its
    /// pixels before `i` (`levels`: `b · 784` values, only those before `i` are read):
    /// `b · levels` probabilities. The network runs on the crop of rows `r − reach … r`
    /// and columns `c − reach … c + reach` only, which gives exactly what the whole image
    /// would (nothing outside the crop reaches pixel i).
    pub fn conditionals(&self, levels: &[u8], b: usize, i: usize, device: &Device) -> Result<Vec<f32>> {
        let side = IMAGE_SIDE;
        let (r, c) = (i / side, i % side);
        let reach = self.reach();
        let (r0, c0, c1) = (r.saturating_sub(reach), c.saturating_sub(reach), (c + reach).min(side - 1));
        let (h, w) = (r - r0 + 1, c1 - c0 + 1);
        let k = self.shape.levels;
        let mut crop = vec![0f32; b * h * w];
        for n in 0..b {
            for y in 0..h {
                for x in 0..w {
                    let j = (r0 + y) * side + c0 + x;
                    // Pixels from i on are not read by the output at i; set them to the
                    // lowest level so the crop never carries stale values.
                    let level = if j < i { levels[n * PIXELS + j] } else { 0 };
                    crop[(n * h + y) * w + x] = level_value(level, k);
                }
            }
        }
        let x = Tensor::from_vec(crop, (b, 1, h, w), device)?;
        let logits = self.logits(&x, true)?.narrow(2, h - 1, 1)?.narrow(3, c - c0, 1)?;
        let logits: Vec<f32> = logits.flatten_all()?.to_vec1()?;
        Ok(probabilities(&logits, b, k))
    }

    /// Draws pixels `start … 783` of `b` images in raster order, each from its conditional
    /// given the pixels before it, by inverse transform of the uniforms `u` (`b · 784`,
    /// pixel i of image n uses `u[n·784 + i]`). Pixels before `start` are kept as given.
    /// Returns the probability of the level drawn at each drawn pixel (0 elsewhere).
    pub fn sample_from(&self, levels: &mut [u8], b: usize, start: usize, u: &[f32], device: &Device) -> Result<Vec<f32>> {
        let mut chosen = vec![0f32; b * PIXELS];
        for i in start..PIXELS {
            let p = self.conditionals(levels, b, i, device)?;
            for n in 0..b {
                let probs = &p[n * self.shape.levels..(n + 1) * self.shape.levels];
                let level = inverse_cdf(probs, u[n * PIXELS + i]);
                levels[n * PIXELS + i] = level as u8;
                chosen[n * PIXELS + i] = probs[level];
            }
        }
        Ok(chosen)
    }
}

/// The level of a pixel in [-1, 1]: the grey range split into `levels` equal parts
/// (2 levels: ink when the pixel is at least half grey).
pub fn quantize(v: f32, levels: usize) -> u8 {
    let t = ((v.clamp(-1.0, 1.0) + 1.0) * 0.5 * levels as f32).floor() as usize;
    t.min(levels - 1) as u8
}

/// A level on the [-1, 1] scale: 0 → −1, the top level → 1.
pub fn level_value(level: u8, levels: usize) -> f32 {
    2.0 * f32::from(level) / (levels - 1).max(1) as f32 - 1.0
}

/// Levels `(B, 1, H, W)` (u8) as the network's input on the [-1, 1] scale.
pub fn levels_to_input(levels: &Tensor, k: usize) -> Result<Tensor> {
    (levels.to_dtype(DType::F32)? * (2.0 / (k - 1).max(1) as f64))? - 1.0
}

/// −log p of each pixel's level under the logits `(B, outputs, H, W)`: `(B, H, W)`.
pub fn pixel_nll(logits: &Tensor, levels: &Tensor, k: usize) -> Result<Tensor> {
    if k == 2 {
        // softplus(l) − t·l, written stably as relu(l) − t·l + log(1 + e^−|l|).
        let t = levels.to_dtype(DType::F32)?;
        let tail = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
        ((logits.relu()? - (&t * logits)?)? + tail)?.squeeze(1)
    } else {
        let logp = candle_nn::ops::log_softmax(logits, 1)?;
        let idx = levels.to_dtype(DType::U32)?;
        logp.gather(&idx, 1)?.squeeze(1)?.neg()
    }
}

/// Per-image probabilities of each level from flat logits (`b` images, one logit each for
/// 2 levels, `k` for more).
pub fn probabilities(logits: &[f32], b: usize, k: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(b * k);
    if k == 2 {
        for &l in logits.iter().take(b) {
            let p = 1.0 / (1.0 + (-l).exp());
            out.extend([1.0 - p, p]);
        }
    } else {
        for row in logits.chunks(k).take(b) {
            let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f32> = row.iter().map(|&l| (l - m).exp()).collect();
            let s: f32 = e.iter().sum();
            out.extend(e.iter().map(|v| v / s));
        }
    }
    out
}

/// The level whose cumulative probability first exceeds `u` (the last level if rounding
/// leaves the sum under `u`).
pub fn inverse_cdf(probs: &[f32], u: f32) -> usize {
    let mut acc = 0f32;
    for (level, &p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return level;
        }
    }
    probs.len().saturating_sub(1)
}

/// The standard normal's CDF Φ (erf by Abramowitz and Stegun 7.1.26, error under 1.5·10⁻⁷):
/// turns a latent vector of N(0, 1) draws into the uniforms sampling reads.
pub fn normal_cdf(z: f32) -> f32 {
    let x = f64::from(z) / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    let erf = if x < 0.0 { -erf } else { erf };
    (0.5 * (1.0 + erf)) as f32
}
