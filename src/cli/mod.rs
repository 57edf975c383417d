//! The command line: clap definitions and the glue from arguments to stages. `main` maps the
//! outcome to an exit code in one place.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::decide::gate;
use crate::decide::score;
use crate::decide::settings::Settings;
use crate::evaluate::catalog::{Catalog, Severity};
use crate::evaluate::{self, Setup};
use crate::evidence;
use crate::model::config::Config;
use crate::report::{self, Format, Report};
use crate::sources::disk::{Disk, Embedded, Files};
use crate::sources::{docs, dr_tests};
use crate::util::error::{Error, InputError};

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
    /// Collect the DR posture of AWS accounts into a snapshot (read-only calls)
    Collect(CollectArgs),
    /// Print the remediation plan for failing controls; with `--apply`, carry it out
    Remediate(RemediateArgs),
    /// Print the minimal read-only IAM policy the collectors need
    IamPolicy(IamPolicyArgs),
    /// List the controls: id, title, severity, frameworks, remediation
    Controls(ControlsArgs),
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
    /// Evidence bundles: verify one, make a signing key
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Write a synthetic snapshot of N resources (for benchmarks)
    Synth(SynthArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnknownAs {
    /// Neither pass nor fail (the default)
    NoEvidence,
    Pass,
    Fail,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The plan as JSON: `terraform show -json plan.out > plan.json`
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Exit 1 when a control of this severity or higher fails
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity, default_value = "high")]
    pub fail_on: Severity,
    /// What a value known only after apply counts as
    #[arg(long, value_enum, default_value_t = UnknownAs::NoEvidence)]
    pub unknown: UnknownAs,
    /// Accepted findings: control, resource pattern, justification, owner, expiry (TOML)
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Fail only on findings that are not in this baseline
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current failures as a baseline
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = report::gate::GateFormat::Table)]
    pub format: report::gate::GateFormat,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check a bundle (folder or `.tar.gz`): hashes, signature, and a re-evaluation of its inputs.
    /// Exit 0 intact, 1 at the first mismatch, 2 when it cannot be read
    Verify {
        /// The bundle folder or archive
        path: PathBuf,
        /// Check the signature with this public key (from `drready evidence keygen`)
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
    /// Make an Ed25519 key pair: `PREFIX.key` (secret) and `PREFIX.pub`
    Keygen {
        /// Path prefix of the two files
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// Print what drready reads from DR documents (Markdown), and how the document controls judge it
    Inspect(DocsInspectArgs),
}

#[derive(Debug, Args)]
pub struct DocsInspectArgs {
    /// Markdown files or folders
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a folder of `.cedar` files (and an optional `drready.cedarschema`) in strict mode
    Validate {
        /// The folder
        dir: PathBuf,
    },
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Allow {
    /// Configuration changes: deletion protection on, backup retention up
    Modify,
}

#[derive(Debug, Args)]
pub struct RemediateArgs {
    /// Plan from this snapshot (no AWS call; `--apply` needs the live account)
    #[arg(long, value_name = "FILE", conflicts_with = "apply")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Carry out the plan; without it nothing changes
    #[arg(long)]
    pub apply: bool,
    /// Do not ask before applying (needed when stdin is not a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Also let drready change configurations
    #[arg(long, value_enum, value_name = "WHAT")]
    pub allow: Vec<Allow>,
    /// At most this many actions are carried out; the rest are reported as over the limit
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_actions: usize,
    /// Actions running at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Delete each restore test's scratch instance once it is measured (nothing else is deleted)
    #[arg(long)]
    pub cleanup: bool,
    /// How long a restore test may take
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration)]
    pub timeout: u64,
    /// How often a running restore is checked
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub poll: u64,
    /// Append measured restore tests to this DR test history (JSON Lines); default
    /// `drready-restore-tests.jsonl` beside the config
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

fn parse_duration(s: &str) -> Result<u64, String> {
    crate::util::duration::parse_seconds(s)
        .ok_or_else(|| format!("`{s}` is not a duration (e.g. `30s`, `15m`, `2h`)"))
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Judge this snapshot instead of collecting from AWS
    #[arg(long, value_name = "FILE", conflicts_with = "example")]
    pub snapshot: Option<PathBuf>,
    /// Judge the bundled example (no AWS account needed)
    #[arg(long)]
    pub example: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub live: LiveArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit 1 when a control of this severity or higher fails
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 3 when any verdict lacks evidence
    #[arg(long)]
    pub strict: bool,
    /// A folder with report templates (`report.md.j2`, `scorecard.html.j2`) overriding the built-in ones
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Compare with a previous audit: an evidence bundle (folder or `.tar.gz`) or a JSON report
    #[arg(long, value_name = "PREVIOUS")]
    pub compare: Option<PathBuf>,
    /// Resources listed per control in the table and Markdown views
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_rows: usize,
    /// Colour in the table view
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Worker threads for evaluation (0: one per core)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// Where and how an audit keeps its evidence bundle.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Where evidence bundles are written (as `DIR/<scope>/<UTC time>/`)
    #[arg(
        long,
        value_name = "DIR",
        default_value = "evidence",
        env = "DRREADY_EVIDENCE_DIR"
    )]
    pub evidence_dir: PathBuf,
    /// Write no evidence bundle
    #[arg(long, env = "DRREADY_NO_EVIDENCE", hide_env_values = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub no_evidence: bool,
    /// Sign the bundle's manifest with this Ed25519 key (from `drready evidence keygen`)
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    /// Also write the bundle as a `.tar.gz` beside it
    #[arg(long)]
    pub archive: bool,
    /// Store the bundle's `.tar.gz` in S3 under Object Lock (COMPLIANCE mode): `s3://bucket/prefix`
    #[arg(long, value_name = "S3_URL")]
    pub upload: Option<String>,
    /// Send AWS calls (live collection, `--upload`) to this endpoint (also `AWS_ENDPOINT_URL`), e.g. a local test server
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ControlsFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    /// `markdown` is the reference in `docs/controls.md`
    #[arg(long, value_enum, default_value_t = ControlsFormat::Table)]
    pub format: ControlsFormat,
    /// A folder of `.cedar` files adding or replacing controls
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
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
pub fn parse_as_of(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc());
        }
    }
    Err(format!(
        "`{s}` is not an RFC 3339 time (e.g. 2026-11-25T12:00:00Z) or a date (2026-11-25)"
    ))
}

