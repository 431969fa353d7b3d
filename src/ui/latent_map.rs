//! The latent map: for a model with z of size 2, the whole latent plane decoded
//! as a grid of digits (the manifold view); for larger z, the plane through the
//! current z along its two strongest principal directions. A click on the map
//! moves z there; a marker shows where z is.

use eframe::egui;

use super::explorer::Explorer;
use super::i18n::tr;
use super::latent::paint_image;
use crate::tr;

/// The latent map tool.
pub(super) fn latent_map_ui(ui: &mut egui::Ui, ex: &mut Explorer) {
    let l = ex.latent_dim();
    if l == 2 {
        ui.label(tr(
            "The whole latent plane: z 0 runs left to right, z 1 bottom to top. Click to move z there.",
        ));
    } else {
        ui.label(tr(
            "The plane through the current z along its two strongest principal directions \
             (the map of a 2-D model shows the whole latent space). Click to move z there.",
        ));
    }
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(&mut ex.settings.map_side, 5..=31).text(tr("cells per side")));
        ui.add_enabled(
            !(l == 2 && ex.settings.map_quantiles),
            egui::Slider::new(&mut ex.settings.map_extent, 0.5..=6.0).text(tr("extent (±)")),
        );
        if l == 2 {
            ui.checkbox(&mut ex.settings.map_quantiles, tr("Gaussian quantiles"))
                .on_hover_text(tr(
                    "Cells at the quantiles of N(0, 1), as in the VAE paper's figure: each covers the same prior probability",
                ));
        }
    });
    let Some(plane) = ex.wanted_plane() else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(tr("Finding the principal directions…"));
        });
        ex.want_directions();
        return;
    };
    let ready = ex.plane_images(&plane).map(<[u8]>::to_vec);
    let avail = ui.available_size();
    let side_px = (avail.y - 10.0).min(avail.x * 0.62).max(200.0);
    let big = (avail.x - side_px - 30.0).clamp(100.0, 320.0);
    ui.horizontal_top(|ui| {
        let (rect, resp) = ui.allocate_exact_size(egui::vec2(side_px, side_px), egui::Sense::click());
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, tr("Map of the latent plane")));
        match &ready {
            Some(px) => {
                let ctx = ui.ctx().clone();
                let cells = plane.side;
                ex.plane_tex.show(&ctx, "latent_map", ex.plane_version, || {
                    let img = crate::export::grid(px, 28, cells, 0);
                    super::samples::color_image(&img)
                });
                paint_image(ui, rect, ex.plane_tex.texture.as_ref());
            }
            None => {
                paint_image(ui, rect, ex.plane_tex.texture.as_ref());
                ui.put(rect, egui::Spinner::new());
            }
        }
        // Where z is on the plane.
        let (a, b) = plane_coords(&plane, &ex.z);
        let to_screen = |a: f32, b: f32| {
            let fx = (a + plane.extent) / (2.0 * plane.extent);
            let fy = (plane.extent - b) / (2.0 * plane.extent);
            // Cell centres span half a cell in from the edges.
            let cell = rect.width() / plane.side as f32;
            egui::pos2(
                rect.min.x + cell / 2.0 + fx * (rect.width() - cell),
                rect.min.y + cell / 2.0 + fy * (rect.height() - cell),
            )
        };
        let marker = to_screen(a, b);
        if rect.contains(marker) {
            let stroke = egui::Stroke::new(2.5, egui::Color32::from_rgb(235, 120, 30));
            ui.painter().circle_stroke(marker, 7.0, stroke);
        }
        if resp.clicked()
            && let Some(pos) = resp.interact_pointer_pos()
        {
            let cell = rect.width() / plane.side as f32;
            let fx = ((pos.x - rect.min.x - cell / 2.0) / (rect.width() - cell)).clamp(0.0, 1.0);
            let fy = ((pos.y - rect.min.y - cell / 2.0) / (rect.height() - cell)).clamp(0.0, 1.0);
            let a = -plane.extent + fx * 2.0 * plane.extent;
            let b = plane.extent - fy * 2.0 * plane.extent;
            ex.set_z(plane.at(a, b), None);
        }
        ui.vertical(|ui| {
            ex.ensure_image(ui.ctx());
            super::latent::image_slot(ui, ex.image_tex.texture.as_ref(), big, tr("Decoded image"));
            ui.label(tr!(
                "at ({a}, {b}) on the plane",
                a = format!("{a:.2}"),
                b = format!("{b:.2}")
            ));
        });
    });
}

/// Coordinates of `z` along the plane's two directions, relative to its base.
fn plane_coords(plane: &crate::latent::manifold::Plane, z: &[f32]) -> (f32, f32) {
    let d: Vec<f32> = z.iter().zip(&plane.base).map(|(a, b)| a - b).collect();
    (super::explorer::dot(&d, &plane.u), super::explorer::dot(&d, &plane.v))
}
