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
}

pub(super) fn controls(args: ControlsArgs, out: &mut dyn Write) -> Result<Exit, Error> {
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
    Ok(Exit::Ok)
}
