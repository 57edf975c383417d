//! `drready remediate`: print the remediation plan; with `--apply`, carry it out.

use super::audit::write_bundle_with;
use super::collect::{collect_as_kept, live_options, LIVE_ORIGIN};
use super::live;
use super::*;

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

pub(super) fn parse_duration(s: &str) -> Result<u64, String> {
    crate::util::duration::parse_seconds(s)
        .ok_or_else(|| format!("`{s}` is not a duration (e.g. `30s`, `15m`, `2h`)"))
}

pub(super) fn remediate(args: RemediateArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    use crate::decide::remediation;
    let catalog = args.judge.catalog()?;
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
    let mut code = Exit::Ok;
    if args.apply && !plan.steps.is_empty() {
        if !args.yes && !confirm(&plan, &args, out)? {
            writeln!(out, "nothing changed").map_err(w)?;
            return Ok(Exit::Ok);
        }
        let (tests, calls) = live::apply(&mut plan, &config, &options, &args)?;
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
            code = Exit::Findings;
        }
    }
    render_plan(&plan, args.format, out).map_err(w)?;
    if args.apply && !args.evidence.no_evidence {
        let bundle = bundle(&args, &catalog, &config, &eval, &collected, &plan, bytes)?;
        eprintln!("evidence: {}", bundle.display());
    }
    Ok(code)
}

/// Ask on the terminal before changing anything; `--yes` skips the question.
fn confirm(
    plan: &crate::model::remediation::Plan,
    args: &RemediateArgs,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    let w = |e| Error::io("writing output", e);
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::Other(
            "`--apply` asks for confirmation on a terminal; pass `--yes` to apply without one"
                .into(),
        ));
    }
    render_plan(plan, ListFormat::Table, out).map_err(w)?;
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
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The evidence bundle of an applied plan: the audit it started from, and the remediation log.
fn bundle(
    args: &RemediateArgs,
    catalog: &Catalog,
    config: &Config,
    eval: &evaluate::Evaluation,
    collected: &Collected,
    plan: &crate::model::remediation::Plan,
    bytes: Option<Vec<u8>>,
) -> Result<PathBuf, Error> {
    let scorecard = score::score(catalog, eval);
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
        brief: config.brief.clone(),
    };
    let report = Report {
        catalog,
        eval,
        scorecard: &scorecard,
        settings: &settings,
        max_rows: 20,
        template: None,
        color: false,
        html_template: None,
        comparison: None,
        history: &[],
    };
    let config_text = match &args.judge.config {
        Some(p) => crate::util::files::read_bounded(p, crate::util::files::MAX_SMALL_BYTES)
            .map_err(|e| InputError::io(p, &e))?,
        None => Vec::new(),
    };
    let snapshot = match (&args.snapshot, bytes) {
        (Some(p), _) => (
            crate::evidence::Content::File(p.clone()),
            "file",
            Some(p.display().to_string()),
        ),
        (None, Some(b)) => (crate::evidence::Content::Bytes(b), "live", None),
        (None, None) => (crate::evidence::Content::Bytes(Vec::new()), "live", None),
    };
    let log = serde_json::to_vec_pretty(plan).map_err(|e| Error::Other(e.to_string()))?;
    let bundle = write_bundle_with(
        &report,
        snapshot,
        config_text,
        collected,
        &args.evidence,
        config.evidence.retention_days,
        vec![(
            "remediation.json".into(),
            crate::evidence::Content::Bytes(log),
        )],
    )?;
    Ok(bundle)
}

pub(super) fn render_plan(
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
