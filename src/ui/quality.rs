//! Sample quality in the training window, by the built-in digit judge: a chart of the share
//! of samples it recognises and the classes they cover (under the losses), and the class
//! histogram of the latest samples with their classifier Fréchet distance (beside the
//! sample grid). The worker computes the figures every few seconds ([`QualityPoint`]).

use eframe::egui;
use egui_plot::{HLine, Line, PlotPoints};

use crate::worker::QualityPoint;

use super::app::App;
use super::i18n::tr;
use crate::tr;

/// Quality points kept per run (one every few seconds: hours of training).
const MAX_POINTS: usize = 20_000;

/// Colour of the recognisable share.
const RECOGNISED_COLOR: egui::Color32 = egui::Color32::from_rgb(30, 160, 120);
/// Colour of the classes covered.
const CLASSES_COLOR: egui::Color32 = egui::Color32::from_rgb(52, 120, 230);
/// Colour of a conditional model's label accuracy.
const LABEL_COLOR: egui::Color32 = egui::Color32::from_rgb(200, 60, 110);

/// The run's quality figures, oldest first.
#[derive(Debug, Default)]
pub struct QualityLog {
    points: Vec<QualityPoint>,
}

impl QualityLog {
    /// Adds the figures of a later step (older or repeated steps replace nothing).
    pub fn push(&mut self, p: QualityPoint) {
        if self
            .points
            .last()
            .is_some_and(|last| last.step >= p.step && last.run == p.run)
        {
            if let Some(last) = self.points.last_mut()
                && last.step == p.step
            {
                *last = p;
            }
            return;
        }
        if self.points.len() >= MAX_POINTS {
            // Keep every other one of the older half.
            let half = self.points.len() / 2;
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i > half || i % 2 == 0
            });
        }
        self.points.push(p);
    }

    /// The latest figures.
    pub fn latest(&self) -> Option<&QualityPoint> {
        self.points.last()
    }

    /// All of them.
    pub fn points(&self) -> &[QualityPoint] {
        &self.points
    }

    /// Forgets them (a new run).
    pub fn clear(&mut self) {
        self.points.clear();
    }
}

