//! The Markdown report, rendered from `templates/report.md.j2` (embedded; `--templates DIR` overrides
//! it). Table cells are escaped so that resource names and document text cannot break the table.

use std::io::Write;

use minijinja::{Environment, Value as JValue};

use super::{summary, Report};

pub const TEMPLATE_NAME: &str = "report.md.j2";
pub const BUILTIN_TEMPLATE: &str = include_str!("../../../../templates/report.md.j2");

/// Escape text for a Markdown table cell: pipes, newlines, HTML and emphasis characters.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            // Escape sequences, NUL, BEL, C1: shown, never passed to whoever cats the report.
            c if c.is_control() => out.push_str(&crate::util::text::escape(&c.to_string())),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

/// Check a template compiles: the error's line (0 when unknown) and message.
pub fn check_template(source: &str) -> Result<(), (usize, String)> {
    let mut env = Environment::new();
    env.add_template(TEMPLATE_NAME, source)
        .map(|_| ())
        .map_err(|e| {
            (
                e.line().unwrap_or(0),
                e.detail().unwrap_or("invalid template").to_string(),
            )
        })
}

/// Render `source` (named `name`) with the filters every report template may use.
pub fn render_template(
    name: &str,
    source: &str,
    html: bool,
    ctx: JValue,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut env = Environment::new();
    if html {
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    }
    env.set_keep_trailing_newline(true);
    env.add_filter("cell", |v: String| cell(&v));
    env.add_filter("score", |v: Option<f64>| super::score_text(v));
    env.add_template(name, source)
        .map_err(std::io::Error::other)?;
    let text = env
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(std::io::Error::other)?;
    out.write_all(text.as_bytes())
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let source = report.template.as_deref().unwrap_or(BUILTIN_TEMPLATE);
    render_template(
        TEMPLATE_NAME,
        source,
        false,
        JValue::from_serialize(summary(report)),
        out,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(super::cell("a|b\n<script>"), "a\\|b &lt;script&gt;");
    }
}
