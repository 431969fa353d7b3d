//! The [`App`]: owns the worker handle and everything the panels show, drains the
//! worker's events each frame under a small time budget, and lays the window out
//! (menu bar on top, controls on the left, charts, histogram and samples in the
//! middle, status bar at the bottom). Each panel lives in its own file as
//! `impl App { fn *_ui }`.

use eframe::egui;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::data::Dataset;
use crate::family::Family;
use crate::worker::{
    Command, DataSource, ErrorKind, Event, ModelFrame, RepaintFn, RunOrigin, UpdateReport, WorkerHandle, WorkerOptions,
    WorkerStatus,
};

use super::charts::Charts;
use super::debug::FrameStats;
use super::explorer::{Explorer, Pick};
use super::histogram::HistogramPanel;
use super::i18n::tr;
use super::samples::SamplesPanel;
use super::settings::{STORAGE_KEY, Settings, ThemeChoice, View};
use crate::tr;

/// Longest the UI spends draining worker events in one frame.
const DRAIN_BUDGET: Duration = Duration::from_millis(3);
/// How long a notice (e.g. "saved") stays in the status bar.
const NOTICE_FOR: Duration = Duration::from_secs(6);
/// Most error banners shown at once.
const MAX_BANNERS: usize = 4;

/// One error shown in the banner.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    /// What happened (names the file where there is one).
    pub message: String,
    /// What kind of failure.
    pub kind: ErrorKind,
    /// How many times in a row it happened.
    pub repeats: u32,
}

/// A question waiting for the user's answer before something destructive happens.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Confirm {
    /// Reset the run with the editor's model and hyperparameters.
    Reset,
}

/// The Latent Lab window.
pub struct App {
    pub(super) settings: Settings,
    pub(super) worker: Option<WorkerHandle>,
    pub(super) pending: VecDeque<Command>,
    pub(super) status: Option<WorkerStatus>,
    pub(super) run: u64,
    pub(super) charts: Charts,
    pub(super) histogram: HistogramPanel,
    /// Codes and reconstructions of real digits, for families with an encoder.
    pub(super) codes: super::codes::CodesPanel,
    pub(super) samples: SamplesPanel,
    pub(super) data_info: Option<Arc<crate::worker::DataInfo>>,
    pub(super) data_texture: Option<egui::TextureHandle>,
    pub(super) data_texture_for: Option<usize>,
    pub(super) banners: Vec<Banner>,
    pub(super) notice: Option<(String, Instant)>,
    pub(super) confirm: Option<Confirm>,
    pub(super) last_update: Option<UpdateReport>,
    /// The step the last update was reported at.
    pub(super) last_update_step: u64,
    pub(super) frame_stats: FrameStats,
    /// The live run's latest seams (decoder, encoder, scorer), for the latent tools.
    pub(super) generator: Option<ModelFrame>,
    pub(super) autosave_path: Option<PathBuf>,
    pub(super) applied_look: Option<(ThemeChoice, f32, bool, u32)>,
    pub(super) fonts_installed: bool,
    pub(super) exports: super::samples::Exports,
    pub(super) explorer: Explorer,
    pub(super) watch: crate::classroom::events::Watch,
    /// Watches a VAE run for posterior collapse.
    pub(super) collapse_watch: crate::classroom::events::CollapseWatch,
    pub(super) code_watch: crate::classroom::events::CodeIgnoredWatch,
    /// The digit judge's figures of this run's samples.
    pub(super) quality: super::quality::QualityLog,
    /// Watches the judge's class histogram for mode collapse.
    pub(super) class_watch: crate::classroom::events::ClassCollapseWatch,
    /// The latest game event, shown with its caption until dismissed.
    pub(super) game_event: Option<crate::classroom::events::GameEvent>,
    pub(super) game: super::toy::Game,
}

