//! The trend: this audit against a previous one (its JSON report, as `evidence::previous` reads it):
//! score deltas, and the failing findings that are new, fixed or still failing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::decide::score::Scorecard;
use crate::evaluate::catalog::Catalog;
use crate::evaluate::{Evaluation, Status};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingRef {
    pub control: String,
    pub resource: String,
}

/// One earlier audit of an evidence folder: when, and its scores.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// The bundle's name.
    pub bundle: String,
    /// Its evaluation time, RFC 3339.
    pub evaluated_at: String,
    pub overall: Option<f64>,
    pub grade: Option<char>,
    /// Framework title → score.
    pub frameworks: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub previous: String,
    pub previous_evaluated_at: String,
    pub overall_delta: f64,
    /// Framework title → score now minus score then.
    pub framework_deltas: BTreeMap<String, f64>,
    pub new: Vec<FindingRef>,
    pub fixed: Vec<FindingRef>,
    pub still: Vec<FindingRef>,
}

pub fn compare(
    previous: &serde_json::Value,
    name: &str,
    catalog: &Catalog,
    eval: &Evaluation,
    scorecard: &Scorecard,
) -> Comparison {
    let score_of = |v: &serde_json::Value| v.get("score").and_then(serde_json::Value::as_f64);
    let prev_overall = previous.pointer("/scorecard/overall").and_then(score_of);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    let overall_delta = round(scorecard.overall.score.unwrap_or(0.0) - prev_overall.unwrap_or(0.0));
    let mut framework_deltas = BTreeMap::new();
    if let Some(frameworks) = previous
        .pointer("/scorecard/frameworks")
        .and_then(|f| f.as_array())
    {
        for f in &scorecard.frameworks {
            let then = frameworks
                .iter()
                .find(|p| p.get("title").and_then(|t| t.as_str()) == Some(f.title.as_str()))
                .and_then(score_of);
            if let (Some(now), Some(then)) = (f.grade.score, then) {
                framework_deltas.insert(f.title.to_string(), round(now - then));
            }
        }
    }
    let before: BTreeSet<FindingRef> = previous["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["status"] == "fail")
        .filter_map(|v| {
            Some(FindingRef {
                control: v["control"].as_str()?.to_string(),
                resource: v["resource"].as_str()?.to_string(),
            })
        })
        .collect();
    let now: BTreeSet<FindingRef> = eval
        .statuses()
        .filter(|(_, _, s)| *s == Status::Fail)
        .map(|(c, r, _)| FindingRef {
            control: catalog.controls[c as usize].id.clone(),
            resource: eval.resources[r as usize].id.to_string(),
        })
        .collect();
    Comparison {
        previous: name.to_string(),
        previous_evaluated_at: previous["evaluated_at"].as_str().unwrap_or("").to_string(),
        overall_delta,
        framework_deltas,
        new: now.difference(&before).cloned().collect(),
        fixed: before.difference(&now).cloned().collect(),
        still: now.intersection(&before).cloned().collect(),
    }
}
