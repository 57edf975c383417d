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
