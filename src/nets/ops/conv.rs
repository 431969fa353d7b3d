//! 2-D convolution and transposed convolution (square kernels, NCHW) as
//! im2col / col2im plus one matrix product for the whole batch, with the bias and
//! the following activation fused in.
//!
//! The im2col matrix is channel-major: one row per patch element `(c, ky, kx)`, one
//! column per output position of every sample (`C·k·k × B·Ho·Wo`), so that a whole
//! batch is one matrix product and the copies in and out of NCHW move whole planes.
//! A convolution is `Y = W · im2col(x)` (`O × C·k·k` times `C·k·k × B·Ho·Wo`); a transposed
//! convolution is its adjoint, `y = col2im(Wᵀ · x)`. Backward passes reuse the same two
//! pieces: the convolution's input gradient is a col2im, the transposed convolution's an
//! im2col, and each weight gradient is one matrix product over the whole batch. candle's
//! CPU transposed convolution (a direct loop) was most of a DCGAN step's time.
//!
//! im2col runs in parallel over rows, col2im over samples (each writes only its own
//! part, and every pixel sums its contributions in a fixed order); sums over the batch
//! (bias gradients) run per channel in a fixed order.

use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::batchnorm::BnEpilogue;
use super::tiles;
use super::{
    Activation, Mat, all_cpu_f32, assume_written, cpu_tensor, lane_sum, matmul_new, scratch, slice_of, swap01,
    swap01_act, swap01_parts, wants_grad, with_act_grad, with_data, written_by,
};

/// How a kernel of side `k` walks an image of `c × h × w` with `stride` and `padding`,
/// giving a grid of `oh × ow` positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Channels of the image.
    pub c: usize,
    /// Image height.
    pub h: usize,
    /// Image width.
    pub w: usize,
    /// Kernel side.
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on each side.
    pub padding: usize,
    /// Grid height.
    pub oh: usize,
    /// Grid width.
    pub ow: usize,
}

impl Geometry {
    /// Positions in the grid.
    pub fn positions(&self) -> usize {
        self.oh * self.ow
    }
    /// Length of one im2col row: `c·k·k`.
    pub fn patch(&self) -> usize {
        self.c * self.k * self.k
    }
    /// Pixels of the image, all channels.
    pub fn image(&self) -> usize {
        self.c * self.h * self.w
    }

    /// The DCGAN geometry: a 4×4 kernel with stride 2 and padding 1 on an even-sided image
    /// (each side halves). Its im2col and col2im have fast paths.
    fn is_k4s2p1(&self) -> bool {
        self.k == 4 && self.stride == 2 && self.padding == 1 && self.h == 2 * self.oh && self.w == 2 * self.ow
    }

    /// For kernel column `kx`, the grid columns `lo..hi` whose input column lies inside the image.
    #[inline]
    pub(super) fn x_range(&self, kx: usize) -> (usize, usize) {
        let (s, p) = (self.stride, self.padding);
        // ix = ox·s + kx − p must satisfy 0 ≤ ix < w.
        let lo = if kx >= p { 0 } else { (p - kx).div_ceil(s) };
        let hi = if self.w + p > kx {
            ((self.w + p - kx - 1) / s + 1).min(self.ow)
        } else {
            0
        };
        (lo.min(hi), hi)
    }

    /// The input row for grid row `oy` and kernel row `ky`, if inside the image.
    #[inline]
    pub(super) fn y_at(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.stride + ky)
            .checked_sub(self.padding)
            .filter(|&iy| iy < self.h)
    }
}

/// How a 4-D activation is laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Planes {
    /// `(B, C, H, W)`: each sample's planes together; candle's layout, what every other op reads.
    #[default]
    Nchw,
    /// `(C, B, H, W)`, a tensor of that shape: each channel's planes together. It is the layout
    /// the convolutions' matrix products make and take (`C × B·H·W`), so an activation passed
    /// in it from one fused convolution to the next is not rearranged on the way, forward or
    /// backward.
    ChannelMajor,
}

impl Planes {
    /// Where plane (sample `b`, channel `ci`) lies among the `batch × c` planes, in planes.
    #[inline]
    fn index(self, b: usize, ci: usize, batch: usize, c: usize) -> usize {
        match self {
            Planes::Nchw => b * c + ci,
            Planes::ChannelMajor => ci * batch + b,
        }
    }

    /// `(batch, channels, height, width)` of a tensor of `dims` in this layout.
    fn nchw(self, (d0, d1, h, w): Nchw) -> Nchw {
        match self {
            Planes::Nchw => (d0, d1, h, w),
            Planes::ChannelMajor => (d1, d0, h, w),
        }
    }

    /// The shape of a tensor of `(batch, channels, height, width)` in this layout.
    fn shape(self, (b, c, h, w): Nchw) -> Shape {
        match self {
            Planes::Nchw => Shape::from((b, c, h, w)),
            Planes::ChannelMajor => Shape::from((c, b, h, w)),
        }
    }
}

/// The layouts of a fused convolution's input and output (both NCHW by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Io {
    /// The input's layout.
    pub input: Planes,
    /// The output's layout.
    pub output: Planes,
}

impl Io {
    /// NCHW in, channel-major out: the first of two convolutions that pass their activation on.
    pub const TO_CHANNEL_MAJOR: Io = Io {
        input: Planes::Nchw,
        output: Planes::ChannelMajor,
    };
    /// Channel-major in, NCHW out: the second.
    pub const FROM_CHANNEL_MAJOR: Io = Io {
        input: Planes::ChannelMajor,
        output: Planes::Nchw,
    };
    /// Channel-major in and out.
    pub const CHANNEL_MAJOR: Io = Io {
        input: Planes::ChannelMajor,
        output: Planes::ChannelMajor,
    };
}

/// Samples `start..` of a batch of `batch` images of `c` planes of `hw` pixels, laid out as `order`.
#[derive(Clone, Copy)]
struct Images<'a> {
    x: &'a [f32],
    order: Planes,
    batch: usize,
    start: usize,
    c: usize,
    hw: usize,
}

impl<'a> Images<'a> {
    /// The whole batch of images of geometry `g`.
    fn all(x: &'a [f32], order: Planes, batch: usize, g: Geometry) -> Self {
        Self {
            x,
            order,
            batch,
            start: 0,
            c: g.c,
            hw: g.h * g.w,
        }
    }

    /// The same batch from sample `start` on.
    fn from(self, start: usize) -> Self {
        Self { start, ..self }
    }

    /// Plane (sample `start + b`, channel `ci`).
    #[inline]
    fn plane(&self, b: usize, ci: usize) -> &'a [f32] {
        let i = self.order.index(self.start + b, ci, self.batch, self.c);
        &self.x[i * self.hw..][..self.hw]
    }
}

