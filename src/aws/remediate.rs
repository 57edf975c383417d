//! Carrying out a remediation plan: the only code that changes an account, and only with
//! `--apply`.
//!
//! - `backup-now` / `snapshot-now`: `StartBackupJob`, or `CreateDBSnapshot` /
//!   `CreateDBClusterSnapshot`, tagged `drready:created-by=drready`.
//! - `restore-test`: `StartRestoreJob` or `RestoreDBInstanceToPointInTime` into a scratch instance
//!   tagged as one; waited for, timed, and recorded as a DR test of kind `restore`. With
//!   `--cleanup` that scratch instance, and nothing else, is deleted.
//! - the `modify` actions: `ModifyDBInstance` / `ModifyDBCluster`, only with `--allow modify`.
//!
//! Every step is idempotent: a backup is skipped while a job for the resource runs or when a
//! snapshot newer than the component's RPO exists; a restore test while one of the database exists.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::session::{each_page, failure, time, Ctx, Failure};
use crate::model::remediation::{
    identifier, Method, Outcome, Plan, Step, CREATED_BY_TAG, RESTORE_PREFIX, RESTORE_TEST_TAG,
};
use crate::model::snapshot::{DrTest, DrTestKind, Outcome as TestOutcome};

/// A failed call as a step's outcome: the operation, the AWS error code, the message.
fn failed_call(op: &str, f: &Failure) -> Outcome {
    Outcome::failed(op, f.code.as_deref(), &f.message)
}

/// How `apply` runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub allow_modify: bool,
    pub max_actions: usize,
    pub concurrency: usize,
    pub cleanup: bool,
    /// How long a restore test may take.
    pub timeout: Duration,
    pub poll: Duration,
}

