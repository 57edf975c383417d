//! The CLI's one door to AWS: live collection, the IAM policies, applying a remediation plan and
//! uploading a bundle, each on a tokio runtime made for it. Without the `aws` feature (on by
//! default) each says that this drready was built without AWS support.

use std::path::Path;

use super::{LiveArgs, RemediateArgs};
use crate::model::config::Config;
use crate::model::remediation::Plan;
use crate::model::snapshot::{DrTest, Snapshot};
use crate::util::error::Error;

/// AWS calls made, by `service:Operation`.
pub(super) type Calls = std::collections::BTreeMap<String, u64>;

#[cfg(feature = "aws")]
pub(super) use crate::aws::session::Options;

/// Where and how to call AWS (without AWS support: nothing).
#[cfg(not(feature = "aws"))]
pub(super) struct Options;

pub(super) fn options(args: &LiveArgs, endpoint_url: Option<String>) -> Options {
    #[cfg(feature = "aws")]
    {
        Options {
            profile: args.profile.clone(),
            regions: args.regions.clone(),
            endpoint_url,
            max_attempts: args.max_attempts,
            dr_region: args.dr_region.clone(),
            shard: None,
            progress: if args.quiet {
                crate::aws::session::Progress::hidden()
            } else {
                Bar::on_stderr()
            },
        }
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (args, endpoint_url);
        Options
    }
}

#[cfg(not(feature = "aws"))]
fn no_aws() -> Error {
    Error::Other(
        "this drready was built without AWS support: build it with the `aws` feature (on by default)"
            .into(),
    )
}

/// Collect only this shard's share.
pub(super) fn set_shard(options: &mut Options, shard: Option<crate::model::snapshot::Shard>) {
    #[cfg(feature = "aws")]
    {
        options.shard = shard;
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (options, shard);
    }
}

/// Collect live; one line on stderr says what was collected and at what cost (with `per_call`,
/// per operation).
pub(super) fn collect(
    config: &Config,
    options: &Options,
    per_call: bool,
) -> Result<Snapshot, Error> {
    #[cfg(feature = "aws")]
    {
        let c = block_on(
            "collection",
            Threads::Two,
            crate::aws::collect::collect(config, options),
        )??;
        say_collected(&c, c.snapshot.resources.len(), per_call);
        Ok(c.snapshot)
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (config, options, per_call);
        Err(no_aws())
    }
}

/// Collect live, writing the snapshot to `out` as each account is done: the resources first,
/// then the rest (drready reads the keys in any order), so that memory holds the accounts in
/// flight, not all of them.
pub(super) fn collect_to(
    config: &Config,
    options: &Options,
    per_call: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    #[cfg(feature = "aws")]
    {
        let io = |e| Error::io("writing the snapshot", e);
        out.write_all(b"{\n  \"resources\": [").map_err(io)?;
        let mut count = 0usize;
        let c = block_on(
            "collection",
            Threads::Two,
            crate::aws::collect::collect_each(config, options, &mut |batch| {
                for r in batch {
                    let json =
                        serde_json::to_string(&r).map_err(|e| Error::Other(e.to_string()))?;
                    out.write_all(if count == 0 { b"\n    " } else { b",\n    " })
                        .and_then(|()| out.write_all(json.as_bytes()))
                        .map_err(io)?;
                    count += 1;
                }
                Ok(())
            }),
        )??;
        // The rest of the snapshot, as serde writes it with the (empty) resources last.
        let text =
            serde_json::to_string_pretty(&c.snapshot).map_err(|e| Error::Other(e.to_string()))?;
        let rest = text
            .strip_prefix("{\n")
            .and_then(|t| t.strip_suffix(",\n  \"resources\": []\n}"))
            .ok_or_else(|| {
                Error::Other("the snapshot's keys are not in the expected order".into())
            })?;
        out.write_all(b"\n  ],\n")
            .and_then(|()| out.write_all(rest.as_bytes()))
            .and_then(|()| out.write_all(b"\n}\n"))
            .map_err(io)?;
        say_collected(&c, count, per_call);
        Ok(())
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (config, options, per_call, out);
        Err(no_aws())
    }
}

