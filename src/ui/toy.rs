//! The Game view: Goodfellow et al.'s Algorithm 1 played on toy data, small enough
//! to see everything at once.
//!
//! In 1-D (after the paper's figure 1): the data density (black), the density of
//! G's samples (green), D(x) (blue), the optimal discriminator
//! D*(x) = p_data / (p_data + p_g) (dashed), the 0.5 line, and, below, lines from
//! evenly spaced z to the x = G(z) they map to. In 2-D: real and fake points over
//! a heat map of D, with an arrow on each fake point for the way the generator's
//! gradient pushes it. Buttons step through the algorithm one update at a time;
//! after each a caption says, with the measured numbers, what just happened and
//! why, and the previous D curve (1-D) stays on the plot, faded.
//!
//! All numbers come from the worker as [`ToyFrame`]s; this file only draws them
//! and sends [`Command`]s.

use eframe::egui;
use egui_plot::{Arrows, HLine, Line, LineStyle, Plot, PlotImage, PlotPoint, PlotPoints, Points, Text};

use super::app::App;
use super::i18n::tr;
use super::settings::View;
use crate::data::toy::ToyDistribution;
use crate::train::GeneratorLoss;
use crate::worker::{Command, ToyConfig, ToyDReport, ToyFrame, ToyGReport, ToyUpdate};

/// Green of the generator (its density and samples).
const GREEN: egui::Color32 = egui::Color32::from_rgb(40, 160, 70);
/// Blue of the discriminator.
const BLUE: egui::Color32 = egui::Color32::from_rgb(50, 100, 220);
/// Purple of the optimal discriminator D*.
const PURPLE: egui::Color32 = egui::Color32::from_rgb(150, 70, 170);
/// The tallest density is drawn at most this high (the plot's y range ends a little above 1).
const DENSITY_TOP: f32 = 1.0;
/// At most this many gradient arrows are drawn in 2-D.
const MAX_ARROWS: usize = 150;

/// The game view's state: its hyperparameters and the latest frames from the worker.
#[derive(Default)]
pub struct Game {
    /// Whether the worker is in toy mode (this view asked for it).
    active: bool,
    /// The hyperparameters of the current game.
    config: ToyConfig,
    /// The latest frame.
    frame: Option<ToyFrame>,
    /// The frame before it (same game), drawn faded.
    prev: Option<ToyFrame>,
    /// The heat map's texture (loaded once, then updated).
    heat_texture: Option<egui::TextureHandle>,
    /// The points drawn for [`ToyDistribution::Drawn`] (flat `x, y` pairs).
    drawn: Vec<f32>,
}

