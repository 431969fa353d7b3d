//! Model families: one interface for every generative model of the course.
//!
//! A family is one module that declares what is particular to it — its config, its
//! networks (each with its own `VarMap`), its optimizer groups, its named step kinds, the
//! named metrics its step reports, and the seams the explorer can use (decoder, encoder,
//! scorer) — and the rest stays generic: the [`Trainer`](crate::train::Trainer) loop, the
//! worker's events, the charts, checkpoints, the command line's `--model`, `bench` and the
//! model picker all iterate [`registry::ALL`] instead of matching on a kind. The shape
//! follows PyTorch Lightning's `training_step`, Keras' `train_step` override and burn's
//! `TrainStep`: the model owns its step, the loop owns everything else.
//!
//! What a family provides:
//! - a [`Family`] (a static descriptor, one registry line): a [`Declaration`] (id, label,
//!   optimizer groups, step kinds, metric and chart declarations, as data), the default
//!   config (JSON, from the family's own serde struct with defaults), and `build`;
//! - a [`FamilyModel`] (the networks of one run): `step` runs one named step kind on a
//!   [`StepCtx`] (data, the seeded random stream, the optimizers) and returns a
//!   [`StepOutput`] of named metrics; `seams` hands the explorer independent frozen copies.
//!
//! How the nine families of the course fit (built so far: the GANs, the autoencoders, the
//! VAEs, the conditional GANs, InfoGAN, PixelCNN, pix2pix and CycleGAN):
//! - **GAN** (MLP, DCGAN; minimax or non-saturating): networks `g`, `d`; groups `g`, `d`;
//!   steps "Step D", "Step G", "iteration" (k D steps then one G step); metrics D/G loss,
//!   mean D(x), mean D(G(z)), and D's verdicts as distributions; seams decoder + scorer.
//! - **Autoencoder** (MLP, conv): networks `enc`, `dec`, one group `ae`; one step; metric
//!   reconstruction loss; seams decoder + encoder.
//! - **VAE**: as the autoencoder, the encoder giving μ and log σ²; metrics −ELBO,
//!   reconstruction, KL, and the KL of each latent dimension as bars; seams decoder + encoder
//!   (μ).
//! - **Conditional GAN**: a GAN whose decoder and scorer seams take a class beside z
//!   ([`Condition`]); the step draws labels with the batch; metric: the judge's label accuracy.
//! - **InfoGAN**: a GAN with a Q head sharing D's body (network `d` holds both), groups `g`
//!   and `d` (+ `q`); the condition is the codes c₁ (categorical) and c₂, c₃ (continuous);
//!   metric L_I against its bound ln 10.
//! - **pix2pix**: networks `g` (U-Net) and `d` (PatchGAN); no z — its seam is a
//!   [`Translator`] (image → image, and D's verdict per patch); metrics G's GAN and L1
//!   terms, D's real and fake terms, held-out L1, PSNR and the judge's labels; its inputs
//!   are a paired task made from the digits ([`crate::data::paired`]); its sample grid is
//!   held-out digits as input · output · target · D's map ([`FamilyModel::showcase`]).
//! - **CycleGAN**: four networks `g_ab`, `g_ba`, `d_a`, `d_b`, two groups (`g` over both
//!   generators, `d` over both discriminators), the six loss terms of the generators and the
//!   two D losses as metrics, the held-out cycle with and without probe noise and the judge's
//!   label preservation; its domains are made from the digits ([`crate::data::domains`]);
//!   seam a translator A → B with the way back ([`Translator::translate_back_u8`]).
//! - **PixelCNN**: one network `pixelcnn`, one group; no latent: its seams are a sampler
//!   (one pixel at a time) and a likelihood (exact NLL in nats); metrics NLL and bits/pixel.
//! - **The toy game** ([`toy`]) works on points, not images: a family whose data is a toy
//!   distribution ([`Input::Points`]), whose step is the same D/G pair, trained by the same
//!   loop; its [`PointSeam`] gives the game's frames (densities, D's curve, push arrows).

pub mod ae;
pub mod cgan;
pub mod cyclegan;
pub mod gan;
pub mod infogan;
pub mod judge;
pub mod pix2pix;
pub mod pixelcnn;
pub mod registry;
pub mod toy;
pub mod vae;

use std::sync::Arc;

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::data::TrainData;
use crate::nets::ops::sink::ParamGrads;
use crate::nets::{images_to_u8, is_trainable, sorted_vars};
use crate::rng::Rng;
use crate::train::{Optimizer, OptimizerConfig, TrainError};

pub use registry::{ALL, find};

/// Which family and how it is configured: saved in checkpoints and recipes, sent to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// The family's registry id ("mlp-gan", "dcgan", "ae", "conv-ae", "vae", "conv-vae").
    pub family: String,
    /// The family's own config as JSON (its serde struct, every field present).
    pub config: serde_json::Value,
}

impl Default for ModelSpec {
    /// The default model: the MLP GAN with its defaults.
    fn default() -> Self {
        registry::DEFAULT.default_spec()
    }
}

impl std::fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.latent_dim() {
            Some(l) => write!(f, "{} (latent {l})", self.family),
            None => f.write_str(&self.family),
        }
    }
}

