//! AWS Backup: plans and their rules (schedule, lifecycle, copy actions) and selections, vaults
//! (encryption key type, Vault Lock, access policy, air gap), recovery points (newest per
//! resource), backup jobs over the window and restore jobs, per region.
//!
//! Selections decide `backup_plans` of each database: a resource is selected when a `Resources`
//! pattern or a `ListOfTags` condition matches it, every `Conditions` entry holds and no
//! `NotResources` pattern matches, as AWS Backup itself decides.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures::StreamExt;

mod assemble;
mod selections;

use super::session::{aws_time, each_page, failure, time, Ctx, Failure};
use crate::model::config::Params;
use crate::model::snapshot::{BackupPlan, BackupRule, BackupVault, Gap, Provenance, RestoreJob};
pub use selections::Selection;
use selections::{selections, SelectionsResult};

const RECOVERY_POINT_ATTRS: &[&str] = &[
    "recovery_point_count",
    "latest_recovery_point",
    "unencrypted_recovery_points",
    "min_recovery_point_retention_days",
    "latest_air_gapped_recovery_point",
];
/// Restore jobs are looked for this far back.
const RESTORE_LOOKBACK_DAYS: i64 = 400;
const CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
struct Point {
    arn: String,
    resource: String,
    resource_type: Option<String>,
    region: String,
    completed: Option<DateTime<Utc>>,
    encrypted: bool,
    retention_days: Option<u32>,
    air_gapped: bool,
}

#[derive(Debug, Clone)]
struct Protected {
    arn: String,
    region: String,
    resource_type: Option<String>,
    name: Option<String>,
}

/// What the AWS Backup calls of one account gave, before the joins.
#[derive(Debug, Default)]
pub struct Raw {
    account: String,
    plans: Vec<BackupPlan>,
    vaults: Vec<BackupVault>,
    selections: Vec<Selection>,
    /// Regions where plan membership is unknown (plans or selections could not be read).
    membership_unknown: BTreeSet<String>,
    points: Vec<Point>,
    points_failed: BTreeSet<String>,
    protected: Vec<Protected>,
    jobs: HashMap<String, (u32, u32)>,
    jobs_failed: BTreeSet<String>,
    restores: HashMap<String, Vec<RestoreJob>>,
    window_days: u32,
    gaps: Vec<Gap>,
    now: Option<DateTime<Utc>>,
}

pub async fn collect(ctx: &Ctx, params: &Params) -> Raw {
    collect_with(ctx, &ctx.backup(), params).await
}

/// `collect` with a given client (tests pass one whose answers are mocked).
pub async fn collect_with(ctx: &Ctx, client: &aws_sdk_backup::Client, params: &Params) -> Raw {
    let window_days = (params.backup_job_window.0 / 86_400) as u32;
    let mut raw = Raw {
        account: ctx.account.clone(),
        window_days,
        now: Some(ctx.now),
        ..Raw::default()
    };
    plans(ctx, client, &mut raw).await;
    vaults(ctx, client, &mut raw).await;
    protected_resources(ctx, client, &mut raw).await;
    backup_jobs(ctx, client, window_days, &mut raw).await;
    restore_jobs(ctx, client, &mut raw).await;
    raw
}

fn provenance(ctx: &Ctx, op: &str) -> Option<Provenance> {
    Some(Provenance {
        source: format!("backup:{op}"),
        line: None,
        at: Some(ctx.now),
    })
}

/// A backup plan read with its rules and selections.
struct PlanRead {
    plan: BackupPlan,
    /// GetBackupPlan failed: the plan stays in, without rules (no evidence).
    failed: Option<Failure>,
    selections: SelectionsResult,
}

/// Plans, their rules and selections.
async fn plans(ctx: &Ctx, client: &aws_sdk_backup::Client, raw: &mut Raw) {
    let mut plan_ids = Vec::new();
    let listed = each_page(
        ctx,
        client.list_backup_plans().into_paginator().send(),
        |page| {
            for p in page.backup_plans_list() {
                if let Some(id) = p.backup_plan_id() {
                    plan_ids.push((
                        id.to_string(),
                        p.backup_plan_name().unwrap_or(id).to_string(),
                        p.backup_plan_arn().map(str::to_string),
                    ));
                }
            }
        },
    )
    .await;
    if let Err(f) = listed {
        raw.gaps.push(ctx.gap(
            "backup",
            "ListBackupPlans",
            &f,
            None,
            Some("backup_plan"),
            &[],
        ));
        raw.membership_unknown.insert(ctx.region.clone());
    }
    ctx.progress.add(plan_ids.len() as u64);
    let read: Vec<PlanRead> = futures::stream::iter(plan_ids)
        .map(|(id, name, arn)| plan(ctx, client, id, name, arn))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for r in read {
        if let Some(f) = r.failed {
            raw.gaps.push(ctx.gap(
                "backup",
                "GetBackupPlan",
                &f,
                Some(&r.plan.id),
                Some("backup_plan"),
                &[],
            ));
        }
        raw.plans.push(r.plan);
        match r.selections {
            Ok(s) => raw.selections.extend(s),
            Err((op, f)) => {
                raw.membership_unknown.insert(ctx.region.clone());
                for ty in ["rds_instance", "rds_cluster"] {
                    raw.gaps.push(ctx.gap(
                        "backup",
                        &op,
                        &f,
                        None,
                        Some(ty),
                        &["backup_plan_protected"],
                    ));
                }
            }
        }
    }
}

