//! Verifying a bundle, months later: the signature (when a public key is given), every file's size
//! and hash against the manifest, no file added, and a re-evaluation of the bundled inputs with
//! the bundled policies at the recorded time that must reproduce the bundled verdicts, scorecard
//! and reports byte for byte.

use std::path::Path;

use ed25519_dalek::VerifyingKey;

use crate::decide::score::{self, Scorecard};
use crate::decide::settings::Settings;
use crate::evaluate::catalog::Catalog;
use crate::evaluate::{self, Evaluation, Setup};
use crate::model::config::Config;
use crate::util::error::Error;

/// Renders the reports a bundle holds from a re-evaluation: (file name, SHA-256 hex) each. The
/// caller knows which reports a bundle holds; verification only compares.
pub type Reproduce =
    dyn Fn(&Catalog, &Evaluation, &Scorecard, &Settings) -> Result<Vec<(String, String)>, Error>;

/// Verify a bundle folder or archive: (intact, what was found, warnings included), stopping at
/// the first mismatch. An archive is unpacked into a temporary folder removed on every path;
/// errors name the archive, never the temporary folder.
pub fn verify(
    path: &Path,
    public: Option<&VerifyingKey>,
    kms: Option<&super::KmsCheck>,
    reproduce: &Reproduce,
) -> Result<(bool, Vec<String>), Error> {
    let unpacked = if path.is_file() {
        Some(
            crate::util::files::TempDir::new("drready-verify")
                .map_err(|e| Error::io("creating a temporary folder", e))?,
        )
    } else {
        None
    };
    let bundle = match &unpacked {
        Some(t) => super::unpack(path, t.path())?,
        None => path.to_path_buf(),
    };
    verify_folder(&bundle, public, kms, reproduce).map_err(|e| match &unpacked {
        Some(t) => Error::Other(e.to_string().replace(
            &t.path().display().to_string(),
            &format!("{}!", path.display()),
        )),
        None => e,
    })
}

/// Verify every bundle of an evidence folder and the chain between them: each bundle's
/// `previous_manifest_sha256` must be the SHA-256 of the manifest of the bundle before it. An
/// edited bundle fails its own verification (or, rewritten consistently, breaks the next link); a
/// removed or inserted one breaks a link. Bundles written before chaining may only lead the
/// folder. (intact, lines).
pub fn verify_chain(
    dir: &Path,
    public: Option<&VerifyingKey>,
    kms: Option<&super::KmsCheck>,
    reproduce: &Reproduce,
) -> Result<(bool, Vec<String>), Error> {
    let bundles =
        super::bundles_in(dir).map_err(|e| Error::io(format!("reading `{}`", dir.display()), e))?;
    let mut lines = Vec::new();
    if bundles.is_empty() {
        lines.push(format!("MISMATCH: `{}` holds no bundle", dir.display()));
        return Ok((false, lines));
    }
    let mut ok = true;
    let mut previous: Option<(String, String)> = None; // (name, manifest SHA-256)
    let mut unchained = 0usize;
    let mut chained = false;
    for b in &bundles {
        let name = b
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (intact, found) = verify(b, public, kms, reproduce)?;
        if !intact {
            ok = false;
            let why = found
                .iter()
                .find(|l| l.starts_with("MISMATCH"))
                .cloned()
                .unwrap_or_default();
            lines.push(format!("{name}: {why}"));
        }
        let bytes = std::fs::read(b.join(super::MANIFEST)).map_err(|e| {
            Error::io(
                format!("reading `{}`", b.join(super::MANIFEST).display()),
                e,
            )
        })?;
        let manifest = super::read_manifest(b)?;
        let hash = super::sha256_hex(&bytes);
        // A bundle of this build with no predecessor starts the chain; one of an earlier build
        // (no provenance) was written before bundles were chained.
        let starts = manifest.provenance.is_some();
        match (&previous, &manifest.previous_manifest_sha256) {
            (_, None) if !starts && !chained => unchained += 1,
            (None, None) => chained = true,
            (Some(_), None) if !chained => chained = true,
            (Some((before, _)), None) => {
                ok = false;
                lines.push(format!(
                    "MISMATCH: {name} names no previous bundle, yet {before} comes before it: a bundle was inserted, or its manifest rewritten"
                ));
            }
            (None, Some(p)) => {
                ok = false;
                chained = true;
                lines.push(format!(
                    "MISMATCH: {name} follows a bundle whose manifest has SHA-256 {p}, which is not in the folder: a bundle before it was removed"
                ));
            }
            (Some((before, h)), Some(p)) => {
                chained = true;
                if p != h {
                    ok = false;
                    lines.push(format!(
                        "MISMATCH: {name} follows a manifest with SHA-256 {p}, but the bundle before it ({before}) has {h}: a bundle was removed, inserted or rewritten"
                    ));
                }
            }
        }
        if intact {
            lines.push(format!("{name}: verified"));
        }
        previous = Some((name, hash));
    }
    if unchained > 0 {
        lines.push(format!(
            "WARNING: the first {unchained} bundle(s) were written before bundles were chained: their order is not proven"
        ));
    }
    lines.push(if ok {
        format!("chain: {} bundle(s), every link intact", bundles.len())
    } else {
        "chain: BROKEN".to_string()
    });
    Ok((ok, lines))
}

