//! `aws_backup_plan`, and `aws_backup_vault` with its `_vault_lock_configuration` and
//! `_vault_policy`.

use serde_json::Value as J;

use super::change::{day_count, first, tags_of, unknown_gap, Change};
use super::{Family, Out};
use crate::model::snapshot::{BackupPlan, BackupRule, BackupVault, Resource};

pub(super) fn plan(f: &Family<'_, '_, '_>, c: &Change<'_>, region: &str, out: &mut Out) {
    let rules: Vec<BackupRule> = c
        .get("rule")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .map(rule)
        .collect();
    if c.is_unknown("rule") {
        out.gaps.push(unknown_gap(
            c,
            "backup_plan",
            &[
                "max_interval",
                "min_retention_days",
                "copy_regions",
                "cross_account_copy",
            ],
            "rule",
        ));
    } else if c
        .unknown
        .get("rule")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            r.get("copy_action")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .any(|a| a.get("destination_vault_arn") == Some(&J::Bool(true)))
        })
    {
        out.gaps.push(unknown_gap(
            c,
            "backup_plan",
            &["copy_regions", "cross_account_copy"],
            "rule.copy_action.destination_vault_arn",
        ));
    }
    out.resources.push(Resource::BackupPlan(BackupPlan {
        id: c.address.clone(),
        name: c.str("name").map(str::to_string),
        region: region.to_string(),
        tags: tags_of(c),
        rules: Some(rules),
        provenance: f.cx.provenance(c),
        ..BackupPlan::default()
    }));
}

fn rule(r: &J) -> BackupRule {
    let schedule = r.get("schedule").and_then(J::as_str).map(str::to_string);
    BackupRule {
        name: r
            .get("rule_name")
            .and_then(J::as_str)
            .unwrap_or("")
            .to_string(),
        interval_seconds: crate::model::rules::backup_rule_interval(
            r.get("enable_continuous_backup").and_then(J::as_bool) == Some(true),
            schedule.as_deref(),
        ),
        schedule,
        delete_after_days: first(r.get("lifecycle"))
            .and_then(|l| l.get("delete_after"))
            .and_then(J::as_u64)
            .filter(|d| *d > 0)
            .and_then(day_count),
        target_vault: r
            .get("target_vault_name")
            .and_then(J::as_str)
            .map(str::to_string),
        copy_destinations: r
            .get("copy_action")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                a.get("destination_vault_arn")
                    .and_then(J::as_str)
                    .map(str::to_string)
            })
            .collect(),
    }
}

pub(super) fn vault(f: &Family<'_, '_, '_>, c: &Change<'_>, region: &str, out: &mut Out) {
    let name = c.str("name").map(str::to_string);
    let key_by_name = name.as_ref().map(|n| format!("name:{n}"));
    let key_by_addr = format!("addr:{}", c.plain);
    let lock = key_by_name
        .as_ref()
        .and_then(|k| f.parts.vault_locks.get(k))
        .or_else(|| f.parts.vault_locks.get(&key_by_addr))
        .copied();
    let policy = key_by_name
        .as_ref()
        .and_then(|k| f.parts.vault_policies.get(k))
        .or_else(|| f.parts.vault_policies.get(&key_by_addr))
        .copied();
    let kms = c.str("kms_key_arn").map(str::to_string);
    if kms.is_none() && c.is_unknown("kms_key_arn") {
        out.gaps.push(unknown_gap(
            c,
            "backup_vault",
            &["customer_managed_key"],
            "kms_key_arn",
        ));
    }
    let deletion_denied = policy
        .and_then(|p| p.str("policy"))
        .map(crate::model::rules::denies_recovery_point_deletion)
        .unwrap_or(false);
    // Of a vault the plan does not hold, only its changed lock and policy are known.
    let outside = c.is_outside();
    out.resources.push(Resource::BackupVault(BackupVault {
        id: c.address.clone(),
        name,
        region: region.to_string(),
        tags: tags_of(c),
        customer_managed_key: kms
            .as_deref()
            .map(|k| !k.contains("alias/aws/"))
            .or(Some(false))
            .filter(|_| !c.is_unknown("kms_key_arn") && !outside),
        kms_key_arn: kms,
        locked: if outside {
            lock.map(|_| true)
        } else {
            Some(lock.is_some())
        },
        lock_min_retention_days: lock
            .and_then(|l| l.get("min_retention_days"))
            .and_then(J::as_u64)
            .and_then(day_count),
        deletion_denied: (!outside || policy.is_some()).then_some(deletion_denied),
        air_gapped: false,
        provenance: f.cx.provenance(c),
        ..BackupVault::default()
    }));
}
