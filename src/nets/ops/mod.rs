//! Fused CPU kernels for the GANs, plugged into candle through its extension
//! points (`CustomOp1/3` with a backward pass, `InplaceOp1`), one file per op family:
//! - [`linear`]: `act(x·Wᵀ + b)` in one op (matmul, bias and activation forward and backward);
//! - [`conv`]: 2-D convolution and transposed convolution as im2col / col2im plus one matrix
//!   product for the whole batch, with bias and activation fused;
//! - `tiles`: stride-1 convolutions tile by tile (patches built in cache, masked taps skipped);
//! - [`batchnorm`]: training-mode batch norm with its activation, statistics and backward in one op;
//! - [`loss`]: binary cross-entropy on logits (mean softplus) with its gradient;
//! - [`optim`]: fused in-place Adam and SGD updates (no allocation per step);
//! - [`sink`]: weight gradients handed from the layers to the optimizer beside candle's graph.
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
pub mod sink;
mod tiles;

use std::borrow::Cow;
use std::mem::MaybeUninit;

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
    /// Applies the activation in place. Every arm is branch-free so the loops vectorise.
    #[inline]
    pub fn apply(self, xs: &mut [f32]) {
        match self {
            Activation::Identity => {}
            Activation::Relu => xs.iter_mut().for_each(|x| *x = x.max(0.0)),
            Activation::LeakyRelu(s) => xs.iter_mut().for_each(|x| *x *= if *x < 0.0 { s } else { 1.0 }),
            Activation::Tanh => xs.iter_mut().for_each(|x| *x = tanh(*x)),
        }
    }

    /// `out = grad ×` the activation's derivative, read from its output `y` (valid because
    /// each activation here is monotonic: the output's sign gives the input's); writes every
    /// element of `out`.
    #[inline]
    pub fn backward_into(self, grad: &[f32], y: &[f32], out: &mut [MaybeUninit<f32>]) {
        #[inline(always)]
        fn each(out: &mut [MaybeUninit<f32>], grad: &[f32], y: &[f32], f: impl Fn(f32, f32) -> f32) {
            for ((o, &g), &y) in out.iter_mut().zip(grad).zip(y) {
                o.write(f(g, y));
            }
        }
        match self {
            Activation::Identity => each(out, grad, y, |g, _| g),
            Activation::Relu => each(out, grad, y, |g, y| if y > 0.0 { g } else { 0.0 }),
            Activation::LeakyRelu(s) => each(out, grad, y, |g, y| g * if y < 0.0 { s } else { 1.0 }),
            Activation::Tanh => each(out, grad, y, |g, y| g * (1.0 - y * y)),
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

/// tanh as a rational function (the odd/even minimax pair Eigen uses for `float`), clamped to
/// [−1, 1]: within 4e-7 (3 ulp near ±1) of `f32::tanh` everywhere (tested), and a loop of it vectorises, where
/// libm's `tanhf` is a call per element (it was 7 % of an MLP GAN step, for the generator's
/// output layer). Plain multiplies and adds, so every CPU gives the same bits.
#[inline]
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    let tiny = x.abs() < 4e-4;
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = x2 * -2.760_768_4e-16 + 2.000_188e-13;
    p = x2 * p + -8.604_672e-11;
    p = x2 * p + 5.122_297_3e-8;
    p = x2 * p + 1.485_722_4e-5;
    p = x2 * p + 6.372_619_5e-4;
    p = x2 * p + 4.893_524_6e-3;
    p *= c;
    let mut q = x2 * 1.198_258_4e-6 + 1.185_347_1e-4;
    q = x2 * q + 2.268_434_7e-3;
    q = x2 * q + 4.893_525e-3;
    let t = (p / q).clamp(-1.0, 1.0);
    if tiny { x } else { t }
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

/// The gradient with respect to an activation's input: `grad` times the activation's
/// derivative (read from its output `y`), as a new vector written in one parallel pass
/// (a copy of `grad` first was a serial `memcpy` of up to 6 MB, ≈ 2 % of a DCGAN step).
pub(crate) fn act_backward(act: Activation, grad: &Tensor, y: &Tensor) -> Result<Vec<f32>> {
    with_data(grad, |g| {
        with_data(y, |y| {
            if g.len() != y.len() {
                candle_core::bail!("activation gradient: {} values for an output of {}", g.len(), y.len());
            }
            let piece = |(i, out): (usize, &mut [MaybeUninit<f32>])| {
                let at = i * PAR_CHUNK;
                act.backward_into(&g[at..at + out.len()], &y[at..at + out.len()], out);
            };
            // SAFETY: the pieces cover the vector and `backward_into` writes every element.
            Ok(unsafe {
                written_by(g.len(), |out| {
                    if out.len() <= PAR_CHUNK || threads() == 1 {
                        out.chunks_mut(PAR_CHUNK).enumerate().for_each(piece)
                    } else {
                        out.par_chunks_mut(PAR_CHUNK).enumerate().for_each(piece)
                    }
                })
            })
        })
    })
}

/// Runs `f` on the gradient with respect to an activation's input: `grad` itself, borrowed,
/// for the identity (no copy), otherwise [`act_backward`]'s product.
pub(crate) fn with_act_grad<R>(
    act: Activation,
    grad: &Tensor,
    y: &Tensor,
    f: impl FnOnce(&[f32]) -> Result<R>,
) -> Result<R> {
    if act == Activation::Identity {
        with_data(grad, f)
    } else {
        f(&act_backward(act, grad, y)?)
    }
}

/// Sum with eight fixed lanes (vectorisable, same order every time).
pub(crate) fn lane_sum(xs: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut acc = [0.0f32; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    let mut s: f64 = acc.iter().map(|&a| f64::from(a)).sum();
    for &v in rest {
        s += f64::from(f(v));
    }
    s
}

/// Threads candle's CPU kernels may use (`RAYON_NUM_THREADS`, else all cores).
pub(crate) fn threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| candle_core::utils::get_num_threads().max(1))
}

/// The f32 data of a CPU tensor in row-major order: borrowed when contiguous, copied otherwise.
pub(crate) fn slice_of<'a>(s: &'a CpuStorage, l: &Layout) -> Result<Cow<'a, [f32]>> {
    let data = s.as_slice::<f32>()?;
    if l.shape().elem_count() == 0 {
        // An empty view may start past the end of its storage (a narrow of an empty tensor).
        return Ok(Cow::Borrowed(&[]));
    }
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
    if transposed_is_faster(a, b) {
        let t = matmul_new(b.t(), a.t())?;
        transpose_into(&t, n, m, dst, accumulate);
        return Ok(());
    }
    // SAFETY: `dst` holds m·n elements (checked), and `check` verified the operands.
    unsafe { gemm_into(dst.as_mut_ptr(), a, b, accumulate, pieces(a, b)) };
    Ok(())
}

