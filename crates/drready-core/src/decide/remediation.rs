//! Remediation planning: from failing verdicts to a plan of actions (`model::remediation::Plan`).
//! Pure data; `aws::remediate` carries a plan out, and only with `--apply`. The actions:
//!
//! - `backup-now` / `snapshot-now`: AWS Backup `StartBackupJob` into the vault of the plan that
//!   selects the database, with its selection's role; else RDS `CreateDBSnapshot` /
//!   `CreateDBClusterSnapshot`, tagged `drready:created-by=drready`.
//! - `restore-test`: AWS Backup `StartRestoreJob` of the newest recovery point, or
//!   `RestoreDBInstanceToPointInTime`, into a scratch instance named `drready-restore-test-...`.
//! - `enable-deletion-protection`, `raise-retention`, `enable-backups`: `ModifyDBInstance` /
//!   `ModifyDBCluster`, only with `--allow modify`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::evaluate::catalog::Catalog;
use crate::evaluate::{Evaluation, Status};
use crate::model::remediation::{
    identifier, Call, Manual, Method, Plan, Step, CREATED_BY_TAG, RESTORE_PREFIX, RESTORE_TEST_TAG,
};
use crate::model::snapshot::{RdsDatabase, Resource};

/// The remediations drready can carry out.
const AUTOMATED: &[&str] = &[
    "backup-now",
    "snapshot-now",
    "restore-test",
    "enable-deletion-protection",
    "raise-retention",
    "enable-backups",
];

/// The plan for an evaluation: one step per (action, resource), the controls it answers joined.
pub fn plan(
    catalog: &Catalog,
    eval: &Evaluation,
    resources: &[Resource],
    rds_min_retention_days: u32,
    now: DateTime<Utc>,
) -> Plan {
    let stamp = now.format("%Y%m%d%H%M%S").to_string();
    let by_id: HashMap<&str, &Resource> = resources.iter().map(|r| (r.record().id(), r)).collect();
    let db = |id: &str| -> Option<(&RdsDatabase, bool)> {
        match by_id.get(id) {
            Some(Resource::RdsInstance(d)) => Some((d, false)),
            Some(Resource::RdsCluster(d)) => Some((d, true)),
            _ => None,
        }
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut manual = Vec::new();
    for v in eval.verdicts() {
        let control = &catalog.controls[v.control as usize];
        let Some(remediation) = control.remediation.as_deref() else {
            continue;
        };
        let info = &eval.resources[v.resource as usize];
        // Untested recovery is worth a restore test even when the verdict lacks evidence, but a
        // component with a measured restore gains nothing from another one.
        let untested = || {
            eval.components
                .get(info.component as usize)
                .is_some_and(|c| c.last_restore_seconds.is_none())
        };
        let wanted = v.status == Status::Fail
            || (v.status == Status::NoEvidence && remediation == "restore-test" && untested());
        if !wanted {
            continue;
        }
        let component = eval
            .components
            .get(info.component as usize)
            .map(|c| c.spec.clone())
            .unwrap_or_default();
        let reason = crate::evaluate::explain::reason_of(catalog, eval, &v);
        // Which database the action concerns: the resource itself, or for a component its first
        // RDS instance.
        let target = match info.entity_type {
            "RdsDatabase" | "BackupProtectedResource" => db(&info.id),
            "Component" => first_instance(eval, resources, &component.name).map(|d| (d, false)),
            _ => None,
        };
        let automated = AUTOMATED.contains(&remediation);
        let Some((d, cluster)) = target.filter(|_| automated) else {
            manual.push(Manual {
                control: control.id.clone(),
                resource: info.id.to_string(),
                remediation: remediation.to_string(),
            });
            continue;
        };
        let name = d.name.clone().unwrap_or_else(|| info.name().to_string());
        let Some((action, method, modifies)) = method_for(
            remediation,
            d,
            cluster,
            &name,
            &stamp,
            rds_min_retention_days,
        ) else {
            manual.push(Manual {
                control: control.id.clone(),
                resource: info.id.to_string(),
                remediation: remediation.to_string(),
            });
            continue;
        };
        if let Some(s) = steps
            .iter_mut()
            .find(|s| s.action == action && s.resource == d.id)
        {
            if !s.controls.contains(&control.id) {
                s.controls.push(control.id.clone());
                s.reason = format!("{}; {}: {reason}", s.reason, control.id);
            }
            continue;
        }
        steps.push(Step {
            action: action.to_string(),
            resource: d.id.clone(),
            name: name.clone(),
            account: d.account.clone(),
            region: d.region.clone(),
            component: component.name.clone(),
            controls: vec![control.id.clone()],
            reason: format!("{}: {reason}", control.id),
            call: call_of(&method, &d.id, &stamp),
            method,
            modifies,
            fresh_within_seconds: component
                .targets_for(crate::model::snapshot::Disruption::Data)
                .rpo_seconds,
            outcome: None,
        });
    }
    manual.sort_by(|a, b| (&a.control, &a.resource).cmp(&(&b.control, &b.resource)));
    manual.dedup();
    Plan {
        created_at: now,
        applied: false,
        steps,
        manual,
    }
}

/// A component's first RDS instance: the database a component-level action concerns.
fn first_instance<'r>(
    eval: &Evaluation,
    resources: &'r [Resource],
    component: &str,
) -> Option<&'r RdsDatabase> {
    resources.iter().find_map(|r| match r {
        Resource::RdsInstance(d)
            if eval.resources.iter().any(|i| {
                &*i.id == d.id.as_str()
                    && eval
                        .components
                        .get(i.component as usize)
                        .map(|c| c.spec.name.as_str())
                        == Some(component)
            }) =>
        {
            Some(d)
        }
        _ => None,
    })
}