/// Run a parsed command; the exit code on success.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<i32, Error> {
    match cli.command {
        Command::Audit(args) => audit(args, out),
        Command::Collect(args) => collect_live(args, out),
        Command::Remediate(args) => remediate(args, out),
        Command::IamPolicy(args) => {
            let policy = if args.remediation {
                crate::aws::remediate::iam_policy()
            } else {
                crate::aws::permissions::policy()
            };
            let text =
                serde_json::to_string_pretty(&policy).map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(|e| Error::io("writing output", e))?;
            Ok(gate::EXIT_OK)
        }
        Command::Controls(args) => controls(args, out),
        Command::Policy(PolicyCommand::Validate { dir }) => {
            let catalog = Catalog::load_dir_only(&dir)?;
            let own = catalog.controls.len();
            writeln!(
                out,
                "{}: {own} control(s) valid against the schema (strict mode)",
                dir.display()
            )
            .map_err(|e| Error::io("writing output", e))?;
            Ok(gate::EXIT_OK)
        }
        Command::Docs(DocsCommand::Inspect(args)) => docs_inspect(args, out),
        Command::Gate(args) => gate_plan(args, out),
        Command::Evidence(EvidenceCommand::Verify { path, public_key }) => {
            verify_bundle(&path, public_key.as_deref(), out)
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
            Ok(gate::EXIT_OK)
        }
        Command::Schema(which) => {
            let schema = match which {
                SchemaCommand::Snapshot => crate::model::snapshot::json_schema(),
                SchemaCommand::DrTest => crate::model::snapshot::dr_test_schema(),
            };
            let text =
                serde_json::to_string_pretty(&schema).map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(|e| Error::io("writing output", e))?;
            Ok(gate::EXIT_OK)
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
            Ok(gate::EXIT_OK)
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

fn audit(args: AuditArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let catalog = Catalog::load(args.judge.policies.as_deref())?;
    let (config, config_name) = match (&args.judge.config, args.example) {
        (Some(p), _) => (load_config(Some(p))?, Some(p.display().to_string())),
        (None, true) => (
            Config::parse(
                crate::sources::example::CONFIG,
                Path::new(crate::sources::example::CONFIG_PATH),
            )?,
            Some(crate::sources::example::CONFIG_PATH.to_string()),
        ),
        (None, false) => (Config::default(), None),
    };
    let read_template = |name: &str| -> Result<Option<String>, Error> {
        let Some(dir) = &args.templates else {
            return Ok(None);
        };
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let t = crate::util::files::read_text(&path, crate::util::files::MAX_SMALL_BYTES)?;
        report::markdown::check_template(&t)
            .map_err(|(line, message)| InputError::at(&path, line, 1, message))?;
        Ok(Some(t))
    };
    let template = read_template(report::markdown::TEMPLATE_NAME)?;
    let html_template = read_template(report::html::TEMPLATE_NAME)?;
    // DR documents and test history named by the config; the example's are embedded.
    let files: Box<dyn Files> = if args.example && args.judge.config.is_none() {
        Box::new(Embedded(crate::sources::example::FILES))
    } else {
        Box::new(Disk)
    };
    let collected = collect_files(&config, files.as_ref())?;
    let setup = Setup {
        as_of: args.judge.as_of,
        threads: args.threads,
        documents: &collected.documents,
        dr_tests: &collected.dr_tests,
        gaps: &collected.gaps,
        ..Setup::new(&catalog, &config)
    };
    // A live audit judges what it collected exactly as its evidence bundle keeps it: serialized,
    // then read back, so that `evidence verify` re-evaluates the same bytes.
    // A live audit judges what it collected exactly as its evidence bundle keeps it.
    let mut live = None;
    let eval = match (&args.snapshot, args.example) {
        (Some(path), _) => evaluate::evaluate_path(path, &setup)?,
        (None, false) => {
            let options = live_options(&args.live, args.evidence.endpoint_url.clone());
            let (snapshot, bytes) = collect_as_kept(&config, &options, args.live.calls)?;
            live = Some(bytes);
            evaluate::evaluate_snapshot(snapshot, Path::new(LIVE_ORIGIN), &setup)?
        }
        (None, true) => {
            let origin = Path::new(crate::sources::example::SNAPSHOT_PATH);
            evaluate::evaluate_snapshot(crate::sources::example::snapshot()?, origin, &setup)?
        }
    };
    warn(&eval);
    let scorecard = score::score(&catalog, &eval);
    let settings = Settings {
        config: config_name,
        policies: args
            .judge
            .policies
            .as_ref()
            .map(|p| p.display().to_string()),
        fail_on: args.fail_on,
        strict: args.strict,
        params: config.params.clone(),
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
        }
    };
    let comparison = match &args.compare {
        Some(p) => {
            let previous = evidence::previous::load_previous(p)?;
            Some(crate::decide::trend::compare(
                &previous,
                &p.display().to_string(),
                &catalog,
                &eval,
                &scorecard,
            ))
        }
        None => None,
    };
    let report = Report {
        catalog: &catalog,
        eval: &eval,
        scorecard: &scorecard,
        settings: &settings,
        max_rows: args.max_rows,
        template,
        color,
        html_template,
        comparison: comparison.as_ref(),
    };
    report::render(args.format, &report, out).map_err(|e| Error::io("writing the report", e))?;
    if !args.evidence.no_evidence {
        let config_text = match (&args.judge.config, args.example) {
            (Some(p), _) => {
                crate::util::files::read_bounded(p, crate::util::files::MAX_SMALL_BYTES)
                    .map_err(|e| InputError::io(p, &e))?
            }
            (None, true) => crate::sources::example::CONFIG.as_bytes().to_vec(),
            (None, false) => Vec::new(),
        };
        let snapshot = match (&args.snapshot, live) {
            (Some(p), _) => evidence::Content::File(p.clone()),
            (None, Some(bytes)) => evidence::Content::Bytes(bytes),
            (None, None) => {
                evidence::Content::Bytes(crate::sources::example::SNAPSHOT.as_bytes().to_vec())
            }
        };
        let bundle = write_bundle(
            &report,
            snapshot,
            config_text,
            &collected,
            &args.evidence,
            config.evidence.retention_days,
        )?;
        eprintln!("evidence: {}", bundle.display());
    }
    Ok(gate::exit_code(&catalog, &eval, args.fail_on, args.strict))
}

/// How a live collection is named in messages.
const LIVE_ORIGIN: &str = "live collection";

fn live_options(args: &LiveArgs, endpoint_url: Option<String>) -> crate::aws::session::Options {
    crate::aws::session::Options {
        profile: args.profile.clone(),
        regions: args.regions.clone(),
        endpoint_url,
        max_attempts: args.max_attempts,
        dr_region: args.dr_region.clone(),
        progress: !args.quiet,
    }
}

/// Collect live, and return the snapshot as its evidence bundle keeps it: serialized, then read
/// back, so that `evidence verify` re-evaluates the same bytes; and those bytes.
fn collect_as_kept(
    config: &Config,
    options: &crate::aws::session::Options,
    per_call: bool,
) -> Result<(crate::model::snapshot::Snapshot, Vec<u8>), Error> {
    let collection = crate::aws::session::collect(config, options)?;
    report_collection(&collection, per_call);
    let bytes =
        serde_json::to_vec_pretty(&collection.snapshot).map_err(|e| Error::Other(e.to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Other(e.to_string()))?;
    let snapshot = crate::model::load::parse_snapshot(text, Path::new(LIVE_ORIGIN))?;
    Ok((snapshot, bytes))
}

/// One line on stderr: what was collected, and at what cost (with `--calls`, per operation).
fn report_collection(c: &crate::aws::session::Collection, per_call: bool) {
    let calls: u64 = c.calls.values().sum();
    eprintln!(
        "collected {} resources and {} alarms in {} account(s) × {} region(s): {} AWS requests, {} gap(s)",
        c.snapshot.resources.len(),
        c.snapshot.alarms.len(),
        c.snapshot.scope.accounts.len(),
        c.snapshot.scope.regions.len(),
        calls,
        c.snapshot.gaps.len()
    );
    if per_call {
        for (op, n) in &c.calls {
            eprintln!("  {op} {n}");
        }
    }
}

fn collect_live(args: CollectArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let config = load_config(args.config.as_deref())?;
    if let Some(p) = &args.out {
        if p.exists() {
            return Err(Error::Other(format!(
                "`{}` exists; drready does not overwrite snapshots",
                p.display()
            )));
        }
    }
    let collection =
        crate::aws::session::collect(&config, &live_options(&args.live, args.endpoint_url))?;
    report_collection(&collection, args.live.calls);
    let bytes =
        serde_json::to_vec_pretty(&collection.snapshot).map_err(|e| Error::Other(e.to_string()))?;
    match &args.out {
        Some(p) => write_new(p, &bytes)?,
        None => {
            out.write_all(&bytes)
                .map_err(|e| Error::io("writing output", e))?;
            writeln!(out).map_err(|e| Error::io("writing output", e))?;
        }
    }
    Ok(gate::EXIT_OK)
}

fn remediate(args: RemediateArgs, out: &mut dyn Write) -> Result<i32, Error> {
    use crate::decide::remediation;
    let catalog = Catalog::load(args.judge.policies.as_deref())?;
    let config = load_config(args.judge.config.as_deref())?;
    let collected = collect_files(&config, &Disk)?;
    let options = live_options(&args.live, args.evidence.endpoint_url.clone());
    let (snapshot, origin, bytes) = match &args.snapshot {
        Some(p) => (
            crate::model::load::read_snapshot(p)?,
            p.display().to_string(),
            None,
        ),
        None => {
            let (snapshot, bytes) = collect_as_kept(&config, &options, args.live.calls)?;
            (snapshot, LIVE_ORIGIN.to_string(), Some(bytes))
        }
    };
    let resources = snapshot.resources.clone();
    let setup = Setup {
        as_of: args.judge.as_of,
        documents: &collected.documents,
        dr_tests: &collected.dr_tests,
        gaps: &collected.gaps,
        ..Setup::new(&catalog, &config)
    };
    let eval = evaluate::evaluate_snapshot(snapshot, Path::new(&origin), &setup)?;
    let mut plan = remediation::plan(
        &catalog,
        &eval,
        &resources,
        config.params.rds_min_retention_days,
        Utc::now(),
    );
    let w = |e| Error::io("writing output", e);
    let mut code = gate::EXIT_OK;
    if args.apply && !plan.steps.is_empty() {
        if !args.yes {
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(Error::Other(
                    "`--apply` asks for confirmation on a terminal; pass `--yes` to apply without one".into(),
                ));
            }
            render_plan(&plan, ListFormat::Table, out).map_err(w)?;
            let allowed = plan
                .steps
                .iter()
                .filter(|s| !s.modifies || args.allow.contains(&Allow::Modify))
                .count();
            let runs = allowed.min(args.max_actions);
            write!(
                out,
                "Run {runs} of these {} action(s) on the account(s) above ({} need --allow modify, --max-actions {})? [y/N] ",
                plan.steps.len(),
                plan.steps.len() - allowed,
                args.max_actions
            )
            .map_err(w)?;
            out.flush().map_err(w)?;
            let mut answer = String::new();
            std::io::stdin()
                .read_line(&mut answer)
                .map_err(|e| Error::io("reading the answer", e))?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                writeln!(out, "nothing changed").map_err(w)?;
                return Ok(gate::EXIT_OK);
            }
        }
        let opts = crate::aws::remediate::ApplyOptions {
            allow_modify: args.allow.contains(&Allow::Modify),
            max_actions: args.max_actions,
            concurrency: args.concurrency,
            cleanup: args.cleanup,
            timeout: std::time::Duration::from_secs(args.timeout),
            poll: std::time::Duration::from_secs(args.poll.max(1)),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the remediation runtime", e))?;
        let (tests, calls) = runtime.block_on(async {
            let (ctxs, recorder) = crate::aws::session::account_contexts(&config, &options).await?;
            let mut tests = Vec::new();
            for ctx in &ctxs {
                let mut mine = crate::model::remediation::Plan {
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
        })?;
        if args.live.calls {
            for (op, n) in &calls {
                eprintln!("  {op} {n}");
            }
        }
        if !tests.is_empty() {
            let path = args
                .record
                .clone()
                .unwrap_or_else(|| config.base.join("drready-restore-tests.jsonl"));
            crate::sources::dr_tests::record(&path, &tests)
                .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))?;
            eprintln!(
                "recorded {} restore test(s) in {} (name it in `[dr_tests] paths` for audits to read)",
                tests.len(),
                path.display()
            );
        }
        if plan
            .steps
            .iter()
            .any(|s| s.outcome.as_ref().is_some_and(|o| o.status == "failed"))
        {
            code = gate::EXIT_FINDINGS;
        }
    }
    render_plan(&plan, args.format, out).map_err(w)?;
    if args.apply && !args.evidence.no_evidence {
        let scorecard = score::score(&catalog, &eval);
        let settings = Settings {
            config: args.judge.config.as_ref().map(|p| p.display().to_string()),
            policies: args
                .judge
                .policies
                .as_ref()
                .map(|p| p.display().to_string()),
            fail_on: None,
            strict: false,
            params: config.params.clone(),
        };
        let report = Report {
            catalog: &catalog,
            eval: &eval,
            scorecard: &scorecard,
            settings: &settings,
            max_rows: 20,
            template: None,
            color: false,
            html_template: None,
            comparison: None,
        };
        let config_text = match &args.judge.config {
            Some(p) => crate::util::files::read_bounded(p, crate::util::files::MAX_SMALL_BYTES)
                .map_err(|e| InputError::io(p, &e))?,
            None => Vec::new(),
        };
        let snapshot = match (&args.snapshot, bytes) {
            (Some(p), _) => evidence::Content::File(p.clone()),
            (None, Some(b)) => evidence::Content::Bytes(b),
            (None, None) => evidence::Content::Bytes(Vec::new()),
        };
        let log = serde_json::to_vec_pretty(&plan).map_err(|e| Error::Other(e.to_string()))?;
        let bundle = write_bundle_with(
            &report,
            snapshot,
            config_text,
            &collected,
            &args.evidence,
            config.evidence.retention_days,
            vec![("remediation.json".into(), evidence::Content::Bytes(log))],
        )?;
        eprintln!("evidence: {}", bundle.display());
    }
    Ok(code)
}

fn render_plan(
    plan: &crate::model::remediation::Plan,
    format: ListFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        ListFormat::Json => {
            let text = serde_json::to_string_pretty(plan).map_err(report::json::io_error)?;
            writeln!(out, "{text}")
        }
        ListFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(150)
                .force_no_tty();
            let applied = plan.applied;
            let mut header = vec!["Action", "Resource", "Controls", "Reason", "API call"];
            if applied {
                header.push("Outcome");
            }
            t.set_header(header);
            for s in &plan.steps {
                let mut row = vec![
                    format!(
                        "{}{}",
                        s.action,
                        if s.modifies { "\n(--allow modify)" } else { "" }
                    ),
                    format!("{}\n{} {}", s.name, s.account, s.region),
                    s.controls.join("\n"),
                    s.reason.clone(),
                    s.call.to_string(),
                ];
                if applied {
                    row.push(
                        s.outcome
                            .as_ref()
                            .map(|o| format!("{}: {}", o.status, o.detail))
                            .unwrap_or_default(),
                    );
                }
                t.add_row(row);
            }
            if plan.steps.is_empty() {
                writeln!(
                    out,
                    "Nothing for drready to do: no failing control it can remediate."
                )?;
            } else {
                let title = if applied {
                    "Remediation log"
                } else {
                    "Remediation plan (nothing changes without --apply)"
                };
                writeln!(out, "{title}\n{t}")?;
            }
            if !plan.manual.is_empty() {
                let mut m = comfy_table::Table::new();
                m.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                    .set_width(150)
                    .force_no_tty();
                m.set_header(["Control", "Resource", "Next step (by hand)"]);
                for x in &plan.manual {
                    m.add_row(vec![
                        x.control.clone(),
                        x.resource.clone(),
                        x.remediation.clone(),
                    ]);
                }
                writeln!(out, "\nNot automated ({})\n{m}", plan.manual.len())?;
            }
            Ok(())
        }
    }
}

