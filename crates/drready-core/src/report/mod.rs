//! Reports: one module per format, each a pure `render(&Report, &mut dyn Write)`.
//!
//! `Report` bundles what every format needs; `Summary` is the reader-facing digest (scores,
//! components, findings grouped by control, no-evidence items) that the table and Markdown share.
//! Everything is sorted here, so every output is deterministic.

pub mod controls;
pub mod csv;
pub mod gate;
pub mod html;
pub mod json;
pub mod markdown;
pub mod oscal;
pub mod period;
pub mod table;

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::decide::score::Scorecard;
use crate::evaluate::catalog::{Catalog, Severity};
use crate::evaluate::{Evaluation, Status, Verdict};
use crate::util::duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Json,
    Markdown,
    /// The executive scorecard: one self-contained HTML page.
    Html,
    /// OSCAL 1.1 assessment results (JSON), for GRC tools.
    Oscal,
    /// One row per framework requirement, control and resource (compliance CSV).
    Csv,
}

pub struct Report<'a> {
    pub catalog: &'a Catalog,
    pub eval: &'a Evaluation,
    pub scorecard: &'a Scorecard,
    pub settings: &'a crate::decide::settings::Settings,
    /// Resources listed per control in the table and Markdown views (JSON lists all).
    pub max_rows: usize,
    /// Markdown template override.
    pub template: Option<String>,
    /// Colour the table view.
    pub color: bool,
    /// HTML scorecard template override.
    pub html_template: Option<String>,
    /// The previous audit, when `--compare` gives one.
    pub comparison: Option<&'a crate::decide::trend::Comparison>,
    /// The earlier audits of the same evidence folder, oldest first (the brief's trend).
    pub history: &'a [crate::decide::trend::TrendPoint],
}

pub fn render(format: Format, report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => table::render(report, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Html => html::render(report, out),
        Format::Oscal => oscal::render(report, out),
        Format::Csv => csv::render(report, out),
    }
}

/// The most lines of a list (gaps, warnings) the table and Markdown views show; JSON lists all.
pub const MAX_LISTED: usize = 200;

/// One failing or unevidenced entity of a control.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub resource: String,
    pub name: String,
    pub component: String,
    /// Why: the facts that decided the verdict, or the cause of missing evidence.
    pub reason: String,
}