impl std::fmt::Debug for Game {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Game")
            .field("active", &self.active)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Game {
    fn push(&mut self, frame: ToyFrame) {
        if let Some(old) = self.frame.take()
            && old.run == frame.run
            && old.dist == frame.dist
        {
            self.prev = Some(old);
        } else {
            self.prev = None;
        }
        self.frame = Some(frame);
    }

    /// The latest toy frame, if any (tests).
    pub fn frame(&self) -> Option<&ToyFrame> {
        self.frame.as_ref()
    }

    /// The caption for the latest update, in the current language.
    pub fn caption(&self) -> Option<String> {
        self.frame.as_ref().and_then(|f| f.last.as_ref()).map(caption)
    }
}

fn f2(x: f32) -> String {
    format!("{x:.2}")
}

fn f4(x: f32) -> String {
    format!("{x:.4}")
}

/// Whether a change from `before` to `after` does not show at two decimals: the caption
/// then says "barely changed" and gives four, instead of "raised 0.47 → 0.47".
fn barely(before: f32, after: f32) -> bool {
    f2(before) == f2(after)
}

fn d_sentences(d: &ToyDReport) -> Vec<String> {
    let mut out = Vec::new();
    let (rb, ra) = (d.real_before, d.real_after);
    out.push(if barely(rb, ra) {
        crate::tr!(
            "D's score on real data barely changed ({before} → {after}).",
            before = f4(rb),
            after = f4(ra)
        )
    } else if ra >= rb {
        crate::tr!(
            "D raised its score on real data ({before} → {after}).",
            before = f2(rb),
            after = f2(ra)
        )
    } else {
        crate::tr!(
            "D's score on real data fell ({before} → {after}).",
            before = f2(rb),
            after = f2(ra)
        )
    });
    let (fb, fa) = (d.fake_before, d.fake_after);
    out.push(if barely(fb, fa) {
        crate::tr!(
            "Its score on fakes barely changed ({before} → {after}).",
            before = f4(fb),
            after = f4(fa)
        )
    } else if fa <= fb {
        crate::tr!(
            "It lowered its score on fakes ({before} → {after}).",
            before = f2(fb),
            after = f2(fa)
        )
    } else {
        crate::tr!(
            "Its score on fakes rose ({before} → {after}).",
            before = f2(fb),
            after = f2(fa)
        )
    });
    out
}

fn g_sentence(g: &ToyGReport) -> String {
    if barely(g.fake_before, g.fake_after) {
        crate::tr!(
            "G's step: mean D(G(z)) barely changed ({before} → {after}; samples moved {moved} on average).",
            before = f4(g.fake_before),
            after = f4(g.fake_after),
            moved = format!("{:.3}", g.moved)
        )
    } else if g.fake_after >= g.fake_before {
        crate::tr!(
            "G moved its samples up D's slope: mean D(G(z)) {before} → {after} (they moved {moved} on average).",
            before = f2(g.fake_before),
            after = f2(g.fake_after),
            moved = format!("{:.3}", g.moved)
        )
    } else {
        crate::tr!(
            "G's step overshot: mean D(G(z)) fell {before} → {after} (samples moved {moved} on average).",
            before = f2(g.fake_before),
            after = f2(g.fake_after),
            moved = format!("{:.3}", g.moved)
        )
    }
}

/// What an update did and why, from its measured numbers.
pub fn caption(update: &ToyUpdate) -> String {
    let mut parts = Vec::new();
    match update {
        ToyUpdate::Discriminator(d) => {
            parts.push(tr("Discriminator step:").to_string());
            parts.extend(d_sentences(d));
            parts.push(
                tr("Why: D climbs log D(x) + log(1 − D(G(z))) on a fresh real batch and fake batch; G stays frozen.")
                    .to_string(),
            );
            if (d.real_after - 0.5).abs() < 0.05 && (d.fake_after - 0.5).abs() < 0.05 {
                parts.push(tr("D is near 0.5 on both: it can no longer tell real from fake.").to_string());
            }
        }
        ToyUpdate::Generator(g) => {
            parts.push(tr("Generator step:").to_string());
            parts.push(g_sentence(g));
            parts.push(
                tr("Why: G follows D's gradient through its samples toward where D says \"real\"; D stays frozen.")
                    .to_string(),
            );
        }
        ToyUpdate::Iteration { k, d, g } => {
            parts.push(crate::tr!(
                "Iteration of Algorithm 1: {k} discriminator step(s), then one generator step.",
                k = k
            ));
            parts.extend(d_sentences(d));
            parts.push(g_sentence(g));
        }
    }
    parts.join(" ")
}

/// D's verdict as a colour: orange for "fake" (0), white at 0.5, blue for "real" (1).
fn heat_color(d: f32) -> egui::Color32 {
    let fake = egui::Color32::from_rgb(235, 140, 60);
    let mid = egui::Color32::from_rgb(245, 245, 245);
    let real = egui::Color32::from_rgb(80, 130, 235);
    let d = if d.is_finite() { d.clamp(0.0, 1.0) } else { 0.5 };
    if d < 0.5 {
        fake.lerp_to_gamma(mid, d * 2.0)
    } else {
        mid.lerp_to_gamma(real, (d - 0.5) * 2.0)
    }
}

/// The distribution's name in the window's language (literal keys, so the
/// translation test sees them).
pub(super) fn dist_label(d: ToyDistribution) -> &'static str {
    match d {
        ToyDistribution::Gaussian1d => tr("1-D Gaussian"),
        ToyDistribution::Mixture1d => tr("1-D mixture of two Gaussians"),
        ToyDistribution::Ring2d => tr("2-D ring of 8 Gaussians"),
        ToyDistribution::Moons2d => tr("2-D two moons"),
        ToyDistribution::Spiral2d => tr("2-D spiral"),
        ToyDistribution::Drawn => tr("2-D points you draw"),
    }
}

/// The factor the densities are drawn at: 1, or less when the tallest of them would rise
/// above [`DENSITY_TOP`] (a collapsing G makes a tall spike). Both densities share it, so
/// their shapes stay comparable and neither is cut flat.
pub fn density_scale(densities: &[&[f32]]) -> f32 {
    let top = densities
        .iter()
        .flat_map(|d| d.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    if top > DENSITY_TOP { DENSITY_TOP / top } else { 1.0 }
}

fn scaled(v: &[f32], k: f32) -> Vec<f32> {
    v.iter().map(|x| x * k).collect()
}

fn curve(xs: &[f32], ys: &[f32]) -> PlotPoints<'static> {
    xs.iter()
        .zip(ys)
        .filter(|(_, y)| y.is_finite())
        .map(|(&x, &y)| [f64::from(x), f64::from(y)])
        .collect()
}

