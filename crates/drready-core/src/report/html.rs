//! The executive scorecard: one self-contained HTML page (inline CSS and SVG, no scripts, no
//! external resources), print-friendly on A4, rendered from `templates/scorecard.html.j2` with
//! minijinja and HTML auto-escaping, so that resource names, tags and document text stay text.

use std::collections::BTreeMap;
use std::io::Write;

use minijinja::Value as JValue;
use serde::Serialize;

use super::{summary, Report};
use crate::evaluate::catalog::Severity;
use crate::evaluate::Status;

pub const TEMPLATE_NAME: &str = "scorecard.html.j2";
pub const BUILTIN_TEMPLATE: &str = include_str!("../../../../templates/scorecard.html.j2");

#[derive(Serialize)]
struct Gauge {
    title: String,
    grade: char,
    score_text: String,
    dash: String,
    color: &'static str,
    delta: Option<f64>,
}

#[derive(Serialize)]
struct Chart {
    name: String,
    rto_target: String,
    rto_measured: String,
    rpo_target: String,
    rpo_now: String,
    rto_target_w: String,
    rto_measured_w: String,
    rpo_target_w: String,
    rpo_now_w: String,
    rto_color: &'static str,
    rpo_color: &'static str,
    /// The component's disruption scenarios, one line each under its name.
    scenarios: Vec<super::ScenarioRow>,
}

#[derive(Serialize, Default)]
struct Family {
    name: &'static str,
    pass: usize,
    fail: usize,
    no_evidence: usize,
    pass_pct: String,
    fail_pct: String,
    none_pct: String,
}

#[derive(Serialize)]
struct Risk {
    severity: &'static str,
    title: String,
    count: usize,
    resources: String,
    reason: String,
    remediation: Option<String>,
}

/// The family a control belongs to, by its id.
pub fn family(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "rds" => "RDS and Aurora",
        "s3" => "S3 backup buckets",
        "alarm" | "iam" => "Monitoring and access",
        "plan" => "Terraform plans",
        "backup" if id == "backup-verification-recent" => "DR tests and documents",
        "backup" | "restore" => "AWS Backup",
        _ => "DR tests and documents",
    }
}

fn color(grade: char) -> &'static str {
    match grade {
        'A' | 'B' => "#1f8a4c",
        'C' => "#c98a00",
        _ => "#c23b30",
    }
}

fn width(value: Option<i64>, scale: f64) -> String {
    match value {
        Some(v) if scale > 0.0 => format!("{:.1}", (v as f64 / scale * 200.0).clamp(0.0, 200.0)),
        _ => "0".into(),
    }
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let s = summary(report);
    let eval = report.eval;
    let deltas: BTreeMap<String, f64> = report
        .comparison
        .map(|c| {
            c.framework_deltas
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect()
        })
        .unwrap_or_default();
    let gauges: Vec<Gauge> = report
        .scorecard
        .frameworks
        .iter()
        .map(|f| Gauge {
            title: f.title.clone(),
            grade: f.grade.grade,
            score_text: super::score_text(f.grade.score),
            dash: format!("{:.1}", f.grade.score.unwrap_or(0.0) / 100.0 * 125.66),
            color: color(f.grade.grade),
            delta: deltas.get(&f.title).copied(),
        })
        .collect();
    let charts: Vec<Chart> = eval
        .components
        .iter()
        .zip(&s.components)
        .map(|(c, row)| {
            let headline = c.spec.headline();
            let rto_t = headline.rto_seconds.map(|v| v as i64);
            let rpo_t = headline.rpo_seconds.map(|v| v as i64);
            let rto_scale = rto_t.max(c.last_restore_seconds).unwrap_or(0) as f64 * 1.1;
            let rpo_scale = rpo_t.max(c.rpo_now_seconds).unwrap_or(0) as f64 * 1.1;
            let shade = |met: Option<bool>| match met {
                Some(true) => "#1f8a4c",
                Some(false) => "#c23b30",
                None => "#7d8896",
            };
            Chart {
                name: row.name.clone(),
                rto_target: row.rto_target.clone(),
                rto_measured: row.rto_measured.clone(),
                rpo_target: row.rpo_target.clone(),
                rpo_now: row.rpo_now.clone(),
                rto_target_w: width(rto_t, rto_scale),
                rto_measured_w: width(c.last_restore_seconds, rto_scale),
                rpo_target_w: width(rpo_t, rpo_scale),
                rpo_now_w: width(c.rpo_now_seconds, rpo_scale),
                rto_color: shade(row.rto_met),
                rpo_color: shade(row.rpo_now_met),
                scenarios: row.scenarios.clone(),
            }
        })
        .collect();
    let mut families: BTreeMap<&'static str, Family> = BTreeMap::new();
    for (c, _, st) in eval.statuses() {
        let id = &report.catalog.controls[c as usize].id;
        let f = families.entry(family(id)).or_insert_with(|| Family {
            name: family(id),
            ..Family::default()
        });
        match st {
            Status::Pass => f.pass += 1,
            Status::Fail => f.fail += 1,
            Status::NoEvidence => f.no_evidence += 1,
            Status::NotApplicable => {}
        }
    }
    let families: Vec<Family> = families
        .into_values()
        .map(|mut f| {
            let total = (f.pass + f.fail + f.no_evidence).max(1) as f64;
            f.pass_pct = format!("{:.1}", f.pass as f64 * 100.0 / total);
            f.fail_pct = format!("{:.1}", f.fail as f64 * 100.0 / total);
            f.none_pct = format!("{:.1}", f.no_evidence as f64 * 100.0 / total);
            f
        })
        .collect();
    let risks: Vec<Risk> = s
        .failures
        .iter()
        .filter(|g| g.severity >= Severity::Medium)
        .take(6)
        .map(|g| {
            let mut names: Vec<&str> = g.items.iter().map(|i| i.name.as_str()).take(4).collect();
            let more = g.count.saturating_sub(names.len());
            let more_text = format!("and {more} more");
            if more > 0 {
                names.push(&more_text);
            }
            Risk {
                severity: g.severity.as_str(),
                title: g.title.clone(),
                count: g.count,
                resources: names.join(", "),
                reason: g
                    .items
                    .first()
                    .map(|i| i.reason.clone())
                    .unwrap_or_default(),
                remediation: g.remediation.clone(),
            }
        })
        .collect();
    let source = report.html_template.as_deref().unwrap_or(BUILTIN_TEMPLATE);
    let ctx = minijinja::context! {
        s => JValue::from_serialize(&s),
        gauges => JValue::from_serialize(&gauges),
        charts => JValue::from_serialize(&charts),
        families => JValue::from_serialize(&families),
        risks => JValue::from_serialize(&risks),
        trend => JValue::from_serialize(report.comparison),
    };
    super::markdown::render_template(TEMPLATE_NAME, source, true, ctx, out)
}