async fn plan(
    ctx: &Ctx,
    client: &aws_sdk_backup::Client,
    id: String,
    name: String,
    arn: Option<String>,
) -> PlanRead {
    let arn = arn.unwrap_or_else(|| {
        format!(
            "arn:aws:backup:{}:{}:backup-plan:{id}",
            ctx.region, ctx.account
        )
    });
    let mut plan = BackupPlan {
        id: arn,
        name: Some(name.clone()),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        provenance: provenance(ctx, "GetBackupPlan"),
        ..BackupPlan::default()
    };
    let failed = match ctx
        .call(client.get_backup_plan().backup_plan_id(&id).send())
        .await
    {
        Ok(out) => {
            plan.rules = out
                .backup_plan()
                .map(|p| p.rules().iter().map(rule).collect());
            None
        }
        Err(e) => Some(failure(&e)),
    };
    let selections = selections(ctx, client, &id, &name).await;
    ctx.progress.done(&format!(
        "{} {} backup plan: {name}",
        ctx.account, ctx.region
    ));
    PlanRead {
        plan,
        failed,
        selections,
    }
}

/// A vault read with its access policy and recovery points.
struct VaultRead {
    vault: BackupVault,
    points: Vec<Point>,
    gaps: Vec<Gap>,
    /// Its recovery points could be listed.
    points_ok: bool,
}

/// Vaults, their access policies and recovery points.
async fn vaults(ctx: &Ctx, client: &aws_sdk_backup::Client, raw: &mut Raw) {
    let mut vaults = Vec::new();
    let listed = each_page(
        ctx,
        client.list_backup_vaults().into_paginator().send(),
        |page| {
            vaults.extend(page.backup_vault_list().iter().cloned());
        },
    )
    .await;
    if let Err(f) = listed {
        raw.gaps.push(ctx.gap(
            "backup",
            "ListBackupVaults",
            &f,
            None,
            Some("backup_vault"),
            &[],
        ));
        raw.points_failed.insert(ctx.region.clone());
        raw.gaps.push(ctx.gap(
            "backup",
            "ListBackupVaults",
            &f,
            None,
            Some("backup_protected_resource"),
            RECOVERY_POINT_ATTRS,
        ));
    }
    ctx.progress.add(vaults.len() as u64);
    let read: Vec<VaultRead> = futures::stream::iter(vaults)
        .map(|v| vault(ctx, client, v))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for r in read {
        raw.vaults.push(r.vault);
        raw.points.extend(r.points);
        raw.gaps.extend(r.gaps);
        if !r.points_ok {
            raw.points_failed.insert(ctx.region.clone());
        }
    }
}

