//! Nothing silent: evidence drready could not read never passes and never vanishes, every input is
//! bounded, and nothing panics or hangs. Each test here failed before the change it guards.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::drready;
use drready::evaluate::catalog::Catalog;
use drready::evaluate::{evaluate_snapshot, Evaluation, Setup};
use drready::model::config::Config;
use drready::model::snapshot::{Document, DrTest, Gap};
use predicates::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;

const AS_OF: &str = "2026-11-25T06:00:00Z";

fn snapshot(resources: Value) -> Value {
    json!({
        "schema_version": 1,
        "collected_at": AS_OF,
        "tool_version": "test",
        "scope": {"accounts": ["111111111111"], "regions": ["us-east-1"], "dr_region": "us-west-2"},
        "resources": resources,
    })
}

fn db(extra: Value) -> Value {
    let mut r = json!({
        "type": "rds_instance",
        "id": "arn:aws:rds:us-east-1:111111111111:db:orders",
        "name": "orders",
        "account": "111111111111",
        "region": "us-east-1",
        "backup_retention_days": 7,
        "latest_restorable_time": "2026-11-25T05:58:00Z",
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

struct Inputs<'a> {
    config: &'a str,
    snapshot: Value,
    documents: Vec<Document>,
    tests: Vec<DrTest>,
    gaps: Vec<Gap>,
}

impl Default for Inputs<'_> {
    fn default() -> Self {
        Self {
            config: "",
            snapshot: snapshot(json!([])),
            documents: Vec::new(),
            tests: Vec::new(),
            gaps: Vec::new(),
        }
    }
}

fn evaluate(i: Inputs<'_>) -> Evaluation {
    let catalog = Catalog::load(None).unwrap();
    let config = Config::parse(i.config, Path::new("drready.toml")).unwrap();
    let text = serde_json::to_string(&i.snapshot).unwrap();
    let snap = drready::model::load::parse_snapshot(&text, Path::new("s.json")).unwrap();
    let setup = Setup {
        as_of: Some(drready::cli::parse_as_of(AS_OF).unwrap()),
        threads: 1,
        documents: &i.documents,
        dr_tests: &i.tests,
        gaps: &i.gaps,
        ..Setup::new(&catalog, &config)
    };
    evaluate_snapshot(snap, Path::new("s.json"), &setup).unwrap()
}

/// (control, resource id) → (status, cause).
fn verdicts(eval: &Evaluation) -> BTreeMap<(String, String), (String, String)> {
    let catalog = Catalog::load(None).unwrap();
    eval.verdicts()
        .map(|v| {
            (
                (
                    catalog.controls[v.control as usize].id.clone(),
                    eval.resources[v.resource as usize].id.to_string(),
                ),
                (
                    v.status.as_str().to_string(),
                    v.cause.as_deref().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

fn verdict<'a>(
    v: &'a BTreeMap<(String, String), (String, String)>,
    control: &str,
    resource: &str,
) -> &'a (String, String) {
    v.get(&(control.to_string(), resource.to_string()))
        .unwrap_or_else(|| panic!("no verdict for {control} on {resource}: {v:#?}"))
}

fn test(id: &str, kind: &str, at: &str, extra: Value) -> DrTest {
    let mut t =
        json!({"id": id, "kind": kind, "started": at, "finished": at, "outcome": "success"});
    for (k, v) in extra.as_object().unwrap() {
        t[k] = v.clone();
    }
    serde_json::from_value(t).unwrap()
}

// 1. A document or test history the config names but that could not be read costs score.
#[test]
fn a_missing_document_and_an_empty_test_glob_are_no_evidence_and_listed() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(
        &config,
        "[docs]\npaths = [\"docs/missing.md\"]\n[dr_tests]\npaths = [\"history/*.jsonl\"]\n",
    )
    .unwrap();
    let snap = dir.path().join("s.json");
    std::fs::write(&snap, snapshot(json!([db(json!({}))])).to_string()).unwrap();
    let out = drready()
        .args(["audit", "--format", "json", "--config"])
        .arg(&config)
        .arg("--snapshot")
        .arg(&snap)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |control: &str, resource_part: &str| {
        report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| {
                v["control"] == control && v["resource"].as_str().unwrap().contains(resource_part)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {control} verdict on {resource_part}"))
    };
    let doc = find("doc-review-current", "missing.md");
    assert_eq!(doc["status"], "no_evidence", "{doc}");
    assert!(
        doc["cause"].as_str().unwrap().contains("no such file"),
        "{doc}"
    );
    let cadence = find("dr-test-cadence", "dr-program");
    assert_eq!(cadence["status"], "no_evidence", "{cadence}");
    assert!(
        cadence["cause"]
            .as_str()
            .unwrap()
            .contains("no DR test history file matches"),
        "{cadence}"
    );
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("missing.md"), "{warnings}");
    assert!(warnings.contains("history/*.jsonl"), "{warnings}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: ") && stderr.contains("missing.md"),
        "{stderr}"
    );
}

// 2. Evidence dated after the evaluation time does not count.
#[test]
fn evidence_from_the_future_does_not_count() {
    let doc = Document {
        path: "docs/plan.md".into(),
        last_updated: Some("2099-01-01".parse().unwrap()),
        review_frequency_days: Some(92),
        ..Document::default()
    };
    let eval = evaluate(Inputs {
        config: "[[components]]\nname = \"orders\"\nrto = \"1h\"\nrpo = \"1h\"\n[components.match]\nids = [\"orders\"]\n",
        snapshot: snapshot(json!([db(json!({"latest_restorable_time": "2099-01-01T00:00:00Z"}))])),
        documents: vec![doc],
        tests: vec![
            test("future-full", "full", "2099-06-01T00:00:00Z", json!({"measured_rto_seconds": 60, "measured_rpo_seconds": 0})),
            test("past-full", "full", "2026-06-01T00:00:00Z", json!({"outcome": "failure", "measured_rto_seconds": 99_999, "measured_rpo_seconds": 0})),
        ],
        ..Inputs::default()
    });
    let v = verdicts(&eval);
    let (s, cause) = verdict(
        &v,
        "rds-pitr-within-rpo",
        "arn:aws:rds:us-east-1:111111111111:db:orders",
    );
    assert_eq!(s, "no_evidence");
    assert!(cause.contains("after the evaluation time"), "{cause}");
    let (s, cause) = verdict(&v, "dr-test-met-targets", "future-full");
    assert_eq!(s, "no_evidence");
    assert!(cause.contains("after the evaluation time"), "{cause}");
    // The newest test that has happened is the failed one: it is judged, and fails.
    assert_eq!(verdict(&v, "dr-test-met-targets", "past-full").0, "fail");
    let (s, cause) = verdict(&v, "doc-review-current", "docs/plan.md");
    assert_eq!(s, "no_evidence");
    assert!(cause.contains("last updated 2099-01-01"), "{cause}");
    // The future test measures nothing: the platform's measured RTO is the past test's.
    assert_eq!(
        eval.components.last().unwrap().tested_rto_seconds,
        Some(99_999)
    );
}

// 3. Numbers out of range are located errors at the edge, never wrapped.
#[test]
fn numbers_out_of_range_are_located_errors() {
    let dir = TempDir::new().unwrap();
    let hist = dir.path().join("h.jsonl");
    std::fs::write(
        &hist,
        "{\"id\":\"a\",\"kind\":\"full\",\"started\":\"2026-01-01T00:00:00Z\",\"outcome\":\"success\",\"measured_rto_seconds\":9223372036854775808}\n",
    )
    .unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, "[dr_tests]\npaths = [\"h.jsonl\"]\n").unwrap();
    drready()
        .args(["audit", "--example", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("h.jsonl:1:").and(predicates::str::contains("out of range")),
        );

    std::fs::write(
        &config,
        "[[components]]\nname = \"x\"\nrto = 18446744073709551615\n",
    )
    .unwrap();
    drready()
        .args(["audit", "--example", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("drready.toml:3:")
                .and(predicates::str::contains("out of range")),
        );

    let snap = dir.path().join("s.json");
    let mut s = snapshot(json!([db(
        json!({"replicas": [{"id": "r", "region": "us-west-2", "lag_max_seconds": -1.0}]})
    )]));
    std::fs::write(&snap, serde_json::to_string_pretty(&s).unwrap()).unwrap();
    drready()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("s.json:").and(predicates::str::contains("0 or more")));
    s["resources"] = json!([]);
    s["components"] = json!([{"name": "x", "rpo_seconds": 18446744073709551615u64}]);
    std::fs::write(&snap, serde_json::to_string_pretty(&s).unwrap()).unwrap();
    drready()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("out of range"));

    let doc = dir.path().join("targets.md");
    std::fs::write(
        &doc,
        "# DR\n\n| Component | RTO | RPO |\n|---|---|---|\n| API | 99999999 days | 1 h |\n",
    )
    .unwrap();
    let out = drready()
        .args(["docs", "inspect", "--format", "json"])
        .arg(&doc)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("out of range"), "{text}");
}

