//! CycleGAN (`cyclegan`; Zhu et al. 2017): unpaired image-to-image translation. Two
//! generators, G: A → B and F: B → A, learn from digits in style A and other digits in
//! style B ([`DomainPair`], each domain drawn from its own half of the training digits), held
//! together by cycle consistency: F(G(a)) should give a back, G(F(b)) should give b back.
//!
//! Least-squares GAN losses (the reference's default), with D_A judging A and D_B judging B:
//! - D_B minimises ½·[(D_B(b) − 1)² + D_B(G(a))²], D_A the same on a and F(b), each averaged
//!   over its 7×7 patches ([`crate::nets::unet::PatchGan`] reading one image);
//! - G and F together minimise (D_B(G(a)) − 1)² + (D_A(F(b)) − 1)² +
//!   λ_cycle·(|F(G(a)) − a| + |G(F(b)) − b|) + λ_identity·(|G(b) − b| + |F(a) − a|),
//!   with λ_cycle = 10 and λ_identity = 5 (the reference's 10 and 0.5·10), both adjustable
//!   between steps.
//!
//! Networks `g_ab`, `g_ba` (U-Nets, [`crate::nets::unet::UNet`]), `d_a`, `d_b`; groups `g`
//! (both generators) and `d` (both discriminators), Adam lr 1e-3, β₁ 0.5; step kinds "Step D"
//! (both D's), "Step G" (both generators) and the iteration. The six loss terms of G and F and
//! the two D losses are its metrics (L1 terms on the 0–1 pixel scale). The reference's pool
//! of 50 past fakes for D is left out: each D step sees the current generators' outputs.
//!
//! **Hidden information** (Chu et al. 2017): a generator can pass the cycle test by hiding
//! what the way back needs in faint patterns of its output — above all where its style drops
//! something the other keeps (a skeleton has no stroke width, so G(F(b)) can only give b's
//! width back if F(b) hides it). Every [`HELD_OUT_EVERY`] steps each held-out cycle loss is
//! measured twice, as is and with slight Gaussian noise ([`PROBE_SIGMA`]) added before the
//! way back: a large gap means the cycle is carried by patterns too faint to see. The
//! `noisy_cycle` switch adds that noise in training too, which takes the hiding place away.
//!
//! **Label preservation:** on 100 held-out digits (the last 10 % of its data), the share of
//! G(a) that the digit judge names as a's digit (and of F(b) as b's). A translation that
//! changes style must keep the digit.
//!
//! Its seam is a [`Translator`] for A → B (with F for the way back, and D_B's patches).

use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::pixelcnn::held_out_count;
use super::{
    ChartDef, Declaration, Family, FamilyModel, ITERATION, MetricDef, OptGroupDef, Seams, StepCtx, StepKindDef,
    StepOutput, Translator, images_from_u8, to_json,
};
use crate::data::Dataset;
use crate::data::domains::{DomainPair, halves};
use crate::data::paired::{PIXELS, l1};
use crate::nets::init::{InitScheme, init_vars};
use crate::nets::unet::{PatchGan, UNet};
use crate::nets::{copy_vars, images_to_u8};
use crate::rng::Rng;
use crate::train::{OptimizerConfig, TrainError};

use super::pix2pix::{patch_map_u8, translate_u8};

/// Held-out digits measured per evaluation.
pub const HELD_OUT_BATCH: usize = 100;
/// Steps between held-out evaluations.
pub const HELD_OUT_EVERY: u64 = 25;
/// Standard deviation of the probe noise added to G(a) before F, on the [-1, 1] scale
/// (about 5 grey levels of 255).
pub const PROBE_SIGMA: f64 = 0.04;
/// The seed of the probe noise on the held-out digits.
pub const PROBE_SEED: u64 = 0x5eed_c7c1;
/// Rows of the window's sample grid (each: A, G(A), F(G(A)), D_B's map, B, F(B), G(F(B)), D_A's map).
pub const SHOWCASE_ROWS: usize = 8;

