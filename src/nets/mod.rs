//! candle models, one file per family, behind two shared traits:
//! [`Generator`] ("decode z into images") and [`Discriminator`] ("score images").
//!
//! A [`Gan`] holds both networks, each with its own `VarMap` so that each gets
//! its own optimizer. Weights are initialised from the seeded [`crate::rng::Rng`],
//! so the same seed gives the same network bit for bit.

pub mod dcgan;
pub mod infogan;
pub mod init;
pub mod mlp;
pub mod ops;
pub mod pixelcnn;
pub mod toy;
pub mod unet;

use std::sync::Arc;

use candle_core::{DType, Device, Result, Tensor, Var};

use candle_nn::{VarBuilder, VarMap};
use ops::sink::ParamGrads;
use serde::{Deserialize, Serialize};

/// Images the models produce and take: 1 channel, 28×28.
pub const IMAGE_SIDE: usize = crate::data::IMAGE_SIDE;

/// Which GAN architecture (the `mlp-gan` and `dcgan` families).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GanArch {
    /// The classic fully connected GAN: G z → 256 → 512 → 1024 → 784, D 784 → 512 → 256 → 1.
    MlpGan,
    /// A small DCGAN: transposed convolutions in G, strided convolutions in D.
    Dcgan,
}

impl GanArch {
    /// The family id of this architecture ("mlp-gan", "dcgan").
    pub fn id(self) -> &'static str {
        match self {
            GanArch::MlpGan => "mlp-gan",
            GanArch::Dcgan => "dcgan",
        }
    }

    /// D's input for images `x (B, 1, 28, 28)` with one-hot classes `onehot (B, classes)`:
    /// for the MLP, the pixels then the class, `(B, 784 + classes)`; for the DCGAN, the image
    /// and one constant map per class, `(B, 1 + classes, 28, 28)` (the conditional DCGAN of
    /// the public reference implementations).
    pub fn join_label(self, x: &Tensor, onehot: &Tensor) -> Result<Tensor> {
        match self {
            GanArch::MlpGan => Tensor::cat(&[&x.flatten_from(1)?, onehot], 1),
            GanArch::Dcgan => {
                let (b, c) = onehot.dims2()?;
                let (_, _, h, w) = x.dims4()?;
                let maps = onehot.reshape((b, c, 1, 1))?.broadcast_as((b, c, h, w))?.contiguous()?;
                Tensor::cat(&[x, &maps], 1)
            }
        }
    }

    /// How its weights are initialised.
    pub fn init_scheme(self) -> init::InitScheme {
        match self {
            GanArch::MlpGan => init::InitScheme::Torch,
            GanArch::Dcgan => init::InitScheme::Dcgan,
        }
    }
}

/// What defines a GAN's networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GanConfig {
    /// The architecture.
    pub arch: GanArch,
    /// Size of the generator's input: z, and for a conditional GAN the one-hot class after
    /// it (2 works, for teaching).
    pub latent_dim: usize,
    /// Classes joined to D's input (0: an unconditional GAN). The MLP's D reads the one-hot
    /// class after the 784 pixels; the DCGAN's D reads it as that many constant feature maps
    /// beside the image ([`GanArch::join_label`]).
    #[serde(default)]
    pub classes: usize,
    /// Units of a fully connected layer at the start of the DCGAN generator (InfoGAN's
    /// paper network; 0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub g_hidden: usize,
    /// Units of a fully connected layer (BN, LeakyReLU) at the end of the DCGAN
    /// discriminator's body, before its logit (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub d_hidden: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Maps latent vectors to images.
pub trait Generator: Send + Sync {
    /// `z` is `(B, latent_dim)`; returns `(B, 1, 28, 28)` in [-1, 1].
    /// `train` selects batch statistics (training) or running statistics (inference).
    fn forward_t(&self, z: &Tensor, train: bool) -> Result<Tensor>;

    /// The same output with the weights as constants: no gradient reaches them, and none is
    /// prepared (the discriminator step's fake batch). Batch-norm running statistics still update.
    fn forward_frozen(&self, z: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.forward_t(z, train)?.detach())
    }
    /// [`Generator::forward_t`] for a training step: the layers that can hand their weight
    /// gradients to `grads` in the backward pass do so ([`ops::sink`]), the others leave
    /// them in candle's graph. Move them into the `GradStore` after `backward`
    /// ([`ParamGrads::drain_into`]).
    fn forward_collecting(&self, z: &Tensor, train: bool, _grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.forward_t(z, train)
    }
}

