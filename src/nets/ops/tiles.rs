//! Stride-1 convolutions (the U-Net's 3×3 layers, PixelCNN's masked 7×7 and 3×3 and its
//! 1×1 head) tile by tile, so that the im2col matrix never exists whole.
//!
//! A tile is a run of output rows (of one or more samples) whose patch matrix fits in a
//! core's L2 cache ([`tile_bytes`]); each tile builds its patches, runs one single-threaded
//! matrix product and writes its rows of the NCHW output with the bias and the activation,
//! tiles in parallel. The whole-batch im2col of [`super::conv`] wrote and re-read every
//! activation nine times through main memory for a 3×3 layer (58 MB per PixelCNN layer at
//! batch 64): a third of a pix2pix or PixelCNN step was that copy.
//!
//! Backward passes use the same tiles:
//! - the input gradient of a stride-1 convolution is the convolution of the output gradient
//!   with the kernel flipped and its two channel axes swapped, padded by `k − 1 − p`: the
//!   same forward pass, no col2im;
//! - the weight gradient sums one product per tile. Tiles are summed in [`GROUPS`] fixed
//!   groups, each in order, and the groups in order, so the bits do not depend on the
//!   number of threads.
//!
//! Two kinds of layer skip the patches:
//! - a 1×1 convolution over the whole image reads each sample's input in place (it is its
//!   own patch matrix) and writes the product straight into the output ([`Plan::pointwise`]);
//! - a layer with one output map sums each output pixel straight from the input rows its taps
//!   read, and its weight gradient likewise: its patch matrix would be written and read again
//!   for a product of one row.
//!
//! A convolution may keep only some of its kernel's taps (PixelCNN's masks: 5 of a 3×3
//! kernel's 9, 24 of a 7×7's 49). The patches then have rows for the kept taps only, and the
//! op is the convolution with the other taps' weights taken as zero (their gradient is zero):
//! the masked layers do about half the work of a full kernel.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::conv::Geometry;
use super::{Activation, Mat, gemm_into, written_by};

/// Bytes of one tile's patch matrix when the L2 cache's size is unknown (3/8 of 512 KiB).
const TILE_BYTES: usize = 192 << 10;

/// Bytes of one tile's patch matrix: 3/8 of a core's L2 cache, leaving room for the product's
/// output and the packed weights ([`TILE_BYTES`] when the size is unknown). The gemm crate
/// packs the weight matrix for every product, so larger tiles pack it fewer times: on a
/// 2 MiB L2 (768 KiB tiles) PixelCNN trains 8 % faster than with 192 KiB ones
/// (`bench/README.md`). Like the gemm crate's own blocking, which follows the caches, this
/// makes the last bits of a run depend on the machine; they still do not depend on the
/// number of threads.
fn tile_bytes() -> usize {
    static BYTES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| l2_bytes().map_or(TILE_BYTES, |l2| (l2 / 8 * 3).clamp(128 << 10, 1 << 20)))
}

/// A core's L2 cache in bytes, from Linux's sysfs (`None` elsewhere or when unreadable).
fn l2_bytes() -> Option<usize> {
    (0..8).find_map(|i| {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        if read("level")?.trim() != "2" || read("type")?.trim() == "Instruction" {
            return None;
        }
        cache_size(&read("size")?)
    })
}

/// A sysfs cache size ("2048K", "1M", "512") in bytes.
fn cache_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: usize = digits.parse().ok()?;
    match unit {
        "K" => n.checked_mul(1 << 10),
        "M" => n.checked_mul(1 << 20),
        "" => Some(n),
        _ => None,
    }
}

/// Fixed groups the weight gradient's tiles are summed in.
const GROUPS: usize = 16;

/// A stride-1 convolution over a batch: its geometry, the kernel taps it keeps (`ky·k + kx`,
/// in the order of the weight matrix's columns) and the batch size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan<'a> {
    /// The geometry (stride 1).
    pub g: Geometry,
    /// Kept taps; every channel keeps the same ones.
    pub taps: &'a [usize],
    /// Samples.
    pub batch: usize,
}

/// The output rows `u0..u1` (row `u` is row `u % oh` of sample `u / oh`) a tile computes.
type Tile = (usize, usize);

