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
    // Without a key, an unsigned bundle verifies, and says loudly what that proves.
    verify(&unsigned, &[])
        .code(0)
        .stdout(predicate::str::contains("WARNING: UNSIGNED bundle"))
        .stderr(predicate::str::contains("WARNING: UNSIGNED bundle"));
    verify(&b, &[])
        .code(0)
        .stdout(predicate::str::contains("WARNING: signature NOT CHECKED"));
}

/// Edit the manifest's JSON with `f`.
fn edit_manifest(bundle: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = bundle.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut m);
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

#[test]
fn the_manifest_must_describe_what_the_bundle_holds() {
    let dir = TempDir::new().unwrap();
    let b = bundle(dir.path(), &[]);
    for (field, value, said) in [
        (
            "collected_at",
            serde_json::json!("2020-01-01T00:00:00Z"),
            "collected at 2020-01-01",
        ),
        (
            "scope",
            serde_json::json!({"accounts": ["999999999999"], "regions": ["eu-west-1"], "dr_region": "eu-central-1"}),
            "scope",
        ),
        (
            "tool_version",
            serde_json::json!("9.9.9"),
            "tool version `9.9.9`",
        ),
    ] {
        let copy = dir.path().join(format!("copy-{field}"));
        copy_dir(&b, &copy);
        edit_manifest(&copy, |m| m[field] = value);
        verify(&copy, &[])
            .code(1)
            .stdout(predicate::str::contains("MISMATCH").and(predicate::str::contains(said)));
    }
    // A FIFO or a link inside a bundle fails verification at once, without blocking.
    let copy = dir.path().join("copy-fifo");
    copy_dir(&b, &copy);
    let report = copy.join("report.md");
    std::fs::remove_file(&report).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(&report)
        .status()
        .unwrap()
        .success());
    drready()
        .args(["evidence", "verify"])
        .arg(&copy)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "`report.md` is not a regular file",
        ));
    let copy = dir.path().join("copy-link");
    copy_dir(&b, &copy);
    std::os::unix::fs::symlink("/", copy.join("root")).unwrap();
    drready()
        .args(["evidence", "verify"])
        .arg(&copy)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "`root` is a link or a special file",
        ));
    // A new bundle never goes inside an existing one.
    drready()
        .env_remove("DRREADY_NO_EVIDENCE")
        .args(["audit", "--example", "--evidence-dir"])
        .arg(&b)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is inside the evidence bundle"));
}

/// An archive entry: path, kind, content.
type Entry<'a> = (&'a str, tar::EntryType, &'a [u8]);