impl App {
    /// The quality chart: share recognised and classes covered ÷ 10, over the steps.
    pub(super) fn quality_chart_ui(&mut self, ui: &mut egui::Ui) {
        let inline_note = super::charts::note_fits(ui);
        ui.horizontal_wrapped(|ui| {
            let title =
                ui.add(egui::Label::new(egui::RichText::new(tr("Sample quality (digit judge)")).strong()).truncate());
            super::charts::chart_note(ui, &title, tr("(real digits: about 0.99 and 1)"), inline_note);
        });
        let points = self.quality.points();
        let recognised: Vec<[f64; 2]> = points
            .iter()
            .map(|p| [p.step as f64, f64::from(p.quality.recognisable)])
            .collect();
        let classes: Vec<[f64; 2]> = points
            .iter()
            .map(|p| [p.step as f64, p.quality.classes as f64 / 10.0])
            .collect();
        let labels: Vec<[f64; 2]> = points
            .iter()
            .filter_map(|p| p.quality.label_accuracy.map(|a| [p.step as f64, f64::from(a)]))
            .collect();
        let clusters: Vec<[f64; 2]> = points
            .iter()
            .filter_map(|p| p.quality.cluster_accuracy.map(|a| [p.step as f64, f64::from(a)]))
            .collect();
        let width = super::presenter::line_width(self.settings.presenter);
        let mut legend = vec![
            (tr("recognisable").to_string(), RECOGNISED_COLOR, false),
            (tr("classes covered ÷ 10").to_string(), CLASSES_COLOR, false),
        ];
        if !labels.is_empty() {
            legend.push((tr("label accuracy").to_string(), LABEL_COLOR, false));
        }
        if !clusters.is_empty() {
            legend.push((tr("c₁ cluster accuracy").to_string(), LABEL_COLOR, false));
        }
        legend.push(("0.8".to_string(), egui::Color32::GRAY, true));
        super::charts::legend_row(ui, &legend);
        super::charts::step_plot("quality_chart")
            .include_y(0.0)
            .include_y(1.0)
            .show(ui, |plot_ui| {
                plot_ui.hline(
                    HLine::new("0.8", 0.8)
                        .color(egui::Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
                plot_ui.line(
                    Line::new(tr("recognisable"), PlotPoints::new(recognised))
                        .color(RECOGNISED_COLOR)
                        .width(width),
                );
                plot_ui.line(
                    Line::new(tr("classes covered ÷ 10"), PlotPoints::new(classes))
                        .color(CLASSES_COLOR)
                        .width(width),
                );
                if !labels.is_empty() {
                    plot_ui.line(
                        Line::new(tr("label accuracy"), PlotPoints::new(labels))
                            .color(LABEL_COLOR)
                            .width(width),
                    );
                }
                if !clusters.is_empty() {
                    plot_ui.line(
                        Line::new(tr("c₁ cluster accuracy"), PlotPoints::new(clusters))
                            .color(LABEL_COLOR)
                            .width(width),
                    );
                }
            });
    }

    /// The judge's class histogram of the latest samples, with the figures in words.
    pub(super) fn class_bars_ui(&mut self, ui: &mut egui::Ui) {
        ui.strong(tr("Judge's classes"));
        let Some(p) = self.quality.latest() else {
            ui.weak(tr("(after the first seconds of training)"));
            return;
        };
        let q = &p.quality;
        let row_h = ui.text_style_height(&egui::TextStyle::Small).max(10.0);
        let label_w = row_h;
        let width = ui.available_width().max(60.0);
        let (rect, resp) = ui.allocate_exact_size(egui::vec2(width, 10.0 * (row_h + 2.0)), egui::Sense::hover());
        resp.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Image, true, tr("Share of the samples in each class"))
        });
        let painter = ui.painter_at(rect);
        let top = q.histogram.iter().copied().fold(0.0f32, f32::max).max(1e-6);
        let font = egui::TextStyle::Small.resolve(ui.style());
        for (c, &share) in q.histogram.iter().enumerate() {
            let y = rect.top() + c as f32 * (row_h + 2.0);
            painter.text(
                egui::pos2(rect.left(), y),
                egui::Align2::LEFT_TOP,
                c.to_string(),
                font.clone(),
                ui.visuals().text_color(),
            );
            let full = rect.width() - label_w - 2.0;
            let bar = egui::Rect::from_min_size(
                egui::pos2(rect.left() + label_w, y + 1.0),
                egui::vec2(full * share / top, row_h - 2.0),
            );
            let color = if share >= crate::quality::COVERED_AT {
                RECOGNISED_COLOR
            } else {
                RECOGNISED_COLOR.gamma_multiply(0.35)
            };
            painter.rect_filled(bar, 1.0, color);
        }
        ui.label(super::i18n::fill(
            tr("{share} recognisable · {classes} classes"),
            &[
                ("share", &format!("{:.2}", q.recognisable)),
                ("classes", &q.classes),
            ],
        ))
        .on_hover_text(tr(
            "Of the judge's verdicts on 500 samples: the share it is at least 90 % sure of, and the classes with at least 2 % of them",
        ));
        if let Some(a) = q.cluster_accuracy {
            ui.label(tr!("c₁ cluster accuracy {value}", value = format!("{a:.2}")))
                .on_hover_text(tr(
                    "Of 500 samples drawn with each value of c₁ in turn: the share whose digit matches their c₁, under the best one-to-one map of c₁'s values to digits",
                ));
        }
        if let Some(a) = q.label_accuracy {
            ui.label(tr!("label accuracy {value}", value = format!("{a:.2}")))
                .on_hover_text(tr(
                    "Of 500 samples asked for each class in turn: the share the judge names as the class asked for",
                ));
        }
        ui.weak(super::i18n::fill(
            tr("Fréchet {d} (real digits {real})"),
            &[
                ("d", &format!("{:.0}", q.frechet)),
                ("real", &format!("{:.0}", q.real_frechet)),
            ],
        ))
        .on_hover_text(tr(
            "Distance between the judge's features of the samples and of 1,000 held-out real digits; lower is better, and real digits score the second number",
        ));
    }
}
