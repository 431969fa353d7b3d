//! The autoencoders' panel: the reconstruction loss.

use eframe::egui;

use super::{FamilyPanel, choice_row, edit_as};
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
            choice_row(
                ui,
                "recon",
                tr("Reconstruction loss"),
                &mut s.recon,
                [Reconstruction::Bce, Reconstruction::Mse],
                recon_label,
                tr(
                    "Cross-entropy: each pixel's ink probability against its grey level. Squared error: the difference of grey levels.",
                ),
            );
        });
    }
}
