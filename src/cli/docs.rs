//! `drready docs inspect`: what drready reads from DR documents.

use super::*;

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

pub(super) fn docs_inspect(args: DocsInspectArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let catalog = args.judge.catalog()?;
    let config = load_config(args.judge.config.as_deref())?;
    let (documents, gaps) = crate::sources::docs::collect(&args.paths, &Disk);
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
                        "  target (line {}): {}{} RTO {} RPO {}{}",
                        t.line.unwrap_or(0),
                        t.component,
                        t.disruption
                            .map(|d| format!(" ({} disruption)", d.as_str()))
                            .unwrap_or_default(),
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
    Ok(Exit::Ok)
}
