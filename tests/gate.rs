//! The CI gate on Terraform plans: the real plans of `tests/fixtures/terraform/` (copied from
//! `../shared/fixtures/terraform/`, see SOURCES.md there) and plans of our own
//! (`tests/fixtures/plans/`), every exit code, waivers, baselines, and SARIF validated against the
//! SARIF 2.1.0 JSON Schema.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::path::Path;

mod common;

use common::{drready, fixture};
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn gate_json(args: &[&str], code: i32) -> Value {
    let mut all = vec!["gate", "--format", "json", "--as-of", "2026-11-25"];
    all.extend_from_slice(args);
    let out = drready()
        .args(&all)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["outcome"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const DB_1: &str = "module.db.module.db_1.module.db_instance.aws_db_instance.this[0]";

#[test]
fn the_infracost_plan_fails_on_the_database_without_backups_or_multi_az() {
    let plan = fixture("terraform/infracost__terraform_v0.14_plan.json");
    drready()
        .args(["gate", "--plan", s(&plan)])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("rds-backup-enabled"))
        .stdout(predicate::str::contains("rds-multi-az"));
    let report = gate_json(&["--plan", s(&plan)], 1);
    let f = findings(&report);
    for control in [
        "rds-backup-enabled",
        "rds-backup-retention",
        "rds-multi-az",
        "rds-storage-encrypted",
    ] {
        assert!(
            f.contains(&(control.into(), DB_1.into(), "fail".into())),
            "{control}: {f:?}"
        );
    }
    // The second database's retention is known only after apply: neither pass nor fail.
    let db_2 = DB_1.replace("db_1", "db_2");
    assert!(
        f.contains(&("rds-backup-enabled".into(), db_2, "no_evidence".into())),
        "{f:?}"
    );
    // Controls that need live evidence do not apply to a plan.
    assert!(report["outcome"]["not_applicable"].as_u64().unwrap() > 0);
}

#[test]
fn a_benign_plan_passes_and_garbage_is_an_error() {
    let config = fixture("plans/drready.toml");
    let report = gate_json(
        &[
            "--plan",
            s(&fixture("plans/benign.json")),
            "--config",
            s(&config),
        ],
        0,
    );
    assert_eq!(findings(&report), Vec::<(String, String, String)>::new());
    assert!(report["outcome"]["passed"].as_u64().unwrap() >= 20);
    // An alarm-only plan has nothing to judge, and passes.
    drready()
        .args([
            "gate",
            "--plan",
            s(&fixture(
                "terraform/terraform-compliance__test_issue-197__plan.out.json",
            )),
        ])
        .assert()
        .code(0);

    let dir = TempDir::new().unwrap();
    for (name, text, message) in [
        ("garbage.json", "this is not json", "expected"),
        (
            "state.json",
            r#"{"version": 4, "resources": []}"#,
            "no `format_version`",
        ),
        (
            "future.json",
            r#"{"format_version": "2.0", "resource_changes": []}"#,
            "unsupported plan `format_version` 2.0",
        ),
        (
            "partial.json",
            r#"{"format_version": "1.2"}"#,
            "no `resource_changes`",
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        drready()
            .args(["gate", "--plan", s(&p)])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with(format!(
                "error: {}",
                p.display()
            )))
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn weakening_dr_in_a_plan_fails_and_deleting_dr_resources_is_a_finding() {
    let config = fixture("plans/drready.toml");
    let report = gate_json(
        &[
            "--plan",
            s(&fixture("plans/weakening.json")),
            "--config",
            s(&config),
        ],
        1,
    );
    let f = findings(&report);
    let want = [
        ("rds-backup-retention", "aws_db_instance.orders"),
        (
            "plan-dr-resource-deleted",
            "aws_db_instance.orders_replica (delete)",
        ),
        (
            "plan-dr-resource-deleted",
            "aws_backup_vault_lock_configuration.orders (delete)",
        ),
        (
            "plan-dr-resource-deleted",
            "aws_s3_bucket.backups (delete+create)",
        ),
        ("backup-plan-frequency-retention", "aws_backup_plan.orders"),
        ("backup-plan-cross-region-copy", "aws_backup_plan.orders"),
    ];
    for (c, r) in want {
        assert!(
            f.contains(&(c.into(), r.into(), "fail".into())),
            "{c} {r}: {f:?}"
        );
    }
    // Two cluster instances make the Aurora cluster Multi-AZ; its encryption is unknown until apply.
    assert!(
        !f.iter()
            .any(|(c, r, _)| c == "rds-multi-az" && r == "aws_rds_cluster.analytics"),
        "{f:?}"
    );
    assert!(f.contains(&(
        "rds-storage-encrypted".into(),
        "aws_rds_cluster.analytics".into(),
        "no_evidence".into()
    )));
}

#[test]
fn unknown_values_count_as_told() {
    let plan = fixture("terraform/terraform-compliance__test_issue-438__plan.out.json");
    let cluster = "aws_rds_cluster.db_cluster";
    let default = findings(&gate_json(&["--plan", s(&plan)], 1));
    assert!(
        default.contains(&(
            "rds-storage-encrypted".into(),
            cluster.into(),
            "no_evidence".into()
        )),
        "{default:?}"
    );
    let failing = findings(&gate_json(&["--plan", s(&plan), "--unknown", "fail"], 1));
    assert!(
        failing.contains(&(
            "rds-storage-encrypted".into(),
            cluster.into(),
            "fail".into()
        )),
        "{failing:?}"
    );
    let passing = findings(&gate_json(&["--plan", s(&plan), "--unknown", "pass"], 1));
    assert!(
        !passing.iter().any(|(c, _, _)| c == "rds-storage-encrypted"),
        "{passing:?}"
    );
    // Its retention of 1 day fails whatever the unknowns count as.
    assert!(passing.contains(&("rds-backup-retention".into(), cluster.into(), "fail".into())));
}

#[test]
fn fail_on_sets_the_threshold() {
    let plan = fixture("terraform/terraform-compliance__test_issue-438__plan.out.json");
    // Retention (high) and Multi-AZ (high) fail; deletion protection is medium.
    drready()
        .args(["gate", "--plan", s(&plan), "--fail-on", "critical"])
        .assert()
        .code(0);
    drready()
        .args(["gate", "--plan", s(&plan), "--fail-on", "high"])
        .assert()
        .code(1);
}

#[test]
fn waivers_accept_findings_until_they_expire() {
    let dir = TempDir::new().unwrap();
    let plan = fixture("terraform/infracost__terraform_v0.14_plan.json");
    let waive = |expires: &str| {
        let p = dir.path().join(format!("waivers-{expires}.toml"));
        let text = format!(
            "[[waiver]]\ncontrol = \"rds-multi-az\"\nresource = \"module.db.*\"\njustification = \"single-AZ demo databases\"\nowner = \"platform-team\"\nexpires = {expires}\n"
        );
        std::fs::write(&p, text).unwrap();
        p
    };
    let current = waive("2027-06-30");
    let f = findings(&gate_json(
        &["--plan", s(&plan), "--waivers", s(&current)],
        1,
    ));
    assert!(
        f.contains(&("rds-multi-az".into(), DB_1.into(), "waived".into())),
        "{f:?}"
    );
    let expired = waive("2026-01-31");
    let f = findings(&gate_json(
        &["--plan", s(&plan), "--waivers", s(&expired)],
        1,
    ));
    assert!(
        f.contains(&("rds-multi-az".into(), DB_1.into(), "waiver_expired".into())),
        "{f:?}"
    );
    drready()
        .args([
            "gate",
            "--plan",
            s(&plan),
            "--waivers",
            s(&expired),
            "--as-of",
            "2026-11-25",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("waiver expired"));
    // Every field is required; the error names the file and line.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[waiver]]\ncontrol = \"rds-multi-az\"\nresource = \"x\"\nowner = \"me\"\nexpires = 2027-01-01\n").unwrap();
    drready()
        .args(["gate", "--plan", s(&plan), "--waivers", s(&bad)])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: {}:1:",
            bad.display()
        )))
        .stderr(predicate::str::contains("missing field `justification`"));
}

#[test]
fn a_baseline_fails_only_on_new_findings() {
    let dir = TempDir::new().unwrap();
    let config = fixture("plans/drready.toml");
    let baseline = dir.path().join("baseline.json");
    // Accept what the weakening plan fails today...
    drready()
        .args([
            "gate",
            "--plan",
            s(&fixture("plans/weakening.json")),
            "--config",
            s(&config),
            "--write-baseline",
            s(&baseline),
        ])
        .assert()
        .code(1);
    drready()
        .args([
            "gate",
            "--plan",
            s(&fixture("plans/weakening.json")),
            "--config",
            s(&config),
            "--baseline",
            s(&baseline),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("baselined"));
    // ...and a plan with findings the baseline does not hold still fails.
    drready()
        .args([
            "gate",
            "--plan",
            s(&fixture("terraform/infracost__terraform_v0.14_plan.json")),
            "--baseline",
            s(&baseline),
        ])
        .assert()
        .code(1);
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("sarif/sarif-2.1.0-rtm.5.json")).unwrap(),
    )
    .unwrap();
    // The `language` pattern (of properties drready does not write) has a stray `]` that ECMAScript
    // regexes accept and Rust's reject when the schema itself is checked: use the pattern it means.
    let mut fixed = 0;
    for def in ["run", "toolComponent"] {
        let language = schema
            .pointer_mut(&format!("/definitions/{def}/properties/language/pattern"))
            .unwrap();
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = Value::String("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into());
        fixed += 1;
    }
    assert_eq!(fixed, 2);
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let dir = TempDir::new().unwrap();
    let waivers = dir.path().join("w.toml");
    std::fs::write(&waivers, "[[waiver]]\ncontrol = \"rds-multi-az\"\nresource = \"module.db.*\"\njustification = \"demo\"\nowner = \"me\"\nexpires = 2099-01-01\n").unwrap();
    let config = fixture("plans/drready.toml");
    for (plan, extra) in [
        (
            "terraform/infracost__terraform_v0.14_plan.json",
            vec!["--waivers", s(&waivers)],
        ),
        ("plans/weakening.json", vec!["--config", s(&config)]),
        ("plans/benign.json", vec!["--config", s(&config)]),
    ] {
        let plan = fixture(plan);
        let mut args = vec!["gate", "--plan", s(&plan), "--format", "sarif"];
        args.extend(extra);
        let out = drready().args(&args).output().unwrap();
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", plan.display());
        assert_eq!(sarif["version"], "2.1.0");
        // Locations are relative to the repository root, with the line of the resource's change.
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let rel = plan
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uri"], rel.as_str());
            let address = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap();
            if address.contains("(not in the plan)") {
                assert!(loc["region"].is_null());
                continue;
            }
            let address = address.split(" (").next().unwrap();
            let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
            let text = std::fs::read_to_string(&plan).unwrap();
            let at = text.lines().nth(line - 1).unwrap();
            assert!(
                at.contains(&format!("{address:?}")) || text.lines().count() == 1,
                "{address} at line {line}: {at}"
            );
        }
        // The validator does reject what breaks the schema.
        let mut broken = sarif.clone();
        broken["runs"][0]["results"] = Value::String("none".into());
        assert!(!validator.is_valid(&broken));
    }
}

