//! The training loop every family shares: a model of some family, one optimizer per
//! optimizer group, the data, and one seeded random stream. The family's step decides what
//! a step does ([`crate::family::FamilyModel::step`]); the loop counts iterations and
//! updates, validates the schedule, and hands out copies for decoding.
//!
//! All randomness (batches, z, noise) comes from one seeded [`Rng`] whose state is part of
//! the checkpoint, so a run is bit-exact for a seed and resumes exactly.

use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::optim::{Optimizer, OptimizerConfig};
use crate::data::{DataError, TrainData};
use crate::family::{self, Family, FamilyModel, ITERATION, Input, ModelSpec, Seams, StepCtx, StepOutput};
use crate::rng::Rng;

/// Training hyperparameters every family has. All but `seed` may change between steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Images per batch (real and fake each, for a GAN).
    pub batch_size: usize,
    /// Seed of the weights and of every batch and z.
    pub seed: u64,
    /// One optimizer per optimizer group of the family, by group id ("g", "d", "ae");
    /// a group missing here gets the family's default.
    pub optimizers: BTreeMap<String, OptimizerConfig>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            seed: 0,
            optimizers: BTreeMap::new(),
        }
    }
}

impl TrainConfig {
    /// The defaults for `family`: batch 64, seed 0, the family's optimizer for every group.
    pub fn for_family(family: &dyn Family) -> Self {
        Self::default().completed(family)
    }

    /// This config with an entry for every optimizer group of `family` (defaults where
    /// missing) and none for groups it does not have.
    pub fn completed(mut self, family: &dyn Family) -> Self {
        let groups = family.optimizer_groups();
        self.optimizers.retain(|id, _| groups.iter().any(|g| g.id == id));
        for g in groups {
            self.optimizers
                .entry(g.id.to_string())
                .or_insert_with(|| family.group_optimizer(g.id));
        }
        self
    }

    /// The optimizer of group `id` (the default when missing).
    pub fn optimizer(&self, id: &str) -> OptimizerConfig {
        self.optimizers.get(id).copied().unwrap_or_default()
    }

    /// Sets the learning rate of every group.
    pub fn set_all_lr(&mut self, lr: f64) {
        self.optimizers.values_mut().for_each(|o| o.lr = lr);
    }

    /// Checks the values make sense for `family`.
    pub fn validate(&self, family: &dyn Family) -> Result<(), TrainError> {
        let (min_batch, why) = family.min_batch();
        if self.batch_size < min_batch {
            return Err(TrainError::Config(format!(
                "batch size {} is too small: at least {min_batch}{why}",
                self.batch_size
            )));
        }
        if self.batch_size > MAX_BATCH {
            return Err(TrainError::Config(format!(
                "batch size {} is too large (at most {MAX_BATCH})",
                self.batch_size
            )));
        }
        for g in family.optimizer_groups() {
            let lr = self.optimizer(g.id).lr;
            if !(lr.is_finite() && lr > 0.0) {
                return Err(TrainError::Config(format!(
                    "{} learning rate {lr} must be positive",
                    g.label
                )));
            }
        }
        Ok(())
    }
}

/// Refuses data of the wrong kind for `family` (points for an image model, or the reverse)
/// and images the image models cannot take.
fn check_input(family: &dyn Family, data: &TrainData) -> Result<(), TrainError> {
    match (family.input(), data) {
        (Input::Images, TrainData::Images(d)) => {
            d.check_model_input()?;
            check_labels(family, d)
        }
        (Input::Points, TrainData::Points(_)) => Ok(()),
        (Input::Images, TrainData::Points(p)) => Err(TrainError::Config(format!(
            "the {} trains on images, not on the toy data '{}'",
            family.label(),
            p.name()
        ))),
        (Input::Points, TrainData::Images(d)) => Err(TrainError::Config(format!(
            "the {} trains on toy points, not on the images of '{}'",
            family.label(),
            d.name
        ))),
    }
}

