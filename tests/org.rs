//! An AWS Organization against moto_server: its accounts discovered through the Organizations
//! API, narrowed by OU and account id, each collected through the role assumed there; the
//! accounts left out said as gaps; a role that cannot be assumed turns that account's controls
//! into no_evidence; a collection in shards, merged, judges exactly like one run; and a merge of
//! shards that are not one run's partition is refused.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::proxy::{self, Action};
use common::{drready, drready_with_keys, statuses, Moto};
use serde_json::Value;
use tempfile::TempDir;

struct Org {
    moto: Moto,
    members: Vec<String>,
    sandboxed: String,
    closed: String,
    sandbox_ou: String,
}

fn org(n: usize) -> Option<Org> {
    let moto = Moto::start(&[])?;
    let ids: Value = serde_json::from_str(&moto.seed(&["org", &n.to_string()])).unwrap();
    let list = |k: &str| -> Vec<String> {
        ids[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    Some(Org {
        members: list("members"),
        sandboxed: ids["sandboxed"].as_str().unwrap().to_string(),
        closed: ids["closed"].as_str().unwrap().to_string(),
        sandbox_ou: ids["sandbox"].as_str().unwrap().to_string(),
        moto,
    })
}

/// The config: every account of the organization but the management account and the sandbox OU.
fn config(dir: &Path, org: &Org) -> PathBuf {
    let path = dir.join("drready.toml");
    std::fs::write(
        &path,
        format!(
            "[scope]\nregions = [\"us-east-1\", \"us-west-2\"]\n\n[organization]\nrole_name = \"drready-audit\"\nexclude_ous = [\"{}\"]\nexclude_accounts = [\"123456789012\"]\n",
            org.sandbox_ou
        ),
    )
    .unwrap();
    path
}

fn collect(config: &Path, url: &str, extra: &[&str]) -> (Value, String) {
    let out = drready_with_keys("testing", "testing")
        .args(["collect", "--quiet", "--config"])
        .arg(config)
        .args(["--endpoint-url", url])
        .args(extra)
        .env_remove("DRREADY_SHARD")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let snapshot = if out.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&out.stdout).unwrap()
    };
    (snapshot, String::from_utf8(out.stderr).unwrap())
}

/// The verdicts of an audit of snapshot files (several: the shards of one run).
fn verdicts(config: &Path, snapshots: &[PathBuf]) -> BTreeMap<(String, String), String> {
    let mut cmd = drready();
    cmd.args(["audit", "--format", "json", "--no-evidence", "--config"])
        .arg(config);
    for s in snapshots {
        cmd.arg("--snapshot").arg(s);
    }
    statuses(&cmd.assert().code(0).get_output().stdout)
}

fn gap_for<'a>(snapshot: &'a Value, account: &str) -> Option<&'a Value> {
    snapshot["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["account"] == account)
}

