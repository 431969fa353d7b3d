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
}
