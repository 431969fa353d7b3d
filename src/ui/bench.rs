//! A headless frame-time benchmark: the whole window runs in an egui context at
//! 1280×720 and about 60 frames per second while the worker trains on the
//! embedded MNIST, and the time each frame takes on the UI thread (building the
//! UI, draining events, tessellating) is reported as p50 / p95 / max.
//!
//! GPU rasterisation is not included (there is no window); on a machine that
//! renders in software it adds to these figures.

use eframe::egui;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::family::ModelSpec;
use crate::train::TrainConfig;
use crate::worker::{Speed, WorkerOptions};

use super::app::App;
use super::debug::{Percentiles, percentiles};
use super::explorer::{ExploreSettings, Source, Tool};
use super::settings::{Settings, View};

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Seconds of measured frames (after the trainer has started).
    pub seconds: f32,
    /// The model trained meanwhile.
    pub model: &'static str,
    /// Its batch size.
    pub batch_size: usize,
    /// Target frame rate of the simulated display.
    pub fps: f32,
    /// Window size in points.
    pub size: [f32; 2],
    /// Show the explorer's sliders on this shipped model instead of the training
    /// screen, and move one slider every frame (a drag), while training goes on.
    pub explore: Option<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            seconds: 10.0,
            model: crate::family::registry::DEFAULT.id(),
            batch_size: 64,
            fps: 60.0,
            size: [1280.0, 720.0],
            explore: None,
        }
    }
}

/// What the benchmark measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Frames measured.
    pub frames: usize,
    /// UI-thread time per frame: build, event draining and tessellation.
    pub frame: Percentiles,
    /// Training iterations completed meanwhile.
    pub steps: u64,
    /// Training rate meanwhile.
    pub steps_per_sec: f32,
    /// The device line of the status bar.
    pub device: String,
    /// candle's CPU threads (`RAYON_NUM_THREADS`).
    pub trainer_threads: usize,
    /// Points per chart series at the end.
    pub chart_points: usize,
    /// With `explore`: decode + texture upload of the large image per slider change.
    pub decode: Option<Percentiles>,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "UI frame time while training: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms over {} frames; \
             training {:.1} steps/s ({} steps) on {} ({} trainer threads); {} points per chart series",
            self.frame.p50_ms,
            self.frame.p95_ms,
            self.frame.max_ms,
            self.frames,
            self.steps_per_sec,
            self.steps,
            self.device,
            self.trainer_threads,
            self.chart_points
        )?;
        if let Some(d) = &self.decode {
            write!(
                f,
                "; explorer decode + upload: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms over {} slider changes",
                d.p50_ms, d.p95_ms, d.max_ms, d.count
            )?;
        }
        Ok(())
    }
}

/// Runs the window headless for `seconds` while training an MLP GAN on the embedded
/// MNIST and reports the UI's frame times.
///
/// Call [`crate::worker::configure_trainer_threads`] first (at start-up) to measure
/// the thread count the app uses.
pub fn bench_frames(seconds: f32) -> anyhow::Result<BenchReport> {
    bench_frames_with(&BenchOptions {
        seconds,
        ..BenchOptions::default()
    })
}

/// [`bench_frames`] with every option.
pub fn bench_frames_with(opts: &BenchOptions) -> anyhow::Result<BenchReport> {
    let data = Arc::new(crate::data::embedded_mnist()?);
    let settings = Settings {
        model: ModelSpec::of(opts.model)?,
        train: TrainConfig {
            batch_size: opts.batch_size,
            ..TrainConfig::for_family(crate::family::find(opts.model).unwrap_or(crate::family::registry::DEFAULT))
        },
        speed: Speed {
            full_speed: true,
            ..Speed::default()
        },
        view: if opts.explore.is_some() {
            View::Explore
        } else {
            View::Train
        },
        explore: ExploreSettings {
            source: opts
                .explore
                .as_ref()
                .map_or_else(Source::default, |id| Source::Pretrained(id.clone())),
            tool: Tool::Sliders,
            ..ExploreSettings::default()
        },
        ..Settings::default()
    };
    let options = WorkerOptions {
        model: settings.model.clone(),
        train: settings.train.clone(),
        speed: settings.speed,
        preloaded: Some(data),
        start_running: true,
        ..WorkerOptions::default()
    };
    let mut app = App::with_options(settings, options, Arc::new(|| {}), None);
    let ctx = egui::Context::default();
    let frame_dt = Duration::from_secs_f32(1.0 / opts.fps.max(1.0));
    let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(opts.size[0], opts.size[1]));
    let t0 = Instant::now();
    let frame = |app: &mut App| -> Duration {
        let start = Instant::now();
        let input = egui::RawInput {
            screen_rect: Some(rect),
            time: Some(t0.elapsed().as_secs_f64()),
            ..Default::default()
        };
        let mut out = ctx.run_ui(input, |ui| app.root_ui(ui));
        // No renderer here: the texture uploads are dropped unapplied.
        out.textures_delta.clear();
        let _primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
        let took = start.elapsed();
        std::thread::sleep(frame_dt.saturating_sub(took));
        took
    };

    // Warm up until the trainer runs (data loaded, first steps done).
    let warmup_deadline = Instant::now() + Duration::from_secs(120);
    while app.status().is_none_or(|s| s.step < 5) {
        if Instant::now() > warmup_deadline {
            anyhow::bail!("the trainer did not start within two minutes");
        }
        if let Some(b) = app.banners().first() {
            anyhow::bail!("the trainer failed: {}", b.message);
        }
        frame(&mut app);
    }
    let start_step = app.status().map_or(0, |s| s.step);
    let started = Instant::now();
    let mut times = Vec::new();
    app.explorer_mut().latency_ms_mut().clear();
    let mut drag = 0.0_f32;
    while started.elapsed().as_secs_f32() < opts.seconds {
        if opts.explore.is_some() && !app.explorer().z.is_empty() {
            // A drag: slider 0 moves a little every frame.
            drag += 0.05;
            app.explorer_mut().z[0] = 3.0 * drag.sin();
        }
        times.push(frame(&mut app).as_secs_f32() * 1000.0);
    }
    let wall = started.elapsed().as_secs_f32();
    let status = app.status().cloned();
    let report = BenchReport {
        frames: times.len(),
        frame: percentiles(times),
        steps: status.as_ref().map_or(0, |s| s.step).saturating_sub(start_step),
        steps_per_sec: status.as_ref().map_or(0, |s| s.step).saturating_sub(start_step) as f32 / wall.max(1e-3),
        device: status.map(|s| s.device).unwrap_or_default(),
        trainer_threads: candle_core::utils::get_num_threads(),
        chart_points: app.chart_points(),
        decode: opts.explore.as_ref().map(|_| app.explorer().latency()),
    };
    app.shutdown();
    Ok(report)
}