// 6. No automated backups, no point-in-time restore.
#[test]
fn pitr_fails_without_automated_backups() {
    let eval = evaluate(Inputs {
        snapshot: snapshot(json!([db(json!({"backup_retention_days": 0}))])),
        ..Inputs::default()
    });
    let v = verdicts(&eval);
    assert_eq!(
        verdict(
            &v,
            "rds-pitr-within-rpo",
            "arn:aws:rds:us-east-1:111111111111:db:orders"
        )
        .0,
        "fail"
    );
    let eval = evaluate(Inputs {
        snapshot: snapshot(json!([db(json!({}))])),
        ..Inputs::default()
    });
    let v = verdicts(&eval);
    assert_eq!(
        verdict(
            &v,
            "rds-pitr-within-rpo",
            "arn:aws:rds:us-east-1:111111111111:db:orders"
        )
        .0,
        "pass"
    );
}

// 7. Only a test of a kind that measures a component counts for it.
#[test]
fn an_integration_test_without_a_component_measures_nothing() {
    let eval = evaluate(Inputs {
        tests: vec![test(
            "int",
            "integration",
            "2026-11-01T00:00:00Z",
            json!({"measured_rto_seconds": 60, "measured_rpo_seconds": 0}),
        )],
        ..Inputs::default()
    });
    assert!(eval
        .components
        .iter()
        .all(|c| c.tested_rto_seconds.is_none()));
    // A full test without a component measures the whole platform.
    let eval = evaluate(Inputs {
        tests: vec![test(
            "full",
            "full",
            "2026-11-01T00:00:00Z",
            json!({"measured_rto_seconds": 60, "measured_rpo_seconds": 0}),
        )],
        ..Inputs::default()
    });
    assert_eq!(eval.components.last().unwrap().tested_rto_seconds, Some(60));
}

