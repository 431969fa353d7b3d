//! pix2pix (`pix2pix`; Isola et al. 2017): paired image-to-image translation. The generator
//! sees an input image, not noise — a digit with a hole, at low resolution, as a thin sketch
//! or under noise ([`PairTask`], made from the real digits on the fly) — and learns to give
//! the whole digit back. Its loss is the conditional GAN's plus λ times the L1 distance to
//! the target:
//!
//! - D (a PatchGAN, [`crate::nets::unet::PatchGan`]) scores each 18×18 patch of the pair
//!   (input, output): ½·(BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)), averaged over the 7×7 patches;
//! - G (a U-Net) minimises BCE(D(x, G(x)), 1) + λ·mean |G(x) − y| (λ = 100 by default,
//!   adjustable between steps). `--loss gan` drops the L1 term (sharp but unfaithful),
//!   `--loss l1` the GAN term (faithful but blurry), as the paper's ablation shows.
//!
//! Networks `g` and `d`, groups `g` and `d` (Adam, lr 1e-3, β₁ 0.5); step kinds
//! "Step D", "Step G" and the iteration (one of each). L1 figures are on the 0–1 pixel scale.
//!
//! **Held-out digits.** As the PixelCNN, the family trains on the first 90 % of its data (at
//! most all but 1,000 digits) and every [`HELD_OUT_EVERY`] steps translates
//! [`HELD_OUT_BATCH`] fixed digits of the rest (their inputs drawn from a fixed seed, so the
//! same every time): the held-out L1 beside the input's own L1 (what doing nothing scores),
//! PSNR, and the share of outputs the digit judge names as the digit they came from.
//!
//! **No latent code.** Its seam is a [`Translator`] (image → image, and the PatchGAN's map).
//! The window's sample grid shows 16 held-out digits as input · output · target · D's
//! patch verdicts.

use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::{
    ChartDef, Declaration, Family, FamilyModel, ITERATION, MetricDef, OptGroupDef, Seams, StepCtx, StepKindDef,
    StepOutput, Translator, images_from_u8, to_json,
};
use crate::data::Dataset;
use crate::data::paired::{PIXELS, PairTask, l1, psnr};
use crate::nets::copy_vars;
use crate::nets::images_to_u8;
use crate::nets::init::{InitScheme, init_vars};
use crate::nets::ops::loss::softplus_mean;
use crate::nets::unet::{PATCH_SIDE, PatchGan, UNet};
use crate::rng::Rng;
use crate::train::{OptimizerConfig, TrainError};

use super::pixelcnn::held_out_count;

/// Held-out digits translated per evaluation.
pub const HELD_OUT_BATCH: usize = 100;
/// Steps between held-out evaluations.
pub const HELD_OUT_EVERY: u64 = 25;
/// The seed of the held-out digits' inputs.
pub const HELD_OUT_SEED: u64 = 0x9e37_79b9;
/// Digits in the window's sample grid (each as input, output, target, D's map).
pub const SHOWCASE_DIGITS: usize = 16;

/// Which terms G minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PixLoss {
    /// The GAN term plus λ·L1 (pix2pix).
    #[default]
    GanL1,
    /// The GAN term alone: sharp, but free to change the digit.
    Gan,
    /// λ·L1 alone: faithful, but blurry where the input leaves doubt.
    L1,
}

impl PixLoss {
    /// Every choice.
    pub const ALL: [PixLoss; 3] = [PixLoss::GanL1, PixLoss::Gan, PixLoss::L1];
    /// The id `--loss` takes.
    pub fn id(self) -> &'static str {
        match self {
            PixLoss::GanL1 => "gan-l1",
            PixLoss::Gan => "gan",
            PixLoss::L1 => "l1",
        }
    }
}

