//! The training thread behind the window: it owns the [`Trainer`](crate::train::Trainer)
//! of whichever model family runs, takes typed [`Command`]s from the UI and answers with
//! typed [`Event`]s. Nothing here knows a family: metrics travel as the values the family
//! declares ([`StepPoint`]), step kinds by their ids, vectors (D's verdicts, the KL of
//! each latent dimension) as a [`VectorFrame`].
//!
//! Light messages (step metrics in batches, state, errors) travel over bounded
//! channels; heavy payloads (sample grids, vector frames, model snapshots)
//! go through latest-wins [`Slot`]s the UI takes from. After sending, the worker
//! calls a repaint callback (the UI sets it to `ctx.request_repaint()`), so nothing
//! here depends on egui. The UI never waits for the worker: it sends with
//! [`WorkerHandle::send`] (which never blocks) and drains with [`WorkerHandle::try_recv`].
//!
//! The same thread also plays the toy game ([`Command::ToyStart`]): a
//! [`ToyGame`](crate::train::ToyGame), the toy GAN family on 1-D/2-D points stepped by the
//! same code as the image run (one trainer, one guard), whose [`ToyFrame`]s
//! (densities, D's curve or heat map, gradient arrows) go through a latest-wins
//! slot, a few per second at full speed and after every single step.
//!
//! Panics and errors inside the trainer become [`Event::Error`]: training pauses,
//! the weights and the data are kept, and the thread stays up. Dropping the
//! [`WorkerHandle`] sets the stop flag and joins the thread.

mod device;
mod handle;
mod run;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::family::{ModelSpec, Seams};
use crate::train::TrainConfig;
pub use crate::train::toy::{ToyConfig, ToyDReport, ToyFrame, ToyGReport, ToyUpdate};

pub use device::{
    DEVICE_ENV, DeviceChoice, choose_device, compute_pool, configure_trainer_threads, default_device, device,
    device_label, foreground_pool, keep_candle_ops_on_the_calling_thread, lower_this_threads_priority,
    share_candle_ops_across, trainer_threads,
};
pub use handle::{Payloads, RepaintFn, SendError, Slot, WorkerHandle};

/// How many fixed latent vectors the sample grid decodes (an 8×8 grid).
pub const SAMPLE_COUNT: usize = 64;
/// Samples the digit judge scores for the live quality chart.
pub const QUALITY_COUNT: usize = crate::quality::LIVE_COUNT;

/// The digit judge's figures for [`QUALITY_COUNT`] samples of the run at `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityPoint {
    /// The run.
    pub run: u64,
    /// The iteration they were decoded at.
    pub step: u64,
    /// The figures.
    pub quality: crate::quality::Quality,
}
/// How many real images the data preview carries (an 8×8 grid).
pub const PREVIEW_COUNT: usize = 64;

/// Where a dataset comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DataSource {
    /// The MNIST digits built into the program.
    #[default]
    Embedded,
    /// A folder of IDX files (raw or `.gz`) or of images.
    Folder(PathBuf),
}

impl std::fmt::Display for DataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataSource::Embedded => f.write_str("embedded MNIST"),
            DataSource::Folder(p) => write!(f, "{}", p.display()),
        }
    }
}

/// How fast training runs: a cap in steps per second, or full speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Speed {
    /// Run as fast as the machine allows (the cap is ignored).
    pub full_speed: bool,
    /// Iterations per second when not at full speed (slow motion goes down to 0.2).
    pub steps_per_sec: f32,
}

impl Default for Speed {
    fn default() -> Self {
        Self {
            full_speed: true,
            steps_per_sec: 5.0,
        }
    }
}

impl Speed {
    /// Slowest rate allowed, in steps per second.
    pub const MIN_STEPS_PER_SEC: f32 = 0.2;
    /// Fastest capped rate, in steps per second.
    pub const MAX_STEPS_PER_SEC: f32 = 200.0;

