//! The variational autoencoder families (`vae`, `conv-vae`; Kingma & Welling, 2014).
//!
//! The encoder gives, for each digit, the mean μ and the log-variance log σ² of a Gaussian
//! over codes; a code is drawn with the reparametrisation z = μ + σ·ε, ε ~ N(0, 1) (so the
//! gradient flows through μ and σ), and the decoder gives each pixel's probability of ink.
//! The loss is the negative ELBO: the reconstruction (Bernoulli negative log-likelihood
//! summed over the pixels) plus β times the KL divergence of the code's Gaussian from the
//! prior N(0, 1), in closed form per dimension: ½(μ² + σ² − 1 − log σ²). β (default 1, the
//! true ELBO) and a linear KL warm-up over the first steps may change between steps.
//!
//! The networks are the autoencoder's ([`super::ae`]), the encoder with 2·z outputs.
//! Metrics: −ELBO (nats per image, always with β = 1, so it is the bound), the
//! reconstruction and the KL, each in its own chart; the KL of each latent dimension as bars
//! (dimensions with KL near 0 are inactive: the decoder ignores them). Seams: decoder
//! (from the prior) and encoder (μ).

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use super::ae::{AeArch, AePair, ONE_STEP, Reconstruction, ae_optimizer, reconstruction_loss};
use super::{
    ChartDef, Declaration, Family, FamilyModel, MetricDef, Seams, StepCtx, StepOutput, VectorDef, VectorKind,
    check_latent_dim, to_json,
};
use crate::train::{OptimizerConfig, TrainError};

/// A VAE's settings. β and the warm-up may change between steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VaeSettings {
    /// Size of z.
    pub latent_dim: usize,
    /// Weight of the KL term (1: the ELBO; above 1: a β-VAE).
    pub beta: f64,
    /// Steps over which the KL weight rises linearly from 0 to β (0: no warm-up).
    pub kl_warmup: u64,
}

impl Default for VaeSettings {
    fn default() -> Self {
        Self {
            latent_dim: 16,
            beta: 1.0,
            kl_warmup: 0,
        }
    }
}

impl super::Settings for VaeSettings {
    fn check(&self) -> Result<(), TrainError> {
        check_latent_dim(self.latent_dim)?;
        if !(self.beta.is_finite() && (0.0..=100.0).contains(&self.beta)) {
            return Err(TrainError::Config(format!(
                "β = {} must be between 0 and 100",
                self.beta
            )));
        }
        Ok(())
    }
}

impl VaeSettings {
    /// The KL weight at iteration `step`: β, scaled down linearly during the warm-up.
    pub fn kl_weight(&self, step: u64) -> f64 {
        if self.kl_warmup == 0 {
            self.beta
        } else {
            self.beta * ((step as f64 + 1.0) / self.kl_warmup as f64).min(1.0)
        }
    }
}

/// A VAE family: one architecture.
pub struct VaeFamily {
    arch: AeArch,
    declaration: &'static Declaration,
}

/// The MLP VAE.
pub const VAE: VaeFamily = VaeFamily {
    arch: AeArch::Mlp,
    declaration: &Declaration {
        id: "vae",
        label: "VAE",
        summary: "a variational autoencoder: codes drawn from a Gaussian, a KL term toward N(0, 1)",
        ..VARIATIONAL
    },
};
/// The convolutional VAE.
pub const CONV_VAE: VaeFamily = VaeFamily {
    arch: AeArch::Conv,
    declaration: &Declaration {
        id: "conv-vae",
        label: "Conv VAE",
        summary: "the VAE with convolutions",
        ..VARIATIONAL
    },
};

/// What both VAEs declare.
const VARIATIONAL: Declaration = Declaration {
    id: "",
    label: "",
    summary: "",
    option_keys: &[("latent", "latent_dim"), ("beta", "beta"), ("kl-warmup", "kl_warmup")],
    optimizer_groups: super::ae::AE_GROUPS,
    step_kinds: ONE_STEP,
    metrics: METRICS,
    vectors: VECTORS,
    charts: CHARTS,
    min_batch: (1, ""),
    has_encoder: true,
    input: super::Input::Images,
    conditioning: super::Conditioning::NONE,
};

