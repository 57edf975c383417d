//! The DR rules that every producer of a snapshot shares: the live collectors and the Terraform
//! plan reader both call these, so that the same facts give the same verdict on both paths.
//! Pure functions of text, JSON and model records; no I/O.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::model::snapshot::{Document, Provenance};
use crate::util::files::normalize;

/// A JSON value that may be a string or a list of strings.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The statements of a policy document (`Statement` may be one object or a list).
pub fn statements(doc: &Value) -> impl Iterator<Item = &Value> {
    let list: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    };
    list.into_iter()
}

/// An IAM action pattern (`backup:Delete*`, `*`) matches an action, case-insensitively.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildmatch::WildMatch::new(&pattern.to_ascii_lowercase()).matches(&action.to_ascii_lowercase())
}

/// The interval AWS Backup's continuous backup keeps: RDS ships transaction logs every five
/// minutes, so its newest restorable point is at most this old.
pub const CONTINUOUS_BACKUP_INTERVAL_SECONDS: u64 = 300;

/// The interval between runs of a backup rule: continuous backup's, else its schedule's.
pub fn backup_rule_interval(continuous: bool, schedule: Option<&str>) -> Option<u64> {
    if continuous {
        Some(CONTINUOUS_BACKUP_INTERVAL_SECONDS)
    } else {
        schedule.and_then(schedule_interval)
    }
}

/// The interval between runs of a backup schedule expression, in seconds: `rate(12 hours)`,
/// `cron(0 5 ? * * *)` (daily), `cron(0 */6 * * ? *)` (6 h), `cron(0 5 ? * SUN *)` (weekly),
/// `cron(0 5 1 * ? *)` (monthly).
pub fn schedule_interval(expr: &str) -> Option<u64> {
    let e = expr.trim();
    if let Some(rate) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        return crate::util::duration::parse_seconds(rate);
    }
    let body = e.strip_prefix("cron(")?.strip_suffix(')')?;
    let f: Vec<&str> = body.split_whitespace().collect();
    if f.len() != 6 {
        return None;
    }
    let (minutes, hours, dom, dow) = (f[0], f[1], f[2], f[4]);
    let every = |field: &str| matches!(field, "*" | "?");
    if !every(dom) {
        return Some(if dom.contains(',') {
            15 * 86_400
        } else {
            31 * 86_400
        });
    }
    if !every(dow) {
        let days = dow.split(',').count().max(1) as u64;
        return Some(7 * 86_400 / days);
    }
    let per_day = if let Some(step) = hours
        .strip_prefix("*/")
        .or_else(|| hours.strip_prefix("0/"))
    {
        24 / step.parse::<u64>().ok().filter(|s| *s > 0)?
    } else if hours == "*" {
        24 * if minutes.contains(',') {
            minutes.split(',').count() as u64
        } else {
            1
        }
    } else {
        hours.split(',').count() as u64
    };
    Some(86_400 / per_day.max(1))
}

/// Whether a vault access policy denies `backup:DeleteRecoveryPoint` to everyone (exceptions for
/// allowed principals go in its condition).
pub fn denies_recovery_point_deletion(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let denied = statements(&doc).any(|s| {
        s.get("Effect").and_then(|e| e.as_str()) == Some("Deny")
            && strings(s.get("Action"))
                .iter()
                .any(|a| action_matches(a, "backup:DeleteRecoveryPoint"))
            && match s.get("Principal") {
                Some(serde_json::Value::String(p)) => p == "*",
                Some(serde_json::Value::Object(m)) => {
                    strings(m.get("AWS")).iter().any(|p| p == "*")
                }
                _ => false,
            }
    });
    denied
}

/// The documents a review schedule names, resolved next to the document holding the table, with
/// what the schedule says of them. Merged into documents that were read, added where not.
pub fn scheduled(docs: &[Document]) -> Vec<Document> {
    let mut by_path: BTreeMap<String, Document> =
        docs.iter().map(|d| (d.path.clone(), d.clone())).collect();
    let mut order: Vec<String> = docs.iter().map(|d| d.path.clone()).collect();
    for d in docs {
        let dir = Path::new(&d.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for row in &d.review_schedule {
            let path = normalize(&dir.join(&row.document)).display().to_string();
            let entry = by_path.entry(path.clone()).or_insert_with(|| {
                order.push(path.clone());
                Document {
                    path: path.clone(),
                    title: Some(row.document.clone()),
                    provenance: Some(Provenance {
                        source: d.path.clone(),
                        line: row.line,
                        at: None,
                    }),
                    ..Document::default()
                }
            });
            if entry.next_review.is_none() {
                entry.next_review = row.next_review;
                if let Some(l) = row.line {
                    entry.lines.insert("next_review".into(), l);
                }
            }
            if entry.review_frequency_days.is_none() {
                entry.review_frequency_days = row.frequency_days;
            }
            if entry.owner.is_none() {
                entry.owner.clone_from(&row.owner);
            }
        }
    }
    order.dedup();
    order
        .into_iter()
        .filter_map(|p| by_path.remove(&p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_become_intervals() {
        assert_eq!(schedule_interval("cron(0 5 ? * * *)"), Some(86_400));
        assert_eq!(schedule_interval("cron(0 */6 * * ? *)"), Some(21_600));
        assert_eq!(schedule_interval("cron(0 5 ? * SUN *)"), Some(604_800));
        assert_eq!(schedule_interval("cron(0 5 1 * ? *)"), Some(31 * 86_400));
        assert_eq!(schedule_interval("rate(12 hours)"), Some(43_200));
        assert_eq!(schedule_interval("whenever"), None);
    }

    #[test]
    fn vault_policies_that_deny_deletion() {
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":["backup:DeleteRecoveryPoint","backup:UpdateRecoveryPointLifecycle"],"Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::1:role/BreakGlass"}}}]}"#;
        assert!(denies_recovery_point_deletion(deny));
        let wildcard =
            r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"backup:*","Resource":"*"}}"#;
        assert!(denies_recovery_point_deletion(wildcard));
        let allow = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"backup:DeleteRecoveryPoint","Resource":"*"}]}"#;
        assert!(!denies_recovery_point_deletion(allow));
        assert!(!denies_recovery_point_deletion("not json"));
    }

    #[test]
    fn continuous_backup_is_five_minutes_on_every_path() {
        assert_eq!(
            backup_rule_interval(true, Some("cron(0 5 ? * * *)")),
            Some(300)
        );
        assert_eq!(
            backup_rule_interval(false, Some("cron(0 5 ? * * *)")),
            Some(86_400)
        );
        assert_eq!(backup_rule_interval(false, None), None);
    }
}
