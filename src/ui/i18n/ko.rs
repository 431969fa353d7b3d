//! The Korean strings, keyed by their English text (see the module above).
//!
//! Keep placeholders (`{name}`) exactly as in the English key. After adding
//! characters, rebuild the font subset: `scripts/subset_korean_font.py`.

/// (English, Korean) pairs.
pub const KO: &[(&str, &str)] = &[("Play", "재생"), ("Pause", "일시 정지")];
