//! The explorer's Translate tool, for an image-to-image model (pix2pix, CycleGAN): an input
//! you can draw on, erase or mark with holes — or a held-out real digit made into the model's
//! input (with a hole, at low resolution, as a sketch, under noise; in CycleGAN's style A), or
//! a PNG opened or dropped on the window — translated at once, beside the PatchGAN's verdict
//! on each patch of the output, for CycleGAN the output translated back by F (the cycle), the
//! target where there is one (the real digit; for CycleGAN the same digit in style B, a pair
//! it never trained on), and what the digit judge reads in each.
//!
//! One translation is one U-Net pass over one 28×28 image (about a millisecond), done on
//! the UI thread when the input or the model changes; the bytes translated are the ones
//! `latent-lab translate` reads from the same PNG, so both give the same output.

use eframe::egui;

use super::ablation::{self, AblationPanel};
use super::draw::{Canvas, canvas_ui};
use super::explorer::Explorer;
use super::families::pix2pix::loss_label;
use super::i18n::tr;
use crate::data::paired::HOLE;
use crate::family::Translator;
use crate::latent::PIXELS;
use crate::nets::IMAGE_SIDE;
use crate::nets::unet::PATCH_SIDE;
use crate::rng::Rng;
use crate::tr;

/// Held-out digits the tool steps through.
pub const REAL_DIGITS: usize = 100;
/// Held-out digits in the strip under the images.
pub const STRIP_DIGITS: usize = 8;

/// What the brush does on the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Brush {
    /// Draws ink.
    #[default]
    Ink,
    /// Marks a hole (mid grey), as the inpainting task does.
    Hole,
    /// Paints background.
    Erase,
}

impl Brush {
    fn paint(self) -> Option<u8> {
        match self {
            Brush::Ink => None,
            Brush::Hole => Some(HOLE),
            Brush::Erase => Some(0),
        }
    }
}

/// One translation and what was measured of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// (model key, input version) it was made for.
    pub key: (u64, u64),
    /// The output, 784 bytes.
    pub output: Vec<u8>,
    /// The PatchGAN's probability "real pair" per patch (7×7).
    pub patches: Vec<f32>,
    /// The judge's class and probability for the output, and for the input.
    pub judged: Option<[(usize, f32); 2]>,
    /// The output translated back (CycleGAN's F(G(a))), for a model with a way back.
    pub back: Option<Vec<u8>>,
}

/// The tool's state.
#[derive(Debug, Default)]
pub struct TranslatePanel {
    /// The input (drawn on, or made from a real digit).
    pub input: Canvas,
    /// The brush.
    pub brush: Brush,
    /// What the translation of the input should be (the real digit it was made from; for
    /// CycleGAN that digit in style B), and its index among the held-out digits.
    pub target: Option<(usize, Vec<u8>)>,
    /// The model key the input was made for (a real digit is made afresh for another model).
    made_for: Option<u64>,
    /// The latest translation.
    pub result: Option<Translation>,
    /// The strip of held-out digits for the model key: inputs, outputs, targets (784 bytes each).
    pub strip: Option<(u64, [Vec<u8>; 3])>,
    /// pix2pix's ablation: the input through the three shipped inpainting models.
    pub ablation: AblationPanel,
}

impl TranslatePanel {
    /// Held-out digit `k` (modulo those there are): its target for `model` and `model`'s
    /// input made from it.
    fn real(model: &dyn Translator, k: usize) -> Result<(usize, Vec<u8>, Vec<u8>), String> {
        let digits = crate::quality::likelihood::held_out_digits(REAL_DIGITS)?;
        let n = digits.len() / PIXELS;
        if n == 0 {
            return Err(tr("there are no held-out digits").into());
        }
        let k = k % n;
        let digit = digits[k * PIXELS..(k + 1) * PIXELS].to_vec();
        let input = model.prepare(&digit, &mut Rng::derive(k as u64, "translate.tool"));
        Ok((k, model.target(&digit), input))
    }

    /// Makes held-out digit `k` into `model`'s input.
    pub fn take_real(&mut self, model: &dyn Translator, model_key: u64, k: usize) -> Result<(), String> {
        let (k, digit, input) = Self::real(model, k)?;
        self.input.set(&input);
        self.target = Some((k, digit));
        self.made_for = Some(model_key);
        Ok(())
    }