/// im2col of `batch` samples of `x` (from its `start`) into `c·k·k × batch·positions`, rows in parallel.
fn im2col_batch(g: Geometry, x: Images, batch: usize) -> Vec<f32> {
    if g.is_k4s2p1() {
        return im2col_k4s2p1(g, x, batch);
    }
    let (np, k, s) = (g.positions(), g.k, g.stride);
    let bp = batch * np;
    let mut cols = scratch(g.patch() * bp);
    if bp == 0 {
        return cols;
    }
    cols.par_chunks_mut(bp).enumerate().for_each(|(r, row)| {
        let (ci, ky, kx) = (r / (k * k), (r / k) % k, r % k);
        let (lo, hi) = g.x_range(kx);
        for b in 0..batch {
            let plane = x.plane(b, ci);
            for oy in 0..g.oh {
                let dst = &mut row[b * np + oy * g.ow..][..g.ow];
                let Some(iy) = g.y_at(oy, ky) else {
                    continue; // already zero
                };
                if lo < hi {
                    // ix = ox·s + kx − p for ox in lo..hi, all inside the row.
                    let src = &plane[iy * g.w + lo * s + kx - g.padding..][..(hi - lo - 1) * s + 1];
                    if s == 1 {
                        // A plain copy (memcpy): `step_by` kept the loop scalar, a tenth of
                        // pix2pix's step in its 3×3 layers.
                        dst[lo..hi].copy_from_slice(src);
                    } else {
                        for (d, &v) in dst[lo..hi].iter_mut().zip(src.iter().step_by(s)) {
                            *d = v;
                        }
                    }
                }
            }
        }
    });
    cols
}

/// [`im2col_batch`] for the 4×4 / stride 2 / padding 1 geometry: the four kernel columns
/// of one kernel row read the same input row, so they are filled together, from its even
/// and odd pixels (`ix = 2·ox + kx − 1`), without strided loops. Groups of four rows in parallel.
fn im2col_k4s2p1(g: Geometry, x: Images, batch: usize) -> Vec<f32> {
    let (np, ow, w) = (g.positions(), g.ow, g.w);
    let bp = batch * np;
    if bp == 0 || ow == 0 {
        return scratch(g.patch() * bp);
    }
    let zero = MaybeUninit::new(0.0f32);
    let group = |(group, rows): (usize, &mut [MaybeUninit<f32>])| {
        let (ci, ky) = (group / 4, group % 4);
        let (r0, rest) = rows.split_at_mut(bp);
        let (r1, rest) = rest.split_at_mut(bp);
        let (r2, r3) = rest.split_at_mut(bp);
        for b in 0..batch {
            let plane = x.plane(b, ci);
            for oy in 0..g.oh {
                let o = b * np + oy * ow;
                let (d0, d1) = (&mut r0[o..o + ow], &mut r1[o..o + ow]);
                let (d2, d3) = (&mut r2[o..o + ow], &mut r3[o..o + ow]);
                let Some(iy) = g.y_at(oy, ky) else {
                    for d in [d0, d1, d2, d3] {
                        d.fill(zero);
                    }
                    continue;
                };
                let src = &plane[iy * w..][..w];
                // The grids of the project's layers, with their lengths known to the compiler
                // (it unrolls and vectorises them; a loop of 7 or 14 stayed scalar).
                match ow {
                    14 => spread_row_of::<14>(src, [d0, d1, d2, d3]),
                    7 => spread_row_of::<7>(src, [d0, d1, d2, d3]),
                    _ => spread_row(src, [d0, d1, d2, d3]),
                }
            }
        }
    };
    // SAFETY: the groups of 4·bp cover all patch·bp elements (patch = 16·c), and within a
    // group every (sample, grid row) segment of each of the four rows is written: zeros
    // when the kernel row falls outside the image, otherwise all `ow` elements of each.
    unsafe {
        written_by(g.patch() * bp, |cols| {
            cols.par_chunks_mut(4 * bp).enumerate().for_each(group)
        })
    }
}

/// One input row `src` (`2·ow` pixels) into the four kernel columns' grid rows of
/// [`im2col_k4s2p1`]: `d[kx][j] = src[2j + kx − 1]`, zero outside the row.
#[inline(always)]
fn spread_row(src: &[f32], [d0, d1, d2, d3]: [&mut [MaybeUninit<f32>]; 4]) {
    let ow = d1.len();
    for j in 0..ow {
        d1[j].write(src[2 * j]);
        d2[j].write(src[2 * j + 1]);
    }
    d0[0].write(0.0);
    d3[ow - 1].write(0.0);
    for j in 1..ow {
        d0[j].write(src[2 * j - 1]);
        d3[j - 1].write(src[2 * j]);
    }
}

/// [`spread_row`] on rows cut to `OW` (the caller's `ow`): with the length a constant, the
/// compiler unrolls and vectorises the loops.
#[inline(always)]
fn spread_row_of<const OW: usize>(src: &[f32], [d0, d1, d2, d3]: [&mut [MaybeUninit<f32>]; 4]) {
    spread_row(
        &src[..2 * OW],
        [&mut d0[..OW], &mut d1[..OW], &mut d2[..OW], &mut d3[..OW]],
    );
}

/// Adds one output row's four kernel columns of [`col2im_k4s2p1`] (grid rows `a[kx]`, `ow`
/// long) onto `out` (`2·ow` pixels): even pixels from `kx` = 1 and 3, odd ones from 2 and 0.
#[inline(always)]
fn gather_row(out: &mut [f32], [a0, a1, a2, a3]: [&[f32]; 4]) {
    let (ow, w) = (a1.len(), out.len());
    out[0] += a1[0];
    out[w - 1] += a2[ow - 1];
    for j in 1..ow {
        out[2 * j] += a1[j] + a3[j - 1];
        out[2 * j - 1] += a2[j - 1] + a0[j];
    }
}

/// [`gather_row`] on rows cut to `OW`, as [`spread_row_of`].
#[inline(always)]
fn gather_row_of<const OW: usize>(out: &mut [f32], [a0, a1, a2, a3]: [&[f32]; 4]) {
    gather_row(&mut out[..2 * OW], [&a0[..OW], &a1[..OW], &a2[..OW], &a3[..OW]]);
}

