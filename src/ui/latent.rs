//! The explorer's side panel (model, tool, the grid to pick from, recipes) and
//! the sliders tool: one slider per dimension of z (with a sensitivity bar) or
//! per principal direction, beside the large decoded image, which follows every
//! drag in the same frame.

use eframe::egui;

use super::app::App;
use super::explorer::{Basis, DIRECTION_COUNT, DIRECTION_SAMPLES, Explorer, Source, Target, Tool};
use super::i18n::tr;
use super::samples::GRID_COLS;
use crate::tr;

/// Slider range for z (about ±3 standard deviations).
pub const Z_RANGE: f32 = 3.0;

impl App {
    /// The explorer's left-hand panel.
    pub(super) fn explore_side_ui(&mut self, ui: &mut egui::Ui) {
        let live = self.generator.clone();
        let ex = &mut self.explorer;
        ui.heading(tr("Explore"));
        // The model.
        let sources = ex.sources();
        let current = sources
            .iter()
            .find(|(s, _)| *s == ex.settings.source)
            .map_or_else(|| "…".to_string(), |(_, l)| l.clone());
        let mut chosen = None;
        ui.horizontal(|ui| {
            let l = ui.label(tr("Model"));
            egui::ComboBox::from_id_salt("explore_source")
                .selected_text(current)
                .width(190.0)
                .show_ui(ui, |ui| {
                    for (s, label) in &sources {
                        let label = match (s, &live) {
                            (Source::Live, Some(f)) => tr!("{label} (step {step})", label = label, step = f.step),
                            (Source::Live, None) => tr!("{label} (no snapshot yet)", label = label),
                            _ => label.clone(),
                        };
                        if ui.selectable_label(*s == ex.settings.source, label).clicked() {
                            chosen = Some(s.clone());
                        }
                    }
                })
                .response
                .labelled_by(l.id);
        });
        if let Some(s) = chosen {
            if s == Source::Live && live.is_none() {
                ex.notices
                    .push(tr("The live run has no snapshot yet: press Play in Train, or take a step.").into());
            }
            ex.set_source(s, live.as_ref());
        }
        if ui
            .button(tr("Open checkpoint…"))
            .on_hover_text(tr("Explore the generator of a .safetensors checkpoint"))
            .clicked()
            && let Some(path) = rfd::FileDialog::new()
                .set_title(tr("Open a checkpoint to explore"))
                .add_filter(tr("Latent Lab checkpoint"), &["safetensors"])
                .pick_file()
        {
            ex.open_file(path, live.as_ref());
        }
        match &ex.model {
            Some(m) => {
                let c = m.conditioning();
                let size = match (c.classes, c.codes, c.learned) {
                    _ if m.pixels.is_some() => tr("none (z is sampling noise, one value per pixel)").to_string(),
                    _ if m.translator.is_some() => tr("none (it translates images)").to_string(),
                    (0, 0, _) => m.latent_dim().to_string(),
                    (_, 0, false) => tr!("{z} + the class", z = c.noise_dim(m.latent_dim())),
                    (_, codes, _) => tr!(
                        "{z} + c₁ + {codes} continuous codes",
                        z = c.noise_dim(m.latent_dim()),
                        codes = codes
                    ),
                };
                ui.weak(tr!(
                    "{model} · latent size {size} · step {step}",
                    model = super::i18n::tr(m.config().label()),
                    size = size,
                    step = m.step
                ));
            }
            None => {
                ui.weak(tr("Loading…"));
            }
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            for t in Tool::ALL {
                if ex.model.as_ref().is_none_or(|m| t.applies_to(m)) {
                    ui.selectable_value(&mut ex.settings.tool, t, t.label());
                }
            }
        });
        ui.separator();
        // The grid to pick from, for the tools a pick goes to (the others have their own
        // images, and its "Click one to …" would not apply).
        let latent = ex
            .model
            .as_ref()
            .is_none_or(|m| m.pixels.is_none() && m.translator.is_none());
        if ex.settings.tool.picks_from_grid() && latent {
            pick_grid_ui(ui, ex);
            ui.separator();
        }
        // A recipe holds the z of the image shown; the pixel-by-pixel and translation tools
        // show no z.
        if latent {
            recipe_ui(ui, ex, live.as_ref());
        }
    }

    /// The explorer's central area: the current tool.
    pub(super) fn explore_central_ui(&mut self, ui: &mut egui::Ui) {
        let live = self.generator.clone();
        self.explorer.update(live.as_ref());
        if self.explorer.sensitivity_settling() {
            ui.ctx().request_repaint_after(super::explorer::SENSITIVITY_SETTLE);
        }
        if self.explorer.model.is_none() {
            ui.centered_and_justified(|ui| {
                ui.spinner();
            });
            return;
        }
        self.explorer.start_tool();
        match self.explorer.settings.tool {
            Tool::Sliders => sliders_ui(ui, &mut self.explorer),
            Tool::Interpolate => super::interpolation::interpolation_ui(ui, &mut self.explorer),
            Tool::Arithmetic => super::arithmetic::arithmetic_ui(ui, &mut self.explorer),
            Tool::Map => super::latent_map::latent_map_ui(ui, &mut self.explorer),
            Tool::Judge => {
                let preview = self.data_info.as_ref().map(|d| d.preview.clone());
                super::judge::judge_ui(ui, &mut self.explorer, preview.as_deref());
            }
            Tool::Draw => {
                let preview = self.data_info.as_ref().map(|d| d.preview.clone());
                super::draw::draw_ui(ui, &mut self.explorer, preview.as_deref());
            }
            Tool::Compare => {
                let preview = self.data_info.as_ref().map(|d| d.preview.clone());
                super::compare::compare_ui(ui, &mut self.explorer, preview.as_deref());
            }
            Tool::Pixels => {
                let preview = self.data_info.as_ref().map(|d| d.preview.clone());
                super::pixels::pixels_ui(ui, &mut self.explorer, preview.as_deref());
            }
            Tool::Translate => super::translate::translate_ui(ui, &mut self.explorer),
        }
    }
}

