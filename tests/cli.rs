//! The binary as users run it: every documented exit code, and bad input that must give exit 2 with
//! a one-line message naming the file (and line:column where there is one), never a panic.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::path::Path;

mod common;

use common::drready;
use predicates::prelude::*;
use tempfile::TempDir;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The control ids `drready controls` lists with a policy folder.
fn control_ids(dir: &Path) -> Vec<String> {
    let out = drready()
        .args([
            "controls",
            "--format",
            "json",
            "--policies",
            dir.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let controls: serde_json::Value = serde_json::from_slice(&out).unwrap();
    controls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// The message is one line on stderr, starting `error: ` and naming the place.
fn one_line_error(prefix: &str) -> impl Predicate<str> {
    let prefix = format!("error: {prefix}");
    predicate::function(move |s: &str| {
        s.starts_with(&prefix) && s.trim_end().lines().count() == 1 && !s.contains("panicked")
    })
}

#[test]
fn the_example_audit_exits_0_and_prints_the_scorecard() {
    drready()
        .args(["audit", "--example"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Scores"))
        .stdout(predicate::str::contains("Recovery targets"))
        .stdout(predicate::str::contains("rds-pitr-within-rpo"));
}

#[test]
fn fail_on_exits_1_only_when_a_failure_reaches_the_threshold() {
    // The example fails critical controls.
    drready()
        .args(["audit", "--example", "--fail-on", "critical"])
        .assert()
        .code(1);
    let dir = TempDir::new().unwrap();
    // A snapshot whose only failure is low severity: a bucket whose lifecycle never expires.
    let snap = write(
        dir.path(),
        "s.json",
        r#"{"schema_version":1,"collected_at":"2026-11-25T06:00:00Z","scope":{"dr_region":"us-west-2"},
            "resources":[{"type":"s3_bucket","id":"arn:aws:s3:::b-backups","encryption":"aws:kms","versioning":"Enabled",
              "object_lock_days":30,"lifecycle_expiry_days":0,"replication_regions":["us-west-2"],"public_access_blocked":true}]}"#,
    );
    // Without the process and AWS Backup controls (their files replaced by empty ones), the
    // bucket's missing expiry (low) is the only failure.
    write(dir.path(), "p/process.cedar", "");
    write(dir.path(), "p/backup.cedar", "");
    let p = dir.path().join("p");
    let p = p.to_str().unwrap();
    drready()
        .args(["audit", "--snapshot", &snap, "--policies", p])
        .assert()
        .code(0);
    drready()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "--policies",
            p,
            "--fail-on",
            "high",
        ])
        .assert()
        .code(0);
    drready()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "--policies",
            p,
            "--fail-on",
            "low",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("s3-backup-max-retention"));
}

#[test]
fn strict_exits_3_on_missing_evidence() {
    // The example has no-evidence verdicts (access denied while collecting).
    drready()
        .args(["audit", "--example", "--strict"])
        .assert()
        .code(3);
    // A failing finding outranks incomplete evidence.
    drready()
        .args(["audit", "--example", "--strict", "--fail-on", "high"])
        .assert()
        .code(1);
}

#[test]
fn malformed_snapshot_json_names_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "bad.json", "{\"schema_version\": 1,\n \"collected_at\": \"2026-11-25T00:00:00Z\",\n \"resources\": [ {\"type\": \"rds_instance\", \"id\": 5} ]}");
    drready()
        .args(["audit", "--snapshot", &p])
        .assert()
        .code(2)
        .stdout("")
        .stderr(one_line_error(&format!("{p}:3:")));
    let p = write(dir.path(), "trunc.json", "{\"schema_version\": 1,");
    drready()
        .args(["audit", "--snapshot", &p])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{p}:1:")));
}

#[test]
fn unknown_schema_version_is_an_error() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "v9.json",
        r#"{"schema_version": 9, "collected_at": "2026-11-25T00:00:00Z", "future": true}"#,
    );
    drready()
        .args(["audit", "--snapshot", &p])
        .assert()
        .code(2)
        .stderr(one_line_error(&p))
        .stderr(predicate::str::contains(
            "unsupported snapshot `schema_version` 9",
        ));
}