impl App {
    /// The window's app: settings from eframe's storage, the previous run restored
    /// (paused) from the autosave in the platform data folder if there is one.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let mut settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        if let Some(lang) = super::i18n::lang_from_env() {
            settings.lang = lang;
        }
        let autosave_path = if settings.autosave {
            super::checkpoints::autosave_path()
        } else {
            None
        };
        let restore_from = autosave_path.clone().filter(|p| p.is_file());
        let options = WorkerOptions {
            model: settings.model.clone(),
            train: settings.train.clone(),
            speed: settings.speed,
            data: settings.data.clone(),
            restore_from,
            autosave_path: autosave_path.clone(),
            ..WorkerOptions::default()
        };
        let ctx = cc.egui_ctx.clone();
        let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
        Self::with_options(settings, options, repaint, autosave_path)
    }

    /// An app with a worker started from `options`; `repaint` wakes the UI.
    pub fn with_options(
        settings: Settings,
        options: WorkerOptions,
        repaint: Arc<dyn Fn() + Send + Sync>,
        autosave_path: Option<PathBuf>,
    ) -> Self {
        let mut app = Self::without_worker(settings, repaint.clone(), autosave_path);
        let worker_repaint: RepaintFn = Box::new(move || repaint());
        match WorkerHandle::spawn(options, worker_repaint) {
            Ok(w) => app.worker = Some(w),
            Err(e) => app.push_banner(
                ErrorKind::Training,
                tr!("cannot start the training thread: {error}", error = e),
            ),
        }
        app
    }

    /// The app before its worker is attached.
    fn without_worker(
        settings: Settings,
        repaint: Arc<dyn Fn() + Send + Sync>,
        autosave_path: Option<PathBuf>,
    ) -> Self {
        let mut charts = Charts::default();
        charts.set_family(settings.model.family().ok());
        let explorer_repaint = repaint.clone();
        let (explorer, explorer_error) = Explorer::new(settings.explore.clone(), Box::new(move || explorer_repaint()));
        let mut app = Self {
            settings,
            worker: None,
            pending: VecDeque::new(),
            status: None,
            run: 0,
            charts,
            histogram: HistogramPanel::default(),
            codes: Default::default(),
            samples: SamplesPanel::default(),
            data_info: None,
            data_texture: None,
            data_texture_for: None,
            banners: Vec::new(),
            notice: None,
            confirm: None,
            last_update: None,
            last_update_step: 0,
            frame_stats: FrameStats::default(),
            generator: None,
            autosave_path,
            applied_look: None,
            fonts_installed: false,
            exports: Default::default(),
            watch: Default::default(),
            collapse_watch: Default::default(),
            code_watch: Default::default(),
            quality: Default::default(),
            class_watch: Default::default(),
            game_event: None,
            explorer,
            game: Default::default(),
        };
        if let Some(e) = explorer_error {
            app.push_banner(ErrorKind::Training, e);
        }
        app
    }

    /// A headless app for tests: trains on `data` with `settings`' model and
    /// hyperparameters, no autosave, no repaint callback.
    pub fn new_for_test(data: Arc<Dataset>, settings: Settings) -> Self {
        let options = WorkerOptions {
            model: settings.model.clone(),
            train: settings.train.clone(),
            speed: settings.speed,
            preloaded: Some(data),
            ..WorkerOptions::default()
        };
        Self::with_options(settings, options, Arc::new(|| {}), None)
    }

    /// The worker's latest reported state.
    pub fn status(&self) -> Option<&WorkerStatus> {
        self.status.as_ref()
    }

    /// The settings (as edited in the window).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The error banners shown now.
    pub fn banners(&self) -> &[Banner] {
        &self.banners
    }

    /// The digit judge's figures of this run's samples received so far.
    pub fn quality_points(&self) -> &[crate::worker::QualityPoint] {
        self.quality.points()
    }

    /// Points stored per chart series (bounded however long training runs).
    pub fn chart_points(&self) -> usize {
        self.charts.len()
    }

    /// Sample grids stored for the timeline.
    pub fn sample_grids(&self) -> usize {
        self.samples.timeline.len()
    }

    /// Histograms stored for the scrubber.
    pub fn histograms(&self) -> usize {
        self.histogram.timeline.len()
    }

    /// The newest generator snapshot (for the latent tools).
    pub fn generator(&self) -> Option<&ModelFrame> {
        self.generator.as_ref()
    }

    /// The frame-time statistics the debug panel shows.
    pub fn frame_stats(&self) -> &FrameStats {
        &self.frame_stats
    }

    /// Queues a command for the worker (sent without blocking, this frame or the next).
    pub fn send(&mut self, command: Command) {
        self.pending.push_back(command);
        self.flush_commands();
    }

    /// Starts loading a dataset; the current one stays in use until it has loaded.
    pub fn open_data(&mut self, source: DataSource) {
        self.send(Command::LoadData(source));
    }

    /// Stops the worker (it autosaves if enabled) and waits for it.
    pub fn shutdown(&mut self) {
        self.worker = None;
    }

    fn flush_commands(&mut self) {
        let Some(worker) = &self.worker else {
            return;
        };
        while let Some(cmd) = self.pending.pop_front() {
            match worker.send(cmd) {
                Ok(()) => {}
                Err(crate::worker::SendError::Full(cmd)) => {
                    self.pending.push_front(*cmd);
                    break;
                }
                Err(crate::worker::SendError::Stopped(_)) => {
                    self.pending.clear();
                    self.push_banner(ErrorKind::Training, tr("the training thread has stopped").into());
                    break;
                }
            }
        }
    }

    /// Shows an error in the banner (an identical last one counts up instead).
    pub(super) fn push_banner(&mut self, kind: ErrorKind, message: String) {
        if let Some(last) = self.banners.last_mut()
            && last.message == message
        {
            last.repeats += 1;
            return;
        }
        self.banners.push(Banner {
            message,
            kind,
            repeats: 1,
        });
        if self.banners.len() > MAX_BANNERS {
            self.banners.remove(0);
        }
    }

    /// Shows a passing message in the status bar.
    /// The passing notice in the status bar, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|(m, _)| m.as_str())
    }

    pub(super) fn notify(&mut self, message: impl Into<String>) {
        self.notice = Some((message.into(), Instant::now()));
    }

    /// Clears what belongs to older runs when a newer run shows up.
    fn enter_run(&mut self, run: u64) -> bool {
        if run <= self.run {
            return run == self.run;
        }
        self.run = run;
        self.charts.clear();
        self.histogram.clear();
        self.codes.clear();
        self.samples.clear();
        self.last_update = None;
        self.watch.reset();
        self.collapse_watch.reset();
        self.code_watch.reset();
        self.quality.clear();
        self.class_watch.reset();
        self.game_event = None;
        true
    }

    /// A game event: shown with its caption, and training paused if the settings ask.
    fn on_game_event(&mut self, event: crate::classroom::events::GameEvent) {
        self.game_event = Some(event);
        if self.settings.pause_on_events {
            self.send(Command::SetRunning(false));
        }
    }

    /// Takes the game event's banner down once its condition no longer holds.
    fn clear_stale_event(&mut self) {
        use crate::classroom::events::GameEvent;
        let Some(event) = self.game_event else {
            return;
        };
        let holds = match event {
            GameEvent::DWins { .. } | GameEvent::Equilibrium { .. } | GameEvent::ModeCollapse { .. } => {
                self.watch.holds(&event)
            }
            GameEvent::ClassCollapse { .. } => self.class_watch.holds(),
            GameEvent::PosteriorCollapse { .. } => self.collapse_watch.holds(),
            GameEvent::CodeIgnored { .. } => self.code_watch.holds(),
        };
        if !holds {
            self.game_event = None;
        }
    }

    /// The latest game event, if any.
    pub fn game_event(&self) -> Option<crate::classroom::events::GameEvent> {
        self.game_event
    }

    /// Takes what the worker sent: events (under a time budget) and the latest heavy payloads.
    pub fn pump(&mut self) {
        // Messages made here are worded in the window's language: eframe runs `logic`
        // (and so this) before the first `ui`, which is where the look is applied.
        super::i18n::set_lang(self.settings.lang);
        self.flush_commands();
        let started = Instant::now();
        while started.elapsed() < DRAIN_BUDGET {
            let Some(event) = self.worker.as_ref().and_then(WorkerHandle::try_recv) else {
                break;
            };
            self.handle_event(event);
        }
        if let Some(worker) = &self.worker {
            // Only payloads of runs whose start has been read: a restored run's grid must
            // not show beside the status of the run it replaces.
            let crate::worker::Payloads {
                samples,
                vectors,
                model: generator,
                codes,
            } = worker.take_payloads_through(self.run);
            if let Some(c) = codes
                && self.enter_run(c.run)
            {
                self.codes.push(c);
            }
            if let Some(grid) = samples
                && self.enter_run(grid.run)
            {
                self.samples.push(grid);
            }
            if let Some(v) = vectors
                && self.enter_run(v.run)
                && let Some(family) = self.charts.family()
            {
                self.histogram.push(&v, family);
                if let Some(kl) = family
                    .vectors()
                    .iter()
                    .position(|d| d.key == "kl_per_dim")
                    .and_then(|i| v.vectors.get(i))
                    && let Some(e) = self.collapse_watch.observe(v.step, kl)
                {
                    self.on_game_event(e);
                }
            }
            if let Some(g) = generator
                && self.enter_run(g.run)
            {
                self.generator = Some(g);
            }
        }
        self.clear_stale_event();
        self.poll_exports();
        if self.notice.as_ref().is_some_and(|(_, at)| at.elapsed() > NOTICE_FOR) {
            self.notice = None;
        }
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Status(s) => {
                // The D-wins caption's advice depends on the loss in use.
                self.watch.g_loss = s
                    .model
                    .config
                    .get("g_loss")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                // Under label smoothing the equilibrium is at half the real label.
                self.watch.real_label = s
                    .model
                    .config
                    .get("real_label")
                    .and_then(serde_json::Value::as_f64)
                    .map(|v| v as f32);
                self.status = Some(s);
            }
            Event::RunStarted {
                run,
                step,
                model,
                train,
                origin,
                history,
            } => {
                self.enter_run(run);
                let family = model.family().ok();
                if self.charts.family().map(Family::id) != family.map(Family::id) {
                    self.charts.set_family(family);
                }
                // A restored run's charts go on from the history it was saved with (the
                // game events watch only what happens from here).
                self.charts.extend(&history);
                self.settings.model = model;
                self.settings.train = train;
                let kept = !history.is_empty() || step == 0;
                match origin {
                    RunOrigin::Fresh => {}
                    RunOrigin::Restored(_) if kept => {
                        self.notify(tr!("Restored the last run at step {step} (paused)", step = step));
                    }
                    RunOrigin::Restored(_) => {
                        self.notify(tr!(
                            "Restored the last run at step {step} (paused); the charts start here: the autosave keeps the weights, not the charts' history",
                            step = step
                        ));
                    }
                    RunOrigin::Loaded(path) if kept => {
                        self.notify(tr!(
                            "Opened {path} at step {step} (paused)",
                            path = path.display(),
                            step = step
                        ));
                    }
                    RunOrigin::Loaded(path) => {
                        self.notify(tr!(
                            "Opened {path} at step {step} (paused); the charts start here: the file keeps the weights, not the charts' history (the command line saves none)",
                            path = path.display(),
                            step = step
                        ));
                    }
                }
            }
            Event::Metrics { run, points } => {
                if self.enter_run(run) {
                    self.charts.extend(&points);
                    // The last-update line follows the newest iteration, not a stale lone step.
                    if let Some(p) = points.last() {
                        self.last_update = Some(UpdateReport {
                            run,
                            kind: crate::family::ITERATION,
                            values: p.values.clone(),
                        });
                        self.last_update_step = p.step;
                    }
                    // D's mean verdicts feed the game events, for families that have a D.
                    let means = self.charts.family().and_then(|f| {
                        let at = |key: &str| f.metrics().iter().position(|m| m.key == key);
                        Some((at("d_real_mean")?, at("d_fake_mean")?))
                    });
                    if let Some((r, f)) = means {
                        for p in &points {
                            let (Some(&real), Some(&fake)) = (p.values.get(r), p.values.get(f)) else {
                                continue;
                            };
                            if let Some(e) = self.watch.observe_step(p.step, real, fake) {
                                self.on_game_event(e);
                            }
                        }
                    }
                    // InfoGAN's categorical bound feeds the c₁-ignored watch.
                    let bound = self
                        .charts
                        .family()
                        .and_then(|f| f.metrics().iter().position(|m| m.key == "mi_bound"));
                    if let Some(b) = bound {
                        for p in &points {
                            if let Some(&v) = p.values.get(b)
                                && let Some(e) = self.code_watch.observe(p.step, v)
                            {
                                self.on_game_event(e);
                            }
                        }
                    }
                }
            }
            Event::Update(report) => {
                if self.enter_run(report.run) {
                    self.last_update = Some(report);
                    self.last_update_step = self.status.as_ref().map_or(0, |s| s.step);
                }
            }
            Event::Quality(p) => {
                if self.enter_run(p.run) {
                    // Mode collapse is read from the judge's class histogram.
                    if let Some(e) = self.class_watch.observe(p.step, &p.quality) {
                        self.on_game_event(e);
                    }
                    self.quality.push(p);
                }
            }
            Event::DataLoaded(info) => {
                if let Some(src) = &info.data_source {
                    self.settings.data = src.clone();
                }
                self.notify(tr!(
                    "Training on {name} ({count} images)",
                    name = super::i18n::runtime::translate(&info.name),
                    count = info.count
                ));
                self.data_info = Some(info);
                self.data_texture_for = None;
            }
            Event::Saved { path, autosave } => {
                if autosave {
                    self.notify(tr!("Autosaved to {path}", path = path.display()));
                } else {
                    self.notify(tr!("Saved {path}", path = path.display()));
                }
            }
            Event::Error(e) => self.push_banner(e.kind, e.message),
        }
    }

    /// Draws the whole window into `ui` (also what tests drive through egui_kittest).
    pub fn root_ui(&mut self, ui: &mut egui::Ui) {
        let frame_start = Instant::now();
        self.pump();
        self.game_sync();
        self.apply_look(ui.ctx());
        self.handle_shortcuts(ui.ctx());
        self.handle_dropped_files(ui.ctx());

        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        match self.settings.view {
            View::Train => {
                egui::Panel::left("controls")
                    .resizable(true)
                    .default_size(290.0)
                    .size_range(240.0..=420.0)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical().show(ui, |ui| {
                            self.controls_ui(ui);
                            if !self.settings.presenter {
                                ui.separator();
                                self.data_ui(ui);
                            }
                        });
                    });
                egui::CentralPanel::default().show(ui, |ui| {
                    self.banners_ui(ui);
                    self.game_event_ui(ui);
                    self.central_ui(ui);
                });
            }
            View::Explore => {
                egui::Panel::left("explore_controls")
                    .resizable(true)
                    .default_size(290.0)
                    .size_range(240.0..=420.0)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical().show(ui, |ui| self.explore_side_ui(ui));
                    });
                egui::CentralPanel::default().show(ui, |ui| {
                    self.banners_ui(ui);
                    self.explore_central_ui(ui);
                });
                self.take_explorer_messages();
            }
            View::Game => {
                egui::Panel::left("game_controls")
                    .resizable(true)
                    .default_size(290.0)
                    .size_range(240.0..=420.0)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical().show(ui, |ui| self.game_side_ui(ui));
                    });
                egui::CentralPanel::default().show(ui, |ui| {
                    self.banners_ui(ui);
                    self.game_central_ui(ui);
                });
            }
        }
        self.confirm_ui(ui.ctx());
        self.drop_overlay_ui(ui.ctx());
        if self.settings.show_debug && !self.settings.presenter {
            self.debug_ui(ui.ctx());
        }
        self.flush_commands();
        self.frame_stats
            .record(frame_start.elapsed(), ui.ctx().input(|i| i.unstable_dt));
    }

    /// The family's charts on top; its vectors (D's verdicts as a histogram, or per-index
    /// bars) and the sample grids below.
    fn central_ui(&mut self, ui: &mut egui::Ui) {
        let avail = ui.available_size();
        let spacing = ui.spacing().item_spacing;
        let top_h = (avail.y * 0.46).max(160.0);
        self.charts_row_ui(ui, avail.x, top_h);
        ui.separator();
        let bottom_h = ui.available_height();
        let hist_w = ((avail.x - 2.0 * spacing.x) * 0.36).max(160.0);
        let rest_w = (avail.x - hist_w - 4.0 * spacing.x).max(200.0);
        let family = self.charts.family();
        let vectors = family.map_or(&[][..], |f| f.vectors());
        let distributions = vectors
            .iter()
            .any(|v| v.kind == crate::family::VectorKind::Distribution);
        let encoder = family.is_some_and(|f| f.has_encoder());
        ui.horizontal(|ui| {
            if distributions {
                cell(ui, egui::vec2(hist_w, bottom_h), |ui| self.histogram_ui(ui));
                ui.separator();
            } else if encoder {
                cell(ui, egui::vec2(hist_w, bottom_h), |ui| {
                    if vectors.is_empty() {
                        self.codes_ui(ui);
                    } else {
                        let h = ui.available_height();
                        cell(ui, egui::vec2(hist_w, h * 0.6), |ui| self.codes_ui(ui));
                        let rest = ui.available_height();
                        cell(ui, egui::vec2(hist_w, rest), |ui| self.vector_bars_ui(ui));
                    }
                });
                ui.separator();
            } else if !vectors.is_empty() {
                cell(ui, egui::vec2(hist_w, bottom_h), |ui| self.vector_bars_ui(ui));
                ui.separator();
            }
            cell(ui, egui::vec2(rest_w, bottom_h), |ui| self.samples_ui(ui));
        });
    }

    /// Moves the explorer's errors into the banner and its notices into the status bar.
    fn take_explorer_messages(&mut self) {
        for e in std::mem::take(&mut self.explorer.errors) {
            self.push_banner(ErrorKind::Data, e);
        }
        if let Some(n) = std::mem::take(&mut self.explorer.notices).pop() {
            self.notify(n);
        }
    }

    /// The explorer's state.
    pub fn explorer(&self) -> &Explorer {
        &self.explorer
    }

    /// The explorer's state, to drive it (tests, the training grid's "edit this one").
    pub fn explorer_mut(&mut self) -> &mut Explorer {
        &mut self.explorer
    }

    /// Opens the explorer on the live run at `pick` (a click on the training grid).
    pub fn edit_in_explorer(&mut self, pick: Pick) {
        let live = self.generator.clone();
        self.explorer.open_live(pick, live.as_ref());
        self.explorer.target = super::explorer::Target::Sliders;
        self.settings.view = View::Explore;
    }

    fn apply_look(&mut self, ctx: &egui::Context) {
        super::i18n::set_lang(self.settings.lang);
        if !self.fonts_installed {
            super::i18n::fonts::install(ctx);
            self.fonts_installed = true;
        }
        // Presenter mode zooms as far as the window has room for (1.6 at 1280×720, about
        // 1.25 at 1024×768), so that the layout does not run past the window's edge.
        let unzoomed = ctx.content_rect().size() * ctx.zoom_factor();
        let presenter_zoom = super::presenter::zoom_for(unzoomed);
        let look = (
            self.settings.theme,
            self.settings.zoom,
            self.settings.presenter,
            presenter_zoom.to_bits(),
        );
        if self.applied_look != Some(look) {
            ctx.set_theme(self.settings.theme.egui());
            super::presenter::apply(ctx, self.settings.theme, self.settings.presenter);
            let zoom = if self.settings.presenter {
                self.settings.zoom.max(presenter_zoom)
            } else {
                self.settings.zoom
            };
            ctx.set_zoom_factor(zoom.clamp(0.75, 2.5));
            self.applied_look = Some(look);
        }
    }

    /// Space toggles play/pause, F5 presenter mode (unless a text field has the keyboard).
    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Space)) {
            self.toggle_running();
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F5)) {
            self.settings.presenter = !self.settings.presenter;
        }
    }

    /// Starts or pauses training.
    pub fn toggle_running(&mut self) {
        let running = self.status.as_ref().is_some_and(|s| s.running);
        self.send(Command::SetRunning(!running));
    }

    /// A folder dropped on the window is opened as a dataset, a `.safetensors` file as a
    /// checkpoint, an image on the explorer's translation tool as its input.
    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        for path in dropped {
            if path.is_dir() {
                self.open_data(DataSource::Folder(path));
            } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("safetensors")) {
                self.send(Command::LoadCheckpoint(path));
            } else if self.explorer.settings.tool == super::explorer::Tool::Translate
                && self.explorer.model.as_ref().is_some_and(|m| m.translator.is_some())
                && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    crate::data::image_folder::IMAGE_EXTENSIONS
                        .iter()
                        .any(|k| e.eq_ignore_ascii_case(k))
                })
            {
                // An image dropped on the translation tool is its new input.
                if let Err(e) = self.explorer.translate.load_file(&path) {
                    self.explorer.errors.push(e);
                }
            } else if let Some(parent) = path.parent() {
                // A file of a dataset (e.g. an IDX file): open its folder.
                self.open_data(DataSource::Folder(parent.to_path_buf()));
            }
        }
    }

    fn drop_overlay_ui(&self, ctx: &egui::Context) {
        if ctx.input(|i| i.raw.hovered_files.is_empty()) {
            return;
        }
        let painter = ctx.layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop_overlay"),
        ));
        let rect = ctx.content_rect();
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            tr("Drop a dataset folder (IDX or images) or a checkpoint"),
            egui::FontId::proportional(24.0),
            egui::Color32::WHITE,
        );
    }

    fn banners_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        for (i, b) in self.banners.iter().enumerate() {
            let fill = ui.visuals().error_fg_color.gamma_multiply(0.18);
            egui::Frame::new()
                .fill(fill)
                .stroke(egui::Stroke::new(1.0, ui.visuals().error_fg_color))
                .corner_radius(4.0)
                .inner_margin(6.0)
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.push_id(i, |ui| {
                            if ui.button(tr("Dismiss")).clicked() {
                                dismiss = Some(i);
                            }
                        });
                        let times = if b.repeats > 1 {
                            format!(" (×{})", b.repeats)
                        } else {
                            String::new()
                        };
                        ui.add(
                            egui::Label::new(
                                egui::RichText::new(format!("{}{times}", super::i18n::runtime::translate(&b.message)))
                                    .color(ui.visuals().error_fg_color),
                            )
                            .wrap(),
                        );
                    });
                });
        }
        if let Some(i) = dismiss {
            self.banners.remove(i);
        }
    }

    /// The latest game event's caption, above the charts, until dismissed.
    fn game_event_ui(&mut self, ui: &mut egui::Ui) {
        let Some(event) = self.game_event else {
            return;
        };
        let running = self.status.as_ref().is_some_and(|s| s.running);
        let mut dismiss = false;
        super::captions::event_frame(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button(tr("Dismiss")).clicked() {
                    dismiss = true;
                }
                if !running && ui.button(tr("Continue")).clicked() {
                    dismiss = true;
                    self.send(Command::SetRunning(true));
                }
                ui.add(egui::Label::new(egui::RichText::new(super::captions::event_caption(&event)).strong()).wrap());
            });
        });
        if dismiss {
            self.game_event = None;
        }
    }

    fn confirm_ui(&mut self, ctx: &egui::Context) {
        let Some(Confirm::Reset) = self.confirm else {
            return;
        };
        let step = self.status.as_ref().map_or(0, |s| s.step);
        let mut answer = None;
        let modal = egui::Modal::new(egui::Id::unique("confirm_reset")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading(tr("Reset training?"));
            let what = match self.settings.model.latent_dim() {
                Some(size) => tr!(
                    "{model} (latent size {size}, seed {seed})",
                    model = tr(self.settings.model.label()),
                    size = size,
                    seed = self.settings.train.seed
                ),
                None => tr!(
                    "{model} (seed {seed})",
                    model = tr(self.settings.model.label()),
                    seed = self.settings.train.seed
                ),
            };
            ui.label(tr!(
                "This starts a new {what} from fresh weights. \
                 The current run (step {step}) and its charts are discarded; save a checkpoint first to keep it.",
                what = what,
                step = step,
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button(tr("Reset run")).clicked() {
                    answer = Some(true);
                }
                if ui.button(tr("Cancel")).clicked() {
                    answer = Some(false);
                }
            });
        });
        if modal.should_close() && answer.is_none() {
            answer = Some(false);
        }
        match answer {
            Some(true) => {
                self.confirm = None;
                self.send(Command::Reset {
                    model: self.settings.model.clone(),
                    train: self.settings.train.clone(),
                });
            }
            Some(false) => self.confirm = None,
            None => {}
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.pump();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.root_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings.explore = self.explorer.settings.clone();
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shutdown();
    }
}

