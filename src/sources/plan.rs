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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value as J;

use crate::model::config::Config;
use crate::model::plan::KNOWN_AFTER_APPLY;
use crate::model::snapshot::{
    BackupPlan, BackupRule, BackupVault, CloudwatchAlarm, Gap, PlanChange, Provenance, RdsDatabase,
    Resource, S3Bucket, Scope, Snapshot, SCHEMA_VERSION,
};
use crate::util::error::InputError;

/// One planned change, as the plan has it.
#[derive(Debug, Clone)]
struct Change<'a> {
    address: String,
    /// The address without instance keys (`module.a.aws_s3_bucket.b`), as configuration names it.
    plain: String,
    index: String,
    ty: &'a str,
    actions: Vec<&'a str>,
    before: &'a J,
    after: &'a J,
    unknown: &'a J,
}

/// The actions a plan's `change.actions` may hold (Terraform 0.12 to 1.x).
const ACTIONS: &[&str] = &["no-op", "create", "read", "update", "delete", "forget"];

impl Change<'_> {
    /// Whether the change alters the resource: created, updated, replaced or deleted.
    fn changes(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(*a, "create" | "update" | "delete"))
    }
    /// A string attribute as it will be, or as it was when the resource goes away.
    fn str_either(&self, key: &str) -> Option<&str> {
        self.str(key).or_else(|| {
            self.before
                .get(key)
                .and_then(J::as_str)
                .filter(|s| !s.is_empty())
        })
    }
    fn creates_or_updates(&self) -> bool {
        self.actions
            .iter()
            .any(|a| *a == "create" || *a == "update")
    }
    fn deletes(&self) -> bool {
        self.actions.contains(&"delete")
    }
    fn get(&self, key: &str) -> Option<&J> {
        self.after.get(key).filter(|v| !v.is_null())
    }
    fn is_unknown(&self, key: &str) -> bool {
        self.unknown
            .get(key)
            .is_some_and(|v| v == &J::Bool(true) || v.is_object() || v.is_array())
            && self.get(key).is_none()
    }
    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(J::as_str).filter(|s| !s.is_empty())
    }
}

/// Split `module.a["x"].aws_s3_bucket.b[0]` into the plain address and the instance key of the resource.
fn plain_address(address: &str) -> (String, String) {
    let mut plain = String::with_capacity(address.len());
    let mut depth = 0;
    let mut last_index = String::new();
    let mut current = String::new();
    for c in address.chars() {
        match c {
            '[' => {
                depth += 1;
                current.clear();
            }
            ']' => {
                depth -= 1;
                last_index = current.clone();
            }
            _ if depth > 0 => current.push(c),
            _ => {
                plain.push(c);
                last_index.clear();
            }
        }
    }
    (plain, last_index)
}

/// What configuration says of a resource: its provider key and expressions.
#[derive(Debug, Clone, Default)]
struct Configured {
    module: String,
    provider_key: String,
    expressions: J,
}

