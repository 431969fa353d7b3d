//! The D-output histogram: D's probabilities on recent real batches and on
//! recent fake batches, two overlaid histograms over [0, 1] with the equilibrium's line.
//! Early on real piles up near 1 and fake near 0; as G learns both drift to 0.5 (to half
//! the real label under one-sided label smoothing).
//! Every histogram received is kept in a bounded [`Timeline`] that a slider scrubs.
//! It is fed the running family's distribution vectors `d_real` and `d_fake` (the GANs);
//! per-index vectors (a VAE's KL per latent dimension) are drawn as bars instead
//! ([`App::vector_bars_ui`]).

use eframe::egui;

use egui_plot::{Bar, BarChart, Plot, VLine};

use crate::family::{Family, VectorKind};
use crate::worker::VectorFrame;

use super::app::App;
use super::charts::{FAKE_COLOR, REAL_COLOR};
use super::history::Timeline;
use super::i18n::tr;
use crate::tr;

/// Bins over [0, 1].
pub const BINS: usize = 25;
/// Histograms kept for scrubbing.
pub const TIMELINE_CAP: usize = 600;

/// The fraction of values in each bin, for real and fake images.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    /// Share of real images per bin (sums to 1).
    pub real: [f32; BINS],
    /// Share of fake images per bin (sums to 1).
    pub fake: [f32; BINS],
    /// Mean D(x).
    pub real_mean: f32,
    /// Mean D(G(z)).
    pub fake_mean: f32,
    /// Values counted (real, fake).
    pub counts: (usize, usize),
}

/// Bins probabilities over [0, 1] as shares of the total.
pub fn bin(values: &[f32]) -> [f32; BINS] {
    let mut out = [0.0; BINS];
    let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return out;
    }
    for v in &finite {
        let i = ((v.clamp(0.0, 1.0) * BINS as f32) as usize).min(BINS - 1);
        out[i] += 1.0;
    }
    let n = finite.len() as f32;
    for o in &mut out {
        *o /= n;
    }
    out
}

impl Binned {
    /// Bins one set of D outputs.
    pub fn from_outputs(real: &[f32], fake: &[f32]) -> Self {
        Self {
            real: bin(real),
            fake: bin(fake),
            real_mean: crate::train::metrics::mean(real),
            fake_mean: crate::train::metrics::mean(fake),
            counts: (real.len(), fake.len()),
        }
    }
}

/// The histogram's history and the scrubber's position.
#[derive(Debug)]
pub struct HistogramPanel {
    /// Every histogram received (thinned when old).
    pub timeline: Timeline<Binned>,
    /// The entry shown, or `None` to follow the newest.
    pub scrub: Option<usize>,
    /// The latest per-index vectors of the family (label, colour, values).
    pub bars: Vec<(&'static str, [u8; 3], Vec<f32>)>,
    /// The step of those bars.
    pub bars_step: u64,
}

impl Default for HistogramPanel {
    fn default() -> Self {
        Self {
            timeline: Timeline::new(TIMELINE_CAP),
            scrub: None,
            bars: Vec::new(),
            bars_step: 0,
        }
    }
}

impl HistogramPanel {
    /// Takes the newest vectors of `family`: D's verdicts into the histogram timeline,
    /// per-index vectors as bars.
    pub fn push(&mut self, frame: &VectorFrame, family: &dyn Family) {
        let defs = family.vectors();
        let get = |key: &str| {
            defs.iter()
                .position(|d| d.key == key)
                .and_then(|i| frame.vectors.get(i))
                .filter(|v| !v.is_empty())
        };
        self.bars = defs
            .iter()
            .zip(&frame.vectors)
            .filter(|(d, v)| d.kind == VectorKind::PerIndex && !v.is_empty())
            .map(|(d, v)| (d.label, d.color, v.clone()))
            .collect();
        self.bars_step = frame.step;
        let (Some(real), Some(fake)) = (get("d_real"), get("d_fake")) else {
            return;
        };
        // A thinning timeline shifts indices; keep a scrubbed view near where it was.
        let before = self.timeline.len();
        self.timeline.push(frame.step, Binned::from_outputs(real, fake));
        if let Some(i) = self.scrub
            && self.timeline.len() <= before
        {
            self.scrub = Some(i.min(self.timeline.len().saturating_sub(1)));
        }
    }

