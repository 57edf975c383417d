//! The compliance CSV: one row per framework requirement, control and resource (Prowler's
//! compliance CSVs are the reference point), so a spreadsheet or a GRC import can filter by
//! requirement. A requirement no control covers, and a mapped control that applied to nothing, get
//! one row each with status `not_assessed`; what was not assessed at all (resource types not
//! collected, components with no resource) closes the file with the framework left empty.
//!
//! Fields are quoted where they hold a comma, quote or line break, and a field a spreadsheet would
//! run as a formula (`=`, `+`, `-`, `@`) is prefixed with `'`.

use std::io::Write;

use super::Report;
use crate::evaluate::explain::reason_of;
use crate::evaluate::{Status, Verdict};

pub const HEADER: &[&str] = &[
    "evaluated_at",
    "framework",
    "requirement",
    "requirement_title",
    "requirement_status",
    "control",
    "control_title",
    "severity",
    "resource_type",
    "resource",
    "resource_name",
    "component",
    "status",
    "reason",
];

/// One CSV field, quoted where needed and defused as a formula.
pub fn field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn row(out: &mut dyn Write, cells: &[&str]) -> std::io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    writeln!(out, "{}", line.join(","))
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let eval = report.eval;
    let catalog = report.catalog;
    let mut out = std::io::BufWriter::new(out);
    let at = eval.as_of.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    row(&mut out, HEADER)?;
    let mut by_control: Vec<Vec<Verdict>> = vec![Vec::new(); catalog.controls.len()];
    for v in eval.verdicts() {
        if v.status != Status::NotApplicable {
            by_control[v.control as usize].push(v);
        }
    }
    for list in &mut by_control {
        list.sort_by(|a, b| {
            eval.resources[a.resource as usize]
                .id
                .cmp(&eval.resources[b.resource as usize].id)
        });
    }
    let index: std::collections::HashMap<&str, usize> = catalog
        .controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    for f in &report.scorecard.frameworks {
        for r in &f.requirements {
            let head = [
                at.as_str(),
                f.framework.as_str(),
                r.id.as_str(),
                r.title.as_str(),
                r.status.as_str(),
            ];
            if r.controls.is_empty() {
                let why = r.not_assessed.as_deref().unwrap_or("");
                row(
                    &mut out,
                    &[
                        &head[..],
                        &["", "", "", "", "", "", "", "not_assessed", why],
                    ]
                    .concat(),
                )?;
                continue;
            }
            for rc in &r.controls {
                let Some(&ci) = index.get(rc.id.as_str()) else {
                    continue;
                };
                let c = &catalog.controls[ci];
                let verdicts = &by_control[ci];
                if verdicts.is_empty() {
                    row(
                        &mut out,
                        &[
                            &head[..],
                            &[
                                c.id.as_str(),
                                c.title.as_str(),
                                c.severity.as_str(),
                                "",
                                "",
                                "",
                                "",
                                "not_assessed",
                                "the control applied to nothing collected",
                            ],
                        ]
                        .concat(),
                    )?;
                    continue;
                }
                for v in verdicts {
                    let res = &eval.resources[v.resource as usize];
                    let reason = crate::util::text::one_line(&reason_of(catalog, eval, v), 600);
                    row(
                        &mut out,
                        &[
                            &head[..],
                            &[
                                c.id.as_str(),
                                c.title.as_str(),
                                c.severity.as_str(),
                                res.entity_type,
                                &res.id,
                                res.name(),
                                &eval.components[res.component as usize].spec.name,
                                v.status.as_str(),
                                &reason,
                            ],
                        ]
                        .concat(),
                    )?;
                }
            }
        }
    }
    for line in &eval.not_assessed {
        row(
            &mut out,
            &[
                &at,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "not_assessed",
                line,
            ],
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("@x,y"), "\"'@x,y\"");
    }
}
