//! Presenter mode, for a projector: large type, high contrast (pure black or white
//! background, bright text, thicker strokes and lines), and the advanced controls
//! hidden so the class sees the game, not the knobs. F5 toggles it.

use eframe::egui;

use super::settings::ThemeChoice;

/// Zoom factor presenter mode uses where the window has room for it (1280×720 and up).
pub const ZOOM: f32 = 1.6;
/// The least zoom factor presenter mode uses (a 1024×768 projector gets about 1.28).
pub const MIN_ZOOM: f32 = 1.2;
/// The window presenter mode lays out for, in points after zooming: the zoom is as large as
/// keeps at least this much room, between [`MIN_ZOOM`] and [`ZOOM`].
pub const LAYOUT: [f32; 2] = [800.0, 450.0];

/// The presenter zoom for a window of `size` points at zoom 1 (rounded to 0.05, so that
/// resizing by a pixel does not restyle).
pub fn zoom_for(size: egui::Vec2) -> f32 {
    let fit = (size.x / LAYOUT[0]).min(size.y / LAYOUT[1]);
    let z = if fit.is_finite() {
        fit.clamp(MIN_ZOOM, ZOOM)
    } else {
        ZOOM
    };
    (z * 20.0).floor() / 20.0
}
/// Width of chart lines in presenter mode (normal: 2).
pub const LINE_WIDTH: f32 = 3.5;

/// Sets the visuals of `theme`, made high-contrast when `presenter` is on.
pub fn apply(ctx: &egui::Context, theme: ThemeChoice, presenter: bool) {
    let mut style = (*ctx.style_of(theme.egui())).clone();
    style.visuals = match theme {
        ThemeChoice::Dark => egui::Visuals::dark(),
        ThemeChoice::Light => egui::Visuals::light(),
    };
    if presenter {
        let v = &mut style.visuals;
        let (bg, fg) = match theme {
            ThemeChoice::Dark => (egui::Color32::BLACK, egui::Color32::WHITE),
            ThemeChoice::Light => (egui::Color32::WHITE, egui::Color32::BLACK),
        };
        v.override_text_color = Some(fg);
        v.panel_fill = bg;
        v.window_fill = bg;
        v.extreme_bg_color = bg;
        v.faint_bg_color = bg;
        for w in [
            &mut v.widgets.noninteractive,
            &mut v.widgets.inactive,
            &mut v.widgets.hovered,
            &mut v.widgets.active,
            &mut v.widgets.open,
        ] {
            w.fg_stroke = egui::Stroke::new(w.fg_stroke.width.max(2.0), fg);
            w.bg_stroke = egui::Stroke::new(w.bg_stroke.width.max(1.5), fg.gamma_multiply(0.8));
        }
        v.selection.stroke = egui::Stroke::new(2.5, v.selection.stroke.color);
    }
    ctx.set_style_of(theme.egui(), style);
}

/// Width of a chart's main lines.
pub fn line_width(presenter: bool) -> f32 {
    if presenter { LINE_WIDTH } else { 2.0 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_presenter_zoom_fits_the_projector() {
        use super::{egui, zoom_for};
        assert_eq!(zoom_for(egui::vec2(1280.0, 720.0)), 1.6);
        assert_eq!(zoom_for(egui::vec2(1920.0, 1080.0)), 1.6);
        assert_eq!(zoom_for(egui::vec2(1024.0, 768.0)), 1.25);
        assert_eq!(zoom_for(egui::vec2(800.0, 600.0)), 1.2);
    }
}
