//! The latent plane decoded as a grid of images (the "manifold view").
//!
//! For a model with z of size 2 the plane is the whole latent space; for larger z
//! it is the plane through a base point spanned by two directions. Rows run from
//! +extent at the top to −extent at the bottom, columns from −extent to +extent,
//! as on a chart.

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
    /// The grid spans [−extent, extent] along `u` and `v`.
    pub extent: f32,
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
        }
    }

    /// The plane coordinates `(a, b)` of cell `(row, col)`.
    pub fn coords(&self, row: usize, col: usize) -> (f32, f32) {
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
        let step = 2.0 * self.extent / (self.side - 1) as f32;
        let idx = |t: f32| (((t + self.extent) / step).round().max(0.0) as usize).min(self.side - 1);
        (self.side - 1 - idx(b), idx(a))
    }

    /// Whether two planes differ only by rounding (same grid, vectors within 1e-4).
    pub fn approx_eq(&self, other: &Plane) -> bool {
        let close = |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4);
        self.side == other.side
            && self.extent == other.extent
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

#[cfg(test)]
mod tests {
    use super::*;

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