    /// Time between two iterations, or `None` at full speed.
    pub fn interval(&self) -> Option<Duration> {
        if self.full_speed {
            None
        } else {
            let sps = if self.steps_per_sec.is_finite() {
                self.steps_per_sec
                    .clamp(Self::MIN_STEPS_PER_SEC, Self::MAX_STEPS_PER_SEC)
            } else {
                Self::MIN_STEPS_PER_SEC
            };
            Some(Duration::from_secs_f32(1.0 / sps))
        }
    }
}

/// A step kind by its id: one of the running family's [`crate::family::StepKindDef`]s
/// ("d", "g", [`crate::family::ITERATION`]); the toy game takes the GAN's three.
pub type StepId = &'static str;

/// What the UI asks of the worker.
#[derive(Debug, Clone)]
pub enum Command {
    /// Start (`true`) or pause (`false`) continuous training.
    SetRunning(bool),
    /// Pause, then perform exactly one step of the given kind.
    Step(StepId),
    /// Discard the run and start afresh with this model and these hyperparameters
    /// (on the current data). The running state is kept.
    Reset {
        /// The family and its config.
        model: ModelSpec,
        /// The hyperparameters (its seed fixes weights, batches and the sample z).
        train: TrainConfig,
    },
    /// New hyperparameters from the next step on, keeping the weights.
    SetTrainConfig(TrainConfig),
    /// New settings of the family (k, the loss, β, …) from the next step on, keeping the weights.
    SetModelConfig(serde_json::Value),
    /// New speed cap.
    SetSpeed(Speed),
    /// Load a dataset in the background; training continues on the old data meanwhile,
    /// and keeps it if loading fails.
    LoadData(DataSource),
    /// Train on an already loaded dataset.
    SetData(Arc<Dataset>),
    /// Write a checkpoint of the whole run (atomically).
    SaveCheckpoint(PathBuf),
    /// Replace the run with the one in a checkpoint (paused).
    LoadCheckpoint(PathBuf),
    /// Panics inside the trainer's guard, to exercise the recovery path (tests, debug panel).
    InjectPanic,
    /// Starts a fresh toy game (paused) on 1-D or 2-D toy data. From then on
    /// [`Command::SetRunning`], [`Command::Step`] and [`Command::SetSpeed`] drive the
    /// toy game and the worker publishes [`ToyFrame`]s; the image run is kept, untouched.
    ToyStart(ToyConfig),
    /// New toy hyperparameters (k, loss, learning rates) from the next step on, keeping the weights.
    ToySetConfig(ToyConfig),
    /// Leaves the toy game (paused): Play and the step buttons drive the image run again.
    ToyLeave,
    /// Pause the toy game when it reaches a game event (D wins, collapse, equilibrium;
    /// see [`crate::classroom::events`]). The window watches the image run itself.
    SetPauseOnEvents(bool),
    /// The points of the drawn 2-D toy distribution (flat `x, y` pairs), kept for
    /// later games too.
    ToySetDrawn(Arc<[f32]>),
}

/// The scalars of one iteration, for the charts: one value per metric the running family
/// declares ([`crate::family::Family::metrics`]), NaN where not measured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StepPoint {
    /// Iterations completed, this one included.
    pub step: u64,
    /// One value per metric of the family, in its order.
    pub values: Vec<f32>,
}

/// The report of a lone step that is not a full iteration (a GAN's D step or G step).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateReport {
    /// The run it belongs to.
    pub run: u64,
    /// The step kind.
    pub kind: StepId,
    /// One value per metric of the family (NaN where the step did not measure it).
    pub values: Vec<f32>,
}

/// A snapshot of the worker's state.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerStatus {
    /// Which run (increases on every reset or checkpoint load).
    pub run: u64,
    /// Whether continuous training is on.
    pub running: bool,
    /// Whether a trainer exists (false until the first dataset has loaded).
    pub ready: bool,
    /// Iterations completed.
    pub step: u64,
    /// Updates applied by each optimizer group of the family: `(group id, updates)`.
    pub updates: Vec<(&'static str, u64)>,
    /// Measured training rate over the last half second (0 when paused).
    pub steps_per_sec: f32,
    /// Time spent training in this run (paused time excluded).
    pub elapsed: Duration,
    /// The family and config being trained.
    pub model: ModelSpec,
    /// The hyperparameters in force.
    pub train: TrainConfig,
    /// The speed cap.
    pub speed: Speed,
    /// Where the tensors live, in words ("CPU (1 thread)", "CUDA 0", "Metal").
    pub device: String,
    /// Name of the dataset trained on, if any.
    pub dataset: Option<String>,
    /// The data source being loaded in the background, if any.
    pub loading: Option<DataSource>,
    /// The toy game's data while the game is on (then `step`, `steps_per_sec` and `elapsed`
    /// are the game's, not the image run's).
    pub game: Option<crate::data::toy::ToyDistribution>,
}