/// [`col2im_batch`] for the 4×4 / stride 2 / padding 1 geometry: each output row takes the
/// four kernel columns of one kernel row at once (even pixels from `kx` = 1 and 3, odd ones
/// from 2 and 0), in a fixed order. Channels or samples in parallel; the planes laid out as `order`.
fn col2im_k4s2p1(g: Geometry, cols: &[f32], batch: usize, order: Planes) -> Vec<f32> {
    let (np, ow, w) = (g.positions(), g.ow, g.w);
    let bp = batch * np;
    if g.image() == 0 || ow == 0 {
        return scratch(batch * g.image());
    }
    // Output row iy = 2·oy + ky − 1 takes kernel rows (ky, oy) = (1, t), (3, t − 1) when
    // iy = 2t, and (0, t + 1), (2, t) when iy = 2t + 1: the lower ky first, each adding its
    // four kernel columns (even pixels from kx = 1 and 3, odd ones from 2 and 0).
    let hw = g.h * w;
    // One output plane: sample b, channel ci, from the channel's 16 kernel rows.
    let plane_of = |plane: &mut [MaybeUninit<f32>], rows: &[&[f32]; 16], b: usize| {
        for (iy, out) in plane.chunks_mut(w).enumerate() {
            let (t, odd) = (iy / 2, iy % 2 == 1);
            let pairs = if odd {
                [(0, t + 1), (2, t)]
            } else {
                [(1, t), (3, t.wrapping_sub(1))]
            };
            out.fill(MaybeUninit::new(0.0));
            // SAFETY: just filled.
            let out = unsafe { assume_written(out) };
            for (ky, oy) in pairs {
                if oy >= g.oh {
                    continue;
                }
                let o = b * np + oy * ow;
                let row = |kx: usize| &rows[ky * 4 + kx][o..o + ow];
                let (a0, a1, a2, a3) = (row(0), row(1), row(2), row(3));
                // As in im2col: the usual grid lengths known to the compiler.
                match ow {
                    14 => gather_row_of::<14>(out, [a0, a1, a2, a3]),
                    7 => gather_row_of::<7>(out, [a0, a1, a2, a3]),
                    _ => gather_row(out, [a0, a1, a2, a3]),
                }
            }
        }
    };
    let rows_of = |ci: usize| -> [&[f32]; 16] { std::array::from_fn(|r| &cols[(ci * 16 + r) * bp..][..bp]) };
    let at = |b: usize, ci: usize| order.index(b, ci, batch, g.c);
    let fill = |img: &mut [MaybeUninit<f32>]| {
        let planes = PlanesMut(img.as_mut_ptr(), img.len());
        if g.c >= 4 * super::threads() {
            // Channels in parallel: each reads its 16 kernel rows front to back as the samples
            // advance (measured ≈ 3 % of a DCGAN step faster than samples in parallel).
            (0..g.c).into_par_iter().for_each(|ci| {
                let rows = rows_of(ci);
                for b in 0..batch {
                    // SAFETY: plane (b, ci) lies inside the image and only this channel writes it.
                    plane_of(unsafe { planes.plane(at(b, ci), hw) }, &rows, b);
                }
            })
        } else {
            // Few channels (an image's one): samples in parallel.
            (0..batch).into_par_iter().for_each(|b| {
                for ci in 0..g.c {
                    // SAFETY: plane (b, ci) lies inside the image and only this sample writes it.
                    plane_of(unsafe { planes.plane(at(b, ci), hw) }, &rows_of(ci), b);
                }
            })
        }
    };
    // SAFETY: the channels (or samples) together write every plane of every sample, each row
    // filled first.
    unsafe { written_by(batch * g.image(), fill) }
}

/// The image being written by [`col2im_k4s2p1`], shared by the threads that each own
/// some channels' (or samples') planes.
struct PlanesMut(*mut MaybeUninit<f32>, usize);

// SAFETY: the threads write disjoint planes (see `plane`).
unsafe impl Sync for PlanesMut {}

impl PlanesMut {
    /// Plane `i` of `len` floats.
    ///
    /// # Safety
    /// The plane must lie inside the buffer, and no other thread may touch it meanwhile.
    #[allow(clippy::mut_from_ref)]
    unsafe fn plane(&self, i: usize, len: usize) -> &mut [MaybeUninit<f32>] {
        debug_assert!((i + 1) * len <= self.1);
        // SAFETY: per the contract, in bounds and exclusively this caller's.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(i * len), len) }
    }
}

/// The adjoint of [`im2col_batch`]: `c·k·k × B·positions` back onto `batch` images laid out
/// as `order`, adding overlapping contributions in a fixed order; samples in parallel.
fn col2im_batch(g: Geometry, cols: &[f32], batch: usize, order: Planes) -> Vec<f32> {
    if g.is_k4s2p1() {
        return col2im_k4s2p1(g, cols, batch, order);
    }
    let img = col2im_nchw(g, cols, batch);
    match order {
        Planes::Nchw => img,
        Planes::ChannelMajor => swap01(&img, batch, g.c, g.h * g.w),
    }
}

/// [`col2im_batch`] into NCHW, for any geometry.
fn col2im_nchw(g: Geometry, cols: &[f32], batch: usize) -> Vec<f32> {
    let (np, k, s) = (g.positions(), g.k, g.stride);
    let bp = batch * np;
    let mut img = scratch(batch * g.image());
    if g.image() == 0 {
        return img;
    }
    img.par_chunks_mut(g.image()).enumerate().for_each(|(b, sample)| {
        for r in 0..g.patch() {
            let (ci, ky, kx) = (r / (k * k), (r / k) % k, r % k);
            let (lo, hi) = g.x_range(kx);
            let row = &cols[r * bp + b * np..][..np];
            let plane = &mut sample[ci * g.h * g.w..][..g.h * g.w];
            for oy in 0..g.oh {
                let Some(iy) = g.y_at(oy, ky) else {
                    continue;
                };
                if lo < hi {
                    let src = &row[oy * g.ow + lo..oy * g.ow + hi];
                    let dst = &mut plane[iy * g.w + lo * s + kx - g.padding..][..(hi - lo - 1) * s + 1];
                    if s == 1 {
                        // Contiguous: the same sums in the same order, vectorised.
                        for (d, &v) in dst.iter_mut().zip(src) {
                            *d += v;
                        }
                    } else {
                        for (d, &v) in dst.iter_mut().step_by(s).zip(src) {
                            *d += v;
                        }
                    }
                }
            }
        }
    });
    img
}

/// Σ over samples and positions of a gradient laid out as `order`, per channel (fixed order,
/// the same for both layouts; eight lanes per plane, so the loop vectorises instead of waiting
/// on one running sum).
fn channel_sums(gy: &[f32], batch: usize, c: usize, p: usize, order: Planes) -> Vec<f32> {
    (0..c)
        .into_par_iter()
        .map(|ch| {
            let s: f64 = (0..batch)
                .map(|b| lane_sum(&gy[order.index(b, ch, batch, c) * p..][..p], |v| v))
                .sum();
            s as f32
        })
        .collect()
}

/// `(O, B·P)` → NCHW `(B, O, P)` with the bias added and the activation applied, per sample in parallel.
fn to_nchw_bias_act(src: &[f32], batch: usize, bias: &[f32], p: usize, act: Activation) -> Vec<f32> {
    let o = bias.len();
    if o * p == 0 {
        return scratch(batch * o * p);
    }
    let sample = |(b, sample): (usize, &mut [MaybeUninit<f32>])| {
        for (ch, plane) in sample.chunks_mut(p).enumerate() {
            let s = &src[(ch * batch + b) * p..][..p];
            let bias = bias[ch];
            plane.iter_mut().zip(s).for_each(|(d, &v)| {
                d.write(v + bias);
            });
            // SAFETY: every element of the plane was just written.
            act.apply(unsafe { assume_written(plane) });
        }
    };
    // SAFETY: the samples' chunks of o·p cover the output and each plane is written whole.
    unsafe { written_by(batch * o * p, |y| y.par_chunks_mut(o * p).enumerate().for_each(sample)) }
}

/// Adds the per-channel bias to channel-major rows (`C × n`) and applies the activation,
/// rows in parallel.
fn bias_act_rows(y: &mut [f32], bias: &[f32], act: Activation) {
    let n = y.len() / bias.len().max(1);
    if n == 0 {
        return;
    }
    y.par_chunks_mut(n).zip(bias.par_iter()).for_each(|(row, &b)| {
        row.iter_mut().for_each(|v| *v += b);
        act.apply(row);
    });
}

