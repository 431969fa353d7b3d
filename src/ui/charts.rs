//! The live charts (egui_plot): whatever the running family declares
//! ([`crate::family::Family::charts`] and `metrics`) — for a GAN the D and G losses and
//! the mean D(x) and D(G(z)) with the 0.5 line the game converges to; for a VAE the −ELBO,
//! its two terms and the KL weight. Each series keeps a bounded [`History`] (full
//! resolution for the recent window, merged older points), plus a cached smoothed copy;
//! plots borrow the points, never clone them.

use eframe::egui;

use egui::Color32;
use egui_plot::{ColorConflictHandling, HLine, Legend, Line, Plot, PlotPoint, PlotPoints};

use crate::family::{ChartDef, Family};
use crate::worker::StepPoint;

use super::app::App;
use super::history::History;
use super::i18n::tr;

/// Colour of everything about real images (D(x)).
pub const REAL_COLOR: Color32 = rgb(crate::family::gan::REAL_COLOR);
/// Colour of everything about fake images (D(G(z))).
pub const FAKE_COLOR: Color32 = rgb(crate::family::gan::FAKE_COLOR);

/// A family's colour as egui's.
pub const fn rgb(c: [u8; 3]) -> Color32 {
    Color32::from_rgb(c[0], c[1], c[2])
}

/// One chart series: raw points and a smoothed copy made on demand.
#[derive(Debug, Default)]
pub struct Series {
    /// The raw per-step values (downsampled when old).
    pub raw: History,
    smooth: Vec<PlotPoint>,
    smooth_key: Option<(u64, u32)>,
}

impl Series {
    /// Recomputes the smoothed copy if the points or the window changed.
    fn refresh(&mut self, window: f32) {
        let key = (self.raw.version(), window.to_bits());
        if self.smooth_key != Some(key) {
            self.raw.smoothed_into(f64::from(window), &mut self.smooth);
            self.smooth_key = Some(key);
        }
    }

    fn clear(&mut self) {
        self.raw.clear();
        self.smooth.clear();
        self.smooth_key = None;
    }
}

/// One series per metric of the running family.
#[derive(Debug, Default)]
pub struct Charts {
    /// The family whose metrics these are.
    family: Option<&'static dyn Family>,
    /// One per metric, in the family's order.
    pub series: Vec<Series>,
}

impl Charts {
    /// Starts over for `family`'s metrics (a new run).
    pub fn set_family(&mut self, family: Option<&'static dyn Family>) {
        self.family = family;
        let n = family.map_or(0, |f| f.metrics().len());
        self.series = (0..n).map(|_| Series::default()).collect();
    }

    /// The family charted.
    pub fn family(&self) -> Option<&'static dyn Family> {
        self.family
    }

    /// Appends each iteration's measured values to their series.
    pub fn extend(&mut self, points: &[StepPoint]) {
        for p in points {
            let x = p.step as f64;
            for (series, &v) in self.series.iter_mut().zip(&p.values) {
                if v.is_finite() {
                    series.raw.push(x, f64::from(v));
                }
            }
        }
    }

    /// Points stored in the longest series.
    pub fn len(&self) -> usize {
        self.series.iter().map(|s| s.raw.len()).max().unwrap_or(0)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every point (a new run of the same family).
    pub fn clear(&mut self) {
        self.series.iter_mut().for_each(Series::clear);
    }

    /// The series of metric `key`, if the family has it.
    pub fn series(&self, key: &str) -> Option<&Series> {
        let i = self.family?.metrics().iter().position(|m| m.key == key)?;
        self.series.get(i)
    }
}

/// A legend whose entry for a raw + smoothed pair shows the smoothed line's colour
/// (egui_plot greys out an entry whose items differ in colour unless told otherwise).
fn series_legend() -> Legend {
    Legend::default().color_conflict_handling(ColorConflictHandling::PickFirst)
}

/// Adds a series to a plot: a thin raw line and a thick smoothed one, as the settings say.
/// The smoothed line goes in first: the legend entry takes the colour of the first item
/// of its name ([`series_legend`]), and the raw line is faded when both show.
fn add_series<'a>(
    plot_ui: &mut egui_plot::PlotUi<'a>,
    name: &str,
    color: Color32,
    raw: Option<&'a [PlotPoint]>,
    smooth: Option<&'a [PlotPoint]>,
    width: f32,
) {
    if let Some(smooth) = smooth {
        plot_ui.line(Line::new(name, PlotPoints::Borrowed(smooth)).color(color).width(width));
    }
    if let Some(raw) = raw {
        let alpha = if smooth.is_some() { 0.35 } else { 1.0 };
        plot_ui.line(
            Line::new(name, PlotPoints::Borrowed(raw))
                .color(color.gamma_multiply(alpha))
                .width(width / 2.0),
        );
    }
}

