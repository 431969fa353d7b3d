//! The GAN families (`mlp-gan`, `dcgan`): Goodfellow et al.'s Algorithm 1 — for each
//! iteration, k discriminator updates on fresh real and fake batches, then one generator
//! update — with the minimax or the non-saturating generator loss.
//!
//! Networks `g` and `d` (see [`crate::nets::mlp`], [`crate::nets::dcgan`]), one optimizer
//! each; steps "D step", "G step" and the iteration; metrics the two losses and D's mean
//! verdicts, and D's verdict on every image of the last batches as distributions (the
//! histogram drifting toward 0.5). Seams: the generator (decoder) and D (scorer).

use std::sync::Arc;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use super::{
    ChartDef, Declaration, Family, FamilyModel, ITERATION, MetricDef, OptGroupDef, Seams, StepCtx, StepKindDef,
    StepOutput, VectorDef, VectorKind, check_latent_dim, to_json,
};
use crate::nets::ops::sink::ParamGrads;
use crate::nets::{Gan, GanArch, GanConfig, GeneratorSnapshot, average_vars, copy_vars};
use crate::train::loss::{GeneratorLoss, discriminator_loss_smoothed, generator_loss};
use crate::train::metrics::mean;
use crate::train::{OptimizerConfig, TrainError};

/// A GAN's settings (saved with its weights). `k` and the loss may change between steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GanSettings {
    /// Size of the latent vector z.
    pub latent_dim: usize,
    /// Discriminator updates per generator update.
    pub k: usize,
    /// The generator's objective.
    pub g_loss: GeneratorLoss,
    /// D's target for real images: 1 in the paper; below 1 is one-sided label smoothing
    /// (Salimans et al. 2016 use 0.9). The fakes' target stays 0. A file written before
    /// this setting existed reads 1.
    #[serde(default = "paper_real_label")]
    pub real_label: f32,
    /// With k = 1, the generator step reuses the z and the fakes of the discriminator step
    /// just before it (as pytorch/examples' DCGAN does): one generator forward pass less.
    /// Off: a fresh z for the generator step, as Algorithm 1 samples it. A file written
    /// before this setting existed reads off.
    #[serde(default)]
    pub reuse_fakes: bool,
    /// Samples come from an exponential moving average of G's weights with this decay
    /// (Yazıcı et al. 2019: the average of the last ~1/(1 − decay) generators, smoother than
    /// any one of them); 0 samples from G itself, as the paper does. G, D and their losses
    /// are untouched: the average only ever decodes. Saved as the network `g_ema`. A file
    /// written before this setting existed reads 0.
    #[serde(default)]
    pub ema: f64,
    /// DCGAN: units of a fully connected layer (BN) at the start of G and at the end of D's
    /// body, as in InfoGAN's MNIST network (Chen et al. 2016, appendix C.1, at 1,024 units).
    /// 0, the paper's DCGAN: all convolutional (Radford et al. drop such layers). Fixed for a
    /// run; a file written before this setting existed reads 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fc_units: usize,
}

