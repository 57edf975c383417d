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

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::session::{failure, time, Ctx, Failure};
use crate::model::remediation::{Method, Outcome, Plan, Step, CREATED_BY_TAG};
use crate::model::snapshot::DrTest;

mod restore;

use restore::{already_tested, restore_backup, restore_pitr};

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