/// A `.tar.gz` of `entries` followed by `trailing` bytes.
fn archive(path: &Path, entries: &[Entry<'_>], trailing: &[u8]) {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    for (name, kind, content) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*kind);
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        if *kind == tar::EntryType::Symlink {
            h.set_link_name("/etc/passwd").unwrap();
        }
        // Write the name into the header directly, so that `..` and absolute names get through.
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_cksum();
        t.append(&h, *content).unwrap();
    }
    let mut bytes = t.into_inner().unwrap().finish().unwrap();
    bytes.extend_from_slice(trailing);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn hostile_archives_are_refused() {
    use tar::EntryType::{Directory, Regular, Symlink};
    let dir = TempDir::new().unwrap();
    let before = temporaries();
    let cases: Vec<(&str, Vec<Entry>, &[u8], &str)> = vec![
        (
            "two-tops",
            vec![
                ("b/", Directory, b""),
                ("b/manifest.json", Regular, b"{}"),
                ("extra.txt", Regular, b"x"),
            ],
            b"",
            "more than one top-level entry",
        ),
        (
            "dotdot",
            vec![("b/", Directory, b""), ("b/../evil.txt", Regular, b"x")],
            b"",
            "leaves the bundle folder",
        ),
        (
            "absolute",
            vec![("/tmp/evil.txt", Regular, b"x")],
            b"",
            "not inside a bundle folder",
        ),
        (
            "link",
            vec![("b/", Directory, b""), ("b/manifest.json", Symlink, b"")],
            b"",
            "link or a special file",
        ),
        (
            "trailing",
            vec![("b/", Directory, b""), ("b/manifest.json", Regular, b"{}")],
            b"MORE DATA",
            "data after the end of the gzip stream",
        ),
    ];
    for (name, entries, trailing, said) in cases {
        let path = dir.path().join(format!("{name}.tar.gz"));
        archive(&path, &entries, trailing);
        verify(&path, &[]).code(2).stderr(
            predicate::str::contains(said).and(predicate::str::contains(path.to_str().unwrap())),
        );
    }
    // A corrupted checksum.
    let path = dir.path().join("crc.tar.gz");
    archive(
        &path,
        &[("b/", Directory, b""), ("b/manifest.json", Regular, b"{}")],
        b"",
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 8] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    verify(&path, &[])
        .code(2)
        .stderr(predicate::str::contains("not a readable .tar.gz"));
    // A compression bomb: 100 MiB of zeros in a few hundred kilobytes.
    let zeros = vec![0u8; 100 << 20];
    let path = dir.path().join("bomb.tar.gz");
    archive(
        &path,
        &[("b/", Directory, b""), ("b/zeros", Regular, &zeros)],
        b"",
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    verify(&path, &[])
        .code(2)
        .stderr(predicate::str::contains("compression bomb"));
    // `--compare` reads archives the same way, and names the archive, not a temporary folder.
    drready()
        .args(["audit", "--example", "--compare"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bomb.tar.gz")
                .and(predicate::str::contains("/tmp/drready-").not()),
        );
    // Nothing is left behind in the temporary folder.
    assert_eq!(temporaries(), before, "a temporary folder was left behind");
}

/// drready's temporary folders in the system's temporary folder.
fn temporaries() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("drready-verify-") || n.starts_with("drready-compare-"))
        .collect();
    out.sort();
    out
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

// A bundle written by the last build of snapshot schema version 1 still verifies: its files by
// their hashes, its verdicts and scores by re-evaluating its inputs with its own policies (its
// schema does not declare the facts this build adds). A verdict forged into it is still caught.
#[test]
fn a_bundle_of_snapshot_schema_version_1_still_verifies() {
    let archive = common::fixture("bundles/v1-example.tar.gz");
    verify(&archive, &[])
        .code(0)
        .stdout(predicate::str::contains("snapshot schema version 1"))
        .stdout(predicate::str::contains("verified"));

    let dir = TempDir::new().unwrap();
    let file = std::fs::File::open(&archive).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(dir.path())
        .unwrap();
    let bundle = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    verify(&bundle, &[]).code(0);
    let verdicts = bundle.join("verdicts.json");
    let text = std::fs::read_to_string(&verdicts).unwrap();
    let forged = text.replacen("\"status\":\"fail\"", "\"status\":\"pass\"", 1);
    assert_ne!(forged, text, "the forgery changes a verdict");
    std::fs::write(&verdicts, &forged).unwrap();
    edit_manifest(&bundle, |m| {
        for f in m["files"].as_array_mut().unwrap() {
            if f["path"] == "verdicts.json" {
                use sha2::Digest;
                f["sha256"] = serde_json::Value::String(format!(
                    "{:x}",
                    sha2::Sha256::digest(forged.as_bytes())
                ));
                f["size"] = serde_json::Value::from(forged.len());
            }
        }
    });
    verify(&bundle, &[])
        .code(1)
        .stdout(predicate::str::contains(
            "MISMATCH: re-evaluating gives `fail`",
        ));
}

/// Four audits into one evidence folder: each manifest names the one before it, and `verify
/// --chain` proves the folder whole, or names the bundle where an edit, a removal or an insertion
/// broke it.
#[test]
fn bundles_are_chained_and_the_chain_catches_edits_removals_and_insertions() {
    let dir = TempDir::new().unwrap();
    let bundles: Vec<PathBuf> = (0..4).map(|_| bundle(dir.path(), &[])).collect();
    let folder = bundles[0].parent().unwrap().to_path_buf();
    let manifest = |b: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(b.join("manifest.json")).unwrap()).unwrap()
    };
    let sha = |b: &Path| {
        use sha2::Digest;
        let d = sha2::Sha256::digest(std::fs::read(b.join("manifest.json")).unwrap());
        d.iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    assert!(manifest(&bundles[0])["previous_manifest_sha256"].is_null());
    for pair in bundles.windows(2) {
        assert_eq!(
            manifest(&pair[1])["previous_manifest_sha256"],
            sha(&pair[0])
        );
    }
    // Provenance: the example, its snapshot's hash, the documents and tests read, the build.
    let p = &manifest(&bundles[1])["provenance"];
    assert_eq!(p["source"], "example");
    assert_eq!(p["snapshot_path"], "evidence/example/snapshot.json");
    assert!(p["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["path"] == "evidence/example/dr-tests/2025-2026.jsonl"
            && i["sha256"].as_str().unwrap().len() == 64));
    assert!(p["build"].as_str().unwrap().starts_with("drready "));
    let chain = |dir: &Path| {
        drready()
            .args(["evidence", "verify", "--chain", dir.to_str().unwrap()])
            .assert()
    };
    chain(&folder).code(0).stdout(predicate::str::contains(
        "chain: 4 bundle(s), every link intact",
    ));

    // Edited: a manifest rewritten (its files still hash right) breaks the next link.
    let edited = dir.path().join("edited");
    copy_dir(&folder, &edited);
    let second = edited.join(bundles[1].file_name().unwrap());
    edit_manifest(&second, |m| m["created_at"] = "2020-01-01T00:00:00Z".into());
    chain(&edited).code(1).stdout(
        predicate::str::contains(format!(
            "MISMATCH: {} follows a manifest",
            bundles[2].file_name().unwrap().to_string_lossy()
        ))
        .and(predicate::str::contains("chain: BROKEN")),
    );
    // Removed: the bundle after the gap names a manifest that is not there.
    let removed = dir.path().join("removed");
    copy_dir(&folder, &removed);
    std::fs::remove_dir_all(removed.join(bundles[1].file_name().unwrap())).unwrap();
    chain(&removed)
        .code(1)
        .stdout(predicate::str::contains(format!(
            "MISMATCH: {} follows a manifest",
            bundles[2].file_name().unwrap().to_string_lossy()
        )));
    // The oldest removed: the new first names a predecessor the folder lacks.
    let head = dir.path().join("head");
    copy_dir(&folder, &head);
    std::fs::remove_dir_all(head.join(bundles[0].file_name().unwrap())).unwrap();
    chain(&head)
        .code(1)
        .stdout(predicate::str::contains("which is not in the folder"));
    // Inserted: a bundle audited elsewhere, put in the folder, names no predecessor there.
    let inserted = dir.path().join("inserted");
    copy_dir(&folder, &inserted);
    let other = bundle(&dir.path().join("other"), &[]);
    copy_dir(&other, &inserted.join("99991231T235959Z"));
    chain(&inserted).code(1).stdout(predicate::str::contains(
        "MISMATCH: 99991231T235959Z names no previous bundle",
    ));
    // A provenance that does not describe the bundle: another collector, another snapshot.
    edit_manifest(&bundles[3], |m| {
        m["provenance"]["collected_by"] = "arn:aws:iam::999999999999:user/mallory".into()
    });
    verify(&bundles[3], &[])
        .code(1)
        .stdout(predicate::str::contains("the manifest says collected by"));
    edit_manifest(&bundles[2], |m| {
        m["provenance"]["snapshot_sha256"] = "00".into()
    });
    verify(&bundles[2], &[])
        .code(1)
        .stdout(predicate::str::contains(
            "provenance names snapshot SHA-256 00",
        ));
}

/// A period report over four quarterly-style audits, one of them tampered with: the tampered
/// bundle is named and left out, the other three are the evidence, and the cadence is checked
/// for every month of the period.
#[test]
fn a_period_report_names_a_tampered_bundle_and_checks_the_cadence_per_month() {
    let dir = TempDir::new().unwrap();
    let bundles: Vec<PathBuf> = ["2026-09-10", "2026-10-08", "2026-11-05", "2026-11-25"]
        .iter()
        .map(|d| bundle(dir.path(), &["--as-of", d]))
        .collect();
    // Tamper with the second: one byte of its text report.
    let report = bundles[1].join("report.txt");
    let mut bytes = std::fs::read(&report).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&report, bytes).unwrap();
    let folder = bundles[0].parent().unwrap();
    let out = drready()
        .args([
            "report",
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-30",
            "--format",
            "json",
            folder.to_str().unwrap(),
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tampered = bundles[1].display().to_string();
    assert!(
        stderr.contains(&format!("left out: {tampered}")),
        "{stderr}"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["audits"].as_array().unwrap().len(), 3);
    assert_eq!(r["excluded"][0]["bundle"], tampered.as_str());
    assert!(r["excluded"][0]["why"]
        .as_str()
        .unwrap()
        .contains("report.txt"));
    // 91 days, 3 of them audited.
    assert_eq!(r["days_without_audit"], 88);
    // Requirements and controls over the period: A.8.13 failed in every audit.
    let req = r["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["framework"] == "iso27001" && q["id"] == "A.8.13")
        .unwrap();
    assert_eq!(req["audits"], 3);
    assert_eq!(req["passed"], 0);
    assert_eq!(req["first_failure"], "2026-09-10T00:00:00Z");
    // The cadence for every month and quarter, per kind of test.
    let periods: std::collections::BTreeSet<&str> = r["cadence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["period"].as_str().unwrap())
        .collect();
    for p in ["2026-09", "2026-10", "2026-11", "2026-Q3", "2026-Q4"] {
        assert!(periods.contains(p), "{p}: {periods:?}");
    }
    let component = |p: &str| {
        r["cadence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["period"] == p && c["kind"] == "component")
            .unwrap()["met"]
            .as_bool()
            .unwrap()
    };
    // No component test by the end of September; one on 2 October.
    assert!(!component("2026-09"));
    assert!(component("2026-10"));
    // The population: every DR test of the period, once.
    let tests = r["tests"].as_array().unwrap();
    assert!(tests
        .iter()
        .any(|t| t["id"] == "2026-11-18-pg-cross-region-promote"));
    let ids: std::collections::BTreeSet<&str> =
        tests.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), tests.len());
    // Untampered, the same folder is clean (exit 0); an empty period is an error.
    std::fs::remove_dir_all(&bundles[1]).unwrap();
    drready()
        .args([
            "report",
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-30",
            folder.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Test cadence at the end of every month and quarter",
        ));
    drready()
        .args([
            "report",
            "--from",
            "2026-12-01",
            "--to",
            "2026-11-30",
            folder.to_str().unwrap(),
        ])
        .assert()
        .code(2);
}

/// A bundle of this render version reproduces byte for byte: a change to any report's bytes that
/// forgets to bump `evidence::RENDER_VERSION` fails here, before it makes months-old bundles fail
/// verification.
#[test]
fn a_bundle_of_this_render_version_reproduces_byte_for_byte() {
    let archive = common::fixture("bundles/render2-example.tar.gz");
    let out = verify(&archive, &[]).get_output().clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code() == Some(0)
            && stdout.contains("re-evaluation: identical verdicts, scorecard and reports"),
        "the reports of render version 2 are no longer reproduced: if that is meant, bump \
         evidence::RENDER_VERSION and add a bundle of the new version to tests/fixtures/bundles/ \
         (README there)\n{stdout}"
    );
}
