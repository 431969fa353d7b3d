//! Algorithm 1 of Goodfellow et al. (2014): for each iteration, k discriminator
//! updates on fresh real and fake batches, then one generator update.
//!
//! All randomness (batches, z) comes from one seeded [`Rng`] whose state is part
//! of the checkpoint, so a run is bit-exact for a seed and resumes exactly.

use std::sync::Arc;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::loss::{GeneratorLoss, discriminator_loss, generator_loss};
use super::metrics::{DStep, GStep, StepMetrics};
use super::optim::{Optimizer, OptimizerConfig};
use crate::data::{DataError, Dataset};
use crate::nets::ops::sink::ParamGrads;
use crate::nets::{DiscriminatorSnapshot, Gan, GanConfig, GeneratorSnapshot, images_to_u8, is_trainable, sorted_vars};
use crate::rng::Rng;

/// Training hyperparameters. All but `seed` may change between steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Images per batch (real and fake each).
    pub batch_size: usize,
    /// Discriminator updates per generator update.
    pub k: usize,
    /// The generator's objective.
    pub g_loss: GeneratorLoss,
    /// The generator's optimizer.
    pub opt_g: OptimizerConfig,
    /// The discriminator's optimizer.
    pub opt_d: OptimizerConfig,
    /// Seed of the weights and of every batch and z.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            k: 1,
            g_loss: GeneratorLoss::NonSaturating,
            opt_g: OptimizerConfig::default(),
            opt_d: OptimizerConfig::default(),
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Checks the values make sense for `model`.
    pub fn validate(&self) -> Result<(), TrainError> {
        check_schedule(
            self.batch_size,
            " (batch norm needs two samples)",
            self.k,
            [self.opt_g.lr, self.opt_d.lr],
        )
    }
}

/// The checks every GAN schedule shares: a batch of at least 2 (`batch_why` says why,
/// after "at least 2"), k ≥ 1, and positive finite learning rates for G and D.
pub(crate) fn check_schedule(batch_size: usize, batch_why: &str, k: usize, lrs: [f64; 2]) -> Result<(), TrainError> {
    if batch_size < 2 {
        return Err(TrainError::Config(format!(
            "batch size {batch_size} is too small: at least 2{batch_why}"
        )));
    }
    if k == 0 {
        return Err(TrainError::Config("k must be at least 1".into()));
    }
    for (who, lr) in ["generator", "discriminator"].into_iter().zip(lrs) {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(TrainError::Config(format!("{who} learning rate {lr} must be positive")));
        }
    }
    Ok(())
}

/// What stops a training step.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// The data cannot be used.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A loss became NaN or infinite; the update was not applied.
    #[error("the {what} became {value} at step {step}; the update was not applied (try a lower learning rate)")]
    NonFinite {
        /// Which loss.
        what: &'static str,
        /// Its value.
        value: f32,
        /// The iteration.
        step: u64,
    },
    /// A hyperparameter is out of range.
    #[error("{0}")]
    Config(String),
}

impl TrainError {
    /// `Ok` for a finite loss; [`TrainError::NonFinite`] for NaN or ±∞ (the update is then skipped).
    pub fn check_finite(what: &'static str, value: f32, step: u64) -> Result<(), Self> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(Self::NonFinite { what, value, step })
        }
    }
}

/// A GAN, its two optimizers, its data and its random stream.
pub struct Trainer {
    gan: Gan,
    opt_g: Optimizer,
    opt_d: Optimizer,
    data: Arc<Dataset>,
    rng: Rng,
    config: TrainConfig,
    step: u64,
    d_updates: u64,
    g_updates: u64,
    last_d: DStep,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("gan", &self.gan)
            .field("config", &self.config)
            .field("step", &self.step)
            .field("data", &self.data.name)
            .finish_non_exhaustive()
    }
}

impl Trainer {
    /// A fresh run: weights and random stream from `config.seed`.
    pub fn new(model: GanConfig, config: TrainConfig, data: Arc<Dataset>, device: &Device) -> Result<Self, TrainError> {
        let gan = Gan::new(model, config.seed, device)?;
        Self::from_parts(gan, config, data, Rng::derive(config.seed, "train"))
    }