fn paper_real_label() -> f32 {
    1.0
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The most units [`GanSettings::fc_units`] may ask for.
pub const MAX_FC_UNITS: usize = 4096;

impl Default for GanSettings {
    /// The paper's recipe ([`PAPER`]); each family's fresh run may start elsewhere.
    fn default() -> Self {
        PAPER
    }
}

impl super::Settings for GanSettings {
    fn check(&self) -> Result<(), TrainError> {
        check_latent_dim(self.latent_dim)?;
        if self.k == 0 {
            return Err(TrainError::Config("k must be at least 1".into()));
        }
        if self.k > 100 {
            return Err(TrainError::Config(format!("k = {} is too large (at most 100)", self.k)));
        }
        if !(0.0..1.0).contains(&self.ema) {
            return Err(TrainError::Config(format!(
                "ema = {} is out of range (0 for none, else below 1, e.g. 0.999)",
                self.ema
            )));
        }
        if self.fc_units > MAX_FC_UNITS {
            return Err(TrainError::Config(format!(
                "fc units = {} is too large (at most {MAX_FC_UNITS})",
                self.fc_units
            )));
        }
        if !(self.real_label > 0.5 && self.real_label <= 1.0) {
            return Err(TrainError::Config(format!(
                "real label = {} is out of range (above 0.5, at most 1)",
                self.real_label
            )));
        }
        Ok(())
    }
}

/// A GAN family: one architecture, unconditional or with a class joined to both inputs
/// (the conditional GANs of [`super::cgan`]).
pub struct GanFamily {
    pub(super) arch: GanArch,
    pub(super) declaration: &'static Declaration,
    /// The settings of a fresh run (a file that lacks a setting still reads the paper's
    /// value: see [`GanSettings`]).
    pub(super) fresh: GanSettings,
    /// Adam's learning rate of a fresh run, for both networks.
    pub(super) lr: f64,
}

/// The paper's recipe (Goodfellow et al.'s Algorithm 1 with a fresh z for each update,
/// hard labels) with the DCGAN paper's Adam: what every GAN family but the MLP GAN starts
/// with.
pub const PAPER: GanSettings = GanSettings {
    latent_dim: 100,
    k: 1,
    g_loss: GeneratorLoss::NonSaturating,
    real_label: 1.0,
    reuse_fakes: false,
    ema: 0.0,
    fc_units: 0,
};
/// The DCGAN paper's learning rate.
pub const PAPER_LR: f64 = 2e-4;

/// The MLP GAN.
pub const MLP_GAN: GanFamily = GanFamily {
    arch: GanArch::MlpGan,
    declaration: &Declaration {
        id: "mlp-gan",
        label: "MLP GAN",
        summary: "the classic fully connected GAN (Goodfellow et al., 2014)",
        min_batch: (1, ""),
        ..GAN
    },
    // Measured for digits within a minute (bench/README.md, "Time to digits"): a higher
    // learning rate, one-sided label smoothing, the D step's fakes reused by the G step,
    // and samples from G's moving average.
    fresh: MLP_GAN_FRESH,
    lr: MLP_GAN_LR,
};
/// The MLP GAN's fresh run: tuned for digits within a minute on two cores.
pub const MLP_GAN_FRESH: GanSettings = GanSettings {
    real_label: 0.9,
    reuse_fakes: true,
    ema: DEFAULT_EMA,
    ..PAPER
};
/// The decay of G's moving average when it is switched on ([`GanSettings::ema`]).
pub const DEFAULT_EMA: f64 = 0.999;
/// The MLP GAN's learning rate for a fresh run.
pub const MLP_GAN_LR: f64 = 5e-4;
/// The DCGAN.
pub const DCGAN: GanFamily = GanFamily {
    arch: GanArch::Dcgan,
    declaration: &Declaration {
        id: "dcgan",
        label: "DCGAN",
        summary: "a small deep convolutional GAN (Radford et al., 2015)",
        min_batch: (2, " (batch norm needs two samples)"),
        option_keys: DCGAN_OPTIONS,
        ..GAN
    },
    fresh: PAPER,
    lr: PAPER_LR,
};
/// The DCGAN's command-line options: every GAN's, then its fully connected layers.
const DCGAN_OPTIONS: super::OptionKeys = &[
    ("latent", "latent_dim"),
    ("k", "k"),
    ("g-loss", "g_loss"),
    ("real-label", "real_label"),
    ("reuse-fakes", "reuse_fakes"),
    ("ema", "ema"),
    ("fc", "fc_units"),
];
/// Every GAN's command-line options.
const GAN_OPTIONS: super::OptionKeys = DCGAN_OPTIONS.split_at(DCGAN_OPTIONS.len() - 1).0;

/// What both GANs declare (the conditional GANs too, with their own ids and conditioning).
pub(super) const GAN: Declaration = Declaration {
    id: "",
    label: "",
    summary: "",
    option_keys: GAN_OPTIONS,
    optimizer_groups: GROUPS,
    step_kinds: STEPS,
    metrics: METRICS,
    vectors: VECTORS,
    charts: CHARTS,
    min_batch: (1, ""),
    has_encoder: false,
    input: super::Input::Images,
    conditioning: super::Conditioning::NONE,
};

/// Index of the D-step kind.
pub(super) const STEP_D: usize = 0;
/// Index of the G-step kind.
pub(super) const STEP_G: usize = 1;
/// Index of the generator's optimizer group.
pub(super) const GROUP_G: usize = 0;
/// Index of the discriminator's optimizer group.
pub(super) const GROUP_D: usize = 1;

pub(super) const STEPS: &[StepKindDef] = &[
    D_STEP,
    G_STEP,
    StepKindDef {
        id: ITERATION,
        label: "Step",
        help: "One iteration of Algorithm 1: k discriminator updates, then one generator update",
        iteration: true,
    },
];
/// One discriminator update (InfoGAN has it too).
pub(super) const D_STEP: StepKindDef = StepKindDef {
    id: "d",
    label: "Step D",
    help: "One discriminator update",
    iteration: false,
};
/// One generator update (InfoGAN has it too).
pub(super) const G_STEP: StepKindDef = StepKindDef {
    id: "g",
    label: "Step G",
    help: "One generator update",
    iteration: false,
};

pub(super) const GROUPS: &[OptGroupDef] = &[G_GROUP, D_GROUP];
/// The generator's optimizer group.
pub(super) const G_GROUP: OptGroupDef = OptGroupDef {
    id: "g",
    label: "generator",
    short: "G",
    networks: &["g"],
};
/// The discriminator's optimizer group.
pub(super) const D_GROUP: OptGroupDef = OptGroupDef {
    id: "d",
    label: "discriminator",
    short: "D",
    networks: &["d"],
};

/// Colour of everything about real images (D(x)).
pub const REAL_COLOR: [u8; 3] = [52, 120, 230];
/// Colour of everything about fake images (D(G(z))).
pub const FAKE_COLOR: [u8; 3] = [235, 120, 30];

/// The D and G losses and D's mean verdicts (the toy GAN reports them too).
pub(super) const METRICS: &[MetricDef] = &[D_LOSS, G_LOSS, D_REAL_MEAN, D_FAKE_MEAN];
pub(super) const D_LOSS: MetricDef = MetricDef {
    key: "d_loss",
    label: "D loss",
    chart: "losses",
    color: [150, 90, 200],
};
pub(super) const G_LOSS: MetricDef = MetricDef {
    key: "g_loss",
    label: "G loss",
    chart: "losses",
    color: [30, 160, 120],
};
pub(super) const D_REAL_MEAN: MetricDef = MetricDef {
    key: "d_real_mean",
    label: "mean D(x)",
    chart: "d_outputs",
    color: REAL_COLOR,
};
pub(super) const D_FAKE_MEAN: MetricDef = MetricDef {
    key: "d_fake_mean",
    label: "mean D(G(z))",
    chart: "d_outputs",
    color: FAKE_COLOR,
};

/// D's verdicts on each image of the batch, real and fake.
pub(super) const VECTORS: &[VectorDef] = &[
    VectorDef {
        key: "d_real",
        label: "D(x), real",
        kind: VectorKind::Distribution,
        color: REAL_COLOR,
    },
    VectorDef {
        key: "d_fake",
        label: "D(G(z)), fake",
        kind: VectorKind::Distribution,
        color: FAKE_COLOR,
    },
];

const CHARTS: &[ChartDef] = &[LOSSES_CHART, D_OUTPUTS_CHART];
pub(super) const LOSSES_CHART: ChartDef = ChartDef {
    id: "losses",
    title: "Losses",
    note: None,
    y_range: None,
    reference: None,
};
pub const D_OUTPUTS_CHART: ChartDef = ChartDef {
    id: "d_outputs",
    title: "Discriminator outputs",
    note: Some("(both tend to 0.5 as G learns; to half the real label with label smoothing)"),
    y_range: Some((0.0, 1.0)),
    reference: Some(0.5),
};

impl Family for GanFamily {
    fn declaration(&self) -> &'static Declaration {
        self.declaration
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&self.fresh)
    }
    fn architecture_keys(&self) -> &'static [&'static str] {
        &["latent_dim", "fc_units"]
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<GanSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        OptimizerConfig {
            lr: self.lr,
            ..OptimizerConfig::default()
        }
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: GanSettings = super::checked(self.id(), config)?;
        let family = super::find(self.id()).ok_or_else(|| TrainError::Config(super::unknown_family(self.id())))?;
        if settings.fc_units > 0 && self.arch != GanArch::Dcgan {
            return Err(TrainError::Config(format!(
                "fc units apply to the DCGAN's networks; the {} has none to add",
                self.label()
            )));
        }
        let classes = self.declaration.conditioning.classes;
        let gan = Gan::new_uninit(
            GanConfig {
                arch: self.arch,
                latent_dim: settings.latent_dim + classes,
                classes,
                g_hidden: settings.fc_units,
                d_hidden: settings.fc_units,
            },
            device,
        )?;
        let ema = (settings.ema > 0.0).then(|| gan.snapshot_generator()).transpose()?;
        Ok(Box::new(GanModel {
            family,
            gan,
            settings,
            classes,
            ema,
        }))
    }
}

