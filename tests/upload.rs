//! `--upload` against a real S3 API on loopback: moto_server, started here on a free port and seeded
//! through the S3 API itself (a bucket with Object Lock). `.ci/run` installs `moto[server]`;
//! elsewhere the test says it was skipped, and under `CI=true` a missing moto_server is a failure.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use common::{drready, Moto};
use predicates::prelude::*;
use tempfile::TempDir;

fn s3(endpoint: &str) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .http_client(drready::aws::upload::http_client())
        .force_path_style(true)
        .build();
    (rt, aws_sdk_s3::Client::from_conf(conf))
}

/// drready with test credentials for moto, and evidence on.
fn drready_aws() -> assert_cmd::Command {
    let mut c = drready();
    c.env_remove("DRREADY_NO_EVIDENCE")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    c
}

#[test]
fn upload_stores_the_archive_under_compliance_object_lock() {
    let Some(server) = Moto::start(&[]) else {
        return;
    };
    let (rt, client) = s3(&server.url);
    rt.block_on(
        client
            .create_bucket()
            .bucket("evidence-locked")
            .object_lock_enabled_for_bucket(true)
            .send(),
    )
    .unwrap();
    rt.block_on(client.create_bucket().bucket("evidence-plain").send())
        .unwrap();

    let dir = TempDir::new().unwrap();
    let evidence = dir.path().join("evidence");
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, "[evidence]\nretention_days = 30\n").unwrap();
    let out = drready_aws()
        .args([
            "audit",
            "--example",
            "--config",
            config.to_str().unwrap(),
            "--evidence-dir",
            evidence.to_str().unwrap(),
            "--upload",
            "s3://evidence-locked/audits/q4",
            "--endpoint-url",
            &server.url,
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "evidence uploaded: s3://evidence-locked/audits/q4/",
        ))
        .get_output()
        .stderr
        .clone();
    let log = String::from_utf8(out).unwrap();
    let archive = log
        .lines()
        .find_map(|l| l.strip_prefix("evidence archive: "))
        .unwrap();
    let name = std::path::Path::new(archive)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let key = format!("audits/q4/{name}");
    let head = rt
        .block_on(
            client
                .head_object()
                .bucket("evidence-locked")
                .key(&key)
                .send(),
        )
        .unwrap();
    assert_eq!(
        head.object_lock_mode(),
        Some(&aws_sdk_s3::types::ObjectLockMode::Compliance)
    );
    let until = head.object_lock_retain_until_date().unwrap().secs();
    let days = (until - chrono::Utc::now().timestamp()) as f64 / 86_400.0;
    assert!((29.0..=30.5).contains(&days), "retained for {days} days");
    // The uploaded archive is the local one, byte for byte.
    let body = rt.block_on(async {
        client
            .get_object()
            .bucket("evidence-locked")
            .key(&key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
    });
    assert_eq!(
        body.into_bytes().as_ref(),
        std::fs::read(archive).unwrap().as_slice()
    );

    // A bucket without Object Lock refuses the locked upload: an error, exit 2.
    drready_aws()
        .args([
            "audit",
            "--example",
            "--evidence-dir",
            evidence.to_str().unwrap(),
            "--upload",
            "s3://evidence-plain/x",
            "--endpoint-url",
            &server.url,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "uploading to s3://evidence-plain/x/",
        ));
}

