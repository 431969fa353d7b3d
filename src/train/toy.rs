//! The toy game: Algorithm 1 of Goodfellow et al. (2014) on 1-D and 2-D toy data
//! with the small MLPs of [`crate::nets::toy`], plus everything the game view draws.
//!
//! A separate small trainer, next to [`super::Trainer`]: the image trainer is built
//! around 28×28 datasets, so the toy game has its own data stream and networks but
//! the same losses ([`super::loss`]), the same optimizers ([`super::Optimizer`]),
//! the same step structure (k discriminator updates, then one generator update)
//! and the same seeded [`Rng`]. Each update reports D's scores on its batch before
//! and after, so the UI can say what just happened with the actual numbers.
//! [`ToyTrainer::frame`] computes a [`ToyFrame`]: plain vectors (densities, D's
//! curve or heat map, generator samples and their gradient arrows) for the view.

use candle_core::{Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use super::loss::{GeneratorLoss, discriminator_loss, generator_loss};
use super::optim::{Optimizer, OptimizerConfig};
use super::trainer::TrainError;
use crate::data::toy::{ToyDistribution, kde, sample_drawn};
use crate::family::gan::sigmoid_vec;
use crate::nets::toy::ToyGan;
use crate::nets::{is_trainable, sorted_vars};
use crate::rng::Rng;

/// Points of the 1-D curves (density, D, D*) across the plotted range.
pub const CURVE_POINTS: usize = 201;
/// Generator samples drawn for the view (from a fixed set of z).
pub const VIEW_FAKES_1D: usize = 2000;
/// Generator and data points drawn in the 2-D view.
pub const VIEW_POINTS_2D: usize = 400;
/// Cells per side of the 2-D heat map of D.
pub const HEAT_SIDE: usize = 40;
/// Evenly spaced z values whose images G(z) the 1-D view draws as lines.
pub const Z_LINES: usize = 11;
/// The z range of those lines.
pub const Z_LINE_RANGE: (f32, f32) = (-2.5, 2.5);

/// Hyperparameters of the toy game.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToyConfig {
    /// The data.
    pub dist: ToyDistribution,
    /// Points per batch (real and fake each).
    pub batch_size: usize,
    /// Discriminator updates per generator update.
    pub k: usize,
    /// The generator's objective.
    pub g_loss: GeneratorLoss,
    /// Generator learning rate (Adam, β1 0.5).
    pub lr_g: f64,
    /// Discriminator learning rate (Adam, β1 0.5).
    pub lr_d: f64,
    /// Seed of the weights, every batch and z.
    pub seed: u64,
}

impl Default for ToyConfig {
    fn default() -> Self {
        Self {
            dist: ToyDistribution::Gaussian1d,
            batch_size: 128,
            k: 1,
            g_loss: GeneratorLoss::NonSaturating,
            lr_g: 1e-3,
            lr_d: 1e-3,
            seed: 0,
        }
    }
}

impl ToyConfig {
    /// Size of z: 1 for 1-D data, 2 for 2-D data.
    pub fn latent_dim(&self) -> usize {
        self.dist.dim()
    }

    /// Checks the values make sense.
    pub fn validate(&self) -> Result<(), TrainError> {
        super::trainer::check_schedule(self.batch_size, "", self.k, [self.lr_g, self.lr_d])
    }

    fn optimizer(lr: f64) -> OptimizerConfig {
        OptimizerConfig {
            lr,
            ..OptimizerConfig::default()
        }
    }
}

/// What one discriminator update did, measured on its own batch.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ToyDReport {
    /// D's loss before the update.
    pub loss: f32,
    /// Mean D(x) on the real batch before the update.
    pub real_before: f32,
    /// Mean D(x) on the same real batch after it.
    pub real_after: f32,
    /// Mean D(G(z)) on the fake batch before the update.
    pub fake_before: f32,
    /// Mean D(G(z)) on the same fake batch after it.
    pub fake_after: f32,
}

/// What one generator update did, measured on its own z.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ToyGReport {
    /// G's loss before the update.
    pub loss: f32,
    /// Mean D(G(z)) before the update.
    pub fake_before: f32,
    /// Mean D(G(z)) for the same z after it (D unchanged).
    pub fake_after: f32,
    /// Mean distance the samples G(z) moved.
    pub moved: f32,
}

/// The last update, for the caption under the view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ToyUpdate {
    /// A lone discriminator update.
    Discriminator(ToyDReport),
    /// A lone generator update.
    Generator(ToyGReport),
    /// A whole iteration: `k` discriminator updates (the last one reported), then a generator update.
    Iteration {
        /// Discriminator updates in the iteration.
        k: usize,
        /// The last discriminator update.
        d: ToyDReport,
        /// The generator update.
        g: ToyGReport,
    },
}

