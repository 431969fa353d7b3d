//! Paired tasks for image-to-image translation (pix2pix), made from real digits on the fly:
//! each task turns a digit (the target) into the input a translator learns to undo.
//!
//! - **Inpainting:** a rectangle of the digit is blanked to mid grey (the hole marker, so the
//!   model sees where the hole is, not just background): half the time a centre square of
//!   side 6 to 12, otherwise a rectangle of sides 4 to 12 anywhere.
//! - **Super-resolution:** the digit averaged over `factor`×`factor` blocks (7×7 for factor 4,
//!   14×14 for factor 2), shown enlarged back to 28×28 (each block one flat grey).
//! - **Sketch:** the digit's strokes thinned to about one pixel (Zhang–Suen skeleton of the
//!   digit binarised at half grey; a rare 2×2 block stays at a junction), white on black: what
//!   a thin pen draws.
//! - **Denoising:** Gaussian noise (σ = 0.4 of the full range) added to every pixel, and 5 %
//!   of pixels flipped to black or white.
//!
//! Images are 28×28 bytes, 0 background and 255 ink. A task is a pure function of the digit
//! and the random stream, so a seed gives the same inputs (held-out figures are measured on
//! the same inputs each time).

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Side of the images.
pub const SIDE: usize = 28;
/// Pixels of one image.
pub const PIXELS: usize = SIDE * SIDE;
/// The value a blanked pixel takes (the hole marker).
pub const HOLE: u8 = 128;
/// The largest side of a blanked rectangle.
pub const MAX_HOLE: usize = 12;
/// Noise of the denoising task: standard deviation on the 0–1 scale.
pub const NOISE_SIGMA: f64 = 0.4;
/// Share of pixels the denoising task flips to black or white.
pub const SALT_PEPPER: f64 = 0.05;

/// A paired translation task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairTask {
    /// Blanked rectangles → the whole digit.
    #[default]
    Inpaint,
    /// A low-resolution digit → 28×28.
    Superres,
    /// Thinned strokes → the digit.
    Sketch,
    /// A noisy digit → the clean one.
    Denoise,
}

impl PairTask {
    /// Every task, in menu order.
    pub const ALL: [PairTask; 4] = [
        PairTask::Inpaint,
        PairTask::Superres,
        PairTask::Sketch,
        PairTask::Denoise,
    ];

    /// The id `--task` takes.
    pub fn id(self) -> &'static str {
        match self {
            PairTask::Inpaint => "inpaint",
            PairTask::Superres => "superres",
            PairTask::Sketch => "sketch",
            PairTask::Denoise => "denoise",
        }
    }

    /// A name for people, in English.
    pub fn label(self) -> &'static str {
        match self {
            PairTask::Inpaint => "inpainting",
            PairTask::Superres => "super-resolution",
            PairTask::Sketch => "sketch → digit",
            PairTask::Denoise => "denoising",
        }
    }

    /// The task with id `id`, or an error naming the ones there are.
    pub fn parse(id: &str) -> Result<PairTask, String> {
        Self::ALL.into_iter().find(|t| t.id() == id).ok_or_else(|| {
            let ids: Vec<&str> = Self::ALL.iter().map(|t| t.id()).collect();
            format!("unknown task '{id}' (expected {})", ids.join(", "))
        })
    }

    /// The input of this task for `digit` (784 bytes); `factor` is the super-resolution
    /// block side (2 or 4).
    pub fn input(self, digit: &[u8], factor: usize, rng: &mut Rng) -> Vec<u8> {
        let mut px = digit[..PIXELS.min(digit.len())].to_vec();
        px.resize(PIXELS, 0);
        match self {
            PairTask::Inpaint => {
                let hole = random_hole(rng);
                blank(&mut px, hole);
                px
            }
            PairTask::Superres => downsample(&px, factor),
            PairTask::Sketch => skeleton(&px),
            PairTask::Denoise => {
                for p in &mut px {
                    let r = rng.uniform();
                    let v = if r < SALT_PEPPER / 2.0 {
                        0.0
                    } else if r < SALT_PEPPER {
                        255.0
                    } else {
                        f64::from(*p) + rng.normal() * NOISE_SIGMA * 255.0
                    };
                    *p = v.round().clamp(0.0, 255.0) as u8;
                }
                px
            }
        }
    }

    /// The inputs of this task for `n` digits (flat, 784 bytes each).
    pub fn inputs(self, digits: &[u8], factor: usize, rng: &mut Rng) -> Vec<u8> {
        digits.chunks(PIXELS).flat_map(|d| self.input(d, factor, rng)).collect()
    }
}

