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
use super::ops::conv::{conv2d_act, conv2d_taps_act};

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
    /// The kept taps of the first layer's kernel (type A) and of the middle ones' (type B).
    taps_a: Vec<usize>,
    taps_b: Vec<usize>,
}

/// The taps a mask keeps, as `ky·k + kx` in ascending order.
fn kept_taps(k: usize, kind: MaskType) -> Vec<usize> {
    mask_values(k, kind)
        .iter()
        .enumerate()
        .filter(|(_, m)| **m != 0.0)
        .map(|(t, _)| t)
        .collect()
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
        Ok(Self {
            shape,
            first: conv2d(1, c, FIRST_KERNEL, cfg(FIRST_KERNEL), vb.pp("first"))?,
            middle: (0..shape.layers)
                .map(|i| conv2d(c, c, KERNEL, cfg(KERNEL), vb.pp(format!("mid{i}"))))
                .collect::<Result<_>>()?,
            head: conv2d(c, c, 1, cfg(1), vb.pp("head"))?,
            out: conv2d(c, shape.outputs(), 1, cfg(1), vb.pp("out"))?,
            taps_a: kept_taps(FIRST_KERNEL, MaskType::A),
            taps_b: kept_taps(KERNEL, MaskType::B),
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
        // The masked layers: the cut taps' weights count as zero (and get no gradient).
        let (w, b) = plain(&self.first, frozen)?;
        let mut h = conv2d_taps_act(x, &w, &b, FIRST_KERNEL / 2, &self.taps_a, Activation::Relu)?;
        for layer in &self.middle {
            let (w, b) = plain(layer, frozen)?;
            h = (&h + conv2d_taps_act(&h, &w, &b, KERNEL / 2, &self.taps_b, Activation::Relu)?)?;
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
        let (r0, c0, c1) = (
            r.saturating_sub(reach),
            c.saturating_sub(reach),
            (c + reach).min(side - 1),
        );
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
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    let erf = if x < 0.0 { -erf } else { erf };
    (0.5 * (1.0 + erf)) as f32
}

/// A PixelCNN sampling one pixel at a time with every layer's activations cached. Once
/// pixel i − 1 is drawn, every layer's activation at position i is final (the masks let
/// position i read only earlier positions of the input, and positions up to i of the layer
/// below), so each new pixel computes one position per layer instead of re-running the
/// network over the image: about 27,000 multiply-adds per pixel at the default size, where
/// a pass over the receptive field's crop is about 150 times that.
///
/// Plain Rust over the weights copied out of the network; images run in parallel.
pub struct CachedSampler {
    shape: PixelCnnShape,
    /// First layer: `[tap][out]` over the type A taps, with their offsets.
    first: (Vec<(isize, isize)>, Vec<f32>, Vec<f32>),
    /// Middle layers: `[tap][in][out]` over the type B taps, and the bias.
    middle: Vec<(Vec<f32>, Vec<f32>)>,
    middle_taps: Vec<(isize, isize)>,
    /// Head `[in][out]` and bias; output `[in][out]` and bias.
    head: (Vec<f32>, Vec<f32>),
    out: (Vec<f32>, Vec<f32>),
}

/// The kept taps of a mask as (dy, dx) offsets, in row-major kernel order.
fn taps(k: usize, kind: MaskType) -> Vec<(isize, isize)> {
    let mid = (k / 2) as isize;
    mask_values(k, kind)
        .iter()
        .enumerate()
        .filter(|(_, m)| **m != 0.0)
        .map(|(t, _)| ((t / k) as isize - mid, (t % k) as isize - mid))
        .collect()
}

/// A layer's weight and bias, flat, with its (outputs, inputs, kernel side).
type LayerWeights = (Vec<f32>, Vec<f32>, (usize, usize, usize));

fn weights_of(layer: &Conv2d) -> Result<LayerWeights> {
    let (o, c, k, _) = layer.weight().dims4()?;
    let w: Vec<f32> = layer.weight().flatten_all()?.to_vec1()?;
    let b: Vec<f32> = match layer.bias() {
        Some(b) => b.to_vec1()?,
        None => vec![0.0; o],
    };
    Ok((w, b, (o, c, k)))
}

/// `[tap][in][out]` from a `(O, C, k, k)` weight, for the given taps.
fn gather(w: &[f32], (o, c, k): (usize, usize, usize), taps: &[(isize, isize)]) -> Vec<f32> {
    let mid = (k / 2) as isize;
    let mut out = Vec::with_capacity(taps.len() * c * o);
    for &(dy, dx) in taps {
        let t = ((dy + mid) as usize) * k + (dx + mid) as usize;
        for ci in 0..c {
            for oi in 0..o {
                out.push(w[((oi * c + ci) * k) * k + t]);
            }
        }
    }
    out
}

impl CachedSampler {
    /// Copies the weights out of `net`.
    pub fn new(net: &PixelCnn) -> Result<Self> {
        let first_taps = taps(FIRST_KERNEL, MaskType::A);
        let (w, b, dims) = weights_of(&net.first)?;
        let first = (first_taps.clone(), gather(&w, dims, &first_taps), b);
        let middle_taps = taps(KERNEL, MaskType::B);
        let middle = net
            .middle
            .iter()
            .map(|l| {
                let (w, b, dims) = weights_of(l)?;
                Ok((gather(&w, dims, &middle_taps), b))
            })
            .collect::<Result<_>>()?;
        let (w, b, dims) = weights_of(&net.head)?;
        let head = (gather(&w, dims, &[(0, 0)]), b);
        let (w, b, dims) = weights_of(&net.out)?;
        let out = (gather(&w, dims, &[(0, 0)]), b);
        Ok(Self {
            shape: net.shape,
            first,
            middle,
            middle_taps,
            head,
            out,
        })
    }

    /// The output logits at pixel `i` of one image, computing (and caching in `acts`) every
    /// layer's activation at position i from the levels before i and the cached positions.
    /// `acts` holds `layers + 1` maps of `784 × C` values (channel-last).
    fn position(&self, levels: &[u8], i: usize, acts: &mut [Vec<f32>], logits: &mut [f32]) {
        let c = self.shape.channels;
        let k = self.shape.levels;
        let side = IMAGE_SIDE as isize;
        let (r, col) = ((i / IMAGE_SIDE) as isize, (i % IMAGE_SIDE) as isize);
        let at = |dy: isize, dx: isize| -> Option<usize> {
            let (y, x) = (r + dy, col + dx);
            ((0..side).contains(&y) && (0..side).contains(&x)).then(|| (y * side + x) as usize)
        };
        // First layer (type A): reads input pixels before i.
        let mut acc = self.first.2.clone();
        for (t, &(dy, dx)) in self.first.0.iter().enumerate() {
            if let Some(p) = at(dy, dx) {
                let v = level_value(levels[p], k);
                for (a, w) in acc.iter_mut().zip(&self.first.1[t * c..(t + 1) * c]) {
                    *a += w * v;
                }
            }
        }
        acc.iter_mut().for_each(|a| *a = a.max(0.0));
        acts[0][i * c..(i + 1) * c].copy_from_slice(&acc);
        // Middle layers (type B, residual): read positions up to i of the layer below.
        for (l, (w, b)) in self.middle.iter().enumerate() {
            acc.copy_from_slice(b);
            for (t, &(dy, dx)) in self.middle_taps.iter().enumerate() {
                if let Some(p) = at(dy, dx) {
                    let h = &acts[l][p * c..(p + 1) * c];
                    let wt = &w[t * c * c..(t + 1) * c * c];
                    for (ci, &hv) in h.iter().enumerate() {
                        if hv != 0.0 {
                            for (a, wv) in acc.iter_mut().zip(&wt[ci * c..(ci + 1) * c]) {
                                *a += wv * hv;
                            }
                        }
                    }
                }
            }
            let (below, above) = acts.split_at_mut(l + 1);
            let prev = &below[l][i * c..(i + 1) * c];
            for ((dst, a), p) in above[0][i * c..(i + 1) * c].iter_mut().zip(&acc).zip(prev) {
                *dst = p + a.max(0.0);
            }
        }
        // Head (1×1, ReLU) and output (1×1) at position i.
        let h = &acts[self.middle.len()][i * c..(i + 1) * c];
        let mut head = self.head.1.clone();
        for (ci, &hv) in h.iter().enumerate() {
            for (a, wv) in head.iter_mut().zip(&self.head.0[ci * c..(ci + 1) * c]) {
                *a += wv * hv;
            }
        }
        head.iter_mut().for_each(|a| *a = a.max(0.0));
        let o = self.shape.outputs();
        logits.copy_from_slice(&self.out.1);
        for (ci, &hv) in head.iter().enumerate() {
            for (a, wv) in logits.iter_mut().zip(&self.out.0[ci * o..(ci + 1) * o]) {
                *a += wv * hv;
            }
        }
    }

    fn buffers(&self) -> Vec<Vec<f32>> {
        vec![vec![0f32; PIXELS * self.shape.channels]; self.middle.len() + 1]
    }

    /// Draws `b` images (levels, 784 each) by inverse transform of the uniforms `u`
    /// (`b · 784`); images run in parallel.
    pub fn sample(&self, u: &[f32], b: usize) -> Vec<u8> {
        use rayon::prelude::*;
        let k = self.shape.levels;
        let mut levels = vec![0u8; b * PIXELS];
        levels
            .par_chunks_mut(PIXELS)
            .zip(u.par_chunks(PIXELS))
            .for_each(|(img, u)| {
                let mut acts = self.buffers();
                let mut logits = vec![0f32; self.shape.outputs()];
                for i in 0..PIXELS {
                    self.position(img, i, &mut acts, &mut logits);
                    let p = probabilities(&logits, 1, k);
                    img[i] = inverse_cdf(&p, u.get(i).copied().unwrap_or(0.5)) as u8;
                }
            });
        levels
    }

    /// The probabilities of every pixel of one given image (784 · levels), each given the
    /// image's pixels before it, computed position by position as sampling does.
    pub fn conditionals_of(&self, levels: &[u8]) -> Vec<f32> {
        let k = self.shape.levels;
        let mut acts = self.buffers();
        let mut logits = vec![0f32; self.shape.outputs()];
        let mut out = Vec::with_capacity(PIXELS * k);
        for i in 0..PIXELS {
            self.position(levels, i, &mut acts, &mut logits);
            out.extend(probabilities(&logits, 1, k));
        }
        out
    }
}