/// Write a new file atomically: a temporary file beside it, renamed into place only if `path`
/// does not exist by then.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
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
    // On a full disk the partial temporary file is removed, and the error names `path`.
    if let Err(e) = std::fs::write(&tmp, bytes).and_then(|()| std::fs::File::open(&tmp)?.sync_all())
    {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(format!("writing `{}`", path.display()), e));
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

/// The report as bundles keep it: without overrides or a comparison, so that verification renders
/// it the same way.
fn plain<'a>(report: &Report<'a>) -> Report<'a> {
    Report {
        catalog: report.catalog,
        eval: report.eval,
        scorecard: report.scorecard,
        settings: report.settings,
        color: false,
        max_rows: 20,
        template: None,
        html_template: None,
        comparison: None,
    }
}

/// The bundle's reports, each rendered straight into its file.
fn bundle_reports<'r>(plain: &'r Report<'_>) -> Vec<(String, evidence::Content<'r>)> {
    let render = |format: Format| -> evidence::Content<'r> {
        evidence::Content::Stream(Box::new(move |w: &mut dyn Write| {
            report::render(format, plain, w)
        }))
    };
    vec![
        ("verdicts.json".into(), render(Format::Json)),
        (
            "scorecard.json".into(),
            evidence::Content::Stream(Box::new(move |w: &mut dyn Write| {
                serde_json::to_writer_pretty(&mut *w, plain.scorecard)
                    .map_err(report::json::io_error)
            })),
        ),
        ("report.txt".into(), render(Format::Table)),
        ("report.md".into(), render(Format::Markdown)),
        ("scorecard.html".into(), render(Format::Html)),
    ]
}

