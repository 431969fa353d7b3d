//! The interpolation tool: choose A and B (from the grid, the sliders or a seed),
//! see the linear and the spherical path as strips of frames, one of them
//! animated back and forth in a large frame, with D's score for every frame
//! plotted under the strips; export the strips as PNG and the animation as GIF.

use eframe::egui;

use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use crate::export;
use crate::latent::Interpolation;
use crate::latent::jobs::StripPath;

use super::charts::{FAKE_COLOR, REAL_COLOR};
use super::explorer::{Explorer, Pick, Target, Tex};
use super::i18n::tr;
use super::latent::{image_slot, paint_image};
use super::samples::gray_image;
use crate::tr;

/// Milliseconds each frame of the animation shows (in the window and in exported GIFs).
pub const FRAME_MS: u32 = 120;
const FRAME_S: f64 = FRAME_MS as f64 / 1000.0;

/// The name of a path on screen.
pub(super) fn path_label(how: Interpolation) -> &'static str {
    match how {
        Interpolation::Linear => tr("Linear"),
        Interpolation::Spherical => tr("Spherical (slerp)"),
    }
}

fn path_color(how: Interpolation) -> egui::Color32 {
    match how {
        Interpolation::Linear => FAKE_COLOR,
        Interpolation::Spherical => REAL_COLOR,
    }
}

/// The index shown at animation time `t` (seconds) for `n` frames, going back and forth.
pub fn ping_pong(t: f64, n: usize) -> usize {
    if n < 2 {
        return 0;
    }
    let period = 2 * (n - 1);
    let k = ((t / FRAME_S).max(0.0) as usize) % period;
    if k < n { k } else { period - k }
}

/// The interpolation tool.
pub(super) fn interpolation_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    ui.horizontal_top(|ui| {
        end_ui(ui, ex, Target::A);
        ui.add_space(12.0);
        end_ui(ui, ex, Target::B);
        ui.add_space(12.0);
        ui.vertical(|ui| {
            ui.add(egui::Slider::new(&mut ex.settings.frames, 3..=24).text(tr("frames")));
            ui.horizontal(|ui| {
                let label = if ex.playing { tr("Pause") } else { tr("Play") };
                if ui.button(label).on_hover_text(tr("Animate back and forth")).clicked() {
                    ex.playing = !ex.playing;
                }
                for how in Interpolation::ALL {
                    ui.selectable_value(&mut ex.show_path, how, path_label(how));
                }
            });
            ui.horizontal(|ui| {
                let ready = ex.strip().is_some();
                if ui
                    .add_enabled(ready, egui::Button::new(tr("Export strips as PNG…")))
                    .clicked()
                {
                    export_strip_png(ex);
                }
                if ui
                    .add_enabled(ready, egui::Button::new(tr("Export animation as GIF…")))
                    .clicked()
                {
                    export_strip_gif(ex);
                }
            });
        });
    });
    ui.separator();
    let Some(paths) = ex.strip().map(<[StripPath]>::to_vec) else {
        if ex.a.is_none() || ex.b.is_none() {
            ui.label(tr(
                "Choose A and B: click a slot's \"Pick\" button, then a digit in the grid on the left.",
            ));
        } else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr("Decoding the paths…"));
            });
        }
        return;
    };
    let n = paths[0].images.len() / 784;
    // Animation.
    let now = ui.input(|i| i.time);
    if ex.playing {
        let started = *ex.anim_started.get_or_insert(now);
        ex.anim_frame = ping_pong(now - started, n);
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs_f64(FRAME_S / 2.0));
    } else {
        ex.anim_started = None;
    }
    let frame = ex.anim_frame.min(n - 1);
    let ctx = ui.ctx().clone();
    let key = ex.strip_key();
    let avail_w = ui.available_width();
    let big = (ui.available_height() - 20.0).min(avail_w * 0.3).clamp(120.0, 360.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(avail_w - big - 24.0);
            let cell = ((avail_w - big - 40.0) / n as f32).min(64.0);
            for (p, tex) in paths.iter().zip(ex.strip_tex.iter_mut()) {
                ui.colored_label(path_color(p.how), path_label(p.how));
                if let Some(k) = &key {
                    let images = p.images.clone();
                    tex.show(&ctx, &format!("strip_{:?}", p.how), k.clone(), || {
                        let img = export::grid(&images, 28, n, 1);
                        super::samples::color_image(&img)
                    });
                }
                let size = egui::vec2(cell * n as f32, cell);
                let (rect, resp) = ui.allocate_exact_size(size, egui::Sense::click());
                paint_image(ui, rect, tex.texture.as_ref());
                if p.how == ex.show_path {
                    let x = rect.min.x + frame as f32 * cell;
                    let r = egui::Rect::from_min_size(egui::pos2(x, rect.min.y), egui::vec2(cell, cell));
                    ui.painter().rect_stroke(
                        r,
                        2.0,
                        egui::Stroke::new(2.0, path_color(p.how)),
                        egui::StrokeKind::Inside,
                    );
                }
                if resp.clicked()
                    && let Some(pos) = resp.interact_pointer_pos()
                {
                    ex.anim_frame = (((pos.x - rect.min.x) / cell) as usize).min(n - 1);
                    ex.show_path = p.how;
                    ex.playing = false;
                }
            }
            scores_plot_ui(ui, &paths, frame);
        });
        ui.vertical(|ui| {
            let shown = paths.iter().find(|p| p.how == ex.show_path).unwrap_or(&paths[0]);
            let px = &shown.images[frame * 784..(frame + 1) * 784];
            let mut t: Tex<(Interpolation, usize, Option<super::explorer::StripKey>)> =
                std::mem::take(&mut ex.frame_tex);
            t.show(&ctx, "strip_frame", (shown.how, frame, key.clone()), || {
                gray_image(px, 28)
            });
            image_slot(ui, t.texture.as_ref(), big, tr("Interpolated frame"));
            ex.frame_tex = t;
            let score = shown
                .scores
                .as_ref()
                .and_then(|s| s.get(frame))
                .map_or_else(String::new, |s| {
                    tr!(", D says {percent}% real", percent = format!("{:.0}", s * 100.0))
                });
            ui.label(tr!(
                "{path}: frame {frame} of {n}{score}",
                path = path_label(shown.how),
                frame = frame + 1,
                n = n,
                score = score
            ));
        });
    });
}

