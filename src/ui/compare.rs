//! The explorer's Compare tool: one digit — drawn on the Draw tool's canvas, or a real one —
//! through three kinds of model side by side: the shipped autoencoder and VAE (encode, then
//! decode) and the shipped MLP GAN (no encoder: inverted, [`crate::latent::invert`]); and the
//! latent planes of the two shipped models with a 2-D z next to each other, each with the
//! extent of its codes of real digits: the VAE's KL term packs them into N(0, 1), the
//! autoencoder's nothing does.

use eframe::egui;

use super::explorer::Explorer;
use super::i18n::tr;
use crate::latent::invert::Inversion;
use crate::latent::jobs::Job;
use crate::latent::manifold::Plane;
use crate::latent::{Model, PIXELS, pretrained, random_z};
use crate::tr;

/// The shipped models compared: autoencoder, VAE and GAN; then the two 2-D planes.
const MODELS: [&str; 3] = ["ae", "vae", "mlp-gan"];
const PLANES: [&str; 2] = ["ae-z2", "vae-z2"];
/// Cells per side of each plane, and its half-width in z.
const PLANE_SIDE: usize = 15;
const PLANE_EXTENT: f32 = 3.0;

/// The Compare tool's state.
#[derive(Default)]
pub struct ComparePanel {
    models: Option<Box<[Model; 3]>>,
    /// The canvas version a comparison is running for.
    pub(super) pending: Option<u64>,
    /// The latest comparison: the canvas version, the AE's and the VAE's reconstructions and
    /// the GAN's inversion.
    pub(super) result: Option<(u64, Vec<u8>, Vec<u8>, Inversion)>,
    textures: Option<(u64, [egui::TextureHandle; 3])>,
    planes: Option<[egui::TextureHandle; 2]>,
    /// Where the two 2-D models put the real digits' codes: (z1 min, z1 max, z2 min, z2 max).
    ranges: Option<[[f32; 4]; 2]>,
    error: Option<String>,
}

fn load(id: &str) -> Result<Model, String> {
    let p = pretrained::find(id).ok_or_else(|| format!("no shipped model {id}"))?;
    p.load(&candle_core::Device::Cpu).map_err(|e| e.to_string())
}

impl ComparePanel {
    fn models(&mut self) -> Option<Box<[Model; 3]>> {
        if self.models.is_none() && self.error.is_none() {
            match (load(MODELS[0]), load(MODELS[1]), load(MODELS[2])) {
                (Ok(a), Ok(b), Ok(c)) => self.models = Some(Box::new([a, b, c])),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => self.error = Some(e),
            }
        }
        self.models.clone()
    }

    /// The two planes, decoded once (225 decodes each, a few milliseconds).
    fn planes(&mut self, ctx: &egui::Context) -> Option<&[egui::TextureHandle; 2]> {
        if self.planes.is_none() && self.error.is_none() {
            let plane = Plane::latent_2d(PLANE_SIDE, PLANE_EXTENT);
            let decode = |id: &str| -> Result<egui::TextureHandle, String> {
                let px = plane.decode(&load(id)?).map_err(|e| e.to_string())?;
                let img = crate::export::grid(&px, 28, PLANE_SIDE, 0);
                Ok(ctx.load_texture(
                    format!("compare_plane_{id}"),
                    super::samples::color_image(&img),
                    egui::TextureOptions::LINEAR,
                ))
            };
            match (decode(PLANES[0]), decode(PLANES[1])) {
                (Ok(a), Ok(b)) => self.planes = Some([a, b]),
                (Err(e), _) | (_, Err(e)) => self.error = Some(e),
            }
        }
        self.planes.as_ref()
    }
}

/// The extent of the codes that `id` gives `digits` (784 bytes each).
fn code_range(id: &str, digits: &[u8]) -> Result<[f32; 4], String> {
    let model = load(id)?;
    let z = model
        .encode_images(digits)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{id} has no encoder"))?;
    let mut r = [f32::MAX, f32::MIN, f32::MAX, f32::MIN];
    for c in z.chunks(2) {
        r[0] = r[0].min(c[0]);
        r[1] = r[1].max(c[0]);
        r[2] = r[2].min(c[1]);
        r[3] = r[3].max(c[1]);
    }
    Ok(r)
}

