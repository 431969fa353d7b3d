//! The GANs' panel: the generator's loss and k.

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
        });
    }
}
