//! Training-mode batch norm over NCHW with its activation, as one op:
//! `y = act(γ·(x − μ)/√(σ² + ε) + β)` with μ, σ² the biased per-channel batch statistics
//! (over samples and positions), exactly what candle's `BatchNorm::forward_train` computes.
//!
//! Backward (the standard batch-norm gradient, through μ and σ²): with `x̂ = (x − μ)/√(σ² + ε)`
//! and `g` the gradient after the activation's derivative,
//! `dβ = Σ g`, `dγ = Σ g·x̂`, `dx = γ/√(σ² + ε) · (g − dβ/n − x̂·dγ/n)`.
//! Per-channel sums run per channel in a fixed order (deterministic in parallel).
//! The batch statistics are handed back so the caller can update the running statistics
//! the way candle does ([`update_running_stats`]).

use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, Var};
use rayon::prelude::*;

use super::sink::ParamGrads;
use super::{
    Activation, act_backward, all_cpu_f32, assume_written, cpu_tensor, lane_sum, scratch, slice_of, wants_grad,
    with_data, written_by,
};

/// Per-channel batch statistics of one forward pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchStats {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Biased variance per channel (divided by `count`).
    pub var: Vec<f32>,
    /// Values per channel: samples × positions.
    pub count: usize,
}

/// Batch norm in training mode followed by `act`; returns the output and the batch statistics.
pub fn batch_norm_act_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    act: Activation,
) -> Result<(Tensor, BatchStats)> {
    if all_cpu_f32(&[x, gamma, beta]) {
        let stats = Arc::new(Mutex::new(BatchStats::default()));
        let y = x.apply_op3(
            gamma,
            beta,
            BatchNormAct {
                eps,
                act,
                stats: stats.clone(),
            },
        )?;
        let s = stats
            .lock()
            .map_err(|_| candle_core::Error::Msg("batch-norm statistics lock poisoned".into()))?
            .clone();
        Ok((y, s))
    } else {
        reference(x, gamma, beta, eps, act)
    }
}

/// The same with candle's ops (the reference the tests compare against, and the path on other devices).
pub fn reference(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64, act: Activation) -> Result<(Tensor, BatchStats)> {
    let c = x.dim(1)?;
    let xt = x.transpose(0, 1)?.flatten_from(1)?.contiguous()?;
    let mean = xt.mean_keepdim(1)?;
    let centred = xt.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(1)?;
    let xhat = centred.broadcast_div(&(&var + eps)?.sqrt()?)?;
    let y = xhat
        .broadcast_mul(&gamma.reshape((c, 1))?)?
        .broadcast_add(&beta.reshape((c, 1))?)?;
    let mut dims = x.dims().to_vec();
    dims.swap(0, 1);
    let y = act.candle(&y.reshape(dims)?.transpose(0, 1)?)?;
    let stats = BatchStats {
        mean: mean.flatten_all()?.to_vec1()?,
        var: var.flatten_all()?.to_vec1()?,
        count: xt.dim(1)?,
    };
    Ok((y, stats))
}

/// candle's running-statistics update: `r ← (1 − m)·r + m·μ` and `v ← (1 − m)·v + m·n/(n − 1)·σ²`.
pub fn update_running_stats(
    running_mean: &Tensor,
    running_var: &Tensor,
    stats: &BatchStats,
    momentum: f64,
) -> Result<()> {
    let n = stats.count as f64;
    let var_weight = momentum * n / (n - 1.0).max(1.0);
    let blend = |running: &Tensor, batch: &[f32], w: f64| -> Result<()> {
        let old = running.flatten_all()?.to_vec1::<f32>()?;
        let keep = (1.0 - momentum) as f32;
        let w = w as f32;
        let new: Vec<f32> = old.iter().zip(batch).map(|(&r, &b)| r * keep + b * w).collect();
        Var::from_tensor(running)?.set(&Tensor::from_vec(new, running.shape(), running.device())?)
    };
    blend(running_mean, &stats.mean, momentum)?;
    blend(running_var, &stats.var, var_weight)
}