/// A control with the entities it failed on (or lacked evidence for).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub control: String,
    pub title: String,
    pub severity: Severity,
    pub remediation: Option<String>,
    pub count: usize,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentRow {
    pub name: String,
    pub tier: Option<String>,
    pub source: Option<String>,
    pub rto_target: String,
    pub rto_measured: String,
    pub rto_met: Option<bool>,
    pub rpo_target: String,
    pub rpo_now: String,
    pub rpo_now_met: Option<bool>,
    pub rpo_tested: String,
    pub score: Option<f64>,
    pub grade: char,
    pub notes: Vec<String>,
    /// The component's disruption scenarios (`az`, `region`, `data`): targets and the newest test.
    pub scenarios: Vec<ScenarioRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRow {
    pub disruption: &'static str,
    pub rto_target: String,
    pub rto_tested: String,
    pub rto_met: Option<bool>,
    pub rpo_target: String,
    pub rpo_tested: String,
    pub rpo_met: Option<bool>,
    pub tested_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub tool_version: &'static str,
    pub collected_at: String,
    pub evaluated_at: String,
    pub dr_region: Option<String>,
    pub policy_set_sha256: String,
    pub scorecard: Scorecard,
    pub components: Vec<ComponentRow>,
    pub failures: Vec<Group>,
    pub no_evidence: Vec<Group>,
    pub totals: crate::decide::score::Tally,
    pub controls: usize,
    pub gaps: usize,
    /// Every collection gap, one line each (the AWS error code, never an SDK's debug text).
    pub gap_lines: Vec<String>,
    /// Configuration that matched nothing, or is missing.
    pub warnings: Vec<String>,
    /// What was not judged at all: requirements no control evidenced, resource types not
    /// collected, components with no resource.
    pub not_assessed: Vec<String>,
    pub comparison: Option<crate::decide::trend::Comparison>,
    /// Per framework: each requirement's status, its controls and the resources that fail them.
    pub requirements: Vec<FrameworkView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkView {
    pub id: String,
    pub title: String,
    pub score: Option<f64>,
    pub grade: char,
    pub tally: crate::decide::score::RequirementTally,
    pub requirements: Vec<RequirementRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequirementRow {
    pub id: String,
    pub title: String,
    /// In words: met, not met, no evidence, not assessed.
    pub status: &'static str,
    /// `control (status)` for each mapped control.
    pub controls: Vec<String>,
    /// The resources failing (or lacking evidence for) its controls, up to `max_rows` per control.
    pub resources: Vec<String>,
    /// How many (control, resource) pairs fail or lack evidence in all.
    pub count: usize,
    pub note: Option<String>,
}

/// Everything not judged: the evaluation's list, then each requirement no control evidenced.
pub fn not_assessed(report: &Report<'_>) -> Vec<String> {
    let mut out: Vec<String> = report
        .eval
        .not_assessed
        .iter()
        .map(|w| crate::util::text::escape(w).into_owned())
        .collect();
    for f in &report.scorecard.frameworks {
        for r in &f.requirements {
            if let Some(why) = &r.not_assessed {
                out.push(format!("{} {} ({}): {why}", f.title, r.id, r.title));
            }
        }
    }
    out.extend(report.catalog.unloaded.iter().cloned());
    out
}

fn requirement_views(
    report: &Report<'_>,
    failures: &[Group],
    no_evidence: &[Group],
) -> Vec<FrameworkView> {
    use crate::decide::score::RequirementStatus;
    report
        .scorecard
        .frameworks
        .iter()
        .map(|f| FrameworkView {
            id: f.framework.clone(),
            title: f.title.clone(),
            score: f.grade.score,
            grade: f.grade.grade,
            tally: f.requirement_tally,
            requirements: f
                .requirements
                .iter()
                .map(|r| {
                    let mut resources: Vec<String> = Vec::new();
                    let mut count = 0;
                    for c in &r.controls {
                        let groups = match c.status {
                            RequirementStatus::NotMet => failures,
                            RequirementStatus::NoEvidence => no_evidence,
                            _ => continue,
                        };
                        if let Some(g) = groups.iter().find(|g| g.control == c.id) {
                            count += g.count;
                            for i in &g.items {
                                if !resources.contains(&i.name) {
                                    resources.push(i.name.clone());
                                }
                            }
                        }
                    }
                    RequirementRow {
                        id: crate::util::text::escape(&r.id).into_owned(),
                        title: crate::util::text::escape(&r.title).into_owned(),
                        status: r.status.words(),
                        controls: r
                            .controls
                            .iter()
                            .map(|c| format!("{} ({})", c.id, c.status.words()))
                            .collect(),
                        resources,
                        count,
                        note: r.not_assessed.clone(),
                    }
                })
                .collect(),
        })
        .collect()
}

/// A gap as one line: what failed, the error code, where, and the first line of the message.
pub fn gap_line(g: &crate::model::snapshot::Gap) -> String {
    let mut s = format!("{}:{}", g.source, g.operation);
    if let Some(code) = &g.error_code {
        s.push_str(&format!(" ({code})"));
    }
    let place: Vec<&str> = [
        g.account.as_deref(),
        g.region.as_deref(),
        g.resource.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !place.is_empty() {
        s.push_str(&format!(" {}", place.join(" ")));
    }
    match (&g.file, g.line) {
        (Some(f), Some(l)) => s.push_str(&format!(" at {f}:{l}")),
        (Some(f), None) => s.push_str(&format!(" at {f}")),
        _ => {}
    }
    if !g.attributes.is_empty() {
        s.push_str(&format!(" [{}]", g.attributes.join(", ")));
    }
    s.push_str(": ");
    s.push_str(&crate::util::text::one_line(&g.message, 240));
    crate::util::text::escape(&s).into_owned()
}

fn human_opt(s: Option<i64>) -> String {
    s.map_or_else(|| "—".to_string(), duration::human)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The facts of a verdict as one line: `backup_retention_days = 3; rds_min_retention_days (param) = 7`.
pub fn reason(report: &Report<'_>, v: &Verdict) -> String {
    crate::evaluate::explain::reason_of(report.catalog, report.eval, v)
}

fn groups(report: &Report<'_>, status: Status) -> Vec<Group> {
    let eval = report.eval;
    let mut by_control: std::collections::BTreeMap<u16, Vec<Verdict>> =
        std::collections::BTreeMap::new();
    let mut counts: std::collections::BTreeMap<u16, usize> = std::collections::BTreeMap::new();
    for (c, r, s) in eval.statuses() {
        if s == status {
            *counts.entry(c).or_insert(0) += 1;
            let kept = by_control.entry(c).or_default();
            // Keep only the rows shown: the first `max_rows` by resource id.
            if kept.len() < report.max_rows
                || kept.last().is_some_and(|v| {
                    eval.resources[v.resource as usize].id > eval.resources[r as usize].id
                })
            {
                let p = eval
                    .packed
                    .binary_search_by_key(&r, |p| p.resource)
                    .ok()
                    .map(|i| &eval.packed[i]);
                if let Some(v) = p.and_then(|p| p.verdicts().find(|v| v.control == c)) {
                    kept.push(v);
                    kept.sort_by(|a, b| {
                        eval.resources[a.resource as usize]
                            .id
                            .cmp(&eval.resources[b.resource as usize].id)
                    });
                    kept.truncate(report.max_rows);
                }
            }
        }
    }
    let mut out: Vec<Group> = by_control
        .into_iter()
        .map(|(ci, vs)| {
            let c = &report.catalog.controls[ci as usize];
            Group {
                control: c.id.clone(),
                title: c.title.clone(),
                severity: c.severity,
                remediation: c.remediation.clone(),
                count: counts.get(&ci).copied().unwrap_or(0),
                items: vs
                    .iter()
                    .map(|v| {
                        let r = &eval.resources[v.resource as usize];
                        let esc = |t: &str| crate::util::text::escape(t).into_owned();
                        Item {
                            resource: esc(&r.id),
                            name: esc(r.name()),
                            component: esc(&eval.components[r.component as usize].spec.name),
                            reason: crate::util::text::one_line(&reason(report, v), 600),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.control.cmp(&b.control))
    });
    out
}

pub fn summary(report: &Report<'_>) -> Summary {
    let eval = report.eval;
    let components = eval
        .components
        .iter()
        .zip(&report.scorecard.components)
        .map(|(c, s)| {
            let rto_measured = c.last_restore_seconds;
            let headline = c.spec.headline();
            let rpo_target = headline.rpo_seconds.map(|s| s as i64);
            ComponentRow {
                name: crate::util::text::escape(&c.spec.name).into_owned(),
                tier: c.spec.tier.clone(),
                source: c.spec.source.clone(),
                rto_target: human_opt(headline.rto_seconds.map(|s| s as i64)),
                rto_measured: human_opt(rto_measured),
                rto_met: rto_measured
                    .zip(headline.rto_seconds)
                    .map(|(m, t)| m <= t as i64),
                rpo_target: human_opt(rpo_target),
                rpo_now: human_opt(c.rpo_now_seconds),
                rpo_now_met: c.rpo_now_seconds.zip(rpo_target).map(|(m, t)| m <= t),
                rpo_tested: human_opt(c.tested_rpo_seconds),
                score: s.grade.score,
                grade: s.grade.grade,
                scenarios: c
                    .scenarios
                    .iter()
                    .map(|sc| {
                        let met =
                            |m: Option<i64>, t: Option<u64>| m.zip(t).map(|(m, t)| m <= t as i64);
                        ScenarioRow {
                            disruption: sc.disruption.as_str(),
                            rto_target: human_opt(sc.rto_seconds.map(|s| s as i64)),
                            rto_tested: human_opt(sc.tested_rto_seconds),
                            rto_met: met(sc.tested_rto_seconds, sc.rto_seconds),
                            rpo_target: human_opt(sc.rpo_seconds.map(|s| s as i64)),
                            rpo_tested: human_opt(sc.tested_rpo_seconds),
                            rpo_met: met(sc.tested_rpo_seconds, sc.rpo_seconds),
                            tested_by: sc.tested_by.clone(),
                        }
                    })
                    .collect(),
                notes: c
                    .notes
                    .iter()
                    .map(|n| crate::util::text::escape(n).into_owned())
                    .collect(),
            }
        })
        .collect();
    let failures = groups(report, Status::Fail);
    let no_evidence = groups(report, Status::NoEvidence);
    let requirements = requirement_views(report, &failures, &no_evidence);
    Summary {
        requirements,
        tool_version: crate::VERSION,
        collected_at: rfc3339(eval.collected_at),
        evaluated_at: rfc3339(eval.as_of),
        dr_region: eval.scope.dr_region.clone(),
        policy_set_sha256: report.catalog.hash.clone(),
        scorecard: report.scorecard.clone(),
        components,
        failures,
        no_evidence,
        totals: report.scorecard.overall.tally,
        controls: report.catalog.controls.len(),
        gaps: eval.gaps.len(),
        gap_lines: eval.gaps.iter().map(gap_line).collect(),
        warnings: eval
            .warnings
            .iter()
            .map(|w| crate::util::text::escape(w).into_owned())
            .collect(),
        not_assessed: not_assessed(report),
        comparison: report.comparison.cloned(),
    }
}

pub fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "—".to_string(), |s| format!("{s:.1}"))
}