/// Check a bundle folder; (intact, what was found), stopping at the first mismatch.
fn verify_folder(
    bundle: &Path,
    public: Option<&VerifyingKey>,
    kms: Option<&super::KmsCheck>,
    reproduce: &Reproduce,
) -> Result<(bool, Vec<String>), Error> {
    let manifest = super::read_manifest(bundle)?;
    let mut lines = vec![format!(
        "bundle: {} (drready {}, evaluated at {})",
        bundle.display(),
        manifest.tool_version,
        manifest.evaluated_at.format("%Y-%m-%dT%H:%M:%SZ")
    )];
    match super::check_signature(bundle, public) {
        super::Signed::Valid => lines.push("signature: valid".into()),
        super::Signed::NotChecked => {
            lines.push("WARNING: signature NOT CHECKED: pass --public-key to check it; without it anyone who can write the bundle can rewrite it consistently".into());
        }
        super::Signed::Unsigned if public.is_some() => {
            lines.push("MISMATCH: the bundle is unsigned".into());
            return Ok((false, lines));
        }
        // Signed with KMS only: the KMS check below says whether that signature was checked.
        super::Signed::Unsigned if bundle.join(super::KMS_SIGNATURE).is_file() => {}
        super::Signed::Unsigned => {
            lines.push("WARNING: UNSIGNED bundle: its hashes prove it is consistent, not who wrote it (sign with --sign-key or --sign-kms-key)".into());
        }
        super::Signed::Invalid(why) => {
            lines.push(format!("MISMATCH: signature: {why}"));
            return Ok((false, lines));
        }
    }
    // The KMS signature: it must sign this manifest's statement, and KMS must say it is valid.
    let kms_path = bundle.join(super::KMS_SIGNATURE);
    match (kms_path.is_file(), kms) {
        (false, Some(_)) => {
            lines.push("MISMATCH: the bundle has no KMS signature".into());
            return Ok((false, lines));
        }
        (false, None) => {}
        (true, check) => {
            let text =
                crate::util::files::read_text(&kms_path, crate::util::files::MAX_SMALL_BYTES)?;
            let sig: super::KmsSignature = serde_json::from_str(&text)
                .map_err(|e| Error::from(crate::util::error::json_error(&kms_path, &e)))?;
            let manifest_bytes = std::fs::read(bundle.join(super::MANIFEST))
                .map_err(|e| Error::io("reading the manifest", e))?;
            if sig.message != super::kms_message(&manifest_bytes) {
                lines.push("MISMATCH: the KMS signature is of another manifest".into());
                return Ok((false, lines));
            }
            match check {
                Some(check) => {
                    if !check(&sig)? {
                        lines.push(format!(
                            "MISMATCH: KMS says the signature by `{}` is not valid",
                            sig.key_id
                        ));
                        return Ok((false, lines));
                    }
                    lines.push(format!(
                        "KMS signature: valid ({}, {})",
                        sig.key_id, sig.signing_algorithm
                    ));
                }
                None => lines.push(format!(
                    "WARNING: KMS signature by `{}` NOT CHECKED: pass --kms to ask KMS",
                    sig.key_id
                )),
            }
        }
    }
    if let Some(diff) = super::check_files(bundle, &manifest)? {
        lines.push(format!("MISMATCH: {diff}"));
        return Ok((false, lines));
    }
    lines.push(format!("files: {} intact", manifest.files.len()));
    // Re-evaluate the bundled inputs with the bundled policies at the recorded time.
    let catalog = Catalog::from_named(
        super::policy_files(bundle, &manifest)?,
        super::framework_files(bundle, &manifest)?,
    )?;
    if let Some(kept) = &manifest.frameworks_sha256 {
        if *kept != catalog.frameworks_hash {
            lines.push(format!(
                "MISMATCH: the bundled frameworks hash to {}, the manifest says {kept}",
                catalog.frameworks_hash
            ));
            return Ok((false, lines));
        }
    }
    if catalog.hash != manifest.policy_set_sha256 {
        lines.push(format!(
            "MISMATCH: the bundled policies hash to {}, the manifest says {}",
            catalog.hash, manifest.policy_set_sha256
        ));
        return Ok((false, lines));
    }
    let config_path = bundle.join("inputs/config.toml");
    let config_text =
        crate::util::files::read_text(&config_path, crate::util::files::MAX_SMALL_BYTES)?;
    let config = Config::parse(&config_text, &config_path)?;
    let collected_path = bundle.join("inputs/collected.json");
    let collected_text =
        crate::util::files::read_text(&collected_path, crate::util::files::MAX_REPORT_BYTES)?;
    let collected: super::Collected = serde_json::from_str(&collected_text)
        .map_err(|e| crate::util::error::json_error(&collected_path, &e))?;
    let setup = Setup {
        as_of: Some(manifest.evaluated_at),
        documents: &collected.documents,
        dr_tests: &collected.dr_tests,
        gaps: &collected.gaps,
        ..Setup::new(&catalog, &config)
    };
    let snapshot_path = bundle.join("inputs/snapshot.json");
    let eval = evaluate::evaluate_path(&snapshot_path, &setup)?;
    let scorecard = score::score(&catalog, &eval);
    // A bundle of an earlier snapshot format was rendered by an earlier build, whose reports this
    // one does not write byte for byte: its files are proven by their hashes (above), and the
    // re-evaluation must give the same verdict for every (control, resource) and the same scores.
    // The keys before `resources` say it, without reading the resources a second time.
    let version = match crate::model::load::read_header_before_resources(&snapshot_path)? {
        Some(h) => h.schema_version,
        None => crate::model::load::read_header(&snapshot_path)?.schema_version,
    };
    let rendered_here = manifest.render_version == Some(crate::evidence::RENDER_VERSION);
    if version < crate::model::snapshot::SCHEMA_VERSION || !rendered_here {
        let why = if version < crate::model::snapshot::SCHEMA_VERSION {
            format!("a bundle of snapshot schema version {version}")
        } else {
            format!(
                "reports of render version {}, this build writes {}",
                manifest.render_version.unwrap_or(1),
                crate::evidence::RENDER_VERSION
            )
        };
        return match same_verdicts(bundle, &catalog, &eval, &scorecard)? {
            None => {
                lines.push(format!(
                    "re-evaluation: identical verdicts and overall score ({why}: its reports were rendered by another build and are proven by their hashes)"
                ));
                lines.push("verified".into());
                Ok((true, lines))
            }
            Some(diff) => {
                lines.push(format!("MISMATCH: {diff}"));
                Ok((false, lines))
            }
        };
    }
    for (name, sha256) in reproduce(&catalog, &eval, &scorecard, &manifest.settings)? {
        // The files' hashes were checked against the manifest above.
        let kept = manifest
            .files
            .iter()
            .find(|f| f.path == name)
            .map(|f| &f.sha256);
        if kept != Some(&sha256) {
            lines.push(format!(
                "MISMATCH: re-evaluating the bundled inputs does not reproduce `{name}`"
            ));
            return Ok((false, lines));
        }
    }
    if let Some(diff) = super::check_manifest_fields(bundle, &manifest, &eval)? {
        lines.push(format!("MISMATCH: {diff}"));
        return Ok((false, lines));
    }
    lines.push("re-evaluation: identical verdicts, scorecard and reports".into());
    lines.push("verified".into());
    Ok((true, lines))
}