/// What a click in the grid does, in words.
fn target_label(t: Target) -> &'static str {
    match t {
        Target::Sliders => tr("edit it with the sliders"),
        Target::A => tr("make it A"),
        Target::B => tr("make it B"),
        Target::Operand(0) => tr("make it A"),
        Target::Operand(1) => tr("make it B"),
        Target::Operand(_) => tr("make it C"),
    }
}

/// The 8×8 grid of samples; a click puts one where the current tool wants it.
fn pick_grid_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    ui.strong(tr("Samples"));
    ui.weak(tr!("Click one to {action}.", action = target_label(ex.target)));
    let side = ui.available_width().min(260.0);
    let ctx = ui.ctx().clone();
    let key = ex.model_key;
    let images = ex.grid_images().map(<[u8]>::to_vec);
    match images {
        Some(px) => {
            ex.grid_tex
                .show(&ctx, "explore_grid", key, || super::explorer::grid_color_image(&px));
            if let Some(tex) = &ex.grid_tex.texture {
                let resp = ui.add(
                    egui::Image::new((tex.id(), egui::vec2(side, side)))
                        .fit_to_exact_size(egui::vec2(side, side))
                        .alt_text(tr("Samples to pick from"))
                        .sense(egui::Sense::click()),
                );
                if let Some(i) = grid_cell(&resp, GRID_COLS)
                    && resp.clicked()
                    && let Some(pick) = ex.grid_pick(i)
                {
                    ex.place(pick);
                }
                resp.on_hover_text(tr!("Click a digit to {action}", action = target_label(ex.target)));
            }
        }
        None => {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
            ui.put(rect, egui::Spinner::new());
        }
    }
    ui.horizontal(|ui| {
        let l = ui.label(tr("Seed"));
        ui.add(egui::DragValue::new(&mut ex.settings.grid_seed).speed(1.0))
            .labelled_by(l.id);
        if ui.button(tr("New samples")).clicked() {
            ex.settings.grid_seed = ex.settings.grid_seed.wrapping_add(1);
        }
    });
}

/// The cell of a grid image under the pointer (for clicks and hovers).
pub(super) fn grid_cell(resp: &egui::Response, cols: usize) -> Option<usize> {
    let pos = resp.interact_pointer_pos().or(resp.hover_pos())?;
    let rel = (pos - resp.rect.min) / resp.rect.size();
    if !(0.0..1.0).contains(&rel.x) || !(0.0..1.0).contains(&rel.y) {
        return None;
    }
    let rows = cols; // square grids
    Some((rel.y * rows as f32) as usize * cols + (rel.x * cols as f32) as usize)
}

