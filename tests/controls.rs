//! Table tests of the control catalog: documented fixture snapshots with the verdicts they must give.
//!
//! Each file in `tests/fixtures/controls/` holds a config, an evaluation time, a snapshot and the
//! expected verdict per (control, resource). Every shipped control must have at least one fixture
//! expecting `pass` and one expecting `fail`; the coverage test fails when one is missing.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use drready::config::Config;
use drready::evaluate::catalog::Catalog;
use drready::evaluate::{evaluate_snapshot, Setup};

#[derive(serde::Deserialize)]
struct Fixture {
    #[expect(dead_code, reason = "read by people, not by the test")]
    description: String,
    as_of: String,
    config: String,
    snapshot: serde_json::Value,
    expect: BTreeMap<String, BTreeMap<String, String>>,
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/controls");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// Run every fixture; return what each expected, and the mismatches.
fn run_all(catalog: &Catalog) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut covered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for path in fixtures() {
        let fx: Fixture = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let config = Config::parse(&fx.config, &path).unwrap();
        let text = serde_json::to_string(&fx.snapshot).unwrap();
        let snapshot = drready::load::parse_snapshot(&text, &path).unwrap();
        let as_of = drready::cli::parse_as_of(&fx.as_of).unwrap();
        let setup = Setup {
            as_of: Some(as_of),
            threads: 1,
            ..Setup::new(catalog, &config)
        };
        let eval = evaluate_snapshot(snapshot, &path, &setup).unwrap();
        let mut got: BTreeMap<(&str, &str), (&str, String)> = BTreeMap::new();
        let verdicts: Vec<_> = eval.verdicts().collect();
        for v in &verdicts {
            let control = catalog.controls[v.control as usize].id.as_str();
            let resource = &*eval.resources[v.resource as usize].id;
            got.insert(
                (control, resource),
                (
                    v.status.as_str(),
                    v.cause.as_deref().unwrap_or("").to_string(),
                ),
            );
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (control, by_resource) in &fx.expect {
            assert!(
                catalog.control(control).is_some(),
                "{name}: no control `{control}`"
            );
            for (resource, want) in by_resource {
                match got.get(&(control.as_str(), resource.as_str())) {
                    Some((status, _)) if status == want => {
                        covered
                            .entry(control.clone())
                            .or_default()
                            .insert(want.clone());
                    }
                    Some((status, cause)) => wrong.push(format!(
                        "{name}: {control} on {resource}: want {want}, got {status} {cause}"
                    )),
                    None => wrong.push(format!(
                        "{name}: {control} on {resource}: want {want}, got no verdict"
                    )),
                }
            }
        }
    }
    (covered, wrong)
}

#[test]
fn fixtures_give_the_documented_verdicts() {
    let catalog = Catalog::load(None).unwrap();
    let (_, wrong) = run_all(&catalog);
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_control_has_a_passing_and_a_failing_fixture() {
    let catalog = Catalog::load(None).unwrap();
    let (covered, _) = run_all(&catalog);
    let mut missing = Vec::new();
    for c in &catalog.controls {
        let seen = covered.get(&c.id).cloned().unwrap_or_default();
        for status in ["pass", "fail"] {
            if !seen.contains(status) {
                missing.push(format!("{} has no {status} fixture", c.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
