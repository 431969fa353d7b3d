//! The control panel: play/pause, single steps (the running family's step kinds: for a
//! GAN one D update, one G update, one iteration of Algorithm 1), reset, speed, the model
//! (a change of family or latent size needs a reset and asks first) and the
//! hyperparameters (applied at once, keeping the weights): batch size, one optimizer per
//! optimizer group, and the family's own settings from its panel ([`super::families`]).

use eframe::egui;

use crate::family::{self, Family};
use crate::train::{GeneratorLoss, OptimizerConfig, OptimizerKind};
use crate::worker::{Command, Speed};

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

    /// The family of the run shown (the settings' until the worker reports).
    fn shown_family(&self) -> &'static dyn Family {
        let spec = self.status.as_ref().map_or(&self.settings.model, |s| &s.model);
        spec.family().unwrap_or(family::registry::DEFAULT)
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
        let family = self.shown_family();
        ui.horizontal(|ui| {
            ui.label(tr("Single step:"));
            // The full iteration first, then the partial steps the family has.
            let kinds = family.step_kinds();
            for kind in kinds
                .iter()
                .filter(|k| k.iteration)
                .chain(kinds.iter().filter(|k| !k.iteration))
            {
                if ui
                    .add_enabled(ready, egui::Button::new(tr(kind.label)))
                    .on_hover_text(tr(kind.help))
                    .clicked()
                {
                    self.send(Command::Step(kind.id));
                }
            }
        });
        if let Some(s) = &self.status {
            let groups = family.optimizer_groups();
            if groups.len() > 1 {
                let updates: Vec<String> = groups
                    .iter()
                    .map(|g| tr!("{n} {who} updates", n = s.updates_of(g.id), who = g.short))
                    .collect();
                ui.label(tr!(
                    "Step {step} · {updates}",
                    step = s.step,
                    updates = updates.join(" · ")
                ));
            } else {
                ui.label(tr!("Step {step}", step = s.step));
            }
        } else {
            ui.label(tr("Starting…"));
        }
        if let Some(u) = &self.last_update {
            let iteration = family.step_kind(u.kind).is_some_and(|(_, k)| k.iteration);
            let label = family.step_kind(u.kind).map_or(u.kind, |(_, k)| k.label);
            let values: Vec<String> = family
                .metrics()
                .iter()
                .zip(&u.values)
                .filter(|(_, v)| !v.is_nan())
                .map(|(m, v)| format!("{} {}", tr(m.label), format_change(*v)))
                .collect();
            ui.weak(if iteration {
                tr!(
                    "Last iteration (step {step}): {values}",
                    step = self.last_update_step,
                    values = values.join(", ")
                )
            } else {
                tr!(
                    "Last {what} (at step {step}): {values}",
                    what = tr(label),
                    step = self.last_update_step,
                    values = values.join(", ")
                )
            });
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
                "Pause training, with a caption, when D wins completely, when the samples collapse to a few modes, or at equilibrium (both means near 0.5, or half the real label with label smoothing)",
            ))
            .changed()
        {
            let on = self.settings.pause_on_events;
            self.send(Command::SetPauseOnEvents(on));
        }
    }

    fn model_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("Model"));
        let mut model = self.settings.model.clone();
        let mut seed = self.settings.train.seed;
        let current = model.family().unwrap_or(family::registry::DEFAULT);
        let mut picked = current;
        egui::Grid::new("model_grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label(tr("Model"));
                egui::ComboBox::from_id_salt("model_kind")
                    .selected_text(tr(current.label()))
                    .show_ui(ui, |ui| {
                        for f in family::ALL {
                            if ui
                                .selectable_label(f.id() == current.id(), tr(f.label()))
                                .on_hover_text(tr(f.summary()))
                                .clicked()
                            {
                                picked = *f;
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                if let Some(mut latent) = model.latent_dim() {
                    let l = ui.label(tr("Latent size"));
                    if ui
                        .add(egui::DragValue::new(&mut latent).range(1..=512).speed(1.0))
                        .labelled_by(l.id)
                        .changed()
                    {
                        model = std::mem::take(&mut model).with_latent_dim(latent);
                    }
                    ui.end_row();
                }
                let id = model.family.clone();
                super::families::architecture_ui(ui, &id, &mut model.config);
                let l = ui.label(tr("Seed"));
                ui.add(egui::DragValue::new(&mut seed).speed(1.0)).labelled_by(l.id);
                ui.end_row();
            });
        if picked.id() != current.id() {
            // A new family starts from its defaults, keeping the latent size where it has one.
            let latent = model.latent_dim();
            model = picked.default_spec();
            if let Some(l) = latent {
                model = model.with_latent_dim(l);
            }
            self.settings.train = self.settings.train.clone().completed(picked);
            let defaults = crate::train::TrainConfig::for_family(picked);
            self.settings.train.optimizers = defaults.optimizers;
        }
        self.settings.model = model.clone();
        self.settings.train.seed = seed;
        if let Some(s) = &self.status
            && s.ready
            && (!s.model.same_architecture(&model) || s.train.seed != seed)
        {
            ui.label(
                egui::RichText::new(tr!(
                    "This change needs a reset: training restarts from fresh weights (now at step {step}).",
                    step = s.step
                ))
                .color(ui.visuals().warn_fg_color),
            );
            let (current_model, current_train) = (s.model.clone(), s.train.clone());
            ui.horizontal(|ui| {
                if ui.button(tr("Apply and reset…")).clicked() {
                    self.confirm = Some(Confirm::Reset);
                }
                if ui.button(tr("Revert")).clicked() {
                    self.settings.model = current_model;
                    self.settings.train = current_train;
                }
            });
        }
    }

    fn hyperparameters_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("Hyperparameters"));
        ui.weak(tr("Applied at once; the weights are kept."));
        let family = self.settings.model.family().unwrap_or(family::registry::DEFAULT);
        let mut t = self.settings.train.clone().completed(family);
        let mut config = self.settings.model.config.clone();
        let (min_batch, _) = family.min_batch();
        egui::Grid::new("hyper_grid")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                super::families::settings_ui(ui, family.id(), &mut config);
                let l = ui.label(tr("Batch size"));
                ui.add(
                    egui::DragValue::new(&mut t.batch_size)
                        .range(min_batch.max(1)..=512)
                        .speed(1.0),
                )
                .labelled_by(l.id);
                ui.end_row();
                for g in family.optimizer_groups() {
                    if let Some(o) = t.optimizers.get_mut(g.id) {
                        optimizer_rows(ui, g.short, o);
                    }
                }
            });
        let architecture_same = self
            .status
            .as_ref()
            .is_none_or(|s| s.model.same_architecture(&self.settings.model));
        if config != self.settings.model.config {
            self.settings.model.config = config.clone();
            if architecture_same {
                self.send(Command::SetModelConfig(config));
            }
        }
        if t != self.settings.train {
            self.settings.train = t.clone();
            if architecture_same {
                self.send(Command::SetTrainConfig(t.clone()));
            }
        }
        if let Some(s) = &self.status {
            let mut applied = s.train.clone();
            applied.seed = t.seed;
            if s.ready && architecture_same && (applied != t || s.model.config != self.settings.model.config) {
                ui.weak(tr("Sending to the trainer…"));
            }
        }
    }
}