    /// The strip's held-out digits, their inputs and their translations, once per model.
    fn refresh_strip(&mut self, model: &dyn Translator, model_key: u64) -> Result<(), String> {
        if self.strip.as_ref().is_some_and(|(k, _)| *k == model_key) {
            return Ok(());
        }
        let (mut inputs, mut digits) = (Vec::new(), Vec::new());
        for k in 0..STRIP_DIGITS {
            let (_, digit, input) = Self::real(model, k)?;
            inputs.extend(input);
            digits.extend(digit);
        }
        let outputs = model.translate_u8(&inputs).map_err(|e| e.to_string())?;
        self.strip = Some((model_key, [inputs, outputs, digits]));
        Ok(())
    }

    /// Puts an image file on the input (fitted into 28×28, light backgrounds inverted).
    pub fn load_file(&mut self, path: &std::path::Path) -> Result<(), String> {
        let image = crate::data::image_folder::load_image(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.input.set(&image.pixels);
        self.target = None;
        Ok(())
    }

    /// Translates the input if it or the model changed since the last translation.
    pub fn refresh(&mut self, model: &dyn Translator, model_key: u64) -> Result<(), String> {
        if self.made_for != Some(model_key) {
            // A new model: the first real digit, or the same one made into this model's input.
            let k = match (&self.target, self.made_for) {
                (Some((k, _)), _) => Some(*k),
                (None, None) => Some(0),
                (None, Some(_)) => None,
            };
            match k {
                Some(k) => self.take_real(model, model_key, k)?,
                None => self.made_for = Some(model_key),
            }
        }
        self.refresh_strip(model, model_key)?;
        if self.ablation.on && ablation::applies_to(model) {
            let strip = self.strip.as_ref().map_or(&[][..], |(_, [inputs, _, _])| &inputs[..]);
            if let Err(e) = self
                .ablation
                .refresh(&self.input.ink, self.input.version, model_key, strip)
            {
                self.ablation.on = false;
                return Err(e);
            }
        }
        let key = (model_key, self.input.version);
        if self.result.as_ref().is_some_and(|r| r.key == key) {
            return Ok(());
        }
        let output = model.translate_u8(&self.input.ink).map_err(|e| e.to_string())?;
        let patches = model.patches(&self.input.ink, &output).map_err(|e| e.to_string())?;
        let back = model
            .translate_back_u8(&output)
            .transpose()
            .map_err(|e| e.to_string())?;
        let judged = crate::quality::Judge::shipped().ok().and_then(|j| {
            let mut both = output.clone();
            both.extend_from_slice(&self.input.ink);
            let v = j.judge_u8(&both).ok()?;
            Some([v.top(0), v.top(1)])
        });
        self.result = Some(Translation {
            key,
            output,
            patches,
            judged,
            back,
        });
        Ok(())
    }
}

/// A 28×28 image as cells; `overlay` tints each patch of the 7×7 map.
fn image_ui(
    ui: &mut egui::Ui,
    px: &[u8],
    side: f32,
    label: &str,
    overlay: Option<&[f32]>,
    sense: egui::Sense,
) -> egui::Response {
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, side), sense);
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::BLACK);
    let cell = side / IMAGE_SIDE as f32;
    for (i, &v) in px.iter().enumerate().take(PIXELS) {
        if v == 0 {
            continue;
        }
        let (x, y) = ((i % IMAGE_SIDE) as f32, (i / IMAGE_SIDE) as f32);
        let r = egui::Rect::from_min_size(rect.min + egui::vec2(x * cell, y * cell), egui::vec2(cell, cell));
        painter.rect_filled(r, 0.0, egui::Color32::from_gray(v));
    }
    if let Some(map) = overlay {
        let block = side / PATCH_SIDE as f32;
        for (i, &p) in map.iter().enumerate().take(PATCH_SIDE * PATCH_SIDE) {
            let (x, y) = ((i % PATCH_SIDE) as f32, (i / PATCH_SIDE) as f32);
            let r = egui::Rect::from_min_size(rect.min + egui::vec2(x * block, y * block), egui::vec2(block, block));
            painter.rect_filled(r, 0.0, verdict_color(p).gamma_multiply(0.6));
        }
    }
    // A frame, so black pixels stay apart from a black background (presenter mode).
    painter.rect_stroke(
        rect,
        0.0,
        egui::Stroke::new(1.0, egui::Color32::from_gray(110)),
        egui::StrokeKind::Inside,
    );
    resp
}

/// Red for "fake", green for "real", through grey at 0.5.
fn verdict_color(p: f32) -> egui::Color32 {
    let p = p.clamp(0.0, 1.0);
    let lerp = |a: f32, b: f32| (a + (b - a) * p).round() as u8;
    egui::Color32::from_rgb(lerp(220.0, 40.0), lerp(50.0, 190.0), lerp(50.0, 80.0))
}

