//! Terraform plan JSON (`terraform show -json`, format 0.1 to 1.x) to a snapshot of the planned
//! state, so that the gate judges a plan with the same policies as the live account.
//!
//! The resources a plan creates or updates (or replaces) become snapshot resources: `aws_db_instance`,
//! `aws_rds_cluster` (Multi-AZ from its `aws_rds_cluster_instance`s), `aws_s3_bucket` joined with its
//! split resources (`_versioning`, `_server_side_encryption_configuration`,
//! `_object_lock_configuration`, `_lifecycle_configuration`, `_replication_configuration`,
//! `_public_access_block`) or their inline blocks, `aws_backup_plan`, `aws_backup_vault` with its
//! `_vault_lock_configuration` and `_vault_policy`, and `aws_cloudwatch_metric_alarm`. A value that
//! is known only after apply becomes a gap with error code `KnownAfterApply`: no evidence, unless the
//! gate is told `--unknown pass|fail`. Deleting a DR-critical resource becomes a `plan_change` that
//! the `plan-dr-resource-deleted` control judges.

mod backup;
mod change;
mod platform;
mod rds;
mod reach;
mod s3;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value as J;

use crate::model::config::Config;
use crate::model::snapshot::{
    CloudwatchAlarm, Gap, PlanChange, Resource, Scope, Snapshot, SCHEMA_VERSION,
};
use crate::util::error::InputError;
use change::{first, plan_error, string_map, Change, Configuration};
use reach::{Parts, Reach};

/// A plan read into a snapshot, with what the gate reports about it.
#[derive(Debug, Clone)]
pub struct PlannedState {
    pub snapshot: Snapshot,
    pub format_version: String,
    pub terraform_version: String,
    /// Changes by action, for the summary.
    pub actions: BTreeMap<String, usize>,
}

/// What every resource family reads besides its own change.
struct Family<'x, 'c, 'a> {
    config: &'x Config,
    cx: &'x Configuration<'x>,
    parts: &'x Parts<'c, 'a>,
}

/// What the families produce.
#[derive(Default)]
struct Out {
    resources: Vec<Resource>,
    gaps: Vec<Gap>,
    alarms: Vec<CloudwatchAlarm>,
}

/// Read `terraform show -json` output.
pub fn read(
    text: &str,
    path: &Path,
    config: &Config,
    collected_at: DateTime<Utc>,
) -> Result<PlannedState, InputError> {
    let plan: J =
        serde_json::from_str(text).map_err(|e| crate::util::error::json_error(path, &e))?;
    let format_version = plan
        .get("format_version")
        .and_then(J::as_str)
        .ok_or_else(|| plan_error(path, "not a Terraform plan: no `format_version` (write it with `terraform show -json PLAN`)"))?
        .to_string();
    let major = format_version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if !matches!(major, Some(0 | 1)) {
        return Err(plan_error(
            path,
            format!(
                "unsupported plan `format_version` {format_version} (drready reads 0.1 to 1.x)"
            ),
        ));
    }
    let changes_json = plan
        .get("resource_changes")
        .and_then(J::as_array)
        .ok_or_else(|| plan_error(path, "not a Terraform plan: no `resource_changes`"))?;
    let terraform_version = plan
        .get("terraform_version")
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let empty = J::Object(Default::default());
    let changes = change::changes(changes_json, path, &empty)?;
    let cx = Configuration::new(&plan, path);

    let mut actions: BTreeMap<String, usize> = BTreeMap::new();
    for c in &changes {
        *actions.entry(c.actions.join("+")).or_insert(0) += 1;
    }

    let parts = Parts::of(&changes, &cx);
    let reach = Reach::of(&changes, &cx);
    let outside_values = reach.outside(&changes);
    let outside: Vec<Change<'_>> = outside_values
        .iter()
        .map(|(address, ty, after)| Change {
            address: address.clone(),
            plain: address.clone(),
            index: String::new(),
            ty,
            actions: vec!["no-op"],
            before: &empty,
            after,
            unknown: &empty,
        })
        .collect();

    let family = Family {
        config,
        cx: &cx,
        parts: &parts,
    };
    let mut out = Out::default();
    let mut regions = BTreeSet::new();
    for c in changes.iter().chain(&outside) {
        let region = cx.region_of(c);
        if !region.is_empty() {
            regions.insert(region.clone());
        }
        if c.deletes() {
            out.resources.push(deletion(&family, c, &region));
        }
        let reached = !c.deletes() && reach.reaches(c);
        if !c.creates_or_updates() && !reached {
            continue;
        }
        match c.ty {
            "aws_db_instance" | "aws_rds_cluster" => rds::database(&family, c, &region, &mut out),
            "aws_s3_bucket" => s3::bucket(&family, &changes, c, &region, &mut out),
            "aws_backup_plan" => backup::plan(&family, c, &region, &mut out),
            "aws_backup_vault" => backup::vault(&family, c, &region, &mut out),
            "aws_cloudwatch_metric_alarm" => out.alarms.push(alarm(&family, c, &region)),
            "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
                platform::search_domain(&family, c, &region, &mut out)
            }
            _ => {}
        }
    }
    // Families judged together: clusters with their node groups and DR clusters, and failover
    // records with their other side (every one of them, changed or not: a pair is judged whole).
    let all: Vec<&Change<'_>> = changes.iter().chain(&outside).collect();
    let touched = |types: &[&str]| {
        all.iter()
            .any(|c| types.contains(&c.ty) && (c.changes() || reach.reaches(c)))
    };
    if touched(&["aws_eks_cluster", "aws_eks_node_group"]) {
        platform::eks(&family, &all, &mut out);
    }
    if touched(&["aws_route53_record"]) {
        platform::failover(&family, &all, &mut out);
    }
    let snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        collected_at,
        tool_version: format!("terraform {terraform_version}"),
        scope: Scope {
            accounts: Vec::new(),
            regions: regions.into_iter().collect(),
            dr_region: None,
            collected_by: None,
            partition: None,
        },
        components: Vec::new(),
        documents: Vec::new(),
        dr_tests: Vec::new(),
        gaps: out.gaps,
        program: Default::default(),
        alarms: out.alarms,
        resources: out.resources,
    };
    Ok(PlannedState {
        snapshot,
        format_version,
        terraform_version,
        actions,
    })
}

