//! The toy GAN (`toy-gan`): Algorithm 1 on points of a 1-D or 2-D toy distribution, the
//! family behind the Game tab. It is a GAN like [`super::gan`] — networks `g` and `d`, one
//! optimizer each, the steps "D step", "G step" and the iteration — trained by the same
//! [`Trainer`](crate::train::Trainer) loop on [`TrainData::Points`](crate::data::TrainData)
//! instead of images, with the small MLPs of [`crate::nets::toy`].
//!
//! Each update also measures D's verdicts on its own batch after the update and how far
//! G's samples moved, so the game can say what just happened with the actual numbers
//! (metrics `*_after` and `g_moved`). Its view of G and D on points is its
//! [`PointSeam`]; the game's frames ([`crate::train::toy`]) are drawn from it.

use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use super::gan::{
    D_FAKE_MEAN, D_LOSS, D_OUTPUTS_CHART, D_REAL_MEAN, FAKE_COLOR, G_LOSS, GROUP_D, GROUP_G, GROUPS, LOSSES_CHART,
    REAL_COLOR, STEP_D, STEP_G, STEPS, VECTORS, sigmoid_vec,
};
use super::{
    ChartDef, Declaration, Family, FamilyModel, Input, MetricDef, PointSeam, Seams, StepCtx, StepOutput, to_json,
};
use crate::data::toy::ToyDistribution;
use crate::nets::toy::ToyGan;
use crate::train::loss::{GeneratorLoss, discriminator_loss, generator_loss};
use crate::train::metrics::mean;
use crate::train::{OptimizerConfig, TrainError};

/// The toy GAN's settings. `k` and the loss may change between steps; the distribution
/// fixes the size of a point (1 or 2) and of z.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToySettings {
    /// The data (its dimension is the networks' input or output size).
    pub dist: ToyDistribution,
    /// Discriminator updates per generator update.
    pub k: usize,
    /// The generator's objective.
    pub g_loss: GeneratorLoss,
}

impl Default for ToySettings {
    fn default() -> Self {
        Self {
            dist: ToyDistribution::Gaussian1d,
            k: 1,
            g_loss: GeneratorLoss::NonSaturating,
        }
    }
}

impl super::Settings for ToySettings {
    fn check(&self) -> Result<(), TrainError> {
        if self.k == 0 {
            return Err(TrainError::Config("k must be at least 1".into()));
        }
        if self.k > 100 {
            return Err(TrainError::Config(format!("k = {} is too large (at most 100)", self.k)));
        }
        Ok(())
    }
}

impl ToySettings {
    /// Size of z: 1 for 1-D data, 2 for 2-D data.
    pub fn latent_dim(&self) -> usize {
        self.dist.dim()
    }
}

/// The toy GAN family.
pub struct ToyFamily;

/// The toy GAN.
pub const TOY_GAN: ToyFamily = ToyFamily;

/// Index of each metric in [`METRICS`] (and in every [`StepOutput`] of the family).
pub mod metric {
    /// D's loss before its update.
    pub const D_LOSS: usize = 0;
    /// G's loss before its update.
    pub const G_LOSS: usize = 1;
    /// Mean D(x) on the real batch before D's update.
    pub const D_REAL: usize = 2;
    /// Mean D(G(z)) on the fake batch before D's update.
    pub const D_FAKE: usize = 3;
    /// Mean D(x) on the same real batch after D's update.
    pub const D_REAL_AFTER: usize = 4;
    /// Mean D(G(z)) on the same fake batch after D's update.
    pub const D_FAKE_AFTER: usize = 5;
    /// Mean D(G(z)) on G's batch before G's update.
    pub const G_FAKE: usize = 6;
    /// Mean D(G(z)) for the same z after G's update.
    pub const G_FAKE_AFTER: usize = 7;
    /// Mean distance G's samples moved in its update.
    pub const G_MOVED: usize = 8;
    /// How many there are.
    pub const COUNT: usize = 9;
}

const DECLARATION: Declaration = Declaration {
    id: "toy-gan",
    label: "Toy GAN",
    summary: "Algorithm 1 on 1-D and 2-D toy data, small enough to see everything (the game)",
    option_keys: &[],
    optimizer_groups: GROUPS,
    step_kinds: STEPS,
    metrics: METRICS,
    vectors: VECTORS,
    charts: CHARTS,
    min_batch: (2, ""),
    has_encoder: false,
    input: Input::Points,
    conditioning: super::Conditioning::NONE,
};

