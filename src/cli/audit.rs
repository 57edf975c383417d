//! `drready audit`: judge a live account, a saved snapshot or the example; print the scorecard,
//! and write an evidence bundle when asked.

use super::collect::{collect_as_kept, live_options, LIVE_ORIGIN};
use super::*;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Judge this snapshot instead of collecting from AWS: a file or `s3://bucket/key`. Given
    /// more than once, the shards of one collection (`collect --shard`), checked and merged
    #[arg(long, value_name = "FILE", conflicts_with = "example")]
    pub snapshot: Vec<PathBuf>,
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
    /// Also sign it with this AWS KMS asymmetric key (id, ARN or alias; SIGN_VERIFY usage)
    #[arg(long, value_name = "KEY")]
    pub sign_kms_key: Option<String>,
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

pub(super) fn audit(args: AuditArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let catalog = args.judge.catalog()?;
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
    let given =
        super::collect::snapshot_file(&args.snapshot, args.evidence.endpoint_url.as_deref())?;
    let snapshot_path = given.as_ref().map(|g| g.path.as_path());
    let eval = match (snapshot_path, args.example) {
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
        brief: config.brief.clone(),
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
            let previous = crate::evidence::previous::load_previous(p)?;
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
    // The earlier audits of this evidence folder, for the brief's trend: only when this audit
    // joins the series (it writes a bundle there), so that `--no-evidence` runs stay alike.
    let history = if args.evidence.no_evidence {
        Vec::new()
    } else {
        crate::evidence::previous::history(&args.evidence.evidence_dir.join(scope_name(&eval)), 7)
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
        history: &history,
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
        let snapshot = match (snapshot_path, live) {
            (Some(p), _) => crate::evidence::Content::File(p.to_path_buf()),
            (None, Some(bytes)) => crate::evidence::Content::Bytes(bytes),
            (None, None) => crate::evidence::Content::Bytes(
                crate::sources::example::SNAPSHOT.as_bytes().to_vec(),
            ),
        };
        let origin = match (&given, args.example) {
            (Some(g), _) => ("file", Some(g.name.clone())),
            (None, false) => ("live", None),
            (None, true) => (
                "example",
                Some(crate::sources::example::SNAPSHOT_PATH.to_string()),
            ),
        };
        let bundle = write_bundle(
            &report,
            (snapshot, origin.0, origin.1),
            config_text,
            &collected,
            &args.evidence,
            config.evidence.retention_days,
        )?;
        eprintln!("evidence: {}", bundle.display());
    }
    Ok(Exit::from(crate::decide::gate::decide(
        &catalog,
        &eval,
        args.fail_on,
        args.strict,
    )))
}

/// The folder of an evidence folder that holds this scope's bundles.
pub(super) fn scope_name(eval: &evaluate::Evaluation) -> String {
    if eval.scope.accounts.is_empty() {
        "local".to_string()
    } else {
        eval.scope.accounts.join("+")
    }
}

/// The report as bundles keep it: without overrides or a comparison, so that verification renders
/// it the same way.
pub(super) fn plain<'a>(report: &Report<'a>) -> Report<'a> {
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
        history: &[],
    }
}

/// The bundle's reports, each rendered straight into its file.
pub(super) fn bundle_reports<'r>(
    plain: &'r Report<'_>,
) -> Vec<(String, crate::evidence::Content<'r>)> {
    let render = |format: Format| -> crate::evidence::Content<'r> {
        crate::evidence::Content::Stream(Box::new(move |w: &mut dyn Write| {
            report::render(format, plain, w)
        }))
    };
    vec![
        ("verdicts.json".into(), render(Format::Json)),
        (
            "scorecard.json".into(),
            crate::evidence::Content::Stream(Box::new(move |w: &mut dyn Write| {
                serde_json::to_writer_pretty(&mut *w, plain.scorecard)
                    .map_err(report::json::io_error)
            })),
        ),
        ("report.txt".into(), render(Format::Table)),
        ("report.md".into(), render(Format::Markdown)),
        ("scorecard.html".into(), render(Format::Html)),
    ]
}

