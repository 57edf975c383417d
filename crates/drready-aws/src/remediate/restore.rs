//! Restore tests: a scratch instance restored from the newest recovery point or to a point in
//! time, tagged as drready's, waited for, timed, recorded as a DR test of kind `restore`, and with
//! `--cleanup` deleted (that instance and nothing else). Skipped while one of the database exists.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::super::session::{each_page, failure, Ctx, Failure};
use super::{failed_call, ApplyOptions};
use crate::model::remediation::{
    identifier, Outcome, Step, CREATED_BY_TAG, RESTORE_PREFIX, RESTORE_TEST_TAG,
};
use crate::model::snapshot::{DrTest, DrTestKind, Outcome as TestOutcome};

/// An outcome when a restore test of `source` may not start: one exists, or that is unknown.
pub(super) async fn already_tested(ctx: &Ctx, source: &str) -> Option<Outcome> {
    match existing_tests(ctx, source).await {
        Err(f) => Some(failed_call("DescribeDBInstances", &f)),
        Ok(found) if !found.is_empty() => {
            let list: Vec<String> = found.iter().map(|(i, s)| format!("`{i}` ({s})")).collect();
            Some(Outcome::new(
                "skipped",
                format!("a restore test of it exists: {}", list.join(", ")),
            ))
        }
        Ok(_) => None,
    }
}

/// The tags of a restore test's scratch instance.
fn restore_tags(source_arn: &str) -> Vec<aws_sdk_rds::types::Tag> {
    vec![
        aws_sdk_rds::types::Tag::builder()
            .key(CREATED_BY_TAG.0)
            .value(CREATED_BY_TAG.1)
            .build(),
        aws_sdk_rds::types::Tag::builder()
            .key(RESTORE_TEST_TAG)
            .value(source_arn)
            .build(),
    ]
}

/// The scratch instances of earlier restore tests of `source` that still exist.
async fn existing_tests(ctx: &Ctx, source: &str) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    let prefix = identifier(RESTORE_PREFIX, source, "");
    let prefix = prefix.trim_end_matches('-');
    let pages = ctx.rds().describe_db_instances().into_paginator().send();
    each_page(ctx, pages, |page| {
        for d in page.db_instances() {
            let id = d.db_instance_identifier().unwrap_or_default();
            let ours = d
                .tag_list()
                .iter()
                .any(|t| t.key() == Some(RESTORE_TEST_TAG));
            if ours && id.starts_with(prefix) {
                out.push((
                    id.to_string(),
                    d.db_instance_status().unwrap_or_default().to_string(),
                ));
            }
        }
    })
    .await?;
    Ok(out)
}

/// Wait until a scratch instance is available; its status when the wait ended.
async fn wait_available(
    ctx: &Ctx,
    id: &str,
    opts: &ApplyOptions,
    since: std::time::Instant,
) -> Result<(), String> {
    let rds = ctx.rds();
    loop {
        match ctx
            .call(
                rds.describe_db_instances()
                    .db_instance_identifier(id)
                    .send(),
            )
            .await
        {
            Ok(o) => {
                let status = o
                    .db_instances()
                    .first()
                    .and_then(|d| d.db_instance_status())
                    .unwrap_or_default()
                    .to_string();
                match status.as_str() {
                    "available" => return Ok(()),
                    "failed"
                    | "incompatible-restore"
                    | "incompatible-parameters"
                    | "storage-full" => return Err(format!("the restored instance is `{status}`")),
                    _ => {}
                }
            }
            // Not visible yet: keep waiting.
            Err(e) if failure(&e).is(&["DBInstanceNotFound", "DBInstanceNotFoundFault"]) => {}
            Err(e) => return Err(failure(&e).message),
        }
        if since.elapsed() >= opts.timeout {
            return Err(format!(
                "not available after {} s (--timeout)",
                opts.timeout.as_secs()
            ));
        }
        tokio::time::sleep(opts.poll).await;
    }
}

