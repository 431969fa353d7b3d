//! What each training step reports.

use serde::{Deserialize, Serialize};

/// One discriminator update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DStep {
    /// Discriminator loss before the update.
    pub d_loss: f32,
    /// D's probability "real" for each image of the real batch.
    pub d_real: Vec<f32>,
    /// D's probability "real" for each image of the fake batch.
    pub d_fake: Vec<f32>,
}

impl DStep {
    /// Mean D(x) on the real batch.
    pub fn d_real_mean(&self) -> f32 {
        mean(&self.d_real)
    }
    /// Mean D(G(z)) on the fake batch.
    pub fn d_fake_mean(&self) -> f32 {
        mean(&self.d_fake)
    }
}

/// One generator update.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GStep {
    /// Generator loss before the update.
    pub g_loss: f32,
    /// Mean D(G(z)) that the generator saw.
    pub d_fake_mean: f32,
}

/// One full iteration of Algorithm 1: k discriminator updates then one generator update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StepMetrics {
    /// Iterations completed, this one included.
    pub step: u64,
    /// Discriminator loss of the last D update.
    pub d_loss: f32,
    /// Generator loss.
    pub g_loss: f32,
    /// Mean D(x) on the last real batch.
    pub d_real_mean: f32,
    /// Mean D(G(z)) on the last fake batch the discriminator saw.
    pub d_fake_mean: f32,
    /// Per-sample D probabilities on that real batch (for the histogram).
    pub d_real: Vec<f32>,
    /// Per-sample D probabilities on that fake batch.
    pub d_fake: Vec<f32>,
}

/// Arithmetic mean, 0 for an empty slice.
pub fn mean(xs: &[f32]) -> f32 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f32>() / xs.len() as f32
    }
}