    /// Assembles a trainer from an existing network (fresh optimizer state).
    pub fn from_parts(gan: Gan, config: TrainConfig, data: Arc<Dataset>, rng: Rng) -> Result<Self, TrainError> {
        config.validate()?;
        data.check_model_input()?;
        let opt_g = Optimizer::new(config.opt_g, trainable(&gan.g_vars))?;
        let opt_d = Optimizer::new(config.opt_d, trainable(&gan.d_vars))?;
        Ok(Self {
            gan,
            opt_g,
            opt_d,
            data,
            rng,
            config,
            step: 0,
            d_updates: 0,
            g_updates: 0,
            last_d: DStep::default(),
        })
    }

    /// The networks.
    pub fn gan(&self) -> &Gan {
        &self.gan
    }
    /// The generator's optimizer.
    pub fn opt_g(&self) -> &Optimizer {
        &self.opt_g
    }
    /// The discriminator's optimizer.
    pub fn opt_d(&self) -> &Optimizer {
        &self.opt_d
    }
    /// Mutable optimizers (for restoring state).
    pub fn optimizers_mut(&mut self) -> (&mut Optimizer, &mut Optimizer) {
        (&mut self.opt_g, &mut self.opt_d)
    }
    /// Current hyperparameters.
    pub fn config(&self) -> TrainConfig {
        self.config
    }
    /// The data being trained on.
    pub fn data(&self) -> &Arc<Dataset> {
        &self.data
    }
    /// The random stream's state.
    pub fn rng(&self) -> &Rng {
        &self.rng
    }
    /// Iterations of Algorithm 1 completed.
    pub fn step(&self) -> u64 {
        self.step
    }
    /// Discriminator and generator updates applied (each may also run alone).
    pub fn updates(&self) -> (u64, u64) {
        (self.d_updates, self.g_updates)
    }
    /// Restores counters and random stream (from a checkpoint).
    pub fn restore_progress(&mut self, step: u64, d_updates: u64, g_updates: u64, rng: Rng) {
        self.step = step;
        self.d_updates = d_updates;
        self.g_updates = g_updates;
        self.rng = rng;
    }

    /// Changes hyperparameters between steps, keeping weights and optimizer state
    /// (a change of optimizer kind starts that optimizer's state afresh).
    pub fn set_config(&mut self, config: TrainConfig) -> Result<(), TrainError> {
        config.validate()?;
        self.opt_g.set_config(config.opt_g)?;
        self.opt_d.set_config(config.opt_d)?;
        self.config = config;
        Ok(())
    }

    /// Trains on other data from the next step on. Refuses data the model cannot take.
    pub fn set_data(&mut self, data: Arc<Dataset>) -> Result<(), TrainError> {
        data.check_model_input()?;
        self.data = data;
        Ok(())
    }

    fn real_batch(&mut self) -> candle_core::Result<Tensor> {
        let n = self.data.len();
        let idx: Vec<usize> = (0..self.config.batch_size).map(|_| self.rng.below(n)).collect();
        self.data.batch_tensor(&idx, &self.gan.device)
    }

    fn latent_batch(&mut self) -> candle_core::Result<Tensor> {
        let (b, l) = (self.config.batch_size, self.gan.config.latent_dim);
        Tensor::from_vec(self.rng.normal_vec(b * l), (b, l), &self.gan.device)
    }

    /// One discriminator update: raise D on a real batch, lower it on a fake batch.
    pub fn d_step(&mut self) -> Result<DStep, TrainError> {
        let real = self.real_batch()?;
        let z = self.latent_batch()?;
        // G's weights as constants: no graph is kept for a batch D only reads.
        let fake = self.gan.g.forward_frozen(&z, true)?;
        // D's layers hand their weight gradients over directly (nets::ops::sink).
        let collected = ParamGrads::new();
        let d = &self.gan.d;
        let (real_logits, fake_logits) = if d.batch_independent() {
            // One pass over [real; fake]: same logits, half the layer calls.
            let b = real.dim(0)?;
            let logits = d.forward_collecting(&Tensor::cat(&[&real, &fake], 0)?, true, &collected)?;
            (logits.narrow(0, 0, b)?, logits.narrow(0, b, b)?)
        } else {
            (
                d.forward_collecting(&real, true, &collected)?,
                d.forward_collecting(&fake, true, &collected)?,
            )
        };
        let loss = discriminator_loss(&real_logits, &fake_logits)?;
        let d_loss = loss.to_scalar::<f32>()?;
        TrainError::check_finite("discriminator loss", d_loss, self.step)?;
        let mut grads = loss.backward()?;
        collected.drain_into(&mut grads)?;
        self.opt_d.step(&grads)?;
        self.d_updates += 1;
        let out = DStep {
            d_loss,
            d_real: sigmoid_vec(&real_logits)?,
            d_fake: sigmoid_vec(&fake_logits)?,
        };
        self.last_d = out.clone();
        Ok(out)
    }

