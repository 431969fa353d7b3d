//! The status bar: step, steps/s, training time, device, and passing notices.

use eframe::egui;

use std::time::Duration;

use crate::data::format_count;

use super::app::App;
use super::i18n::runtime::translate;
use super::i18n::tr;
use crate::tr;

/// `h:mm:ss` (or `m:ss` under an hour).
pub fn format_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

impl App {
    /// One line at the bottom of the window.
    pub(super) fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match &self.status {
                Some(s) => {
                    let state = if !s.ready {
                        tr("Loading")
                    } else if s.running {
                        tr("Running")
                    } else {
                        tr("Paused")
                    };
                    ui.strong(state);
                    ui.separator();
                    if s.game.is_some() {
                        ui.label(tr!("Iteration {step}", step = format_count(s.step)));
                    } else {
                        ui.label(tr!("Step {step}", step = format_count(s.step)));
                    }
                    ui.separator();
                    ui.label(tr!("{rate} steps/s", rate = format!("{:.1}", s.steps_per_sec)));
                    ui.separator();
                    ui.label(tr!("Elapsed {time}", time = format_elapsed(s.elapsed)));
                    ui.separator();
                    ui.label(tr!("Device: {device}", device = translate(&s.device)));
                    ui.separator();
                    match s.game {
                        // The Game tab: the toy game's numbers, not the image run's.
                        Some(dist) => {
                            ui.label(tr!("The GAN game on {data}", data = super::toy::dist_label(dist)));
                        }
                        None => match s.model.latent_dim() {
                            Some(size) => {
                                ui.label(tr!("{model} · latent {size}", model = tr(s.model.label()), size = size));
                            }
                            // A model without a latent code (PixelCNN).
                            None => {
                                ui.label(tr(s.model.label()));
                            }
                        },
                    }
                }
                None => {
                    ui.label(tr("Starting the trainer…"));
                }
            }
            if let Some((notice, _)) = &self.notice {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.add(egui::Label::new(egui::RichText::new(notice).weak()).truncate());
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_formats() {
        assert_eq!(format_elapsed(Duration::from_secs(5)), "0:05");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2:05");
        assert_eq!(format_elapsed(Duration::from_secs(3725)), "1:02:05");
    }
}