/// `a·b` into a new row-major vector, written by the matrix product alone (no zero fill first).
pub(crate) fn matmul_new(a: Mat, b: Mat) -> Result<Vec<f32>> {
    let (m, n) = check(a, b)?;
    if a.shape().1 == 0 {
        return Ok(scratch(m * n));
    }
    if transposed_is_faster(a, b) {
        let t = matmul_new(b.t(), a.t())?;
        let mut out = scratch(m * n);
        transpose_into(&t, n, m, &mut out, false);
        return Ok(out);
    }
    let mut out: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: gemm without accumulation writes every one of the m·n destination elements
    // and reads none of them; `check` verified the operands. After it all are initialised.
    unsafe {
        gemm_into(out.as_mut_ptr(), a, b, false, pieces(a, b));
        out.set_len(m * n);
    }
    Ok(out)
}

/// Whether `a·b` is faster computed as `(bᵀ·aᵀ)ᵀ`, the product written transposed and then
/// copied back. For `A·Bᵀ` with both stored row-major and a wide result (`m < n`: a batch
/// times a layer's outputs, channels times patch elements) the `gemm` crate runs the tall
/// form 1.2–2× faster, far more than the copy costs (`bench/README.md`).
fn transposed_is_faster(a: Mat, b: Mat) -> bool {
    let (m, k) = a.shape();
    let n = b.shape().1;
    b.t && !a.t && m < n && m * n * k >= 64 * 64 * 64
}

