//! The explorer's Pixel-by-pixel tool, for autoregressive models (PixelCNN): there is no
//! latent code to slide, so the tool shows what such a model does instead.
//! - **Sample:** one digit drawn pixel by pixel in raster order, at an adjustable speed,
//!   with pause and single steps; beside it the model's probability of ink for each pixel
//!   when it was drawn (a heat map), the next pixel marked, and what that pixel may see
//!   (its receptive field through the masks, blind spot included).
//! - **Complete:** the top half of a real or drawn digit kept, the bottom half drawn
//!   several times: inpainting the autoregressive way, and the spread of what it believes.
//! - **Likelihood:** the exact negative log-likelihood of a drawn or real digit, a map of
//!   where in the image the surprise is, and a comparison with a pinned digit.
//!
//! The work is done on the UI thread a few pixels per frame, within a time budget: one
//! pixel of a few images is one pass of the network over a crop of the image, well under a
//! millisecond here.

use std::time::{Duration, Instant};

use eframe::egui;

use super::draw::{Canvas, canvas_ui, real_digits_ui};
use super::explorer::Explorer;
use super::i18n::tr;
use crate::family::PixelModel;
use crate::family::pixelcnn::levels_of_u8;
use crate::latent::PIXELS;
use crate::nets::IMAGE_SIDE;
use crate::nets::pixelcnn::inverse_cdf;
use crate::quality::likelihood::{LikelihoodKind, LikelihoodRow, compare_on_held_out};
use crate::rng::Rng;
use crate::tr;

/// Nats of surprise shown brightest on the surprise map.
const SURPRISE_SCALE: f32 = 5.0;
/// The colour of a pixel not drawn yet.
const UNDRAWN: egui::Color32 = egui::Color32::from_rgb(38, 42, 64);

/// Completions drawn at once.
pub const COMPLETIONS: usize = 6;
/// The first pixel a completion draws: the top 14 rows are kept.
pub const KEEP: usize = 14 * IMAGE_SIDE;
/// Most time the tool spends drawing pixels in one frame.
const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// What the tool shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PixelMode {
    /// One digit drawn pixel by pixel.
    #[default]
    Sample,
    /// The bottom half of a digit drawn several times.
    Complete,
    /// The exact likelihood of a digit.
    Likelihood,
}

/// Images being drawn pixel by pixel.
#[derive(Debug, Clone)]
pub struct PixelRun {
    /// Images drawn at once.
    pub count: usize,
    /// Their levels (784 each); pixels from `next` on are not drawn yet.
    pub levels: Vec<u8>,
    /// The model's expected grey (0–1; for two levels, the probability of ink) at each pixel
    /// when it was drawn.
    pub expected: Vec<f32>,
    /// The next pixel to draw (784: done).
    pub next: usize,
    /// The first pixel drawn (the ones before were given).
    pub start: usize,
    rng: Rng,
    /// The model key the run belongs to.
    pub model_key: u64,
}

impl PixelRun {
    /// `count` images with the pixels before `start` given by `given` (one image's levels,
    /// repeated), drawn with the random stream of `seed`.
    pub fn new(count: usize, given: &[u8], start: usize, seed: u64, model_key: u64) -> Self {
        let mut levels = Vec::with_capacity(count * PIXELS);
        for _ in 0..count {
            levels.extend(
                given
                    .iter()
                    .take(PIXELS)
                    .enumerate()
                    .map(|(i, &l)| if i < start { l } else { 0 }),
            );
        }
        levels.resize(count * PIXELS, 0);
        Self {
            count,
            levels,
            expected: vec![0.0; count * PIXELS],
            next: start.min(PIXELS),
            start: start.min(PIXELS),
            rng: Rng::derive(seed, "pixels"),
            model_key,
        }
    }

    /// Whether every pixel is drawn.
    pub fn done(&self) -> bool {
        self.next >= PIXELS
    }

