//! AWS Backup: plans and their rules (schedule, lifecycle, copy actions) and selections, vaults
//! (encryption key type, Vault Lock, access policy, air gap), recovery points (newest per
//! resource), backup jobs over the window and restore jobs, per region.
//!
//! Selections decide `backup_plans` of each database: a resource is selected when a `Resources`
//! pattern or a `ListOfTags` condition matches it, every `Conditions` entry holds and no
//! `NotResources` pattern matches, as AWS Backup itself decides.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::session::{aws_time, each_page, failure, glob, time, Ctx, Failure};
use crate::model::config::Params;
use crate::model::snapshot::{
    BackupPlan, BackupProtectedResource, BackupRule, BackupVault, Gap, JobSummary, Provenance,
    RecoveryPointSummary, Resource, RestoreJob,
};

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

#[derive(Debug, Clone, Default)]
pub struct Selection {
    plan: String,
    role: String,
    region: String,
    resources: Vec<String>,
    not_resources: Vec<String>,
    /// `ListOfTags`: any one matching tag selects.
    any_tags: Vec<(String, String)>,
    /// `Conditions`: (operator, tag key, value); all must hold.
    conditions: Vec<(&'static str, String, String)>,
}

impl Selection {
    pub fn selects(&self, arn: &str, tags: &BTreeMap<String, String>) -> bool {
        let tag = |k: &str| tags.get(k.strip_prefix("aws:ResourceTag/").unwrap_or(k));
        let picked = self.resources.iter().any(|p| glob(p, arn))
            || self
                .any_tags
                .iter()
                .any(|(k, v)| tag(k).is_some_and(|t| glob(v, t)));
        let holds = self.conditions.iter().all(|(op, k, v)| {
            let t = tag(k);
            match *op {
                "StringEquals" => t == Some(v),
                "StringNotEquals" => t != Some(v),
                "StringLike" => t.is_some_and(|t| glob(v, t)),
                _ => !t.is_some_and(|t| glob(v, t)),
            }
        });
        picked && holds && !self.not_resources.iter().any(|p| glob(p, arn))
    }
}

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
    let prov = |op: &str| {
        Some(Provenance {
            source: format!("backup:{op}"),
            line: None,
            at: Some(ctx.now),
        })
    };