impl ModelSpec {
    /// The registered family, or an error naming the ones there are.
    pub fn family(&self) -> Result<&'static dyn Family, TrainError> {
        find(&self.family).ok_or_else(|| TrainError::Config(unknown_family(&self.family)))
    }

    /// The family's label for people ("an unknown model" when the family is not registered).
    pub fn label(&self) -> &'static str {
        find(&self.family).map_or("an unknown model", |f| f.label())
    }

    /// The size of z, for families with a latent vector.
    pub fn latent_dim(&self) -> Option<usize> {
        self.config
            .get("latent_dim")
            .and_then(serde_json::Value::as_u64)
            .map(|l| l as usize)
    }

    /// The size of the decoder's input: z and the condition after it ([`Conditioning`]).
    pub fn input_dim(&self) -> Option<usize> {
        let family = find(&self.family);
        if family.is_some_and(|f| f.latent_is_noise()) {
            // One sampling value per pixel.
            return Some(crate::nets::IMAGE_SIDE * crate::nets::IMAGE_SIDE);
        }
        let width = family.map_or(0, |f| f.conditioning().width());
        self.latent_dim().map(|l| l + width)
    }

    /// What the decoder reads after z.
    pub fn conditioning(&self) -> Conditioning {
        find(&self.family).map_or(Conditioning::NONE, |f| f.conditioning())
    }

    /// This spec with the latent size set (families without one ignore it).
    pub fn with_latent_dim(mut self, latent_dim: usize) -> Self {
        if let Some(obj) = self.config.as_object_mut()
            && obj.contains_key("latent_dim")
        {
            obj.insert("latent_dim".into(), latent_dim.into());
        }
        self
    }

    /// The default spec of the family `id`.
    pub fn of(id: &str) -> Result<Self, TrainError> {
        find(id)
            .map(|f| f.default_spec())
            .ok_or_else(|| TrainError::Config(unknown_family(id)))
    }

    /// Whether two specs describe the same architecture (same family, same config apart from
    /// the settings that may change between steps).
    pub fn same_architecture(&self, other: &ModelSpec) -> bool {
        let keys = find(&self.family).map_or(&["latent_dim"][..], |f| f.architecture_keys());
        self.family == other.family
            && self.latent_dim() == other.latent_dim()
            && keys.iter().all(|k| self.config.get(k) == other.config.get(k))
    }
}

/// "unknown model 'x' (expected a, b, …)".
pub fn unknown_family(id: &str) -> String {
    let ids: Vec<&str> = ALL.iter().map(|f| f.id()).collect();
    format!("unknown model '{id}' (expected {})", ids.join(", "))
}

/// One scalar a family's step reports, and the chart it is drawn in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDef {
    /// Stable key ("d_loss").
    pub key: &'static str,
    /// For people, in English (the window translates it).
    pub label: &'static str,
    /// The [`ChartDef::id`] of its chart.
    pub chart: &'static str,
    /// Line colour (sRGB).
    pub color: [u8; 3],
}

/// A chart a family's metrics are drawn in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartDef {
    /// Stable id ("losses").
    pub id: &'static str,
    /// Title, in English.
    pub title: &'static str,
    /// A short note beside the title, in English.
    pub note: Option<&'static str>,
    /// A y range the chart always shows (e.g. 0–1 for probabilities).
    pub y_range: Option<(f64, f64)>,
    /// A dashed reference line (e.g. 0.5, where D's outputs meet).
    pub reference: Option<f64>,
}

/// How a vector metric is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorKind {
    /// Samples of a distribution (e.g. D's verdict on each image of a batch): drawn as a
    /// histogram over the recent steps.
    Distribution,
    /// One value per index (e.g. the KL of each latent dimension): drawn as bars, latest wins.
    PerIndex,
}

/// One vector a family's step reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorDef {
    /// Stable key ("d_real").
    pub key: &'static str,
    /// For people, in English.
    pub label: &'static str,
    /// How to read it.
    pub kind: VectorKind,
    /// Bar colour (sRGB).
    pub color: [u8; 3],
}

/// A named kind of step ("D step", "G step", "iteration").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepKindDef {
    /// Stable id ("d", "g", "iteration"), as [`crate::worker::Command::Step`] takes it.
    pub id: &'static str,
    /// Button label, in English.
    pub label: &'static str,
    /// Tooltip, in English.
    pub help: &'static str,
    /// Whether it completes one iteration (advances the step counter and the charts).
    pub iteration: bool,
}

/// The id of the step kind every family has: one full iteration.
pub const ITERATION: &str = "iteration";

/// A set of networks trained by one optimizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptGroupDef {
    /// Stable id ("g", "d", "ae"); checkpoint tensors of its state are `opt_<id>.…`.
    pub id: &'static str,
    /// For people ("generator"), in English.
    pub label: &'static str,
    /// A short name ("G"), as the controls show it.
    pub short: &'static str,
    /// The networks whose trainable variables it updates.
    pub networks: &'static [&'static str],
}

/// What one step reports: a value per [`MetricDef`] (NaN where the step did not measure
/// it, e.g. the G loss of a lone D step) and a vector per [`VectorDef`] (empty where not
/// measured).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepOutput {
    /// One per metric of the family, in declaration order.
    pub values: Vec<f32>,
    /// One per vector of the family, in declaration order.
    pub vectors: Vec<Vec<f32>>,
}

