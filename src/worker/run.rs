//! The body of the `trainer` thread: a loop that takes commands, runs training
//! iterations at the chosen speed, and publishes what the UI shows.
//!
//! When paused it blocks on the command channel with a timeout (never a busy
//! spin); when capped it sleeps the same way until the next step is due. Every
//! call into the trainer goes through [`Worker::guarded`], which turns a panic or a
//! [`TrainError`] into an [`Event::Error`] and pauses training, keeping the run.

use crate::classroom::events::{GameEvent, Watch, WatchConfig, toy_spread};
use crate::family::{ITERATION, ModelSpec, StepOutput, VectorKind};
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use candle_core::Device;

use super::handle::{RepaintFn, Slots};
use super::{
    CODE_COUNT, CodeFrame, Command, DataInfo, DataSource, ErrorKind, Event, ModelFrame, QUALITY_COUNT, QualityPoint,
    RunOrigin, SAMPLE_COUNT, SampleGrid, Speed, StepId, StepPoint, ToyConfig, ToyUpdate, UpdateReport, VectorFrame,
    WorkerError, WorkerOptions, WorkerStatus,
};
use crate::data::{DataError, Dataset};
use crate::train::checkpoint::{self, ChartHistory, Checkpoint, SaveOptions};
use crate::train::{ToyGame, TrainConfig, TrainError, Trainer};

/// Longest the loop sleeps when idle (bounds how late it sees the stop flag or a finished load).
const IDLE_WAIT: Duration = Duration::from_millis(50);
/// Metrics are sent in batches at most this often (about 30 a second).
const FLUSH_EVERY: Duration = Duration::from_millis(33);
/// The steps/s figure and the running status are refreshed this often.
const RATE_EVERY: Duration = Duration::from_millis(500);
/// Shortest time between two sample grids while training.
const MIN_SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// Time between two snapshots of the model's seams while training.
const GENERATOR_EVERY: Duration = Duration::from_secs(2);
/// Shortest time between two quality figures while training (at least 20 times their cost).
const QUALITY_EVERY: Duration = Duration::from_secs(3);
/// Shortest time between two toy-game frames while training (a few a second).
const MIN_TOY_EVERY: Duration = Duration::from_millis(150);
/// Above this many unsent points (a UI that stopped draining), older points are thinned.
const MAX_PENDING_POINTS: usize = 200_000;

/// The toy game, while it is on.
struct Game {
    /// The toy GAN's run on the shared trainer, and what its view draws.
    game: ToyGame,
    run: u64,
    last: Option<ToyUpdate>,
    changed: bool,
    published_at: Option<Instant>,
    /// Watches the game for D winning, collapse and equilibrium.
    watch: Watch,
    /// The latest event of this game.
    event: Option<GameEvent>,
}

/// A dataset being loaded on a `data-loader` thread.
struct Loader {
    source: DataSource,
    rx: Receiver<Result<Dataset, DataError>>,
    /// Fall back to the embedded MNIST if this load fails (the start-up load).
    fallback: bool,
}

/// The state of the `trainer` thread.
pub(crate) struct Worker {
    opts: WorkerOptions,
    commands: Receiver<Command>,
    events: SyncSender<Event>,
    slots: Arc<Slots>,
    stop: Arc<AtomicBool>,
    repaint: RepaintFn,
    device: Device,
    device_name: String,

    trainer: Option<Trainer>,
    data: Option<Arc<Dataset>>,
    loader: Option<Loader>,
    run: u64,
    running: bool,
    speed: Speed,
    model: ModelSpec,
    train: TrainConfig,

    outbox: VecDeque<Event>,
    points: Vec<StepPoint>,
    /// The image run's chart points so far (thinned when long), kept in its saves.
    history: Vec<StepPoint>,
    last_flush: Instant,
    next_step_at: Instant,

    /// Per vector of the family: the recent batches (distributions) or the latest (per index).
    recent: Vec<VecDeque<Vec<f32>>>,
    sample_z: Arc<[f32]>,
    samples_key: Option<(u64, u64)>,
    last_sample_at: Option<Instant>,
    last_generator_at: Option<Instant>,
    sample_cost: Duration,
    /// The fixed z of the samples the digit judge scores.
    quality_z: Arc<[f32]>,
    quality_key: Option<(u64, u64)>,
    last_quality_at: Option<Instant>,
    quality_cost: Duration,

    autosave_at: Instant,
    saved_key: Option<(u64, u64)>,

    rate_at: Instant,
    rate_step: u64,
    steps_per_sec: f32,
    elapsed: Duration,
    /// Time the current toy game has run (kept apart from the image run's).
    toy_elapsed: Duration,
    running_since: Option<Instant>,

    toy: Option<Game>,
    toy_runs: u64,
    /// The image run's last good state (restored after a NaN).
    guard: Option<crate::train::guard::Guard>,
    /// Pause the toy game when it reaches a game event.
    pause_on_events: bool,
    /// The points of the drawn toy distribution.
    toy_drawn: Arc<[f32]>,
}

