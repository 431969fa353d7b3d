//! Languages: English and Korean (한국어) for every string of the window.
//!
//! The English text is the key (gettext style): UI code writes `tr("Play")`, or
//! `tr!("Step {step} of {n}", step = s, n = n)` for text with values, and gets the
//! string in the current language. Korean strings live in one table, [`ko::KO`];
//! a test scans the UI's source for every key and fails if one has no Korean
//! string (or a Korean string lacks a placeholder of its key, or has a glyph the
//! embedded font lacks).
//!
//! The current language is per thread (the UI thread sets it every frame from the
//! settings), so tests that drive several windows at once don't disturb each other.
//! The Korean font ([`fonts`]) is embedded, so Hangul renders on any machine.

pub mod fonts;
pub mod ko;
pub mod runtime;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A language of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Korean (한국어).
    Ko,
}

impl Lang {
    /// Both, in menu order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The language's own name.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }
}

/// Environment variable that picks the language at start (`en` or `ko`), over the
/// saved setting: `LATENT_LAB_LANG=ko latent-lab` (screenshots, classrooms).
pub const LANG_ENV: &str = "LATENT_LAB_LANG";

impl Lang {
    /// Parses a language code (`en`, `ko`, `ko_KR.UTF-8`, ...; case-insensitive).
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        if code.starts_with("ko") {
            Some(Lang::Ko)
        } else if code.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// The language `$LATENT_LAB_LANG` asks for, if it is set to a known one.
pub fn lang_from_env() -> Option<Lang> {
    std::env::var(LANG_ENV).ok().as_deref().and_then(Lang::from_code)
}

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// Makes `lang` the language of this thread's `tr` calls.
pub fn set_lang(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
}

/// The language of this thread's `tr` calls.
pub fn lang() -> Lang {
    CURRENT.with(Cell::get)
}

fn korean() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| ko::KO.iter().copied().collect())
}

/// `english` in the current language (English itself if there is no translation).
pub fn tr(english: &'static str) -> &'static str {
    match lang() {
        Lang::En => english,
        Lang::Ko => korean().get(english).copied().unwrap_or(english),
    }
}

/// The Korean string for `english`, if there is one.
pub fn korean_of(english: &str) -> Option<&'static str> {
    korean().get(english).copied()
}

/// Replaces each `{name}` in `template` with its value.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The names of the `{placeholders}` in a template, sorted.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            break;
        };
        out.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    out.sort();
    out
}