/// Copy the current recipe; paste one to reproduce its image.
fn recipe_ui(ui: &mut egui::Ui, ex: &mut Explorer, live: Option<&crate::worker::ModelFrame>) {
    ui.strong(tr("Recipe"));
    ui.weak(tr(
        "Model, step, seed and z of the image shown: paste it back, or give it to `latent-lab sample --z`.",
    ));
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ex.model.is_some(), egui::Button::new(tr("Copy recipe")))
            .clicked()
            && let Some(r) = ex.recipe()
        {
            ui.ctx().copy_text(r.to_text());
            ex.recipe_text = r.to_text();
            ex.notices.push(tr("Recipe copied to the clipboard").into());
        }
        if ui
            .button(tr("Apply"))
            .on_hover_text(tr("Reproduce the pasted recipe"))
            .clicked()
        {
            let text = ex.recipe_text.clone();
            if let Err(e) = ex.apply_recipe(&text, live) {
                ex.errors.push(e);
            }
        }
    });
    let l = ui.label(tr("Paste a recipe:"));
    let resp = ui
        .add(
            egui::TextEdit::singleline(&mut ex.recipe_text)
                // A stable id: the panel above grows when background jobs finish, and an
                // automatic id would change with it and drop the keyboard focus mid-typing.
                .id_salt("recipe_text")
                .hint_text("{\"format\":\"latent-lab-recipe\", …}")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
        let text = ex.recipe_text.clone();
        if let Err(e) = ex.apply_recipe(&text, live) {
            ex.errors.push(e);
        }
    }
}

/// A square image of `side`, or a placeholder while it is missing; returns its response.
/// `label` names it for screen readers (and tests).
pub(super) fn image_slot(
    ui: &mut egui::Ui,
    texture: Option<&egui::TextureHandle>,
    side: f32,
    label: &str,
) -> egui::Response {
    let size = egui::vec2(side, side);
    let (rect, resp) = ui.allocate_exact_size(size, egui::Sense::click());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
    paint_image(ui, rect, texture);
    resp
}

/// Paints a texture into `rect` (or a placeholder).
pub(super) fn paint_image(ui: &egui::Ui, rect: egui::Rect, texture: Option<&egui::TextureHandle>) {
    match texture {
        Some(t) => {
            let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            ui.painter().image(t.id(), rect, uv, egui::Color32::WHITE);
        }
        None => {
            ui.painter().rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        }
    }
}

/// The sliders tool.
/// Width of the sensitivity bar before each raw slider.
const RAW_BAR_W: f32 = 70.0;
/// Width a raw slider's row needs besides the bar and the slider: its value field, its
/// label ("z 99"), the spacing and the scroll bar.
const RAW_ROW_RESERVE: f32 = 160.0;

fn sliders_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let avail = ui.available_size();
    // The sliders' column needs room for a bar, a slider, its value and its label ("z 12"):
    // at presenter sizes the image gives way rather than push them past the window's edge.
    let sliders_w = RAW_BAR_W + 100.0 + RAW_ROW_RESERVE + 2.0 * ui.spacing().item_spacing.x;
    let side = (avail.y - 130.0)
        .min(avail.x * 0.45)
        .min(avail.x - sliders_w)
        .clamp(140.0, 560.0);
    ui.horizontal_top(|ui| {
        // Reserve the image's place now; paint it after the sliders so a drag shows this frame.
        let mut image_rect = egui::Rect::NOTHING;
        let mut verdict_rect = egui::Rect::NOTHING;
        ui.vertical(|ui| {
            ui.set_width(side);
            let (rect, resp) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, tr("Decoded image")));
            image_rect = rect;
            // The judge's verdict on this frame's image, written once it is decoded.
            let row = ui.text_style_height(&egui::TextStyle::Body);
            verdict_rect = ui.allocate_exact_size(egui::vec2(side, row), egui::Sense::hover()).0;
            image_buttons_ui(ui, ex);
            let lat = ex.latency();
            if lat.count > 0 {
                let text = if lat.count == 1 {
                    tr("Decode + upload: {p50} ms (median), {p95} ms (95th percentile) over {n} change")
                } else {
                    tr("Decode + upload: {p50} ms (median), {p95} ms (95th percentile) over {n} changes")
                };
                ui.weak(super::i18n::fill(
                    text,
                    &[
                        ("p50", &format!("{:.2}", lat.p50_ms)),
                        ("p95", &format!("{:.2}", lat.p95_ms)),
                        ("n", &lat.count),
                    ],
                ));
            }
        });
        ui.separator();
        ui.vertical(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.selectable_value(&mut ex.settings.basis, Basis::Raw, tr("Each dimension of z"));
                ui.selectable_value(&mut ex.settings.basis, Basis::Principal, tr("Principal directions"));
            });
            let before = ex.z.clone();
            condition_ui(ui, ex);
            match ex.settings.basis {
                Basis::Raw => raw_sliders_ui(ui, ex),
                Basis::Principal => principal_sliders_ui(ui, ex),
            }
            if ex.z != before {
                ex.z_seed = None; // dragged: no longer the seed's z
            }
        });
        ex.ensure_image(ui.ctx());
        paint_image(ui, image_rect, ex.image_tex.texture.as_ref());
        if let Some(text) = ex.verdict_text() {
            ui.put(verdict_rect, egui::Label::new(text).truncate());
        }
    });
}