/// Copies the channel-major rows of samples `start..start + n` (`rows × n·np`) into their columns
/// of the whole batch's rows (`rows × row_len`).
fn put_columns(dst: &mut [f32], src: &[f32], rows: usize, (start, n): (usize, usize), row_len: usize, np: usize) {
    let len = n * np;
    for r in 0..rows {
        dst[r * row_len + start * np..][..len].copy_from_slice(&src[r * len..][..len]);
    }
}

/// Samples `start..start + n` of channel-major rows (`rows × row_len`, `np` per sample) of an
/// activation's output gradient `grad`, times the activation's derivative at its output `y`:
/// the gradient before the activation, `rows × n·np`, rows in parallel.
#[allow(clippy::too_many_arguments)]
fn act_grad_columns(
    grad: &[f32],
    y: &[f32],
    act: Activation,
    rows: usize,
    row_len: usize,
    np: usize,
    (start, n): (usize, usize),
) -> Result<Vec<f32>> {
    if grad.len() != rows * row_len || y.len() != rows * row_len || (start + n) * np > row_len {
        candle_core::bail!(
            "activation gradient: {} and {} values for {rows} rows of {row_len}",
            grad.len(),
            y.len()
        );
    }
    let len = n * np;
    if len == 0 {
        return Ok(scratch(rows * len));
    }
    // SAFETY: the rows' chunks of `len` cover the result, and `backward_into` writes each whole.
    Ok(unsafe {
        written_by(rows * len, |out| {
            out.par_chunks_mut(len).enumerate().for_each(|(r, out)| {
                let s = r * row_len + start * np;
                act.backward_into(&grad[s..s + len], &y[s..s + len], out);
            })
        })
    })
}

/// Adds the per-channel bias to NCHW data and applies the activation, per sample in parallel.
fn bias_act(y: &mut [f32], bias: &[f32], p: usize, act: Activation) {
    let c = bias.len();
    if c * p == 0 {
        return;
    }
    y.par_chunks_mut(c * p).for_each(|sample| {
        for (plane, &b) in sample.chunks_mut(p).zip(bias) {
            plane.iter_mut().for_each(|v| *v += b);
            act.apply(plane);
        }
    });
}

/// `(batch, channels, height, width)` of an image tensor.
type Nchw = (usize, usize, usize, usize);

/// Checks the square kernel and returns the input's `(batch, c, h, w)` (laid out as `input`),
/// the output channels and the kernel side.
fn dims(l1: &Layout, l2: &Layout, transposed: bool, input: Planes) -> Result<(Nchw, usize, usize)> {
    let (b, c, h, w) = input.nchw(l1.shape().dims4()?);
    let (w0, w1, kh, kw) = l2.shape().dims4()?;
    let (cin, cout) = if transposed { (w0, w1) } else { (w1, w0) };
    if cin != c || kh != kw {
        candle_core::bail!(
            "conv: input {:?} and kernel {:?} do not fit (square kernels only)",
            l1.shape(),
            l2.shape()
        );
    }
    Ok(((b, c, h, w), cout, kh))
}

/// Convolution with bias and activation: `act(conv2d(x, W) + b)`, `x (B, C, H, W)`, `W (O, C, k, k)`.
pub fn conv2d_act(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
) -> Result<Tensor> {
    conv2d_act_io(x, w, b, stride, padding, act, Io::default())
}

/// [`conv2d_act`] with its input and output laid out as `io` says: a channel-major input is
/// `(C, B, H, W)`, a channel-major output `(O, B, H', W')`. Only strided convolutions (stride
/// over 1) take channel-major layouts; stride-1 ones run in tiles, on NCHW, and refuse them.
pub fn conv2d_act_io(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
    io: Io,
) -> Result<Tensor> {
    if all_cpu_f32(&[x, w, b]) {
        let keep = wants_grad(w);
        x.apply_op3(w, b, Conv2dAct::new(stride, padding, act, keep).with_io(io))
    } else {
        io_reference(x, io, |x| conv2d_reference(x, w, b, stride, padding, act))
    }
}

/// `f` on NCHW tensors for inputs and outputs laid out as `io` (candle's transposes).
fn io_reference(x: &Tensor, io: Io, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let y = match io.input {
        Planes::Nchw => f(x)?,
        Planes::ChannelMajor => f(&x.transpose(0, 1)?)?,
    };
    match io.output {
        Planes::Nchw => Ok(y),
        Planes::ChannelMajor => y.transpose(0, 1)?.contiguous(),
    }
}

/// A stride-1 convolution keeping only some taps of its kernel (`taps`: `ky·k + kx`,
/// ascending), the others' weights taken as zero: `act(conv2d(x, W ⊙ M) + b)` for the mask `M`
/// of the kept taps, with padding `padding < k`. PixelCNN's masked layers; on the CPU the cut
/// taps cost nothing.
pub fn conv2d_taps_act(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    padding: usize,
    taps: &[usize],
    act: Activation,
) -> Result<Tensor> {
    if all_cpu_f32(&[x, w, b]) {
        x.apply_op3(w, b, Conv2dAct::new(1, padding, act, false).with_taps(taps.to_vec()))
    } else {
        conv2d_taps_reference(x, w, b, padding, taps, act)
    }
}

/// The same with candle's ops: the kernel multiplied by the mask, then [`conv2d_reference`].
pub fn conv2d_taps_reference(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    padding: usize,
    taps: &[usize],
    act: Activation,
) -> Result<Tensor> {
    let k = w.dim(3)?;
    let mut m = vec![0f32; k * k];
    for &t in taps {
        if let Some(v) = m.get_mut(t) {
            *v = 1.0;
        }
    }
    let mask = Tensor::from_vec(m, (1, 1, k, k), w.device())?.to_dtype(w.dtype())?;
    conv2d_reference(x, &w.broadcast_mul(&mask)?, b, 1, padding, act)
}

/// [`conv2d_act`] with training-mode batch norm and its activation after the bias, in the
/// same op (CPU, f32 only; see [`BnEpilogue`]).
pub fn conv2d_bn_act(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    bn: BnEpilogue,
) -> Result<Tensor> {
    if !all_cpu_f32(&[x, w, b]) {
        candle_core::bail!("conv2d with batch norm: CPU f32 tensors only");
    }
    let op = Conv2dAct::new(stride, padding, Activation::Identity, wants_grad(w)).with_bn(bn);
    x.apply_op3(w, b, op)
}

/// The same with candle's ops (the reference the tests compare against).
pub fn conv2d_reference(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
) -> Result<Tensor> {
    let y = x.conv2d(w, padding, stride, 1, 1)?;
    act.candle(&y.broadcast_add(&b.reshape((1, (), 1, 1))?)?)
}

/// Transposed convolution with bias and activation, `x (B, Cin, H, W)`, `W (Cin, Cout, k, k)`,
/// output side `(H − 1)·stride − 2·padding + k`.
pub fn conv_transpose2d_act(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
) -> Result<Tensor> {
    conv_transpose2d_act_io(x, w, b, stride, padding, act, Io::default())
}

/// [`conv_transpose2d_act`] with its input and output laid out as `io` says (see [`conv2d_act_io`]).
pub fn conv_transpose2d_act_io(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
    io: Io,
) -> Result<Tensor> {
    if all_cpu_f32(&[x, w, b]) {
        x.apply_op3(w, b, ConvTranspose2dAct::new(stride, padding, act).with_io(io))
    } else {
        io_reference(x, io, |x| conv_transpose2d_reference(x, w, b, stride, padding, act))
    }
}