fn measured(step: &Step, started: DateTime<Utc>, finished: DateTime<Utc>, how: &str) -> DrTest {
    DrTest {
        id: format!(
            "drready-restore-test-{}-{}",
            step.name,
            started.format("%Y%m%dT%H%M%SZ")
        ),
        kind: DrTestKind::Restore,
        started,
        finished: Some(finished),
        outcome: TestOutcome::Success,
        measured_rto_seconds: Some((finished - started).num_seconds().max(0) as u64),
        measured_rpo_seconds: None,
        component: (!step.component.is_empty()).then(|| step.component.clone()),
        // A restore test: data loss.
        disruption: Some(crate::model::snapshot::Disruption::Data),
        notes: Some(format!("{how} of {} by drready remediate", step.resource)),
        provenance: None,
    }
}

async fn cleanup(ctx: &Ctx, target: &str) -> String {
    // Only a scratch instance drready made: its name and its tag say so.
    if !target.starts_with(RESTORE_PREFIX) {
        return format!("not deleted: `{target}` is not a drready scratch instance");
    }
    let rds = ctx.rds();
    match ctx
        .call(
            rds.describe_db_instances()
                .db_instance_identifier(target)
                .send(),
        )
        .await
    {
        Ok(o) => {
            let ours = o.db_instances().first().is_some_and(|d| {
                d.tag_list().iter().any(|t| {
                    t.key() == Some(CREATED_BY_TAG.0) && t.value() == Some(CREATED_BY_TAG.1)
                })
            });
            if !ours {
                return format!(
                    "not deleted: `{target}` lacks the {}={} tag",
                    CREATED_BY_TAG.0, CREATED_BY_TAG.1
                );
            }
        }
        Err(e) => return format!("not deleted: {}", failure(&e).message),
    }
    match ctx
        .call(
            rds.delete_db_instance()
                .db_instance_identifier(target)
                .skip_final_snapshot(true)
                .delete_automated_backups(true)
                .send(),
        )
        .await
    {
        Ok(_) => format!("scratch instance `{target}` deleted"),
        Err(e) => format!("deleting `{target}` failed: {}", failure(&e).message),
    }
}

pub(super) async fn restore_pitr(
    ctx: &Ctx,
    step: &Step,
    source: &str,
    target: &str,
    opts: &ApplyOptions,
) -> (Outcome, Option<DrTest>) {
    let rds = ctx.rds();
    let started = Utc::now();
    let clock = std::time::Instant::now();
    let tags = restore_tags(&step.resource);
    let made = ctx
        .call(
            rds.restore_db_instance_to_point_in_time()
                .source_db_instance_identifier(source)
                .target_db_instance_identifier(target)
                .use_latest_restorable_time(true)
                .multi_az(false)
                .publicly_accessible(false)
                .deletion_protection(false)
                .set_tags(Some(tags))
                .send(),
        )
        .await;
    if let Err(e) = made {
        return (
            failed_call("RestoreDBInstanceToPointInTime", &failure(&e)),
            None,
        );
    }
    finish_restore(
        ctx,
        step,
        target,
        started,
        clock,
        opts,
        "RestoreDBInstanceToPointInTime",
    )
    .await
}

async fn finish_restore(
    ctx: &Ctx,
    step: &Step,
    target: &str,
    started: DateTime<Utc>,
    clock: std::time::Instant,
    opts: &ApplyOptions,
    how: &str,
) -> (Outcome, Option<DrTest>) {
    let waited = wait_available(ctx, target, opts, clock).await;
    let finished = Utc::now();
    let mut outcome = match &waited {
        Ok(()) => Outcome::new(
            "done",
            format!(
                "restored into `{target}` in {} s",
                (finished - started).num_seconds()
            ),
        ),
        Err(why) => Outcome::new("failed", format!("restore into `{target}`: {why}")),
    };
    outcome.started = Some(started);
    outcome.finished = Some(finished);
    outcome.created = Some(target.to_string());
    if opts.cleanup {
        let note = cleanup(ctx, target).await;
        outcome.detail = format!("{}; {note}", outcome.detail);
    }
    let test = waited
        .is_ok()
        .then(|| measured(step, started, finished, how));
    (outcome, test)
}