impl App {
    /// The charts of the running family, side by side in `width` × `height` cells.
    pub(super) fn charts_row_ui(&mut self, ui: &mut egui::Ui, width: f32, height: f32) {
        let Some(family) = self.charts.family() else {
            return;
        };
        let charts = family.charts();
        let spacing = ui.spacing().item_spacing.x;
        // The generative families' samples are judged: their quality chart comes last.
        let judged = crate::family::ALL.iter().any(|f| f.id() == family.id());
        let n = (charts.len() + usize::from(judged)).max(1) as f32;
        let w = ((width - spacing * (n - 1.0)) / n).max(100.0);
        ui.horizontal(|ui| {
            for (i, def) in charts.iter().enumerate() {
                super::app::cell(ui, egui::vec2(w, height), |ui| self.chart_ui(ui, family, def, i == 0));
            }
            if judged {
                super::app::cell(ui, egui::vec2(w, height), |ui| self.quality_chart_ui(ui));
            }
        });
    }

    /// One chart: the family's metrics that belong to `def`, raw and smoothed.
    fn chart_ui(&mut self, ui: &mut egui::Ui, family: &'static dyn Family, def: &ChartDef, first: bool) {
        // Wrapped: in a narrow cell (four charts in presenter mode) the checkboxes go to a
        // second line instead of pushing the row past the window's edge.
        ui.horizontal_wrapped(|ui| {
            ui.strong(tr(def.title));
            if first {
                ui.checkbox(&mut self.settings.show_raw, tr("Raw"));
                ui.checkbox(&mut self.settings.show_smoothed, tr("Smoothed"));
            }
            if let Some(note) = def.note {
                // Cut short (full text on hover) where the chart is narrow, e.g. in presenter mode.
                ui.add(egui::Label::new(egui::RichText::new(tr(note)).weak()).truncate());
            }
        });
        let (show_raw, show_smooth, window) = (
            self.settings.show_raw,
            self.settings.show_smoothed,
            self.settings.smoothing_steps,
        );
        let metrics = family.metrics();
        for (m, series) in metrics.iter().zip(self.charts.series.iter_mut()) {
            if m.chart == def.id {
                series.refresh(window);
            }
        }
        let width = super::presenter::line_width(self.settings.presenter);
        let mut plot = Plot::new(("chart", def.id))
            .legend(series_legend())
            .x_axis_label(tr("step"))
            .link_axis(egui::Id::unique("step_axis"), [true, false])
            .link_cursor(egui::Id::unique("step_axis"), [true, false])
            .allow_scroll(false);
        if let Some((lo, hi)) = def.y_range {
            plot = plot.include_y(lo).include_y(hi);
        }
        let series = &self.charts.series;
        plot.show(ui, |plot_ui| {
            if let Some(y) = def.reference {
                plot_ui.hline(
                    HLine::new(reference_label(y), y)
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
            for (m, s) in metrics.iter().zip(series) {
                if m.chart != def.id {
                    continue;
                }
                let smooth = show_smooth.then_some(s.smooth.as_slice());
                let raw = show_raw.then_some(s.raw.points());
                add_series(plot_ui, tr(m.label), rgb(m.color), raw, smooth, width);
            }
        });
    }
}

/// A reference line's legend entry: two decimals at most ("0.5", "2.30" for ln 10, not
/// "2.302585092994046").
pub(super) fn reference_label(y: f64) -> String {
    let short = format!("{y:.2}");
    if (short.parse::<f64>().unwrap_or(y) - y).abs() < 1e-9 {
        // Exact in two decimals: drop the trailing zeros ("0.50" → "0.5", "1.00" → "1").
        let t = short.trim_end_matches('0').trim_end_matches('.');
        t.to_string()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reference_labels_are_short() {
        assert_eq!(super::reference_label(0.5), "0.5");
        assert_eq!(super::reference_label(1.0), "1");
        assert_eq!(super::reference_label(std::f64::consts::LN_10), "2.30");
    }
}