    /// Draws the next pixel of every image; returns its probabilities (`count · levels`).
    pub fn step(&mut self, model: &dyn PixelModel) -> candle_core::Result<Vec<f32>> {
        if self.done() {
            return Ok(Vec::new());
        }
        let k = model.levels();
        let i = self.next;
        let p = model.conditionals(&self.levels, self.count, i)?;
        for n in 0..self.count {
            let probs = &p[n * k..(n + 1) * k];
            let level = inverse_cdf(probs, self.rng.uniform() as f32);
            self.levels[n * PIXELS + i] = level as u8;
            self.expected[n * PIXELS + i] =
                probs.iter().enumerate().map(|(l, &q)| l as f32 * q).sum::<f32>() / (k - 1).max(1) as f32;
        }
        self.next += 1;
        Ok(p)
    }
}

/// The held-out table, or why it could not be made.
type TableResult = Result<Vec<LikelihoodRow>, String>;

/// The tool's state.
#[derive(Debug, Default)]
pub struct PixelPanel {
    /// What it shows.
    pub mode: PixelMode,
    /// The digit being sampled.
    pub sample: Option<PixelRun>,
    /// The completions.
    pub completion: Option<PixelRun>,
    /// The digit completed (8-bit), its top half kept.
    pub source: Option<Vec<u8>>,
    /// Whether the runs advance on their own.
    pub playing: bool,
    /// Pixels per second.
    pub speed: f32,
    /// Pixels owed to the animation (fractions carry over).
    owed: f64,
    last_frame: Option<f64>,
    /// Whether the receptive field of the next pixel is drawn over the sample.
    pub show_field: bool,
    /// The Likelihood mode's drawing.
    pub canvas: Canvas,
    /// The NLL of the drawing (nats) and per pixel, with the canvas version and model key.
    likelihood: Option<(u64, u64, f32, Vec<f32>)>,
    /// A pinned digit to compare with: its pixels and NLL.
    pub pinned: Option<(Vec<u8>, f32)>,
    /// Seconds per pixel of the last steps (for the readout).
    pub pixel_ms: f32,
    seed: u64,
    /// The exact / approximate / implicit table, once computed, with the model key.
    pub table: Option<(u64, TableResult)>,
    table_rx: Option<(u64, std::sync::mpsc::Receiver<TableResult>)>,
}

impl PixelPanel {
    fn speed(&self) -> f32 {
        if self.speed > 0.0 { self.speed } else { 60.0 }
    }

    /// The NLL (nats) of the drawing, once computed.
    pub fn likelihood(&self) -> Option<f32> {
        self.likelihood.as_ref().map(|l| l.2)
    }

    /// Advances the playing runs by the pixels owed since the last frame (within
    /// [`FRAME_BUDGET`]), or by `steps` pixels when given (Step buttons).
    pub fn advance(&mut self, model: &dyn PixelModel, now: f64, steps: Option<usize>) -> Result<(), String> {
        let dt = self.last_frame.map_or(0.0, |t| (now - t).max(0.0));
        self.last_frame = Some(now);
        let mut todo = match steps {
            Some(n) => n,
            None if self.playing => {
                self.owed = (self.owed + dt * f64::from(self.speed())).min(PIXELS as f64);
                let n = self.owed.floor();
                self.owed -= n;
                n as usize
            }
            None => 0,
        };
        let started = Instant::now();
        let mut drawn = 0usize;
        while todo > 0 && (steps.is_some() || started.elapsed() < FRAME_BUDGET) {
            let run = match self.mode {
                PixelMode::Sample => self.sample.as_mut(),
                PixelMode::Complete => self.completion.as_mut(),
                PixelMode::Likelihood => None,
            };
            let Some(run) = run.filter(|r| !r.done()) else {
                self.playing = false;
                break;
            };
            run.step(model).map_err(|e| e.to_string())?;
            todo -= 1;
            drawn += 1;
        }
        if drawn > 0 {
            self.pixel_ms = started.elapsed().as_secs_f32() * 1000.0 / drawn as f32;
        }
        Ok(())
    }