/// [`conv_transpose2d_act`] with training-mode batch norm and its activation after the bias,
/// in the same op (CPU, f32 only; see [`BnEpilogue`]).
pub fn conv_transpose2d_bn_act(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    bn: BnEpilogue,
) -> Result<Tensor> {
    if !all_cpu_f32(&[x, w, b]) {
        candle_core::bail!("transposed conv2d with batch norm: CPU f32 tensors only");
    }
    x.apply_op3(
        w,
        b,
        ConvTranspose2dAct::new(stride, padding, Activation::Identity).with_bn(bn),
    )
}

/// The same with candle's ops (the reference the tests compare against).
pub fn conv_transpose2d_reference(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
) -> Result<Tensor> {
    let y = x.conv_transpose2d(w, padding, 0, stride, 1)?;
    act.candle(&y.broadcast_add(&b.reshape((1, (), 1, 1))?)?)
}

/// A kernel `(rows, k, k)` (rows = outputs × inputs) with only the kept taps' columns:
/// `rows × taps`, borrowed when every tap is kept.
fn kept_columns<'a>(w: &'a [f32], rows: usize, k: usize, taps: &[usize]) -> std::borrow::Cow<'a, [f32]> {
    if taps.len() == k * k {
        return std::borrow::Cow::Borrowed(w);
    }
    let mut out = Vec::with_capacity(rows * taps.len());
    for row in w.chunks_exact(k * k).take(rows) {
        out.extend(taps.iter().map(|&t| row[t]));
    }
    std::borrow::Cow::Owned(out)
}

/// The inverse of [`kept_columns`]: `rows × taps` back to `(rows, k, k)`, zeros at the cut taps.
fn all_columns(wc: &[f32], rows: usize, k: usize, taps: &[usize]) -> Vec<f32> {
    if taps.len() == k * k {
        return wc.to_vec();
    }
    let mut out = vec![0.0f32; rows * k * k];
    for (dst, src) in out.chunks_exact_mut(k * k).zip(wc.chunks_exact(taps.len().max(1))) {
        for (&t, &v) in taps.iter().zip(src) {
            dst[t] = v;
        }
    }
    out
}

/// The fused convolution (see the module docs). Keeps the forward pass's im2col
/// rows for the weight gradient when asked to.
#[derive(Debug)]
pub struct Conv2dAct {
    stride: usize,
    padding: usize,
    act: Activation,
    keep_cols: bool,
    /// The im2col rows of each chunk of samples, saved for the backward pass.
    cols: Mutex<Option<Vec<Vec<f32>>>>,
    bn: Option<BnEpilogue>,
    /// The kernel taps kept (`ky·k + kx`, ascending), when not all: the others' weights count
    /// as zero. Stride 1 only.
    taps: Option<Vec<usize>>,
    /// The input's and the output's layouts.
    io: Io,
}

/// The largest im2col matrix a convolution builds at once, in bytes. glibc maps buffers
/// above 32 MiB (its largest mmap threshold) afresh on every allocation, and the page faults
/// of zeroing new pages cost a PixelCNN step (3×3 layers over 28×28 at batch 64: a 58 MB
/// matrix per layer) about a quarter of its time; larger batches are done in chunks of
/// samples below this size. Smaller convolutions (every GAN's, the autoencoders') run in one
/// piece as before.
const MAX_COLS_BYTES: usize = 30 << 20;

/// Samples per chunk for a geometry and batch: all of them when the im2col matrix fits in
/// [`MAX_COLS_BYTES`].
fn chunk_samples(g: Geometry, batch: usize) -> usize {
    let per = g.patch() * g.positions() * std::mem::size_of::<f32>();
    if per == 0 || per * batch <= MAX_COLS_BYTES {
        batch.max(1)
    } else {
        (MAX_COLS_BYTES / per).max(1)
    }
}

impl Conv2dAct {
    /// A convolution op; `keep_cols` saves the im2col rows for the backward pass.
    pub fn new(stride: usize, padding: usize, act: Activation, keep_cols: bool) -> Self {
        Self {
            stride,
            padding,
            act,
            keep_cols,
            cols: Mutex::new(None),
            bn: None,
            taps: None,
            io: Io::default(),
        }
    }

    /// The same op with its input and output laid out as `io` says.
    pub fn with_io(self, io: Io) -> Self {
        Self { io, ..self }
    }

    /// The same op keeping only `taps` of the kernel (`ky·k + kx`; stride 1, no batch norm).
    pub fn with_taps(self, taps: Vec<usize>) -> Self {
        Self {
            taps: Some(taps),
            ..self
        }
    }

    /// Whether this convolution runs tile by tile ([`super::tiles`]): stride 1 without batch
    /// norm, padding under the kernel side (so that the input gradient is a convolution too).
    fn tiled(&self, g: Geometry) -> bool {
        self.bn.is_none() && g.stride == 1 && g.padding < g.k
    }

    /// The kept taps: all of them unless the op was given some.
    fn taps_of(&self, k: usize) -> Result<Vec<usize>> {
        match &self.taps {
            None => Ok((0..k * k).collect()),
            Some(t) if t.iter().all(|&t| t < k * k) && t.windows(2).all(|p| p[0] < p[1]) => Ok(t.clone()),
            Some(t) => candle_core::bail!("conv2d: taps {t:?} are not ascending taps of a {k}×{k} kernel"),
        }
    }

    /// The same op with batch norm and its activation after the bias (`act` is then unused).
    pub fn with_bn(self, bn: BnEpilogue) -> Self {
        Self { bn: Some(bn), ..self }
    }

    fn geometry(&self, (_, c, h, w): Nchw, k: usize) -> Result<Geometry> {
        let (s, p) = (self.stride.max(1), self.padding);
        if h + 2 * p < k || w + 2 * p < k {
            candle_core::bail!("conv2d: kernel {k} larger than the padded input {h}×{w}");
        }
        Ok(Geometry {
            c,
            h,
            w,
            k,
            stride: s,
            padding: p,
            oh: (h + 2 * p - k) / s + 1,
            ow: (w + 2 * p - k) / s + 1,
        })
    }
}

