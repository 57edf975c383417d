//! DR documents and test history end to end: the real DR README fixture read by `drready docs
//! inspect`, the example audit's document and test controls, and located errors for bad history.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::path::{Path, PathBuf};

mod common;

use common::drready;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docs/llm-marketplace-dr-README.md")
}

fn inspect(path: &Path) -> Value {
    let out = drready()
        .args([
            "docs",
            "inspect",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--as-of",
            "2026-11-25",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn the_real_dr_readme_gives_its_targets_schedule_and_dates() {
    let report = inspect(&fixture());
    let doc = &report["documents"][0];
    assert_eq!(doc["title"], "Disaster Recovery Documentation");
    assert_eq!(doc["version"], "1.0.0");
    assert_eq!(
        doc["status"], "Production Ready",
        "the mis-encoded check mark is dropped"
    );
    assert_eq!(doc["last_updated"], "2024-11-19");
    assert_eq!(doc["next_review"], "2025-01-19");
    assert_eq!(doc["lines"]["last_updated"], 5);

    let targets: Vec<(String, u64, u64, bool, u64)> = doc["recovery_targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                format!(
                    "{}{}",
                    t["component"].as_str().unwrap(),
                    t["disruption"]
                        .as_str()
                        .map(|d| format!(" [{d}]"))
                        .unwrap_or_default()
                ),
                t["rto_seconds"].as_u64().unwrap(),
                t["rpo_seconds"].as_u64().unwrap(),
                t["claims_met"].as_bool().unwrap(),
                t["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        // Two disruption scenarios of one database: one component, two targets.
        ("PostgreSQL [az]", 120, 0, true, 63),
        ("PostgreSQL [region]", 900, 300, true, 64),
        ("Elasticsearch", 1_800, 3_600, true, 65),
        ("Application Services", 300, 0, true, 66),
        ("Full Platform", 14_400, 900, true, 67),
    ];
    let want: Vec<(String, u64, u64, bool, u64)> = want
        .iter()
        .map(|(c, a, b, m, l)| (c.to_string(), *a, *b, *m, *l))
        .collect();
    assert_eq!(targets, want);
    for t in doc["recovery_targets"].as_array().unwrap() {
        assert_eq!(t["claim"], "Meeting target");
    }

    let schedule: Vec<(&str, &str, &str)> = doc["review_schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["document"].as_str().unwrap(),
                r["frequency"].as_str().unwrap(),
                r["next_review"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        schedule,
        [
            ("DISASTER_RECOVERY_PLAN.md", "Quarterly", "2025-01-19"),
            ("FAILOVER_PROCEDURES.md", "After each test", "2024-12-19"),
            ("RTO_RPO_VALIDATION.md", "Quarterly", "2025-01-19"),
            ("DR_TESTING_SCHEDULE.md", "Monthly", "2024-12-19"),
            ("DR_MONITORING_ALERTING.md", "Quarterly", "2025-01-19"),
        ]
    );
}

#[test]
fn every_overdue_document_fails_review_by_name() {
    let report = inspect(&fixture());
    let failing: Vec<String> = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["control"] == "doc-review-current" && v["status"] == "fail")
        .map(|v| {
            v["document"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        failing,
        [
            "llm-marketplace-dr-README.md",
            "DISASTER_RECOVERY_PLAN.md",
            "FAILOVER_PROCEDURES.md",
            "RTO_RPO_VALIDATION.md",
            "DR_TESTING_SCHEDULE.md",
            "DR_MONITORING_ALERTING.md"
        ]
    );
    // Every linked runbook is missing beside the fixture: named with its line.
    let links = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["control"] == "doc-links-resolve" && v["status"] == "fail")
        .unwrap();
    let targets = links["facts"]["resource.broken_link_targets"]
        .as_array()
        .unwrap();
    assert!(
        targets
            .iter()
            .any(|t| t == "./training/DR_TRAINING.md (line 17)"),
        "{targets:?}"
    );
    // Scheduled documents that were not read have no link evidence, which is not a pass.
    let unread = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["control"] == "doc-links-resolve"
                && v["document"]
                    .as_str()
                    .unwrap()
                    .ends_with("DR_TESTING_SCHEDULE.md")
        })
        .unwrap();
    assert_eq!(unread["status"], "no_evidence");
}

#[test]
fn a_review_is_current_when_the_date_has_not_passed() {
    let report = {
        let out = drready()
            .args([
                "docs",
                "inspect",
                fixture().to_str().unwrap(),
                "--format",
                "json",
                "--as-of",
                "2024-12-01",
            ])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice::<Value>(&out).unwrap()
    };
    let readme = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["control"] == "doc-review-current"
                && v["document"]
                    .as_str()
                    .unwrap()
                    .ends_with("llm-marketplace-dr-README.md")
        })
        .unwrap();
    assert_eq!(readme["status"], "pass");
}

#[test]
fn broken_tables_and_dates_become_located_gaps() {
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("runbook.md");
    std::fs::write(
        &p,
        "# Runbook\n\n**Next Review:** next spring\n\n| Service | RTO | RPO | Status |\n|---|---|---|---|\n| API | quickly | 5 min | Met |\n",
    )
    .unwrap();
    let report = inspect(&p);
    let gaps: Vec<(u64, &str)> = report["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["line"].as_u64().unwrap(), g["message"].as_str().unwrap()))
        .collect();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_eq!(gaps[0].0, 3);
    assert!(gaps[0].1.contains("`next spring` is not a date"));
    assert_eq!(gaps[1].0, 7);
    assert!(gaps[1]
        .1
        .contains("RTO `quickly` of `API` is not a duration"));
    // The unreadable review date makes the review control no_evidence, with the gap as cause.
    let v = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["control"] == "doc-review-current")
        .unwrap();
    assert_eq!(v["status"], "no_evidence");
    assert!(v["cause"].as_str().unwrap().contains("runbook.md:3"), "{v}");
}