/// pix2pix's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pix2PixSettings {
    /// The paired task (architecture: a run learns one).
    pub task: PairTask,
    /// Super-resolution block side: 4 (7×7 → 28×28) or 2 (14×14 → 28×28).
    pub factor: usize,
    /// Feature maps of the first layers (architecture).
    pub channels: usize,
    /// Weight λ of the L1 term (may change between steps).
    pub lambda_l1: f64,
    /// Which terms G minimises (may change between steps).
    pub loss: PixLoss,
}

impl Default for Pix2PixSettings {
    fn default() -> Self {
        Self {
            task: PairTask::Inpaint,
            factor: 4,
            channels: 32,
            lambda_l1: 100.0,
            loss: PixLoss::GanL1,
        }
    }
}

impl super::Settings for Pix2PixSettings {
    fn check(&self) -> Result<(), TrainError> {
        if !(1..=128).contains(&self.channels) {
            return Err(TrainError::Config(format!(
                "pix2pix: {} channels is out of range (1 to 128)",
                self.channels
            )));
        }
        if self.factor != 2 && self.factor != 4 {
            return Err(TrainError::Config(format!(
                "pix2pix: super-resolution factor {} is not 2 or 4",
                self.factor
            )));
        }
        if !(self.lambda_l1.is_finite() && (0.0..=10_000.0).contains(&self.lambda_l1)) {
            return Err(TrainError::Config(format!(
                "pix2pix: λ of the L1 term {} is out of range (0 to 10000)",
                self.lambda_l1
            )));
        }
        Ok(())
    }
}

impl Pix2PixSettings {
    /// Whether `other` differs only in what may change between steps.
    fn same_architecture(&self, other: &Self) -> bool {
        self.task == other.task && self.factor == other.factor && self.channels == other.channels
    }
}

/// The family.
pub struct Pix2PixFamily;

/// pix2pix.
pub const PIX2PIX: Pix2PixFamily = Pix2PixFamily;

const STEP_D: usize = 0;
const STEP_G: usize = 1;
const GROUP_G: usize = 0;
const GROUP_D: usize = 1;

const REAL: [u8; 3] = [40, 110, 200];
const FAKE: [u8; 3] = [220, 120, 30];
const GREY: [u8; 3] = [140, 140, 140];

const METRICS: &[MetricDef] = &[
    MetricDef {
        key: "g_gan",
        label: "G's GAN term",
        chart: "adversarial",
        color: [30, 160, 120],
    },
    MetricDef {
        key: "d_real_term",
        label: "D's real term",
        chart: "adversarial",
        color: REAL,
    },
    MetricDef {
        key: "d_fake_term",
        label: "D's fake term",
        chart: "adversarial",
        color: FAKE,
    },
    MetricDef {
        key: "l1",
        label: "training L1",
        chart: "l1",
        color: [30, 160, 120],
    },
    MetricDef {
        key: "l1_held_out",
        label: "held-out L1",
        chart: "l1",
        color: FAKE,
    },
    MetricDef {
        key: "l1_input",
        label: "held-out input's L1",
        chart: "l1",
        color: GREY,
    },
    MetricDef {
        key: "psnr_held_out",
        label: "held-out PSNR",
        chart: "psnr",
        color: FAKE,
    },
    MetricDef {
        key: "judge_kept",
        label: "outputs judged as their digit",
        chart: "judge",
        color: FAKE,
    },
    MetricDef {
        key: "judge_input",
        label: "inputs judged as their digit",
        chart: "judge",
        color: GREY,
    },
];

const CHARTS: &[ChartDef] = &[
    ChartDef {
        id: "adversarial",
        title: "GAN terms",
        note: Some("(BCE per patch)"),
        y_range: None,
        reference: Some(std::f64::consts::LN_2),
    },
    ChartDef {
        id: "l1",
        title: "L1 to the target",
        note: Some("(mean |output − target| per pixel, 0–1)"),
        y_range: None,
        reference: None,
    },
    ChartDef {
        id: "psnr",
        title: "Held-out PSNR",
        note: Some("(dB, higher is closer)"),
        y_range: None,
        reference: None,
    },
    ChartDef {
        id: "judge",
        title: "Digit kept",
        note: Some("(share the judge names as the digit they came from)"),
        y_range: Some((0.0, 1.0)),
        reference: None,
    },
];