impl CustomOp3 for Conv2dAct {
    fn name(&self) -> &'static str {
        "conv2d-act"
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
        let (xd, o, k) = dims(l1, l2, false, self.io.input)?;
        if l3.shape().dims1()? != o {
            candle_core::bail!("conv2d: bias {:?} for {o} channels", l3.shape());
        }
        let g = self.geometry(xd, k)?;
        let batch = xd.0;
        if self.io != Io::default() && (self.tiled(g) || self.taps.is_some()) {
            candle_core::bail!("conv2d: channel-major layouts need a stride over 1");
        }
        if self.io.output == Planes::ChannelMajor && self.bn.is_some() {
            candle_core::bail!("conv2d: batch norm writes NCHW only");
        }
        let (x, w, bias) = (slice_of(s1, l1)?, slice_of(s2, l2)?, slice_of(s3, l3)?);
        let images = Images::all(&x, self.io.input, batch, g);
        if self.tiled(g) {
            let taps = self.taps_of(k)?;
            let plan = tiles::Plan { g, taps: &taps, batch };
            let wc = kept_columns(&w, o * g.c, k, &taps);
            let y = tiles::forward(plan, &x, &wc, o, Some(&bias), self.act);
            return Ok((CpuStorage::F32(y), Shape::from((batch, o, g.oh, g.ow))));
        }
        if self.taps.is_some() {
            candle_core::bail!("conv2d: kept taps need stride 1, padding under the kernel side and no batch norm");
        }
        let np = g.positions();
        // Batch norm needs the whole batch's statistics: one piece.
        let chunk = if self.bn.is_some() {
            batch.max(1)
        } else {
            chunk_samples(g, batch)
        };
        let mut saved = Vec::new();
        let y = if chunk >= batch {
            let cols = im2col_batch(g, images, batch);
            let mut rows = matmul_new(Mat::new(&w, o, g.patch()), Mat::new(&cols, g.patch(), batch * np))?;
            saved.push(cols);
            match (&self.bn, self.io.output) {
                (None, Planes::ChannelMajor) => {
                    bias_act_rows(&mut rows, &bias, self.act);
                    rows
                }
                (None, Planes::Nchw) => to_nchw_bias_act(&rows, batch, &bias, np, self.act),
                (Some(bn), _) => bn.forward(
                    to_nchw_bias_act(&rows, batch, &bias, np, Activation::Identity),
                    batch,
                    o,
                    np,
                )?,
            }
        } else {
            let mut y = match self.io.output {
                Planes::Nchw => Vec::with_capacity(batch * o * np),
                Planes::ChannelMajor => scratch(batch * o * np),
            };
            for start in (0..batch).step_by(chunk) {
                let n = chunk.min(batch - start);
                let cols = im2col_batch(g, images.from(start), n);
                let mut rows = matmul_new(Mat::new(&w, o, g.patch()), Mat::new(&cols, g.patch(), n * np))?;
                match self.io.output {
                    Planes::Nchw => y.extend(to_nchw_bias_act(&rows, n, &bias, np, self.act)),
                    Planes::ChannelMajor => {
                        bias_act_rows(&mut rows, &bias, self.act);
                        put_columns(&mut y, &rows, o, (start, n), batch * np, np);
                    }
                }
                saved.push(cols);
            }
            y
        };
        if self.keep_cols
            && let Ok(mut slot) = self.cols.lock()
        {
            *slot = Some(saved);
        }
        Ok((CpuStorage::F32(y), self.io.output.shape((batch, o, g.oh, g.ow))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, c, h, wd) = self.io.input.nchw(x.dims4()?);
        let (o, _, k, _) = w.dims4()?;
        let g = self.geometry((batch, c, h, wd), k)?;
        if self.tiled(g) {
            let taps = self.taps_of(k)?;
            let plan = tiles::Plan { g, taps: &taps, batch };
            let backward = |gy: &[f32]| {
                let gx = if wants_grad(x) {
                    let gx = with_data(w, |w| {
                        Ok(tiles::input_grad(plan, gy, &kept_columns(w, o * c, k, &taps), o))
                    })?;
                    Some(cpu_tensor(gx, x.shape().clone())?)
                } else {
                    None
                };
                let gw = if wants_grad(w) {
                    let gw = with_data(x, |x| Ok(tiles::weight_grad(plan, x, gy, o)))?;
                    Some(cpu_tensor(all_columns(&gw, o * c, k, &taps), w.shape().clone())?)
                } else {
                    None
                };
                let gb = if wants_grad(b) {
                    Some(cpu_tensor(channel_sums(gy, batch, o, g.positions(), Planes::Nchw), o)?)
                } else {
                    None
                };
                Ok((gx, gw, gb))
            };
            return with_act_grad(self.act, grad, res, backward);
        }
        let np = g.positions();
        let chunk = if self.bn.is_some() {
            batch.max(1)
        } else {
            chunk_samples(g, batch)
        };
        // `gy_cb_of(start, n)`: the gradient before the activation of samples start..start + n,
        // channel-major (`O × n·P`).
        let backward = |gy_cb_of: &dyn Fn(usize, usize) -> Result<Vec<f32>>| {
            // The same chunks of samples as the forward pass; each chunk's weight gradient
            // is added in order, so results are the same for every thread count.
            let saved = if wants_grad(w) {
                self.cols.lock().ok().and_then(|mut s| s.take())
            } else {
                None
            };
            let mut gw: Option<Vec<f32>> = None;
            let mut gx_all: Vec<f32> = Vec::new();
            // The bias gradient: each channel's planes summed sample after sample, as
            // `channel_sums` does (the same bits), from the channel-major rows.
            let mut gb = vec![-0.0f64; if wants_grad(b) { o } else { 0 }];
            for (i, start) in (0..batch.max(1)).step_by(chunk).enumerate() {
                let n = chunk.min(batch - start);
                let bp = n * np;
                let gy_cb = gy_cb_of(start, n)?;
                if wants_grad(b) {
                    gb.par_iter_mut().zip(gy_cb.par_chunks(bp.max(1))).for_each(|(s, row)| {
                        for plane in row.chunks_exact(np.max(1)) {
                            *s += lane_sum(plane, |v| v);
                        }
                    });
                }
                if wants_grad(w) {
                    let cols = match saved.as_ref().and_then(|s| s.get(i)) {
                        Some(c) => std::borrow::Cow::Borrowed(c.as_slice()),
                        None => std::borrow::Cow::Owned(with_data(x, |x| {
                            Ok(im2col_batch(g, Images::all(x, self.io.input, batch, g).from(start), n))
                        })?),
                    };
                    let part = matmul_new(Mat::new(&gy_cb, o, bp), Mat::new(&cols, g.patch(), bp).t())?;
                    match &mut gw {
                        None => gw = Some(part),
                        Some(sum) => sum.iter_mut().zip(&part).for_each(|(s, p)| *s += p),
                    }
                }
                if wants_grad(x) {
                    let gcols = with_data(w, |w| {
                        matmul_new(Mat::new(w, o, g.patch()).t(), Mat::new(&gy_cb, o, bp))
                    })?;
                    let part = col2im_batch(g, &gcols, n, self.io.input);
                    if chunk >= batch {
                        gx_all = part;
                    } else if self.io.input == Planes::Nchw {
                        gx_all.extend(part);
                    } else {
                        if gx_all.is_empty() {
                            gx_all = scratch(batch * g.image());
                        }
                        let hw = g.h * g.w;
                        put_columns(&mut gx_all, &part, c, (start, n), batch * hw, hw);
                    }
                }
            }
            let gw = match gw {
                Some(gw) => Some(cpu_tensor(gw, w.shape().clone())?),
                None => None,
            };
            let gx = if wants_grad(x) {
                Some(cpu_tensor(gx_all, x.shape().clone())?)
            } else {
                None
            };
            let gb = if wants_grad(b) {
                Some(cpu_tensor(gb.into_iter().map(|s| s as f32).collect::<Vec<f32>>(), o)?)
            } else {
                None
            };
            Ok((gx, gw, gb))
        };
        fn chunk_of(gy: &[f32], start: usize, n: usize, sample: usize) -> &[f32] {
            &gy[start * sample..(start + n) * sample]
        }
        match &self.bn {
            // Channel-major already: the activation's derivative applied to the chunk's columns.
            None if self.io.output == Planes::ChannelMajor => with_data(grad, |grad| {
                with_data(res, |res| {
                    backward(&|start, n| act_grad_columns(grad, res, self.act, o, batch * np, np, (start, n)))
                })
            }),
            // The activation's derivative applied while laying the gradient out channel-major.
            None => with_data(grad, |grad| {
                with_data(res, |res| {
                    backward(&|start, n| {
                        swap01_act(
                            chunk_of(grad, start, n, o * np),
                            chunk_of(res, start, n, o * np),
                            self.act,
                            n,
                            o,
                            np,
                        )
                    })
                })
            }),
            Some(bn) => {
                let gy = bn.backward(grad, res, batch, o, np)?;
                backward(&|start, n| Ok(swap01(chunk_of(&gy, start, n, o * np), n, o, np)))
            }
        }
    }
}

