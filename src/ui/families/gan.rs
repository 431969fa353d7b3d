//! The GANs' panel: the generator's loss, k, the real label and the G step's z.

use eframe::egui;

use super::{FamilyPanel, edit_as};
use crate::family::gan::GanSettings;
use crate::train::GeneratorLoss;
use crate::ui::controls::g_loss_label;
use crate::ui::i18n::tr;

/// The MLP GAN's and the DCGAN's settings.
pub struct GanPanel;

impl FamilyPanel for GanPanel {
    fn families(&self) -> &'static [&'static str] {
        &["mlp-gan", "dcgan"]
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut GanSettings| {
            let l = ui.label(tr("Generator loss"));
            egui::ComboBox::from_id_salt("g_loss")
                .selected_text(g_loss_label(s.g_loss))
                .show_ui(ui, |ui| {
                    for g in GeneratorLoss::ALL {
                        ui.selectable_value(&mut s.g_loss, g, g_loss_label(g));
                    }
                })
                .response
                .on_hover_text(tr(
                    "Minimax: minimise log(1 − D(G(z))), saturates early. Non-saturating: minimise −log D(G(z)).",
                ))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr("k (D steps per G step)"));
            ui.add(egui::DragValue::new(&mut s.k).range(1..=10).speed(0.05))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr("Real label (D's target)"));
            ui.add(
                egui::DragValue::new(&mut s.real_label)
                    .range(0.6..=1.0)
                    .speed(0.005)
                    .fixed_decimals(2),
            )
            .on_hover_text(tr(
                "1 as in the paper. Below 1: one-sided label smoothing (0.9 in Salimans et al. 2016); D's verdicts then tend to half of it instead of 0.5.",
            ))
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr("G step reuses D's fakes"));
            ui.add_enabled(s.k == 1, egui::Checkbox::without_text(&mut s.reuse_fakes))
                .on_hover_text(tr(
                    "With k = 1: the G step trains on the z and fakes of the D step before it, one G forward pass less (as pytorch/examples' DCGAN). Off: a fresh z, as Algorithm 1 samples it.",
                ))
                .on_disabled_hover_text(tr("Only with k = 1: with more D steps, each draws its own fakes."))
                .labelled_by(l.id);
            ui.end_row();
        });
    }
}
