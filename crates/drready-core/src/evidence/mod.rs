//! Evidence bundles: what an audit judged and concluded, in a folder an auditor can verify byte for
//! byte months later.
//!
//! ```text
//! <bundle>/manifest.json         tool version, times, scope, policy-set hash, settings, and the
//!                                size and SHA-256 of every other file
//! <bundle>/manifest.sig          Ed25519 signature of manifest.json (hex), when signed
//! <bundle>/inputs/snapshot.json  the snapshot, byte for byte
//! <bundle>/inputs/collected.json the DR documents, test history and gaps read from files
//! <bundle>/inputs/config.toml    the configuration, byte for byte (empty: defaults)
//! <bundle>/policies/*            the exact schema and policy files used
//! <bundle>/frameworks/*          the exact framework files used
//! <bundle>/verdicts.json         the JSON report: every verdict with its facts
//! <bundle>/scorecard.json        the scores
//! <bundle>/report.txt, report.md the rendered reports
//! ```
//!
//! A bundle is written to a temporary folder beside its destination and renamed into place:
//! complete or absent, never overwritten. `verify` recomputes every hash, checks that no file was
//! added, re-evaluates the bundled inputs with the bundled policies at the recorded evaluation time
//! and compares the result with the bundled verdicts and scorecard.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod period;
pub mod previous;
pub mod verify;

use crate::evaluate::catalog::hex;
use crate::model::snapshot::{Document, DrTest, Gap, Scope};
use crate::util::error::{Error, InputError};

pub const BUNDLE_VERSION: u32 = 1;

/// The version of the bundled reports' bytes: bumped whenever a renderer writes other bytes for
/// the same inputs, so that `verify` knows when to expect byte-for-byte reproduction. 2: the
/// requirement views, with frameworks from files.
pub const RENDER_VERSION: u32 = 2;
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
/// The AWS KMS signature of the manifest (`--sign-kms-key`), beside or instead of Ed25519's.
pub const KMS_SIGNATURE: &str = "manifest.kms.json";

/// A KMS signature: the key, the algorithm, the statement signed (`kms_message` of the
/// manifest) and the signature (hex).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KmsSignature {
    pub key_id: String,
    pub signing_algorithm: String,
    pub message: String,
    pub signature: String,
}

/// What a KMS key signs for a manifest: a short statement naming its SHA-256, sent as a RAW
/// message (under KMS's 4 KiB limit, and hashed the same way by AWS and any offline verifier).
pub fn kms_message(manifest: &[u8]) -> String {
    format!("drready-manifest-sha256:{}", sha256_hex(manifest))
}

/// Signs a manifest's statement with a KMS key (the CLI provides it: only it reaches AWS).
pub type Cosigner<'a> = &'a dyn Fn(&str) -> Result<KmsSignature, Error>;

/// Asks KMS whether a signature is valid (the CLI provides it).
pub type KmsCheck = dyn Fn(&KmsSignature) -> Result<bool, Error>;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub bundle_version: u32,
    pub tool: String,
    pub tool_version: String,
    /// When the bundle was written.
    pub created_at: DateTime<Utc>,
    pub collected_at: DateTime<Utc>,
    /// The evaluation time (`--as-of`, else `collected_at`): verification re-evaluates at it.
    pub evaluated_at: DateTime<Utc>,
    pub scope: Scope,
    pub policy_set_sha256: String,
    /// Where each bundled policy file came from, by name (`policies/rds.cedar`, `my/x.cedar`).
    pub policy_origins: BTreeMap<String, String>,
    /// SHA-256 over the bundled framework files (`frameworks/`); absent in bundles written before
    /// frameworks were files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frameworks_sha256: Option<String>,
    /// Where each bundled framework file came from, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub framework_origins: BTreeMap<String, String>,
    /// The version of the report renderers that wrote the reports (`report::RENDER_VERSION`):
    /// a build with the same version reproduces them byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_version: Option<u32>,
    /// Where the evidence came from and who gathered it (absent in bundles of earlier builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// The SHA-256 of the manifest of the bundle before this one in the same evidence folder (the
    /// newest by name when this one was written); absent for the first. `verify --chain` follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_manifest_sha256: Option<String>,
    pub settings: crate::decide::settings::Settings,
    pub files: Vec<FileEntry>,
}