impl WorkerStatus {
    /// Updates applied by optimizer group `group` ("d", "g", "ae"), 0 if the family has none.
    pub fn updates_of(&self, group: &str) -> u64 {
        self.updates.iter().find(|(g, _)| *g == group).map_or(0, |(_, n)| *n)
    }
}

/// A summary of a dataset for the data panel: name, counts and a preview.
#[derive(Debug, Clone, PartialEq)]
pub struct DataInfo {
    /// Human-readable name.
    pub name: String,
    /// Where it came from ("embedded" or a path).
    pub source: String,
    /// The source as the UI can reopen it.
    pub data_source: Option<DataSource>,
    /// Number of images.
    pub count: usize,
    /// Images per class (empty without labels).
    pub class_counts: Vec<usize>,
    /// Class names (empty means "0", "1", ...).
    pub class_names: Vec<String>,
    /// Up to [`PREVIEW_COUNT`] 28×28 images, 784 bytes each, one after the other.
    pub preview: Vec<u8>,
}

impl DataInfo {
    /// Summarises `data` (the preview takes evenly spaced images).
    pub fn from_dataset(data: &Dataset, data_source: Option<DataSource>) -> Self {
        let n = data.len();
        let take = n.min(PREVIEW_COUNT);
        let mut preview = Vec::with_capacity(take * data.width * data.height);
        for i in 0..take {
            preview.extend_from_slice(data.image(i * n / take.max(1)));
        }
        Self {
            name: data.name.clone(),
            source: data.source.clone(),
            data_source,
            count: n,
            class_counts: data.class_counts(),
            class_names: data.class_names.clone(),
            preview,
        }
    }

    /// Number of preview images.
    pub fn preview_count(&self) -> usize {
        self.preview.len() / (28 * 28)
    }
}

/// How a run began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOrigin {
    /// Fresh weights from the seed.
    Fresh,
    /// The autosave of a previous session.
    Restored(PathBuf),
    /// A checkpoint the user opened.
    Loaded(PathBuf),
}

/// Decoded samples from the fixed set of latent vectors (heavy: latest wins).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleGrid {
    /// The run.
    pub run: u64,
    /// Iterations completed when decoded.
    pub step: u64,
    /// Updates applied (all groups) when decoded.
    pub updates: u64,
    /// [`SAMPLE_COUNT`] 28×28 images, 784 bytes each.
    pub pixels: Vec<u8>,
    /// The latent vectors they were decoded from (`latent_dim` each, flat).
    pub z: Arc<[f32]>,
}

/// The vectors of the family's steps (heavy: latest wins): for each
/// [`crate::family::VectorDef`], the samples of the recent batches (a distribution, e.g. D's
/// verdicts) or the latest values (per index, e.g. the KL of each latent dimension).
#[derive(Debug, Clone, PartialEq)]
pub struct VectorFrame {
    /// The run.
    pub run: u64,
    /// Iterations completed.
    pub step: u64,
    /// One per vector of the family, in its order (empty where not measured yet).
    pub vectors: Vec<Vec<f32>>,
}

/// What a model with an encoder makes of real digits (heavy: latest wins): the codes of
/// [`CODE_COUNT`] digits of the data (the latent scatter) and the reconstructions of the
/// data preview's digits.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeFrame {
    /// The run.
    pub run: u64,
    /// Iterations completed when encoded.
    pub step: u64,
    /// Size of z.
    pub latent_dim: usize,
    /// The codes, `latent_dim` each (the mean, for a VAE).
    pub z: Vec<f32>,
    /// The digits' labels (empty for unlabelled data).
    pub labels: Vec<u8>,
    /// The digits themselves, 784 bytes each (shown on hover).
    pub pixels: Arc<[u8]>,
    /// The preview's digits through the encoder and the decoder, 784 bytes each.
    pub reconstructions: Vec<u8>,
}