/// Scores images: high logits mean "real".
pub trait Discriminator: Send + Sync {
    /// `x` is `(B, 1, 28, 28)` in [-1, 1]; returns logits of shape `(B,)`.
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor>;

    /// The same logits with the weights as constants: gradients flow to `x` only (the
    /// generator step, which never updates D, so D's weight gradients would be thrown away).
    fn forward_frozen(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_t(x, train)
    }
    /// [`Discriminator::forward_t`] for a training step, the weight gradients collected as by
    /// [`Generator::forward_collecting`].
    fn forward_collecting(&self, x: &Tensor, train: bool, _grads: &Arc<ParamGrads>) -> Result<Tensor> {
        self.forward_t(x, train)
    }

    /// Whether each sample's logit depends on that sample alone (no batch norm in training
    /// mode), so real and fake batches may go through as one concatenated batch.
    fn batch_independent(&self) -> bool {
        false
    }
}

/// How a forward pass treats the layers' weights.
#[derive(Clone, Copy)]
pub(crate) enum Weights<'a> {
    /// Variables of candle's graph: their gradients come out of `backward`.
    Graph,
    /// Constants: no gradient reaches them, and none is prepared.
    Frozen,
    /// Variables whose gradients the fused layers hand to the collector in the backward pass
    /// instead of returning them to candle ([`ops::sink`]); other layers return theirs.
    Collect(&'a Arc<ParamGrads>),
}

impl<'a> Weights<'a> {
    /// Whether the weights are constants with no gradient at all.
    pub(crate) fn frozen(self) -> bool {
        matches!(self, Weights::Frozen)
    }
    /// The collector, if the layers hand their gradients over.
    pub(crate) fn sink(self) -> Option<&'a Arc<ParamGrads>> {
        match self {
            Weights::Collect(g) => Some(g),
            _ => None,
        }
    }
}

/// A layer's weight and bias, as constants (sharing storage, no copy) when `frozen`.
/// A layer without a bias gets zeros.
pub(crate) fn params(w: &Tensor, b: Option<&Tensor>, frozen: bool) -> Result<(Tensor, Tensor)> {
    let b = match b {
        Some(b) => b.clone(),
        None => Tensor::zeros(w.dim(0)?, w.dtype(), w.device())?,
    };
    Ok(if frozen {
        (w.detach(), b.detach())
    } else {
        (w.clone(), b)
    })
}

/// A generator and a discriminator, each with its own variables.
pub struct Gan {
    /// The architecture.
    pub config: GanConfig,
    /// The generator network.
    pub g: Box<dyn Generator>,
    /// The discriminator network.
    pub d: Box<dyn Discriminator>,
    /// The generator's variables (weights, biases, batch-norm running stats).
    pub g_vars: VarMap,
    /// The discriminator's variables.
    pub d_vars: VarMap,
    /// Where the tensors live.
    pub device: Device,
}

impl std::fmt::Debug for Gan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gan")
            .field("config", &self.config)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Gan {
    /// Builds both networks with weights drawn from `seed`.
    pub fn new(config: GanConfig, seed: u64, device: &Device) -> Result<Self> {
        let gan = Self::new_uninit(config, device)?;
        gan.init_weights(seed)?;
        Ok(gan)
    }

    /// Overwrites both networks' weights with values drawn from `seed`.
    pub fn init_weights(&self, seed: u64) -> Result<()> {
        let scheme = self.config.arch.init_scheme();
        init::init_vars(&self.g_vars, scheme, &mut crate::rng::Rng::derive(seed, "init.g"))?;
        init::init_vars(&self.d_vars, scheme, &mut crate::rng::Rng::derive(seed, "init.d"))
    }

    /// Builds both networks with placeholder weights, to be overwritten (e.g. from a checkpoint).
    pub fn new_uninit(config: GanConfig, device: &Device) -> Result<Self> {
        if let Err(e) = crate::family::check_latent_dim(config.latent_dim) {
            candle_core::bail!("{e}");
        }
        let g_vars = VarMap::new();
        let d_vars = VarMap::new();
        let (g, d) = build(
            config,
            VarBuilder::from_varmap(&g_vars, DType::F32, device),
            VarBuilder::from_varmap(&d_vars, DType::F32, device),
        )?;
        Ok(Self {
            config,
            g,
            d,
            g_vars,
            d_vars,
            device: device.clone(),
        })
    }

    /// The generator alone, as an independent copy of the current weights.
    pub fn snapshot_generator(&self) -> Result<GeneratorSnapshot> {
        GeneratorSnapshot::copy_from(self.config, &self.g_vars, &self.device)
    }

    /// The discriminator alone, as an independent copy of the current weights.
    pub fn snapshot_discriminator(&self) -> Result<DiscriminatorSnapshot> {
        DiscriminatorSnapshot::copy_from(self.config, &self.d_vars, &self.device)
    }

    /// Generates images for the latent vectors `z` (`(B, latent_dim)`), inference mode.
    pub fn generate(&self, z: &Tensor) -> Result<Tensor> {
        self.g.forward_t(z, false)
    }
}

