//! The command line: clap definitions and the glue from arguments to stages, one file per subcommand.
//! The only code that prints, builds a runtime or knows exit codes (`exit`).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::decide::score;
use crate::decide::settings::Settings;
use crate::evaluate::catalog::{Catalog, Severity};
use crate::evaluate::{self, Setup};
use crate::model::config::Config;
use crate::report::{self, Format, Report};
use crate::sources::disk::{Disk, Embedded, Files};
use crate::sources::dr_tests;
use crate::util::error::{Error, InputError};

mod audit;
mod collect;
mod controls;
mod docs;
mod evidence;
pub mod exit;
mod gate;
mod init;
mod live;
mod period;
mod remediate;

pub use audit::{AuditArgs, EvidenceArgs};
pub use collect::{CollectArgs, IamPolicyArgs, MergeArgs};
pub use controls::{ControlsArgs, ControlsFormat, FrameworksArgs, PolicyCommand};
pub use docs::{DocsCommand, DocsInspectArgs};
pub use evidence::EvidenceCommand;
pub use exit::Exit;
pub use gate::{GateArgs, UnknownAs};
pub use init::InitArgs;
pub use period::ReportArgs;
pub use remediate::{Allow, RemediateArgs};

#[derive(Debug, Parser)]
#[command(
    name = "drready",
    version,
    about = "Could we recover from a disaster today, and can we prove it?"
)]
#[command(
    long_about = "drready judges the disaster-recovery posture of AWS accounts and the team's DR \
paperwork with Cedar policies mapped to SOC 2, ISO/IEC 27001:2022 and GDPR, and scores the result."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge the DR posture and print the scorecard: of a live AWS account (the default), a saved
    /// snapshot (`--snapshot`) or the bundled example (`--example`)
    Audit(AuditArgs),
    /// Write a first drready.toml from what the AWS account has and what its DR documents say
    Init(InitArgs),
    /// Collect the DR posture of AWS accounts into a snapshot (read-only calls)
    Collect(CollectArgs),
    /// Merge the shards of one collection (`collect --shard`) into one snapshot, checking that
    /// they cover its accounts and regions exactly once
    Merge(MergeArgs),
    /// Print the remediation plan for failing controls; with `--apply`, carry it out
    Remediate(RemediateArgs),
    /// Print the minimal read-only IAM policy the collectors need
    IamPolicy(IamPolicyArgs),
    /// List the controls: id, title, severity, frameworks, remediation
    Controls(ControlsArgs),
    /// List the compliance frameworks: requirements and the controls that evidence them
    Frameworks(FrameworksArgs),
    /// Work with Cedar policy folders
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print a JSON Schema
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Judge a Terraform plan (`terraform show -json`) before it is applied: a CI gate
    Gate(GateArgs),
    /// Read DR documents
    #[command(subcommand)]
    Docs(DocsCommand),
    /// Evidence bundles: verify one (or a chain), make a signing key
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Report over an audit period from its evidence bundles: pass rates per requirement and
    /// control, failures and time to fix, days without an audit, the DR test population, and the
    /// test cadence per month and quarter
    Report(ReportArgs),
    /// Write a synthetic snapshot of N resources (for benchmarks)
    Synth(SynthArgs),
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// The snapshot format
    Snapshot,
    /// A DR test record (the test history format)
    DrTest,
}

/// Arguments every judging command shares.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// The configuration file (components, targets, matching rules, control parameters)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Judge as of this time (RFC 3339, or a date) instead of the snapshot's collection time
    #[arg(long, value_name = "RFC3339", value_parser = parse_as_of)]
    pub as_of: Option<DateTime<Utc>>,
    /// A folder of `.cedar` files adding controls, or replacing built-in files of the same name
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// A folder of framework files (`.toml`) adding frameworks, or replacing built-in files of the
    /// same name (see `drready frameworks`)
    #[arg(long, value_name = "DIR")]
    pub frameworks: Option<PathBuf>,
}

