//! Snapshot records to entity facts, and facts to Cedar entities.
//!
//! Facts are first built as plain `Attrs` (so a verdict can quote the values that decided it) and
//! then turned into Cedar entities. Aggregates Cedar cannot compute (the newest successful test of a
//! kind, the worst replica lag, replicas without an alarm) are computed here.

mod cedar;
mod platform;
mod process;

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::config::Params;
use crate::model::snapshot::{CloudwatchAlarm, Resource};

pub use cedar::{CedarBuilder, ENTITY_TYPES};
pub use process::{
    account_region_facts, component_facts, document_facts, future_evidence, program_facts,
    test_facts, test_time, ComponentEvidence, Measurement,
};

/// A fact value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Long(i64),
    Str(Box<str>),
    /// Seconds since the Unix epoch.
    Datetime(i64),
    /// Seconds.
    Duration(i64),
    Set(Box<[Box<str>]>),
    /// A reference to a component, by index into the evaluation's components.
    Component(u32),
}

impl Value {
    pub fn str(s: impl Into<Box<str>>) -> Self {
        Self::Str(s.into())
    }

    pub fn datetime(t: DateTime<Utc>) -> Self {
        Self::Datetime(t.timestamp())
    }

    pub fn date(d: NaiveDate) -> Self {
        Self::Datetime(
            d.and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp()),
        )
    }

    pub fn set<I: IntoIterator<Item = S>, S: Into<Box<str>>>(items: I) -> Self {
        let sorted: BTreeSet<Box<str>> = items.into_iter().map(Into::into).collect();
        Self::Set(sorted.into_iter().collect())
    }
}

/// Attributes of one entity, in a fixed order.
pub type Attrs = Vec<(&'static str, Value)>;

/// The facts of one entity, before it becomes a Cedar entity.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The Cedar entity type.
    pub entity_type: &'static str,
    pub id: Box<str>,
    pub attrs: Attrs,
}

impl Facts {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

fn push<T>(attrs: &mut Attrs, name: &'static str, value: Option<T>, f: impl FnOnce(T) -> Value) {
    if let Some(v) = value {
        attrs.push((name, f(v)));
    }
}

fn base(component: u32, name: &str, account: &str, region: &str) -> Attrs {
    vec![
        ("component", Value::Component(component)),
        ("name", Value::str(name)),
        ("account", Value::str(account)),
        ("region", Value::str(region)),
    ]
}

/// What resource facts need from outside the record: alarms, the DR region, the component's targets.
pub struct ResourceContext<'a> {
    /// Replica identifiers (name and ARN) that have a ReplicaLag alarm with an action.
    pub lag_alarmed: &'a HashSet<String>,
    pub dr_region: Option<&'a str>,
    /// Whether the alarms were collected: without them, alarm facts are unknown.
    pub alarms_known: bool,
}

/// The ReplicaLag-alarmed replica identifiers among the alarms.
pub fn lag_alarmed(alarms: &[CloudwatchAlarm]) -> HashSet<String> {
    alarms
        .iter()
        .filter(|a| a.namespace == "AWS/RDS" && a.metric == "ReplicaLag" && !a.actions.is_empty())
        .filter_map(|a| a.dimensions.get("DBInstanceIdentifier").cloned())
        .collect()
}

/// Whether a region has an alarm with an action on failed AWS Backup jobs.
pub fn backup_failure_alarmed(alarms: &[CloudwatchAlarm], account: &str, region: &str) -> bool {
    alarms.iter().any(|a| {
        a.namespace == "AWS/Backup"
            && a.metric == "NumberOfBackupJobsFailed"
            && !a.actions.is_empty()
            && a.region == region
            && (a.account.is_empty() || account.is_empty() || a.account == account)
    })
}