/// One D update's report.
struct DReport {
    d_loss: f32,
    d_real: Vec<f32>,
    d_fake: Vec<f32>,
}

/// The generator's half of a batch made once for both steps of an iteration
/// ([`GanSettings::reuse_fakes`]): G's output with its graph, and the classes joined to it.
struct SharedFakes {
    fake: Tensor,
    onehot: Option<Tensor>,
    collected: Arc<ParamGrads>,
}

/// A GAN being trained.
pub struct GanModel {
    family: &'static dyn Family,
    gan: Gan,
    settings: GanSettings,
    /// Classes joined to both networks' inputs (0: unconditional).
    classes: usize,
    /// The moving average of G that samples are decoded from ([`GanSettings::ema`]).
    ema: Option<GeneratorSnapshot>,
}

impl GanModel {
    /// The networks.
    pub fn gan(&self) -> &Gan {
        &self.gan
    }

    /// G's input for a batch: z, then for a conditional GAN the one-hot class of each image
    /// (classes drawn uniformly). Returns the input and D's one-hot classes.
    fn g_input(&self, ctx: &mut StepCtx<'_>) -> candle_core::Result<(Tensor, Option<Tensor>)> {
        let z = ctx.normal(self.settings.latent_dim)?;
        if self.classes == 0 {
            return Ok((z, None));
        }
        let onehot = super::one_hot(&ctx.random_classes(self.classes), self.classes, ctx.device)?;
        Ok((Tensor::cat(&[&z, &onehot], 1)?, Some(onehot)))
    }