pub(super) async fn restore_backup(
    ctx: &Ctx,
    step: &Step,
    role_arn: &str,
    target: &str,
    opts: &ApplyOptions,
) -> (Outcome, Option<DrTest>) {
    let backup = ctx.backup();
    let failed = |op: &str, f: Failure| (failed_call(op, &f), None);
    // The newest completed recovery point of the database.
    let points = match ctx
        .call(
            backup
                .list_recovery_points_by_resource()
                .resource_arn(&step.resource)
                .send(),
        )
        .await
    {
        Ok(o) => o,
        Err(e) => return failed("ListRecoveryPointsByResource", failure(&e)),
    };
    let Some(point) = points
        .recovery_points()
        .iter()
        .filter(|p| p.status().map(|s| s.as_str()) == Some("COMPLETED"))
        .max_by_key(|p| p.creation_date().map(|d| d.secs()))
    else {
        return (
            Outcome::new("failed", "no completed recovery point to restore"),
            None,
        );
    };
    let (Some(point_arn), Some(vault)) = (point.recovery_point_arn(), point.backup_vault_name())
    else {
        return (
            Outcome::new("failed", "the recovery point has no ARN or vault"),
            None,
        );
    };
    let mut metadata: HashMap<String, String> = match ctx
        .call(
            backup
                .get_recovery_point_restore_metadata()
                .backup_vault_name(vault)
                .recovery_point_arn(point_arn)
                .send(),
        )
        .await
    {
        Ok(o) => o.restore_metadata().cloned().unwrap_or_default(),
        Err(e) => return failed("GetRecoveryPointRestoreMetadata", failure(&e)),
    };
    metadata.insert("DBInstanceIdentifier".into(), target.to_string());
    metadata.insert("MultiAZ".into(), "false".into());
    let mut started = Utc::now();
    let clock = std::time::Instant::now();
    let job = match ctx
        .call(
            backup
                .start_restore_job()
                .recovery_point_arn(point_arn)
                .iam_role_arn(role_arn)
                .set_metadata(Some(metadata))
                .resource_type("RDS")
                .send(),
        )
        .await
    {
        Ok(o) => o.restore_job_id().unwrap_or_default().to_string(),
        Err(e) => return failed("StartRestoreJob", failure(&e)),
    };
    // Wait for the job, then tag the instance it made so that cleanup and collection know it.
    loop {
        match ctx
            .call(backup.describe_restore_job().restore_job_id(&job).send())
            .await
        {
            Ok(o) => match o.status().map(|s| s.as_str()) {
                Some("COMPLETED") => {
                    // The job's own start, as AWS Backup recorded it, begins the measured RTO.
                    if let Some(created) = o
                        .creation_date()
                        .and_then(|d| DateTime::<Utc>::from_timestamp(d.secs(), 0))
                    {
                        started = created.min(Utc::now());
                    }
                    break;
                }
                Some(s @ ("ABORTED" | "FAILED")) => {
                    let mut out = Outcome::new(
                        "failed",
                        format!(
                            "restore job `{job}` {s}: {}",
                            o.status_message().unwrap_or_default()
                        ),
                    );
                    out.created = Some(job);
                    return (out, None);
                }
                _ => {}
            },
            Err(e) => return failed("DescribeRestoreJob", failure(&e)),
        }
        if clock.elapsed() >= opts.timeout {
            return (
                Outcome::new(
                    "failed",
                    format!(
                        "restore job `{job}` not finished after {} s",
                        opts.timeout.as_secs()
                    ),
                ),
                None,
            );
        }
        tokio::time::sleep(opts.poll).await;
    }
    let arn = format!("arn:aws:rds:{}:{}:db:{target}", ctx.region, ctx.account);
    let tags = restore_tags(&step.resource);
    if let Err(e) = ctx
        .call(
            ctx.rds()
                .add_tags_to_resource()
                .resource_name(&arn)
                .set_tags(Some(tags))
                .send(),
        )
        .await
    {
        return failed("AddTagsToResource", failure(&e));
    }
    finish_restore(ctx, step, target, started, clock, opts, "StartRestoreJob").await
}
