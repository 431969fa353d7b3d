//! GAN losses on logits, written to be numerically stable.
//!
//! With `D(x) = σ(l)`: `-log D(x) = softplus(-l)` and `-log(1 - D(x)) = softplus(l)`,
//! where `softplus(l) = max(l, 0) + log(1 + e^{-|l|})` never overflows.

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

use crate::nets::ops::loss::softplus_mean;

/// What the generator minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GeneratorLoss {
    /// The original minimax objective: minimise log(1 − D(G(z))). Saturates early in training.
    Minimax,
    /// The non-saturating heuristic: minimise −log D(G(z)).
    #[default]
    NonSaturating,
}

impl GeneratorLoss {
    /// Both, in menu order.
    pub const ALL: [GeneratorLoss; 2] = [GeneratorLoss::NonSaturating, GeneratorLoss::Minimax];

    /// Name on the command line and in files.
    pub fn id(self) -> &'static str {
        match self {
            GeneratorLoss::Minimax => "minimax",
            GeneratorLoss::NonSaturating => "non-saturating",
        }
    }
}

/// Elementwise `log(1 + e^x)`, stable for any x.
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    let pos = x.relu()?;
    let tail = (x.abs()?.neg()?.exp()? + 1.0)?.log()?;
    pos + tail
}

/// The discriminator's loss: BCE(real, 1) + BCE(fake, 0) = mean softplus(−l_real) + mean softplus(l_fake).
/// At the game's equilibrium (D = 1/2 everywhere) it equals 2·ln 2 ≈ 1.386.
/// Each mean is one fused op ([`crate::nets::ops::loss`]).
pub fn discriminator_loss(real_logits: &Tensor, fake_logits: &Tensor) -> Result<Tensor> {
    softplus_mean(real_logits, -1.0)? + softplus_mean(fake_logits, 1.0)?
}

/// The discriminator's loss with the real images' target `real_label` instead of 1
/// (one-sided label smoothing, Salimans et al. 2016: 0.9); the fakes' target stays 0.
/// BCE(real, a) = a·softplus(−l) + (1 − a)·softplus(l). At `real_label` = 1 it is
/// [`discriminator_loss`], bit for bit. D's optimum becomes a·p_data / (p_data + p_g), so
/// at the equilibrium D says a/2 (0.45 for 0.9) everywhere, and the loss is still 2·ln 2.
pub fn discriminator_loss_smoothed(real_logits: &Tensor, fake_logits: &Tensor, real_label: f32) -> Result<Tensor> {
    if real_label == 1.0 {
        return discriminator_loss(real_logits, fake_logits);
    }
    let a = f64::from(real_label);
    let real = ((softplus_mean(real_logits, -1.0)? * a)? + (softplus_mean(real_logits, 1.0)? * (1.0 - a))?)?;
    real + softplus_mean(fake_logits, 1.0)?
}

/// The generator's loss on the discriminator's logits for its fakes.
/// Non-saturating: mean −log D(G(z)) (ln 2 ≈ 0.693 at equilibrium);
/// minimax: mean log(1 − D(G(z))) (−ln 2 at equilibrium).
pub fn generator_loss(fake_logits: &Tensor, kind: GeneratorLoss) -> Result<Tensor> {
    match kind {
        GeneratorLoss::NonSaturating => softplus_mean(fake_logits, -1.0),
        GeneratorLoss::Minimax => softplus_mean(fake_logits, 1.0)?.neg(),
    }
}
