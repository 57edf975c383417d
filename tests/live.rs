//! The live collectors against a real AWS API on loopback: moto_server, started here on a free
//! port and seeded through the AWS API itself (`tests/moto/seed.py`, boto3) with good and bad
//! resources in two regions. The audit's verdicts must match what was planted, and what moto does
//! not implement must show as no_evidence with its cause, never as a pass.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::collections::BTreeMap;

use common::{drready, drready_with_keys, Moto};
use serde_json::Value;
use tempfile::TempDir;

const CONFIG: &str = r#"
[scope]
regions = ["us-east-1"]
dr_region = "us-west-2"

[params]
dr_role = "DRAutomationRole"

[[components]]
name = "orders"
rto = "1h"
rpo = "1h"
cross_region = true
[components.match]
tags = { app = "orders" }
"#;

/// (control, resource short name) → (status, cause).
fn verdicts(report: &[u8]) -> BTreeMap<(String, String), (String, String)> {
    let doc: Value = serde_json::from_slice(report).unwrap();
    doc["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let id = v["resource"].as_str().unwrap();
            let name = id.rsplit([':', '/']).next().unwrap().to_string();
            (
                (v["control"].as_str().unwrap().to_string(), name),
                (
                    v["status"].as_str().unwrap().to_string(),
                    v["cause"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

fn status<'a>(
    v: &'a BTreeMap<(String, String), (String, String)>,
    control: &str,
    resource: &str,
) -> &'a str {
    v.get(&(control.to_string(), resource.to_string()))
        .map(|(s, _)| s.as_str())
        .unwrap_or_else(|| panic!("no verdict for {control} on {resource}"))
}

#[test]
fn a_live_audit_judges_what_was_planted() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["planted"]);
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let cfg = config.to_str().unwrap();

    let evidence = dir.path().join("evidence");
    let out = drready_with_keys("testing", "testing")
        .env_remove("DRREADY_NO_EVIDENCE")
        .args([
            "audit",
            "--config",
            cfg,
            "--endpoint-url",
            &moto.url,
            "--format",
            "json",
        ])
        .args(["--evidence-dir", evidence.to_str().unwrap()])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("collected "), "{stderr}");
    // The bundle keeps the collected snapshot, and re-evaluating it gives the same reports.
    let bundle = stderr
        .lines()
        .find_map(|l| l.strip_prefix("evidence: "))
        .unwrap()
        .to_string();
    assert!(bundle.contains("123456789012"), "{bundle}");
    drready_with_keys("testing", "testing")
        .args(["evidence", "verify", &bundle])
        .assert()
        .code(0);
    // Its provenance: collected live, by the identity STS names (moto's default caller).
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(&bundle).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["provenance"]["source"], "live");
    let caller = manifest["provenance"]["collected_by"].as_str().unwrap();
    assert!(
        caller.starts_with("arn:aws:") && caller.contains("123456789012"),
        "{caller}"
    );
    assert_eq!(manifest["scope"]["collected_by"], caller);
    let snapshot: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(&bundle).join("inputs/snapshot.json"))
            .unwrap(),
    )
    .unwrap();
    let text = serde_json::to_string(&snapshot).unwrap();
    assert!(
        !text.contains("not-a-secret"),
        "a password entered the snapshot"
    );
    assert!(
        !text.contains("testing"),
        "a credential entered the snapshot"
    );
    // Plans are named by id in their ARN: their names come from the snapshot.
    let names: BTreeMap<String, String> = snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let id = r["id"].as_str()?;
            let short = id.rsplit([':', '/']).next()?;
            Some((short.to_string(), r["name"].as_str()?.to_string()))
        })
        .collect();
    let v: BTreeMap<(String, String), (String, String)> = verdicts(&out.stdout)
        .into_iter()
        .map(|((c, r), x)| ((c, names.get(&r).cloned().unwrap_or(r)), x))
        .collect();
    let expect = |control: &str, resource: &str, want: &str| {
        assert_eq!(
            status(&v, control, resource),
            want,
            "{control} on {resource}: {:?}",
            v.get(&(control.to_string(), resource.to_string()))
        );
    };

    // RDS, in both regions (the DR region is collected too), replicas judged through the primary.
    expect("rds-backup-enabled", "good-db", "pass");
    expect("rds-backup-enabled", "bad-db", "fail");
    expect("rds-backup-retention", "west-db", "fail");
    expect("rds-storage-encrypted", "bad-db", "fail");
    expect("rds-storage-encrypted", "good-db", "pass");
    expect("rds-multi-az", "bad-db", "fail");
    expect("rds-deletion-protection", "bad-db", "fail");
    expect("rds-pitr-within-rpo", "good-db", "pass");
    expect("rds-snapshot-encrypted", "bad-db", "fail");
    // The replica in us-west-2 and the snapshot copied there.
    expect("rds-cross-region-copy", "good-db", "pass");
    // ReplicaLag read from CloudWatch in the replica's region: max 42 s, within the 1 h RPO.
    expect("rds-replica-lag-within-rpo", "good-db", "pass");
    expect("alarm-replica-lag", "good-db", "pass");
    assert!(
        !v.keys().any(|(_, r)| r == "good-db-replica"),
        "a read replica is judged through its primary"
    );
    // moto 5.2 does not implement backup selections: membership is unknown, not "none".
    expect("rds-protected-by-backup-plan", "good-db", "no_evidence");
    let (_, cause) = &v[&(
        "rds-protected-by-backup-plan".to_string(),
        "good-db".to_string(),
    )];
    assert!(cause.contains("ListBackupSelections"), "{cause}");

    // S3: by name (`*backup*`) or tag; a bucket that holds no backups is not judged.
    expect("s3-backup-encrypted", "orders-backup", "pass");
    expect("s3-backup-encrypted", "legacy-backups", "fail");
    expect("s3-backup-encrypted", "wal-archive", "fail");
    expect("s3-backup-object-lock", "orders-backup", "pass");
    expect("s3-backup-object-lock", "legacy-backups", "fail");
    expect("s3-backup-public-access", "orders-backup", "pass");
    expect("s3-backup-public-access", "legacy-backups", "fail");
    expect("s3-backup-replication", "orders-backup", "pass");
    expect("s3-backup-replication", "legacy-backups", "fail");
    expect("s3-backup-retention", "orders-backup", "pass");
    expect("s3-backup-freshness", "orders-backup", "pass");
    assert!(!v.keys().any(|(_, r)| r == "website-assets"));
    // Expiry on a date has no age in days: neither "kept long enough" nor "never expires".
    expect("s3-backup-retention", "dated-backups", "no_evidence");
    let (_, cause) = &v[&(
        "s3-backup-retention".to_string(),
        "dated-backups".to_string(),
    )];
    assert!(cause.contains("on a date"), "{cause}");
    // moto answers GetBucketVersioning with a root element the SDK rejects: a gap, not a pass.
    expect("s3-backup-versioning", "orders-backup", "no_evidence");

    // AWS Backup plans and vaults.
    expect("backup-plan-frequency-retention", "daily", "pass");
    expect("backup-plan-cross-region-copy", "daily", "pass");
    expect("backup-plan-frequency-retention", "weekly-short", "fail");
    expect("backup-plan-cross-region-copy", "weekly-short", "fail");
    expect("backup-vault-lock", "main-vault", "pass");
    expect("backup-vault-lock", "unlocked-vault", "fail");
    expect("backup-vault-deletion-denied", "main-vault", "no_evidence");
    // Recovery points, jobs and restores: not in moto, so unlisted and no_evidence.
    let unlisted: Vec<_> = v
        .iter()
        .filter(|((c, _), _)| c == "backup-last-recovery-point")
        .collect();
    assert!(!unlisted.is_empty());
    assert!(unlisted
        .iter()
        .all(|(_, (s, cause))| s == "no_evidence" && cause.contains("ListProtectedResources")));

    // Restore jobs are not in moto: the newest restore of a component is unknown, not absent.
    expect("restore-time-within-rto", "orders", "no_evidence");
    let (_, cause) = &v[&("restore-time-within-rto".to_string(), "orders".to_string())];
    assert!(cause.contains("ListRestoreJobs"), "{cause}");

    // IAM and alarms.
    expect("iam-backup-deletion-restricted", "backup-admin", "fail");
    expect("iam-backup-deletion-restricted", "reader", "pass");
    expect("iam-dr-role-least-privilege", "DRAutomationRole", "pass");
    expect("alarm-backup-failure", "us-east-1", "pass");
    expect("alarm-backup-failure", "us-west-2", "fail");
}

