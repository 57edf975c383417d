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
    /// `4/16`: requirements met of those the framework file lists.
    requirements: String,
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
    /// The first failing resource's failure in plain words (the control's `@risk`), else the
    /// control's statement and the resource.
    sentence: String,
    /// How many other resources fail the same control.
    more: usize,
    /// The owners of the failing resources' components (config `owner`), or "no owner".
    owner: String,
    /// The evaluation date plus the severity's due period (`[brief.due]`).
    due: String,
    next_step: Option<String>,
}

#[derive(Serialize)]
struct Point {
    label: String,
    score: String,
    grade: String,
    /// Bar height, 0 to 40.
    h: String,
    y: String,
    x: String,
    now: bool,
}

/// A remediation action in words.
pub fn next_step(action: &str) -> String {
    let known = match action {
        "backup-now" | "snapshot-now" | "velero-backup-now" | "snapshot-cluster" => {
            "take a backup now, then find why the schedule lapsed"
        }
        "restore-test" => "run a timed restore test",
        "enable-multi-az" => "turn on Multi-AZ",
        "enable-backups" => "turn on automated backups",
        "raise-retention" => "keep backups longer",
        "add-replication" | "add-cross-region-copy" | "add-copy-action" => {
            "copy backups to the DR region"
        }
        "enable-object-lock" | "lock-vault" => "lock the backups against deletion",
        "fix-lifecycle" => "fix the bucket's lifecycle rules",
        "review-document" => "review the document and set its next review date",
        "correct-claim" => "correct the document's claim, or meet it",
        "fix-and-retest" => "fix what the test found, then test again",
        "schedule-test" => "schedule the overdue DR test",
        "scope-policy" => "narrow the IAM policy",
        "create-alarm" => "create the alarm, with an action",
        "upgrade-dr-cluster" => "upgrade the DR cluster to the primary's version",
        "recreate-encrypted" | "copy-encrypted" => "move the data to encrypted storage",
        "enable-deletion-protection" => "turn on deletion protection",
        "run-access-review" => "review who may delete or restore backups",
        _ => "",
    };
    if known.is_empty() {
        action.replace('-', " ")
    } else {
        known.to_string()
    }
}

/// The family a control belongs to, by its id.
pub fn family(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "rds" => "RDS and Aurora",
        "s3" => "S3 backup buckets",
        "alarm" | "iam" | "access" => "Monitoring and access",
        "opensearch" => "OpenSearch",
        "eks" => "EKS and Velero",
        "route53" => "Route 53 failover",
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
            requirements: format!("{}/{}", f.requirement_tally.met, f.requirements.len()),
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
    // The top risks: the failing controls of medium severity or more, most severe first, each
    // told by its first failing resource (in resource order, as the reports list them).
    let top: Vec<&super::Group> = s
        .failures
        .iter()
        .filter(|g| g.severity >= Severity::Medium)
        .take(5)
        .collect();
    let wanted: std::collections::HashMap<&str, usize> = top
        .iter()
        .enumerate()
        .map(|(i, g)| (g.control.as_str(), i))
        .collect();
    let mut first: Vec<Option<crate::evaluate::Verdict>> = vec![None; top.len()];
    let mut owners: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); top.len()];
    for v in eval.verdicts() {
        if v.status != Status::Fail {
            continue;
        }
        let Some(&i) = wanted.get(report.catalog.controls[v.control as usize].id.as_str()) else {
            continue;
        };
        let r = &eval.resources[v.resource as usize];
        if let Some(o) = &eval.components[r.component as usize].spec.owner {
            owners[i].insert(o.clone());
        }
        let earlier = first[i]
            .as_ref()
            .is_none_or(|f| eval.resources[f.resource as usize].id > r.id);
        if earlier {
            first[i] = Some(v);
        }
    }
    let risks: Vec<Risk> = top
        .iter()
        .zip(first)
        .zip(owners)
        .map(|((g, v), owners)| {
            let name = g.items.first().map(|i| i.name.clone()).unwrap_or_default();
            let sentence = v
                .as_ref()
                .and_then(|v| crate::evaluate::explain::plain_words(report.catalog, eval, v))
                .unwrap_or_else(|| format!("{}: not so for {name}", g.title));
            let due = eval.as_of
                + chrono::Duration::seconds(
                    report.settings.brief.due.of(g.severity.as_str()) as i64
                );
            Risk {
                severity: g.severity.as_str(),
                sentence,
                more: g.count.saturating_sub(1),
                owner: if owners.is_empty() {
                    "no owner".to_string()
                } else {
                    owners.into_iter().collect::<Vec<_>>().join(", ")
                },
                due: due.format("%Y-%m-%d").to_string(),
                next_step: g.remediation.as_deref().map(next_step),
            }
        })
        .collect();
    // The trend: the earlier audits of the evidence folder, then this one.
    let mut points: Vec<Point> = Vec::new();
    let all: Vec<(String, Option<f64>, Option<char>, bool)> = report
        .history
        .iter()
        .map(|p| {
            (
                p.evaluated_at.get(..10).unwrap_or("").to_string(),
                p.overall,
                p.grade,
                false,
            )
        })
        .chain(std::iter::once((
            s.evaluated_at.get(..10).unwrap_or("").to_string(),
            report.scorecard.overall.score,
            Some(report.scorecard.overall.grade),
            true,
        )))
        .collect();
    let n = all.len();
    for (k, (label, score, grade, now)) in all.into_iter().enumerate() {
        let h = score.unwrap_or(0.0) / 100.0 * 40.0;
        points.push(Point {
            label,
            score: super::score_text(score),
            grade: grade.map(String::from).unwrap_or_else(|| "?".into()),
            h: format!("{h:.1}"),
            y: format!("{:.1}", 44.0 - h),
            x: format!("{}", 6 + k * 200 / n.max(1)),
            now,
        });
    }
    let organization = report
        .settings
        .brief
        .organization
        .clone()
        .unwrap_or_else(|| {
            if eval.scope.accounts.is_empty() {
                "the bundled example".to_string()
            } else {
                format!("AWS account {}", eval.scope.accounts.join(", "))
            }
        });
    // What was not assessed, on one line: the count and the first few.
    let not_assessed = if s.not_assessed.is_empty() {
        String::new()
    } else {
        let heads: Vec<String> = s
            .not_assessed
            .iter()
            .map(|l| l.split(": ").next().unwrap_or(l).trim().to_string())
            .collect();
        let shown = heads.len().min(4);
        format!(
            "{} item(s): {}{}",
            heads.len(),
            heads[..shown].join("; "),
            if heads.len() > shown { "; …" } else { "" }
        )
    };
    let source = report.html_template.as_deref().unwrap_or(BUILTIN_TEMPLATE);
    let ctx = minijinja::context! {
        s => JValue::from_serialize(&s),
        gauges => JValue::from_serialize(&gauges),
        charts => JValue::from_serialize(&charts),
        families => JValue::from_serialize(&families),
        risks => JValue::from_serialize(&risks),
        trend => JValue::from_serialize(report.comparison),
        points => JValue::from_serialize(&points),
        gap_example => s.gap_lines.first().map(|g| crate::util::text::one_line(g, 150)),
        organization => organization,
        not_assessed => not_assessed,
    };
    super::markdown::render_template(TEMPLATE_NAME, source, true, ctx, out)
}