#[test]
fn junit_and_markdown_for_ci_systems() {
    let plan = fixture("terraform/infracost__terraform_v0.14_plan.json");
    let out = drready()
        .args(["gate", "--plan", s(&plan), "--format", "junit"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let xml = String::from_utf8(out).unwrap();
    // Valid against the Jenkins JUnit schema (junit-10.xsd), checked by the JDK's validator.
    let have_java = std::process::Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if have_java {
        let dir = TempDir::new().unwrap();
        let file = dir.path().join("junit.xml");
        std::fs::write(&file, &xml).unwrap();
        let run = std::process::Command::new("java")
            .arg(fixture("junit/Validate.java"))
            .arg(fixture("junit/junit-10.xsd"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    } else {
        common::skip_or_fail(
            "java",
            "java is not installed (the JUnit schema check needs it)",
        );
    }
    // A failure carries the facts in its body.
    assert!(xml.contains("facts: backup_retention_days"), "{xml}");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert!(xml.contains("<testsuite name=\"rds-backup-enabled\""));
    assert!(xml.contains("<failure message="));
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    assert_eq!(
        xml.matches("<testcase ").count(),
        xml.matches("</testcase>").count() + xml.matches("\"/>\n").count()
    );
    drready()
        .args(["gate", "--plan", s(&plan), "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "### ❌ drready DR gate: FAILED",
        ))
        .stdout(predicate::str::contains(
            "| ❌ fail | critical | `rds-backup-enabled` |",
        ));
}

#[test]
fn s3_plans_join_split_resources_and_inline_blocks() {
    let dir = TempDir::new().unwrap();
    // These buckets are not named as backup buckets: the `[s3]` rule makes them so, the same rule
    // live collection applies.
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, "[scope]\ndr_region = \"us-west-2\"\n[s3]\nbuckets = [\"*\"]\n[[components]]\nname = \"buckets\"\nrto = \"4h\"\nrpo = \"1h\"\n[components.match]\ntypes = [\"s3_bucket\"]\n").unwrap();
    let report = gate_json(
        &[
            "--plan",
            s(&fixture(
                "terraform/regula__versioning_lifecycle_enabled_infra.json",
            )),
            "--config",
            s(&config),
        ],
        1,
    );
    let f = findings(&report);
    let failing =
        |c: &str, r: &str| f.contains(&(c.into(), format!("aws_s3_bucket.{r}"), "fail".into()));
    // Versioning by split resource and by inline block passes; no versioning fails.
    assert!(!failing(
        "s3-backup-versioning",
        "allow_attached_resource_versioning"
    ));
    assert!(!failing(
        "s3-backup-versioning",
        "allow_inline_versioning_and_lifecycle"
    ));
    assert!(failing("s3-backup-versioning", "deny_no_versioning"));
    // Lifecycle expiry read from the split resource (7 days) and the inline rule (30 days).
    assert!(failing(
        "s3-backup-retention",
        "allow_attached_resource_versioning"
    ));
    assert!(failing(
        "s3-backup-retention",
        "allow_inline_versioning_and_lifecycle"
    ));
    assert!(failing("s3-backup-max-retention", "deny_no_lifecycle"));
    // Deleting a backup bucket is a finding; updating one is judged.
    let report = gate_json(
        &[
            "--plan",
            s(&fixture(
                "terraform/snyk-policy-engine__resource-changes__plan.json",
            )),
            "--config",
            s(&config),
        ],
        1,
    );
    let f = findings(&report);
    assert!(
        f.contains(&(
            "plan-dr-resource-deleted".into(),
            "aws_s3_bucket.delete_bucket (delete)".into(),
            "fail".into()
        )),
        "{f:?}"
    );
    assert!(f.iter().any(|(_, r, _)| r == "aws_s3_bucket.update_bucket"));
    assert!(!f
        .iter()
        .any(|(_, r, _)| r.starts_with("aws_s3_bucket.noop_bucket")));
}

/// A plan of these resource changes: (address, type, actions, before, after).
fn plan_of(changes: &[(&str, &str, &[&str], Value, Value)]) -> Value {
    serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": changes.iter().map(|(address, ty, actions, before, after)| {
            let name = address.rsplit('.').next().unwrap();
            serde_json::json!({
                "address": address, "mode": "managed", "type": ty, "name": name,
                "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
            })
        }).collect::<Vec<_>>(),
    })
}

