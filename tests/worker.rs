//! Integration tests: the training thread — commands reach it, events come back,
//! the stop flag and dropping the handle end it promptly, and failures inside the
//! trainer (a panic, a NaN loss, bad data, a bad checkpoint) arrive as error events
//! while the thread stays up.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use latent_lab::data::Dataset;
use latent_lab::family::{ITERATION, ModelSpec};
use latent_lab::train::{OptimizerConfig, OptimizerKind, TrainConfig};
use latent_lab::worker::{
    Command, DataSource, ErrorKind, Event, RunOrigin, SAMPLE_COUNT, Speed, StepPoint, WorkerHandle, WorkerOptions,
    WorkerStatus,
};

/// A small synthetic dataset of 28×28 "strokes" (fast to train on; no file needed).
pub fn tiny_data() -> Arc<Dataset> {
    let n = 64;
    let mut pixels = vec![0u8; n * 28 * 28];
    for i in 0..n {
        let img = &mut pixels[i * 784..(i + 1) * 784];
        let col = 6 + (i * 7) % 16;
        for y in 4..24 {
            for dx in 0..3 {
                img[y * 28 + col + dx] = 255;
            }
        }
        let row = 6 + (i * 5) % 16;
        for x in 6..22 {
            img[row * 28 + x] = 200;
        }
    }
    Arc::new(Dataset {
        name: "tiny strokes".into(),
        source: "synthetic".into(),
        width: 28,
        height: 28,
        pixels,
        labels: None,
        class_names: Vec::new(),
    })
}

/// Small, fast hyperparameters (with the MLP GAN's optimizers for G and D).
pub fn tiny_train() -> TrainConfig {
    TrainConfig {
        batch_size: 8,
        ..TrainConfig::for_family(latent_lab::family::find("mlp-gan").expect("the MLP GAN is registered"))
    }
}

/// A small MLP GAN.
pub fn tiny_model() -> ModelSpec {
    ModelSpec::of("mlp-gan")
        .expect("the MLP GAN is registered")
        .with_latent_dim(8)
}

/// Worker options for a test: tiny data and model, no autosave.
pub fn tiny_options() -> WorkerOptions {
    WorkerOptions {
        model: tiny_model(),
        train: tiny_train(),
        preloaded: Some(tiny_data()),
        ..WorkerOptions::default()
    }
}

/// A folder with a corrupt IDX image file (a label file's magic number and garbage).
pub fn corrupt_idx_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = vec![0u8, 0, 8, 1, 0, 0, 0, 10];
    bytes.extend_from_slice(b"definitely not ten labels");
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), bytes).expect("write");
    dir
}

/// Drains a worker's events and remembers what matters to the tests.
struct Probe {
    handle: WorkerHandle,
    status: Option<WorkerStatus>,
    events: Vec<Event>,
    samples: usize,
    d_outputs: usize,
    generators: usize,
}

impl Probe {
    fn spawn(options: WorkerOptions) -> Self {
        Self {
            handle: WorkerHandle::spawn(options, Box::new(|| {})).expect("spawn"),
            status: None,
            events: Vec::new(),
            samples: 0,
            d_outputs: 0,
            generators: 0,
        }
    }

    fn pump(&mut self) {
        while let Some(e) = self.handle.try_recv() {
            if let Event::Status(s) = &e {
                self.status = Some(s.clone());
            }
            self.events.push(e);
        }
        if let Some(g) = self.handle.take_samples() {
            assert_eq!(g.pixels.len(), SAMPLE_COUNT * 784);
            self.samples += 1;
        }
        if let Some(v) = self.handle.take_vectors() {
            // A GAN's vectors: D's verdicts on recent real images, then on recent fakes.
            assert_eq!(v.vectors.len(), 2, "D(x) and D(G(z))");
            assert!(v.vectors.iter().flatten().all(|p| (0.0..=1.0).contains(p)));
            self.d_outputs += 1;
        }
        if let Some(m) = self.handle.take_model() {
            assert!(
                m.seams.decoder.is_some() && m.seams.scorer.is_some(),
                "a GAN's frame has its generator and its discriminator"
            );
            self.generators += 1;
        }
    }

    /// Pumps until `cond` holds; false after `timeout`.
    fn wait(&mut self, timeout: Duration, mut cond: impl FnMut(&Probe) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if cond(self) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn step(&self) -> u64 {
        self.status.as_ref().map_or(0, |s| s.step)
    }

    fn send(&self, cmd: Command) {
        self.handle.send(cmd).expect("command sent");
    }

    fn errors(&self) -> Vec<(ErrorKind, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Error(e) => Some((e.kind, e.message.clone())),
                _ => None,
            })
            .collect()
    }

    fn ready(&mut self) {
        assert!(
            self.wait(Duration::from_secs(30), |p| p.status.as_ref().is_some_and(|s| s.ready)),
            "the worker never became ready: {:?}",
            self.errors()
        );
    }
}