impl Worker {
    /// Prepares the worker; nothing runs until [`Worker::run`] on the new thread.
    pub(crate) fn new(
        opts: WorkerOptions,
        commands: Receiver<Command>,
        events: SyncSender<Event>,
        slots: Arc<Slots>,
        stop: Arc<AtomicBool>,
        repaint: RepaintFn,
    ) -> Self {
        let now = Instant::now();
        Self {
            speed: opts.speed,
            model: opts.model.clone(),
            train: opts.train.clone(),
            autosave_at: now + opts.autosave_every,
            opts,
            commands,
            events,
            slots,
            stop,
            repaint,
            device: Device::Cpu,
            device_name: String::new(),
            trainer: None,
            data: None,
            loader: None,
            run: 0,
            running: false,
            outbox: VecDeque::new(),
            points: Vec::new(),
            history: Vec::new(),
            last_flush: now,
            next_step_at: now,
            recent: Vec::new(),
            sample_z: Arc::from(Vec::new()),
            samples_key: None,
            last_sample_at: None,
            last_generator_at: None,
            sample_cost: Duration::ZERO,
            quality_z: Arc::from(Vec::new()),
            quality_key: None,
            last_quality_at: None,
            quality_cost: Duration::ZERO,
            saved_key: None,
            rate_at: now,
            rate_step: 0,
            steps_per_sec: 0.0,
            elapsed: Duration::ZERO,
            toy_elapsed: Duration::ZERO,
            running_since: None,
            toy: None,
            toy_runs: 0,
            guard: None,
            pause_on_events: false,
            toy_drawn: Arc::from(Vec::new()),
        }
    }