/// CycleGAN's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CycleGanSettings {
    /// The two domains (architecture: a run learns one pair).
    pub domains: DomainPair,
    /// Feature maps of the first layers (architecture).
    pub channels: usize,
    /// Weight of the cycle terms (may change between steps).
    pub lambda_cycle: f64,
    /// Weight of the identity terms (may change between steps).
    pub lambda_identity: f64,
    /// Adds slight noise to G(a) before F and to F(b) before G in the cycle terms (may change
    /// between steps).
    pub noisy_cycle: bool,
}

impl Default for CycleGanSettings {
    fn default() -> Self {
        Self {
            domains: DomainPair::ThinThick,
            channels: 32,
            lambda_cycle: 10.0,
            lambda_identity: 5.0,
            noisy_cycle: false,
        }
    }
}

impl super::Settings for CycleGanSettings {
    fn check(&self) -> Result<(), TrainError> {
        if !(1..=128).contains(&self.channels) {
            return Err(TrainError::Config(format!(
                "cyclegan: {} channels is out of range (1 to 128)",
                self.channels
            )));
        }
        for (what, v) in [("cycle", self.lambda_cycle), ("identity", self.lambda_identity)] {
            if !(v.is_finite() && (0.0..=1000.0).contains(&v)) {
                return Err(TrainError::Config(format!(
                    "cyclegan: λ of the {what} terms {v} is out of range (0 to 1000)"
                )));
            }
        }
        Ok(())
    }
}

/// The family.
pub struct CycleGanFamily;

/// CycleGAN.
pub const CYCLEGAN: CycleGanFamily = CycleGanFamily;

const STEP_D: usize = 0;
const STEP_G: usize = 1;
const GROUP_G: usize = 0;
const GROUP_D: usize = 1;

const AB: [u8; 3] = [220, 120, 30];
const BA: [u8; 3] = [40, 110, 200];
const AB_LIGHT: [u8; 3] = [240, 180, 110];
const BA_LIGHT: [u8; 3] = [120, 170, 230];

const METRICS: &[MetricDef] = &[
    MetricDef {
        key: "g_gan",
        label: "G's GAN term (A → B)",
        chart: "adversarial",
        color: AB,
    },
    MetricDef {
        key: "f_gan",
        label: "F's GAN term (B → A)",
        chart: "adversarial",
        color: BA,
    },
    MetricDef {
        key: "d_b",
        label: "D_B's loss",
        chart: "adversarial",
        color: AB_LIGHT,
    },
    MetricDef {
        key: "d_a",
        label: "D_A's loss",
        chart: "adversarial",
        color: BA_LIGHT,
    },
    MetricDef {
        key: "cycle_a",
        label: "cycle A → B → A",
        chart: "cycle",
        color: AB,
    },
    MetricDef {
        key: "cycle_b",
        label: "cycle B → A → B",
        chart: "cycle",
        color: BA,
    },
    MetricDef {
        key: "identity_b",
        label: "identity G(b) vs b",
        chart: "cycle",
        color: AB_LIGHT,
    },
    MetricDef {
        key: "identity_a",
        label: "identity F(a) vs a",
        chart: "cycle",
        color: BA_LIGHT,
    },
    MetricDef {
        key: "cycle_held_out",
        label: "held-out cycle A → B → A",
        chart: "probe",
        color: AB,
    },
    MetricDef {
        key: "cycle_noisy",
        label: "the same with slight noise before F",
        chart: "probe",
        color: AB_LIGHT,
    },
    MetricDef {
        key: "cycle_held_out_b",
        label: "held-out cycle B → A → B",
        chart: "probe",
        color: BA,
    },
    MetricDef {
        key: "cycle_noisy_b",
        label: "the same with slight noise before G",
        chart: "probe",
        color: BA_LIGHT,
    },
    MetricDef {
        key: "kept_ab",
        label: "G(a) judged as a's digit",
        chart: "labels",
        color: AB,
    },
    MetricDef {
        key: "kept_ba",
        label: "F(b) judged as b's digit",
        chart: "labels",
        color: BA,
    },
];

