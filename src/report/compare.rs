//! The trend: this audit against a previous one (a bundle, its archive, or a JSON report): score
//! deltas, and the failing findings that are new, fixed or still failing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::decide::score::Scorecard;
use crate::evaluate::catalog::Catalog;
use crate::evaluate::{Evaluation, Status};
use crate::util::error::InputError;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingRef {
    pub control: String,
    pub resource: String,
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

/// Read a previous JSON report: a `.json` report, a bundle folder, or a bundle `.tar.gz`.
pub fn load_previous(path: &Path) -> Result<serde_json::Value, InputError> {
    // An archive is unpacked into a temporary folder removed on every path; errors name the
    // archive (`ARCHIVE!verdicts.json`), not the temporary folder.
    let (file, label, _tmp) = if path.is_dir() {
        (path.join("verdicts.json"), path.join("verdicts.json"), None)
    } else if path.to_string_lossy().ends_with(".tar.gz") {
        let tmp = crate::util::files::TempDir::new("drready-compare")
            .map_err(|e| InputError::plain(path, format!("no temporary folder: {e}")))?;
        let bundle = crate::evidence::unpack(path, tmp.path())?;
        let label = std::path::PathBuf::from(format!("{}!verdicts.json", path.display()));
        (bundle.join("verdicts.json"), label, Some(tmp))
    } else {
        (path.to_path_buf(), path.to_path_buf(), None)
    };
    let text = crate::util::files::read_bounded(&file, crate::util::files::MAX_REPORT_BYTES)
        .map_err(|e| InputError::io(&label, &e))
        .and_then(|b| {
            String::from_utf8(b).map_err(|_| InputError::plain(&label, "not valid UTF-8"))
        })?;
    let file = label;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| crate::sources::load::json_error(&file, &e))?;
    if value.get("tool").and_then(|t| t.as_str()) != Some("drready")
        || value.get("verdicts").is_none()
    {
        return Err(InputError::plain(
            &file,
            "not a drready JSON report (`--format json`) or evidence bundle",
        ));
    }
    Ok(value)
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
                .find(|p| p.get("title").and_then(|t| t.as_str()) == Some(f.title))
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
