//! Toy distributions for the GAN "game": 1-D (a Gaussian, a mixture of two
//! Gaussians) and 2-D (a ring of eight Gaussians, two moons, a spiral).
//!
//! Small enough to see everything at once: the data, the generator's samples and
//! the discriminator's verdict over the whole space. Samples are drawn from the
//! seeded [`Rng`], so the same seed gives the same points; the 1-D distributions
//! also give their density `p_data(x)` in closed form (for `D*(x)`).

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Mean of [`ToyDistribution::Gaussian1d`].
pub const GAUSSIAN_MEAN: f32 = 4.0;
/// Standard deviation of [`ToyDistribution::Gaussian1d`].
pub const GAUSSIAN_STD: f32 = 1.25;
/// Centres of the two components of [`ToyDistribution::Mixture1d`] (equal weights).
pub const MIXTURE_MEANS: [f32; 2] = [-2.0, 2.0];
/// Standard deviation of each component of [`ToyDistribution::Mixture1d`].
pub const MIXTURE_STD: f32 = 0.6;
/// Radius of [`ToyDistribution::Ring2d`].
pub const RING_RADIUS: f32 = 2.0;
/// Standard deviation of each of the ring's eight Gaussians.
pub const RING_STD: f32 = 0.1;

/// A toy data distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToyDistribution {
    /// 1-D: N(4, 1.25²).
    #[default]
    Gaussian1d,
    /// 1-D: ½ N(−2, 0.6²) + ½ N(2, 0.6²).
    Mixture1d,
    /// 2-D: eight Gaussians (σ 0.1) evenly spaced on a circle of radius 2.
    Ring2d,
    /// 2-D: two interleaved half circles with a little noise.
    Moons2d,
    /// 2-D: a two-armed spiral with a little noise.
    Spiral2d,
    /// 2-D: points the user draws (see [`sample_drawn`]); not in [`ToyDistribution::ALL`],
    /// which lists the distributions that need no input.
    Drawn,
}

impl ToyDistribution {
    /// All distributions, in menu order.
    pub const ALL: [ToyDistribution; 5] = [
        ToyDistribution::Gaussian1d,
        ToyDistribution::Mixture1d,
        ToyDistribution::Ring2d,
        ToyDistribution::Moons2d,
        ToyDistribution::Spiral2d,
    ];

    /// Dimension of a sample: 1 or 2.
    pub fn dim(self) -> usize {
        match self {
            ToyDistribution::Gaussian1d | ToyDistribution::Mixture1d => 1,
            _ => 2,
        }
    }