    /// A new digit to sample (the next seed).
    pub fn new_sample(&mut self, model_key: u64) {
        self.seed += 1;
        self.sample = Some(PixelRun::new(1, &[], 0, self.seed, model_key));
        self.playing = true;
    }

    /// Completions of `digit` (8-bit), its top half kept.
    pub fn complete(&mut self, digit: &[u8], levels: usize, model_key: u64) {
        self.seed += 1;
        let given = levels_of_u8(digit, levels);
        self.completion = Some(PixelRun::new(COMPLETIONS, &given, KEEP, self.seed, model_key));
        self.source = Some(digit.to_vec());
        self.playing = true;
    }
}

/// Grey of a level among `k` (0 black, the top level white).
fn level_gray(level: u8, k: usize) -> u8 {
    (f32::from(level) * 255.0 / (k - 1).max(1) as f32).round() as u8
}

/// A colour for a probability (dark blue → yellow).
fn heat(p: f32) -> egui::Color32 {
    let p = p.clamp(0.0, 1.0);
    let r = (255.0 * p.powf(0.8)) as u8;
    let g = (40.0 + 190.0 * p) as u8;
    let b = (120.0 * (1.0 - p)) as u8;
    egui::Color32::from_rgb(r, g, b)
}

/// Paints a 28×28 image cell by cell: `color(i)` for each pixel, `None` leaves the
/// background.
fn paint_cells(
    ui: &mut egui::Ui,
    side: f32,
    label: &str,
    color: impl Fn(usize) -> Option<egui::Color32>,
) -> egui::Rect {
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::BLACK);
    let cell = side / IMAGE_SIDE as f32;
    for i in 0..PIXELS {
        if let Some(c) = color(i) {
            let (x, y) = ((i % IMAGE_SIDE) as f32, (i / IMAGE_SIDE) as f32);
            let r = egui::Rect::from_min_size(rect.min + egui::vec2(x * cell, y * cell), egui::vec2(cell, cell));
            painter.rect_filled(r, 0.0, c);
        }
    }
    // A frame, so the digit's black stays apart from a black background (presenter mode).
    painter.rect_stroke(
        rect,
        0.0,
        egui::Stroke::new(1.0, egui::Color32::from_gray(110)),
        egui::StrokeKind::Inside,
    );
    rect
}

fn cell_rect(rect: egui::Rect, i: usize) -> egui::Rect {
    let cell = rect.width() / IMAGE_SIDE as f32;
    let (x, y) = ((i % IMAGE_SIDE) as f32, (i / IMAGE_SIDE) as f32);
    egui::Rect::from_min_size(rect.min + egui::vec2(x * cell, y * cell), egui::vec2(cell, cell))
}

/// The tool.
pub(super) fn pixels_ui(ui: &mut egui::Ui, ex: &mut Explorer, preview: Option<&[u8]>) {
    let Some(model) = ex.model.as_ref().and_then(|m| m.pixels.clone()) else {
        ui.label(tr("This model has no pixel-by-pixel view."));
        return;
    };
    let key = ex.model_key;
    ui.horizontal(|ui| {
        let p = &mut ex.pixels;
        ui.selectable_value(&mut p.mode, PixelMode::Sample, tr("Sample"));
        ui.selectable_value(&mut p.mode, PixelMode::Complete, tr("Complete a digit"));
        ui.selectable_value(&mut p.mode, PixelMode::Likelihood, tr("Likelihood"));
    });
    ui.weak(tr(
        "No latent code: the model gives each pixel's probability given the pixels before it, in reading order, and draws one pixel at a time.",
    ));
    ui.separator();
    if ex.pixels.sample.as_ref().is_none_or(|r| r.model_key != key) {
        // A new model starts drawing at once.
        ex.pixels.sample = Some(PixelRun::new(1, &[], 0, ex.pixels.seed, key));
        ex.pixels.playing = ex.pixels.mode == PixelMode::Sample;
        ex.pixels.last_frame = None;
    }
    if ex.pixels.completion.as_ref().is_some_and(|r| r.model_key != key) {
        ex.pixels.completion = None;
    }
    if ex.pixels.mode != PixelMode::Likelihood {
        controls_ui(ui, ex, model.as_ref(), key, preview);
        let now = ui.input(|i| i.time);
        if let Err(e) = ex.pixels.advance(model.as_ref(), now, None) {
            ex.errors.push(tr!("the PixelCNN failed: {error}", error = e));
            ex.pixels.playing = false;
        }
        if ex.pixels.playing {
            ui.ctx().request_repaint();
        }
    }
    let side = (ui.available_height() - 40.0)
        .clamp(140.0, 320.0)
        .min(ui.available_width() / 2.3);
    // The likelihood view stacks its figures and table under the maps: smaller maps, and a
    // scroll bar where the window is short.
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match ex.pixels.mode {
            PixelMode::Sample => sample_ui(ui, &ex.pixels, model.as_ref(), side),
            PixelMode::Complete => complete_ui(ui, ex, model.as_ref(), key, preview, side),
            PixelMode::Likelihood => likelihood_ui(ui, ex, model.as_ref(), key, preview, (side * 0.8).max(140.0)),
        });
}