impl StepOutput {
    /// The value of metric `key` in `family`'s declaration, if measured.
    pub fn value(&self, family: &dyn Family, key: &str) -> Option<f32> {
        let i = family.metrics().iter().position(|m| m.key == key)?;
        self.values.get(i).copied().filter(|v| !v.is_nan())
    }

    /// The vector `key` in `family`'s declaration, if measured.
    pub fn vector<'a>(&'a self, family: &dyn Family, key: &str) -> Option<&'a [f32]> {
        let i = family.vectors().iter().position(|m| m.key == key)?;
        self.vectors.get(i).map(Vec::as_slice).filter(|v| !v.is_empty())
    }
}

/// Which command-line options a family's config takes: `(flag, config key)`.
pub type OptionKeys = &'static [(&'static str, &'static str)];

/// What a family declares about itself, as data: the window, the command line and the
/// tests read it through [`Family`]'s provided methods.
#[derive(Debug, Clone, Copy)]
pub struct Declaration {
    /// Registry id, used by `--model`, in files and recipes.
    pub id: &'static str,
    /// A name for people ("MLP GAN").
    pub label: &'static str,
    /// One line on what it is, in English.
    pub summary: &'static str,
    /// The command-line flags its config takes and the keys they set (`--latent` → `latent_dim`).
    pub option_keys: OptionKeys,
    /// The optimizer groups, in checkpoint order.
    pub optimizer_groups: &'static [OptGroupDef],
    /// The step kinds, the full iteration ([`ITERATION`]) among them.
    pub step_kinds: &'static [StepKindDef],
    /// The scalars each step reports.
    pub metrics: &'static [MetricDef],
    /// The vectors each step reports.
    pub vectors: &'static [VectorDef],
    /// The charts the metrics are drawn in, in display order.
    pub charts: &'static [ChartDef],
    /// The smallest batch that works, and why (" (batch norm needs two samples)").
    pub min_batch: (usize, &'static str),
    /// Whether its models have an encoder seam (the window then shows the codes of real
    /// digits and their reconstructions).
    pub has_encoder: bool,
    /// What it trains on.
    pub input: Input,
    /// What its decoder reads after z ([`Conditioning::NONE`] for an unconditional model).
    pub conditioning: Conditioning,
}

/// What a family trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// 28×28 images (every family of the course).
    Images,
    /// Points of a 1-D or 2-D toy distribution (the toy game).
    Points,
}

/// A model family: the static descriptor registered in [`registry::ALL`]. A family gives
/// its [`Declaration`] and the four things that take code: its default config, checking a
/// config, its default optimizer, and building its networks.
pub trait Family: Sync + 'static {
    /// What it declares about itself.
    fn declaration(&self) -> &'static Declaration;
    /// The family's config with its defaults, as JSON.
    fn default_config(&self) -> serde_json::Value;
    /// Checks a config and fills in missing fields with defaults.
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError>;
    /// Default optimizer settings.
    fn default_optimizer(&self) -> OptimizerConfig;
    /// Default optimizer settings of optimizer group `group` (the family's default unless a
    /// group trains at its own rate, as InfoGAN's G does).
    fn group_optimizer(&self, _group: &str) -> OptimizerConfig {
        self.default_optimizer()
    }
    /// Builds the networks with placeholder weights (to be seeded or loaded).
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError>;

    /// Registry id, used by `--model`, in files and recipes.
    fn id(&self) -> &'static str {
        self.declaration().id
    }
    /// A name for people ("MLP GAN").
    fn label(&self) -> &'static str {
        self.declaration().label
    }
    /// One line on what it is, in English.
    fn summary(&self) -> &'static str {
        self.declaration().summary
    }
    /// The command-line flags its config takes and the keys they set.
    fn option_keys(&self) -> OptionKeys {
        self.declaration().option_keys
    }
    /// The optimizer groups, in checkpoint order.
    fn optimizer_groups(&self) -> &'static [OptGroupDef] {
        self.declaration().optimizer_groups
    }
    /// The step kinds, the full iteration ([`ITERATION`]) among them.
    fn step_kinds(&self) -> &'static [StepKindDef] {
        self.declaration().step_kinds
    }
    /// The scalars each step reports.
    fn metrics(&self) -> &'static [MetricDef] {
        self.declaration().metrics
    }
    /// The vectors each step reports.
    fn vectors(&self) -> &'static [VectorDef] {
        self.declaration().vectors
    }
    /// The charts the metrics are drawn in, in display order.
    fn charts(&self) -> &'static [ChartDef] {
        self.declaration().charts
    }
    /// Whether its models have an encoder seam.
    fn has_encoder(&self) -> bool {
        self.declaration().has_encoder
    }
    /// The smallest batch that works, and why.
    fn min_batch(&self) -> (usize, &'static str) {
        self.declaration().min_batch
    }
    /// What it trains on.
    fn input(&self) -> Input {
        self.declaration().input
    }
    /// What its decoder reads after z.
    fn conditioning(&self) -> Conditioning {
        self.declaration().conditioning
    }
    /// The default [`ModelSpec`].
    fn default_spec(&self) -> ModelSpec {
        ModelSpec {
            family: self.id().to_string(),
            config: self.default_config(),
        }
    }
    /// Whether its latent vector is sampling noise rather than a code (PixelCNN: one N(0, 1)
    /// value per pixel, turned into the uniform its pixel is drawn with): the explorer then
    /// shows the model pixel by pixel instead of sliders over z.
    fn latent_is_noise(&self) -> bool {
        false
    }
    /// The config keys that fix the architecture (changing one needs a new run); the others
    /// may change between steps.
    fn architecture_keys(&self) -> &'static [&'static str] {
        &["latent_dim"]
    }
    /// For a family without a decoder that shows its work on real digits instead (pix2pix:
    /// [`FamilyModel::showcase`]), what the window's sample grid holds, in English.
    fn showcase_caption(&self) -> Option<&'static str> {
        None
    }
    /// What each row of the showcase holds, in English (the grid's hover text).
    fn showcase_help(&self) -> Option<&'static str> {
        None
    }
    /// The step kind `id`, if the family has it.
    fn step_kind(&self, id: &str) -> Option<(usize, &'static StepKindDef)> {
        self.step_kinds().iter().enumerate().find(|(_, k)| k.id == id)
    }
}

