//! Checkpoints: one `.safetensors` file holding the generator's and the
//! discriminator's weights, both optimizers' state and, in the file's JSON
//! metadata, everything else a run needs to resume exactly (model config,
//! hyperparameters, step counters, random stream, dataset name).
//!
//! Tensor names: `g.<var>`, `d.<var>`, `opt_g.m.<var>`, `opt_g.v.<var>`,
//! `opt_d.m.<var>`, `opt_d.v.<var>`. Writes are atomic (a temporary file in the
//! same folder, then a rename), so a crash mid-save never leaves a broken file.
//! Loading builds the model from the saved config first, then checks every
//! tensor's name and shape and says exactly what does not match.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use super::trainer::{TrainConfig, TrainError, Trainer};
use crate::data::Dataset;
use crate::nets::{DiscriminatorSnapshot, Gan, GanConfig, GeneratorSnapshot, ModelKind, sorted_vars};
use crate::rng::Rng;

/// The value of `format` in every Latent Lab checkpoint.
pub const FORMAT: &str = "latent-lab-checkpoint";
/// The current format version.
pub const FORMAT_VERSION: u32 = 1;
/// The metadata key that holds [`CheckpointMeta`] as JSON.
pub const META_KEY: &str = "latent_lab";

/// Everything about a checkpoint besides its tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// Model architecture.
    pub model: GanConfig,
    /// Hyperparameters at the time of saving.
    pub train: TrainConfig,
    /// Iterations completed.
    pub step: u64,
    /// Discriminator updates applied.
    pub d_updates: u64,
    /// Generator updates applied.
    pub g_updates: u64,
    /// Updates each optimizer had applied (Adam's bias correction needs it).
    pub opt_steps: (u64, u64),
    /// Name of the dataset trained on.
    pub dataset: String,
    /// The random stream, so a resumed run draws the same batches.
    pub rng: Rng,
    /// Whether the optimizer state is included (weights-only files for shipping omit it).
    pub has_optimizer: bool,
    /// The program that wrote it.
    pub written_by: String,
}

/// How to store the tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOptions {
    /// Storage type of the weights (F32, or F16 for small shipped models).
    pub dtype: DType,
    /// Whether to include both optimizers' state (needed to resume training exactly).
    pub include_optimizer: bool,
}

impl Default for SaveOptions {
    fn default() -> Self {
        Self {
            dtype: DType::F32,
            include_optimizer: true,
        }
    }
}

/// What can go wrong reading or writing a checkpoint. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a readable safetensors file (truncated, corrupt, or another format).
    #[error("{path}: not a readable checkpoint ({message}); the file may be truncated or corrupt")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A safetensors file, but not one written by Latent Lab (or of another version).
    #[error("{path}: {message}")]
    NotLatentLab {
        /// The file.
        path: PathBuf,
        /// What is missing or different.
        message: String,
    },
    /// A checkpoint of another model than the one asked for.
    #[error("{path}: this checkpoint holds a {found} model (latent size {latent_dim}), not a {expected}")]
    WrongModel {
        /// The file.
        path: PathBuf,
        /// Model kind in the file.
        found: ModelKind,
        /// Its latent size.
        latent_dim: usize,
        /// Model kind asked for.
        expected: ModelKind,
    },
    /// A tensor is missing, unexpected, or of the wrong shape.
    #[error("{path}: tensor {tensor}: {problem}")]
    Tensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The checkpoint has no optimizer state but resuming needs it.
    #[error("{path}: holds weights only (no optimizer state), so training cannot resume exactly from it")]
    NoOptimizerState {
        /// The file.
        path: PathBuf,
    },
    /// Building the model or moving tensors failed.
    #[error("{path}: {source}")]
    Candle {
        /// The file.
        path: PathBuf,
        /// The error.
        source: candle_core::Error,
    },
    /// The trainer refused the restored state.
    #[error("{path}: {source}")]
    Train {
        /// The file.
        path: PathBuf,
        /// The error.
        source: Box<TrainError>,
    },
}

/// A checkpoint read from disk: metadata plus tensors (on the CPU, as F32).
#[derive(Debug)]
pub struct Checkpoint {
    /// Where it was read from.
    pub path: PathBuf,
    /// Metadata.
    pub meta: CheckpointMeta,
    tensors: HashMap<String, Tensor>,
}