#[test]
fn a_saved_snapshot_is_judged_later_and_ages_count_from_as_of() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["planted"]);
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let snapshot = dir.path().join("snapshot.json");
    let out = drready_with_keys("testing", "testing")
        .args([
            "collect",
            "--config",
            config.to_str().unwrap(),
            "--endpoint-url",
            &moto.url,
            "--out",
            snapshot.to_str().unwrap(),
            "--calls",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();

    // Every operation called is in the printed IAM policy.
    let stderr = String::from_utf8(out.stderr).unwrap();
    let called = common::calls_in_policy(&stderr);
    assert!(called.len() >= 20, "{stderr}");

    // The snapshot is a file of its own; it is never overwritten.
    drready_with_keys("testing", "testing")
        .args([
            "collect",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
        ])
        .args(["--out", snapshot.to_str().unwrap()])
        .assert()
        .code(2);
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let collected =
        chrono::DateTime::parse_from_rfc3339(doc["collected_at"].as_str().unwrap()).unwrap();

    // moto's LatestRestorableTime is its own clock; two hours on, point-in-time restore is stale.
    let later = (collected + chrono::Duration::hours(2)).to_rfc3339();
    let report = drready_with_keys("testing", "testing")
        .args([
            "audit",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .args(["--as-of", &later, "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v = verdicts(&report);
    assert_eq!(status(&v, "rds-pitr-within-rpo", "good-db"), "fail");
    assert_eq!(status(&v, "s3-backup-freshness", "orders-backup"), "fail");
}

#[test]
fn access_denied_turns_controls_into_no_evidence() {
    // IAM enforced after the first four requests, which seed one database and a restricted user.
    let Some(moto) = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]) else {
        return;
    };
    let keys: Value = serde_json::from_str(moto.seed(&["restricted"]).trim()).unwrap();
    let (key, secret) = (
        keys["key"].as_str().unwrap(),
        keys["secret"].as_str().unwrap(),
    );
    let out = drready_with_keys(key, secret)
        .args([
            "audit",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = verdicts(&out.stdout);
    // The one call allowed gives real facts.
    assert_eq!(status(&v, "rds-backup-enabled", "restricted-db"), "pass");
    // A denied call concerning that database leaves its facts unknown, with the error code.
    let (s, cause) = &v[&(
        "rds-latest-snapshot-age".to_string(),
        "restricted-db".to_string(),
    )];
    assert_eq!(s, "no_evidence");
    assert!(cause.contains("AccessDenied"), "{cause}");
    // Denied listings stand in as unlisted resources whose every control lacks evidence.
    let unlisted: Vec<_> = doc["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| {
            x["resource"]
                .as_str()
                .unwrap()
                .starts_with("unlisted:s3:ListBuckets")
        })
        .collect();
    assert!(!unlisted.is_empty());
    for x in &unlisted {
        assert_eq!(x["status"], "no_evidence");
        assert!(x["cause"].as_str().unwrap().contains("AccessDenied"), "{x}");
    }
    // Nothing passes that the denied calls would have decided.
    assert!(
        !doc["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["resource"].as_str().unwrap().starts_with("unlisted:")
                && x["status"] == "pass")
    );
}

#[test]
fn accounts_are_collected_through_assumed_roles() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["planted"]);
    moto.seed(&["other-account"]);
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(
        &config,
        "[scope]\nregions = [\"us-east-1\"]\n[[accounts]]\nrole_arn = \"arn:aws:iam::111111111111:role/drready-audit\"\n",
    )
    .unwrap();
    let out = drready_with_keys("testing", "testing")
        .args([
            "collect",
            "--config",
            config.to_str().unwrap(),
            "--endpoint-url",
            &moto.url,
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let snapshot: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        snapshot["scope"]["accounts"],
        serde_json::json!(["111111111111"])
    );
    let dbs: Vec<(&str, &str)> = snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "rds_instance")
        .map(|r| (r["name"].as_str().unwrap(), r["account"].as_str().unwrap()))
        .collect();
    assert_eq!(
        dbs,
        [("other-db", "111111111111")],
        "only the assumed account's databases"
    );

    // A role ARN that is not one is a located config error.
    std::fs::write(&config, "[[accounts]]\nrole_arn = \"drready-audit\"\n").unwrap();
    drready_with_keys("testing", "testing")
        .args([
            "collect",
            "--config",
            config.to_str().unwrap(),
            "--endpoint-url",
            &moto.url,
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a role ARN"));
}

// The longest durations the config accepts (100 years) are used in date arithmetic while
// collecting (windows, lookbacks): they must not overflow or panic.
#[test]
fn the_longest_accepted_windows_do_not_panic() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["planted"]);
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(
        &config,
        "[scope]\nregions = [\"us-east-1\"]\ndr_region = \"us-west-2\"\n[s3]\nlookback = \"36600d\"\nkey_date_format = \"%Y/%m/%d/\"\n[params]\nreplica_lag_window = \"36600d\"\nbackup_job_window = \"36600d\"\n[[components]]\nname = \"orders\"\nrpo = \"36600d\"\nrto = \"36600d\"\n[components.match]\ntags = { app = \"orders\" }\n",
    )
    .unwrap();
    drready_with_keys("testing", "testing")
        .args(["audit", "--format", "json", "--config"])
        .arg(&config)
        .args(["--endpoint-url", &moto.url])
        .assert()
        .code(0);
    // One day more is refused where it is written.
    std::fs::write(&config, "[params]\nreplica_lag_window = \"36601d\"\n").unwrap();
    drready()
        .args(["audit", "--example", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("out of range"));
}
