//! Text from outside (AWS answers, documents, snapshots, file names) made safe to show: control
//! characters never reach a terminal, a Markdown report or an error message as themselves, where
//! an escape sequence could recolour, hide or rewrite what the reader sees (ANSI CSI, OSC 8 links,
//! BEL, NUL, the C1 controls).

use std::borrow::Cow;
use std::fmt::Write as _;

fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (and bidirectional override) written as a visible escape
/// (`\u{1b}`); newlines and tabs too, so the result is one line.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The first line of `text`, escaped, cut to `max` characters (with `…` when cut): for messages
/// that may carry an SDK's multi-line debug output.
pub fn one_line(text: &str, max: usize) -> String {
    let first = text.trim().lines().next().unwrap_or("");
    let more = first.len() < text.trim().len();
    let escaped = escape(first);
    let mut out: String = escaped.chars().take(max).collect();
    if more || escaped.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(escape("plain ✅ text"), "plain ✅ text");
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(
            escape("\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7}"),
            "\\u{1b}]8;;http://x\\u{7}link\\u{1b}]8;;\\u{7}"
        );
        assert_eq!(escape("nul\0 c1\u{9b}"), "nul\\u{0} c1\\u{9b}");
        assert_eq!(escape("two\nlines"), "two\\nlines");
        assert_eq!(escape("rtl\u{202e}x"), "rtl\\u{202e}x");
    }

    #[test]
    fn one_line_keeps_the_first_line() {
        assert_eq!(
            one_line("AccessDenied: no\nDispatchFailure { ... }", 100),
            "AccessDenied: no…"
        );
        assert_eq!(one_line("short", 100), "short");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
