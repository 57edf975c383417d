//! The bundles of an audit period: each one verified (a bundle that fails is named and left out),
//! then read for `decide::period`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use ed25519_dalek::VerifyingKey;

use crate::decide::period::{Audit, Excluded};
use crate::util::error::Error;

/// Bundle folders and archives named by `paths`: a bundle folder, an archive, or an evidence
/// folder (its bundles, and archives whose folder is not beside them).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() && !p.join(super::MANIFEST).is_file() {
            let bundles = super::bundles_in(p)
                .map_err(|e| Error::io(format!("reading `{}`", p.display()), e))?;
            let mut archives: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(format!("reading `{}`", p.display()), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|a| {
                    a.to_string_lossy().ends_with(".tar.gz")
                        && !Path::new(a.to_string_lossy().trim_end_matches(".tar.gz")).is_dir()
                })
                .collect();
            archives.sort();
            out.extend(bundles);
            out.extend(archives);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Verify and read every bundle; those outside `from..=to` are left out too, and said.
pub fn load(
    paths: &[PathBuf],
    from: NaiveDate,
    to: NaiveDate,
    public: Option<&VerifyingKey>,
    kms: Option<&super::KmsCheck>,
    reproduce: &super::verify::Reproduce,
) -> Result<(Vec<Audit>, Vec<Excluded>), Error> {
    let mut audits = Vec::new();
    let mut excluded = Vec::new();
    for path in expand(paths)? {
        let name = path.display().to_string();
        match super::verify::verify(&path, public, kms, reproduce) {
            Ok((true, _)) => {}
            Ok((false, lines)) => {
                let why = lines
                    .iter()
                    .find(|l| l.starts_with("MISMATCH"))
                    .cloned()
                    .unwrap_or_else(|| "verification failed".into());
                excluded.push(Excluded { bundle: name, why });
                continue;
            }
            Err(e) => {
                excluded.push(Excluded {
                    bundle: name,
                    why: format!("unreadable: {e}"),
                });
                continue;
            }
        }
        let unpacked = if path.is_file() {
            Some(
                crate::util::files::TempDir::new("drready-period")
                    .map_err(|e| Error::io("creating a temporary folder", e))?,
            )
        } else {
            None
        };
        let bundle = match &unpacked {
            Some(t) => super::unpack(&path, t.path())?,
            None => path.clone(),
        };
        let manifest = super::read_manifest(&bundle)?;
        let day = manifest.evaluated_at.date_naive();
        if day < from || day > to {
            excluded.push(Excluded {
                bundle: name,
                why: format!("evaluated {day}, outside the period"),
            });
            continue;
        }
        let read_json = |rel: &str| -> Result<serde_json::Value, Error> {
            let p = bundle.join(rel);
            let text = crate::util::files::read_text(&p, crate::util::files::MAX_REPORT_BYTES)?;
            serde_json::from_str(&text)
                .map_err(|e| Error::from(crate::util::error::json_error(&p, &e)))
        };
        let report = read_json("verdicts.json")?;
        let collected: super::Collected =
            serde_json::from_value(read_json("inputs/collected.json")?)
                .map_err(|e| Error::Other(format!("{name}: inputs/collected.json: {e}")))?;
        let header = crate::model::load::read_header(&bundle.join("inputs/snapshot.json"))?;
        let mut dr_tests = collected.dr_tests;
        dr_tests.extend(header.dr_tests);
        let mut documents = collected.documents;
        documents.extend(header.documents);
        audits.push(Audit {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(name),
            evaluated_at: manifest.evaluated_at,
            report,
            dr_tests,
            documents,
            params: manifest.settings.params.clone(),
        });
    }
    audits.sort_by_key(|a| a.evaluated_at);
    Ok((audits, excluded))
}
