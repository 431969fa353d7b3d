//! Binary cross-entropy on logits as one op: `mean(softplus(s·l))` for a sign `s`.
//!
//! With `D = σ(l)`: `-log D = softplus(-l)` (target 1, `s = -1`) and
//! `-log(1 - D) = softplus(l)` (target 0, `s = +1`). `softplus(u) = max(u, 0) + log(1 + e^{-|u|})`
//! never overflows; its derivative is `σ(u)`, so `d/dl = s·σ(s·l)/n`.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use super::{all_cpu_f32, cpu_tensor, slice_of, with_data};

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