/// D*'s curve where it means something: where the data or the generator has some
/// density (elsewhere it is 0/0, and the kernel estimate's tails make it noise), as
/// separate pieces.
fn d_star_pieces(f: &ToyFrame) -> Vec<PlotPoints<'static>> {
    const MIN_DENSITY: f32 = 0.01;
    let mut pieces = Vec::new();
    let mut piece: Vec<[f64; 2]> = Vec::new();
    for i in 0..f.xs.len().min(f.d_star.len()) {
        let mass = f.p_data.get(i).copied().unwrap_or(0.0) + f.p_g.get(i).copied().unwrap_or(0.0);
        if mass > MIN_DENSITY && f.d_star[i].is_finite() {
            piece.push([f64::from(f.xs[i]), f64::from(f.d_star[i])]);
        } else if !piece.is_empty() {
            pieces.push(PlotPoints::from(std::mem::take(&mut piece)));
        }
    }
    if !piece.is_empty() {
        pieces.push(PlotPoints::from(piece));
    }
    pieces
}

impl App {
    /// Puts the worker into the toy game while the Game view shows (and back out
    /// when another view does), and takes the latest toy frame.
    pub(super) fn game_sync(&mut self) {
        let want = self.settings.view == View::Game;
        if want && !self.game.active {
            self.game.active = true;
            self.game.frame = None;
            self.game.prev = None;
            let config = self.game.config;
            let pause = self.settings.pause_on_events;
            self.send(Command::SetPauseOnEvents(pause));
            self.send(Command::ToyStart(config));
        } else if !want && self.game.active {
            self.game.active = false;
            self.send(Command::ToyLeave);
        }
        if let Some(frame) = self.worker.as_ref().and_then(|w| w.take_toy()) {
            self.game.push(frame);
        }
    }

    /// Adds a drawn data point (what a click in the 2-D plot does; tests).
    pub fn add_drawn_point(&mut self, x: f32, y: f32) {
        self.game.drawn.extend([x, y]);
        let points: std::sync::Arc<[f32]> = std::sync::Arc::from(self.game.drawn.clone());
        self.send(Command::ToySetDrawn(points));
    }

