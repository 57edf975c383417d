//! `drready remediate` end to end against moto_server: an audit fails on snapshot age, the plan
//! names the API calls and changes nothing, `--apply --yes` takes the snapshot and runs a measured
//! restore test (recorded as a DR test, its scratch instance deleted), and the next audit passes.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use common::{drready_with_keys, Moto};
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const CONFIG: &str = r#"
[scope]
regions = ["us-east-1"]

[[components]]
name = "orders"
rto = "1h"
rpo = "1h"
[components.match]
tags = { app = "orders" }

[dr_tests]
paths = ["restore-tests.jsonl"]
"#;

struct Env {
    moto: Moto,
    dir: TempDir,
}

impl Env {
    fn config(&self) -> String {
        self.dir
            .path()
            .join("drready.toml")
            .to_str()
            .unwrap()
            .to_string()
    }

    fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = drready_with_keys("testing", "testing");
        if args.contains(&"--evidence-dir") {
            cmd.env_remove("DRREADY_NO_EVIDENCE");
        }
        cmd.args(args)
            .args(["--config", &self.config(), "--endpoint-url", &self.moto.url])
            .assert()
    }

    /// status of (control, resource name) in a live audit.
    fn verdict(&self, control: &str, name: &str) -> (String, String) {
        let out = self
            .run(&["audit", "--format", "json"])
            .code(0)
            .get_output()
            .stdout
            .clone();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        doc["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| {
                v["control"] == control
                    && v["resource"].as_str().unwrap().rsplit([':', '/']).next() == Some(name)
            })
            .map(|v| {
                (
                    v["status"].as_str().unwrap().to_string(),
                    v["cause"].as_str().unwrap_or_default().to_string(),
                )
            })
            .unwrap_or_else(|| panic!("no verdict for {control} on {name}"))
    }
}

fn step<'a>(log: &'a Value, action: &str) -> &'a Value {
    log["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == action)
        .unwrap_or_else(|| panic!("no {action} step in {log}"))
}

