//! The control panel: play/pause, single steps (one D update, one G update, one
//! iteration of Algorithm 1), reset, speed, the model (changes need a reset and
//! ask first) and the hyperparameters (applied at once, keeping the weights).

use eframe::egui;

use crate::nets::ModelKind;
use crate::train::{GeneratorLoss, OptimizerConfig, OptimizerKind};
use crate::worker::{Command, Speed, StepKind};

use super::app::{App, Confirm};
use super::i18n::tr;
use crate::tr;

impl App {
    /// The whole left-hand control panel.
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui) {
        self.run_controls_ui(ui);
        ui.separator();
        self.speed_ui(ui);
        if self.settings.presenter {
            // Presenter mode shows the game, not the knobs.
            return;
        }
        ui.separator();
        self.model_ui(ui);
        ui.separator();
        self.hyperparameters_ui(ui);
    }

    fn run_controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("Training"));
        let ready = self.status.as_ref().is_some_and(|s| s.ready);
        let running = self.status.as_ref().is_some_and(|s| s.running);
        ui.horizontal(|ui| {
            let label = if running { tr("Pause") } else { tr("Play") };
            let play = ui
                .add_enabled(ready, egui::Button::new(label).min_size(egui::vec2(72.0, 28.0)))
                .on_hover_text(tr("Start or pause training (Space)"));
            if play.clicked() {
                self.send(Command::SetRunning(!running));
            }
            if ui
                .add_enabled(ready, egui::Button::new(tr("Reset…")))
                .on_hover_text(tr("Start again from fresh weights (asks first)"))
                .clicked()
            {
                self.confirm = Some(Confirm::Reset);
            }
        });
        ui.horizontal(|ui| {
            ui.label(tr("Single step:"));
            if ui
                .add_enabled(ready, egui::Button::new(tr("Step")))
                .on_hover_text(tr(
                    "One iteration of Algorithm 1: k discriminator updates, then one generator update",
                ))
                .clicked()
            {
                self.send(Command::Step(StepKind::Iteration));
            }
            if ui
                .add_enabled(ready, egui::Button::new(tr("Step D")))
                .on_hover_text(tr("One discriminator update"))
                .clicked()
            {
                self.send(Command::Step(StepKind::Discriminator));
            }
            if ui
                .add_enabled(ready, egui::Button::new(tr("Step G")))
                .on_hover_text(tr("One generator update"))
                .clicked()
            {
                self.send(Command::Step(StepKind::Generator));
            }
        });
        if let Some(s) = &self.status {
            ui.label(tr!(
                "Step {step} · {d} D updates · {g} G updates",
                step = s.step,
                d = s.d_updates,
                g = s.g_updates
            ));
        } else {
            ui.label(tr("Starting…"));
        }
        if let Some(u) = &self.last_update {
            let who = match u.kind {
                StepKind::Discriminator => "D",
                StepKind::Generator => "G",
                StepKind::Iteration => "D+G",
            };
            let real = u
                .d_real_mean
                .map(|r| tr!(", mean D(x) {value}", value = format!("{r:.3}")))
                .unwrap_or_default();
            ui.weak(tr!(
                "Last {who} update: loss {loss}{real}, mean D(G(z)) {fake}",
                who = who,
                loss = format!("{:.4}", u.loss),
                real = real,
                fake = format!("{:.3}", u.d_fake_mean)
            ));
        }
    }

    pub(super) fn speed_ui(&mut self, ui: &mut egui::Ui) {
        let mut speed = self.settings.speed;
        ui.horizontal(|ui| {
            ui.label(tr("Speed"));
            ui.checkbox(&mut speed.full_speed, tr("Full speed"));
        });
        ui.add_enabled(
            !speed.full_speed,
            egui::Slider::new(
                &mut speed.steps_per_sec,
                Speed::MIN_STEPS_PER_SEC..=Speed::MAX_STEPS_PER_SEC,
            )
            .logarithmic(true)
            .max_decimals(1)
            .text(tr("steps/s")),
        );
        if speed != self.settings.speed {
            self.settings.speed = speed;
            self.send(Command::SetSpeed(speed));
        }
        if ui
            .checkbox(&mut self.settings.pause_on_events, tr("Pause on events"))
            .on_hover_text(tr(
                "Pause training, with a caption, when D wins completely, when the samples collapse to a few modes, or at equilibrium (both means near 0.5)",
            ))
            .changed()
        {
            let on = self.settings.pause_on_events;
            self.send(Command::SetPauseOnEvents(on));
        }
    }

    fn model_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("Model"));
        let mut model = self.settings.model;
        let mut seed = self.settings.train.seed;
        egui::Grid::new("model_grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label(tr("Model"));
                egui::ComboBox::from_id_salt("model_kind")
                    .selected_text(model.kind.label())
                    .show_ui(ui, |ui| {
                        for k in ModelKind::ALL {
                            ui.selectable_value(&mut model.kind, k, k.label());
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(tr("Latent size"));
                ui.add(egui::DragValue::new(&mut model.latent_dim).range(1..=512).speed(1.0))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(tr("Seed"));
                ui.add(egui::DragValue::new(&mut seed).speed(1.0)).labelled_by(l.id);
                ui.end_row();
            });
        self.settings.model = model;
        self.settings.train.seed = seed;
        if let Some(s) = &self.status
            && s.ready
            && (s.model != model || s.train.seed != seed)
        {
            ui.label(
                egui::RichText::new(tr!(
                    "This change needs a reset: training restarts from fresh weights (now at step {step}).",
                    step = s.step
                ))
                .color(ui.visuals().warn_fg_color),
            );
            let (current_model, current_seed) = (s.model, s.train.seed);
            ui.horizontal(|ui| {
                if ui.button(tr("Apply and reset…")).clicked() {
                    self.confirm = Some(Confirm::Reset);
                }
                if ui.button(tr("Revert")).clicked() {
                    self.settings.model = current_model;
                    self.settings.train.seed = current_seed;
                }
            });
        }
    }

    fn hyperparameters_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("Hyperparameters"));
        ui.weak(tr("Applied at once; the weights are kept."));
        let mut t = self.settings.train;
        egui::Grid::new("hyper_grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label(tr("Generator loss"));
                egui::ComboBox::from_id_salt("g_loss")
                    .selected_text(g_loss_label(t.g_loss))
                    .show_ui(ui, |ui| {
                        for g in GeneratorLoss::ALL {
                            ui.selectable_value(&mut t.g_loss, g, g_loss_label(g));
                        }
                    })
                    .response
                    .on_hover_text(tr(
                        "Minimax: minimise log(1 − D(G(z))), saturates early. Non-saturating: minimise −log D(G(z)).",
                    ))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(tr("Batch size"));
                ui.add(egui::DragValue::new(&mut t.batch_size).range(2..=512).speed(1.0))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(tr("k (D steps per G step)"));
                ui.add(egui::DragValue::new(&mut t.k).range(1..=10).speed(0.05))
                    .labelled_by(l.id);
                ui.end_row();
                optimizer_rows(ui, "G", &mut t.opt_g);
                optimizer_rows(ui, "D", &mut t.opt_d);
            });
        if t != self.settings.train {
            self.settings.train = t;
            self.send(Command::SetTrainConfig(t));
        }
        if let Some(s) = &self.status {
            let mut applied = s.train;
            applied.seed = t.seed;
            if s.ready && applied != t {
                ui.weak(tr("Sending to the trainer…"));
            }
        }
    }
}