fn controls_ui(ui: &mut egui::Ui, ex: &mut Explorer, model: &dyn PixelModel, key: u64, preview: Option<&[u8]>) {
    let mut step = None;
    ui.horizontal_wrapped(|ui| {
        let p = &mut ex.pixels;
        let label = if p.playing { tr("Pause") } else { tr("Play") };
        if ui.button(label).clicked() {
            p.playing = !p.playing;
            p.last_frame = None;
        }
        if ui.button(tr("Step one pixel")).clicked() {
            p.playing = false;
            step = Some(1);
        }
        if ui.button(tr("Step one row")).clicked() {
            p.playing = false;
            step = Some(IMAGE_SIDE);
        }
        if ui.button(tr("Finish")).clicked() {
            p.playing = false;
            step = Some(PIXELS);
        }
        match p.mode {
            PixelMode::Sample => {
                if ui.button(tr("New digit")).clicked() {
                    p.new_sample(key);
                }
                ui.checkbox(&mut p.show_field, tr("Show what the next pixel sees"));
            }
            PixelMode::Complete => {
                if ui.button(tr("Again")).clicked()
                    && let Some(src) = p.source.clone()
                {
                    p.complete(&src, model.levels(), key);
                }
            }
            PixelMode::Likelihood => {}
        }
    });
    // The speed slider on a row of its own, so it stays inside the window in presenter mode.
    ui.horizontal(|ui| {
        let p = &mut ex.pixels;
        let l = ui.label(tr("Speed (pixels/s)"));
        let mut speed = p.speed();
        ui.add(
            egui::Slider::new(&mut speed, 1.0..=2000.0)
                .logarithmic(true)
                .max_decimals(0),
        )
        .labelled_by(l.id);
        p.speed = speed;
    });
    if ex.pixels.mode == PixelMode::Complete
        && ex.pixels.completion.is_none()
        && let Some(first) = preview.and_then(|p| p.get(..PIXELS))
    {
        let first = first.to_vec();
        ex.pixels.complete(&first, model.levels(), key);
        ex.pixels.playing = false;
    }
    if let Some(n) = step {
        let now = ui.input(|i| i.time);
        if let Err(e) = ex.pixels.advance(model, now, Some(n)) {
            ex.errors.push(tr!("the PixelCNN failed: {error}", error = e));
        }
    }
}

