//! Captions that explain what just happened in the game, in the window's language.

use eframe::egui;

use crate::classroom::events::GameEvent;
use crate::tr;
use crate::train::GeneratorLoss;

use super::i18n::tr;

/// The frame a game event's caption sits in: the accent colour, full width.
pub fn event_frame(ui: &mut egui::Ui, add_contents: impl FnOnce(&mut egui::Ui)) {
    let accent = ui.visuals().selection.bg_fill;
    egui::Frame::new()
        .fill(accent.gamma_multiply(0.25))
        .stroke(egui::Stroke::new(1.5, accent))
        .corner_radius(4.0)
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add_contents(ui);
        });
}

/// The caption of a game event: what happened, and why it matters.
pub fn event_caption(event: &GameEvent) -> String {
    match *event {
        GameEvent::DWins {
            step,
            steps,
            d_fake,
            g_loss,
        } => {
            let what = tr!(
                "Step {step} — D wins: for {steps} steps it has scored the fakes near 0 (mean D(G(z)) {fake}).",
                step = step,
                steps = steps,
                fake = format!("{d_fake:.3}")
            );
            let advice = match g_loss {
                Some(GeneratorLoss::NonSaturating) => tr(
                    "The non-saturating loss is already on, so G still gets a gradient, but D is far ahead: try a lower D learning rate or fewer D steps per G step (k).",
                ),
                _ => tr(
                    "G gets almost no signal; with the minimax loss its gradient vanishes. Try the non-saturating loss or a lower D learning rate.",
                ),
            };
            format!("{what} {advice}")
        }
        GameEvent::ModeCollapse {
            step,
            diversity,
            data_diversity,
            modes,
        } => {
            let what = match modes {
                Some((covered, total)) if covered <= total / 2 => tr!(
                    "Step {step} — mode collapse: G's samples cover only {covered} of the data's {total} modes.",
                    step = step,
                    covered = covered,
                    total = total
                ),
                _ => tr!(
                    "Step {step} — mode collapse: G's samples have become much alike (mean distance between them {now}, between data points {data}).",
                    step = step,
                    now = format!("{diversity:.2}"),
                    data = format!("{data_diversity:.2}")
                ),
            };
            format!(
                "{what} {}",
                tr("G found a few outputs that fool D and stopped covering the rest of the data.")
            )
        }
        GameEvent::ClassCollapse {
            step,
            top_class,
            top_share,
            classes,
        } => tr!(
            "Step {step} — mode collapse: the digit judge reads {share} % of the samples as {digit} and finds only {classes} classes among them. G found a few outputs that fool D and stopped covering the rest of the data.",
            step = step,
            share = format!("{:.0}", 100.0 * top_share),
            digit = top_class,
            classes = classes
        ),
        GameEvent::PosteriorCollapse { step, steps, max_kl } => tr!(
            "Step {step} — posterior collapse: for {steps} steps every latent dimension has had a KL under {threshold} nats (largest {kl}). The codes carry nothing about the digit, so the decoder draws the same average digit for any z. Try a lower β or a KL warm-up.",
            step = step,
            steps = steps,
            threshold = crate::classroom::events::ACTIVE_KL,
            kl = format!("{max_kl:.3}")
        ),
        GameEvent::CodeIgnored { step, steps, bound } => tr!(
            "Step {step} — c₁ is being ignored: for {steps} steps the lower bound on the information between c₁ and the image has stayed under {threshold} nats (now {bound}; it can reach ln 10 ≈ 2.30). Q cannot tell c₁'s values apart in the images, so they all draw the same kinds of digit and the rows of the traversal grid look alike. Raise λ for c₁ (--lambda-cat).",
            step = step,
            steps = steps,
            threshold = format!("{:.2}", crate::classroom::events::CodeIgnoredWatch::BELOW),
            bound = format!("{bound:.2}")
        ),
        GameEvent::Equilibrium {
            step,
            steps,
            centre,
            d_real,
            d_fake,
        } => tr!(
            "Step {step} — equilibrium: for {steps} steps D(x) ≈ {real} and D(G(z)) ≈ {fake}, both near {centre}. D can only guess: in theory, the end of the game.",
            step = step,
            steps = steps,
            // 0.5, or 0.45 under label smoothing 0.9: as many decimals as it has.
            centre = format!("{}", (centre * 1000.0).round() / 1000.0),
            real = format!("{d_real:.2}"),
            fake = format!("{d_fake:.2}")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d_wins(g_loss: Option<GeneratorLoss>) -> String {
        event_caption(&GameEvent::DWins {
            step: 500,
            steps: 200,
            d_fake: 0.01,
            g_loss,
        })
    }

    #[test]
    fn d_wins_advises_the_non_saturating_loss_only_when_it_is_not_in_use() {
        let advice = "Try the non-saturating loss";
        assert!(d_wins(Some(GeneratorLoss::Minimax)).contains(advice));
        assert!(d_wins(None).contains(advice));
        let ns = d_wins(Some(GeneratorLoss::NonSaturating));
        assert!(!ns.contains(advice), "{ns}");
        assert!(ns.contains("already on"), "{ns}");
    }

    #[test]
    fn the_collapse_caption_says_what_was_measured() {
        let modes = event_caption(&GameEvent::ModeCollapse {
            step: 900,
            diversity: 0.9,
            data_diversity: 2.5,
            modes: Some((3, 8)),
        });
        assert!(modes.contains("only 3 of the data's 8 modes"), "{modes}");
        let narrow = event_caption(&GameEvent::ModeCollapse {
            step: 900,
            diversity: 0.05,
            data_diversity: 1.4,
            modes: None,
        });
        assert!(narrow.contains("0.05") && narrow.contains("1.40"), "{narrow}");
    }
}