const LONG: Duration = Duration::from_secs(30);

#[test]
fn starts_paused_with_samples_and_verdicts_then_trains_on_play() {
    let mut p = Probe::spawn(tiny_options());
    p.ready();
    let s = p.status.clone().expect("status");
    assert!(!s.running, "the window starts paused");
    assert_eq!(s.step, 0);
    assert!(s.device.starts_with("CPU") || s.device.starts_with("CUDA") || s.device.starts_with("Metal"));
    assert!(
        p.wait(LONG, |p| p.samples > 0 && p.d_outputs > 0),
        "no first samples or verdicts"
    );
    assert!(p.events.iter().any(|e| matches!(
        e,
        Event::RunStarted {
            origin: RunOrigin::Fresh,
            ..
        }
    )));
    assert!(
        p.events
            .iter()
            .any(|e| matches!(e, Event::DataLoaded(info) if info.count == 64))
    );

    p.send(Command::SetRunning(true));
    assert!(p.wait(LONG, |p| p.step() >= 5), "training did not advance");
    let points: usize = p
        .events
        .iter()
        .map(|e| match e {
            Event::Metrics { points, .. } => points.len(),
            _ => 0,
        })
        .sum();
    assert!(points >= 1, "no metrics arrived");
    p.send(Command::SetRunning(false));
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| !s.running)));
    let stopped_at = p.step();
    std::thread::sleep(Duration::from_millis(300));
    p.pump();
    assert_eq!(p.step(), stopped_at, "pause stops training");
    assert!(p.generators > 0, "a generator snapshot was published");
}

#[test]
fn single_steps_do_exactly_one_update() {
    let mut p = Probe::spawn(tiny_options());
    p.ready();
    p.send(Command::Step(ITERATION));
    assert!(p.wait(LONG, |p| p.step() == 1));
    let s = p.status.clone().expect("status");
    assert_eq!((s.step, s.updates_of("d"), s.updates_of("g")), (1, 1, 1));

    p.send(Command::Step("d"));
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| s.updates_of("d") == 2)));
    let s = p.status.clone().expect("status");
    assert_eq!((s.step, s.updates_of("g")), (1, 1), "a D step is not an iteration");

    p.send(Command::Step("g"));
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| s.updates_of("g") == 2)));
    assert_eq!(p.step(), 1);
    assert_eq!(
        p.events.iter().filter(|e| matches!(e, Event::Update(_))).count(),
        2,
        "one report per lone update"
    );

    // k = 3: one iteration is three D updates and one G update.
    let mut k3 = tiny_model().config;
    k3["k"] = serde_json::json!(3);
    p.send(Command::SetModelConfig(k3));
    p.send(Command::Step(ITERATION));
    assert!(p.wait(LONG, |p| p.step() == 2));
    let s = p.status.clone().expect("status");
    assert_eq!((s.updates_of("d"), s.updates_of("g")), (5, 3));
}

#[test]
fn new_hyperparameters_reach_the_trainer() {
    let mut p = Probe::spawn(tiny_options());
    p.ready();
    let train = TrainConfig {
        optimizers: BTreeMap::from([
            (
                "g".to_string(),
                OptimizerConfig {
                    lr: 1e-3,
                    ..OptimizerConfig::default()
                },
            ),
            (
                "d".to_string(),
                OptimizerConfig {
                    kind: OptimizerKind::Sgd,
                    lr: 0.01,
                    ..OptimizerConfig::default()
                },
            ),
        ]),
        batch_size: 16,
        seed: 99, // the seed needs a reset: the worker keeps the run's seed
    };
    p.send(Command::SetTrainConfig(train));
    assert!(p.wait(LONG, |p| {
        p.status.as_ref().is_some_and(|s| s.train.optimizer("g").lr == 1e-3)
    }));
    let s = p.status.clone().expect("status");
    assert_eq!(s.train.optimizer("d").kind, OptimizerKind::Sgd);
    assert_eq!(s.train.batch_size, 16);
    assert_eq!(s.train.seed, 0);

    // A bad value (k = 0, a setting of the GAN's own) is refused with an error event; the old one stays.
    let mut k0 = tiny_model().config;
    k0["k"] = serde_json::json!(0);
    p.send(Command::SetModelConfig(k0));
    assert!(p.wait(LONG, |p| p.errors().iter().any(|(k, _)| *k == ErrorKind::Config)));
    assert_eq!(p.status.as_ref().and_then(|s| s.model.config["k"].as_u64()), Some(1));

    // A reset with another model starts a new run.
    p.send(Command::Reset {
        model: ModelSpec::of("mlp-gan")
            .expect("the MLP GAN is registered")
            .with_latent_dim(2),
        train: TrainConfig {
            seed: 7,
            ..tiny_train()
        },
    });
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| s.run == 2)));
    let s = p.status.clone().expect("status");
    assert_eq!((s.model.latent_dim(), s.train.seed, s.step), (Some(2), 7, 0));
}