impl Plan<'_> {
    /// Rows of the patch matrix: channels × kept taps.
    pub fn patch(&self) -> usize {
        self.g.c * self.taps.len()
    }

    /// Whether this is a 1×1 convolution over the whole image (PixelCNN's head; its output
    /// layer, with one map, takes the one-map path of [`forward`] first): a sample's patch matrix is then its input as it lies in
    /// NCHW (`c × h·w`), and its product is its output plane, so [`forward`] and
    /// [`weight_grad`] read and write them in place, one sample a tile, with no copies.
    fn pointwise(&self) -> bool {
        let g = self.g;
        g.k == 1 && g.padding == 0 && self.taps == [0] && g.oh == g.h && g.ow == g.w
    }

    fn tiles(&self) -> Vec<Tile> {
        let g = self.g;
        let units = self.batch * g.oh;
        if units == 0 || g.ow == 0 {
            return Vec::new();
        }
        if self.pointwise() {
            return (0..self.batch).map(|b| (b * g.oh, (b + 1) * g.oh)).collect();
        }
        let cols = (tile_bytes() / 4 / self.patch().max(1)).max(g.ow);
        let rows = (cols / g.ow).max(1);
        (0..units)
            .step_by(rows)
            .map(|u0| (u0, (u0 + rows).min(units)))
            .collect()
    }

    /// The patch matrix (`patch × n`, n = rows · ow) of a tile's output rows into `cols`.
    fn patches(&self, x: &[f32], (u0, u1): Tile, cols: &mut Vec<f32>) {
        let g = self.g;
        let (nt, ow, p) = (self.taps.len(), g.ow, g.padding);
        let n = (u1 - u0) * ow;
        // Every element is written below; the fill only happens when the buffer grows.
        cols.resize(self.patch() * n, 0.0);
        if g.oh == g.h && g.ow == g.w {
            self.patches_same(x, (u0, u1), &mut cols[..self.patch() * n]);
            return;
        }
        for (r, row) in cols[..self.patch() * n].chunks_exact_mut(n).enumerate() {
            let (ci, t) = (r / nt, self.taps[r % nt]);
            let (ky, kx) = (t / g.k, t % g.k);
            let (lo, hi) = g.x_range(kx);
            for (u, dst) in (u0..u1).zip(row.chunks_exact_mut(ow)) {
                let (b, oy) = (u / g.oh, u % g.oh);
                match g.y_at(oy, ky) {
                    None => dst.fill(0.0),
                    Some(iy) => {
                        let src = &x[((b * g.c + ci) * g.h + iy) * g.w..][..g.w];
                        dst[..lo].fill(0.0);
                        dst[hi..].fill(0.0);
                        // ix = ox + kx − p for ox in lo..hi, all inside the row.
                        dst[lo..hi].copy_from_slice(&src[lo + kx - p..hi + kx - p]);
                    }
                }
            }
        }
    }
}

