//! Velero's workload backups, read from its backup storage locations in S3: each backup's
//! `backups/<name>/velero-backup.json` under the location's prefix, in Velero's own format (the
//! layout of `pkg/persistence/object_store_layout.go` and the `Backup` type of
//! `pkg/apis/velero/v1/backup_types.go` in vmware-tanzu/velero): the schedule from the label
//! `velero.io/schedule-name`, `status.phase`, `status.startTimestamp` and
//! `status.completionTimestamp`. The Schedule's `lastBackup` is never used: it is when a backup was
//! submitted, not when one completed.
//!
//! The buckets come from `[velero]`; with no rule, those whose name contains `velero` or that carry
//! the tag `drready:role=velero`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::session::{each_page, Ctx, Failure};
use crate::model::config::RawVelero;
use crate::model::platform::VeleroSchedule;
use crate::model::snapshot::{Gap, Provenance, Resource};

/// The label Velero puts on a backup made by a schedule.
pub const SCHEDULE_LABEL: &str = "velero.io/schedule-name";

/// What drready reads of one `velero-backup.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    pub name: String,
    /// The schedule, or `-` for a backup made by hand.
    pub schedule: String,
    pub phase: String,
    pub started: Option<DateTime<Utc>>,
    pub completed: Option<DateTime<Utc>>,
}

/// Read a `velero-backup.json`.
pub fn parse_backup(text: &str) -> Result<Backup, String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    if v.get("kind").and_then(|k| k.as_str()) != Some("Backup") {
        return Err("not a Velero Backup (`kind` is not `Backup`)".into());
    }
    let meta = v.get("metadata").ok_or("no `metadata`")?;
    let name = meta
        .get("name")
        .and_then(|n| n.as_str())
        .ok_or("no `metadata.name`")?;
    let schedule = meta
        .get("labels")
        .and_then(|l| l.get(SCHEDULE_LABEL))
        .and_then(|s| s.as_str())
        .unwrap_or("-");
    let status = v.get("status");
    let time = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
        match status.and_then(|s| s.get(k)).and_then(|t| t.as_str()) {
            None => Ok(None),
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| format!("`status.{k}` `{t}` is not a time: {e}")),
        }
    };
    Ok(Backup {
        name: name.to_string(),
        schedule: schedule.to_string(),
        phase: status
            .and_then(|s| s.get("phase"))
            .and_then(|p| p.as_str())
            .unwrap_or("New")
            .to_string(),
        started: time("startTimestamp")?,
        completed: time("completionTimestamp")?,
    })
}

/// Backups per schedule: the newest Completed one, and the failed ones started after it.
pub fn schedules(location: &str, backups: &[Backup]) -> Vec<VeleroSchedule> {
    let mut by: BTreeMap<&str, Vec<&Backup>> = BTreeMap::new();
    for b in backups {
        by.entry(b.schedule.as_str()).or_default().push(b);
    }
    by.into_iter()
        .map(|(schedule, bs)| {
            let newest = bs
                .iter()
                .filter(|b| b.phase == "Completed")
                .filter_map(|b| Some((b.completed?, b.started)))
                .max();
            let mut failed: Vec<&&Backup> = bs
                .iter()
                .filter(|b| {
                    matches!(
                        b.phase.as_str(),
                        "Failed" | "PartiallyFailed" | "FailedValidation"
                    )
                })
                .filter(|b| match newest {
                    Some((_, started)) => b.started >= started && b.started.is_some(),
                    None => true,
                })
                .collect();
            failed.sort_by_key(|b| std::cmp::Reverse(b.started));
            VeleroSchedule {
                id: format!("{location}#{schedule}"),
                name: Some(schedule.to_string()),
                location: location.to_string(),
                schedule: schedule.to_string(),
                backups: u32::try_from(bs.len()).unwrap_or(u32::MAX),
                newest_completed: newest.map(|(c, _)| c),
                failed_after_completed: u32::try_from(failed.len()).unwrap_or(u32::MAX),
                failed_names: failed
                    .iter()
                    .take(5)
                    .map(|b| format!("{} ({})", b.name, b.phase))
                    .collect(),
                ..VeleroSchedule::default()
            }
        })
        .collect()
}