    /// Forgets everything (a new run).
    pub fn clear(&mut self) {
        self.timeline.clear();
        self.scrub = None;
        self.bars.clear();
        self.bars_step = 0;
    }
}

impl App {
    /// The two overlaid histograms, the equilibrium's line, and the history slider.
    pub(super) fn histogram_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong(tr("D's verdicts"));
            ui.colored_label(REAL_COLOR, tr("real"));
            ui.colored_label(FAKE_COLOR, tr("fake"));
        });
        let presenter = self.settings.presenter;
        // Where both piles meet at the equilibrium: 0.5, or half the real label.
        let centre = f64::from(self.watch.equilibrium_centre());
        let panel = &mut self.histogram;
        let len = panel.timeline.len();
        let shown = panel.scrub.unwrap_or(len.saturating_sub(1));
        let entry = panel.timeline.get(shown);
        let caption = match entry {
            Some((step, b)) => tr!(
                "step {step}: mean D(x) {real}, mean D(G(z)) {fake} ({n_real} + {n_fake} images)",
                step = step,
                real = format!("{:.2}", b.real_mean),
                fake = format!("{:.2}", b.fake_mean),
                n_real = b.counts.0,
                n_fake = b.counts.1
            ),
            None => tr("no verdicts yet").to_string(),
        };
        // In presenter mode the caption keeps to one line (full text on hover) and the
        // history slider goes, so the bars keep most of the cell.
        if presenter {
            ui.add(egui::Label::new(egui::RichText::new(caption).weak()).truncate());
        } else {
            ui.weak(caption);
        }
        let slider_h = if presenter {
            0.0
        } else {
            2.0 * ui.spacing().interact_size.y + 8.0
        };
        let plot_h = (ui.available_height() - slider_h).max(80.0);
        let width = 1.0 / BINS as f64;
        let bars = |shares: &[f32; BINS]| -> Vec<Bar> {
            shares
                .iter()
                .enumerate()
                .map(|(i, &s)| Bar::new((i as f64 + 0.5) * width, f64::from(s)).width(width * 0.95))
                .collect()
        };
        let (real, fake) = match entry {
            Some((_, b)) => (bars(&b.real), bars(&b.fake)),
            None => (Vec::new(), Vec::new()),
        };
        // No in-plot legend: the header above names the colours.
        Plot::new("d_histogram")
            .height(plot_h)
            .x_axis_label(tr("D(·): probability \"real\""))
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(0.5)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                plot_ui.bar_chart(BarChart::new(tr("real"), real).color(REAL_COLOR.gamma_multiply(0.7)));
                plot_ui.bar_chart(BarChart::new(tr("fake"), fake).color(FAKE_COLOR.gamma_multiply(0.7)));
                plot_ui.vline(
                    VLine::new(super::charts::reference_label(centre), centre)
                        .color(egui::Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            });
        if presenter {
            return;
        }
        ui.horizontal(|ui| {
            let mut idx = shown;
            let max = len.saturating_sub(1);
            let slider = ui.add_enabled(
                len > 1,
                egui::Slider::new(&mut idx, 0..=max)
                    .show_value(false)
                    .text(tr("Verdict history")),
            );
            if slider.changed() {
                panel.scrub = if idx >= max { None } else { Some(idx) };
            }
            if panel.scrub.is_some() && ui.button(tr("Live")).clicked() {
                panel.scrub = None;
            }
        });
    }
}

impl App {
    /// The family's per-index vectors as bars (a VAE: the KL of each latent dimension; a
    /// dimension whose KL stays near 0 is inactive, the decoder ignores it).
    pub(super) fn vector_bars_ui(&mut self, ui: &mut egui::Ui) {
        let panel = &self.histogram;
        let Some((label, color, values)) = panel.bars.first() else {
            ui.strong(tr("KL per latent dimension"));
            ui.weak(tr("no values yet"));
            return;
        };
        ui.strong(tr(label));
        let active = values
            .iter()
            .filter(|&&v| v > crate::classroom::events::ACTIVE_KL)
            .count();
        let caption = tr!(
            "step {step}: {active} of {n} dimensions active (KL above {threshold} nats)",
            step = panel.bars_step,
            active = active,
            n = values.len(),
            threshold = crate::classroom::events::ACTIVE_KL
        );
        ui.add(egui::Label::new(egui::RichText::new(caption).weak()).truncate());
        let bars: Vec<Bar> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Bar::new(i as f64, f64::from(v)).width(0.8))
            .collect();
        Plot::new("vector_bars")
            .x_axis_label(tr("latent dimension"))
            .include_y(0.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                plot_ui.bar_chart(BarChart::new(tr(label), bars).color(super::charts::rgb(*color)));
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_shares_and_edges_land_inside() {
        let b = bin(&[0.0, 0.01, 0.5, 0.99, 1.0, f32::NAN]);
        assert!((b.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(b[0], 0.4);
        assert_eq!(b[BINS - 1], 0.4);
        assert_eq!(b[BINS / 2], 0.2);
    }
}
