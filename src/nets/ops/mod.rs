//! Fused CPU kernels for the GANs, plugged into candle through its extension
//! points (`CustomOp1/3` with a backward pass, `InplaceOp1`), one file per op family:
//! - [`linear`]: `act(x·Wᵀ + b)` in one op (matmul, bias and activation forward and backward);
//! - [`conv`]: 2-D convolution and transposed convolution as im2col / col2im plus one matrix
//!   product for the whole batch, with bias and activation fused;
//! - [`batchnorm`]: training-mode batch norm with its activation, statistics and backward in one op;
//! - [`loss`]: binary cross-entropy on logits (mean softplus) with its gradient;
//! - [`optim`]: fused in-place Adam and SGD updates (no allocation per step).
//!
//! Every op has a CPU path only; the public functions fall back to candle's own
//! ops on other devices, so CUDA and Metal builds keep working code. Parallel
//! loops split work into fixed pieces (per sample, per channel, per column) and
//! every sum runs in a fixed order, so results do not depend on thread timing:
//! the same seed gives the same bits.

pub mod batchnorm;
pub mod conv;
pub mod linear;
pub mod loss;
pub mod optim;

use std::borrow::Cow;

use candle_core::{CpuStorage, Layout, Result, Storage, Tensor};
use rayon::prelude::*;

/// The activation fused after a linear layer, a convolution or a batch norm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// None: the identity.
    Identity,
    /// max(x, 0).
    Relu,
    /// x for x > 0, `slope`·x otherwise (0 < slope < 1).
    LeakyRelu(f32),
    /// tanh(x).
    Tanh,
}

impl Activation {
    /// Applies the activation in place.
    #[inline]
    pub fn apply(self, xs: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::Relu => xs.iter_mut().for_each(|x| *x = x.max(0.0)),
            Activation::LeakyRelu(s) => xs.iter_mut().for_each(|x| {
                if *x < 0.0 {
                    *x *= s
                }
            }),
            Activation::Tanh => xs.iter_mut().for_each(|x| *x = x.tanh()),
        }
    }

    /// Multiplies `grad` in place by the activation's derivative, read from its output `y`
    /// (valid because each activation here is monotonic: the output's sign gives the input's).
    #[inline]
    pub fn backward_from_output(self, y: &[f32], grad: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::Relu => grad.iter_mut().zip(y).for_each(|(g, &y)| {
                if y <= 0.0 {
                    *g = 0.0
                }
            }),
            Activation::LeakyRelu(s) => grad.iter_mut().zip(y).for_each(|(g, &y)| {
                if y < 0.0 {
                    *g *= s
                }
            }),
            Activation::Tanh => grad.iter_mut().zip(y).for_each(|(g, &y)| *g *= 1.0 - y * y),
        }
    }

    /// The same activation with candle's ops (the fallback on other devices, and the reference in tests).
    pub fn candle(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Identity => Ok(x.clone()),
            Activation::Relu => x.relu(),
            Activation::LeakyRelu(s) => x.maximum(&(x * f64::from(s))?),
            Activation::Tanh => x.tanh(),
        }
    }
}

/// Elements per piece of a parallel elementwise loop (fixed, so the split never depends on timing).
const PAR_CHUNK: usize = 16 * 1024;

/// Runs `f` over fixed-size pieces of `xs` in parallel when it is large enough.
pub(crate) fn par_chunks_mut(xs: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    if xs.len() <= PAR_CHUNK || threads() == 1 {
        for (i, c) in xs.chunks_mut(PAR_CHUNK).enumerate() {
            f(i * PAR_CHUNK, c);
        }
    } else {
        xs.par_chunks_mut(PAR_CHUNK)
            .enumerate()
            .for_each(|(i, c)| f(i * PAR_CHUNK, c));
    }
}

/// Threads candle's CPU kernels may use (`RAYON_NUM_THREADS`, else all cores).
pub(crate) fn threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| candle_core::utils::get_num_threads().max(1))
}

/// The f32 data of a CPU tensor in row-major order: borrowed when contiguous, copied otherwise.
pub(crate) fn slice_of<'a>(s: &'a CpuStorage, l: &Layout) -> Result<Cow<'a, [f32]>> {
    let data = s.as_slice::<f32>()?;
    Ok(match l.contiguous_offsets() {
        Some((a, b)) => Cow::Borrowed(&data[a..b]),
        None => Cow::Owned(gather_strided(data, l)),
    })
}

/// Copies a strided layout's elements in row-major order.
fn gather_strided(data: &[f32], l: &Layout) -> Vec<f32> {
    let dims = l.dims();
    let strides = l.stride();
    let n = l.shape().elem_count();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; dims.len()];
    for _ in 0..n {
        let off: usize = l.start_offset() + idx.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>();
        out.push(data[off]);
        for d in (0..dims.len()).rev() {
            idx[d] += 1;
            if idx[d] < dims[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Runs `f` on the row-major f32 data of a CPU tensor.
pub(crate) fn with_data<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> Result<R>) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(s) => f(&slice_of(s, layout)?),
        _ => candle_core::bail!("fused op: expected a CPU tensor"),
    }
}