const CHARTS: &[ChartDef] = &[
    ChartDef {
        id: "adversarial",
        title: "GAN terms",
        note: Some("(least squares per patch)"),
        y_range: None,
        reference: Some(0.25),
    },
    ChartDef {
        id: "cycle",
        title: "Cycle and identity",
        note: Some("(mean |difference| per pixel, 0–1)"),
        y_range: None,
        reference: None,
    },
    ChartDef {
        id: "probe",
        title: "Hidden information",
        note: Some("(held-out cycle L1; a gap means faint patterns carry it)"),
        y_range: None,
        reference: None,
    },
    ChartDef {
        id: "labels",
        title: "Digit kept",
        note: Some("(share the judge names as the digit they came from)"),
        y_range: Some((0.0, 1.0)),
        reference: None,
    },
];

const DECLARATION: Declaration = Declaration {
    id: "cyclegan",
    label: "CycleGAN",
    summary: "unpaired translation between two styles of digits (thin ↔ thick, upright ↔ slanted, negatives), held together by cycle consistency",
    option_keys: &[
        ("domains", "domains"),
        ("channels", "channels"),
        ("lambda-cycle", "lambda_cycle"),
        ("lambda-identity", "lambda_identity"),
        ("noisy-cycle", "noisy_cycle"),
    ],
    optimizer_groups: &[
        OptGroupDef {
            id: "g",
            label: "generators",
            short: "G, F",
            networks: &["g_ab", "g_ba"],
        },
        OptGroupDef {
            id: "d",
            label: "discriminators",
            short: "D",
            networks: &["d_a", "d_b"],
        },
    ],
    step_kinds: &[
        StepKindDef {
            id: "d",
            label: "Step D",
            help: "One update of both discriminators on real and translated digits",
            iteration: false,
        },
        StepKindDef {
            id: "g",
            label: "Step G",
            help: "One update of both generators: fool the discriminators and come back round the cycle",
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

impl Family for CycleGanFamily {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&CycleGanSettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<CycleGanSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        // β₁ 0.5 as the reference; lr 1e-3 as pix2pix here (short runs on small images).
        OptimizerConfig {
            lr: 1e-3,
            ..OptimizerConfig::default()
        }
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: CycleGanSettings = super::checked(self.id(), config)?;
        let nets = Nets::new(settings.channels, device)?;
        Ok(Box::new(CycleGanModel {
            settings,
            nets,
            device: device.clone(),
        }))
    }
    fn architecture_keys(&self) -> &'static [&'static str] {
        &["domains", "channels"]
    }
    fn showcase_caption(&self) -> Option<&'static str> {
        Some("Held-out digits: A · G(A) · F(G(A)) · D_B's patches, B · F(B) · G(F(B)) · D_A's patches")
    }
    fn showcase_help(&self) -> Option<&'static str> {
        Some(
            "Each row: a held-out digit in style A, G's translation to style B, F's translation back, and D_B's verdict on each patch (white: real); then another digit from B, F's translation, G's translation back, and D_A's verdict",
        )
    }
}

/// The four networks with their variables.
struct Nets {
    g: UNet,
    f: UNet,
    d_a: PatchGan,
    d_b: PatchGan,
    vars: [VarMap; 4],
}

impl Nets {
    fn new(channels: usize, device: &Device) -> candle_core::Result<Self> {
        let vars: [VarMap; 4] = std::array::from_fn(|_| VarMap::new());
        let vb = |k: usize| VarBuilder::from_varmap(&vars[k], DType::F32, device);
        Ok(Self {
            g: UNet::new(channels, vb(0))?,
            f: UNet::new(channels, vb(1))?,
            d_a: PatchGan::reading(1, channels, vb(2))?,
            d_b: PatchGan::reading(1, channels, vb(3))?,
            vars,
        })
    }

