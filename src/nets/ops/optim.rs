//! Fused in-place optimizer updates through candle's `InplaceOp1`: one pass over
//! each parameter updates the weights and the optimizer's moments together, with
//! no tensor allocated per step. The rules are PyTorch's (`torch.optim.Adam`,
//! `torch.optim.SGD(momentum=..)`).

use std::cell::RefCell;

use candle_core::{CpuStorage, InplaceOp1, Layout, Result, Tensor};
use rayon::prelude::*;

use super::{threads, with_data};

/// Adam's constants for one update.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    /// Learning rate.
    pub lr: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// The update's number, from 1 (for the bias corrections).
    pub t: i32,
}

/// Pieces of a parameter updated in parallel (a fixed size: the split never depends on timing).
const CHUNK: usize = 32 * 1024;

/// Adam on the CPU: `w` (a variable's tensor) is updated in place from the gradient `g`,
/// with the moments `m` and `v` (same element count) updated alongside.
pub fn adam_cpu(w: &Tensor, g: &Tensor, m: &mut [f32], v: &mut [f32], c: AdamStep) -> Result<()> {
    with_data(g, |g| {
        if g.len() != m.len() || g.len() != v.len() || g.len() != w.elem_count() {
            candle_core::bail!("adam: gradient, moments and weights differ in size");
        }
        w.inplace_op1(&FusedAdam {
            g,
            state: RefCell::new((m, v)),
            c,
        })
    })
}

/// SGD with momentum on the CPU: `buf = momentum·buf + g` (or `g` on the first update), `w -= lr·buf`.
pub fn sgd_cpu(w: &Tensor, g: &Tensor, buf: &mut [f32], lr: f64, momentum: f64, first: bool) -> Result<()> {
    with_data(g, |g| {
        if g.len() != buf.len() || g.len() != w.elem_count() {
            candle_core::bail!("sgd: gradient, momentum and weights differ in size");
        }
        w.inplace_op1(&FusedSgd {
            g,
            buf: RefCell::new(buf),
            lr: lr as f32,
            momentum: momentum as f32,
            first,
        })
    })
}

struct FusedAdam<'a> {
    g: &'a [f32],
    state: RefCell<(&'a mut [f32], &'a mut [f32])>,
    c: AdamStep,
}

fn weights_mut<'a>(s: &'a mut CpuStorage, l: &Layout, name: &str) -> Result<&'a mut [f32]> {
    let Some((a, b)) = l.contiguous_offsets() else {
        candle_core::bail!("{name}: weights must be contiguous");
    };
    match s {
        CpuStorage::F32(w) => Ok(&mut w[a..b]),
        _ => candle_core::bail!("{name}: weights must be f32"),
    }
}

impl InplaceOp1 for FusedAdam<'_> {
    fn name(&self) -> &'static str {
        "fused-adam"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
        let w = weights_mut(s, l, self.name())?;
        let mut state = self.state.borrow_mut();
        let (m, v) = &mut *state;
        let c = self.c;
        let (b1, b2) = (c.beta1 as f32, c.beta2 as f32);
        let (one_b1, one_b2) = ((1.0 - c.beta1) as f32, (1.0 - c.beta2) as f32);
        let step = (c.lr / (1.0 - c.beta1.powi(c.t))) as f32;
        let inv_sqrt_bc2 = (1.0 / (1.0 - c.beta2.powi(c.t)).sqrt()) as f32;
        let eps = c.eps as f32;
        // Zipped iterators: no bounds checks, so the loop vectorises.
        let kernel = |w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            for (((w, &gi), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let mi = b1 * *m + one_b1 * gi;
                let vi = b2 * *v + one_b2 * (gi * gi);
                *m = mi;
                *v = vi;
                *w -= step * (mi / (vi.sqrt() * inv_sqrt_bc2 + eps));
            }
        };
        let g = self.g;
        if w.len() > CHUNK && threads() > 1 {
            w.par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(m.par_chunks_mut(CHUNK))
                .zip(v.par_chunks_mut(CHUNK))
                .for_each(|(((w, g), m), v)| kernel(w, g, m, v));
        } else {
            kernel(w, g, m, v);
        }
        Ok(())
    }
}

struct FusedSgd<'a> {
    g: &'a [f32],
    buf: RefCell<&'a mut [f32]>,
    lr: f32,
    momentum: f32,
    first: bool,
}

impl InplaceOp1 for FusedSgd<'_> {
    fn name(&self) -> &'static str {
        "fused-sgd"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
        let w = weights_mut(s, l, self.name())?;
        let mut buf = self.buf.borrow_mut();
        let (lr, mom, first) = (self.lr, self.momentum, self.first);
        for ((w, &g), b) in w.iter_mut().zip(self.g).zip(buf.iter_mut()) {
            *b = if first { g } else { mom * *b + g };
            *w -= lr * *b;
        }
        Ok(())
    }
}

/// An exponential moving average on the CPU, in place: `avg ← decay·avg + (1 − decay)·w`
/// (`avg` a variable's tensor, `w` the same-sized weights it follows).
pub fn ema_cpu(avg: &Tensor, w: &Tensor, decay: f32) -> Result<()> {
    with_data(w, |w| {
        if w.len() != avg.elem_count() {
            candle_core::bail!("moving average: weights and average differ in size");
        }
        avg.inplace_op1(&FusedEma { w, decay })
    })
}

struct FusedEma<'a> {
    w: &'a [f32],
    decay: f32,
}

impl InplaceOp1 for FusedEma<'_> {
    fn name(&self) -> &'static str {
        "fused-ema"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
        let avg = weights_mut(s, l, self.name())?;
        let (d, one_d) = (self.decay, 1.0 - self.decay);
        let kernel = |a: &mut [f32], w: &[f32]| {
            for (a, &w) in a.iter_mut().zip(w) {
                *a = d * *a + one_d * w;
            }
        };
        if avg.len() > CHUNK && threads() > 1 {
            avg.par_chunks_mut(CHUNK)
                .zip(self.w.par_chunks(CHUNK))
                .for_each(|(a, w)| kernel(a, w));
        } else {
            kernel(avg, self.w);
        }
        Ok(())
    }
}