fn write_bundle(
    report: &Report<'_>,
    snapshot: evidence::Content,
    config_text: Vec<u8>,
    collected: &Collected,
    args: &EvidenceArgs,
    retention_days: u32,
) -> Result<PathBuf, Error> {
    write_bundle_with(
        report,
        snapshot,
        config_text,
        collected,
        args,
        retention_days,
        Vec::new(),
    )
}

/// A bundle with extra files (the remediation log).
fn write_bundle_with(
    report: &Report<'_>,
    snapshot: evidence::Content,
    config_text: Vec<u8>,
    collected: &Collected,
    args: &EvidenceArgs,
    retention_days: u32,
    extra: Vec<(String, evidence::Content<'static>)>,
) -> Result<PathBuf, Error> {
    // Declared first: the files below borrow it until the bundle is written.
    let plain = plain(report);
    let key = match &args.sign_key {
        Some(p) => Some(evidence::signing_key(p)?),
        None => None,
    };
    let mut files = vec![
        ("inputs/snapshot.json".to_string(), snapshot),
        (
            "inputs/config.toml".to_string(),
            evidence::Content::Bytes(config_text),
        ),
    ];
    let inputs = evidence::Collected {
        documents: collected.documents.clone(),
        dr_tests: collected.dr_tests.clone(),
        gaps: collected.gaps.clone(),
    };
    let inputs = serde_json::to_vec_pretty(&inputs).map_err(|e| Error::Other(e.to_string()))?;
    files.push((
        "inputs/collected.json".into(),
        evidence::Content::Bytes(inputs),
    ));
    for (name, text) in &report.catalog.files {
        files.push((
            format!("policies/{name}"),
            evidence::Content::Bytes(text.clone().into_bytes()),
        ));
    }
    files.extend(bundle_reports(&plain));
    files.extend(extra);
    let eval = report.eval;
    let scope = if eval.scope.accounts.is_empty() {
        "local".to_string()
    } else {
        eval.scope.accounts.join("+")
    };
    let now = Utc::now();
    let manifest = evidence::Manifest {
        bundle_version: evidence::BUNDLE_VERSION,
        tool: "drready".into(),
        tool_version: crate::VERSION.into(),
        created_at: now,
        collected_at: eval.collected_at,
        evaluated_at: eval.as_of,
        scope: eval.scope.clone(),
        policy_set_sha256: report.catalog.hash.clone(),
        policy_origins: report.catalog.origins.clone(),
        settings: report.settings.clone(),
        files: Vec::new(),
    };
    let dir = evidence::write(
        &args.evidence_dir.join(scope),
        &evidence::stamp(now),
        files,
        manifest,
        key.as_ref(),
    )?;
    if args.archive || args.upload.is_some() {
        let archive = evidence::archive(&dir)?;
        eprintln!("evidence archive: {}", archive.display());
        if let Some(target) = &args.upload {
            let (url, until) = crate::aws::upload::upload(
                &archive,
                target,
                retention_days,
                args.endpoint_url.as_deref(),
            )?;
            eprintln!("evidence uploaded: {url} (Object Lock COMPLIANCE until {until})");
        }
    }
    Ok(dir)
}

fn verify_bundle(
    path: &Path,
    public_key: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, Error> {
    let w = |e| Error::io("writing output", e);
    let public = match public_key {
        Some(p) => Some(evidence::verifying_key(p)?),
        None => None,
    };
    let (ok, lines) = evidence::verify::verify(path, public.as_ref(), &reproduce_reports)?;
    for l in lines {
        if l.starts_with("WARNING:") {
            eprintln!("{l}");
        }
        writeln!(out, "{l}").map_err(w)?;
    }
    Ok(if ok {
        gate::EXIT_OK
    } else {
        gate::EXIT_FINDINGS
    })
}

/// The SHA-256 of each rendered report a bundle holds, rendered again from a re-evaluation.
fn reproduce_reports(
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
    };
    let mut out = Vec::new();
    for (name, content) in bundle_reports(&report) {
        let evidence::Content::Stream(render) = content else {
            continue;
        };
        let mut hash = evidence::HashWriter::default();
        render(&mut hash).map_err(|e| Error::io(format!("rendering `{name}`"), e))?;
        out.push((name, hash.hex()));
    }
    Ok(out)
}

fn gate_plan(args: GateArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let catalog = Catalog::load(args.judge.policies.as_deref())?;
    let config = load_config(args.judge.config.as_deref())?;
    let text = crate::util::files::read_text(&args.plan, crate::util::files::MAX_PLAN_BYTES)?;
    let as_of = args.judge.as_of.unwrap_or_else(Utc::now);
    let planned = crate::sources::plan::read(&text, &args.plan, &config, as_of)?;
    let waivers = match &args.waivers {
        Some(p) => crate::decide::waivers::load(p, &catalog)?,
        None => Vec::new(),
    };
    let baseline = match &args.baseline {
        Some(p) => Some(crate::decide::waivers::Baseline::load(p)?),
        None => None,
    };
    let unknown = match args.unknown {
        UnknownAs::NoEvidence => None,
        UnknownAs::Pass => Some(evaluate::Status::Pass),
        UnknownAs::Fail => Some(evaluate::Status::Fail),
    };
    let setup = Setup {
        as_of: Some(as_of),
        plan: true,
        unknown,
        ..Setup::new(&catalog, &config)
    };
    let eval = evaluate::evaluate_snapshot(planned.snapshot, &args.plan, &setup)?;
    let outcome = gate::judge_plan(&catalog, &eval, &waivers, baseline.as_ref(), args.fail_on);
    if let Some(p) = &args.write_baseline {
        outcome.baseline().write(p)?;
    }
    let plan_name = args.plan.display().to_string();
    let report = report::gate::GateReport {
        catalog: &catalog,
        outcome: &outcome,
        plan: &plan_name,
        format_version: &planned.format_version,
        terraform_version: &planned.terraform_version,
        actions: &planned.actions,
        unknown: match args.unknown {
            UnknownAs::NoEvidence => "no_evidence",
            UnknownAs::Pass => "pass",
            UnknownAs::Fail => "fail",
        },
    };
    report::gate::render(args.format, &report, out)
        .map_err(|e| Error::io("writing the report", e))?;
    Ok(outcome.exit_code)
}

/// What the config's `[docs]` and `[dr_tests]` name, read.
pub struct Collected {
    pub documents: Vec<crate::model::snapshot::Document>,
    pub dr_tests: Vec<crate::model::snapshot::DrTest>,
    pub gaps: Vec<crate::model::snapshot::Gap>,
}

pub fn collect_files(config: &Config, files: &dyn Files) -> Result<Collected, Error> {
    let (documents, mut gaps) = docs::collect(&config.doc_paths, files);
    let (test_files, test_gaps) = dr_tests::find(&config.test_globs, &config.base, files)?;
    gaps.extend(test_gaps);
    let dr_tests = dr_tests::load(&test_files, files)?;
    Ok(Collected {
        documents,
        dr_tests,
        gaps,
    })
}

fn docs_inspect(args: DocsInspectArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let catalog = Catalog::load(args.judge.policies.as_deref())?;
    let config = load_config(args.judge.config.as_deref())?;
    let (documents, gaps) = docs::collect(&args.paths, &Disk);
    let as_of = args.judge.as_of.unwrap_or_else(Utc::now);
    let snapshot = crate::model::snapshot::Snapshot {
        schema_version: crate::model::snapshot::SCHEMA_VERSION,
        collected_at: as_of,
        tool_version: crate::VERSION.to_string(),
        scope: Default::default(),
        components: Vec::new(),
        documents: documents.clone(),
        dr_tests: Vec::new(),
        gaps: gaps.clone(),
        program: Default::default(),
        alarms: Vec::new(),
        resources: Vec::new(),
    };
    let setup = Setup {
        as_of: Some(as_of),
        ..Setup::new(&catalog, &config)
    };
    let eval = evaluate::evaluate_snapshot(snapshot, Path::new("documents"), &setup)?;
    let verdicts: Vec<serde_json::Value> = eval
        .verdicts()
        .filter(|v| eval.resources[v.resource as usize].entity_type == "Document")
        .map(|v| {
            let r = &eval.resources[v.resource as usize];
            let facts: serde_json::Map<String, serde_json::Value> = eval
                .facts(&catalog, &v)
                .map(|(k, val)| {
                    let json = val
                        .map(report::json::FactValue)
                        .map(|f| serde_json::to_value(f).unwrap_or_default());
                    (k.to_string(), json.unwrap_or(serde_json::Value::Null))
                })
                .collect();
            serde_json::json!({
                "control": catalog.controls[v.control as usize].id,
                "document": &*r.id,
                "name": r.name(),
                "status": v.status.as_str(),
                "facts": facts,
                "cause": v.cause.as_deref(),
            })
        })
        .collect();
    let w = |e| Error::io("writing output", e);
    match args.format {
        ListFormat::Json => {
            let doc = serde_json::json!({
                "evaluated_at": as_of.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "documents": documents,
                "gaps": gaps,
                "verdicts": verdicts,
            });
            let text =
                serde_json::to_string_pretty(&doc).map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(w)?;
        }
        ListFormat::Table => {
            // Written to a buffer, then line by line with control characters escaped: document
            // text never reaches the terminal as it is.
            let real_out: &mut dyn Write = out;
            let mut buf: Vec<u8> = Vec::new();
            let out = &mut buf;
            for d in &documents {
                writeln!(
                    out,
                    "{} — {}",
                    d.path,
                    d.title.as_deref().unwrap_or("(no title)")
                )
                .map_err(w)?;
                let date =
                    |x: Option<chrono::NaiveDate>| x.map_or("—".to_string(), |d| d.to_string());
                writeln!(
                    out,
                    "  version {} · status {} · owner {} · last updated {} · next review {}",
                    d.version.as_deref().unwrap_or("—"),
                    d.status.as_deref().unwrap_or("—"),
                    d.owner.as_deref().unwrap_or("—"),
                    date(d.last_updated),
                    date(d.next_review)
                )
                .map_err(w)?;
                for t in &d.recovery_targets {
                    let h = |s: Option<u64>| {
                        s.map_or("—".to_string(), |s| {
                            crate::util::duration::human(s as i64)
                        })
                    };
                    writeln!(
                        out,
                        "  target (line {}): {} RTO {} RPO {}{}",
                        t.line.unwrap_or(0),
                        t.component,
                        h(t.rto_seconds),
                        h(t.rpo_seconds),
                        if t.claims_met { " — claims: met" } else { "" }
                    )
                    .map_err(w)?;
                }
                for r in &d.review_schedule {
                    writeln!(
                        out,
                        "  review (line {}): {} {} next {} owner {}",
                        r.line.unwrap_or(0),
                        r.document,
                        r.frequency.as_deref().unwrap_or("—"),
                        date(r.next_review),
                        r.owner.as_deref().unwrap_or("—")
                    )
                    .map_err(w)?;
                }
                for l in d.links.iter().flatten().filter(|l| l.exists == Some(false)) {
                    writeln!(
                        out,
                        "  broken link (line {}): {}",
                        l.line.unwrap_or(0),
                        l.target
                    )
                    .map_err(w)?;
                }
            }
            for g in &gaps {
                writeln!(out, "gap: {}", evaluate::gap_cause(g)).map_err(w)?;
            }
            for v in &verdicts {
                writeln!(
                    out,
                    "{} {} {}",
                    v["status"].as_str().unwrap_or(""),
                    v["control"].as_str().unwrap_or(""),
                    v["document"].as_str().unwrap_or("")
                )
                .map_err(w)?;
            }
            for line in String::from_utf8_lossy(&buf).lines() {
                writeln!(real_out, "{}", crate::util::text::escape(line)).map_err(w)?;
            }
        }
    }
    Ok(gate::EXIT_OK)
}

fn controls(args: ControlsArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let catalog = Catalog::load(args.policies.as_deref())?;
    let w = |e| Error::io("writing output", e);
    match args.format {
        ControlsFormat::Markdown => {
            write!(out, "{}", crate::report::controls::markdown(&catalog)).map_err(w)?;
        }
        ControlsFormat::Json => {
            let text = serde_json::to_string_pretty(&catalog.controls)
                .map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(w)?;
        }
        ControlsFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(150)
                .force_no_tty();
            t.set_header([
                "Control",
                "Severity",
                "Applies to",
                "SOC 2",
                "ISO 27001",
                "GDPR",
                "Remediation",
            ]);
            let mut sorted: Vec<_> = catalog.controls.iter().collect();
            sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
            for c in sorted {
                let refs = |f| {
                    c.frameworks
                        .get(&f)
                        .map(|v: &Vec<String>| v.join(" "))
                        .unwrap_or_default()
                };
                t.add_row(vec![
                    format!("{}\n{}", c.id, c.title),
                    c.severity.as_str().to_string(),
                    c.resource_types.join(" "),
                    refs(crate::evaluate::catalog::Framework::Soc2),
                    refs(crate::evaluate::catalog::Framework::Iso27001),
                    refs(crate::evaluate::catalog::Framework::Gdpr),
                    c.remediation.clone().unwrap_or_default(),
                ]);
            }
            writeln!(out, "{t}").map_err(w)?;
            writeln!(
                out,
                "{} controls · policy set {}",
                catalog.controls.len(),
                &catalog.hash[..12]
            )
            .map_err(w)?;
        }
    }
    Ok(gate::EXIT_OK)
}
