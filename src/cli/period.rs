//! `drready report --from --to BUNDLES...`: evidence over an audit period.

use super::*;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The first day of the period (a date, or RFC 3339)
    #[arg(long, value_name = "DATE", value_parser = parse_as_of)]
    pub from: DateTime<Utc>,
    /// The last day of the period
    #[arg(long, value_name = "DATE", value_parser = parse_as_of)]
    pub to: DateTime<Utc>,
    /// Bundle folders, archives, or evidence folders holding them
    #[arg(required = true, value_name = "BUNDLES")]
    pub bundles: Vec<PathBuf>,
    /// Check each bundle's signature with this public key
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Ask AWS KMS to check each bundle's KMS signature
    #[arg(long)]
    pub kms: bool,
    /// Send the KMS calls to this endpoint (also `AWS_ENDPOINT_URL`)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    #[arg(long, value_enum, default_value_t = report::period::PeriodFormat::Table)]
    pub format: report::period::PeriodFormat,
}

pub(super) fn period(args: ReportArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let (from, to) = (args.from.date_naive(), args.to.date_naive());
    if from > to {
        return Err(Error::Other(format!(
            "--from {from} is after --to {to}: the period is empty"
        )));
    }
    let public = match &args.public_key {
        Some(p) => Some(crate::evidence::verifying_key(p)?),
        None => None,
    };
    let check = super::evidence::kms_check(args.endpoint_url.clone());
    let (audits, excluded) = crate::evidence::period::load(
        &args.bundles,
        from,
        to,
        public.as_ref(),
        args.kms.then_some(&check as &crate::evidence::KmsCheck),
        &super::evidence::reproduce_reports,
    )?;
    for e in &excluded {
        eprintln!("left out: {}: {}", e.bundle, e.why);
    }
    let r = crate::decide::period::judge(from, to, &audits, excluded);
    report::period::render(args.format, &r, out).map_err(|e| Error::io("writing the report", e))?;
    // A period with a bundle that failed verification, or with no audit at all, is not clean.
    Ok(
        if r.excluded
            .iter()
            .any(|e| !e.why.contains("outside the period"))
            || r.audits.is_empty()
        {
            Exit::Findings
        } else {
            Exit::Ok
        },
    )
}