/// The fused op (see the module docs).
#[derive(Debug)]
pub struct BatchNormAct {
    eps: f64,
    act: Activation,
    stats: Arc<Mutex<BatchStats>>,
}

/// Per channel, Σ over samples of `f` applied to each of that channel's planes (fixed order).
fn per_channel(c: usize, batch: usize, p: usize, f: impl Fn(usize, usize) -> f64 + Sync) -> Vec<f64> {
    (0..c)
        .into_par_iter()
        .map(|ch| (0..batch).map(|b| f(ch, (b * c + ch) * p)).sum())
        .collect()
}

/// Training-mode batch norm of NCHW `x` (`batch × c × p`) then `act`: the output and the
/// batch statistics (two passes for μ and σ², one to write; channels and samples in parallel).
#[allow(clippy::too_many_arguments)]
fn normalize(
    x: &[f32],
    batch: usize,
    c: usize,
    p: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
    act: Activation,
) -> (Vec<f32>, BatchStats) {
    let n = batch * p;
    let nf = n.max(1) as f64;
    let mean: Vec<f32> = per_channel(c, batch, p, |_, s| lane_sum(&x[s..s + p], |v| v))
        .into_iter()
        .map(|s| (s / nf) as f32)
        .collect();
    let var: Vec<f32> = per_channel(c, batch, p, |ch, s| {
        let m = mean[ch];
        lane_sum(&x[s..s + p], |v| (v - m) * (v - m))
    })
    .into_iter()
    .map(|s| (s / nf) as f32)
    .collect();
    let scale: Vec<f32> = (0..c)
        .map(|ch| gamma[ch] / (f64::from(var[ch]) + eps).sqrt() as f32)
        .collect();
    let shift: Vec<f32> = (0..c).map(|ch| beta[ch] - mean[ch] * scale[ch]).collect();
    let y = if c * p == 0 {
        scratch(x.len())
    } else {
        let sample = |(ys, xs): (&mut [MaybeUninit<f32>], &[f32])| {
            for (ch, (yp, xp)) in ys.chunks_mut(p).zip(xs.chunks(p)).enumerate() {
                let (a, b) = (scale[ch], shift[ch]);
                yp.iter_mut().zip(xp).for_each(|(y, &x)| {
                    y.write(x * a + b);
                });
                // SAFETY: every element of the plane was just written.
                act.apply(unsafe { assume_written(yp) });
            }
        };
        // SAFETY: x.len() = batch·c·p: the samples' chunks cover it, each plane written whole.
        unsafe {
            written_by(x.len(), |y| {
                y.par_chunks_mut(c * p).zip(x.par_chunks(c * p)).for_each(sample)
            })
        }
    };
    (y, BatchStats { mean, var, count: n })
}