/// A row-major f32 matrix, possibly read transposed.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    /// The data, row-major.
    pub data: &'a [f32],
    /// Rows and columns as stored.
    pub rows: usize,
    /// Columns as stored.
    pub cols: usize,
    /// Whether to use the transpose.
    pub t: bool,
}

impl<'a> Mat<'a> {
    /// `data` as a `rows × cols` matrix.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            t: false,
        }
    }
    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self { t: !self.t, ..self }
    }
    fn shape(&self) -> (usize, usize) {
        if self.t {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }
    /// (row stride, column stride) of the logical matrix.
    fn strides(&self) -> (isize, isize) {
        if self.t {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `dst (m×n, row-major) = a·b` (or `dst += a·b` with `accumulate`), with the `gemm` crate
/// candle itself uses, on candle's thread count. Work is split over output blocks only,
/// so the result does not depend on the number of threads.
pub(crate) fn matmul(dst: &mut [f32], a: Mat, b: Mat, accumulate: bool) -> Result<()> {
    let (m, n) = check(a, b)?;
    if dst.len() != m * n {
        candle_core::bail!("fused matmul: destination of {} for {m}×{n}", dst.len());
    }
    if a.shape().1 == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return Ok(());
    }
    // SAFETY: `dst` holds m·n elements (checked), and `check` verified the operands.
    unsafe { gemm_into(dst.as_mut_ptr(), a, b, accumulate) };
    Ok(())
}

/// `a·b` into a new row-major vector, written by the matrix product alone (no zero fill first).
pub(crate) fn matmul_new(a: Mat, b: Mat) -> Result<Vec<f32>> {
    let (m, n) = check(a, b)?;
    if a.shape().1 == 0 {
        return Ok(scratch(m * n));
    }
    let mut out: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: gemm without accumulation writes every one of the m·n destination elements
    // and reads none of them; `check` verified the operands. After it all are initialised.
    unsafe {
        gemm_into(out.as_mut_ptr(), a, b, false);
        out.set_len(m * n);
    }
    Ok(out)
}

/// Checks that `a·b` is defined and the operands hold their data; returns the result's shape.
fn check(a: Mat, b: Mat) -> Result<(usize, usize)> {
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    if k != k2 || a.data.len() != a.rows * a.cols || b.data.len() != b.rows * b.cols {
        candle_core::bail!("fused matmul: shapes do not match ({m}×{k} · {k2}×{n})");
    }
    Ok((m, n))
}

/// # Safety
/// `dst` must be valid for writes of m·n elements (and reads, with `accumulate`), the
/// operands must have passed [`check`], and the inner dimension must not be zero.
unsafe fn gemm_into(dst: *mut f32, a: Mat, b: Mat, accumulate: bool) {
    let (m, k) = a.shape();
    let (_, n) = b.shape();
    if m == 0 || n == 0 {
        return;
    }
    let par = if threads() > 1 && m * n * k >= 64 * 64 * 64 {
        gemm::Parallelism::Rayon(threads())
    } else {
        gemm::Parallelism::None
    };
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    // SAFETY: per this function's contract every index gemm derives from (m, n, k) and
    // the strides lies inside the destination and the two operands.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

/// A zeroed vector of `n` floats.
pub(crate) fn scratch(n: usize) -> Vec<f32> {
    vec![0.0; n]
}

/// `(d0, d1, inner)` → `(d1, d0, inner)`: moves whole `inner`-long runs, in parallel over `d1`.
pub(crate) fn swap01(src: &[f32], d0: usize, d1: usize, inner: usize) -> Vec<f32> {
    let mut dst = scratch(src.len());
    if inner == 0 || d0 == 0 {
        return dst;
    }
    dst.par_chunks_mut(d0 * inner).enumerate().for_each(|(j, out)| {
        for (i, run) in out.chunks_mut(inner).enumerate() {
            let s = (i * d1 + j) * inner;
            run.copy_from_slice(&src[s..s + inner]);
        }
    });
    dst
}

/// Wraps a result vector as a CPU tensor.
pub(crate) fn cpu_tensor(data: Vec<f32>, shape: impl Into<candle_core::Shape>) -> Result<Tensor> {
    Tensor::from_vec(data, shape, &candle_core::Device::Cpu)
}

/// Whether a backward pass needs the gradient for `t` (a variable, or computed from one).
pub(crate) fn wants_grad(t: &Tensor) -> bool {
    t.track_op()
}

/// Whether every tensor is on the CPU in f32 (the fused kernels' domain).
pub(crate) fn all_cpu_f32(ts: &[&Tensor]) -> bool {
    ts.iter()
        .all(|t| t.device().is_cpu() && t.dtype() == candle_core::DType::F32)
}