async fn vault(
    ctx: &Ctx,
    client: &aws_sdk_backup::Client,
    v: aws_sdk_backup::types::BackupVaultListMember,
) -> VaultRead {
    let name = v.backup_vault_name().unwrap_or_default().to_string();
    let arn = v.backup_vault_arn().map(str::to_string).unwrap_or_else(|| {
        format!(
            "arn:aws:backup:{}:{}:backup-vault:{name}",
            ctx.region, ctx.account
        )
    });
    let mut gaps = Vec::new();
    let air_gapped = v
        .vault_type()
        .is_some_and(|t| t.as_str() == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT");
    let customer_managed_key = v
        .encryption_key_type()
        .map(|t| t.as_str() == "CUSTOMER_MANAGED_KMS_KEY");
    if customer_managed_key.is_none() {
        gaps.push(ctx.gap(
            "backup",
            "ListBackupVaults",
            &Failure::new(None, "the answer gives no EncryptionKeyType for the vault"),
            Some(&arn),
            Some("backup_vault"),
            &["customer_managed_key"],
        ));
    }
    let deletion_denied = deletion_denied(ctx, client, &name, &arn, &mut gaps).await;
    let (points, listed) = recovery_points(ctx, client, &name, air_gapped).await;
    let points_ok = listed.is_ok();
    if let Err(f) = listed {
        gaps.push(ctx.gap(
            "backup",
            "ListRecoveryPointsByBackupVault",
            &f,
            None,
            Some("backup_protected_resource"),
            RECOVERY_POINT_ATTRS,
        ));
    }
    let vault = BackupVault {
        id: arn,
        name: Some(name),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        kms_key_arn: v.encryption_key_arn().map(str::to_string),
        customer_managed_key,
        locked: Some(v.locked().unwrap_or(false)),
        lock_min_retention_days: v.min_retention_days().map(|d| d.max(0) as u32),
        deletion_denied,
        air_gapped,
        provenance: provenance(ctx, "ListBackupVaults"),
        ..BackupVault::default()
    };
    ctx.progress.done(&format!(
        "{} {} backup vault: {}",
        ctx.account,
        ctx.region,
        vault.name.as_deref().unwrap_or_default()
    ));
    VaultRead {
        vault,
        points,
        gaps,
        points_ok,
    }
}

/// Whether the vault's access policy denies deleting recovery points (no policy: it does not);
/// `None`, with a gap, when the policy could not be read.
async fn deletion_denied(
    ctx: &Ctx,
    client: &aws_sdk_backup::Client,
    name: &str,
    arn: &str,
    gaps: &mut Vec<Gap>,
) -> Option<bool> {
    let read = ctx.unless_unimplemented("GetBackupVaultAccessPolicy", async {
        ctx.call(
            client
                .get_backup_vault_access_policy()
                .backup_vault_name(name)
                .send(),
        )
        .await
        .map_err(|e| failure(&e))
    });
    match read.await {
        Ok(out) => Some(
            out.policy()
                .is_some_and(crate::model::rules::denies_recovery_point_deletion),
        ),
        Err(f) => {
            if f.is(&["ResourceNotFoundException"]) {
                Some(false)
            } else {
                gaps.push(ctx.gap(
                    "backup",
                    "GetBackupVaultAccessPolicy",
                    &f,
                    Some(arn),
                    Some("backup_vault"),
                    &["deletion_denied"],
                ));
                None
            }
        }
    }
}

/// The recovery points of one vault, and whether the listing completed (the points read before a
/// failure are kept; the region's points are then marked unknown).
async fn recovery_points(
    ctx: &Ctx,
    client: &aws_sdk_backup::Client,
    vault: &str,
    air_gapped: bool,
) -> (Vec<Point>, Result<(), Failure>) {
    let mut points = Vec::new();
    let listing = each_page(
        ctx,
        client
            .list_recovery_points_by_backup_vault()
            .backup_vault_name(vault)
            .into_paginator()
            .send(),
        |page| {
            for p in page.recovery_points() {
                let Some(resource) = p.resource_arn() else {
                    continue;
                };
                let created = p.creation_date().and_then(time);
                let completed = (p.status().map(|s| s.as_str()) == Some("COMPLETED"))
                    .then(|| p.completion_date().and_then(time).or(created))
                    .flatten();
                let retention_days = p
                    .calculated_lifecycle()
                    .and_then(|l| l.delete_at())
                    .and_then(time)
                    .zip(created)
                    .map(|(del, c)| ((del - c).num_seconds().max(0) / 86_400) as u32)
                    .or_else(|| {
                        p.lifecycle()
                            .and_then(|l| l.delete_after_days())
                            .map(|d| d.max(0) as u32)
                    });
                points.push(Point {
                    arn: p.recovery_point_arn().unwrap_or_default().to_string(),
                    resource: resource.to_string(),
                    resource_type: p.resource_type().map(str::to_string),
                    region: ctx.region.clone(),
                    completed,
                    encrypted: p.is_encrypted(),
                    retention_days,
                    air_gapped,
                });
            }
        },
    );
    let listed = ctx
        .unless_unimplemented("ListRecoveryPointsByBackupVault", listing)
        .await;
    (points, listed)
}

/// The resources AWS Backup protects.
async fn protected_resources(ctx: &Ctx, client: &aws_sdk_backup::Client, raw: &mut Raw) {
    let listed = each_page(
        ctx,
        client.list_protected_resources().into_paginator().send(),
        |page| {
            for r in page.results() {
                if let Some(arn) = r.resource_arn() {
                    raw.protected.push(Protected {
                        arn: arn.to_string(),
                        region: ctx.region.clone(),
                        resource_type: r.resource_type().map(str::to_string),
                        name: r.resource_name().map(str::to_string),
                    });
                }
            }
        },
    )
    .await;
    if let Err(f) = listed {
        raw.gaps.push(ctx.gap(
            "backup",
            "ListProtectedResources",
            &f,
            None,
            Some("backup_protected_resource"),
            &[],
        ));
    }
}

/// Backup jobs over the window, counted per resource.
async fn backup_jobs(ctx: &Ctx, client: &aws_sdk_backup::Client, window_days: u32, raw: &mut Raw) {
    let since = crate::util::duration::before(ctx.now, u64::from(window_days) * 86_400);
    let listed = each_page(
        ctx,
        client
            .list_backup_jobs()
            .by_created_after(aws_time(since))
            .into_paginator()
            .send(),
        |page| {
            for j in page.backup_jobs() {
                let Some(arn) = j.resource_arn() else {
                    continue;
                };
                let e = raw.jobs.entry(arn.to_string()).or_default();
                e.0 += 1;
                if j.state().map(|s| s.as_str()) == Some("COMPLETED") {
                    e.1 += 1;
                }
            }
        },
    )
    .await;
    if let Err(f) = listed {
        raw.jobs_failed.insert(ctx.region.clone());
        raw.gaps.push(ctx.gap(
            "backup",
            "ListBackupJobs",
            &f,
            None,
            Some("backup_protected_resource"),
            &["jobs_total", "jobs_completed"],
        ));
    }
}

/// Restore jobs over the look-back, per source resource.
async fn restore_jobs(ctx: &Ctx, client: &aws_sdk_backup::Client, raw: &mut Raw) {
    let since = crate::util::duration::before(ctx.now, RESTORE_LOOKBACK_DAYS as u64 * 86_400);
    let mut by_point: Vec<(String, RestoreJob)> = Vec::new();
    let listed = each_page(
        ctx,
        client
            .list_restore_jobs()
            .by_created_after(aws_time(since))
            .into_paginator()
            .send(),
        |page| {
            for j in page.restore_jobs() {
                let Some(started) = j.creation_date().and_then(time) else {
                    continue;
                };
                let job = RestoreJob {
                    id: j.restore_job_id().unwrap_or_default().to_string(),
                    started,
                    finished: j.completion_date().and_then(time),
                    status: j
                        .status()
                        .map_or("UNKNOWN".to_string(), |s| s.as_str().to_string()),
                };
                match j.source_resource_arn() {
                    Some(src) => raw.restores.entry(src.to_string()).or_default().push(job),
                    None => {
                        by_point.push((j.recovery_point_arn().unwrap_or_default().to_string(), job))
                    }
                }
            }
        },
    )
    .await;
    if let Err(f) = listed {
        // The newest restore of every component is unknown: a restore here may be newer.
        let mut g = ctx.gap(
            "backup",
            "ListRestoreJobs",
            &f,
            None,
            Some("component"),
            &["last_restore_duration", "last_restore_at"],
        );
        // Components span accounts and regions: the gap covers every one of them.
        g.region = None;
        g.account = None;
        g.message = format!("in {} {}: {}", ctx.account, ctx.region, g.message);
        raw.gaps.push(g);
    }
    // Older answers name only the recovery point; its resource is in the point listing.
    let owner: HashMap<&str, &str> = raw
        .points
        .iter()
        .map(|p| (p.arn.as_str(), p.resource.as_str()))
        .collect();
    let mut found = Vec::new();
    for (point, job) in by_point {
        if let Some(resource) = owner.get(point.as_str()) {
            found.push((resource.to_string(), job));
        }
    }
    for (resource, job) in found {
        raw.restores.entry(resource).or_default().push(job);
    }
}

fn rule(r: &aws_sdk_backup::types::BackupRule) -> BackupRule {
    let schedule = r.schedule_expression().map(str::to_string);
    // Continuous backup keeps point-in-time recovery: its recovery point is minutes old.
    let interval_seconds = crate::model::rules::backup_rule_interval(
        r.enable_continuous_backup() == Some(true),
        schedule.as_deref(),
    );
    BackupRule {
        name: r.rule_name().to_string(),
        schedule,
        interval_seconds,
        delete_after_days: r
            .lifecycle()
            .and_then(|l| l.delete_after_days())
            .map(|d| d.max(0) as u32),
        target_vault: Some(r.target_backup_vault_name().to_string()),
        copy_destinations: r
            .copy_actions()
            .iter()
            .map(|c| c.destination_backup_vault_arn().to_string())
            .collect(),
    }
}