    fn copy(&self, channels: usize, device: &Device) -> candle_core::Result<Self> {
        let own = Self::new(channels, device)?;
        for (from, to) in self.vars.iter().zip(&own.vars) {
            copy_vars(from, to)?;
        }
        Ok(own)
    }
}

const NETWORKS: [&str; 4] = ["g_ab", "g_ba", "d_a", "d_b"];

/// A CycleGAN run.
pub struct CycleGanModel {
    settings: CycleGanSettings,
    nets: Nets,
    device: Device,
}

/// Mean (x − t)² over every element.
fn least_squares(x: &Tensor, t: f64) -> candle_core::Result<Tensor> {
    (x - t)?.sqr()?.mean_all()
}

/// Mean |a − b| on the [-1, 1] scale.
fn mean_abs(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    (a - b)?.abs()?.mean_all()
}

/// Gaussian noise of standard deviation `sigma` shaped as `like`.
fn noise(like: &Tensor, sigma: f64, rng: &mut Rng) -> candle_core::Result<Tensor> {
    let n: Vec<f32> = rng
        .normal_vec(like.elem_count())
        .into_iter()
        .map(|v| v * sigma as f32)
        .collect();
    Tensor::from_vec(n, like.shape(), like.device())
}

impl CycleGanModel {
    /// A batch from each domain: digits of A's half in style A, digits of B's half in style B.
    fn batch(&self, ctx: &mut StepCtx<'_>) -> Result<(Tensor, Tensor), TrainError> {
        let Some(data) = ctx.data.images() else {
            return Err(TrainError::Config(
                "cyclegan trains on images, and the data is toy points".into(),
            ));
        };
        let train_n = data.len() - held_out_count(data.len());
        let (ha, hb) = halves(train_n);
        let pick = |range: std::ops::Range<usize>, b: bool, rng: &mut Rng| -> Vec<u8> {
            let mut out = Vec::with_capacity(ctx.batch_size * PIXELS);
            for _ in 0..ctx.batch_size {
                let i = range.start + rng.below(range.len().max(1));
                let d = data.image(i.min(data.len() - 1));
                out.extend(if b {
                    self.settings.domains.b(d)
                } else {
                    self.settings.domains.a(d)
                });
            }
            out
        };
        let a = pick(ha, false, ctx.rng);
        let b = pick(hb, true, ctx.rng);
        Ok((images_from_u8(&a, ctx.device)?, images_from_u8(&b, ctx.device)?))
    }

    /// One update of both D's: (D_B's loss, D_A's loss).
    fn d_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<(f32, f32), TrainError> {
        let (a, b) = self.batch(ctx)?;
        let n = &self.nets;
        let fake_b = n.g.forward(&a, true)?;
        let fake_a = n.f.forward(&b, true)?;
        let d_b = ((least_squares(&n.d_b.score(&b, false)?, 1.0)?
            + least_squares(&n.d_b.score(&fake_b, false)?, 0.0)?)?
            * 0.5)?;
        let d_a = ((least_squares(&n.d_a.score(&a, false)?, 1.0)?
            + least_squares(&n.d_a.score(&fake_a, false)?, 0.0)?)?
            * 0.5)?;
        let loss = (&d_b + &d_a)?;
        let collected = crate::nets::ops::sink::ParamGrads::new();
        ctx.update(GROUP_D, "discriminator loss", &loss, &collected)?;
        Ok((d_b.to_scalar()?, d_a.to_scalar()?))
    }

