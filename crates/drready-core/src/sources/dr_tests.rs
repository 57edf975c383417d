//! DR test history: files found by globs, each holding one test (a JSON object), several (a JSON
//! array), or one per line (JSON Lines: `.jsonl`, `.ndjson`). The format is `DrTest`
//! (`drready schema dr-test`). A malformed record is an input error located at file, line and
//! column: a test history that cannot be read must not silently shrink.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::disk::Files;
use crate::model::snapshot::{DrTest, Gap, Provenance};
use crate::util::error::json_error;
use crate::util::error::InputError;

/// The DR programme entity, which holds the facts drawn from the whole test history.
pub const PROGRAM: &str = "dr-program";

/// The programme's facts that come from the DR test history: unknown when a history glob matched
/// no file.
pub const HISTORY_FACTS: &[&str] = &[
    "last_component_test",
    "last_integration_test",
    "last_full_test",
    "last_drill",
    "last_backup_verification",
    "last_access_review",
    "last_exec_review",
];

/// Expand the globs (relative to `base`) into files, sorted. A glob that matches nothing is a gap.
pub fn find(
    globs: &[String],
    base: &Path,
    files: &dyn Files,
) -> Result<(Vec<PathBuf>, Vec<Gap>), InputError> {
    let mut found_all = Vec::new();
    let mut gaps = Vec::new();
    for g in globs {
        let text = base.join(g).to_string_lossy().into_owned();
        let found = files
            .glob(&text)
            .map_err(|e| InputError::plain(Path::new(&text), format!("not a valid glob: {e}")))?;
        if found.is_empty() {
            // The tests that file would hold are unknown: every fact drawn from the history is.
            gaps.push(Gap {
                source: "dr_tests".into(),
                operation: "glob".into(),
                resource: Some(PROGRAM.into()),
                resource_type: Some("program".into()),
                attributes: HISTORY_FACTS.iter().map(|a| (*a).to_string()).collect(),
                message: format!("no DR test history file matches `{g}`"),
                file: Some(text),
                ..Gap::default()
            });
        }
        found_all.extend(found);
    }
    found_all.sort();
    found_all.dedup();
    Ok((found_all, gaps))
}

/// Parse one history file's text.
pub fn parse(text: &str, path: &Path) -> Result<Vec<DrTest>, InputError> {
    let label = path.display().to_string();
    let jsonl = path
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    let mut tests = Vec::new();
    if jsonl {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut t: DrTest = serde_json::from_str(line).map_err(|e| {
                let mut err = json_error(path, &e);
                err.line = i + 1;
                err
            })?;
            t.provenance = Some(Provenance {
                source: label.clone(),
                line: Some(i as u32 + 1),
                at: None,
            });
            tests.push(disruption_of(t));
        }
        return Ok(tests);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(path, &e))?;
    let many = value.is_array();
    // Parse again from the text, so that errors keep their line and column.
    let parsed: Vec<DrTest> = if many {
        serde_json::from_str(text).map_err(|e| json_error(path, &e))?
    } else {
        vec![serde_json::from_str(text).map_err(|e| json_error(path, &e))?]
    };
    for mut t in parsed {
        t.provenance = Some(Provenance {
            source: label.clone(),
            line: None,
            at: None,
        });
        tests.push(disruption_of(t));
    }
    Ok(tests)
}

/// A test of "PostgreSQL (Multi-AZ)" is a test of the component "PostgreSQL" in the `az`
/// scenario, as the DR documents' recovery-targets rows are read.
fn disruption_of(mut t: DrTest) -> DrTest {
    if let Some(name) = &t.component {
        if let (base, Some(d)) = super::docs::split_disruption(name) {
            t.component = Some(base);
            t.disruption.get_or_insert(d);
        }
    }
    t
}

/// Read every file; test ids must be unique across them.
pub fn load(paths: &[PathBuf], files: &dyn Files) -> Result<Vec<DrTest>, InputError> {
    let mut all = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for p in paths {
        let bytes = files.read(p).map_err(|e| InputError::io(p, &e))?;
        let text = String::from_utf8(bytes).map_err(|_| InputError::plain(p, "not valid UTF-8"))?;
        for t in parse(&text, p)? {
            let at = t
                .provenance
                .as_ref()
                .map_or(p.display().to_string(), |pr| match pr.line {
                    Some(l) => format!("{}:{l}", pr.source),
                    None => pr.source.clone(),
                });
            if let Some(first) = seen.insert(t.id.clone(), at.clone()) {
                return Err(InputError::plain(
                    p,
                    format!("DR test id `{}` appears twice ({first} and {at})", t.id),
                ));
            }
            all.push(t);
        }
    }
    Ok(all)
}

/// Append DR tests to a JSON Lines history file (created when missing).
pub fn record(path: &std::path::Path, tests: &[DrTest]) -> std::io::Result<()> {
    if tests.is_empty() {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut text = String::new();
    for t in tests {
        text.push_str(&serde_json::to_string(t).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    std::io::Write::write_all(&mut f, text.as_bytes())
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_errors_name_the_line() {
        let text = "{\"id\":\"a\",\"kind\":\"full\",\"started\":\"2026-01-01T00:00:00Z\",\"outcome\":\"success\"}\n\n{\"id\":\"b\",\"kind\":\"full\",\"started\":\"2026-01-01T00:00:00Z\"}\n";
        let err = parse(text, Path::new("h.jsonl")).unwrap_err().to_string();
        assert!(err.starts_with("h.jsonl:3:"), "{err}");
        assert!(err.contains("missing field `outcome`"), "{err}");
    }

    #[test]
    fn wrong_types_are_located_in_json_files() {
        let text = "[\n {\"id\": \"a\", \"kind\": \"full\", \"started\": \"2026-01-01T00:00:00Z\",\n  \"outcome\": \"success\", \"measured_rto_seconds\": \"fast\"}\n]";
        let err = parse(text, Path::new("t.json")).unwrap_err().to_string();
        assert!(err.starts_with("t.json:3:"), "{err}");
        let ok = parse("{\"id\":\"a\",\"kind\":\"drill\",\"started\":\"2026-01-01T00:00:00Z\",\"outcome\":\"success\"}", Path::new("one.json")).unwrap();
        assert_eq!(ok.len(), 1);
    }
}