fn sample_ui(ui: &mut egui::Ui, p: &PixelPanel, model: &dyn PixelModel, side: f32) {
    let Some(run) = &p.sample else {
        return;
    };
    let k = model.levels();
    let next = run.next;
    let field = (p.show_field && next < PIXELS).then(|| model.receptive_field(next));
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.strong(tr("The digit so far"));
            let rect = paint_cells(ui, side, tr("The digit so far"), |i| {
                let inside = field.as_ref().is_some_and(|f| f[i]);
                if i < next {
                    let g = level_gray(run.levels[i], k);
                    Some(if inside {
                        egui::Color32::from_rgb(g / 2 + 40, g / 2 + 90, g / 2 + 40)
                    } else {
                        egui::Color32::from_gray(g)
                    })
                } else if inside {
                    Some(egui::Color32::from_rgb(30, 80, 30))
                } else {
                    Some(UNDRAWN)
                }
            });
            if next < PIXELS {
                ui.painter().rect_stroke(
                    cell_rect(rect, next),
                    0.0,
                    egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 80, 80)),
                    egui::StrokeKind::Outside,
                );
            }
        });
        ui.vertical(|ui| {
            ui.strong(if k == 2 {
                tr("p(ink) when each pixel was drawn")
            } else {
                tr("Expected grey when each pixel was drawn")
            });
            paint_cells(ui, side, tr("Probability heat map"), |i| {
                (i < next).then(|| heat(run.expected[i]))
            });
            heat_legend(ui, side, "0", "1");
        });
    });
    let text = if next == 0 {
        tr("Press Play or Step: the first pixel has nothing before it to read.").to_string()
    } else if next < PIXELS {
        let last = next - 1;
        tr!(
            "Pixel {i} (row {r}, column {c}): p(ink) was {p}; {n} of 784 drawn, {ms} ms per pixel.",
            i = last,
            r = last / IMAGE_SIDE,
            c = last % IMAGE_SIDE,
            p = format!("{:.2}", run.expected[last]),
            n = next,
            ms = format!("{:.2}", p.pixel_ms)
        )
    } else {
        tr!(
            "Done: 784 pixels, each one pass of the network ({ms} ms per pixel). A GAN or a VAE draws the whole digit in one pass.",
            ms = format!("{:.2}", p.pixel_ms)
        )
    };
    ui.label(text);
    if p.show_field {
        ui.weak(tr(
            "Green: the pixels the next one (red) can see through the masks. The blank wedge up and to its right is the plain PixelCNN's blind spot.",
        ));
    }
}

fn heat_legend(ui: &mut egui::Ui, side: f32, low: &str, high: &str) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, 10.0), egui::Sense::hover());
    let n = 32;
    for j in 0..n {
        let x0 = rect.min.x + rect.width() * j as f32 / n as f32;
        let r = egui::Rect::from_min_size(
            egui::pos2(x0, rect.min.y),
            egui::vec2(rect.width() / n as f32 + 0.5, 10.0),
        );
        ui.painter().rect_filled(r, 0.0, heat(j as f32 / (n - 1) as f32));
    }
    ui.horizontal(|ui| {
        ui.weak(low);
        ui.add_space(side - 40.0);
        ui.weak(high);
    });
}

fn complete_ui(
    ui: &mut egui::Ui,
    ex: &mut Explorer,
    model: &dyn PixelModel,
    key: u64,
    preview: Option<&[u8]>,
    side: f32,
) {
    let k = model.levels();
    let thumb = (side * 0.55).max(90.0);
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.strong(tr("Pick a digit"));
            if let Some(preview) = preview
                && let Some(n) = real_digits_ui(ui, &preview[..preview.len().min(32 * PIXELS)], thumb * 1.6, 8)
            {
                let digit = preview[n * PIXELS..(n + 1) * PIXELS].to_vec();
                ex.pixels.complete(&digit, k, key);
            }
            if ui
                .button(tr("Complete the Likelihood drawing"))
                .on_hover_text(tr("Draw a digit in the Likelihood view, then complete its bottom half here"))
                .clicked()
            {
                let drawing = ex.pixels.canvas.ink.clone();
                ex.pixels.complete(&drawing, k, key);
            }
            if let Some(src) = &ex.pixels.source {
                ui.strong(tr("Given: the top half"));
                // The top half as the model reads it (its levels); the rest dimmed.
                paint_cells(ui, thumb, tr("The digit completed"), |i| {
                    Some(if i < KEEP {
                        egui::Color32::from_gray(level_gray(crate::family::pixelcnn::level_of_u8(src[i], k), k))
                    } else {
                        egui::Color32::from_gray(src[i] / 4)
                    })
                });
            }
        });
        ui.separator();
        ui.vertical(|ui| {
            ui.strong(tr!("{n} completions of the bottom half", n = COMPLETIONS));
            if let Some(run) = &ex.pixels.completion {
                ui.horizontal_wrapped(|ui| {
                    for n in 0..run.count {
                        let rect = paint_cells(ui, thumb, tr("A completion"), |i| {
                            if i < run.next {
                                Some(egui::Color32::from_gray(level_gray(run.levels[n * PIXELS + i], k)))
                            } else {
                                Some(UNDRAWN)
                            }
                        });
                        let y = rect.min.y + rect.height() * 14.0 / 28.0;
                        ui.painter().hline(
                            rect.x_range(),
                            y,
                            egui::Stroke::new(1.0, egui::Color32::from_rgb(200, 80, 80)),
                        );
                    }
                });
                ui.weak(tr!(
                    "Above the red line: kept bit for bit. Below: drawn by the model, {n} of 392 pixels so far. Different completions show the spread of what it believes.",
                    n = run.next.saturating_sub(run.start)
                ));
            }
        });
    });
}