fn gate_plan(
    dir: &TempDir,
    plan: &Value,
    config: &str,
    code: i32,
) -> Vec<(String, String, String)> {
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let cfg = dir.path().join("drready.toml");
    std::fs::write(&cfg, config).unwrap();
    findings(&gate_json(&["--plan", s(&path), "--config", s(&cfg)], code))
}

// A weakening that reaches a backup bucket through its split versioning resource is judged, whether
// the bucket itself is unchanged in the plan or not in it at all.
#[test]
fn weakenings_through_other_resources_are_judged() {
    let dir = TempDir::new().unwrap();
    let bucket = serde_json::json!({"bucket": "orders-backups"});
    let suspended = |b: &str| serde_json::json!({"bucket": b, "versioning_configuration": [{"status": "Suspended"}]});
    let enabled = serde_json::json!({"bucket": "orders-backups", "versioning_configuration": [{"status": "Enabled"}]});
    let plan = plan_of(&[
        (
            "aws_s3_bucket.b",
            "aws_s3_bucket",
            &["no-op"],
            bucket.clone(),
            bucket,
        ),
        (
            "aws_s3_bucket_versioning.b",
            "aws_s3_bucket_versioning",
            &["update"],
            enabled,
            suspended("orders-backups"),
        ),
    ]);
    let f = gate_plan(&dir, &plan, "", 1);
    assert!(
        f.contains(&(
            "s3-backup-versioning".into(),
            "aws_s3_bucket.b".into(),
            "fail".into()
        )),
        "{f:?}"
    );
    // The bucket is not in the plan: judged on what the change says, the rest is no evidence.
    let plan = plan_of(&[(
        "aws_s3_bucket_versioning.v",
        "aws_s3_bucket_versioning",
        &["create"],
        Value::Null,
        suspended("ledger-backups"),
    )]);
    let f = gate_plan(&dir, &plan, "", 1);
    let outside = "aws_s3_bucket `ledger-backups` (not in the plan)".to_string();
    assert!(
        f.contains(&(
            "s3-backup-versioning".into(),
            outside.clone(),
            "fail".into()
        )),
        "{f:?}"
    );
    assert!(
        f.contains(&("s3-backup-encrypted".into(), outside, "no_evidence".into())),
        "{f:?}"
    );
    // An Aurora cluster losing an instance is judged again: one member is not Multi-AZ.
    let cluster = serde_json::json!({"cluster_identifier": "ledger", "backup_retention_period": 7, "storage_encrypted": true, "deletion_protection": true});
    let member = |n: &str| serde_json::json!({"identifier": n, "cluster_identifier": "ledger"});
    let plan = plan_of(&[
        (
            "aws_rds_cluster.c",
            "aws_rds_cluster",
            &["no-op"],
            cluster.clone(),
            cluster,
        ),
        (
            "aws_rds_cluster_instance.a",
            "aws_rds_cluster_instance",
            &["no-op"],
            member("a"),
            member("a"),
        ),
        (
            "aws_rds_cluster_instance.b",
            "aws_rds_cluster_instance",
            &["delete"],
            member("b"),
            Value::Null,
        ),
    ]);
    let f = gate_plan(&dir, &plan, "", 1);
    assert!(
        f.contains(&(
            "rds-multi-az".into(),
            "aws_rds_cluster.c".into(),
            "fail".into()
        )),
        "{f:?}"
    );
}

