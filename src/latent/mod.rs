//! The latent space, without any UI: what the explorer computes.
//!
//! - [`Model`]: the frozen seams of a model of any family with a decoder — its decoder,
//!   and where the family has them its encoder and its scorer (a GAN's discriminator) — or
//!   of a translation model (pix2pix: image → image, no latent space), with a name and the
//!   step it was taken at: the live run's latest snapshot, a shipped pretrained model, or a
//!   checkpoint file.
//! - Interpolation ([`lerp`], [`slerp`], [`path`]) and arithmetic ([`arithmetic`]).
//! - [`recipe`]: a copyable text that reproduces one image (model, step, seed, z).
//! - [`directions`]: the generator's principal directions (GANSpace-style) and the
//!   per-dimension sensitivity of the image to z.
//! - [`pretrained`]: the models shipped in `models/`, embedded in the binary.
//! - [`manifold`]: for a 2-D latent space, the whole plane decoded as a grid.
//! - [`invert`]: GAN inversion — the z whose image best matches a drawn or real digit.
//! - [`jobs`]: a background thread for the heavier computations, so the window
//!   never waits for them.

pub mod directions;
pub mod invert;
pub mod jobs;
pub mod manifold;
pub mod pretrained;
pub mod recipe;

use std::sync::Arc;

use candle_core::{Device, Tensor};

use crate::family::{Conditioning, Decoder, Encoder, ModelSpec, Scorer, Seams, Translator};
use crate::nets::IMAGE_SIDE;
use crate::rng::Rng;

/// Pixels in one image.
pub const PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// A frozen model to explore.
#[derive(Clone)]
pub struct Model {
    /// Where it comes from, for people ("Live run", "Pretrained DCGAN", a file name).
    pub name: String,
    /// Where it comes from, for recipes ("live run", "pretrained:dcgan", "checkpoint:run.safetensors").
    pub source: String,
    /// Iterations of training behind it.
    pub step: u64,
    /// The family and its config.
    pub spec: ModelSpec,
    /// z → image (every model with a latent space; a translation model has none).
    pub decoder: Option<Arc<dyn Decoder>>,
    /// image → z, when the family has an encoder (autoencoders, VAEs).
    pub encoder: Option<Arc<dyn Encoder>>,
    /// image → D's verdict, when the family has a scorer (GANs): scores along an interpolation.
    pub scorer: Option<Arc<dyn Scorer>>,
    /// Each pixel's distribution given the ones before it, for an autoregressive model.
    pub pixels: Option<Arc<dyn crate::family::PixelModel>>,
    /// image → image, for a translation model (pix2pix).
    pub translator: Option<Arc<dyn Translator>>,
    /// Where its tensors live.
    pub device: Device,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("step", &self.step)
            .field("spec", &self.spec)
            .field("has_encoder", &self.encoder.is_some())
            .field("has_scorer", &self.scorer.is_some())
            .finish()
    }
}

impl Model {
    /// A model from its seams; refuses a family with neither a decoder nor a translator.
    pub fn from_seams(
        name: impl Into<String>,
        source: impl Into<String>,
        step: u64,
        spec: ModelSpec,
        seams: Seams,
    ) -> candle_core::Result<Self> {
        if seams.decoder.is_none() && seams.translator.is_none() {
            candle_core::bail!("a {} has no decoder to explore", spec.label());
        }
        let device = seams.decoder.as_ref().map_or(Device::Cpu, |d| d.device().clone());
        Ok(Self {
            name: name.into(),
            source: source.into(),
            step,
            spec,
            decoder: seams.decoder,
            encoder: seams.encoder,
            scorer: seams.scorer,
            pixels: seams.pixels,
            translator: seams.translator,
            device,
        })
    }

    /// The family and its config.
    pub fn config(&self) -> &ModelSpec {
        &self.spec
    }

    /// Size of the decoder's input: z, and the condition after it for a conditional model.
    /// 0 for a translation model (no latent space).
    pub fn latent_dim(&self) -> usize {
        self.decoder.as_ref().map_or(0, |d| d.latent_dim())
    }

    /// The decoder, or an error for a model without one.
    pub fn decoder(&self) -> candle_core::Result<&dyn Decoder> {
        match &self.decoder {
            Some(d) => Ok(d.as_ref()),
            None => candle_core::bail!("a {} has no latent space to decode", self.spec.label()),
        }
    }

    /// What the decoder reads after z.
    pub fn conditioning(&self) -> Conditioning {
        self.spec.conditioning()
    }

