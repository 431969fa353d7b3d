//! Directions in z that matter.
//!
//! With 100 latent dimensions, raw sliders are a lot, and most single dimensions
//! change the image only a little. Following GANSpace (Härkönen et al. 2020), we
//! decode a few thousand random z, take the principal components of the
//! generated images, and map each component back to z by regressing z on the
//! component's coefficients: the resulting z-direction moves the output along
//! that component. The directions are then made orthonormal (in order of
//! explained variance), so the position along each is simply a dot product with z.
//!
//! [`sensitivity`] measures, per dimension of z, how much the image changes for a
//! unit step (central differences), for the sensitivity bars beside the sliders.

use candle_core::{Device, Tensor};

use super::{Model, PIXELS, random_z};

/// Principal directions of a generator, mapped back to z.
#[derive(Debug, Clone, PartialEq)]
pub struct Directions {
    /// Orthonormal z-directions, strongest first (`latent_dim` values each).
    pub dirs: Vec<Vec<f32>>,
    /// Share of the generated images' variance along each image-space component.
    pub explained: Vec<f32>,
}

impl Directions {
    /// Coordinates of `z` along each direction (`z · dᵢ`).
    pub fn coordinates(&self, z: &[f32]) -> Vec<f32> {
        self.dirs.iter().map(|d| dot(d, z) as f32).collect()
    }

    /// Moves `z` so that its coordinate along direction `i` becomes `value`.
    pub fn set_coordinate(&self, z: &mut [f32], i: usize, value: f32) {
        let Some(d) = self.dirs.get(i) else {
            return;
        };
        let delta = value - dot(d, z) as f32;
        for (zj, dj) in z.iter_mut().zip(d) {
            *zj += delta * dj;
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
}

/// Decodes `samples` random z (from `seed`) and returns up to `k` principal directions.
pub fn principal_directions(model: &Model, samples: usize, k: usize, seed: u64) -> candle_core::Result<Directions> {
    let l = model.latent_dim();
    let n = samples.max(8);
    let k = k.min(l).clamp(1, PIXELS);
    let z = random_z(n, l, seed ^ 0x6a09_e667);
    // Decode in chunks to keep memory flat.
    let mut y = Vec::with_capacity(n * PIXELS);
    for chunk in z.chunks(256 * l) {
        y.extend(model.decode_f32(chunk)?);
    }
    let dev = Device::Cpu;
    let y = Tensor::from_vec(y, (n, PIXELS), &dev)?;
    let mean = y.mean_keepdim(0)?;
    let yc = y.broadcast_sub(&mean)?;
    let cov = (yc.t()?.matmul(&yc)? / n as f64)?;
    let total_var = f64::from(yc.sqr()?.sum_all()?.to_scalar::<f32>()?) / n as f64;

    // Orthogonal (subspace) iteration for the top-k eigenvectors of the covariance.
    let mut q = Tensor::from_vec(random_z(PIXELS * k, 1, seed ^ 0xbb67_ae85), (PIXELS, k), &dev)?;
    q = orthonormal_columns(&q)?;
    for _ in 0..60 {
        q = orthonormal_columns(&cov.matmul(&q)?)?;
    }
    let cq = cov.matmul(&q)?;
    let eig: Vec<f32> = (q.mul(&cq)?).sum(0)?.to_vec1()?;

    // Coefficients of each sample along each component, then regress z on each coefficient.
    let coef = yc.matmul(&q)?; // (n, k)
    let zt = Tensor::from_vec(z, (n, l), &dev)?;
    let num = coef.t()?.matmul(&zt)?; // (k, l): Σ c_ij z_i
    let den: Vec<f32> = coef.sqr()?.sum(0)?.to_vec1()?;
    let num: Vec<Vec<f32>> = num.to_vec2()?;

    let mut dirs: Vec<Vec<f32>> = Vec::new();
    let mut explained = Vec::new();
    for (j, row) in num.into_iter().enumerate() {
        let scale = if den[j] > 0.0 { 1.0 / den[j] } else { 0.0 };
        let mut u: Vec<f64> = row.iter().map(|&v| f64::from(v * scale)).collect();
        // Gram–Schmidt against the stronger directions already kept.
        for d in &dirs {
            let p: f64 = u.iter().zip(d.iter()).map(|(a, &b)| a * f64::from(b)).sum();
            for (ui, &di) in u.iter_mut().zip(d.iter()) {
                *ui -= p * f64::from(di);
            }
        }
        let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-6 {
            continue;
        }
        dirs.push(u.iter().map(|v| (v / norm) as f32).collect());
        explained.push(if total_var > 0.0 {
            (f64::from(eig[j]) / total_var) as f32
        } else {
            0.0
        });
    }
    Ok(Directions { dirs, explained })
}

/// Orthonormalises the columns of a `(rows, k)` matrix (modified Gram–Schmidt, in f64).
fn orthonormal_columns(m: &Tensor) -> candle_core::Result<Tensor> {
    let (rows, k) = m.dims2()?;
    let cols: Vec<Vec<f32>> = m.t()?.to_vec2()?;
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(k);
    for c in cols {
        let mut v: Vec<f64> = c.into_iter().map(f64::from).collect();
        for o in &out {
            let p: f64 = v.iter().zip(o).map(|(a, b)| a * b).sum();
            for (vi, oi) in v.iter_mut().zip(o) {
                *vi -= p * oi;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-12 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        out.push(v);
    }
    let flat: Vec<f32> = out.into_iter().flatten().map(|x| x as f32).collect();
    Tensor::from_vec(flat, (k, rows), m.device())?.t()?.contiguous()
}

/// How much the image changes per unit step of each dimension of z, at `z`:
/// the root-mean-square pixel change (pixels in [0, 1]) of a central difference
/// with step `eps`. One batch of `2 · latent_dim` decodes.
pub fn sensitivity(model: &Model, z: &[f32], eps: f32) -> candle_core::Result<Vec<f32>> {
    let l = model.latent_dim();
    if z.len() != l {
        candle_core::bail!("z has {} values, the model's latent size is {l}", z.len());
    }
    let eps = if eps > 0.0 { eps } else { 0.1 };
    let mut batch = Vec::with_capacity(2 * l * l);
    for i in 0..l {
        for sign in [1.0, -1.0] {
            let mut v = z.to_vec();
            v[i] += sign * eps;
            batch.extend(v);
        }
    }
    let mut images = Vec::with_capacity(2 * l * PIXELS);
    for chunk in batch.chunks(128 * l) {
        images.extend(model.decode_f32(chunk)?);
    }
    Ok((0..l)
        .map(|i| {
            let plus = &images[2 * i * PIXELS..(2 * i + 1) * PIXELS];
            let minus = &images[(2 * i + 1) * PIXELS..(2 * i + 2) * PIXELS];
            // Images are in [-1, 1]: halve the difference to measure in [0, 1] pixel units.
            let ms: f64 = plus
                .iter()
                .zip(minus)
                .map(|(&p, &m)| {
                    let d = f64::from(p - m) / 2.0 / (2.0 * f64::from(eps));
                    d * d
                })
                .sum::<f64>()
                / PIXELS as f64;
            ms.sqrt() as f32
        })
        .collect())
}
