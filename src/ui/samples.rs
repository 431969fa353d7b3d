//! Samples: an 8×8 grid decoded from a fixed set of z (refreshed every few steps)
//! beside a grid of real digits. A timeline slider scrubs back through the stored
//! grids; the grid exports as a PNG, the whole time-lapse as an animated GIF
//! (encoded on a background thread), through rfd save dialogs.

use eframe::egui;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::export;
use crate::worker::{ErrorKind, SampleGrid};

use super::app::App;
use super::history::Timeline;
use super::i18n::tr;
use crate::tr;

/// Sample grids kept for the timeline (each 50 KB).
pub const TIMELINE_CAP: usize = 240;
/// Most frames an exported GIF holds (evenly spread over the timeline).
pub const MAX_GIF_FRAMES: usize = 120;
/// Images per grid row.
pub const GRID_COLS: usize = 8;
/// Gray pixels between grid cells.
pub const GRID_PAD: usize = 2;
/// Side of one image.
const SIDE: usize = 28;

/// The stored sample grids, the scrubber and the texture.
pub struct SamplesPanel {
    /// Sample grids, each tagged with its step.
    pub timeline: Timeline<Arc<[u8]>>,
    /// The entry shown, or `None` to follow the newest.
    pub scrub: Option<usize>,
    texture: Option<egui::TextureHandle>,
    texture_for: Option<(u64, usize)>,
    /// The latent vectors of the grid (the same for every grid of a run).
    pub z: Option<Arc<[f32]>>,
}

impl Default for SamplesPanel {
    fn default() -> Self {
        Self {
            timeline: Timeline::new(TIMELINE_CAP),
            scrub: None,
            texture: None,
            texture_for: None,
            z: None,
        }
    }
}

impl SamplesPanel {
    /// Adds the newest grid.
    pub fn push(&mut self, grid: SampleGrid) {
        self.z = Some(grid.z);
        self.timeline.push(grid.step, Arc::from(grid.pixels));
        if let Some(i) = self.scrub {
            self.scrub = Some(i.min(self.timeline.len().saturating_sub(1)));
        }
    }

    /// Forgets everything (a new run).
    pub fn clear(&mut self) {
        self.timeline.clear();
        self.scrub = None;
        self.texture_for = None;
    }

    /// Index of the grid shown.
    fn shown(&self) -> Option<usize> {
        let len = self.timeline.len();
        (len > 0).then(|| self.scrub.unwrap_or(len - 1).min(len - 1))
    }
}

/// Background exports in progress.
#[derive(Debug, Default)]
pub struct Exports {
    gif: Option<(PathBuf, Receiver<Result<usize, String>>)>,
}

/// Lays images out as the square grid shown and exported: 8 columns for 64 images, 10 for a
/// conditional model's 100 (one row per class).
pub fn grid_image(pixels: &[u8]) -> image::GrayImage {
    export::square_grid(pixels, SIDE, GRID_PAD)
}

use export::grid_cols;

/// An egui image of a grayscale image.
pub(super) fn color_image(img: &image::GrayImage) -> egui::ColorImage {
    egui::ColorImage::from_gray([img.width() as usize, img.height() as usize], img.as_raw())
}

/// An egui image of one `side`×`side` grayscale image given as bytes.
pub(super) fn gray_image(px: &[u8], side: usize) -> egui::ColorImage {
    egui::ColorImage::from_gray([side, side], &px[..(side * side).min(px.len())])
}

/// Uploads `image` into `slot`: the first time with `load_texture`, then with `TextureHandle::set`.
pub(super) fn set_texture(
    ctx: &egui::Context,
    slot: &mut Option<egui::TextureHandle>,
    name: &str,
    image: egui::ColorImage,
) {
    match slot {
        Some(t) => t.set(image, egui::TextureOptions::NEAREST),
        None => *slot = Some(ctx.load_texture(name, image, egui::TextureOptions::NEAREST)),
    }
}

/// Writes one grid as a PNG, enlarged 4× so the pixels stay crisp.
pub fn save_grid_png(pixels: &[u8], path: &Path) -> Result<(), export::ExportError> {
    export::save_png(&export::upscale(&grid_image(pixels), 4), path)
}

/// Writes grids as an endlessly looping GIF (at most [`MAX_GIF_FRAMES`], evenly spread),
/// enlarged 2×. Returns the number of frames written.
pub fn save_time_lapse_gif(grids: &[Arc<[u8]>], path: &Path) -> Result<usize, export::ExportError> {
    let n = grids.len();
    let take = n.min(MAX_GIF_FRAMES);
    let frames: Vec<image::GrayImage> = (0..take)
        .map(|i| {
            let j = if take <= 1 { n - 1 } else { i * (n - 1) / (take - 1) };
            export::upscale(&grid_image(&grids[j]), 2)
        })
        .collect();
    export::save_gif(&frames, 120, path)?;
    Ok(frames.len())
}

