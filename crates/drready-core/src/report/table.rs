//! The terminal view: scores per framework, recovery targets against measurements, failing controls
//! by severity with the reason, and what lacked evidence with its cause.

use std::io::Write;

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};

use super::{score_text, summary, Group, Report};
use crate::evaluate::catalog::Severity;

/// Width the tables are laid out to, so output does not depend on the terminal.
const WIDTH: u16 = 150;

fn table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn grade_cell(grade: char, text: String, color: bool) -> Cell {
    let cell = Cell::new(text);
    if !color {
        return cell;
    }
    let c = match grade {
        'A' | 'B' => Color::Green,
        'C' => Color::Yellow,
        _ => Color::Red,
    };
    cell.fg(c).add_attribute(Attribute::Bold)
}

fn severity_cell(s: Severity, color: bool) -> Cell {
    let cell = Cell::new(s.as_str());
    if !color {
        return cell;
    }
    cell.fg(match s {
        Severity::Critical | Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
    })
}

fn met(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => " ✓",
        Some(false) => " ✗",
        None => "",
    }
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let s = summary(report);
    let color = report.color;
    writeln!(
        out,
        "drready {} — disaster-recovery readiness",
        s.tool_version
    )?;
    writeln!(
        out,
        "snapshot collected {} · evaluated as of {} · DR region {} · {} controls · policy set {}",
        s.collected_at,
        s.evaluated_at,
        s.dr_region.as_deref().unwrap_or("(none)"),
        s.controls,
        &s.policy_set_sha256[..12],
    )?;

    writeln!(out, "\nScores")?;
    let mut t = table(color);
    t.set_header([
        "Framework",
        "Score",
        "Grade",
        "Controls",
        "Pass",
        "Fail",
        "No evidence",
        "Requirements met",
    ]);
    for f in &s.scorecard.frameworks {
        let g = &f.grade;
        let grade = if g.capped {
            format!("{} (capped)", g.grade)
        } else {
            g.grade.to_string()
        };
        t.add_row(vec![
            Cell::new(&f.title),
            Cell::new(score_text(g.score)),
            grade_cell(g.grade, grade, color),
            Cell::new(f.controls),
            Cell::new(g.tally.pass),
            Cell::new(g.tally.fail),
            Cell::new(g.tally.no_evidence),
            Cell::new(format!(
                "{}/{}",
                f.requirement_tally.met,
                f.requirements.len()
            )),
        ]);
    }
    let o = &s.scorecard.overall;
    t.add_row(vec![
        Cell::new("Overall").add_attribute(Attribute::Bold),
        Cell::new(score_text(o.score)),
        grade_cell(
            o.grade,
            if o.capped {
                format!("{} (capped)", o.grade)
            } else {
                o.grade.to_string()
            },
            color,
        ),
        Cell::new(
            s.scorecard
                .controls
                .iter()
                .filter(|c| c.score.is_some())
                .count(),
        ),
        Cell::new(o.tally.pass),
        Cell::new(o.tally.fail),
        Cell::new(o.tally.no_evidence),
        Cell::new(""),
    ]);
    writeln!(out, "{t}")?;

    writeln!(out, "\nRecovery targets (target against measured)")?;
    let mut t = table(color);
    t.set_header([
        "Component",
        "Targets from",
        "RTO target",
        "RTO measured",
        "RPO target",
        "RPO now",
        "RPO tested",
        "Score",
        "Grade",
    ]);
    for c in &s.components {
        t.add_row(vec![
            Cell::new(&c.name),
            Cell::new(c.source.as_deref().unwrap_or("")),
            Cell::new(&c.rto_target),
            Cell::new(format!("{}{}", c.rto_measured, met(c.rto_met))),
            Cell::new(&c.rpo_target),
            Cell::new(format!("{}{}", c.rpo_now, met(c.rpo_now_met))),
            Cell::new(&c.rpo_tested),
            Cell::new(score_text(c.score)),
            grade_cell(c.grade, c.grade.to_string(), color),
        ]);
        // Its disruption scenarios: targets, and what the newest test of each measured.
        for sc in &c.scenarios {
            t.add_row(vec![
                Cell::new(format!("  ↳ {}", sc.disruption)),
                Cell::new(sc.tested_by.as_deref().unwrap_or("")),
                Cell::new(&sc.rto_target),
                Cell::new(format!("{}{}", sc.rto_tested, met(sc.rto_met))),
                Cell::new(&sc.rpo_target),
                Cell::new(""),
                Cell::new(format!("{}{}", sc.rpo_tested, met(sc.rpo_met))),
                Cell::new(""),
                Cell::new(""),
            ]);
        }
    }
    writeln!(out, "{t}")?;
    for c in s.components.iter().filter(|c| !c.notes.is_empty()) {
        for n in &c.notes {
            writeln!(out, "note: component `{}`: {n}", c.name)?;
        }
    }

    write_requirements(out, &s.requirements)?;
    write_groups(out, "Failing controls", &s.failures, color, "Why")?;
    write_groups(out, "No evidence", &s.no_evidence, color, "Cause")?;
    write_list(out, "Collection gaps", &s.gap_lines, super::MAX_LISTED)?;
    write_list(out, "Not assessed", &s.not_assessed, super::MAX_LISTED)?;
    write_list(out, "Warnings", &s.warnings, super::MAX_LISTED)?;

    if let Some(c) = &s.comparison {
        writeln!(
            out,
            "\nSince the previous audit ({}, evaluated {})",
            c.previous, c.previous_evaluated_at
        )?;
        let deltas: Vec<String> = c
            .framework_deltas
            .iter()
            .map(|(f, d)| format!("{f} {d:+.1}"))
            .collect();
        writeln!(
            out,
            "score {:+.1} points ({})",
            c.overall_delta,
            deltas.join(", ")
        )?;
        writeln!(
            out,
            "{} new, {} fixed, {} still failing",
            c.new.len(),
            c.fixed.len(),
            c.still.len()
        )?;
        for (label, list) in [("new", &c.new), ("fixed", &c.fixed)] {
            for f in list.iter().take(report.max_rows) {
                writeln!(out, "  {label}: {} on {}", f.control, f.resource)?;
            }
        }
    }

    let t = &s.totals;
    writeln!(
        out,
        "\n{} pass, {} fail, {} no evidence, {} not applicable; {} collection gap(s)",
        t.pass, t.fail, t.no_evidence, t.not_applicable, s.gaps
    )?;
    Ok(())
}

