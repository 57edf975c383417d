//! The platform's tiers against real parts: moto_server for EKS, Route 53, the OpenSearch control
//! plane, CloudWatch and S3 (Velero's backups, a snapshot repository's files), and a real
//! OpenSearch node (tests/opensearch) for snapshots through its API. The node writes its `fs`
//! repositories; the test puts those files into moto's S3, and the two sources must agree.
//! Each tier has a healthy and a broken version; each of the platform's controls must give the
//! verdict planted, and what could not be read must be no_evidence naming the endpoint or key.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::collections::BTreeMap;

use common::{drready_with_keys, Moto, OpenSearch};
use serde_json::Value;

/// Planted in the cluster password variable and in the user information of the unreachable
/// endpoint (given in the environment): it must appear in no snapshot, report or bundle.
const MARKER: &str = "drready-secret-marker-7f3a";

/// Snapshots through the node's API: `healthy` (two successes), `broken` (one partial, nothing
/// succeeded), `mixed` (a success, then a partial one).
fn take_snapshots(node: &OpenSearch) {
    let ok = |(status, body): (u16, String)| {
        assert!(status == 200 || status == 201, "{status}: {body}");
        body
    };
    for repo in ["healthy", "broken", "mixed"] {
        let location = node.repo_root.join(repo);
        ok(node.request(
            "PUT",
            &format!("/_snapshot/{repo}"),
            Some(&format!(
                r#"{{"type":"fs","settings":{{"location":"{}"}}}}"#,
                location.display()
            )),
        ));
    }
    ok(node.request(
        "PUT",
        "/logs",
        Some(r#"{"settings":{"number_of_replicas":0}}"#),
    ));
    ok(node.request(
        "POST",
        "/logs/_doc?refresh=true",
        Some(r#"{"message":"a log line"}"#),
    ));
    // An index whose only shard can never be allocated: a snapshot of it is PARTIAL.
    ok(node.request(
        "PUT",
        "/lost?wait_for_active_shards=0",
        Some(r#"{"settings":{"number_of_replicas":0,"index.routing.allocation.require._name":"nowhere"}}"#),
    ));
    let snap = |repo: &str, name: &str, body: &str, state: &str| {
        let answer = ok(node.request(
            "PUT",
            &format!("/_snapshot/{repo}/{name}?wait_for_completion=true"),
            Some(body),
        ));
        let v: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v["snapshot"]["state"], state, "{answer}");
        // The node's clock is cached to 200 ms: keep snapshots apart.
        std::thread::sleep(std::time::Duration::from_millis(400));
    };
    let logs = r#"{"indices":"logs"}"#;
    let with_lost = r#"{"indices":"logs,lost","partial":true}"#;
    snap("healthy", "h1", logs, "SUCCESS");
    snap("healthy", "h2", logs, "SUCCESS");
    snap("broken", "b1", with_lost, "PARTIAL");
    snap("mixed", "m1", logs, "SUCCESS");
    snap("mixed", "m2", with_lost, "PARTIAL");
}

fn config(node: &str) -> String {
    format!(
        r#"
[scope]
regions = ["us-east-1", "us-west-2"]
dr_region = "us-west-2"

[[components]]
name = "Search"
rto = "30 min"
rpo = "1 hour"
[components.match]
types = ["opensearch_domain"]

# Targets per disruption only: a region's loss 5 min / 0, data loss (Velero) 1 day.
[[components]]
name = "Apps"
cross_region = true
[components.targets.region]
rto = "5 min"
rpo = "0"
[components.targets.data]
rpo = "1 day"
[components.match]
types = ["eks_cluster", "velero_schedule"]

[[opensearch]]
name = "search-good"
endpoint = "{node}"
repository = "healthy"
sigv4 = false
s3_bucket = "search-snapshots"
s3_prefix = "healthy"

# A domain's API requests are signed with SigV4 by default: the node ignores the signature, so
# this exercises the signing path end to end.
[[opensearch]]
name = "search-bad"
endpoint = "{node}"
repository = "broken"
s3_bucket = "search-snapshots"
s3_prefix = "broken"

# Self-managed clusters: one judged through both sources, one whose repository does not exist,
# one that cannot be reached (its credentials must never be written anywhere).
[[opensearch]]
name = "logs-mixed"
endpoint = "{node}"
repository = "mixed"
s3_bucket = "search-snapshots"
s3_prefix = "mixed"
username = "drready"
password_env = "DRREADY_TEST_SEARCH_PASSWORD"

[[opensearch]]
name = "logs-missing"
endpoint = "{node}"
repository = "no-such-repository"

[[opensearch]]
name = "logs-unreachable"
endpoint_env = "DRREADY_TEST_SEARCH_ENDPOINT"
repository = "nightly"
"#
    )
}

/// (control, resource short name) → (status, cause).
fn verdicts(report: &Value) -> BTreeMap<(String, String), (String, String)> {
    report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let id = v["resource"].as_str().unwrap();
            let name = id
                .trim_start_matches("opensearch:")
                .rsplit(['/', '#'])
                .find(|p| !p.is_empty() && !p.starts_with("CNAME"))
                .unwrap()
                .to_string();
            let name = if id.contains("example.com") {
                id.split('/').nth(1).unwrap().to_string()
            } else {
                name
            };
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

#[test]
fn every_tier_healthy_and_broken_against_moto_and_a_real_opensearch_node() {
    let Some(moto) = Moto::start(&[]) else { return };
    let Some(node) = OpenSearch::start() else {
        return;
    };
    moto.seed(&["platform"]);
    take_snapshots(&node);
    for repo in ["healthy", "broken", "mixed"] {
        let dir = node.repo_root.join(repo);
        moto.seed(&["upload", "search-snapshots", repo, dir.to_str().unwrap()]);
    }

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("drready.toml");
    std::fs::write(&cfg, config(&node.url)).unwrap();
    let snapshot = dir.path().join("snapshot.json");
    let unreachable = format!("http://drready:{MARKER}@127.0.0.1:9");
    drready_with_keys("testing", "testing")
        .env("DRREADY_TEST_SEARCH_PASSWORD", MARKER)
        .env("DRREADY_TEST_SEARCH_ENDPOINT", &unreachable)
        .args(["collect", "--config", cfg.to_str().unwrap()])
        .args([
            "--endpoint-url",
            &moto.url,
            "--out",
            snapshot.to_str().unwrap(),
        ])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(!text.contains(MARKER), "a credential reached the snapshot");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema_version"], 2);

    // The two sources agree, snapshot for snapshot, on every repository both read.
    let repos = |name: &str| -> Vec<Value> {
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == "opensearch_domain" && r["name"] == name)
            .unwrap_or_else(|| panic!("no domain {name}"))["snapshot_repositories"]
            .as_array()
            .unwrap()
            .clone()
    };
    for (name, count, newest, failed) in [
        ("search-good", 2, true, 0),
        ("search-bad", 1, false, 1),
        ("logs-mixed", 2, true, 1),
    ] {
        let r = repos(name);
        assert_eq!(r.len(), 2, "{name}: both sources read: {r:?}");
        let (api, s3) = (&r[0], &r[1]);
        assert_eq!(
            (api["source"].as_str(), s3["source"].as_str()),
            (Some("api"), Some("s3"))
        );
        for key in ["count", "newest_success", "failed_after_success"] {
            assert_eq!(
                api[key], s3[key],
                "{name}: `{key}` differs between the API and S3"
            );
        }
        assert_eq!(api["count"], count, "{name}");
        assert_eq!(api["newest_success"].is_string(), newest, "{name}");
        assert_eq!(api["failed_after_success"], failed, "{name}");
    }

    let evidence = dir.path().join("evidence");
    let out = drready_with_keys("testing", "testing")
        .args(["audit", "--snapshot", snapshot.to_str().unwrap()])
        .args(["--config", cfg.to_str().unwrap(), "--format", "json"])
        .env_remove("DRREADY_NO_EVIDENCE")
        .args(["--evidence-dir", evidence.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains(MARKER), "a credential reached the report");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let v = verdicts(&report);
    let want = [
        ("opensearch-zone-awareness", "search-good", "pass"),
        ("opensearch-zone-awareness", "search-bad", "fail"),
        ("opensearch-cluster-managers", "search-good", "pass"),
        ("opensearch-cluster-managers", "search-bad", "fail"),
        ("opensearch-encrypted", "search-good", "pass"),
        ("opensearch-encrypted", "search-bad", "fail"),
        ("opensearch-snapshot-within-rpo", "search-good", "pass"),
        ("opensearch-snapshot-within-rpo", "search-bad", "fail"),
        ("opensearch-snapshot-within-rpo", "logs-mixed", "pass"),
        ("opensearch-snapshot-failures", "search-good", "pass"),
        ("opensearch-snapshot-failures", "search-bad", "fail"),
        ("opensearch-snapshot-failures", "logs-mixed", "fail"),
        (
            "opensearch-snapshot-within-rpo",
            "logs-missing",
            "no_evidence",
        ),
        (
            "opensearch-snapshot-within-rpo",
            "logs-unreachable",
            "no_evidence",
        ),
        ("eks-dr-cluster-ready", "shop", "pass"),
        ("eks-dr-cluster-ready", "orphan", "fail"),
        ("eks-dr-version-parity", "shop", "pass"),
        ("eks-dr-version-parity", "jobs", "fail"),
        ("eks-dr-capacity", "shop", "pass"),
        ("eks-dr-capacity", "jobs", "fail"),
        ("eks-secrets-encrypted", "shop", "pass"),
        ("eks-secrets-encrypted", "jobs", "fail"),
        ("eks-control-plane-logging", "shop", "pass"),
        ("eks-control-plane-logging", "jobs", "fail"),
        ("eks-backup-within-rpo", "daily", "pass"),
        ("eks-backup-within-rpo", "weekly", "fail"),
        ("eks-backup-within-rpo", "hourly", "fail"),
        ("route53-failover-pair", "api.example.com.", "pass"),
        ("route53-failover-pair", "www.example.com.", "fail"),
        ("route53-failover-pair", "app.example.com.", "fail"),
        ("route53-primary-health-check", "api.example.com.", "pass"),
        ("route53-primary-health-check", "www.example.com.", "fail"),
        ("route53-health-check-healthy", "api.example.com.", "pass"),
        ("route53-health-check-healthy", "app.example.com.", "fail"),
        ("route53-failover-ttl", "api.example.com.", "pass"),
        ("route53-failover-ttl", "www.example.com.", "fail"),
    ];
    let mut wrong = Vec::new();
    for (control, resource, status) in want {
        let got = v.get(&(control.to_string(), resource.to_string()));
        if got.map(|(s, _)| s.as_str()) != Some(status) {
            wrong.push(format!(
                "{control} on {resource}: want {status}, got {got:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // What could not be read says where: the repository, the endpoint (without its user
    // information), the Velero file.
    let cause = |c: &str, r: &str| v[&(c.to_string(), r.to_string())].1.clone();
    assert!(
        cause("opensearch-snapshot-within-rpo", "logs-missing").contains("no-such-repository"),
        "{}",
        cause("opensearch-snapshot-within-rpo", "logs-missing")
    );
    let unreachable = cause("opensearch-snapshot-within-rpo", "logs-unreachable");
    assert!(unreachable.contains("http://127.0.0.1:9/"), "{unreachable}");
    let gaps = report["gaps"].to_string();
    assert!(
        gaps.contains("s3://jobs-velero/backups/broken/velero-backup.json"),
        "{gaps}"
    );
    let unlisted_velero = v
        .iter()
        .find(|((c, r), _)| c == "eks-backup-within-rpo" && r.starts_with("unlisted"))
        .map(|(_, (s, _))| s.clone());
    assert_eq!(unlisted_velero.as_deref(), Some("no_evidence"));

    // The bundle holds no credential either.
    let mut files = vec![evidence.clone()];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            seen += 1;
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(MARKER),
                "{} holds a credential",
                p.display()
            );
        }
    }
    assert!(seen >= 3, "no evidence bundle was written");

    // A credential in the config itself is refused: the config is kept in every bundle.
    let leaky = dir.path().join("leaky.toml");
    std::fs::write(
        &leaky,
        format!("[[opensearch]]\nname = \"x\"\nendpoint = \"https://u:{MARKER}@es.example\"\n"),
    )
    .unwrap();
    let refused = drready_with_keys("testing", "testing")
        .args(["audit", "--snapshot", snapshot.to_str().unwrap()])
        .args(["--config", leaky.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("user information") && message.contains("leaky.toml"),
        "{message}"
    );

    // Every call the collection made is in the printed IAM policy (the new services included).
    let calls = drready_with_keys("testing", "testing")
        .env("DRREADY_TEST_SEARCH_PASSWORD", MARKER)
        .env("DRREADY_TEST_SEARCH_ENDPOINT", &unreachable)
        .args(["collect", "--config", cfg.to_str().unwrap()])
        .args(["--endpoint-url", &moto.url, "--calls"])
        .args(["--out", dir.path().join("again.json").to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(calls.stderr).unwrap();
    let called = common::calls_in_policy(&stderr);
    for op in [
        "EKS:ListClusters",
        "EKS:DescribeNodegroup",
        "OpenSearch:DescribeDomains",
        "Route53:ListResourceRecordSets",
        "Route53:ListHealthChecks",
        "S3:GetObject",
    ] {
        assert!(
            called.iter().any(|c| c == op),
            "{op} was not called: {stderr}"
        );
    }
    // The snapshot API of a domain is not an SDK call: it is in the policy all the same.
    let policy = drready_with_keys("testing", "testing")
        .arg("iam-policy")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&policy.stdout).contains("\"es:ESHttpGet\""));
}
