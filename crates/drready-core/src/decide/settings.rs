//! The settings an audit ran with, recorded in every report and bundle so that a reader knows how
//! it was made.

use serde::Serialize;

use crate::evaluate::catalog::Severity;

/// The settings a report records, so that a reader knows how it was made.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub config: Option<String>,
    pub policies: Option<String>,
    pub fail_on: Option<Severity>,
    pub strict: bool,
    pub params: crate::model::config::Params,
    /// The brief's organization and due dates (absent in reports of earlier builds).
    #[serde(default)]
    pub brief: crate::model::config::RawBrief,
}