/// Index of the −ELBO metric.
pub const NEG_ELBO: usize = 0;
/// Index of the KL-per-dimension vector.
pub const KL_PER_DIM: usize = 0;

const METRICS: &[MetricDef] = &[
    MetricDef {
        key: "neg_elbo",
        label: "−ELBO",
        chart: "elbo",
        color: [150, 90, 200],
    },
    MetricDef {
        key: "recon",
        label: "reconstruction",
        chart: "recon",
        color: [30, 160, 120],
    },
    MetricDef {
        key: "kl",
        label: "KL",
        chart: "kl",
        color: [235, 120, 30],
    },
];

const VECTORS: &[VectorDef] = &[VectorDef {
    key: "kl_per_dim",
    label: "KL per latent dimension",
    kind: VectorKind::PerIndex,
    color: [235, 120, 30],
}];

const CHARTS: &[ChartDef] = &[
    ChartDef {
        id: "elbo",
        title: "Negative ELBO",
        note: Some("(nats per image; lower is better)"),
        y_range: None,
        reference: None,
    },
    ChartDef {
        id: "recon",
        title: "Reconstruction",
        note: Some("(nats per image)"),
        y_range: None,
        reference: None,
    },
    ChartDef {
        id: "kl",
        title: "KL divergence",
        note: Some("(nats per image)"),
        y_range: Some((0.0, 1.0)),
        reference: None,
    },
];

impl Family for VaeFamily {
    fn declaration(&self) -> &'static Declaration {
        self.declaration
    }
    fn default_config(&self) -> serde_json::Value {
        to_json(&VaeSettings::default())
    }
    fn normalize(&self, config: &serde_json::Value) -> Result<serde_json::Value, TrainError> {
        super::normalized::<VaeSettings>(self.id(), config)
    }
    fn default_optimizer(&self) -> OptimizerConfig {
        ae_optimizer()
    }
    fn build(&self, config: &serde_json::Value, device: &Device) -> Result<Box<dyn FamilyModel>, TrainError> {
        let settings: VaeSettings = super::checked(self.id(), config)?;
        let pair = AePair::new(self.arch, settings.latent_dim, 2 * settings.latent_dim, device)?;
        let family: &'static dyn Family = match self.arch {
            AeArch::Mlp => &VAE,
            AeArch::Conv => &CONV_VAE,
        };
        Ok(Box::new(VaeModel { family, pair, settings }))
    }
}

/// The KL divergence of N(μ, σ²) from N(0, 1) per element: ½(μ² + σ² − 1 − log σ²).
pub fn kl_elementwise(mu: &Tensor, logvar: &Tensor) -> candle_core::Result<Tensor> {
    let inner = ((mu.sqr()? + logvar.exp()?)? - logvar)?;
    (inner - 1.0)? * 0.5
}

/// z = μ + exp(½ log σ²)·ε: the reparametrised sample (differentiable in μ and log σ²).
pub fn reparametrize(mu: &Tensor, logvar: &Tensor, eps: &Tensor) -> candle_core::Result<Tensor> {
    mu + ((logvar * 0.5)?.exp()? * eps)?
}

/// What one VAE pass on a batch gives.
pub struct VaeTerms {
    /// The loss to minimise: reconstruction + weight·KL (a tensor, for backward).
    pub loss: Tensor,
    /// Reconstruction, nats per image.
    pub recon: f32,
    /// KL, nats per image.
    pub kl: f32,
    /// KL of each latent dimension, averaged over the batch.
    pub kl_per_dim: Vec<f32>,
}

/// A VAE being trained.
pub struct VaeModel {
    family: &'static dyn Family,
    pair: AePair,
    settings: VaeSettings,
}