    /// The thread's body: runs until the stop flag is set or the handle is dropped.
    pub(crate) fn run(mut self) {
        self.start();
        'outer: while !self.stop.load(Ordering::Acquire) {
            match self.commands.recv_timeout(self.wait_time()) {
                Ok(cmd) => {
                    self.handle(cmd);
                    while !self.stop.load(Ordering::Acquire) {
                        match self.commands.try_recv() {
                            Ok(cmd) => self.handle(cmd),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => break 'outer,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.stop.load(Ordering::Acquire) {
                break;
            }
            self.poll_loader();
            if self.running && Instant::now() >= self.next_step_at {
                self.train_iteration();
            }
            if self.running {
                self.publish(false);
            }
            self.tick();
        }
        self.finish();
    }

    fn start(&mut self) {
        // The judge's reference figures take a moment: computed beside the training.
        crate::quality::Reference::warm();
        let (device, name) = super::default_device();
        self.device = device;
        self.device_name = name;
        if let Some(data) = self.opts.preloaded.take() {
            self.apply_data(data, None);
        } else {
            let source = self.opts.data.clone();
            let fallback = source != DataSource::Embedded;
            self.start_load(source, fallback);
        }
        if self.opts.start_running {
            self.set_running(true);
        }
        self.push_status();
        self.flush();
    }

    fn finish(&mut self) {
        self.set_running(false);
        if self.opts.autosave_path.is_some() {
            self.autosave();
        }
        self.flush();
    }

    /// How long to wait for a command before doing anything else.
    fn wait_time(&self) -> Duration {
        let now = Instant::now();
        let mut wait = IDLE_WAIT;
        if self.running && (self.trainer.is_some() || self.toy.is_some()) {
            wait = wait.min(self.next_step_at.saturating_duration_since(now));
        }
        if !self.points.is_empty() || !self.outbox.is_empty() {
            wait = wait.min(FLUSH_EVERY.saturating_sub(now.saturating_duration_since(self.last_flush)));
        }
        wait
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::SetRunning(on) => {
                if !(on && self.refuse_toy_without_data()) {
                    self.set_running(on);
                }
            }
            Command::Step(kind) => self.single_step(kind),
            Command::Reset { model, train } => self.reset(model, train),
            Command::SetTrainConfig(config) => self.set_train_config(config),
            Command::SetModelConfig(config) => self.set_model_config(config),
            Command::SetSpeed(speed) => {
                self.speed = speed;
                self.next_step_at = Instant::now();
                self.push_status();
            }
            Command::LoadData(source) => self.start_load(source, false),
            Command::SetData(data) => self.apply_data(data, None),
            Command::SaveCheckpoint(path) => {
                self.save(&path, false);
            }
            Command::LoadCheckpoint(path) => self.load_checkpoint(path),
            Command::ToyStart(config) => self.toy_start(config),
            Command::ToySetConfig(config) => self.toy_set_config(config),
            Command::SetPauseOnEvents(on) => self.pause_on_events = on,
            Command::ToySetDrawn(points) => {
                self.toy_drawn = points.clone();
                if let Some(toy) = self.toy.as_mut() {
                    let result = toy.game.set_drawn(points);
                    toy.changed = true;
                    if let Err(e) = result {
                        self.fail(ErrorKind::Data, format!("cannot use the drawn points: {e}"));
                    }
                }
                // Every point cleared: nothing left to learn from.
                if self.toy.as_ref().is_some_and(|toy| !toy.game.has_data()) {
                    self.set_running(false);
                }
                self.publish_toy(true);
            }
            Command::ToyLeave => {
                self.set_running(false);
                self.toy = None;
                self.push_status();
            }
            Command::InjectPanic => {
                let _ = self.guarded("the training step", |_| -> Result<(), TrainError> {
                    panic!("injected fault (a test of the recovery path)")
                });
            }
        }
    }

    // ---- running and stepping -------------------------------------------------------------

    fn set_running(&mut self, on: bool) {
        if on == self.running {
            return;
        }
        let now = Instant::now();
        self.running = on;
        if on {
            self.running_since = Some(now);
            self.next_step_at = now;
            self.rate_at = now;
            self.rate_step = self.step();
        } else {
            if let Some(since) = self.running_since.take() {
                self.add_elapsed(now - since);
            }
            self.steps_per_sec = 0.0;
            self.publish(true);
        }
        self.push_status();
    }

    /// Counts running time to the run that ran: the toy game's or the image run's.
    fn add_elapsed(&mut self, d: Duration) {
        match self.active() {
            Target::Toy => self.toy_elapsed += d,
            Target::Images => self.elapsed += d,
        }
    }

    fn step(&self) -> u64 {
        if let Some(toy) = &self.toy {
            return toy.game.step();
        }
        self.trainer.as_ref().map_or(0, Trainer::step)
    }

    /// The run that steps now: the toy game while it is on, else the image run.
    fn active(&self) -> Target {
        if self.toy.is_some() {
            Target::Toy
        } else {
            Target::Images
        }
    }

    /// The trainer of `target`, if it exists.
    fn trainer_of(&mut self, target: Target) -> Option<&mut Trainer> {
        match target {
            Target::Images => self.trainer.as_mut(),
            Target::Toy => self.toy.as_mut().map(|toy| toy.game.trainer_mut()),
        }
    }

    /// One iteration of the active run's family step, recorded for its views, at the chosen speed.
    fn train_iteration(&mut self) {
        let started = Instant::now();
        let target = self.active();
        let Some(out) = self.guarded_on(target, "the training step", Trainer::iteration) else {
            if target == Target::Images {
                self.recover_last_good();
            }
            return;
        };
        if target == Target::Images {
            self.watch_health(&out);
        }
        self.next_step_at = match self.speed.interval() {
            Some(interval) => started + interval,
            None => started,
        };
        self.record(target, ITERATION, out);
    }

    /// Pauses, performs exactly one step of kind `kind` of the active run, and publishes the result.
    fn single_step(&mut self, kind: StepId) {
        self.set_running(false);
        if self.refuse_toy_without_data() {
            return;
        }
        let target = self.active();
        let Some(family) = self.trainer_of(target).map(|t| t.family()) else {
            self.fail(ErrorKind::Training, "no data loaded yet: nothing to train".into());
            return;
        };
        match family.step_kind(kind) {
            None => self.fail(
                ErrorKind::Config,
                format!("the {family} has no step '{kind}'", family = family.label()),
            ),
            Some((_, def)) if def.iteration => self.train_iteration(),
            Some((_, def)) => {
                let what = def.label.to_string();
                if let Some(out) = self.guarded_on(target, &what, |t| t.step_kind(kind)) {
                    self.record(target, def.id, out);
                }
            }
        }
        self.publish(true);
        self.push_status();
        self.flush();
    }

    /// Every few dozen iterations of the image run: copies its state while healthy, and warns
    /// once when its losses or weights run away.
    fn watch_health(&mut self, out: &StepOutput) {
        let (Some(t), Some(guard)) = (self.trainer.as_ref(), self.guard.as_mut()) else {
            return;
        };
        match guard.after_step(t, out) {
            Ok(Some(r)) => {
                let good = guard.last_good_step().unwrap_or(0);
                let step = t.step();
                self.fail(
                    ErrorKind::Training,
                    format!(
                        "step {step}: {r}: the run is running away (try a lower learning rate); training paused, the last good state is step {good}"
                    ),
                );
            }
            Ok(None) => {}
            Err(e) => self.fail(ErrorKind::Training, format!("cannot keep the last good state: {e}")),
        }
    }

    /// After a failed step: if the run has been running away, puts its last good state back
    /// (and says so), so that what is saved next is not the diverged weights.
    fn recover_last_good(&mut self) {
        let (Some(t), Some(guard)) = (self.trainer.as_mut(), self.guard.as_ref()) else {
            return;
        };
        let Ok(Some(_)) = crate::train::guard::check(t, None) else {
            return; // healthy weights: the failed update was not applied, nothing to undo
        };
        match guard.recover(t) {
            Ok(Some(step)) => {
                self.samples_key = None;
                self.outbox.push_back(Event::Error(WorkerError {
                    kind: ErrorKind::Training,
                    message: format!("the weights had run away: restored the last good state, step {step}"),
                }));
                self.publish_samples(true);
            }
            Ok(None) => {}
            Err(e) => self.fail(ErrorKind::Training, format!("cannot restore the last good state: {e}")),
        }
        self.push_status();
    }

    /// Keeps what a step of kind `kind` reported: for the image run, chart points (an
    /// iteration) or an update report (a lone update) and the vectors; for the toy game, the
    /// update its caption explains and the event watch.
    fn record(&mut self, target: Target, kind: StepId, out: StepOutput) {
        match target {
            Target::Toy => {
                let Some(toy) = self.toy.as_ref() else {
                    return;
                };
                if let Some(update) = ToyUpdate::from_output(kind, toy.game.config().k, &out) {
                    self.toy_record(update);
                }
            }
            Target::Images => {
                let StepOutput { values, vectors } = out;
                self.record_vectors(vectors);
                if kind == ITERATION {
                    let point = StepPoint {
                        step: self.step(),
                        values,
                    };
                    self.history.push(point.clone());
                    if self.history.len() > HISTORY_CAP {
                        thin_older_half(&mut self.history);
                    }
                    self.points.push(point);
                } else {
                    self.outbox.push_back(Event::Update(UpdateReport {
                        run: self.run,
                        kind,
                        values,
                    }));
                }
            }
        }
    }

    /// Publishes what the active run's view shows (unless nothing changed or it is not due).
    fn publish(&mut self, force: bool) {
        match self.active() {
            Target::Toy => self.publish_toy(force),
            Target::Images => {
                self.publish_samples(force);
                self.publish_quality(force);
            }
        }
    }

    fn set_train_config(&mut self, config: TrainConfig) {
        let Some(t) = self.trainer.as_mut() else {
            match self.model.family().and_then(|f| config.validate(f)) {
                Ok(()) => self.train = config,
                Err(e) => self.fail(ErrorKind::Config, e.to_string()),
            }
            self.push_status();
            return;
        };
        // The seed made the weights: changing it needs a reset, not a new config.
        match t.set_config(config) {
            Ok(()) => self.train = t.config().clone(),
            Err(e) => self.fail(ErrorKind::Config, format!("hyperparameters refused: {e}")),
        }
        self.push_status();
    }

    fn set_model_config(&mut self, config: serde_json::Value) {
        let Some(t) = self.trainer.as_mut() else {
            self.model.config = config;
            self.push_status();
            return;
        };
        match t.set_model_config(&config) {
            Ok(()) => self.model = t.spec(),
            Err(e) => self.fail(ErrorKind::Config, format!("model settings refused: {e}")),
        }
        self.push_status();
    }

    // ---- runs ---------------------------------------------------------------------------------

    fn reset(&mut self, model: ModelSpec, train: TrainConfig) {
        let Some(data) = self.data.clone() else {
            self.model = model;
            self.train = train;
            self.push_status();
            return;
        };
        let device = self.device.clone();
        match catch("building the model", || {
            Trainer::new(&model, train, data, &device).map_err(|e| e.to_string())
        }) {
            Ok(t) => self.install(t, RunOrigin::Fresh, None),
            Err(message) => self.fail(ErrorKind::Config, format!("cannot reset: {message}")),
        }
    }

    fn load_checkpoint(&mut self, path: PathBuf) {
        let Some(data) = self.data.clone() else {
            self.fail(
                ErrorKind::Checkpoint,
                format!("{path}: no data loaded yet to train on", path = path.display()),
            );
            return;
        };
        let device = self.device.clone();
        let result = catch("loading the checkpoint", || {
            open_run(&path, data, &device).map_err(|e| e.to_string())
        });
        match result {
            Ok((t, history)) => {
                self.set_running(false);
                self.install(t, RunOrigin::Loaded(path), history);
            }
            Err(message) => self.fail(ErrorKind::Checkpoint, format!("cannot open checkpoint: {message}")),
        }
    }

    /// The first trainer, once data is there: the autosaved run if asked for, else a fresh one.
    fn build_first_trainer(&mut self) {
        let Some(data) = self.data.clone() else {
            return;
        };
        let device = self.device.clone();
        if let Some(path) = self.opts.restore_from.take() {
            let d = data.clone();
            let result = catch("restoring the last run", || {
                open_run(&path, d, &device).map_err(|e| e.to_string())
            });
            match result {
                Ok((t, history)) => {
                    self.install(t, RunOrigin::Restored(path), history);
                    self.saved_key = Some(self.progress_key());
                    return;
                }
                Err(message) => self.fail(
                    ErrorKind::Checkpoint,
                    format!("could not restore the last run ({message}); starting a fresh one"),
                ),
            }
        }
        let (model, train) = (self.model.clone(), self.train.clone());
        match catch("building the model", || {
            Trainer::new(&model, train, data, &device).map_err(|e| e.to_string())
        }) {
            Ok(t) => self.install(t, RunOrigin::Fresh, None),
            Err(message) => self.fail(ErrorKind::Config, format!("cannot build the model: {message}")),
        }
    }

    /// Makes `t` the current run and tells the UI, with the charts' `history` it was saved
    /// with where that fits the run.
    fn install(&mut self, t: Trainer, origin: RunOrigin, history: Option<ChartHistory>) {
        self.stage_points();
        let keys: Vec<&str> = t.family().metrics().iter().map(|m| m.key).collect();
        self.history = history
            .and_then(|h| h.points_for(&keys, t.step()))
            .unwrap_or_default()
            .into_iter()
            .map(|(step, values)| StepPoint { step, values })
            .collect();
        self.model = t.spec();
        self.train = t.config().clone();
        let step = t.step();
        let latent_dim = t.model().latent_dim().unwrap_or(0);
        let conditioning = t.family().conditioning();
        self.recent = vec![VecDeque::new(); t.family().vectors().len()];
        self.guard = crate::train::guard::Guard::new(&t, 50).ok();
        self.trainer = Some(t);
        self.run += 1;
        self.sample_z = crate::latent::sample_grid_z(conditioning, latent_dim, self.train.seed).into();
        self.samples_key = None;
        self.quality_z = conditioning
            .draw_balanced(
                &mut crate::rng::Rng::derive(self.train.seed, "quality"),
                QUALITY_COUNT,
                latent_dim,
            )
            .into();
        self.quality_key = None;
        self.last_quality_at = None;
        self.elapsed = Duration::ZERO;
        if self.running {
            self.running_since = Some(Instant::now());
        }
        self.rate_step = step;
        self.outbox.push_back(Event::RunStarted {
            run: self.run,
            step,
            model: self.model.clone(),
            train: self.train.clone(),
            origin,
            history: self.history.clone(),
        });
        self.last_generator_at = None;
        self.publish_samples(true);
        self.publish_quality(true);
        self.publish_initial_d_outputs();
        self.push_status();
        self.flush();
    }

    // ---- data ---------------------------------------------------------------------------------

    fn start_load(&mut self, source: DataSource, fallback: bool) {
        let (tx, rx) = mpsc::channel();
        let src = source.clone();
        let spawned = std::thread::Builder::new().name("data-loader".into()).spawn(move || {
            let result = match &src {
                DataSource::Embedded => crate::data::embedded_mnist(),
                DataSource::Folder(dir) => crate::data::load_folder(dir),
            }
            .and_then(|d| d.check_model_input().map(|()| d));
            let _ = tx.send(result);
        });
        match spawned {
            Ok(_) => self.loader = Some(Loader { source, rx, fallback }),
            Err(e) => self.fail(ErrorKind::Data, format!("cannot start loading {source}: {e}")),
        }
        self.push_status();
    }

    fn poll_loader(&mut self) {
        let Some(loader) = &self.loader else {
            return;
        };
        let result = match loader.rx.try_recv() {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                Err(format!("{source}: loading failed unexpectedly", source = loader.source))
            }
        };
        let Some(loader) = self.loader.take() else {
            return;
        };
        match result {
            Ok(data) => self.apply_data(Arc::new(data), Some(loader.source)),
            Err(message) => {
                let message = if self.data.is_some() {
                    format!("cannot load data: {message}; the previous dataset stays loaded")
                } else {
                    format!("cannot load data: {message}")
                };
                self.fail(ErrorKind::Data, message);
                if loader.fallback && self.data.is_none() {
                    self.start_load(DataSource::Embedded, false);
                }
                self.push_status();
            }
        }
    }