fn walk_config(module: &J, prefix: &str, out: &mut HashMap<String, Configured>) {
    if let Some(resources) = module.get("resources").and_then(J::as_array) {
        for r in resources {
            let Some(addr) = r.get("address").and_then(J::as_str) else {
                continue;
            };
            out.insert(
                format!("{prefix}{addr}"),
                Configured {
                    module: prefix.to_string(),
                    provider_key: r
                        .get("provider_config_key")
                        .and_then(J::as_str)
                        .unwrap_or("")
                        .to_string(),
                    expressions: r.get("expressions").cloned().unwrap_or(J::Null),
                },
            );
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(J::as_object) {
        for (name, call) in calls {
            if let Some(m) = call.get("module") {
                walk_config(m, &format!("{prefix}module.{name}."), out);
            }
        }
    }
}

/// The region a provider configuration key stands for, when the plan says it.
fn provider_region(config: &J, key: &str) -> Option<String> {
    let providers = config.get("provider_config")?;
    let constant = |p: &J| {
        p.pointer("/expressions/region/constant_value")
            .and_then(J::as_str)
            .map(str::to_string)
    };
    providers.get(key).and_then(constant).or_else(|| {
        // Module-scoped keys (`db_instance:aws`) inherit the root provider unless they set a region.
        let name = key.rsplit(':').next().unwrap_or(key);
        providers.get(name).and_then(constant)
    })
}

/// A plan read into a snapshot, with what the gate reports about it.
#[derive(Debug, Clone)]
pub struct PlannedState {
    pub snapshot: Snapshot,
    pub format_version: String,
    pub terraform_version: String,
    /// Changes by action, for the summary.
    pub actions: BTreeMap<String, usize>,
}

fn plan_error(path: &Path, message: impl Into<String>) -> InputError {
    InputError::plain(path, message)
}

fn tags_of(c: &Change<'_>) -> BTreeMap<String, String> {
    c.get("tags")
        .and_then(J::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn first(v: Option<&J>) -> Option<&J> {
    match v {
        Some(J::Array(items)) => items.first(),
        Some(J::Null) | None => None,
        other => other,
    }
}

/// The expiration days of the enabled lifecycle rules.
fn expiry_days(rules: Option<&J>, enabled: impl Fn(&J) -> bool) -> Vec<u32> {
    rules
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter(|r| enabled(r))
        .filter_map(|r| {
            first(r.get("expiration"))
                .and_then(|e| e.get("days"))
                .and_then(J::as_u64)
        })
        .filter(|d| *d > 0)
        .filter_map(day_count)
        .collect()
}

fn days_of(retention: &J) -> Option<u32> {
    let days = retention.get("days").and_then(J::as_u64).unwrap_or(0);
    let years = retention.get("years").and_then(J::as_u64).unwrap_or(0);
    day_count(years.checked_mul(365)?.checked_add(days)?)
}

/// A day count as the model holds it: within 100 years, else unknown (no evidence, never a pass).
fn day_count(days: u64) -> Option<u32> {
    crate::util::duration::check_days(days)
        .ok()
        .and_then(|d| u32::try_from(d).ok())
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
    let mut changes = Vec::new();
    for rc in changes_json {
        if rc
            .get("mode")
            .and_then(J::as_str)
            .is_some_and(|m| m != "managed")
        {
            continue;
        }
        let address = rc
            .get("address")
            .and_then(J::as_str)
            .ok_or_else(|| plan_error(path, "a resource change has no `address`"))?;
        let ty = rc.get("type").and_then(J::as_str).unwrap_or("");
        let change = rc.get("change").ok_or_else(|| {
            plan_error(path, format!("resource change `{address}` has no `change`"))
        })?;
        let actions: Vec<&str> = change
            .get("actions")
            .and_then(J::as_array)
            .map(|a| a.iter().filter_map(J::as_str).collect())
            .unwrap_or_default();
        if let Some(bad) = actions.iter().find(|a| !ACTIONS.contains(a)) {
            return Err(plan_error(
                path,
                format!(
                    "resource change `{address}` has unknown action `{bad}` (drready knows {})",
                    ACTIONS.join(", ")
                ),
            ));
        }
        if actions.is_empty() {
            return Err(plan_error(
                path,
                format!("resource change `{address}` has no `change.actions`"),
            ));
        }
        let (plain, index) = plain_address(address);
        changes.push(Change {
            address: address.to_string(),
            plain,
            index,
            ty,
            actions,
            before: change
                .get("before")
                .filter(|v| v.is_object())
                .unwrap_or(&empty),
            after: change
                .get("after")
                .filter(|v| v.is_object())
                .unwrap_or(&empty),
            unknown: change
                .get("after_unknown")
                .filter(|v| v.is_object())
                .unwrap_or(&empty),
        });
    }
    let mut configured = HashMap::new();
    if let Some(root) = plan.pointer("/configuration/root_module") {
        walk_config(root, "", &mut configured);
    }
    let config_json = plan.get("configuration").cloned().unwrap_or(J::Null);
    let region_of = |c: &Change<'_>| -> String {
        configured
            .get(&c.plain)
            .and_then(|cf| provider_region(&config_json, &cf.provider_key))
            .unwrap_or_default()
    };
    // The address of the resource an attribute of `c` refers to (`bucket = aws_s3_bucket.b.id`).
    let reference = |c: &Change<'_>, attr: &str| -> Option<String> {
        let cf = configured.get(&c.plain)?;
        let refs = cf.expressions.get(attr)?.get("references")?.as_array()?;
        refs.iter()
            .filter_map(J::as_str)
            .find(|r| r.matches('.').count() == 1)
            .map(|r| format!("{}{r}", cf.module))
    };

    let mut actions: BTreeMap<String, usize> = BTreeMap::new();
    for c in &changes {
        *actions.entry(c.actions.join("+")).or_insert(0) += 1;
    }

    let mut resources: Vec<Resource> = Vec::new();
    let mut gaps: Vec<Gap> = Vec::new();
    let mut alarms = Vec::new();
    let mut regions = BTreeSet::new();
    let provenance = |c: &Change<'_>| {
        Some(Provenance {
            source: format!("{} {}", path.display(), c.address),
            line: None,
            at: None,
        })
    };
    let unknown_gap = |c: &Change<'_>, kind: &str, attrs: &[&str], field: &str| Gap {
        source: "terraform".into(),
        operation: "plan".into(),
        resource: Some(c.address.clone()),
        resource_type: Some(kind.into()),
        attributes: attrs.iter().map(|a| (*a).to_string()).collect(),
        error_code: Some(KNOWN_AFTER_APPLY.into()),
        message: format!("`{field}` of `{}` is known only after apply", c.address),
        ..Gap::default()
    };

    // Split S3 resources and cluster instances, by the bucket or cluster they belong to.
    let bucket_key = |c: &Change<'_>| -> Option<String> {
        c.str("bucket")
            .map(|b| format!("name:{b}"))
            .or_else(|| reference(c, "bucket").map(|r| format!("addr:{r}{}", c.index_suffix())))
    };
    let mut splits: HashMap<String, Vec<&Change<'_>>> = HashMap::new();
    let mut cluster_members: HashMap<String, usize> = HashMap::new();
    let mut vault_locks: HashMap<String, &Change<'_>> = HashMap::new();
    let mut vault_policies: HashMap<String, &Change<'_>> = HashMap::new();
    for c in changes
        .iter()
        .filter(|c| !c.deletes() || c.creates_or_updates())
    {
        match c.ty {
            t if t.starts_with("aws_s3_bucket_") => {
                if let Some(k) = bucket_key(c) {
                    splits.entry(k).or_default().push(c);
                }
            }
            "aws_rds_cluster_instance" => {
                let key = c
                    .str("cluster_identifier")
                    .map(str::to_string)
                    .or_else(|| reference(c, "cluster_identifier"));
                if let Some(k) = key {
                    *cluster_members.entry(k).or_insert(0) += 1;
                }
            }
            "aws_backup_vault_lock_configuration" | "aws_backup_vault_policy" => {
                let key = c
                    .str("backup_vault_name")
                    .map(|n| format!("name:{n}"))
                    .or_else(|| reference(c, "backup_vault_name").map(|r| format!("addr:{r}")));
                if let Some(k) = key {
                    if c.ty.ends_with("lock_configuration") {
                        vault_locks.insert(k, c);
                    } else {
                        vault_policies.insert(k, c);
                    }
                }
            }
            _ => {}
        }
    }

    // The DR resources a change reaches through another resource: a bucket's split versioning,
    // lifecycle, Object Lock, replication or encryption; a cluster's instances; a vault's lock or
    // policy. Such a resource is judged even when its own action is no-op, and, when it is not in
    // the plan at all, judged on the facts the changed parts give (the rest no evidence).
    // Key → (resource type, its name, whether the name is the real one rather than an address).
    let mut touched: BTreeMap<String, (&str, String, bool)> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.changes()) {
        let key = match c.ty {
            t if t.starts_with("aws_s3_bucket_") => c
                .str_either("bucket")
                .map(|b| (format!("name:{b}"), "aws_s3_bucket", b.to_string(), true))
                .or_else(|| {
                    reference(c, "bucket").map(|r| {
                        (
                            format!("addr:{r}{}", c.index_suffix()),
                            "aws_s3_bucket",
                            r,
                            false,
                        )
                    })
                }),
            "aws_rds_cluster_instance" => c
                .str_either("cluster_identifier")
                .map(|i| {
                    (
                        format!("cluster:{i}"),
                        "aws_rds_cluster",
                        i.to_string(),
                        true,
                    )
                })
                .or_else(|| {
                    reference(c, "cluster_identifier")
                        .map(|r| (format!("cluster:{r}"), "aws_rds_cluster", r, false))
                }),
            "aws_backup_vault_lock_configuration" | "aws_backup_vault_policy" => c
                .str_either("backup_vault_name")
                .map(|n| (format!("name:{n}"), "aws_backup_vault", n.to_string(), true))
                .or_else(|| {
                    reference(c, "backup_vault_name")
                        .map(|r| (format!("addr:{r}"), "aws_backup_vault", r, false))
                }),
            _ => None,
        };
        if let Some((k, ty, name, by_name)) = key {
            touched.insert(format!("{ty} {k}"), (ty, name, by_name));
        }
    }
    let reached_keys = |c: &Change<'_>| -> Vec<String> {
        match c.ty {
            "aws_s3_bucket" => {
                let mut keys = vec![format!("addr:{}{}", c.plain, c.index_suffix())];
                keys.extend(c.str("bucket").map(|b| format!("name:{b}")));
                keys
            }
            "aws_rds_cluster" => {
                let mut keys = vec![format!("cluster:{}", c.plain)];
                keys.extend(c.str("cluster_identifier").map(|i| format!("cluster:{i}")));
                keys
            }
            "aws_backup_vault" => {
                let mut keys = vec![format!("addr:{}", c.plain)];
                keys.extend(c.str("name").map(|n| format!("name:{n}")));
                keys
            }
            _ => Vec::new(),
        }
        .into_iter()
        .map(|k| format!("{} {k}", c.ty))
        .collect()
    };
    // Parents the plan does not hold: judged on their changed parts alone.
    let mut present: HashSet<String> = HashSet::new();
    for c in &changes {
        present.extend(reached_keys(c));
    }
    let outside_values: Vec<(String, &str, J)> = touched
        .iter()
        // Only a resource named by its real name can stand outside the plan.
        .filter(|(k, (_, _, by_name))| *by_name && !present.contains(*k))
        .map(|(_, (ty, name, _))| {
            let attr = match *ty {
                "aws_s3_bucket" => "bucket",
                "aws_rds_cluster" => "cluster_identifier",
                _ => "name",
            };
            (
                format!("{ty} `{name}` (not in the plan)"),
                *ty,
                serde_json::json!({ attr: name }),
            )
        })
        .collect();
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
    let is_outside = |c: &Change<'_>| c.address.ends_with(" (not in the plan)");

    for c in changes.iter().chain(&outside) {
        let region = region_of(c);
        if !region.is_empty() {
            regions.insert(region.clone());
        }
        if c.deletes() {
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
                    let tags: BTreeMap<String, String> = c
                        .before
                        .get("tags")
                        .and_then(J::as_object)
                        .map(|m| {
                            m.iter()
                                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                                .collect()
                        })
                        .unwrap_or_default();
                    config.s3.is_backup_bucket(name, &tags)
                }
                "aws_s3_bucket_replication_configuration"
                | "aws_s3_bucket_object_lock_configuration"
                | "aws_s3_bucket_versioning" => true,
                _ => false,
            };
            resources.push(Resource::PlanChange(PlanChange {
                id: format!("{} ({})", c.address, c.actions.join("+")),
                name: Some(c.address.clone()),
                region: region.clone(),
                resource_type: c.ty.to_string(),
                action: if c.creates_or_updates() {
                    "replace".into()
                } else {
                    "delete".into()
                },
                dr_critical: critical,
                provenance: provenance(c),
                ..PlanChange::default()
            }));
        }
        let reached = !c.deletes() && reached_keys(c).iter().any(|k| touched.contains_key(k));
        if !c.creates_or_updates() && !reached {
            continue;
        }
        match c.ty {
            "aws_rds_cluster" if is_outside(c) => {
                // Its other members and settings are not in the plan: every fact is unknown.
                resources.push(Resource::RdsCluster(RdsDatabase {
                    id: c.address.clone(),
                    name: c.str("cluster_identifier").map(str::to_string),
                    region: region.clone(),
                    provenance: provenance(c),
                    ..RdsDatabase::default()
                }));
            }
            "aws_db_instance" | "aws_rds_cluster" => {
                let cluster = c.ty == "aws_rds_cluster";
                let ident = c.str(if cluster {
                    "cluster_identifier"
                } else {
                    "identifier"
                });
                let kind = if cluster {
                    "rds_cluster"
                } else {
                    "rds_instance"
                };
                let mut db = RdsDatabase {
                    id: c.address.clone(),
                    name: ident.map(str::to_string),
                    region: region.clone(),
                    tags: tags_of(c),
                    engine: c.str("engine").map(str::to_string),
                    provenance: provenance(c),
                    ..RdsDatabase::default()
                };
                let mut unknown = Vec::new();
                match c.get("backup_retention_period").and_then(J::as_u64) {
                    Some(d) => db.backup_retention_days = day_count(d),
                    // Unset and not computed: the provider's default of 1 day applies to clusters,
                    // 0 to instances restored without it; both are judged as written.
                    None if c.is_unknown("backup_retention_period") => {
                        unknown.push(("backup_retention_days", "backup_retention_period"))
                    }
                    None => db.backup_retention_days = Some(if cluster { 1 } else { 0 }),
                }
                match c.get("storage_encrypted").and_then(J::as_bool) {
                    Some(b) => db.storage_encrypted = Some(b),
                    None if c.is_unknown("storage_encrypted") => {
                        unknown.push(("storage_encrypted", "storage_encrypted"))
                    }
                    None => db.storage_encrypted = Some(false),
                }
                db.kms_key_id = c.str("kms_key_id").map(str::to_string);
                match c.get("deletion_protection").and_then(J::as_bool) {
                    Some(b) => db.deletion_protection = Some(b),
                    None if c.is_unknown("deletion_protection") => {
                        unknown.push(("deletion_protection", "deletion_protection"))
                    }
                    None => db.deletion_protection = Some(false),
                }
                if cluster {
                    let members = ident
                        .and_then(|i| cluster_members.get(i))
                        .or_else(|| cluster_members.get(&c.plain))
                        .copied()
                        .unwrap_or(0);
                    if ident.is_none() && c.is_unknown("cluster_identifier") && members == 0 {
                        unknown.push(("multi_az", "cluster_identifier"));
                    } else {
                        db.multi_az = Some(members >= 2);
                    }
                } else {
                    match c.get("multi_az").and_then(J::as_bool) {
                        Some(b) => db.multi_az = Some(b),
                        None if c.is_unknown("multi_az") => unknown.push(("multi_az", "multi_az")),
                        None => db.multi_az = Some(false),
                    }
                }
                for (attr, field) in unknown {
                    gaps.push(unknown_gap(c, kind, &[attr], field));
                }
                resources.push(if cluster {
                    Resource::RdsCluster(db)
                } else {
                    Resource::RdsInstance(db)
                });
            }
            "aws_s3_bucket" => {
                let name = c.str("bucket").map(str::to_string);
                let tags = tags_of(c);
                if !config
                    .s3
                    .is_backup_bucket(name.as_deref().unwrap_or(""), &tags)
                {
                    continue;
                }
                let mut parts: Vec<&Change<'_>> = Vec::new();
                if let Some(n) = &name {
                    parts.extend(splits.get(&format!("name:{n}")).into_iter().flatten());
                }
                parts.extend(
                    splits
                        .get(&format!("addr:{}{}", c.plain, c.index_suffix()))
                        .into_iter()
                        .flatten(),
                );
                let part = |suffix: &str| {
                    parts
                        .iter()
                        .find(|p| p.ty == format!("aws_s3_bucket_{suffix}"))
                        .copied()
                };
                let mut b = S3Bucket {
                    id: c.address.clone(),
                    name,
                    region: region.clone(),
                    tags,
                    provenance: provenance(c),
                    ..S3Bucket::default()
                };
                // Encryption: the split resource, the inline block, else S3's default (SSE-S3).
                let sse = part("server_side_encryption_configuration")
                    .and_then(|p| first(p.get("rule")))
                    .or_else(|| {
                        first(c.get("server_side_encryption_configuration"))
                            .and_then(|s| first(s.get("rule")))
                    })
                    .and_then(|r| first(r.get("apply_server_side_encryption_by_default")))
                    .and_then(|d| d.get("sse_algorithm").and_then(J::as_str));
                b.encryption = Some(sse.unwrap_or("AES256").to_string());
                let versioning = match part("versioning") {
                    Some(p) => first(p.get("versioning_configuration"))
                        .and_then(|v| v.get("status"))
                        .and_then(J::as_str)
                        .map(str::to_string),
                    None => first(c.get("versioning"))
                        .and_then(|v| v.get("enabled"))
                        .and_then(J::as_bool)
                        .map(|e| if e { "Enabled" } else { "Suspended" }.to_string()),
                };
                b.versioning = Some(versioning.unwrap_or_else(|| "Disabled".into()));
                let lock = match part("object_lock_configuration") {
                    Some(p) => first(p.get("rule"))
                        .and_then(|r| first(r.get("default_retention")))
                        .cloned(),
                    None => first(c.get("object_lock_configuration"))
                        .and_then(|o| first(o.get("rule")))
                        .and_then(|r| first(r.get("default_retention")))
                        .cloned(),
                };
                b.object_lock_mode = Some(
                    lock.as_ref()
                        .and_then(|l| l.get("mode"))
                        .and_then(J::as_str)
                        .unwrap_or("NONE")
                        .to_string(),
                );
                b.object_lock_days = Some(lock.as_ref().and_then(days_of).unwrap_or(0));
                // The split resource's rules say `status = "Enabled"`, inline rules `enabled = true`.
                let expiry = match part("lifecycle_configuration") {
                    Some(p) => expiry_days(p.get("rule"), |r| {
                        r.get("status").and_then(J::as_str) == Some("Enabled")
                    }),
                    None => expiry_days(c.get("lifecycle_rule"), |r| {
                        r.get("enabled").and_then(J::as_bool) == Some(true)
                    }),
                };
                b.lifecycle_expiry_days = Some(expiry.into_iter().min().unwrap_or(0));
                let replication = part("replication_configuration")
                    .map(|p| p.get("rule").cloned())
                    .or_else(|| {
                        first(c.get("replication_configuration")).map(|r| r.get("rules").cloned())
                    });
                match replication {
                    None => b.replication_regions = Some(Vec::new()),
                    Some(rules) => {
                        // A destination's region is known only when the plan creates that bucket too.
                        let dests: Vec<String> = rules
                            .iter()
                            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                            .filter_map(|r| {
                                first(r.get("destination"))
                                    .and_then(|d| d.get("bucket"))
                                    .and_then(J::as_str)
                                    .map(str::to_string)
                            })
                            .collect();
                        let regions: Option<Vec<String>> = dests
                            .iter()
                            .map(|arn| {
                                let name = arn.rsplit(':').next().unwrap_or(arn);
                                changes
                                    .iter()
                                    .find(|o| {
                                        o.ty == "aws_s3_bucket" && o.str("bucket") == Some(name)
                                    })
                                    .map(&region_of)
                                    .filter(|r| !r.is_empty())
                            })
                            .collect();
                        match regions {
                            Some(r) if !dests.is_empty() => b.replication_regions = Some(r),
                            _ => gaps.push(Gap {
                                error_code: None,
                                message: format!("the replication destination of `{}` is not in the plan: its region is unknown", c.address),
                                ..unknown_gap(c, "s3_bucket", &["replication_regions"], "replication_configuration")
                            }),
                        }
                    }
                }
                b.public_access_blocked = Some(part("public_access_block").is_some_and(|p| {
                    [
                        "block_public_acls",
                        "block_public_policy",
                        "ignore_public_acls",
                        "restrict_public_buckets",
                    ]
                    .iter()
                    .all(|k| p.get(k).and_then(J::as_bool) == Some(true))
                }));
                if is_outside(c) {
                    // Only what the changed parts say is known of a bucket the plan does not hold.
                    let has = |suffix: &str| part(suffix).is_some();
                    if !has("server_side_encryption_configuration") {
                        b.encryption = None;
                    }
                    if !has("versioning") {
                        b.versioning = None;
                    }
                    if !has("object_lock_configuration") {
                        b.object_lock_mode = None;
                        b.object_lock_days = None;
                    }
                    if !has("lifecycle_configuration") {
                        b.lifecycle_expiry_days = None;
                    }
                    if !has("replication_configuration") {
                        b.replication_regions = None;
                    }
                    if !has("public_access_block") {
                        b.public_access_blocked = None;
                    }
                }
                resources.push(Resource::S3Bucket(b));
            }
            "aws_backup_plan" => {
                let rules: Vec<BackupRule> = c
                    .get("rule")
                    .and_then(J::as_array)
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let schedule = r.get("schedule").and_then(J::as_str).map(str::to_string);
                        BackupRule {
                            name: r
                                .get("rule_name")
                                .and_then(J::as_str)
                                .unwrap_or("")
                                .to_string(),
                            interval_seconds: crate::model::rules::backup_rule_interval(
                                r.get("enable_continuous_backup").and_then(J::as_bool)
                                    == Some(true),
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
                    })
                    .collect();
                if c.is_unknown("rule") {
                    gaps.push(unknown_gap(
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
                    gaps.push(unknown_gap(
                        c,
                        "backup_plan",
                        &["copy_regions", "cross_account_copy"],
                        "rule.copy_action.destination_vault_arn",
                    ));
                }
                resources.push(Resource::BackupPlan(BackupPlan {
                    id: c.address.clone(),
                    name: c.str("name").map(str::to_string),
                    region: region.clone(),
                    tags: tags_of(c),
                    rules: Some(rules),
                    provenance: provenance(c),
                    ..BackupPlan::default()
                }));
            }
            "aws_backup_vault" => {
                let name = c.str("name").map(str::to_string);
                let key_by_name = name.as_ref().map(|n| format!("name:{n}"));
                let key_by_addr = format!("addr:{}", c.plain);
                let lock = key_by_name
                    .as_ref()
                    .and_then(|k| vault_locks.get(k))
                    .or_else(|| vault_locks.get(&key_by_addr))
                    .copied();
                let policy = key_by_name
                    .as_ref()
                    .and_then(|k| vault_policies.get(k))
                    .or_else(|| vault_policies.get(&key_by_addr))
                    .copied();
                let kms = c.str("kms_key_arn").map(str::to_string);
                if kms.is_none() && c.is_unknown("kms_key_arn") {
                    gaps.push(unknown_gap(
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
                let outside = is_outside(c);
                resources.push(Resource::BackupVault(BackupVault {
                    id: c.address.clone(),
                    name,
                    region: region.clone(),
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
                    provenance: provenance(c),
                    ..BackupVault::default()
                }));
            }
            "aws_cloudwatch_metric_alarm" => {
                alarms.push(CloudwatchAlarm {
                    id: c.address.clone(),
                    name: c.str("alarm_name").map(str::to_string),
                    region: region.clone(),
                    namespace: c.str("namespace").unwrap_or("").to_string(),
                    metric: c.str("metric_name").unwrap_or("").to_string(),
                    dimensions: c
                        .get("dimensions")
                        .and_then(J::as_object)
                        .map(|m| {
                            m.iter()
                                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                                .collect()
                        })
                        .unwrap_or_default(),
                    actions: c
                        .get("alarm_actions")
                        .and_then(J::as_array)
                        .map(|a| a.iter().filter_map(J::as_str).map(str::to_string).collect())
                        .unwrap_or_default(),
                    provenance: provenance(c),
                    ..CloudwatchAlarm::default()
                });
            }
            _ => {}
        }
    }
    let snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        collected_at,
        tool_version: format!("terraform {terraform_version}"),
        scope: Scope {
            accounts: Vec::new(),
            regions: regions.into_iter().collect(),
            dr_region: None,
        },
        components: Vec::new(),
        documents: Vec::new(),
        dr_tests: Vec::new(),
        gaps,
        program: Default::default(),
        alarms,
        resources,
    };
    Ok(PlannedState {
        snapshot,
        format_version,
        terraform_version,
        actions,
    })
}

impl Change<'_> {
    fn index_suffix(&self) -> String {
        if self.index.is_empty() {
            String::new()
        } else {
            format!("[{}]", self.index)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_instance_keys() {
        assert_eq!(
            plain_address("module.a[\"x\"].aws_s3_bucket.b[0]"),
            ("module.a.aws_s3_bucket.b".into(), "0".into())
        );
        assert_eq!(
            plain_address("aws_db_instance.db"),
            ("aws_db_instance.db".into(), String::new())
        );
    }
}
