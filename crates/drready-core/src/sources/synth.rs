//! A generator of large synthetic snapshots, for benchmarks. Deterministic for a seed; a mix of
//! every resource kind with good, bad and missing facts, written as a stream so that a snapshot of
//! a million resources never sits in memory.

use std::io::Write;

use chrono::{DateTime, Duration, Utc};

use crate::model::snapshot::{
    BackupPlan, BackupProtectedResource, BackupRule, BackupVault, ComponentSpec, IamGrant,
    IamPrincipal, JobSummary, RdsDatabase, RecoveryPointSummary, Replica, Resource, S3Bucket,
    Scope, SnapshotSummary, SCHEMA_VERSION,
};

/// A small, fast PRNG (xorshift64*), so the generator needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const COMPONENTS: [&str; 4] = ["orders", "search", "payments", "analytics"];

fn resource(i: usize, rng: &mut Rng, now: DateTime<Utc>) -> Resource {
    let region = REGIONS[i % REGIONS.len()];
    let account = format!("1000000000{:02}", i % 7);
    let component = Some(COMPONENTS[(i / 3) % COMPONENTS.len()].to_string());
    let ago =
        |rng: &mut Rng, max_minutes: u64| now - Duration::minutes(rng.below(max_minutes) as i64);
    match i % 10 {
        0..=3 => {
            let name = format!("db-{i}");
            let replicas = (rng.chance(40)).then(|| {
                vec![Replica {
                    id: format!("arn:aws:rds:us-west-2:{account}:db:{name}-replica"),
                    region: "us-west-2".into(),
                    lag_max_seconds: rng.chance(90).then(|| rng.below(600) as f64),
                }]
            });
            Resource::RdsInstance(RdsDatabase {
                id: format!("arn:aws:rds:{region}:{account}:db:{name}"),
                name: Some(name),
                account,
                region: region.into(),
                component,
                engine: Some("postgres".into()),
                backup_retention_days: Some(rng.below(36) as u32),
                latest_restorable_time: rng.chance(95).then(|| ago(rng, 30)),
                storage_encrypted: Some(rng.chance(90)),
                multi_az: Some(rng.chance(80)),
                deletion_protection: Some(rng.chance(70)),
                replicas: Some(replicas.unwrap_or_default()),
                replicated_backup_regions: Some(Vec::new()),
                snapshots: Some(SnapshotSummary {
                    count: rng.below(20) as u32,
                    newest: Some(ago(rng, 3_000)),
                    unencrypted: u32::from(rng.chance(5)),
                    copy_regions: if rng.chance(50) {
                        vec!["us-west-2".into()]
                    } else {
                        Vec::new()
                    },
                }),
                backup_plans: Some(if rng.chance(60) {
                    vec!["daily".into()]
                } else {
                    Vec::new()
                }),
                ..Default::default()
            })
        }
        4 | 5 => Resource::S3Bucket(S3Bucket {
            id: format!("arn:aws:s3:::backup-{i}"),
            name: Some(format!("backup-{i}")),
            account,
            region: region.into(),
            component,
            encryption: Some(if rng.chance(80) { "aws:kms" } else { "AES256" }.into()),
            versioning: Some(
                if rng.chance(85) {
                    "Enabled"
                } else {
                    "Suspended"
                }
                .into(),
            ),
            object_lock_mode: Some("COMPLIANCE".into()),
            object_lock_days: Some(rng.below(60) as u32),
            lifecycle_expiry_days: Some(rng.below(500) as u32),
            replication_regions: Some(if rng.chance(70) {
                vec!["us-west-2".into()]
            } else {
                Vec::new()
            }),
            public_access_blocked: Some(rng.chance(97)),
            backup_prefix: rng.chance(50).then(|| "dumps/".into()),
            newest_backup_object: Some(ago(rng, 120)),
            ..Default::default()
        }),
        6 => Resource::BackupPlan(BackupPlan {
            id: format!("arn:aws:backup:{region}:{account}:backup-plan:plan-{i}"),
            name: Some(format!("plan-{i}")),
            account: account.clone(),
            region: region.into(),
            component,
            rules: Some(vec![BackupRule {
                name: "daily".into(),
                schedule: Some("cron(0 5 ? * * *)".into()),
                interval_seconds: Some(if rng.chance(85) { 86_400 } else { 604_800 }),
                delete_after_days: Some(rng.below(120) as u32),
                target_vault: Some("main".into()),
                copy_destinations: if rng.chance(60) {
                    vec![format!(
                        "arn:aws:backup:us-west-2:{account}:backup-vault:dr"
                    )]
                } else {
                    Vec::new()
                },
            }]),
            ..Default::default()
        }),
        7 => Resource::BackupVault(BackupVault {
            id: format!("arn:aws:backup:{region}:{account}:backup-vault:vault-{i}"),
            name: Some(format!("vault-{i}")),
            account,
            region: region.into(),
            component,
            customer_managed_key: Some(rng.chance(70)),
            locked: Some(rng.chance(60)),
            lock_min_retention_days: Some(rng.below(30) as u32),
            deletion_denied: Some(rng.chance(50)),
            ..Default::default()
        }),
        8 => Resource::BackupProtectedResource(BackupProtectedResource {
            id: format!("arn:aws:rds:{region}:{account}:db:protected-{i}"),
            account,
            region: region.into(),
            component,
            resource_type: Some("RDS".into()),
            recovery_points: Some(RecoveryPointSummary {
                count: 1 + rng.below(30) as u32,
                newest_completed: Some(ago(rng, 2_000)),
                unencrypted: u32::from(rng.chance(3)),
                min_retention_days: Some(rng.below(100) as u32),
                newest_air_gapped: None,
            }),
            jobs: Some(JobSummary {
                window_days: 30,
                total: 30,
                completed: 28 + rng.below(3) as u32,
            }),
            ..Default::default()
        }),
        _ => Resource::IamPrincipal(IamPrincipal {
            id: format!("arn:aws:iam::{account}:role/role-{i}"),
            name: Some(format!("role-{i}")),
            account,
            region: String::new(),
            kind: "role".into(),
            backup_deletion_grants: Some(if rng.chance(10) {
                vec![IamGrant {
                    policy: "admin".into(),
                    action: "backup:DeleteRecoveryPoint".into(),
                    resource: "*".into(),
                }]
            } else {
                Vec::new()
            }),
            wildcard_action_grants: Some(Vec::new()),
            mutating_on_any_grants: Some(Vec::new()),
            ..Default::default()
        }),
    }
}