#[test]
fn unreadable_documents_are_gaps_not_errors() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("latin1.md"), b"# Caf\xe9 runbook\n").unwrap();
    let missing = dir.path().join("missing.md");
    let out = drready()
        .args([
            "docs",
            "inspect",
            dir.path().to_str().unwrap(),
            missing.to_str().unwrap(),
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let messages: Vec<&str> = report["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("not valid UTF-8")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("no such file")),
        "{messages:?}"
    );
}

#[test]
fn the_example_audit_judges_documents_and_tests_with_reasons() {
    let out = drready()
        .args(["audit", "--example", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let verdicts = report["verdicts"].as_array().unwrap();
    let find = |control: &str, status: &str| {
        verdicts
            .iter()
            .find(|v| v["control"] == control && v["status"] == status)
            .cloned()
    };
    let claims = find("doc-claims-match-evidence", "fail").unwrap();
    assert_eq!(claims["resource"], "Elasticsearch");
    assert!(claims["facts"]["resource.claim_source"]
        .as_str()
        .unwrap()
        .ends_with("README.md:28"));
    assert!(claims["facts"]["resource.measurement_source"]
        .as_str()
        .unwrap()
        .contains("2026-10-02-es-snapshot-restore"));
    assert!(find("doc-review-current", "fail").unwrap()["resource"]
        .as_str()
        .unwrap()
        .ends_with("DR_TESTING_SCHEDULE.md"));
    assert!(find("doc-links-resolve", "fail").is_some());
    assert!(find("dr-test-cadence", "pass").is_some());
    assert!(find("dr-test-met-targets", "pass").is_some());
    assert!(find("access-review-recent", "fail").is_some());
    assert!(find("restore-time-within-rto", "fail").is_some());
    // The restore test of the cross-region database and the AWS Backup restore job both count.
    assert!(verdicts
        .iter()
        .any(|v| v["control"] == "restore-time-within-rto"
            && v["resource"] == "PostgreSQL"
            && v["status"] == "pass"));
}

#[test]
fn test_history_with_wrong_types_or_missing_fields_is_a_located_error() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir_all(dir.path().join("history")).unwrap();
    std::fs::write(
        dir.path().join("history/runs.jsonl"),
        "{\"id\":\"a\",\"kind\":\"full\",\"started\":\"2026-01-01T00:00:00Z\",\"outcome\":\"success\"}\n{\"id\":\"b\",\"kind\":\"full\",\"started\":\"2026-01-01T00:00:00Z\",\"outcome\":\"success\",\"measured_rto_seconds\":\"fast\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("drready.toml"),
        "[dr_tests]\npaths = [\"history/*.jsonl\"]\n",
    )
    .unwrap();
    let config = dir.path().join("drready.toml");
    let file = dir.path().join("history/runs.jsonl");
    drready()
        .args(["audit", "--example", "--config", config.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: {}:2:",
            file.display()
        )))
        .stderr(predicate::str::contains("invalid type: string \"fast\""));
}

#[test]
fn the_dr_test_format_has_a_schema() {
    let out = drready()
        .args(["schema", "dr-test"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(schema["title"], "DrTest");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in ["id", "kind", "started", "outcome"] {
        assert!(required.contains(&field), "{required:?}");
    }
}

#[test]
fn a_component_without_targets_in_config_takes_them_from_the_documents() {
    let dir = TempDir::new().unwrap();
    std::fs::copy(fixture(), dir.path().join("README.md")).unwrap();
    std::fs::write(
        dir.path().join("drready.toml"),
        "[docs]\npaths = [\"README.md\"]\n\n[[components]]\nname = \"Elasticsearch\"\nmulti_az = false\n[components.match]\nids = [\"es-*\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("snapshot.json"),
        r#"{"schema_version": 1, "collected_at": "2026-11-25T12:00:00Z",
            "resources": [{"type": "s3_bucket", "id": "arn:aws:s3:::es-snapshots", "name": "es-snapshots",
              "backup_prefix": "snapshots/", "newest_backup_object": "2026-11-25T11:30:00Z"}]}"#,
    )
    .unwrap();
    let out = drready()
        .args([
            "audit",
            "--snapshot",
            dir.path().join("snapshot.json").to_str().unwrap(),
            "--config",
            dir.path().join("drready.toml").to_str().unwrap(),
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let es = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["spec"]["name"] == "Elasticsearch")
        .unwrap();
    assert_eq!(es["spec"]["rto_seconds"], 1_800);
    assert_eq!(es["spec"]["rpo_seconds"], 3_600);
    assert!(
        es["spec"]["source"]
            .as_str()
            .unwrap()
            .starts_with("config + document"),
        "{es}"
    );
    // The bucket's newest dump is 30 minutes old: within the document's 1-hour RPO.
    let fresh = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["control"] == "s3-backup-freshness")
        .unwrap();
    assert_eq!(fresh["status"], "pass", "{fresh}");
    assert_eq!(fresh["component"], "Elasticsearch");
}