/// Everything the game view draws, as plain vectors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToyFrame {
    /// The toy run (increases on every new game).
    pub run: u64,
    /// The data.
    pub dist: ToyDistribution,
    /// Iterations of Algorithm 1 completed.
    pub step: u64,
    /// Discriminator updates applied.
    pub d_updates: u64,
    /// Generator updates applied.
    pub g_updates: u64,
    /// Plotted range of each axis.
    pub range: (f32, f32),
    /// 1-D: the x positions of the curves ([`CURVE_POINTS`]); empty in 2-D.
    pub xs: Vec<f32>,
    /// 1-D: p_data(x) at `xs`.
    pub p_data: Vec<f32>,
    /// 1-D: a kernel density estimate of G's samples at `xs`.
    pub p_g: Vec<f32>,
    /// 1-D: D(x) at `xs`.
    pub d_curve: Vec<f32>,
    /// 1-D: the optimal discriminator p_data / (p_data + p_g) at `xs` (NaN where both vanish).
    pub d_star: Vec<f32>,
    /// 1-D: `(z, G(z))` for [`Z_LINES`] evenly spaced z.
    pub z_map: Vec<[f32; 2]>,
    /// Data points (`dim` values each, flat).
    pub real: Vec<f32>,
    /// Generator samples from a fixed set of z (`dim` values each, flat).
    pub fake: Vec<f32>,
    /// 2-D: −∂L_G/∂x for each fake point (the way G's update pushes it), flat.
    pub arrows: Vec<f32>,
    /// 2-D: D(x) on a [`HEAT_SIDE`]² grid of cell centres, row by row from the bottom.
    pub heat: Vec<f32>,
    /// Mean of G's samples, per dimension.
    pub g_mean: Vec<f32>,
    /// Standard deviation of G's samples, per dimension.
    pub g_std: Vec<f32>,
    /// The update that led here, if the last thing done was an update.
    pub last: Option<ToyUpdate>,
    /// The latest game event of this game (D wins, collapse, equilibrium), if any.
    pub event: Option<crate::classroom::events::GameEvent>,
}

/// The toy GAN, its optimizers and its random stream.
pub struct ToyTrainer {
    gan: ToyGan,
    opt_g: Optimizer,
    opt_d: Optimizer,
    rng: Rng,
    config: ToyConfig,
    step: u64,
    d_updates: u64,
    g_updates: u64,
    view_z: Vec<f32>,
    view_real: Vec<f32>,
    /// The points of [`ToyDistribution::Drawn`] (flat `x, y` pairs).
    drawn: std::sync::Arc<[f32]>,
}

impl std::fmt::Debug for ToyTrainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToyTrainer")
            .field("config", &self.config)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

fn trainable(vars: &candle_nn::VarMap) -> Vec<(String, Var)> {
    sorted_vars(vars).into_iter().filter(|(n, _)| is_trainable(n)).collect()
}

fn mean(v: &[f32]) -> f32 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f32>() / v.len() as f32
    }
}

/// Per-dimension mean and standard deviation of flat points.
pub fn moments(points: &[f32], dim: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (points.len() / dim.max(1)).max(1) as f32;
    let mut m = vec![0.0f32; dim];
    let mut s = vec![0.0f32; dim];
    for p in points.chunks_exact(dim) {
        for (a, x) in m.iter_mut().zip(p) {
            *a += x / n;
        }
    }
    for p in points.chunks_exact(dim) {
        for ((a, x), mu) in s.iter_mut().zip(p).zip(&m) {
            *a += (x - mu).powi(2) / n;
        }
    }
    (m, s.into_iter().map(f32::sqrt).collect())
}

impl ToyTrainer {
    /// A fresh game: weights, batches and the view's fixed z from `config.seed`.
    pub fn new(config: ToyConfig, device: &Device) -> Result<Self, TrainError> {
        config.validate()?;
        let gan = ToyGan::new(config.latent_dim(), config.dist.dim(), config.seed, device)?;
        let opt_g = Optimizer::new(ToyConfig::optimizer(config.lr_g), trainable(&gan.g_vars))?;
        let opt_d = Optimizer::new(ToyConfig::optimizer(config.lr_d), trainable(&gan.d_vars))?;
        let mut view = Rng::derive(config.seed, "toy.view");
        let n_view = if config.dist.dim() == 1 {
            VIEW_FAKES_1D
        } else {
            VIEW_POINTS_2D
        };
        let view_z = view.normal_vec(n_view * config.latent_dim());
        let view_real = config.dist.sample(&mut view, n_view);
        Ok(Self {
            gan,
            opt_g,
            opt_d,
            rng: Rng::derive(config.seed, "toy.train"),
            config,
            step: 0,
            d_updates: 0,
            g_updates: 0,
            view_z,
            view_real,
            drawn: std::sync::Arc::from(Vec::new()),
        })
    }