impl App {
    /// Generated samples beside real digits, the timeline slider and the export buttons.
    pub(super) fn samples_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let shown = self.samples.shown();
        let step = shown.and_then(|i| self.samples.timeline.get(i)).map(|(s, _)| s);
        // Upload the grid shown if it changed.
        if let Some(i) = shown {
            let key = (self.samples.timeline.version(), i);
            if self.samples.texture_for != Some(key)
                && let Some((_, px)) = self.samples.timeline.get(i)
            {
                let img = color_image(&grid_image(px));
                set_texture(&ctx, &mut self.samples.texture, "samples", img);
                self.samples.texture_for = Some(key);
            }
        }
        let encoder = self.charts.family().is_some_and(|f| f.has_encoder());
        let pairs_tex = if encoder { self.pairs_texture(&ctx) } else { None };
        let real_tex = self.real_texture(&ctx);

        let controls_h = 2.0 * ui.spacing().interact_size.y + 3.0 * ui.spacing().item_spacing.y;
        let label_h = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        let gap = 3.0 * ui.spacing().item_spacing.x;
        // The judge's class histogram sits between the generated and the real digits.
        // Only where there is room: the digits come first (presenter mode at 1280×720 has none).
        let bars_w = (ui.available_width() * 0.16).clamp(80.0, 150.0);
        // A family that shows held-out digits (pix2pix) instead of decoding z has no grid to
        // judge or to click into the explorer.
        let showcase = self.charts.family().and_then(|f| f.showcase_caption());
        let judged = showcase.is_none()
            && self
                .charts
                .family()
                .is_some_and(|f| crate::family::ALL.iter().any(|g| g.id() == f.id()))
            && (ui.available_width() - 2.0 * gap - bars_w) / 2.0 >= 200.0;
        let side = ((ui.available_width() - gap - if judged { bars_w + gap } else { 0.0 }) / 2.0)
            .min(ui.available_height() - controls_h - label_h)
            .max(64.0);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(side);
                let caption = match (step, showcase) {
                    (Some(s), Some(what)) => format!("{}, {}", tr(what), tr!("step {step}", step = s)),
                    (Some(s), None) => tr!("Generated, step {step}", step = s),
                    (None, _) => tr("Generated (waiting for the model)").to_string(),
                };
                ui.add(egui::Label::new(egui::RichText::new(caption).strong()).truncate());
                let resp = image_or_placeholder(
                    ui,
                    self.samples.texture.as_ref().filter(|_| shown.is_some()),
                    side,
                    tr("Generated digits"),
                );
                let count = shown
                    .and_then(|i| self.samples.timeline.get(i))
                    .map_or(crate::worker::SAMPLE_COUNT, |(_, px)| px.len() / (SIDE * SIDE))
                    .max(1);
                if showcase.is_some() {
                    if let Some(help) = self.charts.family().and_then(|f| f.showcase_help()) {
                        resp.on_hover_text(tr(help));
                    }
                    return;
                }
                if let Some(i) = super::latent::grid_cell(&resp, grid_cols(count))
                    && resp.clicked()
                    && let Some(z) = self.samples.z.clone()
                {
                    let l = z.len() / count;
                    if let Some(zi) = z.get(i * l..(i + 1) * l) {
                        self.edit_in_explorer(super::explorer::Pick {
                            z: zi.to_vec(),
                            label: tr!("training sample {i}", i = i),
                            seed: None,
                        });
                    }
                }
                resp.on_hover_text(tr("Click a digit to edit it in the explorer (with the latest weights)"));
            });
            ui.add_space(gap);
            if judged {
                ui.vertical(|ui| {
                    ui.set_width(bars_w);
                    self.class_bars_ui(ui);
                });
                ui.add_space(gap);
            }
            ui.vertical(|ui| match (&pairs_tex, encoder) {
                (Some(tex), _) => {
                    ui.strong(tr("Real digits and their reconstructions"));
                    image_or_placeholder(ui, Some(tex), side, tr("Real digits and their reconstructions"))
                        .on_hover_text(tr("Each real digit, then what the decoder draws from its code"));
                }
                (None, true) => {
                    ui.strong(tr("Real digits and their reconstructions"));
                    image_or_placeholder(ui, None, side, tr("Real digits and their reconstructions"));
                }
                (None, false) => {
                    ui.strong(tr("Real digits"));
                    image_or_placeholder(ui, real_tex.as_ref(), side, tr("Real digits"));
                }
            });
        });
        ui.horizontal(|ui| {
            let len = self.samples.timeline.len();
            let max = len.saturating_sub(1);
            let mut idx = shown.unwrap_or(0);
            let slider = ui.add_enabled(
                len > 1,
                egui::Slider::new(&mut idx, 0..=max)
                    .show_value(false)
                    .text(tr("Sample history")),
            );
            if slider.changed() {
                self.samples.scrub = if idx >= max { None } else { Some(idx) };
            }
            if self.samples.scrub.is_some() && ui.button(tr("Live")).clicked() {
                self.samples.scrub = None;
            }
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(shown.is_some(), egui::Button::new(tr("Export PNG…")))
                .on_hover_text(tr("Save the grid shown as a PNG image"))
                .clicked()
            {
                self.export_png_dialog();
            }
            let busy = self.exports.gif.is_some();
            let label = if busy {
                tr("Writing GIF…")
            } else {
                tr("Export GIF…")
            };
            if ui
                .add_enabled(!busy && self.samples.timeline.len() > 1, egui::Button::new(label))
                .on_hover_text(tr("Save the whole time-lapse of stored grids as an animated GIF"))
                .clicked()
            {
                self.export_gif_dialog();
            }
        });
    }

    /// The real-digit grid from the dataset preview.
    fn real_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let info = self.data_info.as_ref()?;
        let key = Arc::as_ptr(info) as usize;
        if self.data_texture_for != Some(key) {
            let img = color_image(&grid_image(&info.preview));
            set_texture(ctx, &mut self.data_texture, "real_digits", img);
            self.data_texture_for = Some(key);
        }
        self.data_texture.clone()
    }

    /// Asks where to save the grid shown, then writes it.
    pub(super) fn export_png_dialog(&mut self) {
        let Some(i) = self.samples.shown() else {
            return;
        };
        let step = self.samples.timeline.get(i).map_or(0, |(s, _)| s);
        let Some(path) = rfd::FileDialog::new()
            .set_title(tr("Export samples as PNG"))
            .add_filter(tr("PNG image"), &["png"])
            .set_file_name(format!("samples-step{step}.png"))
            .save_file()
        else {
            return;
        };
        self.export_png(&path);
    }

    /// Writes the grid shown to `path` as a PNG.
    pub fn export_png(&mut self, path: &Path) {
        let Some((_, px)) = self.samples.shown().and_then(|i| self.samples.timeline.get(i)) else {
            return;
        };
        match save_grid_png(px, path) {
            Ok(()) => self.notify(tr!("Saved {path}", path = path.display())),
            Err(e) => self.push_banner(ErrorKind::Data, tr!("cannot export: {error}", error = e)),
        }
    }

    /// Asks where to save the time-lapse, then writes it in the background.
    pub(super) fn export_gif_dialog(&mut self) {
        let Some(path) = rfd::FileDialog::new()
            .set_title(tr("Export time-lapse as GIF"))
            .add_filter(tr("GIF animation"), &["gif"])
            .set_file_name("time-lapse.gif")
            .save_file()
        else {
            return;
        };
        self.export_gif(path);
    }

    /// Writes every stored grid to `path` as an animated GIF, on a background thread.
    pub fn export_gif(&mut self, path: PathBuf) {
        let grids: Vec<Arc<[u8]>> = self.samples.timeline.iter().map(|(_, g)| g.clone()).collect();
        if grids.is_empty() {
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.clone();
        let spawned = std::thread::Builder::new().name("gif-export".into()).spawn(move || {
            let _ = tx.send(save_time_lapse_gif(&grids, &p).map_err(|e| e.to_string()));
        });
        match spawned {
            Ok(_) => self.exports.gif = Some((path, rx)),
            Err(e) => self.push_banner(ErrorKind::Data, tr!("cannot start the GIF export: {error}", error = e)),
        }
    }

    /// Reports finished background exports.
    pub(super) fn poll_exports(&mut self) {
        let Some((path, rx)) = &self.exports.gif else {
            return;
        };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                Err(tr!("{path}: the export stopped unexpectedly", path = path.display()))
            }
        };
        let path = path.clone();
        self.exports.gif = None;
        match result {
            Ok(frames) => self.notify(tr!(
                "Saved {path} ({frames} frames)",
                path = path.display(),
                frames = frames
            )),
            Err(e) => self.push_banner(ErrorKind::Data, tr!("cannot export: {error}", error = e)),
        }
    }

    /// Whether a GIF export is still running.
    pub fn exporting(&self) -> bool {
        self.exports.gif.is_some()
    }
}

/// Shows a texture as a `side`×`side` square (clickable), or an empty frame of that size.
fn image_or_placeholder(
    ui: &mut egui::Ui,
    texture: Option<&egui::TextureHandle>,
    side: f32,
    label: &str,
) -> egui::Response {
    super::latent::image_slot(ui, texture, side, label)
}
