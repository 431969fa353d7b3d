//! The toy game: Algorithm 1 of Goodfellow et al. (2014) on 1-D and 2-D toy data, plus
//! everything the game view draws.
//!
//! The game is a run of the [`toy-gan`](crate::family::toy) family on the shared
//! [`Trainer`] — the same loop, optimizers, losses, seeded [`Rng`] and step kinds as the
//! image GANs, on [`TrainData::Points`](crate::data::TrainData) instead of images. [`ToyGame`] adds only what the
//! view needs: a fixed set of z and data points to draw, the [`ToyUpdate`] read from each
//! step's named metrics (D's scores on its batch before and after, so the UI can say what
//! just happened with the actual numbers), and [`ToyGame::frame`]: plain vectors
//! (densities, D's curve or heat map, generator samples and their gradient arrows).

use candle_core::Device;
use serde::{Deserialize, Serialize};

use super::loss::GeneratorLoss;
use super::optim::OptimizerConfig;
use super::trainer::{TrainConfig, TrainError, Trainer};
use crate::data::toy::{ToyData, ToyDistribution, kde};
use crate::family::toy::{TOY_GAN, ToySettings, metric};
use crate::family::{Family, ITERATION, ModelSpec, PointSeam, StepOutput, to_json};
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

/// A toy game: a run of the toy GAN on the shared trainer, and the fixed points its view draws.
pub struct ToyGame {
    trainer: Trainer,
    dist: ToyDistribution,
    view_z: Vec<f32>,
    view_real: Vec<f32>,
    /// Draws of [`ToyGame::sample`] (apart from the training stream).
    sample_rng: Rng,
    /// How many points the user has drawn (for [`ToyDistribution::Drawn`]).
    drawn_points: usize,
}

impl std::fmt::Debug for ToyGame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToyGame")
            .field("config", &self.config())
            .field("step", &self.trainer.step())
            .finish_non_exhaustive()
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

impl ToyConfig {
    /// The toy GAN's spec: the distribution, k and the loss.
    pub fn spec(&self) -> ModelSpec {
        ModelSpec {
            family: TOY_GAN.id().to_string(),
            config: to_json(&ToySettings {
                dist: self.dist,
                k: self.k,
                g_loss: self.g_loss,
            }),
        }
    }

    /// The trainer's settings: batch, seed, and Adam for G and D at their learning rates.
    pub fn train_config(&self) -> TrainConfig {
        let adam = |lr| OptimizerConfig {
            lr,
            ..TOY_GAN.default_optimizer()
        };
        TrainConfig {
            batch_size: self.batch_size,
            seed: self.seed,
            optimizers: [("g".to_string(), adam(self.lr_g)), ("d".to_string(), adam(self.lr_d))].into(),
        }
    }

    /// Checks the values make sense (as the trainer would).
    pub fn validate(&self) -> Result<(), TrainError> {
        TOY_GAN.normalize(&self.spec().config)?;
        self.train_config().validate(&TOY_GAN)
    }
}

impl ToyUpdate {
    /// What the step `kind` of the toy GAN did, read from its named metrics (`k` is the
    /// iteration's number of D updates). `None` for a step that reported no update.
    pub fn from_output(kind: &str, k: usize, out: &StepOutput) -> Option<Self> {
        let v = |i: usize| out.values.get(i).copied().unwrap_or(f32::NAN);
        let d = ToyDReport {
            loss: v(metric::D_LOSS),
            real_before: v(metric::D_REAL),
            real_after: v(metric::D_REAL_AFTER),
            fake_before: v(metric::D_FAKE),
            fake_after: v(metric::D_FAKE_AFTER),
        };
        let g = ToyGReport {
            loss: v(metric::G_LOSS),
            fake_before: v(metric::G_FAKE),
            fake_after: v(metric::G_FAKE_AFTER),
            moved: v(metric::G_MOVED),
        };
        let has_d = !d.loss.is_nan();
        let has_g = !g.loss.is_nan();
        match (kind, has_d, has_g) {
            (ITERATION, true, true) => Some(ToyUpdate::Iteration { k, d, g }),
            ("d", true, _) => Some(ToyUpdate::Discriminator(d)),
            ("g", _, true) => Some(ToyUpdate::Generator(g)),
            _ => None,
        }
    }
}

impl ToyGame {
    /// A fresh game: weights, batches and the view's fixed z from `config.seed`.
    pub fn new(config: ToyConfig, device: &Device) -> Result<Self, TrainError> {
        config.validate()?;
        let trainer = Trainer::new(&config.spec(), config.train_config(), ToyData::new(config.dist), device)?;
        let mut view = Rng::derive(config.seed, "toy.view");
        let n_view = if config.dist.dim() == 1 {
            VIEW_FAKES_1D
        } else {
            VIEW_POINTS_2D
        };
        let view_z = view.normal_vec(n_view * config.latent_dim());
        let view_real = config.dist.sample(&mut view, n_view);
        Ok(Self {
            trainer,
            dist: config.dist,
            view_z,
            view_real,
            sample_rng: Rng::derive(config.seed, "toy.sample"),
            drawn_points: 0,
        })
    }

