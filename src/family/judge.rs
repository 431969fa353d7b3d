//! The digit judge (`judge`): a small convolutional classifier that names the digit in a
//! 28×28 image. It is not a generative model; it is the app's own yardstick for the
//! generative ones ([`crate::quality`]): the share of samples it recognises, the classes
//! they cover, and the Fréchet distance of its penultimate features to real digits.
//!
//! It is a family like the others so that `latent-lab train --model judge` trains it with
//! the same loop, progress line and checkpoints. Network `judge`: conv 4×4/2 1→32 (14×14),
//! ReLU → conv 4×4/2 32→64 (7×7), ReLU → linear 3136 → 128, ReLU (the features) → linear
//! 128 → 10 logits. One optimizer group (Adam, lr 1e-3, β1 0.9); one step: a labelled batch,
//! each digit shifted by up to `shift` pixels and every other one given pixel noise of a
//! random σ up to `noise` (a little augmentation against the style of generated digits:
//! a noisy but readable digit is a digit), cross-entropy; plus, as in outlier exposure (Hendrycks et al., 2019),
//! half as many images that are not digits — uniform noise, blobs of smoothed noise, a
//! digit's pixels scrambled, a digit's 7×7 tiles shuffled, a noisy blur of several digits
//! (what an untrained generator draws), a noisy flat grey — pushed toward the uniform
//! distribution (cross-entropy against 1/10 each, weight `outlier_weight`), so that the
//! judge does not call noise or stroke fragments a confident "8". Metrics: the loss, the
//! batch's accuracy, and the judge's top probability on the outliers. Seam: the classifier.

use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, Linear, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::{
    ChartDef, Classifier, Declaration, Family, FamilyModel, ITERATION, Input, MetricDef, OptGroupDef, Seams, StepCtx,
    StepKindDef, StepOutput, to_json,
};
use crate::data::IMAGE_SIDE;
use crate::nets::dcgan::down_config;
use crate::nets::init::{InitScheme, init_vars};
use crate::nets::ops::Activation;
use crate::nets::ops::conv::conv2d_act;
use crate::nets::ops::linear::linear_act_into;
use crate::nets::ops::sink::ParamGrads;
use crate::nets::{copy_vars, params};
use crate::rng::Rng;
use crate::train::{OptimizerConfig, TrainError};

/// The classes: the digits 0–9.
pub const CLASSES: usize = 10;
/// Size of the penultimate layer (the features the Fréchet distance compares).
pub const FEATURES: usize = 128;
const C1: usize = 32;
const C2: usize = 64;
const SIDE_7: usize = IMAGE_SIDE / 4;

/// The judge's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JudgeSettings {
    /// Largest shift, in pixels, of a training digit in each direction (0: none).
    pub shift: usize,
    /// Weight of the outlier term (0: no outliers).
    pub outlier_weight: f64,
    /// Largest standard deviation of the pixel noise added to half of the training digits
    /// (on the [-1, 1] scale; 0: none), so that a noisy but readable digit still counts.
    pub noise: f64,
}

impl Default for JudgeSettings {
    fn default() -> Self {
        Self {
            shift: 2,
            outlier_weight: 0.5,
            noise: 0.5,
        }
    }
}

impl super::Settings for JudgeSettings {
    fn check(&self) -> Result<(), TrainError> {
        if !(self.outlier_weight.is_finite() && self.outlier_weight >= 0.0) {
            return Err(TrainError::Config(format!(
                "the outlier weight {} must be 0 or more",
                self.outlier_weight
            )));
        }
        if !(self.noise.is_finite() && (0.0..=1.0).contains(&self.noise)) {
            return Err(TrainError::Config(format!(
                "the noise {} must be between 0 and 1",
                self.noise
            )));
        }
        if self.shift > 6 {
            return Err(TrainError::Config(format!(
                "a shift of {} pixels is too large (at most 6)",
                self.shift
            )));
        }
        Ok(())
    }
}

/// The judge family.
pub struct JudgeFamily;

/// The digit judge.
pub const JUDGE: JudgeFamily = JudgeFamily;