    /// One update of G and F: the six terms (GAN G, GAN F, cycle A, cycle B, identity B,
    /// identity A), L1 terms on the 0–1 scale.
    fn g_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<[f32; 6], TrainError> {
        let (a, b) = self.batch(ctx)?;
        let s = self.settings;
        let n = &self.nets;
        let fake_b = n.g.forward(&a, false)?;
        let fake_a = n.f.forward(&b, false)?;
        let gan_g = least_squares(&n.d_b.score(&fake_b, true)?, 1.0)?;
        let gan_f = least_squares(&n.d_a.score(&fake_a, true)?, 1.0)?;
        let (into_f, into_g) = if s.noisy_cycle {
            (
                (&fake_b + noise(&fake_b, PROBE_SIGMA, ctx.rng)?)?,
                (&fake_a + noise(&fake_a, PROBE_SIGMA, ctx.rng)?)?,
            )
        } else {
            (fake_b.clone(), fake_a.clone())
        };
        let cycle_a = mean_abs(&n.f.forward(&into_f, false)?, &a)?;
        let cycle_b = mean_abs(&n.g.forward(&into_g, false)?, &b)?;
        let mut loss = ((&gan_g + &gan_f)? + ((&cycle_a + &cycle_b)? * s.lambda_cycle)?)?;
        let mut identity = [f32::NAN; 2];
        if s.lambda_identity > 0.0 {
            let id_b = mean_abs(&n.g.forward(&b, false)?, &b)?;
            let id_a = mean_abs(&n.f.forward(&a, false)?, &a)?;
            loss = (loss + ((&id_b + &id_a)? * s.lambda_identity)?)?;
            identity = [id_b.to_scalar::<f32>()? * 0.5, id_a.to_scalar::<f32>()? * 0.5];
        }
        let collected = crate::nets::ops::sink::ParamGrads::new();
        ctx.update(GROUP_G, "generator loss", &loss, &collected)?;
        Ok([
            gan_g.to_scalar()?,
            gan_f.to_scalar()?,
            cycle_a.to_scalar::<f32>()? * 0.5,
            cycle_b.to_scalar::<f32>()? * 0.5,
            identity[0],
            identity[1],
        ])
    }

    /// The held-out figures: (cycle A L1, the same with probe noise, cycle B L1, the same
    /// with probe noise, G(a) kept, F(b) kept).
    fn held_out(&self, data: &Dataset) -> Result<[f32; 6], TrainError> {
        let n = data.len();
        let held = held_out_count(n);
        if held == 0 {
            return Ok([f32::NAN; 6]);
        }
        let m = held.min(HELD_OUT_BATCH);
        let idx: Vec<usize> = (0..m).map(|k| n - held + k * held / m).collect();
        let digits: Vec<u8> = idx.iter().flat_map(|&i| data.image(i).to_vec()).collect();
        let d = self.settings.domains;
        let (a, b) = (d.map(&digits, false), d.map(&digits, true));
        let nets = &self.nets;
        let dev = &self.device;
        let mut rng = Rng::derive(PROBE_SEED, "cyclegan.probe");
        let mut round = |x: &[u8], there: &UNet, back: &UNet| -> candle_core::Result<(f32, f32, Tensor)> {
            let x = images_from_u8(x, dev)?;
            let y = there.forward(&x, true)?;
            let (clean, noisy) = cycle_probe(&x, &y, |t| back.forward(t, true), &mut rng)?;
            Ok((clean, noisy, y))
        };
        let (ca, na, gb) = round(&a, &nets.g, &nets.f)?;
        let (cb, nb, fa) = round(&b, &nets.f, &nets.g)?;
        let mut kept = [f32::NAN; 2];
        if let (Some(labels), Ok(judge)) = (&data.labels, crate::quality::Judge::shipped()) {
            let labels: Vec<usize> = idx.iter().map(|&i| usize::from(labels[i])).collect();
            for (slot, images) in kept.iter_mut().zip([&gb, &fa]) {
                let v = judge.judge_u8(&images_to_u8(images)?)?;
                *slot = crate::quality::label_accuracy(&v, &labels).unwrap_or(f32::NAN);
            }
        }
        Ok([ca, na, cb, nb, kept[0], kept[1]])
    }
}

