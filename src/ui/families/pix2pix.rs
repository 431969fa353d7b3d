//! pix2pix's panel: the task (a new run) and, live, λ of the L1 term and which terms G
//! minimises (the paper's ablation: GAN + L1, GAN alone, L1 alone).

use eframe::egui;

use super::{FamilyPanel, choice_row, edit_as, weight_row};
use crate::data::paired::PairTask;
use crate::family::pix2pix::{Pix2PixSettings, PixLoss};
use crate::ui::i18n::tr;

/// pix2pix's settings.
pub struct Pix2PixPanel;

pub(crate) fn loss_label(l: PixLoss) -> &'static str {
    match l {
        PixLoss::GanL1 => tr("GAN + λ·L1"),
        PixLoss::Gan => tr("GAN alone"),
        PixLoss::L1 => tr("L1 alone"),
    }
}

impl FamilyPanel for Pix2PixPanel {
    fn families(&self) -> &'static [&'static str] {
        &["pix2pix"]
    }

    fn architecture_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut Pix2PixSettings| {
            choice_row(
                ui,
                "pix2pix_task",
                tr("Task"),
                &mut s.task,
                PairTask::ALL,
                |t| tr(t.label()),
                "",
            );
        });
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut Pix2PixSettings| {
            choice_row(
                ui,
                "pix2pix_loss",
                tr("G minimises"),
                &mut s.loss,
                PixLoss::ALL,
                loss_label,
                tr(
                    "Without L1 nothing ties the output to the real digit: it may become another digit, with specks of ink. With L1 alone it stays faithful but fills with grey where the input leaves doubt.",
                ),
            );
            weight_row(
                ui,
                tr("λ (L1 weight)"),
                &mut s.lambda_l1,
                0.0..=1000.0,
                1.0,
                1,
                tr("How much closeness to the real digit counts against fooling D (the paper: 100)."),
            );
        });
    }
}