/// The gradients of a kernel and its bias, row-major.
type KernelGrads = (Vec<f32>, Vec<f32>);

/// The fused transposed convolution (see the module docs).
#[derive(Debug, Clone)]
pub struct ConvTranspose2dAct {
    /// Stride.
    pub stride: usize,
    /// Padding removed from each side of the output.
    pub padding: usize,
    /// The activation after the bias.
    pub act: Activation,
    /// Batch norm and its activation after the bias, instead of `act`.
    pub bn: Option<BnEpilogue>,
    /// The input's and the output's layouts.
    pub io: Io,
}

impl ConvTranspose2dAct {
    /// A transposed convolution op with `act` after the bias.
    pub fn new(stride: usize, padding: usize, act: Activation) -> Self {
        Self {
            stride,
            padding,
            act,
            bn: None,
            io: Io::default(),
        }
    }

    /// The same op with batch norm and its activation after the bias (`act` is then unused).
    pub fn with_bn(self, bn: BnEpilogue) -> Self {
        Self { bn: Some(bn), ..self }
    }

    /// The same op with its input and output laid out as `io` says.
    pub fn with_io(self, io: Io) -> Self {
        Self { io, ..self }
    }

    /// The output image as the geometry's image; the input as its grid.
    fn geometry(&self, (_, _, h, w): Nchw, cout: usize, k: usize) -> Result<Geometry> {
        let (s, p) = (self.stride.max(1), self.padding);
        let oh = (h.max(1) - 1) * s + k;
        let ow = (w.max(1) - 1) * s + k;
        if oh <= 2 * p || ow <= 2 * p {
            candle_core::bail!("conv_transpose2d: padding {p} removes the whole output");
        }
        Ok(Geometry {
            c: cout,
            h: oh - 2 * p,
            w: ow - 2 * p,
            k,
            stride: s,
            padding: p,
            oh: h,
            ow: w,
        })
    }

    /// The output `(B, Cout, H', W')` for the input laid out channel-major, `x_cb`
    /// (`Cin × B·H·W`), and `w (Cin, Cout, k, k)`.
    fn forward_cb(
        &self,
        g: Geometry,
        x_cb: &[f32],
        w: &[f32],
        bias: &[f32],
        (batch, cin): (usize, usize),
    ) -> Result<Vec<f32>> {
        let cols = matmul_new(
            Mat::new(w, cin, g.patch()).t(),
            Mat::new(x_cb, cin, batch * g.positions()),
        )?;
        if self.io.output == Planes::ChannelMajor && self.bn.is_some() {
            candle_core::bail!("conv_transpose2d: batch norm writes NCHW only");
        }
        let mut y = col2im_batch(g, &cols, batch, self.io.output);
        let cout = bias.len();
        let y = match &self.bn {
            None if self.io.output == Planes::ChannelMajor => {
                bias_act_rows(&mut y, bias, self.act);
                y
            }
            None => {
                bias_act(&mut y, bias, g.h * g.w, self.act);
                y
            }
            Some(bn) => {
                bias_act(&mut y, bias, g.h * g.w, Activation::Identity);
                bn.forward(y, batch, cout, g.h * g.w)?
            }
        };
        Ok(y)
    }

    /// The backward pass for the pre-activation gradient `gy` (laid out as the output): the
    /// channel-major input gradient of the kernel's input channels `rows` (`rows.len() × B·H·W`),
    /// when asked for, and, when `weights`, the kernel's gradient (`Cin·Cout·k·k`, from the
    /// channel-major input `x_cb` gives) and the bias's.
    #[allow(clippy::too_many_arguments)]
    fn backward_cb<'x>(
        &self,
        g: Geometry,
        gy: &[f32],
        w: &[f32],
        batch: usize,
        rows: Option<std::ops::Range<usize>>,
        weights: bool,
        x_cb: impl FnOnce() -> Result<Cow<'x, [f32]>>,
    ) -> Result<(Option<Vec<f32>>, Option<KernelGrads>)> {
        let gcols = im2col_batch(g, Images::all(gy, self.io.output, batch, g), batch);
        let (bp, patch) = (batch * g.positions(), g.patch());
        let gx = match rows {
            Some(rows) => {
                let w = &w[rows.start * patch..rows.end * patch];
                Some(matmul_new(Mat::new(w, rows.len(), patch), Mat::new(&gcols, patch, bp))?)
            }
            None => None,
        };
        let params = if weights {
            let x_cb = x_cb()?;
            let cin = w.len() / patch.max(1);
            let gw = matmul_new(Mat::new(&x_cb, cin, bp), Mat::new(&gcols, patch, bp).t())?;
            let gb = channel_sums(gy, batch, g.c, g.h * g.w, self.io.output);
            Some((gw, gb))
        } else {
            None
        };
        Ok((gx, params))
    }

    /// The gradient `grad` of the output `res` before the activation or batch norm, to `f`.
    fn pre_activation<R>(
        &self,
        g: Geometry,
        batch: usize,
        grad: &Tensor,
        res: &Tensor,
        f: impl FnOnce(&[f32]) -> Result<R>,
    ) -> Result<R> {
        match &self.bn {
            None => with_act_grad(self.act, grad, res, f),
            Some(bn) => f(&bn.backward(grad, res, batch, g.c, g.h * g.w)?),
        }
    }
}

