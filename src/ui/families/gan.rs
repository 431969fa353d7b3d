//! The GANs' panel: the generator's loss, k, the real label, the G step's z and the
//! average of G that samples come from; for the DCGAN, in the model grid, its fully
//! connected layers (a new run).

use eframe::egui;

use super::{FamilyPanel, choice_row, edit_as};
use crate::family::gan::{DEFAULT_EMA, GanSettings};
use crate::train::GeneratorLoss;
use crate::ui::controls::g_loss_label;
use crate::ui::i18n::tr;

/// The MLP GAN's settings.
pub struct GanPanel;

/// The DCGAN's settings: the MLP GAN's, and its networks.
pub struct DcganPanel;

/// The fully connected layers the DCGAN's networks can have (units; 0: none).
pub const FC_CHOICES: [usize; 3] = [0, 256, 1024];

fn fc_label(units: usize) -> String {
    match units {
        0 => tr("none (all convolutional, the paper's)").to_string(),
        n => crate::tr!("{units} units", units = crate::data::format_count(n as u64)),
    }
}

impl FamilyPanel for DcganPanel {
    fn families(&self) -> &'static [&'static str] {
        &["dcgan"]
    }

    fn architecture_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut GanSettings| {
            choice_row(
                ui,
                "dcgan_fc",
                tr("Fully connected layers"),
                &mut s.fc_units,
                FC_CHOICES,
                fc_label,
                tr(
                    "A fully connected layer at the start of G and at the end of D's body, as InfoGAN's MNIST network has. The DCGAN paper drops them (all convolutional); with 256 units the samples read as digits several times sooner.",
                ),
            );
        });
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        GanPanel.settings_ui(ui, config);
    }
}

impl FamilyPanel for GanPanel {
    fn families(&self) -> &'static [&'static str] {
        &["mlp-gan"]
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut GanSettings| {
            choice_row(
                ui,
                "g_loss",
                tr("Generator loss"),
                &mut s.g_loss,
                GeneratorLoss::ALL,
                g_loss_label,
                tr("Minimax: minimise log(1 − D(G(z))), saturates early. Non-saturating: minimise −log D(G(z))."),
            );
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
            let l = ui.label(tr("Samples from G's average"));
            let mut on = s.ema > 0.0;
            if ui
                .checkbox(&mut on, "")
                .on_hover_text(tr(
                    "Samples (the grid, the explorer, the judge) are decoded from an exponential moving average of G's weights (Yazıcı et al. 2019): smoother digits sooner. G and D train exactly as without it. Off: samples from G itself, as in the paper.",
                ))
                .labelled_by(l.id)
                .changed()
            {
                s.ema = if on { DEFAULT_EMA } else { 0.0 };
            }
            ui.end_row();
            let l = ui.label(tr("Average's decay"));
            // Off, the field shows the decay a switch-on would bring, and keeps s.ema at 0
            // (a range-clamped field would pull the 0 up to its minimum).
            let mut shown = DEFAULT_EMA;
            ui.add_enabled(
                on,
                egui::DragValue::new(if on { &mut s.ema } else { &mut shown })
                    .range(0.9..=0.9999)
                    .speed(0.0005)
                    .fixed_decimals(4),
            )
            .on_hover_text(tr(
                "Each G update moves the average 1 − decay of the way toward G: 0.999 averages about the last 1,000 generators.",
            ))
            .labelled_by(l.id);
            ui.end_row();
        });
    }
}