impl VaeModel {
    /// The loss and its terms on images `x` with noise `eps` `(B, latent)`, KL weight `weight`;
    /// in a training step `sink` collects the dense layers' weight gradients.
    pub fn terms(
        &self,
        x: &Tensor,
        eps: &Tensor,
        weight: f64,
        sink: super::ae::Sink<'_>,
    ) -> candle_core::Result<VaeTerms> {
        let l = self.settings.latent_dim;
        let b = x.dim(0)? as f64;
        let h = self.pair.enc.forward(x, sink)?;
        let mu = h.narrow(1, 0, l)?;
        let logvar = h.narrow(1, l, l)?;
        let z = reparametrize(&mu, &logvar, eps)?;
        let logits = self.pair.dec.logits(&z, sink)?;
        let recon = reconstruction_loss(&logits, x, Reconstruction::Bce)?;
        let kl_el = kl_elementwise(&mu, &logvar)?;
        let kl_per_dim = (kl_el.sum(0)? / b)?;
        let kl = kl_per_dim.sum_all()?;
        let loss = (&recon + (&kl * weight)?)?;
        Ok(VaeTerms {
            recon: recon.to_scalar::<f32>()?,
            kl: kl.to_scalar::<f32>()?,
            kl_per_dim: kl_per_dim.to_vec1::<f32>()?,
            loss,
        })
    }
}

impl FamilyModel for VaeModel {
    fn family(&self) -> &'static dyn Family {
        self.family
    }
    fn config(&self) -> serde_json::Value {
        to_json(&self.settings)
    }
    fn set_config(&mut self, config: &serde_json::Value) -> Result<(), TrainError> {
        let s: VaeSettings = super::checked(self.family.id(), config)?;
        super::keep_latent_dim(self.settings.latent_dim, s.latent_dim)?;
        self.settings = s;
        Ok(())
    }
    fn networks(&self) -> Vec<(&'static str, &VarMap)> {
        self.pair.networks()
    }
    fn init_weights(&self, seed: u64) -> Result<(), TrainError> {
        self.pair.init_weights(seed)
    }
    fn step(&mut self, _kind: usize, ctx: &mut StepCtx<'_>) -> Result<StepOutput, TrainError> {
        let x = ctx.real_batch()?;
        let eps = ctx.normal(self.settings.latent_dim)?;
        let weight = self.settings.kl_weight(ctx.step);
        let collected = crate::nets::ops::sink::ParamGrads::new();
        let t = self.terms(&x, &eps, weight, Some(&collected))?;
        let neg_elbo = t.recon + t.kl;
        ctx.check_finite("negative ELBO", neg_elbo)?;
        ctx.backward_apply(0, &t.loss, &collected)?;
        Ok(StepOutput {
            values: vec![neg_elbo, t.recon, t.kl],
            vectors: vec![t.kl_per_dim],
        })
    }
    fn latent_dim(&self) -> Option<usize> {
        Some(self.settings.latent_dim)
    }
    fn decode(&self, z: &Tensor) -> Option<candle_core::Result<Tensor>> {
        Some(self.pair.dec.images(&z.detach()))
    }
    fn evaluate(&self, x: &Tensor, rng: &mut crate::rng::Rng) -> Option<candle_core::Result<StepOutput>> {
        Some((|| {
            let x = x.detach();
            let (b, l) = (x.dim(0)?, self.settings.latent_dim);
            let eps = Tensor::from_vec(rng.normal_vec(b * l), (b, l), x.device())?;
            let t = self.terms(&x, &eps, 1.0, None)?;
            Ok(StepOutput {
                values: vec![t.recon + t.kl, t.recon, t.kl],
                vectors: vec![t.kl_per_dim],
            })
        })())
    }
    fn seams(&self) -> candle_core::Result<Seams> {
        self.pair.seams(self.settings.latent_dim)
    }
}