    /// `n` input vectors drawn with `seed`: [`random_z`] for an unconditional model; for a
    /// conditional one, z from N(0, 1) and a class (and codes) drawn at random.
    pub fn random_z(&self, n: usize, seed: u64) -> Vec<f32> {
        self.conditioning()
            .draw(&mut Rng::derive(seed, "explore"), n, self.latent_dim())
    }

    fn z_tensor(&self, z: &[f32]) -> candle_core::Result<Tensor> {
        let l = self.latent_dim();
        check_len(z.len(), l)?;
        Tensor::from_slice(z, (z.len() / l, l), &self.device)
    }

    /// Decodes latent vectors (flat, `latent_dim` each) into 8-bit 28×28 images, 784 bytes each.
    pub fn decode(&self, z: &[f32]) -> candle_core::Result<Vec<u8>> {
        crate::nets::images_to_u8(&self.decoder()?.decode(&self.z_tensor(z)?)?)
    }

    /// Decodes latent vectors into images in [-1, 1] as one flat vector (784 values each).
    pub fn decode_f32(&self, z: &[f32]) -> candle_core::Result<Vec<f32>> {
        self.decoder()?.decode(&self.z_tensor(z)?)?.flatten_all()?.to_vec1()
    }

    /// D's probability "real" for the images of latent vectors `z`, if the model has a scorer.
    pub fn score(&self, z: &[f32]) -> candle_core::Result<Option<Vec<f32>>> {
        let Some(d) = &self.scorer else {
            return Ok(None);
        };
        let zt = self.z_tensor(z)?;
        let images = self.decoder()?.decode(&zt)?;
        d.probabilities_given(&images, &zt).map(Some)
    }

    /// D's probability "real" for 28×28 8-bit images laid one after another (0 = black = −1,
    /// 255 = +1, as the generator's output is rounded), if the model has a scorer.
    pub fn score_images(&self, pixels: &[u8]) -> candle_core::Result<Option<Vec<f32>>> {
        let Some(d) = &self.scorer else {
            return Ok(None);
        };
        let images = crate::family::images_from_u8(pixels, &self.device)?;
        d.probabilities(&images).map(Some)
    }

    /// The codes of 28×28 8-bit images (flat, `latent_dim` each), if the model has an encoder.
    pub fn encode_images(&self, pixels: &[u8]) -> candle_core::Result<Option<Vec<f32>>> {
        let Some(e) = &self.encoder else {
            return Ok(None);
        };
        let images = crate::family::images_from_u8(pixels, &self.device)?;
        e.encode(&images)?.flatten_all()?.to_vec1().map(Some)
    }
}

fn check_len(len: usize, latent_dim: usize) -> candle_core::Result<()> {
    if latent_dim == 0 || !len.is_multiple_of(latent_dim) {
        candle_core::bail!("{len} latent values are not a whole number of vectors of size {latent_dim}");
    }
    Ok(())
}

/// The fixed latent vectors of a run's sample grid: `n` vectors from the run's `seed`
/// (flat). The window, `latent-lab train --grid` and the explorer all use these.
pub fn grid_z(n: usize, latent_dim: usize, seed: u64) -> Vec<f32> {
    Rng::derive(seed, "samples").normal_vec(n * latent_dim)
}

/// The fixed latent vectors of a run's sample grid for a model with `conditioning` and input
/// size `input_dim`: [`grid_z`] of [`crate::worker::SAMPLE_COUNT`] for an unconditional
/// model; for a conditional one, a square grid of one row per class, the same z down each
/// column (the style kept across classes).
pub fn sample_grid_z(conditioning: Conditioning, input_dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::derive(seed, "samples");
    conditioning
        .class_grid(&mut rng, conditioning.classes, input_dim)
        .unwrap_or_else(|| rng.normal_vec(crate::worker::SAMPLE_COUNT * input_dim))
}

/// `n` latent vectors of size `latent_dim` drawn from N(0, 1) with `seed` (flat).
pub fn random_z(n: usize, latent_dim: usize, seed: u64) -> Vec<f32> {
    Rng::derive(seed, "explore").normal_vec(n * latent_dim)
}

/// The point a fraction `t` of the way from `a` to `b` along the straight line.
pub fn lerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    a.iter().zip(b).map(|(&x, &y)| x + t * (y - x)).collect()
}

