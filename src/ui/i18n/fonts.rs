//! The embedded Korean font.
//!
//! `assets/fonts/LatentLabHangul-Regular.ttf` is NanumGothic (© NAVER Corporation,
//! SIL Open Font License 1.1) cut down to the characters the Korean strings use,
//! and renamed as the licence asks of modified versions (see `assets/fonts/README.md`;
//! `scripts/subset_korean_font.py` rebuilds it). egui's own fonts stay first; this
//! one is the fallback that supplies Hangul.

use eframe::egui;

use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};

/// The font file.
pub const HANGUL_TTF: &[u8] = include_bytes!("../../../assets/fonts/LatentLabHangul-Regular.ttf");

/// Adds the Korean font to `ctx` as a fallback of both font families.
pub fn install(ctx: &egui::Context) {
    ctx.add_font(FontInsert::new(
        "latent-lab-hangul",
        egui::FontData::from_static(HANGUL_TTF),
        vec![
            InsertFontFamily {
                family: egui::FontFamily::Proportional,
                priority: FontPriority::Lowest,
            },
            InsertFontFamily {
                family: egui::FontFamily::Monospace,
                priority: FontPriority::Lowest,
            },
        ],
    ));
}