const DECLARATION: Declaration = Declaration {
    id: "pix2pix",
    label: "pix2pix",
    summary: "paired image-to-image translation: a U-Net fills holes, sharpens, inks sketches or denoises, judged by a PatchGAN",
    option_keys: &[
        ("task", "task"),
        ("factor", "factor"),
        ("channels", "channels"),
        ("lambda-l1", "lambda_l1"),
        ("loss", "loss"),
    ],
    optimizer_groups: &[
        OptGroupDef {
            id: "g",
            label: "generator",
            short: "G",
            networks: &["g"],
        },
        OptGroupDef {
            id: "d",
            label: "discriminator",
            short: "D",
            networks: &["d"],
        },
    ],
    step_kinds: &[
        StepKindDef {
            id: "d",
            label: "Step D",
            help: "One update of the PatchGAN on real and translated pairs",
            iteration: false,
        },
        StepKindDef {
            id: "g",
            label: "Step G",
            help: "One update of the U-Net: fool the PatchGAN and stay close to the target",
            iteration: false,
        },
        StepKindDef {
            id: ITERATION,
            label: "Iteration",
            help: "One D update, then one G update",
            iteration: true,
        },
    ],
    metrics: METRICS,
    vectors: &[],
    charts: CHARTS,
    min_batch: (1, ""),
    has_encoder: false,
    input: super::Input::Images,
    conditioning: super::Conditioning::NONE,
};

impl Family for Pix2PixFamily {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&Pix2PixSettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<Pix2PixSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        // Adam with β₁ 0.5 as the paper, at lr 1e-3 rather than its 2e-4 (which it runs at
        // batch 1 for 200 epochs): 400 steps of denoising at batch 16 reached held-out L1
        // 0.053 at 1e-3 and 0.069 at 2e-4 (models/README.md).
        OptimizerConfig {
            lr: 1e-3,
            ..OptimizerConfig::default()
        }
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: Pix2PixSettings = super::checked(self.id(), config)?;
        let nets = Nets::new(settings.channels, device)?;
        Ok(Box::new(Pix2PixModel {
            settings,
            nets,
            device: device.clone(),
        }))
    }
    fn architecture_keys(&self) -> &'static [&'static str] {
        &["task", "factor", "channels"]
    }
    fn showcase_caption(&self) -> Option<&'static str> {
        Some("Held-out digits: input · output · target · D's patches")
    }
    fn showcase_help(&self) -> Option<&'static str> {
        Some(
            "Each row: two digits the model never trained on, each as its input, the model's output, the real digit, and D's verdict on each patch (white: real)",
        )
    }
}

/// G and D with their variables.
struct Nets {
    g: UNet,
    d: PatchGan,
    g_vars: VarMap,
    d_vars: VarMap,
}

impl Nets {
    fn new(channels: usize, device: &Device) -> candle_core::Result<Self> {
        let g_vars = VarMap::new();
        let d_vars = VarMap::new();
        Ok(Self {
            g: UNet::new(channels, VarBuilder::from_varmap(&g_vars, DType::F32, device))?,
            d: PatchGan::new(channels, VarBuilder::from_varmap(&d_vars, DType::F32, device))?,
            g_vars,
            d_vars,
        })
    }

    /// An independent copy of both networks.
    fn copy(&self, channels: usize, device: &Device) -> candle_core::Result<Self> {
        let own = Self::new(channels, device)?;
        copy_vars(&self.g_vars, &own.g_vars)?;
        copy_vars(&self.d_vars, &own.d_vars)?;
        Ok(own)
    }
}

/// A pix2pix run.
pub struct Pix2PixModel {
    settings: Pix2PixSettings,
    nets: Nets,
    device: Device,
}