const DECLARATION: Declaration = Declaration {
    id: "judge",
    label: "Digit judge",
    summary: "a small CNN that names the digit in an image: the built-in judge of sample quality",
    option_keys: &[
        ("shift", "shift"),
        ("outlier-weight", "outlier_weight"),
        ("noise", "noise"),
    ],
    optimizer_groups: &[OptGroupDef {
        id: "judge",
        label: "judge",
        short: "J",
        networks: &["judge"],
    }],
    step_kinds: &[StepKindDef {
        id: ITERATION,
        label: "Step",
        help: "One update of the judge on a batch of labelled digits",
        iteration: true,
    }],
    metrics: &[
        MetricDef {
            key: "loss",
            label: "loss (digits and non-digits)",
            chart: "loss",
            color: [150, 90, 200],
        },
        MetricDef {
            key: "accuracy",
            label: "batch accuracy",
            chart: "accuracy",
            color: [30, 160, 120],
        },
        MetricDef {
            key: "outlier_top",
            label: "mean top probability on non-digits",
            chart: "accuracy",
            color: [235, 120, 30],
        },
    ],
    vectors: &[],
    charts: &[
        ChartDef {
            id: "loss",
            title: "Loss",
            note: None,
            y_range: None,
            reference: None,
        },
        ChartDef {
            id: "accuracy",
            title: "Accuracy",
            note: None,
            y_range: Some((0.0, 1.0)),
            reference: None,
        },
    ],
    min_batch: (1, ""),
    has_encoder: false,
    input: Input::Images,
    conditioning: super::Conditioning::NONE,
};

/// The classifier's layers.
pub struct JudgeNet {
    conv1: Conv2d,
    conv2: Conv2d,
    fc1: Linear,
    fc2: Linear,
}

fn dense(layer: &Linear, x: &Tensor, act: Activation, sink: Option<&Arc<ParamGrads>>) -> candle_core::Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), false)?;
    linear_act_into(x, &w, &b, act, None, sink)
}

fn down(layer: &Conv2d, x: &Tensor) -> candle_core::Result<Tensor> {
    let (w, b) = params(layer.weight(), layer.bias(), false)?;
    conv2d_act(x, &w, &b, 2, 1, Activation::Relu)
}

impl JudgeNet {
    /// Builds the layers under `vb`.
    pub fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            conv1: candle_nn::conv2d(1, C1, 4, down_config(), vb.pp("conv1"))?,
            conv2: candle_nn::conv2d(C1, C2, 4, down_config(), vb.pp("conv2"))?,
            fc1: candle_nn::linear(C2 * SIDE_7 * SIDE_7, FEATURES, vb.pp("fc1"))?,
            fc2: candle_nn::linear(FEATURES, CLASSES, vb.pp("fc2"))?,
        })
    }

    /// Images `(B, 1, 28, 28)` in [-1, 1] → (features `(B, 128)`, logits `(B, 10)`); `sink`
    /// collects the dense layers' weight gradients in a training step.
    pub fn forward(&self, x: &Tensor, sink: Option<&Arc<ParamGrads>>) -> candle_core::Result<(Tensor, Tensor)> {
        let h = down(&self.conv1, x)?;
        let h = down(&self.conv2, &h)?;
        let features = dense(&self.fc1, &h, Activation::Relu, sink)?;
        let logits = dense(&self.fc2, &features, Activation::Identity, sink)?;
        Ok((features, logits))
    }
}

impl Family for JudgeFamily {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&JudgeSettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<JudgeSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        super::ae::ae_optimizer()
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: JudgeSettings = super::checked(self.id(), config)?;
        let vars = VarMap::new();
        let net = JudgeNet::new(VarBuilder::from_varmap(&vars, DType::F32, device))?;
        Ok(Box::new(JudgeModel {
            net,
            vars,
            settings,
            device: device.clone(),
        }))
    }
}

/// The judge being trained.
pub struct JudgeModel {
    net: JudgeNet,
    vars: VarMap,
    settings: JudgeSettings,
    device: Device,
}

/// `idx` digits of `pixels` (8-bit, 784 each) as `(B, 1, 28, 28)` in [-1, 1], each moved by
/// a random shift of up to `shift` pixels in x and y (uncovered pixels are background), and
/// every other one (at random) with pixel noise of a random σ up to `noise`.
fn shifted_batch(
    image: impl Fn(usize) -> Vec<u8>,
    idx: &[usize],
    shift: usize,
    noise: f32,
    rng: &mut Rng,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let side = IMAGE_SIDE as isize;
    let mut out = vec![-1.0f32; idx.len() * IMAGE_SIDE * IMAGE_SIDE];
    let span = 2 * shift + 1;
    for (n, &i) in idx.iter().enumerate() {
        let img = image(i);
        let (dx, dy) = if shift == 0 {
            (0, 0)
        } else {
            (
                rng.below(span) as isize - shift as isize,
                rng.below(span) as isize - shift as isize,
            )
        };
        let dst = &mut out[n * IMAGE_SIDE * IMAGE_SIDE..][..IMAGE_SIDE * IMAGE_SIDE];
        for y in 0..side {
            let sy = y - dy;
            if !(0..side).contains(&sy) {
                continue;
            }
            for x in 0..side {
                let sx = x - dx;
                if (0..side).contains(&sx) {
                    let p = img[(sy * side + sx) as usize];
                    dst[(y * side + x) as usize] = f32::from(p) * (2.0 / 255.0) - 1.0;
                }
            }
        }
        if noise > 0.0 && rng.below(2) == 0 {
            let sigma = noise * rng.uniform() as f32;
            for v in dst.iter_mut() {
                *v = (*v + sigma * rng.normal() as f32).clamp(-1.0, 1.0);
            }
        }
    }
    Tensor::from_vec(out, (idx.len(), 1, IMAGE_SIDE, IMAGE_SIDE), device)
}