    /// `n` samples of the data: the distribution's, or the drawn points'.
    fn sample_data(&self, rng: &mut Rng, n: usize) -> Vec<f32> {
        match self.config.dist {
            ToyDistribution::Drawn => sample_drawn(&self.drawn, rng, n),
            d => d.sample(rng, n),
        }
    }

    /// The points [`ToyDistribution::Drawn`] trains on (flat `x, y` pairs; an odd
    /// last value is ignored). The view's data points follow them.
    pub fn set_drawn(&mut self, points: std::sync::Arc<[f32]>) {
        self.drawn = points;
        if self.config.dist == ToyDistribution::Drawn {
            let mut view = Rng::derive(self.config.seed, "toy.view.drawn");
            self.view_real = sample_drawn(&self.drawn, &mut view, VIEW_POINTS_2D);
        }
    }

    /// The networks.
    pub fn gan(&self) -> &ToyGan {
        &self.gan
    }
    /// The hyperparameters.
    pub fn config(&self) -> ToyConfig {
        self.config
    }
    /// Iterations completed.
    pub fn step(&self) -> u64 {
        self.step
    }
    /// Discriminator and generator updates applied.
    pub fn updates(&self) -> (u64, u64) {
        (self.d_updates, self.g_updates)
    }

    /// Changes k, the loss and the learning rates between steps (the data and seed need a new game).
    pub fn set_config(&mut self, mut config: ToyConfig) -> Result<(), TrainError> {
        config.validate()?;
        config.dist = self.config.dist;
        config.seed = self.config.seed;
        self.opt_g.set_config(ToyConfig::optimizer(config.lr_g))?;
        self.opt_d.set_config(ToyConfig::optimizer(config.lr_d))?;
        self.config = config;
        Ok(())
    }

    fn points(&self, flat: Vec<f32>) -> candle_core::Result<Tensor> {
        let dim = self.config.dist.dim();
        let n = flat.len() / dim;
        Tensor::from_vec(flat, (n, dim), &self.gan.device)
    }

    fn latent_batch(&mut self) -> candle_core::Result<Tensor> {
        let (b, l) = (self.config.batch_size, self.config.latent_dim());
        Tensor::from_vec(self.rng.normal_vec(b * l), (b, l), &self.gan.device)
    }

    fn d_probs(&self, x: &Tensor) -> candle_core::Result<Vec<f32>> {
        sigmoid_vec(&self.gan.logits(&x.detach())?)
    }

    /// One discriminator update: raise D on a real batch, lower it on a fake batch.
    pub fn d_step(&mut self) -> Result<ToyDReport, TrainError> {
        let mut rng = std::mem::replace(&mut self.rng, Rng::new(0));
        let real = self.sample_data(&mut rng, self.config.batch_size);
        self.rng = rng;
        let real = self.points(real)?;
        let z = self.latent_batch()?;
        // G's output as a constant: this update reads G but never changes it.
        let fake = self.gan.generate(&z)?.detach();
        let real_logits = self.gan.logits(&real)?;
        let fake_logits = self.gan.logits(&fake)?;
        let loss = discriminator_loss(&real_logits, &fake_logits)?;
        let d_loss = loss.to_scalar::<f32>()?;
        TrainError::check_finite("discriminator loss", d_loss, self.step)?;
        let grads = loss.backward()?;
        self.opt_d.step(&grads)?;
        self.d_updates += 1;
        Ok(ToyDReport {
            loss: d_loss,
            real_before: mean(&sigmoid_vec(&real_logits)?),
            real_after: mean(&self.d_probs(&real)?),
            fake_before: mean(&sigmoid_vec(&fake_logits)?),
            fake_after: mean(&self.d_probs(&fake)?),
        })
    }

