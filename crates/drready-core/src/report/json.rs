//! The JSON report: the serialized model, with `schema_version` and the settings used. Every verdict
//! is listed with the facts that decided it; it is written as it is serialized, not built in memory.

use std::io::Write;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::{summary, Report};
use crate::evaluate::entities::{cedar_datetime, Value};
use crate::evaluate::Status;

/// Version of the JSON report format.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

pub struct FactValue<'a>(pub &'a Value);

impl Serialize for FactValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Long(n) => s.serialize_i64(*n),
            Value::Str(v) => s.serialize_str(v),
            Value::Datetime(t) => s.serialize_str(&cedar_datetime(*t)),
            Value::Duration(secs) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("seconds", secs)?;
                m.end()
            }
            Value::Set(items) => items.serialize(s),
            Value::Component(i) => s.serialize_u32(*i),
        }
    }
}

struct OneVerdict<'a, 'r>(&'a Report<'r>, &'a crate::evaluate::Verdict);

impl Serialize for OneVerdict<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (report, v) = (self.0, self.1);
        let r = &report.eval.resources[v.resource as usize];
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("control", &report.catalog.controls[v.control as usize].id)?;
        m.serialize_entry("resource", &*r.id)?;
        m.serialize_entry("resource_type", r.entity_type)?;
        m.serialize_entry(
            "component",
            &report.eval.components[r.component as usize].spec.name,
        )?;
        m.serialize_entry("status", v.status.as_str())?;
        if v.status != Status::NotApplicable {
            m.serialize_entry("facts", &Facts(report, v))?;
        }
        if let Some(c) = &v.cause {
            m.serialize_entry("cause", &**c)?;
        }
        m.end()
    }
}

struct Facts<'a, 'r>(&'a Report<'r>, &'a crate::evaluate::Verdict);

impl Serialize for Facts<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (path, value) in self.0.eval.facts(self.0.catalog, self.1) {
            m.serialize_entry(path, &value.map(FactValue))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    score_version: u32,
    collected_at: String,
    evaluated_at: String,
    snapshot_tool_version: &'a str,
    scope: &'a crate::model::snapshot::Scope,
    policy_set_sha256: &'a str,
    settings: &'a crate::decide::settings::Settings,
    scorecard: &'a crate::decide::score::Scorecard,
    components: Vec<ComponentOut<'a>>,
    controls: &'a [crate::evaluate::catalog::Control],
    gaps: &'a [crate::model::snapshot::Gap],
    warnings: &'a [String],
    not_assessed: Vec<String>,
    frameworks_sha256: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<&'a crate::decide::trend::Comparison>,
}

#[derive(Serialize)]
struct ComponentOut<'a> {
    #[serde(flatten)]
    view: &'a crate::evaluate::ComponentView,
    score: Option<f64>,
    grade: char,
}

/// A serialization error as an I/O error that keeps its kind, so a closed pipe is still one.
pub fn io_error(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::new(kind, e),
        None => std::io::Error::other(e),
    }
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let s = summary(report);
    let eval = report.eval;
    let doc = Document {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: "drready",
        tool_version: crate::VERSION,
        score_version: report.scorecard.score_version,
        collected_at: s.collected_at,
        evaluated_at: s.evaluated_at,
        snapshot_tool_version: &eval.snapshot_tool_version,
        scope: &eval.scope,
        policy_set_sha256: &report.catalog.hash,
        settings: report.settings,
        scorecard: report.scorecard,
        components: eval
            .components
            .iter()
            .zip(&report.scorecard.components)
            .map(|(view, sc)| ComponentOut {
                view,
                score: sc.grade.score,
                grade: sc.grade.grade,
            })
            .collect(),
        controls: &report.catalog.controls,
        gaps: &eval.gaps,
        warnings: &eval.warnings,
        not_assessed: s.not_assessed,
        frameworks_sha256: &report.catalog.frameworks_hash,
        comparison: report.comparison,
    };
    // The document is pretty-printed, except its verdicts: one compact verdict a line, so that a
    // report of a million verdicts stays small and diffs line by line.
    let head = serde_json::to_string_pretty(&doc).map_err(io_error)?;
    let head = head
        .trim_end()
        .strip_suffix('}')
        .unwrap_or(&head)
        .trim_end();
    let mut buf = std::io::BufWriter::with_capacity(1 << 16, out);
    buf.write_all(head.as_bytes())?;
    buf.write_all(b",\n  \"verdicts\": [")?;
    let mut first = true;
    for v in report.eval.verdicts() {
        buf.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut buf, &OneVerdict(report, &v)).map_err(io_error)?;
    }
    buf.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
    buf.flush()
}