/// The batch-norm gradient (see the module docs) from `gy`, the gradient after the
/// activation's derivative, and the forward pass's input `xs` and statistics: `(dγ, dβ)` per
/// channel (f64 sums in a fixed order) and, when wanted, the input's gradient.
#[allow(clippy::too_many_arguments)]
fn gradients(
    gy: &[f32],
    xs: &[f32],
    stats: &BatchStats,
    gamma_v: &[f32],
    eps: f64,
    (batch, c, p): (usize, usize, usize),
    want_gx: bool,
) -> (Vec<f64>, Vec<f64>, Option<Vec<f32>>) {
    let n = (batch * p).max(1) as f64;
    let invstd: Vec<f32> = stats
        .var
        .iter()
        .map(|&v| (1.0 / (f64::from(v) + eps).sqrt()) as f32)
        .collect();
    // Σ g and Σ g·x̂ per channel in one pass, eight fixed lanes each (vectorisable).
    let sums: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let (m, is) = (stats.mean[ch], invstd[ch]);
            let (mut sg, mut sgx) = ([0.0f32; 8], [0.0f32; 8]);
            let (mut tg, mut tgx) = (0.0f64, 0.0f64);
            for b in 0..batch {
                let s = (b * c + ch) * p;
                let (g, x) = (&gy[s..s + p], &xs[s..s + p]);
                let (gc, xc) = (g.chunks_exact(8), x.chunks_exact(8));
                for (&g, &x) in gc.remainder().iter().zip(xc.remainder()) {
                    tg += f64::from(g);
                    tgx += f64::from(g * ((x - m) * is));
                }
                for (g8, x8) in gc.zip(xc) {
                    for l in 0..8 {
                        sg[l] += g8[l];
                        sgx[l] += g8[l] * ((x8[l] - m) * is);
                    }
                }
                // Each plane's lanes go into f64, as the forward pass's sums do.
                for l in 0..8 {
                    tg += f64::from(std::mem::take(&mut sg[l]));
                    tgx += f64::from(std::mem::take(&mut sgx[l]));
                }
            }
            (tgx, tg)
        })
        .collect();
    let (dgamma, dbeta): (Vec<f64>, Vec<f64>) = sums.into_iter().unzip();
    let gx = if want_gx {
        let a: Vec<f32> = (0..c).map(|ch| gamma_v[ch] * invstd[ch]).collect();
        let db: Vec<f32> = dbeta.iter().map(|&d| (d / n) as f32).collect();
        let dg: Vec<f32> = dgamma.iter().map(|&d| (d / n) as f32).collect();
        let gx = if c * p == 0 {
            scratch(xs.len())
        } else {
            type Piece<'a> = ((&'a mut [MaybeUninit<f32>], &'a [f32]), &'a [f32]);
            let sample = |((gxs, xs), gys): Piece| {
                for ch in 0..c {
                    let r = ch * p..(ch + 1) * p;
                    let (m, is) = (stats.mean[ch], invstd[ch]);
                    for ((o, &x), &g) in gxs[r.clone()].iter_mut().zip(&xs[r.clone()]).zip(&gys[r]) {
                        o.write(a[ch] * (g - db[ch] - (x - m) * is * dg[ch]));
                    }
                }
            };
            // SAFETY: the samples' chunks of c·p cover gx and every element of each is written.
            unsafe {
                written_by(xs.len(), |gx| {
                    gx.par_chunks_mut(c * p)
                        .zip(xs.par_chunks(c * p))
                        .zip(gy.par_chunks(c * p))
                        .for_each(sample)
                })
            }
        };
        Some(gx)
    } else {
        None
    };
    (dgamma, dbeta, gx)
}

impl CustomOp3 for BatchNormAct {
    fn name(&self) -> &'static str {
        "batch-norm-act"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dims = l1.shape().dims();
        if dims.len() < 2 || l2.shape().dims1()? != dims[1] || l3.shape().dims1()? != dims[1] {
            candle_core::bail!(
                "batch-norm: input {:?}, γ {:?}, β {:?} do not fit",
                l1.shape(),
                l2.shape(),
                l3.shape()
            );
        }
        let (batch, c) = (dims[0], dims[1]);
        let p: usize = dims[2..].iter().product();
        let (x, gamma, beta) = (slice_of(s1, l1)?, slice_of(s2, l2)?, slice_of(s3, l3)?);
        let (y, stats) = normalize(&x, batch, c, p, &gamma, &beta, self.eps, self.act);
        if let Ok(mut s) = self.stats.lock() {
            *s = stats;
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let stats = self
            .stats
            .lock()
            .map_err(|_| candle_core::Error::Msg("batch-norm statistics lock poisoned".into()))?
            .clone();
        let dims = x.dims();
        let (batch, c) = (dims[0], dims[1]);
        let p: usize = dims[2..].iter().product();
        let gy = act_backward(self.act, grad, res)?;
        let gamma_v = gamma.to_vec1::<f32>()?;
        let (dgamma, dbeta, gx) = with_data(x, |xs| {
            Ok(gradients(
                &gy,
                xs,
                &stats,
                &gamma_v,
                self.eps,
                (batch, c, p),
                wants_grad(x),
            ))
        })?;
        let gx = gx.map(|g| cpu_tensor(g, x.shape().clone())).transpose()?;
        let gg = if wants_grad(gamma) {
            Some(cpu_tensor(dgamma.iter().map(|&d| d as f32).collect(), c)?)
        } else {
            None
        };
        let gb = if wants_grad(beta) {
            Some(cpu_tensor(dbeta.iter().map(|&d| d as f32).collect(), c)?)
        } else {
            None
        };
        Ok((gx, gg, gb))
    }
}

