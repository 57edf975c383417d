//! Fault injection: a small proxy on loopback between drready and moto_server answers a share of
//! the requests with throttling, a 503, a connection reset or a stall. No verdict may pass that
//! does not pass undisturbed (a fact from a failed call must give no_evidence, never a pass), the
//! faults must show as gaps, and the run must end in bounded time.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::proxy::{self, Action};
use common::{drready_with_keys, statuses, Moto};
use serde_json::Value;
use tempfile::TempDir;

const CONFIG: &str = r#"
[scope]
regions = ["us-east-1"]
dr_region = "us-west-2"

[collect]
connect_timeout = "2s"
read_timeout = "2s"
operation_timeout = "6s"

[[components]]
name = "orders"
rto = "1h"
rpo = "1h"
cross_region = true
[components.match]
tags = { app = "orders" }
"#;

fn audit(config: &std::path::Path, url: &str) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let out = drready_with_keys("testing", "testing")
        .args(["audit", "--format", "json", "--config"])
        .arg(config)
        .args(["--endpoint-url", url])
        .timeout(Duration::from_secs(300))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    (out, started.elapsed())
}

#[test]
fn faults_never_make_a_verdict_pass() {
    let Some(moto) = Moto::start(&[]) else { return };
    moto.seed(&["planted"]);
    // The platform's collectors too: EKS, Route 53 (record-set pages, health checks), OpenSearch,
    // Velero's files in S3.
    moto.seed(&["platform"]);
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, CONFIG).unwrap();

    let (undisturbed, _) = audit(&config, &moto.url);
    let clean = statuses(&undisturbed);

    // Every third request fails, in turn each way: throttled, unavailable, reset, stalled (longer
    // than drready's read timeout, bounded all the same).
    let counter = Arc::new(AtomicUsize::new(0));
    let faults = Arc::new(AtomicUsize::new(0));
    let rule = {
        let (counter, faults) = (Arc::clone(&counter), Arc::clone(&faults));
        move |_: &[String], _: &[u8]| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n % 3 != 1 {
                return Action::Forward;
            }
            faults.fetch_add(1, Ordering::SeqCst);
            match (n / 3) % 4 {
                0 => {
                    let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
                    Action::Answer(format!(
                        "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: ThrottlingException\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    ))
                }
                1 => Action::Answer(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        .into(),
                ),
                2 => Action::Reset,
                _ => Action::Stall(Duration::from_secs(4)),
            }
        }
    };
    let proxy = proxy::start(&moto.url, Arc::new(rule));
    let (disturbed, took) = audit(&config, &proxy);
    assert!(took < Duration::from_secs(240), "the run took {took:?}");
    let faulty = statuses(&disturbed);
    assert!(
        faults.load(Ordering::SeqCst) >= 8,
        "too few faults were injected"
    );

    let report: Value = serde_json::from_slice(&disturbed).unwrap();
    let gaps = report["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty(), "faults left no gap");
    // No verdict passes that does not pass undisturbed.
    let wrong: Vec<_> = faulty
        .iter()
        .filter(|(k, s)| *s == "pass" && clean.get(*k).map(String::as_str) != Some("pass"))
        .collect();
    assert!(wrong.is_empty(), "passed only under faults: {wrong:?}");
    // And the faults cost something: verdicts that were judged undisturbed lack evidence now.
    let lost = faulty
        .iter()
        .filter(|(k, s)| {
            *s == "no_evidence"
                && matches!(clean.get(*k).map(String::as_str), Some("pass" | "fail"))
        })
        .count();
    assert!(lost > 0, "no verdict lost its evidence under faults");
}