/// Where a bundle's evidence came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// `live` (collected by this run from AWS), `file` (`--snapshot`) or `example`.
    pub source: String,
    /// The snapshot file as given, for `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_path: Option<String>,
    /// SHA-256 of the snapshot as judged (the bundled `inputs/snapshot.json`).
    pub snapshot_sha256: String,
    /// The identity that collected the snapshot (the caller's ARN from STS), as the snapshot's
    /// scope records it; a file's claim is only as good as the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_by: Option<String>,
    /// Every DR document and test-history file read, with its SHA-256.
    #[serde(default)]
    pub inputs: Vec<InputFile>,
    /// The build that wrote the bundle.
    pub build: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

/// This build, as a bundle names it.
pub fn build() -> String {
    format!(
        "drready {} ({}/{})",
        crate::VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// SHA-256 (hex) of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The bundle folders of an evidence folder, oldest first (bundle names are UTC stamps, a second
/// bundle of the same second gets `-2`, so name order is time order).
pub fn bundles_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.starts_with('.') && path.join(MANIFEST).is_file() {
            out.push(path);
        }
    }
    out.sort_by_key(|p| bundle_order(p));
    Ok(out)
}

/// (stamp, n) of a bundle named `STAMP` or `STAMP-n`.
fn bundle_order(p: &Path) -> (String, u32) {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.rsplit_once('-') {
        Some((stamp, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
            (stamp.to_string(), n.parse().unwrap_or(0))
        }
        _ => (name, 1),
    }
}

/// What the audit read besides the snapshot.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collected {
    pub documents: Vec<Document>,
    pub dr_tests: Vec<DrTest>,
    pub gaps: Vec<Gap>,
}

fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Writes a rendered report.
pub type Render<'a> = Box<dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()> + 'a>;

/// The files of a bundle to write: relative path → source.
pub enum Content<'a> {
    Bytes(Vec<u8>),
    /// Copied from a file (a large snapshot is never read into memory).
    File(PathBuf),
    /// Written by a renderer straight to the file (a large report is never held in memory).
    Stream(Render<'a>),
}