/// The snapshot to bundle, where it came from (`live`, `file`, `example`) and its path.
pub(super) type Origin<'a> = (crate::evidence::Content<'a>, &'static str, Option<String>);

pub(super) fn write_bundle(
    report: &Report<'_>,
    snapshot: Origin<'_>,
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
pub(super) fn write_bundle_with(
    report: &Report<'_>,
    (snapshot, source, snapshot_path): Origin<'_>,
    config_text: Vec<u8>,
    collected: &Collected,
    args: &EvidenceArgs,
    retention_days: u32,
    extra: Vec<(String, crate::evidence::Content<'static>)>,
) -> Result<PathBuf, Error> {
    // Declared first: the files below borrow it until the bundle is written.
    let plain = plain(report);
    let key = match &args.sign_key {
        Some(p) => Some(crate::evidence::signing_key(p)?),
        None => None,
    };
    let mut files = vec![
        ("inputs/snapshot.json".to_string(), snapshot),
        (
            "inputs/config.toml".to_string(),
            crate::evidence::Content::Bytes(config_text),
        ),
    ];
    let inputs = crate::evidence::Collected {
        documents: collected.documents.clone(),
        dr_tests: collected.dr_tests.clone(),
        gaps: collected.gaps.clone(),
    };
    let inputs = serde_json::to_vec_pretty(&inputs).map_err(|e| Error::Other(e.to_string()))?;
    files.push((
        "inputs/collected.json".into(),
        crate::evidence::Content::Bytes(inputs),
    ));
    for (name, text) in &report.catalog.files {
        files.push((
            format!("policies/{name}"),
            crate::evidence::Content::Bytes(text.clone().into_bytes()),
        ));
    }
    for (name, (_, text)) in &report.catalog.framework_files {
        files.push((
            format!("frameworks/{name}"),
            crate::evidence::Content::Bytes(text.clone().into_bytes()),
        ));
    }
    files.extend(bundle_reports(&plain));
    files.extend(extra);
    let eval = report.eval;
    let scope = scope_name(eval);
    let now = Utc::now();
    let manifest = crate::evidence::Manifest {
        bundle_version: crate::evidence::BUNDLE_VERSION,
        tool: "drready".into(),
        tool_version: crate::VERSION.into(),
        created_at: now,
        collected_at: eval.collected_at,
        evaluated_at: eval.as_of,
        scope: eval.scope.clone(),
        policy_set_sha256: report.catalog.hash.clone(),
        policy_origins: report.catalog.origins.clone(),
        frameworks_sha256: Some(report.catalog.frameworks_hash.clone()),
        framework_origins: report
            .catalog
            .framework_files
            .iter()
            .map(|(n, (o, _))| (n.clone(), o.clone()))
            .collect(),
        render_version: Some(crate::evidence::RENDER_VERSION),
        provenance: Some(crate::evidence::Provenance {
            source: source.to_string(),
            snapshot_path,
            snapshot_sha256: String::new(),
            collected_by: eval.scope.collected_by.clone(),
            inputs: collected.inputs.clone(),
            build: crate::evidence::build(),
        }),
        previous_manifest_sha256: None,
        settings: report.settings.clone(),
        files: Vec::new(),
    };
    let endpoint = args.endpoint_url.clone();
    let cosign = |message: &str| {
        super::live::kms_sign(
            args.sign_kms_key.as_deref().unwrap_or(""),
            message,
            endpoint.as_deref(),
        )
    };
    let dir = crate::evidence::write(
        &args.evidence_dir.join(scope),
        &crate::evidence::stamp(now),
        files,
        manifest,
        key.as_ref(),
        args.sign_kms_key
            .as_ref()
            .map(|_| &cosign as crate::evidence::Cosigner<'_>),
    )?;
    if args.archive || args.upload.is_some() {
        let archive = crate::evidence::archive(&dir)?;
        eprintln!("evidence archive: {}", archive.display());
        if let Some(target) = &args.upload {
            let (url, until) = super::live::upload(
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
