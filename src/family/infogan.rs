//! InfoGAN (`infogan`; Chen et al., 2016): the labels it needs, found without supervision.
//! G reads `[z (62) | c₁ one-hot (10) | c₂, c₃]`, c₁ uniform over ten values and c₂, c₃ from
//! U(−1, 1); D's body is shared by D's logit and a Q head that guesses the codes back
//! ([`crate::nets::infogan`]). Q and G together maximise a lower bound on the mutual
//! information between the codes and the image: for c₁, `H(c₁) − CE(Q(c₁ | x), c₁)`, which
//! can never exceed `H(c₁) = ln 10`; for the continuous codes, a Gaussian with fixed
//! variance, i.e. their squared error.
//!
//! What we used, from the paper's MNIST setup and the public reference implementations
//! (PyTorch-GAN's `infogan.py`): λ = 1 for the categorical term and λ = 0.1 for the
//! continuous one; z of 62; Adam with β1 0.5, at the paper's rates, 1e-3 for G and 2e-4 for
//! D and the information update. A new run gets the paper's network with fully connected
//! layers of 256 units instead of 1,024 ([`InfoNet::Narrow`]: 1.6× faster, and its c₁ finds
//! the digits as well: cluster accuracy 0.91 and 0.97 after 5,000 steps from seeds 0 and 1,
//! the paper's 0.99 from seed 0; bench/README.md). Files saved without a network named read as the DCGAN's
//! ([`InfoNet::Dcgan`], PyTorch-GAN's network, the only one before), whose c₁ settles on
//! styles (cluster accuracy 0.25–0.27).
//!
//! Measured live: L_I's categorical term against ln 10, and the judge's **cluster
//! accuracy** of c₁ — the share of samples whose digit matches their c₁ under the best
//! one-to-one map of codes to digits ([`crate::quality::cluster_accuracy`]). The failure
//! to watch for: c₁ ignored, the cross-entropy staying near ln 10 and the traversal
//! grid's rows all alike.

use std::sync::Arc;

use candle_core::{D, DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use super::gan::{
    D_FAKE_MEAN, D_GROUP, D_LOSS, D_OUTPUTS_CHART, D_REAL_MEAN, D_STEP, G_GROUP, G_LOSS, G_STEP, LOSSES_CHART, VECTORS,
    sigmoid_vec,
};
use super::{
    ChartDef, Conditioning, Declaration, Family, FamilyModel, ITERATION, MetricDef, OptGroupDef, Seams, StepCtx,
    StepKindDef, StepOutput, check_latent_dim, to_json,
};
use crate::nets::infogan::{InfoDiscriminator, InfoNet, InfoScorer};
use crate::nets::ops::sink::ParamGrads;
use crate::nets::{GanArch, GanConfig, Generator, GeneratorSnapshot, dcgan::DcganGenerator, init};
use crate::train::loss::{GeneratorLoss, discriminator_loss, generator_loss};
use crate::train::metrics::mean;
use crate::train::{OptimizerConfig, TrainError};

/// Values of the categorical code c₁.
pub const CATEGORIES: usize = 10;
/// Continuous codes (c₂, c₃).
pub const CODES: usize = 2;
/// G's learning rate (the paper's; D and the information update keep 2e-4).
pub const G_LR: f64 = 1e-3;
/// H(c₁) for a uniform c₁: the most the categorical bound can reach.
pub const MAX_INFO: f32 = std::f32::consts::LN_10;

/// InfoGAN's conditioning: c₁ one-hot, then c₂ and c₃, found without labels.
pub const CONDITIONING: Conditioning = Conditioning {
    classes: CATEGORIES,
    codes: CODES,
    learned: true,
};

/// InfoGAN's settings (saved with its weights). All but the latent size may change between steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InfoSettings {
    /// Size of the noise z (the codes come after it).
    pub latent_dim: usize,
    /// Discriminator updates per generator update.
    pub k: usize,
    /// The generator's GAN objective.
    pub g_loss: GeneratorLoss,
    /// Weight of c₁'s cross-entropy in L_I.
    pub lambda_cat: f32,
    /// Weight of the continuous codes' squared error in L_I.
    pub lambda_cont: f32,
    /// The networks: the paper's MNIST network at 256 units for a new run; a file saved before
    /// there was a choice names none and reads as the DCGAN's, the only one then (fixed for a
    /// run).
    #[serde(default)]
    pub net: InfoNet,
}

