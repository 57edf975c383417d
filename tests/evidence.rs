//! Evidence bundles: written atomically, verified byte for byte (hashes, signature, re-evaluation),
//! and failing verification after any byte changes.

#![expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]

mod common;

use std::path::{Path, PathBuf};

use common::drready;
use predicates::prelude::*;
use tempfile::TempDir;

/// Audit the example into `dir/evidence`; the bundle folder.
fn bundle(dir: &Path, extra: &[&str]) -> PathBuf {
    let evidence = dir.join("evidence");
    let mut args = vec![
        "audit",
        "--example",
        "--evidence-dir",
        evidence.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = drready()
        .env_remove("DRREADY_NO_EVIDENCE")
        .args(&args)
        .assert()
        .code(0)
        .get_output()
        .stderr
        .clone();
    let line = String::from_utf8(out).unwrap();
    let path = line
        .lines()
        .find_map(|l| l.strip_prefix("evidence: "))
        .unwrap();
    PathBuf::from(path)
}

fn verify(path: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut args = vec!["evidence", "verify", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    drready().args(&args).assert()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for f in files(from) {
        let dest = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
}

#[test]
fn an_audit_leaves_a_bundle_that_verifies() {
    let dir = TempDir::new().unwrap();
    let b = bundle(dir.path(), &[]);
    assert!(
        b.starts_with(dir.path().join("evidence/123456789012")),
        "{}",
        b.display()
    );
    let names: Vec<String> = files(&b)
        .iter()
        .map(|f| f.strip_prefix(&b).unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "manifest.json",
        "inputs/snapshot.json",
        "inputs/config.toml",
        "inputs/collected.json",
        "policies/rds.cedar",
        "policies/drready.cedarschema",
        "verdicts.json",
        "scorecard.json",
        "report.txt",
        "report.md",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    // The snapshot is kept byte for byte.
    assert_eq!(
        std::fs::read_to_string(b.join("inputs/snapshot.json")).unwrap(),
        include_str!("../evidence/example/snapshot.json")
    );
    verify(&b, &[])
        .code(0)
        .stdout(predicate::str::contains("re-evaluation: identical"))
        .stdout(predicate::str::ends_with("verified\n"));
    // No temporary folder is left behind.
    let parent: Vec<_> = std::fs::read_dir(b.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(parent.len(), 1, "{parent:?}");
}

#[test]
fn any_changed_byte_fails_verification() {
    let dir = TempDir::new().unwrap();
    let b = bundle(dir.path(), &[]);
    for (i, file) in files(&b).iter().enumerate() {
        let rel = file.strip_prefix(&b).unwrap();
        let copy = dir.path().join(format!("copy-{i}"));
        copy_dir(&b, &copy);
        let target = copy.join(rel);
        let mut bytes = std::fs::read(&target).unwrap();
        if bytes.is_empty() {
            bytes.push(b'\n');
        } else {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x01;
        }
        std::fs::write(&target, bytes).unwrap();
        let code = drready()
            .args(["evidence", "verify", copy.to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .code()
            .unwrap();
        assert_ne!(
            code,
            0,
            "changing a byte of {} went unnoticed",
            rel.display()
        );
        if rel != Path::new("manifest.json") {
            verify(&copy, &[])
                .code(1)
                .stdout(predicate::str::contains(format!(
                    "MISMATCH: `{}`",
                    rel.display()
                )));
        }
    }
}

#[test]
fn tampering_with_the_manifest_or_the_files_is_named() {
    let dir = TempDir::new().unwrap();
    let b = bundle(dir.path(), &[]);
    // A manifest that agrees with a changed verdict file: the re-evaluation still disagrees.
    let copy = dir.path().join("forged");
    copy_dir(&b, &copy);
    let verdicts = copy.join("verdicts.json");
    let forged = std::fs::read_to_string(&verdicts).unwrap().replacen(
        "\"status\":\"fail\"",
        "\"status\":\"pass\"",
        1,
    );
    assert_ne!(
        forged,
        std::fs::read_to_string(&verdicts).unwrap(),
        "the forgery changes a verdict"
    );
    std::fs::write(&verdicts, &forged).unwrap();
    let manifest_path = copy.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["path"] == "verdicts.json" {
            use sha2::Digest;
            f["sha256"] =
                serde_json::Value::String(format!("{:x}", sha2::Sha256::digest(forged.as_bytes())));
            f["size"] = serde_json::Value::from(forged.len());
        }
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    verify(&copy, &[]).code(1).stdout(predicate::str::contains(
        "does not reproduce `verdicts.json`",
    ));
    // Moving the evaluation time in the manifest changes what the inputs give.
    let copy = dir.path().join("later");
    copy_dir(&b, &copy);
    let m = copy.join("manifest.json");
    let text = std::fs::read_to_string(&m).unwrap().replace(
        "\"evaluated_at\": \"2026-11-25T06:00:00Z\"",
        "\"evaluated_at\": \"2027-11-25T06:00:00Z\"",
    );
    std::fs::write(&m, text).unwrap();
    verify(&copy, &[])
        .code(1)
        .stdout(predicate::str::contains("MISMATCH"));
    // An added file, a removed file.
    let copy = dir.path().join("added");
    copy_dir(&b, &copy);
    std::fs::write(copy.join("policies/extra.cedar"), "").unwrap();
    verify(&copy, &[]).code(1).stdout(predicate::str::contains(
        "`policies/extra.cedar` is not in the manifest",
    ));
    let copy = dir.path().join("removed");
    copy_dir(&b, &copy);
    std::fs::remove_file(copy.join("report.md")).unwrap();
    verify(&copy, &[])
        .code(1)
        .stdout(predicate::str::contains("`report.md` is missing"));
    // Unreadable input.
    verify(&dir.path().join("nothing-here"), &[]).code(2);
    let garbage = dir.path().join("garbage.tar.gz");
    std::fs::write(&garbage, "not an archive").unwrap();
    verify(&garbage, &[]).code(2);
}

#[test]
fn signed_bundles_and_archives() {
    let dir = TempDir::new().unwrap();
    let prefix = dir.path().join("audit");
    drready()
        .args(["evidence", "keygen", "--out", prefix.to_str().unwrap()])
        .assert()
        .code(0);
    let key = dir.path().join("audit.key");
    let public = dir.path().join("audit.pub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Keys are never overwritten.
    drready()
        .args(["evidence", "keygen", "--out", prefix.to_str().unwrap()])
        .assert()
        .code(2);
    let b = bundle(
        dir.path(),
        &["--sign-key", key.to_str().unwrap(), "--archive"],
    );
    let p = public.to_str().unwrap();
    verify(&b, &["--public-key", p])
        .code(0)
        .stdout(predicate::str::contains("signature: valid"));
    let archive = PathBuf::from(format!("{}.tar.gz", b.display()));
    verify(&archive, &["--public-key", p])
        .code(0)
        .stdout(predicate::str::contains("verified"));
    // Another key does not verify it.
    let other = dir.path().join("other");
    drready()
        .args(["evidence", "keygen", "--out", other.to_str().unwrap()])
        .assert()
        .code(0);
    let other_pub = dir.path().join("other.pub");
    verify(&b, &["--public-key", other_pub.to_str().unwrap()])
        .code(1)
        .stdout(predicate::str::contains("MISMATCH: signature"));
    // An unsigned bundle is reported as such when a key is given.
    let unsigned = bundle(&dir.path().join("u"), &[]);
    verify(&unsigned, &["--public-key", p])
        .code(1)
        .stdout(predicate::str::contains("unsigned"));
    verify(&unsigned, &[])
        .code(0)
        .stdout(predicate::str::contains("signature: none"));
}

#[test]
fn no_evidence_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let evidence = dir.path().join("evidence");
    drready()
        .env_remove("DRREADY_NO_EVIDENCE")
        .args([
            "audit",
            "--example",
            "--no-evidence",
            "--evidence-dir",
            evidence.to_str().unwrap(),
        ])
        .assert()
        .code(0);
    assert!(!evidence.exists());
}