/// What one D update measured.
struct DReport {
    real_term: f32,
    fake_term: f32,
}

impl Pix2PixModel {
    /// A training batch: (inputs, targets), from the training part of the data.
    fn batch(&self, ctx: &mut StepCtx<'_>) -> Result<(Tensor, Tensor), TrainError> {
        let Some(data) = ctx.data.images() else {
            return Err(TrainError::Config(
                "pix2pix trains on images, and the data is toy points".into(),
            ));
        };
        let train_n = data.len() - held_out_count(data.len());
        let mut targets = Vec::with_capacity(ctx.batch_size * PIXELS);
        for _ in 0..ctx.batch_size {
            let i = ctx.rng.below(train_n.max(1));
            targets.extend_from_slice(data.image(i));
        }
        let inputs = self.settings.task.inputs(&targets, self.settings.factor, ctx.rng);
        Ok((
            images_from_u8(&inputs, ctx.device)?,
            images_from_u8(&targets, ctx.device)?,
        ))
    }

    fn d_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<DReport, TrainError> {
        let (x, y) = self.batch(ctx)?;
        let fake = self.nets.g.forward(&x, true)?;
        let real_logits = self.nets.d.forward(&x, &y, false)?;
        let fake_logits = self.nets.d.forward(&x, &fake, false)?;
        let real_term = softplus_mean(&real_logits, -1.0)?;
        let fake_term = softplus_mean(&fake_logits, 1.0)?;
        let loss = ((&real_term + &fake_term)? * 0.5)?;
        let collected = crate::nets::ops::sink::ParamGrads::new();
        ctx.update(GROUP_D, "discriminator loss", &loss, &collected)?;
        Ok(DReport {
            real_term: real_term.to_scalar()?,
            fake_term: fake_term.to_scalar()?,
        })
    }

    /// One G update: returns (GAN term, L1 on the 0–1 scale).
    fn g_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<(f32, f32), TrainError> {
        let (x, y) = self.batch(ctx)?;
        let fake = self.nets.g.forward(&x, false)?;
        let logits = self.nets.d.forward(&x, &fake, true)?;
        let gan = softplus_mean(&logits, -1.0)?;
        // Mean |G(x) − y| on the [-1, 1] scale (the paper's), half that on the 0–1 scale.
        let l1 = (&fake - &y)?.abs()?.mean_all()?;
        let lambda = self.settings.lambda_l1;
        let loss = match self.settings.loss {
            PixLoss::GanL1 => (&gan + (&l1 * lambda)?)?,
            PixLoss::Gan => gan.clone(),
            PixLoss::L1 => (&l1 * lambda.max(1e-6))?,
        };
        let collected = crate::nets::ops::sink::ParamGrads::new();
        ctx.update(GROUP_G, "generator loss", &loss, &collected)?;
        Ok((gan.to_scalar()?, l1.to_scalar::<f32>()? * 0.5))
    }

    /// The held-out figures: (L1, input's L1, PSNR, judge kept, judge on the inputs).
    fn held_out(&self, data: &Dataset) -> Result<[f32; 5], TrainError> {
        let n = data.len();
        let held = held_out_count(n);
        if held == 0 {
            return Ok([f32::NAN; 5]);
        }
        let m = held.min(HELD_OUT_BATCH);
        let idx: Vec<usize> = (0..m).map(|k| n - held + k * held / m).collect();
        let targets: Vec<u8> = idx.iter().flat_map(|&i| data.image(i).to_vec()).collect();
        let mut rng = Rng::derive(HELD_OUT_SEED, "pix2pix.held-out");
        let inputs = self.settings.task.inputs(&targets, self.settings.factor, &mut rng);
        let outputs = translate_u8(&self.nets.g, &inputs, &self.device)?;
        let mut kept = [f32::NAN; 2];
        if let (Some(labels), Ok(judge)) = (&data.labels, crate::quality::Judge::shipped()) {
            let labels: Vec<usize> = idx.iter().map(|&i| usize::from(labels[i])).collect();
            for (slot, images) in kept.iter_mut().zip([&outputs, &inputs]) {
                let v = judge.judge_u8(images)?;
                *slot = crate::quality::label_accuracy(&v, &labels).unwrap_or(f32::NAN);
            }
        }
        let per: Vec<f64> = outputs
            .chunks(PIXELS)
            .zip(targets.chunks(PIXELS))
            .map(|(o, t)| psnr(o, t))
            .collect();
        Ok([
            l1(&outputs, &targets) as f32,
            l1(&inputs, &targets) as f32,
            (per.iter().sum::<f64>() / per.len().max(1) as f64) as f32,
            kept[0],
            kept[1],
        ])
    }
}