    /// One generator update: move G's samples up D's slope.
    pub fn g_step(&mut self) -> Result<GStep, TrainError> {
        let z = self.latent_batch()?;
        let collected = ParamGrads::new();
        let fake = self.gan.g.forward_collecting(&z, true, &collected)?;
        // D's weights as constants: the gradient flows through D to G's weights only.
        let fake_logits = self.gan.d.forward_frozen(&fake, true)?;
        let loss = generator_loss(&fake_logits, self.config.g_loss)?;
        let g_loss = loss.to_scalar::<f32>()?;
        TrainError::check_finite("generator loss", g_loss, self.step)?;
        let mut grads = loss.backward()?;
        collected.drain_into(&mut grads)?;
        self.opt_g.step(&grads)?;
        self.g_updates += 1;
        let d_fake = sigmoid_vec(&fake_logits)?;
        Ok(GStep {
            g_loss,
            d_fake_mean: super::metrics::mean(&d_fake),
        })
    }

    /// One iteration of Algorithm 1: `k` discriminator updates, then one generator update.
    pub fn iteration(&mut self) -> Result<StepMetrics, TrainError> {
        let mut d = DStep::default();
        for _ in 0..self.config.k {
            d = self.d_step()?;
        }
        let g = self.g_step()?;
        self.step += 1;
        Ok(StepMetrics {
            step: self.step,
            d_loss: d.d_loss,
            g_loss: g.g_loss,
            d_real_mean: d.d_real_mean(),
            d_fake_mean: d.d_fake_mean(),
            d_real: d.d_real,
            d_fake: d.d_fake,
        })
    }

    /// The last discriminator update's report.
    pub fn last_d_step(&self) -> &DStep {
        &self.last_d
    }

    /// Decodes latent vectors (flat, `latent_dim` each) into 8-bit 28×28 images (inference mode).
    pub fn generate_u8(&self, z: &[f32]) -> Result<Vec<u8>, TrainError> {
        let l = self.gan.config.latent_dim;
        let zt = Tensor::from_slice(z, (z.len() / l, l), &self.gan.device)?;
        Ok(images_to_u8(&self.gan.generate(&zt)?)?)
    }

    /// D's probability "real" for 8-bit 28×28 images (inference mode).
    pub fn discriminate_u8(&self, images: &[u8]) -> Result<Vec<f32>, TrainError> {
        let n = images.len() / (28 * 28);
        let x: Vec<f32> = images.iter().map(|&p| f32::from(p) * (2.0 / 255.0) - 1.0).collect();
        let x = Tensor::from_vec(x, (n, 1, 28, 28), &self.gan.device)?;
        Ok(sigmoid_vec(&self.gan.d.forward_t(&x, false)?)?)
    }

    /// An independent copy of the generator, for decoding while training goes on.
    pub fn snapshot_generator(&self) -> Result<GeneratorSnapshot, TrainError> {
        Ok(self.gan.snapshot_generator()?)
    }

    /// An independent copy of the discriminator, for scoring while training goes on.
    pub fn snapshot_discriminator(&self) -> Result<DiscriminatorSnapshot, TrainError> {
        Ok(self.gan.snapshot_discriminator()?)
    }
}

fn trainable(vars: &candle_nn::VarMap) -> Vec<(String, candle_core::Var)> {
    sorted_vars(vars).into_iter().filter(|(n, _)| is_trainable(n)).collect()
}

/// σ(logits) as a vector.
pub fn sigmoid_vec(logits: &Tensor) -> candle_core::Result<Vec<f32>> {
    Ok(logits
        .to_vec1::<f32>()?
        .into_iter()
        .map(|l| 1.0 / (1.0 + (-l).exp()))
        .collect())
}