/// One end (A or B): its image, and ways to choose it.
fn end_ui(ui: &mut egui::Ui, ex: &mut Explorer, which: Target) {
    let name = if which == Target::A { "A" } else { "B" };
    ui.vertical(|ui| {
        ui.strong(name);
        let pick = if which == Target::A { ex.a.clone() } else { ex.b.clone() };
        let tex = slot_texture(ui.ctx(), ex, which, pick.as_ref());
        let resp = image_slot(ui, tex.as_ref(), 84.0, name);
        if ex.target == which {
            ui.painter().rect_stroke(
                resp.rect.expand(2.0),
                3.0,
                egui::Stroke::new(2.0, ui.visuals().selection.stroke.color),
                egui::StrokeKind::Outside,
            );
        }
        if resp.clicked() {
            ex.target = which;
        }
        ui.weak(pick.as_ref().map_or(tr("not chosen"), |p| p.label.as_str()));
        ui.horizontal(|ui| {
            if ui
                .button(tr("Pick"))
                .on_hover_text(tr("Then click a digit in the grid on the left"))
                .clicked()
            {
                ex.target = which;
            }
            if ui.button(tr("From sliders")).clicked() {
                set_end(ex, which, ex.sliders_pick());
            }
            if ui
                .button(tr("Seed"))
                .on_hover_text(tr("A random z from a new seed"))
                .clicked()
            {
                let seed = ex.next_seed();
                let z = ex.random_z(1, seed);
                set_end(
                    ex,
                    which,
                    Pick {
                        z,
                        label: tr!("seed {seed}", seed = seed),
                        seed: Some(seed),
                    },
                );
            }
        });
    });
}

fn set_end(ex: &mut Explorer, which: Target, pick: Pick) {
    match which {
        Target::A => ex.a = Some(pick),
        _ => ex.b = Some(pick),
    }
}