#[test]
fn an_unknown_action_is_an_error() {
    let dir = TempDir::new().unwrap();
    let plan = plan_of(&[(
        "aws_db_instance.db",
        "aws_db_instance",
        &["obliterate"],
        Value::Null,
        serde_json::json!({}),
    )]);
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    drready()
        .args(["gate", "--plan", s(&path)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "resource change `aws_db_instance.db` has unknown action `obliterate`",
        ));
}

// The rules live collection and the gate share give the same verdict on the same facts: the vault
// policy's deny (wildcard actions, everyone as principal), continuous backup's interval, and which
// buckets hold backups (`[s3]`).
#[test]
fn the_gate_and_live_collection_share_their_rules() {
    let dir = TempDir::new().unwrap();
    let policies = [
        (
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"backup:Delete*","Resource":"*"}]}"#,
            "wild",
        ),
        (
            r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:role/x"},"Action":"backup:DeleteRecoveryPoint","Resource":"*"}]}"#,
            "one",
        ),
    ];
    let mut changes: Vec<(String, &str, &[&str], Value, Value)> = Vec::new();
    for (policy, name) in policies {
        let vault =
            serde_json::json!({"name": name, "kms_key_arn": "arn:aws:kms:us-east-1:1:key/k"});
        changes.push((
            format!("aws_backup_vault.{name}"),
            "aws_backup_vault",
            &["create"],
            Value::Null,
            vault,
        ));
        changes.push((
            format!("aws_backup_vault_policy.{name}"),
            "aws_backup_vault_policy",
            &["create"],
            Value::Null,
            serde_json::json!({"backup_vault_name": name, "policy": policy}),
        ));
    }
    let rule = serde_json::json!({"name": "pitr", "rule": [{"rule_name": "continuous", "schedule": "cron(0 5 ? * * *)", "enable_continuous_backup": true, "lifecycle": [{"delete_after": 35}]}]});
    changes.push((
        "aws_backup_plan.pitr".into(),
        "aws_backup_plan",
        &["create"],
        Value::Null,
        rule,
    ));
    let dumps = serde_json::json!({"bucket": "orders-dumps"});
    changes.push((
        "aws_s3_bucket.dumps".into(),
        "aws_s3_bucket",
        &["create"],
        Value::Null,
        dumps,
    ));
    let refs: Vec<(&str, &str, &[&str], Value, Value)> = changes
        .iter()
        .map(|(a, t, x, b, c)| (a.as_str(), *t, *x, b.clone(), c.clone()))
        .collect();
    let plan = plan_of(&refs);
    let f = gate_plan(
        &dir,
        &plan,
        "[params]\nbackup_frequency = \"30m\"\n[s3]\nbuckets = [\"*-dumps\"]\n",
        1,
    );
    let status = |c: &str, r: &str| {
        f.iter()
            .find(|(fc, fr, _)| fc == c && fr == r)
            .map_or("pass", |(_, _, s)| s.as_str())
            .to_string()
    };
    for (policy, name) in policies {
        let live = drready::model::rules::denies_recovery_point_deletion(policy);
        let gate = status(
            "backup-vault-deletion-denied",
            &format!("aws_backup_vault.{name}"),
        );
        assert_eq!(gate == "pass", live, "{name}: gate {gate}, live {live}");
    }
    assert!(drready::model::rules::denies_recovery_point_deletion(
        policies[0].0
    ));
    // Continuous backup is five minutes old on both paths: within a 30-minute frequency.
    assert_eq!(
        drready::model::rules::backup_rule_interval(true, None),
        Some(300)
    );
    assert_eq!(
        status("backup-plan-frequency-retention", "aws_backup_plan.pitr"),
        "pass"
    );
    // `[s3]` makes `orders-dumps` a backup bucket for the gate as for collection.
    assert!(
        f.iter().any(|(_, r, _)| r == "aws_s3_bucket.dumps"),
        "{f:?}"
    );
}

