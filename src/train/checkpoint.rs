//! Checkpoints: one `.safetensors` file for every family, holding each network's weights,
//! each optimizer group's state and, in the file's JSON metadata, everything else a run
//! needs to resume exactly (the family and its config, hyperparameters, step counters,
//! random stream, dataset name).
//!
//! Tensor names: `<network>.<var>` (a GAN: `g.…`, `d.…`; an autoencoder: `enc.…`, `dec.…`)
//! and `opt_<group>.m.<var>`, `opt_<group>.v.<var>`. Files of the first format (version 1,
//! GANs only, written before the family interface) have the same tensor names and still
//! load: their metadata is read and converted. Writes are atomic (a temporary file in the
//! same folder, then a rename), so a crash mid-save never leaves a broken file. Loading
//! checks the declared model (its family and sizes) before building it, then checks every
//! tensor's name and shape and says exactly what does not match.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use super::optim::OptimizerConfig;
use super::trainer::{TrainConfig, TrainError, Trainer};
use crate::data::Dataset;
use crate::family::{FamilyModel, ModelSpec, Seams};
use crate::nets::sorted_vars;
use crate::rng::Rng;

/// The value of `format` in every Latent Lab checkpoint.
pub const FORMAT: &str = "latent-lab-checkpoint";
/// The current format version (2: any family; 1: GANs only, still read).
pub const FORMAT_VERSION: u32 = 2;
/// The metadata key that holds [`CheckpointMeta`] as JSON.
pub const META_KEY: &str = "latent_lab";

/// Everything about a checkpoint besides its tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// The family and its config.
    pub model: ModelSpec,
    /// Hyperparameters at the time of saving.
    pub train: TrainConfig,
    /// Iterations completed.
    pub step: u64,
    /// Updates each optimizer group had applied, by group id.
    pub updates: BTreeMap<String, u64>,
    /// Updates each optimizer had counted (Adam's bias correction needs it), by group id.
    pub opt_steps: BTreeMap<String, u64>,
    /// Name of the dataset trained on.
    pub dataset: String,
    /// Where it came from: "embedded" or the folder's path ("" in files written before
    /// it was recorded).
    #[serde(default)]
    pub data_source: String,
    /// Images at the end of that data kept out of training (`--hold-out`).
    #[serde(default)]
    pub hold_out: usize,
    /// The random stream, so a resumed run draws the same batches.
    pub rng: Rng,
    /// Whether the optimizer state is included (weights-only files for shipping omit it).
    pub has_optimizer: bool,
    /// The program that wrote it.
    pub written_by: String,
    /// The charts' history of the run (the window's saves and `latent-lab train` keep it;
    /// weights-only files for shipping do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<ChartHistory>,
}

/// The charts' history of a run: per iteration, one value per metric of the family, so
/// that a restored run's charts go on where they were.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChartHistory {
    /// The metric keys, in the family's order, that each point's values follow.
    pub metrics: Vec<String>,
    /// `(step, values)`, oldest first (`None` where the iteration did not measure one; JSON
    /// has no NaN).
    pub points: Vec<(u64, Vec<Option<f32>>)>,
}

/// The most history points a checkpoint may hold (the window keeps about 4,000); a file
/// declaring more is refused before it is used.
pub const MAX_HISTORY_POINTS: usize = 20_000;

/// The most points `latent-lab train` keeps: past this, neighbouring points are merged.
pub const TRAIN_HISTORY_POINTS: usize = 10_000;

impl ChartHistory {
    /// An empty history of `family`'s metrics.
    pub fn of(family: &dyn crate::family::Family) -> Self {
        Self {
            metrics: family.metrics().iter().map(|m| m.key.to_string()).collect(),
            points: Vec::new(),
        }
    }

    /// Appends one iteration's values (NaN: not measured). Past [`TRAIN_HISTORY_POINTS`]
    /// points, each pair of neighbours becomes one at the later step, with the later value of
    /// each metric where it has one and the earlier one otherwise (so a metric measured every
    /// 25 steps keeps its points).
    pub fn push(&mut self, step: u64, values: &[f32]) {
        self.points
            .push((step, values.iter().map(|v| v.is_finite().then_some(*v)).collect()));
        if self.points.len() > TRAIN_HISTORY_POINTS {
            let old = std::mem::take(&mut self.points);
            let mut it = old.into_iter();
            while let Some(first) = it.next() {
                match it.next() {
                    Some((step, mut values)) => {
                        for (v, earlier) in values.iter_mut().zip(first.1) {
                            *v = v.or(earlier);
                        }
                        self.points.push((step, values));
                    }
                    None => self.points.push(first),
                }
            }
        }
    }