/// The hidden-information probe on one cycle: `x` went there as `y`; the way back `back` is
/// measured on `y` as is and with slight Gaussian noise ([`PROBE_SIGMA`]) added: (mean
/// |back(y) − x|, the same with the noise), per pixel on the 0–1 scale. A way back that reads
/// faint patterns of `y` (Chu et al. 2017) loses them to the noise, and the second figure
/// jumps; one that reads the visible image changes by about the noise it passes on.
pub fn cycle_probe(
    x: &Tensor,
    y: &Tensor,
    back: impl Fn(&Tensor) -> candle_core::Result<Tensor>,
    rng: &mut Rng,
) -> candle_core::Result<(f32, f32)> {
    let clean = mean_abs(&back(y)?, x)?.to_scalar::<f32>()? * 0.5;
    let noisy = back(&(y + noise(y, PROBE_SIGMA, rng)?)?)?;
    Ok((clean, mean_abs(&noisy, x)?.to_scalar::<f32>()? * 0.5))
}

/// D's probabilities "real" per patch (49 per image): the least-squares output clamped to [0, 1].
fn patch_scores(d: &PatchGan, images: &[u8], device: &Device) -> candle_core::Result<Vec<f32>> {
    let x = images_from_u8(images, device)?;
    let v = d.score(&x, true)?.flatten_all()?.to_vec1::<f32>()?;
    Ok(v.into_iter().map(|p| p.clamp(0.0, 1.0)).collect())
}

impl FamilyModel for CycleGanModel {
    fn family(&self) -> &'static dyn Family {
        &CYCLEGAN
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: CycleGanSettings = super::checked(self.family().id(), config)?;
        if s.domains != self.settings.domains || s.channels != self.settings.channels {
            return Err(TrainError::Config(
                "CycleGAN's domains and channels are fixed for a run; start a new run to change them".into(),
            ));
        }
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        NETWORKS.iter().copied().zip(self.nets.vars.iter()).collect()
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        for (name, vars) in NETWORKS.iter().zip(&self.nets.vars) {
            init_vars(vars, InitScheme::Torch, &mut Rng::derive(seed, &format!("init.{name}")))?;
        }
        Ok(())
    }
    fn step(&mut self, kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let nan = f32::NAN;
        let (d, g) = match kind {
            STEP_D => (Some(self.d_step(ctx)?), None),
            STEP_G => (None, Some(self.g_step(ctx)?)),
            _ => (Some(self.d_step(ctx)?), Some(self.g_step(ctx)?)),
        };
        let mut held = [nan; 6];
        if g.is_some()
            && ctx.held_out
            && ctx.step.is_multiple_of(HELD_OUT_EVERY)
            && let Some(data) = ctx.data.images()
        {
            held = self.held_out(data)?;
        }
        let g = g.unwrap_or([nan; 6]);
        let d = d.unwrap_or((nan, nan));
        Ok(StepOutput {
            values: vec![
                g[0], g[1], d.0, d.1, g[2], g[3], g[4], g[5], held[0], held[1], held[2], held[3], held[4], held[5],
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
            let digits = images_to_u8(x)?;
            let d = self.settings.domains;
            let (a, b) = (d.map(&digits, false), d.map(&digits, true));
            let dev = &self.device;
            let gb = translate_u8(&self.nets.g, &a, dev)?;
            let back = translate_u8(&self.nets.f, &gb, dev)?;
            let fa = translate_u8(&self.nets.f, &b, dev)?;
            let forth = translate_u8(&self.nets.g, &fa, dev)?;
            let nan = f32::NAN;
            let (ca, cb) = (l1(&back, &a) as f32, l1(&forth, &b) as f32);
            Ok(StepOutput {
                values: vec![nan, nan, nan, nan, ca, cb, nan, nan, ca, nan, cb, nan, nan, nan],
                vectors: Vec::new(),
            })
        })())
    }
    fn showcase(&self, data: &Dataset) -> Option<candle_core::Result<Vec<u8>>> {
        Some((|| {
            let n = data.len();
            let held = held_out_count(n);
            let want = 2 * SHOWCASE_ROWS;
            let (start, span) = if held >= want { (n - held, held) } else { (0, n) };
            let idx: Vec<usize> = (0..want.min(span)).map(|k| start + k * span / want).collect();
            let rows = idx.len() / 2;
            let d = self.settings.domains;
            let from = |k: usize| data.image(idx[k]).to_vec();
            let a: Vec<u8> = (0..rows).flat_map(|r| d.a(&from(2 * r))).collect();
            let b: Vec<u8> = (0..rows).flat_map(|r| d.b(&from(2 * r + 1))).collect();
            let dev = &self.device;
            let nets = &self.nets;
            let gb = translate_u8(&nets.g, &a, dev)?;
            let back_a = translate_u8(&nets.f, &gb, dev)?;
            let fa = translate_u8(&nets.f, &b, dev)?;
            let back_b = translate_u8(&nets.g, &fa, dev)?;
            let pb = patch_scores(&nets.d_b, &gb, dev)?;
            let pa = patch_scores(&nets.d_a, &fa, dev)?;
            let mut grid = Vec::with_capacity(8 * rows * PIXELS);
            for r in 0..rows {
                let at = |v: &[u8]| v[r * PIXELS..(r + 1) * PIXELS].to_vec();
                grid.extend(at(&a));
                grid.extend(at(&gb));
                grid.extend(at(&back_a));
                grid.extend(patch_map_u8(&pb[r * 49..(r + 1) * 49]));
                grid.extend(at(&b));
                grid.extend(at(&fa));
                grid.extend(at(&back_b));
                grid.extend(patch_map_u8(&pa[r * 49..(r + 1) * 49]));
            }
            Ok(grid)
        })())
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        let copy = self.nets.copy(self.settings.channels, &self.device)?;
        Ok(Seams {
            translator: Some(Arc::new(CycleGanSnapshot {
                settings: self.settings,
                nets: copy,
                device: self.device.clone(),
            })),
            ..Seams::default()
        })
    }
}

