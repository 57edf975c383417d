//! Snapshot records to entity facts, and facts to Cedar entities.
//!
//! Facts are first built as plain `Attrs` (so a verdict can quote the values that decided it) and
//! then turned into Cedar entities. Aggregates Cedar cannot compute (the newest successful test of a
//! kind, the worst replica lag, replicas without an alarm) are computed here.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use chrono::{DateTime, NaiveDate, Utc};

use crate::model::config::Params;
use crate::model::snapshot::{
    CloudwatchAlarm, ComponentSpec, Document, DrTest, DrTestKind, Gap, Outcome, Provenance,
    Resource,
};
use crate::util::duration;

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

/// What a DR test measured of a component.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub at: DateTime<Utc>,
    pub rto: Option<i64>,
    pub rpo: Option<i64>,
    /// Which test, and where it was recorded.
    pub source: String,
}

/// What the components' facts need from the resources and tests.
#[derive(Debug, Clone, Default)]
pub struct ComponentEvidence {
    /// Newest completed restore: (finished, duration seconds, source).
    pub last_restore: Option<(DateTime<Utc>, i64, String)>,
    /// Newest test measurement.
    pub measured: Option<Measurement>,
    /// A document claims the target is met: the claim's source (file:line).
    pub claim: Option<String>,
}

impl ComponentEvidence {
    pub fn add_restore(&mut self, finished: DateTime<Utc>, seconds: i64, source: String) {
        if self
            .last_restore
            .as_ref()
            .is_none_or(|(t, _, _)| finished > *t)
        {
            self.last_restore = Some((finished, seconds, source));
        }
    }
}

/// Entity facts of a component. `evidence` is `None` for the targets-only form resources see.
pub fn component_facts(spec: &ComponentSpec, evidence: Option<&ComponentEvidence>) -> Facts {
    let mut a: Attrs = vec![("name", Value::str(spec.name.as_str()))];
    push(&mut a, "rto", spec.rto_seconds, |s| {
        Value::Duration(s as i64)
    });
    push(&mut a, "rpo", spec.rpo_seconds, |s| {
        Value::Duration(s as i64)
    });
    push(
        &mut a,
        "replica_rpo",
        spec.replica_rpo_seconds.or(spec.rpo_seconds),
        |s| Value::Duration(s as i64),
    );
    push(&mut a, "tier", spec.tier.as_deref(), Value::str);
    a.push(("multi_az", Value::Bool(spec.multi_az.unwrap_or(true))));
    a.push((
        "cross_region",
        Value::Bool(spec.cross_region.unwrap_or(false)),
    ));
    a.push((
        "cross_account",
        Value::Bool(spec.cross_account.unwrap_or(false)),
    ));
    a.push(("air_gapped", Value::Bool(spec.air_gapped.unwrap_or(false))));
    if let Some(ev) = evidence {
        if let Some((at, secs, _)) = &ev.last_restore {
            a.push(("last_restore_duration", Value::Duration(*secs)));
            a.push(("last_restore_at", Value::datetime(*at)));
        }
        if let Some(source) = &ev.claim {
            a.push(("claimed_met", Value::Bool(true)));
            a.push(("claim_source", Value::str(source.as_str())));
        }
        if let Some(m) = &ev.measured {
            push(&mut a, "measured_rto", m.rto, Value::Duration);
            push(&mut a, "measured_rpo", m.rpo, Value::Duration);
            a.push(("measurement_source", Value::str(m.source.as_str())));
        }
    }
    Facts {
        entity_type: "Component",
        id: spec.name.as_str().into(),
        attrs: a,
    }
}

/// Entity facts of a DR document.
pub fn document_facts(d: &Document, component: u32) -> Facts {
    let mut a: Attrs = vec![
        ("component", Value::Component(component)),
        ("name", Value::str(d.path.as_str())),
    ];
    push(&mut a, "title", d.title.as_deref(), Value::str);
    push(&mut a, "owner", d.owner.as_deref(), Value::str);
    push(&mut a, "last_updated", d.last_updated, Value::date);
    push(&mut a, "next_review", d.next_review, Value::date);
    push(
        &mut a,
        "review_frequency",
        d.review_frequency_days,
        |days| Value::Duration(i64::from(days) * 86_400),
    );
    let by_frequency = d
        .last_updated
        .zip(d.review_frequency_days)
        .and_then(|(u, days)| u.checked_add_days(chrono::Days::new(days.into())));
    let due = match (d.next_review, by_frequency) {
        (Some(n), Some(f)) => Some(n.min(f)),
        (n, f) => n.or(f),
    };
    push(&mut a, "review_due", due, Value::date);
    if let Some(links) = d
        .links
        .as_ref()
        .filter(|ls| ls.iter().all(|l| l.exists.is_some()))
    {
        let broken: Vec<String> = links
            .iter()
            .filter(|l| l.exists == Some(false))
            .map(|l| match l.line {
                Some(n) => format!("{} (line {n})", l.target),
                None => l.target.clone(),
            })
            .collect();
        a.push(("broken_links", Value::Long(broken.len() as i64)));
        a.push(("broken_link_targets", Value::set(broken)));
    }
    Facts {
        entity_type: "Document",
        id: d.path.as_str().into(),
        attrs: a,
    }
}