fn judged_text(j: (usize, f32)) -> String {
    tr!(
        "the judge reads {digit} ({percent} %)",
        digit = j.0,
        percent = format!("{:.0}", j.1 * 100.0)
    )
}

/// The tool.
pub(super) fn translate_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let Some(model) = ex.model.as_ref().and_then(|m| m.translator.clone()) else {
        ui.label(tr("This model does not translate images."));
        return;
    };
    let key = ex.model_key;
    let p = &mut ex.translate;
    if let Err(e) = p.refresh(model.as_ref(), key) {
        ex.errors.push(tr!("cannot translate: {error}", error = e));
        return;
    }
    let cycle = p.result.as_ref().is_some_and(|r| r.back.is_some());
    let offer_ablation = !cycle && ablation::applies_to(model.as_ref());
    if cycle {
        ui.weak(tr!(
            "Trained without pairs for {task}: G turns an input like the first image into the other style, and F turns G's output back (the cycle). Draw on the input, erase part of it, take another held-out digit or open a PNG (or drop one on the window): both follow at once.",
            task = tr(model.task_label())
        ));
    } else {
        ui.weak(tr!(
            "Trained for {task}: the model turns an input like the first image into the whole digit. Draw on the input, mark or erase part of it, take another held-out digit or open a PNG (or drop one on the window): the output follows at once.",
            task = tr(model.task_label())
        ));
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(tr("Brush"));
        ui.selectable_value(&mut p.brush, Brush::Ink, tr("Ink"));
        if !cycle {
            ui.selectable_value(&mut p.brush, Brush::Hole, tr("Hole (grey)"))
                .on_hover_text(tr("Mark pixels as missing, as the inpainting task does"));
        }
        ui.selectable_value(&mut p.brush, Brush::Erase, tr("Erase"));
        ui.separator();
        if ui
            .button(tr("Next held-out digit"))
            .on_hover_text(tr("A digit no shipped model trained on, made into this model's input"))
            .clicked()
        {
            let k = p.target.as_ref().map_or(0, |(k, _)| k + 1);
            if let Err(e) = p.take_real(model.as_ref(), key, k) {
                ex.errors.push(e);
            }
        }
        if ui.button(tr("Clear")).clicked() {
            p.input.clear();
            p.target = None;
        }
        if ui.button(tr("Open image…")).clicked()
            && let Some(path) = rfd::FileDialog::new()
                .set_title(tr("Open an image to translate"))
                .add_filter(tr("Images"), &crate::data::image_folder::IMAGE_EXTENSIONS)
                .pick_file()
            && let Err(e) = p.load_file(&path)
        {
            ex.errors.push(e);
        }
        if offer_ablation {
            ui.separator();
            if ui
                .checkbox(&mut p.ablation.on, tr("Compare G's losses"))
                .on_hover_text(tr(
                    "The paper's ablation: this input through three shipped inpainting models, trained alike except for what G minimises",
                ))
                .changed()
            {
                ui.ctx().request_repaint();
            }
        }
    });
    if cycle && p.brush == Brush::Hole {
        p.brush = Brush::Ink;
    }
    p.input.paint = p.brush.paint();
    ui.separator();
    let avail = ui.available_size();
    let compare = offer_ablation && p.ablation.on && p.ablation.result.is_some();
    let columns =
        if compare { 4.0 } else { 3.0 } + f32::from(u8::from(p.target.is_some())) + f32::from(u8::from(cycle));
    let gap = ui.spacing().item_spacing.x;
    let strip_side = ((avail.x - 8.0 * gap) / STRIP_DIGITS as f32).clamp(32.0, 64.0);
    // Five rows instead of three: smaller, so that they fit under the images at 1280×720.
    let strip_side = if compare { strip_side.min(48.0) } else { strip_side };
    // Each column is exactly `side` wide (its captions wrap), so the row fits the width.
    let side = ((avail.x - (columns + 1.0) * gap) / columns)
        .min(avail.y - 130.0)
        .clamp(80.0, 300.0);
    let result = p.result.clone();
    let caption = |ui: &mut egui::Ui, text: String| {
        ui.add(egui::Label::new(egui::RichText::new(text).weak()).wrap());
    };
    let mut pick = None;
    // Short windows (presenter mode at 1280×720) scroll rather than cut the strip off.
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(side);
                ui.strong(tr("Input"));
                canvas_ui(ui, &mut p.input, side);
                if let Some(j) = result.as_ref().and_then(|r| r.judged) {
                    caption(ui, judged_text(j[1]));
                }
            });
            if compare && let Some(a) = &p.ablation.result {
                for (k, (_, loss)) in ablation::MODELS.iter().enumerate() {
                    let title = loss_label(*loss);
                    ui.vertical(|ui| {
                        ui.set_width(side);
                        ui.strong(title);
                        image_ui(ui, &a.outputs[k], side, title, None, egui::Sense::hover());
                        if let Some(j) = a.judged[k] {
                            caption(ui, judged_text(j));
                        }
                        if let Some((_, digit)) = &p.target {
                            let l = crate::data::paired::l1(&a.outputs[k], digit);
                            caption(ui, tr!("|output − real digit| per pixel {l1}", l1 = format!("{l:.3}")));
                        }
                    });
                }
            }
            if !compare {
                ui.vertical(|ui| {
                    ui.set_width(side);
                    ui.strong(tr("Output"));
                    if let Some(r) = &result {
                        image_ui(ui, &r.output, side, tr("Output"), None, egui::Sense::hover());
                        if let Some(j) = r.judged {
                            caption(ui, judged_text(j[0]));
                        }
                    }
                });
                ui.vertical(|ui| {
                    ui.set_width(side);
                    ui.strong(tr("D's verdict per patch"));
                    if let Some(r) = &result {
                        image_ui(
                            ui,
                            &r.output,
                            side,
                            tr("D's verdict per patch"),
                            Some(&r.patches),
                            egui::Sense::hover(),
                        );
                        let mean = r.patches.iter().sum::<f32>() / r.patches.len().max(1) as f32;
                        caption(
                            ui,
                            tr!("green: real, red: fake; mean {mean}", mean = format!("{mean:.2}")),
                        );
                    }
                });
            }
            if let Some(back) = result.as_ref().and_then(|r| r.back.as_ref()) {
                ui.vertical(|ui| {
                    ui.set_width(side);
                    ui.strong(tr("Back again (F)"));
                    image_ui(ui, back, side, tr("Back again (F)"), None, egui::Sense::hover());
                    let l = crate::data::paired::l1(back, &p.input.ink);
                    caption(
                        ui,
                        tr!("mean |F(G(input)) − input| per pixel {l1}", l1 = format!("{l:.3}")),
                    );
                });
            }
            if let Some((k, digit)) = &p.target {
                let title = if cycle {
                    tr("The same digit, other style")
                } else {
                    tr("Real digit")
                };
                ui.vertical(|ui| {
                    ui.set_width(side);
                    ui.strong(title);
                    image_ui(ui, digit, side, title, None, egui::Sense::hover());
                    if cycle {
                        caption(ui, tr!("held-out digit {k}, never shown to the model as a pair", k = k));
                    } else {
                        caption(ui, tr!("held-out digit {k}", k = k));
                    }
                });
            }
        });
        ui.separator();
        ui.strong(if cycle {
            tr("More held-out digits: input, output, the same digit in the other style")
        } else if compare {
            tr("More held-out digits: input, the output for each loss, real digit")
        } else {
            tr("More held-out digits: input, output, real digit")
        });
        if let Some((_, [inputs, outputs, digits])) = &p.strip {
            let mut rows: Vec<(Option<String>, &Vec<u8>)> = vec![(None, inputs)];
            match p.ablation.strip.as_ref().filter(|_| compare) {
                Some((_, by_loss)) => {
                    for ((_, loss), row) in ablation::MODELS.iter().zip(by_loss) {
                        let l = ablation::mean_l1(row, digits);
                        let label = tr!(
                            "{loss}: mean |output − real digit| {l1}",
                            loss = loss_label(*loss),
                            l1 = format!("{l:.3}")
                        );
                        rows.push((Some(label), row));
                    }
                }
                None => rows.push((None, outputs)),
            }
            rows.push((None, digits));
            for (label, images) in rows {
                if let Some(label) = label {
                    ui.weak(label);
                }
                ui.horizontal(|ui| {
                    for k in 0..STRIP_DIGITS {
                        let px = &images[k * PIXELS..(k + 1) * PIXELS];
                        let resp = image_ui(ui, px, strip_side, tr("Held-out digit"), None, egui::Sense::click());
                        if resp.clicked() {
                            pick = Some(k);
                        }
                        resp.on_hover_text(tr("Click to put this digit's input on the canvas"));
                    }
                });
            }
        }
    });
    if let Some(k) = pick
        && let Err(e) = p.take_real(model.as_ref(), key, k)
    {
        ex.errors.push(e);
    }
}
