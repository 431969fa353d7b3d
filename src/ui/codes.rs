//! What a model with an encoder (an autoencoder, a VAE) makes of real digits, on the
//! training screen: the codes of 1,000 real digits as a 2-D scatter coloured by class —
//! z itself when it has two dimensions, else its two principal directions — with the
//! digit under the pointer shown on hover (as in ConvNetJS's autoencoder demo), and the
//! data preview's digits beside their reconstructions. Beside the samples decoded from
//! random z, the scatter shows why an autoencoder's random samples are junk (its codes
//! leave holes and stray far from N(0, 1)) and a VAE's are digits.

use eframe::egui;

use egui_plot::{MarkerShape, Plot, Points};

use crate::worker::CodeFrame;

use super::app::App;
use super::i18n::tr;
use super::samples::{color_image, grid_image, set_texture};
use crate::tr;

/// One colour per digit class (a qualitative palette that keeps its classes apart on
/// dark and light backgrounds).
pub const CLASS_COLORS: [egui::Color32; 10] = [
    egui::Color32::from_rgb(31, 119, 180),
    egui::Color32::from_rgb(255, 127, 14),
    egui::Color32::from_rgb(44, 160, 44),
    egui::Color32::from_rgb(214, 39, 40),
    egui::Color32::from_rgb(148, 103, 189),
    egui::Color32::from_rgb(140, 86, 75),
    egui::Color32::from_rgb(227, 119, 194),
    egui::Color32::from_rgb(127, 127, 127),
    egui::Color32::from_rgb(188, 189, 34),
    egui::Color32::from_rgb(23, 190, 207),
];

/// The latest codes, projected to 2-D, and the textures made from them.
#[derive(Default)]
pub struct CodesPanel {
    /// The latest frame.
    pub frame: Option<CodeFrame>,
    /// Each digit's point in the plot.
    pub points: Vec<[f64; 2]>,
    /// Whether the plot shows z itself (2-D codes) or its principal directions.
    pub principal: bool,
    /// The digit whose image the hover texture holds.
    hover_tex: Option<(usize, egui::TextureHandle)>,
    pairs_tex: Option<egui::TextureHandle>,
    pairs_for: Option<(u64, u64)>,
}

impl CodesPanel {
    /// Takes a new frame and projects its codes.
    pub fn push(&mut self, frame: CodeFrame) {
        let l = frame.latent_dim.max(1);
        let n = frame.z.len() / l;
        self.principal = l > 2;
        self.points = if l == 1 {
            (0..n).map(|i| [f64::from(frame.z[i]), 0.0]).collect()
        } else if l == 2 {
            frame.z.chunks(2).map(|c| [f64::from(c[0]), f64::from(c[1])]).collect()
        } else {
            project_on_principal_directions(&frame.z, l)
        };
        self.hover_tex = None;
        self.frame = Some(frame);
    }

    /// Forgets everything (a new run).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The codes (`n` × `l`, flat) projected on their two principal directions (power
/// iteration on the covariance, the second direction deflated from the first).
pub fn project_on_principal_directions(z: &[f32], l: usize) -> Vec<[f64; 2]> {
    let n = z.len() / l;
    if n == 0 {
        return Vec::new();
    }
    let mut mean = vec![0.0f64; l];
    for row in z.chunks(l) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += f64::from(v) / n as f64;
        }
    }
    let mut cov = vec![0.0f64; l * l];
    for row in z.chunks(l) {
        for i in 0..l {
            let di = f64::from(row[i]) - mean[i];
            for j in 0..l {
                cov[i * l + j] += di * (f64::from(row[j]) - mean[j]) / n as f64;
            }
        }
    }
    let mut dirs: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        // Start from a fixed vector so the picture does not flip between frames by chance.
        let mut v: Vec<f64> = (0..l).map(|i| if i == k { 1.0 } else { 0.1 }).collect();
        for _ in 0..100 {
            let mut w: Vec<f64> = (0..l).map(|i| (0..l).map(|j| cov[i * l + j] * v[j]).sum()).collect();
            for d in &dirs {
                let dot: f64 = w.iter().zip(d).map(|(a, b)| a * b).sum();
                w.iter_mut().zip(d).for_each(|(a, b)| *a -= dot * b);
            }
            let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm < 1e-12 {
                break;
            }
            v = w.into_iter().map(|a| a / norm).collect();
        }
        dirs.push(v);
    }
    z.chunks(l)
        .map(|row| {
            let c = |d: &[f64]| {
                row.iter()
                    .zip(&mean)
                    .zip(d)
                    .map(|((&x, m), w)| (f64::from(x) - m) * w)
                    .sum()
            };
            [c(&dirs[0]), c(&dirs[1])]
        })
        .collect()
}