/// Entity facts of a DR test.
pub fn test_facts(t: &DrTest, component: u32, newest_of_kind: bool) -> Facts {
    let mut a: Attrs = vec![
        ("component", Value::Component(component)),
        ("name", Value::str(t.id.as_str())),
        ("kind", Value::str(t.kind.as_str())),
        ("outcome", Value::str(t.outcome.as_str())),
        ("started", Value::datetime(t.started)),
        ("newest_of_kind", Value::Bool(newest_of_kind)),
    ];
    push(&mut a, "finished", t.finished, Value::datetime);
    push(&mut a, "measured_rto", t.measured_rto_seconds, |s| {
        Value::Duration(s as i64)
    });
    push(&mut a, "measured_rpo", t.measured_rpo_seconds, |s| {
        Value::Duration(s as i64)
    });
    Facts {
        entity_type: "DrTest",
        id: t.id.as_str().into(),
        attrs: a,
    }
}

/// When a test happened: its finish, or its start when it has none.
pub fn test_time(t: &DrTest) -> DateTime<Utc> {
    t.finished.unwrap_or(t.started)
}

/// Seconds since the epoch as RFC 3339, for messages.
pub fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Gaps for DR tests and documents dated after the evaluation time `now`: a test that has not
/// happened yet, a document updated later, prove nothing about `now`.
pub fn future_evidence(tests: &[DrTest], documents: &[Document], now: DateTime<Utc>) -> Vec<Gap> {
    let after = |what: String, at: String, source: Option<&Provenance>, kind: &str, id: &str| {
        Gap {
        source: if kind == "dr_test" { "dr_tests" } else { "docs" }.into(),
        operation: "read".into(),
        resource: Some(id.to_string()),
        resource_type: Some(kind.into()),
        message: format!(
            "{what} {at}, after the evaluation time {}: evidence dated in the future does not count",
            now.format("%Y-%m-%dT%H:%M:%SZ")
        ),
        file: source.map(|p| p.source.clone()),
        line: source.and_then(|p| p.line),
        ..Gap::default()
    }
    };
    let mut gaps = Vec::new();
    for t in tests.iter().filter(|t| test_time(t) > now) {
        gaps.push(after(
            format!("DR test `{}` is dated", t.id),
            test_time(t).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            t.provenance.as_ref(),
            "dr_test",
            &t.id,
        ));
    }
    for d in documents {
        if let Some(u) = d.last_updated.filter(|u| *u > now.date_naive()) {
            gaps.push(Gap {
                line: d.lines.get("last_updated").copied(),
                ..after(
                    format!("`{}` says it was last updated", d.path),
                    u.to_string(),
                    d.provenance.as_ref(),
                    "document",
                    &d.path,
                )
            });
        }
    }
    gaps
}

/// Entity facts of the DR programme: the newest successful test or review of each kind.
pub fn program_facts(
    tests: &[&DrTest],
    component: u32,
    results_retention_days: Option<u32>,
) -> Facts {
    let mut newest: BTreeMap<DrTestKind, DateTime<Utc>> = BTreeMap::new();
    for t in tests.iter().filter(|t| t.outcome == Outcome::Success) {
        let at = test_time(t);
        let e = newest.entry(t.kind).or_insert(at);
        if at > *e {
            *e = at;
        }
    }
    let mut a: Attrs = vec![
        ("component", Value::Component(component)),
        ("name", Value::str("dr-program")),
    ];
    for (kind, name) in [
        (DrTestKind::Component, "last_component_test"),
        (DrTestKind::Integration, "last_integration_test"),
        (DrTestKind::Full, "last_full_test"),
        (DrTestKind::Drill, "last_drill"),
        (DrTestKind::BackupVerification, "last_backup_verification"),
        (DrTestKind::AccessReview, "last_access_review"),
        (DrTestKind::ExecReview, "last_exec_review"),
    ] {
        push(&mut a, name, newest.get(&kind).copied(), Value::datetime);
    }
    push(
        &mut a,
        "results_retention_days",
        results_retention_days,
        |d| Value::Long(d.into()),
    );
    Facts {
        entity_type: "Program",
        id: "dr-program".into(),
        attrs: a,
    }
}