// `plan-dr-resource-deleted` decided from real Terraform types and attributes, one plan each.
#[test]
fn deleting_dr_resources_is_decided_by_their_terraform_type() {
    let dir = TempDir::new().unwrap();
    let j = |v: Value| v;
    let cases: Vec<(&str, Value, bool)> = vec![
        (
            "aws_backup_vault",
            j(serde_json::json!({"name": "v"})),
            true,
        ),
        (
            "aws_backup_vault_lock_configuration",
            j(serde_json::json!({"backup_vault_name": "v"})),
            true,
        ),
        ("aws_backup_plan", j(serde_json::json!({"name": "p"})), true),
        (
            "aws_backup_selection",
            j(serde_json::json!({"name": "s"})),
            true,
        ),
        (
            "aws_rds_cluster",
            j(serde_json::json!({"cluster_identifier": "c"})),
            true,
        ),
        (
            "aws_db_instance_automated_backups_replication",
            j(serde_json::json!({})),
            true,
        ),
        (
            "aws_db_instance",
            j(serde_json::json!({"identifier": "r", "replicate_source_db": "primary"})),
            true,
        ),
        (
            "aws_s3_bucket",
            j(serde_json::json!({"bucket": "orders-backups"})),
            true,
        ),
        (
            "aws_s3_bucket_versioning",
            j(serde_json::json!({"bucket": "orders-backups"})),
            true,
        ),
        (
            "aws_s3_bucket_object_lock_configuration",
            j(serde_json::json!({"bucket": "orders-backups"})),
            true,
        ),
        (
            "aws_s3_bucket_replication_configuration",
            j(serde_json::json!({"bucket": "orders-backups"})),
            true,
        ),
        (
            "aws_s3_bucket",
            j(serde_json::json!({"bucket": "web-assets"})),
            false,
        ),
        (
            "aws_cloudwatch_metric_alarm",
            j(serde_json::json!({"alarm_name": "a"})),
            false,
        ),
    ];
    for (ty, before, critical) in cases {
        let address = format!("{ty}.x");
        let plan = plan_of(&[(&address, ty, &["delete"], before, Value::Null)]);
        let f = gate_plan(&dir, &plan, "", if critical { 1 } else { 0 });
        let failed = f.iter().any(|(c, r, s)| {
            c == "plan-dr-resource-deleted" && r.starts_with(&address) && s == "fail"
        });
        assert_eq!(failed, critical, "{ty}: {f:?}");
    }
}

