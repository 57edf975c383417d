//! OSCAL 1.1 assessment results (JSON), for GRC tools: the judged resources as inventory items,
//! one observation per verdict (with its collection time, facts and subject), and one finding per
//! control (satisfied or not, with the observations that decided it). UUIDs are derived from the
//! content (name-based, SHA-256), so the same audit gives the same document.

use std::io::Write;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Report;
use crate::evaluate::explain::reason_of;
use crate::evaluate::Status;

pub const OSCAL_VERSION: &str = "1.1.2";

/// A name-based UUID (version 5 layout, SHA-256 digest).
pub fn uuid(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::evaluate::catalog::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let eval = report.eval;
    let catalog = report.catalog;
    let seed = format!(
        "{}|{}|{}",
        catalog.hash,
        ts(eval.collected_at),
        ts(eval.as_of)
    );
    let mut items = Vec::new();
    for r in &eval.resources {
        items.push(json!({
            "uuid": uuid(&format!("{seed}|item|{}|{}", r.entity_type, r.id)),
            "description": format!("{} `{}`", r.entity_type, r.name()),
            "props": [
                { "name": "asset-id", "value": &*r.id },
                { "name": "asset-type", "value": r.entity_type },
                { "name": "component", "ns": "urn:drready:oscal", "value": eval.components[r.component as usize].spec.name },
            ],
        }));
    }
    let mut observations = Vec::new();
    let mut by_control: Vec<(Vec<String>, bool)> =
        vec![(Vec::new(), false); catalog.controls.len()];
    for v in eval.verdicts() {
        if v.status == Status::NotApplicable {
            continue;
        }
        let c = &catalog.controls[v.control as usize];
        let r = &eval.resources[v.resource as usize];
        let id = uuid(&format!("{seed}|obs|{}|{}|{}", c.id, r.entity_type, r.id));
        let entry = &mut by_control[v.control as usize];
        entry.1 = true;
        if v.status != Status::Pass {
            entry.0.push(id.clone());
        }
        observations.push(json!({
            "uuid": id,
            "title": format!("{} on {}", c.id, r.name()),
            "description": format!("{}: {} ({})", c.title, v.status.as_str(), reason_of(catalog, eval, &v)),
            "props": [{ "name": "result", "ns": "urn:drready:oscal", "value": v.status.as_str() }],
            "methods": ["AUTOMATED"],
            "types": [if v.status == Status::NoEvidence { "historic" } else { "control-objective" }],
            "subjects": [{ "subject-uuid": uuid(&format!("{seed}|item|{}|{}", r.entity_type, r.id)), "type": "inventory-item" }],
            "collected": ts(eval.collected_at),
        }));
    }
    let findings: Vec<Value> = catalog
        .controls
        .iter()
        .zip(by_control)
        .filter(|(_, (_, judged))| *judged)
        .map(|(c, (bad, _))| {
            let refs: Vec<String> = c.frameworks.iter().flat_map(|(fw, r)| r.iter().map(move |x| format!("{} {x}", fw.title()))).collect();
            let mut f = json!({
                "uuid": uuid(&format!("{seed}|finding|{}", c.id)),
                "title": c.title,
                "description": format!("{} ({}; {})", c.title, c.severity.as_str(), refs.join(", ")),
                "props": [{ "name": "severity", "ns": "urn:drready:oscal", "value": c.severity.as_str() }],
                "target": {
                    "type": "objective-id",
                    "target-id": c.id,
                    "status": { "state": if bad.is_empty() { "satisfied" } else { "not-satisfied" } },
                },
            });
            if !bad.is_empty() {
                f["related-observations"] = Value::Array(bad.into_iter().map(|u| json!({ "observation-uuid": u })).collect());
            }
            f
        })
        .collect();
    let mut result = json!({
        "uuid": uuid(&format!("{seed}|result")),
        "title": "drready DR readiness audit",
        "description": format!("Overall score {} (grade {}), score version {}.", super::score_text(report.scorecard.overall.score), report.scorecard.overall.grade, report.scorecard.score_version),
        "start": ts(eval.as_of),
        "reviewed-controls": { "control-selections": [{ "include-all": {} }] },
        "local-definitions": { "inventory-items": items },
        "findings": findings,
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    // What was not judged, said in the result itself: gaps, what was not assessed, warnings.
    let mut remarks = vec![format!("{} collection gap(s).", eval.gaps.len())];
    remarks.extend(
        eval.gaps
            .iter()
            .map(|g| format!("Gap: {}", super::gap_line(g))),
    );
    remarks.extend(
        eval.not_assessed
            .iter()
            .map(|n| format!("Not assessed: {n}")),
    );
    remarks.extend(eval.warnings.iter().map(|w| format!("Warning: {w}")));
    result["remarks"] = Value::String(remarks.join("\n\n"));
    let doc = json!({
        "assessment-results": {
            "uuid": uuid(&format!("{seed}|assessment-results")),
            "metadata": {
                "title": "Disaster-recovery readiness: assessment results",
                "last-modified": ts(eval.as_of),
                "version": crate::VERSION,
                "oscal-version": OSCAL_VERSION,
                "props": [{ "name": "policy-set-sha256", "ns": "urn:drready:oscal", "value": catalog.hash }],
            },
            "import-ap": { "href": "#drready-assessment-plan" },
            "results": [result],
        }
    });
    let mut buf = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut buf, &doc).map_err(super::json::io_error)?;
    writeln!(buf)?;
    buf.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_version_5_shaped_and_stable() {
        let u = super::uuid("x");
        assert_eq!(u, super::uuid("x"));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }
}