    /// The game view's state (tests).
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// The left panel of the Game view: data, play and step buttons, k, the loss, speed.
    pub(super) fn game_side_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(tr("The GAN game"));
        ui.label(tr(
            "Algorithm 1 on toy data: k discriminator steps, then one generator step. Step through it or press Play.",
        ));
        ui.separator();
        let mut config = self.game.config;
        egui::ComboBox::from_label(tr("Data"))
            .selected_text(dist_label(config.dist))
            .show_ui(ui, |ui| {
                for d in ToyDistribution::ALL.into_iter().chain([ToyDistribution::Drawn]) {
                    ui.selectable_value(&mut config.dist, d, dist_label(d));
                }
            });
        ui.horizontal(|ui| {
            let l = ui.label(tr("Seed"));
            ui.add(egui::DragValue::new(&mut config.seed).speed(1.0))
                .labelled_by(l.id);
        });
        let restart = config.dist != self.game.config.dist || config.seed != self.game.config.seed;
        if ui.button(tr("New game")).clicked() || restart {
            self.game.config = config;
            self.game.frame = None;
            self.game.prev = None;
            self.send(Command::ToyStart(config));
        }
        ui.separator();
        let running = self.status.as_ref().is_some_and(|s| s.running);
        // Drawn data with no point yet: nothing to learn from, so nothing to play.
        let can_train = self.game.config.dist != ToyDistribution::Drawn || !self.game.drawn.is_empty();
        if !can_train {
            ui.label(
                egui::RichText::new(tr(
                    "Click in the plot to add data points first: the game has nothing to learn from yet.",
                ))
                .color(ui.visuals().warn_fg_color),
            );
        }
        let play = if running { tr("Pause") } else { tr("Play") };
        if ui.add_enabled(can_train || running, egui::Button::new(play)).clicked() {
            self.send(Command::SetRunning(!running));
        }
        if ui
            .add_enabled(can_train, egui::Button::new(tr("Discriminator step")))
            .on_hover_text(tr("One update of D on a real and a fake batch"))
            .clicked()
        {
            self.send(Command::Step("d"));
        }
        if ui
            .add_enabled(can_train, egui::Button::new(tr("Generator step")))
            .on_hover_text(tr("One update of G through D's gradient"))
            .clicked()
        {
            self.send(Command::Step("g"));
        }
        if ui
            .add_enabled(can_train, egui::Button::new(tr("Full iteration")))
            .on_hover_text(tr("k discriminator steps, then one generator step"))
            .clicked()
        {
            self.send(Command::Step(crate::family::ITERATION));
        }
        let mut changed = config;
        ui.horizontal(|ui| {
            let l = ui.label(tr("k (D steps per G step)"));
            ui.add(egui::DragValue::new(&mut changed.k).range(1..=10).speed(0.05))
                .labelled_by(l.id);
        });
        ui.horizontal(|ui| {
            ui.label(tr("Generator loss"));
            ui.selectable_value(&mut changed.g_loss, GeneratorLoss::NonSaturating, tr("non-saturating"));
            ui.selectable_value(&mut changed.g_loss, GeneratorLoss::Minimax, tr("minimax"));
        });
        if changed.k != self.game.config.k || changed.g_loss != self.game.config.g_loss {
            self.game.config.k = changed.k;
            self.game.config.g_loss = changed.g_loss;
            let c = self.game.config;
            self.send(Command::ToySetConfig(c));
        }
        ui.separator();
        self.speed_ui(ui);
    }

    /// The central part of the Game view: caption, numbers and the plot.
    pub(super) fn game_central_ui(&mut self, ui: &mut egui::Ui) {
        let Some(frame) = self.game.frame.clone() else {
            ui.label(tr("Starting the game…"));
            return;
        };
        if let Some(event) = &frame.event {
            super::captions::event_frame(ui, |ui| {
                ui.add(egui::Label::new(egui::RichText::new(super::captions::event_caption(event)).strong()).wrap());
            });
        }
        // The caption sits in a block of fixed height, so that the plot below does not move
        // as captions of different lengths come and go (a click aimed at it would miss).
        let caption_h = 4.0 * ui.text_style_height(&egui::TextStyle::Body) + 2.0 * ui.spacing().item_spacing.y;
        let width = ui.available_width();
        ui.allocate_ui_with_layout(
            egui::vec2(width, caption_h),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                ui.set_min_size(egui::vec2(width, caption_h));
                match self.game.caption() {
                    Some(text) => {
                        ui.label(egui::RichText::new(text).strong());
                    }
                    None => {
                        ui.label(tr(
                            "Press \"Discriminator step\" or \"Generator step\" to see one update of Algorithm 1.",
                        ));
                    }
                }
            },
        );
        let mut stats = crate::tr!(
            "Iteration {step} · D updates {d} · G updates {g}",
            step = frame.step,
            d = frame.d_updates,
            g = frame.g_updates
        );
        if let (Some((m, s)), Some(gm), Some(gs)) = (frame.dist.moments(), frame.g_mean.first(), frame.g_std.first()) {
            stats.push_str(" · ");
            stats.push_str(&crate::tr!(
                "G's samples: mean {gm}, std {gs} (data: {m}, {s})",
                gm = f2(*gm),
                gs = f2(*gs),
                m = f2(m),
                s = f2(s)
            ));
        }
        ui.label(stats);
        if frame.dist.dim() == 1 {
            self.game_1d_ui(ui, &frame);
        } else {
            self.game_2d_ui(ui, &frame);
        }
    }

    fn game_1d_ui(&mut self, ui: &mut egui::Ui, f: &ToyFrame) {
        let ink = ui.visuals().text_color();
        let faded = |c: egui::Color32| c.gamma_multiply(0.3);
        let (lo, hi) = f.range;
        // The z axis (below) is drawn on the x axis's scale: z = ±3 spans the plotted range.
        let z_scale = (hi - lo) / 6.0;
        let z_pos = |z: f32| f64::from((lo + hi) / 2.0 + z * z_scale);
        let (y_x, y_z) = (-0.12, -0.55);
        let prev = self.game.prev.clone();
        let mut densities: Vec<&[f32]> = vec![&f.p_data, &f.p_g];
        if let Some(p) = &prev {
            densities.push(&p.p_g);
        }
        let k = density_scale(&densities);
        let p_data_label = if k < 1.0 {
            crate::tr!("p_data(x) (densities drawn ×{k})", k = format!("{k:.2}"))
        } else {
            "p_data(x)".to_string()
        };
        let mut legend = vec![
            (p_data_label.clone(), ink, false),
            (tr("p_g(x) (generator)").to_string(), GREEN, false),
            ("D(x)".to_string(), BLUE, false),
            ("D*(x) = p_data / (p_data + p_g)".to_string(), PURPLE, true),
        ];
        if prev.is_some() {
            legend.push((tr("before (faded)").to_string(), faded(BLUE), false));
        }
        super::charts::legend_row(ui, &legend);
        let strong_ink = ui.visuals().strong_text_color();
        let big = |t: &str| egui::RichText::new(t).size(24.0).strong().color(strong_ink);
        Plot::new("game_1d")
            .include_y(-0.7)
            .include_y(1.05)
            .include_x(lo)
            .include_x(hi)
            .x_grid_spacer(super::charts::nice_grid(5.0))
            .x_axis_formatter(|m, _| super::charts::value_label(m.value, m.step_size))
            .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [0.05, 0.25, 0.5]))
            // The band under 0 is the z → x mapping, not values: no ticks there.
            .y_axis_formatter(|m, _| {
                if m.value < -1e-9 {
                    String::new()
                } else {
                    super::charts::value_label(m.value, m.step_size)
                }
            })
            .allow_scroll(false)
            .show(ui, |p| {
                if let Some(prev) = &prev {
                    p.line(Line::new(tr("D(x) before"), curve(&prev.xs, &prev.d_curve)).color(faded(BLUE)));
                    p.line(Line::new(tr("p_g before"), curve(&prev.xs, &scaled(&prev.p_g, k))).color(faded(GREEN)));
                }
                p.hline(
                    HLine::new("0.5", 0.5)
                        .color(egui::Color32::GRAY)
                        .style(LineStyle::Dotted { spacing: 6.0 }),
                );
                p.line(
                    Line::new(p_data_label.as_str(), curve(&f.xs, &scaled(&f.p_data, k)))
                        .color(ink)
                        .width(2.0),
                );
                p.line(
                    Line::new(tr("p_g(x) (generator)"), curve(&f.xs, &scaled(&f.p_g, k)))
                        .color(GREEN)
                        .width(2.0),
                );
                p.line(Line::new("D(x)", curve(&f.xs, &f.d_curve)).color(BLUE).width(2.0));
                for piece in d_star_pieces(f) {
                    p.line(
                        Line::new("D*(x) = p_data / (p_data + p_g)", piece)
                            .color(PURPLE)
                            .style(LineStyle::dashed_loose()),
                    );
                }
                // Goodfellow's figure 1: the z line below, the x line above, G as arrows between.
                let axis = egui::Color32::GRAY;
                p.line(Line::new("", PlotPoints::from(vec![[f64::from(lo), y_x], [f64::from(hi), y_x]])).color(axis));
                p.line(Line::new("", PlotPoints::from(vec![[z_pos(-3.0), y_z], [z_pos(3.0), y_z]])).color(axis));
                p.text(Text::new("", PlotPoint::new(f64::from(lo), y_x + 0.07), big("x")));
                p.text(Text::new(
                    "",
                    PlotPoint::new(z_pos(-3.0) - f64::from(z_scale) * 0.3, y_z),
                    big("z"),
                ));
                let origins: Vec<[f64; 2]> = f.z_map.iter().map(|[z, _]| [z_pos(*z), y_z]).collect();
                let tips: Vec<[f64; 2]> = f.z_map.iter().map(|[_, x]| [f64::from(x.clamp(lo, hi)), y_x]).collect();
                p.arrows(Arrows::new("x = G(z)", origins, tips).color(GREEN).tip_length(8.0));
                let fakes: Vec<[f64; 2]> = f.fake.iter().take(300).map(|&x| [f64::from(x), y_x]).collect();
                p.points(Points::new(tr("G's samples"), fakes).color(faded(GREEN)).radius(2.0));
            });
    }

    fn game_2d_ui(&mut self, ui: &mut egui::Ui, f: &ToyFrame) {
        let side = (f.heat.len() as f64).sqrt() as usize;
        let image = if side > 0 {
            let mut img = egui::ColorImage::filled([side, side], egui::Color32::WHITE);
            for r in 0..side {
                for c in 0..side {
                    // Row 0 of the grid is the bottom; row 0 of an image is the top.
                    img.pixels[(side - 1 - r) * side + c] = heat_color(f.heat[r * side + c]);
                }
            }
            Some(img)
        } else {
            None
        };
        let texture = image.map(|img| {
            if let Some(t) = self.game.heat_texture.as_mut() {
                t.set(img, egui::TextureOptions::LINEAR);
                t.id()
            } else {
                let t = ui.ctx().load_texture("game_heat", img, egui::TextureOptions::LINEAR);
                let id = t.id();
                self.game.heat_texture = Some(t);
                id
            }
        });
        let ink = ui.visuals().text_color();
        let (lo, hi) = f.range;
        let span = f64::from(hi - lo);
        let pairs =
            |v: &[f32]| -> Vec<[f64; 2]> { v.chunks_exact(2).map(|p| [f64::from(p[0]), f64::from(p[1])]).collect() };
        let real = pairs(&f.real);
        let fake = pairs(&f.fake);
        let push = pairs(&f.arrows);
        let longest = push.iter().map(|[x, y]| (x * x + y * y).sqrt()).fold(0.0f64, f64::max);
        let scale = if longest > 0.0 { 0.08 * span / longest } else { 0.0 };
        let n_arrows = fake.len().min(push.len()).min(MAX_ARROWS);
        let tips: Vec<[f64; 2]> = fake
            .iter()
            .zip(&push)
            .take(n_arrows)
            .map(|(o, g)| [o[0] + g[0] * scale, o[1] + g[1] * scale])
            .collect();
        let origins: Vec<[f64; 2]> = fake.iter().take(n_arrows).copied().collect();
        let drawing = f.dist == ToyDistribution::Drawn;
        if drawing {
            ui.horizontal(|ui| {
                ui.label(crate::tr!(
                    "Click in the plot to add data points ({n} so far); the game trains on them.",
                    n = self.game.drawn.len() / 2
                ));
                if ui.button(tr("Clear points")).clicked() {
                    self.game.drawn.clear();
                    let points: std::sync::Arc<[f32]> = std::sync::Arc::from(Vec::new());
                    self.send(Command::ToySetDrawn(points));
                }
            });
        }
        super::charts::legend_row(
            ui,
            &[
                (
                    tr("D(x) (blue: real, orange: fake)").to_string(),
                    heat_color(1.0),
                    false,
                ),
                (tr("data").to_string(), ink, false),
                (tr("G's samples").to_string(), GREEN, false),
                (
                    tr("G's push (−∂L_G/∂x)").to_string(),
                    egui::Color32::from_rgb(20, 110, 40),
                    false,
                ),
            ],
        );
        let mut plot = Plot::new("game_2d")
            .x_grid_spacer(super::charts::nice_grid(5.0))
            .y_grid_spacer(super::charts::nice_grid(5.0))
            .x_axis_formatter(|m, _| super::charts::value_label(m.value, m.step_size))
            .y_axis_formatter(|m, _| super::charts::value_label(m.value, m.step_size))
            .data_aspect(1.0)
            .include_x(lo)
            .include_x(hi)
            .include_y(lo)
            .include_y(hi)
            .allow_scroll(false);
        if drawing {
            // Fixed axes while drawing: a click lands where it was aimed even while Play
            // moves G's samples (auto-bounds would rescale the plot between frames).
            plot = plot
                .default_x_bounds(f64::from(lo), f64::from(hi))
                .default_y_bounds(f64::from(lo), f64::from(hi))
                .auto_bounds(false)
                .allow_drag(false)
                .allow_zoom(false);
        }
        let plot = plot.show(ui, |p| {
            if let Some(id) = texture {
                let mid = f64::from(lo + hi) / 2.0;
                p.image(PlotImage::new(
                    tr("D(x) (blue: real, orange: fake)"),
                    id,
                    PlotPoint::new(mid, mid),
                    egui::vec2(span as f32, span as f32),
                ));
            }
            p.points(Points::new(tr("data"), real).color(ink).radius(1.5));
            p.points(Points::new(tr("G's samples"), fake).color(GREEN).radius(2.0));
            p.arrows(
                Arrows::new(tr("G's push (−∂L_G/∂x)"), origins, tips)
                    .color(egui::Color32::from_rgb(20, 110, 40))
                    .tip_length(5.0),
            );
        });
        if drawing
            && plot.response.clicked()
            && let Some(pos) = plot.response.interact_pointer_pos()
        {
            let at = plot.transform.value_from_position(pos);
            self.game.drawn.extend([at.x as f32, at.y as f32]);
            let points: std::sync::Arc<[f32]> = std::sync::Arc::from(self.game.drawn.clone());
            self.send(Command::ToySetDrawn(points));
        }
    }
}