/// Entity facts of one account and region.
pub fn account_region_facts(
    account: &str,
    region: &str,
    component: u32,
    alarms: &[CloudwatchAlarm],
    alarms_known: bool,
) -> Facts {
    let mut a = base(component, &format!("{account}/{region}"), account, region);
    if alarms_known {
        a.push((
            "backup_failure_alarm",
            Value::Bool(backup_failure_alarmed(alarms, account, region)),
        ));
    }
    Facts {
        entity_type: "AccountRegion",
        id: format!("{account}/{region}").into(),
        attrs: a,
    }
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
    ];
    push(&mut a, "dr_region", dr_region, Value::str);
    push(&mut a, "dr_role", p.dr_role.as_deref(), Value::str);
    a
}

/// The Cedar entity types drready judges, as its schema declares them.
pub const ENTITY_TYPES: &[&str] = &[
    "RdsDatabase",
    "S3Bucket",
    "BackupPlan",
    "BackupVault",
    "BackupProtectedResource",
    "AccountRegion",
    "IamPrincipal",
    "Component",
    "Document",
    "DrTest",
    "Program",
    "PlanChange",
];

/// Turns facts into Cedar values and entities, with the type names parsed once.
pub struct CedarBuilder {
    types: HashMap<&'static str, EntityTypeName>,
    pub component_uids: Vec<EntityUid>,
}

impl CedarBuilder {
    pub fn new(components: &[ComponentSpec]) -> Result<Self, String> {
        let mut types = HashMap::new();
        for t in ENTITY_TYPES.iter().copied().chain(["Auditor"]) {
            types.insert(t, EntityTypeName::from_str(t).map_err(|e| e.to_string())?);
        }
        let mut b = Self {
            types,
            component_uids: Vec::new(),
        };
        b.component_uids = components
            .iter()
            .map(|c| b.uid("Component", &c.name))
            .collect::<Result<_, _>>()?;
        Ok(b)
    }

    pub fn uid(&self, ty: &str, id: &str) -> Result<EntityUid, String> {
        let t = match self.types.get(ty) {
            Some(t) => t.clone(),
            None => EntityTypeName::from_str(ty).map_err(|e| e.to_string())?,
        };
        Ok(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
    }

    pub fn value(&self, v: &Value) -> RestrictedExpression {
        match v {
            Value::Bool(b) => RestrictedExpression::new_bool(*b),
            Value::Long(n) => RestrictedExpression::new_long(*n),
            Value::Str(s) => RestrictedExpression::new_string(s.to_string()),
            Value::Datetime(t) => RestrictedExpression::new_datetime(cedar_datetime(*t)),
            Value::Duration(s) => cached_duration(*s, || {
                RestrictedExpression::new_duration(duration::cedar(*s))
            }),
            Value::Set(items) => RestrictedExpression::new_set(
                items
                    .iter()
                    .map(|s| RestrictedExpression::new_string(s.to_string())),
            ),
            Value::Component(i) => {
                RestrictedExpression::new_entity_uid(self.component_uids[*i as usize].clone())
            }
        }
    }

    pub fn record(&self, attrs: &Attrs) -> RestrictedExpression {
        // Attribute names are unique by construction, so this cannot fail.
        RestrictedExpression::new_record(attrs.iter().map(|(k, v)| (k.to_string(), self.value(v))))
            .unwrap_or_else(|_| RestrictedExpression::new_bool(false))
    }

    pub fn entity(&self, f: &Facts) -> Result<(EntityUid, Entity), String> {
        let uid = self.uid(f.entity_type, &f.id)?;
        let mut parents = HashSet::new();
        let mut attrs = HashMap::with_capacity(f.attrs.len());
        for (k, v) in &f.attrs {
            if let Value::Component(i) = v {
                parents.insert(self.component_uids[*i as usize].clone());
            }
            attrs.insert(k.to_string(), self.value(v));
        }
        let entity = Entity::new(uid.clone(), attrs, parents).map_err(|e| e.to_string())?;
        Ok((uid, entity))
    }
}

thread_local! {
    static EXTENSION_VALUES: std::cell::RefCell<HashMap<i64, RestrictedExpression>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Duration expressions, reused by value (durations repeat: targets, lags in whole seconds).
/// Building one re-parses the constructor's name each time. Bounded, per thread.
fn cached_duration(
    seconds: i64,
    make: impl FnOnce() -> RestrictedExpression,
) -> RestrictedExpression {
    EXTENSION_VALUES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(e) = cache.get(&seconds) {
            return e.clone();
        }
        if cache.len() >= 16_384 {
            cache.clear();
        }
        let e = make();
        cache.insert(seconds, e.clone());
        e
    })
}

/// A timestamp as Cedar's `datetime()` reads it.
pub fn cedar_datetime(t: i64) -> String {
    DateTime::from_timestamp(t, 0).map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