/// The facts of a resource record.
pub fn resource_facts(r: &Resource, component: u32, cx: &ResourceContext<'_>) -> Facts {
    let rec = r.record();
    let mut a = base(component, rec.display_name(), rec.account(), rec.region());
    let entity_type = match r {
        Resource::RdsInstance(db) | Resource::RdsCluster(db) => {
            let kind = if matches!(r, Resource::RdsInstance(_)) {
                "instance"
            } else {
                "cluster"
            };
            a.push(("kind", Value::str(kind)));
            push(&mut a, "engine", db.engine.as_deref(), Value::str);
            push(
                &mut a,
                "backup_retention_days",
                db.backup_retention_days,
                |d| Value::Long(d.into()),
            );
            push(
                &mut a,
                "latest_restorable_time",
                db.latest_restorable_time,
                Value::datetime,
            );
            push(
                &mut a,
                "storage_encrypted",
                db.storage_encrypted,
                Value::Bool,
            );
            push(&mut a, "kms_key_id", db.kms_key_id.as_deref(), Value::str);
            if let Some(s) = &db.snapshots {
                a.push(("snapshot_count", Value::Long(s.count.into())));
                a.push(("unencrypted_snapshots", Value::Long(s.unencrypted.into())));
                push(&mut a, "latest_snapshot_time", s.newest, Value::datetime);
            }
            push(&mut a, "multi_az", db.multi_az, Value::Bool);
            push(
                &mut a,
                "deletion_protection",
                db.deletion_protection,
                Value::Bool,
            );
            // Regions holding a copy: known only when every source is known, or when a known one
            // already reaches the DR region (a missing source can only add regions).
            let sources = [
                db.replicas
                    .as_ref()
                    .map(|rs| rs.iter().map(|r| r.region.clone()).collect::<Vec<_>>()),
                db.replicated_backup_regions.clone(),
                db.snapshots.as_ref().map(|s| s.copy_regions.clone()),
            ];
            let all_known = sources.iter().all(Option::is_some);
            let mut regions: BTreeSet<String> = sources.into_iter().flatten().flatten().collect();
            // A database that itself sits in the DR region is the copy there.
            if cx.dr_region == Some(rec.region()) {
                regions.insert(rec.region().to_string());
            }
            let reaches_dr = cx.dr_region.is_some_and(|d| regions.contains(d));
            if all_known || reaches_dr {
                a.push(("dr_regions", Value::set(regions)));
            }
            if let Some(replicas) = &db.replicas {
                a.push(("replica_count", Value::Long(replicas.len() as i64)));
                let lags: Option<Vec<f64>> = replicas.iter().map(|r| r.lag_max_seconds).collect();
                // A negative, infinite or out-of-range lag is not a measurement: the fact stays
                // unknown rather than reading as no lag.
                let measured = |x: &f64| {
                    x.is_finite() && (0.0..=crate::util::duration::MAX_SECONDS as f64).contains(x)
                };
                if let (Some(lags), false) = (lags, replicas.is_empty()) {
                    if lags.iter().all(measured) {
                        let max = lags.into_iter().fold(0.0_f64, f64::max);
                        a.push(("replica_lag_max", Value::Duration(max.ceil() as i64)));
                    }
                }
                let unalarmed = cx.alarms_known.then(|| {
                    replicas
                        .iter()
                        .filter(|r| {
                            let name = r.id.rsplit([':', '/']).next().unwrap_or(&r.id);
                            !(cx.lag_alarmed.contains(name) || cx.lag_alarmed.contains(&r.id))
                        })
                        .count()
                });
                push(&mut a, "replicas_without_lag_alarm", unalarmed, |n| {
                    Value::Long(n as i64)
                });
            }
            push(
                &mut a,
                "backup_plan_protected",
                db.backup_plans.as_ref(),
                |p| Value::Bool(!p.is_empty()),
            );
            "RdsDatabase"
        }
        Resource::S3Bucket(b) => {
            push(&mut a, "encryption", b.encryption.as_deref(), Value::str);
            push(&mut a, "versioning", b.versioning.as_deref(), Value::str);
            push(
                &mut a,
                "object_lock_mode",
                b.object_lock_mode.as_deref(),
                Value::str,
            );
            push(&mut a, "object_lock_days", b.object_lock_days, |d| {
                Value::Long(d.into())
            });
            push(
                &mut a,
                "lifecycle_expiry_days",
                b.lifecycle_expiry_days,
                |d| Value::Long(d.into()),
            );
            // A bucket that itself sits in the DR region is the copy there.
            let in_dr = cx.dr_region == Some(rec.region());
            push(
                &mut a,
                "replication_regions",
                b.replication_regions.as_ref(),
                |r| {
                    Value::set(
                        r.iter()
                            .map(String::as_str)
                            .chain(in_dr.then_some(rec.region())),
                    )
                },
            );
            push(
                &mut a,
                "public_access_blocked",
                b.public_access_blocked,
                Value::Bool,
            );
            push(
                &mut a,
                "backup_prefix",
                b.backup_prefix.as_deref(),
                Value::str,
            );
            push(
                &mut a,
                "newest_backup_object",
                b.newest_backup_object,
                Value::datetime,
            );
            "S3Bucket"
        }
        Resource::BackupPlan(p) => {
            if let Some(rules) = &p.rules {
                a.push(("rule_count", Value::Long(rules.len() as i64)));
                let intervals: Option<Vec<u64>> =
                    rules.iter().map(|r| r.interval_seconds).collect();
                if let (Some(iv), false) = (intervals, rules.is_empty()) {
                    a.push((
                        "max_interval",
                        Value::Duration(iv.into_iter().max().unwrap_or(0) as i64),
                    ));
                }
                if !rules.is_empty() {
                    let min = rules
                        .iter()
                        .map(|r| r.delete_after_days.unwrap_or(NEVER_DAYS))
                        .min()
                        .unwrap_or(NEVER_DAYS);
                    a.push(("min_retention_days", Value::Long(min.into())));
                }
                let copies: Vec<&String> = rules
                    .iter()
                    .flat_map(|r| r.copy_destinations.iter())
                    .collect();
                a.push((
                    "copy_regions",
                    Value::set(copies.iter().filter_map(|arn| arn_part(arn, 3))),
                ));
                let other_account = copies
                    .iter()
                    .filter_map(|arn| arn_part(arn, 4))
                    .any(|acct| !acct.is_empty() && acct != p.account);
                a.push(("cross_account_copy", Value::Bool(other_account)));
            }
            "BackupPlan"
        }
        Resource::BackupVault(v) => {
            push(
                &mut a,
                "customer_managed_key",
                v.customer_managed_key,
                Value::Bool,
            );
            match (v.locked, v.lock_min_retention_days) {
                (Some(false), _) => a.push(("lock_min_retention_days", Value::Long(0))),
                (Some(true), Some(d)) => a.push(("lock_min_retention_days", Value::Long(d.into()))),
                _ => {}
            }
            push(&mut a, "deletion_denied", v.deletion_denied, Value::Bool);
            a.push(("air_gapped", Value::Bool(v.air_gapped)));
            "BackupVault"
        }
        Resource::BackupProtectedResource(p) => {
            push(
                &mut a,
                "resource_type",
                p.resource_type.as_deref(),
                Value::str,
            );
            if let Some(rp) = &p.recovery_points {
                a.push(("recovery_point_count", Value::Long(rp.count.into())));
                push(
                    &mut a,
                    "latest_recovery_point",
                    rp.newest_completed,
                    Value::datetime,
                );
                a.push((
                    "unencrypted_recovery_points",
                    Value::Long(rp.unencrypted.into()),
                ));
                a.push((
                    "min_recovery_point_retention_days",
                    Value::Long(rp.min_retention_days.unwrap_or(NEVER_DAYS).into()),
                ));
                push(
                    &mut a,
                    "latest_air_gapped_recovery_point",
                    rp.newest_air_gapped,
                    Value::datetime,
                );
            }
            if let Some(j) = &p.jobs {
                a.push(("jobs_total", Value::Long(j.total.into())));
                a.push(("jobs_completed", Value::Long(j.completed.into())));
            }
            "BackupProtectedResource"
        }
        Resource::IamPrincipal(p) => {
            a.push(("kind", Value::str(p.kind.as_str())));
            push(
                &mut a,
                "allows_backup_deletion_on_any",
                p.backup_deletion_grants.as_ref(),
                |g| Value::Bool(!g.is_empty()),
            );
            push(
                &mut a,
                "wildcard_actions",
                p.wildcard_action_grants.as_ref(),
                |g| Value::Bool(!g.is_empty()),
            );
            push(
                &mut a,
                "mutating_on_any",
                p.mutating_on_any_grants.as_ref(),
                |g| Value::Bool(!g.is_empty()),
            );
            "IamPrincipal"
        }
        Resource::PlanChange(p) => {
            a.push(("resource_type", Value::str(p.resource_type.as_str())));
            a.push(("action", Value::str(p.action.as_str())));
            a.push(("dr_critical", Value::Bool(p.dr_critical)));
            "PlanChange"
        }
        Resource::OpensearchDomain(d) => platform::opensearch(d, &mut a),
        Resource::EksCluster(c) => platform::eks(c, &mut a),
        Resource::VeleroSchedule(v) => platform::velero(v, &mut a),
        Resource::Route53Failover(f) => platform::route53(f, &mut a, cx),
    };
    Facts {
        entity_type,
        id: rec.id().into(),
        attrs: a,
    }
}

