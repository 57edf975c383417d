//! `drready controls` (the catalog) and `drready policy validate`.

use super::*;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a folder of `.cedar` files (and an optional `drready.cedarschema`) in strict mode
    Validate {
        /// The folder
        dir: PathBuf,
    },
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
    /// A folder of framework files (`.toml`) adding or replacing built-in frameworks by name
    #[arg(long, value_name = "DIR")]
    pub frameworks: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FrameworksArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// A folder of `.cedar` files adding or replacing controls
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// A folder of framework files (`.toml`) adding or replacing built-in frameworks by name
    #[arg(long, value_name = "DIR")]
    pub frameworks: Option<PathBuf>,
}

/// `drready frameworks`: the loaded frameworks, their requirements and the controls mapped.
pub(super) fn frameworks(args: FrameworksArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let catalog = Catalog::load_with(args.policies.as_deref(), args.frameworks.as_deref())?;
    let w = |e| Error::io("writing output", e);
    match args.format {
        ListFormat::Json => {
            let text = serde_json::to_string_pretty(&catalog.frameworks)
                .map_err(|e| Error::Other(e.to_string()))?;
            writeln!(out, "{text}").map_err(w)?;
        }
        ListFormat::Table => {
            for f in &catalog.frameworks {
                let mapped: std::collections::BTreeSet<&str> = f
                    .requirements
                    .iter()
                    .flat_map(|r| r.controls.iter().map(|m| m.control.as_str()))
                    .collect();
                let uncovered = f
                    .requirements
                    .iter()
                    .filter(|r| r.controls.is_empty())
                    .count();
                writeln!(
                    out,
                    "{} ({}): {} requirement(s), {} control(s) mapped, {uncovered} requirement(s) no control covers · {}",
                    f.title,
                    f.id,
                    f.requirements.len(),
                    mapped.len(),
                    f.source
                )
                .map_err(w)?;
                for r in &f.requirements {
                    let controls: Vec<&str> =
                        r.controls.iter().map(|m| m.control.as_str()).collect();
                    let list = if controls.is_empty() {
                        "not assessed: no control covers it".to_string()
                    } else {
                        controls.join(", ")
                    };
                    writeln!(out, "  {:<9} {}: {list}", r.id, r.title).map_err(w)?;
                }
            }
            writeln!(out, "frameworks {}", &catalog.frameworks_hash[..12]).map_err(w)?;
        }
    }
    Ok(Exit::Ok)
}

pub(super) fn controls(args: ControlsArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let catalog = Catalog::load_with(args.policies.as_deref(), args.frameworks.as_deref())?;
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
            let mut header = vec![
                "Control".to_string(),
                "Severity".to_string(),
                "Applies to".to_string(),
            ];
            header.extend(catalog.frameworks.iter().map(|f| f.title.clone()));
            header.push("Remediation".to_string());
            t.set_header(header);
            let mut sorted: Vec<_> = catalog.controls.iter().collect();
            sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
            for c in sorted {
                let mut row = vec![
                    format!("{}\n{}", c.id, c.title),
                    c.severity.as_str().to_string(),
                    c.resource_types.join(" "),
                ];
                row.extend(catalog.frameworks.iter().map(|f| {
                    c.frameworks
                        .get(&f.id)
                        .map(|v| v.join(" "))
                        .unwrap_or_default()
                }));
                row.push(c.remediation.clone().unwrap_or_default());
                t.add_row(row);
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
    Ok(Exit::Ok)
}
