//! Previous audits: the JSON report of an earlier audit, from a report file, a bundle folder or a
//! bundle archive, for the trend.

use std::path::Path;

use crate::util::error::InputError;

/// Read a previous JSON report: a `.json` report, a bundle folder, or a bundle `.tar.gz`.
pub fn load_previous(path: &Path) -> Result<serde_json::Value, InputError> {
    // An archive is unpacked into a temporary folder removed on every path; errors name the
    // archive (`ARCHIVE!verdicts.json`), not the temporary folder.
    let (file, label, _tmp) = if path.is_dir() {
        (path.join("verdicts.json"), path.join("verdicts.json"), None)
    } else if path.to_string_lossy().ends_with(".tar.gz") {
        let tmp = crate::util::files::TempDir::new("drready-compare")
            .map_err(|e| InputError::plain(path, format!("no temporary folder: {e}")))?;
        let bundle = super::unpack(path, tmp.path())?;
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
        serde_json::from_str(&text).map_err(|e| crate::util::error::json_error(&file, &e))?;
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

/// The last `limit` audits of an evidence folder (its bundles, oldest first) as their scorecards
/// record them, for the brief's trend. They are read, not verified (`verify --chain` does that);
/// a bundle whose scorecard cannot be read is a point without a score, never left out.
pub fn history(dir: &Path, limit: usize) -> Vec<crate::decide::trend::TrendPoint> {
    let Ok(bundles) = super::bundles_in(dir) else {
        return Vec::new();
    };
    let skip = bundles.len().saturating_sub(limit);
    bundles
        .into_iter()
        .skip(skip)
        .map(|b| {
            let name = b
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let evaluated_at = super::read_manifest(&b)
                .map(|m| m.evaluated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            let card: Option<serde_json::Value> = crate::util::files::read_bounded(
                &b.join("scorecard.json"),
                crate::util::files::MAX_REPORT_BYTES,
            )
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
            let overall = card
                .as_ref()
                .and_then(|c| c.pointer("/overall/score"))
                .and_then(serde_json::Value::as_f64);
            let grade = card
                .as_ref()
                .and_then(|c| c.pointer("/overall/grade"))
                .and_then(serde_json::Value::as_str)
                .and_then(|g| g.chars().next());
            let frameworks = card
                .as_ref()
                .and_then(|c| c.get("frameworks"))
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|f| {
                    Some((
                        f.get("title")?.as_str()?.to_string(),
                        f.get("score")?.as_f64()?,
                    ))
                })
                .collect();
            crate::decide::trend::TrendPoint {
                bundle: name,
                evaluated_at,
                overall,
                grade,
                frameworks,
            }
        })
        .collect()
}