    fn apply_data(&mut self, data: Arc<Dataset>, source: Option<DataSource>) {
        if let Err(e) = data.check_model_input() {
            self.fail(ErrorKind::Data, format!("cannot use data: {e}"));
            return;
        }
        if let Some(t) = self.trainer.as_mut()
            && let Err(e) = t.set_data(data.clone())
        {
            self.fail(ErrorKind::Data, format!("cannot use data: {e}"));
            return;
        }
        self.outbox
            .push_back(Event::DataLoaded(Arc::new(DataInfo::from_dataset(&data, source))));
        self.data = Some(data);
        if self.trainer.is_none() {
            self.build_first_trainer();
        } else {
            self.publish_initial_d_outputs();
        }
        self.push_status();
        self.flush();
    }

    // ---- checkpoints --------------------------------------------------------------------------

    /// What changes when the run moves: (run, updates of all groups).
    fn progress_key(&self) -> (u64, u64) {
        (self.run, self.trainer.as_ref().map_or(0, Trainer::total_updates))
    }

    fn save(&mut self, path: &Path, autosave: bool) -> bool {
        let Some(t) = &self.trainer else {
            if !autosave {
                self.fail(
                    ErrorKind::Checkpoint,
                    format!("{path}: nothing to save yet", path = path.display()),
                );
            }
            return false;
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            self.fail(
                ErrorKind::Checkpoint,
                format!("{path}: cannot create the folder: {e}", path = dir.display()),
            );
            return false;
        }
        let history = ChartHistory {
            metrics: t.family().metrics().iter().map(|m| m.key.to_string()).collect(),
            points: self
                .history
                .iter()
                .map(|p| (p.step, p.values.iter().map(|v| v.is_finite().then_some(*v)).collect()))
                .collect(),
        };
        match checkpoint::save_with_history(t, path, SaveOptions::default(), Some(history)) {
            Ok(()) => {
                if autosave {
                    self.saved_key = Some(self.progress_key());
                }
                self.outbox.push_back(Event::Saved {
                    path: path.to_path_buf(),
                    autosave,
                });
                true
            }
            Err(e) => {
                self.fail(ErrorKind::Checkpoint, format!("cannot save checkpoint: {e}"));
                false
            }
        }
    }