/// Randomize, zero, export, and hand-overs to the other tools.
fn image_buttons_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let l = ex.latent_dim();
    ui.horizontal_wrapped(|ui| {
        if ui
            .button(tr("Randomize"))
            .on_hover_text(tr("A new z from the next seed"))
            .clicked()
        {
            let seed = ex.z_seed.map_or(ex.settings.grid_seed, |s| s.wrapping_add(1));
            ex.set_z(ex.random_z(1, seed), Some(seed));
        }
        if ui
            .button(tr("Zero"))
            .on_hover_text(tr("Set every slider to 0"))
            .clicked()
        {
            ex.set_z(vec![0.0; l], None);
        }
        if ui.button(tr("Export PNG…")).clicked() {
            export_image_dialog(ex);
        }
        if ui
            .button(tr("Interpolate from here"))
            .on_hover_text(tr("Make this z the start A of an interpolation"))
            .clicked()
        {
            ex.a = Some(ex.sliders_pick());
            ex.target = Target::B;
            ex.settings.tool = Tool::Interpolate;
        }
    });
}

fn export_image_dialog(ex: &mut Explorer) {
    let Some(px) = ex.image().map(<[u8]>::to_vec) else {
        return;
    };
    let Some(path) = rfd::FileDialog::new()
        .set_title(tr("Export the image as PNG"))
        .add_filter(tr("PNG image"), &["png"])
        .set_file_name("latent.png")
        .save_file()
    else {
        return;
    };
    let img = crate::export::upscale(&crate::export::to_image(&px, 28), 10);
    match crate::export::save_png(&img, &path) {
        Ok(()) => ex.notices.push(tr!("Saved {path}", path = path.display())),
        Err(e) => ex.errors.push(tr!("cannot export: {error}", error = e)),
    }
}

/// The condition of a conditional model, above the z sliders: a class picker (the digit a
/// conditional GAN is asked for), a button to interpolate to another class at this z, and
/// a slider per continuous code.
fn condition_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let c = ex.conditioning();
    if c.is_none() {
        return;
    }
    if c.classes > 0 {
        let current = c.class_of(&ex.z);
        ui.horizontal_wrapped(|ui| {
            if c.learned {
                ui.label(tr("c₁ (a code found without labels):"))
                    .on_hover_text(tr("Which digit each value draws is whatever the model found: try them"));
            } else {
                ui.label(tr("Class asked for:"));
            }
            for class in 0..c.classes {
                let hover = if c.learned {
                    tr!("Set c₁ to {class}", class = class)
                } else {
                    tr!("Ask the generator for a {class}", class = class)
                };
                let resp = ui
                    .selectable_label(current == Some(class), class.to_string())
                    .on_hover_text(hover);
                if resp.clicked() {
                    c.set_class(&mut ex.z, class);
                }
            }
        });
        let (button, hover) = if c.learned {
            (
                tr("Interpolate to the next c₁"),
                tr("The same z and codes from this c₁ (A) to the next (B): only c₁ changes"),
            )
        } else {
            (
                tr("Interpolate to the next class"),
                tr("The same z from this class (A) to the next (B): only the condition changes"),
            )
        };
        if let Some(current) = current
            && ui.button(button).on_hover_text(hover).clicked()
        {
            let a = ex.sliders_pick();
            let mut b = a.clone();
            let next = (current + 1) % c.classes;
            c.set_class(&mut b.z, next);
            b.label = if c.learned {
                tr!("c₁ = {class}", class = next)
            } else {
                tr!("class {class}", class = next)
            };
            b.seed = None;
            ex.a = Some(a);
            ex.b = Some(b);
            ex.settings.tool = Tool::Interpolate;
        }
    }
    if c.codes > 0 {
        ui.weak(tr(
            "Continuous codes: drag one, then name it for what it does (slant, width…)",
        ));
    }
    let first = if c.classes > 0 { 2 } else { 1 };
    for i in 0..c.codes {
        if ex.settings.code_names.len() <= i {
            ex.settings.code_names.resize(i + 1, String::new());
        }
        let default = format!("c{}", first + i);
        let mut value = c.code(&ex.z, i).unwrap_or(0.0);
        ui.horizontal(|ui| {
            let name = &mut ex.settings.code_names[i];
            ui.add(
                egui::TextEdit::singleline(name)
                    .desired_width(90.0)
                    .hint_text(default.as_str()),
            )
            .on_hover_text(tr("Rename this code"));
            let shown = if name.trim().is_empty() {
                default.clone()
            } else {
                format!("{} ({default})", name.trim())
            };
            let resp = ui.add(egui::Slider::new(&mut value, -2.0..=2.0).text(shown).max_decimals(2));
            if resp.changed() {
                c.set_code(&mut ex.z, i, value);
            }
        });
    }
    ui.separator();
}

