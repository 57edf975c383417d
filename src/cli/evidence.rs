//! `drready evidence verify` and `drready evidence keygen`.

use super::audit::bundle_reports;
use super::*;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check a bundle (folder or `.tar.gz`): hashes, signature, and a re-evaluation of its inputs.
    /// Exit 0 intact, 1 at the first mismatch, 2 when it cannot be read
    Verify {
        /// The bundle folder or archive (with `--chain`: the evidence folder holding the bundles)
        path: PathBuf,
        /// Check the signature with this public key (from `drready evidence keygen`)
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Verify every bundle of the folder and the chain of manifests between them: an edited,
        /// removed or inserted bundle breaks it
        #[arg(long)]
        chain: bool,
        /// Ask AWS KMS to check the bundle's KMS signature (a bundle without one then fails)
        #[arg(long)]
        kms: bool,
        /// Send the KMS calls to this endpoint (also `AWS_ENDPOINT_URL`)
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
    },
    /// Make an Ed25519 key pair: `PREFIX.key` (secret) and `PREFIX.pub`
    Keygen {
        /// Path prefix of the two files
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
    },
}

/// The KMS check `--kms` asks for, through `endpoint`.
pub(super) fn kms_check(
    endpoint: Option<String>,
) -> impl Fn(&crate::evidence::KmsSignature) -> Result<bool, Error> {
    move |sig| super::live::kms_verify(sig, endpoint.as_deref())
}

pub(super) fn verify_bundle(
    path: &Path,
    public_key: Option<&Path>,
    chain: bool,
    kms: Option<&crate::evidence::KmsCheck>,
    out: &mut dyn Write,
) -> Result<Exit, Error> {
    let w = |e| Error::io("writing output", e);
    let public = match public_key {
        Some(p) => Some(crate::evidence::verifying_key(p)?),
        None => None,
    };
    let (ok, lines) = if chain {
        crate::evidence::verify::verify_chain(path, public.as_ref(), kms, &reproduce_reports)?
    } else {
        crate::evidence::verify::verify(path, public.as_ref(), kms, &reproduce_reports)?
    };
    for l in lines {
        if l.starts_with("WARNING:") {
            eprintln!("{l}");
        }
        writeln!(out, "{l}").map_err(w)?;
    }
    Ok(if ok { Exit::Ok } else { Exit::Findings })
}

/// The SHA-256 of each rendered report a bundle holds, rendered again from a re-evaluation.
pub(super) fn reproduce_reports(
    catalog: &Catalog,
    eval: &evaluate::Evaluation,
    scorecard: &score::Scorecard,
    settings: &Settings,
) -> Result<Vec<(String, String)>, Error> {
    let report = Report {
        catalog,
        eval,
        scorecard,
        settings,
        max_rows: 20,
        template: None,
        color: false,
        html_template: None,
        comparison: None,
        history: &[],
    };
    let mut out = Vec::new();
    for (name, content) in bundle_reports(&report) {
        let crate::evidence::Content::Stream(render) = content else {
            continue;
        };
        let mut hash = crate::evidence::HashWriter::default();
        render(&mut hash).map_err(|e| Error::io(format!("rendering `{name}`"), e))?;
        out.push((name, hash.hex()));
    }
    Ok(out)
}