/// Write a snapshot of `n` resources.
pub fn write(out: &mut dyn Write, n: usize, seed: u64) -> std::io::Result<()> {
    let now = DateTime::parse_from_rfc3339("2026-11-25T06:00:00Z")
        .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let components: Vec<ComponentSpec> = COMPONENTS
        .iter()
        .map(|c| ComponentSpec {
            name: (*c).into(),
            rto_seconds: Some(3_600),
            rpo_seconds: Some(900),
            cross_region: Some(true),
            ..ComponentSpec::default()
        })
        .collect();
    let scope = Scope {
        accounts: (0..7).map(|i| format!("1000000000{i:02}")).collect(),
        regions: REGIONS.iter().map(|r| (*r).to_string()).collect(),
        dr_region: Some("us-west-2".into()),
        collected_by: None,
        partition: None,
    };
    write!(
        out,
        "{{\"schema_version\":{SCHEMA_VERSION},\"collected_at\":\"{}\",\"tool_version\":\"synth\",\"scope\":{},\"components\":{},\"resources\":[",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        serde_json::to_string(&scope).map_err(std::io::Error::other)?,
        serde_json::to_string(&components).map_err(std::io::Error::other)?,
    )?;
    for i in 0..n {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &resource(i, &mut rng, now))
            .map_err(std::io::Error::other)?;
    }
    out.write_all(b"]}\n")
}

/// Write a synthetic Terraform plan (`terraform show -json`, format 1.2) of about `n` resource
/// changes: databases, backup buckets with their split resources, backup plans and vaults.
pub fn write_plan(out: &mut dyn Write, n: usize, seed: u64) -> std::io::Result<()> {
    use serde_json::json;
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut changes = Vec::with_capacity(n);
    let mut config = Vec::with_capacity(n);
    let mut i = 0;
    while changes.len() < n {
        let action = if rng.chance(70) { "create" } else { "update" };
        let mut push = |address: String,
                        ty: &str,
                        after: serde_json::Value,
                        refs: Option<String>| {
            changes.push(json!({
                "address": address, "mode": "managed", "type": ty, "name": address.rsplit('.').next().unwrap_or(""),
                "change": { "actions": [action], "before": null, "after": after, "after_unknown": { "arn": true, "id": true } }
            }));
            let mut expressions = json!({});
            if let Some(r) = refs {
                expressions["bucket"] = json!({ "references": [format!("{r}.id"), r] });
            }
            config.push(json!({ "address": address, "mode": "managed", "type": ty, "name": "x", "provider_config_key": "aws", "expressions": expressions }));
        };
        match i % 4 {
            0 => push(
                format!("aws_db_instance.db_{i}"),
                "aws_db_instance",
                json!({ "identifier": format!("db-{i}"), "engine": "postgres", "backup_retention_period": rng.below(30),
                        "multi_az": rng.chance(80), "storage_encrypted": rng.chance(90), "deletion_protection": rng.chance(70) }),
                None,
            ),
            1 => {
                let bucket = format!("aws_s3_bucket.backup_{i}");
                push(
                    bucket.clone(),
                    "aws_s3_bucket",
                    json!({ "bucket": format!("backup-{i}") }),
                    None,
                );
                push(
                    format!("aws_s3_bucket_versioning.backup_{i}"),
                    "aws_s3_bucket_versioning",
                    json!({ "bucket": null, "versioning_configuration": [{ "status": if rng.chance(85) { "Enabled" } else { "Suspended" } }] }),
                    Some(bucket.clone()),
                );
                push(
                    format!("aws_s3_bucket_lifecycle_configuration.backup_{i}"),
                    "aws_s3_bucket_lifecycle_configuration",
                    json!({ "bucket": null, "rule": [{ "id": "expire", "status": "Enabled", "expiration": [{ "days": 30 + rng.below(400) }] }] }),
                    Some(bucket),
                );
            }
            2 => push(
                format!("aws_backup_plan.plan_{i}"),
                "aws_backup_plan",
                json!({ "name": format!("plan-{i}"), "rule": [{ "rule_name": "daily", "schedule": "cron(0 5 ? * * *)", "target_vault_name": "main",
                        "lifecycle": [{ "delete_after": 7 + rng.below(60) }], "copy_action": [] }] }),
                None,
            ),
            _ => push(
                format!("aws_backup_vault.vault_{i}"),
                "aws_backup_vault",
                json!({ "name": format!("vault-{i}"), "kms_key_arn": if rng.chance(70) { "arn:aws:kms:us-east-1:1:key/k" } else { "" } }),
                None,
            ),
        }
        i += 1;
    }
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": changes,
        "configuration": {
            "provider_config": { "aws": { "name": "aws", "expressions": { "region": { "constant_value": "us-east-1" } } } },
            "root_module": { "resources": config },
        },
    });
    serde_json::to_writer(&mut *out, &plan).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