/// Translates 8-bit inputs (784 bytes each) with `g`, in chunks (pix2pix's G, CycleGAN's G
/// and F).
pub(super) fn translate_u8(g: &UNet, inputs: &[u8], device: &Device) -> candle_core::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(256 * PIXELS) {
        let x = images_from_u8(chunk, device)?;
        out.extend(images_to_u8(&g.forward(&x, true)?)?);
    }
    Ok(out)
}

/// The PatchGAN's probabilities "real pair" (49 per image) for inputs beside outputs.
fn patch_probabilities(d: &PatchGan, inputs: &[u8], outputs: &[u8], device: &Device) -> candle_core::Result<Vec<f32>> {
    let x = images_from_u8(inputs, device)?;
    let y = images_from_u8(outputs, device)?;
    let logits = d.forward(&x, &y, true)?;
    candle_nn::ops::sigmoid(&logits)?.flatten_all()?.to_vec1::<f32>()
}

/// A 7×7 map of probabilities drawn as a 28×28 image (each patch a 4×4 block, 0 black, 1 white).
pub fn patch_map_u8(probs: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; PIXELS];
    for (i, o) in out.iter_mut().enumerate() {
        let (y, x) = (i / 28, i % 28);
        let p = probs.get((y / 4) * PATCH_SIDE + x / 4).copied().unwrap_or(0.0);
        *o = (p.clamp(0.0, 1.0) * 255.0).round() as u8;
    }
    out
}