/// A writer that only hashes: what a rendered file's SHA-256 would be, without the file.
#[derive(Default)]
pub struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HashWriter {
    pub fn hex(self) -> String {
        hex(&self.0.finalize())
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::io(context, e)
}

/// A folder name for a time: `20261125T060000Z`.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Write a bundle under `parent` (as `<name>`, or `<name>-2`, ... when that exists), atomically.
/// Returns the bundle's folder.
pub fn write(
    parent: &Path,
    name: &str,
    files: Vec<(String, Content<'_>)>,
    mut manifest: Manifest,
    key: Option<&SigningKey>,
    cosign: Option<Cosigner<'_>>,
) -> Result<PathBuf, Error> {
    // A bundle is never changed: no new bundle goes inside one.
    if let Some(inside) = parent.ancestors().find(|a| a.join(MANIFEST).is_file()) {
        return Err(Error::Other(format!(
            "the evidence folder `{}` is inside the evidence bundle `{}`: choose another `--evidence-dir`",
            parent.display(),
            inside.display()
        )));
    }
    std::fs::create_dir_all(parent).map_err(io(format!("creating `{}`", parent.display())))?;
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> Result<PathBuf, Error> {
        std::fs::create_dir_all(&tmp).map_err(io(format!("creating `{}`", tmp.display())))?;
        let mut entries = Vec::new();
        for (rel, content) in files {
            let dest = tmp.join(&rel);
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(io(format!("creating `{}`", dir.display())))?;
            }
            match content {
                Content::Bytes(b) => std::fs::write(&dest, b),
                Content::File(src) => std::fs::copy(&src, &dest).map(|_| ()),
                Content::Stream(render) => std::fs::File::create(&dest).and_then(|f| {
                    let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
                    render(&mut w)?;
                    std::io::Write::flush(&mut w)
                }),
            }
            .map_err(io(format!("writing `{}`", dest.display())))?;
            let (size, sha256) =
                sha256_file(&dest).map_err(io(format!("reading `{}`", dest.display())))?;
            entries.push(FileEntry {
                path: rel,
                size,
                sha256,
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(p) = &mut manifest.provenance {
            if let Some(e) = entries.iter().find(|e| e.path == "inputs/snapshot.json") {
                p.snapshot_sha256 = e.sha256.clone();
            }
        }
        manifest.files = entries;
        // The chain: the newest bundle already in this folder.
        manifest.previous_manifest_sha256 = match bundles_in(parent)
            .map_err(io(format!("reading `{}`", parent.display())))?
            .last()
        {
            Some(prev) => Some(sha256_hex(
                &std::fs::read(prev.join(MANIFEST))
                    .map_err(io(format!("reading `{}`", prev.join(MANIFEST).display())))?,
            )),
            None => None,
        };
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(tmp.join(MANIFEST), &text)
            .map_err(io(format!("writing `{}`", tmp.join(MANIFEST).display())))?;
        if let Some(key) = key {
            let sig = key.sign(&text);
            std::fs::write(tmp.join(SIGNATURE), format!("{}\n", hex(&sig.to_bytes())))
                .map_err(io(format!("writing `{}`", tmp.join(SIGNATURE).display())))?;
        }
        if let Some(cosign) = cosign {
            let sig = cosign(&kms_message(&text))?;
            let json = serde_json::to_vec_pretty(&sig).map_err(|e| Error::Other(e.to_string()))?;
            std::fs::write(tmp.join(KMS_SIGNATURE), json).map_err(io(format!(
                "writing `{}`",
                tmp.join(KMS_SIGNATURE).display()
            )))?;
        }
        // Rename into place; a folder that exists is never replaced.
        for n in 1.. {
            let dest = if n == 1 {
                parent.join(name)
            } else {
                parent.join(format!("{name}-{n}"))
            };
            if dest.exists() {
                continue;
            }
            match std::fs::rename(&tmp, &dest) {
                Ok(()) => return Ok(dest),
                Err(_) if dest.exists() => continue,
                Err(e) => {
                    return Err(Error::io(
                        format!("moving the bundle to `{}`", dest.display()),
                        e,
                    ))
                }
            }
        }
        unreachable!("an unbounded range always yields a free name")
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Write a `.tar.gz` of a bundle folder beside it (atomically, never overwriting).
pub fn archive(bundle: &Path) -> Result<PathBuf, Error> {
    let name = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let dest = bundle.with_file_name(format!("{name}.tar.gz"));
    if dest.exists() {
        return Err(Error::Other(format!(
            "`{}` exists; a bundle archive is never overwritten",
            dest.display()
        )));
    }
    let tmp = bundle.with_file_name(format!(".{name}.tar.gz.partial-{}", std::process::id()));
    let file = std::fs::File::create(&tmp).map_err(io(format!("creating `{}`", tmp.display())))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let done = tar
        .append_dir_all(&name, bundle)
        .and_then(|()| tar.into_inner())
        .and_then(|gz| gz.finish())
        .and_then(|f| f.sync_all());
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(format!("writing `{}`", tmp.display()), e));
    }
    std::fs::rename(&tmp, &dest).map_err(io(format!("moving `{}`", dest.display())))?;
    Ok(dest)
}

/// The most an archive may unpack to: 8 GiB, and never more than 200 times its compressed size
/// (JSON compresses about 10-20 times; a compression bomb about 1,000 times).
pub const MAX_UNPACKED_BYTES: u64 = 8 << 30;
/// The most entries an archive may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// Unpack a `.tar.gz` bundle into `into` (a temporary folder); the bundle's folder inside it.
/// Only one top-level folder, regular files and folders are accepted: no `..`, absolute paths,
/// links or devices, no data after the archive's end, and the gzip checksum must hold.
pub fn unpack(archive: &Path, into: &Path) -> Result<PathBuf, InputError> {
    use std::io::BufRead;
    let bad = |why: String| InputError::plain(archive, why);
    let meta = std::fs::metadata(archive).map_err(|e| InputError::io(archive, &e))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    let limit = (meta.len().saturating_mul(200)).clamp(64 << 20, MAX_UNPACKED_BYTES);
    let file = std::fs::File::open(archive).map_err(|e| InputError::io(archive, &e))?;
    let mut gz = flate2::bufread::GzDecoder::new(std::io::BufReader::new(file));
    let unreadable = |e: std::io::Error| bad(format!("not a readable .tar.gz: {e}"));
    let mut top: Option<std::ffi::OsString> = None;
    {
        let mut tar = tar::Archive::new(&mut gz);
        let (mut total, mut count) = (0u64, 0usize);
        for entry in tar.entries().map_err(unreadable)? {
            let mut e = entry.map_err(unreadable)?;
            let path = e.path().map_err(unreadable)?.into_owned();
            let mut parts = path.components();
            let first = match parts.next() {
                Some(std::path::Component::Normal(f)) => f.to_os_string(),
                _ => {
                    return Err(bad(format!(
                        "entry `{}` is not inside a bundle folder",
                        path.display()
                    )))
                }
            };
            if parts.any(|c| !matches!(c, std::path::Component::Normal(_))) {
                return Err(bad(format!(
                    "entry `{}` leaves the bundle folder",
                    path.display()
                )));
            }
            match &top {
                None => top = Some(first),
                Some(t) if *t != first => {
                    return Err(bad(format!(
                        "more than one top-level entry (`{}` and `{}`)",
                        t.to_string_lossy(),
                        first.to_string_lossy()
                    )))
                }
                Some(_) => {}
            }
            let kind = e.header().entry_type();
            if !(kind.is_file() || kind.is_dir()) {
                return Err(bad(format!(
                    "entry `{}` is a link or a special file",
                    path.display()
                )));
            }
            total = total.saturating_add(e.size());
            count += 1;
            if total > limit || count > MAX_ENTRIES {
                return Err(bad(format!(
                    "unpacks to more than {limit} bytes or {MAX_ENTRIES} entries (a compression bomb?)"
                )));
            }
            e.unpack_in(into).map_err(unreadable)?;
        }
    }
    // After the tar's end: zero padding only, then the end of the gzip stream (its CRC checked).
    let mut rest = [0u8; 8192];
    let mut padding = 0u64;
    loop {
        let n = std::io::Read::read(&mut gz, &mut rest).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        padding += n as u64;
        if rest[..n].iter().any(|b| *b != 0) || padding > 1 << 20 {
            return Err(bad("data after the end of the archive".into()));
        }
    }
    let mut inner = gz.into_inner();
    if !inner.fill_buf().map_err(unreadable)?.is_empty() {
        return Err(bad("data after the end of the gzip stream".into()));
    }
    match top {
        Some(t) if into.join(&t).is_dir() => Ok(into.join(t)),
        _ => Err(bad("expected one bundle folder in the archive".into())),
    }
}

/// Where the manifest's own fields disagree with what the bundle holds: the collection time and
/// scope of the re-read snapshot, the tool version, times and scope its JSON report records.
pub fn check_manifest_fields(
    bundle: &Path,
    manifest: &Manifest,
    eval: &crate::evaluate::Evaluation,
) -> Result<Option<String>, InputError> {
    #[derive(Deserialize)]
    struct ReportHead {
        tool_version: String,
        collected_at: String,
        evaluated_at: String,
        scope: Scope,
    }
    let at = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if manifest.collected_at != eval.collected_at {
        return Ok(Some(format!(
            "the manifest says collected at {}, the snapshot {}",
            at(manifest.collected_at),
            at(eval.collected_at)
        )));
    }
    if manifest.scope != eval.scope {
        return Ok(Some(format!(
            "the manifest's scope {:?} is not the snapshot's {:?}",
            manifest.scope, eval.scope
        )));
    }
    if let Some(p) = &manifest.provenance {
        let kept = manifest
            .files
            .iter()
            .find(|f| f.path == "inputs/snapshot.json")
            .map(|f| f.sha256.as_str());
        if kept != Some(p.snapshot_sha256.as_str()) {
            return Ok(Some(format!(
                "the manifest's provenance names snapshot SHA-256 {}, the bundled snapshot has {}",
                p.snapshot_sha256,
                kept.unwrap_or("none")
            )));
        }
        if p.collected_by != eval.scope.collected_by {
            return Ok(Some(format!(
                "the manifest says collected by {:?}, the snapshot {:?}",
                p.collected_by, eval.scope.collected_by
            )));
        }
    }
    let path = bundle.join("verdicts.json");
    let file = std::fs::File::open(&path).map_err(|e| InputError::io(&path, &e))?;
    let head: ReportHead = serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| crate::util::error::json_error(&path, &e))?;
    let checks = [
        (
            "tool version",
            manifest.tool_version.clone(),
            head.tool_version,
        ),
        (
            "collection time",
            at(manifest.collected_at),
            head.collected_at,
        ),
        (
            "evaluation time",
            at(manifest.evaluated_at),
            head.evaluated_at,
        ),
    ];
    for (what, m, r) in checks {
        if m != r {
            return Ok(Some(format!(
                "the manifest's {what} `{m}` is not the report's `{r}`"
            )));
        }
    }
    if head.scope != manifest.scope {
        return Ok(Some("the manifest's scope is not the report's".into()));
    }
    Ok(None)
}

/// A new Ed25519 key pair, as hex: (secret, public).
pub fn keygen() -> Result<(String, String), Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| Error::Other(format!("no randomness for a key: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    Ok((hex(&seed), hex(key.verifying_key().as_bytes())))
}

fn unhex32(text: &str, path: &Path) -> Result<[u8; 32], InputError> {
    let t = text.trim();
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    match bytes {
        Some(b) if b.len() == 32 && t.len() == 64 => {
            let mut out = [0u8; 32];
            out.copy_from_slice(&b);
            Ok(out)
        }
        _ => Err(InputError::plain(
            path,
            "not an Ed25519 key (64 hex digits)",
        )),
    }
}

pub fn signing_key(path: &Path) -> Result<SigningKey, InputError> {
    let text = crate::util::files::read_text(path, crate::util::files::MAX_SMALL_BYTES)?;
    Ok(SigningKey::from_bytes(&unhex32(&text, path)?))
}

pub fn verifying_key(path: &Path) -> Result<VerifyingKey, InputError> {
    let text = crate::util::files::read_text(path, crate::util::files::MAX_SMALL_BYTES)?;
    VerifyingKey::from_bytes(&unhex32(&text, path)?)
        .map_err(|e| InputError::plain(path, format!("not an Ed25519 public key: {e}")))
}

/// How a signature check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    Valid,
    Unsigned,
    /// Signed, but no public key was given to check it with.
    NotChecked,
    Invalid(String),
}

/// The first difference between a bundle and its manifest, if any.
pub fn check_files(bundle: &Path, manifest: &Manifest) -> Result<Option<String>, InputError> {
    for entry in &manifest.files {
        if entry.path.contains("..") || Path::new(&entry.path).is_absolute() {
            return Ok(Some(format!(
                "manifest lists `{}`, outside the bundle",
                entry.path
            )));
        }
        let p = bundle.join(&entry.path);
        // Only a regular file is read: a FIFO would block, a link would lead outside the bundle.
        match std::fs::symlink_metadata(&p) {
            Ok(m) if !m.is_file() => {
                return Ok(Some(format!("`{}` is not a regular file", entry.path)))
            }
            _ => {}
        }
        match sha256_file(&p) {
            Err(_) => return Ok(Some(format!("`{}` is missing", entry.path))),
            Ok((size, _)) if size != entry.size => {
                return Ok(Some(format!(
                    "`{}` has {size} bytes, the manifest says {}",
                    entry.path, entry.size
                )))
            }
            Ok((_, sha)) if sha != entry.sha256 => {
                return Ok(Some(format!(
                    "`{}` has SHA-256 {sha}, the manifest says {}",
                    entry.path, entry.sha256
                )))
            }
            Ok(_) => {}
        }
    }
    let listed: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    let mut stack = vec![bundle.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)
            .map_err(|e| InputError::io(&dir, &e))?
            .flatten()
        {
            let p = e.path();
            let kind = e.file_type().map_err(|err| InputError::io(&p, &err))?;
            if kind.is_dir() {
                stack.push(p);
                continue;
            }
            if !kind.is_file() {
                let rel = p.strip_prefix(bundle).unwrap_or(&p).display().to_string();
                return Ok(Some(format!("`{rel}` is a link or a special file")));
            }
            let rel = p
                .strip_prefix(bundle)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            if rel != MANIFEST
                && rel != SIGNATURE
                && rel != KMS_SIGNATURE
                && !listed.contains(rel.as_str())
            {
                return Ok(Some(format!("`{rel}` is not in the manifest")));
            }
        }
    }
    Ok(None)
}

pub fn check_signature(bundle: &Path, public: Option<&VerifyingKey>) -> Signed {
    let sig_path = bundle.join(SIGNATURE);
    let Ok(sig_text) = std::fs::read_to_string(&sig_path) else {
        return Signed::Unsigned;
    };
    let Some(key) = public else {
        return Signed::NotChecked;
    };
    let t = sig_text.trim();
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    let Some(sig) = bytes.and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return Signed::Invalid("the signature is not 128 hex digits".into());
    };
    let Ok(manifest) = std::fs::read(bundle.join(MANIFEST)) else {
        return Signed::Invalid("no manifest".into());
    };
    match key.verify(&manifest, &ed25519_dalek::Signature::from_bytes(&sig)) {
        Ok(()) => Signed::Valid,
        Err(_) => Signed::Invalid("the signature does not match the manifest and key".into()),
    }
}

pub fn read_manifest(bundle: &Path) -> Result<Manifest, InputError> {
    let path = bundle.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| InputError::io(&path, &e))?;
    let m: Manifest =
        serde_json::from_str(&text).map_err(|e| crate::util::error::json_error(&path, &e))?;
    if m.bundle_version != BUNDLE_VERSION {
        return Err(InputError::plain(
            &path,
            format!("unsupported `bundle_version` {}", m.bundle_version),
        ));
    }
    Ok(m)
}