impl Default for InfoSettings {
    fn default() -> Self {
        Self {
            latent_dim: 62,
            k: 1,
            g_loss: GeneratorLoss::NonSaturating,
            lambda_cat: 1.0,
            lambda_cont: 0.1,
            net: InfoNet::Narrow,
        }
    }
}

impl super::Settings for InfoSettings {
    fn check(&self) -> Result<(), TrainError> {
        check_latent_dim(self.latent_dim)?;
        if !(1..=100).contains(&self.k) {
            return Err(TrainError::Config(format!("k = {} is out of range (1 to 100)", self.k)));
        }
        for (name, v) in [("lambda-cat", self.lambda_cat), ("lambda-cont", self.lambda_cont)] {
            if !v.is_finite() || !(0.0..=100.0).contains(&v) {
                return Err(TrainError::Config(format!("{name} = {v} is out of range (0 to 100)")));
            }
        }
        Ok(())
    }
}

/// The InfoGAN family.
pub struct InfoGanFamily;

/// The InfoGAN family, as registered.
pub const INFOGAN: InfoGanFamily = InfoGanFamily;

const STEP_D: usize = 0;
const STEP_G: usize = 1;
const STEP_INFO: usize = 2;
const GROUP_G: usize = 0;
const GROUP_D: usize = 1;
const GROUP_INFO: usize = 2;

const INFO_CAT: MetricDef = MetricDef {
    key: "info_cat",
    label: "L_I: c₁ cross-entropy",
    chart: "info",
    color: [200, 60, 110],
};
const MI_BOUND: MetricDef = MetricDef {
    key: "mi_bound",
    label: "lower bound on I(c₁; G(z, c))",
    chart: "info",
    color: [30, 160, 120],
};
const INFO_CONT: MetricDef = MetricDef {
    key: "info_cont",
    label: "c₂, c₃ squared error",
    chart: "info",
    color: [120, 120, 120],
};

const INFO_CHART: ChartDef = ChartDef {
    id: "info",
    title: "Mutual information",
    note: Some("(the bound can reach H(c₁) = ln 10 ≈ 2.30 at most)"),
    y_range: Some((0.0, 2.5)),
    reference: Some(std::f64::consts::LN_10),
};

const DECLARATION: Declaration = Declaration {
    id: "infogan",
    label: "InfoGAN",
    summary: "a DCGAN whose codes c₁ (10 values), c₂, c₃ are found without labels (Chen et al., 2016)",
    option_keys: &[
        ("latent", "latent_dim"),
        ("k", "k"),
        ("g-loss", "g_loss"),
        ("lambda-cat", "lambda_cat"),
        ("lambda-cont", "lambda_cont"),
        ("net", "net"),
    ],
    optimizer_groups: &[
        G_GROUP,
        D_GROUP,
        OptGroupDef {
            id: "info",
            label: "information (G, D's body and Q)",
            short: "Q",
            networks: &["g", "d"],
        },
    ],
    step_kinds: &[
        D_STEP,
        G_STEP,
        StepKindDef {
            id: "info",
            label: "Step Q",
            help: "One update of G, D's body and Q on the information loss L_I",
            iteration: false,
        },
        StepKindDef {
            id: ITERATION,
            label: "Step",
            help: "One iteration: k discriminator updates, one generator update, one information update",
            iteration: true,
        },
    ],
    metrics: &[D_LOSS, G_LOSS, D_REAL_MEAN, D_FAKE_MEAN, INFO_CAT, MI_BOUND, INFO_CONT],
    vectors: VECTORS,
    charts: &[LOSSES_CHART, D_OUTPUTS_CHART, INFO_CHART],
    min_batch: (2, " (batch norm needs two samples)"),
    has_encoder: false,
    input: super::Input::Images,
    conditioning: CONDITIONING,
};

impl Family for InfoGanFamily {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&InfoSettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<InfoSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        OptimizerConfig::default()
    }
    /// The paper's rates: 2e-4 for D (and the information update), 1e-3 for G.
    fn group_optimizer(&self, group: &str) -> OptimizerConfig {
        match group {
            "g" => OptimizerConfig {
                lr: G_LR,
                ..OptimizerConfig::default()
            },
            _ => self.default_optimizer(),
        }
    }
    fn architecture_keys(&self) -> &'static [&'static str] {
        &["latent_dim", "net"]
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: InfoSettings = super::checked(self.id(), config)?;
        let (g_vars, d_vars) = (VarMap::new(), VarMap::new());
        let input = settings.latent_dim + CONDITIONING.width();
        let net = settings.net;
        let g = DcganGenerator::with_hidden(
            input,
            net.g_hidden(),
            VarBuilder::from_varmap(&g_vars, DType::F32, device),
        )?;
        let d = InfoDiscriminator::new(
            CATEGORIES + CODES,
            net,
            VarBuilder::from_varmap(&d_vars, DType::F32, device),
        )?;
        Ok(Box::new(InfoGanModel {
            g,
            d,
            g_vars,
            d_vars,
            settings,
            device: device.clone(),
        }))
    }
}