/// A frozen CycleGAN: G (A → B) with F for the way back and D_B's patches.
pub struct CycleGanSnapshot {
    settings: CycleGanSettings,
    nets: Nets,
    device: Device,
}

fn check_images(bytes: &[u8]) -> candle_core::Result<()> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(PIXELS) {
        candle_core::bail!("{} bytes are not a whole number of 28×28 images", bytes.len());
    }
    Ok(())
}

impl Translator for CycleGanSnapshot {
    fn task_label(&self) -> &'static str {
        self.settings.domains.label()
    }
    fn prepare(&self, digit: &[u8], _rng: &mut Rng) -> Vec<u8> {
        self.settings.domains.a(digit)
    }
    fn target(&self, digit: &[u8]) -> Vec<u8> {
        self.settings.domains.b(digit)
    }
    fn translate_u8(&self, inputs: &[u8]) -> candle_core::Result<Vec<u8>> {
        check_images(inputs)?;
        translate_u8(&self.nets.g, inputs, &self.device)
    }
    fn translate_back_u8(&self, outputs: &[u8]) -> Option<candle_core::Result<Vec<u8>>> {
        Some(check_images(outputs).and_then(|()| translate_u8(&self.nets.f, outputs, &self.device)))
    }
    fn patches(&self, inputs: &[u8], outputs: &[u8]) -> candle_core::Result<Vec<f32>> {
        if inputs.len() != outputs.len() {
            candle_core::bail!("inputs and outputs must be the same number of 28×28 images");
        }
        check_images(outputs)?;
        patch_scores(&self.nets.d_b, outputs, &self.device)
    }
}