/// A frozen copy of a generator: decodes z without touching the training run.
pub struct GeneratorSnapshot {
    /// The architecture.
    pub config: GanConfig,
    g: Box<dyn Generator>,
    vars: VarMap,
    device: Device,
}

impl GeneratorSnapshot {
    /// Deep-copies the generator variables in `g_vars` into a new network.
    pub fn copy_from(config: GanConfig, g_vars: &VarMap, device: &Device) -> Result<Self> {
        let vars = VarMap::new();
        let d_dummy = VarMap::new();
        let (g, _) = build(
            config,
            VarBuilder::from_varmap(&vars, DType::F32, device),
            VarBuilder::from_varmap(&d_dummy, DType::F32, device),
        )?;
        copy_vars(g_vars, &vars)?;
        Ok(Self {
            config,
            g,
            vars,
            device: device.clone(),
        })
    }

    /// The variables of this generator, by name.
    pub fn vars(&self) -> &VarMap {
        &self.vars
    }

    /// The network itself.
    pub fn generator(&self) -> &dyn Generator {
        self.g.as_ref()
    }

    /// An independent copy of this generator.
    pub fn copy(&self) -> Result<Self> {
        Self::copy_from(self.config, &self.vars, &self.device)
    }

    /// The device its tensors live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Decodes latent vectors (`(B, latent_dim)`) into images `(B, 1, 28, 28)` in [-1, 1].
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.g.forward_t(z, false)
    }

    /// Decodes `n` latent vectors given as one flat slice into 8-bit images (row-major, 784 bytes each).
    pub fn decode_to_u8(&self, z: &[f32]) -> Result<Vec<u8>> {
        let n = z.len() / self.config.latent_dim;
        let zt = Tensor::from_slice(z, (n, self.config.latent_dim), &self.device)?;
        images_to_u8(&self.decode(&zt)?)
    }
}

/// A frozen copy of a discriminator: scores images without touching the training run.
pub struct DiscriminatorSnapshot {
    /// The architecture.
    pub config: GanConfig,
    d: Box<dyn Discriminator>,
    vars: VarMap,
}

impl DiscriminatorSnapshot {
    /// Deep-copies the discriminator variables in `d_vars` into a new network.
    pub fn copy_from(config: GanConfig, d_vars: &VarMap, device: &Device) -> Result<Self> {
        let vars = VarMap::new();
        let g_dummy = VarMap::new();
        let (_, d) = build(
            config,
            VarBuilder::from_varmap(&g_dummy, DType::F32, device),
            VarBuilder::from_varmap(&vars, DType::F32, device),
        )?;
        copy_vars(d_vars, &vars)?;
        Ok(Self { config, d, vars })
    }

    /// The variables of this discriminator, by name.
    pub fn vars(&self) -> &VarMap {
        &self.vars
    }

    /// D's probability "real" for each image of `images` (`(B, 1, 28, 28)` in [-1, 1]),
    /// inference mode. A conditional D scores each image under the class it finds most real.
    pub fn probabilities(&self, images: &Tensor) -> Result<Vec<f32>> {
        let classes = self.config.classes;
        if classes == 0 {
            return self.sigmoid(images);
        }
        let b = images.dim(0)?;
        let mut best = vec![0f32; b];
        for class in 0..classes {
            let onehot = crate::family::one_hot(&vec![class; b], classes, images.device())?;
            let p = self.sigmoid(&self.config.arch.join_label(images, &onehot)?)?;
            best.iter_mut().zip(p).for_each(|(m, p)| *m = m.max(p));
        }
        Ok(best)
    }