    /// D's input: the images, with their classes joined for a conditional GAN.
    fn d_input(&self, x: &Tensor, onehot: Option<&Tensor>) -> candle_core::Result<Tensor> {
        match onehot {
            Some(y) => self.gan.config.arch.join_label(x, y),
            None => Ok(x.clone()),
        }
    }

    /// A real batch as D reads it (with its labels, for a conditional GAN).
    fn real_input(&self, ctx: &mut StepCtx<'_>) -> candle_core::Result<Tensor> {
        if self.classes == 0 {
            return ctx.real_batch();
        }
        let (x, labels) = ctx.labelled_batch()?;
        let onehot = super::one_hot(&labels, self.classes, ctx.device)?;
        self.d_input(&x, Some(&onehot))
    }

    /// One discriminator update: raise D on a real batch, lower it on a fake batch (made
    /// here, or the `shared` one the generator step will reuse).
    fn d_step(&mut self, ctx: &mut StepCtx<'_>, shared: Option<&SharedFakes>) -> Result<DReport, TrainError> {
        let real = self.real_input(ctx)?;
        let fake = match shared {
            // The generator's graph stays with `shared`; D reads the values only.
            Some(s) => self.d_input(&s.fake.detach(), s.onehot.as_ref())?,
            None => {
                let (z, onehot) = self.g_input(ctx)?;
                // G's weights as constants: no graph is kept for a batch D only reads.
                let fake = self.gan.g.forward_frozen(&z, true)?;
                self.d_input(&fake, onehot.as_ref())?
            }
        };
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
        let loss = discriminator_loss_smoothed(&real_logits, &fake_logits, self.settings.real_label)?;
        let d_loss = ctx.update(GROUP_D, "discriminator loss", &loss, &collected)?;
        Ok(DReport {
            d_loss,
            d_real: sigmoid_vec(&real_logits)?,
            d_fake: sigmoid_vec(&fake_logits)?,
        })
    }