impl std::fmt::Debug for dyn Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What a step needs from the loop: the data, the random stream, the optimizers.
pub struct StepCtx<'a> {
    /// The training data (images, or toy points for the toy game).
    pub data: &'a TrainData,
    /// The run's seeded random stream (batches, z, noise): its state is checkpointed.
    pub rng: &'a mut Rng,
    /// Images per batch.
    pub batch_size: usize,
    /// Where the tensors live.
    pub device: &'a Device,
    /// Iterations completed before this step.
    pub step: u64,
    /// Whether the family may measure its held-out figures on this step, on its own schedule
    /// (pix2pix, CycleGAN and PixelCNN every 25 steps). Off in `latent-lab bench`, which
    /// times the training step alone, as the PyTorch reference does.
    pub held_out: bool,
    pub(crate) optimizers: &'a mut [Optimizer],
    pub(crate) updates: &'a mut [u64],
}

impl StepCtx<'_> {
    /// `batch_size` random training images as `(B, 1, 28, 28)` in [-1, 1], with their
    /// indices in the data.
    pub fn real_batch_with_indices(&mut self) -> candle_core::Result<(Tensor, Vec<usize>)> {
        let Some(data) = self.data.images() else {
            candle_core::bail!("this model trains on images, and the data is toy points");
        };
        let n = data.len();
        let idx: Vec<usize> = (0..self.batch_size).map(|_| self.rng.below(n)).collect();
        Ok((data.batch_tensor(&idx, self.device)?, idx))
    }

    /// `batch_size` points of the toy data as a `(B, dim)` tensor.
    pub fn real_points(&mut self) -> candle_core::Result<Tensor> {
        let Some(data) = self.data.points() else {
            candle_core::bail!("this model trains on toy points, and the data is images");
        };
        let dim = data.dist.dim();
        let flat = data.sample(self.rng, self.batch_size);
        Tensor::from_vec(flat, (self.batch_size, dim), self.device)
    }

    /// `batch_size` random training images as `(B, 1, 28, 28)` in [-1, 1].
    pub fn real_batch(&mut self) -> candle_core::Result<Tensor> {
        Ok(self.real_batch_with_indices()?.0)
    }

    /// `batch_size` random training images with their labels (an error for unlabelled data;
    /// the trainer refuses such data for a conditional family before the first step).
    pub fn labelled_batch(&mut self) -> candle_core::Result<(Tensor, Vec<usize>)> {
        let (x, idx) = self.real_batch_with_indices()?;
        let Some(labels) = self.data.images().and_then(|d| d.labels.as_ref()) else {
            candle_core::bail!("this model needs labelled images, and the data has no labels");
        };
        let labels = idx
            .iter()
            .map(|&i| labels.get(i).map_or(0, |&l| usize::from(l)))
            .collect();
        Ok((x, labels))
    }

    /// `batch_size` classes drawn uniformly from `0..classes`.
    pub fn random_classes(&mut self, classes: usize) -> Vec<usize> {
        (0..self.batch_size).map(|_| self.rng.below(classes.max(1))).collect()
    }

    /// A `(batch_size, dim)` tensor of N(0, 1) draws.
    pub fn normal(&mut self, dim: usize) -> candle_core::Result<Tensor> {
        let b = self.batch_size;
        Tensor::from_vec(self.rng.normal_vec(b * dim), (b, dim), self.device)
    }

    /// Applies `grads` with the optimizer of group `group` (an index into the family's groups).
    pub fn apply(&mut self, group: usize, grads: &GradStore) -> Result<(), TrainError> {
        let Some(opt) = self.optimizers.get_mut(group) else {
            return Err(TrainError::Config(format!("no optimizer group {group}")));
        };
        opt.step(grads)?;
        self.updates[group] += 1;
        Ok(())
    }

    /// Backpropagates `loss`, moves the weight gradients the fused layers handed to
    /// `collected` into the result, and applies them with optimizer group `group`.
    pub fn backward_apply(&mut self, group: usize, loss: &Tensor, collected: &ParamGrads) -> Result<(), TrainError> {
        let mut grads = loss.backward()?;
        collected.drain_into(&mut grads)?;
        self.apply(group, &grads)
    }

    /// One update on the scalar `loss`: refused with [`TrainError::NonFinite`] (naming
    /// `what`) when it is NaN or infinite, otherwise [`StepCtx::backward_apply`]. Returns the
    /// loss's value.
    pub fn update(
        &mut self,
        group: usize,
        what: &'static str,
        loss: &Tensor,
        collected: &ParamGrads,
    ) -> Result<f32, TrainError> {
        let value = loss.to_scalar::<f32>()?;
        self.check_finite(what, value)?;
        self.backward_apply(group, loss, collected)?;
        Ok(value)
    }

    /// [`TrainError::NonFinite`] for a NaN or infinite loss (the update is then not applied).
    pub fn check_finite(&self, what: &'static str, value: f32) -> Result<(), TrainError> {
        TrainError::check_finite(what, value, self.step)
    }
}

