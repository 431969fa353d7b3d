//! Captions that explain what just happened in the game, in the window's language.

use eframe::egui;

use crate::classroom::events::GameEvent;
use crate::tr;

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
        GameEvent::DWins { step, steps, d_fake } => tr!(
            "Step {step} — D wins: for {steps} steps it has scored the fakes near 0 (mean D(G(z)) {fake}). G gets almost no signal; with the minimax loss its gradient vanishes. Try the non-saturating loss or a lower D learning rate.",
            step = step,
            steps = steps,
            fake = format!("{d_fake:.3}")
        ),
        GameEvent::ModeCollapse { step, diversity, peak } => tr!(
            "Step {step} — mode collapse: the samples have become much alike (variety {now}, at best {peak}). G found a few outputs that fool D and stopped covering the rest of the data.",
            step = step,
            now = format!("{diversity:.1}"),
            peak = format!("{peak:.1}")
        ),
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
            d_real,
            d_fake,
        } => tr!(
            "Step {step} — equilibrium: for {steps} steps D(x) ≈ {real} and D(G(z)) ≈ {fake}, both near 0.5. D can only guess: in theory, the end of the game.",
            step = step,
            steps = steps,
            real = format!("{d_real:.2}"),
            fake = format!("{d_fake:.2}")
        ),
    }
}