    /// One generator update: move G's samples up D's slope. Returns the loss and the mean
    /// D(G(z)) the generator saw.
    fn g_step(&mut self, ctx: &mut StepCtx<'_>, shared: Option<SharedFakes>) -> Result<(f32, f32), TrainError> {
        let shared = match shared {
            Some(s) => s,
            None => self.make_fakes(ctx)?,
        };
        let SharedFakes {
            fake,
            onehot,
            collected,
        } = shared;
        let fake = self.d_input(&fake, onehot.as_ref())?;
        // D's weights as constants: the gradient flows through D to G's weights only.
        let fake_logits = self.gan.d.forward_frozen(&fake, true)?;
        let loss = generator_loss(&fake_logits, self.settings.g_loss)?;
        let g_loss = ctx.update(GROUP_G, "generator loss", &loss, &collected)?;
        if let Some(ema) = &self.ema {
            average_vars(
                ema.vars(),
                &self.gan.g_vars,
                ema_decay(self.settings.ema, ctx.updates[GROUP_G]),
            )?;
        }
        Ok((g_loss, mean(&sigmoid_vec(&fake_logits)?)))
    }

    /// The generator samples are decoded from: the moving average where there is one.
    fn sampler(&self) -> &dyn crate::nets::Generator {
        match &self.ema {
            Some(ema) => ema.generator(),
            None => self.gan.g.as_ref(),
        }
    }

    /// A fake batch from fresh z, with G's graph kept for the generator's update.
    fn make_fakes(&self, ctx: &mut StepCtx<'_>) -> Result<SharedFakes, TrainError> {
        let (z, onehot) = self.g_input(ctx)?;
        let collected = ParamGrads::new();
        let fake = self.gan.g.forward_collecting(&z, true, &collected)?;
        Ok(SharedFakes {
            fake,
            onehot,
            collected,
        })
    }
}

