//! The remediation plan as data: each step names its action, resource, controls, reason and the
//! exact API call it would make (`Call`), and how it is carried out (`Method`). Planned by
//! `decide::remediation`, carried out (only with `--apply`) by `aws::remediate`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The tag on everything drready creates.
pub const CREATED_BY_TAG: (&str, &str) = ("drready:created-by", "drready");
/// The tag on a restore-test scratch instance: its value is the source database's ARN.
pub const RESTORE_TEST_TAG: &str = "drready:restore-test";
/// Scratch instances are named with this prefix.
pub const RESTORE_PREFIX: &str = "drready-restore-test-";

/// An API call, as the plan shows it and as apply makes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// `service:Operation`, e.g. `rds:CreateDBSnapshot`.
    pub api: String,
    pub params: BTreeMap<String, String>,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(", self.api)?;
        for (i, (k, v)) in self.params.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        write!(f, ")")
    }
}

/// What became of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// `done`, `skipped`, `failed`, `not-allowed` (needs `--allow modify`), `over-limit`
    /// (past `--max-actions`).
    pub status: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<DateTime<Utc>>,
    /// What the step created (snapshot id, job id, scratch instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

impl Outcome {
    /// A failed call: the operation, the AWS error code, the message.
    pub fn failed(op: &str, code: Option<&str>, message: &str) -> Self {
        let code = code.map(|c| format!("{c}: ")).unwrap_or_default();
        Self::new("failed", format!("{op}: {code}{message}"))
    }

    pub fn new(status: &str, detail: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            detail: detail.into(),
            started: None,
            finished: None,
            created: None,
        }
    }
}

/// How a step is carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Method {
    RdsSnapshot {
        cluster: bool,
        identifier: String,
    },
    BackupJob {
        vault: String,
        role_arn: String,
    },
    PointInTimeRestore {
        source: String,
        target: String,
    },
    BackupRestore {
        role_arn: String,
        target: String,
    },
    Modify {
        cluster: bool,
        identifier: String,
        setting: String,
        value: String,
    },
}

/// One action on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub action: String,
    /// The resource's ARN.
    pub resource: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub component: String,
    /// The controls the step answers.
    pub controls: Vec<String>,
    pub reason: String,
    pub call: Call,
    pub method: Method,
    /// The step changes a configuration (needs `--allow modify`).
    pub modifies: bool,
    /// A newer snapshot than this makes a backup unnecessary (the component's RPO), in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_within_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// A failing control drready does not fix itself: the next step for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manual {
    pub control: String,
    pub resource: String,
    pub remediation: String,
}

/// The remediation plan (and, once applied, the remediation log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub created_at: DateTime<Utc>,
    pub applied: bool,
    pub steps: Vec<Step>,
    pub manual: Vec<Manual>,
}

/// Short, valid RDS identifiers: letters, digits, hyphens, at most 63 characters.
pub fn identifier(prefix: &str, name: &str, stamp: &str) -> String {
    let room = 63usize.saturating_sub(prefix.len() + stamp.len() + 1);
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(room)
        .collect();
    format!("{prefix}{}-{stamp}", clean.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_valid_rds_names() {
        let id = super::identifier(super::RESTORE_PREFIX, "orders_db.main", "20261202120000");
        assert_eq!(id, "drready-restore-test-orders-db-main-20261202120000");
        let long = super::identifier("drready-", &"x".repeat(100), "20261202120000");
        assert!(long.len() <= 63, "{long}");
    }
}