const METRICS: &[MetricDef] = &[
    D_LOSS,
    G_LOSS,
    D_REAL_MEAN,
    D_FAKE_MEAN,
    MetricDef {
        key: "d_real_after",
        label: "mean D(x) after D's update",
        chart: "d_update",
        color: REAL_COLOR,
    },
    MetricDef {
        key: "d_fake_after",
        label: "mean D(G(z)) after D's update",
        chart: "d_update",
        color: FAKE_COLOR,
    },
    MetricDef {
        key: "g_fake_mean",
        label: "mean D(G(z)) before G's update",
        chart: "g_update",
        color: [200, 150, 60],
    },
    MetricDef {
        key: "g_fake_after",
        label: "mean D(G(z)) after G's update",
        chart: "g_update",
        color: FAKE_COLOR,
    },
    MetricDef {
        key: "g_moved",
        label: "distance G's samples moved",
        chart: "g_update",
        color: [30, 160, 120],
    },
];

const CHARTS: &[ChartDef] = &[
    LOSSES_CHART,
    D_OUTPUTS_CHART,
    ChartDef {
        id: "d_update",
        title: "What D's update did",
        note: None,
        y_range: Some((0.0, 1.0)),
        reference: Some(0.5),
    },
    ChartDef {
        id: "g_update",
        title: "What G's update did",
        note: None,
        y_range: None,
        reference: None,
    },
];

impl Family for ToyFamily {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&ToySettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<ToySettings>(self.id(), config)
    }
    /// Adam with lr 1e-3 (β1 0.5): toy networks are small and the data simple.
    fn default_optimizer(&self) -> OptimizerConfig {
        OptimizerConfig {
            lr: 1e-3,
            ..OptimizerConfig::default()
        }
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: ToySettings = super::checked(self.id(), config)?;
        let gan = ToyGan::new(settings.latent_dim(), settings.dist.dim(), 0, device)?;
        Ok(Box::new(ToyModel { gan, settings }))
    }
}

/// A toy GAN being trained.
pub struct ToyModel {
    gan: ToyGan,
    settings: ToySettings,
}

impl std::fmt::Debug for ToyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToyModel")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ToyModel {
    /// The networks.
    pub fn gan(&self) -> &ToyGan {
        &self.gan
    }

    fn points(&self, flat: Vec<f32>) -> candle_core::Result<Tensor> {
        let dim = self.gan.data_dim;
        let n = flat.len() / dim;
        Tensor::from_vec(flat, (n, dim), &self.gan.device)
    }

    fn d_probs(&self, x: &Tensor) -> candle_core::Result<Vec<f32>> {
        sigmoid_vec(&self.gan.logits(&x.detach())?)
    }

    /// Refuses toy data of another dimension than the networks'.
    fn check_data(&self, ctx: &StepCtx<'_>) -> Result<(), TrainError> {
        match ctx.data.points() {
            Some(p) if p.dist.dim() == self.gan.data_dim => Ok(()),
            Some(p) => Err(TrainError::Config(format!(
                "the toy networks take {}-D points; '{}' is {}-D",
                self.gan.data_dim,
                p.name(),
                p.dist.dim()
            ))),
            None => Err(TrainError::Config(
                "the toy GAN trains on toy points, not images".into(),
            )),
        }
    }

    /// One discriminator update: raise D on a real batch, lower it on a fake batch. Writes
    /// the D entries of `values`; returns D's verdicts on the batch before the update.
    fn d_step(&mut self, ctx: &mut StepCtx<'_>, values: &mut [f32]) -> Result<[Vec<f32>; 2], TrainError> {
        self.check_data(ctx)?;
        let real = ctx.real_points()?;
        let z = ctx.normal(self.settings.latent_dim())?;
        // G's output as a constant: this update reads G but never changes it.
        let fake = self.gan.generate(&z)?.detach();
        let real_logits = self.gan.logits(&real)?;
        let fake_logits = self.gan.logits(&fake)?;
        let loss = discriminator_loss(&real_logits, &fake_logits)?;
        let d_loss = loss.to_scalar::<f32>()?;
        ctx.check_finite("discriminator loss", d_loss)?;
        let grads = loss.backward()?;
        ctx.apply(GROUP_D, &grads)?;
        let (d_real, d_fake) = (sigmoid_vec(&real_logits)?, sigmoid_vec(&fake_logits)?);
        values[metric::D_LOSS] = d_loss;
        values[metric::D_REAL] = mean(&d_real);
        values[metric::D_FAKE] = mean(&d_fake);
        values[metric::D_REAL_AFTER] = mean(&self.d_probs(&real)?);
        values[metric::D_FAKE_AFTER] = mean(&self.d_probs(&fake)?);
        Ok([d_real, d_fake])
    }

    /// One generator update: move G's samples up D's slope (D is not changed). Writes the
    /// G entries of `values`.
    fn g_step(&mut self, ctx: &mut StepCtx<'_>, values: &mut [f32]) -> Result<(), TrainError> {
        let z = ctx.normal(self.settings.latent_dim())?;
        let fake = self.gan.generate(&z)?;
        let fake_logits = self.gan.logits(&fake)?;
        let loss = generator_loss(&fake_logits, self.settings.g_loss)?;
        let g_loss = loss.to_scalar::<f32>()?;
        ctx.check_finite("generator loss", g_loss)?;
        let grads = loss.backward()?;
        // Only G's variables are in this optimizer: D's gradients are dropped.
        ctx.apply(GROUP_G, &grads)?;
        let before = fake.detach().flatten_all()?.to_vec1::<f32>()?;
        let fake_after = self.gan.generate(&z)?.detach();
        let after = fake_after.flatten_all()?.to_vec1::<f32>()?;
        let dim = self.gan.data_dim;
        let moved: Vec<f32> = before
            .chunks_exact(dim)
            .zip(after.chunks_exact(dim))
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>().sqrt())
            .collect();
        values[metric::G_LOSS] = g_loss;
        values[metric::G_FAKE] = mean(&sigmoid_vec(&fake_logits)?);
        values[metric::G_FAKE_AFTER] = mean(&self.d_probs(&fake_after)?);
        values[metric::G_MOVED] = mean(&moved);
        Ok(())
    }
}