#[test]
fn stop_flag_ends_the_thread_within_a_second() {
    let mut p = Probe::spawn(WorkerOptions {
        start_running: true,
        ..tiny_options()
    });
    assert!(p.wait(LONG, |p| p.step() >= 2), "training did not start");
    let t = Instant::now();
    p.handle.request_stop();
    while !p.handle.is_finished() {
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "the thread is still running after 1 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn stop_flag_ends_a_paused_or_slow_thread_within_a_second() {
    let p = Probe::spawn(WorkerOptions {
        start_running: true,
        speed: Speed {
            full_speed: false,
            steps_per_sec: Speed::MIN_STEPS_PER_SEC,
        },
        ..tiny_options()
    });
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    p.handle.request_stop();
    while !p.handle.is_finished() {
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "the thread is still running after 1 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn dropping_the_handle_joins_the_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let handle = WorkerHandle::spawn(
        WorkerOptions {
            start_running: true,
            ..tiny_options()
        },
        Box::new(move || {
            c.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .expect("spawn");
    let deadline = Instant::now() + LONG;
    while calls.load(Ordering::Relaxed) < 5 {
        assert!(Instant::now() < deadline, "the worker never woke the UI");
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = Instant::now();
    drop(handle);
    assert!(t.elapsed() < Duration::from_secs(1), "drop took {:?}", t.elapsed());
    // The thread owned the other reference to `calls` (in its repaint callback): it is gone.
    assert_eq!(Arc::strong_count(&calls), 1, "the thread outlived its handle");
}

#[test]
fn a_panic_in_the_trainer_is_an_error_event_and_the_thread_stays_up() {
    let mut p = Probe::spawn(WorkerOptions {
        start_running: true,
        ..tiny_options()
    });
    assert!(p.wait(LONG, |p| p.step() >= 2));
    p.send(Command::InjectPanic);
    assert!(
        p.wait(LONG, |p| p.errors().iter().any(|(k, _)| *k == ErrorKind::Panic)),
        "no panic error event"
    );
    assert!(
        p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| !s.running)),
        "training paused"
    );
    let (_, message) = p
        .errors()
        .into_iter()
        .find(|(k, _)| *k == ErrorKind::Panic)
        .expect("panic");
    assert!(message.contains("injected fault"), "{message}");
    let s = p.status.clone().expect("status");
    assert_eq!(s.dataset.as_deref(), Some("tiny strokes"), "the data is kept");
    // The thread is alive and trains on.
    let at = p.step();
    p.send(Command::SetRunning(true));
    assert!(
        p.wait(LONG, |p| p.step() >= at + 3),
        "training did not resume after the panic"
    );
}

#[test]
fn a_nan_loss_is_an_error_event_and_training_pauses() {
    let wild = OptimizerConfig {
        kind: OptimizerKind::Sgd,
        lr: 1e30,
        momentum: 0.0,
        ..OptimizerConfig::default()
    };
    let mut p = Probe::spawn(WorkerOptions {
        start_running: true,
        train: TrainConfig {
            optimizers: BTreeMap::from([("g".to_string(), wild), ("d".to_string(), wild)]),
            ..tiny_train()
        },
        ..tiny_options()
    });
    assert!(
        p.wait(LONG, |p| p.errors().iter().any(|(k, _)| *k == ErrorKind::Training)),
        "no training error with lr 1e30: {:?}",
        p.status
    );
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| !s.running)));
    let (_, message) = p
        .errors()
        .into_iter()
        .find(|(k, _)| *k == ErrorKind::Training)
        .expect("error");
    assert!(message.contains("loss"), "{message}");
}

