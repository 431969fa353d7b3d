//! The data panel: the dataset being trained on, with a preview and its counts,
//! and buttons to open an IDX folder or an image folder (rfd) or go back to the
//! embedded MNIST. A folder can also be dropped onto the window. Loading runs in
//! the background; a failure shows in the banner and the previous dataset stays.

use eframe::egui;

use crate::data::format_count;
use crate::worker::DataSource;

use super::app::App;
use super::i18n::runtime::translate;
use super::i18n::tr;
use crate::tr;

impl App {
    /// Dataset summary, preview and open buttons.
    pub(super) fn data_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("Data"));
        // The buttons first: at 1280×720 the counts and thumbnails run below the fold.
        self.data_buttons_ui(ui);
        match &self.data_info {
            Some(info) => {
                ui.label(egui::RichText::new(translate(&info.name)).strong());
                ui.weak(tr!(
                    "{count} images of 28×28 · {source}",
                    count = format_count(info.count as u64),
                    source = translate(&info.source)
                ));
                if !info.class_counts.is_empty() {
                    egui::Grid::new("class_counts")
                        .num_columns(5)
                        .spacing([10.0, 2.0])
                        .show(ui, |ui| {
                            for (i, n) in info.class_counts.iter().enumerate() {
                                let name = info.class_names.get(i).cloned().unwrap_or_else(|| i.to_string());
                                ui.weak(format!("{name}: {}", format_count(*n as u64)));
                                if i % 5 == 4 {
                                    ui.end_row();
                                }
                            }
                        });
                }
            }
            None => {
                ui.weak(tr("No data loaded yet."));
            }
        }
        if let Some(src) = self.status.as_ref().and_then(|s| s.loading.clone()) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr!("Loading {src}…", src = src));
            });
        }
        if let Some(tex) = &self.data_texture {
            let side = ui.available_width().min(140.0);
            ui.add(egui::Image::new((tex.id(), egui::vec2(side, side))).fit_to_exact_size(egui::vec2(side, side)));
        }
    }

    /// Open another dataset, or go back to the embedded one.
    fn data_buttons_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(tr("Open folder…"))
                .on_hover_text(tr(
                    "A folder of IDX files (raw or .gz) or of 28×28 images; you can also drop it on the window",
                ))
                .clicked()
            {
                self.open_data_dialog();
            }
            if ui
                .button(tr("Embedded MNIST"))
                .on_hover_text(tr("The 10,000 digits built into the app"))
                .clicked()
            {
                self.open_data(DataSource::Embedded);
            }
        });
    }

    /// Asks for a dataset folder, then loads it in the background.
    pub(super) fn open_data_dialog(&mut self) {
        if let Some(dir) = rfd::FileDialog::new()
            .set_title(tr("Open a dataset folder (IDX files or images)"))
            .pick_folder()
        {
            self.open_data(DataSource::Folder(dir));
        }
    }
}