/// A plan of the platform's tiers, as `terraform show -json` writes it (two providers: the primary
/// region and the DR region), with the weakenings `weak` asks for.
fn platform_plan(weak: bool) -> Value {
    use serde_json::json;
    let rc = |address: &str,
              ty: &str,
              actions: &[&str],
              before: Value,
              after: Value,
              unknown: Value| {
        let name = address.rsplit('.').next().unwrap();
        json!({"address": address, "mode": "managed", "type": ty, "name": name,
               "provider_name": "registry.terraform.io/hashicorp/aws",
               "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown}})
    };
    let cfg = |address: &str, provider: &str| json!({"address": address, "provider_config_key": provider, "expressions": {}});
    let cluster = |name: &str, version: &str| {
        json!({
            "name": name, "version": version, "role_arn": "arn:aws:iam::123456789012:role/eks",
            "enabled_cluster_log_types": ["api", "audit"],
            "encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"}]}],
        })
    };
    let group = |cluster: &str, desired: u64| {
        json!({
            "cluster_name": cluster, "node_group_name": format!("{cluster}-main"),
            "scaling_config": [{"desired_size": desired, "min_size": desired, "max_size": 6}],
        })
    };
    let record = |name: &str, side: &str, value: &str, ttl: u64, hc: Option<&str>| {
        let mut r = json!({"zone_id": "Z123", "name": name, "type": "CNAME", "ttl": ttl, "records": [value],
                           "set_identifier": side.to_lowercase(), "failover_routing_policy": [{"type": side}]});
        if let Some(h) = hc {
            r["health_check_id"] = json!(h);
        }
        r
    };
    let domain = |zones: bool| {
        json!({
            "domain_name": "search", "engine_version": "OpenSearch_2.11",
            "cluster_config": [{"instance_count": 3, "zone_awareness_enabled": zones,
                                "zone_awareness_config": if zones { json!([{"availability_zone_count": 3}]) } else { json!([]) },
                                "dedicated_master_enabled": true, "dedicated_master_count": 3}],
            "encrypt_at_rest": [{"enabled": true}], "node_to_node_encryption": [{"enabled": true}],
        })
    };
    let (dr_version, dr_nodes, zones, ttl) = if weak {
        ("1.28", 0, false, 300)
    } else {
        ("1.30", 2, true, 60)
    };
    let secondary = record(
        "api.example.com",
        "SECONDARY",
        "api-dr.us-west-2.elb.amazonaws.com",
        60,
        None,
    );
    let mut changes = vec![
        rc(
            "aws_eks_cluster.shop",
            "aws_eks_cluster",
            &["no-op"],
            cluster("shop", "1.30"),
            cluster("shop", "1.30"),
            json!({}),
        ),
        rc(
            "aws_eks_cluster.shop_dr",
            "aws_eks_cluster",
            &["update"],
            cluster("shop-dr", "1.30"),
            cluster("shop-dr", dr_version),
            json!({}),
        ),
        rc(
            "aws_eks_node_group.shop_dr",
            "aws_eks_node_group",
            &["update"],
            group("shop-dr", 2),
            group("shop-dr", dr_nodes),
            json!({}),
        ),
        rc(
            "aws_opensearch_domain.search",
            "aws_opensearch_domain",
            &["update"],
            domain(true),
            domain(zones),
            json!({}),
        ),
        // The primary's health check is created with it: its id is known after apply.
        rc(
            "aws_route53_record.api_primary",
            "aws_route53_record",
            &["create"],
            Value::Null,
            record(
                "api.example.com",
                "PRIMARY",
                "api.us-east-1.elb.amazonaws.com",
                ttl,
                None,
            ),
            json!({"health_check_id": true}),
        ),
        rc(
            "aws_route53_health_check.api",
            "aws_route53_health_check",
            &["create"],
            Value::Null,
            json!({"type": "HTTPS"}),
            json!({"id": true}),
        ),
    ];
    if weak {
        changes.push(rc(
            "aws_route53_record.api_secondary",
            "aws_route53_record",
            &["delete"],
            secondary,
            Value::Null,
            json!({}),
        ));
    } else {
        changes.push(rc(
            "aws_route53_record.api_secondary",
            "aws_route53_record",
            &["no-op"],
            secondary.clone(),
            secondary,
            json!({}),
        ));
    }
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}},
                "aws.dr": {"name": "aws", "alias": "dr", "expressions": {"region": {"constant_value": "us-west-2"}}},
            },
            "root_module": {"resources": [
                cfg("aws_eks_cluster.shop", "aws"),
                cfg("aws_eks_cluster.shop_dr", "aws.dr"),
                cfg("aws_eks_node_group.shop_dr", "aws.dr"),
                cfg("aws_opensearch_domain.search", "aws"),
                cfg("aws_route53_record.api_primary", "aws"),
                cfg("aws_route53_record.api_secondary", "aws"),
                cfg("aws_route53_health_check.api", "aws"),
            ]},
        },
    })
}