    /// An English name for people (the UI translates it).
    pub fn label(self) -> &'static str {
        match self {
            ToyDistribution::Gaussian1d => "1-D Gaussian",
            ToyDistribution::Mixture1d => "1-D mixture of two Gaussians",
            ToyDistribution::Ring2d => "2-D ring of 8 Gaussians",
            ToyDistribution::Moons2d => "2-D two moons",
            ToyDistribution::Spiral2d => "2-D spiral",
            ToyDistribution::Drawn => "2-D points you draw",
        }
    }

    /// The part of each axis worth drawing: `(lo, hi)`, the same for x and y in 2-D.
    pub fn range(self) -> (f32, f32) {
        match self {
            ToyDistribution::Gaussian1d => (GAUSSIAN_MEAN - 4.0 * GAUSSIAN_STD, GAUSSIAN_MEAN + 4.0 * GAUSSIAN_STD),
            ToyDistribution::Mixture1d => (-5.0, 5.0),
            ToyDistribution::Ring2d => (-3.0, 3.0),
            ToyDistribution::Moons2d => (-2.5, 2.5),
            ToyDistribution::Spiral2d => (-3.0, 3.0),
            ToyDistribution::Drawn => (-3.0, 3.0),
        }
    }

    /// One sample (`dim()` values) from `rng`. [`ToyDistribution::Drawn`] knows no
    /// points here and gives the origin: sample it with [`sample_drawn`].
    pub fn sample_one(self, rng: &mut Rng, out: &mut Vec<f32>) {
        let n = |rng: &mut Rng| rng.normal() as f32;
        match self {
            ToyDistribution::Gaussian1d => out.push(GAUSSIAN_MEAN + GAUSSIAN_STD * n(rng)),
            ToyDistribution::Mixture1d => {
                let c = MIXTURE_MEANS[rng.below(2)];
                out.push(c + MIXTURE_STD * n(rng));
            }
            ToyDistribution::Ring2d => {
                let k = rng.below(8) as f32;
                let a = k * std::f32::consts::TAU / 8.0;
                out.push(RING_RADIUS * a.cos() + RING_STD * n(rng));
                out.push(RING_RADIUS * a.sin() + RING_STD * n(rng));
            }
            ToyDistribution::Moons2d => {
                // scikit-learn's make_moons, centred and scaled by 1.5.
                let t = std::f32::consts::PI * rng.uniform() as f32;
                let (x, y) = if rng.below(2) == 0 {
                    (t.cos(), t.sin())
                } else {
                    (1.0 - t.cos(), 0.5 - t.sin())
                };
                out.push(1.5 * (x - 0.5) + 0.08 * n(rng));
                out.push(1.5 * (y - 0.25) + 0.08 * n(rng));
            }
            ToyDistribution::Spiral2d => {
                // r grows with the angle; the second arm is the first turned by π.
                let t = (rng.uniform() as f32).sqrt() * 2.5 * std::f32::consts::PI;
                let r = 0.2 + t / (2.5 * std::f32::consts::PI) * 2.3;
                let sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
                out.push(sign * r * t.cos() + 0.06 * n(rng));
                out.push(sign * r * t.sin() + 0.06 * n(rng));
            }
            ToyDistribution::Drawn => out.extend([0.0, 0.0]),
        }
    }

    /// `n` samples, flat (`n * dim()` values), the same for the same `rng` state.
    pub fn sample(self, rng: &mut Rng, n: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(n * self.dim());
        for _ in 0..n {
            self.sample_one(rng, &mut out);
        }
        out
    }

    /// The density `p_data(x)` of a 1-D distribution, `None` for 2-D ones.
    pub fn density(self, x: f32) -> Option<f32> {
        match self {
            ToyDistribution::Gaussian1d => Some(normal_pdf(x, GAUSSIAN_MEAN, GAUSSIAN_STD)),
            ToyDistribution::Mixture1d => Some(
                0.5 * normal_pdf(x, MIXTURE_MEANS[0], MIXTURE_STD) + 0.5 * normal_pdf(x, MIXTURE_MEANS[1], MIXTURE_STD),
            ),
            _ => None,
        }
    }

    /// The centres of the data's separate modes (flat, `dim()` values each): the mixture's
    /// two, the ring's eight; empty for data without separate modes.
    pub fn mode_centres(self) -> Vec<f32> {
        match self {
            ToyDistribution::Mixture1d => MIXTURE_MEANS.to_vec(),
            ToyDistribution::Ring2d => (0..8)
                .flat_map(|k| {
                    let a = k as f32 * std::f32::consts::TAU / 8.0;
                    [RING_RADIUS * a.cos(), RING_RADIUS * a.sin()]
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The analytic mean and standard deviation of a 1-D distribution.
    pub fn moments(self) -> Option<(f32, f32)> {
        match self {
            ToyDistribution::Gaussian1d => Some((GAUSSIAN_MEAN, GAUSSIAN_STD)),
            ToyDistribution::Mixture1d => {
                // Var = σ² + spread of the centres around their mean (0).
                let spread = MIXTURE_MEANS.iter().map(|m| m * m).sum::<f32>() / 2.0;
                Some((0.0, (MIXTURE_STD * MIXTURE_STD + spread).sqrt()))
            }
            _ => None,
        }
    }
}

/// Spread of the little Gaussian around each drawn point.
pub const DRAWN_STD: f32 = 0.08;

/// `n` samples of the distribution of drawn 2-D `points` (flat `x, y` pairs): each a
/// randomly chosen point plus N(0, [`DRAWN_STD`]²) noise. No points: the origin.
pub fn sample_drawn(points: &[f32], rng: &mut Rng, n: usize) -> Vec<f32> {
    let count = points.len() / 2;
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        if count == 0 {
            out.extend([0.0, 0.0]);
            continue;
        }
        let i = rng.below(count);
        out.push(points[2 * i] + DRAWN_STD * rng.normal() as f32);
        out.push(points[2 * i + 1] + DRAWN_STD * rng.normal() as f32);
    }
    out
}

/// The normal density N(mean, std²) at `x`.
pub fn normal_pdf(x: f32, mean: f32, std: f32) -> f32 {
    let u = (x - mean) / std;
    (-0.5 * u * u).exp() / (std * (std::f32::consts::TAU).sqrt())
}

/// A Gaussian kernel density estimate of 1-D `samples` at each of `xs`
/// (Silverman's bandwidth, floored at `min_bandwidth`).
pub fn kde(samples: &[f32], xs: &[f32], min_bandwidth: f32) -> Vec<f32> {
    if samples.is_empty() {
        return vec![0.0; xs.len()];
    }
    let n = samples.len() as f32;
    let mean = samples.iter().sum::<f32>() / n;
    let std = (samples.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
    let h = (1.06 * std * n.powf(-0.2)).max(min_bandwidth);
    xs.iter()
        .map(|&x| samples.iter().map(|&s| normal_pdf(x, s, h)).sum::<f32>() / n)
        .collect()
}

/// The data a toy game trains on: a distribution, and the points drawn by the user for
/// [`ToyDistribution::Drawn`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToyData {
    /// The distribution.
    pub dist: ToyDistribution,
    /// The drawn points (flat `x, y` pairs), used by [`ToyDistribution::Drawn`] only.
    pub drawn: std::sync::Arc<[f32]>,
}

impl ToyData {
    /// `dist` with no drawn points.
    pub fn new(dist: ToyDistribution) -> Self {
        Self {
            dist,
            drawn: std::sync::Arc::from(Vec::new()),
        }
    }

    /// `n` samples (flat, [`ToyDistribution::dim`] values each).
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<f32> {
        match self.dist {
            ToyDistribution::Drawn => sample_drawn(&self.drawn, rng, n),
            d => d.sample(rng, n),
        }
    }

    /// A name for people ("ring of 8 Gaussians").
    pub fn name(&self) -> String {
        self.dist.label().to_string()
    }
}
