//! GAN inversion: a generator has no encoder, but a z whose image matches a given digit can
//! be searched for — gradient descent on the squared distance between G(z) and the digit,
//! through the frozen generator (Adam on z, lr 0.05; a small pull toward the prior keeps z
//! typical). The path is kept, so the window can show the search converging.

use candle_core::{Tensor, Var};

use super::{Model, PIXELS};

/// Steps of the search.
pub const STEPS: usize = 200;
/// Adam's learning rate on z.
pub const LR: f64 = 0.05;
/// Weight of the prior term ‖z‖² / latent size (keeps z where the generator was trained).
pub const PRIOR_WEIGHT: f64 = 0.01;
/// How many points of the path are kept (evenly spread, first and last included).
pub const PATH_POINTS: usize = 8;

/// A finished search.
#[derive(Debug, Clone, PartialEq)]
pub struct Inversion {
    /// The z found.
    pub z: Vec<f32>,
    /// The mean squared distance per pixel (images in [-1, 1]) at each step.
    pub loss: Vec<f32>,
    /// Points of the path: (step, z, its image, 784 bytes).
    pub path: Vec<(usize, Vec<f32>, Vec<u8>)>,
}

/// Searches for the z whose image under `model`'s decoder is closest to `target` (28×28,
/// 8-bit), starting from `start`.
pub fn invert(model: &Model, target: &[u8], start: &[f32]) -> candle_core::Result<Inversion> {
    if target.len() != PIXELS {
        candle_core::bail!("inversion: the target has {} pixels, not {PIXELS}", target.len());
    }
    let l = model.latent_dim();
    if start.len() != l {
        candle_core::bail!(
            "inversion: the start has {} values, the latent size is {l}",
            start.len()
        );
    }
    let device = model.device.clone();
    let decoder = model.decoder()?;
    let target = crate::family::images_from_u8(target, &device)?;
    let z = Var::from_tensor(&Tensor::from_slice(start, (1, l), &device)?)?;
    let (mut m, mut v) = (vec![0.0f64; l], vec![0.0f64; l]);
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let keep: Vec<usize> = (0..PATH_POINTS).map(|i| i * STEPS / (PATH_POINTS - 1)).collect();
    let mut out = Inversion {
        z: start.to_vec(),
        loss: Vec::with_capacity(STEPS + 1),
        path: Vec::with_capacity(PATH_POINTS),
    };
    for step in 0..=STEPS {
        let image = decoder.decode(z.as_tensor())?;
        let distance = (&image - &target)?.sqr()?.mean_all()?;
        let prior = (z.as_tensor().sqr()?.mean_all()? * PRIOR_WEIGHT)?;
        let loss = (&distance + &prior)?;
        out.loss.push(distance.to_scalar::<f32>()?);
        if keep.contains(&step) {
            out.path.push((
                step,
                z.as_tensor().flatten_all()?.to_vec1()?,
                crate::nets::images_to_u8(&image)?,
            ));
        }
        if step == STEPS {
            break;
        }
        let grads = loss.backward()?;
        let Some(g) = grads.get(z.as_tensor()) else {
            candle_core::bail!("inversion: no gradient reaches z");
        };
        let g: Vec<f32> = g.flatten_all()?.to_vec1()?;
        let mut zs: Vec<f32> = z.as_tensor().flatten_all()?.to_vec1()?;
        let t = (step + 1) as i32;
        for i in 0..l {
            let gi = f64::from(g[i]);
            m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
            let mh = m[i] / (1.0 - b1.powi(t));
            let vh = v[i] / (1.0 - b2.powi(t));
            zs[i] -= (LR * mh / (vh.sqrt() + eps)) as f32;
        }
        z.set(&Tensor::from_slice(&zs, (1, l), &device)?)?;
    }
    out.z = z.as_tensor().flatten_all()?.to_vec1()?;
    Ok(out)
}
