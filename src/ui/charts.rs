//! The live charts (egui_plot): whatever the running family declares
//! ([`crate::family::Family::charts`] and `metrics`) — for a GAN the D and G losses and
//! the mean D(x) and D(G(z)) with the 0.5 line the game converges to; for a VAE the −ELBO,
//! its two terms and the KL weight. Each series keeps a bounded [`History`] (full
//! resolution for the recent window, merged older points), plus a cached smoothed copy;
//! plots borrow the points, never clone them.

use eframe::egui;

use egui::Color32;
use egui_plot::{HLine, Line, Plot, PlotPoint, PlotPoints};

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

/// Adds a series to a plot: a thin raw line and a thick smoothed one, as the settings say;
/// the raw line is faded when both show.
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
        // The generative families' samples are judged: their quality chart comes last (not
        // for a translation model, whose grid is held-out digits: it charts its own figures).
        let judged = crate::family::ALL.iter().any(|f| f.id() == family.id()) && family.showcase_caption().is_none();
        let n = (charts.len() + usize::from(judged)).max(1) as f32;
        // One spacing spare, so that the last cell's frame stays inside the window.
        let w = ((width - spacing * n) / n).max(100.0);
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
        let inline_note = note_fits(ui);
        ui.horizontal_wrapped(|ui| {
            let title = ui.strong(tr(def.title));
            // The view toggles are advanced controls: presenter mode hides them.
            if first && !self.settings.presenter {
                ui.checkbox(&mut self.settings.show_raw, tr("Raw"));
                ui.checkbox(&mut self.settings.show_smoothed, tr("Smoothed"));
            }
            if let Some(note) = def.note {
                chart_note(ui, &title, tr(note), inline_note);
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
        let mut legend: Vec<(String, Color32, bool)> = metrics
            .iter()
            .filter(|m| m.chart == def.id)
            .map(|m| (tr(m.label).to_string(), rgb(m.color), false))
            .collect();
        // D's two means settle at half the real label (0.5, or 0.45 under smoothing 0.9).
        let reference = if def.id == crate::family::gan::D_OUTPUTS_CHART.id {
            Some(f64::from(self.watch.equilibrium_centre()))
        } else {
            def.reference
        };
        if let Some(y) = reference {
            legend.push((reference_label(y), Color32::GRAY, true));
        }
        legend_row(ui, &legend);
        let mut plot = step_plot(("chart", def.id));
        if let Some((lo, hi)) = def.y_range {
            plot = plot.include_y(lo).include_y(hi);
        }
        let series = &self.charts.series;
        plot.show(ui, |plot_ui| {
            if let Some(y) = reference {
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

/// The narrowest chart cell (in points) that shows a chart's note under its title. At
/// 1280×720 in presenter mode three charts get about 150 points each and four about 105;
/// four charts' notes would push the plots and the sample grid below them off the screen.
pub(super) const NOTE_MIN_WIDTH: f32 = 130.0;

/// Whether a chart's note fits under its title in this cell ([`NOTE_MIN_WIDTH`]).
pub(super) fn note_fits(ui: &egui::Ui) -> bool {
    ui.available_width() >= NOTE_MIN_WIDTH
}

/// A chart's note: beside its title, wrapped, where it fits; otherwise on the title's hover.
pub(super) fn chart_note(ui: &mut egui::Ui, title: &egui::Response, note: &str, inline: bool) {
    if inline {
        ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
    } else {
        title.clone().on_hover_text(note);
    }
}

/// A chart's legend as a row of coloured swatches and names above the plot, where it
/// cannot cover the lines (egui_plot's legend sits on top of them, and at presenter sizes
/// it hides much of a small plot). `dashed` entries are reference lines.
pub(super) fn legend_row(ui: &mut egui::Ui, items: &[(String, Color32, bool)]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (label, color, dashed) in items {
            // Swatch and name as one widget, so that the row wraps between entries only; a
            // name wider than the whole cell (presenter mode, Korean) wraps inside it.
            let text_color = ui.visuals().text_color();
            let line_h = ui.text_style_height(&egui::TextStyle::Body);
            let swatch_w = line_h * 1.2;
            let gap = 4.0;
            let galley = egui::WidgetText::from(label.as_str()).into_galley(
                ui,
                Some(egui::TextWrapMode::Wrap),
                (ui.max_rect().width() - swatch_w - gap - 6.0).max(40.0),
                egui::TextStyle::Body,
            );
            let h = galley.size().y.max(line_h);
            let (rect, resp) =
                ui.allocate_exact_size(egui::vec2(swatch_w + gap + galley.size().x, h), egui::Sense::hover());
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, label.as_str()));
            let stroke = egui::Stroke::new(3.0, *color);
            let y = rect.center().y;
            let (a, b) = (egui::pos2(rect.left(), y), egui::pos2(rect.left() + swatch_w, y));
            if *dashed {
                ui.painter().line_segment([a, a.lerp(b, 0.4)], stroke);
                ui.painter().line_segment([a.lerp(b, 0.6), b], stroke);
            } else {
                ui.painter().line_segment([a, b], stroke);
            }
            let at = egui::pos2(rect.left() + swatch_w + gap, rect.center().y - galley.size().y / 2.0);
            ui.painter().galley(at, galley, text_color);
            ui.add_space(6.0);
        }
    });
}

/// Steps of a 1-2-5 grid about `range / labels` apart (and finer and coarser lines), so
/// that a narrow chart still labels a few values: egui_plot's powers of ten leave a
/// 230-point-wide chart of 877 steps with the single label "0".
pub(super) fn nice_grid(labels: f64) -> impl Fn(egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    egui_plot::uniform_grid_spacer(move |input| {
        let span = (input.bounds.1 - input.bounds.0).abs();
        let target = if span.is_finite() && span > 0.0 {
            span / labels.max(1.0)
        } else {
            1.0
        };
        let medium = nice_step(target.max(input.base_step_size));
        [medium / 5.0, medium, medium * 5.0]
    })
}

/// The 1-2-5 number at or above `x` (> 0): 0.2, 0.5, 1, 2, 5, 10, 20…
pub(super) fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&v| v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

/// A value axis label: enough decimals for the grid step, and powers of ten for very large
/// or very small values ("3e21", not "3000000000000000000000").
pub(super) fn value_label(value: f64, step: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return if value == 0.0 { "0".into() } else { format!("{value}") };
    }
    let a = value.abs();
    if !(1e-4..1e5).contains(&a) {
        let digits = (a.log10() - step.abs().max(f64::MIN_POSITIVE).log10())
            .round()
            .clamp(0.0, 3.0) as usize;
        return format!("{value:.digits$e}");
    }
    // Enough decimals for the step, and more where the value needs them (0.25 on a grid
    // of quarters is "0.25", not "0.2").
    let from_step = (-step.abs().max(1e-12).log10()).ceil().clamp(0.0, 6.0) as i32;
    let exact = |d: i32| {
        let scaled = value * 10f64.powi(d);
        (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
    };
    let decimals = (from_step..=6).find(|&d| exact(d)).unwrap_or(6) as usize;
    format!("{value:.decimals$}")
}

/// A step axis label: whole steps, "12k" from ten thousand, "1.5M" from ten million.
pub(super) fn step_label(value: f64, step: f64) -> String {
    let a = value.abs();
    let (unit, suffix) = if a >= 1e7 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let decimals = (-(step / unit).max(1e-12).log10()).ceil().clamp(0.0, 3.0) as usize;
    format!("{:.decimals$}{suffix}", value / unit)
}

/// A step (x) and value (y) chart with the labels and grid above.
pub(super) fn step_plot<'a>(id: impl egui::AsIdSalt) -> Plot<'a> {
    Plot::new(id)
        .x_grid_spacer(nice_grid(3.0))
        .y_grid_spacer(nice_grid(3.0))
        .x_axis_formatter(|m, _| step_label(m.value, m.step_size))
        .y_axis_formatter(|m, _| value_label(m.value, m.step_size))
        .x_axis_label(tr("step"))
        .link_axis(egui::Id::unique("step_axis"), [true, false])
        .link_cursor(egui::Id::unique("step_axis"), [true, false])
        .allow_scroll(false)
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

    #[test]
    fn axis_labels_stay_short_and_grids_label_narrow_ranges() {
        use super::{nice_step, step_label, value_label};
        assert_eq!(value_label(3e21, 1e21), "3e21");
        assert_eq!(value_label(2.5e21, 5e20), "2.5e21");
        assert_eq!(value_label(0.25, 0.05), "0.25");
        assert_eq!(value_label(0.25, 0.25), "0.25");
        assert_eq!(value_label(0.5, 0.25), "0.5");
        assert_eq!(value_label(3.0, 1.0), "3");
        assert_eq!(value_label(0.0, 0.1), "0");
        assert_eq!(step_label(800.0, 200.0), "800");
        assert_eq!(step_label(15000.0, 5000.0), "15k");
        assert_eq!(step_label(2500.0, 500.0), "2500");
        assert_eq!(step_label(12_500_000.0, 500_000.0), "12.5M");
        // 877 steps over a third: labels every 500 (0, 500) rather than every 1000 (0 only).
        assert_eq!(nice_step(877.0 / 3.0), 500.0);
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(2.0), 2.0);
    }
}
