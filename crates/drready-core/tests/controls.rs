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

use drready_core::evaluate::catalog::Catalog;
use drready_core::evaluate::{evaluate_snapshot, Setup};
use drready_core::model::config::Config;

#[derive(serde::Deserialize)]
struct Fixture {
    #[expect(dead_code, reason = "read by people, not by the test")]
    description: String,
    as_of: String,
    config: String,
    snapshot: serde_json::Value,
    expect: BTreeMap<String, BTreeMap<String, String>>,
    /// For each expected no_evidence: a piece of its cause (which gap, which missing fact).
    #[serde(default)]
    causes: BTreeMap<String, BTreeMap<String, String>>,
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

/// Control → the statuses some fixture documents for it.
type Covered = BTreeMap<String, BTreeSet<String>>;

/// Controls whose condition is the absence of a fact itself (`has rto && has rpo`): their failure
/// cannot have the fact present.
const ABSENCE_IS_THE_CONDITION: &[&str] = &["doc-targets-defined"];

/// Run every fixture; return what each expected, the controls with a documented failure on facts
/// that are present, and the mismatches.
fn run_all(catalog: &Catalog) -> (Covered, BTreeSet<String>, Vec<String>) {
    let mut covered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut fails_on_facts: BTreeSet<String> = BTreeSet::new();
    let mut wrong = Vec::new();
    for path in fixtures() {
        let fx: Fixture = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let config = Config::parse(&fx.config, &path).unwrap();
        let text = serde_json::to_string(&fx.snapshot).unwrap();
        let snapshot = drready_core::model::load::parse_snapshot(&text, &path).unwrap();
        let as_of = drready_core::util::duration::parse_instant(&fx.as_of).unwrap();
        let setup = Setup {
            as_of: Some(as_of),
            threads: 1,
            ..Setup::new(catalog, &config)
        };
        let eval = evaluate_snapshot(snapshot, &path, &setup).unwrap();
        let mut got: BTreeMap<(&str, &str), (&str, String)> = BTreeMap::new();
        let verdicts: Vec<_> = eval.verdicts().collect();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for v in &verdicts {
            let c = &catalog.controls[v.control as usize];
            let control = c.id.as_str();
            let resource = &*eval.resources[v.resource as usize].id;
            got.insert(
                (control, resource),
                (
                    v.status.as_str(),
                    v.cause.as_deref().unwrap_or("").to_string(),
                ),
            );
            // Every verdict a fixture gives is one it documents.
            let listed = fx
                .expect
                .get(control)
                .is_some_and(|m| m.contains_key(resource));
            if !listed && v.status.as_str() != "not_applicable" {
                wrong.push(format!(
                    "{name}: {control} on {resource} gives {} {}, which the fixture does not list",
                    v.status.as_str(),
                    v.cause.as_deref().unwrap_or("")
                ));
            }
            // A failure that proves the control fails through its own condition has every fact
            // it reads present: a failure by absence proves nothing of the comparison.
            let documented = fx.expect.get(control).and_then(|m| m.get(resource));
            if v.status.as_str() == "fail" && documented.is_some_and(|w| w == "fail") {
                let absent: Vec<&String> = c
                    .facts
                    .iter()
                    .zip(v.facts.iter())
                    .filter(|(f, value)| value.is_none() && !c.shown.contains(f))
                    .map(|(f, _)| f)
                    .collect();
                if absent.is_empty() || ABSENCE_IS_THE_CONDITION.contains(&control) {
                    fails_on_facts.insert(control.to_string());
                }
            }
        }
        // Without its gaps, a fixture's gap-covered verdicts must be judged (pass or fail): the gap,
        // not a missing fact, is what made them no_evidence.
        if !fx.snapshot["gaps"].as_array().is_none_or(Vec::is_empty) {
            let mut bare = fx.snapshot.clone();
            bare["gaps"] = serde_json::json!([]);
            let text = serde_json::to_string(&bare).unwrap();
            let snapshot = drready_core::model::load::parse_snapshot(&text, &path).unwrap();
            let ungapped = evaluate_snapshot(snapshot, &path, &setup).unwrap();
            for v in ungapped.verdicts() {
                let control = catalog.controls[v.control as usize].id.as_str();
                let resource = &*ungapped.resources[v.resource as usize].id;
                let Some((status, cause)) = got.get(&(control, resource)) else {
                    continue;
                };
                let by_gap = *status == "no_evidence" && cause.contains(" failed");
                if by_gap && !matches!(v.status.as_str(), "pass" | "fail") {
                    wrong.push(format!(
                        "{name}: {control} on {resource} is no_evidence by a gap, and still {} without it ({}): put the fact in the fixture",
                        v.status.as_str(),
                        v.cause.as_deref().unwrap_or("")
                    ));
                }
            }
        }
        for (control, by_resource) in &fx.expect {
            assert!(
                catalog.control(control).is_some(),
                "{name}: no control `{control}`"
            );
            for (resource, want) in by_resource {
                let cause_wanted = fx.causes.get(control).and_then(|m| m.get(resource));
                match got.get(&(control.as_str(), resource.as_str())) {
                    Some((status, cause))
                        if status == want
                            && want == "no_evidence"
                            && !cause_wanted.is_some_and(|w| cause.contains(w.as_str())) =>
                    {
                        wrong.push(format!(
                            "{name}: {control} on {resource}: no_evidence because `{cause}`; the fixture must say why in `causes` (now {cause_wanted:?})"
                        ))
                    }
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
    (covered, fails_on_facts, wrong)
}

#[test]
fn fixtures_give_the_documented_verdicts() {
    let catalog = Catalog::load(None).unwrap();
    let (_, _, wrong) = run_all(&catalog);
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
    let (covered, fails_on_facts, _) = run_all(&catalog);
    let mut missing = Vec::new();
    for c in &catalog.controls {
        let seen = covered.get(&c.id).cloned().unwrap_or_default();
        for status in ["pass", "fail"] {
            if !seen.contains(status) {
                missing.push(format!("{} has no {status} fixture", c.id));
            }
        }
        if !fails_on_facts.contains(&c.id) {
            missing.push(format!(
                "{} has no fixture that fails with every fact it reads present",
                c.id
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
