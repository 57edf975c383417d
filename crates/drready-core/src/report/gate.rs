//! The gate's outputs: a table, JSON, a Markdown summary for pull-request comments, SARIF 2.1.0 for
//! code-scanning tools and JUnit XML for CI test views. They render `GateOutcome`; none decides.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{presets, ContentArrangement, Table};
use serde_json::json;

use crate::decide::gate::{Decision, FindingStatus, GateOutcome};
use crate::evaluate::catalog::{Catalog, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GateFormat {
    Table,
    Json,
    Markdown,
    Sarif,
    Junit,
}

pub struct GateReport<'a> {
    pub catalog: &'a Catalog,
    pub outcome: &'a GateOutcome,
    /// The plan file as given.
    pub plan: &'a str,
    pub format_version: &'a str,
    pub terraform_version: &'a str,
    pub actions: &'a BTreeMap<String, usize>,
    /// What values known only after apply count as: `no_evidence`, `pass` or `fail`.
    pub unknown: &'a str,
    /// The exit code the CLI gives the outcome, recorded in the JSON report.
    pub exit_code: i32,
}

pub fn render(format: GateFormat, r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        GateFormat::Table => table(r, out),
        GateFormat::Json => {
            let doc = json!({
                "schema_version": 1,
                "tool": "drready",
                "tool_version": crate::VERSION,
                "plan": r.plan,
                "plan_format_version": r.format_version,
                "terraform_version": r.terraform_version,
                "actions": r.actions,
                "unknown": r.unknown,
                "policy_set_sha256": r.catalog.hash,
                "outcome": outcome_json(r)?,
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?
            )
        }
        GateFormat::Markdown => markdown(r, out),
        GateFormat::Sarif => sarif(r, out),
        GateFormat::Junit => junit(r, out),
    }
}

/// The outcome as JSON, its exit code last (where the field stood when the outcome carried it).
fn outcome_json(r: &GateReport<'_>) -> std::io::Result<serde_json::Value> {
    let mut v = serde_json::to_value(r.outcome).map_err(std::io::Error::other)?;
    if let Some(map) = v.as_object_mut() {
        map.insert("exit_code".into(), json!(r.exit_code));
    }
    Ok(v)
}

fn verdict_line(o: &GateOutcome) -> String {
    if o.decision == Decision::Pass {
        format!(
            "PASSED: no failing control at or above `{}`",
            o.fail_on.as_str()
        )
    } else {
        format!(
            "FAILED: {} finding(s) at or above `{}`",
            o.blocking,
            o.fail_on.as_str()
        )
    }
}