/// A deletion (or a replacement) as a `plan_change`, DR-critical when it removes what recovery
/// needs: a replica, a vault, its lock, a backup plan or selection, a cluster, a backup bucket or
/// its replication, Object Lock or versioning, a DR EKS cluster or its node group, the SECONDARY
/// of a failover name, a Route 53 health check.
fn deletion(f: &Family<'_, '_, '_>, c: &Change<'_>, region: &str) -> Resource {
    let critical = match c.ty {
        "aws_db_instance" => c
            .before
            .get("replicate_source_db")
            .and_then(J::as_str)
            .is_some_and(|s| !s.is_empty()),
        "aws_backup_vault"
        | "aws_backup_vault_lock_configuration"
        | "aws_backup_plan"
        | "aws_backup_selection" => true,
        "aws_rds_cluster" | "aws_db_instance_automated_backups_replication" => true,
        "aws_s3_bucket" => {
            let name = c.before.get("bucket").and_then(J::as_str).unwrap_or("");
            let tags = string_map(c.before.get("tags"));
            f.config.s3.is_backup_bucket(name, &tags)
        }
        "aws_s3_bucket_replication_configuration"
        | "aws_s3_bucket_object_lock_configuration"
        | "aws_s3_bucket_versioning" => true,
        // The DR cluster (by `[eks] pairs` or `<name>-dr` in the DR region) or one of its node groups.
        "aws_eks_cluster" | "aws_eks_node_group" => {
            let key = if c.ty == "aws_eks_cluster" {
                "name"
            } else {
                "cluster_name"
            };
            let name = c.before.get(key).and_then(J::as_str).unwrap_or("");
            crate::model::platform::is_dr_cluster(
                name,
                region,
                f.config.scope.dr_region.as_deref(),
                &f.config.eks,
            )
        }
        // The SECONDARY of a failover name: nothing answers when the primary fails.
        "aws_route53_record" => first(c.before.get("failover_routing_policy"))
            .and_then(|p| p.get("type"))
            .and_then(J::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("SECONDARY")),
        // Failover decides on health checks.
        "aws_route53_health_check" => true,
        _ => false,
    };
    Resource::PlanChange(PlanChange {
        id: format!("{} ({})", c.address, c.actions.join("+")),
        name: Some(c.address.clone()),
        region: region.to_string(),
        resource_type: c.ty.to_string(),
        action: if c.creates_or_updates() {
            "replace".into()
        } else {
            "delete".into()
        },
        dr_critical: critical,
        provenance: f.cx.provenance(c),
        ..PlanChange::default()
    })
}

/// `aws_cloudwatch_metric_alarm`.
fn alarm(f: &Family<'_, '_, '_>, c: &Change<'_>, region: &str) -> CloudwatchAlarm {
    CloudwatchAlarm {
        id: c.address.clone(),
        name: c.str("alarm_name").map(str::to_string),
        region: region.to_string(),
        namespace: c.str("namespace").unwrap_or("").to_string(),
        metric: c.str("metric_name").unwrap_or("").to_string(),
        dimensions: string_map(c.get("dimensions")),
        actions: c
            .get("alarm_actions")
            .and_then(J::as_array)
            .map(|a| a.iter().filter_map(J::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        provenance: f.cx.provenance(c),
        ..CloudwatchAlarm::default()
    }
}

/// The line of each resource's entry in the plan's `resource_changes` (its `"address"` key), by
/// address: one pass over the text, for SARIF regions. Addresses before `resource_changes`
/// (planned values, prior state) are not counted.
pub fn address_lines(text: &str) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    let Some(start) = text.find("\"resource_changes\"") else {
        return out;
    };
    let bytes = text.as_bytes();
    let mut line = 1 + text[..start].matches('\n').count();
    let mut i = start;
    let key = b"\"address\"";
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'"' if bytes[i..].starts_with(key) => {
                i += key.len();
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b':' | b'\n') {
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if bytes.get(i) == Some(&b'"') {
                    let from = i + 1;
                    let mut j = from;
                    while j < bytes.len() && bytes[j] != b'"' {
                        j += if bytes[j] == b'\\' { 2 } else { 1 };
                    }
                    if let Ok(addr) =
                        serde_json::from_str::<String>(&text[from - 1..(j + 1).min(text.len())])
                    {
                        out.entry(addr).or_insert(line);
                    }
                    i = j + 1;
                }
            }
            b'"' => {
                // Skip any other string, escapes included, so a quote inside it is not a key.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod address_tests {
    #[test]
    fn addresses_get_the_line_of_their_change() {
        let text = "{\n \"planned_values\": {\"address\": \"a.b\"},\n \"resource_changes\": [\n  {\n   \"address\": \"a.b\",\n   \"x\": \"say \\\"address\\\"\"\n  },\n  {\"address\":\"module.m.c[\\\"k\\\"]\"}\n ]\n}";
        let lines = super::address_lines(text);
        assert_eq!(lines.get("a.b"), Some(&5));
        assert_eq!(lines.get("module.m.c[\"k\"]"), Some(&8));
        assert_eq!(lines.len(), 2);
    }
}