/// Spherical interpolation: along the great circle from `a` to `b` with the norm
/// interpolated linearly, so a path between two typical Gaussian samples stays at
/// a typical norm (a straight line dips towards the origin, where few samples lie).
/// Falls back to [`lerp`] when the vectors are (anti)parallel or one is zero.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot: f64 = a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
    let na = norm(a);
    let nb = norm(b);
    if na < 1e-12 || nb < 1e-12 {
        return lerp(a, b, t);
    }
    let cos = (dot / (na * nb)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    let sin = omega.sin();
    if sin.abs() < 1e-6 {
        return lerp(a, b, t);
    }
    let t = f64::from(t);
    let wa = ((1.0 - t) * omega).sin() / sin;
    let wb = (t * omega).sin() / sin;
    // Unit-vector slerp, scaled by the linearly interpolated norm.
    let scale = (1.0 - t) * na + t * nb;
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (scale * (wa * f64::from(x) / na + wb * f64::from(y) / nb)) as f32)
        .collect()
}

/// Euclidean norm.
pub fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt()
}

/// How to walk from one latent vector to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Interpolation {
    /// A straight line.
    Linear,
    /// A great circle (see [`slerp`]).
    Spherical,
}

impl Interpolation {
    /// Both, in display order.
    pub const ALL: [Interpolation; 2] = [Interpolation::Linear, Interpolation::Spherical];

    /// The point a fraction `t` of the way.
    pub fn at(self, a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
        match self {
            Interpolation::Linear => lerp(a, b, t),
            Interpolation::Spherical => slerp(a, b, t),
        }
    }
}

/// `frames` evenly spaced points from `a` to `b` (both included), flat.
pub fn path(a: &[f32], b: &[f32], frames: usize, how: Interpolation) -> Vec<f32> {
    let frames = frames.max(2);
    (0..frames)
        .flat_map(|i| how.at(a, b, i as f32 / (frames - 1) as f32))
        .collect()
}

/// Latent arithmetic: `a − b + c` (e.g. "this 7's style, minus a plain 7, plus a plain 1").
pub fn arithmetic(a: &[f32], b: &[f32], c: &[f32]) -> Vec<f32> {
    a.iter().zip(b).zip(c).map(|((&x, &y), &w)| x - y + w).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(seed: u64, n: usize) -> Vec<f32> {
        Rng::new(seed).normal_vec(n)
    }

    #[test]
    fn slerp_endpoints_are_a_and_b() {
        let (a, b) = (v(1, 100), v(2, 100));
        let s0 = slerp(&a, &b, 0.0);
        let s1 = slerp(&a, &b, 1.0);
        for i in 0..100 {
            assert!((s0[i] - a[i]).abs() < 1e-5, "slerp(0) differs from a at {i}");
            assert!((s1[i] - b[i]).abs() < 1e-5, "slerp(1) differs from b at {i}");
        }
    }

    #[test]
    fn slerp_norm_stays_between_the_endpoint_norms() {
        let (a, b) = (v(3, 100), v(4, 50).into_iter().chain(vec![0.5; 50]).collect::<Vec<_>>());
        let (na, nb) = (norm(&a), norm(&b));
        let (lo, hi) = (na.min(nb), na.max(nb));
        for i in 0..=20 {
            let n = norm(&slerp(&a, &b, i as f32 / 20.0));
            assert!(
                n >= lo - 1e-4 && n <= hi + 1e-4,
                "norm {n} at t={} outside [{lo}, {hi}]",
                i as f32 / 20.0
            );
        }
        // A straight line between two near-orthogonal vectors dips well below both norms.
        let mid = norm(&lerp(&a, &b, 0.5));
        assert!(mid < lo * 0.9, "lerp midpoint norm {mid} should dip below {lo}");
    }

    #[test]
    fn lerp_midpoint_is_the_average() {
        let (a, b) = (v(5, 10), v(6, 10));
        let m = lerp(&a, &b, 0.5);
        for i in 0..10 {
            assert!((m[i] - (a[i] + b[i]) / 2.0).abs() < 1e-6);
        }
    }

    #[test]
    fn slerp_of_parallel_vectors_falls_back_to_lerp() {
        let a = vec![1.0, 2.0, 3.0];
        let b = vec![2.0, 4.0, 6.0];
        assert_eq!(slerp(&a, &b, 0.5), lerp(&a, &b, 0.5));
        assert_eq!(slerp(&[0.0; 3], &b, 0.25), lerp(&[0.0; 3], &b, 0.25));
    }

    #[test]
    fn path_has_both_ends_and_arithmetic_adds_up() {
        let (a, b) = (v(7, 4), v(8, 4));
        let p = path(&a, &b, 5, Interpolation::Linear);
        assert_eq!(p.len(), 20);
        assert_eq!(&p[..4], &a[..]);
        assert!(p[16..].iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6));
        assert_eq!(arithmetic(&[3.0, 1.0], &[1.0, 1.0], &[0.5, 2.0]), vec![2.5, 2.0]);
    }
}