/// The networks of one run of a family.
pub trait FamilyModel: Send {
    /// The family.
    fn family(&self) -> &'static dyn Family;
    /// The config (all fields), as saved.
    fn config(&self) -> serde_json::Value;
    /// Changes the settings that may change between steps (k, the loss, β, …), keeping the
    /// weights; refuses an architecture change.
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError>;
    /// The networks by name, each with its own variables, in checkpoint order.
    fn networks(&self) -> Vec<(&'static str, &VarMap)>;
    /// Overwrites every weight with values drawn from `seed` (bit-exact for a seed).
    fn init_weights(&self, seed: u64) -> Result<(), TrainError>;
    /// Runs the step kind at index `kind` of [`Family::step_kinds`].
    fn step(&mut self, kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError>;
    /// The size of the decoder's input vector (z, and for a conditional model the condition
    /// after it: [`Conditioning`]), if the family has a latent vector.
    fn latent_dim(&self) -> Option<usize>;
    /// Decodes latent vectors (flat) into images in [-1, 1], `(B, 1, 28, 28)`, inference mode,
    /// if the family has a decoder.
    fn decode(&self, z: &Tensor) -> Option<candle_core::Result<Tensor>>;
    /// Scores images (`(B, 1, 28, 28)` in [-1, 1]): D's probability "real", if the family has
    /// a scorer.
    fn score(&self, _images: &Tensor) -> Option<candle_core::Result<Vec<f32>>> {
        None
    }
    /// Independent frozen copies of the seams, for the explorer while training goes on.
    fn seams(&self) -> candle_core::Result<Seams>;
    /// The family's metrics on images `x` (`(B, 1, 28, 28)` in [-1, 1]) without training:
    /// held-out figures (an autoencoder's reconstruction loss, a VAE's −ELBO and its terms,
    /// with noise from `rng`). `None` for a family without such a figure.
    fn evaluate(&self, _x: &Tensor, _rng: &mut Rng) -> Option<candle_core::Result<StepOutput>> {
        None
    }
    /// The vectors before any step of a run, where the family can say them without training
    /// (a GAN: D's verdicts on `real` images and on the images of `z`), in
    /// [`Family::vectors`] order.
    fn probe(&self, _real: &Tensor, _z: &Tensor) -> Option<candle_core::Result<Vec<Vec<f32>>>> {
        None
    }

    /// The window's sample grid for a family without a decoder (pix2pix: held-out digits of
    /// `data` as input, output, target and D's patch map, four images each): 64 images of 784
    /// bytes, or `None` for a family whose grid is decoded from z.
    fn showcase(&self, _data: &crate::data::Dataset) -> Option<candle_core::Result<Vec<u8>>> {
        None
    }

    /// The toy game's view of the model (G and D on points), for a family on points.
    fn points(&self) -> Option<&dyn PointSeam> {
        None
    }

    /// The spec of this model.
    fn spec(&self) -> ModelSpec {
        ModelSpec {
            family: self.family().id().to_string(),
            config: self.config(),
        }
    }
}

/// G and D of a model on toy points, as the game view reads them (live, not a copy: the
/// worker draws each frame between steps).
pub trait PointSeam {
    /// Size of z.
    fn latent_dim(&self) -> usize;
    /// Size of a point (1 or 2).
    fn data_dim(&self) -> usize;
    /// G(z) for flat latent vectors (`latent_dim` each), flat.
    fn generate(&self, z: &[f32]) -> candle_core::Result<Vec<f32>>;
    /// D(x) for flat points (`data_dim` each).
    fn discriminate(&self, x: &[f32]) -> candle_core::Result<Vec<f32>>;
    /// −∂L_G/∂x at each of the flat points `x`: the way G's update pushes a sample there
    /// (per sample, not per batch mean), for the current generator loss.
    fn generator_push(&self, x: &[f32]) -> candle_core::Result<Vec<f32>>;
}

/// How the end of a conditional model's input vector is read. A conditional GAN or InfoGAN
/// decodes `[z | one-hot class | codes]`: after the noise z come `classes` one-hot values
/// (the class asked for, or InfoGAN's categorical code c₁) and then `codes` continuous codes
/// (InfoGAN's c₂, c₃, drawn from U(−1, 1)). Everything that handles latent vectors — the
/// explorer, recipes, interpolation, `sample` — handles the whole vector, so the condition
/// travels with z; only what draws vectors at random and the explorer's controls read the
/// layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Conditioning {
    /// One-hot class values after z (0: none).
    pub classes: usize,
    /// Continuous codes after the class (0: none).
    pub codes: usize,
    /// Whether the categorical part is a code the model finds without labels (InfoGAN's c₁:
    /// measured by its cluster accuracy against the digits) rather than a class it is
    /// trained to follow (the conditional GAN: measured by its label accuracy).
    #[serde(default)]
    pub learned: bool,
}

impl Conditioning {
    /// No condition: the vector is all z.
    pub const NONE: Conditioning = Conditioning {
        classes: 0,
        codes: 0,
        learned: false,
    };

