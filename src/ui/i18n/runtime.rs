//! Messages built at run time outside the window — the worker's errors, dataset and device
//! names — translated when the window shows them.
//!
//! The worker and the command line speak English; the window matches each message against
//! the English templates of [`super::ko::RUNTIME`] (`{name}` stands for any text) and fills
//! the Korean template with what the placeholders matched, each itself translated in turn
//! (so "cannot load data: {message}" translates a `{message}` that is a known message too).
//! A message no template matches is shown as it is. The tests check that every message the
//! worker can send has a template.

use super::{Lang, ko, korean_of, lang};

/// How deep placeholders are translated within placeholders.
const MAX_DEPTH: usize = 4;

/// `message` in the window's language.
pub fn translate(message: &str) -> String {
    match lang() {
        Lang::En => message.to_string(),
        Lang::Ko => translate_ko(message, MAX_DEPTH),
    }
}

fn translate_ko(message: &str, depth: usize) -> String {
    if let Some(k) = korean_of(message) {
        return k.to_string();
    }
    if depth == 0 {
        return message.to_string();
    }
    for (en, ko) in ko::RUNTIME {
        if let Some(values) = match_template(en, message) {
            let mut out = (*ko).to_string();
            for (name, value) in values {
                out = out.replace(&format!("{{{name}}}"), &translate_ko(value, depth - 1));
            }
            return out;
        }
    }
    message.to_string()
}

/// The template's literal pieces and placeholder names: "a{x}b" → (["a", "b"], ["x"]).
fn pieces(template: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut lits, mut names) = (Vec::new(), Vec::new());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        lits.push(&rest[..start]);
        names.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    lits.push(rest);
    (lits, names)
}

/// What each placeholder of `template` matched in `message`, if it matches: literal pieces
/// in order, each placeholder taking the shortest text before the next piece (the last one
/// reaching the final piece at the end). A placeholder matches at least one character.
pub fn match_template<'a>(template: &'a str, message: &'a str) -> Option<Vec<(&'a str, &'a str)>> {
    let (lits, names) = pieces(template);
    if names.is_empty() {
        return (template == message).then(Vec::new);
    }
    let mut rest = message.strip_prefix(lits[0])?;
    let last = lits[lits.len() - 1];
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let next = lits[i + 1];
        let value = if i + 1 == names.len() {
            let v = rest.strip_suffix(last)?;
            rest = "";
            v
        } else if next.is_empty() {
            return None; // two placeholders in a row cannot be told apart
        } else {
            let at = rest.get(1..)?.find(next)? + 1;
            let v = &rest[..at];
            rest = &rest[at + next.len()..];
            v
        };
        if value.is_empty() {
            return None;
        }
        out.push((*name, value));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_and_translate_what_they_hold() {
        assert_eq!(
            match_template("cannot load data: {message}", "cannot load data: x: y"),
            Some(vec![("message", "x: y")])
        );
        assert_eq!(
            match_template("step {step}: {r}: tail", "step 5: the D loss reached 1e9: tail"),
            Some(vec![("step", "5"), ("r", "the D loss reached 1e9")])
        );
        assert_eq!(match_template("a {x} b", "a  b"), None, "a placeholder holds something");
        assert_eq!(match_template("a {x} b", "c 1 b"), None);
        super::super::set_lang(Lang::Ko);
        // A message in a message, and a metric's label in it.
        let nan = translate(
            "the training step failed: the D loss became NaN at step 12; the update was not applied (try a lower learning rate); training paused",
        );
        assert!(
            !nan.contains("failed") && !nan.contains("became") && nan.contains("NaN") && nan.contains("12"),
            "{nan}"
        );
        assert_eq!(translate("CPU (1 thread)"), "CPU (스레드 1개)");
        assert_eq!(translate("CPU (2 threads)"), "CPU (스레드 2개)");
        assert_eq!(translate("something new"), "something new", "unknown: as it is");
        super::super::set_lang(Lang::En);
        assert_eq!(translate("CPU (2 threads)"), "CPU (2 threads)");
    }
}