/// How many real digits the latent scatter encodes.
pub const CODE_COUNT: usize = 1000;

/// Frozen copies of the live model's seams for the latent tools (heavy: latest wins).
#[derive(Clone)]
pub struct ModelFrame {
    /// The run.
    pub run: u64,
    /// Iterations completed when copied.
    pub step: u64,
    /// The family and its config.
    pub spec: ModelSpec,
    /// Decoder, encoder and scorer, where the family has them.
    pub seams: Seams,
}

impl std::fmt::Debug for ModelFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFrame")
            .field("run", &self.run)
            .field("step", &self.step)
            .field("spec", &self.spec)
            .field("seams", &self.seams)
            .finish()
    }
}

/// What kind of failure an [`Event::Error`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A training step failed (e.g. a loss became NaN); training paused.
    Training,
    /// The trainer panicked; training paused, the thread stays up.
    Panic,
    /// A dataset could not be loaded or used; the previous one stays.
    Data,
    /// A checkpoint could not be read or written.
    Checkpoint,
    /// Hyperparameters were refused.
    Config,
}

/// A failure the UI shows in its banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerError {
    /// What failed.
    pub kind: ErrorKind,
    /// What happened, naming the file where there is one.
    pub message: String,
}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum Event {
    /// The worker's state changed (sent on every change and twice a second while training).
    Status(WorkerStatus),
    /// A new run began; charts and timelines of older runs should be cleared.
    RunStarted {
        /// The new run's number.
        run: u64,
        /// Its iteration counter (non-zero when restored).
        step: u64,
        /// Its family and config.
        model: ModelSpec,
        /// Its hyperparameters.
        train: TrainConfig,
        /// Where it came from.
        origin: RunOrigin,
        /// The charts' points it was saved with (empty for a fresh run, or a checkpoint that
        /// kept none, such as the command line's).
        history: Vec<StepPoint>,
    },
    /// Scalars of completed iterations, oldest first.
    Metrics {
        /// The run they belong to.
        run: u64,
        /// One point per iteration.
        points: Vec<StepPoint>,
    },
    /// A lone step that is not a full iteration was applied.
    Update(UpdateReport),
    /// The digit judge's figures for the samples of an image model (every few seconds while
    /// training, and when it pauses).
    Quality(QualityPoint),
    /// The trainer now uses this dataset.
    DataLoaded(Arc<DataInfo>),
    /// A checkpoint was written.
    Saved {
        /// The file.
        path: PathBuf,
        /// Whether it was an automatic save.
        autosave: bool,
    },
    /// Something failed; see [`WorkerError`].
    Error(WorkerError),
}

/// How to start the worker.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Family and config of a fresh run.
    pub model: ModelSpec,
    /// Hyperparameters of a fresh run.
    pub train: TrainConfig,
    /// Initial speed.
    pub speed: Speed,
    /// The dataset to load first (ignored when `preloaded` is given).
    pub data: DataSource,
    /// An already loaded dataset to start on (tests, the CLI).
    pub preloaded: Option<Arc<Dataset>>,
    /// A checkpoint to resume from (paused); a fresh run if it cannot be read.
    pub restore_from: Option<PathBuf>,
    /// Where to autosave (every `autosave_every`, and when the thread ends); `None` disables it.
    pub autosave_path: Option<PathBuf>,
    /// Time between autosaves.
    pub autosave_every: Duration,
    /// Start training at once (the window starts paused).
    pub start_running: bool,
    /// How many recent batches a distribution vector (D's verdicts) covers.
    pub d_output_batches: usize,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            model: ModelSpec::default(),
            train: TrainConfig::default(),
            speed: Speed::default(),
            data: DataSource::Embedded,
            preloaded: None,
            restore_from: None,
            autosave_path: None,
            autosave_every: Duration::from_secs(180),
            start_running: false,
            d_output_batches: 8,
        }
    }
}
