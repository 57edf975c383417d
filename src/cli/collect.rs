//! `drready collect` (a live collection into a snapshot) and `drready iam-policy`.

use super::live;
use super::*;

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The configuration file (scope, accounts, backup buckets, parameters)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write the snapshot here (default: stdout); an existing file is not overwritten
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Send every AWS call to this endpoint (also AWS_ENDPOINT_URL), e.g. moto or LocalStack
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// Print the extra permissions `drready remediate --apply` needs instead
    #[arg(long)]
    pub remediation: bool,
}

/// How a live collection is named in messages.
pub(super) const LIVE_ORIGIN: &str = "live collection";

pub(super) fn live_options(args: &LiveArgs, endpoint_url: Option<String>) -> live::Options {
    live::options(args, endpoint_url)
}

/// Collect live, and return the snapshot as its evidence bundle keeps it: serialized, then read
/// back, so that `evidence verify` re-evaluates the same bytes; and those bytes.
pub(super) fn collect_as_kept(
    config: &Config,
    options: &live::Options,
    per_call: bool,
) -> Result<(crate::model::snapshot::Snapshot, Vec<u8>), Error> {
    let collected = live::collect(config, options, per_call)?;
    let bytes = serde_json::to_vec_pretty(&collected).map_err(|e| Error::Other(e.to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Other(e.to_string()))?;
    let snapshot = crate::model::load::parse_snapshot(text, Path::new(LIVE_ORIGIN))?;
    Ok((snapshot, bytes))
}

pub(super) fn collect_live(args: CollectArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let config = load_config(args.config.as_deref())?;
    if let Some(p) = &args.out {
        if p.exists() {
            return Err(Error::Other(format!(
                "`{}` exists; drready does not overwrite snapshots",
                p.display()
            )));
        }
    }
    let options = live_options(&args.live, args.endpoint_url);
    let collected = live::collect(&config, &options, args.live.calls)?;
    let bytes = serde_json::to_vec_pretty(&collected).map_err(|e| Error::Other(e.to_string()))?;
    match &args.out {
        Some(p) => write_new(p, &bytes)?,
        None => {
            out.write_all(&bytes)
                .map_err(|e| Error::io("writing output", e))?;
            writeln!(out).map_err(|e| Error::io("writing output", e))?;
        }
    }
    Ok(Exit::Ok)
}