/// An InfoGAN being trained.
pub struct InfoGanModel {
    g: DcganGenerator,
    d: InfoDiscriminator,
    g_vars: VarMap,
    d_vars: VarMap,
    settings: InfoSettings,
    device: Device,
}

/// What one D update reports.
struct DReport {
    d_loss: f32,
    d_real: Vec<f32>,
    d_fake: Vec<f32>,
}

/// What one information update reports.
struct InfoReport {
    cat: f32,
    cont: f32,
}

impl InfoGanModel {
    fn input_dim(&self) -> usize {
        self.settings.latent_dim + CONDITIONING.width()
    }

    /// A batch of G's inputs `[z | c₁ | c₂, c₃]`, with c₁'s values and the continuous codes.
    fn g_input(&self, ctx: &mut StepCtx<'_>) -> candle_core::Result<(Tensor, Vec<u32>, Tensor)> {
        let b = ctx.batch_size;
        let z = ctx.normal(self.settings.latent_dim)?;
        let c1 = ctx.random_classes(CATEGORIES);
        let onehot = super::one_hot(&c1, CATEGORIES, ctx.device)?;
        let cont = Tensor::from_vec(ctx.rng.uniform_vec(b * CODES, -1.0, 1.0), (b, CODES), ctx.device)?;
        let input = Tensor::cat(&[&z, &onehot, &cont], 1)?;
        Ok((input, c1.into_iter().map(|c| c as u32).collect(), cont))
    }

    fn d_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<DReport, TrainError> {
        let real = ctx.real_batch()?;
        let (z, _, _) = self.g_input(ctx)?;
        let fake = self.g.forward_frozen(&z, true)?;
        let collected = ParamGrads::new();
        let real_logits = self.d.logits_collecting(&real, &collected)?;
        let fake_logits = self.d.logits_collecting(&fake, &collected)?;
        let loss = discriminator_loss(&real_logits, &fake_logits)?;
        let d_loss = ctx.update(GROUP_D, "discriminator loss", &loss, &collected)?;
        Ok(DReport {
            d_loss,
            d_real: sigmoid_vec(&real_logits)?,
            d_fake: sigmoid_vec(&fake_logits)?,
        })
    }

    fn g_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<(f32, f32), TrainError> {
        let (z, _, _) = self.g_input(ctx)?;
        let collected = ParamGrads::new();
        let fake = self.g.forward_collecting(&z, true, &collected)?;
        let logits = self.d.logits_frozen(&fake)?;
        let loss = generator_loss(&logits, self.settings.g_loss)?;
        let g_loss = ctx.update(GROUP_G, "generator loss", &loss, &collected)?;
        Ok((g_loss, mean(&sigmoid_vec(&logits)?)))
    }

    /// G, D's body and Q on `λ_cat · CE(Q(c₁ | G(z, c)), c₁) + λ_cont · MSE(Q(c₂, c₃ | ·), c₂, c₃)`.
    fn info_step(&mut self, ctx: &mut StepCtx<'_>) -> Result<InfoReport, TrainError> {
        let (z, c1, cont) = self.g_input(ctx)?;
        let collected = ParamGrads::new();
        let fake = self.g.forward_collecting(&z, true, &collected)?;
        let q = self.d.q_collecting(&fake, &collected)?;
        let (cat, cont_loss) = info_terms(&q, &c1, &cont)?;
        let loss =
            ((&cat * f64::from(self.settings.lambda_cat))? + (&cont_loss * f64::from(self.settings.lambda_cont))?)?;
        let (cat_v, cont_v) = (cat.to_scalar::<f32>()?, cont_loss.to_scalar::<f32>()?);
        ctx.check_finite("information loss", cat_v + cont_v)?;
        ctx.backward_apply(GROUP_INFO, &loss, &collected)?;
        Ok(InfoReport {
            cat: cat_v,
            cont: cont_v,
        })
    }
}

