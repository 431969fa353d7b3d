//! The eframe app: the live training window. A student presses Play and watches a
//! GAN learn handwritten digits — losses, D's mean verdicts drifting toward 0.5,
//! the histogram of D's outputs, and samples from a fixed set of z.
//!
//! [`App`] owns a [`crate::worker::WorkerHandle`]; it never waits for the worker
//! (commands go out with `try_send`, events are drained each frame under a small
//! time budget). One file per panel: [`controls`](self) (play, steps, speed,
//! model, hyperparameters), charts, histogram, samples, data, checkpoints, the
//! menu bar, the status bar and the debug panel (frame times); bounded histories
//! live in [`history`]. [`bench_frames`] measures frame times headless.
//!
//! Every string of the window is English or Korean ([`i18n`]): the menu bar
//! switches, the settings remember, and `LATENT_LAB_LANG=ko` (or `en`) picks the
//! language at start.

use eframe::egui;

mod ablation;
mod app;
mod arithmetic;
mod bench;
mod captions;
mod charts;
mod checkpoints;
mod codes;
mod compare;
mod controls;
mod data;
mod debug;
mod draw;
mod explorer;
mod families;
mod histogram;
pub mod history;
pub mod i18n;
mod interpolation;
mod judge;
mod latent;
mod latent_map;
mod menu;
mod pixels;
mod presenter;
mod quality;
mod samples;
mod settings;
mod status_bar;
mod toy;
mod translate;

pub use app::{App, Banner};
pub use bench::{BenchOptions, BenchReport, bench_frames, bench_frames_with};
pub use charts::{Charts, Series};
pub use checkpoints::{AUTOSAVE_FILE, DATA_DIR_ENV, autosave_path, data_dir};
pub use debug::{FrameStats, Percentiles, percentiles};
pub use explorer::{Basis, ExploreSettings, Explorer, Pick, Source, Target, Tool};
pub use histogram::{BINS, Binned, HistogramPanel, bin};
pub use interpolation::{FRAME_MS, ping_pong};
pub use judge::JudgePanel;
pub use samples::{SamplesPanel, grid_image, save_grid_png, save_time_lapse_gif};
pub use settings::{STORAGE_KEY, Settings, ThemeChoice, View};
pub use status_bar::format_elapsed;
pub use toy::{Game, caption};

/// Opens the window (1280×720, "Latent Lab", glow renderer) on the embedded MNIST
/// with an MLP GAN ready, or the previous run restored, paused.
///
/// Fixes the trainer's CPU thread count first (one core is left to the UI), so
/// call it before starting other threads.
pub fn run() -> anyhow::Result<()> {
    crate::worker::configure_trainer_threads(None);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Latent Lab")
            .with_app_id("latent-lab")
            .with_inner_size([1280.0, 720.0])
            .with_min_inner_size([900.0, 560.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Glow,
        persistence_path: data_dir().map(|d| d.join("window.ron")),
        ..Default::default()
    };
    eframe::run_native("Latent Lab", options, Box::new(|cc| Ok(Box::new(App::new(cc)))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