    /// Saves to the autosave path if the run moved since the last save.
    fn autosave(&mut self) {
        let Some(path) = self.opts.autosave_path.clone() else {
            return;
        };
        let key = self.progress_key();
        if self.trainer.is_none() || self.saved_key == Some(key) || key.1 == 0 {
            return;
        }
        self.save(&path, true);
    }

    // ---- publishing ---------------------------------------------------------------------------

    /// Keeps a step's vectors: distributions over the recent batches, per-index vectors latest.
    fn record_vectors(&mut self, vectors: Vec<Vec<f32>>) {
        let Some(t) = &self.trainer else {
            return;
        };
        let keep = self.opts.d_output_batches.max(1);
        let defs = t.family().vectors();
        self.recent.resize_with(defs.len(), VecDeque::new);
        for ((recent, def), v) in self.recent.iter_mut().zip(defs).zip(vectors) {
            if v.is_empty() {
                continue;
            }
            let keep = match def.kind {
                VectorKind::Distribution => keep,
                VectorKind::PerIndex => 1,
            };
            recent.push_back(v);
            while recent.len() > keep {
                recent.pop_front();
            }
        }
        self.slots.vectors.put(VectorFrame {
            run: self.run,
            step: self.step(),
            vectors: self
                .recent
                .iter()
                .map(|r| r.iter().flatten().copied().collect())
                .collect(),
        });
    }

    /// The vectors before any update of this run, where the family can say them (a GAN: D's
    /// verdicts on the preview of real digits and on the samples).
    fn publish_initial_d_outputs(&mut self) {
        let (Some(data), false) = (&self.data, self.sample_z.is_empty()) else {
            return;
        };
        let n = data.len().min(SAMPLE_COUNT);
        let real_px: Vec<u8> = (0..n)
            .flat_map(|i| data.image(i * data.len() / n.max(1)).to_vec())
            .collect();
        let z = self.sample_z.clone();
        let Some(vectors) = self.guarded("scoring the first samples", |t| {
            let device = t.device().clone();
            let real = crate::family::images_from_u8(&real_px, &device)?;
            let l = t.model().latent_dim().unwrap_or(1).max(1);
            let zt = candle_core::Tensor::from_slice(&z, (z.len() / l, l), &device)?;
            Ok(t.model().probe(&real, &zt).transpose()?)
        }) else {
            return;
        };
        let Some(vectors) = vectors else {
            return;
        };
        self.slots.vectors.put(VectorFrame {
            run: self.run,
            step: self.step(),
            vectors,
        });
        (self.repaint)();
    }