/// Saves the trainer's full state to `path`, atomically.
pub fn save(trainer: &Trainer, path: &Path, options: SaveOptions) -> Result<(), CheckpointError> {
    let gan = trainer.gan();
    let candle = |source| CheckpointError::Candle {
        path: path.to_path_buf(),
        source,
    };
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for (prefix, map) in [("g", &gan.g_vars), ("d", &gan.d_vars)] {
        for (name, var) in sorted_vars(map) {
            let t = var.as_tensor().to_dtype(options.dtype).map_err(candle)?;
            tensors.push((format!("{prefix}.{name}"), t));
        }
    }
    if options.include_optimizer {
        for (prefix, opt) in [("opt_g", trainer.opt_g()), ("opt_d", trainer.opt_d())] {
            for (name, t) in opt.state_tensors() {
                tensors.push((format!("{prefix}.{name}"), t));
            }
        }
    }
    let (d_updates, g_updates) = trainer.updates();
    let meta = CheckpointMeta {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        model: gan.config,
        train: trainer.config(),
        step: trainer.step(),
        d_updates,
        g_updates,
        opt_steps: (trainer.opt_g().steps(), trainer.opt_d().steps()),
        dataset: trainer.data().name.clone(),
        rng: trainer.rng().clone(),
        has_optimizer: options.include_optimizer,
        written_by: format!("latent-lab {}", env!("CARGO_PKG_VERSION")),
    };
    let meta_json = serde_json::to_string(&meta).map_err(|e| CheckpointError::NotLatentLab {
        path: path.to_path_buf(),
        message: format!("cannot encode metadata: {e}"),
    })?;
    let info = HashMap::from([(META_KEY.to_string(), meta_json)]);
    let bytes =
        safetensors::tensor::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(info)).map_err(|e| {
            CheckpointError::Corrupt {
                path: path.to_path_buf(),
                message: format!("cannot encode tensors: {e}"),
            }
        })?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

