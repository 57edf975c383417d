//! `drready gate`: judge a Terraform plan before it is applied.

use super::*;

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

pub(super) fn gate_plan(args: GateArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let catalog = args.judge.catalog()?;
    let config = load_config(args.judge.config.as_deref())?;
    let text = crate::util::files::read_text(&args.plan, crate::util::files::MAX_PLAN_BYTES)?;
    let as_of = args.judge.as_of.unwrap_or_else(Utc::now);
    let planned = crate::sources::plan::read(&text, &args.plan, &config, as_of)?;
    let waivers = match &args.waivers {
        Some(p) => crate::decide::waivers::parse(&read_small(p)?, p, &catalog)?,
        None => Vec::new(),
    };
    let baseline = match &args.baseline {
        Some(p) => Some(crate::decide::waivers::Baseline::parse(&read_small(p)?, p)?),
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
    let outcome =
        crate::decide::gate::judge_plan(&catalog, &eval, &waivers, baseline.as_ref(), args.fail_on);
    if let Some(p) = &args.write_baseline {
        write_replacing(p, &outcome.baseline().to_text()?)?;
    }
    let plan_name = args.plan.display().to_string();
    let plan_uri = repo_relative(&args.plan);
    let lines = crate::sources::plan::address_lines(&text);
    let report = report::gate::GateReport {
        catalog: &catalog,
        outcome: &outcome,
        plan: &plan_name,
        plan_uri: &plan_uri,
        lines: &lines,
        format_version: &planned.format_version,
        terraform_version: &planned.terraform_version,
        actions: &planned.actions,
        unknown: match args.unknown {
            UnknownAs::NoEvidence => "no_evidence",
            UnknownAs::Pass => "pass",
            UnknownAs::Fail => "fail",
        },
        exit_code: Exit::from(outcome.decision).code(),
    };
    report::gate::render(args.format, &report, out)
        .map_err(|e| Error::io("writing the report", e))?;
    Ok(Exit::from(outcome.decision))
}

/// The file relative to the root of the git repository holding it (forward slashes), as code
/// scanning expects; outside a repository, relative to the current folder where it is under it.
fn repo_relative(path: &Path) -> String {
    let slashes = |p: &Path| {
        p.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let Ok(abs) = std::fs::canonicalize(path) else {
        return slashes(path);
    };
    if let Some(root) = abs.ancestors().skip(1).find(|a| a.join(".git").exists()) {
        if let Ok(rel) = abs.strip_prefix(root) {
            return slashes(rel);
        }
    }
    match std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok())
        .and_then(|d| abs.strip_prefix(d).ok().map(Path::to_path_buf))
    {
        Some(rel) => slashes(&rel),
        None => slashes(&abs),
    }
}

fn read_small(path: &Path) -> Result<String, InputError> {
    crate::util::files::read_text(path, crate::util::files::MAX_SMALL_BYTES)
}

/// Write atomically: a temporary file renamed into place (a baseline is meant to be rewritten).
fn write_replacing(path: &Path, text: &str) -> Result<(), Error> {
    let tmp = path.with_extension("tmp-drready");
    std::fs::write(&tmp, text).map_err(|e| Error::io(format!("writing `{}`", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
}