/// Training-mode batch norm and its activation run as the last step of the layer before it
/// (a convolution, a transposed convolution, a dense layer into feature maps) instead of as
/// an op of its own. The layer's output before normalisation stays inside the layer's op,
/// so candle's graph has one node less: no zero-filled gradient of that size to sum into in
/// the backward pass, and no separate pass for the layer's bias and activation.
///
/// γ and β enter as constants; their gradients go to `grads` (a training step's collector,
/// [`super::sink`]) or nowhere (a pass with constant weights). Build one per forward pass.
#[derive(Debug, Clone)]
pub struct BnEpilogue {
    gamma: Tensor,
    beta: Tensor,
    eps: f64,
    act: Activation,
    grads: Option<Arc<ParamGrads>>,
    state: Arc<Mutex<Option<Saved>>>,
}

/// What the forward pass keeps for the backward pass.
#[derive(Debug)]
struct Saved {
    stats: BatchStats,
    /// The layer's output before normalisation (NCHW).
    pre: Vec<f32>,
}

impl BnEpilogue {
    /// Batch norm with scale `gamma` and shift `beta` (one per channel), then `act`.
    pub fn new(gamma: &Tensor, beta: &Tensor, eps: f64, act: Activation, grads: Option<&Arc<ParamGrads>>) -> Self {
        Self {
            gamma: gamma.clone(),
            beta: beta.clone(),
            eps,
            act,
            grads: grads.cloned(),
            state: Arc::new(Mutex::new(None)),
        }
    }

    fn saved(&self) -> Result<std::sync::MutexGuard<'_, Option<Saved>>> {
        self.state
            .lock()
            .map_err(|_| candle_core::Error::Msg("batch-norm state lock poisoned".into()))
    }

    /// The batch statistics of the forward pass (for [`update_running_stats`]).
    pub fn stats(&self) -> Result<BatchStats> {
        match &*self.saved()? {
            Some(s) => Ok(s.stats.clone()),
            None => candle_core::bail!("batch norm: statistics asked for before the forward pass"),
        }
    }

    /// Normalises the layer's NCHW output `pre` (`batch × c × p`) and applies the activation.
    pub(crate) fn forward(&self, pre: Vec<f32>, batch: usize, c: usize, p: usize) -> Result<Vec<f32>> {
        let (gamma, beta) = (self.gamma.to_vec1::<f32>()?, self.beta.to_vec1::<f32>()?);
        if gamma.len() != c || beta.len() != c || pre.len() != batch * c * p {
            candle_core::bail!(
                "batch norm: γ {:?}, β {:?} for {c} channels of {batch}×{p}",
                self.gamma.shape(),
                self.beta.shape()
            );
        }
        let (y, stats) = normalize(&pre, batch, c, p, &gamma, &beta, self.eps, self.act);
        *self.saved()? = Some(Saved { stats, pre });
        Ok(y)
    }

    /// The gradient with respect to the layer's output before normalisation, from the
    /// gradient `grad` of the activation's output `y`; hands dγ and dβ to the collector.
    pub(crate) fn backward(&self, grad: &Tensor, y: &Tensor, batch: usize, c: usize, p: usize) -> Result<Vec<f32>> {
        let gy = act_backward(self.act, grad, y)?;
        let gamma = self.gamma.to_vec1::<f32>()?;
        let saved = self.saved()?;
        let Some(saved) = saved.as_ref() else {
            candle_core::bail!("batch norm: backward pass before the forward pass");
        };
        let (dgamma, dbeta, gx) = gradients(&gy, &saved.pre, &saved.stats, &gamma, self.eps, (batch, c, p), true);
        if let Some(grads) = &self.grads {
            grads.deposit(&self.gamma, dgamma.iter().map(|&d| d as f32).collect())?;
            grads.deposit(&self.beta, dbeta.iter().map(|&d| d as f32).collect())?;
        }
        gx.ok_or_else(|| candle_core::Error::Msg("batch norm: no input gradient".into()))
    }
}