    /// Whether there is anything besides z.
    pub fn is_none(&self) -> bool {
        self.width() == 0
    }

    /// Values after z.
    pub fn width(&self) -> usize {
        self.classes + self.codes
    }

    /// The size of z in a vector of `input_dim` values.
    pub fn noise_dim(&self, input_dim: usize) -> usize {
        input_dim.saturating_sub(self.width())
    }

    /// The class a vector asks for: the largest of its one-hot values (`None` without classes).
    pub fn class_of(&self, v: &[f32]) -> Option<usize> {
        if self.classes == 0 || v.len() < self.width() {
            return None;
        }
        let start = v.len() - self.width();
        let part = &v[start..start + self.classes];
        part.iter()
            .copied()
            .enumerate()
            .fold(None, |a: Option<(usize, f32)>, (c, x)| match a {
                Some((_, best)) if best >= x => a,
                _ => Some((c, x)),
            })
            .map(|(c, _)| c)
    }

    /// Sets the class part of `v` to the one-hot vector of `class`.
    pub fn set_class(&self, v: &mut [f32], class: usize) {
        if self.classes == 0 || v.len() < self.width() {
            return;
        }
        let start = v.len() - self.width();
        for (c, x) in v[start..start + self.classes].iter_mut().enumerate() {
            *x = if c == class { 1.0 } else { 0.0 };
        }
    }

    /// The continuous code `i` of `v`.
    pub fn code(&self, v: &[f32], i: usize) -> Option<f32> {
        (i < self.codes && v.len() >= self.width()).then(|| v[v.len() - self.codes + i])
    }

    /// Sets the continuous code `i` of `v`.
    pub fn set_code(&self, v: &mut [f32], i: usize, value: f32) {
        if i < self.codes && v.len() >= self.width() {
            let n = v.len();
            v[n - self.codes + i] = value;
        }
    }

    /// `n` vectors of `input_dim` values drawn from `rng`: z from N(0, 1), the class
    /// uniformly, the codes from U(−1, 1) (flat). Without a condition, exactly
    /// `rng.normal_vec(n * input_dim)`.
    pub fn draw(&self, rng: &mut Rng, n: usize, input_dim: usize) -> Vec<f32> {
        let mut v = rng.normal_vec(n * input_dim);
        if self.is_none() || input_dim < self.width() {
            return v;
        }
        for row in v.chunks_mut(input_dim) {
            self.set_class(row, rng.below(self.classes.max(1)));
            for i in 0..self.codes {
                self.set_code(row, i, rng.uniform() as f32 * 2.0 - 1.0);
            }
        }
        v
    }

    /// `n` vectors as [`Conditioning::draw`], the classes taken in turn (vector `i` asks for
    /// class `i mod classes`), so every class gets its share.
    pub fn draw_balanced(&self, rng: &mut Rng, n: usize, input_dim: usize) -> Vec<f32> {
        let mut v = self.draw(rng, n, input_dim);
        if self.classes > 0 && input_dim >= self.width() {
            for (i, row) in v.chunks_mut(input_dim).enumerate() {
                self.set_class(row, i % self.classes);
            }
        }
        v
    }

    /// A grid of one row per class and `cols` columns. Without continuous codes, the same
    /// z down each column: the style kept across classes (the conditional GAN). With codes,
    /// InfoGAN's traversal: one z for the whole grid, the first code from −2 to 2 along the
    /// columns and the others at 0. `None` without classes.
    pub fn class_grid(&self, rng: &mut Rng, cols: usize, input_dim: usize) -> Option<Vec<f32>> {
        if self.classes == 0 || input_dim < self.width() {
            return None;
        }
        let columns = if self.codes > 0 {
            let one = self.draw(rng, 1, input_dim);
            let mut out = Vec::with_capacity(cols * input_dim);
            for col in 0..cols {
                let mut v = one.clone();
                for i in 0..self.codes {
                    self.set_code(&mut v, i, 0.0);
                }
                let t = if cols > 1 { col as f32 / (cols - 1) as f32 } else { 0.5 };
                self.set_code(&mut v, 0, -2.0 + 4.0 * t);
                out.extend(v);
            }
            out
        } else {
            self.draw(rng, cols, input_dim)
        };
        let mut out = Vec::with_capacity(self.classes * cols * input_dim);
        for class in 0..self.classes {
            for col in columns.chunks(input_dim) {
                let mut v = col.to_vec();
                self.set_class(&mut v, class);
                out.extend(v);
            }
        }
        Some(out)
    }