fn table(r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let o = r.outcome;
    let changes: Vec<String> = r.actions.iter().map(|(a, n)| format!("{n} {a}")).collect();
    writeln!(
        out,
        "drready gate — {} (Terraform {}, plan format {})",
        r.plan, r.terraform_version, r.format_version
    )?;
    writeln!(out, "changes: {}", changes.join(", "))?;
    if o.findings.is_empty() {
        writeln!(out, "no findings")?;
    } else {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(150)
            .force_no_tty();
        t.set_header(["Status", "Severity", "Control", "Resource", "Why"]);
        for f in &o.findings {
            let why = match &f.waiver {
                Some(w) => format!(
                    "{} — waiver by {} until {}: {}",
                    f.reason, w.owner, w.expires, w.justification
                ),
                None => f.reason.clone(),
            };
            // Addresses and reasons come from the plan: control characters are shown, not sent.
            t.add_row(vec![
                f.status.as_str().to_string(),
                f.severity.as_str().to_string(),
                f.control.clone(),
                crate::util::text::escape(&f.resource).into_owned(),
                crate::util::text::escape(&why).into_owned(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    writeln!(
        out,
        "{} pass, {} not applicable (need live evidence or do not apply)",
        o.passed, o.not_applicable
    )?;
    writeln!(out, "{}", verdict_line(o))
}

fn md_cell(s: &str) -> String {
    crate::report::markdown::cell(s)
}

fn markdown(r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let o = r.outcome;
    let icon = if o.decision == Decision::Pass {
        "✅"
    } else {
        "❌"
    };
    writeln!(out, "### {icon} drready DR gate: {}\n", verdict_line(o))?;
    let changes: Vec<String> = r.actions.iter().map(|(a, n)| format!("{n} {a}")).collect();
    writeln!(
        out,
        "Plan `{}` (Terraform {}): {}.\n",
        md_cell(r.plan),
        md_cell(r.terraform_version),
        changes.join(", ")
    )?;
    let mut by_status: BTreeMap<FindingStatus, usize> = BTreeMap::new();
    for f in &o.findings {
        *by_status.entry(f.status).or_insert(0) += 1;
    }
    let counts: Vec<String> = by_status
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    writeln!(
        out,
        "{} pass · {} · {} not applicable\n",
        o.passed,
        if counts.is_empty() {
            "no findings".to_string()
        } else {
            counts.join(" · ")
        },
        o.not_applicable
    )?;
    if !o.findings.is_empty() {
        writeln!(out, "| | Severity | Control | Resource | Why |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for f in &o.findings {
            let mark = match f.status {
                FindingStatus::Fail | FindingStatus::WaiverExpired if f.severity >= o.fail_on => {
                    "❌"
                }
                FindingStatus::Fail | FindingStatus::WaiverExpired => "⚠️",
                FindingStatus::NoEvidence => "❔",
                FindingStatus::Baselined | FindingStatus::Waived => "➖",
            };
            let mut why = md_cell(&f.reason);
            if let Some(w) = &f.waiver {
                why.push_str(&format!(
                    " — {} waiver by {} until {}: {}",
                    f.status.as_str(),
                    md_cell(&w.owner),
                    w.expires,
                    md_cell(&w.justification)
                ));
            }
            writeln!(
                out,
                "| {mark} {} | {} | `{}` | `{}` | {why} |",
                f.status.as_str(),
                f.severity.as_str(),
                f.control,
                md_cell(&f.resource)
            )?;
        }
    }
    Ok(())
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "7.5",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

fn sarif(r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<serde_json::Value> = r
        .catalog
        .controls
        .iter()
        .map(|c| {
            let tags: Vec<String> = c.frameworks.iter().flat_map(|(fw, refs)| refs.iter().map(move |x| format!("{fw}:{x}"))).collect();
            json!({
                "id": c.id,
                "name": c.id,
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.title },
                "help": { "text": format!("{} Remediation: {}.", c.title, c.remediation.as_deref().unwrap_or("see the control")) },
                "defaultConfiguration": { "level": level(c.severity) },
                "properties": { "tags": tags, "security-severity": security_severity(c.severity), "severity": c.severity.as_str() },
            })
        })
        .collect();
    let index: BTreeMap<&str, usize> = r
        .catalog
        .controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let results: Vec<serde_json::Value> = r
        .outcome
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.control,
                "ruleIndex": index.get(f.control.as_str()).copied().unwrap_or(0),
                "level": if f.status == FindingStatus::NoEvidence { "note" } else { level(f.severity) },
                "kind": if f.status == FindingStatus::NoEvidence { "review" } else { "fail" },
                "message": { "text": format!("{} ({}): {}", f.title, f.status.as_str(), f.reason) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": r.plan } },
                    "logicalLocations": [{ "fullyQualifiedName": f.resource, "kind": "resource" }],
                }],
                "partialFingerprints": { "drready/v1": format!("{}|{}", f.control, f.resource) },
                "baselineState": if f.status == FindingStatus::Baselined { "unchanged" } else { "new" },
            });
            if let Some(w) = &f.waiver {
                if f.status == FindingStatus::Waived {
                    result["suppressions"] = json!([{ "kind": "external", "status": "accepted", "justification": format!("{} (owner {}, until {})", w.justification, w.owner, w.expires) }]);
                }
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "drready",
                "version": crate::VERSION,
                "rules": rules,
            }},
            "results": results,
            "properties": { "planFormatVersion": r.format_version, "terraformVersion": r.terraform_version, "failOn": r.outcome.fail_on.as_str() },
        }],
    });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?
    )
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// One test suite per control that has findings, one test case per finding; passing controls are
/// counted as one passing case each so that CI views show the whole catalog.
fn junit(r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let o = r.outcome;
    let mut by_control: BTreeMap<&str, Vec<&crate::decide::gate::Finding>> = BTreeMap::new();
    for f in &o.findings {
        by_control.entry(&f.control).or_default().push(f);
    }
    let failures = o
        .findings
        .iter()
        .filter(|f| f.status.blocks() && f.severity >= o.fail_on)
        .count();
    let skipped = o.findings.len() - failures;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="drready gate" tests="{}" failures="{failures}" skipped="{skipped}">"#,
        o.findings.len() + o.passed.min(1)
    )?;
    for (control, findings) in &by_control {
        let fails = findings
            .iter()
            .filter(|f| f.status.blocks() && f.severity >= o.fail_on)
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{fails}" skipped="{}">"#,
            xml(control),
            findings.len(),
            findings.len() - fails
        )?;
        for f in findings {
            writeln!(
                out,
                r#"    <testcase classname="{}" name="{}">"#,
                xml(control),
                xml(&f.resource)
            )?;
            let message = xml(&format!(
                "{} ({}, {}): {}",
                f.title,
                f.severity.as_str(),
                f.status.as_str(),
                f.reason
            ));
            if f.status.blocks() && f.severity >= o.fail_on {
                writeln!(
                    out,
                    r#"      <failure message="{message}" type="{}"/>"#,
                    f.severity.as_str()
                )?;
            } else {
                writeln!(out, r#"      <skipped message="{message}"/>"#)?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if o.passed > 0 {
        writeln!(
            out,
            r#"  <testsuite name="passing" tests="1" failures="0" skipped="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase classname="drready" name="{} passing verdicts"/>"#,
            o.passed
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