// 8. Configuration that matches nothing is warned about, and a missing DR region says so.
#[test]
fn configuration_that_matches_nothing_is_warned_about() {
    let mut s = snapshot(json!([db(json!({}))]));
    s["scope"]["dr_region"] = Value::Null;
    let eval = evaluate(Inputs {
        config: "[s3]\nbuckets = [\"*-dumps\"]\n[[components]]\nname = \"search\"\n[components.match]\nids = [\"es-*\"]\n[[components]]\nname = \"orders\"\ncross_region = true\n[components.match]\nids = [\"orders\"]\n",
        snapshot: s,
        ..Inputs::default()
    });
    let w = eval.warnings.join("\n");
    assert!(
        w.contains("component `search`: its `[components.match]` rule matched no resource"),
        "{w}"
    );
    assert!(
        w.contains("`[s3] buckets` pattern `*-dumps` matched no bucket"),
        "{w}"
    );
    assert!(
        w.contains("set `[scope] dr_region` or `--dr-region`"),
        "{w}"
    );
    let v = verdicts(&eval);
    let (s, cause) = verdict(
        &v,
        "rds-cross-region-copy",
        "arn:aws:rds:us-east-1:111111111111:db:orders",
    );
    assert_eq!(s, "no_evidence");
    assert_eq!(
        cause,
        "no DR region: set `[scope] dr_region` or `--dr-region`"
    );
    let na = eval.not_assessed.join("\n");
    assert!(
        na.contains("component `search`: no resource belongs to it"),
        "{na}"
    );
    assert!(na.contains("Kubernetes workloads"), "{na}");
}