/// Refuses data a conditional family cannot train on: no labels, or labels beyond its classes.
fn check_labels(family: &dyn Family, d: &crate::data::Dataset) -> Result<(), TrainError> {
    let c = family.conditioning();
    let classes = c.classes;
    if classes == 0 || c.learned {
        return Ok(());
    }
    let Some(labels) = &d.labels else {
        return Err(TrainError::Config(format!(
            "the {} needs labelled digits, and '{}' has no labels (use an IDX folder with a labels file, \
             or an image folder with one subfolder per class)",
            family.label(),
            d.name
        )));
    };
    if let Some(&l) = labels.iter().find(|&&l| usize::from(l) >= classes) {
        return Err(TrainError::Config(format!(
            "the {} takes {classes} classes (labels 0 to {}), and '{}' has label {l}",
            family.label(),
            classes - 1,
            d.name
        )));
    }
    Ok(())
}

/// The largest batch any family accepts.
pub const MAX_BATCH: usize = 4096;

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

/// A model of some family, its optimizers, its data and its random stream.
pub struct Trainer {
    model: Box<dyn FamilyModel>,
    optimizers: Vec<Optimizer>,
    updates: Vec<u64>,
    data: TrainData,
    rng: Rng,
    config: TrainConfig,
    step: u64,
    device: Device,
    held_out: bool,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("family", &self.family().id())
            .field("config", &self.config)
            .field("step", &self.step)
            .field("data", &self.data.name())
            .finish_non_exhaustive()
    }
}

impl Trainer {
    /// A fresh run: weights and random stream from `config.seed`.
    pub fn new(
        spec: &ModelSpec,
        config: TrainConfig,
        data: impl Into<TrainData>,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let family = spec.family()?;
        let config = config.completed(family);
        // Check the schedule before allocating the networks.
        config.validate(family)?;
        let model = family.build(&family.normalize(&spec.config)?, device)?;
        model.init_weights(config.seed)?;
        let rng = Rng::derive(config.seed, "train");
        Self::from_parts(model, config, data, rng, device)
    }

    /// Assembles a trainer from an existing model (fresh optimizer state).
    pub fn from_parts(
        model: Box<dyn FamilyModel>,
        config: TrainConfig,
        data: impl Into<TrainData>,
        rng: Rng,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let family = model.family();
        let config = config.completed(family);
        config.validate(family)?;
        let data = data.into();
        check_input(family, &data)?;
        let optimizers = family
            .optimizer_groups()
            .iter()
            .map(|g| Optimizer::new(config.optimizer(g.id), family::group_vars(model.as_ref(), g)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            updates: vec![0; optimizers.len()],
            model,
            optimizers,
            data,
            rng,
            config,
            step: 0,
            device: device.clone(),
            held_out: true,
        })
    }