/// Lays out `add` top-down in a cell of exactly `size` (a row of cells sits inside `ui.horizontal`).
pub(super) fn cell(ui: &mut egui::Ui, size: egui::Vec2, add: impl FnOnce(&mut egui::Ui)) {
    ui.allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Min), |ui| {
        ui.set_min_size(size);
        ui.set_max_width(size.x);
        add(ui);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::{RunOrigin, SAMPLE_COUNT, SampleGrid};

    fn grid(run: u64) -> SampleGrid {
        SampleGrid {
            run,
            step: 7,
            updates: 14,
            pixels: vec![0; SAMPLE_COUNT * 784],
            z: Arc::from(vec![0.0; SAMPLE_COUNT]),
        }
    }

    /// The worker writes a new run's samples to their slot at once, while its `RunStarted`
    /// may still wait in the event channel: the grid is shown only once the start is read,
    /// so a restored run's samples never sit beside the status of the run before it.
    #[test]
    fn a_runs_samples_wait_for_its_start() {
        let settings = Settings::default();
        let mut app = App::without_worker(settings.clone(), Arc::new(|| {}), None);
        let (handle, events, slots) = WorkerHandle::detached();
        app.worker = Some(handle);

        slots.samples.put(grid(1));
        app.pump();
        assert_eq!(app.sample_grids(), 0, "a grid of a run not yet announced was shown");

        events
            .send(Event::RunStarted {
                run: 1,
                step: 7,
                model: settings.model.clone(),
                train: settings.train.clone(),
                origin: RunOrigin::Restored(PathBuf::from("autosave.safetensors")),
                history: Vec::new(),
            })
            .expect("the channel is open");
        app.pump();
        assert_eq!(
            app.sample_grids(),
            1,
            "the grid waited in its slot and shows once its run started"
        );

        // An older run's payload is still taken (and dropped), not left in the slot.
        slots.samples.put(grid(0));
        app.pump();
        assert!(slots.samples.take().is_none());
        assert_eq!(app.sample_grids(), 1);
    }
}