    /// One generator update: move G's samples up D's slope (D is not changed).
    pub fn g_step(&mut self) -> Result<ToyGReport, TrainError> {
        let z = self.latent_batch()?;
        let fake = self.gan.generate(&z)?;
        let fake_logits = self.gan.logits(&fake)?;
        let loss = generator_loss(&fake_logits, self.config.g_loss)?;
        let g_loss = loss.to_scalar::<f32>()?;
        TrainError::check_finite("generator loss", g_loss, self.step)?;
        let grads = loss.backward()?;
        // Only G's variables are in this optimizer: D's gradients are dropped.
        self.opt_g.step(&grads)?;
        self.g_updates += 1;
        let before = fake.detach().flatten_all()?.to_vec1::<f32>()?;
        let fake_after = self.gan.generate(&z)?.detach();
        let after = fake_after.flatten_all()?.to_vec1::<f32>()?;
        let dim = self.config.dist.dim();
        let moved = mean(
            &before
                .chunks_exact(dim)
                .zip(after.chunks_exact(dim))
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>().sqrt())
                .collect::<Vec<_>>(),
        );
        Ok(ToyGReport {
            loss: g_loss,
            fake_before: mean(&sigmoid_vec(&fake_logits)?),
            fake_after: mean(&self.d_probs(&fake_after)?),
            moved,
        })
    }

    /// One iteration of Algorithm 1: `k` discriminator updates, then one generator update.
    pub fn iteration(&mut self) -> Result<ToyUpdate, TrainError> {
        let mut d = ToyDReport::default();
        for _ in 0..self.config.k {
            d = self.d_step()?;
        }
        let g = self.g_step()?;
        self.step += 1;
        Ok(ToyUpdate::Iteration { k: self.config.k, d, g })
    }

    /// G(z) for flat latent vectors (`latent_dim` each).
    pub fn generate(&self, z: &[f32]) -> Result<Vec<f32>, TrainError> {
        let l = self.config.latent_dim();
        let zt = Tensor::from_slice(z, (z.len() / l, l), &self.gan.device)?;
        Ok(self.gan.generate(&zt)?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// D(x) for flat points (`dim` values each).
    pub fn discriminate(&self, x: &[f32]) -> Result<Vec<f32>, TrainError> {
        Ok(self.d_probs(&self.points(x.to_vec())?)?)
    }

    /// `n` fresh generator samples (from the training stream's own seeded z).
    pub fn sample(&mut self, n: usize) -> Result<Vec<f32>, TrainError> {
        let z = self.rng.normal_vec(n * self.config.latent_dim());
        self.generate(&z)
    }

    /// −∂L_G/∂x at each of the flat points `x`: the direction G's update pushes a
    /// sample there (scaled by the batch size, so it is per sample, not per mean).
    pub fn generator_push(&self, x: &[f32]) -> Result<Vec<f32>, TrainError> {
        let xt = Var::from_tensor(&self.points(x.to_vec())?)?;
        let logits = self.gan.logits(xt.as_tensor())?;
        let n = logits.dim(0)? as f64;
        let loss = generator_loss(&logits, self.config.g_loss)?;
        let grads = loss.backward()?;
        let Some(g) = grads.get(xt.as_tensor()) else {
            return Ok(vec![0.0; x.len()]);
        };
        Ok((g * (-n))?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// Everything the view draws, for the current weights.
    pub fn frame(&self, run: u64, last: Option<ToyUpdate>) -> Result<ToyFrame, TrainError> {
        let dist = self.config.dist;
        let dim = dist.dim();
        let (lo, hi) = dist.range();
        let fake = self.generate(&self.view_z)?;
        let (g_mean, g_std) = moments(&fake, dim);
        let mut f = ToyFrame {
            run,
            dist,
            step: self.step,
            d_updates: self.d_updates,
            g_updates: self.g_updates,
            range: (lo, hi),
            g_mean,
            g_std,
            last,
            ..ToyFrame::default()
        };
        if dim == 1 {
            let xs: Vec<f32> = (0..CURVE_POINTS)
                .map(|i| lo + (hi - lo) * i as f32 / (CURVE_POINTS - 1) as f32)
                .collect();
            f.p_data = xs.iter().map(|&x| dist.density(x).unwrap_or(0.0)).collect();
            f.p_g = kde(&fake, &xs, (hi - lo) / 200.0);
            f.d_curve = self.discriminate(&xs)?;
            f.d_star = f
                .p_data
                .iter()
                .zip(&f.p_g)
                .map(|(&p, &q)| if p + q > 1e-4 { p / (p + q) } else { f32::NAN })
                .collect();
            let (z0, z1) = Z_LINE_RANGE;
            let zs: Vec<f32> = (0..Z_LINES)
                .map(|i| z0 + (z1 - z0) * i as f32 / (Z_LINES - 1) as f32)
                .collect();
            let gz = self.generate(&zs)?;
            f.z_map = zs.iter().zip(&gz).map(|(&z, &x)| [z, x]).collect();
            f.xs = xs;
            f.real = self.view_real.iter().take(400).copied().collect();
        } else {
            let cell = (hi - lo) / HEAT_SIDE as f32;
            let mut grid = Vec::with_capacity(HEAT_SIDE * HEAT_SIDE * 2);
            for r in 0..HEAT_SIDE {
                for c in 0..HEAT_SIDE {
                    grid.push(lo + (c as f32 + 0.5) * cell);
                    grid.push(lo + (r as f32 + 0.5) * cell);
                }
            }
            f.heat = self.discriminate(&grid)?;
            f.arrows = self.generator_push(&fake)?;
            f.real = self.view_real.clone();
        }
        f.fake = fake;
        Ok(f)
    }
}