/// Pieces a product is cut into: one per thread when it is large enough to be worth it.
fn pieces(a: Mat, b: Mat) -> usize {
    let (m, k) = a.shape();
    let n = b.shape().1;
    if threads() > 1 && m * n * k >= 64 * 64 * 64 {
        threads().min(m.max(n).div_ceil(16))
    } else {
        1
    }
}

/// `dst (cols × rows) = srcᵀ` (or `+=`) for a row-major `src (rows × cols)`, through 8×8
/// blocks held in registers; bands of eight destination rows in parallel when large.
fn transpose_into(src: &[f32], rows: usize, cols: usize, dst: &mut [f32], accumulate: bool) {
    const B: usize = 8;
    if rows == 0 || cols == 0 {
        return;
    }
    let band = |(bi, out): (usize, &mut [f32])| {
        let j0 = bi * B;
        let jn = out.len() / rows;
        let mut i0 = 0;
        while i0 + B <= rows && jn == B {
            let mut t = [[0.0f32; B]; B];
            for (di, row) in t.iter_mut().enumerate() {
                row.copy_from_slice(&src[(i0 + di) * cols + j0..][..B]);
            }
            for (dj, d) in out.chunks_exact_mut(rows).enumerate() {
                let d = &mut d[i0..i0 + B];
                if accumulate {
                    d.iter_mut().zip(&t).for_each(|(o, row)| *o += row[dj]);
                } else {
                    d.iter_mut().zip(&t).for_each(|(o, row)| *o = row[dj]);
                }
            }
            i0 += B;
        }
        // The ragged rest: the last rows, or a band narrower than eight columns.
        for i in i0..rows {
            for (dj, d) in out.chunks_exact_mut(rows).enumerate() {
                let v = src[i * cols + j0 + dj];
                d[i] = if accumulate { d[i] + v } else { v };
            }
        }
    };
    if rows * cols >= 64 * 1024 && threads() > 1 {
        dst.par_chunks_mut(B * rows).enumerate().for_each(band);
    } else {
        dst.chunks_mut(B * rows).enumerate().for_each(band);
    }
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
///
/// With `pieces > 1` the output is cut into that many blocks of columns (or of rows, when it
/// is tall), each a single-threaded product on the current rayon pool. The crate's own
/// threading splits only along rows, so a product with few rows (a batch of 64, 128
/// channels) ran on one core: up to 2.7× slower on two (`bench/README.md`).
///
/// Each output element sums over the inner dimension in the same blocks (the crate picks
/// them from the inner dimension alone) whatever the split, so the bits do not depend on
/// the number of threads.
pub(super) unsafe fn gemm_into(dst: *mut f32, a: Mat, b: Mat, accumulate: bool, pieces: usize) {
    let (m, k) = a.shape();
    let (_, n) = b.shape();
    if m == 0 || n == 0 {
        return;
    }
    let (lhs, rhs, rows, cols, dst_rs, dst_cs) = (a, b, m, n, n as isize, 1);
    let (l_rs, l_cs) = lhs.strides();
    let (r_rs, r_cs) = rhs.strides();
    let by_cols = cols >= rows;
    let len = if by_cols { cols } else { rows }.div_ceil(pieces);
    // Raw pointers as integers so the pieces can cross threads; each piece writes its own block.
    let (d, l, r) = (dst as usize, lhs.data.as_ptr() as usize, rhs.data.as_ptr() as usize);
    let piece = |p: usize| {
        let start = p * len;
        let count = len.min(if by_cols { cols } else { rows }.saturating_sub(start));
        if count == 0 {
            return;
        }
        let s = start as isize;
        let (pr, pc, d0, l0, r0) = if by_cols {
            (rows, count, s * dst_cs, 0, s * r_cs)
        } else {
            (count, cols, s * dst_rs, s * l_rs, 0)
        };
        // SAFETY: per this function's contract every index gemm derives from the block's
        // shape and the strides lies inside the destination and the two operands; blocks
        // of different pieces do not overlap.
        unsafe {
            gemm::gemm(
                pr,
                pc,
                k,
                (d as *mut f32).offset(d0),
                dst_cs,
                dst_rs,
                accumulate,
                (l as *const f32).offset(l0),
                l_cs,
                l_rs,
                (r as *const f32).offset(r0),
                r_cs,
                r_rs,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    };
    if pieces == 1 {
        piece(0);
    } else {
        (0..pieces).into_par_iter().for_each(piece);
    }
}

/// A zeroed vector of `n` floats.
pub(crate) fn scratch(n: usize) -> Vec<f32> {
    vec![0.0; n]
}

/// A new vector of `n` floats, each written by `fill`, without the zero fill of [`scratch`]:
/// the allocator hands back reused memory that `vec![0.0; n]` must clear, and those clears
/// were 8 % of a DCGAN step's CPU time for buffers that were overwritten anyway.
///
/// # Safety
/// `fill` must write every element of the slice it is given.
pub(crate) unsafe fn written_by(n: usize, fill: impl FnOnce(&mut [MaybeUninit<f32>])) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(n);
    fill(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: by the caller's contract all n elements are initialised now.
    unsafe { v.set_len(n) };
    v
}

/// The floats of a slice every element of which has been written.
///
/// # Safety
/// Every element of `xs` must be initialised.
pub(crate) unsafe fn assume_written(xs: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: MaybeUninit<f32> has the layout of f32, and the caller guarantees initialisation.
    unsafe { &mut *(xs as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// `(d0, d1, inner)` → `(d1, d0, inner)`: moves whole `inner`-long runs, in parallel over `d1`.
pub(crate) fn swap01(src: &[f32], d0: usize, d1: usize, inner: usize) -> Vec<f32> {
    swap01_parts(&[(src, d1)], d0, inner)
}

/// [`swap01`] of an activation's input gradient: `grad ×` the derivative of `act` at its
/// output `y` (both `(d0, d1, inner)`), written straight into `(d1, d0, inner)`. One pass, where
/// the product and then the swap wrote and read a buffer of the same size in between.
pub(crate) fn swap01_act(
    grad: &[f32],
    y: &[f32],
    act: Activation,
    d0: usize,
    d1: usize,
    inner: usize,
) -> Result<Vec<f32>> {
    let n = d0 * d1 * inner;
    if grad.len() != n || y.len() != n {
        candle_core::bail!(
            "activation gradient: {} and {} values for {d0}×{d1}×{inner}",
            grad.len(),
            y.len()
        );
    }
    if act == Activation::Identity {
        // The gradient as it is: no need to read the output.
        return Ok(swap01(grad, d0, d1, inner));
    }
    if n == 0 {
        return Ok(scratch(0));
    }
    // SAFETY: the d1 chunks of d0·inner cover all n elements, and `backward_into` writes each
    // chunk's d0 runs whole.
    Ok(unsafe {
        written_by(n, |dst| {
            dst.par_chunks_mut(d0 * inner).enumerate().for_each(|(j, out)| {
                for (i, run) in out.chunks_mut(inner).enumerate() {
                    let s = (i * d1 + j) * inner;
                    act.backward_into(&grad[s..s + inner], &y[s..s + inner], run);
                }
            })
        })
    })
}

/// [`swap01`] of the concatenation of `parts` along their axis 1 (`(d0, d1ᵢ, inner)` each,
/// `(slice, d1ᵢ)`), without it: `(Σ d1ᵢ, d0, inner)`, part after part.
pub(crate) fn swap01_parts(parts: &[(&[f32], usize)], d0: usize, inner: usize) -> Vec<f32> {
    let d1: usize = parts.iter().map(|p| p.1).sum();
    let n = d0 * d1 * inner;
    debug_assert!(parts.iter().all(|&(src, c)| src.len() == d0 * c * inner));
    if inner == 0 || d0 == 0 {
        return scratch(n);
    }
    // Row j of the result: its part's data, the part's d1 and the row's index in the part.
    let rows: Vec<(&[f32], usize, usize)> = parts
        .iter()
        .flat_map(|&(src, c)| (0..c).map(move |j| (src, c, j)))
        .collect();
    // SAFETY: the d1 chunks of d0·inner cover all d0·d1·inner elements, one per entry of
    // `rows` (d1 of them), and each chunk's d0 runs are all written.
    unsafe {
        written_by(n, |dst| {
            dst.par_chunks_mut(d0 * inner)
                .zip(rows.par_iter())
                .for_each(|(out, &(src, c, j))| {
                    for (i, run) in out.chunks_mut(inner).enumerate() {
                        let s = (i * c + j) * inner;
                        run.write_copy_of_slice(&src[s..s + inner]);
                    }
                })
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A naive `a·b` in f64.
    fn naive(a: Mat, b: Mat) -> Vec<f64> {
        let (m, k) = a.shape();
        let n = b.shape().1;
        let at = |x: Mat, i: usize, j: usize| {
            let (rs, cs) = x.strides();
            f64::from(x.data[i * rs as usize + j * cs as usize])
        };
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|l| at(a, i, l) * at(b, l, j)).sum();
            }
        }
        out
    }

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 16) as f32 / 65_536.0 - 0.5)
            .collect()
    }

    #[test]
    fn matmul_matches_a_naive_product_in_every_layout_and_route() {
        // (m, n, k): wide and tall, above and below the size where threads and the
        // transposed route start, and sizes that are not multiples of the kernel's tiles.
        for (m, n, k) in [(64, 300, 70), (37, 50, 29), (130, 70, 65), (1, 256, 128), (64, 784, 33)] {
            for (at, bt) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ad, bd) = (data(m * k, 1), data(k * n, 2));
                let a = if at {
                    Mat::new(&ad, k, m).t()
                } else {
                    Mat::new(&ad, m, k)
                };
                let b = if bt {
                    Mat::new(&bd, n, k).t()
                } else {
                    Mat::new(&bd, k, n)
                };
                let want = naive(a, b);
                let got = matmul_new(a, b).unwrap();
                let mut acc = vec![1.0f32; m * n];
                matmul(&mut acc, a, b, true).unwrap();
                for i in 0..m * n {
                    let what = format!("{m}×{n}×{k} at={at} bt={bt} [{i}]");
                    assert!(
                        (f64::from(got[i]) - want[i]).abs() < 1e-4,
                        "{what}: {} vs {}",
                        got[i],
                        want[i]
                    );
                    assert!((f64::from(acc[i]) - 1.0 - want[i]).abs() < 1e-4, "{what} (accumulated)");
                }
            }
        }
    }

    #[test]
    fn a_product_cut_into_pieces_gives_the_same_bits_as_one_piece() {
        for (m, n, k) in [(64, 784, 1024), (512, 96, 200), (128, 1024, 300)] {
            let (ad, bd) = (data(m * k, 3), data(k * n, 4));
            let (a, b) = (Mat::new(&ad, m, k), Mat::new(&bd, k, n));
            let run = |pieces: usize| {
                let mut out = vec![0.0f32; m * n];
                check(a, b).unwrap();
                // SAFETY: `out` holds m·n elements and the operands fit (`check`).
                unsafe { gemm_into(out.as_mut_ptr(), a, b, false, pieces) };
                out
            };
            let one = run(1);
            for pieces in [2, 3, 8] {
                let cut = run(pieces);
                assert!(
                    one.iter().zip(&cut).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{m}×{n}×{k} in {pieces} pieces differs from one piece"
                );
            }
        }
    }

    #[test]
    fn the_rational_tanh_stays_within_4e_7_of_libm_and_inside_the_unit_interval() {
        let mut worst = 0.0f32;
        let mut x = -12.0f32;
        while x <= 12.0 {
            let (got, want) = (tanh(x), x.tanh());
            assert!(got.abs() <= 1.0, "tanh({x}) = {got}");
            worst = worst.max((got - want).abs());
            x += 1.0 / 4096.0;
        }
        for x in [
            0.0,
            -0.0,
            1e-30,
            3e-4,
            5e-4,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ] {
            assert!((tanh(x) - x.tanh()).abs() <= 4e-7, "tanh({x}) = {}", tanh(x));
        }
        assert!(worst <= 4e-7, "max |tanh − libm tanh| = {worst}");
        assert!(tanh(f32::NAN).is_nan());
    }
}