#[test]
fn unknown_resource_fields_are_errors_not_silently_ignored() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "typo.json",
        r#"{"schema_version": 1, "collected_at": "2026-11-25T00:00:00Z",
            "resources": [{"type": "rds_instance", "id": "db", "multi_AZ": true}]}"#,
    );
    drready()
        .args(["audit", "--snapshot", &p])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `multi_AZ`"));
}

#[test]
fn a_policy_syntax_error_names_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "pol/x.cedar",
        "@id(\"x\")\n@title(\"t\") @severity(\"high\")\nforbid (principal, action, resource is RdsDatabase)\nwhen { resource.backup_retention_days < };\n",
    );
    let d = dir.path().join("pol");
    drready()
        .args(["policy", "validate", d.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{p}:4:41: unexpected token")));
    // --policies on a judging command gives the same error.
    drready()
        .args(["audit", "--example", "--policies", d.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{p}:4:41")));
}

#[test]
fn a_policy_that_fails_schema_validation_names_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "pol/x.cedar",
        "// mine\n@id(\"my-control\")\n@title(\"t\") @severity(\"high\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { resource.no_such_attr < 3 };\n",
    );
    let d = dir.path().join("pol");
    drready()
        .args(["policy", "validate", d.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{p}:5:8:")))
        .stderr(predicate::str::contains("`no_such_attr`"));
}

#[test]
fn controls_need_annotations_and_unique_ids() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a/x.cedar", "forbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { true };\n");
    let d = dir.path().join("a");
    drready()
        .args(["policy", "validate", d.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no `@id`"));
    write(dir.path(), "b/x.cedar", "@id(\"x\") @title(\"t\") @severity(\"severe\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { true };\n");
    let d = dir.path().join("b");
    drready()
        .args(["policy", "validate", d.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`severe` is not a severity"));
    // Same id as a built-in control, in a file of another name: a duplicate.
    write(dir.path(), "c/dup.cedar", "@id(\"rds-backup-enabled\") @title(\"t\") @severity(\"high\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { true };\n");
    let d = dir.path().join("c");
    drready()
        .args(["controls", "--policies", d.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "duplicate control id `rds-backup-enabled`",
        ));
}

#[test]
fn user_policies_add_controls_and_replace_files_by_name() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "p/extra.cedar",
        "@id(\"rds-engine-postgres\") @title(\"Databases run PostgreSQL\") @severity(\"low\") @soc2(\"CC8.1\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { !(resource has engine && resource.engine like \"*postgres*\") };\n",
    );
    let d = dir.path().join("p");
    let ids = control_ids(&d);
    assert!(
        ids.iter().any(|i| i == "rds-engine-postgres")
            && ids.iter().any(|i| i == "rds-backup-enabled"),
        "{ids:?}"
    );
    // The new control judges the example's databases.
    drready()
        .args([
            "audit",
            "--example",
            "--format",
            "json",
            "--policies",
            d.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\"control\":\"rds-engine-postgres\"",
        ));
    // A file named like a built-in one replaces it: here, all RDS controls give way to one.
    write(
        dir.path(),
        "r/rds.cedar",
        "@id(\"rds-only\") @title(\"t\") @severity(\"low\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { !(resource has multi_az) };\n",
    );
    let ids = control_ids(&dir.path().join("r"));
    assert!(
        ids.iter().any(|i| i == "rds-only") && !ids.iter().any(|i| i == "rds-backup-enabled"),
        "{ids:?}"
    );
    // The built-in frameworks' mappings to the controls it replaced are said, not dropped.
    drready()
        .args(["audit", "--example", "--format", "json", "--policies"])
        .arg(dir.path().join("r"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ISO/IEC 27001:2022 A.8.13 (Information backup): control `rds-backup-enabled` is mapped to it, but no loaded policy defines it",
        ));
}

#[test]
fn a_bad_config_value_names_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "drready.toml",
        "[params]\nsnapshot_max_age = \"soon\"\n",
    );
    drready()
        .args(["audit", "--example", "--config", &p])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!(
            "{p}:2:20: `soon` is not a duration"
        )));
    let p = write(dir.path(), "typo.toml", "[parms]\nx = 1\n");
    drready()
        .args(["audit", "--example", "--config", &p])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{p}:1:")));
    let p = write(
        dir.path(),
        "rate.toml",
        "[params]\nbackup_job_success_rate = 1.5\n",
    );
    drready()
        .args(["audit", "--example", "--config", &p])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a fraction"));
}

