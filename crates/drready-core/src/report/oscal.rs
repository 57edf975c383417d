//! OSCAL 1.1 assessment results (JSON), for GRC tools: the judged resources as inventory items,
//! one observation per verdict (with its collection time, facts and subject) and one per control,
//! and one finding per framework requirement, targeting the requirement's id in token form
//! (`soc2_a1.2`; the id as written is a property), satisfied only when the requirement is met. UUIDs are derived from the
//! content (name-based, SHA-256), so the same audit gives the same document.

use std::io::Write;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Report;
use crate::decide::score::RequirementStatus;
use crate::evaluate::explain::reason_of;
use crate::evaluate::Status;

pub const OSCAL_VERSION: &str = "1.1.2";

/// The namespace of drready's own OSCAL properties (OSCAL requires a URI; clients such as
/// compliance-trestle require a URL).
pub const NS: &str = "https://drready.dev/ns/oscal";

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
                { "name": "component", "ns": NS, "value": eval.components[r.component as usize].spec.name },
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
            "props": [{ "name": "result", "ns": NS, "value": v.status.as_str() }],
            "methods": ["AUTOMATED"],
            "types": [if v.status == Status::NoEvidence { "historic" } else { "control-objective" }],
            "subjects": [{ "subject-uuid": uuid(&format!("{seed}|item|{}|{}", r.entity_type, r.id)), "type": "inventory-item" }],
            "collected": ts(eval.collected_at),
        }));
    }
    // One observation per control: its status over everything it applies to.
    let mut control_obs: Vec<Option<String>> = vec![None; catalog.controls.len()];
    for (i, (c, score)) in catalog
        .controls
        .iter()
        .zip(&report.scorecard.controls)
        .enumerate()
    {
        if score.tally.judged() == 0 {
            continue;
        }
        let id = uuid(&format!("{seed}|control|{}", c.id));
        observations.push(json!({
            "uuid": id,
            "title": format!("Control {}", c.id),
            "description": format!(
                "{} ({}): {} passed, {} failed, {} without evidence.",
                c.title, c.severity.as_str(), score.tally.pass, score.tally.fail, score.tally.no_evidence
            ),
            "props": [
                { "name": "control", "ns": NS, "value": c.id },
                { "name": "severity", "ns": NS, "value": c.severity.as_str() },
            ],
            "methods": ["AUTOMATED"],
            "collected": ts(eval.collected_at),
        }));
        control_obs[i] = Some(id);
    }
    let index: std::collections::HashMap<&str, usize> = catalog
        .controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    // One finding per framework requirement, targeting the requirement's id.
    let mut findings: Vec<Value> = Vec::new();
    for (fw, fs) in catalog.frameworks.iter().zip(&report.scorecard.frameworks) {
        for r in &fs.requirements {
            let state = if r.status == RequirementStatus::Met {
                "satisfied"
            } else {
                "not-satisfied"
            };
            let reason = match r.status {
                RequirementStatus::Met => "pass",
                RequirementStatus::NotMet => "fail",
                _ => "other",
            };
            let controls: Vec<String> = r
                .controls
                .iter()
                .map(|c| format!("{} ({})", c.id, c.status.words()))
                .collect();
            let mut related: Vec<Value> = Vec::new();
            for c in &r.controls {
                if let Some(&i) = index.get(c.id.as_str()) {
                    if let Some(o) = &control_obs[i] {
                        related.push(json!({ "observation-uuid": o }));
                    }
                    related.extend(
                        by_control[i]
                            .0
                            .iter()
                            .map(|u| json!({ "observation-uuid": u })),
                    );
                }
            }
            let mut f = json!({
                "uuid": uuid(&format!("{seed}|finding|{}|{}", fw.id, r.id)),
                "title": format!("{} {}: {}", fw.title, r.id, r.title),
                "description": match &r.not_assessed {
                    Some(why) => format!("{} {} is not assessed: {why}.", fw.title, r.id),
                    None => format!("{} {} is {}; controls: {}.", fw.title, r.id, r.status.words(), controls.join(", ")),
                },
                "props": [
                    { "name": "framework", "ns": NS, "value": fw.id },
                    { "name": "requirement", "ns": NS, "value": r.id },
                    { "name": "requirement-status", "ns": NS, "value": r.status.as_str() },
                ],
                "target": {
                    "type": "objective-id",
                    "target-id": crate::evaluate::frameworks::token(&fw.id, &r.id),
                    "status": { "state": state, "reason": reason },
                },
            });
            if !related.is_empty() {
                f["related-observations"] = Value::Array(related);
            }
            findings.push(f);
        }
    }
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
        super::not_assessed(report)
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
                "props": [{ "name": "policy-set-sha256", "ns": NS, "value": catalog.hash }],
            },
            "import-ap": { "href": format!("#{}", uuid(&format!("{seed}|plan"))) },
            "results": [result],
            "back-matter": { "resources": [{
                "uuid": uuid(&format!("{seed}|plan")),
                "title": "drready assessment plan",
                "description": format!(
                    "The assessment plan: the policy set (SHA-256 {}) judged against the frameworks {} (SHA-256 {}), with the settings recorded in the evidence bundle.",
                    catalog.hash,
                    catalog.frameworks.iter().map(|f| f.title.as_str()).collect::<Vec<_>>().join(", "),
                    catalog.frameworks_hash
                ),
                "props": [
                    { "name": "policy-set-sha256", "ns": NS, "value": catalog.hash },
                    { "name": "frameworks-sha256", "ns": NS, "value": catalog.frameworks_hash },
                ],
            }]},
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