/// Every Velero schedule of the account's Velero buckets.
pub async fn collect(ctx: &Ctx, rule: &RawVelero) -> (Vec<Resource>, Vec<Gap>) {
    let client = ctx.s3();
    let mut gaps = Vec::new();
    // Shared with the backup-bucket collector: each answer is asked once per account.
    let listed = super::s3::list_buckets(ctx).await;
    let buckets = listed.clone().unwrap_or_default();
    if let Err(f) = listed {
        let mut g = ctx.gap("s3", "ListBuckets", &f, None, Some("velero_schedule"), &[]);
        g.region = None;
        return (Vec::new(), vec![g]);
    }
    let unset = rule.buckets.is_empty() && rule.tags.is_empty();
    let needs_tags = unset || !rule.tags.is_empty();
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    for (name, region) in buckets {
        let by_name = rule.is_velero_bucket(&name, &empty);
        if !by_name && !needs_tags {
            continue;
        }
        let region = match region {
            Some(r) => r,
            None => match super::s3::location(ctx, &client, &name).await {
                Ok(r) => r,
                Err(f) => {
                    if by_name {
                        gaps.push(bucket_gap(ctx, "GetBucketLocation", &f, &name));
                    }
                    continue;
                }
            },
        };
        let bctx = ctx.in_region(&region);
        if !by_name {
            match super::s3::bucket_tags(&bctx, &name).await {
                Ok(tags) if rule.is_velero_bucket(&name, &tags) => {}
                Ok(_) => continue,
                // Unknown whether it is Velero's: only a gap when tags are the rule itself.
                Err(f) => {
                    if !rule.tags.is_empty() {
                        gaps.push(bucket_gap(&bctx, "GetBucketTagging", &f, &name));
                    }
                    continue;
                }
            }
        }
        let (records, g) = location(&bctx, &name, rule.prefix.as_deref().unwrap_or("")).await;
        out.extend(records.into_iter().map(Resource::VeleroSchedule));
        gaps.extend(g);
    }
    (out, gaps)
}

fn bucket_gap(ctx: &Ctx, op: &str, f: &Failure, bucket: &str) -> Gap {
    ctx.gap(
        "s3",
        op,
        f,
        Some(&format!("s3://{bucket}")),
        Some("velero_schedule"),
        &[],
    )
}