/// Retention used for recovery points and rules that are never deleted.
pub const NEVER_DAYS: u32 = 36_500;

/// The `n`th colon-separated part of an ARN (3 = region, 4 = account).
fn arn_part(arn: &str, n: usize) -> Option<&str> {
    arn.strip_prefix("arn:")?;
    arn.split(':').nth(n)
}

/// Seconds since the epoch as RFC 3339, for messages.
pub fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// The request context: the evaluation time and the organisation's parameters, as facts.
pub fn params_facts(p: &Params, dr_region: Option<&str>) -> Attrs {
    let d = |s: crate::model::config::Seconds| Value::Duration(s.0 as i64);
    let mut a: Attrs = vec![
        (
            "rds_min_retention_days",
            Value::Long(p.rds_min_retention_days.into()),
        ),
        ("snapshot_max_age", d(p.snapshot_max_age)),
        ("replica_lag_window", d(p.replica_lag_window)),
        ("require_kms", Value::Bool(p.require_kms)),
        (
            "object_lock_min_days",
            Value::Long(p.object_lock_min_days.into()),
        ),
        (
            "backup_retention_days",
            Value::Long(p.backup_retention_days.into()),
        ),
        (
            "backup_max_retention_days",
            Value::Long(p.backup_max_retention_days.into()),
        ),
        ("backup_frequency", d(p.backup_frequency)),
        (
            "backup_min_retention_days",
            Value::Long(p.backup_min_retention_days.into()),
        ),
        (
            "vault_lock_min_days",
            Value::Long(p.vault_lock_min_days.into()),
        ),
        ("recovery_point_max_age", d(p.recovery_point_max_age)),
        ("air_gapped_max_age", d(p.air_gapped_max_age)),
        (
            "backup_job_success_basis_points",
            Value::Long((p.backup_job_success_rate.0 * 10_000.0).round() as i64),
        ),
        (
            "break_glass_principals",
            Value::set(p.break_glass_principals.iter().map(String::as_str)),
        ),
        ("component_test_cadence", d(p.component_test_cadence)),
        ("integration_test_cadence", d(p.integration_test_cadence)),
        ("full_test_cadence", d(p.full_test_cadence)),
        ("drill_cadence", d(p.drill_cadence)),
        (
            "test_results_retention_days",
            Value::Long(p.test_results_retention_days.into()),
        ),
        (
            "backup_verification_window",
            d(p.backup_verification_window),
        ),
        ("access_review_window", d(p.access_review_window)),
        ("exec_review_window", d(p.exec_review_window)),
        ("eks_version_skew", Value::Long(p.eks_version_skew.into())),
        ("eks_dr_min_nodes", Value::Long(p.eks_dr_min_nodes.into())),
        (
            "eks_required_log_types",
            Value::set(p.eks_required_log_types.iter().map(String::as_str)),
        ),
        (
            "opensearch_min_azs",
            Value::Long(p.opensearch_min_azs.into()),
        ),
        (
            "opensearch_min_cluster_managers",
            Value::Long(p.opensearch_min_cluster_managers.into()),
        ),
        ("failover_max_ttl", d(p.failover_max_ttl)),
    ];
    push(&mut a, "dr_region", dr_region, Value::str);
    push(&mut a, "dr_role", p.dr_role.as_deref(), Value::str);
    a
}

/// A timestamp as Cedar's `datetime()` reads it.
pub fn cedar_datetime(t: i64) -> String {
    DateTime::from_timestamp(t, 0).map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