    /// Drops the points after `step` (a run put back to its last good state).
    pub fn truncate_after(&mut self, step: u64) {
        self.points.retain(|(s, _)| *s <= step);
    }

    /// The points as `(step, values)` with NaN for missing values, if the history fits a
    /// run of `metrics` at `step`: the same metric keys, one value each, no more than
    /// [`MAX_HISTORY_POINTS`], steps increasing and none past the run's. `None` otherwise
    /// (a history of another family, or a crafted one, is dropped, not trusted).
    pub fn points_for(&self, metrics: &[&str], step: u64) -> Option<Vec<(u64, Vec<f32>)>> {
        if self.metrics.len() != metrics.len()
            || self.metrics.iter().zip(metrics).any(|(a, b)| a != b)
            || self.points.len() > MAX_HISTORY_POINTS
        {
            return None;
        }
        let mut out = Vec::with_capacity(self.points.len());
        let mut last = 0u64;
        for (s, values) in &self.points {
            if values.len() != metrics.len() || *s > step || (*s < last) {
                return None;
            }
            last = *s;
            out.push((*s, values.iter().map(|v| v.unwrap_or(f32::NAN)).collect()));
        }
        Some(out)
    }
}

/// The metadata of the first format (GANs only), converted on reading.
#[derive(Deserialize)]
struct MetaV1 {
    format: String,
    version: u32,
    model: ModelV1,
    train: TrainV1,
    step: u64,
    d_updates: u64,
    g_updates: u64,
    opt_steps: (u64, u64),
    dataset: String,
    rng: Rng,
    has_optimizer: bool,
    written_by: String,
}

#[derive(Deserialize)]
struct ModelV1 {
    kind: String,
    latent_dim: usize,
}

#[derive(Deserialize)]
#[serde(default)]
struct TrainV1 {
    batch_size: usize,
    k: usize,
    g_loss: super::GeneratorLoss,
    opt_g: OptimizerConfig,
    opt_d: OptimizerConfig,
    seed: u64,
}

impl Default for TrainV1 {
    fn default() -> Self {
        Self {
            batch_size: 64,
            k: 1,
            g_loss: super::GeneratorLoss::NonSaturating,
            opt_g: OptimizerConfig::default(),
            opt_d: OptimizerConfig::default(),
            seed: 0,
        }
    }
}

impl MetaV1 {
    fn convert(self) -> CheckpointMeta {
        let config = serde_json::json!({
            "latent_dim": self.model.latent_dim,
            "k": self.train.k,
            "g_loss": self.train.g_loss,
        });
        CheckpointMeta {
            format: self.format,
            version: self.version,
            model: ModelSpec {
                family: self.model.kind,
                config,
            },
            train: TrainConfig {
                batch_size: self.train.batch_size,
                seed: self.train.seed,
                optimizers: BTreeMap::from([("g".into(), self.train.opt_g), ("d".into(), self.train.opt_d)]),
            },
            step: self.step,
            updates: BTreeMap::from([("g".into(), self.g_updates), ("d".into(), self.d_updates)]),
            opt_steps: BTreeMap::from([("g".into(), self.opt_steps.0), ("d".into(), self.opt_steps.1)]),
            dataset: self.dataset,
            data_source: String::new(),
            hold_out: 0,
            rng: self.rng,
            has_optimizer: self.has_optimizer,
            written_by: self.written_by,
            history: None,
        }
    }
}

/// How to store the tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOptions {
    /// Storage type of the weights (F32, or F16 for small shipped models).
    pub dtype: DType,
    /// Whether to include both optimizers' state (needed to resume training exactly).
    pub include_optimizer: bool,
    /// Images at the end of the data that were kept out of training (recorded, so a
    /// resumed run keeps the split).
    pub hold_out: usize,
}