#[test]
fn missing_files_and_bad_flags_exit_2() {
    drready()
        .args(["audit", "--snapshot", "/nonexistent/snap.json"])
        .assert()
        .code(2)
        .stderr(one_line_error("/nonexistent/snap.json: cannot read"));
    drready()
        .args(["audit", "--example", "--as-of", "yesterday"])
        .assert()
        .code(2);
    drready().args(["audit"]).assert().code(2);
    drready()
        .args(["audit", "--example", "--fail-on", "urgent"])
        .assert()
        .code(2);
}

#[test]
fn as_of_replays_an_audit_at_another_date() {
    // A year later nothing recent is recent: the DR-test cadence fails in the JSON report.
    let later = drready()
        .args([
            "audit",
            "--example",
            "--format",
            "json",
            "--as-of",
            "2027-11-25",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&later).unwrap();
    assert_eq!(report["evaluated_at"], "2027-11-25T00:00:00Z");
    let verdict = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["control"] == "backup-verification-recent")
        .unwrap();
    assert_eq!(verdict["status"], "fail");
}

#[test]
fn schema_and_controls_print() {
    let out = drready()
        .args(["schema", "snapshot"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let schema: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(schema["title"], "Snapshot");
    assert!(schema["properties"]["resources"].is_object());
    let out = drready()
        .args(["controls", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let controls: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(controls.as_array().unwrap().len(), 61);
    drready()
        .args(["controls"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("61 controls"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // Reading a few bytes then closing: drready must not report an error.
    let bin = assert_cmd::cargo::cargo_bin("drready");
    let mut child = std::process::Command::new(bin)
        .args(["audit", "--example", "--format", "json", "--no-evidence"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut buf).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_resource_listed_twice_is_an_error_naming_the_snapshot() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "dup.json",
        r#"{"schema_version": 1, "collected_at": "2026-11-25T00:00:00Z",
            "resources": [{"type": "rds_instance", "id": "db-1"}, {"type": "rds_instance", "id": "db-1"}]}"#,
    );
    drready()
        .args(["audit", "--snapshot", &p])
        .assert()
        .code(2)
        .stderr(one_line_error(&p))
        .stderr(predicate::str::contains("db-1"));
}

#[test]
fn templates_can_be_overridden_and_a_broken_one_is_located() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "t/report.md.j2",
        "Overall {{ scorecard.overall.grade }} from {{ controls }} controls\n",
    );
    let d = dir.path().join("t");
    drready()
        .args([
            "audit",
            "--example",
            "--format",
            "markdown",
            "--templates",
            d.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stdout("Overall C from 61 controls\n");
    let p = write(dir.path(), "b/report.md.j2", "fine\n{% for x in %}\n");
    let d = dir.path().join("b");
    drready()
        .args([
            "audit",
            "--example",
            "--format",
            "markdown",
            "--templates",
            d.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{p}:2:")));
}

#[test]
fn untrusted_names_cannot_break_the_markdown_report() {
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "evil.json",
        r#"{"schema_version": 1, "collected_at": "2026-11-25T00:00:00Z",
            "resources": [{"type": "rds_instance", "id": "arn:aws:rds:us-east-1:1:db:x", "name": "<script>alert(1)</script>|x", "multi_az": false}]}"#,
    );
    let out = drready()
        .args(["audit", "--snapshot", &p, "--format", "markdown"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("<script>"), "{text}");
    assert!(
        text.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\|x"),
        "{text}"
    );
}

#[test]
fn the_shipped_policy_folder_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    drready()
        .args(["policy", "validate", dir.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("61 control(s) valid"));
}

#[test]
fn header_keys_after_the_resources_are_still_read() {
    let dir = TempDir::new().unwrap();
    // drready writes `resources` last and reads in one pass; a snapshot written otherwise is read
    // in two, with the same result.
    let p = write(
        dir.path(),
        "late.json",
        r#"{"schema_version": 1, "collected_at": "2026-11-25T00:00:00Z",
            "resources": [{"type": "rds_instance", "id": "db-1", "component": "orders", "multi_az": false}],
            "components": [{"name": "orders", "rto_seconds": 900, "rpo_seconds": 300, "multi_az": false}]}"#,
    );
    let out = drready()
        .args(["audit", "--snapshot", &p, "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let multi_az = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["control"] == "rds-multi-az")
        .unwrap();
    assert_eq!(multi_az["component"], "orders");
    assert_eq!(
        multi_az["status"], "not_applicable",
        "the late component does not require Multi-AZ"
    );
    let p = write(
        dir.path(),
        "extra.json",
        r#"{"schema_version": 1, "collected_at": "2026-11-25T00:00:00Z", "resources": [], "extra": 1}"#,
    );
    drready()
        .args(["audit", "--snapshot", &p])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `extra`"));
}

/// The example's scores per framework, by framework id, from the JSON report.
fn framework_scores(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["audit", "--example", "--no-evidence", "--format", "json"];
    args.extend_from_slice(extra);
    let out = drready()
        .args(&args)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    report["scorecard"]["frameworks"].clone()
}

#[test]
fn framework_scores_differ_and_follow_the_framework_files() {
    let frameworks = framework_scores(&[]);
    let score = |id: &str| {
        frameworks
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["framework"] == id)
            .unwrap_or_else(|| panic!("no {id}"))["score"]
            .as_f64()
            .unwrap()
    };
    let (soc2, iso, gdpr) = (score("soc2"), score("iso27001"), score("gdpr"));
    assert!(
        soc2 != gdpr && iso != gdpr && soc2 != iso,
        "{soc2} {iso} {gdpr}"
    );
    // Each requirement lists the controls its file maps, with a status that follows from theirs.
    let catalog = drready()
        .args(["frameworks", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let catalog: serde_json::Value = serde_json::from_slice(&catalog).unwrap();
    for (fw, scored) in catalog
        .as_array()
        .unwrap()
        .iter()
        .zip(frameworks.as_array().unwrap())
    {
        assert_eq!(fw["id"], scored["framework"]);
        for (req, got) in fw["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .zip(scored["requirements"].as_array().unwrap())
        {
            assert_eq!(req["id"], got["id"]);
            let mapped: Vec<&str> = req["controls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    assert!(!m["why"].as_str().unwrap().is_empty());
                    m["control"].as_str().unwrap()
                })
                .collect();
            let scored_ids: Vec<&str> = got["controls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap())
                .collect();
            assert_eq!(mapped, scored_ids, "{}", req["id"]);
            let statuses: Vec<&str> = got["controls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["status"].as_str().unwrap())
                .collect();
            let expected = if statuses.contains(&"not_met") {
                "not_met"
            } else if statuses.contains(&"no_evidence") {
                "no_evidence"
            } else if statuses.contains(&"met") {
                "met"
            } else {
                "not_assessed"
            };
            assert_eq!(got["status"], expected, "{}", req["id"]);
        }
    }
}

#[test]
fn a_framework_of_ones_own_is_scored_and_a_control_can_map_itself() {
    let dir = TempDir::new().unwrap();
    let fw = write(
        dir.path(),
        "f/dora.toml",
        "id = \"dora\"\ntitle = \"DORA\"\nname = \"Digital Operational Resilience Act, Art. 12\"\n\n[[requirements]]\nid = \"12.1\"\ntitle = \"Backup policies\"\n[requirements.controls]\nrds-backup-enabled = \"Backups must exist\"\n\n[[requirements]]\nid = \"12.4\"\ntitle = \"Restoration\"\n",
    );
    let fw_dir = Path::new(&fw)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    write(
        dir.path(),
        "p/extra.cedar",
        "@id(\"rds-engine-postgres\") @title(\"Databases run PostgreSQL\") @severity(\"low\") @dora(\"12.4\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { !(resource has engine && resource.engine like \"*postgres*\") };\n",
    );
    let p_dir = dir.path().join("p");
    let frameworks = framework_scores(&[
        "--frameworks",
        &fw_dir,
        "--policies",
        p_dir.to_str().unwrap(),
    ]);
    let dora = frameworks
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["framework"] == "dora")
        .unwrap();
    let reqs = dora["requirements"].as_array().unwrap();
    assert_eq!(reqs[0]["controls"][0]["id"], "rds-backup-enabled");
    assert_eq!(reqs[1]["controls"][0]["id"], "rds-engine-postgres");
    // The built-in frameworks are still there.
    assert_eq!(frameworks.as_array().unwrap().len(), 4);
    // A requirement the framework does not have is an error naming the policy.
    write(
        dir.path(),
        "q/extra.cedar",
        "@id(\"x-y\") @title(\"t\") @severity(\"low\") @dora(\"99\")\nforbid (principal, action == Action::\"audit\", resource is RdsDatabase)\nwhen { !(resource has engine) };\n",
    );
    let q_dir = dir.path().join("q");
    drready()
        .args([
            "controls",
            "--frameworks",
            &fw_dir,
            "--policies",
            q_dir.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!(
            "{}",
            q_dir.join("extra.cedar").display()
        )))
        .stderr(predicate::str::contains("names no requirement of DORA"));
}

#[test]
fn a_malformed_framework_file_exits_2_with_its_line() {
    let dir = TempDir::new().unwrap();
    let path = write(
        dir.path(),
        "f/soc2.toml",
        "id = \"soc2\"\ntitle = \"SOC 2\"\nname = \"x\"\n\n[[requirements]]\nid = \"A1.2\"\ntitle = \"t\"\n[requirements.controls]\nrds-backup-enabld = \"typo\"\n",
    );
    let fw_dir = Path::new(&path)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    drready()
        .args([
            "audit",
            "--example",
            "--no-evidence",
            "--frameworks",
            &fw_dir,
        ])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{path}:9:")))
        .stderr(predicate::str::contains("rds-backup-enabld"));
    std::fs::write(&path, "id = \"soc2\"\ntitle = \"SOC 2\"\n[[requirements]\n").unwrap();
    drready()
        .args(["frameworks", "--frameworks", &fw_dir])
        .assert()
        .code(2)
        .stderr(one_line_error(&format!("{path}:3:")));
}

#[test]
fn the_compliance_csv_has_a_row_per_requirement_control_and_resource() {
    let out = drready()
        .args(["audit", "--example", "--no-evidence", "--format", "csv"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(
        "evaluated_at,framework,requirement,requirement_title,requirement_status,control"
    ));
    let rows: Vec<&str> = lines.collect();
    // The PITR failure of the analytics database, under each requirement that maps the control.
    let pitr: Vec<&&str> = rows
        .iter()
        .filter(|r| {
            r.contains(",rds-pitr-within-rpo,")
                && r.contains("llm-marketplace-analytics")
                && r.contains(",fail,")
        })
        .collect();
    let reqs: Vec<&str> = pitr.iter().map(|r| r.split(',').nth(2).unwrap()).collect();
    assert!(
        reqs.contains(&"A1.2") && reqs.contains(&"A.8.13"),
        "{reqs:?}"
    );
    assert!(rows
        .iter()
        .any(|r| r.contains(",gdpr,\"32(1)(c)\"") || r.contains(",gdpr,32(1)(c),")));
    // A requirement no control covers is a row, not an absence.
    assert!(rows
        .iter()
        .any(|r| r.contains(",soc2,CC7.3,") && r.contains(",not_assessed,no control covers it")));
    // So is what was not collected at all.
    assert!(rows
        .iter()
        .any(|r| r.contains(",not_assessed,\"Kubernetes workloads")));
}