impl FamilyModel for GanModel {
    fn family(&self) -> &'static dyn Family {
        self.family
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: GanSettings = super::checked(self.family.id(), config)?;
        super::keep_latent_dim(self.settings.latent_dim, s.latent_dim)?;
        if s.fc_units != self.settings.fc_units {
            return Err(TrainError::Config(
                "the DCGAN's fully connected layers are fixed for a run; start a new run to change them".into(),
            ));
        }
        // Switched on mid-run, the average starts from G as it is now.
        match (&self.ema, s.ema > 0.0) {
            (None, true) => self.ema = Some(self.gan.snapshot_generator()?),
            (Some(_), false) => self.ema = None,
            _ => {}
        }
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        let mut nets = vec![("g", &self.gan.g_vars), ("d", &self.gan.d_vars)];
        if let Some(ema) = &self.ema {
            nets.push(("g_ema", ema.vars()));
        }
        nets
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        self.gan.init_weights(seed)?;
        if let Some(ema) = &self.ema {
            copy_vars(&self.gan.g_vars, ema.vars())?;
        }
        Ok(())
    }
    fn step(&mut self, kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let nan = f32::NAN;
        match kind {
            STEP_D => {
                let d = self.d_step(ctx, None)?;
                Ok(StepOutput {
                    values: vec![d.d_loss, nan, mean(&d.d_real), mean(&d.d_fake)],
                    vectors: vec![d.d_real, d.d_fake],
                })
            }
            STEP_G => {
                let (g_loss, d_fake_mean) = self.g_step(ctx, None)?;
                Ok(StepOutput {
                    values: vec![nan, g_loss, nan, d_fake_mean],
                    vectors: vec![Vec::new(), Vec::new()],
                })
            }
            _ => {
                let mut d = DReport {
                    d_loss: 0.0,
                    d_real: Vec::new(),
                    d_fake: Vec::new(),
                };
                if self.settings.reuse_fakes && self.settings.k == 1 {
                    // One fake batch for both updates: D learns on it, then G is moved
                    // up the updated D's slope from the same z.
                    let shared = self.make_fakes(ctx)?;
                    d = self.d_step(ctx, Some(&shared))?;
                    let (g_loss, _) = self.g_step(ctx, Some(shared))?;
                    return Ok(StepOutput {
                        values: vec![d.d_loss, g_loss, mean(&d.d_real), mean(&d.d_fake)],
                        vectors: vec![d.d_real, d.d_fake],
                    });
                }
                for _ in 0..self.settings.k {
                    d = self.d_step(ctx, None)?;
                }
                let (g_loss, _) = self.g_step(ctx, None)?;
                Ok(StepOutput {
                    values: vec![d.d_loss, g_loss, mean(&d.d_real), mean(&d.d_fake)],
                    vectors: vec![d.d_real, d.d_fake],
                })
            }
        }
    }
    fn latent_dim(&self) -> Option<usize> {
        Some(self.settings.latent_dim + self.classes)
    }
    fn decode(&self, z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        Some(self.sampler().forward_t(z, false))
    }
    fn score(&self, images: &Tensor) -> Option<candle_core::Result<Vec<f32>>> {
        if self.classes > 0 {
            // D(x, y) needs a class; the explorer's seam takes the class asked for.
            return None;
        }
        Some(self.gan.d.forward_t(images, false).and_then(|l| sigmoid_vec(&l)))
    }
    fn probe(&self, real: &Tensor, z: &Tensor) -> Option<candle_core::Result<Vec<Vec<f32>>>> {
        if self.classes > 0 {
            // Before any step there is no labelled fake batch to show honestly.
            return None;
        }
        let verdicts = |x: &Tensor| self.gan.d.forward_t(x, false).and_then(|l| sigmoid_vec(&l));
        Some((|| {
            let fake = crate::nets::images_to_u8(&self.gan.generate(z)?)?;
            let fake = super::images_from_u8(&fake, z.device())?;
            Ok(vec![verdicts(real)?, verdicts(&fake)?])
        })())
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        Ok(Seams {
            decoder: Some(Arc::new(match &self.ema {
                Some(ema) => ema.copy()?,
                None => self.gan.snapshot_generator()?,
            })),
            encoder: None,
            scorer: Some(Arc::new(self.gan.snapshot_discriminator()?)),
            classifier: None,
            pixels: None,
            translator: None,
        })
    }
}

/// The moving average's decay after `updates` G updates: `decay`, held lower at first
/// ((1 + t)/(10 + t), as TensorFlow's `ExponentialMovingAverage` with `num_updates`) so the
/// average is not dragged by the untrained G of the first steps.
pub fn ema_decay(decay: f64, updates: u64) -> f64 {
    let t = updates as f64;
    decay.min((1.0 + t) / (10.0 + t))
}

/// σ(logits) as a vector.
pub fn sigmoid_vec(logits: &Tensor) -> candle_core::Result<Vec<f32>> {
    Ok(logits
        .to_vec1::<f32>()?
        .into_iter()
        .map(|l| 1.0 / (1.0 + (-l).exp()))
        .collect())
}