/// The schedules of one backup storage location.
async fn location(ctx: &Ctx, bucket: &str, prefix: &str) -> (Vec<VeleroSchedule>, Vec<Gap>) {
    let client = ctx.s3();
    let base = match prefix.trim_matches('/') {
        "" => String::new(),
        p => format!("{p}/"),
    };
    let loc = format!("s3://{bucket}/{}", base.trim_end_matches('/'));
    let loc = loc.trim_end_matches('/').to_string();
    let mut names = Vec::new();
    let listed = each_page(
        ctx,
        client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(format!("{base}backups/"))
            .delimiter("/")
            .into_paginator()
            .send(),
        |p| {
            for cp in p.common_prefixes() {
                if let Some(x) = cp.prefix() {
                    names.push(x.to_string());
                }
            }
        },
    )
    .await;
    if let Err(f) = listed {
        let mut g = ctx.gap(
            "s3",
            "ListObjectsV2",
            &f,
            None,
            Some("velero_schedule"),
            &[],
        );
        g.message = format!("{loc}/backups/: {}", g.message);
        return (Vec::new(), vec![g]);
    }
    let client = &client;
    let read: Vec<(String, Result<Backup, String>)> = futures::stream::iter(names)
        .map(|dir| async move {
            let key = format!("{dir}velero-backup.json");
            let got = ctx
                .call(client.get_object().bucket(bucket).key(&key).send())
                .await;
            let text = match got {
                Ok(o) => match o.body.collect().await {
                    Ok(b) => String::from_utf8(b.into_bytes().to_vec())
                        .map_err(|_| "not UTF-8".to_string()),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => {
                    let f = super::session::failure(&e);
                    Err(format!(
                        "{}{}",
                        f.code.map(|c| format!("{c}: ")).unwrap_or_default(),
                        f.message
                    ))
                }
            };
            (key, text.and_then(|t| parse_backup(&t)))
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut backups = Vec::new();
    let mut gaps = Vec::new();
    let mut unread = Vec::new();
    for (key, r) in read {
        match r {
            Ok(b) => backups.push(b),
            Err(why) => unread.push(format!("s3://{bucket}/{key}: {why}")),
        }
    }
    let mut records = schedules(&loc, &backups);
    let provenance = Provenance {
        source: format!("{loc}/backups/*/velero-backup.json"),
        line: None,
        at: Some(ctx.now),
    };
    for r in &mut records {
        r.account = ctx.account.clone();
        r.region = ctx.region.clone();
        r.provenance = Some(provenance.clone());
    }
    if !unread.is_empty() {
        unread.sort();
        // A backup that cannot be read may be the newest of any schedule: every schedule of the
        // location loses its recency facts, and the gap names the keys.
        let message = format!(
            "{} velero-backup.json file(s) could not be read: {}",
            unread.len(),
            unread.join("; ")
        );
        if records.is_empty() {
            // No schedule to hang the gap on: it stands for the location's unknown schedules
            // (an unlisted Velero schedule, no evidence).
            gaps.push(Gap {
                message: format!("{loc}: {message}"),
                ..ctx.gap(
                    "s3",
                    "GetObject",
                    &Failure::new(None, ""),
                    None,
                    Some("velero_schedule"),
                    &[],
                )
            });
        }
        for r in &records {
            gaps.push(Gap {
                message: message.clone(),
                ..ctx.gap(
                    "s3",
                    "GetObject",
                    &Failure::new(None, ""),
                    Some(&r.id),
                    Some("velero_schedule"),
                    &["latest_backup", "failures_after_backup"],
                )
            });
        }
    }
    (records, gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(name: &str, schedule: &str, phase: &str, start: &str, end: Option<&str>) -> String {
        let end = end.map_or(String::new(), |e| {
            format!(r#","completionTimestamp":"{e}""#)
        });
        format!(
            r#"{{"kind":"Backup","apiVersion":"velero.io/v1","metadata":{{"name":"{name}","namespace":"velero","labels":{{"velero.io/schedule-name":"{schedule}"}}}},"spec":{{"ttl":"720h0m0s"}},"status":{{"version":1,"formatVersion":"1.1.0","phase":"{phase}","startTimestamp":"{start}"{end}}}}}"#
        )
    }

    #[test]
    fn the_newest_completed_backup_per_schedule_and_failures_after_it() {
        let texts = [
            backup(
                "daily-1",
                "daily",
                "Completed",
                "2026-11-24T00:00:00Z",
                Some("2026-11-24T00:10:00Z"),
            ),
            backup(
                "daily-2",
                "daily",
                "Completed",
                "2026-11-25T00:00:00Z",
                Some("2026-11-25T00:12:00Z"),
            ),
            backup(
                "daily-3",
                "daily",
                "PartiallyFailed",
                "2026-11-26T00:00:00Z",
                Some("2026-11-26T00:11:00Z"),
            ),
            backup("daily-0", "daily", "Failed", "2026-11-23T00:00:00Z", None),
            backup("hourly-1", "hourly", "Failed", "2026-11-26T00:00:00Z", None),
        ];
        let backups: Vec<Backup> = texts
            .iter()
            .map(|t| parse_backup(t).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let s = schedules("s3://velero", &backups);
        assert_eq!(s.len(), 2);
        let daily = &s[0];
        assert_eq!(daily.schedule, "daily");
        assert_eq!(
            daily.newest_completed.map(|t| t.to_rfc3339()),
            Some("2026-11-25T00:12:00+00:00".into())
        );
        assert_eq!((daily.backups, daily.failed_after_completed), (4, 1));
        let hourly = &s[1];
        assert_eq!(
            (hourly.newest_completed, hourly.failed_after_completed),
            (None, 1)
        );
    }

    #[test]
    fn a_file_that_is_not_a_backup_is_an_error() {
        assert!(parse_backup("{").is_err());
        assert!(parse_backup(r#"{"kind":"Restore","metadata":{"name":"x"}}"#).is_err());
        assert!(parse_backup(
            r#"{"kind":"Backup","metadata":{"name":"x"},"status":{"startTimestamp":"yesterday"}}"#
        )
        .is_err());
        let manual = parse_backup(r#"{"kind":"Backup","metadata":{"name":"x"}}"#);
        assert_eq!(
            manual.map(|b| (b.schedule, b.phase)),
            Ok(("-".into(), "New".into()))
        );
    }
}