    /// Decodes the fixed z into a sample grid (and now and then copies the generator),
    /// at most every [`MIN_SAMPLE_EVERY`] (or ten times the decode time) unless `force`d.
    fn publish_samples(&mut self, force: bool) {
        let Some(t) = &self.trainer else {
            return;
        };
        let key = (self.run, t.total_updates());
        if self.samples_key == Some(key) {
            return;
        }
        let now = Instant::now();
        if !force
            && let Some(last) = self.last_sample_at
            && now.saturating_duration_since(last) < MIN_SAMPLE_EVERY.max(self.sample_cost * 10)
        {
            return;
        }
        let z = self.sample_z.clone();
        let Some(pixels) = self.guarded("decoding the samples", |t| match t.generate_u8(&z)? {
            Some(px) => Ok(Some(px)),
            None => t.showcase_u8(),
        }) else {
            return;
        };
        self.sample_cost = now.elapsed();
        let (step, updates) = self.trainer.as_ref().map_or((0, 0), |t| (t.step(), t.total_updates()));
        if let Some(pixels) = pixels {
            self.slots.samples.put(SampleGrid {
                run: self.run,
                step,
                updates,
                pixels,
                z: self.sample_z.clone(),
            });
        }
        self.samples_key = Some(key);
        self.last_sample_at = Some(now);
        let generator_due = self
            .last_generator_at
            .is_none_or(|last| now.saturating_duration_since(last) >= GENERATOR_EVERY);
        if (force || generator_due)
            && let Some(seams) = self.guarded("copying the networks", |t| t.seams())
        {
            if let Some(encoder) = seams.encoder.clone() {
                self.publish_codes(encoder.as_ref(), seams.decoder.as_deref(), step);
            }
            self.slots.model.put(ModelFrame {
                run: self.run,
                step,
                spec: self.model.clone(),
                seams,
            });
            self.last_generator_at = Some(now);
        }
        (self.repaint)();
    }

    /// Scores [`QUALITY_COUNT`] samples from fixed z with the digit judge, at most every
    /// [`QUALITY_EVERY`] (or twenty times its cost) unless `force`d, and only when the run
    /// moved. Nothing for a model without a decoder, or before the judge's reference is ready.
    fn publish_quality(&mut self, force: bool) {
        let Some(t) = &self.trainer else {
            return;
        };
        let key = (self.run, t.total_updates());
        if self.quality_key == Some(key) || self.quality_z.is_empty() {
            return;
        }
        let now = Instant::now();
        if !force
            && let Some(last) = self.last_quality_at
            && now.saturating_duration_since(last) < QUALITY_EVERY.max(self.quality_cost * 20)
        {
            return;
        }
        let (Some(reference), Ok(judge)) = (crate::quality::Reference::ready(), crate::quality::Judge::shipped())
        else {
            return;
        };
        let z = self.quality_z.clone();
        let Some(pixels) = self.guarded("decoding the samples for the judge", |t| t.generate_u8(&z)) else {
            return;
        };
        self.quality_key = Some(key);
        let Some(pixels) = pixels else {
            return;
        };
        match judge.judge_u8(&pixels) {
            Ok(v) => {
                let (c, l) = match &self.trainer {
                    Some(t) => (t.family().conditioning(), t.model().latent_dim().unwrap_or(0)),
                    None => (crate::family::Conditioning::NONE, 0),
                };
                let asked = c.classes_of(&z, l);
                let quality = if c.learned {
                    crate::quality::Quality::of_codes(&v, reference, &asked)
                } else {
                    crate::quality::Quality::of_requested(&v, reference, &asked)
                };
                self.outbox.push_back(Event::Quality(QualityPoint {
                    run: self.run,
                    step: self.step(),
                    quality,
                }));
            }
            Err(e) => self.fail(ErrorKind::Training, format!("the digit judge failed: {e}")),
        }
        self.quality_cost = now.elapsed();
        self.last_quality_at = Some(now);
    }

    /// Encodes [`CODE_COUNT`] evenly spaced digits of the data (the latent scatter) and
    /// reconstructs the preview's digits, with frozen copies of the encoder and decoder.
    fn publish_codes(
        &mut self,
        encoder: &dyn crate::family::Encoder,
        decoder: Option<&dyn crate::family::Decoder>,
        step: u64,
    ) {
        let Some(data) = self.data.clone() else {
            return;
        };
        let n = data.len().min(CODE_COUNT);
        let idx: Vec<usize> = (0..n).map(|i| i * data.len() / n.max(1)).collect();
        let preview: Vec<usize> = {
            let m = data.len().min(crate::worker::PREVIEW_COUNT);
            (0..m).map(|i| i * data.len() / m.max(1)).collect()
        };
        let result = catch("encoding real digits", || {
            let run = || -> candle_core::Result<(Vec<f32>, usize, Vec<u8>)> {
                let z = encoder.encode(&data.batch_tensor(&idx, &self.device)?)?;
                let latent_dim = z.dim(1)?;
                let z = z.flatten_all()?.to_vec1::<f32>()?;
                let recon = match decoder {
                    Some(d) => {
                        let codes = encoder.encode(&data.batch_tensor(&preview, &self.device)?)?;
                        crate::nets::images_to_u8(&d.decode(&codes)?)?
                    }
                    None => Vec::new(),
                };
                Ok((z, latent_dim, recon))
            };
            run().map_err(|e| e.to_string())
        });
        match result {
            Ok((z, latent_dim, reconstructions)) => {
                let labels = data
                    .labels
                    .as_ref()
                    .map(|l| idx.iter().map(|&i| l[i]).collect())
                    .unwrap_or_default();
                let pixels: Vec<u8> = idx.iter().flat_map(|&i| data.image(i).to_vec()).collect();
                self.slots.codes.put(CodeFrame {
                    run: self.run,
                    step,
                    latent_dim,
                    z,
                    labels,
                    pixels: pixels.into(),
                    reconstructions,
                });
            }
            Err(message) => self.fail(ErrorKind::Training, format!("cannot encode real digits: {message}")),
        }
    }

