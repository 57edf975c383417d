//! Helpers the integration tests share.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of these helpers"
)]

pub mod proxy;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The binary, with colour off.
#[expect(
    clippy::expect_used,
    reason = "a test should fail loudly on the first surprise"
)]
pub fn drready() -> Command {
    let mut c = Command::cargo_bin("drready").expect("the drready binary");
    // Tests that want an evidence bundle ask for one, in a temporary folder.
    c.env("NO_COLOR", "1")
        .env("DRREADY_NO_EVIDENCE", "1")
        .env_remove("DRREADY_EVIDENCE_DIR");
    c
}

/// A file under `tests/fixtures`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// A test that needs a tool the machine lacks fails, unless `DRREADY_SKIP` (a comma-separated list:
/// `moto`, `chromium`) asks to skip it; a skip is printed loudly. Never under `CI=true`.
pub fn skip_or_fail(tool: &str, why: &str) {
    let asked = std::env::var("DRREADY_SKIP").is_ok_and(|v| v.split(',').any(|t| t.trim() == tool));
    assert!(
        asked && std::env::var("CI").is_err(),
        "{why}; set DRREADY_SKIP={tool} to skip the tests that need it (never in CI)"
    );
    eprintln!("\n*** SKIPPED: {why} (DRREADY_SKIP={tool}) ***\n");
}

/// A moto_server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Start one with these environment variables. Without moto_server the test fails, unless
    /// `DRREADY_SKIP=moto` asks to skip it: then `None`, and the skip is said loudly.
    #[expect(
        clippy::unwrap_used,
        reason = "a test should fail loudly on the first surprise"
    )]
    pub fn start(env: &[(&str, &str)]) -> Option<Moto> {
        use std::net::{TcpListener, TcpStream};
        use std::time::{Duration, Instant};
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = std::process::Command::new("moto_server");
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Ok(child) = cmd.spawn() else {
            skip_or_fail(
                "moto",
                "moto_server is not installed (`python3 -m pip install 'moto[server]==5.2.1'`)",
            );
            return None;
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// Run `tests/moto/seed.py URL ARGS...` (seeding through the AWS API with boto3); its stdout.
    #[expect(
        clippy::unwrap_used,
        reason = "a test should fail loudly on the first surprise"
    )]
    pub fn seed(&self, args: &[&str]) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/seed.py");
        let out = std::process::Command::new("python3")
            .arg(script)
            .arg(&self.url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// drready with the given AWS credentials and no profile, region or endpoint from the environment.
pub fn drready_with_keys(key: &str, secret: &str) -> Command {
    let mut c = drready();
    c.env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Unimplemented calls answer 500 and would be retried: once is enough against moto.
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_SESSION_TOKEN");
    c
}

/// A real single-node OpenSearch (2.19, from Maven artifacts: `tests/opensearch`), on a free
/// loopback port, with an `fs` repository root under its home; stopped when dropped (and when the
/// test process dies, since the node exits at the end of its stdin).
pub struct OpenSearch {
    child: std::process::Child,
    pub url: String,
    /// `path.repo`: `fs` repositories must live under it.
    pub repo_root: PathBuf,
    _home: tempfile::TempDir,
}

impl Drop for OpenSearch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OpenSearch {
    /// Start one. Without the built node (`bash tests/opensearch/build.sh`) or Java, the test
    /// fails, unless `DRREADY_SKIP=opensearch` asks to skip it: then `None`.
    #[expect(
        clippy::unwrap_used,
        reason = "a test should fail loudly on the first surprise"
    )]
    pub fn start() -> Option<OpenSearch> {
        use std::io::{BufRead, BufReader};
        use std::net::TcpListener;
        use std::process::Stdio;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/opensearch");
        let built = |d: &Path| {
            d.join("lib/.complete").exists() && d.join("classes/OsHarness.class").exists()
        };
        if !built(&dir) {
            // Build it now (Maven Central, Java 17), as `.ci/run` does.
            let _ = std::process::Command::new("bash")
                .arg(dir.join("build.sh"))
                .stdout(std::process::Stdio::null())
                .status();
        }
        if !built(&dir) {
            skip_or_fail(
                "opensearch",
                "the test OpenSearch node is not built (`bash tests/opensearch/build.sh`: Java 17 and Maven)",
            );
            return None;
        }
        let home = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let classpath = format!(
            "{}:{}",
            dir.join("lib/*").display(),
            dir.join("classes").display()
        );
        let spawned = std::process::Command::new("java")
            .args([
                "-Xms256m",
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dopensearch.set.netty.runtime.available.processors=false",
                "-cp",
                &classpath,
                "OsHarness",
            ])
            .arg(home.path())
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = spawned else {
            skip_or_fail("opensearch", "java is not installed (Java 17)");
            return None;
        };
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("http://") {
                    let _ = tx.send(line);
                }
            }
        });
        let url = match rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("the OpenSearch node did not start within 120 s");
            }
        };
        Some(OpenSearch {
            child,
            url,
            repo_root: home.path().join("repo"),
            _home: home,
        })
    }

    /// A request to the node: (status, body).
    #[expect(
        clippy::unwrap_used,
        reason = "a test should fail loudly on the first surprise"
    )]
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.url);
        let mut resp = match (method, body) {
            ("GET", _) => agent.get(&url).call(),
            ("PUT", Some(b)) => agent
                .put(&url)
                .header("content-type", "application/json")
                .send(b),
            ("PUT", None) => agent.put(&url).send_empty(),
            ("POST", Some(b)) => agent
                .post(&url)
                .header("content-type", "application/json")
                .send(b),
            _ => panic!("unsupported request {method} {path}"),
        }
        .unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap())
    }
}

/// The operations a `--calls` listing on stderr names (`  Service:Operation count`), each
/// checked to have an IAM action that `drready iam-policy` prints.
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
pub fn calls_in_policy(stderr: &str) -> Vec<String> {
    let out = drready_with_keys("testing", "testing")
        .arg("iam-policy")
        .output()
        .unwrap();
    assert!(out.status.success());
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allowed: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let called: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    for op in &called {
        let action = drready::aws::permissions::action_for(op)
            .unwrap_or_else(|| panic!("{op} has no IAM action in permissions"));
        assert!(allowed.contains(&action), "{action} is not in the policy");
    }
    called
}

/// (control, resource) → status of a JSON report.
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
pub fn statuses(report: &[u8]) -> std::collections::BTreeMap<(String, String), String> {
    let doc: serde_json::Value = serde_json::from_slice(report).unwrap();
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
