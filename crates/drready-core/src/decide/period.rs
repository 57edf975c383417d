//! Evidence over an audit period (a SOC 2 Type II report covers months, not a day): from the
//! verified bundles of the period, per requirement and control the share of audits that passed,
//! the first failure and the time to fix; the days the period had no audit; every DR test,
//! restore and document review of the period as a population an auditor can sample; and the test
//! cadence checked for every month and quarter, not only against the newest test.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::model::config::Params;
use crate::model::snapshot::{Document, DrTest, DrTestKind, Outcome};

/// One verified audit of the period, as its bundle holds it.
pub struct Audit {
    /// The bundle's name (its folder or archive).
    pub name: String,
    pub evaluated_at: DateTime<Utc>,
    /// The bundle's JSON report (`verdicts.json`): its scorecard and verdicts.
    pub report: serde_json::Value,
    pub dr_tests: Vec<DrTest>,
    pub documents: Vec<Document>,
    pub params: Params,
}

/// A bundle left out of the period, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    pub bundle: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub bundle: String,
    pub evaluated_at: String,
    pub overall: Option<f64>,
}

/// A requirement's or a control's record over the period's audits.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// `soc2` for a requirement; empty for a control.
    pub framework: String,
    pub id: String,
    pub title: String,
    /// Audits that judged it (not assessed ones excluded).
    pub audits: usize,
    pub passed: usize,
    /// passed / audits, 0 to 100; absent when no audit judged it.
    pub share: Option<f64>,
    /// The first audit it failed (or lacked evidence) in.
    pub first_failure: Option<String>,
    /// Days from the first failure to the first later audit it passed in.
    pub days_to_fix: Option<i64>,
    /// It fails in the period's last audit that judged it.
    pub failing_at_end: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestRow {
    pub id: String,
    pub kind: &'static str,
    pub started: String,
    pub outcome: &'static str,
    pub component: Option<String>,
    pub measured_rto_seconds: Option<u64>,
    pub measured_rpo_seconds: Option<u64>,
    /// Where it was recorded (file and line).
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewRow {
    pub document: String,
    pub last_updated: Option<String>,
    pub next_review: Option<String>,
}

/// Whether a kind of test was within its cadence at the end of a month or quarter.
#[derive(Debug, Clone, Serialize)]
pub struct CadenceRow {
    /// `2026-03` or `2026-Q1`.
    pub period: String,
    pub kind: &'static str,
    pub met: bool,
    /// The newest successful test of the kind by the period's end.
    pub newest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodReport {
    pub from: String,
    pub to: String,
    pub audits: Vec<AuditRow>,
    pub excluded: Vec<Excluded>,
    /// Days of the period on which no audit was evaluated.
    pub days_without_audit: i64,
    pub longest_gap_days: i64,
    pub requirements: Vec<Record>,
    pub controls: Vec<Record>,
    pub tests: Vec<TestRow>,
    pub reviews: Vec<ReviewRow>,
    pub cadence: Vec<CadenceRow>,
}

/// A status is a pass for the record: `pass` (a verdict) or `met` (a requirement).
fn passed(status: &str) -> Option<bool> {
    match status {
        "pass" | "met" => Some(true),
        "fail" | "no_evidence" | "not_met" => Some(false),
        _ => None,
    }
}

/// Fold one audit's status into a record.
fn fold(
    r: &mut Record,
    ok: Option<bool>,
    at: &str,
    first_failed: &mut Option<NaiveDate>,
    day: NaiveDate,
) {
    let Some(ok) = ok else {
        return;
    };
    r.audits += 1;
    if ok {
        r.passed += 1;
        if let (Some(f), None) = (*first_failed, r.days_to_fix) {
            r.days_to_fix = Some((day - f).num_days());
        }
    } else if r.first_failure.is_none() {
        r.first_failure = Some(at.to_string());
        *first_failed = Some(day);
    }
    r.failing_at_end = !ok;
}

pub fn judge(
    from: NaiveDate,
    to: NaiveDate,
    audits: &[Audit],
    excluded: Vec<Excluded>,
) -> PeriodReport {
    let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    // Requirements (from each audit's scorecard) and controls (from its verdicts).
    let mut reqs: BTreeMap<(String, String), (Record, Option<NaiveDate>, usize)> = BTreeMap::new();
    let mut controls: BTreeMap<String, (Record, Option<NaiveDate>)> = BTreeMap::new();
    for a in audits {
        let at = stamp(a.evaluated_at);
        let day = a.evaluated_at.date_naive();
        let frameworks = a
            .report
            .pointer("/scorecard/frameworks")
            .and_then(|f| f.as_array());
        for (fw_order, fw) in frameworks.into_iter().flatten().enumerate() {
            let fw_id = fw["framework"].as_str().unwrap_or("").to_string();
            for (req_order, r) in fw["requirements"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let order = fw_order * 10_000 + req_order;
                let id = r["id"].as_str().unwrap_or("").to_string();
                let entry = reqs.entry((fw_id.clone(), id.clone())).or_insert_with(|| {
                    (
                        Record {
                            framework: fw_id.clone(),
                            id: id.clone(),
                            title: r["title"].as_str().unwrap_or("").to_string(),
                            audits: 0,
                            passed: 0,
                            share: None,
                            first_failure: None,
                            days_to_fix: None,
                            failing_at_end: false,
                        },
                        None,
                        order,
                    )
                });
                let (rec, first, _) = entry;
                fold(
                    rec,
                    passed(r["status"].as_str().unwrap_or("")),
                    &at,
                    first,
                    day,
                );
            }
        }
        // A control passes an audit when every verdict it gave there passed.
        let mut per: BTreeMap<&str, Option<bool>> = BTreeMap::new();
        for v in a.report["verdicts"].as_array().into_iter().flatten() {
            let (Some(c), Some(s)) = (v["control"].as_str(), v["status"].as_str()) else {
                continue;
            };
            if let Some(ok) = passed(s) {
                let slot = per.entry(c).or_insert(Some(true));
                *slot = Some(slot.unwrap_or(true) && ok);
            }
        }
        let titles: BTreeMap<&str, &str> = a.report["controls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c["id"].as_str()?, c["title"].as_str()?)))
            .collect();
        for (c, ok) in per {
            let (rec, first) = controls.entry(c.to_string()).or_insert_with(|| {
                (
                    Record {
                        framework: String::new(),
                        id: c.to_string(),
                        title: titles.get(c).copied().unwrap_or("").to_string(),
                        audits: 0,
                        passed: 0,
                        share: None,
                        first_failure: None,
                        days_to_fix: None,
                        failing_at_end: false,
                    },
                    None,
                )
            });
            fold(rec, ok, &at, first, day);
        }
    }
    let share = |r: &mut Record| {
        r.share =
            (r.audits > 0).then(|| (r.passed as f64 * 1000.0 / r.audits as f64).round() / 10.0);
    };
    let mut requirements: Vec<(usize, Record)> = reqs
        .into_values()
        .map(|(mut r, _, order)| {
            share(&mut r);
            (order, r)
        })
        .collect();
    requirements.sort_by_key(|r| r.0);
    let requirements: Vec<Record> = requirements.into_iter().map(|(_, r)| r).collect();
    let controls: Vec<Record> = controls
        .into_values()
        .map(|(mut r, _)| {
            share(&mut r);
            r
        })
        .collect();

    // Days without an audit, and the longest stretch of them.
    let days: BTreeSet<NaiveDate> = audits.iter().map(|a| a.evaluated_at.date_naive()).collect();
    let total = (to - from).num_days() + 1;
    let days_without_audit = total - days.len() as i64;
    let mut longest = 0i64;
    let mut previous = from.pred_opt().unwrap_or(from);
    for d in days
        .iter()
        .chain(std::iter::once(&to.succ_opt().unwrap_or(to)))
    {
        longest = longest.max((*d - previous).num_days() - 1);
        previous = *d;
    }

    // The population: every test of the period (once, however many bundles hold it).
    let mut seen = BTreeSet::new();
    let mut all_tests: Vec<&DrTest> = Vec::new();
    for t in audits.iter().flat_map(|a| &a.dr_tests) {
        if seen.insert(t.id.clone()) {
            all_tests.push(t);
        }
    }
    all_tests.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
    let in_period = |d: NaiveDate| d >= from && d <= to;
    let tests: Vec<TestRow> = all_tests
        .iter()
        .filter(|t| in_period(t.started.date_naive()))
        .map(|t| TestRow {
            id: t.id.clone(),
            kind: t.kind.as_str(),
            started: stamp(t.started),
            outcome: t.outcome.as_str(),
            component: t.component.clone(),
            measured_rto_seconds: t.measured_rto_seconds,
            measured_rpo_seconds: t.measured_rpo_seconds,
            source: t.provenance.as_ref().map(|p| match p.line {
                Some(l) => format!("{}:{l}", p.source),
                None => p.source.clone(),
            }),
        })
        .collect();
    let mut reviews: BTreeMap<String, ReviewRow> = BTreeMap::new();
    for d in audits.iter().flat_map(|a| &a.documents) {
        let date = |n: Option<NaiveDate>| n.map(|d| d.to_string());
        let touched = d.last_updated.is_some_and(in_period) || d.next_review.is_some_and(in_period);
        if touched {
            reviews.insert(
                d.path.clone(),
                ReviewRow {
                    document: d.title.clone().unwrap_or_else(|| d.path.clone()),
                    last_updated: date(d.last_updated),
                    next_review: date(d.next_review),
                },
            );
        }
    }

    // The cadence at the end of every month and quarter of the period, with the latest params.
    let params = audits.last().map(|a| a.params.clone()).unwrap_or_default();
    let kinds = [
        (DrTestKind::Component, params.component_test_cadence.0),
        (DrTestKind::Integration, params.integration_test_cadence.0),
        (DrTestKind::Full, params.full_test_cadence.0),
        (DrTestKind::Drill, params.drill_cadence.0),
    ];
    let mut cadence = Vec::new();
    let mut ends: Vec<(String, NaiveDate)> = Vec::new();
    let mut month = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    while month <= to {
        let next = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(to);
        let end = next.pred_opt().unwrap_or(next).min(to);
        ends.push((month.format("%Y-%m").to_string(), end));
        if month.month().is_multiple_of(3) || end == to {
            let q = (month.month() - 1) / 3 + 1;
            ends.push((format!("{}-Q{q}", month.year()), end));
        }
        month = next;
    }
    ends.dedup_by(|a, b| a.0 == b.0);
    for (label, end) in &ends {
        for (kind, every) in kinds {
            let newest = all_tests
                .iter()
                .filter(|t| {
                    t.kind == kind
                        && t.outcome == Outcome::Success
                        && t.started.date_naive() <= *end
                })
                .map(|t| t.started)
                .max();
            let met = newest.is_some_and(|n| {
                (end.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc() - n).num_seconds()
                    <= every as i64
            });
            cadence.push(CadenceRow {
                period: label.clone(),
                kind: kind.as_str(),
                met,
                newest: newest.map(stamp),
            });
        }
    }
    PeriodReport {
        from: from.to_string(),
        to: to.to_string(),
        audits: audits
            .iter()
            .map(|a| AuditRow {
                bundle: a.name.clone(),
                evaluated_at: stamp(a.evaluated_at),
                overall: a
                    .report
                    .pointer("/scorecard/overall/score")
                    .and_then(serde_json::Value::as_f64),
            })
            .collect(),
        excluded,
        days_without_audit,
        longest_gap_days: longest,
        requirements,
        controls,
        tests,
        reviews: reviews.into_values().collect(),
        cadence,
    }
}