    // Plans, their rules and selections.
    let mut plan_ids = Vec::new();
    let mut plans_ok = true;
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
        plans_ok = false;
    }
    if !plans_ok {
        raw.membership_unknown.insert(ctx.region.clone());
    }
    ctx.progress.add(plan_ids.len() as u64);
    let plan_results: Vec<(BackupPlan, Option<Failure>, SelectionsResult)> =
        futures::stream::iter(plan_ids)
            .map(|(id, name, arn)| {
                async move {
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
                        provenance: prov("GetBackupPlan"),
                        ..BackupPlan::default()
                    };
                    // A plan whose rules could not be read stays in, without rules (no evidence).
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
                    (plan, failed, selections)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    for (plan, failed, sel) in plan_results {
        if let Some(f) = failed {
            raw.gaps.push(ctx.gap(
                "backup",
                "GetBackupPlan",
                &f,
                Some(&plan.id),
                Some("backup_plan"),
                &[],
            ));
        }
        raw.plans.push(plan);
        match sel {
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

    // Vaults, their access policies and recovery points.
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
    let vault_results: Vec<(BackupVault, Vec<Point>, Vec<Gap>, bool)> =
        futures::stream::iter(vaults)
            .map(|v| async move {
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
                let deletion_denied = match ctx
                    .call(
                        client
                            .get_backup_vault_access_policy()
                            .backup_vault_name(&name)
                            .send(),
                    )
                    .await
                {
                    Ok(out) => Some(
                        out.policy()
                            .is_some_and(crate::model::rules::denies_recovery_point_deletion),
                    ),
                    Err(e) => {
                        let f = failure(&e);
                        if f.is(&["ResourceNotFoundException"]) {
                            Some(false)
                        } else {
                            gaps.push(ctx.gap(
                                "backup",
                                "GetBackupVaultAccessPolicy",
                                &f,
                                Some(&arn),
                                Some("backup_vault"),
                                &["deletion_denied"],
                            ));
                            None
                        }
                    }
                };
                let mut points = Vec::new();
                let mut points_ok = true;
                let listed = each_page(
                    ctx,
                    client
                        .list_recovery_points_by_backup_vault()
                        .backup_vault_name(&name)
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
                )
                .await;
                if let Err(f) = listed {
                    gaps.push(ctx.gap(
                        "backup",
                        "ListRecoveryPointsByBackupVault",
                        &f,
                        None,
                        Some("backup_protected_resource"),
                        RECOVERY_POINT_ATTRS,
                    ));
                    points_ok = false;
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
                    provenance: prov("ListBackupVaults"),
                    ..BackupVault::default()
                };
                ctx.progress.done(&format!(
                    "{} {} backup vault: {}",
                    ctx.account,
                    ctx.region,
                    vault.name.as_deref().unwrap_or_default()
                ));
                (vault, points, gaps, points_ok)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    for (vault, points, gaps, ok) in vault_results {
        raw.vaults.push(vault);
        raw.points.extend(points);
        raw.gaps.extend(gaps);
        if !ok {
            raw.points_failed.insert(ctx.region.clone());
        }
    }

    // Protected resources, backup jobs over the window, restore jobs.
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
    raw
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

type SelectionsResult = Result<Vec<Selection>, (String, Failure)>;

async fn selections(
    ctx: &Ctx,
    client: &aws_sdk_backup::Client,
    plan_id: &str,
    plan_name: &str,
) -> SelectionsResult {
    let mut ids = Vec::new();
    let listed = each_page(
        ctx,
        client
            .list_backup_selections()
            .backup_plan_id(plan_id)
            .into_paginator()
            .send(),
        |page| {
            ids.extend(
                page.backup_selections_list()
                    .iter()
                    .filter_map(|s| s.selection_id().map(str::to_string)),
            );
        },
    )
    .await;
    if let Err(f) = listed {
        return Err(("ListBackupSelections".into(), f));
    }
    let mut out = Vec::new();
    for id in ids {
        let got = ctx
            .call(
                client
                    .get_backup_selection()
                    .backup_plan_id(plan_id)
                    .selection_id(&id)
                    .send(),
            )
            .await
            .map_err(|e| ("GetBackupSelection".to_string(), failure(&e)))?;
        let Some(s) = got.backup_selection() else {
            continue;
        };
        let mut conditions = Vec::new();
        if let Some(c) = s.conditions() {
            for (op, list) in [
                ("StringEquals", c.string_equals()),
                ("StringNotEquals", c.string_not_equals()),
                ("StringLike", c.string_like()),
                ("StringNotLike", c.string_not_like()),
            ] {
                for p in list {
                    if let (Some(k), Some(v)) = (p.condition_key(), p.condition_value()) {
                        conditions.push((op, k.to_string(), v.to_string()));
                    }
                }
            }
        }
        out.push(Selection {
            plan: plan_name.to_string(),
            role: s.iam_role_arn().to_string(),
            region: ctx.region.clone(),
            resources: s.resources().to_vec(),
            not_resources: s.not_resources().to_vec(),
            any_tags: s
                .list_of_tags()
                .iter()
                .map(|c| {
                    (
                        c.condition_key().to_string(),
                        c.condition_value().to_string(),
                    )
                })
                .collect(),
            conditions,
        });
    }
    Ok(out)
}

impl Raw {
    pub fn merge(parts: Vec<Raw>) -> Raw {
        let mut out = Raw::default();
        for p in parts {
            if out.account.is_empty() {
                out.account = p.account;
                out.window_days = p.window_days;
                out.now = p.now;
            }
            out.plans.extend(p.plans);
            out.vaults.extend(p.vaults);
            out.selections.extend(p.selections);
            out.membership_unknown.extend(p.membership_unknown);
            out.points.extend(p.points);
            out.points_failed.extend(p.points_failed);
            out.protected.extend(p.protected);
            for (k, (t, c)) in p.jobs {
                let e = out.jobs.entry(k).or_default();
                e.0 += t;
                e.1 += c;
            }
            out.jobs_failed.extend(p.jobs_failed);
            for (k, v) in p.restores {
                out.restores.entry(k).or_default().extend(v);
            }
            out.gaps.extend(p.gaps);
        }
        out
    }

    /// The names of the plans whose selections include a resource of `region`; `None` when the
    /// region's plans or selections could not be read.
    pub fn plans_selecting(
        &self,
        arn: &str,
        region: &str,
        tags: &BTreeMap<String, String>,
    ) -> Option<Vec<String>> {
        if self.membership_unknown.contains(region) {
            return None;
        }
        let mut plans: Vec<String> = self
            .selections
            .iter()
            .filter(|s| s.region == region && s.selects(arn, tags))
            .map(|s| s.plan.clone())
            .collect();
        plans.sort();
        plans.dedup();
        Some(plans)
    }

    /// The vault and role an on-demand backup of a selected resource would use: the first
    /// selecting plan's first rule's vault, and that selection's role.
    pub fn backup_target(
        &self,
        arn: &str,
        region: &str,
        tags: &BTreeMap<String, String>,
    ) -> Option<crate::model::snapshot::BackupTarget> {
        let s = self
            .selections
            .iter()
            .find(|s| s.region == region && s.selects(arn, tags))?;
        let vault = self
            .plans
            .iter()
            .filter(|p| p.region == region && p.name.as_deref() == Some(s.plan.as_str()))
            .flat_map(|p| p.rules.iter().flatten())
            .find_map(|r| r.target_vault.clone())?;
        Some(crate::model::snapshot::BackupTarget {
            plan: s.plan.clone(),
            vault,
            role_arn: s.role.clone(),
        })
    }

    /// Plans, vaults and protected resources as records; `known` are the records collected so
    /// far, whose names and tags the protected resources take.
    pub fn assemble(self, known: &[Resource]) -> (Vec<Resource>, Vec<Gap>) {
        let mut out: Vec<Resource> = Vec::new();
        out.extend(self.plans.into_iter().map(Resource::BackupPlan));
        out.extend(self.vaults.into_iter().map(Resource::BackupVault));
        let by_id: HashMap<&str, &Resource> = known.iter().map(|r| (r.record().id(), r)).collect();
        let mut resources: BTreeMap<String, Protected> = BTreeMap::new();
        for p in self.protected {
            resources.insert(p.arn.clone(), p);
        }
        for p in &self.points {
            resources
                .entry(p.resource.clone())
                .or_insert_with(|| Protected {
                    arn: p.resource.clone(),
                    region: p.region.clone(),
                    resource_type: p.resource_type.clone(),
                    name: None,
                });
        }
        let mut points: HashMap<&str, Vec<&Point>> = HashMap::new();
        for p in &self.points {
            points.entry(p.resource.as_str()).or_default().push(p);
        }
        for (arn, p) in resources {
            let region = crate::util::arn::arn_region(&arn)
                .unwrap_or(&p.region)
                .to_string();
            let recovery_points = (!self.points_failed.contains(&p.region)).then(|| {
                let mine = points.get(arn.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                RecoveryPointSummary {
                    count: mine.len() as u32,
                    newest_completed: mine.iter().filter_map(|x| x.completed).max(),
                    unencrypted: mine.iter().filter(|x| !x.encrypted).count() as u32,
                    min_retention_days: mine.iter().filter_map(|x| x.retention_days).min(),
                    newest_air_gapped: mine
                        .iter()
                        .filter(|x| x.air_gapped)
                        .filter_map(|x| x.completed)
                        .max(),
                }
            });
            let jobs = (!self.jobs_failed.contains(&p.region)).then(|| {
                let (total, completed) = self.jobs.get(&arn).copied().unwrap_or((0, 0));
                JobSummary {
                    window_days: self.window_days,
                    total,
                    completed,
                }
            });
            let mut restores = self.restores.get(&arn).cloned().unwrap_or_default();
            restores.sort_by_key(|r| std::cmp::Reverse(r.started));
            let (name, tags) = match by_id.get(arn.as_str()) {
                Some(r) => (
                    Some(format!("{} (AWS Backup)", r.record().display_name())),
                    r.record().tags().clone(),
                ),
                None => (p.name.clone(), BTreeMap::new()),
            };
            out.push(Resource::BackupProtectedResource(BackupProtectedResource {
                id: arn.clone(),
                name,
                account: self.account.clone(),
                region,
                tags,
                resource_type: p.resource_type,
                recovery_points,
                jobs,
                restores,
                provenance: Some(Provenance {
                    source: "backup:ListProtectedResources".into(),
                    line: None,
                    at: self.now,
                }),
                ..BackupProtectedResource::default()
            }));
        }
        (out, self.gaps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selections_match_as_aws_backup_does() {
        let s = Selection {
            plan: "daily".into(),
            role: "arn:aws:iam::1:role/backup".into(),
            region: "us-east-1".into(),
            resources: vec!["arn:aws:rds:*:*:db:*".into()],
            not_resources: vec!["arn:aws:rds:*:*:db:scratch-*".into()],
            any_tags: vec![],
            conditions: vec![(
                "StringEquals",
                "aws:ResourceTag/backup".into(),
                "yes".into(),
            )],
        };
        let db = "arn:aws:rds:us-east-1:1:db:orders";
        assert!(s.selects(db, &tags(&[("backup", "yes")])));
        assert!(!s.selects(db, &tags(&[("backup", "no")])));
        assert!(!s.selects(
            "arn:aws:rds:us-east-1:1:db:scratch-1",
            &tags(&[("backup", "yes")])
        ));
        let by_tag = Selection {
            any_tags: vec![("backup".into(), "yes".into())],
            ..Selection::default()
        };
        assert!(by_tag.selects(db, &tags(&[("backup", "yes")])));
        assert!(!by_tag.selects(db, &tags(&[])));
    }
}