/// One line on stderr: what was collected and at what cost (with `per_call`, per operation).
#[cfg(feature = "aws")]
fn say_collected(c: &crate::aws::collect::Collection, resources: usize, per_call: bool) {
    let calls: u64 = c.calls.values().sum();
    let shard = c
        .snapshot
        .scope
        .partition
        .as_ref()
        .map(|p| format!(" (shard {}/{})", p.index, p.count))
        .unwrap_or_default();
    let waits = c.rate_waits.as_secs_f64();
    eprintln!(
        "collected {} resources and {} alarms in {} account(s) × {} region(s){shard}: {} AWS requests, {} gap(s){}",
        resources,
        c.snapshot.alarms.len(),
        c.snapshot.scope.accounts.len(),
        c.snapshot.scope.regions.len(),
        calls,
        c.snapshot.gaps.len(),
        if waits >= 0.001 {
            format!(", {waits:.1} s waited for rate limits")
        } else {
            String::new()
        }
    );
    if per_call {
        for (op, n) in &c.calls {
            eprintln!("  {op} {n}");
        }
    }
}

/// The read-only policy collection needs, or (`remediation`) the extra one `--apply` needs.
pub(super) fn iam_policy(remediation: bool) -> Result<serde_json::Value, Error> {
    #[cfg(feature = "aws")]
    {
        Ok(if remediation {
            crate::aws::remediate::iam_policy()
        } else {
            crate::aws::permissions::policy()
        })
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = remediation;
        Err(no_aws())
    }
}

/// Carry the plan out, account by account; the DR tests the restore tests measured, and the calls
/// made per operation.
pub(super) fn apply(
    plan: &mut Plan,
    config: &Config,
    options: &Options,
    args: &RemediateArgs,
) -> Result<(Vec<DrTest>, Calls), Error> {
    #[cfg(feature = "aws")]
    {
        let opts = crate::aws::remediate::ApplyOptions {
            allow_modify: args.allow.contains(&super::Allow::Modify),
            max_actions: args.max_actions,
            concurrency: args.concurrency,
            cleanup: args.cleanup,
            timeout: std::time::Duration::from_secs(args.timeout),
            poll: std::time::Duration::from_secs(args.poll.max(1)),
        };
        block_on("remediation", Threads::Two, async {
            let (ctxs, recorder) = crate::aws::session::account_contexts(config, options).await?;
            let mut tests = Vec::new();
            for ctx in &ctxs {
                let mut mine = Plan {
                    steps: plan
                        .steps
                        .iter()
                        .filter(|s| s.account == ctx.account)
                        .cloned()
                        .collect(),
                    ..plan.clone()
                };
                tests.extend(crate::aws::remediate::apply(&mut mine, ctx, &opts).await);
                for s in mine.steps {
                    if let Some(slot) = plan
                        .steps
                        .iter_mut()
                        .find(|x| x.action == s.action && x.resource == s.resource)
                    {
                        *slot = s;
                    }
                }
            }
            plan.applied = true;
            for s in plan.steps.iter_mut().filter(|s| s.outcome.is_none()) {
                s.outcome = Some(crate::model::remediation::Outcome {
                    status: "failed".into(),
                    detail: format!("no credentials for account {}", s.account),
                    started: None,
                    finished: None,
                    created: None,
                });
            }
            Ok::<_, Error>((tests, recorder.calls()))
        })?
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (plan, config, options, args);
        Err(no_aws())
    }
}

/// Upload a bundle archive with COMPLIANCE retention of `days`: its `s3://` URL and retain-until
/// date.
pub(super) fn upload(
    archive: &Path,
    target: &str,
    days: u32,
    endpoint: Option<&str>,
) -> Result<(String, String), Error> {
    #[cfg(feature = "aws")]
    {
        block_on(
            "upload",
            Threads::One,
            crate::aws::upload::upload(archive, target, days, endpoint),
        )?
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (archive, target, days, endpoint);
        Err(no_aws())
    }
}

/// A top-level folder of a bucket, as `drready init` finds it.
#[cfg(feature = "aws")]
pub(super) use crate::aws::discover::Folder;

#[cfg(not(feature = "aws"))]
pub(super) struct Folder {
    pub prefix: String,
    pub newest: chrono::DateTime<chrono::Utc>,
    pub keys: u64,
}

