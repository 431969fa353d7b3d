//! The VAEs' panel: β and the KL warm-up.

use eframe::egui;

use super::{FamilyPanel, edit_as};
use crate::family::vae::VaeSettings;
use crate::ui::i18n::tr;

/// The VAEs' settings.
pub struct VaePanel;

impl FamilyPanel for VaePanel {
    fn families(&self) -> &'static [&'static str] {
        &["vae", "conv-vae"]
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut VaeSettings| {
            let l = ui.label(tr("β (KL weight)"));
            ui.add(egui::DragValue::new(&mut s.beta).range(0.0..=20.0).speed(0.01).max_decimals(2))
                .on_hover_text(tr(
                    "1 is the ELBO. Above 1 (a β-VAE) the codes are pushed harder toward N(0, 1); far above, every dimension collapses.",
                ))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr("KL warm-up (steps)"));
            ui.add(egui::DragValue::new(&mut s.kl_warmup).range(0..=100_000).speed(10.0))
                .on_hover_text(tr("The KL weight rises from 0 to β over these first steps (0: none)."))
                .labelled_by(l.id);
            ui.end_row();
        });
    }
}