/// L_I's two terms for Q's outputs `q (B, 10 + 2)`: c₁'s cross-entropy (mean over the batch,
/// in nats) and the continuous codes' squared error (mean over the batch and the codes).
pub fn info_terms(q: &Tensor, c1: &[u32], cont: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
    let logits = q.narrow(1, 0, CATEGORIES)?;
    let means = q.narrow(1, CATEGORIES, CODES)?;
    let targets = Tensor::from_slice(c1, c1.len(), q.device())?;
    let cat = candle_nn::loss::cross_entropy(&logits, &targets)?;
    let cont = (means - cont)?.sqr()?.mean_all()?;
    Ok((cat, cont))
}

impl FamilyModel for InfoGanModel {
    fn family(&self) -> &'static dyn Family {
        &INFOGAN
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: InfoSettings = super::checked(self.family().id(), config)?;
        super::keep_latent_dim(self.settings.latent_dim, s.latent_dim)?;
        if s.net != self.settings.net {
            return Err(TrainError::Config(
                "InfoGAN's networks are fixed for a run; start a new run to change them".into(),
            ));
        }
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        vec![("g", &self.g_vars), ("d", &self.d_vars)]
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        let scheme = GanArch::Dcgan.init_scheme();
        init::init_vars(&self.g_vars, scheme, &mut crate::rng::Rng::derive(seed, "init.g"))?;
        init::init_vars(&self.d_vars, scheme, &mut crate::rng::Rng::derive(seed, "init.d"))?;
        Ok(())
    }
    fn step(&mut self, kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let nan = f32::NAN;
        let info_values = |r: &InfoReport| [r.cat, MAX_INFO - r.cat, r.cont];
        match kind {
            STEP_D => {
                let d = self.d_step(ctx)?;
                Ok(StepOutput {
                    values: vec![d.d_loss, nan, mean(&d.d_real), mean(&d.d_fake), nan, nan, nan],
                    vectors: vec![d.d_real, d.d_fake],
                })
            }
            STEP_G => {
                let (g_loss, d_fake) = self.g_step(ctx)?;
                Ok(StepOutput {
                    values: vec![nan, g_loss, nan, d_fake, nan, nan, nan],
                    vectors: vec![Vec::new(), Vec::new()],
                })
            }
            STEP_INFO => {
                let r = self.info_step(ctx)?;
                let mut values = vec![nan; 4];
                values.extend(info_values(&r));
                Ok(StepOutput {
                    values,
                    vectors: vec![Vec::new(), Vec::new()],
                })
            }
            _ => {
                let mut d = DReport {
                    d_loss: 0.0,
                    d_real: Vec::new(),
                    d_fake: Vec::new(),
                };
                for _ in 0..self.settings.k {
                    d = self.d_step(ctx)?;
                }
                let (g_loss, _) = self.g_step(ctx)?;
                let r = self.info_step(ctx)?;
                let mut values = vec![d.d_loss, g_loss, mean(&d.d_real), mean(&d.d_fake)];
                values.extend(info_values(&r));
                Ok(StepOutput {
                    values,
                    vectors: vec![d.d_real, d.d_fake],
                })
            }
        }
    }
    fn latent_dim(&self) -> Option<usize> {
        Some(self.input_dim())
    }
    fn decode(&self, z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        Some(self.g.forward_t(z, false))
    }
    fn score(&self, images: &Tensor) -> Option<candle_core::Result<Vec<f32>>> {
        Some(self.d.logits(images, false).and_then(|l| sigmoid_vec(&l)))
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        let config = GanConfig {
            arch: GanArch::Dcgan,
            latent_dim: self.input_dim(),
            classes: 0,
            g_hidden: self.settings.net.g_hidden(),
            d_hidden: 0,
        };
        Ok(Seams {
            decoder: Some(Arc::new(GeneratorSnapshot::copy_from(
                config,
                &self.g_vars,
                &self.device,
            )?)),
            encoder: None,
            scorer: Some(Arc::new(InfoScorer::copy_from(
                self.d.q_outputs(),
                self.settings.net,
                &self.d_vars,
                &self.device,
            )?)),
            classifier: None,
            pixels: None,
            translator: None,
        })
    }
}

impl InfoGanModel {
    /// Q's guess of c₁ (probabilities, 10 per image) and of c₂, c₃ for images `(B, 1, 28, 28)`,
    /// inference mode.
    pub fn q_guess(&self, images: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let q = self.d.q(images, false)?;
        let probs = candle_nn::ops::softmax(&q.narrow(1, 0, CATEGORIES)?, D::Minus1)?;
        Ok((probs, q.narrow(1, CATEGORIES, CODES)?))
    }
}