fn likelihood_ui(
    ui: &mut egui::Ui,
    ex: &mut Explorer,
    model: &dyn PixelModel,
    key: u64,
    preview: Option<&[u8]>,
    side: f32,
) {
    let k = model.levels();
    let name = ex.model.as_ref().map_or_else(String::new, |m| m.name.clone());
    let shared = ex.model.as_ref().and_then(|m| m.pixels.clone());
    let p = &mut ex.pixels;
    let version = p.canvas.version;
    if p.likelihood.as_ref().is_none_or(|l| l.0 != version || l.1 != key) {
        match model.nll(&levels_of_u8(&p.canvas.ink, k)) {
            Ok((per_image, per_pixel)) => {
                p.likelihood = Some((version, key, per_image.first().copied().unwrap_or(f32::NAN), per_pixel));
            }
            Err(e) => {
                ex.errors.push(tr!("the PixelCNN failed: {error}", error = e));
                return;
            }
        }
    }
    let p = &mut ex.pixels;
    let Some((_, _, nll, per_pixel)) = p.likelihood.clone() else {
        return;
    };
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.strong(tr("Draw a digit, or pick a real one"));
            canvas_ui(ui, &mut p.canvas, side);
            ui.horizontal(|ui| {
                if ui.button(tr("Clear")).clicked() {
                    p.canvas.clear();
                }
                if ui
                    .button(tr("Pin for comparison"))
                    .on_hover_text(tr("Keep this digit and its likelihood, then draw another"))
                    .clicked()
                {
                    p.pinned = Some((p.canvas.ink.clone(), nll));
                }
            });
            if let Some(preview) = preview
                && let Some(n) = real_digits_ui(ui, &preview[..preview.len().min(16 * PIXELS)], side, 8)
            {
                p.canvas.set(&preview[n * PIXELS..(n + 1) * PIXELS]);
            }
        });
        ui.vertical(|ui| {
            ui.strong(tr("Where the surprise is (−log p per pixel)"));
            // A fixed scale, so maps of different digits compare: brightest at 5 nats (the
            // model gave the pixel's level a probability of 0.7 % or less).
            let top = per_pixel.iter().copied().fold(0f32, f32::max);
            paint_cells(ui, side, tr("Surprise map"), |i| Some(heat(per_pixel[i] / SURPRISE_SCALE)));
            heat_legend(ui, side, "0", "5+");
            ui.weak(tr!("Most surprising pixel: {v} nats", v = format!("{top:.2}")));
            ui.add_space(6.0);
            ui.heading(tr!(
                "NLL {nats} nats = {bits} bits per pixel",
                nats = format!("{nll:.1}"),
                bits = format!("{:.3}", crate::family::pixelcnn::bits_per_pixel(nll))
            ));
            ui.label(tr!(
                "The model gives this exact digit a probability of e^−{nats}: the product of its 784 one-pixel probabilities.",
                nats = format!("{nll:.1}")
            ));
            if let Some((pinned, pinned_nll)) = &p.pinned {
                ui.separator();
                ui.horizontal(|ui| {
                    paint_cells(ui, 56.0, tr("The pinned digit"), |i| Some(egui::Color32::from_gray(pinned[i])));
                    ui.label(tr!("Pinned digit: NLL {nats} nats", nats = format!("{pinned_nll:.1}")));
                });
                let d = pinned_nll - nll;
                let text = if d.abs() < 0.05 {
                    tr("The model finds both equally likely.").to_string()
                } else if d > 0.0 {
                    tr!(
                        "The model finds this digit more likely than the pinned one, by {d} nats (about e^{d} times).",
                        d = format!("{d:.1}")
                    )
                } else {
                    tr!(
                        "The model finds the pinned digit more likely than this one, by {d} nats (about e^{d} times).",
                        d = format!("{:.1}", -d)
                    )
                };
                ui.strong(text);
            }
            if let Some(shared) = &shared {
                table_ui(ui, p, shared, key, &name);
            }
        });
    });
}