    /// The classes asked for by flat vectors of `input_dim` values (empty without classes).
    pub fn classes_of(&self, z: &[f32], input_dim: usize) -> Vec<usize> {
        if self.classes == 0 || input_dim == 0 {
            return Vec::new();
        }
        z.chunks(input_dim).filter_map(|v| self.class_of(v)).collect()
    }
}

/// Decodes z into images: a frozen copy, independent of the training run.
pub trait Decoder: Send + Sync {
    /// The size of z.
    fn latent_dim(&self) -> usize;
    /// `z (B, latent_dim)` → `(B, 1, 28, 28)` in [-1, 1], inference mode.
    fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor>;
    /// The device its tensors live on.
    fn device(&self) -> &Device;
}

/// Encodes images into z (the mean, for a VAE): a frozen copy.
pub trait Encoder: Send + Sync {
    /// `(B, 1, 28, 28)` in [-1, 1] → `(B, latent_dim)`.
    fn encode(&self, images: &Tensor) -> candle_core::Result<Tensor>;
}

/// Scores images: D's probability "real". A frozen copy.
pub trait Scorer: Send + Sync {
    /// `(B, 1, 28, 28)` in [-1, 1] → one probability per image (a conditional D: under the
    /// class it finds most real).
    fn probabilities(&self, images: &Tensor) -> candle_core::Result<Vec<f32>>;
    /// The probabilities for the images decoded from latent vectors `z` `(B, input_dim)`: a
    /// conditional D judges each under the condition its vector carries.
    fn probabilities_given(&self, images: &Tensor, _z: &Tensor) -> candle_core::Result<Vec<f32>> {
        self.probabilities(images)
    }
}

/// Names the digit in images: class probabilities and the features they come from. A
/// frozen copy (the digit judge's).
pub trait Classifier: Send + Sync {
    /// `(B, 1, 28, 28)` in [-1, 1] → (probabilities `(B, classes)`, features `(B, F)`).
    fn classify(&self, images: &Tensor) -> candle_core::Result<(Tensor, Tensor)>;
}

/// An autoregressive model's view of digits: the distribution of each pixel given the
/// pixels before it in raster order, and the exact likelihood. Images are given as levels
/// (`levels()` grey levels, 0 = background), 784 per image. A frozen copy.
pub trait PixelModel: Send + Sync {
    /// Grey levels per pixel.
    fn levels(&self) -> usize;
    /// The pixels the output at pixel `i` may read (784 flags): what the masks let it see.
    fn receptive_field(&self, i: usize) -> Vec<bool>;
    /// The distribution of pixel `i` of each of `b` images given its pixels before `i`
    /// (`levels`: `b · 784` values; those from `i` on are not read): `b · levels()`
    /// probabilities.
    fn conditionals(&self, levels: &[u8], b: usize, i: usize) -> candle_core::Result<Vec<f32>>;
    /// The negative log-likelihood of each image in nats, and of each pixel (`B · 784`).
    fn nll(&self, levels: &[u8]) -> candle_core::Result<(Vec<f32>, Vec<f32>)>;
}

/// Translates images into images (pix2pix, CycleGAN's generators): a frozen copy. Images are
/// 8-bit 28×28 (784 bytes each, 0 background), so the window and the command line translate
/// the same bytes the same way.
pub trait Translator: Send + Sync {
    /// What it does, in English ("inpainting").
    fn task_label(&self) -> &'static str;
    /// The input it was trained to translate, made from a real digit (the digit with a hole,
    /// at low resolution, …), drawn with `rng`.
    fn prepare(&self, digit: &[u8], rng: &mut Rng) -> Vec<u8>;
    /// What the translation of `prepare(digit)` should look like: the digit itself for
    /// pix2pix; for CycleGAN the same digit in style B, a pair it never trained on.
    fn target(&self, digit: &[u8]) -> Vec<u8> {
        digit.to_vec()
    }
    /// The translations of `inputs`.
    fn translate_u8(&self, inputs: &[u8]) -> candle_core::Result<Vec<u8>>;
    /// The way back, for a model trained with one (CycleGAN's F): `outputs` translated back
    /// into the input's style. `None` for a one-way model.
    fn translate_back_u8(&self, _outputs: &[u8]) -> Option<candle_core::Result<Vec<u8>>> {
        None
    }
    /// The discriminator's probability "real pair" for each patch (49 per image, a 7×7 map in
    /// raster order) of `inputs` beside `outputs`.
    fn patches(&self, inputs: &[u8], outputs: &[u8]) -> candle_core::Result<Vec<f32>>;
}

/// What the explorer can use of a model: each seam the family has.
#[derive(Clone, Default)]
pub struct Seams {
    /// z → image.
    pub decoder: Option<Arc<dyn Decoder>>,
    /// image → z.
    pub encoder: Option<Arc<dyn Encoder>>,
    /// image → D's verdict.
    pub scorer: Option<Arc<dyn Scorer>>,
    /// image → class (the digit judge).
    pub classifier: Option<Arc<dyn Classifier>>,
    /// Each pixel's distribution given the pixels before it (autoregressive models).
    pub pixels: Option<Arc<dyn PixelModel>>,
    /// image → image (translation models).
    pub translator: Option<Arc<dyn Translator>>,
}

impl std::fmt::Debug for Seams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seams")
            .field("decoder", &self.decoder.is_some())
            .field("encoder", &self.encoder.is_some())
            .field("scorer", &self.scorer.is_some())
            .field("classifier", &self.classifier.is_some())
            .field("pixels", &self.pixels.is_some())
            .field("translator", &self.translator.is_some())
            .finish()
    }
}