/// Carry out the plan's steps, recording each outcome in the step. Returns the DR tests the
/// restore tests measured.
pub async fn apply(plan: &mut Plan, ctx: &Ctx, opts: &ApplyOptions) -> Vec<DrTest> {
    plan.applied = true;
    let mut todo = Vec::new();
    for (i, s) in plan.steps.iter_mut().enumerate() {
        if s.modifies && !opts.allow_modify {
            s.outcome = Some(Outcome::new(
                "not-allowed",
                "changes a configuration: pass `--allow modify` to let drready do it",
            ));
        } else if todo.len() >= opts.max_actions {
            s.outcome = Some(Outcome::new(
                "over-limit",
                format!("past --max-actions {}", opts.max_actions),
            ));
        } else {
            todo.push(i);
        }
    }
    let steps: Vec<(usize, Step)> = todo
        .into_iter()
        .map(|i| (i, plan.steps[i].clone()))
        .collect();
    let results: Vec<(usize, Outcome, Option<DrTest>)> = futures::stream::iter(steps)
        .map(|(i, step)| async move {
            let region_ctx = ctx.in_region(&step.region);
            let started = Utc::now();
            let (mut outcome, test) = run(&region_ctx, &step, opts).await;
            outcome.started.get_or_insert(started);
            outcome.finished.get_or_insert_with(Utc::now);
            (i, outcome, test)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut tests = Vec::new();
    for (i, outcome, test) in results {
        plan.steps[i].outcome = Some(outcome);
        tests.extend(test);
    }
    tests
}

async fn run(ctx: &Ctx, step: &Step, opts: &ApplyOptions) -> (Outcome, Option<DrTest>) {
    if matches!(
        step.method,
        Method::PointInTimeRestore { .. } | Method::BackupRestore { .. }
    ) {
        if let Some(skip) = already_tested(ctx, &step.name).await {
            return (skip, None);
        }
    }
    match &step.method {
        Method::RdsSnapshot {
            cluster,
            identifier,
        } => (rds_snapshot(ctx, step, *cluster, identifier).await, None),
        Method::BackupJob { vault, role_arn } => {
            (backup_job(ctx, step, vault, role_arn).await, None)
        }
        Method::PointInTimeRestore { .. } | Method::BackupRestore { .. }
            if let Some(skip) = already_tested(ctx, &step.name).await =>
        {
            (skip, None)
        }
        Method::PointInTimeRestore { source, target } => {
            restore_pitr(ctx, step, source, target, opts).await
        }
        Method::BackupRestore { role_arn, target } => {
            restore_backup(ctx, step, role_arn, target, opts).await
        }
        Method::Modify {
            cluster,
            identifier,
            setting,
            value,
        } => (
            modify(ctx, step, *cluster, identifier, setting, value).await,
            None,
        ),
    }
}

/// The tag on every snapshot drready takes.
fn created_by() -> Vec<aws_sdk_rds::types::Tag> {
    vec![aws_sdk_rds::types::Tag::builder()
        .key(CREATED_BY_TAG.0)
        .value(CREATED_BY_TAG.1)
        .build()]
}

/// `CreateDBSnapshot` / `CreateDBClusterSnapshot`, skipped while a snapshot is being made, or when
/// one is newer than the RPO.
async fn rds_snapshot(ctx: &Ctx, step: &Step, cluster: bool, id: &str) -> Outcome {
    let failed = |op: &str, f: Failure| failed_call(op, &f);
    let tags = created_by;
    let rds = ctx.rds();
    // Skip while a snapshot is being made, or when one is newer than the RPO.
    let fresh = step
        .fresh_within_seconds
        .map(|s| crate::util::duration::before(ctx.now, s));
    let existing = existing_snapshots(ctx, &rds, cluster, id).await;
    let existing = match existing {
        Ok(e) => e,
        Err(f) => return failed("DescribeDBSnapshots", f),
    };
    if existing
        .iter()
        .any(|s| s.status.as_deref() == Some("creating"))
    {
        return Outcome::new("skipped", "a snapshot of it is being created");
    }
    if let (Some(fresh), Some(newest)) = (fresh, existing.iter().filter_map(|s| s.created).max()) {
        if newest >= fresh {
            return Outcome::new(
                "skipped",
                format!(
                    "a snapshot newer than the RPO exists ({})",
                    newest.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            );
        }
    }
    let snap = step
        .call
        .params
        .get(if cluster {
            "DBClusterSnapshotIdentifier"
        } else {
            "DBSnapshotIdentifier"
        })
        .cloned()
        .unwrap_or_default();
    let made = if cluster {
        ctx.call(
            rds.create_db_cluster_snapshot()
                .db_cluster_identifier(id)
                .db_cluster_snapshot_identifier(&snap)
                .set_tags(Some(tags()))
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| failed("CreateDBClusterSnapshot", failure(&e)))
    } else {
        ctx.call(
            rds.create_db_snapshot()
                .db_instance_identifier(id)
                .db_snapshot_identifier(&snap)
                .set_tags(Some(tags()))
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| failed("CreateDBSnapshot", failure(&e)))
    };
    match made {
        Ok(()) => {
            let mut o = Outcome::new("done", format!("snapshot `{snap}` started"));
            o.created = Some(snap);
            o
        }
        Err(o) => o,
    }
}

/// `StartBackupJob`, skipped while a backup job of the resource runs.
async fn backup_job(ctx: &Ctx, step: &Step, vault: &str, role_arn: &str) -> Outcome {
    let failed = |op: &str, f: Failure| failed_call(op, &f);
    let backup = ctx.backup();
    let running = ctx
        .call(
            backup
                .list_backup_jobs()
                .by_resource_arn(&step.resource)
                .send(),
        )
        .await
        .map_err(|e| failure(&e));
    match running {
        Err(f) => return failed("ListBackupJobs", f),
        Ok(o) => {
            if let Some(j) = o.backup_jobs().iter().find(|j| {
                matches!(
                    j.state().map(|s| s.as_str()),
                    Some("CREATED" | "PENDING" | "RUNNING")
                )
            }) {
                return Outcome::new(
                    "skipped",
                    format!(
                        "backup job `{}` is running",
                        j.backup_job_id().unwrap_or_default()
                    ),
                );
            }
        }
    }
    match ctx
        .call(
            backup
                .start_backup_job()
                .backup_vault_name(vault)
                .resource_arn(&step.resource)
                .iam_role_arn(role_arn)
                .recovery_point_tags(CREATED_BY_TAG.0, CREATED_BY_TAG.1)
                .send(),
        )
        .await
    {
        Ok(o) => {
            let id = o.backup_job_id().unwrap_or_default().to_string();
            let mut out = Outcome::new("done", format!("backup job `{id}` started"));
            out.created = Some(id);
            out
        }
        Err(e) => failed("StartBackupJob", failure(&e)),
    }
}

/// `ModifyDBInstance` / `ModifyDBCluster` of one setting.
async fn modify(
    ctx: &Ctx,
    step: &Step,
    cluster: bool,
    id: &str,
    setting: &str,
    value: &str,
) -> Outcome {
    let failed = |op: &str, f: Failure| failed_call(op, &f);
    let rds = ctx.rds();
    let protect = (setting == "DeletionProtection").then_some(true);
    let retention = (setting == "BackupRetentionPeriod")
        .then(|| value.parse::<i32>().ok())
        .flatten();
    let result = if cluster {
        ctx.call(
            rds.modify_db_cluster()
                .db_cluster_identifier(id)
                .set_deletion_protection(protect)
                .set_backup_retention_period(retention)
                .apply_immediately(true)
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| failure(&e))
    } else {
        ctx.call(
            rds.modify_db_instance()
                .db_instance_identifier(id)
                .set_deletion_protection(protect)
                .set_backup_retention_period(retention)
                .apply_immediately(true)
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| failure(&e))
    };
    match result {
        Ok(()) => Outcome::new("done", format!("{setting} set to {value}")),
        Err(f) => failed(&step.call.api, f),
    }
}

/// A snapshot's status and creation time.
struct SnapshotState {
    status: Option<String>,
    created: Option<DateTime<Utc>>,
}

/// The snapshots of a database (cluster snapshots for a cluster).
async fn existing_snapshots(
    ctx: &Ctx,
    rds: &aws_sdk_rds::Client,
    cluster: bool,
    id: &str,
) -> Result<Vec<SnapshotState>, Failure> {
    if cluster {
        ctx.call(
            rds.describe_db_cluster_snapshots()
                .db_cluster_identifier(id)
                .send(),
        )
        .await
        .map(|o| {
            o.db_cluster_snapshots()
                .iter()
                .map(|s| SnapshotState {
                    status: s.status().map(str::to_string),
                    created: s.snapshot_create_time().and_then(time),
                })
                .collect()
        })
        .map_err(|e| failure(&e))
    } else {
        ctx.call(
            rds.describe_db_snapshots()
                .db_instance_identifier(id)
                .send(),
        )
        .await
        .map(|o| {
            o.db_snapshots()
                .iter()
                .map(|s| SnapshotState {
                    status: s.status().map(str::to_string),
                    created: s.snapshot_create_time().and_then(time),
                })
                .collect()
        })
        .map_err(|e| failure(&e))
    }
}

/// An outcome when a restore test of `source` may not start: one exists, or that is unknown.
async fn already_tested(ctx: &Ctx, source: &str) -> Option<Outcome> {
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

async fn restore_pitr(
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

async fn restore_backup(
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

/// The extra permissions the actions need, beyond the read-only collection policy.
pub fn iam_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DrreadyRemediate",
                "Effect": "Allow",
                "Action": [
                    "backup:DescribeRestoreJob",
                    "backup:GetRecoveryPointRestoreMetadata",
                    "backup:ListRecoveryPointsByResource",
                    "backup:StartBackupJob",
                    "backup:StartRestoreJob",
                    "rds:AddTagsToResource",
                    "rds:CreateDBClusterSnapshot",
                    "rds:CreateDBSnapshot",
                    "rds:RestoreDBInstanceToPointInTime"
                ],
                "Resource": "*"
            },
            {
                "Sid": "DrreadyPassBackupRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
            },
            {
                "Sid": "DrreadyModifyWithAllowModify",
                "Effect": "Allow",
                "Action": ["rds:ModifyDBCluster", "rds:ModifyDBInstance"],
                "Resource": "*"
            },
            {
                "Sid": "DrreadyDeleteOnlyItsScratchInstances",
                "Effect": "Allow",
                "Action": "rds:DeleteDBInstance",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/drready:created-by": "drready"}}
            }
        ]
    })
}

/// SDK operations remediation calls, with their IAM actions (for the permission test).
pub const OPERATIONS: &[(&str, &str)] = &[
    ("RDS:DescribeDBInstances", "rds:DescribeDBInstances"),
    ("RDS:DescribeDBSnapshots", "rds:DescribeDBSnapshots"),
    (
        "RDS:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusterSnapshots",
    ),
    ("RDS:CreateDBSnapshot", "rds:CreateDBSnapshot"),
    ("RDS:CreateDBClusterSnapshot", "rds:CreateDBClusterSnapshot"),
    (
        "RDS:RestoreDBInstanceToPointInTime",
        "rds:RestoreDBInstanceToPointInTime",
    ),
    ("RDS:DeleteDBInstance", "rds:DeleteDBInstance"),
    ("RDS:ModifyDBInstance", "rds:ModifyDBInstance"),
    ("RDS:ModifyDBCluster", "rds:ModifyDBCluster"),
    ("RDS:AddTagsToResource", "rds:AddTagsToResource"),
    ("Backup:ListBackupJobs", "backup:ListBackupJobs"),
    ("Backup:StartBackupJob", "backup:StartBackupJob"),
    (
        "Backup:ListRecoveryPointsByResource",
        "backup:ListRecoveryPointsByResource",
    ),
    (
        "Backup:GetRecoveryPointRestoreMetadata",
        "backup:GetRecoveryPointRestoreMetadata",
    ),
    ("Backup:StartRestoreJob", "backup:StartRestoreJob"),
    ("Backup:DescribeRestoreJob", "backup:DescribeRestoreJob"),
];