impl Checkpoint {
    /// Reads and checks a checkpoint file's structure (not yet its shapes against a model).
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses a checkpoint from memory; `path` is only used in messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, CheckpointError> {
        let corrupt = |message: String| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| corrupt(e.to_string()))?;
        let not_ours = |message: &str| CheckpointError::NotLatentLab {
            path: path.to_path_buf(),
            message: message.to_string(),
        };
        let meta_json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(META_KEY))
            .ok_or_else(|| not_ours("a safetensors file, but not a Latent Lab checkpoint (no latent_lab metadata)"))?;
        let meta: CheckpointMeta =
            serde_json::from_str(meta_json).map_err(|e| not_ours(&format!("unreadable Latent Lab metadata: {e}")))?;
        if meta.format != FORMAT {
            return Err(not_ours(&format!("format is '{}', expected '{FORMAT}'", meta.format)));
        }
        if meta.version > FORMAT_VERSION {
            return Err(not_ours(&format!(
                "checkpoint format version {} is newer than this program understands ({FORMAT_VERSION}); update Latent Lab",
                meta.version
            )));
        }
        let mut tensors = HashMap::new();
        for (name, view) in st.tensors() {
            let t = candle_core::safetensors::Load::load(&view, &Device::Cpu)
                .and_then(|t| t.to_dtype(DType::F32))
                .map_err(|e| CheckpointError::Tensor {
                    path: path.to_path_buf(),
                    tensor: name.clone(),
                    problem: e.to_string(),
                })?;
            tensors.insert(name, t);
        }
        Ok(Self {
            path: path.to_path_buf(),
            meta,
            tensors,
        })
    }

    fn check_kind(&self, expect: Option<ModelKind>) -> Result<(), CheckpointError> {
        match expect {
            Some(k) if k != self.meta.model.kind => Err(CheckpointError::WrongModel {
                path: self.path.clone(),
                found: self.meta.model.kind,
                latent_dim: self.meta.model.latent_dim,
                expected: k,
            }),
            _ => Ok(()),
        }
    }

    fn tensor_err(&self, tensor: &str, problem: String) -> CheckpointError {
        CheckpointError::Tensor {
            path: self.path.clone(),
            tensor: tensor.to_string(),
            problem,
        }
    }

    /// Copies the tensors under `prefix.` into `map`'s variables, checking names and shapes both ways.
    fn fill(&self, prefix: &str, map: &candle_nn::VarMap, device: &Device) -> Result<(), CheckpointError> {
        let vars = sorted_vars(map);
        for (name, var) in &vars {
            let key = format!("{prefix}.{name}");
            let t = self
                .tensors
                .get(&key)
                .ok_or_else(|| self.tensor_err(&key, format!("missing (a {} needs it)", self.meta.model.kind)))?;
            if t.dims() != var.dims() {
                return Err(self.tensor_err(
                    &key,
                    format!(
                        "shape {:?} in the file, but a {} needs {:?}",
                        t.dims(),
                        self.meta.model.kind,
                        var.dims()
                    ),
                ));
            }
            let t = t.to_device(device).map_err(|source| CheckpointError::Candle {
                path: self.path.clone(),
                source,
            })?;
            var.set(&t).map_err(|source| CheckpointError::Candle {
                path: self.path.clone(),
                source,
            })?;
        }
        let p = format!("{prefix}.");
        if let Some(extra) = self
            .tensors
            .keys()
            .filter(|k| k.starts_with(&p))
            .find(|k| !vars.iter().any(|(n, _)| &format!("{prefix}.{n}") == *k))
        {
            return Err(self.tensor_err(extra, format!("not part of a {} model", self.meta.model.kind)));
        }
        Ok(())
    }

    /// Builds the GAN this checkpoint holds, refusing another kind than `expect`.
    pub fn build_gan(&self, expect: Option<ModelKind>, device: &Device) -> Result<Gan, CheckpointError> {
        self.check_kind(expect)?;
        let gan = Gan::new_uninit(self.meta.model, device).map_err(|source| CheckpointError::Candle {
            path: self.path.clone(),
            source,
        })?;
        self.fill("g", &gan.g_vars, device)?;
        self.fill("d", &gan.d_vars, device)?;
        Ok(gan)
    }

    /// The generator alone.
    pub fn generator(&self, expect: Option<ModelKind>, device: &Device) -> Result<GeneratorSnapshot, CheckpointError> {
        let gan = self.build_gan(expect, device)?;
        gan.snapshot_generator().map_err(|source| CheckpointError::Candle {
            path: self.path.clone(),
            source,
        })
    }

    /// Both networks, frozen, for exploring: the generator and the discriminator.
    pub fn snapshots(
        &self,
        expect: Option<ModelKind>,
        device: &Device,
    ) -> Result<(GeneratorSnapshot, DiscriminatorSnapshot), CheckpointError> {
        let gan = self.build_gan(expect, device)?;
        let candle = |source| CheckpointError::Candle {
            path: self.path.clone(),
            source,
        };
        Ok((
            gan.snapshot_generator().map_err(candle)?,
            gan.snapshot_discriminator().map_err(candle)?,
        ))
    }

    /// A trainer that continues this run exactly: weights, optimizer state, counters, random stream.
    pub fn into_trainer(
        self,
        expect: Option<ModelKind>,
        data: Arc<Dataset>,
        device: &Device,
    ) -> Result<Trainer, CheckpointError> {
        if !self.meta.has_optimizer {
            return Err(CheckpointError::NoOptimizerState {
                path: self.path.clone(),
            });
        }
        let gan = self.build_gan(expect, device)?;
        let train_err = |e: TrainError| CheckpointError::Train {
            path: self.path.clone(),
            source: Box::new(e),
        };
        let mut trainer = Trainer::from_parts(gan, self.meta.train, data, self.meta.rng.clone()).map_err(train_err)?;
        let (opt_g, opt_d) = trainer.optimizers_mut();
        for (prefix, opt, t) in [
            ("opt_g", opt_g, self.meta.opt_steps.0),
            ("opt_d", opt_d, self.meta.opt_steps.1),
        ] {
            opt.load_state(t, |name| {
                self.tensors
                    .get(&format!("{prefix}.{name}"))
                    .and_then(|x| x.to_device(device).ok())
            })
            .map_err(|e| self.tensor_err(prefix, e.to_string()))?;
        }
        trainer.restore_progress(
            self.meta.step,
            self.meta.d_updates,
            self.meta.g_updates,
            self.meta.rng.clone(),
        );
        Ok(trainer)
    }

    /// Names of all tensors in the file, sorted.
    pub fn tensor_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.tensors.keys().cloned().collect();
        v.sort();
        v
    }
}
