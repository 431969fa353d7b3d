//! Unpaired domains for CycleGAN, made from real digits on the fly: two styles of the same
//! digits, A and B, each drawn from its own half of the training digits, so no digit is ever
//! seen in both styles (the model is never shown a pair).
//!
//! - **Thin ↔ thick:** A is the digit's skeleton (Zhang–Suen, about one pixel wide, as the
//!   pix2pix sketch task), B the digit dilated by a 3×3 maximum (strokes two pixels wider).
//! - **Upright ↔ slanted:** A is the digit deskewed (sheared so that its second moment
//!   μ₁₁ is zero: no slant), B the upright digit sheared by [`SLANT`] (the top leans right).
//! - **Digits ↔ negatives:** A is the digit, B its negative (255 − value).
//!
//! [`DomainPair::a`] and [`DomainPair::b`] are pure functions of the digit, so the same digit
//! in both styles is a ground truth the training never sees, and the held-out figures compare
//! G(A) with it. [`halves`] splits the training indices into the two disjoint halves.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::paired::{PIXELS, SIDE, skeleton};

/// Shear of the slanted domain: x moves by this much per row above the centre.
pub const SLANT: f32 = 0.4;

/// A pair of domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainPair {
    /// Thinned strokes ↔ thickened strokes.
    #[default]
    ThinThick,
    /// Deskewed digits ↔ slanted digits.
    UprightSlanted,
    /// Digits ↔ their negatives.
    Negative,
}

impl DomainPair {
    /// Every pair, in menu order.
    pub const ALL: [DomainPair; 3] = [DomainPair::ThinThick, DomainPair::UprightSlanted, DomainPair::Negative];

    /// The id `--domains` takes.
    pub fn id(self) -> &'static str {
        match self {
            DomainPair::ThinThick => "thin-thick",
            DomainPair::UprightSlanted => "upright-slanted",
            DomainPair::Negative => "negative",
        }
    }

    /// For people, in English: "thin → thick strokes".
    pub fn label(self) -> &'static str {
        match self {
            DomainPair::ThinThick => "thin → thick strokes",
            DomainPair::UprightSlanted => "upright → slanted digits",
            DomainPair::Negative => "digits → negatives",
        }
    }

    /// The names of domain A and domain B, in English.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            DomainPair::ThinThick => ("thin", "thick"),
            DomainPair::UprightSlanted => ("upright", "slanted"),
            DomainPair::Negative => ("digit", "negative"),
        }
    }

    /// The pair with id `id`.
    pub fn parse(id: &str) -> Result<DomainPair, String> {
        Self::ALL.into_iter().find(|d| d.id() == id).ok_or_else(|| {
            let ids: Vec<&str> = Self::ALL.iter().map(|d| d.id()).collect();
            format!("unknown domains {id:?} (choose one of {})", ids.join(", "))
        })
    }

    /// The digit in style A (784 bytes).
    pub fn a(self, digit: &[u8]) -> Vec<u8> {
        match self {
            DomainPair::ThinThick => skeleton(digit),
            DomainPair::UprightSlanted => deskew(digit),
            DomainPair::Negative => digit.to_vec(),
        }
    }

    /// The digit in style B (784 bytes).
    pub fn b(self, digit: &[u8]) -> Vec<u8> {
        match self {
            DomainPair::ThinThick => dilate(digit),
            DomainPair::UprightSlanted => shear(&deskew(digit), SLANT),
            DomainPair::Negative => digit.iter().map(|&v| 255 - v).collect(),
        }
    }

    /// Many digits (784 bytes each) in style A, or B with `b`.
    pub fn map(self, digits: &[u8], b: bool) -> Vec<u8> {
        digits
            .chunks(PIXELS)
            .flat_map(|d| if b { self.b(d) } else { self.a(d) })
            .collect()
    }
}

/// The two disjoint halves of `n` training digits: A's indices, then B's.
pub fn halves(n: usize) -> (Range<usize>, Range<usize>) {
    let mid = n / 2;
    (0..mid, mid..n)
}

/// The 3×3 grey-level dilation (each pixel the maximum of its neighbourhood).
pub fn dilate(px: &[u8]) -> Vec<u8> {
    let s = SIDE as isize;
    (0..PIXELS)
        .map(|i| {
            let (y, x) = ((i / SIDE) as isize, (i % SIDE) as isize);
            let mut m = 0u8;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (yy, xx) = (y + dy, x + dx);
                    if (0..s).contains(&yy) && (0..s).contains(&xx) {
                        m = m.max(px[(yy * s + xx) as usize]);
                    }
                }
            }
            m
        })
        .collect()
}

/// The digit's slant: how far x moves per row (μ₁₁ / μ₀₂ of the ink), and its centre row.
pub fn slant(px: &[u8]) -> (f32, f32) {
    let (mut m, mut sx, mut sy) = (0f64, 0f64, 0f64);
    for (i, &v) in px.iter().enumerate().take(PIXELS) {
        let w = f64::from(v);
        m += w;
        sx += w * (i % SIDE) as f64;
        sy += w * (i / SIDE) as f64;
    }
    if m <= 0.0 {
        return (0.0, SIDE as f32 / 2.0);
    }
    let (cx, cy) = (sx / m, sy / m);
    let (mut mu11, mut mu02) = (0f64, 0f64);
    for (i, &v) in px.iter().enumerate().take(PIXELS) {
        let w = f64::from(v);
        let (dx, dy) = ((i % SIDE) as f64 - cx, (i / SIDE) as f64 - cy);
        mu11 += w * dx * dy;
        mu02 += w * dy * dy;
    }
    let s = if mu02 > 1e-9 { mu11 / mu02 } else { 0.0 };
    (s as f32, cy as f32)
}

/// The digit sheared so that row y moves by `s · (centre − y)` to the right (bilinear, along
/// each row): `s > 0` leans the top to the right.
pub fn shear(px: &[u8], s: f32) -> Vec<u8> {
    let cy = slant(px).1;
    shear_about(px, s, cy)
}

fn shear_about(px: &[u8], s: f32, cy: f32) -> Vec<u8> {
    (0..PIXELS)
        .map(|i| {
            let (y, x) = (i / SIDE, i % SIDE);
            let from = x as f32 - s * (cy - y as f32);
            let x0 = from.floor();
            let t = from - x0;
            let at = |xx: f32| -> f32 {
                if xx < 0.0 || xx >= SIDE as f32 {
                    0.0
                } else {
                    f32::from(px[y * SIDE + xx as usize])
                }
            };
            (at(x0) * (1.0 - t) + at(x0 + 1.0) * t).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// The digit with its slant removed (the shear that makes μ₁₁ zero).
pub fn deskew(px: &[u8]) -> Vec<u8> {
    let (s, cy) = slant(px);
    // The ink at row y sits s·(y − cy) right of the centre column: move it back.
    shear_about(px, s, cy)
}