/// A value as the last-update line shows it: enough digits to tell it from its neighbours.
fn format_change(v: f32) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
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
    // Any positive value is taken as typed (no silent clamp to a ceiling); one far above the
    // usual range is kept but flagged.
    ui.add(
        egui::DragValue::new(&mut o.lr)
            .range(MIN_LR..=MAX_LR)
            .speed(1e-5)
            .min_decimals(5)
            .max_decimals(6),
    )
    .labelled_by(l.id);
    ui.end_row();
    if o.lr > HIGH_LR {
        ui.label("");
        ui.add(
            egui::Label::new(
                egui::RichText::new(tr!(
                    "{who} learning rate {lr} is far above the usual 0.0001–0.01: expect the losses to run away (training then pauses and keeps the last good state).",
                    who = who,
                    lr = o.lr
                ))
                .color(ui.visuals().warn_fg_color),
            )
            .wrap(),
        );
        ui.end_row();
    }
}

/// The smallest learning rate the field takes (a DragValue needs a floor above 0).
const MIN_LR: f64 = 1e-8;
/// The largest: far beyond any useful value, so that what is typed is what is used.
const MAX_LR: f64 = 1e6;
/// Above this a learning rate is flagged as far outside the usual range.
pub const HIGH_LR: f64 = 0.1;

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
