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
