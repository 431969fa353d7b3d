//! The pretrained models shipped in `models/` and embedded in the binary, so the
//! explorer is useful at first launch, before any training and with no file at
//! run time. Each was produced by `latent-lab train` (recipes in `models/README.md`)
//! and stored as f16 weights of its networks, without optimizer state.

use std::path::Path;

use candle_core::Device;

use super::Model;
use crate::train::{Checkpoint, CheckpointError};

/// One shipped model.
#[derive(Debug)]
pub struct Pretrained {
    /// Short name, used in recipes as `pretrained:<id>` and by `latent-lab sample --pretrained`.
    pub id: &'static str,
    /// A name for people.
    pub label: &'static str,
    /// Its file under `models/`.
    pub file: &'static str,
    bytes: &'static [u8],
}

/// Every shipped model, in menu order.
pub const ALL: [Pretrained; 15] = [
    Pretrained {
        id: "mlp-gan",
        label: "Pretrained MLP GAN",
        file: "mlp-gan.safetensors",
        bytes: include_bytes!("../../models/mlp-gan.safetensors"),
    },
    Pretrained {
        id: "dcgan",
        label: "Pretrained DCGAN",
        file: "dcgan.safetensors",
        bytes: include_bytes!("../../models/dcgan.safetensors"),
    },
    Pretrained {
        id: "dcgan-z2",
        label: "Pretrained DCGAN, 2-D z",
        file: "dcgan-z2.safetensors",
        bytes: include_bytes!("../../models/dcgan-z2.safetensors"),
    },
    Pretrained {
        id: "ae",
        label: "Pretrained conv autoencoder",
        file: "ae.safetensors",
        bytes: include_bytes!("../../models/ae.safetensors"),
    },
    Pretrained {
        id: "ae-z2",
        label: "Pretrained autoencoder, 2-D z",
        file: "ae-z2.safetensors",
        bytes: include_bytes!("../../models/ae-z2.safetensors"),
    },
    Pretrained {
        id: "vae",
        label: "Pretrained conv VAE",
        file: "vae.safetensors",
        bytes: include_bytes!("../../models/vae.safetensors"),
    },
    Pretrained {
        id: "vae-z2",
        label: "Pretrained VAE, 2-D z",
        file: "vae-z2.safetensors",
        bytes: include_bytes!("../../models/vae-z2.safetensors"),
    },
    Pretrained {
        id: "cgan",
        label: "Pretrained conditional DCGAN",
        file: "cgan.safetensors",
        bytes: include_bytes!("../../models/cgan.safetensors"),
    },
    Pretrained {
        id: "infogan",
        label: "Pretrained InfoGAN",
        file: "infogan.safetensors",
        bytes: include_bytes!("../../models/infogan.safetensors"),
    },
    Pretrained {
        id: "pixelcnn",
        label: "Pretrained PixelCNN",
        file: "pixelcnn.safetensors",
        bytes: include_bytes!("../../models/pixelcnn.safetensors"),
    },
    Pretrained {
        id: "pix2pix-inpaint",
        label: "Pretrained pix2pix, inpainting",
        file: "pix2pix-inpaint.safetensors",
        bytes: include_bytes!("../../models/pix2pix-inpaint.safetensors"),
    },
    Pretrained {
        id: "pix2pix-superres",
        label: "Pretrained pix2pix, super-resolution",
        file: "pix2pix-superres.safetensors",
        bytes: include_bytes!("../../models/pix2pix-superres.safetensors"),
    },
    Pretrained {
        id: "pix2pix-inpaint-gan",
        label: "Pretrained pix2pix, inpainting, GAN term alone",
        file: "pix2pix-inpaint-gan.safetensors",
        bytes: include_bytes!("../../models/pix2pix-inpaint-gan.safetensors"),
    },
    Pretrained {
        id: "pix2pix-inpaint-l1",
        label: "Pretrained pix2pix, inpainting, L1 alone",
        file: "pix2pix-inpaint-l1.safetensors",
        bytes: include_bytes!("../../models/pix2pix-inpaint-l1.safetensors"),
    },
    Pretrained {
        id: "cyclegan-thin-thick",
        label: "Pretrained CycleGAN, thin → thick",
        file: "cyclegan-thin-thick.safetensors",
        bytes: include_bytes!("../../models/cyclegan-thin-thick.safetensors"),
    },
];

/// The prefix of a pretrained model's source in recipes.
pub const SOURCE_PREFIX: &str = "pretrained:";

/// The shipped model called `id`.
pub fn find(id: &str) -> Option<&'static Pretrained> {
    ALL.iter().find(|p| p.id == id)
}

/// The shipped model a recipe's `source` names, if it names one.
pub fn from_source(source: &str) -> Option<&'static Pretrained> {
    source.strip_prefix(SOURCE_PREFIX).and_then(find)
}

impl Pretrained {
    /// The source string recipes carry for this model.
    pub fn source(&self) -> String {
        format!("{SOURCE_PREFIX}{}", self.id)
    }

    /// The embedded file, parsed.
    pub fn checkpoint(&self) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::from_bytes(self.bytes, &Path::new("models").join(self.file))
    }

    /// Builds the model (its seams) on `device`.
    pub fn load(&self, device: &Device) -> Result<Model, CheckpointError> {
        let ck = self.checkpoint()?;
        Model::from_checkpoint(&ck, self.label, self.source(), device)
    }
}

impl Model {
    /// The seams of a checkpoint's model, frozen; `name` for people, `source` for recipes.
    pub fn from_checkpoint(
        ck: &Checkpoint,
        name: impl Into<String>,
        source: impl Into<String>,
        device: &Device,
    ) -> Result<Model, CheckpointError> {
        let seams = ck.seams(None, device)?;
        Model::from_seams(name, source, ck.meta.step, ck.meta.model.clone(), seams).map_err(|source| {
            CheckpointError::Candle {
                path: ck.path.clone(),
                source,
            }
        })
    }

    /// A checkpoint file as a model to explore (its file name is its source in recipes).
    pub fn open(path: &Path, device: &Device) -> Result<Model, CheckpointError> {
        let ck = Checkpoint::load(path)?;
        let file = path
            .file_name()
            .map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
        Model::from_checkpoint(&ck, file.clone(), format!("checkpoint:{file}"), device)
    }
}
