//! Binary cross-entropy on logits as one op: `mean(softplus(s·l))` for a sign `s` (the GAN
//! losses), and [`bce_per_image`], the autoencoders' and VAEs' reconstruction term.
//!
//! With `D = σ(l)`: `-log D = softplus(-l)` (target 1, `s = -1`) and
//! `-log(1 - D) = softplus(l)` (target 0, `s = +1`). `softplus(u) = max(u, 0) + log(1 + e^{-|u|})`
//! never overflows; its derivative is `σ(u)`, so `d/dl = s·σ(s·l)/n`.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use rayon::prelude::*;

use super::{all_cpu_f32, cpu_tensor, slice_of, with_data};

/// Elements per parallel piece of the reconstruction loss's gradient.
const PIECE: usize = 8 * 1024;

/// `mean(softplus(sign·logits))` over all elements, as a scalar tensor. `sign` is ±1.
pub fn softplus_mean(logits: &Tensor, sign: f32) -> Result<Tensor> {
    if all_cpu_f32(&[logits]) {
        logits.apply_op1(SoftplusMean { sign })
    } else {
        reference(logits, sign)
    }
}

/// The same loss with candle's ops (the reference the tests compare against).
pub fn reference(logits: &Tensor, sign: f32) -> Result<Tensor> {
    let u = (logits * f64::from(sign))?;
    let tail = (u.abs()?.neg()?.exp()? + 1.0)?.log()?;
    (u.relu()? + tail)?.mean_all()
}

#[inline]
fn softplus(u: f32) -> f32 {
    u.max(0.0) + (-u.abs()).exp().ln_1p()
}

#[inline]
fn sigmoid(u: f32) -> f32 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// The fused op (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct SoftplusMean {
    /// +1 (target 0) or −1 (target 1).
    pub sign: f32,
}

impl CustomOp1 for SoftplusMean {
    fn name(&self) -> &'static str {
        "softplus-mean"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice_of(s, l)?;
        let n = x.len().max(1) as f64;
        let sum: f64 = x.iter().map(|&v| f64::from(softplus(self.sign * v))).sum();
        Ok((CpuStorage::F32(vec![(sum / n) as f32]), Shape::from(())))
    }

    fn bwd(&self, logits: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = with_data(grad, |g| Ok(g.first().copied().unwrap_or(0.0)))?;
        let n = logits.elem_count().max(1) as f32;
        let s = self.sign;
        let scale = g * s / n;
        let gl = with_data(logits, |l| Ok(l.iter().map(|&v| scale * sigmoid(s * v)).collect()))?;
        Ok(Some(cpu_tensor(gl, logits.shape().clone())?))
    }
}

/// The binary cross-entropy of pixel logits `l` against images `x` in [-1, 1] (target
/// `t = (x + 1)/2`, the grey level as an ink probability), summed over each image's pixels
/// and averaged over the batch: `Σ (softplus(l) − t·l) / B`, as a scalar tensor. One op
/// forward and backward (`d/dl = (σ(l) − t)/B`; no gradient for `x`), where candle's ops
/// would make about twenty passes over the batch.
pub fn bce_per_image(logits: &Tensor, x: &Tensor) -> Result<Tensor> {
    if logits.dims() != x.dims() {
        candle_core::bail!(
            "bce: logits {:?} and images {:?} differ in shape",
            logits.dims(),
            x.dims()
        );
    }
    if all_cpu_f32(&[logits, x]) {
        logits.apply_op2(x, BcePerImage)
    } else {
        bce_reference(logits, x)
    }
}

/// The same loss with candle's ops (the reference the tests compare against).
pub fn bce_reference(logits: &Tensor, x: &Tensor) -> Result<Tensor> {
    let b = x.dim(0)? as f64;
    let target = ((x + 1.0)? * 0.5)?;
    let tail = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    ((logits.relu()? - (&target * logits)?)? + tail)?.sum_all()? / b
}

/// The fused reconstruction loss (see [`bce_per_image`]).
#[derive(Debug, Clone, Copy)]
pub struct BcePerImage;

impl CustomOp2 for BcePerImage {
    fn name(&self) -> &'static str {
        "bce-per-image"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (l, x) = (slice_of(s1, l1)?, slice_of(s2, l2)?);
        let b = l1.dims().first().copied().unwrap_or(1).max(1);
        // Each image's sum in parallel, then the images' sums in order: the same bits on any
        // number of threads (one running sum was a serial pass of `exp` and `ln_1p` per pixel,
        // with the other cores idle).
        let per = (l.len() / b).max(1);
        let images: Vec<f64> = l
            .par_chunks(per)
            .zip(x.par_chunks(per))
            .map(|(l, x)| {
                l.iter()
                    .zip(x)
                    .map(|(&v, &x)| f64::from(softplus(v) - 0.5 * (x + 1.0) * v))
                    .sum::<f64>()
            })
            .collect();
        let sum: f64 = images.iter().sum();
        Ok((CpuStorage::F32(vec![(sum / b as f64) as f32]), Shape::from(())))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        x: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = with_data(grad, |g| Ok(g.first().copied().unwrap_or(0.0)))?;
        let scale = g / logits.dim(0)?.max(1) as f32;
        // Pixels in parallel, in fixed pieces (each element on its own: the same bits on any
        // number of threads).
        let gl = with_data(logits, |l| {
            with_data(x, |x| {
                let mut out = vec![0f32; l.len()];
                out.par_chunks_mut(PIECE)
                    .zip(l.par_chunks(PIECE).zip(x.par_chunks(PIECE)))
                    .for_each(|(out, (l, x))| {
                        for ((o, &v), &x) in out.iter_mut().zip(l).zip(x) {
                            *o = scale * (sigmoid(v) - 0.5 * (x + 1.0));
                        }
                    });
                Ok(out)
            })
        })?;
        Ok((Some(cpu_tensor(gl, logits.shape().clone())?), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn the_fused_reconstruction_loss_matches_candles_ops_value_and_gradient() {
        let mut rng = crate::rng::Rng::new(9);
        let shape = (3, 1, 28, 28);
        let l = Var::from_tensor(&Tensor::from_vec(rng.normal_vec(3 * 784), shape, &Device::Cpu).unwrap()).unwrap();
        let x: Vec<f32> = rng.uniform_vec(3 * 784, -1.0, 1.0);
        let x = Tensor::from_vec(x, shape, &Device::Cpu).unwrap();
        let fused = bce_per_image(l.as_tensor(), &x).unwrap();
        let reference = bce_reference(l.as_tensor(), &x).unwrap();
        let (a, b) = (fused.to_scalar::<f32>().unwrap(), reference.to_scalar::<f32>().unwrap());
        assert!((a - b).abs() < 1e-3 * b.abs(), "fused {a}, candle {b}");
        let grad_of = |loss: &Tensor| -> Vec<f32> {
            let grads = loss.backward().unwrap();
            grads
                .get(l.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        let (ga, gb) = (grad_of(&fused), grad_of(&reference));
        for (i, (p, q)) in ga.iter().zip(&gb).enumerate() {
            assert!((p - q).abs() < 1e-6, "gradient {i}: fused {p}, candle {q}");
        }
    }
}