// 9 and 14. Gaps are listed one line each in the table, with control characters escaped.
#[test]
fn the_table_lists_gaps_on_one_line_with_control_characters_escaped() {
    let dir = TempDir::new().unwrap();
    let mut s = snapshot(json!([db(json!({"name": "evil\u{1b}[31m\u{7}"}))]));
    s["gaps"] = json!([{
        "source": "rds", "operation": "DescribeDBSnapshots", "region": "us-east-1",
        "resource": "arn:aws:rds:us-east-1:111111111111:db:orders",
        "resource_type": "rds_instance", "attributes": ["snapshot_count"],
        "error_code": "ThrottlingException",
        "message": "Rate exceeded\nDispatchFailure { source: ... }"
    }]);
    let snap = dir.path().join("s.json");
    std::fs::write(&snap, s.to_string()).unwrap();
    for format in ["table", "markdown"] {
        let out = drready()
            .args(["audit", "--format", format, "--snapshot"])
            .arg(&snap)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{format}: raw control characters"
        );
        assert!(text.contains("u{1b}"), "{format}: {text}");
        let line = text
            .lines()
            .find(|l| l.starts_with("- rds:DescribeDBSnapshots"))
            .unwrap_or_else(|| panic!("{format}: the gap is not listed: {text}"));
        assert!(
            line.contains("ThrottlingException") && line.contains("Rate exceeded"),
            "{line}"
        );
        assert!(
            !text.contains("DispatchFailure"),
            "{format}: debug text leaked"
        );
    }
}

// 10. A deeply nested policy is a located error, not a stack overflow.
#[test]
fn deeply_nested_policies_are_located_errors() {
    let dir = TempDir::new().unwrap();
    let depth = 600;
    let policy = format!(
        "@id(\"deep\")\n@title(\"deep\")\n@severity(\"low\")\nforbid (principal, action, resource is RdsDatabase)\nwhen {{ {}true{} }};\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    std::fs::write(dir.path().join("deep.cedar"), policy).unwrap();
    drready()
        .args(["policy", "validate"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("deep.cedar:5:")
                .and(predicates::str::contains("nest more than 64")),
        );
    drready()
        .args(["audit", "--example", "--policies"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nest more than 64"));
}

// 11. A FIFO among the documents, a snapshot given as a pipe: no hang.
#[test]
fn fifos_and_pipes_do_not_hang() {
    let dir = TempDir::new().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(
        docs.join("plan.md"),
        "# DR plan\n\n**Last Updated:** 2026-11-01\n",
    )
    .unwrap();
    let fifo = docs.join("stuck.md");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    // A symlink loop too.
    std::os::unix::fs::symlink(&docs, docs.join("loop")).unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(&config, "[docs]\npaths = [\"docs\"]\n").unwrap();
    let started = Instant::now();
    let out = drready()
        .args(["audit", "--example", "--format", "json", "--config"])
        .arg(&config)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(started.elapsed() < Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out).unwrap();
    let gaps = report["gaps"].to_string();
    assert!(
        gaps.contains("stuck.md") && gaps.contains("not a regular file"),
        "{gaps}"
    );
    // The document behind the loop is read once.
    let plans = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            v["control"] == "doc-review-current"
                && v["resource"].as_str().unwrap().ends_with("plan.md")
        })
        .count();
    assert_eq!(plans, 1);

    let pipe = dir.path().join("snapshot.pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap()
        .success());
    drready()
        .args(["audit", "--snapshot"])
        .arg(&pipe)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "snapshot.pipe: not a regular file",
        ));
}