// The platform's Terraform resources are judged with the live collectors' rules: a DR cluster
// paired by the `-dr` convention across providers, its node groups, a search domain, failover
// records grouped into a name; deleting the SECONDARY is a DR resource deleted.
#[test]
fn platform_plans_are_judged_with_the_live_rules() {
    let dir = TempDir::new().unwrap();
    let config = "[scope]\ndr_region = \"us-west-2\"\n";
    let healthy = gate_plan(&dir, &platform_plan(false), config, 0);
    let failed = |f: &[(String, String, String)], c: &str, r: &str| {
        f.iter()
            .any(|(fc, fr, s)| fc == c && fr.starts_with(r) && s == "fail")
    };
    assert!(!healthy.iter().any(|(_, _, s)| s == "fail"), "{healthy:?}");
    let weak = gate_plan(&dir, &platform_plan(true), config, 1);
    for (control, resource) in [
        ("eks-dr-version-parity", "aws_eks_cluster.shop"),
        ("eks-dr-capacity", "aws_eks_cluster.shop"),
        ("opensearch-zone-awareness", "aws_opensearch_domain.search"),
        ("route53-failover-pair", "Z123/api.example.com./CNAME"),
        ("route53-failover-ttl", "Z123/api.example.com./CNAME"),
        (
            "plan-dr-resource-deleted",
            "aws_route53_record.api_secondary",
        ),
    ] {
        assert!(
            failed(&weak, control, resource),
            "{control} on {resource}: {weak:?}"
        );
    }
    // What the weak plan keeps is still judged, and passes: no finding of any kind on it.
    for (control, resource) in [
        ("eks-dr-cluster-ready", "aws_eks_cluster.shop"),
        ("eks-secrets-encrypted", "aws_eks_cluster.shop"),
        (
            "route53-primary-health-check",
            "Z123/api.example.com./CNAME",
        ),
        ("opensearch-encrypted", "aws_opensearch_domain.search"),
    ] {
        assert!(
            !weak
                .iter()
                .any(|(c, r, _)| c == control && r.starts_with(resource)),
            "{control} on {resource}: {weak:?}"
        );
    }
    let report = gate_json(
        &[
            "--plan",
            s(&dir.path().join("plan.json")),
            "--config",
            s(&dir.path().join("drready.toml")),
        ],
        1,
    );
    assert!(
        report["outcome"]["passed"].as_u64().unwrap() >= 4,
        "{}",
        report["outcome"]
    );
}