/// The exact / approximate / implicit table on the held-out digits: computed on a thread
/// when asked (a few seconds), then shown.
fn table_ui(ui: &mut egui::Ui, p: &mut PixelPanel, model: &std::sync::Arc<dyn PixelModel>, key: u64, name: &str) {
    if let Some((k, rx)) = &p.table_rx
        && let Ok(result) = rx.try_recv()
    {
        p.table = Some((*k, result));
        p.table_rx = None;
    }
    ui.separator();
    ui.strong(tr("Exact, approximate, implicit"));
    match &p.table {
        Some((k, Ok(rows))) if *k == key => {
            egui::Grid::new("likelihood_table").striped(true).show(ui, |ui| {
                ui.strong(tr("Model"));
                ui.strong(tr("Held-out digits: nats per digit"));
                ui.end_row();
                for r in rows {
                    let name = match super::i18n::lang() {
                        super::i18n::Lang::Ko => super::i18n::korean_of(&r.model).unwrap_or(&r.model),
                        super::i18n::Lang::En => r.model.as_str(),
                    };
                    ui.label(name);
                    ui.label(match (r.kind, r.nats) {
                        (LikelihoodKind::Exact, Some(n)) => tr!("{n} (exact NLL)", n = format!("{n:.1}")),
                        (LikelihoodKind::Bound, Some(n)) => tr!("≤ {n} (−ELBO, a bound)", n = format!("{n:.1}")),
                        _ => tr("none: a GAN has no likelihood").to_string(),
                    });
                    ui.end_row();
                }
            });
            ui.weak(tr!(
                "On the last {n} embedded digits, held out of every shipped model, black and white at half grey. The VAE's number bounds its NLL from above.",
                n = crate::quality::HELD_OUT
            ));
        }
        Some((k, Err(e))) if *k == key => {
            ui.colored_label(ui.visuals().error_fg_color, e.as_str());
        }
        _ if p.table_rx.as_ref().is_some_and(|(k, _)| *k == key) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr("Measuring 1,000 held-out digits…"));
            });
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        _ => {
            if ui
                .button(tr("Compare with a VAE and a GAN on held-out digits"))
                .clicked()
            {
                let (tx, rx) = std::sync::mpsc::channel();
                let (model, name) = (model.clone(), name.to_string());
                let ctx = ui.ctx().clone();
                let spawned = std::thread::Builder::new()
                    .name("likelihood-table".into())
                    .spawn(move || {
                        let result = compare_on_held_out(&name, model.as_ref(), crate::quality::HELD_OUT);
                        let _ = tx.send(result);
                        ctx.request_repaint();
                    });
                match spawned {
                    Ok(_) => p.table_rx = Some((key, rx)),
                    Err(e) => p.table = Some((key, Err(e.to_string()))),
                }
            }
        }
    }
}