impl Default for SaveOptions {
    fn default() -> Self {
        Self {
            dtype: DType::F32,
            include_optimizer: true,
            hold_out: 0,
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
    #[error("{path}: this checkpoint holds a {found} model, not a {expected}")]
    WrongModel {
        /// The file.
        path: PathBuf,
        /// The model in the file, in words ("vae (latent 2)").
        found: String,
        /// The family asked for.
        expected: String,
    },
    /// The model the file declares cannot be built (unknown family, absurd sizes).
    #[error("{path}: {message}")]
    BadModel {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
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
    save_with_history(trainer, path, options, None)
}

/// [`save`], keeping the charts' `history` in the metadata too.
pub fn save_with_history(
    trainer: &Trainer,
    path: &Path,
    options: SaveOptions,
    history: Option<ChartHistory>,
) -> Result<(), CheckpointError> {
    let candle = |source| CheckpointError::Candle {
        path: path.to_path_buf(),
        source,
    };
    let family = trainer.family();
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for (prefix, map) in trainer.model().networks() {
        for (name, var) in sorted_vars(map) {
            let t = var.as_tensor().to_dtype(options.dtype).map_err(candle)?;
            tensors.push((format!("{prefix}.{name}"), t));
        }
    }
    let groups = family.optimizer_groups();
    if options.include_optimizer {
        for (g, opt) in groups.iter().zip(trainer.optimizers()) {
            for (name, t) in opt.state_tensors() {
                tensors.push((format!("opt_{}.{name}", g.id), t));
            }
        }
    }
    let by_group = |f: &dyn Fn(usize) -> u64| -> BTreeMap<String, u64> {
        groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.to_string(), f(i)))
            .collect()
    };
    let meta = CheckpointMeta {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        model: trainer.spec(),
        train: trainer.config().clone(),
        step: trainer.step(),
        updates: by_group(&|i| trainer.updates()[i]),
        opt_steps: by_group(&|i| trainer.optimizers()[i].steps()),
        dataset: trainer.data().name(),
        data_source: trainer.data().images().map(|d| d.source.clone()).unwrap_or_default(),
        hold_out: options.hold_out,
        rng: trainer.rng().clone(),
        has_optimizer: options.include_optimizer,
        written_by: format!("latent-lab {}", env!("CARGO_PKG_VERSION")),
        history,
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

/// Removes the temporary files that interrupted saves of `file_name` in `dir` left behind:
/// only this program's own pattern (`.<file>.<pid>.tmp`), and only where no live process has
/// that pid (on Linux, no `/proc/<pid>`; elsewhere nothing is removed).
pub fn remove_stale_temps(dir: &Path, file_name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{file_name}.");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`
/// (removing what earlier interrupted saves of the same file left behind).
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
    remove_stale_temps(&dir, &file_name);
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
        let meta = parse_meta(meta_json).map_err(|e| not_ours(&format!("unreadable Latent Lab metadata: {e}")))?;
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

    /// Refuses another family than `expect`.
    fn check_family(&self, expect: Option<&str>) -> Result<(), CheckpointError> {
        match expect {
            Some(id) if id != self.meta.model.family => Err(CheckpointError::WrongModel {
                path: self.path.clone(),
                found: self.meta.model.to_string(),
                expected: id.to_string(),
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
        let model = &self.meta.model.family;
        let vars = sorted_vars(map);
        for (name, var) in &vars {
            let key = format!("{prefix}.{name}");
            let t = self
                .tensors
                .get(&key)
                .ok_or_else(|| self.tensor_err(&key, format!("missing (a {model} needs it)")))?;
            if t.dims() != var.dims() {
                return Err(self.tensor_err(
                    &key,
                    format!("shape {:?} in the file, but a {model} needs {:?}", t.dims(), var.dims()),
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
            return Err(self.tensor_err(extra, format!("not part of a {model} model")));
        }
        Ok(())
    }

    /// Builds the model this checkpoint holds, refusing another family than `expect`. The
    /// declared model is checked (known family, sizes within bounds) before anything is
    /// allocated for it.
    pub fn build_model(&self, expect: Option<&str>, device: &Device) -> Result<Box<dyn FamilyModel>, CheckpointError> {
        self.check_family(expect)?;
        let bad = |e: TrainError| CheckpointError::BadModel {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let family = self.meta.model.family().map_err(bad)?;
        let config = family.normalize(&self.meta.model.config).map_err(bad)?;
        let model = family.build(&config, device).map_err(bad)?;
        let known: Vec<&str> = model.networks().iter().map(|(n, _)| *n).collect();
        for (name, map) in model.networks() {
            self.fill(name, map, device)?;
        }
        if let Some(extra) = self
            .tensors
            .keys()
            .find(|k| !k.starts_with("opt_") && !known.iter().any(|n| k.starts_with(&format!("{n}."))))
        {
            return Err(self.tensor_err(extra, format!("not part of a {} model", self.meta.model.family)));
        }
        Ok(model)
    }

    /// Frozen copies of the model's seams (decoder, encoder, scorer), for exploring.
    pub fn seams(&self, expect: Option<&str>, device: &Device) -> Result<Seams, CheckpointError> {
        let model = self.build_model(expect, device)?;
        model.seams().map_err(|source| CheckpointError::Candle {
            path: self.path.clone(),
            source,
        })
    }

    /// A trainer that continues this run exactly: weights, optimizer state, counters, random stream.
    pub fn into_trainer(
        self,
        expect: Option<&str>,
        data: Arc<Dataset>,
        device: &Device,
    ) -> Result<Trainer, CheckpointError> {
        if !self.meta.has_optimizer {
            return Err(CheckpointError::NoOptimizerState {
                path: self.path.clone(),
            });
        }
        let model = self.build_model(expect, device)?;
        let train_err = |e: TrainError| CheckpointError::Train {
            path: self.path.clone(),
            source: Box::new(e),
        };
        let mut trainer = Trainer::from_parts(model, self.meta.train.clone(), data, self.meta.rng.clone(), device)
            .map_err(train_err)?;
        let groups = trainer.family().optimizer_groups();
        for (g, opt) in groups.iter().zip(trainer.optimizers_mut()) {
            let prefix = format!("opt_{}", g.id);
            let t = self.meta.opt_steps.get(g.id).copied().unwrap_or(0);
            opt.load_state(t, |name| {
                self.tensors
                    .get(&format!("{prefix}.{name}"))
                    .and_then(|x| x.to_device(device).ok())
            })
            .map_err(|e| self.tensor_err(&prefix, e.to_string()))?;
        }
        let updates: Vec<u64> = groups
            .iter()
            .map(|g| self.meta.updates.get(g.id).copied().unwrap_or(0))
            .collect();
        trainer.restore_progress(self.meta.step, &updates, self.meta.rng.clone());
        Ok(trainer)
    }

    /// Names of all tensors in the file, sorted.
    pub fn tensor_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.tensors.keys().cloned().collect();
        v.sort();
        v
    }
}

/// Reads checkpoint metadata of either format version.
fn parse_meta(json: &str) -> Result<CheckpointMeta, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    if value.get("version").and_then(serde_json::Value::as_u64) == Some(1) {
        Ok(serde_json::from_value::<MetaV1>(value)?.convert())
    } else {
        serde_json::from_value(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_is_used_only_where_it_fits_the_run() {
        let h = ChartHistory {
            metrics: vec!["d_loss".into(), "g_loss".into()],
            points: vec![(1, vec![Some(0.7), None]), (2, vec![Some(0.6), Some(1.2)])],
        };
        let keys = ["d_loss", "g_loss"];
        let pts = h.points_for(&keys, 2).expect("fits");
        assert_eq!(pts[1], (2, vec![0.6, 1.2]));
        assert!(pts[0].1[1].is_nan(), "missing values come back as NaN");
        // Another family's metrics, a run that is behind the history, a wrong number of
        // values, steps going back, or more points than allowed: dropped.
        assert!(h.points_for(&["loss"], 2).is_none());
        assert!(h.points_for(&keys, 1).is_none());
        let mut bad = h.clone();
        bad.points[1].1.push(Some(3.0));
        assert!(bad.points_for(&keys, 2).is_none());
        let mut back = h.clone();
        back.points.swap(0, 1);
        assert!(back.points_for(&keys, 2).is_none());
        let mut long = h.clone();
        long.points = (0..=MAX_HISTORY_POINTS as u64).map(|s| (s, vec![None, None])).collect();
        assert!(long.points_for(&keys, u64::MAX).is_none());
    }
}