/// The Compare tool.
pub(super) fn compare_ui(ui: &mut egui::Ui, ex: &mut Explorer, preview: Option<&[u8]>) {
    let Some(models) = ex.compare.models() else {
        if let Some(e) = &ex.compare.error {
            ui.label(tr!("cannot load the shipped models: {error}", error = e));
        }
        return;
    };
    let version = ex.canvas.version;
    let inked = ex.canvas.ink.iter().any(|&p| p > 0);
    let fresh = ex.compare.result.as_ref().is_some_and(|r| r.0 == version);
    if inked && !fresh && ex.compare.pending != Some(version) {
        ex.compare.pending = Some(version);
        let start = random_z(1, models[2].latent_dim(), 1);
        let target = ex.canvas.ink.clone();
        ex.submit(Job::Compare { models, target, start });
    }
    let avail = ui.available_size();
    let side = ((avail.x - 100.0) / 4.0).min(avail.y * 0.36).clamp(90.0, 300.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.strong(tr("The digit"));
            super::draw::canvas_ui(ui, &mut ex.canvas, side);
            if ui.button(tr("Clear")).clicked() {
                ex.canvas.clear();
            }
        });
        let ctx = ui.ctx().clone();
        let result = ex.compare.result.as_ref().filter(|r| r.0 == version);
        if let Some((v, ae, vae, inv)) = result
            && ex.compare.textures.as_ref().is_none_or(|(k, _)| k != v)
        {
            let last = inv.path.last().map(|p| p.2.clone()).unwrap_or_else(|| vec![0; PIXELS]);
            let tex = |name: &str, px: &[u8]| {
                ctx.load_texture(name, super::samples::gray_image(px, 28), egui::TextureOptions::NEAREST)
            };
            ex.compare.textures = Some((
                *v,
                [
                    tex("compare_ae", ae),
                    tex("compare_vae", vae),
                    tex("compare_gan", &last),
                ],
            ));
        }
        let distance = result.and_then(|r| r.3.loss.last().copied());
        let captions = [
            tr("Autoencoder: encode, then decode"),
            tr("VAE: encode (μ), then decode"),
            tr("GAN: no encoder, so z is searched for"),
        ];
        for (i, caption) in captions.into_iter().enumerate() {
            ui.add_space(12.0);
            ui.vertical(|ui| {
                ui.set_width(side);
                ui.add(egui::Label::new(egui::RichText::new(caption).strong()).truncate());
                let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
                let tex = ex
                    .compare
                    .textures
                    .as_ref()
                    .filter(|(k, _)| *k == version)
                    .map(|(_, t)| &t[i]);
                super::latent::paint_image(ui, rect, tex);
                if i == 2
                    && let Some(d) = distance
                {
                    ui.weak(tr!("squared distance per pixel: {d}", d = format!("{d:.3}")));
                }
                if !inked {
                    ui.weak(tr("Draw a digit, or pick a real one below."));
                } else if ex.compare.pending == Some(version) && !fresh {
                    ui.spinner();
                }
            });
        }
    });
    if let Some(preview) = preview {
        ui.horizontal(|ui| {
            ui.weak(tr("Real digits:"));
            let width = (avail.x - 120.0).clamp(200.0, 640.0);
            if let Some(i) = super::draw::real_digits_ui(ui, preview, width, 32) {
                ex.canvas.set(&preview[i * PIXELS..(i + 1) * PIXELS]);
            }
        });
    }
    ui.separator();
    let plane_side = ((avail.x - 40.0) / 2.0).min(ui.available_height() - 60.0).max(120.0);
    let ctx = ui.ctx().clone();
    if ex.compare.ranges.is_none()
        && let Some(preview) = preview
        && let (Ok(a), Ok(b)) = (code_range(PLANES[0], preview), code_range(PLANES[1], preview))
    {
        ex.compare.ranges = Some([a, b]);
    }
    let ranges = ex.compare.ranges;
    if let Some(planes) = ex.compare.planes(&ctx) {
        let captions = [
            tr("Autoencoder, z = 2: decoded over z ∈ [−3, 3]²"),
            tr("VAE, z = 2: decoded over the same square"),
        ];
        ui.horizontal_top(|ui| {
            for (i, (tex, caption)) in planes.iter().zip(captions).enumerate() {
                ui.vertical(|ui| {
                    ui.set_width(plane_side);
                    ui.add(egui::Label::new(egui::RichText::new(caption).strong()).truncate());
                    if let Some(r) = ranges.map(|r| r[i]) {
                        let text = tr!(
                            "its codes of the real digits above: z1 from {a} to {b}, z2 from {c} to {d}",
                            a = format!("{:.1}", r[0]),
                            b = format!("{:.1}", r[1]),
                            c = format!("{:.1}", r[2]),
                            d = format!("{:.1}", r[3])
                        );
                        ui.add(egui::Label::new(egui::RichText::new(text).weak()).wrap());
                    }
                    ui.add(egui::Image::new((tex.id(), egui::vec2(plane_side, plane_side))));
                });
            }
        });
    }
}