/// Translates a template and fills its `{placeholders}`:
/// `tr!("Step {step} of {n}", step = s, n = total)`.
#[macro_export]
macro_rules! tr {
    ($english:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::ui::i18n::fill(
            $crate::ui::i18n::tr($english),
            &[$((stringify!($name), &$value as &dyn std::fmt::Display)),*],
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_and_placeholders() {
        assert_eq!(
            fill("Step {step} of {n}", &[("step", &3), ("n", &"ten")]),
            "Step 3 of ten"
        );
        assert_eq!(placeholders("{b} and {a}, {b}"), vec!["a", "b", "b"]);
        assert!(placeholders("none").is_empty());
    }

    #[test]
    fn the_language_is_per_thread() {
        set_lang(Lang::Ko);
        let other = std::thread::spawn(lang).join().unwrap();
        assert_eq!((lang(), other), (Lang::Ko, Lang::En));
        set_lang(Lang::En);
    }

    #[test]
    fn language_codes_parse() {
        assert_eq!(Lang::from_code("ko"), Some(Lang::Ko));
        assert_eq!(Lang::from_code("ko_KR.UTF-8"), Some(Lang::Ko));
        assert_eq!(Lang::from_code("EN"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
    }

    #[test]
    fn tr_translates_and_fills() {
        set_lang(Lang::Ko);
        assert_eq!(tr("Play"), "재생");
        assert_eq!(crate::tr!("Step {step}", step = 7), "스텝 7");
        assert_eq!(tr("not a key"), "not a key", "unknown text falls back to English");
        set_lang(Lang::En);
        assert_eq!(crate::tr!("Step {step}", step = 7), "Step 7");
    }

    /// Every `.rs` file under `dir`, recursively (sorted, for stable messages).
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The string literal at the start of `s` (which begins with `"`), unescaped.
    fn string_literal(s: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = s.strip_prefix('"')?.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '\n' => {
                        // A line continuation: skip the next line's indentation.
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    /// Every `tr("…")` and `tr!("…"` key in `source`.
    fn keys_in(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for pat in ["tr(", "tr!("] {
            for (at, _) in source.match_indices(pat) {
                let before = source[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // e.g. `attr(`
                }
                let rest = source[at + pat.len()..].trim_start();
                if rest.starts_with('"')
                    && let Some(key) = string_literal(rest)
                {
                    keys.push(key);
                }
            }
        }
        keys
    }

    /// The strings every registered family declares for the window (its label and summary,
    /// step kinds, charts, metrics and vectors) and the shipped models' labels: the UI shows
    /// each through `tr`.
    fn family_keys() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for f in crate::family::registry::every() {
            let file = format!("family {}", f.id());
            let mut push = |k: &str| out.push((k.to_string(), file.clone()));
            push(f.label());
            push(f.summary());
            f.step_kinds().iter().for_each(|k| {
                push(k.label);
                push(k.help);
            });
            f.charts().iter().for_each(|c| {
                push(c.title);
                c.note.into_iter().for_each(&mut push);
            });
            f.metrics().iter().for_each(|m| push(m.label));
            f.vectors().iter().for_each(|v| push(v.label));
            f.showcase_caption().into_iter().for_each(&mut push);
            f.showcase_help().into_iter().for_each(&mut push);
        }
        for t in crate::data::paired::PairTask::ALL {
            out.push((t.label().to_string(), format!("paired task {}", t.id())));
        }
        for d in crate::data::domains::DomainPair::ALL {
            out.push((d.label().to_string(), format!("domains {}", d.id())));
        }
        for p in &crate::latent::pretrained::ALL {
            out.push((p.label.to_string(), format!("shipped model {}", p.id)));
        }
        out
    }

    /// The keys the UI uses, with the file each was first seen in (or the family that
    /// declares it).
    fn used_keys() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let mut out: Vec<(String, String)> = Vec::new();
        for f in files {
            if f.starts_with(root.join("i18n")) {
                continue; // the table itself and these tests
            }
            let source = std::fs::read_to_string(&f).unwrap();
            let name = f
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap()
                .display()
                .to_string();
            for k in keys_in(&source) {
                if !out.iter().any(|(u, _)| *u == k) {
                    out.push((k, name.clone()));
                }
            }
        }
        for (k, from) in family_keys() {
            if !out.iter().any(|(u, _)| *u == k) {
                out.push((k, from));
            }
        }
        out
    }

    #[test]
    fn the_scanner_reads_literals_and_macros() {
        let src = "ui.label(tr(\"A \\\"b\\\"\")); tr!(\n  \"x {n} \\\n   y\", n = 1); attr(\"no\"); tr(name)";
        assert_eq!(keys_in(src), vec!["A \"b\"".to_string(), "x {n} y".to_string()]);
    }

    #[test]
    fn every_key_in_the_ui_has_a_korean_string() {
        let used = used_keys();
        assert!(used.len() > 100, "the scan found only {} keys", used.len());
        let missing: Vec<String> = used
            .iter()
            .filter(|(k, _)| korean_of(k).is_none())
            .map(|(k, file)| format!("{file}: {k:?}"))
            .collect();
        assert!(
            missing.is_empty(),
            "keys without Korean (add them to ko.rs):\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_korean_string_is_used_once_and_keeps_its_placeholders() {
        let used = used_keys();
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (en, ko) in ko::KO {
            if !seen.insert(*en) {
                problems.push(format!("twice in ko.rs: {en:?}"));
            }
            if !used.iter().any(|(k, _)| k == en) {
                problems.push(format!("stale (no tr(..) in src/ui nor any family uses it): {en:?}"));
            }
            if placeholders(en) != placeholders(ko) {
                problems.push(format!("placeholders differ: {en:?} vs {ko:?}"));
            }
            if ko.trim().is_empty() || ko == en {
                problems.push(format!("not translated: {en:?}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The message templates the worker sends to the window: the format strings of its
    /// `fail(ErrorKind::…, …)` calls and error messages, with format specs dropped
    /// (`{value:.3}` → `{value}`).
    fn worker_templates() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/worker");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let mut out = Vec::new();
        for f in files {
            let source = std::fs::read_to_string(&f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let mut starts = Vec::new();
            for (at, _) in source.match_indices("self.fail(") {
                let rest = &source[at..];
                if let Some(comma) = rest.find(',') {
                    starts.push(at + comma + 1);
                }
            }
            for pat in ["message: format!(", "Err(format!("] {
                starts.extend(source.match_indices(pat).map(|(at, _)| at + pat.len()));
            }
            for start in starts {
                let mut rest = source[start..].trim_start();
                if let Some(r) = rest.strip_prefix("format!(") {
                    rest = r.trim_start();
                }
                if let Some(t) = string_literal(rest) {
                    out.push((drop_specs(&t), name.clone()));
                }
            }
        }
        out
    }

    fn drop_specs(t: &str) -> String {
        let mut out = String::new();
        let mut in_brace = false;
        let mut skipping = false;
        for c in t.chars() {
            match c {
                '{' => {
                    in_brace = true;
                    skipping = false;
                    out.push(c);
                }
                '}' => {
                    in_brace = false;
                    out.push(c);
                }
                ':' if in_brace => skipping = true,
                _ if skipping => {}
                _ => out.push(c),
            }
        }
        out
    }

    #[test]
    fn every_message_the_worker_sends_has_a_korean_template() {
        let templates = worker_templates();
        assert!(templates.len() > 20, "the scan found only {} messages", templates.len());
        let missing: Vec<String> = templates
            .iter()
            .filter(|(t, _)| !ko::RUNTIME.iter().any(|(en, _)| en == t))
            .map(|(t, f)| format!("src/worker/{f}: {t:?}"))
            .collect();
        assert!(
            missing.is_empty(),
            "worker messages without a Korean template (add them to ko::RUNTIME):\n{}",
            missing.join("\n")
        );
        let mut problems = Vec::new();
        for (en, ko) in ko::RUNTIME {
            if placeholders(en) != placeholders(ko) {
                problems.push(format!("placeholders differ: {en:?} vs {ko:?}"));
            }
            if ko::RUNTIME.iter().filter(|(e, _)| e == en).count() > 1 {
                problems.push(format!("twice: {en:?}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        // Every Korean template is rendered with Hangul the font has (checked below too).
        set_lang(Lang::Ko);
        let shown = runtime::translate("cannot load data: /x: not an IDX file; the previous dataset stays loaded");
        set_lang(Lang::En);
        assert!(shown.starts_with("데이터를 불러올 수 없습니다: /x"), "{shown}");
    }

    #[test]
    fn every_korean_string_has_its_glyphs() {
        use eframe::egui;
        let ctx = egui::Context::default();
        // Frames' texture deltas are meant for a renderer; there is none here
        // (and egui asserts, in debug builds, that none is dropped unhandled).
        ctx.run_ui(Default::default(), |ui| fonts::install(ui.ctx()))
            .textures_delta
            .clear();
        ctx.run_ui(Default::default(), |_| {}).textures_delta.clear();
        let texts = ko::KO
            .iter()
            .chain(ko::RUNTIME)
            .map(|(_, k)| *k)
            .chain(Lang::ALL.iter().map(|l| l.native_name()));
        let mut missing = std::collections::BTreeSet::new();
        ctx.fonts_mut(|f| {
            for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
                let font_id = egui::FontId::new(14.0, family);
                for text in texts.clone() {
                    for c in text.chars() {
                        if !f.has_glyph(&font_id, c) {
                            missing.insert(c);
                        }
                    }
                }
            }
        });
        assert!(
            missing.is_empty(),
            "the embedded font lacks {:?}: run scripts/subset_korean_font.py",
            missing.iter().collect::<String>()
        );
        // And the font is what supplies Hangul (egui's own fonts have none).
        let from_ours = ctx.fonts_mut(|f| {
            f.characters(&egui::FontFamily::Proportional)
                .get(&'학')
                .is_some_and(|names| names.iter().any(|n| n == "latent-lab-hangul"))
        });
        assert!(from_ours, "'학' does not come from the embedded font");
    }
}