    /// The family being trained.
    pub fn family(&self) -> &'static dyn Family {
        self.model.family()
    }
    /// The model (its networks).
    pub fn model(&self) -> &dyn FamilyModel {
        self.model.as_ref()
    }
    /// The model's spec (family and config).
    pub fn spec(&self) -> ModelSpec {
        self.model.spec()
    }
    /// The optimizers, one per optimizer group, in the family's order.
    pub fn optimizers(&self) -> &[Optimizer] {
        &self.optimizers
    }
    /// Mutable optimizers (for restoring state).
    pub fn optimizers_mut(&mut self) -> &mut [Optimizer] {
        &mut self.optimizers
    }
    /// Current hyperparameters.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    /// The data being trained on.
    pub fn data(&self) -> &TrainData {
        &self.data
    }
    /// Where the tensors live.
    pub fn device(&self) -> &Device {
        &self.device
    }
    /// The random stream's state.
    pub fn rng(&self) -> &Rng {
        &self.rng
    }
    /// Iterations completed.
    pub fn step(&self) -> u64 {
        self.step
    }
    /// Updates applied by each optimizer group (each may also run alone, e.g. a lone D step).
    pub fn updates(&self) -> &[u64] {
        &self.updates
    }
    /// Updates of all groups together (changes with every applied update).
    pub fn total_updates(&self) -> u64 {
        self.updates.iter().sum()
    }
    /// Updates applied by the optimizer group `group` ("g": the generator's).
    pub fn updates_of(&self, group: &str) -> u64 {
        self.family()
            .optimizer_groups()
            .iter()
            .position(|g| g.id == group)
            .map_or(0, |i| self.updates[i])
    }
    /// Restores counters and random stream (from a checkpoint).
    pub fn restore_progress(&mut self, step: u64, updates: &[u64], rng: Rng) {
        self.step = step;
        for (u, &v) in self.updates.iter_mut().zip(updates) {
            *u = v;
        }
        self.rng = rng;
    }

    /// Changes hyperparameters between steps, keeping weights and optimizer state (a change
    /// of optimizer kind starts that optimizer's state afresh). The seed stays the run's own.
    pub fn set_config(&mut self, config: TrainConfig) -> Result<(), TrainError> {
        let family = self.family();
        let mut config = config.completed(family);
        config.seed = self.config.seed;
        config.validate(family)?;
        for (g, opt) in family.optimizer_groups().iter().zip(&mut self.optimizers) {
            opt.set_config(config.optimizer(g.id))?;
        }
        self.config = config;
        Ok(())
    }

    /// Changes the family's own settings between steps (k, the loss, β, …), keeping weights.
    pub fn set_model_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let family = self.family();
        let config = family.normalize(config)?;
        self.model.set_config(&config)
    }

    /// Trains on other data from the next step on. Refuses data the model cannot take.
    pub fn set_data(&mut self, data: impl Into<TrainData>) -> Result<(), TrainError> {
        let data = data.into();
        check_input(self.family(), &data)?;
        self.data = data;
        Ok(())
    }

    /// Runs the step kind `id` of the family ("d", "g", [`ITERATION`], …).
    pub fn step_kind(&mut self, id: &str) -> Result<StepOutput, TrainError> {
        let family = self.family();
        let Some((index, kind)) = family.step_kind(id) else {
            return Err(TrainError::Config(format!("the {} has no step '{id}'", family.label())));
        };
        let mut ctx = StepCtx {
            data: &self.data,
            rng: &mut self.rng,
            batch_size: self.config.batch_size,
            device: &self.device,
            step: self.step,
            held_out: self.held_out,
            optimizers: &mut self.optimizers,
            updates: &mut self.updates,
        };
        let out = self.model.step(index, &mut ctx)?;
        if kind.iteration {
            self.step += 1;
        }
        Ok(out)
    }

    /// Turns the family's periodic held-out figures on (the default) or off: off, every
    /// step is a training step alone (what `latent-lab bench` times), and the held-out
    /// metrics stay empty.
    pub fn set_held_out(&mut self, on: bool) {
        self.held_out = on;
    }

    /// One full iteration of the family's step (for a GAN: k D updates, one G update).
    pub fn iteration(&mut self) -> Result<StepOutput, TrainError> {
        self.step_kind(ITERATION)
    }

    /// Decodes latent vectors (flat, `latent_dim` each) into 8-bit 28×28 images (inference
    /// mode); `None` for a family without a decoder.
    pub fn generate_u8(&self, z: &[f32]) -> Result<Option<Vec<u8>>, TrainError> {
        family::decode_u8(self.model.as_ref(), &self.device, z)
    }

    /// The sample grid of a family that shows its work on real digits of its data instead of
    /// decoding z ([`FamilyModel::showcase`]); `None` for the others.
    pub fn showcase_u8(&self) -> Result<Option<Vec<u8>>, TrainError> {
        let Some(data) = self.data.images() else {
            return Ok(None);
        };
        Ok(self.model.showcase(data).transpose()?)
    }

    /// D's probability "real" for 8-bit 28×28 images (inference mode); `None` without a scorer.
    pub fn discriminate_u8(&self, images: &[u8]) -> Result<Option<Vec<f32>>, TrainError> {
        let x = family::images_from_u8(images, &self.device)?;
        Ok(self.model.score(&x).transpose()?)
    }

    /// Independent frozen copies of the model's seams, for the explorer while training goes on.
    pub fn seams(&self) -> Result<Seams, TrainError> {
        Ok(self.model.seams()?)
    }
}