/// What the account has, for `drready init`: a collection, and each backup bucket's folders.
pub(super) fn discover(
    config: &Config,
    options: &Options,
) -> Result<(Snapshot, std::collections::BTreeMap<String, Vec<Folder>>), Error> {
    #[cfg(feature = "aws")]
    {
        let found = block_on(
            "discovery",
            Threads::Two,
            crate::aws::discover::discover(config, options),
        )??;
        Ok((found.collection.snapshot, found.folders))
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (config, options);
        Err(no_aws())
    }
}

/// Store a new S3 object from a file (never over an existing one).
pub(super) fn put_new(file: &Path, url: &str, endpoint: Option<&str>) -> Result<(), Error> {
    #[cfg(feature = "aws")]
    {
        block_on(
            "S3",
            Threads::One,
            crate::aws::upload::put_new(file, url, endpoint),
        )?
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (file, url, endpoint);
        Err(no_aws())
    }
}

/// Read an S3 object into a new file.
pub(super) fn get(url: &str, file: &Path, endpoint: Option<&str>) -> Result<(), Error> {
    #[cfg(feature = "aws")]
    {
        let mut out = std::fs::File::create(file)
            .map_err(|e| Error::io(format!("writing `{}`", file.display()), e))?;
        block_on(
            "S3",
            Threads::One,
            crate::aws::upload::get(url, &mut out, endpoint),
        )?
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (url, file, endpoint);
        Err(no_aws())
    }
}

/// Sign a manifest's statement with a KMS key.
pub(super) fn kms_sign(
    key: &str,
    message: &str,
    endpoint: Option<&str>,
) -> Result<crate::evidence::KmsSignature, Error> {
    #[cfg(feature = "aws")]
    {
        let (key_id, signing_algorithm, signature) = block_on(
            "KMS",
            Threads::One,
            crate::aws::kms::sign(key, message.as_bytes(), endpoint),
        )??;
        Ok(crate::evidence::KmsSignature {
            key_id,
            signing_algorithm,
            message: message.to_string(),
            signature: crate::evaluate::catalog::hex(&signature),
        })
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (key, message, endpoint);
        Err(no_aws())
    }
}

/// Ask KMS whether a bundle's KMS signature is valid.
pub(super) fn kms_verify(
    sig: &crate::evidence::KmsSignature,
    endpoint: Option<&str>,
) -> Result<bool, Error> {
    #[cfg(feature = "aws")]
    {
        let bytes = unhex(&sig.signature).ok_or_else(|| {
            Error::Other(format!("the KMS signature by `{}` is not hex", sig.key_id))
        })?;
        block_on(
            "KMS",
            Threads::One,
            crate::aws::kms::verify(
                &sig.key_id,
                &sig.signing_algorithm,
                sig.message.as_bytes(),
                &bytes,
                endpoint,
            ),
        )?
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (sig, endpoint);
        Err(no_aws())
    }
}

#[cfg(feature = "aws")]
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The collection progress bar on stderr, drawn only when stderr is a terminal.
#[cfg(feature = "aws")]
struct Bar(indicatif::ProgressBar);

#[cfg(feature = "aws")]
impl Bar {
    fn on_stderr() -> crate::aws::session::Progress {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return crate::aws::session::Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} collecting [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        crate::aws::session::Progress::new(std::sync::Arc::new(Bar(bar)))
    }
}

#[cfg(feature = "aws")]
impl crate::aws::session::ProgressSink for Bar {
    fn add(&self, n: u64) {
        self.0.inc_length(n);
    }

    fn done(&self, what: &str) {
        self.0.set_message(what.to_string());
        self.0.inc(1);
    }
}

/// How many worker threads a runtime has.
#[cfg(feature = "aws")]
#[derive(Debug, Clone, Copy)]
enum Threads {
    /// The calling thread only (one upload).
    One,
    /// Two workers: AWS calls are I/O-bound, and the machine may have two cores.
    Two,
}

/// Run a future to completion on a tokio runtime made for it (the CLI is the only code that
/// builds one); `what` names it in the error when the runtime cannot start.
#[cfg(feature = "aws")]
fn block_on<F: std::future::Future>(
    what: &str,
    threads: Threads,
    future: F,
) -> Result<F::Output, Error> {
    let runtime = match threads {
        Threads::One => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Threads::Two => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .map_err(|e| Error::io(format!("starting the {what} runtime"), e))?;
    Ok(runtime.block_on(future))
}