impl FamilyModel for ToyModel {
    fn family(&self) -> &'static dyn Family {
        &TOY_GAN
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: ToySettings = super::checked(TOY_GAN.id(), config)?;
        if s.dist.dim() != self.settings.dist.dim() {
            return Err(TrainError::Config(format!(
                "the toy networks take {}-D points; start a new game for {}-D data",
                self.settings.dist.dim(),
                s.dist.dim()
            )));
        }
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        vec![("g", &self.gan.g_vars), ("d", &self.gan.d_vars)]
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        Ok(self.gan.init_weights(seed)?)
    }
    fn step(&mut self, kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let mut values = vec![f32::NAN; metric::COUNT];
        let mut vectors = vec![Vec::new(), Vec::new()];
        match kind {
            STEP_D => vectors = self.d_step(ctx, &mut values)?.into(),
            STEP_G => self.g_step(ctx, &mut values)?,
            _ => {
                for _ in 0..self.settings.k {
                    vectors = self.d_step(ctx, &mut values)?.into();
                }
                self.g_step(ctx, &mut values)?;
            }
        }
        Ok(StepOutput { values, vectors })
    }
    fn latent_dim(&self) -> Option<usize> {
        Some(self.settings.latent_dim())
    }
    /// G's outputs are points, not images: the image seams are absent.
    fn decode(&self, _z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        None
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        Ok(Seams::default())
    }
    fn points(&self) -> Option<&dyn PointSeam> {
        Some(self)
    }
}

impl PointSeam for ToyModel {
    fn latent_dim(&self) -> usize {
        self.gan.latent_dim
    }
    fn data_dim(&self) -> usize {
        self.gan.data_dim
    }
    fn generate(&self, z: &[f32]) -> candle_core::Result<Vec<f32>> {
        let l = self.gan.latent_dim;
        let zt = Tensor::from_slice(z, (z.len() / l, l), &self.gan.device)?;
        self.gan.generate(&zt)?.flatten_all()?.to_vec1::<f32>()
    }
    fn discriminate(&self, x: &[f32]) -> candle_core::Result<Vec<f32>> {
        self.d_probs(&self.points(x.to_vec())?)
    }
    fn generator_push(&self, x: &[f32]) -> candle_core::Result<Vec<f32>> {
        let xt = Var::from_tensor(&self.points(x.to_vec())?)?;
        let logits = self.gan.logits(xt.as_tensor())?;
        let n = logits.dim(0)? as f64;
        let loss = generator_loss(&logits, self.settings.g_loss)?;
        let grads = loss.backward()?;
        let Some(g) = grads.get(xt.as_tensor()) else {
            return Ok(vec![0.0; x.len()]);
        };
        (g * (-n))?.flatten_all()?.to_vec1::<f32>()
    }
}
