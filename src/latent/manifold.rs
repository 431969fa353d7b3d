//! The latent plane decoded as a grid of images (the "manifold view").
//!
//! For a model with z of size 2 the plane is the whole latent space; for larger z
//! it is the plane through a base point spanned by two directions. Rows run from
//! +extent at the top to −extent at the bottom, columns from −extent to +extent,
//! as on a chart. With [`Plane::quantiles`] the cells sit instead at the quantiles of
//! N(0, 1), (i + ½)/side, as in the VAE paper's figure of a 2-D manifold (Kingma &
//! Welling 2014, figure 4): each cell then covers the same prior probability.

use super::Model;

/// A square grid of points on a plane of latent space.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// The centre.
    pub base: Vec<f32>,
    /// The horizontal direction.
    pub u: Vec<f32>,
    /// The vertical direction.
    pub v: Vec<f32>,
    /// Cells per side.
    pub side: usize,
    /// The grid spans [−extent, extent] along `u` and `v` (evenly spaced cells).
    pub extent: f32,
    /// Cells at N(0, 1)'s quantiles instead of evenly spaced (`extent` is then unused).
    pub quantiles: bool,
}

impl Plane {
    /// The whole plane of a 2-D latent space: z₀ across, z₁ up.
    pub fn latent_2d(side: usize, extent: f32) -> Self {
        Self {
            base: vec![0.0, 0.0],
            u: vec![1.0, 0.0],
            v: vec![0.0, 1.0],
            side: side.max(2),
            extent,
            quantiles: false,
        }
    }

    /// This plane with its cells at N(0, 1)'s quantiles (`true`) or evenly spaced.
    pub fn with_quantiles(mut self, quantiles: bool) -> Self {
        self.quantiles = quantiles;
        self
    }

    /// The plane coordinates `(a, b)` of cell `(row, col)`.
    pub fn coords(&self, row: usize, col: usize) -> (f32, f32) {
        if self.quantiles {
            let q = |i: usize| normal_quantile((i as f64 + 0.5) / self.side as f64) as f32;
            return (q(col), -q(row));
        }
        let step = 2.0 * self.extent / (self.side - 1) as f32;
        (-self.extent + col as f32 * step, self.extent - row as f32 * step)
    }

    /// The latent vector at plane coordinates `(a, b)`.
    pub fn at(&self, a: f32, b: f32) -> Vec<f32> {
        self.base
            .iter()
            .zip(&self.u)
            .zip(&self.v)
            .map(|((&z, &u), &v)| z + a * u + b * v)
            .collect()
    }

    /// The cell nearest to plane coordinates `(a, b)` (clamped to the grid).
    pub fn cell_of(&self, a: f32, b: f32) -> (usize, usize) {
        if self.quantiles {
            let idx =
                |t: f32| ((normal_cdf(f64::from(t)) * self.side as f64).floor().max(0.0) as usize).min(self.side - 1);
            return (self.side - 1 - idx(b), idx(a));
        }
        let step = 2.0 * self.extent / (self.side - 1) as f32;
        let idx = |t: f32| (((t + self.extent) / step).round().max(0.0) as usize).min(self.side - 1);
        (self.side - 1 - idx(b), idx(a))
    }

    /// Whether two planes differ only by rounding (same grid, vectors within 1e-4).
    pub fn approx_eq(&self, other: &Plane) -> bool {
        let close = |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4);
        self.side == other.side
            && self.extent == other.extent
            && self.quantiles == other.quantiles
            && close(&self.base, &other.base)
            && close(&self.u, &other.u)
            && close(&self.v, &other.v)
    }

    /// Every cell's latent vector, row by row (flat).
    pub fn all_z(&self) -> Vec<f32> {
        (0..self.side)
            .flat_map(|r| (0..self.side).map(move |c| (r, c)))
            .flat_map(|(r, c)| {
                let (a, b) = self.coords(r, c);
                self.at(a, b)
            })
            .collect()
    }

    /// Decodes every cell: `side²` images of 784 bytes, row by row.
    pub fn decode(&self, model: &Model) -> candle_core::Result<Vec<u8>> {
        let l = model.latent_dim();
        if self.base.len() != l || self.u.len() != l || self.v.len() != l {
            candle_core::bail!("the plane is in a {}-D space, the model's is {l}-D", self.base.len());
        }
        let z = self.all_z();
        let mut out = Vec::with_capacity(self.side * self.side * super::PIXELS);
        for chunk in z.chunks(256 * l) {
            out.extend(model.decode(chunk)?);
        }
        Ok(out)
    }
}

/// Φ(x), the standard normal CDF (via erfc, Numerical Recipes' Chebyshev fit, |error| < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

/// Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation, relative error < 1.2e-9), ±∞ at 0 and 1.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_cells_sit_at_the_priors_quantiles_and_clicks_find_them() {
        // Reference values of Φ⁻¹ (any statistics table): 0.975 → 1.959964, 0.5 → 0, 0.1 → −1.281552.
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!(normal_quantile(0.5).abs() < 1e-12);
        assert!((normal_quantile(0.1) + 1.281_552).abs() < 1e-5);
        for x in [-3.0, -1.0, 0.0, 0.4, 2.5] {
            assert!((normal_quantile(normal_cdf(x)) - x).abs() < 1e-4, "Φ⁻¹(Φ({x}))");
        }
        let p = Plane::latent_2d(15, 3.0).with_quantiles(true);
        // The middle cell is z = 0; the first column at Φ⁻¹(0.5/15) ≈ −1.83; rows go down.
        assert_eq!(p.coords(7, 7), (0.0, 0.0));
        assert!((p.coords(0, 0).0 + 1.8339).abs() < 1e-3, "{:?}", p.coords(0, 0));
        assert!(p.coords(0, 0).1 > 1.8 && p.coords(14, 0).1 < -1.8);
        for r in 0..15 {
            for c in 0..15 {
                let (a, b) = p.coords(r, c);
                assert_eq!(p.cell_of(a, b), (r, c));
            }
        }
        assert_eq!(p.cell_of(-10.0, 10.0), (0, 0));
        assert_ne!(p, Plane::latent_2d(15, 3.0));
    }

    #[test]
    fn corners_and_cells_agree() {
        let p = Plane::latent_2d(5, 3.0);
        assert_eq!(p.coords(0, 0), (-3.0, 3.0));
        assert_eq!(p.coords(4, 4), (3.0, -3.0));
        assert_eq!(p.at(1.5, -0.5), vec![1.5, -0.5]);
        for r in 0..5 {
            for c in 0..5 {
                let (a, b) = p.coords(r, c);
                assert_eq!(p.cell_of(a, b), (r, c));
            }
        }
        assert_eq!(p.cell_of(-10.0, 10.0), (0, 0));
        let z = p.all_z();
        assert_eq!(z.len(), 5 * 5 * 2);
        assert_eq!(&z[..2], &[-3.0, 3.0]);
    }
}