// Deleting a DR cluster, its node group, a SECONDARY record or a health check is a DR resource
// deleted; deleting a primary cluster's node group or a PRIMARY record is judged by what remains.
#[test]
fn deleting_platform_dr_resources_is_a_finding() {
    let dir = TempDir::new().unwrap();
    let config = "[scope]\ndr_region = \"us-west-2\"\n";
    let cases: Vec<(&str, Value, bool)> = vec![
        (
            "aws_eks_cluster",
            serde_json::json!({"name": "shop-dr"}),
            true,
        ),
        (
            "aws_eks_node_group",
            serde_json::json!({"cluster_name": "shop-dr", "node_group_name": "standby"}),
            true,
        ),
        (
            "aws_eks_node_group",
            serde_json::json!({"cluster_name": "shop", "node_group_name": "main"}),
            false,
        ),
        (
            "aws_route53_record",
            serde_json::json!({"name": "api", "failover_routing_policy": [{"type": "SECONDARY"}]}),
            true,
        ),
        (
            "aws_route53_record",
            serde_json::json!({"name": "api", "type": "A"}),
            false,
        ),
        (
            "aws_route53_health_check",
            serde_json::json!({"type": "HTTPS"}),
            true,
        ),
    ];
    for (ty, before, critical) in cases {
        let address = format!("{ty}.x");
        let plan = plan_of(&[(&address, ty, &["delete"], before.clone(), Value::Null)]);
        let f = gate_plan(&dir, &plan, config, if critical { 1 } else { 0 });
        let failed = f.iter().any(|(c, r, s)| {
            c == "plan-dr-resource-deleted" && r.starts_with(&address) && s == "fail"
        });
        assert_eq!(failed, critical, "{ty} {before}: {f:?}");
    }
}
