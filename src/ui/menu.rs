//! The top bar: the File menu (open data, save and open checkpoints, export),
//! the View menu (text size for projectors, debug panel), the switch between the
//! training screen and the explorer, and the theme toggle.

use eframe::egui;

use crate::worker::DataSource;

use super::app::App;
use super::i18n::{Lang, tr};
use super::settings::View;

impl App {
    /// Menu bar and theme toggle.
    pub(super) fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr("File"), |ui| {
                if ui.button(tr("Open data folder…")).clicked() {
                    ui.close();
                    self.open_data_dialog();
                }
                if ui.button(tr("Use embedded MNIST")).clicked() {
                    ui.close();
                    self.open_data(DataSource::Embedded);
                }
                ui.separator();
                if ui.button(tr("Save checkpoint…")).clicked() {
                    ui.close();
                    self.save_checkpoint_dialog();
                }
                if ui.button(tr("Open checkpoint…")).clicked() {
                    ui.close();
                    self.open_checkpoint_dialog();
                }
                ui.separator();
                if ui.button(tr("Export samples as PNG…")).clicked() {
                    ui.close();
                    self.export_png_dialog();
                }
                if ui.button(tr("Export time-lapse as GIF…")).clicked() {
                    ui.close();
                    self.export_gif_dialog();
                }
                ui.separator();
                if ui.button(tr("Quit")).clicked() {
                    ui.close();
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button(tr("View"), |ui| {
                ui.add(
                    egui::Slider::new(&mut self.settings.zoom, 0.75..=2.0)
                        .step_by(0.25)
                        .text(tr("Text size")),
                );
                if ui.button(tr("Projector size (1.5×)")).clicked() {
                    self.settings.zoom = 1.5;
                }
                if ui.button(tr("Normal size")).clicked() {
                    self.settings.zoom = 1.0;
                }
                ui.separator();
                ui.add(
                    egui::Slider::new(&mut self.settings.smoothing_steps, 1.0..=1000.0)
                        .logarithmic(true)
                        .text(tr("Smoothing (steps)")),
                );
                ui.checkbox(&mut self.settings.autosave, tr("Autosave (takes effect on restart)"));
                ui.checkbox(&mut self.settings.show_debug, tr("Debug panel"));
                ui.separator();
                ui.checkbox(&mut self.settings.presenter, tr("Presenter mode (F5)"))
                    .on_hover_text(tr("Large type, high contrast, advanced controls hidden"));
                ui.horizontal(|ui| {
                    ui.label(tr("Language"));
                    for lang in Lang::ALL {
                        ui.selectable_value(&mut self.settings.lang, lang, lang.native_name());
                    }
                });
            });
            ui.separator();
            ui.selectable_value(&mut self.settings.view, View::Train, tr("Train"))
                .on_hover_text(tr("Watch the GAN learn"));
            ui.selectable_value(&mut self.settings.view, View::Explore, tr("Explore"))
                .on_hover_text(tr(
                    "Drag sliders over z, interpolate, do arithmetic, map the latent plane",
                ));
            ui.selectable_value(&mut self.settings.view, View::Game, tr("Game"))
                .on_hover_text(tr("Step through Algorithm 1 on toy 1-D and 2-D data"));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let next = self.settings.theme.toggled();
                let label = match next {
                    super::settings::ThemeChoice::Light => tr("Light theme"),
                    super::settings::ThemeChoice::Dark => tr("Dark theme"),
                };
                if ui
                    .button(label)
                    .on_hover_text(tr("Switch between light and dark"))
                    .clicked()
                {
                    self.settings.theme = next;
                }
                // The other language, named in itself, so anyone can find the way back.
                let other = match self.settings.lang {
                    Lang::En => Lang::Ko,
                    Lang::Ko => Lang::En,
                };
                if ui
                    .button(other.native_name())
                    .on_hover_text(tr("Switch the language of the window"))
                    .clicked()
                {
                    self.settings.lang = other;
                }
                ui.strong("Latent Lab");
            });
        });
    }
}
