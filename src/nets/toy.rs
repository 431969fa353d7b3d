//! Small MLPs for the toy GAN game on 1-D and 2-D data.
//!
//! G: z (1 or 2) → 32 → 32 → dim, LeakyReLU(0.2) between layers, linear output
//! (toy data is not bounded like pixels). D: dim → 32 → 32 → 1 logit, LeakyReLU(0.2).
//! Each network has its own `VarMap` (so each gets its own optimizer), initialised
//! from the seed like the MLP GAN (PyTorch's `nn.Linear` default).

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap, linear};

use super::init::InitScheme;
use super::init::init_vars;
use super::mlp::{LEAKY_SLOPE, leaky_relu};
use super::sorted_vars;
use crate::rng::Rng;

/// Width of the hidden layers of both toy networks.
pub const TOY_HIDDEN: usize = 32;

/// A three-layer perceptron with LeakyReLU between layers and a linear output.
pub struct ToyMlp {
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl ToyMlp {
    /// Builds `fc1`..`fc3` under `vb`: `input → 32 → 32 → output`.
    pub fn new(input: usize, output: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: linear(input, TOY_HIDDEN, vb.pp("fc1"))?,
            fc2: linear(TOY_HIDDEN, TOY_HIDDEN, vb.pp("fc2"))?,
            fc3: linear(TOY_HIDDEN, output, vb.pp("fc3"))?,
        })
    }

    /// `(B, input)` → `(B, output)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = leaky_relu(&self.fc1.forward(x)?, LEAKY_SLOPE)?;
        let h = leaky_relu(&self.fc2.forward(&h)?, LEAKY_SLOPE)?;
        self.fc3.forward(&h)
    }
}

/// The toy generator and discriminator.
pub struct ToyGan {
    /// Size of z.
    pub latent_dim: usize,
    /// Size of a data point (1 or 2).
    pub data_dim: usize,
    /// G: z → x.
    pub g: ToyMlp,
    /// D: x → logit.
    pub d: ToyMlp,
    /// G's variables.
    pub g_vars: VarMap,
    /// D's variables.
    pub d_vars: VarMap,
    /// Where the tensors live.
    pub device: Device,
}

impl std::fmt::Debug for ToyGan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToyGan")
            .field("latent_dim", &self.latent_dim)
            .field("data_dim", &self.data_dim)
            .finish_non_exhaustive()
    }
}

impl ToyGan {
    /// Both networks with weights drawn from `seed`.
    pub fn new(latent_dim: usize, data_dim: usize, seed: u64, device: &Device) -> Result<Self> {
        if latent_dim == 0 || data_dim == 0 {
            candle_core::bail!("toy sizes must be at least 1 (latent {latent_dim}, data {data_dim})");
        }
        let g_vars = VarMap::new();
        let d_vars = VarMap::new();
        let g = ToyMlp::new(
            latent_dim,
            data_dim,
            VarBuilder::from_varmap(&g_vars, DType::F32, device),
        )?;
        let d = ToyMlp::new(data_dim, 1, VarBuilder::from_varmap(&d_vars, DType::F32, device))?;
        let gan = Self {
            latent_dim,
            data_dim,
            g,
            d,
            g_vars,
            d_vars,
            device: device.clone(),
        };
        gan.init_weights(seed)?;
        Ok(gan)
    }

    /// Overwrites every weight with values drawn from `seed` (bit-exact for a seed).
    pub fn init_weights(&self, seed: u64) -> Result<()> {
        init_vars(&self.g_vars, InitScheme::Torch, &mut Rng::derive(seed, "toy.init.g"))?;
        init_vars(&self.d_vars, InitScheme::Torch, &mut Rng::derive(seed, "toy.init.d"))
    }

    /// G(z): `(B, latent_dim)` → `(B, data_dim)`.
    pub fn generate(&self, z: &Tensor) -> Result<Tensor> {
        self.g.forward(z)
    }

    /// D's logits: `(B, data_dim)` → `(B,)`.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        self.d.forward(x)?.squeeze(1)
    }

    /// All of G's variables, flat, in sorted name order (for comparisons).
    pub fn g_weights(&self) -> Result<Vec<f32>> {
        flat(&self.g_vars)
    }

    /// All of D's variables, flat, in sorted name order (for comparisons).
    pub fn d_weights(&self) -> Result<Vec<f32>> {
        flat(&self.d_vars)
    }
}

fn flat(vars: &VarMap) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    for (_, v) in sorted_vars(vars) {
        out.extend(v.as_tensor().flatten_all()?.to_vec1::<f32>()?);
    }
    Ok(out)
}
