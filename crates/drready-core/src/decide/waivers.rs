//! Waivers (accepted findings with an owner and an expiry) and baselines (findings that existed
//! before, so that the gate fails only on new ones).
//!
//! ```toml
//! [[waiver]]
//! control = "rds-multi-az"                 # a control id
//! resource = "module.dev.aws_db_instance.*" # glob on the resource address, id or name
//! justification = "dev database, single AZ by design"
//! owner = "platform-team"
//! expires = 2027-01-31                     # a date; an expired waiver fails again
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

use crate::evaluate::catalog::Catalog;
use crate::util::error::InputError;

#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    pub control: String,
    pub resource: String,
    pub justification: String,
    pub owner: String,
    pub expires: NaiveDate,
    #[serde(skip)]
    glob: Option<WildMatch>,
}

impl Waiver {
    pub fn matches(&self, control: &str, ids: &[&str]) -> bool {
        self.control == control
            && self
                .glob
                .as_ref()
                .is_some_and(|g| ids.iter().any(|id| g.matches(id)))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DateText {
    Date(toml::value::Datetime),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    control: String,
    resource: String,
    justification: String,
    owner: String,
    expires: DateText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaivers {
    #[serde(default)]
    waiver: Vec<RawWaiver>,
}

/// Read a waivers file's text (`path` names it in errors); every field is required, and the
/// control must exist.
pub fn parse(text: &str, path: &Path, catalog: &Catalog) -> Result<Vec<Waiver>, InputError> {
    let raw: RawWaivers = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((0, 0), |s| crate::util::error::line_col(text, s.start));
        InputError::at(path, line, column, e.message().to_string())
    })?;
    let mut out = Vec::new();
    for (i, w) in raw.waiver.into_iter().enumerate() {
        let which = format!("waiver {} (`{}` on `{}`)", i + 1, w.control, w.resource);
        let date = match &w.expires {
            DateText::Date(d) => d.to_string(),
            DateText::Text(t) => t.clone(),
        };
        let expires = NaiveDate::parse_from_str(date.get(..10).unwrap_or(&date), "%Y-%m-%d")
            .map_err(|_| {
                InputError::plain(
                    path,
                    format!("{which}: `expires` `{date}` is not a date (YYYY-MM-DD)"),
                )
            })?;
        if catalog.control(&w.control).is_none() {
            return Err(InputError::plain(
                path,
                format!("{which}: no control `{}`", w.control),
            ));
        }
        for (field, value) in [
            ("resource", &w.resource),
            ("justification", &w.justification),
            ("owner", &w.owner),
        ] {
            if value.trim().is_empty() {
                return Err(InputError::plain(
                    path,
                    format!("{which}: `{field}` is empty"),
                ));
            }
        }
        out.push(Waiver {
            glob: Some(WildMatch::new(&w.resource)),
            control: w.control,
            resource: w.resource,
            justification: w.justification,
            owner: w.owner,
            expires,
        });
    }
    Ok(out)
}

/// Findings accepted as they were: (control, resource).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: BTreeSet<(String, String)>,
}

impl Baseline {
    /// Read a baseline file's text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, InputError> {
        let b: Baseline =
            serde_json::from_str(text).map_err(|e| crate::util::error::json_error(path, &e))?;
        if b.version != 1 {
            return Err(InputError::plain(
                path,
                format!("unsupported baseline `version` {}", b.version),
            ));
        }
        Ok(b)
    }

    /// The baseline file's text.
    pub fn to_text(&self) -> Result<String, crate::util::error::Error> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| crate::util::error::Error::Other(e.to_string()))?;
        Ok(format!("{text}\n"))
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should fail loudly on the first surprise"
)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_required_and_located() {
        let catalog = Catalog::load(None).unwrap();
        let ok = "[[waiver]]\ncontrol = \"rds-multi-az\"\nresource = \"module.dev.*\"\njustification = \"dev\"\nowner = \"me\"\nexpires = 2027-01-31\n";
        let w = parse(ok, Path::new("w.toml"), &catalog).unwrap();
        assert_eq!(w[0].expires, NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
        assert!(w[0].matches("rds-multi-az", &["module.dev.aws_db_instance.x"]));
        assert!(!w[0].matches("rds-multi-az", &["module.prod.aws_db_instance.x"]));
        let missing = "[[waiver]]\ncontrol = \"rds-multi-az\"\nresource = \"x\"\nowner = \"me\"\nexpires = \"2027-01-31\"\n";
        let err = parse(missing, Path::new("w.toml"), &catalog)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `justification`"), "{err}");
        let unknown = ok.replace("rds-multi-az", "rds-multi-azz");
        assert!(parse(&unknown, Path::new("w.toml"), &catalog)
            .unwrap_err()
            .to_string()
            .contains("no control `rds-multi-azz`"));
    }
}
