//! InfoGAN's panel: its networks (a new run) and, live, the weights of the information
//! terms for c₁ and for the continuous codes c₂, c₃.

use eframe::egui;

use super::{FamilyPanel, choice_row, edit_as, weight_row};
use crate::family::infogan::InfoSettings;
use crate::nets::infogan::InfoNet;
use crate::ui::i18n::tr;

/// InfoGAN's settings.
pub struct InfoGanPanel;

/// The network's name for people, translated.
fn net_label(net: InfoNet) -> &'static str {
    match net {
        InfoNet::Paper => tr("the paper's (fully connected layers)"),
        InfoNet::Narrow => tr("the paper's, narrower (256 units)"),
        InfoNet::Dcgan => tr("the DCGAN's"),
    }
}

impl FamilyPanel for InfoGanPanel {
    fn families(&self) -> &'static [&'static str] {
        &["infogan"]
    }

    fn architecture_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut InfoSettings| {
            choice_row(
                ui,
                "infogan_net",
                tr("Networks"),
                &mut s.net,
                [InfoNet::Narrow, InfoNet::Paper, InfoNet::Dcgan],
                net_label,
                tr(
                    "The paper's MNIST network has a fully connected layer in G and at the end of D's body (1,024 units; the narrower one 256, and 1.6× faster) and a hidden layer in Q: with them c₁ found the digits (cluster accuracy 0.99 and 0.91 after 5,000 steps). The DCGAN's network, the public PyTorch reference's, has none, and its c₁ settled on styles instead (0.27).",
                ),
            );
        });
    }

    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value) {
        edit_as(config, |s: &mut InfoSettings| {
            weight_row(
                ui,
                tr("λ (c₁ information)"),
                &mut s.lambda_cat,
                0.0..=100.0,
                0.05,
                2,
                tr(
                    "How much Q guessing c₁ back from the image counts for G and Q (the paper: 1). At 0, nothing ties c₁ to the image.",
                ),
            );
            weight_row(
                ui,
                tr("λ (c₂, c₃ information)"),
                &mut s.lambda_cont,
                0.0..=100.0,
                0.01,
                2,
                tr("How much Q guessing the continuous codes back counts (the paper: 0.1)."),
            );
        });
    }
}