    fn status(&self) -> WorkerStatus {
        let updates = self.trainer.as_ref().map_or_else(Vec::new, |t| {
            t.family()
                .optimizer_groups()
                .iter()
                .zip(t.updates())
                .map(|(g, &n)| (g.id, n))
                .collect()
        });
        let running_for = self.running_since.map_or(Duration::ZERO, |s| s.elapsed());
        WorkerStatus {
            run: self.run,
            running: self.running,
            ready: self.trainer.is_some(),
            step: self.step(),
            updates,
            steps_per_sec: self.steps_per_sec,
            elapsed: running_for
                + match self.active() {
                    Target::Toy => self.toy_elapsed,
                    Target::Images => self.elapsed,
                },
            game: self.toy.as_ref().map(|t| t.game.config().dist),
            model: self.model.clone(),
            train: self.train.clone(),
            speed: self.speed,
            device: self.device_name.clone(),
            dataset: self.data.as_ref().map(|d| d.name.clone()),
            loading: self.loader.as_ref().map(|l| l.source.clone()),
        }
    }

    /// Queues a status event, replacing any not yet sent.
    fn push_status(&mut self) {
        self.outbox.retain(|e| !matches!(e, Event::Status(_)));
        self.outbox.push_back(Event::Status(self.status()));
    }

    /// Moves the pending metrics into the outbox, merging with a queued batch of the same run.
    fn stage_points(&mut self) {
        if self.points.is_empty() {
            return;
        }
        let points = std::mem::take(&mut self.points);
        if let Some(Event::Metrics { run, points: queued }) = self.outbox.back_mut()
            && *run == self.run
        {
            queued.extend(points);
            if queued.len() > MAX_PENDING_POINTS {
                thin_older_half(queued);
            }
            return;
        }
        self.outbox.push_back(Event::Metrics { run: self.run, points });
    }

    /// Sends what the outbox holds until the channel is full, then wakes the UI.
    fn flush(&mut self) {
        self.stage_points();
        self.last_flush = Instant::now();
        let mut sent = false;
        while let Some(event) = self.outbox.pop_front() {
            match self.events.try_send(event) {
                Ok(()) => sent = true,
                Err(TrySendError::Full(event)) => {
                    self.outbox.push_front(event);
                    break;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.outbox.clear();
                    break;
                }
            }
        }
        if sent {
            (self.repaint)();
        }
    }

    /// Periodic work: the steps/s figure, autosave, sending batched events.
    fn tick(&mut self) {
        let now = Instant::now();
        if now.saturating_duration_since(self.rate_at) >= RATE_EVERY {
            let step = self.step();
            if self.running {
                let dt = now.saturating_duration_since(self.rate_at).as_secs_f32();
                self.steps_per_sec = step.saturating_sub(self.rate_step) as f32 / dt.max(1e-3);
                self.push_status();
            }
            self.rate_at = now;
            self.rate_step = step;
        }
        if self.opts.autosave_path.is_some() && now >= self.autosave_at {
            self.autosave_at = now + self.opts.autosave_every;
            self.autosave();
        }
        let metrics_due = !self.points.is_empty() && now.saturating_duration_since(self.last_flush) >= FLUSH_EVERY;
        if metrics_due || !self.outbox.is_empty() {
            self.flush();
        }
    }

    // ---- failures -----------------------------------------------------------------------------

    /// Runs `f` on the image run's trainer, turning a panic or an error into an
    /// [`Event::Error`] (which pauses training). `None` without a trainer or on failure.
    fn guarded<T>(&mut self, what: &str, f: impl FnOnce(&mut Trainer) -> Result<T, TrainError>) -> Option<T> {
        self.guarded_on(Target::Images, what, f)
    }

    /// [`Worker::guarded`] on the trainer of `target`.
    fn guarded_on<T>(
        &mut self,
        target: Target,
        what: &str,
        f: impl FnOnce(&mut Trainer) -> Result<T, TrainError>,
    ) -> Option<T> {
        let trainer = self.trainer_of(target)?;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(trainer)));
        self.report(what, result)
    }

    /// Turns a failed or panicked call into an [`Event::Error`] (pausing training).
    fn report<T>(&mut self, what: &str, result: std::thread::Result<Result<T, TrainError>>) -> Option<T> {
        match result {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                let kind = match e {
                    TrainError::Config(_) => ErrorKind::Config,
                    TrainError::Data(_) => ErrorKind::Data,
                    _ => ErrorKind::Training,
                };
                self.fail(kind, format!("{what} failed: {e}; training paused"));
                None
            }
            Err(payload) => {
                self.fail(
                    ErrorKind::Panic,
                    format!(
                        "{what} crashed ({panic}); training paused, the run and its data are kept",
                        panic = panic_message(payload.as_ref())
                    ),
                );
                None
            }
        }
    }

    /// Reports a failure; training and panics also pause training.
    fn fail(&mut self, kind: ErrorKind, message: String) {
        if matches!(kind, ErrorKind::Training | ErrorKind::Panic) && self.running {
            self.running = false;
            if let Some(since) = self.running_since.take() {
                self.add_elapsed(since.elapsed());
            }
            self.steps_per_sec = 0.0;
        }
        self.outbox.push_back(Event::Error(WorkerError { kind, message }));
        self.push_status();
    }
}

