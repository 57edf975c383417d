//! Fault injection: a small proxy on loopback between drready and moto_server answers a share of
//! the requests with throttling, a 503, a connection reset or a stall. No verdict may pass that
//! does not pass undisturbed (a fact from a failed call must give no_evidence, never a pass), the
//! faults must show as gaps, and the run must end in bounded time.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{drready_with_keys, Moto};
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

#[derive(Clone, Copy, Debug)]
enum Fault {
    Throttle,
    Unavailable,
    Reset,
    Stall,
}

/// Read one HTTP request (head and `Content-Length` body); `None` at the end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let length = head
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Serve one client connection: each request is forwarded to moto on a connection of its own
/// (`Connection: close`), unless the schedule picks it for a fault.
fn serve(client: TcpStream, upstream: String, counter: Arc<AtomicUsize>, faults: Arc<AtomicUsize>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    // One request a connection: every answer closes it, so the client opens a new one.
    if let Some((head, body)) = read_request(&mut reader) {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        // Every third request fails, in turn each way.
        let fault = (n % 3 == 1).then_some(match (n / 3) % 4 {
            0 => Fault::Throttle,
            1 => Fault::Unavailable,
            2 => Fault::Reset,
            _ => Fault::Stall,
        });
        if let Some(f) = fault {
            faults.fetch_add(1, Ordering::SeqCst);
            match f {
                Fault::Throttle => {
                    let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
                    let _ = write!(
                        client,
                        "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: ThrottlingException\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
                Fault::Unavailable => {
                    let _ = write!(
                        client,
                        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                }
                Fault::Reset => {}
                // Longer than drready's read timeout, bounded all the same.
                Fault::Stall => std::thread::sleep(Duration::from_secs(4)),
            }
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        let Ok(mut up) = TcpStream::connect(&upstream) else {
            return;
        };
        let mut out = Vec::new();
        for (i, h) in head.iter().enumerate() {
            let lower = h.to_ascii_lowercase();
            if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
                continue;
            }
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(&body);
        if up.write_all(&out).is_err() {
            return;
        }
        let mut answer = Vec::new();
        let _ = up.read_to_end(&mut answer);
        // The answer says `Connection: close` (moto closes): the client opens a new connection.
        let _ = client.write_all(&answer);
        let _ = client.shutdown(Shutdown::Both);
    }
}

/// (control, resource) → status of a JSON report.
fn statuses(report: &[u8]) -> BTreeMap<(String, String), String> {
    let doc: Value = serde_json::from_slice(report).unwrap();
    doc["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                (
                    v["control"].as_str().unwrap().to_string(),
                    v["resource"].as_str().unwrap().to_string(),
                ),
                v["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

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

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let upstream = moto.url.trim_start_matches("http://").to_string();
    let counter = Arc::new(AtomicUsize::new(0));
    let faults = Arc::new(AtomicUsize::new(0));
    {
        let (counter, faults) = (Arc::clone(&counter), Arc::clone(&faults));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, counter, faults) =
                    (upstream.clone(), Arc::clone(&counter), Arc::clone(&faults));
                std::thread::spawn(move || serve(client, upstream, counter, faults));
            }
        });
    }
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