/// Where the bundled `verdicts.json` and `scorecard.json` disagree with a re-evaluation: the first
/// (control, resource) whose status differs, one only one side has, or a score that differs.
fn same_verdicts(
    bundle: &Path,
    catalog: &Catalog,
    eval: &Evaluation,
    scorecard: &Scorecard,
) -> Result<Option<String>, Error> {
    use std::collections::BTreeMap;
    let read = |name: &str| -> Result<serde_json::Value, Error> {
        let path = bundle.join(name);
        let text = crate::util::files::read_text(&path, crate::util::files::MAX_REPORT_BYTES)?;
        serde_json::from_str(&text)
            .map_err(|e| Error::from(crate::util::error::json_error(&path, &e)))
    };
    let kept: BTreeMap<(String, String), String> = read("verdicts.json")?["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            Some((
                (
                    v["control"].as_str()?.to_string(),
                    v["resource"].as_str()?.to_string(),
                ),
                v["status"].as_str()?.to_string(),
            ))
        })
        .collect();
    let again: BTreeMap<(String, String), String> = eval
        .statuses()
        .map(|(c, r, s)| {
            (
                (
                    catalog.controls[c as usize].id.clone(),
                    eval.resources[r as usize].id.to_string(),
                ),
                s.as_str().to_string(),
            )
        })
        .collect();
    for (key, status) in &again {
        match kept.get(key) {
            Some(k) if k == status => {}
            Some(k) => {
                return Ok(Some(format!(
                    "re-evaluating gives `{status}` for {} on {}, the bundle says `{k}`",
                    key.0, key.1
                )))
            }
            None => {
                return Ok(Some(format!(
                    "re-evaluating gives a verdict for {} on {} that the bundle does not hold",
                    key.0, key.1
                )))
            }
        }
    }
    if let Some(key) = kept.keys().find(|k| !again.contains_key(*k)) {
        return Ok(Some(format!(
            "the bundle holds a verdict for {} on {} that re-evaluating does not give",
            key.0, key.1
        )));
    }
    let score = read("scorecard.json")?;
    let kept_score = score
        .pointer("/overall/score")
        .or_else(|| score.pointer("/scorecard/overall/score"))
        .and_then(serde_json::Value::as_f64);
    let again_score = scorecard.overall.score;
    if kept_score.is_some_and(|k| again_score.is_none_or(|a| (a - k).abs() > 1e-9)) {
        return Ok(Some(format!(
            "re-evaluating scores {again_score:?} overall, the bundle says {kept_score:?}"
        )));
    }
    Ok(None)
}