/// How a remediation is carried out on a database: (action, method, whether it modifies a
/// setting); `None` for one drready leaves to a person (a restore test of a cluster).
fn method_for(
    remediation: &str,
    d: &RdsDatabase,
    cluster: bool,
    name: &str,
    stamp: &str,
    rds_min_retention_days: u32,
) -> Option<(&'static str, Method, bool)> {
    Some(match remediation {
        "backup-now" | "snapshot-now" => {
            let method = match (&d.backup_target, cluster) {
                (Some(t), _) => Method::BackupJob {
                    vault: t.vault.clone(),
                    role_arn: t.role_arn.clone(),
                },
                (None, _) => Method::RdsSnapshot {
                    cluster,
                    identifier: name.to_string(),
                },
            };
            ("backup-now", method, false)
        }
        "restore-test" if !cluster => {
            let target = identifier(RESTORE_PREFIX, name, stamp);
            let method = match &d.backup_target {
                Some(t) => Method::BackupRestore {
                    role_arn: t.role_arn.clone(),
                    target,
                },
                None => Method::PointInTimeRestore {
                    source: name.to_string(),
                    target,
                },
            };
            ("restore-test", method, false)
        }
        "enable-deletion-protection" => (
            "enable-deletion-protection",
            Method::Modify {
                cluster,
                identifier: name.to_string(),
                setting: "DeletionProtection".into(),
                value: "true".into(),
            },
            true,
        ),
        "raise-retention" | "enable-backups" => (
            "raise-retention",
            Method::Modify {
                cluster,
                identifier: name.to_string(),
                setting: "BackupRetentionPeriod".into(),
                value: rds_min_retention_days.max(1).to_string(),
            },
            true,
        ),
        _ => return None,
    })
}

fn call_of(method: &Method, arn: &str, stamp: &str) -> Call {
    let mut p = BTreeMap::new();
    let tags = format!("{}={}", CREATED_BY_TAG.0, CREATED_BY_TAG.1);
    let api = match method {
        Method::RdsSnapshot {
            cluster: false,
            identifier: id,
        } => {
            p.insert("DBInstanceIdentifier".into(), id.clone());
            p.insert(
                "DBSnapshotIdentifier".into(),
                identifier("drready-", id, stamp),
            );
            p.insert("Tags".into(), tags);
            "rds:CreateDBSnapshot"
        }
        Method::RdsSnapshot {
            cluster: true,
            identifier: id,
        } => {
            p.insert("DBClusterIdentifier".into(), id.clone());
            p.insert(
                "DBClusterSnapshotIdentifier".into(),
                identifier("drready-", id, stamp),
            );
            p.insert("Tags".into(), tags);
            "rds:CreateDBClusterSnapshot"
        }
        Method::BackupJob { vault, role_arn } => {
            p.insert("BackupVaultName".into(), vault.clone());
            p.insert("IamRoleArn".into(), role_arn.clone());
            p.insert("ResourceArn".into(), arn.to_string());
            p.insert("RecoveryPointTags".into(), tags);
            "backup:StartBackupJob"
        }
        Method::PointInTimeRestore { source, target } => {
            p.insert("SourceDBInstanceIdentifier".into(), source.clone());
            p.insert("TargetDBInstanceIdentifier".into(), target.clone());
            p.insert("UseLatestRestorableTime".into(), "true".into());
            p.insert(
                "Tags".into(),
                format!("{tags},{RESTORE_TEST_TAG}=<source ARN>"),
            );
            "rds:RestoreDBInstanceToPointInTime"
        }
        Method::BackupRestore { role_arn, target } => {
            p.insert(
                "RecoveryPointArn".into(),
                "<newest completed recovery point>".into(),
            );
            p.insert("IamRoleArn".into(), role_arn.clone());
            p.insert("Metadata.DBInstanceIdentifier".into(), target.clone());
            "backup:StartRestoreJob"
        }
        Method::Modify {
            cluster,
            identifier: id,
            setting,
            value,
        } => {
            let key = if *cluster {
                "DBClusterIdentifier"
            } else {
                "DBInstanceIdentifier"
            };
            p.insert(key.into(), id.clone());
            p.insert(setting.clone(), value.clone());
            p.insert("ApplyImmediately".into(), "true".into());
            if *cluster {
                "rds:ModifyDBCluster"
            } else {
                "rds:ModifyDBInstance"
            }
        }
    };
    Call {
        api: api.into(),
        params: p,
    }
}
