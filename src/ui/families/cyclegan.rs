//! CycleGAN's panel: the domains (a new run) and, live, the weights of the cycle and identity
//! terms and the switch that adds slight noise to each translation before the way back (Chu
//! et al. 2017: does the cycle rest on patterns too faint to see?).

use eframe::egui;

use super::{FamilyPanel, choice_row, edit_as, weight_row};
use crate::data::domains::DomainPair;
use crate::family::cyclegan::CycleGanSettings;
use crate::ui::i18n::tr;

/// CycleGAN's settings.
pub struct CycleGanPanel;

impl FamilyPanel for CycleGanPanel {
    fn families(&self) -> &'static [&'static str] {
        &["cyclegan"]
    }

    fn architecture_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut CycleGanSettings| {
            choice_row(
                ui,
                "cyclegan_domains",
                tr("Domains"),
                &mut s.domains,
                DomainPair::ALL,
                |d| tr(d.label()),
                tr(
                    "Two styles of the digits, each made from its own half of the training digits: the model never sees the same digit in both",
                ),
            );
        });
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut CycleGanSettings| {
            weight_row(
                ui,
                tr("λ cycle"),
                &mut s.lambda_cycle,
                0.0..=100.0,
                0.1,
                2,
                tr(
                    "How much coming back round the cycle (F(G(a)) = a, G(F(b)) = b) counts against fooling D (the paper: 10).",
                ),
            );
            weight_row(
                ui,
                tr("λ identity"),
                &mut s.lambda_identity,
                0.0..=100.0,
                0.1,
                2,
                tr("How much leaving a digit already in the target style unchanged counts (the reference: 5)."),
            );
            ui.label("");
            ui.checkbox(&mut s.noisy_cycle, tr("Noise before the way back"))
                .on_hover_text(tr(
                    "Adds slight noise to each translation before it is translated back. A generator that hides what the way back needs in faint patterns (Chu et al. 2017) then fails the cycle: watch the cycle loss jump.",
                ));
            ui.end_row();
        });
    }
}
