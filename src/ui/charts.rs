//! The live charts (egui_plot): D and G loss over steps, and mean D(x) and mean
//! D(G(z)) over steps with the 0.5 line the game converges to. Each series keeps
//! a bounded [`History`] (full resolution for the recent window, merged older
//! points), plus a cached smoothed copy; plots borrow the points, never clone them.

use eframe::egui;

use egui::Color32;
use egui_plot::{ColorConflictHandling, HLine, Legend, Line, Plot, PlotPoint, PlotPoints};

use crate::worker::StepPoint;

use super::app::App;
use super::history::History;
use super::i18n::tr;

/// Colour of everything about real images (D(x)).
pub const REAL_COLOR: Color32 = Color32::from_rgb(52, 120, 230);
/// Colour of everything about fake images (D(G(z))).
pub const FAKE_COLOR: Color32 = Color32::from_rgb(235, 120, 30);
/// Colour of the discriminator's loss.
pub const D_LOSS_COLOR: Color32 = Color32::from_rgb(150, 90, 200);
/// Colour of the generator's loss.
pub const G_LOSS_COLOR: Color32 = Color32::from_rgb(30, 160, 120);

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

/// The four series the charts draw.
#[derive(Debug, Default)]
pub struct Charts {
    /// Discriminator loss.
    pub d_loss: Series,
    /// Generator loss.
    pub g_loss: Series,
    /// Mean D(x) on real batches.
    pub d_real: Series,
    /// Mean D(G(z)) on fake batches.
    pub d_fake: Series,
}

impl Charts {
    /// Appends one point per iteration to each series.
    pub fn extend(&mut self, points: &[StepPoint]) {
        for p in points {
            let x = p.step as f64;
            self.d_loss.raw.push(x, f64::from(p.d_loss));
            self.g_loss.raw.push(x, f64::from(p.g_loss));
            self.d_real.raw.push(x, f64::from(p.d_real_mean));
            self.d_fake.raw.push(x, f64::from(p.d_fake_mean));
        }
    }

    /// Points stored per series.
    pub fn len(&self) -> usize {
        self.d_loss.raw.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.d_loss.raw.is_empty()
    }

    /// Forgets everything (a new run).
    pub fn clear(&mut self) {
        self.d_loss.clear();
        self.g_loss.clear();
        self.d_real.clear();
        self.d_fake.clear();
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
    /// D loss and G loss over steps.
    pub(super) fn loss_chart_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong(tr("Losses"));
            ui.checkbox(&mut self.settings.show_raw, tr("Raw"));
            ui.checkbox(&mut self.settings.show_smoothed, tr("Smoothed"));
        });
        let (show_raw, show_smooth, window) = (
            self.settings.show_raw,
            self.settings.show_smoothed,
            self.settings.smoothing_steps,
        );
        self.charts.d_loss.refresh(window);
        self.charts.g_loss.refresh(window);
        let width = super::presenter::line_width(self.settings.presenter);
        let Charts { d_loss, g_loss, .. } = &self.charts;
        let d_smooth = show_smooth.then_some(d_loss.smooth.as_slice());
        let g_smooth = show_smooth.then_some(g_loss.smooth.as_slice());
        let d_raw = show_raw.then_some(d_loss.raw.points());
        let g_raw = show_raw.then_some(g_loss.raw.points());
        Plot::new("loss_plot")
            .legend(series_legend())
            .x_axis_label(tr("step"))
            .link_axis(egui::Id::unique("step_axis"), [true, false])
            .link_cursor(egui::Id::unique("step_axis"), [true, false])
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                add_series(plot_ui, tr("D loss"), D_LOSS_COLOR, d_raw, d_smooth, width);
                add_series(plot_ui, tr("G loss"), G_LOSS_COLOR, g_raw, g_smooth, width);
            });
    }

    /// Mean D(x) and mean D(G(z)) over steps, with the 0.5 line.
    pub(super) fn d_chart_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong(tr("Discriminator outputs"));
            // Cut short (full text on hover) where the chart is narrow, e.g. in presenter mode.
            ui.add(egui::Label::new(egui::RichText::new(tr("(both tend to 0.5 as G learns)")).weak()).truncate());
        });
        let (show_raw, show_smooth, window) = (
            self.settings.show_raw,
            self.settings.show_smoothed,
            self.settings.smoothing_steps,
        );
        self.charts.d_real.refresh(window);
        self.charts.d_fake.refresh(window);
        let width = super::presenter::line_width(self.settings.presenter);
        let Charts { d_real, d_fake, .. } = &self.charts;
        let r_smooth = show_smooth.then_some(d_real.smooth.as_slice());
        let f_smooth = show_smooth.then_some(d_fake.smooth.as_slice());
        let r_raw = show_raw.then_some(d_real.raw.points());
        let f_raw = show_raw.then_some(d_fake.raw.points());
        Plot::new("d_plot")
            .legend(series_legend())
            .x_axis_label(tr("step"))
            .include_y(0.0)
            .include_y(1.0)
            .link_axis(egui::Id::unique("step_axis"), [true, false])
            .link_cursor(egui::Id::unique("step_axis"), [true, false])
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                plot_ui.hline(
                    HLine::new("0.5", 0.5)
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
                add_series(plot_ui, tr("mean D(x)"), REAL_COLOR, r_raw, r_smooth, width);
                add_series(plot_ui, tr("mean D(G(z))"), FAKE_COLOR, f_raw, f_smooth, width);
            });
    }
}