impl App {
    /// The scatter of the codes of real digits, coloured by class, the digit on hover.
    pub(super) fn codes_ui(&mut self, ui: &mut egui::Ui) {
        let panel = &mut self.codes;
        let Some(frame) = &panel.frame else {
            ui.strong(tr("Codes of real digits"));
            ui.weak(tr("waiting for the encoder"));
            return;
        };
        ui.strong(tr("Codes of real digits"));
        let axes = if panel.principal {
            tr!(
                "step {step}: {n} digits, z of {l} dimensions along its two principal directions",
                step = frame.step,
                n = panel.points.len(),
                l = frame.latent_dim
            )
        } else {
            tr!(
                "step {step}: {n} digits, z itself",
                step = frame.step,
                n = panel.points.len()
            )
        };
        ui.add(egui::Label::new(egui::RichText::new(axes).weak()).truncate());
        if !frame.labels.is_empty() {
            // The classes' colours as one row of digits (a plot legend would cover the points).
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 6.0;
                for (c, color) in CLASS_COLORS.iter().enumerate() {
                    ui.colored_label(*color, egui::RichText::new(c.to_string()).strong());
                }
            });
        }
        let mut by_class: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 10];
        for (i, p) in panel.points.iter().enumerate() {
            let c = frame.labels.get(i).map_or(0, |&l| usize::from(l) % 10);
            by_class[c].push(*p);
        }
        let labelled = !frame.labels.is_empty();
        let radius = if self.settings.presenter { 3.0 } else { 2.0 };
        let response = Plot::new("codes_scatter")
            .data_aspect(1.0)
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                for (c, pts) in by_class.into_iter().enumerate() {
                    if pts.is_empty() {
                        continue;
                    }
                    let name = if labelled {
                        format!("{c}")
                    } else {
                        tr("digits").to_string()
                    };
                    plot_ui.points(
                        Points::new(name, pts)
                            .color(CLASS_COLORS[c])
                            .radius(radius)
                            .shape(MarkerShape::Circle),
                    );
                }
                plot_ui.pointer_coordinate()
            });
        // The digit nearest the pointer, if it is close (in screen pixels).
        let Some(pointer) = response.inner else {
            return;
        };
        let to_screen = |p: &[f64; 2]| {
            response
                .transform
                .position_from_point(&egui_plot::PlotPoint::new(p[0], p[1]))
        };
        let at = response.transform.position_from_point(&pointer);
        let nearest = panel
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, to_screen(p).distance(at)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, d)) = nearest
            && d < 12.0
            && let Some(px) = frame.pixels.get(i * 784..(i + 1) * 784)
        {
            if panel.hover_tex.as_ref().is_none_or(|(k, _)| *k != i) {
                let tex = ui.ctx().load_texture(
                    "code_hover",
                    super::samples::gray_image(px, 28),
                    egui::TextureOptions::NEAREST,
                );
                panel.hover_tex = Some((i, tex));
            }
            if let Some((_, tex)) = &panel.hover_tex {
                let label = frame.labels.get(i).map(|l| tr!("a {digit}", digit = l));
                let (id, size) = (tex.id(), egui::vec2(84.0, 84.0));
                response.response.clone().on_hover_ui_at_pointer(|ui| {
                    ui.add(egui::Image::new((id, size)));
                    if let Some(label) = label {
                        ui.label(label);
                    }
                });
            }
        }
    }

    /// The data preview's digits beside their reconstructions (pairs, four to a row), as
    /// a texture; `None` before the first codes.
    pub(super) fn pairs_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let frame = self.codes.frame.as_ref()?;
        let info = self.data_info.as_ref()?;
        let key = (self.run, frame.step);
        if self.codes.pairs_for != Some(key) {
            let pairs = (info.preview.len() / 784)
                .min(frame.reconstructions.len() / 784)
                .min(32);
            let mut px = Vec::with_capacity(64 * 784);
            for k in 0..pairs {
                px.extend_from_slice(&info.preview[k * 784..(k + 1) * 784]);
                px.extend_from_slice(&frame.reconstructions[k * 784..(k + 1) * 784]);
            }
            let img = color_image(&grid_image(&px));
            set_texture(ctx, &mut self.codes.pairs_tex, "reconstruction_pairs", img);
            self.codes.pairs_for = Some(key);
        }
        self.codes.pairs_tex.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_principal_directions_find_the_spread_of_the_codes() {
        // Codes spread along (1, 1, 0) a lot and along (0, 0, 1) a little.
        let mut z = Vec::new();
        for i in 0..200 {
            let t = (i as f32 - 100.0) / 10.0;
            let s = if i % 2 == 0 { 0.5 } else { -0.5 };
            z.extend_from_slice(&[t, t, s]);
        }
        let p = project_on_principal_directions(&z, 3);
        let var = |k: usize| p.iter().map(|q| q[k] * q[k]).sum::<f64>() / p.len() as f64;
        // The first axis carries the big spread (variance 2·t² ≈ 67), the second the 0.25.
        assert!(var(0) > 60.0, "{}", var(0));
        assert!((var(1) - 0.25).abs() < 0.01, "{}", var(1));
    }
}
