//! The explorer's Draw tool: draw a digit with the mouse on a 28×28 canvas, or take a real
//! one from the data. A model with an encoder (an autoencoder, a VAE) encodes it at once —
//! z jumps to its code, the large image shows the decoder's reconstruction, and the sliders,
//! the interpolation and the arithmetic go on from that z. A GAN has no encoder: *Find z*
//! inverts it ([`crate::latent::invert`], on the job thread) and shows the search
//! converging, step by step, before z jumps to what it found.

use eframe::egui;

use super::explorer::{Explorer, Pick, Tool};
use super::i18n::tr;
use crate::latent::PIXELS;
use crate::nets::IMAGE_SIDE;
use crate::tr;

/// Brush radius, in pixels of the 28×28 image (MNIST strokes are 2–3 pixels wide).
const BRUSH: f32 = 1.3;

/// A 28×28 drawing: 0 is background, 255 is ink.
#[derive(Clone)]
pub struct Canvas {
    /// The pixels, row-major.
    pub ink: Vec<u8>,
    /// Where the pointer was on the previous frame of a stroke (canvas pixels).
    last: Option<egui::Pos2>,
    /// Bumped on every change (what the code was computed from).
    pub version: u64,
    encoded: Option<(u64, u64)>,
    /// The model key an inversion is running for.
    pub inverting: Option<u64>,
    /// The last inversion, with the model key it belongs to.
    pub inversion: Option<(u64, crate::latent::invert::Inversion)>,
    /// The path's images as a texture (cleared when a new inversion arrives).
    pub(super) path_tex: Option<egui::TextureHandle>,
    /// What the brush does: ink (never lightening a pixel), or `Some(v)`: set the pixels it
    /// covers to `v` (the translation tool's eraser and hole marker).
    pub paint: Option<u8>,
}

impl std::fmt::Debug for Canvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canvas")
            .field("version", &self.version)
            .field("inked", &self.ink.iter().filter(|&&p| p > 0).count())
            .field("inverting", &self.inverting)
            .finish_non_exhaustive()
    }
}

impl Default for Canvas {
    fn default() -> Self {
        Self {
            ink: vec![0; PIXELS],
            last: None,
            version: 0,
            encoded: None,
            inverting: None,
            inversion: None,
            path_tex: None,
            paint: None,
        }
    }
}

impl Canvas {
    /// Inks a round brush at `p` (in canvas pixels, 0–28), never lightening a pixel.
    fn dab(&mut self, p: egui::Pos2) {
        let side = IMAGE_SIDE as i32;
        let reach = BRUSH.ceil() as i32 + 1;
        let (cx, cy) = (p.x.floor() as i32, p.y.floor() as i32);
        for y in (cy - reach).max(0)..=(cy + reach).min(side - 1) {
            for x in (cx - reach).max(0)..=(cx + reach).min(side - 1) {
                let d = egui::vec2(x as f32 + 0.5 - p.x, y as f32 + 0.5 - p.y).length();
                let v = ((BRUSH + 0.7 - d) / 0.9).clamp(0.0, 1.0);
                let px = &mut self.ink[(y * side + x) as usize];
                match self.paint {
                    None => *px = (*px).max((v * 255.0).round() as u8),
                    Some(value) if v >= 0.5 => *px = value,
                    Some(_) => {}
                }
            }
        }
    }

    /// A stroke from the previous point to `p` (dabs every half pixel), or a dot.
    pub fn stroke_to(&mut self, p: egui::Pos2) {
        let from = self.last.unwrap_or(p);
        let steps = ((p - from).length() * 2.0).ceil().max(1.0) as usize;
        for i in 0..=steps {
            self.dab(from + (p - from) * (i as f32 / steps as f32));
        }
        self.last = Some(p);
        self.version += 1;
    }

    /// Ends the current stroke.
    pub fn lift(&mut self) {
        self.last = None;
    }

    /// Replaces the drawing (a real digit to edit).
    pub fn set(&mut self, pixels: &[u8]) {
        if pixels.len() == PIXELS {
            self.ink.copy_from_slice(pixels);
            self.last = None;
            self.version += 1;
        }
    }

    /// Wipes the drawing.
    pub fn clear(&mut self) {
        self.set(&[0; PIXELS]);
    }
}