/// A key created in moto's KMS through the API itself (boto3): its ARN.
fn kms_key(endpoint: &str, spec: &str, usage: &str) -> String {
    let script = format!(
        "import boto3\nc = boto3.client('kms', endpoint_url='{endpoint}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\nprint(c.create_key(KeySpec='{spec}', KeyUsage='{usage}')['KeyMetadata']['Arn'])"
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `--sign-kms-key` signs the manifest with a KMS asymmetric key beside (or instead of) Ed25519,
/// and `evidence verify --kms` asks KMS to check it: a rewritten manifest or a forged statement
/// fails, and without `--kms` the signature is said to be unchecked.
#[test]
fn bundles_signed_with_a_kms_key_verify_through_kms() {
    let Some(server) = Moto::start(&[]) else {
        return;
    };
    let key = kms_key(&server.url, "ECC_NIST_P256", "SIGN_VERIFY");
    let dir = TempDir::new().unwrap();
    let evidence = dir.path().join("evidence");
    let out = drready_aws()
        .args(["audit", "--example", "--evidence-dir"])
        .arg(&evidence)
        .args(["--sign-kms-key", &key, "--endpoint-url", &server.url])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let bundle = std::path::PathBuf::from(
        stderr
            .lines()
            .find_map(|l| l.strip_prefix("evidence: "))
            .unwrap(),
    );
    let sig: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.kms.json")).unwrap())
            .unwrap();
    assert_eq!(sig["key_id"], key.as_str());
    assert_eq!(sig["signing_algorithm"], "ECDSA_SHA_256");
    assert!(sig["message"]
        .as_str()
        .unwrap()
        .starts_with("drready-manifest-sha256:"));
    let verify = |extra: &[&str]| {
        drready_aws()
            .args(["evidence", "verify"])
            .arg(&bundle)
            .args(extra)
            .assert()
    };
    verify(&["--kms", "--endpoint-url", &server.url])
        .code(0)
        .stdout(predicate::str::contains("KMS signature: valid"));
    verify(&[])
        .code(0)
        .stdout(predicate::str::contains("KMS signature by"))
        .stdout(predicate::str::contains("NOT CHECKED"));
    // A forged statement naming a rewritten manifest: KMS says no.
    let manifest = bundle.join("manifest.json");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    // (one more space: the same manifest to a parser, another one to a hash)
    text = text.replacen("\"bundle_version\": 1", "\"bundle_version\":  1", 1);
    std::fs::write(&manifest, &text).unwrap();
    verify(&["--kms", "--endpoint-url", &server.url])
        .code(1)
        .stdout(predicate::str::contains(
            "the KMS signature is of another manifest",
        ));
    let forged = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(text.as_bytes());
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        let mut s = sig.clone();
        s["message"] = format!("drready-manifest-sha256:{hex}").into();
        s
    };
    std::fs::write(
        bundle.join("manifest.kms.json"),
        serde_json::to_vec_pretty(&forged).unwrap(),
    )
    .unwrap();
    verify(&["--kms", "--endpoint-url", &server.url])
        .code(1)
        .stdout(predicate::str::contains("KMS says the signature by"));
    // A key that cannot sign is a clear error, and no bundle is left half-written.
    let symmetric = kms_key(&server.url, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
    let before = std::fs::read_dir(evidence.join("123456789012"))
        .unwrap()
        .count();
    drready_aws()
        .args(["audit", "--example", "--evidence-dir"])
        .arg(&evidence)
        .args(["--sign-kms-key", &symmetric, "--endpoint-url", &server.url])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot sign"));
    assert_eq!(
        std::fs::read_dir(evidence.join("123456789012"))
            .unwrap()
            .count(),
        before
    );
}

/// `dr-test-results-retained` is judged from the results store itself: its Object Lock and its
/// lifecycle, collected from a bucket in moto, not from a number in the config.
#[test]
fn results_retention_is_judged_from_the_results_stores_object_lock_and_lifecycle() {
    let Some(server) = Moto::start(&[]) else {
        return;
    };
    let (rt, client) = s3(&server.url);
    rt.block_on(
        client
            .create_bucket()
            .bucket("dr-results")
            .object_lock_enabled_for_bucket(true)
            .send(),
    )
    .unwrap();
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, DefaultRetention, ExpirationStatus, LifecycleExpiration,
        LifecycleRule, LifecycleRuleFilter, ObjectLockConfiguration, ObjectLockEnabled,
        ObjectLockRetentionMode, ObjectLockRule,
    };
    rt.block_on(
        client
            .put_object_lock_configuration()
            .bucket("dr-results")
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(
                        ObjectLockRule::builder()
                            .default_retention(
                                DefaultRetention::builder()
                                    .mode(ObjectLockRetentionMode::Compliance)
                                    .days(1096)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(
        &config,
        "[scope]\nregions = [\"us-east-1\"]\n[program]\nresults_bucket = \"dr-results\"\nresults_prefix = \"results/\"\nresults_retention_days = 1096\n",
    )
    .unwrap();
    let collect = |name: &str| {
        let out = dir.path().join(name);
        drready_aws()
            .args(["collect", "--quiet", "--config"])
            .arg(&config)
            .args(["--endpoint-url", &server.url, "--out"])
            .arg(&out)
            .assert()
            .code(0);
        out
    };
    let verdict = |snapshot: &std::path::Path| -> serde_json::Value {
        let out = drready_aws()
            .args(["audit", "--no-evidence", "--format", "json", "--snapshot"])
            .arg(snapshot)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["control"] == "dr-test-results-retained")
            .unwrap()
            .clone()
    };
    let locked = collect("locked.json");
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&locked).unwrap()).unwrap();
    assert_eq!(
        snap["program"]["results_store"],
        serde_json::json!({"bucket": "dr-results", "object_lock_mode": "COMPLIANCE", "object_lock_days": 1096, "lifecycle_expiry_days": 0})
    );
    assert_eq!(verdict(&locked)["status"], "pass");
    // A lifecycle rule that deletes results after 400 days fails it, whatever the config says.
    rt.block_on(
        client
            .put_bucket_lifecycle_configuration()
            .bucket("dr-results")
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(
                        LifecycleRule::builder()
                            .id("expire")
                            .status(ExpirationStatus::Enabled)
                            .filter(LifecycleRuleFilter::builder().prefix("results/").build())
                            .expiration(LifecycleExpiration::builder().days(400).build())
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    let expiring = collect("expiring.json");
    let v = verdict(&expiring);
    assert_eq!(v["status"], "fail", "{v}");
    assert_eq!(v["facts"]["resource.results_expiry_days"], 400);
}