/// One slider per dimension of z, with a bar for how much the image changes along it.
fn raw_sliders_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let sens = ex
        .sensitivity
        .as_ref()
        .filter(|(k, _, _)| *k == ex.model_key)
        .map(|(_, _, s)| s.clone());
    let max_sens = sens
        .as_ref()
        .map_or(0.0, |s| s.iter().copied().fold(0.0_f32, f32::max))
        .max(1e-6);
    ui.weak(tr(
        "Drag a slider. The bar beside it: how much the image changes per unit of that dimension, here.",
    ));
    let row_h = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
    // The condition after z has its own controls (condition_ui).
    let l = ex.conditioning().noise_dim(ex.z.len());
    let bar_w = RAW_BAR_W;
    egui::ScrollArea::vertical()
        .id_salt("raw_sliders")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, l, |ui, rows| {
            // Bar first (fixed width), then the slider, so bars line up whatever the label.
            ui.spacing_mut().slider_width = (ui.available_width() - bar_w - RAW_ROW_RESERVE).clamp(100.0, 420.0);
            for i in rows {
                ui.horizontal(|ui| {
                    let (rect, resp) = ui.allocate_exact_size(egui::vec2(bar_w, 8.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
                    if let Some(s) = &sens {
                        let frac = (s[i] / max_sens).clamp(0.0, 1.0);
                        let bar = egui::Rect::from_min_size(rect.min, egui::vec2(bar_w * frac, rect.height()));
                        ui.painter().rect_filled(bar, 2.0, ui.visuals().selection.bg_fill);
                        resp.on_hover_text(tr!(
                            "RMS pixel change per unit of z {i}: {value}",
                            i = i,
                            value = format!("{:.3}", s[i])
                        ));
                    }
                    ui.add(
                        egui::Slider::new(&mut ex.z[i], -Z_RANGE..=Z_RANGE)
                            .text(format!("z {i}"))
                            .max_decimals(2)
                            .clamping(egui::SliderClamping::Never),
                    );
                });
            }
        });
}

/// One slider per principal direction (the z-coordinate along it).
fn principal_sliders_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let Some(dirs) = ex.directions().cloned() else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(tr!(
                "Finding the {k} strongest directions from {n} samples…",
                k = DIRECTION_COUNT,
                n = DIRECTION_SAMPLES
            ));
        });
        return;
    };
    ui.weak(tr(
        "Principal components of the generated images, mapped back to z (GANSpace). \
         Each changes the image along one of its main modes of variation.",
    ));
    let mut coords = dirs.coordinates(&ex.z);
    egui::ScrollArea::vertical()
        .id_salt("pc_sliders")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.spacing_mut().slider_width = (ui.available_width() - 260.0).clamp(100.0, 420.0);
            for (j, c) in coords.iter_mut().enumerate() {
                let share = dirs.explained.get(j).copied().unwrap_or(0.0) * 100.0;
                let resp = ui
                    .add(
                        egui::Slider::new(c, -Z_RANGE..=Z_RANGE)
                            .text(tr!(
                                "Direction {n} ({share}% of variance)",
                                n = j + 1,
                                share = format!("{share:.1}")
                            ))
                            .max_decimals(2)
                            .clamping(egui::SliderClamping::Never),
                    )
                    .on_hover_text(tr("Moves z along this direction only"));
                if resp.changed() {
                    dirs.set_coordinate(&mut ex.z, j, *c);
                    ex.z_seed = None;
                }
            }
            if ui
                .button(tr("Recompute"))
                .on_hover_text(tr("Find the directions again for the model as it is now"))
                .clicked()
            {
                ex.forget_directions();
            }
        });
}

impl Explorer {
    /// Drops the principal directions so they are computed again.
    pub fn forget_directions(&mut self) {
        self.directions = None;
    }
}