#[test]
fn a_plan_changes_nothing_and_apply_fixes_what_it_can() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["stale"]);
    let env = Env {
        moto,
        dir: TempDir::new().unwrap(),
    };
    std::fs::write(env.config(), CONFIG).unwrap();
    assert_eq!(env.verdict("rds-latest-snapshot-age", "stale-db").0, "fail");

    // The plan: the exact calls, and nothing changes.
    let out = env
        .run(&["remediate", "--format", "json"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let plan: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(plan["applied"], false);
    let backup = step(&plan, "backup-now");
    assert_eq!(backup["call"]["api"], "rds:CreateDBSnapshot");
    assert_eq!(backup["call"]["params"]["DBInstanceIdentifier"], "stale-db");
    assert!(backup["controls"]
        .as_array()
        .unwrap()
        .contains(&Value::from("rds-latest-snapshot-age")));
    assert!(backup["outcome"].is_null());
    let restore = step(&plan, "restore-test");
    assert_eq!(restore["call"]["api"], "rds:RestoreDBInstanceToPointInTime");
    assert_eq!(step(&plan, "enable-deletion-protection")["modifies"], true);
    let table = env.run(&["remediate"]).code(0).get_output().stdout.clone();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("nothing changes without --apply"), "{table}");
    assert!(table.contains("rds:CreateDBSnapshot("), "{table}");
    assert_eq!(env.verdict("rds-latest-snapshot-age", "stale-db").0, "fail");

    // --apply asks first; without a terminal and without --yes it refuses, changing nothing.
    env.run(&["remediate", "--apply"])
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(env.verdict("rds-latest-snapshot-age", "stale-db").0, "fail");
    // A plan from a saved snapshot cannot be applied.
    drready_with_keys("testing", "testing")
        .args(["remediate", "--snapshot", "x.json", "--apply"])
        .assert()
        .code(2);

    // Apply: the snapshot, a measured restore test, its scratch instance cleaned up.
    let record = env.dir.path().join("restore-tests.jsonl");
    let evidence = env.dir.path().join("evidence");
    let out = env
        .run(&[
            "remediate",
            "--apply",
            "--yes",
            "--cleanup",
            "--poll",
            "1s",
            "--calls",
            "--format",
            "json",
            "--record",
            record.to_str().unwrap(),
            "--evidence-dir",
            evidence.to_str().unwrap(),
        ])
        .code(0)
        .get_output()
        .clone();
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["applied"], true);
    let backup = step(&log, "backup-now");
    assert_eq!(backup["outcome"]["status"], "done", "{backup}");
    let restore = step(&log, "restore-test");
    assert_eq!(restore["outcome"]["status"], "done", "{restore}");
    let scratch = restore["outcome"]["created"].as_str().unwrap();
    assert!(
        scratch.starts_with("drready-restore-test-stale-db-"),
        "{scratch}"
    );
    assert!(
        restore["outcome"]["detail"]
            .as_str()
            .unwrap()
            .contains("deleted"),
        "{restore}"
    );
    // Configuration changes wait for --allow modify.
    assert_eq!(
        step(&log, "enable-deletion-protection")["outcome"]["status"],
        "not-allowed"
    );

    // The restore test is recorded as a DR test of kind restore, with its measured RTO.
    let line = std::fs::read_to_string(&record).unwrap();
    let test: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(test["kind"], "restore");
    assert_eq!(test["component"], "orders");
    assert!(test["measured_rto_seconds"].as_u64().is_some());

    // Every call remediation made is in one of the two printed policies.
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut allowed: Vec<String> = Vec::new();
    for extra in [&[][..], &["--remediation"][..]] {
        let p = drready_with_keys("t", "t")
            .arg("iam-policy")
            .args(extra)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let p: Value = serde_json::from_slice(&p).unwrap();
        for st in p["Statement"].as_array().unwrap() {
            match &st["Action"] {
                Value::String(a) => allowed.push(a.clone()),
                Value::Array(a) => {
                    allowed.extend(a.iter().map(|x| x.as_str().unwrap().to_string()))
                }
                _ => {}
            }
        }
    }
    for op in stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split_whitespace().next())
    {
        let action = drready::aws::remediate::OPERATIONS
            .iter()
            .chain(drready::aws::permissions::OPERATIONS)
            .find(|(o, _)| *o == op)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("{op} has no IAM action"));
        assert!(
            allowed.iter().any(|a| a == action),
            "{action} is in no policy"
        );
    }

    // The remediation log is evidence, and the bundle verifies.
    let bundle = stderr
        .lines()
        .find_map(|l| l.strip_prefix("evidence: "))
        .unwrap();
    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(bundle).join("remediation.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(kept, log);
    drready_with_keys("t", "t")
        .args(["evidence", "verify", bundle])
        .assert()
        .code(0);

    // The next audit sees the new evidence: the snapshot, and the measured restore.
    assert_eq!(env.verdict("rds-latest-snapshot-age", "stale-db").0, "pass");
    let out = env
        .run(&["audit", "--format", "json"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let orders = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["spec"]["name"] == "orders")
        .unwrap();
    assert!(
        orders["last_restore_seconds"].as_i64().is_some(),
        "{orders}"
    );
    // moto has no restore jobs: a newer one could exist, so the control stays without evidence.
    let (status, cause) = env.verdict("restore-time-within-rto", "orders");
    assert_eq!(status, "no_evidence");
    assert!(cause.contains("ListRestoreJobs"), "{cause}");
    // The scratch instance is gone, and would not be judged anyway.
    let snap = env.run(&["collect"]).code(0).get_output().stdout.clone();
    let snap: Value = serde_json::from_slice(&snap).unwrap();
    let dbs: Vec<&str> = snap["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "rds_instance")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(dbs, ["stale-db"]);

    // Idempotent: judged two days on, the snapshot is stale and planned again, but when applied
    // now it is newer than the RPO, and nothing is taken. The restore was measured: no new test.
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let out = env
        .run(&[
            "remediate",
            "--apply",
            "--yes",
            "--no-evidence",
            "--format",
            "json",
            "--as-of",
            &later,
        ])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let again: Value = serde_json::from_slice(&out).unwrap();
    let backup = step(&again, "backup-now");
    assert_eq!(backup["outcome"]["status"], "skipped", "{backup}");
    assert!(backup["outcome"]["detail"]
        .as_str()
        .unwrap()
        .contains("newer than the RPO"));
    assert!(!again["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["action"] == "restore-test"));

    // With --allow modify the configuration fix runs; past --max-actions the rest waits.
    assert_eq!(env.verdict("rds-deletion-protection", "stale-db").0, "fail");
    let out = env
        .run(&[
            "remediate",
            "--apply",
            "--yes",
            "--allow",
            "modify",
            "--max-actions",
            "1",
            "--no-evidence",
            "--format",
            "json",
            "--as-of",
            &later,
        ])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let log: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        step(&log, "enable-deletion-protection")["outcome"]["status"],
        "done"
    );
    assert_eq!(step(&log, "backup-now")["outcome"]["status"], "over-limit");
    assert_eq!(env.verdict("rds-deletion-protection", "stale-db").0, "pass");
}

#[test]
fn a_plan_from_a_saved_snapshot_makes_no_call() {
    // The example snapshot: no AWS anywhere (no endpoint, no credentials needed).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = drready_with_keys("none", "none")
        .current_dir(root)
        .args(["remediate", "--snapshot", "evidence/example/snapshot.json"])
        .args([
            "--config",
            "evidence/example/drready.toml",
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let plan: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(plan["applied"], false);
    let steps = plan["steps"].as_array().unwrap();
    // The analytics cluster: point-in-time restore is hours old and no plan selects it.
    let backup = steps
        .iter()
        .find(|s| s["action"] == "backup-now" && s["name"] == "llm-marketplace-analytics")
        .unwrap();
    assert_eq!(backup["call"]["api"], "rds:CreateDBClusterSnapshot");
    assert!(steps.iter().all(|s| s["outcome"].is_null()));
    // What drready does not fix itself is listed as a next step.
    assert!(plan["manual"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["control"] == "doc-review-current"));
}

#[test]
fn collecting_without_a_region_is_an_error() {
    drready_with_keys("none", "none")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .args(["collect", "--endpoint-url", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no region to collect"));
}

// An action that fails (here AccessDenied on CreateDBSnapshot for a read-only user) makes
// `remediate --apply` exit 1, with the failure in the log.
#[test]
fn a_failed_action_exits_1() {
    // IAM is enforced after the seeding requests: seeding makes exactly this many with moto 5.2.
    const SEEDING: u64 = 7;
    let Some(moto) = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", &SEEDING.to_string())]) else {
        return;
    };
    let keys: Value = serde_json::from_str(moto.seed(&["stale-readonly"]).trim()).unwrap();
    assert_eq!(
        keys["requests"], SEEDING,
        "seeding made another number of requests"
    );
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = drready_with_keys(
        keys["key"].as_str().unwrap(),
        keys["secret"].as_str().unwrap(),
    )
    .args([
        "remediate",
        "--apply",
        "--yes",
        "--format",
        "json",
        "--config",
    ])
    .arg(&config)
    .args(["--endpoint-url", &moto.url])
    .assert()
    .code(1)
    .get_output()
    .stdout
    .clone();
    let log: Value = serde_json::from_slice(&out).unwrap();
    let backup = step(&log, "backup-now");
    assert_eq!(backup["call"]["api"], "rds:CreateDBSnapshot");
    let outcome = backup["outcome"].to_string();
    assert!(
        outcome.contains("failed") && outcome.contains("AccessDenied"),
        "{outcome}"
    );
}