impl JudgeArgs {
    /// The catalog these arguments name: policies and frameworks.
    pub fn catalog(&self) -> Result<Catalog, Error> {
        Ok(Catalog::load_with(
            self.policies.as_deref(),
            self.frameworks.as_deref(),
        )?)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where and how to collect live.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// A named profile of the shared AWS config and credentials files
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// A region to collect (repeat, or separate with commas); default: the config's
    /// `scope.regions`, else the SDK's region. The DR region is always added
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// The region that must hold copies and replicas (default: the config's `scope.dr_region`)
    #[arg(long, value_name = "REGION")]
    pub dr_region: Option<String>,
    /// Print the AWS requests made, per operation, on stderr
    #[arg(long)]
    pub calls: bool,
    /// Attempts per AWS call, retries on throttling included (default 3; env AWS_MAX_ATTEMPTS)
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// No progress bar
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// How many resources
    #[arg(long, value_name = "N")]
    pub resources: usize,
    /// Where to write it
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Seed of the generator
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write a Terraform plan (for `drready gate`) instead of a snapshot
    #[arg(long)]
    pub plan: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// RFC 3339, or a bare date (midnight UTC).
/// `--as-of`: an RFC 3339 time, or a date (midnight UTC).
pub fn parse_as_of(s: &str) -> Result<DateTime<Utc>, String> {
    crate::util::duration::parse_instant(s)
}

/// Run a parsed command; the exit code on success.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Exit, Error> {
    match cli.command {
        Command::Audit(args) => audit::audit(args, out),
        Command::Init(args) => init::init(args),
        Command::Collect(args) => collect::collect_live(args, out),
        Command::Merge(args) => collect::merge(args, out),
        Command::Remediate(args) => remediate::remediate(args, out),
        Command::IamPolicy(args) => {
            let policy = live::iam_policy(args.remediation)?;
            let text =
                serde_json::to_string_pretty(&policy).map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(|e| Error::io("writing output", e))?;
            Ok(Exit::Ok)
        }
        Command::Controls(args) => controls::controls(args, out),
        Command::Frameworks(args) => controls::frameworks(args, out),
        Command::Policy(PolicyCommand::Validate { dir }) => {
            let catalog = Catalog::load_dir_only(&dir)?;
            let own = catalog.controls.len();
            writeln!(
                out,
                "{}: {own} control(s) valid against the schema (strict mode)",
                dir.display()
            )
            .map_err(|e| Error::io("writing output", e))?;
            Ok(Exit::Ok)
        }
        Command::Docs(DocsCommand::Inspect(args)) => docs::docs_inspect(args, out),
        Command::Gate(args) => gate::gate_plan(args, out),
        Command::Report(args) => period::period(args, out),
        Command::Evidence(EvidenceCommand::Verify {
            path,
            public_key,
            chain,
            kms,
            endpoint_url,
        }) => {
            let check = evidence::kms_check(endpoint_url);
            let kms = kms.then_some(&check as &crate::evidence::KmsCheck);
            evidence::verify_bundle(&path, public_key.as_deref(), chain, kms, out)
        }
        Command::Evidence(EvidenceCommand::Keygen { out: prefix }) => {
            let (secret, public) = crate::evidence::keygen()?;
            let key = prefix.with_extension("key");
            let publ = prefix.with_extension("pub");
            for p in [&key, &publ] {
                if p.exists() {
                    return Err(Error::Other(format!(
                        "`{}` exists; drready does not overwrite keys",
                        p.display()
                    )));
                }
            }
            write_private(&key, &format!("{secret}\n"))?;
            std::fs::write(&publ, format!("{public}\n"))
                .map_err(|e| Error::io(format!("writing `{}`", publ.display()), e))?;
            writeln!(
                out,
                "secret key: {}\npublic key: {}",
                key.display(),
                publ.display()
            )
            .map_err(|e| Error::io("writing output", e))?;
            Ok(Exit::Ok)
        }
        Command::Schema(which) => {
            let schema = match which {
                SchemaCommand::Snapshot => crate::model::snapshot::json_schema(),
                SchemaCommand::DrTest => crate::model::snapshot::dr_test_schema(),
            };
            let text =
                serde_json::to_string_pretty(&schema).map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(|e| Error::io("writing output", e))?;
            Ok(Exit::Ok)
        }
        Command::Synth(args) => {
            let file = std::fs::File::create(&args.out)
                .map_err(|e| Error::io(format!("creating `{}`", args.out.display()), e))?;
            let mut w = std::io::BufWriter::new(file);
            let written = if args.plan {
                crate::sources::synth::write_plan(&mut w, args.resources, args.seed)
            } else {
                crate::sources::synth::write(&mut w, args.resources, args.seed)
            };
            written.map_err(|e| Error::io(format!("writing `{}`", args.out.display()), e))?;
            w.flush()
                .map_err(|e| Error::io(format!("writing `{}`", args.out.display()), e))?;
            Ok(Exit::Ok)
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<Config, Error> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::default()),
    }
}

/// Configuration that matched nothing, on stderr (the reports list it too).
fn warn(eval: &evaluate::Evaluation) {
    for w in &eval.warnings {
        eprintln!("warning: {}", crate::util::text::escape(w));
    }
}

/// Write a new file atomically: a temporary file beside it, renamed into place only if `path`
/// does not exist by then.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_new_with(path, |w| {
        w.write_all(bytes)
            .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
    })
}

/// `write_new` for content written as it is made.
fn write_new_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    // On a full disk (or bad input found half-way) the partial temporary file is removed, and the
    // error names `path`.
    let written = std::fs::File::create(&tmp)
        .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
        .and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            fill(&mut w)?;
            let f = w
                .into_inner()
                .map_err(|e| Error::io(format!("writing `{}`", path.display()), e.into_error()))?;
            f.sync_all()
                .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // A hard link fails when the target exists: the file is never overwritten, never half-written.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
}

fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| Error::io(format!("creating `{}`", path.display()), e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
}

/// What the config's `[docs]` and `[dr_tests]` name, read.
pub struct Collected {
    pub documents: Vec<crate::model::snapshot::Document>,
    pub dr_tests: Vec<crate::model::snapshot::DrTest>,
    pub gaps: Vec<crate::model::snapshot::Gap>,
    /// The document and test-history files read, with their SHA-256 (a bundle's provenance).
    pub inputs: Vec<crate::evidence::InputFile>,
}

pub fn collect_files(config: &Config, files: &dyn Files) -> Result<Collected, Error> {
    let (documents, mut gaps) = crate::sources::docs::collect(&config.doc_paths, files);
    let (test_files, test_gaps) = dr_tests::find(&config.test_globs, &config.base, files)?;
    gaps.extend(test_gaps);
    let dr_tests = dr_tests::load(&test_files, files)?;
    let mut paths: Vec<PathBuf> = documents.iter().map(|d| PathBuf::from(&d.path)).collect();
    paths.extend(test_files.iter().cloned());
    paths.sort();
    paths.dedup();
    // A file that cannot be read again is left out here: its gap is already in the snapshot.
    let inputs = paths
        .iter()
        .filter_map(|p| {
            files.read(p).ok().map(|bytes| crate::evidence::InputFile {
                path: p.display().to_string(),
                sha256: crate::evidence::sha256_hex(&bytes),
            })
        })
        .collect();
    Ok(Collected {
        documents,
        dr_tests,
        gaps,
        inputs,
    })
}