    /// D's probability "real" for the images of latent vectors `z`: a conditional D scores
    /// each image under the class its vector asks for (the one-hot values after z).
    pub fn probabilities_given(&self, images: &Tensor, z: &Tensor) -> Result<Vec<f32>> {
        let classes = self.config.classes;
        if classes == 0 {
            return self.sigmoid(images);
        }
        let l = z.dim(1)?;
        let onehot = z.narrow(1, l - classes, classes)?;
        self.sigmoid(&self.config.arch.join_label(images, &onehot)?)
    }

    fn sigmoid(&self, input: &Tensor) -> Result<Vec<f32>> {
        let logits: Vec<f32> = self.d.forward_t(input, false)?.to_vec1()?;
        Ok(logits.into_iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect())
    }
}

/// Converts images in [-1, 1] (any shape with B first) into 8-bit pixels, 0 = -1, 255 = +1.
pub fn images_to_u8(images: &Tensor) -> Result<Vec<u8>> {
    let flat: Vec<f32> = images.flatten_all()?.to_vec1()?;
    Ok(flat
        .into_iter()
        .map(|v| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
        .collect())
}

/// Calls `f(to's variable, from's namesake)` for every variable of `to`; a variable `from`
/// lacks is an error.
fn each_pair(from: &VarMap, to: &VarMap, mut f: impl FnMut(&Var, &Var) -> Result<()>) -> Result<()> {
    let src = from
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("variable map lock poisoned".into()))?;
    let dst = to
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("variable map lock poisoned".into()))?;
    for (name, var) in dst.iter() {
        let Some(s) = src.get(name) else {
            candle_core::bail!("variable {name} missing from the source network");
        };
        f(var, s)?;
    }
    Ok(())
}

/// Copies the values of every variable in `from` into the same-named variable of `to`.
pub fn copy_vars(from: &VarMap, to: &VarMap) -> Result<()> {
    each_pair(from, to, |var, s| var.set(s.as_tensor()))
}

/// Moves every variable of `avg` toward its namesake in `from`: `avg ← decay·avg +
/// (1 − decay)·from` (an exponential moving average of a network's weights, batch-norm
/// statistics included). In place on the CPU; elsewhere through tensor ops.
pub fn average_vars(avg: &VarMap, from: &VarMap, decay: f64) -> Result<()> {
    each_pair(from, avg, |var, s| {
        let (a, w) = (var.as_tensor(), s.as_tensor());
        if a.device().is_cpu() && a.is_contiguous() && w.is_contiguous() {
            ops::optim::ema_cpu(a, w, decay as f32)
        } else {
            var.set(&((a * decay)? + (w * (1.0 - decay))?)?)
        }
    })
}

/// The variables of a map as `(name, var)` pairs sorted by name.
pub fn sorted_vars(map: &VarMap) -> Vec<(String, Var)> {
    let data = match map.data().lock() {
        Ok(d) => d,
        Err(poisoned) => poisoned.into_inner(),
    };
    let mut v: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Whether a variable is trained by the optimizer (batch-norm running statistics are not).
pub fn is_trainable(name: &str) -> bool {
    !name.ends_with("running_mean") && !name.ends_with("running_var")
}

fn build(
    config: GanConfig,
    g_vb: VarBuilder,
    d_vb: VarBuilder,
) -> Result<(Box<dyn Generator>, Box<dyn Discriminator>)> {
    Ok(match config.arch {
        GanArch::MlpGan => (
            Box::new(mlp::MlpGenerator::new(config.latent_dim, g_vb)?),
            Box::new(mlp::MlpDiscriminator::with_label_inputs(config.classes, d_vb)?),
        ),
        GanArch::Dcgan => (
            Box::new(dcgan::DcganGenerator::with_hidden(
                config.latent_dim,
                config.g_hidden,
                g_vb,
            )?),
            Box::new(dcgan::DcganDiscriminator::with_layers(
                config.classes,
                config.d_hidden,
                d_vb,
            )?),
        ),
    })
}

impl crate::family::Decoder for GeneratorSnapshot {
    fn latent_dim(&self) -> usize {
        self.config.latent_dim
    }
    fn decode(&self, z: &Tensor) -> Result<Tensor> {
        GeneratorSnapshot::decode(self, z)
    }
    fn device(&self) -> &Device {
        &self.device
    }
}

impl crate::family::Scorer for DiscriminatorSnapshot {
    fn probabilities(&self, images: &Tensor) -> Result<Vec<f32>> {
        DiscriminatorSnapshot::probabilities(self, images)
    }
    fn probabilities_given(&self, images: &Tensor, z: &Tensor) -> Result<Vec<f32>> {
        DiscriminatorSnapshot::probabilities_given(self, images, z)
    }
}