/// Decodes flat latent vectors with `model` into 8-bit 28×28 images (784 bytes each).
pub fn decode_u8(model: &dyn FamilyModel, device: &Device, z: &[f32]) -> Result<Option<Vec<u8>>, TrainError> {
    let Some(l) = model.latent_dim().filter(|&l| l > 0) else {
        return Ok(None);
    };
    let zt = Tensor::from_slice(z, (z.len() / l, l), device)?;
    match model.decode(&zt) {
        Some(images) => Ok(Some(images_to_u8(&images?)?)),
        None => Ok(None),
    }
}

/// One-hot rows `(B, classes)` for `labels`.
pub fn one_hot(labels: &[usize], classes: usize, device: &Device) -> candle_core::Result<Tensor> {
    let mut v = vec![0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        if l < classes {
            v[i * classes + l] = 1.0;
        }
    }
    Tensor::from_vec(v, (labels.len(), classes), device)
}

/// 8-bit 28×28 images (0 = −1, 255 = +1) as a `(B, 1, 28, 28)` tensor in [-1, 1].
pub fn images_from_u8(pixels: &[u8], device: &Device) -> candle_core::Result<Tensor> {
    let per = crate::nets::IMAGE_SIDE * crate::nets::IMAGE_SIDE;
    if pixels.is_empty() || !pixels.len().is_multiple_of(per) {
        candle_core::bail!("{} bytes are not a whole number of 28×28 images", pixels.len());
    }
    let x: Vec<f32> = pixels.iter().map(|&p| f32::from(p) * (2.0 / 255.0) - 1.0).collect();
    Tensor::from_vec(
        x,
        (pixels.len() / per, 1, crate::nets::IMAGE_SIDE, crate::nets::IMAGE_SIDE),
        device,
    )
}

/// The trainable variables of `networks` of `model`, sorted by name within each network,
/// named `<network>.<var>` when the group spans several networks and `<var>` otherwise (so
/// a GAN's optimizer state keeps the names of the first checkpoint format).
pub fn group_vars(model: &dyn FamilyModel, group: &OptGroupDef) -> Vec<(String, candle_core::Var)> {
    let nets = model.networks();
    let mut out = Vec::new();
    for net in group.networks {
        let Some((_, map)) = nets.iter().find(|(n, _)| n == net) else {
            continue;
        };
        for (name, var) in sorted_vars(map) {
            if is_trainable(&name) {
                let name = if group.networks.len() > 1 {
                    format!("{net}.{name}")
                } else {
                    name
                };
                out.push((name, var));
            }
        }
    }
    out
}

/// A family's typed settings: serde with defaults, and a check of their values.
pub trait Settings: Serialize + serde::de::DeserializeOwned + Default {
    /// Refuses values out of range.
    fn check(&self) -> Result<(), TrainError>;
}

/// A family's settings parsed from JSON and checked (for `build` and `set_config`).
pub fn checked<T: Settings>(family: &str, config: &serde_json::Value) -> Result<T, TrainError> {
    let s: T = parse_config(family, config)?;
    s.check()?;
    Ok(s)
}

/// [`Family::normalize`] for settings `T`: parsed, checked, missing fields filled in.
pub fn normalized<T: Settings>(family: &str, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
    Ok(to_json(&checked::<T>(family, config)?))
}

/// Parses a family's typed config from JSON, naming the family in the error.
pub fn parse_config<T: serde::de::DeserializeOwned>(family: &str, config: &serde_json::Value) -> Result<T, TrainError> {
    serde_json::from_value(config.clone()).map_err(|e| TrainError::Config(format!("{family}: bad model settings: {e}")))
}

/// A typed config as JSON.
pub fn to_json<T: Serialize>(config: &T) -> serde_json::Value {
    serde_json::to_value(config).unwrap_or(serde_json::Value::Null)
}

/// Checks a latent size: at least 1 and small enough to allocate for.
pub fn check_latent_dim(latent_dim: usize) -> Result<(), TrainError> {
    if latent_dim == 0 {
        return Err(TrainError::Config("latent size must be at least 1".into()));
    }
    if latent_dim > MAX_LATENT_DIM {
        return Err(TrainError::Config(format!(
            "latent size {latent_dim} is too large (at most {MAX_LATENT_DIM})"
        )));
    }
    Ok(())
}

/// Refuses a change of latent size between steps (it is part of the architecture).
pub fn keep_latent_dim(current: usize, new: usize) -> Result<(), TrainError> {
    if new != current {
        return Err(TrainError::Config(format!(
            "the latent size is part of the architecture ({current}); start a new run to change it"
        )));
    }
    Ok(())
}

/// The largest latent size any family accepts.
pub const MAX_LATENT_DIM: usize = 4096;