/// The bundled framework files: name → (where they first came from, text); `None` for a bundle
/// written before frameworks were files.
pub fn framework_files(
    bundle: &Path,
    manifest: &Manifest,
) -> Result<Option<crate::evaluate::frameworks::NamedFiles>, InputError> {
    manifest.frameworks_sha256.as_ref().map_or(Ok(None), |_| {
        let mut out = BTreeMap::new();
        for f in manifest
            .files
            .iter()
            .filter(|f| f.path.starts_with("frameworks/"))
        {
            let p = bundle.join(&f.path);
            let text = std::fs::read_to_string(&p).map_err(|e| InputError::io(&p, &e))?;
            let name = f.path.trim_start_matches("frameworks/").to_string();
            let origin = manifest
                .framework_origins
                .get(&name)
                .cloned()
                .unwrap_or_else(|| f.path.clone());
            out.insert(name, (origin, text));
        }
        Ok(Some(out))
    })
}

/// The bundled policy files: name → (where they first came from, text).
pub fn policy_files(
    bundle: &Path,
    manifest: &Manifest,
) -> Result<BTreeMap<String, (String, String)>, InputError> {
    let mut out = BTreeMap::new();
    for f in manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("policies/"))
    {
        let p = bundle.join(&f.path);
        let text = std::fs::read_to_string(&p).map_err(|e| InputError::io(&p, &e))?;
        let name = f.path.trim_start_matches("policies/").to_string();
        let origin = manifest
            .policy_origins
            .get(&name)
            .cloned()
            .unwrap_or_else(|| f.path.clone());
        out.insert(name, (origin, text));
    }
    Ok(out)
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            bundle_version: BUNDLE_VERSION,
            tool: "drready".into(),
            tool_version: "0".into(),
            created_at: Utc::now(),
            collected_at: Utc::now(),
            evaluated_at: Utc::now(),
            scope: Scope::default(),
            policy_set_sha256: String::new(),
            policy_origins: BTreeMap::new(),
            frameworks_sha256: None,
            framework_origins: BTreeMap::new(),
            render_version: None,
            provenance: None,
            previous_manifest_sha256: None,
            settings: crate::decide::settings::Settings {
                config: None,
                policies: None,
                fail_on: None,
                strict: false,
                params: Default::default(),
                brief: Default::default(),
            },
            files: Vec::new(),
        }
    }

    #[test]
    fn a_bundle_is_never_overwritten() {
        let dir = tempfile::TempDir::new().unwrap();
        let first = write(
            dir.path(),
            "b",
            vec![("a.txt".into(), Content::Bytes(b"one".to_vec()))],
            manifest(),
            None,
            None,
        )
        .unwrap();
        let second = write(
            dir.path(),
            "b",
            vec![("a.txt".into(), Content::Bytes(b"two".to_vec()))],
            manifest(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(first, dir.path().join("b"));
        assert_eq!(second, dir.path().join("b-2"));
        assert_eq!(std::fs::read(first.join("a.txt")).unwrap(), b"one");
        let m = read_manifest(&second).unwrap();
        assert_eq!(m.files[0].size, 3);
        assert_eq!(check_files(&second, &m).unwrap(), None);
    }
}