impl FamilyModel for Pix2PixModel {
    fn family(&self) -> &'static dyn Family {
        &PIX2PIX
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: Pix2PixSettings = super::checked(self.family().id(), config)?;
        if !s.same_architecture(&self.settings) {
            return Err(TrainError::Config(
                "pix2pix's task, factor and channels are fixed for a run; start a new run to change them".into(),
            ));
        }
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        vec![("g", &self.nets.g_vars), ("d", &self.nets.d_vars)]
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        init_vars(&self.nets.g_vars, InitScheme::Torch, &mut Rng::derive(seed, "init.g"))?;
        init_vars(&self.nets.d_vars, InitScheme::Torch, &mut Rng::derive(seed, "init.d"))?;
        Ok(())
    }
    fn step(&mut self, kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let nan = f32::NAN;
        let (d, g) = match kind {
            STEP_D => (Some(self.d_step(ctx)?), None),
            STEP_G => (None, Some(self.g_step(ctx)?)),
            _ => (Some(self.d_step(ctx)?), Some(self.g_step(ctx)?)),
        };
        let mut held = [nan; 5];
        if g.is_some()
            && ctx.held_out
            && ctx.step.is_multiple_of(HELD_OUT_EVERY)
            && let Some(data) = ctx.data.images()
        {
            held = self.held_out(data)?;
        }
        Ok(StepOutput {
            values: vec![
                g.map_or(nan, |g| g.0),
                d.as_ref().map_or(nan, |d| d.real_term),
                d.as_ref().map_or(nan, |d| d.fake_term),
                g.map_or(nan, |g| g.1),
                held[0],
                held[1],
                held[2],
                held[3],
                held[4],
            ],
            vectors: Vec::new(),
        })
    }
    fn latent_dim(&self) -> Option<usize> {
        None
    }
    fn decode(&self, _z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        None
    }
    fn evaluate(&self, x: &Tensor, _rng: &mut Rng) -> Option<candle_core::Result<StepOutput>> {
        Some((|| {
            let targets = images_to_u8(x)?;
            let mut rng = Rng::derive(HELD_OUT_SEED, "pix2pix.held-out");
            let inputs = self.settings.task.inputs(&targets, self.settings.factor, &mut rng);
            let outputs = translate_u8(&self.nets.g, &inputs, &self.device)?;
            let nan = f32::NAN;
            let (l, li) = (l1(&outputs, &targets) as f32, l1(&inputs, &targets) as f32);
            let p = psnr(&outputs, &targets) as f32;
            Ok(StepOutput {
                values: vec![nan, nan, nan, l, l, li, p, nan, nan],
                vectors: Vec::new(),
            })
        })())
    }
    fn showcase(&self, data: &Dataset) -> Option<candle_core::Result<Vec<u8>>> {
        Some((|| {
            let n = data.len();
            let held = held_out_count(n);
            let (start, span) = if held >= SHOWCASE_DIGITS {
                (n - held, held)
            } else {
                (0, n)
            };
            let idx: Vec<usize> = (0..SHOWCASE_DIGITS.min(span))
                .map(|k| start + k * span / SHOWCASE_DIGITS)
                .collect();
            let targets: Vec<u8> = idx.iter().flat_map(|&i| data.image(i).to_vec()).collect();
            let mut rng = Rng::derive(HELD_OUT_SEED, "pix2pix.showcase");
            let inputs = self.settings.task.inputs(&targets, self.settings.factor, &mut rng);
            let outputs = translate_u8(&self.nets.g, &inputs, &self.device)?;
            let probs = patch_probabilities(&self.nets.d, &inputs, &outputs, &self.device)?;
            let mut grid = Vec::with_capacity(4 * targets.len());
            for k in 0..idx.len() {
                let at = |v: &[u8]| v[k * PIXELS..(k + 1) * PIXELS].to_vec();
                grid.extend(at(&inputs));
                grid.extend(at(&outputs));
                grid.extend(at(&targets));
                grid.extend(patch_map_u8(&probs[k * 49..(k + 1) * 49]));
            }
            Ok(grid)
        })())
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        let copy = self.nets.copy(self.settings.channels, &self.device)?;
        Ok(Seams {
            translator: Some(Arc::new(Pix2PixSnapshot {
                settings: self.settings,
                nets: copy,
                device: self.device.clone(),
            })),
            ..Seams::default()
        })
    }
}

/// A frozen pix2pix: the translator and its PatchGAN, for the explorer and the command line.
pub struct Pix2PixSnapshot {
    settings: Pix2PixSettings,
    nets: Nets,
    device: Device,
}

impl Translator for Pix2PixSnapshot {
    fn task_label(&self) -> &'static str {
        self.settings.task.label()
    }
    fn prepare(&self, digit: &[u8], rng: &mut Rng) -> Vec<u8> {
        self.settings.task.input(digit, self.settings.factor, rng)
    }
    fn translate_u8(&self, inputs: &[u8]) -> candle_core::Result<Vec<u8>> {
        if inputs.is_empty() || !inputs.len().is_multiple_of(PIXELS) {
            candle_core::bail!("{} bytes are not a whole number of 28×28 images", inputs.len());
        }
        translate_u8(&self.nets.g, inputs, &self.device)
    }
    fn patches(&self, inputs: &[u8], outputs: &[u8]) -> candle_core::Result<Vec<f32>> {
        if inputs.len() != outputs.len() || inputs.is_empty() || !inputs.len().is_multiple_of(PIXELS) {
            candle_core::bail!("inputs and outputs must be the same number of 28×28 images");
        }
        patch_probabilities(&self.nets.d, inputs, outputs, &self.device)
    }
}