/// The Draw tool: the canvas, the real digits to start from, and the reconstruction (or,
/// for a GAN, the inversion's path).
pub(super) fn draw_ui(ui: &mut egui::Ui, ex: &mut Explorer, preview: Option<&[u8]>) {
    let Some(model) = ex.model.clone() else {
        return;
    };
    let encoder = model.encoder.is_some();
    let avail = ui.available_size();
    let side = (avail.y - 170.0).min(avail.x * 0.32).clamp(140.0, 420.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.strong(tr("Your drawing"));
            ui.weak(tr("Draw inside the square, as MNIST's digits are."));
            canvas_ui(ui, &mut ex.canvas, side);
            ui.horizontal(|ui| {
                if ui.button(tr("Clear")).clicked() {
                    ex.canvas.clear();
                }
                if !encoder {
                    let running = ex.canvas.inverting.is_some();
                    let find = ui
                        .add_enabled(!running, egui::Button::new(tr("Find z")))
                        .on_hover_text(tr(
                            "A GAN has no encoder: search for the z whose image is closest to the drawing (gradient descent through G)",
                        ));
                    if find.clicked() {
                        ex.canvas.inverting = Some(ex.model_key);
                        ex.canvas.inversion = None;
                        let job = crate::latent::jobs::Job::Invert {
                            model: model.clone(),
                            target: ex.canvas.ink.clone(),
                            start: ex.z.clone(),
                        };
                        ex.submit(job);
                    }
                    if running {
                        ui.spinner();
                    }
                }
                if ui
                    .button(tr("Edit with the sliders"))
                    .on_hover_text(tr("Go on from this code with one slider per dimension"))
                    .clicked()
                {
                    ex.settings.tool = Tool::Sliders;
                }
            });
            ui.horizontal(|ui| {
                let pick = || Pick {
                    z: ex.z.clone(),
                    label: tr("the drawing").into(),
                    seed: None,
                };
                if ui.button(tr("Use as A")).clicked() {
                    ex.a = Some(pick());
                }
                if ui.button(tr("Use as B")).clicked() {
                    ex.b = Some(pick());
                }
            });
            ui.weak(tr("A and B: interpolate between two drawn or real digits."));
        });
        ui.separator();
        ui.vertical(|ui| {
            let title = if encoder {
                tr("Decoded from its code")
            } else {
                tr("Decoded from z")
            };
            ui.strong(title);
            let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, tr("Reconstruction")));
            ex.ensure_image(ui.ctx());
            super::latent::paint_image(ui, rect, ex.image_tex.texture.as_ref());
            let z: Vec<String> = ex.z.iter().take(8).map(|v| format!("{v:.2}")).collect();
            let more = if ex.z.len() > 8 { " …" } else { "" };
            ui.weak(format!("z = [{}{more}]", z.join(", ")));
            if !encoder {
                inversion_ui(ui, ex, side);
            }
        });
        if let Some(preview) = preview {
            ui.separator();
            ui.vertical(|ui| {
                ui.strong(tr("Real digits"));
                ui.weak(tr("Click one to put it on the canvas."));
                if let Some(i) = real_digits_ui(ui, preview, side, 8) {
                    ex.canvas.set(&preview[i * PIXELS..(i + 1) * PIXELS]);
                }
            });
        }
    });
    if encoder {
        encode_if_changed(ex);
    }
}

/// The inversion's path: the image at a few steps of the search, with its distance.
fn inversion_ui(ui: &mut egui::Ui, ex: &mut Explorer, width: f32) {
    let key = ex.model_key;
    let Some((k, inv)) = &ex.canvas.inversion else {
        ui.weak(tr("Draw a digit, then Find z: the search's path shows here."));
        return;
    };
    if *k != key || inv.path.is_empty() {
        return;
    }
    if ex.canvas.path_tex.is_none() {
        let px: Vec<u8> = inv.path.iter().flat_map(|(_, _, img)| img.clone()).collect();
        let img = crate::export::grid(&px, IMAGE_SIDE, inv.path.len(), 2);
        let tex = ui.ctx().load_texture(
            "inversion_path",
            super::samples::color_image(&img),
            egui::TextureOptions::NEAREST,
        );
        ex.canvas.path_tex = Some(tex);
    }
    ui.strong(tr("The search for z"));
    if let Some(tex) = &ex.canvas.path_tex {
        let n = inv.path.len() as f32;
        let h = width / n;
        ui.add(egui::Image::new((tex.id(), egui::vec2(width, h))).alt_text(tr("The inversion's path")));
    }
    let steps: Vec<String> = inv
        .path
        .iter()
        .map(|(s, _, _)| format!("{s}: {:.3}", inv.loss.get(*s).copied().unwrap_or(f32::NAN)))
        .collect();
    ui.weak(tr!(
        "step: squared distance per pixel — {steps}",
        steps = steps.join(" · ")
    ));
}

