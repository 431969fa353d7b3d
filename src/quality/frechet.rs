//! The Fréchet distance between two Gaussians fitted to feature vectors:
//! ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½), the distance of the Fréchet inception distance.
//!
//! Tr((Σ₁ Σ₂)^½) is computed as Σ √λᵢ over the eigenvalues of the symmetric matrix
//! Σ₁^½ Σ₂ Σ₁^½ (the same eigenvalues as Σ₁ Σ₂), both square roots by the cyclic Jacobi
//! eigenvalue method in f64 — no linear-algebra dependency, and exact enough for the
//! 128 features of the judge (each decomposition takes a few milliseconds).

/// Mean and covariance of a set of feature vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureStats {
    /// Features per vector.
    pub dim: usize,
    /// Vectors.
    pub n: usize,
    /// The mean, `dim` values.
    pub mean: Vec<f64>,
    /// The covariance (unbiased, n − 1), `dim × dim`, row-major.
    pub cov: Vec<f64>,
}

impl FeatureStats {
    /// The statistics of flat features, `dim` per vector.
    pub fn of(features: &[f32], dim: usize) -> Self {
        let dim = dim.max(1);
        let n = features.len() / dim;
        let mut mean = vec![0.0f64; dim];
        for v in features.chunks_exact(dim) {
            for (m, &x) in mean.iter_mut().zip(v) {
                *m += f64::from(x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut cov = vec![0.0f64; dim * dim];
        let mut centred = vec![0.0f64; dim];
        for v in features.chunks_exact(dim) {
            for ((c, &x), m) in centred.iter_mut().zip(v).zip(&mean) {
                *c = f64::from(x) - m;
            }
            for i in 0..dim {
                let ci = centred[i];
                if ci == 0.0 {
                    continue;
                }
                let row = &mut cov[i * dim..][..dim];
                for (r, &cj) in row.iter_mut().zip(&centred).skip(i) {
                    *r += ci * cj;
                }
            }
        }
        let denom = n.saturating_sub(1).max(1) as f64;
        for i in 0..dim {
            for j in i..dim {
                let v = cov[i * dim + j] / denom;
                cov[i * dim + j] = v;
                cov[j * dim + i] = v;
            }
        }
        Self { dim, n, mean, cov }
    }
}

/// The Fréchet distance between the Gaussians of `a` and `b` (same `dim`; NaN otherwise).
pub fn frechet_distance(a: &FeatureStats, b: &FeatureStats) -> f64 {
    if a.dim != b.dim {
        return f64::NAN;
    }
    let d = a.dim;
    let mean_term: f64 = a.mean.iter().zip(&b.mean).map(|(x, y)| (x - y).powi(2)).sum();
    let trace = |m: &[f64]| (0..d).map(|i| m[i * d + i]).sum::<f64>();
    let root_a = sqrt_psd(&a.cov, d);
    let m = matmul(&matmul(&root_a, &b.cov, d), &root_a, d);
    let (eig, _) = jacobi_eigen(&symmetrised(&m, d), d);
    let cross: f64 = eig.iter().map(|&l| l.max(0.0).sqrt()).sum();
    (mean_term + trace(&a.cov) + trace(&b.cov) - 2.0 * cross).max(0.0)
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            if aik == 0.0 {
                continue;
            }
            let (row, brow) = (&mut out[i * d..][..d], &b[k * d..][..d]);
            for (o, &bv) in row.iter_mut().zip(brow) {
                *o += aik * bv;
            }
        }
    }
    out
}

fn symmetrised(m: &[f64], d: usize) -> Vec<f64> {
    let mut s = m.to_vec();
    for i in 0..d {
        for j in i + 1..d {
            let v = 0.5 * (m[i * d + j] + m[j * d + i]);
            s[i * d + j] = v;
            s[j * d + i] = v;
        }
    }
    s
}

/// The symmetric square root of a positive semi-definite matrix (negative eigenvalues from
/// rounding are taken as 0).
pub fn sqrt_psd(m: &[f64], d: usize) -> Vec<f64> {
    let (eig, v) = jacobi_eigen(m, d);
    let mut out = vec![0.0; d * d];
    for (k, &l) in eig.iter().enumerate() {
        let r = l.max(0.0).sqrt();
        if r == 0.0 {
            continue;
        }
        for i in 0..d {
            let vik = v[i * d + k] * r;
            for j in 0..d {
                out[i * d + j] += vik * v[j * d + k];
            }
        }
    }
    out
}

/// Eigenvalues and eigenvectors (columns of the second result, row-major) of a symmetric
/// `d × d` matrix, by cyclic Jacobi rotations until the off-diagonal part is negligible.
pub fn jacobi_eigen(m: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = m.to_vec();
    let mut v = vec![0.0; d * d];
    (0..d).for_each(|i| v[i * d + i] = 1.0);
    let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..60 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j].powi(2))
            .sum::<f64>()
            .sqrt();
        if off <= 1e-13 * norm.max(1e-300) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let (app, aqq) = (a[p * d + p], a[q * d + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← Jᵀ A J on rows and columns p, q.
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_recovers_known_eigenvalues_and_the_square_root_squares_back() {
        // A = Q diag(4, 1, 0.25) Qᵀ for a rotation Q.
        let (c, s) = (0.6f64, 0.8f64);
        let q = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        let diag = [4.0, 1.0, 0.25];
        let mut a = vec![0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                a[i * 3 + j] = (0..3).map(|k| q[i * 3 + k] * diag[k] * q[j * 3 + k]).sum();
            }
        }
        let (mut eig, _) = jacobi_eigen(&a, 3);
        eig.sort_by(f64::total_cmp);
        for (e, want) in eig.iter().zip([0.25, 1.0, 4.0]) {
            assert!((e - want).abs() < 1e-10, "{eig:?}");
        }
        let r = sqrt_psd(&a, 3);
        let back = matmul(&r, &r, 3);
        for (x, y) in back.iter().zip(&a) {
            assert!((x - y).abs() < 1e-10);
        }
    }

    #[test]
    fn the_frechet_distance_of_gaussians_matches_the_closed_form() {
        // 1-D: (μ1 − μ2)² + (σ1 − σ2)².
        let a = FeatureStats {
            dim: 1,
            n: 2,
            mean: vec![1.0],
            cov: vec![4.0],
        };
        let b = FeatureStats {
            dim: 1,
            n: 2,
            mean: vec![-1.0],
            cov: vec![1.0],
        };
        assert!((frechet_distance(&a, &b) - (4.0 + 1.0)).abs() < 1e-12);
        assert!(frechet_distance(&a, &a).abs() < 1e-9);
        // Diagonal covariances: Σ over dimensions.
        let a = FeatureStats {
            dim: 2,
            n: 2,
            mean: vec![0.0, 0.0],
            cov: vec![9.0, 0.0, 0.0, 1.0],
        };
        let b = FeatureStats {
            dim: 2,
            n: 2,
            mean: vec![3.0, 0.0],
            cov: vec![1.0, 0.0, 0.0, 4.0],
        };
        let want = 9.0 + (3.0f64 - 1.0).powi(2) + (1.0f64 - 2.0).powi(2);
        assert!((frechet_distance(&a, &b) - want).abs() < 1e-9);
    }

    #[test]
    fn feature_stats_are_the_sample_mean_and_covariance() {
        let s = FeatureStats::of(&[1.0, 2.0, 3.0, 6.0], 2);
        assert_eq!(s.mean, vec![2.0, 4.0]);
        assert_eq!(s.cov, vec![2.0, 4.0, 4.0, 8.0]);
    }
}