#[test]
fn an_organizations_accounts_are_collected_and_those_left_out_are_said() {
    let Some(org) = org(3) else { return };
    let dir = TempDir::new().unwrap();
    let config = config(dir.path(), &org);
    let (snapshot, stderr) = collect(&config, &org.moto.url, &["--calls"]);

    let mut accounts: Vec<String> = snapshot["scope"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    accounts.sort();
    let mut members = org.members.clone();
    members.sort();
    assert_eq!(accounts, members, "the ACTIVE members under prod, no other");
    // Each member's databases, found through its own role, in both regions.
    for m in &org.members {
        for region in ["us-east-1", "us-west-2"] {
            let name = format!("db-{m}-{region}");
            let db = snapshot["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["type"] == "rds_instance" && r["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{name} was not collected"));
            assert_eq!(db["account"], m.as_str());
            assert_eq!(db["region"], region);
        }
    }
    // Each account left out is a gap that says why.
    for (account, why) in [
        (org.closed.as_str(), "its status is SUSPENDED"),
        (
            org.sandboxed.as_str(),
            "excluded by `organization.exclude_ous`",
        ),
        (
            "123456789012",
            "excluded by `organization.exclude_accounts`",
        ),
    ] {
        let g = gap_for(&snapshot, account).unwrap_or_else(|| panic!("no gap for {account}"));
        assert!(
            g["message"].as_str().unwrap().contains(why),
            "{account}: {g}"
        );
    }
    // The listing is in the calls, and every call is in the printed IAM policy.
    let called = common::calls_in_policy(&stderr);
    for op in [
        "Organizations:ListAccounts",
        "Organizations:ListAccountsForParent",
        "Organizations:ListOrganizationalUnitsForParent",
    ] {
        assert!(called.iter().any(|c| c == op), "{op}: {stderr}");
    }

    // Including by account id: only that member.
    let only = dir.path().join("only.toml");
    std::fs::write(
        &only,
        format!(
            "[scope]\nregions = [\"us-east-1\"]\n[organization]\nrole_name = \"drready-audit\"\ninclude_accounts = [\"{}\", \"000000000000\"]\n",
            org.members[1]
        ),
    )
    .unwrap();
    let (snapshot, _) = collect(&only, &org.moto.url, &[]);
    assert_eq!(
        snapshot["scope"]["accounts"],
        serde_json::json!([org.members[1]])
    );
    let g = gap_for(&snapshot, "000000000000").unwrap();
    assert!(g["message"]
        .as_str()
        .unwrap()
        .contains("not in the organization"));

    // A bad `[organization]` is a located config error.
    std::fs::write(&only, "[organization]\nrole_name = \"drready audit\"\n").unwrap();
    drready_with_keys("testing", "testing")
        .args(["collect", "--config"])
        .arg(&only)
        .args(["--endpoint-url", &org.moto.url])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("only.toml"))
        .stderr(predicates::str::contains("is not an IAM role name"));
}

#[test]
fn an_account_whose_role_cannot_be_assumed_lacks_evidence_and_is_not_skipped() {
    let Some(org) = org(2) else { return };
    let dir = TempDir::new().unwrap();
    let config = config(dir.path(), &org);
    // STS refuses the role in the second member (AssumeRole is a form post naming the role ARN).
    let denied = org.members[1].clone();
    let needle = format!("arn%3Aaws%3Aiam%3A%3A{denied}%3Arole");
    let url = proxy::start(
        &org.moto.url,
        Arc::new(move |_: &[String], body: &[u8]| {
            let body = String::from_utf8_lossy(body);
            if body.contains("Action=AssumeRole") && body.contains(&needle) {
                proxy::query_error(
                    403,
                    "AccessDenied",
                    "not authorized to perform sts:AssumeRole",
                )
            } else {
                Action::Forward
            }
        }),
    );
    let (snapshot, _) = collect(&config, &url, &[]);
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    assert!(
        snapshot["scope"]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == denied.as_str()),
        "the account stays in scope"
    );
    let g = gap_for(&snapshot, &denied).unwrap();
    assert!(g.to_string().contains("AccessDenied"), "{g}");
    // Its databases are judged without evidence; none of its verdicts passes.
    let out = drready()
        .args(["audit", "--format", "json", "--no-evidence", "--config"])
        .arg(&config)
        .arg("--snapshot")
        .arg(&path)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let of = |account: &str| -> Vec<Value> {
        let tag = format!(":{account}:");
        doc["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["resource"].as_str().unwrap().contains(&tag))
            .cloned()
            .collect()
    };
    let mine = of(&denied);
    for region in ["us-east-1", "us-west-2"] {
        assert!(
            mine.iter().any(|v| v["status"] == "no_evidence"
                && v["control"] == "rds-backup-retention"
                && v["resource"].as_str().unwrap().ends_with(region)
                && v["cause"].as_str().unwrap().contains("AccessDenied")),
            "{region}: {mine:?}"
        );
    }
    assert!(mine.iter().all(|v| v["status"] != "pass"), "{mine:?}");
    // The other member is judged on its facts.
    assert!(of(&org.members[0])
        .iter()
        .any(|v| v["status"] == "pass" || v["status"] == "fail"));
}

#[test]
fn shards_merged_judge_like_one_run_and_a_bad_partition_is_refused() {
    let Some(org) = org(5) else { return };
    let dir = TempDir::new().unwrap();
    let config = config(dir.path(), &org);
    let (whole, _) = collect(&config, &org.moto.url, &[]);
    let whole_path = dir.path().join("whole.json");
    std::fs::write(&whole_path, whole.to_string()).unwrap();

    // Three shards, the index from the environment of a Kubernetes Indexed Job, the file name
    // from the same template each pod is given.
    let template = dir.path().join("shard-{shard}.json");
    for i in 0..3 {
        drready_with_keys("testing", "testing")
            .args(["collect", "--quiet", "--shard", "3", "--config"])
            .arg(&config)
            .args(["--endpoint-url", &org.moto.url, "--out"])
            .arg(&template)
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .env_remove("DRREADY_SHARD")
            .env_remove("DRREADY_SHARD_INDEX")
            .assert()
            .code(0)
            .stderr(predicates::str::contains(format!("(shard {i}/3)")));
    }
    let shard = |i: u32| dir.path().join(format!("shard-{i}.json"));
    let s0: Value = serde_json::from_slice(&std::fs::read(shard(0)).unwrap()).unwrap();
    assert_eq!(s0["scope"]["partition"]["count"], 3);
    assert_eq!(
        s0["scope"]["partition"]["units"].as_array().unwrap().len(),
        org.members.len() * 2
    );
    let merged = dir.path().join("merged.json");
    drready()
        .args(["merge", "--out"])
        .arg(&merged)
        .args([shard(2), shard(0), shard(1)])
        .assert()
        .code(0);
    let m: Value = serde_json::from_slice(&std::fs::read(&merged).unwrap()).unwrap();
    assert_eq!(m["scope"]["accounts"], whole["scope"]["accounts"]);
    assert!(m["scope"].get("partition").is_none());
    assert_eq!(
        m["resources"].as_array().unwrap().len(),
        whole["resources"].as_array().unwrap().len()
    );
    let one_run = verdicts(&config, std::slice::from_ref(&whole_path));
    assert!(one_run.values().any(|s| s == "pass") && one_run.values().any(|s| s == "fail"));
    assert_eq!(verdicts(&config, std::slice::from_ref(&merged)), one_run);
    // Audit, given the shards, merges them itself.
    assert_eq!(verdicts(&config, &[shard(1), shard(0), shard(2)]), one_run);
    // One shard alone would be a smaller audit: refused.
    drready()
        .args(["audit", "--no-evidence", "--snapshot"])
        .arg(shard(1))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("this is shard 1/3"));

    // A missing shard, a shard given twice, a whole snapshot, a shard of another config.
    let refused = |args: &[PathBuf], message: &str| {
        drready()
            .arg("merge")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message.to_string()));
    };
    refused(&[shard(0), shard(1)], "shard 2/3 is missing");
    refused(
        &[shard(0), shard(1), shard(1), shard(2)],
        "shard 1/3 is given twice",
    );
    refused(&[shard(0), whole_path.clone()], "not a shard");
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        std::fs::read_to_string(&config).unwrap() + "\n[params]\nrds_min_retention_days = 14\n",
    )
    .unwrap();
    drready_with_keys("testing", "testing")
        .args(["collect", "--quiet", "--shard", "1/3", "--config"])
        .arg(&other)
        .args(["--endpoint-url", &org.moto.url, "--out"])
        .arg(dir.path().join("other-1.json"))
        .assert()
        .code(0);
    refused(
        &[shard(0), dir.path().join("other-1.json"), shard(2)],
        "the config (its SHA-256) differs",
    );
    // A shard that claims a unit another shard has: an overlap.
    let mut doubled: Value = serde_json::from_slice(&std::fs::read(shard(1)).unwrap()).unwrap();
    let taken = s0["scope"]["partition"]["collected"][0].clone();
    doubled["scope"]["partition"]["collected"]
        .as_array_mut()
        .unwrap()
        .push(taken.clone());
    let doubled_path = dir.path().join("doubled.json");
    std::fs::write(&doubled_path, doubled.to_string()).unwrap();
    refused(
        &[shard(0), doubled_path, shard(2)],
        &format!("{} was collected twice", taken.as_str().unwrap()),
    );
    // An existing file is never overwritten.
    drready()
        .args(["merge", "--out"])
        .arg(&merged)
        .args([shard(0), shard(1), shard(2)])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("merged.json"));

    // Shards in S3: each pod writes its object (never over an existing one), and the audit reads
    // them from there.
    let s3 = std::process::Command::new("python3")
        .args([
            "-c",
            "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket='drready-runs')",
            &org.moto.url,
        ])
        .status()
        .unwrap();
    assert!(s3.success());
    let in_s3 = |i: u32| PathBuf::from(format!("s3://drready-runs/run-1/shard-{i}.json"));
    for i in 0..3 {
        drready_with_keys("testing", "testing")
            .args(["collect", "--quiet", "--config"])
            .arg(&config)
            .args(["--endpoint-url", &org.moto.url])
            .args([
                "--shard",
                &format!("{i}/3"),
                "--out",
                "s3://drready-runs/run-1/shard-{shard}.json",
            ])
            .env_remove("DRREADY_SHARD")
            .assert()
            .code(0);
    }
    drready_with_keys("testing", "testing")
        .args(["collect", "--quiet", "--config"])
        .arg(&config)
        .args(["--endpoint-url", &org.moto.url])
        .args([
            "--shard",
            "0/3",
            "--out",
            "s3://drready-runs/run-1/shard-{shard}.json",
        ])
        .env_remove("DRREADY_SHARD")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "exists; drready does not overwrite",
        ));
    let mut cmd = drready_with_keys("testing", "testing");
    cmd.args(["audit", "--format", "json", "--no-evidence", "--config"])
        .arg(&config)
        .args(["--endpoint-url", &org.moto.url]);
    for i in [2, 0, 1] {
        cmd.arg("--snapshot").arg(in_s3(i));
    }
    let from_s3 = statuses(&cmd.assert().code(0).get_output().stdout);
    assert_eq!(from_s3, one_run);

    // A shard spec that is not one.
    drready_with_keys("testing", "testing")
        .args(["collect", "--shard", "3/3", "--config"])
        .arg(&config)
        .args(["--endpoint-url", &org.moto.url])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("below the count"));
}