/// A titled list, one line an entry; past `max`, how many more (JSON lists every one).
/// Per framework: the tally of requirement statuses, then every requirement not met or without
/// evidence, with its controls and resources (those not assessed are in their own list).
fn write_requirements(out: &mut dyn Write, views: &[super::FrameworkView]) -> std::io::Result<()> {
    writeln!(out, "\nRequirements")?;
    for f in views {
        writeln!(
            out,
            "{}: {} met · {} not met · {} no evidence · {} not assessed",
            f.title, f.tally.met, f.tally.not_met, f.tally.no_evidence, f.tally.not_assessed
        )?;
        for r in f
            .requirements
            .iter()
            .filter(|r| r.status == "not met" || r.status == "no evidence")
        {
            let shown = r.resources.len().min(5);
            let more = if r.resources.len() > shown {
                ", …"
            } else {
                ""
            };
            writeln!(
                out,
                "  {:<11} {} {}: {}; on {}{more} ({} finding(s))",
                r.status,
                r.id,
                r.title,
                r.controls
                    .iter()
                    .filter(|c| c.ends_with("(not met)") || c.ends_with("(no evidence)"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                r.resources[..shown].join(", "),
                r.count,
            )?;
        }
    }
    Ok(())
}

fn write_list(
    out: &mut dyn Write,
    title: &str,
    lines: &[String],
    max: usize,
) -> std::io::Result<()> {
    writeln!(out, "\n{title} ({})", lines.len())?;
    if lines.is_empty() {
        return writeln!(out, "none");
    }
    for l in lines.iter().take(max) {
        writeln!(out, "- {l}")?;
    }
    if lines.len() > max {
        writeln!(
            out,
            "- … and {} more (see --format json)",
            lines.len() - max
        )?;
    }
    Ok(())
}

fn write_groups(
    out: &mut dyn Write,
    title: &str,
    groups: &[Group],
    color: bool,
    why: &str,
) -> std::io::Result<()> {
    let total: usize = groups.iter().map(|g| g.count).sum();
    writeln!(out, "\n{title} ({total})")?;
    if groups.is_empty() {
        writeln!(out, "none")?;
        return Ok(());
    }
    let mut t = table(color);
    t.set_header(["Severity", "Control", "Resource", why, "Remediation"]);
    for g in groups {
        for item in &g.items {
            t.add_row(vec![
                severity_cell(g.severity, color),
                Cell::new(&g.control),
                Cell::new(format!("{} ({})", item.name, item.component)),
                Cell::new(&item.reason),
                Cell::new(g.remediation.as_deref().unwrap_or("")),
            ]);
        }
        if g.count > g.items.len() {
            t.add_row(vec![
                Cell::new(""),
                Cell::new(&g.control),
                Cell::new(format!(
                    "… and {} more (see --format json)",
                    g.count - g.items.len()
                )),
                Cell::new(""),
                Cell::new(""),
            ]);
        }
    }
    writeln!(out, "{t}")
}
