//! The "You are the discriminator" tool of the explorer: a real and a generated digit
//! side by side; the student picks the fake (a click, or ← / →), then sees the answer,
//! D's scores for both, and both accuracies on the same pairs. The game logic lives in
//! [`crate::classroom::judge`].
//!
//! Real digits come from the data the model learned from: the live run's data (its
//! preview digits) for the live run, the embedded MNIST for the shipped models and
//! checkpoints.

use eframe::egui;

use crate::classroom::judge::{Judge, Side};
use crate::tr;

use super::explorer::{Explorer, Source, Tex};
use super::i18n::tr;
use super::samples::gray_image;

/// The tool's state, kept in the explorer.
#[derive(Default)]
pub struct JudgePanel {
    /// The game.
    pub game: Judge,
    /// The model the game is playing against (a new model starts a new game).
    pub(super) model_key: Option<u64>,
    pub(super) tex: [Tex<u64>; 2],
    /// Why no pair could be made, if so.
    pub error: Option<String>,
}

/// The tool.
pub(super) fn judge_ui(ui: &mut egui::Ui, ex: &mut Explorer, live_pool: Option<&[u8]>) {
    let Some(model) = ex.model.clone() else {
        return;
    };
    let uses_live_data = ex.settings.source == Source::Live;
    let panel = &mut ex.judge;
    if panel.model_key != Some(ex.model_key) {
        panel.model_key = Some(ex.model_key);
        panel.game.reset();
        panel.error = None;
    }
    if panel.game.pair.is_none() && panel.error.is_none() {
        next_pair(panel, &model, uses_live_data, live_pool);
    }

    ui.heading(tr("You are the discriminator"));
    ui.label(tr(
        "One of these is a real digit from the data, the other was drawn by the generator. Which one is fake?",
    ));
    ui.add_space(6.0);
    if let Some(e) = &panel.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
        return;
    }
    let Some(pair) = panel.game.pair.clone() else {
        return;
    };
    let answered = panel.game.answer;
    if answered.is_none() {
        let pick = ui.input(|i| {
            if i.key_pressed(egui::Key::ArrowLeft) {
                Some(Side::Left)
            } else if i.key_pressed(egui::Key::ArrowRight) {
                Some(Side::Right)
            } else {
                None
            }
        });
        if let Some(side) = pick {
            panel.game.answer(side);
        }
    } else if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
        next_pair(panel, &model, uses_live_data, live_pool);
        return;
    }
    let answered = panel.game.answer;

    let side_px = ((ui.available_width() - 40.0) / 2.0).clamp(120.0, 300.0);
    ui.horizontal_top(|ui| {
        for (i, side) in [Side::Left, Side::Right].into_iter().enumerate() {
            ui.vertical(|ui| {
                ui.set_width(side_px);
                let name = if side == Side::Left {
                    "judge_left"
                } else {
                    "judge_right"
                };
                panel.tex[i].show(ui.ctx(), name, pair.round, || gray_image(pair.image(side), 28));
                let label = if side == Side::Left {
                    tr("Left digit")
                } else {
                    tr("Right digit")
                };
                let resp = super::latent::image_slot(ui, panel.tex[i].texture.as_ref(), side_px, label);
                if let Some(a) = answered {
                    let is_fake = side == pair.fake_side;
                    let color = if is_fake {
                        super::charts::FAKE_COLOR
                    } else {
                        super::charts::REAL_COLOR
                    };
                    let stroke_w = if a.picked == side { 4.0 } else { 2.0 };
                    ui.painter().rect_stroke(
                        resp.rect,
                        2.0,
                        egui::Stroke::new(stroke_w, color),
                        egui::StrokeKind::Outside,
                    );
                    ui.colored_label(color, if is_fake { tr("generated (fake)") } else { tr("real") });
                    match pair.d_score(side) {
                        Some(p) => ui.label(tr!(
                            "D(x) = {p}: D's probability that it is real",
                            p = format!("{p:.2}")
                        )),
                        None => ui.weak(tr("this model has no discriminator")),
                    };
                } else {
                    let button = ui.add_sized([side_px, 28.0], egui::Button::new(tr("This one is fake")));
                    if button.clicked() || resp.clicked() {
                        panel.game.answer(side);
                    }
                }
            });
        }
    });
    ui.add_space(8.0);
    if let Some(a) = panel.game.answer {
        let you = if a.student_right {
            tr("You spotted the fake.")
        } else {
            tr("Fooled: that one was real.")
        };
        let d = match a.d_right {
            Some(true) => tr("D spotted it too (it scored the fake lower)."),
            Some(false) => tr("D was fooled on this pair (it scored the fake higher)."),
            None => "",
        };
        ui.strong(format!("{you} {d}"));
        ui.horizontal(|ui| {
            if ui.button(tr("Next pair")).on_hover_text(tr("Enter")).clicked() {
                next_pair(panel, &model, uses_live_data, live_pool);
            }
            ui.weak(tr("or press Enter"));
        });
    } else {
        ui.weak(tr("Click the fake, or press ← or →."));
    }
    ui.add_space(8.0);
    ui.separator();
    let g = &panel.game;
    let pct = |t: &crate::classroom::judge::Tally| {
        t.accuracy()
            .map(|a| format!("{:.0}%", a * 100.0))
            .unwrap_or_else(|| "–".into())
    };
    ui.label(tr!(
        "You: {right} of {total} right ({pct})",
        right = g.student.right,
        total = g.student.total,
        pct = pct(&g.student)
    ));
    if model.scorer.is_some() {
        ui.label(tr!(
            "D on the same pairs: {right} of {total} right ({pct})",
            right = g.d.right,
            total = g.d.total,
            pct = pct(&g.d)
        ));
    }
    ui.weak(tr!(
        "Against {model}. Early in training both of you spot every fake; as the generator learns, you both drop toward 50%, a coin toss.",
        model = super::i18n::runtime::translate(&model.name)
    ));
    if ui.button(tr("Start over")).clicked() {
        panel.game.reset();
        panel.error = None;
    }
}

/// Makes the next pair, or records why it cannot.
fn next_pair(panel: &mut JudgePanel, model: &crate::latent::Model, uses_live_data: bool, live_pool: Option<&[u8]>) {
    let result = match (uses_live_data, live_pool) {
        (true, Some(pool)) => panel.game.next(model, pool),
        _ => match crate::data::embedded_mnist_static() {
            Ok(mnist) => panel.game.next(model, mnist),
            Err(e) => {
                panel.error = Some(e.to_string());
                return;
            }
        },
    };
    panel.error = result.err().map(|e| e.to_string());
}