/// Encodes the canvas when it changed since the last code (or the model did).
pub(super) fn encode_if_changed(ex: &mut Explorer) {
    let key = (ex.canvas.version, ex.model_key);
    if ex.canvas.encoded == Some(key) || ex.canvas.version == 0 {
        return;
    }
    ex.canvas.encoded = Some(key);
    let Some(model) = &ex.model else {
        return;
    };
    match model.encode_images(&ex.canvas.ink) {
        Ok(Some(z)) => ex.set_z(z, None),
        Ok(None) => {}
        Err(e) => ex.errors.push(tr!("cannot encode the drawing: {error}", error = e)),
    }
}

/// The canvas: a `side` × `side` square of 28×28 cells; dragging inks it.
pub(super) fn canvas_ui(ui: &mut egui::Ui, canvas: &mut Canvas, side: f32) {
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::drag());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, tr("Drawing canvas")));
    let cell = side / IMAGE_SIDE as f32;
    if (resp.dragged() || resp.drag_started())
        && let Some(pos) = resp.interact_pointer_pos()
    {
        let p = ((pos - rect.min) / cell).to_pos2();
        canvas.stroke_to(p);
    }
    if resp.drag_stopped() {
        canvas.lift();
    }
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::BLACK);
    for (i, &v) in canvas.ink.iter().enumerate() {
        if v == 0 {
            continue;
        }
        let (x, y) = ((i % IMAGE_SIDE) as f32, (i / IMAGE_SIDE) as f32);
        let r = egui::Rect::from_min_size(rect.min + egui::vec2(x * cell, y * cell), egui::vec2(cell, cell));
        painter.rect_filled(r, 0.0, egui::Color32::from_gray(v));
    }
    // MNIST's digits sit in a 20×20 box in the middle of the 28×28 image: a faint guide, so
    // drawings come out the size the models learned.
    let guide = egui::Rect::from_min_size(
        rect.min + egui::vec2(4.0 * cell, 4.0 * cell),
        egui::vec2(20.0 * cell, 20.0 * cell),
    );
    painter.rect_stroke(
        guide,
        0.0,
        egui::Stroke::new(1.0, egui::Color32::from_gray(70)),
        egui::StrokeKind::Inside,
    );
    painter.rect_stroke(
        rect,
        0.0,
        ui.visuals().widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
}

/// The data's preview digits as a grid `cols` wide in `side` pixels; returns the one clicked.
pub(super) fn real_digits_ui(ui: &mut egui::Ui, preview: &[u8], side: f32, cols: usize) -> Option<usize> {
    let n = preview.len() / PIXELS;
    let cols = cols.max(1);
    let rows = n.div_ceil(cols).max(1);
    let cell = side / cols as f32;
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, cell * rows as f32), egui::Sense::click());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, tr("Real digits to encode")));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::BLACK);
    let px = cell / IMAGE_SIDE as f32;
    for k in 0..n {
        let origin = rect.min + egui::vec2((k % cols) as f32 * cell, (k / cols) as f32 * cell);
        let img = &preview[k * PIXELS..(k + 1) * PIXELS];
        // Two-by-two blocks keep the painter's work small (a thumbnail needs no more).
        for y in (0..IMAGE_SIDE).step_by(2) {
            for x in (0..IMAGE_SIDE).step_by(2) {
                let v = [
                    img[y * 28 + x],
                    img[y * 28 + x + 1],
                    img[(y + 1) * 28 + x],
                    img[(y + 1) * 28 + x + 1],
                ]
                .iter()
                .map(|&p| u32::from(p))
                .sum::<u32>()
                    / 4;
                if v > 8 {
                    let r = egui::Rect::from_min_size(
                        origin + egui::vec2(x as f32 * px, y as f32 * px),
                        egui::vec2(2.0 * px, 2.0 * px),
                    );
                    painter.rect_filled(r, 0.0, egui::Color32::from_gray(v as u8));
                }
            }
        }
    }
    let pos = resp.interact_pointer_pos()?;
    if !resp.clicked() {
        return None;
    }
    let rel = pos - rect.min;
    let (c, r) = ((rel.x / cell) as usize, (rel.y / cell) as usize);
    let k = r * cols + c;
    (c < cols && k < n).then_some(k)
}