    /// The run on the shared trainer.
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }
    /// The run, to step it.
    pub fn trainer_mut(&mut self) -> &mut Trainer {
        &mut self.trainer
    }

    fn seam(&self) -> Result<&dyn PointSeam, TrainError> {
        self.trainer
            .model()
            .points()
            .ok_or_else(|| TrainError::Config("the toy game's model has no view on points".into()))
    }

    fn settings(&self) -> ToySettings {
        serde_json::from_value(self.trainer.model().config()).unwrap_or_default()
    }

    /// The points [`ToyDistribution::Drawn`] trains on (flat `x, y` pairs; an odd
    /// last value is ignored). The view's data points follow them.
    pub fn set_drawn(&mut self, points: std::sync::Arc<[f32]>) -> Result<(), TrainError> {
        let data = ToyData {
            dist: self.dist,
            drawn: points,
        };
        self.drawn_points = data.drawn.len() / 2;
        if self.dist == ToyDistribution::Drawn {
            let mut view = Rng::derive(self.trainer.config().seed, "toy.view.drawn");
            self.view_real = data.sample(&mut view, VIEW_POINTS_2D);
        }
        self.trainer.set_data(data)
    }

    /// Whether there is data to train on: always, except for drawn data before any point
    /// is drawn (training then would learn the placeholder at the origin).
    pub fn has_data(&self) -> bool {
        self.dist != ToyDistribution::Drawn || self.drawn_points > 0
    }

    /// The hyperparameters.
    pub fn config(&self) -> ToyConfig {
        let s = self.settings();
        let t = self.trainer.config();
        ToyConfig {
            dist: self.dist,
            batch_size: t.batch_size,
            k: s.k,
            g_loss: s.g_loss,
            lr_g: t.optimizer("g").lr,
            lr_d: t.optimizer("d").lr,
            seed: t.seed,
        }
    }
    /// Iterations completed.
    pub fn step(&self) -> u64 {
        self.trainer.step()
    }
    /// Discriminator and generator updates applied.
    pub fn updates(&self) -> (u64, u64) {
        (self.trainer.updates_of("d"), self.trainer.updates_of("g"))
    }

    /// Changes k, the loss and the learning rates between steps (the data and seed need a new game).
    pub fn set_config(&mut self, mut config: ToyConfig) -> Result<(), TrainError> {
        config.dist = self.dist;
        config.seed = self.trainer.config().seed;
        config.validate()?;
        self.trainer.set_config(config.train_config())?;
        self.trainer.set_model_config(&config.spec().config)
    }

    /// Runs the step kind `kind` ("d", "g" or the iteration) and reads what it did.
    pub fn run_step(&mut self, kind: &str) -> Result<ToyUpdate, TrainError> {
        let out = self.trainer.step_kind(kind)?;
        ToyUpdate::from_output(kind, self.settings().k, &out)
            .ok_or_else(|| TrainError::Config(format!("the toy game's step '{kind}' reported no update")))
    }

    /// One discriminator update: raise D on a real batch, lower it on a fake batch.
    pub fn d_step(&mut self) -> Result<ToyDReport, TrainError> {
        match self.run_step("d")? {
            ToyUpdate::Discriminator(d) => Ok(d),
            other => Err(TrainError::Config(format!("a D step reported {other:?}"))),
        }
    }

    /// One generator update: move G's samples up D's slope (D is not changed).
    pub fn g_step(&mut self) -> Result<ToyGReport, TrainError> {
        match self.run_step("g")? {
            ToyUpdate::Generator(g) => Ok(g),
            other => Err(TrainError::Config(format!("a G step reported {other:?}"))),
        }
    }

    /// One iteration of Algorithm 1: `k` discriminator updates, then one generator update.
    pub fn iteration(&mut self) -> Result<ToyUpdate, TrainError> {
        self.run_step(ITERATION)
    }

    /// G(z) for flat latent vectors (`latent_dim` each).
    pub fn generate(&self, z: &[f32]) -> Result<Vec<f32>, TrainError> {
        Ok(self.seam()?.generate(z)?)
    }

    /// D(x) for flat points (`dim` values each).
    pub fn discriminate(&self, x: &[f32]) -> Result<Vec<f32>, TrainError> {
        Ok(self.seam()?.discriminate(x)?)
    }

    /// `n` fresh generator samples (from a seeded stream of the game's own, apart from the
    /// training stream).
    pub fn sample(&mut self, n: usize) -> Result<Vec<f32>, TrainError> {
        let z = self.sample_rng.normal_vec(n * self.dist.dim());
        self.generate(&z)
    }

    /// −∂L_G/∂x at each of the flat points `x`: the direction G's update pushes a
    /// sample there (scaled by the batch size, so it is per sample, not per mean).
    pub fn generator_push(&self, x: &[f32]) -> Result<Vec<f32>, TrainError> {
        Ok(self.seam()?.generator_push(x)?)
    }

    /// Every weight of network `net` ("g" or "d"), flat, in sorted name order (for comparisons).
    pub fn weights(&self, net: &str) -> Result<Vec<f32>, TrainError> {
        let nets = self.trainer.model().networks();
        let Some((_, map)) = nets.iter().find(|(n, _)| *n == net) else {
            return Err(TrainError::Config(format!("the toy GAN has no network '{net}'")));
        };
        let mut out = Vec::new();
        for (_, v) in crate::nets::sorted_vars(map) {
            out.extend(v.as_tensor().flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    /// Everything the view draws, for the current weights.
    pub fn frame(&self, run: u64, last: Option<ToyUpdate>) -> Result<ToyFrame, TrainError> {
        let dist = self.dist;
        let dim = dist.dim();
        let (lo, hi) = dist.range();
        let fake = self.generate(&self.view_z)?;
        let (g_mean, g_std) = moments(&fake, dim);
        let mut f = ToyFrame {
            run,
            dist,
            step: self.trainer.step(),
            d_updates: self.trainer.updates_of("d"),
            g_updates: self.trainer.updates_of("g"),
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