#[test]
fn corrupt_data_is_an_error_and_training_continues_on_the_old_data() {
    let dir = corrupt_idx_folder();
    let mut p = Probe::spawn(WorkerOptions {
        start_running: true,
        ..tiny_options()
    });
    assert!(p.wait(LONG, |p| p.step() >= 2));
    p.send(Command::LoadData(DataSource::Folder(dir.path().to_path_buf())));
    assert!(
        p.wait(LONG, |p| p.errors().iter().any(|(k, _)| *k == ErrorKind::Data)),
        "no data error"
    );
    let (_, message) = p
        .errors()
        .into_iter()
        .find(|(k, _)| *k == ErrorKind::Data)
        .expect("error");
    assert!(
        message.contains("train-images-idx3-ubyte"),
        "the message names the file: {message}"
    );
    let at = p.step();
    assert!(p.wait(LONG, |p| p.step() >= at + 3), "training stopped");
    let s = p.status.clone().expect("status");
    assert!(s.running);
    assert_eq!(s.dataset.as_deref(), Some("tiny strokes"));
}

#[test]
fn checkpoints_save_load_and_autosave_restores_paused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let autosave = dir.path().join("nested").join("autosave.safetensors");
    let mut p = Probe::spawn(WorkerOptions {
        autosave_path: Some(autosave.clone()),
        ..tiny_options()
    });
    p.ready();
    for _ in 0..3 {
        p.send(Command::Step(ITERATION));
    }
    assert!(p.wait(LONG, |p| p.step() == 3));

    // An explicit save, then a corrupt file refused with an error naming it.
    let manual = dir.path().join("manual.safetensors");
    p.send(Command::SaveCheckpoint(manual.clone()));
    assert!(p.wait(LONG, |p| {
        p.events
            .iter()
            .any(|e| matches!(e, Event::Saved { autosave: false, .. }))
    }));
    assert!(manual.is_file());
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"garbage").expect("write");
    p.send(Command::LoadCheckpoint(bad));
    assert!(p.wait(LONG, |p| {
        p.errors()
            .iter()
            .any(|(k, m)| *k == ErrorKind::Checkpoint && m.contains("bad.safetensors"))
    }));
    assert_eq!(p.step(), 3, "the run is kept");
    let sent: Vec<StepPoint> = p
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Metrics { points, .. } => Some(points.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sent.iter().map(|p| p.step).collect::<Vec<_>>(), [1, 2, 3]);

    // Exit autosaves.
    drop(p);
    assert!(autosave.is_file(), "no autosave on exit");

    // A new worker restores it, paused, at the same step.
    let mut q = Probe::spawn(WorkerOptions {
        restore_from: Some(autosave.clone()),
        start_running: false,
        ..tiny_options()
    });
    q.ready();
    assert!(q.events.iter().any(|e| matches!(
        e,
        Event::RunStarted {
            origin: RunOrigin::Restored(_),
            step: 3,
            ..
        }
    )));
    let s = q.status.clone().expect("status");
    assert_eq!((s.step, s.running), (3, false));
    // The charts' history comes back with it: the same points the first worker charted
    // (NaN where a metric was not measured).
    let history = q
        .events
        .iter()
        .find_map(|e| match e {
            Event::RunStarted { history, .. } => Some(history.clone()),
            _ => None,
        })
        .expect("run started");
    let same = |a: &StepPoint, b: &StepPoint| {
        a.step == b.step
            && a.values.len() == b.values.len()
            && a.values
                .iter()
                .zip(&b.values)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    };
    assert!(
        history.len() == sent.len() && history.iter().zip(&sent).all(|(a, b)| same(a, b)),
        "{history:?} vs {sent:?}"
    );

    // Loading the manual checkpoint into a running worker pauses it at that step.
    q.send(Command::SetRunning(true));
    assert!(q.wait(LONG, |q| q.step() >= 5));
    q.send(Command::LoadCheckpoint(manual));
    assert!(q.wait(LONG, |q| {
        q.status
            .as_ref()
            .is_some_and(|s| s.run == 2 && s.step == 3 && !s.running)
    }));
}

#[test]
fn a_missing_restore_file_starts_fresh_with_an_error() {
    let mut p = Probe::spawn(WorkerOptions {
        restore_from: Some(Path::new("/nonexistent/latent-lab/autosave.safetensors").to_path_buf()),
        ..tiny_options()
    });
    p.ready();
    assert!(p.errors().iter().any(|(k, _)| *k == ErrorKind::Checkpoint));
    assert!(p.events.iter().any(|e| matches!(
        e,
        Event::RunStarted {
            origin: RunOrigin::Fresh,
            ..
        }
    )));
}

