//! The debug panel: how long the UI takes to build each frame (p50 / p95 / max
//! over the last few seconds) and the interval between frames, so the promise
//! "the UI stays under 16 ms while training" can be checked live; plus the sizes
//! of the bounded histories and a button that exercises the worker's panic recovery.

use eframe::egui;

use std::collections::VecDeque;
use std::time::Duration;

use crate::worker::Command;

use super::app::App;
use super::i18n::tr;
use crate::tr;

/// Frames remembered for the statistics.
const WINDOW: usize = 300;

/// Recent frame times.
#[derive(Debug, Clone, Default)]
pub struct FrameStats {
    build_ms: VecDeque<f32>,
    interval_ms: VecDeque<f32>,
}

/// Percentiles of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f32,
    /// 95th percentile.
    pub p95_ms: f32,
    /// Largest.
    pub max_ms: f32,
    /// How many values.
    pub count: usize,
}

/// Percentiles of `values` (nearest rank).
pub fn percentiles(values: impl IntoIterator<Item = f32>) -> Percentiles {
    let mut v: Vec<f32> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_by(f32::total_cmp);
    let at = |q: f32| v[(((v.len() as f32) * q).ceil() as usize).clamp(1, v.len()) - 1];
    Percentiles {
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        max_ms: v[v.len() - 1],
        count: v.len(),
    }
}

impl FrameStats {
    /// Records one frame: the time spent building it and egui's frame interval (seconds).
    pub fn record(&mut self, build: Duration, interval_s: f32) {
        push_bounded(&mut self.build_ms, build.as_secs_f32() * 1000.0);
        push_bounded(&mut self.interval_ms, interval_s * 1000.0);
    }

    /// Time the UI took to build a frame.
    pub fn build(&self) -> Percentiles {
        percentiles(self.build_ms.iter().copied())
    }

    /// Time between frames.
    pub fn interval(&self) -> Percentiles {
        percentiles(self.interval_ms.iter().copied())
    }
}

fn push_bounded(q: &mut VecDeque<f32>, v: f32) {
    if q.len() >= WINDOW {
        q.pop_front();
    }
    q.push_back(v);
}

impl App {
    /// A floating window with the frame-time readout.
    pub(super) fn debug_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.settings.show_debug;
        egui::Window::new(tr("Debug"))
            .open(&mut open)
            .default_pos([900.0, 80.0])
            .resizable(false)
            .show(ctx, |ui| {
                let b = self.frame_stats.build();
                let i = self.frame_stats.interval();
                egui::Grid::new("debug_grid").num_columns(2).show(ui, |ui| {
                    ui.label(tr("UI build time"));
                    ui.monospace(format!(
                        "p50 {:5.2} ms  p95 {:5.2} ms  max {:5.2} ms",
                        b.p50_ms, b.p95_ms, b.max_ms
                    ));
                    ui.end_row();
                    ui.label(tr("Frame interval"));
                    ui.monospace(tr!(
                        "p50 {p50} ms  p95 {p95} ms  ({n} frames)",
                        p50 = format!("{:5.1}", i.p50_ms),
                        p95 = format!("{:5.1}", i.p95_ms),
                        n = i.count
                    ));
                    ui.end_row();
                    ui.label(tr("Chart points per series"));
                    ui.monospace(self.charts.len().to_string());
                    ui.end_row();
                    ui.label(tr("Stored histograms / grids"));
                    ui.monospace(format!(
                        "{} / {}",
                        self.histogram.timeline.len(),
                        self.samples.timeline.len()
                    ));
                    ui.end_row();
                    ui.label(tr("Trainer threads"));
                    ui.monospace(crate::worker::trainer_threads().to_string());
                    ui.end_row();
                    ui.label(tr("Commands waiting"));
                    ui.monospace(self.pending.len().to_string());
                    ui.end_row();
                });
                if ui
                    .button(tr("Simulate a trainer crash"))
                    .on_hover_text(tr(
                        "Panics inside the trainer: the error banner shows, training pauses, the app stays up",
                    ))
                    .clicked()
                {
                    self.send(Command::InjectPanic);
                }
            });
        self.settings.show_debug &= open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let p = percentiles((1..=100).map(|x| x as f32));
        assert_eq!(p.p50_ms, 50.0);
        assert_eq!(p.p95_ms, 95.0);
        assert_eq!(p.max_ms, 100.0);
        assert_eq!(percentiles([]).count, 0);
    }
}
