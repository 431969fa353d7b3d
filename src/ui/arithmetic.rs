//! The arithmetic tool: A − B + C, each picked from the grid (or the sliders), and
//! the result decoded — e.g. a slanted 7, minus an upright 7, plus an upright 1.

use eframe::egui;

use crate::latent::arithmetic;

use super::explorer::{Explorer, Target, Tool};
use super::i18n::tr;
use super::interpolation::slot_texture;
use super::latent::image_slot;
use super::samples::gray_image;
use crate::tr;

const NAMES: [&str; 3] = ["A", "B", "C"];

/// The arithmetic tool.
pub(super) fn arithmetic_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    if !matches!(ex.target, Target::Operand(_)) {
        ex.target = Target::Operand(0);
    }
    ui.label(tr(
        "Click a slot (or its Pick button), then a digit in the grid on the left. The result is A − B + C.",
    ));
    ui.add_space(6.0);
    let side = (ui.available_width() / 6.5).clamp(80.0, 180.0);
    ui.horizontal(|ui| {
        for i in 0..3 {
            operand_ui(ui, ex, i, side);
            let sign = match i {
                0 => "−",
                1 => "+",
                _ => "=",
            };
            ui.label(egui::RichText::new(sign).size(side * 0.35));
        }
        result_ui(ui, ex, side * 1.5);
    });
}

fn operand_ui(ui: &mut egui::Ui, ex: &mut Explorer, i: usize, side: f32) {
    ui.vertical(|ui| {
        ui.strong(NAMES[i]);
        let pick = ex.operands[i].clone();
        let tex = slot_texture(ui.ctx(), ex, Target::Operand(i), pick.as_ref());
        let resp = image_slot(ui, tex.as_ref(), side, NAMES[i]);
        if ex.target == Target::Operand(i) {
            ui.painter().rect_stroke(
                resp.rect.expand(2.0),
                3.0,
                egui::Stroke::new(2.0, ui.visuals().selection.stroke.color),
                egui::StrokeKind::Outside,
            );
        }
        if resp.clicked() {
            ex.target = Target::Operand(i);
        }
        ui.weak(pick.as_ref().map_or(tr("not chosen"), |p| p.label.as_str()));
        ui.horizontal(|ui| {
            if ui.button(tr("Pick")).clicked() {
                ex.target = Target::Operand(i);
            }
            if ui.button(tr("From sliders")).clicked() {
                ex.operands[i] = Some(ex.sliders_pick());
            }
        });
    });
}

/// The result of A − B + C, once all three are chosen.
pub fn result_z(ex: &Explorer) -> Option<Vec<f32>> {
    let [Some(a), Some(b), Some(c)] = &ex.operands else {
        return None;
    };
    Some(arithmetic(&a.z, &b.z, &c.z))
}

fn result_ui(ui: &mut egui::Ui, ex: &mut Explorer, side: f32) {
    ui.vertical(|ui| {
        ui.strong("A − B + C");
        let Some(z) = result_z(ex) else {
            image_slot(ui, None, side, "A − B + C");
            ui.weak(tr("Choose A, B and C"));
            return;
        };
        let key = (ex.model_key, z.clone());
        if ex.arith_tex.key.as_ref() != Some(&key)
            && let Some(m) = &ex.model
        {
            match m.decode(&z) {
                Ok(px) => {
                    let ctx = ui.ctx().clone();
                    ex.arith_tex
                        .show(&ctx, "arith_result", key.clone(), || gray_image(&px, 28));
                    ex.arith_image = Some((key.0, z.clone(), px));
                }
                Err(e) => ex.errors.push(tr!("cannot decode: {error}", error = e)),
            }
        }
        image_slot(ui, ex.arith_tex.texture.as_ref(), side, "A − B + C");
        if ui
            .button(tr("Edit with the sliders"))
            .on_hover_text(tr("Open the result in the sliders tool"))
            .clicked()
        {
            ex.set_z(z, None);
            ex.target = Target::Sliders;
            ex.settings.tool = Tool::Sliders;
        }
    });
}