#[test]
fn the_speed_cap_limits_steps_per_second() {
    let mut p = Probe::spawn(WorkerOptions {
        start_running: true,
        speed: Speed {
            full_speed: false,
            steps_per_sec: 5.0,
        },
        ..tiny_options()
    });
    assert!(p.wait(LONG, |p| p.step() >= 1));
    let (at, t) = (p.step(), Instant::now());
    std::thread::sleep(Duration::from_millis(1200));
    p.pump();
    let rate = (p.step() - at) as f32 / t.elapsed().as_secs_f32();
    assert!(rate <= 6.5, "capped at 5 steps/s but ran {rate:.1}");
    // How close to the cap it gets depends on how busy the machine is; it must keep going.
    assert!(p.wait(LONG, |p| p.step() > at), "training stopped under the cap");
}

#[test]
fn the_judge_scores_the_samples_while_training_and_when_it_pauses() {
    let mut p = Probe::spawn(tiny_options());
    p.ready();
    let quality = |p: &Probe| -> Vec<latent_lab::worker::QualityPoint> {
        p.events
            .iter()
            .filter_map(|e| match e {
                Event::Quality(q) => Some(q.clone()),
                _ => None,
            })
            .collect()
    };
    p.send(Command::SetRunning(true));
    // Every few seconds while training: at least two points within a generous wait.
    assert!(
        p.wait(LONG, |p| quality(p).len() >= 2),
        "no quality figures while training: {:?}",
        p.errors()
    );
    p.send(Command::SetRunning(false));
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| !s.running)));
    let stopped = p.step();
    assert!(
        p.wait(LONG, |p| quality(p).last().is_some_and(|q| q.step == stopped)),
        "pausing scores the samples of the step it stopped at"
    );
    let qs = quality(&p);
    assert!(qs.windows(2).all(|w| w[0].step < w[1].step), "one per step, in order");
    let q = &qs.last().unwrap().quality;
    assert_eq!(q.count, latent_lab::worker::QUALITY_COUNT);
    assert!((q.histogram.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(q.frechet.is_finite() && q.real_frechet > 0.0);
}

#[test]
fn a_run_that_runs_away_pauses_with_a_warning() {
    let mut options = tiny_options();
    options.train.set_all_lr(10.0);
    let mut p = Probe::spawn(options);
    p.ready();
    p.send(Command::SetRunning(true));
    assert!(
        p.wait(LONG, |p| p
            .errors()
            .iter()
            .any(|(k, m)| *k == ErrorKind::Training && m.contains("running away"))),
        "no warning: {:?}",
        p.errors()
    );
    assert!(
        p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| !s.running)),
        "the run was not paused"
    );
}

/// Drawn data with no point drawn: Play and the step buttons refuse with a message
/// instead of training on the placeholder at the origin; once a point is drawn the game
/// trains. While the game is on, the status is the game's (its step and time), and the
/// image run's clock does not count the game's time.
#[test]
fn the_game_on_drawn_data_refuses_to_train_before_a_point_is_drawn() {
    use latent_lab::data::toy::ToyDistribution;
    use latent_lab::train::toy::ToyConfig;
    let mut p = Probe::spawn(tiny_options());
    p.ready();
    p.send(Command::ToyStart(ToyConfig {
        dist: ToyDistribution::Drawn,
        ..ToyConfig::default()
    }));
    assert!(p.wait(LONG, |p| {
        p.status
            .as_ref()
            .is_some_and(|s| s.game == Some(ToyDistribution::Drawn))
    }));
    p.send(Command::SetRunning(true));
    p.send(Command::Step("d"));
    assert!(
        p.wait(LONG, |p| p
            .errors()
            .iter()
            .filter(|(_, m)| m.contains("no points drawn yet"))
            .count()
            == 2),
        "{:?}",
        p.errors()
    );
    std::thread::sleep(Duration::from_millis(200));
    p.pump();
    let s = p.status.clone().expect("status");
    assert!(!s.running && s.step == 0, "nothing trained: {s:?}");
    p.send(Command::ToySetDrawn(Arc::from(vec![1.0f32, 1.0])));
    p.send(Command::SetRunning(true));
    assert!(
        p.wait(LONG, |p| p.step() >= 20),
        "the game trains once a point is drawn"
    );
    p.send(Command::SetRunning(false));
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| !s.running)));
    let game_time = p.status.as_ref().map(|s| s.elapsed).unwrap_or_default();
    assert!(game_time > Duration::ZERO);
    // Back to the image run: its step and clock are its own.
    p.send(Command::ToyLeave);
    assert!(p.wait(LONG, |p| p.status.as_ref().is_some_and(|s| s.game.is_none())));
    let s = p.status.clone().expect("status");
    assert_eq!(s.step, 0, "the image run never stepped");
    assert_eq!(s.elapsed, Duration::ZERO, "the game's time is not the image run's");
}