/// `n` images that are not digits, as `(n, 1, 28, 28)` in [-1, 1]: in turn uniform noise,
/// smoothed-noise blobs, a random digit's pixels scrambled, its 7×7 tiles shuffled, the
/// average of 3–8 random digits with pixel noise (the grey blob an untrained generator
/// draws), and a flat grey level with pixel noise.
fn outliers(
    image: impl Fn(usize) -> Vec<u8>,
    count: usize,
    n: usize,
    rng: &mut Rng,
    device: &Device,
) -> candle_core::Result<Tensor> {
    const P: usize = IMAGE_SIDE * IMAGE_SIDE;
    let to_unit = |p: u8| f32::from(p) * (2.0 / 255.0) - 1.0;
    let mut out = vec![-1.0f32; n * P];
    for (k, dst) in out.chunks_exact_mut(P).enumerate() {
        match k % 6 {
            0 => dst.iter_mut().for_each(|v| *v = rng.uniform() as f32 * 2.0 - 1.0),
            1 => {
                // Noise, box-blurred twice, the brightest fifth as ink.
                let mut a: Vec<f32> = (0..P).map(|_| rng.normal() as f32).collect();
                for _ in 0..2 {
                    let b = a.clone();
                    for y in 0..IMAGE_SIDE {
                        for x in 0..IMAGE_SIDE {
                            let mut sum = 0.0;
                            let mut cnt = 0.0;
                            for yy in y.saturating_sub(1)..(y + 2).min(IMAGE_SIDE) {
                                for xx in x.saturating_sub(1)..(x + 2).min(IMAGE_SIDE) {
                                    sum += b[yy * IMAGE_SIDE + xx];
                                    cnt += 1.0;
                                }
                            }
                            a[y * IMAGE_SIDE + x] = sum / cnt;
                        }
                    }
                }
                let mut sorted = a.clone();
                sorted.sort_by(f32::total_cmp);
                let cut = sorted[P * 4 / 5];
                for (d, v) in dst.iter_mut().zip(&a) {
                    *d = if *v > cut { 1.0 } else { -1.0 };
                }
            }
            2 => {
                let img = image(rng.below(count));
                let mut px: Vec<f32> = img.iter().map(|&p| to_unit(p)).collect();
                for i in (1..P).rev() {
                    px.swap(i, rng.below(i + 1));
                }
                dst.copy_from_slice(&px);
            }
            4 | 5 => {
                // A blur of several digits (or a flat level), scaled, shifted and noisy.
                let mut mean = vec![0.0f32; P];
                if k % 6 == 4 {
                    let m = 3 + rng.below(6);
                    for _ in 0..m {
                        for (a, &p) in mean.iter_mut().zip(image(rng.below(count)).iter()) {
                            *a += to_unit(p) / m as f32;
                        }
                    }
                } else {
                    mean.fill(rng.uniform() as f32 * 2.0 - 1.0);
                }
                let gain = 0.3 + rng.uniform() as f32;
                let offset = rng.uniform() as f32 * 0.6 - 0.3;
                let sigma = 0.05 + 0.6 * rng.uniform() as f32;
                for (d, &m) in dst.iter_mut().zip(&mean) {
                    *d = (m * gain + offset + sigma * rng.normal() as f32).clamp(-1.0, 1.0);
                }
            }
            _ => {
                let img = image(rng.below(count));
                let mut tiles: Vec<usize> = (0..16).collect();
                for i in (1..16).rev() {
                    tiles.swap(i, rng.below(i + 1));
                }
                for (to, &from) in tiles.iter().enumerate() {
                    let (ty, tx, fy, fx) = (to / 4 * 7, to % 4 * 7, from / 4 * 7, from % 4 * 7);
                    for y in 0..7 {
                        for x in 0..7 {
                            dst[(ty + y) * IMAGE_SIDE + tx + x] = to_unit(img[(fy + y) * IMAGE_SIDE + fx + x]);
                        }
                    }
                }
            }
        }
    }
    Tensor::from_vec(out, (n, 1, IMAGE_SIDE, IMAGE_SIDE), device)
}

