//! The autoencoders' panel: the reconstruction loss.

use eframe::egui;

use super::{FamilyPanel, edit_as};
use crate::family::ae::{AeSettings, Reconstruction};
use crate::ui::i18n::tr;

/// The autoencoders' settings.
pub struct AePanel;

fn recon_label(r: Reconstruction) -> &'static str {
    match r {
        Reconstruction::Bce => tr("Cross-entropy"),
        Reconstruction::Mse => tr("Squared error"),
    }
}

impl FamilyPanel for AePanel {
    fn families(&self) -> &'static [&'static str] {
        &["ae", "conv-ae"]
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut AeSettings| {
            let l = ui.label(tr("Reconstruction loss"));
            egui::ComboBox::from_id_salt("recon")
                .selected_text(recon_label(s.recon))
                .show_ui(ui, |ui| {
                    for r in [Reconstruction::Bce, Reconstruction::Mse] {
                        ui.selectable_value(&mut s.recon, r, recon_label(r));
                    }
                })
                .response
                .on_hover_text(tr(
                    "Cross-entropy: each pixel's ink probability against its grey level. Squared error: the difference of grey levels.",
                ))
                .labelled_by(l.id);
            ui.end_row();
        });
    }
}