/// A blanked rectangle: `(top, left, height, width)`.
pub type Hole = (usize, usize, usize, usize);

/// A hole of the inpainting task: half the time a centre square of side 6 to 12, otherwise a
/// rectangle of sides 4 to 12 anywhere in the image.
pub fn random_hole(rng: &mut Rng) -> Hole {
    if rng.uniform() < 0.5 {
        let s = 6 + rng.below(MAX_HOLE - 6 + 1);
        let top = (SIDE - s) / 2;
        (top, top, s, s)
    } else {
        let h = 4 + rng.below(MAX_HOLE - 4 + 1);
        let w = 4 + rng.below(MAX_HOLE - 4 + 1);
        (rng.below(SIDE - h + 1), rng.below(SIDE - w + 1), h, w)
    }
}

/// Sets the pixels of `hole` to the hole marker.
pub fn blank(px: &mut [u8], (top, left, h, w): Hole) {
    for y in top..(top + h).min(SIDE) {
        for x in left..(left + w).min(SIDE) {
            px[y * SIDE + x] = HOLE;
        }
    }
}

/// The image averaged over `factor`×`factor` blocks and enlarged back (each block one flat
/// value, the rounded mean of its pixels). A factor that does not divide 28 is taken as 4.
pub fn downsample(px: &[u8], factor: usize) -> Vec<u8> {
    let f = if factor > 0 && SIDE.is_multiple_of(factor) {
        factor
    } else {
        4
    };
    let mut out = vec![0u8; PIXELS];
    for by in (0..SIDE).step_by(f) {
        for bx in (0..SIDE).step_by(f) {
            let mut sum = 0u32;
            for y in by..by + f {
                for x in bx..bx + f {
                    sum += u32::from(px[y * SIDE + x]);
                }
            }
            let n = (f * f) as u32;
            let mean = ((sum + n / 2) / n) as u8;
            for y in by..by + f {
                for x in bx..bx + f {
                    out[y * SIDE + x] = mean;
                }
            }
        }
    }
    out
}

/// The skeleton (about one pixel wide) of the digit binarised at half grey (Zhang & Suen 1984), as
/// 255 on 0.
pub fn skeleton(px: &[u8]) -> Vec<u8> {
    let mut on: Vec<bool> = px.iter().map(|&p| p >= 128).collect();
    let at = |on: &[bool], y: isize, x: isize| -> bool {
        (0..SIDE as isize).contains(&y) && (0..SIDE as isize).contains(&x) && on[y as usize * SIDE + x as usize]
    };
    loop {
        let mut changed = false;
        for pass in 0..2 {
            let mut remove = Vec::new();
            for y in 0..SIDE as isize {
                for x in 0..SIDE as isize {
                    if !at(&on, y, x) {
                        continue;
                    }
                    // P2 … P9 clockwise from north.
                    let n = [
                        at(&on, y - 1, x),
                        at(&on, y - 1, x + 1),
                        at(&on, y, x + 1),
                        at(&on, y + 1, x + 1),
                        at(&on, y + 1, x),
                        at(&on, y + 1, x - 1),
                        at(&on, y, x - 1),
                        at(&on, y - 1, x - 1),
                    ];
                    let b = n.iter().filter(|&&v| v).count();
                    let a = (0..8).filter(|&i| !n[i] && n[(i + 1) % 8]).count();
                    let (p2, p4, p6, p8) = (n[0], n[2], n[4], n[6]);
                    let cond = if pass == 0 {
                        // P2·P4·P6 = 0 and P4·P6·P8 = 0.
                        !(p4 && p6 && (p2 || p8))
                    } else {
                        // P2·P4·P8 = 0 and P2·P6·P8 = 0.
                        !(p2 && p8 && (p4 || p6))
                    };
                    if (2..=6).contains(&b) && a == 1 && cond {
                        remove.push(y as usize * SIDE + x as usize);
                    }
                }
            }
            changed |= !remove.is_empty();
            for i in remove {
                on[i] = false;
            }
        }
        if !changed {
            break;
        }
    }
    on.iter().map(|&v| if v { 255 } else { 0 }).collect()
}

/// Mean absolute difference per pixel on the 0–1 scale.
pub fn l1(a: &[u8], b: &[u8]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    a.iter().zip(b).map(|(&x, &y)| f64::from(x.abs_diff(y))).sum::<f64>() / (255.0 * n as f64)
}

/// Peak signal-to-noise ratio in dB on the 0–1 scale (capped at 100 dB for identical images).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = (f64::from(x) - f64::from(y)) / 255.0;
            d * d
        })
        .sum::<f64>()
        / n as f64;
    if mse <= 1e-10 { 100.0 } else { -10.0 * mse.log10() }
}