impl Plan<'_> {
    /// The padded image's width and the length of a one-map layer's flat run (see
    /// [`Plan::padded`]): the grid's rows laid `w + 2p` apart, `(oh − 1)·(w + 2p) + ow`.
    fn flat(&self) -> (usize, usize) {
        let g = self.g;
        let pw = g.w + 2 * g.padding;
        (pw, g.oh.saturating_sub(1) * pw + g.ow)
    }

    /// Sample `b`'s planes with their zero padding laid out (`(h + 2p) × (w + 2p)` each), so
    /// that a tap `(ky, kx)` reads the grid's pixels as one flat run starting at
    /// `ky·(w + 2p) + kx`: output pixel `oy·(w + 2p) + ox` of the run reads padded pixel
    /// `(oy + ky)·(w + 2p) + ox + kx`, and the run's `2p` extra pixels between the grid's rows
    /// (`ow ≤ ox < w + 2p`) are computed and dropped. In place when there is no padding;
    /// otherwise in `buf`, whose borders stay zero from sample to sample (only the
    /// interior is written).
    fn padded<'a>(&self, x: &'a [f32], b: usize, buf: &'a mut Vec<f32>) -> &'a [f32] {
        let g = self.g;
        let (hw, p) = (g.h * g.w, g.padding);
        let sample = &x[b * g.c * hw..][..g.c * hw];
        if p == 0 {
            return sample;
        }
        let (pw, ph) = (g.w + 2 * p, g.h + 2 * p);
        if buf.len() != g.c * ph * pw {
            buf.clear();
            buf.resize(g.c * ph * pw, 0.0);
        }
        for (dst, src) in buf.chunks_exact_mut(ph * pw).zip(sample.chunks_exact(hw)) {
            for (row, line) in src.chunks_exact(g.w).enumerate() {
                dst[(row + p) * pw + p..][..g.w].copy_from_slice(line);
            }
        }
        buf
    }

    /// Calls `f(weight, run)` for every kept tap of every channel of a padded sample (see
    /// [`Plan::padded`]): `weight` is the tap's column of the weight matrix and `run` the
    /// `len` padded pixels the flat grid reads through it.
    fn each_tap_run(&self, xs: &[f32], mut f: impl FnMut(usize, &[f32])) {
        let g = self.g;
        let (pw, len) = self.flat();
        let plane_len = (g.h + 2 * g.padding) * pw;
        let nt = self.taps.len();
        for (ci, plane) in xs.chunks_exact(plane_len).enumerate() {
            for (i, &t) in self.taps.iter().enumerate() {
                let off = (t / g.k) * pw + t % g.k;
                f(ci * nt + i, &plane[off..off + len]);
            }
        }
    }

    /// [`Plan::patches`] for a "same" convolution (the grid is the image: `oh = h`, `ow = w`,
    /// as in every tiled layer of the U-Net and PixelCNN). A tap's patch row over a run of
    /// grid rows of one sample is then the run of image rows it reads, shifted by `kx − p`
    /// columns: one copy for the run instead of one per row (rows of 7 to 28 floats, where
    /// the calls cost more than the copying), then each row's border columns set to zero
    /// (they read past the image's edge, and the shifted copy put the next or previous row's
    /// pixels there). The same values as the row by row loop, bit for bit.
    fn patches_same(&self, x: &[f32], (u0, u1): Tile, cols: &mut [f32]) {
        let g = self.g;
        let (ow, hw) = (g.ow, g.h * g.w);
        let n = (u1 - u0) * ow;
        if n == 0 {
            return;
        }
        let p = g.padding as isize;
        // The tile's runs of grid rows within one sample, `(sample, first row, rows)`, and
        // each kept tap's offsets and border columns, worked out once: divisions per patch
        // row were a fifth of this function's time on 7×7 images.
        let mut runs = Vec::new();
        let mut u = u0;
        while u < u1 {
            let (b, oy) = (u / g.oh, u % g.oh);
            let run = (g.oh - oy).min(u1 - u);
            runs.push((b, oy, run));
            u += run;
        }
        let taps: Vec<(isize, isize, usize, usize)> = self
            .taps
            .iter()
            .map(|&t| {
                let (ky, kx) = (t / g.k, t % g.k);
                let (lo, hi) = g.x_range(kx);
                (ky as isize - p, kx as isize - p, lo, hi)
            })
            .collect();
        let mut rows = cols.chunks_exact_mut(n);
        for ci in 0..g.c {
            for &(dy, dx, lo, hi) in &taps {
                let Some(row) = rows.next() else { return };
                let mut at = 0;
                for &(b, oy, run) in &runs {
                    let dst = &mut row[at..][..run * ow];
                    at += run * ow;
                    // Grid rows v0..v1 of the run read rows inside the image (iy = oy + v + dy).
                    let v0 = (-dy - oy as isize).clamp(0, run as isize) as usize;
                    let v1 = (g.h as isize - dy - oy as isize).clamp(v0 as isize, run as isize) as usize;
                    dst[..v0 * ow].fill(0.0);
                    dst[v1 * ow..].fill(0.0);
                    if v1 > v0 {
                        let plane = &x[(b * g.c + ci) * hw..][..hw];
                        let block = &mut dst[v0 * ow..v1 * ow];
                        // block[d] = plane[d + base], where inside the image.
                        let base = ((oy + v0) as isize + dy) * g.w as isize + dx;
                        let start = (-base).max(0);
                        let end = (block.len() as isize).min(hw as isize - base);
                        if end > start {
                            let (from, to) = ((base + start) as usize, (base + end) as usize);
                            block[start as usize..end as usize].copy_from_slice(&plane[from..to]);
                        }
                        // The border columns, and the few elements before `start` or after
                        // `end` (they are border columns of the first or last row). A column
                        // at a time: a row's border is one to three floats, and as a fill per
                        // row each became a `memset` call (7 % of a 7×7 image's layer).
                        for col in (0..lo).chain(hi..ow) {
                            for v in block.iter_mut().skip(col).step_by(ow) {
                                *v = 0.0;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The output being written by the tiles, each its own rows.
struct Out(*mut MaybeUninit<f32>, usize);

// SAFETY: the tiles write disjoint rows (see `row`).
unsafe impl Sync for Out {}

impl Out {
    /// `len` floats from `start`.
    ///
    /// # Safety
    /// In bounds, and no other thread may touch them meanwhile.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, start: usize, len: usize) -> &mut [MaybeUninit<f32>] {
        debug_assert!(start + len <= self.1);
        // SAFETY: per the contract, in bounds and exclusively this caller's.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(start), len) }
    }
}

/// `act(conv(x, W) + bias)` as NCHW `(B, o, oh, ow)`, for `x (B, c, h, w)` and the weights as an
/// `o × patch` matrix (column `ci · taps + i` for channel `ci` and kept tap `i`).
pub(super) fn forward(plan: Plan, x: &[f32], w: &[f32], o: usize, bias: Option<&[f32]>, act: Activation) -> Vec<f32> {
    let g = plan.g;
    let (np, ow, patch) = (g.positions(), g.ow, plan.patch());
    let total = plan.batch * o * np;
    debug_assert_eq!(w.len(), o * patch);
    debug_assert_eq!(x.len(), plan.batch * g.image());
    let tiles = plan.tiles();
    let fill = |y: &mut [MaybeUninit<f32>]| {
        if patch == 0 {
            // No taps: only the bias.
            for (i, v) in y.iter_mut().enumerate() {
                let mut b = [bias.map_or(0.0, |b| b[(i / np) % o])];
                act.apply(&mut b);
                v.write(b[0]);
            }
            return;
        }
        let out = Out(y.as_mut_ptr(), y.len());
        if o == 1 {
            // One output map (the U-Net's and PatchGAN's last layers, PixelCNN's Bernoulli
            // logits, and the input gradient of a layer that reads one map): its patch matrix
            // would be patch × n floats written and read again for a product of one row.
            // Summed straight from the padded input instead, one flat run a tap, a sample a
            // task: bias first, then the channels and their taps in order.
            let (pw, len) = plan.flat();
            let b0 = bias.map_or(0.0, |b| b[0]);
            (0..plan.batch).into_par_iter().for_each_init(
                || (Vec::new(), Vec::new()),
                |(pad, acc): &mut (Vec<f32>, Vec<f32>), b| {
                    let xs = plan.padded(x, b, pad);
                    acc.clear();
                    acc.resize(len, b0);
                    plan.each_tap_run(xs, |wi, run| {
                        let wv = w[wi];
                        for (a, s) in acc.iter_mut().zip(run) {
                            *a += wv * s;
                        }
                    });
                    // SAFETY: sample b's one output plane belongs to this task alone.
                    let dst = unsafe { out.row(b * np, np) };
                    for (line, src) in dst.chunks_exact_mut(ow).zip(acc.chunks(pw)) {
                        for (d, &v) in line.iter_mut().zip(src) {
                            d.write(v);
                        }
                    }
                    // SAFETY: every row was just written.
                    act.apply(unsafe { super::assume_written(dst) });
                },
            );
            return;
        }
        if plan.pointwise() {
            // One sample a tile: its input is the patch matrix, its output plane the product.
            let c = g.c;
            tiles.par_iter().for_each(|&(u0, _)| {
                let b = u0 / g.oh;
                // SAFETY: sample b's o output planes belong to this tile alone.
                let dst = unsafe { out.row(b * o * np, o * np) };
                // SAFETY: dst holds o·np floats, W is o × c and the input c × np; with
                // `accumulate` off the product writes every element without reading it.
                unsafe {
                    gemm_into(
                        dst.as_mut_ptr().cast::<f32>(),
                        Mat::new(w, o, c),
                        Mat::new(&x[b * c * np..][..c * np], c, np),
                        false,
                        1,
                    )
                };
                // SAFETY: just written.
                let dst = unsafe { super::assume_written(dst) };
                for (oc, plane) in dst.chunks_exact_mut(np).enumerate() {
                    let bv = bias.map_or(0.0, |b| b[oc]);
                    for v in plane.iter_mut() {
                        *v += bv;
                    }
                    act.apply(plane);
                }
            });
            return;
        }
        tiles.par_iter().for_each_init(
            || (Vec::new(), Vec::new()),
            |(cols, yt): &mut (Vec<f32>, Vec<f32>), &tile| {
                plan.patches(x, tile, cols);
                let n = (tile.1 - tile.0) * ow;
                yt.resize(o * n, 0.0);
                // SAFETY: yt holds o·n floats, W is o × patch and the patches patch × n.
                unsafe {
                    gemm_into(
                        yt.as_mut_ptr(),
                        Mat::new(w, o, patch),
                        Mat::new(&cols[..patch * n], patch, n),
                        false,
                        1,
                    )
                };
                // Runs of rows within one sample lie together in each NCHW plane.
                let mut u = tile.0;
                while u < tile.1 {
                    let (b, oy) = (u / g.oh, u % g.oh);
                    let run = (g.oh - oy).min(tile.1 - u);
                    for oc in 0..o {
                        // SAFETY: rows oy..oy + run of plane (b, oc) belong to this tile alone.
                        let dst = unsafe { out.row(((b * o + oc) * g.oh + oy) * ow, run * ow) };
                        let src = &yt[oc * n + (u - tile.0) * ow..][..run * ow];
                        let bv = bias.map_or(0.0, |b| b[oc]);
                        for (d, &v) in dst.iter_mut().zip(src) {
                            d.write(v + bv);
                        }
                        // SAFETY: just written.
                        act.apply(unsafe { super::assume_written(dst) });
                    }
                    u += run;
                }
            },
        );
    };
    // SAFETY: the tiles cover every output row of every sample and channel, each written whole
    // (or, with no taps, every element is written above).
    unsafe { written_by(total, fill) }
}

/// The gradient of `x` for the output gradient `gy (B, o, oh, ow)`: the flipped convolution.
pub(super) fn input_grad(plan: Plan, gy: &[f32], w: &[f32], o: usize) -> Vec<f32> {
    let g = plan.g;
    let (k, nt, c) = (g.k, plan.taps.len(), g.c);
    // Flipped taps, and W'[ci][oc·nt + i] = W[oc][ci·nt + i].
    let flipped: Vec<usize> = plan.taps.iter().map(|&t| k * k - 1 - t).collect();
    let mut wt = vec![0.0f32; c * o * nt];
    for oc in 0..o {
        for ci in 0..c {
            for i in 0..nt {
                wt[(ci * o + oc) * nt + i] = w[(oc * c + ci) * nt + i];
            }
        }
    }
    let back = Plan {
        g: Geometry {
            c: o,
            h: g.oh,
            w: g.ow,
            k,
            stride: 1,
            padding: k - 1 - g.padding,
            oh: g.h,
            ow: g.w,
        },
        taps: &flipped,
        batch: plan.batch,
    };
    forward(back, gy, &wt, c, None, Activation::Identity)
}

/// The gradient of the `o × patch` weight matrix for `x` and the output gradient `gy`.
pub(super) fn weight_grad(plan: Plan, x: &[f32], gy: &[f32], o: usize) -> Vec<f32> {
    let g = plan.g;
    let (ow, patch) = (g.ow, plan.patch());
    let tiles = plan.tiles();
    if tiles.is_empty() || patch == 0 || o == 0 {
        return vec![0.0; o * patch];
    }
    if o == 1 {
        // One output map: each weight's gradient is the dot product of the output gradient,
        // laid on the padded grid (see `forward`; its extra pixels zero), with the flat run
        // its tap reads, in eight fixed lanes. Samples are summed in fixed groups, in order,
        // and the groups in order, as the tiles below: the bits do not depend on the
        // number of threads.
        let (pw, len) = plan.flat();
        let np = g.positions();
        let samples: Vec<usize> = (0..plan.batch).collect();
        let partials: Vec<Vec<f32>> = samples
            .par_chunks(plan.batch.div_ceil(GROUPS))
            .map(|group| {
                let (mut pad, mut grid) = (Vec::new(), vec![0.0f32; len]);
                let mut part = vec![0.0f32; patch];
                for &b in group {
                    let xs = plan.padded(x, b, &mut pad);
                    for (line, src) in grid.chunks_mut(pw).zip(gy[b * np..][..np].chunks_exact(ow)) {
                        line[..ow].copy_from_slice(src);
                    }
                    plan.each_tap_run(xs, |wi, run| part[wi] += dot(&grid, run));
                }
                part
            })
            .collect();
        let mut gw = vec![0.0f32; patch];
        for part in &partials {
            for (acc, v) in gw.iter_mut().zip(part) {
                *acc += v;
            }
        }
        return gw;
    }
    let per = tiles.len().div_ceil(GROUPS);
    // Each group sums its tiles' products, transposed (`patch × o`: the tall form is the
    // faster one for the gemm crate), in order.
    let partials: Vec<Vec<f32>> = tiles
        .par_chunks(per)
        .map(|group| {
            let (mut cols, mut gt) = (Vec::new(), Vec::new());
            let mut sum = vec![0.0f32; patch * o];
            if plan.pointwise() {
                // One sample a tile: its input and its output gradient as they lie.
                let np = g.positions();
                for &(u0, _) in group {
                    let b = u0 / g.oh;
                    // SAFETY: sum holds patch·o floats; the input is patch × np (patch = c)
                    // and the output gradient o × np.
                    unsafe {
                        gemm_into(
                            sum.as_mut_ptr(),
                            Mat::new(&x[b * patch * np..][..patch * np], patch, np),
                            Mat::new(&gy[b * o * np..][..o * np], o, np).t(),
                            true,
                            1,
                        )
                    };
                }
                return sum;
            }
            for &tile in group {
                plan.patches(x, tile, &mut cols);
                let n = (tile.1 - tile.0) * ow;
                gt.resize(o * n, 0.0);
                // The output gradient's rows of the tile, one copy per channel and run of rows
                // within a sample (they lie together in NCHW).
                let mut u = tile.0;
                while u < tile.1 {
                    let (b, oy) = (u / g.oh, u % g.oh);
                    let run = (g.oh - oy).min(tile.1 - u);
                    for oc in 0..o {
                        gt[oc * n + (u - tile.0) * ow..][..run * ow]
                            .copy_from_slice(&gy[((b * o + oc) * g.oh + oy) * ow..][..run * ow]);
                    }
                    u += run;
                }
                // SAFETY: sum holds patch·o floats; the patches are patch × n and gt o × n.
                unsafe {
                    gemm_into(
                        sum.as_mut_ptr(),
                        Mat::new(&cols[..patch * n], patch, n),
                        Mat::new(&gt[..o * n], o, n).t(),
                        true,
                        1,
                    )
                };
            }
            sum
        })
        .collect();
    let mut gw = vec![0.0f32; o * patch];
    for part in &partials {
        for (r, row) in part.chunks_exact(o).enumerate() {
            for (oc, &v) in row.iter().enumerate() {
                gw[oc * patch + r] += v;
            }
        }
    }
    gw
}

/// `Σ a·b` in sixteen fixed lanes (vectorisable, the same order every time).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, &u), &v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (&u, &v) in ra.iter().zip(rb) {
        s += u * v;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::cache_size;

    #[test]
    fn cache_sizes_read_as_sysfs_writes_them() {
        assert_eq!(cache_size("2048K\n"), Some(2 << 20));
        assert_eq!(cache_size("1M"), Some(1 << 20));
        assert_eq!(cache_size("512"), Some(512));
        assert_eq!(cache_size(""), None);
        assert_eq!(cache_size("K"), None);
        assert_eq!(cache_size("12G"), None);
        assert_eq!(cache_size("99999999999999999999K"), None);
    }
}
