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
    /// The plan file relative to the repository root (forward slashes), for SARIF.
    pub plan_uri: &'a str,
    /// The line of each resource's entry in the plan's `resource_changes`, by address.
    pub lines: &'a std::collections::HashMap<String, usize>,
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

/// A code span for a table cell: backslashes and emphasis characters are literal inside code
/// spans, so only the pipe (which GitHub's table parser reads first) is escaped, control
/// characters are shown escaped, and a backtick in the text widens the fence.
pub fn md_code(s: &str) -> String {
    let text = crate::util::text::escape(s)
        .replace(['\n', '\r'], " ")
        .replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// GitHub's limit on a comment (and a step summary) is 65,536 characters; the gate's Markdown
/// stops adding rows before it and says how many it left out.
pub const MARKDOWN_MAX_CHARS: usize = 65_536;

fn markdown(r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let o = r.outcome;
    let icon = if o.decision == Decision::Pass {
        "✅"
    } else {
        "❌"
    };
    let mut head = String::new();
    let w = &mut head;
    use std::fmt::Write as _;
    let _ = writeln!(w, "### {icon} drready DR gate: {}\n", verdict_line(o));
    let changes: Vec<String> = r.actions.iter().map(|(a, n)| format!("{n} {a}")).collect();
    let _ = writeln!(
        w,
        "Plan {} (Terraform {}): {}.\n",
        md_code(r.plan),
        md_cell(r.terraform_version),
        changes.join(", ")
    );
    let mut by_status: BTreeMap<FindingStatus, usize> = BTreeMap::new();
    for f in &o.findings {
        *by_status.entry(f.status).or_insert(0) += 1;
    }
    let counts: Vec<String> = by_status
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let _ = writeln!(
        w,
        "{} pass · {} · {} not applicable\n",
        o.passed,
        if counts.is_empty() {
            "no findings".to_string()
        } else {
            counts.join(" · ")
        },
        o.not_applicable
    );
    out.write_all(head.as_bytes())?;
    let mut used = head.chars().count();
    if !o.findings.is_empty() {
        let header = "| | Severity | Control | Resource | Why |\n|---|---|---|---|---|\n";
        out.write_all(header.as_bytes())?;
        used += header.chars().count();
        // Room kept for the closing line that says what was left out.
        let budget = MARKDOWN_MAX_CHARS - 400;
        for (shown, f) in o.findings.iter().enumerate() {
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
            let row = format!(
                "| {mark} {} | {} | {} | {} | {why} |\n",
                f.status.as_str(),
                f.severity.as_str(),
                md_code(&f.control),
                md_code(&f.resource)
            );
            let len = row.chars().count();
            if used + len > budget {
                writeln!(
                    out,
                    "\n… and {} more finding(s) not shown: a pull-request comment holds at most {MARKDOWN_MAX_CHARS} characters (every finding is in `--format json`, `sarif` and `junit`).",
                    o.findings.len() - shown
                )?;
                return Ok(());
            }
            used += len;
            out.write_all(row.as_bytes())?;
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

/// GitHub code scanning accepts at most 25,000 results per run.
pub const SARIF_MAX_RESULTS: usize = 25_000;

/// Where each control is documented.
pub const HELP_URI: &str = "https://drready.dev/docs/controls";

fn sarif(r: &GateReport<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<serde_json::Value> = r
        .catalog
        .controls
        .iter()
        .map(|c| {
            let mut tags: Vec<String> = vec!["drready".into(), "disaster-recovery".into(), c.severity.as_str().into()];
            tags.extend(c.frameworks.iter().flat_map(|(fw, refs)| refs.iter().map(move |x| format!("{fw}:{x}"))));
            json!({
                "id": c.id,
                "name": c.id,
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.title },
                "helpUri": format!("{HELP_URI}#{}", c.id),
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
    // Blocking findings first, so that a cut keeps what fails the build.
    let mut order: Vec<&crate::decide::gate::Finding> = r.outcome.findings.iter().collect();
    order.sort_by_key(|f| {
        (
            !(f.status.blocks() && f.severity >= r.outcome.fail_on),
            std::cmp::Reverse(f.severity),
        )
    });
    let cut = order.len().saturating_sub(SARIF_MAX_RESULTS);
    let results: Vec<serde_json::Value> = order
        .into_iter()
        .take(SARIF_MAX_RESULTS)
        .map(|f| {
            let mut physical = json!({ "artifactLocation": { "uri": r.plan_uri, "uriBaseId": "%SRCROOT%" } });
            // `aws_x.y (delete)` is the change of `aws_x.y`; a resource not in the plan has no line.
            let address = f.resource.split(" (").next().unwrap_or(&f.resource);
            if let Some(line) = r.lines.get(&f.resource).or_else(|| r.lines.get(address)) {
                physical["region"] = json!({ "startLine": line });
            }
            let mut result = json!({
                "ruleId": f.control,
                "ruleIndex": index.get(f.control.as_str()).copied().unwrap_or(0),
                "level": if f.status == FindingStatus::NoEvidence { "note" } else { level(f.severity) },
                "kind": if f.status == FindingStatus::NoEvidence { "review" } else { "fail" },
                "message": { "text": format!("{} ({}): {}", f.title, f.status.as_str(), f.reason) },
                "locations": [{
                    "physicalLocation": physical,
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
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": if cut > 0 {
                    json!([{ "level": "warning", "message": { "text": format!("{cut} of {} results were left out: code scanning accepts at most {SARIF_MAX_RESULTS} per run (the blocking ones are kept first; every finding is in --format json)", r.outcome.findings.len()) } }])
                } else {
                    json!([])
                },
            }],
            "properties": { "planFormatVersion": r.format_version, "terraformVersion": r.terraform_version, "failOn": r.outcome.fail_on.as_str(), "resultsLeftOut": cut },
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
    let failures = o.findings.iter().filter(|f| f.status.blocks()).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="drready gate" tests="{}" failures="{failures}" errors="0">"#,
        o.findings.len() + o.passed.min(1)
    )?;
    for (control, findings) in &by_control {
        let fails = findings.iter().filter(|f| f.status.blocks()).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{fails}" errors="0" skipped="{}">"#,
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
            // A failing control is a failing test, below `--fail-on` too (its type says it does
            // not block); only what was not judged, waived or baselined is skipped. The body
            // holds the facts that decided it.
            let body = xml(&format!(
                "{}\nresource: {}\nseverity: {}\nfacts: {}{}",
                f.title,
                f.resource,
                f.severity.as_str(),
                f.reason,
                f.remediation
                    .as_deref()
                    .map(|r| format!("\nremediation: {r}"))
                    .unwrap_or_default()
            ));
            if f.status.blocks() {
                let kind = if f.severity >= o.fail_on {
                    f.severity.as_str().to_string()
                } else {
                    format!(
                        "{} (below --fail-on {}: does not block)",
                        f.severity.as_str(),
                        o.fail_on.as_str()
                    )
                };
                writeln!(
                    out,
                    r#"      <failure message="{message}" type="{}">{body}</failure>"#,
                    xml(&kind)
                )?;
            } else {
                writeln!(
                    out,
                    r#"      <skipped message="{message}">{body}</skipped>"#
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if o.passed > 0 {
        writeln!(
            out,
            r#"  <testsuite name="passing" tests="1" failures="0" errors="0" skipped="0">"#
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

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;
    use crate::decide::gate::{Decision, Finding, FindingStatus, GateOutcome};

    fn outcome(n: usize) -> GateOutcome {
        let findings = (0..n)
            .map(|i| Finding {
                control: "rds-backup-enabled".into(),
                title: "RDS automated backups are enabled".into(),
                severity: if i == n - 1 {
                    Severity::Critical
                } else {
                    Severity::Low
                },
                remediation: None,
                resource: format!("aws_db_instance.db_{i}"),
                name: format!("db_{i}"),
                status: FindingStatus::Fail,
                reason: "backup_retention_days = 0".into(),
                frameworks: Default::default(),
                waiver: None,
            })
            .collect();
        GateOutcome {
            fail_on: Severity::High,
            findings,
            passed: 0,
            not_applicable: 0,
            resources: n,
            blocking: 1,
            decision: Decision::Findings,
        }
    }

    fn render_to(format: GateFormat, o: &GateOutcome) -> String {
        let catalog = Catalog::load(None).unwrap();
        let lines = std::collections::HashMap::new();
        let actions = BTreeMap::new();
        let r = GateReport {
            catalog: &catalog,
            outcome: o,
            plan: "./plans/../plan.json",
            plan_uri: "plan.json",
            lines: &lines,
            format_version: "1.2",
            terraform_version: "1.9.8",
            actions: &actions,
            unknown: "no_evidence",
            exit_code: 1,
        };
        let mut out = Vec::new();
        render(format, &r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn sarif_keeps_at_most_25000_results_and_says_what_it_cut() {
        let o = outcome(SARIF_MAX_RESULTS + 7);
        let doc: serde_json::Value =
            serde_json::from_str(&render_to(GateFormat::Sarif, &o)).unwrap();
        let run = &doc["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), SARIF_MAX_RESULTS);
        assert_eq!(run["properties"]["resultsLeftOut"], 7);
        let note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap();
        assert!(
            note.starts_with("7 of 25007 results were left out"),
            "{note}"
        );
        // The blocking (critical) finding is kept, though it came last.
        assert_eq!(run["results"][0]["level"], "error");
        for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
            assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
            assert!(!rule["properties"]["tags"].as_array().unwrap().is_empty());
        }
    }

    #[test]
    fn markdown_stays_under_githubs_limit_and_code_spans_are_literal() {
        let md = render_to(GateFormat::Markdown, &outcome(5000));
        assert!(md.chars().count() < MARKDOWN_MAX_CHARS, "{}", md.len());
        assert!(md.contains("more finding(s) not shown"));
        assert!(
            md.contains("| `rds-backup-enabled` | `aws_db_instance.db_0` |"),
            "{}",
            &md[..600]
        );
        assert!(!md.contains("db\\_0"));
        assert_eq!(md_code("a|b"), "`a\\|b`");
        assert_eq!(md_code("x`y"), "`` x`y ``");
    }

    #[test]
    fn a_failure_below_fail_on_is_a_failed_test_with_its_facts() {
        let xml = render_to(GateFormat::Junit, &outcome(2));
        assert!(!xml.contains("<skipped"), "{xml}");
        assert!(
            xml.contains("below --fail-on high: does not block"),
            "{xml}"
        );
        assert!(
            xml.contains("facts: backup_retention_days = 0</failure>"),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuites name="drready gate" tests="2" failures="2" errors="0">"#),
            "{xml}"
        );
    }
}