/// The texture of a slot's image (decoded here: one small decode when the pick changes).
pub(super) fn slot_texture(
    ctx: &egui::Context,
    ex: &mut Explorer,
    slot: Target,
    pick: Option<&Pick>,
) -> Option<egui::TextureHandle> {
    let pick = pick?;
    let model = ex.model.clone()?;
    let key = (ex.model_key, pick.z.clone());
    let tex = ex.slot_tex.entry(slot_id(slot)).or_default();
    if tex.key.as_ref() != Some(&key) {
        match model.decode(&pick.z) {
            Ok(px) => tex.show(ctx, &format!("slot_{}", slot_id(slot)), key, || gray_image(&px, 28)),
            Err(e) => {
                ex.errors.push(tr!("cannot decode: {error}", error = e));
                return None;
            }
        }
    }
    tex.texture.clone()
}

fn slot_id(t: Target) -> usize {
    match t {
        Target::Sliders => 0,
        Target::A => 1,
        Target::B => 2,
        Target::Operand(i) => 3 + i,
    }
}

/// D's score for each frame of both paths.
fn scores_plot_ui(ui: &mut egui::Ui, paths: &[StripPath], frame: usize) {
    if paths.iter().all(|p| p.scores.is_none()) {
        ui.weak(tr("This model has no discriminator to score the frames."));
        return;
    }
    ui.strong(tr("D's score for each frame (probability \"real\")"));
    let lines: Vec<(Interpolation, Vec<[f64; 2]>)> = paths
        .iter()
        .filter_map(|p| {
            let s = p.scores.as_ref()?;
            Some((
                p.how,
                s.iter()
                    .enumerate()
                    .map(|(i, &v)| [(i + 1) as f64, f64::from(v)])
                    .collect(),
            ))
        })
        .collect();
    Plot::new("strip_scores")
        .height(ui.available_height().clamp(80.0, 220.0))
        .legend(Legend::default())
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_label(tr("frame"))
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            for (how, pts) in lines {
                plot_ui.line(
                    Line::new(path_label(how), PlotPoints::from(pts))
                        .color(path_color(how))
                        .width(2.0),
                );
            }
            plot_ui.vline(VLine::new(tr("frame"), (frame + 1) as f64).color(egui::Color32::GRAY));
        });
}

fn export_strip_png(ex: &mut Explorer) {
    let Some(paths) = ex.strip().map(<[StripPath]>::to_vec) else {
        return;
    };
    let Some(path) = rfd::FileDialog::new()
        .set_title(tr("Export the strips as PNG"))
        .add_filter(tr("PNG image"), &["png"])
        .set_file_name("interpolation.png")
        .save_file()
    else {
        return;
    };
    let strips: Vec<&[u8]> = paths.iter().map(|p| p.images.as_slice()).collect();
    match export::save_strips_png(&strips, &path) {
        Ok(()) => ex.notices.push(tr!("Saved {path}", path = path.display())),
        Err(e) => ex.errors.push(tr!("cannot export: {error}", error = e)),
    }
}

fn export_strip_gif(ex: &mut Explorer) {
    let Some(paths) = ex.strip().map(<[StripPath]>::to_vec) else {
        return;
    };
    let Some(shown) = paths.iter().find(|p| p.how == ex.show_path) else {
        return;
    };
    let Some(path) = rfd::FileDialog::new()
        .set_title(tr("Export the animation as GIF"))
        .add_filter(tr("GIF animation"), &["gif"])
        .set_file_name("interpolation.gif")
        .save_file()
    else {
        return;
    };
    match export::save_ping_pong_gif(&shown.images, 8, FRAME_MS, &path) {
        Ok(()) => ex.notices.push(tr!("Saved {path}", path = path.display())),
        Err(e) => ex.errors.push(tr!("cannot export: {error}", error = e)),
    }
}

#[cfg(test)]
mod tests {
    use super::ping_pong;

    #[test]
    fn ping_pong_goes_there_and_back() {
        let seq: Vec<usize> = (0..10)
            .map(|k| ping_pong(k as f64 * super::FRAME_S + 1e-6, 4))
            .collect();
        assert_eq!(seq, vec![0, 1, 2, 3, 2, 1, 0, 1, 2, 3]);
        assert_eq!(ping_pong(5.0, 1), 0);
    }
}