// ---- the toy game ----------------------------------------------------------------------------

impl Worker {
    /// Starts a fresh toy game, paused, and publishes its first frame.
    fn toy_start(&mut self, config: ToyConfig) {
        self.set_running(false);
        let device = self.device.clone();
        let drawn = self.toy_drawn.clone();
        match catch("building the toy game", || {
            let mut game = ToyGame::new(config, &device).map_err(|e| e.to_string())?;
            game.set_drawn(drawn).map_err(|e| e.to_string())?;
            Ok(game)
        }) {
            Ok(game) => {
                self.toy_runs += 1;
                self.toy_elapsed = Duration::ZERO;
                self.toy = Some(Game {
                    game,
                    run: self.toy_runs,
                    // Toy D's never get far ahead (the data is simple), so "D told them
                    // apart once" needs a smaller gap than on images.
                    watch: Watch::new(WatchConfig {
                        separated_gap: 0.1,
                        ..WatchConfig::default()
                    })
                    .with_g_loss(config.g_loss),
                    event: None,
                    last: None,
                    changed: true,
                    published_at: None,
                });
                self.publish_toy(true);
            }
            Err(message) => self.fail(ErrorKind::Config, format!("cannot start the toy game: {message}")),
        }
        self.push_status();
    }

    fn toy_set_config(&mut self, config: ToyConfig) {
        let Some(toy) = self.toy.as_mut() else {
            return;
        };
        match toy.game.set_config(config) {
            Ok(()) => toy.watch.g_loss = Some(config.g_loss),
            Err(e) => self.fail(ErrorKind::Config, format!("toy hyperparameters refused: {e}")),
        }
    }

    /// In the toy game on drawn data with no point drawn yet: says so and returns `true`
    /// (nothing is trained: the game would learn the placeholder at the origin).
    fn refuse_toy_without_data(&mut self) -> bool {
        if self.toy.as_ref().is_none_or(|toy| toy.game.has_data()) {
            return false;
        }
        self.fail(
            ErrorKind::Config,
            "no points drawn yet: click in the plot to add data points, then play".into(),
        );
        true
    }

    fn toy_record(&mut self, update: ToyUpdate) {
        let Some(toy) = self.toy.as_mut() else {
            return;
        };
        toy.last = Some(update);
        toy.changed = true;
        // Each D update's means (measured before it) feed the event watch, so that its
        // conditions, and the banners, follow lone D steps too.
        if let ToyUpdate::Iteration { d, .. } | ToyUpdate::Discriminator(d) = update
            && let Some(event) = toy.watch.observe_step(toy.game.step(), d.real_before, d.fake_before)
        {
            self.toy_event(event);
        }
    }

    /// A game event in the toy game: kept for the frames, and a pause if asked for.
    fn toy_event(&mut self, event: GameEvent) {
        if let Some(toy) = self.toy.as_mut() {
            toy.event = Some(event);
            toy.changed = true;
        }
        if self.pause_on_events && self.running {
            self.set_running(false);
        }
    }

    /// Computes and publishes a frame if something changed (at most a few a second unless `force`).
    fn publish_toy(&mut self, force: bool) {
        let Some(toy) = &self.toy else {
            return;
        };
        let due = toy.published_at.is_none_or(|at| at.elapsed() >= MIN_TOY_EVERY);
        if !toy.changed || !(force || due) {
            return;
        }
        let (run, last) = (toy.run, toy.last);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| toy.game.frame(run, last)));
        let Some(mut frame) = self.report("drawing the toy game", result) else {
            return;
        };
        let spread = toy_spread(frame.dist, &frame.fake, &frame.real);
        let collapse = self
            .toy
            .as_mut()
            .and_then(|toy| toy.watch.observe_spread(frame.step, &spread));
        if let Some(event) = collapse {
            self.toy_event(event);
        }
        if let Some(toy) = self.toy.as_mut() {
            toy.changed = false;
            toy.published_at = Some(Instant::now());
            // The banner stays only while its condition holds.
            toy.event = toy.event.filter(|e| toy.watch.holds(e));
            frame.event = toy.event;
        }
        self.slots.toy.put(frame);
        (self.repaint)();
    }
}

/// Which run a call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The image run (any family on images).
    Images,
    /// The toy game (the toy GAN on points).
    Toy,
}

/// Runs `f`, turning a panic into an error message.
fn catch<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(format!(
            "{what} crashed ({panic})",
            panic = panic_message(payload.as_ref())
        )),
    }
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// The most chart points the worker keeps for saves (older ones are thinned).
const HISTORY_CAP: usize = 4000;

/// Reads a checkpoint into a trainer on `data`, with the charts' history it holds.
fn open_run(
    path: &Path,
    data: Arc<Dataset>,
    device: &Device,
) -> Result<(Trainer, Option<ChartHistory>), crate::train::CheckpointError> {
    let c = Checkpoint::load(path)?;
    let history = c.meta.history.clone();
    Ok((c.into_trainer(None, data, device)?, history))
}

/// Drops every other point of the older half (for a UI that stopped draining).
fn thin_older_half(points: &mut Vec<StepPoint>) {
    let half = points.len() / 2;
    let mut i = 0;
    points.retain(|_| {
        let keep = i >= half || i % 2 == 0;
        i += 1;
        keep
    });
}