impl FamilyModel for JudgeModel {
    fn family(&self) -> &'static dyn Family {
        &JUDGE
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: JudgeSettings = super::checked(JUDGE.id(), config)?;
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        vec![("judge", &self.vars)]
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        Ok(init_vars(
            &self.vars,
            InitScheme::Torch,
            &mut Rng::derive(seed, "init.judge"),
        )?)
    }
    fn step(&mut self, _kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let Some(data) = ctx.data.images().cloned() else {
            return Err(TrainError::Config("the digit judge trains on images".into()));
        };
        let Some(labels) = data.labels.as_ref() else {
            return Err(TrainError::Config(format!(
                "the digit judge needs labelled digits, and '{}' has no labels",
                data.name
            )));
        };
        let n = data.len();
        let idx: Vec<usize> = (0..ctx.batch_size).map(|_| ctx.rng.below(n)).collect();
        let targets: Vec<u32> = idx.iter().map(|&i| u32::from(labels[i])).collect();
        if let Some(bad) = targets.iter().find(|&&t| t as usize >= CLASSES) {
            return Err(TrainError::Config(format!(
                "the digit judge takes the classes 0–9; '{}' has a label {bad}",
                data.name
            )));
        }
        let image = |i: usize| data.image(i).to_vec();
        let s = self.settings;
        let x = shifted_batch(image, &idx, s.shift, s.noise as f32, ctx.rng, ctx.device)?;
        let b = idx.len();
        let n_out = if self.settings.outlier_weight > 0.0 {
            b.div_ceil(2)
        } else {
            0
        };
        let x = if n_out > 0 {
            Tensor::cat(&[&x, &outliers(image, n, n_out, ctx.rng, ctx.device)?], 0)?
        } else {
            x
        };
        let y = Tensor::from_vec(targets.clone(), b, ctx.device)?;
        let collected = ParamGrads::new();
        let (_, all_logits) = self.net.forward(&x, Some(&collected))?;
        let logits = all_logits.narrow(0, 0, b)?;
        let mut loss = candle_nn::loss::cross_entropy(&logits, &y)?;
        let mut outlier_top = f32::NAN;
        if n_out > 0 {
            // Cross-entropy against the uniform distribution: −mean over classes of log p.
            let log_p = candle_nn::ops::log_softmax(&all_logits.narrow(0, b, n_out)?, 1)?;
            let term = (log_p.mean_all()? * (-self.settings.outlier_weight))?;
            loss = (loss + term)?;
            let top = log_p.detach().exp()?.max(1)?.mean_all()?.to_scalar::<f32>()?;
            outlier_top = top;
        }
        let value = ctx.update(0, "judge's loss", &loss, &collected)?;
        let predicted = logits.detach().argmax(1)?.to_vec1::<u32>()?;
        let right = predicted.iter().zip(&targets).filter(|(p, t)| p == t).count();
        Ok(StepOutput {
            values: vec![value, right as f32 / targets.len().max(1) as f32, outlier_top],
            vectors: Vec::new(),
        })
    }
    fn latent_dim(&self) -> Option<usize> {
        None
    }
    fn decode(&self, _z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        None
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        Ok(Seams {
            classifier: Some(Arc::new(JudgeSnapshot::copy_from(&self.vars, &self.device)?)),
            pixels: None,
            ..Seams::default()
        })
    }
}

/// A frozen copy of the judge (its own variables).
pub struct JudgeSnapshot {
    net: JudgeNet,
    _vars: VarMap,
}

impl JudgeSnapshot {
    /// Deep-copies `vars` into a new judge.
    pub fn copy_from(vars: &VarMap, device: &Device) -> candle_core::Result<Self> {
        let own = VarMap::new();
        let net = JudgeNet::new(VarBuilder::from_varmap(&own, DType::F32, device))?;
        copy_vars(vars, &own)?;
        Ok(Self { net, _vars: own })
    }
}

impl Classifier for JudgeSnapshot {
    fn classify(&self, images: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (features, logits) = self.net.forward(&images.detach(), None)?;
        Ok((candle_nn::ops::softmax_last_dim(&logits)?, features))
    }
}