// 11. An AWS endpoint that never answers: the call times out into a gap and the audit ends.
#[test]
fn an_unanswered_request_becomes_a_timeout_gap() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accept and hold every connection, answering nothing, until the test ends.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("drready.toml");
    std::fs::write(
        &config,
        "[scope]\nregions = [\"us-east-1\"]\ndr_region = \"us-west-2\"\n[[accounts]]\nrole_arn = \"arn:aws:iam::111111111111:role/x\"\n[collect]\nconnect_timeout = \"1s\"\nread_timeout = \"1s\"\noperation_timeout = \"2s\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = common::drready_with_keys("k", "s")
        .args(["audit", "--format", "json", "--config"])
        .arg(&config)
        .args(["--endpoint-url", &url])
        .timeout(Duration::from_secs(120))
        .assert()
        .get_output()
        .clone();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the audit did not end"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gaps = report["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty());
    for g in gaps {
        assert_eq!(g["error_code"], "Timeout", "{g}");
    }
    // Nothing passes on evidence that never came.
    assert!(
        !report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["status"] == "pass"
                && v["resource_type"] != "Component"
                && v["resource_type"] != "Program"
                && v["resource_type"] != "Document"),
        "a verdict passed without evidence"
    );
}

// 12. Inputs are bounded: a plan from /dev/zero is a clear error, at once.
#[test]
fn a_plan_from_a_device_is_a_clear_error() {
    drready()
        .args(["gate", "--plan", "/dev/zero"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "/dev/zero: cannot read: not a regular file",
        ));
}

// 19. Every fact a collector or reader names in a gap is declared in the Cedar schema, and a gap
// naming only unknown facts is an error rather than covering nothing.
#[test]
fn every_attribute_named_in_a_gap_is_in_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = std::fs::read_to_string(root.join("policies/drready.cedarschema")).unwrap();
    let declared = |name: &str| {
        schema.match_indices(name).any(|(i, _)| {
            let before = schema[..i].chars().last().unwrap_or(' ');
            let after = schema[i + name.len()..].trim_start();
            !(before.is_alphanumeric() || before == '_')
                && (after.starts_with(':') || after.starts_with("?:") || after.starts_with('?'))
        })
    };
    let mut names: Vec<(String, String)> = drready::sources::dr_tests::HISTORY_FACTS
        .iter()
        .map(|a| ("dr_tests::HISTORY_FACTS".to_string(), (*a).to_string()))
        .collect();
    // Every producer of gaps: the offline sources (Terraform plans, documents, test history) and
    // the AWS collectors.
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("crates/drready-core/src/sources"),
        root.join("crates/drready-aws/src"),
    ];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("&[\"") {
            // An attribute list: a string array passed to a gap constructor.
            let before = &text[i.saturating_sub(400)..i];
            // The nearest call before it must be a gap constructor, not the list of error codes
            // that mean "not configured" (`or_absent(.., &["NoSuch..."], ..)`).
            let gap_at = before.rfind("gap(");
            if gap_at.is_none() || before.rfind("or_absent(") > gap_at {
                continue;
            }
            let end = text[i..].find(']').unwrap() + i;
            for part in text[i + 2..end].split(',') {
                let name = part.trim().trim_matches('"');
                if !name.is_empty() {
                    names.push((f.display().to_string(), name.to_string()));
                }
            }
        }
    }
    assert!(
        names.len() > 30,
        "the scan found too few gap attributes: {names:?}"
    );
    let missing: Vec<_> = names.iter().filter(|(_, n)| !declared(n)).collect();
    assert!(
        missing.is_empty(),
        "gap attributes not in the schema: {missing:?}"
    );

    let dir = TempDir::new().unwrap();
    let mut s = snapshot(json!([db(json!({}))]));
    s["gaps"] = json!([{"source": "rds", "operation": "X", "resource_type": "rds_instance",
        "attributes": ["no_such_fact"], "message": "m"}]);
    let snap = dir.path().join("s.json");
    std::fs::write(&snap, s.to_string()).unwrap();
    drready()
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "names facts `no_such_fact`, none of which a control reads",
        ));
}
