//! `drready collect` (a live collection into a snapshot) and `drready iam-policy`.

use super::live;
use super::*;
use crate::model::snapshot::Shard;

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The configuration file (scope, accounts, backup buckets, parameters)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write the snapshot here, a file or `s3://bucket/key` (default: stdout); an existing one is
    /// not overwritten. `{shard}` in the name becomes the shard's index
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Collect one shard of the accounts: `I/N` (from 0), or `N` with the index from the
    /// environment (JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or DRREADY_SHARD_INDEX);
    /// `drready merge` joins the shards
    #[arg(long, value_name = "I/N", env = "DRREADY_SHARD")]
    pub shard: Option<String>,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Send every AWS call to this endpoint (also AWS_ENDPOINT_URL), e.g. moto or LocalStack
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards of one collection (`drready collect --shard`), every one of them: files or
    /// `s3://bucket/key` objects
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Write the merged snapshot here, a file or `s3://bucket/key` (default: stdout); an existing
    /// one is not overwritten
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Send the S3 calls to this endpoint (also AWS_ENDPOINT_URL)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// An `s3://` location given where a path goes.
fn s3_url(p: &Path) -> Option<String> {
    p.to_str()
        .filter(|s| s.starts_with("s3://"))
        .map(str::to_string)
}

/// The snapshot an audit judges, as a local file: the one given, a local copy of an `s3://`
/// object, or the shards given merged (checked as `drready merge` checks them).
pub(super) struct Given {
    pub path: PathBuf,
    /// How it is named (the paths or URLs as given).
    pub name: String,
    _scratch: Option<Scratch>,
}

pub(super) fn snapshot_file(
    given: &[PathBuf],
    endpoint: Option<&str>,
) -> Result<Option<Given>, Error> {
    let name = given
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    match given {
        [] => Ok(None),
        [one] if s3_url(one).is_none() => {
            not_a_lone_shard(one, one)?;
            Ok(Some(Given {
                path: one.clone(),
                name,
                _scratch: None,
            }))
        }
        _ => {
            let (scratch, local) = local_copies(given, endpoint)?;
            let path = match local.as_slice() {
                [one] => {
                    not_a_lone_shard(one, &given[0])?;
                    one.clone()
                }
                _ => {
                    let merged = check_shards(&scratch, given, &local)?;
                    let path = scratch.0.join("merged.json");
                    write_new_with(&path, |w| crate::sources::shards::write(merged, w))?;
                    path
                }
            };
            Ok(Some(Given {
                path,
                name,
                _scratch: Some(scratch),
            }))
        }
    }
}

/// A shard judged alone would be a smaller audit than the run's: refused.
fn not_a_lone_shard(file: &Path, given: &Path) -> Result<(), Error> {
    // Collected snapshots write their resources first: then the header is read past them.
    let header = match crate::model::load::read_header_before_resources(file)? {
        Some(h) => h,
        None => crate::model::load::read_header(file)?,
    };
    if let Some(p) = header.scope.partition {
        return Err(crate::util::error::InputError::plain(
            given,
            format!(
                "this is shard {}/{} of a collection: give all {} shards (`--snapshot` once each) or `drready merge` them first",
                p.index, p.count, p.count
            ),
        )
        .into());
    }
    Ok(())
}

/// Local files for these paths: `s3://` objects are read into the scratch folder.
fn local_copies(
    given: &[PathBuf],
    endpoint: Option<&str>,
) -> Result<(Scratch, Vec<PathBuf>), Error> {
    let scratch = Scratch::new()?;
    let mut local = Vec::new();
    for (i, p) in given.iter().enumerate() {
        match s3_url(p) {
            Some(url) => {
                let file = scratch.0.join(format!("shard-{i}.json"));
                live::get(&url, &file, endpoint)?;
                local.push(file);
            }
            None => local.push(p.clone()),
        }
    }
    Ok((scratch, local))
}

/// Check the shards; messages name them as given, not by their local copies.
fn check_shards(
    scratch: &Scratch,
    given: &[PathBuf],
    local: &[PathBuf],
) -> Result<crate::sources::shards::Merged, Error> {
    let named = |mut e: crate::util::error::InputError| {
        for (i, p) in given.iter().enumerate() {
            let copy = scratch.0.join(format!("shard-{i}.json"));
            if e.path == copy {
                e.path = p.clone();
            }
            e.message = e
                .message
                .replace(&copy.display().to_string(), &p.display().to_string());
        }
        e
    };
    Ok(crate::sources::shards::check(local).map_err(named)?)
}

/// A private folder for local copies of S3 objects, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, Error> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "drready-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
    let shard = args
        .shard
        .as_deref()
        .map(|s| Shard::parse(s, &|v| std::env::var(v).ok()))
        .transpose()
        .map_err(|e| Error::Other(format!("--shard: {e}")))?;
    let out_path = args.out.as_ref().map(|p| match shard {
        Some(s) => PathBuf::from(p.to_string_lossy().replace("{shard}", &s.index.to_string())),
        None => p.clone(),
    });
    if let Some(p) = out_path.as_ref().filter(|p| s3_url(p).is_none()) {
        if p.exists() {
            return Err(Error::Other(format!(
                "`{}` exists; drready does not overwrite snapshots",
                p.display()
            )));
        }
    }
    let endpoint = args.endpoint_url.clone();
    let mut options = live_options(&args.live, args.endpoint_url);
    live::set_shard(&mut options, shard);
    // Written as it is collected: a file (atomically, never over another), an S3 object (from a
    // local copy), or stdout.
    let calls = args.live.calls;
    let write = |w: &mut dyn Write| live::collect_to(&config, &options, calls, w);
    match &out_path {
        Some(p) if s3_url(p).is_some() => {
            let scratch = Scratch::new()?;
            let file = scratch.0.join("snapshot.json");
            write_new_with(&file, write)?;
            live::put_new(&file, &p.to_string_lossy(), endpoint.as_deref())?;
        }
        Some(p) => write_new_with(p, write)?,
        None => {
            let mut w = std::io::BufWriter::new(out);
            write(&mut w)?;
            w.flush().map_err(|e| Error::io("writing output", e))?;
        }
    }
    Ok(Exit::Ok)
}

/// `drready merge`: the shards of one collection, checked and merged into one snapshot.
pub(super) fn merge(args: MergeArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let endpoint = args.endpoint_url.as_deref();
    let (scratch, local) = local_copies(&args.shards, endpoint)?;
    let merged = check_shards(&scratch, &args.shards, &local)?;
    eprintln!(
        "merging {} shards: {} account(s) × {} region(s)",
        merged.shards.len(),
        merged.header.scope.accounts.len(),
        merged.header.scope.regions.len()
    );
    match &args.out {
        Some(p) if s3_url(p).is_some() => {
            let file = scratch.0.join("merged.json");
            write_new_with(&file, |w| crate::sources::shards::write(merged, w))?;
            live::put_new(&file, &p.to_string_lossy(), endpoint)?;
        }
        Some(p) => write_new_with(p, |w| crate::sources::shards::write(merged, w))?,
        None => {
            let mut w = std::io::BufWriter::new(out);
            crate::sources::shards::write(merged, &mut w)?;
            w.flush().map_err(|e| Error::io("writing output", e))?;
        }
    }
    Ok(Exit::Ok)
}