impl CustomOp3 for ConvTranspose2dAct {
    fn name(&self) -> &'static str {
        "conv-transpose2d-act"
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
        let (xd, cout, k) = dims(l1, l2, true, self.io.input)?;
        if l3.shape().dims1()? != cout {
            candle_core::bail!("conv_transpose2d: bias {:?} for {cout} channels", l3.shape());
        }
        let g = self.geometry(xd, cout, k)?;
        let (batch, cin) = (xd.0, xd.1);
        let (x, w, bias) = (slice_of(s1, l1)?, slice_of(s2, l2)?, slice_of(s3, l3)?);
        let x_cb = match self.io.input {
            Planes::Nchw => Cow::Owned(swap01(&x, batch, cin, g.positions())),
            Planes::ChannelMajor => Cow::Borrowed(&x[..]),
        };
        let y = self.forward_cb(g, &x_cb, &w, &bias, (batch, cin))?;
        Ok((CpuStorage::F32(y), self.io.output.shape((batch, cout, g.h, g.w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let xd = self.io.input.nchw(x.dims4()?);
        let (cin, cout, k, _) = w.dims4()?;
        let g = self.geometry(xd, cout, k)?;
        let (batch, np) = (xd.0, g.positions());
        let rows = wants_grad(x).then_some(0..cin);
        let weights = wants_grad(w) || wants_grad(b);
        let (gx, params) = self.pre_activation(g, batch, grad, res, |gy| {
            with_data(w, |wd| match self.io.input {
                Planes::Nchw => self.backward_cb(g, gy, wd, batch, rows, weights, || {
                    with_data(x, |x| Ok(Cow::Owned(swap01(x, batch, cin, np))))
                }),
                // Channel-major already: the input as it is.
                Planes::ChannelMajor => with_data(x, |xc| {
                    self.backward_cb(g, gy, wd, batch, rows, weights, || Ok(Cow::Borrowed(xc)))
                }),
            })
        })?;
        let gx = match (gx, self.io.input) {
            (Some(gx_cb), Planes::Nchw) => Some(cpu_tensor(swap01(&gx_cb, cin, batch, np), x.shape().clone())?),
            (Some(gx_cb), Planes::ChannelMajor) => Some(cpu_tensor(gx_cb, x.shape().clone())?),
            (None, _) => None,
        };
        let (gw, gb) = match params {
            Some((gw, gb)) => (
                wants_grad(w).then(|| cpu_tensor(gw, w.shape().clone())).transpose()?,
                wants_grad(b).then(|| cpu_tensor(gb, cout)).transpose()?,
            ),
            None => (None, None),
        };
        Ok((gx, gw, gb))
    }
}

/// [`conv_transpose2d_act`] of the concatenation of `x1 (B, C₁, H, W)` and `x2 (B, C₂, H, W)`
/// along the channels, `W (C₁ + C₂, Cout, k, k)`: a U-Net's up step reading the step below
/// beside the skip connection. The same function as `conv_transpose2d_act(cat([x1, x2], 1), …)`
/// without the concatenated tensor: the op lays both inputs out channel-major in the one copy
/// the transposed convolution makes anyway, and gives each its gradient directly. The
/// concatenation cost a copy forward, and backward a zero-filled tensor of its size, a sum into
/// it and a strided sum out of it for each input (candle's gradient bookkeeping).
///
/// On the CPU the kernel and the bias enter the op as one vector (candle's custom ops take
/// three tensors; the two inputs take two), so their gradients reach them through that small
/// concatenation.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d_cat_act(
    x1: &Tensor,
    x2: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: usize,
    act: Activation,
) -> Result<Tensor> {
    if !all_cpu_f32(&[x1, x2, w, b]) {
        return conv_transpose2d_act(&Tensor::cat(&[x1, x2], 1)?, w, b, stride, padding, act);
    }
    let kernel = w.dims4()?;
    if b.dims1()? != kernel.1 {
        candle_core::bail!("conv_transpose2d: bias {:?} for {} channels", b.shape(), kernel.1);
    }
    let wb = Tensor::cat(&[&w.flatten_all()?, b], 0)?;
    let op = ConvTranspose2dAct::new(stride, padding, act);
    x1.apply_op3(x2, &wb, ConvTranspose2dCat { op, kernel })
}

/// The op of [`conv_transpose2d_cat_act`]: inputs `x1`, `x2` and the kernel and bias as one vector.
#[derive(Debug)]
struct ConvTranspose2dCat {
    op: ConvTranspose2dAct,
    /// The kernel's dims `(Cin, Cout, k, k)`.
    kernel: (usize, usize, usize, usize),
}

impl ConvTranspose2dCat {
    /// The geometry and each input's channels, checked against each other and the kernel.
    fn check(&self, d1: Nchw, d2: Nchw, params: usize) -> Result<(Geometry, usize, usize)> {
        let (cin, cout, k, k2) = self.kernel;
        if d1.0 != d2.0 || d1.2 != d2.2 || d1.3 != d2.3 || d1.1 + d2.1 != cin || k != k2 {
            candle_core::bail!(
                "conv_transpose2d of a concatenation: inputs {d1:?} and {d2:?} do not fit the kernel {:?}",
                self.kernel
            );
        }
        if params != cin * cout * k * k + cout {
            candle_core::bail!(
                "conv_transpose2d of a concatenation: {params} kernel and bias values for the kernel {:?}",
                self.kernel
            );
        }
        Ok((self.op.geometry((d1.0, cin, d1.2, d1.3), cout, k)?, d1.1, d2.1))
    }
}

impl CustomOp3 for ConvTranspose2dCat {
    fn name(&self) -> &'static str {
        "conv-transpose2d-cat-act"
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
        let (g, c1, c2) = self.check(l1.shape().dims4()?, l2.shape().dims4()?, l3.shape().dims1()?)?;
        let batch = l1.shape().dims()[0];
        let (x1, x2, wb) = (slice_of(s1, l1)?, slice_of(s2, l2)?, slice_of(s3, l3)?);
        let (w, bias) = wb.split_at(wb.len() - g.c);
        let x_cb = swap01_parts(&[(&x1, c1), (&x2, c2)], batch, g.positions());
        let y = self.op.forward_cb(g, &x_cb, w, bias, (batch, c1 + c2))?;
        Ok((CpuStorage::F32(y), Shape::from((batch, g.c, g.h, g.w))))
    }

    fn bwd(
        &self,
        x1: &Tensor,
        x2: &Tensor,
        wb: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (g, c1, c2) = self.check(x1.dims4()?, x2.dims4()?, wb.dims1()?)?;
        let (batch, np) = (x1.dims4()?.0, g.positions());
        let wanted = [wants_grad(x1), wants_grad(x2)];
        // The kernel rows of the inputs that want a gradient, in one product.
        let rows = match wanted {
            [true, true] => Some(0..c1 + c2),
            [true, false] => Some(0..c1),
            [false, true] => Some(c1..c1 + c2),
            [false, false] => None,
        };
        let weights = wants_grad(wb);
        let (gx, params) = self.op.pre_activation(g, batch, grad, res, |gy| {
            with_data(wb, |wb| {
                let w = &wb[..wb.len() - g.c];
                self.op.backward_cb(g, gy, w, batch, rows, weights, || {
                    with_data(x1, |a| {
                        with_data(x2, |b| Ok(Cow::Owned(swap01_parts(&[(a, c1), (b, c2)], batch, np))))
                    })
                })
            })
        })?;
        // Each wanted input's rows of the channel-major gradient, back to NCHW.
        let gx = gx.unwrap_or_default();
        let bp = batch * np;
        let (first, second) = gx.split_at(if wanted[0] { c1 * bp } else { 0 });
        let nchw = |x: &Tensor, c: usize, g_cb: &[f32], wanted: bool| -> Result<Option<Tensor>> {
            if wanted {
                Ok(Some(cpu_tensor(swap01(g_cb, c, batch, np), x.shape().clone())?))
            } else {
                Ok(None)
            }
        };
        let g1 = nchw(x1, c1, first, wanted[0])?;
        let g2 = nchw(x2, c2, second, wanted[1])?;
        let gwb = match params {
            Some((mut gw, gb)) => {
                gw.extend(gb);
                Some(cpu_tensor(gw, wb.shape().clone())?)
            }
            None => None,
        };
        Ok((g1, g2, gwb))
    }
}
