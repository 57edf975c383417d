//! The period report's formats: a table, Markdown, JSON and CSV (one row per requirement or
//! control, then the test population and the cadence per month and quarter).

use std::io::Write;

use crate::decide::period::{PeriodReport, Record};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeriodFormat {
    Table,
    Json,
    Markdown,
    Csv,
}

pub fn render(format: PeriodFormat, r: &PeriodReport, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        PeriodFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, r).map_err(super::json::io_error)?;
            writeln!(out)
        }
        PeriodFormat::Csv => csv(r, out),
        PeriodFormat::Table => text(r, out, false),
        PeriodFormat::Markdown => text(r, out, true),
    }
}

fn share(r: &Record) -> String {
    r.share.map_or_else(|| "—".into(), |s| format!("{s:.1}%"))
}

fn fix(r: &Record) -> String {
    match (&r.first_failure, r.days_to_fix, r.failing_at_end) {
        (None, _, _) => "never failed".into(),
        (Some(f), Some(d), false) => format!("failed {} · fixed in {d} d", &f[..10.min(f.len())]),
        (Some(f), Some(d), true) => format!(
            "failed {} · fixed in {d} d · failing again",
            &f[..10.min(f.len())]
        ),
        (Some(f), None, _) => format!("failing since {}", &f[..10.min(f.len())]),
    }
}

fn text(r: &PeriodReport, out: &mut dyn Write, md: bool) -> std::io::Result<()> {
    let cell = |s: &str| {
        if md {
            super::markdown::cell(s)
        } else {
            s.to_string()
        }
    };
    let h = |out: &mut dyn Write, t: &str| -> std::io::Result<()> {
        if md {
            writeln!(out, "\n## {t}\n")
        } else {
            writeln!(out, "\n{t}")
        }
    };
    let row = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        if md {
            writeln!(out, "| {} |", cells.join(" | "))
        } else {
            writeln!(out, "  {}", cells.join("  "))
        }
    };
    let head = |out: &mut dyn Write, cells: &[&str]| -> std::io::Result<()> {
        if md {
            writeln!(out, "| {} |", cells.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(cells.len()))
        } else {
            Ok(())
        }
    };
    if md {
        writeln!(out, "# DR readiness over the period {} to {}", r.from, r.to)?;
    } else {
        writeln!(out, "drready period report: {} to {}", r.from, r.to)?;
    }
    writeln!(
        out,
        "\n{} audit(s) verified and used · {} bundle(s) left out · {} day(s) without an audit (longest stretch {} d)",
        r.audits.len(),
        r.excluded.len(),
        r.days_without_audit,
        r.longest_gap_days
    )?;
    h(out, "Audits")?;
    head(out, &["Bundle", "Evaluated", "Overall"])?;
    for a in &r.audits {
        row(
            out,
            &[
                cell(&a.bundle),
                a.evaluated_at.clone(),
                super::score_text(a.overall),
            ],
        )?;
    }
    h(out, "Left out")?;
    if r.excluded.is_empty() {
        writeln!(out, "{}none", if md { "" } else { "  " })?;
    }
    for e in &r.excluded {
        writeln!(
            out,
            "{}{}: {}",
            if md { "- " } else { "  " },
            cell(&e.bundle),
            cell(&e.why)
        )?;
    }
    h(out, "Requirements")?;
    head(
        out,
        &[
            "Framework",
            "Requirement",
            "Audits passed",
            "Share",
            "Record",
        ],
    )?;
    for q in &r.requirements {
        row(
            out,
            &[
                q.framework.clone(),
                cell(&format!("{} {}", q.id, q.title)),
                format!("{}/{}", q.passed, q.audits),
                share(q),
                if q.audits == 0 {
                    "not assessed".into()
                } else {
                    fix(q)
                },
            ],
        )?;
    }
    h(out, "Controls")?;
    head(out, &["Control", "Audits passed", "Share", "Record"])?;
    for c in &r.controls {
        row(
            out,
            &[
                c.id.clone(),
                format!("{}/{}", c.passed, c.audits),
                share(c),
                fix(c),
            ],
        )?;
    }
    h(
        out,
        "DR tests and restores in the period (the population to sample)",
    )?;
    head(
        out,
        &[
            "Test",
            "Kind",
            "Started",
            "Outcome",
            "Component",
            "Recorded at",
        ],
    )?;
    if r.tests.is_empty() && !md {
        writeln!(out, "  none")?;
    }
    for t in &r.tests {
        row(
            out,
            &[
                cell(&t.id),
                t.kind.to_string(),
                t.started.clone(),
                t.outcome.to_string(),
                cell(t.component.as_deref().unwrap_or("")),
                cell(t.source.as_deref().unwrap_or("")),
            ],
        )?;
    }
    h(out, "Document reviews in the period")?;
    head(out, &["Document", "Last updated", "Next review"])?;
    for d in &r.reviews {
        row(
            out,
            &[
                cell(&d.document),
                d.last_updated.clone().unwrap_or_default(),
                d.next_review.clone().unwrap_or_default(),
            ],
        )?;
    }
    h(out, "Test cadence at the end of every month and quarter")?;
    head(
        out,
        &["Period", "Kind", "Within cadence", "Newest successful test"],
    )?;
    for c in &r.cadence {
        row(
            out,
            &[
                c.period.clone(),
                c.kind.to_string(),
                if c.met { "yes".into() } else { "NO".into() },
                c.newest.clone().unwrap_or_else(|| "none".into()),
            ],
        )?;
    }
    Ok(())
}

fn csv(r: &PeriodReport, out: &mut dyn Write) -> std::io::Result<()> {
    let line = |out: &mut dyn Write, cells: &[&str]| -> std::io::Result<()> {
        let f: Vec<String> = cells.iter().map(|c| super::csv::field(c)).collect();
        writeln!(out, "{}", f.join(","))
    };
    line(
        out,
        &[
            "section",
            "framework",
            "id",
            "title",
            "audits",
            "passed",
            "share",
            "first_failure",
            "days_to_fix",
            "failing_at_end",
        ],
    )?;
    for (section, list) in [("requirement", &r.requirements), ("control", &r.controls)] {
        for q in list {
            line(
                out,
                &[
                    section,
                    &q.framework,
                    &q.id,
                    &q.title,
                    &q.audits.to_string(),
                    &q.passed.to_string(),
                    &q.share.map(|s| s.to_string()).unwrap_or_default(),
                    q.first_failure.as_deref().unwrap_or(""),
                    &q.days_to_fix.map(|d| d.to_string()).unwrap_or_default(),
                    if q.failing_at_end { "true" } else { "false" },
                ],
            )?;
        }
    }
    for c in &r.cadence {
        line(
            out,
            &[
                "cadence",
                "",
                c.kind,
                &c.period,
                "",
                "",
                if c.met { "met" } else { "missed" },
                c.newest.as_deref().unwrap_or(""),
                "",
                "",
            ],
        )?;
    }
    for t in &r.tests {
        line(
            out,
            &[
                "test", "", &t.id, t.kind, "", "", t.outcome, &t.started, "", "",
            ],
        )?;
    }
    for e in &r.excluded {
        line(
            out,
            &["excluded", "", &e.bundle, &e.why, "", "", "", "", "", ""],
        )?;
    }
    Ok(())
}