/// Optimizer and learning rate of one network, as two grid rows.
fn optimizer_rows(ui: &mut egui::Ui, who: &str, o: &mut OptimizerConfig) {
    let l = ui.label(tr!("{who} optimizer", who = who));
    egui::ComboBox::from_id_salt(format!("opt_{who}"))
        .selected_text(optimizer_label(o.kind))
        .show_ui(ui, |ui| {
            for k in OptimizerKind::ALL {
                ui.selectable_value(&mut o.kind, k, optimizer_label(k));
            }
        })
        .response
        .labelled_by(l.id);
    ui.end_row();
    let l = ui.label(tr!("{who} learning rate", who = who));
    ui.add(
        egui::DragValue::new(&mut o.lr)
            .range(1e-6..=1.0)
            .speed(1e-5)
            .min_decimals(5)
            .max_decimals(6),
    )
    .labelled_by(l.id);
    ui.end_row();
}

/// The name of a generator loss in the menu.
pub(super) fn g_loss_label(g: GeneratorLoss) -> &'static str {
    match g {
        GeneratorLoss::NonSaturating => tr("Non-saturating"),
        GeneratorLoss::Minimax => tr("Minimax"),
    }
}

/// The name of an optimizer in the menu.
pub(super) fn optimizer_label(k: OptimizerKind) -> &'static str {
    match k {
        OptimizerKind::Adam => "Adam",
        OptimizerKind::Sgd => tr("SGD (momentum)"),
    }
}
