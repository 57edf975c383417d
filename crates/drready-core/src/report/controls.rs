//! The control catalog as a Markdown reference (`docs/controls.md`), generated from the policies'
//! annotations by `drready controls --format markdown`. A test keeps the committed file current.

use std::fmt::Write;

use crate::evaluate::catalog::{Catalog, Control};

/// The catalog as Markdown: a summary table, then one section per control.
pub fn markdown(catalog: &Catalog) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Controls\n");
    let _ = writeln!(
        s,
        "Generated from the policies in `policies/` and the framework files in `frameworks/` by \
`drready controls --format markdown > docs/controls.md`; do not edit by hand (a test fails when \
this file is stale). {} controls.\n",
        catalog.controls.len()
    );
    let titles: Vec<&str> = catalog
        .frameworks
        .iter()
        .map(|f| f.title.as_str())
        .collect();
    let _ = writeln!(
        s,
        "| Control | Severity | Applies to | {} |",
        titles.join(" | ")
    );
    let _ = writeln!(s, "|---|---|---{}|", "|---".repeat(titles.len()));
    for c in &catalog.controls {
        let cells: Vec<String> = catalog
            .frameworks
            .iter()
            .map(|f| cell(&refs(c, &f.id)))
            .collect();
        let _ = writeln!(
            s,
            "| [`{id}`](#{id}) | {} | {} | {} |",
            c.severity.as_str(),
            cell(&c.resource_types.join(", ")),
            cells.join(" | "),
            id = c.id,
        );
    }
    for c in &catalog.controls {
        let _ = writeln!(s, "\n## {}\n\n{}\n", c.id, c.title);
        let _ = writeln!(s, "- Severity: {}", c.severity.as_str());
        let _ = writeln!(s, "- Applies to: {}", c.resource_types.join(", "));
        for f in &catalog.frameworks {
            let r = refs(c, &f.id);
            if !r.is_empty() {
                let _ = writeln!(s, "- {}: {r}", f.title);
            }
        }
        let reads: Vec<String> = c
            .facts
            .iter()
            .filter(|f| !c.shown.contains(f))
            .map(|f| format!("`{f}`"))
            .collect();
        let _ = writeln!(s, "- Reads: {}", reads.join(", "));
        if !c.absence_fails.is_empty() {
            let absent: Vec<String> = c.absence_fails.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(
                s,
                "- Fails when absent (nothing exists): {}",
                absent.join(", ")
            );
        }
        if c.conditional {
            let facts: Vec<String> = c.applies_facts.iter().map(|f| format!("`{f}`")).collect();
            let _ = writeln!(s, "- Applies only where: {}", facts.join(", "));
        }
        if !c.shown.is_empty() {
            let shown: Vec<String> = c.shown.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(s, "- Quoted in verdicts: {}", shown.join(", "));
        }
        if let Some(r) = &c.remediation {
            let _ = writeln!(s, "- Remediation: `{r}`");
        }
        if let Some(r) = &c.risk {
            let _ = writeln!(s, "- In the brief: {}", r.replace('|', "\\|"));
        }
        for (k, v) in &c.annotations {
            let _ = writeln!(s, "- `@{k}`: {v}");
        }
        let _ = writeln!(s, "- Policy: `{}`", c.source);
    }
    s
}

fn refs(c: &Control, f: &str) -> String {
    c.frameworks
        .get(f)
        .map(|v| v.join(", "))
        .unwrap_or_default()
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn docs_controls_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/controls.md");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let fresh = markdown(&Catalog::load(None).unwrap());
        assert!(
            committed == fresh,
            "docs/controls.md is stale: run `cargo run -- controls --format markdown > docs/controls.md`"
        );
    }

    #[test]
    fn every_control_has_a_section_naming_its_frameworks() {
        let catalog = Catalog::load(None).unwrap();
        let md = markdown(&catalog);
        for c in &catalog.controls {
            assert!(
                md.contains(&format!("\n## {}\n\n{}\n", c.id, c.title)),
                "{}",
                c.id
            );
            assert!(
                md.contains(&format!("- Policy: `{}`", c.source)),
                "{}",
                c.id
            );
        }
    }
}
