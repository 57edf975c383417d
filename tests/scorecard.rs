//! The executive scorecard (HTML) and the trend against a previous audit.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use common::drready;
use predicates::prelude::*;
use tempfile::TempDir;

#[test]
fn the_scorecard_is_one_self_contained_page() {
    let out = drready()
        .args(["audit", "--example", "--format", "html"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let html = String::from_utf8(out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for absent in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(
            !html.contains(absent),
            "the page must not load anything: {absent}"
        );
    }
    for present in [
        "SOC 2",
        "ISO&#x2f;IEC 27001:2022",
        "GDPR",
        "Recovery targets against measured",
        "Top risks",
        "Controls by family",
        "<svg",
        "@page { size: A4",
        // What was not judged is said on the page too.
        "What this audit could not judge",
        "3 collection gap(s)",
        "Kubernetes workloads",
        "SOC 2 CC7.3 (Evaluation of security events)",
        // The requirement view, on screen.
        "Requirements by framework",
        "CC7.3 Evaluation of security events",
        // Whose brief it is (`[brief] organization`).
        "DR readiness: LLM Marketplace",
        // Each framework's requirements met, and three scores that differ.
        "4&#x2f;16 requirements met",
        "83.6",
        "84.3",
    ] {
        assert!(html.contains(present), "{present}");
    }
    // The top risk in plain words, with its owner, due date (evaluation + 7 days for critical) and
    // next step; no action slug.
    assert!(
        html.contains("llm-marketplace-analytics can be restored only to 3 h 12 min ago; the target is 15 min"),
        "{html}"
    );
    assert!(html.contains("Owner: Platform team · due 2026-12-02 · next step: take a backup now"));
    assert!(!html.contains("backup-now"));
}

/// The brief's trend is drawn from the earlier audits of the evidence folder.
#[test]
fn the_brief_draws_the_trend_of_the_evidence_folder() {
    let dir = TempDir::new().unwrap();
    let evidence = dir.path().join("evidence");
    let run = || {
        drready()
            .env_remove("DRREADY_NO_EVIDENCE")
            .args(["audit", "--example", "--format", "html", "--evidence-dir"])
            .arg(&evidence)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone()
    };
    let first = String::from_utf8(run()).unwrap();
    assert!(first.contains("The first audit of this evidence folder"));
    run();
    let third = String::from_utf8(run()).unwrap();
    assert!(third.contains("Overall score of each audit in this evidence folder"));
    // Two earlier audits and this one: three bars.
    let chart = third
        .split("aria-label=\"Overall score of the last audits\"")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(chart.matches("<rect ").count(), 3, "{chart}");
    assert_eq!(chart.matches("fill=\"#1d2733\"/>").count(), 1, "{chart}");
}

#[test]
fn untrusted_text_is_escaped_in_the_scorecard() {
    let dir = TempDir::new().unwrap();
    let doc = dir.path().join("README.md");
    std::fs::write(
        &doc,
        "# Evil\n\n| Component | RTO | RPO | Status |\n|---|---|---|---|\n| <script>alert('cell')</script> | 1 hour | 5 min | Meeting target |\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("drready.toml"),
        "[docs]\npaths = [\"README.md\"]\n",
    )
    .unwrap();
    let snap = dir.path().join("s.json");
    std::fs::write(
        &snap,
        r#"{"schema_version": 1, "collected_at": "2026-11-25T00:00:00Z",
            "resources": [{"type": "rds_instance", "id": "arn:aws:rds:us-east-1:1:db:x", "name": "<script>alert('name')</script>",
              "tags": {"team": "<script>alert('tag')</script>"}, "storage_encrypted": false, "multi_az": false}]}"#,
    )
    .unwrap();
    let out = drready()
        .args([
            "audit",
            "--snapshot",
            snap.to_str().unwrap(),
            "--config",
            dir.path().join("drready.toml").to_str().unwrap(),
            "--format",
            "html",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let html = String::from_utf8(out).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;name&#x27;)&lt;&#x2f;script&gt;"),
        "the resource name is shown, escaped"
    );
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;cell&#x27;)&lt;&#x2f;script&gt;"),
        "the document cell is shown, escaped"
    );
}

#[test]
fn compare_shows_deltas_and_new_fixed_and_still_failing_findings() {
    let dir = TempDir::new().unwrap();
    let previous = dir.path().join("previous.json");
    let out = drready()
        .args(["audit", "--example", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    std::fs::write(&previous, out).unwrap();
    // Three months on, evidence ages: new failures appear.
    let out = drready()
        .args([
            "audit",
            "--example",
            "--format",
            "json",
            "--as-of",
            "2027-02-25",
            "--compare",
            previous.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let c = &report["comparison"];
    assert!(c["overall_delta"].as_f64().unwrap() < 0.0, "{c}");
    assert!(
        c["new"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["control"] == "backup-verification-recent"),
        "{c}"
    );
    assert!(!c["still"].as_array().unwrap().is_empty());
    assert_eq!(
        c["previous_evaluated_at"],
        "2025-11-25T06:00:00Z".replace("2025", "2026")
    );
    for format in ["table", "markdown", "html"] {
        drready()
            .args([
                "audit",
                "--example",
                "--format",
                format,
                "--as-of",
                "2027-02-25",
                "--compare",
                previous.to_str().unwrap(),
            ])
            .assert()
            .code(0)
            .stdout(
                predicate::str::contains("Since the previous audit")
                    .or(predicate::str::contains("Since 2026-11-25")),
            );
    }
    // A bundle is a previous audit too; something else is an error.
    let evidence = dir.path().join("evidence");
    let err = drready()
        .env_remove("DRREADY_NO_EVIDENCE")
        .args([
            "audit",
            "--example",
            "--evidence-dir",
            evidence.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .get_output()
        .stderr
        .clone();
    let bundle = String::from_utf8(err)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("evidence: ").map(str::to_string))
        .unwrap();
    drready()
        .args(["audit", "--example", "--compare", &bundle])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 new, 0 fixed"));
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{}").unwrap();
    drready()
        .args(["audit", "--example", "--compare", junk.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a drready JSON report"));
}

#[test]
fn oscal_assessment_results_for_grc_tools() {
    let out = drready()
        .args(["audit", "--example", "--format", "oscal"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.1.2");
    for key in ["title", "last-modified", "version"] {
        assert!(ar["metadata"][key].is_string(), "{key}");
    }
    assert!(ar["import-ap"]["href"].is_string());
    let result = &ar["results"][0];
    // Gaps, what was not assessed and warnings are in the result's remarks.
    let remarks = result["remarks"].as_str().unwrap();
    assert!(remarks.contains("3 collection gap(s)"), "{remarks}");
    assert!(
        remarks.contains("Gap: rds:DescribeDBClusterSnapshots (AccessDenied)"),
        "{remarks}"
    );
    assert!(
        remarks.contains("Not assessed: Kubernetes workloads"),
        "{remarks}"
    );
    for key in ["uuid", "title", "description", "start"] {
        assert!(result[key].is_string(), "{key}");
    }
    let observations = result["observations"].as_array().unwrap();
    let findings = result["findings"].as_array().unwrap();
    let items = result["local-definitions"]["inventory-items"]
        .as_array()
        .unwrap();
    // Every observation has its collection time and a subject that is one of the inventory items.
    let item_ids: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["uuid"].as_str().unwrap()).collect();
    // (one observation per control sums it up, without a subject)
    for o in observations {
        assert_eq!(o["collected"], "2026-11-25T06:00:00Z");
        match o["subjects"].as_array() {
            Some(s) => assert!(item_ids.contains(s[0]["subject-uuid"].as_str().unwrap())),
            None => assert_eq!(o["props"][0]["name"], "control"),
        }
    }
    // Findings target framework requirements, never drready's own control ids. ISO 27001 A.8.13
    // is not satisfied (the analytics database's PITR fails), and points at the observations.
    let finding = |target: &str| {
        findings
            .iter()
            .find(|f| f["target"]["target-id"] == target)
            .unwrap_or_else(|| panic!("no finding for {target}"))
    };
    assert!(findings.iter().all(|f| {
        let t = f["target"]["target-id"].as_str().unwrap();
        ["soc2_", "iso27001_", "gdpr_"]
            .iter()
            .any(|p| t.starts_with(p))
    }));
    let backup = finding("iso27001_a.8.13");
    assert_eq!(backup["target"]["status"]["state"], "not-satisfied");
    assert_eq!(backup["props"][1]["value"], "A.8.13");
    let related = backup["related-observations"].as_array().unwrap();
    let obs_ids: std::collections::BTreeSet<&str> = observations
        .iter()
        .map(|o| o["uuid"].as_str().unwrap())
        .collect();
    assert!(related.len() > 1);
    assert!(related
        .iter()
        .all(|r| obs_ids.contains(r["observation-uuid"].as_str().unwrap())));
    assert_eq!(finding("gdpr_32.1.c")["props"][1]["value"], "32(1)(c)");
    assert_eq!(
        finding("soc2_c1.2")["target"]["status"]["state"],
        "satisfied"
    );
    // A requirement no control covers is said, not left out.
    let uncovered = finding("soc2_cc7.3");
    assert_eq!(uncovered["props"][2]["value"], "not_assessed");
    assert_eq!(uncovered["target"]["status"]["state"], "not-satisfied");
    // Every `ns` is a URL, and the assessment plan the results import is in the document.
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains("urn:"));
    let href = doc["assessment-results"]["import-ap"]["href"]
        .as_str()
        .unwrap();
    let plan = doc["assessment-results"]["back-matter"]["resources"][0]["uuid"]
        .as_str()
        .unwrap();
    assert_eq!(href, format!("#{plan}"));
    // UUIDs are unique and the same on every run.
    let all: Vec<&str> = observations
        .iter()
        .chain(findings)
        .chain(items)
        .map(|x| x["uuid"].as_str().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<&&str> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
    let again = drready()
        .args(["audit", "--example", "--format", "oscal"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(again, out);
}

/// The OSCAL output loads in compliance-trestle (PyPI), whose models are generated from NIST's
/// published OSCAL schema: every field, type, token and required key is checked as a GRC pipeline
/// built on it would. Versions 3.7 to 4.2 rejected drready's earlier `urn:` namespaces.
#[test]
fn oscal_loads_in_compliance_trestle() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import trestle"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        common::skip_or_fail(
            "trestle",
            "compliance-trestle is not installed (python3 -m pip install compliance-trestle)",
        );
        return;
    }
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("ar.json");
    let out = drready()
        .args(["audit", "--example", "--format", "oscal"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    std::fs::write(&path, &out).unwrap();
    let script = r#"
import pathlib, sys
import trestle
from trestle.oscal.assessment_results import AssessmentResults
ar = AssessmentResults.oscal_read(pathlib.Path(sys.argv[1]))
r = ar.results[0]
targets = sorted({f.target.target_id for f in r.findings})
plan = ar.import_ap.href.lstrip('#')
assert any(res.uuid == plan for res in ar.back_matter.resources), 'import-ap points at nothing'
print(trestle.__version__, len(r.findings), len(r.observations), ' '.join(targets[:3]))
"#;
    let run = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "trestle rejects the OSCAL output: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("compliance-trestle: {stdout}");
    assert!(stdout.contains("gdpr_"), "{stdout}");
}
