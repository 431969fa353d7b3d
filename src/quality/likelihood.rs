//! Exact, approximate, implicit: the course's three kinds of generative model side by side
//! on the same held-out digits (the last [`super::HELD_OUT`] embedded ones, which no shipped
//! model trains on), binarised at half grey.
//! - An autoregressive model (PixelCNN) gives the exact negative log-likelihood.
//! - A VAE gives an upper bound on it: the negative ELBO (one sample of z per digit), on
//!   the same binarised digits. (The shipped VAE was trained on grey levels, so its bound
//!   on black-and-white digits is looser than a VAE trained on them would give.)
//! - A GAN gives none: G defines p(x) only implicitly, through samples.

use candle_core::Device;
use serde::Serialize;

use crate::family::PixelModel;
use crate::family::pixelcnn::levels_of_u8;
use crate::rng::Rng;

/// What a row's number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LikelihoodKind {
    /// The exact NLL.
    Exact,
    /// An upper bound on the NLL (−ELBO).
    Bound,
    /// No likelihood at all.
    Implicit,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LikelihoodRow {
    /// The model, for people.
    pub model: String,
    /// What its number is.
    pub kind: LikelihoodKind,
    /// Mean nats per digit (`None` for a GAN).
    pub nats: Option<f32>,
}

/// The held-out digits (8-bit), `count` of them at most.
pub fn held_out_digits(count: usize) -> Result<Vec<u8>, String> {
    let data = crate::data::embedded_mnist_static().map_err(|e| e.to_string())?;
    let held = data.split_off_last(super::HELD_OUT).1;
    let n = held.len().min(count);
    Ok(held.pixels[..n * 784].to_vec())
}

/// The mean NLL (nats) of 8-bit digits under `model`, 100 at a time.
pub fn mean_nll(model: &dyn PixelModel, pixels: &[u8]) -> candle_core::Result<f32> {
    let levels = levels_of_u8(pixels, model.levels());
    let mut sum = 0f64;
    let mut n = 0usize;
    for chunk in levels.chunks(100 * 784) {
        let (per_image, _) = model.nll(chunk)?;
        sum += per_image.iter().map(|&v| f64::from(v)).sum::<f64>();
        n += per_image.len();
    }
    Ok((sum / n.max(1) as f64) as f32)
}

/// The table for `pixel` (named `name`) on `count` held-out digits: its exact NLL, the
/// shipped VAE's −ELBO on the same binarised digits, and the shipped DCGAN's "none".
pub fn compare_on_held_out(name: &str, pixel: &dyn PixelModel, count: usize) -> Result<Vec<LikelihoodRow>, String> {
    let pixels = held_out_digits(count)?;
    let exact = mean_nll(pixel, &pixels).map_err(|e| e.to_string())?;
    let mut rows = vec![LikelihoodRow {
        model: name.to_string(),
        kind: LikelihoodKind::Exact,
        nats: Some(exact),
    }];
    let device = Device::Cpu;
    let vae = crate::latent::pretrained::find("vae").ok_or("the shipped VAE is missing")?;
    let ck = vae.checkpoint().map_err(|e| e.to_string())?;
    let model = ck.build_model(None, &device).map_err(|e| e.to_string())?;
    // Binarised digits on the [-1, 1] scale: the VAE's BCE against 0/1 targets is then a
    // Bernoulli likelihood, as the PixelCNN's.
    let binary: Vec<u8> = pixels.iter().map(|&p| if p >= 128 { 255 } else { 0 }).collect();
    let x = crate::family::images_from_u8(&binary, &device).map_err(|e| e.to_string())?;
    let bound = match model.evaluate(&x, &mut Rng::new(7)) {
        Some(out) => out
            .map_err(|e| e.to_string())?
            .value(model.family(), "neg_elbo")
            .ok_or("the VAE gave no −ELBO")?,
        None => return Err("the VAE gave no −ELBO".into()),
    };
    rows.push(LikelihoodRow {
        model: vae.label.to_string(),
        kind: LikelihoodKind::Bound,
        nats: Some(bound),
    });
    if let Some(gan) = crate::latent::pretrained::find("dcgan") {
        rows.push(LikelihoodRow {
            model: gan.label.to_string(),
            kind: LikelihoodKind::Implicit,
            nats: None,
        });
    }
    Ok(rows)
}
